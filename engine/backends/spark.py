"""The Spark backend: `--engine spark`, local (`local[*]`) by default, a cluster with `--spark-master URL`, or Spark
Connect with `--spark-remote sc://…`.

A dataset is a folder of `<entity>.parquet` files (or folders of part files, as Spark writes
them), or the tables of a database in the session's catalog (`--data spark:DBNAME`). Each
entity is read once, checked against the model (columns, types), cast to the model's types,
cached, and registered as a temporary view under the entity's name for the command's
queries; nothing is written to the dataset or the catalog.
"""
from __future__ import annotations

import contextlib
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from ..diagnostics import Diagnostic, EngineError, Position
from ..model import Model
from ..resources import Resources
from .base import (
    Bindings,
    EngineOptions,
    QueryFailed,
    Result,
    bounds_query,
    engine_error,
    out_of_range,
    require,
    stored_type_problem,
)

CATALOG = "spark:"  # --data spark:DBNAME: the tables of a database in the session's catalog
TYPES = {"bigint": "BIGINT", "integer": "INT", "double": "DOUBLE", "varchar": "STRING", "date": "DATE",
         "boolean": "BOOLEAN"}
_INTEGERS = {"tinyint", "smallint", "int", "bigint"}
COMPATIBLE = {
    "bigint": _INTEGERS, "integer": _INTEGERS,
    "double": {"double", "float", "decimal"} | _INTEGERS,
    "varchar": {"string", "varchar", "char"},
    "date": {"date", "timestamp_ntz"},
    "boolean": {"boolean"},
}
ZONED = {"timestamp"}  # Spark's TIMESTAMP is a local time zone's instant: its day depends on a zone
DATA_HINT = "pass a folder of <entity>.parquet files, or spark:DBNAME for the tables of a database in Spark's catalog"


def session(options: EngineOptions, resources: Resources | None = None) -> tuple[Any, bool]:
    """The SparkSession, and whether this command started it (and so stops it): UTC, no UI, quiet logs.

    Local mode uses `--threads` cores (default all: local[*]) and `--memory-limit` of driver memory.
    """
    require("pyspark", "spark")
    with warnings.catch_warnings():  # pyspark warns about pandas versions on import; no pandas API is used
        warnings.simplefilter("ignore")
        from pyspark.sql import SparkSession
    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
    builder = SparkSession.builder.appName("indicators")
    log4j = Path(__file__).with_name("spark-log4j2.properties")
    if options.spark_remote:
        builder = builder.remote(options.spark_remote)
    else:
        threads = resources.threads if resources is not None and resources.threads else None
        builder = builder.master(options.spark_master or (f"local[{threads}]" if threads else "local[*]"))
        builder = builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        builder = builder.config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        if not options.spark_master or options.spark_master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode listens on the loopback only
        if resources is not None and resources.memory_limit:
            builder = builder.config("spark.driver.memory", _jvm_size(resources.memory_limit))
        if resources is not None and resources.temp_directory is not None:
            builder = builder.config("spark.local.dir", str(resources.temp_directory))
        if not options.spark_master or options.spark_master.startswith("local"):  # not 200 on one machine
            builder = builder.config("spark.sql.shuffle.partitions", str(2 * (threads or os.cpu_count() or 1)))
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    # ANSI mode (Spark 4's default, which a cluster may turn off): a CAST that overflows or cannot read a value, an
    # integer sum that overflows, are errors, where Spark's legacy mode wraps around or gives NULL, a wrong number
    builder = builder.config("spark.sql.ansi.enabled", "true")
    started = SparkSession.getActiveSession() is None
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # the JVM could not start, or the cluster is unreachable
        raise engine_error("--engine", "E_ENGINE_START", f"Spark could not start: {_first_line(exc)}",
                           "Spark needs Java 17 or newer on PATH (or JAVA_HOME); for a cluster check --spark-master "
                           "or --spark-remote") from None
    with contextlib.suppress(Exception):
        spark.sparkContext.setLogLevel("ERROR")
    return spark, started


_GLOB = re.compile(r"([\\*?\[\]{}])")


def _literal_path(path: Path) -> str:
    """`path` as Spark reads it literally: Hadoop expands *, ?, [..] and {a,b} in a path to read, so a dataset in
    `extract [a]` would read `extract a` (or both `y?` and `y1`): each is escaped with a backslash."""
    return _GLOB.sub(r"\\\1", str(path))


