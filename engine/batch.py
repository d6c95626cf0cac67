"""Batched execution: many (indicator, period) pairs in few queries.

One query per indicator and period is cheap on DuckDB, but on PostgreSQL and Spark the round
trips (and, on Spark, a job per query) dominate. So the pairs are grouped by their population:
indicators whose candidates stage (the same one_per selection) and population stage (source
entity, joins, where with the period's placement) render to the same tree differ only in what
the population selects and how it is aggregated. Such a group is one query, for all its periods:

- per period, ONE candidates CTE and ONE population CTE carrying the union of the members'
  columns (a column whose name another member uses for a different expression is renamed,
  e.g. `in_numerator_2`);
- per period, ONE aggregate over it: the union of the members' grouping sets and every member's
  aggregates (engine.render's `_aggregate` and `_persons`, so the dialect forms and the exact
  quantiles are build_query's; an aggregate two members share, such as COUNT(*), is computed
  once). Each member's rows are those of its own grouping sets, and the values of a group do not
  depend on the other sets or columns of the query, so they are exactly its own query's;
- with the total apart (TOTAL_APART: Spark yields no row for GROUPING SETS over no rows) the
  total of every member is a query of its own, as in build_query;
- the periods' aggregates are combined with UNION ALL, tagged with a literal naming the period
  (`batch_key`). Every branch has the same columns in the same order, the same expressions over a
  population of the same columns, so UNION ALL never converts a value; the total's NULL
  dimensions are typed. Every member is aggregated in every period of its group (a few cheap
  aggregates more when the pairs' periods differ), so no branch needs columns filled in.

`Batch.split` gives each pair exactly the rows, values and Python types of the per-pair path
(`engine.execute.rows_from_result` on the pair's own columns).

Why one aggregate and not one UNION ALL branch per indicator: Spark does not materialize a CTE,
so every branch recomputed the population (its joins and one_per ranking); on a local Spark 4 the
catalogue took longer batched that way than pair by pair, and eight indicators of one population
ten times longer. The periods are not folded into one scan over a CTE of periods either: their
days are not only in the placement condition but also in measures, lookups' `on` dates and
related rows' conditions, one_per ranks per period, and a period without rows would need a total
of its own on every engine.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlglot import exp

from .backends.base import Backend, QueryFailed, Result, engine_error
from .execute import rows_from_result, run_indicator
from .periods import Period
from .plan import DIM, QueryPlan, plan_query
from .render import (
    DIALECTS,
    TOTAL_APART,
    CompileRefused,
    _aggregate,
    _dialect_fixes,
    _grouping_query,
    _persons,
    _sets,
    _stage_select,
    _total_query,
    bind_period,
    build_query,
)
from .resolve import BoundIndicator
from .resolve.annotate import type_of

TAG = "batch_key"  # the column naming the period of each row
Key = tuple[str, str]  # (indicator id, period label)
LONE = "\0lone"  # the group key's first part of an indicator planned pair by pair (no candidates stage renders so)


@dataclass
class _Part:
    """Where one pair's rows are in a batch's result."""
    key: Key
    bound: BoundIndicator
    period: Period
    columns: list[str] | None = None   # its own result columns, as build_query names them; None: its own query
    slots: list[str] = field(default_factory=list)  # the batch column each of them is read from
    sets: frozenset[frozenset[str]] = frozenset()   # its grouping sets (batch dimensions), the total's () too


@dataclass
class Batch:
    """One query for several (indicator, period) pairs, and how to take its rows apart."""
    keys: list[Key]
    tree: exp.Expr
    parts: list[_Part]
    dimensions: list[str] = field(default_factory=list)  # the batch's dimensions (columns by_<d>, grouping_<d>)

    def split(self, result: Result) -> dict[Key, list[dict]]:
        """Each pair's rows exactly as `rows_from_result` gives them for the pair's own query: the rows of its
        period whose grouped dimensions (GROUPING() = 0) are one of its grouping sets, its own columns."""
        if len(self.parts) == 1 and self.parts[0].columns is None:
            part = self.parts[0]
            return {part.key: rows_from_result(part.bound, part.period, result.columns, result.rows)}
        index = {c.lower(): i for i, c in enumerate(result.columns)}
        at = index[TAG]
        flags = [(d, index[f"grouping_{d}".lower()]) for d in self.dimensions]
        rows: dict[tuple[str, frozenset[str]], list[tuple]] = {}
        for row in result.rows:
            grouped = frozenset(d for d, i in flags if row[i] == 0)
            rows.setdefault((row[at], grouped), []).append(row)
        out = {}
        for part in self.parts:
            assert part.columns is not None  # a batch of several pairs
            picks = [index[s.lower()] for s in part.slots]
            records = [tuple(row[i] for i in picks) for grouped in part.sets
                       for row in rows.get((part.period.label, grouped), [])]
            out[part.key] = rows_from_result(part.bound, part.period, part.columns, records)
        return out


def _rendered(tree: exp.Expr, dialect: str) -> str:
    """A fresh tree as compared: after the dialect's fixes (in place), in sqlglot's own SQL, which keeps
    placeholder names (`:period_start`), so the text is the same for every period."""
    return _dialect_fixes(tree, dialect).sql()


def _population_key(plan: QueryPlan, dialect: str) -> tuple[str | None, str]:
    """Equal for two plans exactly when their candidates and population stages read the same rows: the
    rendered stage trees, with the population's select list left out (that is what members may add)."""
    candidates = _rendered(_stage_select(plan.candidates), dialect) if plan.candidates is not None else None
    rows_only = replace(plan.population, select=[("unit", exp.Literal.number(1))])
    return candidates, _rendered(_stage_select(rows_only), dialect)


