"""Writing outputs safely: temporary files that never outlive the run, report sets swapped in whole,
and outputs that can never land on an input.

Temporary files and folders. Everything the engine writes goes first to a temporary path
beside its target, named `.<target>.indicators-<pid>-<random>.tmp` (a file for `--out`,
`--json`, `--junit`; a folder for a report's set of files and for the `demo-data` build).
Each is registered while it exists; the command line installs handlers for SIGTERM and
SIGINT that remove every registered path and exit 1 (`install_signal_handlers`). SIGKILL
or a power cut cannot be handled: what they leave behind is swept by the next run that
writes into the same folder (`sweep`): an entry with the engine's naming whose process is
no longer running on this machine and that has not changed for `STALE_AFTER` seconds.
Nothing else is ever swept.

A report's set of files (`write_set`) is written complete into a staging folder beside the
targets, then renamed onto them one by one (renames within a folder are atomic; a set of
renames is not, on any common filesystem). SIGTERM and SIGINT are held back during those
renames, so an interrupted run leaves either the whole old set or the whole new one; a
rename that fails puts back the files already replaced. Only SIGKILL or a crash during the
renames (microseconds) can leave a mix.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from .diagnostics import Diagnostic, Position

STALE_AFTER = 15 * 60  # seconds without change before another run may sweep a dead run's temporary path
_NAME = re.compile(r"^\.(?P<target>.+)\.indicators-(?P<pid>[0-9]+)-[A-Za-z0-9_]+\.tmp$")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_live: dict[str, bool] = {}  # registered temporary path -> is a folder


def _prefix(target_name: str) -> str:
    return f".{target_name}.indicators-{os.getpid()}-"


def register(path: Path | str, folder: bool = False) -> None:
    _live[str(path)] = folder


def release(path: Path | str) -> None:
    _live.pop(str(path), None)


def remove(path: Path | str) -> None:
    """Remove a temporary file or folder (if still there) and forget it."""
    path = str(path)
    folder = _live.pop(path, None)
    if folder or (folder is None and os.path.isdir(path) and not os.path.islink(path)):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def cleanup() -> None:
    """Remove every registered temporary path (the signal handler's work; safe to call twice)."""
    for path in list(_live):
        remove(path)


def temporary_file(folder: Path, target_name: str) -> tuple[int, str]:
    """A new registered temporary file in `folder` for `target_name`: (open fd, path)."""
    sweep(folder)
    fd, path = tempfile.mkstemp(prefix=_prefix(target_name), suffix=".tmp", dir=folder)
    register(path)
    return fd, path


def temporary_folder(folder: Path, target_name: str) -> Path:
    """A new registered temporary folder in `folder` for `target_name`."""
    sweep(folder)
    path = tempfile.mkdtemp(prefix=_prefix(target_name), suffix=".tmp", dir=folder)
    register(path, folder=True)
    return Path(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but not ours to signal
        return True
    return True


def _last_change(path: str) -> float:
    """The newest modification time of `path` and, for a folder, of anything in it."""
    newest = os.lstat(path).st_mtime
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def sweep(folder: Path | str, now: float | None = None) -> list[str]:
    """Remove what killed runs left in `folder`: the engine's own temporary paths, stale and orphaned."""
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _NAME.match(entry.name)
        if not match or entry.path in _live or _alive(int(match["pid"])):
            continue
        try:
            if now - _last_change(entry.path) < STALE_AFTER:
                continue
        except OSError:
            continue
        remove(entry.path)
        removed.append(entry.path)
    return removed


# ---------------------------------------------------------------- signals

def _on_signal(signum, frame) -> None:
    for sig in _SIGNALS:  # a second signal must not cut the cleanup short
        signal.signal(sig, signal.SIG_IGN)
    cleanup()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write(f"E_INTERRUPTED stopped by {signal.Signals(signum).name}: temporary files removed; "
                         "no output was left half-written\n")
        sys.stderr.flush()
    os._exit(1)  # at once: a running DuckDB query would otherwise finish first


def install_signal_handlers() -> None:
    """SIGTERM and SIGINT remove every temporary path and exit 1 (the command line's entry point)."""
    for sig in _SIGNALS:
        signal.signal(sig, _on_signal)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back (they are delivered on leaving) while a set of renames runs."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover (Windows)
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(_SIGNALS))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# ---------------------------------------------------------------- a set of files, swapped in whole

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_set(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write `files` ({name: content}) into `folder` as one set (see the module docstring); the paths written.

    An existing target that is not a regular file (a link, a pipe, a device) is written
    through by present.write_atomic after the set, as a single file would be. A name may
    hold subfolders (`indicators/x.html`, relative, without `..`): they are made as needed.
    """
    from .present import write_atomic
    folder.mkdir(parents=True, exist_ok=True)
    targets = {name: folder / name for name in files}
    for name in files:
        parts = Path(name).parts
        if not parts or Path(name).is_absolute() or ".." in parts:
            raise ValueError(f"not a name inside the folder: {name!r}")
        if len(parts) > 1:
            targets[name].parent.mkdir(parents=True, exist_ok=True)
    special = {n for n, p in targets.items() if os.path.lexists(p) and not stat.S_ISREG(os.lstat(p).st_mode)}
    regular = [n for n in files if n not in special]
    staging = temporary_folder(folder, Path(next(iter(files), "set")).name)
    try:
        for name in regular:
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(files[name])
                handle.flush()
                os.fsync(handle.fileno())
            target = targets[name]
            os.chmod(path, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask())
        existed = {name for name in regular if targets[name].exists()}
        backups = {}
        for name in sorted(existed):  # hard links to the old files, to put back if a rename fails
            with contextlib.suppress(OSError):
                os.link(targets[name], staging / f"{name}.old")
                backups[name] = staging / f"{name}.old"
        done: list[str] = []
        with signals_held():
            try:
                for name in regular:
                    os.replace(staging / name, targets[name])
                    done.append(name)
            except OSError:
                for name in done:
                    if name in backups:
                        os.replace(backups[name], targets[name])
                    elif name not in existed:
                        targets[name].unlink(missing_ok=True)
                raise
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        remove(staging)
    for name in sorted(special):
        write_atomic(targets[name], files[name])
    return list(targets.values())


# ---------------------------------------------------------------- outputs never land on inputs

def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def outputs_that_are_inputs(outputs: Sequence[tuple[str, Path | None]],
                            inputs: Sequence[tuple[str, str, Path | None]]) -> list[Diagnostic]:
    """Every output that resolves to an input, or into an input folder, as an E_OUT_IS_INPUT error.

    `outputs` are (option, path); `inputs` are (option, what it is, path): a file input is
    matched by resolved path or identity (a symlink or hard link to it is the same file;
    a DuckDB file's write-ahead log `.wal` counts as the file), a folder input by any path
    inside it (the dataset folder, the catalogue, the fixtures: nothing is written there).
    """
    problems = []
    for option, out in outputs:
        if out is None:
            continue
        real = os.path.realpath(out)
        for source, what, given in inputs:
            if given is None or str(given) == "":  # an empty path is refused as such where it is read
                continue
            target = os.path.realpath(given)
            if os.path.isdir(target):
                if _inside(real, target):
                    problems.append(Diagnostic(
                        Position(str(out)), "E_OUT_IS_INPUT",
                        f"{option} {out} is {'' if real == target else 'inside '}{what} {given} ({source}); "
                        "nothing is ever written there",
                        f"give {option} a path outside {given}"))
                    break
            elif _same(real, target) or (target.endswith(".duckdb") and real == target + ".wal"):
                problems.append(Diagnostic(
                    Position(str(out)), "E_OUT_IS_INPUT",
                    f"{option} {out} is {what} {given} ({source}); writing it would destroy the input",
                    f"give {option} another file"))
                break
    return problems
