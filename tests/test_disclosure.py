"""Disclosure control: small cells are flagged, and no flagged cell can be recovered."""
from __future__ import annotations

import itertools
import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.disclosure import PRIMARY, SECONDARY, flag_rows, intervals, suppression


def table(total: int, **dimensions: dict) -> list[dict]:
    rows = [{"indicator": "x", "period": "2018", "breakdown": {}, "value": total, "n": total}]
    for name, cells in dimensions.items():
        rows += [{"indicator": "x", "period": "2018", "breakdown": {name: c}, "value": n, "n": n}
                 for c, n in cells.items()]
    return rows


def feasible_values(rows, flags, cell_index):
    """What an attacker can say about a suppressed cell: every n it could have, given the total,
    the shown cells of its dimension and that each listed category has at least one unit."""
    dim = next(iter(rows[cell_index]["breakdown"]))
    members = [i for i, r in enumerate(rows) if r["breakdown"] and next(iter(r["breakdown"])) == dim]
    total = rows[0]["n"]
    hidden = [i for i in members if flags[i]]
    rest = total - sum(rows[i]["n"] for i in members if not flags[i])
    values = set()
    for combo in itertools.product(range(1, rest + 1), repeat=len(hidden)):
        if sum(combo) == rest:
            values.add(combo[hidden.index(cell_index)])
    return values


def test_small_cell_and_its_complement_are_suppressed():
    rows = table(40, kon={"K": 3, "M": 37})
    assert suppression(rows, 5) == [None, PRIMARY, SECONDARY]


def test_no_small_cell_nothing_suppressed():
    assert suppression(table(40, kon={"K": 5, "M": 35}), 5) == [None, None, None]


def test_secondary_picks_the_smallest_other_cell():
    rows = table(100, ersattning={"sjukpenning": 80, "aktivitetsersattning": 2, None: 18})
    assert suppression(rows, 5) == [None, None, PRIMARY, SECONDARY]


def test_two_small_cells_protect_each_other_unless_both_are_one():
    assert suppression(table(100, lan={"01": 3, "03": 4, "04": 93}), 5) == [None, PRIMARY, PRIMARY, None]
    # 1 + 1 hidden: each must be 1, so a third cell is hidden too
    assert suppression(table(100, lan={"01": 1, "03": 1, "04": 98}), 5) == [None, PRIMARY, PRIMARY, SECONDARY]


def test_small_total_hides_the_whole_table():
    assert suppression(table(4, kon={"K": 2, "M": 2}), 5) == [PRIMARY, PRIMARY, PRIMARY]


def test_empty_cells_are_not_suppressed():
    assert suppression(table(0), 5) == [None]


def test_dimensions_are_protected_independently():
    rows = table(50, kon={"K": 2, "M": 48}, ersattning={"sjukpenning": 30, "aktivitetsersattning": 20})
    assert suppression(rows, 5) == [None, PRIMARY, SECONDARY, None, None]


def test_flag_rows_keeps_values_and_flags_per_table():
    rows = table(40, kon={"K": 3, "M": 37}) + [dict(r, period="2017") for r in table(40, kon={"K": 20, "M": 20})]
    flagged = flag_rows(rows, 5)
    assert [r["disclosure"] for r in flagged] == [None, PRIMARY, SECONDARY, None, None, None]
    assert [r["value"] for r in flagged] == [r["value"] for r in rows]
    assert "disclosure" not in rows[0]  # the input is not changed


@st.composite
def tables(draw):
    dims = {}
    total = draw(st.integers(1, 40))
    for name in draw(st.lists(st.sampled_from(["kon", "ersattning", "lan"]), unique=True, max_size=3)):
        k = draw(st.integers(1, min(total, 5)))
        cuts = sorted(draw(st.lists(st.integers(1, total - 1), min_size=k - 1, max_size=k - 1, unique=True))) \
            if total > 1 else []
        parts = [b - a for a, b in zip([0] + cuts, cuts + [total], strict=True)]
        dims[name] = {f"c{i}": n for i, n in enumerate(parts)}
    return table(total, **dims), draw(st.integers(1, 8))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(tables())
