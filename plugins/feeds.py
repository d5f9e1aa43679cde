"""Feeds: Atom and JSON Feed 1.1 for the site, each tag and each section, and an OPML list.

Files:

- ``/feed.xml`` and ``/feed.json``: the newest items of the whole archive;
- ``/tags/<slug>/feed.xml|json``: the newest items of one tag, for every tag of
  ``tags.yml`` (an unused tag has a valid, empty feed, so a link never breaks);
- ``/sections/<id>/feed.xml|json``: the newest items of one section;
- ``/feeds.opml``: every feed above (its Atom version), and those of the
  standards plugin's standards and committees when it is enabled, so that a
  reader can subscribe to many topics at once.

Each entry has its title, the item's canonical absolute URL (also its id), its
published and updated times, its tags as categories, and either its summary or
its full HTML (option ``content``). Items without a summary get a plain-text
excerpt of their body. Drafts and scheduled items (``Site.public_items``) never
appear, even in a ``--drafts`` or ``--future`` build.

Feeds are byte-identical across rebuilds: nothing comes from the clock. A feed's
``updated`` is its newest entry's; an empty feed takes the newest item of the
whole archive (or, with no item at all, its newest issue).

Options:

- ``limit`` (default 20): entries per feed, newest first; 0 keeps every item.
  Twenty covers more than two bimonthly issues while keeping each file small.
- ``content`` (default ``"summary"``): ``"summary"`` or ``"full"`` (the item's
  sanitised HTML, with its summary kept as the entry summary).

Libraries: Atom and OPML are written with the standard library's
``xml.etree.ElementTree``, which escapes text and attributes and keeps attribute
order, so the output is deterministic. feedgen was considered: it would add lxml
(a large binary dependency) for what is about sixty lines here, it has no JSON
Feed, and it stamps feeds with the clock unless told otherwise. JSON Feed is
plain ``json``. Tests check every feed with feedparser.

``link`` returns a ``FeedIndex``: ``site_feed()``, ``tag_feed(name)`` and
``section_feed(id)`` give site-relative Atom URLs (``tags.py`` links the tag
page to its feed), and ``of_page(page_url)`` the feeds that a page announces
with ``<link rel="alternate">`` and in its footer (``base.html``): those whose
folder holds the page (``/tags/5g/`` for ``/tags/5g/page/2/``), then the site's.
The ``href`` values carry the base path already, so a page needs no ``url()`` call
for them. Other plugins' data (the tag and section pages a feed describes) is
read only in ``outputs``, and tags.py reads this index only in ``outputs``, so
``[plugins.feeds]`` may come before or after ``tags`` and ``sections``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from gazette.model import Item, Site
from gazette.output.urls import Urls
from gazette.plugins import Option, StaticFile

OPTIONS = {
    "limit": Option(int, 20, "entries per feed, newest first (0 keeps every item)", minimum=0),
    "content": Option(str, "summary", "what an entry carries", choices=("summary", "full")),
}

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
OPML_URL = "/feeds.opml"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
EXCERPT = 280  # characters of body text for an entry whose item has no summary
EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


@dataclass(frozen=True)
class Alternate:
    """A ``<link rel="alternate">`` of a page: title, MIME type, site-relative URL and href.

    ``href`` carries the base path already, so that templates, which render it on
    every page, need no ``url()`` call.
    """

    title: str
    type: str
    url: str
    href: str


@dataclass(frozen=True)
class Feed:
    """One feed: a subject (the site, a tag or a section) and its newest public items."""

    key: str  # "site", "tag:<name>" or "section:<id>"
    label: str  # "#5G", "ICT", or the site's title
    title: str
    description: str
    folder: str  # site-relative folder of the feed files, and of the pages it describes
    items: tuple[Item, ...]  # newest first, at most ``limit``
    base_url: str = "/"  # the site's, for links with the base path
    page: str = ""  # the HTML page it describes, when not a tag's or section's

    @cached_property
    def atom_href(self) -> str:
        return Urls(self.base_url).url(self.atom_url)

    @cached_property
    def json_href(self) -> str:
        return Urls(self.base_url).url(self.json_url)

    @property
    def atom_url(self) -> str:
        return f"{self.folder}feed.xml"

    @property
    def json_url(self) -> str:
        return f"{self.folder}feed.json"

    @cached_property
    def links(self) -> FeedLinks:
        """What a page shows of this feed (one object per feed and build)."""
        return FeedLinks(self.label, self.atom_href, self.json_href, self.alternates)

    @cached_property
    def alternates(self) -> tuple[Alternate, Alternate]:
        return (
            Alternate(self.title, ATOM_TYPE, self.atom_url, self.atom_href),
            Alternate(f"{self.title} (JSON Feed)", JSON_TYPE, self.json_url, self.json_href),
        )


@dataclass(frozen=True)
class FeedLinks:
    """What a page shows of one of its feeds: only strings, so a page that links a
    feed depends on its title and URLs, not on the items in it."""

    label: str
    atom_href: str
    json_href: str
    alternates: tuple[Alternate, ...]


@dataclass(frozen=True)
class FeedIndex:
    """Every feed of the site, by subject and by folder."""

    site: Feed
    tags: Mapping[str, Feed]  # by canonical tag name, in vocabulary order
    sections: Mapping[str, Feed]  # by section id, in site.toml order
    base_url: str = "/"

    @property
    def all(self) -> tuple[Feed, ...]:
        return (self.site, *self.sections.values(), *self.tags.values())

    @cached_property
    def by_folder(self) -> Mapping[str, Feed]:
        return {feed.folder: feed for feed in self.all}

    @cached_property
    def depth(self) -> int:
        """How many path segments the deepest feed folder has (``/tags/5g/``: 2)."""
        return max(feed.folder.count("/") - 1 for feed in self.all)

    def site_feed(self) -> str:
        return self.site.atom_url

    def tag_feed(self, name: str) -> str | None:
        feed = self.tags.get(name)
        return feed.atom_url if feed else None

    def section_feed(self, section_id: str) -> str | None:
        feed = self.sections.get(section_id)
        return feed.atom_url if feed else None

    @property
    def opml_url(self) -> str:
        return OPML_URL

    @cached_property
    def opml_href(self) -> str:
        return Urls(self.base_url).url(OPML_URL)

    def of_page(self, page_url: str) -> tuple[Feed, ...]:
        """The feeds of the page at ``page_url``: those of its folders, nearest first.

        ``/tags/5g/page/2/`` has the #5G feed and then the site's; every page
        has the site's.
        """
        folders, folder = ["/"], "/"
        for part in page_url.split("/")[1 : self.depth + 1]:
            if not part:
                break
            folder += f"{part}/"
            folders.append(folder)
        return tuple(self.by_folder[f] for f in reversed(folders) if f in self.by_folder)

    def links_of(self, page_url: str) -> tuple[FeedLinks, ...]:
        """The links to ``of_page(page_url)``'s feeds, for the page's head and footer."""
        return tuple(feed.links for feed in self.of_page(page_url))


def newest_first(items: Iterable[Item], limit: int) -> tuple[Item, ...]:
    items = tuple(items)
    return items if limit <= 0 else items[:limit]


def build_index(site: Site, limit: int) -> FeedIndex:
    """The site, tag and section feeds of the public items, a pure function of the site."""
    info = site.config.site
    public = site.public_items  # newest first
    by_tag: dict[str, list[Item]] = {tag.name: [] for tag in site.vocabulary.tags}
    by_section: dict[str, list[Item]] = {section.id: [] for section in site.config.sections}
    for item in public:
        by_section[item.section].append(item)
        for name in item.tags:
            by_tag[name].append(item)
    tags = {
        tag.name: Feed(
            key=f"tag:{tag.name}",
            label=f"#{tag.name}",
            title=f"{info.title}: #{tag.name}",
            description=tag.description or f"Items tagged {tag.name} in {info.title}",
            folder=f"/tags/{tag.slug}/",
            items=newest_first(by_tag[tag.name], limit),
            base_url=info.base_url,
        )
        for tag in site.vocabulary.tags
    }
    sections = {
        section.id: Feed(
            key=f"section:{section.id}",
            label=section.title,
            title=f"{info.title}: {section.title}",
            description=section.description
            or f"Items of the section {section.title} in {info.title}",
            folder=f"/sections/{section.id}/",
            items=newest_first(by_section[section.id], limit),
            base_url=info.base_url,
        )
        for section in site.config.sections
    }
    whole = Feed(
        "site",
        info.title,
        info.title,
        info.description,
        "/",
        newest_first(public, limit),
        info.base_url,
    )
    return FeedIndex(whole, tags, sections, info.base_url)


# Times and text


def modified(item: Item, zone: ZoneInfo) -> datetime:
    """When an item last changed: midnight of ``updated`` in the site's zone, else published."""
    if item.updated is None:
        return item.published
    return max(item.published, datetime.combine(item.updated, time(), tzinfo=zone))


