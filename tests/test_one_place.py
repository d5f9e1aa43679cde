"""One place per link (issue 17): an item page links each other item once, the
related-items diversity rule, the pager rule, and a home page without repeats."""

from __future__ import annotations

from collections import Counter
from datetime import date
from types import SimpleNamespace
from urllib.parse import urlsplit

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_crosslinks import KEY_POINTS, SITE, build_sample, doc

from gazette.render.item_links import diverse, page_links
from helpers import build, item


def fake(slug: str, issue: str = "I0", year: int = 2021) -> SimpleNamespace:
    """What the rules read of an item: slug, issue and date."""
    return SimpleNamespace(slug=slug, issue=issue, date=date(year, 1, 1), title=slug.upper())


def links(**fields) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """An ItemLinks of the crosslinks plugin, empty but for ``fields``."""
    empty = dict(follows=None, supersedes=None, previous_issue=None, next_issue=None)
    empty.update({name: () for name in ("followed_by", "superseded_by", "thread")})
    empty.update(mentioned_in=(), links_to=())
    return SimpleNamespace(**{**empty, **fields})


def slugs(items) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.slug for i in items]


def tree(markup: str):  # type: ignore[no-untyped-def]
    return html5lib.parse(markup, namespaceHTMLElements=False)


def item_hrefs(element) -> list[str]:  # type: ignore[no-untyped-def]
    """Slugs of the item pages that the links under ``element`` point to."""
    found = []
    for a in element.iter("a"):
        parts = urlsplit(a.get("href", "")).path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "items":
            found.append(parts[1])
    return found


# --- the diversity rule ---------------------------------------------------------


def test_diversity_prefers_other_issues_and_years_then_fills_in_rank_order():
    me = fake("me", "I0", 2021)
    ranked = [
        fake("c1", "I0", 2021),  # this item's issue: only in pass 4
        fake("c2", "I1", 2021),  # this item's year: pass 3
        fake("c3", "I1", 2020),  # pass 1: new issue, new year
        fake("c4", "I2", 2020),  # 2020 taken by c3, I2 by c6 by pass 2
        fake("c5", "I3", 2019),  # pass 1
        fake("c6", "I2", 2018),  # pass 1
        fake("c7", "I4", 2021),  # pass 2: new issue, old year
        fake("c8", "I0", 2019),
    ]
    # Pass 1 takes c3, c5, c6; pass 2 takes c7; pass 3 takes c2. Shown in rank order.
    assert slugs(diverse(ranked, me, 5)) == ["c2", "c3", "c5", "c6", "c7"]
    assert slugs(diverse(ranked, me, 3)) == ["c3", "c5", "c6"]
    assert slugs(diverse(ranked, me, 8)) == slugs(ranked)  # pass 4 fills up
    assert diverse(ranked, me, 0) == ()


def _reference_diverse(candidates, item, count):  # type: ignore[no-untyped-def]
    """The rule as first written (four passes of predicates): `diverse` must equal it."""
    passes = (
        lambda c: c.issue not in issues and c.date.year not in years,
        lambda c: c.issue not in issues,
        lambda c: c.issue != item.issue,
        lambda c: True,
    )
    pool, seen = [], {item.slug}
    for candidate in candidates:
        if candidate.slug not in seen:
            seen.add(candidate.slug)
            pool.append(candidate)
    picked: set[int] = set()
    issues, years = {item.issue}, {item.date.year}
    for condition in passes:
        for position, candidate in enumerate(pool):
            if len(picked) >= count:
                break
            if position not in picked and condition(candidate):
                picked.add(position)
                issues.add(candidate.issue)
                years.add(candidate.date.year)
    return tuple(pool[position] for position in sorted(picked))


_fakes = st.builds(
    fake,
    st.sampled_from(["me", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]),
    st.sampled_from(["I0", "I1", "I2", "I3"]),
    st.integers(2019, 2022),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_fakes, max_size=14), _fakes, st.integers(-1, 9))
def test_diversity_equals_the_rule_as_first_written(candidates, me, count):
    assert diverse(candidates, me, count) == _reference_diverse(candidates, me, count)


def test_diversity_falls_back_to_rank_order_within_one_issue():
    me = fake("me", "I0")
    ranked = [fake(f"c{n}", "I0") for n in range(7)]
    assert slugs(diverse(ranked, me, 5)) == ["c0", "c1", "c2", "c3", "c4"]
    assert slugs(diverse(ranked[:2], me, 5)) == ["c0", "c1"]


def test_diversity_never_picks_the_item_itself_or_a_candidate_twice():
    me = fake("me", "I0")
    ranked = [fake("me", "I9", 2000), fake("a", "I1"), fake("a", "I1"), fake("b", "I0")]
    assert slugs(diverse(ranked, me, 5)) == ["a", "b"]


def test_all_five_from_one_issue_become_five_issues_when_the_pool_has_them():
    me = fake("me", "I0", 2021)
    ranked = [fake(f"same{n}", "I1", 2020) for n in range(5)]
    ranked += [fake(f"other{n}", f"J{n}", 2015 + n) for n in range(5)]
    shown = diverse(ranked, me, 5)
    assert slugs(shown) == ["same0", "other0", "other1", "other2", "other3"]
    assert len({i.issue for i in shown}) == 5


# --- which box shows what ------------------------------------------------------------


