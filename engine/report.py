"""Stage 7, present: the yearly report as plain data, built from computed rows.

`build_report` turns the rows `execute` returned (for the report year, the comparison
year and the trend years) into a `Report`: sections, indicators, lines and charts, with
disclosure control already applied, so a renderer (`report_formats`) only lays it out and
can never show a number that was not computed, nor a suppressed one.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from .catalogue import Catalogue
from .disclosure import SECONDARY, settings, structure, table_flags
from .periods import parse_period, swedish_label, swedish_part
from .present import format_number, round_half_up
from .provenance import Provenance

# The symbols of Swedish official tables (SCB's teckenförklaring; see the README):
ZERO = "\u2013"          # "–" noll: inget finns att redovisa (a count of none, a share of none)
NOT_APPLICABLE = "."     # uppgift kan inte förekomma: an empty group has no mean, median or share; the thing
                         # counted did not exist in the period (an indicator's applies_from)
SUPPRESSED = ".."        # uppgift redovisas inte (röjandekontroll); SCB: uppgift inte tillgänglig eller för osäker
# "0", "0 %" and "0,0" keep SCB's meaning by themselves: less than half of the unit shown, but not none


@dataclass(frozen=True)
class Cell:
    """One figure as shown: the computed value (None if suppressed or not computable)."""
    value: float | int | None       # the published value: rounded as shown (58 % is 0.58), exactly, half up
    n: int | None                   # units behind it, for programs; the published formats never show it
    text: str                       # Swedish formatting: "8 306", "58 %", "3,5"; ".." when suppressed;
                                    # "–" for zero, "." when there can be no value (empty group, not applicable)
    suppressed: str | None = None   # None, "primary" (fewer persons than the threshold, …)
                                    # or "secondary" (protects another cell)


@dataclass
class Line:
    """One row of an indicator's table: the total or one breakdown category."""
    label: str                      # "Totalt", "Kvinnor", "Män", "Sjukpenning", ...
    dimension: str | None           # None for the total, else the breakdown name ("kon", "kon × ersattning", ...)
    category: str | tuple | None    # the stored value ("K"; ("K", "sjukpenning") in a cross-table), None: total
    current: Cell                   # the report period
    previous: Cell | None           # the comparison period (None when there is no comparison)


@dataclass
class Chart:
    """A grouped bar chart: one group per category, one bar per series in each group."""
    title: str
    unit: str                       # as ReportIndicator.unit, for the axis and labels
    categories: list[str]           # x-axis groups, e.g. ["2016", "2017", "2018"] or ["Kvinnor", "Män"]
    series: list[tuple[str, list[Cell | None]]]   # (legend label, one Cell per category; None: no value)


@dataclass
class ReportIndicator:
    id: str
    version: int
    title: str                      # Swedish title
    unit: str                       # "count" | "share" | "days" | "years"
    unit_label: str                 # Swedish: "antal", "andel", "dagar", "år"
    period: str                     # the report period, e.g. "2018", "2018H2", "2018-12" (period_label: Swedish)
    compare_period: str | None
    lines: list[Line]
    charts: list[Chart] = field(default_factory=list)
    footnote: str = ""              # the definition in one sentence, and the version
    published: list[str] = field(default_factory=list)   # published wording with whether it holds, for the reader
    dimension_titles: dict[str, str] = field(default_factory=dict)  # breakdown name -> Swedish title, from the model
    notes: list[str] = field(default_factory=list)      # notes under the table: not applicable, the headline, per
                                                        # period (Swedish)
    headline: str | None = None     # the breakdown published instead of the total (its lines come first, in bold);
                                    # None: the total is the headline

    @property
    def period_label(self) -> str:
        """The report period in Swedish: "2018", "juli–december 2018", "december 2018"."""
        return swedish_label(self.period)

    @property
    def compare_label(self) -> str | None:
        return swedish_label(self.compare_period) if self.compare_period else None


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
    catalogue_version: str          # content hash of the definitions (engine.report.catalogue_version)
    generated: str                  # ISO date
    threshold: int                  # disclosure threshold (persons)
    sections: list[Section]
    notes: list[str] = field(default_factory=list)   # method notes shown at the end (Swedish)
    data_breaches: list = field(default_factory=list)  # consistency rules the data breaks (engine.datacheck.
                                                        # DataIssue), published anyway (--publish-despite-breaches)
    provenance: Provenance | None = None  # what it was computed from (engine.provenance): the method section

    def cells(self) -> list[Cell]:
        """Every table cell of the report (both periods), e.g. to count the suppressed ones."""
        return [c for s in self.sections for i in s.indicators for line in i.lines
                for c in (line.current, line.previous) if c is not None]


