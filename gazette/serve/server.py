"""Development server for ``python build.py serve``: preview, watch, rebuild, live reload.

The server uses the standard library's ``http.server`` on purpose. It is a local
preview for one author and a browser tab or two, bound to localhost by default
and never meant for production (the real site is static files on GitHub Pages or
similar). A threading ``http.server`` handles that load easily, keeps Gazette free
of a web-framework dependency, and leaves us in control of the few things that
matter for a faithful preview: serving under a base path, gzip like GitHub Pages,
no caching, and refusing anything that would leave the site directory.

Two details shape the design:

* A build writes into a temporary directory and swaps it in by renaming, so the
  site root is resolved afresh on every request; the server never keeps an open
  directory or ``chdir``\\s into it.
* Pages carry ``Content-Security-Policy: script-src 'self'``, so live reload is an
  external script (``__gazette/livereload.js``) that listens to a Server-Sent
  Events stream (``__gazette/events``), never inline JavaScript.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import json
import os
import queue
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from gazette.serve.client import RECONNECT_MS, error_page, livereload_script

__all__ = [
    "Broadcaster",
    "GazetteServer",
    "make_server",
    "normalize_base_path",
    "notify_reload",
    "resolve_in_root",
]

RELOAD_EVENT = "reload"
INTERNAL_PREFIX = "__gazette/"
KEEPALIVE_SECONDS = 15.0
# While a build swaps directories the root is briefly missing; wait this long for it.
ROOT_WAIT_SECONDS = 1.0

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xsl": "application/xml",
    ".svg": "image/svg+xml",
    ".ics": "text/calendar; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".bib": "text/plain; charset=utf-8",  # BibTeX, shown rather than saved
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
COMPRESSIBLE_TYPES = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/manifest+json",
        "image/svg+xml",
    }
)

# --------------------------------------------------------------------------- broadcast


class Broadcaster:
    """Fan-out of events to every connected Server-Sent Events client.

    Each client owns a ``queue.Queue`` of ``(event, data)`` pairs and names the
    page it shows (its path under the base path); ``None`` in a queue tells its
    stream to end.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[queue.Queue[Event | None], str] = {}
        self._closed = False

    def subscribe(self, page: str = "") -> queue.Queue[Event | None]:
        """Register a new client showing ``page`` and return its queue."""
        client: queue.Queue[Event | None] = queue.Queue()
        with self._lock:
            if self._closed:
                client.put(None)
            else:
                self._clients[client] = page
        return client

    def unsubscribe(self, client: queue.Queue[Event | None]) -> None:
        """Forget a client (it disconnected); unknown clients are ignored."""
        with self._lock:
            self._clients.pop(client, None)

    def publish(self, event: str, data: str = "", pages: Iterable[str] | None = None) -> int:
        """Send ``event`` to every client (or those showing one of ``pages``); return how many."""
        wanted = None if pages is None else set(pages)
        with self._lock:
            clients = [c for c, page in self._clients.items() if wanted is None or page in wanted]
        for client in clients:
            client.put((event, data or event))
        return len(clients)

    def pages(self) -> set[str]:
        """The pages the connected browsers show."""
        with self._lock:
            return set(self._clients.values())

    def close(self) -> None:
        """End every stream, now and for later subscribers (server shutdown)."""
        with self._lock:
            self._closed = True
            clients, self._clients = list(self._clients), {}
        for client in clients:
            client.put(None)

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)


Event = tuple[str, str]


def notify_reload(broadcaster: Broadcaster, pages: Iterable[str] | None = None) -> int:
    """Tell the browsers showing ``pages`` (default: all) to reload; return how many."""
    pages = None if pages is None else sorted(pages)
    return broadcaster.publish(RELOAD_EVENT, json.dumps(pages or []), pages)


def page_of(path: str) -> str:
    """A page path as the server keys it: ``items/a/index.html`` -> ``/items/a/``."""
    path = "/" + path.lstrip("/")
    return path[: -len("index.html")] if path.endswith("/index.html") else path


# --------------------------------------------------------------------------- helpers


def normalize_base_path(base_path: str) -> str:
    """Return ``base_path`` with exactly one leading and one trailing slash."""
    inner = base_path.strip().strip("/")
    return f"/{inner}/" if inner else "/"


def content_type_for(path: str) -> str:
    """Content-Type for a file name, by extension."""
    return CONTENT_TYPES.get(os.path.splitext(path)[1].lower(), DEFAULT_CONTENT_TYPE)


