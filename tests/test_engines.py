"""Parity on the real engines: the golden fixtures, and every indicator of the catalogue on a small generated extract
for periods inside and outside the data, give the same rows on DuckDB, Spark (local) and PostgreSQL (a server these
tests start, see tests/engines.py); `check` gives the same verdicts and `check-data` the same breaches.

Numbers are compared exactly, but for non-integer values: those agree within TOLERANCE (relative), the
documented tolerance across engines (README, "Running on Spark or PostgreSQL"): a mean or a share is summed in
another order on another engine, and its last bits may differ.
"""
from __future__ import annotations

import math
import shutil

import pytest

from engine import api
from engine.backends import open_backend
from engine.backends.base import EngineOptions
from engine.synthetic import generate
from engines import PostgresServer, load_into_postgres, spark_session

TOLERANCE = 1e-9
# before the data starts, a year, a half year, a quarter and a month inside it, after it ends
PERIODS = ["2014", "2016", "2018", "2018H2", "2019Q4", "2019-12", "2021"]
NUMBERS = ("value", "numerator", "denominator", "n", "persons", "numerator_persons", "rest_persons")


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    """`demo-data --scale 0.02` as a DuckDB file and as the Parquet folder Spark reads."""
    folder = tmp_path_factory.mktemp("engines")
    generate(folder / "demo.duckdb", scale=0.02, seed=7)
    generate(folder / "parquet", scale=0.02, seed=7, fmt="parquet")
    return folder


@pytest.fixture(scope="module")
def postgres(extract, catalogue):
    server = PostgresServer()
    try:
        yield load_into_postgres(server, "demo", extract / "demo.duckdb", catalogue.model)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres_server():
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def spark():
    return spark_session()


def _engines(extract, postgres, spark) -> dict[str, tuple[str, EngineOptions]]:
    return {"spark": (str(extract / "parquet"), EngineOptions("spark")),
            "postgres": (postgres, EngineOptions("postgres"))}


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def assert_same_rows(expected: list[dict], got: list[dict], engine: str) -> None:
    """The same rows in the same order: keys and flags exactly, numbers as `_same_number`."""
    assert [(r["indicator"], r["period"], r["breakdown"]) for r in got] == \
        [(r["indicator"], r["period"], r["breakdown"]) for r in expected], f"{engine}: other rows"
    for want, have in zip(expected, got, strict=True):
        where = f"{engine}: {want['indicator']} {want['period']} {want['breakdown']}"
        for field in NUMBERS:
            assert _same_number(want[field], have[field]), f"{where} {field}: {want[field]!r} vs {have[field]!r}"
        assert want["disclosure"] == have["disclosure"], where


@pytest.fixture(scope="module")
def duckdb_rows(extract, catalogue):
    return api.run(catalogue, extract / "demo.duckdb", PERIODS)


@pytest.mark.parametrize("engine", ["spark", "postgres"])
def test_every_indicator_gives_the_duckdb_rows(engine, request, extract, catalogue, duckdb_rows):
    data, options = _dataset(engine, request, extract)
    rows = api.run(catalogue, data, PERIODS, engine=options)
    assert len(rows) == len(duckdb_rows) > len(catalogue.indicators) * len(PERIODS)
    assert_same_rows(duckdb_rows, rows, engine)
    # the periods outside the data keep their total rows (Spark loses them from GROUPING SETS: SPARK-29701)
    totals = {(r["indicator"], r["period"]) for r in rows if not r["breakdown"]}
    assert totals == {(i, p) for i in catalogue.indicators for p in PERIODS}


def _dataset(engine: str, request, extract) -> tuple[str, EngineOptions]:
    if engine == "spark":
        request.getfixturevalue("spark")
        return str(extract / "parquet"), EngineOptions("spark")
    return request.getfixturevalue("postgres"), EngineOptions("postgres")


