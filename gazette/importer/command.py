"""``build.py import FILE``: a past issue (extracted text or PDF) into the archive.

Safe writes: ``--dry-run`` prints the plan and writes nothing; a real run never
overwrites a file (it names them and stops, unless ``--force``), writes every
file or none (each goes to a temporary name first, then all are renamed), and
then checks the archive as ``build --strict`` would, printing what an editor
must fix with file:line (exit 1) when it does not pass.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from gazette.content.load import load_config, load_project
from gazette.content.vocab import parse_glossary
from gazette.diagnostics import EXIT_CONTENT, EXIT_OK, ContentError, UsageError
from gazette.importer.layout import Layout, RawItem, hashtags, is_hashtag_line, read_layout
from gazette.importer.migrate import REDIRECTS, NewTag, plan_migration, with_new_tags
from gazette.importer.plan import Plan, PlannedFile, make_plan
from gazette.importer.prose import document_words
from gazette.model import BuildOptions, Vocabulary
from gazette.pipeline import BuildRequest, check_site

ISSUE_ID = "YYYY-MM"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "import", help="import a past issue from its PDF or extracted text into the archive"
    )
    parser.add_argument(
        "file",
        type=Path,
        help="the issue: a .pdf, or a .txt extracted from one; or pelican or mkdocs, then DIR",
    )
    parser.add_argument(
        "site", type=Path, nargs="?", help="with pelican or mkdocs: the old site's folder"
    )
    parser.add_argument("--project", type=Path, default=Path("."), help="project folder")
    parser.add_argument("--issue", help=f"issue id, {ISSUE_ID} (default: the newest issue)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--single", action="store_true", help="import the file as one item")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.add_argument(
        "--add-tags", action="store_true", help="add the proposed unknown tags to tags.yml"
    )


def read_text(path: Path) -> str:
    if not path.is_file():
        raise UsageError(f"{path}: no such file. Fix: give the path of a .txt or .pdf issue")
    if path.suffix.lower() == ".pdf":
        from gazette.importer.pdf import page_count, pdf_text

        pages = page_count(path)
        if pages < 2 or not sys.stderr.isatty():
            return pdf_text(path)
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task(f"Reading {path.name}", total=pages)
            return pdf_text(path, lambda n: progress.advance(task, n))
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text. Fix: extract the text as UTF-8") from None


_LEADING_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+")


def single_layout(text: str) -> Layout:
    """The whole document as one item.

    Its first line is the title when it reads as one (short, not a sentence);
    otherwise the document starts with its text, and the title is its first
    sentence, cut at a word near 90 characters. A leading ``dd/mm/yyyy`` on
    the title line is dropped from the title.
    """
    lines = text.replace("\r", "").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    head = lines[first].strip() if lines else ""
    tags: tuple[str, ...] = ()
    rest = []
    for line in lines[first + 1 :]:
        if is_hashtag_line(line) and not tags:
            tags = hashtags(line)
        else:
            rest.append(line)
    if head and len(head) <= 150 and not head.endswith((".", ":", ";")):
        title, body = _LEADING_DATE.sub("", head), rest
    else:
        sentence = re.split(r"(?<=[.!?])\s", head, maxsplit=1)[0]
        title = sentence if len(sentence) <= 90 else sentence[:90].rsplit(" ", 1)[0] + " …"
        body = [head, *rest]
    return Layout((), (RawItem(title.rstrip(". "), tags, tuple(body), first + 1),), ())


def _table(plan: Plan) -> str:
    rows = [("file", "kind", "section", "tags", "words", "title")]
    for f in plan.files:
        rows.append((f.path, f.kind, f.section, ", ".join(f.tags), str(f.words), f.title[:60]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5]
        for row in rows
    )


def as_json(plan: Plan) -> dict:
    def one(f: PlannedFile) -> dict:
        out = {"path": f.path, "kind": f.kind, "title": f.title, "section": f.section}
        out |= {"tags": list(f.tags), "words": f.words, "urls": list(f.urls)}
        out |= {"first_words": f.first_words, "last_words": f.last_words}
        if f.kind == "event":
            out |= {"start": f.start, "registration": f.registration}
        return out

    return {
        "issue": plan.issue,
        "items": [one(f) for f in plan.files if f.kind == "item"],
        "events": [one(f) for f in plan.files if f.kind == "event"],
        "issue_file": next((one(f) for f in plan.files if f.kind == "issue"), None),
        "unknown_tags": plan.unknown_tags,
        "proposals": plan.proposals,
        "abbreviations": [list(pair) for pair in plan.abbreviations],
    }


def write_all(project: Path, files: list[tuple[Path, str]]) -> None:
    """Every file or none: temporary names first, then renames."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, text in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            temporary.write_text(text, "utf-8")
            staged.append((temporary, target))
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def new_tags(plan: Plan, vocabulary: Vocabulary) -> list[NewTag]:
    """Entries for the unknown hashtags, each in the group of the section of its first
    item (when the vocabulary has groups), else of the nearest known tag."""
    groups = [g.id for g in vocabulary.groups]
    sections = {f.title: f.section for f in plan.files}
    entries = []
    for tag, titles in plan.unknown_tags.items():
        near = plan.proposals.get(tag, "")
        group = ""
        if groups:
            nearest = vocabulary.by_name[near].group if near in vocabulary.by_name else ""
            section = sections.get(titles[0], "")
            group = section if section in groups else nearest if nearest in groups else groups[0]
        comment = f"close to {near}: make it an alias there if it means the same" if near else ""
        entries.append(NewTag(tag, group, (), f"Imported hashtag #{tag}.", comment))
    return entries


