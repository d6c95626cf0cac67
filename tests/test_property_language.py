"""Property: the language's second-edition constructs compute what docs/language.md says.

For random definitions on random data (dates drawn around the period's boundaries, NULLs,
dangling foreign keys, empty tables), the engine's output rows equal a plain-Python
evaluation written here from the documentation alone, with SQL's three-valued logic
(a comparison with NULL is unknown; `where` keeps only true):

- placements (`date`, `ongoing`, `ongoing` + `on: first_day | last_day`);
- `period_start` / `period_end` in `where`, in a field's `where` (`aggregate: count` over a
  relationship, "at least N related rows in the period"; none found is NULL, not 0) and
  `unit.` windows in fields and `exists`;
- `kind: ratio` with count / count_distinct / sum numerators and denominators;
- `year()`, `month()`, `age_at()` in conditions and in mean / median / sum measures;
- band breakdowns over the model's classification and `{cross: [...]}` breakdowns;
- `population: {from: ..., where: ...}` (with `one_per`: the extra conditions apply after
  the selection). Adding `fields` to such a population, which §8 allows, is refused by the
  schema today: that property is kept as a strict xfail.

Several definitions are computed on each drawn dataset (one DuckDB connection for the module,
the tables recreated per example by load_tables), so that a boundary case in the data meets
every construct that it can tell apart.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import Diagnostics
from engine.execute import Dataset, load_tables, run_indicator
from engine.load import load_text
from engine.periods import parse_period
from engine.resolve import resolve_indicator
from engine.validate import validate_schema

DAY = dt.timedelta(days=1)

# Period bounds written out (README: "in the period" includes the first and the last day).
PERIODS = {
    "2018": (dt.date(2018, 1, 1), dt.date(2018, 12, 31)),
    "2018H1": (dt.date(2018, 1, 1), dt.date(2018, 6, 30)),
    "2018H2": (dt.date(2018, 7, 1), dt.date(2018, 12, 31)),
    "2018Q4": (dt.date(2018, 10, 1), dt.date(2018, 12, 31)),
    "2018-12": (dt.date(2018, 12, 1), dt.date(2018, 12, 31)),
    "2018Q1": (dt.date(2018, 1, 1), dt.date(2018, 3, 31)),
    "2018-02": (dt.date(2018, 2, 1), dt.date(2018, 2, 28)),
}

EMPTY_PERIOD = "2014"  # before every date the data can hold

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class QuietCatalogue:
    """The catalogue's model with a short repr (Hypothesis prints every argument of a failing test), and one
    in-memory DuckDB connection reused by every example (connecting costs more than a query)."""

    def __init__(self, catalogue):
        self.model = catalogue.model
        self.con = duckdb.connect()

    def __repr__(self):
        return "<catalogue>"


@pytest.fixture(scope="module")
def catalogue(catalogue):
    quiet = QuietCatalogue(catalogue)
    yield quiet
    quiet.con.close()


# ---------------------------------------------------------------------------------------
# three-valued logic


def _not(v):
    return None if v is None else not v


def _and(*vs):
    if any(v is False for v in vs):
        return False
    return None if any(v is None for v in vs) else True


def _or(*vs):
    if any(v is True for v in vs):
        return True
    return None if any(v is None for v in vs) else False


def _cmp(a, b, op):
    return None if a is None or b is None else op(a, b)


def _ge(a, b):
    return _cmp(a, b, lambda x, y: x >= y)


def _le(a, b):
    return _cmp(a, b, lambda x, y: x <= y)


def _lt(a, b):
    return _cmp(a, b, lambda x, y: x < y)


def _gt(a, b):
    return _cmp(a, b, lambda x, y: x > y)


def _eq(a, b):
    return _cmp(a, b, lambda x, y: x == y)


def _between(v, lo, hi):
    return _and(_ge(v, lo), _le(v, hi))


def _year(d):
    return None if d is None else d.year


def _month(d):
    return None if d is None else d.month


def _age_at(birth_year, d):
    """docs/language.md §4: year(d) - birth_year."""
    return None if birth_year is None or d is None else d.year - birth_year


def _plus(d, days):
    return None if d is None else d + dt.timedelta(days=days)


def _band(age):
    """The model's aldersgrupp: from <= value < below; NULL falls in no band (value null)."""
    if age is None:
        return None
    return "under_30" if age < 30 else "30_49" if age < 50 else "50_och_aldre"


# ---------------------------------------------------------------------------------------
# random data: every table of the model, dates around the period's boundaries


def anchors(period):
    """Days that decide placements: each boundary and the days beside it, then mid-year and far away."""
    first, last = PERIODS[period]
    tight = [first - DAY, first, first + DAY, last - DAY, last, last + DAY]
    loose = sorted({first - 400 * DAY, first - 31 * DAY, first + 30 * DAY, first + (last - first) // 2,
                    dt.date(first.year, 6, 30), dt.date(first.year, 7, 1), last - 30 * DAY, last + 45 * DAY})
    return tight, loose


