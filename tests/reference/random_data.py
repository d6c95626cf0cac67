"""Random, consistent, edge-case-heavy datasets for the indicator tests.

Independent of the engine: written from the text of
``/work/shared/spec/data-model.md`` and ``/work/shared/spec/indicators.md`` only.

``random_dataset(rng, size=30)`` returns ``{table name: [row dict, ...]}`` for all
seven tables (dates are ``datetime.date``, NULL is ``None``; a table may be
empty). Every consistency rule of data-model.md holds: unique keys, resolving
foreign keys, person_id agreeing along every link, samarbete.startdatum /
fall_id equal to its assessment's, assessments within their case, ended cases
with avslutsorsak and ongoing ones without, ended participations with
avslutsorsak and utfall and ongoing ones with neither, ``efter_insats`` exactly
for (ended) participations with interventions, interventions starting within
their participation, a person's cases of one benefit never overlapping, the
finansiar / samarbete_id / forbund_id / behovsgrupp rules, allowed values only.

Edge cases are deliberately frequent: dates on and next to period boundaries of
2017-2019 (first/last day of years, halves, quarters, months), ties in
intervention start dates (with insats_ids not in date order), NULL slutdatum,
NULL / lower-case / space-prefixed diagnoses, one-day cases, back-to-back cases,
cases ending (or starting) exactly on an intervention's start date, persons with
several participations and both benefit types, every motestyp with and without
fall_id, and occasionally empty tables.
"""

from __future__ import annotations

import datetime as _dt
import random

__all__ = ["ALLOWED", "BOUNDARY_DATES", "random_dataset"]

ALLOWED = {
    "kon": ("K", "M"),
    "ersattning": ("sjukpenning", "aktivitetsersattning"),
    "fall_avslutsorsak": (
        "aterfatt_arbetsformaga",
        "ratt_till_ersattning_upphort",
        "annan_ersattning",
        "annat",
    ),
    "samarbete_avslutsorsak": ("efter_insats", "utan_insats"),
    "utfall": (
        "arbete",
        "utbildning",
        "arbetsmarknadspolitiskt_program",
        "oppet_arbetslos",
        "fortsatt_ersattning",
        "annat",
    ),
    "finansiar": ("forstarkt_samarbete", "samordningsforbund"),
    "insatstyp": ("forberedande", "arbetslivsinriktad"),
    "behovsgrupp": (
        "langtidssjukskrivna",
        "unga_med_funktionsnedsattning",
        "unga_med_aktivitetsersattning",
        "ovriga",
    ),
    "motestyp": ("overlamningsmote", "omstallningsmote", "kontaktmote"),
    "lan": tuple(f"{i:02d}" for i in range(1, 26)),
}

DIAGNOSES = (
    "F32.1", "F43.2", "F41", "F", "F99", "M54.5", "S83.2", "Z73.0", "G35",
    "f32.1", "f43", " F32.1", "", None, None,
)

_D = _dt.date
_ONE = _dt.timedelta(days=1)


def _boundary_dates() -> list[_dt.date]:
    out = set()
    for year in range(2016, 2021):
        for month in range(1, 13):
            first = _D(year, month, 1)
            nxt = _D(year + 1, 1, 1) if month == 12 else _D(year, month + 1, 1)
            out.update({first, nxt - _ONE, first + _ONE, nxt - 2 * _ONE})
    return sorted(d for d in out if _D(2016, 11, 1) <= d <= _D(2020, 2, 28))


BOUNDARY_DATES = _boundary_dates()
# the ones that are an actual first/last day of a month
_EXACT_BOUNDARIES = [d for d in BOUNDARY_DATES if d.day == 1 or (d + _ONE).day == 1]


def _uniform(rng: random.Random, lo: _dt.date, hi: _dt.date) -> _dt.date:
    return lo + _dt.timedelta(days=rng.randint(0, (hi - lo).days))


def _pick(rng: random.Random, lo: _dt.date, hi: _dt.date, p_boundary: float = 0.65) -> _dt.date:
    """A date in [lo, hi], usually on or next to a period boundary if one is in range."""
    if hi < lo:
        raise ValueError("empty range")
    if rng.random() < p_boundary:
        pool = _EXACT_BOUNDARIES if rng.random() < 0.7 else BOUNDARY_DATES
        cands = [d for d in pool if lo <= d <= hi]
        if cands:
            return rng.choice(cands)
    return _uniform(rng, lo, hi)


class _Ids:
    """Unique, non-monotonic keys per table."""

    def __init__(self, rng: random.Random, hi: int):
        self.rng, self.hi, self.used = rng, hi, {}

    def new(self, table: str) -> int:
        used = self.used.setdefault(table, set())
        while True:
            v = self.rng.randint(1, self.hi)
            if v not in used:
                used.add(v)
                return v


