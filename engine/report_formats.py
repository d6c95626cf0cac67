"""Stage 7, present: the yearly report (`report.Report`) as HTML, SVG charts, Markdown and XLSX.

Renderers only lay out. Every figure a reader sees is `Cell.text`, made once by the
builder from the computed rows with disclosure control already applied; `Cell.value` is
used only where a format needs the number itself (an XLSX numeric cell, the length of a
chart bar). A renderer that rounded, summed or re-formatted could show a figure that
differs from the one that was computed and checked, in one format but not another, or
rebuild a suppressed one. For the same reason a suppressed cell is always shown as
"..", and its n is never shown, whatever else the cell holds.

Nor does any output tell primary suppression (fewer units than the threshold) from
secondary (hidden to protect another cell): a reader who knew which kind a cell is would
know whether its n is below the threshold or not, and with the total that can give a
cell away. Every suppressed cell is rendered the same way, with one explanation, and
nothing here reads `Cell.suppressed` beyond whether it is set.

Nothing here reaches the network: the HTML is one file with inline CSS and inline SVG,
so it can be archived, mailed and opened offline exactly as it was produced.
"""
from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

import xlsxwriter

from .periods import swedish_part
from .present import format_number
from .provenance import HASH_LIMIT
from .report import NOT_APPLICABLE, SUPPRESSED, ZERO, Cell, Chart, Line, Report, ReportIndicator, Section

DIMENSION_TITLES = {"kon": "Kön", "ersattning": "Ersättning", "behovsgrupp": "Behovsgrupp",
                    "lan": "Län", "motestyp": "Mötestyp"}
UNIT_AXIS = {"count": "Antal", "share": "Andel", "days": "Dagar", "years": "År", "ratio": "Kvot"}
# Bar colours: each at least 3:1 against the white background (WCAG 2.1, 1.4.11 non-text contrast; tested),
# distinct in greyscale (lightness 24, 58, 54, 44, 45) and for colour-blind readers (blues, vermillion, purple,
# teal after Okabe-Ito). Two series (the comparison year and the report year) are light blue then navy, which
# also differ from each other by 3.4:1.
PALETTE = ["#1f3864", "#6a8cc0", "#d55e00", "#8a4f9e", "#00796b"]
SVG_NS = "http://www.w3.org/2000/svg"


# --- shared helpers -------------------------------------------------------------------

def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def dimension_title(name: str | None) -> str:
    """'Kön', 'Ersättning'; a cross-table 'kon × ersattning' reads 'Kön och ersättning'."""
    if not name:
        return ""
    parts = [DIMENSION_TITLES.get(part, part) for part in name.split(" × ")]
    return " och ".join([parts[0], *(p[:1].lower() + p[1:] for p in parts[1:])])


def shown(cell: Cell | None) -> str:
    """What a reader sees for a cell: ".." when suppressed, "." when there can be none, else its text."""
    if cell is None:
        return NOT_APPLICABLE
    if cell.suppressed:
        return SUPPRESSED
    return cell.text or NOT_APPLICABLE


def is_suppressed(cell: Cell | None) -> bool:
    return cell is not None and bool(cell.suppressed)


def suppression_note(threshold: int) -> str:
    """Why a cell shows "..": one sentence for every suppressed cell, whatever the kind."""
    return (f"Uppgiften redovisas inte av röjandeskäl: den bygger på färre än {threshold} personer, "
            "eller den skulle göra det möjligt att räkna fram en sådan uppgift.")


SUPPRESSED_SHORT = "redovisas inte av röjandeskäl"  # screen-reader text and the XLSX note column


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def group_lines(lines: list[Line], headline: str | None = None) -> list[tuple[str | None, list[Line]]]:
    """The headline first (the total, or the breakdown published instead of it), then the total, then one group
    per dimension, in the order they first appear."""
    groups: dict[str | None, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.dimension, []).append(line)
    ordered: list[tuple[str | None, list[Line]]] = []
    if headline is not None and headline in groups:
        ordered.append((headline, groups.pop(headline)))
    if None in groups:
        ordered.append((None, groups.pop(None)))
    return ordered + list(groups.items())


def is_headline(line: Line, indicator: ReportIndicator) -> bool:
    """Whether a line is printed in bold: the published figure (the total unless a breakdown was published)."""
    return line.dimension == indicator.headline if indicator.headline is not None else line.dimension is None


CellOf = Callable[[Line], "Cell | None"]


def periods(indicator: ReportIndicator) -> list[tuple[str, str, CellOf]]:
    """The table's columns, oldest first: (period code, Swedish label, the line's cell getter)."""
    out: list[tuple[str, str, CellOf]] = []
    if indicator.compare_period:
        out.append((indicator.compare_period, indicator.compare_label or "", lambda line: line.previous))
    out.append((indicator.period, indicator.period_label, lambda line: line.current))
    return out


def line_cells(line: Line, indicator: ReportIndicator) -> list[Cell | None]:
    """A line's cells in the order of the columns (oldest first)."""
    return [line.previous, line.current] if indicator.compare_period else [line.current]


def has_symbol(indicator: ReportIndicator, symbol: str) -> bool:
    return any(shown(c) == symbol for line in indicator.lines for c in line_cells(line, indicator))


def has_suppressed(indicator: ReportIndicator) -> bool:
    """Whether any cell of an indicator's table is suppressed."""
    return any(is_suppressed(c) for line in indicator.lines for c in (line.current, line.previous))


def intro_text(report: Report) -> str:
    parts = [f"Rapportår {report.year}" + (f", jämförelseår {report.compare}" if report.compare else "") + ".",
             f"Underlag: {report.dataset}.",
             f"Indikatorkatalogens version: {report.catalogue_version}.",
             f"Framtagen {report.generated}."]
    if report.data_breaches:
        parts.append("Observera: underlaget bryter mot datamodellens konsistensregler, så uppgifterna kan vara "
                     "felaktiga (se Metod och teckenförklaring).")
    return " ".join(parts)


def legend_entries(threshold: int) -> list[tuple[str, str]]:
    """The symbols of the report's tables, as in SCB's teckenförklaring (see the README)."""
    return [(ZERO, "Noll: inget finns att redovisa."),
            ("0", "Mindre än hälften av den använda enheten, men inte noll (0 % för en andel under en halv procent)."),
            (NOT_APPLICABLE, "Uppgift kan inte förekomma: en tom grupp har inget medelvärde, ingen median och ingen "
                             "andel, eller det som räknas fanns inte under perioden (se anmärkningen under tabellen)."),
            (SUPPRESSED, suppression_note(threshold))]


NOT_APPLICABLE_NOTE = "Uppgift kan inte förekomma."


