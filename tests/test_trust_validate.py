"""`validate` owns every definition error it can know: what validates does not fail on the data.

A definition that validates and then fails at run time seems to blame the data. Each case here was such a
definition: `diagnoskod LIKE 5`, `CAST(diagnoskod AS DATE)`, `round(x, 99999999999)`,
`substring(x, -5, 99999999999)`, `x % 0` (and `x % y` with a 0 in the data), functions given arguments of
the wrong type. Each is now a located error with a stable code and a hint (docs/language.md, section 9),
checked through the public path (a catalogue written to tmp_path and loaded) and, where a run was the
symptom, by running the compiled SQL on DuckDB.

The fuzz targets at the end feed random and mutated expressions and YAML texts through the loader, the
allowlist and resolve: the result is a bound indicator whose SQL runs, or located, coded diagnostics, never
an exception.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlglot import exp

import engine.resolve.rewrite as rw
from conftest import ROOT, SCHEMA_LINE
from engine.catalogue import load_model
from engine.diagnostics import Diagnostics, Position
from engine.execute import load_tables
from engine.expressions import Source, parse_expression
from engine.load import load_text
from engine.periods import parse_period
from engine.plan import plan_query
from engine.render import DIALECTS, CompileRefused, render_sql
from engine.resolve import resolve_indicator
from engine.resolve.annotate import annotate, set_type, type_of
from engine.validate import validate_schema

HEAD = """\
id: t
version: 1
title: {{sv: Testindikator, en: Test indicator}}
description: {{sv: En test., en: A test.}}
unit: {unit}
owner: test
"""


def where(expression: str, entity: str = "kartlaggning", period: str = "datum") -> str:
    """An indicator whose population's `where` is `expression`, written as a double-quoted YAML scalar."""
    return HEAD.format(unit="count") + textwrap.dedent(f"""\
        population:
          entity: {entity}
          period: {period}
          where: {json.dumps(expression)}
        measure: {{kind: count}}
        """)


def at(folder: Path, needle: str, nth: int = 0) -> tuple[int, int]:
    """(line, col) in t.yaml of the `nth` occurrence of `needle` after the `where:` key."""
    text = (folder / "t.yaml").read_text("utf-8")
    index = text.index("where:")
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def the_error(cat, code: str):
    errors = [d for d in cat.errors if d.position.file.endswith("t.yaml")]
    assert [d.code for d in errors] == [code], "\n".join(map(str, cat.diagnostics))
    assert errors[0].position.line > 0 and errors[0].hint
    assert "t" not in cat.indicators
    return errors[0]


def place(diagnostic) -> tuple[int, int]:
    return diagnostic.position.line, diagnostic.position.col


def sql_for(cat, dialect: str = "duckdb", period: str = "2018") -> str:
    return render_sql(plan_query(cat.get("t"), parse_period(period)), dialect, pretty=False)


# ---------------------------------------------------------------- LIKE needs text on both sides


@pytest.mark.parametrize("expression, needle, message, hint", [
    ("fall.diagnoskod LIKE 5", "5", "LIKE needs text on both sides, but 5 is integer", "LIKE '5'"),
    ("fall.diagnoskod NOT LIKE 5", "5", "but 5 is integer", "LIKE '5'"),
    ("fall.diagnoskod LIKE person.fodelsear", "person.fodelsear", "but 'person.fodelsear' is integer", "LIKE 'F%'"),
    ("person.fodelsear LIKE '19%'", "person.fodelsear", "but 'person.fodelsear' is integer",
     "compare the number as a number"),
    ("datum LIKE '2018%'", "datum", "but 'kartlaggning.datum' is date", "compare dates as dates"),
])
def test_like_needs_text_on_both_sides(make_catalogue, expression, needle, message, hint):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, "E_TYPE")
    assert message in error.message and hint in error.hint
    assert place(error) == at(folder, needle)


def test_like_on_text_still_validates_and_runs(make_catalogue, fuzz_db):
    _, cat = make_catalogue({"t.yaml": where("fall.diagnoskod LIKE 'F%' AND NOT fall.diagnoskod LIKE NULL")})
    assert cat.errors == []
    fuzz_db.execute(sql_for(cat)).fetchall()


def test_validate_prints_the_like_error_at_the_literal(make_catalogue):
    """What the analyst sees: file:line:col at the 5, the code, the message and the hint."""
    folder, _ = make_catalogue({"t.yaml": where("fall.diagnoskod LIKE 5")})
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "validate", "--indicators", str(folder)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 1
    line, col = at(folder, "5")
    assert (f"t.yaml:{line}:{col}: E_TYPE LIKE needs text on both sides, but 5 is integer\n"
            "    hint: write the pattern as text in single quotes: LIKE '5' (% is any text, _ one character)"
            ) in proc.stdout + proc.stderr


# ---------------------------------------------------------------- conversions that can fail on the data


