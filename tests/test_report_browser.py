"""The yearly report of the national-scale extract in headless Chromium, and printed to PDF.

At 390 px (a phone) and 1280 px: no horizontal scrolling, chart text at least 12 px, no console
error, no request outside the file, unique names for every chart and table, a working skip link.
Printed (engine.pdf, the same path as `report --format pdf`): A4, a page count in the expected
range, an outline (bookmarks). Driven over the DevTools pipe (engine.browser); skipped when no
chromium is installed, unless INDICATORS_REQUIRE_BROWSER=1 (CI sets it: .ci/run).
"""
from __future__ import annotations

import os
import re
import zlib

import pytest

from browser import Browser, BrowserError, find_chromium
from engine import api
from engine.pdf import html_to_pdf
from engine.report_formats import PALETTE, to_html
from engine.synthetic import generate


@pytest.fixture(scope="module")
def browser():
    required = os.environ.get("INDICATORS_REQUIRE_BROWSER") == "1"
    if find_chromium() is None:
        if required:
            pytest.fail("INDICATORS_REQUIRE_BROWSER=1 but no chromium is installed (Debian: apt-get install chromium)")
        pytest.skip("no chromium installed (Debian: apt-get install chromium); INDICATORS_REQUIRE_BROWSER=1 "
                    "makes this a failure")
    try:
        with Browser(offline=True) as started:
            yield started
    except BrowserError as exc:
        if required:
            raise
        pytest.skip(f"chromium did not start: {exc}")


@pytest.fixture(scope="module")
def built(catalogue, tmp_path_factory):
    data = tmp_path_factory.mktemp("national") / "demo.duckdb"
    generate(data, scale=1.0, seed=1)  # the extract of make demo: every published figure holds on it
    return api.report(catalogue, data, "2018", "2017", generated="2019-05-17")


@pytest.fixture(scope="module")
def html_file(built, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "aterrapportering_2018.html"
    path.write_text(to_html(built), encoding="utf-8")
    return path


MEASURE = """(() => {
  const root = document.documentElement;
  const charts = [...document.querySelectorAll('svg.chart')];
  const sizes = charts.flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  });
  const sticking = [...document.querySelectorAll('body *')].filter(e => {
    if (e.closest('.table-wrap, .chart-scroll, .visually-hidden, .skip-link')) return false;
    return e.getBoundingClientRect().right > root.clientWidth + 0.5;
  }).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right));
  return {scrollWidth: root.scrollWidth, bodyWidth: document.body.scrollWidth, charts: charts.length,
          smallest: Math.min(...sizes), sticking: sticking.slice(0, 5)};
})()"""


@pytest.mark.parametrize("width", [390, 1280])
def test_fits_the_screen_with_readable_charts_and_nothing_from_outside(browser, html_file, built, width):
    page = browser.open(html_file, width=width)
    measured = page.evaluate(MEASURE)
    assert measured["scrollWidth"] <= width and measured["bodyWidth"] <= width, measured
    assert measured["sticking"] == [], measured
    assert measured["charts"] == sum(len(i.charts) for s in built.sections for i in s.indicators)
    assert measured["smallest"] >= 12, measured  # px, as shown: no chart text shrinks below 12 px
    assert page.errors == []
    assert page.requests and all(url.startswith(("file:", "data:")) for url in page.requests), page.requests


def test_every_chart_and_table_has_a_name_of_its_own(browser, html_file):
    page = browser.open(html_file, width=1280)
    charts = page.evaluate("[...document.querySelectorAll('svg[role=img]')].map(s => s.getAttribute('aria-label'))")
    captions = page.evaluate("[...document.querySelectorAll('caption')].map(c => c.textContent.trim())")
    regions = page.evaluate("[...document.querySelectorAll('[role=region]')].map(r => "
                            "document.getElementById(r.getAttribute('aria-labelledby')).textContent.trim())")
    for names in (charts, captions, regions):
        assert names and len(names) == len(set(names)), [n for n in names if names.count(n) > 1][:3]
    assert any("fördelning efter ersättning, 2017 och 2018" in n for n in charts)
    assert "Andel med omställningsmöte bland dem vars rätt till sjukpenning upphört: Andel, juli–december 2017 " \
           "och juli–december 2018" in captions
    fills = set(page.evaluate("[...document.querySelectorAll('svg.chart .bars rect')]"
                              ".map(r => r.getAttribute('fill'))"))
    assert fills and fills <= set(PALETTE)  # each at least 3:1 against white (tests/test_report_formats.py)


def test_the_skip_link_comes_first_and_leads_to_the_content(browser, html_file):
    page = browser.open(html_file, width=390)
    browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Tab", "code": "Tab",
                                            "windowsVirtualKeyCode": 9})
    browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9})
    focused = page.evaluate("(() => { const a = document.activeElement; const r = a.getBoundingClientRect(); "
                            "return [a.className, a.getAttribute('href'), r.top >= 0 && r.bottom <= innerHeight, "
                            "document.documentElement.lang]; })()")
    assert focused == ["skip-link", "#innehall", True, "sv"]
    assert page.evaluate("document.querySelector('main').id") == "innehall"


def pdf_pages(data: bytes) -> int:
    """The pages of a PDF: its /Type /Page objects (not /Pages), in plain objects and in object streams."""
    streams = [data]
    for match in re.finditer(rb"/Filter\s*/FlateDecode.*?stream\r?\n", data, re.S):
        end = data.find(b"endstream", match.end())
        try:
            streams.append(zlib.decompress(data[match.end():end]))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", s)) for s in streams)


def test_the_printed_report(built, browser):
    """The national report printed on A4: 13 pages as laid out now (a title page with the contents; the
    12 indicators of förstärkt samarbete on 6 pages and the 9 of samordningsförbund on 4, each section from
    a new page, an indicator kept on one page; the method section on 2). 10 to 16 pages allows a line more or
    less per indicator; 25 pages (the layout before, one indicator and much white per page) or a collapsed
    print style sheet fall outside."""
    data = html_to_pdf(to_html(built))
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert 10 <= pages <= 16, pages
    assert b"/Outlines" in data and re.search(rb"/MediaBox\s*\[\s*0 0 59[45]\.\d+ 841\.\d+", data)  # bookmarks, A4


SHOTS = [  # (file, width, the element at the top, height): the README's pictures
    ("report.png", 900, "body", 1500),
    ("report-samordningsforbund.png", 900, "#avsnitt-samordningsforbund", 1700),
    ("report-phone.png", 390, "#kartlaggning_dag_i_fallet", 1300),
]


def test_screenshots(browser, html_file, tmp_path):
    """The README's pictures of the report (kept in INDICATORS_REPORT_SHOTS when set, e.g. docs)."""
    import base64
    from pathlib import Path
    folder = Path(os.environ.get("INDICATORS_REPORT_SHOTS") or tmp_path)
    for name, width, selector, height in SHOTS:
        page = browser.open(html_file, width=width)
        top = page.evaluate(f"Math.max(0, document.querySelector({selector!r}).getBoundingClientRect().top "
                            "+ scrollY - 12)")
        data = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": top, "width": width, "height": height, "scale": 1}})["data"]
        shot = folder / name
        shot.write_bytes(base64.b64decode(data))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
