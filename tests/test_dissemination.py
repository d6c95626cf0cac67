"""Dissemination: `report --format px / jsonstat / csv / parquet` over a range of years.

Every file is read back with a reader that is not ours (pyaxis for PX, pyjstat for JSON-stat, the csv
module and DuckDB for the tidy table), and every cell is held against `api.run` on the same data: the
published value (rounded as DECIMALS says), `..` where run flags the row for disclosure control, `.`
where there can be no value, `-` for exactly none.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
import warnings
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from pyaxis import pyaxis  # test dependencies (pyproject.toml [test]): readers that are not ours
from pyjstat import pyjstat

from engine import api
from engine.cli import main
from engine.diagnostics import EngineError
from engine.dissemination import build_series, parse_years, px_text, to_px
from engine.periods import parse_period
from engine.provenance import indicator_meaning
from engine.report import report_indicators, report_period

YEARS = ["2015", "2016", "2017", "2018", "2019"]
DECIMALS = {"count": 0, "share": 0, "days": 0, "years": 1, "ratio": 1}

# PX-file format specification 2013 (Statistics Sweden), 3.4 Recommended order of the keywords
RECOMMENDED_ORDER = ["CHARSET", "AXIS-VERSION", "CODEPAGE", "LANGUAGE", "LANGUAGES", "CREATION-DATE", "NEXT-UPDATE",
                     "PX-SERVER", "DIRECTORY-PATH", "UPDATE-FREQUENCY", "TABLEID", "SYNONYMS", "DEFAULT-GRAPH",
                     "DECIMALS", "SHOWDECIMALS", "ROUNDING", "MATRIX", "AGGREGALLOWED", "AUTOPEN", "SUBJECT-CODE",
                     "SUBJECT-AREA", "CONFIDENTIAL", "COPYRIGHT", "DESCRIPTION", "TITLE", "DESCRIPTIONDEFAULT",
                     "CONTENTS", "UNITS", "STUB", "HEADING", "CONTVARIABLE", "VALUES", "TIMEVAL", "CODES",
                     "DOUBLECOLUMN", "PRESTEXT", "DOMAIN", "VARIABLE-TYPE", "HIERARCHIES", "HIERARCHYLEVELS",
                     "HIERARCHYLEVELSOPEN", "HIERARCHYNAMES", "MAP", "PARTITIONED", "ELIMINATION", "PRECISION",
                     "LAST-UPDATED", "STOCKFA", "CFPRICES", "DAYADJ", "SEASADJ", "CONTACT", "REFPERIOD",
                     "BASEPERIOD", "DATABASE", "SOURCE", "SURVEY", "LINK", "INFOFILE", "FIRST-PUBLISHED", "META-ID",
                     "OFFICIAL-STATISTICS", "INFO", "NOTEX", "NOTE", "VALUENOTEX", "VALUENOTE", "CELLNOTEX",
                     "CELLNOTE", "DATASYMBOL1", "DATASYMBOL2", "DATASYMBOL3", "DATASYMBOL4", "DATASYMBOL5",
                     "DATASYMBOL6", "DATASYMBOLSUM", "DATASYMBOLNIL", "DATANOTECELL", "DATANOTESUM", "DATANOTE",
                     "KEYS", "ATTRIBUTE-ID", "ATTRIBUTE-TEXT", "ATTRIBUTES", "DATA"]
MANDATORY = ["CONTENTS", "DATA", "DECIMALS", "DESCRIPTION", "HEADING", "MATRIX", "STUB", "SUBJECT-AREA",
             "SUBJECT-CODE", "TITLE", "UNITS", "VALUES"]


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    """A small synthetic extract of 2015-2019: small enough that many cells are suppressed."""
    path = tmp_path_factory.mktemp("dissemination") / "demo.duckdb"
    api.demo_data(path, scale=0.005, seed=1)
    return path


@pytest.fixture(scope="module")
def out(tmp_path_factory, catalogue, extract):
    folder = tmp_path_factory.mktemp("published")
    result = CliRunner().invoke(main, ["report", "--indicators", str(catalogue.directory), "--data", str(extract),
                                       "--year", "2018", "--compare", "2017",
                                       "--format", "md", "--format", "px", "--format", "jsonstat", "--format", "csv",
                                       "--format", "parquet", "--years", "2015-2019", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def expected(catalogue, extract):
    """Per (indicator, period): the run rows by breakdown items, disclosure flags included."""
    by_part: dict[str, list] = {}   # one run per kind of report period (a year, H2, December)
    for bound in report_indicators(catalogue):
        by_part.setdefault(bound.info.report_period, []).append(bound)
    table: dict[tuple[str, str], dict[tuple, dict]] = {}
    for bounds in by_part.values():
        for row in api.run(catalogue, extract, [report_period(bounds[0], y) for y in YEARS], [b.id for b in bounds]):
            table.setdefault((row["indicator"], row["period"]), {})[tuple(row["breakdown"].items())] = row
    return table


def breakdown_of(bound, code: str) -> tuple:
    """A PX code / JSON-stat category id back to the run row's breakdown items."""
    def value(text):
        return None if text == "saknas" else text
    if code == "total":
        return ()
    if "=" in code:
        return tuple((name, value(v)) for name, v in (part.split("=", 1) for part in code.split(",")))
    return ((bound.breakdowns[0].name, value(code)),)