@pytest.mark.parametrize("expression, needle, message, hint", [
    ("CAST(fall.diagnoskod AS DATE) > datum", "fall.diagnoskod",
     "converting text to date can fail on the data: the run would stop at the first value of 'fall.diagnoskod' "
     "that is not a date", "declare it with type: date in model.yaml"),
    ("CAST(fall.diagnoskod AS INTEGER) > 1", "fall.diagnoskod", "converting text to integer can fail on the data",
     "compare the text as text"),
    ("fall.diagnoskod::double > 1", "fall.diagnoskod", "converting text to double can fail", "type: double"),
    ("CAST(upper(fall.diagnoskod) AS BIGINT) > 1", "upper", "converting text to bigint", "type: bigint"),
    ("CAST(person_id AS INT) = 1", "person_id",
     "a value of 'kartlaggning.person_id' above 2147483647 does not fit an integer", "leave the CAST out"),
    ("CAST(datum AS VARCHAR) LIKE '2018%'", "datum", "converting a date to text gives different text",
     "compare dates as dates"),
    ("CAST(datum - fall.startdatum + 0.5 AS VARCHAR) = '1'", "datum", "converting a decimal number to text",
     "compare the number as a number"),
    ("CAST(fall.psykiatrisk_diagnos AS VARCHAR) = 'true'", "fall.psykiatrisk_diagnos", "converting a condition to text",
     "CASE WHEN"),
    ("CAST(person.fodelsear AS DATE) > datum", "person.fodelsear", "integer, which cannot be converted to a date",
     "year(datum)"),
    ("CAST(datum AS INT) > 1", "datum", "is a date, which cannot be converted to integer", "year(datum)"),
    ("CAST(fall.psykiatrisk_diagnos AS INT) = 1", "fall.psykiatrisk_diagnos", "not every engine converts",
     "CASE WHEN <condition> THEN 1 ELSE 0 END"),
    ("CAST('F32' AS INT) = person.fodelsear", "'F32'", "'F32' is not a whole number that fits integer",
     "without quotes"),
    ("CAST('99999999999' AS INT) = person.fodelsear", "'99999999999'", "is not a whole number that fits integer",
     "without quotes"),
    ("CAST('1.5' AS BIGINT) = person.fodelsear", "'1.5'", "is not a whole number that fits bigint", "without quotes"),
    ("CAST('nan' AS DOUBLE) = person.fodelsear", "'nan'", "'nan' is not a number", "without quotes"),
])
def test_a_conversion_that_can_fail_is_refused(make_catalogue, expression, needle, message, hint):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, "E_CAST")
    assert message in error.message and hint in error.hint
    assert place(error) == at(folder, needle)


def test_a_decimal_to_an_integer_stays_the_rounding_error():
    """Already refused before (E_TYPE, 'use round(x)'); not reported twice as E_CAST."""
    diags = _annotated("CAST(x AS INT)", x="double")
    assert [d.code for d in diags.items] == ["E_TYPE"] and "round(x)" in diags.items[0].hint


@pytest.mark.parametrize("expression", [
    "CAST(person.fodelsear AS BIGINT) > 1",
    "CAST(person.fodelsear AS DOUBLE) / 2 > 1",
    "CAST(person_id AS DOUBLE) > 1",
    "CAST(person.fodelsear AS VARCHAR) LIKE '19%'",
    "CAST(person_id AS TEXT) = '1'",
    "CAST(fall.diagnoskod AS VARCHAR) = 'F32'",
    "CAST(datum AS DATE) = datum",
    "CAST(NULL AS DATE) IS NULL",
    "datum >= CAST('2018-01-01' AS DATE)",
    "datum >= DATE '2018-01-01'",
    "person.fodelsear = CAST('1950' AS INT)",
    "person.fodelsear < CAST('-1e3' AS DOUBLE) + 3000",
    "CAST(year(datum) AS BIGINT) = 2018",
])
def test_conversions_that_cannot_fail_validate_and_run(make_catalogue, fuzz_db, expression):
    _, cat = make_catalogue({"t.yaml": where(expression)})
    assert cat.errors == [], "\n".join(map(str, cat.diagnostics))
    fuzz_db.execute(sql_for(cat)).fetchall()


