"""Render the outputs of a build, reusing every page whose inputs did not change.

A page is reused (its file hard-linked from the current ``site/``, not rendered
and not rewritten) when all of these hold:

- the build-wide ``salt`` is the one of the last build: Gazette's and the
  plugins' code, ``site.toml`` (with ``--base-url``), the menu and the theme's
  static files (every page links them with a content hash);
- its key is the same: its URL, template name and a digest of its context;
- every read its templates made from the site and every template they loaded
  gives the same digest now (``gazette.render.tracking``);
- the file in ``site/`` is still the one the last build wrote (size and
  modification time as in the writer's manifest).

Anything else renders the page, and ``PageStats`` says why, per plugin, for
``build --timings``. A page whose context holds a value that cannot be
digested, or whose templates read the site in a way that cannot be recorded,
is rendered on every build: slower, never stale.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from gazette.diagnostics import ContentError, error
from gazette.model import Site
from gazette.output.records import PageRecord, Records, describe
from gazette.output.urls import Urls, output_path
from gazette.parallel import in_halves
from gazette.render.fingerprint import Fingerprinter, Unfingerprintable
from gazette.render.replay import Replayer
from gazette.render.templates import Theme, kept_templates, make_environment, render_template
from gazette.render.tracking import Recorder, Tracked

PACKAGE = Path(__file__).resolve().parents[1]
# Fewer pages than this are checked in this process alone: a fork costs more.
CHECKS_IN_HALVES = 2000


@dataclass
class PageStats:
    """What happened to one plugin's outputs: reused, rendered, and why they rendered."""

    files: int = 0
    seconds: float = 0.0
    reused: int = 0
    rendered: int = 0
    reasons: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Target:
    """Where rendered pages go: ``sink(url, bytes)``; ``keep(url)`` reuses the old file;
    ``keep_same(url, digest)`` reuses it if it holds the bytes of that digest."""

    sink: Callable[[str, bytes], None]
    keep: Callable[[str], bool] | None = None  # None: nothing can be reused (in memory)
    keep_same: Callable[[str, str], bool] | None = None

    def static(self, file: Any) -> None:
        """Hand over a ``StaticFile``, or a ``KeptFile`` (read only if the site lacks it)."""
        if not hasattr(file, "load"):
            self.sink(file.url, file.data)
        elif self.keep_same is None or not self.keep_same(file.url, file.digest):
            self.sink(file.url, file.load())


@lru_cache(maxsize=1)
def _engine_digest() -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    for path in sorted(PACKAGE.rglob("*.py")):
        hasher.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.digest()


def compiled_templates(folder: Path) -> jinja2.BytecodeCache | None:
    """The compiled templates a build keeps (`templates.kept_templates`), keyed by
    Gazette's code and Jinja2's version, on which the compiled code depends."""
    return kept_templates(folder, _engine_digest() + jinja2.__version__.encode())


def build_salt(
    site: Site, plugins: Iterable[Any], menu: tuple, assets: Mapping[str, Path]
) -> bytes:
    """Everything every page depends on, as one digest."""
    fingerprint = Fingerprinter()
    hasher = hashlib.blake2b(_engine_digest(), digest_size=16)
    for plugin in plugins:
        source = Path(plugin.module.__file__ or "")
        hasher.update(plugin.name.encode() + b"\0")
        if source.is_file():
            hasher.update(source.read_bytes())
    hasher.update(fingerprint(site.config))
    hasher.update(fingerprint(menu))
    for name, path in assets.items():
        hasher.update(name.encode() + b"\0" + path.read_bytes())
    return hasher.digest()


def _check_urls(outputs: list[Any]) -> None:
    for output in outputs:
        try:
            output_path(output.url)
        except ValueError as exc:
            where = output.source or f"plugins/{output.producer}.py"
            raise ContentError([error(where, 0, "unsafe-url", str(exc))]) from exc


