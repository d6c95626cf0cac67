"""The Python API under the command line: load a catalogue, compile, run, test.

Another program can do everything the CLI does through these functions; they raise
`EngineError` (with every diagnostic) on user errors and never print.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .backends.base import Backend, EngineOptions
from .catalogue import Catalogue, load_catalogue
from .check import CheckResult
from .diagnostics import Diagnostic, Diagnostics, EngineError, Position, did_you_mean
from .disclosure import flag_rows, linked_indicators, settings
from .info import PublishedFigure
from .model import Model
from .periods import Period, PeriodError, parse_period
from .plan import plan_query
from .provenance import Provenance
from .render import CompileRefused, build_query, render_sql
from .resources import Resources

if TYPE_CHECKING:  # DuckDB (engine.execute) is imported by the commands that use it
    from .execute import SourceMapping
    from .fixtures import FixtureResult


def periods(texts: list[str]) -> list[Period]:
    """Parse periods, reporting every bad one at once."""
    result, problems = [], []
    for text in dict.fromkeys(texts):  # each period once, in the order given
        try:
            result.append(parse_period(text))
        except PeriodError as exc:
            problems.append(Diagnostic(Position("--period"), "E_PERIOD", str(exc), "e.g. --period 2018"))
    if problems:
        raise EngineError(problems)
    return result


BASELINE_LENIENT = frozenset({"E_UNKNOWN_SOURCE"})  # a baseline from before sources were declared still runs


def checked_catalogue(directory: Path | str | None = None, versions: bool = True,
                      lenient: frozenset[str] = frozenset(), only: list[str] | None = None,
                      meanings: bool = False) -> Catalogue:
    """A catalogue with no errors, or EngineError with all of them.

    With `versions=False`, a definition whose meaning changed without a raised version (and
    the other findings of engine.versions) is a warning, not an error: a reviewer can still
    explain, compile, run and diff it before the bump (validate, check and report refuse it).
    With `only` (ids), just those indicators and their bases are loaded (engine.selective; INDICATORS_SELECTIVE=0
    loads every file); `meanings`: the other files too are bound for the catalogue hash, with warnings of theirs
    with errors.
    """
    import os
    from dataclasses import replace

    from .versions import VERSION_CODES
    if only is not None and os.environ.get("INDICATORS_SELECTIVE", "1").strip() != "0":
        from .selective import load_selected
        catalogue = load_selected(directory, only, meanings)
    else:
        catalogue = load_catalogue(directory)
    demote = lenient | (VERSION_CODES if not versions else frozenset())
    catalogue.diagnostics = [replace(d, severity="warning") if d.code in demote else d
                             for d in catalogue.diagnostics]
    if catalogue.errors:
        raise EngineError(catalogue.diagnostics)
    return catalogue


def compile_indicator(catalogue: Catalogue, indicator_id: str, period: str, dialect: str = "duckdb",
                      pretty: bool = True, mapping: SourceMapping | Path | str | None = None) -> str:
    """Readable SQL for one indicator and period; CompileRefused where the dialect cannot be exact.

    With `mapping` (engine.execute.SourceMapping or its YAML file) the SQL reads the dataset's own table and
    column names: each entity it uses is a CTE in front that selects them CAST to the model's types, as the
    engines bind them (engine.backends.base.Bindings).
    """
    plan = plan_query(catalogue.get(indicator_id), parse_period(period))
    if mapping is None:
        return render_sql(plan, dialect, pretty)
    from .backends.base import mapped_bindings
    from .execute import SourceMapping, load_mapping
    if not isinstance(mapping, SourceMapping):
        mapping = load_mapping(mapping, _model(catalogue))
    tree = mapped_bindings(_model(catalogue), mapping).apply(build_query(plan, dialect), dialect)
    return tree.sql(dialect=dialect, pretty=pretty)


def schema_sql(catalogue: Catalogue, dialect: str = "duckdb") -> str:
    """The data model as CREATE TABLE statements in `dialect` (engine.ddl)."""
    from .ddl import schema_sql as script
    return script(_model(catalogue), dialect)


def compile_header(catalogue: Catalogue, indicator_id: str, period: str, dialect: str = "duckdb",
                   command: str | None = None) -> str:
    """`-- ` comment lines to put above compiled SQL: engine version, git commit, catalogue hash, the indicator's
    version and semantic hash, period, dialect, command and time (engine.provenance.sql_header).

    Not part of `compile_indicator`'s SQL, which stays the same from run to run (snapshots compare it).
    """
    from .provenance import build_provenance, sql_header
    bound = catalogue.get(indicator_id)
    parsed = parse_period(period)
    provenance = build_provenance(catalogue, indicator_ids=[bound.id], output="compile", command=command,
                                  extra={"definition": bound.file,
                                         "period": f"{parsed.label} = {parsed.first} .. {parsed.last}",
                                         "dialect": dialect})
    return "\n".join(sql_header(provenance, bound.id)) + "\n"


def _model(catalogue: Catalogue) -> Model:
    """The catalogue's data model: these functions take a checked catalogue, which always has one."""
    assert catalogue.model is not None, "the catalogue has no data model: load it with checked_catalogue()"
    return catalogue.model


