"""Inputs and outputs that can be trusted: bounded YAML, outputs that never land on inputs, no debris or mixed sets
after an interruption, identifiers without a trailing line break, a full disk and a linked file as user errors, and
outputs that cannot run code in a spreadsheet, break XML or drive a terminal.

See README.md, "Inputs and outputs: limits and guarantees".
"""
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from xml.etree import ElementTree as ET

import duckdb
import pytest
import yaml

from conftest import MINIMAL, ROOT, SCHEMA_LINE
from engine import api, load, outputs
from engine.diagnostics import Diagnostics, EngineError
from engine.execute import load_tables
from engine.present import as_csv, csv_cell
from engine.sanitize import json_terminal_safe, terminal_safe, xml_safe
from test_cli import cli

LOCATED = re.compile(r"^\S+:\d+:\d+: E_[A-Z_]+ ", re.M)
FIXTURE = ROOT / "fixtures" / "antal_gemensamma_kartlaggningar.yaml"


@pytest.fixture
def folder(tmp_path):
    """A catalogue folder with the project's model, and a fixtures folder beside it."""
    cat = tmp_path / "cat"
    cat.mkdir()
    shutil.copy(ROOT / "indicators" / "model.yaml", cat / "model.yaml")
    (tmp_path / "fixtures").mkdir()
    return cat


def indicator(folder, text, name="t"):
    path = folder / f"{name}.yaml"
    path.write_text(SCHEMA_LINE + text, encoding="utf-8")
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_errors(text: str) -> list:
    diags = Diagnostics()
    load.load_text(text, "x.yaml", diags)
    return diags.errors


# ---------------------------------------------------------------- 5. bounded YAML

BOMB = "\n".join(f"{x}: &{x} [" + ",".join([f"*{p}"] * 9 if p else ['"lol"'] * 9) + "]"
                 for p, x in zip(["", *"abcdefgh"], "abcdefghi", strict=True)) + "\n"


def test_an_alias_bomb_is_refused_at_once_and_located(folder):
    assert len(BOMB) < 800  # a few hundred bytes standing for 9**9 values
    path = indicator(folder, BOMB)
    started = time.monotonic()
    proc = cli("validate", path, "--indicators", folder)
    assert time.monotonic() - started < 30
    assert proc.returncode == 1 and "E_YAML_TOO_LARGE" in proc.stderr, proc.stderr
    assert LOCATED.search(proc.stderr) and "hint:" in proc.stderr
    assert "MemoryError" not in proc.stderr and "E_INTERNAL" not in proc.stderr


def test_merge_keys_count_as_copies_too():
    levels = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4}"]
    levels += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}, *m{i - 1}, *m{i - 1}]}}" for i in range(1, 30)]
    errors = load_errors("\n".join(levels) + "\n")
    assert [d.code for d in errors] == ["E_YAML_TOO_LARGE"] and errors[0].position.line > 1


def test_a_recursive_alias_is_located():
    errors = load_errors("a: &a [x, *a]\n")
    assert [(d.code, d.position.line, d.position.col) for d in errors] == [("E_YAML", 1, 11)]
    assert "*a" in errors[0].message


def test_the_node_limit_counts_values_and_alias_copies(monkeypatch):
    monkeypatch.setattr(load, "MAX_YAML_NODES", 20)
    within = "a: &x [1, 2, 3]\nb: *x\nc: *x\n"  # 1 + (1 + 4) * 3 (key, list, items) = 16 values
    assert load_errors(within) == []
    diags = Diagnostics()
    doc = load.load_text(within, "x.yaml", diags)
    assert doc.data == {"a": [1, 2, 3], "b": [1, 2, 3], "c": [1, 2, 3]}
    assert [d.code for d in load_errors(within + "d: *x\n")] == ["E_YAML_TOO_LARGE"]
    assert [d.code for d in load_errors("a: [" + ", ".join(["1"] * 20) + "]\n")] == ["E_YAML_TOO_LARGE"]


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path, folder):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" + b"x" * load.MAX_YAML_BYTES)
    diags = Diagnostics()
    started = time.monotonic()
    assert load.load_file(big, diags) is None
    assert time.monotonic() - started < 5
    (error,) = diags.errors
    assert error.code == "E_FILE_TOO_LARGE"
    assert (error.position.line, error.position.col) == (2, load.MAX_YAML_BYTES - 9)  # the first byte past it
    path = indicator(folder, "id: t\n# " + "x" * load.MAX_YAML_BYTES + "\n")
    proc = cli("validate", path, "--indicators", folder)
    assert proc.returncode == 1 and "E_FILE_TOO_LARGE" in proc.stderr and LOCATED.search(proc.stderr)
    proc = cli("run", "--data", big, "--period", "2018", "--indicator", "antal_gemensamma_kartlaggningar")
    assert proc.returncode == 1 and "E_FILE_TOO_LARGE" in proc.stderr


