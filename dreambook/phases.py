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
them alone or alternately (Chapter 1, "How long can you stay awake?"), and
fits a fully visible Boltzmann machine to maximum likelihood by Newton's method
so that "data and model moments agree" can be checked to machine precision.

Every update here modifies the model's parameter arrays in place.
"""

from __future__ import annotations

import numpy as np

from . import exact
from ._validation import check_binary, check_positive_float, check_positive_int
from .models import FullyVisibleBM

__all__ = [
    "wake_step",
    "dream_step",
    "both_step",
    "alternate_phases",
    "fit_maximum_likelihood",
]


def _check_fully_visible(model, func: str) -> None:
    if not isinstance(model, FullyVisibleBM):
        raise TypeError(f"{func}: model must be a FullyVisibleBM, got {type(model).__name__}")


def _apply(model, stats: dict, scale: float) -> None:
    for name, value in model.params.items():
        value += scale * stats[name]


def wake_step(model, data, lr) -> None:
    r"""One positive-phase ("waking") update: :math:`\theta \leftarrow \theta + \eta\,\langle s\rangle_{\text{data}}/T`.

    It lowers the energy of every observed state. Applied alone it never
    stops: the statistics of the data do not depend on :math:`\theta`.
    """
    _check_fully_visible(model, "wake_step")
    lr = check_positive_float(lr, "lr")
    data = check_binary(data, "data", model.n_units)
    _apply(model, exact.data_statistics(model, data), lr / model.T)


def dream_step(model, lr) -> None:
    r"""One negative-phase ("dreaming") update: :math:`\theta \leftarrow \theta - \eta\,\langle s\rangle_{p_\theta}/T`.

    It raises the energy of whatever the model currently finds probable,
    computed exactly by enumeration. Applied alone it unlearns everything:
    the model drifts towards the state with no active units.
    """
    _check_fully_visible(model, "dream_step")
    lr = check_positive_float(lr, "lr")
    _apply(model, exact.model_statistics(model), -lr / model.T)


def both_step(model, data, lr) -> None:
    r"""One exact gradient-ascent step: both phases at once, :math:`\theta \leftarrow \theta + \eta\,(\langle s\rangle_{\text{data}} - \langle s\rangle_{p_\theta})/T`."""
    _check_fully_visible(model, "both_step")
    lr = check_positive_float(lr, "lr")
    data = check_binary(data, "data", model.n_units)
    _apply(model, exact.log_likelihood_gradient(model, data), lr)


def alternate_phases(model, data, lr, block, n_cycles):
    r"""Alternate ``block`` wake-only updates with ``block`` dream-only updates.

    One *cycle* is a day of ``block`` wake steps followed by a night of
    ``block`` dream steps, each with learning rate ``lr``. As
    :math:`\eta B \to 0` a cycle approaches :math:`2B` small steps of the exact
    gradient; for large :math:`\eta B` the parameters travel far during the day
    and the night must bring them back.

    Parameters
    ----------
    model : FullyVisibleBM
        Modified in place.
    data : array_like of shape (n_samples, n_units)
    lr : float
        Learning rate :math:`\eta > 0`.
    block : int
        Updates per phase, :math:`B \ge 1`.
    n_cycles : int
        Number of day-night cycles.

    Returns
    -------
    numpy.ndarray of shape (n_cycles,)
        Mean exact log-likelihood (nats per example) at the end of each night,
        ``-inf`` once the parameters are no longer finite.
    """
    _check_fully_visible(model, "alternate_phases")
    lr = check_positive_float(lr, "lr")
    block = check_positive_int(block, "block")
    n_cycles = check_positive_int(n_cycles, "n_cycles")
    data = check_binary(data, "data", model.n_units)
    wake = exact.data_statistics(model, data)  # independent of the parameters
    out = np.full(n_cycles, -np.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        for cycle in range(n_cycles):
            _apply(model, wake, block * lr / model.T)  # B identical wake steps
            for _ in range(block):
                _apply(model, exact.model_statistics(model), -lr / model.T)
            if not all(np.all(np.isfinite(v)) for v in model.params.values()):
                break
            out[cycle] = exact.log_likelihood(model, data)
    return out


def _statistics_matrix(n: int):
    """Sufficient statistics of every state as rows: pairs (i<j) then units."""
    states = exact.all_states(n)
    iu = np.triu_indices(n, k=1)
    pairs = states[:, iu[0]] * states[:, iu[1]]
    return states, iu, np.hstack([pairs, states])


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
    sometimes off); otherwise a ``ValueError`` says which.

    Parameters
    ----------
    model : FullyVisibleBM
        Starting point; modified in place.
    data : array_like of shape (n_samples, n_units)
    tol : float
        Stop when the largest moment mismatch is below ``tol``.
    max_iter : int

    Returns
    -------
    float
        The largest absolute moment mismatch :math:`\max |\bar s - \mathbb{E}_p[s]|` reached.
    """
    _check_fully_visible(model, "fit_maximum_likelihood")
    data = check_binary(data, "data", model.n_units)
    tol = check_positive_float(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    n, T = model.n_units, model.T
    states, iu, S = _statistics_matrix(n)
    x = data
    s_data = np.hstack([(x[:, iu[0]] * x[:, iu[1]]).mean(axis=0), x.mean(axis=0)])
    if np.any(s_data <= 0) or np.any(x.mean(axis=0) >= 1):
        raise ValueError(
            "data has a statistic at its extreme (a pair never on together, or a unit "
            "always or never on); the maximum-likelihood parameters are infinite"
        )

    def unpack(theta):
        W = np.zeros((n, n))
        W[iu] = theta[: len(iu[0])]
        return W + W.T, theta[len(iu[0]):].copy()

    theta = np.hstack([model.W[iu], model.b])

    def objective(theta):
        W, b = unpack(theta)
        log_w = (S @ theta) / T
        log_z = np.logaddexp.reduce(log_w)
        return theta @ s_data / T - log_z, np.exp(log_w - log_z)

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
    model.W[...], model.b[...] = unpack(theta)
    return float(np.max(np.abs(s_data - p @ S)))
