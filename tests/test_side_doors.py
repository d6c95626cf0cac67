"""No side doors: a cell the report suppresses is never shown by another output.

`check` (its terminal table, check.json, JUnit), its change alerts and `diff` are CI
artifacts and merge-request comments: they apply the report's suppression (engine.shielded).
A figure resting on a suppressed cell is "not shown for disclosure" (neither holds nor
fails), a change alert is not evaluated on a suppressed total, a diff row with a suppressed
side is not compared. `run` says that it is microdata and masks with `--apply-disclosure`;
`check --show-suppressed` shows everything and marks every output as microdata.

A tiny catalogue makes it happen on purpose: a share computed from 5 of 7 units in 2017
(71,4 %) under a threshold of 10, beside 10 of 20 in 2018 (50 %). Every text form of the
hidden 5/7 is looked for in every output. Then the same on the small synthetic extract, for
every cell the report suppresses there.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

import duckdb
import pytest
from click.testing import CliRunner

from engine import api, report_formats
from engine.check import plain, watched_changes
from engine.cli import main
from engine.execute import load_tables
from engine.present import format_number
from engine.shielded import SUPPRESSED, Shield

ROOT = Path(__file__).resolve().parent.parent

PROJECT = """\
title: {sv: Test, en: Test}
disclosure: {threshold: 10}
change_alert:
  share: {absolute: 0.05}
sources:
  - {id: test, title: Testrapport, publisher: Testmyndigheten, date: "2019"}
reports:
  - {key: test, title: {sv: Testrapport, en: Test report}, source: test}
"""

# 2017: 5 of 7 assessments on sjukpenning (71,4 %, too few to show at threshold 10); 2018: 10 of 20 (50 %)
INDICATOR = """\
id: andel_test
version: 1
title: {sv: Andel med sjukpenning, en: Share with sickness benefit}
description: {sv: Andel kartläggningar där fallet gäller sjukpenning., en: Share of assessments on sickness benefit.}
unit: share
owner: test
report: test
population:
  entity: kartlaggning
  period: datum{where}
measure:
  kind: share
  numerator: "fall.ersattning = 'sjukpenning'"
omit_kon_because: Ett test av totalen.
published:
  - {period: "2017", holds: above, value: 0.6, text: "över 60 procent", source: test}
  - {period: "2018", value: 0.5, precision: 0.01, text: "50 procent", source: test}
  - {period: "2018", holds: lower_than, compare_to: "2017", text: "lägre än 2017", source: test}
