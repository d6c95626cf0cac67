"""A synthetic national register extract, calibrated to the published figures.

`generate(out)` writes a DuckDB file with the seven tables of the data model
(shared/spec/data-model.md), sized like the real population at scale 1.0: over 200 000
new sjukpenning cases a year, 6 000-10 000 new aktivitetsersättning cases a year (ages
19-29), 7 900-11 500 joint assessments a year with their participations and
interventions, 40 000-46 000 Finsam-financed interventions a year in 85 coordination
associations over the 21 counties, and the hand-over, transition and contact meetings.
Events lie in 2015-2019 (a case may have started earlier); the extract date is
2019-12-31, and whatever is still ongoing then has no end date. The association
register is not scaled.

How it works. The whole extract is built inside DuckDB by the set-based SQL in
`synthetic.sql` (ranges, CREATE TABLE AS, window functions); Python only runs its steps.
Every random value is `u(stream, row, purpose)`: an integer hash of the seed, a stream
number for the kind of row, the row's number and the purpose of the draw, mapped to
[0, 1). It is plain integer arithmetic, so the same seed gives the same rows and ids on
every run and any number of threads, and another seed gives other data. Seed and scale
reach the SQL as variables, never as text.

Why the published figures hold by construction. A random draw does not land on a
rounded published value, so each figure is built in rather than hoped for:
- counts are exact row counts per year (8 306 assessments in 2018, exactly 8 092
  participations whose first intervention starts in 2018, 5 112 ended after
  interventions, 3 109 hand-over/transition meetings, ...);
- shares are exact: exactly round(p * n) rows of a group get the property, chosen by
  ranking the rows on a hash; where a share has breakdowns (left the sickness insurance,
  by benefit and with a work-oriented intervention) the numerators are set per cell so
  that the total and every published breakdown hold together;
- means are exact: after the values are drawn, the residual between the target sum and
  the drawn sum is spread over the rows (in proportion to each value, or to an end
  date's distance to the nearer bound of its year), with the remainder as +-1 days; the
  raw draws are tuned to land near the targets, so the corrections stay small;
- the December medians are exact: the cases' lengths are scaled to bring the median
  close, then the rows below the middle are capped at the target, the middle set to it
  and the rows above raised to it.
The steps run in the order the figures depend on each other (assessment dates, which
participations get interventions, when they end, outcomes, case ends, the median cases,
then the mean day of the case over the rest), so a later step never undoes an earlier
one. An exact count needs enough candidates (e.g. participations whose first
intervention could start in 2017); the flows are sized with a margin of several
standard deviations, so the figures hold for any seed at scale 1.0. Smaller scales give
the same shapes on fewer rows, with the published counts scaled.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb
from sqlglot import exp

from . import outputs
from .execute import connect

MARKER = "synthetic register extract written by indicators demo-data"
TABLES = ("person", "ersattningsfall", "kartlaggning", "samarbete", "insats", "mote", "samordningsforbund")
STEP_MARKER = "-- step: "


def generation_steps() -> list[tuple[str, str]]:
    """The (name, SQL) steps of synthetic.sql, in order."""
    text = resources.files(__package__).joinpath("synthetic.sql").read_text(encoding="utf-8")
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(STEP_MARKER):
            steps.append((line[len(STEP_MARKER):].strip(), []))
        elif steps:
            steps[-1][1].append(line)
    return [(name, "\n".join(lines)) for name, lines in steps]


def _check_arguments(scale: float, seed: int) -> None:
    """Refuse a seed or scale the generator cannot honour, before anything is written."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an integer from 0 to 2**63 - 1, not {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 20:
        raise ValueError(f"scale must be a number above 0 and at most 20, not {scale!r}")