@pytest.mark.parametrize("engine", ["spark", "postgres"])
def test_check_and_data_checks_agree(engine, request, extract, catalogue):
    data, options = _dataset(engine, request, extract)
    want = api.check(catalogue, extract / "demo.duckdb")
    got = api.check(catalogue, data, engine=options)
    assert [(f.indicator, f.period, f.computed, f.holds) for f in got.figures] == \
        [(f.indicator, f.period, f.computed, f.holds) for f in want.figures]
    assert [c.summary() for c in got.data or []] == [c.summary() for c in want.data or []]
    assert got.provenance is not None and got.provenance.as_dict()["dataset"]["engine"] == engine


@pytest.mark.parametrize("engine", ["spark", "postgres"])
def test_golden_fixtures(engine, request, catalogue):
    data = None
    if engine == "spark":
        request.getfixturevalue("spark")
    else:
        data = request.getfixturevalue("postgres_server").dsn()
    results = api.test_fixtures(catalogue, engine=EngineOptions(engine), data=data)
    assert {r.indicator for r in results} == set(catalogue.indicators)
    failed = [(r.indicator, p.label, p.missing, p.unexpected, p.changed)
              for r in results for p in r.periods if not p.ok]
    assert not failed


def test_attrition_agrees(request, extract, catalogue):
    ident = sorted(catalogue.indicators)[0]
    want = api.attrition(catalogue, extract / "demo.duckdb", ident, "2018")
    got = api.attrition(catalogue, request.getfixturevalue("postgres"), ident, "2018",
                        engine=EngineOptions("postgres"))
    assert [(s.count, s.by_kon) for s in got.steps] == [(s.count, s.by_kon) for s in want.steps]


def test_postgres_session_is_read_only(request, catalogue):
    from sqlglot import exp

    from engine.backends import open_backend
    from engine.backends.base import QueryFailed
    dataset = open_backend(request.getfixturevalue("postgres"), catalogue.model, options=EngineOptions("postgres"))
    scratch = exp.Create(kind="TABLE", this=exp.Schema(this=exp.to_table("scratch"), expressions=[
        exp.ColumnDef(this=exp.to_identifier("a"), kind=exp.DataType.build("INT"))]))
    try:
        with pytest.raises(QueryFailed, match="read-only"):
            dataset.query(scratch)
    finally:
        dataset.close()


def test_a_password_in_the_dsn_is_refused_before_connecting(catalogue):
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, "postgresql://user:secret@localhost/db", ["2018"], engine=EngineOptions("postgres"))
    assert [d.code for d in raised.value.diagnostics] == ["E_DSN_PASSWORD"]
    assert "secret" not in str(raised.value.diagnostics[0])


def test_missing_table_and_type_errors_on_postgres(request, catalogue, postgres_server):
    import psycopg
    dsn = postgres_server.dsn()
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute("CREATE DATABASE broken")
    with psycopg.connect(postgres_server.dsn("broken"), autocommit=True) as con:
        from engine.ddl import create_tables
        for statement in create_tables(catalogue.model):
            if statement.this.this.name != "mote":
                con.execute(statement.sql("postgres"))
        con.execute("ALTER TABLE person ALTER COLUMN fodelsear TYPE text")
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, postgres_server.dsn("broken"), ["2018"], engine=EngineOptions("postgres"))
    codes = sorted(d.code for d in raised.value.diagnostics)
    assert codes == ["E_DATA_MISSING_TABLE", "E_DATA_TYPE"]


def test_spark_reads_no_csv_and_names_the_fix(request, tmp_path, catalogue):
    request.getfixturevalue("spark")
    shutil.copytree(request.getfixturevalue("extract") / "parquet", tmp_path / "data")
    (tmp_path / "data" / "mote.parquet").unlink()
    (tmp_path / "data" / "mote.csv").write_text("mote_id\n")
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, tmp_path / "data", ["2018"], engine=EngineOptions("spark"))
    [problem] = raised.value.diagnostics
    assert problem.code == "E_DATA_MISSING_TABLE" and "mote.parquet" in problem.hint


def _empty_database(server, name: str, model) -> str:
    """A new database `name` on `server` with the model's tables (no rows); its DSN."""
    import psycopg

    from engine.ddl import create_tables
    with psycopg.connect(server.dsn(), autocommit=True) as con:
        con.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    with psycopg.connect(server.dsn(name), autocommit=True) as con:
        for statement in create_tables(model):
            con.execute(statement.sql("postgres"))
    return server.dsn(name)


