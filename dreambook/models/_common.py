"""Small numerical helpers shared by the model classes (private)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .._validation import check_finite_array

__all__ = ["softplus", "sigmoid", "as_states"]


def softplus(a):
    """Return ``log(1 + exp(a))`` elementwise, without overflow.

    Computed as ``max(a, 0) + log1p(exp(-|a|))``, which is the same number as
    ``np.logaddexp(0, a)`` (to rounding) but about five times faster; the
    exponent is never positive, so nothing overflows for any finite ``a``.

    >>> float(softplus(0.0)) == float(np.log(2.0))
    True
    >>> float(softplus(1000.0)), float(softplus(-1000.0))
    (1000.0, 0.0)
    """
    a = np.asarray(a, dtype=np.float64)
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def sigmoid(a):
    """Return the logistic function ``1 / (1 + exp(-a))`` elementwise (scipy's ``expit``)."""
    return expit(np.asarray(a, dtype=np.float64))


def as_states(x, n_units: int, name: str):
    """Return ``(x2d, was_1d)``: ``x`` as a float64 array of shape (m, n_units).

    States are binary in the book, but every energy here is a polynomial in
    the states, so any finite real values are accepted (useful for mean-field
    approximations). Shape, dtype and finiteness are checked.
    """
    arr = check_finite_array(x, name)
    if arr.ndim == 1:
        was_1d = True
        arr = arr[None, :]
    elif arr.ndim == 2:
        was_1d = False
    else:
        raise ValueError(
            f"{name} must have shape ({n_units},) or (n_samples, {n_units}), got {arr.shape}"
        )
    if arr.shape[1] != n_units:
        raise ValueError(
            f"{name} must have shape ({n_units},) or (n_samples, {n_units}), got {arr.shape}"
        )
    return arr, was_1d


def scalar_or_vector(values: np.ndarray, was_1d: bool):
    """Return a Python float for a single 1-d input, the (m,) array otherwise."""
    return float(values[0]) if was_1d else values
