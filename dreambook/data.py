r"""Small binary data sets used throughout the book. Everything is seeded.

* :func:`load_digits_binary` -- scikit-learn's 8x8 handwritten digits,
  binarised, with a fixed train/test split (1500 / 297 images).
* :func:`bars_and_stripes` -- every distinct n x n bars-and-stripes image
  (MacKay 2003, ch. 43): :math:`2^{n+1} - 2` images.
* :func:`helmholtz_bars` and :func:`helmholtz_bars_distribution` -- the 4x4
  bars of Hinton, Dayan, Frey & Neal (1995), "The wake-sleep algorithm":
  choose vertical (probability 2/3) or horizontal, then switch each bar on
  independently with probability 0.2. There are 30 distinct images and the
  distribution has entropy 3.428 bits.

All images are returned flattened row by row, as float64 arrays of 0s and 1s
with one image per row.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_generator, check_nonnegative_int, check_positive_int, check_real

__all__ = [
    "load_digits_binary",
    "bars_and_stripes",
    "helmholtz_bars",
    "helmholtz_bars_distribution",
]

_N_DIGITS = 1797  # images in scikit-learn's bundled digits file


def load_digits_binary(threshold=8, n_train: int = 1500, seed: int = 0):
    """Binarised 8x8 digits with a fixed, seeded train/test split.

    Loads scikit-learn's bundled copy of the UCI optical digits
    (:func:`sklearn.datasets.load_digits`, 1797 images with grey levels
    0..16), sets a pixel to 1 when its grey level is ``>= threshold`` and to 0
    otherwise, permutes the images with ``numpy.random.default_rng(seed)``, and
    returns the first ``n_train`` as the training set and the rest as the
    test set. No network access is needed.

    Parameters
    ----------
    threshold : int or float, default 8
        Grey level (0..16) at and above which a pixel is "on".
    n_train : int, default 1500
        Number of training images, 1..1796; the remaining images are the test set.
    seed : int, default 0
        Seed of the permutation, so the split is the same on every machine.

    Returns
    -------
    train : ndarray, shape (n_train, 64), float64 in {0, 1}
    test : ndarray, shape (1797 - n_train, 64), float64 in {0, 1}

    Examples
    --------
    >>> train, test = load_digits_binary()
    >>> train.shape, test.shape
    ((1500, 64), (297, 64))
    >>> sorted(set(train.ravel().tolist()))
    [0.0, 1.0]
    """
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a real number, got {type(threshold).__name__}")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")
    n_train = check_positive_int(n_train, "n_train")
    if n_train >= _N_DIGITS:
        raise ValueError(
            f"n_train must be between 1 and {_N_DIGITS - 1} so that the test set is not empty, "
            f"got {n_train}"
        )
    seed = check_nonnegative_int(seed, "seed")
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "load_digits_binary needs scikit-learn (pip install 'dreambook[data]')"
        ) from err
    grey = load_digits().data  # (1797, 64), values 0..16
    binary = (grey >= threshold).astype(np.float64)
    order = np.random.default_rng(seed).permutation(binary.shape[0])
    binary = binary[order]
    return binary[:n_train].copy(), binary[n_train:].copy()


def bars_and_stripes(n: int = 3) -> np.ndarray:
    r"""Every distinct n x n bars-and-stripes image.

    An image is a *stripes* image when every row is constant (all 0 or all 1)
    and a *bars* image when every column is constant. Each family has
    :math:`2^n` members; the blank and the full image belong to both, so there
    are :math:`2^{n+1} - 2` distinct images.

    The stripes come first, in the binary order of their row pattern (row 0
    is the most significant bit), then the bars other than blank and full,
    in the binary order of their column pattern.

    Parameters
    ----------
    n : int, default 3
        Side length of the square images.

    Returns
    -------
    ndarray, shape (2**(n+1) - 2, n*n), float64 in {0, 1}

    Examples
    --------
    >>> X = bars_and_stripes(3)
    >>> X.shape
    (14, 9)
    >>> X[5].reshape(3, 3)          # row pattern 101: stripes on rows 0 and 2
    array([[1., 1., 1.],
           [0., 0., 0.],
           [1., 1., 1.]])
    """
    n = check_positive_int(n, "n")
    if n > 12:
        raise ValueError(f"n must be at most 12 (the set has 2**(n+1) - 2 images), got {n}")
    codes = np.arange(2**n)
    # pattern[k, i] = bit i of code k, most significant bit first
    pattern = ((codes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)
    stripes = np.repeat(pattern, n, axis=1)  # row i of the image is pattern[i]
    bars = np.tile(pattern, (1, n))  # column j of the image is pattern[j]
    not_constant = (codes != 0) & (codes != 2**n - 1)
    return np.concatenate([stripes, bars[not_constant]], axis=0)


def _bars_images(size: int):
    """All 2**size vertical and 2**size horizontal bar images, in code order."""
    codes = np.arange(2**size)
    pattern = ((codes[:, None] >> np.arange(size - 1, -1, -1)) & 1).astype(np.float64)
    vertical = np.tile(pattern, (1, size))  # column j on when bit j is on
    horizontal = np.repeat(pattern, size, axis=1)  # row i on when bit i is on
    n_on = pattern.sum(axis=1)
    return vertical, horizontal, n_on


def helmholtz_bars(n_samples: int, rng, size: int = 4, p_vertical=2 / 3, p_bar=0.2) -> np.ndarray:
    """Sample the bars images of the wake-sleep paper (Hinton et al. 1995).

    Each image is made by first choosing an orientation, vertical with
    probability ``p_vertical`` and horizontal otherwise, and then switching
    each of the ``size`` bars of that orientation on independently with
    probability ``p_bar``.

    Parameters
    ----------
    n_samples : int
        Number of images to draw.
    rng : numpy.random.Generator or int
        Source of randomness.
    size : int, default 4
        Side length of the square images.
    p_vertical : float, default 2/3
        Probability that an image has vertical bars.
    p_bar : float, default 0.2
        Probability that each bar is on.

    Returns
    -------
    ndarray, shape (n_samples, size*size), float64 in {0, 1}

    Examples
    --------
    >>> X = helmholtz_bars(5, rng=0)
    >>> X.shape
    (5, 16)
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = as_generator(rng)
    size = check_positive_int(size, "size")
    p_vertical = check_real(p_vertical, "p_vertical", 0, 1)
    p_bar = check_real(p_bar, "p_bar", 0, 1)
    vertical = rng.random(n_samples) < p_vertical
    bars_on = (rng.random((n_samples, size)) < p_bar).astype(np.float64)
    images = np.where(
        vertical[:, None, None],
        np.broadcast_to(bars_on[:, None, :], (n_samples, size, size)),  # columns
        np.broadcast_to(bars_on[:, :, None], (n_samples, size, size)),  # rows
    )
    return images.reshape(n_samples, size * size).astype(np.float64)


