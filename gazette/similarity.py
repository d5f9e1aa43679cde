"""Sparse vectors for similarity: hashed TF-IDF keywords, weighted labels, top-k cosine.

numpy, with the few sparse-matrix operations it needs in ``gazette.sparse``:
scikit-learn's vectorisers tokenise in Python, one string object per word,
which alone takes longer than the 3 s that related items may cost at 10,000
items. Here every step is an array operation:

- *Words*: the texts are joined, lower-cased and encoded once; a byte table
  marks word bytes (ASCII letters and digits, and every byte of a UTF-8
  sequence, so accented words stay whole); a word is identified by its first
  16 bytes, read as two 64-bit integers and hashed into ``2**HASH_BITS``
  columns. Two words sharing a column, or words alike in their first 16 bytes
  (``internationalisation``/``internationalisations``), count as one: rare, and
  it only blurs a score.
- *Weights*: sublinear term frequency times smoothed IDF; words in one text
  only, in more than ``MAX_DF`` of them, one letter long or common English
  (``STOPWORDS``) are dropped; each text keeps its ``terms`` heaviest words,
  its keywords, as Hugo's related content does. Without that the product of a
  large archive's vectors is dense and costs seconds.
- *Scores*: the product of the unit vectors with their transpose, a block of
  rows at a time so that no dense n × n matrix exists, then the best ``count``
  of each row (see `best`); equal scores go to the lower index. Blocks and
  chunks of texts run in a few threads: numpy releases the GIL, and the
  results are put together in order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gazette.sparse import Csr, dense_product, vstack

HASH_BITS = 20
MAX_DF = 0.5  # applied from MIN_TEXTS_FOR_MAX_DF texts on
MIN_TEXTS_FOR_MAX_DF = 20
BLOCK_CELLS = 2_000_000  # dense cells of one block of scores
GROUP = 64  # columns per group when looking for the best scores
WORKERS = min(4, os.cpu_count() or 1)  # threads, so at most WORKERS blocks at once

STOPWORDS = """about above after again against also among and any are because been before
being below between both but can could did does doing down during each few for from
further had has have having her here hers him his how however into its itself just may
more most much must not now off once only other our out over own per same she should
since some such than that the their them then there these they this those through under
until upon very was were what when where which while who whom why will with within
without would yet you your"""

_WORD_BYTE = np.array([48 <= c <= 57 or 97 <= c <= 122 or c >= 128 for c in range(256)], dtype=bool)
# Third bytes of U+2013 U+2014 U+2018 U+2019 U+201C U+201D U+2026 (E2 80 xx):
# dashes, quotes and the ellipsis, which would otherwise glue words together.
_PUNCTUATION = np.array([0x93, 0x94, 0x98, 0x99, 0x9C, 0x9D, 0xA6], dtype=np.uint8)
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)
_MIX1 = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX2 = np.uint64(0x9E3779B97F4A7C15)


def _blank_punctuation(data: np.ndarray) -> None:
    dash = np.flatnonzero(data[:-2] == 0xE2)
    dash = dash[(data[dash + 1] == 0x80) & np.isin(data[dash + 2], _PUNCTUATION)]
    nbsp = np.flatnonzero((data[:-1] == 0xC2) & (data[1:] == 0xA0))
    for start, width in ((dash, 3), (nbsp, 2)):
        for offset in range(width):
            data[start + offset] = 32


def hashed_words(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(text index, column)`` of every word of at least two bytes, in order."""
    blob = "\x00".join(text.replace("\x00", " ") for text in texts).lower().encode()
    data = np.frombuffer(blob + bytes(16), dtype=np.uint8).copy()
    _blank_punctuation(data)
    edges = np.diff(_WORD_BYTE[data].view(np.int8), prepend=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    lengths = np.flatnonzero(edges == -1) - starts
    kept = lengths > 1
    starts, lengths = starts[kept], lengths[kept]
    text = np.searchsorted(np.flatnonzero(data[: len(blob)] == 0), starts)
    # Every byte offset read as a little-endian uint64: an unaligned, read-only view.
    wide = np.ndarray((len(data) - 8,), dtype="<u8", buffer=data.data, strides=(1,))
    head = wide[starts] & _LOW_BYTES[np.minimum(lengths, 8)]
    tail = wide[starts + 8] & _LOW_BYTES[np.clip(lengths - 8, 0, 8)]
    column = ((head ^ (tail * _MIX1)) * _MIX2) >> np.uint64(64 - HASH_BITS)
    return text.astype(np.int32), column.astype(np.int32)


def _count_words(texts: Sequence[str]) -> Csr:
    shape = (len(texts), 1 << HASH_BITS)
    rows, columns = hashed_words(texts)
    if not len(rows):
        return Csr.empty(shape)
    keys = (rows.astype(np.int64) << HASH_BITS) | columns
    keys.sort()
    firsts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.append(firsts, len(keys))).astype(np.float32)
    unique = keys[firsts]
    indptr = np.searchsorted(unique >> HASH_BITS, np.arange(len(texts) + 1))
    columns = (unique & ((1 << HASH_BITS) - 1)).astype(np.int32)
    return Csr(counts, columns, indptr, shape)


