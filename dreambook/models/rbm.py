r"""Restricted Boltzmann machine with binary visible and hidden units.

.. math::

    E(v, h) = -v^\top W h - b^\top v - c^\top h, \qquad
    p(v, h) = \frac{\exp(-E(v, h)/T)}{Z}.

There are no visible-visible or hidden-hidden connections, so the hidden units
are independent given the visible ones (and vice versa), and the hidden units
can be summed out in closed form, giving the free energy

.. math::

    F(v) = -b^\top v - T \sum_j \operatorname{softplus}\!\big((c_j + (vW)_j)/T\big),
    \qquad p(v) = \frac{\exp(-F(v)/T)}{Z},

where :math:`\operatorname{softplus}(a) = \log(1 + e^a)`.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    as_generator,
    check_finite_array,
    check_parameter,
    check_positive_float,
    check_positive_int,
)
from .._special import sigmoid, softplus
from ._common import TemperatureMixin, as_states, scalar_or_vector

__all__ = ["RBM"]


class RBM(TemperatureMixin):
    r"""Restricted Boltzmann machine :math:`E(v,h) = -v^\top W h - b^\top v - c^\top h`.

    Parameters
    ----------
    W : array_like, shape (n_visible, n_hidden)
        Visible-to-hidden weights.
    b : array_like, shape (n_visible,)
        Visible biases.
    c : array_like, shape (n_hidden,)
        Hidden biases.
    T : float, default 1.0
        Temperature, > 0.

    Examples
    --------
    One visible and one hidden unit joined by a weight of 2:

    >>> rbm = RBM([[2.0]], [0.0], [0.0])
    >>> float(rbm.energy([1.0], [1.0]))
    -2.0
    >>> rbm.hidden_probs([[0.0], [1.0]])          # sigma((vW + c)/T)
    array([[0.5       ],
           [0.88079708]])
    >>> # F(v) = -b v - T softplus(c + vW): here F(1) = -log(1 + e^2)
    >>> bool(np.isclose(rbm.free_energy([1.0]), -np.log1p(np.exp(2.0))))
    True
    """

    def __init__(self, W, b, c, T=1.0):
        W = check_finite_array(W, "W", ndim=2)
        if W.shape[0] == 0 or W.shape[1] == 0:
            raise ValueError(
                f"W must have shape (n_visible, n_hidden) with both >= 1, got {W.shape}"
            )
        self.W = np.array(W, dtype=np.float64, copy=True)
        nv, nh = W.shape
        self.b = np.array(check_finite_array(b, "b", shape=(nv,)), dtype=np.float64, copy=True)
        self.c = np.array(check_finite_array(c, "c", shape=(nh,)), dtype=np.float64, copy=True)
        self._shape = (nv, nh)
        self.T = T

    def check_parameters(self) -> None:
        """Check the parameters as they are now (they may have been edited in place).

        ``W`` must still be an (n_visible, n_hidden) finite float64 array, ``b``
        and ``c`` finite vectors of matching lengths. Samplers, enumerators and
        learning rules call this before using the model.
        """
        nv, nh = self._shape
        check_parameter(self.W, "W", (nv, nh))
        check_parameter(self.b, "b", (nv,))
        check_parameter(self.c, "c", (nh,))

    # -- attributes ---------------------------------------------------------

    @property
    def n_visible(self) -> int:
        """Number of visible units."""
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        """Number of hidden units."""
        return self.W.shape[1]

    @property
    def params(self) -> dict:
        """The parameter arrays ``{"W": W, "b": b, "c": c}`` themselves (not copies)."""
        return {"W": self.W, "b": self.b, "c": self.c}

    @classmethod
    def random(cls, n_visible: int, n_hidden: int, rng, scale: float = 0.01, T=1.0) -> "RBM":
        r"""Small random weights :math:`W_{ij} \sim N(0, \text{scale}^2)`, zero biases."""
        nv = check_positive_int(n_visible, "n_visible")
        nh = check_positive_int(n_hidden, "n_hidden")
        rng = as_generator(rng)
        scale = check_positive_float(scale, "scale")
        return cls(rng.normal(0.0, scale, size=(nv, nh)), np.zeros(nv), np.zeros(nh), T=T)

    @classmethod
    def zeros(cls, n_visible: int, n_hidden: int, T=1.0) -> "RBM":
        """All-zero parameters (the uniform distribution)."""
        nv = check_positive_int(n_visible, "n_visible")
        nh = check_positive_int(n_hidden, "n_hidden")
        return cls(np.zeros((nv, nh)), np.zeros(nv), np.zeros(nh), T=T)

    def copy(self) -> "RBM":
        """Independent copy (arrays are copied)."""
        return RBM(self.W.copy(), self.b.copy(), self.c.copy(), T=self.T)

    # -- energies -----------------------------------------------------------
    def energy(self, v, h):
        r"""Joint energy :math:`E(v, h) = -v^\top W h - b^\top v - c^\top h`.

        ``v`` has shape (n_visible,) or (m, n_visible), ``h`` likewise with
        n_hidden; batches must have the same length *m*. Returns a float for
        one pair of 1-d states, otherwise an (m,) array.
        """
        self.check_parameters()
        v2, v1d = as_states(v, self.n_visible, "v")
        h2, h1d = as_states(h, self.n_hidden, "h")
        if v2.shape[0] != h2.shape[0] and not (v1d or h1d):
            raise ValueError(
                f"v and h must hold the same number of states, got {v2.shape[0]} and {h2.shape[0]}"
            )
        e = -np.sum((v2 @ self.W) * h2, axis=1) - v2 @ self.b - h2 @ self.c
        return scalar_or_vector(e, v1d and h1d)

    def free_energy(self, v, T=None):
        r"""Free energy of visible states, summing out the hidden units.

        .. math::

            F(v) = -b^\top v - T\sum_j \operatorname{softplus}\big((c_j + (vW)_j)/T\big).

        It satisfies :math:`\exp(-F(v)/T) = \sum_h \exp(-E(v,h)/T)`, so
        :math:`p(v) = \exp(-F(v)/T)/Z`. ``T`` defaults to ``self.T``.
        """
        T = self._resolve_T(T)
        self.check_parameters()
        v2, was_1d = as_states(v, self.n_visible, "v")
        f = -v2 @ self.b - T * softplus((v2 @ self.W + self.c) / T).sum(axis=1)
        return scalar_or_vector(f, was_1d)

    def unnormalized_log_prob(self, v, T=None):
        r"""Marginal log-probability of visible states up to :math:`-\log Z`: :math:`-F(v)/T`."""
        T = self._resolve_T(T)
        return -self.free_energy(v, T=T) / T

    def sufficient_statistics(self, v, h) -> dict:
        r"""Mean statistics ``{"W": mean v hᵀ, "b": mean v, "c": mean h}``.

        For one pair, :math:`-E(v,h) = \langle W, v h^\top\rangle + b^\top v + c^\top h`.
        ``h`` may be hidden probabilities instead of samples (the usual
        Rao-Blackwellised positive phase).
        """
        v2, _ = as_states(v, self.n_visible, "v")
        h2, _ = as_states(h, self.n_hidden, "h")
        if v2.shape[0] != h2.shape[0]:
            raise ValueError(
                f"v and h must hold the same number of states, got {v2.shape[0]} and {h2.shape[0]}"
            )
        m = v2.shape[0]
        return {"W": v2.T @ h2 / m, "b": v2.mean(axis=0), "c": h2.mean(axis=0)}

    # -- conditionals -------------------------------------------------------
    def hidden_probs(self, v, T=None):
        r""":math:`p(h_j = 1 \mid v) = \sigma((c_j + (vW)_j)/T)`, same leading shape as ``v``.

        ``v`` may hold probabilities rather than binary states.
        """
        T = self._resolve_T(T)
        self.check_parameters()
        v2, was_1d = as_states(v, self.n_visible, "v")
        p = sigmoid((v2 @ self.W + self.c) / T)
        return p[0] if was_1d else p

    def visible_probs(self, h, T=None):
        r""":math:`p(v_i = 1 \mid h) = \sigma((b_i + (hW^\top)_i)/T)`, same leading shape as ``h``.

        ``h`` may hold probabilities rather than binary states.
        """
        T = self._resolve_T(T)
        self.check_parameters()
        h2, was_1d = as_states(h, self.n_hidden, "h")
        p = sigmoid((h2 @ self.W.T + self.b) / T)
        return p[0] if was_1d else p

    def sample_hidden(self, v, rng, T=None):
        """Draw binary hidden states :math:`h \\sim p(h \\mid v)` (float64 0/1)."""
        rng = as_generator(rng)
        p = self.hidden_probs(v, T=T)
        return (rng.random(p.shape) < p).astype(np.float64)

    def sample_visible(self, h, rng, T=None):
        """Draw binary visible states :math:`v \\sim p(v \\mid h)` (float64 0/1)."""
        rng = as_generator(rng)
        p = self.visible_probs(h, T=T)
        return (rng.random(p.shape) < p).astype(np.float64)

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, T={self.T})"
