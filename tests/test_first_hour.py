"""A new user's first hour (issue 18): ``init``, ``dev.py`` as the way in, and a deploy
that restores an older cache without changing the site."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import item, tree

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("init", "new", "check", "build", "serve", "import")


def gazette(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_init_makes_an_archive_that_builds_strictly_and_explains_itself(tmp_path):
    archive = tmp_path / "archive"
    made = gazette("init", str(archive), "--title", "Energy Letter", "--base-url", "https://e.org/")
    assert made.returncode == 0, made.stderr
    files = set(tree(archive))
    assert {"site.toml", "content/tags.yml", "content/glossary.yml", ".gitignore"} <= files
    assert ".github/workflows/pages.yml" in files
    assert [f for f in files if f.startswith("content/issues/")]
    assert [f for f in files if f.startswith("content/items/")]
    assert "# Uncomment and adapt" in (archive / "content/glossary.yml").read_text()
    built = gazette("build", "--project", str(archive), "--strict")
    assert built.returncode == 0, built.stderr
    home = (archive / "site/index.html").read_text("utf-8")
    assert "Energy Letter" in home and "https://e.org/" in home


def test_init_asks_nothing_off_a_terminal_and_refuses_a_folder_with_files(tmp_path):
    archive = tmp_path / "archive"
    assert gazette("init", str(archive)).returncode == 0  # defaults, stdin is not a terminal
    assert 'title = "My Newsletter Archive"' in (archive / "site.toml").read_text()
    (archive / "notes.txt").write_text("mine")
    again = gazette("init", str(archive), "--title", "Other")
    assert again.returncode == 2 and "--force" in again.stderr
    assert 'title = "My Newsletter Archive"' in (archive / "site.toml").read_text()
    forced = gazette("init", str(archive), "--title", "Other", "--force")
    assert forced.returncode == 0 and (archive / "notes.txt").read_text() == "mine"
    assert 'title = "Other"' in (archive / "site.toml").read_text()
    bad = gazette("init", str(tmp_path / "x"), "--base-url", "ftp://nowhere")
    assert bad.returncode == 2 and not (tmp_path / "x" / "site.toml").exists()


def test_the_workflow_init_writes_passes_actionlint(tmp_path):
    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(actionlint).exists():
        pytest.skip("actionlint is not installed (python3 dev.py test installs it)")
    archive = tmp_path / "archive"
    assert gazette("init", str(archive), "--gazette", "someone/gazette").returncode == 0
    workflow = archive / ".github/workflows/pages.yml"
    assert 'GAZETTE_REPOSITORY: "someone/gazette"' in workflow.read_text()
    lint = subprocess.run([actionlint, "-no-color", str(workflow)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_dev_py_help_lists_every_command_and_passes_each_through():
    shown = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "--help"], capture_output=True, text=True
    )
    assert shown.returncode == 0
    for command in ("serve", "test", "build", "init", "check", "new", "import"):
        assert command in shown.stdout
    for command in COMMANDS:
        run = subprocess.run(
            [sys.executable, str(ROOT / "dev.py"), command, "--help"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        assert f"build.py {command}" in run.stdout


def test_a_build_restored_from_an_older_cache_gives_the_cold_build(tmp_path):
    """The deploy workflow restores the newest cache of an older commit: the site it
    builds must be the site a cold build makes."""
    archive = tmp_path / "archive"
    assert (
        gazette("init", str(archive), "--title", "T", "--base-url", "https://t.org/").returncode
        == 0
    )
    issue = next((archive / "content/items").iterdir()).name
    assert gazette("build", "--project", str(archive)).returncode == 0  # fills the cache
    # The next commit: an edited item and a new one.
    first = next((archive / "content/items" / issue).glob("*.md"))
    first.write_text(first.read_text().replace("This is an item.", "This is an edited item."))
    (archive / "content/items" / issue / "second.md").write_text(
        item(title='"Second"', issue=f'"{issue}"', section="news", tags="[]", date="2020-08-02")
    )
    restored = gazette("build", "--project", str(archive), "--strict")
    assert restored.returncode == 0, restored.stderr
    cold_copy = tmp_path / "cold"
    shutil.copytree(archive, cold_copy, ignore=shutil.ignore_patterns(".gazette-cache", "site"))
    cold = gazette("build", "--project", str(cold_copy), "--strict")
    assert cold.returncode == 0, cold.stderr
    assert tree(archive / "site") == tree(cold_copy / "site")
