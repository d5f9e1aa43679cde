"""``build.py init DIR``: a new archive that builds ``--strict`` at once.

It writes ``site.toml`` (the usual plugins, one section), a ``tags.yml`` and a
``glossary.yml`` that hold only commented examples, one issue and one item
that explain the format, a ``.gitignore`` and the GitHub Pages workflow. It
refuses a folder that holds files unless ``--force`` (then it replaces only the
files it writes), and asks for the title and base URL only on a terminal;
``--title`` and ``--base-url`` answer without asking.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from gazette.diagnostics import EXIT_OK, UsageError

SITE_TOML = """\
# The archive's settings; the README of Gazette lists every key.
[site]
title = {title}
description = "An archive of the newsletter's past issues."
base_url = {base_url}
language = "en"
timezone = "UTC"

# One section to start with; items name theirs with `section: news`.
[[sections]]
id = "news"
title = "News"

[plugins.items]
[plugins.issues]
[plugins.home]
[plugins.tags]
[plugins.glossary]
[plugins.standards]   # pages for GB/T 35273, ISO/IEC 30145-3, TC260 ... that items mention
[plugins.search]
[plugins.sections]
[plugins.archive]
[plugins.feeds]
[plugins.sitemap]
"""

TAGS_YML = """\
# The tags items may use, with their groups. Uncomment and adapt, e.g.:
#
# groups:
#   policy:
#     name: Policy
#
# tags:
#   Standardisation:
#     group: policy
#     description: Standards policy and the bodies that make standards.
#     aliases: [Standardization, Standards]
tags: {}
"""

GLOSSARY_YML = """\
# Abbreviations and what they stand for; pages mark them up where they occur.
# Uncomment and adapt, e.g.:
#
# SAC: Standardization Administration of China
# MIIT: Ministry of Industry and Information Technology
{}
"""

ISSUE_MD = """\
---
id: "{issue}"
number: 1
title: "{title}, first issue"
date: {day}
period: "{period}"
---

An issue is a file in `content/issues/`: its front matter names it (`id`, used by
items as `issue:`), numbers and dates it; its text is the introduction readers see
on the issue's page. Write the issue's takeaways as a list under a heading:

## Takeaways

- This archive was started with `build.py init`.
- Each item of the issue is a file in `content/items/{issue}/`.
"""

ITEM_MD = """\
---
title: "How an item is written"
date: {day}
issue: "{issue}"
section: news
tags: []
summary: "Every item is a Markdown file with its facts in front matter between two lines of dashes."
# sources: where the facts come from: a URL per line, or a URL with what a
# citation needs. Link the page itself, not a site's home page. For example:
# sources:
#   - https://www.example.org/news/2024/standards-plan.html
#   - url: https://www.example.org/notices/2024-01.html
#     title: "Notice on the 2024 standards plan"
#     publisher: "Example Ministry"
#     date: 2024-01-15
---

This is an item. Its front matter (between the `---` lines) gives its `title`,
`date`, the `issue` it belongs to, its `section` (an id from `site.toml`) and its
`tags` (names from `content/tags.yml`); `summary` and `sources` are optional.
Each item page also offers "Cite this item": a citation to copy, and BibTeX and
CSL-JSON files for reference managers.

