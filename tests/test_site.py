"""The catalogue site (`indicators docs`, engine.site): pages, escaping, determinism, and in a real browser.

The browser tests drive Debian's headless `chromium` over the DevTools pipe (tests/browser.py):
one browser for the module, every page loaded at 1280 px and at 390 px. They are skipped when
no chromium is installed, unless INDICATORS_REQUIRE_BROWSER=1 (CI sets it: .ci/run).
"""
from __future__ import annotations

import html
import itertools
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser import Browser, BrowserError, find_chromium
from conftest import ROOT
from engine import api
from engine.diagnostics import EngineError
from engine.site import (
    DataResults,
    _attrition_section,
    anchor,
    build_site,
    git_history,
    model_svg,
    representative_period,
)
from engine.synthetic import generate

WIDTHS = (1280, 390)


def html_text(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------- without a browser


@pytest.fixture(scope="module")
def pages(catalogue):
    return build_site(catalogue)


def test_one_page_per_indicator_and_the_shared_pages(catalogue, pages):
    expected = {"index.html", "model.html", "sources.html", "style.css"} | {
        f"indicators/{i}.html" for i in catalogue.indicators}
    assert set(pages) == expected
    index = pages["index.html"].decode()
    for ident, bound in catalogue.indicators.items():
        assert f'href="indicators/{ident}.html"' in index
        page = pages[f"indicators/{ident}.html"].decode()
        assert '<html lang="sv">' in page and 'href="#main"' in page and 'id="main"' in page
        for section in ("forklaring", "harkomst", "definition", "sql", "fixtur", "publicerat", "historik", "rapport"):
            assert f'id="{section}"' in page, (ident, section)
        assert page.count("<h1>") == 1 and f"<h1>{html_text(bound.info.title['sv'])}</h1>" in page
        for dialect in ("duckdb", "spark", "postgres", "trino", "bigquery", "snowflake"):
            assert f'id="sql-{dialect}"' in page
        assert page.count('<li id="yaml-L') == len(catalogue.documents[ident].text.splitlines())
        for figure in bound.info.published:
            assert f'id="figure-{anchor(figure.id)}"' in page
            assert html_text(catalogue.project.citation(figure.source, figure.at)) in page


def test_the_indicator_page_carries_the_explanation_fixture_history_and_report_place(catalogue, pages):
    page = pages["indicators/andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser.html"].decode()
    assert "Populationen är densamma som i antal_avslutade_efter_insats" in page   # explain, Swedish
    assert "The population is that of antal_avslutade_efter_insats" in page         # explain, English
    assert "som indikator 8 av 12" in page                                          # its place in the report
    assert 'href="../model.html#samarbete-utfall"' in page                          # lineage, linked
    assert 'href="../model.html#samarbete-lamnat_sjukforsakringen"' in page        # its calculated column
    assert 'href="../indicators/antal_avslutade_efter_insats.html"' in page        # the base
    assert "(11 rader)" in page and "Period 2018" in page                            # the golden fixture
    assert "Inga ändringar är antecknade" in page
    # a figure links to its line of the YAML
    assert re.search(r'href="#yaml-L24">rad 24<', page)
    no_report = pages["indicators/kontaktmoten_per_person.html"].decode()
    assert "Indikatorn ingår inte i någon rapport." in no_report


def test_a_refusing_dialect_states_its_reason(catalogue, pages):
    from engine.render import CompileRefused
    refused = []
    for ident in sorted(catalogue.indicators):
        for dialect in ("spark", "postgres", "trino", "bigquery", "snowflake"):
            try:
                api.compile_indicator(catalogue, ident, "2018", dialect)
            except CompileRefused as exc:
                refused.append((ident, dialect, str(exc)))
    assert any(kind == "median" for kind in (catalogue.get(i).measure.kind for i, _, _ in refused)) or not refused
    for ident, dialect, reason in refused:
        page = pages[f"indicators/{ident}.html"].decode()
        assert f"Kan inte beräknas exakt i {dialect}: {html_text(reason)}" in page


def test_the_model_page_and_its_diagram_show_every_entity_and_relationship(catalogue, pages):
    model = catalogue.model
    page = pages["model.html"].decode()
    svg = model_svg(model)
    assert svg in page
    for name, entity in model.entities.items():
        assert f'<a href="#entity-{name}">' in svg and f">{name}</text>" in svg
        assert f'id="entity-{name}"' in page
        for column in [*entity.columns, *entity.calculated]:
            assert f'id="{name}-{column}"' in page
        for rname, rel in entity.relationships.items():
            if not rel.to_many:
                assert f"<title>{name}.{rname} → {rel.target}</title>" in svg
    assert "Kvinnor" in page and "Aktivitetsersättning" in page        # allowed values with labels
    assert '– Kvinnor <span class="en" lang="en">(Women)</span>' in page  # and their English labels
    assert "diagnoskod LIKE &#x27;F%&#x27;" in page                    # a calculated column as written
    assert 'id="temporal-pagaende_fall"' in page and 'id="classification-aldersgrupp"' in page
    assert model_svg(model) == svg                                      # laid out the same every time


def test_the_sources_page_lists_every_source_with_the_figures_citing_it(catalogue, pages):
    page = pages["sources.html"].decode()
    for source in catalogue.project.sources.values():
        assert f'id="source-{source.id}"' in page and html_text(source.citation()) in page
    figures = sum(len(b.info.published) for b in catalogue.indicators.values())
    assert page.count('href="indicators/') >= 2 * figures  # each figure: its anchor and its indicator


def test_nothing_points_outside_the_site(pages):
    for name, content in pages.items():
        text = content.decode()
        for attribute in re.findall(r'(?:href|src|action)="([^"]*)"', text):
            assert not re.match(r"[a-z][a-z0-9+.-]*:", attribute) or attribute == "data:,", (name, attribute)
        assert "@import" not in text and "url(http" not in text, name


def test_two_builds_are_identical(catalogue, pages):
    assert build_site(catalogue) == pages


def test_markup_in_the_catalogue_is_shown_as_text(tmp_path):
    folder = tmp_path / "repo"
    shutil.copytree(ROOT / "indicators", folder / "indicators")
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    path = folder / "indicators" / "antal_kontaktmoten.yaml"
    hostile = "Kontakt<script>alert(1)</script> & <b>möten</b>"
    text = path.read_text(encoding="utf-8").replace("sv: Antal kontaktmöten", f'sv: "{hostile}"', 1)
    assert hostile in text
    path.write_text(text, encoding="utf-8")
    catalogue = api.checked_catalogue(folder / "indicators", versions=False)
    built = build_site(catalogue)
    page = built["indicators/antal_kontaktmoten.html"].decode()
    escaped = "Kontakt&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;möten&lt;/b&gt;"
    assert escaped in page and escaped in built["index.html"].decode()
    for name, content in built.items():
        assert "<script>alert" not in content.decode() and "<b>möten" not in content.decode(), name
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in built["index.html"].decode()  # the search data
    assert "Ingen git-historik" in page  # the copy is not in a git repository


def test_git_history_without_git_or_outside_a_repository(tmp_path):
    def missing(*args, **kwargs):
        raise FileNotFoundError("git")
    assert "git finns inte installerat" in git_history(tmp_path / "x.yaml", missing).unavailable
    found = git_history(ROOT / "indicators" / "antal_kontaktmoten.yaml")
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "--error-unmatch",
                                 "indicators/antal_kontaktmoten.yaml"], capture_output=True, check=False)
        tracked = listed.returncode == 0
        if tracked:
            assert found.commits and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for _, d, _ in found.commits)


