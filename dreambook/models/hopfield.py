r"""The Hopfield network: a Boltzmann machine at zero temperature, on :math:`\pm1` units.

States here are **spins** :math:`s \in \{-1, +1\}^n` (not the {0, 1} units of the
other models). The energy is

.. math::

    E(s) = -\tfrac12 s^\top W s = -\sum_{i<j} W_{ij} s_i s_j,

with :math:`W` symmetric and zero on the diagonal, and no biases. The *local
field* of unit *i* is :math:`h_i = \sum_j W_{ij} s_j`; flipping :math:`s_i`
changes the energy by :math:`\Delta E = 2 s_i h_i`, so a state is a **fixed
point** of the zero-temperature dynamics :math:`s_i \leftarrow
\operatorname{sign}(h_i)` exactly when every *aligned field* :math:`s_i h_i` is
:math:`\ge 0` (a unit with :math:`h_i = 0` keeps its value).

Relation to the Boltzmann machine: with :math:`s = 2x - 1` the same energy is a
{0, 1} Boltzmann machine with weights :math:`4W` and biases :math:`-2W\mathbf 1`
(up to the constant :math:`-\tfrac12 \mathbf 1^\top W \mathbf 1`, see
:meth:`HopfieldNetwork.to_boltzmann`), and Gibbs sampling of it at temperature
*T* sets :math:`s_i = +1` with probability :math:`\sigma(2h_i/T)`. As
:math:`T \to 0` that is the deterministic rule above: a Hopfield network is a
Boltzmann machine at zero temperature.

The dynamics (relaxation, retrieval, unlearning) live in :mod:`dreambook.hopfield`.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_finite_array, check_parameter, check_symmetric, check_temperature
from ._common import scalar_or_vector
from .boltzmann import FullyVisibleBM, _check_symmetric_weights

__all__ = ["HopfieldNetwork", "as_spins"]


def as_spins(s, n_units: int | None = None, name: str = "s"):
    """Return ``(s2d, was_1d)``: spin states as a float64 array of shape (m, n_units).

    Every value must be exactly -1 or +1. A 1-d input is one state.

    >>> as_spins([1, -1, 1])[0]
    array([[ 1., -1.,  1.]])
    """
    arr = check_finite_array(s, name)
    if arr.ndim == 1:
        arr, was_1d = arr[None, :], True
    elif arr.ndim == 2:
        was_1d = False
    else:
        raise ValueError(f"{name} must be a 1-d state or a 2-d array of states, got shape {arr.shape}")
    if n_units is not None and arr.shape[1] != n_units:
        raise ValueError(
            f"{name} must have shape ({n_units},) or (n_states, {n_units}), got {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must contain at least one state of at least one unit, got {arr.shape}")
    if not np.all(np.abs(arr) == 1):
        raise ValueError(f"{name} must contain only -1 and +1 (Hopfield states are spins, not 0/1)")
    return arr, was_1d


class HopfieldNetwork:
    r"""Hopfield network on spins :math:`s \in \{-1,+1\}^n`, energy :math:`E(s) = -\tfrac12 s^\top W s`.

    Parameters
    ----------
    W : array_like of shape (n, n)
        Symmetric, zero-diagonal weights (copied).

    Examples
    --------
    >>> net = HopfieldNetwork.hebbian([[1, 1, -1, -1]])
    >>> net.W[0]
    array([ 0.  ,  0.25, -0.25, -0.25])
    >>> net.energy([1, 1, -1, -1]), net.is_fixed_point([1, 1, -1, -1])
    (-1.5, True)
    """

    def __init__(self, W):
        self.W = _check_symmetric_weights(W, "W")
        self._n = self.W.shape[0]

    def check_parameters(self) -> None:
        """Check ``W`` as it is now: (n, n) float64, finite, symmetric, zero diagonal."""
        check_parameter(self.W, "W", (self._n, self._n))
        check_symmetric(self.W, "W")

    @classmethod
    def hebbian(cls, patterns) -> "HopfieldNetwork":
        r"""Store patterns with the Hebb rule :math:`W = \frac1N \sum_\mu \xi^\mu \xi^{\mu\top}`, diagonal zeroed.

        Parameters
        ----------
        patterns : array_like of shape (P, N)
            The stored patterns :math:`\xi^\mu`, spins -1/+1.
        """
        xi, _ = as_spins(patterns, name="patterns")
        n = xi.shape[1]
        W = xi.T @ xi / n
        np.fill_diagonal(W, 0.0)
        return cls(W)

    @property
    def n_units(self) -> int:
        """Number of units *N*."""
        return self.W.shape[0]

    @property
    def params(self) -> dict:
        """The parameter arrays ``{"W": W}`` themselves (not copies)."""
        return {"W": self.W}

    def copy(self) -> "HopfieldNetwork":
        """Independent copy (the weight array is copied)."""
        return HopfieldNetwork(self.W.copy())

    def __repr__(self) -> str:
        return f"HopfieldNetwork(n_units={self.n_units})"

    def energy(self, s):
        r"""Energy :math:`E(s) = -\tfrac12 s^\top W s` of one state or a batch (m, N)."""
        self.check_parameters()
        s2, was_1d = as_spins(s, self.n_units)
        e = -0.5 * np.einsum("mi,ij,mj->m", s2, self.W, s2)
        return scalar_or_vector(e + 0.0, was_1d)

    def local_field(self, s):
        r"""Local fields :math:`h = sW`, i.e. :math:`h_i = \sum_j W_{ij} s_j`; same shape as ``s``."""
        self.check_parameters()
        s2, was_1d = as_spins(s, self.n_units)
        h = s2 @ self.W
        return h[0] if was_1d else h

    def aligned_field(self, s):
        r"""Aligned fields :math:`s_i h_i`: positive where unit *i* agrees with its field.

        Flipping unit *i* changes the energy by :math:`2 s_i h_i`.
        """
        self.check_parameters()
        s2, was_1d = as_spins(s, self.n_units)
        a = s2 * (s2 @ self.W)
        return a[0] if was_1d else a

    def tie_tolerance(self) -> float:
        """Fields with :math:`|h_i|` at most this are treated as exact ties (rounding guard)."""
        return 1e-9 * max(1.0, float(np.abs(self.W).sum(axis=1).max()))

    def is_fixed_point(self, s):
        r"""True where ``s`` is a fixed point: every :math:`s_i h_i \ge 0`.

        A unit whose field is exactly zero (a tie, up to :meth:`tie_tolerance`)
        keeps its value, so it does not make the state unstable. Returns a bool
        for one state, a boolean array for a batch.
        """
        self.check_parameters()
        s2, was_1d = as_spins(s, self.n_units)
        ok = np.all(s2 * (s2 @ self.W) >= -self.tie_tolerance(), axis=1)
        return bool(ok[0]) if was_1d else ok

    def to_boltzmann(self, T=1.0) -> FullyVisibleBM:
        r"""The same energy as a {0, 1} :class:`FullyVisibleBM` via :math:`s = 2x - 1`.

        Returns the model with weights :math:`4W` and biases :math:`-2W\mathbf 1`, whose
        energy equals :math:`E(2x - 1) + \tfrac12 \mathbf 1^\top W \mathbf 1`: the
        same landscape shifted by a constant, so the same Boltzmann distribution
        at every temperature *T*.
        """
        T = check_temperature(T, "T")
        self.check_parameters()
        return FullyVisibleBM(4.0 * self.W, -2.0 * self.W.sum(axis=1), T=T)
