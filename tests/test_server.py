"""Tests for the development server: serving, safety, gzip, live reload, watching."""

from __future__ import annotations

import gzip
import http.client
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
import watchfiles

from gazette.serve.server import (
    Broadcaster,
    GazetteServer,
    accepts_gzip,
    inject_livereload,
    make_server,
    normalize_base_path,
    notify_reload,
)
from gazette.serve.watch import make_watch_filter, plan_watch, run_rebuild, serve

TIMEOUT = 5.0
INDEX = "<!doctype html><html><head><title>Home</title></head><body><h1>Home</h1></body></html>"
SCRIPT_TAG = b'<script src="/repo/__gazette/livereload.js" defer></script>'


# --------------------------------------------------------------------------- helpers


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small built site in tmp/site, with a secret file next to (outside) it."""
    root = tmp_path / "site"
    write(root / "index.html", INDEX)
    write(root / "404.html", "<html><body><p>Lost page</p></body></html>")
    write(root / "items" / "x" / "index.html", "<html><body>Item X</body></html>")
    write(root / "assets" / "style.css", "body { color: black; }\n" * 50)
    (root / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    write(tmp_path / "secret.txt", "TOP SECRET")
    write(tmp_path / "outside" / "index.html", "<html><body>TOP SECRET</body></html>")
    return root


@contextmanager
def running(root: Path, base_path: str = "/repo/") -> Iterator[GazetteServer]:
    """Run make_server() on a free port in a thread; always shut it down."""
    server, broadcaster = make_server(root, base_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        broadcaster.close()
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def fetch(
    server: GazetteServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=TIMEOUT)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def raw_request(server: GazetteServer, target: str) -> bytes:
    """Send a request line byte for byte, bypassing http.client's URL checks."""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --------------------------------------------------------------------------- serving


def test_serves_index_under_base_path(site: Path) -> None:
    with running(site) as server:
        status, headers, body = fetch(server, "/repo/")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Cache-Control"] == "no-store"
        assert b"<h1>Home</h1>" in body
        status, _, body = fetch(server, "/repo/index.html")
        assert status == 200
        assert b"<h1>Home</h1>" in body
        status, _, body = fetch(server, "/repo/items/x/")
        assert (status, b"Item X" in body) == (200, True)


def test_root_redirects_to_base_path(site: Path) -> None:
    with running(site) as server:
        for path in ("/", "/repo", "/?utm=1"):
            status, headers, _ = fetch(server, path)
            assert status == 302, path
            assert headers["Location"].startswith("/repo/"), path
        assert fetch(server, "/?utm=1")[1]["Location"] == "/repo/?utm=1"
        status, _, body = fetch(server, "/index.html")
        assert status == 404
        assert b"Home" not in body


def test_missing_page_serves_404_html_with_status_404(site: Path) -> None:
    with running(site) as server:
        status, headers, body = fetch(server, "/repo/no/such/page.html")
        assert status == 404
        assert headers["Content-Type"].startswith("text/html")
        assert b"Lost page" in body
        assert SCRIPT_TAG in body
        (site / "404.html").unlink()
        status, headers, body = fetch(server, "/repo/still/missing")
        assert status == 404
        assert headers["Content-Type"].startswith("text/plain")
        assert b"Not found" in body


def test_directory_without_index_is_404_not_a_listing(site: Path) -> None:
    with running(site) as server:
        status, _, body = fetch(server, "/repo/assets/")
        assert status == 404
        assert b"style.css" not in body


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/repo/../secret.txt",
        "/repo/../../secret.txt",
        "/repo/%2e%2e/secret.txt",
        "/repo/%2E%2E%2Fsecret.txt",
        "/repo/..%2fsecret.txt",
        "/repo/..%5csecret.txt",
        "/repo/%5c..%5csecret.txt",
        "/repo/items/..%2f..%2f..%2fsecret.txt",
        "/repo/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/repo/index.html%00.txt",
        "/repo/%00/../secret.txt",
        "/repo/%252e%252e/secret.txt",
        "/repo/./../secret.txt",
        "http://127.0.0.1/repo/../secret.txt",
        "../secret.txt",
        "/repo/\\..\\secret.txt",
    ],
)
def test_path_traversal_is_refused(site: Path, target: str) -> None:
    with running(site) as server:
        response = raw_request(server, target)
    status = int(response.split(b" ", 2)[1])
    assert status in (400, 403, 404), response[:200]
    assert b"TOP SECRET" not in response


