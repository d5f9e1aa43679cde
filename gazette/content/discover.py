"""Find content files, read them, and refuse anything that leaves ``content/``.

The rule for what is content (documented in the README): ``*.md`` files under
``content/items/`` and ``content/issues/``. Hidden files and folders (``.DS_Store``,
``.#foo.md``), editor backups (``foo.md~``, ``#foo.md#``, ``*.swp``) and
``__pycache__`` are ignored. A symlink is followed only when it resolves inside
``content/``; one that points outside, or loops, is an error, and nothing outside
the project is ever read.
"""

from __future__ import annotations

import os
from pathlib import Path

from gazette.content.files import confined, read_limited, relative
from gazette.diagnostics import Diagnostic, error, warning

__all__ = ["find_markdown", "is_junk", "read_limited", "relative"]

_JUNK_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig")
_NEAR_MISSES = (".markdown", ".mdown", ".mkd", ".txt", ".mdx")


def is_junk(name: str) -> bool:
    return (
        name.startswith(".")
        or name.endswith(_JUNK_SUFFIXES)
        or (name.startswith("#") and name.endswith("#"))
        or name == "__pycache__"
    )


def find_markdown(project: Path, folder: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Every content file under ``folder``, sorted, with problems found on the way."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    visited: set[Path] = set()
    stack = [folder] if folder.is_dir() else []  # a new archive may have no items yet
    outside = confined(project, folder, "content") if stack else None
    if outside is not None:  # content/ or content/items itself links elsewhere
        return [], [outside]
    while stack:
        current = stack.pop()
        real = current.resolve()
        if real in visited:
            continue
        visited.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            problems.append(error(relative(project, current), 0, "unreadable", str(exc)))
            continue
        for entry in entries:
            path = Path(entry.path)
            if is_junk(entry.name):
                continue
            if entry.is_symlink():
                problem = confined(project, path, "content")
                if problem:
                    problems.append(problem)
                    continue
            if entry.is_dir():
                stack.append(path)
            elif entry.name.endswith(".md"):
                found.append(path)
            elif entry.name.endswith(_NEAR_MISSES):
                problems.append(
                    warning(
                        relative(project, path),
                        0,
                        "not-content",
                        "this file is ignored: only .md files are content",
                        "rename it to end in .md",
                    )
                )
    return sorted(found), problems