def test_a_file_at_the_size_limit_still_loads(tmp_path):
    path = tmp_path / "limit.yaml"
    head = b"a: 1\r\nb: two\n# "
    path.write_bytes(head + b"x" * (load.MAX_YAML_BYTES - len(head) - 1) + b"\n")
    diags = Diagnostics()
    doc = load.load_file(path, diags)
    assert diags.errors == [] and doc.data == {"a": 1, "b": "two"}
    assert doc.text.startswith("a: 1\nb: two\n")  # line breaks as Path.read_text gives them


def test_a_named_pipe_does_not_hang_any_yaml_input(tmp_path, folder):
    pipe = folder / "pipe.yaml"
    os.mkfifo(pipe)
    proc = cli("validate", pipe, "--indicators", folder)  # cli() times out after 120 s
    assert proc.returncode == 1 and "E_FILE_NOT_REGULAR" in proc.stderr and "pipe.yaml" in proc.stderr
    proc = cli("validate", "--indicators", folder)  # a pipe among the catalogue's files
    assert proc.returncode == 1 and "E_FILE_NOT_REGULAR" in proc.stderr
    mapping = tmp_path / "mapping.yaml"
    os.mkfifo(mapping)
    proc = cli("run", "--data", FIXTURE, "--period", "2018", "--mapping", mapping)
    assert proc.returncode == 1 and "E_FILE_NOT_REGULAR" in proc.stderr


# ---------------------------------------------------------------- 6. outputs never land on inputs

