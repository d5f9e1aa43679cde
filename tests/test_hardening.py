"""Hardening (issue 14): nothing read from outside, sources never replaced, options
validated, and errors in the order that shows their cause.

Each test is named after the class of problem it covers (``BAD_INPUTS.md``
numbers in ``tests/README.md``); the cases vary the file, folder and depth.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import SITE_TOML, item, make_project

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = "[plugins.tags]\n[plugins.glossary]\n[plugins.feeds]\n[plugins.sitemap]\n"
SECRET = "secret-contents-never-published"


def project(tmp_path: Path, extra: str = "") -> Path:
    return make_project(
        tmp_path / "p",
        {
            "site.toml": SITE_TOML + PLUGINS + extra,
            "content/items/a.md": item(title='"First"'),
        },
    )


def run(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "build", "--project", str(project_dir), *args],
        capture_output=True,
        text=True,
        cwd=project_dir,
        timeout=120,
    )


def published(output: Path) -> str:
    if not output.is_dir():
        return ""
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in output.rglob("*") if p.is_file()
    )


def _outside(tmp_path: Path) -> Path:
    """A folder beside the project holding copies of what the link replaces."""
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    return folder


def _prepare(outside: Path, relative: str) -> Path:
    """What the symlink at ``relative`` will point to, outside the project, with a secret."""
    target = outside / relative.replace("/", "_")
    template = (ROOT / "theme/templates/item.html").read_text("utf-8")
    plugin = (ROOT / "plugins/tags.py").read_text("utf-8")
    folders = {
        "theme": {"templates/item.html": template + SECRET, "static/x.css": SECRET},
        "theme/templates": {"item.html": template + SECRET},
        "theme/static": {"x.css": SECRET},
        "plugins": {"tags.py": plugin + f"\n# {SECRET}\n"},
    }
    if relative in folders:
        for name, text in folders[relative].items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(text, "utf-8")
    elif relative == "theme/templates/item.html":
        target.write_text(template + SECRET, "utf-8")
    elif relative == "plugins/tags.py":
        target.write_text(plugin + f"\n# {SECRET}\n", "utf-8")
    else:
        target.write_text(SECRET, "utf-8")
    return target


def _link_out(p: Path, relative: str, outside: Path) -> None:
    """Replace ``relative`` by a symlink to a place outside the project."""
    source = p / relative
    if source.exists():  # the project's own file or folder moves out
        target = outside / relative.replace("/", "_")
        source.rename(target)
    else:
        target = _prepare(outside, relative)
    source.parent.mkdir(parents=True, exist_ok=True)
    source.symlink_to(target)


# --------------------------------------------------------------------------- containment

LINKED = [
    "site.toml",
    "content",
    "content/items",
    "content/items/a.md",
    "content/items/deep/er/b.md",
    "content/issues",
    "content/tags.yml",
    "content/glossary.yml",
    "theme",
    "theme/templates",
    "theme/templates/item.html",
    "theme/static",
    "theme/static/extra.css",
    "theme/static/deep/er/file.txt",
    "plugins",
    "plugins/tags.py",
]


@pytest.mark.parametrize("relative", LINKED)
def test_containment_a_symlink_out_of_the_project_is_an_error(tmp_path, relative):
    p = project(tmp_path)
    _link_out(p, relative, _outside(tmp_path))
    done = run(p)
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert "symlink-outside" in done.stderr
    first = relative.split("/")[0]
    assert any(line.startswith(first) for line in done.stderr.splitlines()), done.stderr
    assert "Traceback" not in done.stderr
    assert SECRET not in published(p / "site")


# --------------------------------------------------------------------------- output folder


@pytest.mark.parametrize(
    "output",
    [
        "site.toml",
        "content",
        "content/site",
        "theme",
        "theme/built",
        "plugins",
        ".git",
        ".gazette-cache",
        ".gazette-cache/site",
        ".",
        "..",
    ],
)
def test_output_folder_that_is_holds_or_lies_in_a_source_is_refused(tmp_path, output):
    p = project(tmp_path)
    (p / "theme/templates").mkdir(parents=True)
    (p / "theme/templates/keep.html").write_text("keep", "utf-8")
    (p / "plugins").mkdir()
    (p / ".git").mkdir()
    before = {f: f.read_bytes() for f in p.rglob("*") if f.is_file()}
    done = run(p, "--output", output)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refusing to build into this folder" in done.stderr
    assert {f: f.read_bytes() for f in p.rglob("*") if f.is_file()} == before


def test_output_folder_linked_to_a_source_is_refused(tmp_path):
    p = project(tmp_path)
    (tmp_path / "out").symlink_to(p / "content")
    done = run(p, "--output", str(tmp_path / "out"))
    assert done.returncode == 2 and "refusing" in done.stderr
    assert (p / "content/items/a.md").is_file()


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "change, key",
    [
        (('title = "Test Gazette"', "title = { a = 1 }"), "site.title"),
        (('description = "A test archive."', "description = 3"), "site.description"),
        (('timezone = "UTC"', "timezone = [1]"), "site.timezone"),
        (('timezone = "UTC"', 'timezone = "UTC"\nlanguage = "english please"'), "language"),
        (('title = "Horizontal Issues"', "title = 7"), "sections[1].title"),
        (("[plugins.tags]", "[plugins.tags]\npage_size = 0"), "page_size"),
        (("[plugins.tags]", "[plugins.tags]\nrelated = -1"), "related"),
        (("[plugins.feeds]", "[plugins.feeds]\nlimit = -5"), "limit"),
        (("[plugins.glossary]", "[plugins.glossary]\nitems_shown = true"), "items_shown"),
    ],
)
def test_config_schema_wrong_types_and_ranges_exit_2_naming_the_key(tmp_path, change, key):
    p = project(tmp_path)
    text = (p / "site.toml").read_text("utf-8")
    assert change[0] in text
    (p / "site.toml").write_text(text.replace(change[0], change[1], 1), "utf-8")
    done = run(p)
    assert done.returncode == 2, done.stdout + done.stderr
    assert key in done.stderr and "site.toml:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [("--base-url", "javascript:alert(1)"), ("--base-url", "ftp://x.org/"), ("--now", "soon")],
)
def test_config_schema_command_line_values_exit_2(tmp_path, args):
    done = run(project(tmp_path), *args)
    assert done.returncode == 2 and args[0] in done.stderr


def test_config_schema_port_out_of_range_exits_2(tmp_path):
    command = [sys.executable, str(ROOT / "build.py"), "serve", "--project"]
    done = subprocess.run(
        [*command, str(project(tmp_path)), "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--port" in done.stderr


# --------------------------------------------------------------------------- error order


@pytest.mark.parametrize(
    "name, text",
    [
        ("tags.yml", "tags:\n\t5G:\n"),  # a tab
        ("tags.yml", "tags:\n  5G: a: b\n"),  # an unquoted colon
        ("glossary.yml", "MIIT: [unclosed\n"),
    ],
)
def test_error_order_a_broken_shared_file_is_reported_alone(tmp_path, name, text):
    p = project(tmp_path)
    for n in range(5):
        (p / f"content/items/i{n}.md").write_text(item(title=f'"Item {n}"'), "utf-8")
    (p / "content" / name).write_text(text, "utf-8")
    done = run(p)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error[" in line]
    assert errors and all(line.startswith(f"content/{name}:") for line in errors), done.stderr


def test_error_order_output_is_not_written_on_failure(tmp_path):
    p = project(tmp_path)
    assert run(p).returncode == 0
    before = {f: f.read_bytes() for f in (p / "site").rglob("*") if f.is_file()}
    (p / "content/tags.yml").write_text("tags:\n\t5G:\n", "utf-8")
    assert run(p).returncode == 1
    assert {f: f.read_bytes() for f in (p / "site").rglob("*") if f.is_file()} == before
    assert os.listdir(p / "site")
