"""Stage 5, render: a query plan becomes one sqlglot tree, then SQL for a dialect.

The tree is built from sqlglot nodes only. Dialect traps handled here:
- exact median/percentile: sqlglot turns them into approximate functions for some
  dialects, so each dialect's exact aggregate is built explicitly, and dialects that
  have none refuse with a reason;
- day differences: each dialect's own form;
- division: always CAST(.. AS DOUBLE) / NULLIF(.., 0) (see resolve.safe_divide);
- booleans are counted as SUM(CASE WHEN .. THEN 1 ELSE 0 END);
- empty GROUPING SETS: Spark yields no group at all over no rows, the grand total `()`
  included (SPARK-29701), so for it the total is a query of its own, UNION ALL the groups.
"""
from __future__ import annotations

from sqlglot import exp

from .plan import DIM, PERSON, RANK, QueryPlan, Stage, date_literal
from .resolve import LookupJoin, RelatedJoin, ToOneJoin

DIALECTS = ("duckdb", "spark", "postgres", "trino", "bigquery", "snowflake")


class CompileRefused(Exception):
    """The indicator cannot be computed exactly in this dialect."""


def _and(conditions: list[exp.Expr]) -> exp.Expr | None:
    conditions = [c.copy() for c in conditions]
    return exp.and_(*conditions) if conditions else None


def join_to_one(join: ToOneJoin) -> exp.Join:
    on = exp.column(join.key, table=join.alias).eq(exp.column(join.foreign_key, table=join.left_alias))
    return exp.Join(this=exp.to_table(join.entity).as_(join.alias), on=on, side="LEFT")


def _join_lookup(join: LookupJoin) -> exp.Join:
    t = join.temporal
    a = join.alias
    on_date = join.on
    conditions = [
        exp.column(t.match_on, table=a).eq(exp.column(t.match_on, table=join.root_alias)),
        exp.LTE(this=exp.column(t.start, table=a), expression=on_date.copy()),
        exp.paren(exp.or_(exp.column(t.end, table=a).is_(exp.null()),
                          exp.LTE(this=on_date.copy(), expression=exp.column(t.end, table=a)))),
        *[w.copy() for w in join.where],
    ]
    return exp.Join(this=exp.to_table(join.entity).as_(a), on=exp.and_(*conditions), side="LEFT")


def _join_related(join: RelatedJoin) -> exp.Join:
    first = join.hops[0]
    query = exp.select(join.link.copy().as_("anchor_key"))
    if join.aggregate == "count":
        query = query.select(exp.Count(this=exp.Star()).as_("value"), copy=False)
    else:
        func = {"min": exp.Min, "max": exp.Max, "sum": exp.Sum}[join.aggregate]
        assert join.value is not None  # min, max and sum aggregate a value
        query = query.select(func(this=join.value.copy()).as_("value"), copy=False)
    query = query.from_(exp.to_table(first.entity).as_(first.alias), copy=False)
    for hop in join.hops[1:]:
        assert hop.on_left is not None and hop.on_right is not None  # only the first hop has no ON
        query = query.join(exp.to_table(hop.entity).as_(hop.alias), on=hop.on_left.copy().eq(hop.on_right.copy()),
                           join_type="INNER", copy=False)
    for inner in join.inner_joins:  # to-one joins and nested related rows of the last hop
        query = query.join(_join(inner), copy=False)
    query = query.where(exp.and_(join.link.copy().is_(exp.null()).not_(), *[w.copy() for w in join.where]),
                        copy=False)
    query = query.group_by(join.link.copy(), copy=False)
    on = exp.column("anchor_key", table=join.alias).eq(exp.column(join.anchor_key, table=join.anchor_alias))
    return exp.Join(this=exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(join.alias))),
                    on=on, side="LEFT")


def _join(join) -> exp.Join:
    if isinstance(join, ToOneJoin):
        return join_to_one(join)
    if isinstance(join, LookupJoin):
        return _join_lookup(join)
    return _join_related(join)


def _joins(stage: Stage) -> list[exp.Join]:
    return [_join(j) for j in stage.joins]


def _stage_select(stage: Stage) -> exp.Select:
    if stage.select_all_of_alias:
        query = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(stage.alias)))
    else:
        query = exp.select(*[e.copy().as_(name) for name, e in stage.select])
    if stage.rank is not None:
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=[stage.rank.partition.copy()],
            order=exp.Order(expressions=[exp.Ordered(this=o.copy(), desc=False, nulls_first=False)
                                         for o in stage.rank.order]),
        )
        query = query.select(window.as_(RANK), copy=False)
    query = query.from_(exp.to_table(stage.source).as_(stage.alias), copy=False)
    for join in _joins(stage):
        query = query.join(join, copy=False)
    where = _and(stage.where)
    if where is not None:
        query = query.where(where, copy=False)
    return query


