"""Wiki links: rendering, code, base path, titles, and the exact errors of broken links."""

from __future__ import annotations

import html5lib
import pytest

from gazette.cli import main
from gazette.content.config import parse_config
from gazette.diagnostics import ContentError
from gazette.plugins import load_plugins
from gazette.plugins import run_markdown_extensions as specs_of
from gazette.render.wikilinks import WikiRef, find_wikilinks, source_version
from helpers import SITE_TOML, build, build_pages, item, make_project

SITE = SITE_TOML + "[plugins.crosslinks]\n"
TARGET = """\
---
title: "Key points 2020"
date: 2020-05-12
issue: "2020-08"
section: horizontal
tags: ["MIIT"]
slug: miit-key-points-2020
---

Intro.

## Sector standards

Text.

## International dimension

More.
"""


def doc(body: str, **fields: str) -> str:
    """An item whose body is ``body``: the file's line 9 is the body's line 1."""
    return item(**fields).replace("Body text.\n", body)


def tree(markup: str):
    return html5lib.parse(markup, namespaceHTMLElements=False)


def body_links(page: str) -> list[tuple[str, str, str]]:
    prose = tree(page).find(".//div[@class='prose e-content']")
    return [(a.get("href"), a.get("class") or "", "".join(a.itertext())) for a in prose.iter("a")]


def pages_with(tmp_path, body: str, **options) -> dict[str, str]:
    files = {
        "site.toml": SITE,
        "content/items/target.md": TARGET,
        "content/items/a.md": doc(body, title='"A"'),
    }
    return build_pages(tmp_path, files, **options)


def errors_of(tmp_path, files: dict[str, str]) -> list[str]:
    with pytest.raises(ContentError) as caught:
        build(tmp_path, {"site.toml": SITE, "content/items/target.md": TARGET, **files})
    return [d.format() for d in caught.value.diagnostics]


def test_the_three_forms_render_links_with_title_text_anchor(tmp_path):
    body = (
        "See [[miit-key-points-2020]], [[miit-key-points-2020|the *2020* points]] "
        "and [[miit-key-points-2020#sector-standards]].\n"
    )
    links = body_links(pages_with(tmp_path, body)["/items/a/"])
    assert links == [
        ("/items/miit-key-points-2020/", "wikilink wikilink-auto", "Key points 2020"),
        ("/items/miit-key-points-2020/", "wikilink", "the 2020 points"),
        (
            "/items/miit-key-points-2020/#sector-standards",
            "wikilink wikilink-auto",
            "Key points 2020 › Sector standards",
        ),
    ]


def test_links_carry_the_base_path(tmp_path):
    body = "[[miit-key-points-2020|x]] and [[miit-key-points-2020]]\n"
    pages = pages_with(tmp_path, body, base_url="https://example.org/repo/")
    hrefs = [href for href, _, _ in body_links(pages["/items/a/"])]
    assert hrefs == ["/repo/items/miit-key-points-2020/"] * 2


def test_wiki_links_in_code_stay_text_and_are_not_checked(tmp_path):
    body = (
        "Inline `[[no-such-item]]` code.\n\n"
        "```\n[[no-such-item]]\n```\n\n"
        "    [[no-such-item]]\n\n"
        "<div>[[no-such-item]]</div>\n"
    )
    page = pages_with(tmp_path, body)["/items/a/"]
    assert body_links(page) == []
    prose = tree(page).find(".//div[@class='prose e-content']")
    assert "".join(prose.itertext()).count("[[no-such-item]]") == 4


def test_unknown_slug_is_an_error_with_line_column_and_suggestion(tmp_path):
    body = "Intro line.\n\nThe 2020 points, see [[miit-key-point-2020]].\n"
    assert errors_of(tmp_path, {"content/items/a.md": doc(body)}) == [
        "content/items/a.md:11:22: error[wiki-link]: no published item has the slug "
        "'miit-key-point-2020'. Fix: did you mean 'miit-key-points-2020'?"
    ]


