r"""Time reversal is sign reversal: a derivative plasticity rule and spike-timing-dependent plasticity.

Two small models of a synapse from a presynaptic unit with activity
:math:`x(t)` to a postsynaptic unit with activity :math:`y(t)`.

**The derivative rule.** The weight changes in proportion to presynaptic
activity times the *rate of change* of postsynaptic activity,

.. math::

    \Delta w = \eta \int_0^{L} x(t)\, \dot y(t)\, dt .

Replaying the same activity backwards in time, :math:`x_r(t) = x(L-t)`,
:math:`y_r(t) = y(L-t)`, gives :math:`\dot y_r(t) = -\dot y(L-t)`, so with
:math:`s = L - t`

.. math::

    \Delta w_{\text{reverse}} = \eta \int_0^{L} x(L-t)\,\big(-\dot y(L-t)\big)\, dt
    = -\eta \int_0^{L} x(s)\, \dot y(s)\, ds = -\Delta w_{\text{forward}} .

In continuous time the reversal is exact. Sampled at step :math:`\Delta t`
with the causal (forward) difference :math:`\dot y(t_k) \approx (y_{k+1} -
y_k)/\Delta t`, reverse replay gives :math:`-\Delta w_{\text{forward}} +
O(\Delta t)`: the negative of the forward update to first order
(:func:`derivative_rule_update`, ``scheme="forward"``). With the centred
difference of :func:`numpy.gradient` the sampled rule is exactly odd under
reversal (``scheme="central"``).

**Pair-based STDP.** Each pair of a presynaptic spike at :math:`t_i` and a
postsynaptic spike at :math:`t_j` changes the weight by :math:`K(t_j - t_i)`,
with the window

.. math::

    K(\tau) = \begin{cases} A_+ e^{-\tau/\tau_+}, & \tau > 0 \text{ (post after pre: potentiation)},\\
    -A_- e^{\tau/\tau_-}, & \tau < 0 \text{ (post before pre: depression)},\\
    0, & \tau = 0, \end{cases}

the shape measured by Bi & Poo (1998). Reversing time maps every lag
:math:`\tau` to :math:`-\tau`, so

.. math::

    \Delta w_{\text{forward}} + \Delta w_{\text{reverse}} = \sum_{i,j} \big[K(\tau_{ij}) + K(-\tau_{ij})\big],

which is zero exactly when the window is odd (:math:`A_+ = A_-`,
:math:`\tau_+ = \tau_-`). Only the *odd part* of the window turns time
reversal into sign reversal; its even part is left unchanged by reversal.

The two pictures meet: if the postsynaptic activity is a smoothed spike train,
:math:`y(t) = \sum_j g(t - t_j)` with a symmetric bump :math:`g`, and the
presynaptic activity is a spike train, the derivative rule is pair-based STDP
with the odd window :math:`K(\tau) = -g'(\tau)` (:func:`derivative_window`).

Everything here is deterministic: no function draws random numbers.
"""

from __future__ import annotations


import numpy as np

from ._validation import check_finite_array, check_positive_float, check_real

__all__ = [
    "SCHEMES",
    "derivative_rule_update",
    "reverse",
    "stdp_window",
    "pair_stdp_update",
    "reverse_spike_times",
    "derivative_window",
]

#: Finite-difference schemes accepted by :func:`derivative_rule_update`.
SCHEMES = ("forward", "central")


def _check_activity(a, name: str) -> np.ndarray:
    a = check_finite_array(a, name)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] < 2:
        raise ValueError(f"{name} must have shape (n_steps, n_units) with n_steps >= 2, got {a.shape}")
    return a


def derivative_rule_update(pre, post, dt, eta=1.0, scheme="forward") -> np.ndarray:
    r"""Weight change of the derivative rule, :math:`\Delta w_{ij} = \eta \sum_k x_i(t_k)\, \dot y_j(t_k)\, \Delta t`.

    Parameters
    ----------
    pre : array_like, shape (n_steps,) or (n_steps, n_pre)
        Presynaptic activity :math:`x(t_k)`, :math:`t_k = k\,\Delta t`.
    post : array_like, shape (n_steps,) or (n_steps, n_post)
        Postsynaptic activity :math:`y(t_k)`.
    dt : float > 0
        Sampling step :math:`\Delta t`.
    eta : float > 0
        Learning rate :math:`\eta`.
    scheme : {"forward", "central"}
        How :math:`\dot y` is sampled. ``"forward"``: the causal difference
        :math:`(y_{k+1} - y_k)/\Delta t` for :math:`k < n-1` (the last sample
        has no successor and contributes nothing); reverse replay then gives
        :math:`-\Delta w + O(\Delta t)`. ``"central"``: :func:`numpy.gradient`
        (centred inside, one-sided at the ends); reverse replay then gives
        exactly :math:`-\Delta w`.

    Returns
    -------
    ndarray, shape (n_pre, n_post)

    Examples
    --------
    Post rises while pre is active: potentiation. Played backwards, post falls
    while pre is active: depression of the same size.

    >>> pre = np.array([1.0, 1.0, 1.0])
    >>> post = np.array([0.0, 0.5, 1.0])
    >>> derivative_rule_update(pre, post, dt=1.0, scheme="central")
    array([[1.5]])
    >>> derivative_rule_update(*reverse(pre, post), dt=1.0, scheme="central")
    array([[-1.5]])
    """
    pre = _check_activity(pre, "pre")
    post = _check_activity(post, "post")
    if pre.shape[0] != post.shape[0]:
        raise ValueError(f"pre and post must have the same number of steps, got {pre.shape[0]} and {post.shape[0]}")
    dt = check_positive_float(dt, "dt")
    eta = check_positive_float(eta, "eta")
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'forward' or 'central', got {scheme!r}")
    if scheme == "forward":
        # sum_k x_k (y_{k+1} - y_k)/dt * dt
        return eta * pre[:-1].T @ np.diff(post, axis=0)
    return eta * pre.T @ np.gradient(post, axis=0)


