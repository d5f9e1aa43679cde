"""``python build.py serve``: build once, then serve, preview and rebuild on every change.

The preview is served at the site's base path, so project-page links behave as
they will on GitHub Pages. The server is bound before the first build, so a
port in use is reported at once (exit 2); content that does not build is
served as an error overlay rather than ending the command.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time
from dataclasses import replace
from urllib.parse import urlsplit

from gazette.content.load import load_config
from gazette.diagnostics import UsageError
from gazette.pipeline import BuildRequest
from gazette.plugins import BUILTIN_DIR
from gazette.render.templates import BUILTIN_THEME
from gazette.serve.preview import Preview
from gazette.serve.server import GazetteServer, make_server
from gazette.serve.watch import serve


def _base_path(request: BuildRequest) -> str:
    if request.base_url:
        return urlsplit(request.base_url).path or "/"
    try:
        return urlsplit(load_config(request.project.resolve()).site.base_url).path or "/"
    except UsageError:  # a broken site.toml: serve at / and show the error in the overlay
        return "/"


def bind(host: str, port: int, root, base_path: str) -> GazetteServer:
    """The bound preview server; a port in use is a usage error naming ``--port``."""
    try:
        server, _ = make_server(root, base_path, host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is in use (another serve?). Fix: stop that server, "
                f"or pick another port with --port {port + 1} (--port 0 picks a free one)"
            ) from None
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}. Fix: use --host 127.0.0.1 "
            "and a --port above 1024"
        ) from None
    return server


def run_serve(args: argparse.Namespace, request: BuildRequest) -> int:
    project = request.project.resolve()
    output = (request.output or project / "site").resolve()
    base_path = _base_path(request)
    server = bind(args.host, args.port, output, base_path)
    request = replace(request, base_url=f"http://{args.host}:{server.server_port}{base_path}")
    preview = Preview(request, server, output)
    started = time.perf_counter()
    if preview.build():
        print(f"Built the site in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    watch = [
        project / "content",
        project / "theme",
        project / "plugins",
        project / "site.toml",
        BUILTIN_THEME,
        BUILTIN_DIR,
    ]
    try:
        serve(
            root=output,
            rebuild=preview.changes,
            watch=list(dict.fromkeys(watch)),
            host=args.host,
            port=server.server_port,
            base_path=base_path,
            on_ready=lambda url: print(f"Serving {url} (Ctrl-C to stop)", file=sys.stderr),
            server=server,
            background=preview.run,
        )
    finally:
        preview.stop()
    return 0
