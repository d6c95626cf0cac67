"""The PostgreSQL backend: `--engine postgres --data postgresql://…`.

The dataset is a database reached by a DSN (libpq's connection string or URI). Its
password is never on the command line: libpq reads it from PGPASSWORD or a pgpass file,
and a DSN that carries one is refused before anything connects. The session is
read-only (every transaction, from the server's start-up options on), runs in UTC and
has a statement timeout; nothing is created on the server, not even a temporary view:
each entity's typed, mapped table is put in front of every query as a CTE
(engine.backends.base.Bindings), and only the tables a query names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ..diagnostics import Diagnostic, EngineError, Position
from ..model import Model
from .base import Binding, Bindings, EngineOptions, QueryFailed, Result, engine_error, require

DEFAULT_TIMEOUT = 3600  # seconds a statement may run unless --statement-timeout says otherwise
TYPES = {"bigint": "BIGINT", "integer": "INT", "double": "DOUBLE", "varchar": "TEXT", "date": "DATE",
         "boolean": "BOOLEAN"}
_INTEGERS = {"smallint", "integer", "bigint"}
# information_schema.columns.data_type values a model type is read from (CAST to the model's type)
COMPATIBLE = {
    "bigint": _INTEGERS, "integer": _INTEGERS,
    "double": {"double precision", "real", "numeric"} | _INTEGERS,
    "varchar": {"text", "character varying", "character"},
    "date": {"date", "timestamp without time zone"},
    "boolean": {"boolean"},
}
ZONED = {"timestamp with time zone"}
DSN_HINT = "e.g. --data postgresql://user@host:5432/dbname or --data 'host=/var/run/postgresql dbname=stats'"


def is_dsn(data: str) -> bool:
    """A PostgreSQL URI (`postgresql://`, `postgres://`) or a libpq key=value string."""
    text = str(data).strip()
    return text.startswith(("postgresql://", "postgres://")) or ("=" in text and "dbname" in text)


def shown_dsn(dsn: str) -> str:
    """The DSN as it may appear in errors and provenance (it never carries a password: see `connect`)."""
    return dsn.strip()


@dataclass
class PostgresDataset:
    """An open read-only PostgreSQL session whose queries read the model's entities through `bindings`."""
    connection: Any
    description: str
    bindings: Bindings = field(default_factory=Bindings)
    dialect: str = "postgres"
    engine: str = "postgres"

    def query(self, tree: exp.Expr) -> Result:
        psycopg = require("psycopg", "postgres")
        sql = self.bindings.apply(tree, self.dialect).sql("postgres")
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql)
                columns = [d.name for d in cursor.description or []]
                rows = cursor.fetchall()
            self.connection.rollback()  # end the read-only transaction: each query sees the committed data
            return Result(columns, rows)
        except psycopg.Error as exc:
            self.connection.rollback()
            raise QueryFailed((str(exc).strip().splitlines() or [type(exc).__name__])[0]) from None

    def close(self) -> None:
        self.connection.close()


def connect(dsn: str, options: EngineOptions) -> Any:
    """A read-only, UTC session with a statement timeout; E_DATA_OPEN with the server's reason if it fails."""
    psycopg = require("psycopg", "postgres")
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise engine_error("--data", "E_DSN", f"not a PostgreSQL connection string: {str(exc).splitlines()[0]}",
                           DSN_HINT) from None
    if params.get("password"):
        raise engine_error("--data", "E_DSN_PASSWORD", "the connection string carries a password, which would show "
                           "in the shell's history, the process list and the provenance of every output",
                           "leave it out of --data: set PGPASSWORD in the environment or write it to a pgpass file "
                           "(~/.pgpass, or the file PGPASSFILE names)")
    timeout = options.statement_timeout or DEFAULT_TIMEOUT
    startup = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout) * 1000} -c TimeZone=UTC"
    params["options"] = " ".join(filter(None, [str(params.get("options") or ""), startup]))
    params.setdefault("application_name", "indicators")
    params.setdefault("connect_timeout", "10")
    try:
        connection = psycopg.connect(make_conninfo("", **params), autocommit=False)
    except psycopg.Error as exc:
        raise engine_error(shown_dsn(dsn), "E_DATA_OPEN", "cannot connect to PostgreSQL: "
                           f"{(str(exc).strip().splitlines() or ['no reason given'])[0]}",
                           "check the host, port, database and user; the password comes from PGPASSWORD or a pgpass "
                           "file") from None
    connection.read_only = True
    return connection


