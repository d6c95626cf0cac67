"""Stage 3, resolve: bind an indicator's names to the model.

Every column path (`fall.diagnoskod`), relationship path (`samarbeten.insatser`),
field and lookup is bound to a join alias; every expression is type-checked and
rewritten into portable sqlglot nodes (date - date becomes a day difference, `/` a
guarded true division). The result, a `BoundIndicator`, holds sqlglot expressions over
aliases and the joins they need, and knows nothing of periods or dialects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlglot import exp

from .diagnostics import Diagnostics, Position, did_you_mean
from .expressions import Source, column_path, node_offset, parse_expression
from .load import Document
from .model import NUMERIC, Model, Temporal

# ---------------------------------------------------------------- bound structures


@dataclass
class ToOneJoin:
    """LEFT JOIN entity AS alias ON alias.key = left_alias.foreign_key (many-to-one: no fan-out)."""
    alias: str
    entity: str
    key: str
    left_alias: str
    foreign_key: str


@dataclass
class Hop:
    """One step inside a related-rows subquery."""
    alias: str
    entity: str
    on_left: exp.Expression | None   # None for the first hop
    on_right: exp.Expression | None


@dataclass
class RelatedJoin:
    """LEFT JOIN (SELECT anchor_key, AGG(..) AS value FROM hops WHERE .. GROUP BY anchor_key) AS alias.

    Rows reached over one-to-many relationships are aggregated per anchor before the
    join, so a unit keeps exactly one row.
    """
    alias: str
    anchor_alias: str
    anchor_key: str          # key column of the anchor entity
    hops: list[Hop]
    link: exp.Expression     # the column of the first hop that refers to the anchor
    inner_joins: list[ToOneJoin]
    where: list[exp.Expression]
    aggregate: str           # count, min, max, sum
    value: exp.Expression | None


@dataclass
class LookupJoin:
    """LEFT JOIN entity AS alias ON match AND start <= on AND (end IS NULL OR on <= end) AND where."""
    alias: str
    entity: str
    temporal: Temporal
    root_alias: str
    on: exp.Expression
    where: list[exp.Expression]


Join = ToOneJoin | RelatedJoin | LookupJoin


@dataclass
class Breakdown:
    name: str
    expr: exp.Expression
    column: Any  # model.Column of the last path segment (labels, title), or None


@dataclass
class Measure:
    kind: str
    value: exp.Expression | None = None       # mean/median/sum/percentile/count_distinct
    numerator: exp.Expression | None = None   # share
    p: float | None = None                    # percentile


@dataclass
class Selection:
    """One unit per partition key: the first row by `order` (ascending, NULLs last)."""
    partition: exp.Expression
    order: list[exp.Expression]
    joins: list[Join]
    where: list[exp.Expression]


@dataclass
class BoundIndicator:
    id: str
    data: dict
    file: str
    entity: str
    alias: str
    period: exp.Expression
    selection: Selection | None
    joins: list[Join]
    where: list[exp.Expression]
    breakdowns: list[Breakdown]
    measure: Measure
    value_type: str = "integer"
    info: Any = None  # engine.info.IndicatorInfo


# ---------------------------------------------------------------- scopes and binding


class Scope:
    """Binds column paths starting at one entity, collecting the to-one joins they need."""

    def __init__(self, model: Model, entity: str, alias: str, joins: list | None = None):
        self.model = model
        self.entity = entity
        self.alias = alias
        self.joins: list = joins if joins is not None else []
        self._paths: dict[tuple, tuple[str, str]] = {(): (entity, alias)}
        # extra first-segment names (fields, lookups): name -> callable(rest, src, node, diags)
        self.special: dict[str, Callable] = {}
        self.forbidden: dict[str, str] = {}  # special names not allowed here: name -> why

    def taken_aliases(self) -> set[str]:
        return {a for _, a in self._paths.values()} | {j.alias for j in self.joins}

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
            if path in self._paths:
                entity, alias = self._paths[path]
                continue
            ent = self.model.entities[entity]
            rel = ent.relationships.get(part)
            if rel is None:
                what = "a column" if part in ent.columns or part in ent.calculated else None
                if what:
                    diags.error(src.at(node_offset(node)), "E_NOT_A_RELATIONSHIP",
                                f"'{part}' is a column of '{entity}', not a relationship to follow",
                                f"write just '{part}' or follow one of: {', '.join(sorted(ent.relationships)) or 'none'}")
                else:
                    diags.error(src.at(node_offset(node)), "E_UNKNOWN_RELATIONSHIP",
                                f"'{entity}' has no relationship '{part}'",
                                did_you_mean(part, list(ent.relationships) + (list(self.special) if i == 0 else [])))
                return None
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
            self._paths[path] = (rel.target, new)
            entity, alias = rel.target, new
        return entity, alias

    def column(self, parts: tuple, src: Source, node, diags: Diagnostics):
        """(expression, type) for a column path, or None after recording an error."""
        if parts[0] in self.forbidden:
            diags.error(src.at(node_offset(node)), "E_NAME_NOT_HERE", self.forbidden[parts[0]][0],
                        self.forbidden[parts[0]][1])
            return None
        if parts[0] in self.special:
            return self.special[parts[0]](parts[1:], src, node, diags)
        return self.walk_column(parts, src, node, diags)

    def walk_column(self, parts: tuple, src: Source, node, diags: Diagnostics):
        """A column at the end of a path of to-one relationships (or of a registered lookup alias)."""
        found = self.to_one(parts[:-1], src, node, diags)
        if found is None:
            return None
        entity, alias = found
        ent = self.model.entities[entity]
        name = parts[-1]
        if name in ent.columns:
            return exp.column(name, table=alias), ent.columns[name].type
        if name in ent.calculated:
            calc = ent.calculated[name]
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
        diags.error(src.at(node_offset(node)), "E_UNKNOWN_COLUMN",
                    f"'{'.'.join(parts)}': '{entity}' has no column '{name}'", did_you_mean(name, candidates))
        return None


def column_of(model: Model, scope: Scope, parts: tuple):
    """The model column declaration a path ends at (for allowed values and labels)."""
    entity = scope.entity
    if parts and parts[0] in scope.special:
        return getattr(scope.special[parts[0]], "column_decl", lambda rest: None)(parts[1:])
    for part in parts[:-1]:
        rel = model.entities[entity].relationships.get(part)
        if rel is None:
            return None
        entity = rel.target
    return model.entities[entity].columns.get(parts[-1]) if parts else None


def _num(t: str) -> bool:
    return t in NUMERIC


def _literal_type(node: exp.Literal) -> str:
    if node.is_string:
        return "varchar"
    return "double" if any(c in node.this for c in ".eE") else "integer"


def _type_error(diags, src, node, message, hint=""):
    diags.error(src.at(node_offset(node)), "E_TYPE", message, hint)


def _check_values(model, scope, col_node, literal_nodes, src, diags):
    """A text literal compared with a column that has allowed values must be one of them."""
    if not isinstance(col_node, exp.Column):
        return
    decl = column_of(model, scope, column_path(col_node))
    if decl is None or not decl.values:
        return
    for lit in literal_nodes:
        if isinstance(lit, exp.Literal) and lit.is_string and lit.this not in decl.values:
            diags.error(src.at(node_offset(lit)), "E_UNKNOWN_VALUE",
                        f"'{lit.this}' is not an allowed value of {'.'.join(column_path(col_node))}",
                        did_you_mean(lit.this, decl.values))


def day_difference(later: exp.Expression, earlier: exp.Expression) -> exp.Expression:
    """Whole days from `earlier` to `later` (rendered per dialect by `render`)."""
    return exp.DateDiff(this=later, expression=earlier, unit=exp.var("DAY"))


def safe_divide(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """True division in every dialect, NULL instead of an error when dividing by zero."""
    num = exp.cast(numerator, exp.DataType.build("double"))
    if isinstance(denominator, exp.Literal) and not denominator.is_string and float(denominator.this) != 0:
        return exp.Div(this=num, expression=denominator, typed=False, safe=False)
    return exp.Div(this=num, expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
                   typed=False, safe=False)


def check_allowed_values(tree: exp.Expression, scope: Scope, src: Source, diags: Diagnostics) -> None:
    """Text literals compared with a column that has allowed values must be one of them (`'sjukpeng'`)."""
    for node in tree.walk():
        if isinstance(node, (exp.EQ, exp.NEQ)):
            left, right = _unparen(node.this), _unparen(node.expression)
            for col, lit in ((left, right), (right, left)):
                if isinstance(col, exp.Column):
                    _check_values(scope.model, scope, col, [lit], src, diags)
        elif isinstance(node, exp.In) and isinstance(_unparen(node.this), exp.Column):
            _check_values(scope.model, scope, _unparen(node.this), node.expressions, src, diags)


def bind_expression(tree: exp.Expression, scope: Scope, src: Source, diags: Diagnostics):
    """Bind columns and type-check; returns (expression, type) or None after errors."""
    errors_before = len(diags.errors)
    check_allowed_values(tree, scope, src, diags)

    def visit(node: exp.Expression):
        if isinstance(node, exp.Column):
            return scope.column(column_path(node), src, node, diags) or (exp.null(), "error")
        if isinstance(node, exp.Literal):
            return node, _literal_type(node)
        if isinstance(node, exp.Boolean):
            return node, "boolean"
        if isinstance(node, exp.Null):
            return node, "null"
        if isinstance(node, exp.Paren):
            inner, t = visit(node.this)
            return exp.paren(inner), t
        original = node
        # bind children first
        types: dict[str, Any] = {}
        for key, value in list(node.args.items()):
            if isinstance(value, exp.DataType):
                continue
            if isinstance(value, exp.Expression):
                new, t = visit(value)
                node.set(key, new)
                types[key] = t
            elif isinstance(value, list):
                pairs = [visit(v) if isinstance(v, exp.Expression) else (v, None) for v in value]
                node.set(key, [p[0] for p in pairs])
                types[key] = [p[1] for p in pairs]
        if "error" in types.values() or any(isinstance(t, list) and "error" in t for t in types.values()):
            return node, "error"
        a, b = types.get("this"), types.get("expression")
        if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            left, right = node.this, node.expression
            if a == "date" and b == "varchar" and isinstance(right, exp.Literal):
                node.set("expression", exp.cast(right, exp.DataType.build("date")))
            elif b == "date" and a == "varchar" and isinstance(left, exp.Literal):
                node.set("this", exp.cast(left, exp.DataType.build("date")))
            elif not _comparable(a, b):
                _type_error(diags, src, original, f"cannot compare {a} with {b} in '{original.sql()}'")
            _check_date_literals(node, diags, src)
            return node, "boolean"
        if isinstance(node, exp.In):
            for i, t in enumerate(types.get("expressions") or []):
                item = node.expressions[i]
                if a == "date" and t == "varchar" and isinstance(item, exp.Literal):
                    node.expressions[i] = exp.cast(item, exp.DataType.build("date"))
                elif not _comparable(a, t):
                    _type_error(diags, src, original, f"IN compares {a} with {t} in '{original.sql()}'")
                    break
            _check_date_literals(node, diags, src)
            return node, "boolean"
        if isinstance(node, exp.Like):
            if a not in ("varchar", "null"):
                _type_error(diags, src, original, f"LIKE needs text, but '{node.this.sql()}' is {a}")
            return node, "boolean"
        if isinstance(node, (exp.And, exp.Or)):
            for t in (a, b):
                if t not in ("boolean", "null"):
                    _type_error(diags, src, original, f"AND/OR combine conditions, but one side is {t}")
            return node, "boolean"
        if isinstance(node, exp.Not):
            if a not in ("boolean", "null"):
                _type_error(diags, src, original, f"NOT needs a condition, but '{original.this.sql()}' is {a}",
                            "compare it, e.g. NOT (utfall = 'annat')")
            return node, "boolean"
        if isinstance(node, exp.Between):
            for bound in ("low", "high"):
                if a == "date" and types.get(bound) == "varchar" and isinstance(node.args[bound], exp.Literal):
                    node.set(bound, exp.cast(node.args[bound], exp.DataType.build("date")))
                elif not _comparable(a, types.get(bound)):
                    _type_error(diags, src, original, f"BETWEEN compares {a} with {types.get(bound)}")
            _check_date_literals(node, diags, src)
            return node, "boolean"
        if isinstance(node, exp.StartsWith):
            if a not in ("varchar", "null") or b not in ("varchar", "null"):
                _type_error(diags, src, original, "starts_with needs text on both sides")
            return node, "boolean"
        if isinstance(node, exp.Is):
            return node, "boolean"
        if isinstance(node, exp.Sub):
            if a == "date" and b == "date":
                return day_difference(node.this, node.expression), "integer"
            if a == "date" and _num(b):
                return exp.DateSub(this=node.this, expression=node.expression, unit=exp.var("DAY")), "date"
            return _arith(node, a, b, original)
        if isinstance(node, exp.Add):
            if a == "date" and _num(b):
                return exp.DateAdd(this=node.this, expression=node.expression, unit=exp.var("DAY")), "date"
            if b == "date" and _num(a):
                return exp.DateAdd(this=node.expression, expression=node.this, unit=exp.var("DAY")), "date"
            return _arith(node, a, b, original)
        if isinstance(node, (exp.Mul, exp.Mod)):
            return _arith(node, a, b, original)
        if isinstance(node, exp.Div):
            _arith(node, a, b, original)
            return safe_divide(node.this, node.expression), "double"
        if isinstance(node, exp.Neg):
            if not _num(a):
                _type_error(diags, src, original, f"cannot negate {a}")
            return node, a
        if isinstance(node, exp.Cast):
            target = _cast_type(node.to)
            if target in ("integer", "bigint") and a == "double":
                _type_error(diags, src, original, "converting a decimal number to an integer rounds in some "
                            "engines and truncates in others", "use round(x) to say which you mean")
            return node, target
        if isinstance(node, (exp.Case, exp.If)):
            if isinstance(node, exp.If):
                if types.get("this") not in ("boolean", "null"):
                    _type_error(diags, src, original, "the condition of IF/WHEN must be true or false")
                results = [types.get("true"), types.get("false")]
            else:
                results = [t for t in (types.get("ifs") or [])] + [types.get("default")]
            known = [t for t in results if t not in (None, "null")]
            if any(not _comparable(known[0], t) for t in known[1:]):
                _type_error(diags, src, original, f"the branches give different types: {', '.join(known)}")
            return node, known[0] if known else "null"
        if isinstance(node, (exp.Coalesce, exp.Least, exp.Greatest, exp.Nullif)):
            others = [types.get("expression")] + list(types.get("expressions") or [])
            if any(t is not None and not _comparable(a, t) for t in others):
                _type_error(diags, src, original, f"the arguments of {original.sql_name().lower()} have "
                            f"different types", "give every argument the same type")
            return node, a
        if isinstance(node, (exp.Upper, exp.Lower, exp.Substring, exp.Length)):
            if a not in ("varchar", "null"):
                _type_error(diags, src, original, f"{original.sql_name().lower()} needs text, but "
                            f"'{original.this.sql()}' is {a}")
            return node, "integer" if isinstance(node, exp.Length) else "varchar"
        if isinstance(node, (exp.Abs, exp.Round)):
            if not (_num(a) or a == "null"):
                _type_error(diags, src, original, f"{original.sql_name().lower()} needs a number, got {a}")
            return node, a
        return node, "unknown"  # pragma: no cover - allowlist keeps us here

    def _arith(node, a, b, original):
        if not (_num(a) or a == "null") or not (_num(b) or b == "null"):
            _type_error(diags, src, original, f"arithmetic needs numbers, got {a} and {b} in '{original.sql()}'",
                        "day arithmetic: date - date gives days, date + n adds n days")
            return node, "error"
        return node, "double" if "double" in (a, b) else "bigint" if "bigint" in (a, b) else "integer"

    try:
        result, rtype = visit(tree)
    except RecursionError:
        diags.error(src.position, "E_EXPR_TOO_DEEP", "the expression nests too deeply",
                    "write a simpler expression, or split it into several conditions")
        return None
    if rtype == "error" or len(diags.errors) > errors_before:
        return None
    return result, rtype


def _check_date_literals(node: exp.Expression, diags: Diagnostics, src: Source) -> None:
    """Text cast to a date must be a real date, so the error is the analyst's, not the data's."""
    import datetime as dt
    for cast in node.find_all(exp.Cast):
        if cast.to.this == exp.DataType.Type.DATE and isinstance(cast.this, exp.Literal) and cast.this.is_string:
            try:
                dt.date.fromisoformat(cast.this.this)
            except ValueError:
                diags.error(src.at(node_offset(cast.this)), "E_TYPE", f"'{cast.this.this}' is not a date",
                            "write dates as 'YYYY-MM-DD'")


def _unparen(node):
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _comparable(a, b) -> bool:
    if "null" in (a, b):
        return True
    if _num(a) and _num(b):
        return True
    return a == b


def _cast_type(datatype: exp.DataType) -> str:
    from .expressions import ALLOWED_CAST_TYPES
    return ALLOWED_CAST_TYPES.get(datatype.this, "unknown")


# ---------------------------------------------------------------- the indicator


class _Ctx:
    """What binding one indicator needs: the document, model and diagnostics."""

    def __init__(self, doc: Document, model: Model, diags: Diagnostics):
        self.doc, self.model, self.diags = doc, model, diags

    def source(self, path: tuple) -> Source:
        value = _get(self.doc.data, path)
        return Source(value, self.doc.pos(path), 1 if tuple(path) in self.doc.quoted else 0)

    def parse(self, path: tuple):
        src = self.source(path)
        return parse_expression(src, self.diags), src

    def expression(self, path: tuple, scope: Scope, want: str | None = None, what: str = ""):
        tree, src = self.parse(path)
        if tree is None:
            return None
        bound = bind_expression(tree, scope, src, self.diags)
        if bound is None:
            return None
        expr, etype = bound
        if want == "boolean" and etype not in ("boolean", "null"):
            self.diags.error(src.position, "E_TYPE", f"a condition must be true or false, but '{src.text}' is {etype}",
                             "compare it, e.g. utfall = 'arbete', or test it with IS NOT NULL")
            return None
        if want == "numeric" and etype not in NUMERIC:
            human = {"varchar": "text", "date": "a date", "boolean": "true/false"}.get(etype, etype)
            self.diags.error(src.position, "E_TYPE", f"{what} needs a number, but '{src.text}' is {human}",
                             "use a numeric column or day arithmetic such as slutdatum - startdatum")
            return None
        if want == "date" and etype != "date":
            self.diags.error(src.position, "E_TYPE", f"{what} must be a date, but '{src.text}' is {etype}",
                             "name a date column, e.g. datum or startdatum")
            return None
        return expr, etype

    def conditions(self, path: tuple, scope: Scope) -> list[exp.Expression] | None:
        """A condition or list of conditions (strings or {exists: ...}) to a list of expressions."""
        value = _get(self.doc.data, path)
        items = [(path, value)] if not isinstance(value, list) else [(path + (i,), v) for i, v in enumerate(value)]
        result, ok = [], True
        for ipath, item in items:
            if isinstance(item, dict):
                bound = self.exists(ipath, scope)
            else:
                bound = self.expression(ipath, scope, want="boolean")
                bound = bound[0] if bound else None
            if bound is None:
                ok = False
            else:
                result.append(bound)
        return result if ok else None

    def exists(self, path: tuple, scope: Scope) -> exp.Expression | None:
        spec = _get(self.doc.data, path)
        parts = tuple(spec["exists"].split("."))
        where_path = path + ("where",) if "where" in spec else None
        if len(parts) == 1 and parts[0] in scope.special and hasattr(scope.special[parts[0]], "exists"):
            return scope.special[parts[0]].exists(self, where_path)
        related = related_path(self, scope, parts, path + ("exists",))
        if related is None:
            return None
        kind, payload = related
        if kind == "to_one":
            entity, alias = payload
            conds = [exp.column(self.model.entities[entity].key, table=alias).is_(exp.null()).not_()]
            if where_path:
                inner = Scope(self.model, entity, alias, scope.joins)
                more = self.conditions(where_path, inner)
                if more is None:
                    return None
                conds += more
            return exp.and_(*conds) if len(conds) > 1 else conds[0]
        join = make_related_join(self, scope, payload, where_path, "count", None,
                                 "exists_" + "_".join(parts))
        if join is None:
            return None
        return exp.column("anchor_key", table=join.alias).is_(exp.null()).not_()


def related_path(ctx: _Ctx, scope: Scope, parts: tuple, pos_path: tuple):
    """Split a relationship path into the to-one prefix and the to-many hops."""
    entity = scope.entity
    for i, part in enumerate(parts):
        rel = ctx.model.entities[entity].relationships.get(part)
        if rel is None:
            ent = ctx.model.entities[entity]
            ctx.diags.error(ctx.doc.pos(pos_path), "E_UNKNOWN_RELATIONSHIP",
                            f"'{entity}' has no relationship '{part}'",
                            did_you_mean(part, list(ent.relationships) + (list(scope.special) if i == 0 else [])))
            return None
        if rel.to_many:
            anchor = scope.to_one(parts[:i], ctx.source(pos_path), exp.null(), ctx.diags)
            if anchor is None:
                return None
            return "to_many", (anchor, parts[i:])
        entity = rel.target
    found = scope.to_one(parts, ctx.source(pos_path), exp.null(), ctx.diags)
    return ("to_one", found) if found else None


def _get(data, path):
    """The value at a path of keys and indexes in loaded YAML data."""
    for key in path:
        data = data[key]
    return data


def make_related_join(ctx: _Ctx, scope: Scope, payload, where_path, aggregate, column, wish) -> RelatedJoin | None:
    (anchor_entity, anchor_alias), hops_parts = payload
    model = ctx.model
    hops: list[Hop] = []
    entity, prev_alias, link = anchor_entity, None, None
    for i, part in enumerate(hops_parts):
        rel = model.entities[entity].relationships.get(part)
        if rel is None:
            ctx.diags.error(ctx.doc.pos(where_path[:-1] if where_path else ()), "E_UNKNOWN_RELATIONSHIP",
                            f"'{entity}' has no relationship '{part}'",
                            did_you_mean(part, model.entities[entity].relationships))
            return None
        alias = "__".join(hops_parts[: i + 1])
        target = model.entities[rel.target]
        if prev_alias is None:
            link = exp.column(rel.foreign_key, table=alias)
            hops.append(Hop(alias, rel.target, None, None))
        elif rel.to_many:
            hops.append(Hop(alias, rel.target, exp.column(rel.foreign_key, table=alias),
                            exp.column(model.entities[entity].key, table=prev_alias)))
        else:
            hops.append(Hop(alias, rel.target, exp.column(target.key, table=alias),
                            exp.column(rel.foreign_key, table=prev_alias)))
        entity, prev_alias = rel.target, alias
    inner = Scope(model, entity, prev_alias)
    for hop in hops:
        inner._paths[("__hop__", hop.alias)] = (hop.entity, hop.alias)
    where: list[exp.Expression] = []
    if where_path:
        conds = ctx.conditions(where_path, inner)
        if conds is None:
            return None
        where = conds
    value = None
    if column is not None:
        value = column(inner)
        if value is None:
            return None
    join = RelatedJoin(scope.new_alias(wish), anchor_alias, model.entities[anchor_entity].key, hops, link,
                       inner.joins, where, aggregate, value)
    scope.joins.append(join)
    return join


def _figure_requirements(holds: str) -> tuple[str, ...]:
    return {
        "rounds_to": ("period", "value", "precision"),
        "above": ("period", "value"), "below": ("period", "value"),
        "between": ("period", "min", "max"),
        "about": ("period", "value", "tolerance"),
        "lower_than": ("period", "compare_to"), "higher_than": ("period", "compare_to"),
        "increasing": ("periods",), "within_relative": ("periods", "tolerance"),
    }[holds]


def resolve_indicator(doc: Document, model: Model, diags: Diagnostics) -> BoundIndicator | None:
    """Bind one schema-valid indicator document; None after recording its errors."""
    ctx = _Ctx(doc, model, diags)
    data = doc.data
    errors_before = len(diags.errors)
    pop = data["population"]
    entity_name = pop["entity"]
    if entity_name not in model.entities:
        diags.error(doc.pos(("population", "entity")), "E_UNKNOWN_ENTITY",
                    f"unknown entity '{entity_name}'", did_you_mean(entity_name, model.entities))
        return None
    alias = entity_name
    one_per = pop.get("one_per")

    # scopes: with one_per, rows are first selected (candidates), then the unit is described
    first = Scope(model, entity_name, alias)
    second = Scope(model, entity_name, alias) if one_per else first

    # fields: aggregates over related rows, usable in both scopes
    fields_spec = pop.get("fields", {})
    for scope in {id(first): first, id(second): second}.values():
        for fname, fspec in fields_spec.items():
            scope.special[fname] = _field_binder(ctx, scope, fname, fspec)
    # lookups: only after the selection
    lookups_spec = pop.get("lookups", {})
    for lname in lookups_spec:
        if lname in fields_spec or lname in model.entities[entity_name].relationships \
                or lname in model.entities[entity_name].columns:
            diags.error(doc.key_pos(("population", "lookups", lname)), "E_NAME_CLASH",
                        f"lookup name '{lname}' is already a column, relationship or field of '{entity_name}'",
                        "choose another name, e.g. sjukpenningfall")
    for fname in fields_spec:
        if fname in model.entities[entity_name].relationships or fname in model.entities[entity_name].columns:
            diags.error(doc.key_pos(("population", "fields", fname)), "E_NAME_CLASH",
                        f"field name '{fname}' is already a column or relationship of '{entity_name}'",
                        "choose another name")
    for lname, lspec in lookups_spec.items():
        second.special[lname] = _lookup_binder(ctx, second, lname, lspec)
        if one_per:
            first.forbidden[lname] = (f"lookup '{lname}' is made on the selected unit and cannot be used before "
                                      "the selection (period, where, one_per)",
                                      "move this condition to population.require")

    for fname in fields_spec:  # bind every field, used or not, so its errors are reported
        first.special[fname]((), Source(fname, doc.pos(("population", "fields", fname))), exp.null(), diags)
    period = ctx.expression(("population", "period"), first, want="date", what="the period date")
    where = ctx.conditions(("population", "where"), first) if "where" in pop else []
    selection = None
    if one_per:
        key = ctx.expression(("population", "one_per", "key"), first)
        order = [ctx.expression(("population", "one_per", "first_by", i), first)
                 for i in range(len(one_per["first_by"]))]
        if key and all(order) and where is not None:
            selection = Selection(key[0], [o[0] for o in order], first.joins, where)
        where = ctx.conditions(("population", "require"), second) if "require" in pop else []
    elif "require" in pop:
        more = ctx.conditions(("population", "require"), first)
        where = (where or []) + more if where is not None and more is not None else None

    measure = _measure(ctx, second)
    breakdowns = _breakdowns(ctx, second)
    _published(ctx, breakdowns)
    if len(diags.errors) > errors_before or period is None or where is None or measure is None \
            or breakdowns is None:
        return None
    from .info import read_info
    return BoundIndicator(data["id"], data, doc.file, entity_name, alias, period[0], selection, second.joins,
                          where, breakdowns, measure, info=read_info(doc))


def _field_binder(ctx: _Ctx, scope: Scope, fname: str, fspec: dict):
    cache: dict = {}

    def bind(rest, src, node, diags):
        if rest:
            diags.error(src.at(node_offset(node)), "E_UNKNOWN_COLUMN",
                        f"field '{fname}' is a single value; '{fname}.{'.'.join(rest)}' does not exist")
            return None
        if "join" not in cache:
            cache["join"] = _make_field(ctx, scope, fname, fspec)
        join = cache["join"]
        if join is None:
            return None
        return exp.column("value", table=join[0].alias), join[1]
    return bind


def _make_field(ctx: _Ctx, scope: Scope, fname: str, fspec: dict):
    path = ("population", "fields", fname)
    parts = tuple(fspec["of"].split("."))
    aggregate = fspec["aggregate"]
    hop_parts, col = (parts, None) if aggregate == "count" else (parts[:-1], parts[-1])
    if not hop_parts:
        ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_FIELD_PATH",
                        f"'{fspec['of']}' does not go through a relationship",
                        "write relationship.column, e.g. insatser.startdatum")
        return None
    related = related_path(ctx, scope, hop_parts, path + ("of",))
    if related is None:
        return None
    if related[0] == "to_one":
        ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_FIELD_PATH",
                        f"'{fspec['of']}' leads to one row; a field aggregates over many",
                        "use the column path directly in expressions instead of a field")
        return None
    holder = {}

    def value(inner: Scope):
        ent = ctx.model.entities[inner.entity]
        if col not in ent.columns:
            ctx.diags.error(ctx.doc.pos(path + ("of",)), "E_UNKNOWN_COLUMN",
                            f"'{inner.entity}' has no column '{col}'", did_you_mean(col, ent.columns))
            return None
        ctype = ent.columns[col].type
        if aggregate == "sum" and ctype not in NUMERIC:
            ctx.diags.error(ctx.doc.pos(path + ("aggregate",)), "E_TYPE",
                            f"sum needs a number, but '{col}' is {ctype}")
            return None
        holder["type"] = ctype
        return exp.column(col, table=inner.alias)

    join = make_related_join(ctx, scope, related[1], path + ("where",) if "where" in fspec else None,
                             aggregate, value if col else None, fname)
    if join is None:
        return None
    return join, holder.get("type", "bigint")


def _lookup_binder(ctx: _Ctx, scope: Scope, lname: str, lspec: dict):
    model, diags, doc = ctx.model, ctx.diags, ctx.doc
    path = ("population", "lookups", lname)
    cache: dict = {}

    def make():
        if "join" in cache:
            return cache["join"]
        cache["join"] = None
        temporal = model.temporal.get(lspec["temporal"])
        if temporal is None:
            diags.error(doc.pos(path + ("temporal",)), "E_UNKNOWN_TEMPORAL",
                        f"the model has no temporal relationship '{lspec['temporal']}'",
                        did_you_mean(lspec["temporal"], model.temporal))
            return None
        unit_entity = model.entities[scope.entity]
        if temporal.match_on not in unit_entity.columns:
            diags.error(doc.pos(path + ("temporal",)), "E_LOOKUP_MATCH",
                        f"'{scope.entity}' has no column '{temporal.match_on}' to match the lookup on")
            return None
        on = ctx.expression(path + ("on",), scope, want="date", what="the lookup date")
        if on is None:
            return None
        alias = scope.new_alias(lname)
        target = model.entities[temporal.entity]
        inner = Scope(model, temporal.entity, alias, joins=[])
        where = ctx.conditions(path + ("where",), inner) if "where" in lspec else []
        if where is None:
            return None
        if inner.joins:
            diags.error(doc.pos(path + ("where",)), "E_LOOKUP_WHERE",
                        "a lookup's conditions may use only the columns of the looked-up entity",
                        f"use columns of '{temporal.entity}' without a relationship path")
            return None
        fixed = {(_unparen(c.this).name) for c in where if isinstance(c, exp.EQ)
                 and isinstance(_unparen(c.this), exp.Column) and isinstance(_unparen(c.expression), exp.Literal)}
        missing = [u for u in temporal.unique_per if u not in fixed]
        if missing:
            diags.error(doc.pos(path), "E_LOOKUP_AMBIGUOUS",
                        f"lookup '{lname}' can match several '{temporal.entity}' rows on one date: only rows of "
                        f"the same {', '.join(missing)} are known not to overlap",
                        f"fix it in where, e.g. where: \"{missing[0]} = '{(target.columns[missing[0]].values or ['...'])[0]}'\"")
            return None
        join = LookupJoin(alias, temporal.entity, temporal, scope.alias, on[0], where)
        scope.joins.append(join)
        scope._paths[(lname,)] = (temporal.entity, alias)
        cache["join"] = join
        return join

    def bind(rest, src, node, diags_):
        join = make()
        if join is None:
            return None
        if not rest:
            diags_.error(src.at(node_offset(node)), "E_NOT_A_COLUMN",
                         f"'{lname}' is a lookup; name one of its columns, e.g. {lname}.startdatum")
            return None
        return scope.walk_column((lname, *rest), src, node, diags_)  # (lname,) is a registered path

    def exists(ctx_, where_path):
        join = make()
        if join is None:
            return None
        key = model.entities[join.entity].key
        conds = [exp.column(key, table=join.alias).is_(exp.null()).not_()]
        if where_path:
            inner = Scope(model, join.entity, join.alias, scope.joins)
            more = ctx_.conditions(where_path, inner)
            if more is None:
                return None
            conds += more
        return exp.and_(*conds) if len(conds) > 1 else conds[0]

    def column_decl(rest):
        entity = model.temporal[lspec["temporal"]].entity if lspec["temporal"] in model.temporal else None
        if entity is None or not rest:
            return None
        for part in rest[:-1]:
            rel = model.entities[entity].relationships.get(part)
            if rel is None:
                return None
            entity = rel.target
        return model.entities[entity].columns.get(rest[-1])

    bind.exists = exists
    bind.column_decl = column_decl
    return bind


def _measure(ctx: _Ctx, scope: Scope) -> Measure | None:
    spec = ctx.doc.data["measure"]
    kind = spec["kind"]
    diags, doc = ctx.diags, ctx.doc
    needs_of = kind in ("count_distinct", "mean", "median", "sum", "percentile")
    ok = True
    if needs_of and "of" not in spec:
        diags.error(doc.pos(("measure",)), "E_MEASURE_OF", f"a {kind} needs 'of': the value to aggregate",
                    "e.g. of: slutdatum - startdatum" if kind != "count_distinct" else "e.g. of: person_id")
        ok = False
    if not needs_of and "of" in spec:
        diags.error(doc.key_pos(("measure", "of")), "E_MEASURE_EXTRA", f"a {kind} takes no 'of'",
                    "count counts the population's units; use count_distinct to count distinct values")
        ok = False
    if kind == "share" and "numerator" not in spec:
        diags.error(doc.pos(("measure",)), "E_SHARE_NUMERATOR", "a share needs a numerator: the condition that "
                    "puts a unit of the population in the numerator",
                    "e.g. numerator: lamnat_sjukforsakringen")
        ok = False
    if kind != "share" and "numerator" in spec:
        diags.error(doc.key_pos(("measure", "numerator")), "E_MEASURE_EXTRA",
                    f"only a share has a numerator, this measure is a {kind}", "set kind: share")
        ok = False
    if kind == "percentile" and "p" not in spec:
        diags.error(doc.pos(("measure",)), "E_PERCENTILE_P", "a percentile needs p, between 0 and 1",
                    "e.g. p: 0.9")
        ok = False
    if kind != "percentile" and "p" in spec:
        diags.error(doc.key_pos(("measure", "p")), "E_MEASURE_EXTRA", "only a percentile takes p")
        ok = False
    if not ok:
        return None
    measure = Measure(kind, p=spec.get("p"))
    if needs_of:
        want = None if kind == "count_distinct" else "numeric"
        bound = ctx.expression(("measure", "of"), scope, want=want, what=f"a {kind}")
        if bound is None:
            return None
        measure.value = bound[0]
    if kind == "share":
        conds = ctx.conditions(("measure", "numerator"), scope)
        if conds is None:
            return None
        measure.numerator = exp.and_(*conds) if len(conds) > 1 else conds[0]
    return measure


def _breakdowns(ctx: _Ctx, scope: Scope) -> list[Breakdown] | None:
    data, model, diags, doc = ctx.doc.data, ctx.model, ctx.diags, ctx.doc
    entity = model.entities[scope.entity]
    specs = list(enumerate(data.get("breakdowns", [])))
    names = [s.split(".")[-1] for _, s in specs]
    omit = data.get("omit_kon_because")
    kon_path = "person.kon" if "person" in entity.relationships else "kon" if "kon" in entity.columns else None
    if "kon" in names and omit:
        diags.error(doc.key_pos(("omit_kon_because",)), "E_KON_CONFLICT",
                    "the indicator both breaks down by kon and gives a reason to omit it", "remove one of them")
    result: list[Breakdown] = []
    if "kon" not in names and not omit and kon_path is not None:  # individual-based: kon by default
        parts = tuple(kon_path.split("."))
        bound = scope.column(parts, Source(kon_path, doc.pos(("population", "entity"))), exp.null(), diags)
        if bound:
            result.append(Breakdown("kon", bound[0], column_of(model, scope, parts)))
    seen = set()
    for i, spec in specs:
        path = ("breakdowns", i)
        name = spec.split(".")[-1]
        if name in seen:
            diags.error(doc.pos(path), "E_BREAKDOWN_DUPLICATE", f"breakdown '{name}' is listed twice")
            continue
        seen.add(name)
        tree, src = ctx.parse(path)
        if tree is None:
            continue
        if not isinstance(tree, exp.Column):
            diags.error(doc.pos(path), "E_BREAKDOWN", f"a breakdown is a column path, not '{spec}'",
                        "e.g. fall.ersattning")
            continue
        bound = bind_expression(tree, scope, src, diags)
        if bound is None:
            continue
        if bound[1] in ("double", "date"):
            diags.error(doc.pos(path), "E_BREAKDOWN_TYPE",
                        f"cannot break down by '{spec}': it is a {bound[1]}, not a category",
                        "break down by a column with a few stored values, e.g. kon, ersattning, lan")
            continue
        result.append(Breakdown(name, bound[0], column_of(model, scope, column_path(tree))))
    if "kon" in names:  # keep kon first, as in the reports
        result.sort(key=lambda b: b.name != "kon")
    return result


def _published(ctx: _Ctx, breakdowns: list[Breakdown] | None) -> None:
    data, diags, doc = ctx.doc.data, ctx.diags, ctx.doc
    known = {b.name: b for b in breakdowns or []}
    for i, figure in enumerate(data.get("published", [])):
        path = ("published", i)
        holds = figure.get("holds", "rounds_to")
        for key in _figure_requirements(holds):
            if key not in figure:
                diags.error(doc.pos(path), "E_PUBLISHED", f"a published figure that holds '{holds}' needs '{key}'",
                            f"add {key}:")
        if "period" in figure and "periods" in figure:
            diags.error(doc.key_pos(path + ("periods",)), "E_PUBLISHED", "give either period or periods, not both")
        for key, value in figure.get("breakdown", {}).items():
            if breakdowns is not None and key not in known:
                diags.error(doc.key_pos(path + ("breakdown", key)), "E_PUBLISHED_BREAKDOWN",
                            f"the figure is for breakdown '{key}', which the indicator does not have",
                            did_you_mean(key, known) or "the indicator has no breakdown besides the total")
            elif breakdowns is not None:
                column = known[key].column
                if column is not None and column.values and value not in column.values:
                    diags.error(doc.pos(path + ("breakdown", key)), "E_PUBLISHED_BREAKDOWN",
                                f"'{value}' is not a value of {key}", did_you_mean(str(value), column.values))


@dataclass
class BoundRule:
    entity: str
    name: str
    condition: exp.Expression
    joins: list[ToOneJoin]
    text: str


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
