"""Stage 6, execute: run compiled queries on a backend and return rows of the JSON shape.

The default backend is DuckDB. A dataset is a `.duckdb` file (ATTACHed read-only), a
folder of Parquet or CSV files named after the entities, or a fixture's YAML inputs; it
is exposed as views with the model's types, and nothing is ever written to it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from .diagnostics import Diagnostic, Diagnostics, EngineError, Position, did_you_mean
from .load import load_file
from .model import Model
from .periods import Period
from .plan import DIM, plan_query
from .render import render_sql
from .resolve import BoundIndicator
from .validate import validate_schema

DUCKDB_TYPES = {"bigint": "BIGINT", "integer": "INTEGER", "double": "DOUBLE", "varchar": "VARCHAR",
                "date": "DATE", "boolean": "BOOLEAN"}
_INTEGERS = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT",
             "UHUGEINT"}
# Stored types a model type can be read from (each is CAST to the model's type in a view).
COMPATIBLE = {
    "bigint": _INTEGERS,
    "integer": _INTEGERS,
    "double": {"DOUBLE", "FLOAT", "REAL", "DECIMAL"} | _INTEGERS,
    "varchar": {"VARCHAR"},
    "date": {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE"},
    "boolean": {"BOOLEAN"},
}
SOURCE = "src"  # the attached database of a .duckdb dataset


def _error(path: str, code: str, message: str, hint: str = "") -> EngineError:
    return EngineError([Diagnostic(Position(path), code, message, hint)])


@dataclass
class Dataset:
    """An in-memory DuckDB connection whose views, named after the entities, have the model's types."""
    connection: duckdb.DuckDBPyConnection
    description: str
    _keep: list = field(default_factory=list)

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


def load_mapping(path: str | Path, model: Model) -> SourceMapping:
    """Read and check a source mapping file (schema: engine/schemas/mapping.schema.json)."""
    diags = Diagnostics()
    doc = load_file(Path(path), diags, str(path))
    if doc is not None and validate_schema(doc, "mapping", diags):
        for entity, spec in doc.data["tables"].items():
            if entity not in model.entities:
                diags.error(doc.key_pos(("tables", entity)), "E_UNKNOWN_ENTITY", f"unknown entity '{entity}'",
                            did_you_mean(entity, model.entities))
                continue
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


def open_dataset(path: str | Path, model: Model, mapping: SourceMapping | None = None) -> Dataset:
    """Open a dataset read-only and expose it as typed views, after checking tables, columns and types.

    A `.duckdb` file is ATTACHed READ_ONLY, a folder's Parquet or CSV files are read in
    place, a fixture YAML file's `inputs:` are loaded into memory; nothing is ever written
    to the dataset.
    """
    p = Path(path)
    shown = str(path)
    if not p.exists():
        raise _error(shown, "E_DATA_NOT_FOUND", f"no such dataset: {shown}",
                     "pass a .duckdb file or a folder of <entity>.parquet / <entity>.csv files")
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        return _yaml_dataset(p, model)
    mapping = mapping or SourceMapping()
    con = duckdb.connect(":memory:")
    dataset = Dataset(con, shown)
    raw: dict[str, str] = {}  # entity -> qualified raw table or view
    problems: list[Diagnostic] = []
    if p.is_file():
        attach = exp.Attach(this=exp.alias_(exp.Literal.string(str(p.resolve())), SOURCE),
                            expressions=[exp.AttachOption(this=exp.var("READ_ONLY"))])
        try:
            con.execute(attach.sql("duckdb"))
        except duckdb.Error as exc:
            con.close()
            raise _error(shown, "E_DATA_OPEN", f"cannot open {shown} as a DuckDB database: "
                         f"{str(exc).splitlines()[0]}",
                         "pass a .duckdb file written by DuckDB, or a folder of Parquet/CSV files") from None
        listing = exp.select("schema_name", "table_name").from_("duckdb_tables()").where(
            exp.column("database_name").eq(exp.Literal.string(SOURCE))).union(
            exp.select("schema_name", "view_name").from_("duckdb_views()").where(
                exp.column("database_name").eq(exp.Literal.string(SOURCE))))
        tables: dict[str, str] = {}
        for schema, name in sorted(con.execute(listing.sql("duckdb")).fetchall(), key=lambda r: r[0] != "main"):
            tables.setdefault(name.lower(), f"{schema}.{name}")
        for entity_name in model.entities:
            wanted = mapping.table(entity_name)
            if wanted.lower() in tables:
                raw[entity_name] = f"{SOURCE}.{tables[wanted.lower()]}"
            else:
                problems.append(Diagnostic(Position(f"{shown}:{wanted}"), "E_DATA_MISSING_TABLE",
                                           f"the dataset has no table '{wanted}' for entity '{entity_name}'",
                                           "name tables after the model's entities, or map them with --mapping"))
    else:
        for entity in model.entities.values():
            stem = mapping.table(entity.name)
            parquet, csv = p / f"{stem}.parquet", p / f"{stem}.csv"
            try:
                if parquet.exists():
                    rel = con.read_parquet(str(parquet))
                elif csv.exists():
                    types = {mapping.column(entity.name, c.name): DUCKDB_TYPES[c.type] for c in entity.columns.values()}
                    rel = con.read_csv(str(csv), header=True, dtype=types)
                else:
                    problems.append(Diagnostic(Position(str(p / (stem + ".parquet"))), "E_DATA_MISSING_TABLE",
                                               f"the dataset has no table '{stem}' for entity '{entity.name}'",
                                               f"add {stem}.parquet or {stem}.csv to {shown}, "
                                               "or map it with --mapping"))
                    continue
                rel.create_view(f"raw_{entity.name}")
                dataset._keep.append(rel)
                raw[entity.name] = f"raw_{entity.name}"
            except duckdb.Error as exc:
                problems.append(Diagnostic(Position(str(parquet if parquet.exists() else csv)), "E_DATA_READ",
                                           f"cannot read table '{entity.name}': {str(exc).splitlines()[0]}",
                                           "check the file's columns and types against the data model"))
    problems += _typed_views(con, model, raw, shown, mapping)
    if problems:
        con.close()
        raise EngineError(problems)
    return dataset


