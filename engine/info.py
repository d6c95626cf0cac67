"""What an indicator says about itself, as typed values: titles, unit, version, published figures.

Stages after resolve read these instead of the raw YAML dict, so that a published figure is
read (and its defaults applied) in exactly one place: `read_figure`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Position
from .load import Document


@dataclass(frozen=True)
class PublishedFigure:
    """One figure as published, and how the computed value must hold against it."""
    index: int                         # its place in the indicator's `published:` list
    position: Position                 # file:line:col of the figure
    source: str
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
    published: tuple[PublishedFigure, ...] = ()


def read_figure(doc: Document, index: int) -> PublishedFigure:
    figure = doc.data["published"][index]
    return PublishedFigure(
        index=index, position=doc.pos(("published", index)), source=figure["source"],
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
        published=tuple(read_figure(doc, i) for i in range(len(data.get("published", [])))))