def test_postgres_refuses_names_that_differ_only_in_case(postgres_server, catalogue):
    """PostgreSQL tells `mote` from `"Mote"`: the engine matches names without regard to case, so it refuses to pick
    one (an empty `"Mote"` beside the full `mote` counted 0 before)."""
    import psycopg
    from psycopg.sql import SQL, Identifier
    first, second = list(catalogue.model.entities.values())[:2]
    column = next(iter(first.columns))
    dsn = _empty_database(postgres_server, "cases", catalogue.model)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(SQL("ALTER TABLE {} ADD COLUMN {} TEXT").format(Identifier(first.name),
                                                                   Identifier(column.upper())))
        con.execute(SQL("CREATE TABLE {} (LIKE {})").format(Identifier(second.name.capitalize()),
                                                           Identifier(second.name)))
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, dsn, ["2018"], engine=EngineOptions("postgres"))
    assert sorted((d.code, str(d.position)) for d in raised.value.diagnostics) == [
        ("E_DATA_COLUMN_CASE", f"{dsn}:{first.name}"), ("E_DATA_TABLE_CASE", f"{dsn}:{second.name}")]


def _an_integer_column(catalogue) -> tuple[str, str]:
    found = [(e.name, c.name) for e in catalogue.model.entities.values() for c in e.columns.values()
             if c.type == "integer"]
    if not found:
        pytest.skip("the model has no integer column")
    return found[0]


def test_postgres_integers_wider_than_the_model_must_fit(postgres_server, catalogue):
    import psycopg
    from psycopg.sql import SQL, Identifier, Literal
    entity, column = _an_integer_column(catalogue)
    dsn = _empty_database(postgres_server, "wide", catalogue.model)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(SQL("ALTER TABLE {} ALTER COLUMN {} TYPE BIGINT").format(Identifier(entity), Identifier(column)))
        con.execute(SQL("INSERT INTO {} ({}) VALUES ({})").format(Identifier(entity), Identifier(column),
                                                                  Literal(2**31)))
    with pytest.raises(api.EngineError) as raised:
        api.check_data(catalogue, dsn, engine=EngineOptions("postgres"))
    [problem] = raised.value.diagnostics
    assert problem.code == "E_DATA_RANGE" and str(2**31) in problem.message  # not "integer out of range" mid-query
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(SQL("UPDATE {} SET {} = {}").format(Identifier(entity), Identifier(column), Literal(2**31 - 1)))
    open_backend(dsn, catalogue.model, options=EngineOptions("postgres")).close()  # every value fits: read


def test_a_lost_postgres_connection_is_a_failed_query(postgres, catalogue):
    import psycopg
    from sqlglot import exp

    from engine.backends.base import QueryFailed
    dataset = open_backend(postgres, catalogue.model, options=EngineOptions("postgres"))
    try:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [dataset.connection.info.backend_pid])
        entity = next(iter(catalogue.model.entities))
        with pytest.raises(QueryFailed):   # not psycopg's OperationalError from the rollback: E_INTERNAL, exit 2
            dataset.query(exp.select(exp.Count(this=exp.Star())).from_(entity))
    finally:
        dataset.close()


def test_spark_integers_wider_than_the_model_must_fit_in_ansi_mode(spark, extract, tmp_path, catalogue):
    """A cluster may run with ANSI mode off, where a CAST that overflows wraps around: the session turns it on,
    and an integer stored wider than the model's is read only if every value fits (E_DATA_RANGE, as on DuckDB)."""
    import duckdb
    from sqlglot import exp
    entity, column = _an_integer_column(catalogue)
    shutil.copytree(extract / "parquet", tmp_path / "data")
    source = str(extract / "parquet" / f"{entity}.parquet")

    def write(value: exp.Expr) -> None:
        query = exp.select(exp.Star(**{"replace": [exp.cast(value, "BIGINT").as_(column)]})).from_(
            exp.func("read_parquet", exp.Literal.string(source)))
        duckdb.execute(f"COPY ({query.sql('duckdb')}) TO '{tmp_path / 'data' / (entity + '.parquet')}' "
                       "(FORMAT parquet)")
    write(exp.Literal.number(2**31))
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        with pytest.raises(api.EngineError) as raised:
            open_backend(tmp_path / "data", catalogue.model, options=EngineOptions("spark"))
        assert spark.conf.get("spark.sql.ansi.enabled") == "true"
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
    [problem] = raised.value.diagnostics
    assert problem.code == "E_DATA_RANGE" and str(2**31) in problem.message
    write(exp.column(column))
    open_backend(tmp_path / "data", catalogue.model, options=EngineOptions("spark")).close()


