r"""Binary states: the enumeration order, the index of a state, empirical distributions.

One convention for the whole package: state *k* of *n* units has bits
:math:`x_i = (k \gg (n - 1 - i)) \mathbin{\&} 1` -- the first unit is the most
significant bit, so :func:`all_states` counts upwards in binary, and
:func:`state_index` is its inverse. Every exact distribution in
:mod:`dreambook.exact` and every empirical one here is indexed this way.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_binary, check_bool, check_nonnegative_int, check_positive_int

__all__ = ["all_states", "states_of", "state_index", "pool_samples", "empirical_distribution",
           "all_pairs", "pair_features", "pack_pairs", "unpack_pairs"]


def all_states(n, max_units=24) -> np.ndarray:
    """All :math:`2^n` binary states of *n* units, as a (2**n, n) float64 array.

    Row *k* has bits ``x[k, i] = (k >> (n - 1 - i)) & 1``: the first unit is
    the most significant bit, so the rows count upwards in binary.

    Parameters
    ----------
    n : int
        Number of units, >= 0.
    max_units : int, default 24
        Refuse larger *n* (2**24 states of 24 units already take 3 GiB).

    Examples
    --------
    >>> all_states(2)
    array([[0., 0.],
           [0., 1.],
           [1., 0.],
           [1., 1.]])
    """
    n = check_nonnegative_int(n, "n")
    max_units = check_positive_int(max_units, "max_units")
    if n > max_units:
        raise ValueError(
            f"n = {n} units give 2**{n} states, more than all_states enumerates "
            f"(max_units={max_units}); pass a larger max_units to raise the limit"
        )
    # Filled one column at a time, in place: the peak memory is the result plus
    # one column of indices, not the (2**n, n) int64 temporaries of states_of.
    out = np.empty((2**n, n), dtype=np.float64)
    index = np.arange(2**n, dtype=np.int64)
    column = np.empty(2**n, dtype=np.int64)
    for i in range(n):
        np.right_shift(index, n - 1 - i, out=column)
        np.bitwise_and(column, 1, out=column)
        out[:, i] = column
    return out


def state_index(x) -> np.ndarray:
    """Index of each binary state in :func:`dreambook.states.all_states` order.

    The first unit is the most significant bit: ``index = sum_i x_i 2**(n-1-i)``.

    >>> state_index([[0, 0, 1], [1, 0, 0], [1, 1, 1]])
    array([1, 4, 7])
    """
    x2 = check_binary(x, "x")
    n = x2.shape[1]
    if n > 62:
        raise ValueError(f"x must have at most 62 units to be indexed, got {n}")
    weights = 2 ** np.arange(n - 1, -1, -1, dtype=np.int64)
    idx = x2.astype(np.int64) @ weights
    return int(idx[0]) if np.ndim(x) == 1 else idx


def pool_samples(samples) -> np.ndarray:
    """Return samples as a 2-d (m, n) array of 0/1, pooling leading axes (sweeps, chains).

    >>> pool_samples(np.zeros((3, 2, 4))).shape
    (6, 4)
    """
    arr = np.asarray(samples)
    if arr.ndim >= 3:  # e.g. a recorded chain (n_steps, n_chains, n_units)
        arr = arr.reshape(-1, arr.shape[-1])
    return check_binary(arr, "samples", allow_1d=False)


def empirical_distribution(samples, counts=False, max_units=24) -> np.ndarray:
    """Frequencies (or counts) of the states in ``samples``, in ``all_states`` order.

    Parameters
    ----------
    samples : array_like of 0/1, shape (m, n) or (..., m, n)
        Leading dimensions (e.g. sweeps and chains) are pooled.
    counts : bool
        Return integer counts instead of frequencies.
    max_units : int, default 24
        Refuse more units (the result has 2**n entries).

    >>> empirical_distribution([[0, 1], [0, 1], [1, 1], [0, 0]])
    array([0.25, 0.5 , 0.  , 0.25])
    """
    x = pool_samples(samples)
    n = x.shape[1]
    counts = check_bool(counts, "counts")
    max_units = check_positive_int(max_units, "max_units")
    if n > max_units:
        raise ValueError(
            f"samples have {n} units, i.e. 2**{n} states, above max_units={max_units}"
        )
    c = np.bincount(state_index(x), minlength=2**n)
    return c if counts else c / x.shape[0]


def states_of(indices, n: int) -> np.ndarray:
    """The states with the given indices: rows of bits (first unit = most significant), float64.

    The inverse of :func:`state_index`; ``states_of(np.arange(2**n), n)`` is
    :func:`all_states` (n), which builds the same array with less memory.

    >>> states_of([0, 5], 3)
    array([[0., 0., 0.],
           [1., 0., 1.]])
    """
    indices = np.asarray(indices, dtype=np.int64)
    shifts = np.arange(n - 1, -1, -1, dtype=np.int64)
    return ((indices[..., None] >> shifts) & 1).astype(np.float64)


def all_pairs(n: int) -> np.ndarray:
    """Every pair :math:`i < j` of ``n`` units, row by row (``numpy.triu_indices(n, k=1)`` order).

    The ``pairs`` of a fully connected machine, for :func:`pair_features`,
    :func:`pack_pairs` and :func:`unpack_pairs`.

    >>> all_pairs(3).tolist()
    [[0, 1], [0, 2], [1, 2]]
    """
    return np.column_stack(np.triu_indices(n, k=1))


def pair_features(x, pairs) -> np.ndarray:
    r"""Rows :math:`\phi(x) = (x_i x_j \text{ for } (i, j) \in \text{pairs},\; x_1, \dots, x_n)`.

    The energy of a Boltzmann machine is linear in its parameters,
    :math:`-E(x) = \theta^\top \phi(x)` with :math:`\theta` from :func:`pack_pairs`;
    ``pairs`` is an integer array of shape (k, 2) with :math:`i < j`.

    >>> pair_features(np.array([[1.0, 1.0, 0.0]]), np.array([[0, 1], [1, 2]]))
    array([[1., 0., 1., 1., 0.]])
    """
    x = np.asarray(x)
    return np.hstack([x[:, pairs[:, 0]] * x[:, pairs[:, 1]], x])


def pack_pairs(W, b, pairs) -> np.ndarray:
    """The parameter vector :math:`\theta` = (``W[i, j]`` for the pairs, then ``b``).

    >>> pack_pairs(np.array([[0.0, 2.0], [2.0, 0.0]]), np.array([0.5, -1.0]), np.array([[0, 1]]))
    array([ 2. ,  0.5, -1. ])
    """
    return np.concatenate([np.asarray(W)[pairs[:, 0], pairs[:, 1]], b])


def unpack_pairs(theta, pairs, n: int):
    """``(W, b)`` from :func:`pack_pairs`'s vector: ``W`` symmetric with zero diagonal.

    >>> W, b = unpack_pairs(np.array([2.0, 0.5, -1.0]), np.array([[0, 1]]), 2)
    >>> W.tolist(), b.tolist()
    ([[0.0, 2.0], [2.0, 0.0]], [0.5, -1.0])
    """
    k = len(pairs)
    W = np.zeros((n, n))
    W[pairs[:, 0], pairs[:, 1]] = theta[:k]
    return W + W.T, theta[k:]
