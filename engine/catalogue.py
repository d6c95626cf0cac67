"""The catalogue: the model and every indicator of a folder, loaded, validated and bound.

`load_catalogue` runs the first three stages for every file and reports every error of
every file at once (it never stops at the first).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Diagnostics, EngineError, Position, did_you_mean
from .info import Source
from .load import Document, load_file
from .model import Model, build_model
from .resolve import BoundIndicator, BoundRule, check_calculated, resolve_indicator, resolve_rules
from .validate import validate_schema

if TYPE_CHECKING:
    from .selective import Subset

MODEL_FILE = "model.yaml"
PROJECT_FILE = "project.yaml"
SCHEMA_LINE = "# yaml-language-server: $schema="
ENGINE_SCHEMAS = Path(__file__).resolve().parent / "schemas"


def default_indicators_dir() -> Path:
    """The project's indicators/ folder (next to the engine package)."""
    return Path(__file__).resolve().parent.parent / "indicators"


@dataclass(frozen=True)
class ReportSpec:
    """One report (a section of the yearly report) that indicators name with `report:`."""
    key: str
    title: dict
    source: str
    trend_years: int | None = None
    kon_chart: bool = True
    order: tuple[str, ...] = ()


@dataclass
class Project:
    """Settings of the catalogue as a whole (project.yaml): disclosure, change alerts, reports."""
    title: dict = field(default_factory=lambda: {"sv": "Indikatorer", "en": "Indicators"})
    threshold: int = 5
    change_alert: dict = field(default_factory=dict)
    reports: list[ReportSpec] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    file: str | None = None
    document: Document | None = None
    valid: bool = True           # False when project.yaml has errors: checks that rest on it are skipped

    def report(self, key: str) -> ReportSpec:
        for spec in self.reports:
            if spec.key == key:
                return spec
        return ReportSpec(key, {"sv": key, "en": key}, "")

    def citation(self, source_id: str, at: str = "") -> str:
        """The full citation of a source id (and a place in it); the bare id when it is not declared."""
        source = self.sources.get(source_id)
        if source is None:
            return f"{source_id}, {at}" if at else source_id
        return source.citation(at)


@dataclass
class Catalogue:
    directory: Path
    model: Model | None
    project: Project = field(default_factory=Project)
    indicators: dict[str, BoundIndicator] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rules: list[BoundRule] = field(default_factory=list)
    # set when only some indicator files were loaded (engine.selective.load_selected): `indicators` holds those
    # asked for and their bases, the subset knows the ids of the others
    subset: Subset | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def _known(self) -> list[str]:
        """The ids an unknown one is compared with: the catalogue's, also those of files not loaded."""
        return list(self.indicators) + (self.subset.ids() if self.subset is not None else [])

    def get(self, indicator_id: str) -> BoundIndicator:
        if indicator_id not in self.indicators:
            raise EngineError([Diagnostic(Position(str(self.directory)), "E_UNKNOWN_INDICATOR",
                                          f"no indicator '{indicator_id}' in the catalogue",
                                          did_you_mean(indicator_id, self._known()))])
        return self.indicators[indicator_id]

    def select(self, ids: list[str] | None) -> list[BoundIndicator]:
        if not ids:
            assert self.subset is None, "every indicator of a catalogue loaded in part"
            return [self.indicators[k] for k in sorted(self.indicators)]
        problems = [i for i in ids if i not in self.indicators]
        if problems:
            raise EngineError([Diagnostic(Position(str(self.directory)), "E_UNKNOWN_INDICATOR",
                                          f"no indicator '{i}' in the catalogue", did_you_mean(i, self._known()))
                               for i in problems])
        return [self.indicators[i] for i in ids]

    def meanings(self) -> dict[str, tuple[int, str]] | None:
        """Every indicator's version and semantic hash (engine.semantic) by id, for the catalogue hash
        (engine.provenance): of every file of the folder also when only some were loaded, None when some other
        file has errors (engine.selective)."""
        if self.subset is not None:
            return self.subset.meanings(self)
        from .semantic import meaning
        return {ident: (bound.info.version, meaning(bound).hash) for ident, bound in self.indicators.items()}


