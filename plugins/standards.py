"""Standards and committees: a page for each identifier the archive mentions.

Pages and files:

- ``/standards/``: every standard, grouped by family (Chinese national, Chinese
  sector, ISO and IEC, ITU, European), with item counts, then every committee;
- ``/standards/<slug>/`` (``/standards/gb-t-35273/``): the editions mentioned
  (``GB/T 35273-2017`` and ``-2020`` are editions of one standard), the items
  that mention it, newest first and paginated, and the committees mentioned
  in the same items; ``/committees/<slug>/`` (``/committees/sac-tc260/``)
  likewise, with the standards mentioned beside it;
- an Atom feed and a JSON Feed beside each of those pages (``feed.xml``,
  ``feed.json``), so that a reader can follow ``TC260``.

Identifiers are recognised by ``gazette.content.identifiers`` (its docstring
lists what counts and which near misses never do) in item titles, summaries
and bodies, never in code or in links other than its own. The first mention of
each in a body links to its page (``gazette.render.standard_links``, in the
render stage, so cached with the body). ``link`` returns a ``StandardsIndex``
(``site.data["standards"]``): item pages list "Standards in this item" from
``of(slug)``, and the search plugin adds the identifiers to its records.

``content/standards.yml`` is optional. Keyed by any spelling the recogniser
accepts, it gives a ``title``, a ``status`` (``draft``, ``published``,
``withdrawn`` or ``replaced``), ``replaced_by`` (another identifier) and ``url``
(the official record); without it the pages show what the archive says. A key
that is not an identifier, an unknown field or status is an error naming the
line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from yaml.nodes import MappingNode

from gazette.content import identifiers
from gazette.content.fields import did_you_mean
from gazette.content.files import read_project_file
from gazette.content.yamlstrict import load_mapping
from gazette.diagnostics import ContentError, Diagnostic, error
from gazette.model import Config, Item, Site
from gazette.output.paging import paginate
from gazette.output.urls import Urls
from gazette.plugins import MenuEntry, Option, Page, StaticFile, import_file
from gazette.render.standard_links import item_identifiers, page_url, source_version

OPTIONS = {
    "page_size": Option(int, 20, "items per standard or committee page (at least 1)", minimum=1),
    "feed_limit": Option(int, 20, "entries in each standard's feed, newest first (0: all)"),
    "related": Option(int, 8, "committees or standards shown beside each page", minimum=0),
}

FILE = "content/standards.yml"
STATUSES = ("draft", "published", "withdrawn", "replaced")
FIELDS = ("title", "status", "replaced_by", "url")
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Info:
    """What ``standards.yml`` says of one identifier."""

    title: str = ""
    status: str = ""
    replaced_by: str = ""  # canonical, with its edition if given: "GB/T 35273-2020"
    url: str = ""


@dataclass(frozen=True)
class Entry:
    """One standard or committee, with the items that mention it."""

    kind: str  # "standard" or "committee"
    key: str  # "GB/T 35273", "SAC/TC 260"
    slug: str
    family: str
    items: tuple[Item, ...]  # newest first
    editions: tuple[tuple[str, int], ...]  # ("2020", items), newest edition first
    info: Info
    count: int  # every item, also in a heading()

    @property
    def url(self) -> str:
        return page_url(self.kind, self.slug)

    @property
    def feed(self) -> str:
        return f"{self.url}feed.xml"

    @property
    def cited_editions(self) -> tuple[tuple[str, int], ...]:
        """(``GB/T 35273-2020``, items) for each edition mentioned, newest first."""
        joiner = "-" if self.family.startswith("cn") else ":"
        return tuple((f"{self.key}{joiner}{edition}", n) for edition, n in self.editions)

    def heading(self) -> Entry:
        """Without its items, for page contexts (as tags' ``heading``)."""
        return replace(self, items=())


@dataclass(frozen=True)
class StandardsIndex:
    entries: Mapping[str, Entry]  # by key, sorted by family then key
    by_item: Mapping[str, tuple[str, ...]]  # item slug -> keys, in order of mention
    beside: Mapping[str, tuple[tuple[str, int], ...]]  # key -> (other kind's key, items shared)

    def of(self, item_slug: str) -> tuple[Entry, ...]:
        """The standards and committees an item mentions, standards first."""
        found = [self.entries[key].heading() for key in self.by_item.get(item_slug, ())]
        return tuple(sorted(found, key=lambda e: e.kind != "standard"))

    def url_of(self, text: str) -> str | None:
        ref = identifiers.parse_key(text)
        entry = self.entries.get(ref.key) if ref else None
        return entry.url if entry else None


# --------------------------------------------------------------------------- standards.yml


def _scalar(node: Any) -> str:
    value = getattr(node, "value", None)
    return value.strip() if isinstance(value, str) else ""


def parse_info(path: str, text: str) -> tuple[dict[str, Info], list[Diagnostic]]:
    """``standards.yml`` as {canonical key: Info}, and its problems."""
    top, out = load_mapping(path, text, 0)
    infos: dict[str, Info] = {}
    for raw, field in top.items():
        ref = identifiers.parse_key(raw)
        if ref is None:
            out.append(
                error(
                    path,
                    field.key_line,
                    "standards-key",
                    f"'{raw}' is not a standard or committee identifier Gazette recognises",
                    "write it as the archive does, e.g. GB/T 35273, ISO/IEC 30145-3, SAC/TC 260",
                )
            )
            continue
        if not isinstance(field.node, MappingNode):
            out.append(
                error(
                    path,
                    field.line,
                    "standards-shape",
                    f"{ref.key} needs fields, not a single value",
                    "indent title:, status:, replaced_by: or url: under it",
                )
            )
            continue
        values: dict[str, str] = {}
        for key_node, value_node in field.node.value:
            name, line = _scalar(key_node), key_node.start_mark.line + 1
            if name not in FIELDS:
                close = did_you_mean(name, FIELDS)
                fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(FIELDS)}"
                out.append(
                    error(
                        path,
                        line,
                        "standards-field",
                        f"unknown field '{name}' for {ref.key}",
                        fix,
                    )
                )
                continue
            values[name] = _scalar(value_node)
        status = values.get("status", "")
        if status and status not in STATUSES:
            out.append(
                error(
                    path,
                    field.key_line,
                    "standards-status",
                    f"unknown status '{status}' for {ref.key}",
                    f"use one of: {', '.join(STATUSES)}",
                )
            )
        replaced = values.get("replaced_by", "")
        successor = identifiers.parse_key(replaced) if replaced else None
        if replaced and successor is None:
            out.append(
                error(
                    path,
                    field.key_line,
                    "standards-key",
                    f"replaced_by '{replaced}' of {ref.key} is not an identifier",
                    "write the successor's identifier, e.g. GB/T 35273-2020",
                )
            )
        url = values.get("url", "")
        if url and not re.match(r"https?://[^\s/]+", url):
            out.append(
                error(
                    path,
                    field.key_line,
                    "standards-url",
                    f"url '{url}' of {ref.key} is not a web address",
                    "write the official record's address, starting with https://",
                )
            )
            url = ""
        infos[ref.key] = Info(
            title=values.get("title", ""),
            status=status if status in STATUSES else "",
            replaced_by=successor.designation if successor else "",
            url=url,
        )
    return infos, out


