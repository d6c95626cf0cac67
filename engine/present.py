"""Stage 7, present: rows to tables, JSON and CSV; Swedish number formatting; atomic writes.

Nothing here computes a number: it only shows what `execute` returned.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Iterable, Set
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from . import outputs
from .catalogue import Catalogue

THOUSANDS = "\u00a0"  # Swedish: 8 306 (a no-break space keeps the number on one line)
NO_VALUE = "–"  # no value: an empty population has no mean, median or share


def round_half_up(value, decimals: int) -> Decimal:
    """`value` rounded half up to `decimals` places, on the decimal a float prints as (0.575 is 0.575)."""
    number = value if isinstance(value, Decimal) else Decimal(value) if isinstance(value, int) \
        else Decimal(repr(float(value)))
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(value, unit: str = "count", decimals: int | None = None, thousands: str = THOUSANDS) -> str:
    """Swedish formatting: 8 306; 58 %; 3,5 (decimal comma, no-break space between thousands and before %).

    Rounds half up on the decimal value (822,5 → 823; 0,575 → 58 %), as published
    figures are rounded, never to even; no value is shown as "–".
    """
    if value is None:
        return NO_VALUE
    if not math.isfinite(value):
        return str(value)
    if unit == "share":
        decimals = 1 if decimals is None else decimals
        number = round_half_up(Decimal(repr(float(value))) * 100, decimals)
    else:
        decimals = (0 if float(value).is_integer() else 1) if decimals is None else decimals
        number = round_half_up(value, decimals)
    number += 0  # no "-0"
    if number == 0:
        number = abs(number)
    text = f"{number:,.{decimals}f}".replace(",", "\u0000").replace(".", ",").replace("\u0000", thousands)
    return text + ("\u00a0%" if unit == "share" else "")


def breakdown_label(catalogue: Catalogue, breakdown: dict) -> str:
    if not breakdown:
        return "Totalt"
    parts = []
    for name, value in breakdown.items():
        column = catalogue.model.find_column(name) if catalogue.model else None
        title = column.title.get("sv", name) if column and column.title else name
        label = column.labels.get(value, value) if column and value is not None else value
        parts.append(f"{title}: {label if label is not None else '(saknas)'}")
    return ", ".join(parts)


def as_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def csv_cell(value):
    """A text cell that a spreadsheet would run as a formula (=HYPERLINK(...), +, -, @, tab, CR), made inert.

    OWASP's advice for CSV injection: such a cell gets a leading single quote, which
    spreadsheets show as text. Numbers (an int or float, or text that is just a number
    such as -3) are left as they are, so they stay numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


HIDDEN = ".."  # a masked row's value, numerator, denominator and n (run --apply-disclosure), as in the report


def _masked(row: dict) -> bool:
    return row.get("disclosure") == "suppressed"


def as_csv(rows: list[dict]) -> str:
    """The rows as CSV; text cells that could run as spreadsheet formulas are escaped (see csv_cell). A masked row
    (engine.shielded) has ".." for its value, numerator, denominator and n."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["indicator", "period", "breakdown", "breakdown_value", "value", "numerator", "denominator", "n",
                     "disclosure"])
    for r in rows:
        name = " × ".join(r["breakdown"])
        value = " × ".join("" if v is None else str(v) for v in r["breakdown"].values()) if r["breakdown"] else ""
        numbers = [HIDDEN] * 4 if _masked(r) else [
            ("" if r["value"] is None else repr(r["value"]) if isinstance(r["value"], float) else r["value"]),
            "" if r["numerator"] is None else r["numerator"],
            "" if r["denominator"] is None else r["denominator"], r["n"]]
        writer.writerow([csv_cell(cell) for cell in [
            r["indicator"], r["period"], name, value if value is not None else "", *numbers,
            r.get("disclosure") or ""]])
    return out.getvalue()


DISCLOSURE_LABELS: dict[str | None, str] = {"primary": "skyddas (få enheter)", "secondary": "skyddas (sekundärt)",
                                            "suppressed": "redovisas inte"}


def as_table(rows: list[dict], catalogue: Catalogue) -> str:
    """Aligned columns with Swedish labels, for people."""
    header = ["Indikator", "Period", "Redovisningsgrupp", "Värde", "Täljare", "Nämnare", "n", "Röjande"]
    body = []
    for r in rows:
        bound = catalogue.indicators.get(r["indicator"])
        unit = bound.info.unit if bound else "count"
        decimals = (2 if unit == "ratio" and isinstance(r["value"], float)
                    else 1 if unit in ("days", "years") and isinstance(r["value"], float) else None)
        numbers = [HIDDEN] * 4 if _masked(r) else [
            format_number(r["value"], unit, decimals),
            "" if r["numerator"] is None else format_number(r["numerator"]),
            "" if r["denominator"] is None else format_number(r["denominator"]), format_number(r["n"])]
        body.append([r["indicator"], r["period"], breakdown_label(catalogue, r["breakdown"]), *numbers,
                     DISCLOSURE_LABELS.get(r.get("disclosure"), "")])
    return aligned(header, body, right={3, 4, 5, 6})


def aligned(header: list[str], body: Iterable[list[str]], right: Set[int] = frozenset()) -> str:
    body = list(body)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)]) + "\n"


class OutputError(Exception):
    pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path | str, text: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    A symlink is followed (its target is replaced, not the link); an existing device or
    pipe (/dev/null, /dev/stdout) is written to directly, never replaced.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if path.exists() and not path.is_file():
        with open(path, "wb") as f:
            f.write(data)
        return
    path = path.resolve() if path.is_symlink() else path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {path.parent}: {exc.strerror}") from None
    try:
        fd, tmp = outputs.temporary_file(path.parent, path.name)  # removed on SIGTERM/SIGINT too
    except OSError as exc:
        raise OutputError(f"cannot write beside {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
        outputs.release(tmp)
    except BaseException:
        outputs.remove(tmp)
        raise