def _jvm_size(text: str) -> str:
    """DuckDB-style sizes (2GB, 1.5GiB, 512MiB; KB is 1000 bytes, KiB 1024) as the JVM takes them, in whole MiB
    (1907m, 1536m, 512m): the JVM has no fractions, and `1.5GB` is not `1g`."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT])(i?)B\s*", text, re.IGNORECASE)
    mib = 0
    if match:
        base = 1024 if match.group(3) else 1000
        mib = int(float(match.group(1)) * base ** ("KMGT".index(match.group(2).upper()) + 1) // 2**20)
    if mib < 1:
        raise engine_error("--memory-limit", "E_RESOURCES", f"Spark's driver memory cannot be '{text}'",
                           "give a size of at least 1MiB, e.g. --memory-limit 2GB (not a % of the machine's "
                           "memory: Spark's driver takes a size)")
    return f"{mib}m"


_ERROR_CLASS = re.compile(r"(?:^|: )(\[[A-Z][A-Z0-9_.]*\] \S)")  # Spark's error class: [CAST_OVERFLOW] The ...


def _first_line(exc: BaseException) -> str:
    """Spark's reason: the first line naming an error class (from the class on), else the first line that is not
    py4j's own `An error occurred while calling o123.collectToPython.` (which says nothing of why)."""
    lines = [line.strip().lstrip(":").strip() for line in str(exc).strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith("An error occurred while calling")]
    for line in lines:
        found = _ERROR_CLASS.search(line)
        if found:
            return line[found.start(1):][:300]
    return lines[0][:300] if lines else type(exc).__name__


def _java_pattern(pattern: str) -> str:
    """A regular expression as DuckDB (RE2) and PostgreSQL match it, for Spark's RLIKE (java.util.regex), where `$`
    also matches before a line break that ends the text: `'07' || chr(13)` kept `^(0[1-9]|1[0-9]|2[0-5])$`. Each `$`
    outside a character class becomes `\\z`, the end of the text only (the same in RE2 and java.util.regex)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = "\\z"
        out.append(char)
        i += 1
    return "".join(out)


def _java_patterns(tree: exp.Expr) -> exp.Expr:
    """`tree` with the pattern of each regular-expression match as `_java_pattern` gives it (a copy if any)."""
    matches = [m for m in tree.find_all(exp.RegexpLike)
               if isinstance(m.expression, exp.Literal) and m.expression.is_string and "$" in m.expression.this]
    if not matches:
        return tree
    tree = tree.copy()
    for match in tree.find_all(exp.RegexpLike):
        pattern = match.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            match.set("expression", exp.Literal.string(_java_pattern(pattern.this)))
    return tree


@dataclass
class SparkDataset:
    """An open Spark dataset: the model's entities are cached temporary views of this session."""
    spark: Any
    description: str
    views: list[str] = field(default_factory=list)
    stop: bool = False
    bindings: Bindings = field(default_factory=Bindings)
    dialect: str = "spark"
    engine: str = "spark"

    def query(self, tree: exp.Expr) -> Result:
        sql = _java_patterns(self.bindings.apply(tree, self.dialect)).sql("spark")
        try:
            frame = self.spark.sql(sql)
            rows = frame.collect()
        except Exception as exc:  # pyspark raises its own exception classes, and py4j's
            raise QueryFailed(_first_line(exc)) from None
        return Result(list(frame.columns), [tuple(row) for row in rows])

    def close(self) -> None:
        for view in self.views:
            with contextlib.suppress(Exception):
                self.spark.catalog.dropTempView(view)
        if self.stop:
            with contextlib.suppress(Exception):
                self.spark.stop()


def open_dataset(data: str, model: Model, mapping, options: EngineOptions,
                 resources: Resources | None = None) -> SparkDataset:
    """Bind every entity (Parquet in a folder, or a catalog table) as a typed, cached view; every problem at once."""
    text = str(data)
    database = text[len(CATALOG):] if text.startswith(CATALOG) else None
    if database is None:
        folder = Path(text)
        if not folder.is_dir():
            raise engine_error(text, "E_DATA_OPEN", f"{text} is not a folder of Parquet files" if folder.exists()
                               else f"no such dataset: {text}", DATA_HINT)
    elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
        raise engine_error("--data", "E_DATA_OPEN", f"'{database}' is not a database name", DATA_HINT)
    spark, started = session(options, resources)
    dataset = SparkDataset(spark, text, stop=started)
    try:
        problems = _bind(dataset, text, database, model, mapping)
    except BaseException:
        dataset.close()
        raise
    if problems:
        dataset.close()
        raise EngineError(problems)
    return dataset


