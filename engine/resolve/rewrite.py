"""Portable rewrites: tree → tree rules over a typed, bound expression (after sqlglot's optimizer RULES).

Each rule reads the node types that `annotate` recorded and returns the rewritten tree; the
nodes it creates are typed too, so the rules compose in any order. They make an analyst's
expression mean the same on every engine:

- cast_text_dates: a text literal compared with a date is read as a DATE (and must be one);
- date_arithmetic: date − date is a day difference, date ± n moves by n days;
- guard_division: `/` is a true division that gives NULL instead of an error for 0;
- guard_modulo: `%` gives NULL instead of an error for 0, as `/` does.

A literal 0 divisor never reaches them: it is an error at validate (constants.check_constants).
"""
from __future__ import annotations

import datetime as dt

from sqlglot import exp

from ..diagnostics import Diagnostics
from ..expressions import Source, node_offset
from .annotate import date_with_text, is_number, set_type, type_of

DATE = exp.DataType.build("date")


def day_difference(later: exp.Expr, earlier: exp.Expr) -> exp.Expr:
    """Whole days from `earlier` to `later` (rendered per dialect by `render`)."""
    return exp.DateDiff(this=later, expression=earlier, unit=exp.var("DAY"))


def safe_divide(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """True division in every dialect, NULL instead of an error when dividing by zero."""
    num = exp.cast(numerator, exp.DataType.build("double"))
    if isinstance(denominator, exp.Literal) and not denominator.is_string and float(denominator.this) != 0:
        return exp.Div(this=num, expression=denominator, typed=False, safe=False)
    return exp.Div(this=num, expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
                   typed=False, safe=False)


def bottom_up(tree: exp.Expr, fix) -> exp.Expr:
    """Apply `fix` to every node, children before their parent (a rewritten child is seen by its parent)."""
    for node in reversed(list(tree.dfs())):
        new = fix(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def cast_text_dates(tree: exp.Expr) -> exp.Expr:
    """`datum >= '2018-01-01'` → `datum >= CAST('2018-01-01' AS DATE)`, in comparisons, IN and BETWEEN."""
    def as_date(node: exp.Expr) -> exp.Expr:
        return set_type(exp.cast(node, DATE.copy()), "date")

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            a, b = type_of(node.this), type_of(node.expression)
            if date_with_text(a, b, node.expression):
                node.set("expression", as_date(node.expression))
            elif date_with_text(b, a, node.this):
                node.set("this", as_date(node.this))
        elif isinstance(node, exp.In):
            a = type_of(node.this)
            node.set("expressions", [as_date(i) if date_with_text(a, type_of(i), i) else i
                                     for i in node.expressions])
        elif isinstance(node, exp.Between):
            a = type_of(node.this)
            for key in ("low", "high"):
                if date_with_text(a, type_of(node.args[key]), node.args[key]):
                    node.set(key, as_date(node.args[key]))
        return node
    return bottom_up(tree, fix)


def date_arithmetic(tree: exp.Expr) -> exp.Expr:
    """date − date → DateDiff in days; date − n → DateSub; date + n and n + date → DateAdd."""
    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, (exp.Sub, exp.Add)):
            a, b = type_of(node.this), type_of(node.expression)
            if isinstance(node, exp.Sub) and a == "date" and b == "date":
                return set_type(day_difference(node.this, node.expression), "integer")
            if isinstance(node, exp.Sub) and a == "date" and is_number(b):
                return set_type(exp.DateSub(this=node.this, expression=node.expression, unit=exp.var("DAY")), "date")
            if isinstance(node, exp.Add) and a == "date" and is_number(b):
                return set_type(exp.DateAdd(this=node.this, expression=node.expression, unit=exp.var("DAY")), "date")
            if isinstance(node, exp.Add) and b == "date" and is_number(a):
                return set_type(exp.DateAdd(this=node.expression, expression=node.this, unit=exp.var("DAY")), "date")
        return node
    return bottom_up(tree, fix)


def guard_division(tree: exp.Expr) -> exp.Expr:
    """`a / b` → `CAST(a AS DOUBLE) / NULLIF(b, 0)`: no integer division, no division-by-zero error."""
    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Div):
            return set_type(safe_divide(node.this, node.expression), "double")
        return node
    return bottom_up(tree, fix)


def _nonzero_number(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and float(node.this) != 0


def guard_modulo(tree: exp.Expr) -> exp.Expr:
    """`a % b` → `a % NULLIF(b, 0)`: NULL, not a division-by-zero error, where b is 0 (a non-zero number stays)."""
    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Mod):
            divisor = node.expression
            guarded = isinstance(divisor, exp.Nullif) and isinstance(divisor.expression, exp.Literal) \
                and not divisor.expression.is_string and float(divisor.expression.this) == 0
            if not guarded and not _nonzero_number(divisor):
                nullif = exp.Nullif(this=divisor, expression=exp.Literal.number(0))
                node.set("expression", set_type(nullif, type_of(divisor) or "null"))
        return node
    return bottom_up(tree, fix)


def date_parts(tree: exp.Expr) -> exp.Expr:
    """year(d), month(d) → CAST(.. AS INT) (EXTRACT gives a numeric in some engines); age_at(b, d) → year(d) - b."""
    def year(of: exp.Expr) -> exp.Expr:
        return set_type(exp.cast(exp.Year(this=of), exp.DataType.build("int")), "integer")

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, (exp.Year, exp.Month)) and not isinstance(node.parent, exp.Cast):
            return set_type(exp.cast(node, exp.DataType.build("int")), "integer")
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "age_at":
            birth, date = node.expressions
            return set_type(exp.paren(exp.Sub(this=year(date), expression=birth)), "integer")
        return node
    return bottom_up(tree, fix)


RULES = (cast_text_dates, date_arithmetic, date_parts, guard_division, guard_modulo)


def rewrite(tree: exp.Expr) -> exp.Expr:
    for rule in RULES:
        tree = rule(tree)
    return tree


def check_date_literals(tree: exp.Expr, src: Source, diags: Diagnostics) -> None:
    """Text read as a date must be a real date, so the error is the analyst's, not the data's."""
    for cast in tree.find_all(exp.Cast):
        if cast.to.this == exp.DataType.Type.DATE and isinstance(cast.this, exp.Literal) and cast.this.is_string:
            try:
                dt.date.fromisoformat(cast.this.this)
            except ValueError:
                diags.error(src.at(node_offset(cast.this)), "E_TYPE", f"'{cast.this.this}' is not a date",
                            "write dates as 'YYYY-MM-DD'")
