"""Data checks: does a dataset keep the data model's consistency rules?

Derived from the model (unique keys, resolving foreign keys, NOT NULL, allowed values,
patterns) and from the rules declared in model.yaml. Each breach is reported with its
count and a few example keys, so that numbers are never produced silently from data
that breaks the model.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlglot import exp

from .backends.base import Backend, QueryFailed
from .diagnostics import Diagnostic, EngineError, Position
from .model import Model, Range
from .present import format_number
from .render import join_to_one
from .resolve import BoundRule, ToOneJoin

EXAMPLES = 5


@dataclass
class DataIssue:
    """The outcome of one check: `breaches` rows (0 when the data keeps it) and a few of their keys."""
    entity: str
    check: str
    message: str
    breaches: int
    examples: list = field(default_factory=list)
    message_sv: str = ""          # the same in Swedish, for published output (a report's method section)

    def as_dict(self) -> dict:
        return {"entity": self.entity, "check": self.check, "message": self.message,
                "breaches": self.breaches, "examples": self.examples}

    def summary(self) -> str:
        """One line in English: `person: 2 row(s): person_id is not unique (e.g. keys 17, 18)`."""
        keys = f" (e.g. keys {', '.join(map(str, self.examples))})" if self.examples else ""
        return f"{self.entity}: {self.breaches} row(s): {self.message}{keys}"

    def summary_sv(self) -> str:
        """One line in Swedish without example keys (pseudonymised ids are not published)."""
        rows = "1 rad" if self.breaches == 1 else f"{format_number(self.breaches)} rader"
        return f"{self.entity}: {rows} – {self.message_sv or self.message}"


def _breach_query(entity: str, alias: str, key: str, condition: exp.Expr, joins=()) -> exp.Select:
    """Up to EXAMPLES keys of rows where `condition` holds, and how many there are."""
    query = exp.select(exp.column(key, table=alias).as_("example"),
                       exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
    query = query.from_(exp.to_table(entity).as_(alias))
    for join in joins:
        query = query.join(join_to_one(join))
    return query.where(condition).order_by(exp.column(key, table=alias)).limit(EXAMPLES)


def _literal(value) -> exp.Expr:
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    return exp.Literal.number(value)


def _outside(column: exp.Column, plausible: Range) -> exp.Expr:
    conditions: list[exp.Expr] = []
    if plausible.low is not None:
        conditions.append(exp.LT(this=column.copy(), expression=_literal(plausible.low)))
    if plausible.high is not None:
        conditions.append(exp.GT(this=column.copy(), expression=_literal(plausible.high)))
    return exp.or_(*conditions)


def _checks(model: Model, rules: list[BoundRule]):
    """(entity, check name, message, Swedish message, query) of every check of the model."""
    for entity in model.entities.values():
        name, key = entity.name, entity.key

        def col(column: str, table: str = name) -> exp.Column:
            return exp.column(column, table=table)
        # every row of a repeated key breaches it: a key held by two rows is 2 breaches
        rows = exp.Window(this=exp.Sum(this=exp.Count(this=exp.Star())))
        duplicates = (exp.select(col(key).as_("example"), rows.as_("breaches"))
                      .from_(exp.to_table(name).as_(name)).group_by(col(key))
                      .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
                      .order_by(col(key)).limit(EXAMPLES))
        yield name, "unique_key", f"{key} is not unique", f"{key} är inte unik", duplicates
        for column in entity.columns.values():
            c = col(column.name)
            if not column.nullable:
                yield name, f"not_null:{column.name}", f"{column.name} is NULL", f"{column.name} saknar värde", \
                    _breach_query(name, name, key, c.is_(exp.null()))
            if column.values:
                cond = exp.and_(c.is_(exp.null()).not_(),
                                exp.In(this=c.copy(),
                                       expressions=[exp.Literal.string(v) for v in column.values]).not_())
                yield name, f"allowed_values:{column.name}", \
                    f"{column.name} has a value other than {', '.join(column.values)}", \
                    f"{column.name} har ett annat värde än {', '.join(column.values)}", \
                    _breach_query(name, name, key, cond)
            if column.pattern:
                cond = exp.and_(c.is_(exp.null()).not_(),
                                exp.RegexpLike(this=c.copy(), expression=exp.Literal.string(column.pattern)).not_())
                yield name, f"pattern:{column.name}", f"{column.name} does not match {column.pattern}", \
                    f"{column.name} har inte formen {column.pattern}", _breach_query(name, name, key, cond)
            plausible = model.plausible(column)
            if plausible is not None and (plausible.low is not None or plausible.high is not None):
                where = "the model's plausible dates" if plausible.declared == "dates" else "its plausible range"
                sv = "datamodellens rimliga datum" if plausible.declared == "dates" else "sitt rimliga intervall"
                yield name, f"range:{column.name}", \
                    f"{column.name} is outside {where} ({plausible.text()})", \
                    f"{column.name} ligger utanför {sv} ({plausible.text().replace(' to ', ' – ')})", \
                    _breach_query(name, name, key, _outside(c, plausible))
        for rel in entity.relationships.values():
            if rel.to_many:
                continue
            target = model.entities[rel.target]
            join = ToOneJoin(f"{rel.name}__target", rel.target, target.key, name, rel.foreign_key)
            cond = exp.and_(col(rel.foreign_key).is_(exp.null()).not_(), col(target.key, join.alias).is_(exp.null()))
            yield name, f"foreign_key:{rel.foreign_key}", f"{rel.foreign_key} points at no {rel.target}", \
                f"{rel.foreign_key} pekar inte på någon rad i {rel.target}", \
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
            f"rows of the same {per} overlap in time, so '{temporal.name}' would match two of them", \
            f"rader med samma {per} överlappar i tid", query
    for rule in rules:
        key = model.entities[rule.entity].key
        declared = model.entities[rule.entity].rules.get(rule.name)
        described = declared.description.get("sv") if declared is not None else None
        breach = exp.Coalesce(this=rule.condition.copy(), expressions=[exp.true()]).not_()
        yield rule.entity, f"rule:{rule.name}", f"breaks the rule {rule.text}", \
            f"bryter mot regeln {rule.name}" + (f" ({described.rstrip('.')})" if described else f": {rule.text}"), \
            _breach_query(rule.entity, rule.entity, key, breach, rule.joins)


def run_checks(dataset: Backend, model: Model, rules: list[BoundRule]) -> list[DataIssue]:
    """Every check of the model, each with its count of breaches (0 when the data keeps it).

    A check that cannot run (the data cannot be read) is an error, EngineError with every such check: it is
    no breach, and no count is made up for it.
    """
    results = []
    failures = []
    for entity, check, message, message_sv, query in _checks(model, rules):
        try:
            rows = dataset.query(query).rows
        except QueryFailed as exc:
            failures.append(Diagnostic(Position(dataset.description), "E_DATA_QUERY",
                                       f"the check {check} of table '{entity}' could not run: {exc}",
                                       "the dataset could not be read (a file changed, vanished or is damaged?): "
                                       "fix it and check again"))
            continue
        results.append(DataIssue(entity, check, message, int(rows[0][1]) if rows else 0, [r[0] for r in rows],
                                 message_sv))
    if failures:
        raise EngineError(failures)
    return results


def check_data(dataset: Backend, model: Model, rules: list[BoundRule]) -> list[DataIssue]:
    """Every breach of every check (an empty list when the data keeps the model)."""
    return [issue for issue in run_checks(dataset, model, rules) if issue.breaches]
