"""What a change does to the numbers and to the published figures: the same data through two
versions of a catalogue.

A reviewer compares the working catalogue with a baseline (another folder, or the catalogue
at a git revision). `CatalogueDiff` (engine.api.diff) holds, per changed definition: why it
changed (its own file, a base it is built on, a part of the data model it uses), whether
its version was raised for a changed meaning, every published figure resting on it held
against both versions (the verdict before and after), every row whose value, numerator,
denominator or n changed, appeared or disappeared, and the YAML and compiled-SQL diffs.
`as_table` and `as_markdown` show it (the command line's `indicators diff`).

Only what can differ is computed: an indicator whose compiled SQL and meaning are the same
in both catalogues, on the same tables, gives the same rows on the same data, so it is not
run at all, or run once when its published figures were edited.

Disclosure control applies as in each catalogue's report (engine.shielded): a row whose
cell is suppressed in either version is not compared (its values, the difference and even
whether it changed would tell about the hidden cell); each definition says only how many
such rows it has. A figure resting on a suppressed cell has the verdict "suppressed" on
that side, shown as `..`; a change to or from it is a changed verdict like any other.
"""
from __future__ import annotations

import difflib
import io
import json
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import outputs
from .catalogue import MODEL_FILE, Catalogue
from .check import _claim, _decimals, hold
from .diagnostics import Diagnostic, Diagnostics, EngineError, Position, did_you_mean
from .info import PublishedFigure
from .load import Document, load_text
from .periods import parse_period
from .plan import plan_query
from .present import NO_VALUE, aligned, breakdown_label, format_number
from .render import CompileRefused, render_sql
from .sanitize import terminal_safe
from .semantic import PART_NAMES, Meaning, meaning
from .shielded import SUPPRESSED, Shield, cell_key
from .versions import VERSION_CODES

FIELDS = ("value", "numerator", "denominator", "n")
Key = tuple[str, str]  # (indicator id, period label)
NO_ROW = "(ingen rad)"


