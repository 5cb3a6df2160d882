r"""Exact transition matrices of the book's samplers, and the distributions of their chains.

For a model small enough to enumerate, a sampler is a :math:`2^n \times 2^n`
stochastic matrix :math:`P`; the distribution of a chain after *t* steps is
:math:`\pi_0 P^t`. These matrices let the book measure a sampler or a
CD-k gradient against the truth instead of estimating it:

* :func:`gibbs_transition_matrix`, :func:`metropolis_transition_matrix` --
  single-site samplers of pairwise models (chapter 2);
* :func:`block_gibbs_matrices`, :func:`cd_chain_distributions` -- the
  alternating Gibbs chain of an RBM and the distribution CD-k samples from
  (chapter 4).

States are indexed in :func:`dreambook.states.all_states` order.
"""

from __future__ import annotations

import numpy as np

from ._special import sigmoid, softplus
from ._validation import check_binary, check_model, check_nonnegative_int, check_positive_int, check_temperature
from .models import RBM, BoltzmannMachine, FullyVisibleBM
from .states import all_states, empirical_distribution, state_index

__all__ = [
    "gibbs_transition_matrix",
    "metropolis_transition_matrix",
    "block_gibbs_matrices",
    "cd_chain_distributions",
    "expected_reconstruction_error",
    "check_small_rbm",
]


def _enumerable_states(n: int, max_units, func: str) -> np.ndarray:
    max_units = check_positive_int(max_units, "max_units")
    if n > max_units:
        raise ValueError(
            f"{func} builds a 2**n by 2**n matrix; the model has n = {n} units, "
            f"more than max_units={max_units}"
        )
    return all_states(n, max_units=max(n, 1))


