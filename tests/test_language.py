"""The language of docs/language.md through the public path: a small catalogue written to tmp_path and loaded.

Every diagnostic is checked for its code, its place (file:line:col, worked out from the file's own text, so the
tests say "at this word" rather than "at column 19") and a hint that says what to write instead.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import ROOT
from engine.periods import parse_period
from engine.plan import plan_query
from engine.render import render_sql

HEAD = """\
id: {id}
version: 1
title: {{sv: Testindikator, en: Test indicator}}
description: {{sv: En test., en: A test.}}
unit: count
owner: test
"""


def indicator(ident: str, body: str) -> str:
    return HEAD.format(id=ident) + textwrap.dedent(body)


def at(folder: Path, name: str, needle: str, skip: int = 0, nth: int = 0) -> tuple[int, int]:
    """(line, col) in the written file of the `nth` occurrence of `needle`, plus `skip` characters."""
    text = (folder / name).read_text("utf-8")
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += skip
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def only(cat, code: str, file: str = "t.yaml", severity: str | None = None):
    """The one diagnostic with `code` in `file` (its position must be known)."""
    found = [d for d in cat.diagnostics if d.code == code and d.position.file.endswith(file)
             and (severity is None or d.severity == severity)]
    assert len(found) == 1, "\n".join(map(str, cat.diagnostics))
    assert found[0].position.line > 0
    return found[0]


def place(diagnostic) -> tuple[int, int]:
    return diagnostic.position.line, diagnostic.position.col


def sql_for(cat, ident: str, period: str = "2018H2", dialect: str = "duckdb") -> str:
    return render_sql(plan_query(cat.get(ident), parse_period(period)), dialect, pretty=False)


# ---------------------------------------------------------------- 1-2. the period as a value; placements


@pytest.mark.parametrize("where, literal", [
    ("where: datum >= '2018-01-01'", "'2018-01-01'"),
    ("where: datum BETWEEN '2018-01-01' AND '2018-12-31'", "'2018-01-01'"),
    ("where: \"datum >= DATE '2018-01-01'\"", "'2018-01-01'"),
    ("where: year(datum) = 2018", "2018"),
    ("where: year(fall.startdatum) BETWEEN 2016 AND 2018", "2016"),
    ("where: year(datum) IN (2017, 2018)", "2017"),
    ("where: 2018 = year(datum)", "2018"),
])
def test_date_literal_in_a_where_is_a_warning_at_the_literal(make_catalogue, where, literal):
    folder, cat = make_catalogue({"t.yaml": indicator("t", f"""\
        population:
          entity: kartlaggning
          period: datum
          {where}
        measure: {{kind: count}}
        """)})
    assert cat.errors == [] and "t" in cat.indicators      # a warning: the indicator still resolves
    warnings = [d for d in cat.diagnostics if d.code == "W_DATE_LITERAL" and d.severity == "warning"]
    assert warnings, "\n".join(map(str, cat.diagnostics))
    warning = warnings[0]                                    # BETWEEN two dates: one warning per date
    assert place(warning) == at(folder, "t.yaml", literal)
    assert literal.strip("'") in warning.message
    hint = "year(period_end)" if not literal.startswith("'") else "period_start / period_end"
    assert hint in warning.hint


def test_date_literal_in_a_field_where_is_a_warning_at_the_literal(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: person
          period: {placed_by: conditions}
          fields:
            insatser_i_perioden:
              aggregate: count
              of: insatser
              where: startdatum BETWEEN period_start AND period_end AND year(startdatum) >= 2018
          where: insatser_i_perioden >= 2
        measure: {kind: count}
        """)})
    assert cat.errors == []
    warning = only(cat, "W_DATE_LITERAL")
    assert place(warning) == at(folder, "t.yaml", "2018")
    assert "year(period_end)" in warning.hint


