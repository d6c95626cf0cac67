"""Renderers of the yearly report: a small hand-made Report, laid out as HTML, SVG, Markdown and XLSX."""
from __future__ import annotations

import dataclasses
import io
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from itertools import pairwise
from typing import ClassVar

import pytest

from engine.present import format_number
from engine.report import SUPPRESSED, Cell, Chart, Line, Report, ReportIndicator, Section
from engine.report_formats import axis_ticks, sheet_name, svg_chart, to_html, to_markdown, to_xlsx

SVG_NS = "http://www.w3.org/2000/svg"
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# A suppressed cell should carry no value; these carry one anyway (and an n), so the tests
# can check that no renderer ever shows it.
SECRET_VALUE, SECRET_N = 4321, 987
EXPLANATION = ("Uppgiften redovisas inte av röjandeskäl: den bygger på färre än 3 personer, "
               "eller den skulle göra det möjligt att räkna fram en sådan uppgift.")
# Words that would tell a reader which kind of suppression a cell got.
KIND_WORDS = ("primär", "sekundär", "primary", "secondary", "skyddad för att", "röja en annan",
              "<sup", "(a)", "(b)")


def cell(value, unit="count", n=None, decimals=None):
    return Cell(value, n if n is not None else (value if unit == "count" else 100),
                format_number(value, unit, decimals))


def primary(n=2):
    return Cell(None, n, "..", "primary")


def secondary():
    return Cell(SECRET_VALUE, SECRET_N, format_number(SECRET_VALUE), "secondary")


def none_cell():
    return Cell(None, None, ".")  # no value: an empty group (SCB: uppgift kan inte förekomma)


def line(label, dimension, category, current, previous):
    return Line(label, dimension, category, current, previous)


def counts_indicator() -> ReportIndicator:
    lines = [line("Totalt", None, None, cell(8306), cell(10010)),
             line("Kvinnor", "kon", "K", cell(5012), cell(6100)),
             line("Män", "kon", "M", cell(3294), cell(3910)),
             line("Sjukpenning", "ersattning", "sjukpenning", cell(7415), cell(9101)),
             line("Aktivitetsersättning", "ersattning", "aktivitetsersattning", cell(891), cell(909))]
    trend = Chart("Gemensamma kartläggningar 2016–2018", "count", ["2016", "2017", "2018"],
                  [("Totalt", [cell(9570), cell(10010), cell(8306)])])
    by_sex = Chart("Gemensamma kartläggningar efter kön", "count", ["Kvinnor", "Män"],
                   [("2017", [cell(6100), cell(3910)]), ("2018", [cell(5012), primary()])])
    return ReportIndicator("antal_gemensamma_kartlaggningar", 2, "Antal gemensamma kartläggningar", "count",
                           "antal", "2018", "2017", lines, [trend, by_sex],
                           "Gemensamma kartläggningar som genomförts under året. Version 2.",
                           ["Under 2018 har 8 306 gemensamma kartläggningar genomförts – stämmer."])


def share_indicator() -> ReportIndicator:
    def share(value):
        return cell(value, "share", n=5112, decimals=0)
    lines = [line("Totalt", None, None, share(0.58), share(0.60)),
             line("Sjukpenning", "ersattning", "sjukpenning", share(0.57), share(0.59)),
             line("Aktivitetsersättning", "ersattning", "aktivitetsersattning", share(0.62), share(0.55)),
             line("Gotlands län", "lan", "09", primary(), none_cell()),
             line("Jämtlands län", "lan", "23", secondary(), share(0.5))]
    chart = Chart("Andel som lämnat sjukförsäkringen", "share", ["2017", "2018"],
                  [("Sjukpenning", [share(0.59), share(0.57)]),
                   ("Aktivitetsersättning", [share(0.55), secondary()])])
    return ReportIndicator("andel_lamnat_sjukforsakringen_efter_insats", 1,
                           "Andel som lämnat sjukförsäkringen efter insats", "share", "andel", "2018", "2017",
                           lines, [chart], "Andel av dem som avslutat efter insats. Version 1.")


