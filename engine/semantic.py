"""What a definition means, as a hash: the bound indicator without its words and layout.

Two indicator files that differ only in whitespace, comments, key order, titles,
descriptions, labels or published figures bind to the same definition and have the same
hash; a changed condition, measure, breakdown, placement, or a model part the definition
uses (a calculated column's expression, a relationship's key, a column's allowed values)
changes it. The hash is taken of the bound tree (resolve's output), where calculated
columns and `population: {from: ...}` bases are already inlined, so a change to a base
changes every indicator built on it.

The parts (population, measure, breakdowns) are hashed on their own too, so that a
message can say which part changed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from sqlglot import exp

from .resolve import BoundIndicator

# Fields that say how a definition is shown or checked, not what it computes.
PRESENTATION = frozenset({"info", "file", "title", "description", "labels", "labels_en", "label", "plural", "range",
                          "pattern", "nullable", "position", "text", "source", "sensitive"})
PARTS = {  # the part of a definition each field of BoundIndicator belongs to
    "entity": "population", "alias": "population", "period": "population", "placement": "population",
    "selection": "population", "joins": "population", "where": "population", "population_from": "population",
    "measure": "measure", "breakdowns": "breakdowns", "crosses": "breakdowns",
}
PART_NAMES = {"population": {"sv": "populationen", "en": "the population"},
              "measure": {"sv": "måttet", "en": "the measure"},
              "breakdowns": {"sv": "redovisningsgrupperna", "en": "the breakdowns"}}


def canonical(value: Any) -> Any:
    """A JSON-able form of a bound value: expressions as normalised SQL, dataclasses as sorted dicts."""
    if isinstance(value, exp.Expr):
        return value.sql(dialect="duckdb", normalize=True, comments=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"@": type(value).__name__,
                **{f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)
                   if f.name not in PRESENTATION}}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
                if k not in PRESENTATION}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class Meaning:
    """The semantic hash of one definition and of each of its parts."""
    hash: str
    parts: dict[str, str]


def meaning(bound: BoundIndicator) -> Meaning:
    """The semantic hash of a bound indicator (16 hex digits of SHA-256) and of its parts."""
    grouped: dict[str, dict] = {part: {} for part in PART_NAMES}
    for name, part in PARTS.items():  # only these fields: bookkeeping added to BoundIndicator is not meaning
        grouped[part][name] = canonical(getattr(bound, name))
    return Meaning(_digest(grouped), {part: _digest(fields) for part, fields in grouped.items()})


def text_hash(text: dict | str) -> str:
    """A short hash of a text (a description, per language), to notice when it was left unchanged."""
    return _digest(text)
