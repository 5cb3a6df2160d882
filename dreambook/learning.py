r"""Learning rules: exact maximum likelihood, CD-k, PCD, FPCD and the training loop.

Every gradient here is an **ascent direction** for the mean log-likelihood
:math:`\frac1m\sum_k \log p(v^{(k)})` of a model :math:`p(x) \propto \exp(-E(x)/T)`,
returned as a dictionary keyed like ``model.params``. For an RBM with
:math:`E(v,h) = -v^\top W h - b^\top v - c^\top h`,

.. math::

    \frac{\partial}{\partial W}\,\frac1m\sum_k \log p(v^{(k)})
    = \frac1T\Big(\underbrace{\langle v h^\top\rangle_{\rm data}}_{\text{positive phase}}
    - \underbrace{\langle v h^\top\rangle_{\rm model}}_{\text{negative phase}}\Big),

i.e. *positive phase minus negative phase*, divided by the temperature; in
the positive phase the hidden units are driven by data
(:math:`h \sim p(h \mid v^{(k)})`), in the negative phase :math:`(v, h)` come
from the model. The estimators differ only in the negative phase:

* :func:`exact_gradient` -- enumerates the model (small models only);
* :func:`cd_gradient` -- CD-k (Hinton 2002): *k* steps of block Gibbs sampling
  started at the data;
* :func:`pcd_gradient` -- PCD (Tieleman 2008): persistent chains that are
  never restarted;
* :func:`fpcd_gradient` -- FPCD (Tieleman & Hinton 2009): persistent chains
  run on the regular parameters plus quickly decaying *fast* parameters.

:func:`train_rbm` runs minibatch training with the options of Hinton's
practical guide (2010): momentum (:func:`momentum_schedule`), L2 weight
decay, visible biases initialised from the data (:func:`init_visible_bias`)
and a choice of sampled or mean-field statistics. It uses the fast kernels of
:mod:`dreambook._kernels`, which reproduce the readable estimators above on
the same random stream (a test checks this). :func:`train_bm` does exact
gradient ascent for the pairwise Boltzmann machines, and
:func:`fit_like_sklearn` reproduces scikit-learn's ``BernoulliRBM.fit``
number for number.

References
----------
G. E. Hinton (2002), Training products of experts by minimizing contrastive
divergence, *Neural Computation* 14, 1771-1800.
T. Tieleman (2008), Training restricted Boltzmann machines using
approximations to the likelihood gradient, *ICML*.
T. Tieleman & G. E. Hinton (2009), Using fast weights to improve persistent
contrastive divergence, *ICML*.
G. E. Hinton (2010), A practical guide to training restricted Boltzmann
machines, UTML TR 2010-003.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from . import exact
from ._kernels import RBMGibbsKernel, RBMTrainingKernel, augment, split
from ._validation import (
    check_bool,
    check_model,
    as_generator,
    check_binary,
    check_finite_array,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
)
from .models import RBM, BoltzmannMachine, FullyVisibleBM

__all__ = [
    "exact_gradient",
    "cd_gradient",
    "pcd_gradient",
    "fpcd_gradient",
    "init_visible_bias",
    "momentum_schedule",
    "TrainingHistory",
    "train_rbm",
    "train_bm",
    "sample_chains",
    "fit_like_sklearn",
]

METHODS = ("cd", "pcd", "fpcd", "exact")
STATISTICS = ("hidden_probs", "sampled", "mean_field")
#: ``record_exact="auto"`` enumerates when the smaller RBM layer has at most this many units.
AUTO_EXACT_LAYER = 20


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def _check_rbm(rbm, name: str = "rbm") -> RBM:
    return check_model(rbm, RBM, name)


def _check_choice(value, name: str, choices) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, choices))}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def _check_nonnegative_float(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _check_fraction(value, name: str) -> float:
    """A real number in [0, 1) (momentum, decay factors)."""
    value = _check_nonnegative_float(value, name)
    if value >= 1:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def _check_chains(chains, n_hidden: int) -> np.ndarray:
    return check_binary(chains, "chains", n_units=n_hidden, allow_1d=False)


def _check_statistics(statistics, method: str) -> str:
    statistics = _check_choice(statistics, "statistics", STATISTICS)
    if statistics == "mean_field" and method != "cd":
        raise ValueError(
            "statistics='mean_field' (probabilities for the last visible update) is defined "
            f"only for method='cd', got method={method!r}; persistent chains must stay binary"
        )
    return statistics


# ---------------------------------------------------------------------------
# Gradient estimators (readable reference versions)
# ---------------------------------------------------------------------------
def _sample(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Binary sample with P(x = 1) = p, elementwise (float64 0/1), as ``RBM.sample_hidden``."""
    return (rng.random(p.shape) < p).astype(np.float64)


def _phase_difference(rbm: RBM, v_pos, h_pos, v_neg, h_neg) -> dict:
    """(positive statistics - negative statistics) / T, keyed like ``rbm.params``."""
    positive = rbm.sufficient_statistics(v_pos, h_pos)
    negative = rbm.sufficient_statistics(v_neg, h_neg)
    return {key: (positive[key] - negative[key]) / rbm.T for key in rbm.params}


def exact_gradient(model, data, max_units=None) -> dict:
    r"""Exact gradient of the mean log-likelihood (ascent direction), keyed like ``model.params``.

    A thin wrapper of :func:`dreambook.exact.log_likelihood_gradient`:
    ``(data_statistics - model_statistics) / T``, with the negative phase
    computed by enumeration. Works for :class:`~dreambook.models.RBM`,
    :class:`~dreambook.models.FullyVisibleBM` and
    :class:`~dreambook.models.BoltzmannMachine`.

    Examples
    --------
    >>> rbm = RBM.zeros(3, 2)
    >>> g = exact_gradient(rbm, [[1, 1, 1]])
    >>> g["b"]          # data always on, model at 1/2: push the visible biases up
    array([0.5, 0.5, 0.5])
    """
    return exact.log_likelihood_gradient(model, data, max_units=max_units)


