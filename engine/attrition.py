"""Attrition: the population step by step, like the inclusion-rule report of OHDSI ATLAS.

A stage beside plan/render. From a bound indicator, where its population is written
(`resolve.population_origins`) and a period come the ordered steps:

0. the rows of the unit entity placed in the period (every row when the conditions place it);
1. each condition of `where`, cumulatively (a row counts when it passes this condition
   and every one before it); with `population: {from: ...}` the base's conditions come
   first, marked as the base's;
2. `one_per`: the rows chosen, one per key (rank 1 among the rows that pass every `where`);
3. each condition of `require` (and a derived indicator's own `where`), cumulatively. A
   lookup is a LEFT JOIN that keeps every row; it restricts only through the conditions
   that use it, and those steps say so.

Each step is counted in total and by kön (the indicator's own `kon` breakdown; totals only
when it has none) in one query, built as sqlglot trees only:

    candidates (only with one_per): the rows in the period, one 0/1 flag per `where` step,
        ranked per key among the rows that pass every `where`;
    steps: per row, kön and one cumulative 0/1 flag per step;
    SUM of each flag, GROUP BY GROUPING SETS ((), (kon)).

The last step's count is the `n` of the indicator's total row for the same period.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from .backends.base import Backend, QueryFailed
from .diagnostics import Diagnostic, EngineError, Position
from .explain import TEXT, _conditions, _placement
from .periods import Period
from .plan import RANK, date_literal
from .present import NO_VALUE, aligned, format_number
from .render import DIALECTS, CompileRefused, _dialect_fixes, _join
from .resolve import BoundIndicator, Breakdown, LookupJoin, Origin, PopulationOrigins

FLAG = "attrition_step_"   # a step's 0/1 column (the prefix keeps it apart from the entity's own columns)
KON = "attrition_kon"
KINDS = {"sv": {"period": "period", "where": "villkor", "one_per": "one_per", "require": "require"},
         "en": {"period": "period", "where": "condition", "one_per": "one_per", "require": "require"}}
WORDS = {
    "sv": {"all_rows": "alla rader i {entity} (villkoren nedan placerar dem i perioden)",
           "from": "från {base}", "lookup": "uppslag"},
    "en": {"all_rows": "every row of {entity} (the conditions below place them in the period)",
           "from": "from {base}", "lookup": "lookup"},
}


@dataclass
class StepSpec:
    """One step of the attrition, before counting: what it keeps, in words, and where it is written."""
    number: int
    kind: str                            # period | where | one_per | require
    text: dict[str, str]                 # the step in words per language (the condition as written)
    position: Position
    base: str | None = None              # the base indicator that holds it (population: {from: ...})
    notes: dict[str, list[str]] = field(default_factory=dict)  # per language: the lookups the condition uses

    def label(self, lang: str = "sv") -> str:
        kind = KINDS[lang][self.kind]
        if self.base:
            kind += f" ({WORDS[lang]['from'].format(base=self.base)})"
        return f"{kind}: {self.text[lang]}"


@dataclass
class Step:
    """One counted step."""
    spec: StepSpec
    count: int
    by_kon: dict[str | None, int]        # kön value (None: missing) → count; empty without a kon breakdown
    kept: float | None                   # count / the previous step's count; None for step 0 or after 0
    kept_of_first: float | None          # count / step 0's count; None when step 0 is 0

    def as_dict(self) -> dict[str, Any]:
        s = self.spec
        return {"step": s.number, "kind": s.kind, "label": s.label("sv"), "label_en": s.label("en"),
                "condition": s.text["sv"], "position": str(s.position), "from": s.base,
                "notes": s.notes.get("sv", []), "count": self.count,
                "by_kon": [{"kon": k, "count": n} for k, n in self.by_kon.items()],
                "kept": self.kept, "kept_of_first": self.kept_of_first}


@dataclass
class Attrition:
    """The population of one indicator and period, step by step."""
    indicator: str
    version: int
    title: dict
    period: str
    entity: str
    kon: list[tuple[str | None, str]]    # the kön columns: (stored value, label); [] without a kon breakdown
    steps: list[Step]
    omit_kon_because: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "version": self.version, "title": self.title, "period": self.period,
                "entity": self.entity, "kon": [{"kon": k, "label": label} for k, label in self.kon],
                "omit_kon_because": self.omit_kon_because, "steps": [s.as_dict() for s in self.steps]}


def kon_breakdown(bound: BoundIndicator) -> Breakdown | None:
    """The indicator's kön breakdown (the default one on the unit's person, or listed), None without one."""
    for b in [*bound.breakdowns, *(b for pair in bound.crosses for b in pair)]:
        if b.name == "kon":
            return b
    return None


def _lookup_notes(written: object, origins: PopulationOrigins, bound: BoundIndicator) -> dict[str, list[str]]:
    """What the lookups a condition uses are, in words (explain's wording), per language."""
    notes: dict[str, list[str]] = {"sv": [], "en": []}
    text = repr(written)
    temporals = {j.temporal.name: j.temporal for j in bound.joins if isinstance(j, LookupJoin)}
    for lookup in origins.lookups:
        if not re.search(rf"\b{re.escape(lookup.name)}\b", text) or not isinstance(lookup.written, dict):
            continue
        spec = lookup.written
        temporal = temporals.get(str(spec.get("temporal")))
        for lang, notes_of in notes.items():
            t = TEXT[lang]
            where = f", {' AND '.join(_conditions(spec['where'], t))}" if "where" in spec else ""
            notes_of.append(f"{WORDS[lang]['lookup']}: " + t["lookup"].format(
                name=lookup.name, entity=temporal.entity if temporal else spec.get("temporal"), on=spec.get("on"),
                match=temporal.match_on if temporal else "?", where=where))
    return notes


def plan_steps(bound: BoundIndicator, origins: PopulationOrigins) -> list[StepSpec]:
    """The ordered steps of a population, in words, each with the place it is written."""
    def base_of(origin: Origin) -> str | None:
        return origin.indicator if origin.indicator != bound.id else None

    def condition(origin: Origin, kind: str) -> StepSpec:
        return StepSpec(0, kind, {lang: _conditions(origin.written, TEXT[lang])[0] for lang in TEXT},
                        origin.position, base_of(origin), _lookup_notes(origin.written, origins, bound))

    first = origins.placement
    if bound.placement is None:  # placed by the conditions: every row of the entity first
        text = {lang: WORDS[lang]["all_rows"].format(entity=bound.entity) for lang in TEXT}
    else:
        text = {lang: f"{bound.entity} {_placement(first.written, TEXT[lang])}" for lang in TEXT}
    steps = [StepSpec(0, "period", text, first.position, base_of(first))]
    steps += [condition(o, "where") for o in origins.selection_where]
    if origins.one_per is not None:
        spec = origins.one_per.written
        assert isinstance(spec, dict)  # one_per: {key: ..., first_by: [...]} (schema)
        words = {lang: TEXT[lang]["one_per"].format(key=spec["key"], order=", ".join(map(str, spec["first_by"])))
                 for lang in TEXT}
        steps.append(StepSpec(0, "one_per", {lang: w[:1].lower() + w[1:] for lang, w in words.items()},
                              origins.one_per.position, base_of(origins.one_per)))
    steps += [condition(o, o.key) for o in origins.where]  # require, or a derived indicator's own where
    for i, step in enumerate(steps):
        step.number = i
    return steps


def _flag(conditions: list[exp.Expr]) -> exp.Expr:
    """CASE WHEN c1 AND c2 ... THEN 1 ELSE 0 END: NULL counts as not passing, as in WHERE."""
    return exp.Case(ifs=[exp.If(this=exp.and_(*[c.copy() for c in conditions]), true=exp.Literal.number(1))],
                    default=exp.Literal.number(0))


def _is_one(name: str, alias: str) -> exp.Expr:
    return exp.column(name, table=alias).eq(exp.Literal.number(1))


def _bind_period(tree: exp.Expr, period: Period) -> exp.Expr:
    """period_start / period_end placeholders become the period's first and last day (as render.bind_period)."""
    days = {"period_start": period.first, "period_end": period.last}

    def fix(node):
        if isinstance(node, exp.Placeholder) and node.name in days:
            return date_literal(days[node.name])
        return node
    return tree.transform(fix, copy=False)


def _from_joined(query: exp.Select, source: str, alias: str, joins: list) -> exp.Select:
    query = query.from_(exp.to_table(source).as_(alias), copy=False)
    for join in joins:
        query = query.join(_join(join), copy=False)
    return query


def build_attrition_query(bound: BoundIndicator, period: Period, steps: list[StepSpec],
                          dialect: str = "duckdb") -> exp.Expr:
    """One query: per step, its count in total (and by kön): `grouping_kon`, `kon`, `step_0` .. `step_n`."""
    if dialect not in DIALECTS:
        raise CompileRefused(f"unknown dialect '{dialect}': choose one of {', '.join(DIALECTS)}")
    alias = bound.alias
    kon = kon_breakdown(bound)
    placement = [bound.placement] if bound.placement is not None else []
    sel = bound.selection
    n_before = len(sel.where) if sel is not None else len(bound.where)
    planned = 1 + n_before + (1 + len(bound.where) if sel is not None else 0)
    assert len(steps) == planned, f"{bound.id}: {len(steps)} steps planned for {planned} conditions"
    select: list[exp.Expr] = [kon.expr.copy().as_(KON)] if kon is not None else []
    if sel is None:  # one stage: the conditions are cumulative flags over the rows in the period
        select += [_flag(bound.where[:i]).as_(f"{FLAG}{i}") for i in range(1, n_before + 1)]
        if not select:
            select.append(exp.Literal.number(1).as_(f"{FLAG}0"))
        stage = _from_joined(exp.select(*select), bound.entity, alias, bound.joins)
    else:
        # candidates: flags of the `where` steps; rank among the rows that pass all of them, as plan's candidates
        passing = _flag(sel.where) if sel.where else exp.Literal.number(1)
        window = exp.Window(this=exp.RowNumber(), partition_by=[passing, sel.partition.copy()],
                            order=exp.Order(expressions=[exp.Ordered(this=o.copy(), desc=False, nulls_first=False)
                                                         for o in sel.order]))
        ranked = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias)),
                            *[_flag(sel.where[:i]).as_(f"{FLAG}{i}") for i in range(1, n_before + 1)],
                            window.as_(RANK))
        candidates = _from_joined(ranked, bound.entity, alias, sel.joins)
        if placement:
            candidates = candidates.where(exp.and_(*[c.copy() for c in placement]), copy=False)
        chosen = [_is_one(RANK, alias)] + ([_is_one(f"{FLAG}{n_before}", alias)] if n_before else [])
        select += [exp.column(f"{FLAG}{i}", table=alias).as_(f"{FLAG}{i}") for i in range(1, n_before + 1)]
        select.append(_flag(chosen).as_(f"{FLAG}{n_before + 1}"))
        select += [_flag([*chosen, *bound.where[:i]]).as_(f"{FLAG}{n_before + 1 + i}")
                   for i in range(1, len(bound.where) + 1)]
        stage = _from_joined(exp.select(*select), "candidates", alias, bound.joins)
    if sel is None and placement:
        stage = stage.where(exp.and_(*[c.copy() for c in placement]), copy=False)
    query = exp.select()
    if kon is not None:
        query = query.select(exp.Grouping(expressions=[exp.column(KON)]).as_("grouping_kon"),
                             exp.column(KON).as_("kon"), copy=False)
    query = query.select(exp.Count(this=exp.Star()).as_("step_0"), copy=False)
    query = query.select(*[exp.Sum(this=exp.column(f"{FLAG}{s.number}")).as_(f"step_{s.number}")
                           for s in steps[1:]], copy=False)
    query = query.from_("steps", copy=False)
    if kon is not None:
        query = query.group_by(exp.GroupingSets(expressions=[exp.Tuple(expressions=[]),
                                                             exp.Tuple(expressions=[exp.column(KON)])]), copy=False)
    if sel is not None:
        query = query.with_("candidates", as_=candidates, copy=False)
    query = query.with_("steps", as_=stage, copy=False)
    return _dialect_fixes(_bind_period(query, period), dialect)


