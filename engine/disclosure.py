"""Disclosure control: which cells of an indicator's table may not be shown.

An indicator's rows for one period form a small table: the total, and for each breakdown
dimension one cell per category. Every unit of the population (a row of its entity: an
assessment, a participation, a meeting...) falls in exactly one category of each dimension
(a missing value is a category of its own), so the units `n` of one dimension add up to
the total: K + M = total.

What is protected is persons, not units. Each row carries `persons`, the distinct persons
behind it (engine.plan: the unit's person is reached by the shortest path of to-one
relationships to the model's `person` entity; a unit entity without one counts its units
as persons), and a share's row `numerator_persons` and `rest_persons`, those behind its
numerator and behind the rest of its denominator. Units add up, persons do not (one person
can have meetings of two types), so the two are used for different things:

- whether a cell is small is a question about persons: five meetings of one person are one
  person, and they are as small as one meeting;
- whether a hidden cell can be worked out from the shown ones is a question about the
  numbers an attacker sees and the sums they obey: the units (and a share's numerator and
  rest, a count of distinct persons' persons) along the lines where they add up.

The rules:

- Primary suppression, for every measure (counts of events, means, medians, shares,
  ratios): a cell with fewer persons than the threshold (but not none: an empty cell
  reveals nothing about anyone); a share also when the persons in its numerator, or in the
  rest of its denominator, are that few (2 of 30 = 7 % would tell the 2, which another
  table over the same units may hide). A count of distinct persons is also small when its
  value is.
- Group disclosure, whatever the size: a cell that holds all of its total (Totalt 5,
  Kvinnor 5: every person with a contact meeting is a woman) tells something of every unit
  behind the total. Hiding that cell alone would not help: the empty categories are what
  tells, and a table shows them (as 0 or –, or by their absence). So a line (see `_lines`)
  with a single present category hides the whole table, and a hidden table shows `..` in
  every cell, the categories the definition allows but the data lacks included
  (engine.report). Not when that category is the only one the definition allows in the
  period (`structure`): all meetings of 2017 were överlämningsmöten because the population
  has only those and omställningsmöten (`motestyp IN (...)`), which began in June 2018
  (`applies_from`); that tells nothing about anyone.
- Likewise a share of a sensitive attribute (a column or calculated column declared
  `sensitive: true` in the model that the numerator reads, or an indicator with
  `disclosure: {sensitive: true}`) that would be published as 0 % or 100 % (rounded to
  whole percent) is suppressed: it tells the attribute of every person in the cell,
  however many they are. (A share of another attribute may be published at 0 % or 100 %;
  its breakdowns follow the rule above.)
- Secondary suppression: a dimension with exactly one suppressed cell would give it away
  as total minus the others, so its next smallest cell is suppressed too; so is the next
  one while the hidden cells could only take their least values (each present cell has
  at least one unit: "all ones"). A suppressed total suppresses the whole table.

The "all ones" rule and the audit below reason about each number an attacker sees along
the lines it adds up on, each with the least value a hidden cell is known to have:

- units `n`, at least 1 in a present cell; every line;
- for a share, the numerator and the rest of the denominator (denominator - numerator),
  which add up like units, at least 0 (at least 1 for a numerator whose rest is 0, or a rest
  whose numerator is 0: the cell has a unit). A linked count table (below) publishes the
  units, and then a shown share gives its numerator away (rounding to whole percent pins
  it for up to some hundred units), so the attacker is taken to know the numerator and the
  rest of every shown cell;
- for a count of distinct persons, the published values: persons, at least 1. They add up
  only along lines where no person is in two categories (kön always, ersättning not
  always); the rules use the lines where they add up in the data (the attacker may know
  that kön is a person's), and the audit the largest part of the table where every line
  does (all of it, else the margins alone). Where persons do not add up a line only gives
  "at least" (the cells hold at least the total's persons between them), which cannot pin
  a cell of a line with two present categories.

A crossed pair (kön × ersättning) adds more constraints: the cells of one kön add up to
that kön's marginal row, and so on. A hidden sum whose cells are all shown would be their
sum, so one of them is hidden too; a shown sum follows the rule above. The rules run to a
fixpoint (each step only hides cells, so it ends). `run` keeps the values and flags the
cells; reports show `..` for them.

These rules are local: each looks at one additive line at a time, and with a crossed pair
that is not enough, because an attacker combines lines. Total 7, kön K 3, M 2 and X 2,
ersättning s 4 and a 3, cells K×s 2, K×a 1, M×s 1, M×a 1, X×s 1, X×a 1 at threshold 3: the
rules leave the total and K = 3 shown, and every line on its own is safe; but M + X =
7 − 3 = 4, and each has two cells of at least 1, so both are 2 and every cell of theirs is
1. So the local rules are only a first pass, followed by an
exact audit (`intervals`): for every hidden row, the values it can take given everything
shown (shown rows are fixed, every hidden row has at least its least value, the rows add
up as `_lines` says, and the units of one category are the same in every cross it is in,
its sums published or not). While some hidden row can take only its own value, in any of
the numbers above, one more row is hidden: the smallest shown row whose hiding lets that
row move (failing that, the smallest next to where it could move; the total, and so the
whole table, only when nothing else is left), and the audit runs again. Safe means what it
meant for one line: no hidden row has a single possible value.

The audit is exact because such a table is a flow network. Its dimensions, joined by their
crossed pairs, form chains (kön alone; ersättning – kön; ersättning – kön – län), and a
chain is a layered network: from a junction through the categories of its first dimension
(an edge each: the marginal row), the cells of the first pair, the categories of the next
dimension (again an edge each) and so on to the next junction; the chains run one after
the other and the total runs from the last junction back to the first, so each carries
the total. The table is a circulation in it, with shown rows fixed and hidden ones at
least their least value. A hidden row's value can rise by k exactly when k units can flow
from its head back to its tail in the residual network without it, and fall likewise the
other way; the network is totally unimodular, so integer tables reach every value in
between, and one breadth-first search tells whether a row can move at all. A table the
network cannot express (a dimension in three crosses, a cycle of crosses, three dimensions
in one row, rows that do not add up) cannot be audited: if anything in it is hidden, so is
the whole table. A kön × 20 cross table (63 rows) takes under a millisecond, both passes
together.

Linked tables. Two indicators over the same population (the same units: a count and the
share of it that left the insurance, `population: {from: ...}` with nothing added; an
assessment count, a mean and a median over assessments) publish numbers about the same
cells, and an attacker combines them: the count gives the units a share's percentage is
of. So the tables of one period whose populations are the same (`population_identity`:
entity, placement, selection, conditions and the joins they use) are suppressed together
(`table_flags`): a cell hidden in one is hidden in all that have it, and each is suppressed
again with those cells hidden from the start, until no table hides a cell another shows.
Every table then shows the same cells, and each table's audit already takes the attacker to
know the units, numerators and rests of its shown cells: what the other tables add. `run`,
`check`, `diff` and the report compute and flag each table together with every indicator of
the catalogue over the same population (`linked_indicators`, engine.shielded.linked_keys),
so a cell's flag does not depend on which indicators were asked for. The property test
(tests/test_disclosure.py) shows what suppressing each table on its own would leak: a count
by kön × ersättning and the share of the same units each safe alone, and a hidden count
pinned by the two together.

Two years. A report shows each table for two years (and the trend of totals). The tables
of two periods are different units (an assessment is in one year), so no sum links them and
each year protected on its own is protected together: what links them is only the change
from one year to the next, which the report does not print, and which a reader can only
take between two shown cells. (A population of ongoing units, in both years, is not
disjoint; its tables are still protected each on its own, the overlap is not published.)
"""
from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Hashable, Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Any

