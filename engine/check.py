"""Stage 7, present: hold computed rows against the published figures, and flag big moves.

Each published figure of an indicator says how it holds (`rounds_to`, `above`, `about`,
`increasing`, ...; see indicators.md, "How published figures are held"). A figure that
could not be computed (no row for its breakdown, no value) fails: a check never passes
for want of a number. Numbers are compared exactly (shares as numerator/denominator), so
58 % holds for a share in [0.575, 0.585) and not for 0.585.

Change alerts are the second kind of check: a warning (never a failure) when a figure
moved more than the declared limit from the previous period of the same kind.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from itertools import pairwise
from xml.etree import ElementTree as ET

from .catalogue import Catalogue
from .datacheck import DataIssue
from .info import PublishedFigure
from .periods import parse_period
from .present import format_number
from .sanitize import xml_safe

Key = tuple[str, str]  # (indicator id, period label)


@dataclass
class FigureCheck:
    """One published figure held against the computed value."""
    indicator: str
    period: str                  # "2018", or "2016–2018" for a claim over several periods
    breakdown: dict
    published: str               # the claim in Swedish formatting: "58 %", "över 50 %", "lägre än 2017"
    computed: str                # what was computed, formatted
    holds: bool
    reason: str                  # why it does not hold ("" when it holds)
    text: str                    # the published wording
    source: str
    position: str                # file:line:col of the figure in the indicator file
    value: float | None = None   # the computed value behind `computed` (first period for multi-period claims)
    periods: list[str] = field(default_factory=list)   # every period the figure rests on (compare_to included)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ChangeAlert:
    """A figure that moved more than its change limit since the previous period."""
    indicator: str
    period: str
    previous_period: str
    breakdown: dict
    before: float
    after: float
    absolute: float
    relative: float | None       # None when the previous value is 0
    limit: str                   # the limit that was passed, e.g. "±20 %" or "±5 procentenheter"
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckResult:
    figures: list[FigureCheck] = field(default_factory=list)
    changes: list[ChangeAlert] = field(default_factory=list)
    data: list[DataIssue] | None = None   # every data check of the model (engine.datacheck); None: not run

    @property
    def failed(self) -> list[FigureCheck]:
        return [f for f in self.figures if not f.holds]

    @property
    def breaches(self) -> list[DataIssue]:
        """The data checks that found rows breaking the model (each fails the check)."""
        return [d for d in self.data or [] if d.breaches]

    def as_dict(self) -> dict:
        data = None if self.data is None else {"checks": len(self.data), "breached": len(self.breaches),
                                               "results": [d.as_dict() for d in self.data]}
        return {"summary": {"figures": len(self.figures), "hold": len(self.figures) - len(self.failed),
                            "fail": len(self.failed), "change_alerts": len(self.changes),
                            "data_checks": None if self.data is None else len(self.data),
                            "data_breaches": None if self.data is None else len(self.breaches)},
                "data_checks": data,
                "figures": [f.as_dict() for f in self.figures], "changes": [c.as_dict() for c in self.changes]}


# ---------------------------------------------------------------- which figures, which periods


def published_figures(catalogue: Catalogue, indicator_ids: list[str] | None = None,
                      periods: list[str] | None = None) -> list[tuple[str, PublishedFigure]]:
    """(indicator id, figure) of every published figure, optionally only for some periods."""
    wanted = set(periods) if periods else None
    return [(bound.id, figure) for bound in catalogue.select(indicator_ids) for figure in bound.info.published
            if wanted is None or wanted & set(figure.own_periods)]


def needed_runs(catalogue: Catalogue, figures: list[tuple[str, PublishedFigure]],
                with_previous: bool = True) -> list[Key]:
    """The (indicator, period) pairs to compute: every figure's periods and, for alerts, the ones before."""
    keys: dict[Key, None] = {}
    for ind, figure in figures:
        for period in figure.needed_periods:
            keys[(ind, period)] = None
            if with_previous:
                keys[(ind, parse_period(period).previous().label)] = None
    return list(keys)


