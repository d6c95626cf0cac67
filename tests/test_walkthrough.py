"""The README's "Add an indicator: a walk-through", performed on a copy of the repository.

An analyst who follows it must end with a green `make test`: the new indicator validates,
its hand-computed fixture passes, its SQL snapshots are written, and the tests that follow
the catalogue pass with it. What the README names (the file to copy, the filter, the typo
and its error message) is read from the README, so the two cannot drift apart. The copy
holds the working tree as `make test` sees it (tracked and untracked, not ignored, files).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

NEW = "antal_insatser_ovriga"

# The tests that cover the whole catalogue, run on the copy (INDICATORS_DIR set): kept to
# those that derive ids and counts from the catalogue, so the walk-through stays under a minute.
CATALOGUE_TESTS = [
    "tests/test_cli.py::test_the_catalogue_is_clean",
    "tests/test_cli.py::test_list_json",
    "tests/test_execute.py::test_duckdb_file_is_opened_read_only_and_left_unchanged",
    "tests/test_execute.py::test_empty_population_gives_only_the_total_row",
    "tests/test_execute.py::test_json_row_shape",
    "tests/test_render.py",
    "tests/test_report.py::test_sections_follow_the_project_and_periods_follow_report_period",
    "tests/test_report.py::test_every_cell_is_the_run_value_or_suppressed_where_run_flags_it",
    "tests/test_reference.py",
    "tests/test_snapshots.py::test_compiled_sql_matches_committed_snapshots",
    "tests/test_fixtures.py::test_every_indicator_has_a_passing_fixture",
    "tests/test_bench.py::test_handwritten_sql_covers_the_shipped_indicators",
    "tests/test_bench.py::test_engine_equals_handwritten_sql_on_random_data",
]

TITLES = """\
title:
  sv: Antal insatser finansierade av samordningsförbund för behovsgruppen övriga
  en: Number of interventions financed by coordination associations for the need group others
description:
  sv: Antal insatser finansierade av samordningsförbund som startade under perioden, för behovsgruppen övriga.
  en: Number of interventions financed by coordination associations that started in the period, for the need group others.
"""  # noqa: E501 - YAML text written into the copy: each title and description on one line

# Step 5: the golden fixture, worked out by hand from the definition above.
FIXTURE = """\
# yaml-language-server: $schema=../engine/schemas/fixture.schema.json
indicator: antal_insatser_ovriga
description: >
  Samordningsförbund interventions for behovsgrupp ovriga starting in the period (both edge
  days in, the day before and after out); other need groups out; breakdowns kon and lan.
inputs:
  samordningsforbund:
    - {forbund_id: 1, namn: Finsam Norra, lan: '01'}
    - {forbund_id: 2, namn: Finsam Södra, lan: '12'}
  person:
    - {person_id: 1, kon: K, fodelsear: 1980}
    - {person_id: 2, kon: M, fodelsear: 1975}
    - {person_id: 3, kon: K, fodelsear: 1990}
    - {person_id: 4, kon: M, fodelsear: 1999}
  # Every row is financed by a samordningsförbund: the model's rule finansiar_och_nycklar
  # gives forstarkt_samarbete rows a NULL behovsgrupp, so no consistent row can show the
  # finansiar filter alone; behovsgrupp and the period boundaries are what matter here.
  insats:
    # 1: P1 (K), ovriga, forbund 1 (lan 01), 2018-01-01 = the first day of 2018: in
    - {insats_id: 1, person_id: 1, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 1, insatstyp: forberedande, behovsgrupp: ovriga, startdatum: 2018-01-01, slutdatum: null}
    # 2: P2 (M), ovriga, forbund 2 (lan 12), 2018-12-31 = the last day of 2018 and 2018H2: in
    - {insats_id: 2, person_id: 2, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 2, insatstyp: arbetslivsinriktad, behovsgrupp: ovriga, startdatum: 2018-12-31, slutdatum: null}
    # 3: P3 (K), ovriga, forbund 1, 2017-12-31 = the day before 2018: only in 2017-12
    - {insats_id: 3, person_id: 3, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 1, insatstyp: forberedande, behovsgrupp: ovriga, startdatum: 2017-12-31, slutdatum: 2018-02-28}
    # 4: P1 (K), ovriga, forbund 2, 2019-01-01 = the day after 2018: in no period below
    - {insats_id: 4, person_id: 1, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 2, insatstyp: forberedande, behovsgrupp: ovriga, startdatum: 2019-01-01, slutdatum: null}
    # 5: P3 (K), langtidssjukskrivna, in 2018: another need group, out
    - {insats_id: 5, person_id: 3, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 1, insatstyp: arbetslivsinriktad, behovsgrupp: langtidssjukskrivna, startdatum: 2018-06-15, slutdatum: null}
    # 6: P2 (M), ovriga, forbund 1, 2018-07-01 = the first day of 2018H2: in 2018 and 2018H2
    - {insats_id: 6, person_id: 2, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 1, insatstyp: forberedande, behovsgrupp: ovriga, startdatum: 2018-07-01, slutdatum: null}
    # 7: P4 (M), unga_med_aktivitetsersattning, in 2018: another need group, out
    - {insats_id: 7, person_id: 4, finansiar: samordningsforbund, samarbete_id: null, forbund_id: 2, insatstyp: forberedande, behovsgrupp: unga_med_aktivitetsersattning, startdatum: 2018-03-01, slutdatum: null}