def test_date_literal_in_an_exists_where_is_a_warning_at_the_literal(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: samarbete
          period: startdatum
          where:
            - exists: insatser
              where: startdatum < '2018-06-01'
        measure: {kind: count}
        """)})
    assert cat.errors == []
    assert place(only(cat, "W_DATE_LITERAL")) == at(folder, "t.yaml", "'2018-06-01'")


@pytest.mark.parametrize("where", [
    "where: year(datum) = year(period_end)",
    "where: datum BETWEEN period_start AND period_end",
    "where: age_at(person.fodelsear, datum) < 30",       # an age, not a year
    "where: person.fodelsear >= 1950",                    # a birth year is no period
    "where: month(datum) = 12",
])
def test_no_date_literal_warning_without_a_date_or_year_of_the_period(make_catalogue, where):
    _, cat = make_catalogue({"t.yaml": indicator("t", f"""\
        population:
          entity: kartlaggning
          period: datum
          {where}
        measure: {{kind: count}}
        """)})
    assert cat.diagnostics == []


@pytest.mark.parametrize("conditions", [
    "where: kon = 'K'",
    "where: [kon = 'K', fodelsear > 1950]",
])
def test_placed_by_conditions_without_the_period_is_an_error(make_catalogue, conditions):
    folder, cat = make_catalogue({"t.yaml": indicator("t", f"""\
        population:
          entity: person
          period: {{placed_by: conditions}}
          {conditions}
        measure: {{kind: count}}
        """)})
    error = only(cat, "E_PERIOD_CONSTANT")
    assert place(error) == at(folder, "t.yaml", "{placed_by")
    assert "period_start" in error.hint and "period_end" in error.hint
    assert "t" not in cat.indicators


def test_placed_by_conditions_with_a_fixed_date_in_a_field_is_still_constant(make_catalogue):
    """A date typed into the field's where is not the period: a warning at the date and the placement error."""
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: person
          period: {placed_by: conditions}
          fields:
            n:
              aggregate: count
              of: insatser
              where: startdatum >= '2018-01-01'
          where: n >= 2
        measure: {kind: count}
        """)})
    assert place(only(cat, "E_PERIOD_CONSTANT")) == at(folder, "t.yaml", "{placed_by")
    assert place(only(cat, "W_DATE_LITERAL")) == at(folder, "t.yaml", "'2018-01-01'")


@pytest.mark.parametrize("period", ["period_end", "\"DATE '2018-05-01'\"", "\"period_start + 10\""])
def test_a_placement_date_that_does_not_depend_on_the_unit(make_catalogue, period):
    folder, cat = make_catalogue({"t.yaml": indicator("t", f"""\
        population:
          entity: kartlaggning
          period: {period}
        measure: {{kind: count}}
        """)})
    error = only(cat, "E_PERIOD_CONSTANT")
    assert place(error) == at(folder, "t.yaml", period)
    assert "period: datum" in error.hint


def test_a_text_date_as_placement_is_period_constant_as_documented(make_catalogue):
    _, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: kartlaggning
          period: "'2018-05-01'"
        measure: {kind: count}
        """)})
    assert [d.code for d in cat.errors] == ["E_PERIOD_CONSTANT"]


def test_the_period_in_where_field_where_and_exists_where(make_catalogue):
    _, cat = make_catalogue({
        "w.yaml": indicator("w", """\
            population:
              entity: samarbete
              period: {placed_by: conditions}
              where: startdatum BETWEEN period_start AND period_end
            measure: {kind: count}
            """),
        "f.yaml": indicator("f", """\
            population:
              entity: person
              period: {placed_by: conditions}
              fields:
                insatser_i_perioden:
                  aggregate: count
                  of: insatser
                  where: startdatum BETWEEN period_start AND period_end
              where: insatser_i_perioden >= 2
            measure: {kind: count}
            """),
        "e.yaml": indicator("e", """\
            population:
              entity: samarbete
              period: {placed_by: conditions}
              where:
                - exists: insatser
                  where: startdatum >= period_start AND startdatum <= period_end
            measure: {kind: count}
            """),
    })
    assert cat.diagnostics == []
    assert sorted(cat.indicators) == ["e", "f", "w"]
    for ident in cat.indicators:
        sql = sql_for(cat, ident, "2018H2")
        assert "CAST('2018-07-01' AS DATE)" in sql and "CAST('2018-12-31' AS DATE)" in sql, ident
        assert "period_" not in sql
        # the same definition is right for another period
        assert "CAST('2016-03-01' AS DATE)" in sql_for(cat, ident, "2016-03")


