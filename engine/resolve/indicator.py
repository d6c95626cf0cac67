"""Binding one indicator: its population (fields, conditions, one_per, lookups, require),
measure, breakdowns and published figures, against the model.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from ..diagnostics import Diagnostics, Position, did_you_mean
from ..expressions import Source, column_path, node_offset, parse_expression
from ..info import read_info
from ..load import Document
from ..model import NUMERIC, Column, Model
from .annotate import is_text_literal, unparen
from .bound import (
    Aggregate,
    BoundIndicator,
    Breakdown,
    Hop,
    LookupJoin,
    Measure,
    Origin,
    PopulationOrigins,
    RelatedJoin,
    Selection,
    ToOneJoin,
)
from .expression import bind_expression
from .scope import (
    PERIOD_NAMES,
    Bound,
    Scope,
    Special,
    note_sensitive,
    period_value,
    reading_sensitive,
    uses_period,
    walk,
)


def get(data, path):
    """The value at a path of keys and indexes in loaded YAML data."""
    for key in path:
        data = data[key]
    return data


def _warn_date_literals(tree: exp.Expr, src: Source, diags: Diagnostics) -> None:
    """A date or year typed into a definition is right for one period only: ask the analyst (W_DATE_LITERAL)."""
    for node in tree.walk():
        if isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DATE and is_text_literal(node.this):
            diags.warning(src.at(node_offset(node.this)), "W_DATE_LITERAL",
                          f"the date '{node.this.this}' is written into the definition, so it gives the right "
                          "figure only for the period it was written for",
                          "use period_start / period_end (e.g. startdatum BETWEEN period_start AND period_end); "
                          "keep the date only if it is a fixed event such as a reform")
        elif isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.In)):
            has_year = any(isinstance(n, exp.Year) for n in node.walk())
            years = [n for n in node.walk() if isinstance(n, exp.Literal) and not n.is_string
                     and n.this.isdigit() and 1900 <= int(n.this) <= 2100]
            if has_year and years:
                diags.warning(src.at(node_offset(years[0])), "W_DATE_LITERAL",
                              f"the year {years[0].this} is written into the definition, so it gives the right "
                              "figure only for that period",
                              "compare with the period instead, e.g. year(datum) = year(period_end)")


class Context:
    """What binding one indicator needs: the document, model and diagnostics."""

    def __init__(self, doc: Document, model: Model, diags: Diagnostics):
        self.doc, self.model, self.diags = doc, model, diags

    def source(self, path: tuple) -> Source:
        value = get(self.doc.data, path)
        return Source(value, self.doc.pos(path), 1 if tuple(path) in self.doc.quoted else 0,
                      self.doc.spans.get(tuple(path)))

    def parse(self, path: tuple):
        src = self.source(path)
        return parse_expression(src, self.diags), src

    def expression(self, path: tuple, scope: Scope, want: str | None = None, what: str = "") -> Bound | None:
        tree, src = self.parse(path)
        if tree is None:
            return None
        bound = bind_expression(tree, scope, src, self.diags)
        if bound is None:
            return None
        expr, etype = bound
        _warn_date_literals(expr, src, self.diags)
        if want == "boolean" and etype not in ("boolean", "null"):
            self.diags.error(src.position, "E_TYPE", f"a condition must be true or false, but '{src.text}' is {etype}",
                             "compare it, e.g. utfall = 'arbete', or test it with IS NOT NULL")
            return None
        if want == "numeric" and etype not in NUMERIC:
            human = {"varchar": "text", "date": "a date", "boolean": "true/false"}.get(etype, etype)
            self.diags.error(src.position, "E_TYPE", f"{what} needs a number, but '{src.text}' is {human}",
                             "use a numeric column or day arithmetic such as slutdatum - startdatum")
            return None
        if want == "date" and etype != "date":
            self.diags.error(src.position, "E_TYPE", f"{what} must be a date, but '{src.text}' is {etype}",
                             "name a date column, e.g. datum or startdatum")
            return None
        return expr, etype

    def conditions(self, path: tuple, scope: Scope) -> list[exp.Expr] | None:
        """A condition or list of conditions (strings or {exists: ...}) to a list of expressions."""
        value = get(self.doc.data, path)
        items = [(path, value)] if not isinstance(value, list) else [(path + (i,), v) for i, v in enumerate(value)]
        result, ok = [], True
        for ipath, item in items:
            if isinstance(item, dict):
                bound = self.exists(ipath, scope)
            else:
                found = self.expression(ipath, scope, want="boolean")
                bound = found[0] if found else None
            if bound is None:
                ok = False
            else:
                result.append(bound)
        return result if ok else None

    def exists(self, path: tuple, scope: Scope) -> exp.Expr | None:
        spec = get(self.doc.data, path)
        parts = tuple(spec["exists"].split("."))
        where_path = path + ("where",) if "where" in spec else None
        special = scope.special.get(parts[0])
        if len(parts) == 1 and isinstance(special, Lookup):
            return special.exists(self, where_path)
        related = related_path(self, scope, parts, path + ("exists",))
        if related is None:
            return None
        kind, payload = related
        if kind == "to_one":
            entity, alias = payload
            conds: list[exp.Expr] = [exp.column(self.model.entities[entity].key, table=alias).is_(exp.null()).not_()]
            if where_path:
                inner = Scope(self.model, entity, alias, scope.joins)
                more = self.conditions(where_path, inner)
                if more is None:
                    return None
                conds += more
            return exp.and_(*conds) if len(conds) > 1 else conds[0]
        join = make_related_join(self, scope, payload, where_path, "count", None, "exists_" + "_".join(parts))
        if join is None:
            return None
        return exp.column("anchor_key", table=join.alias).is_(exp.null()).not_()


def related_path(ctx: Context, scope: Scope, parts: tuple, pos_path: tuple):
    """Split a relationship path into the to-one prefix and the to-many hops."""
    found = walk(ctx.model, scope.entity, parts)
    if found.stopped_at is not None:
        i = found.stopped_at
        entity = found.entity
        ent = ctx.model.entities[entity]
        ctx.diags.error(ctx.doc.pos(pos_path), "E_UNKNOWN_RELATIONSHIP", f"'{entity}' has no relationship '{parts[i]}'",
                        did_you_mean(parts[i], list(ent.relationships)))
        return None
    many = found.to_many_at()
    if many is not None:
        anchor = scope.to_one(parts[:many], ctx.source(pos_path), exp.null(), ctx.diags)
        if anchor is None:
            return None
        return "to_many", (anchor, parts[many:])
    to_one = scope.to_one(parts, ctx.source(pos_path), exp.null(), ctx.diags)
    return ("to_one", to_one) if to_one else None


def make_related_join(ctx: Context, scope: Scope, payload, where_path, aggregate, column, wish) -> RelatedJoin | None:
    (anchor_entity, anchor_alias), hops_parts = payload
    model = ctx.model
    hops: list[Hop] = []
    steps = walk(model, anchor_entity, hops_parts).steps  # related_path checked that every part is a relationship
    prev_alias: str | None = None
    link: exp.Expr | None = None
    entity = anchor_entity
    for i, rel in enumerate(steps):
        alias = "__".join(hops_parts[: i + 1])
        target = model.entities[rel.target]
        if prev_alias is None:
            link = exp.column(rel.foreign_key, table=alias)
            hops.append(Hop(alias, rel.target, None, None))
        elif rel.to_many:
            hops.append(Hop(alias, rel.target, exp.column(rel.foreign_key, table=alias),
                            exp.column(model.entities[entity].key, table=prev_alias)))
        else:
            hops.append(Hop(alias, rel.target, exp.column(target.key, table=alias),
                            exp.column(rel.foreign_key, table=prev_alias)))
        entity, prev_alias = rel.target, alias
    assert prev_alias is not None and link is not None
    inner = Scope(model, entity, prev_alias)
    for hop in hops:
        inner.paths[("__hop__", hop.alias)] = (hop.entity, hop.alias)
    if anchor_alias == scope.alias:  # the rows are the unit's own: `unit.` reads the unit inside the subquery
        inner.special["unit"] = UnitRef(inner, anchor_entity, model.entities[anchor_entity].key, hops[0].alias,
                                        link.name)
    else:
        inner.forbidden["unit"] = ("'unit.' can be used only when the relationship starts at the unit itself",
                                   f"follow a relationship of '{scope.entity}' directly, e.g. exists: "
                                   f"{next(iter(model.entities[scope.entity].relationships), '...')}")
    where: list[exp.Expr] = []
    if where_path:
        conds = ctx.conditions(where_path, inner)
        if conds is None:
            return None
        where = conds
    value = None
    if column is not None:
        value = column(inner)
        if value is None:
            return None
    join = RelatedJoin(scope.new_alias(wish), anchor_alias, model.entities[anchor_entity].key, hops, link,
                       inner.joins, where, aggregate, value)
    scope.joins.append(join)
    return join


class UnitRef(Special):
    """`unit.<path>` inside related rows: the population's unit, joined into the subquery on first use."""

    def __init__(self, inner: Scope, entity: str, key: str, first_hop: str, link_column: str):
        self.inner, self.entity, self.key, self.first_hop, self.link_column = inner, entity, key, first_hop, link_column

    def bind(self, rest, src, node, diags):
        if not rest:
            diags.error(src.at(node_offset(node)), "E_NOT_A_COLUMN",
                        "'unit' is the population's unit; name one of its columns, e.g. unit.startdatum")
            return None
        if ("unit",) not in self.inner.paths:
            alias = self.inner.new_alias("unit")
            self.inner.joins.append(ToOneJoin(alias, self.entity, self.key, self.first_hop, self.link_column))
            self.inner.paths[("unit",)] = (self.entity, alias)
        return self.inner.walk_column(("unit", *rest), src, node, diags)

    def column_decl(self, rest):
        from .scope import column_decl
        return column_decl(self.inner.model, self.entity, tuple(rest))