"""
# the working version of the diff: one 2018 assessment on sjukpenning less, 9 of 19 (47,4 %): too few to show
WHERE = "\n  where: kartlaggning_id <> 2001"

HIDDEN_2017 = (5, 7)
HIDDEN_2018_AFTER = (9, 19)


def forms(numerator: int, denominator: int, whole: bool = True) -> set[str]:
    """Every text form a share could be shown in: 71,4 %, 71,43 %, 0.714286, 0.7142857142857143, 5/7 ... and,
    `whole`, 71 % (too common a text to look for in a large output)."""
    value = Fraction(numerator, denominator)
    shown = {format_number(float(value), "share", d) for d in ((0, 1, 2) if whole else (1, 2))}
    return shown | {s.replace("\u00a0%", "") for s in shown if "," in s} | {
        plain(value), repr(float(value)), f"{numerator}/{denominator}", f"{numerator} of {denominator}"}


def assert_hidden(text: str, *cells: tuple[int, int], whole: bool = True) -> None:
    for cell in cells:
        leaked = sorted(f for f in forms(*cell, whole=whole) if f in text)
        assert not leaked, f"{cell[0]}/{cell[1]} shown as {leaked}"


def tables() -> dict:
    people, cases, assessments = [], [], []
    for year, units, on_benefit in ((2017, 7, 5), (2018, 20, 10)):
        for k in range(units):
            ident = (year - 2016) * 1000 + k + 1       # 1001.. in 2017, 2001.. in 2018
            people.append({"person_id": ident, "kon": "KM"[k % 2], "fodelsear": 1980})
            cases.append({"fall_id": ident, "person_id": ident,
                          "ersattning": "sjukpenning" if k < on_benefit else "aktivitetsersattning",
                          "startdatum": dt.date(year, 1, 1), "slutdatum": None, "diagnoskod": "M54",
                          "avslutsorsak": None})
            assessments.append({"kartlaggning_id": ident, "person_id": ident, "fall_id": ident,
                                "datum": dt.date(year, 3, 1)})
    return {"person": people, "ersattningsfall": cases, "kartlaggning": assessments}


def write_catalogue(folder: Path, where: str = "") -> Path:
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "indicators" / "model.yaml", folder / "model.yaml")
    (folder / "project.yaml").write_text(PROJECT, encoding="utf-8")
    (folder / "andel_test.yaml").write_text(INDICATOR.replace("{where}", where), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(catalogue folder, its working version for diff, dataset)."""
    root = tmp_path_factory.mktemp("side_doors")
    folder, working = write_catalogue(root / "indicators"), write_catalogue(root / "working" / "indicators", WHERE)
    catalogue = api.checked_catalogue(folder, versions=False)
    data = root / "tiny.duckdb"
    con = duckdb.connect(str(data))
    load_tables(con, catalogue.model, tables())
    con.close()
    return folder, working, data


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def test_the_tiny_catalogue_suppresses_2017_and_not_2018(tiny):
    folder, _, data = tiny
    rows = {r["period"]: r for r in api.run(api.checked_catalogue(folder, versions=False), data, ["2017", "2018"])}
    assert (rows["2017"]["numerator"], rows["2017"]["denominator"]) == HIDDEN_2017 and rows["2017"]["disclosure"]
    assert (rows["2018"]["numerator"], rows["2018"]["denominator"]) == (10, 20) and not rows["2018"]["disclosure"]


def test_the_report_shows_dots_for_the_hidden_cell(tiny):
    folder, _, data = tiny
    built = api.report(api.checked_catalogue(folder, versions=False), data, "2018", "2017", generated="2019-05-17")
    (line,) = [line for s in built.sections for i in s.indicators for line in i.lines if line.dimension is None]
    assert line.previous is not None and line.previous.suppressed and line.previous.text == SUPPRESSED
    assert line.current.text == "50\u00a0%"
    assert_hidden(report_formats.to_markdown(built), HIDDEN_2017)