def years_indicator() -> ReportIndicator:
    lines = [line("Totalt", None, None, cell(3.5, "years"), cell(3.4, "years")),
             line("Kvinnor", "kon", "K", cell(3.6, "years"), none_cell()),
             line("Män", "kon", "M", cell(3.4, "years"), cell(3.3, "years")),
             line("Unga med aktivitetsersättning", "behovsgrupp", "ua", cell(3.5, "years"), cell(3.4, "years"))]
    return ReportIndicator("ar_med_aktivitetsersattning_vid_insatsstart", 1,
                           "År med aktivitetsersättning vid insatsstart", "years", "år", "2018", "2017",
                           lines, footnote="Medelvärde av antal år med aktivitetsersättning. Version 1.")


def days_indicator() -> ReportIndicator:
    lines = [line("Totalt", None, None, cell(811, "days"), None)]
    return ReportIndicator("sjukpenningdagar_vid_insatsstart", 1, "Sjukpenningdagar vid insatsstart", "days",
                           "dagar", "2018", None, lines)


def sample_report(title="Förstärkt samarbete och samordningsförbund 2018") -> Report:
    sections = [Section("forstarkt_samarbete", "Förstärkt samarbete",
                        "Förstärkt stöd för personer som är sjukskrivna och för unga med aktivitetsersättning. "
                        "Återrapportering till regeringen 2019-05-17", [counts_indicator(), share_indicator()]),
                Section("samordningsforbund", "Samordningsförbund",
                        "Insatser finansierade genom samordningsförbund. Återrapportering till regeringen 2019-05-17",
                        [years_indicator(), days_indicator()])]
    return Report(title, "2018", "2017", "syntetiska data (seed 42)", "4fee200", "2019-05-17", 3, sections,
                  ["Uppgifterna bygger på registerdata från Försäkringskassan och Arbetsförmedlingen.",
                   "Andelar avrundas till hela procent."])


@pytest.fixture(scope="module")
def report():
    return sample_report()


@pytest.fixture(scope="module")
def html(report):
    return to_html(report)


