r"""The wake-sleep algorithm for Helmholtz machines (Hinton, Dayan, Frey & Neal 1995).

Each step has two phases, and each phase trains one network on the other's output
with the local delta rule :math:`\Delta w \propto s_{\rm pre}\,(s_{\rm post} - \hat p_{\rm post})`:

* **wake**: a real image :math:`v` drives the *recognition* net bottom-up to
  sample causes :math:`h \sim q(h \mid v)`; the *generative* weights learn to
  predict each layer from the one above, so :math:`\log p(h, v)` rises on the
  recognized causes (:func:`wake_step`);
* **sleep**: the generative net *dreams* :math:`(h, v) \sim p` top-down; the
  *recognition* weights learn to recover the dream's causes from the dreamed
  image, so :math:`\log q(h \mid v)` rises on the dream (:func:`sleep_step`).

The wake phase is stochastic gradient descent on the free energy
:math:`F(v) = \mathbb{E}_q[\log q(h|v) - \log p(h, v)]` with respect to the
generative weights. The sleep phase is *not* gradient descent on :math:`F`: it
minimizes :math:`\mathrm{KL}(p(h|v)\,\|\,q(h|v))` (averaged over dreams)
instead of :math:`\mathrm{KL}(q \| p)`.

Exact evaluation (:func:`kl_bits`, :func:`decomposition`) enumerates the hidden
states with :meth:`~dreambook.models.HelmholtzMachine.free_energy_terms`; the
training loop never uses it to make decisions. :func:`train_population` keeps,
out of several restarts, the one with the lowest *sampled* wake-phase free
energy on training images (:func:`sampled_free_energy`), a quantity the wake
phase can compute for itself.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ._validation import (
    Settings,
    check_real,
    check_model,
    as_generator,
    check_binary,
    check_finite_array,
    check_positive_float,
    check_positive_int,
    check_settings,
)
from ._special import sigmoid
from .models.helmholtz import HelmholtzMachine
from .training import History

__all__ = [
    "LOG2",
    "wake_step",
    "sleep_step",
    "expected_wake_update",
    "lr_schedule",
    "kl_bits",
    "decomposition",
    "sampled_free_energy",
    "Schedule",
    "train",
    "train_population",
    "clean_bars_machine",
]

LOG2 = float(np.log(2.0))


def _check_model(model):
    return check_model(model, HelmholtzMachine)


# ---------------------------------------------------------------------------
# The two phases, for one machine
# ---------------------------------------------------------------------------
def wake_step(model, v, lr, rng) -> list:
    r"""One wake phase: recognize causes for ``v``, then train the generative net on them.

    For each layer, with :math:`h \sim q(h \mid v)` sampled bottom-up,

    .. math::

        \Delta G^{(l)} = \varepsilon\, \overline{s^{(l)\top}\big(s^{(l+1)} - \hat p^{(l+1)}\big)},
        \qquad \hat p^{(l+1)} = \sigma(b^{(l+1)} + s^{(l)} G^{(l)}),
        \qquad \Delta b^{(l)} = \varepsilon\, \overline{s^{(l)} - \hat p^{(l)}},

    averaged over the rows of ``v`` (the batch). This is
    :math:`\varepsilon\,\nabla \log p(h, v)` for the sampled causes.

    Parameters
    ----------
    model : HelmholtzMachine
        Updated in place.
    v : array_like, shape (batch, n_visible)
        Binary training images.
    lr : float
        Learning rate :math:`\varepsilon > 0`.
    rng : numpy.random.Generator or int

    Returns
    -------
    list of ndarray
        The recognized layers (top first; the last is ``v``).
    """
    model = _check_model(model)
    v = check_binary(v, "v", n_units=model.n_visible)
    lr = check_positive_float(lr, "lr")
    layers = model.recognize(v, as_generator(rng))
    _generative_update(model.generative_weights, model.generative_biases, layers, lr)
    return layers


def sleep_step(model, n_dreams: int, lr, rng) -> list:
    r"""One sleep phase: dream top-down, then train the recognition net on the dreams.

    With :math:`(h, v) \sim p` dreamed by the generative net,

    .. math::

        \Delta R^{(l)} = \varepsilon\, \overline{s^{(l+1)\top}\big(s^{(l)} - \hat q^{(l)}\big)},
        \qquad \hat q^{(l)} = \sigma(c^{(l)} + s^{(l+1)} R^{(l)}),

    which is :math:`\varepsilon\,\nabla \log q(h \mid v)` for the dreamed causes.

    Returns
    -------
    list of ndarray
        The dreamed layers (top first; the last is the dreamed image).
    """
    model = _check_model(model)
    n_dreams = check_positive_int(n_dreams, "n_dreams")
    lr = check_positive_float(lr, "lr")
    layers = model.dream(n_dreams, as_generator(rng))
    _recognition_update(model.recognition_weights, model.recognition_biases, layers, lr)
    return layers


def expected_wake_update(model, v) -> dict:
    r"""The wake phase's update per unit learning rate, averaged exactly over :math:`q(h \mid v)`.

    Enumerates every hidden configuration and weights the delta rule of
    :func:`wake_step` by its recognition probability, then averages over the
    rows of ``v``. By the theorem of Chapter 7 this equals
    :math:`-\nabla F` with respect to the generative parameters (the free
    energy of :meth:`~dreambook.models.HelmholtzMachine.free_energy_terms`,
    in nats), so :func:`wake_step` is an unbiased estimate of it.

    Returns
    -------
    dict
        ``"generative_weights"`` and ``"generative_biases"``: lists of arrays
        shaped like the model's.
    """
    model = _check_model(model)
    v = check_binary(v, "v", n_units=model.n_visible)
    hidden = model.hidden_states()
    q = model.recognition_distribution(v)  # (n_images, n_configs)
    G, b = model.generative_weights, model.generative_biases
    dG = [np.zeros_like(w) for w in G]
    db = [np.zeros_like(c) for c in b]
    for image, weights in zip(v, q):
        layers = [*hidden, np.broadcast_to(image, (len(weights), model.n_visible))]
        w = weights[:, None] / len(v)
        db[0] += (w * (layers[0] - sigmoid(b[0]))).sum(axis=0)
        for l in range(len(G)):
            err = w * (layers[l + 1] - sigmoid(layers[l] @ G[l] + b[l + 1]))
            dG[l] += layers[l].T @ err
            db[l + 1] += err.sum(axis=0)
    return {"generative_weights": dG, "generative_biases": db}


def _generative_update(G, b, layers, lr):
    """Delta rule for the generative net; works with or without a leading population axis."""
    step = lr / layers[0].shape[-2]
    err = layers[0] - sigmoid(b[0][..., None, :])
    b[0] += step * err.sum(axis=-2)
    for l in range(len(G)):
        err = layers[l + 1] - sigmoid(layers[l] @ G[l] + b[l + 1][..., None, :])
        G[l] += step * (np.swapaxes(layers[l], -1, -2) @ err)
        b[l + 1] += step * err.sum(axis=-2)


def _recognition_update(R, c, layers, lr):
    """Delta rule for the recognition net; works with or without a leading population axis."""
    step = lr / layers[0].shape[-2]
    for l in range(len(R)):
        err = layers[l] - sigmoid(layers[l + 1] @ R[l] + c[l][..., None, :])
        R[l] += step * (np.swapaxes(layers[l + 1], -1, -2) @ err)
        c[l] += step * err.sum(axis=-2)


# ---------------------------------------------------------------------------
# Exact evaluation
# ---------------------------------------------------------------------------
def _check_distribution(model, states, probs):
    states = check_binary(states, "states", n_units=model.n_visible)
    probs = check_finite_array(probs, "probs", shape=(states.shape[0],))
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, atol=1e-9):
        raise ValueError("probs must be non-negative and sum to 1")
    return states, probs


def kl_bits(model, states, probs) -> float:
    r"""Exact :math:`\mathrm{KL}(p_{\rm data} \,\|\, p_{\rm model})` over visible images, in bits.

    .. math::

        \mathrm{KL} = \sum_v p_{\rm data}(v)\,\log_2 \frac{p_{\rm data}(v)}{p(v)},
        \qquad p(v) = \sum_h p(h, v)\ \text{(enumerated)}.

    Parameters
    ----------
    model : HelmholtzMachine
    states : array_like, shape (k, n_visible)
        The images the data distribution can produce (others have probability 0).
    probs : array_like, shape (k,)
        Their probabilities, e.g. from :func:`dreambook.data.helmholtz_bars_distribution`.

    Examples
    --------
    >>> from dreambook.data import helmholtz_bars_distribution
    >>> from dreambook.models import HelmholtzMachine
    >>> states, probs = helmholtz_bars_distribution()
    >>> hm = HelmholtzMachine.zeros((1, 8, 16))      # every image has p = 2**-16
    >>> round(kl_bits(hm, states, probs), 3)         # 16 - H(data) = 16 - 3.428
    12.572
    """
    model = _check_model(model)
    states, probs = _check_distribution(model, states, probs)
    log_p = -model.free_energy_terms(states)["neg_log_marginal"]
    keep = probs > 0
    return float((probs[keep] * (np.log(probs[keep]) - log_p[keep])).sum() / LOG2)


def decomposition(model, states, probs) -> dict:
    r"""Split the excess free energy into model error and recognition error (bits).

    Averaged over the data distribution, :math:`F(v) = -\log p(v) + \mathrm{KL}(q\|p(h|v))`
    gives

    .. math::

        \underbrace{\mathbb{E}_{\rm data}[F(v)] - H(p_{\rm data})}_{\text{excess free energy}}
        = \underbrace{\mathrm{KL}(p_{\rm data}\,\|\,p)}_{\text{model error}}
        + \underbrace{\mathbb{E}_{\rm data}\,
          \mathrm{KL}(q(h|v)\,\|\,p(h|v))}_{\text{recognition error}}.

    Returns
    -------
    dict of float
        ``"kl_model"``, ``"recognition_kl"``, ``"excess_free_energy"`` (their
        sum) and ``"data_entropy"``, all in bits.
    """
    model = _check_model(model)
    states, probs = _check_distribution(model, states, probs)
    terms = model.free_energy_terms(states)
    keep = probs > 0
    p = probs[keep]
    entropy = float(-(p * np.log(p)).sum())
    nll = float((p * terms["neg_log_marginal"][keep]).sum())
    rec = float((p * terms["recognition_kl"][keep]).sum())
    return {
        "kl_model": (nll - entropy) / LOG2,
        "recognition_kl": rec / LOG2,
        "excess_free_energy": (nll + rec - entropy) / LOG2,
        "data_entropy": entropy / LOG2,
    }


def sampled_free_energy(model, v, rng) -> float:
    r"""The wake phase's own estimate of the mean free energy of images ``v``, in bits.

    Samples one :math:`h \sim q(h \mid v)` per image, exactly as the wake phase
    does, and averages :math:`\log q(h \mid v) - \log p(h, v)`. Unbiased for
    :math:`\mathbb{E}_v F(v)`; uses no enumeration and no knowledge of the data
    distribution beyond the images given.
    """
    model = _check_model(model)
    v = check_binary(v, "v", n_units=model.n_visible)
    layers = model.recognize(v, as_generator(rng))
    return float((model.log_recognition(layers) - model.log_joint(layers)).mean() / LOG2)


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------
def lr_schedule(n_updates: int, lr_start=2.0, lr_end=0.05) -> np.ndarray:
    """Learning rates decaying geometrically from ``lr_start`` to ``lr_end`` over ``n_updates``.

    >>> lr_schedule(3, 1.0, 0.25)
    array([1.  , 0.5 , 0.25])
    """
    n_updates = check_positive_int(n_updates, "n_updates")
    lr_start = check_positive_float(lr_start, "lr_start")
    lr_end = check_positive_float(lr_end, "lr_end")
    if n_updates == 1:
        return np.array([lr_start])
    return lr_start * (lr_end / lr_start) ** (np.arange(n_updates) / (n_updates - 1))


def _stack(models):
    """Parameters of several same-shaped machines, stacked on a leading axis (copies)."""
    return {
        key: [np.stack([getattr(m, key)[i] for m in models])
              for i in range(len(getattr(models[0], key)))]
        for key in ("generative_weights", "generative_biases", "recognition_weights",
                    "recognition_biases")
    }


def _unstack(params, k) -> HelmholtzMachine:
    return HelmholtzMachine(*[[a[k] for a in params[key]] for key in (
        "generative_weights", "generative_biases", "recognition_weights", "recognition_biases")])


def _bars_sampler(n, rng):
    from .data import helmholtz_bars

    return helmholtz_bars(n, rng)


def _run(models, n_updates, rng, sample_data, batch_size, lrs, record_every, evaluate):
    """Train a population in lock-step; return the trained machines and the record."""
    K = len(models)
    sizes = models[0].sizes
    P = _stack(models)
    G, b = P["generative_weights"], P["generative_biases"]
    R, c = P["recognition_weights"], P["recognition_biases"]
    n_vis = sizes[-1]
    steps, records, snapshots = [], [], []

    def record(step):
        steps.append(step)
        machines = [_unstack(P, k) for k in range(K)]
        snapshots.append(machines)
        if evaluate is not None:
            records.append([evaluate(m) for m in machines])

    record(0)
    chunk = 500
    for start in range(0, n_updates, chunk):
        stop = min(n_updates, start + chunk)
        m = stop - start
        data = np.asarray(sample_data(m * K * batch_size, rng), dtype=np.float64)
        if data.shape != (m * K * batch_size, n_vis):
            raise ValueError(f"sample_data must return an array of shape (n, {n_vis}), "
                             f"got {data.shape}")
        data = data.reshape(m, K, batch_size, n_vis)
        # A unit with logit a is on when a exceeds logistic noise: P(a > z) = sigmoid(a).
        noise_q = [rng.logistic(size=(m, K, batch_size, s)) for s in sizes[:-1]]
        noise_p = [rng.logistic(size=(m, K, batch_size, s)) for s in sizes]
        for i in range(m):
            lr = lrs[start + i]
            # wake: recognize causes of real images, train the generative net on them
            layers = [data[i]]
            for l in range(len(sizes) - 2, -1, -1):
                a = layers[0] @ R[l] + c[l][:, None, :]
                layers.insert(0, (a > noise_q[l][i]).astype(np.float64))
            _generative_update(G, b, layers, lr)
            # sleep: dream top-down, train the recognition net on the dreams
            dream = [(b[0][:, None, :] > noise_p[0][i]).astype(np.float64)]
            for l in range(len(G)):
                a = dream[-1] @ G[l] + b[l + 1][:, None, :]
                dream.append((a > noise_p[l + 1][i]).astype(np.float64))
            _recognition_update(R, c, dream, lr)
            step = start + i + 1
            if step % record_every == 0 or step == n_updates:
                record(step)
    return [_unstack(P, k) for k in range(K)], np.array(steps), records, snapshots


@dataclass(frozen=True)
class Schedule(Settings):
    r"""How :func:`train` and :func:`train_population` make each wake-sleep step.

    Step :math:`t` of :math:`N` takes one wake phase on ``batch_size`` fresh
    training images and one sleep phase on ``batch_size`` dreams, both at the
    learning rate of :func:`lr_schedule`,
    :math:`\eta_t = \eta_{\rm start}(\eta_{\rm end}/\eta_{\rm start})^{t/(N-1)}`.

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    batch_size : int, default 20
    lr_start, lr_end : float, default 2.0 and 0.05
        First and last learning rate (equal for a constant rate).

    Examples
    --------
    >>> Schedule(lr_start=0.2, lr_end=0.2)
    Schedule(batch_size=20, lr_start=0.2, lr_end=0.2)
    """

    batch_size: int = 20
    lr_start: float = 2.0
    lr_end: float = 0.05

    def __post_init__(self):
        self._set("batch_size", check_positive_int(self.batch_size, "batch_size"))
        self._set("lr_start", check_positive_float(self.lr_start, "lr_start"))
        self._set("lr_end", check_positive_float(self.lr_end, "lr_end"))


def _common_args(n_updates, settings, record_every):
    n_updates = check_positive_int(n_updates, "n_updates")
    settings = check_settings(settings, Schedule)
    lrs = lr_schedule(n_updates, settings.lr_start, settings.lr_end)
    record_every = check_positive_int(record_every, "record_every")
    return n_updates, settings.batch_size, lrs, record_every


def _exact_evaluator(states, probs):
    if states is None:
        return None
    return lambda model: decomposition(model, states, probs)


def train(model, *, n_updates: int, rng, settings: Schedule = Schedule(), sample_data=None,
          record_every: int = 1000, states=None, probs=None) -> History:
    r"""Train one Helmholtz machine by wake-sleep; optionally record the exact KL.

    Each step draws ``batch_size`` fresh training images, takes one wake phase on
    them and one sleep phase on ``batch_size`` dreams, with the learning rate of
    :func:`lr_schedule`.

    Parameters
    ----------
    model : HelmholtzMachine
        The starting point (not modified).
    n_updates : int
        Number of wake-sleep steps.
    rng : numpy.random.Generator or int
    settings : Schedule, default ``Schedule()``
        Batch size and the learning rates between which the rate decays geometrically.
    sample_data : callable, optional
        ``sample_data(n, rng)`` returns ``n`` binary training images; by default
        :func:`dreambook.data.helmholtz_bars`.
    record_every : int, default 1000
        Evaluate and keep a snapshot every this many steps (and at the start and end).
    states, probs : array_like, optional
        The data distribution (as from
        :func:`dreambook.data.helmholtz_bars_distribution`); when given, the
        exact :func:`decomposition` is recorded. It never influences training.

    Returns
    -------
    History
        Method ``"wake-sleep"``; final field ``model`` (the trained machine);
        columns, one entry per evaluation step: ``n_updates`` (the steps),
        ``snapshots`` (copies of the machine) and ``kl_model`` and
        ``recognition_kl`` (the exact KLs of :func:`decomposition`, bits; NaN
        unless ``states`` was given).
    """
    _check_model(model)
    rng = as_generator(rng)
    n_updates, batch_size, lrs, record_every = _common_args(n_updates, settings, record_every)
    sample_data = _bars_sampler if sample_data is None else sample_data
    if not callable(sample_data):
        raise TypeError("sample_data must be a callable sample_data(n, rng)")
    evaluate = _exact_evaluator(states, probs)
    models, steps, records, snapshots = _run([model], n_updates, rng, sample_data, batch_size,
                                             lrs, record_every, evaluate)
    columns = {"n_updates": steps, "snapshots": [s[0] for s in snapshots]}
    for key in ("kl_model", "recognition_kl"):
        columns[key] = (np.array([r[0][key] for r in records]) if evaluate is not None
                        else np.full(len(steps), np.nan))
    return History("wake-sleep", columns, final={"model": models[0]})


def train_population(sizes, *, n_models: int, n_updates: int, rng, settings: Schedule = Schedule(),
                     sample_data=None, visible_bias=-3.0, init_scale=0.1, n_select: int = 10000,
                     record_every: int = 1000, states=None, probs=None) -> History:
    r"""Train several restarts by wake-sleep and keep the one the wake phase likes best.

    All ``n_models`` machines start from independent random weights
    (:meth:`HelmholtzMachine.random`, visible biases at ``visible_bias``) and
    train in lock-step (vectorized). At the end each machine's mean free energy
    on ``n_select`` fresh training images is estimated by
    :func:`sampled_free_energy` and the lowest wins. The selection uses only
    training images and the machines' own samples, never the exact KL.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, top first (``(1, 8, 16)`` for the bars problem).
    n_models : int
        Number of restarts.
    n_updates, rng, settings, sample_data, record_every, states, probs
        As in :func:`train`.
    visible_bias : float, default -3.0
        Initial generative bias of the visible units.
    init_scale : float, default 0.1
        Standard deviation of the initial weights.
    n_select : int, default 10000
        Training images used to estimate each restart's free energy.

    Returns
    -------
    History
        Method ``"wake-sleep"``; final fields ``models`` (all trained
        machines), ``free_energy`` (their sampled free energies, bits),
        ``best`` (index of the lowest) and ``model`` (the chosen machine);
        columns ``n_updates``, ``snapshots`` (the chosen machine at each
        evaluation step) and ``kl_model`` and ``recognition_kl``, shape
        (n_evaluations, n_models) (NaN unless ``states`` was given).
    """
    rng = as_generator(rng)
    n_models = check_positive_int(n_models, "n_models")
    n_select = check_positive_int(n_select, "n_select")
    n_updates, batch_size, lrs, record_every = _common_args(n_updates, settings, record_every)
    sample_data = _bars_sampler if sample_data is None else sample_data
    if not callable(sample_data):
        raise TypeError("sample_data must be a callable sample_data(n, rng)")
    if not isinstance(visible_bias, numbers.Real) or not np.isfinite(visible_bias):
        raise ValueError(f"visible_bias must be a finite number, got {visible_bias!r}")
    starts = [HelmholtzMachine.random(sizes, rng, scale=init_scale, visible_bias=visible_bias)
              for _ in range(n_models)]
    evaluate = _exact_evaluator(states, probs)
    models, steps, records, snapshots = _run(starts, n_updates, rng, sample_data, batch_size,
                                             lrs, record_every, evaluate)
    select_images = np.asarray(sample_data(n_select, rng), dtype=np.float64)
    free = np.array([sampled_free_energy(m, select_images, rng) for m in models])
    best = int(np.argmin(free))
    columns = {"n_updates": steps, "snapshots": [s[best] for s in snapshots]}
    for key in ("kl_model", "recognition_kl"):
        columns[key] = (np.array([[r[key] for r in row] for row in records]) if evaluate is not None
                        else np.full((len(steps), n_models), np.nan))
    return History("wake-sleep", columns,
                   final={"models": models, "free_energy": free, "best": best, "model": models[best]})


def clean_bars_machine(size: int = 4, p_vertical=2 / 3, p_bar=0.2, strength=10.0):
    r"""The hand-built "clean" solution of the bars problem: a ``(1, 2*size, size**2)`` machine.

    The top unit is the orientation (on = vertical, prior ``p_vertical``); middle
    units ``0 .. size-1`` are the vertical bars and ``size .. 2*size-1`` the
    horizontal ones, each on with probability ``p_bar`` when the top unit picks
    its orientation and (almost) never otherwise; a pixel is on when a bar
    through it is on. ``strength`` sets how nearly deterministic the "almost"
    is. The recognition net inverts this by hand: a bar unit fires when its
    whole line of pixels is on (the full image is read as vertical bars), and
    the top unit reads the orientation off the bars.
    The generative model is as close to the data as ``strength`` allows, so
    its KL is the floor a trained machine can approach.

    Examples
    --------
    >>> from dreambook.data import helmholtz_bars_distribution
    >>> states, probs = helmholtz_bars_distribution()
    >>> kl_bits(clean_bars_machine(), states, probs) < 0.01
    True
    """
    size = check_positive_int(size, "size")
    if size < 2:
        raise ValueError(f"size must be at least 2 for bars to have an orientation, got {size}")
    S = check_positive_float(strength, "strength")
    logit = lambda p: float(np.log(p) - np.log1p(-p))  # noqa: E731
    p_vertical = check_real(p_vertical, "p_vertical", 0, 1, low_open=True, high_open=True)
    p_bar = check_real(p_bar, "p_bar", 0, 1, low_open=True, high_open=True)
    n = size
    # which pixels each bar covers: vertical bar j = column j, horizontal bar i = row i
    cover = np.zeros((2 * n, n * n))
    for j in range(n):
        cover[j, j::n] = 1.0
        cover[n + j, j * n:(j + 1) * n] = 1.0
    sign = np.r_[np.ones(n), -np.ones(n)]  # +1: needs top on (vertical), -1: needs top off
    b1 = np.where(sign > 0, logit(p_bar) - 2 * S, logit(p_bar))
    G0 = np.where(sign > 0, 2 * S, -2 * S)[None, :]
    G1 = 2 * S * cover
    b2 = -S * np.ones(n * n)
    # Recognition. A vertical-bar unit fires when its whole column is on. A
    # horizontal-bar unit fires when its whole row is on, unless the other rows
    # are all on too: the full image is then read as four vertical bars, so the
    # factorial q never mixes the two orientations.
    R1 = np.zeros((n * n, 2 * n))
    R1[:, :n] = 2 * S * cover[:n].T
    R1[:, n:] = 2 * S * cover[n:].T - 0.5 * S * (1 - cover[n:].T)
    c1 = np.r_[-(2 * n - 1) * S * np.ones(n), (-2 * n + (n - 1.5) * n / 2) * S * np.ones(n)]
    R0 = (S * sign)[:, None]
    c0 = np.array([logit(p_vertical)])
    return HelmholtzMachine([G0, G1], [np.array([logit(p_vertical)]), b1, b2], [R0, R1],
                            [c0, c1])
