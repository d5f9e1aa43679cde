"""``serve``'s preview in process: quick previews, the build worker, the refresh (issue 13).

The end-to-end behaviour (HTTP, reload events, the overlay) is in
``test_serve_command.py``; these tests drive ``Preview``, ``quick_site``,
``QuickPages`` and ``BuildWorker`` directly on a small project.
"""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gazette.diagnostics import ContentError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site, load_state
from gazette.serve.preview import Preview
from gazette.serve.quick import GONE, QuickPages, quick_site
from gazette.serve.server import make_server
from gazette.serve.worker import BuildWorker
from helpers import SITE_TOML, TAGS_YML, item, make_project

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "project",
        {
            "site.toml": SITE_TOML + "[plugins.tags]\n",
            "content/items/a.md": item(title='"First item"'),
            "content/items/b.md": item(title='"Second item"', tags='["Standardisation"]'),
        },
    )


def request_for(project: Path, **changes: object) -> BuildRequest:
    request = BuildRequest(project, BuildOptions(now=NOW), workers=1)
    return replace(request, **changes)


def edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path.absolute()


def test_load_state_is_the_state_a_build_keeps(project):
    built = build_site(request_for(project, keep_state=True, write=False)).state
    loaded = load_state(request_for(project))
    assert built is not None
    assert loaded.producers == built.producers
    assert [i.title for i in loaded.site.items] == [i.title for i in built.site.items]
    assert set(loaded.link_s) == {"tags"}  # the plugins with a link hook, timed


def test_a_tag_description_edit_previews_on_the_tag_page(project):
    state = load_state(request_for(project))
    tags = edit(project / "content/tags.yml", "Standards policy.", "Policy on standards, new.")
    site = quick_site(state, {tags})
    assert site is not None
    page = QuickPages(state, site).render("/tags/standardisation/")
    assert page is not None and b"Policy on standards, new." in page


@pytest.mark.parametrize(
    "old, new",
    [
        ("  Standardisation:\n", "  Standardisation policy:\n"),  # renamed: new slug
        ("aliases: [Standardization, Standards, Standard]", "aliases: [Standardization]"),
    ],
)
def test_renamed_tags_or_changed_aliases_wait_for_the_rebuild(project, old, new):
    state = load_state(request_for(project))
    assert quick_site(state, {edit(project / "content/tags.yml", old, new)}) is None


def test_a_broken_tags_yml_is_shown_at_once(project):
    state = load_state(request_for(project))
    tags = edit(project / "content/tags.yml", "description: Standards policy.", "description: [")
    with pytest.raises(ContentError) as caught:
        quick_site(state, {tags})
    assert any(d.path == "content/tags.yml" for d in caught.value.diagnostics)


def test_a_tags_edit_updates_the_tag_page_of_the_preview(project):
    """The tags plugin's hook is cheap: it runs again, so the tag page lists the item."""
    state = load_state(request_for(project))
    before = QuickPages(state, state.site).render("/tags/standardisation/")
    assert before is not None and b"First item" not in before
    changed = edit(project / "content/items/a.md", 'tags: ["5G"]', 'tags: ["Standardisation"]')
    site = quick_site(state, {changed})
    assert site is not None
    after = QuickPages(state, site).render("/tags/standardisation/")
    assert after is not None and b"First item" in after and b"Second item" in after


def test_a_deleted_item_is_gone_from_the_preview(project):
    state = load_state(request_for(project))
    url = next(i.url for i in state.site.items if i.title == "First item")
    (project / "content/items/a.md").unlink()
    site = quick_site(state, {(project / "content/items/a.md").absolute()})
    assert site is not None and QuickPages(state, site).render(url) == GONE


# --------------------------------------------------------------------------- the worker


