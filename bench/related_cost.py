"""How long the related-items computation takes on the synthetic archive.

    .venv/bin/python bench/related_cost.py [--items 10000] [--repeat 3]

Loads the archive of ``run.py`` (``bench/out/n<items>-s1/gazette``, generated
if missing) and renders its Markdown with a cache of its own beside the
archive (``related-cache.sqlite``), so the archive's build cache is never
touched and only the first run renders. Then it runs the ``crosslinks`` link
hook once (related items leave out linked items and use story threads) and
times the ``related`` link hook, the whole of its work, ``--repeat`` times. It
prints the fastest run and the median in seconds; the budget is 3 s at 10,000
items.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run import ensure_archive

from gazette.cache import BuildCache
from gazette.content.load import load_config, load_project, select_published, with_rendered
from gazette.model import BuildOptions, PluginSpec, Site
from gazette.plugins import call, load_plugins, run_link, run_markdown_extensions
from gazette.render.markdown_stage import render_documents

BUDGET_S = 3.0


def load_site(project: Path, cache_path: Path) -> tuple[Site, tuple]:
    """The archive, rendered, with the crosslinks and related plugins loaded."""
    config = load_config(project)
    config = replace(config, plugins=(PluginSpec("crosslinks"), PluginSpec("related")))
    plugins = load_plugins(config, project)
    with BuildCache(cache_path) as cache:
        loaded = replace(load_project(project, None, cache), config=config)
        site, _ = select_published(loaded, BuildOptions(now=datetime.now(UTC)))
        specs = run_markdown_extensions(config, plugins)
        documents = [(d.path, d.body) for d in (*site.items, *site.issues)]
        rendered = render_documents(documents, specs, cache)
    return with_rendered(site, rendered), plugins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    project = ensure_archive(args.items, 1, "gazette")
    start = time.perf_counter()
    site, plugins = load_site(project, project.parent / "related-cache.sqlite")
    print(f"loaded and rendered {len(site.items)} items in {time.perf_counter() - start:.1f} s")
    crosslinks, related = plugins
    start = time.perf_counter()
    site = run_link(site, [crosslinks])
    print(f"crosslinks link hook: {time.perf_counter() - start:.2f} s")
    times = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        result = call(related, "link", site)
        times.append(time.perf_counter() - start)
    shown = sum(len(result.of(item.slug)) for item in site.items)
    best, median = min(times), statistics.median(times)
    print(
        f"related items for {len(site.items)} items ({shown} shown): "
        f"{best:.2f} s best of {len(times)}, median {median:.2f} s (budget {BUDGET_S:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
