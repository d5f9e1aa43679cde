"""The feeds plugin: Atom and JSON Feed for the site, tags and sections, and the OPML list."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import feedparser
import html5lib
import pytest
from test_publish import build_sample

from gazette.diagnostics import UsageError
from helpers import NOW, SITE_TOML, build, item

BASE = "https://example.org/repo/"
ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = SITE_TOML + "[plugins.tags]\n[plugins.sections]\n[plugins.feeds]\n"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("feeds"), BASE).files


def atom_files(files) -> dict[str, bytes]:
    return {url: data for url, data in files.items() if url.endswith("/feed.xml")}


def json_files(files) -> dict[str, bytes]:
    return {url: data for url, data in files.items() if url.endswith("/feed.json")}


def parse(data: bytes):
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def rfc3339(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def check_json_feed(document: dict, url: str) -> None:
    """The required fields of JSON Feed 1.1 and the types of those this plugin writes."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    assert document["feed_url"] == BASE + url.lstrip("/")
    assert document["home_page_url"].startswith(BASE)
    for author in document["authors"]:
        assert isinstance(author["name"], str)
    for entry in document["items"]:
        assert isinstance(entry["id"], str) and entry["id"]
        assert isinstance(entry.get("content_html", entry.get("content_text")), str)
        assert entry["url"].startswith(BASE + "items/")
        assert rfc3339(entry["date_modified"]) >= rfc3339(entry["date_published"])
        assert all(isinstance(tag, str) for tag in entry.get("tags", []))


def test_every_atom_feed_parses_cleanly_with_its_required_elements(sample):
    feeds = atom_files(sample)
    assert {"/feed.xml", "/tags/5g/feed.xml", "/sections/ict/feed.xml"} <= set(feeds)
    for url, data in feeds.items():
        parsed = parse(data)
        assert parsed.version == "atom10", url
        assert parsed.feed.title and parsed.feed.id and parsed.feed.updated_parsed
        assert parsed.feed.author == "China Standards Watch"
        links = {link.rel: link.href for link in parsed.feed.links}
        assert links["self"] == BASE + url.lstrip("/")
        assert links["alternate"].startswith(BASE)
        assert len(parsed.entries) <= 20
        for entry in parsed.entries:
            assert entry.title and entry.id == entry.link
            assert entry.link.startswith(BASE + "items/")
            assert entry.published_parsed and entry.updated_parsed
            assert entry.summary
            assert entry.tags and all(tag.term for tag in entry.tags)


def test_every_json_feed_has_the_required_fields(sample):
    feeds = json_files(sample)
    assert set(feeds) == {url.replace(".xml", ".json") for url in atom_files(sample)}
    for url, data in feeds.items():
        check_json_feed(json.loads(data), url)


def test_the_site_feed_holds_the_newest_twenty_items_newest_first(sample):
    parsed = parse(sample["/feed.xml"])
    assert len(parsed.entries) == 20
    published = [entry.published_parsed for entry in parsed.entries]
    assert published == sorted(published, reverse=True)
    assert parsed.feed.updated_parsed == max(entry.updated_parsed for entry in parsed.entries)
    document = json.loads(sample["/feed.json"])
    assert [e["id"] for e in document["items"]] == [e.id for e in parsed.entries]


def test_a_reader_subscribes_to_5g_from_the_5g_tag_page(sample):
    page = html5lib.parse(sample["/tags/5g/"], namespaceHTMLElements=False)
    head = [
        link.get("href")
        for link in page.findall(".//head/link[@rel='alternate']")
        if link.get("type") == "application/atom+xml"
    ]
    visible = [a.get("href") for a in page.findall(".//main//a") if "Subscribe" in (a.text or "")]
    assert "/repo/tags/5g/feed.xml" in head
    assert visible == ["/repo/tags/5g/feed.xml"]
    parsed = parse(sample["/tags/5g/feed.xml"])
    assert parsed.feed.title == "China Standards Watch: #5G"
    assert parsed.feed.link == BASE + "tags/5g/"
    assert parsed.entries and all("5G" in [t.term for t in e.tags] for e in parsed.entries)