def _typed_views(con: duckdb.DuckDBPyConnection, model: Model, raw: dict[str, str], shown: str,
                 mapping: SourceMapping) -> list[Diagnostic]:
    """CREATE VIEW <entity> AS SELECT CAST(col AS model type) ... for every entity; type problems."""
    problems = []
    for name, source in raw.items():
        entity = model.entities[name]
        rel = con.table(".".join(f'"{p}"' if i else p for i, p in enumerate(source.split("."))))
        found = {c.lower(): (c, str(t).upper().split("(")[0]) for c, t in zip(rel.columns, rel.types, strict=True)}
        where = f"{shown}:{name}"
        columns = []
        for col in entity.columns.values():
            source_name = mapping.column(name, col.name)
            stored = found.get(source_name.lower())
            if stored is None:
                problems.append(Diagnostic(Position(where), "E_DATA_MISSING_COLUMN",
                                           f"table '{source.split('.')[-1]}' has no column '{source_name}'",
                                           f"expected a {col.type} column '{source_name}' "
                                           f"(model column {name}.{col.name}); map other names with --mapping"))
            elif stored[1] not in COMPATIBLE[col.type]:
                problems.append(Diagnostic(Position(where), "E_DATA_TYPE",
                                           f"column {name}.{col.name} is {stored[1]}, the model says {col.type}",
                                           f"store it as {DUCKDB_TYPES[col.type]}"))
            else:
                columns.append(exp.cast(exp.column(stored[0], quoted=True), DUCKDB_TYPES[col.type]).as_(col.name))
        if len(columns) == len(entity.columns):
            parts = source.split(".")
            table = exp.Table(this=exp.to_identifier(parts[-1], quoted=True),
                              db=exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None,
                              catalog=exp.to_identifier(parts[-3]) if len(parts) > 2 else None)
            view = exp.Create(this=exp.to_table(name), kind="VIEW", expression=exp.select(*columns).from_(table))
            con.execute(view.sql("duckdb"))
    return problems


def _yaml_dataset(path: Path, model: Model) -> Dataset:
    """The `inputs:` of a golden fixture as a small in-memory dataset (demos, reviews)."""
    diags = Diagnostics()
    doc = load_file(path, diags)
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("inputs"), dict):
        diags.error(Position(str(path)), "E_DATA_OPEN", f"{path} has no 'inputs:' mapping of tables to rows",
                    "a YAML dataset is a golden fixture file (see fixtures/README.md)")
        raise EngineError(diags.items)
    check_inputs(doc, model, diags)
    diags.raise_if_errors()
    con = duckdb.connect(":memory:")
    try:
        load_tables(con, model, doc.data["inputs"])
    except duckdb.Error as exc:
        con.close()
        raise _error(str(path), "E_DATA_VALUE", f"cannot load the rows of {path}: {str(exc).splitlines()[0]}",
                     "check the rows' columns and values against the data model") from None
    return Dataset(con, str(path))


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
    """Turn grouping-sets rows into the public row shape, total first, then each breakdown."""
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


def run_indicator(dataset: Dataset, bound: BoundIndicator, period: Period) -> list[dict]:
    sql = render_sql(plan_query(bound, period), "duckdb", pretty=False)
    try:
        cursor = dataset.connection.execute(sql)
    except duckdb.Error as exc:
        raise _error(dataset.description, "E_DATA_QUERY",
                     f"indicator {bound.id} failed on the dataset: {str(exc).splitlines()[0]}",
                     "check that the data follows the data model (types, values)") from None
    columns = [d[0] for d in cursor.description]
    return rows_from_result(bound, period, columns, cursor.fetchall())


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