def period_list(indicator: ReportIndicator) -> str:
    """The periods shown, oldest first, in Swedish: "2017 och 2018", "juli–december 2017 och juli–december 2018"."""
    return " och ".join(label for _, label, _ in periods(indicator))


def table_caption(indicator: ReportIndicator) -> str:
    """Unique in the report: the indicator's title, its unit and periods."""
    return f"{indicator.title}: {indicator.unit_label}, {period_list(indicator)}"


PROVENANCE_TITLE = "Om beräkningen"


def _bytes(size: int | None) -> str:
    if size is None:
        return "okänd storlek"
    return f"{format_number(size)} byte" + (f" ({format_number(size / 2**20, 'count', 1)} MiB)" if size >= 2**20
                                            else "")


def _public(text: str) -> str:
    """A path or a command line with every path cut to its last part: a published report names the files it
    was computed from, not the folders of the office that made it (check.json and run JSON keep full paths)."""
    return " ".join(PurePath(token).name if "/" in token or "\\" in token else token for token in str(text).split(" "))


def provenance_facts(report: Report) -> list[tuple[str, str]]:
    """What the report was computed from, in Swedish (engine.provenance): engine, commit, catalogue, dataset,
    data checks, disclosure control, command and time; empty when the report carries no provenance.

    Paths are shown by their file names only (`_public`)."""
    p = report.provenance
    if p is None:
        return []
    engine, catalogue, data = p.engine, p.catalogue, p.dataset or {}
    commit = engine.get("git_commit") or "saknas (katalogen ligger inte i ett git-arkiv)"
    if engine.get("git_dirty"):
        commit += " (katalogen har ändringar som inte är incheckade)"
    if data.get("sha256"):
        digest = f"SHA-256 {data['sha256']}"
    elif (data.get("size_bytes") or 0) > HASH_LIMIT:
        digest = (f"ingen kontrollsumma: större än {HASH_LIMIT // 2**20} MiB, tabellernas antal rader "
                  "identifierar den")
    else:
        digest = "ingen kontrollsumma: filen kunde inte läsas"
    dataset = ", ".join([_public(data.get("path", report.dataset)), _bytes(data.get("size_bytes")),
                         f"ändrad {data.get('modified') or 'okänt när'}", digest])
    tables = "; ".join(f"{name} {format_number(t['rows'])}" for name, t in (data.get("tables") or {}).items())
    checks = p.data_checks
    if not checks.get("run"):
        checked = "inte körda"
    else:
        checked = f"{checks['checks']} kontroller av datamodellens konsistensregler, {checks['breached']} brutna"
    disclosure = p.disclosure
    shielded = (f"tillämpad, gräns {disclosure['threshold']} personer" if disclosure.get("applied")
                else f"inte tillämpad (gräns {disclosure['threshold']} personer)")
    facts = [("Motorversion", f"{engine['name']} {engine['version']}"), ("Git-commit", commit),
             ("Katalogens kontrollsumma", f"{catalogue['hash']} ({_public(catalogue['path'])})"),
             ("Datamängd", dataset)]
    if tables:
        facts.append(("Tabeller (antal rader)", tables))
    facts += [("Datakontroller", checked), ("Röjandekontroll", shielded),
              ("Kommando", _public(p.command) if p.command else "– (inte från kommandoraden)"),
              ("Skapad", p.generated_at)]
    return facts


def definition_rows(report: Report) -> list[tuple[str, str, str]]:
    """(indicator id, version, semantic hash) of every definition in the report, in the report's order."""
    known = report.provenance.catalogue.get("indicators", {}) if report.provenance is not None else {}
    rows = []
    for section in report.sections:
        for indicator in section.indicators:
            entry = known.get(indicator.id, {})
            rows.append((indicator.id, str(entry.get("version", indicator.version)),
                         str(entry.get("semantic_hash", "–"))))
    return rows


# --- SVG chart ------------------------------------------------------------------------

CHART_WIDTH = 340   # the narrowest a chart is drawn, in viewBox units: a phone 390 px wide shows it at about 1:1
PLOT_HEIGHT = 150
FONT = 13           # every text of a chart, in viewBox units: about 13 px on a phone, never scaled below 12 px
CHAR_WIDTH = 0.6    # average glyph width per font size unit, for layout only
MIN_BAR = FONT + 5  # the narrowest bar: it carries its value label turned upright
RIGHT = 12.0


def _num(x: float) -> str:
    """A coordinate, written the same way every time."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR_WIDTH


def _decimals(step: float) -> int:
    for d in range(7):
        scaled = step * 10 ** d
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, scaled):
            return d
    return 6


def axis_ticks(top_value: float, unit: str) -> list[float]:
    """0 and 3 to 5 evenly spaced "round" ticks covering top_value."""
    whole = unit in ("count", "days")
    top_value = max(top_value, 1.0 if whole else 0.0)
    if top_value <= 0:
        top_value = 1.0 if unit != "share" else 0.1
    magnitude = 10 ** math.floor(math.log10(top_value / 4))
    step = magnitude
    for factor in (1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        step = factor * magnitude
        if whole and not float(step).is_integer():
            continue
        if math.ceil(top_value / step - 1e-9) <= 5:
            break
    count = max(3, math.ceil(top_value / step - 1e-9))
    return [round(i * step, 12) for i in range(count + 1)]


def tick_label(value: float, unit: str, step: float) -> str:
    scaled = step * 100 if unit == "share" else step
    return format_number(value, "share" if unit == "share" else "count", _decimals(scaled))


def series_colours(count: int) -> list[str]:
    """One colour per series: navy for one; light blue then navy for two (the older period lighter)."""
    if count == 2:
        return [PALETTE[1], PALETTE[0]]
    return [PALETTE[i % len(PALETTE)] for i in range(count)]


def _bar_values(chart: Chart) -> list[float]:
    return [v for _, cells in chart.series for c in cells if (v := _bar_value(c)) is not None]


def _legend(chart: Chart, top: float, width: float) -> tuple[list[str], float]:
    """Legend items laid out left to right, wrapping; returns the elements and their height."""
    if len(chart.series) <= 1:
        return [], 0.0
    colours = series_colours(len(chart.series))
    step = FONT + 8
    parts, x, y = ['<g class="legend">'], 0.0, top
    for i, (label, _) in enumerate(chart.series):
        item = FONT + 6 + _text_width(label) + 16
        if x > 0 and x + item > width - 8:
            x, y = 0.0, y + step
        parts.append(f'<rect x="{_num(8 + x)}" y="{_num(y)}" width="{FONT}" height="{FONT}" fill="{colours[i]}" '
                     f'stroke="#333" stroke-width="0.5"/>')
        parts.append(f'<text x="{_num(8 + x + FONT + 6)}" y="{_num(y + FONT * 0.85)}">{html.escape(label)}</text>')
        x += item
    parts.append("</g>")
    return parts, y + step - top


@dataclass(frozen=True)
class ChartLayout:
    """Where things go in a chart, worked out once from the chart's labels."""
    width: float            # of the whole image (CHART_WIDTH, wider when many bars need room)
    left: float             # x of the y axis
    plot_top: float         # y of the top gridline
    baseline: float         # y of the zero line
    height: float           # of the whole image
    group_width: float      # room per category
    bar_width: float
    value_rotated: bool     # value labels run upwards when they do not fit across a bar
    slanted: bool           # category labels slanted when they do not fit under their group