def test_no_suppressed_cell_can_be_recovered(case):
    rows, threshold = case
    flags = suppression(rows, threshold)
    for i, row in enumerate(rows):
        if 0 < row["n"] < threshold:
            assert flags[i], "every small cell is suppressed"
    if flags[0]:
        assert all(flags), "a suppressed total hides the whole table"
        return
    for i, row in enumerate(rows):
        if row["breakdown"] and flags[i]:
            assert len(feasible_values(rows, flags, i)) >= 2, f"cell {row['breakdown']} is recoverable"


def test_a_share_with_few_in_the_numerator_or_outside_it_is_suppressed():
    def share_row(num, den, breakdown=None):
        return {"indicator": "x", "period": "2018", "breakdown": breakdown or {}, "value": num / den,
                "numerator": num, "denominator": den, "n": den}
    assert suppression([share_row(2, 30)], 5) == [PRIMARY]        # 7 % of 30 tells the 2
    assert suppression([share_row(28, 30)], 5) == [PRIMARY]       # and 93 % tells the 2 outside
    assert suppression([share_row(0, 30)], 5) == [None]
    assert suppression([share_row(15, 30)], 5) == [None]


def test_a_count_of_few_persons_is_small_however_many_units():
    rows = [{"indicator": "x", "period": "2018", "breakdown": {}, "value": 42, "numerator": None,
             "denominator": None, "n": 46},
            {"indicator": "x", "period": "2018", "breakdown": {"ersattning": "a"}, "value": 2, "numerator": None,
             "denominator": None, "n": 6},   # 2 persons with 3 participations each
            {"indicator": "x", "period": "2018", "breakdown": {"ersattning": "s"}, "value": 40, "numerator": None,
             "denominator": None, "n": 40}]
    assert suppression(rows, 5) == [None, None, None]
    assert suppression(rows, 5, distinct=True) == [None, PRIMARY, SECONDARY]
    assert [r["disclosure"] for r in flag_rows(rows, 5, {"x"})] == [None, PRIMARY, SECONDARY]


# --- crossed breakdowns: kon × ersattning, with or without the margins ----------------------------

def cross_table(cells: dict[tuple[str, str], int], margins=("kon", "ersattning")) -> list[dict]:
    """Total, the kon and ersattning margins (those in `margins`) and the present cells of the cross (n = value)."""
    def row(breakdown, n):
        return {"indicator": "x", "period": "2018", "breakdown": breakdown, "value": n, "n": n}
    kon: dict[str, int] = {}
    ers: dict[str, int] = {}
    for (k, e), n in cells.items():
        kon[k] = kon.get(k, 0) + n
        ers[e] = ers.get(e, 0) + n
    return ([row({}, sum(cells.values()))] + [row({"kon": k}, n) for k, n in kon.items() if "kon" in margins]
            + [row({"ersattning": e}, n) for e, n in ers.items() if "ersattning" in margins]
            + [row({"kon": k, "ersattning": e}, n) for (k, e), n in cells.items()])


def cross_feasible(rows, flags):
    """For each suppressed row, every n it could have. The cross cells (each ≥ 1) determine every other
    row, so search the values of the hidden cross cells (depth first, pruning on any shown row that is
    already exceeded) and keep those that reproduce every shown row."""
    cross = [i for i, r in enumerate(rows) if len(r["breakdown"]) == 2]
    hidden = [i for i in cross if flags[i]]
    total = rows[0]["n"]
    members = {i: [c for c in cross if all(rows[c]["breakdown"][k] == v for k, v in r["breakdown"].items())]
               for i, r in enumerate(rows)}
    shown = [i for i in range(len(rows)) if not flags[i]]
    possible: dict[int, set] = {i: set() for i, f in enumerate(flags) if f}
    n = {i: rows[i]["n"] for i in cross if not flags[i]}

    def search(k: int) -> None:
        for i in shown:
            assigned = [n[c] for c in members[i] if c in n]
            if sum(assigned) > rows[i]["n"] or (len(assigned) == len(members[i]) and sum(assigned) != rows[i]["n"]):
                return
        if k == len(hidden):
            for i in possible:
                possible[i].add(sum(n[c] for c in members[i]))
            return
        for value in range(1, total + 1):
            n[hidden[k]] = value
            search(k + 1)
        del n[hidden[k]]

    search(0)
    return possible


