"""Cross-links: wiki links, story threads, backlinks and item navigation.

- ``markdown_extensions`` turns ``[[slug]]``, ``[[slug|text]]`` and
  ``[[slug#anchor]]`` into links (``gazette.render.wikilinks``).
- ``link`` checks every wiki link against the published items and their
  headings, and reports all broken ones at once, with file, line, column and a
  suggestion; ``gazette check`` fails on them. It then builds the link graph
  and returns a ``CrossLinks`` (``site.data["crosslinks"]``) for templates and
  later plugins (``related`` leaves out items linked in a body).

The graph has three kinds of edges: wiki links, ordinary Markdown links whose
URL is an item page (``/items/<slug>/``, with or without the base path,
relative, or absolute on the site's host), found in the rendered HTML; and the
``follows``/``supersedes`` relations of the front matter. For each item it
gives both directions of each relation, the story thread (every item connected
to it through follows/supersedes, oldest first, when there are at least two),
"Mentioned in" (items that link to it by any means, itself excluded), and the
previous and next issue. Self-links and cycles (A follows B follows A) are
allowed and never loop: the thread is a connected component, found once.

Links are read from the sanitised HTML with a regular expression rather than
an HTML parser: nh3 serialises every attribute as ``name="value"`` with quotes
escaped, so the expression is exact on that output, and it reads 10,000 items
in a fraction of the time ``html.parser`` needs.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

from gazette.content.fields import did_you_mean
from gazette.diagnostics import ContentError, Diagnostic, error
from gazette.model import Config, Issue, Item, Site
from gazette.output.urls import Urls, slugify
from gazette.plugin_cache import DocumentMemo, PluginCache, cache_key, code_digest
from gazette.render.wikilinks import AUTO_CLASS, CLASS, find_wikilinks, source_version

OPTIONS: dict = {}
CODE = code_digest(__file__)  # what `read_links` kept in the cache was made by

_A_TAG = re.compile(r'<a((?:\s+[^\s="\'<>/]+(?:="[^"]*")?)*)\s*>([^<]*)(</a>)?')
_ATTRIBUTE = re.compile(r'([^\s="\'<>/]+)(?:="([^"]*)")?')
_ITEM_PATH = re.compile(r"items/([^/]+)/?(?:index\.html)?")

Document = Item | Issue


@dataclass(frozen=True)
class ItemLinks:
    """Everything known about one item's links. The item page shows each other
    item once, in the most specific place (``gazette.render.item_links``)."""

    follows: Item | None = None
    followed_by: tuple[Item, ...] = ()
    supersedes: Item | None = None
    superseded_by: tuple[Item, ...] = ()
    thread: tuple[Item, ...] = ()  # oldest first; empty unless two or more items
    mentioned_in: tuple[Item, ...] = ()  # newest first
    links_to: tuple[Item, ...] = ()  # items its body links to, newest first
    previous_issue: Issue | None = None  # the older one
    next_issue: Issue | None = None


NO_LINKS = ItemLinks()


@dataclass(frozen=True)
class CrossLinks:
    links: Mapping[str, ItemLinks]  # by item slug
    body_links: Mapping[str, frozenset[str]]  # slug -> slugs its body links to, self excluded
    html: Mapping[str, str]  # by source path: bodies whose bare wiki links show titles

    def of(self, slug: str) -> ItemLinks:
        return self.links.get(slug, NO_LINKS)

    def html_of(self, document: Document) -> str:
        """The body HTML to show: ``[[slug]]`` links carry their target's title."""
        return self.html.get(document.path, document.html)

    def linked(self, a: str, b: str) -> bool:
        """True when either body links to the other."""
        return b in self.body_links.get(a, ()) or a in self.body_links.get(b, ())


# --- hooks -------------------------------------------------------------------


def markdown_extensions(*, config: Config, **kwargs: Any) -> list[tuple[str, dict]]:
    """Runs while loading: the wiki link extension, with the site's base path."""
    base_path = Urls(config.site.base_url).base_path
    return [
        (
            "gazette.render.wikilinks:WikiLinkExtension",
            {"base_path": base_path, "version": source_version()},
        )
    ]