def _open(catalogue: Catalogue, data: Path | str, mapping, steps: list, resources: Resources | None = None,
          engine: EngineOptions | None = None) -> Backend:
    """Run every request check in `steps` and open the dataset on the chosen engine (DuckDB by default, with
    `resources`), reporting all problems at once."""
    from .backends import open_backend
    from .execute import SourceMapping, load_mapping
    problems: list[Diagnostic] = []
    for step in steps:
        try:
            step()
        except EngineError as exc:
            problems += exc.diagnostics
    try:
        if mapping is not None and not isinstance(mapping, SourceMapping):
            mapping = load_mapping(mapping, _model(catalogue))
    except EngineError as exc:
        problems += exc.diagnostics
    if not problems:
        try:
            return open_backend(data, _model(catalogue), mapping, engine, resources)
        except EngineError as exc:
            problems += exc.diagnostics
    elif (missing := _data_missing(data, engine)) is not None:
        problems.append(missing)
    raise EngineError(problems)


def _data_missing(data: Path | str, engine: EngineOptions | None) -> Diagnostic | None:
    """Why --data cannot be read at all (the wrong engine for it, or no such file or folder), or None."""
    from .backends import data_problem
    from .execute import dataset_problem
    problem = data_problem(data, engine)
    local = (engine or EngineOptions()).engine != "postgres" and not str(data).startswith("spark:")
    return problem if problem is not None or not local else dataset_problem(data)


def _execute(catalogue: Catalogue, dataset, keys: list[tuple[str, str]], progress=None) -> dict[tuple, list[dict]]:
    """Rows of every (indicator id, period label) pair, on one open dataset: pairs with the same population in
    one query (engine.batch), or pair by pair with INDICATORS_BATCH=0."""
    import os

    from .batch import execute_batches
    try:
        items = [(catalogue.get(ind), parse_period(label)) for ind, label in keys]
        return execute_batches(dataset, items, os.environ.get("INDICATORS_BATCH", "1").strip() != "0", progress)
    finally:
        dataset.close()


def run(catalogue: Catalogue, data: Path | str, period_texts: list[str], indicator_ids: list[str] | None = None,
        progress=None, mapping: SourceMapping | Path | str | None = None,
        apply_disclosure: bool = False, resources: Resources | None = None,
        engine: EngineOptions | None = None) -> list[dict]:
    """Every selected indicator for every period on a dataset: rows of the public JSON shape.

    Microdata-level: each row carries a `disclosure` flag (None, "primary" or "secondary"):
    the value is kept, but a report would suppress it (see engine.disclosure). With
    `apply_disclosure` those rows have no value, numerator, denominator or n, and the flag
    "suppressed" (engine.shielded). `run_with_provenance` gives the same rows with what
    they were computed from. `resources`: what DuckDB may use (engine.resources).
    """
    return _run(catalogue, data, period_texts, indicator_ids, progress, mapping,
                apply_disclosure=apply_disclosure, resources=resources, engine=engine).rows


@dataclass
class RunResult:
    """Rows of `run`, what they were computed from (engine.provenance) and the data checks (None: not run)."""
    rows: list[dict]
    provenance: Provenance | None = None
    data_checks: list | None = None
    microdata: bool = True      # False with --apply-disclosure: the rows a report suppresses are masked

    @property
    def breaches(self) -> list:
        return [issue for issue in self.data_checks or [] if issue.breaches]

    def as_dict(self) -> dict:
        """The JSON document of `run --format json` (format 2): provenance beside the rows, and whether they are
        microdata (disclosure control not applied: not for publication)."""
        return {"format": 2, "provenance": None if self.provenance is None else self.provenance.as_dict(),
                "microdata": self.microdata, "rows": self.rows}


def run_with_provenance(catalogue: Catalogue, data: Path | str, period_texts: list[str],
                        indicator_ids: list[str] | None = None, progress=None,
                        mapping: SourceMapping | Path | str | None = None, data_checks: bool = True,
                        command: str | None = None, apply_disclosure: bool = False,
                        resources: Resources | None = None, engine: EngineOptions | None = None) -> RunResult:
    """`run` with its provenance, and with the model's consistency checks first (as warnings: a breach is in
    `RunResult.breaches`, never an error) unless `data_checks` is False; `command` is the command line."""
    return _run(catalogue, data, period_texts, indicator_ids, progress, mapping, data_checks, command, True,
                apply_disclosure, resources, engine)


