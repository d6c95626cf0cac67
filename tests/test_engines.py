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
