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
import fnmatch
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles

__all__ = [
    "Broadcaster",
    "GazetteServer",
    "WatchPlan",
    "make_server",
    "make_watch_filter",
    "normalize_base_path",
    "notify_reload",
    "plan_watch",
    "resolve_in_root",
    "run_rebuild",
    "serve",
]

RELOAD_EVENT = "reload"
INTERNAL_PREFIX = "__gazette/"
KEEPALIVE_SECONDS = 15.0
# While a build swaps directories the root is briefly missing; wait this long for it.
ROOT_WAIT_SECONDS = 1.0
RECONNECT_MS = 1000

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

# Editor and OS droppings that must never trigger a rebuild. "4913" is the file
# Vim creates to test whether a directory is writable.
IGNORED_NAMES = ("*.swp", "*.swo", "*.swx", "*~", ".#*", "#*#", ".DS_Store", "4913")
IGNORED_DIRS = frozenset(
    {"__pycache__", ".gazette-cache", ".git", ".hg", ".svn", ".venv", "node_modules"}
)

LIVERELOAD_JS = """\
// Gazette live reload: reloads the page when `python build.py serve` rebuilds.
(() => {
  "use strict";
  const url = %(url)s;
  let serverId = null;
  let source = null;

  function connect() {
    source = new EventSource(url);
    source.addEventListener("hello", (event) => {
      // A different id means the server restarted: the site may have changed.
      if (serverId !== null && serverId !== event.data) location.reload();
      serverId = event.data;
    });
    source.addEventListener("reload", () => location.reload());
    source.onerror = () => {
      // The browser retries by itself unless the stream was refused; then retry quietly.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, %(retry)d);
    };
  }

  connect();
})();
"""


# --------------------------------------------------------------------------- broadcast


class Broadcaster:
    """Fan-out of reload events to every connected Server-Sent Events client.

    Each client owns a ``queue.Queue``; ``None`` in a queue tells its stream to end.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[queue.Queue[str | None]] = []
        self._closed = False

    def subscribe(self) -> queue.Queue[str | None]:
        """Register a new client and return its queue."""
        client: queue.Queue[str | None] = queue.Queue()
        with self._lock:
            if self._closed:
                client.put(None)
            else:
                self._clients.append(client)
        return client

    def unsubscribe(self, client: queue.Queue[str | None]) -> None:
        """Forget a client (it disconnected); unknown clients are ignored."""
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)

    def publish(self, event: str) -> int:
        """Send ``event`` to every client; return how many clients got it."""
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.put(event)
        return len(clients)

    def close(self) -> None:
        """End every stream, now and for later subscribers (server shutdown)."""
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, []
        for client in clients:
            client.put(None)

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._clients)


def notify_reload(broadcaster: Broadcaster) -> int:
    """Tell every connected browser to reload; return the number of clients notified."""
    return broadcaster.publish(RELOAD_EVENT)


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


def livereload_script(base_path: str) -> bytes:
    """The live-reload client, pointed at this server's events stream."""
    url = json.dumps(f"{base_path}{INTERNAL_PREFIX}events")
    return (LIVERELOAD_JS % {"url": url, "retry": RECONNECT_MS}).encode()


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
            self._send(200, CONTENT_TYPES[".js"], livereload_script(base))
        elif rel == f"{INTERNAL_PREFIX}events":
            self._stream_events()
        else:
            self._serve_site(target, rel)

    # ---- the site

    def _serve_site(self, target: Target, rel: str) -> None:
        root = self.server.current_root()
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

    def _stream_events(self) -> None:
        broadcaster = self.server.broadcaster
        client = broadcaster.subscribe()
        try:
            self._start_event_stream()
            self._write_event("hello", self.server.instance_id)
            while self._send_body:
                try:
                    event = client.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    self._write_raw(": keep-alive\n\n")
                    continue
                if event is None:
                    break
                self._write_event(event, event)
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


# --------------------------------------------------------------------------- watching


def make_watch_filter(root: Path) -> Callable[[watchfiles.Change, str], bool]:
    """A watchfiles filter that drops editor junk, caches and the build output.

    Build output is ``root`` itself and its temporary siblings (``.site-*`` when the
    root is ``site/``), so a build never triggers another build.
    """
    root_abs = os.path.abspath(root)
    root_real = os.path.realpath(root)
    parent = os.path.dirname(root_abs)
    temp_pattern = f".{os.path.basename(root_abs)}-*"

    def is_build_output(path: str) -> bool:
        if _is_within(path, root_abs) or _is_within(os.path.realpath(path), root_real):
            return True
        if not _is_within(path, parent) or path == parent:
            return False
        first = os.path.relpath(path, parent).split(os.sep, 1)[0]
        return fnmatch.fnmatchcase(first, temp_pattern)

    def watch_filter(change: watchfiles.Change, path: str) -> bool:
        path = os.path.abspath(path)
        parts = path.split(os.sep)
        if IGNORED_DIRS.intersection(parts):
            return False
        if any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in IGNORED_NAMES):
            return False
        return not is_build_output(path)

    return watch_filter


