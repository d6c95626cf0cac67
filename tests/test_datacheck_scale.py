"""Data checks that scale (issue 11, part 3): cheap aggregates first, only the tables read, a cache.

The aggregate queries (engine.datacheck._gates) must give exactly what the reference queries give (each check's
query as it ran before: examples ordered by key and the count of breaches), on data breaking every kind of check;
a run of some indicators checks only the tables they read; results are cached per dataset and model and are
never read once either has changed.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import random
import stat
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from engine import api, datacache
from engine.cli import main
from engine.datacache import CACHE_ENV, FOLDER, cache_root, open_cache
from engine.datacheck import _gates, checks, run_checks
from engine.execute import Dataset, load_tables, open_dataset
from engine.lineage import lineage, tables_read
from reference.random_data import random_dataset

KINDS = ("unique_key", "not_null", "allowed_values", "pattern", "range", "foreign_key", "no_overlap", "rule")


# ---------------------------------------------------------------- the reference: the checks as they ran before


def reference(dataset, model, rules) -> list:
    """Every check's reference query, in the model's order: the data checks before the aggregates."""
    found = []
    for check in checks(model, rules):
        rows = dataset.query(check.reference).rows
        found.append(check.issue(int(rows[0][1]) if rows else 0, [r[0] for r in rows]))
    return found


class AsDialect:
    """A DuckDB dataset that says it is another dialect: the aggregate queries take that dialect's form (one scan
    per table, SUM(CASE ...)), still run by DuckDB."""

    def __init__(self, dataset: Dataset, dialect: str):
        self.dataset, self.dialect, self.engine, self.description = dataset, dialect, "duckdb", dataset.description

    def query(self, tree):
        return self.dataset.query(tree)

    def close(self) -> None:
        self.dataset.close()


def in_memory(model, tables) -> Dataset:
    con = duckdb.connect()
    load_tables(con, model, tables)
    return Dataset(con, "t")


def far_value(column, model, low: bool):
    """A value outside a column's plausible range (below or above it), or None when it has no such end."""
    plausible = model.plausible(column)
    end = None if plausible is None else plausible.low if low else plausible.high
    if end is None:
        return None
    if isinstance(end, dt.date):
        return end - dt.timedelta(days=1) if low else end + dt.timedelta(days=1)
    return end - 1 if low else end + 1


def broken(model, tables: dict, rng: random.Random) -> dict:
    """`tables` with breaches of every kind of check, derived from the model, at random places and counts."""
    tables = copy.deepcopy(tables)
    for entity in model.entities.values():
        rows = tables.get(entity.name) or []
        if not rows:
            continue
        key = entity.key
        for _ in range(rng.randint(0, 3)):                                     # a key held by 2 or 3 rows
            copies = rng.choice([1, 1, 2])
            rows += [dict(rng.choice(rows)) for _ in range(copies)]
        if rng.random() < 0.3:                                                 # NULL keys (they group together)
            for row in rng.sample(rows, min(len(rows), rng.choice([1, 2, 3]))):
                row[key] = None
        for column in entity.columns.values():
            if rng.random() < 0.25 and not column.nullable:
                rng.choice(rows)[column.name] = None
            if column.values and rng.random() < 0.4:
                for row in rng.sample(rows, min(len(rows), rng.randint(1, 7))):
                    row[column.name] = "X"
            if column.pattern and rng.random() < 0.5:
                rng.choice(rows)[column.name] = "99"
            for low in (True, False):
                value = far_value(column, model, low)
                if value is not None and rng.random() < 0.3:
                    rng.choice(rows)[column.name] = value
        for rel in entity.relationships.values():
            if not rel.to_many and rng.random() < 0.4:                          # dangling foreign keys
                for row in rng.sample(rows, min(len(rows), rng.randint(1, 8))):
                    row[rel.foreign_key] = 900_000 + rng.randint(0, 5)
    for t in model.temporal.values():
        rows = tables.get(t.entity) or []
        if not rows:
            continue
        key = model.entities[t.entity].key
        for _ in range(rng.randint(0, 6)):                                      # rows overlapping another
            row = dict(rng.choice(rows))
            row[key] = 800_000 + len(rows)
            if row[t.start] is not None:
                row[t.start] = row[t.start] + dt.timedelta(days=rng.choice([0, 1, 5]))
                row[t.end] = rng.choice([None, row[t.start] + dt.timedelta(days=rng.choice([0, 3, 400]))])
            rows.append(row)
        for row in rng.sample(rows, min(len(rows), rng.randint(0, 2))):         # intervals ending before they start
            if row[t.start] is not None:
                row[t.end] = row[t.start] - dt.timedelta(days=rng.choice([1, 30]))
    return tables


