"""The small things of the reader experience (issue 17, point 5), one claim each.

Events without empty blocks and without "Register" once an event is over, a
compact list of the glossary entries no item mentions, count badges that a
screen reader reads with their noun, a favicon, typographic quotes that leave
code alone and that search still matches, and listings that name an item's
issue by its number instead of repeating the site's name. Built pages are read
with html5lib; the favicon, the glossary's letter links and search run in
Chromium.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site
from gazette.render.markdown_render import render_markdown
from helpers import CHROMIUM, NO_CHROMIUM, NOW, SITE_TOML, build, item, make_project
from helpers import tree as files_under

ROOT = Path(__file__).resolve().parent.parent
EVENTS = SITE_TOML + "[plugins.events]\n"
REGISTER = "https://register.example.com/form"


def parse(data: str | bytes):
    return html5lib.parse(data, namespaceHTMLElements=False)


def text(element) -> str:
    return " ".join("".join(element.itertext()).split())


def event(title: str, start: str, end: str) -> str:
    return item(
        title=f'"{title}"',
        kind="event",
        start=start,
        end=end,
        online="true",
        registration=REGISTER,
    )


PAST = event("Past webinar", "2023-11-12T09:30:00Z", "2023-11-12T10:30:00Z")
SOON = event("Coming webinar", "2024-02-01T09:30:00Z", "2024-02-01T10:30:00Z")


def events_site(tmp_path: Path, events: dict[str, str], now: datetime = NOW) -> BuildResult:
    files = {"site.toml": EVENTS, **{f"content/items/{k}.md": v for k, v in events.items()}}
    return build(tmp_path, files, now=now)


def register_links(page) -> list[str]:
    return [a.get("href") for a in page.iter("a") if a.text == "Register"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> BuildResult:
    """The sample archive at NOW (2024): every one of its events is over."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copy(ROOT / "site.toml", root / "site.toml")
    request = BuildRequest(root, BuildOptions(now=NOW), write=False, use_cache=False, workers=1)
    return build_site(request)


def sample_page(sample: BuildResult, url: str):
    return parse(sample.files[url])


# --- events --------------------------------------------------------------------


def test_no_upcoming_events_is_said_once_without_an_empty_block(tmp_path):
    page = parse(events_site(tmp_path, {"past": PAST}).files["/events/"])
    assert page.find(".//section[@aria-labelledby='upcoming-events']") is None
    assert text(page.find(".//header/p[@class='meta']")).startswith("No upcoming events as of")
    assert "Upcoming" not in text(page.find(".//main"))
    past = page.find(".//section[@aria-labelledby='past-events']")
    assert text(past.find("h2")) == "Past 1 event"
    assert past.find(".//p[@class='empty']") is None


def test_both_groups_shown_only_with_events_in_them(tmp_path):
    both = parse(events_site(tmp_path / "a", {"past": PAST, "soon": SOON}).files["/events/"])
    assert text(both.find(".//header/p[@class='meta']")).startswith(
        "Upcoming and past events as of"
    )
    headings = [text(h) for h in both.findall(".//main//section/h2")]
    assert headings == ["Upcoming 1 event", "Past 1 event"]

    upcoming = parse(events_site(tmp_path / "b", {"soon": SOON}).files["/events/"])
    assert text(upcoming.find(".//header/p[@class='meta']")).startswith("Upcoming events as of")
    assert upcoming.find(".//section[@aria-labelledby='past-events']") is None

    none = parse(events_site(tmp_path / "c", {}).files["/events/"])
    assert text(none.find(".//header/p[@class='meta']")).startswith("No events as of")
    assert none.findall(".//main//section") == []


