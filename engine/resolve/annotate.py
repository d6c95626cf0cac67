"""Expression typing as a table of rules keyed by node class (after sqlglot's annotate_types).

Types are plain names: bigint, integer, double, varchar, date, boolean, null, and "error"
after a reported error (its parents are not checked again, so one mistake gives one
message). `annotate` types every node of a bound tree bottom-up into a dict keyed by
node (in its `meta`, which survives the rewrites); the rewrite rules read it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from ..diagnostics import Diagnostics
from ..expressions import ALLOWED_CAST_TYPES, Source, node_offset
from ..model import NUMERIC

TYPE_KEY = "engine_type"


def type_of(node: exp.Expr | None) -> str | None:
    return None if node is None else node.meta.get(TYPE_KEY)


def set_type(node: exp.Expr, t: str) -> exp.Expr:
    node.meta[TYPE_KEY] = t
    return node


def is_number(t: str | None) -> bool:
    return t in NUMERIC


def comparable(a: str | None, b: str | None) -> bool:
    if "null" in (a, b):
        return True
    if is_number(a) and is_number(b):
        return True
    return a == b


def unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def is_text_literal(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def date_with_text(a: str | None, b: str | None, other: exp.Expr | None) -> bool:
    """A date compared with a text literal: the literal is read as a date (rewrite.cast_text_dates)."""
    return a == "date" and b == "varchar" and isinstance(other, exp.Literal)


class Typing:
    """What a rule sees: the child types and a way to report an error at the node."""

    def __init__(self, src: Source, diags: Diagnostics):
        self.src, self.diags = src, diags

    def of(self, node: exp.Expr | None) -> str | None:
        return type_of(node)

    def error(self, node: exp.Expr, message: str, hint: str = "") -> None:
        self.diags.error(self.src.at(node_offset(node)), "E_TYPE", message, hint)


Rule = Callable[[Any, Typing], str]  # takes a node of the class it is registered under in RULES


def _literal(node: exp.Literal, t: Typing) -> str:
    if node.is_string:
        return "varchar"
    return "double" if any(c in node.this for c in ".eE") else "integer"


def _compare(node: exp.Expr, t: Typing) -> str:
    a, b = t.of(node.this), t.of(node.expression)
    if not (date_with_text(a, b, node.expression) or date_with_text(b, a, node.this) or comparable(a, b)):
        t.error(node, f"cannot compare {a} with {b} in '{node.sql()}'")
    return "boolean"


def _in(node: exp.In, t: Typing) -> str:
    a = t.of(node.this)
    for item in node.expressions:
        if not (date_with_text(a, t.of(item), item) or comparable(a, t.of(item))):
            t.error(node, f"IN compares {a} with {t.of(item)} in '{node.sql()}'")
            break
    return "boolean"


def _between(node: exp.Between, t: Typing) -> str:
    a = t.of(node.this)
    for key in ("low", "high"):
        bound = node.args[key]
        if not (date_with_text(a, t.of(bound), bound) or comparable(a, t.of(bound))):
            t.error(node, f"BETWEEN compares {a} with {t.of(bound)}")
    return "boolean"


def _like(node: exp.Like, t: Typing) -> str:
    a = t.of(node.this)
    if a not in ("varchar", "null"):
        t.error(node, f"LIKE needs text, but '{node.this.sql()}' is {a}")
    return "boolean"


def _logical(node: exp.Expr, t: Typing) -> str:
    for side in (node.this, node.expression):
        if t.of(side) not in ("boolean", "null"):
            t.error(node, f"AND/OR combine conditions, but one side is {t.of(side)}")
    return "boolean"


def _not(node: exp.Not, t: Typing) -> str:
    if t.of(node.this) not in ("boolean", "null"):
        t.error(node, f"NOT needs a condition, but '{node.this.sql()}' is {t.of(node.this)}",
                "compare it, e.g. NOT (utfall = 'annat')")
    return "boolean"


def _starts_with(node: exp.StartsWith, t: Typing) -> str:
    if t.of(node.this) not in ("varchar", "null") or t.of(node.expression) not in ("varchar", "null"):
        t.error(node, "starts_with needs text on both sides")
    return "boolean"


def _arithmetic(node: exp.Expr, t: Typing) -> str:
    a, b = t.of(node.this), t.of(node.expression)
    if not (is_number(a) or a == "null") or not (is_number(b) or b == "null"):
        t.error(node, f"arithmetic needs numbers, got {a} and {b} in '{node.sql()}'",
                "day arithmetic: date - date gives days, date + n adds n days")
        return "error"
    return "double" if "double" in (a, b) else "bigint" if "bigint" in (a, b) else "integer"


def _sub(node: exp.Sub, t: Typing) -> str:
    a, b = t.of(node.this), t.of(node.expression)
    if a == "date" and b == "date":
        return "integer"          # days between (rewrite.date_arithmetic)
    if a == "date" and is_number(b):
        return "date"
    return _arithmetic(node, t)


def _add(node: exp.Add, t: Typing) -> str:
    a, b = t.of(node.this), t.of(node.expression)
    if (a == "date" and is_number(b)) or (b == "date" and is_number(a)):
        return "date"
    return _arithmetic(node, t)


def _div(node: exp.Div, t: Typing) -> str:
    _arithmetic(node, t)
    return "double"               # always a true division (rewrite.guard_division)


def _neg(node: exp.Neg, t: Typing) -> str:
    a = t.of(node.this)
    if a is None or not is_number(a):
        t.error(node, f"cannot negate {a}")
        return "error"  # reported once: the expressions around it are not judged on a wrong type
    return a


def _cast(node: exp.Cast, t: Typing) -> str:
    target = ALLOWED_CAST_TYPES.get(node.to.this, "unknown")
    if target in ("integer", "bigint") and t.of(node.this) == "double":
        t.error(node, "converting a decimal number to an integer rounds in some engines and truncates in others",
                "use round(x) to say which you mean")
    return target


def _branches(node: exp.Expr, t: Typing) -> str:
    if isinstance(node, exp.If):
        if t.of(node.this) not in ("boolean", "null"):
            t.error(node, "the condition of IF/WHEN must be true or false")
        results = [t.of(node.args.get("true")), t.of(node.args.get("false"))]
    else:
        results = [t.of(i) for i in node.args.get("ifs") or []] + [t.of(node.args.get("default"))]
    known = [r for r in results if r not in (None, "null")]
    if any(not comparable(known[0], r) for r in known[1:]):
        t.error(node, f"the branches give different types: {', '.join(known)}")
    return known[0] if known else "null"


def _same_as_first(node: exp.Func, t: Typing) -> str:
    a = t.of(node.this)
    others = [t.of(node.args.get("expression"))] + [t.of(e) for e in node.args.get("expressions") or []]
    if any(o is not None and not comparable(a, o) for o in others):
        t.error(node, f"the arguments of {node.sql_name().lower()} have different types",
                "give every argument the same type")
    return a or "null"


def _text(node: exp.Func, t: Typing) -> str:
    if t.of(node.this) not in ("varchar", "null"):
        t.error(node, f"{node.sql_name().lower()} needs text, but '{node.this.sql()}' is {t.of(node.this)}")
    return "integer" if isinstance(node, exp.Length) else "varchar"


def _number(node: exp.Func, t: Typing) -> str:
    a = t.of(node.this)
    if not (is_number(a) or a == "null"):
        t.error(node, f"{node.sql_name().lower()} needs a number, got {a}")
        return "error"
    return a or "null"


def _date_part(node: exp.Func, t: Typing) -> str:
    if t.of(node.this) not in ("date", "null"):
        t.error(node, f"{node.sql_name().lower()}() needs a date, but '{node.this.sql()}' is {t.of(node.this)}")
    return "integer"


def _language_function(node: exp.Anonymous, t: Typing) -> str:
    name = str(node.this).lower()
    args = node.expressions
    if name == "age_at":
        if len(args) != 2:
            t.error(node, f"age_at takes two arguments, a birth year and a date, not {len(args)}",
                    "e.g. age_at(person.fodelsear, datum)")
            return "error"
        if not (is_number(t.of(args[0])) or t.of(args[0]) == "null") or t.of(args[1]) not in ("date", "null"):
            t.error(node, f"age_at needs a birth year (a number) and a date, got {t.of(args[0])} and {t.of(args[1])}",
                    "e.g. age_at(person.fodelsear, datum)")
            return "error"
        return "integer"
    return "unknown"


RULES: dict[type, Rule] = {
    exp.Year: _date_part,
    exp.Month: _date_part,
    exp.Anonymous: _language_function,
    exp.Literal: _literal,
    exp.Boolean: lambda node, t: "boolean",
    exp.Null: lambda node, t: "null",
    exp.Paren: lambda node, t: t.of(node.this) or "null",
    **{cls: _compare for cls in (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)},
    exp.In: _in,
    exp.Between: _between,
    exp.Like: _like,
    exp.And: _logical,
    exp.Or: _logical,
    exp.Not: _not,
    exp.StartsWith: _starts_with,
    exp.Is: lambda node, t: "boolean",
    exp.Sub: _sub,
    exp.Add: _add,
    exp.Mul: _arithmetic,
    exp.Mod: _arithmetic,
    exp.Div: _div,
    exp.Neg: _neg,
    exp.Cast: _cast,
    exp.Case: _branches,
    exp.If: _branches,
    **{cls: _same_as_first for cls in (exp.Coalesce, exp.Least, exp.Greatest, exp.Nullif)},
    **{cls: _text for cls in (exp.Upper, exp.Lower, exp.Substring, exp.Length)},
    **{cls: _number for cls in (exp.Abs, exp.Round)},
}


def annotate(tree: exp.Expr, src: Source, diags: Diagnostics) -> str:
    """Type every node of `tree` not typed yet (bound columns are), children first; the root's type."""
    typing = Typing(src, diags)

    def visit(node: exp.Expr) -> str:
        known = type_of(node)
        if known is not None:
            return known
        failed = False
        for value in node.args.values():
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Expression) and not isinstance(child, exp.DataType):
                    failed = visit(child) == "error" or failed
        rule = RULES.get(type(node))
        result = "error" if failed else rule(node, typing) if rule else "unknown"
        set_type(node, result)
        return result

    return visit(tree)
