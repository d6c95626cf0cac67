"""Stage 3 internals, rule by rule: the typing table (resolve/annotate.py RULES, keyed by node class) and the
portable rewrites (resolve/rewrite.py RULES, tree → tree), each applied ALONE to a small sqlglot tree, in the
manner of sqlglot's optimizer tests.

A tree is parsed as an analyst writes it; its columns are typed by hand, as the scope does when it binds them
(a bound column is never typed again). Every rewrite test also checks that its rule is in RULES, so removing a
rule from the pipeline fails a test here.
"""
from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

import engine.resolve.rewrite as rw
from engine.diagnostics import Diagnostics, Position
from engine.expressions import ALLOWED_FUNCTIONS, ALLOWED_NODES, LANGUAGE_FUNCTIONS, Source, parse_expression
from engine.resolve.annotate import RULES as TYPING
from engine.resolve.annotate import annotate, set_type, type_of

FILE, LINE, COL = "f.yaml", 3, 10   # where the expression's text starts in its file


def typed(text: str, **columns: str) -> exp.Expression:
    """The analyst's expression with its columns bound to types (as scope.column does)."""
    tree = sqlglot.parse_one(text, read="duckdb")
    for column in list(tree.find_all(exp.Column)):
        set_type(column, columns[column.name])
    return tree


def annotated(text: str, **columns: str) -> tuple[exp.Expression, str, Diagnostics]:
    tree = typed(text, **columns)
    diags = Diagnostics()
    root_type = annotate(tree, Source(text, Position(FILE, LINE, COL)), diags)
    return tree, root_type, diags


def col_of(text: str, fragment: str) -> int:
    """The file column at which `fragment` starts inside the expression text."""
    return COL + text.index(fragment)


# ---------------------------------------------------------------- the typing table


@pytest.mark.parametrize("text, columns, expected", [
    # literals
    ("1", {}, "integer"),
    ("1.5", {}, "double"),
    ("1e3", {}, "double"),
    ("'K'", {}, "varchar"),
    ("TRUE", {}, "boolean"),
    ("NULL", {}, "null"),
    # parentheses pass the type through
    ("(x)", {"x": "bigint"}, "bigint"),
    ("(NULL)", {}, "null"),
    # conditions are booleans
    ("x = 1", {"x": "integer"}, "boolean"),
    ("x <> 1.5", {"x": "integer"}, "boolean"),
    ("x > 1", {"x": "bigint"}, "boolean"),
    ("d >= '2018-01-01'", {"d": "date"}, "boolean"),      # a text literal is read as a date
    ("'2018-01-01' < d", {"d": "date"}, "boolean"),
    ("x IN (1, 2)", {"x": "integer"}, "boolean"),
    ("d IN ('2018-01-01')", {"d": "date"}, "boolean"),
    ("x BETWEEN 1 AND 2", {"x": "integer"}, "boolean"),
    ("d BETWEEN '2018-01-01' AND '2018-12-31'", {"d": "date"}, "boolean"),
    ("s LIKE 'F%'", {"s": "varchar"}, "boolean"),
    ("x = 1 AND s = 'K'", {"x": "integer", "s": "varchar"}, "boolean"),
    ("x = 1 OR NULL", {"x": "integer"}, "boolean"),
    ("NOT x = 1", {"x": "integer"}, "boolean"),
    ("starts_with(s, 'F')", {"s": "varchar"}, "boolean"),
    ("x IS NULL", {"x": "date"}, "boolean"),
    # arithmetic: the widest number, and day arithmetic on dates
    ("x + 1", {"x": "integer"}, "integer"),
    ("x * 2", {"x": "bigint"}, "bigint"),
    ("x * 1.5", {"x": "bigint"}, "double"),
    ("x % 7", {"x": "integer"}, "integer"),
    ("x - NULL", {"x": "integer"}, "integer"),
    ("x / y", {"x": "integer", "y": "integer"}, "double"),   # always a true division
    ("-x", {"x": "bigint"}, "bigint"),
    ("slut - start", {"slut": "date", "start": "date"}, "integer"),  # days between
    ("slut - 3", {"slut": "date"}, "date"),
    ("slut + 3", {"slut": "date"}, "date"),
    ("3 + slut", {"slut": "date"}, "date"),
    # casts: the allowed target types, from types that always convert (tests/test_trust_validate.py: the others)
    ("CAST('2018-01-01' AS DATE)", {}, "date"),
    ("CAST(x AS DATE)", {"x": "date"}, "date"),
    ("CAST('12' AS INT)", {}, "integer"),
    ("CAST(x AS BIGINT)", {"x": "integer"}, "bigint"),
    ("CAST(x AS DOUBLE)", {"x": "integer"}, "double"),
    ("CAST(x AS VARCHAR)", {"x": "integer"}, "varchar"),
    ("CAST(x AS TEXT)", {"x": "integer"}, "varchar"),
    ("DATE '2018-01-01'", {}, "date"),
    # branches: the first known type
    ("CASE WHEN x = 1 THEN 'a' ELSE 'b' END", {"x": "integer"}, "varchar"),
    ("CASE WHEN x = 1 THEN NULL ELSE 2 END", {"x": "integer"}, "integer"),
    ("CASE WHEN x = 1 THEN NULL END", {"x": "integer"}, "null"),
    ("IF(x = 1, 1.5, 2)", {"x": "integer"}, "double"),
    # functions
    ("coalesce(x, 0)", {"x": "bigint"}, "bigint"),
    ("least(d, e)", {"d": "date", "e": "date"}, "date"),
    ("greatest(x, 1)", {"x": "integer"}, "integer"),
    ("nullif(x, 0)", {"x": "double"}, "double"),
    ("upper(s)", {"s": "varchar"}, "varchar"),
    ("lower(s)", {"s": "varchar"}, "varchar"),
    ("substring(s, 1, 2)", {"s": "varchar"}, "varchar"),
    ("length(s)", {"s": "varchar"}, "integer"),
    ("abs(x)", {"x": "double"}, "double"),
    ("round(x)", {"x": "double"}, "double"),
    ("year(d)", {"d": "date"}, "integer"),
    ("month(d)", {"d": "date"}, "integer"),
    ("age_at(b, d)", {"b": "integer", "d": "date"}, "integer"),
    ("age_at(NULL, d)", {"d": "date"}, "integer"),
])
def test_typing_table(text, columns, expected):
    _, root_type, diags = annotated(text, **columns)
    assert diags.items == []
    assert root_type == expected