# ---------------------------------------------------------------- holding one figure


def _find(rows: list[dict] | None, breakdown: dict) -> dict | None:
    for row in rows or []:
        if row["breakdown"] == breakdown:
            return row
    return None


def _exact(row: dict | None, unit: str) -> Fraction | None:
    if row is None or row["value"] is None:
        return None
    if unit == "share" and row.get("denominator"):
        return Fraction(row["numerator"], row["denominator"])
    value = row["value"]
    # a float from the engine stands for the decimal it prints as: 3.55 is 3.55, not 3.5499999...
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _decimals(precision) -> int:
    """Decimal places of a precision: 1 → 0, 0.1 → 1, 0.01 → 2."""
    places, step = 0, Fraction(str(precision))
    while step.denominator != 1 and places < 9:
        step, places = step * 10, places + 1
    return places


def _show(value, unit: str, extra: int = 1) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return format_number(float(value), unit, extra)
    return format_number(float(value), unit, 0 if unit == "count" and float(value).is_integer() else extra)


def _claim(figure: PublishedFigure, unit: str) -> str:
    """The published claim in Swedish, e.g. '58 %', 'över 50 %', 'ökar 2016–2018'."""
    holds = figure.holds
    if holds == "rounds_to":
        decimals = _decimals(figure.precision) - (2 if unit == "share" else 0)
        return format_number(figure.value, unit, max(decimals, 0))
    if holds in ("above", "below"):
        return ("över " if holds == "above" else "under ") + format_number(figure.value, unit, 0)
    if holds == "between":
        return f"mellan {format_number(figure.min, unit, 0)} och {format_number(figure.max, unit, 0)}"
    if holds == "about":
        assert figure.tolerance is not None  # required with about (checked when the indicator is resolved)
        spread = _amount(figure.tolerance, unit) if unit == "share" else format_number(figure.tolerance, unit)
        return f"cirka {format_number(figure.value, unit, 0)} (±{spread})"
    if holds == "lower_than":
        return f"lägre än {figure.compare_to}"
    if holds == "higher_than":
        return f"högre än {figure.compare_to}"
    if holds == "increasing":
        return "ökar varje år " + "–".join([figure.periods[0], figure.periods[-1]])
    return f"inom ±{format_number(figure.tolerance, 'share', 0)} av året före"