class Field(Special):
    """A declared aggregate over related rows (`fields:`), joined once, on first use."""

    def __init__(self, ctx: Context, scope: Scope, name: str, spec: dict):
        self.ctx, self.scope, self.name, self.spec = ctx, scope, name, spec
        self.made = False
        self.join: tuple[RelatedJoin, str] | None = None
        self.sensitive: frozenset[str] = frozenset()   # the sensitive columns its own binding read

    def bind(self, rest, src, node, diags):
        if rest:
            diags.error(src.at(node_offset(node)), "E_UNKNOWN_COLUMN",
                        f"field '{self.name}' is a single value; '{self.name}.{'.'.join(rest)}' does not exist")
            return None
        if not self.made:
            with reading_sensitive() as seen:
                self.made, self.join = True, self._make()
            self.sensitive = frozenset(seen)
        note_sensitive(self.sensitive)   # a use of the field reads what it reads
        if self.join is None:
            return None
        return exp.column("value", table=self.join[0].alias), self.join[1]

    def _make(self) -> tuple[RelatedJoin, str] | None:
        ctx, fspec = self.ctx, self.spec
        path = ("population", "fields", self.name)
        parts = tuple(fspec["of"].split("."))
        aggregate = fspec["aggregate"]
        hop_parts, col = (parts, None) if aggregate == "count" else (parts[:-1], parts[-1])
        unit = ctx.model.entities[self.scope.entity]
        if aggregate == "count" and len(parts) == 1 and (parts[0] in unit.columns or parts[0] in unit.calculated):
            many = sorted(r for r, rel in unit.relationships.items() if rel.to_many)
            ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_FIELD_PATH",
                            f"a field's count counts related rows, so 'of' names a relationship of "
                            f"'{self.scope.entity}', not its column '{parts[0]}'",
                            f"write of: {many[0] if many else '<relationship>'} (one of: {', '.join(many) or 'none'}) "
                            "and keep some of the rows with where: ..., e.g. where: startdatum BETWEEN "
                            "period_start AND period_end")
            return None
        if not hop_parts:
            ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_FIELD_PATH",
                            f"'{fspec['of']}' does not go through a relationship",
                            "write relationship.column, e.g. insatser.startdatum")
            return None
        related = related_path(ctx, self.scope, hop_parts, path + ("of",))
        if related is None:
            return None
        if related[0] == "to_one":
            ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_FIELD_PATH",
                            f"'{fspec['of']}' leads to one row; a field aggregates over many",
                            "use the column path directly in expressions instead of a field")
            return None
        holder: dict[str, str] = {}

        def value(inner: Scope):
            assert col is not None  # passed on below only when there is a column
            ent = ctx.model.entities[inner.entity]
            if col not in ent.columns:
                ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_UNKNOWN_COLUMN",
                                f"'{inner.entity}' has no column '{col}'", did_you_mean(col, ent.columns))
                return None
            ctype = ent.columns[col].type
            if aggregate == "sum" and ctype not in NUMERIC:
                ctx.diags.error(ctx.doc.pos(path + ("aggregate",)), "E_TYPE",
                                f"sum needs a number, but '{col}' is {ctype}")
                return None
            holder["type"] = ctype
            return exp.column(col, table=inner.alias)

        join = make_related_join(ctx, self.scope, related[1], path + ("where",) if "where" in fspec else None,
                                 aggregate, value if col else None, self.name)
        if join is None:
            return None
        return join, holder.get("type", "bigint")


