"""``serve``'s warm preview: a saved change reaches the browser before the rebuild ends.

``serve`` keeps the last good build's loaded site in memory (``BuildState``).
When files change, two things happen:

1. **Quick preview** (tens of milliseconds). When every change is an item or
   issue file, or a template, the changed files alone are parsed and their
   Markdown rendered, and they replace their old versions in the kept site.
   The pages the open browsers show are rendered from that site with the
   plugin that made them (``outputs``) and the current templates, served from
   memory, and only those browsers are told to reload. Derived data (tag
   indexes, related items, search) is the last build's until step 2 ends. A
   parse error is shown at once in the browser's error overlay.
2. **Full incremental rebuild**, in the background, one at a time, coalescing
   saves made meanwhile. When it ends, ``site/`` is up to date, the preview
   is dropped, and the browsers whose page the rebuild rewrote (and that did
   not already get those bytes from step 1) reload. A failed rebuild puts its
   errors in the overlay (file:line:column, message, fix) and leaves the last
   good site served; the next good save takes the overlay away.

Any doubt in step 1 (a ``site.toml``, ``tags.yml``, static file or plugin
change, a page whose plugin makes costly files, a template that fails on the
partial data) skips it: the page then changes when step 2 ends.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from gazette.cache import BuildCache
from gazette.content.load import parse_files
from gazette.diagnostics import ContentError, Diagnostic, UsageError
from gazette.model import Issue, Item, Site
from gazette.pipeline import BuildRequest, BuildResult, BuildState, build_site
from gazette.plugins import call
from gazette.render.markdown_stage import render_documents
from gazette.render.templates import BUILTIN_THEME, find_theme, make_environment, render_template
from gazette.serve.client import error_items
from gazette.serve.server import GazetteServer, notify_reload

# Plugins whose ``outputs`` start costly work (an index build): never called for a preview.
COSTLY = frozenset({"search"})
GONE = b""  # QuickPages.render: the page is no longer made


def _kind(path: Path, project: Path) -> str | None:
    """``item``, ``issue`` or ``template`` when a quick preview can follow the change."""
    if path.suffix == ".md":
        for kind, folder in (("item", "items"), ("issue", "issues")):
            if path.is_relative_to(project / "content" / folder):
                return kind
    for root in (project / "theme", BUILTIN_THEME):
        if path.is_relative_to(root / "templates"):
            return "template"
    return None


def quick_site(state: BuildState, changed: Iterable[Path]) -> Site | None:
    """The kept site with ``changed`` item and issue files parsed anew; None when not possible.

    Raises ``ContentError`` with the problems of a changed file that does not parse.
    """
    project = state.project
    site = state.site
    jobs = []
    gone = set()
    for path in changed:
        kind = _kind(path, project)
        if kind is None:
            return None
        if kind == "template":
            continue
        if path.is_file():
            jobs.append((kind, path))
        else:
            gone.add(path.relative_to(project).as_posix())
    parsed = parse_files(project, site.config, site.vocabulary, jobs, 1)
    problems = [p for _, _, found in parsed for p in found]
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    documents = [result for _, result, _ in parsed if result is not None]
    rendered = render_documents(
        [(d.path, d.body) for d in documents], state.specs, BuildCache(None), workers=1
    )
    fresh: dict[str, Item | Issue] = {}
    for document in documents:
        html, headings, text = rendered[document.path]
        fresh[document.path] = replace(document, html=html, headings=headings, text=text)
    replaced = gone | set(fresh)
    options = site.options
    items = [i for i in site.items if i.path not in replaced]
    items += [
        d
        for d in fresh.values()
        if isinstance(d, Item)
        and (options.drafts or not d.draft)
        and (options.future or d.published <= options.now)
    ]
    issues = [i for i in site.issues if i.path not in replaced]
    issues += [d for d in fresh.values() if isinstance(d, Issue)]
    return replace(
        site,
        items=tuple(sorted(items, key=lambda i: (i.published, i.slug), reverse=True)),
        issues=tuple(sorted(issues, key=lambda i: (i.date, i.number), reverse=True)),
    )


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory across previews (keyed by name and source checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


class QuickPages:
    """Pages rendered from a quick site, on demand, with the current templates."""

    def __init__(self, state: BuildState, site: Site):
        self.state = state
        self.site = site
        theme = find_theme(state.project)
        globals_ = {"site": site.config.site, "menu": state.menu, "gazette": site}
        self.env = make_environment(theme, state.urls, globals_, bytecode_cache=COMPILED)
        self._outputs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _producer(self, url: str) -> str | None:
        producer = self.state.producers.get(url)
        if producer is None and url.startswith("/items/") and url.count("/") == 3:
            producer = self.state.producers.get(next(iter(self.site.items)).url, None)
        return producer

    def _pages_of(self, producer: str) -> dict[str, Any]:
        with self._lock:
            if producer not in self._outputs:
                plugin = next(p for p in self.state.plugins if p.name == producer)
                outputs = call(plugin, "outputs", self.site, urls=self.state.urls, cache=None)
                self._outputs[producer] = {
                    o.url: o for o in outputs or () if hasattr(o, "template")
                }
            return self._outputs[producer]

    def render(self, url: str) -> bytes | None:
        """The page at ``url`` from the quick site, or None to fall back to ``site/``.

        ``GONE`` (empty) when the page's plugin no longer makes it (a deleted item).
        """
        producer = self._producer(url)
        if producer is None or producer in COSTLY:
            return None
        try:
            page = self._pages_of(producer).get(url)
            if page is None:
                return GONE
            context = {"page": {"url": page.url}, **page.context}
            return render_template(self.env, page.template, context, page.source).encode()
        except Exception:  # partial data a template did not expect: wait for the rebuild
            return None


class Preview:
    """The serve session: the kept build, quick previews, and rebuilds in the background."""

    def __init__(
        self,
        request: BuildRequest,
        server: GazetteServer,
        output: Path,
        log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
    ):
        self.request = replace(request, keep_state=True)
        self.server = server
        self.output = output
        self.log = log
        self.state: BuildState | None = None
        self._quick: QuickPages | None = None
        self._sent: dict[str, bytes] = {}  # page -> bytes a quick reload showed
        self._changed: dict[Path, int] = {}  # changed since ``state``, with a generation
        self._generation = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending = False
        self._stopped = False
        self._last_errors: list[dict[str, str]] = []
        self.builds = 0
        server.preview = self.page

    # ---- what the HTTP server asks

    def page(self, url: str) -> bytes | None:
        quick = self._quick
        return quick.render(url) if quick is not None else None

    # ---- building

    def build(self, changed: frozenset[Path] = frozenset()) -> bool:
        """One full build; on failure its errors go to the overlay. True when it succeeded."""
        started = time.perf_counter()
        try:
            result = build_site(self.request)
        except (ContentError, UsageError) as exc:
            self._show_errors(exc.diagnostics, str(exc) if isinstance(exc, UsageError) else "")
            return False
        finally:
            self.builds += 1
        self._succeeded(result, changed, started)
        return True

    def _succeeded(self, result: BuildResult, changed: frozenset[Path], started: float) -> None:
        for warning in result.warnings:
            self.log(warning.format())
        with self._lock:
            self.state = result.state
            self._quick = None
            sent, self._sent = self._sent, {}
        self._clear_errors()
        if not changed:
            return
        open_pages = self.server.broadcaster.pages()
        stale = {p for p in open_pages if p in result.written}
        stale = {p for p in stale if sent.get(p) != self._on_disk(p)}
        if stale:
            notify_reload(self.server.broadcaster, stale)
        elapsed = (time.perf_counter() - started) * 1000
        noun = "file" if len(changed) == 1 else "files"
        pages = f"reloading {len(stale)} open page{'s' if len(stale) != 1 else ''}"
        self.log(f"rebuilt in {elapsed:.0f} ms ({len(changed)} {noun} changed, {pages})")

    def _on_disk(self, page: str) -> bytes | None:
        relative = page.lstrip("/")
        path = self.output / (relative + "index.html" if page.endswith("/") else relative)
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _show_errors(self, diagnostics: Iterable[Diagnostic], usage: str = "") -> None:
        diagnostics = list(diagnostics)
        errors = error_items(diagnostics)
        if usage and not errors:
            errors = [{"where": "site.toml", "message": usage, "fix": ""}]
        self.server.errors = errors
        self.server.broadcaster.publish("errors", json.dumps(errors))
        if errors != self._last_errors:  # the terminal says it once
            for diagnostic in diagnostics:
                self.log(diagnostic.format())
            count = len(errors)
            self.log(
                f"Build failed: {count} error{'s' if count != 1 else ''}, shown in the browser; "
                "still serving the last good site."
            )
        self._last_errors = errors

    def _clear_errors(self) -> None:
        if self.server.errors or self._last_errors:
            self.server.errors = []
            self._last_errors = []
            self.server.broadcaster.publish("ok")
            self.log("Fixed: the errors are gone.")

    # ---- changes from the watcher

    def changes(self, changed: frozenset[Path]) -> None:
        """Called by the watcher: preview at once when possible, then queue a rebuild."""
        paths = {path.absolute() for path in changed}
        with self._lock:
            self._generation += 1
            for path in paths:
                self._changed[path] = self._generation
            state, pending = self.state, set(self._changed)
        try:
            if state is not None:  # first, so that the rebuild does not slow it down
                self._preview(state, pending)
        finally:
            with self._lock:
                self._pending = True
                self._wake.notify()

    def _preview(self, state: BuildState, changed: set[Path]) -> None:
        try:
            site = quick_site(state, changed)
        except ContentError as exc:
            self._show_errors(exc.diagnostics)
            return
        except Exception:  # never let a preview stop the rebuild
            return
        if site is None:
            return
        quick = QuickPages(state, site)
        reload = set()
        for page in self.server.broadcaster.pages():
            body = quick.render(page)
            if body is not None and body != self._on_disk(page):
                reload.add(page)
                self._sent[page] = body
        self._quick = quick
        if self.server.errors:
            self._clear_errors()
        if reload:
            notify_reload(self.server.broadcaster, reload)

    def run(self, stop: threading.Event) -> None:
        """The rebuild loop (a thread): one full build at a time, after each batch of changes."""
        while not stop.is_set():
            with self._lock:
                while not self._pending and not stop.is_set() and not self._stopped:
                    self._wake.wait(0.2)
                if stop.is_set() or self._stopped:
                    return
                self._pending = False
                batch = dict(self._changed)
            try:
                ok = self.build(frozenset(batch))
            except Exception as exc:  # a bug: report it, keep serving
                self.log(f"Internal error while rebuilding: {type(exc).__name__}: {exc}")
                ok = False
            if ok:
                with self._lock:
                    for path, generation in batch.items():
                        if self._changed.get(path) == generation:
                            del self._changed[path]

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._wake.notify()