def merged_glossary(
    project: Path, abbreviations: tuple[tuple[str, str], ...]
) -> tuple[str | None, list[tuple[str, str, str]]]:
    """``glossary.yml`` with the issue's new abbreviations appended (None: no change),
    and the ones whose existing expansion differs (never overwritten)."""
    path = project / "content" / "glossary.yml"
    current = path.read_text("utf-8") if path.is_file() else ""
    entries, _ = parse_glossary("content/glossary.yml", current)
    known = {entry.abbr: entry.expansion for entry in entries}
    new = [(a, e) for a, e in abbreviations if a not in known]
    kept = [(a, known[a], e) for a, e in abbreviations if a in known and known[a] != e]
    if not new:
        return None, kept
    lines = [
        f"{json.dumps(a, ensure_ascii=False)}: {json.dumps(e, ensure_ascii=False)}" for a, e in new
    ]
    current = re.sub(r"^\{\}\s*$", "", current, flags=re.M)  # init's empty mapping
    text = current.rstrip("\n") + ("\n" if current.strip() else "")
    return text + "# Added by `import`\n" + "\n".join(lines) + "\n", kept


def refuse_clashes(clashes: list[str], fix: str) -> None:
    """A real run never overwrites: name the files that exist, and stop (exit 2)."""
    more = " ..." if len(clashes) > 5 else ""
    raise UsageError(f"these files exist already: {', '.join(clashes[:5])}{more}. Fix: {fix}")


