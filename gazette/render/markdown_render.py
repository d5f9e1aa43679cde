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

Limits, so that hostile input renders in bounded time (BAD_INPUTS 35). Each
answers a blow-up measured in Python-Markdown 3.11, and each changes the
output only of input that no real document contains:

* Blockquotes nest at most `MAX_QUOTE_DEPTH` (50) deep; further `>` markers
  on a line are shown as text.
* A link or image is recognised only if its `[text]` closes within
  `MAX_LINK_SCAN` characters with brackets nested at most `MAX_BRACKET_DEPTH`
  deep, and its `(destination "title")` closes within `MAX_LINK_SCAN`
  characters with parentheses nested at most `MAX_PAREN_DEPTH` deep; a
  footnote label is at most `MAX_FOOTNOTE_LABEL` characters. Otherwise the
  brackets are text. (Upstream rescans to the end of the paragraph for every
  `[`: 100,000 of them would take half an hour.)
* A run of text longer than `MAX_INLINE_CHARS` with no block break in it (a
  paragraph, list item or table cell) is shown as plain text, without inline
  markup.
* A `<` that does not start a complete tag (see
  `gazette.render.sanitize.escape_incomplete_tags`) is text, never the start of raw
  HTML. It is carried through the conversion as U+FDD0 so that it survives
  code unchanged; a U+FDD0 in the source becomes U+FFFD.
* When raw HTML leaves more than `MAX_OPEN_INLINE_TAGS` inline tags open, an
  HTML comment after them is treated as a block unless their closing tag
  follows within `MAX_COMMENT_SCAN` characters.
* Raw HTML nested more than 256 deep is flattened (see `gazette.render.sanitize`).
* Two things make the whole document render as escaped plain-text
  paragraphs instead of raising or exhausting memory: structures nested
  deeply enough to exhaust Python's recursion limit (250 nested lists), and
  HTML that would be more than `MAX_OUTPUT_RATIO` (20) times the size of
  the source and over `MAX_OUTPUT_FLOOR` (1 MB), as a long abbreviation or
  link title used thousands of times makes.
* A block (lines with no blank line between them) holding more than
  `MAX_BLOCK_SPLITS` (50) headings, rules or definitions gets a blank line
  after each, because upstream re-tests the rest of the block every time it
  splits one off.
* A text run (the text between two inline elements) holding more than
  `MAX_SMART_MARKS` (2,000) quotes, double hyphens and ellipses keeps them as written:
  smarty rebuilds the run for every replacement it makes, so 16,000 quotes in
  one paragraph took 0.6 s.
* Same output, less work: the table test reads only the lines it needs, and
  footnote back-reference ids and superfences' reassembly take linear time.

