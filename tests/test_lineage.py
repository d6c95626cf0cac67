"""Lineage (engine.lineage): the model tables and columns an indicator reads, from its bound trees."""
from __future__ import annotations

import sqlglot
from sqlglot import exp

from engine import api
from engine.lineage import lineage, readers


def test_a_plain_count_reads_its_placement_and_breakdown_columns(catalogue):
    found = lineage(catalogue, "antal_gemensamma_kartlaggningar")
    assert found.entities == ("kartlaggning", "ersattningsfall", "person")
    assert found.columns == {"kartlaggning": ("datum", "fall_id", "person_id"),
                             "ersattningsfall": ("ersattning", "fall_id"),
                             "person": ("kon", "person_id")}
    assert found.calculated == found.classifications == found.temporal == found.population_from == ()


def test_a_population_from_another_reads_the_bases_columns_and_names_the_calculated_column(catalogue):
    found = lineage(catalogue, "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser")
    assert found.population_from == ("antal_avslutade_efter_insats",)
    # the base's placement (slutdatum) and condition (avslutsorsak), the exists over insatser, and the
    # calculated numerator lamnat_sjukforsakringen, inlined as utfall IN (...)
    assert found.columns["samarbete"] == ("avslutsorsak", "fall_id", "person_id", "samarbete_id", "slutdatum",
                                          "utfall")
    assert found.columns["insats"] == ("insatstyp", "samarbete_id")
    assert found.calculated == (("samarbete", "lamnat_sjukforsakringen"),)
    assert found.reads("insats", "insatstyp") and not found.reads("insats", "startdatum")


def test_a_lookup_reads_the_temporal_columns_and_a_band_names_its_classification(catalogue):
    lookup = lineage(catalogue, "sjukpenningdagar_vid_insatsstart")
    assert lookup.temporal == ("pagaende_fall",)
    assert lookup.columns["ersattningsfall"] == ("ersattning", "fall_id", "person_id", "slutdatum", "startdatum")
    assert lookup.columns["insats"] == ("finansiar", "insats_id", "person_id", "startdatum")  # one_per: key, order
    band = lineage(catalogue, "antal_kartlaggningar_per_aldersgrupp")
    assert band.classifications == ("aldersgrupp",)
    assert band.columns["person"] == ("fodelsear", "kon", "person_id")
    median = lineage(catalogue, "median_sjukfallslangd_vid_avslut")
    assert median.calculated == (("ersattningsfall", "langd_dagar"),)
    assert "samarbete" in median.entities and "insats" in median.entities  # exists: samarbeten.insatser


def test_lineage_is_exactly_what_the_compiled_sql_reads(catalogue):
    """Every table of the compiled query is a lineage entity, every lineage column is in the query, and no
    column of a read table appears in the query without being listed."""
    model = catalogue.model
    for ident in sorted(catalogue.indicators):
        found = lineage(catalogue, ident)
        tree = sqlglot.parse_one(api.compile_indicator(catalogue, ident, "2018"), read="duckdb")
        tables = {t.name for t in tree.find_all(exp.Table)} & set(model.entities)
        names = {c.name for c in tree.find_all(exp.Column)}
        assert set(found.entities) == tables, ident
        listed = {c for cols in found.columns.values() for c in cols}
        assert listed <= names, (ident, listed - names)
        stored = {c for e in found.entities for c in model.entities[e].columns}
        assert (names & stored) <= listed, (ident, (names & stored) - listed)
        for entity, name in found.calculated:
            assert name in model.entities[entity].calculated


def test_readers_lists_every_indicator_reading_a_column(catalogue):
    table = readers(catalogue)
    assert table[("person", "kon")] == sorted(catalogue.indicators)  # every indicator breaks down by kön
    assert table[("samarbete", "lamnat_sjukforsakringen")] == [
        "andel_lamnat_sjukforsakringen_efter_arbetslivsinriktade_insatser",
        "andel_lamnat_sjukforsakringen_efter_insats"]
    assert ("samordningsforbund", "namn") not in table
