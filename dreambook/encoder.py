r"""The encoder problem and the Boltzmann machine learning procedure of Ackley, Hinton & Sejnowski (1985).

The *v-h-v encoder*: two groups of *v* visible units, :math:`V_1` and
:math:`V_2`, talk to each other only through *h* hidden units :math:`H`
(:math:`h < v`). The world shows *v* equiprobable patterns, each with one unit
of :math:`V_1` on and the corresponding unit of :math:`V_2` on. Each visible
group is fully connected internally and to :math:`H`; the hidden units are not
connected to each other, and :math:`V_1` is not connected to :math:`V_2`, so
the network must invent a code in :math:`H` to pass the pattern across.
Units are ordered :math:`V_1, V_2, H`; the machine is a
:class:`~dreambook.models.BoltzmannMachine` whose visible units are
:math:`V_1 \cup V_2`.

Learning minimizes the divergence between the world's distribution
:math:`P^+(v)` and the free-running model's :math:`P^-(v)`,

.. math::

    G = \sum_v P^+(v)\,\log\frac{P^+(v)}{P^-(v)}, \qquad
    \frac{\partial G}{\partial w_{ij}} = -\frac{1}{T}\big(p^+_{ij} - p^-_{ij}\big),

where :math:`p^+_{ij}` is the probability that units *i* and *j* are on
together with the visible units clamped by the world (the *clamped* or
waking phase) and :math:`p^-_{ij}` the same with nothing clamped (the *free*
phase, the model's own dream). This module provides both ways of getting the
two statistics:

* **sampled**, as in the paper (:func:`sampled_clamped_statistics`,
  :func:`sampled_free_statistics`, :func:`learning_cycle`,
  :func:`train_paper`): noisy clamping, an annealing schedule and co-occurrence
  counts from :mod:`dreambook.sampling`, followed by a fixed-size step in the
  direction of :math:`\operatorname{sign}(p^+_{ij} - p^-_{ij})`;
* **exact**, by enumeration with :mod:`dreambook.exact`
  (:func:`clamped_statistics`, :func:`exact_phase_difference`,
  :func:`train_exact`), and a fast lockstep version for many networks at once
  (:func:`train_exact_population`) used for restarts.

Success is judged exactly (:func:`evaluate`): with :math:`V_1` clamped to
each pattern, the most probable hidden code must differ between patterns and
the most probable state of :math:`V_2` must equal the pattern. The conditional
distributions are computed by enumeration (:func:`clamp_input`), exactly as
if the joint distribution over all :math:`2^{2v+h}` states were conditioned.

Layering: this module uses :mod:`dreambook.models`, :mod:`dreambook.exact`
and :mod:`dreambook.sampling`; only explorers and notebooks import it.

Units. The paper ran at :math:`T = 10` with weight steps of 2 and annealed
from :math:`T = 20`; dividing every weight and temperature by 10 gives the
same Boltzmann distributions at :math:`T = 1` with steps of 0.2 and
annealing from :math:`T = 2` (:data:`PAPER`).

References
----------
D. H. Ackley, G. E. Hinton & T. J. Sejnowski (1985), A learning algorithm for
Boltzmann machines, *Cognitive Science* 9, 147-169.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._kernels.boltzmann import population_sweeps
from ._special import logsumexp
from . import exact, sampling
from ._validation import (
    Settings,
    as_generator,
    check_binary,
    check_bool,
    check_choice,
    check_finite_array,
    check_model,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_probability_vector,
    check_real,
    check_seed,
    check_settings,
    check_temperature,
)
from .models import BoltzmannMachine, block_mask
from .training import History
from .states import all_states, empirical_distribution, pack_pairs, pair_features, unpack_pairs

__all__ = [
    "Procedure",
    "PAPER",
    "ExactRule",
    "encoder_patterns",
    "encoder_mask",
    "encoder_machine",
    "noisy_clamp",
    "clean_distribution",
    "noisy_distribution",
    "clamped_statistics",
    "exact_phase_difference",
    "divergence",
    "EncoderReport",
    "clamp_input",
    "evaluate",
    "sampled_clamped_statistics",
    "sampled_free_statistics",
    "sign_step",
    "learning_cycle",
    "train_paper",
    "train_paper_population",
    "train_exact",
    "train_exact_population",
    "best_of_restarts",
]


# ---------------------------------------------------------------------------
# Settings of the learning procedure
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Procedure(Settings):
    r"""Settings of the sampled learning procedure (Ackley, Hinton & Sejnowski 1985, sec. 4.1).

    The defaults, :data:`PAPER`, are the paper's settings in units where the
    final temperature is 1 (the paper's weights and temperatures divided by 10).

    Attributes
    ----------
    weight_step : float
        Size of every weight change: :math:`\Delta w_{ij} = \pm` ``weight_step``
        with the sign of :math:`p^+_{ij} - p^-_{ij}` (paper: 2 at T = 10).
    p_flip_on : float
        Noisy clamping: probability that an *on* bit of a clamped pattern is
        turned off (paper: 0.15).
    p_flip_off : float
        Noisy clamping: probability that an *off* bit is turned on (paper: 0.05).
    n_repeats : int
        Annealings per pattern in the clamped phase (paper: 2); the free phase
        uses as many annealings as the clamped phase.
    schedule : tuple of float
        Temperatures of the annealing, one Gibbs sweep each, starting from
        random states (paper: 2 units of time at 20, 2 at 15, 2 at 12, 4 at 10).
    n_stat_sweeps : int
        Sweeps at the final temperature over which co-occurrences are counted
        (paper: 10 units of time at T = 10).
    scan : {"random", "sequential", "probes"}
        Order in which a sweep visits the units; "random" is a fresh random
        order each sweep (every unit once); "probes" is the paper's unit of
        time, as many random probes as free units, drawn with replacement
        (see :func:`dreambook.sampling.gibbs_sweep`).
    """

    weight_step: float = 0.2
    p_flip_on: float = 0.15
    p_flip_off: float = 0.05
    n_repeats: int = 2
    schedule: tuple = (2.0, 2.0, 1.5, 1.5, 1.2, 1.2, 1.0, 1.0, 1.0, 1.0)
    n_stat_sweeps: int = 10
    scan: str = "random"

    def __post_init__(self):
        check_positive_float(self.weight_step, "weight_step")
        check_real(self.p_flip_on, "p_flip_on", 0, 1, high_open=True)
        check_real(self.p_flip_off, "p_flip_off", 0, 1, high_open=True)
        check_positive_int(self.n_repeats, "n_repeats")
        check_positive_int(self.n_stat_sweeps, "n_stat_sweeps")
        schedule = check_finite_array(self.schedule, "schedule", ndim=1)
        if schedule.size == 0 or np.any(schedule <= 0):
            raise ValueError("schedule must be a non-empty sequence of temperatures > 0")
        object.__setattr__(self, "schedule", tuple(float(T) for T in schedule))
        if self.scan not in ("random", "sequential", "probes"):
            raise ValueError(f"scan must be 'random', 'sequential' or 'probes', got {self.scan!r}")

    @property
    def T_final(self) -> float:
        """The temperature at which statistics are collected (the schedule's last)."""
        return self.schedule[-1]



#: The paper's procedure for the 4-2-4 encoder, at T = 1 (see :class:`Procedure`).
PAPER = Procedure()


def _check_procedure(procedure) -> Procedure:
    if not isinstance(procedure, Procedure):
        raise TypeError(f"procedure must be a dreambook.encoder.Procedure, got {type(procedure).__name__}")
    return procedure


# ---------------------------------------------------------------------------
# The task
# ---------------------------------------------------------------------------
def encoder_patterns(v: int = 4) -> np.ndarray:
    """The *v* training patterns of the v-h-v encoder, shape (v, 2v).

    Pattern *k* has unit *k* of :math:`V_1` and unit *k* of :math:`V_2` on,
    every other unit off.

    >>> encoder_patterns(3)
    array([[1., 0., 0., 1., 0., 0.],
           [0., 1., 0., 0., 1., 0.],
           [0., 0., 1., 0., 0., 1.]])
    """
    v = check_positive_int(v, "v")
    eye = np.eye(v)
    return np.hstack([eye, eye])


def encoder_mask(v: int = 4, h: int = 2) -> np.ndarray:
    """Connectivity of the v-h-v encoder: within V1, within V2, V1-H and V2-H.

    A wrapper of :func:`dreambook.models.block_mask` with groups (V1, V2, H).

    >>> m = encoder_mask(4, 2)
    >>> m.shape, int(m.sum()) // 2        # 6 + 6 + 8 + 8 connections
    ((10, 10), 28)
    >>> bool(m[0, 4]), bool(m[8, 9])      # no V1-V2 and no H-H connections
    (False, False)
    """
    v = check_positive_int(v, "v")
    h = check_positive_int(h, "h")
    return block_mask([v, v, h], [(0, 0), (1, 1), (0, 2), (1, 2)])


def encoder_machine(v: int = 4, h: int = 2, rng=None, scale: float = 0.0, T: float = 1.0) -> BoltzmannMachine:
    r"""A v-h-v encoder network with zero weights, or small random ones.

    Parameters
    ----------
    v, h : int
        Units per visible group and hidden units.
    rng : numpy.random.Generator or int, optional
        Needed only when ``scale > 0``.
    scale : float, default 0.0
        With ``scale > 0``, every connection and bias starts at
        :math:`N(0, \text{scale}^2)`; the paper started all weights at zero.
    T : float, default 1.0

    >>> encoder_machine()
    BoltzmannMachine(n_visible=8, n_hidden=2, n_connections=28, T=1.0)
    """
    mask = encoder_mask(v, h)
    v, h = int(v), int(h)
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.integer, np.floating)):
        raise TypeError(f"scale must be a real number >= 0, got {type(scale).__name__}")
    if not np.isfinite(scale) or scale < 0:
        raise ValueError(f"scale must be a finite number >= 0, got {scale}")
    if scale == 0:
        return BoltzmannMachine.zeros(2 * v, h, mask=mask, T=T)
    return BoltzmannMachine.random(2 * v, h, rng=rng, scale=scale, mask=mask, T=T)