expect:
  - period: "2018"
    # ovriga rows starting 2018-01-01..2018-12-31: 1, 2, 6
    rows:
      - {breakdown: {}, value: 3, n: 3}
      - {breakdown: {kon: K}, value: 1, n: 1}     # 1
      - {breakdown: {kon: M}, value: 2, n: 2}     # 2, 6
      - {breakdown: {lan: '01'}, value: 2, n: 2}  # 1, 6 (forbund 1)
      - {breakdown: {lan: '12'}, value: 1, n: 1}  # 2 (forbund 2)
  - period: "2018H2"
    # 2018-07-01..2018-12-31: 6 (first day) and 2 (last day), both men; no kon K row
    rows:
      - {breakdown: {}, value: 2, n: 2}
      - {breakdown: {kon: M}, value: 2, n: 2}
      - {breakdown: {lan: '01'}, value: 1, n: 1}  # 6
      - {breakdown: {lan: '12'}, value: 1, n: 1}  # 2
  - period: "2017-12"
    # only 3, on 2017-12-31
    rows:
      - {breakdown: {}, value: 1, n: 1}
      - {breakdown: {kon: K}, value: 1, n: 1}
      - {breakdown: {lan: '01'}, value: 1, n: 1}
  - period: "2019-02"
    # nothing starts in February 2019: a count over an empty population is 0, total row only
    rows:
      - {breakdown: {}, value: 0, n: 0}
"""  # noqa: E501 - YAML fixture written into the copy: one input row per line


def repository_files(root: Path) -> list[str]:
    """The working tree as `make test` sees it: tracked and untracked files git does not ignore."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                             capture_output=True, check=True, timeout=60).stdout
        return [name for name in out.decode("utf-8").split("\0") if name]
    except (OSError, subprocess.SubprocessError):  # no git: the folders the steps need
        names = ["README.md", "pyproject.toml", "Makefile"]
        for folder in ("engine", "indicators", "fixtures", "tests", "bench"):
            names += [str(p.relative_to(root)) for p in (root / folder).rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts]
        return names


def copy_repository(root: Path, dest: Path) -> None:
    for name in repository_files(root):
        source = root / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def walkthrough_text() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    start = text.index("## Add an indicator: a walk-through")
    return text[start:text.index("\n## ", start + 1)]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INDICATORS_DEBUG", "INDICATORS_DIR")}
    return env | extra


def indicators(copy: Path, *args) -> subprocess.CompletedProcess:
    """`indicators ...` in the copy: `python -m engine.cli` there runs the copy's engine."""
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], cwd=copy, capture_output=True,
                          text=True, timeout=120, env=environment(), check=False)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def replace(text: str, pattern: str, new: str) -> str:
    """Replace exactly one match of `pattern` (a multiline regex): the indicator must still look as expected."""
    result, count = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"the indicator no longer has {pattern!r}: update the walk-through in the README"
    return result


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("walkthrough")
    copy_repository(ROOT, folder)
    return folder


