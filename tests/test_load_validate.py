"""Stages 1-2: YAML with positions, JSON Schema errors with file:line:col and suggestions."""
from conftest import MINIMAL, ROOT, codes
from engine.diagnostics import Diagnostics
from engine.load import load_text
from engine.validate import validate_schema


def test_positions_of_values_and_keys():
    diags = Diagnostics()
    doc = load_text("a: 1\nb:\n  - x: 2\n    y: 'q'\n", "f.yaml", diags)
    assert doc.data == {"a": 1, "b": [{"x": 2, "y": "q"}]}
    assert (doc.pos(("b", 0, "y")).line, doc.pos(("b", 0, "y")).col) == (4, 8)
    assert (doc.key_pos(("b", 0, "y")).line, doc.key_pos(("b", 0, "y")).col) == (4, 5)
    assert ("b", 0, "y") in doc.quoted


def test_yaml_12_booleans_keep_on_as_a_word():
    doc = load_text("on: startdatum\nyes: no\nflag: true\n", "f.yaml", Diagnostics())
    assert doc.data == {"on": "startdatum", "yes": "no", "flag": True}


def test_duplicate_key_is_an_error():
    diags = Diagnostics()
    load_text("a: 1\na: 2\n", "f.yaml", diags)
    assert [d.code for d in diags.errors] == ["E_DUPLICATE_KEY"]
    assert diags.errors[0].position.line == 2


def test_syntax_error_has_a_line():
    diags = Diagnostics()
    assert load_text("a: [1\nb: 2\n", "f.yaml", diags) is None
    assert diags.errors[0].code == "E_YAML" and diags.errors[0].position.line == 2


def test_unknown_key_suggests_the_right_one():
    diags = Diagnostics()
    doc = load_text(MINIMAL.format(id="x").replace("measure:", "mesure:"), "f.yaml", diags)
    validate_schema(doc, "indicator", diags)
    found = {d.code: d for d in diags.errors}
    assert "E_UNKNOWN_KEY" in found and "did you mean 'measure'" in found["E_UNKNOWN_KEY"].hint
    assert found["E_UNKNOWN_KEY"].position.line == 10  # the line of "mesure:"
    assert "E_MISSING_KEY" in found


def test_enum_error_suggests():
    diags = Diagnostics()
    doc = load_text(MINIMAL.format(id="x").replace("kind: count", "kind: mediam"), "f.yaml", diags)
    validate_schema(doc, "indicator", diags)
    assert diags.errors[0].code == "E_SCHEMA" and "did you mean 'median'" in diags.errors[0].hint


def test_unquoted_period_is_explained():
    diags = Diagnostics()
    text = MINIMAL.format(id="x") + "published:\n  - {period: 2018, value: 1, precision: 1, source: s}\n"
    doc = load_text(text, "f.yaml", diags)
    validate_schema(doc, "indicator", diags)
    assert "quote it" in diags.errors[0].hint


def test_every_error_of_every_file_is_reported(make_catalogue):
    _, cat = make_catalogue({
        "a.yaml": MINIMAL.format(id="a").replace("owner: test", "ownr: test"),
        "b.yaml": MINIMAL.format(id="b").replace("entity: kartlaggning", "entity: kartlagning"),
        "c.yaml": "id: [unclosed\n",
    })
    files = {d.position.file.split("/")[-1] for d in cat.errors}
    assert files == {"a.yaml", "b.yaml", "c.yaml"}


def test_duplicate_id(make_catalogue):
    _, cat = make_catalogue({"a.yaml": MINIMAL.format(id="same"), "b.yaml": MINIMAL.format(id="same")})
    assert "E_DUPLICATE_ID" in codes(cat)


KON_LABELS = "        labels: {K: {sv: Kvinnor, en: Women}, M: {sv: Män, en: Men}}\n"


def test_a_value_label_is_swedish_text_or_both_languages(make_catalogue):
    """model.yaml labels: {K: Kvinnor} (Swedish; English shows it too) or {K: {sv: Kvinnor, en: Women}}."""
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    assert KON_LABELS in model
    _, cat = make_catalogue({"a.yaml": MINIMAL.format(id="a")},
                            model=model.replace(KON_LABELS, "        labels: {K: Kvinnor, M: {sv: Män, en: Men}}\n"))
    assert not cat.errors, [str(d) for d in cat.errors]
    kon = cat.model.entities["person"].columns["kon"]
    assert kon.labels == {"K": "Kvinnor", "M": "Män"} and kon.labels_en == {"M": "Men"}
    assert (kon.label("K", "en"), kon.label("M", "en"), kon.label("M"), kon.label("X", "en")) == \
        ("Kvinnor", "Men", "Män", None)
    ersattning = cat.model.entities["ersattningsfall"].columns["ersattning"]
    assert ersattning.label("sjukpenning", "en") == "Sickness benefit"
    assert cat.model.find_column("aldersgrupp").label("under_30", "en") == "Under 30"   # a band's label


def test_a_bilingual_label_without_a_language_is_a_located_schema_error(make_catalogue):
    model = (ROOT / "indicators" / "model.yaml").read_text("utf-8")
    bad = model.replace(KON_LABELS, "        labels:\n          K: {sv: Kvinnor}\n          M: {sv: Män, en: Men}\n")
    _, cat = make_catalogue({"a.yaml": MINIMAL.format(id="a")}, model=bad)
    (error,) = cat.errors
    line = bad.splitlines().index("          K: {sv: Kvinnor}") + 1
    assert error.code == "E_MISSING_KEY" and "'en'" in error.message and "add 'en:'" in error.hint
    assert error.position.file.endswith("model.yaml") and error.position.line == line
