"""Batched execution (engine.batch): few queries, exactly the per-pair rows.

Every indicator of the catalogue and several periods (a year inside the data, the overlapping half-year of it,
a month, a year before the data) are run batched and pair by pair (run_indicator) and must give the same rows
in the same order with the same values and Python types: on a small generated extract, with the Spark form of
the total (TOTAL_APART, run on DuckDB), and on the golden fixtures' inputs. DuckDB runs single-threaded here:
with several threads it sums doubles in a varying order, so a mean differs in its last bit from run to run even
pair by pair.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlglot import exp

from conftest import SCHEMA_LINE
from engine import api
from engine.backends.base import QueryFailed, Result
from engine.batch import TAG, execute_batches, plan_batches
from engine.diagnostics import Diagnostics, EngineError
from engine.execute import open_dataset
from engine.load import load_file
from engine.periods import parse_period
from engine.plan import plan_query
from engine.render import CompileRefused, build_query
from engine.resources import Resources
from engine.synthetic import generate

PERIODS = ["2018", "2018H2", "2018-12", "2012"]
ONE_THREAD = Resources(threads=1)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def exactly(a: list[dict], b: list[dict]) -> bool:
    """The same rows in the same order with values of the same types (1 == 1.0 in Python, but not here)."""
    return a == b and repr(a) == repr(b)


def pairs(catalogue, periods=PERIODS, ids=None):
    return [(catalogue.get(i), parse_period(p)) for p in periods for i in (ids or catalogue.indicators)]


@pytest.fixture(scope="module")
def extract(tmp_path_factory, catalogue):
    path = tmp_path_factory.mktemp("batch") / "small.duckdb"
    generate(path, scale=0.02, seed=3)
    opened = open_dataset(path, catalogue.model, resources=ONE_THREAD)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def per_pair(extract, catalogue):
    return execute_batches(extract, pairs(catalogue), batched=False)


def test_batched_rows_are_the_per_pair_rows(extract, per_pair, catalogue):
    batched = execute_batches(extract, pairs(catalogue))
    assert list(batched) == list(per_pair)
    for key, rows in per_pair.items():
        assert exactly(batched[key], rows), key
    assert any(len(rows) > 1 for rows in per_pair.values())  # breakdown rows, not only totals


def test_the_total_apart_gives_the_same_rows_batched(extract, per_pair, catalogue):
    """The Spark form (the total a query of its own, TOTAL_APART) of every batch, run on DuckDB."""
    found = {}
    for batch in plan_batches(pairs(catalogue), "duckdb", total_apart=True):
        found.update(batch.split(extract.query(batch.tree)))
    for key, rows in per_pair.items():
        assert exactly(found[key], rows), key
    empty = [key for key in per_pair if key[1] == "2012" and found[key][0]["n"] == 0]
    assert empty and all(len(found[k]) == 1 for k in empty)  # an empty population keeps its total row, alone


def test_spark_batches_render_the_total_apart(catalogue):
    """Spark loses the total of GROUPING SETS over no rows: every pair with a breakdown has a total branch of
    its own and no grouping set is the empty one; the usual form keeps the total in the grouping sets."""
    items = pairs(catalogue)
    for batch in plan_batches(items, "spark"):
        sets = list(batch.tree.find_all(exp.GroupingSets))
        assert all(all(t.expressions for t in s.expressions) for s in sets), batch.keys
        if len(batch.keys) > 1:  # per period: the totals of every member, then the grouping sets without ()
            tags = [e.this.name for q in batch.tree.find_all(exp.Select) for e in q.expressions if e.alias == TAG]
            labels = list(dict.fromkeys(label for _, label in batch.keys))
            assert sorted(tags) == sorted(label for label in labels for _ in range(2 if batch.dimensions else 1))
        batch.tree.sql("spark")
    usual = [s for b in plan_batches(items, "duckdb") for s in b.tree.find_all(exp.GroupingSets)]
    assert usual and all(any(not t.expressions for t in s.expressions) for s in usual)
    for dialect in ("postgres", "snowflake"):
        for batch in plan_batches(items, dialect):
            batch.tree.sql(dialect)


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: p.stem)
def test_batched_rows_on_the_fixture_inputs(path, catalogue):
    """Each fixture's inputs hold rows for its indicator: it is run with every indicator batched with it, for
    the fixture's own periods and the usual ones."""
    doc = load_file(path, Diagnostics())
    indicator = doc.data.get("indicator") if doc is not None else None
    if indicator not in catalogue.indicators:
        pytest.skip(f"{path.name} is not a fixture of this catalogue")
    periods = list(dict.fromkeys([*PERIODS, *(str(e["period"]) for e in doc.data.get("expect", []))]))
    group = next(b.keys for b in plan_batches(pairs(catalogue, ["2018"]), "duckdb") if (indicator, "2018") in b.keys)
    ids = [i for i, _ in group]
    dataset = open_dataset(path, catalogue.model, resources=ONE_THREAD)
    try:
        items = pairs(catalogue, periods, ids)
        expected = execute_batches(dataset, items, batched=False)
        for apart in (False, True):
            found = {}
            for batch in plan_batches(items, "duckdb", total_apart=apart):
                found.update(batch.split(dataset.query(batch.tree)))
            for key, rows in expected.items():
                assert exactly(found[key], rows), (key, apart)
    finally:
        dataset.close()