def test_a_text_date_that_is_no_date_is_still_refused(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": where("datum >= CAST('2018-02-30' AS DATE)")})
    error = the_error(cat, "E_TYPE")
    assert "'2018-02-30' is not a date" in error.message and place(error) == at(folder, "'2018-02-30'")


def test_a_model_calculated_column_with_a_failing_cast_is_refused(make_catalogue):
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    anchor = '''        expr: "slutdatum - startdatum + 1"'''
    assert anchor in model
    _, cat = make_catalogue({}, model=model.replace(anchor, '''        expr: "CAST(diagnoskod AS INT)"'''))
    assert any(d.code == "E_CAST" and d.position.file.endswith("model.yaml") for d in cat.errors), \
        "\n".join(map(str, cat.diagnostics))


def test_a_model_rule_with_like_on_a_number_is_refused_at_the_number(make_catalogue):
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    first_rule = model.index('check: "', model.index("\n  ersattningsfall:")) + len('check: "')
    bad = model[:first_rule] + "diagnoskod LIKE 5 OR " + model[first_rule:]   # the first rule of ersattningsfall
    folder, cat = make_catalogue({}, model=bad)
    errors = [d for d in cat.errors if d.code == "E_TYPE"]
    assert errors, "\n".join(map(str, cat.diagnostics))
    text = (folder / "model.yaml").read_text("utf-8")
    index = text.index("diagnoskod LIKE 5") + len("diagnoskod LIKE ")
    line = text.count("\n", 0, index) + 1
    assert place(errors[0]) == (line, index - (text.rfind("\n", 0, index) + 1) + 1)


# ---------------------------------------------------------------- argument ranges: round, substring


@pytest.mark.parametrize("expression, needle, message, hint", [
    ("round(person.fodelsear / 3, 99999999999) > 1", "99999999999",
     "the decimals of round must be a whole number from 0 to 10, written out; got 99999999999", "round(x, 1)"),
    ("round(person.fodelsear / 3, 11) > 1", "11", "got 11", "round(x)"),
    ("round(person.fodelsear / 3, -1) > 1", "-1", "got -1", "round(x, 1)"),
    ("round(person.fodelsear / 3, 1.5) > 1", "1.5", "got 1.5", "round(x, 1)"),
    ("round(person.fodelsear / 3, fall_id) > 1", "fall_id", "got 'kartlaggning.fall_id'", "round(x, 1)"),
    ("round(person.fodelsear / 3, 'a') > 1", "'a'", "got 'a'", "round(x, 1)"),
    ("substring(fall.diagnoskod, 0, 2) = 'F'", "0", "the start of substring must be from 1 (the first character) "
     "to 1000; got 0", "substring(diagnoskod, 1, 3)"),
    ("substring(fall.diagnoskod, 99999999999) = 'F'", "99999999999", "the start of substring", "LIKE '%9'"),
    ("substring(fall.diagnoskod, 1, -1) = 'F'", "-1", "the length of substring must be from 0 to 1000 characters; "
     "got -1", "leave the length out"),
    ("substring(fall.diagnoskod FROM 2 FOR 99999999999) = 'F'", "99999999999", "the length of substring",
     "substring(diagnoskod, 2)"),
])
def test_argument_ranges_are_located_errors(make_catalogue, expression, needle, message, hint):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, "E_ARGUMENT")
    assert message in error.message and hint in error.hint
    assert place(error) == at(folder, needle)


def test_each_wrong_substring_argument_is_its_own_error(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": where("substring(fall.diagnoskod, -5, 99999999999) = 'F'")})
    errors = [d for d in cat.errors if d.position.file.endswith("t.yaml")]
    assert [d.code for d in errors] == ["E_ARGUMENT", "E_ARGUMENT"]
    assert "start" in errors[0].message and place(errors[0]) == at(folder, "-5")
    assert "length" in errors[1].message and place(errors[1]) == at(folder, "99999999999")


@pytest.mark.parametrize("expression, needle, message", [
    ("substring(fall.diagnoskod, 'a', 2) = 'F'", "'a'", "the start of substring must be a whole number, but 'a' "
     "is varchar"),
    ("substring(fall.diagnoskod, 1.5) = 'F'", "1.5", "but 1.5 is double"),
    ("substring(fall.diagnoskod, 1, datum) = 'F'", "datum", "the length of substring must be a whole number"),
])
def test_substring_positions_are_whole_numbers(make_catalogue, expression, needle, message):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, "E_TYPE")
    assert message in error.message and place(error) == at(folder, needle)


@pytest.mark.parametrize("expression", [
    "round(person.fodelsear / 3, 0) > 1",
    "round(person.fodelsear / 3, 10) > 1",
    "round(person.fodelsear / 3) > 1",
    "substring(fall.diagnoskod, 1, 1) = 'F'",
    "substring(fall.diagnoskod, 1000, 0) = ''",
    "substring(fall.diagnoskod, 2) = '32'",
    "substring(fall.diagnoskod, person.fodelsear - 1949, length(fall.diagnoskod)) = 'F32'",  # typed whole numbers
])
def test_arguments_in_range_validate_and_run(make_catalogue, fuzz_db, expression):
    _, cat = make_catalogue({"t.yaml": where(expression)})
    assert cat.errors == [], "\n".join(map(str, cat.diagnostics))
    fuzz_db.execute(sql_for(cat)).fetchall()


@pytest.mark.parametrize("expression, needle, code, message", [
    ("CAST(2200000000 AS INT) IS NOT NULL", "2200000000", "E_CAST",
     "2200000000 does not fit integer (-2147483648 to 2147483647)"),
    ("CAST(-9223372036854775809 AS BIGINT) < person_id", "9223372036854775809", "E_LITERAL",
     "9223372036854775809 is larger than the largest whole number (9223372036854775807)"),
    ("person_id = 99999999999999999999", "99999999999999999999", "E_LITERAL", "is larger than the largest whole"),
    ("person.fodelsear < 1e999", "1e999", "E_LITERAL", "1e999 is too large for a number"),
    ("datum - 110000000 > fall.startdatum", "110000000", "E_ARGUMENT",
     "a date moved by 110000000 days is more than 100 years away"),
    ("-40000 + datum > fall.startdatum", "-40000", "E_ARGUMENT", "a date moved by -40000 days"),
])
def test_numbers_written_out_that_no_engine_computes(make_catalogue, expression, needle, code, message):
    """Found by the fuzz target below: each validated, then stopped DuckDB ('out of range', 'not in timestamp
    range') or another engine (BigQuery reads no integer literal beyond INT64, no FLOAT64 beyond 1.8e308)."""
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, code)
    assert message in error.message and place(error) == at(folder, needle)


