r"""Fast minibatch CD-k / PCD-k / FPCD updates; readable twins in :mod:`dreambook.learning`
(tied by ``test_fast_training_matches_readable_estimators`` in ``tests/unit/test_learning.py``)."""

from __future__ import annotations

import numpy as np

from .primitives import UniformSource, bernoulli_, sigmoid_

__all__ = ["RBMTrainingKernel"]


class RBMTrainingKernel:
    r"""Minibatch CD-k, PCD-k and FPCD updates on an augmented parameter matrix.

    One call to :meth:`update` performs, for a minibatch :math:`X` of *B* rows,

    .. math::

        \Delta \leftarrow m\,\Delta + \eta\,\big(\langle v h^\top\rangle_{X}
        - \langle v h^\top\rangle_{\rm chains}\big) - \eta\lambda W,
        \qquad P \leftarrow P + \Delta,

    with the analogous bias terms (no weight decay on biases). The statistics
    are chosen by ``statistics`` exactly as in :func:`dreambook.learning.cd_gradient`.
    See the module docstring for the augmented-matrix trick.

    The persistent chains (PCD, FPCD) are stored as hidden states, as in
    scikit-learn: each update draws the visible fantasy from them, then the
    hidden units, and keeps the new hidden sample.
    """

    def __init__(
        self,
        P: np.ndarray,
        method: str,
        k: int,
        statistics: str,
        lr_eff: float,
        decay_rate: float,
        n_chains: int,
        rng: np.random.Generator,
        fast_lr_eff: float = 0.0,
        fast_decay: float = 0.95,
        h0=None,
    ):
        self.P = P
        self.dtype = P.dtype
        self.method, self.k, self.statistics = method, k, statistics
        self.lr_eff, self.decay_rate = lr_eff, decay_rate  # decay_rate = lr * weight_decay
        self.nv, self.nh = P.shape[0] - 1, P.shape[1] - 1
        self.rng = rng
        self.uniform = UniformSource(rng, self.dtype)
        self.delta = np.zeros_like(P)  # momentum buffer
        self.G = np.empty_like(P)
        self.persistent = method in ("pcd", "fpcd")
        self.n_chains = n_chains
        if method == "fpcd":
            self.P_fast = np.zeros_like(P)
            self.P_chain = np.empty_like(P)
            self.fast_ratio = fast_lr_eff / lr_eff
            self.fast_decay = fast_decay
        if self.persistent:
            self.Hc = np.ones((n_chains, self.nh + 1), dtype=self.dtype)  # [h, 1]
            self.Hc[:, : self.nh] = 0.0 if h0 is None else h0
        self._buffers = {}

    # -- buffers ---------------------------------------------------------------
    def _buffers_for(self, B: int) -> "_Buffers":
        """Preallocated arrays (and views of them) for minibatches of B rows, cached by B."""
        bufs = self._buffers.get(B)
        if bufs is None:
            C = self.n_chains if self.persistent else B
            Hc = self.Hc if self.persistent else None
            P_chain = self.P_chain if self.method == "fpcd" else self.P
            bufs = self._buffers[B] = _Buffers(self.P, P_chain, B, C, self.lr_eff, Hc)
        return bufs

    # -- one update ---------------------------------------------------------------
    def update(self, X: np.ndarray, momentum: float) -> None:
        """One parameter update from the minibatch ``X`` (rows already of ``self.dtype``)."""
        b = self._buffers_for(X.shape[0])
        fill, stats, method, k = self.uniform.fill, self.statistics, self.method, self.k
        if method == "fpcd":
            np.add(self.P, self.P_fast, out=self.P_chain)  # chains run on regular + fast parameters
        np.copyto(b.v_pos, X)

        if method == "cd":
            # p(h | data); the chain starts from a sample of it
            np.matmul(b.V_pos, b.P_hidden, out=b.A_pos)
            sigmoid_(b.A_pos)
            fill(b.Uh)
            np.less(b.Uh, b.A_pos, out=b.h_chain)
            if stats == "sampled":
                np.copyto(b.H_pos, b.h_chain)
        for step in range(k):
            last = step == k - 1
            # v ~ p(v | h): the visible half-step, from [h, 1] (P_chain)^T = h W^T + b
            np.matmul(b.Hc, b.P_chain_visible_T, out=b.Av)
            if last and stats == "mean_field":
                np.copyto(b.v_neg, sigmoid_(b.Av))  # probabilities for the last visible update
            else:
                fill(b.Uv)
                bernoulli_(b.Av, b.Uv, out=b.v_neg)
            if last and method == "pcd":
                # p(h | v) for data rows and chain rows in one product (same parameters)
                np.matmul(b.V, b.P_hidden, out=b.A)
                sigmoid_(b.A)
            else:
                np.matmul(b.V_neg, b.P_chain_hidden, out=b.A_neg)
                sigmoid_(b.A_neg)
                if last and method == "fpcd":
                    np.matmul(b.V_pos, b.P_hidden, out=b.A_pos)
                    sigmoid_(b.A_pos)
            if not last or method != "cd" or stats == "sampled":
                fill(b.Uh)
                np.less(b.Uh, b.A_neg, out=b.h_chain)  # h ~ p(h | v)

        # statistics, scaled by +lr/B (data rows) and -lr/C (chain rows)
        if stats == "sampled":
            if method == "cd":
                np.copyto(b.Hs_pos, b.H_pos)  # the hidden sample that started the chain
            else:
                fill(b.Uh_pos)
                np.less(b.Uh_pos, b.A_pos, out=b.Hs_pos)
            np.copyto(b.Hs_neg, b.h_chain)
            np.multiply(b.Hs_h, b.scale, out=b.Hs_h)
        else:
            np.multiply(b.A, b.scale, out=b.Hs_h)
        G = self.G
        np.matmul(b.V_T, b.Hs, out=G)  # [[dW, db], [dc, 0]] in one product

        # weight decay, then momentum:  step = m * delta + G - lr*lambda*W;  P <- P + step
        if method == "fpcd":
            # fast parameters: decay by fast_decay, learn at fast_lr, no momentum or weight decay
            np.multiply(self.P_fast, self.fast_decay, out=self.P_fast)
            np.multiply(G, self.fast_ratio, out=self.P_chain)  # P_chain is free until the next update
            np.add(self.P_fast, self.P_chain, out=self.P_fast)
        if self.decay_rate:
            G[:-1, :-1] -= self.decay_rate * self.P[:-1, :-1]
        if momentum:
            delta = self.delta
            np.multiply(delta, momentum, out=delta)
            np.add(delta, G, out=delta)
            np.add(self.P, delta, out=self.P)
        else:
            np.add(self.P, G, out=self.P)
            self.G, self.delta = self.delta, self.G  # delta now holds this step (no copy)