def _quantile(value: exp.Expr, p: float, dialect: str, name: str) -> exp.Expr:
    lit = exp.Literal.number(p)
    if dialect == "duckdb":
        return exp.Anonymous(this="QUANTILE_CONT", expressions=[value, lit])
    if dialect == "spark":
        return exp.Anonymous(this="PERCENTILE", expressions=[value, lit])  # exact in Spark
    if dialect in ("postgres", "snowflake"):
        return exp.WithinGroup(this=exp.PercentileCont(this=lit),
                               expression=exp.Order(expressions=[exp.Ordered(this=value, nulls_first=False)]))
    reasons = {
        "trino": "Trino has no exact percentile aggregate (only approx_percentile)",
        "bigquery": "BigQuery's exact PERCENTILE_CONT is an analytic (window) function only, not an aggregate",
    }
    raise CompileRefused(f"{reasons.get(dialect, dialect + ' has no exact percentile aggregate')}, so the exact "
                         f"{name} cannot be computed there; compile for duckdb, spark, postgres or snowflake")


def _aggregate(plan: QueryPlan, dialect: str) -> list[exp.Expr]:
    n = exp.Count(this=exp.Star())
    kind = plan.measure_kind
    value_col = exp.column("measure_value")
    nothing = exp.cast(exp.null(), exp.DataType.build("bigint"))
    value: exp.Expr
    if kind == "count":
        value = exp.Count(this=exp.Star())
    elif kind == "count_distinct":
        value = exp.Count(this=exp.Distinct(expressions=[value_col]))
    elif kind == "share":
        numerator = exp.Coalesce(this=exp.Sum(this=exp.column("in_numerator")), expressions=[exp.Literal.number(0)])
        value = exp.Div(this=exp.cast(exp.Sum(this=exp.column("in_numerator")), exp.DataType.build("double")),
                        expression=exp.Nullif(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)),
                        typed=False, safe=False)
        return [value.as_("value"), numerator.as_("numerator"), exp.Count(this=exp.Star()).as_("denominator"),
                n.as_("n")]
    elif kind == "ratio":
        ratio = plan.indicator.measure.ratio
        assert ratio is not None  # a ratio measure has its two sides
        sides: list[exp.Expr] = []
        for name, side in zip(("num_value", "den_value"), ratio, strict=True):
            if side.kind == "count":
                sides.append(exp.Count(this=exp.Star()))
            elif side.kind == "count_distinct":
                sides.append(exp.Count(this=exp.Distinct(expressions=[exp.column(name)])))
            else:
                sides.append(exp.Sum(this=exp.column(name)))
        value = exp.Div(this=exp.cast(sides[0], exp.DataType.build("double")),
                        expression=exp.Nullif(this=sides[1], expression=exp.Literal.number(0)), typed=False, safe=False)
        return [value.as_("value"), sides[0].copy().as_("numerator"), sides[1].copy().as_("denominator"), n.as_("n")]
    elif kind == "mean":
        value = exp.Avg(this=exp.cast(value_col, exp.DataType.build("double")))
    elif kind == "sum":
        value = exp.Sum(this=value_col)
    elif kind == "median":
        value = _quantile(value_col, 0.5, dialect, "median")
    elif kind == "percentile":
        assert plan.p is not None  # a percentile measure has its p
        value = _quantile(value_col, plan.p, dialect, f"percentile {plan.p}")
    else:  # pragma: no cover
        raise ValueError(kind)
    return [value.as_("value"), nothing.as_("numerator"), nothing.copy().as_("denominator"), n.as_("n")]


def _persons(plan: QueryPlan) -> list[exp.Expr]:
    """The distinct persons behind a row (`persons`) and, for a share, behind its numerator and the rest of its
    denominator (`numerator_persons`, `rest_persons`): what engine.disclosure holds against the threshold.
    COUNT(DISTINCT ..) skips NULL, so CASE without ELSE counts the persons of one side only."""
    if not plan.persons:
        return []
    person = exp.column(PERSON)
    out: list[exp.Expr] = [exp.Count(this=exp.Distinct(expressions=[person])).as_("persons")]
    if plan.measure_kind == "share":
        for name, flag in (("numerator_persons", 1), ("rest_persons", 0)):
            side = exp.Case(ifs=[exp.If(this=exp.column("in_numerator").eq(exp.Literal.number(flag)),
                                        true=person.copy())])
            out.append(exp.Count(this=exp.Distinct(expressions=[side])).as_(name))
    return out


