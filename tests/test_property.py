"""Property: for random definitions on random data, the compiled SQL equals a plain-Python evaluation.

Definitions draw filters, breakdowns and a measure (count, count_distinct, share, mean,
median, sum, percentile) from pools whose Python meaning is written out here with SQL's three-valued
logic (NULL comparisons are unknown; WHERE keeps only true). Data includes NULLs, dangling
foreign keys (LEFT JOIN gives NULL columns), empty tables and empty groups.
"""
import datetime as dt
import math
import statistics

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import Diagnostics
from engine.execute import Dataset, load_tables, run_indicator
from engine.load import load_text
from engine.periods import parse_period
from engine.resolve import resolve_indicator
from engine.validate import validate_schema

D0 = dt.date(2017, 10, 1)


def _not(v):
    return None if v is None else not v


def _cmp(a, b, op):
    return None if a is None or b is None else op(a, b)


# condition text -> f(row) with row = {"s": samarbete, "f": fall or {}, "p": person or {}, "ins": [insats]}
CONDITIONS = {
    "avslutsorsak = 'efter_insats'": lambda r: _cmp(r["s"]["avslutsorsak"], "efter_insats", lambda a, b: a == b),
    "utfall IN ('arbete', 'utbildning')": lambda r: None if r["s"]["utfall"] is None
    else r["s"]["utfall"] in ("arbete", "utbildning"),
    "NOT (utfall = 'annat')": lambda r: _not(_cmp(r["s"]["utfall"], "annat", lambda a, b: a == b)),
    "fall.diagnoskod LIKE 'F%'": lambda r: None if r["f"].get("diagnoskod") is None
    else r["f"]["diagnoskod"].startswith("F"),
    "fall.slutdatum IS NULL": lambda r: r["f"].get("slutdatum") is None,
    "startdatum >= '2018-03-01'": lambda r: _cmp(r["s"]["startdatum"], dt.date(2018, 3, 1), lambda a, b: a >= b),
    "slutdatum - startdatum > 100": lambda r: _cmp(r["s"]["slutdatum"], r["s"]["startdatum"],
                                                   lambda a, b: (a - b).days > 100),
    "person.fodelsear < 1980": lambda r: _cmp(r["p"].get("fodelsear"), 1980, lambda a, b: a < b),
    "lamnat_sjukforsakringen": lambda r: None if r["s"]["utfall"] is None
    else r["s"]["utfall"] in ("arbete", "utbildning", "arbetsmarknadspolitiskt_program", "oppet_arbetslos"),
    "{exists: insatser, where: \"insatstyp = 'arbetslivsinriktad'\"}":
        lambda r: any(i["insatstyp"] == "arbetslivsinriktad" for i in r["ins"]),
}
VALUES = {
    "slutdatum - startdatum": lambda r: (r["s"]["slutdatum"] - r["s"]["startdatum"]).days,
    "slutdatum - fall.startdatum + 1": lambda r: None if r["f"].get("startdatum") is None
    else (r["s"]["slutdatum"] - r["f"]["startdatum"]).days + 1,
    "person.fodelsear": lambda r: r["p"].get("fodelsear"),
}
BREAKDOWNS = {"fall.ersattning": lambda r: r["f"].get("ersattning"),
              "avslutsorsak": lambda r: r["s"]["avslutsorsak"], "utfall": lambda r: r["s"]["utfall"]}


def dates(lo=0, hi=500):
    return st.integers(lo, hi).map(lambda d: D0 + dt.timedelta(days=d))


@st.composite
def datasets(draw):
    persons = [{"person_id": i, "kon": draw(st.sampled_from(["K", "M"])),
                "fodelsear": draw(st.integers(1960, 2000))} for i in range(draw(st.integers(0, 5)))]
    cases = []
    for i in range(draw(st.integers(0, 6))):
        start = draw(dates(0, 200))
        cases.append({"fall_id": 100 + i, "person_id": draw(st.integers(0, 6)),
                      "ersattning": draw(st.sampled_from(["sjukpenning", "aktivitetsersattning"])),
                      "startdatum": start, "slutdatum": draw(st.none() | st.just(start + dt.timedelta(days=300))),
                      "diagnoskod": draw(st.sampled_from([None, "F32.1", "M54.5", "f43"])), "avslutsorsak": None})
    participations = []
    for i in range(draw(st.integers(0, 12))):
        start = draw(dates(0, 300))
        end = draw(st.none() | st.integers(0, 400).map(lambda d, start=start: start + dt.timedelta(days=d)))
        participations.append({
            "samarbete_id": 1000 + i, "kartlaggning_id": 5000 + i, "person_id": draw(st.integers(0, 6)),
            "fall_id": draw(st.integers(99, 107)), "startdatum": start, "slutdatum": end,
            "avslutsorsak": draw(st.sampled_from([None, "efter_insats", "utan_insats"])),
            "utfall": draw(st.sampled_from([None, "arbete", "utbildning", "oppet_arbetslos", "annat",
                                            "fortsatt_ersattning"]))})
    interventions = [{"insats_id": 9000 + i, "person_id": 0, "finansiar": "forstarkt_samarbete",
                      "samarbete_id": draw(st.integers(999, 1011)), "forbund_id": None,
                      "insatstyp": draw(st.sampled_from(["forberedande", "arbetslivsinriktad"])),
                      "behovsgrupp": None, "startdatum": D0, "slutdatum": None}
                     for i in range(draw(st.integers(0, 8)))]
    return {"person": persons, "ersattningsfall": cases, "samarbete": participations, "insats": interventions}


