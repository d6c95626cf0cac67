"""Golden fixtures: hand-computed expected rows for small inputs, run on in-memory DuckDB (or Spark, PostgreSQL).

A fixture (see fixtures/README.md) lists input rows per table and, per period, every
output row worked out by hand. `run_fixture` reports missing, unexpected and changed rows.
"""
from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .backends.base import EngineOptions
from .batch import execute_batches
from .catalogue import Catalogue
from .diagnostics import Diagnostics, did_you_mean
from .execute import check_inputs
from .load import Document, load_file
from .periods import parse_period
from .validate import validate_schema

FIELDS = ("value", "numerator", "denominator", "n")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def default_fixtures_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "fixtures"


def exact(text: str) -> Fraction:
    """Evaluate a hand-written exact value such as "2557/3" (numbers and + - * / only)."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Fraction(str(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError(text)
    return ev(ast.parse(text.strip(), mode="eval"))


@dataclass
class PeriodResult:
    period: str
    missing: list[dict] = field(default_factory=list)
    unexpected: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict]] = field(default_factory=list)  # (expected, got)
    matched: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.changed)


@dataclass
class FixtureResult:
    file: str
    indicator: str
    periods: list[PeriodResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.periods)


def _key(row: dict) -> tuple:
    return tuple(sorted((k, v) for k, v in row["breakdown"].items()))


def _same(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    return math.isclose(float(expected), float(got), rel_tol=1e-9, abs_tol=1e-9)


def load_fixture(path: Path, catalogue: Catalogue, diags: Diagnostics) -> Document | None:
    doc = load_file(path, diags)
    if doc is None or not validate_schema(doc, "fixture", diags):
        return None
    data = doc.data
    model = catalogue.model
    assert model is not None, "the catalogue has no data model: load it with checked_catalogue()"
    if data["indicator"] not in catalogue.indicators:
        diags.error(doc.pos(("indicator",)), "E_UNKNOWN_INDICATOR",
                    f"no indicator '{data['indicator']}' in the catalogue",
                    did_you_mean(data["indicator"], catalogue.indicators))
    check_inputs(doc, model, diags)
    for i, case in enumerate(data["expect"]):
        for j, row in enumerate(case["rows"]):
            if isinstance(row.get("value"), str):
                try:
                    exact(row["value"])
                except (ValueError, SyntaxError, ZeroDivisionError, RecursionError):
                    diags.error(doc.pos(("expect", i, "rows", j, "value")), "E_FIXTURE_VALUE",
                                f"cannot read the value '{row['value']}'", "write a number or a fraction like \"2/3\"")
    return doc


def run_fixture(doc: Document, catalogue: Catalogue, engine: EngineOptions | None = None,
                data: str | None = None) -> FixtureResult:
    """Run one golden fixture on the chosen engine (DuckDB by default; Spark, or PostgreSQL on the server `data`
    names: engine.backends.open_inline) and compare every expected row."""
    from .backends import open_inline
    data_ = doc.data
    bound = catalogue.get(data_["indicator"])
    assert catalogue.model is not None  # an indicator is only resolved against a model
    dataset = open_inline(catalogue.model, data_["inputs"], f"fixture {doc.file}", engine, data)
    try:
        result = FixtureResult(doc.file, bound.id)
        periods = [parse_period(case["period"]) for case in data_["expect"]]
        computed = execute_batches(dataset, [(bound, period) for period in periods])  # one query on every engine
        for case, period in zip(data_["expect"], periods, strict=True):
            got = {_key(r): r for r in computed[(bound.id, period.label)]}
            expected = {}
            for row in case["rows"]:
                row = {"breakdown": row["breakdown"], "numerator": row.get("numerator"),
                       "denominator": row.get("denominator"), "n": row["n"],
                       "value": float(exact(row["value"])) if isinstance(row["value"], str) else row["value"]}
                expected[_key(row)] = row
            pr = PeriodResult(period.label)
            for key, exp_row in expected.items():
                if key not in got:
                    pr.missing.append(exp_row)
                elif all(_same(exp_row[f], got[key][f]) for f in FIELDS):
                    pr.matched += 1
                else:
                    pr.changed.append((exp_row, got[key]))
            pr.unexpected = [r for k, r in got.items() if k not in expected]
            result.periods.append(pr)
        return result
    finally:
        dataset.close()


def fixture_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml"))
