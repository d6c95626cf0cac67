"""Stage 3, resolve: bind an indicator's names to the model.

Every column path (`fall.diagnoskod`), relationship path (`samarbeten.insatser`), field and
lookup is bound to a join alias; every expression is typed (annotate: a table of rules keyed
by node class) and rewritten into portable sqlglot nodes (rewrite: tree → tree RULES). The
result, a `BoundIndicator` (bound: frozen values), holds sqlglot expressions over aliases and
the joins they need, and knows nothing of periods or dialects.

    scope.py       the one path walker: column and relationship paths → aliases and joins
    expression.py  one expression: bind columns → annotate → rewrite
    annotate.py    typing rules by node class
    constants.py   values written into an expression that are wrong on every row (x % 0, round(x, 99))
    rewrite.py     portable rewrites (text dates, day arithmetic, guarded division and remainder)
    indicator.py   one indicator: population, measure, breakdowns, published figures
    rules.py       the model's consistency rules and calculated columns
"""
from .bound import (
    BoundIndicator,
    BoundRule,
    Breakdown,
    Hop,
    Join,
    LookupJoin,
    Measure,
    Origin,
    PopulationOrigins,
    RelatedJoin,
    Selection,
    ToOneJoin,
)
from .expression import bind_expression
from .indicator import population_origins, resolve_indicator
from .rewrite import day_difference, safe_divide
from .rules import check_calculated, resolve_rules
from .scope import Scope

__all__ = ["BoundIndicator", "BoundRule", "Breakdown", "Hop", "Join", "LookupJoin", "Measure", "Origin",
           "PopulationOrigins", "RelatedJoin",
           "Scope", "Selection", "ToOneJoin", "bind_expression", "check_calculated", "day_difference",
           "population_origins", "resolve_indicator", "resolve_rules", "safe_divide"]
