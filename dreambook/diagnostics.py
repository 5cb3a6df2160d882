r"""Checking samplers and learners: goodness of fit, autocorrelation, success rates.

* :func:`chi_square_test` -- samples against an exact distribution;
* :func:`autocorrelation_time` (from a chain) and
  :func:`exact_autocorrelation_time` (from a transition matrix of
  :mod:`dreambook.markov`);
* :func:`pseudo_log_likelihood` -- a cheap stochastic-free proxy of the fit of an RBM;
* :func:`success_rate` -- a proportion of successful runs with its confidence interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._special import softplus
from ._validation import (
    check_binary,
    check_finite_array,
    check_model,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real,
)
from .models import RBM
from .states import empirical_distribution, pool_samples

__all__ = [
    "chi_square_test",
    "autocorrelation_time",
    "exact_autocorrelation_time",
    "pseudo_log_likelihood",
    "SuccessRate",
    "success_rate",
]


def chi_square_test(samples, probs, min_expected=5.0):
    r"""Pearson's :math:`\chi^2` goodness-of-fit test of samples against an exact distribution.

    With :math:`N` samples, observed counts :math:`O_s` and expected counts
    :math:`E_s = N p_s`, the statistic is :math:`\sum_s (O_s - E_s)^2 / E_s`,
    compared with a :math:`\chi^2` distribution with (bins − 1) degrees of
    freedom. States whose expected count is below ``min_expected`` are pooled
    into one bin (merged with the next-smallest bin if still too small), so
    the :math:`\chi^2` approximation holds. A sample in a state of probability
    zero gives statistic ``inf`` and p-value 0.

    The samples must be (close to) independent, e.g. the final states of many
    chains, or one chain thinned by several autocorrelation times.

    Parameters
    ----------
    samples : array_like of 0/1, shape (m, n) or (..., m, n)
    probs : array_like, shape (2**n,)
        Exact probabilities in :func:`dreambook.states.all_states` order.
    min_expected : float, default 5.0

    Returns
    -------
    statistic : float
    p_value : float
        Small values reject the hypothesis that the samples come from ``probs``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> probs = np.array([0.1, 0.2, 0.3, 0.4])
    >>> samples = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])[rng.choice(4, 2000, p=probs)]
    >>> chi_square_test(samples, probs)[1] > 0.01
    True
    >>> chi_square_test(samples, [0.25, 0.25, 0.25, 0.25])[1] < 1e-6
    True
    """
    x = pool_samples(samples)
    n = x.shape[1]
    probs = check_finite_array(probs, "probs", ndim=1)
    if probs.shape != (2**n,):
        raise ValueError(
            f"probs must have shape ({2**n},) for samples of {n} units, got {probs.shape}"
        )
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, rtol=0, atol=1e-8):
        raise ValueError("probs must be a probability vector (non-negative, summing to 1)")
    min_expected = check_positive_float(min_expected, "min_expected")
    observed = empirical_distribution(x, counts=True, max_units=max(n, 1)).astype(np.float64)
    N = observed.sum()
    if np.any(observed[probs == 0] > 0):
        return float("inf"), 0.0
    expected = N * probs
    # Pool the small bins: sort by expected count, merge those below min_expected.
    order = np.argsort(expected, kind="stable")
    exp_sorted, obs_sorted = expected[order], observed[order]
    small = exp_sorted < min_expected
    n_small = int(small.sum())
    if n_small > 0:
        pooled_e, pooled_o = exp_sorted[:n_small].sum(), obs_sorted[:n_small].sum()
        exp_rest, obs_rest = exp_sorted[n_small:], obs_sorted[n_small:]
        if pooled_e < min_expected and len(exp_rest) > 0:
            pooled_e, pooled_o = pooled_e + exp_rest[0], pooled_o + obs_rest[0]
            exp_rest, obs_rest = exp_rest[1:], obs_rest[1:]
        exp_sorted = np.concatenate([[pooled_e], exp_rest])
        obs_sorted = np.concatenate([[pooled_o], obs_rest])
    keep = exp_sorted > 0
    exp_sorted, obs_sorted = exp_sorted[keep], obs_sorted[keep]
    dof = len(exp_sorted) - 1
    if dof < 1:
        raise ValueError(
            "chi_square_test needs at least two bins with enough expected counts; "
            "draw more samples"
        )
    statistic = float(np.sum((obs_sorted - exp_sorted) ** 2 / exp_sorted))
    return statistic, float(stats.chi2.sf(statistic, dof))


def autocorrelation_time(series, c=5.0) -> float:
    r"""Integrated autocorrelation time with Sokal's automatic window.

    .. math::

        \tau = 1 + 2\sum_{t=1}^{M} \rho(t),

    where :math:`\rho` is the normalized autocorrelation function (computed by
    FFT) and :math:`M` is the smallest window with :math:`M \ge c\,\tau(M)`
    (Sokal 1997; ``c = 5`` is customary). A chain of *N* correlated samples is
    worth about :math:`N/\tau` independent ones.

    Parameters
    ----------
    series : array_like, shape (n_steps,) or (n_steps, n_chains)
        A scalar summary of the chain (e.g. the energy). With several chains,
        their autocorrelation functions are averaged.
    c : float, default 5.0

    Returns
    -------
    float
        ``inf`` if the series never changes (a stuck chain carries no
        information about the variance, so no finite time can be claimed).

    Examples
    --------
    Independent samples have :math:`\tau \approx 1`:

    >>> tau = autocorrelation_time(np.random.default_rng(0).normal(size=10000))
    >>> 0.9 < tau < 1.1
    True
    """
    y = check_finite_array(series, "series")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"series must have shape (n_steps,) or (n_steps, n_chains), got {y.shape}")
    n_steps = y.shape[0]
    if n_steps < 2:
        raise ValueError(f"series must have at least 2 steps, got {n_steps}")
    c = check_positive_float(c, "c")
    y = y - y.mean(axis=0)
    if np.all(y == 0):
        return float("inf")
    size = 2 ** int(np.ceil(np.log2(2 * n_steps)))
    f = np.fft.rfft(y, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[:n_steps].sum(axis=1)
    rho = acov / acov[0]
    taus = 2.0 * np.cumsum(rho) - 1.0  # tau(M) = 1 + 2 sum_{t=1}^{M} rho(t)
    windows = np.arange(n_steps)
    ok = windows >= c * taus
    M = int(np.argmax(ok)) if np.any(ok) else n_steps - 1
    return float(taus[M])


def exact_autocorrelation_time(P, probs, f) -> float:
    r"""Exact integrated autocorrelation time of :math:`f(x_t)` for a stationary Markov chain.

    For a chain with transition matrix :math:`P` started in its stationary
    distribution :math:`\pi`,

    .. math::

        \tau_f = 1 + 2\sum_{t=1}^{\infty} \rho_f(t), \qquad
        \rho_f(t) = \frac{\operatorname{Cov}_\pi\big(f(x_0), f(x_t)\big)}{\operatorname{Var}_\pi f},

    the quantity that :func:`autocorrelation_time` estimates from a sampled
    series. With :math:`\bar f = f - \pi^\top f` and
    :math:`g = (I - P + \mathbf{1}\pi^\top)^{-1}\bar f = \sum_{t\ge0} P^t \bar f`
    (the fundamental matrix of the chain),

    .. math::

        \tau_f = \frac{2\,\langle \bar f, g\rangle_\pi - \langle \bar f, \bar f\rangle_\pi}
                      {\langle \bar f, \bar f\rangle_\pi},
        \qquad \langle a, b\rangle_\pi = \sum_s \pi_s a_s b_s .

    The chain need not be reversible (a sequential Gibbs sweep is not).

    Parameters
    ----------
    P : array_like, shape (N, N)
        Transition matrix of an ergodic chain, e.g. from
        :func:`gibbs_transition_matrix`.
    probs : array_like, shape (N,)
        Its stationary distribution (checked: :math:`\pi P = \pi`).
    f : array_like, shape (N,)
        The observable, one value per state (e.g. the number of units on).

    Returns
    -------
    float
        ``inf`` if :math:`f` is constant under :math:`\pi`.

    Examples
    --------
    A two-state chain that stays put with probability 0.9 has
    :math:`\rho(t) = 0.8^t`, so :math:`\tau = (1 + 0.8)/(1 - 0.8) = 9`:

    >>> P = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> round(exact_autocorrelation_time(P, [0.5, 0.5], [0.0, 1.0]), 10)
    9.0
    """
    P = check_finite_array(P, "P", ndim=2)
    N = P.shape[0]
    if P.shape != (N, N) or N == 0:
        raise ValueError(f"P must be a non-empty square matrix, got shape {P.shape}")
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-10):
        raise ValueError("P must be a stochastic matrix (non-negative rows summing to 1)")
    probs = check_finite_array(probs, "probs", shape=(N,))
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, rtol=0, atol=1e-8):
        raise ValueError("probs must be a probability vector (non-negative, summing to 1)")
    if not np.allclose(probs @ P, probs, rtol=0, atol=1e-10):
        raise ValueError("probs must be the stationary distribution of P (probs @ P == probs)")
    f = check_finite_array(f, "f", shape=(N,))
    fbar = f - probs @ f
    var = float(probs @ (fbar * fbar))
    if var <= 1e-300:
        return float("inf")
    try:
        g = np.linalg.solve(np.eye(N) - P + np.outer(np.ones(N), probs), fbar)
    except np.linalg.LinAlgError:
        raise ValueError("P must be ergodic (irreducible); I - P + 1 probs^T is singular") from None
    return float((2.0 * (probs @ (fbar * g)) - var) / var)


def pseudo_log_likelihood(rbm, data) -> np.ndarray:
    r"""Exact pseudo-log-likelihood :math:`\sum_i \log p(v_i \mid v_{-i})` of each row, in nats.

    Each conditional needs only a difference of free energies, never
    :math:`Z`: with :math:`\tilde v^{(i)}` the state with pixel *i* flipped,

    .. math::

        \log p(v_i \mid v_{-i}) = -\operatorname{softplus}\big((F(v) - F(\tilde v^{(i)}))/T\big).

    scikit-learn's ``BernoulliRBM.score_samples`` returns
    :math:`n_v \log p(v_i \mid v_{-i})` for **one** randomly chosen pixel *i*
    per row: an unbiased, noisy estimate of this sum. It is not the
    log-likelihood :math:`\log p(v)`, which needs :math:`\log Z`.

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1, shape (m, n_visible)

    Returns
    -------
    ndarray, shape (m,)

    Examples
    --------
    With no weights the pixels are independent and the two coincide:

    >>> from dreambook import exact
    >>> rbm = RBM(np.zeros((3, 2)), [0.0, 1.0, -1.0], [0.0, 0.0])
    >>> x = [[1, 0, 1]]
    >>> bool(np.allclose(pseudo_log_likelihood(rbm, x), exact.log_prob(rbm, x)))
    True
    """
    check_model(rbm, RBM, "rbm")
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    m, n = data.shape
    free = rbm.free_energy(data)
    flipped = np.repeat(data[:, None, :], n, axis=1)
    diagonal = np.arange(n)
    flipped[:, diagonal, diagonal] = 1.0 - flipped[:, diagonal, diagonal]
    free_flipped = rbm.free_energy(flipped.reshape(m * n, n)).reshape(m, n)
    # log sigma(-x) = -softplus(x), x = (F(v) - F(v~)) / T
    return -softplus((free[:, None] - free_flipped) / rbm.T).sum(axis=1)


@dataclass(frozen=True)
class SuccessRate:
    """A success count with a binomial confidence interval (see :func:`success_rate`)."""

    successes: int
    trials: int
    low: float
    high: float
    method: str
    confidence: float

    @property
    def rate(self) -> float:
        """successes / trials."""
        return self.successes / self.trials

    def __str__(self) -> str:
        return (f"{self.successes}/{self.trials} = {100 * self.rate:.0f} % "
                f"({100 * self.confidence:.0f} % CI {100 * self.low:.0f}-{100 * self.high:.0f} %)")


def success_rate(successes, trials=None, confidence=0.95, method="wilson") -> SuccessRate:
    """Success rate with a binomial confidence interval from :func:`scipy.stats.binomtest`.

    Parameters
    ----------
    successes : int or array_like of bool
        A count, or one verdict per trial (then ``trials`` is its length).
    trials : int, optional
    confidence : float, default 0.95
    method : {"wilson", "exact"}
        Wilson's score interval, or the Clopper-Pearson ("exact") interval.

    >>> print(success_rate(48, 50))
    48/50 = 96 % (95 % CI 87-99 %)
    >>> r = success_rate([True] * 50, method="exact")
    >>> round(r.low, 4), r.high
    (0.9289, 1.0)
    """
    from scipy.stats import binomtest

    if trials is None:
        verdicts = np.asarray(successes)
        if verdicts.ndim != 1 or verdicts.size == 0 or verdicts.dtype != bool:
            raise TypeError("successes must be an int count (with trials) or a 1-d array of bools")
        k, n = int(verdicts.sum()), int(verdicts.size)
    else:
        k = check_nonnegative_int(successes, "successes")
        n = check_positive_int(trials, "trials")
        if k > n:
            raise ValueError(f"successes must be at most trials={n}, got {k}")
    confidence = check_real(confidence, "confidence", 0, 1, low_open=True, high_open=True)
    if method not in ("wilson", "exact"):
        raise ValueError(f"method must be 'wilson' or 'exact', got {method!r}")
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method=method)
    return SuccessRate(k, n, float(ci.low), float(ci.high), method, confidence)
