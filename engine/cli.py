"""The `indicators` command: a thin click layer over engine.api.

User errors print as `file:line:col: CODE message` (+ hint) on stderr with exit status 1;
no user error ends in a traceback.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import api, outputs
from .catalogue import indicator_files, load_catalogue
from .diagnostics import Diagnostic, EngineError, Position
from .dissemination import FORMATS as SERIES_FORMATS
from .present import OutputError, aligned, as_csv, as_json, as_table, breakdown_label, format_number, write_atomic
from .render import DIALECTS, CompileRefused
from .sanitize import json_terminal_safe, terminal_safe

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar  # what click.progressbar returns (click imports it so too)

    from .report import Report


def echo(message: str = "", err: bool = False, nl: bool = True, machine: bool = False) -> None:
    """click.echo for text that may carry user-derived text (names, titles, published wordings, data values).

    Control characters and escape sequences in it are shown (`\\x1b[31m`), never obeyed by the
    terminal (engine.sanitize). `machine` output (CSV, SQL) goes through unchanged when it
    goes to a file or a pipe, and is made safe only when it goes to a terminal.
    """
    stream = sys.stderr if err else sys.stdout
    if not machine or getattr(stream, "isatty", lambda: False)():
        message = terminal_safe(message)
    click.echo(message, err=err, nl=nl, color=True if machine else None)  # click would strip colour codes: data


def echo_json(text: str, nl: bool = True) -> None:
    """JSON to stdout: the characters a terminal could obey are written as JSON escapes (the same document)."""
    click.echo(json_terminal_safe(text), nl=nl)


def _print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        echo(str(d), err=True)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    if errors or warnings:
        echo(f"{errors} error(s), {warnings} warning(s)", err=True)


def friendly(command):
    """Turn user errors into diagnostics and exit 1; unexpected ones into a short report."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except EngineError as exc:
            _print_diagnostics(exc.diagnostics)
            sys.exit(1)
        except CompileRefused as exc:
            echo(f"E_DIALECT {exc}", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            sys.exit(1)
        except Exception as exc:  # a bug, not a user error: say so briefly
            if os.environ.get("INDICATORS_DEBUG"):
                raise
            echo(f"E_INTERNAL internal error: {type(exc).__name__}: {exc}\n"
                       "    hint: this is a bug in the engine; rerun with INDICATORS_DEBUG=1 for details and "
                       "report it", err=True)
            sys.exit(2)
    return wrapper


indicators_option = click.option("--indicators", "indicators_dir", type=click.Path(path_type=Path), default=None,
                                 help="Catalogue folder holding model.yaml (default: the project's indicators/).")


# --data as written (a str): click.Path(path_type=Path) would turn an empty --data '' into the current folder
DATA_PATH = click.Path()


mapping_option = click.option("--mapping", type=click.Path(path_type=Path), default=None,
                              help="Source mapping YAML: the dataset's table and column names for the model's.")


def _no_cache(ctx, param, value) -> None:
    if value:  # read where the data checks look for their cache (engine.datacache)
        os.environ["INDICATORS_CACHE_DIR"] = "off"


no_cache_option = click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
                               help="Run the data checks afresh and keep no result (as INDICATORS_CACHE_DIR=off); "
                                    "by default they are cached per dataset and model.")


_RESOURCE_OPTIONS = (
    click.option("--threads", default=None, envvar="INDICATORS_THREADS", show_envvar=True, metavar="N",
                 help="DuckDB threads, 1 to 256 (default: every core)."),
    click.option("--memory-limit", default=None, envvar="INDICATORS_MEMORY_LIMIT", show_envvar=True, metavar="SIZE",
                 help="DuckDB memory limit, e.g. 2GB, 500MiB or 50% (default: 80% of the machine's memory)."),
    click.option("--temp-dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
                 help="Folder DuckDB spills to beyond the memory limit (created if missing; not in an input)."),
)