@pytest.mark.parametrize("period, fragment", [
    ("{date: startdatum}",
     "samarbete.startdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)"),
    ("startdatum",
     "samarbete.startdatum BETWEEN CAST('2018-07-01' AS DATE) AND CAST('2018-12-31' AS DATE)"),
    ("{ongoing: {start: startdatum, end: slutdatum}}",
     "samarbete.startdatum <= CAST('2018-12-31' AS DATE) AND (samarbete.slutdatum IS NULL OR "
     "samarbete.slutdatum >= CAST('2018-07-01' AS DATE))"),
    ("{ongoing: {start: startdatum, end: slutdatum}, on: last_day}",
     "samarbete.startdatum <= CAST('2018-12-31' AS DATE) AND (samarbete.slutdatum IS NULL OR "
     "samarbete.slutdatum >= CAST('2018-12-31' AS DATE))"),
    ("{ongoing: {start: startdatum, end: slutdatum}, on: first_day}",
     "samarbete.startdatum <= CAST('2018-07-01' AS DATE) AND (samarbete.slutdatum IS NULL OR "
     "samarbete.slutdatum >= CAST('2018-07-01' AS DATE))"),
])
def test_placements_resolve_to_their_documented_condition(make_catalogue, period, fragment):
    _, cat = make_catalogue({"t.yaml": indicator("t", f"""\
        population:
          entity: samarbete
          period: {period}
        measure: {{kind: count}}
        """)})
    assert cat.diagnostics == []
    assert fragment in sql_for(cat, "t", "2018H2")


def test_an_ongoing_end_that_is_constant_is_an_error(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: samarbete
          period: {ongoing: {start: startdatum, end: period_end}}
        measure: {kind: count}
        """)})
    error = only(cat, "E_PERIOD_CONSTANT")
    assert place(error) == at(folder, "t.yaml", "period_end}")
    assert "end: slutdatum" in error.hint


def test_a_model_column_may_not_be_named_like_the_period(make_catalogue):
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    anchor = "      datum: {type: date}\n    relationships:\n      person: {to: person, foreign_key: person_id, " \
             "reverse: kartlaggningar}"
    assert anchor in model
    model = model.replace(anchor, anchor.replace("datum: {type: date}\n", "datum: {type: date}\n      period_end: "
                                                 "{type: date}\n"))
    _, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: kartlaggning
          period: datum
          where: period_end IS NOT NULL
        measure: {kind: count}
        """)}, model=model)
    assert any(d.position.file.endswith("model.yaml") for d in cat.errors), "\n".join(map(str, cat.diagnostics))


# ---------------------------------------------------------------- 8. population: {from: X, where: ...}

BASE = """\
population:
  entity: kartlaggning
  period: datum
measure: {kind: count}
"""


def test_population_from_another_indicator(make_catalogue):
    _, cat = make_catalogue({
        "bas.yaml": indicator("bas", BASE),
        "t.yaml": indicator("t", """\
            population:
              from: bas
              where: fall.ersattning = 'sjukpenning'
            measure: {kind: count}
            """)})
    assert cat.diagnostics == []
    bound = cat.get("t")
    assert bound.population_from == ("bas",) and bound.entity == "kartlaggning"
    sql = sql_for(cat, "t")
    assert "kartlaggning.datum BETWEEN" in sql and "'sjukpenning'" in sql


def test_population_from_an_unknown_indicator(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          from: antal_avslutad
          where: fall.ersattning = 'sjukpenning'
        measure: {kind: count}
        """)})
    error = only(cat, "E_UNKNOWN_INDICATOR")
    assert place(error) == at(folder, "t.yaml", "antal_avslutad")
    assert "'antal_avslutad'" in error.message and "from:" in error.hint


def test_population_from_itself_is_a_cycle(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          from: t
        measure: {kind: count}
        """)})
    error = only(cat, "E_FROM_CYCLE")
    assert place(error) == at(folder, "t.yaml", "from: t", skip=len("from: "))
    assert "t → t" in error.message and "entity and period" in error.hint


def test_population_from_a_two_indicator_cycle(make_catalogue):
    folder, cat = make_catalogue({
        "a.yaml": indicator("a", "population:\n  from: b\nmeasure: {kind: count}\n"),
        "b.yaml": indicator("b", "population:\n  from: a\nmeasure: {kind: count}\n"),
    })
    error = only(cat, "E_FROM_CYCLE", file="a.yaml")
    assert place(error) == at(folder, "a.yaml", "b\n")
    assert "a → b → a" in error.message


