"""``serve``'s warm preview: a saved change reaches the browser before the rebuild ends.

``serve`` keeps the last good build's loaded site in memory (``BuildState``).
When files change, two things happen:

1. **Quick preview** (tens of milliseconds). When every change is an item or
   issue file, a template, or a ``tags.yml`` edit that keeps every tag's
   name, slug and spellings (descriptions, groups, order), the changed files
   alone are parsed and their Markdown rendered, and they replace their old
   versions in the kept site. The pages the open browsers show are rendered
   from that site with the plugin that made them (``outputs``; its ``link``
   hook is run again first when it took under ``RELINK_S`` in the last
   build, as the tag, section and archive hooks do) and the current
   templates, served from memory, and only those browsers are told to
   reload. Other derived data (related items, cross-links, search) is the
   last build's until step 2 ends. A parse error is shown at once in the
   browser's error overlay.
2. **Full incremental rebuild**, in the background, in a process of its own
   (``gazette.serve.worker``: a rebuild in this process held the interpreter
   lock against step 1 and the browser's requests), one at a time,
   coalescing saves made meanwhile. When it ends, ``site/`` is up to date,
   the preview is dropped, and the browsers whose page the rebuild rewrote
   (and that did not already get those bytes from step 1) reload. A failed
   rebuild puts its errors in the overlay (file:line:column, message, fix)
   and leaves the last good site served; the next good save takes the
   overlay away.
3. **Refresh of the kept site**, once no file has changed for ``IDLE_S``
   after a good rebuild: the site is loaded and linked again in this process
   (``load_state``: the cache makes it a warm build without its pages), so
   that the next quick preview starts from the rebuilt derived data. Until
   then a quick preview parses every file changed since the kept site.

Any doubt in step 1 (a ``site.toml``, ``glossary.yml``, static file or plugin
change, a renamed tag, a page whose plugin makes costly files, a template that fails on the
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

from gazette.diagnostics import ContentError, Diagnostic, UsageError
from gazette.pipeline import BuildRequest, BuildState, build_site, load_state
from gazette.serve.client import error_items
from gazette.serve.quick import QuickPages, digest_of, quick_site, settings_digests
from gazette.serve.server import GazetteServer, notify_reload
from gazette.serve.worker import BuildWorker

IDLE_S = 1.0  # quiet time after a good rebuild before the kept site is refreshed


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
        self._settings: dict[Path, bytes] = {}  # settings_digests of ``state``
        self._quick: QuickPages | None = None
        self._sent: dict[str, bytes] = {}  # page -> bytes a quick reload showed
        self._changed: dict[Path, int] = {}  # changed since ``state``, with a generation
        self._generation = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending = False
        self._stopped = False
        self._last_errors: list[dict[str, str]] = []
        self._stale = False  # a rebuild succeeded since ``state`` was loaded
        self._last_change = 0.0
        self.builds = 0
        self.worker = BuildWorker()
        server.preview = self.page

    # ---- what the HTTP server asks

    def page(self, url: str) -> bytes | None:
        quick = self._quick
        return quick.render(url) if quick is not None else None

    # ---- building

    def build(self) -> bool:
        """The first build, in this process (it keeps the site); errors go to the overlay."""
        settings = settings_digests(self.request.project)
        try:
            result = build_site(self.request)
        except (ContentError, UsageError) as exc:
            self._show_errors(exc.diagnostics, str(exc) if isinstance(exc, UsageError) else "")
            return False
        finally:
            self.builds += 1
            self.worker.start()
        self._log_warnings(result.warnings)
        self.state, self._settings = result.state, settings
        self._clear_errors()
        return True

    def rebuild(self, changed: frozenset[Path], generation: int = 0) -> bool:
        """A full build in the worker; open pages it rewrote reload. True when it succeeded.

        ``generation`` is the last change the build saw: a quick preview of a
        later change is kept until the next rebuild.
        """
        started = time.perf_counter()
        outcome = self.worker.build(replace(self.request, keep_state=False))
        self.builds += 1
        if not outcome.ok:
            with self._lock:
                overtaken = self._generation > generation
            if not overtaken:  # else the next rebuild, already due, has the last word
                self._show_errors(outcome.errors, outcome.usage)
            return False
        self._log_warnings(outcome.warnings)
        with self._lock:
            self._stale = True
            newer = self._generation > generation  # its preview stays until the next rebuild
            if not newer:
                self._quick = None
            sent, self._sent = self._sent, ({} if not newer else self._sent)
        self._clear_errors()
        open_pages = self.server.broadcaster.pages() if not newer else set()
        stale = {p for p in open_pages if p in outcome.written}
        stale = {p for p in stale if sent.get(p) != self._on_disk(p)}
        if stale:
            notify_reload(self.server.broadcaster, stale)
        elapsed = (time.perf_counter() - started) * 1000
        noun = "file" if len(changed) == 1 else "files"
        pages = f"reloading {len(stale)} open page{'s' if len(stale) != 1 else ''}"
        self.log(f"rebuilt in {elapsed:.0f} ms ({len(changed)} {noun} changed, {pages})")
        return True

    def refresh(self) -> bool:
        """Load the kept site again (after good rebuilds); changes since then stay pending."""
        with self._lock:
            generation = self._generation
        settings = settings_digests(self.request.project)
        try:
            state = load_state(self.request)
        except (ContentError, UsageError):  # a save since the rebuild broke it: wait for the next
            with self._lock:
                self._stale = False
            return False
        with self._lock:
            self.state, self._settings = state, settings
            self._stale = False
            for path, seen in list(self._changed.items()):
                if seen <= generation:
                    del self._changed[path]
        return True

    def _log_warnings(self, warnings: Iterable[Diagnostic]) -> None:
        for warning in warnings:
            self.log(warning.format())

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
            if usage and not diagnostics:
                self.log(f"error: {usage}")
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
        same = {p for p in paths if p in self._settings and digest_of(p) == self._settings[p]}
        with self._lock:
            self._generation += 1
            self._last_change = time.monotonic()
            for path in paths:
                if path in same:  # as the kept site read it (the rebuild still runs)
                    self._changed.pop(path, None)
                else:
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
        if site is None:  # the last preview no longer shows the latest files
            self._quick = None
            return
        quick = QuickPages(state, site)
        reload = set()
        for page in self.server.broadcaster.pages():
            body = quick.render(page)
            shown = self._sent[page] if page in self._sent else self._on_disk(page)
            if body is not None and body != shown:
                reload.add(page)
                self._sent[page] = body
        self._quick = quick
        if self.server.errors:
            self._clear_errors()
        if reload:
            notify_reload(self.server.broadcaster, reload)

    def _refresh_due(self) -> bool:
        quiet = time.monotonic() - self._last_change >= IDLE_S
        return self._stale and quiet and not self.server.errors

    def run(self, stop: threading.Event) -> None:
        """The rebuild loop (a thread): a rebuild after each batch of changes, then a refresh."""
        try:
            while not stop.is_set():
                with self._lock:
                    while not (self._pending or self._stopped or stop.is_set()):
                        if self._refresh_due():
                            break
                        self._wake.wait(0.2)
                    if stop.is_set() or self._stopped:
                        return
                    pending, self._pending = self._pending, False
                    batch, generation = dict(self._changed), self._generation
                try:
                    if pending:
                        self.rebuild(frozenset(batch), generation)
                    else:
                        self.refresh()
                except Exception as exc:  # a bug: report it, keep serving
                    self.log(f"Internal error while rebuilding: {type(exc).__name__}: {exc}")
                    with self._lock:
                        self._stale = False  # do not retry in a loop
        finally:
            self.worker.close()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._wake.notify()
        self.worker.close()
