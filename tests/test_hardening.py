"""Hardening (issue 14): nothing read from outside, sources never replaced, options
validated, and errors in the order that shows their cause.

Each test is named after the class of problem it covers (``BAD_INPUTS.md``
numbers in ``tests/README.md``); the cases vary the file, folder and depth.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpers import SITE_TOML, item, make_project, process_group, tree

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = "[plugins.tags]\n[plugins.glossary]\n[plugins.feeds]\n[plugins.sitemap]\n"
SECRET = "secret-contents-never-published"
NOW_FIXED = datetime(2026, 1, 1, tzinfo=UTC)


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


def sources(p: Path) -> dict[Path, bytes]:
    """Every file of the project but the cache, with its bytes."""
    return {
        f: f.read_bytes()
        for f in p.rglob("*")
        if f.is_file() and ".gazette-cache" not in f.relative_to(p).parts
    }


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


# --------------------------------------------------------------------------- never stuck


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_never_stuck_a_killed_build_leaves_no_helper_and_no_lock(tmp_path):
    """SIGKILL of the build at moments in each stage (parse pool, Markdown pool, writer,
    search index): no helper outlives it, and the next build runs without help."""
    import signal
    import time

    root = tmp_path / "archive"
    generate = [sys.executable, str(ROOT / "bench/generate.py"), "--plugins", "sample"]
    subprocess.run(
        [*generate, "--items", "600", "--out", str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    command = [sys.executable, str(ROOT / "build.py"), "build", "--project", str(root)]
    for delay in (0.6, 1.0, 1.4, 1.8, 2.4, 3.0, 4.0):
        cache = root / ".gazette-cache"
        if delay < 2:  # a cold build: the parse and Markdown pools run
            subprocess.run(["rm", "-rf", str(cache)], check=True)
        build = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        build.wait()
        deadline = time.monotonic() + 10
        while process_group(build.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process_group(build.pid) == [], f"helpers outlived a build killed after {delay} s"
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "setup, output",
    [
        (lambda p: (p / "notes.txt").write_text("keep", "utf-8"), "notes.txt"),
        (lambda p: (p / "notes.txt").write_text("keep", "utf-8"), "notes.txt/site"),
        (lambda p: (p / "docs").mkdir() or (p / "docs/a.txt").write_text("x", "utf-8"), "docs"),
    ],
)
def test_never_stuck_an_output_that_cannot_be_written_exits_2(tmp_path, setup, output):
    p = project(tmp_path)
    setup(p)
    before = sources(p)
    done = run(p, "--output", output)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and output.split("/")[0] in done.stderr
    assert sources(p) == before


# --------------------------------------------------------------------------- error order


def test_error_order_template_errors_name_the_template_and_line(tmp_path):
    p = project(tmp_path)
    (p / "theme/templates").mkdir(parents=True)
    template = p / "theme/templates/item.html"
    template.write_text(
        '{% extends "base.html" %}\n{% block main %}\n{{ item.nope.deeper }}{% endblock %}\n'
    )
    done = run(p)
    assert done.returncode == 1
    assert "theme/templates/item.html:3: error[template-error]" in done.stderr
    assert "content/items/a.md" in done.stderr and str(tmp_path) not in done.stderr
    template.write_text('{% extends "base.html" %}\n{% block main %}\n{{ item.title }\n')
    done = run(p)
    assert done.returncode == 1
    assert "theme/templates/item.html:3: error[template-syntax]" in done.stderr
    assert "Fix:" in done.stderr and str(tmp_path) not in done.stderr


def test_error_order_check_and_new_speak_of_themselves(tmp_path):
    p = project(tmp_path)
    (p / "content/items/a.md").write_text(item(section="nowhere"), "utf-8")
    command = [sys.executable, str(ROOT / "build.py")]
    checked = subprocess.run(
        [*command, "check", "--project", str(p)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 1 and "Check failed" in checked.stderr
    assert "Build failed" not in checked.stderr
    (p / "content/items/a.md").write_text(item(), "utf-8")
    new = [*command, "new", "--project", str(p), "--title", "X", "--issue", "2020-08"]
    made = subprocess.run(
        [*new, "--section", "ict", "--tags", "NoSuchTag"], capture_output=True, text=True
    )
    assert made.returncode == 1 and "Nothing was created" in made.stderr
    assert "Build failed" not in made.stderr
    dated = subprocess.run(
        [*new, "--section", "ict", "--date", "2021-02-30"], capture_output=True, text=True
    )
    assert dated.returncode == 2 and "--date" in dated.stderr
    assert "content/items" not in dated.stderr
    assert sorted(p.rglob("*.md")) == sorted(
        [p / "content/items/a.md", p / "content/issues/2020-08.md"]
    )


# --------------------------------------------------------------------------- caches


def _damages(data: bytes) -> dict[str, bytes | str]:
    import pickle

    flipped = bytearray(data)
    for at in range(0, len(flipped), max(1, len(flipped) // 20)):
        flipped[at] ^= 0x5A
    return {
        "truncated": data[: len(data) // 2],
        "empty": b"",
        "flipped bytes": bytes(flipped),
        "a pickle of the wrong type": pickle.dumps({"a": [1, "x"], 3: None}),
        "a pickle of a list": pickle.dumps([1, 2, 3]),
        "json of the wrong shape": b'{"a": 1}',
        "a folder": "folder",
        "a symlink out": "symlink",
    }


def test_caches_every_damage_to_every_cache_file_gives_the_clean_build(tmp_path):
    """Each cache file damaged in each way: the build succeeds, says so at most as a
    warning, and writes exactly the site of a build without cache."""
    import shutil
    import time

    from gazette.model import BuildOptions
    from gazette.pipeline import BuildRequest, build_site

    p = project(tmp_path, "[plugins.related]\n[plugins.crosslinks]\n[plugins.search]\n")
    for n in range(8):
        tags = '["5G"]' if n % 2 else '["Standardisation"]'
        (p / f"content/items/i{n}.md").write_text(item(title=f'"Item {n}"', tags=tags))
    options = BuildOptions(now=NOW_FIXED)

    def build(output: Path, use_cache: bool = True):
        return build_site(BuildRequest(p, options, output=output, use_cache=use_cache))

    build(tmp_path / "clean", use_cache=False)
    clean = tree(tmp_path / "clean")
    time.sleep(2.1)  # not racy: the stamp is written too
    build(p / "site")
    cache = p / ".gazette-cache"
    pristine = tmp_path / "pristine-cache"
    shutil.copytree(cache, pristine, symlinks=True)
    files = sorted(f.relative_to(pristine) for f in pristine.rglob("*") if f.is_file())
    assert {"cache.sqlite", "manifest.pickle", "pages.pickle", "stamp.json"} <= {
        f.as_posix() for f in files
    }
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    failures = []
    for relative in files:
        for name, damage in _damages((pristine / relative).read_bytes()).items():
            shutil.rmtree(cache)
            shutil.copytree(pristine, cache, symlinks=True)
            target = cache / relative
            target.unlink()
            if damage == "folder":
                target.mkdir()
            elif damage == "symlink":
                target.symlink_to(secret)
            else:
                target.write_bytes(damage)
            try:
                build(p / "site")
            except Exception as exc:
                failures.append(f"{relative} ({name}): {type(exc).__name__}: {exc}")
                continue
            if tree(p / "site") != clean:
                failures.append(f"{relative} ({name}): the site differs")
            assert secret.read_text() == SECRET
    assert failures == []


# --------------------------------------------------------------------------- nothing lost


@pytest.mark.parametrize("tag", ["script", "style", "iframe", "textarea", "title", "noscript"])
@pytest.mark.parametrize("spelling", ["<{t}>", "<{T}>", "<{t} type='x'>", "<{t}/>"])
def test_nothing_lost_a_raw_tag_named_in_prose_is_shown_as_text(tag, spelling):
    from gazette.render.markdown_render import render_markdown

    mention = spelling.format(t=tag, T=tag.upper())
    body = (
        f"An article about the web: the {mention} element is described here, "
        "and the sentence goes on.\n\nA second paragraph follows.\n"
    )
    html = render_markdown(body).html
    assert "and the sentence goes on." in html and "A second paragraph follows." in html
    assert f"<{tag}" not in html.lower()


def test_nothing_lost_a_closed_script_is_still_removed_with_its_content():
    from gazette.render.markdown_render import render_markdown

    html = render_markdown("Before <script>alert(1)</script> after.\n").html
    assert "alert" not in html and "<script" not in html and "after." in html


@pytest.mark.parametrize("escape", ["\\e", "\\a", "\\uFFFE", "\\x85", "\\uFDD0", "\\U0010FFFF"])
@pytest.mark.parametrize("field", ["title", "summary"])
def test_nothing_lost_yaml_escapes_xml_forbids_are_errors_with_the_line(tmp_path, escape, field):
    p = project(tmp_path)
    lines = {"title": f'"Bad {escape} title"', "summary": f'"Bad {escape} summary"'}
    text = item(**{field: lines[field]})
    (p / "content/items/a.md").write_text(text, "utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith(f"{field}:"))
    done = run(p)
    assert done.returncode == 1, done.stderr
    assert f"content/items/a.md:{line}:" in done.stderr and "forbidden-character" in done.stderr


def test_nothing_lost_character_references_xml_forbids_leave_feeds_well_formed(tmp_path):
    import xml.etree.ElementTree as ElementTree

    p = project(tmp_path)
    body = "Escapes &#27; &#x1B; &#xFFFE; &#xFFFF; &#x85; &#1; and text after them.\n"
    (p / "content/items/a.md").write_text(item() + body, "utf-8")
    done = run(p)
    assert done.returncode == 0, done.stderr
    feeds = [f for f in (p / "site").rglob("*.xml")]
    assert feeds
    for feed in feeds:
        ElementTree.parse(feed)  # raises on a character XML forbids
    page = next((p / "site/items").rglob("index.html")).read_text("utf-8")
    assert "and text after them." in page


@pytest.mark.parametrize(
    "broken",
    [
        '---\ntitle: "Unclosed\ndate: x\n---\nbody\n',  # YAML syntax
        item(section="nowhere"),  # an unknown section
        item(date="2021-02-30"),  # not a real date
    ],
)
def test_error_order_broken_links_are_reported_with_front_matter_errors(tmp_path, broken):
    p = project(tmp_path, "[plugins.crosslinks]\n")
    (p / "content/items/b.md").write_text(
        item(title='"B"') + "See [[no-such-item]], [[a]] and [[broken]].\n", "utf-8"
    )
    (p / "content/items/broken.md").write_text(broken, "utf-8")
    done = run(p)
    assert done.returncode == 1
    assert "content/items/broken.md:" in done.stderr
    assert "content/items/b.md:" in done.stderr and "'no-such-item'" in done.stderr
    assert "'broken'" not in done.stderr  # its file failed: not a second, false error


# --------------------------------------------------------------------------- smaller classes


def test_containment_group_ids_never_become_paths(tmp_path):
    p = project(tmp_path)
    (p / "content/tags.yml").write_text(
        "groups:\n  ../../evil:\n    name: Evil\ntags:\n  5G:\n    group: ../../evil\n"
    )
    done = run(p)
    assert done.returncode == 1 and "content/tags.yml:2: error[vocab-group-id]" in done.stderr
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("slug", ['"a\\0b"', '"../site-evil/x"', '"%2e%2e/x"', '"/etc/x"'])
def test_containment_slugs_that_try_to_escape_are_errors(tmp_path, slug):
    p = project(tmp_path)
    (p / "content/items/a.md").write_text(item(slug=slug), "utf-8")
    done = run(p)
    assert done.returncode == 1 and "content/items/a.md:" in done.stderr
    assert not (tmp_path / "site-evil").exists()


def test_nothing_lost_unknown_elements_keep_their_text():
    from gazette.render.markdown_render import render_markdown

    html = render_markdown("A <blink>flashing</blink> and <custom-tag>kept</custom-tag> word.\n")
    assert "flashing" in html.html and "kept" in html.html and "<blink" not in html.html


def test_output_folder_home_is_refused(tmp_path):
    p = project(tmp_path)
    home = tmp_path / "home"
    home.mkdir()  # empty: refused because it is the home folder, not for its files
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build.py"),
            "build",
            "--project",
            str(p),
            "--output",
            str(home),
        ],
        capture_output=True,
        text=True,
        cwd=home,
        env={**os.environ, "HOME": str(home)},
        timeout=60,
    )
    assert done.returncode == 2 and "the home" in done.stderr
    assert list(home.iterdir()) == []


def test_never_stuck_an_output_under_an_unwritable_folder_exits_2(tmp_path):
    done = run(project(tmp_path), "--output", "/proc/self/site")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "/proc/" in done.stderr


def test_output_holds_the_site_only(tmp_path):
    p = project(tmp_path)
    (p / ".git").mkdir()
    (p / ".git/config").write_text("[core]\n")
    assert run(p).returncode == 0
    assert run(p).returncode == 0  # a warm build with the cache in place
    names = {f.relative_to(p / "site").as_posix() for f in (p / "site").rglob("*")}
    assert ".nojekyll" in names
    assert not [n for n in names if n.startswith((".git/", ".gazette-cache")) or n == ".git"]
    assert not [n for n in names if n.endswith((".md", ".pickle", ".sqlite", ".toml", ".yml"))]


@pytest.mark.parametrize("issue_id", ['"../../evil"', '"2020/08"', '"a\\0b"'])
def test_containment_issue_ids_never_become_paths(tmp_path, issue_id):
    p = project(tmp_path)
    issue = p / "content/issues/2020-08.md"
    issue.write_text(issue.read_text("utf-8").replace('id: "2020-08"', f"id: {issue_id}"))
    done = run(p)
    assert done.returncode == 1 and "content/issues/2020-08.md:2:" in done.stderr
    assert not (tmp_path / "evil").exists()