def run_rebuild(rebuild: Callable[[frozenset[Path]], bool], changed: frozenset[Path]) -> bool:
    """Call ``rebuild`` and report one line; exceptions are printed, never raised."""
    started = time.perf_counter()
    try:
        reload = bool(rebuild(changed))
    except Exception:
        elapsed = (time.perf_counter() - started) * 1000
        print(f"rebuild failed after {elapsed:.0f} ms:", file=sys.stderr)
        traceback.print_exc()
        return False
    elapsed = (time.perf_counter() - started) * 1000
    count = len(changed)
    noun = "file" if count == 1 else "files"
    outcome = "reloading" if reload else "no reload needed"
    print(f"rebuilt in {elapsed:.0f} ms ({count} {noun} changed, {outcome})", flush=True)
    return reload


@dataclass(frozen=True)
class WatchPlan:
    """What to hand to watchfiles for the paths ``serve`` was asked to watch.

    Directories are watched recursively. A single file such as ``site.toml`` is
    watched through its parent directory (non-recursively, filtered down to that
    file): a watch on the file itself dies the first time an editor saves by
    writing a temporary file and renaming it over the original.
    """

    directories: tuple[Path, ...]
    files: frozenset[str]

    @property
    def file_parents(self) -> tuple[Path, ...]:
        return tuple(sorted({Path(os.path.dirname(path)) for path in self.files}))


def plan_watch(watch: Sequence[Path]) -> WatchPlan:
    """Split ``watch`` into directories and files, skipping paths that do not exist."""
    directories = tuple(Path(path).absolute() for path in watch if Path(path).is_dir())
    files = frozenset(
        os.path.abspath(path) for path in watch if Path(path).exists() and not Path(path).is_dir()
    )
    return WatchPlan(directories, files)


def only_files(
    files: frozenset[str], base: Callable[[watchfiles.Change, str], bool]
) -> Callable[[watchfiles.Change, str], bool]:
    """A filter that passes ``base`` and is one of ``files``."""

    def watch_filter(change: watchfiles.Change, path: str) -> bool:
        return os.path.abspath(path) in files and base(change, path)

    return watch_filter


class Rebuilder:
    """Runs ``rebuild`` for a batch of changes, one at a time, and broadcasts reloads."""

    def __init__(
        self, rebuild: Callable[[frozenset[Path]], bool], broadcaster: Broadcaster
    ) -> None:
        self._rebuild = rebuild
        self._broadcaster = broadcaster
        self._lock = threading.Lock()

    def __call__(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> None:
        changed = frozenset(Path(path) for _, path in changes)
        with self._lock:
            if run_rebuild(self._rebuild, changed):
                notify_reload(self._broadcaster)


def watch_and_rebuild(
    paths: Sequence[Path],
    on_changes: Callable[[set[tuple[watchfiles.Change, str]]], None],
    stop: threading.Event,
    watch_filter: Callable[[watchfiles.Change, str], bool],
    *,
    recursive: bool = True,
) -> None:
    """Call ``on_changes`` for every batch of changes until ``stop`` is set (a thread)."""
    try:
        for changes in watchfiles.watch(
            *paths,
            watch_filter=watch_filter,
            stop_event=stop,
            debounce=50,
            step=20,
            recursive=recursive,
            raise_interrupt=False,
        ):
            on_changes(changes)
    except Exception:
        print("gazette serve: file watching stopped:", file=sys.stderr)
        traceback.print_exc()


def _start_watchers(
    watch: Sequence[Path],
    root: Path,
    rebuild: Callable[[frozenset[Path]], bool],
    broadcaster: Broadcaster,
    stop: threading.Event,
) -> list[threading.Thread]:
    plan = plan_watch(watch)
    base_filter = make_watch_filter(root)
    on_changes = Rebuilder(rebuild, broadcaster)
    jobs: list[tuple[Sequence[Path], Callable[[watchfiles.Change, str], bool], bool]] = []
    if plan.directories:
        jobs.append((plan.directories, base_filter, True))
    if plan.files:
        jobs.append((plan.file_parents, only_files(plan.files, base_filter), False))
    if not jobs:
        print("gazette serve: nothing to watch; live rebuild is off", file=sys.stderr)
    threads = [
        threading.Thread(
            target=watch_and_rebuild,
            args=(paths, on_changes, stop, watch_filter),
            kwargs={"recursive": recursive},
            name="gazette-watch",
            daemon=True,
        )
        for paths, watch_filter, recursive in jobs
    ]
    for thread in threads:
        thread.start()
    return threads


# --------------------------------------------------------------------------- serve


def serve(
    *,
    root: Path,
    rebuild: Callable[[frozenset[Path]], bool],
    watch: Sequence[Path],
    host: str = "127.0.0.1",
    port: int = 8000,
    base_path: str = "/",
    stop: threading.Event | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``root`` under ``base_path`` and rebuild when a watched path changes.

    Blocks until ``stop`` is set or Ctrl-C; shuts down without a traceback. The
    caller builds the site once before calling this.
    """
    stop = stop if stop is not None else threading.Event()
    server, broadcaster = make_server(root, base_path, host, port)
    server_thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="gazette-http",
        daemon=True,
    )
    server_thread.start()
    watchers = _start_watchers(watch, root, rebuild, broadcaster, stop)
    try:
        _announce(server.url, on_ready)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        print("\nstopping the preview server", flush=True)
    finally:
        stop.set()
        broadcaster.close()
        server.shutdown()
        server.server_close()
        server_thread.join()
        for watcher in watchers:
            watcher.join(timeout=2)


def _announce(url: str, on_ready: Callable[[str], None] | None) -> None:
    if on_ready is not None:
        on_ready(url)
    else:
        print(f"Serving {url} (Ctrl-C to stop)", flush=True)
