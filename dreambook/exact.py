r"""Exact computation by enumeration: partition functions, probabilities, statistics.

Everything here is exact up to floating point, and therefore limited to small
models: a model with *n* binary units has :math:`2^n` states. Each function
that enumerates takes ``max_units`` and refuses larger models with a clear
error instead of running out of memory; raise the limit deliberately if you
have the time.

Conventions (see :mod:`dreambook.models`)
------------------------------------------
* :math:`p(x) = \exp(-E(x)/T)/Z` with :math:`Z = \sum_x \exp(-E(x)/T)`.
* States are enumerated by :func:`all_states`: state *k* has
  :math:`x_i = \lfloor k / 2^{n-1-i}\rfloor \bmod 2`, the first unit being the
  most significant bit.
* Statistics and gradients are dictionaries keyed like ``model.params``. For
  symmetric ``W`` each pair :math:`W_{ij} = W_{ji}` is one parameter, whose
  statistic is :math:`x_i x_j`.

The restricted Boltzmann machine has a fast path: one layer is enumerated and
the other summed out analytically, e.g. for the hidden layer

.. math::

    \log Z = \log \sum_h \exp\Big(c^\top h/T + \sum_i
             \operatorname{softplus}\big((b_i + (W h)_i)/T\big)\Big),

so an RBM with 64 visible units and 20 hidden units costs :math:`2^{20}`
terms, not :math:`2^{84}`.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import rel_entr

from ._validation import (
    as_generator,
    check_binary,
    check_bool,
    check_model,
    check_nonnegative_int,
    check_positive_int,
    check_probability_vector,
)
from .models import RBM, BoltzmannMachine, FullyVisibleBM
from .states import all_states, states_of
from ._special import logsumexp, sigmoid

__all__ = [
    "log_partition",
    "log_prob",
    "probabilities",
    "log_probabilities",
    "marginals",
    "model_statistics",
    "data_statistics",
    "log_likelihood",
    "log_likelihood_gradient",
    "kl_divergence",
    "entropy",
    "sample",
]

#: Default limit on the number of units enumerated jointly (2**20 states).
MAX_UNITS = 20
#: Default limit on the smaller layer of an RBM for the fast path.
MAX_RBM_LAYER = 24
# Each chunk holds about this many float64 numbers (4 MiB), so that with a few
# temporaries the peak memory stays far below 64 MiB whatever the model size.
_CHUNK_ELEMENTS = 2**19


# ---------------------------------------------------------------------------
# Enumeration of states
# ---------------------------------------------------------------------------


def _check_model(model):
    return check_model(model, (FullyVisibleBM, BoltzmannMachine, RBM))


def _limit(max_units, default: int) -> int:
    return default if max_units is None else check_positive_int(max_units, "max_units")


def _check_size(n: int, max_units: int, what: str) -> None:
    if n > max_units:
        raise ValueError(
            f"model too large to enumerate exactly: {what} has {n} units, i.e. 2**{n} "
            f"states, above max_units={max_units}; pass a larger max_units to raise the limit"
        )


def _check_enumerable(model, max_units) -> None:
    """Raise if computing log Z of ``model`` would enumerate more than ``max_units`` units."""
    if isinstance(model, RBM):
        limit = _limit(max_units, MAX_RBM_LAYER)
        _check_size(min(model.n_visible, model.n_hidden), limit, "the smaller RBM layer")
    else:
        _check_size(model.n_units, _limit(max_units, MAX_UNITS), "the model")


def _n_visible(model) -> int:
    return model.n_visible if isinstance(model, (BoltzmannMachine, RBM)) else model.n_units


def _state_chunks(n: int, width: int):
    """Yield consecutive blocks of :func:`all_states` (n) of about _CHUNK_ELEMENTS numbers."""
    rows = max(1, _CHUNK_ELEMENTS // max(1, width))
    total = 2**n
    for start in range(0, total, rows):
        yield states_of(np.arange(start, min(start + rows, total)), n)


# ---------------------------------------------------------------------------
# Pairwise models (FullyVisibleBM, BoltzmannMachine): full enumeration
# ---------------------------------------------------------------------------
def _pairwise_log_weights(model, X) -> np.ndarray:
    r""":math:`-E(x)/T = (\tfrac12 x^\top W x + b^\top x)/T` for each row of X (no checks)."""
    return (0.5 * np.sum((X @ model.W) * X, axis=1) + X @ model.b) / model.T


def _pairwise_log_partition(model) -> float:
    n = model.n_units
    chunk_lse = [logsumexp(_pairwise_log_weights(model, X)) for X in _state_chunks(n, n)]
    if len(chunk_lse) == 1:  # logsumexp of one finite number is that number, bit for bit
        return float(chunk_lse[0])
    return float(logsumexp(chunk_lse))


def _pairwise_joint_log_probs(model) -> np.ndarray:
    """log p(x) for all 2**n joint states, in all_states order."""
    log_z = _pairwise_log_partition(model)
    n = model.n_units
    return np.concatenate([_pairwise_log_weights(model, X) - log_z for X in _state_chunks(n, n)])


def _symmetric_zero_diagonal(S: np.ndarray) -> np.ndarray:
    r"""In place: :math:`S \leftarrow (S + S^\top)/2` with a zero diagonal.

    A second-moment matrix is symmetric by definition, but two float paths
    (``A.T @ B`` and ``B.T @ A``, or BLAS kernels that sum in another order) may
    disagree in the last bit; averaging makes the symmetry exact by
    construction, since ``a + b == b + a`` in floating point.
    """
    S += S.T.copy()
    S *= 0.5
    np.fill_diagonal(S, 0.0)
    return S


def _pairwise_model_statistics(model) -> dict:
    r"""Exact :math:`E_p[x_i x_j]` (masked, zero diagonal) and :math:`E_p[x_i]`."""
    log_z = _pairwise_log_partition(model)
    n = model.n_units
    second = np.zeros((n, n))
    first = np.zeros(n)
    for X in _state_chunks(n, n):
        p = np.exp(_pairwise_log_weights(model, X) - log_z)
        second += X.T @ (p[:, None] * X)
        first += p @ X
    return {"W": _symmetric_zero_diagonal(second) * model._stat_mask(), "b": first}


def _hidden_log_weights(model: BoltzmannMachine, V: np.ndarray, H: np.ndarray) -> np.ndarray:
    r"""Log joint weights :math:`-E(v, h)/T` for every visible row and every hidden row.

    With the blocks of :math:`W` split into visible (v) and hidden (h) parts,

    .. math::

        -E(v,h) = \tfrac12 v^\top W_{vv} v + b_v^\top v
                  + h^\top (W_{hv} v + b_h) + \tfrac12 h^\top W_{hh} h.

    Returns an array of shape (len(V), len(H)).
    """
    nv = model.n_visible
    Wvv, Wvh, Whh = model.W[:nv, :nv], model.W[:nv, nv:], model.W[nv:, nv:]
    bv, bh = model.b[:nv], model.b[nv:]
    visible_part = 0.5 * np.sum((V @ Wvv) * V, axis=1) + V @ bv
    hidden_part = 0.5 * np.sum((H @ Whh) * H, axis=1)
    coupling = (V @ Wvh + bh) @ H.T
    return (visible_part[:, None] + coupling + hidden_part[None, :]) / model.T


def _data_rows(n_hidden: int) -> int:
    return max(1, _CHUNK_ELEMENTS // 2**n_hidden)


def _bm_log_unnormalized_visible(model: BoltzmannMachine, V: np.ndarray) -> np.ndarray:
    r""":math:`\log \sum_h \exp(-E(v,h)/T)` for each row of V."""
    H = all_states(model.n_hidden, max_units=max(1, model.n_hidden))
    step = _data_rows(model.n_hidden)
    return np.concatenate(
        [
            logsumexp(_hidden_log_weights(model, V[i : i + step], H), axis=1)
            for i in range(0, len(V), step)
        ]
    )


def _bm_data_statistics(model: BoltzmannMachine, V: np.ndarray) -> dict:
    r"""Clamped-phase statistics: expectations under :math:`p(h \mid v)`, averaged over the data."""
    nv, n = model.n_visible, model.n_units
    H = all_states(model.n_hidden, max_units=max(1, model.n_hidden))
    step = _data_rows(model.n_hidden)
    m = len(V)
    second = np.zeros((n, n))
    first = np.zeros(n)
    for i in range(0, m, step):
        Vc = V[i : i + step]
        logw = _hidden_log_weights(model, Vc, H)
        Q = np.exp(logw - logsumexp(logw, axis=1, keepdims=True))  # p(h | v), rows sum to 1
        Eh = Q @ H  # E[h | v], shape (rows, n_hidden)
        q_total = Q.sum(axis=0)  # sum over data of p(h | v)
        second[:nv, :nv] += Vc.T @ Vc
        second[:nv, nv:] += Vc.T @ Eh
        second[nv:, :nv] += Eh.T @ Vc
        second[nv:, nv:] += H.T @ (q_total[:, None] * H)  # sum_v E[h h^T | v]
        first[:nv] += Vc.sum(axis=0)
        first[nv:] += Eh.sum(axis=0)
    second /= m
    return {"W": _symmetric_zero_diagonal(second) * model.mask, "b": first / m}


# ---------------------------------------------------------------------------
# RBM: enumerate one layer, sum the other analytically
# ---------------------------------------------------------------------------
def _sum_softplus_rows(z: np.ndarray) -> np.ndarray:
    r"""Row sums of :math:`\operatorname{softplus}(z) = \max(z,0) + \log(1 + e^{-|z|})`.

    ``z`` is overwritten (it is a scratch array of the caller). This is the
    stable form of ``np.logaddexp(0, z).sum(axis=1)``, several times faster;
    :math:`\sum_k \max(z_k, 0)` is computed as :math:`\sum_k (z_k + |z_k|)/2`.
    :math:`|z|` is capped at 60 before the exponential: this changes each term
    by less than :math:`e^{-60} < 10^{-26}` and avoids the very slow
    underflowing ``exp`` of huge arguments (weights of order 1e3).
    """
    tail = np.abs(z)
    positive_part = 0.5 * (z.sum(axis=1) + tail.sum(axis=1))
    np.minimum(tail, 60.0, out=tail)
    np.negative(tail, out=tail)
    np.exp(tail, out=tail)
    np.log1p(tail, out=tail)
    return positive_part + tail.sum(axis=1)


class _RBMLayerSum:
    r"""Enumerate one RBM layer in chunks, summing the other layer analytically.

    Writing *s* for the enumerated layer (bias *d*) and *o* for the other one
    (bias *e*, coupling :math:`M`, so that *o* has pre-activation
    :math:`e + sM`), the unnormalized log-marginal of *s* is

    .. math::

        \log \tilde p(s) = d^\top s / T + \sum_k \operatorname{softplus}(z_k),
        \qquad z = (e + sM)/T.

    The *k* enumerated units are split into high bits (the first ``k - L``)
    and low bits (the last ``L``), so :math:`z = z_{\rm low} + z_{\rm high}`:
    the low part is computed once for all :math:`2^L` low states
    (``low_states``, ``z_low``, ``lin_low``) and each chunk (one value of the
    high bits, :meth:`chunks`) only adds its high part. Chunks come in
    :func:`all_states` order, and each holds about ``_CHUNK_ELEMENTS`` numbers.
    """

    def __init__(self, rbm: RBM, layer: str):
        T = rbm.T
        if layer == "hidden":
            M, d, self.e = rbm.W.T, rbm.c, rbm.b
        else:
            M, d, self.e = rbm.W, rbm.b, rbm.c
        self.T = T
        k, n_other = M.shape
        L = min(k, int(np.log2(max(1, _CHUNK_ELEMENTS // n_other))))
        self.n_high = k - L
        self.M_high, self.d_high = M[: k - L], d[: k - L]
        self.low_states = all_states(L, max_units=max(L, 1))
        self.z_low = (self.low_states @ M[k - L :]) / T
        self.lin_low = (self.low_states @ d[k - L :]) / T
        # For the product form of softplus (see sum_softplus):
        self._max_abs_z_low = np.max(np.abs(self.z_low), axis=0)
        self._exp_z_low = None

    def chunks(self):
        """Yield ``(high_bits, z_high, lin_high)`` for each value of the high bits."""
        for high in range(2**self.n_high):
            high_bits = states_of(high, self.n_high)
            z_high = (self.e + high_bits @ self.M_high) / self.T
            lin_high = (high_bits @ self.d_high) / self.T
            yield high_bits, z_high, lin_high

    def states(self, high_bits) -> np.ndarray:
        """The chunk's states ``[high_bits, low_states]``, shape (2**L, k)."""
        rows = len(self.low_states)
        return np.hstack([np.broadcast_to(high_bits, (rows, len(high_bits))), self.low_states])

    def sum_softplus(self, z_high) -> np.ndarray:
        r""":math:`\sum_k \operatorname{softplus}(z_{\rm low} + z_{\rm high})_k` per low state.

        When every :math:`|z|` stays below 600, we use
        :math:`\operatorname{softplus}(z_{\rm low} + z_{\rm high})
        = \log(1 + e^{z_{\rm low}} e^{z_{\rm high}})`, with :math:`e^{z_{\rm low}}`
        computed once, which avoids one ``exp`` per term and cannot overflow
        (:math:`e^{600} < 10^{261}`); otherwise the always-stable form
        :func:`_sum_softplus_rows` is used.
        """
        if np.all(self._max_abs_z_low + np.abs(z_high) <= 600.0):
            if self._exp_z_low is None:
                self._exp_z_low = np.exp(self.z_low)
            terms = self._exp_z_low * np.exp(z_high)
            np.log1p(terms, out=terms)
            return terms.sum(axis=1)
        return _sum_softplus_rows(self.z_low + z_high)


