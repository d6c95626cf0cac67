"""What an indicator says about itself, as typed values: titles, unit, version, published figures.

Stages after resolve read these instead of the raw YAML dict, so that a published figure is
read (and its defaults applied) in exactly one place: `read_figure`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Position
from .load import Document


@dataclass(frozen=True)
class Source:
    """A publication that figures are taken from (project.yaml `sources:`), cited by its id."""
    id: str
    title: str
    publisher: str
    date: str                          # YYYY-MM-DD, or YYYY when only the year is known
    kind: str = ""                     # e.g. "Återrapportering till regeringen"
    diarienummer: str = ""
    url: str = ""

    def citation(self, at: str = "") -> str:
        """The full citation in Swedish, e.g. 'Försäkringskassan och Arbetsförmedlingen (2019-05-17). Titel.
        Återrapportering till regeringen. Dnr 123. Avsnitt: Resultaten visar att, punkt 6.'"""
        parts = [f"{self.publisher} ({self.date}). {self.title.rstrip('.')}."]
        if self.kind:
            parts.append(f"{self.kind.rstrip('.')}.")
        if self.diarienummer:
            parts.append(f"Dnr {self.diarienummer}.")
        if self.url:
            parts.append(f"{self.url}")
        if at:
            parts.append(f"Avsnitt: {at.rstrip('.')}.")
        return " ".join(parts)


@dataclass(frozen=True)
class Change:
    """One entry of an indicator's `changes:` history: the version it made, when, what and why."""
    version: int
    date: str
    what: str
    why: str
    position: Position


@dataclass(frozen=True)
class PublishedFigure:
    """One figure as published, and how the computed value must hold against it."""
    index: int                         # its place in the indicator's `published:` list
    position: Position                 # file:line:col of the figure
    source: str                        # the id of a source of project.yaml
    id: str = ""                       # stable: declared, or <indicator>/<period>/<breakdown>/<n> (see figure_ids)
    at: str = ""                       # where in the source: section, page, bullet
    holds: str = "rounds_to"
    period: str | None = None          # one period, or
    periods: tuple[str, ...] = ()      # several (increasing, within_relative)
    breakdown: dict = field(default_factory=dict)
    value: float | None = None
    precision: float | None = None
    min: float | None = None
    max: float | None = None
    tolerance: float | None = None
    compare_to: str | None = None
    text: str = ""

    @property
    def own_periods(self) -> list[str]:
        """The periods the figure is about (compare_to not included)."""
        return [self.period] if self.period is not None else list(self.periods)

    @property
    def needed_periods(self) -> list[str]:
        """Every period whose rows the figure needs (compare_to included)."""
        if self.periods:
            return list(self.periods)
        assert self.period is not None  # a figure has period or periods (checked when the indicator is resolved)
        return [self.period] + ([self.compare_to] if self.compare_to else [])


@dataclass(frozen=True)
class AppliesFrom:
    """When what an indicator counts began to exist (`applies_from:`): a report shows a period that ends before
    `date` as not applicable ("."), with `note` as its footnote; with `breakdown`, only that category."""
    date: str                          # YYYY-MM-DD, the first day
    note: dict                         # {"sv": ..., "en": ...}
    breakdown: dict = field(default_factory=dict)   # {} for the whole indicator, else {dimension: category}


@dataclass(frozen=True)
class PeriodNote:
    """A note for the reader of one period (`notes:`), shown when a report shows that period."""
    period: str
    text: dict                         # {"sv": ..., "en": ...}


@dataclass(frozen=True)
class IndicatorInfo:
    id: str
    version: int
    title: dict
    description: dict
    unit: str
    owner: str
    file: str
    report: str | None = None
    report_period: str = "year"
    change_alert: dict = field(default_factory=dict)
    source: str = ""
    omit_kon_because: str | None = None
    sensitive: bool | None = None      # `disclosure: {sensitive: ...}`: None unless written (engine.disclosure)
    published: tuple[PublishedFigure, ...] = ()
    changes: tuple[Change, ...] = ()   # oldest first
    applies_from: tuple[AppliesFrom, ...] = ()   # presentation only: not part of the semantic hash
    notes: tuple[PeriodNote, ...] = ()


def figure_key(indicator: str, figure: dict) -> str:
    """The generated part of a figure's stable id: <indicator>/<period>/<breakdown or total>.

    A period range is written with an ASCII hyphen (2016-2018); a breakdown as
    name=value, two of them joined by a comma in the order written.
    """
    periods = figure.get("periods") or [figure.get("period")]
    period = str(periods[0]) if len(periods) == 1 else f"{periods[0]}-{periods[-1]}"
    breakdown = ",".join(f"{k}={v}" for k, v in (figure.get("breakdown") or {}).items()) or "total"
    return f"{indicator}/{period}/{breakdown}"


def figure_ids(indicator: str, figures: list[dict]) -> list[str]:
    """Every figure's stable id: its declared `id`, else <indicator>/<period>/<breakdown>/<n>.

    n counts the figures with the same period and breakdown, from 1 in the order written,
    so adding a figure at the end never renames an earlier one.
    """
    seen: dict[str, int] = {}
    ids = []
    for figure in figures:
        key = figure_key(indicator, figure)
        seen[key] = seen.get(key, 0) + 1
        ids.append(figure.get("id") or f"{key}/{seen[key]}")
    return ids


def read_figure(doc: Document, index: int) -> PublishedFigure:
    figure = doc.data["published"][index]
    return PublishedFigure(
        index=index, position=doc.pos(("published", index)), source=figure["source"],
        id=figure_ids(doc.data["id"], doc.data["published"])[index], at=figure.get("at", ""),
        holds=figure.get("holds", "rounds_to"), period=figure.get("period"),
        periods=tuple(figure.get("periods", ())), breakdown=dict(figure.get("breakdown", {})),
        value=figure.get("value"), precision=figure.get("precision"), min=figure.get("min"),
        max=figure.get("max"), tolerance=figure.get("tolerance"), compare_to=figure.get("compare_to"),
        text=figure.get("text", ""))


def read_info(doc: Document) -> IndicatorInfo:
    """The typed description of a schema-valid indicator document."""
    data = doc.data
    return IndicatorInfo(
        id=data["id"], version=data["version"], title=dict(data["title"]), description=dict(data["description"]),
        unit=data["unit"], owner=data["owner"], file=doc.file, report=data.get("report"),
        report_period=data.get("report_period", "year"), change_alert=dict(data.get("change_alert", {})),
        source=data.get("source", ""), omit_kon_because=data.get("omit_kon_because"),
        sensitive=(data.get("disclosure") or {}).get("sensitive"),
        published=tuple(read_figure(doc, i) for i in range(len(data.get("published", [])))),
        changes=tuple(Change(c["version"], c["date"], c["what"], c["why"], doc.pos(("changes", i)))
                      for i, c in sorted(enumerate(data.get("changes", [])), key=lambda ic: ic[1]["version"])),
        applies_from=read_applies_from(data.get("applies_from")),
        notes=tuple(PeriodNote(str(n["period"]), dict(n["text"])) for n in data.get("notes", [])))


def read_applies_from(value) -> tuple[AppliesFrom, ...]:
    """`applies_from:` as written (one mapping or a list of them), typed."""
    if not value:
        return ()
    entries = value if isinstance(value, list) else [value]
    return tuple(AppliesFrom(str(e["date"]), dict(e["note"]), dict(e.get("breakdown") or {})) for e in entries)
