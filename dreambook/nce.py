r"""Noise-contrastive estimation (NCE) and exact maximum likelihood for fully visible BMs.

NCE (Gutmann & Hyvärinen 2010, 2012) learns an unnormalised model by telling
data from samples of a fixed, known **noise** distribution :math:`p_n`. The
model's log-density carries its own normaliser as a free parameter *c*,

.. math::

    \log p_m(x;\theta, c) = -E_\theta(x) + c, \qquad c \text{ plays } -\log Z,

and with :math:`\nu` noise samples :math:`y_j` per data point :math:`x_i` the
classifier "data or noise?" has the log-odds

.. math::

    G(u) = \log p_m(u;\theta,c) - \log\big(\nu\, p_n(u)\big).

NCE maximises the logistic-regression log-likelihood of the labels,

.. math::

    J(\theta, c) = \frac1{T_d}\Big[\sum_{i=1}^{T_d} \log\sigma\big(G(x_i)\big)
    + \sum_{j=1}^{\nu T_d} \log\big(1-\sigma(G(y_j))\big)\Big],

whose gradient is a positive phase on the data minus a negative phase on the
noise, each weighted by how wrongly it is classified:

.. math::

    \nabla J = \frac1{T_d}\Big[\sum_i \big(1-\sigma(G(x_i))\big)\,\nabla\log p_m(x_i)
    - \sum_j \sigma(G(y_j))\,\nabla\log p_m(y_j)\Big].

Here the model is a :class:`~dreambook.models.FullyVisibleBM` at temperature 1,
whose unnormalised log-probability is linear in the parameters,
:math:`-E(x) = \theta^\top\phi(x)` with :math:`\phi(x) = (x_ix_j)_{i<j} \oplus (x_i)_i`
(:func:`pair_features`). Small models are enumerable, so the NCE estimate of
the normaliser can be compared with the exact :math:`\log Z`
(:func:`dreambook.exact.log_partition`) and the NCE estimator with the exact
maximum-likelihood estimator (:func:`fit_ml`).

References
----------
M. Gutmann & A. Hyvärinen (2010), Noise-contrastive estimation: a new
estimation principle for unnormalized statistical models, *AISTATS*, PMLR 9, 297-304.
M. U. Gutmann & A. Hyvärinen (2012), Noise-contrastive estimation of
unnormalized statistical models, with applications to natural image
statistics, *JMLR* 13, 307-361.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp

from . import exact
from ._validation import (as_generator, check_binary, check_finite_array, check_model, check_positive_float,
                          check_positive_int)
from .models import FullyVisibleBM
from .states import all_pairs, pack_pairs, unpack_pairs
from .states import pair_features as _pair_features

__all__ = [
    "BernoulliNoise",
    "pair_features",
    "params_to_model",
    "model_to_params",
    "nce_objective",
    "fit_nce",
    "fit_ml",
    "NCEResult",
    "NOISE_KINDS",
    "make_noise",
    "squared_parameter_error",
    "NoiseStudy",
    "noise_ratio_study",
]


def pair_features(X) -> np.ndarray:
    r"""Features :math:`\phi(x) = \big((x_i x_j)_{i<j},\ (x_i)_i\big)` of each row of ``X``.

    With :math:`\theta = \big((W_{ij})_{i<j},\ b\big)` (:func:`model_to_params`),
    :math:`\theta^\top\phi(x) = \sum_{i<j}W_{ij}x_ix_j + b^\top x = -E(x)`.

    Parameters
    ----------
    X : array_like, shape (m, n)

    Returns
    -------
    ndarray, shape (m, n(n-1)/2 + n)

    Examples
    --------
    >>> pair_features([[1.0, 0.0, 1.0]])
    array([[0., 1., 0., 1., 0., 1.]])
    """
    X = check_finite_array(X, "X", ndim=2)
    return _pair_features(X, all_pairs(X.shape[1]))


def model_to_params(model: FullyVisibleBM) -> np.ndarray:
    r"""The parameter vector :math:`\theta = ((W_{ij})_{i<j}, b)` of a fully visible BM."""
    check_model(model, FullyVisibleBM)   # symmetric, zero diagonal, finite: the upper triangle is all of W
    return pack_pairs(model.W, model.b, all_pairs(model.n_units))


def params_to_model(theta, n_units: int) -> FullyVisibleBM:
    r"""The :class:`~dreambook.models.FullyVisibleBM` (T = 1) with parameter vector ``theta``."""
    n = check_positive_int(n_units, "n_units")
    n_pairs = n * (n - 1) // 2
    theta = check_finite_array(theta, "theta", shape=(n_pairs + n,))
    W, b = unpack_pairs(theta, all_pairs(n), n)  # exactly symmetric, zero diagonal
    return FullyVisibleBM(W, b.copy())


class BernoulliNoise:
    r"""Noise of independent binary units, :math:`p_n(y) = \prod_i q_i^{y_i}(1-q_i)^{1-y_i}`.

    Parameters
    ----------
    q : array_like, shape (n,)
        Probabilities :math:`0 < q_i < 1` that unit *i* is on. ``BernoulliNoise.uniform(n)``
        is the uniform distribution over :math:`\{0,1\}^n`; ``BernoulliNoise.from_data(X)``
        matches the data's marginals (clipped to ``[eps, 1 - eps]``).

    Examples
    --------
    >>> noise = BernoulliNoise.uniform(3)
    >>> float(noise.log_prob([[0, 1, 1]])[0]) == 3 * float(np.log(0.5))
    True
    """

    def __init__(self, q):
        q = check_finite_array(q, "q", ndim=1)
        if q.size == 0 or np.any(q <= 0) or np.any(q >= 1):
            raise ValueError("q must be a non-empty vector of probabilities strictly between 0 and 1")
        self.q = q.copy()

    @classmethod
    def uniform(cls, n_units: int) -> "BernoulliNoise":
        """The uniform distribution over all :math:`2^n` states."""
        return cls(np.full(check_positive_int(n_units, "n_units"), 0.5))

    @classmethod
    def from_data(cls, data, eps: float = 0.01) -> "BernoulliNoise":
        """Independent units with the data's marginal probabilities, clipped to [eps, 1 - eps]."""
        data = check_binary(data, "data")
        eps = check_positive_float(eps, "eps")
        if eps >= 0.5:
            raise ValueError(f"eps must be below 0.5, got {eps}")
        return cls(np.clip(data.mean(axis=0), eps, 1 - eps))

    @property
    def n_units(self) -> int:
        return self.q.size

    def log_prob(self, Y) -> np.ndarray:
        r""":math:`\log p_n(y) = \sum_i y_i\log q_i + (1-y_i)\log(1-q_i)` for each row."""
        Y = check_binary(Y, "Y", n_units=self.n_units)
        return Y @ np.log(self.q) + (1 - Y) @ np.log1p(-self.q)

    def probabilities(self) -> np.ndarray:
        r""":math:`p_n` of every state, in the order of :func:`dreambook.exact.all_states` (small *n*)."""
        return np.exp(self.log_prob(exact.all_states(self.n_units, max_units=exact.MAX_UNITS)))

    def sample(self, n_samples: int, rng) -> np.ndarray:
        """``n_samples`` independent noise samples, float64 0/1, shape (n_samples, n)."""
        n_samples = check_positive_int(n_samples, "n_samples")
        rng = as_generator(rng)
        return (rng.random((n_samples, self.n_units)) < self.q).astype(np.float64)

    def __repr__(self) -> str:
        return f"BernoulliNoise(n_units={self.n_units})"


