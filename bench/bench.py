"""Benchmark the catalogue against hand-written DuckDB SQL, and cross-check the results.

    .venv/bin/python bench/bench.py --data data/demo.duckdb [--period 2018 ...] [--repeat 3] [--indicators DIR]

bench/handwritten.sql has a query for each of the 21 indicators shipped with the project
(the ids `load_handwritten()` returns), not for whatever the catalogue holds: only the
catalogue's indicators with a query are timed and cross-checked, the others are printed as
skipped. A query whose indicator is no longer in the catalogue (renamed or removed) is a
mismatch.

In one run, on the same DuckDB file, it times
  (a) the engine: `engine.api.checked_catalogue()` then `engine.api.run(catalogue, data,
      periods)` end to end (load + validate + compile + open + execute, batched: the default),
      and separately its parts: catalogue load+validate, compile (plan + render of every
      indicator and period, and the batches), dataset open, and on that one open dataset
      `engine.batch.execute_batches` batched and per indicator (each whole, and the time inside
      the backend's queries; per indicator also each indicator's own queries);
  (b) the hand-written SQL of bench/handwritten.sql, on a read-only connection to the file.
Each figure is the best of --repeat runs. Both sides' rows (total and every breakdown row:
value, n, and numerator/denominator of shares) must agree, floats within 1e-9, and the batched
rows the per-indicator ones; any mismatch is printed and the exit status is 1.

`bench/all.py` (`make bench`) runs this at scale 1 and 10 among the other benchmarks of issue 11.

`--make-random SIZE` first writes a test database at --data from the tests' random
dataset generator (tests/reference/random_data.py), for use until a real extract exists.
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import math
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SQL_FILE = Path(__file__).resolve().parent / "handwritten.sql"
DEFAULT_PERIODS = ["2016", "2017", "2018", "2018-12", "2018H2"]
TOLERANCE = 1e-9
TABLES = ["person", "ersattningsfall", "kartlaggning", "samarbete", "insats", "mote", "samordningsforbund"]


# -- the hand-written side ------------------------------------------------------------

def load_handwritten(path: Path | str = SQL_FILE) -> dict[str, str]:
    """{indicator id: SQL} from the `-- indicator: <id>` sections of the file."""
    queries: dict[str, str] = {}
    current = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = re.match(r"^--\s*indicator:\s*(\S+)\s*$", line)
        if m:
            current = m.group(1)
            if current in queries:
                raise ValueError(f"{path}: indicator {current} twice")
            queries[current] = ""
        elif current is not None:
            queries[current] += line + "\n"
    return {k: v.strip().rstrip(";") for k, v in queries.items()}


_PERIOD = re.compile(r"^(\d{4})(?:H([12])|Q([1-4])|-(0[1-9]|1[0-2]))?$")


def period_days(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of 2018, 2018H2, 2018Q4 or 2018-12 (independent of engine.periods)."""
    m = _PERIOD.match(text)
    if not m:
        raise SystemExit(f"bad period {text!r}: write 2018, 2018H2, 2018Q4 or 2018-12")
    year = int(m.group(1))
    if m.group(2):
        first_month, months = 6 * int(m.group(2)) - 5, 6
    elif m.group(3):
        first_month, months = 3 * int(m.group(3)) - 2, 3
    elif m.group(4):
        first_month, months = int(m.group(4)), 1
    else:
        first_month, months = 1, 12
    last_month = first_month + months - 1
    return dt.date(year, first_month, 1), dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


def run_handwritten(con: duckdb.DuckDBPyConnection, queries: dict[str, str], periods: list[str]):
    """(rows, seconds per indicator summed over the periods)."""
    rows: dict[tuple, dict] = {}
    seconds: dict[str, float] = {}
    for ind, sql in queries.items():
        seconds[ind] = 0.0
        for period in periods:
            start, end = period_days(period)
            t = time.perf_counter()
            cur = con.execute(sql, {"start": start, "end": end})
            result = cur.fetchall()
            seconds[ind] += time.perf_counter() - t
            names = [d[0] for d in cur.description]
            for rec in result:
                r = dict(zip(names, rec, strict=True))
                key = (ind, period, r["breakdown"], r["category"])
                if key in rows:
                    raise AssertionError(f"hand-written {ind} {period}: row {key[2:]} twice")
                rows[key] = {f: r[f] for f in ("value", "numerator", "denominator", "n")}
    return rows, seconds