def _rbm_small_layer(rbm: RBM) -> str:
    return "hidden" if rbm.n_hidden <= rbm.n_visible else "visible"


def _rbm_log_partition(rbm: RBM) -> float:
    layer_sum = _RBMLayerSum(rbm, _rbm_small_layer(rbm))
    chunk_lse = [
        logsumexp(layer_sum.lin_low + lin_high + layer_sum.sum_softplus(z_high))
        for _, z_high, lin_high in layer_sum.chunks()
    ]
    return float(logsumexp(chunk_lse))


def _rbm_model_statistics(rbm: RBM) -> dict:
    r"""Exact :math:`E_p[v h^\top]`, :math:`E_p[v]`, :math:`E_p[h]`, enumerating the smaller layer.

    With the hidden layer enumerated, :math:`E_p[v h^\top] = \sum_h p(h)\,
    \sigma((b + Wh)/T)\, h^\top`, and symmetrically for the visible layer.
    """
    layer = _rbm_small_layer(rbm)
    log_z = _rbm_log_partition(rbm)
    layer_sum = _RBMLayerSum(rbm, layer)
    k = layer_sum.n_high + layer_sum.low_states.shape[1]
    n_other = layer_sum.z_low.shape[1]
    cross = np.zeros((k, n_other))
    mean_s = np.zeros(k)
    mean_o = np.zeros(n_other)
    for high_bits, z_high, lin_high in layer_sum.chunks():
        S = layer_sum.states(high_bits)
        p = np.exp(layer_sum.lin_low + lin_high + layer_sum.sum_softplus(z_high) - log_z)  # p(s)
        P_other = sigmoid(layer_sum.z_low + z_high)  # p(other unit = 1 | s)
        cross += S.T @ (p[:, None] * P_other)
        mean_s += p @ S
        mean_o += p @ P_other
    if layer == "hidden":
        return {"W": cross.T, "b": mean_o, "c": mean_s}
    return {"W": cross, "b": mean_s, "c": mean_o}


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------
def log_partition(model, max_units=None) -> float:
    r"""Exact log partition function :math:`\log Z = \log\sum_x \exp(-E(x)/T)`.

    * :class:`~dreambook.models.FullyVisibleBM` and
      :class:`~dreambook.models.BoltzmannMachine`: all :math:`2^n` joint
      states are enumerated (``max_units`` defaults to 20 units).
    * :class:`~dreambook.models.RBM`: the smaller layer is enumerated and the
      other summed out analytically (``max_units`` limits the smaller layer,
      default 24), in chunks so the memory stays bounded.

    Sums use log-sum-exp in float64, so large weights do not overflow.

    Examples
    --------
    With zero parameters every state has energy 0, so :math:`Z = 2^n`:

    >>> from dreambook.models import FullyVisibleBM, RBM
    >>> bool(np.isclose(log_partition(FullyVisibleBM.zeros(5)), 5 * np.log(2)))
    True
    >>> bool(np.isclose(log_partition(RBM.zeros(64, 3)), 67 * np.log(2)))
    True
    """
    _check_model(model)
    _check_enumerable(model, max_units)
    if isinstance(model, RBM):
        return _rbm_log_partition(model)
    return _pairwise_log_partition(model)