def test_the_readme_walkthrough_keeps_the_catalogue_green(copy):
    readme = walkthrough_text()
    catalogue = copy / "indicators"

    # 1. Copy the closest indicator (the README names both files).
    source, target = re.search(r"`cp (\S+)\s+(\S+)`", readme).groups()
    assert target == f"indicators/{NEW}.yaml"
    shutil.copy(copy / source, copy / target)
    path = copy / target

    # 2. Edit it: id, titles and descriptions, the filter and breakdowns as the README shows,
    # no published figures; report: stays.
    snippet = textwrap.dedent(re.search(r"```yaml\n(.*?)```", readme, re.DOTALL).group(1))
    block = yaml.safe_load(snippet)
    assert set(block) == {"population", "measure", "breakdowns"}
    text = path.read_text("utf-8")
    text = replace(text, r"^id: .*\n", f"id: {NEW}\n")
    text = replace(text, r"^title:\n(?:  .*\n)+description:\n(?:  .*\n)+", TITLES)
    text = replace(text, r"^population:\n(?:  .*\n)+measure:\n(?:  .*\n)+breakdowns: .*\n",
                   snippet)
    text = replace(text, r"^published:\n(?:  .*\n)*", "")
    path.write_text(text, "utf-8")
    edited = yaml.safe_load(text)
    assert {k: edited[k] for k in block} == block and "published" not in edited
    assert edited["report"] == "samordningsforbund"

    # 3. Check it; the README's typo gives the README's error, located, with its hint.
    error = re.search(r"`(indicators/\S+\.yaml:\d+:\d+: E_\w+ [^`]+)`", readme).group(1)
    hint = re.search(r"`(hint: [^`]+)`", readme).group(1)
    typo = re.search(r"A typo such as `([^`]+)`", readme).group(1)
    wrong, right = typo.split()[0], re.search(r"did you mean '(\w+)'", hint).group(1)
    correct = typo.replace(wrong, right, 1)
    assert text.count(correct) == 1
    path.write_text(text.replace(correct, typo), "utf-8")
    proc = indicators(copy, "validate", target, "--indicators", "indicators")
    assert proc.returncode == 1 and error in proc.stderr and hint in proc.stderr, proc.stderr
    path.write_text(text, "utf-8")
    proc = indicators(copy, "validate", target, "--indicators", "indicators")
    assert proc.returncode == 0 and proc.stderr.endswith("ok: 1 indicator(s) valid\n"), proc.stderr
    assert [line.split()[1] for line in proc.stderr.splitlines() if ": W_" in line] == ["W_NOT_LOCKED"]

    # 4. Read it back as a reviewer will.
    proc = indicators(copy, "explain", NEW, "--indicators", catalogue)
    assert proc.returncode == 0 and "behovsgrupp = 'ovriga'" in proc.stdout, proc.stderr
    proc = indicators(copy, "compile", NEW, "--period", "2018", "--indicators", catalogue)
    assert proc.returncode == 0 and "'ovriga'" in proc.stdout and "2018-01-01 .. 2018-12-31" in proc.stdout

    # 5. Its golden fixture, worked out by hand (FIXTURE above).
    (copy / "fixtures" / f"{NEW}.yaml").write_text(FIXTURE, "utf-8")
    proc = indicators(copy, "test", NEW, "--indicators", catalogue)
    assert proc.returncode == 0 and f"ok   {NEW}" in proc.stdout, proc.stdout + proc.stderr

    # 6. Its SQL snapshots: only the new indicator's are written, one per dialect.
    proc = indicators(copy, "snapshots", "--update", "--indicators", catalogue)
    written = [Path(line.removeprefix("wrote ")) for line in proc.stderr.splitlines() if line.startswith("wrote ")]
    assert proc.returncode == 0 and written, proc.stderr
    assert {p.parent for p in written} == {copy / "tests" / "snapshots" / NEW} and len(written) == 6

    # 7. Record its meaning in the lock (the README's command).
    assert "`.venv/bin/indicators lock`" in readme
    proc = indicators(copy, "lock", "--indicators", catalogue)
    assert proc.returncode == 0 and f"{NEW}: version 1 recorded (new)" in proc.stderr, proc.stderr

    # 8. make test: validate, the golden fixtures, the snapshots and the catalogue's tests.
    proc = indicators(copy, "validate", "--indicators", catalogue)
    assert proc.returncode == 0 and proc.stderr == f"ok: {len(list(catalogue.glob('*.yaml'))) - 2} indicator(s) " \
        "valid\n", proc.stderr
    proc = indicators(copy, "test", "--indicators", catalogue)
    assert proc.returncode == 0 and f"ok   {NEW}" in proc.stdout and ", 0 failed" in proc.stdout, proc.stdout
    proc = indicators(copy, "snapshots", "--indicators", catalogue)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CATALOGUE_TESTS],
                          cwd=copy, capture_output=True, text=True, timeout=600, check=False,
                          env=environment(INDICATORS_DIR=str(catalogue), REFERENCE_EXAMPLES="2"))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
