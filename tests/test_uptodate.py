"""The up-to-date check: a build with nothing changed does nothing (issue 12).

Every test ages the project's files by a minute first: a file saved less
than two seconds before a build is "racy" and keeps that build's stamp from
vouching for its folder (tested too).
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from test_events import EVENTS, SPLIT
from test_events import NOW as EVENTS_NOW

from gazette.cli import main
from gazette.model import BuildOptions
from gazette.output import uptodate
from gazette.pipeline import BuildRequest, build_site
from helpers import NOW, SITE_TOML, item, make_project

STAMP = Path(".gazette-cache") / uptodate.STAMP
WARNING_ITEM = item(colour='"blue"')  # an unknown key is a warning


def age(project: Path, seconds: int = 60) -> None:
    """Move every file's modification time into the past (no longer racy)."""
    moment = time.time() - seconds
    for path in project.rglob("*"):
        os.utime(path, (moment, moment), follow_symlinks=False)


def cli(project: Path, capsys, *args: str) -> str:
    code = main(["build", "--project", str(project), "--now", NOW.isoformat(), *args])
    err = capsys.readouterr().err
    assert code == 0, err
    return err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path, {"content/items/a.md": item(), "content/items/b.md": item()})
    age(root)
    return root


def test_a_second_build_with_nothing_changed_is_up_to_date(project, capsys):
    assert "Built 2 items" in cli(project, capsys)
    err = cli(project, capsys)
    assert re.search(r"Up to date: 2 items, 1 issues, \d+ files unchanged", err), err
    assert "Built" not in err


def test_warnings_are_printed_again_when_up_to_date(project, capsys):
    (project / "content/items/c.md").write_text(WARNING_ITEM, encoding="utf-8")
    age(project)
    first = cli(project, capsys)
    warnings = [line for line in first.splitlines() if "colour" in line]
    assert warnings, first
    second = cli(project, capsys)
    assert "Up to date" in second
    assert [line for line in second.splitlines() if "colour" in line] == warnings


@pytest.mark.parametrize(
    "change",
    [
        "edit an item",
        "add an item",
        "delete an item",
        "edit site.toml",
        "edit tags.yml",
        "add a theme template",
        "add a project plugin file",
    ],
)
def test_any_input_change_brings_a_real_build(project, capsys, change):
    cli(project, capsys)
    items = project / "content/items"
    if change == "edit an item":
        (items / "a.md").write_text(item(title='"Another title"'), encoding="utf-8")
    elif change == "add an item":
        (items / "c.md").write_text(item(), encoding="utf-8")
    elif change == "delete an item":
        (items / "b.md").unlink()
    elif change == "edit site.toml":
        (project / "site.toml").write_text(SITE_TOML.replace("Test Gazette", "T"), "utf-8")
    elif change == "edit tags.yml":
        path = project / "content/tags.yml"
        path.write_text(path.read_text("utf-8") + "  Robots:\n    group: ict\n", "utf-8")
    elif change == "add a theme template":
        (project / "theme/templates").mkdir(parents=True)
        (project / "theme/templates/extra.html").write_text("x", "utf-8")
    else:
        (project / "plugins").mkdir()
        (project / "plugins/helper.py").write_text("X = 1\n", "utf-8")
    age(project)
    err = cli(project, capsys, "--timings")
    assert "Up to date" not in err
    assert re.search(r"Building, because .*changed", err), err


def test_an_edited_or_deleted_output_file_is_restored(project, capsys):
    cli(project, capsys)
    page = project / "site/items/a/index.html"
    good = page.read_bytes()
    page.write_text("vandalised", encoding="utf-8")
    assert "output folder was changed" in cli(project, capsys, "--timings")
    assert page.read_bytes() == good
    page.unlink()
    assert "Built" in cli(project, capsys)
    assert page.read_bytes() == good


def test_other_options_bring_a_real_build(project, capsys):
    cli(project, capsys)
    assert "Built" in cli(project, capsys, "--drafts")
    assert "Built" in cli(project, capsys, "--base-url", "https://example.com/x/")
    assert "Up to date" in cli(project, capsys, "--base-url", "https://example.com/x/")


def test_a_racy_input_leaves_a_stamp_that_never_vouches_and_says_why(project, capsys):
    (project / "content/items/a.md").write_text(item(title='"Just saved"'), encoding="utf-8")
    cli(project, capsys)  # a.md is less than two seconds old: content/ cannot be vouched for
    stamp = json.loads((project / STAMP).read_text("utf-8"))
    assert dict(stamp["inputs"])["content/"] == uptodate.RACY
    assert dict(stamp["inputs"])["theme/"] != uptodate.RACY  # only the folder that held it
    age(project)
    err = cli(project, capsys, "--timings")
    assert "Built" in err
    assert "content/ had a file saved as the last build started" in err
    assert "Up to date" in cli(project, capsys)  # that build could vouch for it


@pytest.mark.parametrize("damage", ["{not json", '{"version": 1}', '{"version": 1, "inputs": 3}'])
def test_a_damaged_stamp_is_ignored(project, capsys, damage):
    cli(project, capsys)
    (project / STAMP).write_text(damage, encoding="utf-8")
    assert "Built" in cli(project, capsys)
    assert "Up to date" in cli(project, capsys)


