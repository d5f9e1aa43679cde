"""gazette.sparse: the sparse rows behind related items, against dense numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.sparse import Csr, dense_product, hstack, vstack


def random_matrix(seed: int, rows: int, columns: int, density: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    dense = rng.random((rows, columns), dtype=np.float32)
    dense[rng.random((rows, columns)) > density] = 0
    return dense


def reference_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cell by cell, in float32, adding in the order of a's row and then b's row."""
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.float32)
    for i in range(a.shape[0]):
        for k in np.flatnonzero(a[i]):
            for j in np.flatnonzero(b[k]):
                out[i, j] = np.float32(out[i, j] + np.float32(a[i, k] * b[k, j]))
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 9), st.integers(1, 12), st.integers(1, 9))
def test_product_equals_float32_sums_in_row_order(seed, rows, inner, columns):
    a = random_matrix(seed, rows, inner)
    b = random_matrix(seed + 1, inner, columns)
    found = dense_product(Csr.from_dense(a), Csr.from_dense(b))
    assert np.array_equal(found, reference_product(a, b))


def test_a_cell_has_one_score_whatever_rows_are_computed_with_it():
    features = Csr.from_dense(random_matrix(3, 40, 30, 0.3))
    transposed = features.transposed()
    whole = dense_product(features, transposed)
    some = np.array([5, 17, 3])
    assert np.array_equal(dense_product(features[some], transposed), whole[some])


@pytest.mark.parametrize("seed", range(5))
def test_the_operations_agree_with_dense_arrays(seed):
    dense = random_matrix(seed, 7, 11)
    other = random_matrix(seed + 10, 7, 4)
    matrix = Csr.from_dense(dense)
    assert np.array_equal(matrix.toarray(), dense)
    assert np.array_equal(matrix.transposed().toarray(), dense.T)
    assert np.array_equal(matrix[np.array([6, 0, 6])].toarray(), dense[[6, 0, 6]])
    assert np.array_equal(vstack([matrix, matrix]).toarray(), np.vstack([dense, dense]))
    stacked = hstack([matrix, Csr.from_dense(other).scaled(np.float32(2))])
    assert np.array_equal(stacked.toarray(), np.hstack([dense, other * np.float32(2)]))
    assert np.all(np.diff(stacked.indices[stacked.indptr[0] : stacked.indptr[1]]) > 0)
    zeroed = matrix.copy()
    zeroed.data[::2] = 0
    expected = zeroed.toarray()
    zeroed.eliminate_zeros()
    assert np.array_equal(zeroed.toarray(), expected) and np.all(zeroed.data != 0)
    assert matrix.nnz == np.count_nonzero(dense)


def test_empty_matrices():
    empty = Csr.empty((3, 5))
    assert empty.nnz == 0 and empty.toarray().shape == (3, 5)
    assert dense_product(empty, Csr.empty((5, 2))).shape == (3, 2)
    assert Csr.empty((0, 4)).transposed().shape == (4, 0)


def test_sort_indices_sorts_each_row_and_keeps_sorted_rows():
    matrix = Csr(
        np.array([1, 2, 3, 4], np.float32), np.array([3, 1, 0, 2]), np.array([0, 2, 4]), (2, 4)
    )
    assert not matrix.has_sorted_indices()
    matrix.sort_indices()
    assert matrix.indices.tolist() == [1, 3, 0, 2] and matrix.data.tolist() == [2, 1, 3, 4]
    assert matrix.has_sorted_indices()