Whole-document size limits are the loader's job (BAD_INPUTS 34). Within the
limits above, render time is linear in the size of the document: 0.5-1 MB/s
for real items, and 20-50 KB/s for input built to be slow (a block of
10,000 headings, a paragraph that is nothing but `*a*` or `[`), so a limit of
a few hundred kilobytes per file keeps every document to a few seconds.
"""

from __future__ import annotations

import html
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from types import MethodType
from typing import Any
from xml.etree import ElementTree as etree

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.extensions.footnotes import RE_REF_ID, FootnoteExtension, FootnoteInlineProcessor
from markdown.extensions.tables import TableProcessor
from markdown.extensions.toc import remove_fnrefs, render_inner_html, slugify
from markdown.htmlparser import HTMLExtractor
from markdown.inlinepatterns import (
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor
from markdown.treeprocessors import Treeprocessor

from gazette.model import Heading
from gazette.render.sanitize import escape_incomplete_tags, sanitize_html

MAX_QUOTE_DEPTH = 50
MAX_BRACKET_DEPTH = 16
MAX_PAREN_DEPTH = 8
MAX_LINK_SCAN = 4096
MAX_INLINE_CHARS = 20_000
MAX_FOOTNOTE_LABEL = 200
MAX_OPEN_INLINE_TAGS = 32
MAX_COMMENT_SCAN = 8192
MAX_BLOCK_SPLITS = 50
MAX_OUTPUT_RATIO = 20
MAX_OUTPUT_FLOOR = 1_000_000
MAX_SMART_MARKS = 2_000

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


# --- guards against pathological input --------------------------------------

# The 51st `>` at the start of a line gets a backslash, which turns it and
# everything after it into paragraph text at depth 50.
_DEEP_QUOTE = re.compile(rf"^((?:[ \t]*>){{{MAX_QUOTE_DEPTH}}}[ \t]*)>", re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")


# A Unicode noncharacter ("for internal use") stands in for a `<` that starts
# no complete tag while Python-Markdown runs, and becomes `&lt;` afterwards.
# Unlike `&lt;` in the source, it survives code spans and blocks unchanged.
_LT = "\ufdd0"


def _guard_source(source: str) -> str:
    source = source.replace(_LT, "\ufffd")
    # Python-Markdown's raw-HTML pass (html.parser) rescans to the end of
    # the document for every `<` that does not start a complete tag.
    source = escape_incomplete_tags(source, _LT)
    return _DEEP_QUOTE.sub(r"\1\\>", source)


class _BoundedBrackets:
    """Bounded versions of LinkInlineProcessor.getText/getLink (same contract)."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        depth = 1
        for m in _BRACKETS.finditer(data, index, index + MAX_LINK_SCAN):
            depth += 1 if m.group() == "[" else -1
            if depth == 0:
                return data[index : m.start()], m.end(), True
            if depth > MAX_BRACKET_DEPTH:
                break
        return "", index, False

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
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


class _Table(TableProcessor):
    """TableProcessor whose test reads only the lines it needs.

    Upstream splits the whole block into rows on every test, and the block
    parser re-tests the rest of a block each time a heading or rule is split
    off its front: 100 KB of `# h` lines took 26 s.
    """

    def test(self, parent: etree.Element, block: str) -> bool:
        first_end = block.find("\n")
        second_end = block.find("\n", first_end + 1) if first_end >= 0 else -1
        head = block if second_end < 0 else block[:second_end]
        if not super().test(parent, head):
            return False
        if second_end < 0 or len(self.separator) > 1:
            return True
        # A one-column table needs a pipe on every row; stop at the first without.
        for line in _LINE.finditer(block, second_end + 1):
            row = line.group().strip(" ")
            if not (row.startswith("|") or self.RE_END_BORDER.search(row)):
                return False
        return True


_LINE = re.compile(r"[^\n]+")

# Lines that Python-Markdown splits off a block before it re-tests the rest:
# ATX headings (but not table rows), rules, setext underlines, link, footnote
# and abbreviation definitions, and the `: ` lines of definition lists.
_SPLITS_BLOCK = re.compile(
    r"#[^|]*$|[=-]+ *$| {0,3}\*?\[[^\]]*\]:|: "
    r"| {0,3}(?:(?:- {0,2}){3,}|(?:_ {0,2}){3,}|(?:\* {0,2}){3,})$"
)


