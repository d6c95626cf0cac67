"""Time the data checks (engine.datacheck) on a dataset: as they ran before, as they run now, and from the cache.

    .venv/bin/python bench/datachecks.py [--data data/demo.duckdb] [--repeat 3] [--indicator ID]

- **reference**: every check's reference query, one after the other (the data checks before the aggregates:
  examples ordered by key and a windowed count, for every check);
- **aggregates**: `run_checks` without a cache (the aggregate queries, then examples for breached checks only);
- **cached**: `run_checks` with a warm cache (engine.datacache): the dataset's fingerprint and one JSON file.

Each is the best of `--repeat` runs (wall and CPU seconds, CPU summed over DuckDB's threads), on one open dataset.
With `--indicator`, only the tables that indicator reads (as `run --indicator`). The results of the two ways of
computing are compared, and the exit status is 1 when they differ. Timings only: tests/test_datacheck_scale.py
holds the results to each other.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import api  # noqa: E402
from engine.datacache import CACHE_ENV, open_cache  # noqa: E402
from engine.datacheck import checks, run_checks  # noqa: E402
from engine.execute import open_dataset  # noqa: E402
from engine.lineage import tables_read  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _best(work, repeat: int) -> tuple[float, float, object]:
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        result = work()
        best_wall, best_cpu = min(best_wall, time.perf_counter() - wall), min(best_cpu, _cpu() - cpu)
    return best_wall, best_cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "data" / "demo.duckdb"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--indicator", default=None)
    parser.add_argument("--indicators", default=None, help="catalogue folder (default: the project's)")
    args = parser.parse_args()
    catalogue = api.checked_catalogue(args.indicators)
    model, rules = catalogue.model, catalogue.rules
    assert model is not None
    entities = tables_read(catalogue, [args.indicator]) if args.indicator else None
    selected = [c for c in checks(model, rules) if entities is None or c.entity in entities]
    dataset = open_dataset(args.data, model)
    try:
        def reference():
            found = []
            for check in selected:
                rows = dataset.query(check.reference).rows
                found.append(check.issue(int(rows[0][1]) if rows else 0, [r[0] for r in rows]))
            return found

        with tempfile.TemporaryDirectory() as folder:
            os.environ[CACHE_ENV] = folder
            times = {"reference": _best(reference, args.repeat),
                     "aggregates": _best(lambda: run_checks(dataset, model, rules, entities), args.repeat)}
            run_checks(dataset, model, rules, entities, open_cache(catalogue, args.data, dataset))  # fills it
            times["cached"] = _best(lambda: run_checks(dataset, model, rules, entities,
                                                       open_cache(catalogue, args.data, dataset)), args.repeat)
    finally:
        dataset.close()
    tables = ", ".join(sorted(entities)) if entities is not None else "every table"
    print(f"{len(selected)} checks of {tables} on {args.data}, best of {args.repeat}:")
    for name, (wall, cpu, _) in times.items():
        print(f"  {name:<11} {wall:8.3f} s wall  {cpu:8.3f} s CPU")
    same = list(times["aggregates"][2]) == times["reference"][2] == list(times["cached"][2])  # type: ignore
    print("results: the same" if same else "results: DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
