"""A cache of data-check results (engine.datacheck), per dataset and data model.

Holding a large extract to every rule of the model takes seconds to minutes; the answer only changes when the
dataset or the model does. So `run`, `check`, `report` and `check-data` keep each check's result (its count of
breaches and example keys) in a JSON file per dataset and model, and read it back on the next command:

- the key (`DataCache.key`) is the dataset's files (engine.provenance.file_fingerprint: resolved path, size,
  modification time, and the SHA-256 of the contents up to 256 MiB; per file its size, modification time and
  change time in nanoseconds, a `.duckdb` file's write-ahead log included: beyond 256 MiB nothing hashes the
  contents, and a file rewritten with its old size and modification time (`touch -r`, `cp -p`, `tar x`) keeps
  both, but the change time is the kernel's, set by every write and never back), the source mapping as loaded,
  the data model's content (`model_digest`: every declaration of model.yaml as parsed, the rules' texts among
  them), the engine's version and the source of the code that builds and binds the checks and reads the rows they
  check (`code_digest`). A changed file, mapping, model or check is another key: nothing stale is read;
- within that file each check is kept under its table and name, so a command checking some tables
  (run --indicator) reuses what check-data found, and computes only the rest;
- only datasets that are files are cached: a `.duckdb` file or a folder of Parquet/CSV files, opened by DuckDB.
  A fixture YAML file, a `postgresql://` DSN or a `spark:` database is always checked;
- results are kept only if the dataset's files did not change while they were computed.

Where: `$INDICATORS_CACHE_DIR`, else `$XDG_CACHE_HOME/indicators`, else `~/.cache/indicators`, in the folder
`datachecks/`, one file per key named after the SHA-256 of the key. `INDICATORS_CACHE_DIR=off` (the commands'
`--no-cache`) turns it off. Never inside a folder dataset, the catalogue or its fixtures (the cache is then not
used). The files hold example keys (pseudonymised ids), so they are readable by their owner only. Each is
written whole (a temporary file, then a rename); a file that cannot be read, is damaged or belongs to another key
is ignored and the checks run again: the cache never makes a command fail.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diagnostics import EngineError

if TYPE_CHECKING:  # cache_root is light to import (engine.selective uses it); the rest imports sqlglot
    from .datacheck import Check, DataIssue

CACHE_ENV = "INDICATORS_CACHE_DIR"
OFF = "off"
FOLDER = "datachecks"
FORMAT = 1
MAX_BYTES = 4 * 1024 * 1024     # a cache file larger than this is not read
SKIPPED = frozenset({"file", "position", "quoted_offset", "spans",    # where a declaration is written, not what
                     "tree"})                                        # a rule as parsed: its text says it
CODE = ("datacheck.py", "datacache.py", "render.py", "model.py", "expressions.py", "resolve",  # builds the checks
        "execute.py")  # reads and types the rows they check (CSV parsing, casts)


def cache_root() -> Path | None:
    """The cache folder: $INDICATORS_CACHE_DIR, else $XDG_CACHE_HOME/indicators, else ~/.cache/indicators;
    None when INDICATORS_CACHE_DIR is `off` (or there is no home folder)."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value.lower() == OFF:
        return None
    if value:
        return Path(value).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "indicators"
    try:
        return Path.home() / ".cache" / "indicators"
    except RuntimeError:
        return None