def chart_width(chart: Chart, tick_labels: list[str]) -> float:
    """CHART_WIDTH, or wider when the bars need it: every bar at least MIN_BAR wide."""
    left = max(44.0, 14 + max(_text_width(t) for t in tick_labels))
    bars = max(1, len(chart.categories)) * max(1, len(chart.series))
    return float(max(CHART_WIDTH, math.ceil(left + RIGHT + bars * MIN_BAR / 0.72)))


def chart_layout(chart: Chart, tick_labels: list[str], legend_height: float, width: float) -> ChartLayout:
    categories, series = max(1, len(chart.categories)), max(1, len(chart.series))
    left = max(44.0, 14 + max(_text_width(t) for t in tick_labels))
    longest = max((_text_width(c) for c in chart.categories), default=0.0)
    group_width = (width - left - RIGHT) / categories
    slanted = longest > group_width - 4
    for _ in range(2):  # a slanted first label must not run off the left edge
        if slanted:
            left = max(left, longest * math.cos(math.radians(35)) - group_width / 2 + 6)
            group_width = (width - left - RIGHT) / categories
    bottom = min(150.0, FONT + 12 + longest * math.sin(math.radians(35))) if slanted else FONT + 12
    bar = min(group_width * 0.72, series * 64) / series
    widest = max((_text_width(shown(c)) for _, cells in chart.series for c in cells), default=0.0)
    rotated = widest > bar + 4
    headroom = widest if rotated else 0.0
    plot_top = 8 + legend_height + FONT + 14 + headroom
    baseline = plot_top + PLOT_HEIGHT
    return ChartLayout(width, left, plot_top, baseline, baseline + bottom + 4, group_width, bar, rotated, slanted)


def _spoken(text: str) -> str:
    return {SUPPRESSED: "uppgift " + SUPPRESSED_SHORT, NOT_APPLICABLE: "uppgift kan inte förekomma",
            ZERO: "noll"}.get(text, text)


def _summary(chart: Chart) -> str:
    """The chart's figures as text, for screen readers."""
    groups = []
    for i, category in enumerate(chart.categories):
        values = [_spoken(shown(cells[i] if i < len(cells) else None)) for _, cells in chart.series]
        if len(chart.series) > 1:
            values = [f"{label} {value}" for (label, _), value in zip(chart.series, values, strict=True)]
        groups.append(f"{category}: {', '.join(values)}")
    return "; ".join(groups)


def svg_chart(chart: Chart) -> str:
    """A grouped bar chart: one group per category, one bar per series; no script.

    Drawn for a phone: CHART_WIDTH wide with FONT-sized text, so that shown at the width of a phone the text
    stays readable (the HTML shows it no wider than about 1.3 times that on a wide screen). A chart whose bars
    need more room is drawn wider (class "wide") and scrolls sideways inside its figure. The title is the
    figure's caption in the HTML; here it is the accessible name (aria-label and <title>)."""
    ticks = axis_ticks(max(_bar_values(chart), default=0.0), chart.unit)
    labels = [tick_label(t, chart.unit, ticks[1] - ticks[0]) for t in ticks]
    width = chart_width(chart, labels)
    legend, legend_height = _legend(chart, 8.0, width)
    layout = chart_layout(chart, labels, legend_height, width)
    scale = PLOT_HEIGHT / ticks[-1]
    title = html.escape(chart.title)
    css = "chart wide" if width > CHART_WIDTH else "chart"
    out = [f'<svg xmlns="{SVG_NS}" role="img" aria-label="{title}" class="{css}" '
           f'width="{_num(width)}" height="{_num(layout.height)}" '
           f'viewBox="0 0 {_num(width)} {_num(layout.height)}" '
           f'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, Arial, sans-serif" font-size="{FONT}">',
           f"<title>{title}</title>",
           f"<desc>{html.escape(_summary(chart))}</desc>",
           *legend]
    if _bar_values(chart):
        out.append(f'<text x="{_num(layout.left - 6)}" y="{_num(layout.plot_top - FONT)}" text-anchor="end" '
                   f'fill="#444">{html.escape(UNIT_AXIS.get(chart.unit, ""))}</text>')
        out += _grid(ticks, labels, layout, scale)
    else:  # nothing to measure: no scale, only the zero line and a word on why
        out += _empty_plot(layout)
    out += _bars(chart, layout, scale)
    out += _category_labels(chart, layout)
    out.append("</svg>")
    return "\n".join(out)


def _grid(ticks: list[float], labels: list[str], layout: ChartLayout, scale: float) -> list[str]:
    out = ['<g class="grid">']
    for tick, label in zip(ticks, labels, strict=True):
        y = layout.baseline - tick * scale
        colour = "#333" if tick == 0 else "#d9d9d9"
        out.append(f'<line x1="{_num(layout.left)}" x2="{_num(layout.width - RIGHT)}" y1="{_num(y)}" '
                   f'y2="{_num(y)}" stroke="{colour}" stroke-width="1"/>')
        out.append(f'<text x="{_num(layout.left - 6)}" y="{_num(y)}" dy="0.32em" text-anchor="end" fill="#333">'
                   f"{html.escape(label)}</text>")
    out.append("</g>")
    return out


def _empty_plot(layout: ChartLayout) -> list[str]:
    middle = layout.left + (layout.width - RIGHT - layout.left) / 2
    return [f'<line x1="{_num(layout.left)}" x2="{_num(layout.width - RIGHT)}" y1="{_num(layout.baseline)}" '
            f'y2="{_num(layout.baseline)}" stroke="#333" stroke-width="1"/>',
            f'<text x="{_num(middle)}" y="{_num(layout.plot_top + PLOT_HEIGHT / 2 - FONT)}" text-anchor="middle" '
            f'fill="#444">Inga uppgifter att visa:</text>',
            f'<text x="{_num(middle)}" y="{_num(layout.plot_top + PLOT_HEIGHT / 2 + 6)}" text-anchor="middle" '
            f'fill="#444">de är skyddade eller saknas.</text>']


