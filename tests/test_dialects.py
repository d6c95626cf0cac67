"""Every indicator of the catalogue in every dialect of engine.render.DIALECTS, for a snapshot period of each kind.

The SQL is produced as engine/snapshots.py produces it (plan_query for the period, render_sql for the
dialect). Each statement must parse back with sqlglot in its own dialect, use no approximate aggregate, and
render what render.py documents: true, guarded division; the exact median per dialect (or a refusal with a
reason where there is none); year()/month() cast to an integer; each dialect's own day difference; no period
placeholder left. Indicator ids are taken from the catalogue fixture, never written here.
"""
from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from engine.periods import parse_period
from engine.plan import plan_query
from engine.render import DIALECTS, TOTAL_APART, CompileRefused, render_sql
from engine.snapshots import SNAPSHOT_PERIODS

QUANTILE_KINDS = ("median", "percentile")


def _period_kind(label: str) -> str:
    return "half" if "H" in label else "quarter" if "Q" in label else "month" if "-" in label else "year"


def _first_of_each_kind(labels) -> tuple[str, ...]:
    first: dict[str, str] = {}
    for label in labels:
        first.setdefault(_period_kind(label), label)
    return tuple(first.values())


# The first snapshot period of each kind (year, half-year, quarter, month): two years' SQL differs only in dates.
PERIODS = _first_of_each_kind(SNAPSHOT_PERIODS)


class Compiled:
    """The SQL (and its parse) or the refusal of one indicator, dialect and period."""

    def __init__(self, indicator: str, dialect: str, period: str, sql: str | None, refused: CompileRefused | None):
        self.indicator, self.dialect, self.period, self.sql, self.refused = indicator, dialect, period, sql, refused
        self.tree = sqlglot.parse_one(sql, read=dialect) if sql is not None else None

    def __repr__(self) -> str:
        return f"{self.indicator} [{self.dialect}, {self.period}]"


@pytest.fixture(scope="module")
def compiled(catalogue) -> dict[str, list[Compiled]]:
    """Per dialect, every indicator × period (one of each kind)."""
    result: dict[str, list[Compiled]] = {d: [] for d in DIALECTS}
    for ident in sorted(catalogue.indicators):
        bound = catalogue.get(ident)
        for period in PERIODS:
            plan = plan_query(bound, parse_period(period))
            for dialect in DIALECTS:
                try:
                    result[dialect].append(Compiled(ident, dialect, period, render_sql(plan, dialect), None))
                except CompileRefused as refusal:
                    result[dialect].append(Compiled(ident, dialect, period, None, refusal))
    return result


def kind(catalogue, ident: str) -> str:
    return catalogue.get(ident).measure.kind


def test_every_indicator_period_and_dialect_is_covered(catalogue, compiled):
    assert len(DIALECTS) >= 6 and "duckdb" in DIALECTS
    for dialect in DIALECTS:
        assert len(compiled[dialect]) == len(catalogue.indicators) * len(PERIODS)
        assert {c.indicator for c in compiled[dialect]} == set(catalogue.indicators)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_sql_parses_back_in_its_dialect(catalogue, compiled, dialect):
    done = [c for c in compiled[dialect] if c.sql is not None]
    assert done, f"{dialect} compiled nothing"
    for c in done:
        # one SELECT; for a dialect whose grouping sets lose the empty total (Spark), the total UNION ALL the groups
        bound = catalogue.get(c.indicator)
        apart = dialect in TOTAL_APART and bool(bound.breakdowns or bound.crosses)
        assert isinstance(c.tree, exp.Union if apart else exp.Select), c
        assert c.tree.find(exp.With) is not None, c
        assert (c.tree.find(exp.GroupingSets) is not None) == bool(bound.breakdowns or bound.crosses), c
        if c.period == PERIODS[0]:     # and it is written back the same way (one period: runtime)
            written = c.tree.sql(dialect=dialect)
            assert sqlglot.parse_one(written, read=dialect).sql(dialect=dialect) == written, c


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refusals_have_a_reason(catalogue, compiled, dialect):
    for c in compiled[dialect]:
        if c.refused is None:
            continue
        reason = str(c.refused)
        assert reason.strip(), c
        assert "exact" in reason and "compile for" in reason, (c, reason)
        # only an exact quantile can be refused, and then for every period alike
        assert kind(catalogue, c.indicator) in QUANTILE_KINDS, (c, reason)
    by_indicator: dict[str, set[bool]] = {}
    for c in compiled[dialect]:
        by_indicator.setdefault(c.indicator, set()).add(c.refused is None)
    assert all(len(outcomes) == 1 for outcomes in by_indicator.values())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_approximate_aggregate(compiled, dialect):
    for c in compiled[dialect]:
        if c.sql is None:
            continue
        assert "APPROX" not in c.sql.upper(), c
        approximate = [type(n).__name__ for n in c.tree.walk() if type(n).__name__.startswith("Approx")]
        assert approximate == [], c


def is_double(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)


