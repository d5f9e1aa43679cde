"""Pagination of listings, shared by plugins: a pure split of items into pages.

A listing whose first page is ``/x/`` continues at ``/x/page/2/``, ``/x/page/3/``
and so on. Listings are newest first, so the previous page is the *newer* one and
the next page the *older* one. An empty listing still has one (empty) page, so
that its URL always exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pager:
    """One page of a listing, for templates (the ``pager`` macro of ``_macros.html``)."""

    number: int  # 1-based
    count: int  # how many pages the listing has, at least 1
    items: tuple[Any, ...]
    url: str
    newer: str | None  # the previous page's URL, on every page but the first
    older: str | None  # the next page's URL, on every page but the last

    @property
    def first(self) -> bool:
        return self.number == 1

    @property
    def last(self) -> bool:
        return self.number == self.count

    def title(self, title: str) -> str:
        """A page title that tells the pages apart: ``"#5G (page 2 of 7)"``."""
        return title + (f" (page {self.number} of {self.count})" if self.count > 1 else "")


def page_url(first_url: str, number: int) -> str:
    """The URL of page ``number`` of the listing that starts at ``first_url``."""
    if not first_url.endswith("/"):
        raise ValueError(f"a listing's URL must end with '/', not {first_url!r}")
    return first_url if number == 1 else f"{first_url}page/{number}/"


def paginate(items: Sequence[Any], size: int, first_url: str) -> tuple[Pager, ...]:
    """Split ``items`` into pages of at most ``size``, keeping their order."""
    if size < 1:
        raise ValueError(f"a page holds at least one item, not {size}")
    chunks = [tuple(items[i : i + size]) for i in range(0, len(items), size)] or [()]
    count = len(chunks)
    return tuple(
        Pager(
            number=number,
            count=count,
            items=chunk,
            url=page_url(first_url, number),
            newer=page_url(first_url, number - 1) if number > 1 else None,
            older=page_url(first_url, number + 1) if number < count else None,
        )
        for number, chunk in enumerate(chunks, start=1)
    )