def test_check_shows_no_suppressed_cell_in_any_output(tiny, tmp_path):
    folder, _, data = tiny
    junit, report = tmp_path / "check.xml", tmp_path / "check.json"
    code, out, err = invoke("check", "--data", data, "--indicators", folder, "--junit", junit, "--json", report)
    assert code == 0, err  # 50 % holds; the two figures resting on 2017 are not shown, which is no failure
    for text in (out, err, junit.read_text("utf-8"), report.read_text("utf-8")):
        assert_hidden(text, HIDDEN_2017)
    # the terminal: the figures on 2017 (the 2018 comparison with 2017 too) say why, and nothing of their value
    suppressed = [line for line in out.splitlines() if "visas inte (röjandekontroll)" in line]
    assert [line.split()[0] for line in suppressed] == ["andel_test/2017/total/1", "andel_test/2018/total/2"]
    assert all(f" {SUPPRESSED} " in line for line in suppressed)
    assert err.count("W_FIGURE_SUPPRESSED") == 2 and "E_FIGURE" not in err
    assert "W_CHANGE" not in err  # 71,4 % → 50,0 % would tell the hidden 2017 value
    # 2017 after 2016 and 2018 after 2017 both need the hidden 2017 total
    assert "1 of 3 published figure(s) hold, 0 fail, 2 not shown (disclosure control); 0 change alert(s) " \
           "(2 not evaluated: suppressed)" in err
    # check.json: no computed value, no verdict, no alert
    document = json.loads(report.read_text("utf-8"))
    assert document["microdata"] is False and document["provenance"]["disclosure"]["applied"] is True
    assert document["summary"]["suppressed"] == 2 and document["summary"]["change_alerts_not_evaluated"] == 2
    assert document["changes"] == []
    for figure in document["figures"][:1] + document["figures"][2:]:
        assert (figure["verdict"], figure["holds"], figure["computed"]) == ("suppressed", None, None)
        assert figure["reason"].startswith("not shown for disclosure")
    assert document["figures"][1]["verdict"] == "holds" and document["figures"][1]["computed"]["numerator"] == 10
    # JUnit: skipped (neither passing nor failing), without the computed value
    suites = {s.get("name"): s for s in ET.parse(junit).getroot().findall("testsuite")}
    figures = suites["published-figures"]
    assert (figures.get("tests"), figures.get("failures"), figures.get("skipped")) == ("3", "0", "2")
    for case in figures.findall("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        if properties["verdict"] == "suppressed":
            assert "not shown for disclosure" in case.find("skipped").get("message")
            assert "computed" not in properties and "computed_value" not in properties
    assert suites["change-alerts"].findall("testcase") == []


def test_show_suppressed_shows_everything_and_marks_every_output_as_microdata(tiny, tmp_path):
    folder, _, data = tiny
    junit, report = tmp_path / "check.xml", tmp_path / "check.json"
    code, out, err = invoke("check", "--data", data, "--indicators", folder, "--junit", junit, "--json", report,
                            "--show-suppressed")
    assert "W_MICRODATA" in err and "do not share" in err
    assert "71,4\u00a0% → 50,0\u00a0%" in err  # the alert the shielded check does not evaluate: the forms are found
    assert "71,43" in out
    document = json.loads(report.read_text("utf-8"))
    assert document["microdata"] is True and document["provenance"]["disclosure"]["applied"] is False
    assert "--show-suppressed" in document["provenance"]["disclosure"]["note"]
    assert document["summary"]["suppressed"] == 0 and len(document["changes"]) == 1
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().find("testsuite")
                  .findall("properties/property")}
    assert properties["microdata"] == "true" and properties["disclosure.applied"] == "false"
    assert code == 0  # 71,4 % is above 60 %, and lower than 2017 holds too


def test_diff_shows_no_suppressed_cell_and_a_verdict_gone_hidden_still_blocks(tiny, tmp_path):
    folder, working, data = tiny
    args = ["diff", "--data", data, "--period", "2017", "--period", "2018", "--indicators", working,
            "--baseline", folder]
    texts = []
    for fmt in ("table", "markdown", "json"):
        code, out, err = invoke(*args, "--format", fmt)
        assert code == 1, err  # 50 % held before; now it rests on a suppressed cell: a changed verdict
        assert "andel_test/2018/total/1 (holds → suppressed)" in err
        texts += [out, err]
    for text in texts:
        assert_hidden(text, HIDDEN_2017, HIDDEN_2018_AFTER)
    document = json.loads(texts[4])
    # neither row is compared: 2017 is hidden in both versions, 2018 after the change; the count says only that
    assert document["rows"] == [] and document["rows_not_compared"] == {"andel_test": 2}
    figures = {f["id"]: f for f in document["figures"]}
    moved = figures["andel_test/2018/total/1"]
    assert (moved["old"]["verdict"], moved["new"]["verdict"], moved["status"]) == ("holds", "suppressed", "changed")
    assert moved["new"]["computed"] == SUPPRESSED and moved["new"]["holds"] is None
    for ident in ("andel_test/2017/total/1", "andel_test/2018/total/2"):  # hidden in both: no change
        assert (figures[ident]["old"]["verdict"], figures[ident]["new"]["verdict"]) == ("suppressed", "suppressed")
        assert figures[ident]["status"] == "same"
    assert "2 row(s) not compared: suppressed in either version" in texts[0]
    assert "visas inte" in texts[0]
    assert invoke(*args, "--accept", "andel_test/2018/total/1")[0] == 0


