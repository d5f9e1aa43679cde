"""The standards plugin: recognition, near misses, pages, links, feeds and standards.yml."""

from __future__ import annotations

from pathlib import Path

import feedparser
import html5lib
import pytest

from gazette.content.identifiers import find, parse_key
from gazette.diagnostics import ContentError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from gazette.plugins import import_file
from helpers import NOW, SITE_TOML, build, item

ROOT = Path(__file__).resolve().parent.parent
REPO = "https://example.org/repo/"
SITE = SITE_TOML + "[plugins.standards]\n"


def doc(body: str = "Body text.\n", **fields: str) -> str:
    """An item file (``helpers.item``) with ``body`` as its Markdown."""
    return item(**fields).replace("Body text.\n", body)


# Every identifier the sample archive mentions, by canonical key.
SAMPLE_KEYS = {
    "GB/T 4754",
    "GB/T 34678",
    "GB/T 36343",
    "GB/T 37728",
    "GB/T 37932",
    "ISO/IEC 30145",
    "ISO/IEC 30145-3",
    "ITU-T Y.59",
    "ITU-T Y.4464",
    "ITU-T Y.4560",
    "ITU-T Y.4561",
    "SAC/TC 260",
    "SAC/TC 28/SC 42",
    "SAC/TC 554",
    "ISO/IEC JTC 1",
    "ISO/IEC JTC 1/SC 42",
    "ISO/IEC JTC 1/WG 11",
    "ITU-T SG 20",
}

# (text, the keys found in it, in order)
FOUND = [
    ("GB/T 35273-2020", ["GB/T 35273"]),
    ("GB/T 35273–2017", ["GB/T 35273"]),
    ("GB/T35273", ["GB/T 35273"]),
    ("GB/T 35273 - 2020", ["GB/T 35273"]),
    ("GB 7258", ["GB 7258"]),
    ("GB 7258-2017 applies", ["GB 7258"]),
    ("GB/Z 20986-2007", ["GB/Z 20986"]),
    ("GB 2312-80", ["GB 2312"]),
    ("GB/T 20234.1-2015", ["GB/T 20234.1"]),
    ("GB/T 1.1-2020", ["GB/T 1.1"]),
    ("YD/T 1234-2019", ["YD/T 1234"]),
    ("GBT 4754-2017", ["GB/T 4754"]),  # the informal spelling without the slash
    ("per GBT4754 and YDT 1234-2019", ["GB/T 4754", "YD/T 1234"]),
    ("JB/T 10000", ["JB/T 10000"]),
    ("SJ/T 11364-2014", ["SJ/T 11364"]),
    ("ISO 9001-certified suppliers", ["ISO 9001"]),
    ("ISO 9001:2015", ["ISO 9001"]),
    ("ISO/IEC 27001:2022", ["ISO/IEC 27001"]),
    ("ISO/IEC 30145-3:2020", ["ISO/IEC 30145-3"]),
    ("ISO/IEC TR 24028:2020", ["ISO/IEC TR 24028"]),
    ("IEC 62368-1:2018", ["IEC 62368-1"]),
    ("EN ISO 13485:2016", ["EN ISO 13485"]),
    ("ITU-T Y.4464", ["ITU-T Y.4464"]),
    ("Recommendation ITU-T Y.4464", ["ITU-T Y.4464"]),
    ("ITU-T Y.4464 and then Y.4560", ["ITU-T Y.4464", "ITU-T Y.4560"]),
    ("EN 301 549", ["EN 301 549"]),
    ("ETSI EN 303 645", ["EN 303 645"]),
    ("EN 50600-2-2", ["EN 50600-2-2"]),
    ("SAC/TC260", ["SAC/TC 260"]),
    ("TC260's forum", ["SAC/TC 260"]),
    ("SAC/TC 260", ["SAC/TC 260"]),
    ("SAC/TC28 SC42", ["SAC/TC 28/SC 42"]),
    ("TC28/SC42", ["SAC/TC 28/SC 42"]),
    ("SAC/TC 28/SC 42", ["SAC/TC 28/SC 42"]),
    ("TC 28 / SC 42", ["SAC/TC 28/SC 42"]),
    ("ISO/IEC JTC 1/SC 42", ["ISO/IEC JTC 1/SC 42"]),
    ("JTC 1 SC 42", ["ISO/IEC JTC 1/SC 42"]),
    ("JTC1/SC42", ["ISO/IEC JTC 1/SC 42"]),
    ("ISO/IEC JTC 1.", ["ISO/IEC JTC 1"]),
    ("ISO/TC 215", ["ISO/TC 215"]),
    ("IEC TC 57", ["IEC/TC 57"]),
    ("IEC/TC 57", ["IEC/TC 57"]),
    ("CEN/TC 250", ["CEN/TC 250"]),
    ("CENELEC TC 59X", ["CENELEC/TC 59X"]),
    ("CEN-CENELEC JTC 21", ["CEN/CENELEC JTC 21"]),
    ("ITU-T SG20", ["ITU-T SG 20"]),
    ("ITU-T Study Group 20", ["ITU-T SG 20"]),
    ("by 2025, ISO 14001 and TC260", ["ISO 14001", "SAC/TC 260"]),
    ("(GB/T 4754-2017)", ["GB/T 4754"]),
]