def recoverable(rows, flags):
    """The suppressed rows of a cross table (total shown) an attacker can tell: those no other table gives
    another n. Another table is the published one with its hidden cross cells changed (each stays ≥ 1; every
    row is the sum of its cells, so the change to the hidden cells of a shown row sums to 0); search such
    changes depth first, first by at most one unit a cell (quick), then, only when that finds none, by any."""
    cross = [i for i, r in enumerate(rows) if len(r["breakdown"]) == 2]
    hidden = [c for c in cross if flags[c]]
    cells = {i: [c for c in hidden if all(rows[c]["breakdown"][k] == v for k, v in r["breakdown"].items())]
             for i, r in enumerate(rows)}
    fixed = [cells[i] for i in range(len(rows)) if not flags[i] and cells[i]]

    def another(target: int, spread: int) -> bool:
        low = {c: max(1 - rows[c]["n"], -spread) for c in hidden}
        change: dict[int, int] = {}

        def search(k: int, sums: list[tuple[list[int], int]]) -> bool:
            for members, wanted in sums:  # can the cells left still make each sum?
                done = sum(change[c] for c in members if c in change)
                left = [c for c in members if c not in change]
                if not sum(low[c] for c in left) <= wanted - done <= spread * len(left):
                    return False
            if k == len(hidden):
                return True
            for d in sorted(range(low[hidden[k]], spread + 1), key=abs):
                change[hidden[k]] = d
                if search(k + 1, sums):
                    return True
            del change[hidden[k]]
            return False

        most = spread * len(cells[target])
        return any(search(0, [(m, 0) for m in fixed] + [(cells[target], d)])
                   for d in sorted(range(-most, most + 1), key=abs) if d)

    return [i for i, f in enumerate(flags) if f and not any(another(i, s) for s in (1, rows[0]["n"]))]


def test_a_small_cross_cell_hides_a_rectangle():
    rows = cross_table({("K", "s"): 2, ("K", "a"): 30, ("M", "s"): 20, ("M", "a"): 40})
    flags = suppression(rows, 5)
    shown = {tuple(rows[i]["breakdown"].values()) for i, f in enumerate(flags) if not f}
    assert flags[0] is None and ("K", "s") not in shown
    # K×s alone would be K minus K×a, and s minus M×s: its row and column partners go too, and M×a with them
    assert {("K", "a"), ("M", "s"), ("M", "a")}.isdisjoint(shown)
    assert all(len(v) >= 2 for v in cross_feasible(rows, flags).values())


def test_a_hidden_margin_is_not_the_sum_of_shown_cells():
    rows = cross_table({("K", "s"): 3})   # one cell: it equals its margins and the total
    flags = suppression(rows, 5)
    assert all(flags)


# Every line on its own is safe, yet the lines together give cells away: found by the property test below.
COMBINED_LINES = ({("K", "s"): 1, ("K", "a"): 1, ("M", "s"): 1, ("M", "a"): 2, ("M", "x"): 1}, 2)


def test_hidden_cells_are_safe_across_lines_not_only_along_each():
    rows = cross_table(COMBINED_LINES[0])
    row = {tuple(r["breakdown"].values()): i for i, r in enumerate(rows)}
    # what the rules on one line at a time leave shown: the total 6 and a = 3. The hidden cells outside column a
    # add up to 6 - 3 = 3, there are three of them and each is at least 1: all are 1, and s = K×s + M×s = 2
    local = [None if i in (row[()], row[("a",)]) else SECONDARY for i in range(len(rows))]
    assert intervals(rows, local)[row[("s",)]] == (2, 2) and intervals(rows, local)[row[("K", "s")]] == (1, 1)
    flags = suppression(rows, COMBINED_LINES[1])
    assert flags[row[()]] is None and flags[row[("a",)]] == SECONDARY   # so a is hidden too
    assert all(len(v) >= 2 for v in cross_feasible(rows, flags).values())
    assert all(lo < hi for lo, hi in intervals(rows, flags).values())


