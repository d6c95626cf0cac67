"""Load only what a command about one indicator needs: `compile X`, `explain X`, `attrition X`.

The full load (engine.catalogue.load_catalogue) reads, checks against the schema and binds every file of the
folder, which takes longer the larger the catalogue. A command about one indicator needs the model,
project.yaml, that indicator and the indicators its population is taken from (`population: {from: ...}`, and
theirs in turn): the only reference from one indicator file to another that binding follows. `load_selected`
loads just those files, through the same code as the full load (engine.catalogue.load_indicators), so their
errors and warnings are the same, with the same codes and places, in the same order. Errors in the other files
do not stop such a command; `validate`, `check`, `report`, `test` and the rest still load every file.

Which file holds an id: the files of the folder are listed (as the full load lists them) and each one's text
read; a file is a candidate for id X when it is named X.yaml, when its one top-level `id:` line declares X,
or, when that line is not a plain `id: name` (quoted oddly, missing, repeated), when the file parsed as YAML
has the id X. Every candidate is loaded as the full load would load it, so a broken X.yaml reports its errors
and two files with the id X give E_DUPLICATE_ID as before. An id no file declares is E_UNKNOWN_INDICATOR with
the suggestion among the ids of every file.

The catalogue hash (engine.provenance, in the header of compiled SQL) is over every indicator's version and
semantic hash, which needs every file bound. `Subset.meanings` binds the files not loaded, and keeps each
one's result in a cache so that the next command does not bind it again: in the cache folder of the data
checks (engine.datacache.cache_root, `catalogues/`), one JSON file per catalogue folder, each entry under the
file's path and the SHA-256 of its text (and of the texts of its bases), valid only for the same engine
version, engine source (every file of the package), sqlglot version, model.yaml and project.yaml. A file that
changed is bound again; a file with errors is never kept, so each command finds it again and warns of it
(W_CATALOGUE_ERRORS), and the hash is then "none": the full load would have refused the catalogue.
INDICATORS_CACHE_DIR=off binds every file every time. The cache never makes a command fail.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from .catalogue import (
    MODEL_FILE,
    PROJECT_FILE,
    Catalogue,
    default_indicators_dir,
    display_path,
    indicator_files,
    load_catalogue,
    load_indicators,
)
from .diagnostics import Diagnostic, Diagnostics, Position
from .load import Document, load_text

ID_LINE = re.compile(r"^id[ \t]*:([ \t].*)?$", re.MULTILINE)   # a top-level `id:` key of a block mapping
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")               # the schema's identifier
COMMENT = re.compile(r"[ \t]#.*$")
CACHE_FOLDER = "catalogues"
CACHE_FORMAT = 1


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def declared_id(text: str) -> str | None:
    """The id a file's text declares on its one top-level `id: name` line; None when there is no such plain line
    (the file is then parsed to know its id)."""
    lines = ID_LINE.findall(text)
    if len(lines) != 1:
        return None
    value = COMMENT.sub("", lines[0]).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value if IDENTIFIER.fullmatch(value) else None


class IndexedFile:
    """One indicator file of the folder: its text, the id it declares and, when needed, its parsed document."""

    def __init__(self, path: Path):
        from .load import _NotRegular, _read_bounded, _TooLarge
        self.path = path
        self.display = display_path(path)
        try:
            self.text: str | None = _read_bounded(path)
        except (OSError, ValueError, _NotRegular, _TooLarge):  # the full load reports why (E_FILE_*, E_ENCODING)
            self.text = None
        self.sha256 = None if self.text is None else _sha256(self.text)
        self.declared = None if self.text is None else declared_id(self.text)
        self._document: Document | None = None
        self._parsed = False

    def document(self) -> Document | None:
        """The file parsed as YAML (errors not reported: the full load of the file reports them)."""
        if not self._parsed and self.text is not None:
            self._document = load_text(self.text, self.display, Diagnostics())
        self._parsed = True
        return self._document

    def ident(self) -> str | None:
        """Its id: as declared, else as parsed (None when it has none)."""
        if self.declared is not None:
            return self.declared
        doc = self.document()
        ident = doc.data.get("id") if doc is not None and isinstance(doc.data, dict) else None
        return ident if isinstance(ident, str) else None

    def base(self) -> str | None:
        """The id its population is taken from (`population: {from: ...}`), if any."""
        doc = self.document()
        population = doc.data.get("population") if doc is not None and isinstance(doc.data, dict) else None
        base = population.get("from") if isinstance(population, dict) else None
        return base if isinstance(base, str) else None


class Subset:
    """The indicator files of a folder, and those of them loaded (`files`)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.index = [IndexedFile(path) for path in indicator_files([directory])]
        self.files: list[Path] = []
        self.problems: list[Diagnostic] = []    # warnings of other files with errors (set by `meanings`)
        self._meanings: dict[str, tuple[int, str]] | None = None
        self._done = False

    def ids(self) -> list[str]:
        """The id of every file of the folder, in the folder's order."""
        return list(dict.fromkeys(i for f in self.index if (i := f.ident()) is not None))

    def candidates(self, ident: str) -> list[IndexedFile]:
        return [f for f in self.index
                if f.path.stem == ident or f.declared == ident or (f.declared is None and f.ident() == ident)]

    def closure(self, ids: Iterable[str] = (), files: Iterable[IndexedFile] = ()) -> list[IndexedFile]:
        """The files that may hold `ids`, `files`, and those that may hold the bases any of them names, in the
        folder's order."""
        chosen: set[Path] = set()
        seen: set[str] = set()
        ids, pending = list(ids), list(files)
        while ids or pending:
            if pending:
                file = pending.pop()
                if file.path not in chosen:
                    chosen.add(file.path)
                    if (base := file.base()) is not None:
                        ids.append(base)
                continue
            ident = ids.pop()
            if ident not in seen:
                seen.add(ident)
                pending += self.candidates(ident)
        return [f for f in self.index if f.path in chosen]

    def meanings(self, catalogue: Catalogue) -> dict[str, tuple[int, str]] | None:
        """Every file's indicator id, version and semantic hash (as the full load would bind it), the loaded ones
        from `catalogue`, the others from the cache or bound now; None, with `problems`, when some file has
        errors or two files have the same id."""
        if not self._done:
            self._done = True
            self._meanings = self._compute(catalogue)
        return self._meanings

    def _compute(self, catalogue: Catalogue) -> dict[str, tuple[int, str]] | None:
        from .semantic import meaning
        from .versions import VERSION_CODES
        model = catalogue.model
        if model is None:
            return None
        by_display = {f.display: f for f in self.index}
        cache = _Cache(catalogue.directory)
        cached = cache.read()
        found: dict[Path, dict] = {}        # file -> its entry
        broken: list[IndexedFile] = []

        def take(file: IndexedFile, source: Catalogue, errors: list[Diagnostic]) -> None:
            ident = next((i for i, d in source.documents.items() if d.file == file.display), None)
            bound = source.indicators.get(ident) if ident is not None else None
            if bound is None or file.sha256 is None \
                    or any(d.position.file == file.display and d.code not in VERSION_CODES for d in errors):
                broken.append(file)
                return
            bases = [by_display.get(source.documents[b].file) for b in bound.population_from]
            if any(b is None or b.sha256 is None for b in bases):
                broken.append(file)
                return
            found[file.path] = {"sha256": file.sha256, "id": bound.id, "version": bound.info.version,
                                "semantic_hash": meaning(bound).hash,
                                "bases": {cache.name(b.path): b.sha256 for b in bases if b is not None}}

        loaded = set(self.files)
        sha = {cache.name(f.path): f.sha256 for f in self.index}
        missing: list[IndexedFile] = []
        for file in self.index:
            entry = cached.get(cache.name(file.path))
            if file.path in loaded:
                take(file, catalogue, catalogue.errors)
            elif entry is not None and entry["sha256"] == file.sha256 \
                    and all(sha.get(name) == digest for name, digest in entry["bases"].items()):
                found[file.path] = entry
            else:
                missing.append(file)
        if missing:  # bound beside the loaded catalogue, on its model and project
            others = Catalogue(catalogue.directory, model, catalogue.project)
            diags = Diagnostics()
            load_indicators(others, [f.path for f in self.closure(files=missing)], diags, whole=False,
                            versions=False)
            for file in missing:
                take(file, others, diags.errors)
        cache.write({cache.name(path): entry for path, entry in found.items()})
        owner: dict[str, IndexedFile] = {}
        self.problems = []
        for file in self.index:
            if file in broken:
                self.problems.append(Diagnostic(
                    Position(file.display), "W_CATALOGUE_ERRORS",
                    "this indicator file has errors; this command does not use it and goes on, but validate, check "
                    "and report refuse the catalogue until they are fixed",
                    f"see them with indicators validate {file.display}", "warning"))
            elif (ident := found[file.path]["id"]) in owner:
                self.problems.append(Diagnostic(
                    Position(file.display), "W_CATALOGUE_ERRORS",
                    f"its id '{ident}' is also the id of {owner[ident].display}; this command goes on, but validate, "
                    "check and report refuse the catalogue until one is renamed",
                    f"see it with indicators validate {file.display}", "warning"))
            else:
                owner[ident] = file
        if self.problems:
            return None
        return {found[f.path]["id"]: (found[f.path]["version"], found[f.path]["semantic_hash"])
                for f in owner.values()}


