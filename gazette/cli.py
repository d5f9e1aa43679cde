"""Command line: ``python build.py [build|check|serve|new] ...``.

Exit codes: 0 success, 1 content errors, 2 usage or configuration errors,
3 an internal bug (with a traceback and a request to report it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from gazette.diagnostics import (
    EXIT_CONTENT,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    ContentError,
    Diagnostic,
    UsageError,
)
from gazette.model import BuildOptions
from gazette.pipeline import BuildRequest, BuildResult, build_site, check_site, up_to_date
from gazette.progress import RichProgress

COMMANDS = ("build", "check", "serve", "new", "import", "init")
# What each command says when content errors stop it.
FAILED = {
    "build": "Build failed: {n} error(s). site/ was not changed.",
    "serve": "Build failed: {n} error(s). site/ was not changed.",
    "check": "Check failed: {n} error(s). Nothing was written.",
    "new": "Nothing was created: {n} error(s).",
    "import": "The import stopped: {n} error(s).",
    "init": "Nothing was created: {n} error(s).",
}


def base_url(text: str) -> str:
    """``--base-url``: an http(s) URL with a host, as ``site.base_url`` must be."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL of a site, e.g. https://user.github.io/repo/"
        )
    return text


def iso_day(text: str) -> str:
    """``new --date``: a real calendar day, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a real date YYYY-MM-DD ({exc})"
        ) from None


def port(text: str) -> int:
    """``--port``: a TCP port number, 0 to 65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return value