def attrition_sql(bound: BoundIndicator, period: Period, steps: list[StepSpec], dialect: str = "duckdb",
                  pretty: bool = True) -> str:
    return build_attrition_query(bound, period, steps, dialect).sql(dialect=dialect, pretty=pretty)


def count_steps(bound: BoundIndicator, period: Period, steps: list[StepSpec], columns: list[str],
                rows: list[tuple]) -> Attrition:
    """The query's rows (columns as named by build_attrition_query) as counted steps."""
    kon = kon_breakdown(bound)
    totals: list[int] = [0] * len(steps)
    by_kon: dict[str | None, list[int]] = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        counts = [int(record.get(f"step_{s.number}") or 0) for s in steps]
        if kon is None or record.get("grouping_kon") == 1:
            totals = counts
        else:
            by_kon[record.get("kon")] = counts
    declared: list[tuple[str | None, str]] = []
    if kon is not None:
        column = kon.column
        values: list[str | None] = list(column.values) if column is not None and column.values else []
        values += sorted((v for v in by_kon if v not in values and v is not None), key=str)
        values += [None] if None in by_kon else []
        labels = column.labels if column is not None else {}
        declared = [(v, "(saknas)" if v is None else labels.get(v, v)) for v in values]
    counted = []
    for i, spec in enumerate(steps):
        previous = totals[i - 1] if i else None
        counted.append(Step(spec, totals[i], {v: by_kon.get(v, [0] * len(steps))[i] for v, _ in declared},
                            totals[i] / previous if previous else None,
                            totals[i] / totals[0] if totals[0] else None))
    info = bound.info
    return Attrition(bound.id, info.version, dict(info.title), period.label, bound.entity, declared, counted,
                     info.omit_kon_because)


