"""The engine against an independent plain-Python implementation of indicators.md.

tests/reference/ was written from the spec's text alone, without reading the engine.
Random datasets that follow the data model, full of boundary dates, ties and NULLs,
must give exactly the same rows for every indicator, period and breakdown.

The reference covers the indicators shipped with the project (INDICATOR_IDS): an indicator
added to the catalogue later is not compared here (its golden fixture and snapshots hold
it), but a shipped one that disappears or is renamed fails, so the reference is updated.
REFERENCE_EXAMPLES sets the number of random datasets (tests/test_walkthrough.py uses few).
"""
import math
import os
import random

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.execute import Dataset, load_tables, run_indicator
from engine.periods import parse_period
from reference.independent import INDICATOR_IDS, compute
from reference.random_data import random_dataset

PERIODS = ["2017", "2018", "2018H1", "2018H2", "2018Q1", "2018Q4", "2018-06", "2018-12", "2019-01"]
EXAMPLES = int(os.environ.get("REFERENCE_EXAMPLES", "25"))


def same_rows(expected, got):
    def key(r):
        return tuple(sorted(r["breakdown"].items(), key=str))
    e, g = {key(r): r for r in expected}, {key(r): r for r in got}
    assert set(e) == set(g)
    for k in e:
        for f in ("numerator", "denominator", "n"):
            assert e[k][f] == g[k][f], (k, f)
        a, b = e[k]["value"], g[k]["value"]
        assert (a is None) == (b is None), k
        if a is not None:
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (k, a, b)


def compared(catalogue) -> list[str]:
    """The indicators both sides know: the shipped ones (the catalogue may hold more)."""
    return [i for i in INDICATOR_IDS if i in catalogue.indicators]


def test_every_shipped_indicator_is_still_in_the_catalogue(catalogue):
    missing = sorted(set(INDICATOR_IDS) - set(catalogue.indicators))
    assert not missing, (f"{missing}: in tests/reference/independent.py but not in the catalogue; "
                         "renamed or removed? update the reference implementation with it")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from([3, 10, 30, 60]))
def test_engine_equals_independent_implementation(catalogue, seed, size):
    tables = random_dataset(random.Random(seed), size=size)
    con = duckdb.connect()
    try:
        load_tables(con, catalogue.model, tables)
        dataset = Dataset(con, "random")
        for ind in compared(catalogue):
            for p in PERIODS:
                same_rows(compute(tables, ind, p), run_indicator(dataset, catalogue.get(ind), parse_period(p)))
    finally:
        con.close()
