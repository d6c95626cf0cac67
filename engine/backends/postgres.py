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

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from ..diagnostics import Diagnostic, EngineError, Position
from ..model import Model
from .base import (
    Binding,
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
SECRETS = frozenset({"password", "sslpassword"})  # libpq keywords a DSN may not carry (E_DSN_PASSWORD)
DSN_HINT = "e.g. --data postgresql://user@host:5432/dbname or --data 'host=/var/run/postgresql dbname=stats'"


# libpq's connection keywords (a key=value DSN starts with one of them: `host=/run/postgresql user=stats`, whose
# database is the user's, or `service=stats` are DSNs without `dbname`, and `data/year=2018` is a folder)
KEYWORDS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth", "channel_binding",
    "connect_timeout", "client_encoding", "options", "application_name", "fallback_application_name", "keepalives",
    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication", "gssencmode",
    "sslmode", "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode", "sslrootcert",
    "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version",
    "krbsrvname", "gsslib", "gssdelegation", "service", "target_session_attrs", "load_balance_hosts",
})
_KEY_VALUE = re.compile(r"\s*([A-Za-z_]+)\s*=")


def is_dsn(data: str) -> bool:
    """A PostgreSQL URI (`postgresql://`, `postgres://`) or a libpq key=value string (starting with a keyword)."""
    text = str(data).strip()
    if text.startswith(("postgresql://", "postgres://")):
        return True
    found = _KEY_VALUE.match(text)
    return found is not None and found.group(1) in KEYWORDS


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
            with contextlib.suppress(psycopg.Error):  # a lost connection cannot roll back: say why it failed
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
    # present at all, even empty: `password=secret password=` parses as an empty password but shows the secret
    # (the DSN is shown as written); sslpassword unlocks the client's key, as secret as a password
    if SECRETS & params.keys():
        keys = " and ".join(sorted(SECRETS & params.keys()))
        raise engine_error("--data", "E_DSN_PASSWORD", f"the connection string carries a password ({keys}), which "
                           "would show in the shell's history, the process list and the provenance of every output",
                           "leave it out of --data: set PGPASSWORD in the environment or write it to a pgpass file "
                           "(~/.pgpass, or the file PGPASSFILE names); a client key's passphrase (sslpassword) has "
                           "no place there either: libpq asks for it, or use a key without one, readable by you only")
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
    psycopg = require("psycopg", "postgres")
    connection = connect(dsn, options)
    shown = shown_dsn(dsn)
    try:
        bindings, problems = _bind(connection, shown, model, mapping)
    except psycopg.Error as exc:  # the connection was lost, a timeout, a table that cannot be read
        connection.close()
        raise engine_error(shown, "E_DATA_OPEN", "cannot read the database's tables: "
                           f"{(str(exc).strip().splitlines() or [type(exc).__name__])[0]}",
                           "check the connection and the user's privileges on the model's tables") from None
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
    # lower-case table name: its spellings in the first schema of the search path that has one (PostgreSQL tells
    # `mote` from `"Mote"`, and so from `"MOTE"`; names are matched without regard to case, so two such tables in
    # one schema, or two such columns in one table, are refused rather than one picked: E_DATA_*_CASE)
    tables: dict[str, list[dict[str, Any]]] = {}
    found: dict[tuple[str, str], dict[str, list[tuple[str, str]]]] = {}
    # a search path naming no schema that exists (`-csearch_path=stast`) finds no table: IN () is no SQL
    for schema, table, column, kind in _run(connection, listing) if schemas else []:
        found.setdefault((schema, table), {}).setdefault(column.lower(), []).append((column, kind))
    for schema in schemas:
        here: dict[str, list[dict[str, Any]]] = {}
        for (s, table), columns in found.items():
            if s == schema:
                here.setdefault(table.lower(), []).append({"schema": s, "name": table, "columns": columns})
        for name, spellings in here.items():
            tables.setdefault(name, spellings)
    bindings, problems = Bindings(), []
    for entity in model.entities.values():
        wanted = mapping.table(entity.name)
        where = Position(f"{shown}:{wanted}")
        spellings = tables.get(wanted.lower(), [])
        if len(spellings) > 1:
            named = " and ".join(repr(t["name"]) for t in spellings)
            problems.append(Diagnostic(where, "E_DATA_TABLE_CASE",
                                       f"schema '{spellings[0]['schema']}' has tables {named}, which differ only "
                                       f"in case: which is entity '{entity.name}' is not guessed",
                                       "rename or drop all but one of them, or put them in other schemas (table "
                                       "names are matched without regard to case)"))
            continue
        source = spellings[0] if spellings else None
        if source is None:
            problems.append(Diagnostic(where, "E_DATA_MISSING_TABLE",
                                       f"the database has no table '{wanted}' for entity '{entity.name}' "
                                       f"in the search path ({', '.join(schemas) or 'no schema that exists'})",
                                       "name tables after the model's entities, or map them with --mapping; "
                                       "another schema: add options=-csearch_path=<schema> to the DSN"))
            continue
        typed: list[exp.Expr] = []
        wide: list[tuple[Any, str, str]] = []   # integers stored wider than the model's: every value must fit
        before = len(problems)
        for col in entity.columns.values():
            name = mapping.column(entity.name, col.name)
            if name.lower() not in source["columns"]:
                problems.append(Diagnostic(where, "E_DATA_MISSING_COLUMN",
                                           f"table '{source['name']}' has no column '{name}'",
                                           f"expected a {col.type} column '{name}' (model column "
                                           f"{entity.name}.{col.name}); map other names with --mapping"))
                continue
            same = source["columns"][name.lower()]
            if len(same) > 1:
                problems.append(Diagnostic(where, "E_DATA_COLUMN_CASE",
                                           f"table '{source['name']}' has columns "
                                           f"{' and '.join(repr(c) for c, _ in same)}, which differ only in case: "
                                           f"which is {entity.name}.{col.name} is not guessed",
                                           "rename or drop all but one of them (column names are matched without "
                                           "regard to case)"))
                continue
            stored, kind = same[0]
            problem = stored_type_problem(where, f"{entity.name}.{col.name}", kind, col.type, kind in ZONED,
                                          kind in COMPATIBLE[col.type], TYPES[col.type].lower(),
                                          "store the calendar day as date")
            if problem is not None:
                problems.append(problem)
            else:
                if col.type == "integer" and kind == "bigint":
                    wide.append((col, stored, kind))
                typed.append(exp.cast(exp.column(stored, quoted=True), TYPES[col.type]).as_(col.name))
        if len(problems) == before:
            table = exp.Table(this=exp.to_identifier(source["name"], quoted=True),
                              db=exp.to_identifier(source["schema"], quoted=True))
            if wide:  # as engine.execute._out_of_range: E_DATA_RANGE now, not "integer out of range" mid-query
                row = _run(connection, bounds_query(table, [column for _, column, _ in wide]))[0]
                problems += out_of_range(where.file, entity.name, wide, row, TYPES["integer"].lower())
                if len(problems) > before:
                    continue
            bindings.entities[entity.name] = Binding(entity.name, exp.select(*typed).from_(table))
    return bindings, problems


def inline_dataset(dsn: str, model: Model, inputs: dict[str, list[dict]], options: EngineOptions,
                   description: str) -> PostgresDataset:
    """A fixture's rows on a PostgreSQL server, as VALUES in front of each query: nothing is created there."""
    from .inline import inline_bindings
    connection = connect(dsn, options)
    return PostgresDataset(connection, description, inline_bindings(model, inputs, TYPES))
