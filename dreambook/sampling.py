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
* :func:`state_index`, :func:`empirical_distribution`,
  :func:`chi_square_test`, :func:`autocorrelation_time` — checking samplers
  against exact distributions from :mod:`dreambook.exact`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._validation import (
    as_generator,
    check_binary,
    check_bool,
    check_finite_array,
    check_model,
    check_positive_float,
    check_positive_int,
    check_temperature,
)
from .models import RBM, BoltzmannMachine, FullyVisibleBM
from ._special import sigmoid

__all__ = [
    "gibbs_sweep",
    "gibbs_chain",
    "block_gibbs",
    "metropolis_chain",
    "linear_schedule",
    "geometric_schedule",
    "simulated_annealing",
    "state_index",
    "empirical_distribution",
    "chi_square_test",
    "autocorrelation_time",
]

_SCANS = ("sequential", "random")


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
        raise ValueError(f"scan must be 'sequential' or 'random', got {scan!r}")
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


def _sweep_order(n: int, free: np.ndarray, scan: str, rng) -> np.ndarray:
    units = np.flatnonzero(free)
    return rng.permutation(units) if scan == "random" else units


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
    scan : {"sequential", "random"}
        Visit units in index order, or in a fresh random order each sweep
        (the same order for all chains).
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
    _sweep_inplace(model.W, model.b, x, T, _sweep_order(model.n_units, free, scan, rng), rng)
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
    trace = np.empty((n_sweeps,) + x.shape) if record else None
    for t in range(n_sweeps):
        _sweep_inplace(model.W, model.b, x, T, _sweep_order(model.n_units, free, scan, rng), rng)
        if record:
            trace[t] = x
    out = trace if record else x
    return out[..., 0, :] if was_1d else out


# ---------------------------------------------------------------------------
# Block Gibbs for the RBM
# ---------------------------------------------------------------------------
def block_gibbs(rbm, v, k, rng, T=None, hidden="probs"):
    r"""Run *k* steps of alternating Gibbs sampling :math:`v \to h \to v` in an RBM.

    Each step draws :math:`h \sim p(h \mid v)` with
    :math:`p(h_j = 1 \mid v) = \sigma((c_j + (vW)_j)/T)`, then
    :math:`v \sim p(v \mid h)` with
    :math:`p(v_i = 1 \mid h) = \sigma((b_i + (hW^\top)_i)/T)`.

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (n_visible,) or (n_chains, n_visible)
        Starting visible states (e.g. data, for CD-k). Not modified.
    k : int
        Number of steps, >= 1.
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
    h_k : ndarray, hidden probabilities or samples given ``v_k``
    """
    check_model(rbm, RBM, "rbm")
    rng = as_generator(rng)
    T = _resolve_T(rbm, T)
    k = check_positive_int(k, "k")
    if hidden not in ("probs", "samples"):
        raise ValueError(f"hidden must be 'probs' or 'samples', got {hidden!r}")
    v, was_1d = _states(v, rbm.n_visible, "v")
    for _ in range(k):
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
    scan : {"sequential", "random"}
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
    free = np.ones(model.n_units, dtype=bool)
    energies = np.empty((len(schedule), x.shape[0]))
    for t, T in enumerate(schedule):
        for _ in range(sweeps_per_T):
            order = _sweep_order(model.n_units, free, scan, rng)
            _sweep_inplace(model.W, model.b, x, T, order, rng)
        energies[t] = model.energy(x)
    if was_1d:
        x, energies = x[0], energies[:, 0]
    return (x, energies) if return_energies else x


# ---------------------------------------------------------------------------
# Checking samplers
# ---------------------------------------------------------------------------
def state_index(x) -> np.ndarray:
    """Index of each binary state in :func:`dreambook.exact.all_states` order.

    The first unit is the most significant bit: ``index = sum_i x_i 2**(n-1-i)``.

    >>> state_index([[0, 0, 1], [1, 0, 0], [1, 1, 1]])
    array([1, 4, 7])
    """
    x2 = check_binary(x, "x")
    n = x2.shape[1]
    if n > 62:
        raise ValueError(f"x must have at most 62 units to be indexed, got {n}")
    weights = 2 ** np.arange(n - 1, -1, -1, dtype=np.int64)
    idx = x2.astype(np.int64) @ weights
    return int(idx[0]) if np.ndim(x) == 1 else idx