def _population(bound) -> tuple[str, str]:
    """What an indicator's own query reads before it aggregates: its candidates CTE and its population CTE
    without the select list, as build_query renders them for 2018."""
    tree = build_query(plan_query(bound, parse_period("2018")))
    ctes = {c.alias: c.this.copy() for c in tree.find_all(exp.CTE)}
    population = ctes["population"]
    population.set("expressions", [exp.Literal.number(1)])
    return (ctes["candidates"].sql() if "candidates" in ctes else "", population.sql())


def test_indicators_with_the_same_population_share_one_query_and_one_population(catalogue):
    populations: dict[tuple[str, str], list[str]] = {}
    for bound in catalogue.indicators.values():
        populations.setdefault(_population(bound), []).append(bound.id)
    batches = plan_batches(pairs(catalogue, ["2018"]), "duckdb")
    assert sorted(sorted(i for i, _ in b.keys) for b in batches) == sorted(sorted(g) for g in populations.values())
    several = pairs(catalogue, ["2017", "2018", "2018H2"])
    assert len(plan_batches(several, "duckdb")) == len(batches) < len(several)  # all periods of a group at once
    shared = [b for b in plan_batches(several, "duckdb") if len({i for i, _ in b.keys}) > 1]
    assert shared or all(len(g) == 1 for g in populations.values())
    for batch in shared:  # per period one population, read by one aggregate of every member
        names = [c.alias for c in batch.tree.find_all(exp.CTE)]
        assert len([n for n in names if n.startswith("population")]) == 3, batch.keys
        tagged = [q for q in batch.tree.find_all(exp.Select) if any(e.alias == TAG for e in q.expressions)]
        assert len(tagged) == 3 and len({q.args["from_"].this.name for q in tagged}) == 3, batch.keys


MOTE = """\
id: {id}
version: 1
title: {{sv: Test, en: Test}}
description: {{sv: En test., en: A test.}}
unit: {unit}
owner: test
population:
  entity: mote
  period: datum
"""
# one population, every kind of measure: colliding columns (two numerators, two values), an integer breakdown, a
# SUM of an integer (HUGEINT on DuckDB) and of a bigint (numeric on PostgreSQL), quantiles, a cross-table
MEASURES = {
    "t_antal": ("count", "measure: {kind: count}\nbreakdowns: [motestyp, {cross: [kon, motestyp]}]\n"),
    "t_andel_utan_fall": ("share", "measure: {kind: share, numerator: fall_id IS NULL}\n"),
    "t_andel_kontakt": ("share", "measure: {kind: share, numerator: \"motestyp = 'kontaktmote'\"}\n"
                                 "breakdowns: [person.fodelsear]\n"),
    "t_summa_ar": ("count", "measure: {kind: sum, of: \"year(datum)\"}\n"),
    "t_kvot": ("ratio", "measure:\n  kind: ratio\n  numerator: {aggregate: sum, of: person_id}\n"
                        "  denominator: {aggregate: count_distinct, of: person_id}\n"),
    "t_median": ("years", "measure: {kind: median, of: \"age_at(person.fodelsear, datum)\"}\n"
                          "breakdowns: [motestyp]\n"),
    "t_p90": ("years", "measure: {kind: percentile, p: 0.9, of: \"age_at(person.fodelsear, datum)\"}\n"),
    "t_medel": ("years", "measure: {kind: mean, of: \"age_at(person.fodelsear, datum)\"}\n"),
}


def mote_catalogue(folder: Path, specs: dict[str, tuple[str, str]]):
    from engine.catalogue import load_catalogue
    (folder / "model.yaml").write_text((Path(__file__).resolve().parent.parent / "indicators" / "model.yaml")
                                       .read_text(encoding="utf-8"), encoding="utf-8")
    for ind, (unit, body) in specs.items():
        (folder / f"{ind}.yaml").write_text(SCHEMA_LINE + MOTE.format(id=ind, unit=unit) + textwrap.dedent(body),
                                            encoding="utf-8")
    loaded = load_catalogue(folder)
    assert not loaded.errors, loaded.errors
    return loaded


@pytest.fixture(scope="module")
def measures(tmp_path_factory):
    return mote_catalogue(tmp_path_factory.mktemp("measures"), MEASURES)