@st.composite
def definitions(draw):
    where = draw(st.lists(st.sampled_from(sorted(CONDITIONS)), max_size=2, unique=True))
    breakdowns = draw(st.lists(st.sampled_from(sorted(BREAKDOWNS)), max_size=2, unique=True))
    kind = draw(st.sampled_from(["count", "count_distinct", "share", "mean", "median", "sum", "percentile"]))
    measure = {"kind": kind}
    if kind == "share":
        measure["numerator"] = draw(st.sampled_from(sorted(CONDITIONS)))
    elif kind == "count_distinct":
        measure["of"] = "person_id"
    elif kind in ("mean", "median", "sum", "percentile"):
        measure["of"] = draw(st.sampled_from(sorted(VALUES)))
        if kind == "percentile":
            measure["p"] = draw(st.sampled_from([0.1, 0.25, 0.9]))
    return where, breakdowns, measure, draw(st.sampled_from(["2018", "2018H1", "2018Q2", "2018-02"]))


def yaml_of(where, breakdowns, measure):
    lines = ["id: prop", "version: 1", "title: {sv: P, en: P}", "description: {sv: P, en: P}", "unit: count",
             "owner: test", "population:", "  entity: samarbete", "  period: slutdatum"]
    if where:
        lines.append("  where:")
        lines += [f"    - {w}" if w.startswith("{") else f"    - \"{w}\"" for w in where]
    lines += ["measure:", f"  kind: {measure['kind']}"]
    if "of" in measure:
        lines.append(f"  of: \"{measure['of']}\"")
    if "p" in measure:
        lines.append(f"  p: {measure['p']}")
    if "numerator" in measure:
        n = measure["numerator"]
        lines.append(f"  numerator: {n}" if n.startswith("{") else f"  numerator: \"{n}\"")
    if breakdowns:
        lines.append(f"breakdowns: [{', '.join(breakdowns)}]")
    return "\n".join(lines) + "\n"


def continuous_quantile(values, p):
    """The exact interpolated quantile (PERCENTILE_CONT): between the two nearest ranks."""
    v = sorted(values)
    position = (len(v) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(v) - 1)
    return v[low] + (v[high] - v[low]) * (position - low)


def reference(tables, where, breakdowns, measure, period):
    p = parse_period(period)
    falls = {f["fall_id"]: f for f in tables["ersattningsfall"]}
    persons = {x["person_id"]: x for x in tables["person"]}
    population = []
    for s in tables["samarbete"]:
        r = {"s": s, "f": falls.get(s["fall_id"], {}), "p": persons.get(s["person_id"], {}),
             "ins": [i for i in tables["insats"] if i["samarbete_id"] == s["samarbete_id"]]}
        if s["slutdatum"] is None or not (p.first <= s["slutdatum"] <= p.last):
            continue
        if all(CONDITIONS[w](r) is True for w in where):
            population.append(r)

    def evaluate(units):
        row = {"value": None, "numerator": None, "denominator": None, "n": len(units)}
        kind = measure["kind"]
        if kind == "count":
            row["value"] = len(units)
        elif kind == "count_distinct":
            row["value"] = len({u["s"]["person_id"] for u in units})
        elif kind == "share":
            num = sum(1 for u in units if CONDITIONS[measure["numerator"]](u) is True)
            row.update(numerator=num, denominator=len(units), value=num / len(units) if units else None)
        else:
            values = [v for v in (VALUES[measure["of"]](u) for u in units) if v is not None]
            if values:
                row["value"] = {"mean": statistics.fmean, "median": statistics.median, "sum": sum,
                                "percentile": lambda v: continuous_quantile(v, measure["p"])}[kind](values)
        return row

    rows = {(): evaluate(population)}
    dims = [("kon", lambda r: r["p"].get("kon"))] + [(b.split(".")[-1], BREAKDOWNS[b]) for b in breakdowns]
    for name, f in dims:
        for value in {f(u) for u in population}:
            rows[((name, value),)] = evaluate([u for u in population if f(u) == value])
    return rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=datasets(), definition=definitions())
def test_compiled_sql_equals_python_reference(catalogue, data, definition):
    where, breakdowns, measure, period = definition
    diags = Diagnostics()
    doc = load_text(yaml_of(where, breakdowns, measure), "prop.yaml", diags)
    assert validate_schema(doc, "indicator", diags), [str(d) for d in diags.items]
    bound = resolve_indicator(doc, catalogue.model, diags)
    assert bound is not None, [str(d) for d in diags.items]
    con = duckdb.connect()
    try:
        load_tables(con, catalogue.model, data)
        got = run_indicator(Dataset(con, "prop"), bound, parse_period(period))
    finally:
        con.close()
    expected = reference(data, where, breakdowns, measure, period)
    got_rows = {tuple(r["breakdown"].items()): r for r in got}
    assert set(got_rows) == set(expected)
    for key, e in expected.items():
        g = got_rows[key]
        assert (g["numerator"], g["denominator"], g["n"]) == (e["numerator"], e["denominator"], e["n"]), key
        if e["value"] is None:
            assert g["value"] is None, key
        else:
            assert math.isclose(g["value"], e["value"], rel_tol=1e-9, abs_tol=1e-9), (key, g, e)
