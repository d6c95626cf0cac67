"""Analyst expressions: parsed by sqlglot and accepted only from an allowlist.

An analyst writes simple column expressions (`avslutsorsak = 'efter_insats'`,
`datum - fall.startdatum + 1`). Anything outside the allowlist of node types and
functions (a subquery, a second statement, DDL/DML, a table function such as
`read_csv`, a system function) is rejected here, before any name is bound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .diagnostics import Diagnostics, Position

READ_DIALECT = "duckdb"

ALLOWED_NODES: tuple[type, ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
    exp.And, exp.Or, exp.Not, exp.Is, exp.In, exp.Between, exp.Like,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg,
    exp.Case, exp.If, exp.Cast, exp.DataType,
)
# Functions an analyst may call, by sqlglot node type: name shown to the analyst.
ALLOWED_FUNCTIONS: dict[type, str] = {
    exp.Coalesce: "coalesce", exp.StartsWith: "starts_with", exp.Upper: "upper",
    exp.Lower: "lower", exp.Length: "length", exp.Abs: "abs", exp.Round: "round",
    exp.Substring: "substring", exp.Least: "least", exp.Greatest: "greatest",
    exp.Nullif: "nullif", exp.Year: "year", exp.Month: "month",
}
# The arguments each allowed function takes (sqlglot's argument names) and how it is written: sqlglot
# reads more than the language allows (`round(x, 2, 1)` as a truncating round, `length(x, y)`).
FUNCTION_ARGUMENTS: dict[type, tuple[tuple[str, ...], tuple[str, ...], str]] = {  # required, optional, usage
    exp.Coalesce: (("this",), ("expressions",), "coalesce(x, y, ...)"),
    exp.StartsWith: (("this", "expression"), (), "starts_with(x, 'F')"),
    exp.Upper: (("this",), (), "upper(x)"),
    exp.Lower: (("this",), (), "lower(x)"),
    exp.Length: (("this",), (), "length(x)"),
    exp.Abs: (("this",), (), "abs(x)"),
    exp.Round: (("this",), ("decimals",), "round(x) or round(x, 2)"),
    exp.Substring: (("this", "start"), ("length",), "substring(x, 1, 3) or substring(x, 2) for the rest"),
    exp.Least: (("this",), ("expressions",), "least(x, y, ...)"),
    exp.Greatest: (("this",), ("expressions",), "greatest(x, y, ...)"),
    exp.Nullif: (("this", "expression"), (), "nullif(x, 0)"),
    exp.Year: (("this",), (), "year(datum)"),
    exp.Month: (("this",), (), "month(datum)"),
}
# Functions of the language itself, which sqlglot reads as anonymous calls (rewritten in resolve).
LANGUAGE_FUNCTIONS = {"age_at": 2}
ALLOWED_CAST_TYPES = {
    exp.DataType.Type.DATE: "date", exp.DataType.Type.INT: "integer",
    exp.DataType.Type.BIGINT: "bigint", exp.DataType.Type.DOUBLE: "double",
    exp.DataType.Type.VARCHAR: "varchar", exp.DataType.Type.TEXT: "varchar",
}
# What to write instead of functions analysts reach for (by the name as written, lower case).
_DATE_PARTS = "for the year or month of a date write year(datum) or month(datum)"
_TODAY = "a definition never depends on today: use period_start and period_end, the period's first and last day"
_AGGREGATE = ("aggregates belong to the measure (measure: {kind: mean, of: ...}) or to a per-unit field "
              "(population: fields: {name: {aggregate: count, of: <relationship>}})")
INSTEAD = {
    "extract": _DATE_PARTS, "date_part": _DATE_PARTS, "datepart": _DATE_PARTS, "strftime": _DATE_PARTS,
    "date_trunc": _DATE_PARTS, "to_char": _DATE_PARTS, "date_format": _DATE_PARTS,
    "now": _TODAY, "current_date": _TODAY, "today": _TODAY, "current_timestamp": _TODAY, "getdate": _TODAY,
    "datediff": "days between two dates: write a - b (e.g. slutdatum - startdatum)",
    "date_diff": "days between two dates: write a - b (e.g. slutdatum - startdatum)",
    "age": "an age at a date: write age_at(person.fodelsear, datum)",
    "count": _AGGREGATE, "sum": _AGGREGATE, "avg": _AGGREGATE, "min": _AGGREGATE, "max": _AGGREGATE,
    "median": _AGGREGATE,
    "ifnull": "write coalesce(x, y)", "nvl": "write coalesce(x, y)", "isnull": "write x IS NULL",
    "concat": "compare the parts separately; text is not built in a definition",
    "substr": "write substring(x, start, length)", "left": "write substring(x, 1, n) or starts_with(x, 'F')",
}
# Nodes sqlglot reads from an operator or a keyword, named as the analyst wrote them (never sqlglot's name).
_PATTERN = "compare with LIKE 'F%' (% any text, _ one character) or starts_with(x, 'F')"
OPERATORS: dict[type, tuple[str, str]] = {
    exp.RegexpLike: ("a regular-expression match (REGEXP, ~, regexp_matches)", _PATTERN),
    exp.RegexpILike: ("a regular-expression match (~*)", _PATTERN),
    exp.ILike: ("ILIKE", "compare with LIKE on lower(x), e.g. lower(x) LIKE 'f%'"),
    exp.SimilarTo: ("SIMILAR TO", _PATTERN),
    exp.TryCast: ("try_cast", "write CAST(x AS type): a value that cannot be converted is an error in the data, "
                  "which check-data reports"),
    exp.DPipe: ("'||' (joining text)", "compare the parts separately; text is not built in a definition"),
    exp.Interval: ("INTERVAL", "dates are counted in days: write datum + 30 or datum - 30"),
    exp.IntDiv: ("integer division (//, DIV)", "write a / b for a true division, round(a / b) for a whole number"),
}
FUNCTION_NAMES = sorted([*ALLOWED_FUNCTIONS.values(), *LANGUAGE_FUNCTIONS])


@dataclass(frozen=True)
class Source:
    """Where an expression's text sits, to place errors inside it."""
    text: str
    position: Position
    quoted_offset: int = 0
    spans: tuple[tuple[int, int], ...] | None = None   # (line, col) of each character, for folded text

    def at(self, offset: int) -> Position:
        if self.spans and self.position.line:
            line, col = self.spans[max(0, min(offset, len(self.spans) - 1))]
            return Position(self.position.file, line, col)
        if not self.position.line or "\n" in self.text:
            return self.position
        return Position(self.position.file, self.position.line,
                        self.position.col + self.quoted_offset + offset)


