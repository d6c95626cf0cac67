"""Plain-language rendering of a definition, in Swedish and English, for reviewers.

Like Circe's print-friendly cohort text: each step of the population in order, the
measure, the breakdowns and the published figures, from the YAML as written, with the
model's descriptions of calculated columns.
"""
from __future__ import annotations

import math
from typing import Any

from .catalogue import Catalogue
from .info import PublishedFigure
from .present import format_number

TEXT: dict[str, dict[str, Any]] = {  # per language: format strings, and "aggs" a dict of words
    "sv": {
        "population": "Population", "units": "en enhet per rad i {entity} ({plural})",
        "period": "som hamnar i perioden genom {col} (första och sista dagen ingår)",
        "ongoing": "som pågick någon gång under perioden: från {start} till {end} (inget slutdatum = pågår)",
        "stock_last_day": "som pågick periodens sista dag: från {start} till {end} (inget slutdatum = pågår)",
        "stock_first_day": "som pågick periodens första dag: från {start} till {end} (inget slutdatum = pågår)",
        "placed_by": "som hamnar i perioden genom villkoren nedan (period_start = periodens första dag, "
                     "period_end = dess sista)",
        "from": "Populationen är densamma som i {base} (version {version})", "from_where": "Ytterligare villkor",
        "ratio": "kvot: {num} delat med {den}",
        "where": "Villkor (alla ska gälla)", "exists": "det finns minst en rad via {path}",
        "exists_where": "det finns minst en rad via {path} där {cond}",
        "field": "{name} = {agg} av {of}", "fields": "Härledda värden",
        "one_per": "En enhet per {key}: den första ordnad efter {order}",
        "lookup": "{name} = raden i {entity} som pågick {on} (samma {match}){where}",
        "lookups": "Uppslag", "require": "Krav på den valda enheten",
        "measure": "Mått", "count": "antal enheter", "count_distinct": "antal olika {of}",
        "share": "andel av enheterna där {num}", "mean": "medelvärde av {of}", "median": "median av {of}",
        "sum": "summa av {of}", "percentile": "percentil {p} av {of}",
        "breakdowns": "Redovisas", "total": "totalt", "by": "per {b}",
        "band": "{name} = bandet som {of} hamnar i: {bands}; inget band om värdet saknas",
        "band_from": "från {v}", "band_below": "under {v}", "no_kon": "inte per kön: {why}",
        "published": "Publicerade siffror", "calc": "där {name}: {desc}",
        "aggs": {"min": "minsta", "max": "största", "count": "antal", "sum": "summa"},
    },
    "en": {
        "population": "Population", "units": "one unit per row of {entity} ({plural})",
        "period": "placed in the period by {col} (first and last day included)",
        "ongoing": "ongoing at some time during the period: from {start} to {end} (no end = still ongoing)",
        "stock_last_day": "ongoing on the period's last day: from {start} to {end} (no end = still ongoing)",
        "stock_first_day": "ongoing on the period's first day: from {start} to {end} (no end = still ongoing)",
        "placed_by": "placed in the period by the conditions below (period_start = the period's first day, "
                     "period_end = its last)",
        "from": "The population is that of {base} (version {version})", "from_where": "Additional conditions",
        "ratio": "ratio: {num} divided by {den}",
        "where": "Conditions (all must hold)", "exists": "there is at least one row via {path}",
        "exists_where": "there is at least one row via {path} where {cond}",
        "field": "{name} = {agg} of {of}", "fields": "Derived values",
        "one_per": "One unit per {key}: the first ordered by {order}",
        "lookup": "{name} = the row of {entity} ongoing on {on} (same {match}){where}",
        "lookups": "Lookups", "require": "Required of the chosen unit",
        "measure": "Measure", "count": "number of units", "count_distinct": "number of distinct {of}",
        "share": "share of the units where {num}", "mean": "mean of {of}", "median": "median of {of}",
        "sum": "sum of {of}", "percentile": "percentile {p} of {of}",
        "breakdowns": "Reported", "total": "in total", "by": "by {b}",
        "band": "{name} = the band {of} falls in: {bands}; no band when the value is missing",
        "band_from": "from {v}", "band_below": "below {v}", "no_kon": "not by sex: {why}",
        "published": "Published figures", "calc": "where {name}: {desc}",
        "aggs": {"min": "the earliest/smallest", "max": "the latest/largest", "count": "the number", "sum": "the sum"},
    },
}