def _encoder_shape(model) -> tuple[int, int]:
    """(v, h) of an encoder network; checks that ``model`` has the encoder layout."""
    check_model(model, BoltzmannMachine, hint=" (an encoder network)")
    if model.n_visible % 2 or model.n_hidden < 1:
        raise ValueError(
            "model must be an encoder network: an even number of visible units (V1 then V2) "
            f"and at least one hidden unit, got n_visible={model.n_visible}, n_hidden={model.n_hidden}"
        )
    return model.n_visible // 2, model.n_hidden


def noisy_clamp(patterns, rng, p_flip_on: float = 0.15, p_flip_off: float = 0.05) -> np.ndarray:
    """Noisy copies of binary patterns: on bits turn off w.p. ``p_flip_on``, off bits on w.p. ``p_flip_off``.

    This is the paper's "noisy clamping": every visible vector then has some
    probability in the training distribution, so no weight needs to become
    infinite to give the unseen vectors zero probability.

    Parameters
    ----------
    patterns : array_like of 0/1, shape (m, n)
    rng : numpy.random.Generator or int
    p_flip_on, p_flip_off : float in [0, 1)

    Returns
    -------
    ndarray of shape (m, n), a new array.

    >>> noisy_clamp(encoder_patterns(2), rng=0, p_flip_on=0.0, p_flip_off=0.0)
    array([[1., 0., 1., 0.],
           [0., 1., 0., 1.]])
    """
    x = check_binary(patterns, "patterns", allow_1d=False)
    rng = as_generator(rng)
    p_on = check_real(p_flip_on, "p_flip_on", 0, 1, high_open=True)
    p_off = check_real(p_flip_off, "p_flip_off", 0, 1, high_open=True)
    u = rng.random(x.shape)
    flip = np.where(x == 1.0, u < p_on, u < p_off)
    return np.where(flip, 1.0 - x, x)


def clean_distribution(patterns) -> np.ndarray:
    """The world's distribution over all :math:`2^n` visible vectors: the patterns, equally often.

    In :func:`dreambook.states.all_states` order (first unit = most significant bit).

    >>> clean_distribution([[1, 0], [0, 1]])
    array([0. , 0.5, 0.5, 0. ])
    """
    return empirical_distribution(check_binary(patterns, "patterns", allow_1d=False))


def noisy_distribution(patterns, p_flip_on: float = 0.15, p_flip_off: float = 0.05) -> np.ndarray:
    r"""Exact distribution of noisily clamped patterns over all :math:`2^n` visible vectors.

    A pattern is drawn uniformly and each bit is flipped independently as in
    :func:`noisy_clamp`, so

    .. math::

        P^+(v) = \frac1m \sum_{k=1}^m \prod_i P(v_i \mid x^{(k)}_i).

    This is the training distribution that the paper's noisy clamping samples
    from; the exact procedures fit it directly.

    >>> p = noisy_distribution([[1, 0]], p_flip_on=0.1, p_flip_off=0.2)
    >>> p                       # states 00, 01, 10, 11
    array([0.08, 0.02, 0.72, 0.18])
    """
    x = check_binary(patterns, "patterns", allow_1d=False)
    p_on = check_real(p_flip_on, "p_flip_on", 0, 1, high_open=True)
    p_off = check_real(p_flip_off, "p_flip_off", 0, 1, high_open=True)
    states = all_states(x.shape[1])
    probs = np.zeros(len(states))
    for pattern in x:
        p_one = np.where(pattern == 1.0, 1.0 - p_on, p_off)  # P(bit = 1 | pattern bit)
        probs += np.prod(np.where(states == 1.0, p_one, 1.0 - p_one), axis=1)
    return probs / len(x)


def _check_p_data(p_data, model) -> np.ndarray:
    return check_probability_vector(p_data, "p_data", size=2**model.n_visible)


# ---------------------------------------------------------------------------
# Exact statistics
# ---------------------------------------------------------------------------
def _expected_statistics(model, weights) -> dict:
    """E[x_i x_j] (masked, zero diagonal) and E[x_i] under weights over all joint states."""
    X = all_states(model.n_units)
    second = X.T @ (weights[:, None] * X)
    np.fill_diagonal(second, 0.0)
    return {"W": second * model.mask, "b": weights @ X}


def _clamped_joint(model, p_data, log_joint=None) -> np.ndarray:
    r"""The clamped-phase distribution :math:`P^+(v)\,p(h \mid v)` over all joint states.

    :math:`p(h \mid v)` is a softmax over *h* of the joint log-probabilities,
    so it is exact even for a data vector whose :math:`p(v)` underflows to 0
    (dividing probabilities would drop that vector from the statistics).
    """
    if log_joint is None:
        log_joint = exact.log_probabilities(model, joint=True)
    log_joint = log_joint.reshape(2**model.n_visible, 2**model.n_hidden)
    cond = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))  # p(h | v)
    return (p_data[:, None] * cond).ravel()


