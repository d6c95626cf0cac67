"""Lineage: which tables and columns of the data model an indicator reads.

Read from the bound indicator (engine.resolve.bound), not from the YAML text: every name
there is already a column of a join alias, and each alias is declared by the unit itself or
by a join (to-one, lookup, or a hop of a related-rows subquery, whose own joins nest). So
walking the sqlglot trees (placement, conditions, the one_per selection, join conditions,
lookups, the measure and the breakdowns) and mapping each `alias.column` to its entity gives
exactly the stored columns the compiled SQL reads.

Calculated columns are inlined into the bound expressions (`psykiatrisk_diagnos` arrives as
`diagnoskod LIKE 'F%'`), so the stored columns they read are found as any other; the
calculated columns themselves are found by name in the definition as written (its
population, measure and breakdowns, and those of the indicators its population is built
on), kept only where their entity is read and every column they use is read too.
Classifications used by a breakdown and temporal relationships used by a lookup are listed
as well, so a page can link each to the model.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from .catalogue import Catalogue
from .resolve import BoundIndicator, LookupJoin, RelatedJoin, ToOneJoin

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Lineage:
    """What an indicator reads from the model, every collection sorted."""
    indicator: str
    entities: tuple[str, ...]                              # the unit's entity first, then by name
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)   # entity -> stored columns read
    calculated: tuple[tuple[str, str], ...] = ()          # (entity, calculated column) named by the definition
    classifications: tuple[str, ...] = ()
    temporal: tuple[str, ...] = ()
    population_from: tuple[str, ...] = ()                  # the indicators its population is built on

    def reads(self, entity: str, column: str) -> bool:
        return column in self.columns.get(entity, ())


class _Reads:
    def __init__(self) -> None:
        self.columns: dict[str, set[str]] = {}

    def add(self, entity: str, column: str) -> None:
        self.columns.setdefault(entity, set()).add(column)

    def trees(self, trees: Iterable[exp.Expr | None], aliases: dict[str, str]) -> None:
        for tree in trees:
            if tree is None:
                continue
            for column in tree.find_all(exp.Column):
                entity = aliases.get(column.table)
                if entity is not None and column.name:
                    self.add(entity, column.name)

    def joins(self, joins: Iterable, aliases: dict[str, str]) -> dict[str, str]:
        """Declare every alias of `joins` (in `aliases`, a copy) and record the columns their conditions read."""
        aliases = dict(aliases)
        for join in joins:  # declared first: a join's condition may name a later alias of the same level
            if isinstance(join, (ToOneJoin, LookupJoin)):
                aliases[join.alias] = join.entity
        for join in joins:
            if isinstance(join, ToOneJoin):
                self.add(join.entity, join.key)
                if join.left_alias in aliases:
                    self.add(aliases[join.left_alias], join.foreign_key)
            elif isinstance(join, LookupJoin):
                t = join.temporal
                self.add(join.entity, t.match_on)
                self.add(join.entity, t.start)
                self.add(join.entity, t.end)
                if join.root_alias in aliases:
                    self.add(aliases[join.root_alias], t.match_on)
                self.trees([join.on, *join.where], aliases)
            elif isinstance(join, RelatedJoin):
                self.related(join, aliases)
        return aliases

    def related(self, join: RelatedJoin, outer: dict[str, str]) -> None:
        """A related-rows subquery: its hops and inner joins are aliases of its own scope."""
        inner = dict(outer)
        for hop in join.hops:
            inner[hop.alias] = hop.entity
        if join.anchor_alias in outer:
            self.add(outer[join.anchor_alias], join.anchor_key)
        inner = self.joins(join.inner_joins, inner)
        self.trees([join.link, *[t for hop in join.hops for t in (hop.on_left, hop.on_right)], *join.where,
                    join.value], inner)


def _names(value) -> set[str]:
    """Every identifier written anywhere in a YAML value (keys included)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found |= _names(k) | _names(v)
    elif isinstance(value, list):
        for item in value:
            found |= _names(item)
    elif isinstance(value, str):
        found.update(_NAME.findall(value))
    return found


