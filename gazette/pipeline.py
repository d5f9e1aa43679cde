"""The build pipeline: load, then link, then render, then write.

This module composes the stages and owns nothing else. Each stage returns new
values; only ``SiteWriter`` touches the output folder, and it swaps the new site
in only when every page has rendered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from gazette.cache import BuildCache
from gazette.content.load import load_config, load_project, select_published, with_rendered
from gazette.diagnostics import ContentError, Diagnostic, error, strictify
from gazette.model import BuildOptions, Site
from gazette.output.urls import Urls, output_path
from gazette.output.write import SiteWriter, build_lock, check_output_dir
from gazette.plugins import (
    StaticFile,
    collect_outputs,
    find_collisions,
    load_plugins,
    run_link,
    run_markdown_extensions,
    run_menu,
)
from gazette.render.markdown_stage import render_documents
from gazette.render.templates import find_theme, make_environment, render_template

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


@dataclass(frozen=True)
class BuildResult:
    files: Mapping[str, bytes]  # site-relative URL -> bytes; empty when written to disk
    site: Site
    warnings: tuple[Diagnostic, ...]
    timings: Mapping[str, float] = field(default_factory=dict)
    file_count: int = 0
    plugins: tuple[PluginTiming, ...] = ()


@dataclass(frozen=True)
class PluginTiming:
    """What one plugin cost a build: its hooks, and rendering and handing over its outputs."""

    name: str
    hook_s: float
    files: int
    render_s: float


class Progress:
    """Reports stage progress; the CLI shows a bar, tests pass the silent default."""

    def stage(self, name: str, total: int = 0) -> None: ...

    def advance(self, count: int = 1) -> None: ...


def _output_dir(request: BuildRequest) -> Path:
    return (request.output or request.project / "site").resolve()


def _render_pages(
    site: Site,
    outputs: list,
    urls: Urls,
    project: Path,
    menu: tuple,
    sink: Callable[[str, bytes], None],
    advance: Callable[[int], None],
    spent: dict[str, list],
) -> None:
    """Render every output and hand ``(url, bytes)`` to ``sink``, in URL order.

    ``spent[producer]`` gathers ``[files, seconds]`` of each plugin's outputs.
    """
    theme = find_theme(project)
    env = make_environment(theme, urls, {"site": site.config.site, "menu": menu, "gazette": site})
    for output in outputs:
        try:
            output_path(output.url)
        except ValueError as exc:
            where = output.source or f"plugins/{output.producer}.py"
            raise ContentError([error(where, 0, "unsafe-url", str(exc))]) from exc
    claimed = {output.url for output in outputs}
    clock = time.perf_counter
    for output in sorted(outputs, key=lambda o: o.url):
        started = clock()
        if isinstance(output, StaticFile):
            sink(output.url, output.data)
        else:
            context = {"page": {"url": output.url}, **output.context}
            html = render_template(env, output.template, context, output.source)
            sink(output.url, html.encode())
        tally = spent.setdefault(output.producer, [0, 0.0])
        tally[0] += 1
        tally[1] += clock() - started
        advance(1)
    for name, path in theme.assets.items():
        if f"/static/{name}" not in claimed:
            sink(f"/static/{name}", path.read_bytes())
    sink("/.nojekyll", b"")


def build_site(request: BuildRequest, progress: Progress | None = None) -> BuildResult:
    """Run the whole pipeline. Raises ContentError or UsageError on failure."""
    project = request.project.resolve()
    if not request.write:
        return _build(request, project, progress or Progress())
    output = _output_dir(request)
    check_output_dir(output, project)
    with build_lock(project / CACHE_DIR / "build.lock"):
        return _build(request, project, progress or Progress(), output)


def _build(
    request: BuildRequest, project: Path, progress: Progress, output: Path | None = None
) -> BuildResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    config = load_config(project)
    if request.base_url:
        base = request.base_url if request.base_url.endswith("/") else request.base_url + "/"
        config = replace(config, site=replace(config.site, base_url=base))
    plugins = load_plugins(config, project)
    progress.stage("Loading")
    cache_path = project / CACHE_DIR / "cache.sqlite" if request.use_cache else None
    with BuildCache(cache_path) as cache:
        loaded = load_project(project, request.workers, cache)
        loaded = replace(loaded, config=config)
        site, problems = select_published(loaded, request.options)
        warnings = list(loaded.warnings)
        if any(p.is_error for p in problems):
            raise ContentError(problems + warnings)
        lap("load")
        specs = run_markdown_extensions(config, plugins)
        documents = [(d.path, d.body) for d in (*site.items, *site.issues)]
        progress.stage("Rendering Markdown", len(documents))
        rendered = render_documents(
            documents, specs, cache, workers=request.workers, advance=progress.advance
        )
    warnings += cache.problems
    site = with_rendered(site, rendered)
    lap("markdown")
    progress.stage("Linking")
    hooks: dict[str, float] = {}
    plugin_cache = project / CACHE_DIR / "plugins" if request.use_cache else None
    site = run_link(site, plugins, hooks, plugin_cache)
    menu = run_menu(site, plugins, hooks)
    urls = Urls(config.site.base_url)
    outputs, plugin_warnings = collect_outputs(site, plugins, hooks, plugin_cache, urls=urls)
    warnings += plugin_warnings
    collisions = find_collisions(outputs)
    if collisions:
        raise ContentError(collisions)
    if request.options.strict and warnings:
        raise ContentError(strictify(warnings))
    lap("link")
    progress.stage("Rendering pages", len(outputs))
    files: dict[str, bytes] = {}
    spent: dict[str, list] = {}
    render = (site, outputs, urls, project, menu)
    if output is None:
        _render_pages(*render, files.__setitem__, progress.advance, spent)
        count = len(files)
    else:
        with SiteWriter(output, project / CACHE_DIR / "manifest.json") as writer:
            _render_pages(*render, writer.add, progress.advance, spent)
        count = writer.count
    lap("render+write" if output else "render")
    per_plugin = tuple(
        PluginTiming(plugin.name, hooks.get(plugin.name, 0.0), *spent.get(plugin.name, (0, 0.0)))
        for plugin in plugins
    )
    return BuildResult(
        MappingProxyType(files),
        site,
        tuple(warnings),
        MappingProxyType(timings),
        count,
        per_plugin,
    )


def check_site(request: BuildRequest, progress: Progress | None = None) -> BuildResult:
    """Validate everything a build would, without writing anything."""
    return build_site(replace(request, write=False), progress)