def random_dataset(rng: random.Random, size: int = 30) -> dict[str, list[dict]]:
    """A random consistent dataset with 1..`size` persons (rarely none); uses only `rng`."""
    ids = _Ids(rng, max(50, 40 * size))
    empty = {
        t
        for t, p in (
            ("person", 0.02),
            ("ersattningsfall", 0.04),
            ("kartlaggning", 0.04),
            ("samarbete", 0.04),
            ("insats", 0.04),
            ("mote", 0.05),
            ("samordningsforbund", 0.05),
        )
        if rng.random() < p
    }
    # cascade: a table whose referenced table is empty cannot have rows
    if "person" in empty:
        empty |= {"ersattningsfall", "kartlaggning", "samarbete", "insats", "mote"}
    if "ersattningsfall" in empty:
        empty |= {"kartlaggning", "samarbete"}
    if "kartlaggning" in empty:
        empty.add("samarbete")

    T: dict[str, list[dict]] = {
        t: []
        for t in (
            "person", "ersattningsfall", "kartlaggning", "samarbete",
            "insats", "mote", "samordningsforbund",
        )
    }

    # -- samordningsforbund
    if "samordningsforbund" not in empty:
        lans = rng.sample(ALLOWED["lan"], 3)  # few counties, so several share one
        for k in range(rng.randint(1, 4)):
            T["samordningsforbund"].append(
                {"forbund_id": ids.new("forbund"), "namn": f"Samordningsforbund {k}",
                 "lan": rng.choice(lans)}
            )

    # -- person
    if "person" not in empty:
        for _ in range(rng.randint(1, max(1, size))):
            T["person"].append(
                {"person_id": ids.new("person"), "kon": rng.choice(ALLOWED["kon"]),
                 "fodelsear": rng.randint(1955, 2001)}
            )

    cases_of: dict[int, list[dict]] = {p["person_id"]: [] for p in T["person"]}

    # -- ersattningsfall: sequential, non-overlapping per (person, ersattning)
    if "ersattningsfall" not in empty:
        for p in T["person"]:
            if rng.random() < 0.12:
                continue  # a person without any case
            kinds = []
            r = rng.random()
            if r < 0.55:
                kinds = ["sjukpenning"]
            elif r < 0.75:
                kinds = ["aktivitetsersattning"]
            else:
                kinds = ["sjukpenning", "aktivitetsersattning"]
            for ers in kinds:
                start = _pick(rng, _D(2011, 1, 1), _D(2019, 12, 31), p_boundary=0.5)
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    if start > _D(2020, 3, 31):
                        break
                    span = rng.choice((0, 0, 1, 30, 180, 400, 900, 2500))
                    ongoing = rng.random() < 0.3
                    slut = None if ongoing else _pick(rng, start, start + _dt.timedelta(days=span))
                    fall = {
                        "fall_id": ids.new("fall"),
                        "person_id": p["person_id"],
                        "ersattning": ers,
                        "startdatum": start,
                        "slutdatum": slut,
                        "diagnoskod": rng.choice(DIAGNOSES),
                        "avslutsorsak": None
                        if slut is None
                        else rng.choice(ALLOWED["fall_avslutsorsak"] + ("ratt_till_ersattning_upphort",)),
                    }
                    T["ersattningsfall"].append(fall)
                    cases_of[p["person_id"]].append(fall)
                    if slut is None:
                        break  # nothing may follow an ongoing case
                    gap = rng.choice((1, 1, 2, 30, 200))  # 1 = back-to-back
                    start = _pick(rng, slut + _dt.timedelta(days=gap),
                                  slut + _dt.timedelta(days=gap + 300), p_boundary=0.4)
                    if gap == 1 and rng.random() < 0.5:
                        start = slut + _ONE

    # -- kartlaggning + samarbete + forstarkt_samarbete insats
    for fall in T["ersattningsfall"]:
        if "kartlaggning" in empty or rng.random() < 0.4:
            continue
        hi = fall["slutdatum"] or _D(2020, 3, 31)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            r = rng.random()
            if r < 0.1:
                datum = fall["startdatum"]
            elif r < 0.2 and fall["slutdatum"] is not None:
                datum = fall["slutdatum"]
            else:
                datum = _pick(rng, fall["startdatum"], max(hi, fall["startdatum"]))
            k = {"kartlaggning_id": ids.new("kartlaggning"), "person_id": fall["person_id"],
                 "fall_id": fall["fall_id"], "datum": datum}
            T["kartlaggning"].append(k)
            if "samarbete" in empty or rng.random() < 0.2:
                continue
            _add_samarbete(rng, ids, T, k, fall, allow_insats="insats" not in empty)

    # -- samordningsforbund-financed insats
    if "insats" not in empty and T["samordningsforbund"]:
        for p in T["person"]:
            if rng.random() < 0.45:
                continue
            cases = cases_of[p["person_id"]]
            prev = None
            for _ in range(rng.choice((1, 1, 2, 3, 4))):
                r = rng.random()
                if prev is not None and r < 0.25:
                    start = prev  # tie on start date
                elif cases and r < 0.7:
                    c = rng.choice(cases)
                    opts = [c["startdatum"], c["startdatum"] - _ONE, c["startdatum"] + _ONE]
                    if c["slutdatum"] is not None:
                        opts += [c["slutdatum"], c["slutdatum"] + _ONE, c["slutdatum"] - _ONE]
                        opts.append(_pick(rng, c["startdatum"], c["slutdatum"]))
                    else:
                        opts.append(_pick(rng, c["startdatum"], max(c["startdatum"], _D(2020, 3, 31))))
                    start = rng.choice(opts)
                else:
                    start = _pick(rng, _D(2016, 10, 1), _D(2020, 3, 31))
                prev = start
                T["insats"].append(
                    {
                        "insats_id": ids.new("insats"),
                        "person_id": p["person_id"],
                        "finansiar": "samordningsforbund",
                        "samarbete_id": None,
                        "forbund_id": rng.choice(T["samordningsforbund"])["forbund_id"],
                        "insatstyp": rng.choice(ALLOWED["insatstyp"]),
                        "behovsgrupp": rng.choice(ALLOWED["behovsgrupp"]),
                        "startdatum": start,
                        "slutdatum": _maybe_end(rng, start),
                    }
                )

    # -- mote
    if "mote" not in empty:
        for p in T["person"]:
            cases = cases_of[p["person_id"]]
            n = rng.choice((0, 0, 1, 2, 3, 4))
            # cases ended because the right to benefit ended: often a meeting
            for c in cases:
                if c["avslutsorsak"] == "ratt_till_ersattning_upphort" and rng.random() < 0.5:
                    _add_mote(rng, ids, T, p["person_id"], c,
                              rng.choice(("omstallningsmote", "omstallningsmote",
                                          "overlamningsmote", "kontaktmote")))
            for _ in range(n):
                c = rng.choice(cases) if cases and rng.random() < 0.6 else None
                _add_mote(rng, ids, T, p["person_id"], c, rng.choice(ALLOWED["motestyp"]))

    # shuffle row order so nothing may rely on it
    for rows in T.values():
        rng.shuffle(rows)
    return T