@pytest.fixture(scope="module")
def datasets(catalogue):
    """Random consistent datasets, and each broken at random in every way `broken` knows."""
    found = []
    for seed in range(12):
        rng = random.Random(seed)
        tables = random_dataset(rng, rng.choice([8, 30, 60]))
        found.append((seed, tables, broken(catalogue.model, tables, rng)))
    return found


def test_the_aggregates_give_what_the_reference_queries_give(catalogue, datasets):
    model, rules = catalogue.model, catalogue.rules
    breached: set[str] = set()
    for seed, good, bad in datasets:
        for tables in (good, bad) if seed < 3 else (bad,):
            dataset = in_memory(model, tables)
            try:
                expected = reference(dataset, model, rules)
                for dialect in ("duckdb", "postgres"):  # DuckDB's filtered counts, and the one-scan form
                    assert list(run_checks(AsDialect(dataset, dialect), model, rules)) == expected, (seed, dialect)
            finally:
                dataset.close()
            breached |= {i.check.split(":")[0] for i in expected if i.breaches}
    assert breached == set(KINDS)  # every kind of check was breached somewhere, so the comparison means something


def test_breaches_keep_their_meaning(catalogue):
    """Every row of a repeated key (a key held by three rows: 3), every overlapping pair, examples by key."""
    tables = {"person": [{"person_id": p, "kon": "K", "fodelsear": 1980} for p in (1, 2, 2, 3, 3, 3, 4)]
              + [{"person_id": None, "kon": "M", "fodelsear": 1980}] * 2,
              "ersattningsfall": [
                  {"fall_id": f, "person_id": 1, "ersattning": "sjukpenning", "startdatum": dt.date(2018, 1, d),
                   "slutdatum": None if f == 10 else dt.date(2018, 1, d + 2), "diagnoskod": None,
                   "avslutsorsak": None if f == 10 else "annat"} for f, d in ((10, 1), (11, 5), (12, 6), (13, 20))]}
    dataset = in_memory(catalogue.model, tables)
    try:
        found = {(i.entity, i.check): i for i in run_checks(dataset, catalogue.model, catalogue.rules)}
    finally:
        dataset.close()
    unique = found[("person", "unique_key")]
    assert (unique.breaches, unique.examples) == (7, [2, 3, None])    # 2 + 3 rows, and the two NULL keys
    overlap = found[("ersattningsfall", "no_overlap:pagaende_fall")]
    # 10 is open (overlaps 11, 12, 13), 11 (5-7) overlaps 12 (6-8): four pairs, by the first key of each pair
    assert (overlap.breaches, overlap.examples) == (4, [10, 10, 10, 11])


def test_every_aggregate_renders_on_duckdb_postgres_and_spark(catalogue):
    every = checks(catalogue.model, catalogue.rules)
    for form in ("duckdb", "postgres"):
        for gate in _gates(every, form):
            assert not list(gate.query.find_all(exp.Window, exp.Order)), gate.query.sql()  # no sort, no window
            for dialect in ("duckdb", "postgres", "spark"):
                gate.query.sql(dialect, unsupported_level=ErrorLevel.RAISE)
    assert sum(len(g.checks) for g in _gates(every, "postgres")) == len(every)
    # one scan per table for its own rows, one per table and set of joins, one per temporal relationship
    scans = {(c.entity, c.joins) for c in every if c.kind != "no_overlap"}
    assert len(_gates(every, "postgres")) == len(scans) + len(catalogue.model.temporal)