def test_every_broken_link_is_reported_at_once(tmp_path):
    body = (
        "[[zzz-unknown]]\n\n"
        "[[miit-key-points-2020#sector-standard]] and [[miit-key-points-2020#qq]]\n"
    )
    # 'a-titl' is near the slugified title of item a ("A title"): that suggests 'a'.
    other = doc("Fine [[miit-key-points-2020]], broken [[a-titl]].\n", title='"B"')
    assert errors_of(tmp_path, {"content/items/a.md": doc(body), "content/items/b.md": other}) == [
        "content/items/a.md:9:1: error[wiki-link]: no published item has the slug "
        "'zzz-unknown'. Fix: use the slug of a published item: its file name, or its "
        "'slug:' field",
        "content/items/a.md:11:1: error[wiki-link]: 'miit-key-points-2020' has no heading "
        "with the id 'sector-standard'. Fix: did you mean 'sector-standards'?",
        "content/items/a.md:11:46: error[wiki-link]: 'miit-key-points-2020' has no heading "
        "with the id 'qq'. Fix: its heading ids are: sector-standards, international-dimension",
        "content/items/b.md:9:39: error[wiki-link]: no published item has the slug 'a-titl'. "
        "Fix: did you mean 'a'?",
    ]


def test_anchor_on_an_item_without_headings(tmp_path):
    files = {
        "content/items/a.md": doc("[[b#intro]]\n"),
        "content/items/b.md": item(title='"B"'),
    }
    assert errors_of(tmp_path, files) == [
        "content/items/a.md:9:1: error[wiki-link]: 'b' has no heading with the id 'intro'. "
        "Fix: link to [[b]] without '#intro'; that item has no headings"
    ]


def test_a_title_instead_of_a_slug_suggests_the_slug(tmp_path):
    errors = errors_of(tmp_path, {"content/items/a.md": doc("[[Key Points 2020]]\n")})
    assert errors[0].endswith("Fix: did you mean 'miit-key-points-2020'?")


def test_links_to_drafts_are_errors_unless_drafts_are_built(tmp_path):
    files = {
        "content/items/a.md": doc("[[b]]\n"),
        "content/items/b.md": item(title='"B"', draft="true"),
    }
    assert "no published item has the slug 'b'" in errors_of(tmp_path, files)[0]
    pages = build_pages(tmp_path, {"site.toml": SITE, **files}, drafts=True)
    assert body_links(pages["/items/a/"]) == [("/items/b/", "wikilink wikilink-auto", "B")]


def test_a_self_link_is_fine_and_not_a_backlink(tmp_path):
    result = build(
        tmp_path,
        {"site.toml": SITE, "content/items/a.md": doc("Back to [[a#top|the top]].\n## Top\n")},
    )
    links = result.site.data["crosslinks"].of("a")
    assert links.mentioned_in == () and links.links_to == ()
    assert 'href="/items/a/#top"' in result.files["/items/a/"].decode()


def test_check_command_fails_on_a_broken_link(tmp_path, capsys):
    project = make_project(
        tmp_path,
        {"site.toml": SITE, "content/items/a.md": doc("x\n[[nope]]\n")},
    )
    code = main(["check", "--now", "2024-01-01", "--project", str(project)])
    err = capsys.readouterr().err
    assert code == 1
    assert "content/items/a.md:10:1: error[wiki-link]: no published item has the slug 'nope'" in err


def test_extension_config_names_no_items_so_new_items_keep_the_render_cache(tmp_path):
    config, _ = parse_config(SITE.replace("https://example.org/", "https://example.org/repo/"))
    plugins = [p for p in load_plugins(config, tmp_path) if p.name == "crosslinks"]
    assert specs_of(config, plugins) == [
        (
            "gazette.render.wikilinks:WikiLinkExtension",
            {"base_path": "/repo/", "version": source_version()},
        )
    ]


def test_find_wikilinks_skips_fences_and_code_spans():
    body = (
        "a [[one]] `[[two]]` b\n"
        "```python\n[[three]]\n```\n"
        "~~~~\n[[four]]\n~~~\n~~~~\n"
        "``[[five]]`` and [[ six # sec | Text ]]\n"
    )
    assert find_wikilinks(body) == (
        WikiRef("one", "", "", 1, 3),
        WikiRef("six", "sec", "Text", 9, 18),
    )
