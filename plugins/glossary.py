"""The glossary: ``<abbr>`` on first mentions, a ``/glossary/`` page, and synonyms.

- ``markdown_extensions`` reads ``content/glossary.yml`` and adds
  ``gazette.render.abbreviations``, which turns the first mention of each abbreviation
  in a body into ``<abbr title="expansion">``, never inside code, links,
  headings or an existing ``abbr``. It works on Python-Markdown's element tree
  in the render stage, so it is cached with the rendered body; the glossary is
  in the render cache key.
- ``link`` returns a ``GlossaryIndex`` (``site.data["glossary"]``): the entries
  in alphabetical order, the items that mention each, and the synonym mappings
  that a search plugin needs (``expansion_of["MIIT"]`` and
  ``abbreviation_of["Ministry of Industry and Information Technology"]``).
- ``outputs`` writes ``/glossary/``: the entries that some item mentions,
  alphabetically, each with an anchor (``/glossary/#miit``) and the items that
  mention it, newest first; then, compactly under "Not yet mentioned in any
  item", the entries no item mentions (one line each, with their anchors too).
  The letter links at the top go to the first entry of each letter, in the
  compact list when all of that letter's entries are there.

An item mentions an entry when the abbreviation is marked in its body (so in
prose, not only in code) or appears, whole word, in its title or summary.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gazette.content.files import read_project_file
from gazette.content.vocab import parse_glossary
from gazette.diagnostics import ContentError
from gazette.model import Config, GlossaryEntry, Item, Site
from gazette.output.urls import slugify
from gazette.plugin_cache import DocumentMemo, PluginCache, cache_key, code_digest
from gazette.plugins import MenuEntry, Option, Page
from gazette.render import abbreviations
from gazette.render.abbreviations import abbreviation_pattern, source_version

OPTIONS = {
    "items_shown": Option(
        int, 50, "items listed under each entry on /glossary/, newest first (0: all)", minimum=0
    ),
}

URL = "/glossary/"
CODE = code_digest(__file__, abbreviations.__file__)  # what made the kept mentions
UNMENTIONED_ID = "not-mentioned"  # the heading of the compact list; no entry takes it
_ABBR = re.compile(r"<abbr\b[^>]*>([^<]*)</abbr>")


@dataclass(frozen=True)
class GlossaryIndex:
    entries: tuple[GlossaryEntry, ...]  # alphabetical, case-insensitive
    mentions: Mapping[str, tuple[Item, ...]]  # abbreviation -> items, newest first
    anchors: Mapping[str, str]  # abbreviation -> its id on /glossary/
    expansion_of: Mapping[str, str]  # "MIIT" -> "Ministry of ..."
    abbreviation_of: Mapping[str, str]  # "Ministry of ..." -> "MIIT"

    def url_of(self, abbreviation: str) -> str | None:
        anchor = self.anchors.get(abbreviation)
        return f"{URL}#{anchor}" if anchor else None


def read_glossary(config: Config) -> tuple[GlossaryEntry, ...]:
    """The project's glossary; loading reports its errors, so they are ignored here."""
    project = Path(config.project) if config.project else None
    path = project / "content" / "glossary.yml" if project else None
    if project is None or path is None or not path.is_file():
        return ()
    try:
        data = read_project_file(project, path, "content")
        text = data.decode("utf-8")
    except (ContentError, UnicodeDecodeError):  # loading reports these
        return ()
    return parse_glossary("content/glossary.yml", text)[0]


def markdown_extensions(*, config: Config, **kwargs: Any) -> list[tuple[str, dict]]:
    """Runs while loading: the abbreviation extension with the whole glossary."""
    entries = [[entry.abbr, entry.expansion] for entry in read_glossary(config)]
    if not entries:
        return []
    return [
        (
            "gazette.render.abbreviations:GlossaryExtension",
            {"entries": entries, "version": source_version()},
        )
    ]


