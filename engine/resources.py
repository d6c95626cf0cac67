"""Resource control for DuckDB: threads, a memory limit and a spill folder (`--threads`, `--memory-limit`,
`--temp-dir`).

They are set on the connection before it is locked down (engine.execute.lock_down): the SQL
run afterwards cannot change them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from .diagnostics import Diagnostic, EngineError, Position

MAX_THREADS = 256
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*", re.IGNORECASE)
SIZE_HINT = "give a number and a unit: KB, MB, GB, TB, KiB, MiB, GiB, TiB, or % of the machine's memory (e.g. 2GB)"


@dataclass(frozen=True)
class Resources:
    """What DuckDB may use; None leaves DuckDB's default (every core, 80% of the memory, no spill folder of ours)."""
    threads: int | None = None
    memory_limit: str | None = None
    temp_directory: Path | None = None

    @property
    def settings(self) -> list[tuple[str, str, object]]:
        """(option, DuckDB setting, value) of each resource given."""
        given = [("--threads", "threads", self.threads), ("--memory-limit", "memory_limit", self.memory_limit),
                 ("--temp-dir", "temp_directory", None if self.temp_directory is None else str(self.temp_directory))]
        return [s for s in given if s[2] is not None]


def _error(option: str, message: str, hint: str) -> Diagnostic:
    return Diagnostic(Position(option), "E_RESOURCES", message, hint)


def parse_resources(threads: str | int | None = None, memory_limit: str | None = None,
                    temp_directory: Path | str | None = None) -> Resources:
    """Resources from the options as given (text), every bad value an E_RESOURCES error at its option."""
    problems = []
    count = None
    if threads is not None:
        text = str(threads).strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_THREADS:
            problems.append(_error("--threads", f"--threads '{threads}' is not a whole number from 1 to {MAX_THREADS}",
                                   "e.g. --threads 4 (default: every core)"))
        else:
            count = int(text)
    limit = None
    if memory_limit is not None:
        match = _SIZE.fullmatch(str(memory_limit))
        if match is None or float(match.group(1)) <= 0 or (match.group(2) == "%" and float(match.group(1)) > 100):
            problems.append(_error("--memory-limit", f"--memory-limit '{memory_limit}' is not a memory size",
                                   SIZE_HINT))
        else:
            limit = f"{match.group(1)}{match.group(2)}"
    folder = None
    if temp_directory is not None:
        folder = Path(temp_directory)
        if str(temp_directory).strip() == "":
            problems.append(_error("--temp-dir", "--temp-dir is empty", "give a folder to spill to, e.g. /tmp/spill"))
        elif folder.exists() and not folder.is_dir():
            problems.append(_error("--temp-dir", f"--temp-dir {folder} is a file, not a folder",
                                   "give a folder to spill to (it is created if missing)"))
    if problems:
        raise EngineError(problems)
    return Resources(count, limit, folder)


def _set(setting: str) -> exp.Set:
    """SET <setting> = $1, as a tree (the value is a parameter)."""
    return exp.Set(expressions=[exp.SetItem(this=exp.EQ(this=exp.column(setting),
                                                        expression=exp.Placeholder(this="1")))])


def apply_resources(con, resources: Resources | None) -> None:
    """SET the resources on a DuckDB connection not yet locked down; the spill folder is created if missing."""
    import duckdb
    if resources is None:
        return
    for option, setting, value in resources.settings:
        try:
            if setting == "temp_directory":
                Path(str(value)).mkdir(parents=True, exist_ok=True)
            con.execute(_set(setting).sql("duckdb"), [value])
        except (duckdb.Error, OSError) as exc:
            why = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
            raise EngineError([_error(option, f"cannot set {option} {value}: {why}",
                                      SIZE_HINT if setting == "memory_limit" else
                                      "give a writable folder" if setting == "temp_directory" else
                                      f"give a whole number from 1 to {MAX_THREADS}")]) from None
