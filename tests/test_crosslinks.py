"""The crosslinks plugin: link graph, relations both ways, threads, backlinks, navigation."""

from __future__ import annotations

import shutil
from pathlib import Path

import html5lib
import pytest

from gazette.content.load import check_relations
from gazette.diagnostics import ContentError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site
from helpers import ISSUE, NOW, SITE_TOML, build, item

ROOT = Path(__file__).resolve().parent.parent
SITE = SITE_TOML + "[plugins.crosslinks]\n"
KEY_POINTS = [f"miit-standardisation-key-points-{year}" for year in (2018, 2020, 2021)]


def build_sample(root: Path) -> BuildResult:
    """The sample archive (content/ and site.toml, which enables the cross-link plugins)."""
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copy(ROOT / "site.toml", root / "site.toml")
    options = BuildOptions(now=NOW, strict=True)
    return build_site(BuildRequest(root, options, write=False, use_cache=False, workers=1))


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> BuildResult:
    return build_sample(tmp_path_factory.mktemp("sample"))


def doc(body: str, **fields: str) -> str:
    return item(**fields).replace("Body text.\n", body)


def tree(markup: str):
    return html5lib.parse(markup, namespaceHTMLElements=False)


def titles(page: str, heading_id: str) -> list[str]:
    section = tree(page).find(f".//section[@aria-labelledby='{heading_id}']")
    return [] if section is None else [a.text for a in section.iter("a")]


def slugs(items) -> list[str]:
    return [i.slug for i in items]


def test_markdown_links_to_item_urls_count_in_every_form(tmp_path):
    body = (
        "[root](/items/t1/) [base](/repo/items/t2/#x) [abs](https://example.org/repo/items/t3/) "
        "[rel](../t4/) [file](/repo/items/t5/index.html) [bare](/repo/items/t6) "
        "[relative file](../t8/index.html) [up](../../items/t9) "
        "[other host](https://elsewhere.org/repo/items/t7/) [tag](/repo/tags/5g/) "
        "[mail](mailto:x@example.org)\n"
    )
    files = {"site.toml": SITE, "content/items/a.md": doc(body)}
    files.update({f"content/items/t{n}.md": item(title=f'"T{n}"') for n in range(1, 10)})
    files["content/items/t2.md"] = files["content/items/t2.md"].replace("Body", "## X\n\nBody")
    result = build(tmp_path, files, base_url="https://example.org/repo/")
    links = result.site.data["crosslinks"]
    assert sorted(links.body_links["a"]) == ["t1", "t2", "t3", "t4", "t5", "t6", "t8", "t9"]
    assert slugs(links.of("t3").mentioned_in) == ["a"]
    assert links.of("t7").mentioned_in == ()
    assert links.linked("t1", "a") and not links.linked("t1", "t2")


def test_markdown_links_to_missing_items_or_headings_are_errors_with_position(tmp_path):
    body = (
        "See [the old one](/items/t-1/) first.\n\n"
        "Then [its part](../t2/#sumary), [no heading](/items/t3/#x) and [fine](/items/t1/).\n"
        "[ref]: /items/nowhere/\n\n[a reference][ref]\n"
    )
    files = {"site.toml": SITE, "content/items/a.md": doc(body)}
    files.update({f"content/items/t{n}.md": item(title=f'"T{n}"') for n in range(1, 4)})
    files["content/items/t2.md"] = files["content/items/t2.md"].replace(
        "Body", "## Summary\n\nBody"
    )
    with pytest.raises(ContentError) as raised:
        build(tmp_path, files)
    assert [d.format() for d in raised.value.diagnostics] == [
        "content/items/a.md:9:19: error[item-link]: link to '/items/t-1/': no published "
        "item has the slug 't-1'. Fix: did you mean 't1'?",
        "content/items/a.md:11:17: error[item-link]: link to '../t2/#sumary': 't2' has no "
        "heading with the id 'sumary'. Fix: did you mean 'summary'?",
        "content/items/a.md:11:46: error[item-link]: link to '/items/t3/#x': 't3' has no "
        "heading with the id 'x'. Fix: link to /items/t3/ without '#x'; that item has no "
        "headings",
        # A reference link: found where its definition writes the URL.
        "content/items/a.md:12:8: error[item-link]: link to '/items/nowhere/': no published "
        "item has the slug 'nowhere'. Fix: use the slug of a published item: its file name, "
        "or its 'slug:' field",
    ]