def test_pages_announce_their_own_feeds_then_the_site_feed(sample):
    def alternates(url: str) -> list[tuple[str, str]]:
        page = html5lib.parse(sample[url], namespaceHTMLElements=False)
        return [
            (link.get("type"), link.get("href"))
            for link in page.findall(".//head/link[@rel='alternate']")
        ]

    site = [
        ("application/atom+xml", "/repo/feed.xml"),
        ("application/feed+json", "/repo/feed.json"),
    ]
    assert alternates("/") == site
    assert alternates("/items/miit-standardisation-key-points-2020/") == site
    assert alternates("/sections/ict/") == [
        ("application/atom+xml", "/repo/sections/ict/feed.xml"),
        ("application/feed+json", "/repo/sections/ict/feed.json"),
        *site,
    ]
    assert ("application/feed+json", "/repo/tags/5g/feed.json") in alternates("/tags/5g/")
    assert len(set(alternates("/tags/5g/"))) == len(alternates("/tags/5g/")) == 4


def test_the_opml_list_names_every_feed_once(sample):
    root = ET.fromstring(sample["/feeds.opml"])
    assert root.get("version") == "2.0"
    outlines = [o for o in root.iter("outline") if o.get("xmlUrl")]
    listed = [o.get("xmlUrl") for o in outlines]
    assert sorted(listed) == sorted(BASE + url.lstrip("/") for url in atom_files(sample))
    assert all(o.get("type") == "rss" and o.get("text") for o in outlines)
    folders = [o.get("text") for o in root.find("body") if not o.get("xmlUrl")]
    assert folders == ["Sections", "Tags", "Standards", "Committees"]


def test_feeds_are_byte_identical_across_rebuilds_at_other_times(tmp_path, sample):
    later = build_sample(tmp_path, BASE, now=NOW + timedelta(days=30)).files
    feeds = [
        url
        for url in sample
        if url.endswith((".xml", ".json", ".opml")) and not url.startswith("/pagefind/")
    ]
    assert feeds and all(later[url] == sample[url] for url in feeds)


# Inline projects


def feeds_build(tmp_path, items: dict[str, str], options: str = "", **build_options):
    toml = FEEDS + options
    files = {"site.toml": toml, **{f"content/items/{k}.md": v for k, v in items.items()}}
    return build(tmp_path, files, base_url=BASE, **build_options).files


def test_full_content_carries_the_html_and_the_summary(tmp_path):
    files = feeds_build(
        tmp_path,
        {"a": item(title='"A"', summary='"Short."')},
        'content = "full"\n',
    )
    entry = ET.fromstring(files["/feed.xml"]).find(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html" and "<p>Body text.</p>" in content.text
    assert content.get("{http://www.w3.org/XML/1998/namespace}base") == BASE + "items/a/"
    assert entry.find(f"{ATOM}summary").text == "Short."
    parsed = parse(files["/feed.xml"])
    assert "Body text." in parsed.entries[0].content[0].value
    (json_item,) = json.loads(files["/feed.json"])["items"]
    assert json_item["content_html"].startswith("<p>Body text.</p>")
    assert json_item["summary"] == "Short."


def test_summary_mode_uses_the_summary_or_an_excerpt_and_no_content(tmp_path):
    long_body = "word " * 200
    files = feeds_build(
        tmp_path,
        {
            "a": item(title='"A"', summary='"The summary."', date="2020-08-02"),
            "b": item(title='"B"').replace("Body text.", long_body),
        },
    )
    entries = ET.fromstring(files["/feed.xml"]).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}content") for e in entries] == [None, None]
    summaries = [e.find(f"{ATOM}summary").text for e in entries]
    assert summaries[0] == "The summary."
    assert summaries[1].endswith("…") and len(summaries[1]) <= 281
    items = json.loads(files["/feed.json"])["items"]
    assert [i["content_text"] for i in items] == summaries


def test_limit_caps_every_feed_and_zero_keeps_all(tmp_path):
    many = {f"i{n}": item(title=f'"Item {n}"', date=f"2020-08-{n + 1:02d}") for n in range(5)}
    capped = feeds_build(tmp_path / "a", many, "limit = 2\n")
    assert len(parse(capped["/feed.xml"]).entries) == 2
    assert len(parse(capped["/tags/5g/feed.xml"]).entries) == 2
    assert len(json.loads(capped["/sections/ict/feed.json"])["items"]) == 2
    every = feeds_build(tmp_path / "b", many, "limit = 0\n")
    assert len(parse(every["/feed.xml"]).entries) == 5


