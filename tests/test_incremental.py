"""Incremental builds equal builds from scratch, byte for byte (issue 12).

Hypothesis draws random sequences of edits an editor makes (bodies, titles,
tags, dates that move items between archive pages, drafts, new, deleted and
renamed items, slug changes, tag merges in ``tags.yml``, glossary, standards.yml and issue
edits, template edits), builds incrementally after each one with the cache and
the previous ``site/``, and compares the final tree with a build from nothing.
A wrong dependency may only cost time: any difference is a stale page.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazette import parallel
from gazette.diagnostics import ContentError
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, build_site
from gazette.render.templates import BUILTIN_THEME
from helpers import GLOSSARY_YML, NOW, SITE_TOML, TAGS_YML

PLUGINS = """
[plugins.tags]
page_size = 2
[plugins.crosslinks]
[plugins.related]
count = 2
[plugins.glossary]
[plugins.sections]
page_size = 2
[plugins.archive]
page_size = 2
[plugins.events]
[plugins.feeds]
limit = 3
[plugins.sitemap]
[plugins.standards]
page_size = 2
[plugins.search]
"""

ISSUE = """---
id: "{id}"
number: {number}
title: "Issue {id}"
date: {date}
---

Intro of {id}{extra}.

## Takeaways

- A takeaway about MIIT.
"""

TAG_CHOICES = ["5G", "MIIT", "AI", "Cybersecurity", "Standardisation", "standards", "#5g"]
DATES = ["2020-06-02", "2020-06-20", "2020-07-15", "2020-08-01", "2020-09-12", "2021-01-05"]
WORDS = ["alpha", "beta", "gamma", "delta", "MIIT", "SAC", "network", "standard", "TC260", "GB7258"]


class Project:
    """A small project on disk with every plugin (search on Gazette's engine), and a clock."""

    def __init__(self, root: Path):
        self.root = root
        self.clock = 1_600_000_000
        self.write("site.toml", SITE_TOML + PLUGINS)
        self.write("content/tags.yml", TAGS_YML)
        self.write("content/glossary.yml", GLOSSARY_YML)
        self.write("content/issues/2020-06.md", self.issue("2020-06", 1, "2020-07-31"))
        self.write("content/issues/2020-08.md", self.issue("2020-08", 2, "2020-09-30"))
        self.slugs: list[str] = []
        for n in range(5):
            self.new_item(n)
        self.edit_item(1, lambda text: text.replace("---\n\n", "follows: item-0\n---\n\n", 1))
        self.edit_item(2, lambda text: text + "\nSee [[item-0]] and [[item-1]].\n")

    @staticmethod
    def issue(issue_id: str, number: int, date: str, extra: str = "") -> str:
        return ISSUE.format(id=issue_id, number=number, date=date, extra=extra)

    def write(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.touch(path)

    def touch(self, path: Path) -> None:
        """Each save a second after the last, as an editor's would be."""
        self.clock += 1
        os.utime(path, ns=(self.clock * 10**9, self.clock * 10**9))

    def path_of(self, slug: str) -> Path:
        matches = [
            p
            for p in (self.root / "content/items").rglob("*.md")
            if p.stem == slug or f"slug: {slug}\n" in p.read_text()
        ]
        return matches[0]

    def new_item(self, n: int) -> None:
        slug = f"item-{n}"
        issue = "2020-06" if n % 2 else "2020-08"
        event = "kind: event\nstart: 2020-07-01T09:00:00+01:00\nonline: true\n" if n == 3 else ""
        text = (
            f'---\ntitle: "Item {n} on networks"\ndate: {DATES[n % len(DATES)]}\n'
            f'issue: "{issue}"\nsection: {"ict" if n % 3 else "horizontal"}\n'
            f'tags: ["{TAG_CHOICES[n % 5]}"]\nsummary: "Summary {n}."\n{event}---\n\n'
            f"Body of item {n} about MIIT and SAC standards.\n"
        )
        self.write(f"content/items/{issue}/{slug}.md", text)
        self.slugs.append(slug)

    def edit_item(self, index: int, change) -> None:  # type: ignore[no-untyped-def]
        slug = self.slugs[index % len(self.slugs)]
        path = self.path_of(slug)
        path.write_text(change(path.read_text()), encoding="utf-8")
        self.touch(path)

    def front(self, index: int, key: str, value: str) -> None:
        pattern = re.compile(rf"^{key}: .*\n", re.M)

        def change(text: str) -> str:
            line = f"{key}: {value}\n"
            if pattern.search(text):
                return pattern.sub(line, text, count=1)
            return text.replace("\n---\n", f"\n{line}---\n", 1)

        self.edit_item(index, change)

    def replace_everywhere(self, old: str, new: str) -> None:
        """Follow a slug change in every link and relation (an editor would)."""
        for path in (self.root / "content/items").rglob("*.md"):
            text = path.read_text()
            changed = text.replace(f"[[{old}]]", f"[[{new}]]" if new else "")
            changed = changed.replace(f"follows: {old}\n", f"follows: {new}\n" if new else "")
            if changed != text:
                path.write_text(changed, encoding="utf-8")
                self.touch(path)

    def apply(self, op: tuple) -> None:
        kind, n, word = op
        if kind == "body":
            target = self.slugs[(n + 1) % len(self.slugs)]
            link = f" See [[{target}]]." if n % 3 == 0 else ""
            self.edit_item(n, lambda text: text + f"\nMore on {word}.{link}\n")
        elif kind == "title":
            self.front(n, "title", f'"Item about {word}"')
        elif kind == "summary":
            self.front(n, "summary", f'"Now about {word}."')
        elif kind == "tags":
            tags = sorted({TAG_CHOICES[n % 7], TAG_CHOICES[len(word) % 7]})
            self.front(n, "tags", "[" + ", ".join(f'"{t}"' for t in tags) + "]")
        elif kind == "date":
            self.front(n, "date", DATES[(n + len(word)) % len(DATES)])
        elif kind == "draft":
            path = self.path_of(self.slugs[n % len(self.slugs)])
            self.front(n, "draft", "false" if "draft: true" in path.read_text() else "true")
        elif kind == "new":
            self.new_item(len(self.slugs) + 10 * n)
        elif kind == "delete" and len(self.slugs) > 2:
            slug = self.slugs.pop(n % len(self.slugs))
            self.path_of(slug).unlink()
            self.replace_everywhere(slug, "")
        elif kind == "rename":
            slug = self.slugs[n % len(self.slugs)]
            path, new = self.path_of(slug), f"{slug}-{word.lower()}"
            if "slug:" not in path.read_text() and not (path.parent / f"{new}.md").exists():
                path.rename(path.parent / f"{new}.md")
                self.touch(path.parent / f"{new}.md")
                self.slugs[n % len(self.slugs)] = new
                self.replace_everywhere(slug, new)
        elif kind == "slug":
            slug = self.slugs[n % len(self.slugs)]
            new = f"s-{slug}-{word.lower()}"
            self.front(n, "slug", new)
            self.slugs[n % len(self.slugs)] = new
            self.replace_everywhere(slug, new)
        elif kind == "merge":  # Cybersecurity becomes an alias of 5G
            text = (self.root / "content/tags.yml").read_text()
            merged = text.replace(
                "  Cybersecurity:\n    group: ict\n    description: Security of networks.\n", ""
            ).replace(
                "    description: Mobile networks.\n",
                "    description: Mobile networks.\n    aliases: [Cybersecurity]\n",
            )
            self.write("content/tags.yml", merged)
        elif kind == "describe":
            text = (self.root / "content/tags.yml").read_text()
            self.write("content/tags.yml", text.replace("The ministry.", f"The {word} ministry."))
        elif kind == "glossary":
            self.write("content/glossary.yml", GLOSSARY_YML + f"{word.upper()}X: {word} words\n")
        elif kind == "standards":
            self.write("content/standards.yml", f"TC260:\n  title: {word} committee\n")
        elif kind == "issue":
            self.write("content/issues/2020-06.md", self.issue("2020-06", 1, "2020-07-31", word))
        elif kind == "template":
            name = ["item.html", "_macros.html", "base.html", "tag.html"][n % 4]
            source = (BUILTIN_THEME / "templates" / name).read_text()
            self.write(f"theme/templates/{name}", source + f"<!-- {word} -->\n")


OPS = st.tuples(
    st.sampled_from(
        [
            "body",
            "title",
            "summary",
            "tags",
            "date",
            "draft",
            "new",
            "delete",
            "rename",
            "slug",
            "merge",
            "describe",
            "glossary",
            "standards",
            "issue",
            "template",
        ]
    ),
    st.integers(0, 20),
    st.sampled_from(WORDS),
)


def build(project: Path, output: Path | None = None, cache: bool = True) -> object:
    request = BuildRequest(project, BuildOptions(now=NOW), output=output, use_cache=cache)
    try:
        build_site(request)
    except ContentError as exc:
        return sorted(d.format() for d in exc.diagnostics)
    return None


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def check_sequence(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary) / "project"
        project = Project(root)
        assert build(root) is None
        outcome = None
        for op in ops:
            project.apply(op)
            outcome = build(root)
        scratch = Path(temporary) / "scratch"
        assert build(root, scratch, cache=False) == outcome
        if outcome is None:
            incremental, fresh = tree(root / "site"), tree(scratch)
            assert sorted(incremental) == sorted(fresh)
            stale = [name for name in fresh if incremental[name] != fresh[name]]
            assert not stale, f"stale after {ops}: {stale[:5]}"


@settings(
    max_examples=int(os.environ.get("GAZETTE_INCREMENTAL_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(st.lists(OPS, min_size=1, max_size=4))
def test_incremental_build_equals_a_build_from_scratch(ops):
    check_sequence(ops)


@pytest.mark.parametrize(
    "ops",
    [
        [("template", 0, "alpha")],
        [("merge", 3, "beta")],
        [("delete", 1, "gamma"), ("new", 2, "delta")],
        [("date", 0, "network"), ("draft", 2, "SAC")],
        [("slug", 0, "alpha"), ("body", 2, "beta")],
    ],
)
def test_named_edit_sequences(ops):
    check_sequence(ops)


@pytest.mark.parametrize("halves", [False, True], ids=["one process", "forked helpers"])
def test_second_build_reuses_every_page_and_an_edit_renders_few(tmp_path, monkeypatch, halves):
    from gazette.render import pages

    if halves:  # as at 10,000 items: half the pages checked in a forked copy,
        # and the related items ranked in another while the other hooks run
        monkeypatch.setattr(pages, "CHECKS_IN_HALVES", 2)
        monkeypatch.setattr(parallel, "BACKGROUND_ITEMS", 0)
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    warm = build_site(request)
    assert sum(t.rendered for t in warm.plugins) == 0
    assert sum(t.reused for t in warm.plugins) > 20
    project.apply(("body", 4, "alpha"))
    edited = build_site(request)
    rendered = {t.name: t.rendered for t in edited.plugins if t.rendered}
    # The item itself, and the related lists that may change with its text.
    assert rendered["items"] <= len(project.slugs)
    assert sum(rendered.values()) <= sum(t.reused for t in edited.plugins)


def test_a_hand_edited_page_in_site_is_rendered_again(tmp_path):
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    page = project.root / "site/items/item-1/index.html"
    original = page.read_bytes()
    page.write_bytes(b"vandalised")
    build_site(request)
    assert page.read_bytes() == original


def test_damaged_page_records_cost_a_render_not_a_crash(tmp_path):
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    before = tree(project.root / "site")
    records = project.root / ".gazette-cache/pages.pickle"
    records.write_bytes(b"\x80\x05garbage")
    result = build_site(request)
    assert sum(t.reused for t in result.plugins) == 0
    assert tree(project.root / "site") == before
    shutil.rmtree(project.root / ".gazette-cache")
    assert build(project.root) is None


def test_a_warm_build_updates_the_spare_in_place(tmp_path):
    project = Project(tmp_path / "p")
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    build_site(request)  # the first site becomes the spare
    spare = project.root / ".site-spare"
    assert spare.is_dir() and tree(spare) == tree(project.root / "site")
    project.apply(("body", 4, "alpha"))
    result = build_site(request)
    written = sum(t.written for t in result.plugins)
    assert 0 < written < 15  # the edited item and the listings that show it
    site, old = tree(project.root / "site"), tree(spare)
    assert site == {name: data for name, data in (old | site).items() if name in site}
    # Only search files named by their content (chunks, words, the record block) are gone.
    gone = old.keys() - site.keys()
    assert all(name.startswith("search/gazette/") for name in gone), gone
    # A hand-edited spare is never published: its file is replaced.
    (spare / "items/item-1/index.html").write_bytes(b"junk")
    (spare / "junk.html").write_bytes(b"junk")
    project.apply(("title", 2, "gamma"))
    build_site(request)
    scratch = tmp_path / "scratch"
    assert build(project.root, scratch, cache=False) is None
    assert tree(project.root / "site") == tree(scratch)


# Runs the command line with the pages checked in two processes, and the related
# items ranked and the search index made in others, at any size, as an
# incremental build of 2,000 pages or more does (`gazette.parallel.in_halves`,
# `in_background`).
CHECKS_IN_TWO = (
    "import sys; sys.path.insert(0, {repo!r}); "
    "from gazette.render import pages; pages.CHECKS_IN_HALVES = 2; "
    "from gazette import parallel; parallel.BACKGROUND_ITEMS = 0; "
    "from gazette.cli import main; sys.exit(main())"
)


@pytest.mark.parametrize("halves", [False, True], ids=["one process", "forked helpers"])
def test_a_killed_build_leaves_a_complete_site_and_the_next_build_is_right(tmp_path, halves):
    """SIGKILL at many moments of incremental builds (bench/generate.py, 200 items).

    With ``halves``, the kills also land while a forked copy checks pages,
    ranks related items or makes the search index (Gazette's engine): it dies
    with the build and holds nothing the next build needs."""
    import random
    import signal
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    root = tmp_path / "archive"
    subprocess.run(
        [
            sys.executable,
            str(repo / "bench/generate.py"),
            "--items",
            "200",
            "--plugins",
            "sample",
            "--out",
            str(root),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    entry = ["-c", CHECKS_IN_TWO.format(repo=str(repo))] if halves else [str(repo / "build.py")]
    command = [
        sys.executable,
        *entry,
        "build",
        "--project",
        str(root),
        "--now",
        "2024-01-01T00:00:00+00:00",
    ]
    subprocess.run(command, check=True, capture_output=True)
    items = sorted((root / "content/items").rglob("*.md"))
    rng = random.Random(7)
    outcomes = set()
    for trial in range(8):
        old = tree(root / "site")
        target = items[rng.randrange(len(items))]
        target.write_text(target.read_text() + f"\nEdit number {trial}.\n")
        scratch = tmp_path / f"scratch-{trial}"
        expected_build = subprocess.run(
            [*command, "--output", str(scratch)], capture_output=True, check=True
        )
        assert expected_build.returncode == 0
        new = tree(scratch)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=rng.uniform(0.3, 3.0))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
        if (root / "site").exists():
            now = tree(root / "site")
            assert now in (old, new), f"trial {trial}: site/ is neither the old nor the new site"
            outcomes.add("old" if now == old else "new")
        else:  # killed between the two renames of the swap: the next build puts it back
            assert list(root.glob(".site-old-*"))
            outcomes.add("missing")
        subprocess.run(command, check=True, capture_output=True)
        assert tree(root / "site") == new, f"trial {trial}: the build after the kill is wrong"
    assert "old" in outcomes  # at least one kill landed inside a build


def test_jinja_tests_and_filters_see_through_the_recording_proxy(tmp_path):
    project = Project(tmp_path / "p")
    template = (
        '{% extends "base.html" %}{% block main %}<p id="probe">'
        "{{ gazette.data is mapping }}|{{ gazette.issue_by_id is sequence }}|"
        "{{ gazette.data['tags'] is callable }}|{{ gazette.issue_by_id|length }}|"
        "{{ gazette.issue_by_id|list|sort|join(',') }}</p>{% endblock %}"
    )
    project.write("theme/templates/home.html", template)
    request = BuildRequest(project.root, BuildOptions(now=NOW))
    build_site(request)
    home = (project.root / "site/index.html").read_text()
    assert '<p id="probe">True|True|False|2|2020-06,2020-08</p>' in home
    again = build_site(request)
    assert [t.rendered for t in again.plugins if t.name == "home"] == [0]
    issue = Project.issue("2021-02", 3, "2021-03-31")
    project.write("content/issues/2021-02.md", issue)
    build_site(request)
    home = (project.root / "site/index.html").read_text()
    assert '<p id="probe">True|True|False|3|2020-06,2020-08,2021-02</p>' in home


@pytest.mark.parametrize(
    "ops",
    [
        [("body", 4, "alpha"), ("title", 2, "gamma")],
        [("merge", 3, "beta"), ("template", 0, "alpha")],
        [("delete", 1, "gamma"), ("date", 0, "network")],
    ],
)
def test_pages_checked_half_in_a_forked_process_give_the_same_site(ops, monkeypatch):
    """At 10,000 items an incremental build checks its pages in two processes
    (`gazette.parallel.in_halves`); here every build with a last build's records does."""
    from gazette.parallel import in_halves
    from gazette.render import pages

    calls = []

    def counted(work, items, least):
        calls.append(len(items))
        return in_halves(work, items, least)

    monkeypatch.setattr(pages, "CHECKS_IN_HALVES", 2)
    monkeypatch.setattr(pages, "in_halves", counted)
    monkeypatch.setattr(parallel, "BACKGROUND_ITEMS", 0)
    check_sequence(ops)
    assert calls and min(calls) > 20