def clamped_statistics(model, p_data) -> dict:
    r"""Exact clamped-phase statistics :math:`p^+_{ij}` for a distribution over visible vectors.

    With the visible units clamped to :math:`v \sim P^+` and the hidden units
    at equilibrium, :math:`h \sim p(h \mid v)`,

    .. math::

        p^+_{ij} = \sum_v P^+(v)\, \mathbb{E}[x_i x_j \mid v], \qquad
        p^+_i = \sum_v P^+(v)\, \mathbb{E}[x_i \mid v].

    For ``p_data`` uniform over a data set this equals
    :func:`dreambook.exact.data_statistics`; here any weights are allowed,
    e.g. :func:`noisy_distribution`.

    Parameters
    ----------
    model : BoltzmannMachine
    p_data : array_like, shape (2**n_visible,)
        Probabilities of the visible vectors, in :func:`dreambook.states.all_states` order.

    Returns
    -------
    dict
        ``{"W": p⁺_ij (zero where the mask is False), "b": p⁺_i}``, keyed like ``model.params``.

    Examples
    --------
    >>> model = encoder_machine(2, 1, rng=0, scale=0.5)
    >>> data = encoder_patterns(2)
    >>> s = clamped_statistics(model, clean_distribution(data))
    >>> bool(np.allclose(s["W"], exact.data_statistics(model, data)["W"]))
    True
    """
    check_model(model, BoltzmannMachine)
    p = _check_p_data(p_data, model)
    return _expected_statistics(model, _clamped_joint(model, p))


def exact_phase_difference(model, p_data) -> dict:
    r"""Exact :math:`-\partial G / \partial\theta = (p^+ - p^-)/T`, keyed like ``model.params``.

    The clamped statistics of :func:`clamped_statistics` minus the free
    statistics of :func:`dreambook.exact.model_statistics`, divided by the
    temperature. Since :math:`G = -H(P^+) - \sum_v P^+(v)\log P^-(v)`, this is
    also the gradient of the expected log-likelihood, the ascent direction.

    >>> model = encoder_machine(2, 1, rng=0, scale=0.5)
    >>> data = encoder_patterns(2)
    >>> g = exact_phase_difference(model, clean_distribution(data))
    >>> bool(np.allclose(g["W"], exact.log_likelihood_gradient(model, data)["W"]))
    True
    """
    check_model(model, BoltzmannMachine)
    p = _check_p_data(p_data, model)
    log_joint = exact.log_probabilities(model, joint=True)
    positive = _expected_statistics(model, _clamped_joint(model, p, log_joint))
    negative = _expected_statistics(model, np.exp(log_joint))
    return {key: (positive[key] - negative[key]) / model.T for key in model.params}


def divergence(model, p_data) -> float:
    r"""The paper's :math:`G = \sum_v P^+(v)\log\big(P^+(v)/P^-(v)\big)`, in nats.

    :math:`P^-` is the model's exact visible distribution
    (:func:`dreambook.exact.probabilities`); :math:`G` is
    :func:`dreambook.exact.kl_divergence` of the two. Minus the training
    log-likelihood differs from :math:`G` only by the entropy of
    :math:`P^+`, a constant.

    >>> model = encoder_machine(2, 1)
    >>> p = clean_distribution(encoder_patterns(2))    # 2 of 16 vectors
    >>> bool(np.isclose(divergence(model, p), np.log(8)))   # uniform model: log(16/2)
    True
    """
    check_model(model, BoltzmannMachine)
    p = _check_p_data(p_data, model)
    return exact.kl_divergence(p, exact.probabilities(model))


# ---------------------------------------------------------------------------
# The success test
# ---------------------------------------------------------------------------
@dataclass
class EncoderReport:
    """What an encoder network does with each input, computed exactly (see :func:`evaluate`).

    Attributes
    ----------
    hidden_on : ndarray, shape (v, h)
        :math:`P(h_j = 1 \\mid V_1 = e_k)`: row *k* places input *k*'s code in the unit (hyper)cube.
    codes : ndarray of int, shape (v,)
        The most probable hidden state given input *k*, as an index (first hidden unit = high bit).
    outputs : ndarray of int, shape (v,)
        The most probable state of :math:`V_2` given input *k*, as the index of the one unit
        on, or -1 if that state is not a single unit on.
    p_correct : ndarray, shape (v,)
        :math:`P(V_2 = e_k \\mid V_1 = e_k)`.
    clamped_codes : ndarray of int, shape (v,)
        The most probable hidden state with *both* groups clamped to pattern *k*
        (the code the clamped phase sees).
    solved : bool
        True if the codes are all different and every output equals its input.
    G : float or None
        The divergence of :func:`divergence`, if a distribution was given.
    """

    hidden_on: np.ndarray
    codes: np.ndarray
    outputs: np.ndarray
    p_correct: np.ndarray
    clamped_codes: np.ndarray
    solved: bool
    G: float | None = None

    @property
    def n_distinct_codes(self) -> int:
        """How many different most-probable codes the inputs use."""
        return int(len(np.unique(self.codes)))

    @property
    def distinct_clamped_codes(self) -> bool:
        """Whether the clamped-phase codes of the patterns are all different (a weaker test)."""
        return bool(len(np.unique(self.clamped_codes)) == len(self.clamped_codes))


def clamp_input(model, k: int) -> BoltzmannMachine:
    r"""The network on :math:`(V_2, H)` left when :math:`V_1` is clamped to pattern :math:`e_k`.

    Clamping unit *k* of :math:`V_1` on and the rest off removes those units
    and adds their connections to the biases of the remaining ones,
    :math:`b'_i = b_i + W_{ik}`; the energy changes only by a constant, so
    the Boltzmann distribution of this smaller machine is exactly
    :math:`p(V_2, H \mid V_1 = e_k)`. Its visible units are :math:`V_2`.

    >>> model = encoder_machine(2, 1, rng=0, scale=1.0)
    >>> small = clamp_input(model, 0)
    >>> small.n_visible, small.n_hidden
    (2, 1)
    >>> joint = exact.probabilities(model, joint=True).reshape(4, 8)   # (V1, (V2, H))
    >>> bool(np.allclose(exact.probabilities(small, joint=True), joint[2] / joint[2].sum()))
    True
    """
    v, _ = _encoder_shape(model)
    k = check_nonnegative_int(k, "k")
    if k >= v:
        raise ValueError(f"k must be the index of a unit of V1, in 0..{v - 1}, got {k}")
    rest = np.arange(v, model.n_units)
    W = model.W[np.ix_(rest, rest)]
    b = model.b[rest] + model.W[rest, k]
    return BoltzmannMachine(W, b, v, mask=model.mask[np.ix_(rest, rest)], T=model.T)