def plan_batches(items: list[tuple[BoundIndicator, Period]], dialect: str,
                 total_apart: bool | None = None) -> list[Batch]:
    """The pairs grouped by population, one query tree per group (see the module's docstring).

    A group of one pair gets `build_query`'s own tree. A pair the dialect refuses (an exact median where there
    is none) is planned alone through build_query, which raises its CompileRefused, as the per-pair path does.
    `total_apart` as in build_query (tests run the Spark form on DuckDB)."""
    apart = dialect in TOTAL_APART if total_apart is None else total_apart
    groups: dict[tuple[str | None, str], dict[Key, QueryPlan]] = {}
    keys: dict[str, tuple[str | None, str]] = {}  # per indicator: its population does not depend on the period
    for bound, period in {(b.id, p.label): (b, p) for b, p in items}.values():
        plan = plan_query(bound, period)
        if dialect not in DIALECTS:
            build_query(plan, dialect, apart)  # refuses the unknown dialect with build_query's message
        try:
            _aggregate(plan, dialect)
        except CompileRefused:
            build_query(plan, dialect, apart)  # raises the pair's refusal
            raise  # pragma: no cover - build_query refuses what _aggregate refuses
        if bound.id not in keys:
            sets = [frozenset(s) for s in _sets(plan)]
            # a cross listed twice (a × b and b × a) repeats its rows in the pair's own query: left alone, as is
            keys[bound.id] = _population_key(plan, dialect) if len(set(sets)) == len(sets) else (LONE, bound.id)
        groups.setdefault(keys[bound.id], {})[_key(plan)] = plan
    batches = []
    for key, plans in groups.items():
        if len(plans) == 1 or key[0] == LONE:
            batches += [_alone(plan, dialect, apart) for plan in plans.values()]
        else:
            batches.append(_together(plans, dialect, apart))
    return batches


def _key(plan: QueryPlan) -> Key:
    return plan.indicator.id, plan.period.label


def _alone(plan: QueryPlan, dialect: str, apart: bool) -> Batch:
    return Batch([_key(plan)], build_query(plan, dialect, apart), [_Part(_key(plan), plan.indicator, plan.period)])