def test_the_worker_builds_reports_errors_and_is_restarted_after_a_kill(project, tmp_path):
    output = tmp_path / "site"
    request = request_for(project, output=output)
    worker = BuildWorker()
    try:
        done = worker.build(request)
        assert done.ok and "/tags/5g/" in done.written
        assert (output / "tags/5g/index.html").is_file()

        edit(project / "content/items/a.md", "section: ict", "section: nowhere")
        failed = worker.build(request)
        assert not failed.ok and any(d.path == "content/items/a.md" for d in failed.errors)
        edit(project / "content/items/a.md", "section: nowhere", "section: ict")

        killed = worker._process
        assert killed is not None
        os.kill(killed.pid, signal.SIGKILL)
        killed.join()
        assert worker.build(request).ok  # in a new worker process
        assert worker._process is not None and worker._process.pid != killed.pid
    finally:
        process = worker._process
        worker.close()
    assert process is not None and not process.is_alive()


# --------------------------------------------------------------------------- Preview


@pytest.fixture
def preview(project, tmp_path):
    output = tmp_path / "site"
    server, _ = make_server(output, "/", "127.0.0.1", 0)
    lines: list[str] = []
    made = Preview(request_for(project, output=output), server, output, log=lines.append)
    made.lines = lines  # type: ignore[attr-defined]
    yield made
    made.stop()
    server.server_close()


def test_a_save_that_changes_nothing_keeps_quick_previews(preview, project):
    assert preview.build()
    tags = project / "content/tags.yml"
    tags.write_text(TAGS_YML, "utf-8")  # the same bytes, saved again
    preview.changes(frozenset({tags}))
    assert not preview._changed
    changed = edit(project / "content/items/a.md", "Body text.", "Body text, edited.")
    preview.changes(frozenset({changed}))
    url = next(i.url for i in preview.state.site.items if i.title == "First item")
    page = preview.page(url)
    assert page is not None and b"Body text, edited." in page


def test_rebuild_then_refresh_brings_the_kept_site_up_to_date(preview, project):
    assert preview.build()
    changed = edit(project / "content/items/a.md", '"First item"', '"First item, renamed"')
    preview.changes(frozenset({changed}))
    url = next(i.url for i in preview.state.site.items if i.title == "First item")
    assert preview._quick is not None
    assert preview.rebuild(frozenset({changed}), preview._generation)
    assert preview._quick is None  # the rebuilt site/ is served now
    assert b"First item, renamed" in (preview.output / url.strip("/") / "index.html").read_bytes()
    assert preview._changed  # the kept site does not have the change yet
    assert preview.refresh()
    assert not preview._changed
    assert "First item, renamed" in [i.title for i in preview.state.site.items]


def test_a_rebuild_overtaken_by_a_save_keeps_that_save_s_preview(preview, project):
    assert preview.build()
    first = edit(project / "content/items/a.md", "Body text.", "Body one.")
    preview.changes(frozenset({first}))
    generation = preview._generation
    second = edit(project / "content/items/a.md", "Body one.", "Body two.")
    preview.changes(frozenset({second}))
    assert preview.rebuild(frozenset({first}), generation)
    url = next(i.url for i in preview.state.site.items if i.title == "First item")
    page = preview.page(url)
    assert page is not None and b"Body two." in page


def test_a_failed_rebuild_overtaken_by_a_save_leaves_the_errors_to_the_next(preview, project):
    """A build that fails while a newer save is waiting (a file deleted under it, a
    half-made edit) shows nothing; the next rebuild, already due, has the last word."""
    assert preview.build()
    config = edit(project / "site.toml", 'title = "Test Gazette"', "title = ")
    preview.changes(frozenset({config}))  # no quick preview for site.toml
    generation = preview._generation
    preview.changes(frozenset({(project / "content/items/b.md").absolute()}))
    assert not preview.rebuild(frozenset({config}), generation)
    assert not preview.server.errors
    assert not preview.rebuild(frozenset({config}), preview._generation)
    assert preview.server.errors and preview.server.errors[0]["where"].startswith("site.toml")
