"""The yearly report: built from computed rows, disclosure control applied, numbers as `run` gives them."""
from __future__ import annotations

import random
import re

import duckdb
import pytest

from engine import api
from engine.cli import main
from engine.execute import load_tables
from engine.report import not_applicable_rule, published_value, report_period
from engine.report_formats import to_html
from reference.random_data import random_dataset


@pytest.fixture(scope="module")
def extract(tmp_path_factory, catalogue):
    path = tmp_path_factory.mktemp("report") / "extract.duckdb"
    con = duckdb.connect(str(path))
    load_tables(con, catalogue.model, random_dataset(random.Random(7), size=400))
    con.close()
    return path


@pytest.fixture(scope="module")
def built(catalogue, extract):
    return api.report(catalogue, extract, "2018", "2017", generated="2019-05-17")


def test_published_values_are_rounded_exactly_half_up():
    assert published_value({"value": 0.575, "numerator": 23, "denominator": 40}, "share") == 0.58
    assert published_value({"value": 0.5749, "numerator": 5749, "denominator": 10000}, "share") == 0.57
    assert published_value({"value": 822.5, "numerator": None, "denominator": None}, "days") == 823
    assert published_value({"value": 3.45, "numerator": None, "denominator": None}, "years") == 3.5
    assert published_value({"value": 8306, "numerator": None, "denominator": None}, "count") == 8306
    assert published_value({"value": None, "numerator": 0, "denominator": 0}, "share") is None


def test_every_cell_is_the_run_value_or_suppressed_where_run_flags_it(catalogue, extract, built):
    checked = suppressed = 0
    for section in built.sections:
        for item in section.indicators:
            for label, cell_of in ((item.period, lambda line: line.current),
                                   (item.compare_period, lambda line: line.previous)):
                rows = {tuple(r["breakdown"].items()): r for r in api.run(catalogue, extract, [label], [item.id])}
                not_applicable = not_applicable_rule(catalogue.get(item.id))
                for line in item.lines:
                    key = () if line.dimension is None else ((line.dimension, line.category),)
                    cell, row = cell_of(line), rows.get(key)
                    if not_applicable(label, (line.dimension, line.category)):  # before the thing existed
                        assert (cell.value, cell.n, cell.text) == (None, None, ".")
                    elif row is None:  # a category with no unit in this period: zero, or no mean; in a table
                        # suppressed whole, suppressed like the rest
                        hidden = bool((rows.get(()) or {}).get("disclosure"))
                        assert (cell.value, cell.text) == ((None, "..") if hidden else (0, "\u2013")
                                                           if item.unit == "count" else (None, "."))
                    elif row["disclosure"]:
                        suppressed += 1
                        assert (cell.value, cell.n, cell.text, cell.suppressed) == (None, None, "..", row["disclosure"])
                    else:
                        checked += 1
                        assert cell.value == published_value(row, item.unit) and cell.suppressed is None
                        exact = row["numerator"] if item.unit == "share" else row["value"]
                        assert (cell.text == "\u2013") == (exact == 0 and row["value"] is not None)  # SCB: noll
                        assert (cell.text == ".") == (row["value"] is None)  # no mean of an empty group
                        assert cell.n == row["n"]
                        if isinstance(row["value"], float) and item.unit != "share":
                            assert abs(cell.value - row["value"]) <= (0.05 if item.unit == "years" else 0.5)
    # 36 persons over five years: threshold 5 on persons, with linked tables hidden together, leaves few cells shown
    assert checked > 10 and suppressed > 0


def test_sections_follow_the_project_and_periods_follow_report_period(catalogue, built):
    members = {i: b.info.report for i, b in catalogue.indicators.items()}
    assert [s.key for s in built.sections] == [r.key for r in catalogue.project.reports if r.key in members.values()]
    assert {i.id: s.key for s in built.sections for i in s.indicators} == {i: r for i, r in members.items() if r}
    periods = {i.id: (i.period, i.compare_period) for s in built.sections for i in s.indicators}
    assert periods["median_sjukfallslangd_vid_avslut"] == ("2018-12", "2017-12")
    assert periods["andel_upphord_ratt_med_omstallningsmote"] == ("2018H2", "2017H2")
    assert periods["antal_kontaktmoten"] == ("2018", "2017")
    assert report_period(catalogue.get("antal_kontaktmoten"), "2016") == "2016"