def _shared_select(members: list[QueryPlan]) -> tuple[list[tuple[str, exp.Expr]], list[dict[str, str]]]:
    """The union of the members' population columns, and per member the shared name of each of its columns:
    one column per distinct (name, expression), renamed (`in_numerator_2`) where a name is taken."""
    shared: list[tuple[str, exp.Expr]] = []
    known: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    renames = []
    for plan in members:
        rename = {}
        for name, expr in plan.population.select:
            text = expr.sql()
            got = known.get((name, text))
            if got is None:
                got, k = name, 2
                while got in taken:
                    got, k = f"{name}_{k}", k + 1
                known[(name, text)] = got
                taken.add(got)
                shared.append((got, expr))
            rename[name] = got
        renames.append(rename)
    return shared, renames


def _renamed(tree: exp.Expr, rename: dict[str, str]) -> exp.Expr:
    """An aggregate reading the shared population: its unqualified columns under their shared names."""
    moved = {old: new for old, new in rename.items() if old != new}
    if not moved:
        return tree

    def fix(node):
        if isinstance(node, exp.Column) and not node.table and node.name in moved:
            return exp.column(moved[node.name])
        return node
    return tree.transform(fix, copy=False)


def _null_of(plan: QueryPlan, name: str) -> exp.Expr:
    """A NULL of the breakdown's type (its model column's, or its expression's), for the total's dimension:
    an untyped NULL in one branch of a UNION is read as text by PostgreSQL."""
    every = [*plan.indicator.breakdowns, *(b for pair in plan.indicator.crosses for b in pair)]
    for b in every:
        if b.name == name:
            t = b.column.type if b.column is not None else type_of(b.expr)
            if t:
                return exp.cast(exp.null(), exp.DataType.build(t))
    return exp.null()


@dataclass
class _Aggregates:
    """The one aggregate of a group: its dimensions, grouping sets and aggregate columns, each once."""
    dimensions: list[str] = field(default_factory=list)
    nulls: dict[str, exp.Expr] = field(default_factory=dict)
    sets: list[tuple[str, ...]] = field(default_factory=list)
    columns: dict[str, exp.Expr] = field(default_factory=dict)  # name: aggregate
    _known: dict[str, str] = field(default_factory=dict)          # the aggregate's SQL: its column

    def add(self, plan: QueryPlan, rename: dict[str, str], dialect: str) -> tuple[list[str], list[str], frozenset]:
        """Add a member: its own column names, the batch column of each, its grouping sets (with the total)."""
        dims = {d: rename[DIM + d][len(DIM):] for d in plan.columns}
        own, slots = [], []
        for d, shared in dims.items():
            if shared not in self.dimensions:
                self.dimensions.append(shared)
                self.nulls[shared] = _null_of(plan, d)
            own += [f"grouping_{d}", DIM + d]
            slots += [f"grouping_{shared}", DIM + shared]
        sets = [tuple(dims[d] for d in s) for s in _sets(plan)]
        known = {frozenset(s) for s in self.sets}
        self.sets += [s for s in sets if frozenset(s) not in known]  # (kon, lan) and (lan, kon) are one set
        for alias in [*_aggregate(plan, dialect), *_persons(plan)]:
            expr = _renamed(alias.this, rename)
            text = expr.sql()
            if text not in self._known:
                name, k = alias.alias, 2
                while name in self.columns:
                    name, k = f"{alias.alias}_{k}", k + 1
                self._known[text] = name
                self.columns[name] = expr
            own.append(alias.alias)
            slots.append(self._known[text])
        return own, slots, frozenset([frozenset(), *(frozenset(s) for s in sets)])

    def branches(self, source: str, apart: bool) -> list[exp.Select]:
        """The grouping-sets query over `source` and, with the total apart, the total's query before it."""
        aggregates = [e.copy().as_(name) for name, e in self.columns.items()]
        grouped = _grouping_query(self.dimensions, self.sets, aggregates, with_total=not apart, source=source)
        if not (self.dimensions and apart):
            return [grouped]
        total = _total_query(self.dimensions, [a.copy() for a in aggregates], source)
        for e in total.expressions:
            if isinstance(e, exp.Alias) and isinstance(e.this, exp.Null) and e.alias.startswith(DIM):
                e.set("this", self.nulls[e.alias[len(DIM):]].copy())
        return [total, grouped]


