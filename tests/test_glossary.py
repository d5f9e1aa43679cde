"""The glossary plugin: first-mention <abbr>, where it never goes, /glossary/, synonyms."""

from __future__ import annotations

import html5lib
import pytest
from test_crosslinks import build_sample, doc

from gazette.content.load import load_config
from gazette.plugins import load_plugins, run_markdown_extensions, run_menu
from gazette.render.abbreviations import source_version
from gazette.render.markdown_stage import fingerprint
from gazette.render.sanitize import sanitize_html
from helpers import SITE_TOML, build, make_project

SITE = SITE_TOML + "[plugins.crosslinks]\n[plugins.glossary]\n"
GLOSSARY = """\
MIIT: Ministry of Industry and Information Technology
SAC: Standardization Administration of China
GB: Guobiao, national standard
GB/T: Recommended national standard
R&D: Research and development
IoT: Internet of Things
"""


def tree(markup: str):
    return html5lib.parse(markup, namespaceHTMLElements=False)


def prose(page: str):
    return tree(page).find(".//div[@class='prose e-content']")


def abbrs(page: str) -> list[tuple[str, str]]:
    return [(a.text, a.get("title")) for a in prose(page).iter("abbr")]


def build_with(tmp_path, body: str, **files: str):
    return build(
        tmp_path,
        {
            "site.toml": SITE,
            "content/glossary.yml": GLOSSARY,
            "content/items/a.md": doc(body, title='"Plain title"'),
            **files,
        },
    )


def page_of(result, url: str = "/items/a/") -> str:
    return result.files[url].decode()


def test_only_the_first_mention_of_each_abbreviation_is_marked(tmp_path):
    body = "MIIT and SAC met. MIIT again, SAC again.\n\nLater MIIT.\n"
    assert abbrs(page_of(build_with(tmp_path, body))) == [
        ("MIIT", "Ministry of Industry and Information Technology"),
        ("SAC", "Standardization Administration of China"),
    ]


def test_never_inside_code_pre_links_headings_or_an_existing_abbr(tmp_path):
    body = (
        "# MIIT in a heading\n\n"
        "`MIIT` in code, [MIIT](https://example.org/) in a link, [[b|MIIT]] in a wiki link.\n\n"
        "```\nMIIT SAC\n```\n\n"
        "    SAC indented\n\n"
        "*[SAC]: Our own expansion\n\n"
        "The SAC here is the author's. First prose MIIT.\n"
    )
    files = {"content/items/b.md": doc("B.\n", title='"B"')}
    page = page_of(build_with(tmp_path, body, **files))
    assert abbrs(page) == [
        ("SAC", "Our own expansion"),
        ("MIIT", "Ministry of Industry and Information Technology"),
    ]
    root = prose(page)
    for tag in ("h1", "code", "pre", "a"):
        assert all(el.find(".//abbr") is None for el in root.iter(tag)), tag
    assert "prose MIIT" in "".join(root.itertext())


def test_matches_are_whole_word_case_sensitive_and_longest_first(tmp_path):
    body = "miit, MIITs, xMIIT and IoTs do not count; GB/T 1 and GB 2 and R&D and IoT do.\n"
    assert [text for text, _ in abbrs(page_of(build_with(tmp_path, body)))] == [
        "GB/T",
        "GB",
        "R&D",
        "IoT",
    ]


def test_abbr_with_title_survives_the_sanitiser():
    markup = '<abbr title="Ministry &amp; co">MIIT</abbr>'
    assert sanitize_html(markup) == markup


def test_glossary_page_lists_entries_alphabetically_with_their_items(tmp_path):
    files = {
        "content/items/b.md": doc("Nothing here.\n", title='"MIIT in the title"'),
        "content/items/c.md": doc("SAC only.\n", title='"C"', summary='"About IoT"'),
    }
    result = build_with(tmp_path, "MIIT news.\n", **files)
    page = tree(page_of(result, "/glossary/"))
    entries = page.find(".//dl[@class='glossary']")
    assert [dt.get("id") for dt in entries.iter("dt")] == ["iot", "miit", "sac"]
    listed = {
        dt.get("id"): [a.text for a in dd.iter("a")]
        for dt, dd in zip(entries.iter("dt"), entries.iter("dd"), strict=True)
    }
    assert listed == {
        "iot": ["C"],
        "miit": ["MIIT in the title", "Plain title"],
        "sac": ["C"],
    }
    # Entries no item mentions follow, one line each (tests/test_small_things.py).
    compact = page.find(".//dl[@class='glossary-compact']")
    assert [dt.get("id") for dt in compact.iter("dt")] == ["gb", "gb-t", "r-d"]
    menu = run_menu(result.site, load_plugins(result.site.config, tmp_path))
    assert ("Glossary", "/glossary/") in [(entry.title, entry.url) for entry in menu]


def test_glossary_is_data_for_other_plugins(tmp_path):
    index = build_with(tmp_path, "x\n").site.data["glossary"]
    assert index.expansion_of["MIIT"] == "Ministry of Industry and Information Technology"
    assert index.abbreviation_of["Ministry of Industry and Information Technology"] == "MIIT"
    assert index.url_of("GB/T") == "/glossary/#gb-t"
    assert index.url_of("NOPE") is None


def test_no_glossary_file_means_no_extension_and_an_empty_page(tmp_path):
    result = build(tmp_path, {"site.toml": SITE, "content/glossary.yml": ""})
    assert "The glossary is empty." in page_of(result, "/glossary/")


def test_the_glossary_is_part_of_the_render_cache_key(tmp_path):
    project = make_project(tmp_path, {"site.toml": SITE, "content/glossary.yml": GLOSSARY})
    config = load_config(project)
    plugins = load_plugins(config, project)
    before = run_markdown_extensions(config, plugins)
    assert before[-1][0] == "gazette.render.abbreviations:GlossaryExtension"
    assert before[-1][1]["version"] == source_version()
    assert ["R&D", "Research and development"] in before[-1][1]["entries"]
    (project / "content/glossary.yml").write_text(GLOSSARY + "EU: European Union\n")
    after = run_markdown_extensions(config, plugins)
    assert fingerprint(before) != fingerprint(after)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("sample"))


def test_sample_archive_glossary_lists_each_abbreviation_with_its_items(sample):
    index = sample.site.data["glossary"]
    assert len(index.entries) == 91
    miit = [i.slug for i in index.mentions["MIIT"]]
    assert "miit-standardisation-key-points-2020" in miit and len(miit) >= 20
    page = tree(sample.files["/glossary/"].decode())
    entry = page.find(".//dt[@id='miit']")
    assert entry is not None and entry.find("abbr").text == "MIIT"
    mentioned = sum(1 for entry in index.entries if index.mentions[entry.abbr])
    assert mentioned >= 40