def test_run_says_it_is_microdata_and_apply_disclosure_masks(tiny, tmp_path):
    folder, _, data = tiny
    base = ["run", "--data", data, "--period", "2017", "--period", "2018", "--indicators", folder]
    code, out, err = invoke(*base)
    assert code == 0 and "W_MICRODATA" in err and "--apply-disclosure" in err
    assert out.rstrip().splitlines()[-1].startswith("Mikrodata: röjandekontroll inte tillämpad")
    code, out, _ = invoke(*base, "--format", "json")
    document = json.loads(out)
    assert document["microdata"] is True and document["provenance"]["disclosure"]["applied"] is False
    assert "71,4" not in out and document["rows"][0]["numerator"] == 5  # microdata: kept, and flagged
    assert document["rows"][0]["disclosure"] == "primary"

    code, out, err = invoke(*base, "--apply-disclosure")
    assert code == 0 and "W_MICRODATA" not in err
    assert_hidden(out, HIDDEN_2017)
    hidden = next(line for line in out.splitlines() if line.startswith("andel_test  2017"))
    assert hidden.split()[3:8] == [SUPPRESSED] * 4 + ["redovisas"]
    assert "50,0\u00a0%" in out and out.rstrip().splitlines()[-1].startswith("Röjandekontroll tillämpad")
    code, out, _ = invoke(*base, "--apply-disclosure", "--format", "json")
    document = json.loads(out)
    assert document["microdata"] is False and document["provenance"]["disclosure"]["applied"] is True
    masked, shown = document["rows"]
    assert {k: masked[k] for k in ("value", "numerator", "denominator", "n", "disclosure")} == {
        "value": None, "numerator": None, "denominator": None, "n": None, "disclosure": "suppressed"}
    assert (shown["numerator"], shown["denominator"], shown["disclosure"]) == (10, 20, None)
    csv_out = tmp_path / "rows.csv"
    assert invoke(*base, "--apply-disclosure", "--format", "csv", "--out", csv_out)[0] == 0
    lines = csv_out.read_text("utf-8").splitlines()
    assert lines[1] == "andel_test,2017,,,..,..,..,..,suppressed"
    sidecar = json.loads((tmp_path / "rows.provenance.json").read_text("utf-8"))
    assert sidecar["microdata"] is False and sidecar["provenance"]["disclosure"]["applied"] is True


def test_a_change_alert_on_a_hidden_total_is_not_evaluated_whichever_way_it_moved(tiny):
    """The count of alerts not evaluated must not say whether the alert would have fired."""
    folder, _, _ = tiny
    catalogue = api.checked_catalogue(folder, versions=False)

    def share(numerator: int, denominator: int) -> list[dict]:
        return [{"indicator": "andel_test", "period": "", "breakdown": {}, "value": numerator / denominator,
                 "numerator": numerator, "denominator": denominator, "n": denominator}]
    now, before = ("andel_test", "2018"), ("andel_test", "2017")
    for hidden_2017 in ((5, 7), (3, 7)):  # 71,4 % → 50 % would fire, 42,9 % → 50 % would too; 50 % → 50 % not
        rows = {now: share(10, 20), before: share(*hidden_2017)}
        assert watched_changes(catalogue, [now], rows) == ([], 1)
    rows = {now: share(10, 20), before: share(10, 20)}
    assert watched_changes(catalogue, [now], rows) == ([], 0)  # shown, and it did not move
    rows = {now: share(10, 20), before: share(25, 35)}
    assert len(watched_changes(catalogue, [now], rows)[0]) == 1  # shown, and it moved (71,4 % → 50 %): the alert
    assert len(watched_changes(catalogue, [now], {now: share(10, 20), before: share(5, 7)},
                               Shield(10, applied=False))[0]) == 1  # a microdata run evaluates it


# ---------------------------------------------------------------- the small synthetic extract


