"""`indicators init DIR`: a catalogue of one's own that validates, passes its fixture and snapshots at once."""
import json
import os
import subprocess
import sys

import pytest

from conftest import MINIMAL, ROOT
from engine import scaffold
from engine.api import init_catalogue
from engine.catalogue import load_catalogue, schema_reference
from engine.diagnostics import EngineError

SCHEMA_LINE = "# yaml-language-server: $schema="


def cli(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120, check=False,
                          env=os.environ | {"PYTHONPATH": str(ROOT)})  # this engine, wherever cwd is
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_init_writes_a_catalogue_that_validates_passes_its_fixture_and_takes_snapshots(tmp_path):
    target = tmp_path / "mine"
    proc = cli("init", target)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no staging folder left behind
    assert {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} == set(scaffold.skeleton())
    catalogue = target / "indicators"

    proc = cli("validate", "--indicators", catalogue)
    assert proc.returncode == 0 and proc.stderr == "ok: 1 indicator(s) valid\n", proc.stderr  # not even a warning
    proc = cli("test", "--indicators", catalogue)  # the fixtures are found in mine/fixtures
    assert proc.returncode == 0 and f"ok   {scaffold.EXAMPLE_ID}" in proc.stdout and "1 passed, 0 failed" in proc.stdout
    proc = cli("snapshots", "--indicators", catalogue)
    assert proc.returncode == 1 and "missing" in proc.stderr
    proc = cli("snapshots", "--update", "--indicators", catalogue)
    assert proc.returncode == 0 and (target / "tests" / "snapshots" / scaffold.EXAMPLE_ID / "duckdb.sql").is_file()
    proc = cli("snapshots", "--indicators", catalogue)
    assert proc.returncode == 0, proc.stderr


def test_every_schema_line_resolves_to_a_copy_of_the_engines_schema(tmp_path):
    init_catalogue(tmp_path / "mine")
    files = sorted((tmp_path / "mine").rglob("*.yaml"))
    assert len(files) == 4
    for path in files:
        first = path.read_text("utf-8").splitlines()[0]
        assert first.startswith(SCHEMA_LINE), path
        schema = path.parent / first.removeprefix(SCHEMA_LINE)
        assert schema.resolve().parent == (tmp_path / "mine" / "schemas").resolve()
        assert json.loads(schema.read_text("utf-8")) == json.loads((ROOT / "engine" / "schemas" / schema.name)
                                                                   .read_text("utf-8"))


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine", "utf-8")
    proc = cli("init", target)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{target}: E_NOT_EMPTY ") and "hint:" in proc.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_init_refuses_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x", "utf-8")
    proc = cli("init", target)
    assert proc.returncode == 1 and proc.stderr.startswith(f"{target}: E_OUT ") and "hint:" in proc.stderr
    assert target.read_text("utf-8") == "x"


def test_init_fills_an_empty_folder_even_the_working_directory(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()
    inode = target.stat().st_ino
    proc = cli("init", ".", cwd=target)
    assert proc.returncode == 0, proc.stderr
    assert target.stat().st_ino == inode  # filled in place, not replaced under the shell standing in it
    assert load_catalogue(target / "indicators").errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_a_failed_init_leaves_nothing_behind(tmp_path, monkeypatch):
    def refuse(*args):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(scaffold.os, "rename", refuse)
    with pytest.raises(EngineError) as info:
        init_catalogue(tmp_path / "mine")
    (d,) = info.value.diagnostics
    assert (d.code, d.position.file) == ("E_OUT", str(tmp_path / "mine")) and "Permission denied" in d.message
    assert list(tmp_path.iterdir()) == []


def test_the_schema_line_hint_names_the_schema_relative_to_the_file(tmp_path, make_catalogue):
    assert schema_reference(ROOT / "indicators" / "x.yaml", ROOT / "indicators") == \
        "../engine/schemas/indicator.schema.json"
    init_catalogue(tmp_path / "mine")
    own = tmp_path / "mine" / "indicators" / "nested" / "x.yaml"
    assert schema_reference(own, tmp_path / "mine" / "indicators") == "../../schemas/indicator.schema.json"

    folder, _ = make_catalogue({})  # elsewhere, no schemas/ folder: the engine's, relative to the file
    (folder / "plain.yaml").write_text(MINIMAL.format(id="plain"), "utf-8")
    (warning,) = [d for d in load_catalogue(folder).diagnostics if d.code == "W_SCHEMA_LINE"]
    reference = warning.hint.split("$schema=", 1)[1]
    assert (folder / reference).resolve() == (ROOT / "engine" / "schemas" / "indicator.schema.json").resolve()
