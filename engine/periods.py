"""Reporting periods: a year `2018`, a half-year `2018H2`, a quarter `2018Q4`, a month `2018-12`."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^([1-9][0-9]{3})(?:H([12])|Q([1-4])|-(0[1-9]|1[0-2]))?$")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    first: dt.date
    last: dt.date
    label: str

    def __str__(self) -> str:
        return self.label

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        year, kind = self.first.year, _kind(self.label)
        if kind == "year":
            return parse_period(str(year - 1))
        if kind == "half":
            half = 1 if self.first.month == 7 else 2
            return parse_period(f"{year if half == 1 else year - 1}H{half}")
        if kind == "quarter":
            q = (self.first.month - 1) // 3
            return parse_period(f"{year}Q{q}" if q else f"{year - 1}Q4")
        m = self.first.month - 1
        return parse_period(f"{year}-{m:02d}" if m else f"{year - 1}-12")


def _kind(label: str) -> str:
    return "half" if "H" in label else "quarter" if "Q" in label else "month" if "-" in label else "year"


def parse_period(text: str) -> Period:
    match = _PATTERN.match(str(text).strip())
    if not match:
        raise PeriodError(f"'{text}' is not a period: write 2018, 2018H2, 2018Q4 or 2018-12")
    year = int(match.group(1))
    if match.group(2):
        h = int(match.group(2))
        first, last_month = dt.date(year, 6 * h - 5, 1), 6 * h
    elif match.group(3):
        q = int(match.group(3))
        first, last_month = dt.date(year, 3 * q - 2, 1), 3 * q
    elif match.group(4):
        m = int(match.group(4))
        first, last_month = dt.date(year, m, 1), m
    else:
        first, last_month = dt.date(year, 1, 1), 12
    last = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    return Period(first, last, match.group(0))


MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
             "november", "december")


def swedish_label(label: str) -> str:
    """A period as a Swedish reader writes it: 2018; januari–juni 2018, juli–december 2018 (half-years);
    oktober–december 2018 (a quarter); december 2018 (a month). A range of periods "2016–2018" keeps its
    years; text that is not a period is returned as it is."""
    if "–" in str(label):
        return "–".join(swedish_label(part) for part in str(label).split("–"))
    try:
        period = parse_period(label)
    except PeriodError:
        return str(label)
    kind, year = _kind(period.label), period.first.year
    if kind == "year":
        return str(year)
    first, last = MONTHS_SV[period.first.month - 1], MONTHS_SV[period.last.month - 1]
    return f"{first} {year}" if kind == "month" else f"{first}–{last} {year}"


def swedish_part(label: str) -> str:
    """The part of the year a period covers, without the year: "juli–december", "december"; "" for a year."""
    try:
        period = parse_period(label)
    except PeriodError:
        return ""
    text = swedish_label(period.label)
    return "" if _kind(period.label) == "year" else text.rsplit(" ", 1)[0]