def test_coordination_association_figures_have_a_trend_chart(built):
    finsam = next(s for s in built.sections if s.key == "samordningsforbund")
    for item in finsam.indicators:
        trend = item.charts[0]
        assert trend.categories == ["2016", "2017", "2018"]
        assert trend.series[0][1][-1] == item.lines[0].current  # the chart shows the table's total
    samarbete = next(s for s in built.sections if s.key == "forstarkt_samarbete")
    assert all(not c.title.startswith("Utveckling") for i in samarbete.indicators for c in i.charts)


def test_footnote_names_definition_and_version(built):
    item = built.sections[0].indicators[0]
    assert "Definition:" in item.footnote and f"version {item.version}" in item.footnote
    assert built.catalogue_version.startswith("sha256:")


def test_small_cells_are_hidden_in_the_html(make_catalogue, tmp_path):
    folder, cat = make_catalogue({"antal_test.yaml": """\
        id: antal_test
        version: 1
        title: {sv: Testindikator, en: Test indicator}
        description: {sv: En test., en: A test.}
        unit: count
        owner: test
        report: test
        population:
          entity: kartlaggning
          period: datum
        measure:
          kind: count
        """})
    (folder / "project.yaml").write_text(
        "title: {sv: Test, en: Test}\ndisclosure: {threshold: 5}\n"
        "sources:\n  - {id: test, title: Testrapport, publisher: Testmyndigheten, date: \"2019\"}\n"
        "reports:\n  - {key: test, title: {sv: Testrapport, en: Test report}, source: test}\n", encoding="utf-8")
    cat = api.checked_catalogue(folder)
    persons = [{"person_id": i, "kon": "K" if i <= 3 else "M", "fodelsear": 1980} for i in range(1, 41)]
    cases = [{"fall_id": i, "person_id": i, "ersattning": "sjukpenning", "startdatum": "2018-01-01",
              "slutdatum": None, "diagnoskod": None, "avslutsorsak": None} for i in range(1, 41)]
    assessments = [{"kartlaggning_id": i, "person_id": i, "fall_id": i, "datum": "2018-03-01"} for i in range(1, 41)]
    db = tmp_path / "small.duckdb"
    con = duckdb.connect(str(db))
    load_tables(con, cat.model, {"person": persons, "ersattningsfall": cases, "kartlaggning": assessments})
    con.close()
    report = api.report(cat, db, "2018", None, generated="2019-05-17")
    html = to_html(report)
    lines = {line.label: line.current for line in report.sections[0].indicators[0].lines}
    assert lines["Totalt"].text == "40"
    assert lines["Kvinnor"].suppressed == "primary" and lines["Män"].suppressed == "secondary"
    section = html[html.index('id="antal_test"'):html.index('id="metod"')]
    section = re.sub(r"<style.*?</style>|\b(?:x|y|width|height|x1|x2|y1|y2|viewBox|transform|d)=\"[^\"]*\"", "",
                     section, flags=re.S)  # drawing coordinates are not figures
    shown = re.findall(r">([^<>]+)<", section) + re.findall(r'(?:title|aria-label)="([^"]*)"', section)
    numbers = {n for text in shown for n in re.findall(r"\d+", text.replace("\u00a0", ""))}
    assert "3" not in numbers and "37" not in numbers  # neither K = 3 nor M = 37, in tables, charts or labels
    assert "40" in numbers


