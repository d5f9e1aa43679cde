"""Redirect pages at old URLs, so that links to an archive's former site keep working.

``content/redirects.yml`` maps each old path (relative to the site root, as the
old generator wrote it: ``posts/2024/grid-codes.html``, ``blog/2024/03/05/grid-codes/``)
to the Gazette URL that replaces it (``/items/grid-codes/``). The importers
(``build.py import pelican|mkdocs``) write it. For every entry the plugin
writes a small page at the old path that sends the reader on at once
(``<meta http-equiv="refresh">``, no script, so the site's CSP holds), names
the new URL as canonical, and asks search engines not to index it.

An old path that escapes the site, that a Gazette page already uses, or whose
target is not a page of the site is an error with the file's line.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gazette.content.files import read_project_file
from gazette.content.yamlstrict import load_mapping, to_plain
from gazette.diagnostics import ContentError, Diagnostic, error
from gazette.model import Site
from gazette.output.urls import Urls
from gazette.plugins import StaticFile

OPTIONS: dict = {}
WHERE = "content/redirects.yml"
_SAFE = re.compile(r"^[A-Za-z0-9._~/%+-]+$")

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; base-uri 'none'">
<meta charset="utf-8">
<title>Moved to {title}</title>
<meta http-equiv="refresh" content="0; url={url}">
<link rel="canonical" href="{absolute}">
<meta name="robots" content="noindex">
</head>
<body>
<p>This page has moved: <a href="{url}">{title}</a>.</p>
</body>
</html>
"""


def read_redirects(site: Site) -> tuple[list[tuple[str, str, int]], list[Diagnostic]]:
    """(old path, new URL, line) of every entry, and the problems of the file."""
    project = Path(site.config.project) if site.config.project else None
    path = project / WHERE if project else None
    if project is None or path is None or not path.is_file():
        return [], []
    try:
        text = read_project_file(project, path, "content").decode("utf-8")
    except (ContentError, UnicodeDecodeError) as exc:
        problems = getattr(exc, "diagnostics", None) or [
            error(WHERE, 0, "not-utf8", "the file is not UTF-8", "save it as UTF-8")
        ]
        return [], list(problems)
    fields, problems = load_mapping(WHERE, text, 0)
    entries = []
    for old, field in fields.items():
        new = to_plain(field.node)
        if not isinstance(new, str) or not new.startswith("/"):
            problems.append(
                error(
                    WHERE,
                    field.key_line,
                    "redirect",
                    f"the target of {old!r} must be a site path",
                    'e.g. "posts/old.html": "/items/new-slug/"',
                )
            )
            continue
        entries.append((old, new, field.key_line))
    return entries, problems


def _old_url(old: str) -> str | None:
    """The output URL of an old path, or None when it could leave the site."""
    stripped = old.strip().lstrip("/")
    if not stripped or not _SAFE.match(stripped):
        return None
    normal = posixpath.normpath(stripped)
    if normal.startswith("..") or normal in (".", ""):
        return None
    url = "/" + normal + ("/" if stripped.endswith("/") else "")
    return url if url.endswith("/") or "." in posixpath.basename(url) else url + "/"


def outputs(site: Site, *, urls: Urls, **kwargs: Any) -> Iterator[StaticFile | Diagnostic]:
    """Runs in the render stage: one redirect page per entry of content/redirects.yml."""
    entries, problems = read_redirects(site)
    pages = {item.url for item in site.items} | {issue.url for issue in site.issues}
    seen: set[str] = set()
    for old, new, line in entries:
        url = _old_url(old)
        if url is None:
            problems.append(
                error(
                    WHERE,
                    line,
                    "redirect",
                    f"the old path {old!r} is not a safe site path",
                    "use the path as the old site wrote it, e.g. posts/2024/grid-codes.html",
                )
            )
            continue
        target = new if new.endswith("/") or "." in posixpath.basename(new) else new + "/"
        if url in pages or url in seen:
            problems.append(
                error(
                    WHERE,
                    line,
                    "redirect",
                    f"{old!r} is already a page of this site",
                    "remove the entry",
                )
            )
            continue
        if target not in pages and not target.startswith("/tags/") and target != "/":
            problems.append(
                error(
                    WHERE,
                    line,
                    "redirect",
                    f"{new!r} is not a page of this site",
                    "point it at an item (/items/<slug>/) or an issue (/issues/<id>/)",
                )
            )
            continue
        seen.add(url)
        page = PAGE.format(
            lang=html.escape(site.config.site.language),
            title=html.escape(target),
            url=html.escape(urls.url(target)),
            absolute=html.escape(urls.absolute(target)),
        )
        if url.endswith("/"):
            url += "index.html"
        yield StaticFile(url, page.encode())
    if problems:
        raise ContentError(problems)
