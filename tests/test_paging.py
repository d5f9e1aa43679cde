"""gazette/output/paging.py: splitting a listing into pages and linking them."""

from __future__ import annotations

import dataclasses

import pytest

from gazette.output.paging import Pager, page_url, paginate


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, [0]), (1, [1]), (3, [3]), (4, [3, 1]), (6, [3, 3]), (7, [3, 3, 1])],
)
def test_pages_hold_at_most_size_items_in_order(count, sizes):
    items = list(range(count))
    pages = paginate(items, 3, "/x/")
    assert [len(page.items) for page in pages] == sizes
    assert [i for page in pages for i in page.items] == items
    assert [page.number for page in pages] == list(range(1, len(sizes) + 1))
    assert {page.count for page in pages} == {len(sizes)}


def test_an_empty_listing_has_one_empty_page():
    (page,) = paginate((), 20, "/x/")
    assert page == Pager(number=1, count=1, items=(), url="/x/", newer=None, older=None)
    assert page.first and page.last


def test_urls_and_links_between_pages():
    pages = paginate("abcdefg", 3, "/tags/5g/")
    assert [page.url for page in pages] == ["/tags/5g/", "/tags/5g/page/2/", "/tags/5g/page/3/"]
    assert [page.newer for page in pages] == [None, "/tags/5g/", "/tags/5g/page/2/"]
    assert [page.older for page in pages] == ["/tags/5g/page/2/", "/tags/5g/page/3/", None]
    assert [(page.first, page.last) for page in pages] == [
        (True, False),
        (False, False),
        (False, True),
    ]


def test_exactly_one_full_page_has_no_links():
    (page,) = paginate([1, 2, 3], 3, "/x/")
    assert (page.newer, page.older, page.count) == (None, None, 1)


def test_items_become_a_tuple_and_pages_are_frozen():
    (page,) = paginate([1, 2], 5, "/x/")
    assert page.items == (1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.number = 2  # type: ignore[misc]


def test_page_url():
    assert page_url("/archive/2020/", 1) == "/archive/2020/"
    assert page_url("/archive/2020/", 12) == "/archive/2020/page/12/"


@pytest.mark.parametrize("size", [0, -1])
def test_size_must_be_at_least_one(size):
    with pytest.raises(ValueError, match="at least one"):
        paginate([1], size, "/x/")


def test_listing_url_must_end_with_a_slash():
    with pytest.raises(ValueError, match="must end with '/'"):
        paginate([1], 1, "/x")


def test_a_title_names_the_page_only_when_there_are_several():
    one, two = paginate(list(range(3)), 2, "/tags/5g/")
    assert (one.title("#5G"), two.title("#5G")) == ("#5G (page 1 of 2)", "#5G (page 2 of 2)")
    [only] = paginate([1], 2, "/tags/5g/")
    assert only.title("#5G") == "#5G"
