"""Item pages at ``/items/<slug>/``.

Each page shows the title, date, issue, section, tags, body and sources, with
links to the previous and next item of the same issue in the issue's order,
and a "Cite this item" block whose BibTeX and CSL-JSON entries download from
``data:`` links in the page (``_cite.py``).
The link boxes (story, relations, mentions, related, pager) come from
``gazette.render.item_links.page_links``: every other item at most once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gazette.content.sources import vague_sources
from gazette.diagnostics import Diagnostic
from gazette.model import Item, Site
from gazette.plugins import Page, import_file
from gazette.render.item_links import page_links

OPTIONS: dict = {}
# The item pages read the related lists, which a large archive ranks in a forked
# copy meanwhile (plugins/related.py): listing them last leaves it more time.
OUTPUTS_LAST = True
cite = import_file("items_cite", Path(__file__).resolve().parent / "_cite.py")


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


def outputs(site: Site, *, urls: Any, **kwargs: Any) -> Iterator[Page | Diagnostic]:
    """Runs in the render stage: one page per published item, and a ``vague-source``
    warning per site whose home page stands as a source."""
    if site.config.vague_sources:
        yield from vague_sources(site.items)
    sections = site.config.section_by_id
    around = neighbours(site)
    crosslinks, related = site.data.get("crosslinks"), site.data.get("related")
    for item in site.items:
        before, after = around[item.slug]
        issue, absolute = site.issue_by_id[item.issue], urls.absolute(item.url)
        links = page_links(
            item,
            crosslinks.of(item.slug) if crosslinks else None,
            related.pool(item.slug) if related else (),
            before,
            after,
            related.count if related else 0,
        )
        yield Page(
            url=item.url,
            template="item.html",
            context={
                "item": item,
                "issue": issue,
                "section": sections[item.section],
                "previous": before,
                "next": after,
                "links": links,
                "title": item.title,
                "description": item.summary,
                "preview": preview_label(site, item),
                "cite": cite.Citation(item, issue, site.config.site, absolute),
            },
            source=item.path,
        )