PRIMARY, SECONDARY = "primary", "secondary"


def cell_key(breakdown: dict) -> tuple:
    """A row's breakdown as a key, the same whichever order its dimensions are written in."""
    return tuple(sorted(breakdown.items(), key=lambda kv: str(kv[0])))


def _lines(rows: list[dict]) -> list[tuple[int | None, list[int]]]:
    """The table's additive constraints: (parent row, rows that add up to it).

    Each marginal dimension adds up to the total. A crossed pair (a, b) adds up, for each
    value of a, to that value's marginal row (when a is also a marginal breakdown; else to
    nothing published), likewise for each value of b, and all its cells to the total.
    """
    index = {tuple(sorted(r["breakdown"].items(), key=lambda kv: kv[0])): i for i, r in enumerate(rows)}
    total = next((i for i, r in enumerate(rows) if not r["breakdown"]), None)
    by_shape: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        if row["breakdown"]:
            by_shape.setdefault(tuple(row["breakdown"]), []).append(i)
    lines: list[tuple[int | None, list[int]]] = []
    for shape, members in by_shape.items():
        lines.append((total, members))
        if len(shape) < 2:
            continue
        for fixed in shape:
            slices: dict[object, list[int]] = {}
            for i in members:
                slices.setdefault(rows[i]["breakdown"][fixed], []).append(i)
            for value, cells in slices.items():
                lines.append((index.get(((fixed, value),)), cells))
    return lines


# ---------------------------------------------------------------- what a row says about persons

def persons(row: dict) -> int:
    """The distinct persons behind a row; its units when it does not say (or says none behind present units:
    units whose person is unknown are each taken for one)."""
    return row.get("persons") or row["n"] or 0