def cd_gradient(rbm, v, k=1, rng=None, *, statistics="hidden_probs") -> dict:
    r"""Contrastive divergence CD-k estimate of the log-likelihood gradient (Hinton 2002).

    Starting from the data :math:`v^{(0)} = v`, run *k* steps of block Gibbs
    sampling :math:`h^{(t)} \sim p(h \mid v^{(t)})`,
    :math:`v^{(t+1)} \sim p(v \mid h^{(t)})` and replace the model expectation
    by the statistics of :math:`v^{(k)}`:

    .. math::

        \Delta W \propto \frac1T\Big(\langle v^{(0)} h^{(0)\top}\rangle
        - \langle v^{(k)} h^{(k)\top}\rangle\Big).

    As :math:`k \to \infty` the estimate becomes unbiased.

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (m, n_visible)
        A minibatch of data.
    k : int, default 1
        Number of Gibbs steps, >= 1.
    rng : numpy.random.Generator or int
        Source of randomness (required).
    statistics : {"hidden_probs", "sampled", "mean_field"}
        Which numbers enter the statistics (Hinton 2010, sec. 3):

        * ``"hidden_probs"`` (default): hidden *probabilities*
          :math:`p(h_j = 1 \mid v)` in both phases, binary visible states;
          this is the Rao-Blackwellised, lower-variance form of the same
          estimator.
        * ``"sampled"``: binary samples everywhere; :math:`h^{(0)}` is the
          sample that starts the chain.
        * ``"mean_field"``: in addition, the last visible update uses the
          probabilities :math:`p(v_i = 1 \mid h^{(k-1)})` instead of a sample
          (the practical guide's recipe; slightly biased, less noisy).

    Returns
    -------
    dict
        ``{"W": (n_visible, n_hidden), "b": (n_visible,), "c": (n_hidden,)}``,
        positive minus negative phase, divided by ``rbm.T``.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0, scale=0.1)
    >>> g = cd_gradient(rbm, [[1, 0, 1, 0], [0, 1, 0, 1]], k=1, rng=0)
    >>> sorted(g), g["W"].shape
    (['W', 'b', 'c'], (4, 3))
    """
    _check_rbm(rbm)
    v = check_binary(v, "v", n_units=rbm.n_visible)
    k = check_positive_int(k, "k")
    rng = as_generator(rng)
    statistics = _check_statistics(statistics, "cd")

    p_h0 = rbm.hidden_probs(v)  # positive phase: hidden units driven by data
    h = h0 = _sample(p_h0, rng)
    for step in range(k):
        last = step == k - 1
        p_v = rbm.visible_probs(h)
        v_k = p_v if (last and statistics == "mean_field") else _sample(p_v, rng)
        p_hk = rbm.hidden_probs(v_k)
        if not last or statistics == "sampled":
            h = _sample(p_hk, rng)
    if statistics == "sampled":
        return _phase_difference(rbm, v, h0, v_k, h)
    return _phase_difference(rbm, v, p_h0, v_k, p_hk)


def _persistent_negative_phase(chain_rbm: RBM, chains, k: int, rng):
    """Advance hidden-state chains k steps; return (v_k, p(h | v_k), new hidden chains)."""
    h = chains
    for _ in range(k):
        v_k = _sample(chain_rbm.visible_probs(h), rng)
        p_hk = chain_rbm.hidden_probs(v_k)
        h = _sample(p_hk, rng)
    return v_k, p_hk, h


def pcd_gradient(rbm, v, chains, k=1, rng=None, *, statistics="hidden_probs"):
    r"""Persistent contrastive divergence estimate (Tieleman 2008); returns ``(grad, new_chains)``.

    The negative phase comes from persistent Markov chains ("fantasy
    particles") that continue from where the previous update left them,
    instead of restarting at the data. Because the parameters change slowly,
    the chains stay close to the model distribution and the estimate
    approaches the true gradient for small learning rates.

    The chains are stored as **hidden** states, as in scikit-learn: each of
    the *k* steps draws :math:`v \sim p(v \mid h)`, then
    :math:`h \sim p(h \mid v)`; the negative statistics use the last
    :math:`v` and :math:`p(h \mid v)`. (A visible fantasy is one half-step
    away: ``rbm.sample_visible(chains, rng)``.)

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (m, n_visible)
        A minibatch of data.
    chains : array_like of 0/1, shape (n_chains, n_hidden)
        Hidden states of the persistent chains (e.g. zeros to start).
    k : int, default 1
        Gibbs steps per update.
    rng : numpy.random.Generator or int
    statistics : {"hidden_probs", "sampled"}
        As in :func:`cd_gradient` (``"mean_field"`` would feed real-valued
        states back into the chains and is refused).

    Returns
    -------
    grad : dict
        Positive minus negative phase, divided by ``rbm.T``.
    new_chains : ndarray, shape (n_chains, n_hidden)
        Pass these to the next call.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0)
    >>> chains = np.zeros((5, 3))
    >>> g, chains = pcd_gradient(rbm, [[1, 0, 1, 0]], chains, k=1, rng=0)
    >>> chains.shape
    (5, 3)
    """
    _check_rbm(rbm)
    v = check_binary(v, "v", n_units=rbm.n_visible)
    chains = _check_chains(chains, rbm.n_hidden)
    k = check_positive_int(k, "k")
    rng = as_generator(rng)
    statistics = _check_statistics(statistics, "pcd")
    return _persistent_gradient(rbm, rbm, v, chains, k, rng, statistics)


def _persistent_gradient(rbm, chain_rbm, v, chains, k, rng, statistics):
    v_neg, p_h_neg, new_chains = _persistent_negative_phase(chain_rbm, chains, k, rng)
    p_h_pos = rbm.hidden_probs(v)
    if statistics == "sampled":
        h_pos = _sample(p_h_pos, rng)
        return _phase_difference(rbm, v, h_pos, v_neg, new_chains), new_chains
    return _phase_difference(rbm, v, p_h_pos, v_neg, p_h_neg), new_chains


def fpcd_gradient(rbm, v, chains, fast, k=1, rng=None, *, statistics="hidden_probs"):
    r"""Fast-weights PCD estimate (Tieleman & Hinton 2009); returns ``(grad, new_chains)``.

    The persistent chains run on the parameters :math:`\theta + \theta_{\rm fast}`,
    the positive phase uses the regular :math:`\theta`. After each update the
    caller moves the fast parameters by

    .. math::

        \theta_{\rm fast} \leftarrow 0.95\,\theta_{\rm fast} + \eta_{\rm fast}\,\hat g,

    so they quickly raise the energy of wherever the chains are, pushing the
    chains on (better mixing), and decay away. :func:`train_rbm` with
    ``method="fpcd"`` does this bookkeeping.

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (m, n_visible)
    chains : array_like of 0/1, shape (n_chains, n_hidden)
        Hidden states of the persistent chains.
    fast : dict
        Fast parameters ``{"W", "b", "c"}`` with the shapes of ``rbm.params``.
    k, rng, statistics
        As in :func:`pcd_gradient`.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0)
    >>> fast = {key: np.zeros_like(value) for key, value in rbm.params.items()}
    >>> g, chains = fpcd_gradient(rbm, [[1, 0, 1, 0]], np.zeros((2, 3)), fast, rng=0)
    >>> g["c"].shape
    (3,)
    """
    _check_rbm(rbm)
    v = check_binary(v, "v", n_units=rbm.n_visible)
    chains = _check_chains(chains, rbm.n_hidden)
    if not isinstance(fast, dict) or set(fast) != {"W", "b", "c"}:
        raise TypeError("fast must be a dict with keys 'W', 'b', 'c' like rbm.params")
    fast_arrays = {
        key: check_finite_array(fast[key], f"fast[{key!r}]", shape=rbm.params[key].shape)
        for key in ("W", "b", "c")
    }
    k = check_positive_int(k, "k")
    rng = as_generator(rng)
    statistics = _check_statistics(statistics, "fpcd")
    chain_rbm = RBM(rbm.W + fast_arrays["W"], rbm.b + fast_arrays["b"], rbm.c + fast_arrays["c"], T=rbm.T)
    return _persistent_gradient(rbm, chain_rbm, v, chains, k, rng, statistics)


