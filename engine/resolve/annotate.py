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
from ..expressions import ALLOWED_CAST_TYPES, Source, node_offset, written_offset
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


def is_number_literal(node: exp.Expr | None) -> bool:
    """A number written out: `5`, `-5`, `(2.5)`."""
    node = unparen(node) if node is not None else None
    if isinstance(node, exp.Neg):
        return is_number_literal(node.this)
    return isinstance(node, exp.Literal) and not node.is_string


def shown(node: exp.Expr) -> str:
    """An operand as a message shows it: a literal as written (5, 'F%'), anything else in quotes."""
    literal = isinstance(node, exp.Literal) or (isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal))
    return node.sql() if literal else f"'{node.sql()}'"


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

    def error_at(self, operand: exp.Expr, message: str, hint: str = "", code: str = "E_TYPE") -> None:
        """Report where the offending operand is written (its leftmost part)."""
        self.diags.error(self.src.at(written_offset(operand, self.src.text)), code, message, hint)


Rule = Callable[[Any, Typing], str]  # takes a node of the class it is registered under in RULES


INT32_MAX = 2**31 - 1


def _literal(node: exp.Literal, t: Typing) -> str:
    if node.is_string:
        return "varchar"
    digits = node.this
    if not (digits.isascii() and digits.isdigit()):
        return "double"
    return "integer" if len(digits) <= 10 and int(digits) <= INT32_MAX + 1 else "bigint"  # +1: -2147483648


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
    """Text on both sides: `diagnoskod LIKE 5` fails in the engine ("no function matches"), not on the data."""
    for side in (node.this, node.expression):
        a = t.of(side)
        if a in ("varchar", "null"):
            continue
        if side is node.expression:
            written = unparen(side)
            pattern = f"'{written.this}'" if isinstance(written, exp.Literal) else "'F%'"
            hint = f"write the pattern as text in single quotes: LIKE {pattern} (% is any text, _ one character)"
        elif a == "date":
            hint = "compare dates as dates: year(datum) = year(period_end), datum BETWEEN period_start AND period_end"
        else:
            hint = "compare the number as a number, e.g. fodelsear BETWEEN 1950 AND 1959"
        t.error_at(side, f"LIKE needs text on both sides, but {shown(side)} is {a}", hint)
        break
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
        t.error(node, "starts_with needs text on both sides", "e.g. starts_with(diagnoskod, 'F')")
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


# Conversions that cannot fail on any value and give the same result in every engine (docs/language.md,
# "Conversions"). A text literal may be converted to a date or a number: whether it is one is checked at
# validate (rewrite.check_date_literals, constants.check_constants), not left to the data.
SAFE_CASTS = {("integer", "bigint"), ("integer", "double"), ("bigint", "double"),
              ("integer", "varchar"), ("bigint", "varchar")}
_NOUN = {"date": "date", "integer": "whole number", "bigint": "whole number", "double": "number"}
_AS_TEXT = {
    "date": ("a date", "compare dates as dates: datum >= period_start, year(datum) = year(period_end)"),
    "double": ("a decimal number", "compare the number as a number, e.g. round(x, 1) = 2.5"),
    "boolean": ("a condition", "use the condition itself, or CASE WHEN <condition> THEN 'ja' ELSE 'nej' END"),
}


def _cast(node: exp.Cast, t: Typing) -> str:
    """CAST(x AS type) only where it cannot fail at run time: a failing cast would blame the data."""
    target = ALLOWED_CAST_TYPES.get(node.to.this, "unknown")
    source = t.of(node.this)
    operand = node.this
    if source in (target, "null", "unknown", None) or (source, target) in SAFE_CASTS:
        return target
    if source in ("integer", "bigint") and target in ("integer", "bigint") and is_number_literal(operand):
        return target         # CAST(2200000000 AS INT): the value is checked (check_constants)
    if target in ("integer", "bigint") and source == "double":
        t.error_at(operand, "converting a decimal number to an integer rounds in some engines and truncates in others",
                   "use round(x) to say which you mean")
    elif source == "varchar":
        if is_text_literal(unparen(operand)):
            return target     # the literal itself is checked (check_constants, check_date_literals)
        noun = _NOUN[target]
        t.error_at(operand, f"converting text to {target} can fail on the data: the run would stop at the first "
                   f"value of {shown(operand)} that is not a {noun}",
                   f"compare the text as text (e.g. diagnoskod LIKE 'F%', diagnoskod = 'F32'); if the column holds "
                   f"{noun}s, declare it with type: {target} in model.yaml, so the dataset's column type is checked "
                   "before anything runs", code="E_CAST")
    elif (source, target) == ("bigint", "integer"):
        t.error_at(operand, f"converting bigint to integer can fail on the data: a value of {shown(operand)} "
                   "above 2147483647 does not fit an integer",
                   "leave the CAST out: numbers of any width compare and compute together", code="E_CAST")
    elif target == "varchar" and source in _AS_TEXT:
        what, hint = _AS_TEXT[source]
        t.error_at(operand, f"converting {what} to text gives different text in different engines (and database "
                   f"settings): {shown(operand)} is {source}", hint, code="E_CAST")
    elif target == "date":
        t.error_at(operand, f"{shown(operand)} is {source}, which cannot be converted to a date",
                   "compare the year: year(datum) = fodelsear + 30; move a date by days: datum + 30", code="E_CAST")
    elif source == "date":
        t.error_at(operand, f"{shown(operand)} is a date, which cannot be converted to {target}",
                   "year(datum) or month(datum) for its parts, slutdatum - startdatum for the days between",
                   code="E_CAST")
    elif source == "boolean":
        t.error_at(operand, f"{shown(operand)} is a condition, which not every engine converts to {target}",
                   "write CASE WHEN <condition> THEN 1 ELSE 0 END", code="E_CAST")
    else:
        t.error_at(operand, f"{shown(operand)} is {source}, which cannot be converted to {target}", code="E_CAST")
    return "error"


