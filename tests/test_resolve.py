"""Stage 3: names bound to the model; semantic errors with suggestions."""
import pytest

from conftest import MINIMAL, PROJECT_WITH_SOURCE, codes

BASE = MINIMAL.format(id="t")


@pytest.mark.parametrize("change, code, hint", [
    (("entity: kartlaggning", "entity: kartlagning"), "E_UNKNOWN_ENTITY", "did you mean 'kartlaggning'"),
    (("period: datum", "period: datm"), "E_UNKNOWN_COLUMN", "did you mean 'datum'"),
    (("period: datum", "period: fal.startdatum"), "E_UNKNOWN_RELATIONSHIP", "did you mean 'fall'"),
    (("period: datum", "period: fall.startdatun"), "E_UNKNOWN_COLUMN", "did you mean 'startdatum'"),
    (("period: datum", "period: person_id"), "E_TYPE", "date column"),
    (("kind: count", "kind: mean\n  of: fall.diagnoskod"), "E_TYPE", "numeric"),
    (("kind: count", "kind: share"), "E_SHARE_NUMERATOR", "numerator"),
    (("kind: count", "kind: median"), "E_MEASURE_OF", "of:"),
    (("kind: count", "kind: percentile\n  of: datum - fall.startdatum"), "E_PERCENTILE_P", "p:"),
    (("kind: count", "kind: count\n  numerator: fall.psykiatrisk_diagnos"), "E_MEASURE_EXTRA", "share"),
    (("kind: count", "kind: share\n  numerator: fall.ersattning = 'sjukpenningg'"), "E_UNKNOWN_VALUE",
     "did you mean 'sjukpenning'"),
    (("kind: count", "kind: share\n  numerator: fall.ersattning"), "E_TYPE", "compare"),
    (("kind: count", "kind: share\n  numerator: {exists: insatser}"), "E_UNKNOWN_RELATIONSHIP", ""),
    (("kind: count", "kind: share\n  numerator: {exists: samarbeten.insater}"), "E_UNKNOWN_RELATIONSHIP",
     "did you mean 'insatser'"),
    (("kind: count", "kind: mean\n  of: samarbeten.startdatum - datum"), "E_TO_MANY_PATH", "exists"),
])
def test_semantic_errors(make_catalogue, change, code, hint):
    _, cat = make_catalogue({"t.yaml": BASE.replace(*change)})
    assert code in codes(cat), [str(d) for d in cat.errors]
    error = next(d for d in cat.errors if d.code == code)
    assert error.position.line > 0 and hint in (error.hint + error.message)


def test_unknown_breakdown_and_published_breakdown(make_catalogue):
    text = BASE + "breakdowns: [fall.ersattnin]\npublished:\n  - {period: \"2018\", breakdown: {motestyp: x}, " \
                  "value: 1, precision: 1, source: s}\n"
    _, cat = make_catalogue({"t.yaml": text})
    assert "E_UNKNOWN_COLUMN" in codes(cat)
    assert "E_PUBLISHED_BREAKDOWN" in codes(cat)


def test_published_value_of_a_breakdown_must_exist(make_catalogue):
    text = BASE + "breakdowns: [fall.ersattning]\npublished:\n  - {period: \"2018\", breakdown: {ersattning: " \
                  "sjukpeng}, value: 1, precision: 1, source: s}\n"
    _, cat = make_catalogue({"t.yaml": text, "project.yaml": PROJECT_WITH_SOURCE})
    assert codes(cat) == ["E_PUBLISHED_BREAKDOWN"]


def test_figure_needs_its_fields(make_catalogue):
    text = BASE + "published:\n  - {period: \"2018\", holds: between, min: 0.4, source: s}\n"
    _, cat = make_catalogue({"t.yaml": text, "project.yaml": PROJECT_WITH_SOURCE})
    assert codes(cat) == ["E_PUBLISHED"]


def test_kon_is_a_default_breakdown(catalogue):
    assert [b.name for b in catalogue.get("antal_gemensamma_kartlaggningar").breakdowns] == ["kon", "ersattning"]
    assert [b.name for b in catalogue.get("andel_kvinnor_sjukpenning_samordningsforbund").breakdowns] == []


def test_lookup_must_be_unambiguous(make_catalogue):
    text = BASE.replace("  period: datum\n", "  period: datum\n  lookups:\n    fallet:\n      temporal: "
                        "pagaende_fall\n      on: datum\n") + "  \n"
    text = text.replace("kind: count", "kind: mean\n  of: datum - fallet.startdatum")
    _, cat = make_catalogue({"t.yaml": text})
    assert "E_LOOKUP_AMBIGUOUS" in codes(cat)


def test_lookup_cannot_be_used_before_selection(make_catalogue):
    text = """\
    id: t
    version: 1
    title: {sv: T, en: T}
    description: {sv: T, en: T}
    unit: count
    owner: test
    population:
      entity: insats
      period: startdatum
      where: sjukpenningfall.diagnoskod IS NULL
      one_per: {key: person_id, first_by: [startdatum, insats_id]}
      lookups:
        sjukpenningfall: {temporal: pagaende_fall, on: startdatum, where: "ersattning = 'sjukpenning'"}
    measure: {kind: count}
    """
    _, cat = make_catalogue({"t.yaml": text})
    assert codes(cat) == ["E_NAME_NOT_HERE"]
    assert "require" in cat.errors[0].hint


def test_calculated_columns_are_inlined(catalogue):
    from engine.periods import parse_period
    from engine.plan import plan_query
    from engine.render import render_sql
    sql = render_sql(plan_query(catalogue.get("andel_lamnat_sjukforsakringen_efter_insats"), parse_period("2018")))
    assert "'oppet_arbetslos'" in sql


def test_text_dates_are_cast_for_every_dialect(make_catalogue):
    from engine.periods import parse_period
    from engine.plan import plan_query
    from engine.render import render_sql
    text = BASE.replace("  period: datum\n", "  period: datum\n  where:\n    - datum BETWEEN '2018-01-01' AND "
                        "'2018-06-30'\n    - datum >= '2018-02-01'\n")
    _, cat = make_catalogue({"t.yaml": text})
    sql = render_sql(plan_query(cat.get("t"), parse_period("2018")), "spark", pretty=False)
    assert "BETWEEN CAST('2018-01-01' AS DATE) AND CAST('2018-06-30' AS DATE)" in sql
    assert ">= CAST('2018-02-01' AS DATE)" in sql
