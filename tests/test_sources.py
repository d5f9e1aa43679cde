"""Citable sources and "Cite this item" (issue 17, point 3).

``sources:`` entries are a URL or ``{url, title, publisher, date}``; the item page
shows each by its title and publisher (or domain), never as a raw URL; sources
that link only to a site's home page are a ``vague-source`` warning, which a
project may turn off in ``site.toml``; and each item page offers a citation, a
BibTeX file and a CSL-JSON file, read here by real parsers.
"""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import bibtexparser
import html5lib
import jsonschema
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gazette.content.config import parse_config
from gazette.content.parse import parse_item
from gazette.content.sources import is_home_page, vague_sources
from gazette.diagnostics import ContentError
from gazette.model import BuildOptions, Item, Source
from gazette.pipeline import BuildRequest, build_site, check_site
from gazette.serve.server import content_type_for
from helpers import NOW, SITE_TOML, build, config, item, make_project, vocabulary

ROOT = Path(__file__).resolve().parent.parent
CSL_SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "csl-data.json").read_text())
PATH = "content/items/a.md"
FIRST = 8  # the line of the first source entry in ``item(sources=...)``


def parse(sources: str):
    return parse_item(PATH, item(sources=sources), config(), vocabulary())


def entries(*lines: str) -> str:
    """A block list under ``sources:``, one YAML line each."""
    return "".join(f"\n  {line}" for line in lines)


def html(text: str):
    return html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=False)


def text_of(element) -> str:
    return "".join(element.itertext())


# --------------------------------------------------------------------------- parsing


def test_a_bare_url_is_a_source_with_its_line():
    parsed, problems = parse(entries("- https://www.sac.gov.cn/a", "- http://x.org/b"))
    assert problems == []
    assert parsed.sources == (Source("https://www.sac.gov.cn/a"), Source("http://x.org/b"))
    assert [s.line for s in parsed.sources] == [FIRST, FIRST + 1]


def test_a_mapping_gives_title_publisher_and_date():
    parsed, problems = parse(
        entries(
            "- url: https://www.gov.cn/notice.htm",
            '  title: "Notice on green packaging: the standards"',
            "  publisher: State Council",
            "  date: 2020-08-09",
            "- url: https://x.org/only-url",
        )
    )
    assert problems == []
    first, second = parsed.sources
    assert first == Source(
        "https://www.gov.cn/notice.htm",
        "Notice on green packaging: the standards",
        "State Council",
        date(2020, 8, 9),
    )
    assert (first.line, second.line) == (FIRST, FIRST + 4)
    assert second == Source("https://x.org/only-url")


def test_flow_style_entries_and_an_empty_list_are_read():
    parsed, problems = parse('[https://a.org/x, {url: "https://b.org/y", title: "Y"}]')
    assert problems == []
    assert parsed.sources == (Source("https://a.org/x"), Source("https://b.org/y", "Y"))
    assert parse("[]")[0].sources == ()


