"""Figures are never published silently from data that breaks the model.

`check` and `report` run the model's consistency checks (the same as `check-data`) first;
`report` refuses on a breach unless told to publish anyway, and then says so in the
report; check.json and the JUnit file carry every data check. The model declares an
interval rule for every entity with a start and an end, and plausible dates for every
date column. A disclosure threshold below 2 is refused; a bad report year names --year.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path
from xml.etree import ElementTree as ET

import duckdb
import pytest
from click.testing import CliRunner

from engine import api
from engine.catalogue import load_catalogue
from engine.cli import main
from engine.datacheck import check_data
from engine.execute import Dataset, load_tables
from reference.random_data import random_dataset

ROOT = Path(__file__).resolve().parent.parent

PROJECT = """\
title: {sv: Test, en: Test}
disclosure: {threshold: 2}
sources:
  - {id: test, title: Testrapport, publisher: Testmyndigheten, date: "2019"}
reports:
  - {key: test, title: {sv: Testrapport, en: Test report}, source: test}
"""

# four joint assessments in 2018 (two women, two men: not too few to show at threshold 2), published as "4"
INDICATOR = """\
id: antal_test
version: 1
title: {sv: Antal kartläggningar, en: Number of assessments}
description: {sv: Antal gemensamma kartläggningar., en: Number of joint assessments.}
unit: count
owner: test
report: test
population:
  entity: kartlaggning
  period: datum
measure:
  kind: count
published:
  - {period: "2018", value: 4, precision: 1, text: "4 kartläggningar", source: "test"}
