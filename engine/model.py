"""The data model: entities, typed columns, relationships, temporal relationships.

Built from the validated model YAML. Every name an indicator uses is bound against this.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from .diagnostics import Diagnostics, did_you_mean
from .expressions import Source, column_path, node_offset, parse_expression
from .load import Document

NUMERIC = {"bigint", "integer", "double"}


@dataclass
class Column:
    name: str
    type: str
    nullable: bool = False
    values: list[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)      # Swedish label per value (model.yaml `labels:`)
    title: dict[str, str] = field(default_factory=dict)
    pattern: str | None = None
    range: Range | None = None    # its own plausible values (model.yaml `range:`)
    sensitive: bool = False       # a sensitive attribute (model.yaml `sensitive:`): engine.disclosure
    labels_en: dict[str, str] = field(default_factory=dict)   # English label per value, where one is declared

    def label(self, value: str, lang: str = "sv") -> str | None:
        """The label of a stored value in a language (sv, en); English falls back to the Swedish label;
        None when the value has no label."""
        if lang == "en" and value in self.labels_en:
            return self.labels_en[value]
        return self.labels.get(value)


Bound = dt.date | int | float


@dataclass(frozen=True)
class Range:
    """Plausible values of a date or number column, both ends included; None: open at that end."""
    low: Bound | None
    high: Bound | None
    declared: str = "range"       # where it comes from: "range" (the column's own) or "dates" (the model's)

    def text(self) -> str:
        def show(v: Bound | None) -> str:
            return "…" if v is None else v.isoformat() if isinstance(v, dt.date) else f"{v:g}"
        return f"{show(self.low)} to {show(self.high)}"


@dataclass
class Calculated:
    name: str
    type: str
    expr: exp.Expr  # over the entity's own columns, unqualified
    description: dict[str, str] = field(default_factory=dict)
    sensitive: bool = False       # a sensitive attribute (model.yaml `sensitive:`): engine.disclosure


@dataclass
class Rule:
    """A consistency rule every row of an entity keeps (bound to the model by `resolve`)."""
    name: str
    entity: str
    tree: exp.Expr
    source: Source
    description: dict[str, str] = field(default_factory=dict)


@dataclass
class Relationship:
    """Many-to-one (`to_many=False`: source.foreign_key -> target.key) or its reverse."""
    name: str
    source: str       # entity the path starts from
    target: str       # entity the path arrives at
    foreign_key: str  # column holding the key, on the many side
    to_many: bool


@dataclass
class Entity:
    name: str
    key: str
    columns: dict[str, Column]
    calculated: dict[str, Calculated] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)  # to-one and to-many
    rules: dict[str, Rule] = field(default_factory=dict)
    title: dict[str, str] = field(default_factory=dict)
    plural: dict[str, str] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [*self.columns, *self.calculated, *self.relationships]


@dataclass
class Temporal:
    name: str
    entity: str
    match_on: str
    start: str
    end: str
    unique_per: list[str]
    description: dict[str, str] = field(default_factory=dict)


@dataclass
class Band:
    code: str
    low: float | None      # from (inclusive)
    high: float | None     # below (exclusive)
    label: dict[str, str]


@dataclass
class Classification:
    """Labelled bands of a number, declared once (model.yaml `classifications:`)."""
    name: str
    title: dict[str, str]
    bands: list[Band]

    def as_column(self) -> Column:
        """The bands as a category column: codes as allowed values in the declared order, with their labels."""
        return Column(self.name, "varchar", True, [b.code for b in self.bands],
                      {b.code: b.label["sv"] for b in self.bands}, dict(self.title),
                      labels_en={b.code: b.label["en"] for b in self.bands})


@dataclass
class Model:
    name: str
    version: int
    entities: dict[str, Entity]
    temporal: dict[str, Temporal]
    file: str = ""
    classifications: dict[str, Classification] = field(default_factory=dict)
    broken_classifications: set[str] = field(default_factory=set)   # declared, but with errors (reported there)
    dates: Range | None = None    # the plausible dates of every date column (model.yaml `dates:`)

    def plausible(self, column: Column) -> Range | None:
        """The values a stored column may plausibly hold: its own range, else the model's dates for a date."""
        if column.range is not None:
            return column.range
        return self.dates if column.type == "date" else None

    def column_type(self, entity: str, column: str) -> str:
        ent = self.entities[entity]
        if column in ent.columns:
            return ent.columns[column].type
        return ent.calculated[column].type

    def find_column(self, name: str) -> Column | None:
        """The declaration of a column name (for labels of breakdown values)."""
        for ent in self.entities.values():
            if name in ent.columns:
                return ent.columns[name]
        if name in self.classifications:
            return self.classifications[name].as_column()
        return None