def _run(connection: Any, tree: exp.Expr) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(tree.sql("postgres"))
        rows = cursor.fetchall()
    connection.rollback()
    return rows


def open_dataset(dsn: str, model: Model, mapping, options: EngineOptions) -> PostgresDataset:
    """Connect, find each entity's table in the session's search path (through the mapping), check its columns and
    types, and bind it with the model's types; every problem at once."""
    connection = connect(dsn, options)
    shown = shown_dsn(dsn)
    try:
        bindings, problems = _bind(connection, shown, model, mapping)
    except BaseException:
        connection.close()
        raise
    if problems:
        connection.close()
        raise EngineError(problems)
    return PostgresDataset(connection, shown, bindings)


def _bind(connection: Any, shown: str, model: Model, mapping) -> tuple[Bindings, list[Diagnostic]]:
    schemas = _run(connection, exp.select(exp.func("current_schemas", exp.false())))[0][0]
    listing = (exp.select("table_schema", "table_name", "column_name", "data_type")
               .from_(exp.to_table("information_schema.columns"))
               .where(exp.column("table_schema").isin(*[exp.Literal.string(s) for s in schemas]))
               .order_by("table_schema", "table_name", "ordinal_position"))
    tables: dict[str, dict[str, Any]] = {}  # lower-case table name: the first in search-path order
    found: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for schema, table, column, kind in _run(connection, listing):
        found.setdefault((schema, table), {}).setdefault(column.lower(), (column, kind))
    for schema in schemas:
        for (s, table), columns in found.items():
            if s == schema:
                tables.setdefault(table.lower(), {"schema": s, "name": table, "columns": columns})
    bindings, problems = Bindings(), []
    for entity in model.entities.values():
        wanted = mapping.table(entity.name)
        where = Position(f"{shown}:{wanted}")
        source = tables.get(wanted.lower())
        if source is None:
            problems.append(Diagnostic(where, "E_DATA_MISSING_TABLE",
                                       f"the database has no table '{wanted}' for entity '{entity.name}' "
                                       f"in the search path ({', '.join(schemas)})",
                                       "name tables after the model's entities, or map them with --mapping; "
                                       "another schema: add options=-csearch_path=<schema> to the DSN"))
            continue
        typed: list[exp.Expr] = []
        before = len(problems)
        for col in entity.columns.values():
            name = mapping.column(entity.name, col.name)
            if name.lower() not in source["columns"]:
                problems.append(Diagnostic(where, "E_DATA_MISSING_COLUMN",
                                           f"table '{source['name']}' has no column '{name}'",
                                           f"expected a {col.type} column '{name}' (model column "
                                           f"{entity.name}.{col.name}); map other names with --mapping"))
                continue
            stored, kind = source["columns"][name.lower()]
            if kind in ZONED and col.type == "date":
                problems.append(Diagnostic(where, "E_DATA_TYPE", f"column {entity.name}.{col.name} is {kind}: which "
                                           "day a time falls on depends on a time zone, and none is guessed",
                                           "store the calendar day as date"))
            elif kind not in COMPATIBLE[col.type]:
                problems.append(Diagnostic(where, "E_DATA_TYPE",
                                           f"column {entity.name}.{col.name} is {kind}, the model says {col.type}",
                                           f"store it as {TYPES[col.type].lower()}"))
            else:
                typed.append(exp.cast(exp.column(stored, quoted=True), TYPES[col.type]).as_(col.name))
        if len(problems) == before:
            table = exp.Table(this=exp.to_identifier(source["name"], quoted=True),
                              db=exp.to_identifier(source["schema"], quoted=True))
            bindings.entities[entity.name] = Binding(entity.name, exp.select(*typed).from_(table))
    return bindings, problems


def inline_dataset(dsn: str, model: Model, inputs: dict[str, list[dict]], options: EngineOptions,
                   description: str) -> PostgresDataset:
    """A fixture's rows on a PostgreSQL server, as VALUES in front of each query: nothing is created there."""
    from .inline import inline_bindings
    connection = connect(dsn, options)
    return PostgresDataset(connection, description, inline_bindings(model, inputs, TYPES))