def run_attrition(dataset: Backend, bound: BoundIndicator, origins: PopulationOrigins, period: Period) -> Attrition:
    """Count every step of one indicator's population for a period on an open dataset (engine.execute)."""
    steps = plan_steps(bound, origins)
    try:
        result = dataset.query(build_attrition_query(bound, period, steps, dataset.dialect))
    except QueryFailed as exc:
        raise EngineError([Diagnostic(Position(dataset.description), "E_DATA_QUERY",
                                      f"the attrition of {bound.id} failed on the dataset: {exc}",
                                      "check that the data follows the data model (types, values)")]) from None
    return count_steps(bound, period, steps, result.columns, result.rows)


# --- presentation -------------------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return NO_VALUE if value is None else format_number(value, "share")


def as_table(attrition: Attrition) -> str:
    """One line per step: number, label, total, by kön, share kept (of the step before, of step 0), place."""
    a = attrition
    header = ["Steg", "Villkor", "Totalt", *[label for _, label in a.kon], "Kvar", "Kvar av steg 0", "Plats"]
    body = [[str(s.spec.number), s.spec.label("sv"), format_number(s.count),
             *[format_number(s.by_kon.get(v, 0)) for v, _ in a.kon], _share(s.kept), _share(s.kept_of_first),
             str(s.spec.position)] for s in a.steps]
    right = {0, 2, *range(3, 3 + len(a.kon) + 2)}
    lines = [f"{a.indicator} (version {a.version}), {a.period}: {' '.join(a.title['sv'].split())}"]
    text = "\n".join(lines) + "\n" + aligned(header, body, right=right)
    notes = [f"  steg {s.spec.number}: {note}" for s in a.steps for note in s.spec.notes.get("sv", [])]
    if a.omit_kon_because:
        notes.append(f"  inte per kön: {a.omit_kon_because}")
    return text + ("\n".join(notes) + "\n" if notes else "")


