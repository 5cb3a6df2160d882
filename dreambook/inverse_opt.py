r"""Inverse optimization on a small trajectory problem: learn a cost from its optimal solutions.

The forward problem. A point mass in the plane moves from a fixed start
:math:`x_0` (at rest: :math:`x_{-1} = x_0`) through positions
:math:`x_1, \dots, x_N` towards a goal :math:`g`. The cost is a weighted sum of
three quadratic terms,

.. math::

    C(x; w) = w^\top f(x), \qquad
    f(x) = \Big(\underbrace{\textstyle\sum_{t=1}^{N}\|x_t - x_{t-1}\|^2}_{\text{speed}},\;
                \underbrace{\textstyle\sum_{t=0}^{N-1}\|x_{t+1} - 2x_t + x_{t-1}\|^2}_{\text{effort}},\;
                \underbrace{\|x_N - g\|^2}_{\text{goal}}\Big),

with :math:`w > 0`. Each term is :math:`f_k(x) = \|M_k z - d_k\|^2` in the free
positions :math:`z = (x_1, \dots, x_N)`, so for fixed :math:`w` the optimum
:math:`x^\ast(w)` solves one linear system exactly,
:math:`\big(\sum_k w_k M_k^\top M_k\big) z = \sum_k w_k M_k^\top d_k`.

The inverse problem. Given observed trajectories :math:`\hat x^{(i)}` assumed
optimal for unknown weights, find :math:`w`. The *contrastive* loss

.. math::

    L(w) = \frac1m\sum_i \Big[C_i(\hat x^{(i)}; w) - \min_x C_i(x; w)\Big] \;\ge 0

is zero at the true weights and convex in :math:`w` (a minimum of linear
functions is concave). By the envelope theorem its gradient is

.. math::

    \nabla_w L = \frac1m\sum_i \Big[f(\hat x^{(i)}) - f\big(x^{\ast}_i(w)\big)\Big]:

lower the cost of what was observed, raise the cost of the optimizer's own
solution. This is the two-phase rule with the optimum as the dream. Because
:math:`L(cw) = cL(w)`, the weights are fixed on the simplex
:math:`\{w \ge 0, \sum_k w_k = 1\}`, and :func:`fit` takes projected gradient steps.

At temperature :math:`T > 0` the same cost defines a Gaussian
:math:`p(x) \propto e^{-C(x;w)/T}`, whose features have the exact expectation
:math:`\mathbb{E}[f_k] = f_k(x^\ast) + \tfrac{T}{2}\,D\,\mathrm{tr}(M_k^\top M_k A^{-1})`
with :math:`A = \sum_k w_k M_k^\top M_k` and :math:`D = 2` coordinates
(:func:`expected_features`): the sampled negative phase is the optimum plus a
fluctuation term that vanishes as :math:`T \to 0`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (
    as_generator,
    check_finite_array,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)

__all__ = ["FEATURES", "ReachingTask", "optimal_trajectory", "features", "expected_features",
           "contrastive_loss", "contrastive_gradient", "project_to_simplex", "fit", "cosine",
           "reaching_tasks"]

#: Names of the three cost terms, in order.
FEATURES = ("speed", "effort", "goal")


@dataclass(frozen=True)
class ReachingTask:
    """One reaching task: start, goal, the number of free steps ``n_steps`` and the initial velocity.

    The mass starts at ``start`` moving with ``velocity`` (per step):
    :math:`x_{-1} = x_0 - v_0`. The default is at rest.
    """

    start: np.ndarray
    goal: np.ndarray
    n_steps: int
    velocity: np.ndarray = None

    def __post_init__(self):
        object.__setattr__(self, "start", check_finite_array(self.start, "start", shape=(2,)).copy())
        object.__setattr__(self, "goal", check_finite_array(self.goal, "goal", shape=(2,)).copy())
        object.__setattr__(self, "n_steps", check_positive_int(self.n_steps, "n_steps"))
        v = np.zeros(2) if self.velocity is None else check_finite_array(self.velocity, "velocity",
                                                                         shape=(2,)).copy()
        object.__setattr__(self, "velocity", v)
        terms = self._build_terms()
        object.__setattr__(self, "_terms", terms)
        object.__setattr__(self, "_grams", np.array([M.T @ M for M, _ in terms]))
        object.__setattr__(self, "_rhs", np.array([M.T @ d for M, d in terms]))

    def terms(self):
        r"""The matrices :math:`(M_k, d_k)` with :math:`f_k = \|M_k z - d_k\|^2` (built once, cached)."""
        return self._terms

    def _build_terms(self):
        r"""The matrices :math:`(M_k, d_k)` with :math:`f_k = \|M_k z - d_k\|^2` (per coordinate).

        ``d_k`` has shape (rows, 2): one column per coordinate, same ``M_k``.
        """
        N = self.n_steps
        x0 = self.start[None, :]
        # speed: rows t = 1..N give x_t - x_{t-1}
        Ms = np.eye(N) - np.eye(N, k=-1)
        ds = np.zeros((N, 2))
        ds[0] = x0[0]
        # effort: rows t = 0..N-1 give x_{t+1} - 2 x_t + x_{t-1}, with x_{-1} = x_0 - v_0
        Me = np.eye(N) - 2 * np.eye(N, k=-1) + np.eye(N, k=-2)
        de = np.zeros((N, 2))
        de[0] = 2 * x0[0] - (x0[0] - self.velocity)   # x_1 - 2x_0 + x_{-1}
        if N > 1:
            de[1] = -x0[0]          # x_2 - 2x_1 + x_0
        # goal: x_N - g
        Mg = np.zeros((1, N))
        Mg[0, -1] = 1.0
        dg = self.goal[None, :]
        return [(Ms, ds), (Me, de), (Mg, dg)]


def reaching_tasks(starts, goals, n_steps, velocities=None) -> list:
    """A list of :class:`ReachingTask`, one per (start, goal) pair (and initial velocity)."""
    starts, goals = np.asarray(starts, float), np.asarray(goals, float)
    if starts.shape != goals.shape or starts.ndim != 2 or starts.shape[1] != 2:
        raise ValueError(f"starts and goals must both have shape (m, 2), got {starts.shape} and {goals.shape}")
    vel = np.zeros_like(starts) if velocities is None else np.asarray(velocities, float)
    return [ReachingTask(s, g, n_steps, v) for s, g, v in zip(starts, goals, vel)]


def _check_weights(w, name="w"):
    w = check_finite_array(w, name, shape=(len(FEATURES),))
    if np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"{name} must be non-negative with a positive sum, got {w}")
    return w


def _check_task(task):
    if not isinstance(task, ReachingTask):
        raise TypeError(f"task must be a ReachingTask, got {type(task).__name__}")
    return task


def _system(task, w):
    """A = sum_k w_k M_k^T M_k and rhs = sum_k w_k M_k^T d_k (precomputed per task)."""
    return np.tensordot(w, task._grams, axes=1), np.tensordot(w, task._rhs, axes=1)


def _optimal_features(task, w):
    """f(x*(w)) without input checks (the fit loop's inner kernel)."""
    A, rhs = _system(task, w)
    z = np.linalg.solve(A, rhs)
    return np.array([float(np.sum((M @ z - d) ** 2)) for M, d in task._terms])


def optimal_trajectory(task, w) -> np.ndarray:
    r"""The forward solution :math:`x^\ast(w)`, shape (N + 1, 2) including the start.

    With only the goal term and speed, the mass moves in equal steps towards
    a point short of the goal (the two pulls balance):

    >>> task = ReachingTask([0.0, 0.0], [1.0, 0.0], n_steps=2)
    >>> optimal_trajectory(task, [0.5, 0.0, 0.5])[:, 0]
    array([0.        , 0.33333333, 0.66666667])
    """
    task = _check_task(task)
    w = _check_weights(w)
    if w[0] <= 0 and w[1] <= 0:
        raise ValueError("w gives a singular cost (the optimum is not unique); give the speed or "
                         "effort term positive weight")
    A, rhs = _system(task, w)
    z = np.linalg.solve(A, rhs)
    return np.vstack([task.start[None, :], z])


def features(task, x) -> np.ndarray:
    r"""The feature vector :math:`f(x)` = (speed, effort, goal) of a trajectory of shape (N + 1, 2)."""
    task = _check_task(task)
    x = check_finite_array(x, "x", shape=(task.n_steps + 1, 2))
    if not np.allclose(x[0], task.start, rtol=0, atol=1e-12):
        raise ValueError("x must begin at task.start")
    z = x[1:]
    return np.array([float(np.sum((M @ z - d) ** 2)) for M, d in task.terms()])


def expected_features(task, w, T) -> np.ndarray:
    r"""Exact :math:`\mathbb{E}_{p_T}[f]` under :math:`p_T(x) \propto \exp(-C(x; w)/T)` (a Gaussian).

    :math:`\mathbb{E}[f_k] = f_k(x^\ast) + \tfrac{T}{2}\cdot 2\cdot\mathrm{tr}(M_k^\top M_k A^{-1})`,
    since each coordinate has covariance :math:`(T/2)A^{-1}`.
    """
    from ._validation import check_temperature

    T = check_temperature(T, "T")
    xs = optimal_trajectory(task, w)
    A, _ = _system(task, _check_weights(w))
    Ainv = np.linalg.inv(A)
    fluct = np.array([T * np.trace(M.T @ M @ Ainv) for M, _ in task.terms()])
    return features(task, xs) + fluct


def contrastive_loss(tasks, observed, w) -> float:
    r""":math:`L(w) = \frac1m\sum_i [C_i(\hat x^{(i)}; w) - C_i(x_i^\ast(w); w)] \ge 0`."""
    w = _check_weights(w)
    return float(np.mean([w @ (features(t, x) - features(t, optimal_trajectory(t, w)))
                          for t, x in zip(tasks, observed)]))


def contrastive_gradient(tasks, observed, w) -> np.ndarray:
    r""":math:`\nabla_w L = \frac1m\sum_i [f(\hat x^{(i)}) - f(x_i^\ast(w))]`: observed minus dreamt (optimal) features."""
    w = _check_weights(w)
    if len(tasks) != len(observed) or len(tasks) == 0:
        raise ValueError("tasks and observed must be non-empty and of the same length")
    return np.mean([features(t, x) - features(t, optimal_trajectory(t, w))
                    for t, x in zip(tasks, observed)], axis=0)


def project_to_simplex(v) -> np.ndarray:
    r"""Euclidean projection onto :math:`\{w \ge 0, \sum w = 1\}` (sort-based, exact).

    >>> project_to_simplex([0.5, 0.5, 0.5])
    array([0.33333333, 0.33333333, 0.33333333])
    """
    v = check_finite_array(v, "v", ndim=1)
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.nonzero(u - css / np.arange(1, len(u) + 1) > 0)[0][-1]
    return np.maximum(v - css[k] / (k + 1), 0.0)


def fit(tasks, observed, n_updates, lr, w0=None, floor=1e-3) -> np.ndarray:
    r"""Projected gradient descent on :func:`contrastive_loss` over the simplex.

    Each step is :math:`w \leftarrow \Pi\big(w - \eta_k\,\nabla_w L / \|\nabla_w L\|\big)`
    with a normalized step (the loss is homogeneous, so its raw gradient has
    no natural scale). The step length starts at ``lr``; a step that would
    raise the loss is refused and the length halved, an accepted one lets it
    grow by 10 %. The speed and effort weights are kept above ``floor`` so the
    forward problem stays well posed. Returns the (n_updates + 1, 3) history.
    """
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    eta = check_positive_float(lr, "lr")
    w = project_to_simplex(np.full(3, 1 / 3) if w0 is None else _check_weights(w0, "w0"))

    def clip(v):
        v = project_to_simplex(v)
        v[:2] = np.maximum(v[:2], floor)
        return v / v.sum()

    w = clip(w)
    if len(tasks) != len(observed) or len(tasks) == 0:
        raise ValueError("tasks and observed must be non-empty and of the same length")
    f_obs = np.mean([features(t, x) for t, x in zip(tasks, observed)], axis=0)

    def state(v):   # (loss, gradient) at v; the optimum is solved once per task
        f_star = np.mean([_optimal_features(t, v) for t in tasks], axis=0)
        return v @ (f_obs - f_star), f_obs - f_star

    loss_w, g = state(w)
    hist = [w.copy()]
    for _ in range(n_updates):
        norm = np.linalg.norm(g)
        if norm > 0:
            trial = clip(w - eta * g / norm)
            loss_trial, g_trial = state(trial)
            if loss_trial < loss_w:
                w, loss_w, g, eta = trial, loss_trial, g_trial, 1.1 * eta
            else:
                eta *= 0.5
        hist.append(w.copy())
    return np.array(hist)


def cosine(a, b) -> float:
    """Cosine of the angle between two vectors."""
    a = np.asarray(a, float).ravel()
    b = np.asarray(b, float).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def noisy_observations(tasks, w, noise, rng) -> list:
    """Optimal trajectories for ``w`` with Gaussian noise of std ``noise`` on the free positions."""
    rng = as_generator(rng)
    out = []
    for t in tasks:
        x = optimal_trajectory(t, w).copy()
        x[1:] += noise * rng.standard_normal(x[1:].shape)
        out.append(x)
    return out


__all__.append("noisy_observations")