The text below is Markdown: paragraphs, lists, links such as
[Gazette's README](https://example.org/), and `### headings`.

Run `build.py check` after editing, and `build.py serve` to see the site.
"""

WORKFLOW = """\
# Build the archive and publish it on GitHub Pages, on every push to main.
# One-time set-up: Settings -> Pages -> Source: "GitHub Actions".
name: Publish on GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: pages
  cancel-in-progress: false

env:
  # The GitHub repository Gazette is taken from (owner/name).
  GAZETTE_REPOSITORY: {gazette}

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # The cache is advisory (a build checks every entry); the key changes with the
      # settings, theme and plugins, and a newer Gazette discards an older cache.
      - uses: actions/cache@v4
        with:
          path: .gazette-cache
          key: g-${{{{ hashFiles('site.toml','theme/**','plugins/**') }}}}-${{{{ github.sha }}}}
          restore-keys: g-${{{{ hashFiles('site.toml','theme/**','plugins/**') }}}}-
      - id: pages
        uses: actions/configure-pages@v5
      - uses: actions/checkout@v4
        with:
          repository: ${{{{ env.GAZETTE_REPOSITORY }}}}
          path: .gazette-tool
          persist-credentials: false
      - name: Install Gazette (runtime only, no test tools)
        run: python3 -m pip install -e ".gazette-tool[import]"
      - name: Build
        env:
          BASE_URL: ${{{{ steps.pages.outputs.base_url }}}}
        run: python3 .gazette-tool/build.py build --project . --strict --base-url "${{BASE_URL%/}}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site

  deploy:
    needs: build
    runs-on: ubuntu-latest
    permissions:
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""

GITIGNORE = "site/\n.site-spare/\n.gazette-cache/\n"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("init", help="start a new archive in DIR")
    parser.add_argument("dir", type=Path, help="the new archive's folder")
    parser.add_argument("--title", help="the archive's title (asked on a terminal)")
    parser.add_argument("--base-url", help="where it will be published (asked on a terminal)")
    parser.add_argument(
        "--gazette",
        default=None,
        help="the GitHub repository (owner/name) the Pages workflow takes Gazette from "
        "(default: the origin of this Gazette's git checkout)",
    )
    parser.add_argument("--force", action="store_true", help="write into a folder with files")


def gazette_repository() -> str:
    """owner/name of this Gazette's git origin on GitHub, or "" when unknown."""
    config = Path(__file__).resolve().parents[1] / ".git" / "config"
    try:
        text = config.read_text("utf-8")
    except OSError:
        return ""
    match = re.search(r"github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?\s*$", text, re.M)
    return match.group(1) if match else ""


def _ask(question: str, default: str) -> str:
    if not sys.stdin.isatty():
        return default
    answer = input(f"{question} [{default}]: ").strip()
    return answer or default


def files_for(title: str, base_url: str, gazette: str, today: date) -> dict[str, str]:
    """The new archive's files, by path relative to its folder."""
    issue = f"{today.year}-{today.month:02d}"
    period = today.strftime("%B %Y")
    return {
        "site.toml": SITE_TOML.format(title=json.dumps(title), base_url=json.dumps(base_url)),
        "content/tags.yml": TAGS_YML,
        "content/glossary.yml": GLOSSARY_YML,
        f"content/issues/{issue}.md": ISSUE_MD.format(
            issue=issue, title=title.replace('"', "'"), day=today.isoformat(), period=period
        ),
        f"content/items/{issue}/how-an-item-is-written.md": ITEM_MD.format(
            issue=issue, day=today.isoformat()
        ),
        ".github/workflows/pages.yml": WORKFLOW.format(gazette=json.dumps(gazette)),
        ".gitignore": GITIGNORE,
    }


def run_init(args: argparse.Namespace) -> int:
    target: Path = args.dir
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: a file is in the way. Fix: choose a new folder")
    if target.is_dir() and any(target.iterdir()) and not args.force:
        raise UsageError(
            f"{target}: the folder holds files. Fix: choose an empty or new folder, or pass "
            "--force (only the files init writes are replaced)"
        )
    title = args.title or _ask("Title of the archive", "My Newsletter Archive")
    base_url = args.base_url or _ask("Where it will be published", "https://example.org/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--base-url {base_url!r}: use an http(s) URL, e.g. https://you.github.io/repo/"
        )
    if not base_url.endswith("/"):
        base_url += "/"
    repository = args.gazette or gazette_repository()
    if not repository:
        print(
            "note: set GAZETTE_REPOSITORY in .github/workflows/pages.yml to the GitHub "
            "repository of Gazette (owner/name) before you push",
            file=sys.stderr,
        )
    for relative, text in files_for(
        title, base_url, repository or "OWNER/gazette", date.today()
    ).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    print(
        f"Created a new archive in {target}. Next:\n"
        f"  python build.py check --project {target}\n"
        f"  python build.py serve --project {target}",
        file=sys.stderr,
    )
    return EXIT_OK
