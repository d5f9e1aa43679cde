"""Step 1 of ``serve``'s preview (``gazette.serve.preview``): the quick site and its pages.

``quick_site`` puts the changed item and issue files, parsed and rendered
alone, into the site kept from the last build (and a ``tags.yml`` whose tags
keep their names, slugs and spellings); ``QuickPages`` renders the pages the
open browsers show from it, with the plugin that made each page (re-linked
first when its ``link`` hook is cheap) and the current templates, compiled
once across previews (``CompiledTemplates``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jinja2
import jinja2.bccache

from gazette.cache import BuildCache
from gazette.content.load import parse_files, read_yaml
from gazette.content.vocab import parse_vocabulary
from gazette.diagnostics import ContentError
from gazette.model import Issue, Item, Site, Vocabulary
from gazette.pipeline import BuildState
from gazette.plugins import call
from gazette.render.markdown_stage import render_documents
from gazette.render.templates import BUILTIN_THEME, find_theme, make_environment, render_template

# Plugins whose ``outputs`` start costly work (an index build): never called for a preview.
COSTLY = frozenset({"search"})
GONE = b""  # QuickPages.render: the page is no longer made
RELINK_S = 0.1  # a plugin whose link hook took less in the last build is re-linked for previews


def _kind(path: Path, project: Path) -> str | None:
    """``item``, ``issue``, ``template`` or ``vocabulary`` when a quick preview can follow."""
    if path == project / "content" / "tags.yml":
        return "vocabulary"
    if path.suffix == ".md":
        for kind, folder in (("item", "items"), ("issue", "issues")):
            if path.is_relative_to(project / "content" / folder):
                return kind
    for root in (project / "theme", BUILTIN_THEME):
        if path.is_relative_to(root / "templates"):
            return "template"
    return None


def settings_digests(project: Path) -> dict[Path, bytes]:
    """Digests of the files a quick preview cannot follow: ``site.toml``, ``content/*.yml``.

    Taken before the kept site is loaded, so that a save that changes nothing
    (an editor's habit) does not stop quick previews until the next refresh.
    """
    paths = [project / "site.toml", *sorted((project / "content").glob("*.yml"))]
    digests = {}
    for path in paths:
        digest = digest_of(path)
        if digest is not None:
            digests[path.absolute()] = digest
    return digests


def reread_vocabulary(project: Path, old: Vocabulary) -> Vocabulary | None:
    """``tags.yml`` read anew when every tag keeps its name, slug and spellings, else None.

    Descriptions, groups and the order of tags can then change without a new
    parse of the items (their tags resolve as before). Raises ``ContentError``
    when the file has errors.
    """
    vocabulary, problems = read_yaml(project, "tags.yml", parse_vocabulary)
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    names = {(t.name, t.slug) for t in vocabulary.tags}
    same = vocabulary.lookup == old.lookup and names == {(t.name, t.slug) for t in old.tags}
    return vocabulary if same else None


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
        if kind == "vocabulary":
            vocabulary = reread_vocabulary(project, site.vocabulary)
            if vocabulary is None:
                return None
            site = replace(site, vocabulary=vocabulary)
        if kind in ("template", "vocabulary"):
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


def digest_of(path: Path) -> bytes | None:
    try:
        return hashlib.blake2b(path.read_bytes()).digest()
    except OSError:
        return None


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
        """The pages ``producer`` makes of the quick site, re-linked first when that is cheap.

        Its derived data (a tag's items, a section's listing) then follow the
        changed files at once; other plugins' data are the last build's.
        """
        with self._lock:
            if producer not in self._outputs:
                plugin = next(p for p in self.state.plugins if p.name == producer)
                site = self.site
                if plugin.has("link") and self.state.link_s.get(producer, RELINK_S) < RELINK_S:
                    found = call(plugin, "link", site, cache=None, building=False)
                    data = {**site.data, producer: found}
                    site = site.with_data(MappingProxyType(data))
                outputs = call(plugin, "outputs", site, urls=self.state.urls, cache=None)
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
