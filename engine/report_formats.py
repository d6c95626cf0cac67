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
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

import xlsxwriter

from .present import format_number
from .provenance import HASH_LIMIT
from .report import NO_VALUE, SUPPRESSED, Cell, Chart, Line, Report, ReportIndicator, Section

DIMENSION_TITLES = {"kon": "Kön", "ersattning": "Ersättning", "behovsgrupp": "Behovsgrupp",
                    "lan": "Län", "motestyp": "Mötestyp"}
UNIT_AXIS = {"count": "Antal", "share": "Andel", "days": "Dagar", "years": "År", "ratio": "Kvot"}
# Colour-blind safe (Okabe-Ito based) and distinct in greyscale: lightness 24, 71, 46, 85, 61.
PALETTE = ["#1f3864", "#e69f00", "#0072b2", "#b3d9f2", "#cc79a7"]
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
    """What a reader sees for a cell: ".." when suppressed, "–" when there is none."""
    if cell is None:
        return NO_VALUE
    if cell.suppressed:
        return SUPPRESSED
    return cell.text or NO_VALUE


def is_suppressed(cell: Cell | None) -> bool:
    return cell is not None and bool(cell.suppressed)


def suppression_note(threshold: int) -> str:
    """Why a cell shows "..": one sentence for every suppressed cell, whatever the kind."""
    return (f"Uppgiften redovisas inte av röjandeskäl: den bygger på färre än {threshold} enheter, "
            "eller den skulle göra det möjligt att räkna fram en sådan uppgift.")


SUPPRESSED_SHORT = "redovisas inte av röjandeskäl"  # screen-reader text and the XLSX note column


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def group_lines(lines: list[Line]) -> list[tuple[str | None, list[Line]]]:
    """The total first, then one group per dimension, in the order they first appear."""
    groups: dict[str | None, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.dimension, []).append(line)
    ordered = [(None, groups.pop(None))] if None in groups else []
    return ordered + list(groups.items())


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
    return [(SUPPRESSED, suppression_note(threshold)),
            (NO_VALUE, "Uppgift saknas eller kan inte beräknas.")]


def table_caption(indicator: ReportIndicator) -> str:
    unit = capitalised(indicator.unit_label)
    periods = indicator.period + (f" och {indicator.compare_period}" if indicator.compare_period else "")
    return f"{unit}, {periods}"


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
    shielded = (f"tillämpad, gräns {disclosure['threshold']} enheter" if disclosure.get("applied")
                else f"inte tillämpad (gräns {disclosure['threshold']} enheter)")
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

CHART_WIDTH = 560
PLOT_HEIGHT = 180
FONT = 11
CHAR_WIDTH = 0.6  # average glyph width per font size unit, for layout only


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


def _bar_values(chart: Chart) -> list[float]:
    return [v for _, cells in chart.series for c in cells if (v := _bar_value(c)) is not None]


def _legend(chart: Chart, top: float) -> tuple[list[str], float]:
    """Legend items laid out left to right, wrapping; returns the elements and their height."""
    if len(chart.series) <= 1:
        return [], 0.0
    parts, x, y = ['<g class="legend">'], 0.0, top
    for i, (label, _) in enumerate(chart.series):
        width = 12 + 6 + _text_width(label) + 18
        if x > 0 and x + width > CHART_WIDTH - 16:
            x, y = 0.0, y + 18
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{_num(8 + x)}" y="{_num(y)}" width="12" height="12" fill="{colour}" '
                     f'stroke="#333" stroke-width="0.5"/>')
        parts.append(f'<text x="{_num(8 + x + 18)}" y="{_num(y + 10)}">{html.escape(label)}</text>')
        x += width
    parts.append("</g>")
    return parts, y + 18 - top


