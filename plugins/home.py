"""The home page: the latest issue's takeaways and contents, and the newest items."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gazette.model import Site
from gazette.plugins import Option, Page

OPTIONS = {
    "recent": Option(int, 10, "how many of the newest items the home page lists"),
}


def outputs(site: Site, *, options: dict, **kwargs: Any) -> Iterator[Page]:
    """Runs in the render stage: the page at ``/``."""
    latest = site.issues[0] if site.issues else None
    yield Page(
        url="/",
        template="home.html",
        context={
            "latest": latest,
            "sections": site.issue_sections(latest.id) if latest else (),
            "recent": site.items[: options["recent"]],
            "title": site.config.site.title,
            "description": site.config.site.description,
        },
    )
