"""The command line: user errors give file:line:col, a code, a hint and exit 1, never a traceback."""
import json
import re
import subprocess
import sys

import pytest

from conftest import MINIMAL, ROOT, SCHEMA_LINE

LOCATED = re.compile(r"^\S+\.yaml:\d+:\d+: E_[A-Z_]+ ", re.M)


def cli(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "model.yaml").write_text((ROOT / "indicators" / "model.yaml").read_text("utf-8"), "utf-8")
    return tmp_path


def write(folder, name, text):
    path = folder / name
    path.write_text(SCHEMA_LINE + text, encoding="utf-8")
    return path


BAD = {
    "broken_yaml": ("population: [entity: x\n", "E_YAML"),
    "unknown_key": (MINIMAL.replace("unit: count", "units: count"), "E_UNKNOWN_KEY"),
    "misspelt_column": (MINIMAL.replace("period: datum", "period: datun"), "E_UNKNOWN_COLUMN"),
    "subquery": (MINIMAL.replace("  period: datum\n",
                                 "  period: datum\n  where: person_id IN (SELECT person_id FROM person)\n"),
                 "E_EXPR_SUBQUERY"),
    "drop_table": (MINIMAL.replace("  period: datum\n",
                                   "  period: datum\n  where: \"datum IS NULL; DROP TABLE person\"\n"),
                   "E_EXPR_STATEMENTS"),
    "file_reading": (MINIMAL.replace("  period: datum\n",
                                     "  period: datum\n  where: \"read_csv('/etc/passwd') IS NULL\"\n"),
                     "E_EXPR_FUNCTION"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_and_malicious_definitions_are_rejected(folder, case):
    text, code = BAD[case]
    path = write(folder, f"{case}.yaml", text.format(id=case) if "{id}" in text else text)
    proc = cli("validate", path, "--indicators", folder)
    assert proc.returncode == 1
    assert f"{code} " in proc.stderr
    assert LOCATED.search(proc.stderr), proc.stderr
    assert "hint:" in proc.stderr


def test_all_errors_of_all_files_at_once_and_duplicate_ids(folder):
    write(folder, "a.yaml", MINIMAL.format(id="same"))
    write(folder, "b.yaml", MINIMAL.format(id="same"))
    write(folder, "c.yaml", MINIMAL.format(id="c").replace("entity: kartlaggning", "entity: kartlagning"))
    proc = cli("validate", "--indicators", folder)
    assert proc.returncode == 1
    assert "E_DUPLICATE_ID" in proc.stderr and "E_UNKNOWN_ENTITY" in proc.stderr
    assert "did you mean 'kartlaggning'" in proc.stderr


def test_the_catalogue_is_clean(catalogue):
    proc = cli("validate", "--indicators", catalogue.directory)
    assert proc.returncode == 0, proc.stderr
    assert f"ok: {len(catalogue.indicators)} indicator(s) valid" in proc.stderr


def test_list_json(catalogue):
    proc = cli("list", "--format", "json", "--indicators", catalogue.directory)
    items = json.loads(proc.stdout)
    assert [i["id"] for i in items] == sorted(catalogue.indicators) and set(items[0]) == {"id", "title"}


def test_compile_and_refusal():
    proc = cli("compile", "antal_kontaktmoten", "--period", "2018", "--dialect", "spark")
    assert proc.returncode == 0 and "GROUPING SETS" in proc.stdout
    proc = cli("compile", "median_sjukfallslangd_vid_avslut", "--period", "2018-12", "--dialect", "trino")
    assert proc.returncode == 1 and "E_DIALECT" in proc.stderr and "exact" in proc.stderr


def test_run_errors_are_reported_together(tmp_path):
    proc = cli("run", "--data", tmp_path / "missing.duckdb", "--period", "2018x", "--indicator", "antal_kontaktmotn")
    assert proc.returncode == 1
    for code in ("E_UNKNOWN_INDICATOR", "E_PERIOD", "E_DATA_NOT_FOUND"):
        assert code in proc.stderr
    assert "did you mean 'antal_kontaktmoten'" in proc.stderr


def test_run_json_csv_and_atomic_out(tmp_path):
    data = ROOT / "fixtures" / "antal_gemensamma_kartlaggningar.yaml"
    out = tmp_path / "out" / "rows.json"
    proc = cli("run", "--data", data, "--period", "2018", "--indicator", "antal_gemensamma_kartlaggningar",
               "--format", "json", "--out", out)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text("utf-8"))["rows"]
    assert rows[0]["breakdown"] == {} and [p.name for p in out.parent.iterdir()] == ["rows.json"]
    proc = cli("run", "--data", data, "--period", "2018", "--indicator", "antal_gemensamma_kartlaggningar",
               "--format", "csv")
    assert proc.stdout.splitlines()[0].startswith("indicator,period,breakdown")
    proc = cli("run", "--data", data, "--period", "2018", "--indicator", "antal_gemensamma_kartlaggningar")
    assert "Totalt" in proc.stdout and "Kön: Kvinnor" in proc.stdout


def test_missing_catalogue_folder(tmp_path):
    proc = cli("list", "--indicators", tmp_path / "nowhere")
    assert proc.returncode == 1 and "E_FILE_NOT_FOUND" in proc.stderr


def test_fixture_failure_exits_1(tmp_path):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    source = ROOT / "fixtures" / "antal_gemensamma_kartlaggningar.yaml"
    text = source.read_text("utf-8").replace("n: 0", "n: 99")
    (fixtures / "f.yaml").write_text(text, "utf-8")
    proc = cli("test", "antal_gemensamma_kartlaggningar", "--fixtures", fixtures)
    assert proc.returncode == 1 and "FAIL" in proc.stdout and "expected" in proc.stdout


def test_explain_in_both_languages():
    proc = cli("explain", "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser")
    assert proc.returncode == 0
    out = proc.stdout
    assert "[sv]" in out and "[en]" in out
    assert "insatstyp = 'arbetslivsinriktad'" in out
    assert "lämnat sjukförsäkringen" in out  # the calculated column's description
    assert "71\u00a0%" in out


def test_usage_errors_exit_1():
    proc = cli("run", "--data", "x")
    assert proc.returncode == 1 and "Missing option '--period'" in proc.stderr
    proc = cli("no-such-command")
    assert proc.returncode == 1


def test_diff_shows_what_a_definition_change_does(tmp_path):
    changed = tmp_path / "changed"
    changed.mkdir()
    for f in (ROOT / "indicators").glob("*.yaml"):
        (changed / f.name).write_text(f.read_text("utf-8"), "utf-8")
    model = changed / "model.yaml"
    text = model.read_text("utf-8")
    assert ", 'oppet_arbetslos')" in text
    model.write_text(text.replace(", 'oppet_arbetslos')", ")"), "utf-8")
    # the small synthetic extract: the fixture's few rows would be suppressed, and diff compares no suppressed row
    data = tmp_path / "demo.duckdb"
    assert cli("demo-data", "--out", data, "--scale", "0.02").returncode == 0
    proc = cli("diff", "--data", data, "--period", "2018", "--indicators", changed, "--baseline", ROOT / "indicators",
               "--indicator", "andel_lamnat_sjukforsakringen_efter_insats", "--format", "json", "--accept-all")
    assert proc.returncode == 0, proc.stderr
    changes = json.loads(proc.stdout)["rows"]
    total = next(c for c in changes if c["breakdown"] == {})
    assert total["after"]["numerator"] < total["before"]["numerator"]
    assert total["after"]["denominator"] == total["before"]["denominator"]
    assert total["figures"] == ["andel_lamnat_sjukforsakringen_efter_insats/2018/total/1"]
    proc = cli("diff", "--data", data, "--period", "2018", "--rev", "HEAD",
               "--indicator", "andel_lamnat_sjukforsakringen_efter_insats")
    assert proc.returncode == 0 and "no differences" in proc.stderr
    proc = cli("diff", "--data", data, "--period", "2018", "--rev", "no-such-revision")
    assert proc.returncode == 1 and "E_REVISION" in proc.stderr


def test_demo_data_never_overwrites_a_file_that_is_not_an_extract(tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("keep me", "utf-8")
    proc = cli("demo-data", "--out", keep, "--scale", "0.001")
    assert proc.returncode == 1 and "E_OUT" in proc.stderr and "refusing to overwrite" in proc.stderr
    assert keep.read_text("utf-8") == "keep me"
    import duckdb
    real = tmp_path / "real.duckdb"  # a real extract in a DuckDB file is data too
    con = duckdb.connect(str(real))
    con.execute("CREATE TABLE person AS SELECT 1 AS person_id")
    con.close()
    proc = cli("demo-data", "--out", real, "--scale", "0.001")
    assert proc.returncode == 1 and "refusing to overwrite" in proc.stderr
    assert duckdb.connect(str(real), read_only=True).execute("SELECT count(*) FROM person").fetchall() == [(1,)]
    proc = cli("demo-data", "--out", tmp_path / "x.duckdb", "--scale", "nan")
    assert proc.returncode == 1 and "E_SCALE" in proc.stderr


def test_demo_data_regenerates_an_earlier_extract(tmp_path):
    out = tmp_path / "small.duckdb"
    for _ in range(2):
        proc = cli("demo-data", "--out", out, "--scale", "0.002", "--seed", "3")
        assert proc.returncode == 0, proc.stderr
    assert "person" in proc.stderr and "scale 0.002, seed 3" in proc.stderr


def test_output_paths_are_refused_before_computing(tmp_path):
    (tmp_path / "a").mkdir()
    proc = cli("check", "--data", tmp_path / "missing.duckdb", "--junit", tmp_path, "--json", tmp_path / "a")
    assert proc.returncode == 1 and proc.stderr.count("E_OUT") == 2 and "E_DATA" not in proc.stderr
    proc = cli("check", "--data", tmp_path / "missing.duckdb", "--junit", tmp_path / "x", "--json", tmp_path / "x")
    assert proc.returncode == 1 and "same file" in proc.stderr
    afile = tmp_path / "afile"
    afile.write_text("x", "utf-8")
    proc = cli("report", "--data", "fixtures/antal_kontaktmoten.yaml", "--year", "2018", "--out", afile)
    assert proc.returncode == 1 and "E_OUT" in proc.stderr and "not a folder" in proc.stderr


@pytest.mark.parametrize("year,compare", [("٢٠١٨", None), ("2018", "2018"), ("18", "x")])
def test_report_years_are_checked(year, compare, tmp_path):
    args = ["report", "--data", "fixtures/antal_kontaktmoten.yaml", "--year", year, "--out", tmp_path / "r"]
    proc = cli(*args, *(["--compare", compare] if compare else []))
    assert proc.returncode == 1 and "E_PERIOD" in proc.stderr