@dataclass(frozen=True)
class ChartLayout:
    """Where things go in a chart, worked out once from the chart's labels."""
    left: float             # x of the y axis
    plot_top: float         # y of the top gridline
    baseline: float         # y of the zero line
    height: float           # of the whole image
    group_width: float      # room per category
    bar_width: float
    value_size: float       # font size of the value labels
    value_rotated: bool     # value labels run upwards when they do not fit across a bar
    slanted: bool           # category labels slanted when they do not fit under their group


def chart_layout(chart: Chart, tick_labels: list[str], legend_height: float) -> ChartLayout:
    right, categories, series = 12.0, max(1, len(chart.categories)), max(1, len(chart.series))
    left = max(44.0, 14 + max(_text_width(t) for t in tick_labels))
    longest = max((_text_width(c) for c in chart.categories), default=0.0)
    group_width = (CHART_WIDTH - left - right) / categories
    slanted = longest > group_width - 4
    for _ in range(2):  # a slanted first label must not run off the left edge
        if slanted:
            left = max(left, longest * math.cos(math.radians(35)) - group_width / 2 + 6)
            group_width = (CHART_WIDTH - left - right) / categories
    bottom = min(140.0, 24 + longest * math.sin(math.radians(35))) if slanted else 24.0
    bar = min(group_width * 0.72, series * 56) / series
    chars = max((len(shown(c)) for _, cells in chart.series for c in cells), default=1)
    fits = (bar + 4) / (CHAR_WIDTH * chars)
    rotated = fits < 8
    size = min(10.0, max(7.0, bar - 1)) if rotated else min(FONT, fits)
    headroom = _text_width("x" * chars, size) if rotated else 0.0
    plot_top = 30 + legend_height + 28 + headroom
    baseline = plot_top + PLOT_HEIGHT
    return ChartLayout(left, plot_top, baseline, baseline + bottom + 4, group_width, bar, size, rotated, slanted)


def _spoken(text: str) -> str:
    return {SUPPRESSED: "uppgift " + SUPPRESSED_SHORT, NO_VALUE: "uppgift saknas"}.get(text, text)


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
    """A grouped bar chart: one group per category, one bar per series; fixed width, no script."""
    ticks = axis_ticks(max(_bar_values(chart), default=0.0), chart.unit)
    labels = [tick_label(t, chart.unit, ticks[1] - ticks[0]) for t in ticks]
    legend, legend_height = _legend(chart, 30.0)
    layout = chart_layout(chart, labels, legend_height)
    scale = PLOT_HEIGHT / ticks[-1]
    title = html.escape(chart.title)
    out = [f'<svg xmlns="{SVG_NS}" role="img" aria-label="{title}" class="chart" '
           f'width="{CHART_WIDTH}" height="{_num(layout.height)}" '
           f'viewBox="0 0 {CHART_WIDTH} {_num(layout.height)}" '
           f'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, Arial, sans-serif" font-size="{FONT}">',
           f"<title>{title}</title>",
           f"<desc>{html.escape(_summary(chart))}</desc>",
           f'<text x="8" y="18" font-size="14" font-weight="bold" fill="#1a1a1a">{title}</text>',
           *legend]
    if _bar_values(chart):
        out.append(f'<text x="{_num(layout.left - 6)}" y="{_num(layout.plot_top - 16)}" text-anchor="end" '
                   f'fill="#555">{html.escape(UNIT_AXIS.get(chart.unit, ""))}</text>')
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
        out.append(f'<line x1="{_num(layout.left)}" x2="{_num(CHART_WIDTH - 12)}" y1="{_num(y)}" y2="{_num(y)}" '
                   f'stroke="{colour}" stroke-width="1"/>')
        out.append(f'<text x="{_num(layout.left - 6)}" y="{_num(y)}" dy="0.32em" text-anchor="end" fill="#333">'
                   f"{html.escape(label)}</text>")
    out.append("</g>")
    return out