def term_counts(texts: Sequence[str], chunk: int = 250) -> Csr:
    """Texts × hashed words: how often each word occurs in each text.

    ``chunk`` texts at a time, sliced from ``texts`` only when a thread takes
    them (numpy releases the GIL, so both cores work), so that a lazy sequence
    of texts is never all in memory.
    """
    if not len(texts):
        return Csr.empty((0, 1 << HASH_BITS))
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        parts = pool.map(
            lambda start: _count_words(texts[start : start + chunk]), range(0, len(texts), chunk)
        )
        return vstack(list(parts))


def unit_rows(matrix: Csr) -> Csr:
    """Each row scaled to length 1 (empty rows stay empty)."""
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    squares = np.bincount(rows, weights=matrix.data.astype(np.float64) ** 2, minlength=len(lengths))
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    matrix = matrix.copy()
    matrix.data = (matrix.data / norms[rows]).astype(np.float32)
    return matrix


def keep_heaviest(matrix: Csr, terms: int) -> Csr:
    """Keep the ``terms`` largest values of each row (and any equal to the last kept).

    Changes ``matrix`` in place and returns it. Rows go through ``np.partition``
    a block at a time, padded with zeros to the longest row.
    """
    lengths = np.diff(matrix.indptr)
    if not matrix.nnz or lengths.max() <= terms:
        return matrix
    width = int(lengths.max())
    block = max(1, BLOCK_CELLS // width)
    for start in range(0, matrix.shape[0], block):
        stop = min(start + block, matrix.shape[0])
        first, last = matrix.indptr[start], matrix.indptr[stop]
        rows = np.repeat(np.arange(stop - start), lengths[start:stop])
        places = np.arange(last - first) - (matrix.indptr[start:stop] - first)[rows]
        padded = np.zeros((stop - start, width), dtype=matrix.data.dtype)
        padded[rows, places] = matrix.data[first:last]
        threshold = np.partition(padded, width - terms, axis=1)[:, width - terms]
        values = matrix.data[first:last]
        values[values < threshold[rows]] = 0
    matrix.eliminate_zeros()
    return matrix


def keyword_vectors(texts: Sequence[str], terms: int) -> Csr:
    """Unit TF-IDF vectors of each text's ``terms`` heaviest words."""
    return keyword_weights(term_counts(texts), terms)


def keyword_weights(counts: Csr, terms: int) -> Csr:
    """`keyword_vectors` from the texts' `term_counts` (turned into weights in place).

    Each row of ``counts`` depends on its own text only, so rows may come from
    a cache; the IDF depends on every row and is computed here.
    """
    weights = counts
    n = weights.shape[0]
    df = np.bincount(weights.indices, minlength=weights.shape[1])
    idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    if n >= MIN_TEXTS_FOR_MAX_DF:
        idf[df > MAX_DF * n] = 0
    idf[df < 2] = 0
    idf[hashed_words([STOPWORDS])[1]] = 0
    data = weights.data  # counts, turned into weights in place
    np.log(data, out=data)
    data += 1
    data *= idf[weights.indices]
    weights.eliminate_zeros()
    return unit_rows(keep_heaviest(weights, terms))


def label_vectors(labels: Sequence[Iterable[str]], idf: bool = True) -> Csr:
    """Unit vectors of label sets (tags, threads), each label weighted by its rarity."""
    names = sorted({label for item_labels in labels for label in item_labels})
    column = {name: n for n, name in enumerate(names)}
    rows, columns = [], []
    for row, item_labels in enumerate(labels):
        for name in sorted(set(item_labels)):
            rows.append(row)
            columns.append(column[name])
    shape = (len(labels), len(names))
    matrix = Csr.from_coo(np.ones(len(rows), dtype=np.float32), rows, columns, shape)
    if idf:
        df = np.bincount(matrix.indices, minlength=len(names))
        weight = np.log((1 + len(labels)) / (1 + df)) + 1
        matrix.data = (matrix.data * weight[matrix.indices]).astype(np.float32)
    return unit_rows(matrix)


def best(scores: np.ndarray, count: int) -> list[list[tuple[int, float]]]:
    """The ``count`` best positive columns of each row, best first, ties to the lower column."""
    found: list[list[tuple[int, float]]] = [[] for _ in range(scores.shape[0])]
    rows, columns, values = best_cells(scores, count)
    for row, column, value in zip(rows.tolist(), columns.tolist(), values.tolist(), strict=True):
        found[row].append((column, value))
    return found


def best_cells(scores: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`best` as arrays ``(row, column, score)``, by row, best first in each row.

    ``scores`` has a multiple of ``GROUP`` columns. The k-th largest group
    maximum is a lower bound of the k-th largest score, so only the groups
    whose maximum reaches it are searched, and only their cells that reach
    it are sorted: a few hundred cells per row are read, a few dozen sorted.
    """
    height, width = scores.shape
    k = min(count, width)
    if k <= 0 or height == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    groups = scores.reshape(height, width // GROUP, GROUP)
    tops = groups.max(axis=2)
    kth = min(k, tops.shape[1])
    bound = np.partition(tops, tops.shape[1] - kth, axis=1)[:, tops.shape[1] - kth]
    rows, group = np.nonzero((tops >= bound[:, None]) & (tops > 0))
    values = groups[rows, group].ravel()
    columns = (group[:, None] * GROUP + np.arange(GROUP)).ravel()
    rows = np.repeat(rows, GROUP)
    # A cell below its row's bound is beaten by k group maxima, if there are k groups.
    floor = bound[rows] if kth == k else 0
    positive = (values > 0) & (values >= floor)
    rows, columns, values = rows[positive], columns[positive], values[positive]
    order = np.lexsort((columns, -values, rows))
    rows, columns, values = rows[order], columns[order], values[order]
    place = np.arange(len(rows)) - np.searchsorted(rows, rows)
    chosen = place < k
    return rows[chosen], columns[chosen], values[chosen]


def _padded_transpose(features: Csr) -> Csr:
    """``features.T`` with its columns padded to whole groups of ``GROUP``."""
    width = -(-features.shape[0] // GROUP) * GROUP
    transposed = features.transposed()
    return Csr(transposed.data, transposed.indices, transposed.indptr, (features.shape[1], width))


def top_matches(
    features: Csr, excluded: Sequence[Iterable[int]], count: int
) -> list[list[tuple[int, float]]]:
    """For each row, ``(row, score)`` of the rows with the largest dot products.

    A row never matches itself or the rows in ``excluded[row]``. Blocks of rows
    run in threads: numpy releases the GIL.
    """
    found: list[list[tuple[int, float]]] = [[] for _ in range(features.shape[0])]
    rows, columns, values = top_match_cells(features, excluded, count)
    for row, column, value in zip(rows.tolist(), columns.tolist(), values.tolist(), strict=True):
        found[row].append((column, value))
    return found


def top_match_cells(
    features: Csr,
    excluded: Sequence[Iterable[int]],
    count: int,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`top_matches` of ``rows`` (default: all) as arrays ``(row, column, score)``.

    Sorted by row, best first in each row. The score of rows ``i`` and ``j``
    is summed over the entries of row ``i`` in their order, whatever other
    rows hold, so computing some rows gives the same float32 scores as
    computing all of them (`dot_columns` relies on the same).
    """
    n = features.shape[0]
    chosen = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    transposed = _padded_transpose(features)
    block = max(1, BLOCK_CELLS // transposed.shape[1])

    def match(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mine = chosen[start : start + block]
        scores = dense_product(features[mine], transposed)
        local = np.arange(len(mine))
        scores[local, mine] = 0
        pairs = [(row, other) for row, own in enumerate(mine.tolist()) for other in excluded[own]]
        if pairs:
            near, others = zip(*pairs, strict=True)
            scores[list(near), list(others)] = 0
        found, columns, values = best_cells(scores, count)
        return mine[found], columns, values

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        parts = list(pool.map(match, range(0, len(chosen), block)))
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))  # type: ignore[return-value]


def dot_columns(features: Csr, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Dense ``scores[r, c]``: row ``rows[r]`` times row ``columns[c]`` of ``features``.

    Summed over the entries of row ``rows[r]`` in their order, exactly as
    `top_match_cells` sums the same cell, so the float32 values are equal.
    """
    other = features[np.asarray(columns, dtype=np.int64)].transposed()
    return dense_product(features[np.asarray(rows, dtype=np.int64)], other)
