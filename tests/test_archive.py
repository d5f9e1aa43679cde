"""The archive plugin: the year-by-month grid, year pages and month pages."""

from __future__ import annotations

from itertools import pairwise

import html5lib
import pytest

from helpers import SITE_TOML, build, build_pages, item

ARCHIVE = SITE_TOML + "[plugins.archive]\npage_size = 3\n"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EN_DASH = "–"


def tree(html: str):
    return html5lib.parse(html, namespaceHTMLElements=False)


def dated(*dates: str) -> dict[str, str]:
    """One item per date, titled by its date (and its position, for same-day items)."""
    return {
        f"content/items/i{n:02d}.md": item(title=f'"{day} #{n}"', date=day)
        for n, day in enumerate(dates)
    }


def in_august(count: int) -> dict[str, str]:
    return dated(*(f"2020-08-{n + 1:02d}" for n in range(count)))


def pages_of(tmp_path, files, site_toml: str = ARCHIVE, **options) -> dict[str, str]:
    return build_pages(tmp_path, {"site.toml": site_toml, **files}, **options)


def titles(html: str) -> list[str]:
    return [a.text for a in tree(html).findall(".//main//article//h3/a")]


def grid(html: str) -> tuple[str, list[str], list[list[tuple[str, str | None]]]]:
    """The caption, the header row and, per row, each cell's (text, link)."""
    table = tree(html).find(".//table")
    header = [th.findtext(".//abbr") or th.text for th in table.findall("thead/tr/th")]
    rows = []
    for tr in table.findall("tbody/tr"):
        cells = []
        for cell in tr:
            link = cell.find("a")
            text = "".join(cell.itertext()).strip()
            cells.append((text, link.get("href") if link is not None else None))
        rows.append(cells)
    return table.find("caption").text, header, rows


def headings(html: str) -> list[int]:
    return [int(el.tag[1]) for el in tree(html).iter() if el.tag in ("h1", "h2", "h3", "h4")]


def test_grid_has_a_row_per_year_including_empty_years_between(tmp_path):
    pages = pages_of(tmp_path, dated("2017-11-20", "2020-08-01", "2020-08-02", "2020-12-31"))
    caption, header, rows = grid(pages["/archive/"])
    assert caption == "Items per month, 2017–2020"
    assert header == ["Year", *MONTHS, "Total"]
    assert [row[0] for row in rows] == [
        ("2020", "/archive/2020/"),
        ("2019", None),
        ("2018", None),
        ("2017", "/archive/2017/"),
    ]
    assert [row[-1][0] for row in rows] == ["3", "0", "0", "1"]
    months_2020 = rows[0][1:13]
    assert months_2020[7] == ("2", "/archive/2020/08/")
    assert months_2020[11] == ("1", "/archive/2020/12/")
    assert rows[3][11] == ("1", "/archive/2017/11/")
    linked = [(r, c) for r, row in enumerate(rows) for c, cell in enumerate(row[1:13]) if cell[1]]
    assert linked == [(0, 7), (0, 11), (3, 10)]
    assert all(cell == (EN_DASH, None) for row in rows for cell in row[1:13] if not cell[1])


def test_grid_is_an_accessible_table(tmp_path):
    pages = pages_of(tmp_path, dated("2020-08-01", "2020-08-02"))
    page = tree(pages["/archive/"])
    table = page.find(".//table")
    assert {th.get("scope") for th in table.findall("thead/tr/th")} == {"col"}
    assert {th.get("scope") for th in table.findall("tbody/tr/th")} == {"row"}
    assert [abbr.get("title") for abbr in table.findall(".//abbr")][:2] == ["January", "February"]
    row = table.find("tbody/tr")
    july, august = row.findall("td")[6:8]
    assert july.get("class") == "empty"
    assert july.find("span").get("role") == "img"
    assert july.find("span").get("aria-label") == "no items"
    assert august.find("a").get("aria-label") == "2 items in August 2020"
    region = page.find(".//div[@class='archive-grid']")
    assert region.get("aria-labelledby") == table.find("caption").get("id")


def test_single_year_caption_and_empty_archive(tmp_path):
    _, _, rows = grid(pages_of(tmp_path, dated("2020-03-01"))["/archive/"])
    assert len(rows) == 1
    page = pages_of(tmp_path / "empty", {})["/archive/"]
    assert tree(page).find(".//table") is None
    assert "No published items yet." in page


def test_pages_exist_only_for_years_and_months_with_items(tmp_path):
    pages = pages_of(tmp_path, dated("2018-01-05", "2020-08-01", "2020-10-09"))
    assert sorted(u for u in pages if u.startswith("/archive/")) == [
        "/archive/",
        "/archive/2018/",
        "/archive/2018/01/",
        "/archive/2020/",
        "/archive/2020/08/",
        "/archive/2020/10/",
    ]


def test_year_page_groups_items_by_month_newest_first(tmp_path):
    files = dated("2020-01-15", "2020-08-01", "2020-08-20", "2020-10-09", "2019-12-31")
    site_toml = ARCHIVE.replace("page_size = 3", "page_size = 50")
    page = tree(pages_of(tmp_path, files, site_toml)["/archive/2020/"])
    assert page.find(".//h1").text == "2020"
    groups = [
        (
            section.find("h2/a").text,
            section.find("h2/a").get("href"),
            [a.text for a in section.findall(".//h3/a")],
        )
        for section in page.findall(".//section[@class='archive-month']")
    ]
    assert groups == [
        ("October 2020", "/archive/2020/10/", ["2020-10-09 #3"]),
        ("August 2020", "/archive/2020/08/", ["2020-08-20 #2", "2020-08-01 #1"]),
        ("January 2020", "/archive/2020/01/", ["2020-01-15 #0"]),
    ]
    months = page.find(".//nav[@class='archive-months']")
    assert [(a.text, a.get("href")) for a in months.iter("a")] == [
        ("October", "/archive/2020/10/"),
        ("August", "/archive/2020/08/"),
        ("January", "/archive/2020/01/"),
    ]
    assert page.find(".//nav[@class='pager']") is None