def small_duckdb(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE person AS SELECT 1 AS person_id")
    con.close()
    return path


def test_run_never_writes_over_its_dataset(tmp_path):
    data = small_duckdb(tmp_path / "self.duckdb")
    before = digest(data)
    proc = cli("run", "--data", data, "--period", "2018", "--out", data)
    assert proc.returncode == 1 and "E_OUT_IS_INPUT" in proc.stderr
    assert f"--out {data} is the dataset {data} (--data)" in proc.stderr
    assert digest(data) == before
    for out in (tmp_path / "link.json", tmp_path / "hard.json", tmp_path / "x" / ".." / "self.duckdb",
                tmp_path / "self.duckdb.wal"):
        if out.name == "link.json":
            out.symlink_to(data)
        elif out.name == "hard.json":
            os.link(data, out)
        proc = cli("run", "--data", data, "--period", "2018", "--format", "json", "--out", out)
        assert proc.returncode == 1 and "E_OUT_IS_INPUT" in proc.stderr, (out, proc.stderr)
    assert digest(data) == before


def test_check_never_writes_over_the_catalogue_the_fixtures_or_the_mapping(tmp_path, folder):
    model = folder / "model.yaml"
    before = digest(model)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables: {}\n", "utf-8")
    proc = cli("check", "--data", FIXTURE, "--indicators", folder, "--json", model,
               "--junit", tmp_path / "fixtures" / "new.xml")
    assert proc.returncode == 1 and proc.stderr.count("E_OUT_IS_INPUT") == 2, proc.stderr
    assert f"--json {model} is inside the catalogue folder {folder} (--indicators)" in proc.stderr
    assert "--junit" in proc.stderr and "the fixtures folder" in proc.stderr
    assert digest(model) == before and not (tmp_path / "fixtures" / "new.xml").exists()
    proc = cli("check", "--data", FIXTURE, "--indicators", folder, "--mapping", mapping, "--junit", mapping)
    assert proc.returncode == 1 and "is the source mapping" in proc.stderr
    assert mapping.read_text("utf-8") == "tables: {}\n"


def test_no_output_goes_into_a_dataset_folder_or_onto_the_report_data(tmp_path):
    data = tmp_path / "csv"
    data.mkdir()
    proc = cli("run", "--data", data, "--period", "2018", "--format", "csv", "--out", data / "rows.csv")
    assert proc.returncode == 1 and "is inside the dataset" in proc.stderr and not (data / "rows.csv").exists()
    copy = tmp_path / "aterrapportering_2018.md"
    shutil.copy(FIXTURE, copy)
    proc = cli("report", "--data", copy, "--year", "2018", "--format", "md", "--out", tmp_path)
    assert proc.returncode == 1 and "E_OUT_IS_INPUT" in proc.stderr and digest(copy) == digest(FIXTURE)
    proc = cli("report", "--data", FIXTURE, "--year", "2018", "--out", ROOT / "indicators")
    assert proc.returncode == 1 and proc.stderr.count("E_OUT_IS_INPUT") == 1  # the folder, not each file again


def test_run_refuses_an_unusable_out_before_computing(tmp_path):
    proc = cli("run", "--data", tmp_path / "missing.duckdb", "--period", "2018", "--out", tmp_path)
    assert proc.returncode == 1 and "E_OUT" in proc.stderr and "E_DATA" not in proc.stderr


# ---------------------------------------------------------------- 7. no debris, no mixed sets

def entries(path):
    return sorted(p.name for p in path.iterdir())


def wait_for_temporary(path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in path.iterdir() if ".indicators-" in p.name]
        if found:
            return found[0]
        time.sleep(0.01)
    raise AssertionError(f"no temporary path appeared in {path}")


def demo_data_process(out):
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "demo-data", "--out", str(out), "--scale", "0.05"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_demo_data_stopped_by_sigterm_leaves_nothing(tmp_path):
    proc = demo_data_process(tmp_path / "x.duckdb")
    wait_for_temporary(tmp_path)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stderr
    assert "E_INTERRUPTED stopped by SIGTERM" in stderr and "Traceback" not in stderr
    assert entries(tmp_path) == []  # no partial extract, no temporary folder


def test_what_sigkill_leaves_is_swept_by_a_later_run(tmp_path):
    proc = demo_data_process(tmp_path / "x.duckdb")
    wait_for_temporary(tmp_path)
    time.sleep(0.3)
    proc.kill()
    proc.communicate(timeout=60)
    (debris,) = [p for p in tmp_path.iterdir()]  # the build folder; never a partial x.duckdb
    assert debris.name.startswith(".x.duckdb.indicators-") and debris.is_dir()
    fresh = tmp_path / f".rows.json.indicators-{proc.pid}-abcd1234.tmp"  # a dead run's, but recent: kept
    fresh.write_text("x", "utf-8")
    alive = tmp_path / f".rows.json.indicators-{os.getpid()}-abcd1234.tmp"  # a running process's: kept
    alive.write_text("x", "utf-8")
    other = tmp_path / ".notes.txt.tmp"  # not the engine's naming: never touched
    other.write_text("x", "utf-8")
    old = time.time() - outputs.STALE_AFTER - 60
    for path in [debris, *debris.rglob("*"), alive, other]:
        os.utime(path, (old, old))
    out = tmp_path / "rows.json"
    proc = cli("run", "--data", FIXTURE, "--period", "2018", "--indicator", "antal_gemensamma_kartlaggningar",
               "--format", "json", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert entries(tmp_path) == sorted([fresh.name, alive.name, other.name, "rows.json"])


REPORT = ["report", "--data", str(FIXTURE), "--year", "2018", "--format", "html", "--format", "md",
          "--format", "xlsx"]
NAMES = ["aterrapportering_2018.html", "aterrapportering_2018.md", "aterrapportering_2018.xlsx"]


def run_interrupted(out, patch: str):
    """The report command in a subprocess that sends itself SIGTERM where `patch` says."""
    script = f"""
import os, signal, sys
from engine import cli, outputs, report_formats
{patch}
sys.argv = ["indicators", *{[*REPORT, "--out", str(out)]!r}]
cli.entry()
"""
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)


def old_set(out):
    out.mkdir()
    for name in NAMES:
        (out / name).write_text("old", "utf-8")


def test_a_report_stopped_while_rendering_keeps_the_whole_old_set(tmp_path):
    out = tmp_path / "out"
    old_set(out)
    proc = run_interrupted(out, "report_formats.to_xlsx = lambda report: os.kill(os.getpid(), signal.SIGTERM)")
    assert proc.returncode == 1 and "E_INTERRUPTED" in proc.stderr, proc.stderr
    assert entries(out) == NAMES and all((out / n).read_text("utf-8") == "old" for n in NAMES)


def test_a_report_stopped_at_the_rename_ends_with_the_whole_new_set(tmp_path):
    out = tmp_path / "out"
    old_set(out)
    patch = """
real = os.replace
def replace(src, dst):
    real(src, dst)
    os.kill(os.getpid(), signal.SIGTERM)  # after the first file is swapped in
os.replace = replace
"""
    proc = run_interrupted(out, patch)
    assert proc.returncode == 1 and "E_INTERRUPTED" in proc.stderr, proc.stderr
    assert entries(out) == NAMES  # no staging folder, no temporary file
    assert all((out / n).read_bytes() != b"old" for n in NAMES)
    assert (out / NAMES[1]).read_text("utf-8").startswith("#")


def test_a_failed_rename_puts_the_old_set_back(tmp_path, monkeypatch):
    old_set(tmp_path / "out")
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, "simulated")
        real(src, dst)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        outputs.write_set(tmp_path / "out", {n: b"new" for n in NAMES})
    assert entries(tmp_path / "out") == NAMES and all((tmp_path / "out" / n).read_bytes() == b"old" for n in NAMES)