# ---------------------------------------------------------------------------
# Practical-guide helpers
# ---------------------------------------------------------------------------
def init_visible_bias(data, eps=0.01) -> np.ndarray:
    r"""Visible biases :math:`b_i = \log\big(p_i / (1 - p_i)\big)` from the data (Hinton 2010, sec. 8).

    :math:`p_i` is the fraction of training vectors in which unit *i* is on,
    clipped to :math:`[\epsilon, 1 - \epsilon]` so that units that are always
    off (or on) get a large finite bias. With :math:`W = 0` this makes the
    model's visible marginals equal the data's: the "base-rate" model.

    Parameters
    ----------
    data : array_like of 0/1, shape (m, n_visible)
    eps : float, default 0.01
        Clipping level, in (0, 0.5).

    Examples
    --------
    >>> init_visible_bias([[1, 0], [1, 0], [1, 1], [0, 0]])   # p = 3/4, 1/4
    array([ 1.09861229, -1.09861229])
    """
    data = check_binary(data, "data", allow_1d=False)
    eps = check_positive_float(eps, "eps")
    if eps >= 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    p = np.clip(data.mean(axis=0), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


def momentum_schedule(initial=0.5, final=0.9, switch_epoch=5):
    """Momentum that is ``initial`` for the first ``switch_epoch`` epochs, then ``final``.

    Hinton (2010, sec. 9) recommends 0.5 while the parameters move a lot at
    the start, then 0.9. Returns a function ``epoch -> momentum`` (epochs
    count from 0), which :func:`train_rbm` accepts as ``momentum``.

    >>> schedule = momentum_schedule()
    >>> [schedule(epoch) for epoch in range(7)]
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9]
    """
    initial = _check_fraction(initial, "initial")
    final = _check_fraction(final, "final")
    switch_epoch = check_nonnegative_int(switch_epoch, "switch_epoch")

    def schedule(epoch: int) -> float:
        return initial if epoch < switch_epoch else final

    return schedule


def _momentum_function(momentum):
    if isinstance(momentum, str):
        if momentum != "hinton":
            raise ValueError(f"momentum must be a number in [0, 1), a callable or 'hinton', got {momentum!r}")
        return momentum_schedule()
    if callable(momentum):
        def checked(epoch, _f=momentum):
            return _check_fraction(_f(epoch), "momentum (value returned by the schedule)")

        return checked
    value = _check_fraction(momentum, "momentum")
    return lambda epoch: value


# ---------------------------------------------------------------------------
# Training loops
# ---------------------------------------------------------------------------
@dataclass
class TrainingHistory:
    """What happened during training, one entry per recorded epoch.

    All lists have the same length as ``epochs``; epoch 0 is the model before
    training. Entries that were not computed are NaN.

    Attributes
    ----------
    method : str
    epochs : list of int
    train_log_likelihood, test_log_likelihood : list of float
        Exact mean log-likelihood in nats per example (``record_exact``).
    gradient_cosine : list of float
        Cosine between the method's gradient estimate on the training set
        and the exact gradient (``record_cosine``); 1 for ``method="exact"``.
    seconds : list of float
        Cumulative training time, excluding the time spent recording.
    chains : ndarray or None
        Final hidden states of the persistent chains (PCD, FPCD).
    """

    method: str
    epochs: list = field(default_factory=list)
    train_log_likelihood: list = field(default_factory=list)
    test_log_likelihood: list = field(default_factory=list)
    gradient_cosine: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    chains: np.ndarray | None = None

    def __repr__(self) -> str:
        last = ""
        if self.train_log_likelihood and np.isfinite(self.train_log_likelihood[-1]):
            last = f", final train LL={self.train_log_likelihood[-1]:.4f} nats"
        return f"TrainingHistory(method={self.method!r}, epochs={len(self.epochs) - 1}{last})"


def _flatten(grad: dict) -> np.ndarray:
    return np.concatenate([np.ravel(grad[key]) for key in sorted(grad)])


def _cosine(a: dict, b: dict) -> float:
    x, y = _flatten(a), _flatten(b)
    norm = np.linalg.norm(x) * np.linalg.norm(y)
    return float(x @ y / norm) if norm > 0 else float("nan")


def _resolve_record_exact(record_exact, rbm: RBM) -> bool:
    if isinstance(record_exact, str):
        if record_exact != "auto":
            raise ValueError(f"record_exact must be True, False or 'auto', got {record_exact!r}")
        return min(rbm.n_visible, rbm.n_hidden) <= AUTO_EXACT_LAYER
    if not isinstance(record_exact, (bool, np.bool_)):
        raise TypeError(f"record_exact must be True, False or 'auto', got {type(record_exact).__name__}")
    return bool(record_exact)


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be float64 or float32, got {dtype!r}") from err
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be float64 or float32, got {dt}")
    return dt


def train_rbm(
    rbm,
    data,
    method="cd",
    k=1,
    lr=0.1,
    epochs=10,
    batch_size=None,
    momentum=0.0,
    weight_decay=0.0,
    rng=None,
    shuffle=True,
    record_exact="auto",
    test_data=None,
    callback=None,
    progress=False,
    *,
    statistics="hidden_probs",
    n_chains=None,
    chains=None,
    fast_lr=None,
    fast_decay=0.95,
    record_cosine=False,
    dtype=np.float64,
) -> TrainingHistory:
    r"""Train an RBM by minibatch stochastic gradient ascent; the model is updated in place.

    Each epoch visits the training data once in minibatches of ``batch_size``
    (in a fresh random order if ``shuffle``; the last minibatch may be
    smaller) and applies, for every parameter :math:`\theta`,

    .. math::

        \Delta\theta \leftarrow m\,\Delta\theta + \eta\,(\hat g - \lambda W),
        \qquad \theta \leftarrow \theta + \Delta\theta,

    where :math:`\hat g` is the gradient estimate of ``method`` (positive minus
    negative phase over *T*, a mean over the minibatch), :math:`m` the
    momentum, :math:`\eta` the learning rate ``lr`` and :math:`\lambda` the
    weight decay (applied to :math:`W` only, Hinton 2010, sec. 10).

    Parameters
    ----------
    rbm : RBM
        Initial model, trained in place (e.g. ``RBM.random(..., scale=0.01)``
        with ``rbm.b[:] = init_visible_bias(data)``).
    data : array_like of 0/1, shape (m, n_visible)
    method : {"cd", "pcd", "fpcd", "exact"}
        Gradient estimator: :func:`cd_gradient`, :func:`pcd_gradient`,
        :func:`fpcd_gradient` or :func:`exact_gradient` (per minibatch).
    k : int, default 1
        Gibbs steps per update (ignored for ``"exact"``).
    lr : float, default 0.1
    epochs : int, default 10
    batch_size : int, optional
        Default 10, or all the data for ``method="exact"``; 1..m.
    momentum : float, callable or "hinton", default 0.0
        A constant in [0, 1), a function ``epoch -> momentum``, or
        ``"hinton"`` for :func:`momentum_schedule` (0.5, then 0.9 after 5 epochs).
    weight_decay : float, default 0.0
        L2 penalty :math:`\lambda` on the weights (e.g. 1e-4).
    rng : numpy.random.Generator or int
        Initial order, sampling; required (even for ``"exact"`` with ``shuffle``).
    shuffle : bool, default True
    record_exact : bool or "auto", default "auto"
        Record the exact log-likelihood every epoch (and before training);
        "auto" does so when the smaller layer has at most 20 units.
    test_data : array_like of 0/1, optional
        Held-out data for the recorded test log-likelihood.
    callback : callable, optional
        Called as ``callback(epoch, rbm, history)`` after every epoch;
        returning ``True`` stops training. It may read the model but must not
        change it (training continues from its own copy of the parameters).
    progress : bool, default False
        Show a tqdm progress bar (if tqdm is installed).
    statistics : {"hidden_probs", "sampled", "mean_field"}
        See :func:`cd_gradient`; ``"mean_field"`` only with ``method="cd"``.
    n_chains : int, optional
        Number of persistent chains (PCD, FPCD); default ``batch_size``.
    chains : array_like of 0/1, shape (n_chains, n_hidden), optional
        Initial hidden states of the persistent chains, e.g. ``history.chains``
        of a previous call to continue training; default all 0 (as scikit-learn).
    fast_lr : float, optional
        Learning rate of the fast parameters (FPCD); default ``lr``.
    fast_decay : float, default 0.95
        Factor applied to the fast parameters at every update (FPCD).
    record_cosine : bool, default False
        Record the cosine between the estimator's gradient on the training
        set and the exact gradient (needs enumeration).
    dtype : float64 or float32
        Precision of the sampling kernels (the model keeps float64).

    Returns
    -------
    TrainingHistory

    Examples
    --------
    The 4x4 bars of the wake-sleep paper: from the uniform distribution
    (:math:`16 \log 2 = 11.09` nats per image) to below 8 nats in ten epochs.

    >>> from dreambook.data import helmholtz_bars
    >>> data = helmholtz_bars(500, rng=0)
    >>> rbm = RBM.random(16, 8, rng=0)
    >>> history = train_rbm(rbm, data, method="pcd", lr=0.05, epochs=10, rng=0)
    >>> history.epochs[-1], round(history.train_log_likelihood[0], 2)
    (10, -11.1)
    >>> bool(history.train_log_likelihood[-1] > -8.0)
    True
    """
    _check_rbm(rbm)
    data = np.ascontiguousarray(check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False))
    n = data.shape[0]
    method = _check_choice(method, "method", METHODS)
    k = check_positive_int(k, "k")
    lr = check_positive_float(lr, "lr")
    epochs = check_nonnegative_int(epochs, "epochs")
    if batch_size is None:
        batch_size = n if method == "exact" else min(10, n)
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(
            f"batch_size must be between 1 and the number of training examples ({n}), got {batch_size}"
        )
    momentum_at = _momentum_function(momentum)
    weight_decay = _check_nonnegative_float(weight_decay, "weight_decay")
    rng = as_generator(rng)
    shuffle = check_bool(shuffle, "shuffle")
    progress = check_bool(progress, "progress")
    do_exact = _resolve_record_exact(record_exact, rbm)
    if test_data is not None:
        test_data = check_binary(test_data, "test_data", n_units=rbm.n_visible, allow_1d=False)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    statistics = _check_statistics(statistics, method)
    if chains is not None:
        chains = _check_chains(chains, rbm.n_hidden)
        if n_chains is not None and check_positive_int(n_chains, "n_chains") != chains.shape[0]:
            raise ValueError(f"chains must have n_chains={n_chains} rows, got shape {chains.shape}")
        n_chains = chains.shape[0]
    n_chains = batch_size if n_chains is None else check_positive_int(n_chains, "n_chains")
    fast_lr = lr if fast_lr is None else check_positive_float(fast_lr, "fast_lr")
    fast_decay = _check_fraction(fast_decay, "fast_decay")
    record_cosine = check_bool(record_cosine, "record_cosine")
    dt = _check_dtype(dtype)

    history = TrainingHistory(method=method)
    T = rbm.T
    if method == "exact":
        kernel = None
    else:
        # natural parameters theta/T: an ascent step lr*(pos - neg)/T on theta is lr/T^2 on theta/T
        kernel = RBMTrainingKernel(
            augment(rbm.W, rbm.b, rbm.c, T, dt),
            method,
            k,
            statistics,
            lr_eff=lr / T**2,
            decay_rate=lr * weight_decay,
            n_chains=n_chains,
            rng=rng,
            fast_lr_eff=fast_lr / T**2,
            fast_decay=fast_decay,
            h0=chains,
        )
    cosine_rng = np.random.default_rng(rng.integers(2**63)) if record_cosine else None
    delta = {key: np.zeros_like(value) for key, value in rbm.params.items()}  # "exact" momentum

    def record(epoch: int, seconds: float) -> None:
        history.epochs.append(epoch)
        history.seconds.append(seconds)
        history.train_log_likelihood.append(exact.log_likelihood(rbm, data) if do_exact else np.nan)
        history.test_log_likelihood.append(
            exact.log_likelihood(rbm, test_data) if (do_exact and test_data is not None) else np.nan
        )
        history.gradient_cosine.append(_gradient_cosine(rbm, data, method, k, kernel, cosine_rng, statistics)
                                       if record_cosine else np.nan)

    record(0, 0.0)
    data_dt = data.astype(dt)
    epoch_iter = range(1, epochs + 1)
    if progress:
        epoch_iter = _progress_bar(epoch_iter, method)
    elapsed = 0.0
    for epoch in epoch_iter:
        start = time.perf_counter()
        m = momentum_at(epoch - 1)
        order = rng.permutation(n) if shuffle else None
        if kernel is not None:
            X = data_dt[order] if shuffle else data_dt
            with np.errstate(over="ignore", invalid="ignore"):
                for first in range(0, n, batch_size):
                    kernel.update(X[first : first + batch_size], m)
            if not np.all(np.isfinite(kernel.P)):
                raise FloatingPointError(
                    f"training diverged in epoch {epoch}: parameters became non-finite; lower lr"
                )
            rbm.W[...], rbm.b[...], rbm.c[...] = split(kernel.P, T)
        else:
            X = data[order] if shuffle else data
            for first in range(0, n, batch_size):
                grad = exact.log_likelihood_gradient(rbm, X[first : first + batch_size])
                grad["W"] = grad["W"] - weight_decay * rbm.W
                for key, value in rbm.params.items():
                    delta[key] *= m
                    delta[key] += lr * grad[key]
                    value += delta[key]
        elapsed += time.perf_counter() - start
        record(epoch, elapsed)
        if callback is not None and callback(epoch, rbm, history) is True:
            break
    if kernel is not None and kernel.persistent:
        history.chains = kernel.Hc[:, :-1].astype(np.float64)
    return history


