"""Glossary abbreviations in Markdown: the first mention of each becomes ``<abbr>``.

A Python-Markdown tree processor, so it works on the parsed element tree, not on
text: it walks the tree in document order and never enters ``code``, ``pre``,
links, headings or an existing ``abbr`` (the text after such an element, its
tail, is still read). A match is whole-word and case-sensitive (``MIIT``, not
``miit`` or ``MIITs``); the longest abbreviation wins (``GB/T`` before ``GB``).

Why in the render stage rather than on the HTML after it: rendering runs in
worker processes and is cached, so this costs nothing on a warm build. The
glossary (and a hash of this file) is the extension's config, hence part of the
render cache key: editing ``glossary.yml`` re-renders, adding an item does not
touch the other items. Raw HTML blocks are not Markdown and are left alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

# After attr_list (8) and the abbr extension (7), so its <abbr> elements are
# there to be skipped; before the output-size guard (1).
PRIORITY = 6.5
SKIPPED = frozenset(
    {"code", "pre", "kbd", "samp", "a", "abbr", "h1", "h2", "h3", "h4", "h5", "h6", "script"}
)


@lru_cache(maxsize=1)
def source_version() -> str:
    """A hash of this file: part of the extension's config, so of the render cache key."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def abbreviation_pattern(abbreviations: Iterable[str]) -> re.Pattern[str]:
    """Whole-word, case-sensitive, longest first."""
    ordered = sorted(set(abbreviations), key=lambda a: (-len(a), a))
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, ordered))})(?!\w)")


def text_slots(root: etree.Element) -> list[tuple[etree.Element, etree.Element | None]]:
    """The text a reader sees, in document order, outside SKIPPED elements.

    ``(element, None)`` stands for ``element.text``, ``(element, parent)`` for
    ``element.tail``. Iterative, so that deep nesting cannot exhaust the stack.
    """
    slots: list[tuple[etree.Element, etree.Element | None]] = [(root, None)]
    stack = [(root, iter(list(root)))]
    while stack:
        element, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if stack:
                slots.append((element, stack[-1][0]))
        elif child.tag in SKIPPED:
            slots.append((child, element))
        else:
            slots.append((child, None))
            stack.append((child, iter(list(child))))
    return slots


class FirstMentions(Treeprocessor):
    def __init__(self, md: markdown.Markdown, entries: Mapping[str, str]) -> None:
        super().__init__(md)
        self.entries = entries
        self.pattern = abbreviation_pattern(entries)

    def run(self, root: etree.Element) -> None:
        seen: set[str] = set()
        for owner, parent in text_slots(root):
            if len(seen) == len(self.entries):
                break
            if parent is None:
                owner.text, added = self._mark(owner.text, seen)
                at = 0
            else:
                owner.tail, added = self._mark(owner.tail, seen)
                at = next(n for n, child in enumerate(parent) if child is owner) + 1
            for offset, abbr in enumerate(added):
                parent_of_new = owner if parent is None else parent
                parent_of_new.insert(at + offset, abbr)

    def _mark(self, text: str | None, seen: set[str]) -> tuple[str | None, list[etree.Element]]:
        """Split ``text`` around first mentions; returns the text before them and the abbrs."""
        if not text:
            return text, []
        head: str | None = None
        added: list[etree.Element] = []
        end = 0
        for match in self.pattern.finditer(text):
            word = match.group()
            if word in seen:
                continue
            seen.add(word)
            if added:
                added[-1].tail = text[end : match.start()]
            else:
                head = text[: match.start()]
            abbr = etree.Element("abbr", {"title": self.entries[word]})
            abbr.text = AtomicString(word)
            added.append(abbr)
            end = match.end()
        if not added:
            return text, []
        added[-1].tail = text[end:]
        return head, added


class GlossaryExtension(Extension):
    """The glossary as ``<abbr>``.

    Spec: ``("gazette.render.abbreviations:GlossaryExtension", {"entries": [[abbr, exp], ...]})``.
    """

    def __init__(self, **kwargs: object) -> None:
        self.config = {
            "entries": [[], "[abbreviation, expansion] pairs"],
            "version": ["", "source_version(), so that a change here re-renders"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        entries = {str(abbr): str(expansion) for abbr, expansion in self.getConfig("entries")}
        if entries:
            md.treeprocessors.register(FirstMentions(md, entries), "gazette_glossary", PRIORITY)
