"""A command about one indicator loads only it and its bases (engine.selective): `compile`, `explain` and
`attrition` give what the full load gives, report that indicator's and its bases' errors as before, are not
stopped by errors in unrelated files (which validate and the commands over the whole catalogue still refuse),
and the catalogue hash in the compiled SQL's header is the full catalogue's."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import CATALOGUE_DIR, MINIMAL, ROOT, SCHEMA_LINE
from engine import api
from engine.catalogue import display_path, load_catalogue
from engine.cli import main
from engine.diagnostics import Diagnostics
from engine.explain import explain
from engine.load import load_text
from engine.provenance import catalogue_hash
from engine.render import DIALECTS, CompileRefused
from engine.selective import declared_id, load_selected

GENERATED = re.compile(r"^-- generated at: .*\n", re.M)
CATALOGUE_LINE = re.compile(r"^-- catalogue: .*$", re.M)
SUMMARY = re.compile(r"(\d+ error\(s\)), \d+ warning\(s\)")


def invoke(*args: str | Path, selective: bool = True):
    """A command in process (CliRunner), with the selective load or the full one (INDICATORS_SELECTIVE=0)."""
    result = CliRunner().invoke(main, [str(a) for a in args], env={"INDICATORS_SELECTIVE": "1" if selective else "0"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def same_as_full(*args: str | Path) -> tuple:
    """The command with the selective and with the full load: same exit code and stdout (but the time it was
    generated), and the selective load's stderr lines among the full load's (it leaves out other files')."""
    part, whole = invoke(*args), invoke(*args, selective=False)
    assert part.exit_code == whole.exit_code, (part.stderr, whole.stderr)
    assert GENERATED.sub("", part.stdout) == GENERATED.sub("", whole.stdout)
    assert set(part.stderr.splitlines()) - set(whole.stderr.splitlines()) <= {
        line for line in part.stderr.splitlines() if SUMMARY.fullmatch(line)}, (part.stderr, whole.stderr)
    assert errors(part.stderr) == errors(whole.stderr)
    return part, whole


def errors(stderr: str) -> list[str]:
    """The errors a command printed, each with its hint, and their count."""
    lines = stderr.splitlines()
    found = [f"{line}\n{lines[i + 1] if i + 1 < len(lines) else ''}" for i, line in enumerate(lines)
             if re.search(r": E_[A-Z_]+ ", line)]
    return found + [m.group(1) for line in lines if (m := SUMMARY.fullmatch(line))]


@pytest.fixture
def copy(tmp_path) -> Path:
    folder = tmp_path / "indicators"
    shutil.copytree(CATALOGUE_DIR, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def based(catalogue) -> list[str]:
    """The catalogue's indicators whose population is another's (`population: {from: ...}`)."""
    ids = [i for i, b in sorted(catalogue.indicators.items()) if b.population_from]
    assert ids, "the catalogue has an indicator built on another"
    return ids


def unrelated(catalogue, ident: str) -> str:
    """An indicator that is neither `ident`, nor a base of it, nor built on it."""
    near = {ident, *catalogue.indicators[ident].population_from}
    return next(i for i, b in sorted(catalogue.indicators.items())
                if i not in near and not near & {i, *b.population_from})


# ---------------------------------------------------------------- the same output as the full load


def test_every_indicator_loads_alone_with_its_bases_and_compiles_and_explains_the_same(catalogue):
    full = api.checked_catalogue(CATALOGUE_DIR, versions=False)
    for ident, bound in sorted(full.indicators.items()):
        part = api.checked_catalogue(CATALOGUE_DIR, versions=False, only=[ident], meanings=True)
        assert set(part.indicators) == {ident, *bound.population_from}, ident
        assert part.subset is not None and len(part.subset.files) == len(part.indicators)
        assert explain(part, ident) == explain(full, ident)
        for dialect in DIALECTS:
            for period in ("2018",) if dialect != "duckdb" else ("2018", "2018H2", "2018Q4", "2018-12"):
                try:
                    expected = api.compile_indicator(full, ident, period, dialect)
                except CompileRefused as exc:
                    with pytest.raises(CompileRefused, match=re.escape(str(exc))):
                        api.compile_indicator(part, ident, period, dialect)
                    continue
                assert api.compile_indicator(part, ident, period, dialect) == expected, (ident, dialect, period)
        assert catalogue_hash(part) == catalogue_hash(full)
        assert GENERATED.sub("", api.compile_header(part, ident, "2018", command="c")) == \
            GENERATED.sub("", api.compile_header(full, ident, "2018", command="c"))


def test_the_compile_and_explain_commands_print_byte_for_byte_what_the_full_load_prints(catalogue):
    for ident in sorted(catalogue.indicators):
        same_as_full("compile", ident, "--period", "2018")
        same_as_full("explain", ident)


def test_an_indicator_built_on_another_loads_its_base_and_its_bases_base(copy, catalogue):
    ident = based(catalogue)[0]
    base = catalogue.indicators[ident].population_from[0]
    # a chain of two: a new indicator on `ident`, compiled and explained as the full load does
    (copy / "zz_on_top.yaml").write_text(SCHEMA_LINE + MINIMAL.format(id="zz_on_top").replace(
        "  entity: kartlaggning\n  period: datum\n", f"  from: {ident}\n"), "utf-8")
    part = load_selected(copy, ["zz_on_top"])
    assert set(part.indicators) == {"zz_on_top", ident, base} and not part.errors
    assert part.indicators["zz_on_top"].population_from == (ident, base)
    same_as_full("compile", "zz_on_top", "--period", "2018H1", "--indicators", copy)
    same_as_full("explain", "zz_on_top", "--indicators", copy)


def test_attrition_counts_the_same_population(catalogue):
    full = api.checked_catalogue(CATALOGUE_DIR, versions=False)
    for ident in [*based(catalogue), sorted(catalogue.indicators)[0]]:
        fixture = ROOT / "fixtures" / f"{ident}.yaml"
        period = yaml.safe_load(fixture.read_text("utf-8"))["expect"][0]["period"]
        part = api.checked_catalogue(CATALOGUE_DIR, versions=False, only=[ident])
        assert api.attrition(part, fixture, ident, period).as_dict() == \
            api.attrition(full, fixture, ident, period).as_dict()


# ---------------------------------------------------------------- errors: its own as before, the others' not in the way


def test_the_indicators_own_errors_are_reported_exactly_as_by_the_full_load(copy, catalogue):
    ident = unrelated(catalogue, based(catalogue)[0])
    edit(copy, f"{ident}.yaml", "version: 1", "version: 1\nunits: count")      # E_UNKNOWN_KEY, located
    part, whole = same_as_full("compile", ident, "--period", "2018", "--indicators", copy)
    assert part.exit_code == 1 and "E_UNKNOWN_KEY" in part.stderr
    # the full load also says that the lock records an indicator it could not load (W_LOCK_UNUSED)
    extra = [line for line in whole.stderr.splitlines() if line not in part.stderr.splitlines()
             and not SUMMARY.fullmatch(line)]
    assert extra[0].split()[1] == "W_LOCK_UNUSED" and all(line.startswith("    hint:") for line in extra[1:])


def test_a_bases_errors_are_reported_as_by_the_full_load(copy, catalogue):
    ident = based(catalogue)[0]
    base = catalogue.indicators[ident].population_from[0]
    text = (copy / f"{base}.yaml").read_text("utf-8")
    column = re.search(r"^  period: (\w+)", text, re.M) or re.search(r"^    end: (\w+)", text, re.M)
    assert column, base
    edit(copy, f"{base}.yaml", column.group(0), column.group(0) + "x")          # a misspelt column
    part, whole = load_selected(copy, [ident]), load_catalogue(copy)
    files = {display_path(copy / f"{ident}.yaml"), display_path(copy / f"{base}.yaml")}
    assert part.errors and part.diagnostics == [d for d in whole.diagnostics if d.position.file in files]
    assert {d.code for d in part.errors} >= {"E_FROM_INVALID", "E_UNKNOWN_COLUMN"}
    result = invoke("compile", ident, "--period", "2018", "--indicators", copy)
    assert result.exit_code == 1 and f"{base}.yaml:" in result.stderr and "E_FROM_INVALID" in result.stderr


def test_a_broken_unrelated_file_does_not_block_compile_but_validate_and_test_refuse(copy, catalogue):
    ident = based(catalogue)[0]
    clean = invoke("compile", ident, "--period", "2018", "--indicators", copy)
    (copy / "aa_broken_yaml.yaml").write_text(SCHEMA_LINE + "id: aa_broken_yaml\npopulation: [entity: x\n", "utf-8")
    (copy / "zz_unknown_key.yaml").write_text(
        SCHEMA_LINE + MINIMAL.format(id="zz_unknown_key").replace("unit: count", "units: count"), "utf-8")
    result = invoke("compile", ident, "--period", "2018", "--indicators", copy)
    assert result.exit_code == 0, result.stderr
    # the same SQL and header, but the catalogue cannot be hashed: the full load would refuse it
    assert CATALOGUE_LINE.sub("", GENERATED.sub("", result.stdout)) == CATALOGUE_LINE.sub("", GENERATED.sub(
        "", clean.stdout))
    assert re.search(r"^-- catalogue: \S+ none \(other indicator files of the catalogue have errors", result.stdout,
                     re.M)
    warned = [line for line in result.stderr.splitlines() if "W_CATALOGUE_ERRORS" in line]
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in warned] == ["aa_broken_yaml.yaml",
                                                                          "zz_unknown_key.yaml"]
    assert invoke("explain", ident, "--indicators", copy).exit_code == 0
    assert invoke("compile", ident, "--period", "2018", "--indicators", copy, selective=False).exit_code == 1
    validated = invoke("validate", "--indicators", copy)
    assert validated.exit_code == 1 and "E_YAML" in validated.stderr and "E_UNKNOWN_KEY" in validated.stderr
    tested = invoke("test", ident, "--indicators", copy)
    assert tested.exit_code == 1 and "E_UNKNOWN_KEY" in tested.stderr


def test_an_unknown_id_gets_its_suggestion(catalogue):
    ident = sorted(catalogue.indicators)[0]
    for args in (["compile", ident[:-1], "--period", "2018"], ["explain", ident[:-1]], ["explain", "zzz"]):
        part, whole = same_as_full(*args)
        assert part.exit_code == 1 and part.stderr == whole.stderr and "E_UNKNOWN_INDICATOR" in part.stderr
    assert f"did you mean '{ident}'?" in invoke("compile", ident[:-1], "--period", "2018").stderr


# ---------------------------------------------------------------- which file holds an id


def test_an_id_is_found_in_a_file_of_another_name_and_a_duplicate_is_refused_as_before(copy, catalogue):
    ident, other = sorted(catalogue.indicators)[:2]
    (copy / f"{ident}.yaml").rename(copy / "sub_folder_name.yaml")
    edit(copy, "sub_folder_name.yaml", f"id: {ident}", f"id: '{ident}'  # quoted, with a comment")
    part, whole = same_as_full("compile", ident, "--period", "2018", "--indicators", copy)
    assert part.exit_code == 0 and "W_FILE_NAME" in part.stderr and part.stderr == whole.stderr
    shutil.copy(copy / f"{other}.yaml", copy / "zz_again.yaml")                 # the same id twice
    part, whole = same_as_full("explain", other, "--indicators", copy)
    assert part.exit_code == 1 and "E_DUPLICATE_ID" in part.stderr  # and the errors as the full load's
    part = invoke("compile", ident, "--period", "2018", "--indicators", copy)  # not about `other`: goes on
    assert part.exit_code == 0 and "its id '" + other + "' is also the id of" in part.stderr
    assert re.search(r"^-- catalogue: \S+ none \(", part.stdout, re.M)


def test_declared_ids_are_read_from_plain_lines_only():
    assert declared_id("# c\nid: abc\nversion: 1\n") == "abc"
    assert declared_id("id:   \"abc\"   # x\n") == "abc"
    assert declared_id("id: 'abc'\r\n") == "abc"
    for text in ("version: 1\n", "id: abc\nid: abd\n", "  id: abc\n", "{id: abc}\n", "id: &a abc\n", "id: a#b\n",
                 "id:\n  abc\n", "id: Abc\n", "id:abc\n", 'id: "a #b"\n'):
        assert declared_id(text) is None, text


def test_a_file_whose_id_line_is_not_plain_is_parsed_to_find_its_id(copy, catalogue):
    ident = sorted(catalogue.indicators)[0]
    path = copy / f"{ident}.yaml"
    path.rename(copy / "renamed.yaml")
    edit(copy, "renamed.yaml", f"id: {ident}", f"id: !!str {ident}")
    part = load_selected(copy, [ident])
    assert set(part.indicators) == {ident} and not part.errors


# ---------------------------------------------------------------- the catalogue hash of a partial load


def hashes(folder: Path, ident: str) -> tuple[str, str]:
    part = api.checked_catalogue(folder, versions=False, only=[ident], meanings=True)
    return catalogue_hash(part), catalogue_hash(load_catalogue(folder))


def restrict(folder: Path, ident: str) -> None:
    """Change the meaning of `ident`'s population: one more condition (always true) in its `where`."""
    path = folder / f"{ident}.yaml"
    document = load_text(path.read_text("utf-8"), str(path), Diagnostics())  # read as the engine reads it
    assert document is not None
    data = document.data
    where = data["population"].get("where", [])
    data["population"]["where"] = [*(where if isinstance(where, list) else [where]), "1 = 1"]
    path.write_text(SCHEMA_LINE + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def test_the_catalogue_hash_follows_every_file_through_the_cache(copy, catalogue, monkeypatch):
    import engine.selective as selective
    ident = based(catalogue)[0]
    other = unrelated(catalogue, ident)
    first = hashes(copy, ident)
    assert first[0] == first[1]
    cache = Path(os.environ["INDICATORS_CACHE_DIR"]) / "catalogues"
    assert len(list(cache.glob("*.json"))) == 1

    def unexpected(*args, **kwargs):
        raise AssertionError("an unchanged file was bound again")
    with monkeypatch.context() as m:  # every other file comes from the cache now
        m.setattr(selective, "load_indicators", unexpected)
        assert hashes(copy, ident)[0] == first[0]
    edit(copy, f"{other}.yaml", "version: 1", "version: 2")      # an unrelated indicator's version
    second = hashes(copy, ident)
    assert second[0] == second[1] != first[0]
    restrict(copy, other)                                         # and its meaning
    third = hashes(copy, ident)
    assert third[0] == third[1] != second[0]
    model = copy / "model.yaml"                                   # the model
    model.write_text(model.read_text("utf-8") + "\n# a comment\n", "utf-8")
    fourth = hashes(copy, ident)
    assert fourth[0] == fourth[1] != third[0]


def test_a_base_changed_under_a_cached_indicator_binds_it_again(copy, catalogue):
    ident = based(catalogue)[0]
    base = catalogue.indicators[ident].population_from[0]
    other = unrelated(catalogue, ident)
    before = hashes(copy, other)  # keeps `ident`, bound on its base, in the cache
    assert before[0] == before[1]
    restrict(copy, base)          # changes the meaning of `ident` too
    after = hashes(copy, other)
    assert after[0] == after[1] != before[0]
    assert load_catalogue(copy).indicators[ident] != catalogue.indicators[ident]


def test_without_a_cache_the_hash_is_the_same(copy, catalogue, monkeypatch):
    monkeypatch.setenv("INDICATORS_CACHE_DIR", "off")
    ident = sorted(catalogue.indicators)[0]
    part, whole = hashes(copy, ident)
    assert part == whole


def test_a_meaning_changed_without_a_raised_version_warns_as_before_and_validate_refuses(copy, catalogue):
    ident = based(catalogue)[0]
    restrict(copy, ident)
    part, whole = same_as_full("compile", ident, "--period", "2018", "--indicators", copy)
    assert part.exit_code == 0 and "E_VERSION_NOT_RAISED" in part.stderr
    assert [line for line in part.stderr.splitlines() if "E_VERSION" in line] == \
        [line for line in whole.stderr.splitlines() if "E_VERSION" in line]
    assert invoke("validate", "--indicators", copy).exit_code == 1
