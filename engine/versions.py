"""Versions that mean something: the lock file of recorded meanings, and what validate holds to it.

`indicators lock` records, per indicator and version, the semantic hash of the definition
(engine.semantic) and a hash of its description in `definitions.lock` beside the
catalogue (committed). `validate` then refuses a definition whose meaning differs from
the one recorded for its version: the analyst raises `version`, adds a `changes:` entry
(version, date, what, why) and runs `indicators lock`. Two different definitions are
never published under the same version.

The lock is JSON with one object per indicator, its versions oldest first, so a review
of the lock's diff reads as "version 2 recorded for X".
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, Diagnostics, EngineError, Position
from .semantic import PART_NAMES, meaning, text_hash

LOCK_FILE = "definitions.lock"
LOCK_FORMAT = 1
# Codes of the findings below: a catalogue with only these errors still compiles and runs,
# which `diff` relies on (a reviewer runs it exactly when the bump is still missing).
VERSION_CODES = frozenset({"E_VERSION_NOT_RAISED", "E_VERSION_LOWERED", "E_CHANGES_MISSING", "E_LOCK_STALE",
                           "E_LOCK_INVALID"})


@dataclass(frozen=True)
class Recorded:
    """One version of one indicator as the lock recorded it."""
    version: int
    hash: str
    parts: dict[str, str]
    description: str


def lock_path(directory: Path) -> Path:
    return Path(directory) / LOCK_FILE


def read_lock(directory: Path, diags: Diagnostics | None = None) -> dict[str, list[Recorded]] | None:
    """The recorded versions per indicator; None when the catalogue has no lock file (or it is broken)."""
    path = lock_path(directory)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != LOCK_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {LOCK_FORMAT}")
        return {ident: [Recorded(int(v["version"]), str(v["hash"]), dict(v.get("parts", {})),
                                 str(v.get("description", ""))) for v in versions]
                for ident, versions in data["indicators"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        if diags is not None:
            diags.error(Position(str(path)), "E_LOCK_INVALID", f"{path} cannot be read: {exc}",
                        "restore it from git (git checkout -- definitions.lock), then run indicators lock")
        return None


def _entry(bound) -> Recorded:
    m = meaning(bound)
    return Recorded(bound.info.version, m.hash, m.parts, text_hash(bound.info.description))


def changed_parts(old: Recorded, new: Recorded, lang: str = "en") -> list[str]:
    """Which parts of a definition differ between two recorded meanings, in words."""
    return [PART_NAMES[p][lang] for p in PART_NAMES if old.parts.get(p) != new.parts.get(p)]


def check_versions(catalogue, diags: Diagnostics, whole: bool = True) -> None:
    """Hold every indicator's version to the lock: a changed meaning needs a raised version and a changes: entry."""
    directory = catalogue.directory
    for ident, bound in sorted(catalogue.indicators.items()):  # `changes:` entries, with or without a lock
        _check_changes(catalogue.documents[ident], bound.info, diags)
    lock = read_lock(directory, diags)
    if lock is None:
        return
    shown = f"{Path(directory).name}/{LOCK_FILE}"
    for ident, bound in sorted(catalogue.indicators.items()):
        doc = catalogue.documents[ident]
        versions = lock.get(ident)
        if not versions:
            diags.warning(doc.pos(("version",)), "W_NOT_LOCKED",
                          f"indicator '{ident}' has no recorded meaning in {shown}",
                          "run indicators lock and commit the lock file with the indicator")
            continue
        now, last = _entry(bound), versions[-1]
        version = bound.info.version
        if version < last.version:
            diags.error(doc.pos(("version",)), "E_VERSION_LOWERED",
                        f"version {version} is lower than version {last.version} recorded in {shown}",
                        "versions only go up: write version: "
                        f"{last.version + 1 if now.hash != last.hash else last.version}")
        elif version == last.version and now.hash != last.hash:
            parts = " and ".join(changed_parts(last, now)) or "the definition"
            diags.error(doc.pos(("version",)), "E_VERSION_NOT_RAISED",
                        f"the meaning of '{ident}' changed ({parts}) since version {version} was recorded in "
                        f"{shown}, but its version is still {version}: two different definitions would be "
                        f"published as version {version}",
                        f"write version: {version + 1}, add under changes: "
                        f"- {{version: {version + 1}, date: \"{dt.date.today().isoformat()}\", what: <what changed>, "
                        "why: <why>}, update the description if it no longer fits, then run indicators lock "
                        "(or undo the change)")
        elif version > last.version:
            diags.error(doc.pos(("version",)), "E_LOCK_STALE",
                        f"version {version} of '{ident}' is not recorded in {shown} (last recorded: version "
                        f"{last.version})", "run indicators lock and commit the lock file with the indicator")
    for ident in sorted(set(lock) - set(catalogue.indicators) if whole else ()):
        diags.warning(Position(str(lock_path(directory))), "W_LOCK_UNUSED",
                      f"{shown} records '{ident}', which is not in the catalogue",
                      "run indicators lock to drop it (its history stays in git)")


