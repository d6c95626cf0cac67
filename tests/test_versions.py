"""Versions that mean something (engine.semantic, engine.versions) and sources as data.

Each test copies the catalogue with its committed lock, changes one thing as an analyst
would, and holds validate, lock and explain to what the change means.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CATALOGUE_DIR, codes
from engine import api
from engine.catalogue import load_catalogue
from engine.cli import main
from engine.diagnostics import EngineError
from engine.explain import explain
from engine.semantic import meaning
from engine.versions import LOCK_FILE, read_lock

SHARE = "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser"
BASE = "antal_avslutade_efter_insats"


@pytest.fixture
def copy(tmp_path) -> Path:
    folder = tmp_path / "indicators"
    shutil.copytree(CATALOGUE_DIR, folder)
    assert (folder / LOCK_FILE).is_file(), "the catalogue's lock is committed beside it"
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def errors(folder: Path) -> list:
    return load_catalogue(folder).errors


def test_the_committed_lock_records_every_indicator_at_its_version(catalogue):
    lock = read_lock(catalogue.directory)
    assert lock is not None and set(lock) == set(catalogue.indicators)
    for ident, bound in catalogue.indicators.items():
        assert lock[ident][-1].version == bound.info.version
        assert lock[ident][-1].hash == meaning(bound).hash


def test_words_layout_and_published_figures_are_not_meaning(copy, catalogue):
    name = f"{SHARE}.yaml"
    edit(copy, name, "version: 1", "version: 1   # a comment")
    edit(copy, name, "  sv: Andel som lämnat", "  sv:   Andel (ny titel) som lämnat")
    edit(copy, name, "published:\n", "published:\n  - {period: \"2016\", holds: above, value: 0.1, "
                                     "source: aterrapportering_2019_forstarkt_stod}\n")
    edit(copy, name, "breakdowns: [fall.ersattning]", "breakdowns:\n  - fall.ersattning")
    copied = load_catalogue(copy)
    assert copied.errors == []
    assert meaning(copied.get(SHARE)).hash == meaning(catalogue.get(SHARE)).hash


def test_the_hash_does_not_depend_on_where_the_catalogue_lies(copy, catalogue):
    copied = load_catalogue(copy)
    assert {i: meaning(b).hash for i, b in copied.indicators.items()} == \
        {i: meaning(b).hash for i, b in catalogue.indicators.items()}


def test_a_changed_condition_without_a_raised_version_is_refused_at_the_version(copy):
    edit(copy, f"{SHARE}.yaml", "where: insatstyp = 'arbetslivsinriktad'",
         "where: insatstyp = 'arbetslivsinriktad' AND startdatum >= period_start")
    found = errors(copy)
    assert [d.code for d in found] == ["E_VERSION_NOT_RAISED"]
    error = found[0]
    assert error.position.file.endswith(f"{SHARE}.yaml") and error.position.line == 3
    assert "the population" in error.message and "version 1" in error.message
    assert "version: 2" in error.hint and "changes:" in error.hint and "indicators lock" in error.hint


def test_a_changed_measure_is_named(copy):
    edit(copy, "kontaktmoten_per_person.yaml", "denominator: {aggregate: count_distinct, of: person_id}",
         "denominator: {aggregate: count}")
    found = [d for d in errors(copy) if d.code == "E_VERSION_NOT_RAISED"]
    assert len(found) == 1 and "(the measure)" in found[0].message


def test_a_changed_calculated_column_flags_every_indicator_that_uses_it(copy, catalogue):
    edit(copy, "model.yaml", ", 'oppet_arbetslos')\"", ")\"")
    flagged = {Path(d.position.file).stem for d in errors(copy) if d.code == "E_VERSION_NOT_RAISED"}
    users = {i for i, doc in catalogue.documents.items() if "lamnat_sjukforsakringen" in doc.text}
    assert users and flagged == users


def test_a_changed_base_population_flags_the_indicators_built_on_it(copy, catalogue):
    edit(copy, f"{BASE}.yaml", "where: avslutsorsak = 'efter_insats'",
         "where: avslutsorsak = 'efter_insats' AND fall.ersattning = 'sjukpenning'")
    flagged = {Path(d.position.file).stem for d in errors(copy) if d.code == "E_VERSION_NOT_RAISED"}
    built_on = {i for i, b in catalogue.indicators.items() if BASE in b.population_from}
    assert built_on and flagged == {BASE} | built_on


def test_a_bump_needs_a_changes_entry_then_the_lock(copy):
    name = f"{SHARE}.yaml"
    edit(copy, name, "where: insatstyp = 'arbetslivsinriktad'",
         "where: insatstyp = 'arbetslivsinriktad' AND startdatum >= period_start")
    edit(copy, name, "version: 1", "version: 2")
    assert [d.code for d in errors(copy)] == ["E_CHANGES_MISSING", "E_LOCK_STALE"]
    edit(copy, name, "version: 2", "version: 2\nchanges:\n  - {version: 2, date: \"2026-12-02\", "
                                   "what: Bara insatser som startat under perioden., why: Ett test.}")
    assert [d.code for d in errors(copy)] == ["E_LOCK_STALE"]
    result = CliRunner().invoke(main, ["lock", "--indicators", str(copy)])
    assert result.exit_code == 0, result.output
    assert f"{SHARE}: version 2 recorded (was 1)" in result.output
    assert errors(copy) == []
    recorded = read_lock(copy)
    assert recorded is not None and [r.version for r in recorded[SHARE]] == [1, 2]
    lines = (copy / LOCK_FILE).read_text(encoding="utf-8").splitlines()
    assert sum(SHARE in line for line in lines) == 1 and json.loads("\n".join(lines))["format"] == 1


def test_the_history_is_shown_and_an_unchanged_description_is_flagged(copy):
    name = f"{SHARE}.yaml"
    edit(copy, name, "where: insatstyp = 'arbetslivsinriktad'",
         "where: insatstyp = 'arbetslivsinriktad' AND startdatum >= period_start")
    before_bump = explain(api.checked_catalogue(copy, versions=False), SHARE, ("sv",))
    assert "W_DESCRIPTION_STALE" in before_bump and "written before the change" in before_bump
    edit(copy, name, "version: 1", "version: 2\nchanges:\n  - {version: 2, date: \"2026-12-02\", "
                                   "what: Bara insatser som startat under perioden., why: Ett test.}")
    api.lock(load_catalogue(copy))
    text = explain(api.checked_catalogue(copy), SHARE, ("sv",))
    assert "version 2 (2026-12-02): Bara insatser som startat under perioden." in text
    assert "the description is unchanged since version 1" in text
    edit(copy, name, "(oavsett datum)", "(som startat under perioden)")
    assert "W_DESCRIPTION_STALE" not in explain(api.checked_catalogue(copy), SHARE, ("sv",))


def test_versions_only_go_up_and_the_lock_refuses_a_changed_meaning(copy):
    lock = copy / LOCK_FILE
    lock.write_text(re.sub(rf'("{SHARE}": \[\n\s*\{{"version": )1', r"\g<1>3", lock.read_text("utf-8")), "utf-8")
    assert "E_VERSION_LOWERED" in codes(load_catalogue(copy))
    shutil.copy(CATALOGUE_DIR / LOCK_FILE, lock)
    edit(copy, f"{SHARE}.yaml", "where: insatstyp = 'arbetslivsinriktad'", "where: insatstyp = 'forberedande'")
    with pytest.raises(EngineError) as refused:
        api.lock(load_catalogue(copy))
    assert [d.code for d in refused.value.diagnostics] == ["E_VERSION_NOT_RAISED"]


def test_a_broken_lock_is_located_and_a_missing_entry_only_warns(copy):
    lock = copy / LOCK_FILE
    text = lock.read_text(encoding="utf-8")
    lock.write_text(text[: len(text) // 2], encoding="utf-8")
    assert [d.code for d in errors(copy)] == ["E_LOCK_INVALID"]
    data = json.loads(text)
    del data["indicators"][SHARE]
    lock.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_catalogue(copy)
    assert loaded.errors == [] and [d.code for d in loaded.diagnostics] == ["W_NOT_LOCKED"]
    lock.unlink()  # a catalogue without a lock (a new one) is not held to one
    assert load_catalogue(copy).diagnostics == []


def test_reviewer_commands_run_before_the_bump_and_validate_refuses(copy):
    edit(copy, f"{SHARE}.yaml", "where: insatstyp = 'arbetslivsinriktad'", "where: insatstyp = 'forberedande'")
    runner = CliRunner()
    assert runner.invoke(main, ["validate", "--indicators", str(copy)]).exit_code == 1
    shown = runner.invoke(main, ["explain", SHARE, "--indicators", str(copy)])
    assert shown.exit_code == 0 and "E_VERSION_NOT_RAISED" in shown.output
    assert runner.invoke(main, ["compile", SHARE, "--period", "2018", "--indicators", str(copy)]).exit_code == 0


# ---------------------------------------------------------------- sources as data


def test_every_figure_cites_a_declared_source_with_a_full_citation(catalogue):
    assert catalogue.project.sources
    for bound in catalogue.indicators.values():
        for figure in bound.info.published:
            assert figure.source in catalogue.project.sources
            citation = catalogue.project.citation(figure.source, figure.at)
            assert "Försäkringskassan" in citation and "2019-05-17" in citation


def test_an_unknown_source_is_located_with_what_to_write(copy):
    name = "antal_kontaktmoten.yaml"
    text = (copy / name).read_text(encoding="utf-8")
    first = re.search(r"source: aterrapportering_2019_forstarkt_stod, at: \"([^\"]*)\"", text)
    assert first is not None
    edit(copy, name, first.group(0), f'source: "aterrapportering_2019_forstarkt_stod, {first.group(1)}"')
    edit(copy, "project.yaml", "source: aterrapportering_2019_samordningsforbund",
         "source: aterrapportering_2019_samordningsforbun")
    found = [d for d in errors(copy) if d.code == "E_UNKNOWN_SOURCE"]
    assert len(found) == 2
    by_file = {Path(d.position.file).name: d for d in found}
    assert f'at: "{first.group(1)}"' in by_file[name].hint and by_file[name].position.line > 1
    assert "did you mean 'aterrapportering_2019_samordningsforbund'" in by_file["project.yaml"].hint


def test_figure_ids_are_stable_and_unique(catalogue):
    ids = [f.id for b in catalogue.indicators.values() for f in b.info.published]
    assert len(ids) == len(set(ids))
    share = {f.id for f in catalogue.get("andel_lamnat_sjukforsakringen_efter_insats").info.published}
    assert "andel_lamnat_sjukforsakringen_efter_insats/2018/ersattning=aktivitetsersattning/1" in share
    assert "andel_lamnat_sjukforsakringen_efter_insats/2018/total/1" in share


def test_a_declared_figure_id_must_be_unique(copy):
    name = "antal_kontaktmoten.yaml"
    assert len(re.findall(r"(?m)^  - \{period", (copy / name).read_text(encoding="utf-8"))) >= 2
    edit(copy, name, "  - {period", "  - {id: kontaktmoten/dubblett, period")
    assert errors(copy) == []
    edit(copy, name, "  - {period", "  - {id: kontaktmoten/dubblett, period")
    found = [d for d in errors(copy) if d.code == "E_DUPLICATE_ID"]
    assert len(found) == 1 and "kontaktmoten/dubblett" in found[0].message and found[0].position.line > 1