def _empty_plot(layout: ChartLayout) -> list[str]:
    middle = layout.left + (CHART_WIDTH - 12 - layout.left) / 2
    return [f'<line x1="{_num(layout.left)}" x2="{_num(CHART_WIDTH - 12)}" y1="{_num(layout.baseline)}" '
            f'y2="{_num(layout.baseline)}" stroke="#333" stroke-width="1"/>',
            f'<text x="{_num(middle)}" y="{_num(layout.plot_top + PLOT_HEIGHT / 2)}" text-anchor="middle" '
            f'fill="#555">Inga uppgifter att visa: de är skyddade eller saknas.</text>']


def _bar_value(cell: Cell | None) -> float | None:
    """The value of the cell's bar; None when it gets none: suppressed, or no finite value."""
    if cell is None or cell.suppressed or cell.value is None or not _finite(cell.value):
        return None
    return float(cell.value)


def _value_label(text: str, x: float, y: float, layout: ChartLayout) -> str:
    if layout.value_rotated:
        x += layout.value_size * 0.35
        return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(layout.value_size)}" fill="#1a1a1a" '
                f'transform="rotate(-90 {_num(x)} {_num(y)})">{text}</text>')
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="middle" font-size="{_num(layout.value_size)}" '
            f'fill="#1a1a1a">{text}</text>')


def _bars(chart: Chart, layout: ChartLayout, scale: float) -> list[str]:
    bar, series = layout.bar_width, max(1, len(chart.series))
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
                           f'fill="{PALETTE[j % len(PALETTE)]}" stroke="#333" stroke-width="0.5"/>')
                out.append(_value_label(html.escape(text), centre, top - 4, layout))
            else:  # no bar: the sign stands on the baseline
                size = min(FONT, max(7.0, (bar + 4) / (CHAR_WIDTH * len(text))))
                out.append(f'<text x="{_num(centre)}" y="{_num(layout.baseline - 4)}" text-anchor="middle" '
                           f'font-size="{_num(size)}" fill="#555">{html.escape(text)}</text>')
    out.append("</g>")
    return out


