"""Disclosure control: small cells are flagged, and no flagged cell can be recovered."""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.disclosure import PRIMARY, SECONDARY, flag_rows, suppression


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


@settings(max_examples=400, deadline=None)
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


# --- crossed breakdowns: kon × ersattning with both margins ---------------------------------------

def cross_table(cells: dict[tuple[str, str], int]) -> list[dict]:
    """Total, the kon and ersattning margins and the present cells of the cross (n = value)."""
    def row(breakdown, n):
        return {"indicator": "x", "period": "2018", "breakdown": breakdown, "value": n, "n": n}
    kon: dict[str, int] = {}
    ers: dict[str, int] = {}
    for (k, e), n in cells.items():
        kon[k] = kon.get(k, 0) + n
        ers[e] = ers.get(e, 0) + n
    return ([row({}, sum(cells.values()))] + [row({"kon": k}, n) for k, n in kon.items()]
            + [row({"ersattning": e}, n) for e, n in ers.items()]
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


@st.composite
def cross_tables(draw):
    cells = {}
    for k in ("K", "M"):
        for e in ("s", "a", "x")[: draw(st.integers(1, 3))]:
            if draw(st.booleans()) or not cells:
                cells[(k, e)] = draw(st.integers(1, 8))
    return cross_table(cells), draw(st.integers(1, 6))


@settings(max_examples=150, deadline=None)
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
    for i, values in cross_feasible(rows, flags).items():
        assert len(values) >= 2, f"{rows[i]['breakdown']} = {rows[i]['n']} is recoverable"
