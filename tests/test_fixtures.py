"""Golden fixtures: every indicator has one, all pass, and the runner sees a wrong number."""
import copy

from engine import api
from engine.diagnostics import Diagnostics
from engine.fixtures import default_fixtures_dir, load_fixture, run_fixture


def test_every_indicator_has_a_passing_fixture(catalogue):
    results = api.test_fixtures(catalogue)
    assert {r.indicator for r in results} == set(catalogue.indicators)
    failing = [(r.indicator, p.period) for r in results for p in r.periods if not p.ok]
    assert failing == []


def test_runner_reports_changed_missing_and_unexpected_rows(catalogue):
    doc = load_fixture(default_fixtures_dir() / "antal_gemensamma_kartlaggningar.yaml", catalogue, Diagnostics())
    doc = copy.deepcopy(doc)
    rows = doc.data["expect"][0]["rows"]
    total = next(r for r in rows if r["breakdown"] == {})
    total["value"] += 1
    dropped = next(r for r in rows if r["breakdown"])
    rows.remove(dropped)
    rows.append({"breakdown": {"kon": "X"}, "value": 1, "n": 1})
    period = run_fixture(doc, catalogue).periods[0]
    assert [e["breakdown"] for e, _ in period.changed] == [{}]
    assert [u["breakdown"] for u in period.unexpected] == [dropped["breakdown"]]
    assert [m["breakdown"] for m in period.missing] == [{"kon": "X"}]
