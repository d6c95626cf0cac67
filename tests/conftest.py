"""Shared helpers: the project's catalogue, and throwaway catalogues for error tests.

Tests that cover the whole catalogue take it from the `catalogue` fixture and derive ids
and counts from it, so that an added indicator (with its fixture and snapshots) keeps them
green. INDICATORS_DIR points the fixture at another catalogue folder: tests/test_walkthrough.py
runs these tests on a copy of the repository with the README's new indicator.
"""
from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/reference

from engine.catalogue import load_catalogue  # noqa: E402

SCHEMA_LINE = "# yaml-language-server: $schema=../engine/schemas/indicator.schema.json\n"

MINIMAL = """\
id: {id}
version: 1
title: {{sv: Testindikator, en: Test indicator}}
description: {{sv: En test., en: A test.}}
unit: count
owner: test
population:
  entity: kartlaggning
  period: datum
measure:
  kind: count
"""


CATALOGUE_DIR = Path(os.environ.get("INDICATORS_DIR") or ROOT / "indicators")


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    """The caches (engine.datacache) of the whole session, module and session fixtures included, in a folder of
    the session's: never the user's ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INDICATORS_CACHE_DIR", str(tmp_path_factory.mktemp("session-cache")))
        yield


@pytest.fixture(autouse=True)
def _test_cache(tmp_path_factory, monkeypatch):
    """Each test's caches in a folder of its own; the commands a test starts inherit it."""
    monkeypatch.setenv("INDICATORS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def catalogue():
    cat = load_catalogue(CATALOGUE_DIR)
    assert not cat.errors, "\n".join(map(str, cat.errors))
    return cat


@pytest.fixture
def make_catalogue(tmp_path):
    """Write a catalogue folder (the project's model + the given indicator files) and load it."""
    def make(files: dict[str, str], model: str | None = None):
        folder = tmp_path / "ind"
        folder.mkdir(exist_ok=True)
        if model is None:
            shutil.copy(ROOT / "indicators" / "model.yaml", folder / "model.yaml")
        else:
            (folder / "model.yaml").write_text(textwrap.dedent(model), encoding="utf-8")
        for name, text in files.items():
            (folder / name).write_text(SCHEMA_LINE + textwrap.dedent(text), encoding="utf-8")
        return folder, load_catalogue(folder)
    return make


# project.yaml declaring the source `s` that test indicators cite in their published figures
PROJECT_WITH_SOURCE = """\
title: {sv: Test, en: Test}
disclosure: {threshold: 5}
sources:
  - {id: s, title: Testrapport, publisher: Testmyndigheten, date: "2019"}
reports:
  - {key: test, title: {sv: Test, en: Test}, source: s}
"""


def codes(catalogue) -> list[str]:
    return [d.code for d in catalogue.errors]
