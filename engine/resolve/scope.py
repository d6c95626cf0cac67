"""The one path walker: column and relationship paths from an entity, and the joins they need.

`walk` follows names as relationships through the model; `Scope` uses it to bind a
column path (`fall.person.kon`) to an alias, adding a to-one join per new step, and
knows the extra names an indicator declares (fields, lookups, `unit`, the period).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlglot import exp

from ..diagnostics import Diagnostics, Position, did_you_mean
from ..expressions import Source, node_offset
from ..model import Column, Model, Relationship
from .bound import ToOneJoin

Bound = tuple[exp.Expr, str]  # a bound expression and its type

# The period as a value: names every expression may use, bound to placeholders that plan
# replaces with the first and last day of the period being computed.
PERIOD_NAMES = ("period_start", "period_end")


def period_value(name: str) -> exp.Placeholder:
    return exp.Placeholder(this=name)


# The sensitive model columns (model.yaml `sensitive: true`) bound while `reading_sensitive` collects them.
_SENSITIVE: ContextVar[set[str] | None] = ContextVar("sensitive_columns_read", default=None)


@contextmanager
def reading_sensitive() -> Iterator[set[str]]:
    """Collect, as "entity.column", every sensitive column or calculated column bound inside the block
    (through any path, lookup or calculated column; a field passes on those its own binding read)."""
    seen: set[str] = set()
    token = _SENSITIVE.set(seen)
    try:
        yield seen
    finally:
        _SENSITIVE.reset(token)


def note_sensitive(names: Iterable[str]) -> None:
    """Record sensitive columns for the innermost `reading_sensitive` block, if one is open."""
    seen = _SENSITIVE.get()
    if seen is not None:
        seen.update(names)


def uses_period(*trees: exp.Expr | None) -> bool:
    return any(isinstance(node, exp.Placeholder) and node.name in PERIOD_NAMES
               for tree in trees if tree is not None for node in tree.walk())


@dataclass(frozen=True)
class Walk:
    """Where a walk over relationship names ended: the relationships followed, and where it stopped."""
    steps: tuple[Relationship, ...]
    entity: str                 # the entity reached
    stopped_at: int | None      # index of the first name that is not a relationship, None if all were

    def to_many_at(self) -> int | None:
        """Index of the first one-to-many step, if any."""
        return next((i for i, r in enumerate(self.steps) if r.to_many), None)


def walk(model: Model, entity: str, parts: tuple[str, ...]) -> Walk:
    """Follow `parts` as relationship names from `entity`, as far as they are relationships."""
    steps: list[Relationship] = []
    for i, part in enumerate(parts):
        rel = model.entities[entity].relationships.get(part)
        if rel is None:
            return Walk(tuple(steps), entity, i)
        steps.append(rel)
        entity = rel.target
    return Walk(tuple(steps), entity, None)


def column_decl(model: Model, entity: str, parts: tuple[str, ...]) -> Column | None:
    """The model column a path of to-one relationships ends at (for allowed values and labels)."""
    if not parts:
        return None
    found = walk(model, entity, parts[:-1])
    if found.stopped_at is not None:
        return None
    return model.entities[found.entity].columns.get(parts[-1])


class Special:
    """A name an indicator declares (a field, a lookup, `unit`): binds paths that start with it."""

    def bind(self, rest: tuple[str, ...], src: Source, node: exp.Expr, diags: Diagnostics) -> Bound | None:
        raise NotImplementedError

    def column_decl(self, rest: tuple[str, ...]) -> Column | None:
        return None


class Scope:
    """Binds column paths starting at one entity, collecting the to-one joins they need."""

    def __init__(self, model: Model, entity: str, alias: str, joins: list | None = None):
        self.model = model
        self.entity = entity
        self.alias = alias
        self.joins: list = joins if joins is not None else []
        self.paths: dict[tuple, tuple[str, str]] = {(): (entity, alias)}
        self.special: dict[str, Special] = {}
        self.forbidden: dict[str, tuple[str, str]] = {}  # names not allowed here: name -> (why, hint)

    def taken_aliases(self) -> set[str]:
        return {a for _, a in self.paths.values()} | {j.alias for j in self.joins}

    def new_alias(self, wish: str) -> str:
        alias, i = wish, 2
        while alias in self.taken_aliases() or alias == self.alias:
            alias, i = f"{wish}_{i}", i + 1
        return alias

    def to_one(self, parts: tuple, src: Source, node, diags: Diagnostics) -> tuple[str, str] | None:
        """Entity and alias at the end of a to-one relationship path, joining as needed."""
        entity, alias = self.entity, self.alias
        for i, part in enumerate(parts):
            path = parts[: i + 1]
            if path in self.paths:
                entity, alias = self.paths[path]
                continue
            ent = self.model.entities[entity]
            step = walk(self.model, entity, (part,))
            if step.stopped_at is not None:
                if part in ent.columns or part in ent.calculated:
                    diags.error(src.at(node_offset(node)), "E_NOT_A_RELATIONSHIP",
                                f"'{part}' is a column of '{entity}', not a relationship to follow",
                                f"write just '{part}' or follow one of: "
                                f"{', '.join(sorted(ent.relationships)) or 'none'}")
                else:
                    diags.error(src.at(node_offset(node)), "E_UNKNOWN_RELATIONSHIP",
                                f"'{entity}' has no relationship '{part}'",
                                did_you_mean(part, list(ent.relationships) + (list(self.special) if i == 0 else [])))
                return None
            rel = step.steps[0]
            if rel.to_many:
                diags.error(src.at(node_offset(node)), "E_TO_MANY_PATH",
                            f"'{part}' leads from one '{entity}' to many '{rel.target}' rows, so a column "
                            "cannot be read through it",
                            f"test them with a condition {{exists: {'.'.join(parts[:i + 1])}, where: ...}} or "
                            "aggregate them in a field (aggregate: min/max/count/sum)")
                return None
            target = self.model.entities[rel.target]
            new = self.new_alias("__".join(path))
            self.joins.append(ToOneJoin(new, rel.target, target.key, alias, rel.foreign_key))
            self.paths[path] = (rel.target, new)
            entity, alias = rel.target, new
        return entity, alias

    def column(self, parts: tuple, src: Source, node, diags: Diagnostics) -> Bound | None:
        """(expression, type) for a column path, or None after recording an error."""
        if parts[0] in self.forbidden:
            why, hint = self.forbidden[parts[0]]
            diags.error(src.at(node_offset(node)), "E_NAME_NOT_HERE", why, hint)
            return None
        if parts[0] in self.special:
            return self.special[parts[0]].bind(parts[1:], src, node, diags)
        if len(parts) == 1 and parts[0] in PERIOD_NAMES:
            return period_value(parts[0]), "date"
        return self.walk_column(parts, src, node, diags)

    def column_decl(self, parts: tuple) -> Column | None:
        if parts and parts[0] in self.special:
            return self.special[parts[0]].column_decl(parts[1:])
        return column_decl(self.model, self.entity, parts)

    def walk_column(self, parts: tuple, src: Source, node, diags: Diagnostics) -> Bound | None:
        """A column at the end of a path of to-one relationships (or of a registered lookup alias)."""
        from .expression import bind_expression  # a calculated column is an expression of its own
        found = self.to_one(parts[:-1], src, node, diags)
        if found is None:
            return None
        entity, alias = found
        ent = self.model.entities[entity]
        name = parts[-1]
        if name in ent.columns:
            if ent.columns[name].sensitive:
                note_sensitive([f"{entity}.{name}"])
            return exp.column(name, table=alias), ent.columns[name].type
        if name in ent.calculated:
            calc = ent.calculated[name]
            if calc.sensitive:
                note_sensitive([f"{entity}.{name}"])
            inner = Scope(self.model, entity, alias)
            bound = bind_expression(calc.expr.copy(), inner, Source(calc.expr.sql(), Position(self.model.file)), diags)
            return (exp.paren(bound[0]), calc.type) if bound else None
        if name in ent.relationships:
            diags.error(src.at(node_offset(node)), "E_NOT_A_COLUMN",
                        f"'{'.'.join(parts)}' is a relationship, not a column",
                        f"name a column of '{ent.relationships[name].target}', e.g. {'.'.join(parts)}."
                        f"{self.model.entities[ent.relationships[name].target].key}")
            return None
        candidates = list(ent.columns) + list(ent.calculated) + list(ent.relationships)
        if len(parts) == 1:
            candidates += list(self.special)
        reachable = paths_to_column(self.model, entity, name)
        hint = (f"'{name}' is a column of a row this one leads to: write "
                + " or ".join(".".join((*parts[:-1], *p, name)) for p in reachable)
                if reachable else did_you_mean(name, candidates))
        diags.error(src.at(node_offset(node)), "E_UNKNOWN_COLUMN",
                    f"'{'.'.join(parts)}': '{entity}' has no column '{name}'", hint)
        return None


def paths_to_column(model: Model, entity: str, name: str, depth: int = 3) -> list[tuple[str, ...]]:
    """The shortest to-one relationship paths from `entity` to an entity with column `name` (for hints)."""
    frontier: list[tuple[tuple[str, ...], str]] = [((), entity)]
    seen = {entity}
    for _ in range(depth):
        found, following = [], []
        for path, current in frontier:
            for rname, rel in sorted(model.entities[current].relationships.items()):
                if rel.to_many or rel.target in seen:
                    continue
                target = model.entities[rel.target]
                if name in target.columns or name in target.calculated:
                    found.append((*path, rname))
                following.append(((*path, rname), rel.target))
        if found:
            return found
        seen.update(t for _, t in following)
        frontier = following
    return []


SpecialFactory = Callable[..., Special]
