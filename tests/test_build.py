"""Whole-pipeline tests on inline fixtures: ``{path: text}`` in, ``{url: html}`` out."""

from __future__ import annotations

import os
from pathlib import Path

import html5lib
import pytest

from gazette.diagnostics import ContentError, UsageError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from helpers import ISSUE, NOW, build, build_pages, item, make_project


def parse_html(text: str):
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    return parser.parse(text)


def test_item_page_shows_title_date_issue_section_tags_body_and_sources(tmp_path):
    pages = build_pages(
        tmp_path,
        {
            "content/items/a.md": item(
                title='"SAC publishes a report"',
                tags='["Standards", "MIIT"]',
                sources="[https://www.sac.gov.cn/a]",
            )
        },
    )
    page = parse_html(pages["/items/a/"])
    assert page.find(".//h1").text == "SAC publishes a report"
    assert page.find(".//time").get("datetime") == "2020-08-01"
    kicker = "".join(page.find(".//p[@class='kicker']").itertext())
    assert "August–September 2020" in kicker and "ICT" in kicker
    tags = [t.text for t in page.iter("span") if t.get("class") == "tag"]
    assert tags == ["#Standardisation", "#MIIT"]
    assert "Body text." in pages["/items/a/"]
    assert page.find(".//section[@class='sources']//a").get("href") == "https://www.sac.gov.cn/a"


def test_home_shows_latest_issue_and_recent_items(tmp_path):
    files = {
        f"content/items/i{n}.md": item(title=f'"Item {n}"', date=f"2020-08-{n:02d}")
        for n in range(1, 13)
    }
    pages = build_pages(tmp_path, files)
    home = pages["/"]
    assert "Latest issue" in home and "August–September 2020" in home
    assert "Takeaways" in home
    # All twelve are in the latest issue: listed once, under "In this issue" (issue 17).
    contents = parse_html(home).findall(".//div[@class='contents']//a")
    assert sorted(a.text for a in contents) == sorted(f"Item {n}" for n in range(1, 13))
    assert parse_html(home).findall(".//section[@class='recent']//h3/a") == []


def test_issue_page_groups_items_by_section_in_editor_order(tmp_path):
    files = {
        "content/items/b.md": item(title='"B"', section="ict", order="2"),
        "content/items/a.md": item(title='"A"', section="ict", order="1"),
        "content/items/h.md": item(title='"H"', section="horizontal"),
    }
    page = parse_html(build_pages(tmp_path, files)["/issues/2020-08/"])
    titles = [a.text for a in page.findall(".//section//h3/a")]
    assert titles == ["H", "A", "B"]


def test_title_with_script_is_escaped_everywhere(tmp_path):
    pages = build_pages(
        tmp_path, {"content/items/a.md": item(title='"\\"><script>alert(1)</script>"')}
    )
    for html in pages.values():
        assert "<script>alert" not in html
    assert "&lt;script&gt;" in pages["/items/a/"]


def test_raw_html_in_body_is_sanitised(tmp_path):
    body = (
        item()
        + "\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
    )
    html = build_pages(tmp_path, {"content/items/a.md": body})["/items/a/"]
    assert "<script>alert" not in html and "javascript:" not in html and "onerror" not in html


def test_csp_meta_is_first_in_head(tmp_path):
    html = build_pages(tmp_path, {"content/items/a.md": item()})["/items/a/"]
    head = parse_html(html).find("head")
    first = next(iter(head))
    assert first.get("http-equiv") == "Content-Security-Policy"
    assert "unsafe-inline" not in first.get("content")


def test_base_path_is_in_every_internal_link(tmp_path):
    pages = build_pages(
        tmp_path, {"content/items/a.md": item()}, base_url="https://u.github.io/repo/"
    )
    for url, html in pages.items():
        tree = parse_html(html)
        for element in tree.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value and not value.startswith(("https://", "http://", "#", "mailto:", "data:")):
                    assert value.startswith("/repo/"), (url, value)


def test_drafts_and_future_items_are_skipped_unless_asked(tmp_path):
    files = {
        "content/items/d.md": item(draft="true"),
        "content/items/f.md": item(date="2030-01-01"),
    }
    assert set(build_pages(tmp_path, files)) == {"/", "/issues/", "/issues/2020-08/"}
    pages = build_pages(tmp_path, files, drafts=True, future=True)
    assert {"/items/d/", "/items/f/"} <= set(pages)


def test_unknown_issue_suggests_nearest(tmp_path):
    with pytest.raises(ContentError) as caught:
        build(tmp_path, {"content/items/a.md": item(issue='"2020-80"')})
    assert [d.format() for d in caught.value.diagnostics] == [
        "content/items/a.md:4: error[unknown-issue]: no issue has the id '2020-80'. "
        "Fix: did you mean '2020-08'?"
    ]


def test_two_items_with_one_url_name_both_files(tmp_path):
    files = {"content/items/a/x.md": item(), "content/items/b/X.md": item()}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert [d.format() for d in caught.value.diagnostics] == [
        "content/items/b/X.md:1: error[duplicate-url]: this item and content/items/a/x.md both "
        "have the URL /items/x/. Fix: rename one file, or give one of them its own slug:"
    ]