class TagBalance(HTMLParser):
    """Checks that container elements open and close in order."""
    CHECKED: ClassVar[set[str]] = {"html", "head", "body", "main", "nav", "section", "div", "table", "thead",
                                   "tbody", "tr", "th", "td", "svg", "g", "figure", "ul", "ol", "li", "dl", "p",
                                   "h1", "h2", "h3", "caption"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.seen = [], [], set()

    def handle_starttag(self, tag, attrs):
        if tag in self.CHECKED:
            self.stack.append(tag)
            self.seen.add(tag)

    def handle_endtag(self, tag):
        if tag in self.CHECKED:
            if not self.stack or self.stack[-1] != tag:
                self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            else:
                self.stack.pop()


def svgs(text: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", text, re.S)


def test_html_is_offline(html):
    without_ns = html.replace(f'xmlns="{SVG_NS}"', "")
    for forbidden in ("http://", "https://", "//cdn", "<script", "<link", " src=", "@import", "url("):
        assert forbidden not in without_ns, forbidden
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="sv">' in html and '<meta charset="utf-8">' in html


def test_html_tags_balance(html):
    parser = TagBalance()
    parser.feed(html)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack
    assert {"section", "table", "svg", "nav", "caption"} <= parser.seen
    assert html.count("<section") == 3  # two report sections and the method notes


def test_html_shows_swedish_layout(html):
    for text in ("Förstärkt samarbete", "Samordningsförbund", "Innehåll", "Rapportår 2018, jämförelseår 2017",
                 "Kön", "Ersättning", "Län", "Behovsgrupp", "Kvinnor", "Aktivitetsersättning",
                 "8\u00a0306", "10\u00a0010", format_number(0.58, "share", 0), "3,5",
                 "Metod och teckenförklaring",
                 "Andelar avrundas till hela procent.", "Under 2018 har 8 306 gemensamma kartläggningar",
                 'id="antal_gemensamma_kartlaggningar"', 'href="#antal_gemensamma_kartlaggningar"',
                 '<th scope="col">2018</th>', '<th scope="col">2017</th>', 'scope="rowgroup"',
                 "tabular-nums", "@media print"):
        assert text in html, text
    assert "Källa: Förstärkt stöd för personer" in html


def test_html_suppressed_cells(html):
    cells = re.findall(r'<td class="num suppressed"[^>]*>.*?</td>', html)
    assert len(cells) == 2  # Gotland and Jämtland, 2018
    assert len(set(cells)) == 1  # primary and secondary look the same
    assert f'title="{EXPLANATION}"' in cells[0] and ">..<span" in cells[0]
    assert '<td class="num na">.<span class="visually-hidden"> (uppgift kan inte förekomma)</span></td>' in html
    assert html.count(f'<p class="tablenote">.. = {EXPLANATION}</p>') == 1  # only the table with ".."
    assert f"<dt>..</dt>\n<dd>{EXPLANATION}</dd>" in html


@pytest.mark.parametrize("render", [to_html, to_markdown])
def test_no_words_for_the_kind_of_suppression(report, render):
    text = render(report).lower()
    for word in KIND_WORDS:
        assert word not in text, word


@pytest.mark.parametrize("render", [to_html, to_markdown])
def test_suppressed_value_never_shown(report, render):
    text = render(report)
    for secret in (SECRET_VALUE, SECRET_N):
        assert str(secret) not in text
        assert format_number(secret) not in text


def test_html_escapes_text():
    text = to_html(sample_report(title='<script>alert("x")</script> & co'))
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in text


def test_every_svg_is_well_formed(html):
    found = svgs(html)
    assert len(found) == 3
    for svg in found:
        root = ET.fromstring(svg)
        assert root.tag == f"{{{SVG_NS}}}svg"
        assert root.get("role") == "img" and root.get("aria-label")
        assert root.find(f"{{{SVG_NS}}}title").text
        assert "<script" not in svg and "http" not in svg.replace(SVG_NS, "")


def chart_parts(svg: str):
    root = ET.fromstring(svg)
    groups = {g.get("class"): g for g in root.iter(f"{{{SVG_NS}}}g")}
    bars = groups["bars"].findall(f"{{{SVG_NS}}}rect")
    texts = [t.text for t in groups["bars"].findall(f"{{{SVG_NS}}}text")]
    ticks = [t.text for t in groups["grid"].findall(f"{{{SVG_NS}}}text")] if "grid" in groups else []
    return root, groups, bars, texts, ticks


def test_svg_trend_chart():
    chart = counts_indicator().charts[0]
    root, groups, bars, texts, ticks = chart_parts(svg_chart(chart))
    assert len(bars) == 3 and texts == ["9\u00a0570", "10\u00a0010", "8\u00a0306"]
    assert ticks[0] == "0" and 4 <= len(ticks) <= 6
    assert ticks[-1] == "12\u00a0500"
    assert "legend" not in groups  # one series
    assert root.get("width") == "340" and root.get("class") == "chart"  # drawn for a phone
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] > heights[0] > heights[2] > 0


def test_svg_split_chart_with_suppressed_cell():
    chart = counts_indicator().charts[1]
    _, groups, bars, texts, _ = chart_parts(svg_chart(chart))
    assert len(bars) == 3  # four cells, one suppressed: no bar
    assert ".." in texts
    legend = [t.text for t in groups["legend"].iter(f"{{{SVG_NS}}}text")]
    assert legend == ["2017", "2018"]
    categories = [t.text for t in groups["categories"]]
    assert categories == ["Kvinnor", "Män"]


def test_svg_share_chart_ticks_are_percent():
    chart = share_indicator().charts[0]
    svg = svg_chart(chart)
    _, _, bars, texts, ticks = chart_parts(svg)
    assert all(t.endswith("%") for t in ticks) and ticks[0] == format_number(0, "share", 0)
    assert len(bars) == 3 and texts.count("..") == 1
    assert str(SECRET_VALUE) not in svg


def test_svg_is_deterministic():
    chart = share_indicator().charts[0]
    assert svg_chart(chart) == svg_chart(chart)


@pytest.mark.parametrize("top,unit", [(1, "count"), (7, "count"), (99, "count"), (100, "count"),
                                      (10010, "count"), (0.62, "share"), (3.6, "years"), (0, "count"),
                                      (0, "share"), (1285, "days"), (0.004, "share")])
def test_axis_ticks_cover_the_values(top, unit):
    ticks = axis_ticks(top, unit)
    assert ticks[0] == 0 and ticks[-1] >= top and 4 <= len(ticks) <= 6
    steps = {round(b - a, 9) for a, b in pairwise(ticks)}
    assert len(steps) == 1
    if unit in ("count", "days"):
        assert all(float(t).is_integer() for t in ticks)


def test_markdown_has_the_tables(report):
    text = to_markdown(report)
    assert text.startswith("# Förstärkt samarbete och samordningsförbund 2018\n")
    assert "## Förstärkt samarbete" in text and "## Samordningsförbund" in text
    assert "### Antal gemensamma kartläggningar" in text
    assert "|  | 2017 | 2018 |" in text and "|:---|---:|---:|" in text  # oldest first
    assert "| **Totalt** | 10\u00a0010 | 8\u00a0306 |" in text
    assert "| *Kön* | | |" in text
    assert "| Gotlands län | . | .. |" in text.replace("\u00a0", "")
    assert "| Jämtlands län | 50% | .. |" in text.replace("\u00a0", "")
    assert text.count(f"\n.. = {EXPLANATION}") == 1  # only under the table with ".."
    assert "\n. = Uppgift kan inte förekomma." in text  # and "." where a table shows it
    assert f"- `..` {EXPLANATION}" in text
    assert "|  | 2018 |\n|:---|---:|" in text  # an indicator without comparison
    assert "Diagram" not in text and "HTML-versionen" not in text  # no chart named without its figures
    # a trend holds a year the table does not: its figures as a small table; the split by kön is the table's own
    assert "*Gemensamma kartläggningar 2016–2018*\n\n|  | 2016 | 2017 | 2018 |\n|:---|---:|---:|---:|\n" \
           "| Totalt | 9\u00a0570 | 10\u00a0010 | 8\u00a0306 |" in text
    assert "<svg" not in text
    assert "Andelar avrundas till hela procent." in text


def sheet_cells(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str | None, str]]:
    """Each cell of a sheet as reference -> (type attribute, shown value: shared strings resolved)."""
    strings = [si.findtext(f"{MAIN_NS}t") or "".join(t.text or "" for t in si.iter(f"{MAIN_NS}t"))
               for si in ET.fromstring(archive.read("xl/sharedStrings.xml"))]
    cells = {}
    for c in ET.fromstring(archive.read(path)).iter(f"{MAIN_NS}c"):
        value = c.findtext(f"{MAIN_NS}v")
        kind = c.get("t")
        cells[c.get("r")] = (kind, strings[int(value)] if kind == "s" and value is not None else value)
    return cells


