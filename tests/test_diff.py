"""`indicators diff` for reviewers: which published figures a change moves, and why.

A copy of the catalogue (with its definitions.lock) gets a one-line change and is compared
with the original on a small synthetic extract: the verdict of every published figure
before and after (exit 1 when one changes, unless accepted), the rows with their
numerators and denominators, the model part that changed and every indicator using it,
the missing version bump, the YAML and SQL diffs.
"""
import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from engine import api
from engine.diff import CatalogueDiff, DefinitionChange, FigureVerdict, RowChange, as_markdown, as_table

ORIGINAL = ROOT / "indicators"
CALCULATED = "samarbete.lamnat_sjukforsakringen"
DROPPED = ", 'oppet_arbetslos')"


def cli(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "demo.duckdb"
    api.demo_data(path, scale=0.02)
    return path


def copy_catalogue(target):
    shutil.copytree(ORIGINAL, target)
    assert (target / "definitions.lock").is_file()
    return target


def edit(path, old, new):
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture(scope="module")
def model_changed(tmp_path_factory):
    """The reviewer's scenario: `oppet_arbetslos` dropped from the calculated column lamnat_sjukforsakringen."""
    folder = copy_catalogue(tmp_path_factory.mktemp("model") / "indicators")
    edit(folder / "model.yaml", DROPPED, ")")
    return folder


def catalogues(folder):
    return (api.checked_catalogue(folder, versions=False),
            api.checked_catalogue(ORIGINAL, versions=False, lenient=api.BASELINE_LENIENT))


@pytest.fixture(scope="module")
def model_diff(model_changed, data) -> CatalogueDiff:
    working, baseline = catalogues(model_changed)
    return api.diff(working, baseline, data, ["2018"])


def users_of_the_calculated_column() -> set[str]:
    """Independently of engine.diff: the indicators whose compiled SQL holds the dropped value."""
    baseline = api.checked_catalogue(ORIGINAL, versions=False)
    return {i for i in baseline.indicators if "'oppet_arbetslos'" in api.compile_indicator(baseline, i, "2018")}


def verdicts_by_check(folder, data, ids) -> dict[str, bool]:
    """Independently of engine.diff: each published figure's verdict as `check` holds it."""
    catalogue = api.checked_catalogue(folder, versions=False, lenient=api.BASELINE_LENIENT)
    result = api.check(catalogue, data, indicator_ids=ids, data_checks=False)
    figure_ids = [f.id for b in catalogue.select(ids) for f in b.info.published]
    assert len(figure_ids) == len(result.figures)
    return {ident: f.holds for ident, f in zip(figure_ids, result.figures, strict=True)}


def test_the_figures_whose_verdict_moves_are_those_check_sees_move(model_diff, model_changed, data):
    users = sorted(users_of_the_calculated_column())
    assert users == ["andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser",
                     "andel_lamnat_sjukforsakringen_efter_insats"]
    before, after = verdicts_by_check(ORIGINAL, data, users), verdicts_by_check(model_changed, data, users)
    moved = {ident for ident in before if before[ident] != after[ident]}
    assert moved, "the scenario must move at least one published figure on the demo extract"
    assert {f.id for f in model_diff.changed_figures} == moved
    assert {f.id for f in model_diff.figures} == set(before)  # every figure of a changed indicator, any period
    for f in model_diff.figures:
        assert (f.old_holds, f.new_holds) == (before[f.id], after[f.id])
        assert f.status == ("changed" if f.id in moved else "same") and f.source and ".yaml:" in f.position
    assert model_diff.summary()["figures_changed"] == len(moved) == len(model_diff.blocking)


def test_the_model_change_lists_every_indicator_using_the_calculated_column(model_diff):
    (change,) = model_diff.model_changes
    assert (change.kind, change.name, change.verb) == ("calculated column", CALCULATED, "changed")
    assert "'oppet_arbetslos'" in change.before and "'oppet_arbetslos'" not in change.after
    assert set(change.indicators) == users_of_the_calculated_column()
    assert [d.indicator for d in model_diff.definitions] == sorted(change.indicators)
    for d in model_diff.definitions:
        assert f"calculated column {CALCULATED} changed in model.yaml" in d.reasons
        assert d.meaning_parts == ["the measure"] and d.hash_old != d.hash_new
        assert "-        expr: \"utfall IN ('arbete', 'utbildning', 'arbetsmarknadspolitiskt_program', " \
               "'oppet_arbetslos')\"" in d.yaml_diff
        assert d.yaml_diff.count("@@ ") == 1  # only the hunk of the calculated column
        assert "'oppet_arbetslos'" in "".join(line for line in d.sql_diff.splitlines() if line.startswith("-"))
        assert d.sql_period == "2018"


def test_the_missing_version_bump_is_reported(model_diff):
    assert model_diff.missing_bumps == sorted(users_of_the_calculated_column())
    for d in model_diff.definitions:
        assert (d.version_old, d.version_new, d.version_status) == (1, 1, "not raised")
        assert any("E_VERSION_NOT_RAISED" in text for text in d.findings)  # what validate says too
    assert model_diff.summary()["missing_version_bumps"] == 2


def test_a_raised_version_is_no_missing_bump(tmp_path, data):
    folder = copy_catalogue(tmp_path / "indicators")
    edit(folder / "model.yaml", DROPPED, ")")
    for ident in users_of_the_calculated_column():
        edit(folder / f"{ident}.yaml", "\nversion: 1\n", "\nversion: 2\nchanges:\n  - {version: 2, date: \"2026-01-"
             "05\", what: Öppet arbetslösa räknas inte längre., why: Ny avgränsning.}\n")
    working, baseline = catalogues(folder)
    result = api.diff(working, baseline, data, ["2018"])
    assert result.missing_bumps == []
    assert {d.version_status for d in result.definitions} == {"raised"}
    assert all(any("E_LOCK_STALE" in t for t in d.findings) for d in result.definitions)  # lock not yet run


def test_shares_show_numerator_and_denominator(model_diff):
    shares = [r for r in model_diff.rows if r.unit == "share"]
    assert shares and len(shares) == len(model_diff.rows)
    for r in shares:
        assert r.before is not None and r.after is not None
        assert r.after["numerator"] < r.before["numerator"] and r.after["denominator"] == r.before["denominator"]
        assert r.old_text.endswith("\u00a0%") and r.difference_text.endswith("procentenheter")
        assert r.difference == pytest.approx((r.after["value"] - r.before["value"]) * 100)
    total = next(r for r in shares if r.breakdown == {} and r.indicator.endswith("_efter_insats"))
    assert total.figures == ["andel_lamnat_sjukforsakringen_efter_insats/2018/total/1"]
    assert re.fullmatch(r"\d+\u00a0%", total.old_text)  # the published figure's precision: 58 %
    table = as_table(model_diff)
    line = next(x for x in table.splitlines() if "published: andel_lamnat_sjukforsakringen_efter_insats/2018/total"
                in x)
    assert f"{total.before['numerator']} → {total.after['numerator']}" in line
    assert str(total.before["denominator"]) in line


def test_the_reviewer_gets_exit_1_and_how_to_accept(model_changed, model_diff, data):
    args = ["diff", "--data", data, "--period", "2018", "--indicators", model_changed, "--baseline", ORIGINAL]
    proc = cli(*args)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    summary = model_diff.summary()
    hidden = f" ({summary['rows_not_compared']} more not compared: suppressed)" if summary["rows_not_compared"] else ""
    assert lines[0] == (f"{summary['rows_changed']} row(s) changed{hidden}, {summary['figures_changed']} published "
                        "figure(s) changed verdict, 2 definition(s) changed, 2 missing version bump(s)")
    moved = [f.id for f in model_diff.changed_figures]
    for ident in moved:
        assert re.search(rf"^\s+{re.escape(ident)}\s.*\bja\s+NEJ\s+CHANGED$", proc.stdout, re.M), ident
        assert f"--accept {ident}" in proc.stderr
    assert "E_VERDICT_CHANGED" in proc.stderr and "--accept-all" in proc.stderr
    assert "NOT RAISED" in proc.stdout and f"calculated column {CALCULATED} changed" in proc.stdout
    assert "used by: andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser, " \
           "andel_lamnat_sjukforsakringen_efter_insats" in proc.stdout
    assert "YAML diff:" in proc.stdout and "SQL diff (2018, duckdb):" in proc.stdout
    assert "published: andel_lamnat_sjukforsakringen_efter_insats/2018/total/1" in proc.stdout

    accepted = cli(*args, *[x for ident in moved for x in ("--accept", ident)])
    assert accepted.returncode == 0, accepted.stderr
    assert "E_VERDICT_CHANGED" not in accepted.stderr and "CHANGED (accepted)" in accepted.stdout
    assert "(all accepted)" in accepted.stdout.splitlines()[0]
    partly = cli(*args, "--accept", moved[0])
    assert partly.returncode == 1 and f"--accept {moved[0]} " not in partly.stderr + " "
    assert cli(*args, "--accept-all").returncode == 0
    typo = cli(*args, "--accept", moved[0] + "x")
    assert typo.returncode == 1 and "E_UNKNOWN_FIGURE" in typo.stderr and f"did you mean '{moved[0]}'" in typo.stderr


def test_json_is_the_whole_diff(model_changed, model_diff, data):
    proc = cli("diff", "--data", data, "--period", "2018", "--indicators", model_changed, "--baseline", ORIGINAL,
               "--format", "json", "--accept-all")
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert set(document) == {"baseline", "periods", "summary", "missing_version_bumps", "findings", "model_changes",
                             "model_diff", "definitions", "figures", "rows", "rows_not_compared"}
    assert document["summary"] == {**model_diff.summary(), "figures_not_accepted": 0}
    assert document["periods"] == ["2018"] and document["baseline"] == str(ORIGINAL)
    figure = document["figures"][0]
    assert set(figure) == {"id", "indicator", "period", "breakdown", "label", "status", "published",
                           "published_before", "text", "old", "new", "changed", "accepted", "source", "position"}
    assert set(figure["old"]) == {"computed", "holds", "verdict", "reason"}
    assert all(f["accepted"] for f in document["figures"])
    row = document["rows"][0]
    assert set(row["before"]) == {"value", "numerator", "denominator", "n"}
    assert {"old_text", "new_text", "difference", "difference_text", "figures", "status", "label"} <= set(row)
    definition = document["definitions"][0]
    assert definition["version"] == {"old": 1, "new": 1, "status": "not raised"}
    assert definition["yaml_diff"].startswith("--- a/") and definition["sql_diff"].startswith("--- a/")
    assert document["model_changes"][0]["indicators"] == sorted(users_of_the_calculated_column())


def test_markdown_for_a_merge_request(model_changed, data, tmp_path):
    out = tmp_path / "comment.md"
    proc = cli("diff", "--data", data, "--period", "2018", "--indicators", model_changed, "--baseline", ORIGINAL,
               "--format", "markdown", "--out", out)
    assert proc.returncode == 1 and proc.stdout == ""
    text = out.read_text("utf-8")
    assert text.startswith("## indicators diff\n")
    assert "| Figur | Period | Publicerat |" in text and "| CHANGED |" in text
    assert "| Täljare | Nämnare |" in text
    assert "```diff\n--- a/indicators/model.yaml" in text and "<details><summary>SQL diff" in text
    assert "\\-\\-accept" not in text and "andel\\_lamnat" in text  # Markdown is escaped in text, not in code


def test_a_changed_condition_moves_its_base_and_what_is_built_on_it(tmp_path, data):
    folder = copy_catalogue(tmp_path / "indicators")
    edit(folder / "antal_avslutade_efter_insats.yaml", "  where: avslutsorsak = 'efter_insats'\n",
         "  where:\n    - avslutsorsak = 'efter_insats'\n    - utfall <> 'annat'\n")
    working, baseline = catalogues(folder)
    result = api.diff(working, baseline, data, ["2018"])
    by_id = {d.indicator: d for d in result.definitions}
    base = by_id["antal_avslutade_efter_insats"]
    assert base.reasons[0] == "population changed in antal_avslutade_efter_insats.yaml"
    assert "+    - utfall <> 'annat'" in base.yaml_diff and "utfall <> 'annat'" in base.sql_diff
    derived = {i for i, b in working.indicators.items() if "antal_avslutade_efter_insats" in b.population_from}
    assert derived and set(by_id) == derived | {"antal_avslutade_efter_insats"}
    for ident in derived:
        assert "population base antal_avslutade_efter_insats changed in antal_avslutade_efter_insats.yaml" \
            in by_id[ident].reasons
        assert "+    - utfall <> 'annat'" in by_id[ident].yaml_diff
    assert result.model_changes == [] and result.missing_bumps == sorted(by_id)
    counts = [r for r in result.rows if r.indicator == "antal_avslutade_efter_insats"]
    assert counts and all(r.after["value"] <= r.before["value"] for r in counts)
    assert all(r.difference_text.startswith("−") or r.difference_text == "±0" for r in counts)


def test_a_figure_added_or_edited_is_held_too(tmp_path, data):
    folder = copy_catalogue(tmp_path / "indicators")
    path = folder / "antal_kontaktmoten.yaml"
    text = path.read_text("utf-8")
    first = next(line for line in text.splitlines() if line.startswith("  - {period: \"2018\""))
    edit(path, first + "\n", first + "\n" + first.replace('"2018"', '"2019"') + "\n")
    working, baseline = catalogues(folder)
    result = api.diff(working, baseline, data, ["2018"])
    added = [f for f in result.figures if f.status == "added"]
    assert [f.id for f in added] == ["antal_kontaktmoten/2019/total/1"]
    assert added[0].old_holds is None and added[0].changed == (not added[0].new_holds)
    assert result.rows == [] and [d.indicator for d in result.definitions] == ["antal_kontaktmoten"]
    assert result.definitions[0].version_status == "unchanged"  # a figure is no part of the meaning
    assert result.definitions[0].reasons == ["published changed in antal_kontaktmoten.yaml"]


def test_an_unchanged_catalogue_has_no_differences(tmp_path, data):
    folder = copy_catalogue(tmp_path / "indicators")
    proc = cli("diff", "--data", data, "--period", "2018", "--indicators", folder, "--baseline", ORIGINAL)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "no differences" in proc.stderr
    working, baseline = catalogues(folder)
    result = api.diff(working, baseline, data, ["2018", "2017"])
    assert result.empty and result.as_dict()["summary"] == {
        "rows_changed": 0, "rows_not_compared": 0, "figures_changed": 0, "figures_not_accepted": 0,
        "definitions_changed": 0, "model_changes": 0, "missing_version_bumps": 0}


def test_a_git_revision_is_the_baseline(tmp_path, data):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    folder = copy_catalogue(repo / "indicators")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "catalogue"], check=True)
    args = ["diff", "--data", data, "--period", "2018", "--indicators", folder, "--rev", "HEAD"]
    proc = cli(*args)
    assert proc.returncode == 0 and "no differences" in proc.stderr
    edit(folder / "model.yaml", DROPPED, ")")
    proc = cli(*args, "--indicator", "andel_lamnat_sjukforsakringen_efter_insats")
    assert proc.returncode == 1 and "E_VERDICT_CHANGED" in proc.stderr
    assert "baseline HEAD; period(s) 2018" in proc.stdout and "NOT RAISED" in proc.stdout
    assert "--- a/indicators/model.yaml" in proc.stdout
    assert "== andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser" not in proc.stdout  # not selected


def test_text_from_data_is_shown_not_obeyed():
    row = RowChange("x", "2018", {"kon": "\x1b[31mK"}, {"value": 1, "numerator": None, "denominator": None, "n": 1},
                    None, "count", "Kön: \x1b[31mK", "1", "(ingen rad)", None, "–", [])
    figure = FigureVerdict("x/2018/total/1", "x", "2018", {}, "Totalt", "1", None, "\u202eett", "1", "2", True,
                           False, "", "r", True, "källa", "x.yaml:1:1")
    definition = DefinitionChange("x", "changed", "X", "x.yaml", 1, 1, "a", "b", "not raised", ["the measure"],
                                  ["\x1b]0;title\x07"], "--- a/x\n+++ b/x\n+\x1b[2J\n", "", "2018", [])
    diff = CatalogueDiff("HEAD", ["2018"], [row], [figure], [definition])
    for text in (as_table(diff), as_markdown(diff)):
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
        assert "\\x1b" in text and "\\x1b[2J" in text  # shown (in Markdown text, escaped: \\x1b\\[31mK)
    assert "Kön: \\x1b[31mK" in as_table(diff)