def test_population_from_an_indicator_with_errors(make_catalogue):
    folder, cat = make_catalogue({
        "bas.yaml": indicator("bas", BASE.replace("period: datum", "period: datm")),
        "t.yaml": indicator("t", """\
            population:
              from: bas
              where: fall.ersattning = 'sjukpenning'
            measure: {kind: count}
            """)})
    base_error = only(cat, "E_UNKNOWN_COLUMN", file="bas.yaml")      # reported once, at its own file
    assert place(base_error) == at(folder, "bas.yaml", "datm")
    error = only(cat, "E_FROM_INVALID")
    assert place(error) == at(folder, "t.yaml", "bas\n")
    assert "'bas'" in error.message and "bas.yaml" in error.hint


def test_population_from_may_not_change_the_entity(make_catalogue):
    folder, cat = make_catalogue({
        "bas.yaml": indicator("bas", BASE),
        "t.yaml": indicator("t", "population:\n  from: bas\n  entity: kartlaggning\nmeasure: {kind: count}\n")})
    error = only(cat, "E_FROM_EXTRA")                 # the entity is the base's: it cannot be changed here
    assert place(error) == at(folder, "t.yaml", "entity: kartlaggning")
    assert "'entity'" in error.message and "write the population out in full" in error.hint


# ---------------------------------------------------------------- 5. ratio

MOTE = """\
population:
  entity: mote
  period: datum
  where: motestyp = 'kontaktmote'
measure:
  kind: ratio
"""


def test_a_ratio_resolves(make_catalogue):
    _, cat = make_catalogue({"t.yaml": indicator("t", MOTE + """\
  numerator: {aggregate: count}
  denominator: {aggregate: count_distinct, of: person_id}
""")})
    assert cat.diagnostics == []
    assert "CAST(COUNT(*) AS DOUBLE) / NULLIF(COUNT(DISTINCT den_value), 0)" in sql_for(cat, "t")