def not_applicable(bound, period: str, breakdown: tuple) -> bool:
    last = parse_period(period).last
    for rule in bound.info.applies_from:
        if last < dt.date.fromisoformat(rule.date) and (not rule.breakdown or
                                                         next(iter(rule.breakdown.items())) in breakdown):
            return True
    return False


def expected_cell(bound, period: str, breakdown: tuple, row: dict | None) -> str:
    """The cell as published, written independently of engine.dissemination: a number with DECIMALS
    decimals, or the symbol."""
    unit = bound.info.unit
    if row is not None and row["disclosure"]:
        return ".."
    if not_applicable(bound, period, breakdown):
        return "."
    if row is None:
        return "-" if unit == "count" else "."
    if row["value"] is None:
        return "."
    if (row["numerator"] if unit == "share" else row["value"]) == 0:
        return "-"
    if unit == "share":
        return str(math.floor(Fraction(row["numerator"], row["denominator"]) * 100 + Fraction(1, 2)))
    places = Decimal(1).scaleb(-DECIMALS[unit])
    return str(Decimal(repr(float(row["value"]))).quantize(places, rounding=ROUND_HALF_UP))


def read_px(path: Path, lang: str | None = None) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyaxis.parse(str(path), encoding="iso-8859-1", lang=lang)


def pyaxis_cell(value) -> str:
    """pyaxis' DATA column as the symbol or number it read: NaN for "..", "" for ".", the raw token else."""
    if isinstance(value, float) and math.isnan(value):
        return ".."
    if value == "":
        return "."
    return str(value).strip('"')


def test_every_px_cell_is_the_run_value_or_its_symbol(catalogue, out, expected):
    counted: dict[str, int] = {}
    for bound in report_indicators(catalogue):
        px = read_px(out / "px" / f"{bound.id}.px")
        meta, data = px["METADATA"], px["DATA"]
        (stub,), (heading,) = meta["STUB"], meta["HEADING"]
        assert list(meta[f"VALUES({heading})"]) == [report_period(bound, y) for y in YEARS]
        codes = dict(zip(meta[f"VALUES({stub})"], meta[f"CODES({stub})"], strict=True))
        assert len(data) == len(codes) * len(YEARS)
        seen = set()
        for _, line in data.iterrows():
            period, breakdown = line[heading], breakdown_of(bound, codes[line[stub]])
            row = expected.get((bound.id, period), {}).get(breakdown)
            shown = pyaxis_cell(line["DATA"])
            assert shown == expected_cell(bound, period, breakdown, row), (bound.id, period, breakdown, row)
            counted[shown if not shown[0].isdigit() else "number"] = counted.get(
                shown if not shown[0].isdigit() else "number", 0) + 1
            seen.add((period, breakdown))
        for period in meta[f"VALUES({heading})"]:   # a suppressed total hides its table (but for empty groups)
            column = [pyaxis_cell(v) for v in data[data[heading] == period]["DATA"]]
            assert column[0] != ".." or set(column) <= {"..", ".", "-"}, (bound.id, period)
        # every row run computed is a cell of the table
        periods = {report_period(bound, y) for y in YEARS}
        assert {(p, b) for (ind, p), rows in expected.items() if ind == bound.id and p in periods
                for b in rows} <= seen
        assert meta["DECIMALS"] == str(DECIMALS[bound.info.unit])
    assert counted.get("..", 0) > 0 and counted.get(".", 0) > 0 and counted.get("number", 0) > 100


