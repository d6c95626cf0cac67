"""Data checks: does a dataset keep the data model's consistency rules?

Derived from the model (unique keys, resolving foreign keys, NOT NULL, allowed values,
patterns) and from the rules declared in model.yaml. Each breach is reported with its
count and a few example keys, so that numbers are never produced silently from data
that breaks the model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from .execute import Dataset
from .model import Model
from .render import _join_to_one
from .resolve import BoundRule

EXAMPLES = 5


@dataclass
class DataIssue:
    entity: str
    check: str
    message: str
    breaches: int
    examples: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"entity": self.entity, "check": self.check, "message": self.message,
                "breaches": self.breaches, "examples": self.examples}


def _breach_query(entity: str, alias: str, key: str, condition: exp.Expression, joins=()) -> exp.Select:
    """Up to EXAMPLES keys of rows where `condition` holds, and how many there are."""
    query = exp.select(exp.column(key, table=alias).as_("example"),
                       exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
    query = query.from_(exp.to_table(entity).as_(alias))
    for join in joins:
        query = query.join(_join_to_one(join))
    return query.where(condition).order_by(exp.column(key, table=alias)).limit(EXAMPLES)


def _checks(model: Model, rules: list[BoundRule]):
    for entity in model.entities.values():
        name, key = entity.name, entity.key
        t = lambda c: exp.column(c, table=name)  # noqa: E731
        duplicates = (exp.select(t(key).as_("example"), exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
                      .from_(exp.to_table(name).as_(name)).group_by(t(key))
                      .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
                      .order_by(t(key)).limit(EXAMPLES))
        yield name, "unique_key", f"{key} is not unique", duplicates
        for col in entity.columns.values():
            if not col.nullable:
                yield name, f"not_null:{col.name}", f"{col.name} is NULL", \
                    _breach_query(name, name, key, t(col.name).is_(exp.null()))
            if col.values:
                cond = exp.and_(t(col.name).is_(exp.null()).not_(),
                                exp.In(this=t(col.name), expressions=[exp.Literal.string(v) for v in col.values]).not_())
                yield name, f"allowed_values:{col.name}", \
                    f"{col.name} has a value other than {', '.join(col.values)}", _breach_query(name, name, key, cond)
            if col.pattern:
                cond = exp.and_(t(col.name).is_(exp.null()).not_(),
                                exp.RegexpLike(this=t(col.name), expression=exp.Literal.string(col.pattern)).not_())
                yield name, f"pattern:{col.name}", f"{col.name} does not match {col.pattern}", \
                    _breach_query(name, name, key, cond)
        for rel in entity.relationships.values():
            if rel.to_many:
                continue
            target = model.entities[rel.target]
            alias = f"{rel.name}__target"
            query = (exp.select(t(key).as_("example"), exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
                     .from_(exp.to_table(name).as_(name))
                     .join(exp.to_table(rel.target).as_(alias),
                           on=exp.column(target.key, table=alias).eq(t(rel.foreign_key)), join_type="LEFT")
                     .where(exp.and_(t(rel.foreign_key).is_(exp.null()).not_(),
                                     exp.column(target.key, table=alias).is_(exp.null())))
                     .order_by(t(key)).limit(EXAMPLES))
            yield name, f"foreign_key:{rel.foreign_key}", \
                f"{rel.foreign_key} points at no {rel.target}", query
    for rule in rules:
        key = model.entities[rule.entity].key
        breach = exp.Coalesce(this=rule.condition.copy(), expressions=[exp.true()]).not_()
        yield rule.entity, f"rule:{rule.name}", f"breaks the rule {rule.text}", \
            _breach_query(rule.entity, rule.entity, key, breach, rule.joins)


def check_data(dataset: Dataset, model: Model, rules: list[BoundRule]) -> list[DataIssue]:
    """Every breach of every check (an empty list when the data keeps the model)."""
    issues = []
    for entity, check, message, query in _checks(model, rules):
        try:
            rows = dataset.connection.execute(query.sql("duckdb")).fetchall()
        except duckdb.Error as exc:
            issues.append(DataIssue(entity, check, f"could not be checked: {str(exc).splitlines()[0]}", 1))
            continue
        if rows:
            issues.append(DataIssue(entity, check, message, int(rows[0][1]), [r[0] for r in rows]))
    return issues
