r"""The three special functions of the book, each written once (private).

* :func:`softplus` :math:`\log(1 + e^a)`, the free energy of one binary unit;
* :func:`sigmoid` :math:`1/(1 + e^{-a})`, its derivative and every Gibbs conditional;
* :func:`logsumexp` :math:`\log \sum_k e^{a_k}`, every log-partition function.

All are stable for any finite input (no overflow, no NaN). The in-place
variants used by the fast kernels live beside those kernels in
:mod:`dreambook._kernels` and are tested against these.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from scipy.special import logsumexp as _scipy_logsumexp

__all__ = ["softplus", "sigmoid", "logsumexp"]


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
    """Return the logistic function ``1 / (1 + exp(-a))`` elementwise (scipy's ``expit``).

    >>> float(sigmoid(0.0))
    0.5
    """
    return expit(np.asarray(a, dtype=np.float64))


def logsumexp(a, axis=None, keepdims=False):
    r"""Return :math:`\log \sum_k \exp(a_k)` along ``axis``, shifted by the maximum (scipy's).

    >>> bool(np.isclose(logsumexp([1000.0, 1000.0]), 1000.0 + np.log(2.0)))
    True
    """
    return _scipy_logsumexp(a, axis=axis, keepdims=keepdims)
