r"""Predictive coding: inference minimizes prediction errors; learning uses only the settled state.

A hierarchy of value nodes :math:`x_0, \dots, x_L` (layer sizes ``sizes``)
in which each layer predicts the next, :math:`\mu_l = W_l\,f(x_{l-1}) + b_l`
with :math:`f = \tanh`, has the prediction-error energy (Whittington & Bogacz, 2017)

.. math::

    F(x; \theta) = \sum_{l=1}^{L} \frac{\pi_l}{2}\,\|x_l - \mu_l\|^2,
    \qquad \varepsilon_l = \pi_l\,(x_l - \mu_l),

with precisions :math:`\pi_l = 1` for hidden layers and :math:`\pi_L = \gamma`
for the output. For supervised learning the input :math:`x_0` and the output
:math:`x_L = y` are clamped and the hidden nodes relax to
:math:`\partial F/\partial x_l = \varepsilon_l - f'(x_l)\odot W_{l+1}^\top\varepsilon_{l+1} = 0`.
The weight update is local and Hebbian, :math:`\Delta W_l = \varepsilon_l\,f(x_{l-1})^\top`
(:math:`= -\partial F/\partial W_l`), and needs **no second phase**: with the
output left free the relaxed state is the feedforward pass, every error is
zero and so is the update.

As :math:`\gamma \to 0` the relaxed errors become the backpropagated ones,
:math:`\varepsilon_l/\gamma \to \delta_l`, so :math:`\Delta W_l / \gamma` tends to
the backpropagation step :math:`-\partial C/\partial W_l` for
:math:`C = \tfrac12\|y - \hat y\|^2` (:func:`backprop_gradient`), with an
:math:`O(\gamma)` error.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_generator, check_finite_array, check_positive_float, check_positive_int

__all__ = ["PCNetwork", "feedforward", "relax", "pc_update", "backprop_gradient", "energy"]


class PCNetwork:
    r"""Weights ``W[l]`` of shape (sizes[l+1], sizes[l]) and biases ``b[l]``, l = 0..L-1."""

    def __init__(self, W, b):
        if len(W) == 0 or len(W) != len(b):
            raise ValueError("W and b must be non-empty lists of the same length (one per layer)")
        self.W = [check_finite_array(w, f"W[{i}]", ndim=2).copy() for i, w in enumerate(W)]
        for i in range(1, len(self.W)):
            if self.W[i].shape[1] != self.W[i - 1].shape[0]:
                raise ValueError(f"W[{i}] must have {self.W[i - 1].shape[0]} columns, got "
                                 f"shape {self.W[i].shape}")
        self.b = [check_finite_array(v, f"b[{i}]", shape=(self.W[i].shape[0],)).copy()
                  for i, v in enumerate(b)]

    @classmethod
    def random(cls, sizes, rng, scale=1.0) -> "PCNetwork":
        """Weights N(0, scale² / fan-in), biases N(0, 0.1²)."""
        rng = as_generator(rng)
        sizes = [check_positive_int(s, "sizes[i]") for s in sizes]
        if len(sizes) < 2:
            raise ValueError("sizes must list at least an input and an output layer")
        W = [rng.normal(0, scale / np.sqrt(a), (c, a)) for a, c in zip(sizes[:-1], sizes[1:])]
        b = [rng.normal(0, 0.1, c) for c in sizes[1:]]
        return cls(W, b)

    @property
    def sizes(self):
        return [self.W[0].shape[1]] + [w.shape[0] for w in self.W]


def _f(x):
    return np.tanh(x)


def _df(x):
    return 1.0 - np.tanh(x) ** 2


def feedforward(net, x0) -> list:
    r"""The feedforward pass :math:`x_l = \mu_l = W_l f(x_{l-1}) + b_l`, as a list of layers.

    The input is used raw in the first prediction (:math:`f` applies to hidden layers only).
    """
    x0 = check_finite_array(x0, "x0", shape=(net.sizes[0],))
    xs = [x0]
    for l, (W, b) in enumerate(zip(net.W, net.b)):
        xs.append(W @ (xs[-1] if l == 0 else _f(xs[-1])) + b)
    return xs


def _mu(net, xs, l):
    prev = xs[l - 1] if l == 1 else _f(xs[l - 1])
    return net.W[l - 1] @ prev + net.b[l - 1]


def _errors(net, xs, gamma):
    L = len(net.W)
    return [None] + [(gamma if l == L else 1.0) * (xs[l] - _mu(net, xs, l)) for l in range(1, L + 1)]


def energy(net, xs, gamma) -> float:
    r""":math:`F = \sum_l \frac{\pi_l}{2}\|x_l - \mu_l\|^2` for the layers ``xs``."""
    L = len(net.W)
    return float(sum(0.5 * (gamma if l == L else 1.0) * np.sum((xs[l] - _mu(net, xs, l)) ** 2)
                     for l in range(1, L + 1)))


def relax(net, x0, y, gamma, lr=0.2, tol=1e-12, max_iter=20000) -> list:
    r"""Relax the hidden value nodes by gradient descent on :math:`F`, input and output clamped.

    Starts from the feedforward pass; stops when the largest
    :math:`|\partial F/\partial x_l|` falls below ``tol`` and raises
    ``RuntimeError`` if that takes more than ``max_iter`` steps.
    """
    gamma = check_positive_float(gamma, "gamma")
    y = check_finite_array(y, "y", shape=(net.sizes[-1],))
    xs = feedforward(net, x0)
    xs[-1] = y.copy()
    L = len(net.W)
    for _ in range(max_iter):
        eps = _errors(net, xs, gamma)
        grads = [eps[l] - _df(xs[l]) * (net.W[l].T @ eps[l + 1]) for l in range(1, L)]
        if not grads or max(np.max(np.abs(g)) for g in grads) < tol * max(1.0, gamma):
            return xs
        for l, g in zip(range(1, L), grads):
            xs[l] = xs[l] - lr * g
    raise RuntimeError(f"relax did not converge to tol={tol} in {max_iter} steps")


def pc_update(net, x0, y, gamma, **relax_kw) -> list:
    r"""Predictive-coding weight updates :math:`\Delta W_l = \varepsilon_l f(x_{l-1})^\top` at equilibrium.

    Returns the list of updates (same shapes as ``net.W``); divide by ``gamma``
    to compare with :func:`backprop_gradient`.
    """
    xs = relax(net, x0, y, gamma, **relax_kw)
    eps = _errors(net, xs, gamma)
    return [np.outer(eps[l], xs[l - 1] if l == 1 else _f(xs[l - 1])) for l in range(1, len(net.W) + 1)]


def backprop_gradient(net, x0, y) -> list:
    r"""Backpropagation's descent step :math:`-\partial C/\partial W_l` for :math:`C = \tfrac12\|y - \hat y\|^2`.

    :math:`\delta_L = y - \hat y`, :math:`\delta_l = f'(x_l)\odot W_{l+1}^\top\delta_{l+1}`,
    step :math:`\delta_l f(x_{l-1})^\top`.
    """
    y = check_finite_array(y, "y", shape=(net.sizes[-1],))
    xs = feedforward(net, x0)
    L = len(net.W)
    delta = [None] * (L + 1)
    delta[L] = y - xs[L]
    for l in range(L - 1, 0, -1):
        delta[l] = _df(xs[l]) * (net.W[l].T @ delta[l + 1])
    return [np.outer(delta[l], xs[l - 1] if l == 1 else _f(xs[l - 1])) for l in range(1, L + 1)]
