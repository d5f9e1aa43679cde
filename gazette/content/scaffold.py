"""``python build.py new``: scaffold an item whose front matter is valid by construction.

Tags, section and issue are checked exactly as the build checks them, and the
written file is parsed back with ``parse_item`` before it is kept.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import date

from gazette.content.fields import did_you_mean
from gazette.content.load import load_project
from gazette.content.parse import parse_item
from gazette.content.vocab import canonical_tags
from gazette.diagnostics import EXIT_CONTENT, EXIT_OK, ContentError, Diagnostic, error
from gazette.model import Config, Vocabulary
from gazette.output.urls import SLUG, slugify

CLI = "command line"


def _check(
    args: argparse.Namespace, config: Config, vocabulary: Vocabulary, issue_ids: list[str]
) -> tuple[tuple[str, ...], list[Diagnostic]]:
    spellings = [(t.strip(), 0) for t in args.tags.split(",") if t.strip()]
    tags, problems = canonical_tags(vocabulary, spellings, CLI)
    if args.section not in config.section_by_id:
        allowed = ", ".join(config.section_by_id)
        problems.append(
            error(
                CLI,
                0,
                "unknown-section",
                f"unknown section '{args.section}'",
                f"allowed sections: {allowed}",
            )
        )
    if args.issue not in issue_ids:
        guess = did_you_mean(args.issue, issue_ids)
        problems.append(
            error(
                CLI,
                0,
                "unknown-issue",
                f"no issue has the id '{args.issue}'",
                f"did you mean '{guess[0]}'?" if guess else f"known issues: {', '.join(issue_ids)}",
            )
        )
    slug = args.slug or slugify(args.title)
    if not SLUG.fullmatch(slug):
        problems.append(
            error(
                CLI,
                0,
                "empty-slug",
                f"the title gives no usable slug ({slug!r})",
                "pass --slug with lowercase letters, digits and hyphens",
            )
        )
    return tags, problems


def front_matter(fields: dict) -> str:
    """Front matter in the archive's own style, for files Gazette writes (``import``):
    strings double-quoted (JSON strings are valid YAML scalars, so any text is
    safe), dates and numbers bare, ``tags`` as a flow list, other lists as block lists."""
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        elif isinstance(value, date):
            lines.append(f"{key}: {value.isoformat()}")
        elif isinstance(value, int):
            lines.append(f"{key}: {value}")
        elif isinstance(value, list) and key == "tags":
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        elif isinstance(value, list):
            lines += [f"{key}:", *(f"  - {v}" for v in value)]
        else:
            lines.append(f"{key}: {json.dumps(str(value), ensure_ascii=False)}")
    return "\n".join(lines) + "\n---\n"


def render_item(title: str, day: str, issue: str, section: str, tags: tuple[str, ...]) -> str:
    # JSON strings are valid double-quoted YAML scalars, so any title is safe.
    return (
        "---\n"
        f"title: {json.dumps(title, ensure_ascii=False)}\n"
        f"date: {day}\n"
        f"issue: {json.dumps(issue)}\n"
        f"section: {section}\n"
        f"tags: {json.dumps(list(tags), ensure_ascii=False)}\n"
        'summary: ""\n'
        "sources: []\n"
        "---\n\n"
        "Write the item here in Markdown.\n"
    )


def run_new(args: argparse.Namespace) -> int:
    project = args.project.resolve()
    loaded = load_project(project)
    issue_ids = sorted(issue.id for issue in loaded.issues)
    tags, problems = _check(args, loaded.config, loaded.vocabulary, issue_ids)
    day = args.date or date.today().isoformat()
    if problems:
        raise ContentError(problems)
    slug = args.slug or slugify(args.title)
    target = project / "content" / "items" / args.issue / f"{slug}.md"
    relative = target.relative_to(project).as_posix()
    if target.exists() or any(item.slug == slug for item in loaded.items):
        raise ContentError(
            [
                error(
                    relative,
                    0,
                    "duplicate-url",
                    f"an item with the slug '{slug}' already exists",
                    "pass --slug with another slug",
                )
            ]
        )
    text = render_item(args.title, day, args.issue, args.section, tags)
    _, found = parse_item(relative, text, loaded.config, loaded.vocabulary)
    if any(d.is_error for d in found):  # the file does not exist: the options are at fault
        raise ContentError(
            [replace(d, path="command line", line=0, col=0) for d in found if d.is_error]
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"Created {relative}", file=sys.stderr)
    return EXIT_OK if not found else EXIT_CONTENT
