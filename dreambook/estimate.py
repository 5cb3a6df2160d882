r"""Estimating partition functions: annealed importance sampling (AIS) for RBMs.

The log-likelihood of an RBM needs :math:`\log Z`, which costs
:math:`2^{\min(n_v, n_h)}` terms exactly (:func:`dreambook.exact.log_partition`).
AIS (Neal 2001) estimates it for models of any size by moving samples from a
tractable *base* model A to the target model B through a sequence of
intermediate distributions, and weighting each path by how much more probable
it is under the later distributions than under the earlier ones. For RBMs we
follow Salakhutdinov & Murray (2008): the base model has no weights,
:math:`p_A(v) \propto \exp(b_A^\top v)` (with :math:`b_A` usually the
log-odds of the data's pixel marginals, see
:func:`dreambook.learning.init_visible_bias`), and for
:math:`0 = \beta_0 < \beta_1 < \dots < \beta_K = 1`

.. math::

    \log p^*_k(v) = (1 - \beta_k)\, b_A^\top v + \beta_k\, b^\top v
        + \sum_j \operatorname{softplus}\big(\beta_k (c_j + (vW)_j)\big),

in natural parameters (:math:`W/T`, :math:`b/T`, :math:`c/T`), which is
:math:`-F(v)/T` at :math:`\beta = 1` and
:math:`b_A^\top v + n_h \log 2` at :math:`\beta = 0`, so that
:math:`Z_0 = Z_A = 2^{n_h}\prod_i (1 + e^{b_{A,i}})`. Each chain starts with
:math:`v_1 \sim p_A` and accumulates

.. math::

    \log w = \sum_{k=1}^{K} \big[\log p^*_k(v_k) - \log p^*_{k-1}(v_k)\big],

with :math:`v_{k+1}` drawn by one block Gibbs sweep that leaves
:math:`p_k` invariant. Then :math:`E[w] = Z_B / Z_A` exactly, and

.. math::

    \widehat{\log Z_B} = \log Z_A + \log\Big(\frac1M\sum_{m=1}^M w^{(m)}\Big).

Because :math:`\log` is concave, :math:`E[\widehat{\log Z_B}] \le \log Z_B`
(Jensen): AIS tends to *under*-estimate :math:`\log Z`, and so to
*over*-estimate log-likelihoods -- the direction that flatters a model.

References
----------
R. M. Neal (2001), Annealed importance sampling, *Statistics and Computing* 11, 125-139.
R. Salakhutdinov & I. Murray (2008), On the quantitative analysis of deep
belief networks, *ICML*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._special import logsumexp, sigmoid, softplus
from ._kernels import ais_log_weights_fast
from ._validation import (
    as_generator,
    check_binary,
    check_finite_array,
    check_model,
    check_positive_int,
    check_real,
)
from .learning import init_visible_bias
from .models import RBM

__all__ = ["AISResult", "linear_betas", "ais_log_partition", "ais_log_weights", "ais_path_rbm", "estimated_log_likelihood"]


@dataclass(frozen=True)
class AISResult:
    r"""The result of :func:`ais_log_partition`.

    Attributes
    ----------
    log_z : float
        :math:`\log Z_A + \log \bar w`, the AIS estimate of :math:`\log Z`.
    log_z_std : float
        Delta-method standard error of ``log_z``:
        :math:`\operatorname{sd}(w) / (\sqrt{M}\,\bar w)` (the standard error
        of :math:`\bar w` relative to :math:`\bar w`). Small when the weights
        are even; an underestimate when a few rare, heavy paths were missed.
    log_weights : ndarray, shape (n_chains,)
        :math:`\log w^{(m)}` of every chain.
    log_z_base : float
        :math:`\log Z_A` of the base model.
    ess : float
        Effective sample size :math:`(\sum_m w^{(m)})^2 / \sum_m (w^{(m)})^2`,
        between 1 and ``n_chains``.
    betas : ndarray
        The inverse-temperature schedule used.
    samples : ndarray, shape (n_chains, n_visible)
        The final visible states (approximate samples from the model).
    """

    log_z: float
    log_z_std: float
    log_weights: np.ndarray
    log_z_base: float
    ess: float
    betas: np.ndarray
    samples: np.ndarray

    def log_z_interval(self, width: float = 3.0):
        r"""``(log(w̄ - width·se), log(w̄ + width·se)) + log Z_A``, as Salakhutdinov & Murray report.

        ``se`` is the standard error of :math:`\bar w`; the lower end is
        ``-inf`` when :math:`\bar w - \text{width}\cdot se \le 0`.
        """
        rel = width * self.log_z_std  # width * se / w̄
        lower = self.log_z + np.log(1.0 - rel) if rel < 1.0 else -np.inf
        return float(lower), float(self.log_z + np.log1p(rel))

    def __repr__(self) -> str:
        return (
            f"AISResult(log_z={self.log_z:.4f}, log_z_std={self.log_z_std:.4f}, "
            f"n_chains={self.log_weights.size}, n_betas={self.betas.size}, ess={self.ess:.1f})"
        )


def linear_betas(n_betas: int) -> np.ndarray:
    r"""``n_betas`` inverse temperatures evenly spaced from 0 to 1 (both included).

    >>> linear_betas(5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    n_betas = check_positive_int(n_betas, "n_betas")
    if n_betas < 2:
        raise ValueError(f"n_betas must be at least 2 (the base and the target), got {n_betas}")
    return np.linspace(0.0, 1.0, n_betas)


def _check_betas(betas) -> np.ndarray:
    betas = check_finite_array(betas, "betas", ndim=1)
    if betas.size < 2:
        raise ValueError(f"betas must hold at least 2 values (0 and 1), got {betas.size}")
    if betas[0] != 0.0 or betas[-1] != 1.0:
        raise ValueError(f"betas must start at 0 and end at 1, got {betas[0]} ... {betas[-1]}")
    if np.any(np.diff(betas) < 0):
        raise ValueError("betas must be non-decreasing")
    return betas


def ais_log_partition(rbm, n_chains=100, betas=None, *, rng, base_visible_bias=None, data=None) -> AISResult:
    r"""Estimate :math:`\log Z` of an RBM by annealed importance sampling.

    See the module docstring for the method. The cost is about
    ``n_chains * len(betas)`` block Gibbs half-steps.

    Parameters
    ----------
    rbm : RBM
        The target model (any temperature; natural parameters are used).
    n_chains : int, default 100
        Number of independent AIS runs *M*.
    betas : array_like, optional
        Non-decreasing inverse temperatures from 0 to 1; default
        ``linear_betas(1000)``.
    rng : numpy.random.Generator or int
        Required.
    base_visible_bias : array_like, shape (n_visible,), optional
        Visible biases :math:`b_A` of the base model (natural units).
    data : array_like of 0/1, optional
        If given (and ``base_visible_bias`` is not), :math:`b_A` is
        :func:`~dreambook.learning.init_visible_bias` of the data, the
        base-rate model. With neither, :math:`b_A = 0` (uniform base).

    Returns
    -------
    AISResult

    Examples
    --------
    With no weights the target equals a base model, and every weight is 1:

    >>> from dreambook.models import RBM
    >>> rbm = RBM([[0.0, 0.0]] * 3, [0.5, -1.0, 2.0], [0.0, 0.0])
    >>> result = ais_log_partition(rbm, n_chains=10, betas=linear_betas(20), rng=0,
    ...                            base_visible_bias=rbm.b)
    >>> from dreambook.exact import log_partition
    >>> bool(np.isclose(result.log_z, log_partition(rbm))), result.log_z_std
    (True, 0.0)
    """
    check_model(rbm, RBM, "rbm")
    n_chains = check_positive_int(n_chains, "n_chains")
    betas = linear_betas(1000) if betas is None else _check_betas(betas)
    rng = as_generator(rng)
    nv, nh, T = rbm.n_visible, rbm.n_hidden, rbm.T
    if base_visible_bias is not None:
        b_A = check_finite_array(base_visible_bias, "base_visible_bias", shape=(nv,))
    elif data is not None:
        b_A = init_visible_bias(check_binary(data, "data", n_units=nv, allow_1d=False))
    else:
        b_A = np.zeros(nv)
    W, b, c = rbm.W / T, rbm.b / T, rbm.c / T

    log_w, v = ais_log_weights_fast(W, b, c, b_A, betas, n_chains, rng)

    log_z_base = nh * np.log(2.0) + float(np.sum(np.logaddexp(0.0, b_A)))
    log_mean_w = float(logsumexp(log_w) - np.log(n_chains))
    w = np.exp(log_w - log_w.max())  # weights relative to the largest, in (0, 1]
    std = float(w.std(ddof=1) / (np.sqrt(n_chains) * w.mean())) if n_chains > 1 else float("inf")
    ess = float(w.sum() ** 2 / np.sum(w**2))
    return AISResult(
        log_z=log_z_base + log_mean_w,
        log_z_std=std,
        log_weights=log_w,
        log_z_base=float(log_z_base),
        ess=ess,
        betas=betas,
        samples=v.copy(),
    )


def ais_log_weights(rbm, n_chains, betas, *, rng, base_visible_bias) -> tuple:
    r"""Readable AIS: the log weights :math:`\log w^{(m)}` and final states of ``n_chains`` runs.

    The algorithm of the module docstring, line by line: start with
    :math:`v_1 \sim p_A`; for :math:`k = 1, \dots, K` add
    :math:`\log p^*_k(v_k) - \log p^*_{k-1}(v_k)` to :math:`\log w`, then move
    :math:`v_k \to h \to v_{k+1}` by one block Gibbs sweep at :math:`\beta_k`.
    :func:`ais_log_partition` runs the same algorithm, with the same random
    stream, on a fast kernel (``dreambook._kernels.ais``); a test ties the two.

    Parameters
    ----------
    rbm : RBM
    n_chains : int
    betas : array_like
        Non-decreasing from 0 to 1.
    rng : numpy.random.Generator or int
    base_visible_bias : array_like, shape (n_visible,)
        :math:`b_A`, in natural units.

    Returns
    -------
    log_w : ndarray, shape (n_chains,)
    v : ndarray, shape (n_chains, n_visible)
        The samples :math:`v_K` (approximately from the target model).

    Examples
    --------
    >>> from dreambook.models import RBM
    >>> rbm = RBM.random(3, 2, rng=0, scale=0.5)
    >>> log_w, v = ais_log_weights(rbm, 4, linear_betas(10), rng=0, base_visible_bias=np.zeros(3))
    >>> bool(np.allclose(log_w, ais_log_partition(rbm, 4, linear_betas(10), rng=0,
    ...                                           base_visible_bias=np.zeros(3)).log_weights))
    True
    """
    check_model(rbm, RBM, "rbm")
    n_chains = check_positive_int(n_chains, "n_chains")
    betas = _check_betas(betas)
    rng = as_generator(rng)
    b_A = check_finite_array(base_visible_bias, "base_visible_bias", shape=(rbm.n_visible,))
    W, b, c = rbm.W / rbm.T, rbm.b / rbm.T, rbm.c / rbm.T

    def log_p_star(v, beta):  # (1 - beta) b_A.v + beta b.v + sum_j softplus(beta (vW + c)_j)
        return (1 - beta) * (v @ b_A) + beta * (v @ b) + softplus(beta * (v @ W + c)).sum(axis=1)

    v = (rng.random((n_chains, rbm.n_visible)) < sigmoid(b_A)).astype(np.float64)  # v_1 ~ p_A
    log_w = np.zeros(n_chains)
    K = betas.size - 1
    for k in range(1, K + 1):
        log_w += log_p_star(v, betas[k]) - log_p_star(v, betas[k - 1])
        if k == K:
            break
        beta = betas[k]
        h = (rng.random((n_chains, rbm.n_hidden)) < sigmoid(beta * (v @ W + c))).astype(np.float64)
        v = (rng.random(v.shape) < sigmoid((1 - beta) * b_A + beta * (h @ W.T + b))).astype(np.float64)
    return log_w, v


def estimated_log_likelihood(rbm, data, log_z) -> float:
    r"""Mean log-likelihood :math:`\frac1m\sum_k -F(v^{(k)})/T - \widehat{\log Z}` in nats per example.

    ``log_z`` is a number or an :class:`AISResult`. With an AIS estimate this
    is, in expectation, an *over*-estimate (see the module docstring).

    >>> from dreambook.models import RBM
    >>> rbm = RBM.zeros(4, 2)
    >>> ll = estimated_log_likelihood(rbm, [[0, 1, 0, 1]], log_z=6 * np.log(2))
    >>> bool(np.isclose(ll, -4 * np.log(2)))     # uniform over 2**4 visible states
    True
    """
    check_model(rbm, RBM, "rbm")
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    if isinstance(log_z, AISResult):
        log_z = log_z.log_z
    log_z = float(check_finite_array(log_z, "log_z", ndim=0))
    return float(np.mean(rbm.unnormalized_log_prob(data)) - log_z)


def ais_path_rbm(rbm, beta, base_visible_bias) -> RBM:
    r"""The intermediate distribution of AIS at inverse temperature ``beta``, as an RBM.

    :func:`dreambook.estimate.ais_log_partition` anneals from the base model
    :math:`p_A(v) \propto e^{b_A^\top v}` to the RBM through

    .. math::

        \log p^*_\beta(v) = (1 - \beta)\, b_A^\top v + \beta\, b^\top v
            + \sum_j \operatorname{softplus}\big(\beta (c_j + (vW)_j)\big)

    (natural parameters). This is exactly the marginal of an RBM at
    temperature 1 with weights :math:`\beta W`, visible biases
    :math:`(1 - \beta) b_A + \beta b` and hidden biases :math:`\beta c`, so
    its normaliser :math:`Z_\beta` is exact for small models, and an AIS run
    that stops at :math:`\beta` is an AIS run to this RBM.

    Parameters
    ----------
    rbm : RBM
    beta : float in [0, 1]
    base_visible_bias : array_like, shape (n_visible,)
        :math:`b_A`, in natural units.

    Returns
    -------
    RBM

    Examples
    --------
    >>> from dreambook import exact
    >>> rbm = RBM.random(4, 2, rng=0, scale=1.0)
    >>> b_A = np.array([0.5, -0.5, 0.0, 1.0])
    >>> at_one = ais_path_rbm(rbm, 1.0, b_A)
    >>> bool(np.allclose(at_one.W, rbm.W)), bool(np.allclose(at_one.b, rbm.b))
    (True, True)
    >>> at_zero = ais_path_rbm(rbm, 0.0, b_A)     # the base: log Z_A = n_h log 2 + sum softplus(b_A)
    >>> bool(np.isclose(exact.log_partition(at_zero), 2 * np.log(2) + np.logaddexp(0, b_A).sum()))
    True
    """
    check_model(rbm, RBM, "rbm")
    beta = check_real(beta, "beta", 0, 1)
    b_A = np.asarray(base_visible_bias, dtype=float)
    if b_A.shape != (rbm.n_visible,):
        raise ValueError(f"base_visible_bias must have shape ({rbm.n_visible},), got {b_A.shape}")
    T = rbm.T
    return RBM(beta * rbm.W / T, (1.0 - beta) * b_A + beta * rbm.b / T, beta * rbm.c / T)
