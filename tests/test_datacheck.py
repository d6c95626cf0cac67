"""Data checks: every breach of the model's consistency rules is reported with a count and example keys."""
import copy
import datetime as dt
import random

import duckdb

from engine.datacheck import check_data
from engine.execute import Dataset, load_tables
from reference.random_data import random_dataset


def issues_of(catalogue, tables):
    con = duckdb.connect()
    load_tables(con, catalogue.model, tables)
    try:
        return {(i.entity, i.check): i for i in check_data(Dataset(con, "t"), catalogue.model, catalogue.rules)}
    finally:
        con.close()


def test_consistent_random_data_has_no_issues(catalogue):
    for seed in range(5):
        assert issues_of(catalogue, random_dataset(random.Random(seed), 30)) == {}


def test_each_kind_of_breach_is_found(catalogue):
    tables = None
    for seed in range(50):
        tables = random_dataset(random.Random(seed), 30)
        if tables["samarbete"] and tables["mote"] and tables["samordningsforbund"] and len(tables["person"]) > 1:
            break
    tables = copy.deepcopy(tables)
    tables["person"].append(dict(tables["person"][0]))                      # duplicate key
    tables["person"][1]["kon"] = "X"                                        # not an allowed value
    tables["samordningsforbund"][0]["lan"] = "26"                           # pattern
    tables["mote"][0]["person_id"] = 999_999                                # dangling foreign key
    s = tables["samarbete"][0]
    s["startdatum"] = s["startdatum"] - dt.timedelta(days=1)                # rule: starts with its assessment
    found = issues_of(catalogue, tables)
    assert found[("person", "unique_key")].examples == [tables["person"][0]["person_id"]]
    assert found[("person", "allowed_values:kon")].breaches == 1
    assert ("samordningsforbund", "pattern:lan") in found
    assert ("mote", "foreign_key:person_id") in found
    assert found[("samarbete", "rule:start_samma_dag_som_kartlaggningen")].examples == [s["samarbete_id"]]


def test_overlapping_cases_of_one_benefit_are_found(catalogue):
    tables = {"person": [{"person_id": 1, "kon": "K", "fodelsear": 1980}],
              "ersattningsfall": [
                  {"fall_id": 10, "person_id": 1, "ersattning": "sjukpenning", "startdatum": dt.date(2018, 1, 1),
                   "slutdatum": None, "diagnoskod": None, "avslutsorsak": None},
                  {"fall_id": 11, "person_id": 1, "ersattning": "sjukpenning", "startdatum": dt.date(2018, 6, 1),
                   "slutdatum": dt.date(2018, 7, 1), "diagnoskod": None, "avslutsorsak": "annat"},
                  {"fall_id": 12, "person_id": 1, "ersattning": "aktivitetsersattning",
                   "startdatum": dt.date(2018, 6, 1), "slutdatum": None, "diagnoskod": None, "avslutsorsak": None}]}
    found = issues_of(catalogue, tables)
    assert list(found) == [("ersattningsfall", "no_overlap:pagaende_fall")]
    assert found[("ersattningsfall", "no_overlap:pagaende_fall")].examples == [10]