def _check_changes(doc, info, diags: Diagnostics) -> None:
    """A version after the first has a `changes:` entry; entries name versions up to the current, once each."""
    seen: set[int] = set()
    for i, change in enumerate(doc.data.get("changes", [])):
        pos = doc.pos(("changes", i, "version"))
        if change["version"] in seen:
            diags.error(pos, "E_CHANGES_MISSING", f"two changes: entries for version {change['version']}",
                        "one entry per version: merge them")
        seen.add(change["version"])
        if change["version"] > info.version:
            diags.error(pos, "E_CHANGES_MISSING", f"a changes: entry for version {change['version']}, but the "
                        f"indicator is at version {info.version}", f"write version: {change['version']}, or correct "
                        "the entry's version")
        try:
            dt.date.fromisoformat(change["date"])
        except ValueError:
            diags.error(doc.pos(("changes", i, "date")), "E_CHANGES_MISSING",
                        f"'{change['date']}' is not a date", "write the date as YYYY-MM-DD, e.g. \"2026-12-02\"")
    if info.version > 1 and info.version not in seen:
        diags.error(doc.pos(("version",)), "E_CHANGES_MISSING",
                    f"version {info.version} has no entry under changes: (what changed, and why)",
                    f"add changes: - {{version: {info.version}, date: \"{dt.date.today().isoformat()}\", "
                    "what: <what changed>, why: <why>}")


def write_lock(catalogue) -> tuple[Path, list[str]]:
    """Record the meaning of every indicator's current version; refuses a changed meaning at the same version.

    Returns the lock's path and one line per indicator whose record changed.
    """
    diags = Diagnostics()
    old = read_lock(catalogue.directory, diags) or {}
    diags.raise_if_errors()
    new: dict[str, list[Recorded]] = {}
    said, problems = [], []
    for ident, bound in sorted(catalogue.indicators.items()):
        entry, versions = _entry(bound), list(old.get(ident, []))
        last = versions[-1] if versions else None
        doc = catalogue.documents[ident]
        if last is None:
            versions, what = [entry], f"{ident}: version {entry.version} recorded (new)"
        elif entry.version < last.version:
            problems.append(Diagnostic(doc.pos(("version",)), "E_VERSION_LOWERED",
                                       f"version {entry.version} is lower than the recorded {last.version}",
                                       f"write version: {last.version + 1}"))
            continue
        elif entry.version == last.version:
            if entry.hash != last.hash:
                problems.append(Diagnostic(doc.pos(("version",)), "E_VERSION_NOT_RAISED",
                                           f"the meaning of '{ident}' changed, but its version is still "
                                           f"{entry.version}: the lock records one meaning per version",
                                           f"write version: {entry.version + 1} with a changes: entry, then run "
                                           "indicators lock again"))
                continue
            versions[-1], what = entry, ""  # the description's hash may have changed: record the latest
        else:
            versions.append(entry)
            what = f"{ident}: version {entry.version} recorded (was {last.version})"
        new[ident] = versions
        if what:
            said.append(what)
    if problems:
        raise EngineError(problems)
    said += [f"{ident}: dropped (not in the catalogue)" for ident in sorted(set(old) - set(new))]
    from .present import write_atomic
    path = lock_path(catalogue.directory)
    write_atomic(path, _lock_text(new))
    return path, said


def _lock_text(lock: dict[str, list[Recorded]]) -> str:
    """The lock as JSON with one line per recorded version, so that its diff reads as what was recorded."""
    def line(r: Recorded) -> str:
        return json.dumps({"version": r.version, "hash": r.hash, "parts": r.parts, "description": r.description})
    blocks = [f"    {json.dumps(ident)}: [\n" + ",\n".join(f"      {line(r)}" for r in versions) + "\n    ]"
              for ident, versions in lock.items()]
    about = ("The recorded meaning (semantic hash) of every indicator version; written by `indicators lock`, "
             "checked by `indicators validate`. Commit it with the indicators.")
    return (f'{{\n  "format": {LOCK_FORMAT},\n  "about": {json.dumps(about)},\n  "indicators": {{\n'
            + ",\n".join(blocks) + "\n  }\n}\n")


def description_note(catalogue, ident: str) -> list[tuple[str, str]]:
    """(code, text) notes for explain when the description may no longer fit the definition.

    Flagged: the meaning changed since the recorded version (the description was written for
    the old one), or the version was raised and the description is the one of an earlier
    version.
    """
    lock = read_lock(catalogue.directory)
    bound = catalogue.get(ident)
    versions = (lock or {}).get(ident) or []
    if not versions:
        return []
    now = _entry(bound)
    last = versions[-1]
    notes = []
    if now.version == last.version and now.hash != last.hash:
        parts = " and ".join(changed_parts(last, now)) or "the definition"
        notes.append(("W_DESCRIPTION_STALE",
                      f"{parts} changed since version {last.version} was recorded, and the description is the one "
                      "written before the change: check that it still describes the definition"))
    earlier = [r for r in versions if r.version < now.version]
    if earlier and now.description == earlier[-1].description and now.hash != earlier[-1].hash:
        notes.append(("W_DESCRIPTION_STALE",
                      f"the definition changed in version {now.version}, but the description is unchanged since "
                      f"version {earlier[-1].version}: check that it still describes the definition"))
    return notes
