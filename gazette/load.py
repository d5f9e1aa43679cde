"""Load a project: configuration, vocabulary, issues and items into one ``Site``.

Every file is parsed and checked before anything renders, and every problem is
collected, so one run reports all of them. Cross-file rules (an item's issue
exists, no two items share a URL, relations point at real items) are checked
here, once the whole archive is known.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from .config import parse_config
from .diagnostics import ContentError, Diagnostic, UsageError, error
from .discover import find_markdown, read_files, read_limited
from .fields import did_you_mean
from .model import BuildOptions, Config, GlossaryEntry, Issue, Item, Site, Vocabulary
from .parallel import pool_context
from .parse import parse_issue, parse_item
from .source import decode
from .vocab import parse_glossary, parse_vocabulary

PARALLEL_PARSE_THRESHOLD = 500


@dataclass(frozen=True)
class Loaded:
    """Everything parsed from disk, before Markdown is rendered."""

    config: Config
    vocabulary: Vocabulary
    glossary: tuple[GlossaryEntry, ...]
    issues: tuple[Issue, ...]
    items: tuple[Item, ...]  # every valid item, drafts and future ones included
    warnings: tuple[Diagnostic, ...]


def load_config(project: Path) -> Config:
    path = project / "site.toml"
    if not path.is_file():
        raise UsageError(
            f"{path}: no site.toml here. Fix: run Gazette in a project folder or pass --project DIR"
        )
    text = decode("site.toml", read_limited(path))
    if isinstance(text, Diagnostic):
        raise UsageError(text.format(), [text])
    config, problems = parse_config(text, "site.toml")
    if config is None:
        raise UsageError("site.toml is not valid", problems)
    return config


def _read_yaml(project: Path, name: str, parse: Callable) -> tuple[object, list[Diagnostic]]:
    path = project / "content" / name
    where = f"content/{name}"
    if not path.is_file():
        return parse(where, "")
    text = decode(where, read_limited(path))
    if isinstance(text, Diagnostic):
        return parse(where, "")[0], [text]
    return parse(where, text)


def check_cross_references(issues: list[Issue], items: list[Item]) -> list[Diagnostic]:
    """Rules that need the whole archive: unique ids, numbers, URLs, known issues."""
    problems: list[Diagnostic] = []
    by_id: dict[str, Issue] = {}
    by_number: dict[int, Issue] = {}
    for issue in issues:
        for key, table, value in (("id", by_id, issue.id), ("number", by_number, issue.number)):
            if value in table:
                other = table[value]
                problems.append(
                    error(
                        issue.path,
                        issue.lines.get(key, 1),
                        f"duplicate-issue-{key}",
                        f"issue {key} {value!r} is also used by {other.path}",
                        f"give each issue its own {key}",
                    )
                )
            else:
                table[value] = issue
    by_slug: dict[str, Item] = {}
    for item in items:
        if item.issue not in by_id:
            guess = did_you_mean(item.issue, list(by_id))
            known = ", ".join(sorted(by_id)) or "none yet"
            problems.append(
                error(
                    item.path,
                    item.lines.get("issue", 1),
                    "unknown-issue",
                    f"no issue has the id '{item.issue}'",
                    f"did you mean '{guess[0]}'?" if guess else f"known issues: {known}",
                )
            )
        if item.slug in by_slug:
            other = by_slug[item.slug]
            problems.append(
                error(
                    item.path,
                    item.lines.get("slug", 1),
                    "duplicate-url",
                    f"this item and {other.path} both have the URL {item.url}",
                    "rename one file, or give one of them its own slug:",
                )
            )
        else:
            by_slug[item.slug] = item
    return problems


def check_relations(items: tuple[Item, ...]) -> list[Diagnostic]:
    slugs = [item.slug for item in items]
    known = set(slugs)
    problems = []
    for item in items:
        for key in ("follows", "supersedes"):
            target = getattr(item, key)
            if target and target not in known:
                guess = did_you_mean(target, slugs)
                problems.append(
                    error(
                        item.path,
                        item.lines.get(key, 1),
                        "unknown-relation",
                        f"'{key}' names '{target}', but no published item has that slug",
                        f"did you mean '{guess[0]}'?" if guess else "use the slug of an item",
                    )
                )
    return problems


def _parse_batch(
    project: Path, config: Config, vocabulary: Vocabulary, kind: str, paths: list[Path]
) -> tuple[list, list[Diagnostic]]:
    """Read and parse a batch of files; runs in a worker process for large archives."""
    parsed, problems = [], []
    for file in read_files(project, paths):
        if kind == "issue":
            result, found = parse_issue(file.path, file.data, config)
        else:
            result, found = parse_item(file.path, file.data, config, vocabulary)
        problems += found
        if result is not None:
            parsed.append(result)
    return parsed, problems


def parse_files(
    project: Path,
    config: Config,
    vocabulary: Vocabulary,
    issue_paths: list[Path],
    item_paths: list[Path],
    workers: int = 1,
) -> tuple[list[Issue], list[Item], list[Diagnostic]]:
    """Parse every file, in parallel when there are enough to pay for the workers."""
    issues, problems = _parse_batch(project, config, vocabulary, "issue", issue_paths)
    if workers <= 1 or len(item_paths) < PARALLEL_PARSE_THRESHOLD:
        items, found = _parse_batch(project, config, vocabulary, "item", item_paths)
        return issues, items, problems + found
    size = max(50, len(item_paths) // (workers * 4))
    batches = [item_paths[i : i + size] for i in range(0, len(item_paths), size)]
    items: list[Item] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        jobs = [
            pool.submit(_parse_batch, project, config, vocabulary, "item", batch)
            for batch in batches
        ]
        for job in jobs:
            parsed, found = job.result()
            items += parsed
            problems += found
    return issues, items, problems


def load_project(project: Path, workers: int | None = None) -> Loaded:
    """Read and parse everything. Raises ContentError with every error found."""
    config = load_config(project)
    vocabulary, problems = _read_yaml(project, "tags.yml", parse_vocabulary)
    glossary, found = _read_yaml(project, "glossary.yml", parse_glossary)
    problems += found
    issue_paths, found = find_markdown(project, project / "content" / "issues")
    problems += found
    item_paths, found = find_markdown(project, project / "content" / "items")
    problems += found
    issues, items, found = parse_files(
        project, config, vocabulary, issue_paths, item_paths, workers or os.cpu_count() or 1
    )
    problems += found + check_cross_references(issues, items)
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    return Loaded(config, vocabulary, glossary, tuple(issues), tuple(items), tuple(problems))


def select_published(loaded: Loaded, options: BuildOptions) -> tuple[Site, list[Diagnostic]]:
    """Drop drafts and scheduled items, then order newest first."""
    now: datetime = options.now
    items = tuple(
        sorted(
            (
                item
                for item in loaded.items
                if (options.drafts or not item.draft) and (options.future or item.published <= now)
            ),
            key=lambda i: (i.published, i.slug),
            reverse=True,
        )
    )
    issues = tuple(sorted(loaded.issues, key=lambda i: (i.date, i.number), reverse=True))
    site = Site(
        config=loaded.config,
        options=options,
        items=items,
        issues=issues,
        vocabulary=loaded.vocabulary,
        glossary=loaded.glossary,
    )
    return site, check_relations(items)


def with_rendered(site: Site, rendered: dict[str, tuple[str, tuple, str]]) -> Site:
    """Attach rendered HTML (by source path) to items and issues."""

    def attach(obj):  # type: ignore[no-untyped-def]
        html, headings, text = rendered[obj.path]
        return replace(obj, html=html, headings=headings, text=text)

    return replace(
        site,
        items=tuple(attach(i) for i in site.items),
        issues=tuple(attach(i) for i in site.issues),
    )
