"""Wiki links in Markdown: ``[[slug]]``, ``[[slug|text]]``, ``[[slug#anchor|text]]``.

A Python-Markdown inline processor, the API behind Python-Markdown's own links:
it runs after code spans are stashed (and never sees fenced or indented code), so
a wiki link in code stays text without any code detection of our own.

The link is built from the slug alone, as ``<base path>items/<slug>/#anchor``:
the extension never sees the list of items, so adding or renaming an item does
not change any rendered body and the render cache stays valid. Whether the
target exists, and has the heading, is checked after rendering by the
crosslinks plugin, which finds the links in the source with `find_wikilinks`
for line numbers. ``[[slug]]`` without text renders the slug, marked with the
class ``wikilink-auto`` so that the crosslinks plugin can put the target's
title in its place.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

# [[slug]], [[slug#anchor]], [[slug|text]], [[slug#anchor|text]]; one line only.
WIKILINK = r"\[\[([^\[\]|#\n]+)(?:#([^\[\]|\n]*))?(?:\|([^\[\]\n]+))?\]\]"
WIKILINK_RE = re.compile(WIKILINK)
# Before references (170) and links (160) read `[`, after code spans (190)
# and escapes (180), so `\[[x]]` and code stay text.
PRIORITY = 172
AUTO_CLASS = "wikilink wikilink-auto"
CLASS = "wikilink"

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")


@lru_cache(maxsize=1)
def source_version() -> str:
    """A hash of this file: part of the extension's config, so of the render cache key."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def wiki_href(base_path: str, slug: str, anchor: str = "") -> str:
    """The URL a wiki link points at, with the site's base path."""
    href = f"{base_path}items/{quote(slug, safe='')}/"
    return href + f"#{quote(anchor, safe='-._~')}" if anchor else href


@dataclass(frozen=True)
class WikiRef:
    """One wiki link in a Markdown source; ``line`` and ``col`` count from 1."""

    slug: str
    anchor: str
    text: str
    line: int
    col: int


def parts(match: re.Match[str]) -> tuple[str, str, str]:
    """(slug, anchor, text) of a WIKILINK match, trimmed."""
    return tuple(  # type: ignore[return-value]
        (group or "").strip() for group in match.group(1, 2, 3)
    )


def find_wikilinks(body: str) -> tuple[WikiRef, ...]:
    """Wiki links in a Markdown body, outside fenced code and code spans.

    Line-based, like the block parser: a code span or link never crosses a line
    here. Indented code is not detected; callers compare with what rendered.
    """
    refs: list[WikiRef] = []
    fence = ""
    for number, line in enumerate(body.split("\n"), 1):
        opener = _FENCE.match(line)
        if fence:
            marker = opener.group(1) if opener else ""
            closes = marker[:1] == fence[0] and len(marker) >= len(fence)
            if closes and not line[opener.end() :].strip():  # type: ignore[union-attr]
                fence = ""
            continue
        if opener and not (opener.group(1)[0] == "`" and "`" in line[opener.end() :]):
            fence = opener.group(1)
            continue
        if "[[" not in line:
            continue
        visible = _CODE_SPAN.sub(lambda span: " " * len(span.group()), line)
        for match in WIKILINK_RE.finditer(visible):
            slug, anchor, text = parts(match)
            if slug:
                refs.append(WikiRef(slug, anchor, text, number, match.start() + 1))
    return tuple(refs)


class WikiLinkProcessor(InlineProcessor):
    def __init__(self, pattern: str, md: markdown.Markdown, base_path: str) -> None:
        super().__init__(pattern, md)
        self.base_path = base_path

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        slug, anchor, text = parts(m)
        if not slug:
            return None, None, None
        link = etree.Element("a")
        link.set("href", wiki_href(self.base_path, slug, anchor))
        link.set("class", CLASS if text else AUTO_CLASS)
        # Given text may hold Markdown (emphasis); a slug is shown as written.
        link.text = text or AtomicString(slug)
        return link, m.start(0), m.end(0)


class WikiLinkExtension(Extension):
    """``("gazette.render.wikilinks:WikiLinkExtension", {"base_path": "/repo/"})``."""

    def __init__(self, **kwargs: object) -> None:
        self.config = {
            "base_path": ["/", "the site's base path, ending in /"],
            "version": ["", "source_version(), so that a change here re-renders"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        base = str(self.getConfig("base_path")) or "/"
        base = base if base.endswith("/") else base + "/"
        md.inlinePatterns.register(WikiLinkProcessor(WIKILINK, md, base), "wikilink", PRIORITY)