def _run(catalogue: Catalogue, data: Path | str, period_texts: list[str], indicator_ids: list[str] | None,
         progress, mapping, data_checks: bool = False, command: str | None = None,
         with_provenance: bool = False, apply_disclosure: bool = False,
         resources: Resources | None = None, engine: EngineOptions | None = None) -> RunResult:
    selected, wanted = [], []
    def select():
        selected.extend(catalogue.select(list(dict.fromkeys(indicator_ids)) if indicator_ids else None))
    def parse():
        wanted.extend(periods(period_texts))
    dataset = _open(catalogue, data, mapping, [select, parse], resources, engine)
    checked = _data_checks(catalogue, dataset, data, entities=_tables_read(catalogue, [b.id for b in selected])
                           if indicator_ids else None, mapping=mapping) if data_checks else None
    provenance = _provenance(catalogue, dataset, data, [b.id for b in selected], checked, "run", command,
                             apply_disclosure) if with_provenance else None
    keys = [(b.id, p.label) for b in selected for p in wanted]
    # the tables over the same population are flagged together with these (engine.disclosure, linked tables), so
    # they are computed too: a row's flag does not depend on which indicators were asked for
    linked = linked_indicators(catalogue.indicators.values(), [b.id for b in selected])[len(selected):]
    computed = _execute(catalogue, dataset, keys + [(i, p.label) for i in linked for p in wanted], progress)
    flagged = flag_rows([row for table in computed.values() for row in table], catalogue.project.threshold,
                        **settings(catalogue.indicators.values()))
    asked = set(keys)
    rows = [row for row in flagged if (row["indicator"], row["period"]) in asked]
    if apply_disclosure:
        from .shielded import apply
        rows = apply(rows)
    return RunResult(rows, provenance, checked, not apply_disclosure)


def _provenance(catalogue: Catalogue, dataset, data: Path | str, indicator_ids: list[str], checks, output: str,
                command: str | None, disclosure: bool | None = None) -> Provenance:
    """The provenance of an output computed on an open dataset (its tables counted through it); closes the
    dataset on failure."""
    from .backends.base import QueryFailed
    from .provenance import build_provenance
    try:
        return build_provenance(catalogue, indicator_ids=indicator_ids, data=data, dataset=dataset, checks=checks,
                                output=output, command=command, disclosure=disclosure)
    except QueryFailed as exc:
        dataset.close()
        raise EngineError([Diagnostic(Position(str(data)), "E_DATA_QUERY",
                                      f"the dataset's tables could not be counted: {exc}",
                                      "the dataset could not be read (a file changed, vanished or is damaged?): "
                                      "fix it and run again")]) from None
    except BaseException:
        dataset.close()
        raise


def _data_checks(catalogue: Catalogue, dataset, data: Path | str = "", refuse: str = "",
                 entities: set[str] | None = None, mapping=None) -> list:
    """Every consistency check of the model (engine.datacheck) on an open dataset, of the tables `entities` only
    when given; closes it on failure. The results are cached per dataset and model (engine.datacache).

    With `refuse` (a hint), a breach is an error: EngineError with every breach.
    """
    from .datacache import open_cache
    from .datacheck import run_checks
    try:
        checked = run_checks(dataset, _model(catalogue), catalogue.rules, entities,
                             open_cache(catalogue, data, dataset, mapping))
        breaches = [issue for issue in checked if issue.breaches]
        if refuse and breaches:
            raise EngineError(breach_diagnostics(data, breaches, refuse))
        return checked
    except BaseException:
        dataset.close()
        raise


def _tables_read(catalogue: Catalogue, indicator_ids: list[str]) -> set[str]:
    """The tables the indicators read (engine.lineage.tables_read): those their data checks hold."""
    from .lineage import tables_read
    return tables_read(catalogue, indicator_ids)


PUBLISH_DESPITE_BREACHES = "--publish-despite-breaches"


def breach_diagnostics(data: Path | str, breaches: list, hint: str) -> list[Diagnostic]:
    """One E_DATA_RULE error per breached check (count and example keys); the hint once, after the last."""
    return [Diagnostic(Position(str(data)), "E_DATA_RULE", issue.summary(), hint if i == len(breaches) - 1 else "")
            for i, issue in enumerate(breaches)]


