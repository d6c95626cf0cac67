"""Independent reference implementation of the 21 indicators shipped with the project.

Written from the text of ``/work/shared/spec/data-model.md`` and
``/work/shared/spec/indicators.md`` only, without reading the engine, the
indicator YAML or the fixtures. Plain Python 3.11 standard library, no pandas;
meant as an oracle for tests of the indicator engine.

API
---
``compute(tables, indicator_id, period) -> list[dict]``

* ``tables`` maps a table name (person, ersattningsfall, kartlaggning,
  samarbete, insats, mote, samordningsforbund) to a list of row dicts; dates are
  ``datetime.date``, NULL is ``None``; a missing table is empty.
* ``period`` is ``"2018"``, ``"2018H2"``, ``"2018Q4"`` or ``"2018-12"``.
* Returns rows ``{"indicator", "period", "breakdown", "value", "numerator",
  "denominator", "n"}``: first the total row (``breakdown == {}``), then one row
  per present ``kon`` value (unless the indicator has no kon breakdown), then one
  row per present value of each listed breakdown, in the listed order; values
  inside a dimension are sorted (``None`` last).

``INDICATOR_IDS`` lists the 21 ids. They are the indicators shipped in ``indicators/``
with the project, not the catalogue: an indicator added later has no reference here
(``compute`` raises ValueError for it), and ``tests/test_reference.py`` compares only the
ids both know, failing when a shipped id is no longer in the catalogue.
"""

from __future__ import annotations

import datetime as _dt
import re as _re
from collections.abc import Callable
from fractions import Fraction as _Fraction
from typing import Any

__all__ = ["INDICATOR_IDS", "compute", "period_bounds"]

# --------------------------------------------------------------------------
# constants from the spec
# --------------------------------------------------------------------------

LEFT_SICKNESS_INSURANCE = frozenset(
    {"arbete", "utbildning", "arbetsmarknadspolitiskt_program", "oppet_arbetslos"}
)
FINSAM_COUNTED_BEHOVSGRUPPER = frozenset(
    {"langtidssjukskrivna", "unga_med_funktionsnedsattning", "unga_med_aktivitetsersattning"}
)
SJUKPENNING = "sjukpenning"
AKTIVITETSERSATTNING = "aktivitetsersattning"

TABLE_NAMES = (
    "person",
    "ersattningsfall",
    "kartlaggning",
    "samarbete",
    "insats",
    "mote",
    "samordningsforbund",
)

# --------------------------------------------------------------------------
# periods
# --------------------------------------------------------------------------

_PERIOD_RE = _re.compile(r"^(\d{4})(?:H([12])|Q([1-4])|-(\d{2}))?$")


def _last_day_of_month(year: int, month: int) -> _dt.date:
    if month == 12:
        return _dt.date(year, 12, 31)
    return _dt.date(year, month + 1, 1) - _dt.timedelta(days=1)


def period_bounds(period: str) -> tuple[_dt.date, _dt.date]:
    """First and last day (both included) of a reporting period."""
    m = _PERIOD_RE.match(period)
    if not m:
        raise ValueError(f"unrecognised period {period!r}")
    year = int(m.group(1))
    half, quarter, month = m.group(2), m.group(3), m.group(4)
    if half is not None:
        first_month = 1 if half == "1" else 7
        last_month = first_month + 5
    elif quarter is not None:
        first_month = 3 * (int(quarter) - 1) + 1
        last_month = first_month + 2
    elif month is not None:
        mm = int(month)
        if not 1 <= mm <= 12:
            raise ValueError(f"unrecognised period {period!r}")
        first_month = last_month = mm
    else:
        first_month, last_month = 1, 12
    return _dt.date(year, first_month, 1), _last_day_of_month(year, last_month)


def _in_period(d: _dt.date | None, bounds: tuple[_dt.date, _dt.date]) -> bool:
    return d is not None and bounds[0] <= d <= bounds[1]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _is_psychiatric(diagnoskod: Any) -> bool:
    # Upper-case 'F' as stored: case-sensitive, not trimmed; NULL is not.
    return isinstance(diagnoskod, str) and diagnoskod.startswith("F")


def _days(a: _dt.date, b: _dt.date) -> int:
    """b - a in days."""
    return (b - a).days


