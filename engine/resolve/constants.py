"""Values written into an expression that are wrong whatever the data (after typing, before the rewrites).

An expression that types fine can still be certain to fail, or to mean nothing, on every row:
a remainder or a division by a literal 0, `round(x, 99999999999)`, `substring(x, -5, 99999999999)`,
`CAST('abc' AS INT)`. These are the definition's errors, so `validate` reports them where they are
written, instead of the run failing later and seeming to blame the data.
"""
from __future__ import annotations

import math
import re

from sqlglot import exp

from ..diagnostics import Diagnostics
from ..expressions import Source, written_offset
from .annotate import is_number_literal, shown, type_of, unparen

MAX_ROUND_DECIMALS = 10     # round(x, d): 0 <= d <= 10
MAX_TEXT_POSITION = 1000    # substring(x, start, length): 1 <= start <= 1000, 0 <= length <= 1000
MAX_DAYS = 36525            # datum ± n: a date moved by at most 100 years' days
INTEGER_RANGE = {"integer": (-2**31, 2**31 - 1), "bigint": (-2**63, 2**63 - 1)}
_WHOLE = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def number(node: exp.Expr | None) -> int | float | None:
    """The value of a number written out (`3`, `-5`, `(0.0)`), None for anything else."""
    node = unparen(node) if node is not None else None
    if isinstance(node, exp.Neg):
        inner = number(node.this)
        return None if inner is None else -inner
    if not isinstance(node, exp.Literal) or node.is_string:
        return None
    text = node.this
    if _WHOLE.fullmatch(text) and len(text) <= 40:   # longer is out of every range (and int() refuses 4300+ digits)
        return int(text)
    if _WHOLE.fullmatch(text):
        return 10**40
    try:
        return float(text)
    except ValueError:
        return None


def _whole(value: int | float | None) -> int | None:
    return value if isinstance(value, int) else None


def check_constants(tree: exp.Expr, src: Source, diags: Diagnostics) -> None:
    """Report every literal argument that makes its expression fail or be NULL on every row."""
    def error(node: exp.Expr, code: str, message: str, hint: str) -> None:
        diags.error(src.at(written_offset(node, src.text)), code, message, hint)

    for node in tree.walk():
        if isinstance(node, exp.Literal) and not node.is_string:
            _check_number(node, error)
        elif isinstance(node, (exp.Div, exp.Mod)) and number(node.expression) == 0:
            sign = "/" if isinstance(node, exp.Div) else "%"
            error(node.expression, "E_DIVISION_BY_ZERO",
                  f"'{node.sql()}' divides by zero: it would be NULL for every row",
                  f"write the divisor you mean (x {sign} 7); a divisor that may be 0 in the data is fine, "
                  "it gives NULL for those rows")
        elif isinstance(node, (exp.Add, exp.Sub)) and "date" in (type_of(node.this), type_of(node.expression)):
            days = node.expression if type_of(node.this) == "date" else node.this
            value = number(days)
            if value is not None and abs(value) > MAX_DAYS:
                error(days, "E_ARGUMENT", f"a date moved by {shown(days)} days is more than 100 years away",
                      "dates are moved by days: datum + 30, datum - 365")
        elif isinstance(node, exp.Round) and node.args.get("decimals") is not None:
            decimals = node.args["decimals"]
            value = _whole(number(decimals))
            if value is None or not 0 <= value <= MAX_ROUND_DECIMALS:
                error(decimals, "E_ARGUMENT",
                      f"the decimals of round must be a whole number from 0 to {MAX_ROUND_DECIMALS}, "
                      f"written out; got {shown(decimals)}",
                      "e.g. round(x, 1) for one decimal, round(x) for a whole number")
        elif isinstance(node, exp.Substring):
            _check_substring(node, error)
        elif isinstance(node, exp.Cast) and type_of(node.this) == "varchar":
            _check_text_to_number(node, error)
        elif isinstance(node, exp.Cast) and type_of(node) in INTEGER_RANGE and is_number_literal(node.this):
            value, (low, high) = number(node.this), INTEGER_RANGE[str(type_of(node))]
            if isinstance(value, int) and abs(value) <= 2**63 and not low <= value <= high:   # beyond: E_LITERAL
                error(node.this, "E_CAST", f"{shown(node.this)} does not fit {type_of(node)} "
                      f"({low} to {high})", "leave the CAST out: numbers of any width compare and compute together")


def _check_number(node: exp.Literal, error) -> None:
    """A number every engine reads: a whole number within bigint, a decimal number that is finite."""
    value = number(node)
    high = INTEGER_RANGE["bigint"][1]
    largest = high + 1 if isinstance(node.parent, exp.Neg) else high   # -9223372036854775808 is written -(2**63)
    if isinstance(value, int) and not value <= largest:
        error(node, "E_LITERAL", f"{node.this} is larger than the largest whole number ({high})",
              "write it as a decimal number (e.g. 1e20), or check the number")
    elif isinstance(value, float) and not math.isfinite(value):
        error(node, "E_LITERAL", f"{node.this} is too large for a number", "check the number")
    elif value is None:
        error(node, "E_LITERAL", f"{node.this} is not a number", "write digits, e.g. 12 or 2.5")


def _check_substring(node: exp.Substring, error) -> None:
    """Start and length written out must be in range; typed whole numbers (columns, arithmetic) pass."""
    start, length = node.args.get("start"), node.args.get("length")
    if start is not None and number(start) is not None:
        value = _whole(number(start))
        if value is None or not 1 <= value <= MAX_TEXT_POSITION:
            error(start, "E_ARGUMENT",
                  f"the start of substring must be from 1 (the first character) to {MAX_TEXT_POSITION}; "
                  f"got {shown(start)}",
                  "e.g. substring(diagnoskod, 1, 3) for the first three characters; for the end of a text "
                  "compare with LIKE '%9'")
    if length is not None and number(length) is not None:
        value = _whole(number(length))
        if value is None or not 0 <= value <= MAX_TEXT_POSITION:
            error(length, "E_ARGUMENT",
                  f"the length of substring must be from 0 to {MAX_TEXT_POSITION} characters; got {shown(length)}",
                  "leave the length out to take the rest of the text: substring(diagnoskod, 2)")


def _check_text_to_number(node: exp.Cast, error) -> None:
    """CAST('12' AS INT): the text written out must be such a number (CAST('2018-..' AS DATE): check_date_literals)."""
    literal = unparen(node.this)
    target = type_of(node)
    if not (isinstance(literal, exp.Literal) and literal.is_string) or target not in ("integer", "bigint", "double"):
        return
    text = literal.this.strip()
    if target in INTEGER_RANGE:
        low, high = INTEGER_RANGE[target]
        if not _WHOLE.fullmatch(text) or len(text) > 40 or not low <= int(text) <= high:
            error(literal, "E_CAST", f"'{literal.this}' is not a whole number that fits {target}",
                  "write the number without quotes, e.g. 12")
    elif not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
        error(literal, "E_CAST", f"'{literal.this}' is not a number", "write the number without quotes, e.g. 2.5")