def test_past_events_show_no_register_link_on_the_events_page_or_their_own(tmp_path):
    result = events_site(tmp_path, {"past": PAST, "soon": SOON})
    listing = parse(result.files["/events/"])
    past = listing.find(".//section[@aria-labelledby='past-events']")
    upcoming = listing.find(".//section[@aria-labelledby='upcoming-events']")
    assert register_links(past) == []
    assert register_links(upcoming) == [REGISTER]
    assert [a.text for a in past.findall(".//h3/a")] == ["Past webinar"]  # its page stays linked
    assert "Add to calendar (.ics)" in text(past)
    assert register_links(parse(result.files["/items/past/"])) == []
    assert register_links(parse(result.files["/items/soon/"])) == [REGISTER]
    assert result.site.data["events"].by_slug["past"].past
    assert not result.site.data["events"].by_slug["soon"].past


def test_an_event_that_ends_loses_its_register_link_in_an_incremental_build(tmp_path):
    files = {"site.toml": EVENTS, "content/items/soon.md": SOON, "content/items/past.md": PAST}
    project = make_project(tmp_path / "p", files)
    end = datetime(2024, 2, 1, 10, 30, tzinfo=UTC)

    def run(now: datetime, output: Path | None = None, cache: bool = True):
        request = BuildRequest(project, BuildOptions(now=now), output=output, use_cache=cache)
        return build_site(request)

    first = run(end - timedelta(hours=1))
    assert first.expires == end + timedelta(microseconds=1)  # the up-to-date check expires then
    assert register_links(parse((project / "site/items/soon/index.html").read_bytes()))
    run(end + timedelta(minutes=1))
    page = parse((project / "site/items/soon/index.html").read_bytes())
    assert register_links(page) == []
    scratch = tmp_path / "scratch"
    run(end + timedelta(minutes=1), scratch, cache=False)
    incremental, fresh = files_under(project / "site"), files_under(scratch)
    assert sorted(incremental) == sorted(fresh)
    assert [name for name in fresh if incremental[name] != fresh[name]] == []


def test_the_sample_events_page_has_no_empty_block(sample):
    page = sample_page(sample, "/events/")
    assert page.find(".//section[@aria-labelledby='upcoming-events']") is None
    assert page.findall(".//p[@class='empty']") == []
    assert register_links(page) == []


# --- glossary ------------------------------------------------------------------

GLOSSARY = """\
MIIT: Ministry of Industry and Information Technology
SAC: Standardization Administration of China
ZTE: Zhongxing Telecommunication Equipment
GB/T: Recommended national standard
"""


def test_unmentioned_glossary_entries_are_listed_compactly_at_the_end(tmp_path):
    files = {
        "site.toml": SITE_TOML + "[plugins.glossary]\n",
        "content/glossary.yml": GLOSSARY,
        "content/items/a.md": item(title='"MIIT and SAC"'),
    }
    result = build(tmp_path, files)
    page = parse(result.files["/glossary/"])
    main = page.find(".//main")
    assert [dt.get("id") for dt in main.find("dl[@class='glossary']").iter("dt")] == [
        "miit",
        "sac",
    ]
    section = main.find("section[@aria-labelledby='not-mentioned']")
    assert text(section.find("h2[@id='not-mentioned']")) == "Not yet mentioned in any item"
    compact = section.find("dl[@class='glossary-compact']")
    rows = [
        (dt.get("id"), dt.text, dd.text)
        for dt, dd in zip(compact.iter("dt"), compact.iter("dd"), strict=True)
    ]
    assert rows == [
        ("gb-t", "GB/T", "Recommended national standard"),
        ("zte", "ZTE", "Zhongxing Telecommunication Equipment"),
    ]
    assert list(main.iterfind("section")) == [section]  # after the entries with mentions
    assert "Not mentioned in any item yet" not in text(main)
    # Letters in order; one whose entries are all unmentioned jumps into the compact list.
    letters = [(a.text, a.get("href")) for a in main.findall(".//nav[@class='letter-jump']//a")]
    assert letters == [("G", "#gb-t"), ("M", "#miit"), ("S", "#sac"), ("Z", "#zte")]
    ids = {el.get("id") for el in main.iter() if el.get("id")}
    assert all(href[1:] in ids for _, href in letters)
    assert result.site.data["glossary"].url_of("ZTE") == "/glossary/#zte"


