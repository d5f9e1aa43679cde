"""The sections plugin: the section list and each section's pages across issues."""

from __future__ import annotations

from itertools import pairwise

import html5lib
import pytest

from gazette.diagnostics import UsageError
from helpers import ISSUE, SITE_TOML, build, build_pages, item

SECTIONS = (
    SITE_TOML.replace('title = "ICT"\n', 'title = "ICT"\ndescription = "Telecoms & networks."\n')
    + "[plugins.sections]\npage_size = 3\n"
)
ISSUE_10 = ISSUE.replace('"2020-08"', '"2020-10"').replace("number: 3", "number: 4")


def tree(html: str):
    return html5lib.parse(html, namespaceHTMLElements=False)


def items(count: int, section: str = "ict") -> dict[str, str]:
    return {
        f"content/items/{section}{n:02d}.md": item(
            title=f'"{section} {n}"', date=f"2020-08-{n + 1:02d}", section=section
        )
        for n in range(count)
    }


def pages_of(tmp_path, files, site_toml: str = SECTIONS, **options) -> dict[str, str]:
    return build_pages(tmp_path, {"site.toml": site_toml, **files}, **options)


def titles(html: str) -> list[str]:
    listing = ".//section[@aria-labelledby='section-items']//h3/a"
    return [a.text for a in tree(html).findall(listing)]


def headings(html: str) -> list[int]:
    return [int(el.tag[1]) for el in tree(html).iter() if el.tag in ("h1", "h2", "h3", "h4")]


def test_index_lists_every_section_with_description_and_count(tmp_path):
    files = {**items(2), **items(1, "horizontal")}
    index = tree(pages_of(tmp_path, files)["/sections/"])
    rows = [
        (
            li.find("a").text,
            li.find("a").get("href"),
            li.find("span[@class='count']").text,
            getattr(li.find("span[@class='muted']"), "text", None),
        )
        for li in index.findall(".//ul[@class='section-list']/li")
    ]
    assert rows == [
        ("Horizontal Issues", "/sections/horizontal/", "1", None),
        ("ICT", "/sections/ict/", "2", "Telecoms & networks."),
    ]
    assert index.find(".//h1").text == "Sections"


def test_an_empty_section_is_listed_and_has_a_page(tmp_path):
    pages = pages_of(tmp_path, items(1))
    index = tree(pages["/sections/"])
    assert index.find(".//ul[@class='section-list']/li/span[@class='count']").text == "0"
    assert "No published item in this section yet." in pages["/sections/horizontal/"]
    assert titles(pages["/sections/horizontal/"]) == []


@pytest.mark.parametrize(("count", "expected_pages"), [(0, 1), (1, 1), (3, 1), (4, 2), (7, 3)])
def test_pagination_boundaries(tmp_path, count, expected_pages):
    pages = pages_of(tmp_path, items(count))
    urls = sorted(u for u in pages if u.startswith("/sections/ict/"))
    expected = ["/sections/ict/"] + [
        f"/sections/ict/page/{n}/" for n in range(2, expected_pages + 1)
    ]
    assert urls == sorted(expected)
    shown = [titles(pages[u]) for u in expected]
    assert sum(len(t) for t in shown) == count
    assert all(len(t) <= 3 for t in shown)
    first = tree(pages["/sections/ict/"])
    if expected_pages == 1:
        assert first.find(".//nav[@class='pager']") is None
        return
    assert first.find(".//a[@rel='prev']") is None
    assert first.find(".//a[@rel='next']").get("href") == "/sections/ict/page/2/"
    last = tree(pages[expected[-1]])
    assert last.find(".//a[@rel='prev']").get("href") == expected[-2]
    assert last.find(".//a[@rel='next']") is None
    assert f"(page {expected_pages} of {expected_pages})" in last.find(".//title").text


