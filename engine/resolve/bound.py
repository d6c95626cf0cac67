"""The bound data types: what resolve hands to plan. Frozen values over sqlglot expressions.

Every name of an indicator is bound to a join alias here; nothing below knows YAML, and
nothing here knows periods or dialects (the period's days are `PeriodValue` placeholders,
replaced when one period is planned).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from ..diagnostics import Position
from ..info import IndicatorInfo
from ..model import Column, Temporal


@dataclass(frozen=True)
class ToOneJoin:
    """LEFT JOIN entity AS alias ON alias.key = left_alias.foreign_key (many-to-one: no fan-out)."""
    alias: str
    entity: str
    key: str
    left_alias: str
    foreign_key: str


@dataclass(frozen=True)
class Hop:
    """One step inside a related-rows subquery."""
    alias: str
    entity: str
    on_left: exp.Expr | None   # None for the first hop
    on_right: exp.Expr | None


@dataclass(frozen=True)
class RelatedJoin:
    """LEFT JOIN (SELECT anchor_key, AGG(..) AS value FROM hops WHERE .. GROUP BY anchor_key) AS alias.

    Rows reached over one-to-many relationships are aggregated per anchor before the
    join, so a unit keeps exactly one row.
    """
    alias: str
    anchor_alias: str
    anchor_key: str          # key column of the anchor entity
    hops: list[Hop]
    link: exp.Expr     # the column of the first hop that refers to the anchor
    inner_joins: list
    where: list[exp.Expr]
    aggregate: str           # count, min, max, sum
    value: exp.Expr | None


@dataclass(frozen=True)
class LookupJoin:
    """LEFT JOIN entity AS alias ON match AND start <= on AND (end IS NULL OR on <= end) AND where."""
    alias: str
    entity: str
    temporal: Temporal
    root_alias: str
    on: exp.Expr
    where: list[exp.Expr]


Join = ToOneJoin | RelatedJoin | LookupJoin


@dataclass(frozen=True)
class Breakdown:
    name: str
    expr: exp.Expr
    column: Column | None = None   # the model column of the last path segment (labels, title, values)


@dataclass(frozen=True)
class Measure:
    kind: str
    value: exp.Expr | None = None       # mean/median/sum/percentile/count_distinct
    numerator: exp.Expr | None = None   # share
    p: float | None = None                    # percentile
    ratio: tuple[Aggregate, Aggregate] | None = None   # ratio: numerator and denominator
    sensitive: tuple[str, ...] = ()     # share: the sensitive model columns its numerator reads ("entity.column")


@dataclass(frozen=True)
class Aggregate:
    """One side of a ratio: count (of units), count_distinct or sum of a value."""
    kind: str
    value: exp.Expr | None = None


@dataclass(frozen=True)
class Selection:
    """One unit per partition key: the first row by `order` (ascending, NULLs last)."""
    partition: exp.Expr
    order: list[exp.Expr]
    joins: list
    where: list[exp.Expr]


@dataclass(frozen=True)
class Origin:
    """Where one step of a population is written (for attrition and other step-by-step views)."""
    key: str            # period | where | one_per | require | lookups (the key under `population`)
    written: object     # the value as written: a condition's text or {exists: ...}, the period or one_per spec
    position: Position
    indicator: str      # the indicator whose file holds it (the base's, for population: {from: ...})
    name: str = ""      # a lookup's name


@dataclass(frozen=True)
class PopulationOrigins:
    """Where each bound condition of a population is written, parallel to the bound lists.

    `selection_where[i]` is where `Selection.where[i]` is written, `where[i]` where
    `BoundIndicator.where[i]` is (a `where` before one_per, a `require`, or a derived
    indicator's own `where` after its base's). Kept beside the BoundIndicator, not in it
    (`resolve.population_origins`): it says how a definition is written, not what it
    computes, so it is no part of the definition's meaning (engine.semantic).
    """
    placement: Origin
    selection_where: tuple[Origin, ...] = ()
    one_per: Origin | None = None
    where: tuple[Origin, ...] = ()
    lookups: tuple[Origin, ...] = ()


@dataclass(frozen=True)
class BoundIndicator:
    id: str
    file: str
    entity: str
    alias: str
    period: exp.Expr | None      # the date that places a unit (None when a placement is not one date)
    placement: exp.Expr | None   # the condition "the unit is in the period", over period placeholders
    selection: Selection | None
    joins: list
    where: list[exp.Expr]
    breakdowns: list[Breakdown]
    measure: Measure
    info: IndicatorInfo
    population_from: tuple[str, ...] = ()  # the indicators whose population this one's is built on, nearest first
    crosses: tuple[tuple[Breakdown, Breakdown], ...] = ()  # cross-tables: pairs of categories
    # the person behind a unit (its key, over the population's aliases) and the to-one joins that reach it
    # beyond `joins`; None when the unit entity has no to-one path to the model's `person` entity. Disclosure
    # control counts persons with it (engine.disclosure); it is no part of what the definition means.
    person_key: exp.Expr | None = None
    person_joins: tuple[ToOneJoin, ...] = ()


@dataclass(frozen=True)
class BoundRule:
    entity: str
    name: str
    condition: exp.Expr
    joins: list[ToOneJoin]
    text: str