def nce_objective(theta_c, phi_data, phi_noise, log_noise_data, log_noise_noise,
                  count_data=None, count_noise=None):
    r"""NCE objective :math:`J(\theta, c)` (see the module docstring) and its gradient.

    Parameters
    ----------
    theta_c : ndarray, shape (p + 1,)
        Model parameters :math:`\theta` followed by the normaliser *c*.
    phi_data, phi_noise : ndarray, shape (T_d, p) and (T_n, p)
        :func:`pair_features` of the data and of the noise samples.
    log_noise_data, log_noise_noise : ndarray, shape (T_d,) and (T_n,)
        :math:`\log p_n` of the data and of the noise samples.
    count_data, count_noise : ndarray, optional
        How many times each row occurs, when repeated samples are stored once
        (the sums in :math:`J` are then weighted by the counts). Default: each row once.

    Returns
    -------
    J : float
        The objective, per data point (to be **maximised**).
    grad : ndarray, shape (p + 1,)
    """
    theta, c = theta_c[:-1], theta_c[-1]
    count_data = np.ones(phi_data.shape[0]) if count_data is None else count_data
    count_noise = np.ones(phi_noise.shape[0]) if count_noise is None else count_noise
    m = count_data.sum()
    log_nu = np.log(count_noise.sum() / m)
    g_data = phi_data @ theta + c - log_noise_data - log_nu
    g_noise = phi_noise @ theta + c - log_noise_noise - log_nu
    J = (count_data @ log_expit(g_data) + count_noise @ log_expit(-g_noise)) / m
    w_data = count_data * expit(-g_data)  # 1 - sigma(G): data points taken for noise
    w_noise = count_noise * expit(g_noise)  # sigma(G): noise taken for data
    grad_theta = (w_data @ phi_data - w_noise @ phi_noise) / m
    grad_c = (w_data.sum() - w_noise.sum()) / m
    return J, np.append(grad_theta, grad_c)