def evaluate(model, p_data=None) -> EncoderReport:
    r"""Judge an encoder network exactly: its codes, its outputs and whether it is solved.

    For each input pattern *k*, :math:`V_1` is clamped to :math:`e_k` and the
    conditional distribution of :math:`(V_2, H)` is computed exactly, by
    enumerating the :math:`2^{v+h}` states of :func:`clamp_input` (the same
    numbers as conditioning the joint distribution over all :math:`2^{2v+h}`
    states). The network is
    *solved* when the most probable hidden codes of the *v* inputs are all
    different and, for every *k*, the most probable state of :math:`V_2` is
    :math:`e_k`: the information crossed the bottleneck.

    Parameters
    ----------
    model : BoltzmannMachine
        An encoder network (units V1, V2, H).
    p_data : array_like, optional
        A distribution over visible vectors; if given, :math:`G` is also computed
        (from the same enumeration).

    Returns
    -------
    EncoderReport

    Examples
    --------
    A hand-made solution of the 2-1-2 encoder: the hidden unit copies the
    first unit of each group and the two units of a group inhibit each other.

    >>> model = encoder_machine(2, 1)
    >>> W = model.W
    >>> W[0, 4] = W[4, 0] = W[2, 4] = W[4, 2] = 6.0   # V1[0], V2[0] -- H
    >>> W[0, 1] = W[1, 0] = W[2, 3] = W[3, 2] = -6.0  # winner-take-all
    >>> model.b[:] = [0.0, 3.0, 0.0, 3.0, -6.0]
    >>> report = evaluate(model)
    >>> report.codes, report.outputs, report.solved
    (array([1, 0]), array([0, 1]), True)
    """
    v, h = _encoder_shape(model)
    one_hot = 2 ** (v - 1 - np.arange(v))  # all_states index of e_k in a group of v units
    cond = np.array([
        exact.probabilities(clamp_input(model, k), joint=True).reshape(2**v, 2**h) for k in range(v)
    ])  # (v, 2**v, 2**h): p(V2, H | V1 = e_k)
    p_codes = cond.sum(axis=1)  # (v, 2**h)
    p_v2 = cond.sum(axis=2)  # (v, 2**v)
    codes = np.argmax(p_codes, axis=1)
    best_v2 = np.argmax(p_v2, axis=1)
    outputs = np.array([int(np.flatnonzero(one_hot == s)[0]) if s in one_hot else -1 for s in best_v2])
    hidden_on = p_codes @ all_states(h)
    p_correct = p_v2[np.arange(v), one_hot]
    clamped_codes = np.argmax(cond[np.arange(v), one_hot], axis=1)
    solved = bool(len(np.unique(codes)) == v and np.array_equal(outputs, np.arange(v)))
    G = None if p_data is None else divergence(model, p_data)
    return EncoderReport(hidden_on, codes, outputs, p_correct, clamped_codes, solved, G)


# ---------------------------------------------------------------------------
# Sampled statistics: the paper's procedure
# ---------------------------------------------------------------------------
def _free_units(model, clamp) -> np.ndarray:
    return np.ones(model.n_units, dtype=bool) if clamp is None else ~clamp


def _anneal(model, x, schedule, rng, scan, clamp=None) -> np.ndarray:
    """One Gibbs sweep per temperature of ``schedule``, runs of equal temperatures batched.

    The same chains as :func:`dreambook.sampling.gibbs_chain` (same arithmetic, same
    random numbers), without re-validating the model at every call: the callers
    check it once. ``x`` (2-d, float) is updated in place and returned.
    """
    free = _free_units(model, clamp)
    start = 0
    while start < len(schedule):
        stop = start
        while stop < len(schedule) and schedule[stop] == schedule[start]:
            stop += 1
        x = sampling._run_sweeps(model.W, model.b, x, schedule[start], free, scan,
                                 stop - start, rng, record=False)
        start = stop
    return x


def _counted_statistics(model, x, rng, procedure, clamp=None) -> dict:
    """Co-occurrence frequencies over ``n_stat_sweeps`` sweeps at the final temperature."""
    trace = sampling._run_sweeps(model.W, model.b, x, procedure.T_final, _free_units(model, clamp),
                                 procedure.scan, procedure.n_stat_sweeps, rng, record=True)
    return model.sufficient_statistics(trace.reshape(-1, model.n_units))


def sampled_clamped_statistics(model, patterns, rng, procedure: Procedure = PAPER) -> dict:
    r"""Sampled clamped-phase statistics :math:`\hat p^+_{ij}`, as in the paper.

    Each pattern is clamped ``procedure.n_repeats`` times, each time through
    :func:`noisy_clamp`; the hidden units start at random (infinite
    temperature), are annealed through ``procedure.schedule`` with the visible
    units clamped (:func:`dreambook.sampling.gibbs_chain` with ``clamp=``), and
    co-occurrences are counted over ``procedure.n_stat_sweeps`` further sweeps.
    All annealings run side by side as parallel chains.

    Returns
    -------
    dict
        ``{"W": p̂⁺_ij, "b": p̂⁺_i}``, keyed like ``model.params``.

    Examples
    --------
    >>> model = encoder_machine()
    >>> s = sampled_clamped_statistics(model, encoder_patterns(), rng=0)
    >>> s["W"].shape, bool(np.all((0 <= s["W"]) & (s["W"] <= 1)))
    ((10, 10), True)
    """
    v, _ = _encoder_shape(model)
    procedure = _check_procedure(procedure)
    patterns = check_binary(patterns, "patterns", n_units=model.n_visible, allow_1d=False)
    rng = as_generator(rng)
    clamped = noisy_clamp(np.repeat(patterns, procedure.n_repeats, axis=0), rng,
                          procedure.p_flip_on, procedure.p_flip_off)
    hidden = (rng.random((len(clamped), model.n_hidden)) < 0.5).astype(np.float64)
    x = np.hstack([clamped, hidden])
    clamp = np.arange(model.n_units) < model.n_visible
    x = _anneal(model, x, procedure.schedule, rng, procedure.scan, clamp=clamp)
    return _counted_statistics(model, x, rng, procedure, clamp=clamp)


def sampled_free_statistics(model, n_chains, rng, procedure: Procedure = PAPER) -> dict:
    r"""Sampled free-phase statistics :math:`\hat p^-_{ij}`: the network dreaming, nothing clamped.

    ``n_chains`` chains start at random states, are annealed through
    ``procedure.schedule`` (simulated annealing: Gibbs sweeps of
    :func:`dreambook.sampling.gibbs_chain` at each temperature in turn) and
    co-occurrences are counted over ``procedure.n_stat_sweeps`` sweeps at the
    final temperature.

    >>> s = sampled_free_statistics(encoder_machine(), 8, rng=0)
    >>> sorted(s)
    ['W', 'b']
    """
    check_model(model, BoltzmannMachine)
    n_chains = check_positive_int(n_chains, "n_chains")
    procedure = _check_procedure(procedure)
    rng = as_generator(rng)
    x = (rng.random((n_chains, model.n_units)) < 0.5).astype(np.float64)
    x = _anneal(model, x, procedure.schedule, rng, procedure.scan)
    return _counted_statistics(model, x, rng, procedure)


def sign_step(model, positive: dict, negative: dict, step: float) -> None:
    r"""The paper's update: move every weight and bias by :math:`\pm` ``step``, in place.

    .. math::

        \Delta w_{ij} = \text{step}\cdot\operatorname{sign}(p^+_{ij} - p^-_{ij}), \qquad
        \Delta b_i = \text{step}\cdot\operatorname{sign}(p^+_i - p^-_i),

    with no change where the two statistics are equal (in particular on
    connections the mask forbids). A bias is a weight to a unit that is always
    on, so it follows the same rule.

    >>> model = encoder_machine(2, 1)
    >>> pos = {"W": np.zeros((5, 5)), "b": np.array([0.5, 0, 0, 0, 0])}
    >>> neg = {"W": np.zeros((5, 5)), "b": np.array([0.25, 0, 0, 0, 0.5])}
    >>> sign_step(model, pos, neg, 0.2)
    >>> model.b
    array([ 0.2,  0. ,  0. ,  0. , -0.2])
    """
    check_model(model, BoltzmannMachine)
    step = check_positive_float(step, "step")
    for key, value in model.params.items():
        for which, stats in (("positive", positive), ("negative", negative)):
            if not isinstance(stats, dict) or key not in stats:
                raise ValueError(f"{which} must be a dict of statistics keyed like model.params")
            check_finite_array(stats[key], f"{which}[{key!r}]", shape=value.shape)
    _sign_step(model, positive, negative, step)


