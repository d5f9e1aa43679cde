"""Issue pages, the issue list by year, the home page, and drafts and scheduled items."""

from __future__ import annotations

from datetime import UTC, datetime

import html5lib

from helpers import SITE_TOML, build_pages, item

TAGS = SITE_TOML + "[plugins.tags]\n"


def tree(html: str):
    return html5lib.parse(html, namespaceHTMLElements=False)


def issue(id_: str, number: int, date: str, pdf: str = "") -> str:
    extra = f'pdf: "{pdf}"\n' if pdf else ""
    return (
        f'---\nid: "{id_}"\nnumber: {number}\ntitle: "Issue {id_}"\ndate: {date}\n'
        f'period: "Period {id_}"\n{extra}---\n\nIntro of {id_}.\n\n'
        f"## Takeaways\n\n- Point of {id_}.\n"
    )


ISSUES = {
    "content/issues/2020-08.md": issue("2020-08", 3, "2020-09-30", "https://example.org/3.pdf"),
    "content/issues/2020-06.md": issue("2020-06", 2, "2020-07-31"),
    "content/issues/2019-12.md": issue("2019-12", 1, "2019-12-31"),
}


def test_issue_list_groups_issues_by_year_with_counts(tmp_path):
    files = {
        **ISSUES,
        "content/items/a.md": item(issue='"2020-08"'),
        "content/items/b.md": item(issue='"2020-08"', title='"B"'),
        "content/items/c.md": item(issue='"2019-12"', date="2019-12-01"),
    }
    doc = tree(build_pages(tmp_path, files)["/issues/"])
    years = doc.findall(".//section[@class='issue-year']")
    assert [s.find("h2").text.strip() for s in years] == ["2020", "2019"]
    rows = [[li.find("a").text, li.find("span").text] for li in years[0].findall(".//li")]
    assert [name for name, _ in rows] == ["Issue 2020-08", "Issue 2020-06"]
    metas = ["".join(li.find("span").itertext()) for li in years[0].findall(".//li")]
    assert metas[0].endswith("2 items") and metas[1].endswith("0 items")
    assert "".join(years[1].find(".//li/span").itertext()).endswith("1 item")
    jump = [a.get("href") for a in doc.findall(".//nav[@class='year-jump']//a")]
    assert jump == ["#year-2020", "#year-2019"]


def test_issue_page_has_pdf_takeaways_contents_by_section_and_neighbours(tmp_path):
    files = {
        **ISSUES,
        "content/items/first.md": item(title='"First ICT"', section="ict", order="1"),
        "content/items/second.md": item(title='"Second ICT"', section="ict", order="2"),
        "content/items/unordered.md": item(title='"Unordered ICT"', section="ict"),
        "content/items/horizontal.md": item(title='"Horizontal"', section="horizontal"),
    }
    doc = tree(build_pages(tmp_path, files)["/issues/2020-08/"])
    assert doc.find(".//a[@href='https://example.org/3.pdf']").text == "Original PDF"
    assert "Point of 2020-08." in "".join(doc.find(".//div[@class='prose']").itertext())
    toc = [a.get("href") for a in doc.findall(".//nav[@class='toc']//a")]
    assert toc == ["#section-horizontal", "#section-ict"]  # site.toml's order
    ict = doc.find(".//section[@id='section-ict']")
    assert [a.text for a in ict.findall(".//h3/a")] == ["First ICT", "Second ICT", "Unordered ICT"]
    assert doc.find(".//a[@rel='prev']").get("href") == "/issues/2020-06/"
    assert doc.find(".//a[@rel='next']") is None  # the newest issue


def test_home_shows_latest_issue_recent_items_top_tags_of_the_year_and_about(tmp_path):
    files = {
        **ISSUES,
        "content/items/a.md": item(title='"A"', date="2020-08-03", tags='["5G", "MIIT"]'),
        "content/items/b.md": item(title='"B"', date="2020-08-02", tags='["5G"]'),
        "content/items/c.md": item(title='"C"', date="2020-08-01", tags='["AI"]'),
        "content/items/old.md": item(
            title='"Old"', date="2019-12-01", issue='"2019-12"', tags='["Cybersecurity"]'
        ),
    }
    doc = tree(build_pages(tmp_path, {"site.toml": TAGS, **files})["/"])
    assert doc.find(".//h1[@id='latest-heading']/a").get("href") == "/issues/2020-08/"
    top = doc.find(".//section[@class='top-tags-section']")
    assert top.find("h2").text == "Most used tags in 2020"
    chips = [(li.find("a").text, li.find("span").text) for li in top.findall(".//li")]
    assert chips == [("#5G", "2"), ("#AI", "1"), ("#MIIT", "1")]  # Cybersecurity is 2019
    # "Recent items" leaves out what "In this issue" lists: each item is listed once.
    contents = [a.text for a in doc.findall(".//div[@class='contents']//a")]
    assert sorted(contents) == ["A", "B", "C"]
    recent = [a.text for a in doc.findall(".//section[@class='recent']//h3/a")]
    assert recent == ["Old"]
    assert doc.find(".//aside[@class='about']/p").text == "About this test archive."


def test_home_has_no_top_tags_without_the_tags_plugin(tmp_path):
    html = build_pages(tmp_path, {"content/items/a.md": item()})["/"]
    assert "top-tags" not in html


def test_drafts_and_scheduled_items_appear_nowhere_in_a_normal_build(tmp_path):
    files = {
        "site.toml": TAGS,
        "content/items/public.md": item(title='"Public"', date="2020-08-01"),
        "content/items/draft.md": item(title='"Secret draft"', draft="true"),
        "content/items/later.md": item(title='"Scheduled"', date="2030-01-01"),
    }
    pages = build_pages(tmp_path, files)
    for url, html in pages.items():
        assert "Secret draft" not in html and "Scheduled" not in html, url
    assert "/items/draft/" not in pages and "/items/later/" not in pages


def test_previews_carry_a_visible_banner_and_badge(tmp_path):
    files = {
        "site.toml": TAGS,
        "content/items/draft.md": item(title='"Secret draft"', draft="true"),
        "content/items/later.md": item(title='"Scheduled"', date="2030-01-01"),
        "content/items/public.md": item(title='"Public"', date="2020-08-01"),
    }
    now = datetime(2024, 1, 1, tzinfo=UTC)
    pages = build_pages(tmp_path, files, drafts=True, future=True, now=now)
    draft = tree(pages["/items/draft/"]).find(".//*[@class='preview-banner']")
    assert "Draft" in "".join(draft.itertext())
    later = tree(pages["/items/later/"]).find(".//*[@class='preview-banner']")
    assert "Scheduled" in "".join(later.itertext())
    assert tree(pages["/items/public/"]).find(".//*[@class='preview-banner']") is None
    badges = [b.text for b in tree(pages["/tags/5g/"]).findall(".//span[@class='badge preview']")]
    assert sorted(badges) == ["Draft", "Scheduled"]
