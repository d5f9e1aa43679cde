"""Moving an archive in from Pelican and from MkDocs with Material's blog (issue 19).

The fixture sites in ``tests/fixtures/migrate/`` were written for these tests:
posts in Markdown and reStructuredText, a draft, tags with case variants,
categories, a ``{filename}`` link, an image, a series; blog posts with both
forms of ``date``, several categories, an excerpt, an admonition, content tabs
and an icon. Each is imported into a new archive and into the sample archive,
built with ``--strict``, and every old URL is followed to its new page.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "migrate"

pytest.importorskip(
    "pelican", reason="pelican is the migration's reader (python3 dev.py installs it)"
)
pytest.importorskip("mkdocs", reason="mkdocs reads mkdocs.yml (python3 dev.py installs it)")
pytest.importorskip("markdownify", reason="markdownify converts HTML (python3 dev.py installs it)")


def gazette(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8").split("---")[1])


def items_of(project: Path) -> dict[str, Path]:
    return {p.stem: p for p in (project / "content/items").rglob("*.md")}


def follow_every_redirect(project: Path, base: str = "/repo/") -> int:
    """Build under ``base`` and check that each old URL leads to a built page."""
    built = gazette(
        "build", "--project", str(project), "--strict", "--base-url", f"https://x.org{base}"
    )
    assert built.returncode == 0, built.stderr
    redirects = yaml.safe_load((project / "content/redirects.yml").read_text("utf-8"))
    site = project / "site"
    for old, new in redirects.items():
        page = site / old
        page = page / "index.html" if old.endswith("/") else page
        text = page.read_text("utf-8")
        target = html.unescape(
            re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', text).group(1)
        )
        assert target == base + new.lstrip("/")
        assert (site / new.lstrip("/") / "index.html").is_file()
    return len(redirects)


def test_pelican_site_moves_in_whole(tmp_path):
    project = tmp_path / "archive"
    done = gazette("import", "pelican", str(FIXTURES / "pelican"), "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert "passes `build --strict`" in done.stderr
    items = items_of(project)
    assert set(items) == {
        "grid-codes-revised",
        "grid-codes-comments",
        "rail-signalling",
        "notes-for-a-later-issue",
    }
    grid = front(items["grid-codes-revised"])
    assert grid["section"] == "energy" and grid["tags"] == ["Energy", "Grid", "Storage"]
    assert str(grid["updated"]) == "2024-03-08" and grid["summary"].startswith("The operator")
    assert front(items["grid-codes-comments"])["follows"] == "grid-codes-revised"  # the series
    assert front(items["notes-for-a-later-issue"])["draft"] is True
    assert front(items["rail-signalling"])["section"] == "transport"
    body = items["grid-codes-revised"].read_text("utf-8")
    assert "](../../items/rail-signalling/)" in body  # {filename}
    assert "](../../static/imported/images/chart.png)" in body  # {static}
    assert (project / "theme/static/imported/images/chart.png").is_file()
    rst = items["rail-signalling"].read_text("utf-8")
    assert "*signalling standard*" in rst and "- interlocking;" in rst  # reST to Markdown
    assert "rail.rst: admonition" in done.stderr  # what could not be kept is said
    tags = yaml.safe_load((project / "content/tags.yml").read_text("utf-8"))["tags"]
    assert tags["Grid"]["aliases"] == ["grid"] and tags["Energy"]["aliases"] == ["energy"]
    assert follow_every_redirect(project) == 3  # the draft has no public URL
    assert (project / "imported-pages/about.md").read_text("utf-8").startswith("# About")
    assert "small group of engineers" in (project / "site.toml").read_text("utf-8")
    assert (project / "site/posts/2024/grid-codes-revised.html").is_file()


def test_mkdocs_blog_moves_in_whole(tmp_path):
    project = tmp_path / "archive"
    done = gazette("import", "mkdocs", str(FIXTURES / "mkdocs"), "--project", str(project))
    assert done.returncode == 0, done.stderr
    items = items_of(project)
    assert set(items) == {
        "a-new-national-standards-plan",
        "ccc-catalogue",
        "draft-ideas-for-the-next-note",
    }
    plan = front(items["a-new-national-standards-plan"])
    assert plan["section"] == "policy" and plan["tags"] == ["Standards"]  # case variants merged
    assert plan["summary"] == "The plan sets targets for the next five years."  # <!-- more -->
    text = items["a-new-national-standards-plan"].read_text("utf-8")
    assert "> **What changes**" in text and "<!-- more -->" not in text
    ccc = front(items["ccc-catalogue"])
    assert str(ccc["date"]) == "2024-03-20" and str(ccc["updated"]) == "2024-03-22"
    assert ccc["section"] == "certification" and "Policy" in ccc["tags"]  # second category
    ccc_text = items["ccc-catalogue"].read_text("utf-8")
    assert "**Before**" in ccc_text and ":material-" not in ccc_text
    assert front(items["draft-ideas-for-the-next-note"])["draft"] is True
    for note in ("admonition", "content tab", "icons dropped", "ordinary page(s) kept"):
        assert note in done.stderr
    assert "Short notes on standards work" in (project / "imported-pages/index.md").read_text()
    assert 'about = "Short notes on standards work, published as a blog."' in (
        project / "site.toml"
    ).read_text("utf-8")
    assert follow_every_redirect(project) == 2
    assert (project / "site/blog/2024/03/ccc-catalogue/index.html").is_file()


def test_a_migration_into_an_existing_archive_adds_sections_and_never_overwrites(tmp_path):
    project = tmp_path / "archive"
    project.mkdir()
    shutil.copy(ROOT / "site.toml", project / "site.toml")
    shutil.copytree(ROOT / "content", project / "content")
    dry = gazette(
        "import", "mkdocs", str(FIXTURES / "mkdocs"), "--project", str(project), "--dry-run"
    )
    assert (
        dry.returncode == 0
        and "content/items/2024-02/a-new-national-standards-plan.md" in dry.stdout
    )
    assert not (project / "content/items/2024-02").exists()
    done = gazette("import", "mkdocs", str(FIXTURES / "mkdocs"), "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert "add [plugins.redirects]" in done.stderr  # the sample archive does not have it
    config = (project / "site.toml").read_text("utf-8")
    assert 'id = "policy"' in config and 'id = "certification"' in config
    tags_yml = (project / "content/tags.yml").read_text("utf-8")
    assert tags_yml.count('"Standards":') == 0  # an alias of the sample's Standardisation
    again = gazette("import", "mkdocs", str(FIXTURES / "mkdocs"), "--project", str(project))
    assert again.returncode == 2 and "exist already" in again.stderr


@pytest.mark.parametrize("kind", ["pelican", "mkdocs"])
def test_a_generated_site_moves_in_with_every_post_and_old_url(tmp_path, kind):
    source = tmp_path / kind
    generate = [sys.executable, str(ROOT / "bench/generate.py"), "--items", "120"]
    subprocess.run(
        [*generate, "--format", kind, "--out", str(source)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    project = tmp_path / "archive"
    done = gazette("import", kind, str(source), "--project", str(project))
    assert done.returncode == 0, done.stderr
    assert len(items_of(project)) == 120
    if kind == "mkdocs":  # Pelican's generated URLs are Gazette's own: nothing to redirect
        assert follow_every_redirect(project, "/") == 120


def test_mkdocs_yml_is_read_with_inherit_and_env(tmp_path, monkeypatch):
    """MkDocs' own loader: INHERIT merges a base file, !ENV reads the environment."""
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "mkdocs", site)
    (site / "base.yml").write_text("site_url: https://base.example.org/\nplugins:\n  - blog\n")
    (site / "mkdocs.yml").write_text(
        "INHERIT: base.yml\nsite_name: !ENV [NOTES_TITLE, 'Fallback title']\n"
    )
    monkeypatch.setenv("NOTES_TITLE", "Notes from the environment")
    from gazette.importer.mkdocs import read_mkdocs

    old, posts = read_mkdocs(site)
    assert old.title == "Notes from the environment" and old.url == "https://base.example.org/"
    assert {p.old_url for p in posts if not p.draft} == {
        "blog/2024/02/12/a-new-national-standards-plan/",
        "blog/2024/03/20/ccc-catalogue/",
    }  # Material's default post_url_date_format, yyyy/MM/dd