def test_a_cross_listed_both_ways_is_computed_alone(tmp_path, extract):
    """kon × motestyp and motestyp × kon are one grouping set in a batch, but two (repeated rows) in the
    indicator's own query: such an indicator keeps its own queries."""
    twice = {"t_antal": ("count", "measure: {kind: count}\n"
                                  "breakdowns: [{cross: [kon, motestyp]}, {cross: [motestyp, kon]}]\n"),
             "t_medel": MEASURES["t_medel"], "t_andel_utan_fall": MEASURES["t_andel_utan_fall"]}
    catalogue = mote_catalogue(tmp_path, twice)
    items = pairs(catalogue, ["2018", "2012"])
    assert sorted(len(b.keys) for b in plan_batches(items, "duckdb")) == [1, 1, 4]
    expected = execute_batches(extract, items, batched=False)
    found = execute_batches(extract, items)
    for key, rows in expected.items():
        assert exactly(found[key], rows), key


def test_every_measure_kind_in_one_batch(extract, measures):
    items = pairs(measures, ["2018", "2018H2", "2012"])
    batches = plan_batches(items, "duckdb")
    assert len(batches) == 1
    columns = [c.alias for c in batches[0].tree.find(exp.CTE).this.expressions]
    assert {"in_numerator", "in_numerator_2", "measure_value", "measure_value_2"} <= set(columns)
    expected = execute_batches(extract, items, batched=False)
    found = execute_batches(extract, items)
    for key, rows in expected.items():
        assert exactly(found[key], rows), key
    assert isinstance(found[("t_summa_ar", "2018")][0]["value"], int)
    assert isinstance(found[("t_andel_kontakt", "2018")][0]["value"], float)
    assert all(isinstance(r["breakdown"].get("fodelsear", ""), str) for r in found[("t_andel_kontakt", "2018")])


def test_pairs_of_one_population_for_different_periods(extract, measures):
    """A member asked for fewer periods than the others is still computed with them; only the pairs asked for
    come back."""
    ids = list(measures.indicators)
    items = pairs(measures, ["2018"], ids[:1]) + pairs(measures, ["2017", "2018H2"], ids[1:3]) \
        + pairs(measures, ["2018"], ids[3:])
    (batch,) = plan_batches(items, "duckdb")
    assert batch.keys == [(b.id, p.label) for b, p in items]
    expected = execute_batches(extract, items, batched=False)
    found = batch.split(extract.query(batch.tree))
    assert list(found) == list(expected)
    for key, rows in expected.items():
        assert exactly(found[key], rows), key


def test_a_refused_pair_is_refused_as_alone(measures):
    for dialect in ("trino", "bigquery"):
        bound = measures.get("t_median")
        with pytest.raises(CompileRefused) as alone:
            build_query(plan_query(bound, parse_period("2018")), dialect)
        with pytest.raises(CompileRefused) as batched:
            plan_batches(pairs(measures, ["2018"]), dialect)
        assert str(batched.value) == str(alone.value)
    assert len(plan_batches(pairs(measures, ["2018"], ["t_antal", "t_kvot"]), "trino")) == 1
    with pytest.raises(CompileRefused, match="unknown dialect"):
        plan_batches(pairs(measures, ["2018"]), "oracle")


class Failing:
    """A backend whose every query fails."""
    dialect = "duckdb"
    engine = "duckdb"
    description = "failing.db"

    def query(self, tree: exp.Expr) -> Result:
        raise QueryFailed("Binder Error: no such table")

    def close(self) -> None:
        pass


def test_a_failed_batch_names_its_indicators(measures):
    with pytest.raises(EngineError) as caught:
        execute_batches(Failing(), pairs(measures, ["2018"], ["t_antal", "t_medel"]))
    (d,) = caught.value.diagnostics
    assert d.code == "E_DATA_QUERY" and str(d.position) == "failing.db"
    assert d.message == "indicators t_antal, t_medel failed on the dataset: Binder Error: no such table"


def test_progress_is_reported_per_pair(extract, measures):
    items = pairs(measures, ["2018", "2017"], ["t_antal", "t_medel"])
    seen: list[tuple] = []
    for batched in (True, False):
        seen.clear()
        rows = execute_batches(extract, items + items[:1], batched, lambda *a: seen.append(a))  # the first twice
        assert [s[2:] for s in seen] == [(i, 5) for i in range(1, 6)]
        assert sorted(s[:2] for s in seen) == sorted([(b.id, p.label) for b, p in items + items[:1]])
        assert list(rows) == [(b.id, p.label) for b, p in items]


def test_indicators_batch_0_runs_pair_by_pair(monkeypatch, measures):
    import engine.batch
    calls = []

    def spy(dataset, items, batched=True, progress=None):
        calls.append(batched)
        return {}
    monkeypatch.setattr(engine.batch, "execute_batches", spy)
    for value, batched in (("0", False), ("1", True), (None, True)):
        if value is None:
            monkeypatch.delenv("INDICATORS_BATCH", raising=False)
        else:
            monkeypatch.setenv("INDICATORS_BATCH", value)
        api._execute(measures, Failing(), [("t_antal", "2018")])
        assert calls.pop() is batched