RESERVED_NAMES = ("period_start", "period_end", "unit")  # names the language gives a meaning of its own


def build_model(doc: Document, diags: Diagnostics) -> Model | None:
    """Model from a schema-valid document, with the checks a schema cannot express."""
    data = doc.data
    entities: dict[str, Entity] = {}
    for ename, edata in data["entities"].items():
        columns = {
            cname: Column(cname, c["type"], c.get("nullable", False), c.get("values"),
                          _labels(c, "sv"), c.get("title", {}), c.get("pattern"),
                          _range(doc, ("entities", ename, "columns", cname, "range"), c["type"], diags),
                          c.get("sensitive", False), _labels(c, "en"))
            for cname, c in edata["columns"].items()
        }
        entities[ename] = Entity(ename, edata["key"], columns, title=edata.get("title", {}),
                                 plural=edata.get("plural", edata.get("title", {})))
        if edata["key"] not in columns:
            diags.error(doc.pos(("entities", ename, "key")), "E_MODEL_KEY",
                        f"key '{edata['key']}' of entity '{ename}' is not one of its columns",
                        did_you_mean(edata["key"], columns))
        for section in ("columns", "calculated", "relationships"):
            for cname in edata.get(section, {}):
                if cname in RESERVED_NAMES:
                    diags.error(doc.key_pos(("entities", ename, section, cname)), "E_RESERVED_NAME",
                                f"'{cname}' is a name of the language (the period's first or last day, or the "
                                "unit inside a related-rows condition)",
                                f"rename it, e.g. {cname}_datum, and map the stored name with --mapping")
        for cname, c in edata["columns"].items():
            for label in c.get("labels", {}):
                if c.get("values") is not None and label not in c["values"]:
                    diags.error(doc.key_pos(("entities", ename, "columns", cname, "labels", label)),
                                "E_MODEL_LABEL",
                                f"label for '{label}', which is not an allowed value of {ename}.{cname}",
                                did_you_mean(label, c["values"]))
    # relationships and their reverses
    for ename, edata in data["entities"].items():
        ent = entities[ename]
        for rname, r in edata.get("relationships", {}).items():
            path: tuple[str, ...] = ("entities", ename, "relationships", rname)
            if rname in ent.columns or rname in edata.get("calculated", {}) or rname in ent.relationships:
                diags.error(doc.key_pos(path), "E_MODEL_NAME_CLASH",
                            f"relationship '{rname}' has the name of a column or relationship of '{ename}'",
                            "name relationships after what they lead to, e.g. 'fall' for fall_id")
                continue
            if r["to"] not in entities:
                diags.error(doc.pos(path + ("to",)), "E_UNKNOWN_ENTITY",
                            f"relationship '{rname}' leads to unknown entity '{r['to']}'",
                            did_you_mean(r["to"], entities))
                continue
            if r["foreign_key"] not in ent.columns:
                diags.error(doc.pos(path + ("foreign_key",)), "E_UNKNOWN_COLUMN",
                            f"foreign key '{r['foreign_key']}' is not a column of '{ename}'",
                            did_you_mean(r["foreign_key"], ent.columns))
                continue
            ent.relationships[rname] = Relationship(rname, ename, r["to"], r["foreign_key"], False)
            reverse = r.get("reverse")
            if reverse:
                target = entities[r["to"]]
                target_data = data["entities"][r["to"]]
                if reverse in target.relationships or reverse in target.columns \
                        or reverse in target_data.get("relationships", {}) \
                        or reverse in target_data.get("calculated", {}):
                    diags.error(doc.pos(path + ("reverse",)), "E_MODEL_NAME_CLASH",
                                f"reverse name '{reverse}' is already used on entity '{r['to']}'",
                                "choose another plural name")
                    continue
                target.relationships[reverse] = Relationship(reverse, r["to"], ename, r["foreign_key"], True)
    # calculated columns: expressions over the entity's own stored columns
    for ename, edata in data["entities"].items():
        ent = entities[ename]
        for cname, c in edata.get("calculated", {}).items():
            path = ("entities", ename, "calculated", cname, "expr")
            if cname in ent.columns:
                diags.error(doc.key_pos(path[:-1]), "E_MODEL_NAME_CLASH",
                            f"calculated column '{cname}' has the name of a stored column")
                continue
            source = Source(c["expr"], doc.pos(path), 1 if path in doc.quoted else 0, doc.spans.get(path))
            tree = parse_expression(source, diags)
            if tree is None:
                continue
            bad = False
            for col in tree.find_all(exp.Column):
                parts = column_path(col)
                if len(parts) != 1 or parts[0] not in ent.columns:
                    diags.error(source.at(node_offset(col)), "E_UNKNOWN_COLUMN",
                                f"'{'.'.join(parts)}' is not a column of '{ename}' (a calculated column "
                                "uses only its entity's own columns)",
                                did_you_mean(parts[-1], ent.columns))
                    bad = True
            if not bad:
                ent.calculated[cname] = Calculated(cname, c["type"], tree, c.get("description", {}),
                                                 c.get("sensitive", False))
    for ename, edata in data["entities"].items():
        for rname, r in edata.get("rules", {}).items():
            path = ("entities", ename, "rules", rname, "check")
            source = Source(r["check"], doc.pos(path), 1 if path in doc.quoted else 0, doc.spans.get(path))
            tree = parse_expression(source, diags)
            if tree is not None:
                entities[ename].rules[rname] = Rule(rname, ename, tree, source, r.get("description", {}))
    temporal: dict[str, Temporal] = {}
    for tname, t in data.get("temporal", {}).items():
        path = ("temporal", tname)
        if t["entity"] not in entities:
            diags.error(doc.pos(path + ("entity",)), "E_UNKNOWN_ENTITY",
                        f"unknown entity '{t['entity']}'", did_you_mean(t["entity"], entities))
            continue
        cols = entities[t["entity"]].columns
        ok = True
        for key in ("match_on", "start", "end"):
            if t[key] not in cols:
                diags.error(doc.pos(path + (key,)), "E_UNKNOWN_COLUMN",
                            f"'{t[key]}' is not a column of '{t['entity']}'", did_you_mean(t[key], cols))
                ok = False
        for i, u in enumerate(t.get("unique_per", [])):
            if u not in cols:
                diags.error(doc.pos(path + ("unique_per", i)), "E_UNKNOWN_COLUMN",
                            f"'{u}' is not a column of '{t['entity']}'", did_you_mean(u, cols))
                ok = False
        if ok:
            temporal[tname] = Temporal(tname, t["entity"], t["match_on"], t["start"], t["end"],
                                       list(t.get("unique_per", [])), t.get("description", {}))
    broken: set[str] = set()
    classifications = _classifications(doc, diags, broken)
    dates = _range(doc, ("dates",), "date", diags, "dates")
    return Model(data["model"], data["version"], entities, temporal, doc.file, classifications, broken, dates)


