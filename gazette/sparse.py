"""Compressed sparse rows in numpy: the few operations related items need.

Why not scipy.sparse: it was the only use of scipy, and scipy is 143 MB of the
runtime install (issue 18 asks for a runtime profile under 250 MB; numpy alone
is 73 MB). What similarity needs is small: build a matrix, stack, select rows,
transpose, drop zeros, and multiply two matrices into a dense block.

``dense_product`` sums exactly as scipy's ``csr_matmat`` does, so scores are
the float32 numbers scipy gave: for each cell ``(i, j)`` the products
``a[i, k] * b[k, j]`` are added in float32, in the order of row ``i``'s
entries and then of row ``k``'s, by ``np.add.at``, which applies its updates
one after the other. The same cell therefore gets the same float32 score
whichever other rows are computed with it, which the related plugin relies on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Csr:
    """A matrix in compressed sparse row form: row ``r`` holds
    ``indices[indptr[r]:indptr[r + 1]]`` (columns, rising) with ``data`` there."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(
        self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
    ) -> None:
        self.data = np.asarray(data)
        self.indices = np.asarray(indices)
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.shape = (int(shape[0]), int(shape[1]))
        if len(self.indptr) != self.shape[0] + 1:
            raise ValueError(f"indptr has {len(self.indptr)} entries for {self.shape[0]} rows")

    @classmethod
    def empty(cls, shape: tuple[int, int], dtype: type = np.float32) -> Csr:
        return cls(
            np.zeros(0, dtype), np.zeros(0, np.int32), np.zeros(shape[0] + 1, np.int64), shape
        )

    @classmethod
    def from_coo(
        cls, data: np.ndarray, rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]
    ) -> Csr:
        """From ``(row, column, value)`` triples without repeats, in any order."""
        rows = np.asarray(rows, dtype=np.int64)
        columns = np.asarray(columns, dtype=np.int64)
        order = np.lexsort((columns, rows))
        indptr = np.searchsorted(rows[order], np.arange(shape[0] + 1))
        return cls(np.asarray(data)[order], columns[order].astype(np.int32), indptr, shape)

    @classmethod
    def from_dense(cls, array: np.ndarray) -> Csr:
        rows, columns = np.nonzero(array)
        return cls.from_coo(array[rows, columns], rows, columns, array.shape)

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def row_lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def copy(self) -> Csr:
        return Csr(self.data.copy(), self.indices.copy(), self.indptr.copy(), self.shape)

    def scaled(self, factor: np.floating) -> Csr:
        """Every value times ``factor`` (in the data's type times the factor's)."""
        return Csr(self.data * factor, self.indices, self.indptr, self.shape)

    def rows(self, chosen: np.ndarray) -> Csr:
        """The matrix of rows ``chosen`` (in that order, repeats allowed)."""
        chosen = np.asarray(chosen, dtype=np.int64)
        lengths = self.row_lengths()[chosen]
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        starts = self.indptr[chosen]
        at = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return Csr(self.data[at], self.indices[at], indptr, (len(chosen), self.shape[1]))

    def __getitem__(self, chosen: np.ndarray) -> Csr:
        return self.rows(chosen)

    def eliminate_zeros(self) -> None:
        """Drop stored zeros, in place."""
        keep = self.data != 0
        if keep.all():
            return
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        self.indptr = kept_before[self.indptr]
        self.data, self.indices = self.data[keep], self.indices[keep]

    def has_sorted_indices(self) -> bool:
        """Whether columns rise within every row (checked, not remembered)."""
        if self.nnz < 2:
            return True
        rising = np.diff(self.indices.astype(np.int64)) > 0
        starts = np.zeros(self.nnz, dtype=bool)
        starts[self.indptr[1:-1][self.indptr[1:-1] < self.nnz]] = True
        return bool(np.all(rising | starts[1:]))

    def sort_indices(self) -> None:
        """Columns rising within each row, in place (nothing to do when they do)."""
        if self.has_sorted_indices():
            return
        row_of = np.repeat(np.arange(self.shape[0]), self.row_lengths())
        order = np.lexsort((self.indices, row_of))
        self.data, self.indices = self.data[order], self.indices[order]

    def transposed(self) -> Csr:
        """The transpose, its rows' entries in rising column order."""
        row_of = np.repeat(np.arange(self.shape[0], dtype=np.int64), self.row_lengths())
        order = np.argsort(self.indices, kind="stable")  # stable: old rows stay rising
        counts = np.bincount(self.indices, minlength=self.shape[1])
        indptr = np.concatenate(([0], np.cumsum(counts)))
        return Csr(
            self.data[order], row_of[order].astype(np.int32), indptr, (self.shape[1], self.shape[0])
        )

    def toarray(self) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=self.data.dtype)
        dense[np.repeat(np.arange(self.shape[0]), self.row_lengths()), self.indices] = self.data
        return dense


def vstack(blocks: Sequence[Csr]) -> Csr:
    """Rows of each block, one block after the other (as many columns as the widest)."""
    offsets = np.cumsum([0] + [block.nnz for block in blocks])
    indptr = np.concatenate(
        [[0]] + [block.indptr[1:] + offset for block, offset in zip(blocks, offsets, strict=False)]
    )
    data = np.concatenate([block.data for block in blocks])
    indices = np.concatenate([block.indices for block in blocks])
    rows = sum(block.shape[0] for block in blocks)
    return Csr(data, indices, indptr, (rows, max(block.shape[1] for block in blocks)))


def hstack(blocks: Sequence[Csr], dtype: type = np.float32) -> Csr:
    """Columns of each block, side by side; each row keeps the blocks' order.

    Every entry is put at its place directly (no sort): its row's start, plus
    the row's entries in the blocks before, plus its place in its own block.
    """
    rows = blocks[0].shape[0]
    lengths = [block.row_lengths() for block in blocks]
    indptr = np.concatenate(([0], np.cumsum(np.sum(lengths, axis=0)))).astype(np.int64)
    data = np.empty(int(indptr[-1]), dtype=dtype)
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    before = indptr[:-1].copy()  # where each row's entries of the next block go
    width = 0
    for block, length in zip(blocks, lengths, strict=True):
        at = np.repeat(before - block.indptr[:-1], length) + np.arange(block.nnz)
        data[at] = block.data
        indices[at] = block.indices + width
        before += length
        width += block.shape[1]
    return Csr(data, indices, indptr, (rows, width))


def dense_product(a: Csr, b: Csr) -> np.ndarray:
    """``a @ b`` as a dense float32 array, summed in scipy's order (see the module)."""
    height, width = a.shape[0], b.shape[1]
    out = np.zeros(height * width, dtype=np.float32)
    if not a.nnz or not b.nnz:
        return out.reshape(height, width)
    b_lengths = b.row_lengths()
    per_entry = b_lengths[a.indices]  # how many products each entry of ``a`` makes
    total = int(per_entry.sum())
    if total:
        a_rows = np.repeat(np.arange(height, dtype=np.int64), a.row_lengths())
        starts = np.repeat(b.indptr[a.indices] - np.cumsum(per_entry) + per_entry, per_entry)
        at = starts + np.arange(total)  # positions in ``b`` of each product, in order
        cells = np.repeat(a_rows, per_entry) * width + b.indices[at]
        values = np.repeat(a.data.astype(np.float32), per_entry) * b.data[at].astype(np.float32)
        np.add.at(out, cells, values)
    return out.reshape(height, width)