@dataclass
class RowChange:
    """One row (indicator, period, breakdown) that differs between the baseline and the working catalogue."""
    indicator: str
    period: str
    breakdown: dict
    before: dict | None  # None: the row is new
    after: dict | None   # None: the row is gone
    unit: str = "count"
    label: str = ""                    # the breakdown as the report names it ("Ersättning: Sjukpenning")
    old_text: str = ""                 # the value as the report prints it (a share with the published precision)
    new_text: str = ""
    difference: float | None = None    # new − old, for a share in percentage points; None without both values
    difference_text: str = ""
    figures: list[str] = field(default_factory=list)   # ids of the published figures resting on this row

    @property
    def status(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"

    def as_dict(self) -> dict:
        pick = lambda r: None if r is None else {f: r[f] for f in FIELDS}  # noqa: E731
        return {"indicator": self.indicator, "period": self.period, "breakdown": self.breakdown,
                "label": self.label, "status": self.status, "unit": self.unit,
                "before": pick(self.before), "after": pick(self.after), "old_text": self.old_text,
                "new_text": self.new_text, "difference": self.difference, "difference_text": self.difference_text,
                "figures": self.figures}


@dataclass
class FigureVerdict:
    """One published figure held against the rows of both catalogues."""
    id: str                            # the stable figure id (engine.info.figure_ids)
    indicator: str
    period: str                        # "2018", or "2016–2018" for a claim over several periods
    breakdown: dict
    label: str
    published: str                     # the claim ("58 %", "lägre än 2017"), as the working catalogue has it
    published_before: str | None       # the baseline's claim when the figure was edited, else None
    text: str                          # the published wording
    old_computed: str | None           # None: the figure is not in the baseline
    new_computed: str | None           # None: the figure is not in the working catalogue
    old_holds: bool | None
    new_holds: bool | None
    old_reason: str
    new_reason: str
    changed: bool                      # the verdict changed (or a new figure does not hold)
    source: str                        # the full citation of the source
    position: str                      # file:line:col of the figure (the baseline's when it was removed)
    accepted: bool = False             # the change is accepted (--accept ID, --accept-all)
    old_verdict: str | None = None     # "holds" | "fails" | "suppressed"; None: the figure is not in that version
    new_verdict: str | None = None

    def __post_init__(self) -> None:
        def state(computed: str | None, holds: bool | None) -> str | None:
            return None if computed is None else "suppressed" if holds is None else "holds" if holds else "fails"
        self.old_verdict = self.old_verdict or state(self.old_computed, self.old_holds)
        self.new_verdict = self.new_verdict or state(self.new_computed, self.new_holds)

    @property
    def status(self) -> str:
        if self.old_computed is None:
            return "added"
        if self.new_computed is None:
            return "removed"
        return "changed" if self.changed else "same"

    def as_dict(self) -> dict:
        return {"id": self.id, "indicator": self.indicator, "period": self.period, "breakdown": self.breakdown,
                "label": self.label, "status": self.status, "published": self.published,
                "published_before": self.published_before, "text": self.text,
                "old": {"computed": self.old_computed, "holds": self.old_holds, "verdict": self.old_verdict,
                        "reason": self.old_reason},
                "new": {"computed": self.new_computed, "holds": self.new_holds, "verdict": self.new_verdict,
                        "reason": self.new_reason},
                "changed": self.changed, "accepted": self.accepted, "source": self.source,
                "position": self.position}


@dataclass
class DefinitionChange:
    """One indicator whose definition, meaning, compiled SQL, rows or published figures differ."""
    indicator: str
    status: str                        # "changed" | "added" | "removed"
    title: str
    file: str
    version_old: int | None
    version_new: int | None
    hash_old: str | None               # the semantic hash (engine.semantic)
    hash_new: str | None
    version_status: str                # "raised" | "not raised" (the missing bump) | "lowered" | "unchanged" | status
    meaning_parts: list[str]           # the parts whose meaning changed ("the measure")
    reasons: list[str]                 # why, e.g. "calculated column samarbete.x changed in model.yaml"
    yaml_diff: str                     # unified diff of its file, its changed bases and the model.yaml hunks it uses
    sql_diff: str                      # unified diff of the compiled DuckDB SQL for `sql_period`
    sql_period: str
    findings: list[str]                # what validate says about its version (E_VERSION_NOT_RAISED, ...)

    def as_dict(self) -> dict:
        return {"indicator": self.indicator, "status": self.status, "title": self.title, "file": self.file,
                "version": {"old": self.version_old, "new": self.version_new, "status": self.version_status},
                "hash": {"old": self.hash_old, "new": self.hash_new}, "meaning_parts": self.meaning_parts,
                "reasons": self.reasons, "yaml_diff": self.yaml_diff, "sql_diff": self.sql_diff,
                "sql_period": self.sql_period, "findings": self.findings}


@dataclass
class ModelChange:
    """A part of the data model that can change a number (a calculated column, a column's type or allowed values,
    a relationship, ...), changed between the two model.yaml files, and every indicator using it."""
    kind: str                          # "calculated column" | "column" | "relationship" | "entity" | "temporal
    name: str                          # relationship" | "classification"; name: entity.name or the name
    before: str | None                 # None: added
    after: str | None                  # None: removed
    indicators: list[str]              # every indicator using it whose meaning changed

    @property
    def verb(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "change": self.verb, "before": self.before,
                "after": self.after, "indicators": self.indicators}


@dataclass
class CatalogueDiff:
    """What a change of the catalogue does: rows, published figures' verdicts, definitions, data model."""
    baseline: str                      # what was compared with: a git revision or a folder
    periods: list[str]
    rows: list[RowChange] = field(default_factory=list)
    figures: list[FigureVerdict] = field(default_factory=list)
    definitions: list[DefinitionChange] = field(default_factory=list)
    model_changes: list[ModelChange] = field(default_factory=list)
    model_diff: str = ""
    findings: list[str] = field(default_factory=list)      # the working catalogue's version findings, as validate
    missing_bumps: list[str] = field(default_factory=list)  # indicators whose meaning changed under the same version
    not_compared: dict[str, int] = field(default_factory=dict)  # per indicator: rows suppressed in either version

    @property
    def changed_figures(self) -> list[FigureVerdict]:
        return [f for f in self.figures if f.changed]

    @property
    def blocking(self) -> list[FigureVerdict]:
        """Figures whose verdict changed and that nobody accepted: `indicators diff` exits 1 on them."""
        return [f for f in self.figures if f.changed and not f.accepted]

    @property
    def empty(self) -> bool:
        return not (self.rows or self.figures or self.definitions or self.model_changes or self.missing_bumps)

    def summary(self) -> dict:
        return {"rows_changed": len(self.rows), "rows_not_compared": sum(self.not_compared.values()),
                "figures_changed": len(self.changed_figures),
                "figures_not_accepted": len(self.blocking), "definitions_changed": len(self.definitions),
                "model_changes": len(self.model_changes), "missing_version_bumps": len(self.missing_bumps)}

    def summary_line(self) -> str:
        if self.empty:
            return "no differences: every row is the same in both versions"
        changed, blocking = len(self.changed_figures), len(self.blocking)
        accepted = "" if not changed else " (all accepted)" if not blocking else \
            f" ({changed - blocking} accepted)" if blocking < changed else ""
        hidden = sum(self.not_compared.values())
        return (f"{len(self.rows)} row(s) changed"
                + (f" ({hidden} more not compared: suppressed)" if hidden else "")
                + f", {changed} published figure(s) changed verdict{accepted}, "
                f"{len(self.definitions)} definition(s) changed, {len(self.missing_bumps)} missing version bump(s)")

    def as_dict(self) -> dict:
        return {"baseline": self.baseline, "periods": self.periods, "summary": self.summary(),
                "missing_version_bumps": self.missing_bumps, "findings": self.findings,
                "rows_not_compared": self.not_compared,
                "model_changes": [m.as_dict() for m in self.model_changes], "model_diff": self.model_diff,
                "definitions": [d.as_dict() for d in self.definitions],
                "figures": [f.as_dict() for f in self.figures], "rows": [r.as_dict() for r in self.rows]}


def compare_rows(before: list[dict], after: list[dict]) -> list[RowChange]:
    def key(r):
        return r["indicator"], r["period"], tuple(sorted(r["breakdown"].items(), key=str))
    old, new = {key(r): r for r in before}, {key(r): r for r in after}
    changes = []
    for k in sorted(set(old) | set(new), key=lambda k: (k[0], k[1], bool(k[2]), str(k[2]))):
        a, b = old.get(k), new.get(k)
        if a is not None and b is not None and all(_same(a[f], b[f]) for f in FIELDS):
            continue
        row = a or b
        assert row is not None  # k is a key of old or of new
        changes.append(RowChange(row["indicator"], row["period"], row["breakdown"], a, b))
    return changes


def _same(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return abs(float(x) - float(y)) <= 1e-9 * max(1.0, abs(float(x)))


def catalogue_at_revision(directory: Path, revision: str, into: Path) -> Path:
    """Extract the catalogue folder as it was at a git revision (read-only use of the repository)."""
    directory = directory.resolve()
    try:
        top = Path(subprocess.run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"], check=True,
                                  capture_output=True, text=True).stdout.strip())
        relative = directory.relative_to(top).as_posix()
        if revision.startswith("-"):
            raise ValueError("a revision does not start with '-'")
        found = subprocess.run(["git", "-C", str(top), "rev-parse", "--verify", "--quiet", "--end-of-options",
                                f"{revision}^{{commit}}"], capture_output=True, text=True)
        if found.returncode != 0:  # --quiet: git says nothing, so say it here
            raise ValueError(f"the repository {top} has no commit, branch or tag '{revision}'")
        commit = found.stdout.strip()
        archive = subprocess.run(["git", "-C", str(top), "archive", "--format=tar", commit, "--", relative],
                                 check=True, capture_output=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        detail = detail.decode(errors="replace").strip() if isinstance(detail, bytes) else str(detail).strip()
        raise EngineError([Diagnostic(Position(str(directory)), "E_REVISION",
                                      f"cannot read the catalogue at revision '{revision}': {detail or exc}",
                                      "give a commit, branch or tag of the repository holding the catalogue, "
                                      "or --baseline DIR")]) from None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        links = [m for m in tar.getmembers() if m.issym() or m.islnk()]
        if links:  # a link may point anywhere (outside the tree, to a file never committed): read files only
            shown = ", ".join(f"{m.name} -> {m.linkname}" for m in links[:3]) + (", ..." if len(links) > 3 else "")
            raise EngineError([Diagnostic(Position(str(directory)), "E_REVISION",
                                          f"the catalogue at revision '{revision}' holds {len(links)} symbolic "
                                          f"link(s) ({shown}); a baseline is read from committed files only",
                                          "commit the files themselves instead of links, or compare with a "
                                          "folder: --baseline DIR")])
        try:
            tar.extractall(into, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise EngineError([Diagnostic(Position(str(directory)), "E_REVISION",
                                          f"cannot extract the catalogue at revision '{revision}': {exc}",
                                          "compare with a folder instead: --baseline DIR")]) from None
    return into / relative


def baseline_folder(directory: Path, revision: str) -> tempfile.TemporaryDirectory:
    """A temporary folder holding the catalogue at `revision`; its `.name / 'catalogue'` path is the folder."""
    holder = tempfile.TemporaryDirectory(prefix="indicators-baseline-")
    outputs.register(holder.name, folder=True)  # removed on SIGTERM/SIGINT too; release it after holder.cleanup()
    try:
        extracted = catalogue_at_revision(directory, revision, Path(holder.name))
    except BaseException:
        holder.cleanup()
        outputs.release(holder.name)
        raise
    (Path(holder.name) / "catalogue").symlink_to(extracted, target_is_directory=True)
    return holder


# ---------------------------------------------------------------- what to compute


@dataclass
class DiffPlan:
    """The runs a diff needs: each indicator for the requested periods and the periods its figures rest on."""
    ids: list[str]
    labels: list[str]                  # the requested periods
    old_keys: list[Key] = field(default_factory=list)   # run on the baseline
    new_keys: list[Key] = field(default_factory=list)   # run on the working catalogue
    once: set[str] = field(default_factory=set)   # same SQL and meaning, figures edited: run once, on the working one
    same: set[str] = field(default_factory=set)   # same SQL, meaning and figures: nothing to compute


def figures_of(catalogue: Catalogue, indicator: str) -> list[PublishedFigure]:
    """Every published figure of an indicator (of any period: a change that moves the 2017 figure matters
    whatever --period shows)."""
    bound = catalogue.indicators.get(indicator)
    return list(bound.info.published) if bound is not None else []


def _sql(catalogue: Catalogue, indicator: str, label: str, pretty: bool = False) -> str | None:
    bound = catalogue.indicators.get(indicator)
    if bound is None:
        return None
    try:
        return render_sql(plan_query(bound, parse_period(label)), "duckdb", pretty)
    except (EngineError, CompileRefused):
        return None


def _tables(catalogue: Catalogue) -> dict:
    """What the dataset is read as: every entity's key and stored columns with their types."""
    model = catalogue.model
    assert model is not None  # a checked catalogue has its model
    return {e.name: (e.key, {c.name: (c.type, c.nullable) for c in e.columns.values()})
            for e in model.entities.values()}


def _figure_terms(catalogue: Catalogue, indicator: str, figures: list[PublishedFigure]) -> tuple:
    """A figure list as what a verdict depends on: the unit and each claim (not where it is written)."""
    bound = catalogue.indicators.get(indicator)
    return (bound.info.unit if bound else None, [replace(f, index=0, position=Position("")) for f in figures])


def plan_diff(catalogue: Catalogue, baseline: Catalogue, ids: list[str], labels: list[str]) -> DiffPlan:
    plan = DiffPlan(ids, labels)
    same_tables = _tables(catalogue) == _tables(baseline)
    for ind in ids:
        old, new = baseline.indicators.get(ind), catalogue.indicators.get(ind)
        old_figures, new_figures = figures_of(baseline, ind), figures_of(catalogue, ind)
        figure_periods = list(dict.fromkeys(p for f in old_figures + new_figures for p in f.needed_periods))
        wanted = list(dict.fromkeys(labels + figure_periods))
        if old is not None and new is not None and same_tables and meaning(old) == meaning(new) \
                and all((sql := _sql(baseline, ind, p)) is not None and sql == _sql(catalogue, ind, p)
                        for p in wanted):
            if _figure_terms(baseline, ind, old_figures) == _figure_terms(catalogue, ind, new_figures):
                plan.same.add(ind)
            else:
                plan.once.add(ind)
                plan.new_keys += [(ind, p) for p in figure_periods]
            continue
        if old is not None:
            plan.old_keys += [(ind, p) for p in wanted]
        if new is not None:
            plan.new_keys += [(ind, p) for p in wanted]
    return plan


def unknown_figures(accepted: list[str], catalogue: Catalogue, baseline: Catalogue) -> list[Diagnostic]:
    """An --accept that names no published figure of either catalogue (a typo would accept nothing)."""
    known = {f.id for c in (catalogue, baseline) for b in c.indicators.values() for f in b.info.published}
    return [Diagnostic(Position("--accept"), "E_UNKNOWN_FIGURE", f"no published figure '{ident}' in either catalogue",
                       did_you_mean(ident, known)) for ident in dict.fromkeys(accepted) if ident not in known]


# ---------------------------------------------------------------- the result


def build_diff(catalogue: Catalogue, baseline: Catalogue, plan: DiffPlan, old_rows: dict[Key, list[dict]],
               new_rows: dict[Key, list[dict]], accepted: set[str] | frozenset[str] = frozenset(),
               accept_all: bool = False, baseline_label: str = "") -> CatalogueDiff:
    """The diff from the rows of both runs (see plan_diff), disclosure control applied as each catalogue's report
    applies it (see the module's doc)."""
    def rows(side: str, ind: str, period: str) -> list[dict] | None:
        if ind in plan.once or side == "new":
            return new_rows.get((ind, period))
        return old_rows.get((ind, period))

    # each version's own suppression: the baseline's threshold on what it computed (a figure-only change: new rows)
    shields = {"new": Shield.of(catalogue, new_rows),
               "old": Shield.of(baseline, {**{k: v for k, v in new_rows.items() if k[0] in plan.once}, **old_rows})}
    computed = [i for i in plan.ids if i not in plan.same]
    before = [r for i in computed if i not in plan.once for p in plan.labels for r in rows("old", i, p) or []]
    after = [r for i in computed if i not in plan.once for p in plan.labels for r in rows("new", i, p) or []]
    hidden = {(r["indicator"], r["period"], cell_key(r["breakdown"]))
              for side, side_rows in (("old", before), ("new", after)) for r in side_rows
              if shields[side].hidden(r["indicator"], r["period"], r["breakdown"])}
    not_compared: dict[str, int] = {}
    for ind, _, _ in sorted(hidden, key=str):
        not_compared[ind] = not_compared.get(ind, 0) + 1

    def compared(side_rows: list[dict]) -> list[dict]:
        return [r for r in side_rows if (r["indicator"], r["period"], cell_key(r["breakdown"])) not in hidden]
    changes = compare_rows(compared(before), compared(after))
    figures = [v for i in computed for v in _verdicts(catalogue, baseline, i, rows, accepted, accept_all, shields)]
    for change in changes:
        _describe_row(change, catalogue, baseline)
    old_model, new_model = _model_text(baseline), _model_text(catalogue)
    old_doc, new_doc = _model_document(old_model, baseline), _model_document(new_model, catalogue)
    old_meanings = {i: meaning(b) for i, b in baseline.indicators.items()}
    new_meanings = {i: meaning(b) for i, b in catalogue.indicators.items()}
    moved = {i for i in set(old_meanings) & set(new_meanings) if old_meanings[i].hash != new_meanings[i].hash}
    parts = _model_changes(old_doc, new_doc, catalogue, baseline, moved) if old_model != new_model else []
    shown = _shown_name(catalogue)
    model_diff = _unified(old_model, new_model, f"{shown}/{MODEL_FILE}")
    findings = _version_findings(catalogue, plan.ids)
    definitions = []
    for ind in plan.ids:
        definition = _definition(ind, catalogue, baseline, plan, changes, figures, parts, old_meanings, new_meanings,
                                 model_diff, old_doc, new_doc, findings)
        if definition is not None:
            definitions.append(definition)
    missing = {d.indicator for d in definitions if d.version_status == "not raised"}
    missing |= {ind for ind, found in findings.items() if any(d.code == "E_VERSION_NOT_RAISED" for d in found)}
    every = [_finding(d) for ind in sorted(findings) for d in findings[ind]]
    return CatalogueDiff(baseline_label or str(baseline.directory), list(plan.labels), changes, figures, definitions,
                         [m for m, _, _ in parts], model_diff, every, sorted(missing), not_compared)


def _unit(catalogue: Catalogue, baseline: Catalogue, ind: str) -> str:
    bound = catalogue.indicators.get(ind) or baseline.indicators[ind]
    return bound.info.unit


def _label(catalogue: Catalogue, baseline: Catalogue, breakdown: dict) -> str:
    return breakdown_label(catalogue if catalogue.model is not None else baseline, breakdown)


def _resting(catalogue: Catalogue, baseline: Catalogue, ind: str, period: str,
             breakdown: dict) -> list[PublishedFigure]:
    """The published figures (of either catalogue) that rest on one row: its breakdown, one of their periods."""
    found: dict[str, PublishedFigure] = {}
    for side in (catalogue, baseline):
        for f in figures_of(side, ind):
            if f.breakdown == breakdown and period in f.needed_periods:
                found.setdefault(f.id, f)
    return list(found.values())


def shown_decimals(unit: str, value, figures: list[PublishedFigure]) -> int | None:
    """The decimals a value is printed with: a rounded published figure's precision, else the table's."""
    for f in figures:
        if f.holds == "rounds_to" and f.precision is not None:
            return max(_decimals(f.precision) - (2 if unit == "share" else 0), 0)
    if unit == "share":
        return 1
    if isinstance(value, float):
        return 2 if unit == "ratio" else 1 if unit in ("days", "years") else None
    return None


def _signed(amount: float, text: str) -> str:
    return ("+" if amount > 0 else "−" if amount < 0 else "±") + text


def _describe_row(change: RowChange, catalogue: Catalogue, baseline: Catalogue) -> None:
    unit = _unit(catalogue, baseline, change.indicator)
    figures = _resting(catalogue, baseline, change.indicator, change.period, change.breakdown)
    own = [f for f in figures if change.period in f.own_periods and f.breakdown == change.breakdown]
    old = None if change.before is None else change.before["value"]
    new = None if change.after is None else change.after["value"]
    decimals = shown_decimals(unit, new if new is not None else old, own)
    change.unit, change.figures = unit, [f.id for f in figures]
    change.label = _label(catalogue, baseline, change.breakdown)
    change.old_text = NO_ROW if change.before is None else format_number(old, unit, decimals)
    change.new_text = NO_ROW if change.after is None else format_number(new, unit, decimals)
    if old is None or new is None:
        change.difference, change.difference_text = None, NO_VALUE
    elif unit == "share":
        points = (float(new) - float(old)) * 100
        change.difference = points
        change.difference_text = _signed(points, f"{format_number(abs(points), 'days', 1)} procentenheter")
    else:
        amount = float(new) - float(old) if isinstance(new, float) or isinstance(old, float) else new - old
        change.difference = amount
        change.difference_text = _signed(amount, format_number(abs(amount), unit, decimals))


def _verdicts(catalogue: Catalogue, baseline: Catalogue, ind: str, rows, accepted,
              accept_all: bool, shields: dict[str, Shield] | None = None) -> list[FigureVerdict]:
    """Every published figure of one indicator held against the rows of each catalogue that has it; on a side
    where it rests on a suppressed cell (`shields`), its verdict is "suppressed" (holds None) and its computed
    value "..". A new figure changes verdict when it fails; a suppressed one does not (it cannot be held here)."""
    old = {f.id: f for f in figures_of(baseline, ind)}
    new = {f.id: f for f in figures_of(catalogue, ind)}
    verdicts = []
    for ident in list(new) + [i for i in old if i not in new]:
        held: dict[str, tuple[bool | None, str, str, str]] = {}
        for side, cat, figure in (("old", baseline, old.get(ident)), ("new", catalogue, new.get(ident))):
            if figure is not None:
                unit = cat.get(ind).info.unit
                shield = shields[side] if shields is not None else None
                if shield is not None and shield.any_hidden(ind, figure.needed_periods, figure.breakdown):
                    held[side] = (None, shield.note, SUPPRESSED, _claim(figure, unit))
                    continue
                ok, reason, computed, _ = hold(figure, unit, {p: rows(side, ind, p) for p in figure.needed_periods})
                held[side] = (ok, reason, computed, _claim(figure, unit))
        figure = new.get(ident) or old[ident]
        home = catalogue if ident in new else baseline
        o, n = held.get("old"), held.get("new")
        changed = (o is not None and n is not None and o[0] != n[0]) or (o is None and n is not None and n[0] is False)
        own = figure.own_periods
        claim = (n or o)[3]  # type: ignore[index]  # the figure is in at least one catalogue
        verdicts.append(FigureVerdict(
            ident, ind, own[0] if len(own) == 1 else f"{own[0]}–{own[-1]}", dict(figure.breakdown),
            _label(catalogue, baseline, figure.breakdown), claim,
            o[3] if o is not None and n is not None and o[3] != n[3] else None, figure.text,
            None if o is None else o[2], None if n is None else n[2], None if o is None else o[0],
            None if n is None else n[0], "" if o is None else o[1], "" if n is None else n[1], changed,
            home.project.citation(figure.source, figure.at), str(figure.position),
            accept_all or ident in accepted))
    return verdicts


# ---------------------------------------------------------------- definitions and the data model


def _shown_name(catalogue: Catalogue) -> str:
    return Path(catalogue.directory).resolve().name or "indicators"


def _unified(old: str, new: str, name: str) -> str:
    """A unified diff (3 lines of context) of two texts, as `a/<name>` and `b/<name>`; "" when they are equal."""
    if old == new:
        return ""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), f"a/{name}", f"b/{name}", lineterm="")
    return "\n".join(lines) + "\n"


def _model_text(catalogue: Catalogue) -> str:
    try:
        return (Path(catalogue.directory) / MODEL_FILE).read_text(encoding="utf-8")
    except OSError:
        return ""


def _model_document(text: str, catalogue: Catalogue) -> Document | None:
    return load_text(text, f"{_shown_name(catalogue)}/{MODEL_FILE}", Diagnostics()) if text else None


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MEANING_KEYS = ("population", "measure", "breakdowns")  # what in an indicator file names model parts


def _words(value) -> set[str]:
    return set(_WORD.findall(json.dumps(value, ensure_ascii=False, default=str)))


def _model_parts(doc: Document | None) -> dict[tuple, tuple[str, str, object, set[str]]]:
    """Every part of a model that can change a number: path → (kind, name, what counts, the names it is used by)."""
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    parts: dict[tuple, tuple[str, str, object, set[str]]] = {}
    for e, ed in (data.get("entities") or {}).items():
        parts[("entities", e)] = ("entity", e, {"key": ed.get("key")}, {e})
        for c, cd in (ed.get("columns") or {}).items():
            parts[("entities", e, "columns", c)] = ("column", f"{e}.{c}", {k: cd[k] for k in ("type", "nullable",
                                                                                           "values") if k in cd}, {c})
        for c, cd in (ed.get("calculated") or {}).items():
            parts[("entities", e, "calculated", c)] = ("calculated column", f"{e}.{c}",
                                                       {k: v for k, v in cd.items() if k != "description"}, {c})
        for r, rd in (ed.get("relationships") or {}).items():
            parts[("entities", e, "relationships", r)] = ("relationship", f"{e}.{r}", rd,
                                                          {r} | ({rd["reverse"]} if rd.get("reverse") else set()))
    for t, td in (data.get("temporal") or {}).items():
        parts[("temporal", t)] = ("temporal relationship", t, {k: v for k, v in td.items() if k != "description"},
                                  {t})
    for c, cd in (data.get("classifications") or {}).items():
        bands = [{k: v for k, v in b.items() if k != "label"} for b in cd.get("bands") or [] if isinstance(b, dict)]
        parts[("classifications", c)] = ("classification", c, bands, {c})
    return parts


def _part_text(kind: str, value) -> str | None:
    if value is None:
        return None
    if kind == "calculated column" and isinstance(value, dict) and set(value) <= {"expr", "type"}:
        return f"{value.get('expr')} ({value.get('type')})"
    return json.dumps(value, ensure_ascii=False, default=str)


def _span(doc: Document | None, path: tuple) -> tuple[int, int] | None:
    """The first and last line of the value at `path` (its key included)."""
    if doc is None:
        return None
    lines = [line for table in (doc.positions, doc.key_positions) for p, (line, _) in table.items()
             if p[:len(path)] == path and line]
    return (min(lines), max(lines)) if lines else None


def _uses(ind: str, catalogue: Catalogue, baseline: Catalogue, docs: list[Document | None]) -> set[str]:
    """The names an indicator's definition (with its bases) uses, and those of the calculated columns it names."""
    words: set[str] = set()
    for side in (baseline, catalogue):
        bound = side.indicators.get(ind)
        for ident in (ind, *(bound.population_from if bound else ())):
            doc = side.documents.get(ident)
            if doc is not None:
                words |= _words({k: doc.data.get(k) for k in MEANING_KEYS})
    for doc in docs:
        for kind, _, value, names in _model_parts(doc).values():
            if kind == "calculated column" and names & words and isinstance(value, dict):
                words |= _words(value.get("expr", ""))
    return words


def _model_changes(old_doc: Document | None, new_doc: Document | None, catalogue: Catalogue, baseline: Catalogue,
                   moved: set[str]) -> list[tuple[ModelChange, tuple[int, int] | None, tuple[int, int] | None]]:
    """Each changed model part, the indicators using it whose meaning changed, and its lines in both files."""
    old, new = _model_parts(old_doc), _model_parts(new_doc)
    uses = {ind: _uses(ind, catalogue, baseline, [old_doc, new_doc]) for ind in sorted(moved)}
    found = []
    for path in list(old) + [p for p in new if p not in old]:
        a, b = old.get(path), new.get(path)
        if a is not None and b is not None and a[2] == b[2]:
            continue
        kind, name = (b or a)[:2]  # type: ignore[index]  # path is a key of old or of new
        names = (a[3] if a else set()) | (b[3] if b else set())
        users = [ind for ind in sorted(moved) if names & uses[ind]]
        found.append((ModelChange(kind, name, _part_text(kind, a[2] if a else None),
                                  _part_text(kind, b[2] if b else None), users),
                      _span(old_doc, path), _span(new_doc, path)))
    return found


def _hunks(diff: str, spans: list[tuple[tuple[int, int] | None, tuple[int, int] | None]]) -> str:
    """The hunks of a unified diff that touch one of the (old lines, new lines) spans, with the file header."""
    if not diff:
        return ""
    lines = diff.splitlines()
    header: list[str] = lines[:2]
    hunks: list[list[str]] = []
    current: list[str] = []
    for line in lines[2:]:
        if line.startswith("@@") and current:
            hunks.append(current)
            current = []
        current.append(line)
    if current:
        hunks.append(current)

    def touches(hunk: list[str]) -> bool:
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", hunk[0])
        if m is None:
            return True
        a, b = int(m[1]), int(m[2] if m[2] is not None else 1)
        c, d = int(m[3]), int(m[4] if m[4] is not None else 1)
        return any((o is not None and o[0] <= a + b - 1 and a <= o[1]) or
                   (n is not None and n[0] <= c + d - 1 and c <= n[1]) for o, n in spans)
    chosen = [h for h in hunks if touches(h)] or hunks
    return "\n".join(header + [line for h in chosen for line in h]) + "\n"


def _version_findings(catalogue: Catalogue, ids: list[str]) -> dict[str, list[Diagnostic]]:
    """What validate says about versions in the working catalogue, per indicator ("" for the catalogue as a whole)."""
    files = {doc.file: ind for ind, doc in catalogue.documents.items()}
    wanted = set(ids)
    found: dict[str, list[Diagnostic]] = {}
    for d in catalogue.diagnostics:
        ind = files.get(d.position.file, "")
        if d.code in VERSION_CODES and (not ind or ind in wanted):
            found.setdefault(ind, []).append(d)
    return found


def _finding(d: Diagnostic) -> str:
    """A finding as validate prints it (an error there, though a warning for diff)."""
    return f"{d.position}: {d.code} {d.message}" + (f"\n    hint: {d.hint}" if d.hint else "")


def _definition(ind: str, catalogue: Catalogue, baseline: Catalogue, plan: DiffPlan, changes: list[RowChange],
                figures: list[FigureVerdict], parts, old_meanings: dict[str, Meaning],
                new_meanings: dict[str, Meaning], model_diff: str, old_doc, new_doc,
                findings: dict[str, list[Diagnostic]]) -> DefinitionChange | None:
    """The change of one indicator, or None when nothing about it differs."""
    old, new = baseline.indicators.get(ind), catalogue.indicators.get(ind)
    old_text = baseline.documents[ind].text if old is not None else ""
    new_text = catalogue.documents[ind].text if new is not None else ""
    om, nm = old_meanings.get(ind), new_meanings.get(ind)
    moved = om is not None and nm is not None and om.hash != nm.hash
    label = plan.labels[0]
    old_sql, new_sql = _sql(baseline, ind, label, pretty=True) or "", _sql(catalogue, ind, label, pretty=True) or ""
    rows = [c for c in changes if c.indicator == ind]
    verdicts = [f for f in figures if f.indicator == ind and (f.status != "same" or f.published_before)]
    used = [(m, o, n) for m, o, n in parts if ind in m.indicators]
    bound = new or old
    assert bound is not None  # ind is an indicator of one of the catalogues
    bases_changed = [b for b in bound.population_from
                     if b in baseline.documents and b in catalogue.documents
                     and baseline.documents[b].text != catalogue.documents[b].text]
    if old is not None and new is not None and not (old_text != new_text or moved or old_sql != new_sql or rows
                                                     or verdicts or used or ind in findings):
        return None
    shown = _shown_name(catalogue)
    file = Path((catalogue.documents.get(ind) or baseline.documents[ind]).file).name
    status = "added" if old is None else "removed" if new is None else "changed"
    parts_changed = [PART_NAMES[p]["en"] for p in PART_NAMES
                     if om is not None and nm is not None and moved and om.parts.get(p) != nm.parts.get(p)]
    reasons = []
    if status == "added":
        reasons.append("new indicator: not in the baseline")
    elif status == "removed":
        reasons.append("removed: not in the working catalogue")
    else:
        keys = [k for k in dict.fromkeys([*baseline.documents[ind].data, *catalogue.documents[ind].data])
                if baseline.documents[ind].data.get(k) != catalogue.documents[ind].data.get(k)]
        if keys:
            reasons.append(f"{', '.join(keys)} changed in {file}")
        elif old_text != new_text:
            reasons.append(f"only layout or comments changed in {file}")
        reasons += [f"population base {b} changed in {b}.yaml" for b in bases_changed]
        reasons += [f"{m.kind} {m.name} {m.verb} in {MODEL_FILE}" for m, _, _ in used]
        if moved and not (keys or bases_changed or used):
            reasons.append(f"the data model changed ({MODEL_FILE})" if model_diff else "the meaning changed")
        if old_sql != new_sql and not moved:
            reasons.append("the compiled SQL changed")
        if rows and not (moved or old_sql != new_sql):
            reasons.append(f"the dataset is read differently: the stored columns changed in {MODEL_FILE}")
    yaml = _unified(old_text, new_text, f"{shown}/{file}")
    for b in bases_changed:
        yaml += _unified(baseline.documents[b].text, catalogue.documents[b].text,
                         f"{shown}/{Path(catalogue.documents[b].file).name}")
    if used:
        yaml += _hunks(model_diff, [(o, n) for _, o, n in used])
    elif moved and not (old_text != new_text or bases_changed):
        yaml += model_diff
    version_old, version_new = old.info.version if old else None, new.info.version if new else None
    if old is None or new is None:
        version_status = status
    elif new.info.version > old.info.version:
        version_status = "raised"
    elif new.info.version < old.info.version:
        version_status = "lowered"
    else:
        version_status = "not raised" if moved else "unchanged"
    return DefinitionChange(ind, status, bound.info.title.get("sv", ind), file, version_old, version_new,
                            om.hash if om else None, nm.hash if nm else None, version_status, parts_changed, reasons,
                            yaml, _unified(old_sql and old_sql + "\n", new_sql and new_sql + "\n", f"{ind}.sql"),
                            label, [_finding(d) for d in findings.get(ind, [])])


# ---------------------------------------------------------------- showing it


VERDICT_WORDS = {"holds": "ja", "fails": "NEJ", "suppressed": "visas inte", None: NO_VALUE}


def _verdict(verdict: str | None) -> str:
    """A verdict in the table: ja, NEJ, "visas inte" (suppressed), – (the figure is not in that version)."""
    return VERDICT_WORDS[verdict]


def not_compared_line(count: int) -> str:
    return (f"{count} row(s) not compared: suppressed in either version (disclosure control; their values, "
            "and whether they changed, are not shown)")


def _marker(f: FigureVerdict) -> str:
    if f.changed:
        return "CHANGED (accepted)" if f.accepted else "CHANGED"
    return {"added": "new figure", "removed": "removed"}.get(f.status, "claim edited" if f.published_before else "")


def _version_line(d: DefinitionChange) -> str:
    if d.version_status == "added":
        return f"new, version {d.version_new}"
    if d.version_status == "removed":
        return f"removed (was version {d.version_old})"
    parts = " and ".join(d.meaning_parts) or "the definition"
    if d.version_status == "raised":
        return f"version {d.version_old} → {d.version_new} (raised)"
    if d.version_status == "lowered":
        return f"version {d.version_old} → {d.version_new}: LOWERED (versions only go up)"
    if d.version_status == "not raised":
        return (f"version {d.version_old} → {d.version_new}: NOT RAISED, the meaning changed ({parts}) "
                f"but the version is still {d.version_new}")
    return f"version {d.version_new} (meaning unchanged)"


def _pair(before: dict | None, after: dict | None, name: str) -> str:
    a = NO_VALUE if before is None or before[name] is None else format_number(before[name])
    b = NO_VALUE if after is None or after[name] is None else format_number(after[name])
    return a if a == b else f"{a} → {b}"


def _figure_cells(f: FigureVerdict) -> list[str]:
    published = f.published if not f.published_before else f"{f.published_before} → {f.published}"
    return [f.id, f.period, published, f.old_computed or NO_VALUE, f.new_computed or NO_VALUE,
            _verdict(f.old_verdict), _verdict(f.new_verdict), _marker(f)]


FIGURE_HEADER = ["Figur", "Period", "Publicerat", "Beräknat före", "Beräknat efter", "Stämde", "Stämmer", ""]


def _row_table(rows: list[RowChange]) -> tuple[list[str], list[list[str]], set[int]]:
    shares = any(r.unit == "share" for r in rows)
    header = ["Period", "Redovisningsgrupp", "Före", "Efter", "Skillnad"] + (["Täljare", "Nämnare"] if shares else []) \
        + ["n", "Publicerad"]
    body = []
    for r in rows:
        cells = [r.period, r.label, r.old_text, r.new_text, r.difference_text]
        if shares:
            cells += [_pair(r.before, r.after, "numerator"), _pair(r.before, r.after, "denominator")] \
                if r.unit == "share" else ["", ""]
        cells += [_pair(r.before, r.after, "n"), f"published: {', '.join(r.figures)}" if r.figures else ""]
        body.append(cells)
    right = {2, 3, 4} | ({5, 6, 7} if shares else {5})
    return header, body, right


def _accept_hint(diff: CatalogueDiff) -> str:
    ids = " ".join(f"--accept {f.id}" for f in diff.blocking)
    return (f"{len(diff.blocking)} published figure(s) changed verdict: if that is intended, accept them with "
            f"{ids} (or --accept-all)")


def _other_findings(diff: CatalogueDiff) -> list[str]:
    """The version findings not shown under a changed definition (e.g. a lock file that cannot be read)."""
    shown = {text for d in diff.definitions for text in d.findings}
    return [text for text in diff.findings if text not in shown]


def _indented(text: str, by: str = "  ") -> list[str]:
    return [(by + line).rstrip() if line else line for line in text.rstrip("\n").split("\n")]


def as_table(diff: CatalogueDiff) -> str:
    """The reviewer's report as text: the summary, the model changes, then each changed definition."""
    out = [diff.summary_line(), f"baseline {diff.baseline}; period(s) {', '.join(diff.periods)}", ""]
    if diff.model_changes:
        out.append(f"Data model changes ({MODEL_FILE}):")
        for m in diff.model_changes:
            out.append(f"  {m.kind} {m.name} {m.verb}")
            if m.before is not None:
                out.append(f"    before: {m.before}")
            if m.after is not None:
                out.append(f"    after:  {m.after}")
            out.append("    used by: " + (", ".join(m.indicators) or "no indicator whose meaning changed"))
        out.append("")
    for d in diff.definitions:
        out.append(f"== {d.indicator}: {_version_line(d)}")
        out += [f"   why: {reason}" for reason in d.reasons]
        out += [f"   validate: {line}" if i == 0 else f"   {line}" for text in d.findings
                for i, line in enumerate(text.split("\n"))]
        out.append("")
        figures = [f for f in diff.figures if f.indicator == d.indicator]
        if figures:
            out.append("Published figures:")
            out += _indented(aligned(FIGURE_HEADER, [_figure_cells(f) for f in figures]))
            out.append("")
        rows = [r for r in diff.rows if r.indicator == d.indicator]
        if rows:
            out.append(f"Changed rows ({len(rows)}):")
            header, body, right = _row_table(rows)
            out += _indented(aligned(header, body, right))
            out.append("")
        if diff.not_compared.get(d.indicator):
            out += [not_compared_line(diff.not_compared[d.indicator]), ""]
        if d.yaml_diff:
            out += ["YAML diff:", *_indented(d.yaml_diff), ""]
        if d.sql_diff:
            out += [f"SQL diff ({d.sql_period}, duckdb):", *_indented(d.sql_diff), ""]
    rest = _other_findings(diff)
    if rest:
        out.append("validate also says:")
        out += [f"  {line}" for text in rest for line in text.split("\n")]
        out.append("")
    if diff.blocking:
        out.append(_accept_hint(diff))
    return terminal_safe("\n".join(out).rstrip("\n") + "\n")


def _md(text: object) -> str:
    from .report_formats import md
    return md(text)


def _fence(text: str, language: str = "diff") -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *text.rstrip("\n").split("\n"), fence]