def test_the_period_shown_is_the_report_period_of_the_year_else_the_latest_published(catalogue):
    assert representative_period(catalogue, "andel_upphord_ratt_med_omstallningsmote", "2017") == "2017H2"
    assert representative_period(catalogue, "median_sjukfallslangd_vid_avslut", "2017") == "2017-12"
    assert representative_period(catalogue, "antal_gemensamma_kartlaggningar") == "2018"   # 2017 and 2018 published
    assert representative_period(catalogue, "median_sjukfallslangd_vid_avslut") == "2018-12"


def test_a_new_catalogue_from_init_outside_git_builds(tmp_path):
    api.init_catalogue(tmp_path / "mine")
    catalogue = api.checked_catalogue(tmp_path / "mine" / "indicators", versions=False)
    built = build_site(catalogue)
    (ident,) = catalogue.indicators
    page = built[f"indicators/{ident}.html"].decode()
    assert "som indikator 1 av 1" in page and "Ingen git-historik" in page
    assert "ingen läsbar golden fixture" not in page and "Förväntade rader" in page  # its fixture, beside it
    assert "en exempelperiod" in page  # no published figure: the SQL is for its fixture's first period


def test_the_attrition_section_shows_the_steps_or_why_not(catalogue, tmp_path):
    data = tmp_path / "small.duckdb"
    generate(data, scale=0.01, seed=1)
    result = api.attrition(catalogue, data, "antal_kontaktmoten", "2018")
    results = DataResults("small.duckdb", attrition={"antal_kontaktmoten": result})
    shown = "\n".join(_attrition_section(results, "antal_kontaktmoten", "2018", 1))  # 1: nothing is small
    assert 'id="bortfall"' in shown and 'class="attrition"' in shown and "Steg" in shown
    smallest = min([s.count for s in result.steps] + [n for s in result.steps for n in s.by_kon.values()])
    hidden = "\n".join(_attrition_section(results, "antal_kontaktmoten", "2018", smallest + 1))
    assert 'class="attrition"' not in hidden and "visas inte av röjandeskäl" in hidden
    missing = "\n".join(_attrition_section(DataResults("small.duckdb", attrition_errors={"x": "E_DATA_OPEN no"}),
                                           "x", "2018", 5))
    assert "kunde inte räknas" in missing and "E_DATA_OPEN no" in missing