class Lookup(Special):
    """The row of a temporal relationship ongoing on a date of the unit (`lookups:`)."""

    def __init__(self, ctx: Context, scope: Scope, name: str, spec: dict):
        self.ctx, self.scope, self.name, self.spec = ctx, scope, name, spec
        self.made = False
        self.join: LookupJoin | None = None

    def make(self) -> LookupJoin | None:
        if not self.made:
            self.made, self.join = True, self._make()
        return self.join

    def _make(self) -> LookupJoin | None:
        ctx, scope, lspec, lname = self.ctx, self.scope, self.spec, self.name
        model, diags, doc = ctx.model, ctx.diags, ctx.doc
        path = ("population", "lookups", lname)
        temporal = model.temporal.get(lspec["temporal"])
        if temporal is None:
            diags.error(doc.pos(path + ("temporal",)), "E_UNKNOWN_TEMPORAL",
                        f"the model has no temporal relationship '{lspec['temporal']}'",
                        did_you_mean(lspec["temporal"], model.temporal))
            return None
        unit_entity = model.entities[scope.entity]
        if temporal.match_on not in unit_entity.columns:
            diags.error(doc.pos(path + ("temporal",)), "E_LOOKUP_MATCH",
                        f"'{scope.entity}' has no column '{temporal.match_on}' to match the lookup on")
            return None
        on = ctx.expression(path + ("on",), scope, want="date", what="the lookup date")
        if on is None:
            return None
        alias = scope.new_alias(lname)
        target = model.entities[temporal.entity]
        inner = Scope(model, temporal.entity, alias, joins=[])
        where = ctx.conditions(path + ("where",), inner) if "where" in lspec else []
        if where is None:
            return None
        if inner.joins:
            diags.error(doc.pos(path + ("where",)), "E_LOOKUP_WHERE",
                        "a lookup's conditions may use only the columns of the looked-up entity",
                        f"use columns of '{temporal.entity}' without a relationship path")
            return None
        fixed = {unparen(c.this).name for c in where if isinstance(c, exp.EQ)
                 and isinstance(unparen(c.this), exp.Column) and isinstance(unparen(c.expression), exp.Literal)}
        missing = [u for u in temporal.unique_per if u not in fixed]
        if missing:
            diags.error(doc.pos(path), "E_LOOKUP_AMBIGUOUS",
                        f"lookup '{lname}' can match several '{temporal.entity}' rows on one date: only rows of "
                        f"the same {', '.join(missing)} are known not to overlap",
                        f"fix it in where, e.g. where: \"{missing[0]} = "
                        f"'{(target.columns[missing[0]].values or ['...'])[0]}'\"")
            return None
        join = LookupJoin(alias, temporal.entity, temporal, scope.alias, on[0], where)
        scope.joins.append(join)
        scope.paths[(lname,)] = (temporal.entity, alias)
        return join

    def bind(self, rest, src, node, diags):
        if self.make() is None:
            return None
        if not rest:
            diags.error(src.at(node_offset(node)), "E_NOT_A_COLUMN",
                        f"'{self.name}' is a lookup; name one of its columns, e.g. {self.name}.startdatum")
            return None
        return self.scope.walk_column((self.name, *rest), src, node, diags)  # (name,) is a registered path

    def exists(self, ctx: Context, where_path) -> exp.Expr | None:
        join = self.make()
        if join is None:
            return None
        model = ctx.model
        conds: list[exp.Expr] = [exp.column(model.entities[join.entity].key, table=join.alias).is_(exp.null()).not_()]
        if where_path:
            inner = Scope(model, join.entity, join.alias, self.scope.joins)
            more = ctx.conditions(where_path, inner)
            if more is None:
                return None
            conds += more
        return exp.and_(*conds) if len(conds) > 1 else conds[0]

    def column_decl(self, rest) -> Column | None:
        temporal = self.ctx.model.temporal.get(self.spec["temporal"])
        if temporal is None or not rest:
            return None
        from .scope import column_decl
        return column_decl(self.ctx.model, temporal.entity, tuple(rest))