def test_a_report_writes_a_complete_set(tmp_path):
    proc = cli(*REPORT, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert entries(tmp_path / "out") == NAMES


# ---------------------------------------------------------------- 9. line breaks in identifiers, full disk, links

def test_an_identifier_with_a_trailing_line_break_is_a_schema_error(folder):
    text = MINIMAL.format(id="t") + 'breakdowns: ["fall.ersattning\\n"]\n'
    path = indicator(folder, text)
    proc = cli("validate", path, "--indicators", folder)
    assert proc.returncode == 1 and "E_SCHEMA" in proc.stderr and LOCATED.search(proc.stderr)
    assert "'fall.ersattning\\n'" in proc.stderr
    path = indicator(folder, MINIMAL.format(id='"t\\n"'))
    proc = cli("validate", path, "--indicators", folder)
    assert proc.returncode == 1 and "E_SCHEMA" in proc.stderr


def test_every_schema_pattern_rejects_a_trailing_line_break():
    patterns = []
    for schema in (ROOT / "engine" / "schemas").glob("*.schema.json"):
        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("pattern"), str):
                    patterns.append(node["pattern"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)
        walk(json.loads(schema.read_text("utf-8")))
    assert patterns
    for pattern in patterns:
        assert pattern.startswith("^") and pattern.endswith("$(?!\\n)"), pattern
    for sample in ["kon", "fall.ersattning", "2018H2", "2018-12", "2018-01-01"]:
        matching = [p for p in patterns if re.search(p, sample)]
        assert matching and not any(re.search(p, sample + "\n") for p in matching), sample


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   duckdb.TransactionException('Failed to commit: Could not write file "x.wal": '
                                                               "No space left on device")])
def test_a_full_disk_in_demo_data_is_a_user_error(tmp_path, monkeypatch, error):
    from engine import synthetic

    def full(path, scale, seed, progress, resources=None):
        path.write_bytes(b"partial")
        raise error
    monkeypatch.setattr(synthetic, "_build", full)
    with pytest.raises(EngineError) as info:
        api.demo_data(tmp_path / "x.duckdb", scale=0.01)
    (d,) = info.value.diagnostics
    assert d.code == "E_DISK_FULL" and str(tmp_path / "x.duckdb") in str(d)
    assert entries(tmp_path) == []