@dataclass(frozen=True)
class NCEResult:
    """Outcome of :func:`fit_nce`.

    Attributes
    ----------
    model : FullyVisibleBM
        The estimated model (T = 1).
    c : float
        The estimated normaliser, NCE's estimate of :math:`-\\log Z`.
    log_z_estimate : float
        :math:`-c`.
    objective : float
        :math:`J` at the optimum (per data point).
    n_iterations : int
    """

    model: FullyVisibleBM
    c: float
    log_z_estimate: float
    objective: float
    n_iterations: int


def _check_nu(nu) -> float:
    return check_positive_float(nu, "nu")


def fit_nce(data, noise: BernoulliNoise, nu, rng, tol: float = 1e-10, max_iter: int = 1000) -> NCEResult:
    r"""Estimate a fully visible BM and its normaliser by noise-contrastive estimation.

    Draws :math:`\lceil \nu T_d \rceil` noise samples from ``noise`` and maximises
    :math:`J(\theta, c)` (module docstring) with L-BFGS from :math:`\theta = 0` and
    :math:`c = -n\log 2` (the normaliser of the zero model). :math:`J` is concave in
    :math:`(\theta, c)` because :math:`G` is linear in them, so the optimum is unique
    when it exists.

    Parameters
    ----------
    data : array_like of 0/1, shape (T_d, n)
    noise : BernoulliNoise
        The noise distribution, over the same *n* units.
    nu : float
        Noise samples per data point, > 0.
    rng : numpy.random.Generator or int
        Source of the noise samples (required).
    tol : float, default 1e-10
        Gradient tolerance of L-BFGS.
    max_iter : int, default 1000

    Returns
    -------
    NCEResult

    Examples
    --------
    >>> true = FullyVisibleBM.random(4, rng=1, scale=0.5)
    >>> data = exact.sample(true, 2000, rng=2)
    >>> fit = fit_nce(data, BernoulliNoise.from_data(data), nu=10, rng=3)
    >>> bool(abs(fit.log_z_estimate - exact.log_partition(fit.model)) < 0.05)
    True
    """
    data = check_binary(data, "data")
    if not isinstance(noise, BernoulliNoise):
        raise TypeError(f"noise must be a BernoulliNoise, got {type(noise).__name__}")
    n = data.shape[1]
    if noise.n_units != n:
        raise ValueError(f"noise must be over the data's {n} units, got {noise.n_units}")
    nu = _check_nu(nu)
    rng = as_generator(rng)
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    n_noise = int(np.ceil(nu * data.shape[0]))
    Y = noise.sample(n_noise, rng)
    # Binary states repeat: store each distinct state once with its count (same sums).
    X_u, count_data = np.unique(data, axis=0, return_counts=True)
    Y_u, count_noise = np.unique(Y, axis=0, return_counts=True)
    args = (pair_features(X_u), pair_features(Y_u), noise.log_prob(X_u), noise.log_prob(Y_u),
            count_data.astype(np.float64), count_noise.astype(np.float64))
    x0 = np.zeros(args[0].shape[1] + 1)
    x0[-1] = -n * np.log(2.0)

    def negative(v):
        J, g = nce_objective(v, *args)
        return -J, -g

    res = minimize(negative, x0, jac=True, method="L-BFGS-B",
                   options={"gtol": tol, "ftol": 1e-15, "maxiter": max_iter})
    theta, c = res.x[:-1], float(res.x[-1])
    return NCEResult(params_to_model(theta, n), c, -c, float(-res.fun), int(res.nit))


def fit_ml(data, tol: float = 1e-10, max_iter: int = 1000) -> FullyVisibleBM:
    r"""Exact maximum-likelihood fully visible BM, by L-BFGS on the enumerated likelihood.

    Maximises :math:`\frac1{T_d}\sum_i \theta^\top\phi(x_i) - \log Z(\theta)`, whose gradient
    is the data statistics minus the exact model statistics
    (:func:`dreambook.exact.model_statistics`). Small models only (enumeration).

    Parameters
    ----------
    data : array_like of 0/1, shape (T_d, n)
    tol : float, default 1e-10
    max_iter : int, default 1000

    Returns
    -------
    FullyVisibleBM
    """
    data = check_binary(data, "data")
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    n = data.shape[1]
    mean_phi = pair_features(data).mean(axis=0)
    states = exact.all_states(n, max_units=exact.MAX_UNITS)
    phi_all = pair_features(states)

    def negative(theta):
        a = phi_all @ theta
        log_z = logsumexp(a)
        p = np.exp(a - log_z)
        return -(mean_phi @ theta - log_z), -(mean_phi - p @ phi_all)

    res = minimize(negative, np.zeros(phi_all.shape[1]), jac=True, method="L-BFGS-B",
                   options={"gtol": tol, "ftol": 1e-15, "maxiter": max_iter})
    return params_to_model(res.x, n)