def check(catalogue: Catalogue, data: Path | str, period_texts: list[str] | None = None,
          indicator_ids: list[str] | None = None, progress=None, mapping=None,
          data_checks: bool = True, command: str | None = None, disclosure: bool = True,
          resources: Resources | None = None, engine: EngineOptions | None = None) -> CheckResult:
    """Hold every published figure (of the given periods) against the data; change alerts besides.

    First the data is held against the model's consistency rules (as `check_data`), unless
    `data_checks` is False: the result carries every check (`CheckResult.data`), and a
    breach counts as a failure of the check. `CheckResult.provenance` says what was checked
    (`command`: the command line, when there is one).

    Disclosure control applies as in the report (engine.shielded): a figure resting on a
    suppressed cell has the verdict "suppressed" and no computed value, and a change alert
    is not evaluated on a suppressed total. `disclosure=False` is a microdata run that shows
    them (`--show-suppressed`), and its result says so.
    """
    from .check import check_figures, needed_runs, published_figures, watched_changes
    from .shielded import Shield, linked_keys
    figures: list = []
    def select():
        wanted = [p.label for p in periods(period_texts)] if period_texts else None
        figures.extend(published_figures(catalogue, list(dict.fromkeys(indicator_ids)) if indicator_ids else None,
                                         wanted))
        if not figures:
            where = f" for {', '.join(wanted)}" if wanted else ""
            which = f" of {', '.join(indicator_ids)}" if indicator_ids else ""
            raise EngineError([Diagnostic(Position("--period" if wanted else "--indicator"), "E_NO_FIGURES",
                                          f"no published figure{which}{where}: nothing to check",
                                          "leave out --period/--indicator to check every published figure")])
    dataset = _open(catalogue, data, mapping, [select], resources, engine)
    checked = _data_checks(catalogue, dataset, data, entities=_tables_read(catalogue, [ind for ind, _ in figures])
                           if indicator_ids else None, mapping=mapping) if data_checks else None
    provenance = _provenance(catalogue, dataset, data, [ind for ind, _ in figures], checked, "check", command,
                             disclosure)
    keys = needed_runs(catalogue, figures)
    # the tables suppressed together with theirs (same population), so that a cell is hidden as in the report
    rows = _execute(catalogue, dataset, keys + (linked_keys(catalogue, keys) if disclosure else []), progress)
    own = list(dict.fromkeys((ind, p) for ind, figure in figures for p in figure.needed_periods))
    shield = Shield.of(catalogue, rows, applied=disclosure)
    changes, not_evaluated = watched_changes(catalogue, own, rows, shield)
    return CheckResult(check_figures(catalogue, figures, rows, shield), changes, checked, provenance, not_evaluated,
                       disclosure)


PREVIOUS_YEAR = "previous"
_YEAR = re.compile(r"[1-9][0-9]{3}")


def report_years(catalogue: Catalogue) -> tuple[int, int]:
    """The years a report may show: those of the model's plausible dates (`dates:`), else 1000 to 9999."""
    dates = catalogue.model.dates if catalogue.model is not None else None
    low = dates.low.year if dates is not None and isinstance(dates.low, dt.date) else 1000
    high = dates.high.year if dates is not None and isinstance(dates.high, dt.date) else 9999
    return max(low, 1000), min(high, 9999)


def report(catalogue: Catalogue, data: Path | str, year: str, compare: str | None = PREVIOUS_YEAR, progress=None,
           mapping=None, generated: str | None = None, publish_despite_breaches: bool = False,
           command: str | None = None, resources: Resources | None = None, engine: EngineOptions | None = None):
    """The yearly report (engine.report.Report) of `year` beside `compare`, disclosure control applied.

    `compare` is a year, "previous" (the year before, the default), or None or "none" for no comparison.
    The data is held against the model's consistency rules first: a breach refuses the report
    (EngineError with every breach) unless `publish_despite_breaches`, and then the report's
    method section states the breaches.
    """
    return _report(catalogue, data, year, compare, progress, mapping, generated, publish_despite_breaches,
                   command, resources=resources, engine=engine)[0]


REPORT_YEARS = "report"   # report_with_series: the series of the report year and the comparison year


def report_with_series(catalogue: Catalogue, data: Path | str, year: str, compare: str | None = PREVIOUS_YEAR,
                       years: str | list[str] = REPORT_YEARS, progress=None, mapping=None,
                       generated: str | None = None, publish_despite_breaches: bool = False,
                       command: str | None = None, resources: Resources | None = None,
                       engine: EngineOptions | None = None):
    """`report`, and every report indicator as a table over `years` (engine.dissemination.Series: the PX,
    JSON-stat and tidy outputs), computed on the same open dataset after the same data checks.

    `years` is a range ("2015-2019"), one year, a list of years, or REPORT_YEARS: the comparison
    year and the report year. Returns (Report, Series).
    """
    built, series = _report(catalogue, data, year, compare, progress, mapping, generated, publish_despite_breaches,
                            command, years, resources, engine)
    assert series is not None  # _report builds the series when it is given years
    return built, series


