"""The search plugin: records, synonyms, both engines' files and the lunr size warning.

Browser behaviour (the UI, both engines end to end) is in test_search_browser.py.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.diagnostics import ContentError
from gazette.model import BuildOptions, GlossaryEntry
from gazette.pipeline import BuildRequest, build_site
from helpers import NOW, SITE_TOML, build, item
from plugins import search

MISSING = [name for name in ("pagefind", "lunr") if importlib.util.find_spec(name) is None]
MISSING += [] if search.LUNR_JS.is_file() else ["lunr.js (python3 dev.py installs it)"]
# CI must run these; a developer machine without the packages skips them with the reason.
pytestmark = pytest.mark.skipif(
    bool(MISSING) and not os.environ.get("CI"), reason=f"not installed: {', '.join(MISSING)}"
)


def project(engine: str = "pagefind", extra: str = "") -> str:
    return SITE_TOML + f'[plugins.search]\nengine = "{engine}"\n{extra}'


def site_of(tmp_path, files: dict[str, str], engine: str = "lunr", **options):
    return build(tmp_path, {"site.toml": project(engine), **files}, **options)


def body_item(body: str, **fields: str) -> str:
    return item(**fields).replace("Body text.\n", body + "\n")


def records_of(tmp_path, files: dict[str, str], **options) -> dict[str, search.Record]:
    result = site_of(tmp_path, files, **options)
    return {rec.title: rec for rec in search.records(result.site, result.site.glossary)}


# --------------------------------------------------------------------------- records


def test_drafts_and_scheduled_items_are_never_records_even_when_previewed(tmp_path):
    files = {
        "content/items/public.md": item(title='"Public"'),
        "content/items/draft.md": item(title='"Draft"', draft="true"),
        "content/items/future.md": item(title='"Future"', date="2030-01-01"),
    }
    result = site_of(tmp_path, files, drafts=True, future=True)
    assert {i.title for i in result.site.items} == {"Public", "Draft", "Future"}
    assert [r.title for r in search.records(result.site, result.site.glossary)] == ["Public"]


def test_a_record_has_display_fields_and_the_text_of_the_rendered_body(tmp_path):
    files = {
        "content/items/a.md": body_item(
            "Some **bold** words and a [link](https://example.org/).\n\n- a list entry",
            title='"Bold claims"',
            date="2020-08-03",
            section="horizontal",
            summary='"In short."',
            tags='["5G", "MIIT"]',
        )
    }
    rec = records_of(tmp_path, files)["Bold claims"]
    assert rec.url.startswith("/items/") and rec.url.endswith("/")
    assert (rec.date, rec.year) == ("2020-08-03", "2020")
    assert rec.issue == "August–September 2020"  # the issue's title, not its id
    assert rec.section == "Horizontal Issues"  # the section's title
    assert rec.tags == ("5G", "MIIT")
    assert rec.summary == "In short."
    assert rec.body == "Some bold words and a link. ¶ a list entry"  # ¶ between blocks


def test_aliases_of_the_tags_are_part_of_the_record(tmp_path):
    files = {"content/items/a.md": item(title='"A"', tags='["Standards", "AI"]')}
    rec = records_of(tmp_path, files)["A"]
    assert rec.tags == ("Standardisation", "AI")  # canonical, even when written as an alias
    assert rec.aliases == ("Standardization", "Standards", "Standard", "Artificial Intelligence")


def test_synonyms_add_the_missing_side_of_each_glossary_entry(tmp_path):
    files = {
        "content/items/abbr.md": body_item("MIIT issued a plan.", title='"Abbr"', tags='["5G"]'),
        "content/items/long.md": body_item(
            "The Ministry of Industry and\nInformation Technology issued a plan.",
            title='"Long"',
            tags='["5G"]',
        ),
        "content/items/both.md": body_item(
            "The Ministry of Industry and Information Technology (MIIT) issued it.",
            title='"Both"',
            tags='["5G"]',
        ),
        "content/items/tagged.md": item(title='"Tagged"', tags='["MIIT"]'),
    }
    recs = records_of(tmp_path, files)
    assert recs["Abbr"].synonyms == ("Ministry of Industry and Information Technology",)
    assert recs["Long"].synonyms == ("MIIT",)
    assert recs["Both"].synonyms == ()
    assert recs["Tagged"].synonyms == ("Ministry of Industry and Information Technology",)


def test_abbreviations_match_whole_words_with_their_case():
    words = search.thesaurus(
        (
            GlossaryEntry("MOST", "Ministry of Science and Technology"),
            GlossaryEntry("GB", "Guobiao"),
            GlossaryEntry("GB/T", "Guobiao Tuijian"),
            GlossaryEntry("R&D", "Research and Development"),
            GlossaryEntry("5G", "Fifth generation"),
        )
    )
    assert search.synonyms("most of it, at 5GHz", words) == ()
    assert search.synonyms("MOST funds R&D under GB/T 1.1", words) == (
        "Guobiao Tuijian",
        "Ministry of Science and Technology",
        "Research and Development",
    )
    assert search.synonyms("research AND development", words) == ("R&D",)


def test_an_empty_glossary_gives_no_synonyms():
    assert search.synonyms("MIIT", search.thesaurus(())) == ()


# --------------------------------------------------------------------------- pagefind


def sample_record(**fields) -> search.Record:
    values = {
        "url": "/items/a/",
        "title": "A title",
        "date": "2020-08-03",
        "issue": "August 2020",
        "section": "ICT",
        "tags": ("5G",),
        "aliases": ("Fifth G",),
        "summary": "Short.",
        "text": "Body words here.",
        "synonyms": ("Fifth generation",),
    }
    if "body" in fields:  # one block: the body is the text
        fields["text"] = fields.pop("body")
    return search.Record(**{**values, **fields})


def test_a_pagefind_record_puts_the_body_first_and_carries_filters_sort_and_meta():
    entry = search.pagefind_record(sample_record(), "en")
    assert entry["content"].startswith("Body words here. ___PAGEFIND_WEIGHT___7 A title ")
    assert entry["content"].endswith("Fifth generation")
    assert entry["meta"]["words"] == "3"
    assert entry["meta"]["title"] == "A title"
    assert entry["filters"] == {
        "tag": ["5G"],
        "section": ["ICT"],
        "issue": ["August 2020"],
        "year": ["2020"],
    }
    assert entry["sort"] == {"date": "2020-08-03"}


def test_weight_markers_written_by_authors_are_removed():
    entry = search.pagefind_record(sample_record(body="x ___PAGEFIND_WEIGHT___9 y"), "en")
    assert entry["content"].startswith("x  y ___PAGEFIND_WEIGHT___7 ")


def fragments(files: dict[str, bytes]) -> list[dict]:
    found = []
    for url, data in files.items():
        if url.endswith(".pf_fragment"):
            text = gzip.decompress(data).decode()
            found.append(json.loads(text[text.index("{") :]))
    return found


def test_the_pagefind_bundle_is_built_from_records_without_its_own_ui(tmp_path):
    files = {
        "content/items/a.md": body_item("Plain `<b>` words.", title='"Title <i>"', tags='["5G"]'),
    }
    result = site_of(tmp_path, files, engine="pagefind")
    urls = set(result.files)
    assert {"/pagefind/pagefind.js", "/pagefind/pagefind-entry.json"} <= urls
    assert not [url for url in urls if "-ui." in url or "highlight" in url]
    [fragment] = fragments(result.files)
    # Pagefind strips its weight markers from the stored content (it parses them).
    assert fragment["content"] == "Plain <b> words. Title <i> 5G"
    assert fragment["meta"]["title"] == "Title <i>"
    assert fragment["filters"]["tag"] == ["5G"]
    assert "'wasm-unsafe-eval'" in result.files["/"].decode()


# --------------------------------------------------------------------------- reuse


def counting_builds(monkeypatch, engine: str) -> list[int]:
    """Count real index builds of ``engine``: a reused index does not add one.

    The build loads its own copy of the plugin module, so the spy goes on what
    both share: ``subprocess.Popen`` for runs of Pagefind's executable (one per
    index), lunr's ``lunr()``.
    """
    calls: list[int] = []
    if engine == "pagefind":
        import subprocess as package

        name = "Popen"
    else:
        import lunr as package

        name = "lunr"
    original = getattr(package, name)

    def counted(*args, **kwargs):
        command = args[0] if args else kwargs.get("args")
        if engine != "pagefind" or Path(str(command[0])).name.startswith("pagefind"):
            calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(package, name, counted)
    return calls


def search_files(result) -> dict[str, bytes]:
    return {
        url: data
        for url, data in result.files.items()
        if url.startswith("/pagefind/") or url.startswith("/search/lunr-")
    }


@pytest.mark.parametrize("engine", ["lunr", "pagefind"])
def test_an_unchanged_index_is_reused_and_any_record_change_rebuilds_it(
    tmp_path, monkeypatch, engine
):
    calls = counting_builds(monkeypatch, engine)
    files = {"site.toml": project(engine), "content/items/a.md": item(title='"First"')}
    first = build(tmp_path, files)
    assert len(calls) == 1
    # One slot per Pagefind shard; a small archive has one shard, "all".
    slot_name = {"lunr": "lunr", "pagefind": "pagefind-all"}[engine]
    slot = tmp_path / f".gazette-cache/plugins/search/{slot_name}.zip"
    assert slot.is_file()

    # Pages change (a draft is added), the records do not: the index is reused.
    again = build(tmp_path, {**files, "content/items/b.md": item(title='"Second"', draft="true")})
    assert len(calls) == 1
    assert search_files(again) == search_files(first)

    # Any change to a record (here a title) builds a new index.
    changed = build(tmp_path, {**files, "content/items/a.md": item(title='"Renamed"')})
    assert len(calls) == 2
    assert b"Renamed" in b"".join(
        gzip.decompress(d) if url.endswith(".pf_fragment") else d
        for url, d in search_files(changed).items()
    )

    # A damaged cache entry, or a build without the cache, builds it again.
    slot.write_bytes(b"damaged")
    build(tmp_path, {"site.toml": files["site.toml"]})
    assert len(calls) == 3
    build_site(BuildRequest(tmp_path, BuildOptions(now=NOW), write=False, use_cache=False))
    assert len(calls) == 4


# --------------------------------------------------------------------------- lunr


def lunr_search(files: dict[str, bytes], query: str) -> list[str]:
    from lunr.index import Index

    index = Index.load(json.loads(files["/search/lunr-index.json"]))
    docs = json.loads(files["/search/lunr-docs.json"])
    return [docs[int(match["ref"])]["title"] for match in index.search(query)]


def test_the_lunr_index_finds_aliases_and_synonyms_and_ranks_titles_first(tmp_path):
    files = {
        "content/items/tagged.md": body_item(
            "Nothing here.", title='"Tagged"', tags='["Standard"]'
        ),
        "content/items/abbr.md": body_item("MIIT did it.", title='"Abbr"', tags='["5G"]'),
        "content/items/body.md": body_item("Zebras and more.", title='"Body"', tags='["5G"]'),
        "content/items/title.md": body_item("Nothing.", title='"Zebras"', tags='["5G"]'),
    }
    result = site_of(tmp_path, files)
    assert lunr_search(result.files, "Standardization") == ["Tagged"]
    assert lunr_search(result.files, "Ministry Information") == ["Abbr"]
    assert lunr_search(result.files, "zebra") == ["Zebras", "Body"]
    docs = json.loads(result.files["/search/lunr-docs.json"])
    assert docs[0].keys() == {
        *("url", "title", "date", "issue", "section", "tags", "summary", "text"),
        *("standards", "extra"),  # identifiers, and tag aliases, synonyms and identifiers
    }
    assert result.files["/search/lunr.min.js"] == search.LUNR_JS.read_bytes()
    assert "wasm-unsafe-eval" not in result.files["/"].decode()
    assert result.warnings == ()


def test_a_lunr_index_over_the_limit_warns_and_recommends_the_gazette_engine(tmp_path):
    files = {"site.toml": project("lunr", "lunr_warn_bytes = 100\n")}
    result = build(tmp_path, {**files, "content/items/a.md": item()})
    [found] = result.warnings
    assert found.code == "search-index-size"
    assert found.path == "site.toml" and found.line > 0
    assert "over 0.0001 MB" in found.message
    assert 'engine = "gazette"' in found.fix


def test_the_size_warning_is_an_error_under_strict(tmp_path):
    files = {"site.toml": project("lunr", "lunr_warn_bytes = 100\n")}
    with pytest.raises(ContentError, match="search-index-size"):
        build(tmp_path, {**files, "content/items/a.md": item()}, strict=True)


def test_the_size_warning_starts_just_past_the_limit():
    assert search.size_warning(1_000_000, 1_000_000, "site.toml", 3) is None
    found = search.size_warning(18_700_000, 1_000_000, "site.toml", 3)
    assert found is not None and found.line == 3
    assert found.message.startswith("the lunr search index and documents weigh 18.7 MB gzipped")


def test_missing_lunr_js_names_the_setup_command(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "LUNR_JS", search.VENDOR / "node_modules" / "nowhere.js")
    with pytest.raises(ContentError) as caught:
        search.lunr_script()
    [problem] = caught.value.diagnostics
    assert problem.code == "search-setup"
    assert "npm ci --prefix theme/vendor" in problem.fix


def test_an_unknown_engine_is_a_configuration_error(tmp_path):
    from gazette.diagnostics import UsageError

    with pytest.raises(UsageError) as caught:
        build(tmp_path, {"site.toml": project("elastic"), "content/items/a.md": item()})
    [problem] = caught.value.diagnostics
    assert "plugins.search.engine is 'elastic'" in problem.message


def test_the_search_page_and_header_box_carry_the_engine_and_base_path(tmp_path):
    files = {"site.toml": project("lunr"), "content/items/a.md": item()}
    result = build(tmp_path, files, base_url="https://example.org/repo/")
    home = result.files["/"].decode()
    assert 'action="/repo/search/"' in home
    assert 'data-search-base="/repo/"' in home and 'data-search-engine="lunr"' in home
    page = result.files["/search/"].decode()
    assert 'class="site-search"' not in page  # the page's own box replaces the header's
    assert 'href="/repo/tags/"' in page  # the way in without JavaScript


def test_search_js_knows_the_standard_prefixes_the_recogniser_knows():
    """search.js writes "GBT 4754" as "GB/T 4754" for the prefixes of identifiers.SECTORS."""
    from gazette.content.identifiers import SECTORS

    script = (Path(__file__).parent.parent / "theme/static/search.js").read_text(encoding="utf-8")
    start = script.index("var CN_PREFIXES = ")
    literal = script[start : script.index(";", start)]
    prefixes = "".join(part for part in literal.split('"')[1::2]).split()
    assert prefixes == ["GB", *SECTORS]


def test_hyphenated_words_are_also_indexed_solid():
    text = "E-commerce rules, a cyber-security law, state-of-the-art ecommerce, x-2"
    assert search.closed_compounds(text) == ("cybersecurity",)
    assert search.closed_compounds("Co-operation and e-commerce") == ("cooperation", "ecommerce")


def test_a_glossary_expansion_with_an_apostrophe_matches_a_curled_body():
    words = search.thesaurus([GlossaryEntry("PBOC", "People's Bank of China")])
    assert search.synonyms("The People\u2019s Bank of China said so.", words) == ("PBOC",)


def test_short_words_are_the_two_character_words_with_a_letter():
    from plugins._search_index import words_of

    texts = [
        "AI and 5G in the EU; 20 items, a 3D-printed x1 part (GB/T 35273-2020).",
        "___PAGEFIND_AUTO_ai___ 标准 éab naïve io",
    ]
    # Numbers begin years, one letter and three letters are not short words, and a
    # pair inside a longer word ("éab") is not a word.
    assert words_of(texts)[1] == ["3d", "5g", "ai", "eu", "gb", "in", "io", "x1"]


def _words_by_regex(texts: list[str]) -> tuple[dict[str, int], list[str]]:
    """The words as the two regular expressions find them over each whole text."""
    from collections import Counter

    from plugins._search_index import _MARKER, _SHORT, _WORD

    counts: Counter[str] = Counter()
    short: set[str] = set()
    for text in texts:
        lowered = _MARKER.sub(" ", text).lower()
        counts.update(set(_WORD.findall(lowered)))
        short.update(_SHORT.findall(lowered))
    return dict(sorted(counts.items())), sorted(short)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ab5Zx_é²½Ωω-. \n标\u0301q9", max_size=60)
        | st.sampled_from(
            ["a" * 35, "abcd" * 9 + "5", "x5", "5x", "55", "ab_cd", "___PAGEFIND_X w"]
        ),
        max_size=4,
    )
)
def test_words_of_finds_what_the_regular_expressions_find(texts):
    # words_of reads each distinct token once instead of running _WORD and
    # _SHORT over the text: the words and their counts must be the same.
    from plugins._search_index import words_of

    assert words_of(texts) == _words_by_regex(texts)