def _maybe_end(rng: random.Random, start: _dt.date) -> _dt.date | None:
    if rng.random() < 0.35:
        return None
    return _pick(rng, start, start + _dt.timedelta(days=rng.choice((0, 40, 200, 500))))


def _add_samarbete(rng, ids, T, k, fall, allow_insats: bool) -> None:
    start = k["datum"]
    ended = rng.random() < 0.65
    slut = None
    if ended:
        slut = start if rng.random() < 0.05 else _pick(
            rng, start, start + _dt.timedelta(days=rng.choice((30, 200, 400, 900)))
        )
    sid = ids.new("samarbete")
    has_insats = allow_insats and rng.random() < 0.6
    if has_insats:
        hi = slut if slut is not None else max(start, _D(2020, 3, 31))
        hi = min(hi, start + _dt.timedelta(days=700)) if slut is None else hi
        prev = None
        for _ in range(rng.choice((1, 1, 2, 3, 4))):
            r = rng.random()
            if prev is not None and r < 0.3:
                d = prev  # tie
            elif r < 0.4 and fall["slutdatum"] is not None and start <= fall["slutdatum"] <= hi:
                d = fall["slutdatum"]  # case ends exactly on the intervention's start
            elif r < 0.5:
                d = rng.choice([start, hi])
            else:
                d = _pick(rng, start, hi)
            prev = d
            T["insats"].append(
                {
                    "insats_id": ids.new("insats"),
                    "person_id": k["person_id"],
                    "finansiar": "forstarkt_samarbete",
                    "samarbete_id": sid,
                    "forbund_id": None,
                    "insatstyp": rng.choice(ALLOWED["insatstyp"]),
                    "behovsgrupp": None,
                    "startdatum": d,
                    "slutdatum": _maybe_end(rng, d),
                }
            )
    T["samarbete"].append(
        {
            "samarbete_id": sid,
            "kartlaggning_id": k["kartlaggning_id"],
            "person_id": k["person_id"],
            "fall_id": k["fall_id"],
            "startdatum": start,
            "slutdatum": slut,
            "avslutsorsak": None if slut is None else ("efter_insats" if has_insats else "utan_insats"),
            "utfall": None if slut is None else rng.choice(ALLOWED["utfall"]),
        }
    )


def _add_mote(rng, ids, T, person_id, case, motestyp) -> None:
    if case is not None and rng.random() < 0.7:
        hi = case["slutdatum"] or max(case["startdatum"], _D(2020, 3, 31))
        datum = _pick(rng, case["startdatum"], hi)
    else:
        datum = _pick(rng, _D(2016, 10, 1), _D(2020, 3, 31))
    T["mote"].append(
        {
            "mote_id": ids.new("mote"),
            "person_id": person_id,
            "fall_id": None if case is None else case["fall_id"],
            "motestyp": motestyp,
            "datum": datum,
        }
    )