def _sign_step(model, positive: dict, negative: dict, step: float) -> None:
    """:func:`sign_step` on checked statistics (the lockstep trainer's own, made by this module)."""
    deltas = {}
    for key in model.params:
        delta = np.sign(np.asarray(positive[key], dtype=np.float64) - np.asarray(negative[key], dtype=np.float64))
        if key == "W":
            # One sign per connection, read from the upper triangle and mirrored,
            # so that statistics that are not exactly symmetric cannot make W asymmetric.
            upper = np.triu(delta, k=1)
            delta = (upper + upper.T) * model.mask
        deltas[key] = delta
    for key, value in model.params.items():
        value += step * deltas[key]


def learning_cycle(model, patterns, rng, procedure: Procedure = PAPER) -> tuple[dict, dict]:
    r"""One learning cycle of the paper, in place: clamped phase, free phase, sign step.

    1. *Waking*: :math:`\hat p^+_{ij}` from :func:`sampled_clamped_statistics`.
    2. *Dreaming*: :math:`\hat p^-_{ij}` from :func:`sampled_free_statistics`, with as
       many annealings as the clamped phase used.
    3. :func:`sign_step` with ``procedure.weight_step``.

    Returns
    -------
    (positive, negative) : the two sets of statistics used.

    >>> model = encoder_machine()
    >>> _ = learning_cycle(model, encoder_patterns(), rng=0)
    >>> bool(np.all(np.isin(model.W, [-0.2, 0.0, 0.2])))
    True
    """
    procedure = _check_procedure(procedure)
    rng = as_generator(rng)
    patterns = check_binary(patterns, "patterns", allow_1d=False)
    positive = sampled_clamped_statistics(model, patterns, rng, procedure)
    negative = sampled_free_statistics(model, len(patterns) * procedure.n_repeats, rng, procedure)
    sign_step(model, positive, negative, procedure.weight_step)
    return positive, negative


#: What the encoder loops record at every recorded step (columns of their History, after ``n_updates``).
RECORDED = ("solved", "distinct", "G", "hidden_on", "max_abs_weight")


def _recorder(keep_weights: bool) -> dict:
    names = ("n_updates", *RECORDED, *(("weights", "biases") if keep_weights else ()))
    return {name: [] for name in names}


def _record(columns: dict, step: int, model, p_data) -> EncoderReport:
    """Evaluate ``model`` and append one entry to ``columns``; return the report.

    ``p_data=None`` skips :math:`G` (recorded as NaN), which for large
    encoders costs far more than the success test.
    """
    report = evaluate(model, p_data)
    columns["n_updates"].append(int(step))
    columns["solved"].append(report.solved)
    columns["distinct"].append(report.distinct_clamped_codes)
    columns["G"].append(float("nan") if report.G is None else float(report.G))
    columns["hidden_on"].append(report.hidden_on)
    columns["max_abs_weight"].append(float(max(np.max(np.abs(model.W)), np.max(np.abs(model.b)))))
    if "weights" in columns:
        columns["weights"].append(model.W.copy())
        columns["biases"].append(model.b.copy())
    return report


def _encoder_history(method: str, columns: dict) -> History:
    """The History of an encoder run, with the first steps at which it was solved and distinct."""
    def first(flags):
        return next((step for step, ok in zip(columns["n_updates"], flags) if ok), None)

    first_solved = first(columns["solved"])
    return History(method, columns, final={"first_solved": first_solved,
                                           "first_distinct": first(columns["distinct"]),
                                           "ever_solved": first_solved is not None})


def _check_record_every(record_every) -> int:
    return check_positive_int(record_every, "record_every")


def _check_paper_run(model, n_updates, patterns, procedure, record_every, keep_weights, stop_when_solved,
                     track_G) -> tuple:
    """The checked settings of :func:`train_paper` (and its lockstep version), with the patterns and
    the noisy training distribution they imply (None without ``track_G``)."""
    v, _ = _encoder_shape(model)
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    procedure = _check_procedure(procedure)
    record_every = _check_record_every(record_every)
    keep_weights = check_bool(keep_weights, "keep_weights")
    stop_when_solved = check_bool(stop_when_solved, "stop_when_solved")
    track_G = check_bool(track_G, "track_G")
    patterns = encoder_patterns(v) if patterns is None else check_binary(
        patterns, "patterns", n_units=model.n_visible, allow_1d=False)
    p_data = noisy_distribution(patterns, procedure.p_flip_on, procedure.p_flip_off) if track_G else None
    return n_updates, procedure, record_every, keep_weights, stop_when_solved, patterns, p_data


def train_paper(model, *, n_updates, rng, patterns=None, procedure: Procedure = PAPER, record_every=10,
                keep_weights=False, stop_when_solved=False, track_G=True) -> History:
    r"""Train an encoder network with the paper's sampled procedure (in place).

    Runs :func:`learning_cycle` ``n_updates`` times and, every ``record_every``
    cycles (and at the start), judges the network exactly with
    :func:`evaluate` against the noisy training distribution
    (:func:`noisy_distribution` with the procedure's flip probabilities).

    Parameters
    ----------
    model : BoltzmannMachine
        An encoder network; the paper starts from all weights zero
        (:func:`encoder_machine`).
    n_updates : int
    rng : numpy.random.Generator or int
    patterns : array_like, optional
        Defaults to :func:`encoder_patterns` for the model's size.
    procedure : Procedure, default PAPER
    record_every : int, default 10
    keep_weights : bool
        Keep a copy of ``W`` and ``b`` at every recorded step.
    stop_when_solved : bool
        Stop at the first recorded step at which the network is solved (to
        measure the time to discover a solution, as the paper did).
    track_G : bool, default True
        Record :math:`G`; set False for large encoders (e.g. 8-3-8, where
        :math:`G` enumerates :math:`2^{19}` states and the success test only
        :math:`8 \times 2^{11}`).

    Returns
    -------
    History
        Columns, one entry per recorded step (and the start):

        * ``n_updates``: the learning cycle (or gradient step) after which the entry was recorded;
        * ``solved``: :func:`evaluate`'s verdict at that point;
        * ``distinct``: whether the clamped-phase codes of the patterns were all
          different (:attr:`EncoderReport.distinct_clamped_codes`, a weaker test);
        * ``G``: the divergence from the training distribution (nats; NaN if not tracked);
        * ``hidden_on``: :math:`P(h_j = 1 \mid V_1 = e_k)` for each input, shape (v, h);
        * ``max_abs_weight``: the largest :math:`|w_{ij}|` or :math:`|b_i|`;
        * ``weights``, ``biases``: ``W`` and ``b`` (only with ``keep_weights``).

        Final fields ``first_solved`` and ``first_distinct`` (the first recorded
        step at which the network was solved, or had all codes different; None if
        never) and ``ever_solved``.

    Examples
    --------
    >>> history = train_paper(encoder_machine(), n_updates=20, rng=0, record_every=10)
    >>> history.n_updates
    [0, 10, 20]
    """
    rng = as_generator(rng)
    n_updates, procedure, record_every, keep_weights, stop_when_solved, patterns, p_data = _check_paper_run(
        model, n_updates, patterns, procedure, record_every, keep_weights, stop_when_solved, track_G)
    columns = _recorder(keep_weights)
    report = _record(columns, 0, model, p_data)
    if stop_when_solved and report.solved:
        return _encoder_history("paper", columns)
    for cycle in range(1, n_updates + 1):
        learning_cycle(model, patterns, rng, procedure)
        if cycle % record_every == 0 or cycle == n_updates:
            report = _record(columns, cycle, model, p_data)
            if stop_when_solved and report.solved:
                break
    return _encoder_history("paper", columns)