def run_migration(args: argparse.Namespace) -> int:
    """``import pelican DIR`` and ``import mkdocs DIR``: an old site's posts into the archive."""
    kind, folder = str(args.file), args.site.resolve()
    if not folder.is_dir():
        raise UsageError(f"{args.site}: no such folder. Fix: give the folder of the {kind} site")
    if kind == "pelican":
        from gazette.importer.pelican import read_pelican as read
    else:
        from gazette.importer.mkdocs import read_mkdocs as read
    old, posts = read(folder)
    if not posts:
        raise UsageError(f"{folder}: no posts found. Fix: check the folder and its settings")
    project = args.project.resolve()
    plan = plan_migration(posts, old, project)
    report = {
        "posts": len(posts),
        "drafts": sum(p.draft for p in posts),
        "files": sorted(plan.files),
        "copies": [target for _, target in plan.copies],
        "redirects": plan.redirects,
        "notes": plan.notes,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.dry_run:
        if not args.json:
            for path in sorted(plan.files):
                print(path)
        return EXIT_OK
    replaced = {"site.toml", "content/tags.yml", REDIRECTS}
    clashes = [
        path for path in plan.files if path not in replaced and (project / path).exists()
    ] + [target for _, target in plan.copies if (project / target).exists()]
    if clashes and not args.force:
        refuse_clashes(clashes, "delete them, or pass --force")
    writes = [(project / path, text) for path, text in plan.files.items()]
    write_all(project, writes)
    for source, target in plan.copies:
        (project / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, project / target)
    print(f"Imported {len(posts)} posts from {folder} into {project}", file=sys.stderr)
    return _check(project)


def run_import(args: argparse.Namespace) -> int:
    if str(args.file) in ("pelican", "mkdocs") and args.site is not None:
        return run_migration(args)
    project = args.project.resolve()
    config = load_config(project)
    try:
        loaded = load_project(project)
    except ContentError as exc:
        raise UsageError(
            "the archive does not load; fix it before importing (run `check`)", exc.diagnostics
        ) from None
    newest = max(loaded.issues, key=lambda issue: issue.date, default=None)
    issue_id = args.issue or (newest.id if newest is not None and args.single else None)
    if issue_id is None:
        raise UsageError(f"--issue is needed, e.g. --issue 2020-08 ({ISSUE_ID})")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", issue_id):
        raise UsageError(f"--issue {issue_id!r}: use {ISSUE_ID}, e.g. 2020-08")
    text = read_text(args.file)
    sections = [s.title for s in config.sections]
    layout = single_layout(text) if args.single else read_layout(text, sections)
    if not layout.items and not layout.events:
        raise UsageError(
            f"{args.file}: no items found (an item is a title, then a line of hashtags). "
            "Fix: check the text, or import it as one item with --single"
        )
    existing = {item.slug: item.path for item in loaded.items}
    plan = make_plan(
        layout,
        config,
        loaded.vocabulary,
        loaded.items,
        issue_id,
        existing,
        document_words(text),
        1 + max((issue.number for issue in loaded.issues), default=0),
        any_date=args.single,
    )
    files = [f for f in plan.files if not (args.single and f.kind == "issue")]
    if args.single and any(i.id == issue_id for i in loaded.issues) is False:
        raise UsageError(f"--issue {issue_id}: no such issue in the archive. Fix: create it first")
    if any(i.id == issue_id for i in loaded.issues) and not args.single:
        files = [f for f in files if f.kind != "issue" or args.force]
    if args.json:
        print(json.dumps(as_json(plan), ensure_ascii=False, indent=1, default=str))
    elif args.dry_run:
        print(_table(Plan(plan.issue, tuple(files), plan.unknown_tags, plan.proposals)))
    _report_unknown(plan, args.add_tags)
    if args.dry_run:
        return EXIT_OK
    clashes = [f.path for f in files if (project / f.path).exists()]
    if clashes and not args.force:
        refuse_clashes(clashes, "import into another --issue, delete them, or pass --force")
    writes = [(project / f.path, f.text) for f in files]
    if args.add_tags and plan.unknown_tags:
        tags_yml = project / "content" / "tags.yml"
        current = tags_yml.read_text("utf-8") if tags_yml.is_file() else ""
        writes.append((tags_yml, with_new_tags(current, new_tags(plan, loaded.vocabulary))))
    glossary_text, kept = merged_glossary(project, plan.abbreviations)
    for abbr, old, new in kept:
        print(
            f"glossary: kept {abbr}: {old!r}; the issue says {new!r}. Fix: edit "
            "content/glossary.yml if the issue is right",
            file=sys.stderr,
        )
    if glossary_text is not None:
        writes.append((project / "content" / "glossary.yml", glossary_text))
    write_all(project, writes)
    print(f"Imported {len(files)} files into {project}", file=sys.stderr)
    return _check(project)


def _report_unknown(plan: Plan, adding: bool) -> None:
    for tag, titles in plan.unknown_tags.items():
        near = plan.proposals.get(tag)
        hint = f"; close to the known tag {near}" if near else ""
        print(
            f"unknown hashtag #{tag} on {len(titles)} item(s), e.g. {titles[0]!r}{hint}"
            + ("" if adding else ". Fix: add it to content/tags.yml (or pass --add-tags)"),
            file=sys.stderr,
        )


def _check(project: Path) -> int:
    options = BuildOptions(now=datetime.now(UTC), strict=True)
    try:
        check_site(BuildRequest(project, options))
    except ContentError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.format(), file=sys.stderr)
        print(
            f"The import is written, but the archive does not pass `build --strict`: "
            f"fix the {len(exc.diagnostics)} problem(s) above.",
            file=sys.stderr,
        )
        return EXIT_CONTENT
    print("The archive passes `build --strict`.", file=sys.stderr)
    return EXIT_OK
