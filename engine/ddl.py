"""The data model as CREATE TABLE statements for an engine (`indicators schema --dialect D`).

For setting up a database that `--engine postgres` (or any SQL engine) reads: one table per
entity, each column with the engine's name for the model's type. No constraint is declared:
the engine's data checks (`check-data`) report every breach of the model with examples,
where a constraint would refuse the whole load at the first one.
"""
from __future__ import annotations

from sqlglot import exp

from .backends.base import MODEL_TYPES as TYPES
from .model import Model


def create_tables(model: Model) -> list[exp.Create]:
    """CREATE TABLE <entity> (<column> <type>, ...) for every entity, in the model's order."""
    statements = []
    for entity in model.entities.values():
        schema = exp.Schema(this=exp.to_table(entity.name), expressions=[
            exp.ColumnDef(this=exp.to_identifier(c.name), kind=exp.DataType.build(TYPES[c.type]))
            for c in entity.columns.values()])
        statements.append(exp.Create(this=schema, kind="TABLE"))
    return statements


def schema_sql(model: Model, dialect: str) -> str:
    """The statements as one script in `dialect`, each ending with `;`."""
    return "".join(statement.sql(dialect=dialect, pretty=True) + ";\n" for statement in create_tables(model))