def test_month_page_lists_that_months_items_newest_first(tmp_path):
    files = dated("2020-08-03", "2020-08-31", "2020-09-01", "2020-07-31", "2019-08-15")
    html = pages_of(tmp_path, files)["/archive/2020/08/"]
    page = tree(html)
    assert page.find(".//h1").text == "August 2020"
    assert titles(html) == [
        "2020-08-31 #1",
        "2020-08-03 #0",
    ]
    kicker = [(a.text, a.get("href")) for a in page.findall(".//p[@class='kicker']/a")]
    assert kicker == [("Archive", "/archive/"), ("2020", "/archive/2020/")]


@pytest.mark.parametrize(("count", "expected_pages"), [(1, 1), (3, 1), (4, 2), (7, 3)])
@pytest.mark.parametrize("listing", ["/archive/2020/", "/archive/2020/08/"])
def test_pagination_boundaries(tmp_path, count, expected_pages, listing):
    pages = pages_of(tmp_path, in_august(count))
    expected = [listing] + [f"{listing}page/{n}/" for n in range(2, expected_pages + 1)]
    paged = sorted(u for u in pages if u.startswith(f"{listing}page/"))
    assert paged == sorted(expected[1:])
    shown = [titles(pages[u]) for u in expected]
    assert [t for page in shown for t in page] == [
        f"2020-08-{n + 1:02d} #{n}" for n in reversed(range(count))
    ]
    assert all(len(t) <= 3 for t in shown)
    first = tree(pages[listing])
    if expected_pages == 1:
        assert first.find(".//nav[@class='pager']") is None
        return
    assert first.find(".//a[@rel='next']").get("href") == f"{listing}page/2/"
    last = tree(pages[expected[-1]])
    assert last.find(".//a[@rel='prev']").get("href") == expected[-2]
    assert last.find(".//a[@rel='next']") is None


def test_a_month_split_across_year_pages_keeps_its_heading_on_each(tmp_path):
    pages = pages_of(tmp_path, in_august(4))
    for url in ("/archive/2020/", "/archive/2020/page/2/"):
        page = tree(pages[url])
        assert [h.text for h in page.findall(".//section[@class='archive-month']/h2/a")] == [
            "August 2020"
        ]


def test_headings_are_in_order(tmp_path):
    pages = pages_of(tmp_path, dated("2019-05-01", "2020-08-01", "2020-09-01"))
    for url in ("/archive/", "/archive/2020/", "/archive/2020/08/"):
        levels = headings(pages[url])
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in pairwise(levels)), url


def test_drafts_and_future_items_appear_nowhere(tmp_path):
    files = {
        **dated("2020-08-01"),
        "content/items/secret.md": item(title='"Secret draft"', date="2021-03-01", draft="true"),
        "content/items/later.md": item(title='"Scheduled"', date="2030-01-01"),
    }
    result = build(tmp_path, {"site.toml": ARCHIVE, **files})
    assert not any(u.startswith(("/archive/2021/", "/archive/2030/")) for u in result.files)
    for url, data in result.files.items():
        text = data.decode(errors="replace")
        assert "Secret draft" not in text and "/items/secret/" not in text, url
        assert "Scheduled" not in text and "/items/later/" not in text, url
    _, _, rows = grid(result.files["/archive/"].decode())
    assert [row[0][0] for row in rows] == ["2020"]
    archive = result.site.data["archive"]
    assert [year.year for year in archive.years] == [2020]


def test_base_path_prefixes_every_link(tmp_path):
    files = dated("2018-02-01", "2020-08-01", "2020-08-02", "2020-08-03", "2020-08-04")
    pages = pages_of(tmp_path, files, base_url="https://example.org/sub/")
    urls = [u for u in pages if u.startswith("/archive/")]
    assert "/archive/2020/page/2/" in urls and "/archive/2020/08/page/2/" in urls
    for url in urls:
        hrefs = [a.get("href") for a in tree(pages[url]).iter("a") if a.get("href")]
        assert hrefs and all(h.startswith(("/sub/", "#")) for h in hrefs), (url, hrefs)
    _, _, rows = grid(pages["/archive/"])
    assert rows[0][0] == ("2020", "/sub/archive/2020/")
    assert rows[0][8] == ("4", "/sub/archive/2020/08/")


def test_menu_entry_and_url_of(tmp_path):
    files = {"site.toml": ARCHIVE + "[plugins.sections]\n", **dated("2020-08-01")}
    result = build(tmp_path, files)
    nav = tree(result.files["/archive/2020/"].decode()).find(".//nav[@class='site-nav']")
    links = [(a.text, a.get("aria-current")) for a in nav.iter("a")]
    assert links == [("Issues", None), ("Sections", None), ("Archive", "page")]
    archive = result.site.data["archive"]
    assert archive.url_of(2020) == "/archive/2020/"
    assert archive.url_of(2020, 8) == "/archive/2020/08/"
    assert archive.url_of(2020, 9) is None
    assert archive.url_of(1999) is None
