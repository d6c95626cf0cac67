"""Binding one analyst expression: names → aliases, then typing, then the portable rewrites.

    bind columns (scope) → annotate (typing table) → check constants (values wrong on every row)
    → rewrite (RULES) → check date literals
"""
from __future__ import annotations

from sqlglot import exp

from ..diagnostics import Diagnostics, did_you_mean
from ..expressions import Source, column_path, node_offset
from .annotate import annotate, set_type, unparen
from .constants import check_constants
from .rewrite import check_date_literals, rewrite
from .scope import Bound, Scope


def _check_values(scope: Scope, col_node, literal_nodes, src: Source, diags: Diagnostics) -> None:
    if not isinstance(col_node, exp.Column):
        return
    decl = scope.column_decl(column_path(col_node))
    if decl is None or not decl.values:
        return
    for lit in literal_nodes:
        if isinstance(lit, exp.Literal) and lit.is_string and lit.this not in decl.values:
            diags.error(src.at(node_offset(lit)), "E_UNKNOWN_VALUE",
                        f"'{lit.this}' is not an allowed value of {'.'.join(column_path(col_node))}",
                        did_you_mean(lit.this, decl.values))


def check_allowed_values(tree: exp.Expr, scope: Scope, src: Source, diags: Diagnostics) -> None:
    """Text literals compared with a column that has allowed values must be one of them (`'sjukpeng'`)."""
    for node in tree.walk():
        if isinstance(node, (exp.EQ, exp.NEQ)):
            left, right = unparen(node.this), unparen(node.expression)
            for col, lit in ((left, right), (right, left)):
                if isinstance(col, exp.Column):
                    _check_values(scope, col, [lit], src, diags)
        elif isinstance(node, exp.In) and isinstance(unparen(node.this), exp.Column):
            _check_values(scope, unparen(node.this), node.expressions, src, diags)


def bind_expression(tree: exp.Expr, scope: Scope, src: Source, diags: Diagnostics) -> Bound | None:
    """Bind columns and type-check; returns (expression, type) or None after errors."""
    errors_before = len(diags.errors)
    check_allowed_values(tree, scope, src, diags)

    def bind(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Column):
            return node
        bound = scope.column(column_path(node), src, node, diags)
        new, etype = bound if bound else (exp.null(), "error")
        starts = [i.meta["start"] for i in node.find_all(exp.Identifier) if "start" in i.meta]
        new.meta.setdefault("start", min(starts, default=0))   # errors about the column point at its path
        return set_type(new, etype)

    try:
        tree = tree.transform(bind, copy=False)  # a bound column is not descended into
        rtype = annotate(tree, src, diags)
        if rtype == "error" or len(diags.errors) > errors_before:
            return None
        check_constants(tree, src, diags)
        if len(diags.errors) > errors_before:
            return None
        tree = rewrite(tree)
        check_date_literals(tree, src, diags)
    except RecursionError:
        diags.error(src.position, "E_EXPR_TOO_DEEP", "the expression nests too deeply",
                    "write a simpler expression, or split it into several conditions")
        return None
    if len(diags.errors) > errors_before:
        return None
    return tree, rtype
