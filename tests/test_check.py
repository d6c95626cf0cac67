"""Holding computed rows against published figures, change alerts, and the CI formats."""
from __future__ import annotations

import json
from dataclasses import replace
from xml.etree import ElementTree as ET

import pytest

from engine import api
from engine.check import ChangeAlert, CheckResult, FigureCheck, change_alerts, claim_dict, hold, junit_xml
from engine.diagnostics import Position
from engine.info import PublishedFigure


def share(num, den, breakdown=None):
    return {"breakdown": breakdown or {}, "value": num / den if den else None, "numerator": num,
            "denominator": den, "n": den}


def number(value, breakdown=None, n=10):
    return {"breakdown": breakdown or {}, "value": value, "numerator": None, "denominator": None, "n": n}


def fig(**fields) -> PublishedFigure:
    return PublishedFigure(index=0, position=Position("indicators/t.yaml", 1, 1), source="s", **fields)


FIG58 = fig(period="2018", value=0.58, precision=0.01)


@pytest.mark.parametrize("num,den,ok", [(575, 1000, True), (5849, 10000, True), (585, 1000, False),
                                        (5749, 10000, False), (58, 100, True)])
def test_share_rounds_to_whole_percent_exactly(num, den, ok):
    assert hold(FIG58, "share", {"2018": [share(num, den)]})[0] is ok


@pytest.mark.parametrize("value,ok", [(822.5, True), (823.49, True), (823.5, False), (822.49, False)])
def test_mean_rounds_to_published_day(value, ok):
    figure = fig(period="2018", value=823, precision=1)
    assert hold(figure, "days", {"2018": [number(value)]})[0] is ok


def test_years_round_to_one_decimal():
    figure = fig(period="2018", value=3.5, precision=0.1)
    assert hold(figure, "years", {"2018": [number(3.46)]})[0]
    assert not hold(figure, "years", {"2018": [number(3.56)]})[0]


def test_breakdown_figure_uses_its_row():
    figure = replace(FIG58, breakdown={"ersattning": "aktivitetsersattning"})
    rows = {"2018": [share(1, 2), share(58, 100, {"ersattning": "aktivitetsersattning"})]}
    assert hold(figure, "share", rows)[0]


@pytest.mark.parametrize("rows,why", [
    ({"2018": [share(0, 0)]}, "no value"),
    ({"2018": []}, "no row"),
    ({}, "no row"),
])
def test_a_figure_that_cannot_be_computed_fails(rows, why):
    ok, reason, _, _ = hold(FIG58, "share", rows)
    assert not ok and "not computable" in reason and why in reason


@pytest.mark.parametrize("figure,value,ok", [
    ({"holds": "above", "value": 0.5}, (51, 100), True),
    ({"holds": "above", "value": 0.5}, (50, 100), False),
    ({"holds": "below", "value": 0.5}, (49, 100), True),
    ({"holds": "between", "min": 0.4, "max": 0.6}, (60, 100), True),
    ({"holds": "between", "min": 0.4, "max": 0.6}, (61, 100), False),
    ({"holds": "about", "value": 0.2, "tolerance": 0.05}, (25, 100), True),
    ({"holds": "about", "value": 0.2, "tolerance": 0.05}, (26, 100), False),
])
def test_qualitative_claims(figure, value, ok):
    assert hold(fig(period="2018", **figure), "share", {"2018": [share(*value)]})[0] is ok


def test_comparisons_and_trends():
    rows = {"2016": [number(10)], "2017": [number(12)], "2018": [number(11)]}
    lower = fig(period="2018", holds="lower_than", compare_to="2017")
    higher = fig(period="2018", holds="higher_than", compare_to="2016")
    rising = fig(periods=("2016", "2017", "2018"), holds="increasing")
    steady = fig(periods=("2016", "2017", "2018"), holds="within_relative", tolerance=0.2)
    assert hold(lower, "count", rows)[0] and hold(higher, "count", rows)[0]
    ok, reason, computed, _ = hold(rising, "count", rows)
    assert not ok and "2017→2018" in reason and "2018: 11" in computed
    assert hold(steady, "count", rows)[0]
    assert not hold(replace(steady, tolerance=0.1), "count", rows)[0]  # 10 → 12 is +20 %
    assert hold(rising, "count", {"2016": [number(1)], "2017": [number(2)], "2018": [number(3)]})[0]