def bind_measure(ctx: Context, scope: Scope) -> Measure | None:
    spec = ctx.doc.data["measure"]
    kind = spec["kind"]
    diags, doc = ctx.diags, ctx.doc
    needs_of = kind in ("count_distinct", "mean", "median", "sum", "percentile")
    ok = True
    if needs_of and "of" not in spec:
        diags.error(doc.pos(("measure",)), "E_MEASURE_OF", f"a {kind} needs 'of': the value to aggregate",
                    "e.g. of: slutdatum - startdatum" if kind != "count_distinct" else "e.g. of: person_id")
        ok = False
    if not needs_of and "of" in spec:
        diags.error(doc.key_pos(("measure", "of")), "E_MEASURE_EXTRA", f"a {kind} takes no 'of'",
                    COUNT_OF_HINT if kind == "count" else "remove 'of'")
        ok = False
    if kind == "ratio":
        return _ratio(ctx, scope, spec)
    if kind == "share" and "numerator" not in spec:
        diags.error(doc.pos(("measure",)), "E_SHARE_NUMERATOR", "a share needs a numerator: the condition that "
                    "puts a unit of the population in the numerator",
                    "e.g. numerator: lamnat_sjukforsakringen")
        ok = False
    if kind == "share" and isinstance(spec.get("numerator"), dict) and "aggregate" in spec["numerator"]:
        diags.error(doc.pos(("measure", "numerator")), "E_SHARE_NUMERATOR",
                    "a share's numerator is a condition on the units, not an aggregate",
                    "write numerator: <condition>, or kind: ratio for an aggregate divided by another")
        return None
    if kind != "share" and "numerator" in spec:
        diags.error(doc.key_pos(("measure", "numerator")), "E_MEASURE_EXTRA",
                    f"only a share has a numerator, this measure is a {kind}", "set kind: share")
        ok = False
    if kind == "percentile" and "p" not in spec:
        diags.error(doc.pos(("measure",)), "E_PERCENTILE_P", "a percentile needs p, between 0 and 1",
                    "e.g. p: 0.9")
        ok = False
    if kind != "percentile" and "p" in spec:
        diags.error(doc.key_pos(("measure", "p")), "E_MEASURE_EXTRA", "only a percentile takes p")
        ok = False
    if not ok:
        return None
    value = numerator = None
    if needs_of:
        want = None if kind == "count_distinct" else "numeric"
        bound = ctx.expression(("measure", "of"), scope, want=want, what=f"a {kind}")
        if bound is None:
            return None
        value = bound[0]
    sensitive: tuple[str, ...] = ()
    if kind == "share":
        with reading_sensitive() as seen:
            conds = ctx.conditions(("measure", "numerator"), scope)
        if conds is None:
            return None
        numerator = exp.and_(*conds) if len(conds) > 1 else conds[0]
        sensitive = tuple(sorted(seen))
    return Measure(kind, value, numerator, spec.get("p"), sensitive=sensitive)


PERSON_ENTITY = "person"  # the model's statistical unit behind every other: disclosure control counts persons


def bind_person_key(model: Model, scope: Scope) -> tuple[exp.Expr, tuple[ToOneJoin, ...]] | None:
    """The key of the person behind each unit of `scope`'s entity and the to-one joins it needs beyond
    `scope.joins` (none when the unit refers to its person directly), or None when no path of to-one
    relationships leads from the unit entity to the model's `person` entity.

    The path is the shortest (by name at equal length); the key is read as the foreign key of its last step,
    so a unit with a `person` relationship reads its own `person_id` and joins nothing. `scope` is left as
    it is: the joins are added to a copy, with aliases that do not clash with the scope's.
    """
    if PERSON_ENTITY not in model.entities:
        return None
    if scope.entity == PERSON_ENTITY:
        return exp.column(model.entities[PERSON_ENTITY].key, table=scope.alias), ()
    frontier: list[tuple[tuple[str, ...], str]] = [((), scope.entity)]
    seen = {scope.entity}
    path: tuple[str, ...] | None = None
    while frontier and path is None:
        following = []
        for steps, entity in frontier:
            for name, rel in sorted(model.entities[entity].relationships.items()):
                if rel.to_many or rel.target in seen:
                    continue
                if rel.target == PERSON_ENTITY:
                    path = path or (*steps, name)
                following.append(((*steps, name), rel.target))
        seen.update(target for _, target in following)
        frontier = following
    if path is None:
        return None
    copy = Scope(model, scope.entity, scope.alias, list(scope.joins))
    copy.paths = dict(scope.paths)
    found = copy.to_one(path[:-1], Source(".".join(path), Position(model.file)), exp.null(), Diagnostics())
    assert found is not None  # a path of to-one relationships of the model
    entity, alias = found
    key = exp.column(model.entities[entity].relationships[path[-1]].foreign_key, table=alias)
    return key, tuple(copy.joins[len(scope.joins):])


COUNT_OF_HINT = ("to count distinct values write {aggregate: count_distinct, of: person_id}; to count the "
                 "related rows of each unit (a person's meetings), declare a field under population.fields, "
                 "e.g. antal: {aggregate: count, of: moten}, and add it up with kind: sum, of: antal "
                 "(or in a ratio: numerator: {aggregate: sum, of: antal})")


def _ratio(ctx: Context, scope: Scope, spec: dict) -> Measure | None:
    """numerator / denominator, each {aggregate: count | count_distinct | sum, of: ...}."""
    diags, doc = ctx.diags, ctx.doc
    sides = []
    for side in ("numerator", "denominator"):
        agg = spec.get(side)
        if not isinstance(agg, dict) or "aggregate" not in agg:
            diags.error(doc.pos(("measure", side) if side in spec else ("measure",)), "E_RATIO",
                        f"a ratio needs a {side}: an aggregate such as {{aggregate: count}}",
                        "e.g. numerator: {aggregate: count}, denominator: {aggregate: count_distinct, of: person_id}")
            return None
        kind = agg["aggregate"]
        if kind == "count" and "of" in agg:
            diags.error(doc.key_pos(("measure", side, "of")), "E_MEASURE_EXTRA",
                        "count counts the population's units and takes no 'of'", COUNT_OF_HINT)
            return None
        if kind != "count" and "of" not in agg:
            diags.error(doc.pos(("measure", side)), "E_MEASURE_OF", f"a {kind} needs 'of': the value to aggregate",
                        "e.g. of: person_id")
            return None
        value = None
        if kind != "count":
            bound = ctx.expression(("measure", side, "of"), scope, want="numeric" if kind == "sum" else None,
                                   what=f"a {kind}")
            if bound is None:
                return None
            value = bound[0]
        sides.append(Aggregate(kind, value))
    for extra in ("of", "p"):
        if extra in spec:
            diags.error(doc.key_pos(("measure", extra)), "E_MEASURE_EXTRA", f"a ratio takes no '{extra}'",
                        "give numerator and denominator")
            return None
    return Measure("ratio", ratio=(sides[0], sides[1]))


