"""Stage 4, plan: a bound indicator and a period become the stages of one query.

candidates (only with one_per): the entity's rows in the period that pass `where`,
    ranked per unit key;
population: one row per unit, with the breakdown columns, the measure's value, the
    numerator flag and the key of the unit's person (`unit_person`);
aggregate: the total and every breakdown row in one grouping-sets pass, with the number of
    distinct persons behind each (engine.disclosure protects persons, not units).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from .periods import Period
from .resolve import BoundIndicator, Join, Selection

RANK = "unit_rank"
PERSON = "unit_person"  # the population's column holding the key of the unit's person
DIM = "by_"  # prefix of breakdown columns in the population, so no name collides with value, n, ...


@dataclass
class Stage:
    source: str                 # table or CTE name
    alias: str
    joins: list[Join]
    where: list[exp.Expr]
    select: list[tuple[str, exp.Expr]] = field(default_factory=list)  # (name, expression)
    select_all_of_alias: bool = False
    rank: Selection | None = None


@dataclass
class QueryPlan:
    indicator: BoundIndicator
    period: Period
    candidates: Stage | None
    population: Stage
    dimensions: list[str]
    measure_kind: str
    p: float | None
    crosses: list[tuple[str, str]] = field(default_factory=list)   # cross-tables, by dimension name
    persons: bool = False    # the population carries PERSON: the aggregate counts distinct persons

    @property
    def columns(self) -> list[str]:
        """Every dimension the population carries: the marginal ones, then those only in cross-tables."""
        return list(dict.fromkeys([*self.dimensions, *(d for pair in self.crosses for d in pair)]))


def date_literal(value) -> exp.Expr:
    return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))


def in_period(expr: exp.Expr, period: Period) -> exp.Expr:
    return exp.Between(this=expr.copy(), low=date_literal(period.first), high=date_literal(period.last))


def plan_query(bound: BoundIndicator, period: Period) -> QueryPlan:
    """The stages of one indicator's query; the period's days replace its placeholders in `render`."""
    period_condition = [bound.placement] if bound.placement is not None else []
    candidates = None
    if bound.selection is not None:
        sel = bound.selection
        candidates = Stage(bound.entity, bound.alias, sel.joins, [*period_condition, *sel.where],
                           select_all_of_alias=True, rank=sel)
        population_where = [exp.column(RANK, table=bound.alias).eq(1), *bound.where]
        source = "candidates"
    else:
        population_where = [*period_condition, *bound.where]
        source = bound.entity
    dims = {b.name: b for b in bound.breakdowns}
    for pair in bound.crosses:
        for b in pair:
            dims.setdefault(b.name, b)
    select: list[tuple[str, exp.Expr]] = [(DIM + name, b.expr) for name, b in dims.items()]
    m = bound.measure
    if m.value is not None:
        select.append(("measure_value", m.value))
    if m.numerator is not None:
        select.append(("in_numerator", exp.Case(ifs=[exp.If(this=m.numerator, true=exp.Literal.number(1))],
                                                default=exp.Literal.number(0))))
    if m.ratio is not None:
        for name, side in zip(("num_value", "den_value"), m.ratio, strict=True):
            if side.value is not None:
                select.append((name, side.value))
    if not select:
        select.append(("unit", exp.Literal.number(1)))
    if bound.person_key is not None:
        select.append((PERSON, bound.person_key))
    population = Stage(source, bound.alias, [*bound.joins, *bound.person_joins], population_where, select)
    return QueryPlan(bound, period, candidates, population, [b.name for b in bound.breakdowns], m.kind, m.p,
                     [(a.name, b.name) for a, b in bound.crosses], bound.person_key is not None)