BAR_COLOUR = "#1f5f8b"
CHART_WIDTH = 640


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def svg_chart(attrition: Attrition) -> str:
    """A horizontal bar per step (its count), the count and the share kept written beside it; no script."""
    a = attrition
    e = html.escape
    bar_height, gap, top, left, right = 22, 10, 34, 70, 150
    width = CHART_WIDTH - left - right
    height = top + len(a.steps) * (bar_height + gap) + 6
    most = max((s.count for s in a.steps), default=0)
    ident = _slug(f"attrition-{a.indicator}-{a.period}")
    title = f"Bortfall steg för steg: {a.indicator}, {a.period}"
    desc = "; ".join(f"steg {s.spec.number} ({s.spec.label('sv')}): {format_number(s.count)}"
                     + (f", {_share(s.kept)} kvar" if s.kept is not None else "") for s in a.steps)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-title {ident}-desc" '
           f'class="attrition-chart" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" '
           f'font-family="system-ui, -apple-system, \'Segoe UI\', Roboto, Arial, sans-serif" font-size="12">',
           f'<title id="{ident}-title">{e(title)}</title>',
           f'<desc id="{ident}-desc">{e(desc)}</desc>',
           f'<text x="8" y="18" font-size="14" font-weight="bold" fill="#1a1a1a">{e(title)}</text>']
    for i, s in enumerate(a.steps):
        y = top + i * (bar_height + gap)
        length = width * s.count / most if most else 0
        value = format_number(s.count) + (f" ({_share(s.kept)} kvar)" if s.kept is not None else "")
        out += [f'<text x="{left - 8}" y="{y + bar_height / 2:g}" dy="0.32em" text-anchor="end" fill="#333">'
                f'{e(f"Steg {s.spec.number}")}</text>',
                f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{BAR_COLOUR}">'
                f"<title>{e(s.spec.label('sv'))}</title></rect>",
                f'<text x="{left + length + 6:.1f}" y="{y + bar_height / 2:g}" dy="0.32em" fill="#1a1a1a">'
                f"{e(value)}</text>"]
    out.append(f'<line x1="{left}" x2="{left}" y1="{top - 4}" y2="{height - 6}" stroke="#333" stroke-width="1"/>')
    out.append("</svg>")
    return "\n".join(out)


