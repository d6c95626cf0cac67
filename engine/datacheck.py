"""Data checks: does a dataset keep the data model's consistency rules?

Derived from the model (unique keys, resolving foreign keys, NOT NULL, allowed values,
patterns) and from the rules declared in model.yaml. Each breach is reported with its
count and a few example keys, so that numbers are never produced silently from data
that breaks the model.

Cheap first, examples only on a breach. Each check keeps its reference query (`Check.reference`:
up to EXAMPLES keys of breaching rows, ordered by key, and how many rows breach), but first the
checks run as a few aggregate queries that neither sort nor window the rows (`_gates`):

- per table, the checks of its own rows: its unique key (`COUNT(key) = COUNT(DISTINCT key)`, at most one NULL
  key), NOT NULL, allowed values, patterns, plausible ranges and the rules that need no other table. On
  PostgreSQL and Spark one scan, `SUM(CASE WHEN breach THEN 1 ELSE 0 END)` per check; on DuckDB a
  `COUNT(*) WHERE breach` per check in one UNION ALL, as DuckDB skips the row groups its statistics clear
  (no NULLs, min and max), so a check that cannot fail reads nothing, where one scan evaluates every condition
  on every row;
- per table and set of to-one joins, the rules over other tables and each foreign key (an anti-join counting the
  rows whose target is missing), the joined rows counted as the reference counts them;
- per temporal relationship, the overlapping pairs (the reference's self-join, counted).

A check with no breach is then done. The example keys of a breached check come from its reference query,
without its window where the aggregate counted exactly; a repeated key is counted by its reference query, so
`breaches` keeps its meaning (every row of a repeated key). The results are those of running every reference
query (tests/test_datacheck_scale.py holds the two to each other on data breaking every check).

`run_checks` checks the tables given (those the selected indicators read: engine.lineage.tables_read) or every
table, and reads and keeps the results through a cache (engine.datacache) when given one.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlglot import exp

from .backends.base import Backend, QueryFailed
from .diagnostics import Diagnostic, EngineError, Position
from .model import Model, Range, Temporal
from .present import format_number
from .render import join_to_one
from .resolve import BoundRule, ToOneJoin

EXAMPLES = 5
FAR = "9999-12-31"   # an open end (NULL) of a temporal row, as the overlap check reads it

# kinds of check, by how the aggregate query answers them
ROW = "row"                  # a condition on each row (with to-one joins; a foreign key's anti-join): counted exactly
UNIQUE_KEY = "unique_key"    # whether any key repeats; the reference query counts the rows of repeated keys
NO_OVERLAP = "no_overlap"    # the overlapping pairs: counted exactly


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


class CheckedData(list):
    """What `run_checks` returns: a DataIssue per check run, in the model's order, with the tables checked and
    how many of the results were read from the cache (engine.datacache)."""
    tables: tuple[str, ...] = ()
    cached: int = 0


@dataclass(frozen=True)
class Check:
    """One check of the model and its reference query: up to EXAMPLES keys of its breaches (`example`, ordered by
    key) and how many there are (`breaches`), or no row when there is none."""
    entity: str
    name: str
    message: str
    message_sv: str
    build: Callable[[], exp.Select] = field(repr=False, compare=False)   # the reference query, built when needed
    kind: str = ROW
    condition: exp.Expr | None = None           # ROW: a row of `entity` (as itself, with `joins`) breaches it
    joins: tuple[ToOneJoin, ...] = ()
    key: str = ""                               # UNIQUE_KEY: the key column

    @property
    def ident(self) -> str:
        return f"{self.entity}/{self.name}"

    @functools.cached_property
    def reference(self) -> exp.Select:
        """The check's reference query (built once, and only for a check that runs: not for a cached result)."""
        return self.build()

    def issue(self, breaches: int, examples: list) -> DataIssue:
        return DataIssue(self.entity, self.name, self.message, breaches, examples, self.message_sv)

    def examples_only(self) -> exp.Select:
        """The reference query without its count (a check the aggregate counted exactly): a top-N, no window."""
        query = self.reference.copy()
        query.set("expressions", query.expressions[:1])
        return query


# ---------------------------------------------------------------- the checks and their reference queries


