"""Stage 6, execute: run compiled queries on a backend and return rows of the JSON shape.

The default backend is DuckDB. A dataset is a `.duckdb` file (opened read-only) or a
folder of Parquet or CSV files named after the entities; nothing is ever written to it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from .diagnostics import Diagnostic, EngineError, Position
from .model import Model
from .periods import Period
from .plan import plan_query
from .render import render_sql
from .resolve import BoundIndicator

DUCKDB_TYPES = {"bigint": "BIGINT", "integer": "INTEGER", "double": "DOUBLE", "varchar": "VARCHAR",
                "date": "DATE", "boolean": "BOOLEAN"}
COMPATIBLE = {
    "bigint": {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"},
    "integer": {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"},
    "double": {"DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "DECIMAL"},
    "varchar": {"VARCHAR"},
    "date": {"DATE"},
    "boolean": {"BOOLEAN"},
}


def _error(path: str, code: str, message: str, hint: str = "") -> EngineError:
    return EngineError([Diagnostic(Position(path), code, message, hint)])


@dataclass
class Dataset:
    """An open DuckDB connection whose tables (or views) are named after the entities."""
    connection: duckdb.DuckDBPyConnection
    description: str
    _keep: list = field(default_factory=list)

    def close(self) -> None:
        self.connection.close()


def open_dataset(path: str | Path, model: Model) -> Dataset:
    """Open a dataset read-only and check it has the model's tables and columns."""
    p = Path(path)
    shown = str(path)
    if not p.exists():
        raise _error(shown, "E_DATA_NOT_FOUND", f"no such dataset: {shown}",
                     "pass a .duckdb file or a folder of <entity>.parquet / <entity>.csv files")
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        dataset = _yaml_dataset(p, model)
    elif p.is_file():
        try:
            con = duckdb.connect(str(p), read_only=True)
        except duckdb.Error as exc:
            raise _error(shown, "E_DATA_OPEN", f"cannot open {shown} as a DuckDB database: {exc}",
                         "pass a .duckdb file written by DuckDB, or a folder of Parquet/CSV files") from None
        dataset = Dataset(con, shown)
    else:
        con = duckdb.connect(":memory:")
        dataset = Dataset(con, shown)
        problems = []
        for entity in model.entities.values():
            parquet, csv = p / f"{entity.name}.parquet", p / f"{entity.name}.csv"
            try:
                if parquet.exists():
                    rel = con.read_parquet(str(parquet))
                elif csv.exists():
                    types = {c.name: DUCKDB_TYPES[c.type] for c in entity.columns.values()}
                    rel = con.read_csv(str(csv), header=True, dtype=types)
                else:
                    problems.append(Diagnostic(Position(str(p / (entity.name + '.parquet'))), "E_DATA_MISSING_TABLE",
                                               f"the dataset has no table '{entity.name}'",
                                               f"add {entity.name}.parquet or {entity.name}.csv to {shown}"))
                    continue
                rel.create_view(entity.name)
                dataset._keep.append(rel)
            except duckdb.Error as exc:
                problems.append(Diagnostic(Position(str(parquet if parquet.exists() else csv)), "E_DATA_READ",
                                           f"cannot read table '{entity.name}': {str(exc).splitlines()[0]}",
                                           "check the file's columns and types against the data model"))
        if problems:
            con.close()
            raise EngineError(problems)
    check_dataset(dataset, model)
    return dataset


def _yaml_dataset(path: Path, model: Model) -> Dataset:
    """The `inputs:` of a golden fixture as a small in-memory dataset (demos, reviews)."""
    from .diagnostics import Diagnostics
    from .load import load_file
    diags = Diagnostics()
    doc = load_file(path, diags)
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("inputs"), dict):
        diags.error(Position(str(path)), "E_DATA_OPEN", f"{path} has no 'inputs:' mapping of tables to rows",
                    "a YAML dataset is a golden fixture file (see fixtures/README.md)")
        raise EngineError(diags.items)
    con = duckdb.connect(":memory:")
    try:
        load_tables(con, model, doc.data["inputs"])
    except duckdb.Error as exc:
        con.close()
        raise _error(str(path), "E_DATA_VALUE", f"cannot load the rows of {path}: {str(exc).splitlines()[0]}",
                     "check the rows' columns and values against the data model") from None
    return Dataset(con, str(path))


def check_dataset(dataset: Dataset, model: Model) -> None:
    """Every entity a table, every model column present with a compatible type."""
    con = dataset.connection
    found: dict[str, dict[str, str]] = {}
    for entity in model.entities.values():
        try:
            rel = con.table(entity.name)
        except duckdb.Error:
            continue
        found[entity.name] = {c.lower(): str(t).upper().split("(")[0] for c, t in zip(rel.columns, rel.types)}
    problems = []
    for entity in model.entities.values():
        table = found.get(entity.name)
        where = f"{dataset.description}:{entity.name}"
        if table is None:
            problems.append(Diagnostic(Position(where), "E_DATA_MISSING_TABLE",
                                       f"the dataset has no table '{entity.name}'",
                                       "tables must be named after the model's entities"))
            continue
        for col in entity.columns.values():
            dtype = table.get(col.name)
            if dtype is None:
                problems.append(Diagnostic(Position(where), "E_DATA_MISSING_COLUMN",
                                           f"table '{entity.name}' has no column '{col.name}'",
                                           f"expected a {col.type} column '{col.name}'"))
            elif dtype not in COMPATIBLE[col.type]:
                problems.append(Diagnostic(Position(where), "E_DATA_TYPE",
                                           f"column {entity.name}.{col.name} is {dtype}, the model says {col.type}",
                                           f"store it as {DUCKDB_TYPES[col.type]}"))
    if problems:
        raise EngineError(problems)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "is_integer") and not isinstance(value, float):  # Decimal
        return float(value)
    return value


def rows_from_result(bound: BoundIndicator, period: Period, columns: list[str], records: list[tuple]) -> list[dict]:
    """Turn grouping-sets rows into the public row shape, total first, then each breakdown."""
    dims = [b.name for b in bound.breakdowns]
    out_total, out_dims = [], {d: [] for d in dims}
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
        grouped = [d for d in dims if rec[idx[f"grouping_{d}"]] == 0]
        if not grouped:
            out_total.append(row)
        else:
            d = grouped[0]
            value = rec[idx[d]]
            row["breakdown"] = {d: value if value is None or isinstance(value, str) else str(value)}
            out_dims[d].append(row)
    result = out_total
    for d in dims:
        result += sorted(out_dims[d], key=lambda r: (r["breakdown"][d] is None, r["breakdown"][d] or ""))
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


def load_tables(con: duckdb.DuckDBPyConnection, model: Model, tables: dict[str, list[dict]], where: str = "") -> None:
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
                            expression=exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in names])]))
        con.executemany(insert.sql("duckdb"), [[row.get(n) for n in names] for row in rows])