def _flatten_samples(samples) -> np.ndarray:
    arr = np.asarray(samples)
    if arr.ndim >= 3:  # e.g. a recorded chain (n_steps, n_chains, n_units)
        arr = arr.reshape(-1, arr.shape[-1])
    return check_binary(arr, "samples", allow_1d=False)


def empirical_distribution(samples, counts=False, max_units=24) -> np.ndarray:
    """Frequencies (or counts) of the states in ``samples``, in ``all_states`` order.

    Parameters
    ----------
    samples : array_like of 0/1, shape (m, n) or (..., m, n)
        Leading dimensions (e.g. sweeps and chains) are pooled.
    counts : bool
        Return integer counts instead of frequencies.
    max_units : int, default 24
        Refuse more units (the result has 2**n entries).

    >>> empirical_distribution([[0, 1], [0, 1], [1, 1], [0, 0]])
    array([0.25, 0.5 , 0.  , 0.25])
    """
    x = _flatten_samples(samples)
    n = x.shape[1]
    counts = check_bool(counts, "counts")
    max_units = check_positive_int(max_units, "max_units")
    if n > max_units:
        raise ValueError(
            f"samples have {n} units, i.e. 2**{n} states, above max_units={max_units}"
        )
    c = np.bincount(state_index(x), minlength=2**n)
    return c if counts else c / x.shape[0]


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
        Exact probabilities in :func:`dreambook.exact.all_states` order.
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
    x = _flatten_samples(samples)
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


# ---------------------------------------------------------------------------
# The samplers under an exact microscope (small models only)
# Added for Chapter 2 ("Sampling: how a model dreams").
# ---------------------------------------------------------------------------
__all__ += [
    "two_mode_ferromagnet",
    "gibbs_transition_matrix",
    "metropolis_transition_matrix",
    "exact_autocorrelation_time",
]


def two_mode_ferromagnet(n_units, coupling, T=1.0):
    r"""A fully connected ferromagnet whose two modes, all-off and all-on, are equally probable.

    Every pair of units is joined by the same weight :math:`J` = ``coupling``
    and every bias is :math:`-J(n-1)/2`, so a state with :math:`k` units on has

    .. math::

        E(k) = -J\binom{k}{2} + \frac{J(n-1)}{2}\,k = \frac{J}{2}\,k\,(n-k).

    All-off and all-on have energy 0; the states half-way between have the
    highest energy, :math:`J n^2/8` for even *n*. The energy, hence the
    distribution, is symmetric under :math:`x \to 1 - x`, and only
    :math:`J/T` matters. For large :math:`J/T` the distribution has two
    separated modes and single-site samplers cross between them rarely: the
    standard hard case for testing them.

    Parameters
    ----------
    n_units : int
        Number of units, >= 2.
    coupling : float
        The weight :math:`J` between every pair of units, >= 0.
    T : float, default 1.0
        Temperature of the returned model.

    Returns
    -------
    FullyVisibleBM

    Examples
    --------
    >>> m = two_mode_ferromagnet(4, 1.0)
    >>> m.energy([[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    array([0. , 1.5, 2. , 0. ])
    """
    n = check_positive_int(n_units, "n_units")
    if n < 2:
        raise ValueError(f"n_units must be at least 2 (a ferromagnet needs pairs), got {n}")
    real = (int, float, np.integer, np.floating)
    if isinstance(coupling, (bool, np.bool_)) or not isinstance(coupling, real):
        raise TypeError(f"coupling must be a real number >= 0, got {type(coupling).__name__}")
    J = float(coupling)
    if not np.isfinite(J) or J < 0:
        raise ValueError(f"coupling must be a finite number >= 0, got {J}")
    T = check_temperature(T, "T")
    W = J * (np.ones((n, n)) - np.eye(n))
    b = np.full(n, -J * (n - 1) / 2.0)
    return FullyVisibleBM(W, b, T=T)