def test_a_full_tmpfs_in_demo_data_is_a_user_error(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        proc = cli("demo-data", "--out", disk / "x.duckdb", "--scale", "0.01")
        assert proc.returncode == 1 and "E_DISK_FULL" in proc.stderr, proc.stderr
        assert entries(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_linked_file_in_the_baseline_revision_is_a_user_error(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "cat").mkdir(parents=True)
    (repo / "shared").mkdir()
    shutil.copy(ROOT / "indicators" / "model.yaml", repo / "cat" / "model.yaml")
    project = yaml.safe_load((ROOT / "indicators" / "project.yaml").read_text("utf-8"))  # its sources and reports
    for spec in project["reports"]:
        spec.pop("order", None)
    (repo / "cat" / "project.yaml").write_text(yaml.safe_dump(project, allow_unicode=True), "utf-8")
    shutil.copy(ROOT / "indicators" / "antal_gemensamma_kartlaggningar.yaml", repo / "shared")
    (repo / "cat" / "antal_gemensamma_kartlaggningar.yaml").symlink_to("../shared/antal_gemensamma_kartlaggningar.yaml")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "with a link"], check=True)
    proc = cli("diff", "--data", FIXTURE, "--period", "2018", "--rev", "HEAD", "--indicators", repo / "cat")
    assert proc.returncode == 1 and "E_REVISION" in proc.stderr and "symbolic link" in proc.stderr, proc.stderr
    assert "cat/antal_gemensamma_kartlaggningar.yaml -> ../shared/" in proc.stderr
    (repo / "cat" / "antal_gemensamma_kartlaggningar.yaml").unlink()
    (repo / "cat" / "antal_gemensamma_kartlaggningar.yaml").symlink_to(repo / "shared" / "x.yaml")  # absolute
    shutil.copy(ROOT / "indicators" / "antal_gemensamma_kartlaggningar.yaml", repo / "shared" / "x.yaml")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "absolute link"], check=True)
    proc = cli("diff", "--data", FIXTURE, "--period", "2018", "--rev", "HEAD", "--indicators", repo / "cat")
    assert proc.returncode == 1 and "E_REVISION" in proc.stderr and "E_INTERNAL" not in proc.stderr


# ---------------------------------------------------------------- 12. spreadsheets, XML, terminals