def _draw_phase(rng, n_chains, units, n_sweeps, scan):
    """One network's random numbers for ``n_sweeps`` sweeps over ``units``, in the sampler's order."""
    orders = np.empty((n_sweeps, units.size), dtype=np.intp)
    uniforms = np.empty((n_sweeps, n_chains, units.size))
    for s in range(n_sweeps):
        orders[s] = sampling._sweep_order(units, scan, rng)
        uniforms[s] = rng.random((n_chains, units.size))
    return orders, uniforms


def _population_cycle(models, patterns, rngs, procedure) -> None:
    """:func:`learning_cycle` for every network, the sweeps run in lockstep by the kernel."""
    n, n_v = models[0].n_units, models[0].n_visible
    W = np.stack([m.W for m in models])
    b = np.stack([m.b for m in models])
    temperatures = procedure.schedule + (procedure.T_final,) * procedure.n_stat_sweeps
    n_anneal, S = len(procedure.schedule), len(temperatures)
    repeated = np.repeat(patterns, procedure.n_repeats, axis=0)
    C = len(repeated)
    statistics = []
    for phase, units in (("clamped", np.arange(n_v, n)), ("free", np.arange(n))):
        x = np.empty((len(models), C, n))
        orders = np.empty((S, len(models), units.size), dtype=np.intp)
        uniforms = np.empty((S, len(models), C, units.size))
        for m, rng in enumerate(rngs):
            if phase == "clamped":  # sampled_clamped_statistics: noisy clamp, hidden units at random
                x[m, :, :n_v] = noisy_clamp(repeated, rng, procedure.p_flip_on, procedure.p_flip_off)
                x[m, :, n_v:] = rng.random((C, n - n_v)) < 0.5
            else:  # sampled_free_statistics: every unit at random
                x[m] = rng.random((C, n)) < 0.5
            orders[:, m], uniforms[:, m] = _draw_phase(rng, C, units, S, procedure.scan)
        population_sweeps(W, b, x, temperatures[:n_anneal], orders[:n_anneal], uniforms[:n_anneal])
        trace = np.empty((S - n_anneal,) + x.shape)
        population_sweeps(W, b, x, temperatures[n_anneal:], orders[n_anneal:], uniforms[n_anneal:], trace)
        statistics.append([model.sufficient_statistics(trace[:, m].reshape(-1, n))
                           for m, model in enumerate(models)])
    for model, positive, negative in zip(models, *statistics):
        _sign_step(model, positive, negative, procedure.weight_step)


def train_paper_population(models, *, n_updates, rngs, patterns=None, procedure: Procedure = PAPER,
                           record_every=10, keep_weights=False, stop_when_solved=False,
                           track_G=True) -> list[History]:
    r"""Train several encoder networks with the paper's procedure at once (in place).

    Exactly :func:`train_paper` applied to each network with its own
    generator -- ``[train_paper(m, rng=g, ...) for m, g in zip(models, rngs)]``,
    the same random numbers and the same histories -- with the Gibbs sweeps of
    all networks run side by side by one kernel
    (:func:`dreambook._kernels.boltzmann.population_sweeps`), several times
    faster for ten networks. A network that stops (``stop_when_solved``) leaves
    the others running.

    Parameters
    ----------
    models : sequence of BoltzmannMachine
        Encoder networks of one size (:func:`encoder_machine`).
    n_updates : int
    rngs : sequence of numpy.random.Generator or int
        One per network, all different (a generator shared by two networks
        would be drawn from in a different order than by consecutive
        :func:`train_paper` calls).
    patterns, procedure, record_every, keep_weights, stop_when_solved, track_G
        As in :func:`train_paper`.

    Returns
    -------
    list of History
        One per network, as :func:`train_paper` returns.

    Examples
    --------
    >>> runs = train_paper_population([encoder_machine(), encoder_machine()], n_updates=20, rngs=[0, 1])
    >>> [h.n_updates for h in runs]
    [[0, 10, 20], [0, 10, 20]]
    """
    models = list(models) if isinstance(models, (list, tuple)) else None
    if not models:
        raise ValueError("models must be a non-empty list of encoder networks")
    shapes = {_encoder_shape(m) for m in models}
    if len(shapes) != 1 or any(not np.array_equal(m.mask, models[0].mask) for m in models):
        raise ValueError("models must all be encoders of one size (the same v, h and mask)")
    if len({id(m) for m in models}) != len(models):
        raise ValueError("models must be different networks (the same one appears twice)")
    if not isinstance(rngs, (list, tuple)) or len(rngs) != len(models):
        raise ValueError(f"rngs must be a list with one generator or seed per network ({len(models)})")
    rngs = [as_generator(r, f"rngs[{k}]") for k, r in enumerate(rngs)]
    if len({id(r) for r in rngs}) != len(rngs):
        raise ValueError("rngs must be different generators, one per network")
    n_updates, procedure, record_every, keep_weights, stop_when_solved, patterns, p_data = _check_paper_run(
        models[0], n_updates, patterns, procedure, record_every, keep_weights, stop_when_solved, track_G)
    columns = [_recorder(keep_weights) for _ in models]
    running = [k for k, m in enumerate(models)
               if not (_record(columns[k], 0, m, p_data).solved and stop_when_solved)]
    for cycle in range(1, n_updates + 1):
        if not running:
            break
        _population_cycle([models[k] for k in running], patterns, [rngs[k] for k in running], procedure)
        if cycle % record_every == 0 or cycle == n_updates:
            running = [k for k in running
                       if not (_record(columns[k], cycle, models[k], p_data).solved and stop_when_solved)]
    return [_encoder_history("paper", c) for c in columns]


# ---------------------------------------------------------------------------
# Exact training
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ExactRule(Settings):
    r"""How :func:`train_exact` and :func:`train_exact_population` make each step.

    With the exact phase difference :math:`d = (p^+ - p^-)/T`
    (:func:`exact_phase_difference`) a step is :math:`\theta \leftarrow \theta + \eta\,d`
    (``update="gradient"``: steepest descent on :math:`G`) or
    :math:`\theta \leftarrow \theta + \eta\,\operatorname{sign}(d)`
    (``update="sign"``: the 1985 rule without sampling noise).

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    update : {"gradient", "sign"}, default "gradient"
    lr : float, default 1.0
        Step size :math:`\eta > 0`.

    Examples
    --------
    >>> ExactRule("sign", lr=0.2)
    ExactRule(update='sign', lr=0.2)
    """

    update: str = "gradient"
    lr: float = 1.0

    def __post_init__(self):
        self._set("update", check_choice(self.update, "update", ("gradient", "sign")))
        self._set("lr", check_positive_float(self.lr, "lr"))