class PageRenderer:
    """Renders pages with tracking, and decides which pages the last build's records cover."""

    def __init__(
        self,
        site: Site,
        urls: Urls,
        theme: Theme,
        menu: tuple,
        previous: Records,
        salt: bytes,
        sources: Mapping[str, bytes] | None = None,
        compiled: jinja2.BytecodeCache | None = None,
    ):
        self.salt = salt
        self.theme = theme
        self.fingerprint = Fingerprinter()
        for document in (*site.items, *site.issues) if sources else ():
            if document.path in sources:  # type: ignore[operator]
                self.fingerprint.seed(document, sources[document.path])  # type: ignore[index]
        for shared in (site.config.site, *site.config.sections):  # on most pages
            self.fingerprint.share(shared)
        same = previous.salt == salt
        # The last build's paths keep their numbers, so its records stay valid.
        self.recorder = Recorder(self.fingerprint, site, previous.paths if same else ())
        globals_ = {"site": site.config.site, "menu": menu}
        self.env = make_environment(self.theme, urls, globals_, self.recorder, compiled)
        self.env.globals["gazette"] = Tracked(site, ("gazette",), self.recorder, self.env)
        self._plain_env: Any = None
        self._plain_args = (self.theme, urls, {**globals_, "gazette": site}, None, compiled)
        roots = {"gazette": site, "§template": self.env.template_digests}
        self.replayer = Replayer(self.env, roots, self.fingerprint)
        self.previous = previous.pages if same else {}
        self.salt_changed = bool(previous.pages) and not same
        self.records: dict[str, PageRecord] = {}
        self._digests: dict[bytes, bytes] = {}

    def key(self, output: Any) -> bytes | None:
        try:
            context = self.fingerprint.context(output.context)
        except Unfingerprintable:
            return None
        name = f"{output.url}\0{output.template}\0".encode()
        return hashlib.blake2b(name + context, digest_size=16).digest()

    def why_render(self, url: str, key: bytes | None) -> str | None:
        """None when the last build's page can be reused, else the reason it cannot."""
        if key is None:
            return "context cannot be digested"
        record = self.previous.get(url)
        if record is None:
            return "site-wide input changed" if self.salt_changed else "new page"
        if record.key != key:
            return "context changed"
        changed = self.replayer.changed(record.reads, record.digests, self.recorder.paths)
        if changed is not None:
            return f"read changed: {describe(changed, generic=True)}"
        return None

    def checks(self, pages: Sequence[Any]) -> list[tuple[bytes | None, str | None]]:
        """``(key, why_render)`` of each page, half of them in a forked copy of this process.

        For an incremental build (a cold build has nothing to reuse). Checking
        a page reads the site and the last build's records, never the pages
        rendered in this build, so the two halves are independent.
        """
        return in_halves(self._check, pages, least=CHECKS_IN_HALVES)

    def _check(self, pages: Sequence[Any]) -> list[tuple[bytes | None, str | None]]:
        keys = [self.key(page) for page in pages]
        return [
            (key, self.why_render(page.url, key)) for page, key in zip(pages, keys, strict=True)
        ]

    def render(self, output: Any, key: bytes | None) -> bytes:
        context = {"page": {"url": output.url}, **output.context}
        if key is not None:
            self.recorder.start()
            try:
                html = render_template(self.env, output.template, context, output.source)
            except Exception:
                html = None
            finally:
                reads = self.recorder.stop()
            if html is not None:
                self.records[output.url] = self._record(key, reads)
                return html.encode()
        if self._plain_env is None:
            self._plain_env = make_environment(*self._plain_args)
        return render_template(self._plain_env, output.template, context, output.source).encode()

    def keep(self, url: str) -> None:
        """The page is reused: its record carries over to the next build."""
        self.records[url] = self.previous[url]

    def _record(self, key: bytes, reads: dict[int, bytes]) -> PageRecord:
        intern = self._digests.setdefault
        return PageRecord(key, tuple(reads), tuple([intern(d, d) for d in reads.values()]))

    def result(self) -> Records:
        """The records to keep for the next build."""
        return Records(self.salt, self.records, tuple(self.recorder.paths))


