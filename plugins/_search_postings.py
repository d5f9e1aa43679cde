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
reimplemented here; tests compare the two on the sample archive in Chromium.
A term's *title* and *meta* lists say where it is weighted as search.js's
``weight`` does (title; tags and summary), the *frequent* lists where the record
holds it three and eight times or more: the engine ranks by them.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from gazette.plugin_cache import PluginCache, cache_key

ROOT = "/search/gazette/"
MANIFEST = ROOT + "index.json"
FORMAT = 1  # the manifest's "v": search.js reads only the format it knows
BLOCK = 128
CHUNK_BYTES = 24_000  # a chunk's JSON before gzip: about 6-10 KB on the wire
FREQUENT = (3, 8)  # how often a record holds a term for each "frequent" list
MEMO_SLOT = "postings"
MEMO_FILE = "terms.marshal"
FACETS = ("tag", "standard", "section", "year")

# ----------------------------------------------------------------- words (search.js)

# search.js: text.replace(/(\p{L})(\p{N})/gu, "$1 $2").toLowerCase()
#                .split(/[^\p{L}\p{N}]+/u).filter(Boolean).map(fold)
_WORD = re.compile(r"[^\W_]+")
_ACCENTS = re.compile("[\u0300-\u036f]")
_VARIANTS = (
    (re.compile("isation"), "ization"),
    (re.compile("ise(d?)$"), r"ize\1"),
    (re.compile("ising$"), "izing"),
    (re.compile("yse(d?)$"), r"yze\1"),
    (re.compile("our$"), "or"),
    (re.compile("tre$"), "ter"),
    (re.compile("ogue$"), "og"),
    (re.compile("ence$"), "ense"),
    (re.compile("programme"), "program"),
    (re.compile("lled$"), "led"),
    (re.compile("lling$"), "ling"),
)


def _js_length(text: str) -> int:
    """``text.length`` in JavaScript: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """search.js's ``fold``: one spelling for case, accents, plurals and variants."""
    w = _ACCENTS.sub("", unicodedata.normalize("NFKD", word.lower()))
    if _js_length(w) > 3 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif _js_length(w) > 3 and re.search("[^s]s$", w) and not w.endswith(("us", "is")):
        w = w[:-1]
    if _js_length(w) > 4 and "a" <= w[-1] <= "z":
        for pattern, replacement in _VARIANTS:
            w = pattern.sub(replacement, w, count=1)
    return w


# A letter, then a decimal digit: what JavaScript's ``(\\p{L})(\\p{N})`` matches in
# a text without other numbers.
_GLUED = re.compile(r"(?<=[^\W\d_])(?=\d)")


@lru_cache(maxsize=1)
def _numbers() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For texts with other numbers (Nl, No: "²", "Ⅻ"; Python's ``\\d`` is
    decimal digits only, and its letters include these): a pattern that finds
    such a text (those of the Basic Multilingual Plane, listed from the Unicode
    database once per process, or any character beyond it), and JavaScript's
    letter-then-number pattern for it, slower to run.
    """
    plane = "".join(
        re.escape(chr(c)) for c in range(0x10000) if unicodedata.category(chr(c)) in ("Nl", "No")
    )
    beyond = "".join(
        re.escape(chr(c))
        for c in range(0x10000, 0x110000)
        if unicodedata.category(chr(c)) in ("Nl", "No")
    )
    unusual = re.compile(f"[{plane}\U00010000-\U0010ffff]")
    other = plane + beyond
    return unusual, re.compile(f"(?<=[^\\W\\d_{other}])(?=[\\d{other}])")


def _split_glued(text: str) -> str:
    unusual, glued = _numbers()
    return (glued if unusual.search(text) else _GLUED).sub(" ", text)


def words(text: str) -> list[str]:
    """search.js's ``words``: the folded words of ``text``, in order."""
    return [fold(w) for w in _WORD.findall(_split_glued(text).lower())]


# ----------------------------------------------------------------- one record


Expand = Callable[[str], Iterable[str]]
Terms = tuple[str, ...]  # the lists of `record_terms`


def _none(text: str) -> tuple[str, ...]:
    return ()


def record_terms(rec: Any, expand: Expand = _none) -> Terms:
    """The terms of one record, space-separated: all, in the title, in tags or
    summary, and for each count in ``FREQUENT`` those it holds that often or more.

    The text is search.js's ``searchable`` (title, summary, tags, aliases,
    synonyms, identifiers, body), so the index finds what the check accepts.
    ``expand(text)`` gives the glossary's other side of the abbreviations and
    expansions in ``text``: a title that says "NDRC" also ranks as a title for
    "National Development and Reform Commission".
    """

    def weighted(text: str) -> list[str]:
        return words(" ".join((text, *expand(text))))

    title = weighted(rec.title)
    meta = weighted(" ".join(rec.tags) + " " + rec.summary)
    rest = words(" ".join((*rec.aliases, *rec.synonyms, *rec.standards, rec.body)))
    counts = Counter(title)
    counts.update(meta)
    counts.update(rest)
    return (
        " ".join(sorted(counts)),
        " ".join(sorted(set(title))),
        " ".join(sorted(set(meta))),
        *(" ".join(sorted(t for t, n in counts.items() if n >= at)) for at in FREQUENT),
    )


def display(rec: Any) -> dict[str, Any]:
    """What a result shows (search.js's ``fromLunr`` reads the same fields)."""
    return {
        "url": rec.url,
        "title": rec.title,
        "date": rec.date,
        "issue": rec.issue,
        "section": rec.section,
        "tags": list(rec.tags),
        "standards": list(rec.standards),
        "extra": " ".join((*rec.aliases, *rec.synonyms, *rec.standards)),
        "summary": rec.summary,
        "text": rec.body,
    }