def coverage(catalogue, queries: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(ids with a query, catalogue ids without one: skipped, queries of no catalogue id: stale)."""
    covered = [i for i in sorted(catalogue.indicators) if i in queries]
    skipped = [i for i in sorted(catalogue.indicators) if i not in queries]
    stale = [i for i in sorted(queries) if i not in catalogue.indicators]
    return covered, skipped, stale


def stale_problems(stale: list[str]) -> list[str]:
    return [f"{i}: in {SQL_FILE.name} but not in the catalogue (renamed or removed? update {SQL_FILE.name})"
            for i in stale]


# -- the engine side ------------------------------------------------------------------

def engine_rows_by_key(rows: list[dict]) -> dict[tuple, dict]:
    out = {}
    for r in rows:
        (dim, cat), = r["breakdown"].items() if r["breakdown"] else [(None, None)]
        key = (r["indicator"], r["period"], dim, cat)
        if key in out:
            raise AssertionError(f"engine {key[0]} {key[1]}: row {key[2:]} twice")
        out[key] = {f: r[f] for f in ("value", "numerator", "denominator", "n")}
    return out


def run_engine_end_to_end(data: Path, periods: list[str], ids: list[str], indicators_dir: Path | None = None):
    """engine.api as a user calls it, for the indicators `ids`: (rows, seconds). Batched (engine.batch), the
    default, unless INDICATORS_BATCH=0 is set."""
    from engine import api
    t = time.perf_counter()
    catalogue = api.checked_catalogue(indicators_dir)
    rows = api.run(catalogue, data, periods, ids)
    return rows, time.perf_counter() - t


class TimedBackend:
    """An open dataset (engine.backends.base.Backend) that sums the time spent in its `query`: the engine's
    work on the engine's side (render the tree in the dialect, run it, fetch the rows), not its planning."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.dialect, self.engine, self.description = inner.dialect, inner.engine, inner.description
        self.seconds = 0.0
        self.queries = 0

    def query(self, tree):
        t = time.perf_counter()
        try:
            return self.inner.query(tree)
        finally:
            self.seconds += time.perf_counter() - t
            self.queries += 1

    def close(self) -> None:
        self.inner.close()


class PathRun:
    """One run of `engine.batch.execute_batches` on an open dataset. (No dataclass here: tests/test_bench.py
    loads this file without registering it as a module, which dataclasses need under postponed annotations.)"""

    def __init__(self, wall: float, in_queries: float, queries: int, rows: dict,
                 per_indicator: dict[str, float]) -> None:
        self.wall = wall                    # the whole call: plan (and batch) the queries, run them, split the rows
        self.in_queries = in_queries        # of which inside Backend.query
        self.queries = queries
        self.rows = rows                    # (indicator, period label): rows
        self.per_indicator = per_indicator  # time in queries per indicator (unbatched)


def run_path(dataset, items: list, batched: bool) -> PathRun:
    """`execute_batches(dataset, items, batched)` timed; unbatched, the time of each indicator's queries too."""
    from engine.batch import execute_batches
    timed = TimedBackend(dataset)
    per: dict[str, float] = {}
    mark = [0.0]

    def progress(ind: str, _label: str, _done: int, _total: int) -> None:
        if not batched:  # one pair, one query: the time since the previous pair's is this pair's
            per[ind] = per.get(ind, 0.0) + timed.seconds - mark[0]
        mark[0] = timed.seconds
    t = time.perf_counter()
    rows = execute_batches(timed, items, batched=batched, progress=progress)
    return PathRun(time.perf_counter() - t, timed.seconds, timed.queries, rows, per)


def flat(rows: dict) -> list[dict]:
    return [r for found in rows.values() for r in found]


def run_engine_parts(data: Path, periods: list[str], ids: list[str], indicators_dir: Path | None = None,
                     batched_first: bool = True):
    """The same work split in stages, and both execution paths on one open dataset: ({stage: seconds},
    {"batched": PathRun, "per indicator": PathRun})."""
    from engine import api
    from engine.batch import plan_batches
    from engine.execute import open_dataset
    from engine.plan import plan_query
    from engine.render import render_sql

    stages = {}
    t = time.perf_counter()
    catalogue = api.checked_catalogue(indicators_dir)
    stages["load+validate"] = time.perf_counter() - t

    wanted = api.periods(periods)
    items = [(bound, p) for bound in catalogue.select(ids) for p in wanted]
    t = time.perf_counter()
    for bound, p in items:
        render_sql(plan_query(bound, p), "duckdb", pretty=False)
    stages["compile per indicator"] = time.perf_counter() - t
    t = time.perf_counter()
    for batch in plan_batches(items, "duckdb"):
        batch.tree.sql("duckdb")
    stages["compile batched"] = time.perf_counter() - t

    t = time.perf_counter()
    dataset = open_dataset(data, catalogue.model)
    stages["open"] = time.perf_counter() - t
    runs = {}
    try:
        for batched in ((True, False) if batched_first else (False, True)):
            runs["batched" if batched else "per indicator"] = run_path(dataset, items, batched)
    finally:
        dataset.close()
    return stages, runs


# -- cross-check ----------------------------------------------------------------------

def _same_value(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def compare(engine: dict[tuple, dict], hand: dict[tuple, dict],
            names: tuple[str, str] = ("engine", "hand-written")) -> list[str]:
    """Every difference between the engine's rows and the hand-written ones (or any two sides `names`), as text."""
    problems = []
    first, second = names
    for key in sorted(set(engine) | set(hand), key=lambda k: tuple("" if x is None else str(x) for x in k)):
        ind, period, dim, cat = key
        where = f"{ind} {period} " + ("total" if dim is None else f"{dim}={cat}")
        if key not in hand:
            problems.append(f"{where}: only {first} has this row {engine[key]}")
            continue
        if key not in engine:
            problems.append(f"{where}: only {second} has this row {hand[key]}")
            continue
        e, h = engine[key], hand[key]
        if not _same_value(e["value"], h["value"]):
            problems.append(f"{where}: value {first}={e['value']!r} {second}={h['value']!r}")
        if e["n"] != h["n"]:
            problems.append(f"{where}: n {first}={e['n']!r} {second}={h['n']!r}")
        if h["denominator"] is not None:  # a share: its parts must agree too
            for f in ("numerator", "denominator"):
                if e[f] != h[f]:
                    problems.append(f"{where}: {f} {first}={e[f]!r} {second}={h[f]!r}")
    return problems


def cross_check(data: Path | str, periods: list[str], queries: dict[str, str] | None = None,
                indicators_dir: Path | str | None = None) -> list[str]:
    """Run both sides once on the indicators both have; return the differences (empty when they agree)."""
    from engine import api
    queries = queries if queries is not None else load_handwritten()
    catalogue = api.checked_catalogue(indicators_dir)
    covered, _, stale = coverage(catalogue, queries)
    problems = stale_problems(stale)
    if not covered:
        return problems
    engine = engine_rows_by_key(api.run(catalogue, data, periods, covered))
    con = duckdb.connect(str(data), read_only=True)
    try:
        hand, _ = run_handwritten(con, {i: queries[i] for i in covered}, periods)
    finally:
        con.close()
    return problems + compare(engine, hand)


# -- test data ------------------------------------------------------------------------

def make_random_db(path: Path | str, persons: int, seed: int = 0, chunk: int = 20_000) -> dict[str, int]:
    """A DuckDB file with the model's tables filled by tests/reference/random_data.py.

    `random_dataset(rng, size)` makes 1..size persons, so a large database is made of
    independent chunks (seeds seed, seed+1, ...) until it has at least `persons` persons;
    each chunk's keys are shifted by chunk number * 10**9 so they stay unique and every
    consistency rule of the data model keeps holding.
    """
    sys.path.insert(0, str(ROOT / "tests"))
    from engine.api import checked_catalogue
    from engine.execute import load_tables
    from reference.random_data import random_dataset

    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        load_tables(con, checked_catalogue().model, {})  # the model's tables, empty
        types = {t: {c: ty for c, ty, *_ in con.execute(f"DESCRIBE {t}").fetchall()} for t in TABLES}
        with tempfile.TemporaryDirectory() as tmp:
            files = {t: (Path(tmp) / f"{t}.jsonl").open("w", encoding="utf-8") for t in TABLES}
            made, k = 0, 0
            while made < persons:
                tables = random_dataset(random.Random(seed + k), size=min(chunk, persons))
                made += len(tables["person"])
                for name, rows in tables.items():
                    for row in rows:
                        row = {c: (v + k * 10**9 if c.endswith("_id") and v is not None else v) for c, v in row.items()}
                        files[name].write(json.dumps(row, default=str) + "\n")  # JSON keeps NULL and '' apart
                k += 1
            for name, f in files.items():
                f.close()
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM read_json(?, format='newline_delimited', "
                            f"columns={types[name]!r})", [f.name])
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


# -- the benchmark --------------------------------------------------------------------

RATIO_EXECUTE = "engine (batched) / hand-written, execute only"
RATIO_END_TO_END = "engine (batched) / hand-written, end to end"
RATIO_BATCHED = "engine batched / per indicator, execute only"


class DuckdbBench:
    """What `bench_duckdb` measured: the ratios (name: value), figures (name: seconds) and the cross-check's
    differences (empty: every row agrees)."""

    def __init__(self, figures: dict[str, float] | None = None, problems: list[str] | None = None) -> None:
        self.ratios: dict[str, float] = {}
        self.figures = figures or {}
        self.problems = problems or []
        self.indicators = 0  # how many were timed: those with a hand-written query


def _best(into: dict, key: str, value: float) -> None:
    into[key] = min(into.get(key, math.inf), value)


def bench_duckdb(data: Path, periods: list[str], repeat: int, indicators_dir: Path | None = None) -> DuckdbBench:
    """Time the engine against the hand-written SQL on one DuckDB file, print it all, cross-check the rows."""
    from engine import api
    from engine.disclosure import linked_indicators
    queries = load_handwritten()
    catalogue = api.checked_catalogue(indicators_dir)
    covered, skipped, stale = coverage(catalogue, queries)
    queries = {i: queries[i] for i in covered}
    linked = linked_indicators(catalogue.indicators.values(), covered)[len(covered):]

    con = duckdb.connect(str(data), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.close()
    print(f"data: {data}  ({sum(counts.values()):,} rows: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + ")")
    print(f"periods: {' '.join(periods)}   repeat: {repeat}   duckdb {duckdb.__version__}, {threads} threads")
    print(f"indicators: {len(covered)} with hand-written SQL"
          + (f"; skipped, no hand-written SQL: {', '.join(skipped)}" if skipped else ""))
    if not covered:
        print("nothing to compare: no catalogue indicator has a query in " + SQL_FILE.name, file=sys.stderr)
        return DuckdbBench(problems=["no catalogue indicator has a hand-written query"])

    best: dict[str, float] = {}      # figure: best seconds
    best_stage: dict[str, float] = {}
    best_per: dict[str, float] = {}   # indicator: engine's per-indicator query time
    best_hand: dict[str, float] = {}  # indicator: hand-written query time
    engine_rows = hand_rows = None
    paths: dict[str, PathRun] = {}
    for r in range(max(1, repeat)):
        # alternate the order so neither side always runs on a warmer cache
        for side in (("engine", "hand") if r % 2 == 0 else ("hand", "engine")):
            if side == "engine":
                rows, secs = run_engine_end_to_end(data, periods, covered, indicators_dir)
                _best(best, "engine end to end", secs)
                engine_rows = engine_rows or engine_rows_by_key(rows)
                stages, runs = run_engine_parts(data, periods, covered, indicators_dir, batched_first=r % 2 == 0)
                for k, v in stages.items():
                    _best(best_stage, k, v)
                for name, run in runs.items():
                    _best(best, f"{name} wall", run.wall)
                    _best(best, f"{name} in queries", run.in_queries)
                    paths.setdefault(name, run)
                for k, v in runs["per indicator"].per_indicator.items():
                    _best(best_per, k, v)
            else:
                t = time.perf_counter()
                con = duckdb.connect(str(data), read_only=True)
                try:
                    rows, per_ind = run_handwritten(con, queries, periods)
                finally:
                    con.close()
                _best(best, "hand end to end", time.perf_counter() - t)
                _best(best, "hand execute", sum(per_ind.values()))
                hand_rows = hand_rows or rows
                for k, v in per_ind.items():
                    _best(best_hand, k, v)
    assert engine_rows is not None and hand_rows is not None

    ms = lambda s: f"{s * 1000:9.1f}"  # noqa: E731
    ids = sorted(set(best_per) | set(best_hand))
    width = max(map(len, ids))
    print(f"\nper indicator, all periods, best of {repeat} (ms): engine = its own query per indicator and period "
          "(the per-indicator path)")
    print(f"{'indicator':<{width}}  {'engine':>9}  {'hand':>9}  ratio")
    for i in ids:
        e, h = best_per.get(i), best_hand.get(i)
        ratio = f"{e / h:5.2f}x" if e is not None and h else "  -"
        shown_e, shown_h = ms(e) if e is not None else "        -", ms(h) if h is not None else "        -"
        print(f"{i:<{width}}  {shown_e}  {shown_h}  {ratio}")
    per_sum, hand_sum = sum(best_per.values()), sum(best_hand.values())
    print(f"{'sum of the bests':<{width}}  {ms(per_sum)}  {ms(hand_sum)}  {per_sum / hand_sum:5.2f}x")

    per_stage = ", ".join(f"{k} {v * 1000:.1f}" for k, v in best_stage.items())
    print(f"\nengine stages, best of {repeat} (ms): " + per_stage)
    n_hand = len(queries) * len(periods)
    for name in ("batched", "per indicator"):
        print(f"engine {name + ':':<14} {paths[name].queries:4d} queries, {ms(best[name + ' in queries'])} ms in "
              f"queries, {ms(best[name + ' wall'])} ms execute_batches (planning and splitting included)")
    print(f"hand-written:          {n_hand:4d} queries, {ms(best['hand execute'])} ms in queries")
    print(f"engine end to end (checked_catalogue + run, batched): {ms(best['engine end to end'])} ms")
    print(f"hand-written end to end (connect + queries):          {ms(best['hand end to end'])} ms")
    if linked:
        print(f"  (api.run computes {len(linked)} more indicators over the same populations, for disclosure control: "
              f"{', '.join(linked)})")

    result = DuckdbBench(figures=dict(best))
    result.indicators = len(covered)
    result.ratios[RATIO_EXECUTE] = best["batched in queries"] / best["hand execute"]
    result.ratios[RATIO_END_TO_END] = best["engine end to end"] / best["hand end to end"]
    result.ratios[RATIO_BATCHED] = best["batched wall"] / best["per indicator wall"]
    print()
    for name, value in result.ratios.items():
        print(f"ratio {name + ':':<52} {value:5.2f}x")

    batched = engine_rows_by_key(flat(paths["batched"].rows))
    unbatched = engine_rows_by_key(flat(paths["per indicator"].rows))
    result.problems = (stale_problems(stale) + compare(engine_rows, hand_rows)
                       + compare(batched, unbatched, ("batched", "per-indicator")))
    print(f"\ncross-check: {len(engine_rows)} engine rows, {len(hand_rows)} hand-written rows; "
          f"{len(batched)} rows batched, {len(unbatched)} per indicator")
    if result.problems:
        print(f"MISMATCH: {len(result.problems)} difference(s) between the engine and the hand-written SQL "
              "(or between the batched and per-indicator paths)", file=sys.stderr)
        for p in result.problems:
            print(f"  MISMATCH {p}", file=sys.stderr)
    else:
        print("cross-check: OK, every row agrees (value, n, numerator/denominator; tolerance 1e-9), "
              "and batched = per indicator")
    return result


def parse_periods(given: list[str] | None) -> list[str]:
    periods = list(dict.fromkeys(p.strip() for p in (given or DEFAULT_PERIODS)))
    for p in periods:
        period_days(p)
    return periods


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "demo.duckdb"), help="DuckDB file (default data/demo.duckdb)")
    ap.add_argument("--period", action="append", help=f"period (repeatable; default {' '.join(DEFAULT_PERIODS)})")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side; the best is reported")
    ap.add_argument("--make-random", type=int, metavar="SIZE",
                    help="first write a random test database of at least SIZE persons at --data (must not exist)")
    ap.add_argument("--seed", type=int, default=0, help="seed of --make-random")
    ap.add_argument("--indicators", type=Path, default=None, help="catalogue folder (default: the project's)")
    args = ap.parse_args(argv)
    data = Path(args.data)
    periods = parse_periods(args.period)
    if args.make_random:
        if data.exists():
            raise SystemExit(f"{data} exists; --make-random writes a new file")
        data.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        make_random_db(data, args.make_random, args.seed)
        print(f"wrote {data} (random_dataset chunks, >= {args.make_random} persons, seed {args.seed}) "
              f"in {time.perf_counter() - t:.1f} s")
    if not data.is_file():
        raise SystemExit(f"no such DuckDB file: {data} (generate it with `indicators demo-data --out {data}`, "
                         f"or pass --make-random SIZE)")
    return 1 if bench_duckdb(data, periods, args.repeat, args.indicators).problems else 0


if __name__ == "__main__":
    sys.exit(main())