def test_docs_refuses_to_write_into_the_catalogue_and_names_a_bad_year(catalogue, tmp_path):
    for out in (catalogue.directory, catalogue.directory / "site", ROOT / "fixtures", ROOT):
        with pytest.raises(EngineError) as caught:
            api.docs(catalogue, out)
        assert [d.code for d in caught.value.diagnostics] == ["E_OUT_IS_INPUT"], out
    with pytest.raises(EngineError) as caught:
        api.docs(catalogue, tmp_path / "site", period="20x")
    assert [d.code for d in caught.value.diagnostics] == ["E_PERIOD"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(EngineError) as caught:
        api.docs(catalogue, tmp_path / "file")
    assert [d.code for d in caught.value.diagnostics] == ["E_OUT"]


def test_docs_writes_the_set_and_removes_pages_of_indicators_that_are_gone(catalogue, pages, tmp_path):
    out = tmp_path / "site"
    (out / "indicators").mkdir(parents=True)
    stale = out / "indicators" / "borttagen.html"
    stale.write_text('<!DOCTYPE html><html><head><meta name="generator" content="indicators docs"></head></html>')
    mine = out / "indicators" / "egen.html"
    mine.write_text("<p>not written by docs</p>")
    written = api.docs(catalogue, out)
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in written} == pages
    assert not stale.exists() and mine.exists()