def _breakdown_name(spec) -> str:
    if isinstance(spec, dict) and "cross" in spec:
        return " × ".join(_breakdown_name(s) for s in spec["cross"])
    return spec["band"] if isinstance(spec, dict) else spec.split(".")[-1]


def _one_breakdown(ctx: Context, scope: Scope, path: tuple, spec) -> Breakdown | None:
    """One category breakdown: a column path or a band."""
    if isinstance(spec, dict):
        return _band(ctx, scope, path, spec)
    diags, doc = ctx.diags, ctx.doc
    tree, src = ctx.parse(path)
    if tree is None:
        return None
    if not isinstance(tree, exp.Column):
        diags.error(doc.pos(path), "E_BREAKDOWN", f"a breakdown is a column path, not '{spec}'",
                    "write a column of the unit or a to-one path such as fall.ersattning, a band "
                    "{band: aldersgrupp, of: ...} or a cross-table {cross: [kon, fall.ersattning]}")
        return None
    bound = bind_expression(tree, scope, src, diags)
    if bound is None:
        return None
    if bound[1] in ("double", "date"):
        diags.error(doc.pos(path), "E_BREAKDOWN_TYPE",
                    f"cannot break down by '{spec}': it is a {bound[1]}, not a category",
                    "break down by a column with a few stored values (kon, ersattning, lan), or classify a number "
                    "into bands: {band: <classification>, of: <number>}")
        return None
    return Breakdown(_breakdown_name(spec), bound[0], scope.column_decl(column_path(tree)))


def bind_crosses(ctx: Context, scope: Scope, marginal: list[Breakdown]) -> tuple | None:
    """Cross-tables: pairs of categories, each a column path or a band (kon: the default kon)."""
    result, ok = [], True
    known = {b.name: b for b in marginal}
    for i, spec in enumerate(ctx.doc.data.get("breakdowns", [])):
        if not (isinstance(spec, dict) and "cross" in spec):
            continue
        pair = []
        for j, item in enumerate(spec["cross"]):
            name = _breakdown_name(item)
            bound = known.get(name) if name == "kon" and name in known else \
                _one_breakdown(ctx, scope, ("breakdowns", i, "cross", j), item)
            if bound is None:
                ok = False
                break
            pair.append(bound)
        if len(pair) == 2:
            if pair[0].name == pair[1].name:
                ctx.diags.error(ctx.doc.pos(("breakdowns", i)), "E_BREAKDOWN_DUPLICATE",
                                f"a cross-table of '{pair[0].name}' with itself",
                                "cross two different breakdowns, e.g. {cross: [kon, fall.ersattning]}; "
                                f"for '{pair[0].name}' alone list it as a breakdown")
                ok = False
                continue
            result.append((pair[0], pair[1]))
    return tuple(result) if ok else None


def _band(ctx: Context, scope: Scope, path: tuple, spec: dict) -> Breakdown | None:
    """{band: classification, of: number} → CASE WHEN from <= v AND v < below THEN code ... END (NULL: no band)."""
    model, diags, doc = ctx.model, ctx.diags, ctx.doc
    classification = model.classifications.get(spec["band"])
    if classification is None and spec["band"] in model.broken_classifications:
        diags.error(doc.pos(path + ("band",)), "E_CLASSIFICATION_INVALID",
                    f"the classification '{spec['band']}' has errors", f"fix it in {model.file} first")
        return None
    if classification is None:
        diags.error(doc.pos(path + ("band",)), "E_UNKNOWN_CLASSIFICATION",
                    f"the model has no classification '{spec['band']}'",
                    did_you_mean(spec["band"], model.classifications)
                    or "declare it under classifications: in model.yaml (see docs/language.md)")
        return None
    bound = ctx.expression(path + ("of",), scope, want="numeric", what="a band")
    if bound is None:
        return None
    value = bound[0]
    ifs = []
    for band in classification.bands:
        tests: list[exp.Expr] = []
        if band.low is not None:
            tests.append(exp.GTE(this=value.copy(), expression=exp.Literal.number(band.low)))
        if band.high is not None:
            tests.append(exp.LT(this=value.copy(), expression=exp.Literal.number(band.high)))
        condition = exp.and_(*tests) if tests else exp.true()
        ifs.append(exp.If(this=condition, true=exp.Literal.string(band.code)))
    return Breakdown(classification.name, exp.Case(ifs=ifs), classification.as_column())


def bind_breakdowns(ctx: Context, scope: Scope) -> list[Breakdown] | None:
    data, model, diags, doc = ctx.doc.data, ctx.model, ctx.diags, ctx.doc
    entity = model.entities[scope.entity]
    specs = list(enumerate(data.get("breakdowns", [])))
    names = [_breakdown_name(s) for _, s in specs]
    omit = data.get("omit_kon_because")
    kon_path = "person.kon" if "person" in entity.relationships else "kon" if "kon" in entity.columns else None
    if "kon" in names and omit:
        diags.error(doc.key_pos(("omit_kon_because",)), "E_KON_CONFLICT",
                    "the indicator both breaks down by kon and gives a reason to omit it", "remove one of them")
    result: list[Breakdown] = []
    if "kon" not in names and not omit and kon_path is not None:  # individual-based: kon by default
        parts = tuple(kon_path.split("."))
        bound = scope.column(parts, Source(kon_path, doc.pos(("population", "entity"))), exp.null(), diags)
        if bound:
            result.append(Breakdown("kon", bound[0], scope.column_decl(parts)))
    seen = set()
    for i, spec in specs:
        path = ("breakdowns", i)
        name = _breakdown_name(spec)
        if name in seen:
            diags.error(doc.pos(path), "E_BREAKDOWN_DUPLICATE", f"breakdown '{name}' is listed twice",
                        "list each breakdown once; to see it crossed with another, add {cross: [a, b]}")
            continue
        seen.add(name)
        if isinstance(spec, dict) and "cross" in spec:
            continue  # bind_crosses
        one = _one_breakdown(ctx, scope, path, spec)
        if one is not None:
            result.append(one)
    if "kon" in names:  # keep kon first, as in the reports
        result.sort(key=lambda b: b.name != "kon")
    return result


