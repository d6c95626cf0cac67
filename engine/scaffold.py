"""`indicators init DIR`: the skeleton of a catalogue kept outside this repository.

The README documents `--indicators DIR` for one's own catalogue; this writes one that
validates, passes its golden fixture and has its SQL snapshots written on the first try:

    DIR/indicators/model.yaml, project.yaml, antal_avslutade_sjukpenningfall.yaml
    DIR/fixtures/antal_avslutade_sjukpenningfall.yaml   (the expected rows worked out by hand)
    DIR/schemas/*.schema.json                           (copies, so the schema lines resolve)
    DIR/README.md

Everything is written into a staging folder beside DIR first and then renamed into place,
so an interrupted init leaves no half-written catalogue behind.
"""
from __future__ import annotations

import os
import secrets
import shutil
from importlib import resources
from pathlib import Path

from . import outputs
from .diagnostics import Diagnostic, EngineError, Position

EXAMPLE_ID = "antal_avslutade_sjukpenningfall"


def _schema_line(kind: str) -> str:
    return f"# yaml-language-server: $schema=../schemas/{kind}.schema.json\n"


MODEL = _schema_line("model") + """\
# The data model: one entity per table of your dataset, with its key, typed columns
# (allowed values where there are few), relationships and consistency rules. Indicators
# name entities, columns and relationships as written here; a dataset whose tables and
# columns are named so can be run (or bind other names with --mapping).
# A small start: replace it with the tables of your own extract. The indicator engine's
# indicators/model.yaml is a full example (calculated columns, temporal lookups).
model: exempel
version: 1
description:
  sv: Ett litet exempel på en datamodell, att ersätta med det egna registerutdragets tabeller.
  en: A small example data model, to be replaced by the tables of your own register extract.

# The plausible dates: `indicators check-data` reports every value of a date column outside them.
dates: {from: 1955-01-01, to: 2099-12-31}

entities:
  person:
    title: {sv: person, en: person}
    plural: {sv: personer, en: persons}
    key: person_id
    columns:
      person_id: {type: bigint}
      kon:  # an indicator whose unit has a person is broken down by kon by default
        type: varchar
        values: [K, M]
        title: {sv: Kön, en: Sex}
        labels: {K: Kvinnor, M: Män}
      fodelsear: {type: integer, title: {sv: Födelseår, en: Birth year}}

  ersattningsfall:
    title: {sv: ersättningsfall, en: benefit case}
    plural: {sv: ersättningsfall, en: benefit cases}
    key: fall_id
    columns:
      fall_id: {type: bigint}
      person_id: {type: bigint}
      ersattning:
        type: varchar
        values: [sjukpenning, aktivitetsersattning]  # a filter naming another value is an error
        title: {sv: Ersättning, en: Benefit}
        labels: {sjukpenning: Sjukpenning, aktivitetsersattning: Aktivitetsersättning}
      startdatum: {type: date}
      slutdatum: {type: date, nullable: true}  # NULL while the case is ongoing
      avslutsorsak:
        type: varchar
        nullable: true
        values: [aterfatt_arbetsformaga, annan_ersattning, annat]
        title: {sv: Avslutsorsak, en: Reason for ending}
        labels: {aterfatt_arbetsformaga: Återfått arbetsförmåga, annan_ersattning: Annan ersättning, annat: Annat}
    relationships:
      # many cases to one person; `person.kon` reads the person's sex from a case
      person: {to: person, foreign_key: person_id, reverse: ersattningsfall}
    rules:  # checked by `indicators check-data`
      slut_efter_start: {check: "slutdatum IS NULL OR startdatum <= slutdatum"}
      avslutsorsak_om_avslutat: {check: "(slutdatum IS NULL) = (avslutsorsak IS NULL)"}
"""

PROJECT = _schema_line("project") + """\
# Settings of this catalogue as a whole: disclosure control, change alerts, reports.
title:
  sv: Exempelkatalog
  en: Example catalogue

disclosure:
  # Report cells built on fewer units than this are shown as ".." (and protected
  # against recovery from the total).
  threshold: 5

change_alert:
  # `indicators check` warns when a total moved more than this since the period before.
  count: {relative: 0.20}
  share: {absolute: 0.05}

sources:
  # The publications that figures are cited from; a figure names one with
  # `source: <id>` and the place in it with `at: "..."`.
  - id: exempelrapport
    title: "Exempel: ersätt med den rapport som avsnittet återger"
    kind: Återrapportering till regeringen
    publisher: Exempelmyndigheten
    date: "2019-05-17"

reports:
  # The sections of `indicators report`; an indicator joins one with `report: <key>`.
  - key: exempel
    title: {sv: Exempel, en: Example}
    source: exempelrapport
    order: [antal_avslutade_sjukpenningfall]
"""