def read_info(config: Config) -> dict[str, Info]:
    project = Path(config.project) if config.project else None
    if project is None or not (project / FILE).is_file():
        return {}
    try:
        text = read_project_file(project, project / FILE, "content").decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = error(FILE, 0, "encoding", "the file is not UTF-8", "save it as UTF-8")
        raise ContentError([problem]) from exc
    infos, problems = parse_info(FILE, text)
    if any(d.is_error for d in problems):
        raise ContentError(problems)
    return infos


# --------------------------------------------------------------------------- hooks


def markdown_extensions(*, config: Config, **kwargs: Any) -> list[tuple[str, dict]]:
    """Runs while loading: links the first mention of each identifier in a body."""
    base_path = Urls(config.site.base_url).base_path
    return [
        (
            "gazette.render.standard_links:StandardLinksExtension",
            {"base_path": base_path, "version": source_version()},
        )
    ]


def _family_order(entry: Entry) -> tuple[int, tuple]:
    """Family, then the key in natural order (GB/T 4754 before GB/T 34678)."""
    families = identifiers.STANDARD_FAMILIES + identifiers.COMMITTEE_FAMILIES
    ids = [family for family, _ in families]
    parts = re.split(r"(\d+)", entry.key)
    natural = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)
    return (ids.index(entry.family) if entry.family in ids else len(ids), natural)


