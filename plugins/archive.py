"""Date archives: items by the year and month of their ``date``.

Pages:

- ``/archive/``: a table with one row per year, newest first, from the last
  year with items back to the first, years without items included, and one
  column per month with its item count. A month with items links to its page;
  an empty month shows an en dash labelled "no items". A year's label links to
  its page when the year has items.
- ``/archive/<yyyy>/`` (and ``/archive/<yyyy>/page/<n>/``): the items of that
  year, newest first, grouped by month under headings that link to the month
  pages; paginated by ``page_size``. Only years with items have a page.
- ``/archive/<yyyy>/<mm>/`` (and ``.../page/<n>/``): the items of that month,
  newest first, paginated by ``page_size``. Only months with items have a page.

Only published items (``site.items``) are counted, so drafts and future items
never appear. ``link`` returns an ``Archive``, a pure function of the site, for
templates and later plugins (``url_of`` links a year or a month).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gazette.model import Item, Site
from gazette.output.paging import paginate
from gazette.plugins import MenuEntry, Option, Page

OPTIONS = {
    "page_size": Option(int, 50, "items per year or month page (at least 1)", minimum=1),
}


def year_url(year: int) -> str:
    return f"/archive/{year:04d}/"


def month_url(year: int, month: int) -> str:
    return f"/archive/{year:04d}/{month:02d}/"


@dataclass(frozen=True)
class Month:
    year: int
    month: int  # 1..12
    items: tuple[Item, ...]  # newest first
    count: int  # every item of the month, also in a heading()

    def heading(self) -> Month:
        """The month without its items, for page contexts (see ``Year.heading``)."""
        return replace(self, items=())

    @property
    def url(self) -> str | None:
        """The month's page, or None when it has no items (and so no page)."""
        return month_url(self.year, self.month) if self.count else None

    @property
    def name(self) -> str:
        return calendar.month_name[self.month]

    @property
    def abbr(self) -> str:
        return calendar.month_abbr[self.month]

    @property
    def label(self) -> str:
        return f"{self.name} {self.year}"

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]  # January to December
    items: tuple[Item, ...]  # newest first
    count: int  # every item of the year, also in a heading()

    def heading(self) -> Year:
        """The year and its months without their items, for page contexts.

        A page's context is part of its cache key: a year or month page holds
        headings and its own page of items, and the grid only headings, so
        editing an item re-renders only the pages that list it.
        """
        return replace(self, items=(), months=tuple(month.heading() for month in self.months))

    @property
    def url(self) -> str | None:
        """The year's page, or None when it has no items (and so no page)."""
        return year_url(self.year) if self.count else None

    def groups(self, items: tuple[Item, ...]) -> tuple[tuple[Month, tuple[Item, ...]], ...]:
        """``items`` of this year (one page of them) grouped by month, in their order."""
        grouped: dict[int, list[Item]] = {}
        for item in items:
            grouped.setdefault(item.date.month, []).append(item)
        return tuple((self.months[month - 1], tuple(found)) for month, found in grouped.items())


@dataclass(frozen=True)
class Archive:
    years: tuple[Year, ...]  # newest first, every year from the last with items to the first

    def url_of(self, year: int, month: int | None = None) -> str | None:
        """The page of a year or a month, or None when it has no items."""
        for entry in self.years:
            if entry.year == year:
                return entry.url if month is None else entry.months[month - 1].url
        return None


def build_archive(items: tuple[Item, ...]) -> Archive:
    """Group items (newest first) by year and month of their ``date``."""
    by_month: dict[tuple[int, int], list[Item]] = {}
    for item in items:
        by_month.setdefault((item.date.year, item.date.month), []).append(item)
    if not by_month:
        return Archive(())
    first, last = min(by_month)[0], max(by_month)[0]
    years = []
    for year in range(last, first - 1, -1):
        found = [tuple(by_month.get((year, month), ())) for month in range(1, 13)]
        months = tuple(Month(year, n, items, len(items)) for n, items in enumerate(found, start=1))
        year_items = tuple(item for month in reversed(months) for item in month.items)
        years.append(Year(year, months, year_items, len(year_items)))
    return Archive(tuple(years))


def link(site: Site, **kwargs: Any) -> Archive:
    """Runs after loading: the archive of published items, for templates and plugins."""
    return build_archive(site.items)


def menu(site: Site, **kwargs: Any) -> list[MenuEntry]:
    """Runs after link: the "Archive" entry of the site navigation."""
    return [MenuEntry("Archive", "/archive/", weight=40)]


def _year_pages(site: Site, year: Year, size: int) -> Iterator[Page]:
    head = year.heading()
    for pager in paginate(year.items, size, year_url(year.year)):
        yield Page(
            url=pager.url,
            template="archive_year.html",
            context={
                "year": head,
                "groups": head.groups(pager.items),
                "pager": pager,
                "title": pager.title(f"Items of {year.year}"),
                "description": f"{year.count} item{'' if year.count == 1 else 's'} "
                f"of {year.year} in {site.config.site.title}",
            },
        )


def _month_pages(site: Site, month: Month, size: int) -> Iterator[Page]:
    head = month.heading()
    for pager in paginate(month.items, size, month_url(month.year, month.month)):
        yield Page(
            url=pager.url,
            template="archive_month.html",
            context={
                "month": head,
                "year_url": year_url(month.year),
                "pager": pager,
                "title": pager.title(f"Items of {month.label}"),
                "description": f"{month.count} item{'' if month.count == 1 else 's'} "
                f"of {month.label} in {site.config.site.title}",
            },
        )


def outputs(site: Site, *, options: Mapping[str, Any], name: str, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: the grid, and the pages of years and months with items."""
    archive: Archive = site.data[name]
    size = max(1, options["page_size"])
    yield Page(
        url="/archive/",
        template="archive.html",
        context={
            "archive": Archive(tuple(year.heading() for year in archive.years)),
            "title": "Archive",
            "description": f"Items of {site.config.site.title} by year and month",
        },
    )
    for year in archive.years:
        if year.items:
            yield from _year_pages(site, year, size)
        for month in year.months:
            if month.items:
                yield from _month_pages(site, month, size)
