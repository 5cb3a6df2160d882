r"""Fast kernels for block Gibbs sampling and stochastic learning in an RBM (private).

The readable versions of everything here live in :mod:`dreambook.learning`
(``cd_gradient``, ``pcd_gradient``) and use the model's own methods. This
module does the same arithmetic with three standard tricks, so that a
minibatch of 10 costs a few dozen microseconds instead of a hundred:

1. **A bias is a weight from a unit that is always on.** The parameters sit
   in one augmented matrix

   .. math::

       P = \begin{pmatrix} W & b \\ c^\top & 0 \end{pmatrix}
       \in \mathbb{R}^{(n_v + 1)\times(n_h + 1)},

   and every state carries an extra unit fixed at 1, so that
   :math:`[v, 1]\,P_{:, :n_h} = vW + c` and
   :math:`[h, 1]\,P_{:n_v, :}^\top = hW^\top + b`. With the positive rows
   scaled by :math:`+\eta/B` and the negative rows by :math:`-\eta/C`, a
   single product :math:`G = [v, 1]^\top [h, s]` of the stacked phases holds
   the whole update: :math:`G_{:n_v,:n_h} = \Delta W`,
   :math:`G_{:n_v, n_h} = \Delta b`, :math:`G_{n_v, :n_h} = \Delta c` (and 0).
2. **Sampling without the sigmoid.** For a uniform :math:`u \in [0, 1)`,
   :math:`u < \sigma(a) = 1/(1 + e^{-a})` exactly when
   :math:`u\,(1 + e^{-a}) < 1`, which replaces a division by a multiplication.
3. **No allocation in the loop.** Every array is preallocated and every numpy
   call writes with ``out=``; the float32 option uses numpy's SIMD ``exp``
   and draws 32-bit uniforms from half as many 64-bit random words.

The parameters are stored divided by the temperature (natural parameters
:math:`\theta/T`), so the conditionals are plain sigmoids.
"""

from __future__ import annotations

import numpy as np

__all__ = ["UniformSource", "sigmoid_", "bernoulli_", "augment", "split", "RBMGibbsKernel", "RBMTrainingKernel"]

_FLOAT32_ONE_BITS = np.uint32(0x3F800000)  # the IEEE-754 bits of 1.0f


class UniformSource:
    """Uniform numbers on [0, 1) written into preallocated arrays.

    float64 uses ``Generator.random(out=...)``. float32 takes 23 random
    mantissa bits from each half of a 64-bit word of the generator's bit
    stream: with the exponent of 1.0 the bits read as a float in [1, 2), and
    subtracting 1 is exact. The stream is the generator's own, so seeding is
    unchanged.
    """

    def __init__(self, rng: np.random.Generator, dtype):
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self._bits = rng.bit_generator

    def fill(self, out: np.ndarray) -> None:
        """Overwrite the C-contiguous array ``out`` with uniforms on [0, 1)."""
        if self.dtype == np.float64:
            self.rng.random(out=out)
            return
        n = out.size
        words = self._bits.random_raw((n + 1) // 2).view(np.uint32)[:n]
        np.right_shift(words, 9, out=words)  # keep 23 random bits as the mantissa
        np.bitwise_or(words, _FLOAT32_ONE_BITS, out=words)  # exponent of 1.0: a float in [1, 2)
        np.subtract(words.view(np.float32).reshape(out.shape), 1.0, out=out)


def sigmoid_(a: np.ndarray) -> np.ndarray:
    r"""In place: :math:`a \leftarrow \sigma(a) = 1/(1 + e^{-a})`.

    For :math:`a < -709` (float64) ``exp`` overflows to ``inf`` and the result
    is exactly 0, as it should be; callers silence the overflow flag.
    """
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, 1.0, out=a)
    np.reciprocal(a, out=a)
    return a


def bernoulli_(a: np.ndarray, u: np.ndarray, out: np.ndarray) -> np.ndarray:
    r"""Write a sample of Bernoulli(:math:`\sigma(a)`) into ``out``; overwrites ``a``.

    Uses :math:`u < \sigma(a) \iff u\,(1 + e^{-a}) < 1` for the uniforms ``u``.
    """
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, 1.0, out=a)
    np.multiply(a, u, out=a)
    np.less(a, 1.0, out=out)
    return out


def augment(W, b, c, T: float, dtype) -> np.ndarray:
    r"""The augmented natural-parameter matrix :math:`P = [[W, b], [c^\top, 0]]/T`."""
    nv, nh = W.shape
    P = np.zeros((nv + 1, nh + 1), dtype=dtype)
    P[:nv, :nh] = W / T
    P[:nv, nh] = b / T
    P[nv, :nh] = c / T
    return P


def split(P: np.ndarray, T: float):
    """Inverse of :func:`augment`: float64 copies of ``(W, b, c)``."""
    nv, nh = P.shape[0] - 1, P.shape[1] - 1
    P = P.astype(np.float64) * T
    return P[:nv, :nh].copy(), P[:nv, nh].copy(), P[nv, :nh].copy()


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