def display_path(path: Path | str) -> str:
    """A path as the user would write it: relative to the current folder when inside it, else as given."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def schema_reference(path: Path, directory: Path, kind: str = "indicator") -> str:
    """The schema as a path relative to the file `path`, for its schema line.

    A catalogue with its own `schemas/` folder (beside or in the catalogue folder, as
    `indicators init` writes it) points there; any other file to the engine's schemas.
    """
    name = f"{kind}.schema.json"
    catalogue = directory.resolve()
    candidates = [catalogue.parent / "schemas" / name, catalogue / "schemas" / name]
    schema = next((c for c in candidates if c.is_file()), ENGINE_SCHEMAS / name)
    try:
        return Path(os.path.relpath(schema, path.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return schema.as_posix()


def _check_schema_line(doc_text: str, path: Path, directory: Path, file: str, diags: Diagnostics) -> None:
    first = doc_text.splitlines()[0] if doc_text else ""
    if not first.startswith(SCHEMA_LINE):
        diags.warning(Position(file, 1, 1), "W_SCHEMA_LINE",
                      "the file does not start with the schema line, so editors cannot check it",
                      f"add as first line: {SCHEMA_LINE}{schema_reference(path, directory)}")


def load_model(directory: Path, diags: Diagnostics) -> Model | None:
    path = directory / MODEL_FILE
    if not path.exists():
        diags.error(Position(display_path(path)), "E_FILE_NOT_FOUND", f"no data model: {display_path(path)} is missing",
                    "a catalogue folder holds model.yaml and one YAML file per indicator")
        return None
    doc = load_file(path, diags, display_path(path))
    if doc is None or not validate_schema(doc, "model", diags):
        return None
    return build_model(doc, diags)


def load_project(directory: Path, diags: Diagnostics) -> Project:
    """project.yaml when the folder has one, else the defaults (threshold 5, no declared reports)."""
    path = directory / PROJECT_FILE
    if not path.exists():
        return Project()
    doc = load_file(path, diags, display_path(path))
    if doc is None or not validate_schema(doc, "project", diags):
        return Project(file=display_path(path), valid=False)
    data, reports, seen = doc.data, [], set()
    for i, spec in enumerate(data["reports"]):
        if spec["key"] in seen:
            diags.error(doc.pos(("reports", i, "key")), "E_DUPLICATE_ID", f"report '{spec['key']}' is declared twice",
                        "give every report its own key")
        seen.add(spec["key"])
        reports.append(ReportSpec(spec["key"], spec["title"], spec["source"], spec.get("trend_years"),
                                  spec.get("kon_chart", True), tuple(spec.get("order", ()))))
    sources: dict[str, Source] = {}
    for i, src in enumerate(data.get("sources", [])):
        if src["id"] in sources:
            diags.error(doc.pos(("sources", i, "id")), "E_DUPLICATE_ID", f"source '{src['id']}' is declared twice",
                        "give every source its own id")
        sources[src["id"]] = Source(src["id"], src["title"], src["publisher"], src["date"], src.get("kind", ""),
                                    src.get("diarienummer", ""), src.get("url", ""))
    project = Project(data["title"], data["disclosure"]["threshold"], data.get("change_alert", {}), reports,
                      sources, display_path(path), doc)
    for i, spec in enumerate(reports):
        _check_source(spec.source, doc.pos(("reports", i, "source")), project, diags)
    return project


def _check_source(source_id: str, position: Position, project: Project, diags: Diagnostics) -> None:
    """A cited source must be declared in project.yaml's `sources:` (E_UNKNOWN_SOURCE)."""
    if not project.valid or source_id in project.sources:
        return
    where = project.file or PROJECT_FILE
    known = list(project.sources)
    head = source_id.split(",")[0].strip()
    if head in project.sources and head != source_id:  # the old form "id, place"
        hint = f"write source: {head} and at: \"{source_id.split(',', 1)[1].strip()}\""
    else:
        hint = did_you_mean(source_id, known) or (
            f"declare it under sources: in {where} (id, title, publisher, date)" if not known
            else f"cite one of {', '.join(known)}, or declare it under sources: in {where}")
    diags.error(position, "E_UNKNOWN_SOURCE", f"no source '{source_id}' in {where}", hint)


def _check_citations(doc: Document, project: Project, seen: dict[str, Position], diags: Diagnostics) -> None:
    """Every source id an indicator cites is declared; every figure id is unique in the catalogue."""
    from .info import figure_ids
    if "source" in doc.data:
        _check_source(doc.data["source"], doc.pos(("source",)), project, diags)
    figures = doc.data.get("published", [])
    for i, (figure, ident) in enumerate(zip(figures, figure_ids(doc.data["id"], figures), strict=True)):
        _check_source(figure["source"], doc.pos(("published", i, "source")), project, diags)
        where = doc.pos(("published", i, "id")) if "id" in figure else doc.pos(("published", i))
        if ident in seen:
            diags.error(where, "E_DUPLICATE_ID", f"figure id '{ident}' is already used by {seen[ident]}",
                        "give the figure its own id: (any text of a-z, 0-9, _ . / = , -)")
        else:
            seen[ident] = where


def _check_report(doc: Document, project: Project, diags: Diagnostics) -> None:
    key = doc.data.get("report")
    known = [r.key for r in project.reports]
    if key is not None and project.file and project.valid and key not in known:
        diags.error(doc.pos(("report",)), "E_UNKNOWN_REPORT", f"no report '{key}' in {project.file}",
                    did_you_mean(key, known) or f"declare it under reports: in {project.file}")


def indicator_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.y*ml")
                            if f.name not in (MODEL_FILE, PROJECT_FILE) and f.suffix in (".yaml", ".yml"))
        else:
            files.append(p)
    return files