def _report(catalogue: Catalogue, data: Path | str, year: str, compare: str | None, progress, mapping,
            generated: str | None, publish_despite_breaches: bool, command: str | None,
            series_years: str | list[str] | None = None, resources: Resources | None = None,
            engine: EngineOptions | None = None):
    from .check import check_figures, needed_runs, published_figures
    from .dissemination import YearsError, build_series, parse_years, series_runs
    from .report import build_report, catalogue_version, report_runs
    year = str(year)
    low, high = report_years(catalogue)
    defaulted = compare == PREVIOUS_YEAR
    if defaulted:
        compare = str(int(year) - 1) if _YEAR.fullmatch(year) else None
    compare = None if compare is None or str(compare).lower() in ("none", "") else str(compare)
    keys: list[tuple[str, str]] = []
    figures: list[tuple[str, PublishedFigure]] = []
    wanted_years: list[str] = []

    def outside(y: str) -> bool:
        return not low <= int(y) <= high

    def years():
        dates = _model(catalogue).dates
        span = f"the model's plausible dates ({dates.text()})" if dates is not None else f"the years {low} to {high}"
        problems = []
        if not _YEAR.fullmatch(year):
            problems.append(Diagnostic(Position("--year"), "E_PERIOD", f"'{year}' is not a year",
                                       "e.g. --year 2018 --compare 2017"))
        elif outside(year):
            problems.append(Diagnostic(Position("--year"), "E_PERIOD", f"the report year {year} is outside {span}",
                                       f"give a year from {low} to {high}, e.g. --year 2018"))
        if compare is not None and not defaulted:
            if not _YEAR.fullmatch(compare):
                problems.append(Diagnostic(Position("--compare"), "E_PERIOD", f"'{compare}' is not a year",
                                           "e.g. --year 2018 --compare 2017"))
            elif outside(compare):
                problems.append(Diagnostic(Position("--compare"), "E_PERIOD",
                                           f"the comparison year {compare} is outside {span}",
                                           f"give a year from {low} to {high}, or --compare none"))
        elif compare is not None and not problems and outside(compare):  # the default: the year before --year
            problems.append(Diagnostic(Position("--compare"), "E_PERIOD",
                                       f"no --compare given, and the year before --year {year}, {compare}, is "
                                       f"outside {span}", f"pass --compare none to report {year} without a "
                                       "comparison, or --compare with another year"))
        if not problems and compare == year:
            problems.append(Diagnostic(Position("--compare"), "E_PERIOD", "the comparison year is the report year",
                                       f"compare with another year, e.g. --compare {int(year) - 1}"))
        if series_years is not None and not problems:
            try:
                wanted_years.extend(sorted({year} | ({compare} if compare else set())) if series_years == REPORT_YEARS
                                    else parse_years(series_years) if isinstance(series_years, str)
                                    else [str(y) for y in series_years])
            except YearsError as exc:
                problems.append(Diagnostic(Position("--years"), "E_PERIOD", str(exc), "e.g. --years 2015-2019"))
            bad = [y for y in wanted_years if not _YEAR.fullmatch(y) or outside(y)]
            if bad or (not wanted_years and not problems):
                problems.append(Diagnostic(Position("--years"), "E_PERIOD",
                                           f"the years {', '.join(bad) or '(none)'} are outside {span}",
                                           f"give years from {low} to {high}, e.g. --years {max(low, int(year) - 4)}"
                                           f"-{year}"))
        if problems:
            raise EngineError(problems)
        keys.extend(report_runs(catalogue, year, compare))
        labels = {label for _, label in keys}
        figures.extend((ind, f) for ind, f in published_figures(catalogue, sorted({i for i, _ in keys}))
                       if (f.period or f.periods[-1]) in labels)
        if not keys:
            raise EngineError([Diagnostic(Position(str(catalogue.directory)), "E_NO_REPORT",
                                          "no indicator belongs to a report", "add report: <key> to an indicator")])
    dataset = _open(catalogue, data, mapping, [years], resources, engine)
    refuse = "" if publish_despite_breaches else (
        "the report would publish figures computed from data that breaks the data model (indicators check-data "
        f"--data {data} lists the same): correct the extract, or pass {PUBLISH_DESPITE_BREACHES} to publish "
        "anyway with the breaches stated in the report's method section")
    checked = _data_checks(catalogue, dataset, data, refuse, _tables_read(catalogue, [i for i, _ in keys + figures]),
                           mapping)
    breaches = [issue for issue in checked if issue.breaches]
    provenance = _provenance(catalogue, dataset, data, sorted({i for i, _ in keys}), checked, "report", command)
    keys = list(dict.fromkeys(keys + needed_runs(catalogue, figures, with_previous=False)))
    from .shielded import linked_keys
    linked = linked_keys(catalogue, keys)  # suppressed together with the report's tables (engine.disclosure)
    extra = series_runs(catalogue, wanted_years)
    rows = _execute(catalogue, dataset, list(dict.fromkeys(keys + linked + extra)), progress)
    mine = {key: rows[key] for key in keys + linked}
    built = build_report(catalogue, mine, year, compare, Path(data).name, catalogue_version(catalogue),
                         generated or dt.date.today().isoformat(), check_figures(catalogue, figures, mine), breaches,
                         provenance)
    if series_years is None:
        return built, None
    from .report import breach_notes
    return built, build_series(catalogue, {key: rows[key] for key in extra}, wanted_years, provenance,
                               breach_note=" ".join(breach_notes(breaches)))


