"""The model's own expressions: consistency rules and calculated columns, bound and type-checked."""
from __future__ import annotations

from ..diagnostics import Diagnostics, Position
from ..expressions import Source
from ..model import NUMERIC, Model
from .bound import BoundRule
from .expression import bind_expression
from .scope import Scope


def resolve_rules(model: Model, diags: Diagnostics) -> list[BoundRule]:
    """Bind the model's consistency rules (columns and to-one paths of their entity)."""
    bound = []
    for entity in model.entities.values():
        for rule in entity.rules.values():
            scope = Scope(model, entity.name, entity.name)
            result = bind_expression(rule.tree.copy(), scope, rule.source, diags)
            if result is None:
                continue
            if result[1] not in ("boolean", "null"):
                diags.error(rule.source.position, "E_TYPE", f"rule '{rule.name}' must be a condition, got {result[1]}")
                continue
            bound.append(BoundRule(entity.name, rule.name, result[0], list(scope.joins), rule.source.text))
    return bound


def check_calculated(model: Model, diags: Diagnostics) -> None:
    """Each calculated column's expression must have the type it declares."""
    for entity in model.entities.values():
        for calc in list(entity.calculated.values()):
            bound = bind_expression(calc.expr.copy(), Scope(model, entity.name, entity.name),
                                    Source(calc.expr.sql(), Position(model.file)), diags)
            if bound is None:
                continue
            declared, actual = calc.type, bound[1]
            if not (declared == actual or (declared in NUMERIC and actual in NUMERIC) or actual == "null"):
                diags.error(Position(model.file), "E_TYPE",
                            f"calculated column {entity.name}.{calc.name} is declared {declared}, but its "
                            f"expression '{calc.expr.sql()}' is {actual}", f"declare type: {actual}")
                del entity.calculated[calc.name]
