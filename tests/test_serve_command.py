"""`python build.py serve` end to end, as a user runs it (issue 13).

Each test starts the real command in a process of its own on a free port and
talks to it over HTTP and its live-reload stream: previews of a saved edit,
reloads sent only to the browser showing the changed page, the error overlay
after a bad save and when the content is broken from the start, a port in use,
and stopping by `kill` (of `dev.py`) and Ctrl-C.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from helpers import (
    CHROMIUM,
    NO_CHROMIUM,
    item,
    make_project,
    process_alive,
    process_children,
)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0


class Served:
    """A running ``serve`` process: its URL, and every line it printed."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.printed: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for(r"Serving (http://\S+)")
        self.url = re.search(r"Serving (http://\S+)", line).group(1)  # type: ignore[union-attr]
        self.port = int(self.url.split(":")[2].split("/")[0])

    def _read(self) -> None:
        for line in self.process.stderr:  # type: ignore[union-attr]
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.printed.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.printed)}")

    def get(self, path: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        with closing(conn):
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode()


@contextmanager
def serve(project: Path, *args: str, command: tuple[str, ...] = ()):
    cmd = command or (sys.executable, str(ROOT / "build.py"))
    process = subprocess.Popen(
        [*cmd, "serve", "--project", str(project), "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        yield Served(process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Events:
    """A browser's live-reload stream for one page: every (event, data) it receives."""

    def __init__(self, port: int, page: str):
        self.received: queue.Queue[tuple[str, str]] = queue.Queue()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", f"/__gazette/events?page={page}")
        response = self.conn.getresponse()
        threading.Thread(target=self._read, args=(response,), daemon=True).start()
        assert self.next("hello")

    def _read(self, response) -> None:
        event = None
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event:
                    self.received.put((event, line[6:]))
                    event = None
        except (OSError, ValueError):
            pass

    def next(self, name: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event, data = self.received.get(timeout=0.1)
            except queue.Empty:
                continue
            if event == name:
                return data
        raise AssertionError(f"no {name!r} event within {timeout} s")

    def none(self, name: str, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                event, _ = self.received.get(timeout=0.1)
            except queue.Empty:
                continue
            if event == name:
                return False
        return True


def two_items(tmp_path: Path) -> Path:
    return make_project(
        tmp_path,
        {
            "content/items/a.md": item(title='"First item"'),
            "content/items/b.md": item(title='"Second item"'),
        },
    )


def test_a_saved_edit_reloads_only_the_browser_showing_that_page(tmp_path):
    project = two_items(tmp_path)
    with serve(project) as served:
        a, b = Events(served.port, "/items/a/"), Events(served.port, "/items/b/")
        path = project / "content/items/a.md"
        body = item(title='"First item"') + "\nA sentence added to the body.\n"
        path.write_text(body, encoding="utf-8")  # only a's own page shows its body
        assert json.loads(a.next("reload")) == ["/items/a/"]
        assert "A sentence added to the body." in served.get("/items/a/")[1]
        served.wait_for(r"rebuilt in \d+ ms \(1 file changed")
        assert b.none("reload", 1.0), "a page that did not change was reloaded"
        assert "Traceback" not in "".join(served.printed)


def test_a_bad_save_shows_the_overlay_and_the_next_good_save_removes_it(tmp_path):
    project = two_items(tmp_path)
    with serve(project) as served:
        events = Events(served.port, "/items/a/")
        path = project / "content/items/a.md"
        path.write_text(item(date="2020-02-30"), encoding="utf-8")
        errors = json.loads(events.next("errors"))
        assert errors[0]["where"] == "content/items/a.md:3:7"
        assert "bad-date" in errors[0]["message"] and errors[0]["fix"]
        served.wait_for("Build failed: 1 error, shown in the browser")
        assert served.get("/items/a/")[0] == 200  # the last good site is still served
        time.sleep(0.5)
        printed = "".join(served.printed)
        assert printed.count("content/items/a.md:3:7: error[bad-date]") == 1, printed
        assert "rebuilt in" not in printed.split("Build failed")[-1]
        path.write_text(item(title='"Mended"'), encoding="utf-8")
        events.next("ok")
        served.wait_for("rebuilt in")
        assert "Mended" in served.get("/items/a/")[1]


def test_serve_on_broken_content_serves_the_errors_instead_of_exiting(tmp_path):
    project = two_items(tmp_path)
    (project / "content/items/a.md").write_text(item(date="2020-02-30"), encoding="utf-8")
    with serve(project) as served:
        status, page = served.get("/")
        assert status == 503
        assert "content/items/a.md:3:7" in page and "__gazette/livereload.js" in page
        events = Events(served.port, "/")
        assert "content/items/a.md:3:7" in events.next("errors")
        (project / "content/items/a.md").write_text(item(), encoding="utf-8")
        events.next("ok")
        served.wait_for("rebuilt in")
        assert served.get("/")[0] == 200


def test_a_port_in_use_is_a_one_line_usage_error(tmp_path):
    project = two_items(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "build.py", "serve", "--project", str(project), "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"port {port}" in lines[0] and "--port" in lines[0]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_kill_of_dev_py_serve_leaves_no_server_on_the_port(tmp_path):
    project = two_items(tmp_path)
    with serve(project, command=(sys.executable, str(ROOT / "dev.py"))) as served:
        os.kill(served.process.pid, signal.SIGTERM)  # dev.py's pid: it became the server
        served.process.wait(10)
        deadline = time.monotonic() + 5
        while not port_is_free(served.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert port_is_free(served.port)


SLOW_PLUGIN = """\
import time
from pathlib import Path


def link(site, **kwargs):
    if (Path(site.config.project) / "slow").exists():  # a rebuild that never ends
        time.sleep(120)
    return None
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_a_killed_server_takes_its_build_process_with_it(tmp_path):
    """kill -9 of the server while its build process is in the middle of a rebuild
    (here a plugin that sleeps; once, an indexer that had been killed): the build
    process must not live on."""
    project = two_items(tmp_path)
    (project / "plugins").mkdir()
    (project / "plugins/slow.py").write_text(SLOW_PLUGIN)
    config = project / "site.toml"
    config.write_text(config.read_text() + "[plugins.slow]\n")
    with serve(project) as served:
        (project / "slow").write_text("")
        page = project / "content/items/a.md"
        page.write_text(page.read_text().replace("Body text.", "Body text, edited."))
        time.sleep(1.5)  # the rebuild is asleep in the build process
        helpers = process_children(served.process.pid)
        assert helpers, "serve started no build process"
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(10)
        deadline = time.monotonic() + 5
        while any(process_alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in helpers if process_alive(pid)]


def test_ctrl_c_stops_serve_without_a_traceback(tmp_path):
    project = two_items(tmp_path)
    with serve(project, command=(sys.executable, str(ROOT / "dev.py"))) as served:
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(10) == 0
        time.sleep(0.2)
        rest = "".join(served.printed) + "".join(iter_queue(served.lines))
        assert "Traceback" not in rest and "KeyboardInterrupt" not in rest


def iter_queue(lines: queue.Queue[str]):
    while True:
        try:
            yield lines.get_nowait()
        except queue.Empty:
            return


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_overlay_in_a_browser_names_the_file_and_goes_away_when_fixed(tmp_path, browser):
    project = two_items(tmp_path)
    with serve(project) as served:
        page = browser.new_page()
        page.goto(served.url + "items/a/")
        assert "First item" in page.title()
        time.sleep(0.5)  # the live-reload stream connects
        path = project / "content/items/a.md"
        path.write_text(item(date="2020-02-30"), encoding="utf-8")
        overlay = page.locator("#gazette-error-overlay")
        overlay.wait_for(state="visible", timeout=TIMEOUT * 1000)
        assert "content/items/a.md:3:7" in overlay.locator(".where").first.inner_text()
        assert "Fix:" in overlay.inner_text()
        path.write_text(item(title='"Mended in the browser"'), encoding="utf-8")
        try:
            page.get_by_text("Mended in the browser").first.wait_for(timeout=TIMEOUT * 1000)
        except PlaywrightTimeout:
            log = "".join(served.printed) + "".join(iter_queue(served.lines))
            raise AssertionError(f"the fixed page never showed; serve printed:\n{log}") from None
        assert page.locator("#gazette-error-overlay").count() == 0
        page.close()


@pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
def test_the_overlay_shows_when_serve_starts_on_broken_content(tmp_path, browser):
    project = two_items(tmp_path)
    (project / "content/items/b.md").write_text(item(date="2020-02-30"), encoding="utf-8")
    with serve(project) as served:
        page = browser.new_page()
        page.goto(served.url)
        overlay = page.locator("#gazette-error-overlay")
        overlay.wait_for(state="visible", timeout=TIMEOUT * 1000)
        assert "content/items/b.md:3:7" in overlay.inner_text()
        page.close()
