"""Datasets are data, not code: what a dataset stores cannot reach files, the network or extensions, folder and
table names are read as written, and nothing about the input is guessed (date formats, time zones, which of two
columns differing in case, integers that do not fit).

See README.md, "Datasets".
"""
import json
import os
import random
import subprocess
import sys

import duckdb
import pytest
import yaml

from conftest import ROOT
from engine import api
from engine.datacheck import check_data
from engine.diagnostics import EngineError
from engine.execute import load_tables, open_dataset
from reference.random_data import random_dataset

IND = "antal_gemensamma_kartlaggningar"  # kartlaggning by person.kon and fall.ersattning
FIXTURE = ROOT / "fixtures" / f"{IND}.yaml"
SECRET = "top secret line"


@pytest.fixture(scope="module")
def tables():
    return random_dataset(random.Random(11), size=40)


def write_duckdb(path, model, tables, after=()):
    con = duckdb.connect(str(path))
    load_tables(con, model, tables)
    for statement in after:
        con.execute(statement)
    con.close()
    return path


def write_folder(folder, model, tables, fmt="parquet"):
    folder.mkdir(parents=True)
    con = duckdb.connect()
    load_tables(con, model, tables)
    for entity in model.entities:
        target = str(folder / f"{entity}.{fmt}")
        con.table(entity).write_parquet(target) if fmt == "parquet" else con.table(entity).write_csv(target)
    con.close()
    return folder


def fixture_tables():
    return yaml.safe_load(FIXTURE.read_text("utf-8"))["inputs"]


def errors(call):
    with pytest.raises(EngineError) as info:
        call()
    return info.value.diagnostics


def cli(*args, env=None):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env={**os.environ, **(env or {})})
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def setting(con, name):
    return con.execute("SELECT current_setting($1)", [name]).fetchall()[0][0]


# ---------------------------------------------------------------- 1. what a dataset stores reads only the dataset

def test_a_stored_view_that_reads_a_file_is_refused_not_read(tmp_path, catalogue, tables):
    secret = tmp_path / "secret.txt"
    secret.write_text(f"{SECRET} 1\n{SECRET} 2\n", "utf-8")
    db = write_duckdb(tmp_path / "evil.duckdb", catalogue.model, tables, after=[
        "DROP TABLE person",
        f"CREATE VIEW person AS SELECT CAST(row_number() OVER () AS BIGINT) AS person_id, column0 AS kon, "
        f"1980 AS fodelsear FROM read_csv('{secret}', header = false)"])
    found = errors(lambda: api.run(catalogue, db, ["2018"], [IND]))
    assert [(str(d.position), d.code) for d in found] == [(f"{db}:person", "E_DATA_EXTERNAL")]
    assert "Cannot access file" in found[0].message and "store the data as a table" in found[0].hint
    proc = cli("run", "--data", db, "--period", "2018", "--indicator", IND, "--format", "json")
    assert proc.returncode == 1 and f"{db}:person: E_DATA_EXTERNAL table 'person' reads outside the dataset" \
        in proc.stderr
    assert SECRET not in proc.stdout + proc.stderr and proc.stdout == ""


def test_a_stored_view_that_needs_an_extension_is_refused_without_a_download(tmp_path, catalogue, tables):
    # Written the way a hostile extract could be: a macro stands in for the function while the view is created.
    db = write_duckdb(tmp_path / "evil.duckdb", catalogue.model, tables, after=[
        "CREATE MACRO read_text(x) AS TABLE SELECT 'K' AS content",
        "CREATE MACRO st_x(p) AS 1980",
        "DROP TABLE person",
        "CREATE TABLE p AS SELECT 1::BIGINT AS person_id",
        "CREATE VIEW person AS SELECT p.person_id, w.content AS kon, st_x(NULL) AS fodelsear "
        "FROM p, read_text('https://example.invalid/x') AS w",
        "DROP MACRO TABLE read_text",
        "CREATE VIEW mote_view AS SELECT st_x(NULL) AS x",
        "DROP MACRO st_x"])
    found = errors(lambda: api.run(catalogue, db, ["2018"], [IND]))
    assert [(str(d.position), d.code) for d in found] == [(f"{db}:person", "E_DATA_EXTERNAL")]
    assert "https://example.invalid/x" in found[0].message
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables:\n  person: {table: mote_view}\n", "utf-8")
    found = errors(lambda: api.run(catalogue, db, ["2018"], [IND], mapping=mapping))
    assert [(str(d.position), d.code) for d in found] == [(f"{db}:mote_view", "E_DATA_EXTERNAL")]
    assert "spatial extension" in found[0].message
    for d in found:
        assert "download" not in d.message.lower() and "install" not in d.message.lower()
    extensions = dict(duckdb.connect().execute("SELECT extension_name, installed FROM duckdb_extensions()").fetchall())
    assert not extensions["httpfs"] and not extensions["spatial"], "nothing was installed on the way"