def test_duplicate_issue_id_and_number_name_both_files(tmp_path):
    with pytest.raises(ContentError) as caught:
        build(tmp_path, {"content/issues/copy.md": ISSUE})
    assert [d.format() for d in caught.value.diagnostics] == [
        "content/issues/copy.md:2: error[duplicate-issue-id]: issue id '2020-08' is also used "
        "by content/issues/2020-08.md. Fix: give each issue its own id",
        "content/issues/copy.md:3: error[duplicate-issue-number]: issue number 3 is also used "
        "by content/issues/2020-08.md. Fix: give each issue its own number",
    ]


def test_relation_to_missing_item_suggests_nearest(tmp_path):
    files = {
        "content/items/first-item.md": item(),
        "content/items/b.md": item(follows="first-iten"),
    }
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert [d.format() for d in caught.value.diagnostics] == [
        "content/items/b.md:7: error[unknown-relation]: 'follows' names 'first-iten', but no "
        "published item has that slug. Fix: did you mean 'first-item'?"
    ]


def test_self_and_cyclic_relations_are_fine(tmp_path):
    files = {
        "content/items/a.md": item(follows="b"),
        "content/items/b.md": item(follows="a"),
        "content/items/c.md": item(supersedes="c"),
    }
    assert "/items/c/" in build_pages(tmp_path, files)


def test_errors_from_many_files_are_reported_together(tmp_path):
    files = {
        "content/items/a.md": item(date="2020-02-30"),
        "content/items/b.md": item(section="nope"),
        "content/items/c.md": "no front matter",
    }
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert [d.path for d in caught.value.diagnostics] == [
        "content/items/a.md",
        "content/items/b.md",
        "content/items/c.md",
    ]


def test_strict_turns_warnings_into_errors(tmp_path):
    files = {"content/items/a.md": item(titel='"x"')}
    assert build(tmp_path, files).warnings[0].code == "unknown-key"
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files, strict=True)
    assert caught.value.diagnostics[0].is_error


def test_editor_junk_is_ignored(tmp_path):
    files = {
        "content/items/a.md": item(),
        "content/items/.#a.md": "junk",
        "content/items/a.md~": "junk",
        "content/items/.DS_Store": "junk",
        "content/items/#a.md#": "junk",
        "content/items/.hidden/b.md": "junk",
    }
    assert "/items/a/" in build_pages(tmp_path, files)