"""


def small_tables() -> dict:
    """Persons 1 to 4 (K, M, K, M), one case and one assessment each in 2018 (case 10 · p, assessment 100 · p)."""
    people = [(1, "K", "F32"), (2, "M", "M54"), (3, "K", "F41"), (4, "M", "M51")]
    return {
        "person": [{"person_id": p, "kon": kon, "fodelsear": 1975 + 5 * p} for p, kon, _ in people],
        "ersattningsfall": [
            {"fall_id": 10 * p, "person_id": p, "ersattning": "sjukpenning", "startdatum": dt.date(2018, p, 1),
             "slutdatum": None, "diagnoskod": diagnosis, "avslutsorsak": None} for p, _, diagnosis in people],
        "kartlaggning": [{"kartlaggning_id": 100 * p, "person_id": p, "fall_id": 10 * p,
                          "datum": dt.date(2018, p + 2, 1)} for p, _, _ in people],
    }


def write(path: Path, model, tables: dict, *sql: str) -> Path:
    con = duckdb.connect(str(path))
    load_tables(con, model, tables)
    for statement in sql:
        con.execute(statement)
    con.close()
    return path


@pytest.fixture
def small(make_catalogue, tmp_path):
    """A catalogue with one reported indicator whose published figure holds on `small_tables()`."""
    folder, _ = make_catalogue({"antal_test.yaml": INDICATOR})
    (folder / "project.yaml").write_text(PROJECT, encoding="utf-8")
    catalogue = api.checked_catalogue(folder)

    def data(name: str, tables: dict | None = None, *sql: str) -> Path:
        return write(tmp_path / f"{name}.duckdb", catalogue.model, tables or small_tables(), *sql)
    return folder, catalogue, data


def duplicated_person(tables: dict) -> dict:
    tables = copy.deepcopy(tables)
    tables["person"].append(dict(tables["person"][0]))
    return tables


def invoke(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


# ---------------------------------------------------------------- report refuses data that breaks the model


def test_report_refuses_a_duplicated_person_and_lists_the_breach(small, tmp_path):
    folder, _, data = small
    db = data("dup", duplicated_person(small_tables()))
    out = tmp_path / "rapport"
    code, output = invoke("report", "--data", db, "--year", "2018", "--out", out, "--indicators", folder)
    assert code == 1
    assert f"{db}: E_DATA_RULE person: 2 row(s): person_id is not unique (e.g. keys 1)" in output
    assert "--publish-despite-breaches" in output and "Traceback" not in output
    assert not out.exists() or not any(out.iterdir())


def test_report_api_refuses_with_every_breach(small):
    _, catalogue, data = small
    tables = duplicated_person(small_tables())
    tables["person"][1]["kon"] = "X"
    with pytest.raises(api.EngineError) as err:
        api.report(catalogue, data("two", tables), "2018", "2017")
    diagnostics = err.value.diagnostics
    assert [d.code for d in diagnostics] == ["E_DATA_RULE", "E_DATA_RULE"]
    assert {d.message.split(":")[0] for d in diagnostics} == {"person"}
    assert "kon has a value other than K, M" in diagnostics[1].message and diagnostics[-1].hint


def test_report_published_despite_breaches_states_them_in_swedish(small, tmp_path):
    folder, _, data = small
    db = data("dup", duplicated_person(small_tables()))
    out = tmp_path / "rapport"
    code, output = invoke("report", "--data", db, "--year", "2018", "--out", out, "--indicators", folder,
                          "--publish-despite-breaches", "--format", "html", "--format", "md", "--format", "xlsx")
    assert code == 0, output
    assert f"{db}: W_DATA_RULE person: 2 row(s): person_id is not unique (e.g. keys 1)" in output
    md = (out / "aterrapportering_2018.md").read_text("utf-8")
    method = md[md.index("## Metod och teckenförklaring"):]
    assert "Underlaget bryter mot datamodellens konsistensregler" in method
    assert "person: 2 rader – person\\_id är inte unik" in method
    assert "Observera: underlaget bryter mot datamodellens konsistensregler" in md[:md.index("## Innehåll")]
    html = (out / "aterrapportering_2018.html").read_text("utf-8")
    assert "person_id är inte unik" in html[html.index('id="metod"'):]
    assert (out / "aterrapportering_2018.xlsx").stat().st_size > 0


def test_a_published_report_never_shows_example_keys(small):
    _, catalogue, data = small
    tables = small_tables()
    tables["person"][1]["person_id"] = 987654  # dangling: kartlaggning 200 points at person 2
    built = api.report(catalogue, data("dangling", tables), "2018", None, publish_despite_breaches=True)
    # the report checks the tables its indicator reads (kartlaggning, person): case 20's dangling person_id is
    # in ersattningsfall, which it does not read
    assert [(b.entity, b.check, b.examples) for b in built.data_breaches] == [
        ("kartlaggning", "foreign_key:person_id", [200])]
    assert built.notes[0].startswith("Underlaget bryter mot datamodellens konsistensregler")
    assert "200" not in built.notes[0] and "987654" not in built.notes[0]


def test_report_on_consistent_data_states_no_breach(small):
    _, catalogue, data = small
    built = api.report(catalogue, data("ok"), "2018", "2017")
    assert built.data_breaches == []
    assert not any("konsistensregler" in note for note in built.notes)


# ---------------------------------------------------------------- check carries the data checks


def test_check_fails_on_a_breach_alone_and_writes_it_to_json_and_junit(small, tmp_path):
    folder, catalogue, data = small
    db = data("old", None, "UPDATE person SET fodelsear = -44 WHERE person_id = 2")
    junit, report = tmp_path / "junit.xml", tmp_path / "check.json"
    code, output = invoke("check", "--data", db, "--indicators", folder, "--junit", junit, "--json", report)
    assert code == 1
    assert "1 of 1 published figure(s) hold, 0 fail;" in output  # the figure holds: the breach alone fails
    assert (f"{db}: E_DATA_RULE person: 1 row(s): fodelsear is outside its plausible range (1900 to 2099) "
            "(e.g. keys 2)") in output
    assert f"1 of {len(api.check(catalogue, db).data)} data check(s) breached" in output
    document = json.loads(report.read_text("utf-8"))
    assert document["summary"]["data_breaches"] == 1
    breached = [r for r in document["data_checks"]["results"] if r["breaches"]]
    assert breached == [{"entity": "person", "check": "range:fodelsear", "message":
                         "fodelsear is outside its plausible range (1900 to 2099)", "breaches": 1, "examples": [2]}]
    assert document["provenance"]["data_checks"] == {  # counts only: example keys stay out of the provenance
        "run": True, "checks": document["summary"]["data_checks"], "breached": 1,
        "breaches": [{"entity": "person", "check": "range:fodelsear", "rows": 1}],
        "tables": list(catalogue.model.entities), "cached": 0}  # every table (no --indicator), computed afresh
    suites = {s.get("name"): s for s in ET.parse(junit).getroot().findall("testsuite")}
    assert set(suites) == {"published-figures", "data-checks", "change-alerts"}
    properties = {p.get("name"): p.get("value") for p in suites["published-figures"].findall("properties/property")}
    assert properties["data_checks.breached"] == "1" and properties["data_checks.run"] == "true"
    data_suite = suites["data-checks"]
    assert data_suite.get("failures") == "1" and int(data_suite.get("tests")) == document["summary"]["data_checks"]
    failing = [c for c in data_suite.findall("testcase") if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failing] == [("data.person", "range:fodelsear")]
    assert "fodelsear is outside its plausible range" in failing[0].find("failure").get("message")


def test_check_on_consistent_data_passes_with_every_data_check_in_junit(small, tmp_path):
    folder, _, data = small
    junit = tmp_path / "junit.xml"
    code, output = invoke("check", "--data", data("ok"), "--indicators", folder, "--junit", junit)
    assert code == 0, output
    assert "1 of 1 published figure(s) hold, 0 fail;" in output  # holds, not merely not shown
    assert "E_DATA_RULE" not in output and "0 of " in output
    data_suite = ET.parse(junit).getroot().findall("testsuite")[1]
    assert data_suite.get("name") == "data-checks" and data_suite.get("failures") == "0"
    names = {c.get("name") for c in data_suite.findall("testcase")}
    assert {"unique_key", "range:fodelsear", "range:datum", "rule:slut_efter_start"} <= names


def test_check_without_data_checks_says_so_everywhere(small, tmp_path):
    folder, _, data = small
    db = data("dup", duplicated_person(small_tables()))
    junit, report = tmp_path / "junit.xml", tmp_path / "check.json"
    _, output = invoke("check", "--data", db, "--indicators", folder, "--junit", junit, "--json", report,
                          "--no-data-checks")
    assert "E_DATA_RULE" not in output and "data checks skipped (--no-data-checks)" in output
    document = json.loads(report.read_text("utf-8"))
    assert document["data_checks"] is None and document["provenance"]["data_checks"]["run"] is False
    data_suite = ET.parse(junit).getroot().findall("testsuite")[1]
    assert data_suite.get("skipped") == "1" and data_suite.find("testcase/skipped") is not None


# ---------------------------------------------------------------- the model's interval and date rules


def issues_of(catalogue, tables, *sql: str):
    con = duckdb.connect()
    load_tables(con, catalogue.model, tables)
    for statement in sql:
        con.execute(statement)
    try:
        return {(i.entity, i.check): i for i in check_data(Dataset(con, "t"), catalogue.model, catalogue.rules)}
    finally:
        con.close()


@pytest.fixture(scope="module")
def rich():
    """A consistent random dataset with a row in every table."""
    for seed in range(100):
        tables = random_dataset(random.Random(seed), 40)
        if all(tables.values()):
            return tables
    raise AssertionError("no random dataset with every table")


def start_end_entities(model) -> list[str]:
    return [e.name for e in model.entities.values() if {"startdatum", "slutdatum"} <= set(e.columns)]


def test_every_entity_with_a_start_and_an_end_has_an_interval_rule(catalogue, rich):
    entities = start_end_entities(catalogue.model)
    assert set(entities) >= {"ersattningsfall", "samarbete", "insats"}
    for entity in entities:
        tables = copy.deepcopy(rich)
        row = next(r for r in tables[entity] if r["slutdatum"] is not None)
        row["slutdatum"] = row["startdatum"] - dt.timedelta(days=3000)  # ends 3 000 days before it starts
        found = issues_of(catalogue, tables)
        key = catalogue.model.entities[entity].key
        assert found[(entity, "rule:slut_efter_start")].examples == [row[key]], entity


def test_dates_outside_the_plausible_range_are_breaches(catalogue, rich):
    samarbete = rich["samarbete"][0]["samarbete_id"]
    mote = rich["mote"][0]["mote_id"]
    found = issues_of(catalogue, rich,
                      f"UPDATE samarbete SET startdatum = '0044-03-15 (BC)'::DATE WHERE samarbete_id = {samarbete}",
                      f"UPDATE mote SET datum = DATE '9999-12-31' WHERE mote_id = {mote}")
    issue = found[("samarbete", "range:startdatum")]
    assert issue.examples == [samarbete] and issue.breaches == 1
    assert issue.message == "startdatum is outside the model's plausible dates (1955-01-01 to 2099-12-31)"
    assert found[("mote", "range:datum")].examples == [mote]


def test_every_date_column_has_the_plausible_dates(catalogue):
    model = catalogue.model
    assert model.dates is not None
    for entity in model.entities.values():
        for column in entity.columns.values():
            if column.type == "date":
                assert model.plausible(column) is not None, f"{entity.name}.{column.name}"


def test_consistent_data_keeps_the_new_rules(catalogue):
    for seed in range(5):
        assert issues_of(catalogue, random_dataset(random.Random(seed), 30)) == {}


def test_every_golden_fixture_keeps_every_rule(catalogue):
    for path in sorted((ROOT / "fixtures").glob("*.yaml")):
        assert api.check_data(catalogue, path) == [], path.name


@pytest.mark.parametrize("scale, seed", [(0.02, 1), (0.001, 1), (0.001, 2)])
def test_the_synthetic_extract_keeps_every_rule(catalogue, tmp_path, scale, seed):
    """`make demo` checks the generated extract first: it must pass (the national one is the same generator).
    At scale 0.001 (seeds 1 and 2) end dates were once moved before the first intervention."""
    db = tmp_path / "demo.duckdb"
    api.demo_data(db, scale=scale, seed=seed)
    assert api.check_data(catalogue, db) == []


MODEL_HEAD = """\
model: t
version: 1
{dates}
entities:
  fall:
    key: fall_id
    columns:
      fall_id: {{type: bigint}}
      namn: {{type: varchar{namn}}}
      startdatum: {{type: date{start}}}
      antal: {{type: integer{antal}}}
