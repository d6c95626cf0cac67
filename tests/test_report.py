"""The yearly report: built from computed rows, disclosure control applied, numbers as `run` gives them."""
from __future__ import annotations

import random
import re

import duckdb
import pytest

from engine import api
from engine.cli import main
from engine.execute import load_tables
from engine.report import published_value, report_period
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
                for line in item.lines:
                    key = () if line.dimension is None else ((line.dimension, line.category),)
                    cell, row = cell_of(line), rows.get(key)
                    if row is None:  # a category with no unit in this period
                        assert (cell.value, cell.text) == ((0, "0") if item.unit == "count" else (None, "\u2013"))
                    elif row["disclosure"]:
                        suppressed += 1
                        assert (cell.value, cell.n, cell.text, cell.suppressed) == (None, None, "..", row["disclosure"])
                    else:
                        checked += 1
                        assert cell.value == published_value(row, item.unit) and cell.suppressed is None
                        assert cell.n == row["n"]
                        if isinstance(row["value"], float) and item.unit != "share":
                            assert abs(cell.value - row["value"]) <= (0.05 if item.unit == "years" else 0.5)
    assert checked > 20 and suppressed > 0


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
            if line.current.suppressed:  # the smallest threshold, 2, still hides a cell of one unit
                assert row is not None and row["disclosure"] is not None, (bound.id, key)
                continue
            if row is None:
                assert line.current.value in (0, None)
            else:
                assert line.current.value == published_value(row, bound.info.unit), (bound.id, key)
        crossed = [line for line in items[bound.id].lines if line.dimension and " × " in line.dimension]
        assert len(crossed) == sum(1 for k in rows if len(k) == 2)
    to_html(report)  # renders
