"""Full-text search of the archive, in the browser, with no server.

Pages:

- ``/search/``: the search page (``search.html``); ``search.js`` adds a search
  box to the header of every page and runs queries against one of three engines.

Engines (option ``engine``):

- ``gazette`` (default): Gazette's own index, postings chunked by prefix under
  ``/search/gazette/`` (``_search_postings.py``; its words are search.js's,
  ``_search_words.py``). The browser fetches a small manifest, the chunks of
  the words typed and a file per result shown: about 60 KB before the first
  results at 10,000 items. An edit patches the postings of the changed item.
- ``pagefind``: Pagefind's command line (``pagefind_bin``, from PyPI, found
  by the `pagefind` package) writes a chunked index under ``/pagefind/``.
  The browser fetches only the chunks a query needs (about 610 KB before the
  first results at 10,000 items, in 16 shards), so it suits archives of any
  size. Each record is written as a small page of its own for Pagefind to
  read, not taken from the built HTML, with filters (tag, section, issue,
  year), a ``date`` sort and display metadata.
- ``lunr``: `lunr` (lunr.py) prebuilds a lunr.js index with field boosts, written
  to ``/search/lunr-index.json`` with ``/search/lunr-docs.json`` (what results
  show) and ``lunr.min.js`` from the npm ``lunr`` package (pinned in
  ``theme/vendor/package.json``, installed by ``python3 dev.py``). The browser
  downloads all of it before the first result, so a warning recommends
  ``gazette`` once the gzipped files pass ``lunr_warn_bytes``.

``link`` returns ``SearchData``: one ``Record`` per public item (never a draft
or a scheduled item), a pure function of the site and its glossary, and a digest
of each record. Each record
carries the canonical tags and their aliases (so ``Standardization`` finds items
tagged ``Standardisation``), glossary synonyms (so ``MIIT`` and ``Ministry of
Industry and Information Technology`` find each other) and, when the standards
plugin is enabled, the canonical identifiers the item mentions (so ``SAC/TC
260`` finds items that write ``TC260``), which are also the ``standard`` facet.

Rebuilds cost in proportion to what changed:

- records: the costly part of a record (its glossary synonyms) is kept in the
  plugin's cache under a digest of what the record is made from (URL, title,
  date, issue and section titles, tags and aliases, summary, text), so a build
  recomputes only the records of changed items. The rest of a record (the body
  with its whitespace collapsed) is cheaper to redo than to load.
- Pagefind: the records are split into shards, each indexed and cached on its
  own (``_search_index.py`` explains the shard rule), so one edited item
  re-indexes one shard of at most ``shard_records`` records.
- lunr: one index for the whole archive, rebuilt whole when any record changes
  (lunr.js cannot merge indexes, and lunr is meant for small archives); the
  records are not recomputed, and a build in which no record changed reuses it.

This module is longer than the project's ~400 lines because it holds both
engines, the records with their glossary synonyms, and the hooks; the
Pagefind shards live in ``_search_index.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from gazette import parallel
from gazette.diagnostics import ContentError, Diagnostic, error, warning
from gazette.model import GlossaryEntry, Item, Site
from gazette.plugin_cache import PluginCache, cache_key, code_digest, file_digest
from gazette.plugins import Deferred, KeptFile, Option, Page, StaticFile, import_file
from gazette.render.standard_links import item_identifiers

HERE = Path(__file__).resolve().parent

# ``link`` reads only the site and its glossary, never another plugin's data:
# run it first, so that Pagefind indexes while the other plugins link.
LINK_FIRST = True


def _helper(name: str) -> ModuleType:
    """``_<name>.py`` beside this file."""
    return import_file(name, HERE / f"_{name}.py")


index = _helper("search_index")
postings = _helper("search_postings")
# A digest of the code that turns items into records and records into index
# files: part of every cache key, so a changed plugin never reuses old files.
CODE = code_digest(
    *(HERE / name for name in ("search.py", "_search_index.py", "_search_postings.py")),
    HERE / "_search_words.py",
    HERE / "_pagefind_files.py",
)

ENGINES = ("pagefind", "lunr", "gazette")
T = TypeVar("T")
OPTIONS = {
    "engine": Option(
        str,
        "gazette",
        "gazette (Gazette's own chunked index: the fewest bytes per query), pagefind "
        "(Pagefind's chunked index) or lunr (one index, small archives)",
        ENGINES,
    ),
    "lunr_warn_bytes": Option(
        int, 1_000_000, "warn when the gzipped lunr files pass this many bytes", minimum=0
    ),
    "shard_records": Option(
        int,
        index.SHARD_RECORDS,
        "pagefind: most records per index bundle (less memory while indexing, "
        "fewer re-indexed records per edit; more requests per search)",
        minimum=1,
    ),
}
VENDOR = HERE.parent / "theme" / "vendor"
LUNR_JS = VENDOR / "node_modules" / "lunr" / "lunr.min.js"
SETUP_COMMAND = "python3 dev.py build (it runs: npm ci --prefix theme/vendor)"
# Field weights: title and tags over summary over body (lunr boosts; Pagefind's are in
# _search_index.PAGEFIND_WEIGHTS).
# Between two blocks of a record's body (a heading and the paragraph after it):
# a word of its own, which no query matches, so that search.js never runs an
# excerpt across it ("Mandatory requirements On the regulatory side").
BLOCK = "¶"
LUNR_FIELDS = (
    ("title", 10),
    ("tags", 10),
    ("standards", 5),
    ("summary", 3),
    ("synonyms", 1),
    ("body", 1),
)
pagefind_record = index.pagefind_record


@dataclass(frozen=True)
class Record:
    """What search knows of one item: display fields and the text it matches."""

    url: str  # site-relative: /items/<slug>/
    title: str
    date: str  # ISO 8601
    issue: str  # the issue's title
    section: str  # the section's title
    tags: tuple[str, ...]  # canonical names
    aliases: tuple[str, ...]  # every alias of those tags
    summary: str
    # plain text of the rendered body, a block per line (the item's own string,
    # not a copy): ``body`` joins the blocks when a record is indexed
    text: str
    synonyms: tuple[str, ...]  # glossary expansions or abbreviations the item lacks
    # canonical identifiers it mentions (GB/T 35273, SAC/TC 260), when the
    # standards plugin is enabled: extra tokens, and the "standard" facet
    standards: tuple[str, ...] = ()

    @property
    def year(self) -> str:
        return self.date[:4]

    @property
    def body(self) -> str:
        """The text with its blocks joined by " ¶ ", made when asked for: most records
        of an incremental build are never indexed again, and joining every body
        took 0.55 s at 10,000 items."""
        return f" {BLOCK} ".join(self.text.splitlines())


def _digest(parts: Iterable[str | Iterable[str]]) -> str:
    """A digest of strings and tuples of strings, each length-prefixed (no two inputs collide)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        strings = (part,) if isinstance(part, str) else (len(part), *part)
        for value in strings:
            data = str(value).encode()
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
    return digest.hexdigest()