def test_px_is_bilingual_and_english_reads_the_same_cells(catalogue, out):
    bound = catalogue.get("antal_kontaktmoten")  # kön only: a proper variable kön / sex with Totalt
    sv, en = read_px(out / "px" / f"{bound.id}.px"), read_px(out / "px" / f"{bound.id}.px", "en")
    assert sv["METADATA"]["STUB"] == ["kön"] and en["METADATA"]["STUB"] == ["sex"]
    assert sv["METADATA"]["VALUES(kön)"][0] == "Totalt" and en["METADATA"]["VALUES(sex)"][0] == "Total"
    assert sv["METADATA"]["ELIMINATION(kön)"] == ["Totalt"]
    assert sv["METADATA"]["CONTENTS"] == [bound.info.title["sv"]]
    assert en["METADATA"]["CONTENTS"] == [px_text(bound.info.title["en"])]
    assert list(sv["DATA"]["DATA"].fillna("..")) == list(en["DATA"]["DATA"].fillna(".."))
    assert sv["TRANSLATION"]["CONTENTS"]["en"] == en["METADATA"]["CONTENTS"]
    grouped = read_px(out / "px" / "antal_gemensamma_kartlaggningar.px", "en")["METADATA"]
    assert grouped["STUB"] == ["reporting group"]
    assert grouped["CODES(reporting group)"][:3] == ["total", "kon=K", "kon=M"]


def test_english_px_and_jsonstat_show_the_models_english_labels(catalogue, out):
    """model.yaml labels {K: {sv: Kvinnor, en: Women}}: VALUES[en], read by pyaxis in English, and JSON-stat's
    extension.en say Women/Men, where the Swedish says Kvinnor/Män."""
    sv = read_px(out / "px" / "antal_kontaktmoten.px")["METADATA"]
    en = read_px(out / "px" / "antal_kontaktmoten.px", "en")["METADATA"]
    assert sv["VALUES(kön)"] == ["Totalt", "Kvinnor", "Män"] and en["VALUES(sex)"] == ["Total", "Women", "Men"]
    assert en["CODES(sex)"] == ["total", "K", "M"]
    grouped = read_px(out / "px" / "antal_gemensamma_kartlaggningar.px", "en")["METADATA"]
    assert grouped["VALUES(reporting group)"][:4] == ["Total", "Women", "Men", "Sickness benefit"]
    dataset = json.loads((out / "jsonstat" / "antal_gemensamma_kartlaggningar.json").read_text("utf-8"))
    english = dataset["extension"]["en"]["dimension"]["redovisningsgrupp"]["category"]["label"]
    swedish = dataset["dimension"]["redovisningsgrupp"]["category"]["label"]
    assert (english["kon=K"], english["kon=M"], english["ersattning=sjukpenning"]) == \
        ("Women", "Men", "Sickness benefit")
    assert (swedish["kon=K"], swedish["ersattning=sjukpenning"]) == ("Kvinnor", "Sjukpenning")