def _conditions(value, t) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            if "where" in item:
                cond = " AND ".join(_conditions(item["where"], t))
                out.append(t["exists_where"].format(path=item["exists"], cond=cond))
            else:
                out.append(t["exists"].format(path=item["exists"]))
        else:
            out.append(str(item))
    return out


def _figure(fig: PublishedFigure, unit: str) -> str:
    holds = fig.holds
    when = fig.period or "–".join(fig.periods)
    where = "".join(f" {k}={v}" for k, v in fig.breakdown.items())
    if holds == "rounds_to":
        assert fig.precision is not None  # required with rounds_to (checked when the indicator is resolved)
        decimals = max(0, -round(math.log10(fig.precision * (100 if unit == "share" else 1))))
        claim = format_number(fig.value, unit, decimals, thousands=" ")
    else:
        parts = [f"{k} {getattr(fig, k)}" for k in ("value", "min", "max", "tolerance", "compare_to")
                 if getattr(fig, k) is not None]
        claim = f"{holds} ({', '.join(parts)})" if parts else holds
    text = f' "{fig.text}"' if fig.text else ""
    place = f", {fig.at}" if fig.at else ""
    return f"{when}{where}: {claim}{text} [{fig.source}{place}]"


def _placement(spec, t) -> str:
    if isinstance(spec, str) or "date" in spec:
        return t["period"].format(col=spec if isinstance(spec, str) else spec["date"])
    if "ongoing" in spec:
        key = {"last_day": "stock_last_day", "first_day": "stock_first_day"}.get(spec.get("on"), "ongoing")
        return t[key].format(start=spec["ongoing"]["start"], end=spec["ongoing"]["end"])
    return t["placed_by"]


def _bands(specs: list, model, lang: str, t: dict) -> list[str]:
    """One line per band breakdown: the number classified and each band's range, from the model."""
    out: list[str] = []
    for spec in specs:
        items = spec["cross"] if isinstance(spec, dict) and "cross" in spec else [spec]
        for item in items:
            if not (isinstance(item, dict) and "band" in item) or item["band"] not in model.classifications:
                continue
            c = model.classifications[item["band"]]
            ranges = []
            for band in c.bands:
                low = "" if band.low is None else t["band_from"].format(v=format_number(band.low))
                high = "" if band.high is None else t["band_below"].format(v=format_number(band.high))
                ranges.append(f"{band.label.get(lang, band.code)} ({' '.join(x for x in (low, high) if x)})")
            out.append(t["band"].format(name=c.title.get(lang, c.name), of=item["of"], bands="; ".join(ranges)))
    return out