def _written(catalogue: Catalogue, bound: BoundIndicator) -> set[str]:
    """The names in the definition as written: population, measure, breakdowns, and its bases' populations."""
    names: set[str] = set()
    for ident in (bound.id, *bound.population_from):
        doc = catalogue.documents.get(ident)
        if doc is None or not isinstance(doc.data, dict):
            continue
        parts = [doc.data.get("population")] + ([doc.data.get("measure"), doc.data.get("breakdowns")]
                                                if ident == bound.id else [])
        for part in parts:
            names |= _names(part)
    return names


def lineage(catalogue: Catalogue, indicator_id: str) -> Lineage:
    """The model's entities, stored and calculated columns, classifications and temporal tables an indicator reads."""
    bound = catalogue.get(indicator_id)
    model = catalogue.model
    assert model is not None  # an indicator is only resolved against a model
    reads = _Reads()
    aliases = reads.joins(bound.joins, {bound.alias: bound.entity})
    trees: list[exp.Expr | None] = [bound.period, bound.placement, *bound.where]
    if bound.selection is not None:
        sel = bound.selection
        selection_aliases = reads.joins(sel.joins, aliases)
        reads.trees([sel.partition, *sel.order, *sel.where], selection_aliases)
    m = bound.measure
    trees += [m.value, m.numerator]
    if m.ratio is not None:
        trees += [side.value for side in m.ratio]
    trees += [b.expr for b in bound.breakdowns] + [b.expr for pair in bound.crosses for b in pair]
    reads.trees(trees, aliases)
    written = _written(catalogue, bound)
    calculated = []
    for ename in sorted(reads.columns):
        entity = model.entities.get(ename)
        if entity is None:
            continue
        for cname, calc in sorted(entity.calculated.items()):
            used = {c.name for c in calc.expr.find_all(exp.Column)}
            if cname in written and used <= reads.columns[ename]:
                calculated.append((ename, cname))
    breakdowns = list(bound.breakdowns) + [b for pair in bound.crosses for b in pair]
    classifications = sorted({b.name for b in breakdowns if b.name in model.classifications})
    temporal = sorted({j.temporal.name for j in _all_joins(bound) if isinstance(j, LookupJoin)})
    reads.columns.setdefault(bound.entity, set())  # the unit's table is read, whichever of its columns are
    entities = [bound.entity] + sorted(e for e in reads.columns if e != bound.entity)
    return Lineage(bound.id, tuple(entities), {e: tuple(sorted(reads.columns[e])) for e in entities},
                   tuple(calculated), tuple(classifications), tuple(temporal), tuple(bound.population_from))


def _all_joins(bound: BoundIndicator) -> list:
    found: list = []

    def walk(joins):
        for join in joins:
            found.append(join)
            if isinstance(join, RelatedJoin):
                walk(join.inner_joins)
    walk(bound.joins)
    if bound.selection is not None:
        walk(bound.selection.joins)
    return found


def readers(catalogue: Catalogue) -> dict[tuple[str, str], list[str]]:
    """(entity, column or calculated column) -> the ids of the indicators that read it, sorted."""
    result: dict[tuple[str, str], list[str]] = {}
    for ident in sorted(catalogue.indicators):
        found = lineage(catalogue, ident)
        for entity, columns in found.columns.items():
            for column in columns:
                result.setdefault((entity, column), []).append(ident)
        for entity, name in found.calculated:
            result.setdefault((entity, name), []).append(ident)
    return result


def tables_read(catalogue: Catalogue, indicator_ids: Iterable[str]) -> set[str]:
    """The model's tables the given indicators read (their entity, the entities they join or look up, and those of
    the definitions their population is built on), with those of the indicators computed beside them: the tables
    over the same population that disclosure control flags together with theirs (engine.disclosure)."""
    from .disclosure import linked_indicators
    ids = linked_indicators(catalogue.indicators.values(), [i for i in indicator_ids if i in catalogue.indicators])
    return {entity for ident in ids for entity in lineage(catalogue, ident).entities}
