"""The tags plugin: index, tag pages, pagination, chart, co-occurrence, redirects."""

from __future__ import annotations

import html5lib
import pytest

from helpers import SITE_TOML, build, build_pages, item

SVG = "{http://www.w3.org/2000/svg}"
TAGS = SITE_TOML + "[plugins.tags]\npage_size = 3\n"


def tree(html: str):
    return html5lib.parse(html, namespaceHTMLElements=False)


def items(count: int, tags: str = '["5G"]', year: int = 2020) -> dict[str, str]:
    return {
        f"content/items/i{n:02d}.md": item(
            title=f'"Item {n}"', date=f"{year}-08-{n + 1:02d}", tags=tags
        )
        for n in range(count)
    }


def pages_of(tmp_path, files, **options) -> dict[str, str]:
    return build_pages(tmp_path, {"site.toml": TAGS, **files}, **options)


def titles(html: str) -> list[str]:
    return [a.text for a in tree(html).findall(".//section[@aria-labelledby='tag-items']//h3/a")]


def test_aliases_and_case_variants_are_listed_under_the_canonical_tag(tmp_path):
    files = {
        "content/items/a.md": item(title='"A"', tags='["standards"]'),
        "content/items/b.md": item(title='"B"', tags='["#Standardization "]'),
        "content/items/c.md": item(title='"C"', tags='["STANDARD"]'),
    }
    pages = pages_of(tmp_path, files)
    assert sorted(titles(pages["/tags/standardisation/"])) == ["A", "B", "C"]
    chip = tree(pages["/items/a/"]).find(".//ul[@class='tags']/li/a")
    assert (chip.get("href"), chip.text) == ("/tags/standardisation/", "#Standardisation")


@pytest.mark.parametrize(("count", "expected_pages"), [(0, 1), (1, 1), (3, 1), (4, 2), (7, 3)])
def test_pagination_boundaries(tmp_path, count, expected_pages):
    pages = pages_of(tmp_path, items(count))
    urls = sorted(u for u in pages if u.startswith("/tags/5g/"))
    expected = ["/tags/5g/"] + [f"/tags/5g/page/{n}/" for n in range(2, expected_pages + 1)]
    assert urls == sorted(expected)
    shown = [titles(pages[u]) for u in expected]
    assert sum(len(t) for t in shown) == count
    assert all(len(t) <= 3 for t in shown)
    if count == 0:
        assert "No published item carries this tag yet." in pages["/tags/5g/"]
    if expected_pages > 1:
        first = tree(pages["/tags/5g/"])
        assert first.find(".//a[@rel='next']").get("href") == "/tags/5g/page/2/"
        last = tree(pages[expected[-1]])
        assert last.find(".//a[@rel='prev']").get("href") == (
            "/tags/5g/" if expected_pages == 2 else f"/tags/5g/page/{expected_pages - 1}/"
        )
        assert last.find(".//a[@rel='next']") is None


def test_newest_items_come_first_across_pages(tmp_path):
    pages = pages_of(tmp_path, items(4))
    assert titles(pages["/tags/5g/"]) == ["Item 3", "Item 2", "Item 1"]
    assert titles(pages["/tags/5g/page/2/"]) == ["Item 0"]


def test_counts_dates_and_co_occurrence(tmp_path):
    files = {
        "content/items/a.md": item(date="2018-03-01", tags='["5G", "MIIT"]'),
        "content/items/b.md": item(date="2020-05-01", tags='["5G", "MIIT", "AI"]'),
        "content/items/c.md": item(date="2020-06-01", tags='["5G", "AI"]'),
        "content/items/d.md": item(date="2020-07-01", tags='["5G", "MIIT"]'),
    }
    result = build(tmp_path, {"site.toml": TAGS, **files})
    stats = result.site.data["tags"].stats["5G"]
    assert stats.count == 4
    assert (stats.first.isoformat(), stats.last.isoformat()) == ("2018-03-01", "2020-07-01")
    assert stats.related == (("MIIT", 3), ("AI", 2))
    assert stats.per_year == ((2018, 1), (2019, 0), (2020, 3))
    assert result.site.data["tags"].stats["Cybersecurity"].count == 0
    page = result.files["/tags/5g/"].decode()
    assert "4 items, from" in page and "1 March 2018" in page and "1 July 2020" in page