def demo_data(out: Path | str, scale: float = 1.0, seed: int = 1, progress=None,
              fmt: str = "duckdb", resources: Resources | None = None) -> dict[str, int]:
    """Generate the synthetic extract (engine.synthetic) into `out`: a new file or an earlier synthetic extract;
    with `fmt` "parquet" or "csv" a new folder of `<table>.parquet` or `.csv` files (or an earlier one demo-data
    wrote).

    Anything else that exists is refused, a real extract included: generating over it would destroy data.
    """
    from .synthetic import generate, is_synthetic_extract, is_synthetic_folder
    out = Path(out)
    problems = []
    if fmt not in ("duckdb", "parquet", "csv"):
        problems.append(Diagnostic(Position("--format"), "E_FORMAT", f"unknown format '{fmt}'",
                                   "duckdb, parquet or csv"))
    elif fmt != "duckdb":
        if out.exists() and not is_synthetic_folder(out):
            problems.append(Diagnostic(Position(str(out)), "E_OUT", f"{out} exists and is not a folder "
                                       "written by demo-data; refusing to overwrite it",
                                       "give a new folder name, or remove it first"))
    elif out.is_dir():
        problems.append(Diagnostic(Position(str(out)), "E_OUT", f"{out} is a folder", "give a file name such as "
                                   "data/demo.duckdb (or --format parquet for a folder of Parquet files)"))
    elif out.exists() and not is_synthetic_extract(out):
        problems.append(Diagnostic(Position(str(out)), "E_OUT", f"{out} exists and is not a synthetic extract "
                                   "written by demo-data; refusing to overwrite it",
                                   "give a new file name, or remove the file first"))
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (math.isfinite(scale) and 0 < scale <= 20):
        problems.append(Diagnostic(Position("--scale"), "E_SCALE", f"scale {scale} is not a number in (0, 20]",
                                   "1.0 is national scale; 0.01 a small extract"))
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        problems.append(Diagnostic(Position("--seed"), "E_SEED", f"seed {seed!r} is not a whole number from 0 to "
                                   f"{2**31 - 1}", "e.g. --seed 1"))
    if problems:
        raise EngineError(problems)
    import duckdb
    try:
        return generate(out, scale=scale, seed=seed, progress=progress, fmt=fmt, resources=resources)
    except (OSError, duckdb.IOException, duckdb.TransactionException) as exc:  # DuckDB words a full disk so
        if _disk_full(exc):
            raise EngineError([Diagnostic(Position(str(out)), "E_DISK_FULL",
                                          f"no space left on the device of {out.parent} while writing {out}",
                                          "free some space, give --out on another disk, or a smaller --scale "
                                          "(0.01 gives a small extract); nothing half-written was left")]) from None
        if not isinstance(exc, OSError):
            raise
        raise EngineError([Diagnostic(Position(str(out)), "E_OUT", f"cannot write {out}: {exc.strerror or exc}",
                                      "give a writable file path")]) from None


def _disk_full(exc: BaseException) -> bool:
    """A full disk or exhausted quota, as an OSError or as DuckDB words it."""
    import errno
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc)


def check_data(catalogue: Catalogue, data: Path | str, mapping: SourceMapping | Path | str | None = None,
               resources: Resources | None = None, engine: EngineOptions | None = None):
    """Breaches of the data model's consistency rules in a dataset (see engine.datacheck), on the chosen engine."""
    from .datacache import open_cache
    from .datacheck import check_data as run_checks
    dataset = _open(catalogue, data, mapping, [], resources, engine)
    try:
        return run_checks(dataset, _model(catalogue), catalogue.rules, cache=open_cache(catalogue, data, dataset,
                                                                                         mapping))
    finally:
        dataset.close()


def attrition(catalogue: Catalogue, data: Path | str, indicator_id: str, period_text: str,
              mapping: SourceMapping | Path | str | None = None, resources: Resources | None = None,
              engine: EngineOptions | None = None):
    """One indicator's population for one period step by step (engine.attrition.Attrition): the rows in the
    period, then after each condition, one_per and require, each counted in total and by kön."""
    from .attrition import run_attrition
    from .resolve import population_origins
    chosen: list = []
    def select():
        chosen.append(catalogue.get(indicator_id))
    def parse():
        chosen.append(periods([period_text])[0])
    dataset = _open(catalogue, data, mapping, [select, parse], resources, engine)
    bound, period = chosen
    try:
        return run_attrition(dataset, bound, population_origins(catalogue.documents[bound.id],
                                                                catalogue.documents.get), period)
    finally:
        dataset.close()


SITE_PAGES = ("index.html", "model.html", "sources.html", "style.css", "indicators")  # what docs writes into --out


def _site_attrition(catalogue: Catalogue, data: Path | str, mapping, year: str | None, results, progress,
                    resources: Resources | None = None, engine: EngineOptions | None = None) -> None:
    """Each indicator's attrition (as `attrition`) for the period the site shows it for, on one open dataset;
    an indicator that cannot be counted gets the reason instead."""
    from .attrition import run_attrition
    from .resolve import population_origins
    from .site import representative_period
    dataset = _open(catalogue, data, mapping, [], resources, engine)
    ids = sorted(catalogue.indicators)
    try:
        for done, ident in enumerate(ids, 1):
            label = representative_period(catalogue, ident, year)
            try:
                origins = population_origins(catalogue.documents[ident], catalogue.documents.get)
                results.attrition[ident] = run_attrition(dataset, catalogue.get(ident), origins, periods([label])[0])
            except EngineError as exc:
                results.attrition_errors[ident] = "; ".join(f"{d.code} {d.message}" for d in exc.diagnostics)
            if progress:
                progress(ident, label, done, len(ids))
    finally:
        dataset.close()


