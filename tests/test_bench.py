"""bench/handwritten.sql and the engine must give the same rows (the benchmark's cross-check).

The hand-written SQL was written from the spec's text alone; a drift between it and the
engine (either side) fails here. No timings are asserted. It covers the indicators shipped
with the project: one added to the catalogue later is skipped, a shipped one renamed fails.
"""
import importlib.util
import shutil
from pathlib import Path

from conftest import MINIMAL, SCHEMA_LINE
from reference.independent import INDICATOR_IDS

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_bench", ROOT / "bench" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_handwritten_sql_covers_the_shipped_indicators(catalogue):
    bench = _bench()
    queries = bench.load_handwritten()
    assert set(queries) == set(INDICATOR_IDS)  # the shipped ones, as the reference implementation
    covered, skipped, stale = bench.coverage(catalogue, queries)
    assert not stale, bench.stale_problems(stale)
    assert sorted(covered + skipped) == sorted(catalogue.indicators)


def test_engine_equals_handwritten_sql_on_random_data(tmp_path, catalogue):
    bench = _bench()
    data = tmp_path / "random.duckdb"
    counts = bench.make_random_db(data, persons=150, seed=7)
    assert counts["person"] >= 150 and counts["insats"] > 0
    problems = bench.cross_check(data, ["2017", "2018H2", "2018-12", "2019-01"], indicators_dir=catalogue.directory)
    assert not problems, "\n".join(problems)


def test_bench_skips_and_names_indicators_without_handwritten_sql(tmp_path, capsys, catalogue):
    bench = _bench()
    folder = tmp_path / "indicators"
    shutil.copytree(catalogue.directory, folder)
    (folder / "antal_test.yaml").write_text(SCHEMA_LINE + MINIMAL.format(id="antal_test"), "utf-8")
    data = tmp_path / "random.duckdb"
    bench.make_random_db(data, persons=20, seed=3)
    assert bench.main(["--data", str(data), "--period", "2018", "--repeat", "1", "--indicators", str(folder)]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "skipped, no hand-written SQL: " in line)
    named = set(line.split("skipped, no hand-written SQL: ", 1)[1].split(", "))
    assert named == set(catalogue.indicators) - set(INDICATOR_IDS) | {"antal_test"}
    assert "cross-check: OK" in out
