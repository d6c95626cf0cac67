"""User-facing errors: every problem an analyst can cause is a Diagnostic with a place.

Stages never print; they collect Diagnostics so that one run reports every error at
once, and raise `EngineError` (carrying all of them) only where going on is pointless.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Position:
    file: str
    line: int = 0  # 1-based; 0 when unknown
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    position: Position
    code: str
    message: str
    hint: str = ""
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        text = f"{self.position}: {self.code} {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def as_dict(self) -> dict:
        return {"file": self.position.file, "line": self.position.line, "col": self.position.col,
                "code": self.code, "message": self.message, "hint": self.hint,
                "severity": self.severity}


class EngineError(Exception):
    """Raised with every diagnostic that stopped a stage."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass
class Diagnostics:
    """An accumulator handed through a stage."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, position: Position, code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(position, code, message, hint))

    def warning(self, position: Position, code: str, message: str, hint: str = "") -> None:
        self.items.append(Diagnostic(position, code, message, hint, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise EngineError(self.items)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A 'did you mean' hint, or a list of what is allowed when nothing is close."""
    options = sorted(set(candidates))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not options:
        return ""
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"expected one of: {shown}"
