"""Render one Markdown body to sanitised HTML, its headings and its plain text.

Why Python-Markdown: it is the engine behind MkDocs, so the extensions that a
newsletter archive needs (tables, footnotes, definition lists, abbreviations,
heading ids, attribute lists) are mature, and pymdown-extensions add fenced
code and strikethrough. Its weaknesses are that it passes raw HTML and
`javascript:` links through, and that some of its parsers are quadratic or
recursive. The first is handled by `gazette.sanitize.sanitize_html`, which
every result goes through; the second by the guards below.

Extensions, always on: toc (heading ids, `[TOC]`), tables (with `align`
attributes, because `style` is stripped), footnotes, attr_list, abbr,
def_list, sane_lists, pymdownx.superfences, pymdownx.highlight (no Pygments:
`<pre class="highlight"><code class="language-x">`), pymdownx.tilde
(`~~del~~`, `H~2~O`). Extensions passed by plugins are added after these.

Heading ids are the ASCII slug of the heading text (`markdown.extensions.toc.slugify`;
`Café & Co` -> `cafe-co`, a heading with no ASCII letters or digits -> `section`),
made unique in document order with `-1`, `-2`, ... and never equal to any other
id in the document. Ids set by the author with `{#id}` are kept as written.

Limits, so that hostile input renders in bounded time (BAD_INPUTS 35):

* Blockquotes nest at most `MAX_QUOTE_DEPTH` (50) deep; further `>` markers
  on a line are shown as text.
* A link or image is recognised only if its `[text]` closes within
  `MAX_LINK_SCAN` characters with brackets nested at most `MAX_BRACKET_DEPTH`
  deep, and its `(destination "title")` closes within `MAX_LINK_SCAN`
  characters with parentheses nested at most `MAX_PAREN_DEPTH` deep. Otherwise
  the brackets are shown as text. (Upstream rescans to the end of the
  paragraph for every `[`, which is quadratic.)
* A run of text longer than `MAX_INLINE_CHARS` with no block break in it (a
  paragraph, list item or table cell) is shown as plain text, without inline
  markup: Python-Markdown's inline pass costs time proportional to the length
  of the run for every span it finds in it.
* Structures nested deeply enough to exhaust Python's recursion limit (for
  example a few hundred nested lists or emphasis spans) do not raise: the
  whole document is then rendered as escaped plain-text paragraphs.

Whole-document size limits are the loader's job (BAD_INPUTS 34); within the
limits above the render time is roughly linear in the size of the document.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.extensions.footnotes import FootnoteInlineProcessor
from markdown.extensions.toc import remove_fnrefs, render_inner_html, slugify, strip_tags
from markdown.inlinepatterns import (
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from gazette.sanitize import sanitize_html

MAX_QUOTE_DEPTH = 50
MAX_BRACKET_DEPTH = 16
MAX_PAREN_DEPTH = 8
MAX_LINK_SCAN = 4096
MAX_INLINE_CHARS = 20_000
MAX_FOOTNOTE_LABEL = 200

_EXTENSIONS = [
    "toc",
    "tables",
    "footnotes",
    "attr_list",
    "abbr",
    "def_list",
    "sane_lists",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.tilde",
]
_EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "toc": {"permalink": False},
    "tables": {"use_align_attribute": True},
    "pymdownx.highlight": {"use_pygments": False},
}


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    text: str


# --- guards against pathological input --------------------------------------

# The 51st `>` at the start of a line gets a backslash, which turns it and
# everything after it into paragraph text at depth 50.
_DEEP_QUOTE = re.compile(r"^((?:[ \t]*>){%d}[ \t]*)>" % MAX_QUOTE_DEPTH, re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")


def _cap_quote_depth(source: str) -> str:
    return _DEEP_QUOTE.sub(r"\1\\>", source)


class _BoundedBrackets:
    """Bounded versions of LinkInlineProcessor.getText/getLink (same contract)."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:  # noqa: N802
        depth = 1
        for m in _BRACKETS.finditer(data, index, index + MAX_LINK_SCAN):
            depth += 1 if m.group() == "[" else -1
            if depth == 0:
                return data[index : m.start()], m.end(), True
            if depth > MAX_BRACKET_DEPTH:
                break
        return "", index, False

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:  # noqa: N802
        window = data[index : index + MAX_LINK_SCAN]
        depth = 0
        for m in _PARENS.finditer(window):
            depth += 1 if m.group() == "(" else -1
            if depth <= 0:
                break
            if depth > MAX_PAREN_DEPTH:
                return "", None, index, False
        # Upstream's scanner only reads forward from `index`, so handing it
        # the window bounds its work without changing its answer.
        href, title, end, handled = super().getLink(window, 0)  # type: ignore[misc]
        return href, title, index + end, handled


class _Link(_BoundedBrackets, LinkInlineProcessor):
    pass


class _Image(_BoundedBrackets, ImageInlineProcessor):
    pass


class _Reference(_BoundedBrackets, ReferenceInlineProcessor):
    pass


class _ImageReference(_BoundedBrackets, ImageReferenceInlineProcessor):
    pass


class _ShortReference(_BoundedBrackets, ShortReferenceInlineProcessor):
    pass


class _ShortImageReference(_BoundedBrackets, ShortImageReferenceInlineProcessor):
    pass