# ---------------------------------------------------------------- building a report from rows

UNIT_LABELS = {"count": "antal", "share": "andel", "days": "dagar", "years": "år", "ratio": "kvot"}


def report_period(bound, year: str) -> str:
    """The period label an indicator is reported for in a year: 2018, 2018H2, 2018Q4 or 2018-12."""
    part = bound.info.report_period
    if part == "year":
        return year
    return f"{year}{part}" if part[0] in "HQ" else f"{year}-{part}"


def trend_years(spec, year: str) -> list[str]:
    """The years of a report's trend chart, oldest first, ending with the report year."""
    return [str(int(year) - k) for k in reversed(range(spec.trend_years or 0))]


def report_runs(catalogue: Catalogue, year: str, compare: str | None) -> list[tuple[str, str]]:
    """Every (indicator, period) a report needs: the year, the comparison year and the trend years. (The tables
    over the same populations, which disclosure control suppresses together with these, are computed beside
    them: engine.shielded.linked_keys.)"""
    keys: dict[tuple[str, str], None] = {}
    for bound in report_indicators(catalogue):
        spec = catalogue.project.report(bound.info.report)
        for y in [year] + ([compare] if compare else []) + trend_years(spec, year):
            keys[(bound.id, report_period(bound, y))] = None
    return list(keys)


def report_indicators(catalogue: Catalogue) -> list:
    """Indicators that belong to a report: in the project's order of reports, each in its declared order."""
    order = {spec.key: i for i, spec in enumerate(catalogue.project.reports)}
    chosen = [b for b in catalogue.indicators.values() if b.info.report]

    def place(bound):
        listed = catalogue.project.report(bound.info.report).order
        return (order.get(bound.info.report, len(order)), bound.info.report,
                listed.index(bound.id) if bound.id in listed else len(listed), bound.id)
    return sorted(chosen, key=place)


PUBLISHED_DECIMALS = {"count": 0, "days": 0, "years": 1, "ratio": 1}  # shares: whole percent


def published_value(row: dict, unit: str) -> int | float | None:
    """The value as published: rounded half up, exactly (a share from its numerator and denominator).

    Reports carry only this rounded value, in every format: a share stored to full precision
    would give away its numerator and denominator (0.1749174917 is 53/303).
    """
    if row["value"] is None:
        return None
    if unit == "share":
        percent = Fraction(row["numerator"], row["denominator"]) * 100
        return int(percent + Fraction(1, 2)) / 100
    rounded = round_half_up(row["value"], PUBLISHED_DECIMALS[unit])
    return int(rounded) if PUBLISHED_DECIMALS[unit] == 0 else float(rounded)


def _key(breakdown: dict) -> tuple:
    """A cell's key: (None, None) for the total, (dimension, category) for a marginal row and
    ("a × b", (category of a, category of b)) for a cell of a cross-table."""
    if not breakdown:
        return (None, None)
    if len(breakdown) == 1:
        return next(iter(breakdown.items()))
    return (" × ".join(breakdown), tuple(breakdown.values()))


def _dimension_titles(catalogue: Catalogue, bound) -> dict[str, str]:
    """Swedish titles of the indicator's breakdowns from the model (columns and classifications);
    a cross-table is titled 'Kön och ersättning'."""
    def title(name: str) -> str | None:
        column = catalogue.model.find_column(name) if catalogue.model else None
        return column.title.get("sv") if column is not None and column.title else None
    titles = {b.name: t for b in bound.breakdowns if (t := title(b.name))}
    for a, b in bound.crosses:
        first, second = title(a.name) or a.name, title(b.name) or b.name
        titles[f"{a.name} × {b.name}"] = f"{first} och {second[:1].lower() + second[1:]}"
    return titles


