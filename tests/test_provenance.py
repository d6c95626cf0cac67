"""Every output says what it was computed from (engine.provenance): engine version and commit, catalogue
hash, each definition's version and semantic hash, the dataset's fingerprint, the data checks, the
disclosure threshold, the command and the time."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from click.testing import CliRunner

from engine import api, report_formats
from engine.catalogue import load_catalogue
from engine.cli import main
from engine.execute import open_dataset
from engine.provenance import (
    HASH_LIMIT,
    build_provenance,
    catalogue_hash,
    dataset_part,
    file_fingerprint,
    git_state,
    one_line,
    sql_header,
)
from engine.semantic import meaning
from engine.snapshots import snapshot_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "antal_gemensamma_kartlaggningar.yaml"
IND = "antal_gemensamma_kartlaggningar"
MOVING = "antal_avslutade_efter_insats"  # on the small extract: its published figure fails, its 2018 total moves
UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


@pytest.fixture(scope="module")
def small_extract(tmp_path_factory) -> Path:
    """The synthetic extract at scale 0.02: cells large enough that the alert and the figure are not suppressed
    (a fixture's handful of rows would be, and check shows nothing of a suppressed cell)."""
    path = tmp_path_factory.mktemp("small") / "demo.duckdb"
    api.demo_data(path, scale=0.02)
    return path


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_provenance(p: dict, catalogue, ids: list[str], data: Path | None, command: str) -> None:
    """What every provenance holds, checked against the catalogue and the dataset themselves."""
    assert p["engine"]["name"] == "indicator-engine" and p["engine"]["version"]
    assert re.fullmatch(r"[0-9a-f]{40}", p["engine"]["git_commit"])  # this repository is a git checkout
    assert p["catalogue"]["hash"] == catalogue_hash(catalogue)
    assert p["catalogue"]["indicators"] == {
        i: {"version": catalogue.get(i).info.version, "semantic_hash": meaning(catalogue.get(i)).hash} for i in ids}
    if data is not None:
        assert p["dataset"]["path"] == str(data) and p["dataset"]["size_bytes"] == data.stat().st_size
        assert p["dataset"]["sha256"] == sha256(data) and UTC.fullmatch(p["dataset"]["modified"])
        assert set(p["dataset"]["tables"]) == set(catalogue.model.entities)
    assert p["disclosure"]["threshold"] == catalogue.project.threshold
    assert p["command"].startswith(command) and UTC.fullmatch(p["generated_at"])


# ---------------------------------------------------------------- every output carries it


def test_run_json_has_provenance_beside_the_rows_and_bare_gives_the_old_list(catalogue, tmp_path):
    code, out, _ = invoke("run", "--data", FIXTURE, "--period", "2018", "--indicator", IND, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"format", "provenance", "microdata", "rows"} and document["format"] == 2
    assert document["microdata"] is True  # run keeps every value: microdata, said in the output itself
    assert_provenance(document["provenance"], catalogue, [IND], FIXTURE,
                      f"indicators run --data {FIXTURE} --period 2018")
    p = document["provenance"]
    assert p["data_checks"]["run"] is True and p["data_checks"]["checks"] > 0 and p["data_checks"]["breached"] == 0
    assert p["disclosure"]["applied"] is False  # run keeps every value and flags rows instead
    tables = p["dataset"]["tables"]
    inputs = yaml.safe_load(FIXTURE.read_text("utf-8"))["inputs"]
    assert tables["kartlaggning"]["rows"] == len(inputs["kartlaggning"])
    dates = sorted(str(r["datum"]) for r in inputs["kartlaggning"])
    assert tables["kartlaggning"]["date_ranges"]["datum"] == {"min": dates[0], "max": dates[-1]}
    code, bare, _ = invoke("run", "--data", FIXTURE, "--period", "2018", "--indicator", IND, "--format", "json",
                           "--bare")
    assert code == 0 and json.loads(bare) == document["rows"] == api.run(catalogue, FIXTURE, ["2018"], [IND])
    code, _, _ = invoke("run", "--data", FIXTURE, "--period", "2018", "--indicator", IND, "--format", "json",
                        "--no-data-checks", "--out", tmp_path / "rows.json")
    assert json.loads((tmp_path / "rows.json").read_text("utf-8"))["provenance"]["data_checks"]["run"] is False


def test_run_csv_to_a_file_gets_a_provenance_sidecar_and_stdout_nothing_extra(catalogue, tmp_path):
    out = tmp_path / "rader.csv"
    code, _, _ = invoke("run", "--data", FIXTURE, "--period", "2018", "--indicator", IND, "--format", "csv",
                        "--out", out)
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["rader.csv", "rader.provenance.json"]
    sidecar = json.loads((tmp_path / "rader.provenance.json").read_text("utf-8"))
    assert sidecar["describes"] == "rader.csv" and sidecar["format"] == 2
    assert_provenance(sidecar["provenance"], catalogue, [IND], FIXTURE, "indicators run")
    assert out.read_text("utf-8").startswith("indicator,period,breakdown")  # the CSV itself is unchanged
    code, stdout, _ = invoke("run", "--data", FIXTURE, "--period", "2018", "--indicator", IND, "--format", "csv")
    assert code == 0 and stdout == out.read_text("utf-8")
    invoke("run", "--data", FIXTURE, "--period", "2018", "--indicator", IND, "--format", "csv", "--bare", "--out",
           tmp_path / "bare.csv")
    assert not (tmp_path / "bare.provenance.json").exists()


def test_the_sidecar_never_lands_on_an_input(tmp_path):
    # rows.csv is a new file, but its sidecar rows.provenance.json would be the dataset itself
    dataset = tmp_path / "rows.provenance.json"
    shutil.copy(FIXTURE, dataset)
    code, _, err = invoke("run", "--data", dataset, "--period", "2018", "--indicator", IND, "--format", "csv",
                          "--out", tmp_path / "rows.csv")
    assert code == 1 and "E_OUT_IS_INPUT" in err and "its provenance" in err
    assert not (tmp_path / "rows.csv").exists() and dataset.read_bytes() == FIXTURE.read_bytes()


def test_check_json_and_junit_carry_the_provenance(catalogue, tmp_path, small_extract):
    junit, report = tmp_path / "check.xml", tmp_path / "check.json"
    code, _, _ = invoke("check", "--data", small_extract, "--indicator", MOVING, "--junit", junit, "--json", report)
    assert code == 1  # the small extract does not reproduce the national figures
    document = json.loads(report.read_text("utf-8"))
    assert document["format"] == 2 and document["summary"]["suppressed"] == 0
    assert_provenance(document["provenance"], catalogue, [MOVING], small_extract, "indicators check --data")
    root = ET.parse(junit).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    properties = {p.get("name"): p.get("value") for p in suites["published-figures"].findall("properties/property")}
    p = document["provenance"]
    assert properties["engine.version"] == p["engine"]["version"]
    assert properties["engine.git_commit"] == p["engine"]["git_commit"]
    assert properties["catalogue.hash"] == p["catalogue"]["hash"]
    assert properties["dataset.path"] == str(small_extract) and properties["dataset.sha256"] == sha256(small_extract)
    assert properties["disclosure.applied"] == "true" and "microdata" not in properties
    assert properties["disclosure.threshold"] == str(catalogue.project.threshold)
    assert properties["generated_at"] == p["generated_at"] and properties["command"] == p["command"]
    # every figure: a test case placed at its line, named by its stable id, with its source and values
    cases = suites["published-figures"].findall("testcase")
    assert len(cases) == len(document["figures"])
    for case, figure in zip(cases, document["figures"], strict=True):
        assert case.get("file") == figure["file"] and case.get("line") == str(figure["line"])
        assert case.get("name").startswith(figure["id"] + ": ")
        values = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        assert values["figure_id"] == figure["id"] and values["source"] == figure["source"]["id"]
        assert values["citation"] == figure["source"]["citation"] and values["period"] == figure["period"]
        assert values["published"] == figure["claim"]["text"] and values["computed"] == figure["computed"]["text"]
    # the change alert: a case of its own, skipped (shown, not failing), with its stable id
    (alert,) = document["changes"]
    assert alert["id"] == f"change/{MOVING}/2018/total"
    (case,) = suites["change-alerts"].findall("testcase")
    assert case.get("name") == alert["id"] and case.find("skipped") is not None and case.find("failure") is None
    assert case.get("file") == alert["file"] and case.get("line") == str(alert["line"]) != "0"
    assert int(root.get("failures")) == len([f for f in document["figures"] if not f["holds"]])


def test_the_report_states_its_provenance_in_every_format(catalogue, tmp_path):
    out = tmp_path / "rapport"
    code, _, err = invoke("report", "--data", FIXTURE, "--year", "2018", "--format", "html", "--format", "md",
                          "--format", "xlsx", "--out", out)
    assert code == 0, err
    built = api.report(catalogue, FIXTURE, "2018", "2017", command="indicators report")
    p = built.provenance.as_dict()
    shown = [i.id for s in built.sections for i in s.indicators]
    assert_provenance(p, catalogue, sorted(shown), FIXTURE, "indicators report")
    assert p["disclosure"]["applied"] is True and p["data_checks"]["run"] is True
    html = (out / "aterrapportering_2018.html").read_text("utf-8")
    markdown = (out / "aterrapportering_2018.md").read_text("utf-8")
    with zipfile.ZipFile(out / "aterrapportering_2018.xlsx") as book:
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    for text in (html, markdown, strings):
        for label in ("Om beräkningen", "Motorversion", "Git-commit", "Katalogens kontrollsumma", "Datamängd",
                      "Datakontroller", "Röjandekontroll", "Kommando", "Skapad"):
            assert label in text, label
        assert p["catalogue"]["hash"] in text and p["engine"]["git_commit"] in text
        assert sha256(FIXTURE) in text and "indicators report --data" in text
        for ident in shown:  # each definition's version and semantic hash
            assert meaning(catalogue.get(ident)).hash in text
        # published: the files by name, never the folders they lie in (the JSON outputs keep the paths)
        assert str(Path(FIXTURE).parent) not in text and str(out) not in text
        assert Path(FIXTURE).name in text.replace("\\_", "_")  # Markdown escapes the underscores
        assert p["catalogue"]["hash"][: len("sha256:") + 12] in text  # the colophon names the same hash
    method = html[html.index('id="metod"'):]
    assert "Om beräkningen" in method  # in the method section


def test_compile_prints_a_header_and_snapshots_stay_free_of_it(catalogue):
    code, out, _ = invoke("compile", IND, "--period", "2018H2", "--dialect", "spark")
    assert code == 0
    header = [line for line in out.splitlines() if line.startswith("-- ")]
    text = "\n".join(header)
    bound = catalogue.get(IND)
    assert f"semantic hash {meaning(bound).hash}" in text and f"{IND} version {bound.info.version}" in text
    assert "dialect: spark" in text and "period: 2018H2 = 2018-07-01 .. 2018-12-31" in text
    assert re.search(r"generated at: [0-9T:-]+Z", text) and "command: indicators compile" in text
    assert catalogue_hash(catalogue) in text and "engine: indicator-engine " in text
    assert out.splitlines()[:len(header)] == header  # the header comes first, the SQL after it
    assert "generated at" not in snapshot_text(catalogue, IND, "spark")  # committed snapshots compare byte for byte


def test_nothing_can_end_the_sql_header_comment(catalogue):
    provenance = build_provenance(catalogue, indicator_ids=[IND], output="compile",
                                  command="indicators compile x\nDROP TABLE person; --\r\x1b[2J",
                                  extra={"definition": "a\nb.yaml"})
    lines = sql_header(provenance, IND)
    assert all(line.startswith("-- ") and "\n" not in line and "\r" not in line for line in lines)
    assert one_line("a\nDROP\u2028x\x1b") == "a DROP x"


# ---------------------------------------------------------------- what changes the fingerprints


INDICATOR = """\
id: t
version: 1
title: {sv: Test, en: Test}
description: {sv: En test., en: A test.}
unit: count
owner: test
population:
  entity: kartlaggning
  period: datum
measure:
  kind: count
"""


def test_catalogue_hash_follows_the_meaning_not_the_layout(make_catalogue):
    folder, first = make_catalogue({"t.yaml": INDICATOR})
    before = catalogue_hash(first)
    path = folder / "t.yaml"
    path.write_text(path.read_text("utf-8") + "# a comment\n", "utf-8")
    assert catalogue_hash(load_catalogue(folder)) == before
    path.write_text(path.read_text("utf-8").replace("{sv: Test, en: Test}", "{sv: Prov, en: Trial}"), "utf-8")
    assert catalogue_hash(load_catalogue(folder)) == before  # a title is not the definition
    path.write_text(path.read_text("utf-8") + "breakdowns: [fall.ersattning]\n", "utf-8")
    changed = catalogue_hash(load_catalogue(folder))
    assert changed != before
    path.write_text(path.read_text("utf-8").replace("version: 1", "version: 2"), "utf-8")
    assert catalogue_hash(load_catalogue(folder)) not in (before, changed)
    model = folder / "model.yaml"
    model.write_text(model.read_text("utf-8") + "\n", "utf-8")  # the model file's bytes count
    assert catalogue_hash(load_catalogue(folder)) not in (before, changed)


def test_dataset_fingerprint_changes_with_the_dataset(catalogue, tmp_path):
    data = tmp_path / "x.yaml"
    shutil.copy(FIXTURE, data)

    def fingerprint() -> dict:
        dataset = open_dataset(data, catalogue.model)
        try:
            return dataset_part(data, dataset, catalogue.model)
        finally:
            dataset.close()
    before = fingerprint()
    assert before["kind"] == "yaml" and before["sha256"] == sha256(FIXTURE)
    assert fingerprint()["sha256"] == before["sha256"]  # the same data, the same fingerprint
    doc = yaml.safe_load(data.read_text("utf-8"))
    doc["inputs"]["kartlaggning"] = doc["inputs"]["kartlaggning"][:-1]
    data.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    after = fingerprint()
    assert after["sha256"] != before["sha256"]
    assert after["tables"]["kartlaggning"]["rows"] == before["tables"]["kartlaggning"]["rows"] - 1
    assert after["tables"]["person"] == before["tables"]["person"]


def test_a_folder_dataset_is_fingerprinted_file_by_file(tmp_path):
    (tmp_path / "person.csv").write_text("person_id,kon,fodelsear\n1,K,1980\n", "utf-8")
    (tmp_path / "notes.txt").write_text("not data", "utf-8")
    before = file_fingerprint(tmp_path)
    assert before["kind"] == "folder" and [f["name"] for f in before["files"]] == ["person.csv"]
    (tmp_path / "notes.txt").write_text("still not data", "utf-8")
    assert file_fingerprint(tmp_path)["sha256"] == before["sha256"]
    (tmp_path / "person.csv").write_text("person_id,kon,fodelsear\n1,M,1980\n", "utf-8")
    assert file_fingerprint(tmp_path)["sha256"] != before["sha256"]


def test_a_dataset_over_the_limit_is_not_hashed_and_says_why(tmp_path, monkeypatch):
    from engine import provenance
    big = tmp_path / "big.duckdb"
    big.write_bytes(b"x" * 1000)
    monkeypatch.setattr(provenance, "HASH_LIMIT", 999)
    shown = file_fingerprint(big)
    assert shown["sha256"] is None and shown["size_bytes"] == 1000 and "larger than" in shown["sha256_note"]
    assert HASH_LIMIT == 256 * 1024 * 1024


def test_git_commit_where_there_is_a_checkout_and_none_where_not(tmp_path):
    commit, dirty = git_state(ROOT / "indicators")
    assert commit is not None and re.fullmatch(r"[0-9a-f]{40}", commit) and isinstance(dirty, bool)
    assert git_state(tmp_path) == (None, None)


@pytest.mark.parametrize("output,applied", [("run", False), ("check", True), ("report", True)])
def test_disclosure_says_whether_it_was_applied(catalogue, output, applied):
    p = build_provenance(catalogue, indicator_ids=[IND], output=output).as_dict()
    assert p["disclosure"]["applied"] is applied and p["disclosure"]["threshold"] == catalogue.project.threshold
    assert p["dataset"] is None and p["data_checks"]["run"] is False


@pytest.mark.parametrize("output,applied", [("run", True), ("check", False)])
def test_disclosure_chosen_on_the_command_line_is_stated(catalogue, output, applied):
    """run --apply-disclosure and check --show-suppressed turn the default round, and the note says which."""
    p = build_provenance(catalogue, indicator_ids=[IND], output=output, disclosure=applied).as_dict()
    assert p["disclosure"]["applied"] is applied
    assert ("--apply-disclosure" if applied else "--show-suppressed") in p["disclosure"]["note"]


def test_report_formats_render_without_provenance(catalogue):
    """A Report built without provenance (an older caller) renders as before, without the section."""
    built = api.report(catalogue, FIXTURE, "2018", "2017", generated="2019-05-17")
    built.provenance = None
    assert "Om beräkningen" not in report_formats.to_html(built)
    assert "Om beräkningen" not in report_formats.to_markdown(built)