def link(site: Site, *, cache: PluginCache | None = None, **kwargs: Any) -> CrossLinks:
    """Runs after rendering: checks wiki links (ContentError), then builds the graph.

    The links of each body are read once per version of the document
    (``DocumentMemo``): a build reads only the changed bodies, then checks and
    joins every document's links with dictionary lookups.
    """
    resolver = Resolver.of(site)
    memo: DocumentMemo[BodyLinks] = DocumentMemo(
        cache, "links", cache_key(CODE, resolver.base_path, resolver.host)
    )
    documents = (*site.items, *site.issues)
    read = {doc.path: memo.get(doc, lambda d: read_links(d, resolver)) for doc in documents}
    memo.save()
    problems: list[Diagnostic] = []
    for doc in documents:
        if any(wikilink_problem(slug, anchor, site) for slug, anchor in read[doc.path][0]):
            # Only a document with a broken link is read again, for its positions.
            anchors = tuple(_anchor_tags(doc.html))
            problems += check_wikilinks(doc, anchors, site, resolver)
            problems += check_item_links(doc, anchors, site, resolver)
    if problems:
        raise ContentError(problems)
    body_links = {
        item.slug: frozenset(
            slug
            for slug, _ in read[item.path][0]
            if slug != item.slug and slug in site.item_by_slug
        )
        for item in site.items
    }
    titled = {
        doc.path: with_titles(doc.html, doc.url, site, resolver)
        for doc in documents
        if read[doc.path][1]
    }
    return CrossLinks(
        links=MappingProxyType(item_links(site, body_links)),
        body_links=MappingProxyType(body_links),
        html=MappingProxyType(titled),
    )


# What a build keeps of one body: the item pages it links to, ``(slug,
# anchor)`` each, and whether a bare wiki link in it shows its target's title
# (``with_titles``). Plain tuples: ten thousand of them unpickle in a few ms.
BodyLinks = tuple[tuple[tuple[str, str], ...], bool]


def read_links(doc: Document, resolver: Resolver) -> BodyLinks:
    targets = (
        resolver.target(attributes.get("href", ""), doc.url)
        for attributes, _ in _anchor_tags(doc.html)
    )
    return tuple(t for t in targets if t is not None), "wikilink-auto" in doc.html


# --- reading links from HTML ---------------------------------------------------


def _anchor_tags(markup: str) -> Iterable[tuple[dict[str, str], re.Match[str]]]:
    """The attributes of each ``<a>`` start tag in sanitised HTML, with its match."""
    if "<a" not in markup:
        return
    for match in _A_TAG.finditer(markup):
        attributes = {
            name.lower(): html.unescape(value or "")
            for name, value in _ATTRIBUTE.findall(match.group(1))
        }
        yield attributes, match


@dataclass(frozen=True)
class Resolver:
    """Turns an href into ``(slug, anchor)`` when it points at an item page."""

    base_path: str
    host: str

    @classmethod
    def of(cls, site: Site) -> Resolver:
        base_url = site.config.site.base_url
        return cls(Urls(base_url).base_path, urlsplit(base_url).netloc.lower())

    def target(self, href: str, page_url: str) -> tuple[str, str] | None:
        parts = urlsplit(href.strip())
        if parts.scheme and parts.scheme.lower() not in ("http", "https"):
            return None
        if parts.netloc and parts.netloc.lower() != self.host:
            return None
        path = parts.path
        if not path:
            return None
        if not path.startswith("/"):  # relative to the page that holds the link
            here = self.base_path + page_url.lstrip("/")
            joined = posixpath.normpath(posixpath.join(here, path))
            path = joined + "/" if path.endswith("/") else joined
        if path.startswith(self.base_path):
            rest = path[len(self.base_path) :]
        elif path.startswith("/items/"):  # written without the base path
            rest = path[1:]
        else:
            return None
        match = _ITEM_PATH.fullmatch(rest)
        return (unquote(match.group(1)), unquote(parts.fragment)) if match else None


# --- checking wiki links ---------------------------------------------------------