def resource_options(command):
    """--threads, --memory-limit and --temp-dir (engine.resources), given to the command as `resources`: checked
    (E_RESOURCES at the option) and the spill folder refused in an input (E_OUT_IS_INPUT). Put below @friendly."""
    @functools.wraps(command)
    def wrapper(*args, threads=None, memory_limit=None, temp_dir=None, **kwargs):
        from .resources import parse_resources
        resources = parse_resources(threads, memory_limit, temp_dir)
        if resources.temp_directory is not None:
            folder = resources.temp_directory
            _refuse_inputs([("--temp-dir", folder)], kwargs.get("data"), kwargs.get("mapping"),
                           kwargs.get("indicators_dir"))
            if (why := _unwritable(folder)) is not None:
                raise EngineError([Diagnostic(Position("--temp-dir"), "E_RESOURCES",
                                              f"cannot spill into {folder}: {why}",
                                              "give a writable folder (it is created if missing)")])
        return command(*args, resources=resources, **kwargs)
    for option in reversed(_RESOURCE_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


_ENGINE_OPTIONS = (
    click.option("--engine", type=click.Choice(["duckdb", "spark", "postgres"]), default="duckdb",
                 envvar="INDICATORS_ENGINE", show_envvar=True, show_default=True,
                 help="What computes: DuckDB (embedded), Spark (pip install '.[spark]') or PostgreSQL "
                      "(pip install '.[postgres]'; --data is then a DSN)."),
    click.option("--spark-master", default=None, metavar="URL",
                 help="Spark: the cluster's master, e.g. spark://host:7077 (default: local[*], or local[N] with "
                      "--threads N)."),
    click.option("--spark-remote", default=None, metavar="URL", help="Spark: a Spark Connect server, sc://host:15002."),
    click.option("--statement-timeout", type=click.IntRange(1, 7 * 24 * 3600), default=None, metavar="SECONDS",
                 help="PostgreSQL: the longest a query may run (default 3600)."),
)


def engine_options(command):
    """--engine, --spark-master, --spark-remote and --statement-timeout (engine.backends), given to the command as
    `engine`. Put below @friendly."""
    @functools.wraps(command)
    def wrapper(*args, engine="duckdb", spark_master=None, spark_remote=None, statement_timeout=None, **kwargs):
        from .backends.base import EngineOptions
        chosen = EngineOptions(engine, spark_master, spark_remote, statement_timeout)
        return command(*args, engine=chosen, **kwargs)
    for option in reversed(_ENGINE_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def _catalogue(indicators_dir, versions: bool = True, only: list[str] | None = None, meanings: bool = False):
    """The checked catalogue, its warnings printed; `versions=False`: an unraised version only warns. `only`: a
    command about these indicators loads just them and their bases (engine.selective; `meanings`: for the
    catalogue hash)."""
    catalogue = api.checked_catalogue(indicators_dir, versions, only=only, meanings=meanings)
    for d in catalogue.diagnostics:  # warnings only
        echo(str(d), err=True)
    return catalogue


def _write_output(path: Path, content: str | bytes, what: str = "") -> None:
    """Write atomically; a failure is a user error (E_OUT), not a traceback."""
    try:
        write_atomic(path, content)
    except (OutputError, OSError) as exc:
        raise _write_error(path, exc, what) from None


def _write_error(path: Path, exc: Exception, what: str = "") -> EngineError:
    import errno
    full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return EngineError([Diagnostic(Position(str(path)), "E_DISK_FULL" if full else "E_OUT",
                                   f"cannot write {what}{' ' if what else ''}{path}: "
                                   f"{getattr(exc, 'strerror', None) or exc}",
                                   "free some space or write to another disk; nothing half-written was left"
                                   if full else "give a writable file path")])


def _write_report(folder: Path, files: dict[str, str | bytes]) -> None:
    """The report's files as one set (engine.outputs.write_set): all new or, if interrupted, all old."""
    try:
        outputs.write_set(folder, {name: c if isinstance(c, bytes) else c.encode("utf-8") for name, c in files.items()})
    except (OutputError, OSError) as exc:
        raise _write_error(folder, exc, "the report into") from None


def _emit(text: str, out: Path | None, fmt: str = "table") -> None:
    if out:
        _write_output(out, text)
        echo(f"wrote {out}", err=True)
    elif fmt == "json":
        echo_json(text, nl=False)
    else:
        echo(text, nl=False, machine=fmt != "table")


class _Group(click.Group):
    """The command group, keeping the arguments it was given: outputs record the command line (provenance)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["indicators.argv"] = list(args)
        return super().parse_args(ctx, args)


def command_line() -> str:
    """The command as typed (`indicators check --data ...`), quoted for a POSIX shell, for the provenance."""
    import shlex
    context = click.get_current_context(silent=True)
    args = context.find_root().meta.get("indicators.argv", sys.argv[1:]) if context is not None else sys.argv[1:]
    return shlex.join(["indicators", *map(str, args)])


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Declarative indicators for official statistics: validate, compile, run, test and check them, and write
    the yearly report."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@indicators_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@friendly
def validate(paths, indicators_dir, fmt):
    """Check indicator files (default: the whole catalogue); report every error at once."""
    directory = indicators_dir
    files = None
    if paths:
        missing = [p for p in paths if not p.exists()]
        if missing:
            raise EngineError([Diagnostic(Position(str(p)), "E_FILE_NOT_FOUND", f"no such file or folder: {p}",
                                          "check the path") for p in missing])
        folders = [p for p in paths if p.is_dir() and (p / "model.yaml").exists()]
        if directory is None and folders:
            directory = folders[0]
        files = indicator_files(list(paths))
    catalogue = load_catalogue(directory, files)
    if fmt == "json":
        echo_json(json.dumps([d.as_dict() for d in catalogue.diagnostics], ensure_ascii=False, indent=2))
    else:
        _print_diagnostics(catalogue.diagnostics)
    if catalogue.errors:
        sys.exit(1)
    if fmt == "text":
        echo(f"ok: {len(catalogue.indicators)} indicator(s) valid", err=True)


@main.command()
@indicators_option
@friendly
def lock(indicators_dir):
    """Record the meaning of every indicator's version in definitions.lock (commit it with the change)."""
    catalogue = load_catalogue(indicators_dir)
    from .versions import VERSION_CODES
    errors = [d for d in catalogue.errors if d.code not in VERSION_CODES]  # the lock is how those are fixed
    if errors:
        raise EngineError(errors)
    path, said = api.lock(catalogue)
    for line in said:
        echo(line, err=True)
    echo(f"ok: {path} records {len(catalogue.indicators)} indicator(s)"
         + ("" if said else " (unchanged)"), err=True)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@friendly
def init(directory):
    """Write a catalogue skeleton into a new or empty folder: model, project, one indicator, its fixture, schemas."""
    files = api.init_catalogue(directory)
    catalogue = directory / "indicators"
    echo(f"wrote {len(files)} files into {directory}; next:\n"
               f"  indicators validate --indicators {catalogue}\n"
               f"  indicators test --indicators {catalogue}\n"
               f"  indicators snapshots --update --indicators {catalogue}", err=True)


@main.command("list")
@indicators_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@friendly
def list_(indicators_dir, fmt):
    """List the catalogue's indicators."""
    catalogue = _catalogue(indicators_dir, versions=False)
    items = [{"id": i, "title": b.info.title["sv"], "title_en": b.info.title["en"],
              "unit": b.info.unit, "version": b.info.version}
             for i, b in sorted(catalogue.indicators.items())]
    if fmt == "json":
        echo_json(json.dumps([{"id": x["id"], "title": x["title"]} for x in items], ensure_ascii=False, indent=2))
    else:
        echo(aligned(["Id", "Titel", "Enhet"], [[x["id"], x["title"], x["unit"]] for x in items]), nl=False)


@main.command()
@click.argument("indicator_id")
@click.option("--lang", type=click.Choice(["sv", "en", "both"]), default="both")
@indicators_option
@friendly
def explain(indicator_id, lang, indicators_dir):
    """Print a definition in plain Swedish and English, step by step."""
    from .explain import explain as render
    catalogue = _catalogue(indicators_dir, versions=False, only=[indicator_id])
    echo(render(catalogue, indicator_id, ("sv", "en") if lang == "both" else (lang,)), nl=False)


@main.command("compile")
@click.argument("indicator_id")
@click.option("--period", required=True, help="2018, 2018H2, 2018Q4 or 2018-12")
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb")
@mapping_option
@indicators_option
@friendly
def compile_(indicator_id, period, dialect, mapping, indicators_dir):
    """Print the SQL that computes an indicator for a period (with --mapping: on the dataset's own names)."""
    catalogue = _catalogue(indicators_dir, versions=False, only=[indicator_id], meanings=True)
    api.periods([period])  # a bad period is E_PERIOD, before anything is compiled
    sql = api.compile_indicator(catalogue, indicator_id, period, dialect, mapping=mapping)
    bound = catalogue.get(indicator_id)
    title = " ".join(bound.info.title["sv"].split())  # a line break would end the SQL comment
    echo(f"-- {bound.id} version {bound.info.version}: {title}")
    echo(api.compile_header(catalogue, indicator_id, period, dialect, command_line()), nl=False)
    echo(sql + ";", machine=True)


@main.command("schema")
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb")
@indicators_option
@friendly
def schema(dialect, indicators_dir):
    """Print the data model as CREATE TABLE statements, to set up a database that --engine postgres reads."""
    catalogue = _catalogue(indicators_dir, versions=False)
    echo(api.schema_sql(catalogue, dialect), nl=False, machine=True)


@main.command()
@click.argument("indicator_ids", nargs=-1)
@click.option("--update", is_flag=True, help="Write the snapshots that differ (review the diff before committing).")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=None,
              help="Snapshot folder (default: tests/snapshots beside the catalogue folder).")
@indicators_option
@friendly
def snapshots(indicator_ids, update, directory, indicators_dir):
    """Compare the committed SQL snapshots with what the compiler writes now (every period kind and dialect)."""
    from .snapshots import compare_snapshots, write_snapshots
    catalogue = _catalogue(indicators_dir, versions=False)
    ids = list(indicator_ids) or None
    if ids:
        catalogue.select(ids)
    if update:
        for path in write_snapshots(catalogue, directory, ids):
            echo(f"wrote {path}", err=True)
        return
    differences = compare_snapshots(catalogue, directory, ids)
    for d in differences:
        echo(f"{d.path}: {d.kind}", err=True)
    if differences:
        echo("the compiled SQL differs from the committed snapshots: review the change, then run "
                   "`indicators snapshots --update` and commit the new files", err=True)
        sys.exit(1)
    echo("ok: the compiled SQL matches the committed snapshots", err=True)


@main.command()
@click.option("--data", "data", required=True, type=DATA_PATH,
              help="A .duckdb file (opened read-only) or a folder of <entity>.parquet/.csv files.")
@click.option("--period", "periods", multiple=True, required=True, help="Repeatable: 2018, 2018H2, 2018Q4, 2018-12")
@click.option("--indicator", "ids", multiple=True, help="Repeatable; default: every indicator.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write here (atomically) instead of stdout.")
@click.option("--no-data-checks", is_flag=True, help="Skip checking the data against the model's consistency rules.")
@click.option("--bare", is_flag=True,
              help="JSON: write the bare list of rows (the format before provenance) instead of "
                   "{\"provenance\": ..., \"rows\": [...]}; CSV: no *.provenance.json beside --out.")
@click.option("--apply-disclosure", is_flag=True,
              help="Mask the rows a report would suppress (no value, numerator, denominator or n; '..' in table and "
                   "CSV). Without it the output is microdata: every value kept, not for publication.")
@mapping_option
@no_cache_option
@indicators_option
@friendly
@resource_options
@engine_options
def run(data, periods, ids, fmt, out, no_data_checks, bare, apply_disclosure, mapping, indicators_dir, resources,
        engine):
    """Compute indicators on a dataset. JSON holds the provenance beside the rows; CSV written to --out F.csv gets
    it in F.provenance.json beside it. The output is microdata (disclosure control not applied: rows a report
    would suppress are flagged, their values kept) unless --apply-disclosure."""
    sidecar = provenance_sidecar(out) if fmt == "csv" and not bare else None
    _refuse_inputs([("--out", out), ("--out (its provenance)", sidecar)], data, mapping, indicators_dir)
    _check_outputs([out, sidecar])
    catalogue = _catalogue(indicators_dir, versions=False)
    with Progress("computing") as progress:
        result = api.run_with_provenance(catalogue, data, list(periods), list(ids) or None, progress, mapping,
                                         data_checks=not no_data_checks, command=command_line(),
                                         apply_disclosure=apply_disclosure, resources=resources,
                                         engine=engine)
    _data_warnings(result.breaches, data)
    rows = result.rows
    if fmt == "json":
        text = as_json(rows) if bare else json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = as_csv(rows) if fmt == "csv" else as_table(rows, catalogue) + _disclosure_footer(
            apply_disclosure, catalogue.project.threshold)
    _emit(text, out, fmt)
    if sidecar is not None and result.provenance is not None:
        _write_output(sidecar, json.dumps({"format": 2, "provenance": result.provenance.as_dict(),
                                           "microdata": result.microdata, "describes": out.name},
                                          ensure_ascii=False, indent=2) + "\n", "the provenance")
        echo(f"wrote {sidecar}", err=True)
    if not apply_disclosure:
        echo(MICRODATA_WARNING, err=True)


MICRODATA_WARNING = ("W_MICRODATA run writes microdata-level aggregates: disclosure control is not applied (rows a "
                     "report would suppress keep their values, flagged disclosure = primary | secondary); do not "
                     "publish or share them\n    hint: --apply-disclosure masks those rows; publish with indicators "
                     "report")


def _disclosure_footer(applied: bool, threshold: int) -> str:
    """The last line of run's table: whether it is microdata, in the table's language."""
    if applied:
        return (f"Röjandekontroll tillämpad: .. är uppgifter som inte redovisas (färre än {threshold} personer, "
                "eller skyddar en sådan uppgift).\n")
    return "Mikrodata: röjandekontroll inte tillämpad – publicera inte (--apply-disclosure döljer skyddade rader).\n"


def provenance_sidecar(out: Path | None) -> Path | None:
    """`F.provenance.json` beside a CSV written to `--out F.csv` (none for stdout, a pipe or a device)."""
    if out is None or (out.exists() and not out.is_file()):
        return None
    return out.with_name((out.stem if out.suffix.lower() == ".csv" else out.name) + ".provenance.json")


@main.command()
@click.argument("indicator_id")
@click.option("--data", "data", required=True, type=DATA_PATH,
              help="A .duckdb file (opened read-only) or a folder of <entity>.parquet/.csv files.")
@click.option("--period", required=True, help="2018, 2018H2, 2018Q4 or 2018-12")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table",
              help="table (default), json, or html: a self-contained page with the table and a bar chart.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write here (atomically) instead of stdout.")
