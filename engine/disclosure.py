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

The dimensions share only the total, so one pass per dimension is enough. `run` keeps the
values and flags the cells; reports show `..` for them.
"""
from __future__ import annotations

PRIMARY, SECONDARY = "primary", "secondary"


def _dimension(row: dict) -> str | None:
    return next(iter(row["breakdown"]), None)


def suppression(rows: list[dict], threshold: int, distinct: bool = False) -> list[str | None]:
    """For rows of one indicator and period (total first), each row's flag: None, PRIMARY or SECONDARY.

    `distinct`: the value counts distinct persons among the units, so a cell of many units
    but few persons (2 persons with 3 participations each) is small too.
    """
    flags: list[str | None] = [PRIMARY if _small(r, threshold) or (distinct and 0 < (r["value"] or 0) < threshold)
                               else None for r in rows]
    totals = [i for i, r in enumerate(rows) if not r["breakdown"]]
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row["breakdown"]:
            groups.setdefault(_dimension(row), []).append(i)
    whole_table = any(flags[i] for i in totals)
    for members in groups.values():
        if whole_table:
            break
        while not _safe([rows[i]["n"] or 0 for i in members if flags[i]]):
            shown = [i for i in members if not flags[i]]
            if not shown:  # even every cell of the dimension together gives itself away: hide the table
                whole_table = True
                break
            flags[min(shown, key=lambda i: (rows[i]["n"] or 0, i))] = SECONDARY
    if whole_table:
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


def flag_rows(rows: list[dict], threshold: int, distinct: set[str] = frozenset()) -> list[dict]:
    """The rows with a `disclosure` flag each, per (indicator, period) table; values are kept.

    `distinct`: ids of indicators whose value counts distinct persons."""
    tables: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        tables.setdefault((row["indicator"], row["period"]), []).append(i)
    flagged = [dict(r) for r in rows]
    for members in tables.values():
        indicator = rows[members[0]]["indicator"]
        for i, flag in zip(members, suppression([rows[i] for i in members], threshold, indicator in distinct)):
            flagged[i]["disclosure"] = flag
    return flagged
