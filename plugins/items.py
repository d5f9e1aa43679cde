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


def neighbours(site: Site) -> dict[str, tuple[Item | None, Item | None]]:
    """Previous and next item of each item (by slug) within its issue."""
    around: dict[str, tuple[Item | None, Item | None]] = {}
    for items in site.items_by_issue.values():
        for index, item in enumerate(items):
            before = items[index - 1] if index > 0 else None
            after = items[index + 1] if index + 1 < len(items) else None
            around[item.slug] = (before, after)
    return around


def preview_label(site: Site, item: Item) -> str:
    """The banner of a draft or scheduled item (shown only with --drafts/--future)."""
    if item.draft:
        return "Draft."
    if site.is_preview(item):
        return f"Scheduled for {item.published:%Y-%m-%d %H:%M %Z}."
    return ""


def outputs(site: Site, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: one page per published item."""
    sections = site.config.section_by_id
    around = neighbours(site)
    for item in site.items:
        before, after = around[item.slug]
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
                "preview": preview_label(site, item),
            },
            source=item.path,
        )
