"""The execution seam: what every backend (DuckDB, Spark, PostgreSQL) offers the engine.

A backend opens a dataset that follows the data model and exposes each entity under its
own name with the model's types; after that the engine only hands it sqlglot trees
(`Backend.query`) and reads back column names and rows. Nothing above this seam knows
which engine computed a number, so every command runs on each of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlglot import exp

from ..diagnostics import Diagnostic, EngineError, Position

ENGINES = ("duckdb", "spark", "postgres")
DEFAULT_ENGINE = "duckdb"
EXTRAS = {"spark": ("pyspark", "spark"), "postgres": ("psycopg", "postgres")}  # engine: (module, pip extra)


class QueryFailed(Exception):
    """A query the backend could not run; the message is the engine's own first line."""


@dataclass(frozen=True)
class EngineOptions:
    """Which engine computes, and how to reach it (`--engine`, `--spark-master`, `--spark-remote`,
    `--statement-timeout`)."""
    engine: str = DEFAULT_ENGINE
    spark_master: str | None = None          # e.g. local[2] or spark://host:7077; default local[*]
    spark_remote: str | None = None          # Spark Connect: sc://host:15002
    statement_timeout: int | None = None     # PostgreSQL: seconds a query may run (default 3600)


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


class Backend(Protocol):
    """An open dataset on one engine. `query` runs a tree rendered in `dialect`; `close` releases it."""
    dialect: str
    engine: str
    description: str

    def query(self, tree: exp.Expr) -> Result: ...

    def close(self) -> None: ...


@dataclass
class Binding:
    """Where one entity's typed rows come from on an engine without views of ours: a SELECT of the model's
    columns (CAST to the model's types) that `bind_sources` puts in front of every query as a CTE."""
    entity: str
    select: exp.Select


@dataclass
class Bindings:
    entities: dict[str, Binding] = field(default_factory=dict)

    def apply(self, tree: exp.Expr, dialect: str) -> exp.Expr:
        return bind_sources(tree, self.entities, dialect)


MODEL_TYPES = {"bigint": "BIGINT", "integer": "INT", "double": "DOUBLE", "varchar": "VARCHAR", "date": "DATE",
               "boolean": "BOOLEAN"}


def mapped_bindings(model, mapping) -> Bindings:
    """Each entity read from its mapped table and columns, CAST to the model's types (for `compile --mapping`:
    SQL that runs on the dataset's own names, in any dialect)."""
    bindings = Bindings()
    for entity in model.entities.values():
        columns = [exp.cast(exp.column(mapping.column(entity.name, c.name), quoted=True),
                            MODEL_TYPES[c.type]).as_(c.name) for c in entity.columns.values()]
        source = exp.Table(this=exp.to_identifier(mapping.table(entity.name), quoted=True))
        bindings.entities[entity.name] = Binding(entity.name, exp.select(*columns).from_(source))
    return bindings


def bind_sources(tree: exp.Expr, bindings: dict[str, Binding], dialect: str) -> exp.Expr:
    """`tree` with a CTE (NOT MATERIALIZED where the dialect knows it) in front for each entity it reads: the
    query's own `FROM person` then reads the typed, mapped source. Only entities the query names are bound."""
    used = {t.name for t in tree.find_all(exp.Table) if not t.args.get("db") and t.name in bindings}
    if not used:
        return tree
    tree = tree.copy()
    ctes = [exp.CTE(this=bindings[name].select.copy(), alias=exp.TableAlias(this=exp.to_identifier(name)),
                    materialized=False if dialect == "postgres" else None)
            for name in sorted(used)]
    with_ = tree.args.get("with_")
    if with_ is None:
        tree.set("with_", exp.With(expressions=ctes))
    else:
        with_.set("expressions", ctes + list(with_.expressions))
    return tree


MODEL_RANGES = {"integer": (-2**31, 2**31 - 1), "bigint": (-2**63, 2**63 - 1)}


def bounds_query(source: exp.Table, columns: list[str]) -> exp.Select:
    """MIN and MAX of each of `columns` (as stored) of `source`, in one scan: the integer columns stored wider than
    the model's type, whose values must all fit it before the CAST may read them (engine.execute._out_of_range)."""
    bounds: list[exp.Expr] = []
    for column in columns:
        bounds += [exp.Min(this=exp.column(column, quoted=True)), exp.Max(this=exp.column(column, quoted=True))]
    return exp.select(*bounds).from_(source.copy())


def out_of_range(where: str, entity: str, wide: list[tuple[Any, str, str]], row: tuple, store_as: str
                 ) -> list[Diagnostic]:
    """E_DATA_RANGE for each of `wide` ((model column, stored name, stored type)) whose MIN or MAX in `row` (as
    `bounds_query` gives them) does not fit the model's type: a CAST would fail mid-query or, on an engine that
    wraps around, give another number."""
    problems = []
    for i, (col, column, kind) in enumerate(wide):
        low, high = MODEL_RANGES[col.type]
        bad = [v for v in row[2 * i: 2 * i + 2] if v is not None and not low <= v <= high]
        if bad:
            problems.append(Diagnostic(Position(where), "E_DATA_RANGE",
                                       f"column {entity}.{col.name} ('{column}') is {kind} and holds {bad[0]}, "
                                       f"outside the model's {col.type} ({low} to {high})",
                                       f"store it as {store_as} with values that fit"))
    return problems


def stored_type_problem(where: Position, column: str, stored: str, model_type: str, zoned: bool, compatible: bool,
                        store_as: str, zone_hint: str) -> Diagnostic | None:
    """The one rule every backend applies to a stored column type (E_DATA_TYPE), or None when it is read: a time
    with a time zone is never a date (its day depends on a zone), and only compatible types are cast."""
    if zoned and model_type == "date":
        return Diagnostic(where, "E_DATA_TYPE", f"column {column} is {stored}: which day a time falls on depends on "
                          "a time zone, and none is guessed", zone_hint)
    if not compatible:
        return Diagnostic(where, "E_DATA_TYPE", f"column {column} is {stored}, the model says {model_type}",
                          f"store it as {store_as}")
    return None


def engine_error(where: str, code: str, message: str, hint: str = "") -> EngineError:
    return EngineError([Diagnostic(Position(where), code, message, hint)])


def require(module: str, engine: str) -> Any:
    """Import an optional engine's client library, or E_ENGINE_MISSING naming the install command."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS[engine][1]
        raise engine_error("--engine", "E_ENGINE_MISSING",
                           f"--engine {engine} needs the Python package '{module}', which is not installed",
                           f"install the extra: pip install 'indicator-engine[{extra}]' (in this repository: "
                           f"pip install -e '.[{extra}]')") from None