def test_svg_chart_has_a_bar_per_year_scaled_to_the_busiest(tmp_path):
    files = {
        "content/items/a.md": item(date="2018-03-01"),
        "content/items/b.md": item(date="2020-05-01"),
        "content/items/c.md": item(date="2020-06-01"),
    }
    svg = tree(pages_of(tmp_path, files)["/tags/5g/"]).find(f".//{SVG}svg")
    bars = svg.findall(f".//{SVG}g[@class='bar']")
    labels = [bar.find(f"{SVG}title").text for bar in bars]
    heights = [int(bar.find(f"{SVG}rect").get("height")) for bar in bars]
    assert labels == ["2018: 1 item", "2019: 0 items", "2020: 2 items"]
    assert heights == [40, 0, 80]
    assert [int(bar.find(f"{SVG}rect").get("y")) for bar in bars] == [40, 80, 0]
    assert svg.get("role") == "img"


def test_index_groups_tags_with_counts_and_weights(tmp_path):
    files = {**items(3), "content/items/m.md": item(tags='["MIIT"]')}
    index = tree(pages_of(tmp_path, files)["/tags/"])
    groups = {
        section.find("h2/a").text: {
            li.get("data-name"): (li.get("data-count"), li.find("a").get("class"))
            for li in section.findall(".//li")
        }
        for section in index.findall(".//section[@class='tag-group']")
    }
    assert groups["ICT"]["5g"] == ("3", "tag weight-5")
    assert groups["ICT"]["cybersecurity"] == ("0", "tag weight-1")
    assert groups["Horizontal"]["miit"][0] == "1"
    assert list(groups) == ["Horizontal", "ICT"]


def test_group_pages_list_their_tags(tmp_path):
    page = tree(pages_of(tmp_path, items(1))["/tags/group/ict/"])
    assert page.find(".//h1").text == "ICT"
    assert [a.text for a in page.findall(".//ul[@class='tag-list']//a")] == [
        "#5G",
        "#AI",
        "#Cybersecurity",
    ]


def test_alias_urls_redirect_to_the_canonical_tag(tmp_path):
    pages = pages_of(tmp_path, items(1), base_url="https://u.github.io/repo/")
    for alias in ("standardization", "standards", "standard", "artificial-intelligence"):
        head = tree(pages[f"/tags/{alias}/"]).find("head")
        refresh = head.find("meta[@http-equiv='refresh']").get("content")
        canonical = head.find("link[@rel='canonical']").get("href")
        target = "ai" if alias.startswith("artificial") else "standardisation"
        assert refresh == f"0; url=/repo/tags/{target}/"
        assert canonical == f"https://u.github.io/repo/tags/{target}/"


def test_feed_link_appears_when_a_feeds_plugin_provides_one(tmp_path):
    feeds = (
        "class Feeds:\n"
        "    def tag_feed(self, tag):\n"
        "        return f'/feeds/tags/{tag.lower()}.xml'\n\n"
        "def link(site, **kwargs):\n"
        "    return Feeds()\n"
    )
    files = {**items(1), "plugins/feeds.py": feeds, "site.toml": TAGS + "[plugins.feeds]\n"}
    page = tree(build_pages(tmp_path, files)["/tags/5g/"])
    alternate = page.find(".//head/link[@rel='alternate']")
    assert alternate.get("href") == "/feeds/tags/5g.xml"
    assert any(a.text == "Subscribe to #5G" for a in page.iter("a"))
    without = tree(pages_of(tmp_path / "no-feeds", items(1))["/tags/5g/"])
    assert without.find(".//head/link[@rel='alternate']") is None


def test_tag_title_with_markup_is_escaped(tmp_path):
    tags_yml = 'tags:\n  "<b>Bold</b>":\n    slug: bold\n    description: "x \\"><script>"\n'
    files = {
        "content/tags.yml": tags_yml,
        "content/items/a.md": item(tags='["<b>Bold</b>"]'),
        "site.toml": TAGS,
    }
    pages = build_pages(tmp_path, files)
    for url in ("/tags/", "/tags/bold/", "/items/a/"):
        assert "<b>Bold" not in pages[url] and "<script>" not in pages[url]
        assert "&lt;b&gt;Bold&lt;/b&gt;" in pages[url]