def test_a_glossary_with_no_mention_at_all_has_only_the_compact_list(tmp_path):
    files = {
        "site.toml": SITE_TOML + "[plugins.glossary]\n",
        "content/glossary.yml": GLOSSARY,
    }
    main = parse(build(tmp_path, files).files["/glossary/"]).find(".//main")
    assert main.find("dl[@class='glossary']") is None
    assert len(main.findall(".//dl[@class='glossary-compact']/dt")) == 4


def test_the_sample_glossary_puts_its_unmentioned_entries_at_the_end(sample):
    index = sample.site.data["glossary"]
    unmentioned = [e.abbr for e in index.entries if not index.mentions[e.abbr]]
    main = sample_page(sample, "/glossary/").find(".//main")
    compact = main.find(".//dl[@class='glossary-compact']")
    assert [dt.text for dt in compact.iter("dt")] == unmentioned
    assert len(main.findall("dl[@class='glossary']/dt")) == len(index.entries) - len(unmentioned)
    assert main.findall(".//details") and len(main.findall(".//details")) == len(
        main.findall("dl[@class='glossary']/dt")
    )


# --- count badges --------------------------------------------------------------

# The pages built from the templates of this change; every badge on them is read
# with its noun ("12 items", "1 item in common", "3 events").
BADGE_PAGES = ("/tags/", "/tags/5g/", "/sections/", "/standards/", "/issues/2020-08/", "/events/")
BADGE = re.compile(r"\d+ (item|items|item in common|items in common|event|events)")


@pytest.mark.parametrize("url", BADGE_PAGES)
def test_count_badges_read_as_a_number_and_a_noun(sample, url):
    badges = [s for s in sample_page(sample, url).iter("span") if s.get("class") == "count"]
    assert badges, url
    for badge in badges:
        hidden = badge.find("span[@class='visually-hidden']")
        assert hidden is not None and badge.get("aria-label") is None
        assert badge.text.isdigit()  # what is seen: the number alone
        assert BADGE.fullmatch(text(badge)), text(badge)
        noun = hidden.text.strip()
        assert (badge.text == "1") == (noun in ("item", "item in common", "event")), noun


def test_a_badge_of_one_is_singular(sample):
    badges = [
        text(s) for s in sample_page(sample, "/tags/").iter("span") if s.get("class") == "count"
    ]
    assert "1 item" in badges and "1 items" not in badges
    assert any(b.endswith(" items") and not b.startswith("1 ") for b in badges)


def test_the_standards_and_archive_year_badges(sample):
    years = [url for url in sample.files if re.fullmatch(r"/archive/\d{4}/", url)]
    assert years
    standards = [u for u in sample.files if re.fullmatch(r"/standards/[^/]+/", u)]
    assert standards
    for url in [*years, *standards]:
        for badge in sample_page(sample, url).iter("span"):
            if badge.get("class") == "count":
                assert BADGE.fullmatch(text(badge)), (url, text(badge))


# --- listings name the issue, not the site again -------------------------------


def test_listings_show_the_issue_number_after_the_date(sample):
    site_title = sample.site.config.site.title
    by_id = sample.site.issue_by_id
    page = sample_page(sample, "/tags/5g/")
    metas = page.findall(".//article[@class='summary']/p[@class='meta']")
    assert metas
    for meta in metas:
        assert site_title not in text(meta)
        link = meta.find("a")
        issue = next(i for i in by_id.values() if link.get("href") == f"/issues/{i.id}/")
        assert link.text == f"Issue {issue.number}"
    assert all(issue.title.startswith(site_title) for issue in by_id.values())  # why it mattered


def test_an_issue_page_names_no_issue_in_its_own_listing(sample):
    issue = next(iter(sample.site.issue_by_id.values()))
    page = sample_page(sample, issue.url)
    assert all(meta.find("a") is None for meta in page.findall(".//article/p[@class='meta']"))


# --- favicon --------------------------------------------------------------------