class _SeparateOneLineBlocks(Preprocessor):
    """Break up a block made of many lines that each split it.

    The block parser re-tests the rest of a block (with regexes that scan all
    of it) every time it splits a heading, rule or definition off it, so a
    block of thousands of them is quadratic: 100 KB of `a`/`=` setext
    headings took 90 s, 50 KB of alternating link definitions and text 18 s.
    In a block with more than `MAX_BLOCK_SPLITS` such lines, a blank line is
    put after each. That can change how such a block renders; no real
    document has one.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        block: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                block.append(line)
                continue
            splits = [bool(_SPLITS_BLOCK.match(b)) for b in block]
            if sum(splits) > MAX_BLOCK_SPLITS:
                for b, split in zip(block, splits, strict=True):
                    out += (b, "") if split else (b,)
            else:
                out += block
            out.append(line)
            block = []
        return out[:-1]


class _HtmlExtractor(HTMLExtractor):
    """Upstream's raw-HTML extractor with its look-ahead for comments bounded.

    For every comment, upstream copies the rest of the document and searches
    it once per raw inline tag left open in the paragraph, which is cubic:
    20 KB of `<b>b<!--x-->` took 4 s and 40 KB 30 s. Here at most
    `MAX_OPEN_INLINE_TAGS` open tags are tracked, and the closing tag is looked
    for in the next `MAX_COMMENT_SCAN` characters of the paragraph.
    """

    def open_inline_tag(self, tag: str) -> None:
        if len(self.inline_stack) < MAX_OPEN_INLINE_TAGS:
            super().open_inline_tag(tag)

    def inline_close_follows(self, text: str) -> bool:
        if not self.inline_stack:
            return False
        start = self.line_offset + self.offset + len(text)
        window = self.rawdata[start : start + MAX_COMMENT_SCAN]
        paragraph = _BLANK_LINE.split(window, maxsplit=1)[0]
        names = "|".join(re.escape(tag) for tag in sorted(set(self.inline_stack)))
        return re.search(rf"</\s*(?:{names})\s*>", paragraph, re.IGNORECASE) is not None


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


class _HtmlBlocks(HtmlBlockPreprocessor):
    """Upstream's raw-HTML preprocessor, using the bounded extractor."""

    def run(self, lines: list[str]) -> list[str]:
        parser = _HtmlExtractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


class _Footnotes(FootnoteExtension):
    """Upstream's footnotes, with back-reference ids found in linear time.

    Upstream counts up from `fnref:1` for every citation of a footnote, so a
    footnote cited 2,500 times took 6 s. This resumes from the last id given.
    """

    def reset(self) -> None:
        super().reset()
        self.last_ref: dict[str, str] = {}

    def unique_ref(self, reference: str, found: bool = False) -> str:
        if not found:
            return reference
        original = reference
        reference = self.last_ref.get(original, original)
        separator = self.get_separator()
        while reference in self.used_refs:
            ref, rest = reference.split(separator, 1)
            m = RE_REF_ID.match(ref)
            number = int(m.group(2)) + 1 if m else 2
            reference = f"{m.group(1) if m else ref}{number}{separator}{rest}"
        self.used_refs.add(reference)
        self.last_ref[original] = reference
        self.found_refs[original] = self.found_refs.get(original, 0) + 1
        return reference


def _reassemble_in_one_pass(self: Preprocessor, lines: list[str]) -> list[str]:
    """pymdownx.superfences' `reassemble`, linear instead of quadratic.

    Upstream splices each fenced block into a fresh copy of the line list:
    25,000 empty fences (100 KB) took 4.6 s, 50,000 took 13 s. The stack holds
    the blocks in document order and they do not overlap.
    """
    out: list[str] = []
    done = 0
    for fenced, start, end in self.stack:  # type: ignore[attr-defined]
        out += lines[done:start]
        out.append(fenced)
        done = end
    out += lines[done:]
    self.stack.clear()  # type: ignore[attr-defined]
    return out


class _PlainLongText(Treeprocessor):
    """Mark over-long text runs atomic so the inline pass leaves them as text."""

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            if el.text and len(el.text) > MAX_INLINE_CHARS:
                el.text = util.AtomicString(el.text)
            if el.tail and len(el.tail) > MAX_INLINE_CHARS:
                el.tail = util.AtomicString(el.tail)


# What smarty changes: quotes, `--` and `---`, and `...`.
_SMART_MARKS = re.compile(r"['\"]|--|\.\.\.")


class _SmartyScope(Treeprocessor):
    """Mark atomic the text runs smarty has nothing to do in, or too much.

    Smarty tries each of its twenty patterns on every run of text, yet most
    runs hold no quote, double hyphen or ellipsis (the sample archive's bodies
    render in 60 ms without smarty, 95 ms with it on every run, 70 ms with
    this). A run with more than `MAX_SMART_MARKS` marks is skipped too: smarty
    rebuilds the run for every replacement it makes, which is quadratic.
    """

    def run(self, root: etree.Element) -> None:
        for el in root.iter():
            for name in ("text", "tail"):
                value = getattr(el, name)
                if not value or isinstance(value, util.AtomicString):
                    continue
                marks = len(_SMART_MARKS.findall(value))
                if marks == 0 or marks > MAX_SMART_MARKS:
                    setattr(el, name, util.AtomicString(value))


