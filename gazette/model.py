"""The content model: frozen dataclasses built once while loading.

Nothing here is mutated after loading; derive new values with
``dataclasses.replace``. User keys that the model does not know live in
``extra`` rather than being set as attributes.
"""

from __future__ import annotations

import copyreg
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

EMPTY: Mapping[str, Any] = MappingProxyType({})


# Read-only mappings must cross process boundaries (parsing and rendering run
# in a process pool), and MappingProxyType does not pickle by itself.
def frozen_mapping(values: dict) -> Mapping[str, Any]:
    return MappingProxyType(values)


copyreg.pickle(MappingProxyType, lambda proxy: (frozen_mapping, (dict(proxy),)))


def _empty() -> Mapping[str, Any]:
    return EMPTY


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Event:
    """The fields of an item with ``kind: event``."""

    start: datetime
    end: datetime | None
    location: str
    online: bool
    registration: str


@dataclass(frozen=True)
class Source:
    """One entry of an item's ``sources``: a URL and, when the editor gave them,
    what a reader and a citation need (title, publisher, date of the page)."""

    url: str  # an absolute http(s) URL
    title: str = ""
    publisher: str = ""
    date: date | None = None
    line: int = field(default=0, compare=False)  # its line in the file, for diagnostics

    @property
    def domain(self) -> str:
        """The host without ``www.``: ``miit.gov.cn``."""
        host = urlsplit(self.url).hostname or ""
        if "xn--" in host:
            with suppress(UnicodeError):  # a malformed one is shown as written
                host = host.encode("ascii").decode("idna")
        return host.removeprefix("www.")

    @property
    def short(self) -> str:
        """The domain and a shortened path, the link text of a source without a title:
        ``gov.cn/zhengce/…/content_5533459.htm``."""
        parts = urlsplit(self.url)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        path = "/".join(segments)
        if len(segments) == 1:
            path = _cut(path, SHORT_PATH, SHORT_PATH // 2)
        elif len(path) > SHORT_PATH:
            gap = "/…/" if len(segments) > 2 else "/"
            path = _cut(segments[0], 12) + gap + _cut(segments[-1], SHORT_PATH - 16, 8)
        text = self.domain + (f"/{path}" if path else "")
        return text + ("?…" if parts.query else "")

    @property
    def label(self) -> str:
        """The link text: the title, or else the domain and a shortened path."""
        return self.title or self.short

    @property
    def credit(self) -> str:
        """Who published it, shown after the link: the publisher, or else the domain
        when the link text is a title (a bare URL's link text already names it)."""
        return self.publisher or (self.domain if self.title else "")


SHORT_PATH = 36  # characters of a source's path shown before it is shortened


def _cut(text: str, limit: int, tail: int = 0) -> str:
    """``text`` in at most ``limit`` characters, an ellipsis standing before its last
    ``tail`` characters (a file name keeps its extension)."""
    if len(text) <= limit:
        return text
    return text[: limit - 1 - tail] + "…" + (text[-tail:] if tail else "")


@dataclass(frozen=True, kw_only=True)
class Document:
    """What items and issues share: a Markdown body, its rendering and user keys."""

    body: str = ""
    body_line_offset: int = 0  # file line of body line n is body_line_offset + n
    lines: Mapping[str, int] = field(default_factory=_empty)  # front matter key -> line
    extra: Mapping[str, Any] = field(default_factory=_empty)  # keys the model does not know
    html: str = ""
    headings: tuple[Heading, ...] = ()
    text: str = ""  # plain text of html, one block per line, for search and word counts


@dataclass(frozen=True)
class Item(Document):
    path: str  # relative to the project, POSIX separators
    slug: str
    title: str
    date: date
    published: datetime  # timezone-aware; used for sorting and --future
    issue: str
    section: str
    tags: tuple[str, ...]  # canonical tag names
    summary: str = ""
    sources: tuple[Source, ...] = ()
    draft: bool = False
    kind: str = "news"
    order: int | None = None
    follows: str | None = None
    supersedes: str | None = None
    updated: date | None = None
    event: Event | None = None

    @property
    def url(self) -> str:
        return f"/items/{self.slug}/"


@dataclass(frozen=True)
class Issue(Document):
    path: str
    id: str
    number: int
    title: str
    date: date
    period: str = ""
    pdf: str = ""

    @property
    def url(self) -> str:
        return f"/issues/{self.id}/"


@dataclass(frozen=True)
class TagGroup:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Tag:
    name: str  # canonical display name, kept as written (5G, MIIT, IoT)
    slug: str
    group: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Vocabulary:
    groups: tuple[TagGroup, ...] = ()
    tags: tuple[Tag, ...] = ()
    # normalised spelling (name, alias or slug) -> canonical name
    lookup: Mapping[str, str] = field(default_factory=_empty)

    @cached_property
    def by_name(self) -> Mapping[str, Tag]:
        return MappingProxyType({tag.name: tag for tag in self.tags})


@dataclass(frozen=True)
class GlossaryEntry:
    abbr: str
    expansion: str
    line: int = 0


@dataclass(frozen=True)
class SiteInfo:
    title: str
    base_url: str
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    about: str = ""
    domain: str = ""  # a custom domain for GitHub Pages: written to /CNAME


@dataclass(frozen=True)
class PluginSpec:
    name: str
    options: Mapping[str, Any] = field(default_factory=_empty)
    line: int = 0  # of the [plugins.<name>] table
    option_lines: Mapping[str, int] = field(default_factory=_empty)


@dataclass(frozen=True)
class Config:
    site: SiteInfo
    sections: tuple[Section, ...]
    plugins: tuple[PluginSpec, ...]
    path: str = "site.toml"
    # The project folder, so that a hook that runs before loading
    # (markdown_extensions) can read a content file such as glossary.yml.
    project: str = ""
    vague_sources: bool = True  # [check] vague_sources: warn about home-page sources

    @cached_property
    def section_by_id(self) -> Mapping[str, Section]:
        return MappingProxyType({s.id: s for s in self.sections})


@dataclass(frozen=True)
class BuildOptions:
    now: datetime
    drafts: bool = False
    future: bool = False
    strict: bool = False


@dataclass(frozen=True)
class Site:
    """The whole loaded archive. ``items`` are the published ones, newest first."""

    config: Config
    options: BuildOptions
    items: tuple[Item, ...]
    issues: tuple[Issue, ...]  # newest first
    vocabulary: Vocabulary
    glossary: tuple[GlossaryEntry, ...] = ()
    # Results of each plugin's ``link`` hook, by plugin name.
    data: Mapping[str, Any] = field(default_factory=_empty)

    def with_data(self, data: Mapping[str, Any]) -> Site:
        """This site with other ``data`` (each ``link`` hook adds its own).

        What the cached properties derived from the items and issues carries
        over, since none of them reads ``data``: made again for each of a
        dozen plugins, they cost about 0.2 s of a build at 10,000 items.
        """
        new = replace(self, data=data)
        for name in _DERIVED:
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name]
        return new

    def is_preview(self, item: Item) -> bool:
        """A draft or a scheduled item, present only because of --drafts/--future."""
        known = self._previews.get(id(item))
        if known is not None and known[0] is item:
            return known[1]
        return item.draft or item.published > self.options.now

    @cached_property
    def _previews(self) -> Mapping[int, tuple[Item, bool]]:
        # Asked tens of thousands of times a build (every listing, feed and
        # sitemap entry), and comparing aware datetimes is slow: answered once
        # per item, by identity (a copy of an item is answered afresh).
        now = self.options.now
        return {id(item): (item, item.draft or item.published > now) for item in self.items}

    @cached_property
    def public_items(self) -> tuple[Item, ...]:
        """Items a reader may see in feeds, search and the sitemap: never a preview."""
        return tuple(item for item in self.items if not self.is_preview(item))

    @cached_property
    def item_by_slug(self) -> Mapping[str, Item]:
        return MappingProxyType({item.slug: item for item in self.items})

    @cached_property
    def issue_by_id(self) -> Mapping[str, Issue]:
        return MappingProxyType({issue.id: issue for issue in self.issues})

    @cached_property
    def items_by_issue(self) -> Mapping[str, tuple[Item, ...]]:
        """Items of each issue in section order, then the editor's order."""
        rank = {s.id: n for n, s in enumerate(self.config.sections)}
        grouped: dict[str, list[Item]] = {}
        for item in self.items:
            grouped.setdefault(item.issue, []).append(item)
        return MappingProxyType(
            {
                issue: tuple(sorted(items, key=lambda i: (rank[i.section], *issue_order(i))))
                for issue, items in grouped.items()
            }
        )

    def issue_sections(self, issue_id: str) -> tuple[tuple[Section, tuple[Item, ...]], ...]:
        """An issue's items grouped by section, in site.toml's section order."""
        grouped: dict[str, list[Item]] = {}
        for item in self.items_by_issue.get(issue_id, ()):
            grouped.setdefault(item.section, []).append(item)
        return tuple(
            (section, tuple(grouped[section.id]))
            for section in self.config.sections
            if section.id in grouped
        )


# Site's cached properties: functions of its items, issues, config and options.
_DERIVED = tuple(name for name, value in vars(Site).items() if isinstance(value, cached_property))


def issue_order(item: Item) -> tuple:
    """An item's place within its section: ``order`` first, then date, then path."""
    return (item.order is None, item.order or 0, item.date, item.path)