ERRORS = {
    "missing url": (
        entries("- title: A notice", "  publisher: SAC"),
        FIRST,
        "missing-url",
        "a source lacks its url",
        "add url: https://",
    ),
    "ftp url": (
        entries("- ftp://files.example.org/a.pdf"),
        FIRST,
        "bad-url",
        "'ftp://files.example.org/a.pdf' in 'sources' is not an http(s) URL",
        "starting with https://",
    ),
    "relative url in a mapping": (
        entries("- title: A", "  url: /items/a/"),
        FIRST + 1,
        "bad-url",
        "'/items/a/' in a source's url is not an http(s) URL",
        "starting with https://",
    ),
    "url without a host": (
        entries("- https:///a"),
        FIRST,
        "bad-url",
        "has no host name",
        "https://",
    ),
    "unknown key": (
        entries("- url: https://a.org/x", "  titel: A"),
        FIRST + 1,
        "source-key",
        "unknown key 'titel' in a source",
        "did you mean 'title'?",
    ),
    "unknown key far from any": (
        entries("- url: https://a.org/x", "  zzz: A"),
        FIRST + 1,
        "source-key",
        "unknown key 'zzz' in a source",
        "url, title, publisher, date",
    ),
    "impossible date": (
        entries("- url: https://a.org/x", "  date: 2020-02-30"),
        FIRST + 1,
        "bad-date",
        "'date' of a source is not a real date: 2020-02-30",
        "YYYY-MM-DD",
    ),
    "date in words": (
        entries("- url: https://a.org/x", "  date: 12 May 2020"),
        FIRST + 1,
        "bad-date",
        "not a date in the form YYYY-MM-DD: 12 May 2020",
        "YYYY-MM-DD",
    ),
    "list as a title": (
        entries("- url: https://a.org/x", "  title: [a, b]"),
        FIRST + 1,
        "bad-value",
        "'title' of a source must be a single value, not a list",
        'title: "..."',
    ),
    "empty publisher": (
        entries("- url: https://a.org/x", "  publisher:"),
        FIRST + 1,
        "bad-value",
        "'publisher' of a source is empty",
        "remove the line",
    ),
    "nested list": (
        entries("- [https://a.org/x]"),
        FIRST,
        "bad-value",
        "'sources' holds a nested list",
        "url:, title:, publisher: and date:",
    ),
    "empty entry": (
        entries("- https://a.org/x", "-"),
        FIRST + 1,
        "bad-value",
        "'sources' holds an empty entry",
        "write the URL alone",
    ),
    "duplicate key": (
        entries("- url: https://a.org/x", "  url: https://a.org/y"),
        FIRST + 1,
        "duplicate-key",
        "the key 'url' appears twice in one source (first on line 8)",
        "keep one",
    ),
    "a single url, not a list": (
        "https://a.org/x",
        FIRST - 1,
        "not-a-list",
        "'sources' must be a list",
        "one '- https://...' line per source",
    ),
    "a single mapping, not a list": (
        entries("url: https://a.org/x"),
        FIRST,
        "not-a-list",
        "'sources' must be a list",
        "sources: [] for none",
    ),
}


@pytest.mark.parametrize("name", ERRORS)
def test_each_problem_is_an_error_with_its_line_and_a_fix(name):
    sources, line, code, message, fix = ERRORS[name]
    parsed, problems = parse(sources)
    assert parsed is None
    assert [(p.code, p.line, p.is_error) for p in problems] == [(code, line, True)]
    assert message in problems[0].message
    assert fix in problems[0].fix
    assert problems[0].format().startswith(f"{PATH}:{line}:")


def test_every_problem_of_a_file_is_reported_at_once():
    _, problems = parse(
        entries(
            "- ftp://a.org/x",
            "- url: https://a.org/y",
            "  date: 2020-13-01",
            "  publsher: SAC",
        )
    )
    found = sorted((p.line, p.code) for p in problems)
    assert found == [(FIRST, "bad-url"), (FIRST + 2, "bad-date"), (FIRST + 3, "source-key")]
    assert "did you mean 'publisher'?" in next(p.fix for p in problems if p.code == "source-key")


def test_a_title_cut_by_a_comment_is_a_warning():
    parsed, problems = parse(entries("- url: https://a.org/x", "  title: Notice #5"))
    assert parsed.sources[0].title == "Notice"
    assert [(p.code, p.line, p.is_error) for p in problems] == [
        ("value-cut-by-comment", FIRST + 1, False)
    ]


# --------------------------------------------------------------------------- display