def test_cli_docs(tmp_path):
    from test_cli import cli
    proc = cli("docs", "--out", tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {len(list((tmp_path / 'site' / 'indicators').glob('*.html'))) + 3} page(s)" in proc.stderr
    proc = cli("docs", "--out", ROOT / "indicators" / "x")
    assert proc.returncode == 1 and "E_OUT_IS_INPUT" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser():
    required = os.environ.get("INDICATORS_REQUIRE_BROWSER") == "1"
    if find_chromium() is None:
        if required:
            pytest.fail("INDICATORS_REQUIRE_BROWSER=1 but no chromium is installed (Debian: apt-get install chromium)")
        pytest.skip("no chromium installed (Debian: apt-get install chromium); INDICATORS_REQUIRE_BROWSER=1 "
                    "makes this a failure")
    try:
        with Browser() as started:
            yield started
    except BrowserError as exc:
        if required:
            pytest.fail(f"chromium did not start: {exc}")
        pytest.skip(f"chromium did not start: {exc}")


@pytest.fixture(scope="module")
def site(catalogue, tmp_path_factory):
    """The site of the real catalogue, with a small synthetic dataset (so verdicts and attrition show)."""
    folder = tmp_path_factory.mktemp("site")
    data = folder / "small.duckdb"
    generate(data, scale=0.02, seed=1)
    api.docs(catalogue, folder / "site", data=data, period="2018")
    return folder / "site"


PROBE = """(() => {
  const ids = Array.from(document.querySelectorAll('[id]'), el => el.id);
  const links = Array.from(document.querySelectorAll('a[href]'),
                           a => new URL(a.getAttribute('href'), location.href).href);
  const headings = Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'), h => Number(h.tagName[1]));
  return {ids, links, headings, title: document.title, lang: document.documentElement.lang,
          scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
          fontSize: parseFloat(getComputedStyle(document.body).fontSize),
          smallest: Math.min(...Array.from(document.querySelectorAll('main p, main li, main td, main dd, main pre'),
                                           el => parseFloat(getComputedStyle(el).fontSize)))};
})()"""


@pytest.fixture(scope="module")
def visited(browser, site):
    """Every page at every width: (relative path, width) -> what the probe saw, the errors and requests."""
    records = {}
    for path in sorted(site.rglob("*.html")):
        name = path.relative_to(site).as_posix()
        page = browser.open(path, width=WIDTHS[0])
        for width in WIDTHS:  # the same page, laid out again at each width
            page.resize(width)
            record = page.evaluate(PROBE)
            record.update(errors=list(page.errors), requests=list(page.requests), url=page.url)
            records[(name, width)] = record
    return records


def test_no_console_error_and_no_request_outside_the_site(visited):
    for (name, width), record in visited.items():
        assert record["errors"] == [], (name, width, record["errors"])
        foreign = [url for url in record["requests"] if not url.startswith(("file://", "data:"))]
        assert foreign == [], (name, width, foreign)


def test_every_link_resolves_to_a_page_and_an_anchor(site, visited):
    ids = {name: set(record["ids"]) for (name, width), record in visited.items() if width == WIDTHS[0]}
    checked = 0
    for (name, width), record in visited.items():
        if width != WIDTHS[0]:
            continue
        assert len(record["ids"]) == len(set(record["ids"])), (name, "duplicate ids")
        for link in record["links"]:
            parts = urlsplit(link)
            assert parts.scheme == "file", (name, link)
            target = Path(unquote(parts.path))
            assert target.is_file(), (name, link)
            if parts.fragment:
                page = target.resolve().relative_to(site.resolve()).as_posix()
                assert unquote(parts.fragment) in ids[page], (name, link)
            checked += 1
    assert checked > 1000


def test_readable_and_without_horizontal_scrolling_at_390_and_1280(visited):
    for (name, width), record in visited.items():
        assert record["scrollWidth"] <= width, (name, width, record["scrollWidth"])
        assert record["fontSize"] >= 14, (name, width)
        assert record["smallest"] >= 14, (name, width, record["smallest"])


def test_titles_unique_headings_in_order_and_swedish(visited):
    titles = [record["title"] for (name, width), record in visited.items() if width == WIDTHS[0]]
    assert len(titles) == len(set(titles))
    for (name, _), record in visited.items():
        assert record["lang"] == "sv" and "main" in record["ids"], name
        levels = record["headings"]
        assert levels[0] == 1 and levels.count(1) == 1, name
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (name, levels)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))


def _matching(catalogue, words: str) -> set[str]:
    found = set()
    for ident, bound in catalogue.indicators.items():
        info = bound.info
        text = _fold(" ".join([ident, info.title["sv"], info.title["en"], info.description["sv"],
                               info.description["en"]]))
        if all(w in text for w in _fold(words).split()):
            found.add(ident)
    return found


VISIBLE = "Array.from(document.querySelectorAll('tr[data-id]')).filter(r => !r.hidden && r.offsetParent !== null)" \
          ".map(r => r.dataset.id)"


def _set(page, element: str, value: str) -> list[str]:
    page.evaluate(f"(() => {{ const el = document.getElementById({element!r}); el.value = {value!r}; "
                  "el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true})); })()")
    return sorted(page.evaluate(VISIBLE))