def _build(path: Path, scale: float, seed: int, progress, resources=None) -> dict[str, int]:
    """Run every step into a new DuckDB file at `path` (within `resources`: threads, memory limit, spill folder;
    default a spill folder beside it); the row counts of its tables."""
    from dataclasses import replace

    from .resources import Resources, apply_resources
    steps = generation_steps()
    con = connect(str(path))  # no extension downloads, no progress bar on stdout
    try:
        resources = resources or Resources()
        if resources.temp_directory is None:  # a memory limit works only with somewhere to spill
            resources = replace(resources, temp_directory=path.parent / "spill")
        apply_resources(con, resources)
        con.execute("SET VARIABLE seed = ?", [seed])
        con.execute("SET VARIABLE scale = ?", [float(scale)])
        for done, (name, sql) in enumerate(steps, start=1):
            con.execute(sql)
            if progress:
                progress(name, done, len(steps))
        counts = {table: con.table(table).aggregate("count(*)").fetchall()[0][0] for table in TABLES}
        marker = exp.Comment(this=exp.to_table("person"), kind="TABLE", expression=exp.Literal.string(MARKER))
        con.execute(marker.sql("duckdb"))  # tells a synthetic extract from data
        con.execute("CHECKPOINT")
        return counts
    finally:
        con.close()


def is_synthetic_extract(path: Path | str) -> bool:
    """Whether `path` is an extract this generator wrote (so regenerating over it destroys no data)."""
    try:
        con = connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        found = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'person'").fetchall()
        return found == [(MARKER,)]
    except duckdb.Error:
        return False
    finally:
        con.close()


FOLDER_MARKER = ".synthetic-extract"  # in a folder written by demo-data --format parquet|csv: holds MARKER


def is_synthetic_folder(path: Path | str) -> bool:
    """Whether `path` is a folder of Parquet or CSV files this generator wrote (regenerating it destroys no data)."""
    marker = Path(path) / FOLDER_MARKER
    try:
        return marker.is_file() and marker.read_text(encoding="utf-8").strip() == MARKER
    except OSError:
        return False


def _write_files(built: Path, folder: Path, fmt: str) -> None:
    """Every table of the built extract as `<table>.parquet` (for Spark: --engine spark) or `<table>.csv` (with a
    header, dates as YYYY-MM-DD: for loading into another database) in `folder`."""
    folder.mkdir()
    con = connect(str(built), read_only=True)
    try:
        for table in TABLES:
            params = [exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var(fmt))]
            if fmt == "csv":
                params.append(exp.CopyParameter(this=exp.var("HEADER"), expression=exp.true()))
            copy = exp.Copy(this=exp.to_table(table), kind=False, files=[exp.Placeholder()], params=params)
            con.execute(copy.sql("duckdb"), [str(folder / f"{table}.{fmt}")])
    finally:
        con.close()
    (folder / FOLDER_MARKER).write_text(MARKER + "\n", encoding="utf-8")


def generate(out: Path | str, scale: float = 1.0, seed: int = 1, progress=None,
             fmt: str = "duckdb", resources=None) -> dict[str, int]:
    """Write the synthetic extract to `out` (`fmt` duckdb: a .duckdb file; parquet or csv: a folder of
    `<table>.parquet` or `<table>.csv`); return row counts per table.

    The file is built in a temporary folder next to `out` (engine.outputs: removed on
    SIGTERM/SIGINT, swept by a later run after SIGKILL) and moved onto it only when
    complete, so `out` is never left half-written. `progress(step, done, total)` is
    called after each generation step.
    """
    _check_arguments(scale, seed)
    out = Path(out)
    if out.is_dir() and fmt == "duckdb":
        raise IsADirectoryError(f"{out} is a folder, not a file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = outputs.temporary_folder(out.parent, out.name)
    try:
        built = work / "extract.duckdb"
        counts = _build(built, scale, seed, progress, resources)
        if fmt == "duckdb":
            os.replace(built, out)
            return counts
        _write_files(built, work / "files", fmt)
        if out.exists():  # an earlier synthetic folder (api.demo_data refuses anything else): swap it out whole
            os.replace(out, work / "previous")
        os.replace(work / "files", out)
        return counts
    finally:
        outputs.remove(work)
