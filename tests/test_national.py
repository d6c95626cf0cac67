"""The main job on the national-scale synthetic extract: every published figure holds,
and a changed definition makes `indicators check` fail, naming the figure.

Generating the scale-1.0 extract takes well under a minute; it is made once per session
in a temporary folder (tests never depend on data/).
"""
from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
from engine import api
from engine.synthetic import generate
from test_cli import cli


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    path = tmp_path_factory.mktemp("national") / "demo.duckdb"
    generate(path, scale=1.0, seed=1)
    return path


def test_every_published_figure_holds(catalogue, national):
    result = api.check(catalogue, national)
    failed = [f"{f.indicator} {f.period} {f.breakdown}: published {f.published}, computed {f.computed}: {f.reason}"
              for f in result.failed]
    assert not failed, "\n".join(failed)
    assert not result.suppressed  # at national scale no published figure rests on a cell the report hides
    periods = {p for f in result.figures for p in f.period.split("–")}
    assert {"2016", "2017", "2018", "2018H2", "2018-12", "2017-12"} <= periods
    assert len(result.figures) == sum(len(b.info.published) for b in catalogue.indicators.values())


def test_the_extract_keeps_every_rule_of_the_data_model(catalogue, national):
    assert api.check_data(catalogue, national) == []


def test_dropping_oppet_arbetslos_fails_the_check_naming_the_figure(national, tmp_path):
    changed = tmp_path / "indicators"
    shutil.copytree(ROOT / "indicators", changed)
    model = changed / "model.yaml"
    text = model.read_text("utf-8")
    assert "'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')" in text
    model.write_text(text.replace("'arbetsmarknadspolitiskt_program', 'oppet_arbetslos')",
                                  "'arbetsmarknadspolitiskt_program')"), "utf-8")
    junit = tmp_path / "check.xml"
    # First the version: the two shares that use the calculated column changed meaning.
    proc = cli("check", "--data", national, "--indicators", changed, "--junit", junit, "--no-data-checks")
    refused = {line.split(".yaml:")[0].rsplit("/", 1)[-1] for line in proc.stderr.splitlines()
               if "E_VERSION_NOT_RAISED" in line}
    assert proc.returncode == 1 and not junit.exists()
    assert refused == {"andel_lamnat_sjukforsakringen_efter_insats",
                       "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser"}, proc.stderr
    for ident in refused:  # raised as the README says: version 2, a changes: entry, indicators lock
        path = changed / f"{ident}.yaml"
        path.write_text(path.read_text("utf-8").replace(
            "\nversion: 1\n", "\nversion: 2\nchanges:\n  - {version: 2, date: \"2026-12-02\", what: Öppet "
            "arbetslösa räknas inte längre som att ha lämnat., why: Ett test.}\n", 1), "utf-8")
    assert cli("lock", "--indicators", changed).returncode == 0
    proc = cli("check", "--data", national, "--indicators", changed, "--junit", junit, "--no-data-checks")
    assert proc.returncode == 1
    failing = [line for line in proc.stderr.splitlines() if "E_FIGURE" in line]
    assert any(line.startswith(f"{changed.name}/andel_lamnat_sjukforsakringen_efter_insats.yaml:")
               or "andel_lamnat_sjukforsakringen_efter_insats.yaml:" in line for line in failing), proc.stderr
    assert any("andel_lamnat_sjukforsakringen_efter_insats 2018:" in line and "published 58\u00a0%" in line
               for line in failing), proc.stderr
    assert all("lamnat_sjukforsakringen" in line for line in failing)
    assert 'classname="published.andel_lamnat_sjukforsakringen_efter_insats"' in junit.read_text("utf-8")


def test_the_report_shows_the_published_counts(catalogue, national):
    report = api.report(catalogue, national, "2018", "2017", generated="2019-05-17")
    totals = {i.id: (i.lines[0].current.text, i.lines[0].previous.text) for s in report.sections for i in s.indicators}
    assert totals["antal_gemensamma_kartlaggningar"] == ("8\u00a0306", "10\u00a0010")
    assert totals["andel_lamnat_sjukforsakringen_efter_insats"][0] == "58\u00a0%"
