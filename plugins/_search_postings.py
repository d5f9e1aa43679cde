"""Gazette's own search index (``engine = "gazette"``): postings chunked by prefix.

Why our own: Pagefind's index for 10,000 items costs a reader about 440 KB
before the first results (its metadata lists every page), and re-indexing the
shard that holds an edited item costs about 5 s of CPU. search.js already
decides what is an exact match from the records' own words (``verdict``), so
the index only has to say which records hold which words. This one does that
and nothing more: no positions (search.js checks phrases in the record), no
stemming beyond search.js's ``fold``.

Files, under ``/search/gazette/``:

- ``index.json``: the manifest, the only file with a fixed name (fetched with
  ``cache: "no-cache"``). Every other file is named by a digest of its content,
  so browsers may keep it for ever.
- ``t/<digest>.json``: a chunk of terms, ``{term: [ids, title ids, meta ids,
  ids of records holding it 3+ times, 8+ times]}``, each list delta-encoded
  (the first id, then differences), empty trailing lists left out. The
  manifest maps each chunk's *key*, a prefix, to its digest: a term lives in
  the chunk whose key is the longest prefix of it. Keys come from splitting the
  sorted terms by their next letter until a chunk is under ``CHUNK_BYTES``
  (``chunk_keys``): the 63-item sample has a chunk per first letter, 10,000
  items a few hundred. A word typed whole fetches one chunk; a word still being
  typed, the chunks under its prefix.
- ``d/<block digest>/<id>.json``: one record each, what a result shows (the
  fields of ``search.lunr_display``). Records are numbered oldest first, so a
  new item adds a number and leaves the others alone; numbers are grouped in
  blocks of ``BLOCK`` and a block's folder is named by a digest of its records.
- ``f/<digest>.json``: the facets (tag, standard, section, year), each
  ``{value: ids}``, fetched only when a reader filters or the search page counts.
- ``w/<digest>.json``: words and how many records hold each, for "did you
  mean", fetched only when a query finds nothing.

Terms are search.js's ``words`` (case, accents, a plural "s" and British and
American spellings folded; letters glued to digits split: "TC260" is "tc 260"),
from ``_search_words.py``. A term's *title* and *meta* lists say where it is
weighted as search.js's ``weight`` does (title; tags and summary), the
*frequent* lists where the record holds it three and eight times or more: the
engine ranks by them.

Rebuilds follow the change. The cache keeps each record's terms (by record
digest) and the index's entries ({term: its JSON}) with the records' digests
in order. When at most ``PATCH_MAX`` records changed in place (an edit; a new
newest item shifts no number either), only the entries of the terms those
records had or have are decoded, patched and encoded again; otherwise the
postings are rebuilt from the kept terms. The record files are kept by block
(the ``postings-display`` slot, each block under its name): only a block whose
name is new is encoded again. Either way the files equal those of a build from
scratch (tests/test_search_postings.py).
"""

from __future__ import annotations

import hashlib
import json
import marshal
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazette.plugin_cache import PluginCache, cache_key
from gazette.plugins import import_file

words_of = import_file("search_words", Path(__file__).resolve().parent / "_search_words.py")
Terms = words_of.Terms
Expand = words_of.Expand
record_terms = words_of.record_terms
display = words_of.display
words = words_of.words

ROOT = "/search/gazette/"
MANIFEST = ROOT + "index.json"
FORMAT = 1  # the manifest's "v": search.js reads only the format it knows
BLOCK = 128
CHUNK_BYTES = 24_000  # a chunk's JSON before gzip: about 6-10 KB on the wire
LISTS = 3 + len(words_of.FREQUENT)  # all, title, meta, and one per FREQUENT count
PATCH_MAX = 64
SLOT = "postings"
BLOCKS_SLOT = "postings-display"  # each block's record files, by block name (not search.MEMO_SLOT)
TERMS_FILE = "terms.marshal"
INDEX_FILE = "index.marshal"
FACETS = ("tag", "standard", "section", "year")


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> bytes:
    return _text(value).encode()