def iso_moment(value: str) -> datetime:
    """Parse --now; a bad value is a usage error (exit 2), not a crash."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date or datetime, e.g. 2024-01-31 or 2024-01-31T12:00+08:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now(value: datetime | None) -> datetime:
    """Build time: --now, else SOURCE_DATE_EPOCH (reproducible builds), else the clock."""
    if value:
        return value
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def _common(parser: argparse.ArgumentParser, *, writes: bool) -> None:
    parser.add_argument(
        "--project", type=Path, default=Path("."), help="project folder holding site.toml"
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors (CI)")
    parser.add_argument("--drafts", action="store_true", help="include items with draft: true")
    parser.add_argument("--future", action="store_true", help="include items dated in the future")
    parser.add_argument(
        "--now", type=iso_moment, metavar="ISO-DATETIME", help="pretend the build runs at this time"
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        type=base_url,
        help="override site.base_url, e.g. https://user.github.io/repo/",
    )
    if writes:
        parser.add_argument(
            "--output", type=Path, metavar="DIR", help="output folder (default: <project>/site)"
        )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python build.py",
        description="Gazette builds a newsletter archive (site.toml + content/) into a static "
        "site. With no command, it builds.",
        epilog="Exit codes: 0 ok, 1 content errors, 2 usage or configuration errors, "
        "3 internal error.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser("build", help="build the site into site/ (the default)")
    _common(build, writes=True)
    build.add_argument(
        "--timings",
        action="store_true",
        help="print the seconds of each stage and of each plugin's hooks and pages",
    )
    check = commands.add_parser("check", help="validate all content without writing anything")
    _common(check, writes=False)
    serve = commands.add_parser("serve", help="build, serve on localhost and rebuild on change")
    _common(serve, writes=True)
    serve.add_argument("--port", type=port, default=8000, help="port (default 8000; 0 = any)")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    serve.add_argument(
        "--published-only",
        action="store_true",
        help="leave drafts and scheduled items out (serve shows them, with a banner, by default)",
    )
    new = commands.add_parser("new", help="scaffold a new item with valid front matter")
    new.add_argument("--project", type=Path, default=Path("."), help="project folder")
    new.add_argument("--title", required=True, help="the item's title")
    new.add_argument("--issue", required=True, help="issue id, e.g. 2020-08")
    new.add_argument("--section", required=True, help="section id from site.toml")
    new.add_argument("--tags", default="", help='comma-separated tags, e.g. "5G, MIIT"')
    new.add_argument("--date", type=iso_day, help="YYYY-MM-DD (default: today)")
    new.add_argument("--slug", help="URL slug (default: from the title)")
    from gazette.importer.command import add_parser

    add_parser(commands)
    from gazette.starter import add_parser as add_init

    add_init(commands)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    argv = list(argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    return make_parser().parse_args(argv)


def _request(args: argparse.Namespace) -> BuildRequest:
    # serve previews drafts and scheduled items, marked by a banner, unless told not to
    preview = args.command == "serve" and not args.published_only
    options = BuildOptions(
        now=_now(args.now),
        drafts=args.drafts or preview,
        future=args.future or preview,
        strict=args.strict,
    )
    return BuildRequest(
        project=args.project,
        options=options,
        output=getattr(args, "output", None),
        base_url=args.base_url,
    )


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(), file=sys.stderr)


def format_timings(result: BuildResult) -> str:
    """The ``--timings`` table: where a build's seconds went, by stage and by plugin.

    A plugin's ``hooks`` are its link, menu and outputs calls; ``pages`` is
    rendering its outputs and handing them to the writer, which writes them on
    another core while the next page renders. ``reused`` pages were carried
    over from the last build unrendered, ``rendered`` ones were rendered again,
    ``written`` files were written rather than linked from the current site;
    below the table, why each plugin's pages were rendered.
    """
    lines = ["stage          seconds"]
    lines += [f"{stage:<14} {seconds:7.2f}" for stage, seconds in result.timings.items()]
    lines.append("")
    lines.append(
        f"{'plugin':<14} {'hooks s':>8} {'files':>7} {'pages s':>8} {'ms/file':>8} "
        f"{'reused':>7} {'rendered':>8} {'written':>7}"
    )
    for timing in result.plugins:
        per_file = 1000 * timing.render_s / timing.files if timing.files else 0.0
        lines.append(
            f"{timing.name:<14} {timing.hook_s:8.2f} {timing.files:7d} "
            f"{timing.render_s:8.2f} {per_file:8.3f} {timing.reused:7d} {timing.rendered:8d} "
            f"{timing.written:7d}"
        )
    reasons = [f"  {t.name}: {t.why}" for t in result.plugins if t.why]
    if reasons:
        lines += ["", "why pages were rendered:", *reasons]
    return "\n".join(lines)


def _summary(result: BuildResult, seconds: float, verb: str) -> str:
    return (
        f"{verb} {len(result.site.items)} items, {len(result.site.issues)} issues: "
        f"{result.file_count} files in {seconds:.2f} s"
    )


def run_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    request = _request(args)
    if args.command == "build":
        stamp, reasons = up_to_date(request)
        if stamp is not None:
            for line in stamp.warnings:
                print(line, file=sys.stderr)
            print(
                f"Up to date: {stamp.items} items, {stamp.issues} issues, {stamp.files} files "
                f"unchanged since the last build ({time.perf_counter() - started:.2f} s)",
                file=sys.stderr,
            )
            return EXIT_OK
        if args.timings:
            print(f"Building, because {'; '.join(reasons)}.", file=sys.stderr)
    with RichProgress() as progress:
        result = (check_site if args.command == "check" else build_site)(request, progress)
    print_diagnostics(result.warnings)
    verb = "Checked" if args.command == "check" else "Built"
    print(_summary(result, time.perf_counter() - started, verb), file=sys.stderr)
    if getattr(args, "timings", False):
        print(format_timings(result), file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "new":
            from gazette.content.scaffold import run_new

            return run_new(args)
        if args.command == "init":
            from gazette.starter import run_init

            return run_init(args)
        if args.command == "import":
            from gazette.importer.command import run_import

            return run_import(args)
        if args.command == "serve":
            from gazette.serve.serve_command import run_serve

            return run_serve(args, _request(args))
        return run_build(args)
    except ContentError as exc:
        print_diagnostics(exc.diagnostics)
        errors = sum(1 for d in exc.diagnostics if d.is_error)
        print(FAILED[args.command].format(n=errors), file=sys.stderr)
        return EXIT_CONTENT
    except UsageError as exc:
        print_diagnostics(exc.diagnostics)
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("Interrupted. site/ was not changed.", file=sys.stderr)
        return 130
    except OSError as exc:  # the file system said no: a full disk, a read-only folder ...
        where = exc.filename or "a file"
        print(
            f"{where}: error: {exc.strerror or exc}. Fix: check that the folder exists, that "
            "you may write there and that the disk has space; site/ was not changed",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except Exception:
        traceback.print_exc()
        print(
            "Internal error: this is a bug in Gazette, not in your content. Please report it "
            "with the traceback above.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