# Strings that must never yield a standard or a committee.
NEAR_MISSES = [
    "GBT 12",  # no slash, a short number and no year: not enough to be sure
    "NBT 2019",
    "In 2019 China issued 2,021 national standards",
    "GB 2,021",
    "GB 2,021 standards",
    "16 GB 2020 model",
    "a 512GB 2021 phone",
    "8 GB 128 bit",
    "GB 12",
    "GB 2019",
    "GB/T 2020",
    "GB 010-6855-1234",
    "GB 123-45",
    "GB 1.2.3",
    "version GB 2.0.1",
    "XGB/T 1234",
    "AGB 7258",
    "/GB 7258",
    "GB-7258",
    "ISO 400 film",
    "shot at ISO 1600",
    "ISO 100",
    "ISO 2030",
    "ISO Strategy 2030",
    "ISO and IEC",
    "ISO/IEC",
    "ISO 9",
    "ISO 12.5",
    "IEC 2021",
    "EN 50",
    "EN 2020",
    "EN 1990",
    "TC",
    "SC 42",
    "JTC 12",
    "TC260x",
    "ABCTC260",
    "Y.4464 without the sector named",
    "Figure A.12",
    "version 1.2.3",
    "call 010-68551234",
    "+86 10 6855 1234",
    "2020-08-06",
    "6 August 2020",
    "14–20 September",
    "RMB 1,800 million",
    "Grade 3 or Grade 4",
    "5G and 6G",
    "IPv6",
    "COVID-19",
    "H.264 codec",
    "GB/T",
    "GB/T standards",
    "the GB standards",
    "ISO-certified",
    "YY 0505",
    "AB/T 1234",
    "GB 7258a",
    "ITU-T",
    "ITU-T Y",
]


@pytest.mark.parametrize(("text", "keys"), FOUND)
def test_identifiers_are_recognised_in_their_variants(text, keys):
    assert [ref.key for ref in find(text)] == keys


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_never_standards(text):
    assert find(text) == [], text


def test_the_near_miss_corpus_is_large_enough():
    assert len(NEAR_MISSES) >= 50


def test_editions_collapse_into_one_standard_and_keep_their_year():
    refs = find("GB/T 35273-2017 was replaced by GB/T 35273-2020; ISO 9001:2015")
    assert [(r.key, r.edition, r.designation) for r in refs] == [
        ("GB/T 35273", "2017", "GB/T 35273-2017"),
        ("GB/T 35273", "2020", "GB/T 35273-2020"),
        ("ISO 9001", "2015", "ISO 9001:2015"),
    ]


def test_slugs_are_readable():
    assert [ref.slug for ref in find("GB/T 35273 SAC/TC28 SC42 ISO/IEC JTC 1/SC 42")] == [
        "gb-t-35273",
        "sac-tc28-sc42",
        "iso-iec-jtc1-sc42",
    ]
    assert parse_key("TC260").slug == "sac-tc260"
    assert parse_key("TC260 and more") is None


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample():
    options = BuildOptions(now=NOW, strict=True)
    return build_site(BuildRequest(ROOT, options, write=False, use_cache=False))


@pytest.fixture(scope="module")
def sample_repo():
    options = BuildOptions(now=NOW, strict=True)
    return build_site(BuildRequest(ROOT, options, base_url=REPO, write=False, use_cache=False))


