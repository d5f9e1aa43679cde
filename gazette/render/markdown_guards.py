"""Guards that keep Python-Markdown linear on hostile input (BAD_INPUTS 35).

Each limit answers a blow-up measured in Python-Markdown 3.11, and each changes the
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

import re
from types import MethodType
from xml.etree import ElementTree as etree

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.extensions.footnotes import RE_REF_ID, FootnoteExtension, FootnoteInlineProcessor
from markdown.extensions.tables import TableProcessor
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

from gazette.render.sanitize import escape_incomplete_tags

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

# --- guards against pathological input --------------------------------------

# The 51st `>` at the start of a line gets a backslash, which turns it and
# everything after it into paragraph text at depth 50.
_DEEP_QUOTE = re.compile(rf"^((?:[ \t]*>){{{MAX_QUOTE_DEPTH}}}[ \t]*)>", re.MULTILINE)
_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")


# A Unicode noncharacter ("for internal use") stands in for a `<` that starts
# no complete tag while Python-Markdown runs, and becomes `&lt;` afterwards.
# Unlike `&lt;` in the source, it survives code spans and blocks unchanged.
LT = "\ufdd0"


def guard_source(source: str) -> str:
    source = source.replace(LT, "\ufffd")
    # Python-Markdown's raw-HTML pass (html.parser) rescans to the end of
    # the document for every `<` that does not start a complete tag.
    source = escape_incomplete_tags(source, LT)
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


class Footnotes(FootnoteExtension):
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


class OutputTooLarge(Exception):
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
                raise OutputTooLarge


class GuardExtension(Extension):
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