def test_a_file_of_another_database_format_is_not_opened_through_an_extension(tmp_path, catalogue):
    fake = tmp_path / "extract.duckdb"
    fake.write_bytes(b"SQLite format 3\x00" + bytes(200))
    (d,) = errors(lambda: api.run(catalogue, fake, ["2018"], [IND]))
    assert (str(d.position), d.code) == (str(fake), "E_DATA_OPEN")
    assert "not a valid DuckDB database file" in d.message and "extension" not in d.message.lower()


def test_views_over_the_datasets_own_tables_are_read(tmp_path, catalogue, tables):
    plain = write_duckdb(tmp_path / "plain.duckdb", catalogue.model, tables)
    viewed = write_duckdb(tmp_path / "viewed.duckdb", catalogue.model, tables, after=[
        "ALTER TABLE person RENAME TO person_tab", "CREATE VIEW person AS SELECT * FROM person_tab"])
    assert api.run(catalogue, viewed, ["2018"]) == api.run(catalogue, plain, ["2018"])


@pytest.mark.parametrize("kind", ["duckdb", "parquet", "csv", "yaml"])
def test_every_dataset_connection_is_locked_down(tmp_path, catalogue, tables, kind):
    if kind == "duckdb":
        path = write_duckdb(tmp_path / "x.duckdb", catalogue.model, tables)
    elif kind == "yaml":
        path = FIXTURE
    else:
        path = write_folder(tmp_path / "folder", catalogue.model, tables, kind)
    outside = tmp_path / "outside.csv"
    outside.write_text(f"a\n{SECRET}\n", "utf-8")
    dataset = open_dataset(path, catalogue.model)
    con = dataset.connection
    try:
        assert [setting(con, s) for s in ("enable_external_access", "autoinstall_known_extensions",
                                           "autoload_known_extensions", "enable_progress_bar",
                                           "lock_configuration")] == [False, False, False, False, True]
        assert setting(con, "TimeZone") == "UTC"
        for statement in ("SET enable_external_access = true", "SET lock_configuration = false",
                          "SET enable_progress_bar = true", "RESET autoload_known_extensions"):
            with pytest.raises(duckdb.Error, match="locked"):
                con.execute(statement)
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_csv($1)", [str(outside)]).fetchall()
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'written.csv'}'")
        with pytest.raises(duckdb.Error):
            con.execute("LOAD httpfs")
        if kind == "duckdb":
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute("CREATE TABLE src.main.added AS SELECT 1 AS x")
        assert con.execute("SELECT count(*) FROM kartlaggning").fetchall()[0][0] == len(
            yaml.safe_load(FIXTURE.read_text("utf-8"))["inputs"]["kartlaggning"] if kind == "yaml"
            else tables["kartlaggning"])
        assert not (tmp_path / "written.csv").exists()
    finally:
        dataset.close()


def test_a_view_over_a_dropped_table_is_a_located_error(tmp_path, catalogue, tables):
    db = write_duckdb(tmp_path / "x.duckdb", catalogue.model, tables, after=[
        "ALTER TABLE person RENAME TO person_tab", "CREATE VIEW person AS SELECT * FROM person_tab",
        "DROP TABLE person_tab"])
    (d,) = errors(lambda: api.run(catalogue, db, ["2018"], [IND]))
    assert (str(d.position), d.code) == (f"{db}:person", "E_DATA_READ")
    assert "person_tab" in d.message and "recreate it" in d.hint
    proc = cli("run", "--data", db, "--period", "2018", "--indicator", IND)
    assert proc.returncode == 1 and f"{db}:person: E_DATA_READ cannot read table 'person'" in proc.stderr


