"""``python build.py serve``: build once, then serve and rebuild on every change.

Rebuilds reuse the render cache, so an edit re-renders only the changed item.
The preview is served at the site's base path, so project-page links behave as
they will on GitHub Pages.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from gazette.content.load import load_config
from gazette.diagnostics import ContentError, UsageError
from gazette.pipeline import BuildRequest, build_site
from gazette.serve.server import serve


def run_serve(args: argparse.Namespace, request: BuildRequest) -> int:
    project = request.project.resolve()
    configured = request.base_url or load_config(project).site.base_url
    base_path = urlsplit(configured).path or "/"
    port = args.port
    request = replace(request, base_url=f"http://{args.host}:{port}{base_path}")

    def rebuild(changed: frozenset[Path]) -> bool:
        try:
            result = build_site(request)
        except (ContentError, UsageError) as exc:
            for diagnostic in exc.diagnostics:
                print(diagnostic.format(), file=sys.stderr)
            print(
                f"Rebuild failed: {exc.__class__.__name__}; still serving the last good site.",
                file=sys.stderr,
            )
            return False
        for warning in result.warnings:
            print(warning.format(), file=sys.stderr)
        return True

    started = time.perf_counter()
    if not rebuild(frozenset()):
        return 1
    print(f"Built the site in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    output = (request.output or project / "site").resolve()
    watch = [project / "content", project / "theme", project / "plugins", project / "site.toml"]
    serve(
        root=output,
        rebuild=rebuild,
        watch=watch,
        host=args.host,
        port=port,
        base_path=base_path,
        on_ready=lambda url: print(f"Serving {url} (Ctrl-C to stop)", file=sys.stderr),
    )
    return 0