def node_offset(node: exp.Expr) -> int:
    """Character offset of a node in its source text, where sqlglot recorded it."""
    for candidate in [node, *node.find_all(exp.Identifier, exp.Literal)]:
        meta = getattr(candidate, "_meta", None) or {}
        if "start" in meta:
            return int(meta["start"])
    return 0


def written_offset(node: exp.Expr, text: str = "") -> int:
    """Offset of the leftmost written part of a node (an operand `a + 1` starts at `a`, `-5` at its '-').

    A node whose start sqlglot (or binding) recorded is not looked into: a bound calculated column
    carries the place where its name is written, and its inner nodes offsets into the model's text.
    """
    meta = getattr(node, "_meta", None) or {}
    if "start" in meta:
        return int(meta["start"])
    starts = [written_offset(child, text) for child in node.iter_expressions()]
    start = min(starts, default=0)
    if isinstance(node, exp.Neg) and starts:  # sqlglot records no place for the '-'
        before = text[:start].rstrip()
        if before.endswith("-"):
            start = len(before) - 1
    return start


def _written_name(text: str, offset: int) -> str | None:
    """The function name as the analyst wrote it (sqlglot normalises `strftime` to TimeToStr)."""
    match = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(").match(text, offset)
    return match.group(1) if match else None


def parse_expression(source: Source, diags: Diagnostics) -> exp.Expr | None:
    """Parse one analyst expression and check it against the allowlist."""
    text = source.text
    if not isinstance(text, str) or not text.strip():
        diags.error(source.position, "E_EXPR_EMPTY", "the expression is empty",
                    "write a column expression such as: avslutsorsak = 'efter_insats'")
        return None
    try:
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        lines = text.split("\n")
        line = min(max(int(first.get("line", 1)), 1), len(lines))
        col = sum(len(x) + 1 for x in lines[:line - 1]) + max(int(first.get("col", 1)) - 1, 0)
        diags.error(source.at(col), "E_EXPR_SYNTAX",
                    f"cannot read the expression '{text}': {first.get('description', str(exc))}",
                    "write a simple column expression, e.g. utfall IN ('arbete', 'utbildning')")
        return None
    except RecursionError:
        diags.error(source.position, "E_EXPR_TOO_DEEP", "the expression nests too deeply",
                    "write a simpler expression, or split it into several conditions")
        return None
    except TokenError as exc:
        diags.error(source.position, "E_EXPR_SYNTAX", f"cannot read the expression '{text}': {exc}",
                    "check the quotes: text values are written in single quotes, 'like this'")
        return None
    if len(statements) != 1:
        diags.error(source.at(text.find(";") if ";" in text else 0), "E_EXPR_STATEMENTS",
                    "an expression must be exactly one expression, not several statements",
                    "remove the ';' and what follows it")
        return None
    tree = statements[0]
    ok = True
    for node in tree.walk():
        if isinstance(node, exp.In) and (node.args.get("field") is not None or node.args.get("unnest") is not None):
            diags.error(source.at(node_offset(node)), "E_EXPR_NODE", "IN needs a list of values in parentheses",
                        "e.g. utfall IN ('arbete', 'utbildning')")
            ok = False
            break
        if type(node) in ALLOWED_NODES:  # the exact class: TryCast is a Cast, Pseudocolumn a Column
            if isinstance(node, exp.DataType) and node.this not in ALLOWED_CAST_TYPES:
                diags.error(source.at(node_offset(node)), "E_EXPR_TYPE_NAME",
                            f"cannot convert to type {node.sql()}",
                            "allowed types: " + ", ".join(sorted(set(ALLOWED_CAST_TYPES.values()))))
                ok = False
            continue
        if type(node) in ALLOWED_FUNCTIONS:
            if _arguments_fit(node, source, diags):
                continue
            ok = False
            break
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in LANGUAGE_FUNCTIONS:
            continue
        ok = False
        if isinstance(node, (exp.Subquery, exp.Select, exp.Query, exp.Exists)):
            diags.error(source.at(node_offset(node)), "E_EXPR_SUBQUERY",
                        "a subquery is not allowed in an expression",
                        "to test related rows use a condition {exists: <relationship>, where: ...}")
        elif type(node) in OPERATORS:
            written, instead = OPERATORS[type(node)]
            diags.error(source.at(node_offset(node)), "E_EXPR_OPERATOR", f"{written} is not allowed", instead)
        elif isinstance(node, (exp.Func, exp.Anonymous)):
            name = _written_name(text, node_offset(node)) or (
                node.sql_name() if not isinstance(node, exp.Anonymous) else str(node.this))
            advice = INSTEAD.get(name.lower())
            diags.error(source.at(node_offset(node)), "E_EXPR_FUNCTION",
                        f"function '{name.lower()}' is not allowed",
                        (f"{advice}; " if advice else "") + "allowed functions: " + ", ".join(FUNCTION_NAMES))
        elif isinstance(node, exp.Star):
            diags.error(source.at(node_offset(node)), "E_EXPR_NODE", "'*' is not allowed in an expression",
                        "name the column")
        else:
            diags.error(source.at(node_offset(node)), "E_EXPR_NODE",
                        f"'{node.sql(dialect=READ_DIALECT)}' ({type(node).__name__}) is not allowed in an expression",
                        "use columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN, LIKE, IS NULL, "
                        "arithmetic, CASE and the allowed functions")
        break  # one error per expression: the rest is likely noise
    return tree if ok else None


def _arguments_fit(node: exp.Expr, source: Source, diags: Diagnostics) -> bool:
    """An allowed function is given the arguments it takes, no more (and its required ones)."""
    required, optional, usage = FUNCTION_ARGUMENTS[type(node)]
    given = {key for key, value in node.args.items()
             if isinstance(value, exp.Expression) or (isinstance(value, list) and value)}
    if given <= {*required, *optional} and set(required) <= given:
        return True
    name = ALLOWED_FUNCTIONS[type(node)]
    count = sum(len(v) if isinstance(v, list) else 1 for k, v in node.args.items() if k in given)
    low, high = len(required), len(required) + len(optional)
    takes = "at least 1" if "expressions" in optional else f"{low} or {high}" if high > low else f"{low}"
    diags.error(source.at(written_offset(node, source.text)), "E_EXPR_ARGUMENTS",
                f"{name} takes {takes} argument{'s' if high > 1 else ''}, not {count}", f"write {usage}")
    return False


def column_paths(tree: exp.Expr) -> list[exp.Column]:
    return list(tree.find_all(exp.Column))


def column_path(column: exp.Column) -> tuple[str, ...]:
    return tuple(part.name for part in column.parts)
