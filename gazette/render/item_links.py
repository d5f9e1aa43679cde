"""What the link boxes of an item page show: every other item once, in its most specific place.

An item page can reach another item from several places: its body, the story
timeline ("The story so far"), the relations (Follows, Followed by,
Supersedes, Superseded by), "Mentioned in", "Related" and the in-issue pager
(Previous/Next in this issue). `page_links` decides, for one page, where each
other item appears, so that none appears twice:

1. **The body** comes first: an item the text links to is not linked again.
   The story timeline still lists it, for the story's order, but as plain
   text marked "linked in the text" (`PageLinks.in_text`).
2. **The story timeline** (the whole thread, oldest first) links every other
   member of the story.
3. **Relations** show only items the timeline does not: an item in a story
   therefore has no relations box (its relations are all in its story); the
   timeline says instead how an entry relates to this item ("follows this
   item", `PageLinks.roles`).
4. **Mentioned in**: the items that link to this one, less those above.
5. **The in-issue pager** is navigation, not a box: a side whose target is
   already linked above (body, timeline, relations, mentions) is left out,
   and the items it shows are not repeated under "Related".
6. **Related**: the ranked candidates less everything above, then
   `diverse` picks up to ``count`` of them.

The page's own item is never linked (the timeline shows it in bold, "this
item"). Within a box, the first mention wins (Follows before Followed by
before Supersedes before Superseded by).

`diverse` is the related-items diversity rule: from candidates in rank order
it picks up to ``count`` by four greedy passes, each walking the candidates
not yet picked in rank order and taking those that meet its condition while
fewer than ``count`` are picked:

1. an issue other than the page's item's and the picked items', and a year
   (of the item's date) other than the page's item's and the picked items';
2. an issue other than the page's item's and the picked items';
3. an issue other than the page's item's;
4. any (rank order fills what is left).

The picked items are shown in rank order. The result depends on the
candidates' order, issues and dates alone, so it is deterministic.

Pure functions of frozen values, no library needed: the input is a handful
of items per page. Used by ``plugins/items.py`` (the page context) and
``plugins/related.py`` (``Related.of``, which equals what the page shows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from gazette.model import Issue, Item


class Links(Protocol):
    """What `page_links` reads of the crosslinks plugin's ``ItemLinks``."""

    follows: Item | None
    followed_by: tuple[Item, ...]
    supersedes: Item | None
    superseded_by: tuple[Item, ...]
    thread: tuple[Item, ...]
    mentioned_in: tuple[Item, ...]
    links_to: tuple[Item, ...]
    previous_issue: Issue | None
    next_issue: Issue | None


@dataclass(frozen=True)
class PageLinks:
    """What each box of one item page shows (every other item at most once)."""

    slug: str = ""  # the page's own item (in the timeline, never linked)
    follows: tuple[Item, ...] = ()  # zero or one
    followed_by: tuple[Item, ...] = ()
    supersedes: tuple[Item, ...] = ()  # zero or one
    superseded_by: tuple[Item, ...] = ()
    thread: tuple[Item, ...] = ()  # the whole story, this item included, oldest first
    roles: tuple[tuple[str, str], ...] = ()  # (slug, "follows this item", ...) in the timeline
    in_text: frozenset[str] = frozenset()  # slugs the body links to: unlinked in the timeline
    mentioned_in: tuple[Item, ...] = ()
    related: tuple[Item, ...] = ()
    previous: Item | None = None  # in the issue, when not linked above
    next: Item | None = None
    previous_issue: Issue | None = None
    next_issue: Issue | None = None

    @property
    def relations(self) -> tuple[tuple[str, tuple[Item, ...]], ...]:
        """``(label, items)`` of the relations box, empty labels left out."""
        labelled = (
            ("Follows", self.follows),
            ("Followed by", self.followed_by),
            ("Supersedes", self.supersedes),
            ("Superseded by", self.superseded_by),
        )
        return tuple((label, items) for label, items in labelled if items)

    def role(self, slug: str) -> str:
        """How a timeline entry relates to this item ("" if not directly)."""
        return next((role for other, role in self.roles if other == slug), "")

    def linked(self) -> tuple[Item, ...]:
        """Every item the boxes and the pager link to, in page order (for tests)."""
        timeline = tuple(i for i in self.thread if i.slug not in {self.slug, *self.in_text})
        relations = tuple(i for _, items in self.relations for i in items)
        pager = tuple(i for i in (self.previous, self.next) if i is not None)
        return (*relations, *timeline, *self.mentioned_in, *self.related, *pager)