def gibbs_transition_matrix(model, T=None, site=None, max_units=12):
    r"""Exact transition matrix of single-site Gibbs sampling on a small model.

    Entry ``P[s, s2]`` is the probability that the chain moves from state
    ``s`` to state ``s2`` (both indexed in :func:`dreambook.states.all_states`
    order; hidden units of a :class:`~dreambook.models.BoltzmannMachine` are
    part of the state). The kernel :math:`K_i` that resamples unit *i* from

    .. math::

        p(x_i = 1 \mid x_{-i}) = \sigma(u_i / T), \qquad u_i = \sum_j W_{ij} x_j + b_i,

    moves only between states that agree off unit *i*:
    :math:`K_i[s, s'] = p(x_i = s'_i \mid s_{-i})` when :math:`s'_{-i} = s_{-i}`,
    and 0 otherwise. One sequential sweep (what :func:`gibbs_sweep` does with
    ``scan="sequential"``) is the product :math:`P = K_1 K_2 \cdots K_n`.

    Each :math:`K_i` satisfies detailed balance with :math:`p \propto \exp(-E/T)`;
    their product leaves :math:`p` invariant but is in general *not* reversible.

    Parameters
    ----------
    model : FullyVisibleBM or BoltzmannMachine
    T : float, optional
        Temperature; defaults to ``model.T``.
    site : int, optional
        Return the single-site kernel :math:`K_i` of this unit (0-based)
        instead of the kernel of a whole sequential sweep.
    max_units : int, default 12
        Refuse larger models (the matrix has :math:`4^n` entries).

    Returns
    -------
    ndarray, shape (2**n, 2**n)
        A stochastic matrix: non-negative rows that sum to 1.

    Examples
    --------
    One unit with zero bias is resampled from a fair coin, wherever it starts:

    >>> from dreambook.models import FullyVisibleBM
    >>> gibbs_transition_matrix(FullyVisibleBM.zeros(1))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    check_model(model, (FullyVisibleBM, BoltzmannMachine), func="gibbs_transition_matrix")
    T = check_temperature(model.T if T is None else T, "T")
    n = model.n_units
    states = _enumerable_states(n, max_units, "gibbs_transition_matrix")
    if site is None:
        sites = range(n)
    else:
        if isinstance(site, (bool, np.bool_)) or not isinstance(site, (int, np.integer)):
            raise TypeError(f"site must be an integer unit index, got {type(site).__name__}")
        if not 0 <= site < n:
            raise ValueError(f"site must be a unit index in [0, {n - 1}], got {site}")
        sites = [int(site)]
    fields = model.local_field(states)  # u_i(s) depends only on s_{-i}: W has a zero diagonal
    index = np.arange(2**n)
    P = np.eye(2**n)
    for i in sites:
        flip = index ^ (1 << (n - 1 - i))
        # probability of landing in s2 from any state that agrees with s2 off unit i
        q = np.where(states[:, i] == 1, sigmoid(fields[:, i] / T), sigmoid(-fields[:, i] / T))
        P = (P + P[:, flip]) * q[None, :]
    return P


def metropolis_transition_matrix(model, T=None, max_units=12):
    r"""Exact transition matrix of one single-bit-flip Metropolis step (:func:`metropolis_chain`).

    From state :math:`s`, a unit *i* is chosen with probability :math:`1/n`,
    the flipped state :math:`s'` is proposed, and accepted with probability
    :math:`\min\big(1, \tilde p(s')/\tilde p(s)\big)`; otherwise the chain
    stays at :math:`s`. Here :math:`\log\tilde p` is
    ``model.unnormalized_log_prob`` (:math:`-E/T`, or :math:`-F/T` over the
    visible units of an RBM). The matrix satisfies detailed balance with
    :math:`p \propto \tilde p`.

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    T : float, optional
        Temperature; defaults to ``model.T``.
    max_units : int, default 12

    Returns
    -------
    ndarray, shape (2**n, 2**n)

    Examples
    --------
    >>> from dreambook.models import FullyVisibleBM
    >>> m = FullyVisibleBM([[0.0]], [np.log(3.0)])   # p(x = 1) = 3/4
    >>> metropolis_transition_matrix(m).round(4)
    array([[0.    , 1.    ],
           [0.3333, 0.6667]])
    """
    check_model(model, (FullyVisibleBM, BoltzmannMachine, RBM), func="metropolis_transition_matrix")
    n = model.n_visible if isinstance(model, RBM) else model.n_units
    T = check_temperature(model.T if T is None else T, "T")
    states = _enumerable_states(n, max_units, "metropolis_transition_matrix")
    log_p = model.unnormalized_log_prob(states, T=T)
    index = np.arange(2**n)
    P = np.zeros((2**n, 2**n))
    for i in range(n):
        flip = index ^ (1 << (n - 1 - i))
        P[index, flip] = np.exp(np.minimum(log_p[flip] - log_p, 0.0)) / n
    P[index, index] = 1.0 - P.sum(axis=1)
    return P


#: Largest layer :func:`block_gibbs_matrices` and :func:`train_small_rbm` enumerate by default.
MICROSCOPE_MAX_UNITS = 12


def check_small_rbm(rbm: RBM, max_units, what: str) -> None:
    """Refuse (ValueError) an RBM with a layer larger than ``max_units``: ``what`` enumerates both layers."""
    max_units = check_positive_int(max_units, "max_units")
    if max(rbm.n_visible, rbm.n_hidden) > max_units:
        raise ValueError(
            f"{what} enumerates both layers of the RBM; it has {rbm.n_visible} visible and "
            f"{rbm.n_hidden} hidden units, more than max_units={max_units}"
        )


def _log_conditional_matrix(logits: np.ndarray, states: np.ndarray) -> np.ndarray:
    r"""``L[r, s] = log p(states_s | row r)`` for independent units with log-odds ``logits[r]``.

    :math:`\log\prod_j \sigma(a_j)^{s_j}\sigma(-a_j)^{1-s_j} = a^\top s - \sum_j \operatorname{softplus}(a_j)`,
    which is never positive and needs no logarithm of a probability.
    """
    return logits @ states.T - softplus(logits).sum(axis=1)[:, None]


def block_gibbs_matrices(rbm, max_units=MICROSCOPE_MAX_UNITS):
    r"""Exact matrices of the two half-steps of block Gibbs sampling in a small RBM.

    With the states of each layer enumerated in :func:`dreambook.states.all_states`
    order,

    .. math::

        Q[v, h] = p(h \mid v) = \prod_j p(h_j \mid v), \qquad
        R[h, v] = p(v \mid h) = \prod_i p(v_i \mid h),

    so one block Gibbs step :math:`v \to h \to v'` has the transition matrix
    :math:`P = QR` (rows sum to 1), and a distribution :math:`p_t` over the
    visible states moves to :math:`p_{t+1} = p_t Q R`. The model's marginal
    :math:`p(v)` is stationary: :math:`pP = p`.

    Parameters
    ----------
    rbm : RBM
    max_units : int, default 12
        Refuse RBMs with a layer larger than this (the matrices have
        :math:`2^{n_v + n_h}` entries).

    Returns
    -------
    Q : ndarray, shape (2**n_visible, 2**n_hidden)
    R : ndarray, shape (2**n_hidden, 2**n_visible)

    Examples
    --------
    >>> from dreambook import exact
    >>> rbm = RBM([[2.0]], [0.0], [-1.0])
    >>> Q, R = block_gibbs_matrices(rbm)
    >>> Q.round(4)                 # p(h | v): sigma(-1) and sigma(1)
    array([[0.7311, 0.2689],
           [0.2689, 0.7311]])
    >>> p = exact.probabilities(rbm)
    >>> bool(np.allclose(p @ Q @ R, p))   # the model is stationary
    True
    """
    check_model(rbm, RBM, "rbm")
    check_small_rbm(rbm, max_units, "block_gibbs_matrices")
    V = all_states(rbm.n_visible)
    H = all_states(rbm.n_hidden)
    # log-odds of p(h_j = 1 | v) and p(v_i = 1 | h): the RBM's conditionals are logistic
    Q = np.exp(_log_conditional_matrix((V @ rbm.W + rbm.c) / rbm.T, H))
    R = np.exp(_log_conditional_matrix((H @ rbm.W.T + rbm.b) / rbm.T, V))
    return Q, R


def cd_chain_distributions(rbm, data, k, max_units=MICROSCOPE_MAX_UNITS) -> np.ndarray:
    r"""Exact distributions :math:`p_0, p_1, \dots, p_k` of the visible state of a CD chain.

    :math:`p_0` is the empirical distribution of ``data`` (a chain starts at a
    training example chosen uniformly), and :math:`p_{t+1} = p_t Q R` (see
    :func:`block_gibbs_matrices`). As :math:`t \to \infty`, :math:`p_t` tends
    to the model's marginal :math:`p_\infty(v)`. CD-k contrasts :math:`p_0`
    with :math:`p_k` (Hinton 2002): it follows approximately the gradient of
    :math:`\mathrm{KL}(p_0 \,\|\, p_\infty) - \mathrm{KL}(p_k \,\|\, p_\infty)`.

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1, shape (m, n_visible)
    k : int
        Number of block Gibbs steps, >= 0.
    max_units : int, default 12

    Returns
    -------
    ndarray, shape (k + 1, 2**n_visible)
        Row *t* is :math:`p_t` over the visible states in
        :func:`dreambook.states.all_states` order.

    Examples
    --------
    >>> from dreambook import exact
    >>> rbm = RBM.random(3, 2, rng=0, scale=1.0)
    >>> p = cd_chain_distributions(rbm, [[1, 0, 1]], k=200)
    >>> float(p[0, 0b101]), bool(np.allclose(p[-1], exact.probabilities(rbm)))
    (1.0, True)
    """
    check_model(rbm, RBM, "rbm")
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    k = check_nonnegative_int(k, "k")
    Q, R = block_gibbs_matrices(rbm, max_units)
    out = np.empty((k + 1, 2**rbm.n_visible))
    out[0] = empirical_distribution(data)
    for t in range(k):
        out[t + 1] = (out[t] @ Q) @ R
    return out


def expected_reconstruction_error(rbm, data, max_units=MICROSCOPE_MAX_UNITS) -> float:
    r"""Exact expected one-step reconstruction error of a small RBM, in flipped units per example.

    A reconstruction of a data vector :math:`v` is one block Gibbs step
    :math:`v \to h \sim p(h \mid v) \to v' \sim p(v' \mid h)`. Its error is
    the number of units that differ, :math:`\lVert v - v' \rVert^2` for
    binary vectors, and this returns its exact expectation averaged over the
    rows of ``data``:

    .. math::

        \frac{1}{N}\sum_{n=1}^{N} \sum_{v'} (QR)[v_n, v']\,\lVert v_n - v' \rVert^2,

    with :math:`Q, R` from :func:`block_gibbs_matrices`. It is the quantity
    training scripts often monitor; it is *not* the likelihood, and it can fall
    while the likelihood falls.

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1, shape (n_examples, n_visible)
    max_units : int, default 12

    Returns
    -------
    float

    Examples
    --------
    With :math:`W = 0` every reconstructed unit is on with probability
    :math:`\sigma(b_i/T)`, whatever the data:

    >>> rbm = RBM(np.zeros((2, 1)), [0.0, 0.0], [0.0])
    >>> expected_reconstruction_error(rbm, [[1, 0]])    # each unit wrong with probability 1/2
    1.0
    """
    check_model(rbm, RBM, "rbm")
    check_small_rbm(rbm, max_units, "expected_reconstruction_error")
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    Q, R = block_gibbs_matrices(rbm, max_units=max_units)
    V = all_states(rbm.n_visible)
    index = state_index(data)
    reconstruction = Q[index] @ R                                   # rows: p(v' | v_n)
    hamming = data @ (1.0 - V).T + (1.0 - data) @ V.T               # ||v_n - v'||^2
    return float(np.mean(np.sum(reconstruction * hamming, axis=1)))