def test_a_table_that_cannot_be_read_fails_each_of_its_checks_not_others(catalogue, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    con = duckdb.connect()
    load_tables(con, catalogue.model, random_dataset(random.Random(3), 20))
    for entity in catalogue.model.entities:
        con.execute(f"COPY {entity} TO '{folder / entity}.parquet' (FORMAT parquet)")
    con.close()
    dataset = open_dataset(folder, catalogue.model)
    try:
        (folder / "mote.parquet").write_bytes(b"PAR1 damaged")
        with pytest.raises(api.EngineError) as err:
            run_checks(dataset, catalogue.model, catalogue.rules)
    finally:
        dataset.close()
    failed = {d.message.split("'")[1] for d in err.value.diagnostics}
    assert failed == {"mote"} and all(d.code == "E_DATA_QUERY" for d in err.value.diagnostics)
    assert len(err.value.diagnostics) == sum(1 for c in checks(catalogue.model, catalogue.rules) if c.entity == "mote")


# ---------------------------------------------------------------- only the tables the indicators read


def write_db(path: Path, model, tables: dict) -> Path:
    con = duckdb.connect(str(path))
    load_tables(con, model, tables)
    con.close()
    return path


@pytest.fixture(scope="module")
def consistent():
    for seed in range(100):
        tables = random_dataset(random.Random(seed), 40)
        if all(tables.values()):
            return tables
    raise AssertionError("no random dataset with every table")


def narrowest(catalogue) -> str:
    """The indicator reading the fewest tables (with those computed beside it)."""
    return min(sorted(catalogue.indicators), key=lambda i: len(tables_read(catalogue, [i])))


def test_a_run_of_one_indicator_checks_only_the_tables_it_reads(catalogue, consistent, tmp_path):
    ident = narrowest(catalogue)
    read = tables_read(catalogue, [ident])
    assert set(lineage(catalogue, ident).entities) <= read < set(catalogue.model.entities)
    unread = sorted(set(catalogue.model.entities) - read)[0]
    tables = copy.deepcopy(consistent)
    tables[unread].append(dict(tables[unread][0]))  # a repeated key where the indicator does not read
    db = write_db(tmp_path / "x.duckdb", catalogue.model, tables)
    one = api.run_with_provenance(catalogue, db, ["2018"], [ident])
    assert {i.entity for i in one.data_checks} == read and one.breaches == []
    assert set(one.provenance.data_checks["tables"]) == read
    every = api.run_with_provenance(catalogue, db, ["2018"])
    assert set(every.provenance.data_checks["tables"]) == set(catalogue.model.entities)
    assert [(i.entity, i.check) for i in every.breaches] == [(unread, "unique_key")]
    assert len(every.data_checks) == len(checks(catalogue.model, catalogue.rules))


def test_check_with_an_indicator_checks_what_its_figures_read(catalogue, consistent, tmp_path):
    ident = next(i for i in sorted(catalogue.indicators, key=lambda i: len(tables_read(catalogue, [i])))
                 if catalogue.indicators[i].info.published)
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    result = api.check(catalogue, db, indicator_ids=[ident])
    assert set(result.provenance.data_checks["tables"]) == tables_read(catalogue, [ident])
    assert {i.entity for i in result.data} == tables_read(catalogue, [ident])


# ---------------------------------------------------------------- the cache


def cache_files() -> list[Path]:
    root = cache_root()
    assert root is not None
    return sorted((root / FOLDER).glob("*.json")) if (root / FOLDER).is_dir() else []


def test_the_cache_serves_a_second_run_and_one_indicator_after_check_data(catalogue, consistent, tmp_path):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    assert cache_files() == []
    first = api.run_with_provenance(catalogue, db, ["2018"])
    assert first.provenance.data_checks["cached"] == 0 and len(cache_files()) == 1
    again = api.run_with_provenance(catalogue, db, ["2018"])
    assert again.data_checks == first.data_checks and again.data_checks.cached == len(first.data_checks)
    assert again.provenance.data_checks["cached"] == len(first.data_checks)
    ident = narrowest(catalogue)
    one = api.run_with_provenance(catalogue, db, ["2018"], [ident])
    assert one.data_checks.cached == len(one.data_checks) > 0   # check-data's (here: run's) results, a subset
    assert api.check_data(catalogue, db) == [] and len(cache_files()) == 1
    assert stat.S_IMODE(cache_files()[0].stat().st_mode) == 0o600  # example keys: the owner's only


def test_a_changed_dataset_is_checked_again(catalogue, consistent, tmp_path):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    assert api.check_data(catalogue, db) == []
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO person SELECT * FROM person LIMIT 1")  # a repeated key
    con.close()
    [issue] = api.check_data(catalogue, db)
    assert (issue.entity, issue.check, issue.breaches) == ("person", "unique_key", 2)
    assert len(cache_files()) == 2


def test_a_touched_dataset_is_checked_again(catalogue, consistent, tmp_path):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    api.check_data(catalogue, db)
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 1_000_000_000))  # same bytes, a new mtime
    dataset = open_dataset(db, catalogue.model)
    try:
        assert run_checks(dataset, catalogue.model, catalogue.rules,
                          cache=open_cache(catalogue, db, dataset)).cached == 0
    finally:
        dataset.close()


def test_a_changed_model_is_checked_again(make_catalogue, consistent, tmp_path):
    folder, catalogue = make_catalogue({})
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    assert api.check_data(api.checked_catalogue(folder), db) == []
    model = (folder / "model.yaml").read_text("utf-8")
    (folder / "model.yaml").write_text(model.replace("range: {from: 1900, to: 2099}", "range: {from: 2050}"), "utf-8")
    [issue] = api.check_data(api.checked_catalogue(folder), db)
    assert (issue.entity, issue.check, issue.breaches) == ("person", "range:fodelsear", len(consistent["person"]))
    assert len(cache_files()) == 2