#: The noise distributions :func:`make_noise` builds, by name.
NOISE_KINDS = ("data marginals", "uniform")


def make_noise(kind: str, data) -> BernoulliNoise:
    """The noise of kind ``kind`` for the data set ``data``.

    ``"data marginals"`` is :meth:`BernoulliNoise.from_data` (independent units with
    the data's marginal probabilities); ``"uniform"`` is :meth:`BernoulliNoise.uniform`
    over the data's units.

    Examples
    --------
    >>> make_noise("uniform", [[0, 1], [1, 1]]).q
    array([0.5, 0.5])
    """
    data = check_binary(data, "data")
    if kind == "data marginals":
        return BernoulliNoise.from_data(data)
    if kind == "uniform":
        return BernoulliNoise.uniform(data.shape[1])
    raise ValueError(f"kind must be one of {NOISE_KINDS}, got {kind!r}")


def squared_parameter_error(model: FullyVisibleBM, true: FullyVisibleBM) -> float:
    r"""Squared distance :math:`\lVert\hat\theta - \theta\rVert^2` between two machines' parameters.

    :math:`\theta = ((W_{ij})_{i<j}, b)` as in :func:`model_to_params`; the machines must
    have the same number of units.
    """
    a, b = model_to_params(model), model_to_params(true)
    if a.shape != b.shape:
        raise ValueError(f"the machines have {model.n_units} and {true.n_units} units; they must match")
    return float(np.sum((a - b) ** 2))


@dataclass(frozen=True)
class NoiseStudy:
    r"""Outcome of :func:`noise_ratio_study`: NCE errors over noise ratios and data sets.

    Attributes
    ----------
    noise : str
        The noise kind (one of :data:`NOISE_KINDS`).
    nus : tuple of float
        The noise ratios, one row each.
    parameter_error : ndarray, shape (len(nus), n_datasets)
        :func:`squared_parameter_error` of each NCE fit from the true machine.
    log_z_error : ndarray, shape (len(nus), n_datasets)
        :math:`|\hat c + \log Z(\hat\theta)|`: how far each fit's learnt normaliser is
        from the exact one of the machine it fitted.
    """

    noise: str
    nus: tuple
    parameter_error: np.ndarray
    log_z_error: np.ndarray


def noise_ratio_study(true: FullyVisibleBM, datasets, nus, noise: str, seeds, tol: float = 1e-10) -> NoiseStudy:
    r"""Fit every data set by NCE at every noise ratio, and measure each fit exactly.

    Data set ``k`` is fitted with noise ``make_noise(noise, datasets[k])`` and noise
    samples drawn with ``rng=seeds[k]`` (the same seed at every :math:`\nu`), by
    :func:`fit_nce`; each fit's parameter error is measured against ``true`` and its
    normaliser against :func:`dreambook.exact.log_partition` of the fit.

    Parameters
    ----------
    true : FullyVisibleBM
        The machine the data sets were drawn from.
    datasets : sequence of array_like of 0/1
    nus : sequence of float
        Noise ratios, each > 0.
    noise : str
        One of :data:`NOISE_KINDS`.
    seeds : sequence of int
        One seed per data set, for its noise samples.
    tol : float, default 1e-10
        Gradient tolerance of each fit.

    Returns
    -------
    NoiseStudy
    """
    if not isinstance(true, FullyVisibleBM):
        raise TypeError(f"true must be a FullyVisibleBM, got {type(true).__name__}")
    datasets = [check_binary(d, "each data set", n_units=true.n_units) for d in datasets]
    nus = tuple(_check_nu(nu) for nu in nus)
    seeds = list(seeds)
    if not datasets or not nus:
        raise ValueError("datasets and nus must not be empty")
    if len(seeds) != len(datasets):
        raise ValueError(f"seeds must give one seed per data set ({len(datasets)}), got {len(seeds)}")
    if noise not in NOISE_KINDS:
        raise ValueError(f"noise must be one of {NOISE_KINDS}, got {noise!r}")
    param = np.zeros((len(nus), len(datasets)))
    log_z = np.zeros_like(param)
    for k, nu in enumerate(nus):
        for s, (data, seed) in enumerate(zip(datasets, seeds)):
            fit = fit_nce(data, make_noise(noise, data), nu, rng=seed, tol=tol)
            param[k, s] = squared_parameter_error(fit.model, true)
            log_z[k, s] = abs(fit.log_z_estimate - exact.log_partition(fit.model))
    return NoiseStudy(noise, nus, param, log_z)
