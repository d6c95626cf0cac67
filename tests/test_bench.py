"""bench/handwritten.sql and the engine must give the same rows (the benchmark's cross-check).

The hand-written SQL was written from the spec's text alone; a drift between it and the
engine (either side) fails here. No timings are asserted.
"""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_bench", ROOT / "bench" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_handwritten_sql_covers_the_catalogue(catalogue):
    assert set(_bench().load_handwritten()) == set(catalogue.indicators)


def test_engine_equals_handwritten_sql_on_random_data(tmp_path):
    bench = _bench()
    data = tmp_path / "random.duckdb"
    counts = bench.make_random_db(data, persons=150, seed=7)
    assert counts["person"] >= 150 and counts["insats"] > 0
    problems = bench.cross_check(data, ["2017", "2018H2", "2018-12", "2019-01"])
    assert not problems, "\n".join(problems)