def is_share(row: dict) -> bool:
    """A share's row: it has persons in its numerator (None for other measures), or, in a row that does not
    say, a numerator and a denominator that is its units (a ratio's denominator is another aggregate)."""
    if "numerator_persons" in row:
        return row["numerator_persons"] is not None
    return row.get("numerator") is not None and row.get("denominator") is not None \
        and row["denominator"] == row["n"]


def _sides(row: dict) -> tuple[int, int]:
    """A share's persons in its numerator and in the rest of its denominator (units where it does not say)."""
    numerator, rest = row["numerator"] or 0, (row["denominator"] or 0) - (row["numerator"] or 0)
    return row.get("numerator_persons") or numerator, row.get("rest_persons") or rest


def _small(row: dict, threshold: int, distinct: bool = False) -> bool:
    """Built on fewer persons than the threshold; for a share, also when few persons are (or are not) counted
    in the numerator: 2 of 30 is 7 %, and the 7 % would give the 2 away; for a count of distinct persons, also
    when the count is."""
    if 0 < persons(row) < threshold:
        return True
    if distinct and 0 < (row["value"] or 0) < threshold:
        return True
    if not is_share(row):
        return False
    numerator, rest = _sides(row)
    return 0 < numerator < threshold or 0 < rest < threshold


def all_or_none(row: dict) -> bool:
    """A share published as 0 % or 100 % (whole percent, half up: below 0.5 %, or 99.5 % and above)."""
    if not is_share(row) or not row["denominator"]:
        return False
    numerator, denominator = row["numerator"] or 0, row["denominator"]
    return 200 * numerator < denominator or 200 * numerator >= 199 * denominator


def _holding_all(rows: list[dict], single: Set[str] = frozenset()) -> int | None:
    """A cell that holds all of its line (the only present category of its dimension, or of its slice of a
    cross): group disclosure, see the module docstring. None when there is none. A line along dimensions in
    `single` (those the definition allows one category of in the period, `structure`) tells nothing."""
    by_shape: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        if row["breakdown"] and (row["n"] or 0) > 0:
            by_shape.setdefault(tuple(row["breakdown"]), []).append(i)
    for shape, members in by_shape.items():
        lines = [(set(shape), members)]   # the whole dimension (or cross), then each slice of a cross
        for fixed in shape if len(shape) > 1 else ():
            slices: dict[object, list[int]] = {}
            for i in members:
                slices.setdefault(rows[i]["breakdown"][fixed], []).append(i)
            lines += [(set(shape) - {fixed}, cells) for cells in slices.values()]
        for varying, cells in lines:
            if len(cells) == 1 and not varying <= set(single):
                return cells[0]
    return None


def structure(bound: Any) -> dict[str, dict[object, str | None]]:
    """For each breakdown of an indicator with declared categories (its column's values), the categories its
    population can have, each with the first day it can (None: always): the values, less those a condition of
    the population rules out (`motestyp IN ('overlamningsmote', 'omstallningsmote')`, `ersattning = '...'`),
    with the day of an `applies_from` for that category; and None (a missing value, or no row to join) unless
    such a condition rules it out. A cell alone in its line is no group disclosure where it is the only
    category the definition allows in the period (`table_flags`)."""
    from sqlglot import exp

    from .resolve.annotate import unparen
    conditions = list(bound.where) + (list(bound.selection.where) if bound.selection is not None else [])
    found: dict[str, dict[object, str | None]] = {}
    for b in [*bound.breakdowns, *(b for pair in bound.crosses for b in pair)]:
        if b.column is None or not b.column.values or b.name in found:
            continue
        allowed: set = {*b.column.values, None}
        target = unparen(b.expr).sql()
        for condition in conditions:
            condition = unparen(condition)
            if isinstance(condition, exp.EQ) and unparen(condition.this).sql() == target \
                    and isinstance(unparen(condition.expression), exp.Literal):
                allowed &= {unparen(condition.expression).this}
            elif isinstance(condition, exp.In) and unparen(condition.this).sql() == target and condition.expressions \
                    and all(isinstance(unparen(v), exp.Literal) for v in condition.expressions):
                allowed &= {unparen(v).this for v in condition.expressions}
        first = {c: rule.date for rule in bound.info.applies_from for d, c in rule.breakdown.items() if d == b.name}
        found[b.name] = {c: first.get(c) for c in [*b.column.values, None] if c in allowed}
    return found


def possible(categories: Mapping[object, str | None], period: str) -> list:
    """The categories (of `structure`) a period can have: those that began by its last day."""
    from .periods import PeriodError, parse_period
    try:
        last = parse_period(period).last.isoformat()
    except PeriodError:
        return list(categories)
    return [c for c, first in categories.items() if first is None or first <= last]


# ---------------------------------------------------------------- the numbers an attacker adds up