INDICATOR = _schema_line("indicator") + """\
# One indicator per file; the file name and the id agree.
id: antal_avslutade_sjukpenningfall
version: 1
title:
  sv: Antal avslutade sjukpenningfall
  en: Number of ended sickness benefit cases
description:
  sv: Antal ersättningsfall med sjukpenning som avslutades under perioden.
  en: Number of sickness benefit cases that ended in the period.
unit: count
owner: Exempelenheten
report: exempel
population:
  entity: ersattningsfall   # one unit = one case
  period: slutdatum         # a case is in the period when it ended in it (an ongoing case never is)
  where:
    - ersattning = 'sjukpenning'
measure:
  kind: count
breakdowns: [avslutsorsak]  # kon (of the case's person) is added by default
"""

FIXTURE = _schema_line("fixture") + """\
indicator: antal_avslutade_sjukpenningfall
description: >
  Cases ending on the first and last day of 2018 are in, the day before and after out;
  an aktivitetsersättning case and an ongoing case are never counted.
inputs:
  person:
    - {person_id: 1, kon: K, fodelsear: 1980}
    - {person_id: 2, kon: M, fodelsear: 1975}
    - {person_id: 3, kon: M, fodelsear: 1990}
  ersattningsfall:
    # 10: ends 2018-01-01, the first day of 2018: in 2018 (K, aterfatt_arbetsformaga)
    - {fall_id: 10, person_id: 1, ersattning: sjukpenning, startdatum: 2017-03-01, slutdatum: 2018-01-01, avslutsorsak: aterfatt_arbetsformaga}
    # 11: ends 2018-12-31, the last day of 2018 and of 2018H2: in both (K, annat)
    - {fall_id: 11, person_id: 1, ersattning: sjukpenning, startdatum: 2018-02-01, slutdatum: 2018-12-31, avslutsorsak: annat}
    # 20: ends 2017-12-31, the day before 2018: only in 2017 (M, aterfatt_arbetsformaga)
    - {fall_id: 20, person_id: 2, ersattning: sjukpenning, startdatum: 2017-05-01, slutdatum: 2017-12-31, avslutsorsak: aterfatt_arbetsformaga}
    # 21: ends 2019-01-01, the day after 2018: in no period below
    - {fall_id: 21, person_id: 2, ersattning: sjukpenning, startdatum: 2018-03-01, slutdatum: 2019-01-01, avslutsorsak: aterfatt_arbetsformaga}
    # 22: ends in 2018 but is aktivitetsersättning: the filter keeps it out
    - {fall_id: 22, person_id: 2, ersattning: aktivitetsersattning, startdatum: 2016-01-01, slutdatum: 2018-06-30, avslutsorsak: annan_ersattning}
    # 30: still ongoing (no slutdatum): in no period
    - {fall_id: 30, person_id: 3, ersattning: sjukpenning, startdatum: 2018-08-01, slutdatum: null, avslutsorsak: null}
    # 31: ends 2018-06-30, in 2018 but not in 2018H2 (M, aterfatt_arbetsformaga)
    - {fall_id: 31, person_id: 3, ersattning: sjukpenning, startdatum: 2017-10-01, slutdatum: 2018-06-30, avslutsorsak: aterfatt_arbetsformaga}
expect:
  - period: "2018"
    # sjukpenning cases ending 2018-01-01..2018-12-31: 10, 11, 31
    rows:
      - {breakdown: {}, value: 3, n: 3}
      - {breakdown: {kon: K}, value: 2, n: 2}   # 10, 11 (person 1)
      - {breakdown: {kon: M}, value: 1, n: 1}   # 31 (person 3)
      - {breakdown: {avslutsorsak: aterfatt_arbetsformaga}, value: 2, n: 2}   # 10, 31
      - {breakdown: {avslutsorsak: annat}, value: 1, n: 1}                    # 11
  - period: "2018H2"
    # 2018-07-01..2018-12-31: only 11 (31 ended on 2018-06-30)
    rows:
      - {breakdown: {}, value: 1, n: 1}
      - {breakdown: {kon: K}, value: 1, n: 1}
      - {breakdown: {avslutsorsak: annat}, value: 1, n: 1}
  - period: "2017"
    # only 20, which ended on 2017-12-31
    rows:
      - {breakdown: {}, value: 1, n: 1}
      - {breakdown: {kon: M}, value: 1, n: 1}
      - {breakdown: {avslutsorsak: aterfatt_arbetsformaga}, value: 1, n: 1}
  - period: "2019-02"
    # no case ends in February 2019: a count over an empty population is 0, total row only
    rows:
      - {breakdown: {}, value: 0, n: 0}
"""  # noqa: E501 - the fixture YAML is written verbatim: one input row per line, as in fixtures/