def page_links(
    item: Item,
    links: Links | None,
    candidates: Sequence[Item] = (),
    before: Item | None = None,
    after: Item | None = None,
    count: int = 5,
) -> PageLinks:
    """The boxes of ``item``'s page: ``links`` from the crosslinks plugin (None
    without it), related ``candidates`` best first, the items before and after
    it in its issue (``before``, ``after``), and how many related items to show."""
    shown = {item.slug}
    in_text = frozenset(other.slug for other in links.links_to) - shown if links else frozenset()
    shown |= in_text
    thread = links.thread if links else ()
    shown |= {other.slug for other in thread}

    def fresh(items: Iterable[Item | None]) -> tuple[Item, ...]:
        kept = []
        for other in items:
            if other is not None and other.slug not in shown:
                kept.append(other)
                shown.add(other.slug)
        return tuple(kept)

    if links is None:
        relations: tuple[tuple[Item, ...], ...] = ((), (), (), ())
        mentioned_in: tuple[Item, ...] = ()
    else:
        relations = (
            fresh([links.follows]),
            fresh(links.followed_by),
            fresh([links.supersedes]),
            fresh(links.superseded_by),
        )
        mentioned_in = fresh(links.mentioned_in)
    previous, next_ = fresh([before]), fresh([after])
    related = diverse([c for c in candidates if c.slug not in shown], item, count)
    return PageLinks(
        item.slug,
        *relations,
        thread=thread,
        roles=_roles(links, {other.slug for other in thread}) if links else (),
        in_text=in_text & {other.slug for other in thread},
        mentioned_in=mentioned_in,
        related=related,
        previous=previous[0] if previous else None,
        next=next_[0] if next_ else None,
        previous_issue=links.previous_issue if links else None,
        next_issue=links.next_issue if links else None,
    )


def _roles(links: Links, thread: set[str]) -> tuple[tuple[str, str], ...]:
    """The relations that the timeline shows instead of the relations box."""
    named = (
        ((links.follows,), "followed by this item"),
        (links.followed_by, "follows this item"),
        ((links.supersedes,), "superseded by this item"),
        (links.superseded_by, "supersedes this item"),
    )
    roles: dict[str, str] = {}
    for others, role in named:
        for other in others:
            if other is not None and other.slug in thread:
                roles.setdefault(other.slug, role)
    return tuple(roles.items())


def diverse(candidates: Sequence[Item], item: Item, count: int) -> tuple[Item, ...]:
    """Up to ``count`` of ``candidates`` (best first), preferring other issues and
    years than ``item``'s and than those already picked; shown in rank order.

    The four passes are listed in the module docstring. ``item`` itself is
    never picked, nor is any candidate twice.
    """
    pool: list[Item] = []  # each candidate once, at its best place
    seen = {item.slug}
    for candidate in candidates:
        if candidate.slug not in seen:
            seen.add(candidate.slug)
            pool.append(candidate)
    if len(pool) <= count:  # the last pass takes whatever the others left
        return tuple(pool)
    # Asked for every item page of the archive on every build: each candidate's
    # issue and year are read once, and the passes are plain comparisons.
    keys = [(candidate.issue, candidate.date.year) for candidate in pool]
    picked = [False] * len(pool)
    taken = 0
    home = item.issue
    issues, years = {home}, {item.date.year}
    for rule in range(4):  # other issue and year; other issue; not this issue; any
        for position, (issue, year) in enumerate(keys):
            if taken >= count:
                break
            if picked[position]:
                continue
            if (
                (rule == 0 and (issue in issues or year in years))
                or (rule == 1 and issue in issues)
                or (rule == 2 and issue == home)
            ):
                continue
            picked[position] = True
            taken += 1
            issues.add(issue)
            years.add(year)
    return tuple(candidate for candidate, chosen in zip(pool, picked, strict=True) if chosen)