def _bind(dataset: SparkDataset, shown: str, database: str | None, model: Model, mapping) -> list[Diagnostic]:
    spark = dataset.spark
    problems: list[Diagnostic] = []
    for entity in model.entities.values():
        stem = mapping.table(entity.name)
        where = f"{shown}:{stem}" if database else str(Path(shown) / f"{stem}.parquet")
        try:
            if database is not None:
                if not spark.catalog.tableExists(stem, database):
                    problems.append(Diagnostic(Position(where), "E_DATA_MISSING_TABLE",
                                               f"database '{database}' has no table '{stem}' for entity "
                                               f"'{entity.name}'", "name tables after the model's entities, or map "
                                               "them with --mapping"))
                    continue
                raw = spark.table(exp.table_(stem, db=database, quoted=True).sql("spark"))
            else:
                path = Path(shown) / f"{stem}.parquet"
                if not path.exists():
                    csv = (Path(shown) / f"{stem}.csv").exists()
                    problems.append(Diagnostic(Position(where), "E_DATA_MISSING_TABLE",
                                               f"the dataset has no table '{stem}' for entity '{entity.name}'",
                                               f"Spark reads Parquet: write {stem}.csv as {stem}.parquet" if csv else
                                               f"add {stem}.parquet to {shown}, or map it with --mapping"))
                    continue
                raw = spark.read.parquet(_literal_path(path.resolve()))
        except Exception as exc:
            problems.append(Diagnostic(Position(where), "E_DATA_READ",
                                       f"cannot read table '{stem}' for entity '{entity.name}': {_first_line(exc)}",
                                       "check the file's columns and types against the data model"))
            continue
        stored: dict[str, tuple[str, str]] = {}
        for name, kind in raw.dtypes:
            stored.setdefault(name.lower(), (name, kind.split("(")[0].lower()))
        raw_view = f"raw_{entity.name}"
        columns, before = [], len(problems)
        wide: list[tuple[Any, str, str]] = []   # integers stored wider than the model's: every value must fit
        for col in entity.columns.values():
            name = mapping.column(entity.name, col.name)
            if name.lower() not in stored:
                problems.append(Diagnostic(Position(where), "E_DATA_MISSING_COLUMN",
                                           f"table '{stem}' has no column '{name}'",
                                           f"expected a {col.type} column '{name}' (model column "
                                           f"{entity.name}.{col.name}); map other names with --mapping"))
                continue
            written, kind = stored[name.lower()]
            problem = stored_type_problem(Position(where), f"{entity.name}.{col.name}", kind, col.type,
                                          kind in ZONED, kind in COMPATIBLE[col.type], TYPES[col.type],
                                          "store the calendar day as DATE (or TIMESTAMP_NTZ)")
            if problem is not None:
                problems.append(problem)
            else:
                if col.type == "integer" and kind == "bigint":
                    wide.append((col, written, kind))
                columns.append(exp.cast(exp.column(written, quoted=True), TYPES[col.type]).as_(col.name))
        if len(problems) > before:
            continue
        raw.createOrReplaceTempView(raw_view)
        dataset.views.append(raw_view)
        if wide:  # as engine.execute._out_of_range: E_DATA_RANGE now, never a CAST that overflows mid-query
            try:
                row = tuple(spark.sql(bounds_query(exp.to_table(raw_view), [c for _, c, _ in wide]).sql("spark"))
                            .collect()[0])
            except Exception as exc:
                problems.append(Diagnostic(Position(where), "E_DATA_READ", f"cannot read table '{stem}' for "
                                           f"entity '{entity.name}': {_first_line(exc)}",
                                           "check the file's columns and types against the data model"))
                continue
            problems += out_of_range(where, entity.name, wide, row, TYPES["integer"])
            if len(problems) > before:
                continue
        typed = spark.sql(exp.select(*columns).from_(exp.to_table(raw_view)).sql("spark")).cache()
        typed.createOrReplaceTempView(entity.name)
        dataset.views.append(entity.name)
    return problems


def inline_dataset(model: Model, inputs: dict[str, list[dict]], options: EngineOptions,
                   description: str, resources: Resources | None = None) -> SparkDataset:
    """A fixture's rows as VALUES in front of each query (engine.backends.inline): nothing is registered."""
    from .inline import inline_bindings
    spark, started = session(options, resources)
    return SparkDataset(spark, description, stop=started, bindings=inline_bindings(model, inputs, TYPES))