def test_px_keywords_follow_the_2013_specification(catalogue, out):
    for path in sorted((out / "px").glob("*.px")):
        raw = path.read_bytes()
        assert raw.startswith(b'CHARSET="ANSI";\r\n'), path.name
        text = raw.decode("iso-8859-1")
        assert 'CODEPAGE="iso-8859-1";' in text and "\n" not in text.replace("\r\n", "")
        lines = text.split("\r\n")
        assert all(len(line) <= 256 for line in lines), path.name
        keywords = [m[1] for line in lines if (m := re.match(r"([A-Z][A-Z0-9-]*)(?:\[[a-z]{2}\])?(?:\(|=)", line))]
        order = [RECOMMENDED_ORDER.index(k) for k in keywords]
        assert order == sorted(order), (path.name, keywords)
        assert set(MANDATORY) <= set(keywords) and keywords[-1] == "DATA"
        assert {"LAST-UPDATED", "SOURCE", "NOTEX", "NOTE", "DATASYMBOL1", "DATASYMBOL2", "DATASYMBOLNIL",
                "LANGUAGES", "CODES", "ELIMINATION"} <= set(keywords)
        assert 'DATASYMBOL2="..";' in text and 'DATASYMBOL1=".";' in text
        bound = catalogue.get(path.stem)
        assert 'TIMEVAL("år")=TLIST(A1),"2015","2016","2017","2018","2019";' in text or \
            bound.info.report_period != "year"
        # a value never holds a quotation mark: every line has them in pairs
        assert all(line.count('"') % 2 == 0 for line in lines)


