"""The Pagefind side of the search plugin: records into index bundles, by shard.

Package-private helper of ``plugins/search.py`` (which loads it by path: plugins
are files, not an installed package). It is a module of its own because the
sharding, the per-shard cache and the runs of Pagefind together doubled the
plugin past 600 lines; ``search.py`` keeps the records, lunr and the hooks, and
``_pagefind_files.py`` makes Pagefind's files deterministic. It stays near 500
lines because the shard rule, the pages Pagefind reads, its runs and the merge
of the bundles are one path that reads best in one place.

Why shards. Pagefind cannot update an index in place, and its binary holds every
record of an index in memory while it builds it (about 280 MB per 1,000 records:
3.3 GB at 10,000 items). So the records are split into several bundles, each
indexed by its own short-lived Pagefind process, one after the other (memory is
bounded by one shard, not the archive), each cached in the plugin's
``PluginCache`` under a digest of its records and reused while they do not
change. The browser loads the first bundle with ``import()`` and adds the others
with Pagefind's ``mergeIndex`` (``theme/static/search.js``).

The shard rule: a binary trie on a hash of the item's URL (blake2b of
``/items/<slug>/``). Start with one shard holding every record; a shard that
holds more than ``shard_records`` (default 1,000) records splits in two by the
next bit of the hash, again and again. The shards are the leaves, named by their
bits (``0110``). It is a pure function of the set of URLs, so an incremental
build and a build from scratch always agree, and it is stable:

- editing an item changes only its own shard (its digest changes, nothing moves);
- adding or deleting an item changes only its own shard, except when that pushes
  the shard past the limit (it splits in two: about 1,000 records re-indexed) or
  brings two sibling shards back under it (they merge). Nothing else ever moves,
  so no single edit re-indexes more than about 1,000 records;
- a hash spreads every year and topic over every shard, so each shard's word
  statistics (Pagefind ranks with BM25, per bundle) look like the whole
  archive's, and merged results rank almost as one index would (tests measure
  this). Shards by year were the alternative: they keep old years untouched, but
  their sizes follow the archive (one busy year can exceed any memory bound, a
  thin one costs readers a bundle for a handful of items), and their word
  statistics differ by year, which skews the merged ranking.

At 10,000 items the trie has 16 shards of about 625 records (a shard splits at
1,001). The default is a trade measured at 10,000 items (bench/README.md,
"Search" and "Fourteenth session"): 1,000-record shards keep each Pagefind
process near 250 MB and make a one-item edit re-index about 625 records (that
build took 13.0 s with 1,500, 10.8-11.2 s with 1,000); they cost a reader's
first search more requests and bytes than 1,500 (16 shards instead of 8). A site
whose readers matter more than its editors' saves can set ``shard_records =
1500`` or more: fewer bundles, each Pagefind process holding about 280 MB per
1,000 records of its shard.

Sorting by date cannot be left to Pagefind across shards: its sort gives each
result its position in its own bundle, which does not compare across bundles.
So every build also writes ``/pagefind/gazette-dates.json``, each result's id
(Pagefind's page hash, e.g. ``en_1ef3668``) mapped to its date, and search.js
orders the merged results itself. The browser fetches it only when a reader
sorts by date. ``/pagefind/gazette-shards.json`` lists the bundles to merge.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Protocol

from gazette.plugin_cache import PluginCache, cache_key, file_digest
from gazette.plugins import import_file

_files = import_file("pagefind_files", Path(__file__).resolve().parent / "_pagefind_files.py")
canonical, _complete, SIGNATURE = _files.canonical, _files.complete, _files.SIGNATURE

SHARD_RECORDS = 1_000
# A trie this deep would hold 2**24 shards: far past any archive, and it stops
# a pathological set of hashes from recursing for ever.
MAX_DEPTH = 24
# The Pagefind bundle minus its own UIs: search.js is our UI.
PAGEFIND_SKIP = re.compile(r"pagefind-(component-ui|modular-ui|ui|highlight)\.")
# What a merged bundle needs; its code (pagefind.js, worker, WebAssembly) is the primary's.
INDEX_DATA = re.compile(r"(pagefind-entry\.json|[^/]+\.pf_meta|(index|fragment|filter)/.+)$")
SHARDS_FILE = "gazette-shards.json"
DATES_FILE = "gazette-dates.json"
# Each bundle's words (lower case, 4 to 30 letters) with their counts: search.js
# builds "did you mean" from them, fetching them only when a query finds nothing.
WORDS_FILE = "gazette-words.json"
_WORD = re.compile(r"[^\W\d_]{4,30}")
# Each bundle's two-character words with a letter ("ai", "5g", "eu"), merged into
# gazette-shards.json as ``short``: search.js searches a two-character last word
# as it is typed only when it is one of these (see ``words_of``).
SHORT_FILE = "gazette-short.json"
# In a cached bundle only: each file's `file_digest`, so that it can be reused unread.
DIGESTS_FILE = "gazette-digests.json"
_SHORT = re.compile(r"(?<![^\W_])(?=\d?[a-z])[a-z0-9]{2}(?![^\W_])")
# A run of letters and digits: what ``_WORD`` and ``_SHORT`` look inside (``words_of``).
_TOKEN = re.compile(r"[^\W_]+")
SHARD_FOLDER = "shard-{}/"
# Field weights: title and tags over summary over the body.
PAGEFIND_WEIGHTS = (("title", 7), ("tags", 7), ("summary", 3))
_MARKER = re.compile(r"___(END_)?PAGEFIND_\w*")


class SearchRecord(Protocol):
    """What this module reads of ``search.Record`` (defined there)."""

    url: str
    title: str
    date: str
    issue: str
    section: str
    tags: tuple[str, ...]
    aliases: tuple[str, ...]
    summary: str
    body: str
    synonyms: tuple[str, ...]
    standards: tuple[str, ...]

    @property
    def year(self) -> str: ...


@dataclass(frozen=True)
class ShardRun:
    """One Pagefind run, for benchmarks: which shard, how many records, seconds, peak RSS."""

    shard: str
    records: int
    seconds: float
    peak_bytes: int | None  # VmHWM of the binary (Linux), None elsewhere


# Every Pagefind run of this process, appended as they happen (bench/search_bench.py reads it).
RUNS: list[ShardRun] = []


def version(distribution: str) -> str:
    import importlib.metadata  # here: Gazette's own engine, the default, needs neither

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


# --------------------------------------------------------------------------- shards


def _bits(url: str) -> str:
    digest = hashlib.blake2b(url.encode(), digest_size=8).digest()
    return format(int.from_bytes(digest, "big"), "064b")[:MAX_DEPTH]


def shards(urls: Sequence[str], limit: int = SHARD_RECORDS) -> dict[str, list[int]]:
    """The shard of every URL: {shard name: positions in ``urls``}, names in order.

    A binary trie on each URL's hash: a shard over ``limit`` records splits by the
    next bit. Empty halves are left out; no URL at all gives one empty shard ("").
    """
    bits = [_bits(url) for url in urls]
    found: dict[str, list[int]] = {}

    def split(prefix: str, members: list[int]) -> None:
        depth = len(prefix)
        if len(members) <= limit or depth >= MAX_DEPTH:
            found[prefix] = members
            return
        for bit in "01":
            half = [n for n in members if bits[n][depth] == bit]
            if half:
                split(prefix + bit, half)

    split("", list(range(len(urls))))
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------- records


def _weighted(text: str, weight: int) -> str:
    # Pagefind's digest format: its HTML parser writes these markers around
    # weighted elements (`pagefind_page` turns them back into elements).
    return f" ___PAGEFIND_WEIGHT___{weight} {text} ___END_PAGEFIND_WEIGHT___ " if text else ""


def pagefind_record(rec: SearchRecord, language: str) -> dict[str, Any]:
    """What Pagefind is told of one record (the fields of Pagefind's custom
    records), written for it as a page by `pagefind_page`.

    The body comes first so that ``meta.words`` (its word count) tells the UI
    where the text for excerpts ends; title, tags and summary follow, weighted.
    """
    body = _MARKER.sub("", rec.body)
    fields = {
        "title": rec.title,
        "tags": " ".join((*rec.tags, *rec.aliases)),
        "summary": rec.summary,
    }
    content = body + "".join(_weighted(_MARKER.sub("", fields[f]), w) for f, w in PAGEFIND_WEIGHTS)
    content += " " + " ".join((*rec.synonyms, *rec.standards))
    return {
        "url": rec.url,
        "content": content.strip(),
        "language": language,
        "meta": {
            "title": rec.title,
            "date": rec.date,
            "issue": rec.issue,
            "section": rec.section,
            "summary": rec.summary,
            "words": str(len(body.split())),
        },
        "filters": {
            "tag": list(rec.tags),
            "section": [rec.section],
            "issue": [rec.issue],
            "year": [rec.year],
            **({"standard": list(rec.standards)} if rec.standards else {}),
        },
        "sort": {"date": rec.date},
    }


_WEIGHTED = re.compile(r" ___PAGEFIND_WEIGHT___(\d+) (.*?) ___END_PAGEFIND_WEIGHT___ ", re.S)


def pagefind_page(entry: Mapping[str, Any]) -> bytes:
    """The page Pagefind's command line reads for one record (`pagefind_record`).

    Its text is the record's content, the weighted parts in elements with
    ``data-pagefind-weight``; metadata, filters and the sort key are in
    elements Pagefind reads but does not index (``data-pagefind-ignore``).
    Every element is inline (``span``): a block would end its text with a full
    stop that the record does not have.
    """
    content = entry["content"]
    parts, at = [], 0
    for found in _WEIGHTED.finditer(content):
        parts.append(f"<span>{escape(content[at : found.start()])}</span> ")
        weight, text = found.groups()
        parts.append(f'<span data-pagefind-weight="{weight}">{escape(text)}</span> ')
        at = found.end()
    parts.append(f"<span>{escape(content[at:])}</span>")

    def kept(kind: str, name: str, value: str) -> str:
        attribute = f'data-pagefind-{kind}="{escape(name)}"'
        return f"<span data-pagefind-ignore {attribute}>{escape(value)}</span>"

    parts += [kept("meta", name, value) for name, value in entry["meta"].items()]
    parts += [kept("filter", n, v) for n, values in entry["filters"].items() for v in values]
    parts += [kept("sort", name, value) for name, value in entry["sort"].items()]
    language = escape(entry["language"])
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"></head>'
        f"<body data-pagefind-body>{''.join(parts)}</body></html>"
    ).encode()


# --------------------------------------------------------------------------- pagefind


def _scratch() -> str | None:
    """Where Pagefind's pages and bundle go for a moment: memory (``/dev/shm``, a
    tmpfs on Linux) when there is one, else the system's temporary folder. On
    a disk, the 2,600 small files of a 1,250-record shard cost Pagefind 1.7 s
    more of system time (bench/README.md "Search")."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _bundle(name: str, entries: list[dict[str, Any]], language: str) -> dict[str, bytes]:
    """One shard's bundle, from a run of Pagefind's command line of its own (its
    memory ends with it) over the records written as pages (`pagefind_page`).

    The command line, not the Python API's service: the service took 5.2 s for
    1,250 records, one at a time through a pipe, and wrote its files after it
    answered; the command line reads the pages on every core and has written
    every file when it exits (3.2-3.6 s, bench/README.md "Search").
    """
    from pagefind.service import get_executable

    start = time.perf_counter()
    texts = [entry["content"] for entry in entries]
    with tempfile.TemporaryDirectory(prefix="gazette-pagefind-", dir=_scratch()) as folder:
        pages, out = Path(folder) / "pages", Path(folder) / "out"
        for entry in entries:
            url = entry["url"]
            if not url.startswith("/") or not url.endswith("/") or "/../" in url:
                raise ValueError(f"{url}: a search record's URL must be a folder of the site")
            page = pages / url.strip("/") / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_bytes(pagefind_page(entry))
        command = [str(get_executable()), "--site", str(pages), "--output-path", str(out)]
        command += ["--force-language", language, "--silent"]
        with (Path(folder) / "errors.txt").open("w+b") as errors:
            binary = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
            with ThreadPoolExecutor(1) as pool:  # the words are counted meanwhile
                counted = pool.submit(words_of, texts)
                _, status, usage = os.wait4(binary.pid, 0)
                binary.returncode = os.waitstatus_to_exitcode(status)
                words, short = counted.result()
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()
        if binary.returncode != 0:
            raise RuntimeError(f"pagefind failed (exit {binary.returncode}): {said[-2000:]}")
        files = {
            path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(out.rglob("*"))
            if path.is_file() and not PAGEFIND_SKIP.match(path.name)
        }
    dates: dict[str, str] = {}
    if not _complete(files, dates):
        raise RuntimeError(f"pagefind wrote an incomplete bundle for shard {name or 'all'}")
    files = canonical(files)
    files[DATES_FILE] = _json(dict(sorted(dates.items())))
    files[WORDS_FILE] = _json(words)
    files[SHORT_FILE] = _json(short)
    peak = usage.ru_maxrss * 1024 if sys.platform.startswith("linux") else None
    RUNS.append(ShardRun(name, len(entries), time.perf_counter() - start, peak))
    return files