def test_the_page_shows_titles_publishers_or_domains_never_a_raw_url(tmp_path):
    sources = entries(
        "- url: https://www.gov.cn/zhengce/content_5533459.htm",
        '  title: "Guiding Opinions on Green Packaging"',
        "  publisher: State Council",
        "  date: 2020-08-09",
        "- url: https://www.cesi.cn/202008/6716.html",
        "  title: CESI news",
        "- url: https://www.sac.gov.cn/sxxgk/zcwj/202008/P020200827470578698634.pdf",
        "  publisher: SAC",
        "- http://www.miit.gov.cn/",
        "- https://www.cencenelec.eu/news/brief_news/Pages/TN-2020-011.aspx?lang=en#top",
        "- https://xn--fiqs8s.example/a",
    )
    result = build(tmp_path, {"content/items/a.md": item(sources=sources)})
    page = html(result.files["/items/a/"].decode())
    rows = page.findall(".//section[@class='sources']//li")
    links = [row.find("a") for row in rows]
    assert [a.get("rel") for a in links] == ["noopener"] * 6
    assert [a.get("href") for a in links] == [
        "https://www.gov.cn/zhengce/content_5533459.htm",
        "https://www.cesi.cn/202008/6716.html",
        "https://www.sac.gov.cn/sxxgk/zcwj/202008/P020200827470578698634.pdf",
        "http://www.miit.gov.cn/",
        "https://www.cencenelec.eu/news/brief_news/Pages/TN-2020-011.aspx?lang=en#top",
        "https://xn--fiqs8s.example/a",
    ]
    assert [text_of(a) for a in links] == [
        "Guiding Opinions on Green Packaging",
        "CESI news",
        "sac.gov.cn/sxxgk/…/P0202008274…8634.pdf",
        "miit.gov.cn",
        "cencenelec.eu/news/…/TN-2020-011.aspx?…",
        "中国.example/a",
    ]
    assert [" ".join(text_of(row).split()) for row in rows] == [
        "Guiding Opinions on Green Packaging — State Council, 9 August 2020",
        "CESI news — cesi.cn",
        "sac.gov.cn/sxxgk/…/P0202008274…8634.pdf — SAC",
        "miit.gov.cn",
        "cencenelec.eu/news/…/TN-2020-011.aspx?…",
        "中国.example/a",
    ]
    assert rows[0].find(".//time").get("datetime") == "2020-08-09"
    assert all(text_of(a) != a.get("href") for a in links)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://www.a.org", "a.org"),
        ("https://a.org/short/path.html", "a.org/short/path.html"),
        ("https://a.org/" + "x" * 49 + ".html", "a.org/" + "x" * 17 + "…" + "x" * 13 + ".html"),
        ("https://a.org/first/" + "y" * 40 + ".pdf", "a.org/first/" + "y" * 11 + "…yyyy.pdf"),
        ("https://a.org/a-long-first-segment/bb/cc/ddd/x.html", "a.org/a-long-firs…/…/x.html"),
        ("https://a.org/%E6%A0%87%E5%87%86/x.html", "a.org/标准/x.html"),
        ("https://WWW.A.ORG:8080/x?q=1", "a.org/x?…"),
    ],
)
def test_a_bare_url_is_shown_as_its_domain_and_a_shortened_path(url, shown):
    assert Source(url).short == shown
    assert Source(url).label == shown


# --------------------------------------------------------------------------- vague sources


@pytest.mark.parametrize(
    "url",
    [
        "https://www.miit.gov.cn",
        "http://www.sac.gov.cn/",
        "https://a.org//",
        "https://a.org/index.html",
        "https://a.org/INDEX.HTM",
        "https://a.org/default.aspx",
        "https://a.org/index.php",
        "https://a.org/en/",
        "https://a.org/en",
        "https://a.org/zh-cn/index.html",
        "https://a.org/#news",
    ],
)
def test_a_home_page_is_vague(url):
    assert is_home_page(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://a.org/?id=11",
        "https://a.org/index.html?page=2",
        "https://a.org/news/2020/1.html",
        "https://a.org/en/news/",
        "https://a.org/2020/",
        "https://a.org/english/",
        "https://a.org/forum/detail?id=11",
        "https://a.org/aboutus/60Years/Pages/default.aspx",
        "https://a.org/notice.html",
    ],
)
def test_a_page_below_the_home_page_is_not_vague(url):
    assert not is_home_page(url)