def log_prob(model, x, max_units=None):
    r"""Exact log-probability :math:`\log p(x)` of visible states (in nats).

    For a :class:`~dreambook.models.FullyVisibleBM`, :math:`-E(x)/T - \log Z`;
    for an RBM, :math:`-F(v)/T - \log Z`; for a
    :class:`~dreambook.models.BoltzmannMachine`, the marginal
    :math:`\log\sum_h \exp(-E(v,h)/T) - \log Z`.

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    x : array_like of 0/1, shape (n_visible,) or (m, n_visible)
    max_units : int, optional
        Enumeration limit, as in :func:`log_partition`.

    Returns
    -------
    float for a 1-d ``x``, else ndarray of shape (m,).
    """
    _check_model(model)
    arr = np.asarray(x)
    was_1d = arr.ndim == 1
    V = check_binary(x, "x", n_units=_n_visible(model))
    log_z = log_partition(model, max_units=max_units)
    if isinstance(model, RBM):
        out = model.unnormalized_log_prob(V) - log_z
    elif isinstance(model, BoltzmannMachine):
        out = _bm_log_unnormalized_visible(model, V) - log_z
    else:
        out = _pairwise_log_weights(model, V) - log_z
    return float(out[0]) if was_1d else out


def log_probabilities(model, max_units=None, joint=False) -> np.ndarray:
    r"""Exact :math:`\log p` of every state, in :func:`all_states` order (never underflows).

    The logarithm of :func:`probabilities`, computed from the log-weights
    :math:`-E/T - \log Z` directly, so that a state whose probability is
    below the smallest float (:math:`e^{-745}`) keeps a finite log-probability.

    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM([[0.0, 800.0], [800.0, 0.0]], [0.0, 0.0])
    >>> bool(np.isclose(log_probabilities(m)[0], -800.0))
    True
    """
    _check_model(model)
    joint = check_bool(joint, "joint")
    if isinstance(model, RBM):
        if joint:
            _check_size(model.n_visible + model.n_hidden, _limit(max_units, MAX_UNITS), "the RBM (both layers)")
            V, H = all_states(model.n_visible, max_units=model.n_visible), all_states(model.n_hidden, max_units=model.n_hidden)
            logw = (V @ model.W @ H.T + (V @ model.b)[:, None] + (H @ model.c)[None, :]) / model.T
            return (logw - log_partition(model)).ravel()
        _check_size(model.n_visible, _limit(max_units, MAX_UNITS), "the visible layer")
        return log_prob(model, all_states(model.n_visible, max_units=model.n_visible), max_units=max_units)
    _check_size(model.n_units, _limit(max_units, MAX_UNITS), "the model")
    log_joint = _pairwise_joint_log_probs(model)
    if isinstance(model, BoltzmannMachine) and not joint:
        return logsumexp(log_joint.reshape(2**model.n_visible, 2**model.n_hidden), axis=1)
    return log_joint


