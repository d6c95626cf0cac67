"""Declarative indicator engine: YAML definitions compiled to SQL with sqlglot, run on DuckDB.

Pipeline (one module each): load -> validate -> resolve -> plan -> render -> execute -> present.
The public API is in `engine.api`; its names here are imported on first use, so that the command
line's start-up (engine.cli) loads only what a command needs.
"""
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