def test_table_and_schema_names_with_quotes_and_dots_are_read_as_written(tmp_path, catalogue, tables):
    plain = write_duckdb(tmp_path / "plain.duckdb", catalogue.model, tables)
    odd = write_duckdb(tmp_path / "odd.duckdb", catalogue.model, tables, after=[
        'CREATE SCHEMA "x.y"', 'CREATE TABLE "x.y".person AS SELECT * FROM person', "DROP TABLE person",
        'ALTER TABLE mote RENAME TO "m""o.te"'])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables:\n  mote: {table: 'm\"o.te'}\n", "utf-8")
    assert api.run(catalogue, odd, ["2018"], mapping=mapping) == api.run(catalogue, plain, ["2018"])
    mapping.write_text("tables:\n  person: {table: main.person}\n", "utf-8")
    (d,) = errors(lambda: api.run(catalogue, plain, ["2018"], [IND], mapping=mapping))
    assert (str(d.position), d.code) == (f"{plain}:main.person", "E_DATA_MISSING_TABLE")
    assert "without its schema" in d.hint
    proc = cli("run", "--data", plain, "--period", "2018", "--indicator", IND, "--mapping", mapping)
    assert proc.returncode == 1 and "E_DATA_MISSING_TABLE the dataset has no table 'main.person'" in proc.stderr


# ---------------------------------------------------------------- 4. names are names, never globs or paths

@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_folders_are_read_exactly_as_named(tmp_path, catalogue, fmt):
    names = ["g1", "g[1]", "u1", "u2", "u*"]
    data = {name: random_dataset(random.Random(seed), size=25) for seed, name in enumerate(names)}
    for name, tables in data.items():
        write_folder(tmp_path / name, catalogue.model, tables, fmt)
        write_folder(tmp_path / "plain" / f"d{names.index(name)}", catalogue.model, tables, fmt)
    for name in ("g[1]", "u*"):
        expected = api.run(catalogue, tmp_path / "plain" / f"d{names.index(name)}", ["2018"], [IND])
        assert api.run(catalogue, str(tmp_path / name), ["2018"], [IND]) == expected
        assert api.run(catalogue, tmp_path / name, ["2018"], [IND]) == expected
    total = api.run(catalogue, tmp_path / "u*", ["2018"], [IND])[0]["n"]
    assert total == sum(1 for r in data["u*"]["kartlaggning"] if r["datum"].year == 2018)


def test_mapping_table_names_are_names_not_paths(tmp_path, catalogue, tables):
    folder = write_folder(tmp_path / "data", catalogue.model, tables)
    write_folder(tmp_path / "outside", catalogue.model, tables)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables:\n"
                       "  person: {table: ../outside/person}\n"
                       f"  mote: {{table: '{tmp_path / 'outside' / 'mote'}'}}\n"
                       "  insats: {table: 'C:insats'}\n"
                       "  samarbete: {table: '..'}\n", "utf-8")
    found = errors(lambda: api.run(catalogue, folder, ["2018"], [IND], mapping=mapping))
    assert [(str(d.position), d.code) for d in found] == [
        (f"{mapping}:2:19", "E_MAPPING_NAME"), (f"{mapping}:3:17", "E_MAPPING_NAME"),
        (f"{mapping}:4:19", "E_MAPPING_NAME"), (f"{mapping}:5:22", "E_MAPPING_NAME")]
    assert found[0].message == "table name '../outside/person' for entity 'person' is a path, not a table name"
    proc = cli("check-data", "--data", folder, "--mapping", mapping)
    assert proc.returncode == 1 and f"{mapping}:2:19: E_MAPPING_NAME" in proc.stderr


def test_an_empty_data_path_is_not_the_current_folder(catalogue):
    (d,) = errors(lambda: api.run(catalogue, "", ["2018"], [IND]))
    assert (str(d.position), d.code, d.message) == ("--data", "E_DATA_NOT_FOUND", "the dataset path is empty")
    for command in (["run", "--period", "2018"], ["check-data"]):
        proc = cli(*command, "--data", "")
        assert proc.returncode == 1 and "--data: E_DATA_NOT_FOUND the dataset path is empty" in proc.stderr


# ---------------------------------------------------------------- 8. no time zone decides a day