def train_exact(model, p_data, *, n_updates=1000, settings: ExactRule = ExactRule(), record_every=10,
                keep_weights=False) -> History:
    r"""Exact training of one encoder network on a distribution (in place).

    Each step computes :func:`exact_phase_difference`
    :math:`(p^+ - p^-)/T` and moves the parameters by ``lr`` times it or by
    ``lr`` times its sign (``settings``, an :class:`ExactRule`).

    Parameters
    ----------
    model : BoltzmannMachine
    p_data : array_like, shape (2**n_visible,)
        e.g. :func:`clean_distribution` (plain maximum likelihood) or
        :func:`noisy_distribution` (noisy clamping, exactly).
    n_updates : int
    settings : ExactRule, default ``ExactRule()``
        The update (gradient or sign) and its step size.
    record_every : int
    keep_weights : bool

    Returns
    -------
    History
        As of :func:`train_paper`; the method is ``"exact gradient"`` or ``"exact sign"``.

    Examples
    --------
    >>> model = encoder_machine(rng=0, scale=0.01)
    >>> p = noisy_distribution(encoder_patterns())
    >>> history = train_exact(model, p, n_updates=50, record_every=25)
    >>> history.G[-1] < history.G[0]
    True
    """
    _encoder_shape(model)
    p = _check_p_data(p_data, model)
    settings = check_settings(settings, ExactRule)
    update, lr = settings.update, settings.lr
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    record_every = _check_record_every(record_every)
    keep_weights = check_bool(keep_weights, "keep_weights")
    columns = _recorder(keep_weights)
    _record(columns, 0, model, p)
    for step in range(1, n_updates + 1):
        grad = exact_phase_difference(model, p)
        for key, value in model.params.items():
            value += lr * (np.sign(grad[key]) if update == "sign" else grad[key])
        if step % record_every == 0 or step == n_updates:
            _record(columns, step, model, p)
    return _encoder_history(f"exact {update}", columns)


class _Population:
    r"""Fast kernel: many networks with the same mask, trained in lockstep by exact statistics.

    The energy is linear in the parameters, :math:`-E(x) = \theta^\top \phi(x)`
    with :math:`\phi(x) = (x_i x_j \text{ for connected } i<j,\; x_i)` (see
    :mod:`dreambook.models.boltzmann`); ``theta`` holds the connected pairs'
    weights (in ``pairs`` order), then the biases. With the feature matrix
    :math:`\Phi` of all :math:`2^n` states computed once, the log-weights of a
    whole population's joint states are one matrix product, and the exact
    phase difference is :math:`(q - p)^\top\Phi / T`, where :math:`p` is the
    model's joint distribution and :math:`q(v,h) = P^+(v)\,p(h \mid v)` the
    clamped one. Conditionals are softmaxes over *h* within each *v*, so
    nothing is ever 0/0 however large the weights grow.

    Without hidden-hidden connections (the encoders) the hidden units are
    independent given *v*, and the sums over *h* are done in closed form, as
    for an RBM: with :math:`a(v)` the visible part of :math:`-E` and
    :math:`u_j(v) = \sum_i W_{ij} v_i + b_j` the input of hidden unit *j*,

    .. math::

        \log \tilde p(v) = \frac{a(v)}{T} + \sum_j \operatorname{softplus}\Big(\frac{u_j(v)}{T}\Big),
        \qquad p(h_j = 1 \mid v) = \sigma\Big(\frac{u_j(v)}{T}\Big),

    so only the :math:`2^{n_v}` visible vectors are enumerated and the
    phase difference is :math:`\sum_v (P^+(v) - p(v))\,\mathbb E[\phi \mid v] / T`.
    :func:`exact_phase_difference` is the readable reference; the unit tests
    check that both agree, with and without hidden-hidden connections.
    """

    def __init__(self, template: BoltzmannMachine, p_data: np.ndarray):
        self.template = template
        self.T = template.T
        self.pairs = np.argwhere(np.triu(template.mask, k=1))
        X = all_states(template.n_units)
        features = pair_features(X, self.pairs)
        self.n_v, self.n_h = 2**template.n_visible, 2**template.n_hidden
        # Rows reordered hidden-state-major, (h, v): every reduction over h is then
        # an elementwise operation on contiguous blocks, several times faster.
        self.features = np.ascontiguousarray(
            features.reshape(self.n_v, self.n_h, -1).transpose(1, 0, 2).reshape(self.n_v * self.n_h, -1)
        )
        self.p_data = p_data
        n_vis = template.n_visible
        hidden_pair = self.pairs[:, 0] >= n_vis
        self.factorized = not np.any(hidden_pair)
        if self.factorized:
            # theta -> (a(v), u_j(v)) is linear: one matrix of 2**nv * (1 + nh) columns
            n_hid, Xv = template.n_hidden, all_states(n_vis)
            visible_pair = self.pairs[:, 1] < n_vis
            k = len(self.pairs)
            a_index = np.concatenate([np.flatnonzero(visible_pair), k + np.arange(n_vis)])
            self._a_features = pair_features(Xv, self.pairs[visible_pair])  # (2**nv, features of a)
            to_u = np.zeros((k + template.n_units, n_hid, self.n_v))  # hidden-major: sums over j are fast
            for p, (i, j) in zip(np.flatnonzero(~visible_pair), self.pairs[~visible_pair]):
                to_u[p, j - n_vis] = Xv[:, i]
            for j in range(n_hid):
                to_u[k + n_vis + j, j] = 1.0
            to_a = np.zeros((k + template.n_units, self.n_v))
            to_a[a_index] = self._a_features.T
            self._to_fields = np.hstack([to_a, to_u.reshape(len(to_u), -1)]) / self.T
            self._a_index, self._c_index = a_index, k + n_vis + np.arange(n_hid)
            self._vh_index = np.flatnonzero(~visible_pair)
            self._vh_pairs = self.pairs[~visible_pair] - [0, n_vis]  # (visible i, hidden j)
            self._Xv = Xv

    def to_theta(self, model) -> np.ndarray:
        return pack_pairs(model.W, model.b, self.pairs)

    def to_model(self, theta) -> BoltzmannMachine:
        t = self.template
        W, b = unpack_pairs(theta, self.pairs, t.n_units)
        return BoltzmannMachine(W, b, t.n_visible, mask=t.mask, T=t.T)

    def _logits(self, theta) -> np.ndarray:
        """:math:`-E(v, h)/T` for every network and joint state, shape (networks, 2**nh, 2**nv)."""
        return (theta @ self.features.T / self.T).reshape(len(theta), self.n_h, self.n_v)

    def joint(self, theta) -> np.ndarray:
        """Exact joint distributions, shape (n_networks, 2**n), in all_states order."""
        logits = self._logits(theta).transpose(0, 2, 1).reshape(len(theta), -1)
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def phase_difference(self, theta) -> np.ndarray:
        """:math:`(p^+ - p^-)/T` for every network, shaped like ``theta``."""
        if self.factorized:
            return self._factorized_phase_difference(theta)
        logits = self._logits(theta)
        top = logits.max(axis=1)  # (networks, 2**nv)
        cond = np.exp(logits - top[:, None, :])
        row = cond.sum(axis=1)
        cond /= row[:, None, :]  # p(h | v): a softmax over h within each v
        log_pv = top + np.log(row)  # log p(v) + log Z
        pv = np.exp(log_pv - log_pv.max(axis=1, keepdims=True))
        pv /= pv.sum(axis=1, keepdims=True)
        diff = (self.p_data - pv)[:, None, :] * cond  # clamped minus free joint distribution
        return diff.reshape(len(theta), -1) @ self.features / self.T


    def _buffers(self, n_nets: int) -> dict:
        """Work arrays for ``n_nets`` networks, allocated once (fresh megabyte temporaries at every
        step cost more than the arithmetic)."""
        if getattr(self, "_work", (None,))[0] != n_nets:
            n_hid = self.template.n_hidden
            shapes = {"fields": (n_nets, self._to_fields.shape[1]), "e": (n_nets, n_hid, self.n_v),
                      "one_plus": (n_nets, n_hid, self.n_v), "on": (n_nets, n_hid, self.n_v),
                      "log_pv": (n_nets, self.n_v), "tmp": (n_nets, self.n_v), "d": (n_nets, self.n_v)}
            self._work = (n_nets, {name: np.empty(shape) for name, shape in shapes.items()})
        return self._work[1]

    def _factorized_phase_difference(self, theta) -> np.ndarray:
        """:meth:`phase_difference` summing the independent hidden units out in closed form."""
        n_nets, n_hid, n_v = len(theta), self.template.n_hidden, self.n_v
        w = self._buffers(n_nets)
        fields = np.matmul(theta, self._to_fields, out=w["fields"])  # a(v)/T, then u_j(v)/T
        a, u = fields[:, :n_v], fields[:, n_v:].reshape(n_nets, n_hid, n_v)
        # softplus and sigmoid from one exponential e = exp(-|u|) <= 1, so nothing overflows:
        # sum_j softplus(u_j) = sum_j max(u_j, 0) + log prod_j (1 + e_j), sigma(u) = (1 or e) / (1 + e)
        e, one_plus, on, log_pv, tmp, d = (w[k] for k in ("e", "one_plus", "on", "log_pv", "tmp", "d"))
        np.negative(np.abs(u, out=e), out=e)
        np.exp(e, out=e)
        np.add(e, 1.0, out=one_plus)
        np.maximum(u, 0.0, out=on)
        np.sum(on, axis=1, out=log_pv)
        log_pv += a
        np.log(np.prod(one_plus, axis=1, out=tmp), out=tmp)
        log_pv += tmp
        log_pv -= log_pv.max(axis=1, keepdims=True)
        pv = np.exp(log_pv, out=log_pv)
        pv /= pv.sum(axis=1, keepdims=True)
        np.subtract(self.p_data, pv, out=d)
        d /= self.T  # (P+(v) - p(v)) / T
        np.copyto(on, e)
        np.copyto(on, 1.0, where=u >= 0.0)
        on /= one_plus  # p(h_j = 1 | v)
        on *= d[:, None, :]  # (P+(v) - p(v)) p(h_j = 1 | v) / T, shape (networks, nh, 2**nv)
        grad = np.empty_like(theta)
        grad[:, self._a_index] = d @ self._a_features
        grad[:, self._c_index] = on.sum(axis=2)
        grad[:, self._vh_index] = (on @ self._Xv)[:, self._vh_pairs[:, 1], self._vh_pairs[:, 0]]
        return grad