def _cells(rows: list[dict], flags: list[str | None], unit: str) -> dict[tuple, Cell]:
    """Cells of one (indicator, period) table keyed by (dimension, category), disclosure applied."""
    cells = {}
    for row, flag in zip(rows, flags, strict=True):
        key = _key(row["breakdown"])
        if flag:
            cells[key] = Cell(None, None, SUPPRESSED, flag)
        else:
            value = published_value(row, unit)
            decimals = 0 if unit == "share" else PUBLISHED_DECIMALS[unit]
            cells[key] = Cell(value, row["n"], cell_text(row, value, unit, decimals))
    return cells


def cell_text(row: dict, value, unit: str, decimals: int) -> str:
    """A figure as a Swedish table shows it: "–" for exactly none (not for a value that rounds to 0, which
    shows "0": less than half the unit), "." when there can be no value, else the rounded number."""
    if value is None:
        return NOT_APPLICABLE
    exact = row["numerator"] if unit == "share" else row["value"]
    if exact == 0:
        return ZERO
    return format_number(value, unit, decimals)


def _label(catalogue: Catalogue, dimension: str, category) -> str:
    column = catalogue.model.find_column(dimension) if catalogue.model else None
    if category is None:
        return "Uppgift saknas"
    return (column.labels.get(category) if column and column.labels else None) or str(category)


def _order(catalogue: Catalogue, dimension: str, categories) -> list:
    column = catalogue.model.find_column(dimension) if catalogue.model else None
    known = list(column.values) if column and column.values else []
    return sorted(categories, key=lambda c: (c is None, known.index(c) if c in known else len(known), str(c)))


HIDDEN_CELL = Cell(None, None, SUPPRESSED, SECONDARY)


def _hidden_table(cells: dict | None) -> bool:
    """Whether a period's table is suppressed whole (its total is: engine.disclosure)."""
    total = (cells or {}).get((None, None))
    return total is not None and bool(total.suppressed)


def _declared(bound, breakdown) -> list:
    """The categories the definition allows for a breakdown (its column's values less those the population's
    conditions rule out: engine.disclosure.structure; else the model's labels), in order."""
    allowed = structure(bound).get(breakdown.name)
    if allowed is not None:
        return [c for c in allowed if c is not None]
    column = breakdown.column
    return list(column.values or column.labels or []) if column is not None else []


def _present(name: str, declared: list, now: dict, before: dict | None) -> set:
    """The categories (or pairs) of breakdown `name` a table lists: those present in a period's table, and, when
    a period's table is suppressed whole, every declared one instead of its own: which categories a hidden
    table has would tell which are empty (engine.disclosure, group disclosure)."""
    tables = [now] + ([before] if before is not None else [])
    present = {c for cells in tables if not _hidden_table(cells) for (d, c) in cells if d == name}
    if any(_hidden_table(cells) for cells in tables):
        present |= set(declared)
    return present


def _lines(catalogue: Catalogue, bound, now: dict, before: dict | None) -> list[Line]:
    # a category with no unit in one of the periods: a count of nothing is zero ("–"), a mean has no value (".");
    # in a table suppressed whole, suppressed like every other cell ("..")
    empty = Cell(0, 0, ZERO) if bound.info.unit == "count" else Cell(None, None, NOT_APPLICABLE)

    def absent(cells: dict) -> Cell:
        return HIDDEN_CELL if _hidden_table(cells) else empty

    lines = [Line("Totalt", None, None, now.get((None, None), absent(now)),
                  None if before is None else before.get((None, None), absent(before)))]
    for b in bound.breakdowns:
        present = _present(b.name, _declared(bound, b), now, before)
        for category in _order(catalogue, b.name, present):
            key = (b.name, category)
            lines.append(Line(_label(catalogue, b.name, category), b.name, category, now.get(key, absent(now)),
                              None if before is None else before.get(key, absent(before))))
    for a, b in bound.crosses:  # a cross-table: one line per present pair, in the declared order of both
        name = f"{a.name} × {b.name}"
        present = _present(name, [(x, y) for x in _declared(bound, a) for y in _declared(bound, b)], now, before)
        first = _order(catalogue, a.name, {c[0] for c in present})
        second = _order(catalogue, b.name, {c[1] for c in present})
        for category in sorted(present, key=lambda c: (first.index(c[0]), second.index(c[1]))):
            key = (name, category)
            label = f"{_label(catalogue, a.name, category[0])}, {_label(catalogue, b.name, category[1])}"
            lines.append(Line(label, name, category, now.get(key, absent(now)),
                              None if before is None else before.get(key, absent(before))))
    return lines