def test_a_damaged_cache_file_is_ignored_and_rewritten(catalogue, consistent, tmp_path):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    tables = copy.deepcopy(consistent)
    bad = write_db(tmp_path / "bad.duckdb", catalogue.model, broken(catalogue.model, tables, random.Random(1)))
    expected = api.check_data(catalogue, bad)
    assert expected
    api.check_data(catalogue, db)
    files = cache_files()
    for junk in (b"{not json", b"\xff\xfe", json.dumps({"format": 1, "key": "x", "checks": {}}).encode()):
        for f in files:
            f.write_bytes(junk)
        assert api.check_data(catalogue, bad) == expected and api.check_data(catalogue, db) == []
    document = json.loads(files[0].read_text("utf-8"))
    some = next(iter(document["checks"]))
    document["checks"][some]["breaches"] = "many"  # an entry that is not a result: computed again
    files[0].write_text(json.dumps(document), "utf-8")
    assert api.check_data(catalogue, bad) == expected and api.check_data(catalogue, db) == []


def test_changed_check_code_is_checked_again(catalogue, consistent, tmp_path, monkeypatch):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    api.check_data(catalogue, db)
    dataset = open_dataset(db, catalogue.model)
    try:
        assert run_checks(dataset, catalogue.model, catalogue.rules, cache=open_cache(catalogue, db, dataset)).cached
        monkeypatch.setattr(datacache, "code_digest", lambda: "another engine")
        assert run_checks(dataset, catalogue.model, catalogue.rules,
                          cache=open_cache(catalogue, db, dataset)).cached == 0
    finally:
        dataset.close()
    assert len(cache_files()) == 2


def test_off_and_no_cache_write_nothing(catalogue, consistent, tmp_path, monkeypatch):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    result = CliRunner().invoke(main, ["check-data", "--data", str(db), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert os.environ[CACHE_ENV] == "off"
    assert cache_root() is None
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    assert CliRunner().invoke(main, ["check-data", "--data", str(db)]).exit_code == 0
    assert len(cache_files()) == 1
    monkeypatch.setenv(CACHE_ENV, "off")
    api.check_data(catalogue, write_db(tmp_path / "y.duckdb", catalogue.model, consistent))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    assert len(cache_files()) == 1


def test_only_file_datasets_are_cached_and_never_beside_the_inputs(make_catalogue, catalogue, consistent, tmp_path,
                                                                   monkeypatch):
    fixture = sorted((Path(catalogue.directory).parent / "fixtures").glob("*.yaml"))[0]
    _, catalogue = make_catalogue({})  # a catalogue folder of the test's own: nothing may be written into it
    api.check_data(catalogue, fixture)
    assert cache_files() == []
    folder = tmp_path / "data"
    folder.mkdir()
    con = duckdb.connect()
    load_tables(con, catalogue.model, consistent)
    for entity in catalogue.model.entities:
        con.execute(f"COPY {entity} TO '{folder / entity}.parquet' (FORMAT parquet)")
    con.close()
    api.check_data(catalogue, folder)
    assert len(cache_files()) == 1
    for inside in (folder / "cache", Path(catalogue.directory) / ".cache",
                   Path(catalogue.directory).resolve().parent / "fixtures" / "cache"):
        monkeypatch.setenv(CACHE_ENV, str(inside))
        api.check_data(catalogue, folder)
        assert not inside.exists(), inside


def test_results_are_not_kept_when_the_dataset_changed_meanwhile(catalogue, consistent, tmp_path):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    dataset = open_dataset(db, catalogue.model)
    try:
        cache = open_cache(catalogue, db, dataset)
        assert cache is not None
        os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 1_000_000_000))
        run_checks(dataset, catalogue.model, catalogue.rules, cache=cache)
    finally:
        dataset.close()
    assert cache_files() == []


def test_the_key_holds_the_mapping_and_the_backend(catalogue, consistent, tmp_path):
    db = write_db(tmp_path / "x.duckdb", catalogue.model, consistent)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("tables: {person: {columns: {kon: kon}}}\n", "utf-8")
    dataset = open_dataset(db, catalogue.model)
    try:
        plain, mapped = open_cache(catalogue, db, dataset), open_cache(catalogue, db, dataset, mapping)
        assert plain is not None and mapped is not None and plain.file != mapped.file
        assert open_cache(catalogue, db, AsDialect(dataset, "postgres")).file == plain.file
        other = AsDialect(dataset, "postgres")
        other.engine = "postgres"
        assert open_cache(catalogue, db, other) is None
        assert open_cache(catalogue, "postgresql://localhost/x", dataset) is None
    finally:
        dataset.close()


def test_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.setenv(CACHE_ENV, "OFF")
    assert cache_root() is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "indicators"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # not absolute: ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "indicators"