# name -> (replacement class, upstream priority)
_BOUNDED_PATTERNS = {
    "reference": (_Reference, 170),
    "link": (_Link, 160),
    "image_link": (_Image, 150),
    "image_reference": (_ImageReference, 140),
    "short_reference": (_ShortReference, 130),
    "short_image_ref": (_ShortImageReference, 125),
}


class _PlainLongText(Treeprocessor):
    """Mark over-long text runs atomic so the inline pass leaves them as text."""

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if el.text and len(el.text) > MAX_INLINE_CHARS:
                el.text = AtomicString(el.text)
            if el.tail and len(el.tail) > MAX_INLINE_CHARS:
                el.tail = AtomicString(el.tail)


_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _HeadingIds(Treeprocessor):
    """Give headings ids before toc does, suffixing -1, -2 (toc would use _1)."""

    def run(self, root: etree.Element) -> None:
        used = {el.get("id") for el in root.iter() if el.get("id")}
        last_suffix: dict[str, int] = {}  # so a thousand "Notes" headings stay linear
        for el in root.iter():
            if el.tag not in _HEADING_TAGS or el.get("id"):
                continue
            name = strip_tags(render_inner_html(remove_fnrefs(el), self.md))
            base = slugify(html.unescape(name), "-").strip("-_") or "section"
            candidate, n = base, last_suffix.get(base, 0)
            while candidate in used:
                n += 1
                candidate = f"{base}-{n}"
            last_suffix[base] = n
            used.add(candidate)
            el.set("id", candidate)


class _GuardExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802
        for name, (cls, priority) in _BOUNDED_PATTERNS.items():
            md.inlinePatterns.register(cls(md.inlinePatterns[name].pattern, md), name, priority)
        # Upstream's `[^\]]*` rescans to the end of the paragraph for each `[^`.
        footnotes = md.inlinePatterns["footnote"].footnotes
        bounded = r"\[\^([^\]]{0,%d})\]" % MAX_FOOTNOTE_LABEL
        md.inlinePatterns.register(FootnoteInlineProcessor(bounded, footnotes), "footnote", 175)
        md.treeprocessors.register(_PlainLongText(md), "gazette_plain_long_text", 20.5)
        # After attr_list (8) has applied {#id}, before toc (5) reads the ids.
        md.treeprocessors.register(_HeadingIds(md), "gazette_heading_ids", 6)


# --- Markdown instances ------------------------------------------------------

# Building a Markdown instance costs more than rendering a typical item (see
# the report in tests/test_markdown_render.py), so each thread keeps a few,
# keyed by the plugin extensions, and resets one before every document.
_MAX_CACHED = 4
_local = threading.local()


def _new_markdown(extensions: Sequence[Extension]) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[*_EXTENSIONS, _GuardExtension(), *extensions],
        extension_configs=_EXTENSION_CONFIGS,
        output_format="html",
    )


def _markdown_for(key: tuple[Extension, ...]) -> markdown.Markdown:
    cache = _cache()
    md = cache.pop(key, None) or _new_markdown(key)
    cache[key] = md  # most recently used last
    while len(cache) > _MAX_CACHED:
        del cache[next(iter(cache))]
    return md.reset()


def _cache() -> dict[tuple[Extension, ...], markdown.Markdown]:
    if not hasattr(_local, "cache"):
        _local.cache = {}
    return _local.cache


def _forget(key: tuple[Extension, ...]) -> None:
    _cache().pop(key, None)


def _unrendered(source: str) -> str:
    paragraphs = (p.strip() for p in re.split(r"\n\s*\n", source))
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)


def _flatten(tokens: Sequence[dict[str, Any]]) -> list[Heading]:
    headings: list[Heading] = []
    for token in tokens:
        text = plain_text(sanitize_html(token["html"]))
        headings.append(Heading(level=token["level"], id=token["id"], text=text))
        headings.extend(_flatten(token["children"]))
    return headings


def render_markdown(source: str, *, extensions: Sequence[Extension] = ()) -> Rendered:
    """Render `source` to sanitised HTML plus its headings and plain text.

    `extensions` (Python-Markdown extension instances from plugins) are added
    after Gazette's own. No state carries over from one call to the next.
    """
    key = tuple(extensions)
    md = _markdown_for(key)
    try:
        body = md.convert(_cap_quote_depth(source))
        tokens = getattr(md, "toc_tokens", [])
    except RecursionError:
        _forget(key)  # its processors may hold half-finished state
        body, tokens = _unrendered(source), []
    except BaseException:
        _forget(key)
        raise
    safe = sanitize_html(body)
    return Rendered(html=safe, headings=tuple(_flatten(tokens)), text=plain_text(safe))


# --- plain text --------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "br"),
        *("ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td"),
        *("figure", "figcaption", "details", "summary"),
    }
)
# Footnote markers ("1", "↩") are navigation, not words: they would glue
# digits onto words in the search index and inflate word counts.
_SKIPPED_CLASSES = frozenset({"footnote-ref", "footnote-backref"})
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "input", "meta", "link", "source"})
_INVISIBLE_TAGS = frozenset({"script", "style", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is its content hidden?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")
        if tag in _VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        hidden = tag in _INVISIBLE_TAGS or bool(classes & _SKIPPED_CLASSES)
        self.stack.append(hidden or (bool(self.stack) and self.stack[-1]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if self.stack:
            self.stack.pop()
        if tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """The text of `markup`, with whitespace collapsed and block boundaries as spaces."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return " ".join("".join(extractor.parts).split())
