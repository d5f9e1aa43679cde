"""The build pipeline: load, then link, then render, then write.

This module composes the stages and owns nothing else. Each stage returns new
values; only ``SiteWriter`` touches the output folder, and it swaps the new site
in only when every page has rendered.

It is a little over 400 lines on purpose: it is the one place where the order of
a build (and of ``load_state``, the same build without its pages) can be read
from top to bottom; its helpers live in the stage packages.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gazette.cache import BuildCache, repair_cache_dir
from gazette.collector import collecting_less, settle
from gazette.content.load import (
    PartialLoad,
    load_config,
    load_project,
    select_published,
    with_rendered,
)
from gazette.diagnostics import ContentError, Diagnostic, strictify
from gazette.model import BuildOptions, Site
from gazette.output import uptodate
from gazette.output.records import Records, load_records, save_records
from gazette.output.urls import Urls
from gazette.output.write import SiteWriter, build_lock, check_output_dir
from gazette.partial import link_problems
from gazette.plugins import (
    collect_outputs,
    find_collisions,
    load_plugins,
    run_expires,
    run_link,
    run_markdown_extensions,
    run_menu,
)
from gazette.render.markdown_stage import render_documents
from gazette.render.pages import (
    PageRenderer,
    PageStats,
    Target,
    build_salt,
    compiled_templates,
    reason_summary,
    render_pages,
)
from gazette.render.templates import find_theme

CACHE_DIR = ".gazette-cache"


@dataclass(frozen=True)
class BuildRequest:
    project: Path
    options: BuildOptions
    output: Path | None = None
    base_url: str | None = None
    write: bool = True
    use_cache: bool = True
    workers: int | None = None
    keep_state: bool = False  # return the loaded site in BuildResult.state (serve)


@dataclass(frozen=True)
class BuildState:
    """What ``serve`` keeps of a build to preview edits before the next one ends."""

    project: Path
    site: Site
    plugins: tuple[Any, ...]
    specs: tuple[tuple[str, dict], ...]  # Markdown extensions
    menu: tuple[Any, ...]
    urls: Urls
    producers: Mapping[str, str]  # page URL -> the plugin that made it
    link_s: Mapping[str, float] = field(default_factory=dict)  # each plugin's link hook, s


@dataclass(frozen=True)
class BuildResult:
    files: Mapping[str, bytes]  # site-relative URL -> bytes; empty when written to disk
    site: Site
    warnings: tuple[Diagnostic, ...]
    timings: Mapping[str, float] = field(default_factory=dict)
    file_count: int = 0
    plugins: tuple[PluginTiming, ...] = ()
    # Until when the site stays as built with no edit (None: for ever), and
    # whether that is known (a project plugin may read the clock).
    expires: datetime | None = None
    clock_known: bool = False
    written: frozenset[str] = frozenset()  # URLs whose files this build wrote
    state: BuildState | None = None


@dataclass(frozen=True)
class PluginTiming:
    """What one plugin cost a build: its hooks, and rendering and handing over its outputs.

    ``reused`` pages were carried over from the last build without rendering,
    ``rendered`` pages were rendered (``why``: the commonest reasons), and
    ``written`` files were written rather than linked from the current site.
    """

    name: str
    hook_s: float
    files: int
    render_s: float
    reused: int = 0
    rendered: int = 0
    written: int = 0
    why: str = ""


class Progress:
    """Reports stage progress; the CLI shows a bar, tests pass the silent default."""

    def stage(self, name: str, total: int = 0) -> None: ...

    def advance(self, count: int = 1) -> None: ...


def _output_dir(request: BuildRequest) -> Path:
    return (request.output or request.project / "site").resolve()


def build_site(request: BuildRequest, progress: Progress | None = None) -> BuildResult:
    """Run the whole pipeline. Raises ContentError or UsageError on failure."""
    with collecting_less():
        return _build_site(request, progress)


def _build_site(request: BuildRequest, progress: Progress | None) -> BuildResult:
    project = request.project.resolve()
    repaired = repair_cache_dir(project / CACHE_DIR) if request.use_cache else []
    if not request.write:
        return _build(request, project, progress or Progress(), notes=repaired)
    output = _output_dir(request)
    check_output_dir(output, project)
    manifest = project / CACHE_DIR / "manifest.pickle"
    stamp_path = project / CACHE_DIR / uptodate.STAMP
    with build_lock(project / CACHE_DIR / "build.lock"):
        uptodate.forget(stamp_path)
        inputs = uptodate.take_inputs(project, skip=(output, project / CACHE_DIR))
        # The writer process starts before anything is loaded: forked from a
        # small process, it does not come to hold a copy of the site.
        with SiteWriter(output, manifest) as writer:
            result = _build(request, project, progress or Progress(), writer, repaired)
        if request.use_cache and result.clock_known:
            stamp = _stamp(request, inputs, output, result, writer.entries)
            uptodate.save(stamp_path, stamp)
    return result


def _request_key(request: BuildRequest, output: Path) -> str:
    options = request.options
    return uptodate.request_key(
        {
            "drafts": options.drafts,
            "future": options.future,
            "strict": options.strict,
            "output": str(output),
            "base_url": request.base_url,
        }
    )


def _stamp(
    request: BuildRequest,
    inputs: uptodate.Inputs,
    output: Path,
    result: BuildResult,
    entries: list[str] | None = None,
) -> uptodate.Stamp:
    return uptodate.Stamp(
        request=_request_key(request, output),
        inputs=inputs.vouched(),
        output=uptodate.output_digest(output, entries),
        built=request.options.now.isoformat(),
        expires=result.expires.isoformat() if result.expires else None,
        items=len(result.site.items),
        issues=len(result.site.issues),
        files=result.file_count,
        warnings=tuple(w.format() for w in result.warnings),
    )


def up_to_date(request: BuildRequest) -> tuple[uptodate.Stamp | None, list[str]]:
    """The last build's stamp if its site stands for this build, else why it does not."""
    project = request.project.resolve()
    output = _output_dir(request)
    stamp_path = project / CACHE_DIR / uptodate.STAMP
    if not request.use_cache:
        return None, ["the cache is off"]
    stamp = uptodate.load(stamp_path)
    inputs = uptodate.take_inputs(project, skip=(output, project / CACHE_DIR))
    key = _request_key(request, output)
    reasons = uptodate.stale_reasons(stamp, key, inputs, output, request.options.now)
    return (stamp if not reasons else None), reasons


