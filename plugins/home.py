"""The home page at ``/``.

It shows the latest issue's intro and takeaways with its contents by section,
the newest items of other issues (``recent``: the items listed under "In this
issue" are not listed again), the most used tags of the latest
year with items (``top_tags``, when the tags plugin is enabled) and the
``about`` text of ``site.toml``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from gazette.model import Item, Site
from gazette.plugins import Option, Page

OPTIONS = {
    "recent": Option(int, 10, "how many of the newest items of other issues it lists", minimum=0),
    "top_tags": Option(
        int, 10, "how many of the year's most used tags it shows (0: none)", minimum=0
    ),
}


def top_tags(items: tuple[Item, ...], count: int) -> tuple[int | None, tuple[tuple[str, int], ...]]:
    """The year of the newest item and that year's most used tags, most first, then by name."""
    if not items or count <= 0:
        return None, ()
    year = items[0].date.year
    used = Counter(tag for item in items if item.date.year == year for tag in item.tags)
    ranked = sorted(used.items(), key=lambda pair: (-pair[1], pair[0].casefold()))
    return year, tuple(ranked[:count])


def recent(site: Site, listed: Iterable[Item], count: int) -> tuple[Item, ...]:
    """The ``count`` newest items that are not ``listed`` (the latest issue's contents)."""
    shown = {item.slug for item in listed}
    return tuple(itertools.islice((i for i in site.items if i.slug not in shown), count))


def outputs(site: Site, *, options: dict, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: the page at ``/``."""
    latest = site.issues[0] if site.issues else None
    sections = site.issue_sections(latest.id) if latest else ()
    tag_index = site.data.get("tags")
    year, tags = top_tags(site.public_items, options["top_tags"]) if tag_index else (None, ())
    yield Page(
        url="/",
        template="home.html",
        context={
            "latest": latest,
            "sections": sections,
            "recent": recent(site, (i for _, items in sections for i in items), options["recent"]),
            "year": year,
            "top_tags": tags,
            "title": site.config.site.title,
            "description": site.config.site.description,
        },
    )
