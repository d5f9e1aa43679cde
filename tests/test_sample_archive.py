"""The sample archive in content/ builds strictly and meets the issue's bar."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import html5lib
import pytest

from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from helpers import NOW

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def result():
    options = BuildOptions(now=NOW, strict=True)
    return build_site(BuildRequest(ROOT, options, write=False, use_cache=False))


def test_builds_strictly_without_warnings(result):
    assert result.warnings == ()


def test_has_enough_issues_items_sections_and_tags(result):
    site = result.site
    assert len(site.issues) >= 3
    assert len(site.items) >= 45
    assert len({item.section for item in site.items}) >= 5
    assert len({tag for item in site.items for tag in item.tags}) >= 25


def test_standardisation_spellings_are_aliases_of_one_tag(result):
    tag = result.site.vocabulary.by_name["Standardisation"]
    assert {"Standardization", "Standards", "Standard"} <= set(tag.aliases)


def test_items_written_with_variant_spellings_list_the_canonical_tag(result):
    variants = ("Standardization", "Standards", "Standard")
    raw = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "content/items").rglob("*.md")
        if any(f'"{v}"' in p.read_text().split("---")[1] for v in variants)
    ]
    assert len(raw) >= 3, "the sample should use the newsletter's variant spellings"
    by_path = {item.path: item for item in result.site.items}
    assert all("Standardisation" in by_path[path].tags for path in raw)


def test_miit_key_points_form_a_thread(result):
    items = result.site.item_by_slug
    assert items["miit-standardisation-key-points-2020"].follows == (
        "miit-standardisation-key-points-2018"
    )
    assert items["miit-standardisation-key-points-2021"].follows == (
        "miit-standardisation-key-points-2020"
    )


def test_every_item_has_sources_and_every_issue_has_takeaways(result):
    assert all(item.sources for item in result.site.items)
    assert all("Takeaways" in issue.html for issue in result.site.issues)


def test_glossary_holds_the_newsletters_abbreviations(result):
    abbreviations = {entry.abbr for entry in result.site.glossary}
    assert {"SAC", "MIIT", "CNCA", "SAMR", "NEA"} <= abbreviations


def test_every_page_is_unique_and_items_spread_over_issues(result):
    per_issue = Counter(item.issue for item in result.site.items)
    assert min(per_issue.values()) >= 5
    assert len(result.files) == len(set(result.files))


def test_every_page_parses_as_strict_html5(result):
    pages = {url: data for url, data in result.files.items() if url.endswith("/")}
    assert len(pages) >= 50
    for url, data in pages.items():
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        parser.parse(data)  # raises ParseError on the first HTML syntax error
        assert parser.errors == [], url


def test_every_internal_link_resolves(result):
    for url, data in result.files.items():
        if not url.endswith("/"):
            continue
        tree = html5lib.parse(data, namespaceHTMLElements=False)
        for element in tree.iter():
            target = element.get("href") or element.get("src")
            if not target or not target.startswith("/"):
                continue
            path = target.split("?")[0].split("#")[0]
            assert path in result.files, f"{url} links to missing {target}"