def probabilities(model, max_units=None, joint=False) -> np.ndarray:
    r"""Exact distribution over visible states, in :func:`all_states` order.

    Returns :math:`p(v)` for all :math:`2^{n_v}` visible states (marginal over
    hidden units for models that have them). With ``joint=True``, models with
    hidden units return instead the joint distribution over all
    :math:`2^{n_v + n_h}` states (visible units are the most significant bits,
    so it reshapes to ``(2**n_visible, 2**n_hidden)``). ``max_units`` limits
    the number of units enumerated (default 20).

    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM([[0.0, 1.0], [1.0, 0.0]], [0.0, 0.0])
    >>> p = probabilities(m)                 # proportional to exp(-E): 1, 1, 1, e
    >>> bool(np.allclose(p, np.array([1, 1, 1, np.e]) / (3 + np.e)))
    True
    """
    _check_model(model)
    joint = check_bool(joint, "joint")
    limit = _limit(max_units, MAX_UNITS)
    if isinstance(model, RBM):
        nv, nh = model.n_visible, model.n_hidden
        if joint:
            # -E(v, h)/T = (v W h + b.v + c.h)/T on the grid of all (v, h)
            _check_size(nv + nh, limit, "the RBM (both layers)")
            V, H = all_states(nv, max_units=nv), all_states(nh, max_units=nh)
            logw = (V @ model.W @ H.T + (V @ model.b)[:, None] + (H @ model.c)[None, :]) / model.T
            return np.exp(logw - log_partition(model)).ravel()
        _check_size(nv, limit, "the visible layer")
        log_z = log_partition(model)
        logp = [model.unnormalized_log_prob(V) - log_z for V in _state_chunks(nv, nv + nh)]
        return np.exp(np.concatenate(logp))
    _check_size(model.n_units, limit, "the model")
    p = np.exp(_pairwise_joint_log_probs(model))
    if isinstance(model, BoltzmannMachine) and not joint:
        p = p.reshape(2**model.n_visible, 2**model.n_hidden).sum(axis=1)
    return p


