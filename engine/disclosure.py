"""Disclosure control: which cells of an indicator's table may not be shown.

An indicator's rows for one period form a small table: the total, and for each breakdown
dimension one cell per category. Every unit of the population (a row of its entity: an
assessment, a participation...) falls in exactly one category of each dimension (a
missing value is a category of its own), so the units `n` of one dimension add up to the
total: K + M = total. (A count of distinct persons may add up to more; it is protected
through its units all the same.)

- Primary suppression: a cell built on fewer units than the threshold (but not none:
  an empty cell reveals nothing about anyone) is suppressed; so is a share whose
  numerator, or the rest of its denominator, is that small (2 of 30 = 7 % would tell
  the 2, which another table over the same units may hide).
- Secondary suppression: a dimension with exactly one suppressed cell would give it away
  as total minus the others, so its next smallest cell is suppressed too; so is the next
  one while the hidden cells could only be all ones (sum = number of cells). A suppressed
  total suppresses the whole table.

A crossed pair (kön × ersättning) adds more constraints: the cells of one kön add up to
that kön's marginal row, and so on. A hidden sum whose cells are all shown would be their
sum, so one of them is hidden too; a shown sum follows the rule above. The rules run to a
fixpoint (each step only hides cells, so it ends). `run` keeps the values and flags the
cells; reports show `..` for them.

These rules are local: each looks at one additive line at a time, and with a crossed pair
that is not enough, because an attacker combines lines. Total 6, kön K 2 and M 4,
ersättning s 2, a 3 and x 1, cells K×s 1, K×a 1, M×s 1, M×a 2, M×x 1 at threshold 2: the
rules leave the total and a = 3 shown, and every line on its own is safe; but the hidden
cells outside column a add up to 6 − 3 = 3, there are three of them and each is at least 1,
so all are 1 and s = 2 is out. So the local rules are only a first pass, followed by an
exact audit (`intervals`): for every hidden row, the values it can take given everything
shown (shown rows are fixed, every row present has at least one unit, the rows add up as
`_lines` says, and the units of one category are the same in every cross it is in, its
sums published or not). While some hidden row can take only its own value, one more row
is hidden: the smallest shown row whose hiding lets that row move (failing that, the
smallest next to where it could move; the total, and so the whole table, only when nothing
else is left), and the audit runs again. Safe means what it meant for one line: no hidden
row has a single possible value.

The audit is exact because such a table is a flow network. Its dimensions, joined by their
crossed pairs, form chains (kön alone; ersättning – kön; ersättning – kön – län), and a
chain is a layered network: from a junction through the categories of its first dimension
(an edge each: the marginal row), the cells of the first pair, the categories of the next
dimension (again an edge each) and so on to the next junction; the chains run one after
the other and the total runs from the last junction back to the first, so each carries
the total. The table is a circulation in it, with shown rows fixed and hidden ones at
least 1. A hidden row's value can rise by k exactly when k units can flow from its head
back to its tail in the residual network without it, and fall likewise the other way; the
network is totally unimodular, so integer tables reach every value in between, and one
breadth-first search tells whether a row can move at all. A table the network cannot
express (a dimension in three crosses, a cycle of crosses, three dimensions in one row,
rows that do not add up) cannot be audited: if anything in it is hidden, so is the whole
table. A kön × 20 cross table (63 rows) takes under a millisecond, both passes together.
"""
from __future__ import annotations

import itertools
from collections.abc import Set

PRIMARY, SECONDARY = "primary", "secondary"


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


def suppression(rows: list[dict], threshold: int, distinct: bool = False) -> list[str | None]:
    """For rows of one indicator and period (total first), each row's flag: None, PRIMARY or SECONDARY.

    `distinct`: the value counts distinct persons among the units, so a cell of many units
    but few persons (2 persons with 3 participations each) is small too.
    """
    flags: list[str | None] = [PRIMARY if _small(r, threshold) or (distinct and 0 < (r["value"] or 0) < threshold)
                               else None for r in rows]
    totals = [i for i, r in enumerate(rows) if not r["breakdown"]]
    _local_rules(rows, flags, totals)
    if not any(flags[i] for i in totals):
        _audit(rows, flags, totals)
    if any(flags[i] for i in totals):  # a suppressed total suppresses the whole table
        return [f or SECONDARY for f in flags]
    return flags


def _local_rules(rows: list[dict], flags: list[str | None], totals: list[int]) -> None:
    """The first pass: the rules on one additive line at a time, to a fixpoint (or a hidden total)."""
    lines = _lines(rows)
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
            while not _safe([rows[i]["n"] or 0 for i in members if flags[i]]):
                shown = [i for i in members if not flags[i]]
                changed = True
                if not shown:  # even all the cells together give themselves away: hide their sum as well
                    flags[parent] = SECONDARY
                    break
                flags[min(shown, key=lambda i: (rows[i]["n"] or 0, i))] = SECONDARY


def _audit(rows: list[dict], flags: list[str | None], totals: list[int]) -> None:
    """The exact pass: hide more rows until no hidden row is pinned to its value (see the module docstring).

    Ends with a hidden total when nothing less will do, and when the table is not a network."""
    if not any(flags):
        return
    net = _network(rows)
    if net is None:  # cannot be audited: hide it all
        flags[:] = [f or SECONDARY for f in flags]
        return
    while not any(flags[i] for i in totals):
        fwd, bwd = _residual(net, flags)
        pinned = next((e for i, e in net.edge_of_row.items() if flags[i] and not _movable(net, fwd, bwd, e)), None)
        if pinned is None:
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
        a, b, back = net.tail[e], net.head[e], net.flow[e] > 1   # hidden, it could rise (a -> b), and fall if > 1
        if any((a in start and b in end) or (back and b in start and a in end) for start, end in ways):
            return i
    near = set().union(*(start | end for start, end in ways))
    for i in shown:
        e = net.edge_of_row[i]
        if net.tail[e] in near or net.head[e] in near:
            return i
    return shown[0] if shown else next(iter(totals), None)


