"""A fixture's rows as inline VALUES: the same golden fixture runs on any engine without creating a table."""
from __future__ import annotations

import datetime as dt

from sqlglot import exp

from ..model import Model
from .base import Binding, Bindings


def _literal(value) -> exp.Expr:
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, (int, float)):
        return exp.Literal.number(repr(value) if isinstance(value, float) else value)
    if isinstance(value, dt.date):
        return exp.Literal.string(value.isoformat())
    return exp.Literal.string(str(value))


def inline_bindings(model: Model, inputs: dict[str, list[dict]], types: dict[str, str]) -> Bindings:
    """Each entity as `SELECT CAST(c AS <type>) AS c, … FROM (VALUES …) AS t(c, …)`; an entity without rows as the
    same SELECT of typed NULLs WHERE FALSE. `types` maps the model's types to the engine's."""
    bindings = Bindings()
    for entity in model.entities.values():
        names = list(entity.columns)
        rows = inputs.get(entity.name) or []

        def typed(name: str, source: exp.Expr, entity=entity) -> exp.Expr:
            return exp.cast(source, types[entity.columns[name].type]).as_(name)
        if rows:
            values = exp.Values(expressions=[exp.Tuple(expressions=[_literal(row.get(n)) for n in names])
                                             for row in rows],
                                alias=exp.TableAlias(this=exp.to_identifier("t"),
                                                     columns=[exp.to_identifier(n) for n in names]))
            select = exp.select(*[typed(n, exp.column(n, table="t")) for n in names]).from_(values)
        else:
            select = exp.select(*[typed(n, exp.null()) for n in names]).where(exp.false())
        bindings.entities[entity.name] = Binding(entity.name, select)
    return bindings