def test_relations_are_shown_both_ways(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/old.md": item(title='"Old"', date="2020-01-01"),
        "content/items/mid.md": item(title='"Mid"', date="2020-02-01", follows="old"),
        "content/items/new.md": item(title='"New"', date="2020-03-01", supersedes="mid"),
    }
    result = build(tmp_path, files)
    links = result.site.data["crosslinks"]
    assert links.of("mid").follows.slug == "old"
    assert slugs(links.of("old").followed_by) == ["mid"]
    assert links.of("new").supersedes.slug == "mid"
    assert slugs(links.of("mid").superseded_by) == ["new"]
    assert slugs(links.of("old").mentioned_in) == ["mid"]
    assert slugs(links.of("mid").mentioned_in) == ["new"]
    # All three are one story: the timeline links them and says how they relate,
    # so the page has no relations box (each item is linked once).
    page = tree(result.files["/items/mid/"].decode())
    assert page.find(".//dl[@class='relations']") is None
    entries = page.findall(".//ol[@class='timeline']/li")
    assert [" ".join("".join(li.itertext()).split()[3:]) for li in entries] == [
        "Old · followed by this item",
        "Mid (this item)",
        "New · supersedes this item",
    ]


def test_thread_is_the_whole_chain_oldest_first_on_every_member(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/c.md": item(title='"C"', date="2020-03-01", follows="b"),
        "content/items/a.md": item(title='"A"', date="2020-01-01"),
        "content/items/b.md": item(title='"B"', date="2020-02-01", supersedes="a"),
        "content/items/branch.md": item(title='"Branch"', date="2020-02-15", follows="a"),
        "content/items/alone.md": item(title='"Alone"', date="2020-02-20"),
    }
    result = build(tmp_path, files)
    links = result.site.data["crosslinks"]
    for slug in ("a", "b", "c", "branch"):
        assert slugs(links.of(slug).thread) == ["a", "b", "branch", "c"]
    assert links.of("alone").thread == ()
    timeline = tree(result.files["/items/b/"].decode()).find(".//ol[@class='timeline']")
    entries = timeline.findall("li")
    assert [" ".join("".join(li.itertext()).split()[3:]) for li in entries] == [
        "A · superseded by this item",
        "B (this item)",
        "Branch",
        "C · follows this item",
    ]
    assert [li.get("aria-current") for li in entries] == [None, "page", None, None]
    assert "timeline" not in result.files["/items/alone/"].decode()


def test_cycles_are_not_an_error_and_do_not_loop(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/a.md": item(title='"A"', date="2020-01-01", follows="b"),
        "content/items/b.md": item(title='"B"', date="2020-02-01", follows="a", supersedes="b"),
    }
    result = build(tmp_path, files)
    assert check_relations(result.site.items) == []  # load accepts cycles
    links = result.site.data["crosslinks"]
    assert slugs(links.of("a").thread) == slugs(links.of("b").thread) == ["a", "b"]
    assert links.of("a").follows.slug == "b" and slugs(links.of("a").followed_by) == ["b"]
    # b supersedes itself: not shown, not a backlink.
    assert links.of("b").supersedes is None and links.of("b").superseded_by == ()
    assert slugs(links.of("b").mentioned_in) == ["a"]


def test_self_relation_alone_makes_no_thread(tmp_path):
    files = {"site.toml": SITE, "content/items/a.md": item(follows="a")}
    links = build(tmp_path, files).site.data["crosslinks"].of("a")
    assert (links.follows, links.followed_by, links.thread, links.mentioned_in) == (
        None,
        (),
        (),
        (),
    )


def test_mentioned_in_lists_each_linking_item_once_newest_first(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/t.md": item(title='"Target"', date="2020-01-01"),
        "content/items/w.md": doc(
            "[[t]] and [again](/items/t/)\n", title='"Wiki"', date="2020-03-01"
        ),
        "content/items/m.md": doc("[see](/items/t/)\n", title='"Markdown"', date="2020-02-01"),
        "content/items/r.md": item(title='"Relation"', date="2020-04-01", follows="t"),
    }
    result = build(tmp_path, files)
    assert slugs(result.site.data["crosslinks"].of("t").mentioned_in) == ["r", "w", "m"]
    page = result.files["/items/t/"].decode()
    assert titles(page, "mentioned-heading") == ["Wiki", "Markdown"]  # "Relation": in the story
    assert titles(result.files["/items/m/"].decode(), "mentioned-heading") == []