def row_of(cells, label: str, after: int = 0) -> int:
    rows = sorted(int(ref[1:]) for ref, (_, v) in cells.items() if ref[0] == "A" and v == label)
    return next(r for r in rows if r > after)


@pytest.fixture(scope="module")
def workbook(report):
    data = to_xlsx(report)
    assert data[:2] == b"PK"
    return zipfile.ZipFile(io.BytesIO(data))


def test_xlsx_sheets(workbook):
    assert workbook.testzip() is None
    book = ET.fromstring(workbook.read("xl/workbook.xml"))
    names = [s.get("name") for s in book.iter(f"{MAIN_NS}sheet")]
    assert names == ["Om rapporten", "Förstärkt samarbete", "Samordningsförbund"]
    about = sheet_cells(workbook, "xl/worksheets/sheet1.xml")
    shown = {v for _, v in about.values()}
    assert "Förstärkt samarbete och samordningsförbund 2018" in shown
    assert "Andelar avrundas till hela procent." in shown and ".." in shown
    assert f"3 personer. {EXPLANATION}" in shown and EXPLANATION in shown


def test_xlsx_numbers_are_numbers(workbook):
    cells = sheet_cells(workbook, "xl/worksheets/sheet2.xml")
    total = row_of(cells, "Totalt")
    assert cells[f"B{total}"] == (None, "10010") and cells[f"C{total}"] == (None, "8306")  # oldest first
    assert f"D{total}" not in cells and not any(v == "n 2018" for _, v in cells.values())  # no unit counts
    women = row_of(cells, "Kvinnor")
    assert cells[f"C{women}"] == (None, "5012")
    share_total = row_of(cells, "Totalt", after=total)
    assert cells[f"C{share_total}"] == (None, "0.58")
    # one header row for the sheet: the years, oldest first; each block's title says its unit
    assert [cells[f"{c}3"] for c in "ABCD"] == [("s", "Indikator och redovisningsgrupp"), ("s", "2017"),
                                                ("s", "2018"), ("s", "Anmärkning")]
    assert cells[f"A{total - 1}"] == ("s", "Antal gemensamma kartläggningar (antal)")
    numeric = [v for k, v in cells.values() if k not in ("s", "str", "inlineStr") and v is not None]
    assert numeric and all(float(v) == float(v) for v in numeric)
    styles = workbook.read("xl/styles.xml").decode()
    assert 'formatCode="0%"' in styles and 'formatCode="0.0"' in styles
    assert "#,##0" in styles  # built-in format 3, referenced by id