def test_symlink_outside_root_is_refused(site: Path) -> None:
    outside = site.parent
    (site / "leak.txt").symlink_to(outside / "secret.txt")
    (site / "leakdir").symlink_to(outside / "outside", target_is_directory=True)
    (site / "alias.html").symlink_to(site / "index.html")  # inside: allowed
    with running(site) as server:
        for path in ("/repo/leak.txt", "/repo/leakdir/", "/repo/leakdir/index.html"):
            status, _, body = fetch(server, path)
            assert status == 403, path
            assert b"TOP SECRET" not in body, path
        status, _, body = fetch(server, "/repo/alias.html")
        assert status == 200
        assert b"<h1>Home</h1>" in body


def test_html_gets_livereload_script_but_file_on_disk_does_not(site: Path) -> None:
    with running(site) as server:
        status, _, body = fetch(server, "/repo/")
        assert status == 200
        assert body.count(SCRIPT_TAG) == 1
        assert body.index(SCRIPT_TAG) < body.index(b"</body>")
        assert body.endswith(SCRIPT_TAG + b"</body></html>")
        status, headers, script = fetch(server, "/repo/__gazette/livereload.js")
        assert status == 200
        assert headers["Content-Type"].startswith("text/javascript")
        assert b"new EventSource(url)" in script
        assert b'"/repo/__gazette/events"' in script
        assert b"location.reload()" in script
        _, _, css = fetch(server, "/repo/assets/style.css")
        assert b"livereload" not in css
    assert (site / "index.html").read_text(encoding="utf-8") == INDEX


def test_inject_livereload_uses_last_body_and_tolerates_missing_body() -> None:
    page = b"<BODY><pre></body></pre></BODY>"
    injected = inject_livereload(page, "/")
    assert injected.endswith(b'<script src="/__gazette/livereload.js" defer></script></BODY>')
    assert inject_livereload(b"<p>fragment", "/").endswith(b"</script>")


