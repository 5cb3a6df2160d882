r"""Zero-temperature dynamics of Hopfield networks: relaxation, retrieval and unlearning.

States are spins :math:`s \in \{-1,+1\}^N`; the model is
:class:`dreambook.models.HopfieldNetwork` with energy :math:`E(s) = -\tfrac12 s^\top W s`.

Definitions used throughout (and in Chapter 6)
----------------------------------------------
**Asynchronous zero-temperature dynamics.** Pick a unit *i* uniformly at random
and set :math:`s_i \leftarrow \operatorname{sign}(h_i)`, :math:`h_i = \sum_j W_{ij} s_j`;
on a tie (:math:`h_i = 0`) the unit keeps its value. Most picks change nothing;
:func:`relax` skips them and flips, at each step, a unit chosen uniformly among
the *unstable* ones (:math:`s_i h_i < 0`). That is the same random sequence of
states as the plain rule, without the idle picks. Every flip lowers the energy
by :math:`2|h_i|`, so the dynamics stops, at a **fixed point**.

**Retrieval.** A noisy cue (a stored pattern with some bits flipped) is relaxed
to a fixed point; it is retrieved when that fixed point *equals the stored
pattern exactly*, every bit.

**A dream** (Hopfield, Feinstein & Palmer 1983). Relax from a uniformly random
state to a fixed point :math:`s^*`, then *unlearn* it:
:math:`W \leftarrow W - \varepsilon\, s^* s^{*\top} / N`, diagonal kept at zero.

Every function that draws random numbers takes ``rng`` and is vectorized over
many states.
"""

from __future__ import annotations


import numpy as np

from ._validation import (
    as_generator,
    check_bool,
    check_model,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real,
)
from .models.hopfield import HopfieldNetwork, as_spins

__all__ = [
    "random_patterns",
    "corrupt",
    "relax",
    "stable_fraction",
    "hebbian_stable_fractions",
    "retrieval_rate",
    "dream_and_unlearn",
    "match_patterns",
]


def _check_network(net, name: str = "net") -> HopfieldNetwork:
    return check_model(net, HopfieldNetwork, name)


def random_patterns(n_patterns: int, n_units: int, rng) -> np.ndarray:
    """Draw ``n_patterns`` independent uniformly random spin patterns of length ``n_units``.

    Returns a float array of shape (n_patterns, n_units) with values -1/+1.

    >>> random_patterns(2, 5, rng=0).shape
    (2, 5)
    """
    n_patterns = check_positive_int(n_patterns, "n_patterns")
    n_units = check_positive_int(n_units, "n_units")
    rng = as_generator(rng)
    return np.where(rng.random((n_patterns, n_units)) < 0.5, -1.0, 1.0)


def corrupt(patterns, n_flips: int, rng) -> np.ndarray:
    """Copy of ``patterns`` with exactly ``n_flips`` distinct bits flipped in each row.

    The flipped positions are drawn uniformly and independently for each row.

    >>> cue = corrupt([[1, 1, 1, 1]], 1, rng=0)
    >>> int((cue != 1).sum())
    1
    """
    xi, was_1d = as_spins(patterns, name="patterns")
    n_flips = check_nonnegative_int(n_flips, "n_flips")
    m, n = xi.shape
    if n_flips > n:
        raise ValueError(f"n_flips must be at most the number of units ({n}), got {n_flips}")
    rng = as_generator(rng)
    # The n_flips smallest of n uniform keys are a uniform random subset.
    keys = rng.random((m, n))
    flip = np.zeros((m, n), dtype=bool)
    if n_flips:
        idx = np.argpartition(keys, n_flips - 1, axis=1)[:, :n_flips]
        np.put_along_axis(flip, idx, True, axis=1)
    out = np.where(flip, -xi, xi)
    return out[0] if was_1d else out