def test_every_node_the_allowlist_accepts_has_a_typing_rule():
    """An allowed node without a rule would be typed 'unknown' and make its parents fail confusingly."""
    needs_rule = [cls for cls in (*ALLOWED_NODES, *ALLOWED_FUNCTIONS)
                  if cls not in (exp.Column, exp.Identifier, exp.DataType)]   # bound / never typed
    assert [cls.__name__ for cls in needs_rule if cls not in TYPING] == []
    assert set(LANGUAGE_FUNCTIONS) == {"age_at"} and exp.Anonymous in TYPING


def test_every_node_is_typed_and_the_type_is_kept_in_meta():
    tree, _, _ = annotated("coalesce(x, 0) + 1 > 2 AND s LIKE 'F%'", x="integer", s="varchar")
    untyped = [n for n in tree.walk() if not isinstance(n, (exp.Identifier, exp.DataType)) and type_of(n) is None
               and not isinstance(n.parent, exp.Column)]
    assert untyped == []
    assert type_of(tree.find(exp.Add)) == "integer" and type_of(tree.find(exp.Like)) == "boolean"


def test_a_typed_node_is_not_typed_again():
    """Bound columns arrive typed; annotate trusts them (a column typed 'date' makes date - date days)."""
    tree = typed("a - b", a="date", b="date")
    set_type(tree, "double")  # the root already carries a type: nothing is re-derived
    assert annotate(tree, Source("a - b", Position(FILE, LINE, COL)), Diagnostics()) == "double"


def test_a_node_without_a_rule_is_unknown_and_fails_where_it_is_used():
    # alone: no rule, no error, the type is 'unknown'
    _, root_type, diags = annotated("foo(1)")
    assert root_type == "unknown" and diags.items == []
    # used in a comparison: a located E_TYPE at the comparison
    text = "foo(1) = 1"
    _, _, diags = annotated(text)
    assert [d.code for d in diags.items] == ["E_TYPE"]
    assert "unknown" in diags.items[0].message
    assert diags.items[0].position.line == LINE and diags.items[0].position.col >= COL