def test_px_dates_and_source_come_from_the_provenance_and_the_project(catalogue, out):
    doc = json.loads((out / "jsonstat" / "antal_kontaktmoten.json").read_text("utf-8"))
    stamp = dt.datetime.strptime(doc["updated"], "%Y-%m-%dT%H:%M:%SZ").strftime("%Y%m%d %H:%M")
    meta = read_px(out / "px" / "antal_kontaktmoten.px")["METADATA"]
    assert meta["LAST-UPDATED"] == [stamp] and meta["CREATION-DATE"] == [stamp]
    citation = catalogue.project.citation(catalogue.get("antal_kontaktmoten").info.source)
    assert " ".join(meta["SOURCE"]) == px_text(citation)
    assert "röjandeskäl" in " ".join(meta["NOTEX"])
    assert "version 1" in " ".join(meta["NOTE"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_jsonstat_cell_is_the_run_value_and_suppressed_cells_have_a_status(catalogue, out, expected):
    for bound in report_indicators(catalogue):
        text = (out / "jsonstat" / f"{bound.id}.json").read_text("utf-8")
        doc = json.loads(text)
        assert doc["version"] == "2.0" and doc["class"] == "dataset"
        assert len(doc["id"]) == len(doc["size"]) == len(doc["dimension"])
        assert len(doc["value"]) == math.prod(doc["size"])
        for dim, size in zip(doc["id"], doc["size"], strict=True):
            assert len(doc["dimension"][dim]["category"]["index"]) == size
        assert doc["role"] == {"metric": ["ContentsCode"], "time": ["Tid"]}
        unit = doc["dimension"]["ContentsCode"]["category"]["unit"][bound.id]
        assert unit["decimals"] == DECIMALS[bound.info.unit]
        meaning = indicator_meaning(bound)
        assert (doc["extension"]["indicator"], doc["extension"]["version"], doc["extension"]["semantic_hash"]) == \
            (bound.id, meaning["version"], meaning["semantic_hash"])
        assert doc["extension"]["provenance"]["disclosure"]["applied"] is True
        frame = pyjstat.Dataset.read(text).write("dataframe", naming="id")
        group = doc["id"][0]
        for index, line in frame.iterrows():
            period, breakdown = line["Tid"], breakdown_of(bound, line[group])
            want = expected_cell(bound, period, breakdown, expected.get((bound.id, period), {}).get(breakdown))
            got = line["value"]
            if want in ("..", "."):
                assert got is None or math.isnan(got)
                assert doc["status"][str(index)] == want
            else:
                assert str(index) not in doc["status"]
                assert got == (0 if want == "-" else float(want)), (bound.id, period, breakdown)


def test_the_jsonstat_collection_links_every_dataset(catalogue, out):
    index = json.loads((out / "jsonstat" / "index.json").read_text("utf-8"))
    assert index["version"] == "2.0" and index["class"] == "collection"
    hrefs = [item["href"] for item in index["link"]["item"]]
    assert hrefs == [f"{b.id}.json" for b in report_indicators(catalogue)]
    assert all((out / "jsonstat" / href).is_file() for href in hrefs)


def test_the_tidy_table_in_csv_and_parquet_equals_run(catalogue, out, expected):
    with open(out / "aterrapportering_2018_tidy.csv", encoding="utf-8", newline="") as f:
        from_csv = list(csv.DictReader(f))
    con = duckdb.connect()
    parquet = con.execute("SELECT * FROM read_parquet(?)", [str(out / "aterrapportering_2018_tidy.parquet")])
    columns = [d[0] for d in parquet.description]
    from_parquet = [dict(zip(columns, r, strict=True)) for r in parquet.fetchall()]
    assert columns == list(from_csv[0])
    assert len(from_csv) == len(from_parquet) > 0
    units = {b.id: b for b in report_indicators(catalogue)}
    compared = 0
    for text, typed in zip(from_csv, from_parquet, strict=True):
        assert {k: "" if v is None else str(v) for k, v in typed.items() if k != "value"} == \
            {k: v for k, v in text.items() if k != "value"}
        bound = units[text["indicator"]]
        dims, cats = text["dimension"], text["category"]
        breakdown = () if not dims else tuple(zip(dims.split(" × "), [c or None for c in cats.split(" × ")],
                                                  strict=True))
        row = expected.get((bound.id, text["period"]), {}).get(breakdown)
        want = expected_cell(bound, text["period"], breakdown, row)
        if want in ("..", "."):
            assert (text["value"], text["status"], typed["value"]) == ("", want, None)
            if want == "..":
                assert text["numerator"] == text["denominator"] == text["n"] == ""
        else:
            number = 0 if want == "-" else Decimal(want)
            assert Decimal(text["value"]) == number and typed["value"] == float(number) and text["status"] == ""
            if row is not None:
                assert (typed["numerator"], typed["denominator"], typed["n"]) == \
                    (row["numerator"], row["denominator"], row["n"])
                compared += 1
        assert text["unit"] == {"count": "antal", "share": "procent", "days": "dagar", "years": "år"}[bound.info.unit]
    assert compared > 100


def test_the_series_defaults_to_the_comparison_and_report_years(catalogue, extract):
    _, series = api.report_with_series(catalogue, extract, "2018", "2016")
    assert series.years == ["2016", "2018"]
    table = series.tables[0]
    assert table.periods == [report_period(catalogue.get(table.id), y) for y in ("2016", "2018")]
    assert "TIMEVAL" not in to_px(table, series).decode("iso-8859-1")   # not consecutive: no TIMEVAL


def test_bad_years_are_refused_before_anything_is_computed(catalogue, extract):
    with pytest.raises(EngineError) as caught:
        api.report_with_series(catalogue, extract, "2018", "2017", "1900-1902")
    assert [d.code for d in caught.value.diagnostics] == ["E_PERIOD"]
    assert str(caught.value.diagnostics[0].position) == "--years"
    with pytest.raises(ValueError):
        parse_years("2019-2015")
    assert parse_years("2015–2017") == ["2015", "2016", "2017"] and parse_years("2018") == ["2018"]
    result = CliRunner().invoke(main, ["report", "--data", str(extract), "--year", "2018", "--years", "2015-2019",
                                       "--out", "unused"])
    assert result.exit_code != 0 and "--years" in result.output


def test_an_english_label_falls_back_to_the_swedish_one(make_catalogue):
    """A label declared as Swedish text only (labels: {K: Kvinnor}) is shown in the English outputs too."""
    from conftest import PROJECT_WITH_SOURCE, ROOT
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8").replace(
        "labels: {K: {sv: Kvinnor, en: Women}, M: {sv: Män, en: Men}}", "labels: {K: Kvinnor, M: Män}")
    folder, _ = make_catalogue({"korstabell.yaml": CROSS}, model=model)
    (folder / "project.yaml").write_text(PROJECT_WITH_SOURCE, encoding="utf-8")
    catalogue = api.checked_catalogue(folder, versions=False)
    rows = [{"indicator": "korstabell", "period": "2018", "breakdown": b, "value": 10, "numerator": None,
             "denominator": None, "n": 10} for b in ({}, {"kon": "K"}, {"ersattning": "sjukpenning"})]
    (table,) = build_series(catalogue, {("korstabell", "2018"): rows}, ["2018"]).tables
    assert [c.label["en"] for c in table.categories] == ["Total", "Kvinnor", "Sickness benefit"]


def test_px_text_keeps_to_the_codepage_and_never_ends_a_value():
    assert px_text('Andel ”kvinnor” 30–49 år −1 "x"\nny rad') == "Andel 'kvinnor' 30-49 år -1 'x' ny rad"
    assert px_text("Dvořák ≥ 5 …").encode("iso-8859-1") == b"Dvor\xe1k >= 5 ..."


CROSS = """\
id: korstabell
version: 1
title: {sv: Korstabell, en: Cross table}
description: {sv: En korstabell., en: A cross table.}
unit: count
owner: test
report: test
population:
  entity: kartlaggning
  period: datum
measure:
  kind: count
breakdowns:
  - fall.ersattning
  - {cross: [kon, fall.ersattning]}
"""


def test_a_cross_table_is_one_variable_with_every_cell_and_unique_labels(make_catalogue):
    from conftest import PROJECT_WITH_SOURCE
    folder, _ = make_catalogue({"korstabell.yaml": CROSS})
    (folder / "project.yaml").write_text(PROJECT_WITH_SOURCE, encoding="utf-8")
    catalogue = api.checked_catalogue(folder, versions=False)

    def row(breakdown, n, flag=None):
        return {"indicator": "korstabell", "period": "2018", "breakdown": breakdown, "value": n, "numerator": None,
                "denominator": None, "n": n}
    rows = [row({}, 40), row({"kon": "K"}, 25), row({"kon": "M"}, 15), row({"ersattning": "sjukpenning"}, 30),
            row({"ersattning": None}, 10), row({"kon": "K", "ersattning": "sjukpenning"}, 20),
            row({"kon": "K", "ersattning": None}, 5), row({"kon": "M", "ersattning": "sjukpenning"}, 10),
            row({"kon": "M", "ersattning": None}, 5)]
    series = build_series(catalogue, {("korstabell", "2018"): rows}, ["2018"], generated_at="2019-05-17T08:00:00Z")
    (table,) = series.tables
    assert table.variable[0] == "redovisningsgrupp"
    assert [c.code for c in table.categories] == [
        "total", "kon=K", "kon=M", "ersattning=sjukpenning", "ersattning=saknas", "kon=K,ersattning=sjukpenning",
        "kon=K,ersattning=saknas", "kon=M,ersattning=sjukpenning", "kon=M,ersattning=saknas"]
    labels = [c.label["sv"] for c in table.categories]
    assert labels[:5] == ["Totalt", "Kvinnor", "Män", "Sjukpenning", "Uppgift saknas"]
    assert labels[5] == "Kvinnor, sjukpenning" and len(set(labels)) == len(labels)
    english = [c.label["en"] for c in table.categories]
    assert english[:6] == ["Total", "Women", "Men", "Sickness benefit", "Not stated", "Women, sickness benefit"]
    assert [table.cell(c.code, "2018").value for c in table.categories] == [40, 25, 15, 30, 10, 20, 5, 10, 5]
    text = to_px(table, series).decode("iso-8859-1")
    assert 'LAST-UPDATED="20190517 08:00";' in text
    assert text.endswith("DATA=\r\n40 \r\n25 \r\n15 \r\n30 \r\n10 \r\n20 \r\n5 \r\n10 \r\n5;\r\n")