def _bar_value(cell: Cell | None) -> float | None:
    """The value of the cell's bar; None when it gets none: suppressed, or no finite value."""
    if cell is None or cell.suppressed or cell.value is None or not _finite(cell.value):
        return None
    return float(cell.value)


def _value_label(text: str, x: float, y: float, layout: ChartLayout) -> str:
    if layout.value_rotated:
        x += FONT * 0.35
        return (f'<text x="{_num(x)}" y="{_num(y)}" fill="#1a1a1a" '
                f'transform="rotate(-90 {_num(x)} {_num(y)})">{text}</text>')
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="middle" fill="#1a1a1a">{text}</text>'


def _bars(chart: Chart, layout: ChartLayout, scale: float) -> list[str]:
    bar, series = layout.bar_width, max(1, len(chart.series))
    colours = series_colours(series)
    out = ['<g class="bars">']
    for i in range(len(chart.categories)):
        start = layout.left + i * layout.group_width + (layout.group_width - bar * series) / 2
        for j, (_, cells) in enumerate(chart.series):
            cell = cells[i] if i < len(cells) else None
            centre, text = start + j * bar + bar / 2, shown(cell)
            value = _bar_value(cell)
            if value is not None:
                length = max(0.0, value) * scale
                top = layout.baseline - length
                out.append(f'<rect x="{_num(start + j * bar + 1)}" y="{_num(top)}" '
                           f'width="{_num(max(1.0, bar - 2))}" height="{_num(length)}" '
                           f'fill="{colours[j]}" stroke="#333" stroke-width="0.5"/>')
                out.append(_value_label(html.escape(text), centre, top - 4, layout))
            else:  # no bar: the sign stands on the baseline
                out.append(f'<text x="{_num(centre)}" y="{_num(layout.baseline - 4)}" text-anchor="middle" '
                           f'fill="#444">{html.escape(text)}</text>')
    out.append("</g>")
    return out