def _gradient_cosine(rbm, data, method, k, kernel, rng, statistics) -> float:
    """Cosine between the method's estimate on all of ``data`` and the exact gradient."""
    exact_grad = exact.log_likelihood_gradient(rbm, data)
    if method == "exact":
        return 1.0
    if method == "cd":
        estimate = cd_gradient(rbm, data, k, rng, statistics=statistics)
    else:
        chains = kernel.Hc[:, :-1].astype(np.float64)
        if method == "pcd":
            estimate, _ = pcd_gradient(rbm, data, chains, k, rng, statistics=statistics)
        else:
            W, b, c = split(kernel.P_fast, rbm.T)
            estimate, _ = fpcd_gradient(rbm, data, chains, {"W": W, "b": b, "c": c}, k, rng,
                                        statistics=statistics)
    return _cosine(estimate, exact_grad)


def _progress_bar(iterable, method: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional
        return iterable
    return tqdm(iterable, desc=f"train_rbm ({method})", unit="epoch")


def train_bm(model, data, lr=0.1, epochs=100, momentum=0.0, weight_decay=0.0, max_units=None) -> TrainingHistory:
    r"""Exact full-batch gradient ascent on the log-likelihood of a Boltzmann machine.

    For :class:`~dreambook.models.FullyVisibleBM`,
    :class:`~dreambook.models.BoltzmannMachine` (or an RBM), each epoch is one step

    .. math::

        \Delta\theta \leftarrow m\,\Delta\theta + \eta\big(\nabla_\theta \bar\ell - \lambda W\big),
        \qquad \theta \leftarrow \theta + \Delta\theta,

    with the exact gradient :math:`\nabla\bar\ell = (\langle s\rangle_{\rm data}
    - \langle s\rangle_{\rm model})/T` of :func:`exact_gradient` -- the learning
    rule of Ackley, Hinton & Sejnowski (1985) without sampling noise. The
    gradient is zero on masked-out connections and symmetric, so ``W`` keeps
    its structure. The model is updated in place; the history records the
    exact mean log-likelihood (nats) before training and after every step.

    Parameters
    ----------
    model : FullyVisibleBM, BoltzmannMachine or RBM
    data : array_like of 0/1, shape (m, n_visible)
    lr : float, default 0.1
    epochs : int, default 100
    momentum : float in [0, 1), default 0.0
    weight_decay : float, default 0.0
    max_units : int, optional
        Enumeration limit passed to :mod:`dreambook.exact`.

    Examples
    --------
    >>> m = FullyVisibleBM.zeros(3)
    >>> data = [[1, 1, 0], [1, 1, 1], [0, 0, 0]]
    >>> history = train_bm(m, data, lr=0.5, epochs=50)
    >>> history.train_log_likelihood[-1] > history.train_log_likelihood[0]
    True
    >>> bool(m.W[0, 1] > 0)      # units 0 and 1 agree in the data
    True
    """
    check_model(model, (FullyVisibleBM, BoltzmannMachine, RBM))
    n_visible = model.n_units if isinstance(model, FullyVisibleBM) else model.n_visible
    data = check_binary(data, "data", n_units=n_visible, allow_1d=False)
    lr = check_positive_float(lr, "lr")
    epochs = check_nonnegative_int(epochs, "epochs")
    momentum = _check_fraction(momentum, "momentum")
    weight_decay = _check_nonnegative_float(weight_decay, "weight_decay")

    history = TrainingHistory(method="exact")
    delta = {key: np.zeros_like(value) for key, value in model.params.items()}
    elapsed = 0.0

    def record(epoch):
        history.epochs.append(epoch)
        history.seconds.append(elapsed)
        history.train_log_likelihood.append(exact.log_likelihood(model, data, max_units=max_units))
        history.test_log_likelihood.append(np.nan)
        history.gradient_cosine.append(1.0)

    record(0)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        grad = exact.log_likelihood_gradient(model, data, max_units=max_units)
        grad["W"] = grad["W"] - weight_decay * model.W
        for key, value in model.params.items():
            delta[key] *= momentum
            delta[key] += lr * grad[key]
            value += delta[key]
        elapsed += time.perf_counter() - start
        record(epoch)
    return history


# ---------------------------------------------------------------------------
# Fast sampling
# ---------------------------------------------------------------------------
def sample_chains(rbm, v0, n_sweeps, rng, dtype=np.float64) -> np.ndarray:
    r"""Run block Gibbs sampling :math:`v \to h \to v` on many chains with the fast kernel.

    The same Markov chain as ``dreambook.sampling.block_gibbs``, with
    preallocated buffers and an optional float32 mode (about twice as fast;
    probabilities are then resolved to about :math:`10^{-7}`).

    Parameters
    ----------
    rbm : RBM
    v0 : array_like of 0/1, shape (n_chains, n_visible)
        Initial visible states.
    n_sweeps : int
        Number of full sweeps (>= 0).
    rng : numpy.random.Generator or int
    dtype : float64 or float32

    Returns
    -------
    ndarray, shape (n_chains, n_visible), float64
        The visible states after ``n_sweeps`` sweeps.

    Examples
    --------
    >>> rbm = RBM.zeros(5, 2)
    >>> sample_chains(rbm, np.zeros((3, 5)), 10, rng=0).shape
    (3, 5)
    """
    _check_rbm(rbm)
    v0 = check_binary(v0, "v0", n_units=rbm.n_visible, allow_1d=False)
    n_sweeps = check_nonnegative_int(n_sweeps, "n_sweeps")
    rng = as_generator(rng)
    dt = _check_dtype(dtype)
    kernel = RBMGibbsKernel(augment(rbm.W, rbm.b, rbm.c, rbm.T, dt), v0, rng)
    return kernel.sweep(n_sweeps).astype(np.float64)


# ---------------------------------------------------------------------------
# scikit-learn's BernoulliRBM, number for number
# ---------------------------------------------------------------------------
def _even_slices(n: int, n_packs: int, n_samples: int):
    """The slices of ``sklearn.utils.gen_even_slices(n, n_packs, n_samples=n_samples)``."""
    start = 0
    for pack in range(n_packs):
        this_n = n // n_packs + (1 if pack < n % n_packs else 0)
        if this_n > 0:
            end = min(n_samples, start + this_n)
            yield slice(start, end)
            start = end


def fit_like_sklearn(data, n_components=256, learning_rate=0.1, batch_size=10, n_iter=10, random_state=None):
    r"""Train an RBM exactly as ``sklearn.neural_network.BernoulliRBM.fit`` does.

    A peer oracle: with the same arguments, the returned parameters equal
    scikit-learn's ``components_.T``, ``intercept_visible_`` and
    ``intercept_hidden_`` to the last bit (a test checks this). The
    conventions that differ from :func:`train_rbm` are scikit-learn's:

    * randomness from ``numpy.random.RandomState(random_state)`` (Mersenne
      Twister) and ``uniform`` draws;
    * weights :math:`\sim N(0, 0.01^2)` drawn as a (n_components, n_features)
      matrix, zero biases;
    * minibatches in data order (no shuffling), cut by ``gen_even_slices``;
      the last may be smaller, yet the negative phase always uses all
      ``batch_size`` chains while the step is ``learning_rate`` divided by the
      *minibatch* size;
    * PCD-1 with ``batch_size`` persistent hidden chains starting at 0; the
      negative statistics use the sampled visible states and the hidden
      probabilities; the new chain state is :math:`\lfloor p \rfloor` raised
      to 1 where a uniform falls below :math:`p` (a Bernoulli sample).

    Parameters
    ----------
    data : array_like of 0/1, shape (n_samples, n_features)
    n_components, learning_rate, batch_size, n_iter
        As in ``BernoulliRBM``.
    random_state : int or numpy.random.RandomState
        Required (``None`` is refused: randomness is explicit).

    Returns
    -------
    rbm : RBM
        ``W = components_.T``, ``b = intercept_visible_``, ``c = intercept_hidden_``.
    h_samples : ndarray, shape (batch_size, n_components)
        The persistent chains (``h_samples_``).

    Examples
    --------
    >>> rbm, h = fit_like_sklearn([[0, 0, 1], [1, 1, 0]], n_components=2, n_iter=1,
    ...                           random_state=0, batch_size=2)
    >>> rbm.W.shape, h.shape
    ((3, 2), (2, 2))
    """
    X = np.ascontiguousarray(check_binary(data, "data", allow_1d=False))
    n_components = check_positive_int(n_components, "n_components")
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    batch_size = check_positive_int(batch_size, "batch_size")
    n_iter = check_nonnegative_int(n_iter, "n_iter")
    if isinstance(random_state, np.random.RandomState):
        rs = random_state
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, (bool, np.bool_)):
        if not 0 <= random_state < 2**32:
            raise ValueError(f"random_state must be an integer in [0, 2**32), got {random_state}")
        rs = np.random.RandomState(int(random_state))
    else:
        raise TypeError(
            "random_state must be an integer seed or a numpy.random.RandomState "
            f"(None is not accepted), got {type(random_state).__name__}"
        )
    n_samples, n_features = X.shape

    # scikit-learn's arrays: components (n_components, n_features) = W^T, Fortran order
    components = np.asarray(rs.normal(0, 0.01, (n_components, n_features)), order="F")
    intercept_hidden = np.zeros(n_components)  # c
    intercept_visible = np.zeros(n_features)  # b
    h_samples = np.zeros((batch_size, n_components))  # persistent hidden chains

    def mean_hiddens(v):  # p(h = 1 | v) = sigma(v W + c)
        p = v @ components.T
        p += intercept_hidden
        return expit(p, out=p)

    def sample_visibles(h):  # v ~ p(v | h) = sigma(h W^T + b)
        p = np.dot(h, components)
        p += intercept_visible
        expit(p, out=p)
        return rs.uniform(size=p.shape) < p

    n_batches = int(np.ceil(float(n_samples) / batch_size))
    batch_slices = list(_even_slices(n_batches * batch_size, n_batches, n_samples))
    for _ in range(n_iter):
        for batch in batch_slices:
            v_pos = X[batch]
            h_pos = mean_hiddens(v_pos)  # positive phase
            v_neg = sample_visibles(h_samples)  # negative phase from the persistent chains
            h_neg = mean_hiddens(v_neg)
            step = float(learning_rate) / v_pos.shape[0]
            update = (v_pos.T @ h_pos).T  # <v h^T>_data - <v h^T>_chains, as (n_components, n_features)
            update -= np.dot(h_neg.T, v_neg)
            components += step * update
            intercept_hidden += step * (h_pos.sum(axis=0) - h_neg.sum(axis=0))
            intercept_visible += step * (v_pos.sum(axis=0) - v_neg.sum(axis=0))
            h_neg[rs.uniform(size=h_neg.shape) < h_neg] = 1.0  # Bernoulli sample ...
            h_samples = np.floor(h_neg, h_neg)  # ... written in place: 0 unless set to 1
    rbm = RBM(components.T, intercept_visible, intercept_hidden)
    return rbm, h_samples


