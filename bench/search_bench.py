"""Benchmark client-side search: every engine, measured in a real browser.

Why: readers search from a static site (GitHub Pages) on phones and slow
networks, so what counts is what the browser downloads and waits for before the
first results, not only how fast the index builds. DESIGN.md's budget: at
10,000 items the default engine (Gazette's own index since 2026-12-01's ninth
session; Pagefind before) fetches at most 300 KB before the first results.

    .venv/bin/python bench/search_bench.py [--sizes 1000,10000] [--engines gazette,pagefind,lunr]
                                           [--shard-records 0,1000000] [--queries 20]
                                           [--json PATH] [--reuse] [--slowest 20]

For each size the synthetic archive of ``bench/generate.py`` (seed 1; generated
when missing) is copied, with hard links, to ``bench/out/search/n<size>-<engine>/``
and ``[plugins.search]`` with the engine is appended to the copy's ``site.toml``.
The copy is built in-process from nothing (no cache): ``build s`` is the whole
build, ``search s`` the time spent in the search plugin's hooks (records and
index). The site is served by ``gazette/serve/server.py``, which gzips text like
GitHub Pages, and Debian's Chromium (driven by Playwright) runs each fixed query
in a fresh browser context, so nothing is cached between queries:

* **header box**: open the home page, focus the header box and enter the whole
  query; everything requested from the focus until the first results render is
  counted (body bytes as sent, gzipped where the server gzips, plus headers).
* **search page**: open ``/search/?q=<query>``; the page itself (HTML, CSS,
  search.js) is not counted. Facet counts load after the first results (with
  Pagefind they need its filter index), so they are reported apart.
* **keystrokes**: with the engine loaded, type the query again one character
  at a time from the second (the UI searches from two characters), waiting for
  each update of the result list or the status line; the latency is from the
  keystroke to that update, minus the UI's 150 ms debounce. Since 2026-12-01's
  seventh session two letters that are not a word of the archive ("ca" of
  "carbon") are not searched while typing: that keystroke's update is the
  popup's "Type a third letter" line, and ``searched`` in the JSON says which
  keystrokes ran a search (the table also gives the p95 of those alone). Each
  keystroke is kept with its query, the text typed so far, and the requests (and
  their bytes) started between the keystroke and its results; ``--slowest N``
  prints the N slowest (to stderr).

``--reuse`` skips the build when the copy under ``bench/out/search/`` already
has a built site (from an earlier run of this script) and copies the theme's
current ``static/`` files over the built ones instead, so that a change to
``theme/static/search.js`` can be measured without rebuilding 10,000 items.
The pages keep their old ``?v=`` fingerprints (each query runs in a fresh
browser context, so nothing stale is cached) and the index is whatever the
earlier build made: use it only when nothing but the theme's static files
changed since that build. A reused row reports 0 for ``build s`` and ``search s``.

``--shard-records`` builds Pagefind once per value (``shard_records`` of
``[plugins.search]``; 0 keeps the plugin's default of 1,000, a large value gives
one unsharded bundle), so the reader's cost of shards can be compared. For each
Pagefind build the script also prints the shards indexed, the slowest shard and
the highest peak RSS of a Pagefind process (``_search_index.RUNS``).

Times are on localhost, so they show CPU and round trips, not bandwidth. The
preview server writes a response's headers and its body in two writes; with
Nagle's algorithm on (Python's default) the body of some requests then waits
for the client's delayed ACK, 40 ms on Linux, which no static host adds. The
server turns it off (``TCP_NODELAY``, as static hosts do) since 2026-12-01's
sixth session; ``--nagle`` turns it back on, as every run before measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gazette.content.load import load_config  # noqa: E402
from gazette.model import BuildOptions  # noqa: E402
from gazette.pipeline import BuildRequest, build_site  # noqa: E402
from gazette.plugins import load_plugins  # noqa: E402
from gazette.serve.server import GazetteHandler  # noqa: E402
from gazette.serve.server import serving as served  # noqa: E402

OUT = REPO / "bench" / "out"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DEBOUNCE_MS = 150  # theme/static/search.js
# Words of bench/wordlist.py and bench/generate.py's tags and glossary: common and
# rare words, two-word queries, an alias (Standardization) and a synonym.
QUERIES = (
    "battery",
    "hydrogen",
    "cybersecurity",
    "MIIT",
    "Standardization",
    "semiconductor",
    "railway safety",
    "carbon emission",
    "Shenzhen",
    "recall",
    "certification",
    "wind turbine",
    "Ministry of Industry",
    "blockchain",
    "metrology",
    "vaccine",
    "lithium",
    "smart grid",
    "5G",
    "drone",
)
POPUP = ".search-popup:not([hidden]) .search-result"
# A mark each time the results or the status line change. The header's popup and
# status are made by search.js, which loads only when the box is first focused,
# so the observer watches the form and keeps the changes inside those parts.
MARKS = """() => {
  window.__marks = [];
  const parts = '.search-popup ol, .site-search [role=status], [data-search-results]';
  const inside = (record) => {
    const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
    return node && node.closest(parts);
  };
  const seen = (node) => new MutationObserver((records) => {
    if (!records.some(inside)) return;
    window.__marks.push(performance.now());
    if (window.__marked) window.__marked();
  }).observe(node, { childList: true, subtree: true, characterData: true });
  document.querySelectorAll('form.site-search, [data-search-results]').forEach(seen);
  // What the header box searched for at the last keystroke ("" while two letters wait).
  document.querySelector('form.site-search').addEventListener('gazette-searched', (event) => {
    window.__searchedQuery = event.detail.query;
  });
}"""
TYPE = """([query, reset]) => {
  const input = document.querySelector('form.site-search input');
  window.__t0 = performance.now();
  input.focus();
  input.value = reset ? query : input.value + query;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  return performance.timeOrigin + window.__t0;
}"""
FIRST_MARK = "() => window.__marks.find((m) => m >= window.__t0)"
# Resolves at the first mark (awaited in the page: polling from Python would take
# CPU from the browser on a small machine).
NEXT_MARK = """() => new Promise((resolve) => {
  window.__marked = () => { window.__marked = null; resolve(); };
  if (window.__marks.length) window.__marked();
})"""
FIRST_RESULTS = """document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("[data-search-results]");
  if (!list) return;
  new MutationObserver(() => {
    if (!window.__firstResults && list.children.length) window.__firstResults = performance.now();
  }).observe(list, { childList: true });
});"""


@dataclass
class Load:
    """One cold search: what was fetched before the first results, and when they came."""

    bytes: int
    requests: int
    ms: float


@dataclass
class Keystroke:
    """One keystroke of the keystroke test: what was typed and what it cost."""

    query: str
    typed: str
    ms: float
    requests: int
    bytes: int
    searched: bool = True  # False: two letters that wait for a third (the hint shown)


@dataclass
class Row:
    size: int
    engine: str
    shard_records: int = 0
    shards: int = 1
    pagefind_peak_mb: float = 0.0
    build_s: float = 0.0
    search_s: float = 0.0
    files: int = 0
    header: list[Load] = field(default_factory=list)
    page: list[Load] = field(default_factory=list)
    page_with_facets: list[int] = field(default_factory=list)
    keystrokes_ms: list[float] = field(default_factory=list)
    keystrokes: list[Keystroke] = field(default_factory=list)
    reused: bool = False


# --------------------------------------------------------------------------- build


def archive(size: int) -> Path:
    """The generated Gazette archive of ``size`` items (generated when missing)."""
    folder = OUT / f"n{size}-s1" / "gazette"
    if not (folder / "site.toml").is_file():
        generate = [sys.executable, str(REPO / "bench" / "generate.py"), "--items", str(size)]
        subprocess.run([*generate, "--out", str(folder), "--force"], check=True)
    return folder


def project(size: int, engine: str, shard_records: int = 0) -> Path:
    """A hard-linked copy of the archive with the search plugin enabled."""
    suffix = f"-s{shard_records}" if shard_records else ""
    target = OUT / "search" / f"n{size}-{engine}{suffix}"
    if target.exists():
        shutil.rmtree(target)
    source = archive(size)
    shutil.copytree(source / "content", target / "content", copy_function=os.link)
    config = (source / "site.toml").read_text(encoding="utf-8")
    table = f'\n[plugins.search]\nengine = "{engine}"\n'
    if shard_records:
        table += f"shard_records = {shard_records}\n"
    (target / "site.toml").write_text(config + table)
    return target


def timed_hooks(folder: Path, spent: list[float]) -> ModuleType:
    """Time the search plugin's hooks: the build imports the same module object."""
    plugins = load_plugins(load_config(folder), folder)
    module = next(plugin.module for plugin in plugins if plugin.name == "search")
    link, outputs = module.link, module.outputs

    def timed_link(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return link(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    def timed_outputs(*args: Any, **kwargs: Any) -> list:
        start = time.perf_counter()
        try:
            return list(outputs(*args, **kwargs))
        finally:
            spent.append(time.perf_counter() - start)

    module.link, module.outputs = timed_link, timed_outputs
    return module


def reused(row: Row) -> Path | None:
    """The site an earlier run built for ``row``, with the theme's static files copied in."""
    suffix = f"-s{row.shard_records}" if row.shard_records else ""
    site = OUT / "search" / f"n{row.size}-{row.engine}{suffix}" / "site"
    built = {
        "pagefind": "pagefind/pagefind.js",
        "lunr": "search/lunr-index.json",
        "gazette": "search/gazette/index.json",
    }[row.engine]
    index = site / built
    if not index.is_file():
        return None
    for source in (REPO / "theme" / "static").iterdir():
        if source.is_file():
            shutil.copyfile(source, site / "static" / source.name)
    row.reused = True
    shards = site / "pagefind" / "gazette-shards.json"
    if shards.is_file():
        row.shards = 1 + len(json.loads(shards.read_text(encoding="utf-8"))["bundles"])
    return site


def build(row: Row) -> Path:
    folder = project(row.size, row.engine, row.shard_records)
    spent: list[float] = []
    module = timed_hooks(folder, spent)
    runs = module.index.RUNS
    before = len(runs)
    options = BuildOptions(now=datetime.now(UTC))
    start = time.perf_counter()
    result = build_site(BuildRequest(folder, options, use_cache=False))
    row.build_s = time.perf_counter() - start
    row.search_s = sum(spent)
    row.files = result.file_count
    mine = runs[before:]
    if mine:
        row.shards = len(mine)
        row.pagefind_peak_mb = max((run.peak_bytes or 0) for run in mine) / 2**20
        slowest = max(mine, key=lambda run: run.seconds)
        print(
            f"  {len(mine)} Pagefind runs, {sum(r.records for r in mine)} records; slowest "
            f"{slowest.seconds:.1f} s ({slowest.records} records); peak RSS "
            f"{row.pagefind_peak_mb:.0f} MiB",
            file=sys.stderr,
        )
    for warning in result.warnings:
        print("  " + warning.format(), file=sys.stderr)
    return folder / "site"


# --------------------------------------------------------------------------- browser


def wire_bytes(response: Any) -> int:
    """Body bytes as sent (Content-Length is set after gzip) plus header bytes."""
    body = int(response.headers.get("content-length") or 0)
    return body + response.request.sizes()["responseHeadersSize"]


@contextmanager
def recording(page: Any) -> Iterator[list]:
    responses: list = []

    def record(response: Any) -> None:
        responses.append(response)

    page.on("response", record)
    try:
        yield responses
    finally:
        page.remove_listener("response", record)


def before(responses: list, epoch_ms: float, since_ms: float = 0.0) -> list:
    """Responses to requests started between ``since_ms`` and ``epoch_ms`` (epoch ms).

    The preview server's live-reload script and event stream are left out: a
    static host has neither.
    """
    return [
        r
        for r in responses
        if since_ms <= r.request.timing["startTime"] <= epoch_ms + 1 and "/__gazette/" not in r.url
    ]


def header_search(context: Any, url: str, query: str, row: Row) -> Load:
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate(MARKS)
    with recording(page) as responses:
        start = page.evaluate(TYPE, [query, True])
        page.wait_for_selector(POPUP, timeout=600_000)
        first = page.evaluate(FIRST_MARK) - page.evaluate("window.__t0")
        page.wait_for_load_state("networkidle")
        fetched = before(responses, start + first, start - 5)
        load = Load(sum(map(wire_bytes, fetched)), len(fetched), first)
    page.evaluate(TYPE, [query[0], True])  # one character: the UI waits for a second
    page.wait_for_timeout(DEBOUNCE_MS + 100)
    with recording(page) as responses:
        for at, char in enumerate(query[1:], start=2):
            page.evaluate("window.__marks = []; window.__searchedQuery = null")
            typed_at = page.evaluate(TYPE, [char, False])
            page.evaluate(NEXT_MARK)  # not wait_for_function: the site's CSP forbids eval
            ms = page.evaluate(FIRST_MARK) - page.evaluate("window.__t0")
            page.wait_for_timeout(50)  # let the status line settle before the next key
            searched = page.evaluate("window.__searchedQuery") != ""
            fetched = before(responses, typed_at + ms, typed_at - 1)
            del responses[:]
            key = Keystroke(
                query,
                query[:at],
                ms - DEBOUNCE_MS,
                len(fetched),
                sum(map(wire_bytes, fetched)),
                searched,
            )
            row.keystrokes.append(key)
            row.keystrokes_ms.append(key.ms)
    page.close()
    return load


def page_search(context: Any, url: str, query: str) -> tuple[Load, int]:
    """The cold search page: fetched before the first results, and in all (with facets)."""
    page = context.new_page()
    page.add_init_script(FIRST_RESULTS)
    with recording(page) as responses:
        page.goto(url + "search/?q=" + quote(query))
        page.wait_for_selector("[data-search-results] .search-result", timeout=600_000)
        page.wait_for_load_state("networkidle")
        origin = page.evaluate("performance.timeOrigin")
        first = page.evaluate("window.__firstResults")
        opened = page.evaluate("performance.getEntriesByType('navigation')[0].domInteractive")
        search = [r for r in responses if "/static/" not in r.url and "/search/?" not in r.url]
        fetched = before(search, origin + first)
        load = Load(sum(map(wire_bytes, fetched)), len(fetched), first - opened)
        total = sum(map(wire_bytes, before(search, time.time() * 1000)))
    page.close()
    return load, total


def measure(row: Row, site: Path, queries: tuple[str, ...], nagle: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    GazetteHandler.disable_nagle_algorithm = not nagle
    with served(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for query in queries:
            context = browser.new_context()
            row.header.append(header_search(context, url, query, row))
            context.close()
            context = browser.new_context()
            load, total = page_search(context, url, query)
            row.page.append(load)
            row.page_with_facets.append(total)
            context.close()
        browser.close()


# --------------------------------------------------------------------------- report


def kb(value: float) -> str:
    return f"{value / 1000:,.0f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| items | engine | shards | build s | search s | header KB median | header KB worst "
        "| requests median | first results ms median | search page KB median "
        "| search page KB with facets | keystroke ms median | keystroke ms p95 "
        "| p95 of keystrokes that searched |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        sizes = [load.bytes for load in row.header]
        keys = sorted(row.keystrokes_ms)
        ran = sorted(key.ms for key in row.keystrokes if key.searched)
        lines.append(
            f"| {row.size:,} | {row.engine} | {row.shards if row.engine == 'pagefind' else '-'} "
            f"| {row.build_s:.1f} | {row.search_s:.1f} "
            f"| {kb(statistics.median(sizes))} | {kb(max(sizes))} "
            f"| {statistics.median(load.requests for load in row.header):.0f} "
            f"| {statistics.median(load.ms for load in row.header):.0f} "
            f"| {kb(statistics.median(load.bytes for load in row.page))} "
            f"| {kb(statistics.median(row.page_with_facets))} "
            f"| {statistics.median(keys):.0f} | {p95(keys):.0f} | {p95(ran):.0f} |"
        )
    return "\n".join(lines)


def p95(values: list[float]) -> float:
    """The 95th percentile of sorted ``values`` (the value at 95 % of the list), 0 if none."""
    return values[min(len(values) - 1, int(0.95 * len(values)))] if values else 0


def slowest(rows: list[Row], count: int) -> str:
    """The ``count`` slowest keystrokes of each row, one a line."""
    lines = []
    for row in rows:
        lines.append(f"{row.size} items, {row.engine}: the {count} slowest keystrokes")
        for key in sorted(row.keystrokes, key=lambda k: -k.ms)[:count]:
            lines.append(
                f"  {key.ms:6.0f} ms  {key.requests:3d} requests {kb(key.bytes):>5} KB  "
                f"{key.typed!r} (of {key.query!r}){'' if key.searched else ', waits'}"
            )
    return "\n".join(lines)


def measured(row: Row, queries: tuple[str, ...], reuse: bool = False, nagle: bool = False) -> Row:
    label = f"shard_records={row.shard_records}" if row.shard_records else "default shards"
    site = reused(row) if reuse else None
    if site is None:
        print(f"{row.size} items, {row.engine} ({label}): building ...", file=sys.stderr)
        site = build(row)
        print(f"  built in {row.build_s:.1f} s; measuring ...", file=sys.stderr, flush=True)
    else:
        print(f"{row.size} items, {row.engine} ({label}): reusing {site}", file=sys.stderr)
    measure(row, site, queries, nagle)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--engines", default="gazette,pagefind,lunr")
    parser.add_argument(
        "--shard-records",
        default="0",
        help="Pagefind shard_records values to compare (0: the default, 1,000)",
    )
    parser.add_argument("--queries", type=int, default=len(QUERIES), help="how many fixed queries")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the site an earlier run built, with the theme's static files copied in",
    )
    parser.add_argument(
        "--nagle",
        action="store_true",
        help="leave Nagle's algorithm on in the preview server (40 ms stalls, as runs before)",
    )
    parser.add_argument(
        "--slowest", type=int, default=0, help="print the N slowest keystrokes (stderr)"
    )
    args = parser.parse_args(argv)
    if CHROMIUM is None:
        sys.exit("Debian's chromium is needed: apt-get install chromium")
    queries = QUERIES[: args.queries]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for engine in args.engines.split(","):
            limits = (
                [int(n) for n in args.shard_records.split(",")] if engine == "pagefind" else [0]
            )
            for limit in limits:
                row = Row(size, engine, limit)
                rows.append(measured(row, queries, args.reuse, args.nagle))
    print(f"Measured on {datetime.now(UTC):%Y-%m-%d} with {len(queries)} queries.\n")
    print(table(rows))
    if args.slowest:
        print(slowest(rows, args.slowest), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([asdict(row) for row in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