def test_xlsx_suppressed_cells_are_text_with_a_reason(workbook):
    cells = sheet_cells(workbook, "xl/worksheets/sheet2.xml")
    gotland = row_of(cells, "Gotlands län")
    assert cells[f"C{gotland}"] == ("s", "..") and cells[f"B{gotland}"] == ("s", ".")
    jamtland = row_of(cells, "Jämtlands län")
    assert cells[f"C{jamtland}"] == ("s", "..") and cells[f"B{jamtland}"] == (None, "0.5")
    # the same note for a primary (Gotland) and a secondary (Jämtland) cell
    assert cells[f"D{gotland}"] == cells[f"D{jamtland}"] == ("s", "2018: redovisas inte av röjandeskäl")
    values = {v for _, v in cells.values()}
    assert str(SECRET_VALUE) not in values and str(SECRET_N) not in values
    comments = [workbook.read(n).decode() for n in workbook.namelist() if "comments" in n]
    assert len(comments) == 1
    texts = [t.text for t in ET.fromstring(comments[0]).iter(f"{MAIN_NS}t")]
    assert texts == [EXPLANATION, EXPLANATION]


def test_xlsx_has_no_words_for_the_kind_of_suppression(workbook):
    for name in workbook.namelist():
        text = workbook.read(name).decode()
        for word in KIND_WORDS:
            assert word not in text.lower(), (name, word)
        assert str(SECRET_VALUE) not in text and str(SECRET_N) not in text, name


def map_cells(report: Report, change) -> Report:
    """A copy of the report with `change` applied to every cell of every table and chart."""
    def indicator(i):
        lines = [dataclasses.replace(line, current=change(line.current),
                                     previous=None if line.previous is None else change(line.previous))
                 for line in i.lines]
        charts = [dataclasses.replace(ch, series=[(label, [change(c) for c in cells]) for label, cells in ch.series])
                  for ch in i.charts]
        return dataclasses.replace(i, lines=lines, charts=charts)
    sections = [dataclasses.replace(s, indicators=[indicator(i) for i in s.indicators]) for s in report.sections]
    return dataclasses.replace(report, sections=sections)


def swap_kind(c: Cell) -> Cell:
    other = {"primary": "secondary", "secondary": "primary"}
    return dataclasses.replace(c, suppressed=other[c.suppressed]) if c.suppressed else c


def blank_if_suppressed(c: Cell) -> Cell:
    return Cell(None, None, SUPPRESSED, "primary") if c.suppressed else c


def table_kinds(report: Report) -> list[str]:
    return [c.suppressed for s in report.sections for i in s.indicators for line in i.lines
            for c in (line.current, line.previous) if c is not None and c.suppressed]


def test_the_kind_of_suppression_cannot_be_told(report):
    """A primary and a secondary cell are rendered alike: swapping their kinds changes no byte.

    Nor does what else a suppressed cell happens to hold (value, n, text): blanking it changes nothing.
    """
    swapped = map_cells(report, swap_kind)
    assert table_kinds(report) == ["primary", "secondary"] and table_kinds(swapped) == ["secondary", "primary"]
    for other in (swapped, map_cells(report, blank_if_suppressed)):
        assert to_html(other) == to_html(report)
        assert to_markdown(other) == to_markdown(report)
        before, after = (zipfile.ZipFile(io.BytesIO(to_xlsx(r))) for r in (report, other))
        assert before.namelist() == after.namelist()
        assert "xl/sharedStrings.xml" in before.namelist() and any("comments" in n for n in before.namelist())
        for name in before.namelist():  # every sheet, the comments, the shared strings, "Om rapporten"
            assert before.read(name) == after.read(name), name
        assert to_xlsx(other) == to_xlsx(report)