def _plain(value: Any) -> Any:
    """A JSON-able form of a model declaration: expressions as SQL, dates as ISO, where they are written left out."""
    from sqlglot import exp
    if isinstance(value, exp.Expr):
        return value.sql("duckdb")
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"@": type(value).__name__, **{f.name: _plain(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.name not in SKIPPED}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _sha256(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_digest(model, rules) -> str:
    """SHA-256 of the data model's content (every entity, column, relationship, rule, temporal relationship,
    classification and the plausible dates, as model.yaml declares them) and of the texts of the rules bound."""
    return _sha256({"model": _plain(model), "rules": [[r.entity, r.name, r.text] for r in rules]})


def code_digest() -> str:
    """SHA-256 of the engine's source files that build, bind and run the checks (`CODE`): a changed check is never
    read from a cache an earlier version wrote, whatever the version number says."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in CODE:
        path = here / name
        for f in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            data = f.read_bytes()
            digest.update(f"{f.relative_to(here)}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _stamp(path: Path) -> list[list]:
    """[name, size, mtime, ctime in ns] of each file a dataset is read from (a .duckdb file's WAL too): the ctime
    as any write sets it, which a tool restoring the mtime does not undo."""
    from .provenance import _files
    files = _files(path)
    if path.is_file():
        wal = path.with_name(path.name + ".wal")
        files += [wal] if wal.exists() else []
    stamps = []
    for f in files:
        st = f.stat()
        stamps.append([f.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return stamps


def _mapping(mapping, model) -> dict | None:
    if mapping is None:
        return None
    from .execute import SourceMapping, load_mapping
    if not isinstance(mapping, SourceMapping):
        mapping = load_mapping(mapping, model)
    return {"tables": dict(sorted(mapping.tables.items())),
            "columns": {e: dict(sorted(c.items())) for e, c in sorted(mapping.columns.items()) if c}}


def _inside(folder: Path, other: Path) -> bool:
    try:
        folder.resolve().relative_to(other.resolve())
        return True
    except (ValueError, OSError):
        return False


@dataclasses.dataclass
class DataCache:
    """The cache file of one dataset and model (see the module's doc)."""
    file: Path
    key: dict
    data: Path
    stamp: list

    def _read(self) -> dict[str, dict]:
        """The entries of the file when it is this key's, else none (missing, damaged, another key)."""
        document = read_document(self.file, FORMAT, self.key)
        if document is None:
            return {}
        entries = document.get("checks")
        return entries if isinstance(entries, dict) else {}

    def load(self, checks: list[Check]) -> dict[str, DataIssue]:
        """The results the file holds for `checks` (by their ident)."""
        entries = self._read()
        found = {}
        for check in checks:
            entry = entries.get(check.ident)
            issue = _issue(check, entry) if isinstance(entry, dict) else None
            if issue is not None:
                found[check.ident] = issue
        return found

    def store(self, checks: list[Check], computed: dict[str, DataIssue]) -> None:
        """Keep `computed` beside the results already in the file, unless the dataset changed meanwhile; any
        failure to write is ignored (the checks then run again next time)."""
        try:
            if _stamp(self.data) != self.stamp:
                return
        except OSError:
            return
        entries = self._read()
        for check in checks:
            issue = computed.get(check.ident)
            if issue is not None and all(_scalar(v) for v in issue.examples):
                entries[check.ident] = {"breaches": issue.breaches, "examples": list(issue.examples)}
        text = json.dumps({"format": FORMAT, "key": self.key, "checks": entries}, ensure_ascii=False,
                          sort_keys=True, indent=1)
        write_document(self.file, text)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _issue(check: Check, entry: dict) -> DataIssue | None:
    """The DataIssue an entry holds, if it is a result (the messages are the check's own, as the model says now)."""
    from .datacheck import EXAMPLES
    breaches, examples = entry.get("breaches"), entry.get("examples")
    if not isinstance(breaches, int) or isinstance(breaches, bool) or breaches < 0:
        return None
    if not isinstance(examples, list) or len(examples) > EXAMPLES or not all(_scalar(v) for v in examples) \
            or (breaches == 0) != (not examples):
        return None
    return check.issue(breaches, examples)


def read_document(path: Path, fmt: int, key: object) -> dict | None:
    """A cache file's JSON document when it is of this format and key; None when it is missing, too large,
    damaged or another's (a cache is never trusted, only used when it is certainly its key's)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        document = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != fmt or document.get("key") != key:
        return None
    return document


def write_document(path: Path, text: str) -> None:
    """Write a cache file atomically (owner-only); a failure is ignored: the cache only saves time."""
    from . import outputs
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = outputs.temporary_file(path.parent, path.name)   # 0600; removed on SIGTERM/SIGINT too
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        outputs.release(tmp)
    except OSError:
        outputs.remove(tmp)
    except BaseException:
        outputs.remove(tmp)
        raise


def open_cache(catalogue, data, dataset, mapping=None) -> DataCache | None:
    """The cache of `data` (a dataset path, opened as `dataset` with `mapping`) and the catalogue's model; None
    where there is none: turned off, a dataset that is not a .duckdb file or a folder on DuckDB, or a cache
    folder inside the dataset, the catalogue or its fixtures."""
    root = cache_root()
    if root is None or getattr(dataset, "engine", None) != "duckdb" or not isinstance(data, (str, Path)) \
            or not str(data):
        return None
    path = Path(data)
    try:
        kind = "folder" if path.is_dir() else "duckdb" if path.is_file() and path.suffix not in (".yaml", ".yml") \
            else None
        if kind is None:
            return None
        catalogue_dir = Path(catalogue.directory)
        if any(_inside(root, other) for other in [catalogue_dir, catalogue_dir.resolve().parent / "fixtures"]
               + ([path] if kind == "folder" else [])):
            return None
        stamp = _stamp(path)
        from .provenance import engine_version, file_fingerprint
        fingerprint = file_fingerprint(path)
        key = {"engine": engine_version(), "code": code_digest(), "dataset": {
            "path": str(path.resolve()), "kind": kind, "size_bytes": fingerprint.get("size_bytes"),
            "modified": fingerprint.get("modified"), "sha256": fingerprint.get("sha256"), "files": stamp},
            "mapping": _mapping(mapping, catalogue.model), "model": model_digest(catalogue.model, catalogue.rules)}
    except (OSError, ValueError, EngineError):  # unreadable, or a mapping that no longer loads: no cache
        return None
    key = json.loads(json.dumps(key))   # as it reads back from the file
    return DataCache(root / FOLDER / f"{_sha256(key)}.json", key, path, stamp)
