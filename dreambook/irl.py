r"""Maximum-entropy inverse reinforcement learning on a gridworld, exactly, by dynamic programming.

A *path* :math:`\zeta = (s_0, s_1, \dots, s_L)` starts at the start cell
:math:`s_0`, takes :math:`L` steps (each to a neighbouring cell or staying
put) and ends at the goal, :math:`s_L = g`. Each cell :math:`s` has a feature
vector :math:`\phi(s) \in \mathbb{R}^K` (its terrain); a path's features are
:math:`f(\zeta) = \sum_{t=1}^{L} \phi(s_t)`. With reward weights
:math:`\theta` the path's energy is :math:`E_\theta(\zeta) = -\theta^\top f(\zeta)`
and, following Ziebart et al. (2008),

.. math::

    P_\theta(\zeta) = \frac{\exp(\theta^\top f(\zeta)/T)}{Z(\theta)}, \qquad
    Z(\theta) = \sum_{\zeta} \exp(\theta^\top f(\zeta)/T),

a Boltzmann distribution over paths. The log-likelihood of demonstrations
:math:`\zeta^{(1..m)}` has the two-phase gradient

.. math::

    \nabla_\theta \ell = \frac{1}{T}\Big(\frac1m \sum_k f(\zeta^{(k)})
                         - \mathbb{E}_{P_\theta}[f(\zeta)]\Big),

demonstrated features minus *dreamt* (expected) features. Because features add
up along the path, :math:`Z` and :math:`\mathbb{E}[f]` are sums over
exponentially many paths that a forward-backward recursion computes exactly in
:math:`O(L \cdot |S| \cdot \text{degree})` operations:

.. math::

    \alpha_0(s) = [s = s_0], \qquad
    \alpha_{t+1}(s') = e^{\theta^\top\phi(s')/T} \sum_{s \to s'} \alpha_t(s), \qquad
    Z = \alpha_L(g),

and with the backward messages :math:`\beta_L(s) = [s = g]`,
:math:`\beta_t(s) = \sum_{s \to s'} e^{\theta^\top\phi(s')/T}\beta_{t+1}(s')`,
the probability that the path visits :math:`s` at step :math:`t` is
:math:`D_t(s) = \alpha_t(s)\beta_t(s)/Z`, and
:math:`\mathbb{E}[f] = \sum_{t\ge1}\sum_s D_t(s)\phi(s)`. Everything runs in log
space. At :math:`T \to 0` the distribution concentrates on the best path
(:func:`best_path`, the same recursion with max for sum), and the gradient
times :math:`T` becomes the structured-perceptron update
:math:`f(\zeta^{\rm demo}) - f(\zeta^\ast)` (Collins 2002).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ._validation import (as_generator, check_finite_array, check_nonnegative_int,
                          check_positive_int, check_temperature)

__all__ = ["GridWorld", "make_terrain_world", "log_partition", "visitation", "expected_features",
           "features_from_visitation", "path_features", "log_likelihood", "gradient", "best_path", "sample_paths",
           "all_paths", "maxent_fit", "perceptron_fit"]


@dataclass(frozen=True)
class GridWorld:
    r"""A deterministic gridworld with terrain features, a start, a goal and a horizon.

    Parameters
    ----------
    features : array_like, shape (rows, cols, K)
        :math:`\phi(s)` for every cell.
    start, goal : tuple of int
        (row, col) of the start and goal cells.
    horizon : int
        Number of steps :math:`L` (>= 1). Moves go to one of the four
        neighbours or stay put; paths must be at the goal after exactly ``L`` steps.
    """

    features: np.ndarray
    start: tuple
    goal: tuple
    horizon: int

    def __post_init__(self):
        phi = check_finite_array(self.features, "features", ndim=3)
        object.__setattr__(self, "features", np.array(phi, copy=True))
        rows, cols, _ = phi.shape
        for name in ("start", "goal"):
            cell = getattr(self, name)
            if (not isinstance(cell, tuple) or len(cell) != 2
                    or not all(isinstance(c, (int, np.integer)) for c in cell)
                    or not (0 <= cell[0] < rows and 0 <= cell[1] < cols)):
                raise ValueError(f"{name} must be a (row, col) tuple of ints inside the "
                                 f"{rows}x{cols} grid, got {cell!r}")
        object.__setattr__(self, "start", tuple(int(c) for c in self.start))
        object.__setattr__(self, "goal", tuple(int(c) for c in self.goal))
        object.__setattr__(self, "horizon", check_positive_int(self.horizon, "horizon"))
        dist = abs(self.start[0] - self.goal[0]) + abs(self.start[1] - self.goal[1])
        if dist > self.horizon:
            raise ValueError(f"horizon must be at least the distance {dist} from start to goal, "
                             f"got {self.horizon}")

    @property
    def shape(self):
        return self.features.shape[:2]

    @property
    def n_states(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def n_features(self) -> int:
        return self.features.shape[2]

    @property
    def phi(self) -> np.ndarray:
        """Features as a (n_states, K) array, cells in row-major order."""
        return self.features.reshape(self.n_states, self.n_features)

    def index(self, cell) -> int:
        return int(cell[0]) * self.shape[1] + int(cell[1])

    @property
    def predecessors(self) -> np.ndarray:
        r"""(n_states, 5) indices: each cell's neighbours and itself (-1 where off the grid).

        Moves are symmetric, so a cell's predecessors are its successors.
        """
        rows, cols = self.shape
        out = -np.ones((self.n_states, 5), dtype=int)
        for r in range(rows):
            for c in range(cols):
                for k, (dr, dc) in enumerate([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]):
                    if 0 <= r + dr < rows and 0 <= c + dc < cols:
                        out[r * cols + c, k] = (r + dr) * cols + (c + dc)
        return out


def make_terrain_world(terrain, start, goal, horizon, n_types=None) -> GridWorld:
    r"""A :class:`GridWorld` whose features are one-hot terrain types, minus the first type.

    ``terrain`` is a (rows, cols) array of integer types :math:`0..K`; type 0
    is the baseline (feature vector zero), type :math:`k \ge 1` has the
    :math:`k`-th unit vector. Dropping the baseline keeps the weights
    identifiable: the counts of all types along a path add up to ``horizon``.

    >>> w = make_terrain_world([[0, 1], [2, 0]], (0, 0), (1, 1), horizon=2)
    >>> w.features[1, 0], w.n_features
    (array([0., 1.]), 2)
    """
    t = np.asarray(terrain)
    if t.ndim != 2 or not np.issubdtype(t.dtype, np.integer) or t.min() < 0:
        raise ValueError("terrain must be a 2-d array of non-negative integer types")
    K = int(t.max()) if n_types is None else check_positive_int(n_types, "n_types") - 1
    if K < 1:
        raise ValueError("terrain must use at least two types (0 is the baseline)")
    phi = np.zeros(t.shape + (K,))
    for k in range(1, K + 1):
        phi[..., k - 1] = t == k
    return GridWorld(phi, tuple(start), tuple(goal), horizon)


def _check(world, theta, T):
    if not isinstance(world, GridWorld):
        raise TypeError(f"world must be a GridWorld, got {type(world).__name__}")
    theta = check_finite_array(theta, "theta", shape=(world.n_features,))
    return theta, check_temperature(T, "T")


def _lse(a):
    """log-sum-exp along the last axis; rows of all -inf give -inf (no warnings)."""
    m = np.max(a, axis=-1)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - safe[..., None]), axis=-1)) + safe


def _messages(world, theta, T):
    """Log forward and backward messages, arrays of shape (L + 1, n_states)."""
    L, n = world.horizon, world.n_states
    pred = world.predecessors
    valid = pred >= 0
    logr = world.phi @ theta / T  # log weight of entering a cell
    la = np.full((L + 1, n), -np.inf)
    lb = np.full((L + 1, n), -np.inf)
    la[0, world.index(world.start)] = 0.0
    lb[L, world.index(world.goal)] = 0.0
    for t in range(L):
        prev = np.where(valid, la[t][pred], -np.inf)
        la[t + 1] = logr + _lse(prev)
    for t in range(L - 1, -1, -1):
        nxt = np.where(valid, (logr + lb[t + 1])[pred], -np.inf)
        lb[t] = _lse(nxt)
    return la, lb


def log_partition(world, theta, T=1.0) -> float:
    r"""Exact :math:`\log Z(\theta) = \log\sum_\zeta \exp(\theta^\top f(\zeta)/T)` by the forward recursion."""
    theta, T = _check(world, theta, T)
    la, _ = _messages(world, theta, T)
    return float(la[-1, world.index(world.goal)])


def visitation(world, theta, T=1.0) -> np.ndarray:
    r"""Exact visit probabilities :math:`D_t(s)`, shape (L + 1, rows, cols); each row sums to 1."""
    theta, T = _check(world, theta, T)
    la, lb = _messages(world, theta, T)
    logz = la[-1, world.index(world.goal)]
    return np.exp(la + lb - logz).reshape((world.horizon + 1,) + world.shape)


def expected_features(world, theta, T=1.0) -> np.ndarray:
    r"""The dreamt features :math:`\mathbb{E}_{P_\theta}[f(\zeta)] = \sum_{t\ge1}\sum_s D_t(s)\phi(s)`."""
    return features_from_visitation(world, visitation(world, theta, T))


def features_from_visitation(world, D) -> np.ndarray:
    r""":math:`\sum_{t\ge1}\sum_s D_t(s)\phi(s)` for visit probabilities ``D`` of shape (L + 1, rows, cols)."""
    return D[1:].sum(axis=0).reshape(-1) @ world.phi


def _check_paths(world, paths):
    P = np.asarray(paths)
    if P.ndim == 2:
        P = P[None]
    if P.ndim != 3 or P.shape[1:] != (world.horizon + 1, 2) or not np.issubdtype(P.dtype, np.integer):
        raise ValueError(f"paths must be integer (row, col) arrays of shape (m, {world.horizon + 1}, 2), "
                         f"got shape {P.shape} and dtype {P.dtype}")
    rows, cols = world.shape
    if P.shape[0] == 0 or np.any(P < 0) or np.any(P[..., 0] >= rows) or np.any(P[..., 1] >= cols):
        raise ValueError("paths must be non-empty and stay inside the grid")
    steps = np.abs(np.diff(P, axis=1)).sum(axis=2)
    if np.any(steps > 1):
        raise ValueError("paths must move by at most one cell (up, down, left, right) per step")
    if np.any(P[:, 0] != world.start) or np.any(P[:, -1] != world.goal):
        raise ValueError("paths must begin at world.start and end at world.goal")
    return P


def path_features(world, paths) -> np.ndarray:
    r""":math:`f(\zeta) = \sum_{t=1}^L \phi(s_t)` for each path; shape (m, K)."""
    P = _check_paths(world, paths)
    return world.features[P[:, 1:, 0], P[:, 1:, 1]].sum(axis=1)


def log_likelihood(world, theta, paths, T=1.0) -> float:
    r"""Mean :math:`\log P_\theta(\zeta^{(k)}) = \theta^\top f(\zeta^{(k)})/T - \log Z` over the paths."""
    theta, T = _check(world, theta, T)
    F = path_features(world, paths)
    return float(np.mean(F @ theta) / T - log_partition(world, theta, T))


def gradient(world, theta, paths, T=1.0) -> np.ndarray:
    r"""Exact :math:`\nabla_\theta \ell = (\bar f_{\rm demo} - \mathbb{E}_{P_\theta}[f])/T` (ascent direction)."""
    theta, T = _check(world, theta, T)
    return (path_features(world, paths).mean(axis=0) - expected_features(world, theta, T)) / T


def best_path(world, theta) -> np.ndarray:
    r"""The :math:`T = 0` dream: :math:`\arg\max_\zeta \theta^\top f(\zeta)` by max-sum recursion.

    Ties are broken deterministically (the first move in the order stay, up,
    down, left, right). Returns an int array of shape (L + 1, 2).
    """
    theta, _ = _check(world, theta, 1.0)
    L, n = world.horizon, world.n_states
    pred = world.predecessors
    valid = pred >= 0
    r = world.phi @ theta
    v = np.full((L + 1, n), -np.inf)
    back = np.zeros((L + 1, n), dtype=int)
    v[0, world.index(world.start)] = 0.0
    for t in range(L):
        prev = np.where(valid, v[t][pred], -np.inf)
        k = np.argmax(prev, axis=1)
        back[t + 1] = pred[np.arange(n), k]
        v[t + 1] = r + prev[np.arange(n), k]
    s = world.index(world.goal)
    out = [s]
    for t in range(L, 0, -1):
        s = back[t, s]
        out.append(s)
    cols = world.shape[1]
    return np.array([(i // cols, i % cols) for i in out[::-1]], dtype=int)


def sample_paths(world, theta, n_paths, rng, T=1.0) -> np.ndarray:
    r"""Exact independent samples from :math:`P_\theta`, drawn forward with the backward messages.

    Step :math:`t \to t+1` moves from :math:`s` to :math:`s'` with probability
    :math:`e^{\theta^\top\phi(s')/T}\beta_{t+1}(s')/\beta_t(s)`.
    Returns an int array of shape (n_paths, L + 1, 2).
    """
    theta, T = _check(world, theta, T)
    n_paths = check_nonnegative_int(n_paths, "n_paths")
    rng = as_generator(rng)
    _, lb = _messages(world, theta, T)
    pred = world.predecessors
    valid = pred >= 0
    logr = world.phi @ theta / T
    cols = world.shape[1]
    s = np.full(n_paths, world.index(world.start))
    out = np.zeros((n_paths, world.horizon + 1), dtype=int)
    out[:, 0] = s
    for t in range(world.horizon):
        nb = pred[s]                                   # (n_paths, 5) successors
        logw = np.where(valid[s], (logr + lb[t + 1])[nb], -np.inf)
        p = np.exp(logw - logsumexp(logw, axis=1, keepdims=True))
        u = rng.random(n_paths)[:, None]
        k = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), 4)
        s = nb[np.arange(n_paths), k]
        out[:, t + 1] = s
    return np.stack([out // cols, out % cols], axis=-1)


def all_paths(world, max_paths=200_000) -> np.ndarray:
    """Every valid path (brute force, for checking the recursion on tiny worlds)."""
    max_paths = check_positive_int(max_paths, "max_paths")
    pred = world.predecessors
    goal = world.index(world.goal)
    paths = np.array([[world.index(world.start)]])
    for t in range(world.horizon):
        nb = pred[paths[:, -1]]
        rows, k = np.nonzero(nb >= 0)
        paths = np.column_stack([paths[rows], nb[rows, k]])
        remaining = world.horizon - t - 1
        r, c = np.divmod(paths[:, -1], world.shape[1])
        keep = np.abs(r - world.goal[0]) + np.abs(c - world.goal[1]) <= remaining
        paths = paths[keep]
        if len(paths) > max_paths:
            raise ValueError(f"more than max_paths={max_paths} paths; use the recursion instead")
    paths = paths[paths[:, -1] == goal]
    cols = world.shape[1]
    return np.stack([paths // cols, paths % cols], axis=-1)


def _feature_matching(world, paths, n_updates, lr, theta0, increment) -> np.ndarray:
    """Shared loop of the two fits: ``theta += increment(theta, demo, lr)``; the history of theta."""
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    lr = float(check_finite_array(lr, "lr", shape=()))
    theta = np.zeros(world.n_features) if theta0 is None else check_finite_array(
        theta0, "theta0", shape=(world.n_features,)).copy()
    demo = path_features(world, paths).mean(axis=0)
    hist = [theta.copy()]
    for _ in range(n_updates):
        theta = theta + increment(theta, demo, lr)
        hist.append(theta.copy())
    return np.array(hist)


def maxent_fit(world, paths, n_updates, lr, T=1.0, theta0=None) -> np.ndarray:
    r"""Gradient ascent on the MaxEnt log-likelihood; returns the (n_updates + 1, K) history of :math:`\theta`."""
    return _feature_matching(world, paths, n_updates, lr, theta0,
                             lambda theta, demo, lr: lr * (demo - expected_features(world, theta, T)) / T)


def perceptron_fit(world, paths, n_updates, lr, theta0=None) -> np.ndarray:
    r"""Structured perceptron (the :math:`T = 0` rule): :math:`\theta \mathrel{+}= \eta\,(\bar f_{\rm demo} - f(\zeta^\ast_\theta))`.

    Returns the (n_updates + 1, K) history of :math:`\theta`.
    """
    return _feature_matching(world, paths, n_updates, lr, theta0,
                             lambda theta, demo, lr: lr * (demo - path_features(world, best_path(world, theta))[0]))