@pytest.mark.parametrize("text, code", [
    ("a = 1 AND b || 'x' = 'y'", "E_EXPR_OPERATOR"),   # DPipe, named as written
    ("a = 1 AND x ILIKE 'y'", "E_EXPR_OPERATOR"),      # ILike
    ("x IS DISTINCT FROM y", "E_EXPR_NODE"),           # NullSafeNEQ
    ("d - INTERVAL 1 DAY > e", "E_EXPR_OPERATOR"),     # Interval
])
def test_an_unsupported_node_is_a_located_error(text, code):
    """Nodes outside the typing table never reach it: the allowlist reports them where they are written."""
    diags = Diagnostics()
    assert parse_expression(Source(text, Position(FILE, LINE, COL)), diags) is None
    assert [d.code for d in diags.errors] == [code]
    error = diags.errors[0]
    assert error.position.line == LINE and COL <= error.position.col < COL + len(text)
    assert error.hint


def test_try_cast_is_not_let_through_the_allowlist():
    text = "try_cast(x AS INT) IS NULL"
    diags = Diagnostics()
    tree = parse_expression(Source(text, Position(FILE, LINE, COL)), diags)
    assert tree is None and diags.errors and diags.errors[0].position.line == LINE


@pytest.mark.parametrize("text, columns, message, at", [
    ("kon = 5", {"kon": "varchar"}, "cannot compare varchar with integer", "5"),
    ("d = s", {"d": "date", "s": "varchar"}, "cannot compare date with varchar", "d"),
    ("x IN (1, 'a')", {"x": "integer"}, "IN compares integer with varchar", "1"),
    ("x BETWEEN 'a' AND 3", {"x": "integer"}, "BETWEEN compares integer with varchar", "'a'"),
    ("x LIKE 'a%'", {"x": "integer"}, "LIKE needs text", "x"),
    ("x AND s = 'K'", {"x": "integer", "s": "varchar"}, "AND/OR combine conditions, but one side is integer", "x"),
    ("NOT x", {"x": "integer"}, "NOT needs a condition", "x"),
    ("starts_with(x, 'F')", {"x": "integer"}, "starts_with needs text", "starts_with"),
    ("d + d", {"d": "date"}, "arithmetic needs numbers, got date and date", "d"),
    ("3 - d", {"d": "date"}, "arithmetic needs numbers, got integer and date", "3"),
    ("s * 2", {"s": "varchar"}, "arithmetic needs numbers, got varchar and integer", None),
    ("-d", {"d": "date"}, "cannot negate date", "d"),
    ("CAST(x AS INT)", {"x": "double"}, "converting a decimal number to an integer", "x"),
    ("CASE WHEN x = 1 THEN 'a' ELSE 2 END", {"x": "integer"}, "the branches give different types", "2"),
    ("IF(x, 'a', 'b')", {"x": "integer"}, "the condition of IF/WHEN must be true or false", None),
    ("coalesce(x, 'a')", {"x": "integer"}, "the arguments of coalesce have different types", "coalesce"),
    ("upper(x)", {"x": "integer"}, "upper needs text", "upper"),
    ("abs(s)", {"s": "varchar"}, "abs needs a number", "abs"),
    ("year(s)", {"s": "varchar"}, "year() needs a date", "year"),
    ("month(x)", {"x": "integer"}, "month() needs a date", "month"),
    ("age_at(1950)", {}, "age_at takes two arguments", "age_at"),
    ("age_at(d, 1950)", {"d": "date"}, "age_at needs a birth year (a number) and a date", "age_at"),
])
def test_typing_errors_are_located(text, columns, message, at):
    """E_TYPE at the node's first name or literal (node_offset), inside the expression's text."""
    _, _, diags = annotated(text, **columns)
    assert [d.code for d in diags.items] == ["E_TYPE"], [str(d) for d in diags.items]
    error = diags.items[0]
    assert message in error.message
    assert (error.position.file, error.position.line) == (FILE, LINE)
    assert COL <= error.position.col < COL + len(text)
    if at is not None:
        assert error.position.col == col_of(text, at)


@pytest.mark.parametrize("text, columns, hint", [
    ("d + d", {"d": "date"}, "date - date gives days"),
    ("NOT x", {"x": "integer"}, "NOT (utfall = 'annat')"),
    ("CAST(x AS INT)", {"x": "double"}, "round(x)"),
    ("age_at(1950)", {}, "age_at(person.fodelsear, datum)"),
    ("coalesce(x, 'a')", {"x": "integer"}, "same type"),
])
def test_typing_errors_say_what_to_write(text, columns, hint):
    _, _, diags = annotated(text, **columns)
    assert hint in diags.items[0].hint


