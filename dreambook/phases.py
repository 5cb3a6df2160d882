r"""The two phases of the likelihood gradient, taken apart.

For an energy-based model :math:`p_\theta(x) = e^{-E_\theta(x)/T}/Z_\theta`, the
gradient of the mean log-likelihood of a data set is

.. math::

    \nabla_\theta \langle \log p_\theta \rangle_{\text{data}}
    = \frac{1}{T}\Big(\underbrace{\langle s \rangle_{\text{data}}}_{\text{wake}}
      - \underbrace{\langle s \rangle_{p_\theta}}_{\text{dream}}\Big),
    \qquad s = -\nabla_\theta E_\theta ,

where :math:`s` are the sufficient statistics (co-activations and activations
for a Boltzmann machine). This module computes each phase exactly, applies
them alone or alternately (Chapter 1, "How long can you stay awake?"), finds
the periodic orbit that alternation settles on, and fits a fully visible
Boltzmann machine to maximum likelihood by Newton's method so that "data and
model moments agree" can be checked to machine precision.

Every update here modifies the model's parameter arrays in place.

Parameter vectors
-----------------
:func:`alternate_phases`, :func:`periodic_orbit` and
:func:`fit_maximum_likelihood` work on the parameter vector
:math:`\theta = (W_{12}, W_{13}, \dots, W_{n-1,n}, b_1, \dots, b_n)` (each
symmetric pair once, in ``numpy.triu_indices`` order, then the biases), for
which :math:`-E_\theta(x) = \theta^\top s(x)` with :math:`s(x) = (x_1x_2, \dots,
x_{n-1}x_n, x_1, \dots, x_n)`. They tabulate :math:`s(x)` for all
:math:`2^n` states, so they accept at most :data:`MAX_UNITS` units.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._special import logsumexp
from . import exact
from ._validation import (
    as_generator,
    check_binary,
    check_finite_array,
    check_model,
    check_positive_float,
    check_positive_int,
)
from .models import FullyVisibleBM
from .states import all_pairs, all_states, pack_pairs, pair_features, unpack_pairs

__all__ = [
    "cycle_average",
    "positive_step",
    "negative_step",
    "both_step",
    "alternate_phases",
    "alternate_sampled_phases",
    "periodic_orbit",
    "OrbitResult",
    "fit_maximum_likelihood",
    "statistics_covariance",
]

#: Largest model for the parameter-vector routines (a table of 2**14 x 105 statistics, 14 MB).
MAX_UNITS = 14


def _check_fully_visible(model, func: str) -> None:
    check_model(model, FullyVisibleBM, func=func)


def _apply(model, stats: dict, scale: float) -> None:
    for name, value in model.params.items():
        value += scale * stats[name]


def positive_step(model, data, lr) -> None:
    r"""One positive-phase ("waking") update: :math:`\theta \leftarrow \theta + \eta\,\langle s\rangle_{\text{data}}/T`.

    It lowers the energy of every observed state. Applied alone it never
    stops: the statistics of the data do not depend on :math:`\theta`.

    >>> m = FullyVisibleBM.zeros(2)
    >>> positive_step(m, [[1, 1], [1, 0]], lr=1.0)
    >>> m.b, float(m.W[0, 1])
    (array([1. , 0.5]), 0.5)
    """
    _check_fully_visible(model, "positive_step")
    lr = check_positive_float(lr, "lr")
    data = check_binary(data, "data", model.n_units)
    _apply(model, exact.data_statistics(model, data), lr / model.T)


def negative_step(model, lr) -> None:
    r"""One negative-phase ("dreaming") update: :math:`\theta \leftarrow \theta - \eta\,\langle s\rangle_{p_\theta}/T`.

    It raises the energy of whatever the model currently finds probable,
    computed exactly by enumeration. Applied alone it unlearns everything:
    the model drifts towards the state with no active units.

    >>> m = FullyVisibleBM.zeros(2)        # uniform: each unit on w.p. 1/2, a pair w.p. 1/4
    >>> negative_step(m, lr=1.0)
    >>> m.b, float(m.W[0, 1])
    (array([-0.5, -0.5]), -0.25)
    """
    _check_fully_visible(model, "negative_step")
    lr = check_positive_float(lr, "lr")
    _apply(model, exact.model_statistics(model), -lr / model.T)


def both_step(model, data, lr) -> None:
    r"""One exact gradient-ascent step: both phases at once, :math:`\theta \leftarrow \theta + \eta\,(\langle s\rangle_{\text{data}} - \langle s\rangle_{p_\theta})/T`."""
    _check_fully_visible(model, "both_step")
    lr = check_positive_float(lr, "lr")
    data = check_binary(data, "data", model.n_units)
    _apply(model, exact.log_likelihood_gradient(model, data), lr)


# ---------------------------------------------------------------------------
# Parameter vectors: theta = (W[triu], b), -E(x) = theta . s(x)
# ---------------------------------------------------------------------------
class _Coordinates:
    """The parameter vector of a fully visible BM and the statistics of all its states."""

    def __init__(self, model, func: str):
        _check_fully_visible(model, func)
        n = model.n_units
        if n > MAX_UNITS:
            raise ValueError(
                f"{func}: model has {n} units; the parameter-vector routines tabulate all "
                f"2**n states and accept at most MAX_UNITS = {MAX_UNITS} units"
            )
        self.n, self.T = n, model.T
        self.pairs = all_pairs(n)
        self.S = self.statistics(all_states(n))  # shape (2**n, n(n+1)/2)

    def statistics(self, x) -> np.ndarray:
        """Rows s(x) = (pairs i<j, units) for each row of x."""
        return pair_features(x, self.pairs)

    def pack(self, model) -> np.ndarray:
        return pack_pairs(model.W, model.b, self.pairs)

    def unpack(self, theta, model) -> None:
        model.W[...], model.b[...] = unpack_pairs(theta, self.pairs, self.n)

    def probabilities(self, theta) -> np.ndarray:
        log_w = self.S @ theta / self.T
        p = np.exp(log_w - log_w.max())
        return p / p.sum()

    def log_partition(self, theta) -> float:
        return float(logsumexp(self.S @ theta / self.T))


def _step_sizes(lr, n_cycles: int) -> np.ndarray:
    """One learning rate per cycle: a positive float repeated, or a positive array of length n_cycles."""
    if np.ndim(lr) == 0:
        return np.full(n_cycles, check_positive_float(lr, "lr"))
    rates = check_finite_array(lr, "lr", shape=(n_cycles,))
    if np.any(rates <= 0):
        raise ValueError("lr must be positive: every cycle's learning rate must be > 0")
    return rates


def _night(coords, theta, lr, block, jacobian: bool):
    """``block`` dream steps from ``theta``; optionally the Jacobian of the whole night."""
    scale = lr / coords.T
    J = np.eye(len(theta)) if jacobian else None
    for _ in range(block):
        p = coords.probabilities(theta)
        mean = p @ coords.S
        if jacobian:
            # d mean / d theta = Cov_p[s] / T, so one step has Jacobian I - (lr/T^2) Cov.
            cov = (coords.S * p[:, None]).T @ coords.S - np.outer(mean, mean)
            J -= (scale / coords.T) * (cov @ J)
        theta = theta - scale * mean
    return theta, J


def alternate_phases(model, data, lr, block, n_cycles):
    r"""Alternate ``block`` wake-only updates with ``block`` dream-only updates.

    One *cycle* is a day of ``block`` wake steps followed by a night of
    ``block`` dream steps, each with learning rate ``lr``: the same, up to
    rounding, as ``block`` calls of :func:`positive_step` then ``block`` calls of
    :func:`negative_step`, but computed on the parameter vector (about 20 times
    faster for 10 units). As :math:`\eta B \to 0` a cycle approaches
    :math:`B` steps of exact gradient ascent of size :math:`\eta`; for large
    :math:`\eta B` the parameters travel far during the day and the night
    must bring them back. :func:`periodic_orbit` finds where the cycles settle.

    A learning rate that changes from cycle to cycle, :math:`\eta_t` for
    cycle :math:`t` (constant within the cycle), is passed as an array: with
    a step that diminishes to zero (and sums to infinity) this is the cyclic
    incremental-gradient method that converges to the maximum (Bertsekas,
    *Math. Program.* 129, 2011).

    Parameters
    ----------
    model : FullyVisibleBM
        Modified in place; at most :data:`MAX_UNITS` units.
    data : array_like of shape (n_samples, n_units)
    lr : float or array_like of shape (n_cycles,)
        Learning rate :math:`\eta > 0`, or one learning rate per cycle.
    block : int
        Updates per phase, :math:`B \ge 1`.
    n_cycles : int
        Number of day-night cycles.

    Returns
    -------
    numpy.ndarray of shape (n_cycles,)
        Mean exact log-likelihood (nats per example) at the end of each night,
        ``-inf`` once the parameters are no longer finite.

    Examples
    --------
    Two cycles at 0.2 and then 0.1 are two single-rate runs, one after the other:

    >>> data = [[1, 1, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]
    >>> a, b = FullyVisibleBM.zeros(3), FullyVisibleBM.zeros(3)
    >>> both = alternate_phases(a, data, [0.2, 0.1], 2, 2)
    >>> first = alternate_phases(b, data, 0.2, 2, 1)
    >>> second = alternate_phases(b, data, 0.1, 2, 1)
    >>> bool(np.allclose(both, [first[0], second[0]]) and np.allclose(a.W, b.W))
    True
    """
    coords = _Coordinates(model, "alternate_phases")
    block = check_positive_int(block, "block")
    n_cycles = check_positive_int(n_cycles, "n_cycles")
    rates = _step_sizes(lr, n_cycles)
    data = check_binary(data, "data", model.n_units)
    s_data = coords.statistics(data).mean(axis=0)  # the wake statistics never change
    theta = coords.pack(model)
    out = np.full(n_cycles, -np.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        for cycle, rate in enumerate(rates):
            theta = theta + block * rate / coords.T * s_data  # B identical wake steps
            theta, _ = _night(coords, theta, rate, block, jacobian=False)
            if not np.all(np.isfinite(theta)):
                break
            out[cycle] = theta @ s_data / coords.T - coords.log_partition(theta)
    coords.unpack(theta, model)
    return out


def alternate_sampled_phases(model, data, lr, block, n_cycles, n_samples, rng):
    r"""Alternate phases as :func:`alternate_phases`, each step estimated from samples.

    Each wake step uses the mean statistics of ``n_samples`` training examples
    drawn uniformly with replacement (a minibatch), and each dream step the
    mean statistics of ``n_samples`` independent exact samples of the current
    model (drawn by enumeration, as :func:`dreambook.exact.sample` does):

    .. math::

        \theta \leftarrow \theta + \frac{\eta_t}{T}\,\frac1S\sum_{k=1}^S s(x^{(k)}),\quad
        x^{(k)} \sim \text{data};\qquad
        \theta \leftarrow \theta - \frac{\eta_t}{T}\,\frac1S\sum_{k=1}^S s(\tilde x^{(k)}),\quad
        \tilde x^{(k)} \sim p_\theta .

    Both estimates are unbiased, so a cycle follows the exact cycle of
    :func:`alternate_phases` on average, plus zero-mean noise whose variance
    falls like :math:`1/S`. A day draws its ``block`` minibatches, then the
    night its ``block`` sets of dreams, all from ``rng``.

    Parameters
    ----------
    model : FullyVisibleBM
        Modified in place; at most :data:`MAX_UNITS` units.
    data : array_like of shape (n_examples, n_units)
    lr : float or array_like of shape (n_cycles,)
        Learning rate :math:`\eta > 0`, or one learning rate per cycle.
    block : int
        Updates per phase, :math:`B \ge 1`.
    n_cycles : int
        Number of day-night cycles.
    n_samples : int
        Examples per wake step and dreams per dream step, :math:`S \ge 1`.
    rng : numpy.random.Generator or int

    Returns
    -------
    numpy.ndarray of shape (n_cycles,)
        Mean exact log-likelihood of all of ``data`` (nats per example) at
        the end of each night, ``-inf`` once the parameters are no longer finite.

    Examples
    --------
    With every example and many dreams per step, a cycle is close to the exact one:

    >>> data = [[1, 1, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]
    >>> exact_end = alternate_phases(FullyVisibleBM.zeros(3), data, 0.1, 2, 50)
    >>> noisy_end = alternate_sampled_phases(FullyVisibleBM.zeros(3), data, 0.1, 2, 50,
    ...                                      n_samples=20000, rng=0)
    >>> bool(abs(noisy_end[-1] - exact_end[-1]) < 1e-3)
    True
    """
    coords = _Coordinates(model, "alternate_sampled_phases")
    block = check_positive_int(block, "block")
    n_cycles = check_positive_int(n_cycles, "n_cycles")
    rates = _step_sizes(lr, n_cycles)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = as_generator(rng)
    data = check_binary(data, "data", model.n_units)
    s_rows = coords.statistics(data)
    s_data = s_rows.mean(axis=0)
    theta = coords.pack(model)
    out = np.full(n_cycles, -np.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        for cycle, rate in enumerate(rates):
            scale = rate / coords.T
            for _ in range(block):
                batch = rng.integers(len(s_rows), size=n_samples)
                theta = theta + scale * s_rows[batch].mean(axis=0)
            for _ in range(block):
                p = coords.probabilities(theta)
                cdf = np.cumsum(p)
                dreams = np.searchsorted(cdf / cdf[-1], rng.random(n_samples), side="right")
                theta = theta - scale * coords.S[np.minimum(dreams, len(p) - 1)].mean(axis=0)
            if not np.all(np.isfinite(theta)):
                break
            out[cycle] = theta @ s_data / coords.T - coords.log_partition(theta)
    coords.unpack(theta, model)
    return out


class OrbitResult(NamedTuple):
    """What :func:`periodic_orbit` found (a named tuple)."""

    #: Whether ``residual`` fell below the tolerance.
    converged: bool
    #: :math:`\max_k |\Phi(\theta)_k - \theta_k|` at the returned point.
    residual: float
    #: Largest modulus of the eigenvalues (Floquet multipliers) of the Jacobian of
    #: the day-night map :math:`\Phi` there. Below 1: the orbit attracts, and
    #: alternation started nearby settles on it.
    spectral_radius: float
    #: Newton iterations taken.
    n_iter: int


def cycle_average(model, data, lr, block) -> FullyVisibleBM:
    r"""The parameters averaged over the :math:`2B` points of one day-night cycle from ``model``.

    One cycle is ``block`` :func:`positive_step` calls, then ``block``
    :func:`negative_step` calls; the result is the machine with the mean of the
    :math:`2B` parameter values after each step. ``model`` is not modified. Started
    on the rhythm (:func:`periodic_orbit`), this is the cycle-averaged model.
    """
    _check_fully_visible(model, "cycle_average")
    block = check_positive_int(block, "block")
    walker, visited = model.copy(), []
    for step in range(2 * block):
        if step < block:
            positive_step(walker, data, lr)
        else:
            negative_step(walker, lr)
        visited.append((walker.W.copy(), walker.b.copy()))
    return FullyVisibleBM(np.mean([W for W, _ in visited], axis=0), np.mean([b for _, b in visited], axis=0))


def periodic_orbit(model, data, lr, block, tol: float = 1e-10, max_iter: int = 40) -> OrbitResult:
    r"""Find the daily rhythm that alternating phases settles into, by Newton's method.

    Let :math:`\Phi(\theta)` be the parameters at the end of one cycle of
    :func:`alternate_phases` (a day of ``block`` wake steps, a night of
    ``block`` dream steps) started from :math:`\theta` at the end of a night.
    A periodic orbit is a fixed point :math:`\theta^\star = \Phi(\theta^\star)`;
    this function solves :math:`\Phi(\theta) - \theta = 0` by Newton's method
    with backtracking, using the exact Jacobian

    .. math::

        D\Phi = \prod_{k=B-1}^{0}\Big(I - \frac{\eta}{T^2}\operatorname{Cov}_{p_{\theta_k}}[s]\Big),

    the product over the night's steps (the day is a translation). Iterating
    :math:`\Phi` would also find :math:`\theta^\star`, but the slowest
    directions of the likelihood contract by only about
    :math:`1 - \eta B \lambda_{\min}` per cycle, i.e. thousands of cycles;
    Newton needs a handful.

    Parameters
    ----------
    model : FullyVisibleBM
        Starting point (end of a night); modified in place to the orbit's
        end-of-night parameters (or the last iterate if Newton fails).
    data : array_like of shape (n_samples, n_units)
    lr : float
        Learning rate :math:`\eta > 0`.
    block : int
        Updates per phase, :math:`B \ge 1`.
    tol : float
        Converged when :math:`\max|\Phi(\theta) - \theta| <` ``tol``.
    max_iter : int

    Returns
    -------
    OrbitResult
        ``converged``, ``residual``, ``spectral_radius`` (below 1: the orbit
        is attracting) and ``n_iter``.

    Examples
    --------
    With ``block=1`` the orbit is known in closed form: the day's single wake
    step lands exactly on the maximum-likelihood fit (where the dream
    statistics equal the data statistics), so the night ends at
    :math:`\theta_{\rm ML} - \eta\,\bar s/T`.

    >>> data = [[1, 1, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]
    >>> ml = FullyVisibleBM.zeros(3)
    >>> _ = fit_maximum_likelihood(ml, data)
    >>> m = FullyVisibleBM.zeros(3)
    >>> result = periodic_orbit(m, data, lr=0.1, block=1)
    >>> result.converged, bool(result.spectral_radius < 1)
    (True, True)
    >>> bool(np.allclose(m.b, ml.b - 0.1 * np.mean(data, axis=0)))
    True
    """
    coords = _Coordinates(model, "periodic_orbit")
    lr = check_positive_float(lr, "lr")
    block = check_positive_int(block, "block")
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    data = check_binary(data, "data", model.n_units)
    day = block * lr / coords.T * coords.statistics(data).mean(axis=0)
    eye = np.eye(len(day))

    def residual(theta, jacobian):
        end, J = _night(coords, theta + day, lr, block, jacobian)
        G = end - theta
        r = float(np.max(np.abs(G))) if np.all(np.isfinite(G)) else np.inf
        return G, r, J

    theta = coords.pack(model)
    n_iter = 0
    with np.errstate(over="ignore", invalid="ignore"):
        G, r, J = residual(theta, True)
        while r >= tol and n_iter < max_iter and np.isfinite(r):
            try:
                step = np.linalg.solve(J - eye, -G)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(J - eye, -G, rcond=None)[0]
            t = 1.0
            while t >= 2.0**-12:
                _, r_new, _ = residual(theta + t * step, False)
                if r_new < r:
                    break
                t /= 2
            else:
                break  # no step along the Newton direction reduces the residual
            theta = theta + t * step
            G, r, J = residual(theta, True)
            n_iter += 1
    if np.isfinite(r):
        radius = float(np.max(np.abs(np.linalg.eigvals(J))))
    else:
        radius = np.nan
    coords.unpack(theta, model)
    return OrbitResult(bool(r < tol), r, radius, n_iter)


def fit_maximum_likelihood(model, data, tol: float = 1e-12, max_iter: int = 100):
    r"""Fit a fully visible Boltzmann machine by Newton's method on the exact likelihood.

    The log-likelihood :math:`L(\theta) = \theta^\top \bar s/T - \log Z_\theta` is
    concave, with gradient :math:`(\bar s - \mathbb{E}_p[s])/T` and Hessian
    :math:`-\operatorname{Cov}_p[s]/T^2`, so the Newton step is
    :math:`\Delta\theta = T\,\operatorname{Cov}_p[s]^{-1} (\bar s - \mathbb{E}_p[s])`,
    taken with backtracking so that :math:`L` never decreases.

    At the maximum the moments match: :math:`\mathbb{E}_p[s] = \bar s`. The
    maximum is finite only if no statistic of the data sits at its extreme
    (e.g. every pair of units is on together at least once, and every unit is
    sometimes off); otherwise a ``ValueError`` says which. Those checks are
    necessary, not sufficient: if the data obey an exact constraint (say unit
    2 is on only when unit 1 is, so :math:`x_2 - x_1x_2 = 0` in every
    example), the moments lie on a face of the achievable set, the mismatch
    still shrinks towards 0, but the parameters grow without bound. Data in
    which every state occurs always have a finite maximum.

    Parameters
    ----------
    model : FullyVisibleBM
        Starting point; modified in place. At most :data:`MAX_UNITS` units.
    data : array_like of shape (n_samples, n_units)
    tol : float
        Stop when the largest moment mismatch is below ``tol``.
    max_iter : int

    Returns
    -------
    float
        The largest absolute moment mismatch :math:`\max |\bar s - \mathbb{E}_p[s]|` reached.

    Examples
    --------
    >>> data = [[1, 1, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]
    >>> m = FullyVisibleBM.zeros(3)
    >>> fit_maximum_likelihood(m, data) < 1e-12
    True
    >>> bool(np.allclose(exact.model_statistics(m)["W"], exact.data_statistics(m, data)["W"]))
    True
    """
    coords = _Coordinates(model, "fit_maximum_likelihood")
    data = check_binary(data, "data", model.n_units)
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    T, S = coords.T, coords.S
    s_data = coords.statistics(data).mean(axis=0)
    if np.any(s_data <= 0) or np.any(data.mean(axis=0) >= 1):
        raise ValueError(
            "data has a statistic at its extreme (a pair never on together, or a unit "
            "always or never on); the maximum-likelihood parameters are infinite"
        )

    def objective(theta):
        log_w = (S @ theta) / T
        log_z = logsumexp(log_w)
        return theta @ s_data / T - log_z, np.exp(log_w - log_z)

    theta = coords.pack(model)
    value, p = objective(theta)
    for _ in range(max_iter):
        mean = p @ S
        mismatch = s_data - mean
        if np.max(np.abs(mismatch)) < tol:
            break
        cov = (S * p[:, None]).T @ S - np.outer(mean, mean)
        step = T * np.linalg.solve(cov, mismatch)
        t = 1.0
        while True:
            new_value, new_p = objective(theta + t * step)
            if new_value >= value - 1e-15 or t < 1e-8:
                break
            t *= 0.5
        theta, value, p = theta + t * step, new_value, new_p
    coords.unpack(theta, model)
    return float(np.max(np.abs(s_data - p @ S)))


def statistics_covariance(model) -> np.ndarray:
    r"""Covariance :math:`C = \operatorname{Cov}_{p_\theta}[s]` of the sufficient statistics, exactly.

    In parameter-vector order (pairs :math:`i<j` in ``numpy.triu_indices``
    order, then units; see the module docstring). It is the Jacobian of the
    negative phase, :math:`\partial\, \mathbb{E}_{p_\theta}[s]/\partial\theta = C/T`,
    and the mean log-likelihood has Hessian :math:`-C/T^2`, so its
    eigenvalues set how fast, and up to which learning rate, gradient ascent
    converges (stable for :math:`\eta < 2T^2/\lambda_{\max}(C)`).

    Parameters
    ----------
    model : FullyVisibleBM
        At most :data:`MAX_UNITS` units.

    Returns
    -------
    ndarray of shape (P, P), P = n(n+1)/2
        Symmetric positive definite.

    Examples
    --------
    For the uniform model on two units, :math:`s = (x_1x_2, x_1, x_2)` with
    independent fair coins :math:`x_1, x_2`:

    >>> statistics_covariance(FullyVisibleBM.zeros(2))
    array([[0.1875, 0.125 , 0.125 ],
           [0.125 , 0.25  , 0.    ],
           [0.125 , 0.    , 0.25  ]])
    """
    coords = _Coordinates(model, "statistics_covariance")
    p = coords.probabilities(coords.pack(model))
    mean = p @ coords.S
    cov = (coords.S * p[:, None]).T @ coords.S - np.outer(mean, mean)
    return 0.5 * (cov + cov.T)