def model_statistics(model, max_units=None) -> dict:
    r"""Exact expectations of the sufficient statistics under the model (negative phase).

    Keyed like ``model.params``: for pairwise models
    ``{"W": E_p[x_i x_j] (zero diagonal; zero where mask is False), "b": E_p[x]}``;
    for an RBM ``{"W": E_p[v h^T], "b": E_p[v], "c": E_p[h]}``.
    These are the gradients of :math:`T \log Z`:
    :math:`\partial \log Z / \partial\theta = E_p[\partial(-E)/\partial\theta]/T`.
    """
    _check_model(model)
    return _model_statistics(model, max_units)


def _model_statistics(model, max_units) -> dict:
    """:func:`model_statistics` of a checked model."""
    _check_enumerable(model, max_units)
    if isinstance(model, RBM):
        return _rbm_model_statistics(model)
    return _pairwise_model_statistics(model)


def marginals(model, max_units=None) -> np.ndarray:
    r"""Exact :math:`P(x_i = 1)` for every unit.

    Visible units first, then hidden units (for an RBM: the ``n_visible``
    visible marginals followed by the ``n_hidden`` hidden ones).
    """
    stats = model_statistics(model, max_units=max_units)
    if isinstance(model, RBM):
        return np.concatenate([stats["b"], stats["c"]])
    return stats["b"]