@pytest.mark.parametrize("text, columns", [
    ("(d + d) * 2 > 1", {"d": "date"}),                    # the failed sum is not checked again by * and >
    ("age_at(1950) > 30 AND x = 1", {"x": "integer"}),
    ("kon = 5 AND x = 1", {"kon": "varchar", "x": "integer"}),
])
def test_one_mistake_gives_one_message(text, columns):
    _, _, diags = annotated(text, **columns)
    assert len(diags.items) == 1, [str(d) for d in diags.items]


@pytest.mark.parametrize("text, columns", [
    ("-d * 2 > 1", {"d": "date"}),
    ("abs(s) + 1 > 1", {"s": "varchar"}),
])
def test_one_mistake_gives_one_message_after_negation_and_abs(text, columns):
    _, _, diags = annotated(text, **columns)
    assert len(diags.items) == 1, [str(d) for d in diags.items]


# ---------------------------------------------------------------- the rewrite rules, each alone


def rewritten(rule, text: str, dialect: str = "duckdb", **columns: str) -> tuple[exp.Expression, str]:
    tree, _, diags = annotated(text, **columns)
    assert diags.items == []
    new = rule(tree)
    return new, new.sql(dialect=dialect)


def test_the_pipeline_is_the_five_rules_in_order():
    pipeline = rw.RULES
    assert pipeline == (rw.cast_text_dates, rw.date_arithmetic, rw.date_parts, rw.guard_division, rw.guard_modulo)


# cast_text_dates

@pytest.mark.parametrize("text, columns, expected", [
    ("d >= '2018-01-01'", {"d": "date"}, "d >= CAST('2018-01-01' AS DATE)"),
    ("'2018-01-01' < d", {"d": "date"}, "CAST('2018-01-01' AS DATE) < d"),
    ("d = '2018-01-01'", {"d": "date"}, "d = CAST('2018-01-01' AS DATE)"),
    ("d <> '2018-01-01'", {"d": "date"}, "d <> CAST('2018-01-01' AS DATE)"),
    ("d IN ('2018-01-01', '2018-02-01')", {"d": "date"},
     "d IN (CAST('2018-01-01' AS DATE), CAST('2018-02-01' AS DATE))"),
    ("d BETWEEN '2018-01-01' AND e", {"d": "date", "e": "date"}, "d BETWEEN CAST('2018-01-01' AS DATE) AND e"),
    ("d BETWEEN '2018-01-01' AND '2018-06-30'", {"d": "date"},
     "d BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-06-30' AS DATE)"),
    # untouched: text compared with text, a date with a date
    ("s = '2018-01-01'", {"s": "varchar"}, "s = '2018-01-01'"),
    ("d = e", {"d": "date", "e": "date"}, "d = e"),
    ("s IN ('a', 'b')", {"s": "varchar"}, "s IN ('a', 'b')"),
])
def test_cast_text_dates(text, columns, expected):
    new, sql = rewritten(rw.cast_text_dates, text, **columns)
    assert sql == expected
    for cast in new.find_all(exp.Cast):
        assert type_of(cast) == "date"     # created nodes are typed, so later rules can read them
    assert rw.cast_text_dates in rw.RULES


def test_cast_text_dates_inside_a_larger_condition():
    _, sql = rewritten(rw.cast_text_dates, "x = 1 AND (d < '2019-01-01' OR d IS NULL)", x="integer", d="date")
    assert sql == "x = 1 AND (d < CAST('2019-01-01' AS DATE) OR d IS NULL)"


# date_arithmetic

@pytest.mark.parametrize("text, columns, expected_class, expected_type, sql", [
    ("slut - start", {"slut": "date", "start": "date"}, exp.DateDiff, "integer", "DATE_DIFF('DAY', start, slut)"),
    ("slut - 3", {"slut": "date"}, exp.DateSub, "date", "slut - INTERVAL 3 DAY"),
    ("slut + 3", {"slut": "date"}, exp.DateAdd, "date", "slut + INTERVAL 3 DAY"),
    ("3 + slut", {"slut": "date"}, exp.DateAdd, "date", "slut + INTERVAL 3 DAY"),
])
def test_date_arithmetic(text, columns, expected_class, expected_type, sql):
    new, got = rewritten(rw.date_arithmetic, text, **columns)
    assert isinstance(new, expected_class) and type_of(new) == expected_type
    assert got == sql
    assert rw.date_arithmetic in rw.RULES