def _figure_requirements(holds: str) -> tuple[str, ...]:
    return {
        "rounds_to": ("period", "value", "precision"),
        "above": ("period", "value"), "below": ("period", "value"),
        "between": ("period", "min", "max"),
        "about": ("period", "value", "tolerance"),
        "lower_than": ("period", "compare_to"), "higher_than": ("period", "compare_to"),
        "increasing": ("periods",), "within_relative": ("periods", "tolerance"),
    }[holds]


def check_published(ctx: Context, breakdowns: list[Breakdown] | None) -> None:
    data, diags, doc = ctx.doc.data, ctx.diags, ctx.doc
    known = {b.name: b for b in breakdowns or []}
    for i, figure in enumerate(data.get("published", [])):
        path = ("published", i)
        holds = figure.get("holds", "rounds_to")
        for key in _figure_requirements(holds):
            if key not in figure:
                diags.error(doc.pos(path), "E_PUBLISHED", f"a published figure that holds '{holds}' needs '{key}'",
                            f"add {key}:")
        if "period" in figure and "periods" in figure:
            diags.error(doc.key_pos(path + ("periods",)), "E_PUBLISHED", "give either period or periods, not both")
        for key, value in figure.get("breakdown", {}).items():
            if breakdowns is not None and key not in known:
                diags.error(doc.key_pos(path + ("breakdown", key)), "E_PUBLISHED_BREAKDOWN",
                            f"the figure is for breakdown '{key}', which the indicator does not have",
                            did_you_mean(key, known) or "the indicator has no breakdown besides the total")
            elif breakdowns is not None:
                column = known[key].column
                if column is not None and column.values and value not in column.values:
                    diags.error(doc.pos(path + ("breakdown", key)), "E_PUBLISHED_BREAKDOWN",
                                f"'{value}' is not a value of {key}", did_you_mean(str(value), column.values))
    check_applies_from(ctx, known if breakdowns is not None else None)


def check_applies_from(ctx: Context, known: dict | None) -> None:
    """`applies_from:` names a breakdown the indicator has and a value of it, and a real day."""
    data, diags, doc = ctx.doc.data, ctx.diags, ctx.doc
    value = data.get("applies_from")
    entries = [((), value)] if isinstance(value, dict) else [((i,), v) for i, v in enumerate(value or [])]
    for index, entry in entries:
        path = ("applies_from", *index)
        try:
            dt.date.fromisoformat(str(entry.get("date")))
        except ValueError:
            diags.error(doc.pos(path + ("date",)), "E_APPLIES_FROM", f"'{entry.get('date')}' is not a day",
                        "write the first day as YYYY-MM-DD, e.g. 2018-06-01")
        for key, category in (entry.get("breakdown") or {}).items():
            if known is None:
                continue
            if key not in known:
                diags.error(doc.key_pos(path + ("breakdown", key)), "E_APPLIES_FROM",
                            f"applies_from names breakdown '{key}', which the indicator does not have",
                            did_you_mean(key, known) or "the indicator has no breakdown besides the total")
                continue
            column = known[key].column
            if column is not None and column.values and category not in column.values:
                diags.error(doc.pos(path + ("breakdown", key)), "E_APPLIES_FROM",
                            f"'{category}' is not a value of {key}", did_you_mean(str(category), column.values))


PLACED_BY_CONDITIONS = "placed_by"


def _join_expressions(joins: list) -> list[exp.Expr | None]:
    found: list[exp.Expr | None] = []
    for join in joins:
        if isinstance(join, RelatedJoin):
            found += [*join.where, join.value] + _join_expressions(join.inner_joins)
        elif isinstance(join, LookupJoin):
            found += [join.on, *join.where]
    return found


def _conditions_use_period(where, selection, *join_lists) -> bool:
    """Whether the population's conditions (or the fields and lookups they read) refer to the period."""
    trees = list(where or []) + (list(selection.where) if selection else [])
    for joins in join_lists:
        trees += _join_expressions(joins)
    return uses_period(*trees)


def _varies(expr: exp.Expr) -> bool:
    """Whether an expression reads the unit's data (a column), so that it can differ between units."""
    return any(isinstance(node, exp.Column) for node in expr.walk())