def test_every_page_links_the_svg_favicon_and_the_build_writes_it(sample):
    pages = [url for url in sample.files if url.endswith("/")]
    hrefs = set()
    for url in pages:
        icons = [
            link
            for link in parse(sample.files[url]).findall(".//head/link")
            if link.get("rel") == "icon"
        ]
        assert len(icons) == 1, url
        assert icons[0].get("type") == "image/svg+xml"
        hrefs.add(icons[0].get("href"))
    (href,) = hrefs
    assert re.fullmatch(r"/static/favicon\.svg\?v=[0-9a-f]{8}", href)
    svg = ElementTree.fromstring(sample.files["/static/favicon.svg"])
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("viewBox") == "0 0 32 32"
    # An opaque tile under the drawing, so it reads on light and dark tab strips.
    tile = svg.find("{http://www.w3.org/2000/svg}rect")
    assert (tile.get("width"), tile.get("height")) == ("32", "32") and tile.get("fill")


# --- smart quotes -----------------------------------------------------------------


def test_prose_gets_typographic_quotes_dashes_and_ellipses():
    html = render_markdown('He said "don\'t" -- it\'s the \'80s... --- "done".\n').html
    assert html == "<p>He said “don’t” – it’s the ’80s… — “done”.</p>"


def test_code_raw_html_attributes_and_escapes_keep_straight_quotes():
    source = (
        "Use `x = 'a' \"b\"` here.\n\n"
        '```\nprint("it\'s") -- ...\n```\n\n'
        "    indented 'code'\n\n"
        '[a link](https://example.org/ "it\'s a title") and '
        "<abbr title=\"x's\">raw 'html'</abbr>\n\n"
        'A \\"kept\\" quote.\n'
    )
    html = render_markdown(source).html
    page = parse(html)
    codes = [c.text for c in page.iter("code")]
    assert codes == ["x = 'a' \"b\"", 'print("it\'s") -- ...', "indented 'code'"]
    assert page.find(".//a").get("title") == "it's a title"
    raw = page.find(".//abbr")  # its tags are raw HTML, its text is Markdown text
    assert raw.get("title") == "x's" and raw.text == "raw ‘html’"
    assert 'A "kept" quote.' in text(page.find(".//body"))


def test_heading_ids_and_plain_text_follow_the_curled_text():
    rendered = render_markdown("# Don't panic\n\nIt's \"fine\".\n")
    assert rendered.headings[0].id == "dont-panic"
    assert rendered.headings[0].text == "Don’t panic"
    assert rendered.text == "Don’t panic\nIt’s “fine”."


def test_glossary_and_standard_links_still_mark_words_before_a_quote(tmp_path):
    files = {
        "site.toml": SITE_TOML + "[plugins.glossary]\n",
        "content/glossary.yml": GLOSSARY,
        "content/items/a.md": item().replace("Body text.", 'MIIT\'s plan and "SAC" news.'),
    }
    prose = parse(build(tmp_path, files).files["/items/a/"]).find(
        ".//div[@class='prose e-content']"
    )
    assert [a.text for a in prose.iter("abbr")] == ["MIIT", "SAC"]
    assert text(prose) == "MIIT’s plan and “SAC” news."


@pytest.mark.parametrize(
    "source",
    [
        "'" * 100_000,
        ("\"'" * 9_000 + "\n\n") * 5,
        ("'" * 1_999 + "*a*") * 50,
        "a -- " * 20_000,
        "." * 100_000,
    ],
    ids=[
        "100,000 quotes",
        "quote pairs in paragraphs",
        "runs just under the limit",
        "dashes",
        "dots",
    ],
)
def test_many_quotes_render_quickly(source):
    start = time.perf_counter()
    rendered = render_markdown(source)
    assert time.perf_counter() - start < 5
    assert rendered.html.startswith("<p>")


# --- in the browser ---------------------------------------------------------------

