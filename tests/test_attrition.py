"""Attrition (engine.attrition): the population step by step, counted in total and by kön.

Small datasets whose every step is counted by hand; the invariant "the last step is the
population `run` counts" for every indicator on the demo extract; the command line.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import duckdb
import pytest

from conftest import ROOT
from engine import api
from engine.attrition import as_html, as_table, attrition_html_fragment, attrition_sql, plan_steps
from engine.diagnostics import EngineError
from engine.execute import load_tables
from engine.periods import parse_period
from engine.render import DIALECTS
from engine.resolve import population_origins
from engine.synthetic import generate

D = dt.date


def write_duckdb(path, model, tables):
    con = duckdb.connect(str(path))
    load_tables(con, model, tables)
    con.close()
    return path


def persons(*sexes):
    return [{"person_id": i, "kon": k, "fodelsear": 1980} for i, k in enumerate(sexes, 1)]


def counts(result):
    return [(s.count, dict(s.by_kon)) for s in result.steps]


# --- one_per, a lookup and require: sjukpenningdagar_vid_insatsstart --------------------------------------------

def insats(insats_id, person_id, finansiar, start):
    forbund = 1 if finansiar == "samordningsforbund" else None
    return {"insats_id": insats_id, "person_id": person_id, "finansiar": finansiar, "forbund_id": forbund,
            "samarbete_id": None if forbund else 1, "insatstyp": "forberedande",
            "behovsgrupp": "ovriga" if forbund else None, "startdatum": start, "slutdatum": None}


LOOKUP_TABLES = {
    "person": persons("K", "M", "K", "M"),
    "samordningsforbund": [{"forbund_id": 1, "namn": "Förbundet", "lan": "01"}],
    "ersattningsfall": [
        {"fall_id": 10, "person_id": 1, "ersattning": "sjukpenning", "startdatum": D(2018, 1, 1), "slutdatum": None},
        {"fall_id": 20, "person_id": 2, "ersattning": "aktivitetsersattning", "startdatum": D(2017, 1, 1),
         "slutdatum": None},
        {"fall_id": 30, "person_id": 3, "ersattning": "sjukpenning", "startdatum": D(2018, 5, 1),
         "slutdatum": D(2018, 5, 31), "avslutsorsak": "annat"},
    ],
    "insats": [
        insats(100, 1, "samordningsforbund", D(2018, 3, 1)),   # person 1's first Finsam intervention: sjukpenning on
        insats(101, 1, "samordningsforbund", D(2018, 4, 1)),   # person 1's second
        insats(102, 1, "forstarkt_samarbete", D(2018, 2, 1)),  # earlier, but not Finsam: must not take rank 1
        insats(200, 2, "samordningsforbund", D(2018, 6, 1)),   # person 2: only aktivitetsersättning
        insats(300, 3, "samordningsforbund", D(2018, 7, 1)),   # person 3: the sjukpenning case ended 2018-05-31
        insats(301, 3, "samordningsforbund", D(2017, 12, 31)),  # before the period
        insats(400, 4, "forstarkt_samarbete", D(2018, 8, 1)),  # person 4: not Finsam
        insats(500, 1, "samordningsforbund", D(2019, 1, 1)),   # after the period
    ],
}


@pytest.fixture(scope="module")
def lookup_data(tmp_path_factory, catalogue):
    return write_duckdb(tmp_path_factory.mktemp("attrition") / "lookup.duckdb", catalogue.model, LOOKUP_TABLES)


def test_one_per_lookup_and_require_counted_by_hand(catalogue, lookup_data):
    result = api.attrition(catalogue, lookup_data, "sjukpenningdagar_vid_insatsstart", "2018")
    assert [s.spec.kind for s in result.steps] == ["period", "where", "one_per", "require"]
    assert counts(result) == [
        (6, {"K": 4, "M": 2}),   # 100, 101, 102, 300 (K); 200, 400 (M)
        (4, {"K": 3, "M": 1}),   # finansiar = 'samordningsforbund': 100, 101, 300; 200
        (3, {"K": 2, "M": 1}),   # one per person among those: 100, 300; 200 (102 is earlier but not Finsam)
        (1, {"K": 1, "M": 0}),   # a sjukpenning case ongoing on the start date: only 100
    ]
    assert [s.kept for s in result.steps] == [None, 4 / 6, 3 / 4, 1 / 3]
    assert [s.kept_of_first for s in result.steps] == [1.0, 4 / 6, 3 / 6, 1 / 6]
    assert result.kon == [("K", "Kvinnor"), ("M", "Män")]
    (total,) = [r for r in api.run(catalogue, lookup_data, ["2018"], ["sjukpenningdagar_vid_insatsstart"])
                if r["breakdown"] == {}]
    assert total["n"] == result.steps[-1].count
    labels = [s.spec.label("sv") for s in result.steps]
    assert labels[1] == "villkor: finansiar = 'samordningsforbund'"
    assert labels[2].startswith("one_per: en enhet per person_id: den första ordnad efter startdatum, insats_id")
    assert labels[3] == "require: det finns minst en rad via sjukpenningfall"
    assert result.steps[3].spec.notes["sv"] == [
        "uppslag: sjukpenningfall = raden i ersattningsfall som pågick startdatum (samma person_id), "
        "ersattning = 'sjukpenning'"]
    positions = [str(s.spec.position) for s in result.steps]
    assert all(re.fullmatch(r"indicators/sjukpenningdagar_vid_insatsstart\.yaml:\d+:\d+", p) for p in positions)
    lines = [int(p.split(":")[1]) for p in positions]
    assert lines == sorted(lines)  # the steps in the order they are written


def test_another_period_moves_step_0(catalogue, lookup_data):
    result = api.attrition(catalogue, lookup_data, "sjukpenningdagar_vid_insatsstart", "2018H2")
    # 2018H2: 300 (K), 400 (M); Finsam: 300; one per person: 300; no sjukpenning on 2018-07-01
    assert counts(result) == [(2, {"K": 1, "M": 1}), (1, {"K": 1, "M": 0}), (1, {"K": 1, "M": 0}),
                              (0, {"K": 0, "M": 0})]
    assert result.steps[3].kept == 0.0


# --- population: {from: ...} and a list of where -------------------------------------------------------------

BASE = """\
id: bas
version: 1
title: {sv: Bas, en: Base}
description: {sv: En test., en: A test.}
unit: count
owner: test
population:
  entity: samarbete
  period: slutdatum
  where: avslutsorsak = 'efter_insats'
