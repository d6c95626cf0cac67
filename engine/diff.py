"""What a change does to the numbers: the same data through two versions of a catalogue.

A reviewer compares the working catalogue with a baseline (another folder, or the
catalogue at a git revision) and sees every row whose value, numerator, denominator or
n changed, appeared or disappeared.
"""
from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import outputs
from .diagnostics import Diagnostic, EngineError, Position

FIELDS = ("value", "numerator", "denominator", "n")


@dataclass
class RowChange:
    indicator: str
    period: str
    breakdown: dict
    before: dict | None  # None: the row is new
    after: dict | None   # None: the row is gone

    def as_dict(self) -> dict:
        pick = lambda r: None if r is None else {f: r[f] for f in FIELDS}  # noqa: E731
        return {"indicator": self.indicator, "period": self.period, "breakdown": self.breakdown,
                "before": pick(self.before), "after": pick(self.after)}


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