def _category_labels(chart: Chart, layout: ChartLayout) -> list[str]:
    out = ['<g class="categories" fill="#1a1a1a">']
    for i, category in enumerate(chart.categories):
        x, y = layout.left + (i + 0.5) * layout.group_width, layout.baseline + FONT + 5
        if layout.slanted:
            out.append(f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="end" '
                       f'transform="rotate(-35 {_num(x)} {_num(y)})">{html.escape(category)}</text>')
        else:
            out.append(f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="middle">{html.escape(category)}</text>')
    out.append("</g>")
    return out


# --- HTML -----------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
body > header, body > nav, main, body > footer { max-width: 50rem; margin: 0 auto; padding: 0 1.25rem; }
body > header { padding-top: 2rem; }
main { padding-bottom: 2rem; }
main:focus { outline: none; }
.skip-link { position: absolute; left: .5rem; top: -4rem; z-index: 1; background: #fff; color: #0b5394;
  border: 2px solid #0b5394; padding: .4rem .75rem; font-weight: 600; }
.skip-link:focus { top: .5rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .5rem; overflow-wrap: break-word; }
h2 { font-size: 1.45rem; line-height: 1.25; margin: 2.5rem 0 .25rem; padding-top: .5rem;
  border-top: 3px solid #1f3864; }
h3 { font-size: 1.1rem; line-height: 1.3; margin: 2rem 0 .5rem; }
a { color: #0b5394; }
.intro { color: #333; margin: 0 0 1.5rem; }
.source { color: #444; font-style: italic; margin: 0 0 1rem; }
nav.toc { background: #f4f6f9; border: 1px solid #dde3ea; padding: .75rem 1.25rem; max-width: 47.5rem; }
nav.toc h2 { border: 0; margin: 0 0 .25rem; padding: 0; font-size: 1.1rem; }
nav.toc ol { margin: .25rem 0; padding-left: 1.25rem; }
nav.toc ol ol { font-size: .92rem; }
.indicator-body { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0 2rem; }
.table-part { flex: 0 1 auto; min-width: 0; }
.table-part .tablenote { max-width: 26rem; }
.charts { flex: 1 1 21rem; min-width: 0; max-width: 27.5rem; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: .25rem 0 .5rem; }
table { border-collapse: collapse; }
caption { caption-side: top; text-align: left; font-size: .9rem; color: #444; padding-bottom: .25rem; }
th, td { padding: .2rem .75rem; border-bottom: 1px solid #e3e3e3; }
thead th { border-bottom: 2px solid #1a1a1a; text-align: right; font-weight: 600; vertical-align: bottom; }
thead th:first-child { text-align: left; }
tbody th { text-align: left; font-weight: normal; }
tr.total th, tr.total td { font-weight: 700; }
tr.group th { font-weight: 600; font-style: italic; padding-top: .6rem; border-bottom: 0; }
th.indent { padding-left: 1.75rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.suppressed, td.na { color: #444; }
td.suppressed { cursor: help; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.tablenote, .footnote, .published { font-size: .85rem; color: #444; overflow-wrap: anywhere; }
.tablenote { margin: 0 0 .5rem; }
.footnote { margin: .5rem 0; }
.published p { margin: .5rem 0 .1rem; font-weight: 600; }
.published ul { margin: 0; padding-left: 1.25rem; }
figure.chart { margin: .75rem 0; max-width: 27.5rem; }
figure.chart figcaption { font-size: .9rem; color: #444; margin-bottom: .25rem; }
.chart-scroll { overflow-x: auto; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart svg.wide { width: auto; max-width: none; }
.indicator { padding-bottom: .5rem; border-bottom: 1px solid #eee; }
dl.legend { display: grid; grid-template-columns: 3rem 1fr; gap: .25rem .5rem; }
dl.legend dt { font-weight: 700; text-align: center; }
dl.legend dd { margin: 0; }
dl.provenance { display: grid; grid-template-columns: 13rem 1fr; gap: .2rem .75rem; font-size: .9rem; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; overflow-wrap: anywhere; }
table.definitions { font-size: .85rem; }
table.definitions td, table.definitions th { text-align: left; overflow-wrap: anywhere; }
body > footer { margin-top: 1rem; padding-bottom: 3rem; font-size: .85rem; color: #555; }
@media (max-width: 40rem) {
  body > header, body > nav, main, body > footer { padding-left: 1rem; padding-right: 1rem; }
  nav.toc { margin: 0 1rem; }
  th, td { padding: .2rem .4rem; }
  th.indent { padding-left: 1rem; }
  dl.provenance { grid-template-columns: 1fr; }
  dl.provenance dd { margin-bottom: .4rem; }
}
@media print {
  body { font-size: 9pt; line-height: 1.3; }
  body > header, body > nav, main, body > footer { max-width: none; padding: 0; }
  body > header { padding-top: 0; }
  .skip-link { display: none; }
  a { color: inherit; text-decoration: none; }
  nav.toc { background: none; border: 0; padding: 0; }
  h2 { font-size: 15pt; margin-top: 0; }
  h3 { font-size: 10.5pt; margin: 3mm 0 1mm; }
  .intro, .source { margin-bottom: 2mm; }
  caption, figure.chart figcaption { font-size: 8pt; }
  th, td { padding: .05rem .5rem; }
  th.indent { padding-left: 1rem; }
  tr.group th { padding-top: .15rem; }
  section.report-section, section.notes { break-before: page; }
  h1, h2, h3, .source, caption, figcaption { break-after: avoid; }
  .indicator { break-inside: avoid; padding-bottom: 2mm; }
  .report-section > .indicator:first-of-type { break-inside: auto; }  /* follows its section's heading */
  .indicator-body { display: flex; align-items: flex-start; gap: 0 6mm; }
  .table-part { flex: 0 1 auto; max-width: 55%; min-width: 0; }
  .charts { flex: 1 1 0; display: flex; gap: 0 4mm; min-width: 0; max-width: none; }
  .charts figure.chart { flex: 1 1 0; min-width: 0; max-width: 85mm; }
  .table-wrap { overflow: visible; margin: 0; }
  figure.chart { margin: 0 0 2mm; max-width: none; }
  table, figure.chart, tr, dl.legend, dl.provenance dt, dl.provenance dd { break-inside: avoid; }
  .tablenote, .footnote, .published { font-size: 7.5pt; }
  .footnote { margin: 1mm 0; }
  .published p { margin: 1mm 0 0; }
  td.suppressed { cursor: auto; }
}
""".strip()


def css_string(text: str) -> str:
    """Text as a CSS string literal, safe inside a <style> element: quotes, backslashes, control characters and
    <, >, & are written as CSS escapes, so no title can end the element ("</style>") or the string."""
    return '"' + "".join(f"\\{ord(ch):x} " if ch in '"\\<>&' or ord(ch) < 32 or ord(ch) == 127 else ch
                         for ch in text) + '"'


def page_css(report: Report) -> str:
    """The printed page: A4 with margins, a running header (the report and its year) and page numbers "Sida 3
    av 12" (CSS page margin boxes, which Chromium draws from version 131, as do print engines), nothing on the
    title page's header."""
    header = css_string(f"{report.title}, rapportår {report.year}")
    box = 'font: 8pt system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #444;'
    return (f"@page {{ size: A4; margin: 18mm 16mm 16mm;\n"
            f"  @top-left {{ content: {header}; {box} }}\n"
            f'  @bottom-right {{ content: "Sida " counter(page) " av " counter(pages); {box} }}\n'
            "}\n@page :first { @top-left { content: none; } }")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_cell(cell: Cell | None, threshold: int) -> str:
    text = _e(shown(cell))
    if is_suppressed(cell):
        return (f'<td class="num suppressed" title="{_e(suppression_note(threshold))}">{text}'
                f'<span class="visually-hidden"> ({SUPPRESSED_SHORT})</span></td>')
    if shown(cell) == NOT_APPLICABLE:
        return f'<td class="num na">{text}<span class="visually-hidden"> (uppgift kan inte förekomma)</span></td>'
    if shown(cell) == ZERO:
        return f'<td class="num">{text}<span class="visually-hidden"> (noll)</span></td>'
    return f'<td class="num">{text}</td>'


def html_row(line: Line, indicator: ReportIndicator, threshold: int, indent: bool) -> str:
    cells = [html_cell(c, threshold) for c in line_cells(line, indicator)]
    css = ' class="indent"' if indent else ""
    total = ' class="total"' if is_headline(line, indicator) else ""
    return f'<tr{total}><th scope="row"{css}>{_e(line.label)}</th>{"".join(cells)}</tr>'


def table_notes(indicator: ReportIndicator, threshold: int) -> list[str]:
    """The notes under a table: its symbols that need a word, then the indicator's notes."""
    notes = []
    if has_suppressed(indicator):
        notes.append(f"{SUPPRESSED} = {suppression_note(threshold)}")
    if has_symbol(indicator, NOT_APPLICABLE) and not any(f"({NOT_APPLICABLE})" in n for n in indicator.notes):
        notes.append(f"{NOT_APPLICABLE} = {NOT_APPLICABLE_NOTE}")
    return notes + list(indicator.notes)


def html_table(indicator: ReportIndicator, threshold: int) -> list[str]:
    if not indicator.lines:
        return ['<p class="tablenote">Inga uppgifter att redovisa.</p>']
    columns = 1 + len(periods(indicator))
    head = ['<th scope="col"><span class="visually-hidden">Redovisningsgrupp</span></th>']
    head += [f'<th scope="col">{_e(label)}</th>' for _, label, _ in periods(indicator)]
    caption = f"{indicator.id}-tabell"
    out = [f'<div class="table-wrap" role="region" aria-labelledby="{_e(caption)}" tabindex="0">', "<table>",
           f'<caption id="{_e(caption)}">{titled(table_caption(indicator), indicator.title)}</caption>',
           f"<thead><tr>{''.join(head)}</tr></thead>"]
    for dimension, lines in group_lines(indicator.lines, indicator.headline):
        out.append("<tbody>")
        if dimension is not None:
            out.append(f'<tr class="group"><th scope="rowgroup" colspan="{columns}">'
                       f"{_e(indicator.dimension_titles.get(dimension) or dimension_title(dimension))}</th></tr>")
        out += [html_row(line, indicator, threshold, dimension is not None) for line in lines]
        out.append("</tbody>")
    out += ["</table>", "</div>"]
    out += [f'<p class="tablenote">{_e(note)}</p>' for note in table_notes(indicator, threshold)]
    return out


def titled(text: str, title: str) -> str:
    """A caption under a heading that already shows the indicator's title: "Antal gemensamma kartläggningar:
    fördelning efter kön, 2017 och 2018" shows "Fördelning efter kön, 2017 och 2018", the title kept for screen
    readers (visually hidden), so that every table and chart keeps a name of its own."""
    prefix = f"{title}: "
    if not text.startswith(prefix):
        return _e(text)
    return f'<span class="visually-hidden">{_e(prefix)}</span>{_e(capitalised(text[len(prefix):]))}'


def html_chart(chart: Chart, title: str = "") -> str:
    return (f'<figure class="chart">\n<figcaption>{titled(chart.title, title)}</figcaption>\n'
            f'<div class="chart-scroll">\n{svg_chart(chart)}\n</div>\n</figure>')


def html_indicator(indicator: ReportIndicator, threshold: int) -> list[str]:
    out = ['<div class="indicator">', f'<h3 id="{_e(indicator.id)}">{_e(indicator.title)}</h3>',
           '<div class="indicator-body">', '<div class="table-part">']
    out += html_table(indicator, threshold)
    out.append("</div>")
    if indicator.charts:
        out += ['<div class="charts">', *(html_chart(chart, indicator.title) for chart in indicator.charts),
                "</div>"]
    out.append("</div>")
    if indicator.footnote:
        out.append(f'<p class="footnote">{_e(indicator.footnote)}</p>')
    if indicator.published:
        out.append('<div class="published"><p>Publicerade uppgifter</p><ul>')
        out += [f"<li>{_e(text)}</li>" for text in indicator.published]
        out.append("</ul></div>")
    out.append("</div>")
    return out


def section_anchor(section: Section) -> str:
    return f"avsnitt-{section.key}"


def html_section(section: Section, threshold: int) -> list[str]:
    out = [f'<section class="report-section" id="{_e(section_anchor(section))}">',
           f"<h2>{_e(section.title)}</h2>"]
    if section.source:
        out.append(f'<p class="source">Källa: {_e(section.source)}</p>')
    for indicator in section.indicators:
        out += html_indicator(indicator, threshold)
    out.append("</section>")
    return out


def html_toc(report: Report) -> list[str]:
    out = ['<nav class="toc" aria-labelledby="innehall-rubrik">', '<h2 id="innehall-rubrik">Innehåll</h2>', "<ol>"]
    for section in report.sections:
        out.append(f'<li><a href="#{_e(section_anchor(section))}">{_e(section.title)}</a>')
        if section.indicators:
            out.append("<ol>")
            out += [f'<li><a href="#{_e(i.id)}">{_e(i.title)}</a></li>' for i in section.indicators]
            out.append("</ol>")
        out.append("</li>")
    out += ['<li><a href="#metod">Metod och teckenförklaring</a></li>', "</ol>", "</nav>"]
    return out


def html_notes(report: Report) -> list[str]:
    out = ['<section class="notes" id="metod">', "<h2>Metod och teckenförklaring</h2>"]
    if report.notes:
        out += ["<ul>", *(f"<li>{_e(note)}</li>" for note in report.notes), "</ul>"]
    out += ["<h3>Teckenförklaring</h3>", '<dl class="legend">']
    for sign, meaning in legend_entries(report.threshold):
        out += [f"<dt>{_e(sign)}</dt>", f"<dd>{_e(meaning)}</dd>"]
    out.append("</dl>")
    out += html_provenance(report)
    out.append("</section>")
    return out


def html_provenance(report: Report) -> list[str]:
    """The method section's account of what the report was computed from, and each definition's version."""
    facts = provenance_facts(report)
    if not facts:
        return []
    out = [f'<h3 id="om-berakningen">{_e(PROVENANCE_TITLE)}</h3>', '<dl class="provenance">']
    for key, value in facts:
        out += [f"<dt>{_e(key)}</dt>", f"<dd>{_e(value)}</dd>"]
    out += ["</dl>", '<div class="table-wrap" role="region" aria-labelledby="definitioner" tabindex="0">',
            '<table class="definitions">', '<caption id="definitioner">Definitionernas versioner</caption>',
            '<thead><tr><th scope="col">Indikator</th><th scope="col">Version</th>'
            '<th scope="col">Semantisk kontrollsumma</th></tr></thead>', "<tbody>"]
    out += [f'<tr><th scope="row">{_e(ident)}</th><td class="num">{_e(version)}</td><td><code>{_e(digest)}</code>'
            "</td></tr>" for ident, version, digest in definition_rows(report)]
    out += ["</tbody>", "</table>", "</div>"]
    return out


# Nothing is fetched: no script, no style sheet, font or image from anywhere (the charts are inline SVG).
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def to_html(report: Report) -> str:
    """The whole report as one self-contained HTML5 file: inline CSS and SVG, no network."""
    out = ["<!DOCTYPE html>", '<html lang="sv">', "<head>", '<meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f'<meta name="generator" content="indicator engine, katalog {_e(report.catalogue_version)}">',
           f"<title>{_e(report.title)}, rapportår {_e(report.year)}</title>",
           f"<style>\n{CSS}\n{page_css(report)}\n</style>", "</head>", "<body>",
           '<a class="skip-link" href="#innehall">Hoppa till innehållet</a>',
           "<header>", f"<h1>{_e(report.title)}</h1>", f'<p class="intro">{_e(intro_text(report))}</p>',
           "</header>"]
    out += html_toc(report)
    out.append('<main id="innehall" tabindex="-1">')
    for section in report.sections:
        out += html_section(section, report.threshold)
    out += html_notes(report)
    out += ["</main>", f"<footer>Framtagen {_e(report.generated)} ur {_e(report.dataset)}, "
            f"indikatorkatalog {_e(report.catalogue_version)}.</footer>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


# --- Markdown -------------------------------------------------------------------------

MD_SPECIAL = "\\`*_[]<>|#"
INDENT = "\u00a0\u00a0\u00a0\u00a0"  # no-break spaces: Markdown keeps them, so groups stay indented


def md(text: object) -> str:
    """Text safe in Markdown, on one line (table cells cannot hold a line break)."""
    text = re.sub(r"[ \t\r\n\f\v]+", " ", str(text)).strip()  # not str.split: keep no-break spaces
    return "".join("\\" + ch if ch in MD_SPECIAL else ch for ch in text)


def md_cell(cell: Cell | None) -> str:
    return md(shown(cell))


def md_table(indicator: ReportIndicator, threshold: int) -> list[str]:
    if not indicator.lines:
        return ["Inga uppgifter att redovisa."]
    head = [""] + [md(label) for _, label, _ in periods(indicator)]
    out = [f"*{md(table_caption(indicator))}*", "", "| " + " | ".join(head) + " |",
           "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|"]
    for dimension, lines in group_lines(indicator.lines, indicator.headline):
        if dimension is not None:
            title = indicator.dimension_titles.get(dimension) or dimension_title(dimension)
            out.append(f"| *{md(title)}* |" + " |" * (len(head) - 1))
        for line in lines:
            label = f"**{md(line.label)}**" if is_headline(line, indicator) else md(line.label)
            label = (INDENT if dimension is not None else "") + label
            cells = [md_cell(c) for c in line_cells(line, indicator)]
            out.append("| " + " | ".join([label] + cells) + " |")
    notes = table_notes(indicator, threshold)
    if notes:
        out += ["", *(md(note) + "  " for note in notes[:-1]), md(notes[-1])]
    return out


def md_chart(chart: Chart, indicator: ReportIndicator) -> list[str]:
    """A chart's figures as a small table, when the indicator's table does not already hold them (a trend);
    nothing for a chart of the table's own cells."""
    table = [c for line in indicator.lines for c in line_cells(line, indicator)]
    if all(any(c is t for t in table) for _, cells in chart.series for c in cells):
        return []
    head = [""] + [md(category) for category in chart.categories]
    out = [f"*{md(chart.title)}*", "", "| " + " | ".join(head) + " |",
           "|" + "|".join([":---"] + ["---:"] * len(chart.categories)) + "|"]
    for label, cells in chart.series:
        values = [md_cell(cells[i] if i < len(cells) else None) for i in range(len(chart.categories))]
        out.append("| " + " | ".join([md(label)] + values) + " |")
    return out + [""]


def md_indicator(indicator: ReportIndicator, threshold: int) -> list[str]:
    out = [f"### {md(indicator.title)}", ""] + md_table(indicator, threshold) + [""]
    for chart in indicator.charts:
        out += md_chart(chart, indicator)
    if indicator.footnote:
        out += [md(indicator.footnote), ""]
    if indicator.published:
        out += ["Publicerade uppgifter:", "", *(f"- {md(text)}" for text in indicator.published), ""]
    return out


def to_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown: same structure and tables; a trend chart as a small table."""
    out = [f"# {md(report.title)}", "", md(intro_text(report)), "", "## Innehåll", ""]
    for number, section in enumerate(report.sections, 1):
        out.append(f"{number}. {md(section.title)}")
        out += [f"    - {md(i.title)}" for i in section.indicators]
    out += [f"{len(report.sections) + 1}. Metod och teckenförklaring", ""]
    for section in report.sections:
        out += [f"## {md(section.title)}", ""]
        if section.source:
            out += [f"*Källa: {md(section.source)}*", ""]
        for indicator in section.indicators:
            out += md_indicator(indicator, report.threshold)
    out += ["## Metod och teckenförklaring", ""]
    if report.notes:
        out += [*(f"- {md(note)}" for note in report.notes), ""]
    out += ["Teckenförklaring:", ""]
    out += [f"- `{sign}` {md(meaning)}" for sign, meaning in legend_entries(report.threshold)]
    facts = provenance_facts(report)
    if facts:
        out += ["", f"### {md(PROVENANCE_TITLE)}", ""]
        out += [f"- **{md(key)}:** {md(value)}" for key, value in facts]
        out += ["", "| Indikator | Version | Semantisk kontrollsumma |", "|:---|---:|:---|"]
        out += [f"| {md(ident)} | {md(version)} | `{digest}` |" for ident, version, digest in definition_rows(report)]
    return "\n".join(out).rstrip() + "\n"


# --- XLSX -----------------------------------------------------------------------------

NUMBER_FORMATS = {"count": "#,##0", "share": "0%", "days": "#,##0", "years": "0.0", "ratio": "0.0"}
# exactly none: the number 0, shown as "–" (SCB: noll), whereas a value that rounds to 0 keeps its "0"
ZERO_FORMATS = {unit: f'{fmt};-{fmt};"{ZERO}"' for unit, fmt in NUMBER_FORMATS.items()}
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
SHEET_NAME_TAIL = {"och", "i", "av", "för", "med", "mellan", "genom", "till", "på", "om", "vid", "efter", "som"}
ABOUT_SHEET = "Om rapporten"
COLUMNS = [("A:A", 62), ("B:C", 14), ("D:D", 44)]


def _shortened(text: str, limit: int) -> str:
    """Text cut to at most `limit` characters at a word boundary, without a dangling small word ("mellan",
    "och"); a single word longer than the limit is cut in it."""
    if len(text) <= limit:
        return text
    words = text[:limit + 1].split(" ")[:-1] if " " in text[:limit + 1] else [text[:limit]]
    while len(words) > 1 and words[-1].lower() in SHEET_NAME_TAIL:
        words.pop()
    return " ".join(words).rstrip(" ,;:–-")


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, none of []:*?/\\), cut at a word boundary:
    "Förstärkt samarbete mellan Försäkringskassan och Arbetsförmedlingen" is "Förstärkt samarbete"."""
    base = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in title)
    base = " ".join(base.split()).strip("'") or "Avsnitt"
    name, number = _shortened(base, 31), 2
    while name.lower() in taken or name.lower() == "history":
        suffix = f" ({number})"
        name, number = _shortened(base, 31 - len(suffix)) + suffix, number + 1
    taken.add(name.lower())
    return name


class XlsxStyles:
    """The workbook's formats, made once."""

    def __init__(self, book: xlsxwriter.Workbook):
        add = book.add_format
        self.title = add({"bold": True, "font_size": 14})
        self.heading = add({"bold": True, "font_size": 12})
        self.bold = add({"bold": True})
        self.link = add({"bold": True, "font_color": "#0b5394", "underline": 1})
        self.muted = add({"italic": True, "font_color": "#444444"})
        self.note = add({"italic": True, "font_size": 9, "font_color": "#444444", "text_wrap": True,
                         "valign": "top"})
        self.header = add({"bold": True, "bottom": 1, "align": "right"})
        self.header_left = add({"bold": True, "bottom": 1})
        self.group = add({"bold": True, "italic": True})
        self.label = add({})
        self.total = add({"bold": True})
        self.indented = add({"indent": 1})
        self.text_right = add({"align": "right"})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self._numbers: dict[tuple[str, bool, bool], object] = {}
        self._add = add

    def number(self, unit: str, bold: bool = False, zero: bool = False):
        key = (unit, bold, zero)
        if key not in self._numbers:
            formats = ZERO_FORMATS if zero else NUMBER_FORMATS
            self._numbers[key] = self._add({"num_format": formats.get(unit, "General"), "bold": bold})
        return self._numbers[key]


def xlsx_value(ws, row: int, col: int, cell: Cell | None, unit: str, styles: XlsxStyles,
               threshold: int, bold: bool = False) -> None:
    """A figure as an Excel number (exactly none shown as "–"); ".." (with a comment saying why) or "." as text."""
    if cell is None:
        ws.write_string(row, col, NOT_APPLICABLE, styles.text_right)
    elif is_suppressed(cell):
        ws.write_string(row, col, SUPPRESSED, styles.text_right)
        ws.write_comment(row, col, suppression_note(threshold))
    elif _finite(cell.value):
        ws.write_number(row, col, cell.value, styles.number(unit, bold, shown(cell) == ZERO))
    else:
        ws.write_string(row, col, shown(cell), styles.text_right)


def xlsx_line_note(line: Line, indicator: ReportIndicator) -> str:
    """Which periods of a row are suppressed, the same words for every one."""
    hidden = [label for _, label, cell_of in periods(indicator) if is_suppressed(cell_of(line))]
    return "; ".join(f"{label}: {SUPPRESSED_SHORT}" for label in hidden)


def xlsx_years(report: Report) -> list[str]:
    """The value columns of a section sheet, oldest first: the comparison year and the report year."""
    return [report.compare, report.year] if report.compare else [report.year]


def xlsx_indicator(ws, row: int, indicator: ReportIndicator, styles: XlsxStyles, threshold: int,
                   years: list[str]) -> int:
    """One indicator as a block of rows starting at `row` under the sheet's header (one column per year);
    returns the next free row. Its title says its unit and, when it is not the whole year, the part shown."""
    last = len(years) + 1  # the note column
    part = swedish_part(indicator.period)
    ws.write_string(row, 0, f"{indicator.title} ({indicator.unit_label}{f', {part}' if part else ''})",
                    styles.heading)
    row += 1
    # no column of units (n): a published table shows figures only, and an n beside a share
    # would let a reader link it to a cell suppressed in another table over the same units
    columns = [(1 + years.index(code[:4]), cell_of) for code, _, cell_of in periods(indicator) if code[:4] in years]
    for dimension, lines in group_lines(indicator.lines, indicator.headline):
        if dimension is not None:
            ws.write_string(row, 0, indicator.dimension_titles.get(dimension) or dimension_title(dimension),
                            styles.group)
            row += 1
        for line in lines:
            bold = is_headline(line, indicator)
            ws.write_string(row, 0, line.label, styles.total if bold else styles.indented)
            for col, cell_of in columns:
                xlsx_value(ws, row, col, cell_of(line), indicator.unit, styles, threshold, bold)
            note = xlsx_line_note(line, indicator)
            if note:
                ws.write_string(row, last, note, styles.muted)
            row += 1
    for text in [*table_notes(indicator, threshold), indicator.footnote]:
        if text:
            ws.merge_range(row, 0, row, last, text, styles.note)
            ws.set_row(row, 15 * max(1, math.ceil(len(text) / 150)))
            row += 1
    for text in indicator.published:  # "Publicerat 2018: ..." as in the other formats
        ws.write_string(row, 0, text, styles.muted)
        row += 1
    return row + 1


def xlsx_section(book: xlsxwriter.Workbook, name: str, section: Section, styles: XlsxStyles,
                 threshold: int, years: list[str]) -> None:
    """A section as one table: its title and source, one header row (the years, oldest first), frozen with the
    labels, then each indicator's block."""
    ws = book.add_worksheet(name)
    for columns, width in COLUMNS:
        ws.set_column(columns, width)
    ws.write_string(0, 0, section.title, styles.title)
    if section.source:
        ws.write_string(1, 0, f"Källa: {section.source}", styles.muted)
    header = 2
    ws.write_string(header, 0, "Indikator och redovisningsgrupp", styles.header_left)
    for col, year in enumerate(years, 1):
        ws.write_string(header, col, year, styles.header)
    ws.write_string(header, len(years) + 1, "Anmärkning", styles.header_left)
    ws.freeze_panes(header + 1, 1)  # the header row and the labels stay in view
    ws.repeat_rows(header)  # and head every printed page
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    row = header + 1
    for indicator in section.indicators:
        row = xlsx_indicator(ws, row, indicator, styles, threshold, years)


def xlsx_about(book: xlsxwriter.Workbook, report: Report, names: list[str], styles: XlsxStyles) -> None:
    ws = book.add_worksheet(ABOUT_SHEET)
    ws.set_column("A:A", 24)
    ws.set_column("B:B", 100)
    ws.write_string(0, 0, report.title, styles.title)
    facts = [("Rapportår", report.year), ("Jämförelseår", report.compare or "ingen"),
             ("Underlag", report.dataset), ("Katalogversion", report.catalogue_version),
             ("Framtagen", report.generated),
             ("Röjandegräns", f"{report.threshold} personer. {suppression_note(report.threshold)}")]
    row = 2
    for key, value in facts:
        ws.write_string(row, 0, key, styles.bold)
        ws.write_string(row, 1, str(value), styles.wrap)
        row += 1
    row += 1
    ws.write_string(row, 0, "Innehåll", styles.heading)
    row += 1
    for name, section in zip(names, report.sections, strict=True):
        quoted = name.replace("'", "''")
        ws.write_url(row, 0, f"internal:'{quoted}'!A1", styles.link, string=name)
        ws.write_string(row, 1, "; ".join(i.title for i in section.indicators), styles.wrap)
        row += 1
    row += 1
    ws.write_string(row, 0, "Metod", styles.heading)
    row += 1
    for note in report.notes:
        ws.write_string(row, 1, note, styles.wrap)
        row += 1
    row += 1
    ws.write_string(row, 0, "Teckenförklaring", styles.heading)
    row += 1
    for sign, meaning in legend_entries(report.threshold):
        ws.write_string(row, 0, sign, styles.bold)
        ws.write_string(row, 1, meaning, styles.wrap)
        row += 1
    facts = provenance_facts(report)
    if facts:
        row += 1
        ws.write_string(row, 0, PROVENANCE_TITLE, styles.heading)
        row += 1
        for key, value in facts:
            ws.write_string(row, 0, key, styles.bold)
            ws.write_string(row, 1, value, styles.wrap)
            row += 1
        row += 1
        ws.write_string(row, 0, "Definitionernas versioner", styles.heading)
        row += 1
        for ident, version, digest in definition_rows(report):
            ws.write_string(row, 0, ident, styles.bold)
            ws.write_string(row, 1, f"version {version}, semantisk kontrollsumma {digest}", styles.wrap)
            row += 1


def _created(report: Report) -> datetime | None:
    try:
        return datetime.fromisoformat(report.generated)
    except (TypeError, ValueError):
        return None


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: "Om rapporten", then one sheet per section; figures as numbers."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    properties: dict[str, str | datetime] = {"title": report.title, "comments": intro_text(report)}
    created = _created(report)
    if created is not None:
        properties["created"] = created  # the same report gives the same file
    book.set_properties(properties)
    styles = XlsxStyles(book)
    taken = {ABOUT_SHEET.lower()}
    names = [sheet_name(section.title, taken) for section in report.sections]
    xlsx_about(book, report, names, styles)
    for name, section in zip(names, report.sections, strict=True):
        xlsx_section(book, name, section, styles, report.threshold, xlsx_years(report))
    book.close()
    return buffer.getvalue()


__all__ = ["sheet_name", "shown", "svg_chart", "to_html", "to_markdown", "to_xlsx"]
