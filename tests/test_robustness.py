"""Regression tests from an adversarial review: odd inputs give located user errors, never E_INTERNAL."""
import os
import subprocess

import duckdb
import pytest

from conftest import MINIMAL, ROOT, codes
from test_cli import cli

BASE = MINIMAL.format(id="t")


def where(condition: str) -> str:
    return BASE.replace("  period: datum\n", f"  period: datum\n  where: \"{condition}\"\n")


@pytest.mark.parametrize("text, code", [
    (BASE.replace("  period: datum\n", "  period: datum\n  fields:\n    f: {aggregate: min, of: 'samarbeten.'}\n"),
     "E_SCHEMA"),
    (BASE.replace("  period: datum\n", "  period: datum\n  fields:\n    f: {aggregate: max, of: foo.bar}\n"),
     "E_UNKNOWN_RELATIONSHIP"),
    (BASE + "breakdowns: [2018-01-01]\n", "E_SCHEMA"),
    (BASE.replace("owner: test", "owner: 2018-02-30"), "E_YAML"),
    (BASE.replace("version: 1", "version: .inf"), "E_YAML"),
    (where("(" * 200 + "datum IS NULL" + ")" * 200), "E_EXPR_TOO_DEEP"),
    (where("upper(datum) = 'x'"), "E_TYPE"),
    (where("datum IN (1, 2)"), "E_TYPE"),
    (where("datum > 'abc'"), "E_TYPE"),
    (where("NOT fall_id"), "E_TYPE"),
    (where("coalesce(fall.diagnoskod, 1) = 'x'"), "E_TYPE"),
    (where("CAST(datum - fall.startdatum + 0.5 AS INTEGER) > 1"), "E_TYPE"),
    (where("fall.person.kon = 'X'"), "E_UNKNOWN_VALUE"),
    (BASE.replace("entity: kartlaggning", "entity: mote").replace("  period: datum\n",
     "  period: datum\n  where: motestyp = 'kontaktmote_'\n"), "E_UNKNOWN_VALUE"),
])
def test_bad_definitions_are_reported_at_validation(make_catalogue, text, code):
    _, cat = make_catalogue({"t.yaml": text})
    assert code in codes(cat), [str(d) for d in cat.diagnostics]
    assert all(d.position.line for d in cat.errors if d.code == code)


def test_nested_exists_compiles_and_counts(make_catalogue, catalogue):
    text = BASE.replace("  period: datum\n", "  period: datum\n  where:\n    - exists: samarbeten\n      where:\n"
                        "        - exists: insatser\n          where: \"insatstyp = 'arbetslivsinriktad'\"\n")
    _folder, cat = make_catalogue({"t.yaml": text})
    assert not cat.errors, [str(d) for d in cat.errors]
    from engine import api
    data = ROOT / "fixtures" / "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser.yaml"
    for dialect in ("duckdb", "spark", "postgres", "trino"):
        assert "arbetslivsinriktad" in api.compile_indicator(cat, "t", "2018", dialect)
    import yaml
    inputs = yaml.safe_load(data.read_text("utf-8"))["inputs"]
    qualifying = {s["kartlaggning_id"] for s in inputs["samarbete"]
                  if any(i["samarbete_id"] == s["samarbete_id"] and i["insatstyp"] == "arbetslivsinriktad"
                         for i in inputs.get("insats", []))}
    expected = sum(1 for k in inputs["kartlaggning"] if k["kartlaggning_id"] in qualifying
                   and str(k["datum"]).startswith("2018"))
    total = next(r for r in api.run(cat, data, ["2018"]) if r["breakdown"] == {})
    assert total["value"] == expected


def test_calculated_column_type_and_name_clashes(make_catalogue):
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    bad = model.replace('''        expr: "diagnoskod LIKE 'F%'"''', '''        expr: "fall_id + 1"''')
    bad = bad.replace("reverse: moten}", "reverse: kartlaggningar}")
    _, cat = make_catalogue({"t.yaml": BASE}, model=bad)
    assert "E_TYPE" in codes(cat) and "E_MODEL_NAME_CLASH" in codes(cat)