def _category_labels(chart: Chart, layout: ChartLayout) -> list[str]:
    out = ['<g class="categories" fill="#1a1a1a">']
    for i, category in enumerate(chart.categories):
        x, y = layout.left + (i + 0.5) * layout.group_width, layout.baseline + 16
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
main { max-width: 50rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .5rem; }
h2 { font-size: 1.45rem; margin: 2.5rem 0 .25rem; padding-top: .5rem; border-top: 3px solid #1f3864; }
h3 { font-size: 1.1rem; margin: 2rem 0 .5rem; }
a { color: #0b5394; }
.intro { color: #333; margin: 0 0 1.5rem; }
.source { color: #444; font-style: italic; margin: 0 0 1rem; }
nav.toc { background: #f4f6f9; border: 1px solid #dde3ea; padding: .75rem 1.25rem; }
nav.toc h2 { border: 0; margin: 0 0 .25rem; padding: 0; font-size: 1.1rem; }
nav.toc ol { margin: .25rem 0; padding-left: 1.25rem; }
nav.toc ol ol { font-size: .92rem; }
table { border-collapse: collapse; margin: .25rem 0 .5rem; min-width: 24rem; }
caption { caption-side: top; text-align: left; font-size: .9rem; color: #444; padding-bottom: .25rem; }
th, td { padding: .2rem .75rem; border-bottom: 1px solid #e3e3e3; }
thead th { border-bottom: 2px solid #1a1a1a; text-align: right; font-weight: 600; }
thead th:first-child { text-align: left; }
tbody th { text-align: left; font-weight: normal; }
tr.total th, tr.total td { font-weight: 600; }
tr.group th { font-weight: 600; font-style: italic; padding-top: .6rem; border-bottom: 0; }
th.indent { padding-left: 1.75rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.suppressed { color: #555; cursor: help; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.tablenote, .footnote, .published { font-size: .85rem; color: #444; }
.tablenote { margin: 0 0 .5rem; }
.footnote { margin: .5rem 0; }
.published p { margin: .5rem 0 .1rem; font-weight: 600; }
.published ul { margin: 0; padding-left: 1.25rem; }
figure.chart { margin: .75rem 0; }
figure.chart svg { max-width: 100%; height: auto; }
.indicator { padding-bottom: .5rem; border-bottom: 1px solid #eee; }
dl.legend { display: grid; grid-template-columns: 3rem 1fr; gap: .25rem .5rem; }
dl.legend dt { font-weight: 600; text-align: center; }
dl.legend dd { margin: 0; }
dl.provenance { display: grid; grid-template-columns: 13rem 1fr; gap: .2rem .75rem; font-size: .9rem; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; overflow-wrap: anywhere; }
table.definitions { font-size: .85rem; }
table.definitions td, table.definitions th { text-align: left; }
footer { margin-top: 3rem; font-size: .85rem; color: #555; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  nav.toc { background: none; }
  section.report-section { break-before: page; }
  .indicator, figure.chart, table { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  td.suppressed { cursor: auto; }
}
""".strip()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_cell(cell: Cell | None, threshold: int) -> str:
    text = _e(shown(cell))
    if not is_suppressed(cell):
        return f'<td class="num">{text}</td>'
    return (f'<td class="num suppressed" title="{_e(suppression_note(threshold))}">{text}'
            f'<span class="visually-hidden"> ({SUPPRESSED_SHORT})</span></td>')


def html_row(line: Line, indicator: ReportIndicator, threshold: int, indent: bool) -> str:
    cells = [html_cell(line.current, threshold)]
    if indicator.compare_period:
        cells.append(html_cell(line.previous, threshold))
    css = ' class="indent"' if indent else ""
    total = ' class="total"' if line.dimension is None else ""
    return f'<tr{total}><th scope="row"{css}>{_e(line.label)}</th>{"".join(cells)}</tr>'


def html_table(indicator: ReportIndicator, threshold: int) -> list[str]:
    if not indicator.lines:
        return ['<p class="tablenote">Inga uppgifter att redovisa.</p>']
    columns = 2 + (1 if indicator.compare_period else 0)
    head = ['<th scope="col"><span class="visually-hidden">Redovisningsgrupp</span></th>',
            f'<th scope="col">{_e(indicator.period)}</th>']
    if indicator.compare_period:
        head.append(f'<th scope="col">{_e(indicator.compare_period)}</th>')
    out = ["<table>", f"<caption>{_e(table_caption(indicator))}</caption>",
           f"<thead><tr>{''.join(head)}</tr></thead>"]
    for dimension, lines in group_lines(indicator.lines):
        out.append("<tbody>")
        if dimension is not None:
            out.append(f'<tr class="group"><th scope="rowgroup" colspan="{columns}">'
                       f"{_e(indicator.dimension_titles.get(dimension) or dimension_title(dimension))}</th></tr>")
        out += [html_row(line, indicator, threshold, dimension is not None) for line in lines]
        out.append("</tbody>")
    out.append("</table>")
    if has_suppressed(indicator):
        out.append(f'<p class="tablenote">{SUPPRESSED} = {_e(suppression_note(threshold))}</p>')
    return out


def html_indicator(indicator: ReportIndicator, threshold: int) -> list[str]:
    out = ['<div class="indicator">', f'<h3 id="{_e(indicator.id)}">{_e(indicator.title)}</h3>']
    out += html_table(indicator, threshold)
    out += [f'<figure class="chart">\n{svg_chart(chart)}\n</figure>' for chart in indicator.charts]
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
    out = ['<nav class="toc" aria-label="Innehåll">', "<h2>Innehåll</h2>", "<ol>"]
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
    out += ["</dl>", '<table class="definitions">', "<caption>Definitionernas versioner</caption>",
            '<thead><tr><th scope="col">Indikator</th><th scope="col">Version</th>'
            '<th scope="col">Semantisk kontrollsumma</th></tr></thead>', "<tbody>"]
    out += [f'<tr><th scope="row">{_e(ident)}</th><td class="num">{_e(version)}</td><td><code>{_e(digest)}</code>'
            "</td></tr>" for ident, version, digest in definition_rows(report)]
    out += ["</tbody>", "</table>"]
    return out


def to_html(report: Report) -> str:
    """The whole report as one self-contained HTML5 file: inline CSS and SVG, no network."""
    out = ["<!DOCTYPE html>", '<html lang="sv">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f'<meta name="generator" content="indicator engine, katalog {_e(report.catalogue_version)}">',
           f"<title>{_e(report.title)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>", "<main>",
           "<header>", f"<h1>{_e(report.title)}</h1>", f'<p class="intro">{_e(intro_text(report))}</p>',
           "</header>"]
    out += html_toc(report)
    for section in report.sections:
        out += html_section(section, report.threshold)
    out += html_notes(report)
    out += [f"<footer>Framtagen {_e(report.generated)} ur {_e(report.dataset)}, "
            f"indikatorkatalog {_e(report.catalogue_version)}.</footer>",
            "</main>", "</body>", "</html>"]
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
    compare = bool(indicator.compare_period)
    head = ["", md(indicator.period)] + ([md(indicator.compare_period)] if compare else [])
    out = [f"*{md(table_caption(indicator))}*", "", "| " + " | ".join(head) + " |",
           "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|"]
    for dimension, lines in group_lines(indicator.lines):
        if dimension is not None:
            title = indicator.dimension_titles.get(dimension) or dimension_title(dimension)
            out.append(f"| **{md(title)}** |" + " |" * (len(head) - 1))
        for line in lines:
            label = (INDENT if dimension is not None else "") + md(line.label)
            label = f"**{label}**" if dimension is None else label
            cells = [md_cell(line.current)] + ([md_cell(line.previous)] if compare else [])
            out.append("| " + " | ".join([label] + cells) + " |")
    if has_suppressed(indicator):
        out += ["", f"{SUPPRESSED} = {md(suppression_note(threshold))}"]
    return out


def md_indicator(indicator: ReportIndicator, threshold: int) -> list[str]:
    out = [f"### {md(indicator.title)}", ""] + md_table(indicator, threshold) + [""]
    for chart in indicator.charts:
        out += [f"*Diagram: {md(chart.title)} (finns i HTML-versionen av rapporten).*", ""]
    if indicator.footnote:
        out += [md(indicator.footnote), ""]
    if indicator.published:
        out += ["Publicerade uppgifter:", "", *(f"- {md(text)}" for text in indicator.published), ""]
    return out


def to_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown: same structure, tables, charts named only."""
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

NUMBER_FORMATS = {"count": "#,##0", "share": "0%", "days": "#,##0", "years": "0.0"}
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")
ABOUT_SHEET = "Om rapporten"
COLUMNS = [("A:A", 52), ("B:C", 16), ("D:D", 48)]


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, none of []:*?/\\)."""
    base = "".join(" " if ch in SHEET_NAME_FORBIDDEN else ch for ch in title)
    base = " ".join(base.split()).strip("'") or "Avsnitt"
    name, number = base[:31].rstrip(), 2
    while name.lower() in taken or name.lower() == "history":
        suffix = f" ({number})"
        name, number = base[:31 - len(suffix)].rstrip() + suffix, number + 1
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
        self._numbers: dict[tuple[str, bool], object] = {}
        self._add = add

    def number(self, unit: str, bold: bool = False):
        key = (unit, bold)
        if key not in self._numbers:
            self._numbers[key] = self._add({"num_format": NUMBER_FORMATS.get(unit, "General"), "bold": bold})
        return self._numbers[key]


def xlsx_value(ws, row: int, col: int, cell: Cell | None, unit: str, styles: XlsxStyles,
               threshold: int, bold: bool = False) -> None:
    """A figure as an Excel number; ".." (with a comment saying why) or "–" as text otherwise."""
    if cell is None:
        ws.write_string(row, col, NO_VALUE, styles.text_right)
    elif is_suppressed(cell):
        ws.write_string(row, col, SUPPRESSED, styles.text_right)
        ws.write_comment(row, col, suppression_note(threshold))
    elif _finite(cell.value):
        ws.write_number(row, col, cell.value, styles.number(unit, bold))
    else:
        ws.write_string(row, col, shown(cell), styles.text_right)


def xlsx_line_note(line: Line, indicator: ReportIndicator) -> str:
    """Which periods of a row are suppressed, the same words for every one."""
    periods = [period for period, cell in ((indicator.period, line.current),
                                           (indicator.compare_period, line.previous))
               if period and is_suppressed(cell)]
    return "; ".join(f"{period}: {SUPPRESSED_SHORT}" for period in periods)


def xlsx_indicator(ws, row: int, indicator: ReportIndicator, styles: XlsxStyles, threshold: int) -> int:
    """One indicator as a block of rows starting at `row`; returns the next free row."""
    compare = indicator.compare_period
    ws.write_string(row, 0, indicator.title, styles.heading)
    row += 1
    unit = capitalised(indicator.unit_label)
    # no column of units (n): a published table shows figures only, and an n beside a share
    # would let a reader link it to a cell suppressed in another table over the same units
    header = [indicator.period, compare or "", "Anmärkning"]
    ws.write_string(row, 0, unit, styles.header_left)
    for col, text in enumerate(header, 1):
        ws.write_string(row, col, text, styles.header if col < 3 else styles.header_left)
    row += 1
    for dimension, lines in group_lines(indicator.lines):
        if dimension is not None:
            ws.write_string(row, 0, indicator.dimension_titles.get(dimension) or dimension_title(dimension),
                            styles.group)
            row += 1
        for line in lines:
            total = dimension is None
            ws.write_string(row, 0, line.label, styles.total if total else styles.indented)
            xlsx_value(ws, row, 1, line.current, indicator.unit, styles, threshold, total)
            if compare:
                xlsx_value(ws, row, 2, line.previous, indicator.unit, styles, threshold, total)
            note = xlsx_line_note(line, indicator)
            if note:
                ws.write_string(row, 3, note, styles.muted)
            row += 1
    if indicator.footnote:
        ws.merge_range(row, 0, row, 3, indicator.footnote, styles.note)
        ws.set_row(row, 15 * max(1, math.ceil(len(indicator.footnote) / 150)))
        row += 1
    for text in indicator.published:
        ws.write_string(row, 0, f"Publicerat: {text}", styles.muted)
        row += 1
    return row + 1


def xlsx_section(book: xlsxwriter.Workbook, name: str, section: Section, styles: XlsxStyles,
                 threshold: int) -> None:
    ws = book.add_worksheet(name)
    for columns, width in COLUMNS:
        ws.set_column(columns, width)
    ws.write_string(0, 0, section.title, styles.title)
    if section.source:
        ws.write_string(1, 0, f"Källa: {section.source}", styles.muted)
    ws.freeze_panes(2, 1)  # the section heading and the labels stay in view
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    row = 3
    for indicator in section.indicators:
        row = xlsx_indicator(ws, row, indicator, styles, threshold)


def xlsx_about(book: xlsxwriter.Workbook, report: Report, names: list[str], styles: XlsxStyles) -> None:
    ws = book.add_worksheet(ABOUT_SHEET)
    ws.set_column("A:A", 24)
    ws.set_column("B:B", 100)
    ws.write_string(0, 0, report.title, styles.title)
    facts = [("Rapportår", report.year), ("Jämförelseår", report.compare or NO_VALUE),
             ("Underlag", report.dataset), ("Katalogversion", report.catalogue_version),
             ("Framtagen", report.generated),
             ("Röjandegräns", f"{report.threshold} enheter. {suppression_note(report.threshold)}")]
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
        xlsx_section(book, name, section, styles, report.threshold)
    book.close()
    return buffer.getvalue()


__all__ = ["sheet_name", "shown", "svg_chart", "to_html", "to_markdown", "to_xlsx"]
