"""The one way Gazette reads a project's files: never from outside the project.

Every file Gazette reads from a project (``site.toml``, content, ``tags.yml``,
``glossary.yml``, theme templates and static files, project plugins) is first
resolved to its real path, and refused when that path leaves its area of the
project: ``content/`` for content, ``theme/`` for the theme, ``plugins/`` for
plugins, the project folder for ``site.toml``. A symlink anywhere on the path,
at any depth (the file, a sub-folder, ``content/items`` or ``theme/`` itself)
that points elsewhere is an error naming the file and the fix; a symlink that
stays inside its area is followed. Gazette's own theme and plugins are read
from its installation.
"""

from __future__ import annotations

from pathlib import Path

from gazette.content.source import MAX_FILE_BYTES
from gazette.diagnostics import ContentError, Diagnostic, error


def relative(project: Path, path: Path) -> str:
    try:
        return path.relative_to(project).as_posix()
    except ValueError:
        return path.as_posix()


def confined(
    project: Path, path: Path, area: str = "", builtin: Path | None = None
) -> Diagnostic | None:
    """None when ``path`` really is inside ``project/area`` (or ``builtin``); else the error."""
    where = relative(project, path)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return error(
            where, 0, "symlink-broken", "the symlink is broken or loops", "remove the symlink"
        )
    base = project.resolve() / area if area else project.resolve()
    if real.is_relative_to(base) or (builtin is not None and real.is_relative_to(builtin)):
        return None
    inside = f"{area}/" if area else "the project"
    return error(
        where,
        0,
        "symlink-outside",
        f"this path leads outside {inside} through a symlink; Gazette never reads "
        "files outside the project",
        f"copy the file into {inside} instead of linking to it",
    )


def read_limited(path: Path) -> bytes:
    """Read at most one byte past the size limit, so a huge file cannot exhaust memory."""
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def read_project_file(project: Path, path: Path, area: str = "") -> bytes:
    """The bytes of a project file (up to the size limit), after ``confined``.

    Raises ``ContentError`` naming the file when it leads outside its area.
    """
    problem = confined(project, path, area)
    if problem is not None:
        raise ContentError([problem])
    return read_limited(path)