def digest(rec: Record) -> str:
    """A digest of everything in ``rec``: index files made from it are keyed by it."""
    return _digest(
        (
            rec.url,
            rec.title,
            rec.date,
            rec.issue,
            rec.section,
            rec.tags,
            rec.aliases,
            rec.summary,
            rec.body,
            rec.synonyms,
            rec.standards,
        )
    )


@dataclass(frozen=True)
class SearchData:
    """``site.data["search"]``: the engine (templates read it), the records and their digests.

    ``bundle`` waits for the Pagefind files, which ``link`` starts to make in
    the background (None for lunr). ``meanwhile``: an incremental build on
    Gazette's engine or Pagefind, whose records and index a forked copy makes
    (``pending``); ``records`` and ``digests`` are then empty.
    """

    engine: str
    records: tuple[Record, ...]
    digests: tuple[str, ...] = ()
    bundle: Callable[[], list[StaticFile | KeptFile]] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    meanwhile: bool = False  # the records and index are made in a forked copy
    # That copy (``parallel.Pending``), started by ``link`` when building.
    pending: Any = dataclasses.field(default=None, compare=False, repr=False)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Phrase:
    """An abbreviation (kept as written) or an expansion (casefolded) of the glossary."""

    entry: GlossaryEntry
    text: str  # whitespace collapsed


