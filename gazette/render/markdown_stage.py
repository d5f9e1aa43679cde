"""Render every Markdown body: from the cache when possible, else in parallel.

Rendering is the costly step of a build, so bodies whose key (text, renderer
version, extensions) is already cached are not rendered again, and the rest are
spread over a process pool. Small batches render in-process, where starting
workers would cost more than it saves.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path

import markdown

from gazette.cache import BuildCache, render_key
from gazette.model import Heading
from gazette.parallel import pool_options
from gazette.render.markdown_render import render_markdown

# (dotted extension name, its options): picklable, unlike Extension instances.
ExtensionSpec = tuple[str, dict]
Rendered = tuple[str, tuple[Heading, ...], str]
PARALLEL_THRESHOLD = 64
RENDER_SOURCES = (
    "markdown_render.py",
    "markdown_guards.py",
    "sanitize.py",
    "markdown_stage.py",
    "xmlchars.py",
)


@lru_cache(maxsize=1)
def renderer_version() -> str:
    """Versions of the libraries and our own rendering code, so upgrades invalidate the cache."""
    from importlib.metadata import version

    here = Path(__file__).parent
    sources = b"".join((here / name).read_bytes() for name in RENDER_SOURCES)
    libraries = ",".join(version(name) for name in ("markdown", "pymdown-extensions", "nh3"))
    return f"{libraries}:{hashlib.sha256(sources).hexdigest()}"


def fingerprint(specs: Sequence[ExtensionSpec]) -> str:
    """Everything besides the body that shapes a rendered document."""
    return renderer_version() + json.dumps(specs, sort_keys=True, default=str)


@lru_cache(maxsize=8)
def _extensions(frozen_specs: str) -> tuple[markdown.Extension, ...]:
    specs = json.loads(frozen_specs)
    builder = markdown.Markdown()
    return tuple(builder.build_extension(name, config) for name, config in specs)


def render_body(body: str, frozen_specs: str) -> list:
    """Render one body to a JSON-able ``[html, [[level, id, text], ...], text]``."""
    result = render_markdown(body, extensions=_extensions(frozen_specs))
    headings = [[h.level, h.id, h.text] for h in result.headings]
    return [result.html, headings, result.text]


def _render_chunk(bodies: list[str], frozen_specs: str) -> list[list]:
    return [render_body(body, frozen_specs) for body in bodies]


def _render_missing(
    bodies: list[str], frozen_specs: str, workers: int, advance: Callable[[int], None]
) -> list[list]:
    if len(bodies) < PARALLEL_THRESHOLD or workers <= 1:
        results = []
        for body in bodies:
            results.append(render_body(body, frozen_specs))
            advance(1)
        return results
    size = max(8, min(64, len(bodies) // (workers * 4) or 1))
    chunks = [bodies[i : i + size] for i in range(0, len(bodies), size)]
    results = []
    with ProcessPoolExecutor(max_workers=workers, **pool_options()) as pool:
        for chunk_result in pool.map(_render_chunk, chunks, [frozen_specs] * len(chunks)):
            results.extend(chunk_result)
            advance(len(chunk_result))
    return results


def render_documents(
    documents: Sequence[tuple[str, str]],
    specs: Sequence[ExtensionSpec],
    cache: BuildCache,
    *,
    workers: int | None = None,
    advance: Callable[[int], None] = lambda n: None,
    keys_out: dict[str, str] | None = None,
) -> dict[str, Rendered]:
    """Render ``(path, body)`` pairs; returns rendered results by path.

    ``keys_out``, when given, receives each path's render cache key.
    """
    frozen = json.dumps(specs, sort_keys=True, default=str)
    key_prefix = fingerprint(specs)
    keys = {path: render_key(body, key_prefix) for path, body in documents}
    if keys_out is not None:
        keys_out.update(keys)
    cached = cache.get_many("render", keys.values())
    advance(sum(1 for key in keys.values() if key in cached))
    missing = {keys[path]: body for path, body in documents if keys[path] not in cached}
    fresh = _render_missing(list(missing.values()), frozen, workers or os.cpu_count() or 1, advance)
    for key, value in zip(missing, fresh, strict=True):
        cache.put("render", key, value)
        cached[key] = value
    out: dict[str, Rendered] = {}
    for path, key in keys.items():
        html, headings, text = cached[key]  # type: ignore[misc]
        out[path] = (html, tuple(Heading(*h) for h in headings), text)
    return out