def test_a_ratio_without_numerator(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", MOTE + """\
  denominator: {aggregate: count_distinct, of: person_id}
""")})
    error = only(cat, "E_RATIO")
    assert place(error) == at(folder, "t.yaml", "kind: ratio")     # the measure mapping
    assert "numerator" in error.message and "numerator: {aggregate: count}" in error.hint


def test_a_ratio_without_denominator(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", MOTE + """\
  numerator: {aggregate: count}
""")})
    error = only(cat, "E_RATIO")
    assert place(error) == at(folder, "t.yaml", "kind: ratio")
    assert "denominator" in error.message and "denominator: {aggregate: count_distinct" in error.hint


def test_a_ratio_count_with_of(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", MOTE + """\
  numerator: {aggregate: count, of: mote_id}
  denominator: {aggregate: count_distinct, of: person_id}
""")})
    error = only(cat, "E_MEASURE_EXTRA")
    assert place(error) == at(folder, "t.yaml", "of: mote_id")
    assert "count_distinct" in error.hint and "of: person_id" in error.hint
    assert "population.fields" in error.hint        # counting related rows: a field


def test_a_ratio_sum_of_text(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", MOTE + """\
  numerator: {aggregate: count}
  denominator: {aggregate: sum, of: motestyp}
""")})
    error = only(cat, "E_TYPE")
    assert place(error) == at(folder, "t.yaml", "motestyp}")
    assert "numeric column" in error.hint


def test_a_count_measure_with_of_explains_count_distinct(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", """\
        population:
          entity: mote
          period: datum
        measure:
          kind: count
          of: person_id
        """)})
    error = only(cat, "E_MEASURE_EXTRA")
    assert place(error) == at(folder, "t.yaml", "of: person_id")
    assert "count_distinct" in error.hint and "of: person_id" in error.hint


# ---------------------------------------------------------------- 6. bands

BANDS = """\
      - {code: under_30, below: 30, label: {sv: Under 30 år, en: Under 30}}
      - {code: "30_49", from: 30, below: 50, label: {sv: 30–49 år, en: 30–49}}
      - {code: 50_och_aldre, from: 50, label: {sv: 50 år och äldre, en: 50 and older}}
"""
BAND_BREAKDOWN = indicator("t", """\
    population:
      entity: kartlaggning
      period: datum
    measure: {kind: count}
    breakdowns:
      - {band: aldersgrupp, of: "age_at(person.fodelsear, datum)"}
    """)


def model_with_bands(bands: str) -> str:
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    assert BANDS in model
    return model.replace(BANDS, bands)


def test_bands_resolve_to_a_case_in_declared_order(make_catalogue):
    _, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN})
    assert cat.diagnostics == []
    sql = sql_for(cat, "t")
    assert sql.index("'under_30'") < sql.index("'30_49'") < sql.index("'50_och_aldre'")
    assert ">= 30 AND" in sql and "< 50 THEN '30_49'" in sql


@pytest.mark.parametrize("bands, where, skip, message, hint", [
    # a gap: the second band starts above where the first ends
    ("""\
      - {code: a, below: 30, label: {sv: A, en: A}}
      - {code: b, from: 35, below: 50, label: {sv: B, en: B}}
      - {code: c, from: 50, label: {sv: C, en: C}}
""", "from: 35", 6, "a gap between bands 'a' and 'b'", "from: 30"),
    # an overlap
    ("""\
      - {code: a, below: 30, label: {sv: A, en: A}}
      - {code: b, from: 25, below: 50, label: {sv: B, en: B}}
      - {code: c, from: 50, label: {sv: C, en: C}}
""", "from: 25", 6, "an overlap between bands 'a' and 'b'", "from: 30"),
    # unsorted, bounded bands: the second starts below the first
    ("""\
      - {code: b, from: 30, below: 50, label: {sv: B, en: B}}
      - {code: a, from: 0, below: 30, label: {sv: A, en: A}}
""", "from: 0", 6, "an overlap between bands 'b' and 'a'", "from: 50"),
    # unsorted, descending: the open-ended bands are in the wrong places
    ("""\
      - {code: c, from: 50, label: {sv: C, en: C}}
      - {code: b, from: 30, below: 50, label: {sv: B, en: B}}
      - {code: a, below: 30, label: {sv: A, en: A}}
""", "{code: c", 0, "band 'c' has no 'below': only the last band is open above", "below: 30"),
    # a middle band open above
    ("""\
      - {code: a, below: 30, label: {sv: A, en: A}}
      - {code: b, from: 30, label: {sv: B, en: B}}
      - {code: c, from: 50, label: {sv: C, en: C}}
""", "{code: b", 0, "band 'b' has no 'below'", "below: 50"),
])
def test_bands_with_gaps_overlaps_or_out_of_order(make_catalogue, bands, where, skip, message, hint):
    folder, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN}, model=model_with_bands(bands))
    errors = [d for d in cat.errors if d.code == "E_BANDS"]
    assert errors, "\n".join(map(str, cat.diagnostics))
    first = errors[0]
    assert first.position.file.endswith("model.yaml")
    assert place(first) == at(folder, "model.yaml", where, skip=skip)
    assert message in first.message and hint in first.hint


@pytest.mark.parametrize("bands, where, message", [
    ("""\
      - {code: a, below: 30, label: {sv: A, en: A}}
      - {code: b, from: 30, below: 30, label: {sv: B, en: B}}
      - {code: c, from: 30, label: {sv: C, en: C}}
""", "{code: b", "band 'b' is empty: from 30 is not below 30"),
    ("""\
      - {code: a, below: 30, label: {sv: A, en: A}}
      - {code: a, from: 30, label: {sv: B, en: B}}
""", "a, from: 30", "band code 'a' is used twice"),
])
def test_empty_bands_and_duplicate_codes(make_catalogue, bands, where, message):
    folder, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN}, model=model_with_bands(bands))
    error = only(cat, "E_BANDS", file="model.yaml")
    assert place(error) == at(folder, "model.yaml", where)
    assert message in error.message


def test_a_broken_classification_is_not_reported_as_missing(make_catalogue):
    bands = BANDS.replace("from: 50,", "from: 55,")
    _, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN}, model=model_with_bands(bands))
    assert "E_BANDS" in [d.code for d in cat.errors]
    assert "E_UNKNOWN_CLASSIFICATION" not in [d.code for d in cat.errors], "\n".join(map(str, cat.errors))


def test_a_band_breakdown_of_an_unknown_classification(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN.replace("band: aldersgrupp", "band: aldersgrup")})
    error = only(cat, "E_UNKNOWN_CLASSIFICATION")
    assert place(error) == at(folder, "t.yaml", "aldersgrup,")
    assert "did you mean 'aldersgrupp'" in error.hint


def test_a_band_breakdown_of_a_classification_that_is_nowhere_near(make_catalogue):
    _, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN.replace("band: aldersgrupp", "band: inkomstklass")})
    error = only(cat, "E_UNKNOWN_CLASSIFICATION")
    assert "aldersgrupp" in error.hint or "classifications:" in error.hint


@pytest.mark.parametrize("of, human", [("fall.ersattning", "text"), ("datum", "a date")])
def test_a_band_of_a_non_number(make_catalogue, of, human):
    folder, cat = make_catalogue({"t.yaml": BAND_BREAKDOWN.replace('"age_at(person.fodelsear, datum)"', of)})
    error = only(cat, "E_TYPE")
    assert place(error) == at(folder, "t.yaml", of + "}")
    assert f"is {human}" in error.message and "numeric" in error.hint


# ---------------------------------------------------------------- 7. cross-tables

def cross(items: str) -> str:
    return indicator("t", "population:\n  entity: kartlaggning\n  period: datum\nmeasure: {kind: count}\n"
                          f"breakdowns:\n  - {items}\n")


def test_a_cross_table_resolves(make_catalogue):
    _, cat = make_catalogue({"t.yaml": cross("{cross: [kon, fall.ersattning]}")})
    assert cat.diagnostics == []
    assert [(a.name, b.name) for a, b in cat.get("t").crosses] == [("kon", "ersattning")]
    assert "(by_kon, by_ersattning)" in sql_for(cat, "t")


@pytest.mark.parametrize("items", ["{cross: [kon, kon]}", "{cross: [fall.ersattning, fall.ersattning]}",
                                   "{cross: [person.kon, kon]}"])
def test_a_cross_of_a_column_with_itself(make_catalogue, items):
    folder, cat = make_catalogue({"t.yaml": cross(items)})
    error = only(cat, "E_BREAKDOWN_DUPLICATE")
    assert place(error) == at(folder, "t.yaml", "{cross")
    assert "with itself" in error.message


def test_a_cross_with_an_unknown_column(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": cross("{cross: [kon, fall.ersattnin]}")})
    error = only(cat, "E_UNKNOWN_COLUMN")
    assert place(error) == at(folder, "t.yaml", "ersattnin]")
    assert "did you mean 'ersattning'" in error.hint


def test_a_cross_with_an_expression(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": cross("{cross: [kon, upper(fall.ersattning)]}")})
    error = only(cat, "E_SCHEMA")
    assert place(error) == at(folder, "t.yaml", "upper(")
    assert "column path" in error.hint and "{band:" in error.hint


def test_a_breakdown_listed_twice(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": cross("fall.ersattning\n  - fall.ersattning")})
    error = only(cat, "E_BREAKDOWN_DUPLICATE")
    assert place(error) == at(folder, "t.yaml", "fall.ersattning", nth=1)


# ---------------------------------------------------------------- errors inside block and multi-line scalars

WHERE_BODY = """\
population:
  entity: kartlaggning
  period: datum
{where}measure: {{kind: count}}
"""


@pytest.mark.parametrize("where", [
    # folded, stripped
    "  where: >-\n    fall.ersattning = 'sjukpenning'\n    AND datum >= fall.startdatum\n"
    "    AND fall.slutdatm IS NULL\n",
    # literal
    "  where: |\n    fall.ersattning = 'sjukpenning'\n    AND datum >= fall.startdatum\n"
    "    AND fall.slutdatm IS NULL\n",
    # folded with more indentation and extra spaces on the third line
    "  where: >\n      fall.ersattning = 'sjukpenning'\n      AND datum >= fall.startdatum\n"
    "      AND   fall.slutdatm IS NULL\n",
    # folded with an empty line in between
    "  where: >-\n    fall.ersattning = 'sjukpenning'\n\n    AND fall.slutdatm IS NULL\n",
    # a folded item of a list of conditions
    "  where:\n    - >-\n      fall.ersattning = 'sjukpenning'\n      AND datum >= fall.startdatum\n"
    "      AND fall.slutdatm IS NULL\n",
    # a double-quoted scalar over two lines
    "  where: \"fall.ersattning = 'sjukpenning'\n    AND fall.slutdatm IS NULL\"\n",
    "  where: \"fall.ersattning = 'sjukpenning' AND\n      fall.slutdatm IS NULL\"\n",
    # single-quoted and plain scalars over two lines
    "  where: 'fall.ersattning = ''sjukpenning''\n    AND fall.slutdatm IS NULL'\n",
    "  where: fall.ersattning = 'sjukpenning'\n    AND fall.slutdatm IS NULL\n",
    # an escape before the typo shifts the text against the file
    "  where: \"fall.ersattning = 'sjuk\\u0070enning' AND fall.slutdatm IS NULL\"\n",
])
def test_an_error_in_a_multi_line_scalar_points_at_the_typo(make_catalogue, where):
    folder, cat = make_catalogue({"t.yaml": indicator("t", WHERE_BODY.format(where=where))})
    error = only(cat, "E_UNKNOWN_COLUMN")
    assert place(error) == at(folder, "t.yaml", "slutdatm")
    assert place(error) != at(folder, "t.yaml", "where:")
    assert "did you mean 'slutdatum'" in error.hint


def test_a_warning_in_a_folded_scalar_points_at_the_literal(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", WHERE_BODY.format(
        where="  where: >-\n    fall.ersattning = 'sjukpenning'\n    AND datum >= fall.startdatum\n"
              "    AND fall.slutdatum >= '2018-01-01'\n"))})
    assert cat.errors == []
    assert place(only(cat, "W_DATE_LITERAL")) == at(folder, "t.yaml", "'2018-01-01'")


def test_a_forbidden_function_in_a_folded_scalar_points_at_it(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": indicator("t", WHERE_BODY.format(
        where="  where: >-\n    fall.ersattning = 'sjukpenning'\n    AND datum >= fall.startdatum\n"
              "    AND strftime(fall.slutdatum, '%Y') = '2018'\n"))})
    error = only(cat, "E_EXPR_FUNCTION")
    assert place(error) == at(folder, "t.yaml", "strftime")


@pytest.mark.parametrize("title, needle", [
    ('title: {sv: "Te\x07st", en: T}', "\x07"),
    ("title:\n  sv: Te\x07st\n  en: T", "\x07"),
    ("title:\n  sv: Tëst\x07\n  en: T", "\x07"),          # columns count characters, not bytes
])
def test_a_control_character_in_a_title(make_catalogue, title, needle):
    text = indicator("t", BASE).replace("title: {sv: Testindikator, en: Test indicator}", title)
    folder, cat = make_catalogue({"t.yaml": text})
    error = only(cat, "E_YAML")
    assert place(error) == at(folder, "t.yaml", needle)
    assert "U+0007" in error.message and "delete it" in error.hint


# ---------------------------------------------------------------- functions, breakdowns and fields: what to write


@pytest.mark.parametrize("expression", ["strftime(datum, '%Y') = '2018'", "STRFTIME(datum, '%Y') = '2018'"])
def test_strftime_is_named_as_written(make_catalogue, expression):
    folder, cat = make_catalogue({"t.yaml": indicator("t", WHERE_BODY.format(where=f'  where: "{expression}"\n'))})
    error = only(cat, "E_EXPR_FUNCTION")
    assert place(error) == at(folder, "t.yaml", expression[:8])
    assert "'strftime'" in error.message
    assert "time_to_str" not in (error.message + error.hint).lower()
    assert "year(" in error.hint


@pytest.mark.parametrize("expression, written", [
    ("date_part('year', datum) = 2018", "date_part"),
    ("datediff('day', fall.startdatum, datum) > 30", "datediff"),
    ("today() > datum", "today"),
    ("to_char(datum, 'YYYY') = '2018'", "to_char"),
])
def test_other_functions_are_named_as_written(make_catalogue, expression, written):
    _, cat = make_catalogue({"t.yaml": indicator("t", WHERE_BODY.format(where=f'  where: "{expression}"\n'))})
    error = only(cat, "E_EXPR_FUNCTION")
    assert f"'{written}'" in error.message and error.hint


@pytest.mark.parametrize("expression", ["fall.diagnoskod REGEXP '^F'", "fall.diagnoskod ~ '^F'"])
def test_operators_are_named_as_written(make_catalogue, expression):
    _, cat = make_catalogue({"t.yaml": indicator("t", WHERE_BODY.format(where=f'  where: "{expression}"\n'))})
    error = only(cat, "E_EXPR_OPERATOR")
    assert "regexp_like" not in error.message and "REGEXP, ~" in error.message
    assert "LIKE 'F%'" in error.hint


def test_a_column_of_a_related_row_as_breakdown(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": cross("ersattning")})
    error = only(cat, "E_UNKNOWN_COLUMN")
    assert place(error) == at(folder, "t.yaml", "- ersattning", skip=2)
    assert "fall.ersattning" in error.hint


@pytest.mark.parametrize("breakdown", ["upper(kon)", '"upper(person.kon)"', "\"coalesce(kon, 'x')\""])
def test_an_expression_as_breakdown(make_catalogue, breakdown):
    folder, cat = make_catalogue({"t.yaml": cross(breakdown)})
    error = only(cat, "E_SCHEMA")
    assert place(error) == at(folder, "t.yaml", breakdown)
    assert "a breakdown is a column path" in error.hint
    assert "{band:" in error.hint and "{cross:" in error.hint


def test_a_date_as_breakdown(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": cross("fall.startdatum")})
    error = only(cat, "E_BREAKDOWN_TYPE")
    assert place(error) == at(folder, "t.yaml", "fall.startdatum")
    assert "{band:" in error.hint


@pytest.mark.parametrize("entity, of, relationships", [
    ("person", "fodelsear", ["ersattningsfall", "insatser", "kartlaggningar", "moten", "samarbeten"]),
    ("kartlaggning", "datum", ["samarbeten"]),
])
def test_a_field_counting_a_column_of_the_unit(make_catalogue, entity, of, relationships):
    folder, cat = make_catalogue({"t.yaml": indicator("t", f"""\
        population:
          entity: {entity}
          period: {{placed_by: conditions}}
          fields:
            n:
              aggregate: count
              of: {of}
          where: n >= 2
        measure: {{kind: count}}
        """)})
    error = only(cat, "E_FIELD_PATH")
    assert place(error) == at(folder, "t.yaml", of + "\n")
    assert f"'{of}'" in error.message and "relationship" in error.message
    assert f"write of: {relationships[0]}" in error.hint
    assert all(r in error.hint for r in relationships)


# ---------------------------------------------------------------- every error with a suggestion (README)


@pytest.mark.parametrize("breakdowns, bands, code", [
    ("{cross: [kon, kon]}", None, "E_BREAKDOWN_DUPLICATE"),
    ("fall.ersattning\n  - fall.ersattning", None, "E_BREAKDOWN_DUPLICATE"),
    (None, BANDS.replace("from: 30, below: 50", "from: 30, below: 30"), "E_BANDS"),
    (None, BANDS.replace("code: 50_och_aldre", "code: under_30"), "E_BANDS"),
])
def test_these_errors_say_what_to_write(make_catalogue, breakdowns, bands, code):
    files = {"t.yaml": cross(breakdowns) if breakdowns else BAND_BREAKDOWN}
    _, cat = make_catalogue(files, model=model_with_bands(bands) if bands else None)
    errors = [d for d in cat.errors if d.code == code]
    assert errors and all(d.hint for d in errors), "\n".join(map(str, cat.diagnostics))


@pytest.mark.parametrize("key, body", [
    ("fields", "  fields:\n    antal: {aggregate: count, of: insatser}\n"),
    ("one_per", "  one_per: {key: person_id, first_by: [startdatum]}\n"),
])
def test_population_from_adds_only_conditions(make_catalogue, key, body):
    folder, cat = make_catalogue({
        "bas.yaml": indicator("bas", BASE.replace("kartlaggning", "samarbete").replace("datum", "startdatum")),
        "t.yaml": indicator("t", "population:\n  from: bas\n" + body + "measure: {kind: count}\n")})
    error = only(cat, "E_FROM_EXTRA")
    assert place(error) == at(folder, "t.yaml", key + ":")
    assert "only where:" in error.hint and "write the population out in full" in error.hint