def check_wikilinks(
    doc: Document,
    anchors: tuple[tuple[dict[str, str], re.Match[str]], ...],
    site: Site,
    resolver: Resolver,
) -> list[Diagnostic]:
    """Unknown slugs and missing anchors of one document's wiki links.

    The rendered links say which wiki links exist (none in code); the source
    says where they are.
    """
    rendered = {
        resolver.target(attributes.get("href", ""), doc.url)
        for attributes, _ in anchors
        if CLASS in attributes.get("class", "").split()
    }
    rendered.discard(None)
    if not rendered:
        return []
    problems = []
    found = set()
    for ref in find_wikilinks(doc.body):
        if (ref.slug, ref.anchor) not in rendered:
            continue  # in indented code, raw HTML or escaped: not a link
        found.add((ref.slug, ref.anchor))
        problem = wikilink_problem(ref.slug, ref.anchor, site)
        if problem:
            line = doc.body_line_offset + ref.line
            problems.append(error(doc.path, line, "wiki-link", *problem, col=ref.col))
    for slug, anchor in sorted(rendered - found):  # type: ignore[type-var]
        problem = wikilink_problem(slug, anchor, site)
        if problem:
            problems.append(error(doc.path, doc.body_line_offset + 1, "wiki-link", *problem))
    return problems


def check_item_links(
    doc: Document,
    anchors: tuple[tuple[dict[str, str], re.Match[str]], ...],
    site: Site,
    resolver: Resolver,
) -> list[Diagnostic]:
    """Markdown links to item pages (``[text](/items/slug/#id)``, in any form that
    ``Resolver`` knows) whose item is not published or has no such heading.

    The same check as wiki links: a link that would 404 on the built site is an
    error, found where the source writes the URL.
    """
    problems = []
    for attributes, _ in anchors:
        if CLASS in attributes.get("class", "").split():
            continue  # a wiki link: checked above, with its exact position
        href = attributes.get("href", "")
        target = resolver.target(href, doc.url)
        problem = target and wikilink_problem(*target, site, written=href.split("#")[0])
        if problem:
            line, col = _position(doc, href)
            message, fix = problem
            problems.append(
                error(doc.path, line, "item-link", f"link to '{href}': {message}", fix, col=col)
            )
    return problems


def _position(doc: Document, href: str) -> tuple[int, int | None]:
    """Line and column of ``href`` in the document's source (its body's first line if
    the source writes it differently, for instance as a reference definition)."""
    at = doc.body.find(href)
    if at == -1:
        return doc.body_line_offset + 1, None
    line_start = doc.body.rfind("\n", 0, at) + 1
    return doc.body_line_offset + doc.body.count("\n", 0, at) + 1, at - line_start + 1


def wikilink_problem(
    slug: str, anchor: str, site: Site, written: str | None = None
) -> tuple[str, str] | None:
    """``(message, fix)`` when ``[[slug#anchor]]`` names no item or no heading.

    ``written`` is how the link without its anchor appears in a fix (``[[slug]]``).
    """
    target = site.item_by_slug.get(slug)
    if target is None:
        return f"no published item has the slug '{slug}'", _slug_fix(slug, site)
    ids = [heading.id for heading in target.headings]
    if not anchor or anchor in ids:
        return None
    message = f"'{slug}' has no heading with the id '{anchor}'"
    if not ids:
        written = written or f"[[{slug}]]"
        return message, f"link to {written} without '#{anchor}'; that item has no headings"
    guess = did_you_mean(anchor, ids) or did_you_mean(slugify(anchor), ids)
    if guess:
        return message, f"did you mean '{guess[0]}'?"
    return message, f"its heading ids are: {', '.join(ids)}"


def _slug_fix(slug: str, site: Site) -> str:
    slugs = list(site.item_by_slug)
    by_title = {slugify(item.title): item.slug for item in site.items}
    guess = (
        did_you_mean(slug, slugs)
        or did_you_mean(slugify(slug), slugs)
        or [by_title[key] for key in did_you_mean(slugify(slug), list(by_title))]
    )
    if guess:
        return f"did you mean '{guess[0]}'?"
    return "use the slug of a published item: its file name, or its 'slug:' field"