def load_catalogue(directory: Path | str | None = None, files: list[Path] | None = None,
                   subset: Subset | None = None) -> Catalogue:
    """Load model.yaml of `directory` and the indicator files (default: every YAML file there).

    `subset` (engine.selective.load_selected): only its files, which hold every base they name, so a base is
    looked up among them alone; the catalogue remembers the subset (Catalogue.subset).
    """
    directory = Path(directory) if directory else default_indicators_dir()
    diags = Diagnostics()
    if not directory.is_dir():
        diags.error(Position(display_path(directory)), "E_FILE_NOT_FOUND", f"no such folder: {display_path(directory)}",
                    "pass --indicators DIR with the folder holding model.yaml")
        return Catalogue(directory, None, diagnostics=diags.items)
    model = load_model(directory, diags)
    catalogue = Catalogue(directory, model, load_project(directory, diags), subset=subset)
    if model is not None:
        check_calculated(model, diags)
        catalogue.rules = resolve_rules(model, diags)
    if subset is not None:
        files = subset.files
    load_indicators(catalogue, indicator_files(files if files is not None else [directory]), diags,
                    whole=files is None, fallback=files is not None and subset is None)
    catalogue.diagnostics = diags.items
    return catalogue


def load_indicators(catalogue: Catalogue, paths: list[Path], diags: Diagnostics, whole: bool = True,
                    fallback: bool = False, versions: bool = True) -> None:
    """Load, check and bind the indicator files `paths` into `catalogue` (its model and project already loaded).

    `whole`: the paths are every file of the folder (a report's order is held to them, the lock's unused entries
    named). `fallback`: a base that is not among the paths is read from `<id>.yaml` in the folder (validate of
    some files). `versions`: hold them to the lock (engine.versions).
    """
    directory, model = catalogue.directory, catalogue.model
    first_seen: dict[str, Position] = {}
    figure_seen: dict[str, Position] = {}
    unchecked: set[str] = set()  # ids of indicator files with schema errors
    for path in paths:
        display = display_path(path)
        if path.name in (MODEL_FILE, PROJECT_FILE):
            continue
        doc = load_file(path, diags, display)
        if doc is None:
            continue
        _check_schema_line(doc.text, path, directory, display, diags)  # the text as read once, within the limits
        if not isinstance(doc.data, dict):
            diags.error(doc.pos(()), "E_SCHEMA", "an indicator file must be a YAML mapping (key: value lines)")
            continue
        if not validate_schema(doc, "indicator", diags):
            if isinstance(doc.data.get("id"), str):
                unchecked.add(doc.data["id"])
            continue
        ind_id = doc.data["id"]
        if ind_id in first_seen:
            diags.error(doc.pos(("id",)), "E_DUPLICATE_ID",
                        f"indicator id '{ind_id}' is already used by {first_seen[ind_id]}",
                        "every indicator needs its own id; rename one of them")
            continue
        first_seen[ind_id] = doc.pos(("id",))
        if path.stem != ind_id:
            diags.warning(doc.pos(("id",)), "W_FILE_NAME", f"the file is named '{path.name}' but the id is '{ind_id}'",
                          f"name the file {ind_id}.yaml so it can be found")
        catalogue.documents[ind_id] = doc
        _check_report(doc, catalogue.project, diags)
        _check_citations(doc, catalogue.project, figure_seen, diags)
    if model is not None:  # after loading every file: a population may refer to another indicator's
        def find(ident: str) -> Document | None:
            if ident in catalogue.documents:
                return catalogue.documents[ident]
            path = directory / f"{ident}.yaml"
            if not fallback or not path.exists():
                return None
            found = load_file(path, Diagnostics(), display_path(path))
            ok = found is not None and isinstance(found.data, dict) \
                and validate_schema(found, "indicator", Diagnostics())
            return found if ok else None
        for ind_id, doc in list(catalogue.documents.items()):
            bound = resolve_indicator(doc, model, diags, find)
            if bound is not None:
                catalogue.indicators[ind_id] = bound
    if whole:  # a report's order names the whole catalogue; a subset of files cannot be held to it
        _check_report_order(catalogue, unchecked, diags)
    if model is not None and versions:
        from .versions import check_versions
        check_versions(catalogue, diags, whole=whole)


def _check_report_order(catalogue: Catalogue, unchecked: set[str], diags: Diagnostics) -> None:
    """Every id in a report's `order` is an indicator of that report."""
    project = catalogue.project
    if not project.file or not project.valid or project.document is None:  # a valid file has its document
        return
    members = {i: d.data.get("report") for i, d in catalogue.documents.items()}
    for i, spec in enumerate(project.reports):
        for j, ident in enumerate(spec.order):
            if ident in unchecked:  # its file has errors of its own, already reported
                continue
            if members.get(ident) != spec.key:
                why = "no such indicator" if ident not in members else f"it belongs to report '{members[ident]}'"
                diags.error(project.document.pos(("reports", i, "order", j)), "E_REPORT_ORDER",
                            f"report '{spec.key}' lists '{ident}' in its order, but {why}",
                            did_you_mean(ident, [i for i, r in members.items() if r == spec.key])
                            or f"set report: {spec.key} in that indicator, or remove it from order")
