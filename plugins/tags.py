"""Tag pages: the tag index, one page per tag and per group, and alias redirects.

Pages:

- ``/tags/``: every tag grouped by its group, with item counts and a visual
  weight; ``tags.js`` adds sorting by name or count without leaving the page.
- ``/tags/<slug>/`` (and ``/tags/<slug>/page/<n>/``): the description, the items
  newest first, paginated by ``page_size``; a chart of items per year as inline
  SVG; the first and last date seen; the tags that most often co-occur; and a
  link to the tag's feed when a feeds plugin provides ``tag_feed(tag)``.
- ``/tags/group/<id>/``: the tags of one group.
- ``/tags/<alias-slug>/``: a small redirect page to the canonical tag, with a
  canonical link, so that links made before a merge keep working.

``link`` returns a ``TagIndex``, a pure function of the site, which templates
and later plugins use (``url_of`` makes tag chips into links).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from gazette.model import Item, Site, Tag
from gazette.output.paging import paginate
from gazette.output.urls import slugify
from gazette.plugins import MenuEntry, Option, Page

OPTIONS = {
    "page_size": Option(int, 20, "items per tag page (at least 1)", minimum=1),
    "related": Option(int, 8, "how many co-occurring tags a tag page shows", minimum=0),
}


@dataclass(frozen=True)
class YearBar:
    year: int
    count: int
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class TagStats:
    tag: Tag
    items: tuple[Item, ...]  # newest first
    first: date | None
    last: date | None
    per_year: tuple[tuple[int, int], ...]  # (year, count), every year from first to last
    related: tuple[tuple[str, int], ...]  # (tag name, items shared), most first
    weight: int  # 1..5, for the visual weight on /tags/
    count: int  # every item of the tag, also in a heading()

    def heading(self) -> TagStats:
        """The tag without its items, for page contexts (counts and dates stay).

        A page's context is part of its cache key: a tag page holds this and its
        own page of items, so editing an item re-renders only the pages that
        list it, not every page of its tags.
        """
        return replace(self, items=())


@dataclass(frozen=True)
class TagIndex:
    stats: Mapping[str, TagStats]  # by canonical name, in vocabulary order

    def url_of(self, name: str) -> str | None:
        stats = self.stats.get(name)
        return f"/tags/{stats.tag.slug}/" if stats else None


def _weight(count: int, most: int) -> int:
    if count == 0 or most == 0:
        return 1
    return 1 + round(4 * math.log1p(count) / math.log1p(most))


def build_index(site: Site, related: int = 8) -> TagIndex:
    """Items, dates, yearly counts and co-occurrences of every tag."""
    by_tag: dict[str, list[Item]] = {tag.name: [] for tag in site.vocabulary.tags}
    together: dict[str, Counter] = {tag.name: Counter() for tag in site.vocabulary.tags}
    for item in site.items:  # already newest first
        for name in item.tags:
            by_tag[name].append(item)
            together[name].update(other for other in item.tags if other != name)
    most = max((len(items) for items in by_tag.values()), default=0)
    stats = {}
    for tag in site.vocabulary.tags:
        items = tuple(by_tag[tag.name])
        years = Counter(item.date.year for item in items)
        span = range(min(years), max(years) + 1) if years else range(0)
        ranked = sorted(together[tag.name].items(), key=lambda pair: (-pair[1], pair[0]))
        stats[tag.name] = TagStats(
            tag=tag,
            items=items,
            first=items[-1].date if items else None,
            last=items[0].date if items else None,
            per_year=tuple((year, years.get(year, 0)) for year in span),
            related=tuple(ranked[:related]),
            weight=_weight(len(items), most),
            count=len(items),
        )
    return TagIndex(stats)


def chart(per_year: tuple[tuple[int, int], ...], height: int = 80, bar: int = 28) -> dict:
    """Geometry of the items-per-year bar chart, drawn as inline SVG by the template."""
    most = max((count for _, count in per_year), default=0)
    bars = []
    for index, (year, count) in enumerate(per_year):
        tall = round(height * count / most) if most else 0
        bars.append(YearBar(year, count, index * (bar + 6), height - tall, tall))
    return {
        "bars": bars,
        "width": max(len(bars) * (bar + 6) - 6, bar),
        "height": height,
        "bar": bar,
    }


def link(site: Site, *, options: Mapping[str, Any], **kwargs: Any) -> TagIndex:
    """Runs after loading: the tag index, for templates and later plugins."""
    return build_index(site, options["related"])


def menu(site: Site, **kwargs: Any) -> list[MenuEntry]:
    return [MenuEntry("Tags", "/tags/", weight=20)]


def _tag_pages(site: Site, stats: TagStats, size: int, feeds: Any) -> Iterator[Page]:
    feed = feeds.tag_feed(stats.tag.name) if feeds and hasattr(feeds, "tag_feed") else None
    drawn = chart(stats.per_year)  # one object per tag, so the overview's cache key holds
    head = stats.heading()  # likewise
    for pager in paginate(stats.items, size, f"/tags/{stats.tag.slug}/"):
        yield Page(
            url=pager.url,
            template="tag.html",
            context={
                "stats": head,
                "items": pager.items,
                "chart": drawn,
                "feed": feed,
                "pager": pager,
                "title": pager.title(f"#{stats.tag.name}"),
                "description": stats.tag.description
                or f"Items tagged {stats.tag.name} in {site.config.site.title}",
            },
        )


def outputs(site: Site, *, options: Mapping[str, Any], name: str, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: the tag index, tag, group and alias redirect pages."""
    index: TagIndex = site.data[name]
    size = max(1, options["page_size"])
    heads = (stats.heading() for stats in index.stats.values())
    by_name = sorted(heads, key=lambda stats: stats.tag.name.casefold())
    groups = [
        (group, [stats for stats in by_name if stats.tag.group == group.id])
        for group in site.vocabulary.groups
    ]
    ungrouped = [stats for stats in by_name if not stats.tag.group]
    yield Page(
        url="/tags/",
        template="tags.html",
        context={
            "groups": groups,
            "ungrouped": ungrouped,
            "title": "Tags",
            "description": f"Every topic of {site.config.site.title}, with item counts",
        },
    )
    for group, members in groups:
        yield Page(
            url=f"/tags/group/{group.id}/",
            template="tag_group.html",
            context={
                "group": group,
                "members": members,
                "title": f"{group.name} tags",
                "description": group.description or f"Tags in the group {group.name}",
            },
        )
    for stats in index.stats.values():
        yield from _tag_pages(site, stats, size, site.data.get("feeds"))
        for alias in stats.tag.aliases:
            alias_slug = slugify(alias)
            if alias_slug and alias_slug != stats.tag.slug:
                yield Page(
                    url=f"/tags/{alias_slug}/",
                    template="redirect.html",
                    context={
                        "target": f"/tags/{stats.tag.slug}/",
                        "alias": alias,
                        "title": f"#{stats.tag.name}",
                        "description": f"{alias} is now {stats.tag.name}",
                    },
                )
