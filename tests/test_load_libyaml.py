"""YAML through libyaml's parser where installed: the same data, positions and diagnostics as the pure loader."""
import pytest
import yaml

from conftest import ROOT
from engine import load
from engine.diagnostics import Diagnostics

needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")

TRICKY = [
    "a: 1\nb: [x, y]\nc: {d: e}\n",
    "on: datum\nyes: no\nflag: true\n",
    "date: 2018-02-30\nok: 2019-01-01\n",
    "a: 1\na: 2\n",
    "a: [1, 2\n",
    "a: b: c\n",
    "name: \"tab\\x1bhere\"\n",
    "x: \"ctrl \x07 char\"\n",
    "text: |\n  åäö first\n  second\nfolded: >-\n  one\n  two\n",
    "plain: this goes\n  over two lines\nq: 'it''s'\n",
    "a: &x [1, 2]\nb: *x\nc: *missing\n",
    "a: &x [1, *x]\n",
    "x: .inf\ny: .nan\n",
    "? [a, b]\n: c\n",
    "",
    "# only a comment\n",
    "a: !!python/object:os.system x\n",
    "- 1\n- 2\n---\n- 3\n",
    "lol: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e]\n",
    "a:\n\tb: 1\n",
    "\ufeffa: 1\n",
    "a: " + "[" * 2000 + "]" * 2000 + "\n",
]


def _load(text: str, libyaml: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(load, "LIBYAML", libyaml)
    diags = Diagnostics()
    doc = load.load_text(text, "f.yaml", diags)
    shown = None if doc is None else (doc.data, doc.positions, doc.key_positions, doc.quoted, doc.spans)
    return shown, [(d.code, str(d.position), d.message, d.hint) for d in diags.items]


@needs_libyaml
def test_libyaml_is_used_by_default():
    assert load.LIBYAML and load._CLoader is not None
    loader, node = load._compose("a: 1\n")
    assert isinstance(loader, load._CLoader) and node is not None
    loader.dispose()


@needs_libyaml
@pytest.mark.parametrize("text", TRICKY)
def test_libyaml_and_pure_loader_agree(text, monkeypatch):
    assert _load(text, True, monkeypatch) == _load(text, False, monkeypatch)


@needs_libyaml
def test_libyaml_and_pure_loader_agree_on_every_yaml_file_of_the_project(monkeypatch):
    files = sorted(p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts and ".git" not in p.parts)
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _load(text, True, monkeypatch) == _load(text, False, monkeypatch), path