browser_only = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
QUOTES_ITEM = """\
---
title: "Quoted words item"
date: 2020-08-22
issue: "2020-08"
section: ict
tags: ["5G"]
summary: "An item whose body quotes."
---

Exporters don't need to "register twice" for the Quokka scheme.
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory, request):
    """The sample archive with one more item, built per engine under /repo/ and served."""
    from test_search_browser import serve

    def start(engine: str) -> str:
        folder = tmp_path_factory.mktemp(engine)
        shutil.copytree(ROOT / "content", folder / "content")
        (folder / "content/items/2020-08/quoted-words.md").write_text(QUOTES_ITEM)
        config = (ROOT / "site.toml").read_text(encoding="utf-8")
        config = config.replace("[plugins.search]", f'[plugins.search]\nengine = "{engine}"\n', 1)
        (folder / "site.toml").write_text(config, encoding="utf-8")
        options = BuildOptions(now=NOW)
        output = folder / "site"
        build_site(BuildRequest(folder, options, output, "http://127.0.0.1/repo/", use_cache=False))
        context = serve(output, "/repo/")
        request.addfinalizer(lambda: context.__exit__(None, None, None))
        return context.__enter__()

    urls: dict[str, str] = {}
    return lambda engine="pagefind": urls.get(engine) or urls.setdefault(engine, start(engine))


PAGE_TYPES = (
    "",
    "items/draft-data-security-law/",
    "issues/2020-08/",
    "tags/",
    "tags/5g/",
    "glossary/",
    "events/",
    "archive/",
    "search/?q=standard",
)


@browser_only
def test_no_request_fails_and_the_favicon_loads_under_the_pages_policy(browser, served):
    url = served()
    page = browser.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # The preview server's live-reload stream is cut on every navigation: not a failure.
    page.on(
        "requestfailed",
        lambda r: None if "/__gazette/" in r.url else failed.append(f"failed {r.url}"),
    )
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    try:
        for path in PAGE_TYPES:
            page.goto(url + path, wait_until="networkidle")
            icon = page.eval_on_selector("link[rel=icon]", "link => link.href")
            assert "/repo/static/favicon.svg?v=" in icon
        # Drawn as an image under the page's policy (img-src 'self'): it loads and has a size.
        size = page.evaluate(
            """href => new Promise((done, fail) => {
                const img = new Image();
                img.onload = () => done([img.naturalWidth, img.naturalHeight]);
                img.onerror = () => fail(new Error("favicon did not load"));
                img.src = href;
            })""",
            icon,
        )
        assert size[0] > 0 and size[0] == size[1]
        response = page.request.get(icon)
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
    finally:
        page.close()
    assert failed == [] and blocked == []


@browser_only
def test_glossary_letter_links_are_24px_targets_and_the_page_is_short(browser, served):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(served() + "glossary/")
        boxes = page.eval_on_selector_all(
            ".letter-jump a",
            "links => links.map(a => [a.getBoundingClientRect().width,"
            " a.getBoundingClientRect().height])",
        )
        assert len(boxes) > 10
        assert all(w >= 24 and h >= 24 for w, h in boxes), boxes
        height = page.evaluate("document.documentElement.scrollHeight")
    finally:
        page.close()
    # 11,800 px with a "Not mentioned" block under each of 26 entries; the compact
    # list takes one line per entry.
    assert height < 10_000, height


@browser_only
@pytest.mark.parametrize("engine", ["gazette", "pagefind", "lunr"])
@pytest.mark.parametrize("query", ["don't", "don’t", '"register twice"', "“register twice”"])
def test_search_matches_across_straight_and_curly_quotes(browser, served, engine, query):
    lunr_missing = not (ROOT / "theme/vendor/node_modules/lunr/lunr.min.js").is_file()
    if engine == "lunr" and lunr_missing and not os.environ.get("CI"):
        pytest.skip("lunr.js is not installed (python3 dev.py installs it)")
    from urllib.parse import quote

    url = served(engine)
    page = browser.new_page()
    try:
        page.goto(url + "search/?q=" + quote(query))
        page.wait_for_selector("[data-search-results] .search-result")
        found = page.eval_on_selector_all(
            "[data-search-results] .search-result-title",
            "nodes => nodes.map(n => n.textContent)",
        )
    finally:
        page.close()
    assert found[0] == "Quoted words item", found
