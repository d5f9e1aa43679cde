"""An item's ``sources``: read from front matter, and checked across the archive.

Each entry is a URL, or a mapping with ``url`` (required), ``title``,
``publisher`` and ``date`` (YYYY-MM-DD). Every problem is an error naming its
line and column and a fix, and all of them are reported at once.

``vague_sources`` is the archive-wide check behind the warning ``vague-source``:
a source that links only to a site's home page says nothing about where the
facts are. What counts as a home page (``is_home_page``) is documented in the
README: no query string, and a path that is empty or ``/``, an index page
(``index`` or ``default`` with ``.htm``, ``.html``, ``.shtml``, ``.php``,
``.asp``, ``.aspx`` or ``.jsp``), or either of these under one language folder
of two letters with an optional region (``/en/``, ``/zh-cn/index.html``). The
fragment is ignored. Each site (host without ``www.``) is reported once, with
the place of every such source.

URLs are split with the standard library's ``urllib.parse``; YAML positions
come from the strict node tree of ``yamlstrict``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from urllib.parse import urlsplit

from yaml import MappingNode, Node, ScalarNode, SequenceNode

from gazette.content.fields import DATE, DATE_FIX, Reader, did_you_mean
from gazette.content.yamlstrict import Field, is_null
from gazette.diagnostics import Diagnostic, error, warning
from gazette.model import Item, Source

SOURCE_KEYS = ("url", "title", "publisher", "date")
ENTRY_FIX = "write the URL alone, or url:, title:, publisher: and date: lines under '- '"
URL_FIX = "use a full address starting with https://"
_INDEX = re.compile(r"(?:index|default)\.(?:s?html?|php|aspx?|jsp)", re.IGNORECASE)
_LANGUAGE = re.compile(r"[a-z]{2}(?:[-_][a-z]{2,4})?", re.IGNORECASE)


def url_problem(value: str) -> str:
    """Why ``value`` is not an absolute http(s) URL, or "" when it is one."""
    if any(c.isspace() for c in value):
        return "holds a space"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"cannot be read ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) URL"
    if not parts.hostname:
        return "has no host name"
    return ""


class _Entries:
    """Reads the entries of one ``sources`` list, reporting into ``reader.problems``."""

    def __init__(self, reader: Reader, field: Field):
        self.reader = reader
        self.field = field

    def at(self, node: Node) -> tuple[int, int]:
        """The file line and column of a node inside the list."""
        mark = node.start_mark
        return self.field.line + mark.line - self.field.node.start_mark.line, mark.column + 1

    def fail(self, node: Node, code: str, message: str, fix: str) -> None:
        line, col = self.at(node)
        self.reader.problems.append(error(self.reader.path, line, code, message, fix, col=col))

    def url(self, node: ScalarNode, where: str) -> str:
        value = node.value.strip()
        why = url_problem(value)
        if why:
            self.fail(node, "bad-url", f"'{value}' in {where} {why}", URL_FIX)
            return ""
        return value

    def text(self, node: Node, name: str) -> str | None:
        """A single value of a source's key, or None (reported) when it is not one."""
        if not isinstance(node, ScalarNode):
            kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
            self.fail(
                node,
                "bad-value",
                f"'{name}' of a source must be a single value, not {kind}",
                f'write {name}: "..." on one line',
            )
            return None
        if is_null(node) or not node.value.strip():
            self.fail(
                node,
                "bad-value",
                f"'{name}' of a source is empty",
                f"give '{name}' a value, or remove the line",
            )
            return None
        line, _ = self.at(node)
        rest = self.reader.raw_line(line)[node.end_mark.column :]
        if not node.style and node.end_mark.line == node.start_mark.line and "#" in rest:
            self.reader.problems.append(
                warning(
                    self.reader.path,
                    line,
                    "value-cut-by-comment",
                    f"'{name}' of a source was cut short at ' #', which starts a YAML comment",
                    f'quote the whole value, e.g. {name}: "Notice #2"',
                )
            )
        return node.value.strip()

    def day(self, node: ScalarNode) -> date | None:
        raw = node.value.strip()
        if DATE.fullmatch(raw):
            try:
                return date.fromisoformat(raw)
            except ValueError as exc:
                self.fail(
                    node,
                    "bad-date",
                    f"'date' of a source is not a real date: {raw} ({exc})",
                    DATE_FIX,
                )
                return None
        self.fail(
            node,
            "bad-date",
            f"'date' of a source is not a date in the form YYYY-MM-DD: {raw}",
            DATE_FIX,
        )
        return None

    def mapping(self, node: MappingNode) -> Source | None:
        values: dict[str, ScalarNode] = {}
        ok = True
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else ""
            if name not in SOURCE_KEYS:
                guess = did_you_mean(name, SOURCE_KEYS)
                self.fail(
                    key_node,
                    "source-key",
                    f"unknown key '{name}' in a source",
                    f"did you mean '{guess[0]}'?"
                    if guess
                    else f"a source's keys are {', '.join(SOURCE_KEYS)}",
                )
                ok = False
            elif name in values:
                first, _ = self.at(values[name])
                self.fail(
                    key_node,
                    "duplicate-key",
                    f"the key '{name}' appears twice in one source (first on line {first})",
                    "keep one of them",
                )
                ok = False
            elif self.text(value_node, name) is None:
                ok = False
            else:
                values[name] = value_node  # type: ignore[assignment]
        if "url" not in values:
            if ok:
                self.fail(
                    node,
                    "missing-url",
                    "a source lacks its url",
                    "add url: https://... to it (title, publisher and date are optional)",
                )
            return None
        url = self.url(values["url"], "a source's url")
        day = self.day(values["date"]) if "date" in values else None
        if not ok or not url or ("date" in values and day is None):
            return None
        line, _ = self.at(node)
        return Source(
            url,
            values["title"].value.strip() if "title" in values else "",
            values["publisher"].value.strip() if "publisher" in values else "",
            day,
            line,
        )

    def entry(self, node: Node, key: str) -> Source | None:
        if isinstance(node, MappingNode):
            return self.mapping(node)
        if isinstance(node, ScalarNode) and not is_null(node) and node.value.strip():
            url = self.url(node, f"'{key}'")
            return Source(url, line=self.at(node)[0]) if url else None
        what = "a nested list" if isinstance(node, SequenceNode) else "an empty entry"
        self.fail(node, "bad-value", f"'{key}' holds {what}", ENTRY_FIX)
        return None


