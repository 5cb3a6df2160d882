r"""Order in learning: tabular TD(0) replay on a linear track, and why a sum has no order.

Two halves, one question: *when does the order of updates matter?*

**Temporal-difference learning on a linear track.** States
:math:`0, 1, \dots, n-1` lie along a track; a run visits them in that order and
ends at the goal :math:`g = n-1`. Rewards belong to states (the
*state-reward convention*): :math:`r(s)` is collected while in :math:`s`, and
the value of a state is the discounted reward collected from it onwards,

.. math::

    V^*(s_t) = \sum_{k \ge t} \gamma^{\,k-t}\, r(s_k),
    \qquad\text{so}\qquad
    V^*(s_t) = r(s_t) + \gamma\, V^*(s_{t+1}), \quad V^*(g) = r(g).

The run ends at the goal, so the goal's value is the reward it delivers: it is
observed on arrival, never predicted, and :func:`initial_values` sets
:math:`V(g) = r(g)` and every other value to 0. Learning then concerns the
:math:`n-1` transitions :math:`(s_t, s_{t+1})`, :math:`t = 0, \dots, n-2`.
The tabular TD(0) update of one transition (Sutton, 1988) is

.. math::

    \delta = r(s_t) + \gamma V(s_{t+1}) - V(s_t), \qquad
    V(s_t) \leftarrow V(s_t) + \alpha\, \delta .

A *replay sweep* applies this update once to every transition of the run,
either in the order they happened (``"forward"``: :math:`t = 0, 1, \dots,
n-2`) or backwards (``"reverse"``: :math:`t = n-2, \dots, 0`). With a reward
only at the goal, one reverse sweep with :math:`\alpha = 1` already gives
every state its true value :math:`\gamma^{\,n-1-t}\, r(g)`, while each forward
sweep carries value back by exactly one state, so forward replay needs
:math:`n-1` sweeps (see :func:`states_reached`).

**Order of negative-phase updates.** The negative phase of a batch is a sum of
per-sample statistics, so permuting the samples cannot change it
(:func:`batch_dream_update`). Applied one sample at a time
(:func:`sequential_dream_updates`), order can matter, but only when a
sample's statistic depends on the parameters being changed, and then only at
second order in the learning rate.

Everything here is deterministic: no function draws random numbers.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import exact
from ._validation import (
    check_bool,
    check_finite_array,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real,
)

__all__ = [
    "DIRECTIONS",
    "linear_track",
    "initial_values",
    "true_values",
    "td0_update",
    "replay",
    "sweeps_to_converge",
    "states_reached",
    "td_lambda_replay",
    "prioritized_sweeping",
    "batch_dream_update",
    "sequential_dream_updates",
]

#: Accepted replay directions; ``"backward"`` is a synonym of ``"reverse"``.
DIRECTIONS = ("forward", "reverse", "backward")


# --------------------------------------------------------------------------- checks

def _check_direction(direction) -> str:
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ValueError(
            f"direction must be 'forward' or 'reverse' (or 'backward'), got {direction!r}"
        )
    return "reverse" if direction == "backward" else direction


def _check_rewards(rewards) -> np.ndarray:
    rewards = check_finite_array(rewards, "rewards", ndim=1)
    if rewards.size < 2:
        raise ValueError(f"rewards must have at least 2 entries (one per state), got {rewards.size}")
    return rewards


def _check_trajectory(trajectory, n_states: int) -> np.ndarray:
    arr = np.asarray(trajectory)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"trajectory must be an array of integer state indices, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"trajectory must be a 1-d sequence of at least 2 states, got shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= n_states:
        raise ValueError(f"trajectory states must lie in [0, {n_states - 1}], got {arr.min()}..{arr.max()}")
    return arr.astype(np.intp)


def _check_values(V, n_states: int) -> np.ndarray:
    return check_finite_array(V, "V", shape=(n_states,))


# --------------------------------------------------------------------------- the track

def linear_track(n_states: int = 10, reward: float = 1.0):
    r"""A run along a linear track: the states visited and the reward in each.

    Parameters
    ----------
    n_states : int
        Number of states :math:`n \ge 2`, numbered :math:`0, \dots, n-1`
        from start to goal.
    reward : float
        Reward :math:`r(g)` collected at the goal :math:`g = n-1`; every other
        state has reward 0.

    Returns
    -------
    trajectory : ndarray of int, shape (n_states,)
        The states in running order, ``0, 1, ..., n-1``; the last is the goal.
    rewards : ndarray of float, shape (n_states,)
        :math:`r(s)` for each state.

    Examples
    --------
    >>> trajectory, rewards = linear_track(4, reward=2.0)
    >>> trajectory, rewards
    (array([0, 1, 2, 3]), array([0., 0., 0., 2.]))
    """
    n_states = check_positive_int(n_states, "n_states")
    if n_states < 2:
        raise ValueError(f"n_states must be at least 2 (a start and a goal), got {n_states}")
    if isinstance(reward, (bool, np.bool_)) or not isinstance(reward, numbers.Real):
        raise TypeError(f"reward must be a real number, got {type(reward).__name__}")
    if not np.isfinite(reward):
        raise ValueError(f"reward must be finite, got {reward}")
    rewards = np.zeros(n_states)
    rewards[-1] = float(reward)
    return np.arange(n_states), rewards


def initial_values(trajectory, rewards) -> np.ndarray:
    r"""Values before any replay: :math:`V(g) = r(g)` at the goal, 0 elsewhere.

    The goal ends the run, so its value is the reward it delivers, observed on
    arrival rather than predicted. States not on the trajectory also start at 0.

    Examples
    --------
    >>> initial_values(*linear_track(4))
    array([0., 0., 0., 1.])
    """
    rewards = _check_rewards(rewards)
    trajectory = _check_trajectory(trajectory, rewards.size)
    V = np.zeros(rewards.size)
    V[trajectory[-1]] = rewards[trajectory[-1]]
    return V


def true_values(trajectory, rewards, gamma) -> np.ndarray:
    r"""Discounted return from each visited state: :math:`V^*(s_t) = \sum_{k \ge t} \gamma^{k-t} r(s_k)`.

    Computed backwards along the trajectory by
    :math:`V^*(s_t) = r(s_t) + \gamma V^*(s_{t+1})`, starting from
    :math:`V^*(g) = r(g)`. The trajectory must visit each state at most once
    (otherwise a state would have several returns); unvisited states get 0.

    Examples
    --------
    >>> np.round(true_values(*linear_track(4), gamma=0.5), 3)
    array([0.125, 0.25 , 0.5  , 1.   ])
    """
    rewards = _check_rewards(rewards)
    trajectory = _check_trajectory(trajectory, rewards.size)
    gamma = check_real(gamma, "gamma", 0, 1)
    if np.unique(trajectory).size != trajectory.size:
        raise ValueError("trajectory must visit each state at most once to define true_values")
    V = np.zeros(rewards.size)
    ret = 0.0
    for s in trajectory[::-1]:
        ret = rewards[s] + gamma * ret
        V[s] = ret
    return V


# --------------------------------------------------------------------------- TD(0)

def td0_update(V, s, s_next, rewards, alpha, gamma) -> float:
    r"""One tabular TD(0) update of the transition :math:`s \to s'`, in place; returns :math:`\delta`.

    .. math::

        \delta = r(s) + \gamma V(s') - V(s), \qquad V(s) \leftarrow V(s) + \alpha\,\delta .

    Parameters
    ----------
    V : ndarray of float, shape (n_states,)
        Value table, modified in place (it must be a float64 array).
    s, s_next : int
        The state left and the state entered.
    rewards : array_like, shape (n_states,)
    alpha : float in (0, 1]
        Learning rate.
    gamma : float in [0, 1]
        Discount factor.

    Examples
    --------
    >>> V = np.array([0.0, 1.0])
    >>> td0_update(V, 0, 1, [0.0, 1.0], alpha=1.0, gamma=0.9)
    0.9
    >>> V
    array([0.9, 1. ])
    """
    if not isinstance(V, np.ndarray) or V.dtype != np.float64:
        raise TypeError("V must be a float64 numpy array (it is updated in place)")
    rewards = _check_rewards(rewards)
    _check_values(V, rewards.size)
    s, s_next = _check_trajectory(np.array([s, s_next]), rewards.size)
    alpha, gamma = check_real(alpha, "alpha", 0, 1, low_open=True), check_real(gamma, "gamma", 0, 1)
    delta = rewards[s] + gamma * V[s_next] - V[s]
    V[s] += alpha * delta
    return float(delta)


def _sweep_order(n_transitions: int, direction: str) -> np.ndarray:
    order = np.arange(n_transitions)
    return order if direction == "forward" else order[::-1]


def replay(V, trajectory, rewards, alpha=1.0, gamma=0.9, direction="forward",
           n_sweeps=1, record=False):
    r"""Replay a run ``n_sweeps`` times, forward or in reverse, updating by TD(0).

    One sweep applies :func:`td0_update` once to each transition
    :math:`(s_t, s_{t+1})`, :math:`t = 0, \dots, L-2` of the trajectory of
    length :math:`L`, in the order ``t = 0, 1, ...`` (``"forward"``) or
    ``t = L-2, ..., 0`` (``"reverse"`` or ``"backward"``). A reverse sweep
    uses each successor's value *after* it was updated in the same sweep, which
    is why it carries reward back along the whole run at once.

    Parameters
    ----------
    V : array_like, shape (n_states,)
        Starting values (not modified; see :func:`initial_values`).
    trajectory : array_like of int
        States in running order.
    rewards : array_like, shape (n_states,)
    alpha : float in (0, 1]
    gamma : float in [0, 1]
    direction : {"forward", "reverse", "backward"}
    n_sweeps : int >= 0
    record : bool
        If true, return the values after every single update as well.

    Returns
    -------
    ndarray
        The values after ``n_sweeps`` sweeps, shape ``(n_states,)``; with
        ``record=True``, shape ``(n_sweeps * (L - 1) + 1, n_states)``, whose
        first row is ``V`` and whose row ``k * (L - 1)`` is the table after
        ``k`` sweeps.

    Examples
    --------
    >>> trajectory, rewards = linear_track(4)
    >>> V0 = initial_values(trajectory, rewards)
    >>> np.round(replay(V0, trajectory, rewards, 1.0, 0.5, "reverse"), 3)
    array([0.125, 0.25 , 0.5  , 1.   ])
    >>> np.round(replay(V0, trajectory, rewards, 1.0, 0.5, "forward"), 3)
    array([0. , 0. , 0.5, 1. ])
    """
    rewards = _check_rewards(rewards)
    trajectory = _check_trajectory(trajectory, rewards.size)
    V = _check_values(V, rewards.size).copy()
    alpha, gamma = check_real(alpha, "alpha", 0, 1, low_open=True), check_real(gamma, "gamma", 0, 1)
    direction = _check_direction(direction)
    n_sweeps = check_nonnegative_int(n_sweeps, "n_sweeps")
    record = check_bool(record, "record")
    order = _sweep_order(trajectory.size - 1, direction)
    history = [V.copy()] if record else None
    for _ in range(int(n_sweeps)):
        for t in order:
            s, s_next = trajectory[t], trajectory[t + 1]
            V[s] += alpha * (rewards[s] + gamma * V[s_next] - V[s])
            if record:
                history.append(V.copy())
    return np.array(history) if record else V


def sweeps_to_converge(trajectory, rewards, alpha=1.0, gamma=0.9, direction="forward",
                       tol=1e-12, max_sweeps=10_000) -> int:
    r"""Number of replay sweeps until every visited state is within ``tol`` of its true value.

    Starts from :func:`initial_values` and counts sweeps :math:`k` until
    :math:`\max_t |V_k(s_t) - V^*(s_t)| \le` ``tol``. With :math:`\alpha = 1`
    and a reward only at the goal, the answer is 1 for reverse replay and
    :math:`L - 1` for forward replay (for :math:`\gamma > 0`).

    Raises
    ------
    RuntimeError
        If the values have not converged after ``max_sweeps`` sweeps.

    Examples
    --------
    >>> trajectory, rewards = linear_track(10)
    >>> sweeps_to_converge(trajectory, rewards, 1.0, 0.9, "reverse")
    1
    >>> sweeps_to_converge(trajectory, rewards, 1.0, 0.9, "forward")
    9
    """
    target = true_values(trajectory, rewards, gamma)
    tol = check_positive_float(tol, "tol")
    max_sweeps = check_positive_int(max_sweeps, "max_sweeps")
    trajectory = np.asarray(trajectory, dtype=np.intp)
    V = initial_values(trajectory, rewards)
    for k in range(1, max_sweeps + 1):
        V = replay(V, trajectory, rewards, alpha, gamma, direction)
        if np.max(np.abs(V[trajectory] - target[trajectory])) <= tol:
            return k
    raise RuntimeError(
        f"values did not converge within max_sweeps={max_sweeps} sweeps (tol={tol}); "
        "raise max_sweeps or tol, or increase alpha"
    )


def states_reached(V, trajectory) -> int:
    r"""How far value has propagated: the number of states before the goal with :math:`V \ne 0`.

    Counts the states :math:`s_0, \dots, s_{L-2}` whose value is non-zero;
    with a reward only at the goal, these form a contiguous block ending next
    to the goal, so the count is how many states back the reward has reached.

    Examples
    --------
    >>> trajectory, rewards = linear_track(10)
    >>> V0 = initial_values(trajectory, rewards)
    >>> states_reached(replay(V0, trajectory, rewards, direction="forward", n_sweeps=3), trajectory)
    3
    >>> states_reached(replay(V0, trajectory, rewards, direction="reverse"), trajectory)
    9
    """
    trajectory = np.asarray(trajectory)
    if trajectory.dtype == bool or not np.issubdtype(trajectory.dtype, np.integer) or trajectory.ndim != 1:
        raise TypeError("trajectory must be a 1-d array of integer state indices")
    V = np.asarray(V, dtype=float)
    _check_trajectory(trajectory, V.size)
    V = _check_values(V, V.size)
    return int(np.count_nonzero(V[trajectory[:-1]]))


# --------------------------------------------------------------------------- TD(lambda) and prioritized sweeping

def td_lambda_replay(V, trajectory, rewards, alpha=1.0, gamma=0.9, lam=1.0, n_sweeps=1):
    r"""Replay a run *forward* with online TD(:math:`\lambda`) and accumulating eligibility traces.

    At each transition :math:`s_t \to s_{t+1}` of a sweep (Sutton, 1988):

    .. math::

        e \leftarrow \gamma\lambda\, e, \quad e(s_t) \leftarrow e(s_t) + 1, \quad
        \delta_t = r(s_t) + \gamma V(s_{t+1}) - V(s_t), \quad
        V \leftarrow V + \alpha\, \delta_t\, e .

    The trace :math:`e(s)` remembers how recently :math:`s` was visited, so a
    prediction error at the end of the run is passed back to every earlier
    state at once, discounted by :math:`(\gamma\lambda)^{\text{distance}}`.
    With a reward only at the goal and values from :func:`initial_values`,
    one forward sweep gives :math:`V(s_t) = \alpha\gamma\,(\gamma\lambda)^{\,n-2-t}`;
    with :math:`\alpha = \lambda = 1` that is :math:`V = V^*` exactly, the
    result :func:`replay` needs a *reverse* sweep for. With :math:`\lambda = 0`
    this is forward TD(0) replay. Traces are reset at the start of each sweep.

    Parameters
    ----------
    V : array_like, shape (n_states,)
        Starting values (not modified).
    trajectory, rewards, alpha, gamma
        As in :func:`replay`.
    lam : float in [0, 1]
        Trace decay :math:`\lambda`.
    n_sweeps : int >= 0

    Examples
    --------
    >>> trajectory, rewards = linear_track(4)
    >>> V0 = initial_values(trajectory, rewards)
    >>> np.round(td_lambda_replay(V0, trajectory, rewards, 1.0, 0.5, lam=1.0), 3)
    array([0.125, 0.25 , 0.5  , 1.   ])
    >>> np.round(td_lambda_replay(V0, trajectory, rewards, 1.0, 0.5, lam=0.0), 3)
    array([0. , 0. , 0.5, 1. ])
    """
    rewards = _check_rewards(rewards)
    trajectory = _check_trajectory(trajectory, rewards.size)
    V = _check_values(V, rewards.size).copy()
    alpha, gamma = check_real(alpha, "alpha", 0, 1, low_open=True), check_real(gamma, "gamma", 0, 1)
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, numbers.Real) or not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be a real number in [0, 1], got {lam!r}")
    if isinstance(n_sweeps, (bool, np.bool_)) or not isinstance(n_sweeps, numbers.Integral) or n_sweeps < 0:
        raise ValueError(f"n_sweeps must be an integer >= 0, got {n_sweeps!r}")
    for _ in range(int(n_sweeps)):
        e = np.zeros(rewards.size)
        for t in range(trajectory.size - 1):
            s, s_next = trajectory[t], trajectory[t + 1]
            e *= gamma * lam
            e[s] += 1.0
            delta = rewards[s] + gamma * V[s_next] - V[s]
            V += alpha * delta * e
    return V


def prioritized_sweeping(trajectory, rewards, alpha=1.0, gamma=0.9, theta=1e-12, max_updates=10_000):
    r"""Prioritized sweeping (Moore & Atkeson, 1993) on a remembered run: update the most surprising state first.

    With a model of the transitions (here: the run itself, each state's
    successor and predecessor), keep a priority :math:`|\delta(s)|` for every
    state, :math:`\delta(s) = r(s) + \gamma V(s') - V(s)`. Repeatedly update
    the state of largest priority by TD(0), then recompute the priority of its
    predecessor, until no priority exceeds ``theta``. Nothing in the rule
    mentions direction; on a track with a reward at the goal the largest
    surprise is next to the goal, and each update makes its predecessor the
    most surprising state, so the updates come out in *reverse* order.

    Parameters
    ----------
    trajectory : array_like of int
        States in running order; each state visited at most once.
    rewards : array_like, shape (n_states,)
    alpha : float in (0, 1]
    gamma : float in [0, 1]
    theta : float > 0
        Priority threshold below which a state is not updated.
    max_updates : int > 0

    Returns
    -------
    V : ndarray, shape (n_states,)
        Values after sweeping, starting from :func:`initial_values`.
    order : ndarray of int
        The states in the order they were updated.

    Examples
    --------
    >>> V, order = prioritized_sweeping(*linear_track(5), alpha=1.0, gamma=0.5)
    >>> order
    array([3, 2, 1, 0])
    >>> np.round(V, 4)
    array([0.0625, 0.125 , 0.25  , 0.5   , 1.    ])
    """
    import heapq

    rewards = _check_rewards(rewards)
    trajectory = _check_trajectory(trajectory, rewards.size)
    if np.unique(trajectory).size != trajectory.size:
        raise ValueError("trajectory must visit each state at most once for prioritized_sweeping")
    alpha, gamma = check_real(alpha, "alpha", 0, 1, low_open=True), check_real(gamma, "gamma", 0, 1)
    theta = check_positive_float(theta, "theta")
    max_updates = check_positive_int(max_updates, "max_updates")
    V = initial_values(trajectory, rewards)
    successor = {int(trajectory[t]): int(trajectory[t + 1]) for t in range(trajectory.size - 1)}
    predecessor = {b: a for a, b in successor.items()}

    def error(s):
        return rewards[s] + gamma * V[successor[s]] - V[s]

    heap = [(-abs(error(s)), s) for s in successor if abs(error(s)) > theta]
    heapq.heapify(heap)
    order = []
    while heap and len(order) < max_updates:
        _, s = heapq.heappop(heap)
        d = error(s)
        if abs(d) <= theta:  # stale entry
            continue
        V[s] += alpha * d
        order.append(s)
        for q in (s, predecessor.get(s)):
            if q is not None and abs(error(q)) > theta:
                heapq.heappush(heap, (-abs(error(q)), q))
    return V, np.array(order, dtype=np.intp)


# --------------------------------------------------------------------------- order of dream updates

def _dream_statistics(model, x) -> dict:
    """Per-sample statistics -dE/dθ (averaged over hidden units given x), divided by T."""
    stats = exact.data_statistics(model, x)
    return {name: value / model.T for name, value in stats.items()}


def batch_dream_update(model, samples, lr):
    r"""One negative-phase step on a batch of dreams: :math:`\theta \leftarrow \theta - \eta \sum_k s(\tilde x_k;\theta)/T`.

    Here :math:`s(x;\theta) = -\nabla_\theta E_\theta(x)` (averaged over
    :math:`p_\theta(h \mid x)` when the model has hidden units), computed by
    :func:`dreambook.exact.data_statistics`. The update is a *sum* over the
    samples, so permuting them leaves it unchanged up to floating-point
    rounding. Returns an updated copy; ``model`` is not modified.

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    samples : array_like of shape (n_samples, n_visible)
        Binary dream samples :math:`\tilde x_1, \dots, \tilde x_K`.
    lr : float > 0
        Learning rate :math:`\eta`.
    """
    lr = check_positive_float(lr, "lr")
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must be a 2-d array with at least one row, got shape {samples.shape}")
    new = model.copy()
    stats = _dream_statistics(new, samples)
    for name, value in new.params.items():
        value -= lr * samples.shape[0] * stats[name]
    return new


def sequential_dream_updates(model, samples, lr, order=None):
    r"""Negative-phase steps one dream at a time: :math:`\theta_{k} = \theta_{k-1} - \eta\, s(\tilde x_{\pi(k)};\theta_{k-1})/T`.

    After :math:`K` steps, to second order in :math:`\eta`,

    .. math::

        \theta_K = \theta_0 - \eta \sum_k s_k(\theta_0)
                   + \eta^2 \sum_{i<j} J_{\pi(j)}\, s_{\pi(i)}(\theta_0) + O(\eta^3),

    with :math:`J_k = \partial s_k/\partial\theta`. The first-order term is
    the batch update, whatever the order :math:`\pi`; order enters only
    through :math:`J`, at order :math:`\eta^2`. For a fully visible Boltzmann
    machine :math:`s(x) = (x x^\top, x)` does not depend on :math:`\theta`,
    so :math:`J = 0` and sequential dream updates commute exactly; with hidden
    units they do not. Returns an updated copy.

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    samples : array_like of shape (n_samples, n_visible)
    lr : float > 0
    order : array_like of int, optional
        A permutation of ``range(n_samples)``: the order in which the samples
        are applied (default: as given).
    """
    lr = check_positive_float(lr, "lr")
    samples = np.asarray(samples)
    if samples.ndim != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must be a 2-d array with at least one row, got shape {samples.shape}")
    n = samples.shape[0]
    if order is None:
        order = np.arange(n)
    else:
        order = np.asarray(order)
        if order.dtype == bool or not np.issubdtype(order.dtype, np.integer):
            raise TypeError(f"order must be an array of integer indices, got dtype {order.dtype}")
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError(f"order must be a permutation of range({n})")
    new = model.copy()
    for k in order:
        stats = _dream_statistics(new, samples[k:k + 1])
        for name, value in new.params.items():
            value -= lr * stats[name]
    return new