@dataclass(frozen=True)
class _Linked:
    """A build up to its page list: loaded, rendered to HTML, linked by the plugins."""

    site: Site
    plugins: tuple[Any, ...]
    specs: tuple[tuple[str, dict], ...]
    menu: tuple[Any, ...]
    urls: Urls
    outputs: list[Any]
    warnings: list[Diagnostic]
    hooks: dict[str, float]
    sources: dict[str, bytes]
    expires: datetime | None
    clock_known: bool
    link_s: dict[str, float]


def _link(
    request: BuildRequest,
    project: Path,
    progress: Progress,
    lap: Callable[[str], None] = lambda name: None,
    notes: list[Diagnostic] | None = None,
    building: bool = True,
) -> _Linked:
    config = load_config(project)
    if request.base_url:
        base = request.base_url if request.base_url.endswith("/") else request.base_url + "/"
        config = replace(config, site=replace(config.site, base_url=base))
    plugins = load_plugins(config, project)
    progress.stage("Loading")
    cache_path = project / CACHE_DIR / "cache.sqlite" if request.use_cache else None
    with BuildCache(cache_path) as cache:
        try:
            loaded = load_project(project, request.workers, cache)
        except PartialLoad as failure:  # report the broken links too, all at once
            specs = run_markdown_extensions(config, plugins)
            found = link_problems(failure, plugins, specs, request.options, cache)
            raise ContentError([*failure.diagnostics, *found]) from None
        loaded = replace(loaded, config=config)
        settle()
        site, problems = select_published(loaded, request.options)
        now = request.options.now
        scheduled = [item.published for item in loaded.items if item.published > now]
        warnings = [*(notes or ()), *loaded.warnings]
        if any(p.is_error for p in problems):
            raise ContentError(problems + warnings)
        lap("load")
        specs = run_markdown_extensions(config, plugins)
        documents = [(d.path, d.body) for d in (*site.items, *site.issues)]
        progress.stage("Rendering Markdown", len(documents))
        render_keys: dict[str, str] = {}
        rendered = render_documents(
            documents,
            specs,
            cache,
            workers=request.workers,
            advance=progress.advance,
            keys_out=render_keys,
        )
    warnings += cache.problems
    site = with_rendered(site, rendered)
    settle()
    sources = source_digests(site, loaded.sources, render_keys)
    del documents, rendered, loaded  # the site holds what is needed: free the rest
    lap("markdown")
    progress.stage("Linking")
    hooks: dict[str, float] = {}
    plugin_cache = project / CACHE_DIR / "plugins" if request.use_cache else None
    site = run_link(site, plugins, hooks, plugin_cache, sources, building)
    settle()
    link_s = dict(hooks)
    menu = run_menu(site, plugins, hooks)
    clock_known, expires = run_expires(site, plugins)
    expires = min([*scheduled, *([expires] if expires else [])], default=None)
    urls = Urls(config.site.base_url)
    outputs, plugin_warnings = collect_outputs(
        site, plugins, hooks, plugin_cache, sources, urls=urls
    )
    warnings += plugin_warnings
    collisions = find_collisions(outputs)
    if collisions:
        raise ContentError(collisions)
    if request.options.strict and warnings:
        raise ContentError(strictify(warnings))
    lap("link")
    return _Linked(
        site,
        plugins,
        tuple(specs),
        menu,
        urls,
        outputs,
        warnings,
        hooks,
        sources,
        expires,
        clock_known,
        link_s,
    )


