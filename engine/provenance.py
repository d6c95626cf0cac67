"""Provenance: what an output was made from and how, carried by every output.

One `Provenance` is built per command (`build_provenance`) and written into each output
where it fits (JSON beside the rows, a CSV's `*.provenance.json` sidecar, the JUnit
properties, the report's method section and "Om rapporten" sheet, the compiled SQL's
header). It says:

- `engine`: the engine's name and version, and the git commit of the repository that
  holds the catalogue (with `git_dirty` when the catalogue folder has uncommitted
  changes); None where there is no git or no checkout, never an error;
- `catalogue`: its folder, a hash over every indicator's id, version and semantic hash
  (engine.semantic) and the bytes of model.yaml and project.yaml, and the version and
  semantic hash of each indicator the output covers;
- `dataset`: path, kind, size, modification time (UTC), the SHA-256 of its bytes (up to
  `HASH_LIMIT`; beyond that null, with the reason), and per table the row count and the
  smallest and largest value of each of the model's date columns, read through the
  dataset's own locked-down connection with queries built as sqlglot trees;
- `data_checks`: whether the model's consistency checks ran, how many, and which were
  breached (counts only: example keys are pseudonymised ids and stay out of outputs);
- `disclosure`: the threshold, and whether the output is suppressed (the report, check, run with
  `--apply-disclosure`) or microdata (run, check with `--show-suppressed`);
- `command` (as typed, given by the command line) and `generated_at` (UTC, ISO 8601).
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

ENGINE_NAME = "indicator-engine"
HASH_LIMIT = 256 * 1024 * 1024   # bytes: larger datasets are identified by their tables' counts and date ranges
GIT_TIMEOUT = 10                 # seconds
DATA_SUFFIXES = (".parquet", ".csv")


def engine_version() -> str:
    """The installed distribution's version (importlib.metadata), else engine.__version__, else "unknown"."""
    from importlib import metadata
    try:
        return metadata.version(ENGINE_NAME)
    except metadata.PackageNotFoundError:
        import importlib
        return str(getattr(importlib.import_module(__package__ or "engine"), "__version__", "unknown"))


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- git