def _zoned(tmp_path, catalogue, stored_as_view):
    """The fixture's assessments, their day stored as the time of local midnight in Stockholm (TIMESTAMPTZ)."""
    zoned = ("CREATE TABLE k_tz AS SELECT kartlaggning_id, person_id, fall_id, "
             "timezone('Europe/Stockholm', CAST(datum AS TIMESTAMP)) AS datum FROM kartlaggning")
    if stored_as_view:  # the dataset itself turns the time into a day: in the engine's UTC, on every machine
        after = [zoned, "DROP TABLE kartlaggning",
                 "CREATE VIEW kartlaggning AS SELECT * REPLACE (CAST(datum AS DATE) AS datum) FROM k_tz"]
    else:
        after = [zoned, "DROP TABLE kartlaggning", "ALTER TABLE k_tz RENAME TO kartlaggning"]
    tables = {t: [{c: v for c, v in r.items()} for r in rows] for t, rows in fixture_tables().items()}
    return write_duckdb(tmp_path / ("view.duckdb" if stored_as_view else "table.duckdb"), catalogue.model, tables,
                        after)


def test_a_date_stored_with_a_time_zone_is_refused_in_every_zone(tmp_path, catalogue):
    db = _zoned(tmp_path, catalogue, stored_as_view=False)
    results = [cli("run", "--data", db, "--period", "2018-07", "--indicator", IND, env={"TZ": tz})
               for tz in ("UTC", "Europe/Stockholm")]
    for proc in results:
        assert proc.returncode == 1 and proc.stdout == ""
        assert (f"{db}:kartlaggning: E_DATA_TYPE column kartlaggning.datum is TIMESTAMP WITH TIME ZONE: which day "
                "a time falls on depends on a time zone, and none is guessed") in proc.stderr
    assert results[0].stderr == results[1].stderr


def test_results_do_not_depend_on_the_machines_time_zone(tmp_path, catalogue):
    db = _zoned(tmp_path, catalogue, stored_as_view=True)
    outputs = [cli("run", "--data", db, "--period", "2018-07", "--indicator", IND, "--format", "json",
                   "--no-data-checks", env={"TZ": tz}) for tz in ("UTC", "Europe/Stockholm")]
    assert [p.returncode for p in outputs] == [0, 0], outputs[0].stderr
    documents = [json.loads(p.stdout) for p in outputs]
    assert documents[0]["rows"] == documents[1]["rows"]
    assert documents[0]["provenance"]["dataset"] == documents[1]["provenance"]["dataset"]  # modified: in UTC too
    # in UTC, local midnight of 1 July 2018 in Stockholm is 30 June: assessment 105 is not in July
    assert documents[0]["rows"][0]["value"] == 0


# ---------------------------------------------------------------- 11. nothing about the input is guessed

def test_csv_dates_are_iso_only_and_a_bad_one_is_located(tmp_path, catalogue, tables):
    folder = write_folder(tmp_path / "csv", catalogue.model, tables, "csv")
    path = folder / "kartlaggning.csv"
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index("datum")] = "01/02/2018"
    lines[2] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    (d,) = errors(lambda: api.run(catalogue, folder, ["2018"], [IND]))
    column = lines[2].index("01/02/2018") + 1
    assert (str(d.position), d.code) == (f"{path}:3:{column}", "E_DATA_VALUE")
    assert d.message == "'01/02/2018' in column 'datum' is not a date written YYYY-MM-DD"
    assert "YYYY-MM-DD" in d.hint


def _rename_in_file(path, old: bytes, new: bytes):
    content = path.read_bytes()
    assert old in content and len(old) == len(new)
    path.write_bytes(content.replace(old, new))


def test_columns_differing_only_in_case_are_refused(tmp_path, catalogue, tables):
    folder = write_folder(tmp_path / "data", catalogue.model, tables)
    con = duckdb.connect()
    load_tables(con, catalogue.model, tables)
    # DuckDB writes no two names equal but for case: write q9z, then rename it in the file's schema
    con.execute(f"COPY (SELECT person_id, kon AS KON, 'M' AS q9z, fodelsear FROM person) "
                f"TO '{folder / 'person.parquet'}' (FORMAT parquet)")
    con.close()
    _rename_in_file(folder / "person.parquet", b"q9z", b"kon")
    (d,) = errors(lambda: api.run(catalogue, folder, ["2018"], [IND]))
    assert (str(d.position), d.code) == (str(folder / "person.parquet"), "E_DATA_COLUMN_CASE")
    assert d.message == ("table 'person' has columns 'KON' and 'kon', which differ only in case: which is "
                         "person.kon is not guessed")
    csv = write_folder(tmp_path / "csv", catalogue.model, tables, "csv")
    text = (csv / "person.csv").read_text("utf-8").splitlines()
    (csv / "person.csv").write_text("\n".join([text[0] + ",KON"] + [line + ",M" for line in text[1:]]) + "\n",
                                    "utf-8")
    (d,) = errors(lambda: api.run(catalogue, csv, ["2018"], [IND]))
    assert (str(d.position), d.code) == (str(csv / "person.csv"), "E_DATA_COLUMN_CASE")
    assert "'kon' and 'KON'" in d.message