def feed_updated(feed: Feed, site: Site, zone: ZoneInfo) -> datetime:
    """The newest change among the feed's entries; for an empty feed, the archive's."""
    entries = feed.items or site.public_items
    if entries:
        return max(modified(item, zone) for item in entries)
    if site.issues:
        return datetime.combine(site.issues[0].date, time(), tzinfo=zone)
    return EPOCH


def excerpt(text: str, length: int = EXCERPT) -> str:
    """The first ``length`` characters of plain text, cut at a word, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def summary_of(item: Item) -> str:
    return item.summary or excerpt(item.text)


def page_of(feed: Feed, site: Site) -> str:
    """The HTML page a feed describes, when its plugin is enabled; else the home page."""
    if feed.page:
        return feed.page
    kind, _, key = feed.key.partition(":")
    index = site.data.get({"tag": "tags", "section": "sections"}.get(kind, ""))
    url = index.url_of(key) if index is not None and hasattr(index, "url_of") else None
    return url or "/"


# Writers


def xml_bytes(root: ET.Element) -> bytes:
    """An indented UTF-8 XML document with the usual declaration."""
    ET.indent(root)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode() + b"\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _link(parent: ET.Element, rel: str, kind: str, href: str) -> None:
    _sub(parent, "link", rel=rel, type=kind, href=href)


def _atom_entry(parent: ET.Element, item: Item, site: Site, urls: Urls, full: bool) -> None:
    zone = ZoneInfo(site.config.site.timezone)
    url = urls.absolute(item.url)
    entry = _sub(parent, "entry")
    _sub(entry, "title", item.title, type="text")
    _link(entry, "alternate", "text/html", url)
    _sub(entry, "id", url)
    _sub(entry, "published", item.published.isoformat())
    _sub(entry, "updated", modified(item, zone).isoformat())
    for name in item.tags:
        _sub(entry, "category", term=name)
    if full:
        if item.summary:
            _sub(entry, "summary", item.summary, type="text")
        content = _sub(entry, "content", item.html, type="html")
        content.set("xml:base", url)
    else:
        _sub(entry, "summary", summary_of(item), type="text")


def atom(feed: Feed, site: Site, urls: Urls, full: bool) -> bytes:
    """The feed as an Atom 1.0 document (RFC 4287)."""
    info = site.config.site
    zone = ZoneInfo(info.timezone)
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": info.language})
    _sub(root, "title", feed.title, type="text")
    if feed.description:
        _sub(root, "subtitle", feed.description, type="text")
    _link(root, "self", ATOM_TYPE, urls.absolute(feed.atom_url))
    _link(root, "alternate", "text/html", urls.absolute(page_of(feed, site)))
    _sub(root, "id", urls.absolute(feed.atom_url))
    _sub(root, "updated", feed_updated(feed, site, zone).isoformat())
    author = _sub(root, "author")
    _sub(author, "name", info.title)
    _sub(author, "uri", urls.absolute("/"))
    _sub(root, "generator", "Gazette")
    for item in feed.items:
        _atom_entry(root, item, site, urls, full)
    return xml_bytes(root)


def _json_item(item: Item, site: Site, urls: Urls, full: bool) -> dict[str, Any]:
    zone = ZoneInfo(site.config.site.timezone)
    url = urls.absolute(item.url)
    entry: dict[str, Any] = {"id": url, "url": url, "title": item.title}
    if full:
        entry["content_html"] = item.html
        if item.summary:
            entry["summary"] = item.summary
    else:
        entry["content_text"] = summary_of(item)
        entry["summary"] = summary_of(item)
    entry["date_published"] = item.published.isoformat()
    entry["date_modified"] = modified(item, zone).isoformat()
    if item.tags:
        entry["tags"] = list(item.tags)
    return entry


def json_feed(feed: Feed, site: Site, urls: Urls, full: bool) -> bytes:
    """The feed as JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    info = site.config.site
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": urls.absolute(page_of(feed, site)),
        "feed_url": urls.absolute(feed.json_url),
    }
    if feed.description:
        document["description"] = feed.description
    document["language"] = info.language
    document["authors"] = [{"name": info.title, "url": urls.absolute("/")}]
    document["items"] = [_json_item(item, site, urls, full) for item in feed.items]
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def opml(index: FeedIndex, site: Site, urls: Urls) -> bytes:
    """OPML 2.0 listing every feed (Atom), in folders for sections and tags."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = f"{site.config.site.title}: feeds"
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")

    def outline(parent: ET.Element, feed: Feed) -> None:
        ET.SubElement(
            parent,
            "outline",
            type="rss",
            text=feed.label,
            title=feed.title,
            xmlUrl=urls.absolute(feed.atom_url),
            htmlUrl=urls.absolute(page_of(feed, site)),
        )

    outline(body, index.site)
    for label, feeds in (("Sections", index.sections), ("Tags", index.tags)):
        folder = ET.SubElement(body, "outline", text=label, title=label)
        for feed in feeds.values():
            outline(folder, feed)
    for label, found in _other_feeds(site):
        folder = ET.SubElement(body, "outline", text=label, title=label)
        for key, feed_url, page_url in found:
            ET.SubElement(
                folder,
                "outline",
                type="rss",
                text=key,
                title=f"{site.config.site.title}: {key}",
                xmlUrl=urls.absolute(feed_url),
                htmlUrl=urls.absolute(page_url),
            )
    return xml_bytes(root)


def _other_feeds(site: Site) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The standards plugin's feeds, when it is enabled: (folder, [(label, feed, page)])."""
    index = site.data.get("standards")
    entries = tuple(getattr(index, "entries", {}).values())
    folders = []
    for label, kind in (("Standards", "standard"), ("Committees", "committee")):
        found = [(e.key, e.feed, e.url) for e in entries if e.kind == kind]
        if found:
            folders.append((label, found))
    return folders


# Hooks


def link(site: Site, *, options: Mapping[str, Any], **kwargs: Any) -> FeedIndex:
    """Runs after loading: every feed and its items, for templates and later plugins."""
    return build_index(site, options["limit"])


def outputs(
    site: Site, *, options: Mapping[str, Any], name: str, urls: Urls, **kwargs: Any
) -> Iterator[StaticFile]:
    """Runs in the render stage: two files per feed, and ``/feeds.opml``."""
    index: FeedIndex = site.data[name]
    full = options["content"] == "full"
    for feed in index.all:
        yield StaticFile(feed.atom_url, atom(feed, site, urls, full))
        yield StaticFile(feed.json_url, json_feed(feed, site, urls, full))
    yield StaticFile(OPML_URL, opml(index, site, urls))
