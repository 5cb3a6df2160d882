r"""Deterministic two-phase learning: contrastive Hebbian learning and equilibrium propagation.

A layered network with a clamped input :math:`x`, hidden units :math:`h` and
output units :math:`o` settles to a minimum of the energy (a continuous
Hopfield energy in the form of Scellier & Bengio, 2017)

.. math::

    E(h, o; \theta) = \tfrac12\|h\|^2 + \tfrac12\|o\|^2
      - \rho(h)^\top W_1 x - \rho(o)^\top W_2\,\rho(h) - b_1^\top\rho(h) - b_2^\top\rho(o),

with :math:`\rho = \tanh`. The *free phase* settles at
:math:`s^0 = \arg\min_s E`. The prediction is :math:`o^0` and its cost is
:math:`J(\theta) = C(o^0) = \tfrac12\|o^0 - y\|^2`.

* **Equilibrium propagation** nudges the output towards the target: the
  second phase settles at :math:`s^\beta = \arg\min_s (E + \beta C)`, and

  .. math::

      \frac{\partial J}{\partial\theta}
      = \lim_{\beta\to0}\frac1\beta\Big(\frac{\partial E}{\partial\theta}(s^\beta)
        - \frac{\partial E}{\partial\theta}(s^0)\Big),

  with an :math:`O(\beta)` error for this one-sided estimate and :math:`O(\beta^2)`
  for the symmetric one, :math:`(\partial_\theta E(s^{\beta}) - \partial_\theta E(s^{-\beta}))/2\beta`.
  Since :math:`-\partial E/\partial W_2 = \rho(o)\rho(h)^\top` and so on, the
  update is a difference of two Hebbian products: positive (nudged) minus
  negative (free) phase, at zero temperature.
* **Contrastive Hebbian learning** (Movellan, 1991) clamps the output fully,
  :math:`o = y`, and uses the same difference with the clamped state
  :math:`s^c = (\arg\min_h E(h, y), y)`. It descends the contrastive function
  :math:`E(s^c) - E(s^0)`, which is not :math:`J`: it is :math:`\ge 0` only
  while the free phase reaches the global minimum of :math:`E`, and when no
  weights fit every target its descent need not lower :math:`J`
  (:func:`contrastive_function`, :func:`train`).

Fixed points are found by Newton's method on :math:`\nabla_s E` (the Hessian
is written out below) to a gradient norm below ``tol``; :func:`settle`
raises if it does not converge. The exact gradient of :math:`J`, for
comparison, is implicit differentiation (recurrent backpropagation):
:math:`ds/d\beta = -H^{-1}\nabla_s C` at :math:`s^0`, pushed through
:math:`\partial E/\partial\theta` (:func:`true_gradient`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (Settings, as_generator, check_choice, check_finite_array, check_positive_float,
                          check_positive_int, check_settings)
from .training import History

__all__ = ["Network", "settle", "energy", "energy_param_grad", "cost", "eqprop_gradient",
           "chl_direction", "true_gradient", "flatten", "loss", "contrastive_function", "Rule", "train", "RULES"]

_KEYS = ("W1", "W2", "b1", "b2")


@dataclass
class Network:
    r"""Parameters of the layered energy network: ``W1`` (n_h, n_x), ``W2`` (n_o, n_h), ``b1``, ``b2``."""

    W1: np.ndarray
    W2: np.ndarray
    b1: np.ndarray
    b2: np.ndarray

    def __post_init__(self):
        self.W1 = check_finite_array(self.W1, "W1", ndim=2).copy()
        nh, _ = self.W1.shape
        self.W2 = check_finite_array(self.W2, "W2", shape=(None, nh)).copy()
        self.b1 = check_finite_array(self.b1, "b1", shape=(nh,)).copy()
        self.b2 = check_finite_array(self.b2, "b2", shape=(self.W2.shape[0],)).copy()

    @classmethod
    def random(cls, n_x, n_h, n_o, rng, scale=0.5) -> "Network":
        """Weights drawn from N(0, scale² / fan-in), biases N(0, 0.1²)."""
        rng = as_generator(rng)
        return cls(rng.normal(0, scale / np.sqrt(n_x), (n_h, n_x)),
                   rng.normal(0, scale / np.sqrt(n_h), (n_o, n_h)),
                   rng.normal(0, 0.1, n_h), rng.normal(0, 0.1, n_o))

    @property
    def params(self) -> dict:
        return {k: getattr(self, k) for k in _KEYS}

    @property
    def sizes(self):
        return self.W1.shape[1], self.W1.shape[0], self.W2.shape[0]


def flatten(grads: dict) -> np.ndarray:
    """Concatenate a gradient dict (keys W1, W2, b1, b2) into one vector."""
    return np.concatenate([np.ravel(grads[k]) for k in _KEYS])


def _rho(s):
    return np.tanh(s)


def _drho(s):
    return 1.0 - np.tanh(s) ** 2


def _d2rho(s):
    t = np.tanh(s)
    return -2.0 * t * (1.0 - t * t)


def _check_xy(net, x, y):
    n_x, _, n_o = net.sizes
    x = check_finite_array(x, "x", shape=(n_x,))
    y = None if y is None else check_finite_array(y, "y", shape=(n_o,))
    return x, y


def energy(net, x, h, o) -> float:
    """The energy :math:`E(h, o; \\theta)` with input ``x`` clamped."""
    rh, ro = _rho(h), _rho(o)
    return float(0.5 * h @ h + 0.5 * o @ o - rh @ net.W1 @ x - ro @ net.W2 @ rh
                 - net.b1 @ rh - net.b2 @ ro)


def cost(o, y) -> float:
    r""":math:`C(o) = \tfrac12\|o - y\|^2`."""
    return float(0.5 * np.sum((np.asarray(o) - np.asarray(y)) ** 2))


def _grad_hess(net, x, h, o, beta, y, clamp_output):
    rh, ro, dh, do = _rho(h), _rho(o), _drho(h), _drho(o)
    uh = net.W1 @ x + net.W2.T @ ro + net.b1       # field on rho(h)
    uo = net.W2 @ rh + net.b2                      # field on rho(o)
    gh = h - dh * uh
    Hhh = np.eye(len(h)) - np.diag(_d2rho(h) * uh)
    if clamp_output:
        return gh, Hhh
    go = o - do * uo + (beta * (o - y) if beta else 0.0)
    Hoo = np.eye(len(o)) * (1.0 + beta) - np.diag(_d2rho(o) * uo)
    Hho = -(dh[:, None] * net.W2.T * do[None, :])
    g = np.concatenate([gh, go])
    H = np.block([[Hhh, Hho], [Hho.T, Hoo]])
    return g, H


def _damped_newton_step(H, g):
    """Solve (H + lam I) step = g with the smallest lam in 0, 1e-6, 1e-5, ... making it positive definite."""
    H = 0.5 * (H + H.T)
    lam = 0.0
    while True:
        try:
            L = np.linalg.cholesky(H + lam * np.eye(len(g)))
            return np.linalg.solve(L.T, np.linalg.solve(L, g))
        except np.linalg.LinAlgError:
            lam = 1e-6 if lam == 0.0 else 10.0 * lam


def settle(net, x, y=None, beta=0.0, clamp_output=False, tol=1e-12, max_iter=200, init=None):
    r"""Settle to a fixed point: :math:`\arg\min_s E + \beta C` (or :math:`E(h, y)` over :math:`h` when clamped).

    Newton's method from the feedforward guess :math:`h = W_1x + b_1`,
    :math:`o = W_2\rho(h) + b_2` (or from ``init = (h, o)`` if given), damped
    where the Hessian is not positive definite, halving the step if the energy
    would rise. Returns ``(h, o)``. When the energy has several minima, the one
    found is the one this descent reaches from its starting state.

    Raises
    ------
    RuntimeError
        If the gradient norm is not below ``tol`` after ``max_iter`` steps, or
        the Hessian is not positive definite at the end (a saddle, not a minimum).
    """
    x, y = _check_xy(net, x, y)
    beta = float(beta)
    if not np.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta}")
    if (beta != 0.0 or clamp_output) and y is None:
        raise ValueError("y (the target) is required when beta != 0 or the output is clamped")
    if init is None:
        h = net.W1 @ x + net.b1
        o = net.W2 @ _rho(h) + net.b2
    else:
        n_h, n_o = net.sizes[1:]
        h = check_finite_array(init[0], "init[0] (h)", shape=(n_h,)).copy()
        o = check_finite_array(init[1], "init[1] (o)", shape=(n_o,)).copy()
    if clamp_output:
        o = y.copy()

    def total(h_, o_):
        return energy(net, x, h_, o_) + (beta * cost(o_, y) if beta else 0.0)

    for _ in range(max_iter):
        g, H = _grad_hess(net, x, h, o, beta, y, clamp_output)
        if np.linalg.norm(g) < tol:
            if np.min(np.linalg.eigvalsh(0.5 * (H + H.T))) <= 0:
                raise RuntimeError("settle reached a stationary point that is not a minimum")
            return h, o
        step = _damped_newton_step(H, g)
        t, f0 = 1.0, total(h, o)
        while True:
            nh = h - t * step[: len(h)]
            no = o if clamp_output else o - t * step[len(h):]
            if total(nh, no) <= f0 + 1e-12 * max(1.0, abs(f0)) or t < 1e-8:
                break
            t *= 0.5
        h, o = nh, no
    raise RuntimeError(f"settle did not converge to |grad| < {tol} in {max_iter} Newton steps")


def energy_param_grad(net, x, h, o) -> dict:
    r""":math:`\partial E/\partial\theta` at the state ``(h, o)``: minus the Hebbian products.

    ``W1``: :math:`-\rho(h)x^\top`; ``W2``: :math:`-\rho(o)\rho(h)^\top`;
    ``b1``: :math:`-\rho(h)`; ``b2``: :math:`-\rho(o)`.
    """
    rh, ro = _rho(h), _rho(o)
    return {"W1": -np.outer(rh, x), "W2": -np.outer(ro, rh), "b1": -rh, "b2": -ro}


def eqprop_gradient(net, x, y, beta, symmetric=False, tol=1e-12) -> dict:
    r"""Equilibrium-propagation estimate of :math:`\partial J/\partial\theta`.

    One-sided: :math:`\frac1\beta(\partial_\theta E(s^\beta) - \partial_\theta E(s^0))`;
    symmetric: :math:`\frac1{2\beta}(\partial_\theta E(s^\beta) - \partial_\theta E(s^{-\beta}))`.
    Gradient *descent* on :math:`J` subtracts it.
    """
    beta = check_positive_float(beta, "beta")
    x, y = _check_xy(net, x, y)
    plus = energy_param_grad(net, x, *settle(net, x, y, beta, tol=tol))
    if symmetric:
        minus = energy_param_grad(net, x, *settle(net, x, y, -beta, tol=tol))
        return {k: (plus[k] - minus[k]) / (2 * beta) for k in _KEYS}
    free = energy_param_grad(net, x, *settle(net, x, tol=tol))
    return {k: (plus[k] - free[k]) / beta for k in _KEYS}


def chl_direction(net, x, y, tol=1e-12) -> dict:
    r"""Contrastive Hebbian learning: :math:`\partial_\theta E(s^c) - \partial_\theta E(s^0)`, output clamped to ``y``.

    This is the gradient of the contrastive function :math:`E(s^c) - E(s^0)`
    (envelope theorem), the quantity CHL descends.
    """
    x, y = _check_xy(net, x, y)
    clamped = energy_param_grad(net, x, *settle(net, x, y, clamp_output=True, tol=tol))
    free = energy_param_grad(net, x, *settle(net, x, tol=tol))
    return {k: clamped[k] - free[k] for k in _KEYS}


def true_gradient(net, x, y, tol=1e-12) -> dict:
    r"""Exact :math:`\partial J/\partial\theta` by implicit differentiation at the free fixed point.

    With :math:`\dot s = ds^\beta/d\beta|_0 = -H^{-1}\,(0, o^0 - y)`, the gradient is
    the directional derivative of :math:`\partial E/\partial\theta` along :math:`\dot s`.
    """
    x, y = _check_xy(net, x, y)
    return _gradient_at(net, x, y, *settle(net, x, tol=tol))


def _gradient_at(net, x, y, h, o) -> dict:
    """:func:`true_gradient` at an already settled free state ``(h, o)``."""
    _, H = _grad_hess(net, x, h, o, 0.0, y, False)
    rhs = np.concatenate([np.zeros(len(h)), o - y])
    sdot = -np.linalg.solve(H, rhs)
    dh, do = sdot[: len(h)], sdot[len(h):]
    rh, ro = _rho(h), _rho(o)
    drh, dro = _drho(h) * dh, _drho(o) * do
    return {"W1": -np.outer(drh, x), "W2": -np.outer(dro, rh) - np.outer(ro, drh),
            "b1": -drh, "b2": -dro}


def loss(net, x, y, tol=1e-12) -> float:
    r""":math:`J(\theta) = C(o^0)` at the free fixed point."""
    x, y = _check_xy(net, x, y)
    return cost(settle(net, x, tol=tol)[1], y)


def contrastive_function(net, x, y, tol=1e-12) -> float:
    r"""Movellan's contrastive function :math:`E(s^c) - E(s^0)`, whose gradient CHL follows.

    It is :math:`\ge 0` whenever the free phase reaches the *global* minimum of
    :math:`E` (the clamped state is a constrained minimum, so its energy is at
    least the global one). A negative value therefore proves that the free
    phase sits in a higher local minimum: the energy has at least two minima.
    """
    x, y = _check_xy(net, x, y)
    hc, oc = settle(net, x, y, clamp_output=True, tol=tol)
    h0, o0 = settle(net, x, tol=tol)
    return energy(net, x, hc, oc) - energy(net, x, h0, o0)


#: The learning rules :func:`train` knows: name -> what the update follows.
RULES = {"gradient": "the exact gradient of J (implicit differentiation)",
         "eqprop": "the symmetric equilibrium-propagation estimate at nudging beta",
         "chl": "contrastive Hebbian learning, output clamped to the target"}


@dataclass(frozen=True)
class Rule(Settings):
    r"""How :func:`train` makes each update: the learning rule, its step and its settling.

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    name : {"gradient", "eqprop", "chl"}
        The update followed (:data:`RULES`).
    lr : float
        Learning rate :math:`\eta > 0`.
    beta : float, default 0.01
        Nudging strength of ``"eqprop"`` (ignored by the other rules).
    tol : float, default 1e-12
        Tolerance of :func:`settle` for both phases.

    Examples
    --------
    >>> Rule("chl", lr=0.1)
    Rule(name='chl', lr=0.1, beta=0.01, tol=1e-12)
    """

    name: str
    lr: float
    beta: float = 0.01
    tol: float = 1e-12

    def __post_init__(self):
        self._set("name", check_choice(self.name, "rule", tuple(RULES)))
        self._set("lr", check_positive_float(self.lr, "lr"))
        self._set("beta", check_positive_float(self.beta, "beta"))
        self._set("tol", check_positive_float(self.tol, "tol"))


def train(net, X, Y, *, n_updates, settings: Rule) -> History:
    r"""Full-batch training: :math:`\theta \leftarrow \theta - \eta\,\frac1N\sum_n u_n(\theta)`.

    The update :math:`u_n` of pattern :math:`(x_n, y_n)` is, by ``settings.name`` (a :class:`Rule`):
    ``"gradient"``, :math:`\partial J_n/\partial\theta` (:func:`true_gradient`);
    ``"eqprop"``, the symmetric estimate at ``beta`` (:func:`eqprop_gradient`);
    ``"chl"``, :math:`\partial_\theta E(s^c) - \partial_\theta E(s^0)` (:func:`chl_direction`).
    ``net`` is not modified.

    Returns
    -------
    History
        Method ``rule``; final field ``net``, the trained :class:`Network`.
        Columns, one row per step, before that step's update:
        ``n_updates`` (0, ..., n_updates - 1): updates made before the row;
        ``loss`` (n_updates,): the mean cost :math:`\frac1N\sum_n C(o^0_n)`;
        ``contrast`` (n_updates, N): :func:`contrastive_function` per pattern;
        ``output`` (n_updates, N, n_o): the free-phase outputs :math:`o^0_n`;
        ``cosine`` (n_updates,): the cosine between the step's mean update and
        the exact mean gradient :math:`\frac1N\sum_n \partial J_n/\partial\theta`
        (1 for ``"gradient"``; where it is negative, a small step along the update
        raises the cost; near a minimum of :math:`J`, where the gradient
        vanishes, it measures only the update's own error).
    """
    settings = check_settings(settings, Rule)
    rule, lr, beta, tol = settings.name, settings.lr, settings.beta, settings.tol
    n_updates = check_positive_int(n_updates, "n_updates")
    n_x, _, n_o = net.sizes
    X = check_finite_array(X, "X", shape=(None, n_x))
    Y = check_finite_array(Y, "Y", shape=(len(X), n_o))
    net = Network(**net.params)
    loss_, cosine = np.empty(n_updates), np.empty(n_updates)
    contrast, output = np.empty((n_updates, len(X))), np.empty((n_updates, len(X), n_o))
    for t in range(n_updates):
        total = {k: np.zeros_like(v) for k, v in net.params.items()}
        grad = np.zeros(sum(v.size for v in total.values()))
        for n, (x, y) in enumerate(zip(X, Y)):
            h0, o0 = settle(net, x, tol=tol)
            hc, oc = settle(net, x, y, clamp_output=True, tol=tol)
            output[t, n], contrast[t, n] = o0, energy(net, x, hc, oc) - energy(net, x, h0, o0)
            g = _gradient_at(net, x, y, h0, o0)
            grad += flatten(g)
            if rule == "chl":
                free, clamped = energy_param_grad(net, x, h0, o0), energy_param_grad(net, x, hc, oc)
                u = {k: clamped[k] - free[k] for k in _KEYS}
            elif rule == "eqprop":
                u = eqprop_gradient(net, x, y, beta, symmetric=True, tol=tol)
            else:
                u = g
            for k in _KEYS:
                total[k] += u[k]
        loss_[t] = np.mean([cost(o, y) for o, y in zip(output[t], Y)])
        step = flatten(total)
        cosine[t] = step @ grad / (np.linalg.norm(step) * np.linalg.norm(grad))
        for k in _KEYS:
            setattr(net, k, getattr(net, k) - lr * total[k] / len(X))
    return History(rule, {"n_updates": np.arange(n_updates), "loss": loss_, "contrast": contrast,
                          "output": output, "cosine": cosine}, final={"net": net})