def hold(figure: PublishedFigure, unit: str, rows: dict[str, list[dict] | None]) -> tuple[bool, str, str, float | None]:
    """(holds, reason, computed text, computed value) for one figure; `rows` maps period → rows."""
    holds, breakdown = figure.holds, figure.breakdown
    periods = figure.needed_periods
    values = {p: _exact(_find(rows.get(p), breakdown), unit) for p in periods}
    missing = [p for p, v in values.items() if v is None]
    computed = ", ".join(f"{p}: {_show(v, unit, 2)}" for p, v in values.items()) if len(periods) > 1 \
        else _show(values[periods[0]], unit, 2)
    first = values[periods[0]]
    first_float = None if first is None else float(first)
    if missing:
        what = "no row for this breakdown" if any(_find(rows.get(p), breakdown) is None for p in missing) \
            else "no value (empty population)"
        return False, f"not computable for {', '.join(missing)}: {what}", computed, first_float
    exact = {p: v for p, v in values.items() if v is not None}  # every period: none is missing
    assert first is not None
    if holds == "rounds_to":
        published, half = Fraction(str(figure.value)), Fraction(str(figure.precision)) / 2
        ok = published - half <= first < published + half
        return ok, "" if ok else f"does not round to the published figure (needs [{float(published - half):g}, " \
                                 f"{float(published + half):g}))", computed, first_float
    if holds in ("above", "below", "about", "between"):
        if holds == "above":
            ok, need = first > Fraction(str(figure.value)), f"needs > {figure.value:g}"
        elif holds == "below":
            ok, need = first < Fraction(str(figure.value)), f"needs < {figure.value:g}"
        elif holds == "between":
            ok = Fraction(str(figure.min)) <= first <= Fraction(str(figure.max))
            need = f"needs {figure.min:g} to {figure.max:g}"
        else:
            ok = abs(first - Fraction(str(figure.value))) <= Fraction(str(figure.tolerance))
            need = f"needs {figure.value:g} ± {figure.tolerance:g}"
        return ok, "" if ok else need, computed, first_float
    if holds in ("lower_than", "higher_than"):
        assert figure.compare_to is not None  # required with lower_than and higher_than
        other = exact[figure.compare_to]
        ok = first < other if holds == "lower_than" else first > other
        return ok, "" if ok else f"{periods[0]} is not {holds.replace('_', ' ')} {figure.compare_to}", \
            computed, first_float
    ordered = [exact[p] for p in periods]
    if holds == "increasing":
        bad = [f"{a}→{b}" for (a, x), (b, y) in pairwise(zip(periods, ordered, strict=True)) if y <= x]
        return not bad, "" if not bad else "does not rise " + ", ".join(bad), computed, first_float
    tol = Fraction(str(figure.tolerance))
    bad = [f"{b} vs {a}" for (a, x), (b, y) in pairwise(zip(periods, ordered, strict=True))
           if x == 0 or abs(y - x) > tol * abs(x)]
    return not bad, "" if not bad else f"moved more than ±{float(tol):.0%}: " + ", ".join(bad), computed, first_float


def check_figures(catalogue: Catalogue, figures: list[tuple[str, PublishedFigure]],
                  rows: dict[Key, list[dict]]) -> list[FigureCheck]:
    result = []
    for ind, figure in figures:
        unit = catalogue.get(ind).info.unit
        by_period = {p: rows.get((ind, p)) for p in figure.needed_periods}
        ok, reason, computed, value = hold(figure, unit, by_period)
        own = figure.own_periods
        label = own[0] if len(own) == 1 else f"{own[0]}–{own[-1]}"
        result.append(FigureCheck(ind, label, dict(figure.breakdown), _claim(figure, unit), computed, ok, reason,
                                  figure.text, figure.source, str(figure.position), value, figure.needed_periods))
    return result


# ---------------------------------------------------------------- change alerts


def change_limit(catalogue: Catalogue, indicator_id: str) -> dict:
    info = catalogue.get(indicator_id).info
    return info.change_alert or catalogue.project.change_alert.get(info.unit, {})


def _amount(change: float | Fraction, unit: str, decimals: int = 0) -> str:
    """A change in the unit of the indicator: shares in percentage points."""
    if unit == "share":
        return f"{format_number(change * 100, 'days', decimals)} procentenheter"
    return format_number(change, unit, decimals if unit != "count" or not float(change).is_integer() else 0)