def test_change_alerts_use_the_declared_limits(catalogue):
    rows = {("antal_kontaktmoten", "2018"): [number(130)], ("antal_kontaktmoten", "2017"): [number(100)],
            ("antal_gemensamma_kartlaggningar", "2018"): [number(110)],
            ("antal_gemensamma_kartlaggningar", "2017"): [number(100)],
            ("andel_lamnat_sjukforsakringen_efter_insats", "2018"): [share(66, 100)],
            ("andel_lamnat_sjukforsakringen_efter_insats", "2017"): [share(60, 100)]}
    alerts = change_alerts(catalogue, [("antal_kontaktmoten", "2018"), ("antal_gemensamma_kartlaggningar", "2018"),
                                       ("andel_lamnat_sjukforsakringen_efter_insats", "2018")], rows)
    by_id = {a.indicator: a for a in alerts}
    assert set(by_id) == {"antal_kontaktmoten", "andel_lamnat_sjukforsakringen_efter_insats"}
    assert by_id["antal_kontaktmoten"].absolute == 30 and by_id["antal_kontaktmoten"].relative == pytest.approx(0.3)
    assert "+30 (+30,0\u00a0%)" in by_id["antal_kontaktmoten"].message
    assert "since 2017" in by_id["antal_kontaktmoten"].message
    assert "procentenheter" in by_id["andel_lamnat_sjukforsakringen_efter_insats"].message


def test_junit_has_one_case_per_figure_and_failures():
    good = FigureCheck("a", "2018", {}, "58 %", "58,10 %", True, "", "58 procent", "src", "indicators/a.yaml:3:5")
    bad = FigureCheck("b", "2018", {"kon": "K"}, "8 306", "8 000", False, "does not round", "8 306", "src",
                      "indicators/b.yaml:9:5", id="b/2018/kon=K/1", at="punkt 2")
    root = ET.fromstring(junit_xml(CheckResult([good, bad], [])))
    suite = root.find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("classname") for c in failures] == ["published.b"]
    assert "indicators/b.yaml:9:5" in failures[0].find("failure").text
    # placed for CI annotations (GitLab reads file, GitHub's JUnit actions file and line), named by the stable id
    assert (failures[0].get("file"), failures[0].get("line")) == ("indicators/b.yaml", "9")
    assert failures[0].get("name") == "b/2018/kon=K/1: 8 306"
    properties = {p.get("name"): p.get("value") for p in failures[0].findall("properties/property")}
    assert properties["figure_id"] == "b/2018/kon=K/1" and properties["source"] == "src"
    assert properties["source.at"] == "punkt 2" and properties["period"] == "2018"
    assert properties["breakdown"] == "kon=K" and properties["published"] == "8 306"
    assert properties["computed"] == "8 000" and properties["verdict"] == "fails"
    assert failures[0].find("failure").get("message") == "does not round"


def test_junit_shows_change_alerts_as_skipped_cases_that_do_not_fail():
    alert = ChangeAlert("a", "2018", "2017", {}, 100.0, 130.0, 30.0, 0.3, "±20 %", "a 2018 total: 100 → 130",
                        file="indicators/a.yaml", line=12)
    root = ET.fromstring(junit_xml(CheckResult([], [alert])))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    changes = suites["change-alerts"]
    assert changes.get("skipped") == "1" and changes.get("failures") == "0"
    (case,) = changes.findall("testcase")
    assert case.get("name") == alert.id == "change/a/2018/total"
    assert (case.get("file"), case.get("line")) == ("indicators/a.yaml", "12")
    assert case.find("failure") is None and "a 2018 total: 100 → 130" in case.find("skipped").get("message")
    assert "a 2018 total" in case.find("skipped").text  # GitLab shows the element's text
    assert root.get("failures") == "0" and root.get("skipped") == "2"  # the alert, and the data checks not run


@pytest.mark.parametrize("figure,unit,rows,reason", [
    (FIG58, "share", {"2018": [share(585, 1000)]}, "needs 0.575 <= value < 0.585, computed 0.585"),
    (fig(period="2018", holds="above", value=0.5), "share", {"2018": [share(1, 2)]},
     "needs value > 0.5, computed 0.5"),
    (fig(period="2018", holds="between", min=0.4, max=0.6), "share", {"2018": [share(61, 100)]},
     "needs 0.4 <= value <= 0.6, computed 0.61"),
    (fig(period="2018", value=823, precision=1), "days", {"2018": [number(1285.5)]},
     "needs 822.5 <= value < 823.5, computed 1285.5"),
    (fig(period="2018", holds="lower_than", compare_to="2017"), "count", {"2018": [number(12)], "2017": [number(11)]},
     "needs value(2018) < value(2017), computed 12 and 11"),
])
def test_reasons_use_one_number_convention(figure, unit, rows, reason):
    """English, decimal point, shares as fractions: the numbers of check.json, never Swedish formatting."""
    assert hold(figure, unit, rows)[1] == reason