@pytest.mark.parametrize("stored", ["HUGEINT", "UBIGINT"])
def test_integers_that_do_not_fit_the_model_are_refused_when_opened(tmp_path, catalogue, tables, stored):
    plain = write_duckdb(tmp_path / "plain.duckdb", catalogue.model, tables)
    fits = write_duckdb(tmp_path / "fits.duckdb", catalogue.model, tables, after=[
        f"ALTER TABLE person ALTER person_id TYPE {stored}", f"ALTER TABLE kartlaggning ALTER person_id TYPE {stored}"])
    assert api.run(catalogue, fits, ["2018"], [IND]) == api.run(catalogue, plain, ["2018"], [IND])
    big = write_duckdb(tmp_path / "big.duckdb", catalogue.model, tables, after=[
        f"ALTER TABLE person ALTER person_id TYPE {stored}",
        f"UPDATE person SET person_id = person_id + CAST(18446744073709551000 AS {stored}) "
        "WHERE person_id = (SELECT min(person_id) FROM person)",
        "ALTER TABLE person ALTER fodelsear TYPE BIGINT", "UPDATE person SET fodelsear = 4294967296"])
    found = errors(lambda: api.run(catalogue, big, ["2018"], [IND]))
    assert sorted((str(d.position), d.code) for d in found) == [(f"{big}:person", "E_DATA_RANGE")] * 2
    messages = sorted(d.message for d in found)
    assert messages[0] == ("column person.fodelsear ('fodelsear') is BIGINT and holds 4294967296, outside the "
                           "model's integer (-2147483648 to 2147483647)")
    assert messages[1].startswith(f"column person.person_id ('person_id') is {stored} and holds 1844674407370955")


def test_a_check_that_cannot_read_the_data_is_an_error_not_a_breach(tmp_path, catalogue, tables):
    folder = write_folder(tmp_path / "data", catalogue.model, tables)
    dataset = open_dataset(folder, catalogue.model)
    try:
        (folder / "kartlaggning.parquet").write_bytes(b"PAR1 damaged")
        found = errors(lambda: check_data(dataset, catalogue.model, catalogue.rules))
    finally:
        dataset.close()
    assert found and {(str(d.position), d.code) for d in found} == {(str(folder), "E_DATA_QUERY")}
    assert all("could not run" in d.message and "kartlaggning" in d.message for d in found)


# ---------------------------------------------------------------- 13. stdout holds only the requested output

def test_stdout_holds_only_the_requested_output(tmp_path, catalogue, tables):
    db = write_duckdb(tmp_path / "x.duckdb", catalogue.model, tables)
    proc = cli("run", "--data", db, "--period", "2018", "--period", "2017", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["rows"]  # nothing but the JSON document: no progress bar, no warning
    assert {r["indicator"] for r in rows} == set(catalogue.indicators)


@pytest.mark.parametrize("written", ["680.4", "0xD4", "1_308", "1e3"])
def test_csv_integers_are_plain_digits_never_converted_by_guesswork(tmp_path, catalogue, tables, written):
    """DuckDB reads '680.4' as 680, '0xD4' as 212 and '1_308' as 1308: a key read that way joins the wrong case."""
    folder = write_folder(tmp_path / "csv", catalogue.model, tables, "csv")
    path = folder / "kartlaggning.csv"
    lines = path.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("fall_id")] = written
    lines[3] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    (d,) = errors(lambda: api.run(catalogue, folder, ["2018"], [IND]))
    assert (d.position.file, d.position.line, d.code) == (str(path), 4, "E_DATA_VALUE")
    assert d.message == f"'{written}' in column 'fall_id' is not a whole number written in digits"
