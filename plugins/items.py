"""Item pages at ``/items/<slug>/``.

Each page shows the title, date, issue, section, tags, body and sources, with
links to the previous and next item of the same issue in the issue's order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gazette.model import Item, Site
from gazette.plugins import Page

OPTIONS: dict = {}


def _neighbours(site: Site, item: Item) -> tuple[Item | None, Item | None]:
    order = site.items_by_issue.get(item.issue, ())
    index = order.index(item)
    before = order[index - 1] if index > 0 else None
    after = order[index + 1] if index + 1 < len(order) else None
    return before, after


def outputs(site: Site, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: one page per published item."""
    sections = site.config.section_by_id
    for item in site.items:
        before, after = _neighbours(site, item)
        yield Page(
            url=item.url,
            template="item.html",
            context={
                "item": item,
                "issue": site.issue_by_id[item.issue],
                "section": sections[item.section],
                "previous": before,
                "next": after,
                "title": item.title,
                "description": item.summary,
            },
            source=item.path,
        )