@pytest.mark.parametrize("expression", [
    "CAST(-2147483648 AS INT) < person.fodelsear",
    "CAST(3000000000 AS BIGINT) > person_id",
    "person_id < 9223372036854775807 AND person_id > -9223372036854775808",
    "datum + 36525 > fall.startdatum AND datum - 30 < period_end",
])
def test_numbers_in_range_validate_and_run(make_catalogue, fuzz_db, expression):
    _, cat = make_catalogue({"t.yaml": where(expression)})
    assert cat.errors == [], "\n".join(map(str, cat.diagnostics))
    fuzz_db.execute(sql_for(cat)).fetchall()


@pytest.mark.parametrize("expression, needle, message, hint", [
    ("round(person.fodelsear, 2, 1) > 1", "round", "round takes 1 or 2 arguments, not 3", "round(x, 2)"),
    ("length(fall.diagnoskod, 1) > 1", "length", "length takes 1 argument, not 2", "length(x)"),
    ("substring(fall.diagnoskod) = 'F'", "fall.diagnoskod", "substring takes 2 or 3 arguments, not 1",
     "substring(x, 1, 3)"),
])
def test_functions_given_arguments_they_do_not_take(make_catalogue, expression, needle, message, hint):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, "E_EXPR_ARGUMENTS")
    assert message in error.message and hint in error.hint
    assert place(error) == at(folder, needle)


# ---------------------------------------------------------------- % is guarded like /, a literal 0 is an error


@pytest.mark.parametrize("expression, needle, written", [
    ("person.fodelsear % 0 = 1", "0", "person.fodelsear % 0"),
    ("person.fodelsear % 0.0 = 1", "0.0", "person.fodelsear % 0.0"),
    ("person.fodelsear % (0) = 1", "0", "person.fodelsear % (0)"),
    ("person.fodelsear % -0 = 1", "-0", "person.fodelsear % -0"),
    ("mod(person.fodelsear, 0) = 1", "0", "person.fodelsear % 0"),
    ("person.fodelsear / 0 > 1", "0", "person.fodelsear / 0"),
])
def test_a_literal_zero_divisor_is_an_error_at_the_zero(make_catalogue, expression, needle, written):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    error = the_error(cat, "E_DIVISION_BY_ZERO")
    assert error.message == f"'{written}' divides by zero: it would be NULL for every row"
    assert "a divisor that may be 0 in the data is fine" in error.hint
    assert place(error) == at(folder, needle)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_remainder_is_guarded_in_every_dialect(make_catalogue, dialect):
    _, cat = make_catalogue({"t.yaml": where("person.fodelsear % (person_id - 1) = 0 AND person.fodelsear % 7 = 1")})
    assert cat.errors == []
    tree = sqlglot.parse_one(sql_for(cat, dialect), read=dialect)
    mods = list(tree.find_all(exp.Mod))
    assert len(mods) == 2, sql_for(cat, dialect)
    guarded = [m for m in mods if isinstance(m.expression, exp.Nullif)]
    assert len(guarded) == 1 and guarded[0].expression.expression.this == "0"
    assert any(m.expression.sql() == "7" for m in mods)   # a non-zero number stays as written


def test_a_zero_divisor_in_the_data_gives_null_not_an_error(make_catalogue, fuzz_db):
    """person 1 has person_id - 1 = 0: before, DuckDB stopped with 'Division by zero in expression'."""
    _, cat = make_catalogue({"t.yaml": where("person.fodelsear % (person_id - 1) IS NULL")})
    assert cat.errors == []
    rows = fuzz_db.execute(sql_for(cat)).fetchall()
    total = next(r for r in rows if r[0] == 1)  # grouping_kon = 1: the total row
    assert total[2] == 1                          # the one kartläggning of person 1


@pytest.mark.parametrize("text, columns, expected", [
    ("x % y", {"x": "integer", "y": "integer"}, "x % NULLIF(y, 0)"),
    ("x % (y - 1)", {"x": "bigint", "y": "bigint"}, "x % NULLIF((y - 1), 0)"),
    ("x % 7", {"x": "integer"}, "x % 7"),
    ("x % 2.5", {"x": "double"}, "x % 2.5"),
    ("(x % y) % z", {"x": "integer", "y": "integer", "z": "integer"}, "(x % NULLIF(y, 0)) % NULLIF(z, 0)"),
])
def test_guard_modulo_alone(text, columns, expected):
    tree = _typed(text, **columns)
    annotate(tree, Source(text, Position("f.yaml", 1, 1)), Diagnostics())
    new = rw.guard_modulo(tree)
    assert new.sql(dialect="duckdb") == expected
    assert rw.guard_modulo(new).sql(dialect="duckdb") == expected     # applied twice: guarded once
    for nullif in new.find_all(exp.Nullif):
        assert type_of(nullif) == columns["y" if "y" in columns else "z"]
    assert rw.guard_modulo in rw.RULES