def is_compressible(content_type: str) -> bool:
    """Whether a Content-Type is text-like and worth gzipping."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "text/event-stream":
        return False
    return mime.startswith("text/") or mime in COMPRESSIBLE_TYPES


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (``q=0`` refuses it)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        return _quality(params) > 0
    return False


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def inject_livereload(page: bytes, base_path: str) -> bytes:
    """Insert the live-reload script tag right before the last ``</body>``."""
    src = html.escape(f"{base_path}{INTERNAL_PREFIX}livereload.js", quote=True)
    tag = f'<script src="{src}" defer></script>'.encode()
    index = page.lower().rfind(b"</body")
    if index == -1:
        return page + tag
    return page[:index] + tag + page[index:]


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_in_root(root_real: str, rel: str) -> str | None:
    """Real path of URL path ``rel`` inside ``root_real``, or None when it would escape.

    Dot segments, backslashes and NUL are refused outright; symlinks are followed
    and must still land inside the root.
    """
    if "\x00" in rel or "\\" in rel:
        return None
    parts = [part for part in rel.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return None
    real = os.path.realpath(os.path.join(root_real, *parts))
    return real if _is_within(real, root_real) else None


@dataclass(frozen=True)
class Target:
    """A parsed request target: raw (still %-encoded) path, decoded path, ``?query``."""

    raw_path: str
    path: str
    query: str


def parse_target(target: str) -> Target | None:
    """Split a request target; None when it is malformed or tries to climb out."""
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    raw, sep, query = target.partition("#")[0].partition("?")
    if not raw.startswith("/"):
        return None
    path = unquote(raw, errors="replace")
    if "\x00" in path or "\\" in path:
        return None
    if any(part in (".", "..") for part in path.split("/")):
        return None
    return Target(raw_path=raw, path=path, query=sep + query)


# --------------------------------------------------------------------------- HTTP


class GazetteServer(ThreadingHTTPServer):
    """Threaded HTTP server that knows the site root, base path and reload broadcaster."""

    daemon_threads = True
    root_wait_seconds = ROOT_WAIT_SECONDS

    def __init__(
        self, host: str, port: int, *, root: Path, base_path: str, broadcaster: Broadcaster
    ) -> None:
        self.root = Path(root)
        self.base_path = normalize_base_path(base_path)
        self.broadcaster = broadcaster
        self.instance_id = uuid.uuid4().hex
        # Set by ``serve``'s preview: the errors of the last save (shown in an
        # overlay), and pages rendered from memory ahead of the rebuild.
        self.errors: list[dict[str, str]] = []
        self.preview: Callable[[str], bytes | None] | None = None
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), GazetteHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup
        # that can stall for seconds; a localhost preview has no use for it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    @property
    def url(self) -> str:
        """The URL a browser should open (with the real port when bound to port 0)."""
        host = self.server_name
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.server_port}{self.base_path}"

    def current_root(self) -> str | None:
        """Real path of the site root right now, waiting briefly during a swap."""
        deadline = time.monotonic() + self.root_wait_seconds
        while True:
            real = os.path.realpath(self.root)
            if os.path.isdir(real):
                return real
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.02)

    def handle_error(self, request: object, client_address: object) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the browser went away; nothing to report
        print(f"gazette serve: error handling request from {client_address}:", file=sys.stderr)
        traceback.print_exc()


class GazetteHandler(BaseHTTPRequestHandler):
    """Serves the site, the live-reload script and the events stream."""

    server: GazetteServer
    protocol_version = "HTTP/1.1"
    server_version = "GazettePreview"
    sys_version = ""
    # Headers and body go out in two writes: with Nagle's algorithm on, the body
    # of a small response waited for the browser's delayed ACK (40 ms on Linux)
    # on a third of the requests a search makes. Static hosts set TCP_NODELAY too.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    # ---- logging: quiet on success, loud on errors

    def log_message(self, format: str, *args: object) -> None:
        """No line per request."""

    def log_error(self, format: str, *args: object) -> None:
        print(f"gazette serve: {format % args}", file=sys.stderr)

    # ---- entry points

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    def _dispatch(self, *, send_body: bool) -> None:
        self._send_body = send_body
        try:
            self._route()
        except ConnectionError:
            self.close_connection = True

    def _route(self) -> None:
        target = parse_target(self.path)
        if target is None:
            self._send_plain(400, "Bad request")
            return
        base = self.server.base_path
        if not target.path.startswith(base):
            if target.path in ("/", base.rstrip("/")):
                self._redirect(base + target.query)
            else:
                self._send_plain(404, "Not found")
            return
        rel = target.path[len(base) :]
        if rel == f"{INTERNAL_PREFIX}livereload.js":
            events = f"{base}{INTERNAL_PREFIX}events"
            self._send(200, CONTENT_TYPES[".js"], livereload_script(events))
        elif rel == f"{INTERNAL_PREFIX}events":
            self._stream_events(target.query)
        else:
            self._serve_site(target, rel)

    # ---- the site

    def _serve_site(self, target: Target, rel: str) -> None:
        preview = self.server.preview
        page = preview(page_of(rel)) if preview is not None else None
        if page == b"":  # gone since the last build (a deleted item)
            root = self.server.current_root()
            self._send_not_found(root) if root else self._send_plain(404, "Not found")
            return
        if page is not None:
            self._send(200, CONTENT_TYPES[".html"], inject_livereload(page, self.server.base_path))
            return
        root = self.server.current_root()
        if root is None and self.server.errors:
            script = f"{self.server.base_path}{INTERNAL_PREFIX}livereload.js"
            self._send(503, CONTENT_TYPES[".html"], error_page(self.server.errors, script))
            return
        if root is None:
            self._send_plain(503, "The site is being rebuilt or was not built yet.")
            return
        real = resolve_in_root(root, rel)
        if real is None:
            self._refuse(rel)
            return
        if os.path.isdir(real):
            if not target.path.endswith("/"):
                self._redirect(target.raw_path + "/" + target.query)
                return
            real = resolve_in_root(root, f"{rel}/index.html")
            if real is None:
                self._refuse(f"{rel}/index.html")
                return
        if not os.path.isfile(real) or not self._send_file(200, real):
            self._send_not_found(root)

    def _send_file(self, status: int, real: str) -> bool:
        """Send a file; False when it vanished (e.g. mid-swap) so the caller can 404."""
        try:
            with open(real, "rb") as handle:
                body = handle.read()
        except OSError:
            return False
        content_type = content_type_for(real)
        if content_type.startswith("text/html"):
            body = inject_livereload(body, self.server.base_path)
        self._send(status, content_type, body)
        return True

    def _send_not_found(self, root: str) -> None:
        page = resolve_in_root(root, "404.html")
        if page is None or not os.path.isfile(page) or not self._send_file(404, page):
            self._send_plain(404, "Not found")

    def _refuse(self, rel: str) -> None:
        self.log_error("refused %r: it resolves outside the site directory", rel)
        self._send_plain(403, "Forbidden: this path resolves outside the site directory.")

    # ---- live reload

    def _stream_events(self, query: str) -> None:
        broadcaster = self.server.broadcaster
        pages = parse_qs(query.lstrip("?")).get("page", [""])
        base = self.server.base_path
        page = pages[0][len(base) - 1 :] if pages[0].startswith(base) else pages[0]
        client = broadcaster.subscribe(page_of(page) if page else "")
        try:
            self._start_event_stream()
            self._write_event("hello", self.server.instance_id)
            if self.server.errors:
                self._write_event("errors", json.dumps(self.server.errors))
            while self._send_body:
                try:
                    event = client.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    self._write_raw(": keep-alive\n\n")
                    continue
                if event is None:
                    break
                self._write_event(*event)
        finally:
            broadcaster.unsubscribe(client)
            self.close_connection = True

    def _start_event_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if self._send_body:
            self._write_raw(f"retry: {RECONNECT_MS}\n\n")

    def _write_event(self, event: str, data: str) -> None:
        # EventSource drops events without a data line, so always send one.
        self._write_raw(f"event: {event}\ndata: {data}\n\n")

    def _write_raw(self, text: str) -> None:
        if self._send_body:
            self.wfile.write(text.encode())
            self.wfile.flush()

    # ---- responses

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        extra = list(headers)
        if is_compressible(content_type):
            extra.append(("Vary", "Accept-Encoding"))
            if body and accepts_gzip(self.headers.get("Accept-Encoding")):
                body = gzip.compress(body, compresslevel=6, mtime=0)
                extra.append(("Content-Encoding", "gzip"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self._send_body:
            self.wfile.write(body)

    def _send_plain(self, status: int, message: str) -> None:
        self._send(status, CONTENT_TYPES[".txt"], f"{status} {message}\n".encode())

    def _redirect(self, location: str) -> None:
        # 302, not 301: browsers cache 301s forever and the base path may change.
        self._send(302, CONTENT_TYPES[".txt"], b"", [("Location", location)])


def make_server(
    root: Path, base_path: str = "/", host: str = "127.0.0.1", port: int = 8000
) -> tuple[GazetteServer, Broadcaster]:
    """Bind a preview server (port 0 picks a free port); call ``serve_forever`` to run it."""
    broadcaster = Broadcaster()
    server = GazetteServer(host, port, root=root, base_path=base_path, broadcaster=broadcaster)
    return server, broadcaster


@contextlib.contextmanager
def serving(root: Path, base_path: str = "/", host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``root`` on a free port in a thread (tests, benchmarks); yields its URL."""
    server, broadcaster = make_server(root, base_path, host, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        broadcaster.close()
        server.shutdown()
        server.server_close()