measure:
  kind: count
"""

DERIVED = """\
id: harledd
version: 1
title: {sv: "Härledd <b>", en: Derived}
description: {sv: En test., en: A test.}
unit: count
owner: test
population:
  from: bas
  where:
    - exists: insatser
      where: insatstyp = 'arbetslivsinriktad'
    - utfall = 'arbete'
measure:
  kind: count
"""

NO_KON = """\
id: utan_kon
version: 1
title: {sv: Utan kön, en: Without sex}
description: {sv: En test., en: A test.}
unit: count
owner: test
population:
  entity: kartlaggning
  period: datum
  where:
    - fall.ersattning = 'sjukpenning'
    - datum <= period_end
  require: fall.diagnoskod LIKE 'F%'
measure:
  kind: count
omit_kon_because: a test without kön
"""


def samarbete(ident, person, end, reason, outcome):
    return {"samarbete_id": ident, "kartlaggning_id": ident, "person_id": person, "fall_id": 10,
            "startdatum": D(2017, 1, 1), "slutdatum": end, "avslutsorsak": reason, "utfall": outcome}


def work(ident, samarbete_id, kind):
    return {"insats_id": ident, "person_id": 1, "finansiar": "forstarkt_samarbete", "samarbete_id": samarbete_id,
            "forbund_id": None, "insatstyp": kind, "behovsgrupp": None, "startdatum": D(2017, 6, 1),
            "slutdatum": None}


FROM_TABLES = {
    "person": persons("K", "M", "K"),
    "ersattningsfall": [
        {"fall_id": 10, "person_id": 1, "ersattning": "sjukpenning", "startdatum": D(2016, 1, 1),
         "slutdatum": None, "diagnoskod": "F32"},
        {"fall_id": 20, "person_id": 2, "ersattning": "aktivitetsersattning", "startdatum": D(2016, 1, 1),
         "slutdatum": None, "diagnoskod": "F10"},
        {"fall_id": 30, "person_id": 3, "ersattning": "sjukpenning", "startdatum": D(2016, 1, 1),
         "slutdatum": None, "diagnoskod": None},
    ],
    "samarbete": [
        samarbete(1, 1, D(2018, 3, 1), "efter_insats", "arbete"),    # passes everything
        samarbete(2, 2, D(2018, 5, 1), "efter_insats", "arbete"),    # only a preparatory intervention
        samarbete(3, 3, D(2018, 6, 1), "efter_insats", "annat"),     # work-oriented, but not to work
        samarbete(4, 1, D(2018, 7, 1), "utan_insats", "arbete"),     # ended without intervention
        samarbete(5, 2, D(2019, 2, 1), "efter_insats", "arbete"),    # after the period
        samarbete(6, 3, None, None, None),                           # still ongoing: no end, not placed
    ],
    "insats": [work(1, 1, "arbetslivsinriktad"), work(2, 2, "forberedande"), work(3, 3, "arbetslivsinriktad"),
               work(4, 3, "forberedande")],
    "kartlaggning": [
        {"kartlaggning_id": 1, "person_id": 1, "fall_id": 10, "datum": D(2018, 2, 1)},   # sjukpenning, F32
        {"kartlaggning_id": 2, "person_id": 1, "fall_id": 10, "datum": D(2018, 9, 1)},   # sjukpenning, F32
        {"kartlaggning_id": 3, "person_id": 2, "fall_id": 20, "datum": D(2018, 3, 1)},   # aktivitetsersättning
        {"kartlaggning_id": 4, "person_id": 3, "fall_id": 30, "datum": D(2018, 4, 1)},   # no diagnosis: not F%
        {"kartlaggning_id": 5, "person_id": 1, "fall_id": 10, "datum": D(2017, 4, 1)},   # before the period
    ],
}


@pytest.fixture
def small(make_catalogue, tmp_path):
    _, catalogue = make_catalogue({"bas.yaml": BASE, "harledd.yaml": DERIVED, "utan_kon.yaml": NO_KON})
    assert not catalogue.errors, catalogue.errors
    return catalogue, write_duckdb(tmp_path / "small.duckdb", catalogue.model, FROM_TABLES)


def test_population_from_a_base_counted_by_hand(small):
    catalogue, data = small
    result = api.attrition(catalogue, data, "harledd", "2018")
    assert counts(result) == [
        (4, {"K": 3, "M": 1}),   # samarbete 1, 3, 4 (K); 2 (M)
        (3, {"K": 2, "M": 1}),   # the base's avslutsorsak = 'efter_insats': 1, 3; 2
        (2, {"K": 2, "M": 0}),   # a work-oriented intervention: 1, 3
        (1, {"K": 1, "M": 0}),   # utfall = 'arbete': 1
    ]
    steps = [s.spec for s in result.steps]
    assert [s.kind for s in steps] == ["period", "where", "where", "where"]
    assert [s.base for s in steps] == ["bas", "bas", None, None]
    assert steps[1].label("sv") == "villkor (från bas): avslutsorsak = 'efter_insats'"
    assert steps[1].label("en") == "condition (from bas): avslutsorsak = 'efter_insats'"
    assert steps[2].label("sv") == "villkor: det finns minst en rad via insatser där insatstyp = 'arbetslivsinriktad'"
    assert [s.position.file.rsplit("/", 1)[-1] for s in steps] == ["bas.yaml", "bas.yaml", "harledd.yaml",
                                                                   "harledd.yaml"]
    assert [s.position.line for s in steps] == [10, 11, 11, 13]  # the schema line is line 1
    base = api.attrition(catalogue, data, "bas", "2018")
    assert counts(base) == counts(result)[:2]


def test_without_kon_only_totals_and_a_step_that_keeps_everything(small):
    catalogue, data = small
    result = api.attrition(catalogue, data, "utan_kon", "2018")
    assert result.kon == [] and result.omit_kon_because == "a test without kön"
    assert counts(result) == [(4, {}), (3, {}), (3, {}), (2, {})]  # sjukpenning: 1, 2, 4; F%: 1, 2 (NULL fails)
    assert [s.spec.kind for s in result.steps] == ["period", "where", "where", "require"]
    assert result.steps[2].kept == 1.0
    table = as_table(result)
    assert "Kvinnor" not in table and "inte per kön: a test without kön" in table


def test_an_empty_dataset_gives_zeros_and_no_shares(small, tmp_path):
    catalogue, _ = small
    empty = write_duckdb(tmp_path / "empty.duckdb", catalogue.model, {})
    result = api.attrition(catalogue, empty, "harledd", "2018")
    assert counts(result) == [(0, {"K": 0, "M": 0})] * 4
    assert all(s.kept is None and s.kept_of_first is None for s in result.steps)
    assert "–" in as_table(result)


def test_json_and_html_escape_and_carry_every_step(small):
    catalogue, data = small
    result = api.attrition(catalogue, data, "harledd", "2018")
    document = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert document["indicator"] == "harledd" and document["period"] == "2018"
    assert [s["count"] for s in document["steps"]] == [4, 3, 2, 1]
    assert document["steps"][0]["by_kon"] == [{"kon": "K", "count": 3}, {"kon": "M", "count": 1}]
    assert document["steps"][1]["from"] == "bas" and document["steps"][1]["kept"] == 0.75
    fragment = attrition_html_fragment(result)
    assert "<html" not in fragment and "<svg" in fragment and "<table>" in fragment
    assert "Härledd &lt;b&gt;" in fragment and "<b>" not in fragment  # the title is text, never markup
    assert "&#x27;efter_insats&#x27;" in fragment
    assert fragment.count("<rect") == 4  # one bar per step
    page = as_html(result)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert not re.search(r"(?:src|href)=|https?://(?!www\.w3\.org/2000/svg)", page)  # nothing fetched
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', page)
    utan = attrition_html_fragment(api.attrition(catalogue, data, "utan_kon", "2018"))
    assert "datum &lt;= period_end" in utan


# --- the whole catalogue -----------------------------------------------------------------------------------------

def test_origins_are_parallel_to_the_bound_conditions(catalogue):
    """resolve.population_origins keeps in step with bind_population for every indicator."""
    for ident, bound in catalogue.indicators.items():
        origins = population_origins(catalogue.documents[ident], catalogue.documents.get)
        assert len(origins.where) == len(bound.where), ident
        assert len(origins.selection_where) == (len(bound.selection.where) if bound.selection else 0), ident
        assert (origins.one_per is None) == (bound.selection is None), ident


def test_the_query_is_built_for_every_dialect(catalogue):
    period = parse_period("2018Q4")
    for ident, bound in catalogue.indicators.items():
        steps = plan_steps(bound, population_origins(catalogue.documents[ident], catalogue.documents.get))
        for dialect in DIALECTS:
            sql = attrition_sql(bound, period, steps, dialect)
            assert "period_start" not in sql and "period_end" not in sql, (ident, dialect)
            assert f"step_{len(steps) - 1}" in sql


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("attrition_demo") / "demo.duckdb"
    generate(path, scale=0.05, seed=1)
    return path


@pytest.mark.parametrize("period", ["2018", "2018H2"])
def test_the_last_step_is_the_population_run_counts(catalogue, demo, period):
    rows = api.run(catalogue, demo, [period])
    totals = {r["indicator"]: r["n"] for r in rows if r["breakdown"] == {}}
    by_kon = {(r["indicator"], r["breakdown"]["kon"]): r["n"] for r in rows if list(r["breakdown"]) == ["kon"]}
    restricting = 0
    for ident in sorted(catalogue.indicators):
        result = api.attrition(catalogue, demo, ident, period)
        numbers = [s.count for s in result.steps]
        assert numbers[-1] == totals[ident], ident
        assert numbers == sorted(numbers, reverse=True), (ident, numbers)
        assert all(s.count == sum(s.by_kon.values()) for s in result.steps if result.kon), ident
        for kon, n in result.steps[-1].by_kon.items():
            assert n == by_kon.get((ident, kon), 0), (ident, kon)
        for before, step in zip(result.steps, result.steps[1:], strict=False):
            assert step.kept == (step.count / before.count if before.count else None)
        restricting += numbers[0] > numbers[-1]
    assert restricting >= 5  # the demo data exercises the steps


# --- the command line --------------------------------------------------------------------------------------------

def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def test_cli_table(lookup_data):
    proc = cli("attrition", "sjukpenningdagar_vid_insatsstart", "--data", lookup_data, "--period", "2018")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].split()[:5] == ["Steg", "Villkor", "Totalt", "Kvinnor", "Män"]
    body = [re.split(r"\s{2,}", line.strip()) for line in lines[3:7]]
    assert [row[0] for row in body] == ["0", "1", "2", "3"]
    assert [row[2:5] for row in body] == [["6", "4", "2"], ["4", "3", "1"], ["3", "2", "1"], ["1", "1", "0"]]
    assert body[1][5] == "66,7\u00a0%" and body[3][5] == "33,3\u00a0%"
    assert "uppslag: sjukpenningfall" in proc.stdout


def test_cli_json_and_html(lookup_data, tmp_path):
    proc = cli("attrition", "sjukpenningdagar_vid_insatsstart", "--data", lookup_data, "--period", "2018",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [s["count"] for s in json.loads(proc.stdout)["steps"]] == [6, 4, 3, 1]
    out = tmp_path / "attrition.html"
    proc = cli("attrition", "sjukpenningdagar_vid_insatsstart", "--data", lookup_data, "--period", "2018",
               "--format", "html", "--out", out)
    assert proc.returncode == 0 and proc.stdout == "" and f"wrote {out}" in proc.stderr
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and page.count("<rect") == 4


def test_cli_unknown_indicator_and_bad_period(lookup_data):
    proc = cli("attrition", "no_such_indicator", "--data", lookup_data, "--period", "2018")
    assert proc.returncode == 1
    assert re.search(r"^\S*indicators: E_UNKNOWN_INDICATOR no indicator 'no_such_indicator'", proc.stderr, re.M)
    proc = cli("attrition", "sjukpenningdagar_vid_insatsstart", "--data", lookup_data, "--period", "2018X")
    assert proc.returncode == 1 and "--period: E_PERIOD" in proc.stderr


def test_api_errors_are_engine_errors(catalogue, tmp_path):
    with pytest.raises(EngineError) as info:
        api.attrition(catalogue, tmp_path / "missing.duckdb", "nope", "2018")
    found = {d.code for d in info.value.diagnostics}
    assert "E_UNKNOWN_INDICATOR" in found and len(found) >= 2  # the missing dataset is reported at once