@pytest.mark.parametrize("dialect, expected", [
    ("duckdb", "x % NULLIF(y, 0)"), ("postgres", "x % NULLIF(y, 0)"), ("spark", "x % NULLIF(y, 0)"),
    ("trino", "x % NULLIF(y, 0)"), ("bigquery", "MOD(x, NULLIF(y, 0))"), ("snowflake", "x % NULLIF(y, 0)"),
])
def test_guarded_remainder_in_each_dialect(dialect, expected):
    assert rw.guard_modulo(_typed("x % y", x="integer", y="integer")).sql(dialect=dialect) == expected


# ---------------------------------------------------------------- argument types of every allowed function


@pytest.mark.parametrize("expression, needle, message", [
    ("upper(person.fodelsear) = 'A'", "upper", "upper needs text, but 'person.fodelsear' is integer"),
    ("lower(datum) = 'a'", "lower", "lower needs text, but 'kartlaggning.datum' is date"),
    ("length(person_id) > 1", "length", "length needs text, but 'kartlaggning.person_id' is bigint"),
    ("starts_with(person.fodelsear, '19')", "starts_with", "starts_with needs text on both sides"),
    ("starts_with(fall.diagnoskod, 5)", "starts_with", "starts_with needs text on both sides"),
    ("abs(person.kon) > 1", "abs", "abs needs a number, got varchar"),
    ("round(datum) > 1", "round", "round needs a number, got date"),
    ("year(person.fodelsear) = 1", "year", "year() needs a date"),
    ("month(fall.diagnoskod) = 1", "month", "month() needs a date"),
    ("coalesce(person.fodelsear, 'a') = 1", "coalesce", "the arguments of coalesce have different types: "
     "integer, varchar"),
    ("coalesce(NULL, 'a', 1) = 1", "coalesce", "the arguments of coalesce have different types: varchar, integer"),
    ("least(datum, 1) IS NULL", "least", "the arguments of least have different types: date, integer"),
    ("greatest(person.kon, 1) IS NULL", "greatest", "the arguments of greatest have different types"),
    ("nullif(fall.diagnoskod, 1) IS NULL", "nullif", "the arguments of nullif have different types"),
    ("coalesce(NULL, 'a') + 1 = 2", None, "arithmetic needs numbers, got varchar and integer"),  # was no error
    ("age_at(person.kon, datum) > 30", "age_at", "age_at needs a birth year (a number) and a date"),
    ("datum IS 5", "5", "IS tests for NULL, TRUE or FALSE, not 5"),
    ("person.fodelsear IS TRUE", "person.fodelsear", "IS TRUE needs a condition, but 'person.fodelsear' is integer"),
    ("CASE fall.ersattning WHEN 5 THEN 1 ELSE 0 END = 1", "5", "CASE compares varchar with integer"),
])
def test_function_argument_types_are_located_errors(make_catalogue, expression, needle, message):
    folder, cat = make_catalogue({"t.yaml": where(expression)})
    errors = [d for d in cat.errors if d.position.file.endswith("t.yaml")]
    assert [d.code for d in errors] == ["E_TYPE"], "\n".join(map(str, cat.diagnostics))
    assert message in errors[0].message and errors[0].hint
    if needle is not None:
        assert place(errors[0]) == at(folder, needle)


@pytest.mark.parametrize("expression", [
    "upper(fall.diagnoskod) LIKE 'F%' AND lower(person.kon) = 'k' AND length(fall.diagnoskod) = 3",
    "starts_with(fall.diagnoskod, 'F') AND abs(person.fodelsear - 2000) > 1",
    "coalesce(fall.slutdatum, period_end) >= datum AND least(datum, fall.startdatum) <= datum",
    "greatest(person.fodelsear, person_id) > 0 AND nullif(fall.diagnoskod, '') IS NOT NULL",
    "coalesce(NULL, person.fodelsear, person_id) > 0",
    "CASE fall.ersattning WHEN 'sjukpenning' THEN 1 ELSE 0 END = 1",
    "CASE WHEN person.kon = 'K' THEN 1 END IS NULL",
    "(person.kon = 'K') IS TRUE AND datum IS NOT NULL",
])
def test_well_typed_function_calls_validate_and_run(make_catalogue, fuzz_db, expression):
    _, cat = make_catalogue({"t.yaml": where(expression)})
    assert cat.errors == [], "\n".join(map(str, cat.diagnostics))
    fuzz_db.execute(sql_for(cat)).fetchall()


@pytest.mark.parametrize("text, columns, expected", [
    ("coalesce(NULL, s)", {"s": "varchar"}, "varchar"),    # was 'null': a NULL first hid the type
    ("coalesce(x, y)", {"x": "integer", "y": "double"}, "double"),
    ("least(x, y)", {"x": "integer", "y": "bigint"}, "bigint"),
    ("nullif(x, 0)", {"x": "integer"}, "integer"),
    ("coalesce(NULL, NULL)", {}, "null"),
])
def test_one_type_functions_give_the_widest_known_type(text, columns, expected):
    tree = _typed(text, **columns)
    diags = Diagnostics()
    assert annotate(tree, Source(text, Position("f.yaml", 1, 1)), diags) == expected and diags.items == []


