"""Analyst expressions: the allowlist rejects everything but simple column expressions."""
import pytest

from engine.diagnostics import Diagnostics, Position
from engine.expressions import Source, parse_expression


def parse(text):
    diags = Diagnostics()
    tree = parse_expression(Source(text, Position("f.yaml", 3, 10)), diags)
    return tree, [d.code for d in diags.errors], diags


@pytest.mark.parametrize("text", [
    "avslutsorsak = 'efter_insats'",
    "utfall IN ('arbete', 'utbildning')",
    "fall.diagnoskod LIKE 'F%'",
    "slutdatum IS NOT NULL AND NOT (a > 1 OR b <= 2)",
    "(datum - fall.startdatum + 1) / 365.25",
    "CASE WHEN a = 1 THEN 'x' ELSE 'y' END",
    "coalesce(a, 0) BETWEEN 1 AND 5",
    "starts_with(diagnoskod, 'F')",
    "CAST(a AS DATE) >= DATE '2018-01-01'",
])
def test_allowed(text):
    tree, found, _ = parse(text)
    assert tree is not None and found == []


@pytest.mark.parametrize("text, code", [
    ("x = 1; DROP TABLE person", "E_EXPR_STATEMENTS"),
    ("1 = 1; DELETE FROM person", "E_EXPR_STATEMENTS"),
    ("person_id IN (SELECT person_id FROM person)", "E_EXPR_SUBQUERY"),
    ("EXISTS (SELECT 1)", "E_EXPR_SUBQUERY"),
    ("read_csv('/etc/passwd') IS NULL", "E_EXPR_FUNCTION"),
    ("read_text('/etc/passwd') = ''", "E_EXPR_FUNCTION"),
    ("getenv('HOME') = 'x'", "E_EXPR_FUNCTION"),
    ("current_setting('x') = 'y'", "E_EXPR_FUNCTION"),
    ("count(*) > 1", "E_EXPR_FUNCTION"),
    ("a = = 1", "E_EXPR_SYNTAX"),
    ("'unclosed", "E_EXPR_SYNTAX"),
    ("", "E_EXPR_EMPTY"),
    ("CAST(a AS BLOB) = 1", "E_EXPR_TYPE_NAME"),
])
def test_rejected(text, code):
    tree, found, diags = parse(text)
    assert tree is None and found == [code]
    assert diags.errors[0].position.line == 3 and diags.errors[0].hint


def test_error_points_inside_the_text():
    _, _, diags = parse("a = 1 AND read_csv('x') = 1")
    assert diags.errors[0].position.col == 10 + 10