def split_dimension(bound, lines: list[Line]) -> str | None:
    """The breakdown a split chart shows: the one the published figures are about (the first named), else kön."""
    present = {line.dimension for line in lines if line.dimension}
    for figure in bound.info.published:
        if len(figure.breakdown) == 1 and next(iter(figure.breakdown)) in present:
            return next(iter(figure.breakdown))
    return "kon" if "kon" in present else None


def headline_dimension(bound, period: str, lines: list[Line]) -> str | None:
    """The breakdown published instead of the total for `period`: every figure published for it is on that one
    breakdown (kartläggning's day in the case was published for sjukpenning and aktivitetsersättning, never for
    both together). None when the total was published, or nothing was."""
    shapes = {tuple(f.breakdown) for f in bound.info.published if period in f.own_periods}
    if len(shapes) != 1:
        return None
    (shape,) = shapes
    present = {line.dimension for line in lines}
    return shape[0] if len(shape) == 1 and shape[0] in present else None


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _charts(catalogue: Catalogue, bound, spec, year: str, compare: str | None, lines: list[Line],
            tables: dict, not_applicable) -> list[Chart]:
    """The trend of the total (a section with trend_years), and the split the published text is about; titles
    name the indicator, the split and the periods, so no two charts of a report share a name."""
    unit, charts, title = bound.info.unit, [], bound.info.title["sv"]
    if spec.trend_years:
        years = trend_years(spec, year)
        labels = [report_period(bound, y) for y in years]
        cells = [NOT_APPLICABLE_CELL if not_applicable(label, (None, None))
                 else tables.get(label, {}).get((None, None), NOT_APPLICABLE_CELL) for label in labels]
        part = swedish_part(labels[-1])
        charts.append(Chart(f"{title}: utveckling {years[0]}–{years[-1]}{f', {part}' if part else ''}, totalt",
                            unit, years, [("Totalt", cells)]))
    split = split_dimension(bound, lines)
    chosen = [line for line in lines if line.dimension == split]
    if spec.kon_chart and chosen:
        series = []
        if compare:  # oldest first, as in the tables
            series.append((swedish_label(report_period(bound, compare)), [line.previous for line in chosen]))
        series.append((swedish_label(report_period(bound, year)), [line.current for line in chosen]))
        named = _dimension_titles(catalogue, bound).get(split or "") or split or ""
        periods = " och ".join(label for label, _ in series)
        charts.append(Chart(f"{title}: fördelning efter {_lower(named)}, {periods}", unit,
                            [line.label for line in chosen], series))
    return charts


NOT_APPLICABLE_CELL = Cell(None, None, NOT_APPLICABLE)


def not_applicable_rule(bound):
    """A test (period label, (dimension, category)) -> whether the cell cannot exist: the period ends before
    the indicator's `applies_from` (before its category's, for a rule with a breakdown)."""
    rules = [(dt.date.fromisoformat(r.date), next(iter(r.breakdown.items()), None)) for r in bound.info.applies_from]

    def test(label: str | None, key: tuple) -> bool:
        if label is None or not rules:
            return False
        last = parse_period(label).last
        dimension, category = key
        for first, only in rules:
            if last >= first:
                continue
            if only is None:
                return True
            if dimension is not None:
                categories = category if isinstance(category, tuple) else (category,)
                if any((d, c) == only for d, c in zip(dimension.split(" × "), categories, strict=False)):
                    return True
        return False
    return test