@dataclass(frozen=True)
class Thesaurus:
    """The glossary: abbreviations match with their case, expansions in any case."""

    abbreviations: tuple[Phrase, ...]
    expansions: tuple[Phrase, ...]


def _phrase(entry: GlossaryEntry, text: str) -> Phrase:
    text = " ".join(text.split())
    return Phrase(entry, text)


def thesaurus(glossary: Sequence[GlossaryEntry]) -> Thesaurus:
    return Thesaurus(
        tuple(_phrase(entry, entry.abbr) for entry in glossary),
        tuple(_phrase(entry, entry.expansion.casefold()) for entry in glossary),
    )


def _joined(neighbours: str) -> bool:
    """Whether a phrase continues into ``neighbours`` (nearest character first).

    A letter, digit or underscore continues it, and so does "/" or "&" before
    one: "GB" inside "GB/T" is another term.
    """
    if not neighbours:
        return False
    first = neighbours[0]
    if first.isalnum() or first == "_":
        return True
    return (
        first in "/&" and len(neighbours) > 1 and (neighbours[1].isalnum() or neighbours[1] == "_")
    )


def occurs(phrase: str, text: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words."""
    start = text.find(phrase)
    while start != -1:
        end = start + len(phrase)
        if not _joined(text[max(0, start - 2) : start][::-1]) and not _joined(text[end : end + 2]):
            return True
        start = text.find(phrase, start + 1)
    return False


def synonyms(text: str, words: Thesaurus) -> tuple[str, ...]:
    """Expansions of the abbreviations ``text`` uses, and abbreviations of its expansions.

    Only the side that is missing is added: an item that writes both needs neither.
    Abbreviations match with their case (MOST is not "most"), expansions in any case.
    """
    # Bodies have typographic apostrophes (smarty); glossary.yml is typed plainly.
    text = " ".join(text.replace("\u2019", "'").split())
    folded = text.casefold()
    # ``occurs`` starts with str.find, a C scan per phrase: cheaper than first
    # splitting a 500-word body into a set of words (all records at 10,000
    # items with 15 glossary entries: 4.0 s -> 2.4 s under cProfile).
    abbreviations = {p.entry for p in words.abbreviations if occurs(p.text, text)}
    expansions = {p.entry for p in words.expansions if occurs(p.text, folded)}
    found = [e.expansion for e in abbreviations - expansions]
    found += [e.abbr for e in expansions - abbreviations]
    return tuple(sorted(found))


def _unfinished(
    item: Item, site: Site, standards: bool = False, source: bytes | None = None
) -> tuple[Record, str]:
    """The record of ``item`` without its synonyms, and a digest of what it is made from.

    With ``standards`` (the standards plugin is enabled), the digest also covers
    the rendered body, from which its identifiers are read.

    ``source`` is the item's document digest when the build has one
    (``PluginCache.digests``: its file's cache key with ``site.toml`` and
    ``tags.yml``, and its rendered body's key). It stands for the summary, text
    and body, which it determines, so they are not digested again: that took
    0.9 s of a one-item build at 10,000 items.
    """
    issue = site.issue_by_id.get(item.issue)
    section = site.config.section_by_id.get(item.section)
    tags = site.vocabulary.by_name
    aliases = tuple(alias for name in item.tags if name in tags for alias in tags[name].aliases)
    rec = Record(
        url=item.url,
        title=item.title,
        date=item.date.isoformat(),
        issue=issue.title if issue else item.issue,
        section=section.title if section else item.section,
        tags=item.tags,
        aliases=aliases,
        summary=item.summary,
        text=item.text,
        synonyms=(),
    )
    made_of = (rec.url, rec.title, rec.date, rec.issue, rec.section, rec.tags, rec.aliases)
    if source is not None:
        return rec, _digest((*made_of, "document", source.hex(), "standards" if standards else ""))
    extra = ("standards", item.html) if standards else ()
    return rec, _digest((*made_of, rec.summary, item.text, *extra))


# A word of two hyphenated parts (e-commerce, cyber-security, co-operation); longer
# chains (state-of-the-art) are not written solid.
_HYPHENATED = re.compile(r"(?<![\w-])[^\W\d_]+-[^\W\d_]+(?![\w-])")


def closed_compounds(text: str) -> tuple[str, ...]:
    """Hyphenated words written solid (``e-commerce`` -> ``ecommerce``), for a
    reader who types them that way; those the text already writes solid are left out.
    """
    joined = {match.replace("-", "").casefold() for match in _HYPHENATED.findall(text)}
    present = set(re.findall(r"\w+", text.casefold()))
    return tuple(sorted(joined - present))


def _finished(rec: Record, item: Item, words: Thesaurus, standards: bool) -> Record:
    """``rec`` with its synonyms and, with ``standards``, the identifiers it mentions.

    The synonyms also hold the text's hyphenated words written solid.
    """
    used = "\n".join((rec.title, rec.summary, rec.body, " ".join(rec.tags)))
    keys = dict.fromkeys(ref.key for ref in item_identifiers(item)) if standards else {}
    found = synonyms(used, words) + closed_compounds(used)
    return dataclasses.replace(rec, synonyms=found, standards=tuple(keys))


def record(item: Item, site: Site, words: Thesaurus) -> Record:
    standards = with_standards(site)
    return _finished(_unfinished(item, site, standards)[0], item, words, standards)


def with_standards(site: Site) -> bool:
    """Whether the standards plugin is enabled: records then carry identifiers."""
    return any(spec.name == "standards" for spec in site.config.plugins)


def glossary_key(glossary: Sequence[GlossaryEntry]) -> str:
    """A cache key for what is made from the records and the glossary, with this code."""
    return cache_key(CODE, [[e.abbr, e.expansion] for e in glossary])


MEMO_SLOT = "records"
MEMO_FILE = "synonyms.json"


def records(
    site: Site, glossary: Sequence[GlossaryEntry], cache: PluginCache | None = None
) -> tuple[Record, ...]:
    """One record per public item, newest first: drafts and scheduled items never appear.

    The records of `records_and_digests`, without their digests.
    """
    return records_and_digests(site, glossary, cache)[0]


def records_and_digests(
    site: Site,
    glossary: Sequence[GlossaryEntry],
    cache: PluginCache | None = None,
    made: Callable[[str, tuple[Record, ...], tuple[str, ...]], None] | None = None,
    limit: int = index.SHARD_RECORDS,
) -> tuple[tuple[Record, ...], tuple[str, ...]]:
    """One record per public item, newest first, and the `digest` of each.

    With ``cache``, each record's synonyms (the costly part: a scan for every
    glossary phrase) are kept under a digest of what the record is made from, and
    only the records of new or changed items are computed again. The memo is
    keyed by the glossary and this plugin's code, so a change to either
    recomputes every record.

    The memo also keeps each record's digest, which is a function of what the
    record is made from and of its synonyms.

    With ``made``, the records are made a Pagefind shard at a time (shards of at
    most ``limit`` records, `index.shards`), those holding a new or changed item
    first, and ``made(shard name, its records, their digests)`` is called as each
    is complete: Pagefind can start on the first while the others are made.
    """
    words = thesaurus(glossary)
    standards = with_standards(site)
    items = site.public_items
    sources = cache.digests if cache is not None else {}
    unfinished = [_unfinished(item, site, standards, sources.get(item.path)) for item in items]
    key = glossary_key(glossary)
    memo: dict = {}
    if cache is not None:
        stored = cache.load(MEMO_SLOT, key) or {}
        try:
            memo = json.loads(stored.get(MEMO_FILE, b"{}"))
        except ValueError:
            memo = {}
    if made is None:
        groups = {"": list(range(len(items)))}
    else:
        groups = index.shards([rec.url for rec, _ in unfinished], limit)
    order = sorted(groups, key=lambda name: all(unfinished[n][1] in memo for n in groups[name]))
    done: list[Record | None] = [None] * len(items)
    digests = [""] * len(items)
    kept: dict[str, list] = {}
    for name in order:
        for n in groups[name]:
            rec, made_of = unfinished[n]
            found = memo.get(made_of)
            if isinstance(found, list) and len(found) == 3 and isinstance(found[2], str):
                rec = dataclasses.replace(rec, synonyms=tuple(found[0]), standards=tuple(found[1]))
                digests[n] = found[2]
            else:
                rec = _finished(rec, items[n], words, standards)
                digests[n] = digest(rec)
            kept[made_of] = [list(rec.synonyms), list(rec.standards), digests[n]]
            done[n] = rec
        if made is not None:
            shard = tuple(done[n] for n in groups[name])
            made(name, shard, tuple(digests[n] for n in groups[name]))  # type: ignore[arg-type]
    if cache is not None and kept != memo:
        cache.store(MEMO_SLOT, key, {MEMO_FILE: _json(dict(sorted(kept.items())))})
    return tuple(done), tuple(digests)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- pagefind


def check_pagefind() -> None:
    """Raise the setup error that says how to install Pagefind, if it is missing."""
    try:
        import pagefind.index  # noqa: F401
        from pagefind.service import get_executable
    except ImportError as exc:
        raise _setup_error(
            "the pagefind package is not installed", "pip install 'pagefind[bin]'"
        ) from exc
    if get_executable() is None:
        raise _setup_error("the pagefind binary is missing", "pip install 'pagefind[bin]'")


class ShardFeed:
    """Shards handed from the thread that makes the records to the one that indexes them.

    ``put`` (the ``made`` of `records`) is called in the first; iterating yields
    each shard in the second, until ``close``. ``close(failed=True)`` (the records
    could not be made) makes the iteration raise instead of indexing a part.
    """

    _END = object()

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, name: str, recs: tuple[Record, ...], digests: tuple[str, ...]) -> None:
        self._queue.put(index.Shard(name, recs, digests))

    def close(self, failed: bool = False) -> None:
        failure = RuntimeError("the search records could not be made")
        self._queue.put(failure if failed else self._END)

    def __iter__(self) -> Iterator[index.Shard]:
        while True:
            shard = self._queue.get()
            if shard is self._END:
                return
            if isinstance(shard, Exception):
                raise shard
            yield shard


# --------------------------------------------------------------------------- lunr


def reuse(
    cache: PluginCache | None, slot: str, key_parts: tuple, build: Callable[[], dict[str, bytes]]
) -> dict[str, bytes]:
    """``build()``'s files, or the same files from the last build when nothing they
    depend on (``key_parts``) has changed.
    """
    if cache is None:
        return build()
    key = cache_key(*key_parts)
    files = cache.load(slot, key)
    if files is None:
        files = build()
        cache.store(slot, key, files)
    return files


def lunr_document(ref: int, rec: Record) -> dict[str, str]:
    return {
        "id": str(ref),
        "title": rec.title,
        "tags": " ".join((*rec.tags, *rec.aliases)),
        "summary": rec.summary,
        "synonyms": " ".join(rec.synonyms),
        "standards": " ".join(rec.standards),
        "body": rec.body,
    }


# What a lunr result shows (the position in the list is the lunr ``ref``): the
# same fields as a record file of the gazette engine.
lunr_display = postings.display


_json = postings._json  # compact JSON, UTF-8


def lunr_files(
    recs: Sequence[Record],
    cache: PluginCache | None = None,
    *,
    digests: Sequence[str] | None = None,
) -> dict[str, bytes]:
    """The prebuilt lunr.js index and the documents file: {url: bytes}.

    One index for the whole archive: lunr.js cannot merge indexes, so any record
    change rebuilds it all (lunr is the engine for small archives). A build in
    which no record changed reuses it, keyed by the records' digests.
    """
    try:
        from lunr import lunr
    except ImportError as exc:
        raise _setup_error(
            "the lunr package (lunr.py) is not installed", "pip install lunr"
        ) from exc
    if digests is None:
        digests = [digest(rec) for rec in recs]

    def build() -> dict[str, bytes]:
        documents = [lunr_document(n, rec) for n, rec in enumerate(recs)]
        display = [lunr_display(rec) for rec in recs]
        built = lunr(
            ref="id",
            fields=[{"field_name": name, "boost": boost} for name, boost in LUNR_FIELDS],
            documents=documents,
        )
        return {
            "/search/lunr-index.json": _json(built.serialize()),
            "/search/lunr-docs.json": _json(display),
        }

    key = (index.version("lunr"), LUNR_FIELDS, CODE, list(digests))
    return reuse(cache, "lunr", key, build)


def gzipped_size(files: Iterable[bytes]) -> int:
    """Bytes on the wire when served gzipped (level 6, as GitHub Pages and our server)."""
    return sum(len(gzip.compress(data, compresslevel=6, mtime=0)) for data in files)


def size_warning(size: int, limit: int, path: str, line: int) -> Diagnostic | None:
    """A warning recommending the gazette engine when the lunr files weigh more than ``limit``."""
    if size <= limit:
        return None
    return warning(
        path,
        line,
        "search-index-size",
        f"the lunr search index and documents weigh {size / 1e6:.1f} MB gzipped, over "
        f"{limit / 1e6:g} MB: readers download all of it before the first result",
        'set engine = "gazette" (the default) in [plugins.search]; it loads only what a '
        "query needs",
    )


def lunr_script() -> bytes:
    if not LUNR_JS.is_file():
        raise _setup_error(
            f"lunr.js is not installed ({LUNR_JS.relative_to(VENDOR.parent.parent)} is missing)",
            f"run {SETUP_COMMAND}",
        )
    return LUNR_JS.read_bytes()


# --------------------------------------------------------------------------- hooks


def _setup_error(message: str, fix: str) -> ContentError:
    return ContentError([error("site.toml", 0, "search-setup", f"search: {message}", fix)])


def link(
    site: Site,
    *,
    options: Mapping[str, Any],
    cache: PluginCache | None = None,
    building: bool = False,
    **kwargs: Any,
) -> SearchData:
    """Runs after loading: the records of every public item, and their digests.

    With Pagefind, it also starts indexing the shards whose records changed, in
    the background, each as soon as its records are made (`records` makes those
    with a changed item first), so that the work overlaps the other records, the
    other plugins' hooks and the rendering of the pages; ``outputs`` hands the
    core a ``Deferred`` that waits for it. In an incremental build of a large
    archive (`_kept_index`) and only when ``building``, the records and index
    (Pagefind's or Gazette's) are made instead in a forked copy started here,
    and the result holds no records. (Its only effect besides the result is
    the plugin's own cache.)
    """
    engine = options["engine"]
    if engine in ("gazette", "pagefind") and cache is not None and _kept_index(site, cache):
        # An incremental build: the records and the index are made meanwhile,
        # in a forked copy started now, while the other plugins link and the
        # core renders; ``outputs`` hands the core what it will send. Not when
        # ``serve`` only links to preview (``building`` is False): no files
        # are written then.
        limit = max(1, options["shard_records"])
        work = (
            (lambda: _gazette_index(site, cache))
            if engine == "gazette"
            else (lambda: _pagefind_index(site, cache, limit))
        )
        shape = _index_shape if engine == "gazette" else _pagefind_shape
        pending = parallel.in_background(work, valid=shape) if building else None
        return SearchData(engine, (), (), meanwhile=True, pending=pending)
    if engine != "pagefind":
        return SearchData(engine, *records_and_digests(site, site.glossary, cache))
    recs, digests, wait = _pagefind_started(site, cache, max(1, options["shard_records"]))
    return SearchData(engine, recs, digests, lambda: _pagefind_outputs(wait(), cache))


def _pagefind_started(
    site: Site, cache: PluginCache | None, limit: int
) -> tuple[tuple[Record, ...], tuple[str, ...], Callable[[], dict[str, bytes | index.Stored]]]:
    """The records and their digests, with Pagefind started on them in a thread,
    and the function that waits for its files.

    Pagefind starts on the first shard while the other records are made.
    """
    feed = ShardFeed()
    language = site.config.site.language

    def index_shards() -> dict[str, bytes | index.Stored]:
        check_pagefind()
        return index.pagefind_bundles(feed, language, cache, code=CODE)

    wait = background(index_shards)
    try:
        recs, digests = records_and_digests(site, site.glossary, cache, feed.put, limit)
    except BaseException:
        feed.close(failed=True)
        raise
    feed.close()
    return recs, digests, wait


def _pagefind_index(site: Site, cache: PluginCache, limit: int) -> dict[str, bytes | index.Stored]:
    """Every file under ``/pagefind/``, made in a forked copy; the files of reused
    bundles are named (``Stored``), not read."""
    return _pagefind_started(site, cache, limit)[2]()


def _pagefind_shape(found: object) -> bool:
    return isinstance(found, dict) and all(
        isinstance(path, str)
        and (
            isinstance(data, bytes)
            or (
                isinstance(data, tuple)
                and len(data) == 4
                and all(isinstance(part, str) for part in data)
            )
        )
        for path, data in found.items()
    )


def _pagefind_outputs(
    files: Mapping[str, bytes | index.Stored], cache: PluginCache | None
) -> list[StaticFile | KeptFile]:
    """The files under ``/pagefind/``: those of reused bundles as ``KeptFile``, which
    the core reads from the cache only if the site does not hold them already."""
    read = _stored_reader(cache)
    return [
        StaticFile(f"/pagefind/{path}", data)
        if isinstance(data, bytes)
        else KeptFile(f"/pagefind/{path}", data[0], functools.partial(read, data))
        for path, data in files.items()
    ]


def _stored_reader(cache: PluginCache | None) -> Callable[[index.Stored], bytes]:
    """Reads a ``Stored`` file from the cache, a bundle at a time (the last two are kept:
    the core asks for a bundle's files one after the other, in URL order)."""

    @functools.lru_cache(maxsize=2)
    def bundle(slot: str, key: str) -> dict[str, bytes] | None:
        return cache.load(slot, key) if cache is not None else None

    def read(stored: index.Stored) -> bytes:
        digest, slot, key, name = stored
        data = (bundle(slot, key) or {}).get(name)
        if data is None or file_digest(data) != digest:
            where = cache.folder / f"{slot}.zip" if cache is not None else slot
            raise ContentError(
                [
                    error(
                        str(where),
                        0,
                        "cache-damaged",
                        f"search: the cached Pagefind file {name} is missing or damaged",
                        f"delete {where} (or all of .gazette-cache/) and build again",
                    )
                ]
            )
        return data

    return read


def gazette_files(
    recs: Sequence[Record],
    digests: Sequence[str],
    glossary: Sequence[GlossaryEntry],
    cache: PluginCache | None,
) -> dict[str, bytes]:
    """The files of Gazette's own index (``_search_postings.py``): {URL: bytes}."""
    words = thesaurus(glossary)
    expand = lambda text: synonyms(text, words)  # noqa: E731
    return postings.index_files(recs, digests, cache, glossary_key(glossary), expand)


def _kept_index(site: Site, cache: PluginCache) -> bool:
    """Whether the records and index are best made meanwhile, in a forked copy
    (Gazette's engine or Pagefind).

    An archive of ``parallel.BACKGROUND_ITEMS`` items or more, whose records
    were kept by the last build (an incremental build). A cold build makes them
    here: the copy would add to its memory peak for little time.
    """
    return len(site.items) >= parallel.BACKGROUND_ITEMS and cache.holds(
        MEMO_SLOT, glossary_key(site.glossary)
    )


def _gazette_index(site: Site, cache: PluginCache) -> dict[str, bytes]:
    recs, digests = records_and_digests(site, site.glossary, cache)
    return gazette_files(recs, digests, site.glossary, cache)


def _made(data: SearchData, work: Callable[[], T]) -> Callable[[], T]:
    """What collects the index: the copy's result, or, when ``link`` started no copy
    (it was not building, yet the files are asked for), ``work`` done here then."""
    pending = data.pending
    return pending.result if pending is not None else work


def _index_shape(found: object) -> bool:
    return isinstance(found, dict) and all(
        isinstance(url, str) and isinstance(data, bytes) for url, data in found.items()
    )


def _static(files: Mapping[str, bytes]) -> list[StaticFile]:
    return [StaticFile(url, content) for url, content in files.items()]


def background(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` in a thread; the returned function waits for its result.

    An exception in ``work`` is raised again by the waiting function, so a
    failed index fails the build as it did when it ran in the hook.
    """
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["files"] = work()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, name="gazette-search-index", daemon=True)
    thread.start()

    def wait() -> T:
        thread.join()
        if "error" in result:
            raise result["error"]
        return result["files"]

    return wait


def outputs(
    site: Site,
    *,
    options: Mapping[str, Any],
    name: str,
    cache: PluginCache | None = None,
    **kwargs: Any,
) -> Iterator[Page | StaticFile | Diagnostic]:
    """Runs in the render stage: the search page, the engine's files and size warnings."""
    data: SearchData = site.data[name]
    yield Page(
        url="/search/",
        template="search.html",
        context={
            "title": "Search",
            "description": f"Search the full text of {site.config.site.title}",
            "engine": data.engine,
        },
    )
    if data.engine == "pagefind":
        # Indexing started in ``link`` (or, in an incremental build, starts now in
        # a forked copy that makes the records too) and runs while the core
        # renders the pages (Pagefind is a process of its own, on the other
        # core); the core collects the files after the last page.
        if data.meanwhile:
            limit = max(1, options["shard_records"])
            made = _made(data, lambda: _pagefind_index(site, cache, limit))
            yield Deferred(lambda: _pagefind_outputs(made(), cache))
        elif data.bundle is not None:
            yield Deferred(data.bundle)
        return
    if data.engine == "gazette":
        if data.meanwhile:  # the core collects the files after the last page
            made = _made(data, lambda: _gazette_index(site, cache))
            yield Deferred(lambda: _static(made()))
            return
        yield from _static(gazette_files(data.records, data.digests, site.glossary, cache))
        return
    script = lunr_script()
    files = lunr_files(data.records, cache, digests=data.digests or None)
    for url, content in files.items():
        yield StaticFile(url, content)
    yield StaticFile("/search/lunr.min.js", script)
    line = next((spec.line for spec in site.config.plugins if spec.name == name), 0)
    found = size_warning(
        gzipped_size(files.values()), options["lunr_warn_bytes"], site.config.path, line
    )
    if found:
        yield found