def test_a_scheduled_item_is_published_when_its_time_comes(project, capsys):
    later = (NOW + timedelta(days=3)).date().isoformat()
    (project / "content/items/soon.md").write_text(item(date=later), encoding="utf-8")
    age(project)
    cli(project, capsys)
    assert not (project / "site/items/soon/index.html").exists()
    stamp = json.loads((project / STAMP).read_text("utf-8"))
    assert stamp["expires"].startswith(later)
    assert "Up to date" in cli(project, capsys)  # --now is still before its date
    code = main(["build", "--project", str(project), "--now", f"{later}T00:00:00+00:00"])
    assert code == 0
    assert (project / "site/items/soon/index.html").is_file()


def test_a_clock_earlier_than_the_last_build_brings_a_real_build(project, capsys):
    cli(project, capsys)
    earlier = (NOW - timedelta(days=1)).isoformat()
    main(["build", "--project", str(project), "--now", earlier, "--timings"])
    assert "the clock is earlier" in capsys.readouterr().err


def test_a_project_plugin_without_expires_turns_the_check_off(project, capsys):
    (project / "plugins").mkdir()
    (project / "plugins/stamp.py").write_text(
        "from gazette.plugins import StaticFile\n"
        "def outputs(site, **kwargs):\n"
        "    yield StaticFile('/built.txt', site.options.now.isoformat().encode())\n",
        encoding="utf-8",
    )
    config = project / "site.toml"
    config.write_text(config.read_text("utf-8") + "[plugins.stamp]\n", "utf-8")
    age(project)
    cli(project, capsys)
    assert not (project / STAMP).exists()
    (project / "plugins/stamp.py").write_text(
        (project / "plugins/stamp.py").read_text("utf-8")
        + "def expires(site, **kwargs):\n    return None\n",
        encoding="utf-8",
    )
    age(project)
    cli(project, capsys)
    assert "Up to date" in cli(project, capsys)


def events_page(root: Path, now) -> str:
    """The /events/ page at ``now``, without its "as of" line, and the build's expiry."""
    files = {"site.toml": EVENTS, **{f"content/items/{k}.md": v for k, v in SPLIT.items()}}
    project = make_project(root, files)
    request = BuildRequest(project, BuildOptions(now=now), write=False, workers=1)
    result = build_site(request)
    page = result.files["/events/"].decode()
    return re.sub(r'<p class="meta">[^<]* as of .*?</p>', "", page), result.expires


def test_the_events_page_stays_the_same_until_it_expires(tmp_path):
    now = EVENTS_NOW
    seen = 0
    while seen < 12:  # walk through the next twelve moments the page changes
        page, expires = events_page(tmp_path / f"a{seen}", now)
        if expires is None:
            break
        assert expires > now
        just_before = expires - timedelta(microseconds=1)
        assert events_page(tmp_path / f"b{seen}", just_before)[0] == page
        middle = now + (expires - now) / 2
        assert events_page(tmp_path / f"c{seen}", middle)[0] == page
        assert events_page(tmp_path / f"d{seen}", expires)[0] != page
        now, seen = expires, seen + 1
    assert seen >= 5, "the sample events should flip several times"


def test_the_stamp_from_the_writers_walk_equals_a_walk_of_the_built_site(project, capsys):
    """The writer walks the new site as it finishes it (pruning the spare) and
    gives the stamp its lines; they must be what the next build's walk sees."""
    stamp_path = project / STAMP
    site = project / "site"
    for change in (None, None, "edit", "delete"):
        if change == "edit":
            (project / "content/items/a.md").write_text(item(title="A new title"), "utf-8")
        elif change == "delete":  # the spare holds b's page: the writer prunes it
            (project / "content/items/b.md").unlink()
        age(project)
        cli(project, capsys)
        stamp = uptodate.load(stamp_path)
        assert stamp is not None
        assert stamp.output == uptodate.output_digest(site), change
    assert not (site / "items/b").exists()
    assert "Up to date" in cli(project, capsys)


def test_the_writers_survey_lists_and_prunes_a_folder_as_the_walk_does(tmp_path):
    from gazette.output.survey import Survey

    files = [
        "index.html",
        ".nojekyll",
        "items/a/index.html",
        "items/b/index.html",
        "items/b/extra.txt",
        "items/c/index.html",
        "search/gazette/t/x.json",
        "a-b/index.html",
        "a/index.html",
        "__pycache__/x.pyc",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name, "utf-8")
    (tmp_path / "empty/inner").mkdir(parents=True)
    survey = Survey(str(tmp_path))
    survey.scan()
    before: list[str] = []
    uptodate.walk(str(tmp_path), before)
    assert survey.lines() == before
    wanted = {"index.html", ".nojekyll", "items/a/index.html", "items/b/index.html", "a/index.html"}
    (tmp_path / "items/d").mkdir()  # the writer places a new file
    new = tmp_path / "items/d/index.html"
    new.write_text("new", "utf-8")
    survey.placed("items/d/index.html", new.stat())
    survey.prune(wanted | {"items/d/index.html"})
    after: list[str] = []
    uptodate.walk(str(tmp_path), after)
    assert survey.lines() == after
    assert sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    ) == sorted(wanted | {"items/d/index.html"})
    assert not (tmp_path / "empty").exists() and not (tmp_path / "items/c").exists()