def _labels(column: dict, lang: str) -> dict[str, str]:
    """A column's value labels in one language: a label is Swedish text, or {sv, en}; a text label has
    no English one (English then shows the Swedish)."""
    labels = column.get("labels", {})
    if lang == "sv":
        return {v: t["sv"] if isinstance(t, dict) else t for v, t in labels.items()}
    return {v: t[lang] for v, t in labels.items() if isinstance(t, dict)}


def _range(doc: Document, path: tuple, column_type: str, diags: Diagnostics, declared: str = "range") -> Range | None:
    """A plausible range (`dates:` of the model or `range:` of a column), its ends of the column's type."""
    spec = doc.data
    for key in path:
        spec = spec.get(key) if isinstance(spec, dict) else None
    if spec is None:
        return None
    if column_type not in ("date", *NUMERIC):
        diags.error(doc.key_pos(path), "E_MODEL_RANGE",
                    f"a range of plausible values is for date and number columns, not {column_type}",
                    "limit text columns with values: or pattern:")
        return None
    ends: dict[str, Bound | None] = {}
    for end in ("from", "to"):
        value = spec.get(end)
        if value is None:
            ends[end] = None
        elif column_type == "date":
            try:
                ends[end] = dt.date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                ends[end] = None
            if ends[end] is None:
                diags.error(doc.pos(path + (end,)), "E_MODEL_RANGE", f"'{value}' is not a date",
                            "write a date as YYYY-MM-DD with a real day, e.g. 1955-01-01")
                return None
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            ends[end] = value
        else:
            diags.error(doc.pos(path + (end,)), "E_MODEL_RANGE", f"'{value}' is not a number, and the column is "
                        f"{column_type}", "write a number, e.g. from: 1900")
            return None
    low, high = ends["from"], ends["to"]
    if low is not None and high is not None and low > high:  # type: ignore[operator]  # both dates or both numbers
        diags.error(doc.pos(path + ("from",)), "E_MODEL_RANGE", f"the range is empty: from {low} is after to {high}",
                    "swap from and to")
        return None
    return Range(low, high, declared)