@dataclass
class _Measure:
    """One number of a table's rows that adds up along its lines, as the rules and the audit see it."""
    name: str
    values: list[int]
    floors: list[int]           # the least value a hidden row is known to have
    rows: list[int] | None      # the rows of the table the audit runs on (None: all of them)
    required: bool = True       # a table whose rows cannot be audited in it is hidden whole

    def adds_up(self, parent: int, members: list[int]) -> bool:
        return self.values[parent] == sum(self.values[i] for i in members)


def _measures(rows: list[dict], distinct: bool) -> list[_Measure]:
    """Units always; a share's numerator and rest; a count of distinct persons' persons (see the docstring)."""
    n = [r["n"] or 0 for r in rows]
    measures = [_Measure("n", n, [min(v, 1) for v in n], None)]
    if rows and all(is_share(r) for r in rows):
        numerator = [r["numerator"] or 0 for r in rows]
        rest = [(r["denominator"] or 0) - v for r, v in zip(rows, numerator, strict=True)]
        measures.append(_Measure("numerator", numerator,
                                 [min(v, 1 if r == 0 else 0) for v, r in zip(numerator, rest, strict=True)], None))
        measures.append(_Measure("rest", rest,
                                 [min(r, 1 if v == 0 else 0) for v, r in zip(numerator, rest, strict=True)], None))
    if distinct:
        values = [int(r["value"] or 0) for r in rows]
        measures.append(_Measure("persons", values, [min(v, 1) for v in values], _additive_part(rows, values),
                                 required=False))
    return measures


def _additive_part(rows: list[dict], values: list[int]) -> list[int]:
    """The rows of the largest part of the table where `values` add up along every line the network uses: all of
    them, else the total and the marginal dimensions whose categories add up to it."""
    if _network(rows, values, [0] * len(values)) is not None:
        return list(range(len(rows)))
    total = next((i for i, r in enumerate(rows) if not r["breakdown"]), None)
    if total is None:
        return []
    keep = [total]
    for parent, members in _lines(rows):
        if parent == total and len(rows[members[0]]["breakdown"]) == 1 \
                and values[total] == sum(values[i] for i in members):
            keep += members
    return sorted(keep)


def _safe(hidden: list[int], floors: list[int] | None = None) -> bool:
    """Whether suppressed cells of one line are safe, knowing their sum (the parent minus the shown cells).

    Each hidden cell has at least its floor (1 unit: a shown category is present), so with k hidden cells
    summing to S each one lies in [floor, floor + S - sum of floors]: it is recovered exactly when k == 1 or
    S is the sum of the floors ("all ones").
    """
    floors = [1] * len(hidden) if floors is None else floors
    return not hidden or (len(hidden) >= 2 and sum(hidden) > sum(floors))


# ---------------------------------------------------------------- one table

def suppression(rows: list[dict], threshold: int, distinct: bool = False, sensitive: bool = False,
                hidden: Set[tuple] = frozenset(), single: Set[str] = frozenset()) -> list[str | None]:
    """For rows of one indicator and period (total first), each row's flag: None, PRIMARY or SECONDARY.

    `distinct`: the value counts distinct persons among the units, so a cell of many units
    but few persons (2 persons with 3 participations each) is small too, and the published
    persons are audited where they add up. `sensitive`: a share of a sensitive attribute,
    never published as 0 % or 100 %. `hidden`: cells (`cell_key`) a linked table hides,
    hidden here from the start (`table_flags`). `single`: breakdowns the definition allows
    only one category of in this period (`structure`): a cell alone in them tells nothing.
    """
    flags: list[str | None] = [PRIMARY if _small(r, threshold, distinct) or (sensitive and all_or_none(r))
                               else None for r in rows]
    for i, r in enumerate(rows):
        if flags[i] is None and cell_key(r["breakdown"]) in hidden:
            flags[i] = SECONDARY
    holder = _holding_all(rows, single)
    if holder is not None:  # group disclosure: the whole table (see the docstring)
        flags[holder] = flags[holder] or PRIMARY
        return [f or SECONDARY for f in flags]
    totals = [i for i, r in enumerate(rows) if not r["breakdown"]]
    measures = _measures(rows, distinct)
    _local_rules(rows, flags, totals, measures)
    if not any(flags[i] for i in totals):
        _audit(rows, flags, totals, measures)
    if any(flags[i] for i in totals):  # a suppressed total suppresses the whole table
        return [f or SECONDARY for f in flags]
    return flags