def test_xlsx_years_and_missing(workbook):
    cells = sheet_cells(workbook, "xl/worksheets/sheet3.xml")
    total = row_of(cells, "Totalt")
    assert cells[f"C{total}"] == (None, "3.5")
    women = row_of(cells, "Kvinnor")
    assert cells[f"B{women}"] == ("s", ".")
    assert ("s", "Kön") in cells.values() and ("s", "Behovsgrupp") in cells.values()


def test_sheet_names_are_valid_and_unique():
    taken = {"om rapporten"}
    long = sheet_name("Insatser finansierade genom samordningsförbund", taken)
    assert len(long) <= 31
    assert sheet_name("Om rapporten", taken) == "Om rapporten (2)"
    assert sheet_name("a/b: [c]?", taken) == "a b c"
    again = sheet_name("Insatser finansierade genom samordningsförbund", taken)
    assert again != long and len(again) <= 31


def test_rendering_is_deterministic(report):
    assert to_html(report) == to_html(sample_report())
    assert to_markdown(report) == to_markdown(sample_report())
    assert to_xlsx(report) == to_xlsx(sample_report())


@pytest.mark.parametrize("chart", [
    Chart("Tomt", "count", [], []),
    Chart("Bara saknade", "share", ["2017", "2018"], [("Totalt", [none_cell(), primary()])]),
    Chart("Negativt & <udda>", "days", ["a"], [("Totalt", [Cell(-5, 10, "-5")])]),
    Chart("Ej ändligt", "years", ["a", "b"], [("Totalt", [Cell(float("nan"), 10, "–"), cell(3.5, "years")])]),
    Chart("Kort serie", "count", ["a", "b", "c"], [("Totalt", [cell(1)])]),
])
def test_svg_odd_charts_stay_well_formed(chart):
    svg = svg_chart(chart)
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    for element in root.iter():
        for name in ("x", "y", "width", "height", "x1", "x2", "y1", "y2"):
            if element.get(name) is not None:
                assert math.isfinite(float(element.get(name))), (element.tag, name)


def test_svg_chart_without_any_bar_has_no_scale():
    svg = svg_chart(Chart("Bara saknade", "share", ["2017", "2018"], [("Totalt", [none_cell(), primary()])]))
    _, _, bars, texts, ticks = chart_parts(svg)
    assert not bars and not ticks and texts == [".", ".."]
    assert "Inga uppgifter att visa" in svg and "%" not in svg


def test_xlsx_links_the_sheets_internally(workbook):
    sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "location=\"'Förstärkt samarbete'!A1\"" in sheet
    assert not any(n.endswith("sheet1.xml.rels") for n in workbook.namelist())  # no external target


# --- periods, symbols, year order, names, contrast, XLSX sheets -------------------------------------------

def test_swedish_period_labels():
    from engine.periods import swedish_label, swedish_part
    assert [swedish_label(p) for p in ("2018", "2018H1", "2018H2", "2018Q1", "2018Q4", "2018-12", "2016–2018")] == [
        "2018", "januari–juni 2018", "juli–december 2018", "januari–mars 2018", "oktober–december 2018",
        "december 2018", "2016–2018"]
    assert swedish_part("2018H2") == "juli–december" and swedish_part("2018") == ""


def period_report() -> Report:
    """A half-year indicator whose comparison period is not applicable, and a month."""
    lines = [line("Totalt", None, None, cell(0.2, "share", decimals=0), none_cell()),
             line("Kvinnor", "kon", "K", cell(0.21, "share", decimals=0), none_cell())]
    half = ReportIndicator("andel_h2", 1, "Andel med omställningsmöte", "share", "andel", "2018H2", "2017H2", lines,
                           [Chart("Andel med omställningsmöte: fördelning efter kön, juli–december 2017 och "
                                  "juli–december 2018", "share", ["Kvinnor"],
                                  [("juli–december 2017", [none_cell()]),
                                   ("juli–december 2018", [cell(0.21, "share", decimals=0)])])],
                           notes=["Omställningsmöten infördes i juni 2018. För juli–december 2017 kan uppgiften "
                                  "därför inte förekomma och visas med en punkt (.)."])
    month = ReportIndicator("median_12", 1, "Median i december", "days", "dagar", "2018-12", "2017-12",
                            [line("Totalt", None, None, cell(1285, "days"), cell(1024, "days"))])
    return Report("Perioder", "2018", "2017", "test", "x", "2019-05-17", 3,
                  [Section("s", "Avsnitt", "", [half, month])])