def _item(path: str, *sources: Source) -> Item:
    return Item(
        path=path,
        slug=Path(path).stem,
        title="T",
        date=date(2020, 1, 1),
        published=NOW,
        issue="i",
        section="s",
        tags=(),
        sources=sources,
    )


def test_vague_sources_are_reported_once_per_site_with_every_place():
    items = [
        _item("content/items/b.md", Source("https://www.miit.gov.cn/", line=9)),
        _item(
            "content/items/a.md",
            Source("http://miit.gov.cn", line=10),
            Source("https://www.sac.gov.cn/index.html", line=11),
            Source("https://www.sac.gov.cn/notice/1.html", line=12),
        ),
    ]
    found = vague_sources(items)
    assert [(d.path, d.line, d.code, d.is_error) for d in found] == [
        ("content/items/a.md", 10, "vague-source", False),
        ("content/items/a.md", 11, "vague-source", False),
    ]
    miit, sac = found
    assert miit.message == (
        "2 sources link only to the home page of miit.gov.cn, which does not show where the "
        "facts are: content/items/a.md:10, content/items/b.md:9"
    )
    assert sac.message.startswith("a source links only to the home page of sac.gov.cn")
    assert "vague_sources = false under [check] in site.toml" in sac.fix


HOME_PAGES = {
    "content/items/a.md": item(title='"A"', sources=entries("- https://www.miit.gov.cn/")),
    "content/items/b.md": item(
        title='"B"', sources=entries("- https://x.org/deep/page.html", "- url: http://miit.gov.cn")
    ),
}


def test_check_and_build_warn_about_home_pages_and_strict_fails(tmp_path):
    make_project(tmp_path, HOME_PAGES)
    result = check_site(BuildRequest(tmp_path, BuildOptions(now=NOW), workers=1))
    vague = [w for w in result.warnings if w.code == "vague-source"]
    assert [(w.path, w.line) for w in vague] == [("content/items/a.md", FIRST)]
    assert vague[0].message.endswith("content/items/a.md:8, content/items/b.md:9")
    with pytest.raises(ContentError) as failure:
        build(tmp_path, HOME_PAGES, strict=True)
    assert [(d.code, d.is_error) for d in failure.value.diagnostics] == [("vague-source", True)]


def test_a_project_may_accept_home_pages_in_site_toml(tmp_path):
    site = SITE_TOML + "\n[check]\nvague_sources = false\n"
    result = build(tmp_path, {**HOME_PAGES, "site.toml": site}, strict=True)
    assert result.warnings == ()
    assert "/items/a/" in result.files


@pytest.mark.parametrize(
    ("table", "code", "message", "fix"),
    [
        (
            "[check]\nvague_source = false\n",
            "config-unknown-key",
            "unknown key 'check.vague_source'",
            "did you mean 'vague_sources'?",
        ),
        (
            '[check]\nvague_sources = "no"\n',
            "config-type",
            "check.vague_sources must be true or false, not str 'no'",
            "vague_sources = false",
        ),
        ("check = 1\n", "config-type", "check must be a table", "[check]"),
    ],
)
def test_the_check_setting_is_validated_like_other_settings(table, code, message, fix):
    text = table + SITE_TOML if not table.startswith("[") else SITE_TOML + table
    parsed, problems = parse_config(text)
    assert parsed is None
    assert [p.code for p in problems] == [code]
    assert problems[0].message.startswith(message)
    assert fix in problems[0].fix
    assert problems[0].line > 0


def test_the_setting_defaults_to_warning():
    assert config().vague_sources is True
    parsed, _ = parse_config(SITE_TOML + "\n[check]\nvague_sources = false\n")
    assert parsed.vague_sources is False


# --------------------------------------------------------------------------- cite