def data_statistics(model, data, max_units=None) -> dict:
    r"""Expected sufficient statistics with the visible units clamped to the data (positive phase).

    Keyed like ``model.params``; averages over the rows of ``data``:

    * FullyVisibleBM: the data averages of :math:`x_i x_j` and :math:`x_i`.
    * BoltzmannMachine: expectations under the exact posterior
      :math:`p(h \mid v)` for each data vector (the clamped phase of Ackley,
      Hinton & Sejnowski), then averaged; ``max_units`` limits ``n_hidden``.
    * RBM: ``{"W": mean v σ((vW + c)/T)ᵀ, "b": mean v, "c": mean σ((vW + c)/T)}``.

    Parameters
    ----------
    data : array_like of 0/1, shape (m, n_visible)
    """
    _check_model(model)
    return _data_statistics(model, check_binary(data, "data", n_units=_n_visible(model)), max_units)


def _data_statistics(model, V, max_units) -> dict:
    """:func:`data_statistics` of a checked model and checked data ``V``."""
    if isinstance(model, RBM):
        return model.sufficient_statistics(V, model.hidden_probs(V))
    if isinstance(model, BoltzmannMachine):
        _check_size(model.n_hidden, _limit(max_units, MAX_UNITS), "the hidden layer")
        return _bm_data_statistics(model, V)
    return model.sufficient_statistics(V)


def log_likelihood(model, data, max_units=None) -> float:
    r"""Mean exact log-likelihood :math:`\frac1m\sum_k \log p(v^{(k)})`, in nats per example."""
    _check_model(model)
    V = check_binary(data, "data", n_units=_n_visible(model))
    return float(np.mean(log_prob(model, V, max_units=max_units)))


