"""Stage 6, execute: run compiled queries on a backend and return rows of the JSON shape.

The default backend is DuckDB. A dataset is a `.duckdb` file (ATTACHed read-only), a
folder of Parquet or CSV files named after the entities, or a fixture's YAML inputs; it
is exposed as views with the model's types, and nothing is ever written to it.

Every connection is locked down before anything a dataset stores is read (see
`lock_down`): no file but the dataset's own, no network, no extension installed or
loaded, and settings that cannot be changed back; so a view stored in a dataset reads
only the dataset.
"""
from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from .backends.base import Backend, QueryFailed, Result, stored_type_problem
from .diagnostics import Diagnostic, Diagnostics, EngineError, Position, did_you_mean
from .load import load_file
from .model import Entity, Model
from .periods import Period
from .plan import DIM, plan_query
from .render import build_query
from .resolve import BoundIndicator
from .resources import Resources, apply_resources
from .validate import validate_schema

DUCKDB_TYPES = {"bigint": "BIGINT", "integer": "INTEGER", "double": "DOUBLE", "varchar": "VARCHAR",
                "date": "DATE", "boolean": "BOOLEAN"}
# The values each stored integer type can hold. A type wider than the model's (HUGEINT or UBIGINT for a
# bigint, BIGINT for an integer) is read only if every stored value fits, checked when the dataset is opened.
INTEGER_RANGES = {
    "TINYINT": (-2**7, 2**7 - 1), "SMALLINT": (-2**15, 2**15 - 1), "INTEGER": (-2**31, 2**31 - 1),
    "BIGINT": (-2**63, 2**63 - 1), "HUGEINT": (-2**127, 2**127 - 1), "UTINYINT": (0, 2**8 - 1),
    "USMALLINT": (0, 2**16 - 1), "UINTEGER": (0, 2**32 - 1), "UBIGINT": (0, 2**64 - 1), "UHUGEINT": (0, 2**128 - 1),
}
_INTEGERS = set(INTEGER_RANGES)
# Stored types a model type can be read from (each is CAST to the model's type in a view). A time with a
# time zone is not among them: which day it falls on depends on a zone (see `ZONED`).
COMPATIBLE = {
    "bigint": _INTEGERS,
    "integer": _INTEGERS,
    "double": {"DOUBLE", "FLOAT", "REAL", "DECIMAL"} | _INTEGERS,
    "varchar": {"VARCHAR"},
    "date": {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"},
    "boolean": {"BOOLEAN"},
}
ZONED = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMP_TZ"}
DATE_FORMAT = "%Y-%m-%d"  # the only date form read from CSV files: nothing is guessed
SOURCE = "src"  # the attached database of a .duckdb dataset
DATA_HINT = "pass a .duckdb file, a folder of <entity>.parquet / <entity>.csv files or a fixture YAML file"


def _error(path: str, code: str, message: str, hint: str = "") -> EngineError:
    return EngineError([Diagnostic(Position(path), code, message, hint)])


def connect(database: str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for the engine: it never installs or loads an extension on its own, shows no
    progress bar (DuckDB prints it on stdout, inside `--format json` output) and works in UTC, whatever the
    machine's time zone."""
    con = duckdb.connect(database, read_only=read_only,
                         config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET enable_progress_bar = false")
    with contextlib.suppress(duckdb.Error):  # a build without time zones computes in UTC anyway
        con.execute("SET TimeZone = 'UTC'")
    return con


def lock_down(con: duckdb.DuckDBPyConnection, allowed_paths: Iterable[str] = ()) -> None:
    """From now on: no file but `allowed_paths`, no network, no extension, and no setting can be changed back."""
    allowed = list(dict.fromkeys(allowed_paths))
    if allowed:
        con.execute("SET allowed_paths = $1", [allowed])
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def literal_path(path: Path) -> str:
    """`path` for DuckDB's file readers, which expand `*`, `?` and `[...]`: each written as a one-character
    class (`[*]`), so that a file is read exactly as named and a folder named `g[1]` or `u*` is itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in str(path))


@dataclass
class Dataset:
    """An in-memory DuckDB connection whose views, named after the entities, have the model's types: the DuckDB
    backend of the execution seam (engine.backends.base.Backend)."""
    connection: duckdb.DuckDBPyConnection
    description: str
    _keep: list = field(default_factory=list)
    dialect: str = "duckdb"
    engine: str = "duckdb"

    def query(self, tree: exp.Expr) -> Result:
        """Run a query tree; QueryFailed (with DuckDB's first line) if it cannot."""
        try:
            cursor = self.connection.execute(tree.sql("duckdb"))
            return Result([d[0] for d in cursor.description], cursor.fetchall())
        except duckdb.Error as exc:
            raise QueryFailed(str(exc).splitlines()[0]) from None

    def close(self) -> None:
        self.connection.close()


@dataclass
class SourceMapping:
    """Dataset names for the model's entities and columns (default: the same names)."""
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def table(self, entity: str) -> str:
        return self.tables.get(entity, entity)

    def column(self, entity: str, column: str) -> str:
        return self.columns.get(entity, {}).get(column, column)


def _not_a_name(name: str) -> str | None:
    """Why a mapped table name is not a plain name (it would be read as a path), or None."""
    if name in (".", "..") or any(c in name for c in "/\\:"):
        return "is a path"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "contains a control character"
    return None


def load_mapping(path: str | Path, model: Model) -> SourceMapping:
    """Read and check a source mapping file (schema: engine/schemas/mapping.schema.json).

    Table names are names, never paths: `../x`, `/data/x` and `C:x` are refused.
    """
    diags = Diagnostics()
    doc = load_file(Path(path), diags, str(path))
    if doc is not None and validate_schema(doc, "mapping", diags):
        for entity, spec in doc.data["tables"].items():
            if entity not in model.entities:
                diags.error(doc.key_pos(("tables", entity)), "E_UNKNOWN_ENTITY", f"unknown entity '{entity}'",
                            did_you_mean(entity, model.entities))
                continue
            reason = _not_a_name(spec["table"]) if "table" in spec else None
            if reason:
                diags.error(doc.pos(("tables", entity, "table")), "E_MAPPING_NAME",
                            f"table name {spec['table']!r} for entity '{entity}' {reason}, not a table name",
                            "a mapping names a table of the dataset (in a folder: a file's name without "
                            ".parquet/.csv), never a path; choose the dataset with --data")
            for column in spec.get("columns", {}):
                if column not in model.entities[entity].columns:
                    diags.error(doc.key_pos(("tables", entity, "columns", column)), "E_UNKNOWN_COLUMN",
                                f"'{entity}' has no column '{column}'",
                                did_you_mean(column, model.entities[entity].columns))
    diags.raise_if_errors()
    assert doc is not None  # a file that could not be read is an error, raised above
    data = doc.data["tables"]
    return SourceMapping({e: s["table"] for e, s in data.items() if "table" in s},
                         {e: dict(s.get("columns", {})) for e, s in data.items()})


def dataset_problem(path: str | Path) -> Diagnostic | None:
    """Why `path` cannot be a dataset before anything is opened (empty, or nothing there), or None."""
    shown = str(path)
    if not shown.strip():
        return Diagnostic(Position("--data"), "E_DATA_NOT_FOUND", "the dataset path is empty",
                          f"{DATA_HINT}; for the current folder write --data .")
    if not Path(path).exists():
        return Diagnostic(Position(shown), "E_DATA_NOT_FOUND", f"no such dataset: {shown}", DATA_HINT)
    return None


@dataclass
class _Source:
    """Where an entity's rows are read from, before typing."""
    table: exp.Table                  # what DuckDB reads (quoted identifiers)
    name: str                         # the table or file as the user named it
    where: str                        # where its problems are reported: dataset:table, or the file
    written: list[str] | None = None  # its column names as stored, when DuckDB's reader renames duplicates


def open_dataset(path: str | Path, model: Model, mapping: SourceMapping | None = None,
                 resources: Resources | None = None) -> Dataset:
    """Open a dataset read-only and expose it as typed views, after checking tables, columns and types.

    A `.duckdb` file is ATTACHed READ_ONLY, a folder's Parquet files are read in place and
    its CSV files into memory, a fixture YAML file's `inputs:` are loaded into memory;
    nothing is ever written to the dataset, and the connection is locked down (`lock_down`)
    before anything the dataset stores is read; `resources` (threads, memory limit, spill folder) are set
    before that, and the SQL cannot change them.
    """
    problem = dataset_problem(path)
    if problem is not None:
        raise EngineError([problem])
    p = Path(path)
    shown = str(path)
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        return _yaml_dataset(p, model, resources)
    if not p.is_file() and not p.is_dir():
        raise _error(shown, "E_DATA_OPEN", f"{shown} is neither a file nor a folder", DATA_HINT)
    mapping = mapping or SourceMapping()
    con = connect()
    dataset = Dataset(con, shown)
    try:
        apply_resources(con, resources)
        if p.is_file():
            sources, problems = _database_sources(con, p, shown, model, mapping)
        else:
            sources, problems = _folder_sources(dataset, p, model, mapping)
        problems += _typed_views(con, model, sources, mapping)
    except BaseException:
        con.close()
        raise
    if problems:
        con.close()
        raise EngineError(problems)
    return dataset


def _database_sources(con: duckdb.DuckDBPyConnection, p: Path, shown: str, model: Model,
                      mapping: SourceMapping) -> tuple[dict[str, _Source], list[Diagnostic]]:
    """ATTACH a .duckdb file read-only (as a DuckDB file only: never another format through an extension),
    lock the connection down, and find each entity's table or view."""
    attach = exp.Attach(this=exp.alias_(exp.Literal.string(str(p.resolve())), SOURCE),
                        expressions=[exp.AttachOption(this=exp.var("READ_ONLY")),
                                     exp.AttachOption(this=exp.var("TYPE"), expression=exp.var("DUCKDB"))])
    try:
        con.execute(attach.sql("duckdb"))
    except duckdb.Error as exc:
        raise _error(shown, "E_DATA_OPEN", f"cannot open {shown} as a DuckDB database: "
                     f"{str(exc).splitlines()[0]}",
                     "pass a .duckdb file written by DuckDB, or a folder of Parquet/CSV files") from None
    lock_down(con)  # before any view stored in the dataset is bound
    listing = exp.select("schema_name", "table_name").from_("duckdb_tables()").where(
        exp.column("database_name").eq(exp.Literal.string(SOURCE))).union(
        exp.select("schema_name", "view_name").from_("duckdb_views()").where(
            exp.column("database_name").eq(exp.Literal.string(SOURCE))))
    tables: dict[str, tuple[str, str]] = {}
    for schema, name in sorted(con.execute(listing.sql("duckdb")).fetchall(), key=lambda r: r[0] != "main"):
        tables.setdefault(name.lower(), (schema, name))
    sources, problems = {}, []
    for entity_name in model.entities:
        wanted = mapping.table(entity_name)
        if wanted.lower() in tables:
            schema, name = tables[wanted.lower()]
            table = exp.Table(this=exp.to_identifier(name, quoted=True), db=exp.to_identifier(schema, quoted=True),
                              catalog=exp.to_identifier(SOURCE, quoted=True))
            sources[entity_name] = _Source(table, name, f"{shown}:{name}")
        else:
            hint = "name tables after the model's entities, or map them with --mapping"
            if "." in wanted:
                hint += "; a mapping names a table alone, without its schema (main is searched first)"
            problems.append(Diagnostic(Position(f"{shown}:{wanted}"), "E_DATA_MISSING_TABLE",
                                       f"the dataset has no table '{wanted}' for entity '{entity_name}'", hint))
    return sources, problems


def _folder_sources(dataset: Dataset, p: Path, model: Model,
                    mapping: SourceMapping) -> tuple[dict[str, _Source], list[Diagnostic]]:
    """Each entity's `<name>.parquet` (read in place) or `<name>.csv` (read into memory) in the folder, read
    exactly as named; then the connection is locked down to reading those Parquet files only."""
    con, shown = dataset.connection, dataset.description
    folder = p.resolve()
    sources, problems, allowed = {}, [], []
    for entity in model.entities.values():
        stem = mapping.table(entity.name)
        parquet, csv = folder / f"{stem}.parquet", folder / f"{stem}.csv"
        raw = f"raw_{entity.name}"
        written: list[str] | None = None
        try:
            if parquet.is_file():
                where = str(p / parquet.name)
                literal = literal_path(parquet)
                rel = con.read_parquet(literal)
                rel.create_view(raw)
                dataset._keep.append(rel)
                written = _parquet_columns(con, literal)
                allowed += [literal, str(parquet)]
            elif csv.is_file():
                where = str(p / csv.name)
                written = _read_csv(con, csv, where, raw, entity, mapping)
            else:
                problems.append(Diagnostic(Position(str(p / (stem + ".parquet"))), "E_DATA_MISSING_TABLE",
                                           f"the dataset has no table '{stem}' for entity '{entity.name}'",
                                           f"add {stem}.parquet or {stem}.csv to {shown}, "
                                           "or map it with --mapping"))
                continue
        except EngineError as exc:
            problems += exc.diagnostics
            continue
        except duckdb.Error as exc:
            problems.append(Diagnostic(Position(where), "E_DATA_READ",
                                       f"cannot read table '{entity.name}': {str(exc).splitlines()[0]}",
                                       "check the file's columns and types against the data model"))
            continue
        sources[entity.name] = _Source(exp.Table(this=exp.to_identifier(raw, quoted=True)), stem, where, written)
    lock_down(con, allowed)
    return sources, problems


def _parquet_columns(con: duckdb.DuckDBPyConnection, literal: str) -> list[str]:
    """The top-level column names of a Parquet file as written (DuckDB renames `kon` beside `KON` to `kon_1`)."""
    rows = con.execute("SELECT name, num_children FROM parquet_schema($1)", [literal]).fetchall()

    def after(i: int) -> int:  # the index after the schema element at i and its children
        children = rows[i][1] or 0
        i += 1
        for _ in range(children):
            i = after(i)
        return i
    names, i = [], 1
    for _ in range(rows[0][1] or 0):
        names.append(rows[i][0])
        i = after(i)
    return names


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_ORIGINAL = re.compile(r"^Original Line: (.*)$", re.M)
_CSV_CONVERT = re.compile(r'converting column "(.*?)"\. Could not convert string "(.*?)" to \'(\w+)\'')


def _read_csv(con: duckdb.DuckDBPyConnection, csv: Path, where: str, raw: str, entity: Entity,
              mapping: SourceMapping) -> list[str]:
    """Read a CSV file into the in-memory table `raw`: the model's columns with the model's types, dates only
    as YYYY-MM-DD (no format is guessed); a value that does not convert is an error at its line. Returns the
    header's column names as written."""
    literal = literal_path(csv)
    first = con.execute(exp.select("*").from_(_read_csv_call(header=False, all_varchar=True)).limit(1)
                        .sql("duckdb"), [literal]).fetchall()
    written = ["" if n is None else str(n) for n in first[0]] if first else []
    counts: dict[str, int] = {}
    for name in written:
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    wanted = {mapping.column(entity.name, c.name).lower(): DUCKDB_TYPES[c.type] for c in entity.columns.values()}
    types = {n: wanted[n.lower()] for n in written if n.lower() in wanted and counts[n.lower()] == 1}
    try:
        options: dict[str, object] = {"header": True, "dateformat": exp.Placeholder(this="2")}
        if types:
            options["types"] = exp.Placeholder(this="3")
        create = exp.Create(this=exp.to_table(raw), kind="TABLE",
                            expression=exp.select("*").from_(_read_csv_call(**options)))
        con.execute(create.sql("duckdb"), [literal, DATE_FORMAT, *([types] if types else [])])
    except duckdb.Error as exc:
        text = str(exc)
        line = _CSV_LINE.search(text)
        if line is None:
            raise
        original = _CSV_ORIGINAL.search(text)
        convert = _CSV_CONVERT.search(text)
        if convert is None:
            detail = [s for s in text.splitlines()[1:] if s.strip() and not s.startswith("Original Line")]
            raise EngineError([Diagnostic(Position(where, int(line.group(1)), 1), "E_DATA_READ",
                                          f"cannot read table '{entity.name}': {(detail or [text])[0]}",
                                          "check the file's rows against the data model")]) from None
        column, value, target = convert.groups()
        col = original.group(1).find(value) + 1 if original and value else 0
        if target == "DATE":
            message = f"'{value}' in column '{column}' is not a date written YYYY-MM-DD"
            hint = "write dates as YYYY-MM-DD (ISO 8601); other forms such as 01/02/2018 are ambiguous and not guessed"
        else:
            message = f"'{value}' in column '{column}' is not a {target}"
            hint = "check the file's values against the data model's column types"
        raise EngineError([Diagnostic(Position(where, int(line.group(1)), max(col, 1)), "E_DATA_VALUE",
                                      message, hint)]) from None
    _strict_integers(con, literal, where, types)
    return written


def _read_csv_call(**options: object) -> exp.Expr:
    """read_csv($1, option = value, ...): the file's path is always parameter $1, never SQL text."""
    args: list[exp.Expr] = [exp.Placeholder(this="1")]
    for name, value in options.items():
        value_tree = value if isinstance(value, exp.Expr) else exp.convert(value)
        args.append(exp.EQ(this=exp.column(name), expression=value_tree))
    return exp.Anonymous(this="read_csv", expressions=args)


def _strict_integers(con: duckdb.DuckDBPyConnection, literal: str, where: str, types: dict[str, str]) -> None:
    """DuckDB's CSV reader converts '680.4', '0xD4' and '1_308' to integers without a word (680, 212, 1308):
    a key read that way joins the wrong rows. Integer cells must be written as plain digits."""
    for name, dtype in types.items():
        if dtype not in ("INTEGER", "BIGINT"):
            continue
        cells = (exp.select(exp.alias_(exp.Window(this=exp.RowNumber()), "n"),
                            exp.alias_(exp.column(exp.to_identifier(name, quoted=True)), "v"))
                 .from_(_read_csv_call(header=True, all_varchar=True)).subquery("cells"))
        digits = exp.func("regexp_full_match", exp.func("trim", exp.column("v")), exp.Literal.string("[+-]?[0-9]+"),
                          dialect="duckdb")
        query = (exp.select("n", "v").from_(cells).where(exp.column("v").is_(exp.null()).not_())
                 .where(exp.not_(digits)).order_by("n").limit(1))
        bad = con.execute(query.sql("duckdb"), [literal]).fetchall()
        if bad:
            line, value = bad[0]
            raise EngineError([Diagnostic(Position(where, int(line) + 1, 1), "E_DATA_VALUE",
                                          f"'{value}' in column '{name}' is not a whole number written in digits",
                                          "write integers as plain digits (1308); a decimal, hexadecimal or "
                                          "grouped number is not converted by guesswork")])


def _unreadable(source: _Source, entity: str, exc: duckdb.Error) -> Diagnostic:
    """A table or stored view of the dataset that cannot be read."""
    text = str(exc).splitlines()[0]
    if isinstance(exc, duckdb.PermissionException) or "extension" in text.lower():
        return Diagnostic(Position(source.where), "E_DATA_EXTERNAL",
                          f"table '{source.name}' reads outside the dataset: {text}",
                          "a view stored in a dataset may read only the dataset's own tables; files, URLs and "
                          "extensions are refused: store the data as a table in the dataset")
    return Diagnostic(Position(source.where), "E_DATA_READ", f"cannot read table '{source.name}' for entity "
                      f"'{entity}': {text}",
                      "if it is a view, it may use a table or column that no longer exists: recreate it, or store "
                      "the data as a table")


def _typed_views(con: duckdb.DuckDBPyConnection, model: Model, sources: dict[str, _Source],
                 mapping: SourceMapping) -> list[Diagnostic]:
    """CREATE VIEW <entity> AS SELECT CAST(col AS model type) ... for every entity; type problems."""
    problems = []
    for name, source in sources.items():
        entity = model.entities[name]
        try:
            rel = con.sql(exp.select("*").from_(source.table.copy()).sql("duckdb"))
            stored = [(c, str(t).upper().split("(")[0]) for c, t in zip(rel.columns, rel.types, strict=True)]
        except duckdb.Error as exc:
            problems.append(_unreadable(source, name, exc))
            continue
        found: dict[str, tuple[str, str]] = {}
        for column, kind in stored:
            found.setdefault(column.lower(), (column, kind))
        spellings: dict[str, list[str]] = {}
        for column in source.written if source.written is not None else [c for c, _ in stored]:
            spellings.setdefault(column.lower(), []).append(column)
        where = Position(source.where)
        before = len(problems)
        columns, wide = [], []
        for col in entity.columns.values():
            source_name = mapping.column(name, col.name)
            same = spellings.get(source_name.lower(), [])
            if len(same) > 1:
                problems.append(Diagnostic(where, "E_DATA_COLUMN_CASE",
                                           f"table '{source.name}' has columns {' and '.join(map(repr, same))}, "
                                           f"which differ only in case: which is {name}.{col.name} is not guessed",
                                           "rename or drop all but one of them (column names are matched "
                                           "without regard to case)"))
                continue
            if source_name.lower() not in found:
                problems.append(Diagnostic(where, "E_DATA_MISSING_COLUMN",
                                           f"table '{source.name}' has no column '{source_name}'",
                                           f"expected a {col.type} column '{source_name}' "
                                           f"(model column {name}.{col.name}); map other names with --mapping"))
                continue
            column, kind = found[source_name.lower()]
            problem = stored_type_problem(where, f"{name}.{col.name}", kind, col.type, kind in ZONED,
                                          kind in COMPATIBLE[col.type], DUCKDB_TYPES[col.type],
                                          f"store the calendar day as DATE, e.g. CAST({column} AT TIME ZONE "
                                          "'Europe/Stockholm' AS DATE) when the extract is written")
            if problem is not None:
                problems.append(problem)
            else:
                if col.type in ("bigint", "integer") and not _always_fits(kind, col.type):
                    wide.append((col, column, kind))
                columns.append(exp.cast(exp.column(column, quoted=True), DUCKDB_TYPES[col.type]).as_(col.name))
        if len(problems) > before:
            continue
        if wide:
            try:
                problems += _out_of_range(con, name, source, wide)
            except duckdb.Error as exc:
                problems.append(_unreadable(source, name, exc))
            if len(problems) > before:
                continue
        view = exp.Create(this=exp.to_table(name), kind="VIEW",
                          expression=exp.select(*columns).from_(source.table.copy()))
        con.execute(view.sql("duckdb"))
    return problems


def _always_fits(stored: str, model_type: str) -> bool:
    low, high = INTEGER_RANGES[stored]
    model_low, model_high = INTEGER_RANGES[DUCKDB_TYPES[model_type]]
    return model_low <= low and high <= model_high


def _out_of_range(con: duckdb.DuckDBPyConnection, name: str, source: _Source, wide: list) -> list[Diagnostic]:
    """Integer columns stored in a wider type than the model's whose values do not all fit it."""
    bounds = []
    for _, column, _ in wide:
        bounds += [exp.Min(this=exp.column(column, quoted=True)), exp.Max(this=exp.column(column, quoted=True))]
    row = con.execute(exp.select(*bounds).from_(source.table.copy()).sql("duckdb")).fetchone()
    assert row is not None  # an aggregate without GROUP BY gives one row
    problems = []
    for i, (col, column, kind) in enumerate(wide):
        low, high = INTEGER_RANGES[DUCKDB_TYPES[col.type]]
        bad = [v for v in row[2 * i: 2 * i + 2] if v is not None and not low <= v <= high]
        if bad:
            problems.append(Diagnostic(Position(source.where), "E_DATA_RANGE",
                                       f"column {name}.{col.name} ('{column}') is {kind} and holds {bad[0]}, "
                                       f"outside the model's {col.type} ({low} to {high})",
                                       f"store it as {DUCKDB_TYPES[col.type]} with values that fit"))
    return problems


def _yaml_dataset(path: Path, model: Model, resources: Resources | None = None) -> Dataset:
    """The `inputs:` of a golden fixture as a small in-memory dataset (demos, reviews)."""
    diags = Diagnostics()
    doc = load_file(path, diags)
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("inputs"), dict):
        diags.error(Position(str(path)), "E_DATA_OPEN", f"{path} has no 'inputs:' mapping of tables to rows",
                    "a YAML dataset is a golden fixture file (see fixtures/README.md)")
        raise EngineError(diags.items)
    check_inputs(doc, model, diags)
    diags.raise_if_errors()
    con = connect()
    try:
        apply_resources(con, resources)
    except BaseException:
        con.close()
        raise
    try:
        load_tables(con, model, doc.data["inputs"])
    except duckdb.Error as exc:
        con.close()
        raise _error(str(path), "E_DATA_VALUE", f"cannot load the rows of {path}: {str(exc).splitlines()[0]}",
                     "check the rows' columns and values against the data model") from None
    lock_down(con)
    return Dataset(con, str(path))


def memory_dataset(model: Model, inputs: dict[str, list[dict]], description: str,
                   resources: Resources | None = None) -> Dataset:
    """Rows given as dicts (a golden fixture's inputs) as an in-memory, locked-down DuckDB dataset."""
    con = connect()
    try:
        apply_resources(con, resources)
        load_tables(con, model, inputs)
    except duckdb.Error as exc:
        con.close()
        raise _error(description, "E_DATA_VALUE", f"cannot load the rows: {str(exc).splitlines()[0]}",
                     "check each value against its column's type") from None
    except BaseException:
        con.close()
        raise
    lock_down(con)
    return Dataset(con, description)


def check_inputs(doc, model: Model, diags: Diagnostics) -> None:
    """`inputs:` of a YAML dataset: known tables, lists of rows, known columns, dates that are dates."""
    import datetime as dt
    for table, rows in doc.data["inputs"].items():
        if table not in model.entities:
            diags.error(doc.key_pos(("inputs", table)), "E_UNKNOWN_ENTITY", f"unknown table '{table}'",
                        did_you_mean(table, model.entities))
            continue
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            diags.error(doc.pos(("inputs", table)), "E_SCHEMA", f"'{table}' must be a list of rows "
                        "(mappings of column: value)", "e.g. - {person_id: 1, kon: K, fodelsear: 1980}")
            continue
        columns = model.entities[table].columns
        for i, row in enumerate(rows):
            for col, value in row.items():
                if col not in columns:
                    diags.error(doc.key_pos(("inputs", table, i, col)), "E_UNKNOWN_COLUMN",
                                f"table '{table}' has no column '{col}'", did_you_mean(col, columns))
                elif isinstance(value, (dict, list)):
                    diags.error(doc.pos(("inputs", table, i, col)), "E_DATA_VALUE",
                                f"{table}.{col} must be a single value")
                elif columns[col].type == "date" and value is not None:
                    try:
                        row[col] = dt.date.fromisoformat(str(value))
                    except ValueError:
                        diags.error(doc.pos(("inputs", table, i, col)), "E_DATA_VALUE",
                                    f"'{value}' is not a date", "write dates as YYYY-MM-DD")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "is_integer") and not isinstance(value, float):  # Decimal
        return float(value)
    return value


def rows_from_result(bound: BoundIndicator, period: Period, columns: list[str], records: list[tuple]) -> list[dict]:
    """Turn grouping-sets rows into the public row shape, total first, then each breakdown.

    `persons` is the number of distinct persons behind the row; a share's `numerator_persons` and
    `rest_persons` those behind its numerator and the rest of its denominator (None for other measures).
    Without a person (the unit entity has no path to one) they are the units: n, the numerator, the rest."""
    marginal = {b.name: b for b in bound.breakdowns}
    every = dict(marginal)
    for pair in bound.crosses:
        for b in pair:
            every.setdefault(b.name, b)
    groups: dict[tuple[str, ...], list[dict]] = {(d,): [] for d in marginal}
    groups.update({(a.name, b.name): [] for a, b in bound.crosses})
    out_total = []
    idx = {c: i for i, c in enumerate(columns)}
    for rec in records:
        row = {
            "indicator": bound.id, "period": period.label, "breakdown": {},
            "value": _clean(rec[idx["value"]]),
            "numerator": _clean(rec[idx["numerator"]]),
            "denominator": _clean(rec[idx["denominator"]]),
            "n": int(rec[idx["n"]]),
        }
        if bound.measure.kind in ("count", "count_distinct") and row["value"] is None:
            row["value"] = 0
        if bound.measure.kind == "share":
            row["numerator"] = int(row["numerator"] or 0)
            row["denominator"] = int(row["denominator"] or 0)
        share = bound.measure.kind == "share"
        row["persons"] = int(rec[idx["persons"]]) if "persons" in idx else row["n"]
        row["numerator_persons"] = (int(rec[idx["numerator_persons"]]) if "numerator_persons" in idx
                                    else row["numerator"]) if share else None
        row["rest_persons"] = (int(rec[idx["rest_persons"]]) if "rest_persons" in idx
                               else row["denominator"] - row["numerator"]) if share else None
        grouped = tuple(d for d in every if rec[idx[f"grouping_{d}"]] == 0)
        if not grouped:
            out_total.append(row)
            continue
        key = grouped if grouped in groups else tuple(reversed(grouped))
        for d in key:
            value = rec[idx[DIM + d]]
            row["breakdown"][d] = value if value is None or isinstance(value, str) else str(value)
        groups[key].append(row)

    def order(row, key):  # the model's declared order first, then alphabetical, NULL last
        result = []
        for d in key:
            column = every[d].column
            declared = list(column.values or []) if column is not None else []
            value = row["breakdown"][d]
            result.append((value is None, declared.index(value) if value in declared else len(declared), value or ""))
        return result
    result = out_total
    for key, rows in groups.items():
        result += sorted(rows, key=partial(order, key=key))
    return result


def run_indicator(dataset: Backend, bound: BoundIndicator, period: Period) -> list[dict]:
    """One indicator for one period on an open dataset of any backend."""
    tree = build_query(plan_query(bound, period), dataset.dialect)
    try:
        result = dataset.query(tree)
    except QueryFailed as exc:
        raise _error(dataset.description, "E_DATA_QUERY", f"indicator {bound.id} failed on the dataset: {exc}",
                     "check that the data follows the data model (types, values)") from None
    return rows_from_result(bound, period, result.columns, result.rows)


def load_tables(con: duckdb.DuckDBPyConnection, model: Model, tables: dict[str, list[dict]]) -> None:
    """Create every entity's table in `con` and insert rows given as dicts (fixtures, tests)."""
    for entity in model.entities.values():
        schema = exp.Schema(this=exp.to_table(entity.name), expressions=[
            exp.ColumnDef(this=exp.to_identifier(c.name), kind=exp.DataType.build(DUCKDB_TYPES[c.type]))
            for c in entity.columns.values()])
        con.execute(exp.Create(this=schema, kind="TABLE").sql("duckdb"))
        rows = tables.get(entity.name) or []
        if not rows:
            continue
        names = list(entity.columns)
        insert = exp.Insert(this=exp.Schema(this=exp.to_table(entity.name),
                                            expressions=[exp.to_identifier(n) for n in names]),
                            expression=exp.Values(
                                expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in names])]))
        con.executemany(insert.sql("duckdb"), [[row.get(n) for n in names] for row in rows])