def guarded(denominator: exp.Expression) -> bool:
    if isinstance(denominator, exp.Nullif):
        zero = denominator.expression
        return isinstance(zero, exp.Literal) and not zero.is_string and float(zero.this) == 0
    return isinstance(denominator, exp.Literal) and not denominator.is_string and float(denominator.this) != 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_division_is_true_and_guarded(catalogue, compiled, dialect):
    """render.py: division is always CAST(.. AS DOUBLE) / NULLIF(.., 0) (or by a non-zero number)."""
    divisions = 0
    for c in compiled[dialect]:
        if c.sql is None:
            continue
        for div in c.tree.find_all(exp.Div):
            divisions += 1
            assert is_double(div.this), (c, div.sql(dialect=dialect))
            assert guarded(div.expression), (c, div.sql(dialect=dialect))
        assert not list(c.tree.find_all(exp.IntDiv)), c
        if kind(catalogue, c.indicator) in ("share", "ratio"):
            value = next(s for s in c.tree.selects if s.alias == "value").this
            assert isinstance(value, exp.Div), c
    assert divisions > 0 or not any(kind(catalogue, i) in ("share", "ratio") for i in catalogue.indicators)


EXACT_QUANTILE = {
    "duckdb": "QUANTILE_CONT(measure_value, {p})",
    "spark": "PERCENTILE(measure_value, {p})",
    "postgres": "PERCENTILE_CONT({p}) WITHIN GROUP (ORDER BY measure_value",
    "snowflake": "PERCENTILE_CONT({p}) WITHIN GROUP (ORDER BY measure_value",
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_median_is_exact_or_refused(catalogue, compiled, dialect):
    quantiles = [c for c in compiled[dialect] if kind(catalogue, c.indicator) in QUANTILE_KINDS]
    if not quantiles:
        pytest.skip("the catalogue has no median or percentile")
    for c in quantiles:
        measure = catalogue.get(c.indicator).measure
        p = 0.5 if measure.kind == "median" else measure.p
        if dialect not in EXACT_QUANTILE:
            assert c.refused is not None, f"{c}: no exact quantile in {dialect}, yet compiled:\n{c.sql}"
            assert dialect in str(c.refused).lower() and "exact" in str(c.refused), str(c.refused)
            continue
        assert c.refused is None, f"{c}: {c.refused}"
        value = next(s for s in c.tree.selects if s.alias == "value").this
        assert isinstance(value, (exp.PercentileCont, exp.Quantile, exp.WithinGroup)), (c, repr(value))
        assert value.sql(dialect=dialect).startswith(EXACT_QUANTILE[dialect].format(p=p)), (c, value.sql(dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_year_and_month_are_cast_to_an_integer(compiled, dialect):
    """docs/language.md §4: EXTRACT(YEAR FROM d)-style forms cast to an integer, on every dialect."""
    integer = (exp.DataType.Type.INT, exp.DataType.Type.BIGINT)
    for c in compiled[dialect]:
        if c.sql is None:
            continue
        for node in c.tree.find_all(exp.Year, exp.Month, exp.Extract):
            parent = node.parent
            assert isinstance(parent, exp.Cast) and parent.to.this in integer, (c, parent.sql(dialect=dialect))


DAY_DIFFERENCE = {
    "duckdb": "DATE_DIFF('DAY', ",
    "spark": "DATEDIFF(",
    "trino": "DATE_DIFF('DAY', ",
    "bigquery": "DATE_DIFF(",
    "snowflake": "DATEDIFF(DAY, ",
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_day_differences_in_the_dialects_own_form(compiled, dialect):
    """render.py: day differences in each dialect's own form (postgres: date - date, an integer of days)."""
    with_days = {(c.indicator, c.period): len(list(c.tree.find_all(exp.DateDiff)))
                 for c in compiled["duckdb"] if c.sql is not None and c.tree.find(exp.DateDiff)}
    if not with_days:
        pytest.skip("no indicator of the catalogue takes a day difference")
    for c in compiled[dialect]:
        if c.sql is None or (c.indicator, c.period) not in with_days:
            continue
        differences = list(c.tree.find_all(exp.DateDiff))
        if dialect == "postgres":      # no day-difference function
            assert differences == [] and "DATE_DIFF" not in c.sql and "DATEDIFF" not in c.sql, c
            days = [sub for sub in c.tree.find_all(exp.Sub) if isinstance(sub.this, exp.Cast)
                    and isinstance(sub.expression, exp.Cast)
                    and sub.this.to.this == sub.expression.to.this == exp.DataType.Type.DATE]
            assert len(days) >= with_days[(c.indicator, c.period)], c
        else:
            assert len(differences) == with_days[(c.indicator, c.period)], c
            for difference in differences:
                assert difference.sql(dialect=dialect).startswith(DAY_DIFFERENCE[dialect]), (c, difference.sql(dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_period_is_bound_to_dates(compiled, dialect):
    for c in compiled[dialect]:
        if c.sql is None:
            continue
        assert not list(c.tree.find_all(exp.Placeholder)), c
        assert "period_start" not in c.sql and "period_end" not in c.sql, c
        period = parse_period(c.period)
        days = {period.first.isoformat(), period.last.isoformat()}
        assert any(day in c.sql for day in days), c


@pytest.mark.parametrize("dialect", DIALECTS)
def test_share_numerators_count_booleans_as_numbers(catalogue, compiled, dialect):
    """render.py: booleans are counted as SUM(CASE WHEN .. THEN 1 ELSE 0 END), in every dialect."""
    shares = [c for c in compiled[dialect] if c.sql is not None and kind(catalogue, c.indicator) == "share"]
    for c in shares:
        flag = next(a for a in c.tree.find_all(exp.Alias) if a.alias == "in_numerator").this
        assert isinstance(flag, exp.Case), c
        assert flag.args["default"].sql() == "0" and all(i.args["true"].sql() == "1" for i in flag.args["ifs"]), c
        assert "SUM(in_numerator)" in c.sql, c