def relax(net, states, rng, max_flips: int | None = None, return_flips: bool = False):
    r"""Run asynchronous zero-temperature dynamics from each state to a fixed point.

    At each step every state that is not yet a fixed point flips one unit chosen
    uniformly among its unstable units (:math:`s_i h_i < 0`); see the module
    docstring for why this is the usual random asynchronous dynamics. Fields are
    updated incrementally and recomputed exactly before a state is declared
    fixed.

    Parameters
    ----------
    net : HopfieldNetwork
    states : array_like of shape (N,) or (m, N)
        Starting states, spins -1/+1.
    rng : numpy.random.Generator or int
    max_flips : int, optional
        Safety limit on the flips of any one state (default ``50 * N``; the
        energy strictly decreases, so the limit is never reached in practice).
    return_flips : bool
        Also return the number of flips each state made.

    Returns
    -------
    ndarray of the shape of ``states``
        The fixed points reached (and the flip counts if ``return_flips``).

    Examples
    --------
    >>> from dreambook.models import HopfieldNetwork
    >>> net = HopfieldNetwork.hebbian([[1, 1, 1, -1, -1, -1]])
    >>> relax(net, [1, -1, 1, -1, -1, -1], rng=0)
    array([ 1.,  1.,  1., -1., -1., -1.])
    """
    net = _check_network(net)
    return_flips = check_bool(return_flips, "return_flips")
    s, was_1d = as_spins(states, net.n_units, "states")
    s = s.copy()
    rng = as_generator(rng)
    n = net.n_units
    max_flips = 50 * n if max_flips is None else check_positive_int(max_flips, "max_flips")
    W = net.W
    W2 = 2.0 * W
    tol = net.tie_tolerance()
    flips = np.zeros(len(s), dtype=np.int64)
    rows = np.arange(len(s))  # original index of each working row
    S = s  # working copies of the rows still moving (compacted as rows finish)
    H = S @ W
    step = 0
    while rows.size:
        unstable = S * H < -tol
        moving = unstable.any(axis=1)
        if not moving.all():
            # Confirm the apparent fixed points with freshly computed fields.
            idle = np.flatnonzero(~moving)
            H[idle] = S[idle] @ W
            moving[idle] = np.any(S[idle] * H[idle] < -tol, axis=1)
            unstable[idle] = S[idle] * H[idle] < -tol
            done = ~moving
            s[rows[done]] = S[done]
            flips[rows[done]] = step
            rows, S, H, unstable = rows[moving], S[moving], H[moving], unstable[moving]
            if not rows.size:
                break
        if step >= max_flips:
            raise RuntimeError(f"relax did not reach a fixed point within max_flips={max_flips} flips")
        # Flip the r-th unstable unit of each row, r uniform over that row's unstable units.
        counts = unstable.sum(axis=1)
        r = (rng.random(rows.size) * counts).astype(np.int64)
        j = np.argmax(np.cumsum(unstable, axis=1) > r[:, None], axis=1)
        k = np.arange(rows.size)
        S[k, j] *= -1.0
        H += S[k, j][:, None] * W2[j]
        step += 1
    out = s[0] if was_1d else s
    if return_flips:
        return out, (int(flips[0]) if was_1d else flips)
    return out


def _relax_one(W, s, rng, tol, max_flips):
    """Fast path of :func:`relax` for one state (the inner loop of :func:`dream_and_unlearn`).

    Same dynamics, fewer numpy calls per flip: uniforms are drawn in blocks,
    and the fields are updated in place.
    """
    n = len(s)
    s = s.copy()
    W2 = 2.0 * W
    h = W @ s
    a = np.empty(n)
    flips = 0
    while True:
        u = rng.random(n)
        for k in range(n):
            np.multiply(s, h, out=a)
            unstable = np.flatnonzero(a < -tol)
            if unstable.size == 0:
                h = W @ s  # confirm with fresh fields
                np.multiply(s, h, out=a)
                unstable = np.flatnonzero(a < -tol)
                if unstable.size == 0:
                    return s
            if flips >= max_flips:
                raise RuntimeError(
                    f"relax did not reach a fixed point within max_flips={max_flips} flips")
            j = unstable[int(u[k] * unstable.size)]
            if s[j] > 0:
                s[j] = -1.0
                h -= W2[j]
            else:
                s[j] = 1.0
                h += W2[j]
            flips += 1


def stable_fraction(net, patterns) -> float:
    """Fraction of ``patterns`` that are exact fixed points of ``net`` (every bit stable).

    >>> from dreambook.models import HopfieldNetwork
    >>> xi = random_patterns(5, 100, rng=0)
    >>> stable_fraction(HopfieldNetwork.hebbian(xi), xi)
    1.0
    """
    net = _check_network(net)
    return float(np.mean(net.is_fixed_point(np.atleast_2d(np.asarray(patterns)))))