# --- titles for [[slug]] ------------------------------------------------------------


def with_titles(markup: str, page_url: str, site: Site, resolver: Resolver) -> str:
    """Put the target's title (and heading) in place of the slug of each bare wiki link."""

    def title(match: re.Match[str]) -> str:
        attributes = dict(
            (name.lower(), html.unescape(value or ""))
            for name, value in _ATTRIBUTE.findall(match.group(1))
        )
        target = resolver.target(attributes.get("href", ""), page_url)
        item = site.item_by_slug.get(target[0]) if target else None
        if attributes.get("class") != AUTO_CLASS or item is None or not match.group(3):
            return match.group(0)
        text = item.title
        heading = next((h.text for h in item.headings if h.id == target[1]), "")  # type: ignore[index]
        if heading:
            text += f" › {heading}"
        return f"<a{match.group(1)}>{html.escape(text, quote=False)}</a>"

    return _A_TAG.sub(title, markup)


# --- the graph -------------------------------------------------------------------------


def _when(item: Item) -> tuple:
    return (item.published, item.slug)


def _newest_first(items: Collection[Item]) -> tuple[Item, ...]:
    return tuple(sorted(items, key=_when, reverse=True)) if items else ()


def _oldest_first(items: Collection[Item]) -> tuple[Item, ...]:
    return tuple(sorted(items, key=_when)) if items else ()


def threads(site: Site) -> dict[str, tuple[Item, ...]]:
    """Each item's story thread: its component under follows/supersedes, oldest first.

    Union-find over the relation edges, so cycles and self-relations end.
    """
    parent = {item.slug: item.slug for item in site.items}

    def root(slug: str) -> str:
        while parent[slug] != slug:
            parent[slug] = parent[parent[slug]]
            slug = parent[slug]
        return slug

    for item in site.items:
        for target in (item.follows, item.supersedes):
            if target in parent and target != item.slug:
                parent[root(item.slug)] = root(target)
    members: dict[str, list[Item]] = {}
    for item in site.items:
        members.setdefault(root(item.slug), []).append(item)
    by_root = {key: _oldest_first(group) for key, group in members.items() if len(group) > 1}
    return {item.slug: by_root.get(root(item.slug), ()) for item in site.items}


def item_links(site: Site, body_links: Mapping[str, frozenset[str]]) -> dict[str, ItemLinks]:
    by_slug = site.item_by_slug
    followed_by: dict[str, list[Item]] = {}
    superseded_by: dict[str, list[Item]] = {}
    mentioned_in: dict[str, set[str]] = {}
    for item in site.items:
        for target, reverse in ((item.follows, followed_by), (item.supersedes, superseded_by)):
            if target in by_slug and target != item.slug:
                reverse.setdefault(target, []).append(item)  # type: ignore[arg-type]
                mentioned_in.setdefault(target, set()).add(item.slug)  # type: ignore[arg-type]
        for target in body_links[item.slug]:
            mentioned_in.setdefault(target, set()).add(item.slug)
    thread_of = threads(site)
    older = {issue.id: site.issues[n + 1] for n, issue in enumerate(site.issues[:-1])}
    newer = {issue.id: site.issues[n - 1] for n, issue in enumerate(site.issues) if n}

    def other(item: Item, slug: str | None) -> Item | None:
        return by_slug.get(slug) if slug and slug != item.slug else None  # type: ignore[return-value]

    return {
        item.slug: ItemLinks(
            follows=other(item, item.follows),
            followed_by=_oldest_first(followed_by.get(item.slug, ())),
            supersedes=other(item, item.supersedes),
            superseded_by=_oldest_first(superseded_by.get(item.slug, ())),
            thread=thread_of[item.slug],
            mentioned_in=_newest_first([by_slug[s] for s in mentioned_in.get(item.slug, ())]),
            links_to=_newest_first([by_slug[s] for s in body_links[item.slug]]),
            previous_issue=older.get(item.issue),
            next_issue=newer.get(item.issue),
        )
        for item in site.items
    }
