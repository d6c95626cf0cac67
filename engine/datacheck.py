"""Data checks: does a dataset keep the data model's consistency rules?

Derived from the model (unique keys, resolving foreign keys, NOT NULL, allowed values,
patterns) and from the rules declared in model.yaml. Each breach is reported with its
count and a few example keys, so that numbers are never produced silently from data
that breaks the model.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from .execute import Dataset
from .model import Model
from .render import join_to_one
from .resolve import BoundRule, ToOneJoin

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


def _breach_query(entity: str, alias: str, key: str, condition: exp.Expr, joins=()) -> exp.Select:
    """Up to EXAMPLES keys of rows where `condition` holds, and how many there are."""
    query = exp.select(exp.column(key, table=alias).as_("example"),
                       exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
    query = query.from_(exp.to_table(entity).as_(alias))
    for join in joins:
        query = query.join(join_to_one(join))
    return query.where(condition).order_by(exp.column(key, table=alias)).limit(EXAMPLES)


def _checks(model: Model, rules: list[BoundRule]):
    for entity in model.entities.values():
        name, key = entity.name, entity.key

        def col(column: str, table: str = name) -> exp.Column:
            return exp.column(column, table=table)
        duplicates = (exp.select(col(key).as_("example"), exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
                      .from_(exp.to_table(name).as_(name)).group_by(col(key))
                      .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
                      .order_by(col(key)).limit(EXAMPLES))
        yield name, "unique_key", f"{key} is not unique", duplicates
        for column in entity.columns.values():
            c = col(column.name)
            if not column.nullable:
                yield name, f"not_null:{column.name}", f"{column.name} is NULL", \
                    _breach_query(name, name, key, c.is_(exp.null()))
            if column.values:
                cond = exp.and_(c.is_(exp.null()).not_(),
                                exp.In(this=c.copy(),
                                       expressions=[exp.Literal.string(v) for v in column.values]).not_())
                yield name, f"allowed_values:{column.name}", \
                    f"{column.name} has a value other than {', '.join(column.values)}", \
                    _breach_query(name, name, key, cond)
            if column.pattern:
                cond = exp.and_(c.is_(exp.null()).not_(),
                                exp.RegexpLike(this=c.copy(), expression=exp.Literal.string(column.pattern)).not_())
                yield name, f"pattern:{column.name}", f"{column.name} does not match {column.pattern}", \
                    _breach_query(name, name, key, cond)
        for rel in entity.relationships.values():
            if rel.to_many:
                continue
            target = model.entities[rel.target]
            join = ToOneJoin(f"{rel.name}__target", rel.target, target.key, name, rel.foreign_key)
            cond = exp.and_(col(rel.foreign_key).is_(exp.null()).not_(), col(target.key, join.alias).is_(exp.null()))
            yield name, f"foreign_key:{rel.foreign_key}", f"{rel.foreign_key} points at no {rel.target}", \
                _breach_query(name, name, key, cond, [join])
    for temporal in model.temporal.values():
        # rows that a lookup must tell apart may not overlap in time (else a unit would match twice)
        key = model.entities[temporal.entity].key
        a = functools.partial(exp.column, table="a")
        b = functools.partial(exp.column, table="b")
        far = exp.cast(exp.Literal.string("9999-12-31"), "date")
        overlap = exp.and_(
            *[a(c).eq(b(c)) for c in [temporal.match_on, *temporal.unique_per]],
            exp.LT(this=a(key), expression=b(key)),
            exp.LTE(this=a(temporal.start), expression=exp.Coalesce(this=b(temporal.end), expressions=[far])),
            exp.LTE(this=b(temporal.start), expression=exp.Coalesce(this=a(temporal.end), expressions=[far.copy()])))
        query = (exp.select(a(key).as_("example"), exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
                 .from_(exp.to_table(temporal.entity).as_("a"))
                 .join(exp.to_table(temporal.entity).as_("b"), on=overlap, join_type="INNER")
                 .order_by(a(key)).limit(EXAMPLES))
        per = ", ".join([temporal.match_on, *temporal.unique_per])
        yield temporal.entity, f"no_overlap:{temporal.name}", \
            f"rows of the same {per} overlap in time, so '{temporal.name}' would match two of them", query
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