@st.composite
def cross_tables(draw):
    """Up to 3 kon × 4 ersattning, each cell present or not, 1..8 units; thresholds 1..6. Hypothesis draws
    the first of sampled_from and False most often: big tables and high thresholds first, as the small tables
    it would favour otherwise mostly hide nothing."""
    cells = {}
    kon, ers = ("K", "M", "X")[: draw(st.sampled_from([3, 2, 1]))], ("s", "a", "x", "y")
    for k in kon:
        for e in ers[: draw(st.sampled_from([4, 3, 2, 1]))]:
            if not draw(st.booleans()) or not cells:
                cells[(k, e)] = draw(st.integers(1, 8))
    # the catalogue crosses kon with ersättning without kon's own margins: sums that are not published
    margins = draw(st.sampled_from([("kon", "ersattning"), ("ersattning",), ("kon",), ()]))
    return cross_table(cells, margins), draw(st.sampled_from(range(6, 0, -1)))


@example((cross_table(COMBINED_LINES[0]), COMBINED_LINES[1]))
@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(cross_tables())
def test_no_suppressed_cell_of_a_cross_table_can_be_recovered(case):
    rows, threshold = case
    flags = suppression(rows, threshold)
    for i, row in enumerate(rows):
        if 0 < row["n"] < threshold:
            assert flags[i], "every small cell is suppressed"
    if flags[0]:
        assert all(flags), "a suppressed total hides the whole table"
        return
    assert not [rows[i]["breakdown"] for i in recoverable(rows, flags)], "recoverable"


# --- the audit's intervals against brute force ------------------------------------------------------

def brute_intervals(rows, flags, atoms, sums, equal):
    """Every n each hidden row can have, over all tables: `atoms` are the rows whose n (≥ 1) make up the others,
    `sums[i]` the atoms row i adds up, `equal` pairs of atom lists with the same sum (the same units, counted
    two ways). Depth first over the hidden atoms (1..total), pruning on shown rows already exceeded."""
    n = {a: rows[a]["n"] for a in atoms if not flags[a]}
    hidden = [a for a in atoms if flags[a]]
    shown = [i for i in range(len(rows)) if not flags[i]]
    possible: dict[int, set] = {i: set() for i, f in enumerate(flags) if f}

    def search(k: int) -> None:
        for i in shown:
            done = [n[a] for a in sums[i] if a in n]
            if sum(done) > rows[i]["n"] or (len(done) == len(sums[i]) and sum(done) != rows[i]["n"]):
                return
        if k == len(hidden):
            if all(sum(n[a] for a in one) == sum(n[a] for a in other) for one, other in equal):
                for i in possible:
                    possible[i].add(sum(n[a] for a in sums[i]))
            return
        for value in range(1, rows[0]["n"] + 1):
            n[hidden[k]] = value
            search(k + 1)
        del n[hidden[k]]

    search(0)
    return possible


def within(rows, i):
    """The rows whose categories include all of row i's."""
    return [j for j, r in enumerate(rows) if all(r["breakdown"].get(k, object()) == v
                                                 for k, v in rows[i]["breakdown"].items())]


@st.composite
def audited_tables(draw):
    """A kon × ersattning cross (margins optional) and perhaps a marginal lan; any rows but the total hidden."""
    cells = {}
    for k in ("K", "M"):
        for e in ("s", "a", "x")[: draw(st.integers(1, 3))]:
            if draw(st.booleans()) or not cells:
                cells[(k, e)] = draw(st.integers(1, 3))
    rows = cross_table(cells, draw(st.sampled_from([("kon", "ersattning"), ("ersattning",), ("kon",), ()])))
    total = rows[0]["n"]
    if draw(st.booleans()) and total > 1:
        cut = draw(st.integers(1, total - 1))
        rows += [dict(rows[0], breakdown={"lan": c}, value=v, n=v) for c, v in (("01", cut), ("03", total - cut))]
    return rows, [None] + [draw(st.sampled_from([SECONDARY, None])) for _ in rows[1:]]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(audited_tables())
