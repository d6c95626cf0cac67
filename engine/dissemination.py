"""Dissemination: each report indicator as a statistical table over a range of years, in the formats the
agencies publish in: PX (PX-Web), JSON-stat 2.0 (PxWebApi 2) and a tidy long table (CSV, Parquet).

Pure functions: computed rows and the catalogue's metadata in, bytes per file out; nothing here computes
a number or opens a dataset (engine.api.report computes the rows, engine.cli writes the files).

One table per indicator (`Table`): the stub is the indicator's breakdowns, the heading its report
period in each year of the series. Breakdowns are marginal (Totalt, Kvinnor, Män, Sjukpenning, ...;
the cells kön × ersättning are not computed unless a cross is declared), so a table with one
breakdown dimension has it as its variable (`kön`: Totalt, Kvinnor, Män, with Totalt as the
elimination value), and a table with several, or a cross, has one variable `redovisningsgrupp`
listing the total and every category of every breakdown, as the report's tables do. A variable per
breakdown would make a cube whose cells are mostly never computed, nor protected by disclosure control.

The same numbers in every format, and the report's: the published value, rounded half up as the
report rounds it (shares in whole percent, days whole, years and ratios with one decimal), with
disclosure control applied (engine.disclosure through `flag_rows`; a suppressed total hides its
whole table). Symbols follow Statistics Sweden's teckenförklaring: `..` the figure is not shown
(here: suppressed for disclosure), `.` the figure cannot occur (here: cannot be computed, as a mean
over an empty population, or a period before the thing counted existed: `applies_from`), and `-`
nothing to report (exactly zero; a figure that rounds to 0 shows 0). PX stores `-` as a symbol
(DATASYMBOLNIL), JSON-stat and the tidy table the number 0.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlglot import exp

from .catalogue import Catalogue
from .disclosure import flag_rows, settings
from .periods import parse_period
from .present import csv_cell, round_half_up
from .provenance import Provenance, indicator_meaning
from .report import (
    PUBLISHED_DECIMALS,
    _dimension_titles,
    _label,
    _order,
    not_applicable_rule,
    report_indicators,
    report_period,
)

SUPPRESSED = ".."       # SCB: uppgift inte tillgänglig eller för osäker för att anges; here: röjandeskäl
NOT_APPLICABLE = "."    # SCB: uppgift kan inte förekomma; here: cannot be computed (an empty population)
NIL = "-"               # SCB: inget finns att redovisa (värdet noll); PX's stored symbol for an absolute nil
TOTAL_CODE = "total"
MISSING_CODE = "saknas"
DECIMALS = {**PUBLISHED_DECIMALS, "share": 0}   # shares in whole percent
UNIT_TEXT = {"count": {"sv": "antal", "en": "number"}, "share": {"sv": "procent", "en": "per cent"},
             "days": {"sv": "dagar", "en": "days"}, "years": {"sv": "år", "en": "years"},
             "ratio": {"sv": "kvot", "en": "ratio"}}
GROUP = ("redovisningsgrupp", {"sv": "redovisningsgrupp", "en": "reporting group"})
FORMATS = ("px", "jsonstat", "csv", "parquet")   # what `report --format` writes from a Series


class YearsError(ValueError):
    pass


def parse_years(text: str) -> list[str]:
    """`2015-2019` (or `2015–2019`) as ["2015", ..., "2019"]; `2018` as ["2018"]."""
    match = re.fullmatch(r"\s*([1-9][0-9]{3})\s*(?:[-–]\s*([1-9][0-9]{3})\s*)?", str(text))
    if not match:
        raise YearsError(f"'{text}' is not a year or a range of years")
    first, last = int(match[1]), int(match[2] or match[1])
    if last < first:
        raise YearsError(f"the range {text} ends before it starts")
    return [str(y) for y in range(first, last + 1)]


# ---------------------------------------------------------------- tables from rows


@dataclass(frozen=True)
class Category:
    """One value of a table's stub variable: the total or a category of a breakdown."""
    code: str                      # PX CODES, JSON-stat category id: "total", "K", "kon=K", "ersattning=sjukpenning"
    label: dict[str, str]          # {"sv": "Kvinnor", "en": ...}; English falls back to Swedish (see _label_en)
    dimension: str | None          # None for the total, else the breakdown ("kon", "kon × ersattning")
    value: Any                     # the stored value ("K"; a tuple in a cross); None for the total and a missing one
    breakdown: tuple               # the run row's breakdown items: () for the total


