r"""Fast block Gibbs chains of an RBM; readable twin :func:`dreambook.sampling.block_gibbs`
(tied by ``tests/unit/test_kernels.py``)."""

from __future__ import annotations

import numpy as np

from .primitives import UniformSource, bernoulli_

__all__ = ["RBMGibbsKernel"]


class RBMGibbsKernel:
    r"""Block Gibbs sampling :math:`v \to h \to v` for many chains at once.

    Parameters
    ----------
    P : ndarray
        Augmented natural parameters from :func:`augment` (used, not copied).
    v0 : ndarray, shape (n_chains, n_visible)
        Initial visible states.
    rng : numpy.random.Generator
    """

    def __init__(self, P: np.ndarray, v0: np.ndarray, rng: np.random.Generator):
        self.P = P
        dtype = P.dtype
        nv, nh = P.shape[0] - 1, P.shape[1] - 1
        n = v0.shape[0]
        self.uniform = UniformSource(rng, dtype)
        self.V = np.ones((n, nv + 1), dtype=dtype)  # [v, 1]
        self.V[:, :nv] = v0
        self.H = np.ones((n, nh + 1), dtype=dtype)  # [h, 1]
        self._Ah = np.empty((n, nh), dtype=dtype)
        self._Av = np.empty((n, nv), dtype=dtype)
        self._Uh = np.empty((n, nh), dtype=dtype)
        self._Uv = np.empty((n, nv), dtype=dtype)

    @property
    def visible(self) -> np.ndarray:
        """The current visible states, shape (n_chains, n_visible) (a view)."""
        return self.V[:, :-1]

    @property
    def hidden(self) -> np.ndarray:
        """The hidden states drawn in the last sweep, shape (n_chains, n_hidden) (a view)."""
        return self.H[:, :-1]

    def sweep(self, n_sweeps: int = 1) -> np.ndarray:
        """Run ``n_sweeps`` sweeps; return the visible states (a view)."""
        P, V, H, Ah, Av, Uh, Uv = self.P, self.V, self.H, self._Ah, self._Av, self._Uh, self._Uv
        P_hidden, P_visible_T = P[:, :-1], P[:-1, :].T
        h, v, fill = H[:, :-1], V[:, :-1], self.uniform.fill
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(n_sweeps):
                np.matmul(V, P_hidden, out=Ah)  # vW + c
                fill(Uh)
                bernoulli_(Ah, Uh, out=h)  # h ~ p(h | v)
                np.matmul(H, P_visible_T, out=Av)  # hW^T + b
                fill(Uv)
                bernoulli_(Av, Uv, out=v)  # v ~ p(v | h)
        return v