def test_in_needs_a_list(make_catalogue):
    folder, cat = make_catalogue({"t.yaml": where("person_id IN fall_id")})
    error = the_error(cat, "E_EXPR_NODE")
    assert "IN needs a list of values in parentheses" in error.message and place(error) == at(folder, "person_id")


def _typed(text: str, **columns: str) -> exp.Expression:
    tree = sqlglot.parse_one(text, read="duckdb")
    for column in list(tree.find_all(exp.Column)):
        set_type(column, columns[column.name])
    return tree


def _annotated(text: str, **columns: str) -> Diagnostics:
    diags = Diagnostics()
    annotate(_typed(text, **columns), Source(text, Position("f.yaml", 1, 1)), diags)
    return diags


# ---------------------------------------------------------------- fuzz: the expression parser and resolve


@pytest.fixture(scope="module")
def model():
    diags = Diagnostics()
    found = load_model(ROOT / "indicators", diags)
    assert found is not None, "\n".join(map(str, diags.items))
    return found


FUZZ_ROWS = {
    "person": [{"person_id": 1, "kon": "K", "fodelsear": 1950}, {"person_id": 2, "kon": "M", "fodelsear": 0}],
    "ersattningsfall": [
        {"fall_id": 1, "person_id": 1, "ersattning": "sjukpenning", "startdatum": dt.date(2018, 1, 1),
         "slutdatum": dt.date(2018, 6, 30), "diagnoskod": "F32", "avslutsorsak": "annat"},
        {"fall_id": 2, "person_id": 2, "ersattning": "aktivitetsersattning", "startdatum": dt.date(2017, 5, 1),
         "slutdatum": None, "diagnoskod": None, "avslutsorsak": None}],
    "kartlaggning": [
        {"kartlaggning_id": 1, "person_id": 1, "fall_id": 1, "datum": dt.date(2018, 3, 1)},
        {"kartlaggning_id": 2, "person_id": 2, "fall_id": 2, "datum": dt.date(2018, 11, 30)}],
}


@pytest.fixture(scope="module")
def fuzz_db(model):
    """The model's tables with a few rows: a 0 to divide by, a NULL diagnosis, a text diagnosis."""
    con = duckdb.connect()
    load_tables(con, model, FUZZ_ROWS)
    yield con
    con.close()


CODE = re.compile(r"^[EW]_[A-Z_]+$")
COLUMNS = ["datum", "person_id", "fall_id", "fall.diagnoskod", "fall.startdatum", "fall.slutdatum",
           "fall.ersattning", "fall.langd_dagar", "fall.psykiatrisk_diagnos", "person.kon", "person.fodelsear",
           "period_start", "period_end", "nosuch", "fall.nosuch", "fall"]
LITERALS = ["0", "1", "7", "-5", "2.5", "0.0", "99999999999", "1e999", "'F%'", "'F32'", "'K'", "'sjukpenning'",
            "'2018-01-01'", "'2018-02-30'", "''", "NULL", "TRUE", "FALSE", "DATE '2018-06-30'"]
FUNCTIONS = ["coalesce", "starts_with", "upper", "lower", "length", "abs", "round", "substring", "least",
             "greatest", "nullif", "year", "month", "age_at", "mod", "strftime", "now", "count", "read_csv",
             "try_cast", "concat", "nosuch"]
TYPES = ["DATE", "INT", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "TEXT", "BLOB", "DECIMAL(10, 2)"]
BINARY = ["+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "LIKE", "NOT LIKE", "||", "//",
          "ILIKE", "~"]


def _expressions() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(COLUMNS + LITERALS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(" ".join),
            inner.map(lambda a: f"NOT {a}"), inner.map(lambda a: f"-{a}"), inner.map(lambda a: f"({a})"),
            st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, min_size=0, max_size=4)).map(
                lambda f: f"{f[0]}({', '.join(f[1])})"),
            st.tuples(inner, st.sampled_from(TYPES)).map(lambda c: f"CAST({c[0]} AS {c[1]})"),
            st.tuples(inner, inner, inner).map(lambda c: f"CASE WHEN {c[0]} THEN {c[1]} ELSE {c[2]} END"),
            st.tuples(inner, inner, inner).map(lambda c: f"CASE {c[0]} WHEN {c[1]} THEN {c[2]} END"),
            st.tuples(inner, st.lists(inner, min_size=1, max_size=3)).map(lambda c: f"{c[0]} IN ({', '.join(c[1])})"),
            st.tuples(inner, inner, inner).map(lambda c: f"{c[0]} BETWEEN {c[1]} AND {c[2]}"),
            st.tuples(inner, st.sampled_from(["NULL", "NOT NULL", "TRUE", "5", "x"])).map(
                lambda c: f"{c[0]} IS {c[1]}"),
        )
    return st.recursive(leaf, extend, max_leaves=8)