def _branches(node: exp.Expr, t: Typing) -> str:
    if isinstance(node, exp.If):
        case = node.parent if isinstance(node.parent, exp.Case) and node.arg_key == "ifs" else None
        operand = case.args.get("this") if case is not None else None
        if operand is not None:   # CASE x WHEN value THEN ...: the value is compared with x
            if not comparable(t.of(operand), t.of(node.this)):
                t.error_at(node.this, f"CASE compares {t.of(operand)} with {t.of(node.this)}: "
                           f"{shown(operand)} and {shown(node.this)}", "give each WHEN a value of the CASE's type")
        elif t.of(node.this) not in ("boolean", "null"):
            t.error(node, "the condition of IF/WHEN must be true or false")
        results = [t.of(node.args.get("true")), t.of(node.args.get("false"))]
    else:
        results = [t.of(i) for i in node.args.get("ifs") or []] + [t.of(node.args.get("default"))]
    known = [r for r in results if r not in (None, "null")]
    if any(not comparable(known[0], r) for r in known[1:]):
        t.error(node, f"the branches give different types: {', '.join(known)}")
    return known[0] if known else "null"


def _same_as_first(node: exp.Func, t: Typing) -> str:
    """coalesce, least, greatest, nullif: one type (numbers of any width together); the widest is the result."""
    args = [node.this, node.args.get("expression"), *(node.args.get("expressions") or [])]
    known = [str(t.of(a)) for a in args if a is not None and t.of(a) not in (None, "null")]
    if any(not comparable(known[0], o) for o in known[1:]):
        t.error(node, f"the arguments of {node.sql_name().lower()} have different types: {', '.join(known)}",
                "give every argument the same type")
        return "error"
    if not known:
        return "null"
    if all(is_number(k) for k in known):
        return "double" if "double" in known else "bigint" if "bigint" in known else known[0]
    return known[0]


def _text(node: exp.Func, t: Typing) -> str:
    name = node.sql_name().lower()
    if t.of(node.this) not in ("varchar", "null"):
        t.error(node, f"{name} needs text, but '{node.this.sql()}' is {t.of(node.this)}",
                f"e.g. {name}(diagnoskod); compare a number or a date as itself, not as text")
        return "error"
    for key in ("start", "length"):   # substring(x, start, length): whole numbers (their range: check_constants)
        arg = node.args.get(key)
        if arg is not None and t.of(arg) not in ("integer", "bigint", "null"):
            t.error_at(arg, f"the {key} of substring must be a whole number, but {shown(arg)} is {t.of(arg)}",
                       "e.g. substring(diagnoskod, 1, 3): three characters from the first")
            return "error"
    return "integer" if isinstance(node, exp.Length) else "varchar"


def _is(node: exp.Is, t: Typing) -> str:
    """IS tests for NULL, TRUE or FALSE only (`x IS 5` is a syntax error in the engines)."""
    test = unparen(node.expression)
    if not isinstance(test, (exp.Null, exp.Boolean)):
        t.error_at(node.expression, f"IS tests for NULL, TRUE or FALSE, not {shown(node.expression)}",
                   f"compare with =: {node.this.sql()} = {node.expression.sql()}")
    elif isinstance(test, exp.Boolean) and t.of(node.this) not in ("boolean", "null"):
        t.error_at(node.this, f"IS {test.sql()} needs a condition, but {shown(node.this)} is {t.of(node.this)}",
                   "compare it, e.g. (utfall = 'arbete') IS TRUE")
    return "boolean"


def _number(node: exp.Func, t: Typing) -> str:
    a = t.of(node.this)
    if not (is_number(a) or a == "null"):
        t.error(node, f"{node.sql_name().lower()} needs a number, got {a}",
                f"e.g. {node.sql_name().lower()}(slutdatum - startdatum)")
        return "error"
    return a or "null"


def _date_part(node: exp.Func, t: Typing) -> str:
    if t.of(node.this) not in ("date", "null"):
        t.error(node, f"{node.sql_name().lower()}() needs a date, but '{node.this.sql()}' is {t.of(node.this)}",
                f"e.g. {node.sql_name().lower()}(datum); a birth year is a number already (person.fodelsear)")
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
    exp.Is: _is,
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