# ---------------------------------------------------------------------------
# Contrastive divergence under an exact microscope (small RBMs only).
# Added for Chapter 4 ("RBMs and contrastive divergence under an exact microscope")
# and Chapter 5 (pseudo-likelihood).
# ---------------------------------------------------------------------------
__all__ += [
    "block_gibbs_matrices",
    "cd_chain_distributions",
    "expected_cd_gradient",
    "MicroscopeHistory",
    "train_small_rbm",
    "pseudo_log_likelihood",
]

from ._special import softplus  # noqa: E402  (the stable log(1 + e^a))

#: Largest layer :func:`block_gibbs_matrices` and :func:`train_small_rbm` enumerate by default.
MICROSCOPE_MAX_UNITS = 12


def _check_small(rbm: RBM, max_units, what: str) -> None:
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

    With the states of each layer enumerated in :func:`dreambook.exact.all_states`
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
    >>> rbm = RBM([[2.0]], [0.0], [-1.0])
    >>> Q, R = block_gibbs_matrices(rbm)
    >>> Q.round(4)                 # p(h | v): sigma(-1) and sigma(1)
    array([[0.7311, 0.2689],
           [0.2689, 0.7311]])
    >>> p = exact.probabilities(rbm)
    >>> bool(np.allclose(p @ Q @ R, p))   # the model is stationary
    True
    """
    _check_rbm(rbm)
    _check_small(rbm, max_units, "block_gibbs_matrices")
    V = exact.all_states(rbm.n_visible)
    H = exact.all_states(rbm.n_hidden)
    # log-odds of p(h_j = 1 | v) and p(v_i = 1 | h): the RBM's conditionals are logistic
    Q = np.exp(_log_conditional_matrix((V @ rbm.W + rbm.c) / rbm.T, H))
    R = np.exp(_log_conditional_matrix((H @ rbm.W.T + rbm.b) / rbm.T, V))
    return Q, R


def _data_distribution(data: np.ndarray) -> np.ndarray:
    """The empirical distribution of binary rows over all 2**n states (all_states order)."""
    n = data.shape[1]
    index = data.astype(np.int64) @ (1 << np.arange(n - 1, -1, -1))
    return np.bincount(index, minlength=2**n) / data.shape[0]


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
        :func:`dreambook.exact.all_states` order.

    Examples
    --------
    >>> rbm = RBM.random(3, 2, rng=0, scale=1.0)
    >>> p = cd_chain_distributions(rbm, [[1, 0, 1]], k=200)
    >>> float(p[0, 0b101]), bool(np.allclose(p[-1], exact.probabilities(rbm)))
    (1.0, True)
    """
    _check_rbm(rbm)
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    k = check_nonnegative_int(k, "k")
    Q, R = block_gibbs_matrices(rbm, max_units)
    out = np.empty((k + 1, 2**rbm.n_visible))
    out[0] = _data_distribution(data)
    for t in range(k):
        out[t + 1] = (out[t] @ Q) @ R
    return out


