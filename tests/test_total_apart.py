"""Spark loses the total row of an empty population under GROUPING SETS (SPARK-29701), so for Spark the
total is rendered as a query of its own, UNION ALL the breakdown groups (engine.render.TOTAL_APART).

No Spark here: the same rewrite is rendered for DuckDB and must give exactly the rows of the usual
grouping-sets query, for periods inside the data and before it (an empty population: the total row
alone, n = 0), for every indicator with a breakdown.
"""
from __future__ import annotations

import pytest

from engine.execute import open_dataset, rows_from_result
from engine.periods import parse_period
from engine.plan import plan_query
from engine.render import TOTAL_APART, build_query
from engine.synthetic import generate


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, catalogue):
    path = tmp_path_factory.mktemp("apart") / "small.duckdb"
    generate(path, scale=0.02, seed=3)
    opened = open_dataset(path, catalogue.model)
    yield opened
    opened.close()


def rows(dataset, bound, period, apart: bool) -> list[dict]:
    plan = plan_query(bound, parse_period(period))
    cursor = dataset.connection.execute(build_query(plan, "duckdb", total_apart=apart).sql(dialect="duckdb"))
    found = rows_from_result(bound, plan.period, [d[0] for d in cursor.description], cursor.fetchall())
    return sorted(found, key=lambda r: (len(r["breakdown"]), sorted(r["breakdown"].items())))


def test_spark_renders_the_total_apart(catalogue):
    assert "spark" in TOTAL_APART
    bound = catalogue.get("antal_kontaktmoten")
    sql = build_query(plan_query(bound, parse_period("2018")), "spark").sql(dialect="spark")
    assert "UNION ALL" in sql and "GROUPING SETS" in sql
    assert "GROUPING SETS (\n" not in sql.split("UNION ALL")[0]
    grouping = build_query(plan_query(bound, parse_period("2018")), "duckdb").sql(dialect="duckdb")
    assert "UNION ALL" not in grouping and "GROUPING SETS ((), " in grouping


@pytest.mark.parametrize("period", ["2018", "2018H2", "1960"])
def test_the_total_apart_gives_the_same_rows(catalogue, dataset, period):
    checked = 0
    for bound in catalogue.indicators.values():
        if not bound.breakdowns and not bound.crosses:
            continue
        usual, apart = rows(dataset, bound, period, False), rows(dataset, bound, period, True)
        assert apart == usual, bound.id
        totals = [r for r in apart if not r["breakdown"]]
        assert len(totals) == 1, bound.id
        if period == "1960":  # before the data: the empty population keeps its total row, and only it
            assert apart == totals and totals[0]["n"] == 0, bound.id
        checked += 1
    assert checked >= len(catalogue.indicators) // 2