@pytest.fixture(scope="module")
def small_extract(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small") / "demo.duckdb"
    api.demo_data(path, scale=0.01)
    return path


def hidden_shares(runs: list[tuple[object, list]], data) -> list[tuple[int, int]]:
    """(numerator, denominator) of every share cell run flags (as the report suppresses it) among the (catalogue,
    keys) runs, where its text forms are specific enough to look for: not 0 % or 100 % or another short decimal,
    and no cell shown in either run has the same value."""
    shares = []
    for catalogue, keys in runs:
        wanted = set(keys)
        shares += [r for r in api.run(catalogue, data, sorted({p for _, p in keys}), sorted({i for i, _ in keys}))
                   if (r["indicator"], r["period"]) in wanted and r["denominator"]
                   and 0 < r["numerator"] < r["denominator"]]
    shown = {Fraction(r["numerator"], r["denominator"]) for r in shares if not r["disclosure"]}
    values = {(r["numerator"], r["denominator"]): Fraction(r["numerator"], r["denominator"]) for r in shares
              if r["disclosure"]}
    # 23/40 is 0.575, the lower bound of a published 58 %: a value with three decimals or fewer is too common
    return sorted(cell for cell, value in values.items() if value not in shown and 1000 % value.denominator)


def test_on_the_small_extract_check_shows_no_suppressed_cell(catalogue, small_extract, tmp_path):
    from engine.check import needed_runs, published_figures
    junit, report = tmp_path / "check.xml", tmp_path / "check.json"
    code, out, err = invoke("check", "--data", small_extract, "--junit", junit, "--json", report)
    document = json.loads(report.read_text("utf-8"))
    assert code == (1 if document["summary"]["fail"] else 0)  # the failing figures still fail
    hidden = [f for f in document["figures"] if f["verdict"] == "suppressed"]
    assert hidden, "the small extract has figures resting on suppressed cells"
    keys = needed_runs(catalogue, published_figures(catalogue))
    cells = hidden_shares([(catalogue, keys)], small_extract)
    assert cells
    for text in (out, err, junit.read_text("utf-8"), report.read_text("utf-8")):
        assert_hidden(text, *cells, whole=False)
    # every figure and alert on a flagged cell is held back, as the report holds them back
    flagged = {(r["indicator"], r["period"], json.dumps(r["breakdown"], sort_keys=True))
               for r in api.run(catalogue, small_extract, sorted({p for _, p in keys}))
               if (r["indicator"], r["period"]) in set(keys) and r["disclosure"]}
    for figure in document["figures"]:
        rests = any((figure["indicator"], p, json.dumps(figure["breakdown"], sort_keys=True)) in flagged
                    for p in figure["periods"])
        assert (figure["verdict"] == "suppressed") == rests, figure["id"]
        assert rests == (figure["computed"] is None)
    for alert in document["changes"]:
        for period in (alert["period"], alert["previous_period"]):
            assert (alert["indicator"], period, "{}") not in flagged
    # the microdata run shows what the shielded one held back: the test would see a leak
    _, shown, _ = invoke("check", "--data", small_extract, "--show-suppressed")
    assert any(f in shown for cell in cells for f in forms(*cell, whole=False))


def test_on_the_small_extract_diff_shows_no_suppressed_cell(small_extract, tmp_path):
    changed = tmp_path / "indicators"
    shutil.copytree(ROOT / "indicators", changed)
    model = changed / "model.yaml"
    model.write_text(model.read_text("utf-8").replace(", 'oppet_arbetslos')", ")"), "utf-8")
    working = api.checked_catalogue(changed, versions=False)
    baseline = api.checked_catalogue(ROOT / "indicators", versions=False, lenient=api.BASELINE_LENIENT)
    result = api.diff(working, baseline, small_extract, ["2018"], accept_all=True)
    assert result.not_compared, "the scenario has rows on suppressed cells"
    keys = [(d.indicator, "2018") for d in result.definitions]
    cells = hidden_shares([(baseline, keys), (working, keys)], small_extract)
    assert cells
    from engine.diff import as_markdown, as_table
    for text in (as_table(result), as_markdown(result), json.dumps(result.as_dict(), ensure_ascii=False)):
        assert_hidden(text, *cells, whole=False)