def _name(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def deltas(ids: Sequence[int]) -> list[int]:
    """``ids`` (ascending) as the first and then the differences."""
    return [b - a for a, b in zip((0, *ids), ids, strict=False)]


def _shared(first: str, last: str) -> str:
    """The longest prefix of two strings: of a sorted group, its first and last."""
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def chunk_keys(sizes: dict[str, int], limit: int = CHUNK_BYTES) -> dict[str, list[str]]:
    """Split the terms into chunks of about ``limit`` bytes: {prefix key: its terms}.

    A group of terms sharing a prefix is split by the letter after it until each
    group fits; a term equal to the prefix stays in the group's own chunk. A
    single term larger than ``limit`` is a chunk of its own. A group to split
    again starts from its longest common prefix, and the work is a loop, not
    recursion: a hostile text of long words sharing long prefixes neither
    splits a letter at a time nor overflows the stack.
    """
    chunks: dict[str, list[str]] = {}
    pending = [("", sorted(sizes))]
    while pending:
        prefix, terms = pending.pop()
        by_letter: dict[str, list[str]] = defaultdict(list)
        for term in terms:
            if term == prefix:
                chunks.setdefault(prefix, []).append(term)
            else:
                by_letter[term[len(prefix)]].append(term)
        for letter, group in by_letter.items():
            if sum(sizes[t] for t in group) <= limit:
                chunks[prefix + letter] = group
            else:
                pending.append((_shared(group[0], group[-1]), group))
    return chunks


# ----------------------------------------------------------------- postings


@dataclass(frozen=True)
class Postings:
    """The index's entries, {term: '"term":[lists]'}, and how many records hold each term."""

    entries: dict[str, str]
    counts: dict[str, int]


def _entry(term: str, lists: Sequence[Sequence[int]]) -> str:
    encoded = [deltas(ids) for ids in lists]
    while not encoded[-1]:
        encoded.pop()
    return json.dumps(term, ensure_ascii=False) + ":" + _text(encoded)


def _decoded(entry: str) -> list[list[int]]:
    """An entry's lists of ids, every one of the ``LISTS`` (empty ones too)."""
    (encoded,) = json.loads("{" + entry + "}").values()
    lists = []
    for gaps in encoded:
        ids, at = [], 0
        for gap in gaps:
            at += gap
            ids.append(at)
        lists.append(ids)
    return lists + [[] for _ in range(LISTS - len(lists))]


def build_postings(terms: Sequence[Terms]) -> Postings:
    """The postings of records numbered in order, from their `record_terms`."""
    found: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(LISTS)]
    for number, kinds in enumerate(terms):
        for postings, text in zip(found, kinds, strict=True):
            for term in text.split():
                postings[term].append(number)
    every, *boosts = found
    entries = {t: _entry(t, [ids, *(b.get(t, ()) for b in boosts)]) for t, ids in every.items()}
    return Postings(entries, {t: len(ids) for t, ids in every.items()})


def patch_postings(previous: Postings, changed: dict[int, tuple[Terms, Terms]]) -> Postings:
    """``previous`` with the records ``changed``, {number: (old terms, new terms)}, replaced.

    Only the entries of terms that one of those records gained or lost, in any
    list, are decoded and encoded again: an edit that adds a sentence touches a
    few, not the hundreds the record holds (nor "the", held by every record).
    """
    entries, counts = dict(previous.entries), dict(previous.counts)
    now = {n: [set(text.split()) for text in new] for n, (_, new) in changed.items()}
    affected: set[str] = set()
    for n, (old, _) in changed.items():
        for text, kept in zip(old, now[n], strict=True):
            affected.update(kept.symmetric_difference(text.split()))
    for term in affected:
        known = entries.get(term)
        lists = _decoded(known) if known else [[] for _ in range(LISTS)]
        for k in range(LISTS):
            kept = [n for n in lists[k] if n not in changed]
            lists[k] = sorted(kept + [n for n in changed if term in now[n][k]])
        if lists[0]:
            entries[term], counts[term] = _entry(term, lists), len(lists[0])
        else:
            entries.pop(term, None)
            counts.pop(term, None)
    return Postings(entries, counts)


def _facets(recs: Sequence[Any]) -> dict[str, dict[str, list[int]]]:
    values: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name in FACETS}
    for number, rec in enumerate(recs):
        for value in dict.fromkeys(rec.tags):
            values["tag"][value].append(number)
        for value in dict.fromkeys(rec.standards):
            values["standard"][value].append(number)
        values["section"][rec.section].append(number)
        values["year"][rec.year].append(number)
    return {
        name: {value: deltas(ids) for value, ids in sorted(found.items())}
        for name, found in values.items()
    }


def vocabulary(counts: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """Folded words of 4 to 30 letters with how many records hold each ("did
    you mean"), and the two-character words with a letter ("ai", "5g": search.js
    searches them as they are typed)."""
    found = {t: n for t, n in sorted(counts.items()) if 4 <= len(t) <= 30 and t.isalpha()}
    short = sorted(t for t in counts if len(t) == 2 and t.isascii() and not t.isdigit())
    return found, short


# ----------------------------------------------------------------- the cache


def _loaded(stored: dict[str, bytes], name: str) -> Any:
    try:
        return marshal.loads(stored[name])
    except (KeyError, ValueError, EOFError, TypeError):
        return None


def _terms(value: Any) -> bool:
    """Whether a kept value has the shape of `record_terms`'s."""
    return (
        isinstance(value, tuple)
        and len(value) == LISTS
        and all(isinstance(text, str) for text in value)
    )


def _kept_block(stored: bytes | None, count: int) -> list[bytes] | None:
    """A kept block's ``count`` record files, if ``stored`` holds them whole."""
    if stored is None:
        return None
    try:
        encoded = marshal.loads(stored)
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(encoded, list) and len(encoded) == count):
        return None
    return encoded if all(isinstance(data, bytes) for data in encoded) else None