@mapping_option
@indicators_option
@friendly
@resource_options
@engine_options
def attrition(indicator_id, data, period, fmt, out, mapping, indicators_dir, resources, engine):
    """The population step by step: the rows in the period, then after each condition, one_per and require, each
    counted in total and by kön with the share kept."""
    from . import attrition as shown
    _refuse_inputs([("--out", out)], data, mapping, indicators_dir)
    _check_outputs([out])
    catalogue = _catalogue(indicators_dir, versions=False, only=[indicator_id])
    result = api.attrition(catalogue, data, indicator_id, period, mapping, resources, engine)
    text = (json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n" if fmt == "json"
            else shown.as_html(result) if fmt == "html" else shown.as_table(result))
    _emit(text, out, fmt)


@main.command()
@click.option("--data", "data", required=True, type=DATA_PATH)
@click.option("--period", "periods", multiple=True, required=True,
              help="Repeatable: the periods whose rows are compared (a changed indicator's published figures are "
                   "held for the periods they name).")
@click.option("--indicator", "ids", multiple=True, help="Repeatable; default: every indicator of either version.")
@click.option("--baseline", type=click.Path(path_type=Path), default=None, help="The catalogue folder to compare with.")
@click.option("--rev", default=None, help="Compare with the catalogue at this git revision (e.g. HEAD, main).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              help="table (default), json (the whole diff), or markdown (a merge-request comment).")
@click.option("--accept", "accepted", multiple=True, metavar="FIGURE_ID",
              help="Repeatable: a published figure (its stable id) whose changed verdict is intended.")
@click.option("--accept-all", is_flag=True, help="Every changed verdict of a published figure is intended.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write here (atomically) instead of stdout.")
@mapping_option
@indicators_option
@friendly
@resource_options
@engine_options
def diff(data, periods, ids, baseline, rev, fmt, accepted, accept_all, out, mapping, indicators_dir, resources,
         engine):
    """What a change does to the numbers and the published figures, against a baseline catalogue.

    Per changed definition: why it changed, its version (a changed meaning without a raised
    version is reported), each published figure's verdict before and after, the changed rows,
    and the YAML and compiled-SQL diffs. Exit 1 when a published figure's verdict changed and
    is not accepted (--accept FIGURE_ID, --accept-all).
    """
    from .catalogue import default_indicators_dir
    from .diff import as_markdown, as_table, baseline_folder
    if (baseline is None) == (rev is None):
        raise click.UsageError("give exactly one of --baseline DIR or --rev REVISION")
    _refuse_inputs([("--out", out)], data, mapping, indicators_dir)
    _check_outputs([out])
    catalogue = _catalogue(indicators_dir, versions=False)
    label = rev if rev is not None else str(baseline)
    holder = None
    try:
        if rev is not None:
            holder = baseline_folder(indicators_dir or default_indicators_dir(), rev)
            baseline = Path(holder.name) / "catalogue"
        before = api.checked_catalogue(baseline, versions=False, lenient=api.BASELINE_LENIENT)
        with Progress("computing") as progress:
            result = api.diff(catalogue, before, data, list(periods), list(ids) or None, mapping, list(accepted),
                              accept_all, progress, label, resources=resources, engine=engine)
    finally:
        if holder is not None:
            holder.cleanup()
            outputs.release(holder.name)
    if fmt == "table" and result.empty and out is None:
        echo(result.summary_line(), err=True)
    else:
        text = (json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n" if fmt == "json"
                else as_markdown(result) if fmt == "markdown" else as_table(result))
        _emit(text, out, fmt)
    if result.blocking:
        ids_given = " ".join(f"--accept {f.id}" for f in result.blocking)
        echo(str(Diagnostic(Position(str(catalogue.directory)), "E_VERDICT_CHANGED",
                            f"{len(result.blocking)} published figure(s) changed verdict: "
                            + ", ".join(f"{f.id} ({_verdict_word(f.old_verdict)} → {_verdict_word(f.new_verdict)})"
                                        for f in result.blocking),
                            f"if the change is intended, accept it: {ids_given} (or --accept-all)")), err=True)
        sys.exit(1)


def _verdict_word(verdict: str | None) -> str:
    """holds, fails, suppressed (not shown for disclosure), or absent (not in that version)."""
    return verdict or "absent"


class Progress:
    """A progress bar on stderr for long steps; click shows only the label when stderr is not a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.bar: ProgressBar[str] | None = None

    def __call__(self, item: str, detail: str, done: int, total: int) -> None:
        if self.bar is not None and total != self.bar.length:  # the next step of several (docs: check, attrition)
            self.bar.__exit__(None, None, None)
            self.bar = None
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True,
                                         item_show_func=lambda text: text)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, f"{item} {detail}".strip())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _data_warnings(breaches, data) -> None:
    for issue in breaches:
        echo(f"{data}: W_DATA_RULE {issue.entity}: {issue.breaches} row(s): {issue.message} "
                   f"(e.g. keys {', '.join(map(str, issue.examples))})\n"
                   f"    hint: the numbers below are computed from data that breaks the model; "
                   f"see indicators check-data --data {data}", err=True)


@main.command("demo-data")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="The .duckdb file to write (atomically); with --format parquet a folder.")
@click.option("--format", "fmt", type=click.Choice(["duckdb", "parquet", "csv"]), default="duckdb", show_default=True,
              help="parquet: a folder of <table>.parquet files, which Spark reads (--engine spark); csv: a folder "
                   "of <table>.csv files with a header, to load into another database (see indicators schema).")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="1.0 is national scale; 0.01 a small extract for trying things out.")
@click.option("--seed", type=click.IntRange(min=0, max=2**31 - 1), default=1, show_default=True,
              help="The same seed gives the same extract.")
@friendly
@resource_options
def demo_data(out, scale, seed, fmt, resources):
    """Write the synthetic national register extract (2015–2019) that follows the data model."""
    import time
    started = time.perf_counter()
    with Progress("generating") as progress:
        counts = api.demo_data(out, scale, seed, lambda step, done, total: progress(step, "", done, total),
                               fmt, resources)
    seconds = time.perf_counter() - started
    echo(f"wrote {out}: " + ", ".join(f"{name} {format_number(n)}" for name, n in counts.items())
               + f" rows in {seconds:.1f} s (scale {scale:g}, seed {seed})", err=True)


def _check_outputs(files: Sequence[Path | None], folders: Sequence[Path | None] = ()) -> None:
    """Refuse unusable output paths before any computing, all at once."""
    problems = []
    for path in [f for f in files if f is not None]:
        if path.is_dir():
            problems.append(Diagnostic(Position(str(path)), "E_OUT", f"{path} is a folder", "give a file name"))
        elif (why := _unwritable(path.parent)) is not None:
            problems.append(Diagnostic(Position(str(path)), "E_OUT", f"cannot write {path}: {why}",
                                       "give a path in a writable folder"))
    for path in [f for f in folders if f is not None]:
        if path.exists() and not path.is_dir():
            problems.append(Diagnostic(Position(str(path)), "E_OUT", f"{path} is a file, not a folder",
                                       "give a folder for --out, e.g. out/"))
        elif (why := _unwritable(path)) is not None:
            problems.append(Diagnostic(Position(str(path)), "E_OUT", f"cannot write into {path}: {why}",
                                       "give a writable folder"))
    if problems:
        raise EngineError(problems)


def _refuse_inputs(written: Sequence[tuple[str, Path | None]], data, mapping, indicators_dir) -> None:
    """Refuse, before any computing, an output that is an input or lies in an input folder (E_OUT_IS_INPUT)."""
    from .catalogue import default_indicators_dir
    directory = Path(indicators_dir) if indicators_dir else default_indicators_dir()
    inputs = [("--data", "the dataset", data), ("--mapping", "the source mapping", mapping),
              ("--indicators", "the catalogue folder", directory),
              ("beside the catalogue", "the fixtures folder", directory.resolve().parent / "fixtures")]
    problems = outputs.outputs_that_are_inputs(written, inputs)
    if problems:
        raise EngineError(problems)


def _unwritable(folder: Path) -> str | None:
    """Why nothing can be written into `folder` (made as needed), or None when it can."""
    missing = not folder.exists()
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            return f"no part of {folder} exists"
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return (f"{folder} cannot be created: {existing} is read-only for this user" if missing
                else f"the folder {folder} is read-only for this user")
    return None


@main.command()
@click.option("--data", "data", required=True, type=DATA_PATH)
@click.option("--period", "periods", multiple=True,
              help="Repeatable; only figures published for these periods (default: every published figure).")
@click.option("--indicator", "ids", multiple=True, help="Repeatable; default: every indicator with published figures.")
@click.option("--junit", type=click.Path(path_type=Path), default=None, help="Also write JUnit XML here (for CI).")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None, help="Also write JSON here.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--no-data-checks", is_flag=True,
              help="Skip checking the data against the model's consistency rules (run first by default; a breach "
                   "fails the check).")
@click.option("--show-suppressed", is_flag=True,
              help="An internal run: show the computed values and verdicts of figures resting on cells the report "
                   "suppresses, and change alerts on them. Every output is then marked as microdata; do not share it.")
@mapping_option
@no_cache_option
@indicators_option
@friendly
@resource_options
@engine_options
def check(data, periods, ids, junit, json_out, fmt, no_data_checks, show_suppressed, mapping, indicators_dir,
          resources, engine):
    """Check the data against the model, then hold the computed figures against the published ones; exit 1 if the
    data breaks a consistency rule or a figure does not hold. Disclosure control applies as in the report: a
    figure resting on a suppressed cell is not shown (W_FIGURE_SUPPRESSED, not a failure)."""
    from .check import junit_xml
    if junit and json_out and junit.resolve() == json_out.resolve():
        raise click.UsageError("--junit and --json name the same file; give each its own")
    _refuse_inputs([("--junit", junit), ("--json", json_out)], data, mapping, indicators_dir)
    _check_outputs([junit, json_out])
    catalogue = _catalogue(indicators_dir)
    with Progress("computing") as progress:
        result = api.check(catalogue, data, list(periods) or None, list(ids) or None, progress, mapping,
                           data_checks=not no_data_checks, command=command_line(), disclosure=not show_suppressed,
                           resources=resources, engine=engine)
    document = json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"
    if junit:
        _write_output(junit, junit_xml(result), "JUnit XML")
    if json_out:
        _write_output(json_out, document, "JSON")
    if fmt == "json":
        echo_json(document, nl=False)
    else:
        body = [[f.id, breakdown_label(catalogue, f.breakdown), f.published, f.computed,
                 _verdicts()[f.verdict], f.short_source] for f in result.figures]
        echo(aligned(["Figur", "Redovisningsgrupp", "Publicerat", "Beräknat", "Stämmer", "Källa"], body), nl=False)
    if show_suppressed:
        echo("W_MICRODATA --show-suppressed: disclosure control is not applied, the values of cells the report "
             "suppresses are shown (check.json: \"microdata\": true; JUnit: property microdata); do not share these "
             "outputs", err=True)
    for c in result.changes:
        echo(f"W_CHANGE {c.message}", err=True)
    for f in result.suppressed:
        where = "".join(f" {k}={v}" for k, v in f.breakdown.items())
        echo(f"{f.position}: W_FIGURE_SUPPRESSED {f.indicator} {f.period}{where}: published {f.published} "
             f"(”{f.text}”): {f.reason}\n"
             "    hint: not a failure: on this data the figure cannot be held in an output that may be shared; "
             "check it on the full extract (or internally with --show-suppressed)", err=True)
    for f in result.failed:
        where = "".join(f" {k}={v}" for k, v in f.breakdown.items())
        echo(f"{f.position}: E_FIGURE {f.indicator} {f.period}{where}: published {f.published} "
                   f"(”{f.text}”), computed {f.computed}: {f.reason}\n"
                   f"    hint: the definition or the data no longer reproduces the published figure; "
                   f"see indicators explain {f.indicator} and indicators diff", err=True)
    for d in api.breach_diagnostics(data, result.breaches, "the figures above are computed from data that breaks "
                                    f"the data model; see indicators check-data --data {data}"):
        echo(str(d), err=True)
    checked = "data checks skipped (--no-data-checks)" if result.data is None else \
        f"{len(result.breaches)} of {len(result.data)} data check(s) breached"
    hidden = f", {len(result.suppressed)} not shown (disclosure control)" if result.suppressed else ""
    unwatched = f" ({result.changes_not_evaluated} not evaluated: suppressed)" if result.changes_not_evaluated else ""
    echo(f"{len(result.held)} of {len(result.figures)} published figure(s) hold, {len(result.failed)} fail{hidden}; "
         f"{len(result.changes)} change alert(s){unwatched}; {checked}", err=True)
    if result.failed or result.breaches:
        sys.exit(1)


def _verdicts() -> dict[str, str]:
    from .shielded import VERDICT_SV
    return {"holds": "ja", "fails": "NEJ", "suppressed": VERDICT_SV}


@main.command()
@click.option("--data", "data", required=True, type=DATA_PATH)
@click.option("--year", required=True, help="The report year, e.g. 2018.")
@click.option("--compare", default=None, help="The comparison year (default: the year before; 'none' for none).")
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "md", "xlsx", "pdf", *SERIES_FORMATS]),
              help="Repeatable: html (default), md, xlsx, pdf (the HTML printed by headless Chromium: A4, page "
                   "numbers, bookmarks); and the series of --years: px (a PX file per indicator, "
                   "px/), jsonstat (JSON-stat 2.0, jsonstat/), csv and parquet (a tidy long table).")
@click.option("--years", default=None,
              help="The years of the series written by px, jsonstat, csv and parquet, e.g. 2015-2019 (default: the "
                   "comparison year and the report year).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The folder to write the report into.")
@click.option("--publish-despite-breaches", is_flag=True,
              help="Write the report even if the data breaks the model's consistency rules (it refuses by default); "
                   "its method section then states the breaches.")
@mapping_option
@no_cache_option
@indicators_option
@friendly
@resource_options
@engine_options
def report(data, year, compare, formats, years, out, publish_despite_breaches, mapping, indicators_dir, resources,
           engine):
    """Write the yearly report: both återrapporteringar, Swedish formatting, disclosure control. The data is checked
    against the model's consistency rules first; a breach refuses the report. px, jsonstat, csv and parquet write
    each report indicator over --years as PX-Web, JSON-stat 2.0 and a tidy table publish it, suppression applied."""
    from . import report_formats
    from .dissemination import files as series_files
    chosen = list(dict.fromkeys(formats or ("html",)))
    series_formats = [fmt for fmt in chosen if fmt in SERIES_FORMATS]
    if years is not None and not series_formats:
        raise click.UsageError("--years is the span of the series: give it with --format px, jsonstat, csv or parquet")
    _refuse_inputs([("--out", out)], data, mapping, indicators_dir)  # the folder first: its files then need no word
    _refuse_inputs([("--out", out / f"aterrapportering_{year}.{fmt}") for fmt in chosen if fmt not in SERIES_FORMATS]
                   + [("--out", out / name) for name in ("px", "jsonstat")], data, mapping, indicators_dir)
    _check_outputs([], [out])
    if "pdf" in chosen:  # no Chromium: say so before anything is computed
        from .pdf import chromium
        chromium()
    catalogue = _catalogue(indicators_dir)
    compare = api.PREVIOUS_YEAR if compare is None else compare
    with Progress("computing") as progress:
        if series_formats:
            built, series = api.report_with_series(catalogue, data, year, compare, years or api.REPORT_YEARS,
                                                   progress, mapping, publish_despite_breaches=publish_despite_breaches,
                                                   command=command_line(), resources=resources, engine=engine)
        else:
            built = api.report(catalogue, data, year, compare, progress, mapping,
                               publish_despite_breaches=publish_despite_breaches, command=command_line(),
                               resources=resources, engine=engine)
    from .pdf import to_pdf
    render: dict[str, Callable[[Report], str | bytes]] = {
        "html": report_formats.to_html, "md": report_formats.to_markdown, "xlsx": report_formats.to_xlsx,
        "pdf": to_pdf}
    files = {f"aterrapportering_{year}.{fmt}": render[fmt](built) for fmt in chosen if fmt in render}
    if series_formats:
        files.update(series_files(series, series_formats, f"aterrapportering_{year}"))
        _refuse_inputs([("--out", out / name) for name in files], data, mapping, indicators_dir)
    _write_report(out, files)
    for name in files:
        if "/" not in name:
            echo(f"wrote {out / name}", err=True)
    for folder, what in (("px", "PX file(s)"), ("jsonstat", "JSON-stat file(s)")):
        if (count := sum(1 for name in files if name.startswith(f"{folder}/"))):
            echo(f"wrote {count} {what} into {out / folder}", err=True)
    if series_formats:
        echo(f"series {series.years[0]}–{series.years[-1]}: {len(series.tables)} table(s)", err=True)
    cells = built.cells()
    echo(f"{sum(len(s.indicators) for s in built.sections)} indicator(s) in {len(built.sections)} section(s); "
               f"{sum(1 for c in cells if c.suppressed)} of {len(cells)} cell(s) suppressed "
               f"(threshold {built.threshold})", err=True)
    for issue in built.data_breaches:
        echo(f"{data}: W_DATA_RULE {issue.summary()}", err=True)
    if built.data_breaches:
        echo(f"published despite {len(built.data_breaches)} breached consistency rule(s) of the data model "
             "(--publish-despite-breaches): the report's method section states them", err=True)


@main.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The folder to write the site into.")
@click.option("--data", "data", default=None, type=DATA_PATH,
              help="Also show the check's verdicts and each indicator's attrition on this dataset.")
@click.option("--year", default=None,
              help="Show each indicator's SQL (and attrition) for its report period of this year (default: the latest "
                   "period it published figures for).")
@mapping_option
@indicators_option
@friendly
@resource_options
@engine_options
def docs(out, data, year, mapping, indicators_dir, resources, engine):
    """Write the catalogue as a static, offline HTML site: an index with search and filters, a page per indicator
    (explanation, YAML, SQL per dialect, golden fixture, published figures, history, lineage), the model, the
    sources."""
    _refuse_inputs([("--out", out)], data, mapping, indicators_dir)
    _check_outputs([], [out])
    catalogue = _catalogue(indicators_dir, versions=False)
    with Progress("computing") as progress:
        written = api.docs(catalogue, out, data, year, mapping, progress if data is not None else None,
                           resources=resources, engine=engine)
    pages = sum(1 for p in written if p.suffix == ".html")
    echo(f"wrote {pages} page(s) into {out}; open {out / 'index.html'}", err=True)


@main.command("check-data")
@click.option("--data", "data", required=True, type=DATA_PATH)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@mapping_option
@no_cache_option
@indicators_option
@friendly
@resource_options
@engine_options
def check_data(data, fmt, mapping, indicators_dir, resources, engine):
    """Check a dataset against the data model's consistency rules; exit 1 on any breach."""
    catalogue = _catalogue(indicators_dir)
    issues = api.check_data(catalogue, data, mapping, resources, engine)
    if fmt == "json":
        echo_json(json.dumps([i.as_dict() for i in issues], ensure_ascii=False, indent=2))
    elif issues:
        echo(aligned(["Tabell", "Kontroll", "Brott", "Exempel (nyckel)", "Beskrivning"],
                           [[i.entity, i.check, str(i.breaches), ", ".join(map(str, i.examples)), i.message]
                            for i in issues], right={2}), nl=False)
    else:
        echo(f"ok: {data} keeps every rule of the data model", err=True)
    if issues:
        sys.exit(1)


@main.command("test")
@click.argument("ids", nargs=-1)
@click.option("--fixtures", "fixtures_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of golden fixtures (default: fixtures/ beside the catalogue folder).")
@click.option("--data", "data", default=None, type=DATA_PATH,
              help="With --engine postgres: the server to run them on (a DSN; nothing is created there).")
@indicators_option
@friendly
@engine_options
def test_(ids, fixtures_dir, data, indicators_dir, engine):
    """Run the golden fixtures; show missing, unexpected and changed rows (on DuckDB, or --engine spark|postgres)."""
    catalogue = _catalogue(indicators_dir, versions=False)
    results = api.test_fixtures(catalogue, list(ids) or None, fixtures_dir, engine, data)
    failed = 0
    for result in results:
        bad = [p for p in result.periods if not p.ok]
        rows = sum(p.matched for p in result.periods)
        status = "ok  " if not bad else "FAIL"
        echo(f"{status} {result.indicator} ({Path(result.file).name}: {len(result.periods)} period(s), "
                   f"{rows} row(s))")
        for p in bad:
            failed += 1
            echo(_difference(p))
    passed = sum(1 for r in results if r.ok)
    echo(f"{passed} passed, {len(results) - passed} failed")
    if failed:
        sys.exit(1)


def _show(row: dict | None) -> str:
    if row is None:
        return "-"
    value = row["value"]
    text = f"value={value:.6g}" if isinstance(value, float) else f"value={value}"
    if row.get("numerator") is not None or row.get("denominator") is not None:
        text += f" num={row.get('numerator')} den={row.get('denominator')}"
    return text + f" n={row['n']}"


def _difference(p) -> str:
    lines = [[json.dumps(e["breakdown"], ensure_ascii=False), _show(e), "missing"] for e in p.missing]
    lines += [[json.dumps(g["breakdown"], ensure_ascii=False), "-", _show(g)] for g in p.unexpected]
    lines += [[json.dumps(e["breakdown"], ensure_ascii=False), _show(e), _show(g)] for e, g in p.changed]
    table = aligned(["  breakdown", "expected", "got"], [["  " + a, b, c] for a, b, c in lines])
    return f"  period {p.period}:\n{table}"


def entry() -> None:
    """Console-script entry: click's usage errors are user errors too, so they exit 1.

    SIGTERM and SIGINT remove the temporary files of the run and exit 1 (engine.outputs).
    """
    outputs.install_signal_handlers()
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        import io
        shown = io.StringIO()
        exc.show(file=shown)
        echo(shown.getvalue(), err=True, nl=False)  # it may quote an argument as given
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    entry()
