"""Benchmark the catalogue against hand-written DuckDB SQL, and cross-check the results.

    .venv/bin/python bench/bench.py --data data/demo.duckdb [--period 2018 ...] [--repeat 3] [--indicators DIR]

bench/handwritten.sql has a query for each of the 21 indicators shipped with the project
(the ids `load_handwritten()` returns), not for whatever the catalogue holds: only the
catalogue's indicators with a query are timed and cross-checked, the others are printed as
skipped. A query whose indicator is no longer in the catalogue (renamed or removed) is a
mismatch.

In one run, on the same DuckDB file, it times
  (a) the engine: `engine.api.checked_catalogue()` then `engine.api.run(catalogue, data,
      periods)` end to end (load + validate + compile + open + execute), and separately
      its parts: catalogue load+validate, compile (plan + render of every indicator and
      period), dataset open, and the execution of the compiled SQL per indicator;
  (b) the hand-written SQL of bench/handwritten.sql, on a read-only connection to the file.
Each figure is the best of --repeat runs. Both sides' rows (total and every breakdown row:
value, n, and numerator/denominator of shares) must agree, floats within 1e-9; any
mismatch is printed and the exit status is 1.

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
    """engine.api as a user calls it, for the indicators `ids`: (rows, seconds)."""
    from engine import api
    t = time.perf_counter()
    catalogue = api.checked_catalogue(indicators_dir)
    rows = api.run(catalogue, data, periods, ids)
    return rows, time.perf_counter() - t


def run_engine_parts(data: Path, periods: list[str], ids: list[str], indicators_dir: Path | None = None):
    """The same work split in stages: ({stage: seconds}, {indicator: execute seconds}, rows)."""
    from engine import api
    from engine.execute import open_dataset, rows_from_result
    from engine.plan import plan_query
    from engine.render import render_sql

    stages = {}
    t = time.perf_counter()
    catalogue = api.checked_catalogue(indicators_dir)
    stages["load+validate"] = time.perf_counter() - t

    t = time.perf_counter()
    wanted = api.periods(periods)
    compiled = [(bound, p, render_sql(plan_query(bound, p), "duckdb", pretty=False))
                for bound in catalogue.select(ids) for p in wanted]
    stages["compile"] = time.perf_counter() - t

    t = time.perf_counter()
    dataset = open_dataset(data, catalogue.model)
    stages["open"] = time.perf_counter() - t

    seconds: dict[str, float] = {}
    rows: list[dict] = []
    try:
        for bound, p, sql in compiled:
            t = time.perf_counter()
            cur = dataset.connection.execute(sql)
            columns = [d[0] for d in cur.description]
            rows += rows_from_result(bound, p, columns, cur.fetchall())
            seconds[bound.id] = seconds.get(bound.id, 0.0) + time.perf_counter() - t
    finally:
        dataset.close()
    stages["execute"] = sum(seconds.values())
    return stages, seconds, rows


# -- cross-check ----------------------------------------------------------------------

def _same_value(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def compare(engine: dict[tuple, dict], hand: dict[tuple, dict]) -> list[str]:
    """Every difference between the engine's rows and the hand-written ones, as text."""
    problems = []
    for key in sorted(set(engine) | set(hand), key=lambda k: tuple("" if x is None else str(x) for x in k)):
        ind, period, dim, cat = key
        where = f"{ind} {period} " + ("total" if dim is None else f"{dim}={cat}")
        if key not in hand:
            problems.append(f"{where}: only the engine has this row {engine[key]}")
            continue
        if key not in engine:
            problems.append(f"{where}: only the hand-written SQL has this row {hand[key]}")
            continue
        e, h = engine[key], hand[key]
        if not _same_value(e["value"], h["value"]):
            problems.append(f"{where}: value engine={e['value']!r} hand-written={h['value']!r}")
        if e["n"] != h["n"]:
            problems.append(f"{where}: n engine={e['n']!r} hand-written={h['n']!r}")
        if h["denominator"] is not None:  # a share: its parts must agree too
            for f in ("numerator", "denominator"):
                if e[f] != h[f]:
                    problems.append(f"{where}: {f} engine={e[f]!r} hand-written={h[f]!r}")
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
    periods = list(dict.fromkeys(p.strip() for p in (args.period or DEFAULT_PERIODS)))
    for p in periods:
        period_days(p)
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
    from engine import api
    queries = load_handwritten()
    covered, skipped, stale = coverage(api.checked_catalogue(args.indicators), queries)
    queries = {i: queries[i] for i in covered}

    con = duckdb.connect(str(data), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    version = duckdb.__version__
    con.close()
    print(f"data: {data}  ({sum(counts.values()):,} rows: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + ")")
    print(f"periods: {' '.join(periods)}   repeat: {args.repeat}   duckdb {version}, {threads} threads")
    print(f"indicators: {len(covered)} with hand-written SQL"
          + (f"; skipped, no hand-written SQL: {', '.join(skipped)}" if skipped else ""))
    if not covered:
        print("nothing to compare: no catalogue indicator has a query in " + SQL_FILE.name, file=sys.stderr)
        return 1

    best_e2e = best_hand_total = best_hand_exec = math.inf
    best_stage: dict[str, float] = {}
    best_exec: dict[str, float] = {}
    best_hand: dict[str, float] = {}
    engine_rows = hand_rows = None
    for r in range(max(1, args.repeat)):
        # alternate the order so neither side always runs on a warmer cache
        for side in (("engine", "hand") if r % 2 == 0 else ("hand", "engine")):
            if side == "engine":
                rows, secs = run_engine_end_to_end(data, periods, covered, args.indicators)
                best_e2e = min(best_e2e, secs)
                engine_rows = engine_rows or engine_rows_by_key(rows)
                stages, per_ind, _ = run_engine_parts(data, periods, covered, args.indicators)
                for k, v in stages.items():
                    best_stage[k] = min(best_stage.get(k, math.inf), v)
                for k, v in per_ind.items():
                    best_exec[k] = min(best_exec.get(k, math.inf), v)
            else:
                t = time.perf_counter()
                con = duckdb.connect(str(data), read_only=True)
                try:
                    rows, per_ind = run_handwritten(con, queries, periods)
                finally:
                    con.close()
                best_hand_total = min(best_hand_total, time.perf_counter() - t)
                best_hand_exec = min(best_hand_exec, sum(per_ind.values()))
                hand_rows = hand_rows or rows
                for k, v in per_ind.items():
                    best_hand[k] = min(best_hand.get(k, math.inf), v)

    ms = lambda s: f"{s * 1000:9.1f}"  # noqa: E731
    ids = sorted(set(best_exec) | set(best_hand))
    width = max(map(len, ids))
    print(f"\nper indicator, all periods, best of {args.repeat} (ms)")
    print(f"{'indicator':<{width}}  {'engine':>9}  {'hand':>9}  ratio")
    for i in ids:
        e, h = best_exec.get(i), best_hand.get(i)
        ratio = f"{e / h:5.2f}x" if e is not None and h else "  -"
        shown_e, shown_h = ms(e) if e is not None else "        -", ms(h) if h is not None else "        -"
        print(f"{i:<{width}}  {shown_e}  {shown_h}  {ratio}")
    exec_sum = sum(best_exec.values())
    hand_sum = sum(best_hand.values())
    print(f"{'sum of the bests':<{width}}  {ms(exec_sum)}  {ms(hand_sum)}  {exec_sum / hand_sum:5.2f}x")

    per_stage = ", ".join(f"{k} {v * 1000:.1f}" for k, v in best_stage.items())
    print(f"\nengine stages, best of {args.repeat} (ms): " + per_stage)
    print(f"engine execute only (compiled SQL, all):      {ms(best_stage['execute'])} ms")
    print(f"hand-written execute only (all queries):      {ms(best_hand_exec)} ms")
    print(f"engine end to end (checked_catalogue + run):  {ms(best_e2e)} ms")
    print(f"hand-written end to end (connect + queries):  {ms(best_hand_total)} ms")
    print(f"\nratio engine / hand-written, execute only:  {best_stage['execute'] / best_hand_exec:.2f}x")
    print(f"ratio engine / hand-written, end to end:     {best_e2e / best_hand_total:.2f}x")

    problems = stale_problems(stale) + compare(engine_rows, hand_rows)
    print(f"\ncross-check: {len(engine_rows)} engine rows, {len(hand_rows)} hand-written rows")
    if problems:
        print(f"MISMATCH: {len(problems)} difference(s) between the engine and the hand-written SQL", file=sys.stderr)
        for p in problems:
            print(f"  MISMATCH {p}", file=sys.stderr)
        return 1
    print("cross-check: OK, every row agrees (value, n, numerator/denominator; tolerance 1e-9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