def change_alerts(catalogue: Catalogue, keys: list[Key], rows: dict[Key, list[dict]]) -> list[ChangeAlert]:
    """Totals of `keys` that moved more than the limit from the previous period.

    Only the total row is watched: breakdown rows are smaller and move more by chance, so
    alerting on them would bury the signal; `indicators diff` shows every row.
    """
    alerts = []
    for ind, period in keys:
        limit = change_limit(catalogue, ind)
        previous = parse_period(period).previous().label
        if not limit or (ind, previous) not in rows or (ind, period) not in rows:
            continue
        unit = catalogue.get(ind).info.unit
        for row in rows[(ind, period)][:1]:
            before = _find(rows[(ind, previous)], row["breakdown"])
            if before is None or before["value"] is None or row["value"] is None:
                continue
            old, new = _exact(before, unit), _exact(row, unit)  # exact: a move of exactly the limit is no alert
            assert old is not None and new is not None  # both rows have a value (see above)
            change = new - old
            relative = change / abs(old) if old else None
            passed = []
            if "absolute" in limit and abs(change) > Fraction(str(limit["absolute"])):
                passed.append(_amount(limit["absolute"], unit))
            if "relative" in limit and change \
                    and (relative is None or abs(relative) > Fraction(str(limit["relative"]))):
                passed.append(f"±{format_number(limit['relative'], 'share', 0)}")
            if not passed:
                continue
            rel = "" if relative is None else \
                f" ({'+' if relative >= 0 else '−'}{format_number(abs(relative), 'share', 1)})"
            where = ", ".join(f"{k}={v}" for k, v in row["breakdown"].items()) or "total"
            message = (f"{ind} {period} {where}: {_show(old, unit)} → {_show(new, unit)}, change "
                       f"{'+' if change >= 0 else '−'}{_amount(abs(change), unit, 1)}{rel} since {previous}, "
                       f"more than {' and '.join(passed)}")
            alerts.append(ChangeAlert(ind, period, previous, row["breakdown"], float(old), float(new), float(change),
                                      None if relative is None else float(relative), " and ".join(passed), message))
    return alerts


# ---------------------------------------------------------------- CI formats


def junit_xml(result: CheckResult, name: str = "published-figures") -> str:
    """JUnit XML: one test case per figure (a failure when it does not hold); alerts as system-err.

    The data checks are a second suite ("data-checks"): one test case per check of the model,
    a failure when rows break it; one skipped case when they were not run.
    """
    suite = ET.Element("testsuite", name=name, tests=str(len(result.figures)), failures=str(len(result.failed)),
                       errors="0", skipped="0")
    for f in result.figures:
        where = "".join(f" {k}={v}" for k, v in f.breakdown.items())
        case = ET.SubElement(suite, "testcase", classname=f"published.{f.indicator}",
                             name=f"{f.period}{where}: {f.published}", file=f.position.split(":")[0])
        if not f.holds:
            failure = ET.SubElement(case, "failure", message=f"{f.reason}; computed {f.computed}",
                                    type="PublishedFigureDoesNotHold")
            failure.text = f"{f.position}: published '{f.text}' ({f.source}); computed {f.computed}: {f.reason}"
        out = ET.SubElement(case, "system-out")
        out.text = f"published {f.published} ({f.text}); computed {f.computed}; source {f.source}"
    if result.changes:
        err = ET.SubElement(suite, "system-err")
        err.text = "\n".join(f"change alert: {c.message}" for c in result.changes)
    root = ET.Element("testsuites")
    root.append(suite)
    root.append(_data_suite(result.data))
    for element in root.iter():  # a control character in a published text or a data value is not XML 1.0
        element.text = None if element.text is None else xml_safe(element.text)
        for key, value in element.attrib.items():
            element.attrib[key] = xml_safe(value)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _data_suite(data: list[DataIssue] | None) -> ET.Element:
    """The data checks as JUnit test cases, a suite of their own after the published figures."""
    if data is None:
        suite = ET.Element("testsuite", name="data-checks", tests="1", failures="0", errors="0", skipped="1")
        case = ET.SubElement(suite, "testcase", classname="data", name="consistency rules of the data model")
        ET.SubElement(case, "skipped", message="not run (--no-data-checks)")
        return suite
    failed = [d for d in data if d.breaches]
    suite = ET.Element("testsuite", name="data-checks", tests=str(len(data)), failures=str(len(failed)),
                       errors="0", skipped="0")
    for d in data:
        case = ET.SubElement(suite, "testcase", classname=f"data.{d.entity}", name=d.check)
        if d.breaches:
            failure = ET.SubElement(case, "failure", message=d.summary(), type="DataBreaksModel")
            failure.text = (f"{d.summary()}\nthe figures are computed from data that breaks the data model; "
                            "see indicators check-data")
    return suite
