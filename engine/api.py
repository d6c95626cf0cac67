"""The Python API under the command line: load a catalogue, compile, run, test.

Another program can do everything the CLI does through these functions; they raise
`EngineError` (with every diagnostic) on user errors and never print.
"""
from __future__ import annotations

from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .diagnostics import Diagnostic, Diagnostics, EngineError, Position, did_you_mean
from .execute import SourceMapping, load_mapping, open_dataset, run_indicator
from .fixtures import FixtureResult, default_fixtures_dir, fixture_files, load_fixture, run_fixture
from .periods import Period, PeriodError, parse_period
from .plan import plan_query
from .render import CompileRefused, build_query, render_sql


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


def checked_catalogue(directory: Path | str | None = None) -> Catalogue:
    """A catalogue with no errors, or EngineError with all of them."""
    catalogue = load_catalogue(directory)
    if catalogue.errors:
        raise EngineError(catalogue.diagnostics)
    return catalogue


def compile_indicator(catalogue: Catalogue, indicator_id: str, period: str, dialect: str = "duckdb",
                      pretty: bool = True) -> str:
    """Readable SQL for one indicator and period; CompileRefused where the dialect cannot be exact."""
    plan = plan_query(catalogue.get(indicator_id), parse_period(period))
    return render_sql(plan, dialect, pretty)


def run(catalogue: Catalogue, data: Path | str, period_texts: list[str], indicator_ids: list[str] | None = None,
        progress=None, mapping: SourceMapping | Path | str | None = None) -> list[dict]:
    """Every selected indicator for every period on a dataset: rows of the public JSON shape."""
    problems: list[Diagnostic] = []
    selected, wanted, dataset = [], [], None
    for step in ("select", "periods", "mapping", "data"):  # report every problem of the request at once
        try:
            if step == "mapping":
                if mapping is not None and not isinstance(mapping, SourceMapping):
                    mapping = load_mapping(mapping, catalogue.model)
            elif step == "select":
                selected = catalogue.select(list(dict.fromkeys(indicator_ids)) if indicator_ids else None)
            elif step == "periods":
                wanted = periods(period_texts)
            elif not problems:
                dataset = open_dataset(data, catalogue.model, mapping)
            elif not Path(data).exists():
                problems.append(Diagnostic(Position(str(data)), "E_DATA_NOT_FOUND", f"no such dataset: {data}",
                                           "pass a .duckdb file or a folder of <entity>.parquet / .csv files"))
        except EngineError as exc:
            problems += exc.diagnostics
    if problems:
        raise EngineError(problems)
    rows: list[dict] = []
    try:
        for bound in selected:
            for period in wanted:
                rows += run_indicator(dataset, bound, period)
                if progress:
                    progress(bound.id, period.label)
    finally:
        dataset.close()
    return rows


def check_data(catalogue: Catalogue, data: Path | str, mapping: SourceMapping | Path | str | None = None):
    """Breaches of the data model's consistency rules in a dataset (see engine.datacheck)."""
    from .datacheck import check_data as run_checks
    if mapping is not None and not isinstance(mapping, SourceMapping):
        mapping = load_mapping(mapping, catalogue.model)
    dataset = open_dataset(data, catalogue.model, mapping)
    try:
        return run_checks(dataset, catalogue.model, catalogue.rules)
    finally:
        dataset.close()


def diff(catalogue: Catalogue, baseline: Catalogue, data: Path | str, period_texts: list[str],
         indicator_ids: list[str] | None = None, mapping=None):
    """Rows that differ between a baseline catalogue and this one on the same data."""
    from .diff import compare_rows
    known = set(catalogue.indicators) | set(baseline.indicators)
    unknown = [i for i in indicator_ids or [] if i not in known]
    if unknown:
        raise EngineError([Diagnostic(Position(str(catalogue.directory)), "E_UNKNOWN_INDICATOR",
                                      f"no indicator '{i}' in either catalogue", did_you_mean(i, known))
                           for i in unknown])
    ids = indicator_ids or sorted(known)
    old_ids = [i for i in ids if i in baseline.indicators]
    new_ids = [i for i in ids if i in catalogue.indicators]
    before = run(baseline, data, period_texts, old_ids, mapping=mapping) if old_ids else []
    after = run(catalogue, data, period_texts, new_ids, mapping=mapping) if new_ids else []
    return compare_rows(before, after)


def test_fixtures(catalogue: Catalogue, indicator_ids: list[str] | None = None,
                  directory: Path | str | None = None) -> list[FixtureResult]:
    """Run the golden fixtures (of the given indicators); every indicator must have one."""
    directory = Path(directory) if directory else default_fixtures_dir()
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
    diags.raise_if_errors()
    return [run_fixture(doc, catalogue) for doc in docs]


__all__ = ["Catalogue", "check_data", "diff", "CompileRefused", "EngineError", "build_query", "checked_catalogue", "compile_indicator",
           "load_catalogue", "periods", "run", "test_fixtures"]
