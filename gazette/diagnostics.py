"""Diagnostics: every problem Gazette reports, in one shape.

A diagnostic prints as ``path:line[:col]: error[CODE]: what. Fix: how`` so that
editors and CI logs can jump to the place. Loading collects diagnostics instead
of raising on the first one, so a build reports every error at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    fix: str = ""
    severity: Severity = Severity.ERROR

    @property
    def where(self) -> str:
        """``path:line:col``, leaving out what is unknown."""
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return where

    def format(self) -> str:
        text = f"{self.where}: {self.severity.value}[{self.code}]: {self.message}"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(path: str, line: int, code: str, message: str, fix: str = "", col: int = 0) -> Diagnostic:
    return Diagnostic(path, line, col, code, message, fix, Severity.ERROR)


def warning(
    path: str, line: int, code: str, message: str, fix: str = "", col: int = 0
) -> Diagnostic:
    return Diagnostic(path, line, col, code, message, fix, Severity.WARNING)


def strictify(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Under ``--strict`` warnings become errors (CI uses this)."""
    return [replace(d, severity=Severity.ERROR) for d in diagnostics]


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics), key=lambda d: (d.path, d.line, d.col, d.code, d.message))


class ContentError(Exception):
    """Raised to stop a build because content is wrong; carries every diagnostic."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class UsageError(Exception):
    """A problem with the command line or the site configuration (exit code 2)."""

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()):
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__(message)