def read_sources(reader: Reader, key: str = "sources") -> tuple[Source, ...]:
    """The sources of a file's front matter; problems go to ``reader.problems``."""
    f = reader.fields.get(key)
    if f is None:
        return ()
    if not isinstance(f.node, SequenceNode):
        reader.fail(
            f,
            "not-a-list",
            f"'{key}' must be a list",
            f"write one '- https://...' line per source, or {key}: [] for none",
        )
        return ()
    entries = _Entries(reader, f)
    found = (entries.entry(child, key) for child in f.node.value)
    return tuple(source for source in found if source is not None)


def is_home_page(url: str) -> bool:
    """Whether ``url`` is only a site's home page (the rule in the module docstring)."""
    _, separator, rest = url.partition("://")
    if separator and "?" not in rest and "#" not in rest:
        # The common case, without urlsplit (a build checks every source of
        # every item): three path segments or more are never a home page.
        host_end = rest.find("/")
        if host_end >= 0 and sum(1 for s in rest[host_end:].split("/") if s) >= 3:
            return False
    parts = urlsplit(url)
    if parts.query:
        return False
    segments = [s for s in parts.path.split("/") if s]
    if segments and _INDEX.fullmatch(segments[-1]):
        segments.pop()
    if len(segments) == 1 and _LANGUAGE.fullmatch(segments[0]):
        segments.pop()
    return not segments


def vague_sources(items: Iterable[Item]) -> list[Diagnostic]:
    """One ``vague-source`` warning per site whose home page stands as a source."""
    found: dict[str, set[tuple[str, int]]] = {}
    for item in items:
        for source in item.sources:
            if is_home_page(source.url):
                line = source.line or item.lines.get("sources", 1)
                found.setdefault(source.domain, set()).add((item.path, line))
    warnings = []
    for site, places in sorted(found.items()):
        ordered = sorted(places)
        count = len(ordered)
        what = f"{count} sources link" if count > 1 else "a source links"
        warnings.append(
            warning(
                ordered[0][0],
                ordered[0][1],
                "vague-source",
                f"{what} only to the home page of {site}, which does not show where the "
                f"facts are: {', '.join(f'{path}:{line}' for path, line in ordered)}",
                "link the page that holds them (the notice, the standard, the news item); "
                "to accept home pages, set vague_sources = false under [check] in site.toml",
            )
        )
    return warnings