def hebbian_stable_fractions(n_patterns: int, n_units: int, n_networks: int, rng,
                             zero_diagonal: bool = True, ties_stable: bool = True) -> np.ndarray:
    r"""Fraction of stored patterns that are exact fixed points, for many Hebbian networks.

    Each of ``n_networks`` networks stores its own ``n_patterns`` random
    patterns with the Hebb rule (:meth:`HopfieldNetwork.hebbian`). Pattern
    :math:`\mu` is stable when every aligned field :math:`\xi^\mu_i h_i` is
    positive. The fields are computed in exact integer arithmetic,

    .. math::

        N \xi^\mu_i h_i = \sum_\nu C_{\mu\nu}\, \xi^\mu_i \xi^\nu_i - P
        \quad\text{with } C = \Xi\, \Xi^\top,

    (the :math:`-P` removes the diagonal; ``zero_diagonal=False`` keeps it), so
    exact ties :math:`h_i = 0` are detected and counted as stable or not
    according to ``ties_stable``.

    Returns
    -------
    ndarray of shape (n_networks,)
        The stable fraction of each network.
    """
    n_patterns = check_positive_int(n_patterns, "n_patterns")
    n_units = check_positive_int(n_units, "n_units")
    n_networks = check_positive_int(n_networks, "n_networks")
    zero_diagonal = check_bool(zero_diagonal, "zero_diagonal")
    ties_stable = check_bool(ties_stable, "ties_stable")
    rng = as_generator(rng)
    out = np.empty(n_networks)
    batch = max(1, 200_000 // (n_patterns * n_units))
    for start in range(0, n_networks, batch):
        k = min(batch, n_networks - start)
        xi = np.where(rng.random((k, n_patterns, n_units)) < 0.5, -1.0, 1.0)
        C = xi @ xi.transpose(0, 2, 1)  # integers, exact in float64
        aligned = xi * (C @ xi)  # N * xi_i * h_i with the diagonal kept
        if zero_diagonal:
            aligned -= n_patterns
        ok = aligned > 0 if not ties_stable else aligned >= 0
        out[start:start + k] = np.all(ok, axis=2).mean(axis=1)
    return out


def retrieval_rate(net, patterns, rng, n_flips: int, cues_per_pattern: int = 1,
                   min_overlap: float = 1.0) -> float:
    r"""Fraction of noisy cues that relax exactly to the pattern they were made from.

    Each pattern gets ``cues_per_pattern`` cues with ``n_flips`` bits flipped
    (:func:`corrupt`); each cue is relaxed with :func:`relax`; by default a cue
    counts only if its fixed point equals its pattern in every bit (the
    reversed pattern does not count). A looser criterion counts a cue when the
    overlap :math:`m = \xi \cdot s^* / N` of fixed point and pattern is at
    least ``min_overlap``.

    Parameters
    ----------
    net : HopfieldNetwork
    patterns : array_like of shape (P, N)
    rng : numpy.random.Generator or int
    n_flips : int
        Bits flipped in each cue (e.g. ``N // 10`` for 10 % noise).
    cues_per_pattern : int
    min_overlap : float
        In (-1, 1]; 1 (the default) means exact retrieval.
    """
    net = _check_network(net)
    min_overlap = check_real(min_overlap, "min_overlap", -1, 1, low_open=True)
    xi, _ = as_spins(patterns, net.n_units, "patterns")
    cues_per_pattern = check_positive_int(cues_per_pattern, "cues_per_pattern")
    rng = as_generator(rng)
    targets = np.repeat(xi, cues_per_pattern, axis=0)
    cues = corrupt(targets, n_flips, rng)
    final = relax(net, cues, rng)
    overlap = np.einsum("mi,mi->m", final, targets) / net.n_units
    return float(np.mean(overlap >= float(min_overlap) - 1e-12))


def dream_and_unlearn(net, rng, epsilon: float = 0.01, n_dreams: int = 1) -> np.ndarray:
    r"""Dream ``n_dreams`` times, unlearning each dream **in place** in ``net.W``.

    One dream relaxes a uniformly random state to a fixed point :math:`s^*`
    with the current weights, then applies
    :math:`W \leftarrow W - \varepsilon\, s^* s^{*\top}/N` and zeroes the
    diagonal (Hopfield, Feinstein & Palmer 1983). Dreams are sequential: each
    one uses the weights the previous one left.

    Parameters
    ----------
    net : HopfieldNetwork
        Modified in place.
    rng : numpy.random.Generator or int
    epsilon : float
        Unlearning rate :math:`\varepsilon > 0`.
    n_dreams : int

    Returns
    -------
    ndarray of shape (n_dreams, N)
        The dreamed fixed points, in order.
    """
    net = _check_network(net)
    epsilon = check_positive_float(epsilon, "epsilon")
    n_dreams = check_positive_int(n_dreams, "n_dreams")
    rng = as_generator(rng)
    n = net.n_units
    dreams = np.empty((n_dreams, n))
    diag = np.arange(n)
    for k in range(n_dreams):
        start = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        s = _relax_one(net.W, start, rng, net.tie_tolerance(), 50 * n)
        net.W -= (epsilon / n) * np.outer(s, s)
        net.W[diag, diag] = 0.0
        dreams[k] = s
    return dreams


def match_patterns(states, patterns):
    """Which stored pattern, if any, each state equals exactly (up to a global sign flip).

    Returns ``(index, sign)``: ``index[k]`` is the pattern that ``states[k]``
    equals (``sign[k] = +1``) or equals reversed (``sign[k] = -1``, the mirror
    minimum every Hopfield network has because :math:`E(-s) = E(s)`), and
    ``-1`` with ``sign[k] = 0`` for a spurious state.

    >>> match_patterns([[1, -1], [-1, 1], [1, 1]], [[1, -1]])
    (array([ 0,  0, -1]), array([ 1, -1,  0]))
    """
    s, _ = as_spins(states, name="states")
    xi, _ = as_spins(patterns, s.shape[1], "patterns")
    overlap = s @ xi.T  # N for equal, -N for reversed
    n = s.shape[1]
    index = np.full(len(s), -1)
    sign = np.zeros(len(s), dtype=int)
    eq = overlap == n
    rev = overlap == -n
    hit = eq.any(axis=1)
    index[hit] = np.argmax(eq[hit], axis=1)
    sign[hit] = 1
    hit_rev = rev.any(axis=1) & ~hit
    index[hit_rev] = np.argmax(rev[hit_rev], axis=1)
    sign[hit_rev] = -1
    return index, sign