def words_of(texts: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    """The words of ``texts`` for search.js, reading each text once, Pagefind's
    weight markers left out:

    * every word of 4 to 30 letters, lower case, with how many texts hold it
      (for "did you mean"), sorted;
    * the two-character words that hold a letter ("ai", "5g"), sorted. While a
      reader types, a two-letter last word ("me", "ba") is the start of a longer
      word far more often than a word: searched as a prefix it matches most of a
      large archive and costs Pagefind 60-400 ms at 10,000 items. search.js waits
      for a third letter unless the two are a word of the index on their own
      ("AI", "5G"), which this list says. Numbers ("20") are left out: typed,
      they begin a year.
    """
    counts: Counter[str] = Counter()
    short: set[str] = set()
    for text in texts:
        found: set[str] = set()
        # Each distinct run of letters and digits once (a quarter less time than
        # two regular expressions over the whole text): the same words as
        # ``_WORD`` and ``_SHORT`` would find, which a test checks.
        for token in set(_TOKEN.findall(_MARKER.sub(" ", text).lower())):
            size = len(token)
            if size == 2:
                if _SHORT.fullmatch(token):
                    short.add(token)
            elif 4 <= size <= 30 and token.isalpha():
                found.add(token)
            elif size >= 4:
                found.update(_WORD.findall(token))
        counts.update(found)
    return dict(sorted(counts.items())), sorted(short)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Shard:
    """One shard's records (in archive order) and their digests, ready to index."""

    name: str
    records: Sequence[SearchRecord]
    digests: Sequence[str]


# A file of a bundle kept in the cache, not read: (its `file_digest`, the cache
# slot, the slot's key, its name in the slot). A tuple, so that it pickles
# across a forked copy (this module is loaded by path).
Stored = tuple[str, str, str, str]


def _kept(cache: PluginCache, slot: str, key: str) -> dict[str, bytes | Stored] | None:
    """A cached bundle, its small files read and the others `Stored`; None if unreadable.

    The files the merge reads (dates, short words, the entry) are read; the
    index's thousands of chunks and fragments are only named, with their
    digests, for ``KeptFile`` outputs that the core reads only if the site lacks
    them.
    """
    small = (DATES_FILE, SHORT_FILE, "pagefind-entry.json", DIGESTS_FILE)
    files = cache.load(slot, key, small)
    if files is None:
        return None
    try:
        digests = json.loads(files.pop(DIGESTS_FILE))
    except ValueError:
        return None
    if not isinstance(digests, dict) or not set(files) <= set(digests):
        return None
    kept: dict[str, bytes | Stored] = {
        path: (str(digest), slot, key, path) for path, digest in digests.items()
    }
    kept.update(files)
    return kept


def _bytes(data: bytes | Stored) -> bytes:
    if isinstance(data, bytes):
        return data
    raise ValueError(f"{data[3]}: expected read from the cache, found only named")


def pagefind_bundles(
    ready: Iterable[Shard], language: str, cache: PluginCache | None, *, code: str
) -> dict[str, bytes | Stored]:
    """Every file under ``/pagefind/``: {path: bytes}, from every shard of the archive.

    The files of a shard reused from ``cache`` are not read but `Stored`, apart
    from those this merge reads.

    ``ready`` yields each shard once its records are made, in any order: the
    search plugin makes first the shards that hold a new or changed item, so that
    Pagefind starts on them while the other records are still being made. A
    shard's key is made of its records' digests, ``code`` (a digest of the
    plugin's source), the language and the Pagefind versions. Shards whose key is
    in the cache are reused; the others are indexed one after the other, one
    Pagefind process at a time.

    The first shard (by name) is the primary bundle at ``/pagefind/`` with
    Pagefind's code; each other one is at ``/pagefind/shard-<bits>/`` with its
    index data only.
    """
    versions = (version("pagefind"), version("pagefind_bin"))
    bundles: dict[str, dict[str, bytes]] = {}
    keys: dict[str, str] = {}
    made: dict[str, Shard] = {}

    def slot(name: str) -> str:
        return f"pagefind-{name or 'all'}"

    def build(shard: Shard) -> None:
        entries = [pagefind_record(rec, language) for rec in shard.records]
        files = _bundle(shard.name, entries, language)
        if cache is not None:
            digests = {path: file_digest(data) for path, data in files.items()}
            stored = {**files, DIGESTS_FILE: _json(digests)}
            cache.store(slot(shard.name), keys[shard.name], stored)
        bundles[shard.name] = files

    with ThreadPoolExecutor(1) as pool:
        # Each stale shard is indexed as soon as it is ready, one Pagefind at a
        # time; the cached ones are read once every shard is in, while it works.
        indexing = []
        cached = []
        for shard in ready:
            made[shard.name] = shard
            keys[shard.name] = cache_key(versions, language, code, shard.name, list(shard.digests))
            if cache is not None and cache.holds(slot(shard.name), keys[shard.name]):
                cached.append(shard.name)
            else:
                indexing.append(pool.submit(build, shard))
        lost = []  # cached a moment ago, unreadable now: indexed after the others
        for name in cached:
            files = _kept(cache, slot(name), keys[name]) if cache is not None else None
            if files is None:
                lost.append(name)
            else:
                bundles[name] = files
        for job in indexing:
            job.result()
        for name in lost:
            pool.submit(build, made[name]).result()

    if not made:
        raise ValueError("no shard to index: `shards` gives one, empty, even for no records")
    names = sorted(made)
    output: dict[str, bytes | Stored] = {}
    dates: dict[str, str] = {}
    short: set[str] = set()
    folders = [SHARD_FOLDER.format(name) for name in names[1:]]
    for at, name in enumerate(names):
        folder = "" if at == 0 else SHARD_FOLDER.format(name)
        for path, data in bundles[name].items():
            if path == DATES_FILE:
                dates.update(json.loads(data))
            elif path == SHORT_FILE:
                short.update(json.loads(data))
            elif at == 0 or INDEX_DATA.match(path) or path == WORDS_FILE:
                output[folder + path] = data
    # A digest of every bundle's entry file: search.js hands it to Pagefind as
    # ``metaCacheTag``, so the entry files are fetched as ``?ts=<tag>`` (the same
    # URL until the index changes, which browsers may cache) instead of a new
    # ``?ts=<time>`` on every page.
    entries = b"".join(_bytes(output.get(f"{p}pagefind-entry.json", b"")) for p in ("", *folders))
    tag = hashlib.blake2b(entries, digest_size=6).hexdigest()
    bundles = [SHARD_FOLDER.format(name) for name in names[1:]]
    output[SHARDS_FILE] = _json({"bundles": bundles, "tag": tag, "short": sorted(short)})
    output[DATES_FILE] = _json(dict(sorted(dates.items())))
    return dict(sorted(output.items()))