def train_exact_population(seeds, p_data, *, n_updates=1500, settings: ExactRule = ExactRule(), scale=0.01,
                           v=4, h=2, T=1.0) -> History:
    r"""Train one encoder network per seed by exact statistics, all in lockstep.

    Network *k* starts from :func:`encoder_machine` with
    ``rng=np.random.default_rng(seeds[k])`` and ``scale``, then takes
    ``n_updates`` steps of ``settings`` (an :class:`ExactRule`: ``lr`` times the exact
    phase difference :math:`(p^+ - p^-)/T`, or times its sign) -- exactly what
    :func:`train_exact` does to each network, computed by a fast kernel that
    enumerates the :math:`2^n` states of all networks with one matrix product.

    Parameters
    ----------
    seeds : sequence of int or of sequences of int
        One seed per network (anything :func:`numpy.random.default_rng` accepts,
        e.g. ``(seed, restart)`` pairs).
    p_data : array_like, shape (2**(2v),)
        Training distribution over the visible vectors.
    n_updates : int
    settings : ExactRule, default ``ExactRule()``
    scale : float
        Standard deviation of the initial weights. The paper started at zero; an
        exact gradient started exactly at zero can never make the two hidden
        units differ, so a small random start is needed.
    v, h : int
        Encoder size.
    T : float

    Returns
    -------
    History
        Method ``"exact gradient"`` or ``"exact sign"``, recorded once, at the
        end (column ``n_updates``). Final fields, one entry per network in the
        order of ``seeds``: ``models`` (the trained networks), ``log_likelihood``
        (the exact training log-likelihood :math:`\sum_v P^+(v)\log P^-(v)`,
        nats), ``solved`` (:func:`evaluate`'s verdicts, bool) and ``G`` (the
        divergence from the training distribution, nats).

    Examples
    --------
    >>> p = noisy_distribution(encoder_patterns())
    >>> result = train_exact_population([0, 1], p, n_updates=20)
    >>> len(result.models), result.solved.dtype
    (2, dtype('bool'))
    """
    template = encoder_machine(v, h, T=T)
    p = _check_p_data(p_data, template)
    settings = check_settings(settings, ExactRule)
    update, lr = settings.update, settings.lr
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    T = check_temperature(T, "T")
    seeds = [check_seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    if not seeds:
        raise ValueError("seeds must contain at least one seed")
    kernel = _Population(template, p)
    theta = np.array([
        kernel.to_theta(encoder_machine(v, h, rng=np.random.default_rng(s), scale=scale, T=T))
        for s in seeds
    ])
    for _ in range(n_updates):
        grad = kernel.phase_difference(theta)
        theta += lr * (np.sign(grad) if update == "sign" else grad)
    models = [kernel.to_model(t) for t in theta]
    reports = [evaluate(m, p) for m in models]
    G = np.array([r.G for r in reports])
    entropy = exact.entropy(p)
    return History(f"exact {update}", {"n_updates": [n_updates]},
                   final={"models": models, "log_likelihood": -G - entropy,
                          "solved": np.array([r.solved for r in reports]), "G": G})


def best_of_restarts(result: History, n_restarts: int) -> np.ndarray:
    """Index of the restart with the highest training log-likelihood, for each seed.

    ``result`` (of :func:`train_exact_population`) must hold ``n_seeds * n_restarts`` networks ordered seed by seed
    (all restarts of seed 0 first). The choice uses only the training
    objective, never the success test.

    Returns
    -------
    ndarray of int, shape (n_seeds,)
        Indices into ``result.models``.

    >>> ll = np.array([-3.0, -2.0, -5.0, -4.0])
    >>> best_of_restarts(History("exact gradient", {"n_updates": [0]}, final={"log_likelihood": ll}), 2)
    array([1, 3])
    """
    k = check_positive_int(n_restarts, "n_restarts")
    ll = np.asarray(result.log_likelihood)
    if ll.size % k:
        raise ValueError(f"the number of networks ({ll.size}) must be a multiple of n_restarts={k}")
    return np.argmax(ll.reshape(-1, k), axis=1) + k * np.arange(ll.size // k)


# ---------------------------------------------------------------------------
# Success rates with confidence intervals
# ---------------------------------------------------------------------------


