"""Batched against per-indicator execution on DuckDB, PostgreSQL and Spark (engine.batch.execute_batches).

    .venv/bin/python bench/batching.py [--data data/demo.duckdb] [--repeat 3] [--no-postgres] [--no-spark]

On each engine the whole catalogue is computed on ONE open dataset (engine.backends.open_backend), alternately
batched (`execute_batches(..., batched=True)`, the default: one query per population for all periods) and per
indicator (`batched=False`: one query per indicator and period, as INDICATORS_BATCH=0). The figure is the
wall time of the call, best of --repeat (planning the batches, running the queries, taking the rows apart);
opening the dataset and starting the engine are timed apart.

- DuckDB: the DuckDB file itself.
- PostgreSQL: a throwaway server from the machine's binaries (tests/engines.py PostgresServer, as the
  postgres user when run as root, on a unix socket in a temporary folder), the same file loaded into it
  (load_into_postgres: COPY, then ANALYZE); stopped and removed at the end, also on error.
- Spark: `local[2]`, the same file written as Parquet (one file per table, next to it in
  `<data stem>.bench-parquet/`, rewritten when the DuckDB file changes); the tables are cached by the engine when
  opened, and that cache is filled (a count per table) before the timings. Spark is slow on one machine, so
  it computes one period (default 2018).

Cross-check: on each engine the batched rows must equal the per-indicator rows, and PostgreSQL's and Spark's
rows DuckDB's (floats within 1e-9); any difference is printed as MISMATCH and the exit status is 1.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (ROOT, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench import TABLES, TOLERANCE, flat, parse_periods, run_path  # noqa: E402

SPARK_PERIODS = ["2018"]
FIELDS = ("value", "numerator", "denominator", "n", "persons", "numerator_persons", "rest_persons")


@dataclass
class EngineBench:
    """One engine's timings (name: seconds), the batched / per-indicator ratio, its rows and the differences."""
    engine: str
    periods: list[str]
    ratio: float | None = None
    figures: dict[str, float] = field(default_factory=dict)
    rows: dict[tuple, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    skipped: str | None = None


def rows_by_key(rows: list[dict]) -> dict[tuple, dict]:
    """Rows keyed (indicator, period, breakdown as sorted pairs): a cross has two dimensions."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["indicator"], r["period"], tuple(sorted((d, str(c)) for d, c in r["breakdown"].items())))
        if key in out:
            raise AssertionError(f"{key[0]} {key[1]}: row {key[2]} twice")
        out[key] = {f: r.get(f) for f in FIELDS}
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def differences(first: dict[tuple, dict], second: dict[tuple, dict], names: tuple[str, str]) -> list[str]:
    problems = []
    for key in sorted(set(first) | set(second), key=str):
        where = f"{key[0]} {key[1]} " + (", ".join(f"{d}={c}" for d, c in key[2]) or "total")
        if key not in second or key not in first:
            problems.append(f"{where}: only {names[0] if key in first else names[1]} has this row")
            continue
        for f in FIELDS:
            if not _same(first[key][f], second[key][f]):
                problems.append(f"{where}: {f} {names[0]}={first[key][f]!r} {names[1]}={second[key][f]!r}")
    return problems


def time_paths(dataset, items: list, repeat: int, result: EngineBench) -> None:
    """Batched and per indicator on the open `dataset`, alternating which goes first; best wall of each."""
    rows: dict[str, dict[tuple, dict]] = {}
    for r in range(max(1, repeat)):
        for batched in ((True, False) if r % 2 == 0 else (False, True)):
            name = "batched" if batched else "per indicator"
            run = run_path(dataset, items, batched)
            if run.wall < result.figures.get(name, math.inf):
                result.figures[name] = run.wall
                result.figures[f"{name} in queries"] = run.in_queries
            result.figures[f"{name} queries"] = run.queries
            rows.setdefault(name, rows_by_key(flat(run.rows)))
    result.ratio = result.figures["batched"] / result.figures["per indicator"]
    result.rows = rows["batched"]
    result.problems += differences(rows["batched"], rows["per indicator"], (f"{result.engine} batched",
                                                                           f"{result.engine} per indicator"))


def report(result: EngineBench, repeat: int) -> None:
    if result.skipped:
        print(f"{result.engine}: not measured: {result.skipped}")
        return
    f = result.figures
    prepared = ", ".join(f"{k} {v:.2f} s" for k, v in f.items() if k.startswith("setup: "))
    print(f"{result.engine}: {prepared.replace('setup: ', '')}" if prepared else f"{result.engine}:")
    for name in ("batched", "per indicator"):
        print(f"  {name + ':':<15} {f[name]:8.2f} s  ({int(f[name + ' queries'])} queries, "
              f"{f[name + ' in queries']:.2f} s in them), best of {repeat}")
    print(f"  ratio batched / per indicator: {result.ratio:.2f}x   (periods: {' '.join(result.periods)})")


def _items(catalogue, periods: list[str]) -> list:
    from engine import api
    wanted = api.periods(periods)
    return [(bound, p) for bound in catalogue.select(None) for p in wanted]


def _timed(figures: dict, name: str):
    @contextlib.contextmanager
    def timer():
        t = time.perf_counter()
        yield
        figures[f"setup: {name}"] = time.perf_counter() - t
    return timer()


def bench_duckdb_engine(data: Path, catalogue, periods: list[str], repeat: int) -> EngineBench:
    from engine.backends import open_backend
    result = EngineBench("duckdb", periods)
    with _timed(result.figures, "open"):
        dataset = open_backend(data, catalogue.model)
    try:
        time_paths(dataset, _items(catalogue, periods), repeat, result)
    finally:
        dataset.close()
    return result


def _tests_engines():
    """tests/engines.py (PostgresServer, load_into_postgres), loaded by path: `engines` is no name of ours."""
    spec = importlib.util.spec_from_file_location("indicators_tests_engines", ROOT / "tests" / "engines.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _why(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def bench_postgres(data: Path, catalogue, periods: list[str], repeat: int) -> EngineBench:
    result = EngineBench("postgres", periods)
    try:
        import psycopg  # noqa: F401
        engines = _tests_engines()
    except ImportError as exc:
        result.skipped = f"{_why(exc)} (pip install -e '.[postgres,test]')"
        return result
    from engine.backends import EngineOptions, open_backend
    server = None
    try:
        with _timed(result.figures, "server start"):
            server = engines.PostgresServer()
        with _timed(result.figures, "load (COPY + ANALYZE)"):
            dsn = engines.load_into_postgres(server, "bench", data, catalogue.model)
        with _timed(result.figures, "open"):
            dataset = open_backend(dsn, catalogue.model, options=EngineOptions("postgres"))
        try:
            from sqlglot import exp
            print(f"postgres: {dataset.query(exp.select(exp.func('version'))).rows[0][0].split(',')[0]}")
            time_paths(dataset, _items(catalogue, periods), repeat, result)
        finally:
            dataset.close()
    except BaseException as exc:  # pytest's skip (no initdb) is a BaseException
        if isinstance(exc, KeyboardInterrupt):
            raise
        result.skipped = _why(exc)
    finally:
        if server is not None:
            server.stop()
    return result


def parquet_copy(data: Path) -> Path:
    """The DuckDB file's tables as `<table>.parquet` in `<stem>.bench-parquet/` beside it (written again when the file
    is newer than the copy)."""
    import duckdb
    folder = data.with_name(f"{data.stem}.bench-parquet")
    stamp = folder / ".written-from"
    source = f"{data.resolve()} {data.stat().st_size} {data.stat().st_mtime_ns}"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == source:
        return folder
    folder.mkdir(exist_ok=True)
    stamp.unlink(missing_ok=True)
    con = duckdb.connect(str(data), read_only=True)
    try:
        for table in TABLES:
            con.execute(f"COPY {table} TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
    finally:
        con.close()
    stamp.write_text(source, encoding="utf-8")
    return folder


def bench_spark(data: Path, catalogue, periods: list[str], repeat: int, master: str = "local[2]") -> EngineBench:
    result = EngineBench("spark", periods)
    try:
        import pyspark
    except ImportError:
        result.skipped = "pyspark is not installed (pip install -e '.[spark]')"
        return result
    from engine.backends import EngineOptions, open_backend
    from engine.backends.spark import session
    options = EngineOptions("spark", spark_master=master)
    spark = None
    try:
        with _timed(result.figures, "Parquet copy"):
            folder = parquet_copy(data)
        with _timed(result.figures, f"session start ({master})"):
            spark, _ = session(options)
        print(f"spark: pyspark {pyspark.__version__}, Spark {spark.version}, {master}, "
              f"shuffle partitions {spark.conf.get('spark.sql.shuffle.partitions')}, data {folder}")
        with _timed(result.figures, "open"):
            dataset = open_backend(folder, catalogue.model, options=options)
        try:
            with _timed(result.figures, "cache the tables"):
                for table in TABLES:
                    spark.sql(f"SELECT COUNT(*) FROM {table}").collect()
            items = _items(catalogue, periods)
            with _timed(result.figures, "warm-up (one batched run, untimed)"):
                run_path(dataset, items, True)  # the JVM compiles Spark's own code during the first queries
            time_paths(dataset, items, repeat, result)
        finally:
            dataset.close()
    except Exception as exc:
        result.skipped = _why(exc)
    finally:
        if spark is not None:
            with contextlib.suppress(Exception):
                spark.stop()
    return result


def against_duckdb(result: EngineBench, reference: EngineBench) -> None:
    """Another engine's rows against DuckDB's for the same periods."""
    if result.skipped or reference.skipped:
        return
    wanted = set(result.periods)
    mine = {k: v for k, v in reference.rows.items() if k[1] in wanted}
    result.problems += differences(result.rows, mine, (result.engine, "duckdb"))


def run_all(data: Path, repeat: int, periods: list[str], spark_periods: list[str], postgres: bool = True,
            spark: bool = True, duckdb_repeat: int | None = None) -> list[EngineBench]:
    """DuckDB (best of `duckdb_repeat`, default `repeat`), PostgreSQL and Spark (best of `repeat`), reported as
    they are measured; then the cross-check of their rows (printed)."""
    from engine import api
    catalogue = api.checked_catalogue()
    print(f"the whole catalogue ({len(catalogue.indicators)} indicators) on {data}, batched vs per indicator, "
          f"one open dataset per engine")
    periods = list(dict.fromkeys(periods + (spark_periods if spark else [])))  # DuckDB's rows for Spark's too
    results = [bench_duckdb_engine(data, catalogue, periods, duckdb_repeat or repeat)]
    report(results[0], duckdb_repeat or repeat)
    if postgres:
        results.append(bench_postgres(data, catalogue, periods, repeat))
        report(results[-1], repeat)
    if spark:
        results.append(bench_spark(data, catalogue, spark_periods, repeat))
        report(results[-1], repeat)
    for result in results[1:]:
        against_duckdb(result, results[0])
    problems = [p for r in results for p in r.problems]
    if problems:
        print(f"MISMATCH: {len(problems)} difference(s) between the paths or the engines", file=sys.stderr)
        for p in problems:
            print(f"  MISMATCH {p}", file=sys.stderr)
    else:
        measured = [r.engine for r in results if not r.skipped]
        print(f"cross-check: OK, batched = per indicator on {', '.join(measured)}"
              + (f"; {', '.join(measured[1:])} = duckdb" if len(measured) > 1 else "") + " (tolerance 1e-9)")
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "demo.duckdb")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--period", action="append", help="DuckDB and PostgreSQL (default 2016 2017 2018 2018-12 2018H2)")
    ap.add_argument("--spark-period", action="append", help="Spark (default 2018)")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args(argv)
    results = run_all(args.data, args.repeat, parse_periods(args.period),
                      parse_periods(args.spark_period or SPARK_PERIODS), not args.no_postgres, not args.no_spark)
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