def explain(catalogue: Catalogue, indicator_id: str, languages=("sv", "en")) -> str:
    bound = catalogue.get(indicator_id)
    info, model = bound.info, catalogue.model
    assert model is not None  # an indicator is only resolved against a model
    data = catalogue.documents[indicator_id].data   # the population and measure as written, step by step
    pop = data["population"]
    chain = []  # (indicator id, its extra conditions), nearest first: population: {from: ...}
    while "from" in pop:
        chain.append((pop["from"], pop.get("where")))
        pop = catalogue.documents[pop["from"]].data["population"]
    entity = model.entities[pop["entity"]]
    lines = [f"{info.id} (version {info.version}, unit: {info.unit}, owner: {info.owner})"]
    for lang in languages:
        t = TEXT[lang]
        lines += ["", f"[{lang}] {info.title[lang]}", f"    {info.description[lang]}", ""]
        lines.append(f"{t['population']}: " + t["units"].format(entity=entity.name,
                                                                  plural=entity.plural.get(lang, entity.name)))
        for base, _ in chain[:1]:
            lines.append(t["from"].format(base=" → ".join(b for b, _ in chain),
                                          version=catalogue.get(base).info.version if base in catalogue.indicators
                                          else "?"))
        lines.append("    " + _placement(pop["period"], t))
        for fname, f in pop.get("fields", {}).items():
            lines.append(f"{t['fields']}: " + t["field"].format(name=fname, agg=t["aggs"][f["aggregate"]], of=f["of"])
                         + (f" ({' AND '.join(_conditions(f['where'], t))})" if "where" in f else ""))
        if "where" in pop:
            lines.append(f"{t['where']}:")
            lines += [f"    - {c}" for c in _conditions(pop["where"], t)]
        if "one_per" in pop:
            lines.append(t["one_per"].format(key=pop["one_per"]["key"], order=", ".join(pop["one_per"]["first_by"])))
        for lname, lk in pop.get("lookups", {}).items():
            temporal = model.temporal[lk["temporal"]]
            where = f", {' AND '.join(_conditions(lk['where'], t))}" if "where" in lk else ""
            lines.append(f"{t['lookups']}: " + t["lookup"].format(name=lname, entity=temporal.entity, on=lk["on"],
                                                                  match=temporal.match_on, where=where))
        if "require" in pop:
            lines.append(f"{t['require']}:")
            lines += [f"    - {c}" for c in _conditions(pop["require"], t)]
        for base, extra in reversed(chain):
            if extra is not None:
                lines.append(f"{t['from_where']} ({base} →):")
                lines += [f"    - {c}" for c in _conditions(extra, t)]
        m = data["measure"]
        if m["kind"] == "ratio":
            side = {k: f"{t[m[k]['aggregate']].format(of=m[k].get('of'))}" for k in ("numerator", "denominator")}
            lines.append(f"{t['measure']}: " + t["ratio"].format(num=side["numerator"], den=side["denominator"]))
        else:
            num = " AND ".join(_conditions(m["numerator"], t)) if "numerator" in m else ""
            lines.append(f"{t['measure']}: " + t[m["kind"]].format(of=m.get("of"), num=num, p=m.get("p")))
        parts = [t["total"]] + [t["by"].format(b=b.name) for b in bound.breakdowns]
        parts += [t["by"].format(b=f"{a.name} × {b.name}") for a, b in bound.crosses]
        lines.append(f"{t['breakdowns']}: " + ", ".join(parts))
        lines += ["    " + text for text in _bands(data.get("breakdowns", []), model, lang, t)]
        if info.omit_kon_because:
            lines.append("    " + t["no_kon"].format(why=info.omit_kon_because))
        used = _calculated_used(data, model)
        for name, desc in used:
            lines.append("    " + t["calc"].format(name=name, desc=desc.get(lang, "")))
    if info.published:
        lines += ["", f"{TEXT['sv']['published']} / {TEXT['en']['published']}:"]
        lines += [f"    - {_figure(f, info.unit)}" for f in info.published]
        cited = dict.fromkeys(f.source for f in info.published)
        lines += ["", "Källor / Sources:"] + [f"    - {s}: {catalogue.project.citation(s)}" for s in cited]
    if info.changes:
        lines += ["", "Ändringar / Changes:"]
        lines += [f"    - version {c.version} ({c.date}): {c.what} Skäl / why: {c.why}" for c in info.changes]
    from .versions import description_note
    for code, note in description_note(catalogue, indicator_id):
        lines += ["", f"{code}: {note}"]
    return "\n".join(lines) + "\n"


def _calculated_used(data: dict, model) -> list[tuple[str, dict]]:
    text = repr(data["population"]) + repr(data["measure"])
    seen = []
    for ent in model.entities.values():
        for name, calc in ent.calculated.items():
            if name in text and (name, calc.description) not in seen:
                seen.append((name, calc.description))
    return seen