def load_selected(directory: Path | str | None, ids: list[str], meanings: bool = False) -> Catalogue:
    """The catalogue with only the indicators `ids`, their bases and whatever file may hold one of those ids
    loaded (see the module's doc). `meanings`: bind the other files now too (for the catalogue hash of compiled
    SQL), and warn of those with errors (W_CATALOGUE_ERRORS)."""
    directory = Path(directory) if directory else default_indicators_dir()
    if not directory.is_dir():
        return load_catalogue(directory)  # its E_FILE_NOT_FOUND
    subset = Subset(directory)
    subset.files = [f.path for f in subset.closure(ids)]
    catalogue = load_catalogue(directory, subset=subset)
    from .versions import VERSION_CODES
    if meanings and all(i in catalogue.indicators for i in ids) \
            and not any(d.code not in VERSION_CODES for d in catalogue.errors):
        catalogue.meanings()
        catalogue.diagnostics = catalogue.diagnostics + subset.problems
    return catalogue


class _Cache:
    """The cache file of one catalogue folder (see the module's doc): entries by file, read and written whole."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.file: Path | None = None
        self.key: dict | None = None
        self.entries: dict[str, dict] = {}
        try:
            from .datacache import cache_root
            root = cache_root()
            if root is None or root.resolve().is_relative_to(directory.resolve()):  # never in the catalogue
                return
            folder = str(directory.resolve())
            self.key = {"engine": _engine(), "code": _code_digest(), "folder": folder,
                        "model": _file_digest(directory / MODEL_FILE),
                        "project": _file_digest(directory / PROJECT_FILE)}
            self.file = root / CACHE_FOLDER / f"{_sha256(folder)}.json"
        except (OSError, RuntimeError, ValueError):
            self.file = None

    def name(self, path: Path) -> str:
        try:
            return path.relative_to(self.directory).as_posix()
        except ValueError:
            return path.as_posix()

    def read(self) -> dict[str, dict]:
        """The entries kept for this key; none when there is no file, it is damaged or holds another key."""
        from .datacache import read_document
        document = read_document(self.file, CACHE_FORMAT, self.key) if self.file is not None else None
        if document is None or not isinstance(document.get("files"), dict):
            return {}
        self.entries = {name: entry for name, entry in document["files"].items() if _valid(entry)}
        return self.entries

    def write(self, entries: dict[str, dict]) -> None:
        """Keep `entries` (those of the folder's files now) when they differ from what was read; a failure is
        ignored."""
        if self.file is None or entries == self.entries:
            return
        from .datacache import write_document
        write_document(self.file, json.dumps({"format": CACHE_FORMAT, "key": self.key, "files": entries},
                                             ensure_ascii=False, sort_keys=True, indent=1))


def _valid(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and isinstance(entry.get("id"), str) \
        and type(entry.get("version")) is int and isinstance(entry.get("semantic_hash"), str) \
        and isinstance(entry.get("bases"), dict) and all(isinstance(v, str) for v in entry["bases"].values())


def _engine() -> str:
    import sqlglot

    from .provenance import engine_version
    return f"{engine_version()} sqlglot {sqlglot.__version__}"


def _code_digest() -> str:
    """SHA-256 of the engine's source and schemas: binding or hashing code that changed never reads a cache an
    earlier version wrote."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(here.rglob("*.py")) + sorted((here / "schemas").glob("*.json")):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(here).as_posix()}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
