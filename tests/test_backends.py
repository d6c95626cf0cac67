"""The execution seam without the other engines running: choosing an engine, what each refuses before anything is
opened, the binding of mapped sources, `compile --mapping`, `schema`, and the CLI options of every computing command.
The real engines are tests/test_engines.py."""
from __future__ import annotations

import sys

import duckdb
import pytest
from click.testing import CliRunner
from sqlglot import exp

from engine import api
from engine.backends import data_problem, open_backend
from engine.backends.base import EngineOptions, bind_sources, mapped_bindings
from engine.cli import main
from engine.ddl import create_tables
from engine.execute import SourceMapping, load_tables

COMPUTING = ["run", "check", "report", "diff", "check-data", "test", "attrition", "docs"]


@pytest.mark.parametrize("command", COMPUTING)
def test_every_computing_command_takes_the_engine_options(command):
    shown = CliRunner().invoke(main, [command, "--help"]).output
    for option in ("--engine", "--spark-master", "--spark-remote", "--statement-timeout"):
        assert option in shown, f"{command} lacks {option}"


@pytest.mark.parametrize("engine, module", [("spark", "pyspark"), ("postgres", "psycopg")])
def test_a_missing_extra_names_the_install_command(engine, module, monkeypatch, catalogue, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    data = "postgresql://u@localhost/db" if engine == "postgres" else str(tmp_path)
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, data, ["2018"], engine=EngineOptions(engine))
    [problem] = raised.value.diagnostics
    assert problem.code == "E_ENGINE_MISSING"
    assert f".[{engine}]" in problem.hint


@pytest.mark.parametrize("engine, data, code", [
    ("duckdb", "postgresql://u@localhost/db", "E_ENGINE"),     # a DSN needs --engine postgres
    ("duckdb", "host=/tmp dbname=x", "E_ENGINE"),
    ("duckdb", "spark:registers", "E_ENGINE"),                  # a Spark catalog database needs --engine spark
    ("postgres", "data/demo.duckdb", "E_DSN"),                  # postgres reads a database, not a file
    ("nosuch", "x", "E_ENGINE"),
])
def test_data_the_engine_cannot_read_is_refused_before_opening(engine, data, code):
    problem = data_problem(data, EngineOptions(engine))
    assert problem is not None and problem.code == code


def test_spark_refuses_a_file(tmp_path):
    (tmp_path / "x.duckdb").write_bytes(b"")
    problem = data_problem(tmp_path / "x.duckdb", EngineOptions("spark"))
    assert problem is not None and "--format parquet" in problem.hint


def test_duckdb_resources_are_refused_for_postgres(catalogue):
    from engine.resources import Resources
    with pytest.raises(api.EngineError) as raised:
        open_backend("postgresql://u@localhost/db", catalogue.model, options=EngineOptions("postgres"),
                     resources=Resources(threads=2))
    assert [d.code for d in raised.value.diagnostics] == ["E_RESOURCES"]


def test_spark_cluster_options_need_the_spark_engine(catalogue, tmp_path):
    with pytest.raises(api.EngineError) as raised:
        open_backend(tmp_path, catalogue.model, options=EngineOptions("duckdb", spark_master="spark://h:7077"))
    assert [d.code for d in raised.value.diagnostics] == ["E_ENGINE"]


def test_a_password_is_refused_without_showing_it(catalogue):
    pytest.importorskip("psycopg")
    with pytest.raises(api.EngineError) as raised:
        api.check_data(catalogue, "host=localhost dbname=x password=hunter2", engine=EngineOptions("postgres"))
    [problem] = raised.value.diagnostics
    assert problem.code == "E_DSN_PASSWORD" and "hunter2" not in f"{problem.message} {problem.hint}"


def test_bindings_put_only_the_tables_a_query_reads_in_front(catalogue):
    bindings = mapped_bindings(catalogue.model, SourceMapping({"person": "personer"}, {"person": {"kon": "KON"}}))
    query = exp.select("kon").from_("person")
    bound = bind_sources(query, bindings.entities, "postgres")
    assert [cte.alias for cte in bound.args["with_"].expressions] == ["person"]
    assert "AS NOT MATERIALIZED" in bound.sql("postgres")  # PostgreSQL would materialize a CTE read twice
    assert "MATERIALIZED" not in bind_sources(query, bindings.entities, "spark").sql("spark")  # Spark has no such
    assert '"personer"' in bound.sql("postgres") and '"KON"' in bound.sql("postgres")
    assert query.args.get("with_") is None  # the query itself is not changed


def test_compile_with_a_mapping_runs_on_the_datasets_own_names(catalogue):
    """The SQL `compile --mapping` prints reads the mapped tables and columns and gives the rows of the model's."""
    import yaml

    from engine.fixtures import default_fixtures_dir
    ident = sorted(catalogue.indicators)[0]
    [fixture] = [p for p in default_fixtures_dir().rglob("*.yaml")
                 if yaml.safe_load(p.read_text(encoding="utf-8")).get("indicator") == ident]
    tables = yaml.safe_load(fixture.read_text(encoding="utf-8"))["inputs"]  # the golden fixture's rows
    renamed = {e: f"src_{e}" for e in catalogue.model.entities}
    mapping = SourceMapping(renamed, {})
    sql = api.compile_indicator(catalogue, ident, "2018", "duckdb", pretty=False, mapping=mapping)
    plain = api.compile_indicator(catalogue, ident, "2018", "duckdb", pretty=False)
    con = duckdb.connect()
    load_tables(con, catalogue.model, tables)
    for entity, source in renamed.items():
        con.execute(exp.Create(this=exp.to_table(source), kind="TABLE",
                               expression=exp.select("*").from_(entity)).sql("duckdb"))
    rows = con.execute(plain).fetchall()
    assert any(row[-1] for row in rows)  # persons behind some row: the fixture's rows are counted
    assert con.execute(sql).fetchall() == rows
    for entity in catalogue.model.entities:
        con.execute(f"DROP TABLE {entity}")
    assert con.execute(sql).fetchall()  # still runs with only the mapped names there


def test_the_schema_ddl_makes_a_dataset_the_engine_opens(catalogue, tmp_path):
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    con.execute(api.schema_sql(catalogue, "duckdb"))
    con.close()
    dataset = open_backend(path, catalogue.model)
    dataset.close()
    assert len(create_tables(catalogue.model)) == len(catalogue.model.entities)
    assert "DOUBLE PRECISION" in api.schema_sql(catalogue, "postgres") or \
        all(c.type != "double" for e in catalogue.model.entities.values() for c in e.columns.values())


def test_demo_data_refuses_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "mine").mkdir()
    with pytest.raises(api.EngineError) as raised:
        api.demo_data(tmp_path / "mine", scale=0.01, fmt="parquet")
    assert [d.code for d in raised.value.diagnostics] == ["E_OUT"]


def test_demo_data_as_parquet_and_csv_reads_as_the_duckdb_file(tmp_path, catalogue):
    counts = api.demo_data(tmp_path / "x.duckdb", scale=0.005, seed=3)
    for fmt in ("parquet", "csv"):
        assert api.demo_data(tmp_path / fmt, scale=0.005, seed=3, fmt=fmt) == counts
        assert api.demo_data(tmp_path / fmt, scale=0.005, seed=3, fmt=fmt) == counts  # over its own folder
        want = api.run(catalogue, tmp_path / "x.duckdb", ["2018"])
        assert api.run(catalogue, tmp_path / fmt, ["2018"]) == want