def _local_rules(rows: list[dict], flags: list[str | None], totals: list[int], measures: list[_Measure]) -> None:
    """The first pass: the rules on one additive line at a time, to a fixpoint (or a hidden total). Units
    follow every line; the other numbers the lines they add up on."""
    lines = _lines(rows)

    def safe(parent: int, members: list[int]) -> bool:
        hidden = [i for i in members if flags[i]]
        return all(_safe([m.values[i] for i in hidden], [m.floors[i] for i in hidden])
                   for m in measures if m.name == "n" or m.adds_up(parent, members))

    changed = True
    while changed and not any(flags[i] for i in totals):
        changed = False
        for parent, members in lines:
            if parent is None:  # the cells' sum is not published: nothing to subtract from
                continue
            if flags[parent]:
                # a hidden parent would be recovered as the sum of its cells unless one of them is hidden too
                shown = [i for i in members if not flags[i]]
                if shown and len(shown) == len(members):
                    flags[min(shown, key=lambda i: (rows[i]["n"] or 0, i))] = SECONDARY
                    changed = True
                continue
            while not safe(parent, members):
                shown = [i for i in members if not flags[i]]
                changed = True
                if not shown:  # even all the cells together give themselves away: hide their sum as well
                    flags[parent] = SECONDARY
                    break
                flags[min(shown, key=lambda i: (rows[i]["n"] or 0, i))] = SECONDARY


def _audit(rows: list[dict], flags: list[str | None], totals: list[int], measures: list[_Measure]) -> None:
    """The exact pass: hide more rows until no hidden row is pinned to its value in any of the numbers (see the
    module docstring). Ends with a hidden total when nothing less will do, and when the table is not a network."""
    if not any(flags):
        return
    nets = []
    for m in measures:
        part = list(range(len(rows))) if m.rows is None else m.rows
        net = _network([rows[i] for i in part], [m.values[i] for i in part], [m.floors[i] for i in part])
        if net is None:
            if m.required:  # cannot be audited: hide it all
                flags[:] = [f or SECONDARY for f in flags]
                return
            continue
        net.renumber(part)
        nets.append(net)
    while not any(flags[i] for i in totals):
        for net in nets:
            fwd, bwd = _residual(net, flags)
            pinned = next((e for i, e in net.edge_of_row.items() if flags[i] and not _movable(net, fwd, bwd, e)),
                          None)
            if pinned is not None:
                break
        else:
            return
        more = _unpinning(net, rows, flags, fwd, bwd, pinned, totals)
        if more is None:  # no total, and everything is hidden already
            return
        flags[more] = SECONDARY


def _unpinning(net: _Network, rows: list[dict], flags: list[str | None], fwd: list[int], bwd: list[int],
               pinned: int, totals: list[int]) -> int | None:
    """The row to hide next for a pinned edge: the smallest shown row whose hiding lets it move; failing that
    the smallest shown row next to where it could move, then any; the total (None without one) only when
    every other row is hidden already."""
    tail, head = net.tail[pinned], net.head[pinned]
    # its value could rise along a residual path head ~> tail, and fall along tail ~> head
    ways = [(_reach(net, fwd, bwd, head, pinned, True), _reach(net, fwd, bwd, tail, pinned, False))]
    if bwd[pinned] > 0:
        ways.append((_reach(net, fwd, bwd, tail, pinned, True), _reach(net, fwd, bwd, head, pinned, False)))
    shown = sorted((i for i in net.edge_of_row if not flags[i] and i not in totals),
                   key=lambda i: (rows[i]["n"] or 0, i))
    for i in shown:
        e = net.edge_of_row[i]
        # hidden, it could rise (a -> b), and fall if above its floor
        a, b, back = net.tail[e], net.head[e], net.flow[e] > net.floor[e]
        if any((a in start and b in end) or (back and b in start and a in end) for start, end in ways):
            return i
    near = set().union(*(start | end for start, end in ways))
    for i in shown:
        e = net.edge_of_row[i]
        if net.tail[e] in near or net.head[e] in near:
            return i
    return shown[0] if shown else next(iter(totals), None)


class _Network:
    """A table as a circulation: edge e runs from node tail[e] to head[e] and carries flow[e] units, at least
    floor[e] when hidden; row[e] is the table's row it stands for (None: a category's unpublished sum, at least
    0). Nodes are 0..nodes - 1."""

    def __init__(self) -> None:
        self.tail: list[int] = []
        self.head: list[int] = []
        self.flow: list[int] = []
        self.floor: list[int] = []
        self.row: list[int | None] = []
        self.nodes = 0
        self.edge_of_row: dict[int, int] = {}             # by `finish`
        self.arcs: list[list[tuple[int, int, int]]] = []
        self.big = 0

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def edge(self, tail: int, head: int, row: int | None, flow: int, floor: int = 0) -> None:
        self.tail.append(tail)
        self.head.append(head)
        self.row.append(row)
        self.flow.append(flow)
        self.floor.append(floor if row is not None else 0)

    def renumber(self, part: list[int]) -> None:
        """Rows numbered within `part` of a table become the table's rows."""
        self.row = [None if r is None else part[r] for r in self.row]
        self.edge_of_row = {part[r]: e for r, e in self.edge_of_row.items()}

    def finish(self) -> None:
        """Index the edges: by row (in row order), and each node's arcs as (edge, other node, +1 out / -1 in)."""
        self.edge_of_row = dict(sorted((r, e) for e, r in enumerate(self.row) if r is not None))
        self.arcs = [[] for _ in range(self.nodes)]
        for e, (t, h) in enumerate(zip(self.tail, self.head, strict=True)):
            self.arcs[t].append((e, h, 1))
            self.arcs[h].append((e, t, -1))
        self.big = 2 * sum(self.flow) + 2   # more than every finite residual capacity together: unbounded


