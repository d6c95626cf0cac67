"""Resource control: --threads, --memory-limit and --temp-dir are set on DuckDB before it is locked down."""
import json
import os
import subprocess
import sys

import duckdb
import pytest

from conftest import ROOT
from engine.diagnostics import EngineError
from engine.execute import open_dataset
from engine.resources import Resources, parse_resources


def cli(*args, env=None):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env=env)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("resources") / "demo.duckdb"
    proc = cli("demo-data", "--out", path, "--scale", "0.02")
    assert proc.returncode == 0, proc.stderr
    return path


def setting(dataset, name):
    return dataset.connection.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_the_settings_take_effect_and_the_sql_cannot_change_them(catalogue, demo, tmp_path):
    spill = tmp_path / "spill" / "here"
    dataset = open_dataset(demo, catalogue.model, resources=parse_resources("2", "200MB", spill))
    try:
        assert setting(dataset, "threads") == 2
        assert setting(dataset, "memory_limit") == duckdb.connect().execute(
            "SET memory_limit = '200MB'; SELECT current_setting('memory_limit')").fetchone()[0]
        assert setting(dataset, "temp_directory") == str(spill)
        assert spill.is_dir()  # created, parents and all
        with pytest.raises(duckdb.Error, match="locked"):
            dataset.connection.execute("SET threads = 8")
        with pytest.raises(duckdb.Error, match="locked"):
            dataset.connection.execute("SET memory_limit = '100GB'")
        assert setting(dataset, "threads") == 2
    finally:
        dataset.close()


def test_a_folder_and_a_yaml_dataset_take_them_too(catalogue, tmp_path):
    fixture = sorted((ROOT / "fixtures").glob("*.yaml"))[0]
    dataset = open_dataset(fixture, catalogue.model, resources=Resources(threads=1))
    try:
        assert setting(dataset, "threads") == 1
        with pytest.raises(duckdb.Error, match="locked"):
            dataset.connection.execute("SET threads = 8")
    finally:
        dataset.close()


@pytest.mark.parametrize("threads, memory, word", [
    ("0", None, "--threads"), ("257", None, "--threads"), ("two", None, "--threads"), ("-1", None, "--threads"),
    (None, "lots", "--memory-limit"), (None, "2", "--memory-limit"), (None, "0GB", "--memory-limit"),
    (None, "150%", "--memory-limit"), (None, "2GB; SET threads=8", "--memory-limit")])
def test_bad_values_are_refused_at_their_option(threads, memory, word):
    with pytest.raises(EngineError) as caught:
        parse_resources(threads, memory)
    [d] = caught.value.diagnostics
    assert (d.code, str(d.position)) == ("E_RESOURCES", word) and d.hint


@pytest.mark.parametrize("memory", ["2GB", "500MB", "75%", "1.5 GiB", "512kib"])
def test_duckdb_sizes_are_accepted(memory):
    assert parse_resources(memory_limit=memory).memory_limit is not None


def test_bad_values_exit_1_with_e_resources(demo, tmp_path):
    proc = cli("run", "--data", demo, "--period", "2018", "--threads", "0", "--memory-limit", "much")
    assert proc.returncode == 1
    assert proc.stderr.count("E_RESOURCES") == 2 and "--threads" in proc.stderr and "--memory-limit" in proc.stderr
    (tmp_path / "file").write_text("x")
    for command in (["check-data"], ["check"], ["attrition", "antal_avslutade_efter_arbetslivsinriktad_insats",
                                                 "--period", "2018"]):
        proc = cli(*command, "--data", demo, "--temp-dir", tmp_path / "file")
        assert proc.returncode == 1 and "E_RESOURCES" in proc.stderr, proc.stderr


def test_the_spill_folder_is_not_an_input(demo):
    proc = cli("check-data", "--data", demo, "--temp-dir", ROOT / "indicators" / "spill")
    assert proc.returncode == 1 and "E_OUT_IS_INPUT" in proc.stderr and "--temp-dir" in proc.stderr
    proc = cli("check-data", "--data", demo, "--temp-dir", demo)
    assert proc.returncode == 1 and "--temp-dir" in proc.stderr
    assert not (ROOT / "indicators" / "spill").exists()


def test_a_run_with_little_memory_and_one_thread_gives_the_same_rows(demo, tmp_path):
    plain = cli("run", "--data", demo, "--period", "2018", "--format", "json", "--no-data-checks")
    assert plain.returncode == 0, plain.stderr
    spill = tmp_path / "spill"
    limited = cli("run", "--data", demo, "--period", "2018", "--format", "json", "--no-data-checks",
                  "--memory-limit", "200MB", "--threads", "1", "--temp-dir", spill)
    assert limited.returncode == 0, limited.stderr
    assert json.loads(limited.stdout)["rows"] == json.loads(plain.stdout)["rows"]
    assert spill.is_dir()


def test_the_environment_gives_defaults(demo):
    env = {**os.environ, "INDICATORS_THREADS": "nine hundred"}
    proc = cli("check-data", "--data", demo, env=env)
    assert proc.returncode == 1 and "E_RESOURCES" in proc.stderr
    proc = cli("check-data", "--data", demo, "--threads", "1", env=env)  # the option wins
    assert "E_RESOURCES" not in proc.stderr
