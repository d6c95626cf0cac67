"""No side doors: the report's disclosure control, applied to every other output that is shared.

The report hides a cell (shows `..`) when engine.disclosure says so. `check` (its terminal
table, check.json and JUnit), its change alerts, `diff` and `run --apply-disclosure` are CI
artifacts, merge-request comments and files that travel: if they printed a hidden cell's
value, its numerator, its denominator or its n, the report's suppression would be for
nothing. So they all ask this module, which asks engine.disclosure (`table_flags`, with the
catalogue's threshold and `settings`: distinct counts, sensitive shares, linked tables), and
nothing else decides what is hidden. Tables over the same population are suppressed together
(engine.disclosure), so an output computes the tables linked to its own as well
(`linked_keys`) before it asks which of its cells are hidden.

What a hidden cell becomes in each output:

- a published figure resting on it (in any period it needs, `compare_to` included) gets the
  verdict "suppressed": neither holds nor fails, since "holds" for `rounds_to` 58 % pins the
  value to [57.5 %, 58.5 %); its computed value is not shown;
- a change alert needs both totals: where either is hidden the alert is not evaluated at all
  (whether it would fire would tell a range), and only the number of totals not evaluated
  is said, which the report's `..` already make public;
- a row of `diff` or `run --apply-disclosure`: `..` for its value, numerator, denominator
  and n; in JSON `null`, with `disclosure: "suppressed"` (which kind, primary or secondary,
  is not told: that would say whether n is below the threshold, as engine.report_formats
  explains).

Whether a cell is hidden depends only on its table and the tables linked to it, so the same
cell is hidden in the report, in check and in diff on the same data and catalogue.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import disclosure

Key = tuple[str, str]  # (indicator id, period label)
SUPPRESSED = ".."            # what a reader sees for a hidden value, as in the report
MASKED = "suppressed"        # the `disclosure` flag of a masked row (its kind is not told)
FIELDS = ("value", "numerator", "denominator", "n", "persons", "numerator_persons", "rest_persons")  # what a mask hides
VERDICT_SV = "visas inte (röjandekontroll)"


def not_shown(threshold: int) -> str:
    """Why a figure or a value is not shown: one sentence for every hidden cell, whatever the kind."""
    return (f"not shown for disclosure (it rests on a cell the report suppresses as too small for the threshold "
            f"{threshold}, or hidden to protect one)")


cell_key = disclosure.cell_key


def table_flags(catalogue, tables: Mapping[Key, list[dict] | None]) -> dict[Key, list[str | None]]:
    """Each row's flag (None, primary, secondary) in each (indicator, period) table computed by `catalogue`, as the
    report computes them: the tables linked to one another are flagged together (see `linked_keys`)."""
    present = {key: table for key, table in tables.items() if table}
    return disclosure.table_flags(present, catalogue.project.threshold,
                                  **disclosure.settings(catalogue.indicators.values()))


def linked_keys(catalogue, keys: Iterable[Key]) -> list[Key]:
    """The (indicator, period) tables not among `keys` that are suppressed together with theirs: to compute too."""
    keys = list(keys)
    identity = disclosure.settings(catalogue.indicators.values())["linked"]
    population: dict[object, list[str]] = {}
    for indicator, same in identity.items():
        population.setdefault(same, []).append(indicator)
    wanted = set(keys)
    extra: dict[Key, None] = {}
    for indicator, period in keys:
        for other in population.get(identity.get(indicator), [indicator]):
            if (other, period) not in wanted:
                extra[(other, period)] = None
    return list(extra)


@dataclass
class Shield:
    """Which computed cells are hidden, by (indicator, period) and breakdown.

    `applied=False` is a microdata run (`--show-suppressed`): nothing is hidden, and the
    output must say so.
    """
    threshold: int
    applied: bool = True
    hidden_cells: dict[Key, set[tuple]] = field(default_factory=dict)

    @classmethod
    def of(cls, catalogue, rows: Mapping[Key, list[dict] | None], applied: bool = True) -> Shield:
        """The hidden cells of every table in `rows` (computed by `catalogue`)."""
        shield = cls(catalogue.project.threshold, applied)
        if applied:
            for key, flags in table_flags(catalogue, rows).items():
                hidden = {cell_key(r["breakdown"]) for r, flag in zip(rows[key] or [], flags, strict=True) if flag}
                if hidden:
                    shield.hidden_cells[key] = hidden
        return shield

    def hidden(self, indicator: str, period: str, breakdown: dict) -> bool:
        return self.applied and cell_key(breakdown) in self.hidden_cells.get((indicator, period), ())

    def any_hidden(self, indicator: str, periods: Iterable[str], breakdown: dict) -> bool:
        """Whether the cell of `breakdown` is hidden in any of the periods (what a figure rests on)."""
        return any(self.hidden(indicator, p, breakdown) for p in periods)

    @property
    def note(self) -> str:
        return not_shown(self.threshold)


def mask(row: dict) -> dict:
    """A row with its value, numerator, denominator and n removed (None), flagged `disclosure: "suppressed"`."""
    return {**row, **dict.fromkeys(FIELDS), "disclosure": MASKED}


def masked(row: dict | None) -> bool:
    return row is not None and row.get("disclosure") == MASKED


def apply(rows: list[dict]) -> list[dict]:
    """Rows flagged by engine.disclosure.flag_rows, with every flagged one masked (`run --apply-disclosure`)."""
    return [mask(r) if r.get("disclosure") else r for r in rows]