class _Data:
    """Tables indexed by primary key, built once per compute call."""

    def __init__(self, tables: dict[str, list[dict]]):
        t = {name: list(tables.get(name) or []) for name in TABLE_NAMES}
        self.t = t
        self.person = {r["person_id"]: r for r in t["person"]}
        self.fall = {r["fall_id"]: r for r in t["ersattningsfall"]}
        self.forbund = {r["forbund_id"]: r for r in t["samordningsforbund"]}
        self.insats_by_samarbete: dict[Any, list[dict]] = {}
        for r in t["insats"]:
            sid = r.get("samarbete_id")
            if sid is not None:
                self.insats_by_samarbete.setdefault(sid, []).append(r)
        self.fall_by_person: dict[Any, list[dict]] = {}
        for r in t["ersattningsfall"]:
            self.fall_by_person.setdefault(r["person_id"], []).append(r)

    def kon(self, person_id: Any) -> Any:
        p = self.person.get(person_id)
        return None if p is None else p.get("kon")

    def ersattning_of_fall(self, fall_id: Any) -> Any:
        f = self.fall.get(fall_id)
        return None if f is None else f.get("ersattning")

    def lan_of_forbund(self, forbund_id: Any) -> Any:
        f = self.forbund.get(forbund_id)
        return None if f is None else f.get("lan")

    def ongoing_case(self, person_id: Any, ersattning: str, d: _dt.date) -> dict | None:
        """The person's case of `ersattning` ongoing on `d` (at most one on
        consistent data; on inconsistent data the lowest fall_id is taken)."""
        hits = [
            f
            for f in self.fall_by_person.get(person_id, [])
            if f.get("ersattning") == ersattning
            and f["startdatum"] <= d
            and (f.get("slutdatum") is None or d <= f["slutdatum"])
        ]
        if not hits:
            return None
        return min(hits, key=lambda f: f["fall_id"])


# --------------------------------------------------------------------------
# units: each population unit is a dict carrying its breakdown values and
# whatever the value kind needs ("x" for mean/median, "hit" for share,
# "person_id" for distinct-person counts).
# --------------------------------------------------------------------------


def _mean(xs: list) -> float | None:
    if not xs:
        return None
    return float(sum(_Fraction(x) for x in xs) / len(xs))