def test_figure_claims_carry_exact_bounds():
    assert claim_dict(FIG58)["bounds"] == {"min": 0.575, "min_inclusive": True, "max": 0.585, "max_inclusive": False}
    assert claim_dict(fig(period="2018", holds="above", value=0.5))["bounds"] == \
        {"min": 0.5, "min_inclusive": False, "max": None, "max_inclusive": False}
    assert claim_dict(fig(periods=("2016", "2017"), holds="increasing"))["bounds"] is None


def test_check_needs_data_and_known_periods(catalogue, tmp_path):
    with pytest.raises(api.EngineError) as err:
        api.check(catalogue, tmp_path / "missing.duckdb", ["2018X"])
    codes = {d.code for d in err.value.diagnostics}
    assert codes == {"E_PERIOD", "E_DATA_NOT_FOUND"}


def test_check_json_shape(catalogue):
    # the fixture's 5 meetings are too few to show (the report suppresses them): the shape of a computed figure is
    # that of a microdata run, which shows them and says so
    result = api.check(catalogue, "fixtures/antal_kontaktmoten.yaml", ["2018"], ["antal_kontaktmoten"],
                       disclosure=False)
    doc = json.loads(json.dumps(result.as_dict()))
    assert doc["format"] == 2 and doc["summary"]["figures"] == 1
    assert {"format", "provenance", "microdata", "summary", "data_checks", "figures", "changes"} == set(doc)
    assert doc["microdata"] is True and doc["provenance"]["disclosure"]["applied"] is False
    shielded = api.check(catalogue, "fixtures/antal_kontaktmoten.yaml", ["2018"], ["antal_kontaktmoten"]).as_dict()
    assert shielded["microdata"] is False and shielded["provenance"]["disclosure"]["applied"] is True
    hidden = shielded["figures"][0]
    assert (hidden["verdict"], hidden["holds"], hidden["computed"]) == ("suppressed", None, None)
    assert "not shown for disclosure" in hidden["reason"] and hidden["claim"] == doc["figures"][0]["claim"]
    figure = doc["figures"][0]
    assert {"id", "indicator", "period", "periods", "breakdown", "claim", "computed", "verdict", "holds", "reason",
            "source", "file", "line", "column", "published_text"} <= set(figure)
    published = catalogue.get("antal_kontaktmoten").info.published[0]
    assert figure["id"] == published.id == "antal_kontaktmoten/2018/total/1"
    assert figure["claim"]["kind"] == "rounds_to" and figure["claim"]["value"] == published.value
    assert isinstance(figure["claim"]["text"], str) and isinstance(figure["computed"]["text"], str)
    # the fixture's few rows give 5 meetings, not the 597 published: the verdict and the reason say so in numbers
    assert figure["computed"]["value"] == 5 and figure["verdict"] == "fails" and not figure["holds"]
    assert figure["reason"] == "needs 596.5 <= value < 597.5, computed 5"
    assert figure["claim"]["bounds"] == {"min": 596.5, "min_inclusive": True, "max": 597.5, "max_inclusive": False}
    assert figure["source"] == {"id": published.source, "at": published.at,
                                "citation": catalogue.project.citation(published.source, published.at)}
    assert (figure["file"], figure["line"], figure["column"]) == \
        (published.position.file, published.position.line, published.position.col)


def test_a_move_of_exactly_the_limit_is_no_alert(catalogue):
    key = ("andel_lamnat_sjukforsakringen_efter_insats", "2018")
    before = ("andel_lamnat_sjukforsakringen_efter_insats", "2017")
    assert change_alerts(catalogue, [key], {key: [share(63, 100)], before: [share(58, 100)]}) == []
    assert len(change_alerts(catalogue, [key], {key: [share(64, 100)], before: [share(58, 100)]})) == 1
    count, count_before = ("antal_kontaktmoten", "2018"), ("antal_kontaktmoten", "2017")
    assert change_alerts(catalogue, [count], {count: [number(120)], count_before: [number(100)]}) == []