def test_search_finds_indicators_by_a_swedish_title_word(browser, site, catalogue):
    page = browser.open(site / "index.html", width=390)
    assert not page.evaluate("document.getElementById('filters').hidden")
    assert len(page.evaluate(VISIBLE)) == len(catalogue.indicators)
    for words in ("kartläggningar", "sjukförsäkringen", "Sjukforsakringen", "andel kvinnor", "median"):
        expected = _matching(catalogue, words)
        assert expected and expected != set(catalogue.indicators), words
        assert set(_set(page, "search", words)) == expected, words
    assert "antal_gemensamma_kartlaggningar" in _set(page, "search", "kartläggningar")
    assert "kontaktmoten_per_person" not in _set(page, "search", "kartläggningar")
    assert _set(page, "search", "inget sådant ord") == []
    assert not page.evaluate("document.getElementById('empty').hidden")
    assert page.evaluate("document.getElementById('status').textContent") == \
        f"Visar 0 av {len(catalogue.indicators)} indikatorer."
    assert page.errors == []


def test_filters_by_report_owner_and_unit(browser, site, catalogue):
    page = browser.open(site / "index.html", width=1280)
    info = {i: b.info for i, b in catalogue.indicators.items()}
    assert _set(page, "filter-report", "samordningsforbund") == sorted(
        i for i, x in info.items() if x.report == "samordningsforbund")
    assert _set(page, "filter-report", "-") == sorted(i for i, x in info.items() if not x.report)
    _set(page, "filter-report", "")
    assert _set(page, "filter-unit", "share") == sorted(i for i, x in info.items() if x.unit == "share")
    owner = sorted({x.owner for x in info.values()})[0]
    assert _set(page, "filter-owner", owner) == sorted(i for i, x in info.items()
                                                       if x.unit == "share" and x.owner == owner)
    assert set(_set(page, "search", "kvinnor")) == _matching(catalogue, "kvinnor") & {
        i for i, x in info.items() if x.unit == "share" and x.owner == owner}
    for element in ("search", "filter-owner", "filter-unit"):
        _set(page, element, "")
    assert len(page.evaluate(VISIBLE)) == len(catalogue.indicators)
    assert page.errors == []


def test_without_javascript_every_indicator_is_listed(browser, site, catalogue):
    browser.send("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        page = browser.open(site / "index.html", width=390)
        assert page.evaluate("document.getElementById('filters').hidden") is True
        assert len(page.evaluate(VISIBLE)) == len(catalogue.indicators)
    finally:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": False})


def test_the_model_diagram_is_drawn_and_links_to_the_entities(browser, site, catalogue):
    page = browser.open(site / "model.html", width=1280)
    boxes = page.evaluate("Array.from(document.querySelectorAll('svg.model-diagram a'), a => a.getAttribute('href'))")
    assert sorted(boxes) == sorted(f"#entity-{n}" for n in catalogue.model.entities)
    size = page.evaluate("(() => { const b = document.querySelector('svg.model-diagram').getBBox(); "
                         "return [b.width, b.height]; })()")
    assert size[0] > 300 and size[1] > 200


def test_screenshots(browser, site, tmp_path):
    """An indicator page at 390 px and the index at 1280 px (kept in INDICATORS_SITE_SHOTS when set)."""
    folder = Path(os.environ.get("INDICATORS_SITE_SHOTS") or tmp_path)
    phone = browser.open(site / "indicators" / "antal_gemensamma_kartlaggningar.html", width=390)
    first = phone.screenshot(folder / "indicator-390.png")
    desk = browser.open(site / "index.html", width=1280)
    second = desk.screenshot(folder / "index-1280.png", full_page=False)
    for shot in (first, second):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_attrition_on_the_site_obeys_the_disclosure_threshold():
    """The published site shows an attrition table only when no count, and nothing a step removes, is small."""
    from types import SimpleNamespace

    from engine.site import small_attrition

    def table(*steps):
        return SimpleNamespace(kon=[("K", "Kvinnor"), ("M", "Män")], steps=[
            SimpleNamespace(count=k + m, by_kon={"K": k, "M": m}) for k, m in steps])

    assert not small_attrition(table((40, 30), (35, 25), (35, 25)), 5)   # removes 5+5, then nothing
    assert small_attrition(table((40, 30), (38, 25)), 5)                  # removes 2 women
    assert small_attrition(table((40, 3), (30, 3)), 5)                    # 3 men throughout
    assert small_attrition(table((40, 30), (36, 30)), 5)                  # removes 4 in total
    assert not small_attrition(table((0, 0), (0, 0)), 5)                  # an empty population reveals no one