def test_every_identifier_in_the_sample_archive_is_recognised(sample):
    assert set(sample.site.data["standards"].entries) == SAMPLE_KEYS


def test_standards_yml_of_the_sample_is_used(sample):
    entry = sample.site.data["standards"].entries["SAC/TC 260"]
    assert entry.info.title == "National Information Security Standardisation Technical Committee"
    page = sample.files["/committees/sac-tc260/"].decode()
    assert "National Information Security Standardisation Technical Committee" in page


def test_pages_parse_as_strict_html5_and_links_resolve_under_a_base_path(sample_repo):
    files = sample_repo.files
    pages = [
        url
        for url in files
        if url.endswith("/") and url.startswith(("/standards/", "/committees/", "/items/"))
    ]
    assert "/standards/" in pages and "/committees/sac-tc260/" in pages
    for url in pages:
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        tree = parser.parse(files[url])
        for element in tree.iter():
            target = element.get("href") or element.get("src")
            if not target or not target.startswith("/"):
                continue
            assert target.startswith("/repo/"), (url, target)
            path = "/" + target.removeprefix("/repo/").split("?")[0].split("#")[0]
            assert path in files, f"{url} links to missing {target}"


def test_the_index_groups_by_family_with_counts(sample):
    page = html5lib.parse(sample.files["/standards/"], namespaceHTMLElements=False)
    headings = [h.text for h in page.iter("h3")]
    assert headings == [
        "Chinese national standards",
        "ISO and IEC standards",
        "ITU recommendations",
        "Chinese technical committees (SAC)",
        "ISO and IEC committees",
        "ITU study groups",
    ]
    links = [a.text for a in page.iter("a") if (a.get("href") or "").startswith("/standards/gb")]
    assert links == ["GB/T 4754", "GB/T 34678", "GB/T 36343", "GB/T 37728", "GB/T 37932"]


def test_first_mention_in_a_body_links_once_and_the_item_lists_its_standards(sample):
    page = sample.files["/items/iso-iec-jtc1-standards-led-by-china-2019/"].decode()
    assert page.count('class="std-ref" href="/committees/sac-tc28-sc42/"') == 1
    assert page.count('class="std-ref" href="/standards/iso-iec-30145-3/"') == 1
    assert "Standards in this item" in page


def test_every_standard_and_committee_has_a_valid_atom_feed(sample):
    index = sample.site.data["standards"]
    for entry in index.entries.values():
        parsed = feedparser.parse(sample.files[entry.feed])
        assert not parsed.bozo, entry.key
        assert parsed.feed.title.endswith(entry.key)
        linked = {item.url for item in entry.items}
        assert parsed.entries and all(e.link.endswith(tuple(linked)) for e in parsed.entries)


def test_sitemap_lists_the_pages(sample):
    sitemap = sample.files["/sitemap.xml"].decode()
    assert "/standards/gb-t-4754/</loc>" in sitemap
    assert "/committees/sac-tc28-sc42/</loc>" in sitemap


# --------------------------------------------------------------------------- small projects


def test_never_inside_code_or_other_links_and_editions_listed(tmp_path):
    body = (
        "`GB 7258` in code, [GB/T 1.1](https://example.org/) in a link.\n\n"
        "```\nGB 9999 in a block\n```\n\n"
        "GB/T 35273-2017 first, then GB/T 35273-2020 and TC260.\n"
    )
    files = {"site.toml": SITE, "content/items/a.md": doc(body, title='"A"')}
    result = build(tmp_path, files)
    index = result.site.data["standards"]
    assert set(index.entries) == {"GB/T 35273", "SAC/TC 260"}
    assert index.entries["GB/T 35273"].editions == (("2020", 1), ("2017", 1))
    page = result.files["/items/a/"].decode()
    assert page.count('href="/standards/gb-t-35273/"') == 2  # the body's link and the list
    assert '<a class="std-ref" href="/standards/gb-t-35273/">GB/T 35273-2017</a>' in page
    assert "<code>GB 7258</code>" in page
    standard = result.files["/standards/gb-t-35273/"].decode()
    assert "GB/T 35273-2020" in standard and "GB/T 35273-2017" in standard


