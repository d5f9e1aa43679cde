"""The first mention of each standard and committee in a body links to its page.

A Python-Markdown tree processor, like the glossary's (``abbreviations.py``):
it walks the text a reader sees in document order, never inside code, links,
headings or ``abbr``, finds identifiers with ``gazette.content.identifiers``,
and wraps the first mention of each key (``GB/T 35273-2017`` and ``GB/T
35273-2020`` share one) in ``<a class="std-ref" href="<base>standards/<slug>/">``
(``committees/`` for a committee). It runs before the glossary's processor, so
that ``GB/T 35273`` is found whole before ``GB/T`` could become an ``<abbr>``.

It runs in the render stage, so it is cached with the rendered body; the base
path and a hash of this file and of the recogniser are its config, hence part
of the render cache key.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from gazette.content import identifiers
from gazette.model import Item
from gazette.render.abbreviations import wrap_first_mentions

PRIORITY = 6.8  # after the abbr extension (7), before the glossary (6.5)
CLASS = "std-ref"

_SKIPPED = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)
_OWN_LINK = re.compile(rf'<a class="{CLASS}" href="[^"]*">([^<]*)</a>')
_OTHER_LINK = re.compile(r"<a\b[^>]*>.*?</a>", re.S)
_TAG = re.compile(r"<[^>]+>")
_HEADING = re.compile(r"<h[1-6]\b[^>]*>.*?</h[1-6]>", re.S)


@lru_cache(maxsize=1)
def source_version() -> str:
    """A hash of this file and the recogniser: a change to either re-renders bodies."""
    hasher = hashlib.sha256(Path(__file__).read_bytes())
    hasher.update(Path(identifiers.__file__).read_bytes())
    return hasher.hexdigest()[:16]


def page_url(kind: str, slug: str) -> str:
    """The site-relative URL of the page of a standard or a committee."""
    return f"/{'standards' if kind == 'standard' else 'committees'}/{slug}/"


def prose(markup: str) -> str:
    """The text of a rendered body for recognition: no code, no links but ours."""
    markup = _SKIPPED.sub(" ", markup)
    markup = _OWN_LINK.sub(r"\1", markup)
    markup = _OTHER_LINK.sub(" ", markup)
    return html.unescape(_TAG.sub(" ", markup))


def item_identifiers(item: Item) -> list[identifiers.Ref]:
    """Every identifier an item mentions: title and summary, then its body's prose.

    Used by the standards plugin (its pages) and the search plugin (tokens and a
    facet), so that both see the same identifiers. Regular expressions suffice
    on the body: it is nh3's sanitised output, with every attribute quoted.
    """
    found = identifiers.find(f"{item.title}\n{item.summary}")
    # The tree processor links the first mention of every identifier in the
    # body's prose outside headings: a body without such a link mentions none
    # there, so only its headings need reading (most bodies, cheaply).
    body = item.html if f'class="{CLASS}"' in item.html else " ".join(_HEADING.findall(item.html))
    found += identifiers.find_in(prose(body), "ITU-T" in item.text)
    for text in _OWN_LINK.findall(item.html):  # what the body links, whatever its context
        found += identifiers.find_in(html.unescape(text), True)
    return found


class FirstStandardMentions(Treeprocessor):
    def __init__(self, md: markdown.Markdown, base_path: str) -> None:
        super().__init__(md)
        self.base_path = base_path

    def run(self, root: etree.Element) -> None:
        text = "".join(root.itertext())
        itu = "ITU-T" in text
        if not identifiers.find_in(text, itu):  # one scan: most bodies hold none
            return
        kinds: dict[str, tuple[str, str]] = {}

        def find(text: str) -> list[tuple[str, int, int]]:
            refs = identifiers.find_in(text, itu)
            kinds.update({ref.key: (ref.kind, ref.slug) for ref in refs})
            return [(ref.key, ref.start, ref.end) for ref in refs]

        def make(key: str, _: str) -> etree.Element:
            href = self.base_path + page_url(*kinds[key])[1:]
            return etree.Element("a", {"class": CLASS, "href": href})

        wrap_first_mentions(root, find, make)


class StandardLinksExtension(Extension):
    """Spec: ``("gazette.render.standard_links:StandardLinksExtension", {"base_path": "/"})``."""

    def __init__(self, **kwargs: object) -> None:
        self.config = {
            "base_path": ["/", "the site's base path, ending in /"],
            "version": ["", "source_version(), so that a change here re-renders"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        base = str(self.getConfig("base_path")) or "/"
        base = base if base.endswith("/") else base + "/"
        md.treeprocessors.register(FirstStandardMentions(md, base), "gazette_standards", PRIORITY)