def _weighted_statistics(rbm: RBM, V: np.ndarray, weights: np.ndarray) -> dict:
    r""":math:`\sum_v w(v)\,[v\,p(h \mid v)^\top,\ v,\ p(h \mid v)]` for visible states ``V``."""
    P_h = rbm.hidden_probs(V)
    weighted = V * weights[:, None]
    return {"W": weighted.T @ P_h, "b": weights @ V, "c": weights @ P_h}


def _positive_minus(rbm: RBM, data: np.ndarray, negative: dict) -> dict:
    positive = rbm.sufficient_statistics(data, rbm.hidden_probs(data))
    return {key: (positive[key] - negative[key]) / rbm.T for key in rbm.params}


def expected_cd_gradient(rbm, data, k=1, max_units=MICROSCOPE_MAX_UNITS) -> dict:
    r"""The exact expectation of the CD-k estimate :func:`cd_gradient`, over all of its sampling.

    With :math:`p_k` the distribution of the chain's visible state after *k*
    block Gibbs steps from the data (:func:`cd_chain_distributions`),

    .. math::

        \mathbb{E}[\widehat{\Delta W}] = \frac1T\Big(\big\langle v\,p(h \mid v)^\top\big\rangle_{p_0}
        - \big\langle v\,p(h \mid v)^\top\big\rangle_{p_k}\Big),

    and likewise for the biases. This is the expectation of ``cd_gradient``
    with ``statistics="hidden_probs"`` and with ``statistics="sampled"``
    (sampling the hidden units does not change the mean). The exact gradient
    is the same expression with :math:`p_k` replaced by the model's
    :math:`p_\infty`, so the difference is the **bias** of CD-k, free of any
    sampling noise. Only for small RBMs (both layers are enumerated).

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1, shape (m, n_visible)
    k : int, default 1
        Number of Gibbs steps, >= 1.
    max_units : int, default 12

    Returns
    -------
    dict
        Keyed like ``rbm.params``.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0, scale=0.5)
    >>> data = [[1, 0, 1, 0], [0, 1, 0, 1]]
    >>> far = expected_cd_gradient(rbm, data, k=500)        # a long chain forgets the data
    >>> bool(np.allclose(far["W"], exact_gradient(rbm, data)["W"]))
    True
    """
    _check_rbm(rbm)
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    k = check_positive_int(k, "k")
    p_k = cd_chain_distributions(rbm, data, k, max_units)[-1]
    negative = _weighted_statistics(rbm, exact.all_states(rbm.n_visible), p_k)
    return _positive_minus(rbm, data, negative)


