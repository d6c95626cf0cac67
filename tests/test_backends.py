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


@pytest.mark.parametrize("dsn", [
    "host=localhost dbname=x sslpassword=hunter2",                    # a client key's passphrase is as secret
    "host=localhost dbname=x password=hunter2 password=",             # the last one wins in libpq: empty, but shown
    "postgresql://u@localhost/x?password=hunter2&password=",
    "postgresql://u@localhost/x?%70assword=hunter2",                  # a percent-encoded keyword is a keyword
])
def test_every_spelling_of_a_password_is_refused_without_showing_it(catalogue, dsn):
    pytest.importorskip("psycopg")
    with pytest.raises(api.EngineError) as raised:
        api.run(catalogue, dsn, ["2018"], engine=EngineOptions("postgres"))
    [problem] = raised.value.diagnostics
    assert problem.code == "E_DSN_PASSWORD" and "hunter2" not in str(problem)


def test_sparks_reason_is_the_error_class_not_py4js_call(monkeypatch):
    from engine.backends.spark import _first_line
    py4j = ("An error occurred while calling o192.collectToPython.\n"
            ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 46.0 failed 1 "
            "times, most recent failure: Lost task 0.0 (TID 86) (localhost executor driver): org.apache.spark."
            "SparkArithmeticException: [CAST_OVERFLOW] The value 3000000000L of the type \"BIGINT\" cannot be cast "
            "to \"INT\" due to an overflow. SQLSTATE: 22003\n\tat org.apache.spark.sql.errors.X(X.scala:1)")
    assert _first_line(RuntimeError(py4j)).startswith("[CAST_OVERFLOW] The value 3000000000L")
    assert _first_line(RuntimeError("An error occurred while calling o1.sql.\n: java.io.IOException: gone")) == \
        "java.io.IOException: gone"
    assert _first_line(RuntimeError("\n")) == "RuntimeError"


def test_integers_wider_than_the_model_must_fit():
    from engine.backends.base import bounds_query, out_of_range
    from engine.model import Column
    col = Column("fodelsear", "integer")
    query = bounds_query(exp.to_table("raw"), ["Födelse år"])
    assert query.sql("postgres") == 'SELECT MIN("Födelse år"), MAX("Födelse år") FROM raw'
    assert out_of_range("f", "person", [(col, "Födelse år", "bigint")], (1900, 2020), "INT") == []
    assert out_of_range("f", "person", [(col, "Födelse år", "bigint")], (None, None), "INT") == []  # no rows
    [problem] = out_of_range("f", "person", [(col, "Födelse år", "bigint")], (1900, 3_000_000_000), "INT")
    assert problem.code == "E_DATA_RANGE" and "3000000000" in problem.message


def test_a_file_rewritten_with_its_old_size_and_mtime_is_checked_again(catalogue, tmp_path, monkeypatch):
    """Beyond the hash limit the cache knows a file by its stat: size and mtime can be put back (touch -r, cp -p,
    tar x), its ctime cannot."""
    import os

    from engine import provenance
    from engine.datacache import open_cache
    from engine.datacheck import run_checks
    monkeypatch.setattr(provenance, "HASH_LIMIT", 0)  # as if the dataset were larger than 256 MiB: not hashed
    api.demo_data(tmp_path / "csv", scale=0.002, seed=3, fmt="csv")
    person = tmp_path / "csv" / "person.csv"
    lines = person.read_text(encoding="utf-8").splitlines(keepends=True)
    assert ",K," in lines[1] or ",M," in lines[1]
    before = person.stat()

    def run(expect_cached: bool) -> list:
        dataset = open_backend(tmp_path / "csv", catalogue.model)
        try:
            checked = run_checks(dataset, catalogue.model, catalogue.rules, ["person"],
                                 cache=open_cache(catalogue, tmp_path / "csv", dataset))
        finally:
            dataset.close()
        assert bool(checked.cached) == expect_cached
        return [issue.check for issue in checked if issue.breaches]
    assert run(False) == [] and run(True) == []
    lines[1] = lines[1].replace(",K,", ",X,").replace(",M,", ",X,")   # the same size, a value the model refuses
    person.write_text("".join(lines), encoding="utf-8")
    os.utime(person, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (person.stat().st_size, person.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert run(False) == ["allowed_values:kon"]


def test_spark_reads_paths_literally():
    from pathlib import Path

    from engine.backends.spark import _literal_path
    assert _literal_path(Path("/d/x [a]/y?/z{1,2}/b\\c/*.parquet")) == r"/d/x \[a\]/y\?/z\{1,2\}/b\\c/\*.parquet"
    assert _literal_path(Path("/d/plain name/Mö\"te x.y.parquet")) == "/d/plain name/Mö\"te x.y.parquet"


@pytest.mark.parametrize("data, dsn", [
    ("host=/run/postgresql user=stats", True),     # no dbname: libpq takes the user's database
    ("service=stats", True),                        # pg_service.conf
    ("postgres://u@h/db", True),
    ("data/year=2018", False),                      # a folder, whatever its name holds
    ("extract dbname=x", False),
])
def test_a_dsn_is_known_by_its_first_keyword(data, dsn):
    from engine.backends.postgres import is_dsn
    assert is_dsn(data) is dsn


@pytest.mark.parametrize("given, jvm", [("2GiB", "2048m"), ("1.5GiB", "1536m"), ("1.5GB", "1430m"), ("512MiB", "512m"),
                                         ("80%", None), ("0.5KB", None)])
def test_sparks_driver_memory_keeps_the_size_given(given, jvm):
    from engine.backends.spark import _jvm_size
    if jvm is None:
        with pytest.raises(api.EngineError, match="E_RESOURCES"):
            _jvm_size(given)
    else:
        assert _jvm_size(given) == jvm   # not 1g for 1.5GB: the JVM takes no fractions


@pytest.mark.parametrize("pattern, java", [
    ("^(0[1-9]|1[0-9]|2[0-5])$", r"^(0[1-9]|1[0-9]|2[0-5])\z"),
    (r"^a\$b$", r"^a\$b\z"),           # an escaped $ is a dollar sign
    ("^[$a]+$", r"^[$a]+\z"),           # so is one in a class
    ("^x$|^y$", r"^x\z|^y\z"),
    ("^[0-9]+", "^[0-9]+"),
])
def test_sparks_dollar_is_the_end_of_the_text(pattern, java):
    from engine.backends.spark import _java_pattern, _java_patterns
    assert _java_pattern(pattern) == java
    query = exp.select("*").from_("t").where(exp.RegexpLike(this=exp.column("x"),
                                                            expression=exp.Literal.string(pattern)).not_())
    assert _java_patterns(query).find(exp.RegexpLike).expression.this == java
    assert query.find(exp.RegexpLike).expression.this == pattern   # the tree given is not changed


def test_test_takes_data_only_for_a_postgres_server(catalogue, tmp_path):
    with pytest.raises(api.EngineError) as raised:
        api.test_fixtures(catalogue, data=str(tmp_path))
    assert [d.code for d in raised.value.diagnostics] == ["E_ENGINE"]