def test_date_difference_counts_from_the_earlier_to_the_later_date():
    new, _ = rewritten(rw.date_arithmetic, "slut - start", slut="date", start="date")
    assert new.this.name == "slut" and new.expression.name == "start" and new.unit.name == "DAY"


def test_date_arithmetic_nested_and_untouched_numbers():
    _, sql = rewritten(rw.date_arithmetic, "slut - start + 1 > x - 1", slut="date", start="date", x="integer")
    assert sql == "DATE_DIFF('DAY', start, slut) + 1 > x - 1"
    _, sql = rewritten(rw.date_arithmetic, "x - y + 2", x="integer", y="bigint")
    assert sql == "x - y + 2"


@pytest.mark.parametrize("dialect, fragment", [
    ("duckdb", "DATE_DIFF('DAY', start, slut)"),
    ("trino", "DATE_DIFF('DAY', start, slut)"),
    ("bigquery", "DATE_DIFF(slut, start, DAY)"),
    ("snowflake", "DATEDIFF(DAY, start, slut)"),
])
def test_day_difference_is_a_dialect_neutral_node(dialect, fragment):
    _, sql = rewritten(rw.date_arithmetic, "slut - start", dialect, slut="date", start="date")
    assert sql == fragment


# date_parts

@pytest.mark.parametrize("text, columns, duckdb, postgres", [
    ("year(d)", {"d": "date"}, "CAST(YEAR(d) AS INT)", "CAST(EXTRACT(YEAR FROM d) AS INT)"),
    ("month(d)", {"d": "date"}, "CAST(MONTH(d) AS INT)", "CAST(EXTRACT(MONTH FROM d) AS INT)"),
    ("age_at(b, d)", {"b": "integer", "d": "date"}, "(CAST(YEAR(d) AS INT) - b)",
     "(CAST(EXTRACT(YEAR FROM d) AS INT) - b)"),
    ("year(d) = year(e)", {"d": "date", "e": "date"}, "CAST(YEAR(d) AS INT) = CAST(YEAR(e) AS INT)",
     "CAST(EXTRACT(YEAR FROM d) AS INT) = CAST(EXTRACT(YEAR FROM e) AS INT)"),
])
def test_date_parts(text, columns, duckdb, postgres):
    new, sql = rewritten(rw.date_parts, text, **columns)
    assert sql == duckdb
    assert new.sql(dialect="postgres") == postgres
    assert rw.date_parts in rw.RULES


def test_date_parts_types_and_shapes():
    new, _ = rewritten(rw.date_parts, "age_at(b, d)", b="integer", d="date")
    assert isinstance(new, exp.Paren) and type_of(new) == "integer"
    sub = new.this
    assert isinstance(sub, exp.Sub) and isinstance(sub.this, exp.Cast) and isinstance(sub.this.this, exp.Year)
    assert sub.this.to.this == exp.DataType.Type.INT and sub.expression.name == "b"
    assert not list(new.find_all(exp.Anonymous))     # age_at never reaches a dialect


def test_date_parts_does_not_cast_twice():
    once, sql = rewritten(rw.date_parts, "year(d)", d="date")
    assert rw.date_parts(once).sql() == sql == "CAST(YEAR(d) AS INT)"
    _, sql = rewritten(rw.date_parts, "CAST(year(d) AS BIGINT)", d="date")
    assert sql == "CAST(YEAR(d) AS BIGINT)"


# guard_division

@pytest.mark.parametrize("text, columns, expected", [
    ("x / y", {"x": "integer", "y": "integer"}, "CAST(x AS DOUBLE) / NULLIF(y, 0)"),
    ("x / (y - 1)", {"x": "bigint", "y": "bigint"}, "CAST(x AS DOUBLE) / NULLIF((y - 1), 0)"),
    ("x / 0", {"x": "integer"}, "CAST(x AS DOUBLE) / NULLIF(0, 0)"),           # zero literal: guarded
    ("x / 0.0", {"x": "integer"}, "CAST(x AS DOUBLE) / NULLIF(0.0, 0)"),
    ("x / 365.25", {"x": "integer"}, "CAST(x AS DOUBLE) / 365.25"),            # non-zero literal: no NULLIF
    ("x / 7", {"x": "integer"}, "CAST(x AS DOUBLE) / 7"),
])
def test_guard_division(text, columns, expected):
    new, sql = rewritten(rw.guard_division, text, **columns)
    assert sql == expected
    assert isinstance(new, exp.Div) and type_of(new) == "double"
    assert rw.guard_division in rw.RULES