def test_issue_bodies_are_checked_too(tmp_path):
    issue = ISSUE.replace("Intro.", "Intro with [[nope]].")
    with pytest.raises(ContentError) as caught:
        build(tmp_path, {"site.toml": SITE, "content/issues/2020-08.md": issue})
    assert [d.format() for d in caught.value.diagnostics] == [
        "content/issues/2020-08.md:9:12: error[wiki-link]: no published item has the slug "
        "'nope'. Fix: use the slug of a published item: its file name, or its 'slug:' field"
    ]


def issue(number: int, month: str) -> str:
    return (
        ISSUE.replace('"2020-08"', f'"2020-{month}"')
        .replace("number: 3", f"number: {number}")
        .replace("August–September 2020", f"Issue {number}")
        .replace("2020-09-30", f"2020-{month}-28")
    )


def test_previous_and_next_item_in_section_order_and_issue_neighbours(tmp_path):
    files = {
        "site.toml": SITE,
        "content/issues/2020-06.md": issue(2, "06"),
        "content/issues/2020-08.md": issue(3, "08"),
        "content/issues/2020-10.md": issue(4, "10"),
        # Section order (horizontal before ict) wins over dates; then `order`.
        "content/items/ict-first.md": item(title='"ICT 1"', section="ict", order="1"),
        "content/items/ict-second.md": item(
            title='"ICT 2"', section="ict", order="2", date="2020-07-01"
        ),
        "content/items/horizontal.md": item(
            title='"Horizontal"', section="horizontal", date="2020-09-01"
        ),
    }
    result = build(tmp_path, files)
    around = {
        url: [
            (nav.get("aria-label"), a.get("rel"), a.get("href"))
            for nav in tree(result.files[url].decode()).iter("nav")
            if nav.get("class") == "pager"
            for a in nav.iter("a")
        ]
        for url in ("/items/horizontal/", "/items/ict-first/", "/items/ict-second/")
    }
    issues = [
        ("Issues", None, "/issues/2020-06/"),
        ("Issues", None, "/issues/2020-10/"),
    ]
    assert around["/items/horizontal/"] == [
        ("In this issue", "next", "/items/ict-first/"),
        *issues,
    ]
    assert around["/items/ict-first/"] == [
        ("In this issue", "prev", "/items/horizontal/"),
        ("In this issue", "next", "/items/ict-second/"),
        *issues,
    ]
    assert around["/items/ict-second/"] == [("In this issue", "prev", "/items/ict-first/"), *issues]


def test_sample_archive_miit_key_points_form_one_thread(sample):
    links = sample.site.data["crosslinks"]
    for slug in KEY_POINTS:
        assert slugs(links.of(slug).thread) == KEY_POINTS
    page = sample.files["/items/miit-standardisation-key-points-2020/"].decode()
    timeline = tree(page).find(".//ol[@class='timeline']")
    assert [li.find("time").get("datetime") for li in timeline.findall("li")] == [
        "2018-03-16",
        "2020-05-12",
        "2021-03-16",
    ]


def test_sample_archive_has_backlinks_where_links_exist(sample):
    links = sample.site.data["crosslinks"]
    targets = {target for found in links.body_links.values() for target in found}
    targets |= {i.follows for i in sample.site.items if i.follows}
    targets |= {i.supersedes for i in sample.site.items if i.supersedes}
    assert len(targets) >= 8
    for slug in targets:
        assert links.of(slug).mentioned_in, slug
        # Each linking item is on the page once: in the story, or under "Mentioned in".
        page = sample.files[f"/items/{slug}/"].decode()
        story = {i.title for i in links.of(slug).thread}
        listed = set(titles(page, "mentioned-heading"))
        assert {i.title for i in links.of(slug).mentioned_in} <= story | listed, slug
        assert not story & listed, slug
    assert "plan-cybersecurity-standards-priorities" in slugs(
        links.of("draft-data-security-law").mentioned_in
    )


def stable(files) -> dict:
    """The output without Pagefind's bundle, whose filter and metadata indexes
    change between identical builds (upstream: Pagefind/pagefind#638)."""
    return {url: data for url, data in files.items() if not url.startswith("/pagefind/")}


def test_sample_archive_is_deterministic(sample, tmp_path):
    again = build_sample(tmp_path)
    assert stable(again.files) == stable(sample.files)