def _anchors(entries: tuple[GlossaryEntry, ...]) -> dict[str, str]:
    anchors: dict[str, str] = {}
    used: set[str] = {UNMENTIONED_ID}
    for entry in entries:
        base = slugify(entry.abbr) or "entry"
        anchor, n = base, 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        anchors[entry.abbr] = anchor
    return anchors


def mentioned(item: Item, known: Mapping[str, str], pattern: re.Pattern[str]) -> frozenset[str]:
    """Abbreviations an item mentions: marked in its body, or in its title or summary."""
    found = (
        {html.unescape(text) for text in _ABBR.findall(item.html)}
        if "<abbr" in item.html
        else set()
    )
    found.update(pattern.findall(f"{item.title}\n{item.summary}"))
    return frozenset(abbr for abbr in found if abbr in known)


def build_index(site: Site, cache: PluginCache | None = None) -> GlossaryIndex:
    """The index; with a ``cache``, only changed items are searched for mentions."""
    entries = tuple(sorted(site.glossary, key=lambda e: (e.abbr.casefold(), e.abbr)))
    known = {entry.abbr: entry.expansion for entry in entries}
    by_abbr: dict[str, list[Item]] = {entry.abbr: [] for entry in entries}
    if entries:
        pattern = abbreviation_pattern(known)
        memo: DocumentMemo[frozenset[str]] = DocumentMemo(
            cache, "mentions", cache_key(CODE, sorted(known.items()))
        )
        for item in site.items:  # newest first
            for abbr in memo.get(item, lambda i: mentioned(i, known, pattern)):
                by_abbr[abbr].append(item)
        memo.save()
    abbreviation_of: dict[str, str] = {}
    for entry in entries:
        abbreviation_of.setdefault(entry.expansion, entry.abbr)
    return GlossaryIndex(
        entries=entries,
        mentions=MappingProxyType({abbr: tuple(items) for abbr, items in by_abbr.items()}),
        anchors=MappingProxyType(_anchors(entries)),
        expansion_of=MappingProxyType(known),
        abbreviation_of=MappingProxyType(abbreviation_of),
    )


def link(site: Site, *, cache: PluginCache | None = None, **kwargs: Any) -> GlossaryIndex:
    """Runs after rendering: entries, their mentions and the synonym mappings."""
    return build_index(site, cache)


def menu(site: Site, **kwargs: Any) -> list[MenuEntry]:
    return [MenuEntry("Glossary", URL, weight=60)] if site.glossary else []


def _letter(abbr: str) -> str:
    first = abbr[:1].upper()
    return first if first.isalpha() else "#"


def letter_links(entries: list[tuple[GlossaryEntry, str]]) -> tuple[tuple[str, str], ...]:
    """(letter, anchor of its first entry in page order), in alphabetical order."""
    letters: dict[str, str] = {}
    for entry, anchor in entries:
        letters.setdefault(_letter(entry.abbr), anchor)
    return tuple(sorted(letters.items(), key=lambda pair: (pair[0] != "#", pair[0])))


def outputs(site: Site, *, options: Mapping[str, Any], name: str, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: the /glossary/ page."""
    index: GlossaryIndex = site.data[name]
    shown = options["items_shown"]
    rows = []
    unmentioned = []
    for entry in index.entries:
        items = index.mentions[entry.abbr]
        anchor = index.anchors[entry.abbr]
        if not items:
            unmentioned.append((entry, anchor))
            continue
        listed = items[:shown] if shown > 0 else items
        rows.append((entry, anchor, listed, len(items) - len(listed)))
    yield Page(
        url=URL,
        template="glossary.html",
        context={
            "rows": rows,
            "unmentioned": unmentioned,
            "unmentioned_id": UNMENTIONED_ID,
            "letters": letter_links([(e, a) for e, a, *_ in rows] + unmentioned),
            "title": "Glossary",
            "description": f"Abbreviations used in {site.config.site.title}, "
            "with the items that mention them",
        },
    )
