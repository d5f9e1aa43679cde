"""Render one Markdown body to sanitised HTML, its headings and its plain text.

Why Python-Markdown: it is the engine behind MkDocs, so the extensions that a
newsletter archive needs (tables, footnotes, definition lists, abbreviations,
heading ids, attribute lists) are mature, pymdown-extensions add fenced code
and strikethrough, and plugins can add their own extensions (wiki links,
glossary abbreviations). markdown-it-py would be faster and linear by design,
but its footnote, definition-list and attribute plugins are another package.
Python-Markdown's weaknesses are that it passes raw HTML and `javascript:`
links through, and that some of its parsers are quadratic or recursive. The
first is handled by `gazette.render.sanitize.sanitize_html`, which every result goes
through; the second by the guards below.

Extensions, always on: toc, tables (with `align` attributes, because `style`
is stripped), footnotes, attr_list, abbr, def_list, sane_lists,
pymdownx.superfences, pymdownx.highlight (no Pygments: `<pre class="highlight">
<code class="language-x">`), pymdownx.tilde (`~~del~~`, `H~2~O`) and smarty
(typographic quotes, dashes and ellipses: `"it's"` -> `“it’s”`, `--` -> `–`,
`---` -> `—`, `...` -> `…`). Smarty works on text only, after the inline pass
and the plugins' tree processors (glossary, standards), so code spans, code
blocks, raw HTML and attribute values keep straight quotes, and a backslash
keeps one straight in text (`\"`, `\'`).
Extensions passed by plugins are added after these. toc is used for heading
ids only: `[TOC]` stays text, because a contents list belongs in the template
(built from `Rendered.headings`) and each marker copies the whole list, so
100 KB of markers and headings made gigabytes.

Heading ids are the ASCII slug of the heading text (`markdown.extensions.toc.slugify`;
`Café & Co` -> `cafe-co`, a heading with no ASCII letters or digits -> `section`),
made unique in document order with `-1`, `-2`, ... and never equal to any other
id in the document. Ids set by the author with `{#id}` are kept as written.

Limits that keep hostile input to bounded time and memory (BAD_INPUTS 35)
are in `gazette.render.markdown_guards`; this module wires them in and
extracts the plain text. The two were one module of 620 lines.
"""

from __future__ import annotations

import html
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as etree

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.extensions.toc import remove_fnrefs, render_inner_html, slugify
from markdown.treeprocessors import Treeprocessor

from gazette.model import Heading
from gazette.render.markdown_guards import (  # noqa: F401 (MAX_*: re-exported)
    LT,
    MAX_BLOCK_SPLITS,
    MAX_BRACKET_DEPTH,
    MAX_COMMENT_SCAN,
    MAX_FOOTNOTE_LABEL,
    MAX_INLINE_CHARS,
    MAX_LINK_SCAN,
    MAX_OPEN_INLINE_TAGS,
    MAX_OUTPUT_FLOOR,
    MAX_OUTPUT_RATIO,
    MAX_PAREN_DEPTH,
    MAX_QUOTE_DEPTH,
    MAX_SMART_MARKS,
    Footnotes,
    GuardExtension,
    OutputTooLarge,
    guard_source,
)
from gazette.render.sanitize import escape_incomplete_tags, sanitize_html

_EXTENSIONS = [
    "toc",
    "tables",
    "attr_list",
    "abbr",
    "def_list",
    "sane_lists",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.tilde",
    "smarty",
]
_EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "toc": {"permalink": False, "marker": ""},
    "tables": {"use_align_attribute": True},
    "pymdownx.highlight": {"use_pygments": False},
}


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    text: str


_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _HeadingIds(Treeprocessor):
    """Give headings ids before toc does, suffixing -1, -2 (toc would use _1)."""

    def run(self, root: etree.Element) -> None:
        used = {el.get("id") for el in root.iter() if el.get("id")}
        last_suffix: dict[str, int] = {}  # so a thousand "Notes" headings stay linear
        for el in root.iter():
            if el.tag not in _HEADING_TAGS or el.get("id"):
                continue
            base = slugify(self._visible_text(el), "-").strip("-_") or "section"
            candidate, n = base, last_suffix.get(base, 0)
            while candidate in used:
                n += 1
                candidate = f"{base}-{n}"
            last_suffix[base] = n
            used.add(candidate)
            el.set("id", candidate)

    def _visible_text(self, el: etree.Element) -> str:
        text = el.text or ""
        if not len(el) and util.STX not in text:  # plain text: the common case
            return text.replace(LT, "<")
        inner = render_inner_html(remove_fnrefs(el), self.md).replace(LT, "&lt;")
        # Slug what the reader will see: raw HTML may hide script text.
        return plain_text(sanitize_html(inner)) if "<" in inner else html.unescape(inner)