def _kept_index(index: Any, count: int) -> tuple[list[str], Postings] | None:
    """The kept digests and postings, if ``index`` has their shape and ``count`` records.

    A cache damaged inside a sound file (values of another type or shape) is
    only a miss: the postings are rebuilt.
    """
    if not isinstance(index, dict):
        return None
    before, entries, counts = index.get("digests"), index.get("entries"), index.get("counts")
    if not (isinstance(before, list) and len(before) == count):
        return None
    if not (isinstance(entries, dict) and isinstance(counts, dict)):
        return None
    if entries.keys() != counts.keys() or not all(isinstance(d, str) for d in before):
        return None
    if not all(isinstance(e, str) for e in entries.values()):
        return None
    if not all(type(n) is int for n in counts.values()):
        return None
    return before, Postings(entries, counts)


def postings_of(
    recs: Sequence[Any],
    digests: Sequence[str],
    cache: PluginCache | None,
    key: str,
    expand: Expand = words_of.none,
) -> Postings:
    """The postings of ``recs`` (numbered in order), patched or rebuilt (see the
    module's docstring). ``key`` must name all else the terms are made from
    (the code, the glossary)."""
    stored = (cache.load(SLOT, key) if cache is not None else None) or {}
    memo = _loaded(stored, TERMS_FILE)
    memo = {d: t for d, t in memo.items() if _terms(t)} if isinstance(memo, dict) else {}
    kept = _kept_index(_loaded(stored, INDEX_FILE), len(digests))
    made = [memo.get(d) or record_terms(rec, expand) for rec, d in zip(recs, digests, strict=True)]
    postings = None
    if kept is not None:
        before, previous = kept
        changed = [n for n, (a, b) in enumerate(zip(before, digests, strict=True)) if a != b]
        if len(changed) <= PATCH_MAX and all(before[n] in memo for n in changed):
            replaced = {n: (memo[before[n]], made[n]) for n in changed}
            try:
                postings = patch_postings(previous, replaced) if changed else previous
            except (ValueError, TypeError, AttributeError):  # a damaged entry: rebuild
                postings = None
    if postings is None:
        postings = build_postings(made)
    if cache is not None and (kept is None or kept[0] != list(digests)):
        terms = dict(zip(digests, made, strict=True))
        state = {"digests": list(digests), "entries": postings.entries, "counts": postings.counts}
        cache.store(SLOT, key, {TERMS_FILE: marshal.dumps(terms), INDEX_FILE: marshal.dumps(state)})
    return postings


# ----------------------------------------------------------------- the files


def index_files(
    recs: Sequence[Any],
    digests: Sequence[str],
    cache: PluginCache | None = None,
    key: str = "",
    expand: Expand = words_of.none,
) -> dict[str, bytes]:
    """Every file of the index for ``recs`` (newest first, as the plugin has them):
    {site path: bytes}. ``key`` and ``expand`` are `postings_of`'s."""
    oldest_first = list(reversed(recs))
    oldest_digests = list(reversed(digests))
    postings = postings_of(oldest_first, oldest_digests, cache, cache_key(FORMAT, key), expand)
    files: dict[str, bytes] = {}
    chunks: dict[str, str] = {}
    entries = postings.entries
    sizes = {term: len(entry) for term, entry in entries.items()}
    for prefix, members in sorted(chunk_keys(sizes).items()):
        data = ("{" + ",".join(entries[term] for term in members) + "}").encode()
        chunks[prefix] = _name(data)
        files[f"{ROOT}t/{chunks[prefix]}.json"] = data
    blocks = []
    block_key = cache_key(FORMAT, key, "blocks")
    kept = (cache.load(BLOCKS_SLOT, block_key) if cache is not None else None) or {}
    made: dict[str, bytes] = {}
    for start in range(0, len(oldest_first), BLOCK):
        # Named by its records' digests, which say all their files say: a kept
        # block of that name is reused, encoded once when it first appeared.
        folder = _name("\n".join(oldest_digests[start : start + BLOCK]).encode())
        blocks.append(folder)
        records = oldest_first[start : start + BLOCK]
        encoded = _kept_block(kept.get(folder), len(records))
        if encoded is None:
            encoded = [_json(display(rec)) for rec in records]
            made[folder] = marshal.dumps(encoded)
        else:  # the stored bytes as they are: no second marshal per build
            made[folder] = kept[folder]
        for number, data in enumerate(encoded, start):
            files[f"{ROOT}d/{folder}/{number}.json"] = data
    if cache is not None and made.keys() != kept.keys():
        cache.store(BLOCKS_SLOT, block_key, made)
    facets = {}
    for name, values in _facets(oldest_first).items():
        data = _json(values)
        facets[name] = _name(data)
        files[f"{ROOT}f/{facets[name]}.json"] = data
    counts, short = vocabulary(postings.counts)
    data = _json(counts)
    files[f"{ROOT}w/{_name(data)}.json"] = data
    manifest = {
        "v": FORMAT,
        "count": len(oldest_first),
        "block": BLOCK,
        "blocks": blocks,
        "chunks": chunks,
        "facets": facets,
        "words": _name(data),
        "short": short,
    }
    files[MANIFEST] = _json(manifest)
    return files