@pytest.mark.parametrize("dialect, expected", [
    ("postgres", "CAST(x AS DOUBLE PRECISION) / NULLIF(y, 0)"),
    ("bigquery", "CAST(x AS FLOAT64) / NULLIF(y, 0)"),
    ("trino", "CAST(x AS DOUBLE) / NULLIF(y, 0)"),
    ("spark", "CAST(x AS DOUBLE) / NULLIF(y, 0)"),
])
def test_guarded_division_is_a_plain_true_division_in_every_dialect(dialect, expected):
    """typed=False, safe=False: no dialect turns it into integer division or SAFE_DIVIDE."""
    new, sql = rewritten(rw.guard_division, "x / y", dialect, x="integer", y="integer")
    assert sql == expected
    assert new.args.get("typed") is False and new.args.get("safe") is False


def test_nested_divisions_are_each_guarded():
    _, sql = rewritten(rw.guard_division, "(x / y) / z", x="integer", y="integer", z="integer")
    assert sql == "CAST((CAST(x AS DOUBLE) / NULLIF(y, 0)) AS DOUBLE) / NULLIF(z, 0)"


def test_safe_divide_and_day_difference_helpers():
    x, y = exp.column("x"), exp.column("y")
    assert rw.safe_divide(x, y).sql() == "CAST(x AS DOUBLE) / NULLIF(y, 0)"
    assert rw.safe_divide(x, exp.Literal.number(2)).sql() == "CAST(x AS DOUBLE) / 2"
    assert rw.day_difference(x, y).sql(dialect="duckdb") == "DATE_DIFF('DAY', y, x)"


# the rules together

COMBINED = ("(slut - start + 1) / 7 >= 2 AND start >= '2018-01-01' AND month(start) = 12 "
            "AND age_at(f, slut) < 30 AND start + 30 <= slut")
COMBINED_SQL = ("CAST((DATE_DIFF('DAY', start, slut) + 1) AS DOUBLE) / 7 >= 2 AND start >= CAST('2018-01-01' AS DATE) "
                "AND CAST(MONTH(start) AS INT) = 12 AND (CAST(YEAR(slut) AS INT) - f) < 30 "
                "AND (start + INTERVAL 30 DAY) <= slut")


def test_rewrite_applies_every_rule():
    tree, _, _ = annotated(COMBINED, slut="date", start="date", f="integer")
    assert rw.rewrite(tree).sql(dialect="duckdb") == COMBINED_SQL


@pytest.mark.parametrize("order", [rw.RULES, tuple(reversed(rw.RULES)),
                                   (rw.guard_division, rw.cast_text_dates, rw.date_parts, rw.date_arithmetic)])
def test_rules_compose_in_any_order(order):
    """The created nodes are typed, so a rule can run before or after the others."""
    tree, _, _ = annotated(COMBINED, slut="date", start="date", f="integer")
    for rule in order:
        tree = rule(tree)
    assert tree.sql(dialect="duckdb") == COMBINED_SQL


def test_a_rule_rewrites_the_root_itself():
    tree, _, _ = annotated("x / y", x="integer", y="integer")
    new = rw.guard_division(tree)
    assert new is not tree and isinstance(new, exp.Div) and new.parent is None


# check_date_literals (runs after the rewrites)

def test_text_read_as_a_date_must_be_a_real_date():
    text = "d = '2018-02-30'"
    tree, _, _ = annotated(text, d="date")
    tree = rw.cast_text_dates(tree)
    diags = Diagnostics()
    rw.check_date_literals(tree, Source(text, Position(FILE, LINE, COL)), diags)
    assert [d.code for d in diags.errors] == ["E_TYPE"]
    error = diags.errors[0]
    assert "'2018-02-30' is not a date" in error.message and "YYYY-MM-DD" in error.hint
    assert (error.position.line, error.position.col) == (LINE, col_of(text, "'2018-02-30'"))


def test_a_real_date_passes_the_date_check():
    tree, _, _ = annotated("d = '2018-02-28'", d="date")
    diags = Diagnostics()
    rw.check_date_literals(rw.cast_text_dates(tree), Source("d = '2018-02-28'", Position(FILE, LINE, COL)), diags)
    assert diags.items == []