def build_index(site: Site, infos: Mapping[str, Info], related: int = 8) -> StandardsIndex:
    """Every identifier the published items mention, a pure function of the site."""
    refs_of: dict[str, identifiers.Ref] = {}
    items_of: dict[str, list[Item]] = {}
    editions_of: dict[str, Counter] = {}
    by_item: dict[str, tuple[str, ...]] = {}
    for item in site.items:  # newest first
        keys: dict[str, None] = {}
        editions: dict[str, set[str]] = {}
        for ref in item_identifiers(item):
            refs_of.setdefault(ref.key, ref)
            keys.setdefault(ref.key)
            if ref.edition:
                editions.setdefault(ref.key, set()).add(ref.edition)
        for key in keys:
            items_of.setdefault(key, []).append(item)
            editions_of.setdefault(key, Counter()).update(editions.get(key, ()))
        if keys:
            by_item[item.slug] = tuple(keys)
    entries = [
        Entry(
            kind=ref.kind,
            key=key,
            slug=ref.slug,
            family=ref.family,
            items=tuple(items_of[key]),
            editions=tuple(sorted(editions_of[key].items(), reverse=True)),
            info=infos.get(key, Info()),
            count=len(items_of[key]),
        )
        for key, ref in refs_of.items()
    ]
    entries.sort(key=lambda e: (e.kind != "standard", *_family_order(e)))
    kinds = {entry.key: entry.kind for entry in entries}
    together: dict[str, Counter] = {entry.key: Counter() for entry in entries}
    for keys in by_item.values():
        for key in keys:
            together[key].update(o for o in keys if kinds[o] != kinds[key])
    beside = {
        key: tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:related])
        for key, counts in together.items()
    }
    return StandardsIndex(
        entries=MappingProxyType({entry.key: entry for entry in entries}),
        by_item=MappingProxyType(by_item),
        beside=MappingProxyType(beside),
    )


def link(site: Site, *, options: Mapping[str, Any], **kwargs: Any) -> StandardsIndex:
    """Runs after rendering: every identifier mentioned, its items and neighbours."""
    return build_index(site, read_info(site.config), options["related"])


def menu(site: Site, **kwargs: Any) -> list[MenuEntry]:
    return [MenuEntry("Standards", "/standards/", weight=35)]


def _feeds() -> ModuleType:
    """The feeds plugin's writers (its module, loaded by path)."""
    return import_file("feeds", HERE / "feeds.py")


def _feed(entry: Entry, site: Site, urls: Urls, limit: int) -> Iterator[StaticFile]:
    """The entry's Atom feed and JSON Feed, written by the feeds plugin's writers."""
    feeds = _feeds()
    info = site.config.site
    public = tuple(item for item in entry.items if not site.is_preview(item))
    what = "standard" if entry.kind == "standard" else "committee"
    feed = feeds.Feed(
        key=f"{entry.kind}:{entry.key}",
        label=entry.key,
        title=f"{info.title}: {entry.key}",
        description=f"Items that mention the {what} {entry.key} in {info.title}",
        folder=entry.url,
        items=feeds.newest_first(public, limit),
        base_url=info.base_url,
        page=entry.url,
    )
    yield StaticFile(feed.atom_url, feeds.atom(feed, site, urls, False))
    yield StaticFile(feed.json_url, feeds.json_feed(feed, site, urls, False))


def _family_groups(entries: list[Entry], families: tuple) -> list[tuple[str, list[Entry]]]:
    return [
        (label, members)
        for family, label in families
        if (members := [entry for entry in entries if entry.family == family])
    ]


def outputs(
    site: Site, *, options: Mapping[str, Any], name: str, urls: Urls, **kwargs: Any
) -> Iterator[Page | StaticFile]:
    """Runs in the render stage: the index, a page and a feed per standard and committee."""
    index: StandardsIndex = site.data[name]
    heads = [entry.heading() for entry in index.entries.values()]
    standards = [entry for entry in heads if entry.kind == "standard"]
    committees = [entry for entry in heads if entry.kind == "committee"]
    yield Page(
        url="/standards/",
        template="standards.html",
        context={
            "standards": _family_groups(standards, identifiers.STANDARD_FAMILIES),
            "committees": _family_groups(committees, identifiers.COMMITTEE_FAMILIES),
            "title": "Standards and committees",
            "description": f"Every standard and committee mentioned in {site.config.site.title}",
        },
    )
    yield Page(
        url="/committees/",
        template="standards.html",
        context={
            "standards": [],
            "committees": _family_groups(committees, identifiers.COMMITTEE_FAMILIES),
            "title": "Committees",
            "description": f"Every committee mentioned in {site.config.site.title}",
        },
    )
    size = max(1, options["page_size"])
    for entry, head in zip(index.entries.values(), heads, strict=True):
        beside = [
            (index.entries[key].heading(), shared)
            for key, shared in index.beside.get(entry.key, ())
        ]
        for pager in paginate(entry.items, size, entry.url):
            yield Page(
                url=pager.url,
                template="standard.html",
                context={
                    "entry": head,
                    "items": pager.items,
                    "pager": pager,
                    "beside": beside,
                    "title": pager.title(entry.key),
                    "description": entry.info.title
                    or f"Items of {site.config.site.title} that mention {entry.key}",
                },
            )
        yield from _feed(entry, site, urls, options["feed_limit"])