class _OutputTooLarge(Exception):
    pass


class _BoundOutput(Treeprocessor):
    """Refuse a document whose HTML would be far larger than its source.

    Abbreviation and link titles are copied into every use: 100 KB of source
    made 200 MB of HTML and took 1.4 GB of memory.
    """

    def run(self, root: etree.Element) -> None:
        source_size = sum(len(line) + 1 for line in self.md.lines)
        budget = max(MAX_OUTPUT_FLOOR, MAX_OUTPUT_RATIO * source_size)
        size = 0
        for el in root.iter():
            size += len(el.text or "") + len(el.tail or "") + 2 * len(str(el.tag)) + 5
            size += sum(len(k) + len(v) + 4 for k, v in el.items())
            if size > budget:
                raise _OutputTooLarge


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
            return text.replace(_LT, "<")
        inner = render_inner_html(remove_fnrefs(el), self.md).replace(_LT, "&lt;")
        # Slug what the reader will see: raw HTML may hide script text.
        return plain_text(sanitize_html(inner)) if "<" in inner else html.unescape(inner)


class _GuardExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        for name, (cls, priority) in _BOUNDED_PATTERNS.items():
            md.inlinePatterns.register(cls(md.inlinePatterns[name].pattern, md), name, priority)
        # Upstream's `[^\]]*` rescans to the end of the paragraph for each `[^`.
        footnotes = md.inlinePatterns["footnote"].footnotes
        bounded = rf"\[\^([^\]]{{0,{MAX_FOOTNOTE_LABEL}}})\]"
        md.inlinePatterns.register(FootnoteInlineProcessor(bounded, footnotes), "footnote", 175)
        tables = md.parser.blockprocessors["table"]
        md.parser.blockprocessors.register(_Table(md.parser, tables.config), "table", 75)
        md.preprocessors.register(_HtmlBlocks(md), "html_block", 20)
        fences = md.preprocessors["fenced_code_block"]
        fences.reassemble = MethodType(_reassemble_in_one_pass, fences)  # type: ignore[attr-defined]
        # After fenced code (25) and raw HTML (20) are stashed.
        md.preprocessors.register(_SeparateOneLineBlocks(md), "gazette_one_line_blocks", 19)
        md.treeprocessors.register(_PlainLongText(md), "gazette_plain_long_text", 20.5)
        md.treeprocessors.register(_BoundOutput(md), "gazette_bound_output", 1)
        # After the glossary (6.5) and standards (6.8) links, before smarty (6).
        md.treeprocessors.register(_SmartyScope(md), "gazette_smarty_scope", 6.1)
        # After attr_list (8) has applied {#id}, before toc (5) reads the ids.
        md.treeprocessors.register(_HeadingIds(md), "gazette_heading_ids", 6)


# --- Markdown instances ------------------------------------------------------

# Measured on a 400-word item (median of 1,000): reset() and reuse renders in
# 5.1-5.5 ms, a fresh instance per document in 5.9-6.6 ms. So each
# thread keeps a few instances, keyed by the plugin extensions, and resets
# one before every document; reset() clears footnotes, abbreviations, toc,
# reference links and the HTML stash (and _Footnotes' own bookkeeping).
_MAX_CACHED = 4
_local = threading.local()


def _new_markdown(extensions: Sequence[Extension]) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[*_EXTENSIONS, _Footnotes(), _GuardExtension(), *extensions],
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
        flat.append((token["level"], token["id"].replace(_LT, "<")))
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
        body = md.convert(_guard_source(source)).replace(_LT, "&lt;")
        tokens = getattr(md, "toc_tokens", [])
    except (RecursionError, _OutputTooLarge):
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