def log_likelihood_gradient(model, data, max_units=None) -> dict:
    r"""Exact gradient of the mean log-likelihood, keyed like ``model.params`` (ascent direction).

    For one example,

    .. math::

        \nabla_\theta \log p(x) = -\nabla_\theta E(x)/T + E_p[\nabla_\theta E]/T,

    (with hidden units, the first term is averaged over :math:`p(h \mid v)`),
    so the gradient is *(positive phase − negative phase) / T*:
    ``(data_statistics − model_statistics) / T``. A symmetric pair
    :math:`W_{ij} = W_{ji}` counts as one parameter, so ``W += lr * grad["W"]``
    keeps ``W`` symmetric and performs gradient ascent.

    Examples
    --------
    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM.zeros(2)
    >>> g = log_likelihood_gradient(m, [[1, 1], [1, 1]])
    >>> g["b"], g["W"]      # data always on: push biases and the weight up
    (array([0.5, 0.5]), array([[0.  , 0.75],
           [0.75, 0.  ]]))
    """
    _check_model(model)
    positive = _data_statistics(model, check_binary(data, "data", n_units=_n_visible(model)), max_units)
    negative = _model_statistics(model, max_units)
    return {key: (positive[key] - negative[key]) / model.T for key in model.params}


def _log_base(base) -> float:
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, numbers.Real):
        raise TypeError(
            f"base must be a number > 0 and != 1 (e.g. 2 for bits), got {type(base).__name__}"
        )
    if not np.isfinite(base) or base <= 0 or base == 1:
        raise ValueError(f"base must be a finite number > 0 and != 1 (e.g. 2 for bits), got {base}")
    return float(np.log(base))


def kl_divergence(p, q, base=np.e) -> float:
    r"""Kullback-Leibler divergence :math:`KL(p\,\|\,q) = \sum_x p(x)\log(p(x)/q(x))`.

    Terms with :math:`p(x) = 0` contribute 0; a state with :math:`p(x) > 0` and
    :math:`q(x) = 0` makes the divergence ``inf``. In nats by default;
    ``base=2`` gives bits.

    >>> kl_divergence([0.5, 0.5], [0.25, 0.75], base=2) > 0
    True
    >>> kl_divergence([1.0, 0.0], [0.5, 0.5], base=2)
    1.0
    """
    p = check_probability_vector(p, "p")
    q = check_probability_vector(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return float(np.sum(rel_entr(p, q)) / _log_base(base))


def entropy(p, base=np.e) -> float:
    r"""Shannon entropy :math:`H(p) = -\sum_x p(x)\log p(x)`, with :math:`0 \log 0 = 0`.

    In nats by default; ``base=2`` gives bits.

    >>> entropy([0.25] * 4, base=2)
    2.0
    """
    p = check_probability_vector(p, "p")
    return float(-np.sum(rel_entr(p, 1.0)) / _log_base(base))  # rel_entr(p, 1) = p log p


def sample(model, n_samples, rng, max_units=None) -> np.ndarray:
    r"""Draw independent exact samples of the visible units from the model's distribution.

    The exact distribution :func:`probabilities` is enumerated once and states
    are drawn by inverting its cumulative sum with uniform random numbers, so
    the samples are exactly distributed as :math:`p(v)` (marginal over hidden
    units for models that have them) and independent: no Markov chain, no
    burn-in. Limited, like :func:`probabilities`, to models that can be
    enumerated (``max_units``, default 20 visible units).

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    n_samples : int
        Number of samples, >= 0.
    rng : numpy.random.Generator or int
        Source of randomness (a Generator continues its stream).
    max_units : int, optional
        Enumeration limit, as in :func:`probabilities`.

    Returns
    -------
    ndarray of shape (n_samples, n_visible), float64 of 0/1

    Examples
    --------
    A model with one strongly preferred state is sampled mostly in that state
    (:math:`p(11) = e^{2} / (1 + 2e^{-1} + e^{2}) = 0.81`):

    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM([[0.0, 4.0], [4.0, 0.0]], [-1.0, -1.0])
    >>> x = sample(m, 1000, rng=0)
    >>> x.shape, bool(np.mean(np.all(x == 1, axis=1)) > 0.75)
    ((1000, 2), True)
    """
    _check_model(model)
    n_samples = check_nonnegative_int(n_samples, "n_samples")
    rng = as_generator(rng)
    p = probabilities(model, max_units=max_units)
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    index = np.searchsorted(cdf, rng.random(n_samples), side="right")
    # u < cdf[-1] = 1 always, so the index is in range; the minimum guards rounding only.
    return states_of(np.minimum(index, len(p) - 1), _n_visible(model))