def _typed_expressions() -> st.SearchStrategy[str]:
    """Expressions well typed by construction (with edge values), so that many validate and must then run."""
    ints = ["person.fodelsear", "person_id", "(person_id - 1)", "fall.langd_dagar", "0", "1", "-5", "7", "99999999999",
            "NULL"]   # person 2 was born in year 0 and person 1 has person_id - 1 = 0: divisors that are 0 in the data
    texts = ["fall.diagnoskod", "person.kon", "fall.ersattning", "'F%'", "'F32'", "''", "'K'", "NULL"]
    dates = ["datum", "fall.startdatum", "fall.slutdatum", "period_start", "period_end", "DATE '2018-06-30'"]

    made: dict[tuple[str, int], st.SearchStrategy[str]] = {}

    def typed(kind: str, depth: int) -> st.SearchStrategy[str]:
        if (kind, depth) not in made:
            made[kind, depth] = build(kind, depth)
        return made[kind, depth]

    def build(kind: str, depth: int) -> st.SearchStrategy[str]:
        leaves = {"n": ints, "t": texts, "d": dates, "b": ["fall.psykiatrisk_diagnos", "TRUE", "NULL"]}[kind]
        if depth == 0:
            return st.sampled_from(leaves)
        n, t, d, b = (typed(k, depth - 1) for k in "ntdb")
        either = st.sampled_from(["coalesce", "least", "greatest", "nullif"])
        forms = {
            "n": [st.tuples(n, st.sampled_from(["+", "-", "*", "/", "%"]), n).map(" ".join),
                  st.tuples(n, st.sampled_from(["/", "%"]), st.sampled_from(ints)).map(" ".join),
                  n.map(lambda a: f"abs({a})"), st.tuples(n, st.sampled_from(["0", "2", "10", "11", "-1"]))
                  .map(lambda c: f"round({c[0]}, {c[1]})"), t.map(lambda a: f"length({a})"),
                  d.map(lambda a: f"year({a})"), d.map(lambda a: f"month({a})"),
                  st.tuples(d, d).map(lambda c: f"{c[0]} - {c[1]}"), st.tuples(n, d).map(lambda c: f"age_at{c}"),
                  st.tuples(either, n, n).map(lambda c: f"{c[0]}({c[1]}, {c[2]})"),
                  st.tuples(b, n, n).map(lambda c: f"CASE WHEN {c[0]} THEN {c[1]} ELSE {c[2]} END"),
                  st.tuples(n, st.sampled_from(["DOUBLE", "BIGINT", "INT"])).map(lambda c: f"CAST({c[0]} AS {c[1]})"),
                  n.map(lambda a: f"-({a})"), n.map(lambda a: f"({a})")],
            "t": [t.map(lambda a: f"upper({a})"), t.map(lambda a: f"lower({a})"),
                  st.tuples(t, st.sampled_from(["1", "2", "0", "-5", "person.fodelsear - 1949"]),
                            st.sampled_from(["1", "3", "0", "99999999999"]))
                  .map(lambda c: f"substring({c[0]}, {c[1]}, {c[2]})"),
                  st.tuples(either, t, t).map(lambda c: f"{c[0]}({c[1]}, {c[2]})"),
                  st.tuples(n, st.sampled_from(["VARCHAR", "DATE", "INT"])).map(lambda c: f"CAST({c[0]} AS {c[1]})"),
                  st.tuples(t, st.sampled_from(["VARCHAR", "DATE", "INT"])).map(lambda c: f"CAST({c[0]} AS {c[1]})"),
                  st.tuples(t, t, t).map(lambda c: f"CASE {c[0]} WHEN {c[1]} THEN {c[2]} END")],
            "d": [st.tuples(d, st.sampled_from(["+", "-"]), n).map(" ".join),
                  st.tuples(either, d, d).map(lambda c: f"{c[0]}({c[1]}, {c[2]})"),
                  st.tuples(b, d, d).map(lambda c: f"CASE WHEN {c[0]} THEN {c[1]} ELSE {c[2]} END")],
            "b": [st.tuples(n, st.sampled_from(["=", "<>", "<", ">="]), n).map(" ".join),
                  st.tuples(t, st.sampled_from(["=", "<>", "LIKE", "NOT LIKE"]), t).map(" ".join),
                  st.tuples(d, st.sampled_from(["=", "<", ">="]), st.one_of(d, st.sampled_from(
                      ["'2018-01-01'", "'2018-02-30'"]))).map(" ".join),
                  st.tuples(t, t).map(lambda c: f"starts_with({c[0]}, {c[1]})"),
                  st.tuples(b, st.sampled_from(["AND", "OR"]), b).map(" ".join), b.map(lambda a: f"NOT ({a})"),
                  st.tuples(n, n, n).map(lambda c: f"{c[0]} BETWEEN {c[1]} AND {c[2]}"),
                  st.tuples(t, t, t).map(lambda c: f"{c[0]} IN ({c[1]}, {c[2]})"),
                  st.one_of(n, t, d).map(lambda a: f"{a} IS NOT NULL"), b.map(lambda a: f"({a}) IS TRUE")],
        }[kind]
        return st.one_of(st.sampled_from(leaves), *forms)

    return st.one_of(typed("b", 1), typed("b", 2), typed("b", 3))


NOISE = list("'\"();,%_*|:~$\\\n\t#&@[]{}<>=!-+./0123456789") + ["--", "/*", "SELECT ", " FROM x", "; DROP TABLE x",
                                                                     "$$", "E'", "\u00e4", "\u200b", "\x00"]