def docs(catalogue: Catalogue, out: Path | str, data: Path | str | None = None, period: str | None = None,
         mapping: SourceMapping | Path | str | None = None, progress=None,
         fixtures: Path | str | None = None, resources: Resources | None = None,
         engine: EngineOptions | None = None) -> list[Path]:
    """Write the catalogue as a static site (engine.site) into the folder `out`; the paths written.

    index.html, one page per indicator under indicators/, model.html, sources.html and
    style.css, written as one set (engine.outputs.write_set); an indicator page an earlier
    run wrote that is no longer in the catalogue is removed. `period` is a year: each
    indicator's SQL (and attrition) is shown for its report period of that year; without it,
    for the latest period it published figures for. With `data`, the pages also show the
    verdicts of `check` on the dataset and each indicator's attrition. Nothing is written
    into the catalogue folder, the fixtures, the dataset or the mapping (E_OUT_IS_INPUT).
    """
    from . import outputs
    from .execute import SourceMapping, load_mapping
    from .present import OutputError
    from .site import DataResults, build_site, stale_pages
    out = Path(out)
    fixtures_folder = Path(fixtures) if fixtures else fixtures_dir(catalogue)
    inputs = [("--data", "the dataset", Path(data) if data is not None else None),
              ("--mapping", "the source mapping", None if mapping is None or isinstance(mapping, SourceMapping)
               else Path(mapping)),
              ("--indicators", "the catalogue folder", catalogue.directory),
              ("beside the catalogue", "the fixtures folder", fixtures_folder)]
    problems = outputs.outputs_that_are_inputs([("--out", out)], inputs) or \
        outputs.outputs_that_are_inputs([("--out", out / n) for n in SITE_PAGES], inputs)[:1]  # e.g. --out .
    if out.exists() and not out.is_dir():
        problems.append(Diagnostic(Position(str(out)), "E_OUT", f"{out} is a file, not a folder",
                                   "give a folder for --out, e.g. out/site"))
    if period is not None and not _YEAR.fullmatch(str(period)):
        problems.append(Diagnostic(Position("--year"), "E_PERIOD", f"'{period}' is not a year", "e.g. --year 2018"))
    if problems:
        raise EngineError(problems)
    results = None
    if data is not None:
        if mapping is not None and not isinstance(mapping, SourceMapping):
            mapping = load_mapping(mapping, _model(catalogue))
        results = DataResults(str(data))
        if any(b.info.published for b in catalogue.indicators.values()):
            results.checks = check(catalogue, data, progress=progress, mapping=mapping, resources=resources,
                                   engine=engine)
        else:
            results.check_error = "katalogen har inga publicerade siffror"
        _site_attrition(catalogue, data, mapping, period, results, progress, resources, engine)
    pages = build_site(catalogue, results, str(period) if period is not None else None, fixtures_folder)
    try:
        written = outputs.write_set(out, pages)
        for stale in stale_pages(out, pages):
            stale.unlink(missing_ok=True)
    except (OutputError, OSError) as exc:
        raise EngineError([Diagnostic(Position(str(out)), "E_OUT", f"cannot write the site into {out}: "
                                      f"{getattr(exc, 'strerror', None) or exc}", "give a writable folder")]) from None
    return written


def diff(catalogue: Catalogue, baseline: Catalogue, data: Path | str, period_texts: list[str],
         indicator_ids: list[str] | None = None, mapping=None, accept: list[str] | None = None,
         accept_all: bool = False, progress=None, baseline_label: str = "", resources: Resources | None = None,
         engine: EngineOptions | None = None):
    """What a change does, on the same data: an engine.diff.CatalogueDiff.

    Rows that differ between a baseline catalogue and this one (for the requested periods),
    every published figure of a changed indicator held against both (old and new verdict),
    and each changed definition: why (its file, a base, a model part it uses), its version
    status, the YAML and compiled-SQL diffs. Either catalogue may carry version findings
    (load them with checked_catalogue(versions=False)): a reviewer runs this before the bump.
    `accept` names figures (stable ids) whose changed verdict is intended; `accept_all` accepts
    every one. An indicator with the same compiled SQL and meaning in both is not run twice.
    Disclosure control applies as in each catalogue's report (engine.shielded): a row
    suppressed in either version is not compared, a figure on a suppressed cell is "suppressed".
    """
    from .diff import build_diff, plan_diff, unknown_figures
    known = set(catalogue.indicators) | set(baseline.indicators)
    labels: list[str] = []

    def select():
        unknown = [i for i in indicator_ids or [] if i not in known]
        if unknown:
            raise EngineError([Diagnostic(Position(str(catalogue.directory)), "E_UNKNOWN_INDICATOR",
                                          f"no indicator '{i}' in either catalogue", did_you_mean(i, known))
                               for i in unknown])

    def parse():
        labels.extend(p.label for p in periods(period_texts))

    def accepted():
        problems = unknown_figures(list(accept or []), catalogue, baseline)
        if problems:
            raise EngineError(problems)
    plans: list = []

    def planned():  # before any data is opened: nothing to close if it fails
        ids = list(dict.fromkeys(indicator_ids)) if indicator_ids else sorted(known)
        plans.append(plan_diff(catalogue, baseline, [i for i in ids if i in known], labels))
    dataset = _open(catalogue, data, mapping, [select, parse, accepted, planned], resources, engine)
    plan = plans[0]
    # and the tables each version suppresses together with those (engine.shielded), to hide cells as its report does
    from .shielded import linked_keys
    once = [(i, p) for i, p in plan.new_keys if i in plan.once]
    old_keys = plan.old_keys + linked_keys(baseline, plan.old_keys + once)
    new_keys = plan.new_keys + linked_keys(catalogue, plan.new_keys)
    total = len(old_keys) + len(new_keys)

    def step(offset: int):
        return None if progress is None else \
            lambda ind, label, done, _: progress(ind, label, offset + done, total)
    old_rows: dict[tuple, list[dict]] = {}
    if old_keys:
        try:  # the baseline reads the data through its own model; _execute closes its dataset
            old_rows = _execute(baseline, _open(baseline, data, mapping, [], resources, engine), old_keys, step(0))
        except BaseException:
            dataset.close()
            raise
    new_rows = _execute(catalogue, dataset, new_keys, step(len(old_keys)))
    return build_diff(catalogue, baseline, plan, old_rows, new_rows, set(accept or []), accept_all, baseline_label)


