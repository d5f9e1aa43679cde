"""Section pages: the editor's sections (``[[sections]]`` of ``site.toml``) across issues.

Pages:

- ``/sections/``: every section, in ``site.toml`` order, with its description
  and how many published items it holds.
- ``/sections/<id>/`` (and ``/sections/<id>/page/<n>/``): the section's items
  from every issue, newest first, paginated by ``page_size``. A section without
  items still has its page, which says so.

``link`` returns a ``SectionIndex``, a pure function of the site, so that
templates and later plugins can link to section pages (``url_of``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from gazette.model import Item, Section, Site
from gazette.output.paging import paginate
from gazette.plugins import MenuEntry, Option, Page

OPTIONS = {
    "page_size": Option(int, 20, "items per section page (at least 1)", minimum=1),
}


@dataclass(frozen=True)
class SectionListing:
    section: Section
    items: tuple[Item, ...]  # newest first
    count: int  # every item of the section, also in a heading()
    first: date | None  # the oldest item's date
    last: date | None  # the newest item's date

    @classmethod
    def of(cls, section: Section, items: tuple[Item, ...]) -> SectionListing:
        first, last = (items[-1].date, items[0].date) if items else (None, None)
        return cls(section, items, len(items), first, last)

    def heading(self) -> SectionListing:
        """The section without its items, for page contexts (counts and dates stay).

        A page's context is part of its cache key: a section page holds this and
        its own page of items, so editing an item re-renders only the page that
        lists it.
        """
        return replace(self, items=())

    @property
    def url(self) -> str:
        return section_url(self.section.id)


@dataclass(frozen=True)
class SectionIndex:
    listings: tuple[SectionListing, ...]  # in site.toml order

    def url_of(self, section_id: str) -> str | None:
        known = any(listing.section.id == section_id for listing in self.listings)
        return section_url(section_id) if known else None


def section_url(section_id: str) -> str:
    return f"/sections/{section_id}/"


def build_index(site: Site) -> SectionIndex:
    """Each section of site.toml with its published items, newest first."""
    by_section: dict[str, list[Item]] = {section.id: [] for section in site.config.sections}
    for item in site.items:  # already newest first
        by_section[item.section].append(item)
    return SectionIndex(
        tuple(
            SectionListing.of(section, tuple(by_section[section.id]))
            for section in site.config.sections
        )
    )


def link(site: Site, **kwargs: Any) -> SectionIndex:
    """Runs after loading: the section index, for templates and later plugins."""
    return build_index(site)


def menu(site: Site, **kwargs: Any) -> list[MenuEntry]:
    """Runs after link: the "Sections" entry of the site navigation."""
    return [MenuEntry("Sections", "/sections/", weight=30)]


def _section_pages(site: Site, listing: SectionListing, size: int) -> Iterator[Page]:
    section, head = listing.section, listing.heading()
    for pager in paginate(listing.items, size, listing.url):
        yield Page(
            url=pager.url,
            template="section.html",
            context={
                "listing": head,
                "pager": pager,
                "title": pager.title(section.title),
                "description": section.description
                or f"Items of the section {section.title} in {site.config.site.title}",
            },
        )


def outputs(site: Site, *, options: Mapping[str, Any], name: str, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: the section list and each section's pages."""
    index: SectionIndex = site.data[name]
    size = max(1, options["page_size"])
    yield Page(
        url="/sections/",
        template="sections.html",
        context={
            "listings": tuple(listing.heading() for listing in index.listings),
            "title": "Sections",
            "description": f"Every section of {site.config.site.title}, with item counts",
        },
    )
    for listing in index.listings:
        yield from _section_pages(site, listing, size)