def _median(xs: list) -> float | None:
    if not xs:
        return None
    s = sorted(_Fraction(x) for x in xs)
    k = len(s)
    if k % 2:
        return float(s[k // 2])
    return float((s[k // 2 - 1] + s[k // 2]) / 2)


def _aggregate(kind: str, units: list[dict]) -> dict:
    n = len(units)
    if kind == "count":
        return {"value": n, "numerator": None, "denominator": None, "n": n}
    if kind == "count_distinct_person":
        return {
            "value": len({u["person_id"] for u in units}),
            "numerator": None,
            "denominator": None,
            "n": n,
        }
    if kind == "mean":
        xs = [u["x"] for u in units if u["x"] is not None]
        return {"value": _mean(xs), "numerator": None, "denominator": None, "n": n}
    if kind == "median":
        xs = [u["x"] for u in units if u["x"] is not None]
        return {"value": _median(xs), "numerator": None, "denominator": None, "n": n}
    if kind == "share":
        num = sum(1 for u in units if u["hit"])
        den = n
        value = float(_Fraction(num, den)) if den else None
        return {"value": value, "numerator": num, "denominator": den, "n": den}
    raise ValueError(kind)


def _sort_key(v: Any) -> tuple:
    return (v is None, "" if v is None else str(v))


def _rows(
    indicator_id: str,
    period: str,
    kind: str,
    units: list[dict],
    breakdowns: tuple[str, ...],
    with_kon: bool = True,
) -> list[dict]:
    def row(breakdown: dict, us: list[dict]) -> dict:
        out = {"indicator": indicator_id, "period": period, "breakdown": breakdown}
        out.update(_aggregate(kind, us))
        return out

    result = [row({}, units)]
    dims = (("kon",) if with_kon else ()) + tuple(breakdowns)
    for dim in dims:
        groups: dict[Any, list[dict]] = {}
        for u in units:
            groups.setdefault(u[dim], []).append(u)
        for value in sorted(groups, key=_sort_key):
            result.append(row({dim: value}, groups[value]))
    return result


# --------------------------------------------------------------------------
# report 003: enhanced cooperation
# --------------------------------------------------------------------------


def _kartlaggning_units(D: _Data, bounds) -> list[dict]:
    units = []
    for k in D.t["kartlaggning"]:
        if not _in_period(k["datum"], bounds):
            continue
        fall = D.fall.get(k["fall_id"])
        units.append(
            {
                "kon": D.kon(k["person_id"]),
                "ersattning": None if fall is None else fall.get("ersattning"),
                "row": k,
                "fall": fall,
            }
        )
    return units


def _antal_gemensamma_kartlaggningar(D, bounds):
    return "count", _kartlaggning_units(D, bounds), ("ersattning",)


def _kartlaggning_dag_i_fallet(D, bounds):
    units = _kartlaggning_units(D, bounds)
    for u in units:
        f = u["fall"]
        u["x"] = None if f is None else _days(f["startdatum"], u["row"]["datum"]) + 1
    return "mean", units, ("ersattning",)


def _andel_psykiatrisk_diagnos_vid_kartlaggning(D, bounds):
    units = _kartlaggning_units(D, bounds)
    for u in units:
        f = u["fall"]
        u["hit"] = f is not None and _is_psychiatric(f.get("diagnoskod"))
    return "share", units, ("ersattning",)


def _antal_nya_personer_i_aktiva_insatser(D, bounds):
    units = []
    for s in D.t["samarbete"]:
        ins = D.insats_by_samarbete.get(s["samarbete_id"], [])
        if not ins:
            continue
        first_start = min(i["startdatum"] for i in ins)
        if not _in_period(first_start, bounds):
            continue
        units.append(
            {
                "kon": D.kon(s["person_id"]),
                "ersattning": D.ersattning_of_fall(s["fall_id"]),
                "person_id": s["person_id"],
            }
        )
    return "count_distinct_person", units, ("ersattning",)


def _ended_samarbete_units(D, bounds, only_efter_insats: bool) -> list[dict]:
    units = []
    for s in D.t["samarbete"]:
        if not _in_period(s.get("slutdatum"), bounds):
            continue
        if only_efter_insats and s.get("avslutsorsak") != "efter_insats":
            continue
        units.append(
            {
                "kon": D.kon(s["person_id"]),
                "ersattning": D.ersattning_of_fall(s["fall_id"]),
                "row": s,
            }
        )
    return units


def _genomsnittlig_tid_i_samarbetet(D, bounds):
    units = _ended_samarbete_units(D, bounds, only_efter_insats=False)
    for u in units:
        s = u["row"]
        u["x"] = _days(s["startdatum"], s["slutdatum"])
    return "mean", units, ("ersattning",)


def _antal_avslutade_efter_insats(D, bounds):
    return "count", _ended_samarbete_units(D, bounds, only_efter_insats=True), ("ersattning",)


def _andel_lamnat_sjukforsakringen_efter_insats(D, bounds):
    units = _ended_samarbete_units(D, bounds, only_efter_insats=True)
    for u in units:
        u["hit"] = u["row"].get("utfall") in LEFT_SICKNESS_INSURANCE
    return "share", units, ("ersattning",)


def _andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser(D, bounds):
    units = []
    for u in _ended_samarbete_units(D, bounds, only_efter_insats=True):
        ins = D.insats_by_samarbete.get(u["row"]["samarbete_id"], [])
        if any(i.get("insatstyp") == "arbetslivsinriktad" for i in ins):
            u["hit"] = u["row"].get("utfall") in LEFT_SICKNESS_INSURANCE
            units.append(u)
    return "share", units, ("ersattning",)


def _median_sjukfallslangd_vid_avslut(D, bounds):
    # fall_ids of participations that have at least one intervention (any date)
    falls_with_insats = {
        s["fall_id"]
        for s in D.t["samarbete"]
        if D.insats_by_samarbete.get(s["samarbete_id"])
    }
    units = []
    for f in D.t["ersattningsfall"]:
        if f.get("ersattning") != SJUKPENNING:
            continue
        if not _in_period(f.get("slutdatum"), bounds):
            continue
        if f["fall_id"] not in falls_with_insats:
            continue
        units.append(
            {"kon": D.kon(f["person_id"]), "x": _days(f["startdatum"], f["slutdatum"]) + 1}
        )
    return "median", units, ()


def _andel_upphord_ratt_med_omstallningsmote(D, bounds):
    falls_with_omst = {
        m.get("fall_id")
        for m in D.t["mote"]
        if m.get("motestyp") == "omstallningsmote" and m.get("fall_id") is not None
    }
    units = []
    for f in D.t["ersattningsfall"]:
        if f.get("ersattning") != SJUKPENNING:
            continue
        if not _in_period(f.get("slutdatum"), bounds):
            continue
        if f.get("avslutsorsak") != "ratt_till_ersattning_upphort":
            continue
        units.append({"kon": D.kon(f["person_id"]), "hit": f["fall_id"] in falls_with_omst})
    return "share", units, ()


def _mote_units(D, bounds, types: frozenset) -> list[dict]:
    return [
        {"kon": D.kon(m["person_id"]), "motestyp": m.get("motestyp")}
        for m in D.t["mote"]
        if m.get("motestyp") in types and _in_period(m.get("datum"), bounds)
    ]


def _antal_overlamnings_och_omstallningsmoten(D, bounds):
    units = _mote_units(D, bounds, frozenset({"overlamningsmote", "omstallningsmote"}))
    return "count", units, ("motestyp",)


def _antal_kontaktmoten(D, bounds):
    return "count", _mote_units(D, bounds, frozenset({"kontaktmote"})), ()


# --------------------------------------------------------------------------
# report 000: interventions financed by samordningsförbund
# --------------------------------------------------------------------------


def _antal_insatser_samordningsforbund(D, bounds):
    units = [
        {
            "kon": D.kon(i["person_id"]),
            "behovsgrupp": i.get("behovsgrupp"),
            "lan": D.lan_of_forbund(i.get("forbund_id")),
        }
        for i in D.t["insats"]
        if i.get("finansiar") == "samordningsforbund"
        and _in_period(i["startdatum"], bounds)
        and i.get("behovsgrupp") in FINSAM_COUNTED_BEHOVSGRUPPER
    ]
    return "count", units, ("behovsgrupp", "lan")


def _participants(D, bounds, ersattning: str) -> list[dict]:
    """Participants in the period having a case of `ersattning` ongoing on the
    start date of their first intervention; one unit per person."""
    first: dict[Any, dict] = {}
    for i in D.t["insats"]:
        if i.get("finansiar") != "samordningsforbund":
            continue
        if not _in_period(i["startdatum"], bounds):
            continue
        pid = i["person_id"]
        cur = first.get(pid)
        if cur is None or (i["startdatum"], i["insats_id"]) < (cur["startdatum"], cur["insats_id"]):
            first[pid] = i
    units = []
    for pid, i in first.items():
        fall = D.ongoing_case(pid, ersattning, i["startdatum"])
        if fall is None:
            continue
        units.append({"kon": D.kon(pid), "person_id": pid, "insats": i, "fall": fall})
    return units


def _antal_deltagare_med_sjukpenning_samordningsforbund(D, bounds):
    return "count", _participants(D, bounds, SJUKPENNING), ()


def _antal_deltagare_med_aktivitetsersattning_samordningsforbund(D, bounds):
    return "count", _participants(D, bounds, AKTIVITETSERSATTNING), ()


def _sjukpenningdagar_vid_insatsstart(D, bounds):
    units = _participants(D, bounds, SJUKPENNING)
    for u in units:
        u["x"] = _days(u["fall"]["startdatum"], u["insats"]["startdatum"]) + 1
    return "mean", units, ()


def _andel_psykiatrisk_diagnos_sjukpenning_samordningsforbund(D, bounds):
    units = _participants(D, bounds, SJUKPENNING)
    for u in units:
        u["hit"] = _is_psychiatric(u["fall"].get("diagnoskod"))
    return "share", units, ()


def _andel_kvinnor_sjukpenning_samordningsforbund(D, bounds):
    units = _participants(D, bounds, SJUKPENNING)
    for u in units:
        u["hit"] = u["kon"] == "K"
    return "share", units, ()


def _ar_med_aktivitetsersattning_vid_insatsstart(D, bounds):
    units = _participants(D, bounds, AKTIVITETSERSATTNING)
    for u in units:
        days = _days(u["fall"]["startdatum"], u["insats"]["startdatum"]) + 1
        u["x"] = _Fraction(days) / _Fraction("365.25")
    return "mean", units, ()


def _andel_kvinnor_aktivitetsersattning_samordningsforbund(D, bounds):
    units = _participants(D, bounds, AKTIVITETSERSATTNING)
    for u in units:
        u["hit"] = u["kon"] == "K"
    return "share", units, ()


def _andel_psykiatrisk_diagnos_aktivitetsersattning_samordningsforbund(D, bounds):
    units = _participants(D, bounds, AKTIVITETSERSATTNING)
    for u in units:
        u["hit"] = _is_psychiatric(u["fall"].get("diagnoskod"))
    return "share", units, ()


# --------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------

_INDICATORS: dict[str, Callable] = {
    # report 003
    "antal_gemensamma_kartlaggningar": _antal_gemensamma_kartlaggningar,
    "kartlaggning_dag_i_fallet": _kartlaggning_dag_i_fallet,
    "andel_psykiatrisk_diagnos_vid_kartlaggning": _andel_psykiatrisk_diagnos_vid_kartlaggning,
    "antal_nya_personer_i_aktiva_insatser": _antal_nya_personer_i_aktiva_insatser,
    "genomsnittlig_tid_i_samarbetet": _genomsnittlig_tid_i_samarbetet,
    "antal_avslutade_efter_insats": _antal_avslutade_efter_insats,
    "andel_lamnat_sjukforsakringen_efter_insats": _andel_lamnat_sjukforsakringen_efter_insats,
    "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser": (
        _andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser
    ),
    "median_sjukfallslangd_vid_avslut": _median_sjukfallslangd_vid_avslut,
    "andel_upphord_ratt_med_omstallningsmote": _andel_upphord_ratt_med_omstallningsmote,
    "antal_overlamnings_och_omstallningsmoten": _antal_overlamnings_och_omstallningsmoten,
    "antal_kontaktmoten": _antal_kontaktmoten,
    # report 000
    "antal_insatser_samordningsforbund": _antal_insatser_samordningsforbund,
    "antal_deltagare_med_sjukpenning_samordningsforbund": (
        _antal_deltagare_med_sjukpenning_samordningsforbund
    ),
    "antal_deltagare_med_aktivitetsersattning_samordningsforbund": (
        _antal_deltagare_med_aktivitetsersattning_samordningsforbund
    ),
    "sjukpenningdagar_vid_insatsstart": _sjukpenningdagar_vid_insatsstart,
    "andel_psykiatrisk_diagnos_sjukpenning_samordningsforbund": (
        _andel_psykiatrisk_diagnos_sjukpenning_samordningsforbund
    ),
    "andel_kvinnor_sjukpenning_samordningsforbund": _andel_kvinnor_sjukpenning_samordningsforbund,
    "ar_med_aktivitetsersattning_vid_insatsstart": _ar_med_aktivitetsersattning_vid_insatsstart,
    "andel_kvinnor_aktivitetsersattning_samordningsforbund": (
        _andel_kvinnor_aktivitetsersattning_samordningsforbund
    ),
    "andel_psykiatrisk_diagnos_aktivitetsersattning_samordningsforbund": (
        _andel_psykiatrisk_diagnos_aktivitetsersattning_samordningsforbund
    ),
}

# Indicators without a breakdown by kon (the share *is* the share of women).
_NO_KON_BREAKDOWN = frozenset(
    {
        "andel_kvinnor_sjukpenning_samordningsforbund",
        "andel_kvinnor_aktivitetsersattning_samordningsforbund",
    }
)

INDICATOR_IDS: list[str] = list(_INDICATORS)  # the 21 shipped indicators; see the module docstring


def compute(tables: dict[str, list[dict]], indicator_id: str, period: str) -> list[dict]:
    """Compute one indicator for one period; see the module docstring."""
    try:
        fn = _INDICATORS[indicator_id]
    except KeyError:
        raise ValueError(f"unknown indicator {indicator_id!r}") from None
    bounds = period_bounds(period)
    D = _Data(tables)
    kind, units, breakdowns = fn(D, bounds)
    return _rows(
        indicator_id,
        period,
        kind,
        units,
        breakdowns,
        with_kon=indicator_id not in _NO_KON_BREAKDOWN,
    )