def test_breakdown_named_like_an_output_column(make_catalogue, tmp_path):
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8").replace(
        "      datum: {type: date}\n", "      datum: {type: date}\n      value: {type: varchar, nullable: true}\n", 1)
    _folder, cat = make_catalogue({"t.yaml": BASE + "breakdowns: [value]\n"}, model=model)
    assert not cat.errors, [str(d) for d in cat.errors]
    data = tmp_path / "d.yaml"
    data.write_text("inputs:\n  kartlaggning:\n    - {kartlaggning_id: 1, person_id: 1, fall_id: 1, datum: 2018-01-01,"
                    " value: v1}\n", "utf-8")
    from engine import api
    rows = api.run(cat, data, ["2018"])
    assert {"value": "v1"} in [r["breakdown"] for r in rows]


@pytest.mark.parametrize("name, text, code", [
    ("nul.yaml", "id: a\x00b\n", "E_YAML"),
    ("alias.yaml", "id: &a [*a]\n", "E_YAML"),
])
def test_unreadable_yaml(tmp_path, name, text, code):
    folder = tmp_path
    (folder / "model.yaml").write_text((ROOT / "indicators" / "model.yaml").read_text("utf-8"), "utf-8")
    (folder / name).write_text(text, "utf-8")
    proc = cli("validate", "--indicators", folder)
    assert proc.returncode == 1 and code in proc.stderr and "E_INTERNAL" not in proc.stderr


def test_bad_fixture_and_yaml_dataset_values(tmp_path):
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    source = (ROOT / "fixtures" / "antal_kontaktmoten.yaml").read_text("utf-8")
    (fixtures / "f.yaml").write_text(source.replace("person_id: 1,", "person_id: abc,", 1), "utf-8")
    proc = cli("test", "antal_kontaktmoten", "--fixtures", fixtures)
    assert proc.returncode == 1 and "E_DATA_VALUE" in proc.stderr and "E_INTERNAL" not in proc.stderr
    data = tmp_path / "d.yaml"
    data.write_text("inputs:\n  persn: []\n  person: [1, 2]\n  mote:\n    - {mote_id: 1, dattum: 2018-01-01}\n",
                    "utf-8")
    proc = cli("run", "--data", data, "--period", "2018")
    assert proc.returncode == 1
    for code in ("E_UNKNOWN_ENTITY", "E_SCHEMA", "E_UNKNOWN_COLUMN"):
        assert code in proc.stderr


def test_periods_are_ascii_and_real():
    for bad in ("0000", "２０１８"):
        proc = cli("compile", "antal_kontaktmoten", "--period", bad)
        assert proc.returncode == 1 and "E_PERIOD" in proc.stderr


def test_tables_in_another_schema(tmp_path, catalogue):
    from engine import api
    from engine.execute import load_tables
    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA s")
    con.execute("SET schema = 's'")
    load_tables(con, catalogue.model, {})
    con.close()
    rows = api.run(catalogue, db, ["2018"], ["antal_kontaktmoten"])
    assert rows[0]["value"] == 0


def test_out_never_replaces_a_folder_a_link_or_a_device(tmp_path):
    data = ROOT / "fixtures" / "antal_kontaktmoten.yaml"
    args = ["run", "--data", data, "--period", "2018", "--indicator", "antal_kontaktmoten", "--format", "json"]
    proc = cli(*args, "--out", tmp_path)
    assert proc.returncode == 1 and "E_OUT" in proc.stderr
    target = tmp_path / "real.json"
    target.write_text("old", "utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert cli(*args, "--out", link).returncode == 0
    assert link.is_symlink() and target.read_text("utf-8").startswith("{")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    assert cli(*args, "--out", fifo).returncode == 0
    assert reader.communicate(timeout=30)[0].startswith("{")
    assert not fifo.is_file()


def test_revision_is_not_an_option(tmp_path):
    data = ROOT / "fixtures" / "antal_kontaktmoten.yaml"
    proc = cli("diff", "--data", data, "--period", "2018", "--rev", f"--output={tmp_path / 'x'}")
    assert proc.returncode == 1 and "E_REVISION" in proc.stderr and not (tmp_path / "x").exists()
    proc = cli("diff", "--data", data, "--period", "2018", "--rev", "HEAD", "--indicator", "nosuch")
    assert proc.returncode == 1 and "E_UNKNOWN_INDICATOR" in proc.stderr


def test_repeated_period_and_indicator_give_each_row_once():
    data = ROOT / "fixtures" / "antal_kontaktmoten.yaml"
    proc = cli("run", "--data", data, "--period", "2018", "--period", "2018", "--indicator", "antal_kontaktmoten",
               "--indicator", "antal_kontaktmoten", "--format", "csv", "--no-data-checks")
    lines = proc.stdout.splitlines()
    assert len(lines) == len(set(lines))
