"""Test helpers: build a site from a dict of ``{path: text}``.

``build_pages`` is the inline-fixture helper: it writes the files into a
temporary project, runs the real pipeline without writing ``site/`` and returns
``{url: html}``. Defaults give a valid minimal project, so a test only states
the files it cares about.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from gazette.content.config import parse_config
from gazette.content.vocab import parse_vocabulary
from gazette.model import BuildOptions, Config, Vocabulary
from gazette.pipeline import BuildRequest, BuildResult, build_site
from gazette.serve.server import serving as served  # noqa: F401 - tests import it here

NOW = datetime(2024, 1, 1, tzinfo=UTC)

SITE_TOML = """\
[site]
title = "Test Gazette"
description = "A test archive."
base_url = "https://example.org/"
timezone = "UTC"
about = "About this test archive."

[[sections]]
id = "horizontal"
title = "Horizontal Issues"

[[sections]]
id = "ict"
title = "ICT"

[plugins.items]
[plugins.issues]
[plugins.home]
"""

TAGS_YML = """\
groups:
  horizontal:
    name: Horizontal
  ict:
    name: ICT
tags:
  Standardisation:
    group: horizontal
    description: Standards policy.
    aliases: [Standardization, Standards, Standard]
  5G:
    group: ict
    description: Mobile networks.
  MIIT:
    group: horizontal
    description: The ministry.
  Cybersecurity:
    group: ict
    description: Security of networks.
  AI:
    group: ict
    description: Artificial intelligence.
    aliases: [Artificial Intelligence]
"""

GLOSSARY_YML = """\
MIIT: Ministry of Industry and Information Technology
SAC: Standardization Administration of China
"""

ISSUE = """\
---
id: "2020-08"
number: 3
title: "August–September 2020"
date: 2020-09-30
period: "August–September 2020"
---

Intro.

## Takeaways

- One.
"""


def item(**fields: str) -> str:
    """An item file with valid defaults; pass front matter lines to change."""
    values = {
        "title": '"A title"',
        "date": "2020-08-01",
        "issue": '"2020-08"',
        "section": "ict",
        "tags": '["5G"]',
    }
    values.update(fields)
    front = "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None)
    return f"---\n{front}---\n\nBody text.\n"


DEFAULT_FILES = {
    "site.toml": SITE_TOML,
    "content/tags.yml": TAGS_YML,
    "content/glossary.yml": GLOSSARY_YML,
    "content/issues/2020-08.md": ISSUE,
}


def config() -> Config:
    parsed, problems = parse_config(SITE_TOML)
    assert parsed and not problems, problems
    return parsed


def vocabulary() -> Vocabulary:
    vocab, problems = parse_vocabulary("content/tags.yml", TAGS_YML)
    assert not problems, problems
    return vocab


def make_project(root: Path, files: dict[str, str | bytes], defaults: bool = True) -> Path:
    merged: dict[str, str | bytes] = {**DEFAULT_FILES, **files} if defaults else dict(files)
    for name, text in merged.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return root


def build(root: Path, files: dict[str, str | bytes], **options: object) -> BuildResult:
    project = make_project(root, files)
    base_url = options.pop("base_url", None)
    write = bool(options.pop("write", False))
    opts = BuildOptions(now=options.pop("now", NOW), **options)  # type: ignore[arg-type]
    request = BuildRequest(project, opts, base_url=base_url, write=write, workers=1)  # type: ignore[arg-type]
    return build_site(request)


def build_pages(root: Path, files: dict[str, str | bytes], **options: object) -> dict[str, str]:
    """Build in memory and return ``{url: html}`` for every HTML page."""
    result = build(root, files, **options)
    return {
        url: data.decode()
        for url, data in result.files.items()
        if url.endswith("/") or url.endswith(".html")
    }


# Debian's Chromium, driven by Playwright (tests/conftest.py: the ``browser`` fixture).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_CHROMIUM = "Debian's chromium is not installed (python3 dev.py test installs it)"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _proc_stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    fields = _proc_stat(pid)
    return bool(fields) and fields[0] != "Z"


def process_children(pid: int) -> set[int]:
    """Every descendant of ``pid``, however deep (Linux's /proc)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        fields = _proc_stat(entry.name) if entry.name.isdigit() else []
        if len(fields) > 1 and int(fields[1]) == pid:
            found |= {int(entry.name)} | process_children(int(entry.name))
    return found


def process_group(pgid: int) -> list[int]:
    """The live processes of process group ``pgid`` (Linux's /proc)."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit()
        and len(fields := _proc_stat(entry.name)) > 2
        and fields[0] != "Z"
        and int(fields[2]) == pgid
    ]
