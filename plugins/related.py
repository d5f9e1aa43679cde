"""Related items: up to ``count`` per item, by shared tags, story threads and text.

The score of two items is a weighted sum of three similarities (``gazette.similarity``
computes them as one sparse matrix product, a block of rows at a time):

- *tags* (``tag_weight``, 0.3): cosine of the tag vectors, each tag weighted by its
  inverse document frequency, so a shared rare tag (``#Blockchain``) counts for
  more than a shared common one (``#Standardisation``);
- *thread* (``thread_weight``, 0.2): 1 when both items are in the same story thread
  (``follows``/``supersedes``, from the crosslinks plugin);
- *text* (the rest, 0.5): TF-IDF cosine of the title (counted twice), summary and
  body text, each item reduced to its ``TERMS`` (30) heaviest words.

Left out: everything the item page links already (each item appears there
once, `gazette.render.item_links`): the item itself, the items that its body
links to or that link to it in their body (wiki or Markdown links), the other
members of its story thread (the timeline "The story so far" shows them, and
its relations and relation backlinks are among them) and the items before and
after it in its issue (the in-issue pager). So the thread part of the score
never decides between the items shown: it is kept (0.2) so that tags and text
keep the weights the blend was tuned with (0.3 : 0.5).

*Diversity.* Each row keeps a pool of ``POOL * count`` (10) best candidates,
and ``Related.of`` shows ``count`` of them chosen by `item_links.diverse`:
greedy passes over the pool in rank order that take, first, items from
another issue and another year than the item's and than those already taken,
then from another issue than those, then from another issue than the item's,
and finally fill up in rank order; the chosen ones are shown in rank order.
Without it, all five related items of an item could come from one issue and
one date. The item page (``plugins/items.py``) applies the same rule to the
same pool after its own exclusions, which are those above, so the page shows
``Related.of``.

The result is deterministic: items are numbered in slug order and equal scores
go to the lower slug, and the diversity rule reads only the pool's order,
issues and dates. List this plugin after ``crosslinks`` in ``site.toml``;
without it there are no threads and only the item itself and its in-issue
neighbours are left out.

With the build's cache (``.gazette-cache/plugins/related/``), a build reuses
the previous one's work (`Ranking`, with ``POOL * count`` as its ``count``, so
the whole pool is exact): nothing changed, the stored lists; after
an edit, only new and edited texts are tokenised and only the rows whose
features changed, or whose lists lost too many members, are recomputed. The
result is the same as without the cache, to the last bit of every score.

This module is longer than the project's ~400 lines: the ranking, its cache
format and the incremental merge share private invariants (row order, stored
match counts, digests) that are easier to check in one file; a split would
also need the by-path loading that ``search.py`` uses for its helper.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import itertools
import json
import time
from array import array as typed_array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from gazette import parallel
from gazette.diagnostics import ContentError, Diagnostic, error
from gazette.model import Item, Site
from gazette.plugin_cache import PluginCache, cache_key, code_digest
from gazette.plugins import Option, import_later, spec_origin
from gazette.render.item_links import diverse

if TYPE_CHECKING:
    import numpy as np

    from gazette import similarity, sparse
    from gazette.sparse import Csr
else:
    # Imported when first used: an incremental build ranks in a forked copy
    # (`related_items`), so the build itself never pays numpy's import.
    np = import_later("numpy")
    similarity = import_later("gazette.similarity")
    sparse = import_later("gazette.sparse")

OPTIONS = {
    "count": Option(int, 5, "related items per item, at most (0 shows none)", minimum=0),
    "tag_weight": Option((int, float), 0.3, "weight of shared tags in the score (0 to 1)"),
    "thread_weight": Option((int, float), 0.2, "weight of being in the same story thread (0 to 1)"),
}

TERMS = 30  # keywords kept per item
POOL = 2  # candidates ranked per item, as a multiple of ``count``: what `diverse` picks from


class Document(Protocol):
    """What related items need of an item."""

    slug: str
    title: str
    summary: str
    text: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Texts(Sequence[str]):
    """Title (twice), summary and body text of each document, made when asked for.

    ``gazette.similarity`` reads them a chunk at a time, so 40 MB of joined
    text at 10,000 items never exists at once.
    """

    documents: Sequence[Document]

    def __len__(self) -> int:
        return len(self.documents)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [self._text(d) for d in self.documents[index]]
        return self._text(self.documents[index])

    @staticmethod
    def _text(document: Document) -> str:
        return f"{document.title}\n{document.title}\n{document.summary}\n{document.text}"


@dataclass(frozen=True)
class Related:
    candidates: Mapping[str, tuple[Item, ...]]  # by slug: the pool, best first
    scores: Mapping[str, tuple[float, ...]]  # the pool's scores, for tests and tuning
    count: int = 5  # items shown per item, at most
    by_slug: Mapping[str, Item] = field(default_factory=dict)  # every item, for `of`

    def of(self, slug: str) -> tuple[Item, ...]:
        """The related items shown for ``slug``: `diverse` picks from its pool.

        Picked when asked, not for every item in ``link``: the item pages pick
        their own (after leaving out what the page links already), so picking
        for all 10,000 items of an archive on every build was work nobody read.
        """
        item = self.by_slug.get(slug)
        return diverse(self.candidates.get(slug, ()), item, self.count) if item else ()

    def pool(self, slug: str) -> tuple[Item, ...]:
        """Up to ``POOL * count`` candidates for ``slug``, best first."""
        return self.candidates.get(slug, ())


# --- ranking -------------------------------------------------------------------


def _label_ids(kind: bytes, names: Sequence[str]) -> np.ndarray:
    """Columns of a label block named for `row_digests`: a 64-bit digest of kind and name."""
    ids = [
        int.from_bytes(hashlib.blake2b(kind + name.encode(), digest_size=8).digest(), "little")
        for name in names
    ]
    return np.array(ids, dtype=np.uint64) | np.uint64(1 << 63)


def feature_matrix(
    documents: Sequence[Document],
    threads: Sequence[str | None] = (),
    *,
    tag_weight: float = 0.3,
    thread_weight: float = 0.2,
    terms: int = TERMS,
    counts: Csr | None = None,
) -> tuple[Csr, np.ndarray]:
    """Each document's feature row, and a name for each column.

    The product of two rows is the document's score (see `rank`). ``counts``
    are the `similarity.term_counts` of the documents' `Texts`, if known (they
    are turned into weights in place). A column's name does not depend on the
    other documents (a tag's name, a thread's, a hashed word's column), so that
    `row_digests` can tell which rows changed from one build to the next.
    """
    n = len(documents)
    text_weight = max(0.0, 1.0 - tag_weight - thread_weight)
    tags = [d.tags for d in documents]
    thread_labels = [[thread] if thread else [] for thread in threads] if threads else [[]] * n
    blocks, names = [], []
    if tag_weight > 0:
        blocks.append((similarity.label_vectors(tags), tag_weight))
        names.append(_label_ids(b"tag\0", sorted({t for labels in tags for t in labels})))
    if thread_weight > 0:
        blocks.append((similarity.label_vectors(thread_labels, idf=False), thread_weight))
        labels = sorted({t for labels in thread_labels for t in labels})
        names.append(_label_ids(b"thread\0", labels))
    if text_weight > 0:
        if counts is None:
            counts = similarity.term_counts(Texts(documents))
        blocks.append((similarity.keyword_weights(counts, terms), text_weight))
        names.append(np.arange(1 << similarity.HASH_BITS, dtype=np.uint64))
    # Scaling each block by the square root of its weight makes the product
    # of two rows the weighted sum of the three similarities.
    features = sparse.hstack(
        [matrix.scaled(np.float32(np.sqrt(weight))) for matrix, weight in blocks],
        dtype=np.float32,
    )
    return features, np.concatenate(names)


def rank(
    documents: Sequence[Document],
    excluded: Sequence[Iterable[int]],
    threads: Sequence[str | None] = (),
    *,
    count: int = 5,
    tag_weight: float = 0.3,
    thread_weight: float = 0.2,
    terms: int = TERMS,
) -> list[list[tuple[int, float]]]:
    """For each document, ``(index, score)`` of its best matches, best first.

    ``excluded[i]`` are indices never to propose for document ``i`` (it is
    always left out itself); ``threads[i]`` names the story thread of document
    ``i`` (or is None). Text similarity weighs ``1 - tag_weight - thread_weight``.
    Indices are positions in ``documents``; ties go to the lower index, so sort
    the documents for a stable order. This is the computation from scratch;
    `Ranking` gives the same result from a cache.
    """
    if len(documents) == 0 or count <= 0:
        return [[] for _ in documents]
    features, _ = feature_matrix(
        documents, threads, tag_weight=tag_weight, thread_weight=thread_weight, terms=terms
    )
    return similarity.top_matches(features, excluded, count)


# --- the same, kept between builds ----------------------------------------------------

# The code's version, part of every cache key: any change to how scores are
# computed, here, in gazette.similarity and gazette.sparse or in numpy, makes
# every stored entry a miss.
CODE_VERSION = cache_key(
    code_digest(__file__, spec_origin("gazette.similarity"), spec_origin("gazette.sparse")),
    f"numpy {importlib.metadata.version('numpy')}",
)
CHANGED_SHARE = 0.2  # more changed rows than this share of all: recompute every row


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _array(files: Mapping[str, bytes], name: str, dtype: Any, ndim: int = 1) -> np.ndarray:
    array = np.load(io.BytesIO(files[name]), allow_pickle=False)
    if array.dtype != np.dtype(dtype) or array.ndim != ndim:
        raise ValueError(f"{name}: {array.dtype}, {array.ndim} dimensions")
    return array


def _check_indptr(indptr: np.ndarray, rows: int, entries: int) -> None:
    if len(indptr) != rows + 1 or indptr[0] != 0 or indptr[-1] != entries:
        raise ValueError("indptr does not fit")
    if np.any(np.diff(indptr) < 0):
        raise ValueError("indptr decreases")


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _digests(values: Iterable[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, 16)


def row_digests(features: Csr, names: np.ndarray) -> np.ndarray:
    """A digest of each row's entries in order: column names and float32 values.

    Two rows with equal digests have equal products with any row, to the
    last bit: `similarity.top_match_cells` sums a product over the entries
    of one row in their order.
    """
    named = names[features.indices]
    data, indptr = features.data, features.indptr.tolist()
    return _digests(
        _digest(named[start:stop].tobytes() + data[start:stop].tobytes())
        for start, stop in itertools.pairwise(indptr)
    )


@dataclass
class Matches:
    """The best matches of each row, best first: row ``i`` holds the cells
    ``indptr[i]:indptr[i + 1]``. Each list is the exact start of the row's
    ranking; ``complete[i]`` says that it holds every positive match."""

    indptr: np.ndarray  # int64
    columns: np.ndarray  # int64, row positions
    scores: np.ndarray  # float32
    complete: np.ndarray  # bool

    @classmethod
    def of_cells(
        cls, n: int, rows: np.ndarray, columns: np.ndarray, scores: np.ndarray, depth: int
    ) -> Matches:
        """From cells sorted by row, best first, at most ``depth`` per row."""
        lengths = np.bincount(rows, minlength=n)
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return cls(indptr, columns.astype(np.int64), scores.astype(np.float32), lengths < depth)

    def lists(self, count: int) -> list[list[tuple[int, float]]]:
        """The first ``count`` matches of each row, as `rank` gives them."""
        columns, scores = self.columns.tolist(), self.scores.tolist()
        indptr = self.indptr.tolist()
        return [
            list(
                zip(
                    columns[start : min(stop, start + count)],
                    scores[start : min(stop, start + count)],
                    strict=True,
                )
            )
            for start, stop in itertools.pairwise(indptr)
        ]


@dataclass
class State:
    """What a build keeps for the next: its inputs' digest, each row's digests, its matches."""

    inputs: str
    slugs: list[str]
    rows: np.ndarray  # (n, 16) uint8: `row_digests`
    excluded: np.ndarray  # (n, 16) uint8: digest of each row's left-out slugs
    matches: Matches

    def files(self) -> dict[str, bytes]:
        return {
            "inputs.txt": self.inputs.encode(),
            "slugs.json": json.dumps(self.slugs).encode(),
            "rows.npy": _npy(self.rows),
            "excluded.npy": _npy(self.excluded),
            "indptr.npy": _npy(self.matches.indptr),
            "columns.npy": _npy(self.matches.columns),
            "scores.npy": _npy(self.matches.scores),
            "complete.npy": _npy(self.matches.complete),
        }

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], count: int, depth: int) -> State:
        """The stored state; ValueError (or KeyError) if it is not consistent."""
        slugs = json.loads(files["slugs.json"])
        if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
            raise ValueError("slugs")
        if slugs != sorted(set(slugs)):
            raise ValueError("slugs are not sorted and unique")
        n = len(slugs)
        rows = _array(files, "rows.npy", np.uint8, 2)
        excluded = _array(files, "excluded.npy", np.uint8, 2)
        indptr = _array(files, "indptr.npy", np.int64)
        columns = _array(files, "columns.npy", np.int64)
        scores = _array(files, "scores.npy", np.float32)
        complete = _array(files, "complete.npy", np.bool_)
        if rows.shape != (n, 16) or excluded.shape != (n, 16) or complete.shape != (n,):
            raise ValueError("shapes")
        _check_indptr(indptr, n, len(columns))
        lengths = np.diff(indptr)
        owner = np.repeat(np.arange(n), lengths)
        if len(scores) != len(columns) or np.any((columns < 0) | (columns >= n)):
            raise ValueError("columns")
        if np.any(columns == owner) or not np.all(np.isfinite(scores) & (scores > 0)):
            raise ValueError("scores")
        same_row = owner[1:] == owner[:-1]
        ordered = (scores[:-1] > scores[1:]) | (
            (scores[:-1] == scores[1:]) & (columns[:-1] < columns[1:])
        )
        if np.any(same_row & ~ordered) or np.any(lengths > depth):
            raise ValueError("order")
        if np.any((lengths < min(count, depth)) & ~complete):
            raise ValueError("short lists")
        matches = Matches(indptr, columns, scores, complete)
        return cls(files["inputs.txt"].decode(), slugs, rows, excluded, matches)


class Ranking:
    """`rank` with a `PluginCache`: the same lists, reusing what did not change.

    Three steps, each exact (the tests compare with `rank` after random edits):

    - *Nothing changed*: a digest of every input (each item's slug, tags,
      thread, left-out items and a digest of its title, summary and text, the
      options and `CODE_VERSION`) equals the stored one, and the stored lists
      are the result. No text is tokenised.
    - *Word counts* are kept per text under a digest of the text, so only new
      and edited texts are tokenised (`_counts`). The IDF, weights, keywords
      and unit vectors depend on every text and are recomputed from the
      counts: about 0.1 s at 10,000 items.
    - *Scores*: the score of two items is a function of their two feature
      rows alone, summed over the entries of one of them in order, whichever
      other rows are computed (`similarity.top_match_cells`). So a row whose
      digest (`row_digests`: its columns' names and float32 values) and
      left-out items are unchanged has unchanged scores with every unchanged
      row. It keeps its stored list, minus the items whose rows changed or
      that went away, plus its scores with the changed rows: a few columns of
      the product (`similarity.dot_columns`), not all of it. A stored list
      is the exact start of its row's ranking and holds up to ``depth`` (two
      ``count``) items; an unchanged item missing from it ranks below its
      last member, so the merged list is exact down to the last stored member
      that is kept. A list left shorter than ``count`` that way (and not known
      to hold every match) is recomputed, and so are the changed rows.

    Which rows change is not guessed but found by their digests. An edit that
    changes no document frequency changes the edited item's row only; a new
    word in the edited text changes that word's IDF and with it the rows that
    keep it among their heaviest words (about 150 rows after the benchmark's
    one-sentence edit at 10,000 items). An added or deleted item changes the
    number of texts, hence every IDF and every tag weight: nearly every row
    changes, and beyond ``CHANGED_SHARE`` of changed rows the whole product is
    recomputed, which then costs less than patching it.

    A missing, damaged or inconsistent cache entry is ignored and rebuilt.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        excluded: Sequence[Iterable[int]],
        threads: Sequence[str | None] = (),
        *,
        count: int = 5,
        tag_weight: float = 0.3,
        thread_weight: float = 0.2,
        terms: int = TERMS,
    ) -> None:
        self.documents = documents
        self.excluded = [set(e) for e in excluded]
        self.threads = list(threads) if threads else [None] * len(documents)
        self.count = count
        self.depth = 2 * count
        self.weights = (tag_weight, thread_weight)
        self.terms = terms
        self.text = max(0.0, 1.0 - tag_weight - thread_weight) > 0
        self.stats: dict[str, Any] = {}  # how the last `lists` went, for tests and benchmarks
        self.seconds: dict[str, float] = {}  # what its steps took
        self._clock = 0.0

    def _lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._clock
        self._clock = now

    def _options(self) -> list:
        return [CODE_VERSION, self.count, self.depth, *self.weights, self.terms]

    def lists(self, cache: PluginCache | None) -> list[list[tuple[int, float]]]:
        """For each document, ``(index, score)`` of its best matches, as `rank`."""
        return self.matches(cache).lists(self.count)

    def matches(self, cache: PluginCache | None) -> Matches:
        """Each document's best matches (its first ``count`` are `rank`'s lists)."""
        n = len(self.documents)
        slugs = [d.slug for d in self.documents]
        if n == 0 or self.count <= 0 or cache is None or len(set(slugs)) != n:
            # Nothing to reuse or keep: `rank`.
            self.stats = {"path": "full", "tokenised": n, "computed_rows": n}
            if n == 0 or self.count <= 0:
                return Matches.of_cells(n, *(np.zeros(0, np.int64),) * 2, np.zeros(0), 1)
            features, _ = feature_matrix(
                self.documents,
                self.threads,
                tag_weight=self.weights[0],
                thread_weight=self.weights[1],
                terms=self.terms,
            )
            cells = similarity.top_match_cells(features, self.excluded, self.count)
            return Matches.of_cells(n, *cells, self.count)
        self.seconds, self._clock = {}, time.perf_counter()
        texts = [_digest(Texts._text(d).encode()) for d in self.documents] if self.text else []
        left_out = [sorted(slugs[j] for j in others) for others in self.excluded]
        inputs = cache_key(
            self._options(),
            [
                [slug, list(d.tags), thread, out, text.hex()]
                for slug, d, thread, out, text in zip(
                    slugs, self.documents, self.threads, left_out, texts or [b""] * n, strict=True
                )
            ],
        )
        key = cache_key(self._options())
        self._lap("digest of the inputs")
        state = self._load(cache, key)
        self._lap("load the stored lists")
        if state is not None and state.inputs == inputs and state.slugs == slugs:
            self.stats = {"path": "unchanged", "tokenised": 0, "computed_rows": 0}
            return state.matches
        self.stats = {"tokenised": 0}
        counts = self._counts(cache, texts) if self.text else None
        features, names = feature_matrix(
            self.documents,
            self.threads,
            tag_weight=self.weights[0],
            thread_weight=self.weights[1],
            terms=self.terms,
            counts=counts,
        )
        self._lap("IDF, weights, keywords, features")
        rows = row_digests(features, names)
        excluded = _digests(_digest("\0".join(out).encode()) for out in left_out)
        self._lap("row digests")
        matches = None
        if state is not None:
            matches = self._update(features, state, slugs, rows, excluded)
        if matches is None:
            self.stats.update(path="full", computed_rows=n)
            cells = similarity.top_match_cells(features, self.excluded, self.depth)
            matches = Matches.of_cells(n, *cells, self.depth)
        self._lap("scores and top-k")
        cache.store("state", key, State(inputs, slugs, rows, excluded, matches).files())
        self._lap("store the lists")
        return matches

    def _load(self, cache: PluginCache, key: str) -> State | None:
        files = cache.load("state", key)
        try:
            return State.from_files(files, self.count, self.depth) if files else None
        except Exception:  # whatever is wrong with an entry, it is only a miss
            return None

    def _counts(self, cache: PluginCache, texts: list[bytes]) -> Csr:
        """`similarity.term_counts` of the texts, tokenising only those not in the cache.

        Counts are kept in two slots: ``counts``, every text's, rewritten only
        when it falls well behind, and ``recent``, the current texts that
        ``counts`` lacks, so that an edit rewrites a few rows, not all.
        """
        width = 1 << similarity.HASH_BITS
        key = cache_key(CODE_VERSION, "counts")
        slots = [_load_counts(cache, slot, key, width) for slot in ("counts", "recent")]
        known: dict[bytes, int] = {}  # text digest -> row of the slots' rows, one after the other
        offset = 0
        for digests, _ in slots:
            known.update({bytes(digest): offset + row for row, digest in enumerate(digests)})
            offset += len(digests)
        self._lap("load the word counts")
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        self.stats["tokenised"] = len(missing)
        pools = [matrix for _, matrix in slots]
        if missing:
            first = {t: n for n, t in reversed(list(enumerate(texts)))}
            pools.append(similarity.term_counts(Texts([self.documents[first[t]] for t in missing])))
            known.update({text: offset + n for n, text in enumerate(missing)})
        pool = sparse.vstack(pools)
        self._lap("tokenise new texts")
        counts = pool[np.array([known[t] for t in texts], dtype=np.int64)]
        counts.sort_indices()
        self._lap("gather the counts")
        unique = list(dict.fromkeys(texts))
        in_base = {bytes(d) for d in slots[0][0]}
        behind = [t for t in unique if t not in in_base]
        stale = len(in_base) - (len(unique) - len(behind))
        if not len(in_base) or len(behind) > len(unique) // 20 or stale > len(unique) // 5:
            cache.store("counts", key, _count_files(unique, pool, known))
            cache.store("recent", key, _count_files([], pool, known))
            self._lap("store the word counts")
        elif {bytes(d) for d in slots[1][0]} != set(behind):
            cache.store("recent", key, _count_files(behind, pool, known))
            self._lap("store the word counts")
        return counts

    def _update(
        self,
        features: Csr,
        state: State,
        slugs: list[str],
        rows: np.ndarray,
        excluded: np.ndarray,
    ) -> Matches | None:
        """The new matches from the stored ones, or None when too much changed."""
        n, depth, count = len(slugs), self.depth, self.count
        old_position = {slug: row for row, slug in enumerate(state.slugs)}
        new_to_old = np.array([old_position.get(slug, -1) for slug in slugs], dtype=np.int64)
        known = new_to_old >= 0
        old_to_new = np.full(len(state.slugs), -1, dtype=np.int64)
        old_to_new[new_to_old[known]] = np.flatnonzero(known)
        changed = ~known
        changed[known] = np.any(rows[known] != state.rows[new_to_old[known]], axis=1)
        dirty = changed.copy()
        dirty[known] |= np.any(excluded[known] != state.excluded[new_to_old[known]], axis=1)
        if dirty.sum() > CHANGED_SHARE * n:
            return None
        clean = np.flatnonzero(~dirty)
        others = np.flatnonzero(changed)
        # The stored matches of unchanged rows, without changed or deleted items.
        old = new_to_old[clean]
        starts, lengths = state.matches.indptr[old], np.diff(state.matches.indptr)[old]
        owner = np.repeat(clean, lengths)
        cells = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        columns = old_to_new[state.matches.columns[cells]]
        scores = state.matches.scores[cells]
        kept = columns >= 0
        kept[kept] = ~changed[columns[kept]]
        owner, columns, scores = owner[kept], columns[kept], scores[kept]
        parts = [(owner, columns, scores, np.ones(len(owner), dtype=bool))]
        # A new score below a list's last kept one falls outside what is known
        # of that ranking: only complete lists take every positive score.
        floor = np.full(n, np.inf, dtype=np.float32)
        if len(owner):
            last = np.append(owner[1:] != owner[:-1], True)
            floor[owner[last]] = scores[last]
        floor[clean[state.matches.complete[old]]] = 0
        # Their scores with the changed items.
        if len(others):
            # Left-out pairs (row, changed item), as positions in the dense block.
            column_of = np.full(n, -1, dtype=np.int64)
            column_of[others] = np.arange(len(others))
            near = np.array([r for r, out in enumerate(self.excluded) for _ in out], np.int64)
            far = np.array([o for out in self.excluded for o in out], np.int64)
            wanted = column_of[far] >= 0
            near, far = near[wanted], column_of[far[wanted]]
            block = max(1, similarity.BLOCK_CELLS // len(others))
            for start in range(0, len(clean), block):
                mine = clean[start : start + block]
                values = similarity.dot_columns(features, mine, others)
                inside = np.isin(near, mine)
                values[np.searchsorted(mine, near[inside]), far[inside]] = 0
                rows, cols = np.nonzero((values > 0) & (values >= floor[mine][:, None]))
                parts.append(
                    (mine[rows], others[cols], values[rows, cols], np.zeros(len(rows), bool))
                )
        owner, columns, scores, was_stored = (np.concatenate(p) for p in zip(*parts, strict=True))
        order = np.lexsort((columns, -scores, owner))
        owner, columns, scores, was_stored = (
            a[order] for a in (owner, columns, scores, was_stored)
        )
        place = np.arange(len(owner)) - np.searchsorted(owner, owner)
        last_stored = np.full(n, -1, dtype=np.int64)
        stored_owner = owner[was_stored]  # sorted, so each row's last is its largest place
        if len(stored_owner):
            last = np.append(stored_owner[1:] != stored_owner[:-1], True)
            last_stored[stored_owner[last]] = place[was_stored][last]
        total = np.bincount(owner, minlength=n)
        complete = np.zeros(n, dtype=bool)
        complete[clean] = state.matches.complete[old]
        exact = np.where(complete, total, last_stored + 1)  # the start of the ranking known
        length = np.minimum(exact, depth)
        complete &= total <= depth
        valid = np.zeros(n, dtype=bool)
        valid[clean] = complete[clean] | (length[clean] >= count)
        chosen = valid[owner] & (place < length[owner])
        recompute = np.flatnonzero(~valid)
        self.stats.update(path="changed rows", changed=len(others), computed_rows=len(recompute))
        again = similarity.top_match_cells(features, self.excluded, depth, rows=recompute)
        owner = np.concatenate((owner[chosen], again[0]))
        columns = np.concatenate((columns[chosen], again[1]))
        scores = np.concatenate((scores[chosen], again[2]))
        order = np.argsort(owner, kind="stable")
        matches = Matches.of_cells(n, owner[order], columns[order], scores[order], depth)
        matches.complete[valid] = complete[valid]
        return matches


def _load_counts(cache: PluginCache, slot: str, key: str, width: int) -> tuple[np.ndarray, Csr]:
    """Stored word counts: text digests and a matrix, one row each (none if damaged)."""
    files = cache.load(slot, key)
    try:
        if files:
            return _stored_counts(files, width)
    except Exception:  # whatever is wrong with an entry, it is only a miss
        pass
    return np.zeros((0, 16), np.uint8), sparse.Csr.empty((0, width))


def _stored_counts(files: Mapping[str, bytes], width: int) -> tuple[np.ndarray, Csr]:
    digests = _array(files, "digests.npy", np.uint8, 2)
    indptr = _array(files, "indptr.npy", np.int64)
    columns = _array(files, "columns.npy", np.int32)
    counts = np.load(io.BytesIO(files["counts.npy"]), allow_pickle=False)
    if counts.dtype not in (np.uint16, np.float32) or counts.ndim != 1:
        raise ValueError("counts.npy")
    counts = counts.astype(np.float32)
    m = len(digests)
    if digests.shape != (m, 16) or len(counts) != len(columns):
        raise ValueError("shapes")
    _check_indptr(indptr, m, len(columns))
    if np.any((columns < 0) | (columns >= width)) or not np.all(counts >= 1):
        raise ValueError("values")
    rising = np.diff(columns.astype(np.int64)) > 0
    starts = np.zeros(len(columns), dtype=bool)
    starts[indptr[1:-1][indptr[1:-1] < len(columns)]] = True
    if np.any(~rising & ~starts[1:]):
        raise ValueError("columns out of order")
    return digests, sparse.Csr(counts, columns, indptr, (m, width))


def _count_files(texts: list[bytes], pool: Csr, row: Mapping[bytes, int]) -> dict[str, bytes]:
    """The word counts of ``texts`` (rows of ``pool``), as files (16-bit counts if they fit)."""
    kept = pool[np.array([row[t] for t in texts], dtype=np.int64)]
    small = not kept.nnz or kept.data.max() <= np.iinfo(np.uint16).max
    return {
        "digests.npy": _npy(_digests(texts)),
        "indptr.npy": _npy(kept.indptr.astype(np.int64)),
        "columns.npy": _npy(kept.indices.astype(np.int32)),
        "counts.npy": _npy(kept.data.astype(np.uint16 if small else np.float32)),
    }


# --- the hook ------------------------------------------------------------------------


def related_items(
    site: Site,
    count: int,
    tag_weight: float = 0.3,
    thread_weight: float = 0.2,
    cache: PluginCache | None = None,
    stats: dict[str, Any] | None = None,
    background: bool = False,
) -> Related:
    """Related items of every item, leaving out what its page links already.

    With a ``cache``, work of the previous build is reused (`Ranking`); the
    result is the same. ``stats`` receives how it went (once the lists are read).
    With ``background`` and at least ``parallel.BACKGROUND_ITEMS`` items, the
    ranking runs in a forked copy of the build, and the lists are collected
    when first read (`Later`): the copy sends them back as arrays of the
    standard library, so that numpy (imported when first used) is never loaded
    by the build itself. A cold build forks too: ranking in the build put the
    ranking's memory on the build's own peak (610 MB at 10,000 items with
    Pagefind, over the 600 MB budget; 479 MB with the copy).
    """
    items = sorted(site.items, key=lambda item: item.slug)
    position = {item.slug: n for n, item in enumerate(items)}
    crosslinks = site.data.get("crosslinks")
    left_out: list[set[int]] = [set() for _ in items]

    def leave_out(a: str, b: str) -> None:
        if a in position and b in position:
            left_out[position[a]].add(position[b])
            left_out[position[b]].add(position[a])

    threads: list[str | None] = [None] * len(items)
    if crosslinks is not None:
        for slug, targets in crosslinks.body_links.items():
            for target in targets:
                leave_out(slug, target)
        for n, item in enumerate(items):
            thread = crosslinks.of(item.slug).thread
            threads[n] = thread[0].slug if thread else None
            for member in thread:
                if member.slug != item.slug:
                    leave_out(item.slug, member.slug)
    for in_issue in site.items_by_issue.values():  # the in-issue pager's neighbours
        for before, after in itertools.pairwise(in_issue):
            leave_out(before.slug, after.slug)
    pool = POOL * count
    ranking = Ranking(
        items,
        left_out,
        threads,
        count=pool,
        tag_weight=tag_weight,
        thread_weight=thread_weight,
    )

    def ranked() -> tuple[typed_array, typed_array, typed_array, dict, dict]:
        """The pools as flat arrays of the standard library: numpy stays in the copy."""
        matches = ranking.matches(cache)
        starts = typed_array("q", matches.indptr.astype(np.int64).tobytes())
        columns = typed_array("q", matches.columns.astype(np.int64).tobytes())
        scores = typed_array("f", matches.scores.astype(np.float32).tobytes())
        return starts, columns, scores, ranking.stats, ranking.seconds

    def lists(found: tuple[typed_array, typed_array, typed_array, dict, dict]) -> tuple[dict, dict]:
        starts, columns, scores = (found[0].tolist(), found[1].tolist(), found[2].tolist())
        if stats is not None:
            stats.update(found[3], seconds=found[4])
        candidates, scored = {}, {}
        for item, start, stop in zip(items, starts, starts[1:], strict=False):
            stop = min(stop, start + pool)
            candidates[item.slug] = tuple([items[j] for j in columns[start:stop]])
            scored[item.slug] = tuple(scores[start:stop])
        return candidates, scored

    if not background or len(items) < parallel.BACKGROUND_ITEMS or cache is None:
        candidates, scored = lists(ranked())
        return Related(
            candidates=MappingProxyType(candidates),
            scores=MappingProxyType(scored),
            count=count,
            by_slug=site.item_by_slug,
        )
    pending = parallel.in_background(ranked, valid=_ranked_shape)
    both = functools.cache(lambda: lists(pending.result()))
    return Related(
        candidates=Later(lambda: both()[0]),
        scores=Later(lambda: both()[1]),
        count=count,
        by_slug=site.item_by_slug,
    )


def _ranked_shape(found: object) -> bool:
    return (
        isinstance(found, tuple)
        and len(found) == 5
        and all(isinstance(part, typed_array) for part in found[:3])
        and [part.typecode for part in found[:3]] == ["q", "q", "f"]
        and len(found[0]) >= 1
        and len(found[1]) == len(found[2]) == found[0][-1]
        and all(isinstance(part, dict) for part in found[3:])
    )


class Later(Mapping[str, Any]):
    """A mapping made when first read: the ranking runs meanwhile in a forked copy.

    ``link`` starts the ranking (`gazette.parallel.in_background`) and returns
    at once, so that the hooks after it (search, feeds, sitemap...) run on the
    other core; the item pages' outputs read it. Saved about 1 s of a one-item
    build at 10,000 items.
    """

    def __init__(self, make: Callable[[], Mapping[str, Any]]) -> None:
        self._make = make
        self._made: Mapping[str, Any] | None = None

    def _mapping(self) -> Mapping[str, Any]:
        if self._made is None:
            self._made = MappingProxyType(dict(self._make()))
        return self._made

    def __getitem__(self, key: str) -> Any:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())


def check_weights(options: Mapping[str, Any], name: str) -> list[Diagnostic]:
    problems = []
    for key in ("tag_weight", "thread_weight"):
        if not 0 <= options[key] <= 1:
            problems.append(
                error(
                    "site.toml",
                    0,
                    "plugin-option",
                    f"plugins.{name}.{key} is {options[key]!r}, expected a number from 0 to 1",
                    f"set {key} between 0 and 1",
                )
            )
    total = options["tag_weight"] + options["thread_weight"]
    if not problems and total > 1:
        problems.append(
            error(
                "site.toml",
                0,
                "plugin-option",
                f"plugins.{name}.tag_weight + thread_weight is {total:g}, over 1",
                "lower them; text similarity weighs what they leave of 1",
            )
        )
    return problems


def link(site: Site, *, options: Mapping[str, Any], name: str, **kwargs: Any) -> Related:
    """Runs after rendering (after crosslinks): the related items of every item."""
    problems = check_weights(options, name)
    if problems:
        raise ContentError(problems)
    return related_items(
        site,
        options["count"],
        options["tag_weight"],
        options["thread_weight"],
        cache=kwargs.get("cache"),
        background=True,
    )
