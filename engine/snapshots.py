"""Committed SQL snapshots: the compiler's output for every indicator, period and dialect.

As in MetricFlow's per-engine snapshot tests, the SQL the compiler writes is kept in
files under version control (`tests/snapshots/<indicator>/<dialect>.sql`), so that any
change to it shows up in review as a diff. `indicators snapshots --update` rewrites them;
the test suite fails while they differ from what the compiler writes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import outputs
from .catalogue import Catalogue
from .periods import parse_period
from .plan import plan_query
from .render import DIALECTS, CompileRefused, render_sql

# One period of each kind, with the boundaries that matter (a half-year, a quarter, a month).
SNAPSHOT_PERIODS = ("2017", "2018", "2018H2", "2018Q4", "2018-12")


def default_snapshot_dir(catalogue: Catalogue) -> Path:
    """`tests/snapshots` beside the catalogue folder (for this project: the repository's)."""
    return catalogue.directory.resolve().parent / "tests" / "snapshots"


def snapshot_text(catalogue: Catalogue, indicator_id: str, dialect: str) -> str:
    """Every snapshot period's SQL for one indicator and dialect, or the dialect's refusal."""
    bound = catalogue.get(indicator_id)
    parts = []
    for label in SNAPSHOT_PERIODS:
        parts.append(f"-- period {label}")
        try:
            parts.append(render_sql(plan_query(bound, parse_period(label)), dialect) + ";")
        except CompileRefused as exc:
            parts.append(f"-- refused: {exc}")
        parts.append("")
    return "\n".join(parts)


@dataclass(frozen=True)
class SnapshotDifference:
    path: Path
    kind: str  # "missing", "changed" or "stale" (a snapshot of no indicator)


def snapshot_path(directory: Path, indicator_id: str, dialect: str) -> Path:
    return directory / indicator_id / f"{dialect}.sql"


def compare_snapshots(catalogue: Catalogue, directory: Path | None = None,
                      ids: list[str] | None = None) -> list[SnapshotDifference]:
    directory = directory or default_snapshot_dir(catalogue)
    wanted = ids or sorted(catalogue.indicators)
    found = []
    for ind in wanted:
        for dialect in DIALECTS:
            path = snapshot_path(directory, ind, dialect)
            if not path.exists():
                found.append(SnapshotDifference(path, "missing"))
            elif path.read_text("utf-8") != snapshot_text(catalogue, ind, dialect):
                found.append(SnapshotDifference(path, "changed"))
    if not ids and directory.is_dir():
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
            if folder.name not in catalogue.indicators:
                found.append(SnapshotDifference(folder, "stale"))
    return found


def write_snapshots(catalogue: Catalogue, directory: Path | None = None, ids: list[str] | None = None) -> list[Path]:
    """Write (atomically, file by file) the snapshots that differ; returns the paths written."""
    directory = directory or default_snapshot_dir(catalogue)
    written = []
    for difference in compare_snapshots(catalogue, directory, ids):
        if difference.kind == "stale":
            continue
        path = difference.path
        ind, dialect = path.parent.name, path.stem
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = outputs.temporary_file(path.parent, path.name)  # removed on SIGTERM/SIGINT too
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(snapshot_text(catalogue, ind, dialect))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            outputs.release(tmp)
        except BaseException:
            outputs.remove(tmp)
            raise
        written.append(path)
    return written