class _Network:
    """A table as a circulation: edge e runs from node tail[e] to head[e] and carries flow[e] units; row[e]
    is the table's row it stands for (None: a category's unpublished sum). Nodes are 0..nodes - 1."""

    def __init__(self) -> None:
        self.tail: list[int] = []
        self.head: list[int] = []
        self.flow: list[int] = []
        self.row: list[int | None] = []
        self.nodes = 0
        self.edge_of_row: dict[int, int] = {}             # by `finish`
        self.arcs: list[list[tuple[int, int, int]]] = []
        self.big = 0

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def edge(self, tail: int, head: int, row: int | None, flow: int) -> None:
        self.tail.append(tail)
        self.head.append(head)
        self.row.append(row)
        self.flow.append(flow)

    def finish(self) -> None:
        """Index the edges: by row (in row order), and each node's arcs as (edge, other node, +1 out / -1 in)."""
        self.edge_of_row = dict(sorted((r, e) for e, r in enumerate(self.row) if r is not None))
        self.arcs = [[] for _ in range(self.nodes)]
        for e, (t, h) in enumerate(zip(self.tail, self.head, strict=True)):
            self.arcs[t].append((e, h, 1))
            self.arcs[h].append((e, t, -1))
        self.big = 2 * sum(self.flow) + 2   # more than every finite residual capacity together: unbounded


def _network(rows: list[dict]) -> _Network | None:
    """The table as a circulation, or None when it is not one (see the module docstring).

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

    n = [r["n"] or 0 for r in rows]
    net = _Network()
    junctions = [net.node() for _ in range(len(chains) + 1)]
    for chain, (start, end) in zip(chains, itertools.pairwise(junctions), strict=True):
        if len(chain) == 1:
            for i in margins[chain[0]].values():
                net.edge(start, end, i, n[i])
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
                         sum(n[i] for i in pairs[max(k - 1, 0)][2] if rows[i]["breakdown"][d] == c))
        for a, b, members in pairs:
            for i in members:
                net.edge(ends[(a, rows[i]["breakdown"][a])][1], ends[(b, rows[i]["breakdown"][b])][0], i, n[i])
    net.edge(junctions[-1], junctions[0], totals[0] if totals else None,
             n[totals[0]] if totals else sum(net.flow[e] for e, t in enumerate(net.tail) if t == junctions[0]))
    net.finish()
    balance = [0] * net.nodes
    for t, h, f in zip(net.tail, net.head, net.flow, strict=True):
        balance[t] -= f
        balance[h] += f
    return net if not any(balance) and min(net.flow, default=0) >= 0 else None


def _residual(net: _Network, flags: list[str | None]) -> tuple[list[int], list[int]]:
    """How much each edge's flow may rise (fwd) and fall (bwd): a shown row is fixed, a hidden one has at least
    one unit (none if it has none), an unpublished sum at least none; none has an upper bound."""
    fwd, bwd = [], []
    for row, flow in zip(net.row, net.flow, strict=True):
        shown = row is not None and not flags[row]
        fwd.append(0 if shown else net.big - flow)
        bwd.append(0 if shown else flow - (0 if row is None else min(flow, 1)))
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


def intervals(rows: list[dict], flags: list[str | None]) -> dict[int, tuple[int, int | None]] | None:
    """For each hidden row, the least and the greatest n it can have given the shown rows (None: no bound).

    Every value in between is possible too. None when the table is not a network (see the module docstring).
    """
    net = _network(rows)
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


def _small(row: dict, threshold: int) -> bool:
    """Built on fewer units than the threshold; for a share, also when few units are (or are not) counted in
    the numerator: 2 of 30 is 7 %, and the 7 % would give the 2 away."""
    if 0 < (row["n"] or 0) < threshold:
        return True
    numerator, denominator = row.get("numerator"), row.get("denominator")
    if numerator is None or denominator is None:
        return False
    return 0 < numerator < threshold or 0 < denominator - numerator < threshold


def _safe(hidden: list[int]) -> bool:
    """Whether suppressed cells of one dimension are safe, knowing their sum (total minus the shown cells).

    Each shown category has at least one unit, so with k hidden cells summing to S each one
    lies in [1, S - k + 1]: it is recovered exactly when k == 1 or S == k (all ones).
    """
    return not hidden or (len(hidden) >= 2 and sum(hidden) > len(hidden))


def flag_rows(rows: list[dict], threshold: int, distinct: Set[str] = frozenset()) -> list[dict]:
    """The rows with a `disclosure` flag each, per (indicator, period) table; values are kept.

    `distinct`: ids of indicators whose value counts distinct persons."""
    tables: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        tables.setdefault((row["indicator"], row["period"]), []).append(i)
    flagged = [dict(r) for r in rows]
    for members in tables.values():
        indicator = rows[members[0]]["indicator"]
        flags = suppression([rows[i] for i in members], threshold, indicator in distinct)
        for i, flag in zip(members, flags, strict=True):
            flagged[i]["disclosure"] = flag
    return flagged
