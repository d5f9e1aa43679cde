"""Load a project: configuration, vocabulary, issues and items into one ``Site``.

Every file is parsed and checked before anything renders, and every problem is
collected, so one run reports all of them. Cross-file rules (an item's issue
exists, no two items share a URL, relations point at real items) are checked
here, once the whole archive is known.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from gazette.cache import BuildCache, digest
from gazette.content.config import parse_config
from gazette.content.discover import find_markdown
from gazette.content.fields import did_you_mean
from gazette.content.files import confined, read_limited, relative
from gazette.content.parse import parse_issue, parse_item
from gazette.content.source import decode
from gazette.content.vocab import parse_glossary, parse_vocabulary
from gazette.diagnostics import ContentError, Diagnostic, UsageError, error
from gazette.model import BuildOptions, Config, GlossaryEntry, Issue, Item, Site, Vocabulary
from gazette.parallel import pool_options

PARALLEL_PARSE_THRESHOLD = 500
RACY_NS = 2_000_000_000  # files younger than this are not cached by size and mtime


@dataclass(frozen=True)
class Loaded:
    """Everything parsed from disk, before Markdown is rendered."""

    config: Config
    vocabulary: Vocabulary
    glossary: tuple[GlossaryEntry, ...]
    issues: tuple[Issue, ...]
    items: tuple[Item, ...]  # every valid item, drafts and future ones included
    warnings: tuple[Diagnostic, ...]
    # path -> the parse cache's key: a digest of everything the parsed value is made of
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def load_config(project: Path) -> Config:
    path = project / "site.toml"
    if not path.is_file():
        raise UsageError(
            f"{path}: no site.toml here. Fix: run Gazette in a project folder or pass --project DIR"
        )
    outside = confined(project, path)
    if outside is not None:
        raise UsageError("site.toml cannot be read", [outside])
    text = decode("site.toml", read_limited(path))
    if isinstance(text, Diagnostic):
        raise UsageError("site.toml cannot be read", [text])
    config, problems = parse_config(text, "site.toml")
    if config is None:
        raise UsageError("site.toml is not valid", problems)
    return replace(config, project=str(project))


def read_yaml(project: Path, name: str, parse: Callable) -> tuple[object, list[Diagnostic]]:
    path = project / "content" / name
    where = f"content/{name}"
    if not path.is_file():
        return parse(where, "")
    outside = confined(project, path, "content")
    if outside is not None:
        return parse(where, "")[0], [outside]
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


Parsed = tuple[str, Item | Issue | None, list[Diagnostic]]  # (path, result, problems)


def _parse_batch(
    project: Path, config: Config, vocabulary: Vocabulary, jobs: list[tuple[str, Path]]
) -> list[Parsed]:
    """Read and parse ``(kind, path)`` jobs; runs in a worker process for large archives."""
    out: list[Parsed] = []
    for kind, path in jobs:
        where = relative(project, path)
        outside = confined(project, path, "content")
        if outside is not None:
            out.append((where, None, [outside]))
            continue
        data = read_limited(path)
        if kind == "issue":
            result, found = parse_issue(where, data, config)
        else:
            result, found = parse_item(where, data, config, vocabulary)
        out.append((where, result, found))
    return out


def parse_files(
    project: Path,
    config: Config,
    vocabulary: Vocabulary,
    jobs: list[tuple[str, Path]],
    workers: int = 1,
) -> list[Parsed]:
    """Parse files, in parallel when there are enough to pay for the workers."""
    if workers <= 1 or len(jobs) < PARALLEL_PARSE_THRESHOLD:
        return _parse_batch(project, config, vocabulary, jobs)
    size = max(50, len(jobs) // (workers * 4))
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    results: list[Parsed] = []
    with ProcessPoolExecutor(max_workers=workers, **pool_options()) as pool:
        jobs_per_batch = [
            pool.submit(_parse_batch, project, config, vocabulary, b) for b in batches
        ]
        for job in jobs_per_batch:
            results += job.result()
    return results


def _parse_with_cache(
    project: Path,
    config: Config,
    vocabulary: Vocabulary,
    jobs: list[tuple[str, Path]],
    cache: BuildCache,
    workers: int,
    sources: dict[str, str] | None = None,
) -> list[Parsed]:
    """Parse only files whose path, size, mtime or vocabulary changed since the last build.

    A file modified within ``RACY_NS`` of this build's start is parsed but not
    cached (Git's "racily clean" rule): a second save within the file system's
    timestamp granularity could keep its size and mtime and so be missed.
    """
    racy_after = time.time_ns() - RACY_NS
    inputs = b"".join(
        read_limited(project / name)
        if (project / name).is_file() and confined(project, project / name) is None
        else b"-"
        for name in ("site.toml", "content/tags.yml")
    )
    shared = digest(inputs)  # once, not once per file: tags.yml may be long
    root = os.path.join(str(project), "")
    keys = {}
    racy: set[Path] = set()
    for kind, path in jobs:
        name = str(path)  # strings, not Path methods: this loop runs for every file
        stat = os.stat(name)
        if stat.st_mtime_ns >= racy_after:
            racy.add(path)
        keys[path] = digest(shared, kind, name, str(stat.st_size), str(stat.st_mtime_ns))
        if sources is not None:
            inside = name.startswith(root) and os.sep == "/"
            sources[name[len(root) :] if inside else relative(project, path)] = keys[path]
    cached = cache.get_many("parsed", keys.values())
    missing = [(kind, path) for kind, path in jobs if keys[path] not in cached]
    fresh = iter(parse_files(project, config, vocabulary, missing, workers))
    results: list[Parsed] = []
    for _kind, path in jobs:
        key = keys[path]
        if key in cached:
            results.append(cached[key])  # type: ignore[arg-type]
        else:
            parsed = next(fresh)
            if path not in racy:
                cache.put("parsed", key, parsed)
            results.append(parsed)
    return results


def load_project(
    project: Path, workers: int | None = None, cache: BuildCache | None = None
) -> Loaded:
    """Read and parse everything. Raises ContentError with every error found."""
    config = load_config(project)
    vocabulary, problems = read_yaml(project, "tags.yml", parse_vocabulary)
    glossary, found = read_yaml(project, "glossary.yml", parse_glossary)
    problems += found
    if any(p.is_error for p in problems):
        # Reported alone: every item would otherwise repeat what a broken shared
        # file causes (an unknown tag per item), burying the cause.
        raise ContentError(problems)
    issue_paths, found = find_markdown(project, project / "content" / "issues")
    problems += found
    item_paths, found = find_markdown(project, project / "content" / "items")
    problems += found
    jobs = [("issue", p) for p in issue_paths] + [("item", p) for p in item_paths]
    sources: dict[str, str] = {}
    parsed = _parse_with_cache(
        project,
        config,
        vocabulary,
        jobs,
        cache or BuildCache(None),
        workers or os.cpu_count() or 1,
        sources,
    )
    issues = [result for _, result, _ in parsed if isinstance(result, Issue)]
    items = [result for _, result, _ in parsed if isinstance(result, Item)]
    for _, _, found in parsed:
        problems += found
    problems += check_cross_references(issues, items)
    loaded = Loaded(
        config,
        vocabulary,
        glossary,
        tuple(issues),
        tuple(items),
        tuple(problems),
        MappingProxyType(sources),
    )
    if any(p.is_error for p in problems):
        failed = frozenset(path for path, result, _ in parsed if result is None)
        raise PartialLoad(problems, loaded, failed)
    return loaded


class PartialLoad(ContentError):
    """Content errors, with what did load (``loaded``) and the files that did not."""

    def __init__(self, diagnostics: Iterable[Diagnostic], loaded: Loaded, failed: frozenset[str]):
        super().__init__(diagnostics)
        self.loaded = loaded
        self.failed = failed


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
