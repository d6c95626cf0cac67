"""Stage 6: datasets (.duckdb read-only, Parquet and CSV folders), data errors, conventions."""
import hashlib
import random

import duckdb
import pytest

from engine import api
from engine.diagnostics import EngineError
from engine.execute import load_tables
from reference.random_data import random_dataset


@pytest.fixture(scope="module")
def tables():
    return random_dataset(random.Random(7), size=40)


def write_duckdb(path, catalogue, tables):
    con = duckdb.connect(str(path))
    load_tables(con, catalogue.model, tables)
    con.close()


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_duckdb_file_is_opened_read_only_and_left_unchanged(tmp_path, catalogue, tables):
    db = tmp_path / "extract.duckdb"
    write_duckdb(db, catalogue, tables)
    before = digest(db)
    rows = api.run(catalogue, db, ["2018", "2018H2"])
    assert digest(db) == before
    assert {r["indicator"] for r in rows} == set(catalogue.indicators)
    con = duckdb.connect(str(db), read_only=True)  # nothing else holds a write lock
    con.close()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_folder_datasets_give_the_same_numbers(tmp_path, catalogue, tables, fmt):
    db = tmp_path / "extract.duckdb"
    write_duckdb(db, catalogue, tables)
    folder = tmp_path / fmt
    folder.mkdir()
    con = duckdb.connect(str(db), read_only=True)
    for entity in catalogue.model.entities:
        con.table(entity).write_parquet(str(folder / f"{entity}.parquet")) if fmt == "parquet" else \
            con.table(entity).write_csv(str(folder / f"{entity}.csv"))
    con.close()
    assert api.run(catalogue, folder, ["2018"]) == api.run(catalogue, db, ["2018"])


def test_missing_table_and_wrong_type_are_reported_together(tmp_path, catalogue, tables):
    db = tmp_path / "bad.duckdb"
    write_duckdb(db, catalogue, tables)
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE mote")
    con.execute("ALTER TABLE person ALTER kon TYPE INTEGER USING 1")
    con.close()
    with pytest.raises(EngineError) as info:
        api.run(catalogue, db, ["2018"])
    found = sorted(d.code for d in info.value.diagnostics)
    assert found == ["E_DATA_MISSING_TABLE", "E_DATA_TYPE"]


def test_not_a_database(tmp_path, catalogue):
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("hello")
    with pytest.raises(EngineError) as info:
        api.run(catalogue, bogus, ["2018"])
    assert info.value.diagnostics[0].code == "E_DATA_OPEN"


def test_empty_population_gives_only_the_total_row(tmp_path, catalogue):
    db = tmp_path / "empty.duckdb"
    write_duckdb(db, catalogue, {})
    rows = api.run(catalogue, db, ["2018"])
    assert len(rows) == len(catalogue.indicators) and all(r["breakdown"] == {} for r in rows)
    for r in rows:
        kind = catalogue.get(r["indicator"]).measure.kind
        assert r["n"] == 0
        if kind in ("count", "count_distinct"):
            assert r["value"] == 0 and r["numerator"] is None
        elif kind == "share":
            assert r["value"] is None and (r["numerator"], r["denominator"]) == (0, 0)
        else:
            assert r["value"] is None


def test_json_row_shape(tmp_path, catalogue, tables):
    db = tmp_path / "extract.duckdb"
    write_duckdb(db, catalogue, tables)
    for r in api.run(catalogue, db, ["2018"]):
        assert list(r) == ["indicator", "period", "breakdown", "value", "numerator", "denominator", "n", "persons",
                           "numerator_persons", "rest_persons", "disclosure"]
        assert r["disclosure"] in (None, "primary", "secondary")
        assert isinstance(r["n"], int) and isinstance(r["persons"], int) and 0 <= r["persons"] <= r["n"]
        if catalogue.get(r["indicator"]).measure.kind == "share":   # persons on each side of the numerator
            assert r["numerator_persons"] <= r["numerator"] and r["rest_persons"] <= r["n"] - r["numerator"]
            assert r["numerator_persons"] + r["rest_persons"] >= r["persons"]
        else:
            assert r["numerator_persons"] is None and r["rest_persons"] is None
        bound = catalogue.get(r["indicator"])
        shapes = {(), *((b.name,) for b in bound.breakdowns), *((a.name, b.name) for a, b in bound.crosses)}
        assert tuple(r["breakdown"]) in shapes, "the total, one declared breakdown or one declared cross-table"


def copy_database(source, target, catalogue, table_name=lambda name: name, select=lambda entity: "*", after=()):
    """A copy of a test database written the way another tool might have (other names or types)."""
    con = duckdb.connect(str(target))
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    for name, entity in catalogue.model.entities.items():
        con.execute(f"CREATE TABLE {table_name(name)} AS SELECT {select(entity)} FROM src.{name}")
    for statement in after:
        con.execute(statement)
    con.close()


def test_timestamps_and_narrow_integers_are_read_through_typed_views(tmp_path, catalogue, tables):
    """Data written by other tools (dates as TIMESTAMP, ids as INTEGER) gives the same numbers."""
    db = tmp_path / "extract.duckdb"
    write_duckdb(db, catalogue, tables)
    other = tmp_path / "other.duckdb"
    copy_database(db, other, catalogue, select=lambda entity: ", ".join(
        f"CAST({c} AS TIMESTAMP) AS {c}" if col.type == "date" else
        f"CAST({c} AS INTEGER) AS {c}" if col.type in ("bigint", "integer") else c
        for c, col in entity.columns.items()))
    assert api.run(catalogue, other, ["2018H2"]) == api.run(catalogue, db, ["2018H2"])


def test_source_mapping_binds_other_names(tmp_path, catalogue, tables):
    db = tmp_path / "extract.duckdb"
    write_duckdb(db, catalogue, tables)
    renamed = tmp_path / "agency.duckdb"
    copy_database(db, renamed, catalogue, table_name=lambda n: "fall_tab" if n == "ersattningsfall" else n,
                  after=["ALTER TABLE person RENAME kon TO sex"])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables:\n  ersattningsfall: {table: fall_tab}\n  person: {columns: {kon: sex}}\n", "utf-8")
    with pytest.raises(EngineError) as info:
        api.run(catalogue, renamed, ["2018"])
    assert sorted(d.code for d in info.value.diagnostics) == ["E_DATA_MISSING_COLUMN", "E_DATA_MISSING_TABLE"]
    assert api.run(catalogue, renamed, ["2018"], mapping=mapping) == api.run(catalogue, db, ["2018"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables:\n  persn: {columns: {kon: sex}}\n", "utf-8")
    with pytest.raises(EngineError) as info:
        api.run(catalogue, renamed, ["2018"], mapping=bad)
    assert info.value.diagnostics[0].code == "E_UNKNOWN_ENTITY" and "person" in info.value.diagnostics[0].hint
