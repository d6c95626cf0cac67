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
"""
from __future__ import annotations

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
    if any(flags[i] for i in totals):  # a suppressed total suppresses the whole table
        return [f or SECONDARY for f in flags]
    return flags


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