def test_titles_and_tags_are_escaped_and_come_back_intact(tmp_path):
    title = 'Tom & Jerry <b>bold</b> ]]> "quoted"'
    files = feeds_build(tmp_path, {"a": item(title=json.dumps(title), summary='"a < b & c"')})
    entry = parse(files["/feed.xml"]).entries[0]
    assert entry.title == title
    assert entry.summary == "a < b & c"
    assert json.loads(files["/feed.json"])["items"][0]["title"] == title


def test_dates_and_updated_follow_the_items_not_the_clock(tmp_path):
    files = feeds_build(
        tmp_path,
        {
            "a": item(title='"A"', date="2020-08-01", updated="2020-09-15"),
            "b": item(title='"B"', date="2020-08-05"),
        },
    )
    parsed = parse(files["/feed.xml"])
    by_title = {entry.title: entry for entry in parsed.entries}
    assert by_title["A"].published == "2020-08-01T00:00:00+00:00"
    assert by_title["A"].updated == "2020-09-15T00:00:00+00:00"
    assert by_title["B"].updated == by_title["B"].published
    assert parsed.feed.updated == "2020-09-15T00:00:00+00:00"  # the newest change
    items = {i["title"]: i for i in json.loads(files["/feed.json"])["items"]}
    assert items["A"]["date_modified"] == "2020-09-15T00:00:00+00:00"


def test_an_unused_tag_has_a_valid_empty_feed_dated_by_the_archive(tmp_path):
    files = feeds_build(tmp_path, {"a": item(title='"A"', date="2020-08-03")})
    parsed = parse(files["/tags/ai/feed.xml"])
    assert parsed.entries == []
    assert parsed.feed.updated == "2020-08-03T00:00:00+00:00"
    check_json_feed(json.loads(files["/tags/ai/feed.json"]), "/tags/ai/feed.json")


def test_drafts_and_scheduled_items_never_reach_a_feed(tmp_path):
    files = feeds_build(
        tmp_path,
        {
            "public": item(title='"Public"'),
            "draft": item(title='"Draft"', draft="true"),
            "future": item(title='"Future"', date="2030-01-01"),
        },
        drafts=True,
        future=True,
    )
    assert "/items/draft/" in files and "/items/future/" in files  # previews are built
    for url, data in {**atom_files(files), **json_files(files)}.items():
        assert b"Draft" not in data and b"Future" not in data, url
    assert [e.title for e in parse(files["/feed.xml"]).entries] == ["Public"]


def test_feed_pages_fall_back_to_the_home_page_without_tag_and_section_pages(tmp_path):
    toml = SITE_TOML + "[plugins.feeds]\n"
    files = build(tmp_path, {"site.toml": toml, "content/items/a.md": item()}, base_url=BASE).files
    assert parse(files["/tags/5g/feed.xml"]).feed.link == BASE
    assert json.loads(files["/sections/ict/feed.json"])["home_page_url"] == BASE


def test_an_unknown_content_mode_is_an_error_naming_the_option(tmp_path):
    with pytest.raises(UsageError) as raised:
        feeds_build(tmp_path, {"a": item()}, 'content = "everything"\n')
    assert "plugins.feeds.content" in str(raised.value.diagnostics[0].format())


def test_feeds_may_be_listed_before_tags_and_the_index_answers_by_name(tmp_path):
    toml = SITE_TOML + "[plugins.feeds]\n[plugins.tags]\n[plugins.sections]\n"
    files = {"site.toml": toml, "content/items/a.md": item()}
    result = build(tmp_path, files, base_url=BASE)
    page = html5lib.parse(result.files["/tags/5g/"], namespaceHTMLElements=False)
    visible = [a.get("href") for a in page.findall(".//main//a") if "Subscribe" in (a.text or "")]
    assert visible == ["/repo/tags/5g/feed.xml"]
    index = result.site.data["feeds"]
    assert index.site_feed() == "/feed.xml"
    assert index.tag_feed("5G") == "/tags/5g/feed.xml"
    assert index.tag_feed("No such tag") is None
    assert index.section_feed("ict") == "/sections/ict/feed.xml"
    assert index.section_feed("nope") is None
