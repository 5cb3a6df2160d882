r"""Score matching, ratio matching and denoising score matching: learning without negatives.

**Score matching** (Hyvärinen 2005) fits the *score* :math:`\psi(x) = \nabla_x \log p(x)`,
which does not contain :math:`Z`. Minimising the expected squared distance
between the model's score and the data's, and integrating by parts, gives an
objective that needs only data:

.. math::

    J_{\rm SM}(\theta) = \mathbb{E}_{\rm data}\Big[\sum_i \partial_i\psi_i(x;\theta)
    + \tfrac12\,\psi_i(x;\theta)^2\Big].

For the Gaussian with precision :math:`M` and :math:`\psi(x) = -M(x - \mu)`,
:math:`J_{\rm SM} = \tfrac12\operatorname{tr}(M S M) + \tfrac12 (\bar x-\mu)^\top M^2(\bar x-\mu)
- \operatorname{tr} M`, with :math:`S` the (1/m) sample covariance. Setting the
derivatives to zero gives :math:`\mu = \bar x` and the Lyapunov equation
:math:`SM + MS = 2I`, solved by :func:`score_matching_gaussian`; its unique
solution is :math:`M = S^{-1}`, the maximum-likelihood estimate
(:func:`ml_gaussian`).

**Ratio matching** (Hyvärinen 2007) is the binary analogue: it matches the
ratios :math:`p(x)/p(x^{(i)})` between a state and its neighbours with one bit
flipped, in which :math:`Z` cancels. With :math:`g(u) = 1/(1+u)`,

.. math::

    J_{\rm RM}(\theta) = \mathbb{E}_{\rm data}\sum_i g\!\left(\frac{p_\theta(x)}{p_\theta(x^{(i)})}\right)^2
    = \mathbb{E}_{\rm data}\sum_i \sigma\big(-s_i(x)\big)^2,\qquad
    s_i(x) = (2x_i - 1)\,u_i(x),

for a fully visible BM, where :math:`u_i = (Wx + b)_i` is the local field
(:func:`ratio_matching_objective`, :func:`fit_ratio_matching`).

**Denoising score matching** (Vincent 2011): corrupt each data point with
Gaussian noise, :math:`\tilde x = x + \sigma\varepsilon`, and regress the model score
on :math:`-(\tilde x - x)/\sigma^2`. The minimiser is the score of the *noisy*
density :math:`p_\sigma = p * N(0, \sigma^2 I)`. For a score that is linear in its
parameters, :math:`\psi(\tilde x) = \Phi(\tilde x) A`, this is ridge regression
(:func:`fit_denoising_score`).

References
----------
A. Hyvärinen (2005), Estimation of non-normalized statistical models by score
matching, *JMLR* 6, 695-709.
A. Hyvärinen (2007), Some extensions of score matching, *Computational
Statistics & Data Analysis* 51, 2499-2512.
P. Vincent (2011), A connection between score matching and denoising
autoencoders, *Neural Computation* 23, 1661-1674.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_continuous_lyapunov
from scipy.optimize import minimize
from scipy.special import expit

from ._validation import (as_generator, check_binary, check_finite_array, check_model, check_positive_float,
                          check_positive_int)
from .models import FullyVisibleBM
from .states import all_pairs, pack_pairs, unpack_pairs

__all__ = [
    "ml_gaussian",
    "score_matching_gaussian",
    "gaussian_score_matching_objective",
    "ratio_matching_objective",
    "fit_ratio_matching",
    "fit_denoising_score",
    "corrupt",
]


def _check_samples(X, name="X", min_rows=2) -> np.ndarray:
    X = check_finite_array(X, name, ndim=2)
    if X.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows (samples), got {X.shape[0]}")
    return X


def ml_gaussian(X):
    r"""Maximum-likelihood Gaussian: mean :math:`\bar x` and precision :math:`S^{-1}`,
    :math:`S = \frac1m\sum_k (x_k-\bar x)(x_k-\bar x)^\top`.

    Returns
    -------
    mu : ndarray, shape (d,)
    M : ndarray, shape (d, d)
        The precision matrix (exactly symmetric).
    """
    X = _check_samples(X)
    mu = X.mean(axis=0)
    D = X - mu
    S = D.T @ D / X.shape[0]
    M = np.linalg.inv(S)
    return mu, 0.5 * (M + M.T)


def gaussian_score_matching_objective(X, mu, M) -> float:
    r"""Hyvärinen's :math:`J_{\rm SM}` for :math:`\psi(x) = -M(x-\mu)`:
    :math:`\frac1m\sum_k \tfrac12\lVert M(x_k-\mu)\rVert^2 - \operatorname{tr} M`."""
    X = _check_samples(X, min_rows=1)
    d = X.shape[1]
    mu = check_finite_array(mu, "mu", shape=(d,))
    M = check_finite_array(M, "M", shape=(d, d))
    R = (X - mu) @ M.T
    return float(0.5 * np.mean(np.sum(R**2, axis=1)) - np.trace(M))


def score_matching_gaussian(X):
    r"""Score-matching Gaussian, from the stationarity conditions of :math:`J_{\rm SM}`.

    :math:`\partial J/\partial\mu = 0` gives :math:`\mu = \bar x`; :math:`\partial J/\partial M = 0`
    over symmetric :math:`M` gives the Lyapunov equation :math:`SM + MS = 2I`, solved here
    with :func:`scipy.linalg.solve_continuous_lyapunov` (Bartels-Stewart), not by
    inverting :math:`S`. Its unique solution (for :math:`S` positive definite) is
    :math:`S^{-1}`, so the estimate equals :func:`ml_gaussian` up to rounding.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> mu_sm, M_sm = score_matching_gaussian(X)
    >>> mu_ml, M_ml = ml_gaussian(X)
    >>> bool(np.allclose(M_sm, M_ml, rtol=1e-12, atol=0))
    True
    """
    X = _check_samples(X)
    mu = X.mean(axis=0)
    D = X - mu
    S = D.T @ D / X.shape[0]
    # solve_continuous_lyapunov(A, Q) solves A M + M A^H = Q
    M = solve_continuous_lyapunov(S, 2.0 * np.eye(S.shape[0]))
    return mu, 0.5 * (M + M.T)


def _signed_fields(model: FullyVisibleBM, X: np.ndarray) -> np.ndarray:
    """:math:`s_i(x) = (2x_i - 1) u_i(x)`: log p(x) - log p(x with bit i flipped)."""
    return (2 * X - 1) * (X @ model.W + model.b)


def ratio_matching_objective(model: FullyVisibleBM, data) -> float:
    r"""Ratio-matching objective :math:`J_{\rm RM} = \frac1m\sum_k\sum_i\sigma(-s_i(x_k))^2`.

    :math:`s_i(x) = \log p(x) - \log p(x^{(i)})` with :math:`x^{(i)}` the state with bit *i*
    flipped; it equals :math:`(2x_i-1)u_i(x)` because the energy changes by the
    local field :math:`u_i` when bit *i* turns on (T = 1).
    """
    check_model(model, FullyVisibleBM)
    if model.T != 1.0:
        raise ValueError(f"model must have temperature T = 1, got {model.T}")
    X = check_binary(data, "data", n_units=model.n_units)
    return float(np.mean(np.sum(expit(-_signed_fields(model, X)) ** 2, axis=1)))


def _rm_value_and_grad(theta, X, n):
    pairs = all_pairs(n)
    W, b = unpack_pairs(theta, pairs, n)
    sign = 2 * X - 1
    s = sign * (X @ W + b)
    g = expit(-s)
    J = np.mean(np.sum(g**2, axis=1))
    # d/ds sigma(-s)^2 = -2 sigma(-s)^2 sigma(s); ds_i/du_i = (2x_i - 1)
    D = -2 * g**2 * expit(s) * sign / X.shape[0]
    # u_i depends on w_ij through x_j, and u_j on w_ij through x_i
    G = D.T @ X
    G = G + G.T
    return J, pack_pairs(G, D.sum(axis=0), pairs)


def fit_ratio_matching(data, tol: float = 1e-10, max_iter: int = 2000) -> FullyVisibleBM:
    r"""Fully visible BM (T = 1) minimising :math:`J_{\rm RM}` (L-BFGS from zero).

    No sample of the model and no :math:`Z` are needed: only each data point and its
    :math:`n` one-bit neighbours.
    """
    X = check_binary(data, "data")
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    n = X.shape[1]
    res = minimize(_rm_value_and_grad, np.zeros(n * (n - 1) // 2 + n), args=(X, n), jac=True,
                   method="L-BFGS-B", options={"gtol": tol, "ftol": 1e-15, "maxiter": max_iter})
    W, b = unpack_pairs(res.x, all_pairs(n), n)
    return FullyVisibleBM(W, b.copy())


def corrupt(X, sigma, rng) -> np.ndarray:
    r"""Gaussian corruption :math:`\tilde x = x + \sigma\varepsilon`, :math:`\varepsilon \sim N(0, I)`."""
    X = check_finite_array(X, "X", ndim=2)
    sigma = check_positive_float(sigma, "sigma")
    rng = as_generator(rng)
    return X + sigma * rng.standard_normal(X.shape)


def fit_denoising_score(features, clean, noisy, sigma, ridge: float = 1e-6) -> np.ndarray:
    r"""Denoising score matching for a score linear in its parameters.

    Minimises :math:`\frac1m\sum_k \lVert \Phi(\tilde x_k) A + (\tilde x_k - x_k)/\sigma^2\rVert^2
    + \lambda \lVert A\rVert_F^2` over :math:`A`, in closed form:
    :math:`A = -(\Phi^\top\Phi/m + \lambda I)^{-1}\Phi^\top(\tilde X - X)/(m\sigma^2)`.

    Parameters
    ----------
    features : callable
        ``features(Y)`` returns :math:`\Phi(Y)`, shape (m, K), for points Y of shape (m, d).
    clean, noisy : array_like, shape (m, d)
        Data points and their corrupted copies (:func:`corrupt`).
    sigma : float
        The corruption's standard deviation, > 0.
    ridge : float, default 1e-6
        :math:`\lambda > 0`.

    Returns
    -------
    A : ndarray, shape (K, d)
        The score model is :math:`\psi(y) = \Phi(y) A`.
    """
    clean = check_finite_array(clean, "clean", ndim=2)
    noisy = check_finite_array(noisy, "noisy", shape=clean.shape)
    sigma = check_positive_float(sigma, "sigma")
    ridge = check_positive_float(ridge, "ridge")
    if not callable(features):
        raise TypeError("features must be a callable returning the feature matrix")
    Phi = check_finite_array(features(noisy), "features(noisy)", ndim=2)
    if Phi.shape[0] != noisy.shape[0]:
        raise ValueError(f"features(noisy) must have one row per point ({noisy.shape[0]}), got {Phi.shape[0]}")
    m = Phi.shape[0]
    target = -(noisy - clean) / sigma**2
    return np.linalg.solve(Phi.T @ Phi / m + ridge * np.eye(Phi.shape[1]), Phi.T @ target / m)
