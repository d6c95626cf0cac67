"""Stage 7, present: the yearly report as plain data, built from computed rows.

`build_report` turns the rows `execute` returned (for the report year, the comparison
year and the trend years) into a `Report`: sections, indicators, lines and charts, with
disclosure control already applied, so a renderer (`report_formats`) only lays it out and
can never show a number that was not computed, nor a suppressed one.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """One figure as shown: the computed value (None if suppressed or not computable)."""
    value: float | int | None
    n: int | None
    text: str                       # Swedish formatting: "8 306", "58 %", "3,5"; ".." when suppressed; "–" when no value
    suppressed: str | None = None   # None, "primary" (fewer units than the threshold) or "secondary" (protects another cell)


@dataclass
class Line:
    """One row of an indicator's table: the total or one breakdown category."""
    label: str                      # "Totalt", "Kvinnor", "Män", "Sjukpenning", ...
    dimension: str | None           # None for the total, else the breakdown name ("kon", "ersattning", ...)
    category: str | None            # the stored value ("K", "sjukpenning"), None for the total
    current: Cell                   # the report period
    previous: Cell | None           # the comparison period (None when there is no comparison)


@dataclass
class Chart:
    """A grouped bar chart: one group per category, one bar per series in each group."""
    title: str
    unit: str                       # as ReportIndicator.unit, for the axis and labels
    categories: list[str]           # x-axis groups, e.g. ["2016", "2017", "2018"] or ["Kvinnor", "Män"]
    series: list[tuple[str, list[Cell]]]   # (legend label, one Cell per category)


@dataclass
class ReportIndicator:
    id: str
    version: int
    title: str                      # Swedish title
    unit: str                       # "count" | "share" | "days" | "years"
    unit_label: str                 # Swedish: "antal", "andel", "dagar", "år"
    period: str                     # label of the report period, e.g. "2018", "2018H2", "2018-12"
    compare_period: str | None
    lines: list[Line]
    charts: list[Chart] = field(default_factory=list)
    footnote: str = ""              # the definition in one sentence, and the version
    published: list[str] = field(default_factory=list)   # published wording with whether it holds, for the reader


@dataclass
class Section:
    key: str                        # "forstarkt_samarbete" | "samordningsforbund"
    title: str                      # Swedish section heading
    source: str                     # the återrapportering it reproduces
    indicators: list[ReportIndicator]


@dataclass
class Report:
    title: str
    year: str
    compare: str | None
    dataset: str                    # what data it was computed from
    catalogue_version: str          # git revision or content hash of the definitions
    generated: str                  # ISO date
    threshold: int                  # disclosure threshold (units)
    sections: list[Section]
    notes: list[str] = field(default_factory=list)   # method notes shown at the end (Swedish)