@st.composite
def worlds(draw, period, insatser=16):
    """All tables of the model; most dates are a period boundary or a day beside one."""
    first, last = PERIODS[period]
    tight, loose = anchors(period)

    def day():
        kind = draw(st.integers(0, 3))
        if kind <= 1:
            return draw(st.sampled_from(tight))
        if kind == 2:
            return draw(st.sampled_from(loose))
        return first + draw(st.integers(-60, (last - first).days + 60)) * DAY

    def size(most):  # uniform: empty tables are drawn, but not one time in four
        return draw(st.sampled_from(range(most + 1)))

    def end_from(start):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            return None
        if kind == 4:
            return start + draw(st.integers(0, 400)) * DAY
        marks = tight if kind <= 2 else loose
        return draw(st.sampled_from([start] + [a for a in marks if a >= start]))

    persons = [{"person_id": i, "kon": draw(st.sampled_from(["K", "M"])),
                "fodelsear": draw(st.sampled_from([1955, 1968, 1969, 1988, 1989]))}  # ages 29/30, 49/50 in 2018
               for i in range(1 + size(4))]
    cases = []
    for i in range(size(6)):
        start = day() if draw(st.integers(0, 2)) else draw(st.sampled_from(
            [dt.date(2015, 3, 1), dt.date(2016, 12, 31), dt.date(2017, 6, 1)]))
        end = end_from(start)
        cases.append({"fall_id": 100 + i, "person_id": draw(st.integers(0, 5)),
                      "ersattning": draw(st.sampled_from(["sjukpenning", "aktivitetsersattning"])),
                      "startdatum": start, "slutdatum": end,
                      "diagnoskod": draw(st.sampled_from([None, "F32.1", "M54.5", "f43"])),
                      "avslutsorsak": None if end is None else "annat"})
    assessments = [{"kartlaggning_id": 500 + i, "person_id": draw(st.integers(0, 5)),
                    "fall_id": draw(st.integers(99, 106)), "datum": day()}
                   for i in range(size(10))]
    participations = []
    for i in range(size(12)):
        start = day()
        participations.append({
            "samarbete_id": 1000 + i, "kartlaggning_id": 500 + i, "person_id": draw(st.integers(0, 5)),
            "fall_id": draw(st.integers(99, 106)), "startdatum": start, "slutdatum": end_from(start),
            "avslutsorsak": draw(st.sampled_from([None, "efter_insats", "utan_insats"])),
            "utfall": draw(st.sampled_from([None, "arbete", "utbildning", "annat", "fortsatt_ersattning"]))})
    ids = [s["samarbete_id"] for s in participations]
    interventions = []
    for i in range(size(insatser)):
        samarbete_id = draw(st.none() | st.sampled_from(ids + [999]))
        linked = [s for s in participations if s["samarbete_id"] == samarbete_id]
        if linked and draw(st.integers(0, 2)):  # at the limits of windows relative to the unit
            start = linked[0]["startdatum"] + draw(st.sampled_from([-1, 0, 30, 31])) * DAY
        else:
            start = day()
        interventions.append({
            "insats_id": 9000 + i, "person_id": draw(st.integers(0, 5)),
            "finansiar": draw(st.sampled_from(["forstarkt_samarbete", "samordningsforbund"])),
            "samarbete_id": samarbete_id, "forbund_id": None,
            "insatstyp": draw(st.sampled_from(["forberedande", "arbetslivsinriktad"])),
            "behovsgrupp": draw(st.sampled_from([None, "ovriga", "langtidssjukskrivna"])),
            "startdatum": start, "slutdatum": end_from(start)})
    meetings = [{"mote_id": 700 + i, "person_id": draw(st.integers(0, 5)),
                 "fall_id": draw(st.none() | st.integers(99, 106)),
                 "motestyp": draw(st.sampled_from(["kontaktmote", "omstallningsmote", "overlamningsmote"])),
                 "datum": day()} for i in range(size(10))]
    return {"person": persons, "ersattningsfall": cases, "kartlaggning": assessments,
            "samarbete": participations, "insats": interventions, "mote": meetings}


class World:
    """The tables with the relationships of model.yaml (a dangling key reaches an all-NULL row)."""

    def __init__(self, data):
        self.data = data
        self.person = {p["person_id"]: p for p in data["person"]}
        self.fall = {f["fall_id"]: f for f in data["ersattningsfall"]}

    def units(self, entity):
        """One dict per row: "" the row itself, "person" and "fall" its many-to-one neighbours."""
        out = []
        for row in self.data[entity]:
            if entity == "person":
                out.append({"": row, "person": row, "fall": {}})
            else:
                out.append({"": row, "person": self.person.get(row["person_id"], {}),
                            "fall": self.fall.get(row.get("fall_id"), {})})
        return out

    def insatser_of_person(self, person_id):
        return [i for i in self.data["insats"] if i["person_id"] == person_id]

    def insatser_of_samarbete(self, samarbete_id):
        return [i for i in self.data["insats"] if i["samarbete_id"] == samarbete_id]

    def samarbeten_of_person(self, person_id):
        return [s for s in self.data["samarbete"] if s["person_id"] == person_id]


def g(u, path):
    """A column path of the unit: `startdatum`, `fall.startdatum`, `person.kon`."""
    if "." in path:
        rel, col = path.split(".")
        return u[rel].get(col)
    return u[""][path]


def kon(u):
    return u["person"].get("kon")


# ---------------------------------------------------------------------------------------
# running a definition, building and comparing rows


HEADER = {"version": 1, "title": {"sv": "P", "en": "P"}, "description": {"sv": "P", "en": "P"}, "owner": "test"}


def indicator(ident, unit, population, measure, breakdowns=None):
    doc = {"id": ident, **HEADER, "unit": unit, "population": population, "measure": measure}
    if breakdowns:
        doc["breakdowns"] = breakdowns
    return doc


def to_yaml(doc):
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)


