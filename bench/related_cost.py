"""How long the related-items computation takes on the synthetic archive.

    .venv/bin/python bench/related_cost.py [--items 10000] [--repeat 3] [--steps]

Loads the archive of ``run.py`` (``bench/out/n<items>-s1/gazette``, generated
if missing) and renders its Markdown with a cache of its own beside the
archive (``related-cache.sqlite``), so the archive's build cache is never
touched and only the first run renders. Then it runs the ``crosslinks`` link
hook once (related items leave out linked items and use story threads) and
times the ``related`` link hook, the whole of its work, ``--repeat`` times in
each of four cases:

- *no cache*: the hook with ``cache=None``, a computation from scratch;
- *cold*: with an empty ``PluginCache`` (a temporary folder), which it fills;
- *warm*: again with that cache, nothing changed;
- *one-edit*: a sentence appended to the text of the middle item (by slug), a
  different one each time, as ``run.py``'s one-edit build does;
- *one-tags*: that item's tags replaced by another tag;
- *one-added*: a copy of that item with the sentence added under a new slug.

Each change starts from the archive as it is (the cache is brought back to it
between cases, untimed).

It prints the fastest run and the median in seconds (the budget is 3 s at
10,000 items), the median CPU seconds (of every thread: less sensitive than
wall-clock time to other work on a shared machine), how the cache was used,
and checks that every cached result equals the computation from scratch.
``--steps`` also times the steps of a computation from scratch once:
tokenising, IDF and weights, keeping the heaviest words, the product and the
top-k.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run import ensure_archive

from gazette import similarity
from gazette.cache import BuildCache
from gazette.content.load import load_config, load_project, select_published, with_rendered
from gazette.model import BuildOptions, PluginSpec, Site
from gazette.plugin_cache import PluginCache
from gazette.plugins import load_plugins, run_link, run_markdown_extensions
from gazette.render.markdown_stage import render_documents
from gazette.sparse import Csr, dense_product

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


def edited(site: Site, crosslinks, n: int, how: str = "text") -> Site:  # type: ignore[no-untyped-def]
    """The site after one change to the middle item (by slug), crosslinks rerun.

    ``text``: a sentence appended to its text; ``tags``: its tags replaced by
    another one; ``add``: a copy of it with that sentence, under another slug.
    """
    middle = sorted(site.items, key=lambda item: item.slug)[len(site.items) // 2]
    sentence = f"The benchmark appended this sentence to measure a one-item rebuild ({n + 1})."
    tags = sorted({tag for item in site.items for tag in item.tags} - set(middle.tags))
    changed = {
        "text": [replace(middle, text=f"{middle.text}\n{sentence}")],
        "tags": [replace(middle, tags=(tags[n % len(tags)],))],
        "add": [
            middle,
            replace(middle, slug=f"{middle.slug}-{n}", text=f"{middle.text}\n{sentence}"),
        ],
    }[how]
    items = tuple(item for item in site.items if item.slug != middle.slug) + tuple(changed)
    return run_link(replace(site, items=items, data={}), [crosslinks])


def steps(site: Site, module) -> None:  # type: ignore[no-untyped-def]
    """Time the steps of one computation from scratch (one thread for the product)."""
    items = sorted(site.items, key=lambda item: item.slug)
    times: dict[str, float] = {}

    def clock(name: str, started: float) -> None:
        times[name] = time.perf_counter() - started

    started = time.perf_counter()
    texts = module.Texts(items)
    digests = [module._digest(module.Texts._text(d).encode()) for d in items]
    clock("digest of every text (cache key)", started)
    started = time.perf_counter()
    counts = similarity.term_counts(texts)
    clock("tokenise and count words", started)
    started = time.perf_counter()
    weights = counts.copy()
    similarity.keyword_weights(weights, module.TERMS)
    clock("IDF, weights, keep heaviest, unit rows", started)
    started = time.perf_counter()
    similarity.keep_heaviest(counts.copy(), module.TERMS)
    clock("  of which keep heaviest (on counts)", started)
    started = time.perf_counter()
    features, names = module.feature_matrix(items, counts=counts)
    clock("features from counts (all of the above + tags)", started)
    started = time.perf_counter()
    module.row_digests(features, names)
    clock("row digests", started)
    transposed = similarity._padded_transpose(features)
    block = max(1, similarity.BLOCK_CELLS // transposed.shape[1])
    product = best = 0.0
    for start in range(0, features.shape[0], block):
        started = time.perf_counter()
        rows = np.arange(start, min(start + block, features.shape[0]))
        scores = dense_product(features[rows], transposed)
        product += time.perf_counter() - started
        started = time.perf_counter()
        similarity.best_cells(scores, 10)
        best += time.perf_counter() - started
    times["product (one thread)"] = product
    times["top-k (one thread)"] = best
    excluded = [set() for _ in items]
    started = time.perf_counter()
    similarity.top_match_cells(features, excluded, 10)
    clock(f"product and top-k ({similarity.WORKERS} threads)", started)
    for name, seconds in times.items():
        print(f"  {name:<48} {seconds:6.3f} s")
    print(f"  ({len(digests)} texts, {counts.nnz} word counts, {features.nnz} feature entries)")
    assert isinstance(features, Csr) and np.all(np.isfinite(features.data))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", action="store_true", help="time the steps too")
    args = parser.parse_args()
    project = ensure_archive(args.items, 1, "gazette")
    start = time.perf_counter()
    site, plugins = load_site(project, project.parent / "related-cache.sqlite")
    print(f"loaded and rendered {len(site.items)} items in {time.perf_counter() - start:.1f} s")
    crosslinks, related = plugins
    module = related.module
    start = time.perf_counter()
    site = run_link(site, [crosslinks])
    print(f"crosslinks link hook: {time.perf_counter() - start:.2f} s")
    if args.steps:
        steps(site, module)
    options = dict(related.options)

    cpu: dict[str, list[float]] = {}

    def run(site: Site, cache: PluginCache | None, case: str = "") -> tuple[float, object, dict]:
        stats: dict = {}
        start, start_cpu = time.perf_counter(), time.process_time()
        result = module.related_items(
            site,
            options["count"],
            options["tag_weight"],
            options["thread_weight"],
            cache=cache,
            stats=stats,
        )
        if case:
            cpu.setdefault(case, []).append(time.process_time() - start_cpu)
        return time.perf_counter() - start, result, stats

    times: dict[str, list[float]] = {
        "no cache": [],
        "cold": [],
        "warm": [],
        "one-edit": [],
        "one-tags": [],
        "one-added": [],
    }
    notes: dict[str, dict] = {}
    for n in range(max(1, args.repeat)):
        seconds, scratch, _ = run(site, None, "no cache")
        times["no cache"].append(seconds)
        with tempfile.TemporaryDirectory() as folder:
            cache = PluginCache(Path(folder) / "related")
            for case in ("cold", "warm"):
                seconds, result, notes[case] = run(site, cache, case)
                times[case].append(seconds)
                assert result.scores == scratch.scores and _slugs(result) == _slugs(scratch)
            for case, how in (("one-edit", "text"), ("one-tags", "tags"), ("one-added", "add")):
                changed = edited(site, crosslinks, n, how)
                seconds, result, notes[case] = run(changed, cache, case)
                times[case].append(seconds)
                _, expected, _ = run(changed, None)
                assert result.scores == expected.scores and _slugs(result) == _slugs(expected)
                run(site, cache)  # back to the archive as it is, for the next case
    shown = sum(len(scratch.of(item.slug)) for item in site.items)
    print(f"related items for {len(site.items)} items ({shown} shown), budget {BUDGET_S:.0f} s:")
    for case, values in times.items():
        how = dict(notes.get(case, {}))
        seconds = how.pop("seconds", {})
        print(
            f"  {case:<9} {min(values):5.2f} s best of {len(values)}, "
            f"median {statistics.median(values):5.2f} s, "
            f"CPU {statistics.median(cpu[case]):5.2f} s median  {how}"
        )
        for step, spent in seconds.items():
            print(f"      {step:<36} {spent:6.3f} s (last run)")
    print("  every cached result equals the computation from scratch")
    return 0


def _slugs(result) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {slug: [item.slug for item in items] for slug, items in result.candidates.items()}


if __name__ == "__main__":
    sys.exit(main())