@dataclass
class MicroscopeHistory:
    r"""What :func:`train_small_rbm` recorded, one entry per recorded update.

    Attributes
    ----------
    method : str
    k : int
    lr : float
    updates : ndarray of int
        Number of parameter updates made before the record (0 = initial model).
    log_likelihood : ndarray
        Exact mean log-likelihood of the training data, nats per example.
    cosine : ndarray
        Cosine between the *expected* CD-k update (:func:`expected_cd_gradient`)
        and the exact gradient: the direction of CD-k free of sampling noise.
    cosine_sampled : ndarray
        Cosine between one sampled CD-k estimate on all the data
        (:func:`cd_gradient`) and the exact gradient.
    relative_bias : ndarray
        :math:`\lVert \mathbb{E}[\hat g_{\rm CD}] - g\rVert / \lVert g\rVert`.
    weight_norm : ndarray
        Frobenius norm of ``W``.
    """

    method: str
    k: int
    lr: float
    updates: np.ndarray
    log_likelihood: np.ndarray
    cosine: np.ndarray
    cosine_sampled: np.ndarray
    relative_bias: np.ndarray
    weight_norm: np.ndarray

    def __repr__(self) -> str:
        return (
            f"MicroscopeHistory(method={self.method!r}, k={self.k}, lr={self.lr}, "
            f"updates={int(self.updates[-1])}, final log-likelihood={self.log_likelihood[-1]:.4f} nats)"
        )


class _Microscope:
    """Exact quantities of a small RBM on fixed data, sharing one enumeration of the visible layer."""

    def __init__(self, rbm: RBM, data: np.ndarray, max_units):
        self.rbm, self.data = rbm, data
        self.V = exact.all_states(rbm.n_visible, max_units=max_units)
        self.data_index = data.astype(np.int64) @ (1 << np.arange(rbm.n_visible - 1, -1, -1))

    def log_probs(self) -> np.ndarray:
        u = self.rbm.unnormalized_log_prob(self.V)
        top = u.max()
        return u - (top + np.log(np.exp(u - top).sum()))

    def log_likelihood(self) -> float:
        return float(self.log_probs()[self.data_index].mean())

    def exact_gradient(self) -> dict:
        p = np.exp(self.log_probs())
        return _positive_minus(self.rbm, self.data, _weighted_statistics(self.rbm, self.V, p))