def test_periods_are_swedish_and_oldest_first_in_every_format():
    report = period_report()
    text = to_html(report)
    assert '<th scope="col">juli–december 2017</th><th scope="col">juli–december 2018</th>' in text
    assert '<th scope="col">december 2017</th><th scope="col">december 2018</th>' in text
    assert "2018H2" not in text.replace('id="andel_h2', "") and "2017-12" not in text
    assert "visas med en punkt (.)." in text and '<td class="num na">.<span' in text
    markdown = to_markdown(report)
    assert "|  | juli–december 2017 | juli–december 2018 |" in markdown
    assert "| **Totalt** | . | 20" in markdown and "2018H2" not in markdown
    book = zipfile.ZipFile(io.BytesIO(to_xlsx(report)))
    cells = sheet_cells(book, "xl/worksheets/sheet2.xml")
    assert ("s", "Andel med omställningsmöte (andel, juli–december)") in cells.values()
    assert ("s", "Median i december (dagar, december)") in cells.values()
    total = row_of(cells, "Totalt")
    assert cells[f"B{total}"] == ("s", ".") and cells[f"C{total}"] == (None, "0.2")


def test_zero_and_less_than_half_the_unit_keep_their_own_symbols():
    """SCB: "–" is exactly none, "0" less than half the unit; in XLSX both are numbers, none shown as "–"."""
    zero, small = Cell(0, 0, "\u2013"), Cell(0.0, 300, format_number(0.0, "share", 0))
    item = ReportIndicator("a", 1, "A", "share", "andel", "2018", None,
                           [line("Totalt", None, None, zero, None), line("Kvinnor", "kon", "K", small, None)])
    report = Report("T", "2018", None, "test", "x", "2019-05-17", 3, [Section("s", "S", "", [item])])
    text = to_html(report)
    assert '<td class="num">\u2013<span class="visually-hidden"> (noll)</span></td>' in text
    assert f'<td class="num">{format_number(0.0, "share", 0)}</td>' in text
    book = zipfile.ZipFile(io.BytesIO(to_xlsx(report)))
    cells = sheet_cells(book, "xl/worksheets/sheet2.xml")
    assert cells[f"B{row_of(cells, 'Totalt')}"] == (None, "0") and cells[f"B{row_of(cells, 'Kvinnor')}"] == (None, "0")
    styles = book.read("xl/styles.xml").decode()
    assert 'formatCode="0%;-0%;&quot;\u2013&quot;"' in styles