def _network(rows: list[dict], values: list[int] | None = None, floors: list[int] | None = None) -> _Network | None:
    """The table as a circulation of `values` (default: the units n), each hidden row at least its floor (default:
    1 in a present row), or None when it is not one (see the module docstring).

    Dimensions joined by crossed pairs form chains: a chain d1 – d2 – ... – dk runs from a
    junction node through d1's categories (an edge each, its marginal row), the cells of
    (d1, d2), d2's categories (a node pair each, joined by its marginal row) ... to the next
    junction; a lone dimension is its marginal rows side by side. The chains run in series
    and the total runs from the last junction back to the first, so every chain carries
    the total.
    """
    margins: dict[str, dict[object, int]] = {}
    crosses: dict[tuple[str, ...], list[int]] = {}
    totals = [i for i, r in enumerate(rows) if not r["breakdown"]]
    for i, r in enumerate(rows):
        shape = tuple(r["breakdown"])
        if len(shape) == 1:
            if r["breakdown"][shape[0]] in margins.setdefault(shape[0], {}):
                return None
            margins[shape[0]][r["breakdown"][shape[0]]] = i
        elif len(shape) == 2:  # one cross, whichever way round its row names the pair
            crosses.setdefault(shape[::-1] if shape[::-1] in crosses else shape, []).append(i)
    if len(totals) > 1 or any(len(r["breakdown"]) > 2 for r in rows):
        return None
    dims = list(dict.fromkeys([*margins, *(d for pair in crosses for d in pair)]))
    neighbours: dict[str, list[str]] = {d: [] for d in dims}
    for a, b in crosses:
        neighbours[a].append(b)
        neighbours[b].append(a)
    if any(len(v) > 2 for v in neighbours.values()):
        return None
    chains: list[list[str]] = []
    for d in dims:
        if len(neighbours[d]) < 2 and not any(d in chain for chain in chains):
            chains.append([d])
            while rest := [x for x in neighbours[chains[-1][-1]] if x not in chains[-1]]:
                chains[-1].append(rest[0])
    if sum(len(chain) for chain in chains) < len(dims):  # a cycle of crosses
        return None

    n = [r["n"] or 0 for r in rows] if values is None else values
    low = [min(v, 1) for v in n] if floors is None else floors
    net = _Network()
    junctions = [net.node() for _ in range(len(chains) + 1)]
    for chain, (start, end) in zip(chains, itertools.pairwise(junctions), strict=True):
        if len(chain) == 1:
            for i in margins[chain[0]].values():
                net.edge(start, end, i, n[i], low[i])
            continue
        ends: dict[tuple[str, object], tuple[int, int]] = {}   # (dimension, category): (in node, out node)
        pairs = [(a, b, crosses.get((a, b), crosses.get((b, a), []))) for a, b in itertools.pairwise(chain)]
        for k, d in enumerate(chain):
            cells = [i for a, b, members in pairs if d in (a, b) for i in members]
            categories = dict.fromkeys([*margins.get(d, {}), *(rows[i]["breakdown"][d] for i in cells)])
            for c in categories:
                tail = start if k == 0 else net.node()
                head = end if k == len(chain) - 1 else net.node()
                ends[(d, c)] = (tail, head)
                row = margins.get(d, {}).get(c)
                # unpublished: the units of its cells (in the pair before it; the first one's, in the first pair)
                net.edge(tail, head, row, n[row] if row is not None else
                         sum(n[i] for i in pairs[max(k - 1, 0)][2] if rows[i]["breakdown"][d] == c),
                         low[row] if row is not None else 0)
        for a, b, members in pairs:
            for i in members:
                net.edge(ends[(a, rows[i]["breakdown"][a])][1], ends[(b, rows[i]["breakdown"][b])][0], i, n[i],
                         low[i])
    net.edge(junctions[-1], junctions[0], totals[0] if totals else None,
             n[totals[0]] if totals else sum(net.flow[e] for e, t in enumerate(net.tail) if t == junctions[0]),
             low[totals[0]] if totals else 0)
    net.finish()
    balance = [0] * net.nodes
    for t, h, f in zip(net.tail, net.head, net.flow, strict=True):
        balance[t] -= f
        balance[h] += f
    return net if not any(balance) and min(net.flow, default=0) >= 0 else None