def test_items_of_every_issue_newest_first_and_only_their_section(tmp_path):
    files = {
        "content/issues/2020-10.md": ISSUE_10,
        "content/items/a.md": item(title='"Old"', date="2019-05-01"),
        "content/items/b.md": item(title='"New"', date="2020-10-03", issue='"2020-10"'),
        "content/items/c.md": item(title='"Middle"', date="2020-08-15"),
        "content/items/h.md": item(title='"Elsewhere"', section="horizontal"),
    }
    pages = pages_of(tmp_path, files)
    assert titles(pages["/sections/ict/"]) == ["New", "Middle", "Old"]
    assert titles(pages["/sections/horizontal/"]) == ["Elsewhere"]
    page = tree(pages["/sections/ict/"])
    # Summaries name their issue by its number, since a section spans issues.
    issues = [s.find(".//p[@class='meta']/a").text for s in page.iter("article")]
    assert issues == ["Issue 4", "Issue 3", "Issue 3"]
    assert "3 items, from" in pages["/sections/ict/"]


def test_page_shows_description_and_headings_in_order(tmp_path):
    pages = pages_of(tmp_path, items(4))
    page = tree(pages["/sections/ict/"])
    assert page.find(".//h1").text == "ICT"
    assert page.find(".//p[@class='lede']").text == "Telecoms & networks."
    assert page.find(".//head/meta[@name='description']").get("content") == ("Telecoms & networks.")
    for url in ("/sections/", "/sections/ict/", "/sections/ict/page/2/"):
        levels = headings(pages[url])
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in pairwise(levels)), url


def test_menu_entry_after_issues(tmp_path):
    pages = pages_of(tmp_path, items(1))
    nav = tree(pages["/sections/ict/"]).find(".//nav[@class='site-nav']")
    links = [(a.text, a.get("href"), a.get("aria-current")) for a in nav.iter("a")]
    assert links == [("Issues", "/issues/", None), ("Sections", "/sections/", "page")]


def test_drafts_and_future_items_appear_nowhere(tmp_path):
    files = {
        **items(1),
        "content/items/secret.md": item(title='"Secret draft"', draft="true"),
        "content/items/later.md": item(title='"Scheduled"', date="2030-01-01"),
    }
    result = build(tmp_path, {"site.toml": SECTIONS, **files})
    assert result.site.data["sections"].listings[1].count == 1
    for url, data in result.files.items():
        text = data.decode(errors="replace")
        assert "Secret draft" not in text and "/items/secret/" not in text, url
        assert "Scheduled" not in text and "/items/later/" not in text, url
    index = tree(result.files["/sections/"].decode())
    assert [s.text for s in index.findall(".//span[@class='count']")] == ["0", "1"]


def test_base_path_prefixes_every_link(tmp_path):
    pages = pages_of(tmp_path, items(4), base_url="https://example.org/sub/")
    for url in ("/sections/", "/sections/ict/", "/sections/ict/page/2/"):
        page = tree(pages[url])
        hrefs = [a.get("href") for a in page.iter("a") if a.get("href")]
        assert hrefs and all(h.startswith(("/sub/", "#")) for h in hrefs), (url, hrefs)
    assert tree(pages["/sections/ict/"]).find(".//a[@rel='next']").get("href") == (
        "/sub/sections/ict/page/2/"
    )


def test_url_of_links_known_sections_only(tmp_path):
    index = build(tmp_path, {"site.toml": SECTIONS, **items(1)}).site.data["sections"]
    assert index.url_of("ict") == "/sections/ict/"
    assert index.url_of("energy") is None


def test_page_size_below_one_is_a_usage_error(tmp_path):
    site_toml = SECTIONS.replace("page_size = 3", "page_size = 0")
    with pytest.raises(UsageError) as caught:
        pages_of(tmp_path, items(2), site_toml)
    (problem,) = caught.value.diagnostics
    assert "plugins.sections.page_size is 0, must be at least 1" in problem.format()


def test_page_size_must_be_an_integer(tmp_path):
    site_toml = SECTIONS.replace("page_size = 3", 'page_size = "3"')
    with pytest.raises(UsageError) as caught:
        pages_of(tmp_path, items(1), site_toml)
    (problem,) = caught.value.diagnostics
    assert "plugins.sections.page_size is '3', expected int" in problem.format()
