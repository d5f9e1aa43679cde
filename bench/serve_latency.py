"""The editor's loop: from saving a file to the browser showing the change, in `serve`.

Starts ``build.py serve`` on a generated archive (``bench/generate.py``, every
sample plugin, search on Pagefind; the same archive as ``run.py``), waits for
its first build, then makes ``--edits`` edits of each kind, one at a time:

| kind | the edit | done when |
|---|---|---|
| body | append a sentence to an item | its page contains the sentence |
| tags | add a tag to an item's `tags:`, then remove it | its page links that tag, or not |
| template | change a comment in `theme/templates/item.html` | the item page contains it |
| tags.yml | change a tag's description | the tag's page shows it |
| new | add an item | its page answers 200 with its title |
| delete | delete that item | its page answers 404 |

For each it records **save → page**, the time from the write until an HTTP
poll (every 10 ms) of the page shows the change, and **save → reload**, until
the server's live-reload stream (opened as a browser on that page would) sends
``reload`` (new and deleted pages are not open anywhere, so they get none).
With Hugo installed it does the same for body, new and delete edits with
``hugo server`` on the same items (its live reload is a WebSocket; only
save → page is measured). Prints p50, p95 and max per kind, in ms.

    .venv/bin/python bench/serve_latency.py --size 10000 --edits 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from run import ensure_archive  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
POLL_S = 0.01
LIMIT_S = 120.0
HUGO_LIMIT_S = 15.0  # hugo server may never drop a deleted page: count it as timed out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""
    finally:
        conn.close()


def wait_for(check: Callable[[], bool], limit: float = LIMIT_S) -> float:
    """Seconds until ``check()`` holds (polled), or ``inf`` after ``limit``."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if check():
            return time.perf_counter() - started
        time.sleep(POLL_S)
    return float("inf")


class Reloads:
    """The live-reload stream of a page, as the browser's EventSource reads it."""

    def __init__(self, port: int, page: str):
        self.times: list[float] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", f"/__gazette/events?page={page}")
        self.response = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response:
                if line.startswith(b"event: reload"):
                    self.times.append(time.perf_counter())
        except (OSError, ValueError):
            pass

    def after(self, moment: float, limit: float = 30.0) -> float:
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            later = [t for t in self.times if t >= moment]
            if later:
                return later[0] - moment
            time.sleep(POLL_S)
        return float("inf")

    def close(self) -> None:
        self.conn.close()


def save(path: Path, text: str) -> float:
    path.write_text(text, encoding="utf-8")
    return time.perf_counter()


def summary(values: list[float]) -> str:
    finite = sorted(v * 1000 for v in values if v != float("inf"))
    missed = len(values) - len(finite)
    if not finite:
        return "—"
    p95 = finite[min(len(finite) - 1, round(0.95 * (len(finite) - 1)))]
    text = f"{statistics.median(finite):.0f} / {p95:.0f} / {finite[-1]:.0f}"
    return text + (f" ({missed} timed out)" if missed else "")


def start(
    cmd: list[str], cwd: Path, port: int, ready: str, log: Path | None = None
) -> subprocess.Popen:
    with open(log or os.devnull, "w", encoding="utf-8") as stderr:  # the child keeps its copy
        process = subprocess.Popen(
            cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
    if wait_for(lambda: get(port, ready)[0] == 200, 900) == float("inf"):
        process.kill()
        raise SystemExit(f"{cmd[0]} did not start serving {ready}")
    return process


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, 15)
    process.wait(30)


KINDS = ("body", "tags", "template", "tags.yml", "new", "delete")