HOSTILE_TITLE = "R&D -- 100% of {braces} $x$ #1 a_b ^c ~d \\e “quoted” ``x'' é"


@pytest.fixture(scope="module")
def cited(tmp_path_factory):
    """A small site under a base path, with a title full of BibTeX's special characters."""
    root = tmp_path_factory.mktemp("cite")
    files = {
        "content/items/a.md": item(
            title=json.dumps(HOSTILE_TITLE, ensure_ascii=False),
            date="2020-05-12",
            summary='"What it says."',
        ),
        "content/items/b.md": item(title='"MIIT sets its key points"', date="2020-08-01"),
    }
    return build(root, files, base_url="https://example.org/repo/")


def test_an_item_page_offers_a_citation_in_a_details_block(cited):
    page = html(cited.files["/items/b/"].decode())
    block = page.find(".//details[@class='cite']")
    assert text_of(block.find("summary")) == "Cite this item"
    assert text_of(block.find(".//p[@class='citation']")) == (
        "Test Gazette. “MIIT sets its key points.” August–September 2020 (no. 3), "
        "1 August 2020. https://example.org/repo/items/b/"
    )
    links = {
        text_of(a): (a.get("href").split(",", 1)[0], a.get("download")) for a in block.iter("a")
    }
    assert links == {
        "BibTeX": ("data:application/x-bibtex;charset=utf-8", "b.bib"),
        "CSL-JSON": ("data:application/vnd.citationstyles.csl+json;charset=utf-8", "b.json"),
    }
    assert block.find(".//script") is None


def cite_entries(files: dict[str, bytes], url: str) -> dict[str, str]:
    """The BibTeX and CSL-JSON texts an item page's "Cite" links download."""
    block = html(files[url].decode()).find(".//details[@class='cite']")
    found = {}
    for link in block.iter("a"):
        head, _, data = link.get("href").partition(",")
        assert head.startswith("data:") and " " not in data and '"' not in data
        found[link.get("download").rsplit(".", 1)[1]] = unquote(data)
    return found


def test_the_cite_links_are_data_urls_not_files(cited):
    assert not [url for url in cited.files if "cite" in url]
    assert set(cite_entries(cited.files, "/items/b/")) == {"bib", "json"}


def test_cite_bib_is_read_by_a_bibtex_parser_with_every_character_intact(cited):
    text = cite_entries(cited.files, "/items/a/")["bib"]
    raw = bibtexparser.parse_string(text)
    assert raw.failed_blocks == []
    [entry] = raw.entries
    assert (entry.entry_type, entry.key) == ("online", "a")
    fields = {f.key: f.value for f in entry.fields}
    assert set(fields) == {"title", "organization", "date", "year", "month", "url", "note"}
    assert "urldate" not in fields
    assert (fields["date"], fields["year"], fields["month"]) == ("2020-05-12", "2020", "may")
    assert fields["url"] == "https://example.org/repo/items/a/"
    decoded = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    values = {f.key: f.value for f in decoded.entries[0].fields}
    # pylatexenc writes \textasciicircum as U+02C6, the modifier letter circumflex.
    assert values["title"].replace("ˆ", "^") == HOSTILE_TITLE
    assert values["organization"] == "Test Gazette"
    assert values["note"] == "August–September 2020 (no. 3)"


def test_cite_json_is_valid_csl_json(cited):
    data = json.loads(cite_entries(cited.files, "/items/a/")["json"])
    jsonschema.Draft3Validator(CSL_SCHEMA).validate(data)
    [entry] = data
    assert entry == {
        "id": "a",
        "type": "article-newspaper",
        "title": HOSTILE_TITLE,
        "container-title": "Test Gazette",
        "publisher": "Test Gazette",
        "issue": "3",
        "issued": {"date-parts": [[2020, 5, 12]]},
        "URL": "https://example.org/repo/items/a/",
        "language": "en",
        "abstract": "What it says.",
    }