def attrition_html_fragment(attrition: Attrition) -> str:
    """The table and the chart, without <html>: for a page of its own or the catalogue site. Every text escaped."""
    a = attrition
    e = html.escape
    head = ["Steg", "Villkor", "Totalt", *[label for _, label in a.kon], "Kvar", "Kvar av steg 0", "Plats"]
    rows = []
    for s in a.steps:
        label = e(s.spec.label("sv")) + "".join(f'<br><small>{e(n)}</small>' for n in s.spec.notes.get("sv", []))
        cells = [f'<td class="num">{s.spec.number}</td>', f"<td>{label}</td>",
                 f'<td class="num">{e(format_number(s.count))}</td>',
                 *[f'<td class="num">{e(format_number(s.by_kon.get(v, 0)))}</td>' for v, _ in a.kon],
                 f'<td class="num">{e(_share(s.kept))}</td>', f'<td class="num">{e(_share(s.kept_of_first))}</td>',
                 f"<td><code>{e(str(s.spec.position))}</code></td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"Bortfall steg för steg: {a.title.get('sv', a.indicator)} ({a.indicator}, version {a.version}), " \
              f"period {a.period}"
    note = f'<p class="attrition-note">Inte per kön: {e(a.omit_kon_because)}</p>' if a.omit_kon_because else ""
    return "\n".join(part for part in [
        '<section class="attrition">',
        "<table>",
        f"<caption>{e(caption)}</caption>",
        "<thead><tr>" + "".join(f'<th scope="col">{e(h)}</th>' for h in head) + "</tr></thead>",
        "<tbody>", *rows, "</tbody>",
        "</table>",
        note,
        svg_chart(a),
        "</section>",
    ] if part) + "\n"


CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem;color:#1a1a1a}
table{border-collapse:collapse;margin:1rem 0}
caption{text-align:left;font-weight:bold;margin-bottom:.5rem}
th,td{border-bottom:1px solid #d9d9d9;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
small{color:#555}"""


def as_html(attrition: Attrition) -> str:
    """A small self-contained page: the table and the chart, no script, nothing fetched."""
    a = attrition
    e = html.escape
    title = f"Bortfall: {a.indicator} {a.period}"
    return "\n".join(["<!DOCTYPE html>", '<html lang="sv">', "<head>", '<meta charset="utf-8">',
                      f"<title>{e(title)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>", "<main>",
                      f"<h1>{e(a.title.get('sv', a.indicator))}</h1>", attrition_html_fragment(a), "</main>",
                      "</body>", "</html>"]) + "\n"
