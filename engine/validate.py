"""Stage 2, validate: JSON Schema checks with positions and plain-language messages.

The schemas ship in `engine/schemas/` (draft 2020-12, `additionalProperties: false`), so
editors check the same rules through the `# yaml-language-server: $schema=` line.
Semantic checks that need the model (names, types) belong to `resolve`.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources

import jsonschema
from jsonschema import Draft202012Validator

from .diagnostics import Diagnostics, did_you_mean
from .load import Document

SCHEMAS = ("model", "indicator", "fixture", "project")


@cache
def schema(name: str) -> dict:
    text = resources.files("engine").joinpath("schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def _jsonable(value):
    """YAML gives dates; the schemas see them as the strings a JSON editor would."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf, the alternative that got furthest explains best."""
    while error.context:
        best = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
        if len(best.absolute_path) <= len(error.absolute_path) and best.validator == "type":
            break
        error = best
    return error


def _describe_type(expected: str | list[str]) -> str:
    names = {"string": "text", "integer": "a whole number", "number": "a number",
             "object": "a mapping (key: value lines)", "array": "a list (lines starting with '-')",
             "boolean": "true or false", "null": "null"}
    if isinstance(expected, list):
        return " or ".join(names.get(e, e) for e in expected)
    return names.get(expected, expected)


def validate_schema(doc: Document, kind: str, diags: Diagnostics) -> bool:
    """Record every schema error of `doc`; True when there was none."""
    validator = _validator(kind)
    instance = _jsonable(doc.data)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    seen = set()
    for top in errors:
        error = _deepest(top) if top.validator in ("oneOf", "anyOf") else top
        path = tuple(error.absolute_path)
        # the stubs allow True/False schemas and unset attributes; an error the validator yields has neither
        if error.validator == "additionalProperties":
            assert isinstance(error.schema, Mapping) and isinstance(error.instance, dict)
            allowed = list(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in allowed]
            if path == ("population",) and "from" in error.instance:  # the reuse branch: from + where only
                for key in (k for k in error.instance if k not in ("from", "where")):
                    diags.error(doc.key_pos(path + (key,)), "E_FROM_EXTRA",
                                f"'{key}' cannot be added to a population taken with from:",
                                "a population taken from another indicator adds only where: conditions; for "
                                f"{key}, write the population out in full (entity, period, ...)")
                continue
            for key in extra:
                if (path, key) in seen:
                    continue
                seen.add((path, key))
                diags.error(doc.key_pos(path + (key,)), "E_UNKNOWN_KEY",
                            f"unknown key '{key}'"
                            + (f" in '{path[-1]}'" if path and isinstance(path[-1], str) else ""),
                            did_you_mean(key, allowed))
            continue
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            assert isinstance(error.schema, Mapping)
            allowed = list(error.schema.get("properties", {}))
            diags.error(doc.pos(path), "E_MISSING_KEY", f"missing required key '{missing}'"
                        + (f" in '{path[-1]}'" if path and isinstance(path[-1], str) else ""),
                        f"add '{missing}:'")
            continue
        where = "'" + ".".join(map(str, path)) + "'" if path else "the file"
        if error.validator == "type":
            assert isinstance(error.validator_value, (str, list))
            message = f"{where} must be {_describe_type(error.validator_value)}"
            hint = _pattern_hint(path) if any(k in path for k in ("period", "periods", "compare_to")) else ""
        elif error.validator == "enum":
            assert isinstance(error.validator_value, list)
            message = f"{where} is '{error.instance}', which is not allowed"
            hint = did_you_mean(str(error.instance), [str(v) for v in error.validator_value])
        elif error.validator == "pattern":
            shown = json.dumps(error.instance, ensure_ascii=False)[1:-1]  # a line break shows as \n
            message = f"{where} is '{shown}', which does not have the expected form"
            hint = _pattern_hint(path)
        elif error.validator == "propertyNames":
            message = f"name '{error.instance}' in {where} is not a valid identifier"
            hint = "use lower-case ASCII letters, digits and '_' (å, ä, ö written a, a, o)"
        elif error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            assert isinstance(error.schema, Mapping)
            message = f"{where}: {error.message}"
            hint = str(error.schema.get("description", ""))  # says why the limit is there
        else:
            message = f"{where}: {error.message}"
            hint = ""
        diags.error(doc.pos(path), "E_SCHEMA", message, hint)
    return not errors


BREAKDOWN_HINT = ("a breakdown is a column path (kon, ersattning, fall.ersattning: a column of the unit or of a "
                  "row it leads to), a band {band: aldersgrupp, of: age_at(person.fodelsear, datum)} or a "
                  "cross-table {cross: [kon, fall.ersattning]}; expressions go into a band's 'of'")


def _pattern_hint(path: tuple) -> str:
    if path and path[0] == "dates":
        return "write a date as YYYY-MM-DD, e.g. 1955-01-01"
    if path and ("period" in path or "periods" in path or "compare_to" in path):
        return "a period is written 2018, 2018H2, 2018Q4 or 2018-12 (quote it: \"2018\")"
    if path and path[0] == "breakdowns":
        return BREAKDOWN_HINT
    return "use lower-case ASCII letters, digits and '_' (å, ä, ö written a, a, o)"