def bind_placement(ctx: Context, scope: Scope) -> tuple[bool, exp.Expr | None, exp.Expr | None]:
    """(ok, the placing date, the condition "in the period") of `population.period`.

    A date: it falls in the period. `ongoing`: the interval [start, end] overlaps the period
    (a NULL end is still ongoing), or with `on`, covers the period's first or last day (a
    stock). `placed_by: conditions`: the conditions place the unit (checked by the caller).
    """
    spec = ctx.doc.data["population"]["period"]
    base = ("population", "period")
    first, last = period_value("period_start"), period_value("period_end")
    if isinstance(spec, str) or "date" in spec:
        path: tuple[str, ...] = base if isinstance(spec, str) else base + ("date",)
        tree, _ = ctx.parse(path)
        if tree is None:
            return False, None, None
        if not any(c.name not in PERIOD_NAMES for c in tree.find_all(exp.Column)):  # a literal, or the period itself
            ctx.diags.error(ctx.doc.pos(path), "E_PERIOD_CONSTANT",
                            f"the period date '{get(ctx.doc.data, path)}' names no column of the unit, so every "
                            "unit (and every period) would be placed alike",
                            "name a date column of the unit, e.g. period: datum")
            return False, None, None
        bound = ctx.expression(path, scope, want="date", what="the period date")
        if bound is None:
            return False, None, None
        if not _varies(bound[0]):
            ctx.diags.error(ctx.doc.pos(path), "E_PERIOD_CONSTANT",
                            f"the period date '{get(ctx.doc.data, path)}' is the same for every unit, so the "
                            "population would not depend on the data",
                            "name a date column of the unit, e.g. period: datum")
            return False, None, None
        return True, bound[0], exp.Between(this=bound[0].copy(), low=first, high=last)
    if "ongoing" in spec:
        ends = {}
        for key in ("start", "end"):
            path = base + ("ongoing", key)
            bound = ctx.expression(path, scope, want="date", what=f"the {key} of the interval")
            if bound is None:
                return False, None, None
            if not _varies(bound[0]):
                ctx.diags.error(ctx.doc.pos(path), "E_PERIOD_CONSTANT",
                                f"the interval's {key} '{get(ctx.doc.data, path)}' is the same for every unit",
                                "name a date column of the unit, e.g. start: startdatum, end: slutdatum")
                return False, None, None
            ends[key] = bound[0]
        on = spec.get("on")
        low, high = (last, last) if on == "last_day" else (first, first) if on == "first_day" else (first, last)
        start, end = ends["start"], ends["end"]
        condition = exp.and_(
            exp.LTE(this=start, expression=high),
            exp.paren(exp.or_(end.is_(exp.null()), exp.GTE(this=end.copy(), expression=low))))
        return True, None, condition
    return True, None, None  # placed_by: conditions


@dataclass
class Population:
    """A bound population: its scopes (before and after one_per), placement, selection and conditions."""
    entity: str
    first: Scope
    second: Scope
    period: exp.Expr | None
    placement: exp.Expr | None
    selection: Selection | None
    where: list[exp.Expr]
    chain: tuple[str, ...] = ()


FindDocument = Callable[[str], "Document | None"]


def bind_population(ctx: Context, find: FindDocument | None, stack: tuple[str, ...]) -> Population | None:
    """The population of `ctx.doc`; with `from:`, the referred indicator's, restricted by `where`."""
    model, diags, doc = ctx.model, ctx.diags, ctx.doc
    pop = doc.data["population"]
    if "from" in pop:
        return _population_from(ctx, find, stack)
    errors_before = len(diags.errors)
    entity_name = pop["entity"]
    if entity_name not in model.entities:
        diags.error(doc.pos(("population", "entity")), "E_UNKNOWN_ENTITY",
                    f"unknown entity '{entity_name}'", did_you_mean(entity_name, model.entities))
        return None
    alias = entity_name
    one_per = pop.get("one_per")

    # scopes: with one_per, rows are first selected (candidates), then the unit is described
    first = Scope(model, entity_name, alias)
    second = Scope(model, entity_name, alias) if one_per else first
    fields_spec = pop.get("fields", {})
    for scope in {id(first): first, id(second): second}.values():
        for fname, fspec in fields_spec.items():
            scope.special[fname] = Field(ctx, scope, fname, fspec)
    lookups_spec = pop.get("lookups", {})
    for lname in lookups_spec:
        if lname in fields_spec or lname in model.entities[entity_name].relationships \
                or lname in model.entities[entity_name].columns:
            diags.error(doc.key_pos(("population", "lookups", lname)), "E_NAME_CLASH",
                        f"lookup name '{lname}' is already a column, relationship or field of '{entity_name}'",
                        "choose another name, e.g. sjukpenningfall")
    for fname in fields_spec:
        if fname in model.entities[entity_name].relationships or fname in model.entities[entity_name].columns:
            diags.error(doc.key_pos(("population", "fields", fname)), "E_NAME_CLASH",
                        f"field name '{fname}' is already a column or relationship of '{entity_name}'",
                        "choose another name")
    for lname, lspec in lookups_spec.items():
        second.special[lname] = Lookup(ctx, second, lname, lspec)
        if one_per:
            first.forbidden[lname] = (f"lookup '{lname}' is made on the selected unit and cannot be used before "
                                      "the selection (period, where, one_per)",
                                      "move this condition to population.require")

    for fname in fields_spec:  # bind every field, used or not, so its errors are reported
        first.special[fname].bind((), Source(fname, doc.pos(("population", "fields", fname))), exp.null(), diags)
    placed, period, placement = bind_placement(ctx, first)
    where = ctx.conditions(("population", "where"), first) if "where" in pop else []
    selection = None
    if one_per:
        key = ctx.expression(("population", "one_per", "key"), first)
        order = [ctx.expression(("population", "one_per", "first_by", i), first)
                 for i in range(len(one_per["first_by"]))]
        if key and all(order) and where is not None:
            selection = Selection(key[0], [o[0] for o in order if o], first.joins, where)
        where = ctx.conditions(("population", "require"), second) if "require" in pop else []
    elif "require" in pop:
        more = ctx.conditions(("population", "require"), first)
        where = (where or []) + more if where is not None and more is not None else None

    if len(diags.errors) > errors_before or not placed or where is None:
        return None
    return Population(entity_name, first, second, period, placement, selection, where)


def _origins(doc: Document, key: str) -> tuple[Origin, ...]:
    """Where each condition of `population.<key>` is written: one per condition, as `Context.conditions` binds them."""
    pop = doc.data["population"]
    if key not in pop:
        return ()
    path: tuple = ("population", key)
    value = pop[key]
    items = [(path, value)] if not isinstance(value, list) else [(path + (i,), v) for i, v in enumerate(value)]
    return tuple(Origin(key, item, doc.pos(ipath), doc.data["id"]) for ipath, item in items)