def test_spark_reads_a_folder_named_like_a_glob_as_written(spark, extract, tmp_path, catalogue):
    """Hadoop expands [..], ?, * and {a,b} in a path: `x [a]` read `x a` beside it, silently."""
    import duckdb
    from sqlglot import exp
    shutil.copytree(extract / "parquet", tmp_path / "x [a]")
    (tmp_path / "x a").mkdir()
    for entity in catalogue.model.entities:   # the same tables, without rows
        query = exp.select("*").from_(exp.func("read_parquet", exp.Literal.string(
            str(extract / "parquet" / f"{entity}.parquet")))).limit(0)
        duckdb.execute(f"COPY ({query.sql('duckdb')}) TO '{tmp_path / 'x a' / (entity + '.parquet')}' (FORMAT parquet)")
    ident = sorted(catalogue.indicators)[0]
    want = api.run(catalogue, tmp_path / "x [a]", ["2018"], [ident])
    assert any(r["n"] for r in want)
    assert_same_rows(want, api.run(catalogue, tmp_path / "x [a]", ["2018"], [ident], engine=EngineOptions("spark")),
                     "spark")


def test_a_search_path_of_no_schema_finds_no_table(postgres, catalogue):
    """`-csearch_path=stast` (a typo): every table missing, not an internal error from an empty IN ()."""
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, f"{postgres} options='-csearch_path=nosuchschema'", ["2018"],
                engine=EngineOptions("postgres"))
    assert {d.code for d in raised.value.diagnostics} == {"E_DATA_MISSING_TABLE"}
    assert len(raised.value.diagnostics) == len(catalogue.model.entities)


def test_spark_matches_the_models_patterns_as_duckdb_does(spark, extract, tmp_path, catalogue):
    """java.util.regex's `$` also matches before a line break ending the text: on Spark a value `07\\r` (a CSV
    written on Windows) kept `^(0[1-9]|...)$`, where DuckDB and PostgreSQL count it a breach."""
    import duckdb
    from sqlglot import exp
    patterned = [(e.name, c.name) for e in catalogue.model.entities.values() for c in e.columns.values()
                 if c.pattern and c.pattern.endswith("$")]
    if not patterned:
        pytest.skip("the model has no pattern anchored at the end")
    entity, column = patterned[0]
    shutil.copytree(extract / "parquet", tmp_path / "data")
    key = catalogue.model.entities[entity].key
    source = exp.func("read_parquet", exp.Literal.string(str(extract / "parquet" / f"{entity}.parquet")))
    first = exp.select(exp.Min(this=exp.column(key))).from_(source.copy()).subquery()
    broken = exp.If(this=exp.column(key).eq(first), true=exp.DPipe(this=exp.column(column),
                                                                   expression=exp.func("chr", exp.Literal.number(13))))
    value = exp.Case(ifs=[broken], default=exp.column(column))
    query = exp.select(exp.Star(**{"replace": [value.as_(column)]})).from_(source)
    duckdb.execute(f"COPY ({query.sql('duckdb')}) TO '{tmp_path / 'data' / (entity + '.parquet')}' (FORMAT parquet)")
    want = [(i.entity, i.check, i.breaches, i.examples) for i in api.check_data(catalogue, tmp_path / "data")]
    assert next(w for w in want if w[:2] == (entity, f"pattern:{column}"))[2] == 1
    got = api.check_data(catalogue, tmp_path / "data", engine=EngineOptions("spark"))
    assert [(i.entity, i.check, i.breaches, i.examples) for i in got] == want