def _breach_query(entity: str, alias: str, key: str, condition: exp.Expr, joins=()) -> exp.Select:
    """Up to EXAMPLES keys of rows where `condition` holds, and how many there are."""
    query = exp.select(exp.column(key, table=alias).as_("example"),
                       exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
    query = query.from_(exp.to_table(entity).as_(alias), copy=False)
    for join in joins:
        query = query.join(join_to_one(join), copy=False)
    return (query.where(condition.copy(), copy=False).order_by(exp.column(key, table=alias), copy=False)
            .limit(EXAMPLES, copy=False))


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


def _far() -> exp.Expr:
    return exp.cast(exp.Literal.string(FAR), "date")


def checks(model: Model, rules: list[BoundRule]) -> list[Check]:
    """Every check of the model, in the order they are reported."""
    return list(_checks(model, rules))


def _row_check(entity: str, key: str, check: str, message: str, message_sv: str, condition: exp.Expr,
               joins: tuple[ToOneJoin, ...] = ()) -> Check:
    return Check(entity, check, message, message_sv,
                 functools.partial(_breach_query, entity, entity, key, condition, joins), ROW, condition, joins)


def _duplicates_query(entity: str, key: str) -> exp.Select:
    """Up to EXAMPLES repeated keys, and how many rows hold one: every row of a repeated key breaches it (a key
    held by two rows is 2 breaches)."""
    column = exp.column(key, table=entity)
    rows = exp.Window(this=exp.Sum(this=exp.Count(this=exp.Star())))
    return (exp.select(column.as_("example"), rows.as_("breaches"))
            .from_(exp.to_table(entity).as_(entity)).group_by(column.copy())
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
            .order_by(column.copy()).limit(EXAMPLES))


def _overlap_query(temporal: Temporal, key: str) -> exp.Select:
    """Up to EXAMPLES keys of the first row of pairs that overlap in time, and how many pairs there are."""
    a = functools.partial(exp.column, table="a")
    b = functools.partial(exp.column, table="b")
    overlap = exp.and_(
        *[a(c).eq(b(c)) for c in [temporal.match_on, *temporal.unique_per]],
        exp.LT(this=a(key), expression=b(key)),
        exp.LTE(this=a(temporal.start), expression=exp.Coalesce(this=b(temporal.end), expressions=[_far()])),
        exp.LTE(this=b(temporal.start), expression=exp.Coalesce(this=a(temporal.end), expressions=[_far()])))
    return (exp.select(a(key).as_("example"), exp.Window(this=exp.Count(this=exp.Star())).as_("breaches"))
            .from_(exp.to_table(temporal.entity).as_("a"))
            .join(exp.to_table(temporal.entity).as_("b"), on=overlap, join_type="INNER")
            .order_by(a(key)).limit(EXAMPLES))


def _checks(model: Model, rules: list[BoundRule]) -> Iterable[Check]:
    for entity in model.entities.values():
        name, key = entity.name, entity.key

        def col(column: str, table: str = name) -> exp.Column:
            return exp.column(column, table=table)

        row_check = functools.partial(_row_check, name, key)
        yield Check(name, "unique_key", f"{key} is not unique", f"{key} är inte unik",
                    functools.partial(_duplicates_query, name, key), UNIQUE_KEY, key=key)
        for column in entity.columns.values():
            c = col(column.name)
            if not column.nullable:
                yield row_check(f"not_null:{column.name}", f"{column.name} is NULL", f"{column.name} saknar värde",
                                c.is_(exp.null()))
            if column.values:
                cond = exp.and_(c.is_(exp.null()).not_(),
                                exp.In(this=c.copy(),
                                       expressions=[exp.Literal.string(v) for v in column.values]).not_())
                yield row_check(f"allowed_values:{column.name}",
                                f"{column.name} has a value other than {', '.join(column.values)}",
                                f"{column.name} har ett annat värde än {', '.join(column.values)}", cond)
            if column.pattern:
                cond = exp.and_(c.is_(exp.null()).not_(),
                                exp.RegexpLike(this=c.copy(), expression=exp.Literal.string(column.pattern)).not_())
                yield row_check(f"pattern:{column.name}", f"{column.name} does not match {column.pattern}",
                                f"{column.name} har inte formen {column.pattern}", cond)
            plausible = model.plausible(column)
            if plausible is not None and (plausible.low is not None or plausible.high is not None):
                where = "the model's plausible dates" if plausible.declared == "dates" else "its plausible range"
                sv = "datamodellens rimliga datum" if plausible.declared == "dates" else "sitt rimliga intervall"
                yield row_check(f"range:{column.name}", f"{column.name} is outside {where} ({plausible.text()})",
                                f"{column.name} ligger utanför {sv} ({plausible.text().replace(' to ', ' – ')})",
                                _outside(c, plausible))
        for rel in entity.relationships.values():
            if rel.to_many:
                continue
            target = model.entities[rel.target]
            join = ToOneJoin(f"{rel.name}__target", rel.target, target.key, name, rel.foreign_key)
            cond = exp.and_(col(rel.foreign_key).is_(exp.null()).not_(), col(target.key, join.alias).is_(exp.null()))
            yield row_check(f"foreign_key:{rel.foreign_key}", f"{rel.foreign_key} points at no {rel.target}",
                            f"{rel.foreign_key} pekar inte på någon rad i {rel.target}", cond, (join,))
    for temporal in model.temporal.values():
        # rows that a lookup must tell apart may not overlap in time (else a unit would match twice)
        per = ", ".join([temporal.match_on, *temporal.unique_per])
        yield Check(temporal.entity, f"no_overlap:{temporal.name}",
                    f"rows of the same {per} overlap in time, so '{temporal.name}' would match two of them",
                    f"rader med samma {per} överlappar i tid",
                    functools.partial(_overlap_query, temporal, model.entities[temporal.entity].key), NO_OVERLAP)
    for rule in rules:
        key = model.entities[rule.entity].key
        declared = model.entities[rule.entity].rules.get(rule.name)
        described = declared.description.get("sv") if declared is not None else None
        breach = exp.Coalesce(this=rule.condition.copy(), expressions=[exp.true()]).not_()
        said = f" ({described.rstrip('.')})" if described else f": {rule.text}"
        yield _row_check(rule.entity, key, f"rule:{rule.name}", f"breaks the rule {rule.text}",
                         f"bryter mot regeln {rule.name}{said}", breach, tuple(rule.joins))


# ---------------------------------------------------------------- the aggregate queries


@dataclass
class _Gate:
    """One aggregate query and the checks it answers, each with a number: the exact count of breaches (ROW,
    NO_OVERLAP), or 0 / not 0 for "none" / "look" (UNIQUE_KEY). The numbers are one row in the checks' order, or with
    `branches` a row (i, number) per check."""
    query: exp.Query
    checks: list[Check]
    branches: bool = False

    def numbers(self, rows: list[tuple]) -> list[int]:
        if self.branches:
            found = {int(i): int(n or 0) for i, n in rows}
            return [found[i] for i in range(len(self.checks))]
        return [int(n or 0) for n in rows[0]]


def _count_when(condition: exp.Expr) -> exp.Expr:
    return exp.Sum(this=exp.Case(ifs=[exp.If(this=condition.copy(), true=exp.Literal.number(1))],
                                 default=exp.Literal.number(0)))


def _repeated(key: exp.Column) -> exp.Expr:
    """1 when a key repeats: a value held by two rows, or more than one NULL (the reference groups them together)."""
    distinct = exp.Count(this=exp.Distinct(expressions=[key.copy()]))
    nulls = exp.Sub(this=exp.Count(this=exp.Star()), expression=exp.Count(this=key.copy()))
    repeats = exp.or_(exp.NEQ(this=exp.Count(this=key.copy()), expression=distinct),
                      exp.GT(this=nulls, expression=exp.Literal.number(1)))
    return exp.Case(ifs=[exp.If(this=repeats, true=exp.Literal.number(1))], default=exp.Literal.number(0))


def _gates(todo: list[Check], dialect: str) -> list[_Gate]:
    """The aggregate queries answering `todo`: per table the checks of its own rows, per table and set of to-one
    joins the checks that join (rules over other tables, a foreign key's anti-join), and per temporal relationship
    its overlapping pairs."""
    scans: dict[tuple[str, tuple[ToOneJoin, ...]], list[Check]] = {}
    gates: list[_Gate] = []
    for check in todo:
        if check.kind == NO_OVERLAP:
            gates.append(_overlap_gate(check))
        else:
            scans.setdefault((check.entity, check.joins), []).append(check)
    for (entity, joins), group in scans.items():
        gates.append(_counts(entity, group) if dialect == "duckdb" and not joins else _scan(entity, joins, group))
    return gates


def _scan(entity: str, joins: tuple[ToOneJoin, ...], group: list[Check]) -> _Gate:
    """One scan of the table (and its joins): SUM(CASE WHEN breach THEN 1 ELSE 0 END) per check."""
    query = exp.select(*[_repeated(exp.column(c.key, table=entity)) if c.kind == UNIQUE_KEY
                         else _count_when(_condition(c)) for c in group])
    query.set("expressions", [e.as_(f"c{i}") for i, e in enumerate(query.expressions)])
    query = query.from_(exp.to_table(entity).as_(entity), copy=False)
    for join in joins:
        query = query.join(join_to_one(join), copy=False)
    return _Gate(query, group)


def _counts(entity: str, group: list[Check]) -> _Gate:
    """DuckDB: a COUNT(*) WHERE breach per check, as one UNION ALL. Unlike a single scan computing every condition
    on every row, each branch is pruned by the table's statistics (no NULLs, min and max per row group): a check
    that cannot fail reads nothing."""
    branches: list[exp.Select] = []
    for i, check in enumerate(group):
        table = exp.to_table(entity).as_(entity)
        if check.kind == UNIQUE_KEY:
            branch = exp.select(exp.Literal.number(i).as_("i"),
                                _repeated(exp.column(check.key, table=entity)).as_("n")).from_(table)
        else:
            branch = (exp.select(exp.Literal.number(i).as_("i"), exp.Count(this=exp.Star()).as_("n")).from_(table)
                      .where(_condition(check).copy()))
        branches.append(branch)
    query: exp.Query = branches[0]
    for branch in branches[1:]:
        query = exp.union(query, branch, distinct=False)
    return _Gate(query, group, branches=True)


def _condition(check: Check) -> exp.Expr:
    assert check.condition is not None  # a ROW check has one
    return check.condition


def _overlap_gate(check: Check) -> _Gate:
    """How many pairs of rows overlap: the reference query's self-join, counted without a window or an order.

    A window instead (per match_on/unique_per ordered by start, a row counting when it starts on or before the
    latest end of the rows before it) finds every overlapping pair too, but only says whether to look (an interval
    ending before it starts also counts), and on DuckDB sorting the 12 million cases of scale 10 took 1.6 to 1.8
    times as long as this hash join, for a quarter less memory.
    """
    query = check.reference.copy()
    query.set("expressions", [exp.Count(this=exp.Star()).as_("c0")])
    query.set("order", None)
    query.set("limit", None)
    return _Gate(query, [check])


# ---------------------------------------------------------------- running them


def _failure(dataset: Backend, check: Check, exc: QueryFailed) -> Diagnostic:
    return Diagnostic(Position(dataset.description), "E_DATA_QUERY",
                      f"the check {check.name} of table '{check.entity}' could not run: {exc}",
                      "the dataset could not be read (a file changed, vanished or is damaged?): fix it and check again")


def _compute(dataset: Backend, todo: list[Check]) -> tuple[dict[str, DataIssue], list[Diagnostic]]:
    numbers: dict[str, int | None] = {}
    for gate in _gates(todo, dataset.dialect):
        try:
            found: list[int | None] = list(gate.numbers(dataset.query(gate.query).rows))
        except QueryFailed:  # each check of it on its own, as the reference runs it (and fails, naming it)
            found = [None] * len(gate.checks)
        numbers.update(zip((c.ident for c in gate.checks), found, strict=True))
    results: dict[str, DataIssue] = {}
    failures: list[Diagnostic] = []
    for check in todo:
        number = numbers[check.ident]
        if number == 0:
            results[check.ident] = check.issue(0, [])
            continue
        try:
            if number is not None and check.kind != UNIQUE_KEY:
                results[check.ident] = check.issue(number, [r[0] for r in dataset.query(check.examples_only()).rows])
            else:
                rows = dataset.query(check.reference).rows
                results[check.ident] = check.issue(int(rows[0][1]) if rows else 0, [r[0] for r in rows])
        except QueryFailed as exc:
            failures.append(_failure(dataset, check, exc))
    return results, failures


def run_checks(dataset: Backend, model: Model, rules: list[BoundRule], entities: Iterable[str] | None = None,
               cache=None) -> CheckedData:
    """Every check of the model (of the tables `entities` only, when given), each with its count of breaches (0
    when the data keeps it), in the model's order.

    `cache` (engine.datacache.DataCache) gives the results it holds for this dataset and model, and keeps the
    ones computed. A check that cannot run (the data cannot be read) is an error, EngineError with every such
    check: it is no breach, and no count is made up for it.
    """
    wanted = None if entities is None else set(entities)
    selected = [c for c in checks(model, rules) if wanted is None or c.entity in wanted]
    known = cache.load(selected) if cache is not None else {}
    computed, failures = _compute(dataset, [c for c in selected if c.ident not in known])
    if failures:
        raise EngineError(failures)
    if cache is not None and computed:
        cache.store(selected, computed)
    result = CheckedData(known[c.ident] if c.ident in known else computed[c.ident] for c in selected)
    result.tables = tuple(dict.fromkeys(c.entity for c in selected))
    result.cached = len(known)
    return result


def check_data(dataset: Backend, model: Model, rules: list[BoundRule], entities: Iterable[str] | None = None,
               cache=None) -> list[DataIssue]:
    """Every breach of every check (an empty list when the data keeps the model)."""
    return [issue for issue in run_checks(dataset, model, rules, entities, cache) if issue.breaches]
