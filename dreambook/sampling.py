r"""Markov chain samplers for the models, and tools to check them.

All samplers run many chains in parallel: a batch of states is an array of
shape ``(n_chains, n_units)`` of 0/1 floats, and a 1-d state is treated as a
single chain (results then keep the 1-d shape). Every sampler takes ``rng``, a
:class:`numpy.random.Generator` or an integer seed, and never mutates its
input.

Target distribution: :math:`p(x) \propto \exp(-E(x)/T)`, with ``T`` the
model's temperature unless a ``T=`` keyword overrides it.

* :func:`gibbs_sweep`, :func:`gibbs_chain` — single-site Gibbs sampling for
  :class:`~dreambook.models.FullyVisibleBM` and
  :class:`~dreambook.models.BoltzmannMachine`, with optional clamping:
  :math:`p(x_i = 1 \mid x_{-i}) = \sigma(u_i / T)`, :math:`u = xW + b`.
* :func:`block_gibbs` — alternating Gibbs for an :class:`~dreambook.models.RBM`.
* :func:`metropolis_chain` — single-bit-flip Metropolis for any model.
* :func:`linear_schedule`, :func:`geometric_schedule`,
  :func:`simulated_annealing` — annealing.
* :func:`sample_chains` — the block Gibbs chain of :func:`block_gibbs` on the
  fast kernel (:mod:`dreambook._kernels`), for long runs of many chains.

Exact transition matrices of these samplers are in :mod:`dreambook.markov`;
tests of their output (χ², autocorrelation) in :mod:`dreambook.diagnostics`.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_generator,
    check_binary,
    check_bool,
    check_finite_array,
    check_float_dtype,
    check_model,
    check_nonnegative_int,
    check_positive_int,
    check_temperature,
)
from ._kernels import RBMGibbsKernel, augment
from ._special import sigmoid
from .models import RBM, BoltzmannMachine, FullyVisibleBM

__all__ = [
    "gibbs_sweep",
    "gibbs_chain",
    "block_gibbs",
    "metropolis_chain",
    "linear_schedule",
    "geometric_schedule",
    "simulated_annealing",
    "sample_chains",
]

_SCANS = ("sequential", "random", "probes")


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def _check_pairwise(model, func: str):
    hint = "; use block_gibbs or metropolis_chain for an RBM" if isinstance(model, RBM) else ""
    return check_model(model, (FullyVisibleBM, BoltzmannMachine), func=func, hint=hint)


def _resolve_T(model, T) -> float:
    return model.T if T is None else check_temperature(T, "T")


def _check_scan(scan) -> str:
    if not isinstance(scan, str) or scan not in _SCANS:
        raise ValueError(f"scan must be 'sequential', 'random' or 'probes', got {scan!r}")
    return scan


def _check_clamp(clamp, n: int):
    if clamp is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(clamp)
    if arr.dtype != bool:
        raise TypeError(f"clamp must be a boolean array of shape ({n},), got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"clamp must be a boolean array of shape ({n},), got shape {arr.shape}")
    return arr


def _states(x, n: int, name: str):
    """Return (2-d float copy of the binary states, whether the input was 1-d)."""
    was_1d = np.ndim(x) == 1
    return check_binary(x, name, n_units=n).copy(), was_1d


# ---------------------------------------------------------------------------
# Single-site Gibbs sampling
# ---------------------------------------------------------------------------
def _sweep_inplace(W, b, x, T, order, rng) -> None:
    """Update the units of every chain in ``order``, in place: x_i ~ Bernoulli(σ(u_i/T))."""
    uniforms = rng.random((x.shape[0], len(order)))
    for k, i in enumerate(order):
        u_i = x @ W[:, i] + b[i]  # local field of unit i in every chain
        x[:, i] = (uniforms[:, k] < sigmoid(u_i / T)).astype(np.float64)


def _sweep_order(units: np.ndarray, scan: str, rng) -> np.ndarray:
    """The units one sweep updates, in order, from the free ``units`` (index order, e.g. ``np.flatnonzero(free)``).

    ``"sequential"``: every free unit once, in index order; ``"random"``: every
    free unit once, in a fresh random order; ``"probes"``: as many probes as
    there are free units, each of a unit drawn uniformly *with replacement*
    (the time unit of Ackley, Hinton & Sejnowski 1985: each unit gets one
    chance to change *on average*; some get none, some several).
    """
    if scan == "random":
        return rng.permutation(units)
    if scan == "probes":
        return rng.choice(units, size=units.size, replace=True)
    return units


def gibbs_sweep(model, x, rng, T=None, scan="sequential", clamp=None):
    r"""One sweep of single-site Gibbs sampling over every unclamped unit.

    Each unit *i* in turn is resampled from its conditional

    .. math::

        p(x_i = 1 \mid x_{-i}) = \sigma(u_i / T), \qquad u_i = \sum_j W_{ij} x_j + b_i,

    using the current values of the other units, which leaves
    :math:`p(x) \propto \exp(-E(x)/T)` invariant.

    Parameters
    ----------
    model : FullyVisibleBM or BoltzmannMachine
    x : array_like of 0/1, shape (n_units,) or (n_chains, n_units)
        Current states (joint states, hidden units included). Not modified.
    rng : numpy.random.Generator or int
    T : float, optional
        Temperature; defaults to ``model.T``.
    scan : {"sequential", "random", "probes"}
        Visit units in index order, or in a fresh random order each sweep, or
        (``"probes"``) make as many probes as there are free units, each at a
        unit drawn uniformly with replacement; the order is the same for all
        chains.
    clamp : array_like of bool, shape (n_units,), optional
        Units held fixed at their values in ``x`` (e.g. the visible units in
        the clamped phase of Boltzmann machine learning).

    Returns
    -------
    ndarray, same shape as ``x``
        The new states.

    Examples
    --------
    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM.zeros(3)
    >>> gibbs_sweep(m, np.zeros((2, 3)), rng=0, clamp=np.array([True, False, False]))[:, 0]
    array([0., 0.])
    """
    _check_pairwise(model, "gibbs_sweep")
    rng = as_generator(rng)
    T = _resolve_T(model, T)
    scan = _check_scan(scan)
    x, was_1d = _states(x, model.n_units, "x")
    free = ~_check_clamp(clamp, model.n_units)
    _sweep_inplace(model.W, model.b, x, T, _sweep_order(np.flatnonzero(free), scan, rng), rng)
    return x[0] if was_1d else x


def gibbs_chain(model, x0, n_sweeps, rng, T=None, scan="sequential", clamp=None, record=True):
    """Run ``n_sweeps`` Gibbs sweeps (see :func:`gibbs_sweep`) from ``x0``.

    Returns
    -------
    ndarray
        With ``record=True``, the states after each sweep, shape
        ``(n_sweeps,) + x0.shape`` (``x0`` itself is not included); otherwise
        only the final states, shape ``x0.shape``.
    """
    _check_pairwise(model, "gibbs_chain")
    rng = as_generator(rng)
    T = _resolve_T(model, T)
    scan = _check_scan(scan)
    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    x, was_1d = _states(x0, model.n_units, "x0")
    free = ~_check_clamp(clamp, model.n_units)
    record = check_bool(record, "record")
    out = _run_sweeps(model.W, model.b, x, T, free, scan, n_sweeps, rng, record)
    return out[..., 0, :] if was_1d else out


def _run_sweeps(W, b, x, T, free, scan, n_sweeps, rng, record):
    """The loop of :func:`gibbs_chain` on checked inputs (``x`` 2-d, updated in place).

    For callers that have validated the model once and run many short chains
    (the 1985 procedure of :mod:`dreambook.encoder`); the same arithmetic and
    the same random numbers as :func:`gibbs_chain`.
    """
    trace = np.empty((n_sweeps,) + x.shape) if record else None
    units = np.flatnonzero(free)
    for t in range(n_sweeps):
        _sweep_inplace(W, b, x, T, _sweep_order(units, scan, rng), rng)
        if record:
            trace[t] = x
    return trace if record else x


# ---------------------------------------------------------------------------
# Block Gibbs for the RBM
# ---------------------------------------------------------------------------
def block_gibbs(rbm, v, n_sweeps, rng, T=None, hidden="probs"):
    r"""Run ``n_sweeps`` sweeps of alternating Gibbs sampling :math:`v \to h \to v` in an RBM.

    Each sweep draws :math:`h \sim p(h \mid v)` with
    :math:`p(h_j = 1 \mid v) = \sigma((c_j + (vW)_j)/T)`, then
    :math:`v \sim p(v \mid h)` with
    :math:`p(v_i = 1 \mid h) = \sigma((b_i + (hW^\top)_i)/T)`.

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (n_visible,) or (n_chains, n_visible)
        Starting visible states (e.g. data, for CD-k). Not modified.
    n_sweeps : int
        Number of sweeps, >= 1 (the *k* of CD-k).
    rng : numpy.random.Generator or int
    T : float, optional
        Temperature; defaults to ``rbm.T``.
    hidden : {"probs", "samples"}
        What to return for the hidden layer: :math:`p(h = 1 \mid v_k)` (the
        usual choice for the negative statistics of CD-k), or a sample
        :math:`h_k \sim p(h \mid v_k)`.

    Returns
    -------
    v_k : ndarray, same shape as ``v``
    h_k : ndarray, hidden probabilities or samples given the final ``v``
    """
    check_model(rbm, RBM, "rbm")
    rng = as_generator(rng)
    T = _resolve_T(rbm, T)
    n_sweeps = check_positive_int(n_sweeps, "n_sweeps")
    if hidden not in ("probs", "samples"):
        raise ValueError(f"hidden must be 'probs' or 'samples', got {hidden!r}")
    v, was_1d = _states(v, rbm.n_visible, "v")
    for _ in range(n_sweeps):
        h = rbm.sample_hidden(v, rng, T=T)
        v = rbm.sample_visible(h, rng, T=T)
    h_k = rbm.hidden_probs(v, T=T) if hidden == "probs" else rbm.sample_hidden(v, rng, T=T)
    return (v[0], h_k[0]) if was_1d else (v, h_k)


# ---------------------------------------------------------------------------
# Metropolis
# ---------------------------------------------------------------------------
def _state_size(model) -> int:
    if isinstance(model, RBM):
        return check_model(model, RBM).n_visible
    if isinstance(model, (FullyVisibleBM, BoltzmannMachine)):
        return check_model(model, (FullyVisibleBM, BoltzmannMachine)).n_units
    n = getattr(model, "n_units", None)
    if not hasattr(model, "unnormalized_log_prob") or not isinstance(n, (int, np.integer)):
        raise TypeError(
            "model must provide unnormalized_log_prob(x, T=None) and n_units, "
            f"got {type(model).__name__}"
        )
    return int(n)


def metropolis_chain(model, x0, n_steps, rng, T=None, record=True):
    r"""Single-bit-flip Metropolis sampling of :math:`\tilde p(x) \propto p(x)`.

    Here :math:`\log \tilde p(x)` is ``model.unnormalized_log_prob(x, T=T)``.

    At each step every chain picks one unit uniformly at random, proposes to
    flip it (:math:`x \to x'`), and accepts with probability
    :math:`\min\big(1, \tilde p(x') / \tilde p(x)\big)`. For pairwise models
    :math:`\log \tilde p = -E/T` over all units; for an RBM it is
    :math:`-F(v)/T` over the visible units (hidden units summed out).

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine, RBM, or any object with
        ``unnormalized_log_prob(x, T=None)`` and ``n_units``
    x0 : array_like of 0/1, shape (n,) or (n_chains, n)
    n_steps : int
        Number of proposals per chain, >= 1.
    rng : numpy.random.Generator or int
    T : float, optional
        Temperature; defaults to ``model.T``.
    record : bool
        Return the states after every step, shape ``(n_steps,) + x0.shape``,
        or only the final states.
    """
    n = _state_size(model)
    rng = as_generator(rng)
    T = _resolve_T(model, T)
    n_steps = check_positive_int(n_steps, "n_steps")
    x, was_1d = _states(x0, n, "x0")
    m = x.shape[0]
    chains = np.arange(m)
    log_p = model.unnormalized_log_prob(x, T=T)
    record = check_bool(record, "record")
    trace = np.empty((n_steps,) + x.shape) if record else None
    for t in range(n_steps):
        sites = rng.integers(0, n, size=m)
        proposal = x.copy()
        proposal[chains, sites] = 1.0 - proposal[chains, sites]
        log_p_new = model.unnormalized_log_prob(proposal, T=T)
        accept = rng.random(m) < np.exp(np.minimum(log_p_new - log_p, 0.0))
        x[accept] = proposal[accept]
        log_p = np.where(accept, log_p_new, log_p)
        if record:
            trace[t] = x
    out = trace if record else x
    return out[..., 0, :] if was_1d else out


# ---------------------------------------------------------------------------
# Annealing
# ---------------------------------------------------------------------------
def linear_schedule(T_start, T_end, n) -> np.ndarray:
    """``n`` temperatures evenly spaced from ``T_start`` to ``T_end`` (both included).

    >>> linear_schedule(2.0, 1.0, 3)
    array([2. , 1.5, 1. ])
    """
    T_start = check_temperature(T_start, "T_start")
    T_end = check_temperature(T_end, "T_end")
    n = check_positive_int(n, "n")
    return np.linspace(T_start, T_end, n)


def geometric_schedule(T_start, T_end, n) -> np.ndarray:
    """``n`` temperatures from ``T_start`` to ``T_end`` with a constant ratio between steps.

    >>> geometric_schedule(8.0, 1.0, 4)
    array([8., 4., 2., 1.])
    """
    T_start = check_temperature(T_start, "T_start")
    T_end = check_temperature(T_end, "T_end")
    n = check_positive_int(n, "n")
    return np.geomspace(T_start, T_end, n)


def _check_schedule(schedule) -> np.ndarray:
    arr = check_finite_array(schedule, "schedule", ndim=1)
    if arr.size == 0:
        raise ValueError("schedule must contain at least one temperature")
    if np.any(arr <= 0):
        raise ValueError("schedule must contain only temperatures > 0")
    return arr


def simulated_annealing(
    model, x0, schedule, rng, sweeps_per_T=1, scan="sequential", return_energies=False
):
    r"""Simulated annealing by Gibbs sampling at a decreasing sequence of temperatures.

    For each temperature :math:`T_t` in ``schedule``, run ``sweeps_per_T``
    sweeps of :func:`gibbs_sweep` at :math:`T_t`. As :math:`T \to 0` the
    Boltzmann distribution concentrates on the states of lowest energy.

    Parameters
    ----------
    model : FullyVisibleBM or BoltzmannMachine
    x0 : array_like of 0/1, shape (n_units,) or (n_chains, n_units)
    schedule : array_like of float
        Temperatures, e.g. from :func:`geometric_schedule`.
    rng : numpy.random.Generator or int
    sweeps_per_T : int, default 1
    scan : {"sequential", "random", "probes"}
    return_energies : bool
        Also return the energies :math:`E(x)` after each temperature, shape
        ``(len(schedule), n_chains)`` (or ``(len(schedule),)`` for 1-d ``x0``).

    Returns
    -------
    x : ndarray, same shape as ``x0``
    energies : ndarray, only if ``return_energies``
    """
    _check_pairwise(model, "simulated_annealing")
    rng = as_generator(rng)
    schedule = _check_schedule(schedule)
    sweeps_per_T = check_positive_int(sweeps_per_T, "sweeps_per_T")
    scan = _check_scan(scan)
    return_energies = check_bool(return_energies, "return_energies")
    x, was_1d = _states(x0, model.n_units, "x0")
    units = np.arange(model.n_units)
    energies = np.empty((len(schedule), x.shape[0]))
    for t, T in enumerate(schedule):
        for _ in range(sweeps_per_T):
            order = _sweep_order(units, scan, rng)
            _sweep_inplace(model.W, model.b, x, T, order, rng)
        energies[t] = model.energy(x)
    if was_1d:
        x, energies = x[0], energies[:, 0]
    return (x, energies) if return_energies else x


# ---------------------------------------------------------------------------
# The same block Gibbs chain on the fast kernel
# ---------------------------------------------------------------------------
def sample_chains(rbm, v0, n_sweeps, rng, dtype=np.float64) -> np.ndarray:
    r"""Run block Gibbs sampling :math:`v \to h \to v` on many chains with the fast kernel.

    The same Markov chain as ``dreambook.sampling.block_gibbs``, with
    preallocated buffers and an optional float32 mode (about twice as fast;
    probabilities are then resolved to about :math:`10^{-7}`).

    Parameters
    ----------
    rbm : RBM
    v0 : array_like of 0/1, shape (n_chains, n_visible)
        Initial visible states.
    n_sweeps : int
        Number of full sweeps (>= 0).
    rng : numpy.random.Generator or int
    dtype : float64 or float32

    Returns
    -------
    ndarray, shape (n_chains, n_visible), float64
        The visible states after ``n_sweeps`` sweeps.

    Examples
    --------
    >>> rbm = RBM.zeros(5, 2)
    >>> sample_chains(rbm, np.zeros((3, 5)), 10, rng=0).shape
    (3, 5)
    """
    check_model(rbm, RBM, "rbm")
    v0 = check_binary(v0, "v0", n_units=rbm.n_visible, allow_1d=False)
    n_sweeps = check_nonnegative_int(n_sweeps, "n_sweeps")
    rng = as_generator(rng)
    dt = check_float_dtype(dtype)
    kernel = RBMGibbsKernel(augment(rbm.W, rbm.b, rbm.c, rbm.T, dt), v0, rng)
    return kernel.sweep(n_sweeps).astype(np.float64)