def _together(pairs: dict[Key, QueryPlan], dialect: str, apart: bool) -> Batch:
    """One query for the pairs of a group (same population stages): every member in every period."""
    members = list(dict.fromkeys(p.indicator.id for p in pairs.values()))
    bounds = {p.indicator.id: p.indicator for p in pairs.values()}
    periods = {p.period.label: p.period for p in pairs.values()}
    plans = {label: [pairs.get((i, label)) or plan_query(bounds[i], period) for i in members]
             for label, period in periods.items()}
    first = next(iter(plans.values()))
    shared, renames = _shared_select(first)  # the members' population columns do not depend on the period
    aggregates = _Aggregates()
    parts: dict[str, tuple[list[str], list[str], frozenset]] = {
        plan.indicator.id: aggregates.add(plan, rename, dialect) for plan, rename in zip(first, renames, strict=True)}
    ctes: list[tuple[str, exp.Expr]] = []
    selects: list[exp.Select] = []
    for i, (label, period_plans) in enumerate(plans.items(), 1):
        one = period_plans[0]
        population = one.population
        if one.candidates is not None:
            ctes.append((f"candidates_{i}", bind_period(_stage_select(one.candidates), one)))
            population = replace(population, source=f"candidates_{i}")
        ctes.append((f"population_{i}", bind_period(_stage_select(replace(population, select=shared)), one)))
        for query in aggregates.branches(f"population_{i}", apart):
            query.set("expressions", [exp.Literal.string(label).as_(TAG), *query.expressions])
            selects.append(query)
    tree: exp.Query = selects[0] if len(selects) == 1 else exp.union(*selects, distinct=False, copy=False)
    for name, cte in ctes:
        tree = tree.with_(name, as_=cte, copy=False)
    keyed = [_Part(key, plan.indicator, plan.period, *parts[key[0]]) for key, plan in pairs.items()]
    return Batch(list(pairs), _dialect_fixes(tree, dialect), keyed, list(aggregates.dimensions))


Progress = Callable[[str, str, int, int], object]


def execute_batches(dataset: Backend, items: list[tuple[BoundIndicator, Period]], batched: bool = True,
                    progress: Progress | None = None) -> dict[Key, list[dict]]:
    """Rows of every (indicator, period) pair on an open dataset, keyed (indicator id, period label) in the
    order of `items`. `batched=False` runs pair by pair (`run_indicator`: the old path, the benchmark's
    baseline, and INDICATORS_BATCH=0). `progress(id, label, done, total)` is called per pair of `items` (a pair
    listed twice is computed once and counted twice, as before)."""
    keys = [(b.id, p.label) for b, p in items]
    pairs = dict(zip(keys, items, strict=True))
    listed = Counter(keys)
    rows: dict[Key, list[dict]] = {}
    counted = 0

    def done(key: Key, found: list[dict]) -> None:
        nonlocal counted
        rows[key] = found
        for _ in range(listed[key]):
            counted += 1
            if progress:
                progress(key[0], key[1], counted, len(keys))
    if not batched:
        for key, (bound, period) in pairs.items():
            done(key, run_indicator(dataset, bound, period))
        return rows
    for batch in plan_batches(list(pairs.values()), dataset.dialect):
        try:
            result = dataset.query(batch.tree)
        except QueryFailed as exc:
            ids = list(dict.fromkeys(ind for ind, _ in batch.keys))
            named = f"indicator {ids[0]}" if len(ids) == 1 else "indicators " + ", ".join(ids)
            raise engine_error(dataset.description, "E_DATA_QUERY", f"{named} failed on the dataset: {exc}",
                               "check that the data follows the data model (types, values)") from None
        for key, found in batch.split(result).items():
            done(key, found)
    return {key: rows[key] for key in pairs}