def test_gzip_when_accepted(site: Path) -> None:
    with running(site) as server:
        status, headers, body = fetch(server, "/repo/", {"Accept-Encoding": "gzip, br"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Vary"] == "Accept-Encoding"
        assert int(headers["Content-Length"]) == len(body)
        page = gzip.decompress(body)
        assert b"<h1>Home</h1>" in page
        assert SCRIPT_TAG in page

        _, headers, body = fetch(server, "/repo/assets/style.css", {"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(body).startswith(b"body { color: black; }")

        _, headers, body = fetch(server, "/repo/")
        assert headers["Content-Encoding"] is None
        assert b"<h1>Home</h1>" in body

        _, headers, body = fetch(server, "/repo/", {"Accept-Encoding": "gzip;q=0"})
        assert headers["Content-Encoding"] is None

        _, headers, body = fetch(server, "/repo/assets/logo.png", {"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] is None
        assert headers["Content-Type"] == "image/png"
        assert body.startswith(b"\x89PNG")


def test_accepts_gzip_parses_quality_values() -> None:
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("br;q=1.0, GZIP;q=0.5")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("br")
    assert not accepts_gzip(None)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("page.html", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("search.json", "application/json"),
        ("feed.xml", "application/xml"),
        ("logo.svg", "image/svg+xml"),
        ("events.ics", "text/calendar; charset=utf-8"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("logo.png", "image/png"),
        ("font.woff2", "font/woff2"),
        ("site.webmanifest", "application/manifest+json"),
    ],
)
def test_content_type_matches_extension(tmp_path: Path, name: str, content_type: str) -> None:
    root = tmp_path / "site"
    write(root / name, "x")
    with running(root, "/") as server:
        status, headers, _ = fetch(server, f"/{name}", method="HEAD")
    assert status == 200
    assert headers["Content-Type"] == content_type
    assert headers["Cache-Control"] == "no-store"


def test_directory_without_slash_redirects(site: Path) -> None:
    with running(site) as server:
        status, headers, _ = fetch(server, "/repo/items/x")
        assert status == 302
        assert headers["Location"] == "/repo/items/x/"
        status, headers, _ = fetch(server, "/repo/items/x?page=2")
        assert (status, headers["Location"]) == (302, "/repo/items/x/?page=2")
        status, _, body = fetch(server, headers["Location"])
        assert (status, b"Item X" in body) == (200, True)


def test_root_replaced_by_rename_is_served_fresh(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root / "index.html", "<html><body>old build</body></html>")
    with running(root) as server:
        assert b"old build" in fetch(server, "/repo/")[2]
        fresh = tmp_path / ".site-new"
        write(fresh / "index.html", "<html><body>new build</body></html>")
        write(fresh / "added.html", "<html><body>added page</body></html>")
        old = tmp_path / ".site-old"
        os.rename(root, old)
        os.rename(fresh, root)
        for path in sorted(old.rglob("*"), reverse=True):
            path.unlink()
        old.rmdir()
        status, _, body = fetch(server, "/repo/")
        assert status == 200
        assert b"new build" in body
        assert b"old build" not in body
        status, _, body = fetch(server, "/repo/added.html")
        assert (status, b"added page" in body) == (200, True)


def test_missing_root_answers_503_instead_of_crashing(tmp_path: Path) -> None:
    with running(tmp_path / "never-built") as server:
        server.root_wait_seconds = 0.05
        status, _, body = fetch(server, "/repo/")
    assert status == 503
    assert b"rebuilt" in body


# --------------------------------------------------------------------------- live reload


def read_events(response: http.client.HTTPResponse, wanted: str, deadline: float) -> list[str]:
    """Read SSE lines until an ``event: wanted`` line arrives; return all event names."""
    events: list[str] = []
    while time.monotonic() < deadline:
        line = response.fp.readline().decode().strip()
        if line.startswith("event: "):
            events.append(line.removeprefix("event: "))
            if events[-1] == wanted:
                return events
        if not line and response.fp.closed:
            break
    raise AssertionError(f"no {wanted!r} event; got {events}")


def open_events(
    port: int, path: str
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Content-Encoding"] is None
    return conn, response


def test_notify_reload_sends_reload_event_to_stream(site: Path) -> None:
    with running(site) as server:
        conn, response = open_events(server.server_port, "/repo/__gazette/events")
        with closing(conn):
            assert read_events(response, "hello", time.monotonic() + TIMEOUT) == ["hello"]
            assert notify_reload(server.broadcaster) == 1
            assert read_events(response, "reload", time.monotonic() + TIMEOUT) == ["reload"]


def test_broadcaster_forgets_clients_and_ends_streams_on_close() -> None:
    broadcaster = Broadcaster()
    first, second = broadcaster.subscribe(), broadcaster.subscribe()
    assert broadcaster.publish("reload") == 2
    broadcaster.unsubscribe(first)
    assert broadcaster.client_count == 1
    broadcaster.close()
    assert [second.get_nowait(), second.get_nowait()] == [("reload", "reload"), None]
    assert broadcaster.subscribe().get_nowait() is None


def test_disconnected_event_client_is_unsubscribed(site: Path) -> None:
    with running(site) as server:
        conn, response = open_events(server.server_port, "/repo/__gazette/events")
        read_events(response, "hello", time.monotonic() + TIMEOUT)
        assert server.broadcaster.client_count == 1
        conn.close()
        response.close()
        deadline = time.monotonic() + TIMEOUT
        while server.broadcaster.client_count and time.monotonic() < deadline:
            notify_reload(server.broadcaster)  # the write fails once the peer is gone
            time.sleep(0.05)
        assert server.broadcaster.client_count == 0


def test_change_triggers_rebuild_and_reload_event(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root / "index.html", INDEX)
    content = tmp_path / "content"
    post = write(content / "post.md", "# First\n")
    batches: list[frozenset[Path]] = []
    rebuilt = threading.Event()

    def rebuild(changed: frozenset[Path]) -> bool:
        batches.append(changed)
        rebuilt.set()
        return True

    stop = threading.Event()
    urls: queue.Queue[str] = queue.Queue()
    kwargs = {
        "root": root,
        "rebuild": rebuild,
        "watch": [content, tmp_path / "plugins-missing", tmp_path / "site.toml"],
        "port": 0,
        "base_path": "/repo/",
        "stop": stop,
        "on_ready": urls.put,
    }
    thread = threading.Thread(target=serve, kwargs=kwargs)
    thread.start()
    try:
        url = urls.get(timeout=TIMEOUT)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/repo/")
        port = int(url.split(":")[2].split("/")[0])
        conn, response = open_events(port, "/repo/__gazette/events")
        with closing(conn):
            read_events(response, "hello", time.monotonic() + TIMEOUT)
            deadline = time.monotonic() + TIMEOUT
            # The watcher starts asynchronously; keep touching the file until it notices.
            for attempt in range(100):
                post.write_text(f"# Edit {attempt}\n", encoding="utf-8")
                if rebuilt.wait(0.2) or time.monotonic() > deadline:
                    break
            assert rebuilt.is_set(), "rebuild was never called"
            assert post.resolve() in {path.resolve() for path in batches[0]}
            assert read_events(response, "reload", deadline + TIMEOUT)[-1] == "reload"
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive(), "serve() did not stop"


def test_watched_file_keeps_triggering_after_atomic_saves(tmp_path: Path) -> None:
    """Editors save by renaming a temp file over the original; the watch must survive."""
    root = tmp_path / "site"
    write(root / "index.html", INDEX)
    config = write(tmp_path / "site.toml", 'title = "v0"\n')
    seen: queue.Queue[frozenset[Path]] = queue.Queue()

    def rebuild(changed: frozenset[Path]) -> bool:
        seen.put(changed)
        return False

    def atomic_save(text: str) -> None:
        temp = write(tmp_path / ".site.toml.tmp", text)
        os.replace(temp, config)

    stop = threading.Event()
    ready: queue.Queue[str] = queue.Queue()
    kwargs = {"root": root, "rebuild": rebuild, "watch": [config], "port": 0, "stop": stop}
    thread = threading.Thread(target=serve, kwargs={**kwargs, "on_ready": ready.put})
    thread.start()
    try:
        ready.get(timeout=TIMEOUT)
        deadline = time.monotonic() + TIMEOUT
        first: frozenset[Path] | None = None
        while first is None and time.monotonic() < deadline:  # watcher starts asynchronously
            atomic_save('title = "v1"\n')
            try:
                first = seen.get(timeout=0.2)
            except queue.Empty:
                continue
        assert first is not None, "first save was not noticed"
        assert {path.resolve() for path in first} == {config.resolve()}
        time.sleep(0.2)  # let any trailing events of the first save settle
        while not seen.empty():
            seen.get_nowait()
        for version in (2, 3):
            atomic_save(f'title = "v{version}"\n')
            changed = seen.get(timeout=TIMEOUT)
            assert {path.resolve() for path in changed} == {config.resolve()}
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()


def test_plan_watch_skips_missing_paths_and_separates_files(tmp_path: Path) -> None:
    content = (tmp_path / "content").resolve()
    content.mkdir()
    config = write(tmp_path / "site.toml", "").resolve()
    plan = plan_watch([content, config, tmp_path / "plugins"])
    assert plan.directories == (content,)
    assert plan.files == frozenset({str(config)})
    assert plan.file_parents == (config.parent,)


def test_run_rebuild_survives_exceptions(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(changed: frozenset[Path]) -> bool:
        raise RuntimeError("template exploded")

    assert run_rebuild(broken, frozenset({Path("content/a.md")})) is False
    err = capsys.readouterr().err
    assert "rebuild failed" in err
    assert "template exploded" in err
    assert run_rebuild(lambda changed: True, frozenset({Path("a"), Path("b")})) is True
    assert "rebuilt in" in capsys.readouterr().out


def test_watch_filter_ignores_editor_junk_and_build_output(tmp_path: Path) -> None:
    keep = make_watch_filter(tmp_path / "site")
    added = watchfiles.Change.added
    for junk in (
        "content/.post.md.swp",
        "content/post.md~",
        "content/.#post.md",
        "content/#post.md#",
        "content/.DS_Store",
        "plugins/__pycache__/x.cpython-311.pyc",
        ".gazette-cache/pages.json",
        "site/index.html",
        ".site-1234/index.html",
    ):
        assert not keep(added, str(tmp_path / junk)), junk
    for real in ("content/post.md", "theme/base.html", "plugins/toc.py", "site.toml"):
        assert keep(added, str(tmp_path / real)), real


def test_serve_stops_on_event_and_frees_port(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root / "index.html", INDEX)
    stop = threading.Event()
    urls: queue.Queue[str] = queue.Queue()
    thread = threading.Thread(
        target=serve,
        kwargs={
            "root": root,
            "rebuild": lambda c: False,
            "watch": [],
            "port": 0,
            "stop": stop,
            "on_ready": urls.put,
        },
    )
    thread.start()
    try:
        url = urls.get(timeout=TIMEOUT)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_normalize_base_path() -> None:
    assert normalize_base_path("") == "/"
    assert normalize_base_path("/") == "/"
    assert normalize_base_path("repo") == "/repo/"
    assert normalize_base_path("/a/b") == "/a/b/"