def test_titles_and_summaries_count_and_items_are_newest_first(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/old.md": item(title='"Old TC260 news"', date="2020-01-01"),
        "content/items/new.md": item(title='"New"', summary='"About TC 260."', date="2020-08-01"),
    }
    result = build(tmp_path, files)
    entry = result.site.data["standards"].entries["SAC/TC 260"]
    assert [i.slug for i in entry.items] == ["new", "old"]


def test_replaced_by_links_to_the_successor(tmp_path):
    yml = (
        "GB/T 22239:\n  status: replaced\n  replaced_by: GB/T 35273-2020\n"
        "  url: https://example.org/r\n"
    )
    body = "GB/T 22239 and GB/T 35273.\n"
    files = {
        "site.toml": SITE,
        "content/standards.yml": yml,
        "content/items/a.md": doc(body, title='"A"'),
    }
    page = build(tmp_path, files).files["/standards/gb-t-22239/"].decode()
    assert 'Replaced, by <a href="/standards/gb-t-35273/">GB/T 35273-2020</a>' in page
    assert 'href="https://example.org/r"' in page


@pytest.mark.parametrize(
    ("yml", "expected"),
    [
        ("GB/T:\n  title: x\n", "content/standards.yml:1: error[standards-key]"),
        ("GB 7258:\n  titel: x\n", "content/standards.yml:2: error[standards-field]"),
        ("GB 7258:\n  status: gone\n", "content/standards.yml:1: error[standards-status]"),
        ("GB 7258:\n  url: javascript:alert(1)\n", "content/standards.yml:1: error[standards-url]"),
        ("GB 7258: just a title\n", "content/standards.yml:1: error[standards-shape]"),
        ("GB 7258:\n  replaced_by: soon\n", "content/standards.yml:1: error[standards-key]"),
    ],
)
def test_standards_yml_errors_name_the_line_and_the_fix(tmp_path, yml, expected):
    files = {"site.toml": SITE, "content/standards.yml": yml, "content/items/a.md": item()}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    found = [d.format() for d in caught.value.diagnostics]
    assert any(line.startswith(expected) and "Fix:" in line for line in found), found


def test_a_site_without_identifiers_still_has_its_index(tmp_path):
    result = build(tmp_path, {"site.toml": SITE, "content/items/a.md": item()})
    assert "No published item mentions a standard" in result.files["/standards/"].decode()


def test_drafts_never_reach_a_feed(tmp_path):
    files = {
        "site.toml": SITE,
        "content/items/a.md": item(title='"A about TC260"'),
        "content/items/d.md": item(title='"Draft about TC260"', draft="true"),
    }
    result = build(tmp_path, files, drafts=True)
    parsed = feedparser.parse(result.files["/committees/sac-tc260/feed.xml"])
    assert [e.title for e in parsed.entries] == ["A about TC260"]


# --------------------------------------------------------------------------- search


def _search_module():
    return import_file("search", ROOT / "plugins" / "search.py")


def test_search_records_carry_identifiers_only_with_the_plugin(tmp_path):
    search = _search_module()
    files = {"content/items/a.md": item(title='"TC28/SC42 meets"')}
    with_plugin = build(tmp_path / "with", {**files, "site.toml": SITE})
    without = build(tmp_path / "without", files)
    rec = search.records(with_plugin.site, with_plugin.site.glossary)[0]
    assert rec.standards == ("SAC/TC 28/SC 42",)
    assert search.records(without.site, without.site.glossary)[0].standards == ()
    assert search.postings.display(rec)["standards"] == ["SAC/TC 28/SC 42"]  # the facet
    entry = search.index.pagefind_record(rec, "en")
    assert entry["filters"]["standard"] == ["SAC/TC 28/SC 42"]
    assert "SAC/TC 28/SC 42" in entry["content"]
    assert search.lunr_document(0, rec)["standards"] == "SAC/TC 28/SC 42"


def test_search_memo_keeps_identifiers_and_is_equal_to_a_fresh_computation(tmp_path):
    from gazette.plugin_cache import PluginCache

    search = _search_module()
    files = {"site.toml": SITE, "content/items/a.md": doc("See GB/T 35273-2020.\n")}
    site = build(tmp_path, files).site
    cache = PluginCache(tmp_path / "cache")
    first = search.records(site, site.glossary, cache)
    again = search.records(site, site.glossary, cache)  # from the memo
    assert first == again == search.records(site, site.glossary)
    assert first[0].standards == ("GB/T 35273",)
