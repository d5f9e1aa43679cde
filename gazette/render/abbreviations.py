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
from collections.abc import Callable, Iterable, Mapping
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


# A mention found in a text: (its key, start, end). The first of each key is wrapped.
Mention = tuple[str, int, int]


def wrap_first_mentions(
    root: etree.Element,
    find: Callable[[str], Iterable[Mention]],
    make: Callable[[str, str], etree.Element],
    keys: int | None = None,
) -> None:
    """Wrap the first mention of each key in the text a reader sees (``text_slots``).

    ``find(text)`` gives the mentions in one text; ``make(key, written)`` the
    element that wraps one (its text is set here). ``keys``, when known, is
    how many keys there are: the walk stops once each has been wrapped. Shared
    by the glossary (``<abbr>``) and the standards plugin (links).
    """
    seen: set[str] = set()
    for owner, parent in text_slots(root):
        if keys is not None and len(seen) == keys:
            break
        text = owner.text if parent is None else owner.tail
        if not text:
            continue
        head: str | None = None
        added: list[etree.Element] = []
        end = 0
        for key, start, stop in find(text):
            if key in seen:
                continue
            seen.add(key)
            if added:
                added[-1].tail = text[end:start]
            else:
                head = text[:start]
            element = make(key, text[start:stop])
            element.text = AtomicString(text[start:stop])
            added.append(element)
            end = stop
        if not added:
            continue
        added[-1].tail = text[end:]
        if parent is None:
            owner.text, holder, at = head, owner, 0
        else:
            owner.tail, holder = head, parent
            at = next(n for n, child in enumerate(parent) if child is owner) + 1
        for offset, element in enumerate(added):
            holder.insert(at + offset, element)


class FirstMentions(Treeprocessor):
    def __init__(self, md: markdown.Markdown, entries: Mapping[str, str]) -> None:
        super().__init__(md)
        self.entries = entries
        self.pattern = abbreviation_pattern(entries)

    def run(self, root: etree.Element) -> None:
        wrap_first_mentions(
            root,
            lambda text: ((m.group(), m.start(), m.end()) for m in self.pattern.finditer(text)),
            lambda word, _: etree.Element("abbr", {"title": self.entries[word]}),
            keys=len(self.entries),
        )


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
