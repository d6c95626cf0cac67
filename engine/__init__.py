"""Declarative indicator engine: YAML definitions compiled to SQL with sqlglot, run on DuckDB.

Pipeline (one module each): load -> validate -> resolve -> plan -> render -> execute -> present.
The public API is in `engine.api`.
"""
from .api import (
    Catalogue,
    CompileRefused,
    EngineError,
    checked_catalogue,
    compile_indicator,
    load_catalogue,
    run,
    test_fixtures,
)

__all__ = ["Catalogue", "CompileRefused", "EngineError", "checked_catalogue", "compile_indicator",
           "load_catalogue", "run", "test_fixtures"]
