"""The synthetic extract generator: deterministic per seed, keeps the data model, written atomically.

Small scales only (the national-scale figures are held in test_national.py).
"""
from __future__ import annotations

import duckdb
import pytest

from engine import api, synthetic
from engine.synthetic import TABLES, generate

SMALL = 0.01


def checksums(path) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row, in key order, per table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        result = {}
        for table in TABLES:
            key = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' "
                              "AND table_name = ? ORDER BY ordinal_position LIMIT 1", [table]).fetchall()[0][0]
            rel = con.table(table)
            result[table] = rel.aggregate(f"count(*), md5(string_agg(CAST({table} AS VARCHAR), '|' ORDER BY {key}))"
                                          ).fetchall()[0]
        return result
    finally:
        con.close()


def query(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "small.duckdb"
    counts = generate(path, scale=SMALL, seed=1)
    return path, counts


def test_same_seed_gives_identical_tables_and_another_seed_other_data(small, tmp_path):
    path, _ = small
    again, other = tmp_path / "again.duckdb", tmp_path / "other.duckdb"
    generate(again, scale=SMALL, seed=1)
    generate(other, scale=SMALL, seed=2)
    first = checksums(path)
    assert checksums(again) == first
    different = checksums(other)
    assert all(different[t] != first[t] for t in TABLES if t != "samordningsforbund")


def test_tables_and_columns_are_exactly_the_models(catalogue, small):
    path, counts = small
    stored = query(path, "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                         "ORDER BY table_name, ordinal_position")
    expected = [("main", name, column.name, column.type.upper())
                for name, entity in sorted(catalogue.model.entities.items()) for column in entity.columns.values()]
    assert stored == expected
    assert set(counts) == set(TABLES) and all(n > 0 for n in counts.values())


def test_the_extract_keeps_every_rule_of_the_data_model(small):
    path, _ = small
    assert api.check_data(api.checked_catalogue(), path) == []


def test_rules_the_model_file_does_not_declare(small):
    path, _ = small
    # a participation ended after interventions exactly when it has at least one
    assert query(path, """
        SELECT count(*) FROM samarbete s
        WHERE s.slutdatum IS NOT NULL
          AND (s.avslutsorsak = 'efter_insats') <> EXISTS (SELECT 1 FROM insats i WHERE i.samarbete_id = s.samarbete_id)
    """) == [(0,)]
    # hand-over meetings until May 2018, transition meetings from June 2018
    assert query(path, """
        SELECT count(*) FROM mote
        WHERE (motestyp = 'overlamningsmote' AND datum >= DATE '2018-06-01')
           OR (motestyp = 'omstallningsmote' AND datum < DATE '2018-06-01')
    """) == [(0,)]
    # nothing after the extract date; events from 2015
    assert query(path, """
        SELECT max(d), min(e) FROM (
            SELECT greatest(startdatum, slutdatum) AS d, NULL AS e FROM ersattningsfall
            UNION ALL SELECT greatest(startdatum, slutdatum), startdatum FROM samarbete
            UNION ALL SELECT greatest(startdatum, slutdatum), startdatum FROM insats
            UNION ALL SELECT datum, datum FROM mote)
    """)[0][0].isoformat() <= "2019-12-31"
    assert query(path, "SELECT min(datum) >= DATE '2015-01-01' FROM kartlaggning") == [(True,)]
    # aktivitetsersättning is for people aged 19 to 29
    assert query(path, """
        SELECT min(year(f.startdatum) - p.fodelsear) >= 19,
               max(year(coalesce(f.slutdatum, DATE '2019-12-31')) - p.fodelsear) <= 29
        FROM ersattningsfall f JOIN person p USING (person_id) WHERE f.ersattning = 'aktivitetsersattning'
    """) == [(True, True)]


def test_row_counts_scale_with_scale(small, tmp_path):
    _, counts = small
    half = generate(tmp_path / "half.duckdb", scale=SMALL / 2, seed=1)
    assert half["samordningsforbund"] == counts["samordningsforbund"] == 85  # a fixed register
    for table in TABLES:
        if table != "samordningsforbund":
            assert 1.8 < counts[table] / half[table] < 2.2, table


def test_progress_is_reported_after_every_step_and_parent_folders_are_created(tmp_path):
    out = tmp_path / "a" / "b" / "extract.duckdb"
    seen = []
    generate(out, scale=0.002, seed=3, progress=lambda step, done, total: seen.append((step, done, total)))
    names = [name for name, _ in synthetic.generation_steps()]
    assert seen == [(name, i, len(names)) for i, name in enumerate(names, start=1)]
    assert sorted(p.name for p in out.parent.iterdir()) == ["extract.duckdb"]  # no temporary file is left


def test_a_failed_generation_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "extract.duckdb"
    out.write_bytes(b"the previous extract")
    steps = synthetic.generation_steps()
    monkeypatch.setattr(synthetic, "generation_steps", lambda: [*steps[:2], ("broken", "SELECT * FROM no_such_table")])
    with pytest.raises(duckdb.Error):
        generate(out, scale=0.002, seed=1)
    assert out.read_bytes() == b"the previous extract"
    assert [p.name for p in tmp_path.iterdir()] == ["extract.duckdb"]


def test_an_unwritable_destination_fails_without_leaving_anything(tmp_path):
    folder = tmp_path / "extract.duckdb"
    folder.mkdir()  # a folder where the file should go
    with pytest.raises(IsADirectoryError):
        generate(folder, scale=0.002, seed=1)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OSError):
        generate(blocker / "extract.duckdb", scale=0.002, seed=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract.duckdb", "not_a_folder"]
    assert not any(folder.iterdir())


@pytest.mark.parametrize("kwargs", [{"scale": 0}, {"scale": -1}, {"scale": "1"}, {"seed": -1}, {"seed": 1.5},
                                    {"seed": True}, {"seed": 2**63}])
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate(tmp_path / "x.duckdb", **kwargs)
    assert not any(tmp_path.iterdir())
