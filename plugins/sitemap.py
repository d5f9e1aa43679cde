"""Files for crawlers and hosts: ``sitemap.xml``, ``robots.txt``, ``404.html`` and ``CNAME``.

- ``/sitemap.xml`` (sitemaps.org 0.9) lists the absolute URL of every HTML page
  that a reader may land on, each with ``lastmod``: an item's ``updated`` or
  ``date``; a listing's newest item on that page (an issue page also counts the
  issue's date); a listing without any item, the newest date of the archive.
  Drafts and scheduled items (``Site.public_items``) are never listed and never
  count, nor are alias redirects or the 404 page. Beyond 50,000 URLs the
  sitemap becomes an index of ``/sitemap-<n>.xml`` files, as the protocol asks.
- ``/robots.txt`` allows everything and names the sitemap (option ``robots``).
  Crawlers read it only at a host's root, so on a project page under
  ``/<repo>/`` it is inert; with a custom domain it works.
- ``/404.html`` (template ``404.html``): GitHub Pages serves it for any missing
  path, at any depth, so every link in it carries the base path.
- ``/CNAME`` when ``site.toml`` names ``[site] domain``.

Which pages exist: the plugin contract gives no plugin the outputs of the
others, so the sitemap knows the URL scheme of Gazette's page plugins (home,
items, issues, tags, sections, archive, events, glossary,
standards) and reads their
``link`` data and ``page_size`` options. Pages of another plugin are not listed,
nor is the search page, which has no content of its own; a test compares the
sitemap with the HTML pages of a full build so that the two cannot drift apart
silently.

Library: none. The format is a dozen lines, written as text exactly as
``xml.etree.ElementTree`` would write it (``_xml``; a test compares the two on
random URLs, and the sitemap tests parse the files with a real XML parser).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gazette.model import Item, Site
from gazette.output.paging import paginate
from gazette.output.urls import Urls
from gazette.plugins import Option, Page, StaticFile

OPTIONS = {
    "robots": Option(bool, True, "write /robots.txt naming the sitemap"),
}

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # per sitemap file, by the protocol
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'


@dataclass(frozen=True)
class Entry:
    """One page of the sitemap: a site-relative URL and when it last changed."""

    url: str
    lastmod: date | None


@dataclass(frozen=True)
class Listing:
    """A page, or a paginated listing starting at ``url``, and the items it shows."""

    url: str
    items: Sequence[Item]  # what the page plugin lists (and paginates), newest first
    size: int = 0  # items per page; 0 = one page
    since: date | None = None  # another date the page shows (an issue's)


def changed(item: Item) -> date:
    """The day an item last changed."""
    return max(item.date, item.updated) if item.updated else item.date


def newest(dates: Iterable[date | None]) -> date | None:
    return max((day for day in dates if day is not None), default=None)


def pages(listing: Listing) -> Iterator[tuple[str, Sequence[Item]]]:
    """The URL and the items of each page of a listing."""
    if not listing.size:
        yield listing.url, listing.items
        return
    for pager in paginate(listing.items, listing.size, listing.url):
        yield pager.url, pager.items


def entries(listings: Iterable[Listing], site: Site) -> tuple[Entry, ...]:
    """Every page of the listings with its lastmod, sorted by URL, each URL once."""
    # Each item's day, worked out once (``_NONE`` for a preview): the home page,
    # the issues and tags listings each list every item, so a page's newest day
    # is taken in C (``max`` over ``map``), about 200,000 items at 10,000. By id:
    # the site holds every item for the whole build, so no other object can
    # share one's id.
    days = {id(item): _day(item, site) or _NONE for item in site.items}
    dates = [*(changed(item) for item in site.public_items), *(i.date for i in site.issues)]
    fallback = newest(dates)
    day_of = days.__getitem__
    found: dict[str, Entry] = {}
    for listing in listings:
        for url, items in pages(listing):
            if url in found:
                continue
            try:
                day = max(map(day_of, map(id, items)), default=_NONE)
            except KeyError:  # an item the site does not hold (a plugin's copy)
                day = max((_day(item, site) or _NONE for item in items), default=_NONE)
            if listing.since is not None and listing.since > day:
                day = listing.since
            found[url] = Entry(url, day if day != _NONE else fallback)
    return tuple(found[url] for url in sorted(found))


def _day(item: Item, site: Site) -> date | None:
    return None if site.is_preview(item) else changed(item)


# A day before every other: what a preview or an empty page counts as.
_NONE = date.min


# What each page plugin shows: (site, its data from ``link``, its options) -> listings.

Source = Callable[[Site, Any, Mapping[str, Any]], Iterator[Listing]]


def _home(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    yield Listing("/", site.items, since=site.issues[0].date if site.issues else None)


def _items(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    for item in site.public_items:
        yield Listing(item.url, (item,))


def _issues(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    yield Listing("/issues/", site.items, since=site.issues[0].date if site.issues else None)
    for issue in site.issues:
        yield Listing(issue.url, site.items_by_issue.get(issue.id, ()), since=issue.date)


def _tags(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    if data is None:
        return
    size = max(1, options.get("page_size", 20))
    yield Listing("/tags/", [item for item in site.items if item.tags])
    for group in site.vocabulary.groups:
        names = {stats.tag.name for stats in data.stats.values() if stats.tag.group == group.id}
        items = [item for item in site.items if names.intersection(item.tags)]
        yield Listing(f"/tags/group/{group.id}/", items)
    for stats in data.stats.values():
        yield Listing(f"/tags/{stats.tag.slug}/", stats.items, size)


def _sections(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    if data is None:
        return
    size = max(1, options.get("page_size", 20))
    yield Listing("/sections/", site.items)
    for listing in data.listings:
        yield Listing(listing.url, listing.items, size)


def _archive(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    if data is None:
        return
    size = max(1, options.get("page_size", 50))
    yield Listing("/archive/", site.items)
    for year in data.years:
        if year.items:
            yield Listing(year.url, year.items, size)
        for month in year.months:
            if month.items:
                yield Listing(month.url, month.items, size)


def _events(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    yield Listing("/events/", [item for item in site.items if item.kind == "event"])


def _glossary(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    mentioned = {id(item) for items in getattr(data, "mentions", {}).values() for item in items}
    yield Listing("/glossary/", [item for item in site.items if id(item) in mentioned])


def _standards(site: Site, data: Any, options: Mapping[str, Any]) -> Iterator[Listing]:
    if data is None:
        return
    size = max(1, options.get("page_size", 20))
    entries = tuple(data.entries.values())
    yield Listing("/standards/", [item for entry in entries for item in entry.items])
    committees = [e for e in entries if e.kind == "committee"]
    yield Listing("/committees/", [item for entry in committees for item in entry.items])
    for entry in entries:
        yield Listing(entry.url, entry.items, size)


SOURCES: Mapping[str, Source] = {
    "home": _home,
    "items": _items,
    "issues": _issues,
    "tags": _tags,
    "sections": _sections,
    "archive": _archive,
    "events": _events,
    "glossary": _glossary,
    "standards": _standards,
}


def listings(site: Site) -> Iterator[Listing]:
    """The pages of every enabled page plugin that the sitemap knows."""
    for spec in site.config.plugins:
        source = SOURCES.get(spec.name)
        if source is not None:
            yield from source(site, site.data.get(spec.name), spec.options)


# Writers


def _escape(text: str) -> str:
    """Character data as ``ElementTree`` escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _xml(root: str, node: str, rows: Iterable[tuple[str, date | None]]) -> bytes:
    """``<root>`` of ``<node>`` elements with ``loc`` and an optional ``lastmod``.

    Written as text, the way ``ET.indent`` and ``ET.tostring`` write it (a test
    compares the two): building 10,000 elements cost a quarter of a second on
    every build, and a one-item edit rewrites the sitemap.
    """
    parts = [f'<{root} xmlns="{SITEMAP_NS}">']
    for loc, lastmod in rows:
        parts.append(f"\n  <{node}>\n    " + (f"<loc>{_escape(loc)}</loc>" if loc else "<loc />"))
        if lastmod:
            parts.append(f"\n    <lastmod>{lastmod.isoformat()}</lastmod>")
        parts.append(f"\n  </{node}>")
    if len(parts) == 1:
        parts = [f'<{root} xmlns="{SITEMAP_NS}" />']
    else:
        parts.append(f"\n</{root}>")
    return XML_DECLARATION + "".join(parts).encode() + b"\n"


