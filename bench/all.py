"""`make bench`: every benchmark of issue 11 in one run, and the ratios at the end.

    .venv/bin/python bench/all.py [--data data/demo.duckdb] [--data-s10 data/demo-s10.duckdb] [--repeat 3]
                                  [--no-scale10] [--no-postgres] [--no-spark]

1. DuckDB, scale 1: the engine (batched, the default) against bench/handwritten.sql, execute only and end to
   end, and batched against per indicator (bench/bench.py, with its cross-check).
2. DuckDB, scale 10: the same on the scale-10 extract, generated first when missing (time and peak RSS).
3. The command line at scale 10: one indicator through `indicators run`, cold and warm data-check cache,
   against `mf query` (a constant: 3.1-3.5 s as measured in issue 11), under `--memory-limit 2GB` with its
   peak RSS, and `indicators check` of the whole catalogue under the limit (bench/scale10.py).
4. Batched against per indicator for the whole catalogue on DuckDB, PostgreSQL (a throwaway server, scale 1
   loaded into it) and Spark (local[2], scale 1 as Parquet, one period) (bench/batching.py).

Then a block "ratios", one per line. The exit status is 1 only when a cross-check finds a difference (the
engine against the hand-written SQL, batched against per indicator, PostgreSQL or Spark against DuckDB);
timings never fail, and an engine that is not installed is reported as not measured.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (ROOT, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import batching  # noqa: E402
import scale10  # noqa: E402

import bench  # noqa: E402

IGNORED_ENV = ("INDICATORS_BATCH", "INDICATORS_ENGINE", "INDICATORS_THREADS", "INDICATORS_MEMORY_LIMIT",
               "INDICATORS_CACHE_DIR")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def heading(text: str) -> None:
    print(f"\n=== {text} " + "=" * max(0, 100 - len(text)), flush=True)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"nproc {os.cpu_count()}, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, duckdb {bench.duckdb.__version__}")


def ensure_scale1(data: Path) -> None:
    if data.exists():
        return
    print(f"extract: generating {scale10.shown(data)} (indicators demo-data) ...", flush=True)
    child = scale10.run_child([str(scale10.SCRIPT), "demo-data", "--out", str(data)])
    if child.status != 0:
        raise SystemExit(f"demo-data failed (exit {child.status}):\n{child.stderr}")
    print(f"extract: demo-data took {child.seconds:.1f} s, peak RSS {scale10.gb(child.peak)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "demo.duckdb", help="the scale-1 extract")
    ap.add_argument("--data-s10", type=Path, default=ROOT / "data" / "demo-s10.duckdb", help="the scale-10 extract")
    ap.add_argument("--period", action="append", help="periods of the DuckDB and PostgreSQL parts "
                    f"(default {' '.join(bench.DEFAULT_PERIODS)})")
    ap.add_argument("--spark-period", action="append", help="periods of the Spark part (default 2018)")
    ap.add_argument("--repeat-s1", type=int, default=5, help="runs of each DuckDB figure at scale 1 (about a second "
                    "each, so noisier); the best counts")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each scale-10 figure and CLI run; the best counts")
    ap.add_argument("--slow-repeat", type=int, default=2, help="runs of each PostgreSQL and Spark figure")
    ap.add_argument("--indicator", default=scale10.DEFAULT_INDICATOR, help="the indicator run through the CLI")
    ap.add_argument("--memory-limit", default=scale10.MEMORY_LIMIT)
    ap.add_argument("--no-scale10", action="store_true", help="skip the scale-10 parts (2 and 3)")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-spark", action="store_true")
    args = ap.parse_args(argv)
    periods = bench.parse_periods(args.period)
    spark_periods = bench.parse_periods(args.spark_period or batching.SPARK_PERIODS)
    for name in IGNORED_ENV:  # the bench measures the defaults
        if os.environ.pop(name, None) is not None:
            print(f"note: {name} is set; the bench ignores it")

    started = time.perf_counter()
    print(f"bench, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {machine()}")
    print(f"load average at the start (1, 5, 15 min): {load()}")
    ratios: list[tuple[str, float | None, str]] = []   # (what, ratio, note)
    problems: list[str] = []

    heading("1. DuckDB, scale 1: engine against hand-written SQL")
    ensure_scale1(args.data)
    s1 = bench.bench_duckdb(args.data, periods, args.repeat_s1)
    problems += s1.problems
    for name, value in s1.ratios.items():
        note = ""
        if name == bench.RATIO_END_TO_END:
            note = "target <= 1.00x: " + ("met" if value <= 1.0 else "NOT met")
        ratios.append((f"duckdb scale 1, {name}" + (f" (the {s1.indicators} with hand-written SQL)"
                                                        if name == bench.RATIO_BATCHED else ""), value, note))

    cli = generated = None
    if not args.no_scale10:
        heading("2. DuckDB, scale 10: engine against hand-written SQL")
        generated = scale10.ensure_extract(args.data_s10)
        s10 = bench.bench_duckdb(args.data_s10, periods, args.repeat)
        problems += s10.problems
        for name, value in s10.ratios.items():
            ratios.append((f"duckdb scale 10, {name}" + (f" (the {s10.indicators} with hand-written SQL)"
                                                          if name == bench.RATIO_BATCHED else ""), value, ""))

        heading(f"3. The command line at scale 10 (load average now {load()})")
        cli = scale10.bench_cli(args.data_s10, args.indicator, "2018", args.repeat, args.memory_limit)

    heading(f"4. Batched against per indicator, the whole catalogue (load average now {load()})")
    engines = batching.run_all(args.data, args.slow_repeat, periods, spark_periods, not args.no_postgres,
                               not args.no_spark, duckdb_repeat=args.repeat_s1)
    for result in engines:
        problems += result.problems
        what = f"{result.engine} scale 1, engine batched / per indicator, execute only (the catalogue, " \
               f"{' '.join(result.periods)})"
        ratios.append((what, result.ratio, result.skipped or ""))

    heading("ratios")
    print(f"finished in {(time.perf_counter() - started) / 60:.1f} min; load average at the end: {load()}")
    if generated is not None:
        print(f"demo-data --scale 10: {generated.seconds:.1f} s, peak RSS {scale10.gb(generated.peak)}")
    width = max(len(what) for what, _, _ in ratios)
    for what, ratio, note in ratios:
        shown_value = f"{ratio:5.2f}x" if ratio is not None else "    -"
        print(f"{what:<{width}}  {shown_value}" + (f"   {note}" if note else ""))
    if cli is not None:
        low, high = scale10.MF_QUERY_SECONDS
        print(f"mf query, one indicator at scale 10: {low}-{high} s as measured in issue 11 (not re-run); "
              f"the ratios below are against {low} s")
        for label in ("cold", "warm", "no checks"):
            seconds = cli[label].best
            print(f"{'cli scale 10, one indicator ' + label + ' / mf query ' + str(low) + ' s':<{width}}  "
                  f"{seconds / low:5.2f}x   {seconds:.2f} s; target < {low} s: "
                  + ("met" if seconds < low else "NOT met"))
        limited = cli["cold, limited"]
        print(f"cli scale 10, one indicator under --memory-limit {args.memory_limit}: peak RSS "
              f"{scale10.gb(limited.peak)} ({'under' if limited.peak < scale10.size(args.memory_limit) else 'OVER'} "
              f"{args.memory_limit}), best {limited.best:.2f} s")
        check = cli.get("check")
        if check is not None:
            print(f"cli scale 10, check (the catalogue) under --memory-limit {args.memory_limit}: peak RSS "
                  f"{scale10.gb(check.peak)} ({'under' if check.peak < scale10.size(args.memory_limit) else 'OVER'}"
                  f" {args.memory_limit}), {check.best:.2f} s")
    if problems:
        print(f"cross-checks: MISMATCH, {len(problems)} difference(s) (printed above)")
        return 1
    others = [{"postgres": "PostgreSQL", "spark": "Spark"}[r.engine] for r in engines[1:] if not r.skipped]
    print("cross-checks: OK (engine = hand-written SQL at every scale run, batched = per indicator on every "
          "engine run" + (f", {' and '.join(others)} = DuckDB" if others else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