def population_origins(doc: Document, find: FindDocument | None = None) -> PopulationOrigins:
    """Where each condition that `bind_population` binds for `doc` is written, in the same order.

    For an indicator that resolved (so a `from:` chain ends, and `find` gives each base):
    `where` before `one_per` goes with the selection, `require` after it; without `one_per`
    both are the population's conditions, `where` first; `from:` takes the base's and adds
    its own `where` last. Keep in step with `bind_population` (tests/test_attrition.py holds
    the two parallel for every indicator of the catalogue).
    """
    pop = doc.data["population"]
    if "from" in pop:
        base_doc = find(pop["from"]) if find is not None else None
        assert base_doc is not None, f"the base '{pop['from']}' of a resolved indicator is known"
        base = population_origins(base_doc, find)
        return dataclasses.replace(base, where=base.where + _origins(doc, "where"))
    ident = doc.data["id"]
    one_per = pop.get("one_per")
    lookups = tuple(Origin("lookups", spec, doc.key_pos(("population", "lookups", name)), ident, name)
                    for name, spec in pop.get("lookups", {}).items())
    placement = Origin("period", pop["period"], doc.pos(("population", "period")), ident)
    if one_per:
        return PopulationOrigins(placement, _origins(doc, "where"),
                                 Origin("one_per", one_per, doc.pos(("population", "one_per")), ident),
                                 _origins(doc, "require"), lookups)
    return PopulationOrigins(placement, (), None, _origins(doc, "where") + _origins(doc, "require"), lookups)


def _from_cycle(start: str, base_id: str, find: FindDocument | None) -> list[str]:
    """The chain start → base → ... back to start, when following `from:` returns to `start`."""
    chain, current = [start], base_id
    while find is not None and current not in chain:
        chain.append(current)
        found = find(current)
        population = found.data.get("population") if found is not None and isinstance(found.data, dict) else None
        if not isinstance(population, dict) or not isinstance(population.get("from"), str):
            return []
        current = population["from"]
    return [*chain, current] if current == start else []


def _population_from(ctx: Context, find: FindDocument | None, stack: tuple[str, ...]) -> Population | None:
    doc, diags = ctx.doc, ctx.diags
    pop = doc.data["population"]
    base_id = pop["from"]
    path = ("population", "from")
    if base_id in stack or base_id == doc.data["id"]:
        diags.error(doc.pos(path), "E_FROM_CYCLE",
                    f"the population refers to itself: {' → '.join((*stack, doc.data['id'], base_id))}",
                    "define the population in one of these indicators with entity and period")
        return None
    cycle = _from_cycle(doc.data["id"], base_id, find)
    if cycle:
        diags.error(doc.pos(path), "E_FROM_CYCLE", f"the population refers to itself: {' → '.join(cycle)}",
                    "define the population in one of these indicators with entity and period")
        return None
    base_doc = find(base_id) if find else None
    if base_doc is None:
        diags.error(doc.pos(path), "E_UNKNOWN_INDICATOR", f"no indicator '{base_id}' to take the population from",
                    "name an indicator of the catalogue, e.g. from: antal_avslutade_efter_insats")
        return None
    quiet = Diagnostics()  # the base's own errors are reported at its own file
    base = bind_population(Context(base_doc, ctx.model, quiet), find, (*stack, doc.data["id"]))
    if base is None or quiet.errors:
        diags.error(doc.pos(path), "E_FROM_INVALID", f"the population of '{base_id}' has errors",
                    f"fix {base_doc.file} first (indicators validate {base_doc.file})")
        return None
    extra: list[exp.Expr] | None = []
    if "where" in pop:  # conditions on the base's chosen units: after its one_per, if any
        extra = ctx.conditions(("population", "where"), base.second)
    if extra is None:
        return None
    return Population(base.entity, base.first, base.second, base.period, base.placement, base.selection,
                      [*base.where, *extra], (base_id, *base.chain))


def resolve_indicator(doc: Document, model: Model, diags: Diagnostics,
                      find: FindDocument | None = None) -> BoundIndicator | None:
    """Bind one schema-valid indicator document; None after recording its errors.

    `find` gives another indicator's document by id (for `population: {from: ...}`).
    """
    ctx = Context(doc, model, diags)
    errors_before = len(diags.errors)
    population = bind_population(ctx, find, ())
    if population is None:
        return None
    p = population
    measure = bind_measure(ctx, p.second)
    breakdowns = bind_breakdowns(ctx, p.second)
    crosses = bind_crosses(ctx, p.second, breakdowns or [])
    check_published(ctx, (breakdowns or []) + [b for pair in crosses or () for b in pair])
    if "sensitive" in (doc.data.get("disclosure") or {}) and doc.data["measure"]["kind"] != "share":
        diags.error(doc.key_pos(("disclosure", "sensitive")), "E_DISCLOSURE_SENSITIVE",
                    f"disclosure.sensitive is for a share (a sensitive attribute is not published as 0 % or "
                    f"100 %), but this measure is a {doc.data['measure']['kind']}",
                    "remove it; every measure is protected on the persons behind each cell")
    if len(diags.errors) > errors_before or measure is None or breakdowns is None or crosses is None:
        return None
    if p.placement is None and not _conditions_use_period(p.where, p.selection, p.second.joins, p.first.joins):
        diags.error(doc.pos(("population", "period")), "E_PERIOD_CONSTANT",
                    "the population is placed in the period by its conditions, but none of them uses the period: "
                    "every period would get the same units",
                    "use period_start / period_end in a condition or a field's where, e.g. "
                    "where: startdatum BETWEEN period_start AND period_end")
        return None
    person = bind_person_key(model, p.second)
    return BoundIndicator(doc.data["id"], doc.file, p.entity, p.entity, p.period, p.placement, p.selection,
                          p.second.joins, p.where, breakdowns, measure, read_info(doc), p.chain, crosses,
                          *(person or (None, ())))