def _residual(net: _Network, flags: list[str | None]) -> tuple[list[int], list[int]]:
    """How much each edge's flow may rise (fwd) and fall (bwd): a shown row is fixed, a hidden one has at least
    its floor (one unit in a present row), an unpublished sum at least none; none has an upper bound."""
    fwd, bwd = [], []
    for row, flow, floor in zip(net.row, net.flow, net.floor, strict=True):
        shown = row is not None and not flags[row]
        fwd.append(0 if shown else net.big - flow)
        bwd.append(0 if shown else flow - min(flow, floor))
    return fwd, bwd


def _reach(net: _Network, fwd: list[int], bwd: list[int], node: int, skip: int, forward: bool) -> set[int]:
    """The nodes reachable from `node` in the residual network without edge `skip` (forward), or that reach it."""
    seen, todo = {node}, [node]
    while todo:
        u = todo.pop()
        for e, v, way in net.arcs[u]:
            # forward: u -> v along the edge (fwd) or against it (bwd); backward: v -> u, the other way round
            if e != skip and v not in seen and ((fwd if (way > 0) == forward else bwd)[e] > 0):
                seen.add(v)
                todo.append(v)
    return seen


def _push(net: _Network, fwd: list[int], bwd: list[int], source: int, sink: int, skip: int, limit: int) -> int:
    """How many units (up to `limit`) can flow from source to sink in the residual network without edge `skip`:
    Edmonds–Karp on copies of the residual capacities."""
    if source == sink:  # a loop: nothing holds it
        return limit
    fwd, bwd = fwd[:], bwd[:]
    pushed = 0
    while pushed < limit:
        parent: dict[int, tuple[int, int, int]] = {source: (-1, 0, -1)}
        queue = [source]
        for u in queue:  # breadth first: the queue grows while it is read
            for e, v, way in net.arcs[u]:
                if e != skip and v not in parent and (fwd if way > 0 else bwd)[e] > 0:
                    parent[v] = (e, way, u)
                    queue.append(v)
            if sink in parent:
                break
        if sink not in parent:
            break
        path, v = [], sink
        while v != source:
            e, way, v = parent[v]
            path.append((e, way))
        amount = min([limit - pushed] + [(fwd if way > 0 else bwd)[e] for e, way in path])
        for e, way in path:
            (fwd if way > 0 else bwd)[e] -= amount
            (bwd if way > 0 else fwd)[e] += amount
        pushed += amount
    return pushed


def _movable(net: _Network, fwd: list[int], bwd: list[int], e: int) -> bool:
    """Whether edge e's flow can change: rise along a residual path head ~> tail, or fall along tail ~> head."""
    return (_push(net, fwd, bwd, net.head[e], net.tail[e], e, 1) > 0
            or (bwd[e] > 0 and _push(net, fwd, bwd, net.tail[e], net.head[e], e, 1) > 0))


def intervals(rows: list[dict], flags: list[str | None], values: list[int] | None = None,
              floors: list[int] | None = None) -> dict[int, tuple[int, int | None]] | None:
    """For each hidden row, the least and the greatest n (or value of `values`, each hidden one at least its
    floor) it can have given the shown rows (None: no bound).

    Every value in between is possible too. None when the table is not a network (see the module docstring).
    """
    net = _network(rows, values, floors)
    if net is None:
        return None
    fwd, bwd = _residual(net, flags)
    finite = sum(net.flow)   # more than the finite residual capacities can carry together
    bounds: dict[int, tuple[int, int | None]] = {}
    for i, e in net.edge_of_row.items():
        if flags[i]:
            f = net.flow[e]
            rise = _push(net, fwd, bwd, net.head[e], net.tail[e], e, finite + 1)
            fall = _push(net, fwd, bwd, net.tail[e], net.head[e], e, bwd[e])
            bounds[i] = (f - fall, None if rise > finite else f + rise)
    return bounds


# ---------------------------------------------------------------- many tables: linked ones together

Key = tuple[str, str]  # (indicator id, period label)


def table_flags(tables: Mapping[Key, list[dict]], threshold: int, distinct: Set[str] = frozenset(),
                sensitive: Set[str] = frozenset(), linked: Mapping[str, Hashable] | None = None,
                structure: Mapping[str, Mapping[str, Mapping[object, str | None]]] | None = None
                ) -> dict[Key, list[str | None]]:
    """Each table's flags (as `suppression`), tables of one period whose indicators `linked` maps to the same
    population suppressed together: a cell hidden in one is hidden in every one that has it, until none hides
    a cell another shows (see the module docstring).

    `distinct`: ids of indicators whose value counts distinct persons; `sensitive`: ids of shares of a
    sensitive attribute; `linked`: indicator id -> its population's identity (`population_identity`), for
    those that have linked tables; `structure`: indicator id -> its `structure`."""
    linked, structure = linked or {}, structure or {}
    groups: dict[tuple, list[Key]] = {}
    for key in tables:
        indicator, period = key
        groups.setdefault((linked.get(indicator, ("alone", indicator)), period), []).append(key)
    flags: dict[Key, list[str | None]] = {}
    for members in groups.values():
        hidden: set[tuple] = set()
        while True:
            for key in members:
                single = {d for d, categories in structure.get(key[0], {}).items()
                          if len(possible(categories, key[1])) <= 1}
                flags[key] = suppression(tables[key], threshold, key[0] in distinct, key[0] in sensitive,
                                         hidden, single)
            now = {cell_key(r["breakdown"]) for key in members
                   for r, f in zip(tables[key], flags[key], strict=True) if f}
            if len(members) == 1 or now <= hidden:
                break
            hidden |= now
    return flags