def urlset(chunk: Sequence[Entry], urls: Urls) -> bytes:
    return _xml("urlset", "url", ((urls.absolute(e.url), e.lastmod) for e in chunk))


def sitemap_files(found: Sequence[Entry], urls: Urls, limit: int = MAX_URLS) -> list[StaticFile]:
    """``/sitemap.xml``; past ``limit`` URLs, an index of ``/sitemap-<n>.xml`` files."""
    if len(found) <= limit:
        return [StaticFile("/sitemap.xml", urlset(found, urls))]
    chunks = [found[start : start + limit] for start in range(0, len(found), limit)]
    files = [
        StaticFile(f"/sitemap-{number}.xml", urlset(chunk, urls))
        for number, chunk in enumerate(chunks, 1)
    ]
    index = _xml(
        "sitemapindex",
        "sitemap",
        (
            (urls.absolute(f"/sitemap-{number}.xml"), newest(entry.lastmod for entry in chunk))
            for number, chunk in enumerate(chunks, 1)
        ),
    )
    return [StaticFile("/sitemap.xml", index), *files]


def robots(urls: Urls) -> bytes:
    return f"User-agent: *\nDisallow:\n\nSitemap: {urls.absolute('/sitemap.xml')}\n".encode()


# Hooks


def outputs(
    site: Site, *, options: Mapping[str, Any], urls: Urls, **kwargs: Any
) -> Iterator[Page | StaticFile]:
    """Runs in the render stage: the sitemap, robots.txt, the 404 page and CNAME."""
    yield from sitemap_files(entries(listings(site), site), urls)
    if options["robots"]:
        yield StaticFile("/robots.txt", robots(urls))
    yield Page(
        url="/404.html",
        template="404.html",
        context={
            "title": "Page not found",
            "description": f"There is no page at this address of {site.config.site.title}.",
        },
    )
    if site.config.site.domain:
        yield StaticFile("/CNAME", f"{site.config.site.domain}\n".encode())