# ----------------------------------------------------------------- the index


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> bytes:
    return _text(value).encode()


def _name(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def deltas(ids: Sequence[int]) -> list[int]:
    """``ids`` (ascending) as the first and then the differences."""
    return [b - a for a, b in zip((0, *ids), ids, strict=False)]


def chunk_keys(sizes: dict[str, int], limit: int = CHUNK_BYTES) -> dict[str, list[str]]:
    """Split the terms into chunks of about ``limit`` bytes: {prefix key: its terms}.

    A group of terms sharing a prefix is split by the letter after it until each
    group fits; a term equal to the prefix stays in the group's own chunk. A
    single term larger than ``limit`` is a chunk of its own.
    """
    chunks: dict[str, list[str]] = {}

    def split(prefix: str, terms: list[str]) -> None:
        if sum(sizes[t] for t in terms) <= limit or all(t == prefix for t in terms):
            chunks[prefix] = terms
            return
        by_letter: dict[str, list[str]] = defaultdict(list)
        own = []
        for term in terms:
            if term == prefix:
                own.append(term)
            else:
                by_letter[term[len(prefix)]].append(term)
        if own:
            chunks[prefix] = own
        for letter, group in by_letter.items():
            split(prefix + letter, group)

    split("", sorted(sizes))
    return chunks


def _lists(
    terms: Sequence[Terms],
) -> tuple[dict[str, list[int]], ...]:
    """Postings: for each list of `record_terms`, {term: ascending ids}."""
    found: tuple[dict[str, list[int]], ...] = tuple(
        defaultdict(list) for _ in range(3 + len(FREQUENT))
    )
    for number, kinds in enumerate(terms):
        for postings, text in zip(found, kinds, strict=True):
            for term in text.split():
                postings[term].append(number)
    return found


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


def _memo(cache: PluginCache | None, key: str) -> dict[str, Terms]:
    if cache is None:
        return {}
    stored = cache.load(MEMO_SLOT, key) or {}
    try:
        memo = marshal.loads(stored.get(MEMO_FILE, marshal.dumps({})))
    except (ValueError, EOFError, TypeError):
        return {}
    return memo if isinstance(memo, dict) else {}


def terms_of(
    recs: Sequence[Any],
    digests: Sequence[str],
    cache: PluginCache | None,
    key: str,
    expand: Expand = _none,
) -> list[Terms]:
    """`record_terms` of each record, kept in the plugin's cache by record digest.

    ``key`` must name all else they are made from (the code, the glossary).
    The record files are not kept: JSON for 10,000 records takes 0.2 s, and
    keeping them would add 45 MB to the cache's peak in memory.
    """
    memo = _memo(cache, key)
    found = [memo.get(d) or record_terms(rec, expand) for rec, d in zip(recs, digests, strict=True)]
    kept = dict(zip(digests, found, strict=True))
    if cache is not None and kept.keys() != memo.keys():
        cache.store(MEMO_SLOT, key, {MEMO_FILE: marshal.dumps(kept)})
    return found


def vocabulary(every: dict[str, list[int]]) -> tuple[dict[str, int], list[str]]:
    """From the postings: folded words of 4 to 30 letters with how many records
    hold each ("did you mean"), and the two-character words with a letter ("ai",
    "5g": search.js searches them as they are typed)."""
    counts = {t: len(ids) for t, ids in sorted(every.items()) if 4 <= len(t) <= 30 and t.isalpha()}
    short = sorted(t for t in every if len(t) == 2 and t.isascii() and not t.isdigit())
    return counts, short


def index_files(
    recs: Sequence[Any],
    digests: Sequence[str],
    cache: PluginCache | None = None,
    key: str = "",
    expand: Expand = _none,
) -> dict[str, bytes]:
    """Every file of the index for ``recs`` (newest first, as the plugin has them):
    {site path: bytes}. ``key`` and ``expand`` are `terms_of`'s."""
    oldest_first = list(reversed(recs))
    oldest_digests = list(reversed(digests))
    made = terms_of(oldest_first, oldest_digests, cache, cache_key(FORMAT, key), expand)
    every, *boosts = _lists(made)
    encoded: dict[str, str] = {}
    for term, ids in every.items():
        lists = [deltas(ids), *(deltas(b.get(term, ())) for b in boosts)]
        while not lists[-1]:
            lists.pop()
        encoded[term] = json.dumps(term, ensure_ascii=False) + ":" + _text(lists)
    files: dict[str, bytes] = {}
    chunks: dict[str, str] = {}
    sizes = {term: len(entry) for term, entry in encoded.items()}
    for prefix, members in sorted(chunk_keys(sizes).items()):
        data = ("{" + ",".join(encoded[term] for term in members) + "}").encode()
        chunks[prefix] = _name(data)
        files[f"{ROOT}t/{chunks[prefix]}.json"] = data
    blocks = []
    for start in range(0, len(oldest_first), BLOCK):
        # Named by its records' digests, which say all their files say.
        folder = _name("\n".join(oldest_digests[start : start + BLOCK]).encode())
        blocks.append(folder)
        for number, rec in enumerate(oldest_first[start : start + BLOCK], start):
            files[f"{ROOT}d/{folder}/{number}.json"] = _json(display(rec))
    facets = {}
    for name, values in _facets(oldest_first).items():
        data = _json(values)
        facets[name] = _name(data)
        files[f"{ROOT}f/{facets[name]}.json"] = data
    counts, short = vocabulary(every)
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
