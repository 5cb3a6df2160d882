"""Data sets in dreambook.data: shapes, values, counts and seeding."""

import numpy as np
import pytest

from dreambook.data import bars_and_stripes, helmholtz_bars, helmholtz_bars_distribution, load_digits_binary
from dreambook.exact import entropy
from dreambook.diagnostics import chi_square_test


def _rows(X):
    return {row.tobytes() for row in X}


def test_digits_split_shapes_values_and_seeding():
    train, test = load_digits_binary()
    assert train.shape == (1500, 64) and test.shape == (297, 64)
    assert train.dtype == np.float64 and test.dtype == np.float64
    assert set(np.unique(np.vstack([train, test]))) == {0.0, 1.0}
    again = load_digits_binary()
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])
    other = load_digits_binary(seed=1)
    assert not np.array_equal(train, other[0])
    # the split is a permutation of all 1797 images
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    grey = sklearn_datasets.load_digits().data
    everything = (grey >= 8).astype(float)
    both = np.vstack([train, test])
    order = np.lexsort(both.T)
    np.testing.assert_array_equal(both[order], everything[np.lexsort(everything.T)])
    # threshold moves pixels on and off
    low, _ = load_digits_binary(threshold=1)
    assert low.mean() > train.mean()
    small_train, small_test = load_digits_binary(n_train=100)
    assert small_train.shape == (100, 64) and small_test.shape == (1697, 64)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_bars_and_stripes_counts_and_structure(n):
    X = bars_and_stripes(n)
    assert X.shape == (2 ** (n + 1) - 2, n * n)
    assert len(_rows(X)) == X.shape[0]  # all distinct
    images = X.reshape(-1, n, n)
    rows_constant = np.all(images == images[:, :, :1], axis=(1, 2))
    columns_constant = np.all(images == images[:, :1, :], axis=(1, 2))
    assert np.all(rows_constant | columns_constant)
    assert rows_constant.sum() == 2**n and columns_constant.sum() == 2**n


def test_bars_and_stripes_3x3_has_14_images():
    assert bars_and_stripes(3).shape == (14, 9)


def test_helmholtz_bars_distribution_has_30_images_and_3_428_bits():
    states, probs = helmholtz_bars_distribution()
    assert states.shape == (30, 16) and len(_rows(states)) == 30
    assert probs.sum() == pytest.approx(1.0)
    assert entropy(probs, base=2) == pytest.approx(3.428, abs=5e-4)
    blank = np.all(states == 0, axis=1)
    assert probs[blank][0] == pytest.approx(0.8**4)  # from either orientation
    full = np.all(states == 1, axis=1)
    assert probs[full][0] == pytest.approx(0.2**4)


def test_helmholtz_bars_samples_follow_the_distribution():
    states, probs = helmholtz_bars_distribution()
    X = helmholtz_bars(20000, rng=0)
    assert X.shape == (20000, 16) and X.dtype == np.float64
    assert _rows(X) <= _rows(states)
    index = {row.tobytes(): i for i, row in enumerate(states)}
    counts = np.bincount([index[row.tobytes()] for row in X], minlength=30)
    expected = 20000 * probs
    statistic = np.sum((counts - expected) ** 2 / expected)
    assert statistic < 70  # chi-square with 29 degrees of freedom: p about 3e-5 at 70
    np.testing.assert_array_equal(helmholtz_bars(50, rng=0), helmholtz_bars(50, rng=0))  # seeded
    # vertical bars are twice as likely as horizontal ones
    images = X.reshape(-1, 4, 4)
    vertical_only = np.all(images == images[:, :1, :], axis=(1, 2)) & ~np.all(images == images[:, :, :1], axis=(1, 2))
    horizontal_only = np.all(images == images[:, :, :1], axis=(1, 2)) & ~np.all(images == images[:, :1, :], axis=(1, 2))
    assert vertical_only.sum() / horizontal_only.sum() == pytest.approx(2.0, rel=0.1)


def test_helmholtz_bars_other_sizes_and_probabilities():
    states, probs = helmholtz_bars_distribution(size=3, p_vertical=0.5, p_bar=0.5)
    assert states.shape == (14, 9)
    np.testing.assert_allclose(np.sort(probs), np.sort(np.r_[[1 / 8] * 2, [1 / 16] * 12]))
    assert helmholtz_bars(10, rng=1, size=3).shape == (10, 9)
    s1, p1 = helmholtz_bars_distribution(size=1)
    assert s1.shape == (2, 1) and p1.sum() == pytest.approx(1.0)


def test_helmholtz_sampler_passes_a_chi_square_test_over_all_states():
    """Against the full 2**9 state space of 3x3 bars (probability 0 off the support)."""
    states, probs = helmholtz_bars_distribution(size=3)
    full = np.zeros(2**9)
    codes = states @ (2 ** np.arange(8, -1, -1))
    full[codes.astype(int)] = probs
    X = helmholtz_bars(5000, rng=2, size=3)
    assert chi_square_test(X, full)[1] > 1e-3