def flag_rows(rows: list[dict], threshold: int, distinct: Set[str] = frozenset(), sensitive: Set[str] = frozenset(),
              linked: Mapping[str, Hashable] | None = None,
              structure: Mapping[str, Mapping[str, Mapping[object, str | None]]] | None = None) -> list[dict]:
    """The rows with a `disclosure` flag each, per (indicator, period) table; values are kept.

    `distinct`: ids of indicators whose value counts distinct persons; `sensitive`, `linked` and `structure`
    as in `table_flags` (`settings` gives them all for a catalogue's indicators)."""
    tables: dict[Key, list[int]] = {}
    for i, row in enumerate(rows):
        tables.setdefault((row["indicator"], row["period"]), []).append(i)
    flags = table_flags({key: [rows[i] for i in members] for key, members in tables.items()}, threshold,
                        distinct, sensitive, linked, structure)
    flagged = [dict(r) for r in rows]
    for key, members in tables.items():
        for i, flag in zip(members, flags[key], strict=True):
            flagged[i]["disclosure"] = flag
    return flagged


# ---------------------------------------------------------------- what the catalogue says about each indicator

def is_sensitive(bound: Any) -> bool:
    """A share of a sensitive attribute: `disclosure: {sensitive: ...}` when written, else whether its numerator
    reads a column or calculated column the model declares `sensitive: true`."""
    if bound.measure.kind != "share":
        return False
    written = bound.info.sensitive
    return bool(bound.measure.sensitive) if written is None else bool(written)


def population_identity(bound: Any) -> str:
    """What makes two indicators' populations the same units (16 hex digits): the entity, the placement in the
    period, the selection (one_per), the conditions, and the joins these use. The joins a measure or a
    breakdown adds (to-one LEFT JOINs and aggregated related rows) keep every unit, so they are left out."""
    from sqlglot import exp

    from .semantic import canonical
    selection = bound.selection
    trees = [bound.placement, *bound.where]
    if selection is not None:
        trees += [selection.partition, *selection.order, *selection.where]
    needed = {c.table for tree in trees if tree is not None for c in tree.find_all(exp.Column)}
    joins: list = []
    changed = True
    while changed:  # the joins the conditions use, and those these are joined on
        changed = False
        for join in bound.joins:
            if join.alias in needed and not any(join is j for j in joins):
                joins.append(join)
                uses = [getattr(join, name, None) for name in ("on", "link")] + list(getattr(join, "where", []))
                needed |= {c.table for tree in uses if tree is not None for c in tree.find_all(exp.Column)}
                needed |= {getattr(join, name) for name in ("left_alias", "root_alias", "anchor_alias")
                           if hasattr(join, name)}
                changed = True
    order = {id(j): k for k, j in enumerate(bound.joins)}
    joins.sort(key=lambda j: order[id(j)])
    text = json.dumps({"entity": bound.entity, "placement": canonical(bound.placement),
                       "selection": canonical(selection), "where": canonical(bound.where),
                       "joins": canonical(joins)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def settings(bounds: Iterable[Any]) -> dict[str, Any]:
    """The keyword arguments of `flag_rows` and `table_flags` for bound indicators (all of a catalogue's, or
    at least every one linked to those flagged): `distinct`, `sensitive`, `linked` and `structure`."""
    bounds = list(bounds)
    return {"distinct": frozenset(b.id for b in bounds if b.measure.kind == "count_distinct"),
            "sensitive": frozenset(b.id for b in bounds if is_sensitive(b)),
            "linked": {b.id: population_identity(b) for b in bounds},
            "structure": {b.id: structure(b) for b in bounds}}


def linked_indicators(bounds: Iterable[Any], ids: Iterable[str]) -> list[str]:
    """`ids` and, after them, every other indicator among `bounds` over the same population as one of them: the
    tables flagged together with theirs (`table_flags`)."""
    bounds = list(bounds)
    ids = list(dict.fromkeys(ids))
    identity = {b.id: population_identity(b) for b in bounds}
    wanted = {identity[i] for i in ids if i in identity}
    return ids + [b.id for b in bounds if identity[b.id] in wanted and b.id not in ids]