def test_symlink_outside_content_is_an_error_and_never_read(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(item(title='"SECRET"'))
    project = make_project(tmp_path / "p", {"content/items/a.md": item()})
    os.symlink(secret, project / "content/items/leak.md")
    with pytest.raises(ContentError) as caught:
        build(project, {})
    assert [d.format() for d in caught.value.diagnostics] == [
        "content/items/leak.md: error[symlink-outside]: this path leads outside content/ "
        "through a symlink; Gazette never reads files outside the project. Fix: copy the "
        "file into content/ instead of linking to it"
    ]


def test_symlink_loop_is_an_error(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    os.symlink(project / "content/items/loop", project / "content/items/loop")
    with pytest.raises(ContentError) as caught:
        build(project, {})
    assert caught.value.diagnostics[0].code == "symlink-broken"


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    files = {"content/items/big.md": item() + "word " * 600_000}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    assert caught.value.diagnostics[0].format() == (
        "content/items/big.md: error[file-too-large]: the file is over the size limit of "
        "2,097,152 bytes. Fix: split it into several items or move attachments out of content/"
    )


def _request(project: Path, **kwargs) -> BuildRequest:
    return BuildRequest(project, BuildOptions(now=NOW), workers=1, **kwargs)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_builds_are_byte_identical(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    build_site(_request(project))
    first = _snapshot(project / "site")
    build_site(_request(project, use_cache=False))
    assert _snapshot(project / "site") == first
    assert ".nojekyll" in first and "static/style.css" in first


def test_failed_build_leaves_site_untouched_and_no_temp_dir(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    build_site(_request(project))
    before = _snapshot(project / "site")
    (project / "content/items/b.md").write_text(item(date="2020-02-30"))
    with pytest.raises(ContentError):
        build_site(_request(project))
    assert _snapshot(project / "site") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".site")) == []


def test_ctrl_c_while_writing_keeps_old_site_and_stops_the_writer(tmp_path, monkeypatch):
    import multiprocessing

    import gazette.render.pages

    project = make_project(tmp_path, {"content/items/a.md": item()})
    build_site(_request(project))
    before = _snapshot(project / "site")
    calls = {"n": 0}
    original = gazette.render.pages.render_template

    def interrupted(*args):
        calls["n"] += 1
        if calls["n"] == 3:  # two pages are already with the writer process
            raise KeyboardInterrupt
        return original(*args)

    monkeypatch.setattr(gazette.render.pages, "render_template", interrupted)
    with pytest.raises(KeyboardInterrupt):  # another base URL changes every page
        build_site(_request(project, base_url="https://other.example/"))
    assert calls["n"] == 3
    assert _snapshot(project / "site") == before
    assert not list(project.glob(".site-*"))
    assert not multiprocessing.active_children()


def test_disk_full_while_writing_is_a_usage_error_and_keeps_old_site(tmp_path, monkeypatch):
    import errno
    import multiprocessing

    import gazette.output.writer_process

    project = make_project(tmp_path, {"content/items/a.md": item()})
    build_site(_request(project))
    before = _snapshot(project / "site")
    calls = {"n": 0}

    def full(path, data):  # runs in the forked writer process
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        with open(path, "wb") as handle:
            handle.write(data)

    monkeypatch.setattr(gazette.output.writer_process, "_write_file", full)
    with pytest.raises(UsageError) as raised:
        build_site(_request(project, base_url="https://other.example/"))
    message = str(raised.value)
    assert "No space left on device" in message and ".site-tmp-" in message
    assert "site/ was not changed. Fix: free disk space" in message
    assert _snapshot(project / "site") == before
    assert not list(project.glob(".site-*"))
    assert not multiprocessing.active_children()


def test_leftover_temp_dir_from_a_kill_is_removed(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    (project / ".site-tmp-99999/items").mkdir(parents=True)
    build_site(_request(project))
    assert not list(project.glob(".site-*"))


def test_second_concurrent_build_fails_fast_on_the_lock(tmp_path):
    import fcntl

    project = make_project(tmp_path, {"content/items/a.md": item()})
    lock = project / ".gazette-cache/build.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(UsageError, match="another Gazette build of this project is running"):
            build_site(_request(project))


@pytest.mark.parametrize("target", ["content", ".", "..", "/"])
def test_output_that_would_delete_sources_is_refused(tmp_path, target):
    project = make_project(tmp_path / "p", {"content/items/a.md": item()})
    with pytest.raises(UsageError, match="refusing to build into this folder"):
        build_site(_request(project, output=(project / target)))


def test_corrupt_cache_is_discarded_with_a_warning_and_output_is_identical(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item()})
    build_site(_request(project))
    clean = _snapshot(project / "site")
    (project / ".gazette-cache/cache.sqlite").write_bytes(b"garbage" * 100)
    result = build_site(_request(project))
    assert [w.code for w in result.warnings] == ["cache-discarded"]
    assert _snapshot(project / "site") == clean


def test_warm_build_sees_an_edited_item(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item(title='"Old title"')})
    build_site(_request(project))
    path = project / "content/items/a.md"
    path.write_text(item(title='"New title, longer"'))
    build_site(_request(project))
    assert "New title, longer" in (project / "site/items/a/index.html").read_text()


def test_warm_build_rechecks_items_when_the_vocabulary_changes(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item(tags='["AI"]')})
    build_site(_request(project))
    tags = project / "content/tags.yml"
    tags.write_text(tags.read_text().replace("  AI:\n", "  Robotics:\n"))
    with pytest.raises(ContentError) as caught:
        build_site(_request(project))
    assert [d.code for d in caught.value.diagnostics] == ["unknown-tag"]


def test_warm_build_output_equals_cold_build(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item(), "content/items/b.md": item()})
    cold = build_site(_request(project, write=False, use_cache=False)).files
    build_site(_request(project))
    warm = build_site(_request(project, write=False)).files
    assert dict(warm) == dict(cold)


def test_file_names_differing_only_by_unicode_form_collide(tmp_path):
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    files = {f"content/items/a/{nfc}.md": item(), f"content/items/b/{nfd}.md": item()}
    with pytest.raises(ContentError) as caught:
        build(tmp_path, files)
    (problem,) = caught.value.diagnostics
    assert problem.code == "duplicate-url"
    assert "/items/cafe/" in problem.message


def test_file_name_with_spaces_hash_and_percent_gets_a_working_link(tmp_path):
    pages = build_pages(tmp_path, {"content/items/Update #2 (100%).md": item()})
    assert "/items/update-2-100/" in pages
    assert 'href="/items/update-2-100/"' in pages["/issues/2020-08/"]


def test_unchanged_files_are_linked_and_edited_ones_rewritten(tmp_path):
    project = make_project(tmp_path, {"content/items/a.md": item(), "content/items/b.md": item()})
    build_site(_request(project))
    site = project / "site"
    before = {p: p.stat().st_ino for p in (site / "issues/index.html", site / "static/style.css")}
    (site / "static/style.css").write_text("hand-edited")  # never carried over
    (project / "content/items/b.md").write_text(item(title='"Changed"'))
    build_site(_request(project))
    assert (site / "issues/index.html").stat().st_ino == before[site / "issues/index.html"]
    assert "hand-edited" not in (site / "static/style.css").read_text()
    assert "Changed" in (site / "items/b/index.html").read_text()
    fresh = _snapshot(site)
    build_site(_request(project, use_cache=False))
    assert _snapshot(site) == fresh