class _HeadingIdsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After attr_list (8) has applied {#id}, before toc (5) reads the ids.
        md.treeprocessors.register(_HeadingIds(md), "gazette_heading_ids", 6)


# --- Markdown instances ------------------------------------------------------

# Measured on a 400-word item (median of 1,000): reset() and reuse renders in
# 5.1-5.5 ms, a fresh instance per document in 5.9-6.6 ms. So each
# thread keeps a few instances, keyed by the plugin extensions, and resets
# one before every document; reset() clears footnotes, abbreviations, toc,
# reference links and the HTML stash (and Footnotes' own bookkeeping).
_MAX_CACHED = 4
_local = threading.local()


def _new_markdown(extensions: Sequence[Extension]) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            *_EXTENSIONS,
            Footnotes(),
            GuardExtension(),
            _HeadingIdsExtension(),
            *extensions,
        ],
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


def _flatten(tokens: Sequence[dict[str, Any]]) -> list[tuple[int, str]]:
    flat: list[tuple[int, str]] = []
    for token in tokens:
        flat.append((token["level"], token["id"].replace(LT, "<")))
        flat.extend(_flatten(token["children"]))
    return flat


def render_markdown(source: str, *, extensions: Sequence[Extension] = ()) -> Rendered:
    """Render `source` to sanitised HTML plus its headings and plain text.

    `extensions` (Python-Markdown extension instances from plugins) are added
    after Gazette's own. No state carries over from one call to the next.
    """
    key = tuple(extensions)
    md = _markdown_for(key)
    try:
        body = md.convert(guard_source(source)).replace(LT, "&lt;")
        tokens = getattr(md, "toc_tokens", [])
    except (RecursionError, OutputTooLarge):
        _forget(key)  # its processors may hold half-finished state
        body, tokens = _unrendered(source), []
    except BaseException:
        _forget(key)
        raise
    safe = sanitize_html(body)
    text, heading_texts = _extract_text(safe)
    # Heading text is read from the sanitised HTML, so it is exactly what the
    # reader sees (no script text, no footnote numbers). Ids can repeat only
    # if an author repeats a {#id}; then the texts are taken in order.
    headings = []
    for level, id_ in _flatten(tokens):
        texts = heading_texts.get(id_)
        headings.append(Heading(level=level, id=id_, text=texts.pop(0) if texts else ""))
    return Rendered(html=safe, headings=tuple(headings), text=text)


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
# Marks a block boundary among the extracted parts; whitespace to str.split().
_BLOCK = "\x1e"


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []  # open elements whose text is skipped
        self.heading: tuple[str, int] | None = None  # (id, index of its first part)
        self.headings: defaultdict[str, list[str]] = defaultdict(list)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(_BLOCK)
        if tag in _VOID_TAGS:
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if self.hidden or tag in _INVISIBLE_TAGS or classes & _SKIPPED_CLASSES:
            self.hidden.append(tag)
        if tag in _HEADING_TAGS:
            self.heading = (attributes.get("id") or "", len(self.parts))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append(_BLOCK)

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()
        if tag in _HEADING_TAGS and self.heading:
            id_, first = self.heading
            self.headings[id_].append(_collapse(self.parts[first:]))
            self.heading = None
        if tag in _BLOCK_TAGS:
            self.parts.append(_BLOCK)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _collapse(parts: list[str]) -> str:
    return " ".join("".join(parts).split())


def _blocks(parts: list[str]) -> str:
    """One line per block (a heading, a paragraph, a list item ...), spaces collapsed."""
    blocks = ("".join(parts)).split(_BLOCK)
    return "\n".join(" ".join(block.split()) for block in blocks if block.split())


def _extract_text(markup: str) -> tuple[str, defaultdict[str, list[str]]]:
    extractor = _TextExtractor()
    # Defensive for callers passing arbitrary HTML: html.parser is quadratic
    # on unfinished tags. A no-op on sanitised output.
    extractor.feed(escape_incomplete_tags(markup))
    extractor.close()
    return _blocks(extractor.parts), extractor.headings


def plain_text(markup: str) -> str:
    """The text of `markup`, with whitespace collapsed and block boundaries as spaces.

    The contents of script, style and template elements and footnote markers
    are left out. (A rendered body's ``text`` keeps one block per line.)
    """
    return " ".join(_extract_text(markup)[0].split())