@dataclass(frozen=True)
class Cell:
    value: int | Decimal | None    # as published (a share in percent); None when suppressed or not computable
    status: str | None             # None, SUPPRESSED or NOT_APPLICABLE
    row: dict | None               # the run row (with its disclosure flag); None: no unit in the category, or
                                   # suppressed, or not applicable (nothing behind it is published)
    nil: bool = False              # exactly zero (a count of none, a share of none): "-" in PX


@dataclass
class Table:
    id: str
    version: int
    semantic_hash: str
    title: dict[str, str]
    description: dict[str, str]
    unit: str                                  # count | share | days | years | ratio
    decimals: int
    source: str                                # the full citation
    contact: str
    subject: tuple[str, dict[str, str]]        # the report (key, title)
    variable: tuple[str, dict[str, str]]       # the stub variable (code, {"sv": name, "en": name})
    categories: list[Category]
    periods: list[str]                         # the heading: report period labels, oldest first
    cells: dict[tuple[str, str], Cell]         # (category code, period) -> cell
    changes: dict[str, str] = field(default_factory=dict)   # the latest change of the definition, if any
    notes: dict[str, list[str]] = field(default_factory=dict)   # per language: applies_from and period notes

    @property
    def annual(self) -> bool:
        return all(re.fullmatch(r"[0-9]{4}", p) for p in self.periods)

    @property
    def time(self) -> tuple[str, dict[str, str]]:
        return ("Tid", {"sv": "år", "en": "year"} if self.annual else {"sv": "period", "en": "period"})

    def cell(self, code: str, period: str) -> Cell:
        return self.cells[(code, period)]


@dataclass
class Series:
    """Every report indicator as a table over `years` (engine.api.report with `years`)."""
    years: list[str]
    tables: list[Table]
    threshold: int
    title: dict[str, str]                      # the project's title
    generated_at: str                          # UTC, ISO 8601 (the provenance's)
    provenance: Provenance | None = None
    breach_note: str = ""                      # the data break the model's rules (published anyway): said in notes


def series_runs(catalogue: Catalogue, years: Sequence[str]) -> list[tuple[str, str]]:
    """Every (indicator, period) a series needs: each report indicator's report period in each year; then the
    tables over the same population in the same periods, which disclosure control suppresses together with
    them (engine.disclosure, linked tables), as `report_runs` and `run` compute them."""
    keys = dict.fromkeys((b.id, report_period(b, y)) for b in report_indicators(catalogue) for y in years)
    identity = settings(catalogue.indicators.values())["linked"]
    for indicator, period in list(keys):
        for other, same in identity.items():
            if same == identity[indicator]:
                keys.setdefault((other, period), None)
    return list(keys)


def published_number(row: dict, unit: str) -> int | Decimal | None:
    """The value as published, exactly: rounded half up (a share in whole percent, from its numerator and
    denominator); an int where there are no decimals."""
    if row["value"] is None:
        return None
    if unit == "share":
        return int(Fraction(row["numerator"], row["denominator"]) * 100 + Fraction(1, 2))
    rounded = round_half_up(row["value"], DECIMALS[unit])
    return int(rounded) if DECIMALS[unit] == 0 else rounded


def _label_en(catalogue: Catalogue, dimension: str, category) -> str:
    """The English label of a category: the model's (a column's `labels: {v: {sv, en}}`, a classification
    band's), else its Swedish label (a label declared as Swedish text only), else the value."""
    if category is None:
        return "Not stated"
    column = catalogue.model.find_column(dimension) if catalogue.model else None
    return (column.label(category, "en") if column is not None else None) or _label(catalogue, dimension, category)


def _title_en(catalogue: Catalogue, dimension: str) -> str:
    """A breakdown's English title from the model ("Sex"); a cross's joined with "and"."""
    def one(name: str) -> str:
        column = catalogue.model.find_column(name) if catalogue.model else None
        return (column.title.get("en") or column.title.get("sv") or name) if column is not None else name
    parts = [one(name) for name in dimension.split(" × ")]
    return " and ".join([parts[0]] + [p[:1].lower() + p[1:] for p in parts[1:]])


def _code(value) -> str:
    return MISSING_CODE if value is None else str(value)