def _enumerable_states(n: int, max_units, func: str) -> np.ndarray:
    max_units = check_positive_int(max_units, "max_units")
    if n > max_units:
        raise ValueError(
            f"{func} builds a 2**n by 2**n matrix; the model has n = {n} units, "
            f"more than max_units={max_units}"
        )
    return ((np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def gibbs_transition_matrix(model, T=None, site=None, max_units=12):
    r"""Exact transition matrix of single-site Gibbs sampling on a small model.

    Entry ``P[s, s2]`` is the probability that the chain moves from state
    ``s`` to state ``s2`` (both indexed in :func:`dreambook.exact.all_states`
    order; hidden units of a :class:`~dreambook.models.BoltzmannMachine` are
    part of the state). The kernel :math:`K_i` that resamples unit *i* from

    .. math::

        p(x_i = 1 \mid x_{-i}) = \sigma(u_i / T), \qquad u_i = \sum_j W_{ij} x_j + b_i,

    moves only between states that agree off unit *i*:
    :math:`K_i[s, s'] = p(x_i = s'_i \mid s_{-i})` when :math:`s'_{-i} = s_{-i}`,
    and 0 otherwise. One sequential sweep (what :func:`gibbs_sweep` does with
    ``scan="sequential"``) is the product :math:`P = K_1 K_2 \cdots K_n`.

    Each :math:`K_i` satisfies detailed balance with :math:`p \propto \exp(-E/T)`;
    their product leaves :math:`p` invariant but is in general *not* reversible.

    Parameters
    ----------
    model : FullyVisibleBM or BoltzmannMachine
    T : float, optional
        Temperature; defaults to ``model.T``.
    site : int, optional
        Return the single-site kernel :math:`K_i` of this unit (0-based)
        instead of the kernel of a whole sequential sweep.
    max_units : int, default 12
        Refuse larger models (the matrix has :math:`4^n` entries).

    Returns
    -------
    ndarray, shape (2**n, 2**n)
        A stochastic matrix: non-negative rows that sum to 1.

    Examples
    --------
    One unit with zero bias is resampled from a fair coin, wherever it starts:

    >>> from dreambook.models import FullyVisibleBM
    >>> gibbs_transition_matrix(FullyVisibleBM.zeros(1))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    _check_pairwise(model, "gibbs_transition_matrix")
    T = _resolve_T(model, T)
    n = model.n_units
    states = _enumerable_states(n, max_units, "gibbs_transition_matrix")
    if site is None:
        sites = range(n)
    else:
        if isinstance(site, (bool, np.bool_)) or not isinstance(site, (int, np.integer)):
            raise TypeError(f"site must be an integer unit index, got {type(site).__name__}")
        if not 0 <= site < n:
            raise ValueError(f"site must be a unit index in [0, {n - 1}], got {site}")
        sites = [int(site)]
    fields = model.local_field(states)  # u_i(s) depends only on s_{-i}: W has a zero diagonal
    index = np.arange(2**n)
    P = np.eye(2**n)
    for i in sites:
        flip = index ^ (1 << (n - 1 - i))
        # probability of landing in s2 from any state that agrees with s2 off unit i
        q = np.where(states[:, i] == 1, sigmoid(fields[:, i] / T), sigmoid(-fields[:, i] / T))
        P = (P + P[:, flip]) * q[None, :]
    return P


def metropolis_transition_matrix(model, T=None, max_units=12):
    r"""Exact transition matrix of one single-bit-flip Metropolis step (:func:`metropolis_chain`).

    From state :math:`s`, a unit *i* is chosen with probability :math:`1/n`,
    the flipped state :math:`s'` is proposed, and accepted with probability
    :math:`\min\big(1, \tilde p(s')/\tilde p(s)\big)`; otherwise the chain
    stays at :math:`s`. Here :math:`\log\tilde p` is
    ``model.unnormalized_log_prob`` (:math:`-E/T`, or :math:`-F/T` over the
    visible units of an RBM). The matrix satisfies detailed balance with
    :math:`p \propto \tilde p`.

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    T : float, optional
        Temperature; defaults to ``model.T``.
    max_units : int, default 12

    Returns
    -------
    ndarray, shape (2**n, 2**n)

    Examples
    --------
    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM([[0.0]], [np.log(3.0)])   # p(x = 1) = 3/4
    >>> metropolis_transition_matrix(m).round(4)
    array([[0.    , 1.    ],
           [0.3333, 0.6667]])
    """
    n = _state_size(model)
    T = _resolve_T(model, T)
    states = _enumerable_states(n, max_units, "metropolis_transition_matrix")
    log_p = model.unnormalized_log_prob(states, T=T)
    index = np.arange(2**n)
    P = np.zeros((2**n, 2**n))
    for i in range(n):
        flip = index ^ (1 << (n - 1 - i))
        P[index, flip] = np.exp(np.minimum(log_p[flip] - log_p, 0.0)) / n
    P[index, index] = 1.0 - P.sum(axis=1)
    return P


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