"""


def model_errors(tmp_path, dates="", namn="", start="", antal="") -> list[str]:
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    (folder / "model.yaml").write_text(MODEL_HEAD.format(dates=dates, namn=namn, start=start, antal=antal), "utf-8")
    return [str(d) for d in load_catalogue(folder).errors]


def test_plausible_ranges_are_checked_when_the_model_loads(tmp_path):
    assert model_errors(tmp_path, "dates: {from: 1955-01-01, to: 2099-12-31}", start=", range: {from: 2000-01-01}",
                        antal=", range: {from: 0, to: 100}") == []
    assert model_errors(tmp_path, "dates: {from: 2099-01-01, to: 1955-01-01}") == [
        f"{tmp_path}/m/model.yaml:3:15: E_MODEL_RANGE the range is empty: from 2099-01-01 is after to 1955-01-01"
        "\n    hint: swap from and to"]
    [error] = model_errors(tmp_path, namn=", range: {from: 1}")
    assert ":9:29: E_MODEL_RANGE a range of plausible values is for date and number columns, not varchar" in error
    [error] = model_errors(tmp_path, antal=", range: {from: 1955-01-01}")
    assert ":11:44: E_MODEL_RANGE '1955-01-01' is not a number, and the column is integer" in error
    [error] = model_errors(tmp_path, start=", range: {to: '2018-02-30'}")
    assert ":10:44: E_MODEL_RANGE '2018-02-30' is not a date" in error
    [error] = model_errors(tmp_path, "dates: {from: '1955'}")
    assert ":3:15: E_SCHEMA" in error and "hint: write a date as YYYY-MM-DD" in error


def test_a_model_without_dates_checks_no_date_range(tmp_path, make_catalogue):
    _, catalogue = make_catalogue({}, model=MODEL_HEAD.format(dates="", namn="", start="", antal=""))
    assert catalogue.model.dates is None
    assert catalogue.model.plausible(catalogue.model.entities["fall"].columns["startdatum"]) is None


# ---------------------------------------------------------------- disclosure threshold and the report year


def test_a_threshold_below_2_is_refused_where_it_is_written(make_catalogue):
    folder, _ = make_catalogue({})
    (folder / "project.yaml").write_text(PROJECT.replace("threshold: 2", "threshold: 1"), encoding="utf-8")
    errors = load_catalogue(folder).errors
    assert [(e.code, e.position.line, e.position.col) for e in errors] == [("E_SCHEMA", 2, 25)]
    assert "1 is less than the minimum of 2" in errors[0].message and "suppress nothing" in errors[0].hint
    code, output = invoke("validate", "--indicators", folder)
    assert code == 1 and "project.yaml:2:25: E_SCHEMA" in output
    (folder / "project.yaml").write_text(PROJECT, encoding="utf-8")
    assert load_catalogue(folder).errors == []


def test_the_shipped_threshold_is_at_least_2(catalogue):
    assert catalogue.project.threshold >= 2


def positions(catalogue, year, compare=api.PREVIOUS_YEAR) -> list[tuple[str, str]]:
    with pytest.raises(api.EngineError) as err:
        api.report(catalogue, "/nonexistent/x.duckdb", year, compare)
    return [(d.position.file, d.message) for d in err.value.diagnostics if d.code == "E_PERIOD"]


def test_a_report_year_out_of_range_names_year_not_compare(catalogue):
    found = positions(catalogue, "1000")
    assert found == [("--year", "the report year 1000 is outside the model's plausible dates "
                                "(1955-01-01 to 2099-12-31)")]
    assert positions(catalogue, "1000", "2017")[0][0] == "--year"
    assert positions(catalogue, "2018", "1900") == [
        ("--compare", "the comparison year 1900 is outside the model's plausible dates (1955-01-01 to 2099-12-31)")]


def test_a_default_comparison_year_out_of_range_says_it_was_the_default(catalogue, tmp_path):
    [(option, message)] = positions(catalogue, "1955")
    assert option == "--compare" and message.startswith("no --compare given, and the year before --year 1955, 1954")
    code, output = invoke("report", "--data", tmp_path / "x.duckdb", "--year", "1000", "--out", tmp_path / "o")
    assert code == 1 and output.startswith("--year: E_PERIOD the report year 1000 is outside") and "--compare:" \
        not in output


def test_without_dates_the_year_before_1000_names_the_default(tmp_path, make_catalogue):
    folder, _ = make_catalogue({"antal_test.yaml": INDICATOR})
    model = (folder / "model.yaml").read_text("utf-8")
    (folder / "model.yaml").write_text(model.replace("dates: {from: 1955-01-01, to: 2099-12-31}", ""), "utf-8")
    (folder / "project.yaml").write_text(PROJECT, encoding="utf-8")
    catalogue = api.checked_catalogue(folder)
    assert catalogue.model.dates is None
    [(option, message)] = positions(catalogue, "1000")
    assert option == "--compare" and "no --compare given, and the year before --year 1000, 999" in message