def _categories(catalogue: Catalogue, bound, rows: list[dict]) -> tuple[tuple[str, dict[str, str]], list[Category]]:
    """The stub variable and its values, in the report's order: Totalt, then each breakdown's categories present
    in any year (in the model's order), then each cross's cells."""
    titles = _dimension_titles(catalogue, bound)
    present: dict[str, set] = {}
    for row in rows:
        if row["breakdown"]:
            name = " × ".join(row["breakdown"])
            present.setdefault(name, set()).add(tuple(row["breakdown"].values()) if len(row["breakdown"]) > 1
                                                else next(iter(row["breakdown"].values())))
    single = len(bound.breakdowns) == 1 and not bound.crosses
    if single:
        name = bound.breakdowns[0].name
        column = catalogue.model.find_column(name) if catalogue.model else None
        title = column.title if column is not None and column.title else {"sv": name, "en": name}
        variable = (name, {lang: (title.get(lang) or title.get("sv") or name).lower() for lang in ("sv", "en")})
    else:
        variable = GROUP
    categories = [Category(TOTAL_CODE, {"sv": "Totalt", "en": "Total"}, None, None, ())]
    for b in bound.breakdowns:
        for value in _order(catalogue, b.name, present.get(b.name, set())):
            code = _code(value) if single else f"{b.name}={_code(value)}"
            categories.append(Category(code, {"sv": _label(catalogue, b.name, value),
                                              "en": _label_en(catalogue, b.name, value)},
                                       b.name, value, ((b.name, value),)))
    for a, b in bound.crosses:
        name = f"{a.name} × {b.name}"
        cells = present.get(name, set())
        first = _order(catalogue, a.name, {c[0] for c in cells})
        second = _order(catalogue, b.name, {c[1] for c in cells})
        for pair in sorted(cells, key=lambda c: (first.index(c[0]), second.index(c[1]))):
            label = {lang: f"{f(catalogue, a.name, pair[0])}, {f(catalogue, b.name, pair[1]).lower()}"
                     for lang, f in (("sv", _label), ("en", _label_en))}
            categories.append(Category(f"{a.name}={_code(pair[0])},{b.name}={_code(pair[1])}", label, name, pair,
                                       ((a.name, pair[0]), (b.name, pair[1]))))
    # a label must name one value only: qualify one that two dimensions share ("Behovsgrupp: Uppgift saknas")
    for lang in ("sv", "en"):
        seen: dict[str, int] = {}
        for c in categories:
            seen[c.label[lang]] = seen.get(c.label[lang], 0) + 1
        for i, c in enumerate(categories):
            if seen[c.label[lang]] > 1 and c.dimension is not None:
                named = titles.get(c.dimension, c.dimension) if lang == "sv" else _title_en(catalogue, c.dimension)
                categories[i] = Category(c.code, {**c.label, lang: f"{named}: {c.label[lang]}"}, c.dimension,
                                         c.value, c.breakdown)
    return variable, categories


def _reader_notes(info, periods: list[str]) -> dict[str, list[str]]:
    """Why periods are not applicable (`applies_from`, when the series reaches before it) and the indicator's
    notes for the periods of the series, per language."""
    notes: dict[str, list[str]] = {"sv": [], "en": []}
    for rule in info.applies_from:
        if any(parse_period(p).first < dt.date.fromisoformat(rule.date) for p in periods):
            for lang in notes:
                notes[lang].append(" ".join((rule.note.get(lang) or rule.note["sv"]).split()))
    for note in info.notes:
        if note.period in periods:
            for lang in notes:
                notes[lang].append(f"{note.period}: " + " ".join((note.text.get(lang) or note.text["sv"]).split()))
    return notes


def _cell(row: dict | None, unit: str, not_applicable: bool = False) -> Cell:
    """A cell as the report shows it: suppressed (..), not applicable (.: no value, or before `applies_from`),
    exactly zero (-) or the published number."""
    if not_applicable:
        return Cell(None, NOT_APPLICABLE, None)
    if row is None:  # no unit in this category and period: a count of nothing is zero, a mean or share has no value
        return Cell(0, None, None, True) if unit == "count" else Cell(None, NOT_APPLICABLE, None)
    if row.get("disclosure"):
        return Cell(None, SUPPRESSED, None)
    number = published_number(row, unit)
    if number is None:
        return Cell(None, NOT_APPLICABLE, row)
    exact = row["numerator"] if unit == "share" else row["value"]
    return Cell(number, None, row, exact == 0)