def render_pages(
    outputs: list[Any],
    renderer: PageRenderer,
    target: Target,
    advance: Callable[[int], None],
    stats: dict[str, PageStats],
) -> dict[str, str]:
    """Render or reuse every output and hand it to ``target``, in URL order.

    Returns the producer of every URL it handed over (for ``--timings``).

    ``Deferred`` outputs (files a plugin is still making, such as a search
    index) are resolved after the pages, so their work overlaps rendering.
    """
    deferred = [o for o in outputs if hasattr(o, "resolve")]
    outputs = [o for o in outputs if not hasattr(o, "resolve")]
    _check_urls(outputs)
    claimed = {output.url: output for output in outputs}
    clock = time.perf_counter
    ordered = sorted(outputs, key=lambda o: o.url)
    checked: dict[str, tuple[bytes | None, str | None]] = {}
    share = 0.0  # each page's part of the checks' time, for --timings
    if target.keep and renderer.previous:
        pages = [output for output in ordered if hasattr(output, "template")]
        started = clock()
        checked = dict(zip([page.url for page in pages], renderer.checks(pages), strict=True))
        share = (clock() - started) / max(len(pages), 1)
    for output in ordered:
        started = clock()
        tally = stats.setdefault(output.producer, PageStats())
        if not hasattr(output, "template"):  # a StaticFile: the writer links it if unchanged
            target.static(output)
        else:
            if output.url in checked:
                key, reason = checked[output.url]
                tally.seconds += share
            else:
                key = renderer.key(output)
                reason = renderer.why_render(output.url, key) if target.keep else "no previous site"
            if reason is None and target.keep(output.url):
                renderer.keep(output.url)
                tally.reused += 1
            else:
                target.sink(output.url, renderer.render(output, key))
                tally.rendered += 1
                tally.reasons[reason or "file in site/ changed or missing"] += 1
        tally.files += 1
        tally.seconds += clock() - started
        advance(1)
    for later in deferred:
        started = clock()
        tally = stats.setdefault(later.producer, PageStats())
        try:
            files = sorted(later.resolve(), key=lambda f: f.url)
        except ContentError:
            raise
        except Exception as exc:
            raise ContentError(
                [
                    error(
                        f"plugins/{later.producer}.py",
                        0,
                        "plugin-failed",
                        f"plugin '{later.producer}' raised {type(exc).__name__} while making "
                        f"its files: {exc}",
                        "fix the plugin, or remove it from site.toml",
                    )
                ]
            ) from exc
        for file in files:
            file = replace(file, producer=later.producer)
            _check_urls([file])
            if file.url in claimed:
                first = claimed[file.url].producer
                raise ContentError(
                    [
                        error(
                            f"plugins/{file.producer}.py",
                            0,
                            "url-collision",
                            f"the URL {file.url} is produced twice: by plugin '{first}' and "
                            f"by plugin '{file.producer}'",
                            "change a slug, or disable one of the plugins",
                        )
                    ]
                )
            claimed[file.url] = file
            target.static(file)
        tally.files += len(files)
        tally.seconds += clock() - started
    for name, path in renderer.theme.assets.items():
        if f"/static/{name}" not in claimed:
            target.sink(f"/static/{name}", path.read_bytes())
    target.sink("/.nojekyll", b"")
    return {url: output.producer for url, output in claimed.items()}


def reason_summary(reasons: Counter, limit: int = 3) -> str:
    """``"12 new page, 3 context changed, ..."``: the commonest reasons first."""
    parts = [f"{count} {reason}" for reason, count in reasons.most_common(limit)]
    rest = sum(reasons.values()) - sum(count for _, count in reasons.most_common(limit))
    return ", ".join(parts + ([f"{rest} other"] if rest else []))


def link_allowed(output_dir: Path, relative: str, entry: list | None) -> bool:
    """The old file is still what the last build wrote (size and mtime as in the manifest)."""
    if not entry:
        return False
    try:
        stat = os.stat(os.path.join(output_dir, relative))
    except OSError:
        return False
    return [stat.st_size, stat.st_mtime_ns] == entry[1:]