def _indicator_notes(catalogue: Catalogue, bound, shown: list[str], headline: str | None) -> list[str]:
    """The notes under an indicator's table (Swedish): why a period is not applicable, that a breakdown was
    published instead of the total, and the indicator's notes for the periods shown."""
    notes = []
    for rule in bound.info.applies_from:
        first = dt.date.fromisoformat(rule.date)
        before = [p for p in shown if parse_period(p).last < first]
        text = rule.note["sv"].strip()
        if before:
            which = " och ".join(dict.fromkeys(swedish_label(p) for p in before))
            what = "".join(f"{_lower(_label(catalogue, d, c))} " for d, c in rule.breakdown.items())
            text += (f" För {what}{which} kan uppgiften därför inte förekomma och visas med en punkt "
                     f"({NOT_APPLICABLE}).")
        if before or any(parse_period(p).first < first for p in shown):
            notes.append(text)
    if headline is not None:
        named = _lower(_dimension_titles(catalogue, bound).get(headline) or headline)
        notes.append(f"Återrapporteringen redovisar uppgiften efter {named} (i fetstil), inte för alla "
                     "tillsammans: totalen är inte publicerad.")
    notes += [f"{capitalised(swedish_label(n.period))}: {n.text['sv'].strip()}" for n in bound.info.notes
              if n.period in shown]
    return notes


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _footnote(bound) -> str:
    """The definition, its version and, when it was changed, the latest change (what and why)."""
    info = bound.info
    text = f"Definition: {info.description['sv']} Definitionens version {info.version} ({bound.id})."
    latest = [c for c in info.changes if c.version == info.version]
    if latest:
        c = latest[-1]
        text += f" Ändrad i version {c.version} ({c.date}): {c.what.rstrip('.')}. Skäl: {c.why.rstrip('.')}."
    return text


def _published_notes(catalogue: Catalogue, bound, checks, periods: set[str], hidden) -> list[str]:
    """What was published for the shown periods, and whether the computation reproduces it.

    The verdict pins the computed value to the published one, so it is left out when a
    cell the figure rests on is suppressed.
    """
    notes = []
    def start(f) -> dt.date:  # oldest first, as in the tables
        try:
            return parse_period(f.period.split("–")[0]).first
        except ValueError:
            return dt.date.max
    for f in sorted(checks or [], key=start):
        if f.indicator != bound.id or not (set(f.period.split("–")) & periods):
            continue
        where = "".join(f", {_label(catalogue, d, v).lower()}" for d, v in f.breakdown.items())
        period = swedish_label(f.period)
        if hidden(f):
            verdict = "redovisas inte av röjandeskäl"
        elif f.holds:
            verdict = "stämmer med beräkningen"
        elif f.reason.startswith("not computable"):
            verdict = "kunde inte beräknas"
        else:
            verdict = "stämmer inte med beräkningen"
        notes.append(f"Publicerat {period}{where}: ”{f.text}” ({f.published}) – {verdict}.")
    return notes


def breach_notes(breaches) -> list[str]:
    """The method section's statement that the data breaks the model (Swedish), one line per breached check.

    Only counts: example keys are pseudonymised ids and stay out of published output.
    """
    if not breaches:
        return []
    return ["Underlaget bryter mot datamodellens konsistensregler, och rapporten är ändå publicerad "
            "(--publish-despite-breaches). Uppgifterna är beräknade ur dessa data och kan därför vara "
            f"felaktiga. Brott ({len(breaches)} {'regel' if len(breaches) == 1 else 'regler'}): "
            + "; ".join(issue.summary_sv() for issue in breaches) + "."]