def lock(catalogue: Catalogue) -> tuple[Path, list[str]]:
    """Record every indicator's meaning in the lock file (engine.versions); returns its path and what changed."""
    from .versions import write_lock
    return write_lock(catalogue)


def init_catalogue(target: Path | str) -> list[Path]:
    """Write a catalogue skeleton into a new or empty folder (see engine.scaffold); returns its files."""
    from .scaffold import init_catalogue as write
    return write(target)


def fixtures_dir(catalogue: Catalogue) -> Path:
    """`fixtures/` beside the catalogue folder (as `tests/snapshots`), so a catalogue kept elsewhere has its own."""
    return catalogue.directory.resolve().parent / "fixtures"


def test_fixtures(catalogue: Catalogue, indicator_ids: list[str] | None = None,
                  directory: Path | str | None = None, engine: EngineOptions | None = None,
                  data: str | None = None) -> list[FixtureResult]:
    """Run the golden fixtures (of the given indicators); every indicator must have one.

    `directory` defaults to `fixtures_dir(catalogue)`: for this project, the repository's fixtures/.
    `engine` runs them on Spark or PostgreSQL (on the server whose DSN is `data`) instead of DuckDB.
    """
    from .fixtures import fixture_files, load_fixture, run_fixture
    directory = Path(directory) if directory else fixtures_dir(catalogue)
    if not directory.is_dir():
        raise EngineError([Diagnostic(Position(str(directory)), "E_FILE_NOT_FOUND",
                                      f"no fixtures folder: {directory}",
                                      "write the golden fixtures there, or pass --fixtures DIR")])
    diags = Diagnostics()
    if indicator_ids:
        catalogue.select(indicator_ids)  # unknown ids are errors
    docs = []
    for path in fixture_files(directory):
        doc = load_fixture(path, catalogue, diags)
        if doc is not None and (not indicator_ids or doc.data["indicator"] in indicator_ids):
            docs.append(doc)
    covered = {d.data["indicator"] for d in docs}
    for ind in indicator_ids or sorted(catalogue.indicators):
        if ind not in covered:
            diags.error(Position(str(directory)), "E_NO_FIXTURE", f"indicator '{ind}' has no golden fixture",
                        f"write {directory}/{ind}.yaml (see fixtures/README.md)")
    if data is not None and (engine is None or engine.engine != "postgres"):
        diags.error(Position("--data"), "E_ENGINE", "the golden fixtures bring their own rows: --data names the "
                    "PostgreSQL server to run them on, with --engine postgres", "leave out --data, or add --engine "
                    "postgres")
    diags.raise_if_errors()
    if engine is not None and engine.engine == "spark":  # one session for every fixture, stopped at the end
        from .backends.spark import session
        spark, started = session(engine)
        try:
            return [run_fixture(doc, catalogue, engine, data) for doc in docs]
        finally:
            if started:
                spark.stop()
    return [run_fixture(doc, catalogue, engine, data) for doc in docs]


__all__ = [
    "Catalogue",
    "CompileRefused",
    "EngineError",
    "attrition",
    "breach_diagnostics",
    "build_query",
    "check",
    "check_data",
    "checked_catalogue",
    "compile_header",
    "compile_indicator",
    "demo_data",
    "diff",
    "docs",
    "fixtures_dir",
    "init_catalogue",
    "load_catalogue",
    "lock",
    "periods",
    "report",
    "report_with_series",
    "report_years",
    "run",
    "run_with_provenance",
    "schema_sql",
    "test_fixtures",
]