def _git(folder: Path, *args: str) -> str | None:
    """stdout of a read-only git command in `folder`, or None (no git, not a checkout, an error, a timeout).

    The repository's configured fsmonitor hook is switched off: reading provenance runs no code.
    """
    git = shutil.which("git")
    if git is None or not folder.is_dir():
        return None
    try:
        done = subprocess.run([git, "-c", "core.fsmonitor=false", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(folder: Path) -> tuple[str | None, bool | None]:
    """(commit of HEAD, whether `folder` has uncommitted changes) of the repository holding `folder`."""
    head = _git(folder, "rev-parse", "--verify", "--quiet", "HEAD")
    commit = head.strip() if head else None
    if commit is None or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        return None, None
    status = _git(folder, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    return commit, None if status is None else bool(status.strip())


# ---------------------------------------------------------------- catalogue


def indicator_meaning(bound) -> dict[str, Any]:
    from .semantic import meaning
    return {"version": bound.info.version, "semantic_hash": meaning(bound).hash}


def catalogue_hash(catalogue) -> str:
    """SHA-256 over every indicator's id, version and semantic hash, and the bytes of model.yaml and project.yaml.

    Layout, comments, titles and descriptions of an indicator file do not change it (the
    semantic hash leaves them out); a changed definition or version does, and so does any
    change to the model or project file. A catalogue loaded in part (engine.selective) hashes every file of its
    folder all the same; when some other file has errors there is no hash, and it says so.
    """
    from .catalogue import MODEL_FILE, PROJECT_FILE
    meanings = catalogue.meanings()
    if meanings is None:
        return "none (other indicator files of the catalogue have errors: indicators validate)"
    digest = hashlib.sha256()
    for ident in sorted(meanings):
        version, semantic_hash = meanings[ident]
        digest.update(f"indicator\0{ident}\0{version}\0{semantic_hash}\n".encode())
    for name in (MODEL_FILE, PROJECT_FILE):
        path = Path(catalogue.directory) / name
        data = path.read_bytes() if path.is_file() else b""
        digest.update(f"file\0{name}\0{len(data)}\0".encode() + data)
    return "sha256:" + digest.hexdigest()


def catalogue_part(catalogue, indicator_ids: list[str] | None) -> dict[str, Any]:
    ids = sorted(catalogue.indicators) if indicator_ids is None else sorted(dict.fromkeys(indicator_ids))
    from .catalogue import display_path
    return {"path": display_path(catalogue.directory), "hash": catalogue_hash(catalogue),
            "indicators": {i: indicator_meaning(catalogue.indicators[i]) for i in ids if i in catalogue.indicators}}


# ---------------------------------------------------------------- dataset


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(path: Path) -> list[Path]:
    """The files a dataset is read from: the file itself, or a folder's Parquet and CSV files."""
    if path.is_file():
        return [path]
    return sorted((f for f in path.iterdir() if f.is_file() and f.suffix.lower() in DATA_SUFFIXES),
                  key=lambda f: f.name)


_FINGERPRINTS: dict[tuple, dict[str, Any]] = {}   # (path, files' stat) -> fingerprint, within one process


def _stat(path: Path) -> tuple | None:
    """(name, size, mtime, ctime, inode) of each of a dataset's files: any write changes it (ctime cannot be set)."""
    try:
        return tuple((f.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                     for f in _files(path) for st in [f.stat()])
    except OSError:
        return None


def file_fingerprint(path: Path | str) -> dict[str, Any]:
    """Path, kind, size, modification time and content hash of a dataset's files (no table is read).

    Remembered within the process while the files are unchanged, so that a command hashes its dataset once (the
    data-check cache, engine.datacache, and the provenance both ask).
    """
    stat = _stat(Path(path))
    memo = (str(path), stat)
    if stat is not None and memo in _FINGERPRINTS:
        return copy.deepcopy(_FINGERPRINTS[memo])
    result = _fingerprint(path)
    if stat is not None and result.get("size_bytes") is not None and _stat(Path(path)) == stat:
        if len(_FINGERPRINTS) >= 8:
            _FINGERPRINTS.clear()
        _FINGERPRINTS[memo] = copy.deepcopy(result)
    return result


def _fingerprint(path: Path | str) -> dict[str, Any]:
    p = Path(path)
    kind = ("yaml" if p.suffix in (".yaml", ".yml") else "duckdb") if p.is_file() else "folder"
    try:
        files = _files(p)
        sizes = {f: f.stat().st_size for f in files}
        modified = max((f.stat().st_mtime for f in files), default=p.stat().st_mtime)
    except OSError as exc:
        return {"path": str(path), "kind": kind, "size_bytes": None, "modified": None, "sha256": None,
                "sha256_note": f"cannot be read: {exc.strerror or exc}"}
    total = sum(sizes.values())
    result: dict[str, Any] = {"path": str(path), "kind": kind, "size_bytes": total, "modified": _utc(modified)}
    if total > HASH_LIMIT:
        result.update(sha256=None, sha256_note=f"not hashed: larger than {HASH_LIMIT // (1024 * 1024)} MiB; the "
                      "tables' row counts and date ranges identify it")
    else:
        try:
            if kind == "folder":
                digest = hashlib.sha256()
                for f in files:
                    digest.update(f"{f.name}\0{sizes[f]}\0{_file_sha256(f)}\n".encode())
                result.update(sha256=digest.hexdigest(), sha256_note="over the folder's .parquet and .csv files: "
                              "name, size and SHA-256 of each, sorted by name")
            else:
                result.update(sha256=_file_sha256(p), sha256_note=None)
        except OSError as exc:
            result.update(sha256=None, sha256_note=f"cannot be read: {exc.strerror or exc}")
    if kind == "folder":
        result["files"] = [{"name": f.name, "size_bytes": sizes[f]} for f in files]
    return result


def table_fingerprint(dataset, model) -> dict[str, dict[str, Any]]:
    """Per entity: its row count and the smallest and largest value of each date column, through the open dataset.

    One query per table, built as a sqlglot tree over the dataset's typed views.
    """
    tables: dict[str, dict[str, Any]] = {}
    for entity in model.entities.values():
        dates = [c.name for c in entity.columns.values() if c.type == "date"]
        query = exp.select(exp.Count(this=exp.Star()).as_("n"))
        for i, column in enumerate(dates):
            query = query.select(exp.Min(this=exp.column(column)).as_(f"min_{i}"),
                                 exp.Max(this=exp.column(column)).as_(f"max_{i}"), copy=False)
        row = dataset.query(query.from_(exp.to_table(entity.name), copy=False)).rows[0]
        ranges = {column: {"min": _iso(row[1 + 2 * i]), "max": _iso(row[2 + 2 * i])} for i, column in enumerate(dates)}
        tables[entity.name] = {"rows": int(row[0]), "date_ranges": ranges}
    return tables


def _iso(value) -> str | None:
    return None if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def dataset_part(data: Path | str, dataset=None, model=None) -> dict[str, Any]:
    """The dataset's fingerprint: its files (or the database a DSN or `spark:DB` names), the engine that read it,
    and (given the open dataset) its tables."""
    engine = getattr(dataset, "engine", "duckdb")
    text = str(data)
    if text.startswith("spark:") or engine == "postgres":
        result: dict[str, Any] = {"path": text, "kind": "spark-catalog" if text.startswith("spark:") else "postgres",
                                  "size_bytes": None, "modified": None, "sha256": None,
                                  "sha256_note": "a database, not files: the tables' row counts and date ranges "
                                  "identify it"}
    else:
        result = file_fingerprint(data)
    result["engine"] = engine
    if dataset is not None and model is not None:
        result["tables"] = table_fingerprint(dataset, model)
    return result


# ---------------------------------------------------------------- the whole


def data_checks_part(checks) -> dict[str, Any]:
    """Whether the model's consistency checks ran, how many, which were breached (counts only, no keys), the
    tables checked (every table, or those the output's indicators read) and how many results came from the
    cache of earlier runs on the same dataset and model (engine.datacache)."""
    if checks is None:
        return {"run": False, "checks": None, "breached": None, "breaches": []}
    breached = [c for c in checks if c.breaches]
    return {"run": True, "checks": len(checks), "breached": len(breached),
            "breaches": [{"entity": c.entity, "check": c.check, "rows": c.breaches} for c in breached],
            "tables": list(getattr(checks, "tables", None) or dict.fromkeys(c.entity for c in checks)),
            "cached": getattr(checks, "cached", 0)}


DISCLOSURE_NOTES = {
    "run": "not applied: run writes microdata-level aggregates with every value kept; rows a report would "
           "suppress carry disclosure = primary or secondary; do not publish (--apply-disclosure masks them)",
    "check": "applied as in the report: a figure resting on a suppressed cell is not shown (verdict suppressed), "
             "and a change alert is not evaluated where a total it needs is suppressed",
    "report": "applied: cells on fewer persons than the threshold, and the cells that would give them away, "
              "are shown as ..",
    "compile": "not applicable: SQL only",
}
# the other choice where a command offers one (run --apply-disclosure, check --show-suppressed)
DISCLOSURE_CHOSEN = {
    ("run", True): "applied (--apply-disclosure): the rows a report would suppress have no value, numerator, "
                   "denominator or n, and disclosure = suppressed",
    ("check", False): "not applied (--show-suppressed): microdata; computed values of suppressed cells are shown; "
                      "do not publish",
}
DISCLOSURE_APPLIED = {"run": False, "check": True, "report": True, "compile": False}


@dataclass(frozen=True)
class Provenance:
    """What an output was made from; `as_dict()` is the JSON form (see the module's doc)."""
    engine: dict[str, Any]
    catalogue: dict[str, Any]
    dataset: dict[str, Any] | None
    data_checks: dict[str, Any]
    disclosure: dict[str, Any]
    command: str | None
    generated_at: str
    extra: dict[str, Any] = field(default_factory=dict)   # e.g. the period and dialect of compiled SQL

    def as_dict(self) -> dict[str, Any]:
        result = {"engine": self.engine, "catalogue": self.catalogue, "dataset": self.dataset,
                  "data_checks": self.data_checks, "disclosure": self.disclosure, "command": self.command,
                  "generated_at": self.generated_at}
        result.update(self.extra)
        return result

    def flat(self) -> dict[str, str]:
        """The scalar facts as dotted keys (engine.version, dataset.sha256, ...), for JUnit properties.

        Per-indicator hashes and per-table counts are left out (they are in the JSON form);
        a value that is None is left out too.
        """
        out: dict[str, str] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if prefix in ("catalogue", "dataset") and key in ("indicators", "tables", "files"):
                        continue
                    walk(f"{prefix}.{key}" if prefix else str(key), item)
            elif isinstance(value, list):
                if value and not isinstance(value[0], (dict, list)):
                    out[prefix] = ", ".join(map(str, value))
                elif value:
                    out[prefix] = "; ".join(", ".join(f"{k}={v}" for k, v in item.items())
                                            for item in value if isinstance(item, dict))
            elif value is not None:
                out[prefix] = str(value).lower() if isinstance(value, bool) else str(value)
        walk("", self.as_dict())
        return out


def build_provenance(catalogue, *, indicator_ids: list[str] | None = None, data: Path | str | None = None,
                     dataset=None, checks=None, output: str = "run",
                     command: str | None = None, now: str | None = None,
                     extra: dict[str, Any] | None = None, disclosure: bool | None = None) -> Provenance:
    """The provenance of one output of `catalogue`.

    `dataset` (an open engine.execute.Dataset) adds the tables' counts and date ranges; `checks`
    are the data checks run (None: not run); `output` is run, check, report or compile (how
    disclosure control applies); `disclosure` says whether it was applied where the command
    lets the user choose (None: the output's default).
    """
    commit, dirty = git_state(Path(catalogue.directory).resolve())
    engine = {"name": ENGINE_NAME, "version": engine_version(), "git_commit": commit, "git_dirty": dirty}
    threshold = catalogue.project.threshold
    default = DISCLOSURE_APPLIED.get(output, False)
    applied = default if disclosure is None else disclosure
    note = DISCLOSURE_NOTES[output] if applied == default else DISCLOSURE_CHOSEN[(output, applied)]
    return Provenance(engine, catalogue_part(catalogue, indicator_ids),
                      None if data is None else dataset_part(data, dataset, catalogue.model),
                      data_checks_part(checks), {"threshold": threshold, "applied": applied, "note": note}, command,
                      now or utc_now(), dict(extra or {}))


def one_line(text: object) -> str:
    """Text for one comment line: every line break and control character becomes a space."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", str(text)).split())


def sql_header(provenance: Provenance, indicator_id: str) -> list[str]:
    """`-- ` comment lines for compiled SQL: engine, catalogue, the indicator's version and meaning, period,
    dialect, command and time (each value on one line, so nothing can end the comment)."""
    entry = provenance.catalogue["indicators"].get(indicator_id, {})
    engine = provenance.engine
    commit = engine["git_commit"] or "none (not a git checkout)"
    if engine.get("git_dirty"):
        commit += " (with uncommitted changes in the catalogue)"
    facts = [("engine", f"{engine['name']} {engine['version']}"), ("git commit", commit),
             ("catalogue", f"{provenance.catalogue['path']} {provenance.catalogue['hash']}"),
             ("indicator", f"{indicator_id} version {entry.get('version')}, semantic hash "
                           f"{entry.get('semantic_hash')}"),
             *[(k, v) for k, v in provenance.extra.items()],
             ("command", provenance.command or "(not from the command line)"),
             ("generated at", provenance.generated_at)]
    return [f"-- {one_line(key)}: {one_line(value)}" for key, value in facts]