def test_report_command_writes_every_format(extract, tmp_path):
    from click.testing import CliRunner
    out = tmp_path / "rapport"
    result = CliRunner().invoke(main, ["report", "--data", str(extract), "--year", "2018", "--format", "html",
                                       "--format", "md", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["aterrapportering_2018.html", "aterrapportering_2018.md",
                                                     "aterrapportering_2018.xlsx"]
    html = (out / "aterrapportering_2018.html").read_text("utf-8")
    assert "https://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<svg" in html


def test_report_errors_are_reported_together(catalogue, tmp_path):
    with pytest.raises(api.EngineError) as err:
        api.report(catalogue, tmp_path / "missing.duckdb", "18", "x")
    assert [d.code for d in err.value.diagnostics] == ["E_PERIOD", "E_PERIOD", "E_DATA_NOT_FOUND"]


def participations(path, catalogue, groups):
    """Ended participations (after interventions, 2018) per (ersattning, count, how many left)."""
    persons, cases, assessments, cooperation = [], [], [], []
    i = 0
    for ersattning, count, left in groups:
        for j in range(count):
            i += 1
            persons.append({"person_id": i, "kon": "K" if i % 2 else "M", "fodelsear": 1990})
            cases.append({"fall_id": i, "person_id": i, "ersattning": ersattning, "startdatum": "2016-01-01",
                          "slutdatum": None, "diagnoskod": "F32", "avslutsorsak": None})
            assessments.append({"kartlaggning_id": i, "person_id": i, "fall_id": i, "datum": "2017-03-01"})
            cooperation.append({"samarbete_id": i, "kartlaggning_id": i, "person_id": i, "fall_id": i,
                                "startdatum": "2017-03-01", "slutdatum": "2018-06-01", "avslutsorsak": "efter_insats",
                                "utfall": "arbete" if j < left else "fortsatt_ersattning"})
    con = duckdb.connect(str(path))
    load_tables(con, catalogue.model, {"person": persons, "ersattningsfall": cases, "kartlaggning": assessments,
                                       "samarbete": cooperation})
    con.close()
    return path


def test_a_published_verdict_never_reveals_a_suppressed_cell(catalogue, tmp_path):
    # 50 with aktivitetsersättning (31 left: 62 %, as published) and 2 with sjukpenning: the
    # sjukpenning cell is small, so the aktivitetsersättning cell is hidden too, and the note
    # "62 % ... stämmer" would pin it
    db = participations(tmp_path / "leak.duckdb", catalogue,
                        [("aktivitetsersattning", 50, 31), ("sjukpenning", 2, 1)])
    report = api.report(catalogue, db, "2018", "2017", generated="2019-05-17")
    item = next(i for s in report.sections for i in s.indicators
                if i.id == "andel_lamnat_sjukforsakringen_efter_insats")
    by_label = {line.label: line.current for line in item.lines}
    assert by_label["Aktivitetsersättning"].text == ".." and by_label["Sjukpenning"].text == ".."
    note = next(n for n in item.published if "aktivitetsersättning" in n and "2018" in n)
    assert "redovisas inte av röjandeskäl" in note and "stämmer" not in note


def test_a_share_with_a_small_numerator_is_suppressed(catalogue, tmp_path):
    # 30 participations of which 2 left: 7 % would tell the 2
    db = participations(tmp_path / "few.duckdb", catalogue, [("sjukpenning", 30, 2)])
    report = api.report(catalogue, db, "2018", None, generated="2019-05-17")
    item = next(i for s in report.sections for i in s.indicators
                if i.id == "andel_lamnat_sjukforsakringen_efter_insats")
    assert all(line.current.text == ".." for line in item.lines)


def test_every_construct_can_be_published(catalogue, make_catalogue, extract):
    """Each indicator with a cross-table, bands or a ratio, put into a report: every line is the `run`
    row of its own breakdown (a cross cell never overwrites its margin), titled from the model."""
    chosen = [b for b in catalogue.indicators.values()
              if b.crosses or b.info.unit == "ratio" or any(x.column is not None and x.name in
                                                             catalogue.model.classifications for x in b.breakdowns)]
    assert chosen, "the catalogue has no cross-table, band or ratio indicator to publish"
    files = {}
    for bound in chosen:
        text = (catalogue.directory / f"{bound.id}.yaml").read_text(encoding="utf-8")
        files[f"{bound.id}.yaml"] = re.sub(r"(?m)^report:.*\n", "", text).replace("\nunit:", "\nreport: test\nunit:", 1)
        for base in bound.population_from:  # a population built on another indicator needs it too
            files.setdefault(f"{base}.yaml", (catalogue.directory / f"{base}.yaml").read_text(encoding="utf-8"))
    folder, _ = make_catalogue({})
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "project.yaml").write_text(
        "title: {sv: Test, en: Test}\ndisclosure: {threshold: 2}\n"
        "sources:\n  - {id: test, title: Testrapport, publisher: Testmyndigheten, date: \"2019\"}\n"
        "reports:\n  - {key: test, title: {sv: Testrapport, en: Test report}, source: test}\n", encoding="utf-8")
    cat = api.checked_catalogue(folder)
    report = api.report(cat, extract, "2018", None, generated="2019-05-17")
    items = {item.id: item for item in report.sections[0].indicators}
    assert set(items) == {b.id for b in chosen}
    for bound in chosen:
        rows = {tuple(r["breakdown"].items()): r for r in api.run(cat, extract, [items[bound.id].period], [bound.id])}
        for line in items[bound.id].lines:
            if line.dimension is None:
                key: tuple = ()
            elif " × " in line.dimension:
                key = tuple(zip(line.dimension.split(" × "), line.category, strict=True))
                assert line.dimension in items[bound.id].dimension_titles  # "Kön och ersättning"
            else:
                key = ((line.dimension, line.category),)
            row = rows.get(key)
            if line.current.suppressed:  # the smallest threshold, 2, still hides a cell of one person; a table
                # hidden whole lists every category the model declares, present or not
                assert (row is not None and row["disclosure"] is not None) or rows[()]["disclosure"], (bound.id, key)
                continue
            if row is None:
                assert line.current.value in (0, None)
            else:
                assert line.current.value == published_value(row, bound.info.unit), (bound.id, key)
        crossed = [line for line in items[bound.id].lines if line.dimension and " × " in line.dimension]
        if not rows[()]["disclosure"]:
            assert len(crossed) == sum(1 for k in rows if len(k) == 2)
    to_html(report)  # renders


def indicator(report, ident):
    return next(i for s in report.sections for i in s.indicators if i.id == ident)


def test_periods_before_an_indicator_existed_are_not_applicable(built):
    """Omställningsmöten began in June 2018 (applies_from): July–December 2017 is ".", not 0 %, with a note; and
    the omställningsmöte row of 2017 likewise, while överlämningsmöten (the same meeting before) are counted."""
    share = indicator(built, "andel_upphord_ratt_med_omstallningsmote")
    assert all(line.previous.text == "." and line.previous.value is None for line in share.lines)
    assert share.notes == ["Omställningsmöten infördes i juni 2018. För juli–december 2017 kan uppgiften därför "
                           "inte förekomma och visas med en punkt (.)."]
    assert all(c is None or c.text == "." for c in share.charts[0].series[0][1])  # the chart shows no 0 % bar
    meetings = indicator(built, "antal_overlamnings_och_omstallningsmoten")
    by_category = {line.category: line for line in meetings.lines}
    if "omstallningsmote" in by_category:
        assert by_category["omstallningsmote"].previous.text == "."
        assert by_category["omstallningsmote"].current.text != "."
    assert by_category[None].previous.text != "."
    assert any("Omställningsmöten infördes i juni 2018" in note for note in meetings.notes)
    html = to_html(built)
    assert "visas med en punkt (.)." in html


def test_applies_from_names_a_breakdown_and_a_value_of_it(make_catalogue):
    files = {"antal_test.yaml": """\
        id: antal_test
        version: 1
        title: {sv: Test, en: Test}
        description: {sv: En test., en: A test.}
        unit: count
        owner: test
        applies_from:
          - {date: "2018-06-01", breakdown: {motestyp: omstallningsmote}, note: {sv: Ny., en: New.}}
          - {date: "2018-02-30", breakdown: {typ: x}, note: {sv: Ny., en: New.}}
        population:
          entity: mote
          period: datum
        measure:
          kind: count
        breakdowns: [motestyp]
        """}
    from click.testing import CliRunner
    folder, _ = make_catalogue(files)
    result = CliRunner().invoke(main, ["validate", "--indicators", str(folder)])
    assert result.exit_code == 1
    assert "'2018-02-30' is not a day" in result.output
    assert "applies_from names breakdown 'typ', which the indicator does not have" in result.output
    assert result.output.count("E_APPLIES_FROM") == 2 and "antal_test.yaml:10:" in result.output


def test_a_breakdown_published_instead_of_the_total_is_the_headline(built):
    """Day in the case was published for sjukpenning and aktivitetsersättning, never for both together."""
    day = indicator(built, "kartlaggning_dag_i_fallet")
    assert day.headline == "ersattning"
    assert day.lines[0].label == "Totalt (inte publicerat)"
    assert any("totalen är inte publicerad" in note for note in day.notes)
    assert [c.title for c in day.charts] == [
        "Dag i fallet då gemensam kartläggning genomfördes: fördelning efter ersättning, 2017 och 2018"]
    assert day.charts[0].categories == ["Sjukpenning", "Aktivitetsersättning"]
    assert indicator(built, "antal_gemensamma_kartlaggningar").headline is None  # its total was published
    share = indicator(built, "andel_lamnat_sjukforsakringen_efter_insats")  # total and aktivitetsersättning
    assert share.headline is None and "efter ersättning" in share.charts[-1].title
    assert "efter kön" in indicator(built, "antal_kontaktmoten").charts[-1].title  # nothing but the total: kön


def test_one_year_order_and_a_name_for_every_chart_and_table(built):
    from engine.report_formats import table_caption
    charts = [c for s in built.sections for i in s.indicators for c in i.charts]
    assert len({c.title for c in charts}) == len(charts)
    captions = [table_caption(i) for s in built.sections for i in s.indicators]
    assert len(set(captions)) == len(captions)
    for chart in charts:
        if len(chart.series) == 2:  # the comparison period first, as in the tables
            assert chart.series[0][0].endswith("2017") and chart.series[1][0].endswith("2018")
        else:
            assert chart.categories == sorted(chart.categories) or "utveckling" not in chart.title
    html = to_html(built)
    heads = re.findall(r'<thead><tr><th scope="col"><span class="visually-hidden">Redovisningsgrupp</span></th>'
                       r'<th scope="col">([^<]+)</th><th scope="col">([^<]+)</th>', html)
    assert heads and all(a.endswith("2017") and b.endswith("2018") for a, b in heads)
    assert "2018H2" not in re.sub(r'id="[^"]*"|href="[^"]*"', "", html)


def test_the_method_note_and_markdown_read_as_text(built):
    from engine.report_formats import to_markdown
    assert any("visas med två punkter (..)" in note for note in built.notes)
    assert not any(re.search(r"\.\.\s+[A-ZÅÄÖ]", note) for note in built.notes)  # no symbol glued to a sentence
    text = to_markdown(built)
    assert "HTML-versionen" not in text and "Diagram:" not in text
    assert "utveckling 2016–2018, totalt*\n\n|  | 2016 | 2017 | 2018 |" in text


def test_pdf_without_chromium_is_a_clear_error_before_anything_is_computed(extract, tmp_path, monkeypatch):
    from click.testing import CliRunner
    monkeypatch.setenv("INDICATORS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    result = CliRunner().invoke(main, ["report", "--data", str(extract), "--year", "2018", "--format", "pdf",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "E_NO_BROWSER" in result.output and "apt-get install chromium" in result.output
    assert "computing" not in result.output and not (tmp_path / "out").exists()


def test_a_note_for_a_period_is_shown_when_the_report_shows_the_period(catalogue):
    import dataclasses
    from types import SimpleNamespace

    from engine.info import PeriodNote
    from engine.report import _indicator_notes
    info = dataclasses.replace(catalogue.get("antal_kontaktmoten").info,
                               notes=(PeriodNote("2018H2", {"sv": "Ny rutin från juli.", "en": "New."}),
                                      PeriodNote("2016", {"sv": "Inte visad.", "en": "Not shown."})))
    assert _indicator_notes(catalogue, SimpleNamespace(info=info), ["2017H2", "2018H2"], None) == [
        "Juli–december 2018: Ny rutin från juli."]