def build_report(catalogue: Catalogue, rows: dict[tuple[str, str], list[dict]], year: str, compare: str | None,
                 dataset: str, catalogue_version: str, generated: str, checks=None, breaches=None,
                 provenance: Provenance | None = None) -> Report:
    """The report of `year` (beside `compare`) from computed rows, with disclosure control applied.

    `breaches` (engine.datacheck.DataIssue) are consistency rules the data breaks, published
    anyway: the method section states them first.
    """
    threshold = catalogue.project.threshold
    # every table of `rows` (with those linked to the report's: engine.disclosure), flagged together
    flags = table_flags(rows, threshold, **settings(catalogue.indicators.values()))
    by_breakdown = {key: dict(zip((tuple(r["breakdown"].items()) for r in rows[key]), table_flags, strict=True))
                    for key, table_flags in flags.items()}

    def hidden(figure) -> bool:
        """Whether a row a published figure rests on is suppressed."""
        return any(by_breakdown.get((figure.indicator, p), {}).get(tuple(figure.breakdown.items()))
                   for p in figure.periods)

    sections: dict[str, Section] = {}
    for bound in report_indicators(catalogue):
        spec = catalogue.project.report(bound.info.report)
        unit = bound.info.unit
        tables = {label: _cells(r, flags[(ind, label)], unit) for (ind, label), r in rows.items() if ind == bound.id}
        now_label = report_period(bound, year)
        before_label = report_period(bound, compare) if compare else None
        lines = _lines(catalogue, bound, tables.get(now_label, {}),
                       tables.get(before_label, {}) if before_label is not None else None)
        not_applicable = not_applicable_rule(bound)
        lines = [dataclasses.replace(
            line, current=NOT_APPLICABLE_CELL if not_applicable(now_label, (line.dimension, line.category))
            else line.current,
            previous=NOT_APPLICABLE_CELL if line.previous is not None
            and not_applicable(before_label, (line.dimension, line.category)) else line.previous) for line in lines]
        headline = headline_dimension(bound, now_label, lines)
        if headline is not None:  # the total was never published: say so where it stands
            lines = [dataclasses.replace(line, label=f"{line.label} (inte publicerat)") if line.dimension is None
                     else line for line in lines]
        shown = [report_period(bound, y) for y in trend_years(spec, year)] + [p for p in (before_label, now_label)
                                                                               if p is not None]
        item = ReportIndicator(
            bound.id, bound.info.version, bound.info.title["sv"], unit, UNIT_LABELS[unit], now_label,
            before_label, lines, _charts(catalogue, bound, spec, year, compare, lines, tables, not_applicable),
            _footnote(bound),
            _published_notes(catalogue, bound, checks, {now_label} | ({before_label} if before_label else set()),
                             hidden),
            _dimension_titles(catalogue, bound), _indicator_notes(catalogue, bound, list(dict.fromkeys(shown)),
                                                                  headline), headline)
        if spec.key not in sections:
            sections[spec.key] = Section(spec.key, spec.title["sv"], catalogue.project.citation(spec.source), [])
        sections[spec.key].indicators.append(item)
    notes = [
        f"Uppgifter som bygger på färre än {threshold} personer redovisas inte utan visas med två punkter "
        f"({SUPPRESSED}); det gäller också antal händelser, som möten eller insatser: fem möten med en person är "
        "en person. För att en sådan uppgift inte ska kunna räknas fram ur totalen och övriga uppgifter i "
        "samma tabell, eller i en annan tabell över samma personer, döljs då även minst en annan uppgift där. "
        f"En andel döljs också när färre än {threshold} personer ingår, eller inte ingår, i täljaren, och en "
        "andel av en känslig uppgift (till exempel psykiatrisk diagnos) som skulle bli 0 eller 100 procent. "
        "En tabell där en grupp rymmer hela totalen (alla är kvinnor) redovisas inte alls: varje cell visas "
        f"med {SUPPRESSED}, även grupper utan någon enhet.",
        f"Tecknen följer SCB:s teckenförklaring: ett streck ({ZERO}) betyder noll, 0 att uppgiften är mindre än "
        f"hälften av enheten, en punkt ({NOT_APPLICABLE}) att uppgiften inte kan förekomma (en tom grupp har "
        "inget medelvärde, ingen median och ingen andel, eller det som räknas fanns inte under perioden) och "
        f"två punkter ({SUPPRESSED}) att uppgiften inte redovisas av röjandeskäl.",
        "Tabeller och diagram visar åren i tidsordning, det äldsta först.",
        "Andelar redovisas i hela procent, dagar i hela dagar, år och kvoter med en decimal. "
        + ("Redovisningsgrupperna redovisas var för sig och, där tabellen anger det, korsade (till exempel "
           "kön och ersättning); " if any(b.crosses for b in report_indicators(catalogue)) else
           "Redovisningsgrupperna redovisas var för sig (inte korsade); ")
        + "för antal personer kan grupperna summera till mer än totalen.",
        "Varje uppgift är beräknad av indikatormotorn ur definitionerna i indicators/ – ingen siffra är "
        "inskriven för hand.",
    ]
    stated = breach_notes(breaches)
    return Report(catalogue.project.title["sv"], year, compare, dataset, catalogue_version, generated, threshold,
                  list(sections.values()), stated + notes, list(breaches or []), provenance)


def catalogue_version(catalogue: Catalogue) -> str:
    """The catalogue hash of engine.provenance, shortened: the same definitions give the same version, and the
    report's colophon and its method section name the same hash."""
    from .provenance import catalogue_hash
    return catalogue_hash(catalogue)[: len("sha256:") + 12]