def build_series(catalogue: Catalogue, rows: dict[tuple[str, str], list[dict]], years: Sequence[str],
                 provenance: Provenance | None = None, generated_at: str | None = None,
                 breach_note: str = "") -> Series:
    """The series of every report indicator over `years`, from the rows `execute` computed for `series_runs`
    (unflagged: disclosure control is applied here, through engine.disclosure.flag_rows with the catalogue's
    settings, every table of the series and the tables linked to them together, as `run` flags them)."""
    years = list(years)
    threshold = catalogue.project.threshold
    flagged = flag_rows([r for table in rows.values() for r in table], threshold,
                        **settings(catalogue.indicators.values()))
    by_table: dict[tuple[str, str], list[dict]] = {}
    for row in flagged:
        by_table.setdefault((row["indicator"], row["period"]), []).append(row)
    tables = []
    for bound in report_indicators(catalogue):
        periods = [report_period(bound, y) for y in years]
        own = [r for p in periods for r in by_table.get((bound.id, p), [])]
        variable, categories = _categories(catalogue, bound, own)
        by_key = {(r["period"], tuple(r["breakdown"].items())): r for r in own}
        before = not_applicable_rule(bound)
        cells = {(c.code, p): _cell(by_key.get((p, c.breakdown)), bound.info.unit, before(p, (c.dimension, c.value)))
                 for c in categories for p in periods}
        spec = catalogue.project.report(bound.info.report)
        source = catalogue.project.citation(bound.info.source or spec.source)
        info = bound.info
        latest = [c for c in info.changes if c.version == info.version]
        changes = {}
        if latest:
            c = latest[-1]
            changes = {"sv": f"Ändrad i version {c.version} ({c.date}): {c.what.rstrip('.')}. Skäl: "
                             f"{c.why.rstrip('.')}.",
                       "en": f"Changed in version {c.version} ({c.date}): {c.what.rstrip('.')}. Why: "
                             f"{c.why.rstrip('.')}."}
        tables.append(Table(bound.id, info.version, indicator_meaning(bound)["semantic_hash"], dict(info.title),
                            dict(info.description), info.unit, DECIMALS[info.unit], source, info.owner,
                            (spec.key, dict(spec.title)), variable, categories, periods, cells, changes,
                            _reader_notes(info, periods)))
    generated = generated_at or (provenance.generated_at if provenance is not None else
                                 dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return Series(years, tables, threshold, dict(catalogue.project.title), generated, provenance, breach_note)


# ---------------------------------------------------------------- shared texts


def symbol_notes(threshold: int) -> dict[str, list[str]]:
    """What `..`, `.` and `-` mean, in Swedish and English (the PX NOTEX, the JSON-stat note and extension)."""
    return {"sv": [f"{SUPPRESSED} = Uppgiften redovisas inte av röjandeskäl: den bygger på färre än {threshold} "
                   "personer, eller den skulle göra det möjligt att räkna fram en sådan uppgift. En dold totalsumma "
                   "döljer hela tabellen för perioden.",
                   f"{NOT_APPLICABLE} = Uppgiften kan inte förekomma: gruppen är tom, så ett medelvärde, en median "
                   "eller en andel inte kan beräknas, eller det som räknas fanns inte under perioden.",
                   f"{NIL} = Inget finns att redovisa (värdet noll); 0 är en uppgift som avrundas till noll."],
            "en": [f"{SUPPRESSED} = Not shown for reasons of confidentiality: the figure rests on fewer than "
                   f"{threshold} persons, or would let such a figure be worked out. A hidden total hides the whole "
                   "table for the period.",
                   f"{NOT_APPLICABLE} = Cannot occur: the group is empty, so a mean, median or share cannot be "
                   "computed, or what is counted did not exist in the period.",
                   f"{NIL} = Nothing to report (exactly zero); 0 is a figure that rounds to zero."]}


def definition_note(table: Table, lang: str) -> str:
    if lang == "sv":
        text = (f"Definition: {table.description['sv']} Definitionens version {table.version} ({table.id}, "
                f"semantisk hash {table.semantic_hash}).")
    else:
        text = (f"Definition: {table.description.get('en') or table.description['sv']} Definition version "
                f"{table.version} ({table.id}, semantic hash {table.semantic_hash}).")
    extra = ([table.changes[lang]] if table.changes else []) + table.notes.get(lang, [])
    return " ".join(" ".join([text, *extra]).split())


def table_title(table: Table, lang: str) -> str:
    """The title as PX-Web builds it: contents, 'efter' the variables ('by' in English)."""
    word, also = ("efter", "och") if lang == "sv" else ("by", "and")
    return f"{table.title[lang]} {word} {table.variable[1][lang]} {also} {table.time[1][lang]}"


def _number_text(value: int | Decimal, decimals: int) -> str:
    return f"{value:.{decimals}f}" if isinstance(value, Decimal) else str(value)


def _px_datetime(iso: str) -> str:
    """2019-05-02T09:00:00Z as PX writes dates: CCYYMMDD hh:mm."""
    moment = dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y%m%d %H:%M")


# ---------------------------------------------------------------- PX


PX_ENCODING = "iso-8859-1"   # CODEPAGE: the 2013 specification's default; CHARSET="ANSI" says Windows texts
PX_LINE = 256                # the specification's line length for texts
_TRANSLITERATE = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-", "”": "'", "“": "'", "„": "'",
                                "’": "'", "‘": "'", "\"": "'", "…": "...", "≥": ">=", "≤": "<=", "→": "->",
                                "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\t": " ", "\r": " ", "\n": " "})