def reverse(*activities):
    r"""The same activity replayed backwards in time: :math:`a_r(t_k) = a(t_{n-1-k})`.

    Returns a tuple of copies with the time axis (axis 0) reversed.

    Examples
    --------
    >>> reverse(np.array([1, 2, 3]))
    (array([3, 2, 1]),)
    """
    return tuple(np.asarray(a)[::-1].copy() for a in activities)


def stdp_window(tau, a_plus=1.0, a_minus=1.0, tau_plus=20.0, tau_minus=20.0) -> np.ndarray:
    r"""The pair-based STDP window :math:`K(\tau)`, with :math:`\tau = t_{\text{post}} - t_{\text{pre}}`.

    :math:`K(\tau) = A_+ e^{-\tau/\tau_+}` for :math:`\tau > 0`,
    :math:`-A_- e^{\tau/\tau_-}` for :math:`\tau < 0`, and 0 at :math:`\tau = 0`.

    Parameters
    ----------
    tau : array_like
        Lags (same time unit as ``tau_plus`` and ``tau_minus``).
    a_plus, a_minus : float >= 0
        Amplitudes of potentiation and depression.
    tau_plus, tau_minus : float > 0
        Decay times of the two lobes.

    Examples
    --------
    >>> stdp_window([-20.0, 0.0, 20.0]).round(4)
    array([-0.3679,  0.    ,  0.3679])
    """
    tau = check_finite_array(tau, "tau")
    a_plus, a_minus = check_real(a_plus, "a_plus", low=0), check_real(a_minus, "a_minus", low=0)
    tau_plus = check_positive_float(tau_plus, "tau_plus")
    tau_minus = check_positive_float(tau_minus, "tau_minus")
    out = np.zeros_like(tau)
    pos, neg = tau > 0, tau < 0
    out[pos] = a_plus * np.exp(-tau[pos] / tau_plus)
    out[neg] = -a_minus * np.exp(tau[neg] / tau_minus)
    return out


def _spike_times(t, name: str) -> np.ndarray:
    t = check_finite_array(t, name)
    if t.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array of spike times, got shape {t.shape}")
    return t


def pair_stdp_update(pre_times, post_times, **window) -> float:
    r"""All-pairs STDP: :math:`\Delta w = \sum_{i,j} K(t^{\text{post}}_j - t^{\text{pre}}_i)`.

    Parameters
    ----------
    pre_times, post_times : array_like, 1-d
        Spike times of the presynaptic and postsynaptic cell.
    **window
        Parameters of :func:`stdp_window` (``a_plus``, ``a_minus``,
        ``tau_plus``, ``tau_minus``).

    Examples
    --------
    Pre at 0, post at 10 (causal pair): potentiation; reversed, depression.

    >>> round(pair_stdp_update([0.0], [10.0]), 4)
    0.6065
    >>> round(pair_stdp_update(*reverse_spike_times([0.0], [10.0], duration=10.0)), 4)
    -0.6065
    """
    pre = _spike_times(pre_times, "pre_times")
    post = _spike_times(post_times, "post_times")
    lags = post[None, :] - pre[:, None]
    return float(stdp_window(lags, **window).sum())


def reverse_spike_times(pre_times, post_times, duration):
    r"""Spike times of the same episode replayed backwards: :math:`t \mapsto L - t`.

    Every lag :math:`\tau = t_{\text{post}} - t_{\text{pre}}` becomes :math:`-\tau`.

    Examples
    --------
    >>> reverse_spike_times([1.0, 2.0], [3.0], duration=4.0)
    (array([3., 2.]), array([1.]))
    """
    duration = check_real(duration, "duration")
    pre = _spike_times(pre_times, "pre_times")
    post = _spike_times(post_times, "post_times")
    return duration - pre, duration - post


def derivative_window(tau, width=10.0) -> np.ndarray:
    r"""The STDP window implied by the derivative rule with a Gaussian-smoothed postsynaptic train.

    With presynaptic spikes :math:`x(t) = \sum_i \delta(t - t_i)` and
    postsynaptic activity :math:`y(t) = \sum_j g(t - t_j)`,
    :math:`g(s) = e^{-s^2/(2\sigma^2)}`, the derivative rule gives

    .. math::

        \int x\,\dot y\,dt = \sum_{i,j} g'(t_i - t_j) = \sum_{i,j} K(t_j - t_i),
        \qquad K(\tau) = -g'(\tau) = \frac{\tau}{\sigma^2} e^{-\tau^2/(2\sigma^2)},

    an odd window: potentiation when post follows pre (:math:`\tau > 0`),
    depression when it precedes.

    Examples
    --------
    >>> derivative_window([-10.0, 0.0, 10.0], width=10.0).round(4)
    array([-0.0607,  0.    ,  0.0607])
    """
    tau = check_finite_array(tau, "tau")
    width = check_positive_float(width, "width")
    return tau / width**2 * np.exp(-tau**2 / (2 * width**2))