def test_intervals_are_exactly_the_values_a_hidden_row_can_have(case):
    rows, flags = case
    cross = [i for i, r in enumerate(rows) if len(r["breakdown"]) == 2]
    lan = [i for i, r in enumerate(rows) if "lan" in r["breakdown"]]
    atoms = cross + lan
    sums = {i: [a for a in within(rows, i) if a in cross] for i in range(len(rows))}
    sums.update({i: [i] for i in lan})
    possible = brute_intervals(rows, flags, atoms, sums, [(lan, cross)] if lan else [])
    assert intervals(rows, flags) == {i: (min(v), max(v)) for i, v in possible.items()}
    assert all(len(v) == max(v) - min(v) + 1 for v in possible.values()), "no gaps"


def test_intervals_of_chained_crosses_without_kon_margins():
    """ersattning – kon – lan: two crosses through kon, whose sums are not published but are the same units."""
    def row(breakdown, units):
        n = sum(all(u[k] == v for k, v in breakdown.items()) for u in units)
        return {"indicator": "x", "period": "2018", "breakdown": breakdown, "value": n, "n": n}
    rng = random.Random(3)
    for _ in range(30):
        units = [{"kon": rng.choice("KM"), "ersattning": rng.choice("sa"), "lan": rng.choice(["01", "03"])}
                 for _ in range(rng.randint(2, 7))]
        rows = [row(b, units) for b in [{}] + [{"ersattning": e} for e in "sa"] + [{"lan": c} for c in ("01", "03")]
                + [{"kon": k, "ersattning": e} for k in "KM" for e in "sa"]
                + [{"kon": k, "lan": c} for k in "KM" for c in ("01", "03")]]
        rows = [r for r in rows if r["n"]]   # rows only for present categories
        flags = [None] + [rng.choice([None, SECONDARY]) for _ in rows[1:]]
        first = [i for i, r in enumerate(rows) if "ersattning" in r["breakdown"] and "kon" in r["breakdown"]]
        second = [i for i, r in enumerate(rows) if "lan" in r["breakdown"] and "kon" in r["breakdown"]]
        sums = {i: [a for a in within(rows, i) if a in (second if "lan" in r["breakdown"] else first)]
                for i, r in enumerate(rows)}
        kon = [([a for a in first if rows[a]["breakdown"]["kon"] == k],
                [a for a in second if rows[a]["breakdown"]["kon"] == k]) for k in "KM"]
        possible = brute_intervals(rows, flags, first + second, sums, [*kon, (first, second)])
        assert intervals(rows, flags) == {i: (min(v), max(v)) for i, v in possible.items()}


def test_a_table_that_is_no_network_is_hidden_whole_when_anything_is():
    def row(breakdown, n):
        return {"indicator": "x", "period": "2018", "breakdown": breakdown, "value": n, "n": n}
    rows = [row({}, 40), row({"kon": "K", "ersattning": "s", "lan": "01"}, 3),
            row({"kon": "M", "ersattning": "s", "lan": "01"}, 37)]
    assert intervals(rows, [None, SECONDARY, SECONDARY]) is None
    assert suppression(rows, 5) == [SECONDARY, PRIMARY, SECONDARY]
    assert suppression(rows, 2) == [None, None, None]
    # rows that do not add up: the attacker's model does not hold, nothing can be proved
    assert suppression(table(40, kon={"K": 3, "M": 30}), 5) == [SECONDARY, PRIMARY, SECONDARY]


def test_a_hidden_total_has_no_upper_bound():
    rows = table(40, kon={"K": 3, "M": 37})
    assert intervals(rows, [SECONDARY, SECONDARY, SECONDARY]) == {0: (2, None), 1: (1, None), 2: (1, None)}