def test_a_relation_in_the_story_is_shown_in_the_timeline_only():
    me, old, new = fake("me"), fake("old"), fake("new")
    found = page_links(
        me,
        links(follows=old, followed_by=(new,), thread=(old, me, new), mentioned_in=(new,)),
        candidates=[old, new, fake("x", "I1")],
    )
    assert found.relations == ()
    assert found.mentioned_in == ()
    assert slugs(found.thread) == ["old", "me", "new"]
    assert found.role("old") == "followed by this item"
    assert found.role("new") == "follows this item"
    assert slugs(found.related) == ["x"]


def test_relations_outside_a_story_keep_their_box_and_the_first_label_wins():
    me, other = fake("me"), fake("other")
    found = page_links(me, links(follows=other, supersedes=other, mentioned_in=(other,)))
    assert found.relations == (("Follows", (other,)),)
    assert found.mentioned_in == ()


def test_the_pager_leaves_out_a_side_linked_above_and_related_leaves_out_the_pager():
    me, mentioner, plain, far = fake("me"), fake("mentioner"), fake("plain"), fake("far", "I1")
    found = page_links(
        me,
        links(mentioned_in=(mentioner,)),
        candidates=[plain, mentioner, far],
        before=mentioner,
        after=plain,
    )
    assert found.previous is None  # linked under "Mentioned in"
    assert found.next is plain
    assert slugs(found.related) == ["far"]  # not plain (the pager), not the mentioner


def test_an_item_the_body_links_keeps_its_place_in_the_story_unlinked():
    me, linked, other = fake("me"), fake("linked"), fake("other")
    found = page_links(
        me,
        links(thread=(linked, me, other), links_to=(linked, fake("elsewhere"))),
        candidates=[fake("elsewhere"), linked, fake("y", "I2")],
        before=linked,
    )
    assert found.in_text == {"linked"}
    assert found.previous is None
    assert slugs(found.related) == ["y"]
    assert slugs(found.linked()) == ["other", "y"]


def test_the_page_never_links_its_own_item():
    me = fake("me")
    found = page_links(
        me, links(mentioned_in=(me,), follows=me), candidates=[me], before=me, after=me
    )
    assert found.linked() == ()


def test_without_crosslinks_or_related_only_the_pager_remains():
    me, before = fake("me"), fake("before")
    found = page_links(me, None, (), before, None, 5)
    assert (found.thread, found.related, found.previous) == ((), (), before)


# --- the built sample archive ---------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):  # type: ignore[no-untyped-def]
    return build_sample(tmp_path_factory.mktemp("sample"))


def test_no_item_page_links_another_item_twice(sample):
    pages = 0
    for it in sample.site.items:
        main = tree(sample.files[it.url].decode()).find(".//main")
        counts = Counter(slug for slug in item_hrefs(main) if slug != it.slug)
        assert [slug for slug, n in counts.items() if n > 1] == [], it.slug
        pages += 1
    assert pages == len(sample.site.items) >= 60


def test_item_pages_show_the_diverse_related_items_of_the_plugin(sample):
    """The page shows ``Related.of``; it spreads over issues whenever its pool can."""
    related = sample.site.data["related"]
    own_issue = 0
    for it in sample.site.items:
        page = tree(sample.files[it.url].decode())
        box = page.find(".//section[@aria-labelledby='related-heading']")
        shown = related.of(it.slug)
        assert item_hrefs(box) == slugs(shown), it.slug
        others = {i.issue for i in related.pool(it.slug)} - {it.issue}
        assert len({i.issue for i in shown}) >= min(2, len(others)), it.slug
        own_issue += sum(i.issue == it.issue for i in shown)
    # In rank order alone, 139 of the 315 shown came from the item's own issue.
    assert own_issue < 40


def test_the_body_comes_right_after_the_summary_and_the_boxes_after_the_body(sample):
    page = tree(sample.files[f"/items/{KEY_POINTS[1]}/"].decode())
    article = page.find(".//article")
    order = [
        child.get("class", "").split()[0] if child.tag != "header" else "header"
        for child in article
    ]
    assert order.index("prose") == order.index("header") + 1
    assert order.index("thread") > order.index("prose")
    assert order.index("item-links") > order.index("prose")


def test_the_home_page_lists_no_item_twice(sample):
    main = tree(sample.files["/"].decode()).find(".//main")
    listed = item_hrefs(main)
    assert len(listed) == len(set(listed))
    latest = sample.site.issues[0]
    recent = item_hrefs(main.find(".//section[@class='recent']"))
    assert len(recent) == 10  # still as many as the option asks
    assert not {i.slug for i in sample.site.items_by_issue[latest.id]} & set(recent)


def test_a_built_page_with_story_pager_and_related_links_each_item_once(tmp_path):
    text = "harbour crane safety standard\n" * 3
    files = {
        "site.toml": SITE + "[plugins.related]\n",
        "content/items/a.md": doc(text, title='"A"', order="1"),
        "content/items/b.md": doc(text, title='"B"', order="2", follows="a"),
        "content/items/c.md": doc(text + "See [[a]].\n", title='"C"', order="3"),
        "content/items/d.md": doc(text, title='"D"', order="4"),
        "content/items/e.md": item(title='"E harbour crane"', order="5"),
    }
    result = build(tmp_path, files)
    page = tree(result.files["/items/b/"].decode())
    main = page.find(".//main")
    assert page.find(".//dl[@class='relations']") is None  # a is in the story
    pager = {a.get("rel"): a.get("href") for a in main.iter("a") if a.get("rel")}
    assert pager == {"next": "/items/c/"}  # the previous one, a, is in the story
    counts = Counter(item_hrefs(main))
    assert counts == {"a": 1, "c": 1, "d": 1, "e": 1}
    assert "c" not in slugs(result.site.data["related"].of("b"))