def gazette(
    project: Path, edits: int, kinds: frozenset[str] = frozenset(KINDS), log: Path | None = None
) -> dict[str, tuple[list[float], list[float]]]:
    items = sorted((project / "content/items").rglob("*.md"))
    item = items[len(items) // 2]
    slug = item.stem
    page = f"/items/{slug}/"
    theme = project / "theme/templates"
    theme.mkdir(parents=True, exist_ok=True)
    template = theme / "item.html"
    shutil.copy(ROOT / "theme/templates/item.html", template)
    template_text = template.read_text("utf-8")
    tags_yml = project / "content/tags.yml"
    tags_text = tags_yml.read_text("utf-8")
    original = item.read_text("utf-8")
    port = free_port()
    cmd = [str(PYTHON), str(ROOT / "build.py"), "serve", "--project", str(project)]
    process = start([*cmd, "--port", str(port)], ROOT, port, page, log)
    results: dict[str, tuple[list[float], list[float]]] = {}
    try:
        reloads = Reloads(port, page)
        time.sleep(0.5)

        def run(kind: str, edit: Callable[[int], tuple[float, Callable[[], bool]]], reload: bool):
            if kind not in kinds:
                return
            to_page, to_reload = [], []
            for n in range(edits):
                saved, check = edit(n)
                to_page.append(wait_for(check))
                if reload:
                    to_reload.append(reloads.after(saved, 5.0))
                time.sleep(0.3)  # an editor does not save twice in 300 ms
            results[kind] = (to_page, to_reload)

        def body(n: int):
            marker = f"Latency probe sentence number {n} {time.time_ns()}."
            saved = save(item, original + f"\n{marker}\n")
            return saved, lambda: marker in get(port, page)[1]

        run("body", body, True)
        save(item, original)

        tags_line = next(line for line in original.splitlines() if line.startswith("tags:"))
        extra = next(t for t in ("Hydrogen", "Railways", "Maritime") if t not in tags_line)
        extra_url = f"/tags/{extra.lower()}/"

        def tags(n: int):
            on = n % 2 == 0
            text = original.replace("tags: [", f'tags: ["{extra}", ' if on else "tags: [", 1)
            saved = save(item, text)
            return saved, lambda: (extra_url in get(port, page)[1]) == on

        time.sleep(1)
        run("tags", tags, True)
        save(item, original)

        def theme_edit(n: int):
            marker = f"template-probe-{n}-{time.time_ns()}"
            probe = "{% block main %}<!-- " + marker + " -->"
            saved = save(template, template_text.replace("{% block main %}", probe, 1))
            return saved, lambda: marker in get(port, page)[1]

        time.sleep(1)
        run("template", theme_edit, True)

        tag_page = "/tags/standardisation/"
        reloads.close()
        reloads = Reloads(port, tag_page)

        def vocabulary(n: int):
            marker = f"Probe description {n} {time.time_ns()}"
            old = '"News and analysis about Standardisation."'
            saved = save(tags_yml, tags_text.replace(old, f'"{marker}"', 1))
            return saved, lambda: marker in get(port, tag_page)[1]

        time.sleep(1)
        run("tags.yml", vocabulary, True)
        save(tags_yml, tags_text)
        time.sleep(1)

        new_items: list[Path] = []

        def new(n: int):
            path = item.with_name(f"latency-probe-{n}.md")
            title = f"Latency probe {n} {time.time_ns()}"
            new_items.append(path)
            saved = save(path, original.replace(original.split("\n")[1], f'title: "{title}"', 1))
            url = f"/items/latency-probe-{n}/"
            return saved, lambda: title in get(port, url)[1]

        run("new", new, False)

        def delete(n: int):
            path = new_items[n]
            path.unlink()
            saved = time.perf_counter()
            url = f"/items/latency-probe-{n}/"
            return saved, lambda: get(port, url)[0] == 404

        time.sleep(1)
        run("delete", delete, False)
        reloads.close()
    finally:
        stop(process)
        item.write_text(original, "utf-8")
        tags_yml.write_text(tags_text, "utf-8")
        shutil.rmtree(project / "theme", ignore_errors=True)
        for path in item.parent.glob("latency-probe-*.md"):
            path.unlink()
    return results


def hugo(
    project: Path, edits: int, kinds: frozenset[str] = frozenset(KINDS)
) -> dict[str, tuple[list[float], list[float]]]:
    items = sorted((project / "content").rglob("*.md"))
    items = [p for p in items if p.name != "_index.md"]
    item = items[len(items) // 2]
    original = item.read_text("utf-8")
    port = free_port()
    cmd = ["hugo", "server", "-s", str(project), "--port", str(port), "--bind", "127.0.0.1"]
    page = f"/items/{item.stem}/"
    process = start(cmd, project, port, "/")
    results: dict[str, tuple[list[float], list[float]]] = {}
    try:
        wait_for(lambda: get(port, page)[0] == 200, 60)
        page_of = [page]

        def run(kind: str, edit) -> None:
            if kind not in kinds:
                return
            values = []
            for n in range(edits):
                values.append(wait_for(edit(n), HUGO_LIMIT_S))
                time.sleep(0.3)
            results[kind] = (values, [])
            show("hugo", {kind: results[kind]})

        def body(n: int):
            marker = f"Latency probe sentence number {n} {time.time_ns()}."
            save(item, original + f"\n{marker}\n")
            return lambda: marker in get(port, page_of[0])[1]

        run("body", body)
        item.write_text(original, "utf-8")
        time.sleep(1)

        def new(n: int):
            path = item.with_name(f"latency-probe-{n}.md")
            title = f"Latency probe {n} {time.time_ns()}"
            lines = [
                f'title = "{title}"' if line.startswith("title = ") else line
                for line in original.split("\n")
            ]
            text = "\n".join(
                f'slug = "latency-probe-{n}"' if line.startswith("slug = ") else line
                for line in lines
            )
            save(path, text)
            return lambda: title in get(port, f"/items/latency-probe-{n}/")[1]

        run("new", new)

        def delete(n: int):
            item.with_name(f"latency-probe-{n}.md").unlink()
            return lambda: get(port, f"/items/latency-probe-{n}/")[0] == 404

        time.sleep(1)
        run("delete", delete)
    finally:
        stop(process)
        item.write_text(original, "utf-8")
        for path in item.parent.glob("latency-probe-*.md"):
            path.unlink()
    return results


def show(tool: str, kinds: dict[str, tuple[list[float], list[float]]]) -> None:
    for kind, (to_page, to_reload) in kinds.items():
        print(f"{tool:<8} {kind:<9} {summary(to_page):<28} {summary(to_reload):<28}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000, help="items in the archive")
    parser.add_argument("--edits", type=int, default=20, help="edits of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the raw seconds here")
    parser.add_argument("--no-hugo", action="store_true", help="measure Gazette only")
    parser.add_argument("--hugo-only", action="store_true", help="measure hugo server only")
    parser.add_argument("--log", type=Path, help="write what Gazette's serve prints here")
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help="comma-separated kinds of edit to make (delete needs new); default: all",
    )
    args = parser.parse_args(argv)
    project = ensure_archive(args.size, args.seed, "gazette", "sample")
    print(f"{args.size} items, {args.edits} edits of each kind; ms p50 / p95 / max")
    print(f"{'tool':<8} {'edit':<9} {'save → page':<28} {'save → reload':<28}", flush=True)
    kinds = frozenset(args.kinds.split(","))
    if not kinds <= set(KINDS) or ("delete" in kinds and "new" not in kinds):
        parser.error(f"--kinds: choose among {', '.join(KINDS)} (delete needs new)")
    table = {}
    if not args.hugo_only:
        table["gazette"] = gazette(project, args.edits, kinds, args.log)
        show("gazette", table["gazette"])
    if not args.no_hugo and shutil.which("hugo"):
        table["hugo"] = hugo(ensure_archive(args.size, args.seed, "hugo"), args.edits, kinds)
    if args.json:
        args.json.write_text(json.dumps(table, default=str, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
