r"""Boltzmann machines with symmetric pairwise weights.

Both classes here use the same energy over binary states :math:`x \in \{0,1\}^n`,

.. math::

    E(x) = -\tfrac12 x^\top W x - b^\top x = -\sum_{i<j} W_{ij} x_i x_j - \sum_i b_i x_i,

with :math:`W` symmetric and zero on the diagonal, and the Boltzmann distribution
:math:`p(x) = \exp(-E(x)/T) / Z`. :class:`FullyVisibleBM` has only visible units;
:class:`BoltzmannMachine` adds hidden units and a connectivity mask, as in
Ackley, Hinton & Sejnowski (1985).

Parameter convention (used by the gradients in :mod:`dreambook.exact`)
----------------------------------------------------------------------
The symmetric pair :math:`W_{ij} = W_{ji}` is **one** parameter :math:`w_{ij}`
(the connection between units *i* and *j*). ``sufficient_statistics`` returns
``{"W": S, "b": s}`` with :math:`S_{ij} = x_i x_j` for :math:`i \ne j` (zero on
the diagonal) and :math:`s_i = x_i`, so that

.. math::

    -E(x) = \sum_{i<j} W_{ij} S_{ij} + \sum_i b_i s_i
          = \tfrac12 \sum_{i,j} W_{ij} S_{ij} + b^\top s,

and :math:`\partial(-E)/\partial w_{ij} = x_i x_j = S_{ij}`. Adding a multiple of a
gradient built from these statistics to ``W`` therefore keeps ``W`` symmetric
and moves each connection by the classic rule

.. math::

    \Delta w_{ij} \propto \langle x_i x_j\rangle_{\rm data} - \langle x_i x_j\rangle_{\rm model}.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    as_generator,
    check_finite_array,
    check_nonnegative_int,
    check_parameter,
    check_positive_float,
    check_positive_int,
    check_symmetric,
    check_temperature,
)
from ._common import TemperatureMixin, as_states, scalar_or_vector

__all__ = ["FullyVisibleBM", "BoltzmannMachine", "block_mask", "two_mode_ferromagnet"]


def _check_symmetric_weights(W, name: str = "W") -> np.ndarray:
    """Validate a square, symmetric, zero-diagonal weight matrix; return a float64 copy."""
    W = check_finite_array(W, name, ndim=2)
    n = W.shape[0]
    if W.shape != (n, n) or n == 0:
        raise ValueError(f"{name} must be a non-empty square (n, n) matrix, got shape {W.shape}")
    check_symmetric(W, name)
    # Exactly symmetric, and a copy the caller does not share. Halving first is
    # exact and cannot overflow (0.5 * (W + W.T) turns W = 1e308 into inf).
    return 0.5 * W + 0.5 * W.T


def _check_bias(b, n: int, name: str = "b") -> np.ndarray:
    return np.array(check_finite_array(b, name, shape=(n,)), dtype=np.float64, copy=True)


class _PairwiseBinaryModel(TemperatureMixin):
    """Shared implementation of the pairwise energy; see the module docstring."""

    def __init__(self, W, b, T=1.0):
        self.W = _check_symmetric_weights(W, "W")
        self.b = _check_bias(b, self.W.shape[0], "b")
        self._n = self.W.shape[0]
        self.T = T

    def check_parameters(self) -> None:
        """Check the parameters as they are now (they may have been edited in place).

        ``W`` must still be an (n, n) float64 array, finite, symmetric, with a
        zero diagonal (and zero off the mask); ``b`` an (n,) finite array.
        Every sampler, enumerator and learning rule calls this before using
        the model, so a NaN or an asymmetric edit is refused, not sampled.
        """
        check_parameter(self.W, "W", (self._n, self._n))
        check_parameter(self.b, "b", (self._n,))
        check_symmetric(self.W, "W")
        self._check_mask_support()

    def _check_mask_support(self) -> None:
        pass

    # -- basic attributes -------------------------------------------------
    @property
    def n_units(self) -> int:
        """Total number of units *n* (the length of a state vector)."""
        return self.W.shape[0]

    @property
    def params(self) -> dict:
        """The parameter arrays ``{"W": W, "b": b}`` themselves (not copies).

        In-place updates such as ``model.params["W"] += step`` change the model;
        keep ``W`` symmetric with a zero diagonal when you do so.
        """
        return {"W": self.W, "b": self.b}

    # -- energy and probabilities ----------------------------------------
    def energy(self, x):
        r"""Energy :math:`E(x) = -\tfrac12 x^\top W x - b^\top x`.

        Parameters
        ----------
        x : array_like, shape (n_units,) or (m, n_units)
            One state or a batch of states (binary in the book; any finite
            real values are accepted).

        Returns
        -------
        float or ndarray of shape (m,)
        """
        self.check_parameters()
        x, was_1d = as_states(x, self.n_units, "x")
        e = -0.5 * np.einsum("mi,ij,mj->m", x, self.W, x) - x @ self.b
        return scalar_or_vector(e + 0.0, was_1d)  # + 0.0 turns -0.0 into 0.0

    def unnormalized_log_prob(self, x, T=None):
        r"""Return :math:`-E(x)/T`, the log-probability up to the constant :math:`-\log Z`.

        ``T`` defaults to the model's temperature ``self.T``.
        """
        T = self._resolve_T(T)
        e = self.energy(x)
        return -e / T

    def local_field(self, x):
        r"""Local field :math:`u = xW + b`, i.e. :math:`u_i = \sum_j W_{ij} x_j + b_i`.

        Because the diagonal of ``W`` is zero, :math:`u_i` does not depend on
        :math:`x_i`, and it is the energy gap
        :math:`u_i = E(x_{i}{=}0) - E(x_{i}{=}1)`. Hence the Gibbs conditional
        :math:`p(x_i = 1 \mid x_{-i}) = \sigma(u_i / T)`.

        Returns an array of the same shape as ``x``.
        """
        self.check_parameters()
        x2, was_1d = as_states(x, self.n_units, "x")
        u = x2 @ self.W + self.b
        return u[0] if was_1d else u

    def sufficient_statistics(self, x) -> dict:
        r"""Mean sufficient statistics of a batch of states, keyed like :attr:`params`.

        ``{"W": mean over samples of x xᵀ with a zero diagonal, "b": mean of x}``.
        With the symmetric pair :math:`W_{ij} = W_{ji}` counted as one parameter,
        :math:`-E(x) = \sum_{i<j} W_{ij} S_{ij} + b^\top s` for a single state
        (see the module docstring). For a :class:`BoltzmannMachine` the ``"W"``
        entry is zero wherever ``mask`` is False.

        >>> m = FullyVisibleBM.random(3, rng=0)
        >>> x = np.array([1.0, 0.0, 1.0])
        >>> s = m.sufficient_statistics(x)
        >>> bool(np.isclose(-m.energy(x), 0.5 * np.sum(m.W * s["W"]) + m.b @ s["b"]))
        True
        """
        x2, _ = as_states(x, self.n_units, "x")
        S = x2.T @ x2 / x2.shape[0]
        np.fill_diagonal(S, 0.0)
        return {"W": S * self._stat_mask(), "b": x2.mean(axis=0)}

    def _stat_mask(self):
        return 1.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_units={self.n_units}, T={self.T})"


class FullyVisibleBM(_PairwiseBinaryModel):
    r"""Fully visible Boltzmann machine (all units observed).

    .. math::

        E(x) = -\tfrac12 x^\top W x - b^\top x, \qquad
        p(x) = \frac{\exp(-E(x)/T)}{Z}, \qquad x \in \{0, 1\}^n.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric weights with a zero diagonal.
    b : array_like, shape (n,)
        Biases.
    T : float, default 1.0
        Temperature, > 0.

    Examples
    --------
    Two units that like to be on together: the state (1, 1) has the lowest
    energy, so it is the most probable.

    >>> m = FullyVisibleBM([[0.0, 2.0], [2.0, 0.0]], [-1.0, -1.0])
    >>> m.energy([[0, 0], [0, 1], [1, 0], [1, 1]])
    array([0., 1., 1., 0.])
    >>> m.local_field([1.0, 0.0])   # u_i = sum_j W_ij x_j + b_i
    array([-1.,  1.])
    """

    @classmethod
    def zeros(cls, n_units: int, T=1.0) -> "FullyVisibleBM":
        """All-zero weights and biases (the uniform distribution)."""
        n = check_positive_int(n_units, "n_units")
        return cls(np.zeros((n, n)), np.zeros(n), T=T)

    @classmethod
    def random(cls, n_units: int, rng, scale: float = 1.0, T=1.0) -> "FullyVisibleBM":
        r"""Random model: :math:`W_{ij} = W_{ji} \sim N(0, \text{scale}^2)` for
        :math:`i < j`, :math:`b_i \sim N(0, \text{scale}^2)`, zero diagonal."""
        n = check_positive_int(n_units, "n_units")
        rng = as_generator(rng)
        scale = check_positive_float(scale, "scale")
        upper = np.triu(rng.normal(0.0, scale, size=(n, n)), k=1)
        return cls(upper + upper.T, rng.normal(0.0, scale, size=n), T=T)

    def copy(self) -> "FullyVisibleBM":
        """Independent copy (arrays are copied)."""
        return FullyVisibleBM(self.W.copy(), self.b.copy(), T=self.T)


def block_mask(group_sizes, connected) -> np.ndarray:
    """Boolean connectivity mask for units arranged in consecutive groups.

    Parameters
    ----------
    group_sizes : sequence of int
        Sizes of consecutive groups of units (visible groups first).
    connected : iterable of (int, int)
        Pairs of group indices to connect; ``(g, g)`` connects the units within
        group *g* to each other. The diagonal (self-connections) is always False.

    Examples
    --------
    The 4-2-4 encoder of Ackley, Hinton & Sejnowski (1985): visible groups V1
    (units 0-3) and V2 (units 4-7), hidden group H (units 8-9); connections
    within V1, within V2, V1-H and H-V2, but none between V1 and V2.

    >>> mask = block_mask([4, 4, 2], [(0, 0), (1, 1), (0, 2), (1, 2)])
    >>> mask.shape, bool(mask[0, 1]), bool(mask[0, 4]), bool(mask[0, 8]), bool(mask[4, 9])
    ((10, 10), True, False, True, True)
    >>> int(mask.sum()) // 2    # 6 + 6 + 8 + 8 connections
    28
    """
    sizes = [check_positive_int(s, "group_sizes") for s in group_sizes]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    n = int(starts[-1])
    mask = np.zeros((n, n), dtype=bool)
    for pair in connected:
        if len(pair) != 2 or not all(0 <= int(g) < len(sizes) for g in pair):
            raise ValueError(
                f"connected must hold pairs of group indices in 0..{len(sizes) - 1}, got {pair!r}"
            )
        g, h = (int(p) for p in pair)
        mask[starts[g] : starts[g + 1], starts[h] : starts[h + 1]] = True
        mask[starts[h] : starts[h + 1], starts[g] : starts[g + 1]] = True
    np.fill_diagonal(mask, False)
    return mask


def _check_mask(mask, n: int) -> np.ndarray:
    if mask is None:
        full = np.ones((n, n), dtype=bool)
        np.fill_diagonal(full, False)
        return full
    arr = np.asarray(mask)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"mask must be a boolean (n, n) array, got dtype {arr.dtype}")
    if arr.shape != (n, n):
        raise ValueError(f"mask must have shape ({n}, {n}) like W, got {arr.shape}")
    if arr.dtype != bool:
        if not np.all((arr == 0) | (arr == 1)):
            raise ValueError("mask must be boolean (or contain only 0 and 1)")
        arr = arr.astype(bool)
    if not np.array_equal(arr, arr.T):
        raise ValueError("mask must be symmetric (connections are undirected)")
    arr = arr.copy()
    np.fill_diagonal(arr, False)
    return arr


class BoltzmannMachine(_PairwiseBinaryModel):
    r"""Boltzmann machine with visible and hidden units and a connectivity mask.

    Units are ordered visible first, then hidden: a joint state is
    :math:`x = (v, h)` with ``n_visible`` then ``n_hidden`` entries. The energy
    of a joint state is that of :class:`FullyVisibleBM`,

    .. math::

        E(x) = -\tfrac12 x^\top W x - b^\top x, \qquad
        p(v) = \frac{1}{Z}\sum_h \exp(-E(v, h)/T),

    and only the connections allowed by ``mask`` may be non-zero.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Symmetric weights, zero on the diagonal and wherever ``mask`` is False.
    b : array_like, shape (n,)
        Biases of all units.
    n_visible : int
        Number of visible units (the first ``n_visible`` of the *n*).
    mask : array_like of bool, shape (n, n), optional
        Symmetric connectivity; ``None`` connects every pair. Its diagonal is
        ignored (there are no self-connections). See :func:`block_mask`.
    T : float, default 1.0
        Temperature, > 0.

    Examples
    --------
    >>> mask = block_mask([4, 4, 2], [(0, 0), (1, 1), (0, 2), (1, 2)])
    >>> bm = BoltzmannMachine.zeros(8, 2, mask=mask)
    >>> bm.n_visible, bm.n_hidden, bm.n_units
    (8, 2, 10)
    """

    def __init__(self, W, b, n_visible, mask=None, T=1.0):
        super().__init__(W, b, T=T)
        n = self.n_units
        self.mask = _check_mask(mask, n)
        nv = check_positive_int(n_visible, "n_visible")
        if nv > n:
            raise ValueError(f"n_visible must be at most the number of units {n}, got {nv}")
        self._n_visible = nv
        self._check_mask_support()

    def _check_mask_support(self) -> None:
        outside = (self.W != 0) & ~self.mask
        if np.any(outside):
            i, j = np.argwhere(outside)[0]
            raise ValueError(
                "W must be zero where mask is False (unconnected pairs); "
                f"W[{i}, {j}] = {self.W[i, j]}"
            )

    @property
    def n_visible(self) -> int:
        """Number of visible units (the first entries of a joint state)."""
        return self._n_visible

    @property
    def n_hidden(self) -> int:
        """Number of hidden units (the last entries of a joint state)."""
        return self.n_units - self._n_visible

    def _stat_mask(self):
        return self.mask

    @classmethod
    def zeros(cls, n_visible: int, n_hidden: int, mask=None, T=1.0) -> "BoltzmannMachine":
        """All-zero weights and biases."""
        nv = check_positive_int(n_visible, "n_visible")
        nh = check_nonnegative_int(n_hidden, "n_hidden")
        n = nv + nh
        return cls(np.zeros((n, n)), np.zeros(n), nv, mask=mask, T=T)

    @classmethod
    def random(
        cls, n_visible: int, n_hidden: int, rng, scale: float = 1.0, mask=None, T=1.0
    ) -> "BoltzmannMachine":
        r"""Random model: connected :math:`W_{ij} = W_{ji} \sim N(0, \text{scale}^2)`,
        :math:`b_i \sim N(0, \text{scale}^2)`; zero where ``mask`` is False."""
        nv = check_positive_int(n_visible, "n_visible")
        nh = check_nonnegative_int(n_hidden, "n_hidden")
        rng = as_generator(rng)
        scale = check_positive_float(scale, "scale")
        n = nv + nh
        mask = _check_mask(mask, n)
        upper = np.triu(rng.normal(0.0, scale, size=(n, n)), k=1)
        W = (upper + upper.T) * mask
        return cls(W, rng.normal(0.0, scale, size=n), nv, mask=mask, T=T)

    def copy(self) -> "BoltzmannMachine":
        """Independent copy (arrays are copied)."""
        return BoltzmannMachine(
            self.W.copy(), self.b.copy(), self.n_visible, mask=self.mask.copy(), T=self.T
        )

    def __repr__(self) -> str:
        return (
            f"BoltzmannMachine(n_visible={self.n_visible}, n_hidden={self.n_hidden}, "
            f"n_connections={int(self.mask.sum()) // 2}, T={self.T})"
        )


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