def _md_table(header: list[str], body: list[list[str]], right: set[int] | frozenset[int] = frozenset()) -> list[str]:
    return ["| " + " | ".join(_md(h) for h in header) + " |",
            "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|",
            *("| " + " | ".join(_md(c) for c in row) + " |" for row in body)]


def as_markdown(diff: CatalogueDiff) -> str:
    """The reviewer's report as Markdown, for a merge-request comment."""
    out = ["## indicators diff", "", f"**{_md(diff.summary_line())}**", "",
           f"Baseline {_md(diff.baseline)}; period(s) {_md(', '.join(diff.periods))}.", ""]
    if diff.blocking:
        out += [f"> **{_md(_accept_hint(diff))}**", ""]
    if diff.model_changes:
        out += [f"### Data model changes ({_md(MODEL_FILE)})", ""]
        for m in diff.model_changes:
            out.append(f"- **{_md(m.kind)} {_md(m.name)}** {m.verb}"
                       + (f"; before: {_md(m.before)}" if m.before is not None else "")
                       + (f"; after: {_md(m.after)}" if m.after is not None else "")
                       + "; used by: " + (", ".join(_md(i) for i in m.indicators)
                                          or "no indicator whose meaning changed"))
        out.append("")
    for d in diff.definitions:
        out += [f"### {_md(d.indicator)}", "", f"{_md(_version_line(d))}", ""]
        out += [f"- why: {_md(reason)}" for reason in d.reasons]
        out += [f"- validate: {_md(text)}" for text in d.findings]
        out.append("")
        figures = [f for f in diff.figures if f.indicator == d.indicator]
        if figures:
            out += ["**Published figures**", "", *_md_table(FIGURE_HEADER[:-1] + ["Ändring"],
                                                            [_figure_cells(f) for f in figures]), ""]
        rows = [r for r in diff.rows if r.indicator == d.indicator]
        if rows:
            header, body, right = _row_table(rows)
            out += [f"**Changed rows ({len(rows)})**", "", *_md_table(header, body, right), ""]
        if diff.not_compared.get(d.indicator):
            out += [_md(not_compared_line(diff.not_compared[d.indicator])), ""]
        for title, text in (("YAML diff", d.yaml_diff), (f"SQL diff ({d.sql_period}, duckdb)", d.sql_diff)):
            if text:
                out += [f"<details><summary>{_md(title)}</summary>", "", *_fence(text), "", "</details>", ""]
    rest = _other_findings(diff)
    if rest:
        out += ["**validate also says**", "", *(f"- {_md(t)}" for t in rest), ""]
    return terminal_safe("\n".join(out).rstrip("\n") + "\n")