class Engine:
    """The example's data in the shared connection (tables as load_tables creates them); `run` computes one
    definition for one period."""

    def __init__(self, catalogue, data):
        self.model = catalogue.model
        self.con = catalogue.con
        for entity in self.model.entities:
            self.con.execute(f"DROP TABLE IF EXISTS {entity}")
        load_tables(self.con, self.model, data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def run(self, doc, period, bases=()):
        return run_indicator(Dataset(self.con, "prop"), bind(self.model, doc, bases), parse_period(period))


_BOUND: dict = {}


def bind(model, doc, bases=()):
    """load, validate and resolve as the catalogue does (cached by text: many examples share a definition)."""
    key = (to_yaml(doc), tuple(to_yaml(b) for b in bases))
    if key not in _BOUND:
        diags = Diagnostics()
        documents = {}
        for base, text in zip(bases, key[1], strict=True):
            d = load_text(text, f"{base['id']}.yaml", diags)
            assert validate_schema(d, "indicator", diags), (text, [str(x) for x in diags.items])
            documents[base["id"]] = d
        loaded = load_text(key[0], f"{doc['id']}.yaml", diags)
        assert validate_schema(loaded, "indicator", diags), (key[0], [str(x) for x in diags.items])
        bound = resolve_indicator(loaded, model, diags, documents.get)
        assert bound is not None, (key[0], [str(x) for x in diags.items])
        _BOUND[key] = bound
    return _BOUND[key]


def run(catalogue, doc, data, period, bases=()):
    with Engine(catalogue, data) as engine:
        return engine.run(doc, period, bases)


def count_row(units):
    return {"value": len(units), "n": len(units), "numerator": None, "denominator": None}


def count_distinct(values):
    return len({v for v in values if v is not None})


def stat(kind, values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": statistics.fmean, "median": statistics.median, "sum": sum}[kind](values)


def stat_row(kind, f):
    def evaluate(units):
        return {"value": stat(kind, [f(u) for u in units]), "n": len(units), "numerator": None, "denominator": None}
    return evaluate


def grouped(units, evaluate, dims=(), crosses=()):
    """Total, one row per present value of each marginal dimension, one per present pair of each cross."""
    rows = {(): evaluate(units)}
    for name, f in dims:
        for v in {f(u) for u in units}:
            rows[((name, v),)] = evaluate([u for u in units if f(u) == v])
    for (n1, f1), (n2, f2) in crosses:
        for v1, v2 in {(f1(u), f2(u)) for u in units}:
            rows[((n1, v1), (n2, v2))] = evaluate([u for u in units if f1(u) == v1 and f2(u) == v2])
    return rows


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_rows(got, expected, context=""):
    got_rows = {tuple(r["breakdown"].items()): r for r in got}
    assert len(got_rows) == len(got), ("duplicate breakdowns", got, context)
    assert set(got_rows) == set(expected), (sorted(map(str, got_rows)), sorted(map(str, expected)), context)
    for key, e in expected.items():
        r = got_rows[key]
        assert r["n"] == e["n"], (key, r, e, context)
        assert same(r["numerator"], e["numerator"]) and same(r["denominator"], e["denominator"]), (key, r, e, context)
        assert same(r["value"], e["value"]), (key, r, e, context)


def test_period_bounds_as_written_here():
    for period, bounds in PERIODS.items():
        assert (parse_period(period).first, parse_period(period).last) == bounds


# ---------------------------------------------------------------------------------------
# 1. placements


def ongoing(start, end, first, last, on):
    """docs/language.md §2: overlap (NULL end = still ongoing); a stock on one day; NULL start: never."""
    if start is None:
        return False
    if on is None:
        return start <= last and (end is None or end >= first)
    day = last if on == "last_day" else first
    return start <= day and (end is None or end >= day)


INTERVALS = {  # (start, end) expressions of a samarbete -> Python
    ("startdatum", "slutdatum"): lambda u: (g(u, "startdatum"), g(u, "slutdatum")),
    ("fall.startdatum", "fall.slutdatum"): lambda u: (g(u, "fall.startdatum"), g(u, "fall.slutdatum")),
    ("startdatum", "coalesce(slutdatum, fall.slutdatum)"):
        lambda u: (g(u, "startdatum"), g(u, "slutdatum") if g(u, "slutdatum") is not None else g(u, "fall.slutdatum")),
}
DATES = ["startdatum", "slutdatum", "fall.startdatum"]


PLACEMENTS = ([(form, interval) for form in ("ongoing", "last_day", "first_day") for interval in sorted(INTERVALS)]
              + [(form, date) for form in ("date", "shorthand") for date in DATES])


@st.composite
def placement_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    return period, draw(worlds(period)), draw(st.sampled_from(["count", "count_distinct"])), draw(st.booleans())


@settings(max_examples=30, **SETTINGS)
@given(case=placement_cases())
def test_placements(catalogue, case):
    """Every placement form on the same data: date (both spellings), ongoing, ongoing on the first / last day."""
    period, data, kind, by_ersattning = case
    first, last = PERIODS[period]
    measure = {"kind": kind, "of": "person_id"} if kind == "count_distinct" else {"kind": "count"}
    if kind == "count":
        evaluate = count_row
    else:
        def evaluate(us):
            return {"value": count_distinct(g(u, "person_id") for u in us), "n": len(us),
                    "numerator": None, "denominator": None}
    dims = [("kon", kon)] + ([("ersattning", lambda u: g(u, "fall.ersattning"))] if by_ersattning else [])
    all_units = World(data).units("samarbete")
    with Engine(catalogue, data) as engine:
        for form, placement in PLACEMENTS:
            if form == "shorthand":
                spec = placement
            elif form == "date":
                spec = {"date": placement}
            else:
                spec = {"ongoing": {"start": placement[0], "end": placement[1]}}
                if form != "ongoing":
                    spec["on"] = form
            doc = indicator("prop_placement", "count", {"entity": "samarbete", "period": spec}, measure,
                            ["fall.ersattning"] if by_ersattning else None)

            def placed(u, form=form, placement=placement):
                if form in ("date", "shorthand"):
                    d = g(u, placement)
                    return d is not None and first <= d <= last
                return ongoing(*INTERVALS[placement](u), first, last, None if form == "ongoing" else form)

            units = [u for u in all_units if placed(u)]
            assert_rows(engine.run(doc, period), grouped(units, evaluate, dims), to_yaml(doc))


# ---------------------------------------------------------------------------------------
# 2. period_start / period_end in fields and conditions


def _in_period(d, first, last):
    return _between(d, first, last) is True


# field name -> (definition, Python: (world, person row, first, last) -> related rows that count)
PERSON_FIELDS = {
    "ins_start": ({"aggregate": "count", "of": "insatser", "where": "startdatum BETWEEN period_start AND period_end"},
                  lambda w, p, ps, pe: [i for i in w.insatser_of_person(p["person_id"])
                                      if _in_period(i["startdatum"], ps, pe)]),
    "ins_arb": ({"aggregate": "count", "of": "insatser",
                 "where": "startdatum >= period_start AND startdatum <= period_end"
                          " AND insatstyp = 'arbetslivsinriktad'"},
                lambda w, p, ps, pe: [i for i in w.insatser_of_person(p["person_id"])
                                    if _in_period(i["startdatum"], ps, pe) and i["insatstyp"] == "arbetslivsinriktad"]),
    "ins_ongoing": ({"aggregate": "count", "of": "insatser",
                     "where": "startdatum <= period_end AND (slutdatum IS NULL OR slutdatum >= period_start)"},
                    lambda w, p, ps, pe: [i for i in w.insatser_of_person(p["person_id"])
                                        if _and(_le(i["startdatum"], pe), _or(i["slutdatum"] is None,
                                                                               _ge(i["slutdatum"], ps))) is True]),
    "ins_year_before": ({"aggregate": "count", "of": "insatser", "where": "year(startdatum) = year(period_start) - 1"},
                        lambda w, p, ps, pe: [i for i in w.insatser_of_person(p["person_id"])
                                            if i["startdatum"].year == ps.year - 1]),
    "sam_start": ({"aggregate": "count", "of": "samarbeten", "where": "startdatum BETWEEN period_start AND period_end"},
                  lambda w, p, ps, pe: [s for s in w.samarbeten_of_person(p["person_id"])
                                      if _in_period(s["startdatum"], ps, pe)]),
    "sam_ins": ({"aggregate": "count", "of": "samarbeten.insatser",
                 "where": "startdatum BETWEEN period_start AND period_end"},
                lambda w, p, ps, pe: [i for s in w.samarbeten_of_person(p["person_id"])
                                    for i in w.insatser_of_samarbete(s["samarbete_id"])
                                    if _in_period(i["startdatum"], ps, pe)]),
}
# condition on a field value v (NULL when no related row counts) and N
FIELD_CONDITIONS = {
    "{f} >= {n}": lambda v, n: _ge(v, n),
    "{f} = {n}": lambda v, n: _eq(v, n),
    "coalesce({f}, 0) < {n}": lambda v, n: (0 if v is None else v) < n,
    "{f} IS NULL": lambda v, n: v is None,
    "NOT ({f} >= {n})": lambda v, n: _not(_ge(v, n)),
}


@st.composite
def field_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    data = draw(worlds(period))
    fields = draw(st.lists(st.sampled_from(sorted(PERSON_FIELDS)), min_size=1, max_size=2, unique=True))
    conditions = [(draw(st.sampled_from(fields)), draw(st.sampled_from(sorted(FIELD_CONDITIONS))),
                   draw(st.integers(0, 3))) for _ in range(draw(st.integers(1, 2)))]
    plain = draw(st.sampled_from([None, "kon = 'K'", "fodelsear < 1980"]))
    measure = draw(st.sampled_from(["count", "sum", "mean", "median"]))
    return period, data, fields, conditions, plain, measure


def share_row(units, numerator):
    num = sum(1 for u in units if numerator(u) is True)
    return {"value": num / len(units) if units else None, "n": len(units), "numerator": num, "denominator": len(units)}


PLAINS = {None: lambda u: True, "kon = 'K'": lambda u: _eq(g(u, "kon"), "K"),
          "fodelsear < 1980": lambda u: _lt(g(u, "fodelsear"), 1980)}


@settings(max_examples=30, **SETTINGS)
@given(case=field_cases())
def test_fields_counting_related_rows_in_the_period(catalogue, case):
    """Each field's value (its sum over all persons), then "at least N" style conditions on drawn fields."""
    period, data, fields, conditions, plain, kind = case
    first, last = PERIODS[period]
    w = World(data)
    persons = w.units("person")

    def value(u, f):  # docs §1: a count that finds no row is NULL, not 0
        return len(PERSON_FIELDS[f][1](w, u[""], first, last)) or None

    with Engine(catalogue, data) as engine:
        for f in sorted(PERSON_FIELDS):  # the condition holds for every person; the field places by the period
            population = {"entity": "person", "period": {"placed_by": "conditions"},
                          "fields": {f: PERSON_FIELDS[f][0]}, "where": f"coalesce({f}, 0) >= 0"}
            doc = indicator("prop_field", "count", population, {"kind": "sum", "of": f})
            expected = grouped(persons, stat_row("sum", lambda u, f=f: value(u, f)), [("kon", kon)])
            assert_rows(engine.run(doc, period), expected, to_yaml(doc))
        f, _, n = conditions[0]
        for c in sorted(FIELD_CONDITIONS):  # each kind of condition on the first drawn field
            population = {"entity": "person", "period": {"placed_by": "conditions"},
                          "fields": {f: PERSON_FIELDS[f][0]}, "where": c.format(f=f, n=n)}
            doc = indicator("prop_field", "count", population, {"kind": "count"})
            units = [u for u in persons if FIELD_CONDITIONS[c](value(u, f), n) is True]
            assert_rows(engine.run(doc, period), grouped(units, count_row, [("kon", kon)]), to_yaml(doc))

        where = [c.format(f=f, n=n) for f, c, n in conditions] + ([plain] if plain else [])
        population = {"entity": "person", "period": {"placed_by": "conditions"},
                      "fields": {f: PERSON_FIELDS[f][0] for f in fields}, "where": where}
        measure = {"kind": "count"} if kind == "count" else {"kind": kind, "of": fields[0]}
        doc = indicator("prop_fields", "count", population, measure)
        units = [u for u in persons if PLAINS[plain](u) is True
                 and all(FIELD_CONDITIONS[c](value(u, f), n) is True for f, c, n in conditions)]
        evaluate = count_row if kind == "count" else stat_row(kind, lambda u: value(u, fields[0]))
        assert_rows(engine.run(doc, period), grouped(units, evaluate, [("kon", kon)]), to_yaml(doc))


# samarbete: conditions that place it by the period, windows relative to the unit
SAM_PLACEMENTS = {
    "slutdatum BETWEEN period_start AND period_end": lambda u, ps, pe: _between(g(u, "slutdatum"), ps, pe),
    "startdatum <= period_end AND (slutdatum IS NULL OR slutdatum > period_end)":
        lambda u, ps, pe: _and(_le(g(u, "startdatum"), pe), _or(g(u, "slutdatum") is None, _gt(g(u, "slutdatum"), pe))),
    "year(startdatum) = year(period_end) AND month(startdatum) >= month(period_start)":
        lambda u, ps, pe: _and(_eq(_year(g(u, "startdatum")), pe.year), _ge(_month(g(u, "startdatum")), ps.month)),
}
SAM_FIELDS = {
    "ins_30": ({"aggregate": "count", "of": "insatser", "where": "startdatum <= unit.startdatum + 30"},
               lambda w, u, ps, pe: [i for i in w.insatser_of_samarbete(g(u, "samarbete_id"))
                                   if _le(i["startdatum"], _plus(g(u, "startdatum"), 30)) is True]),
    "ins_to_end": ({"aggregate": "count", "of": "insatser",
                    "where": "startdatum BETWEEN unit.startdatum AND period_end"},
                   lambda w, u, ps, pe: [i for i in w.insatser_of_samarbete(g(u, "samarbete_id"))
                                       if _between(i["startdatum"], g(u, "startdatum"), pe) is True]),
}
SAM_EXISTS = {
    "in_period": ({"exists": "insatser", "where": "startdatum BETWEEN period_start AND period_end"},
                  lambda w, u, ps, pe: any(_in_period(i["startdatum"], ps, pe)
                                         for i in w.insatser_of_samarbete(g(u, "samarbete_id")))),
    "within_30": ({"exists": "insatser", "where": "startdatum BETWEEN unit.startdatum AND unit.startdatum + 30"},
                  lambda w, u, ps, pe: any(_between(i["startdatum"], g(u, "startdatum"),
                                                  _plus(g(u, "startdatum"), 30)) is True
                                         for i in w.insatser_of_samarbete(g(u, "samarbete_id")))),
}


@st.composite
def window_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    data = draw(worlds(period))
    placement = draw(st.sampled_from(["startdatum"] + sorted(SAM_PLACEMENTS)))
    fields = draw(st.lists(st.sampled_from(sorted(SAM_FIELDS)), max_size=2, unique=True))
    conditions = [(f, draw(st.sampled_from(sorted(FIELD_CONDITIONS))), draw(st.integers(0, 2))) for f in fields]
    exists = draw(st.lists(st.sampled_from(sorted(SAM_EXISTS)), max_size=1))
    return period, data, placement, fields, conditions, exists


@settings(max_examples=30, **SETTINGS)
@given(case=window_cases())
def test_windows_relative_to_the_unit_and_the_period(catalogue, case):
    """Each unit-relative field (summed) and exists (as a share's numerator), then drawn conditions on them."""
    period, data, placement, fields, conditions, exists = case
    first, last = PERIODS[period]
    w = World(data)

    def population(where=(), with_fields=()):
        if placement == "startdatum":
            pop = {"entity": "samarbete", "period": "startdatum"}
        else:
            pop = {"entity": "samarbete", "period": {"placed_by": "conditions"}}
            where = [placement, *where]
        if with_fields:
            pop["fields"] = {f: SAM_FIELDS[f][0] for f in with_fields}
        if where:
            pop["where"] = list(where)
        return pop

    def placed(u):
        if placement == "startdatum":
            return first <= g(u, "startdatum") <= last
        return SAM_PLACEMENTS[placement](u, first, last) is True

    def value(u, f):
        return len(SAM_FIELDS[f][1](w, u, first, last)) or None

    units = [u for u in w.units("samarbete") if placed(u)]
    with Engine(catalogue, data) as engine:
        for f in sorted(SAM_FIELDS):
            doc = indicator("prop_window", "count", population(with_fields=[f]), {"kind": "sum", "of": f})
            expected = grouped(units, stat_row("sum", lambda u, f=f: value(u, f)), [("kon", kon)])
            assert_rows(engine.run(doc, period), expected, to_yaml(doc))
        for e in sorted(SAM_EXISTS):
            doc = indicator("prop_window", "share", population(), {"kind": "share", "numerator": SAM_EXISTS[e][0]})
            expected = grouped(units, lambda us, e=e: share_row(us, lambda u: SAM_EXISTS[e][1](w, u, first, last)),
                               [("kon", kon)])
            assert_rows(engine.run(doc, period), expected, to_yaml(doc))

        where = [c.format(f=f, n=n) for f, c, n in conditions] + [SAM_EXISTS[e][0] for e in exists]
        doc = indicator("prop_windows", "count", population(where, fields), {"kind": "count"})
        chosen = [u for u in units if all(FIELD_CONDITIONS[c](value(u, f), n) is True for f, c, n in conditions)
                  and all(SAM_EXISTS[e][1](w, u, first, last) for e in exists)]
        assert_rows(engine.run(doc, period), grouped(chosen, count_row, [("kon", kon)]), to_yaml(doc))


# ---------------------------------------------------------------------------------------
# 3. kind: ratio


RATIO_AGGREGATES = {  # (definition, Python over the units)
    "count": ({"aggregate": "count"}, len),
    "persons": ({"aggregate": "count_distinct", "of": "person_id"},
                lambda us: count_distinct(g(u, "person_id") for u in us)),
    "cases": ({"aggregate": "count_distinct", "of": "fall_id"},
              lambda us: count_distinct(g(u, "fall_id") for u in us)),
    "case_days": ({"aggregate": "sum", "of": "fall.langd_dagar"},  # calculated: slutdatum - startdatum + 1
                  lambda us: stat("sum", [None if g(u, "fall.slutdatum") is None or g(u, "fall.startdatum") is None
                                          else (g(u, "fall.slutdatum") - g(u, "fall.startdatum")).days + 1
                                          for u in us])),
    "month_offset": ({"aggregate": "sum", "of": "month(datum) - 6"},  # may sum to 0
                     lambda us: stat("sum", [g(u, "datum").month - 6 for u in us])),
    "days_in_case": ({"aggregate": "sum", "of": "datum - fall.startdatum"},
                     lambda us: stat("sum", [None if g(u, "fall.startdatum") is None
                                             else (g(u, "datum") - g(u, "fall.startdatum")).days for u in us])),
}


@st.composite
def ratio_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    pairs = st.tuples(st.sampled_from(sorted(RATIO_AGGREGATES)), st.sampled_from(sorted(RATIO_AGGREGATES)))
    return (period, draw(worlds(period)), draw(st.lists(pairs, min_size=1, max_size=4, unique=True)),
            draw(st.booleans()), draw(st.booleans()))


@settings(max_examples=50, **SETTINGS)
@given(case=ratio_cases())
def test_ratio(catalogue, case):
    period, data, pairs, only_contact, by_type = case
    first, last = PERIODS[period]
    population = {"entity": "mote", "period": "datum"}
    if only_contact:
        population["where"] = "motestyp = 'kontaktmote'"
    units = [u for u in World(data).units("mote") if first <= g(u, "datum") <= last
             and (not only_contact or g(u, "motestyp") == "kontaktmote")]
    dims = [("kon", kon)] + ([("motestyp", lambda u: g(u, "motestyp"))] if by_type else [])
    with Engine(catalogue, data) as engine:
        for num, den in pairs:
            measure = {"kind": "ratio", "numerator": RATIO_AGGREGATES[num][0],
                       "denominator": RATIO_AGGREGATES[den][0]}
            doc = indicator("prop_ratio", "ratio", population, measure, ["motestyp"] if by_type else None)

            def evaluate(us, num=num, den=den):  # docs §5: a true division, NULL when the denominator is 0
                n, d = RATIO_AGGREGATES[num][1](us), RATIO_AGGREGATES[den][1](us)
                value = None if n is None or d is None or d == 0 else n / d
                return {"value": value, "n": len(us), "numerator": n, "denominator": d}

            assert_rows(engine.run(doc, period), grouped(units, evaluate, dims), to_yaml(doc))
            # an empty population: only the total row, count aggregates 0, a sum NULL, the ratio NULL
            assert_rows(engine.run(doc, EMPTY_PERIOD), grouped([], evaluate, dims), to_yaml(doc))


# ---------------------------------------------------------------------------------------
# 4. year(), month(), age_at()


DATE_CONDITIONS = {
    "month(datum) <= 6": lambda u, ps, pe: _le(_month(g(u, "datum")), 6),
    "month(datum) IN (1, 7, 12)": lambda u, ps, pe: _month(g(u, "datum")) in (1, 7, 12),
    "month(datum) = month(period_end)": lambda u, ps, pe: _eq(_month(g(u, "datum")), pe.month),
    "month(datum) > month(period_start)": lambda u, ps, pe: _gt(_month(g(u, "datum")), ps.month),
    "year(fall.startdatum) < year(datum)": lambda u, ps, pe: _lt(_year(g(u, "fall.startdatum")), _year(g(u, "datum"))),
    "year(fall.startdatum) = year(period_start)": lambda u, ps, pe: _eq(_year(g(u, "fall.startdatum")), ps.year),
    "month(fall.startdatum) = month(datum)":
        lambda u, ps, pe: _eq(_month(g(u, "fall.startdatum")), _month(g(u, "datum"))),
    "age_at(person.fodelsear, datum) >= 49":
        lambda u, ps, pe: _ge(_age_at(g(u, "person.fodelsear"), g(u, "datum")), 49),
    "age_at(person.fodelsear, fall.startdatum) < 30":
        lambda u, ps, pe: _lt(_age_at(g(u, "person.fodelsear"), g(u, "fall.startdatum")), 30),
    "age_at(person.fodelsear, period_end) BETWEEN 30 AND 49":
        lambda u, ps, pe: _between(_age_at(g(u, "person.fodelsear"), pe), 30, 49),
}
DATE_VALUES = {
    "age_at(person.fodelsear, datum)": lambda u: _age_at(g(u, "person.fodelsear"), g(u, "datum")),
    "age_at(person.fodelsear, fall.startdatum)": lambda u: _age_at(g(u, "person.fodelsear"), g(u, "fall.startdatum")),
    "month(datum)": lambda u: _month(g(u, "datum")),
    "year(datum) - year(fall.startdatum)": lambda u: None if g(u, "fall.startdatum") is None
    else g(u, "datum").year - g(u, "fall.startdatum").year,
    "month(fall.startdatum) * 100 + year(datum) - 2000":
        lambda u: None if g(u, "fall.startdatum") is None
        else g(u, "fall.startdatum").month * 100 + g(u, "datum").year - 2000,
}


@st.composite
def date_function_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    data = draw(worlds(period))
    where = draw(st.lists(st.sampled_from(sorted(DATE_CONDITIONS)), min_size=2, max_size=3, unique=True))
    kind = draw(st.sampled_from(["mean", "median", "sum"]))
    return period, data, where, kind, draw(st.sampled_from(sorted(DATE_VALUES)))


@settings(max_examples=25, **SETTINGS)
@given(case=date_function_cases())
def test_year_month_age_at(catalogue, case):
    """Each condition alone (count), each value as a measure, then a drawn combination."""
    period, data, where, kind, of = case
    first, last = PERIODS[period]
    placed = [u for u in World(data).units("kartlaggning") if first <= g(u, "datum") <= last]

    def check(engine, conditions, measure_kind, value):
        population = {"entity": "kartlaggning", "period": "datum"}
        if conditions:
            population["where"] = conditions
        measure = {"kind": "count"} if measure_kind == "count" else {"kind": measure_kind, "of": value}
        doc = indicator("prop_dates", "count" if measure_kind in ("count", "sum") else "years", population, measure)
        units = [u for u in placed if all(DATE_CONDITIONS[c](u, first, last) is True for c in conditions)]
        evaluate = count_row if measure_kind == "count" else stat_row(measure_kind, DATE_VALUES[value])
        assert_rows(engine.run(doc, period), grouped(units, evaluate, [("kon", kon)]), to_yaml(doc))

    with Engine(catalogue, data) as engine:
        for c in sorted(DATE_CONDITIONS):
            check(engine, [c], "count", None)
        for v in sorted(DATE_VALUES):
            check(engine, [], kind, v)
        check(engine, where, kind, of)


# ---------------------------------------------------------------------------------------
# 5. band and cross breakdowns


BAND_OF = {
    "age_at(person.fodelsear, datum)": lambda u: _age_at(g(u, "person.fodelsear"), g(u, "datum")),
    "age_at(person.fodelsear, fall.startdatum)": lambda u: _age_at(g(u, "person.fodelsear"), g(u, "fall.startdatum")),
}
BAND_ORDER = ["under_30", "30_49", "50_och_aldre"]


@st.composite
def breakdown_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    data = draw(worlds(period))
    band_of = draw(st.sampled_from(sorted(BAND_OF)))
    pool = ["ersattning", "band", "cross kon ersattning", "cross kon band", "cross ersattning band"]
    items = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    return period, data, band_of, items, draw(st.sampled_from(["count", "mean"]))


@settings(max_examples=50, **SETTINGS)
@given(case=breakdown_cases())
def test_band_and_cross_breakdowns(catalogue, case):
    """Band rows (NULL: no band, value null), one row per present pair of a cross, margins as without the cross."""
    period, data, band_of, items, kind = case
    first, last = PERIODS[period]
    band = {"band": "aldersgrupp", "of": band_of}
    spec = {"kon": "kon", "ersattning": "fall.ersattning", "band": band}
    fns = {"kon": ("kon", kon), "ersattning": ("ersattning", lambda u: g(u, "fall.ersattning")),
           "band": ("aldersgrupp", lambda u: _band(BAND_OF[band_of](u)))}
    breakdowns, dims, crosses = [], [("kon", kon)], []
    for item in items:
        parts = item.split()
        if parts[0] == "cross":
            breakdowns.append({"cross": [spec[parts[1]], spec[parts[2]]]})
            crosses.append((fns[parts[1]], fns[parts[2]]))
        else:
            breakdowns.append(spec[item])
            dims.append(fns[item])
    measure = {"kind": "count"} if kind == "count" else {"kind": "mean", "of": "age_at(person.fodelsear, datum)"}
    unit = "count" if kind == "count" else "years"
    population = {"entity": "kartlaggning", "period": "datum"}
    doc = indicator("prop_breakdowns", unit, population, measure, breakdowns)
    margins_only = indicator("prop_breakdowns", unit, population, measure,
                             [b for b in breakdowns if not isinstance(b, dict) or "cross" not in b])
    with Engine(catalogue, data) as engine:
        got = engine.run(doc, period)
        margins = engine.run(margins_only, period)

    units = [u for u in World(data).units("kartlaggning") if first <= g(u, "datum") <= last]
    evaluate = count_row if kind == "count" else stat_row("mean", BAND_OF["age_at(person.fodelsear, datum)"])
    assert_rows(got, grouped(units, evaluate, dims, crosses), to_yaml(doc))
    # a cross adds rows and changes no marginal row
    def by_breakdown(rows):
        return {tuple(r["breakdown"].items()): r for r in rows if len(r["breakdown"]) < 2}

    assert by_breakdown(got) == by_breakdown(margins), to_yaml(doc)
    # docs §6: the bands keep their declared order in the output (not the alphabetical one)
    codes = [r["breakdown"]["aldersgrupp"] for r in got if list(r["breakdown"]) == ["aldersgrupp"]]
    present = [c for c in codes if c is not None]
    assert present == sorted(present, key=BAND_ORDER.index), codes


# ---------------------------------------------------------------------------------------
# 6. population: {from: base, where: extra}


BASES = {
    "base_avslutade": {"entity": "samarbete", "period": "slutdatum", "where": "avslutsorsak = 'efter_insats'"},
    "base_pagaende": {"entity": "ersattningsfall",
                      "period": {"ongoing": {"start": "startdatum", "end": "slutdatum"}, "on": "last_day"},
                      "where": ["ersattning = 'sjukpenning'"]},
    "base_forsta": {"entity": "insats", "period": "startdatum", "where": "finansiar = 'samordningsforbund'",
                    "one_per": {"key": "person_id", "first_by": ["startdatum", "insats_id"]}},
    "base_forsta_req": {"entity": "insats", "period": "startdatum",
                        "one_per": {"key": "person_id", "first_by": ["startdatum", "insats_id"]},
                        "require": ["behovsgrupp <> 'ovriga'"]},
    "base_personer": {"entity": "person", "period": {"placed_by": "conditions"},
                      "fields": {"ins_i_perioden": {"aggregate": "count", "of": "insatser",
                                                    "where": "startdatum BETWEEN period_start AND period_end"}},
                      "where": "ins_i_perioden >= 1"},
}


def base_population(name, w, first, last):
    """The base's units, from its definition above (one_per: among the placed units meeting `where`,
    the first by the keys ascending; `require` on the chosen unit)."""
    entity = BASES[name]["entity"]
    units = w.units(entity)
    if name == "base_avslutade":
        return [u for u in units if _in_period(g(u, "slutdatum"), first, last)
                and g(u, "avslutsorsak") == "efter_insats"]
    if name == "base_pagaende":
        return [u for u in units if ongoing(g(u, "startdatum"), g(u, "slutdatum"), first, last, "last_day")
                and g(u, "ersattning") == "sjukpenning"]
    if name in ("base_forsta", "base_forsta_req"):
        eligible = [u for u in units if first <= g(u, "startdatum") <= last
                    and (name != "base_forsta" or g(u, "finansiar") == "samordningsforbund")]
        chosen = {}
        for u in eligible:
            key = g(u, "person_id")
            if key not in chosen or (g(u, "startdatum"), g(u, "insats_id")) < (g(chosen[key], "startdatum"),
                                                                              g(chosen[key], "insats_id")):
                chosen[key] = u
        units = list(chosen.values())
        if name == "base_forsta_req":
            units = [u for u in units if _not(_eq(g(u, "behovsgrupp"), "ovriga")) is True]
        return units
    return [u for u in units
            if any(_in_period(i["startdatum"], first, last) for i in w.insatser_of_person(g(u, "person_id")))]


EXTRAS = {  # entity -> condition -> Python (w, u, first, last)
    "samarbete": {
        "utfall = 'arbete'": lambda w, u, ps, pe: _eq(g(u, "utfall"), "arbete"),
        "fall.ersattning = 'sjukpenning'": lambda w, u, ps, pe: _eq(g(u, "fall.ersattning"), "sjukpenning"),
        "startdatum >= period_start": lambda w, u, ps, pe: _ge(g(u, "startdatum"), ps),
        "exists arbetslivsinriktad": lambda w, u, ps, pe: any(i["insatstyp"] == "arbetslivsinriktad"
                                                            for i in w.insatser_of_samarbete(g(u, "samarbete_id"))),
    },
    "ersattningsfall": {
        "diagnoskod LIKE 'F%'": lambda w, u, ps, pe: None if g(u, "diagnoskod") is None
        else g(u, "diagnoskod").startswith("F"),
        "startdatum >= period_start": lambda w, u, ps, pe: _ge(g(u, "startdatum"), ps),
        "person.kon = 'K'": lambda w, u, ps, pe: _eq(g(u, "person.kon"), "K"),
    },
    "insats": {
        "insatstyp = 'arbetslivsinriktad'": lambda w, u, ps, pe: _eq(g(u, "insatstyp"), "arbetslivsinriktad"),
        "behovsgrupp = 'ovriga'": lambda w, u, ps, pe: _eq(g(u, "behovsgrupp"), "ovriga"),
        "startdatum > period_start": lambda w, u, ps, pe: _gt(g(u, "startdatum"), ps),
    },
    "person": {
        "kon = 'K'": lambda w, u, ps, pe: _eq(g(u, "kon"), "K"),
        "fodelsear < 1980": lambda w, u, ps, pe: _lt(g(u, "fodelsear"), 1980),
        "exists samarbeten": lambda w, u, ps, pe: bool(w.samarbeten_of_person(g(u, "person_id"))),
    },
}


def extra_spec(condition):
    if condition == "exists arbetslivsinriktad":
        return {"exists": "insatser", "where": "insatstyp = 'arbetslivsinriktad'"}
    if condition == "exists samarbeten":
        return {"exists": "samarbeten"}
    return condition


@st.composite
def reuse_cases(draw):
    period = draw(st.sampled_from(sorted(PERIODS)))
    base = draw(st.sampled_from(sorted(BASES) + ["base_forsta", "base_forsta_req"]))  # one_per twice as often
    data = draw(worlds(period, insatser=24 if BASES[base]["entity"] == "insats" else 16))
    extras = draw(st.lists(st.sampled_from(sorted(EXTRAS[BASES[base]["entity"]])), min_size=1, max_size=2,
                           unique=True))
    return period, data, base, extras, draw(st.sampled_from(["count", "count_distinct"]))


@settings(max_examples=40, **SETTINGS)
@given(case=reuse_cases())
def test_population_from_another_indicator(catalogue, case):
    """The base alone, then from: base with each extra condition alone and with the drawn ones together."""
    period, data, base, extras, kind = case
    first, last = PERIODS[period]
    measure = {"kind": "count"} if kind == "count" else {"kind": "count_distinct", "of": "person_id"}
    base_doc = indicator(base, "count", BASES[base], measure)
    w = World(data)
    if kind == "count":
        evaluate = count_row
    else:
        def evaluate(us):
            return {"value": count_distinct(g(u, "person_id") for u in us), "n": len(us),
                    "numerator": None, "denominator": None}
    base_units = base_population(base, w, first, last)
    entity = BASES[base]["entity"]
    with Engine(catalogue, data) as engine:
        # the base alone (so that a difference below is about `from`, not about the base)
        assert_rows(engine.run(base_doc, period), grouped(base_units, evaluate, [("kon", kon)]), to_yaml(base_doc))
        for chosen in [[e] for e in sorted(EXTRAS[entity])] + [extras]:
            where = [extra_spec(e) for e in chosen]
            doc = indicator("prop_from", "count", {"from": base, "where": where if len(where) > 1 else where[0]},
                            measure)
            units = [u for u in base_units if all(EXTRAS[entity][e](w, u, first, last) is True for e in chosen)]
            assert_rows(engine.run(doc, period, bases=[base_doc]), grouped(units, evaluate, [("kon", kon)]),
                        to_yaml(doc))