README = f"""\
# Indicator catalogue

Written by `indicators init`. Every command takes `--indicators indicators`:

    indicators validate --indicators indicators             # check every file
    indicators explain {EXAMPLE_ID} --indicators indicators
    indicators test --indicators indicators                 # golden fixtures in fixtures/
    indicators snapshots --update --indicators indicators   # compiled SQL in tests/snapshots/

- `indicators/model.yaml`: the data model; `indicators/project.yaml`: disclosure, change
  alerts and report sections; one YAML file per indicator beside them.
- `fixtures/`: one golden fixture per indicator, its expected rows worked out by hand.
- `schemas/`: the JSON Schemas the first line of every YAML file points to, so that
  editors complete and check the files. They are copies: refresh them after upgrading
  the engine.
"""


def skeleton() -> dict[str, str]:
    """{relative path: text} of every file `init` writes."""
    files = {
        "README.md": README,
        "indicators/model.yaml": MODEL,
        "indicators/project.yaml": PROJECT,
        f"indicators/{EXAMPLE_ID}.yaml": INDICATOR,
        f"fixtures/{EXAMPLE_ID}.yaml": FIXTURE,
    }
    for schema in sorted(resources.files("engine").joinpath("schemas").iterdir(), key=lambda p: p.name):
        if schema.name.endswith(".schema.json"):
            files[f"schemas/{schema.name}"] = schema.read_text("utf-8")
    return files


def _refuse(target: Path, code: str, message: str, hint: str) -> EngineError:
    return EngineError([Diagnostic(Position(str(target)), code, message, hint)])


def init_catalogue(target: Path | str) -> list[Path]:
    """Write the skeleton into `target` (a new or empty folder); returns the files written.

    A non-empty folder is refused, never merged into: init must not overwrite anyone's work.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise _refuse(target, "E_OUT", f"{target} is a file, not a folder", "give a new folder, e.g. my-catalogue")
    if target.is_dir() and any(target.iterdir()):
        raise _refuse(target, "E_NOT_EMPTY", f"{target} is not empty; init writes only into a new or empty folder",
                      "give a new folder name, e.g. my-catalogue")
    parent = target.absolute().parent
    staging = parent / f".{target.absolute().name}.init-{secrets.token_hex(4)}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        outputs.register(staging, folder=True)  # removed on SIGTERM/SIGINT too
        files = skeleton()
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _move_into_place(staging, target)
    except OSError as exc:
        raise _refuse(target, "E_OUT", f"cannot write {target}: {exc.strerror or exc}",
                      "give a new folder in a writable place") from None
    finally:
        outputs.remove(staging)  # gone already when init succeeded
    return [target / name for name in files]


def _move_into_place(staging: Path, target: Path) -> None:
    """One rename when `target` is new; into an existing empty folder (perhaps the working
    directory, which must not be replaced) each top-level entry is renamed in."""
    if not target.exists():
        os.rename(staging, target)
        return
    if any(target.iterdir()):  # filled in meanwhile: leave it alone
        raise _refuse(target, "E_NOT_EMPTY", f"{target} is no longer empty", "run init again on a new folder")
    moved: list[Path] = []
    try:
        for entry in sorted(staging.iterdir()):
            os.rename(entry, target / entry.name)
            moved.append(target / entry.name)
    except OSError:
        for path in moved:  # undo, so a failed init leaves the folder as it was
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