def _dialect_fixes(tree: exp.Expr, dialect: str) -> exp.Expr:
    """Rewrite portable nodes into the form each dialect computes exactly."""
    def fix(node):
        if isinstance(node, exp.DateDiff):
            later, earlier = node.this, node.expression
            if dialect in ("postgres",):
                return exp.paren(exp.Sub(this=exp.cast(later, "date"), expression=exp.cast(earlier, "date")))
            if dialect == "spark":
                return exp.Anonymous(this="DATEDIFF", expressions=[later, earlier])
        if isinstance(node, exp.Round) and dialect == "postgres":  # round(numeric, int) only
            node.set("this", exp.cast(node.this, "numeric"))
        return node
    return tree.transform(fix, copy=False)  # the tree was built for this call alone


def bind_period(tree: exp.Expr, plan: QueryPlan) -> exp.Expr:
    """period_start / period_end placeholders become the period's first and last day."""
    days = {"period_start": plan.period.first, "period_end": plan.period.last}

    def fix(node):
        if isinstance(node, exp.Placeholder) and node.name in days:
            return date_literal(days[node.name])
        return node
    return tree.transform(fix, copy=False)


# Dialects whose GROUPING SETS yield no group at all on an empty input, the grand total `()` included
# (Spark: SPARK-29701): their total row is a query of its own, UNION ALL the breakdown groups.
TOTAL_APART = frozenset({"spark"})


def _grouping_query(columns: list[str], sets: list[tuple[str, ...]], aggregates: list[exp.Expr],
                    with_total: bool = True, source: str = "population") -> exp.Select:
    """SELECT GROUPING(dim), dim, ..., the aggregates FROM `source` GROUP BY GROUPING SETS (the total with
    `with_total`, then `sets`). engine.batch builds one of these for the aggregates of several indicators."""
    query = exp.select()
    for d in columns:
        query = query.select(exp.Grouping(expressions=[exp.column(DIM + d)]).as_(f"grouping_{d}"),
                             exp.column(DIM + d), copy=False)
    query = query.select(*aggregates, copy=False).from_(source, copy=False)
    if columns:
        grouping = [exp.Tuple(expressions=[])] if with_total else []
        grouping += [exp.Tuple(expressions=[exp.column(DIM + d) for d in s]) for s in sets]
        query = query.group_by(exp.GroupingSets(expressions=grouping), copy=False)
    return query


def _sets(plan: QueryPlan) -> list[tuple[str, ...]]:
    """The grouping sets of a plan besides the total: each breakdown, then each cross."""
    return [(d,) for d in plan.dimensions] + [(a, b) for a, b in plan.crosses]


def _grouped(plan: QueryPlan, dialect: str, with_total: bool = True) -> exp.Select:
    """SELECT GROUPING(dim), dim, ..., the aggregates FROM population GROUP BY GROUPING SETS (the total with
    `with_total`, each breakdown, each cross)."""
    return _grouping_query(plan.columns, _sets(plan), [*_aggregate(plan, dialect), *_persons(plan)], with_total)


def _total_query(columns: list[str], aggregates: list[exp.Expr], source: str = "population") -> exp.Select:
    """The total row without GROUP BY (one row even over no rows), shaped as a grouping-sets row: every
    GROUPING() is 1 and every dimension NULL."""
    query = exp.select()
    for d in columns:
        query = query.select(exp.Literal.number(1).as_(f"grouping_{d}"), exp.null().as_(DIM + d), copy=False)
    return query.select(*aggregates, copy=False).from_(source, copy=False)


def _total(plan: QueryPlan, dialect: str) -> exp.Select:
    return _total_query(plan.columns, [*_aggregate(plan, dialect), *_persons(plan)])


def build_query(plan: QueryPlan, dialect: str = "duckdb", total_apart: bool | None = None) -> exp.Expr:
    """The whole query for one indicator and period, as a sqlglot tree.

    Every expression taken from the plan is copied where it is used, so the builders can
    work in place (copy=False): copying the growing tree at every step was most of the
    compile time.
    """
    if dialect not in DIALECTS:
        raise CompileRefused(f"unknown dialect '{dialect}': choose one of {', '.join(DIALECTS)}")
    apart = dialect in TOTAL_APART if total_apart is None else total_apart  # tests run the Spark form on DuckDB
    query: exp.Query = _grouped(plan, dialect, with_total=not apart)
    if plan.columns and apart:
        query = exp.union(_total(plan, dialect), query, distinct=False)
    if plan.candidates is not None:
        query = query.with_("candidates", as_=_stage_select(plan.candidates), copy=False)
    query = query.with_("population", as_=_stage_select(plan.population), copy=False)
    return _dialect_fixes(bind_period(query, plan), dialect)


def render_sql(plan: QueryPlan, dialect: str = "duckdb", pretty: bool = True) -> str:
    return build_query(plan, dialect).sql(dialect=dialect, pretty=pretty)