class _Buffers:
    """Arrays for one minibatch size B with C chain rows, and named views into them.

    ``V = [[v_data, 1], [v_chain, 1]]`` (B + C rows), ``A`` the hidden
    pre-activations then probabilities of the same rows, ``Hs`` the scaled
    hidden statistics with the always-on unit ``s`` (+lr/B, then -lr/C).
    """

    def __init__(self, P, P_chain, B: int, C: int, lr_eff: float, Hc=None):
        dt = P.dtype
        nv, nh = P.shape[0] - 1, P.shape[1] - 1
        self.P_hidden = P[:, :nh]  # [v, 1] @ P_hidden = v W + c
        self.P_chain_hidden = P_chain[:, :nh]
        self.P_chain_visible_T = P_chain[:nv, :].T  # [h, 1] @ this = h W^T + b
        self.V = np.ones((B + C, nv + 1), dtype=dt)
        self.V_T = self.V.T
        self.V_pos, self.V_neg = self.V[:B], self.V[B:]
        self.v_pos, self.v_neg = self.V[:B, :nv], self.V[B:, :nv]
        self.A = np.empty((B + C, nh), dtype=dt)
        self.A_pos, self.A_neg = self.A[:B], self.A[B:]
        self.scale = np.empty((B + C, 1), dtype=dt)
        self.scale[:B] = lr_eff / B
        self.scale[B:] = -lr_eff / C
        self.Hs = np.empty((B + C, nh + 1), dtype=dt)
        self.Hs[:, nh] = self.scale[:, 0]  # the always-on hidden unit carries the visible biases
        self.Hs_h = self.Hs[:, :nh]
        self.Hs_pos, self.Hs_neg = self.Hs_h[:B], self.Hs_h[B:]
        self.Hc = np.ones((C, nh + 1), dtype=dt) if Hc is None else Hc  # [h_chain, 1]
        self.h_chain = self.Hc[:, :nh]
        self.H_pos = np.empty((B, nh), dtype=dt)
        self.Av = np.empty((C, nv), dtype=dt)
        self.Uv = np.empty((C, nv), dtype=dt)
        self.Uh = np.empty((C, nh), dtype=dt)
        self.Uh_pos = np.empty((B, nh), dtype=dt)