def test_the_legend_follows_scb():
    from engine.report_formats import legend_entries
    signs = [sign for sign, _ in legend_entries(3)]
    assert signs == ["\u2013", "0", ".", ".."]
    meanings = dict(legend_entries(3))
    assert meanings["\u2013"].startswith("Noll") and "kan inte förekomma" in meanings["."]
    assert meanings["0"].startswith("Mindre än hälften av den använda enheten")


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_bar_colour_has_3_to_1_contrast():
    """WCAG 2.1, 1.4.11 (non-text contrast): each bar against the white page, and the two bars of a year pair
    against each other."""
    from engine.report_formats import PALETTE, series_colours
    assert all(contrast(c, "#ffffff") >= 3 for c in PALETTE), [(c, round(contrast(c, "#ffffff"), 2)) for c in PALETTE]
    older, newer = series_colours(2)
    assert contrast(older, newer) >= 3 and relative_luminance(older) > relative_luminance(newer)
    used = set(re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', to_html(sample_report())))
    assert used and used <= set(PALETTE)


def test_a_skip_link_a_content_policy_and_names_for_screen_readers(html):
    assert html.index('<a class="skip-link" href="#innehall">') < html.index("<h1>")
    assert '<main id="innehall" tabindex="-1">' in html
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';" in html
    captions = re.findall(r"<caption[^>]*>(.*?)</caption>", html)
    assert len(captions) == len(set(captions)) == 4
    assert '<span class="visually-hidden">Antal gemensamma kartläggningar: </span>Antal, 2017 och 2018' in html


def test_a_title_cannot_end_the_style_element():
    text = to_html(sample_report(title="</style><script>alert(1)</script>"))
    style = text[text.index("<style>"):text.index("</style>")]
    assert "<" not in style[1:] and "\\3c /style\\3e " in style


def test_sheet_names_are_cut_at_a_word():
    taken: set[str] = set()
    assert sheet_name("Förstärkt samarbete mellan Försäkringskassan och Arbetsförmedlingen", taken) == \
        "Förstärkt samarbete"
    assert sheet_name("Insatser finansierade genom samordningsförbund", taken) == "Insatser finansierade"
    assert sheet_name("Insatser finansierade genom samordningsförbund", taken) == "Insatser finansierade (2)"
    assert sheet_name("Ettmycketlångtordsomintefårplatsiettbladnamn", taken) == "Ettmycketlångtordsomintefårplat"


def test_xlsx_freezes_the_header_row_and_prints_it_on_every_page(workbook):
    for sheet in ("sheet2", "sheet3"):
        xml = workbook.read(f"xl/worksheets/{sheet}.xml").decode()
        pane = re.search(r"<pane [^>]*/>", xml).group(0)
        assert 'xSplit="1"' in pane and 'ySplit="3"' in pane and 'state="frozen"' in pane
        cells = sheet_cells(workbook, f"xl/worksheets/{sheet}.xml")
        assert cells["A3"] == ("s", "Indikator och redovisningsgrupp")
    assert "_xlnm.Print_Titles" in workbook.read("xl/workbook.xml").decode()
    cells = sheet_cells(workbook, "xl/worksheets/sheet2.xml")
    published = [v for _, v in cells.values() if v and v.startswith("Under 2018")]
    assert published == ["Under 2018 har 8 306 gemensamma kartläggningar genomförts – stämmer."]  # no prefix
    assert not any(v and v.startswith("Publicerat: ") for _, v in cells.values())


def test_the_headline_breakdown_comes_first_in_bold():
    lines = [line("Totalt (inte publicerat)", None, None, cell(993, "days"), cell(869, "days")),
             line("Kvinnor", "kon", "K", cell(953, "days"), cell(833, "days")),
             line("Sjukpenning", "ersattning", "sjukpenning", cell(823, "days"), cell(719, "days"))]
    item = ReportIndicator("dag", 1, "Dag i fallet", "days", "dagar", "2018", "2017", lines, headline="ersattning")
    report = Report("T", "2018", "2017", "test", "x", "2019-05-17", 3, [Section("s", "S", "", [item])])
    text = to_html(report)
    rows = re.findall(r"<tr( class=\"total\")?><th scope=\"row\"[^>]*>([^<]+)</th>", text)
    assert rows[:3] == [(' class="total"', "Sjukpenning"), ("", "Totalt (inte publicerat)"), ("", "Kvinnor")]
    markdown = to_markdown(report)
    assert markdown.index("**Sjukpenning**") < markdown.index("Totalt (inte publicerat)") < markdown.index("Kvinnor")


def test_chart_text_is_never_scaled_down_and_a_crowded_chart_scrolls_instead():
    """Every text of a chart is FONT units (13) of a chart CHART_WIDTH (340) wide, about 1:1 on a 390 px phone;
    a chart whose bars need more room is drawn wider (class "wide", scrolled in its figure), never smaller."""
    from engine.report_formats import CHART_WIDTH, FONT
    for svg in svgs(to_html(sample_report())):
        root = ET.fromstring(svg)
        assert root.get("width") == str(CHART_WIDTH) and root.get("font-size") == str(FONT)
        sizes = [float(t.get("font-size")) for t in root.iter(f"{{{SVG_NS}}}text") if t.get("font-size")]
        assert all(size >= FONT for size in sizes), sizes
    counties = [f"Län {i}" for i in range(21)]
    crowded = Chart("Många län", "count", counties, [("2017", [cell(100 + i) for i in range(21)]),
                                                     ("2018", [cell(200 + i) for i in range(21)])])
    root = ET.fromstring(svg_chart(crowded))
    assert "wide" in root.get("class").split() and float(root.get("width")) > CHART_WIDTH
    bars = root.find(f"{{{SVG_NS}}}g[@class='bars']").findall(f"{{{SVG_NS}}}rect")
    assert len(bars) == 42 and min(float(b.get("width")) for b in bars) >= FONT  # room for an upright label