def helmholtz_bars_distribution(size: int = 4, p_vertical=2 / 3, p_bar=0.2):
    r"""The exact distribution of :func:`helmholtz_bars` over distinct images.

    An image with :math:`k` of the ``size`` bars on has probability
    :math:`p_{\rm orient}\, p_{\rm bar}^k (1 - p_{\rm bar})^{{\rm size} - k}`
    for each orientation that can draw it. The blank and the full image can
    be drawn with either orientation, so their probabilities add; with
    ``size=4`` there are :math:`2\cdot 16 - 2 = 30` distinct images and the
    entropy is 3.428 bits.

    Returns
    -------
    states : ndarray, shape (k, size*size), float64 in {0, 1}
        The distinct images, in the order: vertical images by bar code, then
        horizontal images other than blank and full.
    probs : ndarray, shape (k,)
        Their probabilities (summing to 1). Images of probability zero (for
        example when ``p_bar`` is 0) are kept, so ``k`` depends only on ``size``.

    Examples
    --------
    >>> states, probs = helmholtz_bars_distribution()
    >>> states.shape
    (30, 16)
    >>> round(float(-(probs * np.log2(probs)).sum()), 3)   # entropy in bits
    3.428
    """
    size = check_positive_int(size, "size")
    if size > 12:
        raise ValueError(f"size must be at most 12 for exact enumeration, got {size}")
    p_vertical = check_real(p_vertical, "p_vertical", 0, 1)
    p_bar = check_real(p_bar, "p_bar", 0, 1)
    vertical, horizontal, n_on = _bars_images(size)
    per_pattern = p_bar**n_on * (1.0 - p_bar) ** (size - n_on)
    p_v = p_vertical * per_pattern
    p_h = (1.0 - p_vertical) * per_pattern
    if size == 1:  # a 1x1 "bar" is the same image in both orientations
        return vertical, p_v + p_h
    blank, full = 0, 2**size - 1
    p_v = p_v.copy()
    p_v[blank] += p_h[blank]
    p_v[full] += p_h[full]
    keep = np.ones(2**size, dtype=bool)
    keep[[blank, full]] = False
    states = np.concatenate([vertical, horizontal[keep]], axis=0)
    probs = np.concatenate([p_v, p_h[keep]])
    return states, probs