def train_small_rbm(
    rbm,
    data,
    method="cd",
    k=1,
    lr=0.1,
    n_updates=1000,
    rng=None,
    record_every=100,
    weight_decay=0.0,
    max_units=MICROSCOPE_MAX_UNITS,
) -> MicroscopeHistory:
    r"""Full-batch training of a small RBM, watched through exact diagnostics; updated in place.

    Every update uses **all** of ``data`` (no minibatches, no momentum):
    :math:`\theta \leftarrow \theta + \eta(\hat g - \lambda W)` with

    * ``method="exact"``: the exact gradient (the visible layer enumerated);
    * ``method="cd"``: the sampled CD-k estimate, exactly as
      :func:`train_rbm` computes it with ``batch_size=len(data)`` and
      ``shuffle=False`` (same kernel, same random stream: the recorded
      diagnostics draw from ``rng.spawn``);
    * ``method="expected_cd"``: the exact *expectation* of the CD-k estimate
      (:func:`expected_cd_gradient`), i.e. CD-k without sampling noise.

    Before training and after every ``record_every`` updates it records the
    exact log-likelihood, the cosine of the expected and of one sampled CD-k
    update with the exact gradient, the relative bias of CD-k and the size of
    the weights (see :class:`MicroscopeHistory`). Both layers are enumerated,
    so this is for models like the 9-9 RBM of Chapter 4.

    Parameters
    ----------
    rbm : RBM
        Trained in place.
    data : array_like of 0/1, shape (m, n_visible)
    method : {"exact", "cd", "expected_cd"}
    k : int, default 1
        Gibbs steps of CD (also the *k* of the recorded cosines for ``"exact"``).
    lr : float, default 0.1
    n_updates : int, default 1000
    rng : numpy.random.Generator or int
        Required (CD sampling and the sampled cosine).
    record_every : int, default 100
    weight_decay : float, default 0.0
        L2 penalty on ``W``.
    max_units : int, default 12

    Returns
    -------
    MicroscopeHistory

    Examples
    --------
    >>> from dreambook.data import bars_and_stripes
    >>> rbm = RBM.random(9, 4, rng=0)
    >>> h = train_small_rbm(rbm, bars_and_stripes(3), method="exact", n_updates=200,
    ...                     record_every=100, rng=0)
    >>> h.updates.tolist(), bool(h.log_likelihood[-1] > h.log_likelihood[0])
    ([0, 100, 200], True)
    """
    _check_rbm(rbm)
    data = np.ascontiguousarray(check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False))
    method = _check_choice(method, "method", ("exact", "cd", "expected_cd"))
    k = check_positive_int(k, "k")
    lr = check_positive_float(lr, "lr")
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    rng = as_generator(rng)
    record_every = check_positive_int(record_every, "record_every")
    weight_decay = _check_nonnegative_float(weight_decay, "weight_decay")
    _check_small(rbm, max_units, "train_small_rbm")

    scope = _Microscope(rbm, data, max_units)
    # the diagnostics draw from a child stream, so training uses rng exactly as train_rbm would
    try:
        record_rng = rng.spawn(1)[0]
    except (TypeError, ValueError):  # a bit generator without a seed sequence cannot spawn
        record_rng = np.random.default_rng(rng.integers(2**63))
    rows = []

    def record(update: int) -> None:
        exact_grad = scope.exact_gradient()
        expected = expected_cd_gradient(rbm, data, k, max_units)
        sampled = cd_gradient(rbm, data, k, record_rng)
        g, e = _flatten(exact_grad), _flatten(expected)
        norm = np.linalg.norm(g)
        rows.append((
            update,
            scope.log_likelihood(),
            _cosine(expected, exact_grad),
            _cosine(sampled, exact_grad),
            float(np.linalg.norm(e - g) / norm) if norm > 0 else float("nan"),
            float(np.linalg.norm(rbm.W)),
        ))

    record(0)
    if method == "cd":
        def callback(epoch, _rbm, _history):
            if epoch % record_every == 0:
                record(epoch)

        train_rbm(rbm, data, method="cd", k=k, lr=lr, epochs=n_updates, batch_size=data.shape[0],
                  weight_decay=weight_decay, rng=rng, shuffle=False, record_exact=False,
                  callback=callback)
    else:
        for update in range(1, n_updates + 1):
            if method == "exact":
                grad = scope.exact_gradient()
            else:
                grad = expected_cd_gradient(rbm, data, k, max_units)
            rbm.W += lr * (grad["W"] - weight_decay * rbm.W)
            rbm.b += lr * grad["b"]
            rbm.c += lr * grad["c"]
            if update % record_every == 0:
                record(update)
    columns = [np.asarray(column) for column in zip(*rows)]
    return MicroscopeHistory(method, k, lr, columns[0].astype(int), *columns[1:])


def pseudo_log_likelihood(rbm, data) -> np.ndarray:
    r"""Exact pseudo-log-likelihood :math:`\sum_i \log p(v_i \mid v_{-i})` of each row, in nats.

    Each conditional needs only a difference of free energies, never
    :math:`Z`: with :math:`\tilde v^{(i)}` the state with pixel *i* flipped,

    .. math::

        \log p(v_i \mid v_{-i}) = -\operatorname{softplus}\big((F(v) - F(\tilde v^{(i)}))/T\big).

    scikit-learn's ``BernoulliRBM.score_samples`` returns
    :math:`n_v \log p(v_i \mid v_{-i})` for **one** randomly chosen pixel *i*
    per row: an unbiased, noisy estimate of this sum. It is not the
    log-likelihood :math:`\log p(v)`, which needs :math:`\log Z`.

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1, shape (m, n_visible)

    Returns
    -------
    ndarray, shape (m,)

    Examples
    --------
    With no weights the pixels are independent and the two coincide:

    >>> rbm = RBM(np.zeros((3, 2)), [0.0, 1.0, -1.0], [0.0, 0.0])
    >>> x = [[1, 0, 1]]
    >>> bool(np.allclose(pseudo_log_likelihood(rbm, x), exact.log_prob(rbm, x)))
    True
    """
    _check_rbm(rbm)
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    m, n = data.shape
    free = rbm.free_energy(data)
    flipped = np.repeat(data[:, None, :], n, axis=1)
    diagonal = np.arange(n)
    flipped[:, diagonal, diagonal] = 1.0 - flipped[:, diagonal, diagonal]
    free_flipped = rbm.free_energy(flipped.reshape(m * n, n)).reshape(m, n)
    # log sigma(-x) = -softplus(x), x = (F(v) - F(v~)) / T
    return -softplus((free[:, None] - free_flipped) / rbm.T).sum(axis=1)