def _state(project: Path, linked: _Linked) -> BuildState:
    pages = {o.url: o.producer for o in linked.outputs if hasattr(o, "template")}
    return BuildState(
        project,
        linked.site,
        linked.plugins,
        linked.specs,
        linked.menu,
        linked.urls,
        MappingProxyType(pages),
        MappingProxyType(linked.link_s),
    )


def load_state(request: BuildRequest) -> BuildState:
    """The loaded and linked site that ``serve`` previews from, without rendering a page.

    Costs what a warm build costs before its pages (reading the cache, the link
    hooks); raises ContentError or UsageError as a build would.
    """
    project = request.project.resolve()
    repaired = repair_cache_dir(project / CACHE_DIR) if request.use_cache else []
    with build_lock(project / CACHE_DIR / "build.lock"):
        linked = _link(request, project, Progress(), notes=repaired, building=False)
        return _state(project, linked)


def _build(
    request: BuildRequest,
    project: Path,
    progress: Progress,
    writer: SiteWriter | None = None,
    notes: list[Diagnostic] | None = None,
) -> BuildResult:
    output = writer.output if writer is not None else None
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    linked = _link(request, project, progress, lap, notes)
    site, plugins, menu, urls = linked.site, linked.plugins, linked.menu, linked.urls
    outputs, warnings, hooks, sources = (
        linked.outputs,
        linked.warnings,
        linked.hooks,
        linked.sources,
    )
    progress.stage("Rendering pages", len(outputs))
    files: dict[str, bytes] = {}
    stats: dict[str, PageStats] = {}
    theme = find_theme(project)
    salt = build_salt(site, plugins, menu, theme.assets)
    records_path = project / CACHE_DIR / "pages.pickle" if request.use_cache else None
    if output is None:
        renderer = PageRenderer(site, urls, theme, menu, Records(b"", {}), salt, sources)
        producers = render_pages(
            outputs, renderer, Target(files.__setitem__), progress.advance, stats
        )
        count, written = len(files), set(files)
    else:
        assert writer is not None
        previous = load_records(records_path, output)
        compiled = (
            compiled_templates(project / CACHE_DIR / "templates") if request.use_cache else None
        )
        renderer = PageRenderer(site, urls, theme, menu, previous, salt, sources, compiled)
        writer.before_manifest = save_pages(records_path, renderer)
        target = (
            Target(writer.add, writer.keep, writer.keep_same)
            if request.use_cache
            else Target(writer.add)
        )
        producers = render_pages(outputs, renderer, target, progress.advance, stats)
        writer.commit()
        count, written = writer.count, set(writer.written)
    lap("render+write" if output else "render")
    state = _state(project, linked) if request.keep_state else None
    wrote: dict[str, int] = {}
    for url in written:
        if url in producers:
            wrote[producers[url]] = wrote.get(producers[url], 0) + 1
    per_plugin = tuple(
        _plugin_timing(plugin.name, hooks.get(plugin.name, 0.0), stats.get(plugin.name), wrote)
        for plugin in plugins
    )
    return BuildResult(
        MappingProxyType(files),
        site,
        tuple(warnings),
        MappingProxyType(timings),
        count,
        per_plugin,
        linked.expires,
        linked.clock_known,
        frozenset(written),
        state,
    )


def source_digests(
    site: Site, parsed: Mapping[str, str], rendered: Mapping[str, str]
) -> dict[str, bytes]:
    """Each loaded document's digest, from the cache keys of what it was made of."""
    out = {}
    for document in (*site.items, *site.issues):
        if document.path in parsed and document.path in rendered:
            key = f"{parsed[document.path]}\0{rendered[document.path]}".encode()
            out[document.path] = hashlib.blake2b(key, digest_size=16).digest()
    return out


def _plugin_timing(
    name: str, hook_s: float, stats: PageStats | None, wrote: dict[str, int]
) -> PluginTiming:
    stats = stats or PageStats()
    return PluginTiming(
        name,
        hook_s,
        stats.files,
        stats.seconds,
        stats.reused,
        stats.rendered,
        wrote.get(name, 0),
        reason_summary(stats.reasons),
    )


def save_pages(path: Path | None, renderer: PageRenderer) -> Callable[[Path], None]:
    """Keep the page records once the new site is in place (before the writer's manifest)."""
    return lambda output: save_records(path, output, renderer.result())


def check_site(request: BuildRequest, progress: Progress | None = None) -> BuildResult:
    """Validate everything a build would, without writing anything."""
    return build_site(replace(request, write=False), progress)