def test_csv_cells_that_would_run_as_formulas_are_escaped():
    for text in ['=HYPERLINK("http://evil.example","x")', "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "-", "=1"]:
        assert csv_cell(text) == "'" + text
    for value in ["-3", "+1.5", "-0.25", "1e5", "-2E-3", -3, -0.5, "K", "", None, "a=b"]:
        assert csv_cell(value) == value
    rows = [{"indicator": "t", "period": "2018", "breakdown": {"lan": "=HYPERLINK(\"http://x\")"}, "value": -3,
             "numerator": None, "denominator": None, "n": 4, "disclosure": None}]
    assert as_csv(rows).splitlines()[1] == "t,2018,lan,\"'=HYPERLINK(\"\"http://x\"\")\",-3,,,4,"


EVIL = {"=HYPERLINK(\"http://evil.example\",\"klicka\")": 1, "-3": 2, "@SUM(1)": 3}


def evil_dataset(tmp_path):
    """Three assessments whose cases' diagnoskod are a formula, a negative number and an @-command."""
    persons = "\n".join(f"    - {{person_id: {i}, kon: K, fodelsear: 1980}}" for i in EVIL.values())
    cases = "\n".join(f"    - {{fall_id: {i}, person_id: {i}, ersattning: sjukpenning, startdatum: 2018-01-01, "
                      f"slutdatum: null, diagnoskod: {json.dumps(code)}, avslutsorsak: null}}"
                      for code, i in EVIL.items())
    rows = "\n".join(f"    - {{kartlaggning_id: {i}, person_id: {i}, fall_id: {i}, datum: 2018-02-01}}"
                     for i in EVIL.values())
    path = tmp_path / "evil.yaml"
    path.write_text(f"inputs:\n  person:\n{persons}\n  ersattningsfall:\n{cases}\n  kartlaggning:\n{rows}\n", "utf-8")
    return path


def test_run_csv_escapes_formulas_from_the_data(tmp_path, folder):
    indicator(folder, MINIMAL.format(id="t") + "breakdowns: [fall.diagnoskod]\n")
    proc = cli("run", "--data", evil_dataset(tmp_path), "--period", "2018", "--indicators", folder,
               "--format", "csv", "--no-data-checks")
    assert proc.returncode == 0, proc.stderr
    import csv
    cells = {row["breakdown_value"] for row in csv.DictReader(proc.stdout.splitlines())}
    assert cells == {"", "K", "'=HYPERLINK(\"http://evil.example\",\"klicka\")", "-3", "'@SUM(1)"}


CONTROL = '"fyra\\e[31m röda\\a\\x0b"'  # YAML escapes: ESC [31m, BEL, vertical tab


def test_control_characters_in_published_text_are_refused_at_validate(tmp_path, folder):
    """A control character written as a YAML escape passes the reader; validate refuses it at its place,
    so it reaches neither the JUnit XML nor a terminal nor the report."""
    published = ('published:\n  - {period: "2018", value: 99, precision: 1, '
                 f'text: {CONTROL}, source: "källa\\e]0;titel\\a"}}\n')
    path = indicator(folder, MINIMAL.format(id="t") + published)
    line = path.read_text("utf-8").splitlines().index(next(x for x in path.read_text("utf-8").splitlines()
                                                            if "fyra" in x)) + 1
    junit = tmp_path / "check.xml"
    proc = cli("check", "--data", FIXTURE, "--indicators", folder, "--junit", junit, "--no-data-checks")
    assert proc.returncode == 1 and f"t.yaml:{line}:" in proc.stderr and "E_CONTROL_CHAR" in proc.stderr
    assert proc.stderr.count("E_CONTROL_CHAR the text holds the control character U+001B") == 2  # text, source
    for stream in (proc.stdout, proc.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x0b" not in stream
    assert not junit.exists() or ET.fromstring(junit.read_bytes()) is not None


def test_junit_xml_stays_well_formed_whatever_it_carries():
    assert xml_safe("fyra\x1b[31m röda\x07\x0b") == "fyra\\x1b[31m röda\\x07\\x0b"
    ET.fromstring(f"<a b='{xml_safe(chr(1) + chr(0x1b))}'>{xml_safe(chr(0xfffe) + chr(0x0c))}</a>")


def test_escape_sequences_in_diagnostics_and_tables_are_shown_not_obeyed(tmp_path, folder):
    path = indicator(folder, MINIMAL.format(id="t") + '"\\e[2Jwipe\\r": 1\n')
    proc = cli("validate", path, "--indicators", folder)
    assert proc.returncode == 1 and "E_UNKNOWN_KEY" in proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr and "\\x1b[2Jwipe\\x0d" in proc.stderr
    indicator(folder, MINIMAL.format(id="t") + "breakdowns: [fall.diagnoskod]\n")
    # a YAML dataset may not hold control characters (E_CONTROL_CHAR), so the value comes from a .duckdb file
    evil = load.load_file(evil_dataset(tmp_path), Diagnostics()).data["inputs"]
    evil["ersattningsfall"][2]["diagnoskod"] = "\x1b[31mröd\u202e\x9b"
    data = tmp_path / "ansi.duckdb"
    con = duckdb.connect(str(data))
    load_tables(con, api.checked_catalogue(folder).model, evil)
    con.close()
    proc = cli("run", "--data", data, "--period", "2018", "--indicators", folder, "--no-data-checks")
    assert proc.returncode == 0 and "\\x1b[31mröd\\u202e\\x9b" in proc.stdout
    assert not re.search("[\x1b\x9b\u202e]", proc.stdout)
    proc = cli("run", "--data", data, "--period", "2018", "--indicators", folder, "--no-data-checks",
               "--format", "json")
    assert not re.search("[\x1b\x9b\u202e]", proc.stdout)  # escaped in the JSON text, the same value to a reader
    assert "\x1b[31mröd\u202e\x9b" in {r["breakdown"].get("diagnoskod") for r in json.loads(proc.stdout)["rows"]}


def test_a_line_break_in_a_title_cannot_add_sql_to_compile_output(folder):
    text = MINIMAL.format(id="t").replace("{sv: Testindikator,", '{sv: "Test\\nDROP TABLE person;",')
    indicator(folder, text)
    proc = cli("compile", "t", "--period", "2018", "--indicators", folder)
    assert proc.returncode == 0, proc.stderr
    assert "\nDROP TABLE" not in proc.stdout and proc.stdout.startswith("-- t version 1: Test DROP TABLE person;")


def test_the_sanitisers():
    assert terminal_safe("\x1b[31mröd\x1b[0m\tok\nnästa\r\x07\u202e") == \
        "\\x1b[31mröd\\x1b[0m\tok\nnästa\\x0d\\x07\\u202e"
    assert json.loads(json_terminal_safe(json.dumps(["\x9b\u202e\x7f"], ensure_ascii=False))) == ["\x9b\u202e\x7f"]
    assert xml_safe("a\x00b\x1bc\ufffed\ud800e\tf\ng") == "a\\x00b\\x1bc\\ufffed\\ud800e\tf\ng"


def test_a_read_only_output_folder_is_named_as_read_only(tmp_path, monkeypatch):
    """Finding 14: a read-only folder was reported as 'its folder cannot be made'. (CI runs as root, for whom
    permission bits do not apply, so the access check is simulated.)"""
    from engine import cli as cli_module
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(cli_module.os, "access", lambda p, mode: False if str(p) == str(locked) else real(p, mode))
    with pytest.raises(EngineError) as caught:
        cli_module._check_outputs([locked / "run.json"], [locked / "new"])
    messages = [d.message for d in caught.value.diagnostics]
    assert any(f"the folder {locked} is read-only for this user" in m for m in messages), messages
    assert any(f"{locked / 'new'} cannot be created: {locked} is read-only" in m for m in messages), messages


def test_an_empty_data_path_with_an_output_is_reported_as_empty(tmp_path, monkeypatch):
    """`--data ''` is the empty path, not the current folder, also when an output would lie in it."""
    monkeypatch.chdir(tmp_path)
    proc = cli("run", "--data", "", "--period", "2018", "--out", "x.json")
    assert proc.returncode == 1 and "E_DATA_NOT_FOUND the dataset path is empty" in proc.stderr
    assert "E_OUT_IS_INPUT" not in proc.stderr


def test_csv_on_a_pipe_is_the_same_as_csv_in_a_file(tmp_path, folder):
    """click strips colour codes from what goes to a pipe; CSV is data and must not be altered on the way."""
    indicator(folder, MINIMAL.format(id="t") + "breakdowns: [fall.diagnoskod]\n")
    evil = load.load_file(evil_dataset(tmp_path), Diagnostics()).data["inputs"]
    evil["ersattningsfall"][2]["diagnoskod"] = "\x1b[31mröd\x1b]0;titel\x07"
    data = tmp_path / "ansi.duckdb"
    con = duckdb.connect(str(data))
    load_tables(con, api.checked_catalogue(folder).model, evil)
    con.close()
    args = ("run", "--data", data, "--period", "2018", "--indicators", folder, "--no-data-checks", "--format", "csv")
    piped = cli(*args)
    assert piped.returncode == 0, piped.stderr
    written = tmp_path / "out.csv"
    assert cli(*args, "--out", written).returncode == 0
    assert piped.stdout == written.read_text("utf-8") and "\x1b[31mröd" in piped.stdout


def test_an_unknown_revision_is_named(tmp_path):
    proc = cli("diff", "--data", FIXTURE, "--period", "2018", "--rev", "no-such-branch")
    assert proc.returncode == 1 and "E_REVISION" in proc.stderr
    assert "has no commit, branch or tag 'no-such-branch'" in proc.stderr and "exit status" not in proc.stderr