def _classifications(doc: Document, diags: Diagnostics, broken: set[str]) -> dict[str, Classification]:
    """Bands in ascending order, contiguous: only the first may be open below and only the last above."""
    result = {}
    for name, spec in doc.data.get("classifications", {}).items():
        bands: list[Band] = []
        ok, seen = True, set()
        for i, b in enumerate(spec["bands"]):
            path = ("classifications", name, "bands", i)
            code = str(b["code"])
            if code in seen:
                diags.error(doc.pos(path + ("code",)), "E_BANDS", f"band code '{code}' is used twice in {name}",
                            "give each band its own code: it is the value written in outputs and fixtures")
                ok = False
            seen.add(code)
            low, high = b.get("from"), b.get("below")
            if low is None and i > 0:
                diags.error(doc.pos(path), "E_BANDS", f"band '{code}' has no 'from': only the first band is open below",
                            f"add from: {spec['bands'][i - 1].get('below', '...')}")
                ok = False
            if high is None and i < len(spec["bands"]) - 1:
                diags.error(doc.pos(path), "E_BANDS", f"band '{code}' has no 'below': only the last band is open above",
                            f"add below: {spec['bands'][i + 1].get('from', '...')}")
                ok = False
            if low is not None and high is not None and not low < high:
                diags.error(doc.pos(path), "E_BANDS", f"band '{code}' is empty: from {low} is not below {high}",
                            "a band holds from <= value < below: make below larger than from, and keep the "
                            "bands in ascending order")
                ok = False
            if i > 0 and low is not None and bands and bands[-1].high is not None and low != bands[-1].high:
                what = "a gap" if low > bands[-1].high else "an overlap"
                order = "" if low > bands[-1].high else " (or the bands are not in ascending order)"
                diags.error(doc.pos(path + ("from",)), "E_BANDS",
                            f"{what} between bands '{bands[-1].code}' and '{code}': {bands[-1].high} vs {low}{order}",
                            f"list the bands in ascending order, each starting where the one before ends: "
                            f"from: {bands[-1].high}")
                ok = False
            bands.append(Band(code, low, high, dict(b["label"])))
        if ok:
            result[name] = Classification(name, dict(spec["title"]), bands)
        else:
            broken.add(name)
    return result
