"""Stage 7, present: hold computed rows against the published figures, and flag big moves.

Each published figure of an indicator says how it holds (`rounds_to`, `above`, `about`,
`increasing`, ...; see indicators.md, "How published figures are held"). A figure that
could not be computed (no row for its breakdown, no value) fails: a check never passes
for want of a number. Numbers are compared exactly (shares as numerator/denominator), so
58 % holds for a share in [0.575, 0.585) and not for 0.585.

Change alerts are the second kind of check: a warning (never a failure) when a figure
moved more than the declared limit from the previous period of the same kind.

Disclosure control applies as in the report (engine.shielded): a figure resting on a cell
the report hides gets the verdict "suppressed", neither holds nor fails, and its computed
value is not shown; a change alert is not evaluated where either total is hidden. Only a
microdata run (`--show-suppressed`, `disclosure=False`) shows them, and says so.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from .catalogue import Catalogue
from .diagnostics import Position
from .info import PublishedFigure
from .periods import parse_period
from .present import format_number
from .provenance import Provenance
from .sanitize import xml_safe
from .shielded import SUPPRESSED, Shield

if TYPE_CHECKING:  # engine.datacheck imports DuckDB
    from .datacheck import DataIssue

Key = tuple[str, str]  # (indicator id, period label)


@dataclass
class FigureCheck:
    """One published figure held against the computed value."""
    indicator: str
    period: str                  # "2018", or "2016–2018" for a claim over several periods
    breakdown: dict
    published: str               # the claim in Swedish formatting: "58 %", "över 50 %", "lägre än 2017"
    computed: str                # what was computed, formatted; ".." when suppressed
    holds: bool | None           # None: suppressed, it rests on a cell disclosure control hides
    reason: str                  # why it does not hold ("" when it holds): English, numbers as in JSON
    text: str                    # the published wording
    source: str                  # the id of the source (project.yaml `sources:`)
    position: str                # file:line:col of the figure in the indicator file
    value: float | None = None   # the computed value behind `computed` (first period for multi-period claims)
    periods: list[str] = field(default_factory=list)   # every period the figure rests on (compare_to included)
    id: str = ""                 # the figure's stable id (engine.info.figure_ids)
    at: str = ""                 # where in the source
    citation: str = ""           # the source's full citation (Swedish)
    claim: dict = field(default_factory=dict)      # the claim as numbers (see claim_dict)
    detail: dict = field(default_factory=dict)     # the computed value as numbers (see computed_dict)
    file: str = ""
    line: int = 0
    column: int = 0

    def __post_init__(self) -> None:
        if not self.file:  # from file:line:col (the file may hold a colon itself)
            parts = self.position.rsplit(":", 2)
            numeric = len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit()
            self.file = parts[0] if numeric else self.position
            self.line, self.column = (int(parts[1]), int(parts[2])) if numeric else (0, 0)
        if not self.id:
            where = ",".join(f"{k}={v}" for k, v in self.breakdown.items()) or "total"
            self.id = f"{self.indicator}/{self.period.replace('–', '-')}/{where}"

    @property
    def verdict(self) -> str:
        """"holds", "fails", or "suppressed" (not shown for disclosure: neither holds nor fails)."""
        return "suppressed" if self.holds is None else "holds" if self.holds else "fails"

    @property
    def short_source(self) -> str:
        """The source id and the place in it: 'aterrapportering_2019, Resultaten visar att, punkt 6'."""
        return f"{self.source}, {self.at}" if self.at else self.source

    def as_dict(self) -> dict:
        """The figure in check.json (format 2): claim and computed value as numbers, verdict, source, place."""
        claim = {"kind": "rounds_to", "value": None, "precision": None, "min": None, "max": None,
                 "tolerance": None, "compare_to": None, "bounds": None, **self.claim, "text": self.published}
        computed = None if self.holds is None else {"value": self.value, "numerator": None, "denominator": None,
                                                    **self.detail, "text": self.computed}
        return {"id": self.id, "indicator": self.indicator, "period": self.period, "periods": self.periods,
                "breakdown": self.breakdown, "claim": claim, "computed": computed,
                "verdict": self.verdict, "holds": self.holds, "reason": self.reason,
                "source": {"id": self.source, "at": self.at, "citation": self.citation or self.source},
                "file": self.file, "line": self.line, "column": self.column, "published_text": self.text}


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
    id: str = ""                 # stable: change/<indicator>/<period>/<breakdown or total>
    file: str = ""               # where the limit is declared: the indicator's change_alert (or its id)
    line: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            where = ",".join(f"{k}={v}" for k, v in self.breakdown.items()) or "total"
            self.id = f"change/{self.indicator}/{self.period}/{where}"

    def as_dict(self) -> dict:
        return asdict(self)


FORMAT = 2  # of check.json: figures with claim, computed, verdict, id, source and place; provenance


@dataclass
class CheckResult:
    figures: list[FigureCheck] = field(default_factory=list)
    changes: list[ChangeAlert] = field(default_factory=list)
    data: list[DataIssue] | None = None   # every data check of the model (engine.datacheck); None: not run
    provenance: Provenance | None = None  # what the check was computed from (engine.provenance)
    changes_not_evaluated: int = 0        # change alerts not evaluated: a total they need is suppressed
    disclosure: bool = True               # False: a microdata run (--show-suppressed), nothing suppressed

    @property
    def failed(self) -> list[FigureCheck]:
        return [f for f in self.figures if f.holds is False]

    @property
    def suppressed(self) -> list[FigureCheck]:
        """The figures not shown for disclosure: neither holding nor failing."""
        return [f for f in self.figures if f.holds is None]

    @property
    def held(self) -> list[FigureCheck]:
        return [f for f in self.figures if f.holds]

    @property
    def breaches(self) -> list[DataIssue]:
        """The data checks that found rows breaking the model (each fails the check)."""
        return [d for d in self.data or [] if d.breaches]

    def as_dict(self) -> dict:
        data = None if self.data is None else {"checks": len(self.data), "breached": len(self.breaches),
                                               "results": [d.as_dict() for d in self.data]}
        return {"format": FORMAT,
                "provenance": None if self.provenance is None else self.provenance.as_dict(),
                "microdata": not self.disclosure,
                "summary": {"figures": len(self.figures), "hold": len(self.held), "fail": len(self.failed),
                            "suppressed": len(self.suppressed), "change_alerts": len(self.changes),
                            "change_alerts_not_evaluated": self.changes_not_evaluated,
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


def number(value) -> int | float | None:
    """An exact value as a JSON number: an int when whole, else the nearest float."""
    if value is None:
        return None
    value = Fraction(value) if not isinstance(value, Fraction) else value
    return value.numerator if value.denominator == 1 else float(value)


def plain(value) -> str:
    """A number as in JSON, for reasons: 8306, 0.575, 1285.5 (at most 6 significant digits, never an exponent)."""
    shown = number(value)
    if shown is None:
        return "null"
    if isinstance(shown, int):
        return str(shown)
    text = f"{shown:.6g}"
    return f"{shown:.6f}".rstrip("0").rstrip(".") if "e" in text else text


Bounds = tuple[Fraction | None, bool, Fraction | None, bool]


def bounds(figure: PublishedFigure) -> Bounds | None:
    """(low, low included, high, high included): where the value of a one-period claim must lie, exactly.

    None for claims between periods (lower_than, higher_than, increasing, within_relative).
    58 % published as value 0.58, precision 0.01 is [0.575, 0.585).
    """
    def exact(x) -> Fraction:
        return Fraction(str(x))
    holds = figure.holds
    if holds == "rounds_to":
        half = exact(figure.precision) / 2
        return exact(figure.value) - half, True, exact(figure.value) + half, False
    if holds == "above":
        return exact(figure.value), False, None, False
    if holds == "below":
        return None, False, exact(figure.value), False
    if holds == "between":
        return exact(figure.min), True, exact(figure.max), True
    if holds == "about":
        return exact(figure.value) - exact(figure.tolerance), True, exact(figure.value) + exact(figure.tolerance), True
    return None


def _within(value: Fraction, limits: Bounds) -> bool:
    low, low_in, high, high_in = limits
    return (low is None or (low <= value if low_in else low < value)) and \
        (high is None or (value <= high if high_in else value < high))


def _needs(limits: Bounds) -> str:
    """'0.575 <= value < 0.585', 'value > 0.5'."""
    low, low_in, high, high_in = limits
    if high is None:
        return f"value {'>=' if low_in else '>'} {plain(low)}"
    text = "value" if low is None else f"{plain(low)} {'<=' if low_in else '<'} value"
    return f"{text} {'<=' if high_in else '<'} {plain(high)}"


def claim_dict(figure: PublishedFigure) -> dict:
    """The claim as numbers for check.json: its kind and declared values, and the exact bounds it allows."""
    limits = bounds(figure)
    shown = None if limits is None else {"min": number(limits[0]), "min_inclusive": limits[1],
                                         "max": number(limits[2]), "max_inclusive": limits[3]}
    return {"kind": figure.holds, "value": figure.value, "precision": figure.precision, "min": figure.min,
            "max": figure.max, "tolerance": figure.tolerance, "compare_to": figure.compare_to, "bounds": shown}


def computed_dict(figure: PublishedFigure, unit: str, rows: dict[str, list[dict] | None]) -> dict:
    """The computed value as numbers (a share as a fraction, with its numerator and denominator); a claim over
    several periods also has `values` per period."""
    def one(period: str) -> dict:
        row = _find(rows.get(period), figure.breakdown)
        return {"value": number(_exact(row, unit)), "numerator": None if row is None else row.get("numerator"),
                "denominator": None if row is None else row.get("denominator")}
    periods = figure.needed_periods
    result = one(periods[0])
    if len(periods) > 1:
        result["values"] = {p: one(p)["value"] for p in periods}
    return result


def hold(figure: PublishedFigure, unit: str, rows: dict[str, list[dict] | None]) -> tuple[bool, str, str, float | None]:
    """(holds, reason, computed text, computed value) for one figure; `rows` maps period → rows.

    The reason is English with numbers as in JSON (decimal point, shares as fractions):
    "needs 0.575 <= value < 0.585, computed 0.5851".
    """
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
    limits = bounds(figure)
    if limits is not None:
        ok = _within(first, limits)
        return ok, "" if ok else f"needs {_needs(limits)}, computed {plain(first)}", computed, first_float
    if holds in ("lower_than", "higher_than"):
        assert figure.compare_to is not None  # required with lower_than and higher_than
        other = exact[figure.compare_to]
        ok = first < other if holds == "lower_than" else first > other
        sign = "<" if holds == "lower_than" else ">"
        return ok, "" if ok else f"needs value({periods[0]}) {sign} value({figure.compare_to}), computed " \
                                 f"{plain(first)} and {plain(other)}", computed, first_float
    ordered = [exact[p] for p in periods]
    steps = list(pairwise(zip(periods, ordered, strict=True)))
    if holds == "increasing":
        bad = [f"{a}→{b} from {plain(x)} to {plain(y)}" for (a, x), (b, y) in steps if y <= x]
        return not bad, "" if not bad else "does not rise: " + ", ".join(bad), computed, first_float
    tol = Fraction(str(figure.tolerance))
    bad = [f"{a}→{b} from {plain(x)} to {plain(y)}" + (f" (relative change {plain((y - x) / abs(x))})" if x else "")
           for (a, x), (b, y) in steps if x == 0 or abs(y - x) > tol * abs(x)]
    return not bad, "" if not bad else f"needs a relative change of at most {plain(tol)} per step: " \
        + ", ".join(bad), computed, first_float


def check_figures(catalogue: Catalogue, figures: list[tuple[str, PublishedFigure]],
                  rows: dict[Key, list[dict]], shield: Shield | None = None) -> list[FigureCheck]:
    """Each figure held against `rows`; a figure resting on a cell `shield` hides (default: disclosure control
    on `rows`, as the report applies it) is "suppressed", with no computed value and no verdict."""
    shield = Shield.of(catalogue, rows) if shield is None else shield
    result = []
    for ind, figure in figures:
        unit = catalogue.get(ind).info.unit
        by_period = {p: rows.get((ind, p)) for p in figure.needed_periods}
        hidden = shield.any_hidden(ind, figure.needed_periods, figure.breakdown)
        ok: bool | None
        if hidden:
            ok, reason, computed, value, detail = None, shield.note, SUPPRESSED, None, {}
        else:
            ok, reason, computed, value = hold(figure, unit, by_period)
            detail = computed_dict(figure, unit, by_period)
        own = figure.own_periods
        label = own[0] if len(own) == 1 else f"{own[0]}–{own[-1]}"
        where = figure.position
        result.append(FigureCheck(ind, label, dict(figure.breakdown), _claim(figure, unit), computed, ok, reason,
                                  figure.text, figure.source, str(where), value, figure.needed_periods,
                                  id=figure.id, at=figure.at,
                                  citation=catalogue.project.citation(figure.source, figure.at),
                                  claim=claim_dict(figure), detail=detail,
                                  file=where.file, line=where.line, column=where.col))
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


def change_alerts(catalogue: Catalogue, keys: list[Key], rows: dict[Key, list[dict]],
                  shield: Shield | None = None) -> list[ChangeAlert]:
    """Totals of `keys` that moved more than the limit from the previous period.

    Only the total row is watched: breakdown rows are smaller and move more by chance, so
    alerting on them would bury the signal; `indicators diff` shows every row. A total that
    `shield` hides (default: disclosure control on `rows`), in either period, is not watched
    (see `watched_changes`).
    """
    return watched_changes(catalogue, keys, rows, shield)[0]


def watched_changes(catalogue: Catalogue, keys: list[Key], rows: dict[Key, list[dict]],
                    shield: Shield | None = None) -> tuple[list[ChangeAlert], int]:
    """(the change alerts, how many totals were not evaluated because one of the two is suppressed).

    An alert on a hidden total is not merely left out: it is never evaluated, so that neither
    it nor the count says whether it would have fired (which would tell a range of the hidden
    value); the count depends only on which totals are hidden, as public as the report's `..`.
    """
    shield = Shield.of(catalogue, rows) if shield is None else shield
    alerts, not_evaluated = [], 0
    for ind, period in keys:
        limit = change_limit(catalogue, ind)
        previous = parse_period(period).previous().label
        if not limit or (ind, previous) not in rows or (ind, period) not in rows:
            continue
        unit = catalogue.get(ind).info.unit
        for row in rows[(ind, period)][:1]:
            if shield.any_hidden(ind, (period, previous), row["breakdown"]):
                not_evaluated += 1
                continue
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
            declared = _limit_position(catalogue, ind)
            alerts.append(ChangeAlert(ind, period, previous, row["breakdown"], float(old), float(new), float(change),
                                      None if relative is None else float(relative), " and ".join(passed), message,
                                      file=declared.file, line=declared.line))
    return alerts, not_evaluated


def _limit_position(catalogue: Catalogue, indicator_id: str) -> Position:
    """Where an indicator's change limit is declared: its own `change_alert`, else its id (the project's limit)."""
    doc = catalogue.documents.get(indicator_id)
    if doc is None:
        return Position(catalogue.get(indicator_id).info.file)
    return doc.key_pos(("change_alert",) if "change_alert" in doc.data else ("id",))


# ---------------------------------------------------------------- CI formats


def _properties(parent: ET.Element, values: dict[str, object]) -> None:
    """<properties> with one <property name= value=/> per value that is set."""
    shown = {k: v for k, v in values.items() if v is not None and v != ""}
    if shown:
        properties = ET.SubElement(parent, "properties")
        for key, value in shown.items():
            ET.SubElement(properties, "property", name=key, value=str(value))


def _place(case_attributes: dict[str, str], file: str, line: int) -> dict[str, str]:
    """`file` (relative to the repository root, as GitLab and GitHub annotations read it) and `line`."""
    if file:
        case_attributes["file"] = file
    if line:
        case_attributes["line"] = str(line)
    return case_attributes


def junit_xml(result: CheckResult, name: str = "published-figures") -> str:
    """JUnit XML for CI, three suites, each test case placed with `file` and `line`:

    - "published-figures": one test case per figure (classname published.<indicator>, name
      "<figure id>: <claim>"), a failure when it does not hold, skipped ("not shown for
      disclosure ...", no computed value) when it rests on a suppressed cell; its properties
      say the source, citation, period, breakdown, published and computed value. The suite's
      properties are the provenance (engine.provenance, flattened: engine.version, ...), and
      `microdata` = true when disclosure control was not applied (--show-suppressed).
    - "data-checks": one test case per check of the model, a failure when rows break it;
      one skipped case when they were not run.
    - "change-alerts": one test case per alert, skipped with the alert as its message: shown
      by CI, never failing.
    """
    suite = ET.Element("testsuite", name=name, tests=str(len(result.figures)), failures=str(len(result.failed)),
                       errors="0", skipped=str(len(result.suppressed)))
    facts: dict[str, object] = dict(result.provenance.flat()) if result.provenance is not None else {}
    if not result.disclosure:
        facts["microdata"] = "true"
    _properties(suite, facts)
    for f in result.figures:
        case = ET.SubElement(suite, "testcase", _place({"classname": f"published.{f.indicator}",
                                                        "name": f"{f.id}: {f.published}"}, f.file, f.line))
        computed = f.detail.get("value", f.value)
        _properties(case, {"figure_id": f.id, "indicator": f.indicator, "source": f.source, "source.at": f.at,
                           "citation": f.citation, "period": f.period,
                           "breakdown": ",".join(f"{k}={v}" for k, v in f.breakdown.items()) or "total",
                           "claim": f.claim.get("kind"), "published": f.published, "published_text": f.text,
                           "computed": None if f.holds is None else f.computed,  # suppressed: left out
                           "computed_value": None if f.holds is None else "null" if computed is None
                           else plain(computed), "verdict": f.verdict})
        if f.holds is None:
            skipped = ET.SubElement(case, "skipped", message=f.reason)
            skipped.text = f"{f.position}: published '{f.text}' ({f.short_source}): {f.reason}"
            out = ET.SubElement(case, "system-out")
            out.text = f"published {f.published} ({f.text}); {f.reason}; source {f.citation or f.source}"
            continue
        if not f.holds:
            failure = ET.SubElement(case, "failure", message=f.reason, type="PublishedFigureDoesNotHold")
            failure.text = (f"{f.position}: published '{f.text}' ({f.short_source}); computed {f.computed}: "
                            f"{f.reason}")
        out = ET.SubElement(case, "system-out")
        out.text = f"published {f.published} ({f.text}); computed {f.computed}; source {f.citation or f.source}"
    root = ET.Element("testsuites", name="indicators check")
    root.append(suite)
    root.append(_data_suite(result.data))
    root.append(_change_suite(result.changes, result.changes_not_evaluated))
    suites = root.findall("testsuite")
    for counter in ("tests", "failures", "errors", "skipped"):
        root.set(counter, str(sum(int(s.get(counter, "0")) for s in suites)))
    for element in root.iter():  # a control character in a published text or a data value is not XML 1.0
        element.text = None if element.text is None else xml_safe(element.text)
        for key, value in element.attrib.items():
            element.attrib[key] = xml_safe(value)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _change_suite(changes: list[ChangeAlert], not_evaluated: int = 0) -> ET.Element:
    """Change alerts as skipped test cases: CI lists them with their message, and none fails the run. The number
    of totals not evaluated (suppressed) is a suite property, without naming them."""
    suite = ET.Element("testsuite", name="change-alerts", tests=str(len(changes)), failures="0", errors="0",
                       skipped=str(len(changes)))
    if not_evaluated:
        _properties(suite, {"not_evaluated_suppressed": not_evaluated})
    for c in changes:
        case = ET.SubElement(suite, "testcase", _place({"classname": f"change.{c.indicator}", "name": c.id},
                                                       c.file, c.line))
        _properties(case, {"alert_id": c.id, "indicator": c.indicator, "period": c.period,
                           "previous_period": c.previous_period, "before": plain(c.before), "after": plain(c.after),
                           "change": plain(c.absolute),
                           "relative_change": None if c.relative is None else plain(c.relative), "limit": c.limit})
        skipped = ET.SubElement(case, "skipped", message=f"change alert: {c.message}")
        skipped.text = f"change alert (a warning, not a failure): {c.message}"
    return suite


def _data_suite(data: list[DataIssue] | None) -> ET.Element:
    """The data checks as JUnit test cases, a suite of their own after the published figures."""
    if data is None:
        suite = ET.Element("testsuite", name="data-checks", tests="1", failures="0", errors="0", skipped="1")
        case = ET.SubElement(suite, "testcase", classname="data", name="consistency rules of the data model")
        skipped = ET.SubElement(case, "skipped", message="not run (--no-data-checks)")
        skipped.text = "the data was not checked against the data model's consistency rules (--no-data-checks)"
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