def px_text(text: object) -> str:
    """Text as a PX value can hold it: no quotation mark (it ends a value), no line break or control character,
    and only characters of CODEPAGE (typographic dashes and quotes are written in ASCII; anything else is
    decomposed, or ?)."""
    out = []
    for ch in str(text).translate(_TRANSLITERATE):
        if unicodedata.category(ch).startswith("C"):
            continue
        try:
            ch.encode(PX_ENCODING)
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode(PX_ENCODING, "ignore").decode(PX_ENCODING)
            out.append(base or "?")
    return " ".join("".join(out).split())


def _q(text: object) -> str:
    return f'"{px_text(text)}"'


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _chunks(text: str, size: int = 200) -> list[str]:
    """A long text in pieces of at most `size` characters, cut after a space (kept at the piece's end, so the
    pieces joined give the text back, as PX-Web joins them)."""
    pieces, rest = [], text
    while len(rest) > size:
        cut = rest.rfind(" ", 0, size)
        cut = size if cut <= 0 else cut + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces + [rest] if rest or not pieces else pieces


class _PX:
    """Keyword lines in the order they are added; a language-dependent keyword is followed at once by its
    [en] version (PX-Web reads them in any order; readers such as pyaxis need each translation beside its
    keyword)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def raw(self, keyword: str, value: str) -> None:
        self.lines.append(f"{keyword}={value};")

    def text(self, keyword: str, value: str, limit: int = PX_LINE) -> None:
        self.lines.append(f"{keyword}={_q(_clip(px_text(value), limit - 2))};")

    def long(self, keyword: str, value: str) -> None:
        """A text of any length, over several quoted lines (NOTE, NOTEX, SOURCE, DESCRIPTION, TITLE, ...)."""
        pieces = [f'"{p}"' for p in _chunks(px_text(value))]
        self.lines.append(f"{keyword}=" + "\n".join(pieces) + ";")

    def values(self, keyword: str, values: Iterable[str]) -> None:
        """A list of quoted values, a new line after a comma where a line would grow past PX_LINE."""
        lines, line = [], f"{keyword}="
        quoted = [_q(_clip(px_text(v), PX_LINE - 2)) for v in values]
        for i, item in enumerate(quoted):
            piece = item + ("," if i < len(quoted) - 1 else ";")
            if len(line) + len(piece) > PX_LINE and line != f"{keyword}=":
                lines.append(line)
                line = ""
            line += piece
        self.lines.append("\n".join([*lines, line]))

    def both(self, method, keyword: str, sub: dict[str, str] | None, value) -> None:
        """A language-dependent keyword: Swedish (the file's LANGUAGE), then [en]; `sub` names the variable
        in each language."""
        for lang in ("sv", "en"):
            name = keyword if lang == "sv" else f"{keyword}[{lang}]"
            if sub is not None:
                name += f"({_q(sub[lang])})"
            method(name, value[lang] if isinstance(value, dict) else value)


def _px_cell(cell: Cell, decimals: int) -> str:
    """A DATA cell: the number with DECIMALS decimals, or a symbol in quotation marks."""
    if cell.status:
        return f'"{cell.status}"'
    if cell.nil:
        return f'"{NIL}"'
    assert cell.value is not None  # a cell without a status has a value
    return _number_text(cell.value, decimals)


def matrix_name(indicator_id: str) -> str:
    """MATRIX (at most 20 characters; suggested as the file name when the table is fetched): the id's initials
    and four hex digits of its hash, e.g. ALSEI_3F2A."""
    initials = "".join(part[0] for part in indicator_id.split("_") if part)[:12].upper()
    return f"{initials}_{hashlib.sha256(indicator_id.encode()).hexdigest()[:4].upper()}"


def to_px(table: Table, series: Series) -> bytes:
    """One table as a PX file (format 2013, as PX-Web reads it), Swedish with English (LANGUAGES="sv","en").

    Keywords in the specification's recommended order; texts in CODEPAGE iso-8859-1 (CHARSET="ANSI"),
    lines of at most 256 characters, CRLF line ends. DATA: one line per stub value, the periods (the
    heading) varying fastest; suppressed cells ".." and cells that cannot be computed ".", quoted.
    """
    px = _PX()
    time_name = table.time[1]
    var_name = table.variable[1]
    stamp = _px_datetime(series.generated_at)
    first, last = table.periods[0], table.periods[-1]
    span = first if first == last else f"{first}-{last}"
    px.text("CHARSET", "ANSI")
    px.text("AXIS-VERSION", "2013")
    px.text("CODEPAGE", PX_ENCODING)
    px.text("LANGUAGE", "sv")
    px.raw("LANGUAGES", '"sv","en"')
    px.text("CREATION-DATE", stamp)
    px.text("TABLEID", table.id)
    px.raw("DECIMALS", str(table.decimals))
    px.raw("SHOWDECIMALS", str(table.decimals))
    px.text("MATRIX", matrix_name(table.id), 22)
    px.raw("AGGREGALLOWED", "NO")   # a share, a mean or a count of distinct persons cannot be summed
    px.text("SUBJECT-CODE", table.subject[0][:20], 22)
    px.both(px.text, "SUBJECT-AREA", None, table.subject[1])
    px.both(px.long, "DESCRIPTION", None, {lang: f"{table_title(table, lang)} {span}" for lang in ("sv", "en")})
    px.both(px.long, "TITLE", None, {lang: f"{table_title(table, lang)} {span}" for lang in ("sv", "en")})
    px.both(px.text, "CONTENTS", None, table.title)
    px.both(px.text, "UNITS", None, UNIT_TEXT[table.unit])
    px.both(lambda k, v: px.values(k, [v]), "STUB", None, var_name)
    px.both(lambda k, v: px.values(k, [v]), "HEADING", None, time_name)
    for lang in ("sv", "en"):
        px.values(f"VALUES{'' if lang == 'sv' else '[en]'}({_q(var_name[lang])})",
                  [c.label[lang] for c in table.categories])
    px.both(px.values, "VALUES", time_name, {lang: table.periods for lang in ("sv", "en")})
    if table.annual and [int(p) for p in table.periods] == list(range(int(first), int(last) + 1)):
        # TIMEVAL: consecutive periods only; a half-year, quarter or month reported once a year is not
        px.both(px.raw, "TIMEVAL", time_name, "TLIST(A1)," + ",".join(f'"{p}"' for p in table.periods))
    px.both(px.values, "CODES", var_name, {lang: [c.code for c in table.categories] for lang in ("sv", "en")})
    px.both(px.values, "CODES", time_name, {lang: table.periods for lang in ("sv", "en")})
    px.both(px.text, "ELIMINATION", var_name, {"sv": "Totalt", "en": "Total"})
    px.text("LAST-UPDATED", stamp)
    px.both(px.long, "CONTACT", None, table.contact)
    px.both(px.long, "SOURCE", None, table.source)
    px.raw("OFFICIAL-STATISTICS", "NO")
    notes = symbol_notes(series.threshold)
    notex = {lang: " # ".join(notes[lang]) for lang in ("sv", "en")}   # '#': a new line in a PX footnote
    if series.breach_note:
        notex = {lang: f"{series.breach_note} # {notex[lang]}" for lang in ("sv", "en")}
    px.both(px.long, "NOTEX", None, notex)
    px.both(px.long, "NOTE", None, {lang: definition_note(table, lang) for lang in ("sv", "en")})
    px.text("DATASYMBOL1", NOT_APPLICABLE)
    px.text("DATASYMBOL2", SUPPRESSED)
    px.text("DATASYMBOLSUM", SUPPRESSED)
    px.text("DATASYMBOLNIL", NIL)
    data = [" ".join(_px_cell(table.cell(category.code, p), table.decimals) for p in table.periods) + " "
            for category in table.categories]
    text = "\n".join(px.lines + ["DATA=", *data]).rstrip() + ";\n"
    return text.replace("\n", "\r\n").encode(PX_ENCODING)


# ---------------------------------------------------------------- JSON-stat 2.0


def _public(text: str) -> str:
    from .report_formats import _public as public
    return public(text)


def provenance_summary(series: Series) -> dict[str, Any] | None:
    """What a published table says it was computed from: engine and commit, catalogue hash, the dataset by
    file name with its hash, the data checks, disclosure control, the command and the time."""
    p = series.provenance
    if p is None:
        return None
    data = p.dataset or {}
    return {"engine": f"{p.engine.get('name')} {p.engine.get('version')}", "git_commit": p.engine.get("git_commit"),
            "git_dirty": p.engine.get("git_dirty"), "catalogue_hash": p.catalogue.get("hash"),
            "dataset": {"name": _public(str(data.get("path", ""))), "sha256": data.get("sha256"),
                        "modified": data.get("modified")},
            "data_checks": {k: p.data_checks.get(k) for k in ("run", "checks", "breached")},
            "disclosure": {"threshold": p.disclosure.get("threshold"), "applied": p.disclosure.get("applied")},
            "command": _public(p.command) if p.command else None, "generated_at": p.generated_at}


def jsonstat_dataset(table: Table, series: Series) -> dict[str, Any]:
    """One table as a JSON-stat 2.0 dataset (Swedish labels; English in `extension.en`).

    Dimensions: the stub variable, `ContentsCode` (role metric: the indicator, with its unit and
    decimals) and `Tid` (role time), as PxWebApi names them; `value` in row-major order (the last
    dimension varying fastest); a suppressed cell or one that cannot be computed has value null and
    its symbol in `status`, keyed by its index.
    """
    var_code, var_name = table.variable
    time_code, time_name = table.time
    values: list[Any] = []
    status: dict[str, str] = {}
    for category in table.categories:
        for period in table.periods:
            cell = table.cell(category.code, period)
            if cell.status:
                status[str(len(values))] = cell.status
                values.append(None)
            else:
                values.append(float(cell.value) if isinstance(cell.value, Decimal) else cell.value)
    unit = UNIT_TEXT[table.unit]
    notes = symbol_notes(series.threshold)
    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"{table_title(table, 'sv')} {table.periods[0]}–{table.periods[-1]}",
        "source": table.source,
        "updated": series.generated_at,
        "note": ([series.breach_note] if series.breach_note else []) + notes["sv"] + [definition_note(table, "sv")],
        "id": [var_code, "ContentsCode", time_code],
        "size": [len(table.categories), 1, len(table.periods)],
        "role": {"metric": ["ContentsCode"], "time": [time_code]},
        "dimension": {
            var_code: {"label": var_name["sv"],
                       "category": {"index": [c.code for c in table.categories],
                                    "label": {c.code: c.label["sv"] for c in table.categories}},
                       "extension": {"elimination": True, "eliminationValueCode": TOTAL_CODE}},
            "ContentsCode": {"label": "tabellinnehåll",
                             "category": {"index": [table.id], "label": {table.id: table.title["sv"]},
                                          "unit": {table.id: {"label": unit["sv"], "decimals": table.decimals}}}},
            time_code: {"label": time_name["sv"],
                        "category": {"index": list(table.periods), "label": {p: p for p in table.periods}}},
        },
        "value": values,
        "status": status,
        "extension": {
            "indicator": table.id, "version": table.version, "semantic_hash": table.semantic_hash,
            "unit": table.unit, "px": {"matrix": matrix_name(table.id), "file": f"px/{table.id}.px"},
            "symbols": {text.split(" = ", 1)[0]: text.split(" = ", 1)[1] for text in notes["sv"]},
            "en": {"label": f"{table_title(table, 'en')} {table.periods[0]}–{table.periods[-1]}",
                   "note": notes["en"] + [definition_note(table, "en")],
                   "dimension": {var_code: {"label": var_name["en"],
                                            "category": {"label": {c.code: c.label["en"] for c in table.categories}}},
                                 "ContentsCode": {"label": "contents",
                                                  "category": {"label": {table.id: table.title["en"]},
                                                               "unit": {table.id: {"label": unit["en"]}}}},
                                 time_code: {"label": time_name["en"]}}},
            "provenance": provenance_summary(series),
        },
    }


def to_jsonstat(table: Table, series: Series) -> bytes:
    return (json.dumps(jsonstat_dataset(table, series), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def jsonstat_collection(series: Series) -> bytes:
    """index.json: a JSON-stat 2.0 collection linking every dataset of the series (relative hrefs)."""
    document = {"version": "2.0", "class": "collection", "label": series.title["sv"], "updated": series.generated_at,
                "link": {"item": [{"class": "dataset", "href": f"{t.id}.json",
                                   "label": f"{table_title(t, 'sv')} {t.periods[0]}–{t.periods[-1]}"}
                                  for t in series.tables]},
                "extension": {"years": series.years, "provenance": provenance_summary(series)}}
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# ---------------------------------------------------------------- the tidy long table


TIDY_COLUMNS = ("indicator", "version", "period", "dimension", "category", "category_label", "value", "numerator",
                "denominator", "n", "status", "unit")


def tidy_rows(series: Series) -> list[dict[str, Any]]:
    """One row per table cell: the published value (a share in percent, `unit` says so), and for a shown
    cell the numerator, denominator and n behind it; a suppressed cell has none of them and status '..'."""
    out = []
    for table in series.tables:
        for category in table.categories:
            value = category.value
            stored = None if value is None else " × ".join("" if v is None else str(v) for v in value) \
                if isinstance(value, tuple) else str(value)
            for period in table.periods:
                cell = table.cell(category.code, period)
                row = cell.row   # None when suppressed, not applicable, or no unit (a count of none: n is 0)
                out.append({"indicator": table.id, "version": table.version, "period": period,
                            "dimension": category.dimension, "category": stored,
                            "category_label": category.label["sv"], "value": cell.value,
                            "numerator": None if row is None else row.get("numerator"),
                            "denominator": None if row is None else row.get("denominator"),
                            "n": row["n"] if row is not None else 0 if cell.nil else None,
                            "status": cell.status, "unit": UNIT_TEXT[table.unit]["sv"]})
    return out


def to_tidy_csv(series: Series) -> bytes:
    """The tidy table as CSV (UTF-8, a header line); text cells a spreadsheet could run are escaped (csv_cell)."""
    decimals = {t.id: t.decimals for t in series.tables}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TIDY_COLUMNS)
    for row in tidy_rows(series):
        cells = []
        for column in TIDY_COLUMNS:
            value = row[column]
            if value is None:
                cells.append("")
            elif column == "value":
                cells.append(_number_text(value, decimals[row["indicator"]]))
            else:
                cells.append(csv_cell(value) if isinstance(value, str) else value)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


TIDY_TYPES = {"indicator": "VARCHAR", "version": "INTEGER", "period": "VARCHAR", "dimension": "VARCHAR",
              "category": "VARCHAR", "category_label": "VARCHAR", "value": "DOUBLE", "numerator": "BIGINT",
              "denominator": "BIGINT", "n": "BIGINT", "status": "VARCHAR", "unit": "VARCHAR"}


def to_tidy_parquet(series: Series) -> bytes:
    """The tidy table as Parquet, written by DuckDB (COPY ... (FORMAT parquet)) from an in-memory table filled
    with parameters; no other dependency."""
    import tempfile
    from pathlib import Path

    import duckdb
    rows = tidy_rows(series)
    with tempfile.TemporaryDirectory(prefix="indicators-parquet-") as folder:
        target = Path(folder) / "tidy.parquet"
        con = duckdb.connect(":memory:")
        try:
            table = exp.to_table("tidy")
            schema = exp.Schema(this=table, expressions=[
                exp.ColumnDef(this=exp.to_identifier(c), kind=exp.DataType.build(TIDY_TYPES[c])) for c in TIDY_COLUMNS])
            con.execute(exp.Create(this=schema, kind="TABLE").sql("duckdb"))
            if rows:
                insert = exp.Insert(this=table.copy(), expression=exp.Values(
                    expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in TIDY_COLUMNS])]))
                con.executemany(insert.sql("duckdb"),
                                [[float(r[c]) if c == "value" and r[c] is not None else r[c] for c in TIDY_COLUMNS]
                                 for r in rows])
            copy = exp.Copy(this=table.copy(), kind=False, files=[exp.Placeholder()], params=[
                exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet"))])
            con.execute(copy.sql("duckdb"), [str(target)])
        finally:
            con.close()
        return target.read_bytes()


# ---------------------------------------------------------------- files


def files(series: Series, formats: Iterable[str], stem: str) -> dict[str, bytes]:
    """The files of the chosen formats, by name inside the output folder: px/<id>.px, jsonstat/<id>.json and
    jsonstat/index.json, <stem>_tidy.csv, <stem>_tidy.parquet."""
    chosen = set(formats)
    out: dict[str, bytes] = {}
    if "px" in chosen:
        out.update({f"px/{t.id}.px": to_px(t, series) for t in series.tables})
    if "jsonstat" in chosen:
        out.update({f"jsonstat/{t.id}.json": to_jsonstat(t, series) for t in series.tables})
        out["jsonstat/index.json"] = jsonstat_collection(series)
    if "csv" in chosen:
        out[f"{stem}_tidy.csv"] = to_tidy_csv(series)
    if "parquet" in chosen:
        out[f"{stem}_tidy.parquet"] = to_tidy_parquet(series)
    return out
