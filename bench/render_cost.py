"""What dependency tracking costs when pages render, and what checking a page costs.

    .venv/bin/python bench/render_cost.py --project /tmp/g10k [--rounds 3]

Loads and links the project once, in this process, then times in CPU seconds
(``time.process_time``, steadier than wall-clock on a shared machine):

- **plain**: rendering every page with a plain Jinja2 environment (the cost
  before incremental builds);
- **tracked**: rendering every page while recording its reads (a cold build);
- **check**: deciding for every page that it can be reused (a warm build:
  context digest plus replay of the recorded reads on a fresh site).

Nothing is written. The rounds alternate, and the median is printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gazette.cache import BuildCache
from gazette.content.load import load_config, load_project, select_published, with_rendered
from gazette.model import BuildOptions
from gazette.output.records import Records
from gazette.output.urls import Urls
from gazette.pipeline import source_digests
from gazette.plugins import (
    collect_outputs,
    load_plugins,
    run_link,
    run_markdown_extensions,
    run_menu,
)
from gazette.render.markdown_stage import render_documents
from gazette.render.pages import PageRenderer, build_salt
from gazette.render.templates import find_theme, make_environment, render_template


def prepare(project: Path):  # type: ignore[no-untyped-def]
    config = load_config(project)
    plugins = load_plugins(config, project)
    with BuildCache(project / ".gazette-cache" / "cache.sqlite") as cache:
        loaded = replace(load_project(project, None, cache), config=config)
        site, _ = select_published(loaded, BuildOptions(now=datetime.now(UTC)))
        specs = run_markdown_extensions(config, plugins)
        documents = [(d.path, d.body) for d in (*site.items, *site.issues)]
        keys: dict[str, str] = {}
        site = with_rendered(site, render_documents(documents, specs, cache, keys_out=keys))
    site = run_link(site, plugins)
    menu = run_menu(site, plugins)
    urls = Urls(config.site.base_url)
    outputs, _ = collect_outputs(site, plugins, urls=urls)
    pages = sorted((o for o in outputs if hasattr(o, "template")), key=lambda o: o.url)
    salt = build_salt(site, plugins, menu, find_theme(project).assets)
    return site, menu, urls, pages, (salt, source_digests(site, loaded.sources, keys))


def plain(project: Path, site, menu, urls, pages) -> float:  # type: ignore[no-untyped-def]
    env = make_environment(
        find_theme(project), urls, {"site": site.config.site, "menu": menu, "gazette": site}
    )
    started = time.process_time()
    for page in pages:
        render_template(env, page.template, {"page": {"url": page.url}, **page.context}, "")
    return time.process_time() - started


def tracked(project: Path, site, menu, urls, pages, salt) -> tuple[float, Records]:  # type: ignore[no-untyped-def]
    renderer = PageRenderer(site, urls, find_theme(project), menu, Records(b"", {}), *salt)
    started = time.process_time()
    for page in pages:
        renderer.render(page, renderer.key(page))
    return time.process_time() - started, renderer.result()


def check(project: Path, site, menu, urls, pages, salt, records: Records) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    renderer = PageRenderer(site, urls, find_theme(project), menu, records, *salt)
    started = time.process_time()
    reusable = sum(renderer.why_render(page.url, renderer.key(page)) is None for page in pages)
    return time.process_time() - started, reusable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    project = args.project.resolve()
    results: dict[str, list[float]] = {"plain": [], "tracked": [], "check": []}
    reusable = 0
    for _ in range(args.rounds):
        site, menu, urls, pages, salt = prepare(project)
        results["plain"].append(plain(project, site, menu, urls, pages))
        seconds, records = tracked(project, site, menu, urls, pages, salt)
        results["tracked"].append(seconds)
        site, menu, urls, pages, salt = prepare(project)  # a fresh site, as the next build has
        seconds, reusable = check(project, site, menu, urls, pages, salt, records)
        results["check"].append(seconds)
    count = len(pages)
    print(f"{count} pages, {reusable} found reusable; CPU seconds, median of {args.rounds}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:<8} {median:7.2f} s  {1000 * median / count:6.3f} ms/page")
    ratio = statistics.median(results["tracked"]) / statistics.median(results["plain"])
    print(f"tracking costs {100 * (ratio - 1):+.0f} % of plain rendering")
    return 0


if __name__ == "__main__":
    sys.exit(main())
