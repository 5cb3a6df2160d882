r"""Parallel tempering (replica exchange) for pairwise binary models.

Parallel tempering runs :math:`R` copies ("replicas") of a Gibbs chain side by
side, replica :math:`r` at temperature :math:`T_r` with
:math:`T_0 = T < T_1 < \dots < T_{R-1}`, so that replica :math:`r` samples
:math:`p_r(x) \propto e^{-E(x)/T_r}`. After every sweep, neighbouring replicas
:math:`r, r+1` propose to swap their states; the swap is accepted with
probability

.. math::

    A = \min\Big(1, \exp\big[(1/T_r - 1/T_{r+1})\,(E(x_r) - E(x_{r+1}))\big]\Big).

This is a Metropolis step on the joint distribution
:math:`\prod_r p_r(x_r)` of all replicas, whose proposal (exchange two states)
is symmetric, so it satisfies detailed balance with respect to that product:
every replica keeps its own distribution, and the coldest one samples the
model. Hot replicas cross energy barriers easily, and swaps carry what they
found down to the cold one (Swendsen & Wang 1986; Geyer 1991; Hukushima &
Nemoto 1996).

The Gibbs sweeps are :func:`dreambook.sampling.gibbs_chain`; this module adds
only the exchange step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_generator, check_positive_int, check_temperature
from .sampling import gibbs_chain

__all__ = ["TemperingResult", "geometric_ladder", "swap_probability", "parallel_tempering"]


@dataclass(frozen=True)
class TemperingResult:
    """What :func:`parallel_tempering` returns.

    Attributes
    ----------
    states : ndarray, shape (n_replicas, n_chains, n_units)
        The final state of every replica of every chain; ``states[0]`` are the
        samples of the model (the coldest replica).
    temperatures : ndarray, shape (n_replicas,)
    acceptance : ndarray, shape (n_replicas - 1,)
        Fraction of accepted swaps between replicas ``r`` and ``r + 1``.
    """

    states: np.ndarray
    temperatures: np.ndarray
    acceptance: np.ndarray


def geometric_ladder(T_min, T_max, n_replicas) -> np.ndarray:
    r"""``n_replicas`` temperatures from ``T_min`` to ``T_max``, evenly spaced in :math:`\log T`.

    >>> geometric_ladder(1.0, 4.0, 3)
    array([1., 2., 4.])
    """
    T_min = check_temperature(T_min, "T_min")
    T_max = check_temperature(T_max, "T_max")
    n_replicas = check_positive_int(n_replicas, "n_replicas")
    if n_replicas < 2:
        raise ValueError(f"n_replicas must be at least 2, got {n_replicas}")
    if T_max <= T_min:
        raise ValueError(f"T_max must be larger than T_min={T_min}, got {T_max}")
    return np.geomspace(T_min, T_max, n_replicas)


def swap_probability(energy_cold, energy_hot, T_cold, T_hot) -> np.ndarray:
    r"""Acceptance probability of exchanging a cold and a hot replica's states.

    :math:`\min\big(1, \exp[(1/T_{\rm cold} - 1/T_{\rm hot})(E_{\rm cold} - E_{\rm hot})]\big)`:
    certain when the hot replica has found a state of lower energy.

    >>> float(swap_probability(1.0, 0.0, 1.0, 2.0))
    1.0
    >>> round(float(swap_probability(0.0, 1.0, 1.0, 2.0)), 4)   # exp(-1/2)
    0.6065
    """
    log_a = (1.0 / T_cold - 1.0 / T_hot) * (np.asarray(energy_cold, float) - np.asarray(energy_hot, float))
    return np.exp(np.minimum(log_a, 0.0))


def parallel_tempering(model, x0, temperatures, n_sweeps, rng) -> TemperingResult:
    """Run parallel tempering: a Gibbs sweep of every replica, then one round of swaps.

    Swaps alternate between the even pairs (0-1, 2-3, ...) and the odd pairs
    (1-2, 3-4, ...) on successive sweeps, each chain deciding independently.

    Parameters
    ----------
    model : FullyVisibleBM or BoltzmannMachine
        A pairwise model that :func:`dreambook.sampling.gibbs_chain` accepts.
        Its own ``T`` is ignored; ``temperatures`` set every replica's.
    x0 : array_like of 0/1, shape (n_chains, n_units)
        The starting state of every chain, copied to every replica.
    temperatures : array_like, shape (n_replicas,)
        Strictly increasing, all positive; ``temperatures[0]`` is the one sampled.
    n_sweeps : int
    rng : numpy.random.Generator or int

    Returns
    -------
    TemperingResult
    """
    rng = as_generator(rng)
    temperatures = np.asarray(temperatures, dtype=float)
    if temperatures.ndim != 1 or temperatures.size < 2:
        raise ValueError("temperatures must be a 1-d array of at least 2 temperatures")
    for T in temperatures:
        check_temperature(T, "temperatures")
    if np.any(np.diff(temperatures) <= 0):
        raise ValueError("temperatures must be strictly increasing (the coldest first)")
    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    x0 = np.asarray(x0, dtype=float)
    if x0.ndim != 2:
        raise ValueError(f"x0 must have shape (n_chains, n_units), got shape {x0.shape}")
    R = temperatures.size
    states = np.repeat(x0[None], R, axis=0)
    accepted = np.zeros(R - 1)
    proposed = np.zeros(R - 1)
    for sweep in range(n_sweeps):
        for r in range(R):
            states[r] = gibbs_chain(model, states[r], 1, rng, T=temperatures[r], record=False)
        energy = np.stack([model.energy(states[r]) for r in range(R)])      # (R, n_chains)
        for r in range(sweep % 2, R - 1, 2):
            accept = rng.random(energy.shape[1]) < swap_probability(
                energy[r], energy[r + 1], temperatures[r], temperatures[r + 1])
            states[r, accept], states[r + 1, accept] = states[r + 1, accept], states[r, accept]
            accepted[r] += accept.sum()
            proposed[r] += accept.size
    with np.errstate(invalid="ignore"):
        acceptance = np.where(proposed > 0, accepted / np.maximum(proposed, 1), np.nan)
    return TemperingResult(states=states, temperatures=temperatures, acceptance=acceptance)