@st.composite
def _mutated(draw, texts: st.SearchStrategy[str]) -> str:
    """A text with a few characters deleted, inserted or replaced (the typos an analyst makes, and worse)."""
    text = draw(texts)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
        if kind == "delete":
            text = text[:i] + text[i + 1:]
        elif kind == "insert":
            text = text[:i] + draw(st.sampled_from(NOISE)) + text[i:]
        elif kind == "replace":
            text = text[:i] + draw(st.sampled_from(NOISE)) + text[i + 1:]
        else:
            text = text[:i]
    return text


EXPRESSION_TEXTS = st.one_of(_typed_expressions(), _typed_expressions(), _expressions(), _mutated(_expressions()),
                             st.text(max_size=40))
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def _assert_located(diags: Diagnostics, file: str) -> None:
    for d in diags.items:
        assert CODE.match(d.code), str(d)
        assert d.message and d.position.file == file, str(d)
        if d.severity == "error":
            assert d.position.line >= 1 and d.position.col >= 1, str(d)


def _run_if_valid(bound, con) -> None:
    """What validates runs: no dialect refuses it for a reason of the expression, DuckDB computes it."""
    for dialect in DIALECTS:
        with contextlib.suppress(CompileRefused):  # a median on Trino/BigQuery: the measure, never an expression
            render_sql(plan_query(bound, parse_period("2018H2")), dialect)
    # arithmetic overflowing on the values (e.g. 99999999999 * 99999999999) is the values', not the text's
    with contextlib.suppress(duckdb.OutOfRangeException):
        con.execute(render_sql(plan_query(bound, parse_period("2018")), "duckdb")).fetchall()


@FUZZ
@given(text=EXPRESSION_TEXTS, slot=st.sampled_from(["where", "measure"]))
def test_fuzz_expressions_validate_to_a_running_query_or_located_diagnostics(model, fuzz_db, text, slot):
    # the allowlist alone
    diags = Diagnostics()
    parse_expression(Source(text, Position("t.yaml", 11, 10)), diags)
    _assert_located(diags, "t.yaml")
    # the whole path: load, schema, resolve (an expression in `where`, or the value of a mean)
    if slot == "where":
        body = HEAD.format(unit="count") + (f"population: {{entity: kartlaggning, period: datum, where: "
                                            f"{json.dumps(text)}}}\nmeasure: {{kind: count}}\n")
    else:
        body = HEAD.format(unit="days") + ("population: {entity: kartlaggning, period: datum}\n"
                                           f"measure: {{kind: mean, of: {json.dumps(text)}}}\n")
    diags = Diagnostics()
    doc = load_text(body, "t.yaml", diags)
    assert doc is not None, [str(d) for d in diags.items]
    bound = resolve_indicator(doc, model, diags) if validate_schema(doc, "indicator", diags) else None
    _assert_located(diags, "t.yaml")
    if bound is not None:
        assert diags.errors == []
        event("validates and runs")
        _run_if_valid(bound, fuzz_db)
    else:
        assert diags.errors, text


# ---------------------------------------------------------------- fuzz: the YAML loader


SEED = SCHEMA_LINE + HEAD.format(unit="days") + """\
population:
  entity: kartlaggning
  period: {ongoing: {start: fall.startdatum, end: fall.slutdatum}}
  where:
    - fall.ersattning = 'sjukpenning'
    - exists: samarbeten
      where: startdatum >= period_start
  fields:
    n: {aggregate: count, of: samarbeten}
measure: {kind: mean, of: "datum - fall.startdatum + 1"}
breakdowns:
  - fall.ersattning
  - {band: aldersgrupp, of: "age_at(person.fodelsear, datum)"}
  - {cross: [kon, fall.ersattning]}
published:
  - {period: "2018", value: 12, precision: 1, source: "003, punkt 1"}
"""


def _bytes_as_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


YAML_TEXTS = st.one_of(
    st.binary(max_size=200).map(_bytes_as_text),
    st.text(max_size=120),
    _mutated(st.just(SEED)),
    _mutated(st.just(SEED)).map(lambda t: t.replace("  ", "\t", 1)),
    st.tuples(st.just(SEED), st.sampled_from(["&a [*a]", "*nosuch", "!!python/object:os.system x", "? [a, b]\n: c",
                                              "<<: {a: 1}", "2018-02-30", ".nan", "0x1F", "'''", "|-\n  x"]))
    .map(lambda p: p[0].replace("'sjukpenning'", p[1], 1)),
)


@FUZZ
@given(text=YAML_TEXTS)
def test_fuzz_yaml_loads_validates_and_resolves_or_gives_located_diagnostics(model, fuzz_db, text):
    diags = Diagnostics()
    doc = load_text(text, "t.yaml", diags)
    _assert_located(diags, "t.yaml")
    if doc is None:
        assert diags.errors
        return
    if not isinstance(doc.data, dict) or not validate_schema(doc, "indicator", diags):
        _assert_located(diags, "t.yaml")
        return
    bound = resolve_indicator(doc, model, diags)
    _assert_located(diags, "t.yaml")
    if bound is not None:
        _run_if_valid(bound, fuzz_db)