def test_the_schema_rejects_what_is_not_csl_json():
    validator = jsonschema.Draft3Validator(CSL_SCHEMA)
    assert not validator.is_valid([{"id": "a", "type": "web-page"}])
    assert not validator.is_valid([{"id": "a", "type": "post-weblog", "title": 5}])
    assert not validator.is_valid([{"id": "a", "type": "post-weblog", "issued": {"date-parts": 1}}])
    assert not validator.is_valid([{"type": "post-weblog"}])
    assert validator.is_valid([{"id": "a", "type": "post-weblog"}])


def test_serve_gives_the_cite_files_a_text_content_type():
    assert content_type_for("items/a/cite.bib") == "text/plain; charset=utf-8"
    assert content_type_for("items/a/cite.json") == "application/json"


# --------------------------------------------------------------------------- sample archive


@pytest.fixture(scope="module")
def sample():
    options = BuildOptions(now=NOW, strict=True)
    return build_site(BuildRequest(ROOT, options, write=False, use_cache=False))


def test_the_sample_builds_strictly_and_names_its_documents(sample):
    titled = [s for item in sample.site.items for s in item.sources if s.title]
    assert len(titled) >= 10
    assert len({s.publisher for s in titled if s.publisher}) >= 5
    assert sum(1 for s in titled if s.date) >= 5


def test_every_cite_file_of_the_sample_parses(sample):
    validator = jsonschema.Draft3Validator(CSL_SCHEMA)
    for each in sample.site.items:
        entries = cite_entries(sample.files, each.url)
        library = bibtexparser.parse_string(entries["bib"])
        assert library.failed_blocks == [] and len(library.entries) == 1, each.path
        validator.validate(json.loads(entries["json"]))


def test_search_leaves_the_citations_out(sample):
    search = [url for url in sample.files if url.startswith(("/search/", "/pagefind/"))]
    assert search
    for url in search:
        data = sample.files[url]
        data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        assert b"@online" not in data and b"article-newspaper" not in data, url


PAGE_BUDGET = 20 * 1024  # bytes gzipped: an item page, its style sheet and its scripts


def test_an_item_page_with_what_it_loads_stays_under_20_kb_gzipped(sample):
    heaviest = 0
    for each in sample.site.items:
        page = sample.files[each.url]
        tree = html(page.decode())
        loaded = [e.get("href") for e in tree.iter("link") if e.get("rel") == "stylesheet"]
        loaded += [e.get("src") for e in tree.iter("script") if e.get("src")]
        total = len(gzip.compress(page, 6))
        for url in loaded:
            total += len(gzip.compress(sample.files[url.split("?")[0]], 6))
        heaviest = max(heaviest, total)
    assert heaviest <= PAGE_BUDGET, heaviest


def _home_by_urlsplit(url: str) -> bool:
    """The rule of `is_home_page`, always through urlsplit (its fast path must agree)."""
    from urllib.parse import urlsplit

    from gazette.content import sources

    parts = urlsplit(url)
    if parts.query:
        return False
    segments = [s for s in parts.path.split("/") if s]
    if segments and sources._INDEX.fullmatch(segments[-1]):
        segments.pop()
    if len(segments) == 1 and sources._LANGUAGE.fullmatch(segments[0]):
        segments.pop()
    return not segments


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["https://", "http://", "x.org", "/", "//", "en", "index.html", "a"]),
        max_size=8,
    ).map("".join)
    | st.lists(st.sampled_from(["/", "?", "#", "=", "a", "en", "://", "x.org"]), max_size=9).map(
        lambda parts: "https://" + "".join(parts)
    )
)
@example("https://x.org/en/index.html")
@example("https://x.org/en-gb/default.aspx")
@example("https://x.org/a/b/c")
@example("https://x.org/a/b/c#/")
def test_the_quick_home_page_rule_agrees_with_urlsplit(url):
    assert is_home_page(url) == _home_by_urlsplit(url), url
