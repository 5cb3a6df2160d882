r"""Training loops: the estimators of :mod:`dreambook.learning`, applied update after update.

* :func:`train_rbm` -- CD-k, PCD, FPCD or the exact gradient on an RBM, by
  minibatches, with the practical-guide options (momentum, weight decay),
  on the fast kernel of :mod:`dreambook._kernels`;
* :func:`train_bm` -- exact maximum likelihood for the pairwise models;
* :func:`train_small_rbm` -- CD-k under the exact microscope, recording the
  exact log-likelihood and gradient after every update;
* :func:`fit_like_sklearn` -- scikit-learn's ``BernoulliRBM.fit``, number for number.

* :func:`persistent_dreams` -- persistent chains followed update by update.

Each returns a :class:`History`, the one record type of every training loop
in the package (the model families' loops return it too).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from . import exact
from ._kernels import RBMTrainingKernel, augment, split
from ._validation import (
    Settings,
    as_generator,
    check_binary,
    check_bool,
    check_choice,
    check_float_dtype,
    check_model,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real,
    check_settings,
)
from .learning import (
    cd_gradient,
    check_statistics,
    expected_cd_gradient,
    fpcd_gradient,
    pcd_gradient,
    positive_minus_negative,
    weighted_statistics,
)
from .markov import MICROSCOPE_MAX_UNITS, check_small_rbm
from .models import RBM, BoltzmannMachine, FullyVisibleBM
from .states import all_states, state_index

__all__ = [
    "momentum_schedule",
    "History",
    "TrainingSettings",
    "train_rbm",
    "GradientAscent",
    "train_bm",
    "FullBatch",
    "fit_like_sklearn",
    "train_small_rbm",
    "DREAMERS",
    "persistent_dreams",
]


METHODS = ("cd", "pcd", "fpcd", "exact")


#: ``record_exact="auto"`` enumerates when the smaller RBM layer has at most this many units.
AUTO_EXACT_LAYER = 20


def momentum_schedule(initial=0.5, final=0.9, switch_epoch=5):
    """Momentum that is ``initial`` for the first ``switch_epoch`` epochs, then ``final``.

    Hinton (2010, sec. 9) recommends 0.5 while the parameters move a lot at
    the start, then 0.9. Returns a function ``epoch -> momentum`` (epochs
    count from 0), which :func:`train_rbm` accepts as ``momentum``.

    >>> schedule = momentum_schedule()
    >>> [schedule(epoch) for epoch in range(7)]
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9]
    """
    initial = check_real(initial, "initial", 0, 1, high_open=True)
    final = check_real(final, "final", 0, 1, high_open=True)
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
            return check_real(_f(epoch), "momentum (value returned by the schedule)", 0, 1, high_open=True)

        return checked
    value = check_real(momentum, "momentum", 0, 1, high_open=True)
    return lambda epoch: value


#: The names a History's step column may have: parameter updates, or passes through the training data.
STEP_NAMES = ("n_updates", "epochs")


class History:
    r"""What one training run recorded, and where it ended; every training loop of the package returns one.

    A history has *columns*, one entry per recorded step (lists or arrays
    whose first axis has that length), and *final* fields, the state at the
    end (the trained model, the persistent chains, ...). One column is the
    step index, named by ``step``: ``"n_updates"``, the number of parameter
    updates made before the entry (0 = the model before training), or
    ``"epochs"``, passes through the training data in minibatches.
    Columns and final fields read as attributes, ``history.test_log_likelihood``;
    ``columns`` and ``final`` list their names. The names cannot be rebound.

    Parameters
    ----------
    method : str
        The learning rule or estimator, e.g. ``"pcd"``, ``"wake-sleep"``.
    columns : dict of str -> list or ndarray
        Entries at the recorded steps, all of the same length; must include ``step``.
    step : {"n_updates", "epochs"}, default "n_updates"
        The name of the step column.
    final : dict of str -> object, optional
        The state at the end of training.

    Examples
    --------
    >>> h = History("exact", {"n_updates": [0, 10, 20], "log_likelihood": [-2.08, -1.9, -1.85]},
    ...             final={"chains": None})
    >>> h.log_likelihood[-1], len(h)
    (-1.85, 3)
    >>> h
    History('exact', 3 records at n_updates 0..20; columns log_likelihood (last -1.85); final chains)
    >>> h.append(n_updates=30, log_likelihood=-1.83)   # how a loop records a step
    >>> h.n_updates
    [0, 10, 20, 30]
    >>> h.log_likelihood = []
    Traceback (most recent call last):
    ...
    AttributeError: a History is read-only: 'log_likelihood' cannot be set
    """

    __slots__ = ("method", "step", "_columns", "_final")

    def __init__(self, method: str, columns: dict, *, step: str = "n_updates", final: dict | None = None):
        if not isinstance(method, str):
            raise TypeError(f"method must be a str, got {type(method).__name__}")
        step = check_choice(step, "step", STEP_NAMES)
        if not isinstance(columns, dict):
            raise TypeError(f"columns must be a dict, got {type(columns).__name__}")
        final = {} if final is None else final
        if not isinstance(final, dict):
            raise TypeError(f"final must be a dict or None, got {type(final).__name__}")
        if step not in columns:
            raise ValueError(f"columns must include the step column {step!r}, got {sorted(columns)}")
        reserved = set(dir(History))
        for name in [*columns, *final]:
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name in reserved:
                raise ValueError(f"{name!r} cannot be the name of a column or final field")
        both = set(columns) & set(final)
        if both:
            raise ValueError(f"{sorted(both)} cannot be both a column and a final field")
        lengths = {name: len(value) for name, value in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"the columns must have one entry per recorded step, got lengths {lengths}")
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "_columns", dict(columns))
        object.__setattr__(self, "_final", dict(final))

    def __getattr__(self, name):
        # called only when ``name`` is not a slot or a method: look in the record
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._columns:
            return self._columns[name]
        if name in self._final:
            return self._final[name]
        raise AttributeError(
            f"this History ({self.method!r}) has no {name!r}; columns: {', '.join(self._columns)}; "
            f"final: {', '.join(self._final) or '-'}"
        )

    def __setattr__(self, name, value):
        raise AttributeError(f"a History is read-only: {name!r} cannot be set")

    def __dir__(self):
        return [*super().__dir__(), *self._columns, *self._final]

    @property
    def columns(self) -> tuple:
        """The names of the columns, the step column first."""
        return (self.step, *(name for name in self._columns if name != self.step))

    @property
    def final(self) -> tuple:
        """The names of the final fields."""
        return tuple(self._final)

    def __len__(self) -> int:
        return len(self._columns[self.step])

    def append(self, **entry) -> None:
        """Record one step: a value for every column (the loops call this as they run)."""
        if set(entry) != set(self._columns):
            raise ValueError(f"append needs exactly the columns {sorted(self._columns)}, got {sorted(entry)}")
        for name, value in entry.items():
            column = self._columns[name]
            if not isinstance(column, list):
                raise TypeError(f"column {name!r} is a {type(column).__name__}; only list columns can grow")
        for name, value in entry.items():
            self._columns[name].append(value)

    def __reduce__(self):  # pickle and copy go through the constructor, which checks the record
        return _history, (self.method, self._columns, self.step, self._final)

    def with_final(self, **fields) -> History:
        """A history with the same columns and these final fields added (or replaced)."""
        return History(self.method, self._columns, step=self.step, final={**self._final, **fields})

    def __repr__(self) -> str:
        steps = self._columns[self.step]
        where = f"{len(steps)} records at {self.step} {steps[0]}..{steps[-1]}" if len(steps) else "no records"
        names = []
        for name in self.columns[1:]:
            column = self._columns[name]
            last = column[-1] if len(column) else None
            if isinstance(last, numbers.Real) and not isinstance(last, (bool, np.bool_)) and np.isfinite(last):
                names.append(f"{name} (last {float(last):.4g})")
            else:
                names.append(name)
        return (f"History({self.method!r}, {where}; columns {', '.join(names) or '-'}; "
                f"final {', '.join(self._final) or '-'})")


def _history(method, columns, step, final):
    return History(method, columns, step=step, final=final)


def _flatten(grad: dict) -> np.ndarray:
    return np.concatenate([np.ravel(grad[key]) for key in sorted(grad)])


def _cosine(a: dict, b: dict) -> float:
    x, y = _flatten(a), _flatten(b)
    norm = np.linalg.norm(x) * np.linalg.norm(y)
    return float(x @ y / norm) if norm > 0 else float("nan")


def _check_record_exact(record_exact) -> None:
    if isinstance(record_exact, str):
        if record_exact != "auto":
            raise ValueError(f"record_exact must be True, False or 'auto', got {record_exact!r}")
    elif not isinstance(record_exact, (bool, np.bool_)):
        raise TypeError(f"record_exact must be True, False or 'auto', got {type(record_exact).__name__}")


def _resolve_record_exact(record_exact, rbm: RBM) -> bool:
    _check_record_exact(record_exact)
    if isinstance(record_exact, str):
        return min(rbm.n_visible, rbm.n_hidden) <= AUTO_EXACT_LAYER
    return bool(record_exact)


@dataclass(frozen=True)
class TrainingSettings(Settings):
    r"""Settings of :func:`train_rbm`: the estimator, the optimizer and what to record.

    Frozen and validated on construction (a bad value raises an error naming
    the field); make variants with :func:`dataclasses.replace`, e.g.
    ``replace(settings, method="pcd")``.

    Attributes
    ----------
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
    shuffle : bool, default True
    statistics : {"hidden_probs", "sampled", "mean_field"}
        See :func:`cd_gradient`; ``"mean_field"`` only with ``method="cd"``.
    n_chains : int, optional
        Number of persistent chains (PCD, FPCD); default ``batch_size``.
    fast_lr : float, optional
        Learning rate of the fast parameters (FPCD); default ``lr``.
    fast_decay : float, default 0.95
        Factor applied to the fast parameters at every update (FPCD).
    record_exact : bool or "auto", default "auto"
        Record the exact log-likelihood every epoch (and before training);
        "auto" does so when the smaller layer has at most 20 units.
    record_cosine : bool, default False
        Record the cosine between the estimator's gradient on the training
        set and the exact gradient (needs enumeration).
    dtype : numpy.dtype, default float64
        Precision of the sampling kernels (the model keeps float64); given as
        anything :class:`numpy.dtype` accepts, stored as a ``numpy.dtype``.

    Examples
    --------
    >>> from dataclasses import replace
    >>> settings = TrainingSettings(method="pcd", lr=0.05)
    >>> replace(settings, k=5).k, settings.k
    (5, 1)
    >>> TrainingSettings(lr=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got -1.0
    """

    method: str = "cd"
    k: int = 1
    lr: float = 0.1
    epochs: int = 10
    batch_size: int | None = None
    momentum: object = 0.0
    weight_decay: float = 0.0
    shuffle: bool = True
    statistics: str = "hidden_probs"
    n_chains: int | None = None
    fast_lr: float | None = None
    fast_decay: float = 0.95
    record_exact: object = "auto"
    record_cosine: bool = False
    dtype: object = np.dtype(np.float64)  # an instance, so autodoc does not list it as a class

    def __post_init__(self):
        method = check_choice(self.method, "method", METHODS)
        checked = {
            "method": method,
            "k": check_positive_int(self.k, "k"),
            "lr": check_positive_float(self.lr, "lr"),
            "epochs": check_nonnegative_int(self.epochs, "epochs"),
            "batch_size": None if self.batch_size is None else check_positive_int(self.batch_size, "batch_size"),
            "weight_decay": check_real(self.weight_decay, "weight_decay", low=0),
            "shuffle": check_bool(self.shuffle, "shuffle"),
            "statistics": check_statistics(self.statistics, method),
            "n_chains": None if self.n_chains is None else check_positive_int(self.n_chains, "n_chains"),
            "fast_lr": None if self.fast_lr is None else check_positive_float(self.fast_lr, "fast_lr"),
            "fast_decay": check_real(self.fast_decay, "fast_decay", 0, 1, high_open=True),
            "record_cosine": check_bool(self.record_cosine, "record_cosine"),
            "dtype": check_float_dtype(self.dtype),
        }
        _momentum_function(self.momentum)
        _check_record_exact(self.record_exact)
        for name, value in checked.items():
            object.__setattr__(self, name, value)


def train_rbm(
    rbm,
    data,
    *,
    settings: TrainingSettings = TrainingSettings(),
    rng,
    test_data=None,
    chains=None,
    callback=None,
    progress=False,
) -> History:
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
    settings : TrainingSettings
        Estimator, optimizer and recording (see :class:`TrainingSettings`).
    rng : numpy.random.Generator or int
        Initial order, sampling; required (even for ``"exact"`` with ``shuffle``).
    test_data : array_like of 0/1, optional
        Held-out data for the recorded test log-likelihood.
    chains : array_like of 0/1, shape (n_chains, n_hidden), optional
        Initial hidden states of the persistent chains, e.g. ``history.chains``
        of a previous call to continue training; default all 0 (as scikit-learn).
    callback : callable, optional
        Called as ``callback(epoch, rbm, history)`` after every epoch;
        returning ``True`` stops training. It may read the model but must not
        change it (training continues from its own copy of the parameters).
    progress : bool, default False
        Show a tqdm progress bar (if tqdm is installed).

    Returns
    -------
    History
        Step column ``epochs`` (0 = before training), then
        ``train_log_likelihood`` and ``test_log_likelihood`` (exact mean
        log-likelihood in nats per example, ``record_exact``; NaN where not
        computed), ``gradient_cosine`` (the cosine between the method's
        gradient estimate on the training set and the exact gradient,
        ``record_cosine``; 1 for ``"exact"``) and ``seconds`` (cumulative
        training time, excluding the recording). Final field ``chains``: the
        hidden states of the persistent chains (PCD, FPCD; None otherwise).

    Examples
    --------
    The 4x4 bars of the wake-sleep paper: from the uniform distribution
    (:math:`16 \log 2 = 11.09` nats per image) to below 8 nats in ten epochs.

    >>> from dreambook.data import helmholtz_bars
    >>> data = helmholtz_bars(500, rng=0)
    >>> rbm = RBM.random(16, 8, rng=0)
    >>> history = train_rbm(rbm, data, settings=TrainingSettings(method="pcd", lr=0.05, epochs=10), rng=0)
    >>> history.epochs[-1], round(history.train_log_likelihood[0], 2)
    (10, -11.1)
    >>> bool(history.train_log_likelihood[-1] > -8.0)
    True
    """
    check_model(rbm, RBM, "rbm")
    data = np.ascontiguousarray(check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False))
    n = data.shape[0]
    if not isinstance(settings, TrainingSettings):
        raise TypeError(f"settings must be a TrainingSettings, got {type(settings).__name__}")
    method, k, lr, epochs = settings.method, settings.k, settings.lr, settings.epochs
    batch_size = settings.batch_size
    if batch_size is None:
        batch_size = n if method == "exact" else min(10, n)
    if batch_size > n:
        raise ValueError(
            f"batch_size must be between 1 and the number of training examples ({n}), got {batch_size}"
        )
    momentum_at = _momentum_function(settings.momentum)
    weight_decay = settings.weight_decay
    rng = as_generator(rng)
    shuffle = settings.shuffle
    progress = check_bool(progress, "progress")
    do_exact = _resolve_record_exact(settings.record_exact, rbm)
    if test_data is not None:
        test_data = check_binary(test_data, "test_data", n_units=rbm.n_visible, allow_1d=False)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    statistics = settings.statistics
    n_chains = settings.n_chains
    if chains is not None:
        chains = check_binary(chains, "chains", n_units=rbm.n_hidden, allow_1d=False)
        if n_chains is not None and n_chains != chains.shape[0]:
            raise ValueError(f"chains must have n_chains={n_chains} rows, got shape {chains.shape}")
        n_chains = chains.shape[0]
    n_chains = batch_size if n_chains is None else n_chains
    fast_lr = lr if settings.fast_lr is None else settings.fast_lr
    fast_decay = settings.fast_decay
    record_cosine = settings.record_cosine
    dt = check_float_dtype(settings.dtype)

    history = History(method, {"epochs": [], "train_log_likelihood": [], "test_log_likelihood": [],
                               "gradient_cosine": [], "seconds": []}, step="epochs")
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
        history.append(
            epochs=epoch,
            train_log_likelihood=exact.log_likelihood(rbm, data) if do_exact else np.nan,
            test_log_likelihood=(exact.log_likelihood(rbm, test_data)
                                 if (do_exact and test_data is not None) else np.nan),
            gradient_cosine=(_gradient_cosine(rbm, data, method, k, kernel, cosine_rng, statistics)
                             if record_cosine else np.nan),
            seconds=seconds,
        )

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
                _momentum_step(rbm, grad, delta, m, lr, weight_decay)
        elapsed += time.perf_counter() - start
        record(epoch, elapsed)
        if callback is not None and callback(epoch, rbm, history) is True:
            break
    chains = kernel.Hc[:, :-1].astype(np.float64) if (kernel is not None and kernel.persistent) else None
    return history.with_final(chains=chains)


def _momentum_step(model, grad: dict, delta: dict, momentum: float, lr: float, weight_decay: float) -> None:
    r"""In place: :math:`\Delta\theta \leftarrow m\,\Delta\theta + \eta(g - \lambda W)`, :math:`\theta \leftarrow \theta + \Delta\theta`."""
    grad["W"] = grad["W"] - weight_decay * model.W
    for key, value in model.params.items():
        delta[key] *= momentum
        delta[key] += lr * grad[key]
        value += delta[key]


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


@dataclass(frozen=True)
class GradientAscent(Settings):
    r"""How :func:`train_bm` makes each exact full-batch update.

    .. math::

        \Delta\theta \leftarrow m\,\Delta\theta + \eta\big(\nabla_\theta \bar\ell - \lambda W\big),
        \qquad \theta \leftarrow \theta + \Delta\theta .

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    lr : float, default 0.1
        Learning rate :math:`\eta > 0`.
    momentum : float, default 0.0
        :math:`m \in [0, 1)`.
    weight_decay : float, default 0.0
        L2 penalty :math:`\lambda \ge 0` on the weights.

    Examples
    --------
    >>> GradientAscent(lr=0.5)
    GradientAscent(lr=0.5, momentum=0.0, weight_decay=0.0)
    """

    lr: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 0.0

    def __post_init__(self):
        self._set("lr", check_positive_float(self.lr, "lr"))
        self._set("momentum", check_real(self.momentum, "momentum", 0, 1, high_open=True))
        self._set("weight_decay", check_real(self.weight_decay, "weight_decay", low=0))


def train_bm(model, data, *, n_updates=100, settings: GradientAscent = GradientAscent(),
             max_units=None) -> History:
    r"""Exact full-batch gradient ascent on the log-likelihood of a Boltzmann machine.

    For :class:`~dreambook.models.FullyVisibleBM`,
    :class:`~dreambook.models.BoltzmannMachine` (or an RBM), each of the
    ``n_updates`` updates is one step on all of the data

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
    n_updates : int, default 100
        Full-batch parameter updates.
    settings : GradientAscent, default ``GradientAscent()``
        Learning rate :math:`\eta`, momentum :math:`m` and weight decay :math:`\lambda`.
    max_units : int, optional
        Enumeration limit passed to :mod:`dreambook.exact`.

    Returns
    -------
    History
        Method ``"exact"``; columns ``n_updates`` (0, 1, ..., ``n_updates``),
        ``train_log_likelihood`` (exact mean log-likelihood, nats per example)
        and ``seconds`` (cumulative time, excluding the recording).

    Examples
    --------
    >>> m = FullyVisibleBM.zeros(3)
    >>> data = [[1, 1, 0], [1, 1, 1], [0, 0, 0]]
    >>> history = train_bm(m, data, n_updates=50, settings=GradientAscent(lr=0.5))
    >>> history.train_log_likelihood[-1] > history.train_log_likelihood[0]
    True
    >>> bool(m.W[0, 1] > 0)      # units 0 and 1 agree in the data
    True
    """
    check_model(model, (FullyVisibleBM, BoltzmannMachine, RBM))
    n_visible = model.n_units if isinstance(model, FullyVisibleBM) else model.n_visible
    data = check_binary(data, "data", n_units=n_visible, allow_1d=False)
    settings = check_settings(settings, GradientAscent)
    lr, momentum, weight_decay = settings.lr, settings.momentum, settings.weight_decay
    n_updates = check_nonnegative_int(n_updates, "n_updates")

    history = History("exact", {"n_updates": [], "train_log_likelihood": [], "seconds": []})
    delta = {key: np.zeros_like(value) for key, value in model.params.items()}
    elapsed = 0.0

    def record(update):
        history.append(n_updates=update, seconds=elapsed,
                       train_log_likelihood=exact.log_likelihood(model, data, max_units=max_units))

    record(0)
    for update in range(1, n_updates + 1):
        start = time.perf_counter()
        grad = exact.log_likelihood_gradient(model, data, max_units=max_units)
        _momentum_step(model, grad, delta, momentum, lr, weight_decay)
        elapsed += time.perf_counter() - start
        record(update)
    return history


def _even_slices(n: int, n_packs: int, n_samples: int):
    """The slices of ``sklearn.utils.gen_even_slices(n, n_packs, n_samples=n_samples)``."""
    start = 0
    for pack in range(n_packs):
        this_n = n // n_packs + (1 if pack < n % n_packs else 0)
        if this_n > 0:
            end = min(n_samples, start + this_n)
            yield slice(start, end)
            start = end


def fit_like_sklearn(data, n_components=256, learning_rate=0.1, batch_size=10, n_iter=10, *, random_state):
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


class _Microscope:
    """Exact quantities of a small RBM on fixed data, sharing one enumeration of the visible layer."""

    def __init__(self, rbm: RBM, data: np.ndarray, max_units):
        self.rbm, self.data = rbm, data
        self.V = all_states(rbm.n_visible, max_units=max_units)
        self.data_index = state_index(data)

    def log_probs(self) -> np.ndarray:
        u = self.rbm.unnormalized_log_prob(self.V)
        top = u.max()
        return u - (top + np.log(np.exp(u - top).sum()))

    def log_likelihood(self) -> float:
        return float(self.log_probs()[self.data_index].mean())

    def exact_gradient(self) -> dict:
        p = np.exp(self.log_probs())
        return positive_minus_negative(self.rbm, self.data, weighted_statistics(self.rbm, self.V, p))


@dataclass(frozen=True)
class FullBatch(Settings):
    r"""How :func:`train_small_rbm` makes each full-batch update of an RBM.

    :math:`\theta \leftarrow \theta + \eta(\hat g - \lambda W)`, with :math:`\hat g`
    the gradient estimate ``method`` computes on all the data.

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    method : {"cd", "exact", "expected_cd"}, default "cd"
        Sampled CD-k, the exact gradient, or the exact expectation of CD-k.
    k : int, default 1
        Gibbs steps of CD (also the *k* of the recorded cosines for ``"exact"``).
    lr : float, default 0.1
        Learning rate :math:`\eta > 0`.
    weight_decay : float, default 0.0
        L2 penalty :math:`\lambda \ge 0` on ``W``.

    Examples
    --------
    >>> FullBatch(method="expected_cd", k=3)
    FullBatch(method='expected_cd', k=3, lr=0.1, weight_decay=0.0)
    """

    method: str = "cd"
    k: int = 1
    lr: float = 0.1
    weight_decay: float = 0.0

    def __post_init__(self):
        self._set("method", check_choice(self.method, "method", ("exact", "cd", "expected_cd")))
        self._set("k", check_positive_int(self.k, "k"))
        self._set("lr", check_positive_float(self.lr, "lr"))
        self._set("weight_decay", check_real(self.weight_decay, "weight_decay", low=0))


def train_small_rbm(
    rbm,
    data,
    *,
    rng,
    n_updates=1000,
    settings: FullBatch = FullBatch(),
    record_every=100,
    max_units=MICROSCOPE_MAX_UNITS,
) -> History:
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
    the weights (the columns of the returned :class:`History`). Both layers are enumerated,
    so this is for models like the 9-9 RBM of Chapter 4.

    Parameters
    ----------
    rbm : RBM
        Trained in place.
    data : array_like of 0/1, shape (m, n_visible)
    rng : numpy.random.Generator or int
        Required (CD sampling and the sampled cosine).
    n_updates : int, default 1000
    settings : FullBatch, default ``FullBatch()``
        The estimator ``method``, its ``k``, the learning rate and the weight decay.
    record_every : int, default 100
    max_units : int, default 12

    Returns
    -------
    History
        Final fields ``k`` and ``lr``; columns, one entry per record:

        * ``n_updates``: parameter updates made before the record (0 = initial model);
        * ``log_likelihood``: exact mean log-likelihood of the training data, nats per example;
        * ``cosine``: cosine between the *expected* CD-k update
          (:func:`expected_cd_gradient`) and the exact gradient, the direction of
          CD-k free of sampling noise;
        * ``cosine_sampled``: the same for one sampled CD-k estimate on all the
          data (:func:`cd_gradient`);
        * ``relative_bias``: :math:`\lVert \mathbb{E}[\hat g_{\rm CD}] - g\rVert / \lVert g\rVert`;
        * ``weight_norm``: the Frobenius norm of ``W``.

    Examples
    --------
    >>> from dreambook.data import bars_and_stripes
    >>> rbm = RBM.random(9, 4, rng=0)
    >>> h = train_small_rbm(rbm, bars_and_stripes(3), n_updates=200, settings=FullBatch(method="exact"),
    ...                     record_every=100, rng=0)
    >>> h.n_updates.tolist(), bool(h.log_likelihood[-1] > h.log_likelihood[0])
    ([0, 100, 200], True)
    """
    check_model(rbm, RBM, "rbm")
    data = np.ascontiguousarray(check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False))
    settings = check_settings(settings, FullBatch)
    method, k, lr, weight_decay = settings.method, settings.k, settings.lr, settings.weight_decay
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    rng = as_generator(rng)
    record_every = check_positive_int(record_every, "record_every")
    check_small_rbm(rbm, max_units, "train_small_rbm")

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

        settings = TrainingSettings(method="cd", k=k, lr=lr, epochs=n_updates, batch_size=data.shape[0],
                                    weight_decay=weight_decay, shuffle=False, record_exact=False)
        train_rbm(rbm, data, settings=settings, rng=rng, callback=callback)
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
    names = ("n_updates", "log_likelihood", "cosine", "cosine_sampled", "relative_bias", "weight_norm")
    columns = dict(zip(names, (np.asarray(column) for column in zip(*rows))))
    columns["n_updates"] = columns["n_updates"].astype(int)
    return History(method, columns, final={"k": k, "lr": lr})


DREAMERS = ("no learning", "PCD", "fast weights")


def persistent_dreams(rbm, data, chains, dreamer="PCD", *, rng, n_updates=150, lr=0.05, fast_lr=None,
                      batch_size=20, fast_decay=0.95) -> History:
    r"""Follow persistent fantasy particles update by update, with or without learning.

    Starting from an RBM and the hidden states of its persistent chains,
    each of ``n_updates`` steps moves every chain by one block Gibbs step,
    and, unless ``dreamer`` is ``"no learning"``, also updates the model:

    * ``"no learning"``: the model is frozen; the chains are plain block
      Gibbs sampling of it (one :func:`~dreambook.learning.pcd_gradient`
      negative phase per step, its gradient unused);
    * ``"PCD"``: :func:`~dreambook.learning.pcd_gradient` on a random
      minibatch, then :math:`\theta \leftarrow \theta + \eta\,\hat g`;
    * ``"fast weights"``: :func:`~dreambook.learning.fpcd_gradient`, the same
      step on :math:`\theta`, and the fast parameters move as
      ``fpcd_gradient`` documents:
      :math:`\theta_{\rm fast} \leftarrow d\,\theta_{\rm fast} + \eta_{\rm fast}\,\hat g`.

    This is what ``train_rbm`` with ``method="pcd"`` / ``"fpcd"`` does (without momentum),
    one update at a time, so that every update can be recorded.

    Parameters
    ----------
    rbm : RBM
        Copied; the caller's model is not changed.
    data : array_like of 0/1, shape (m, n_visible)
    chains : array_like of 0/1, shape (n_chains, n_hidden)
        Initial hidden states, e.g. ``train_rbm(...).chains``.
    dreamer : {"no learning", "PCD", "fast weights"}
    rng : numpy.random.Generator or int
        Required.
    n_updates : int
    lr, fast_lr : float
        Learning rates (``fast_lr`` defaults to ``lr``).
    batch_size : int
        Minibatch size of the positive phase.
    fast_decay : float
        Decay of the fast parameters per update.

    Returns
    -------
    History
        Method ``dreamer``; columns, one entry per update and one before:
        ``n_updates`` (0, 1, ..., ``n_updates``); ``fantasies``, shape
        (n_updates + 1, n_chains, n_visible), the visible probabilities
        :math:`p(v \mid h)` of every chain (under the regular parameters);
        ``visited``, the number of distinct hidden states the chains have
        been in so far. Final fields ``model`` (the model at the end) and
        ``chains`` (the hidden states at the end).

    Examples
    --------
    >>> rbm = RBM.random(6, 3, rng=0, scale=1.0)
    >>> out = persistent_dreams(rbm, np.eye(6), np.zeros((4, 3)), "no learning", n_updates=5,
    ...                         batch_size=2, rng=0)
    >>> out.fantasies.shape, int(out.visited[0])
    ((6, 4, 6), 1)
    """
    if dreamer not in DREAMERS:
        raise ValueError(f"dreamer must be one of {DREAMERS}, got {dreamer!r}")
    check_model(rbm, RBM, "rbm")
    data = check_binary(data, "data", rbm.n_visible, allow_1d=False)
    rng = as_generator(rng)
    n_updates = check_nonnegative_int(n_updates, "n_updates")
    model = rbm.copy()
    chains = check_binary(chains, "chains", rbm.n_hidden, allow_1d=False).copy()
    fast_lr = lr if fast_lr is None else fast_lr
    fast = {key: np.zeros_like(value) for key, value in model.params.items()}
    seen = set(state_index(chains).tolist())
    fantasies, visited = [model.visible_probs(chains)], [len(seen)]
    for _ in range(n_updates):
        batch = data[rng.choice(len(data), size=batch_size, replace=False)]
        if dreamer == "fast weights":
            grad, chains = fpcd_gradient(model, batch, chains, fast, k=1, rng=rng)
            for key in fast:
                fast[key] = fast_decay * fast[key] + fast_lr * grad[key]
        else:
            grad, chains = pcd_gradient(model, batch, chains, k=1, rng=rng)
        if dreamer != "no learning":
            for key, value in model.params.items():
                value += lr * grad[key]
        seen.update(state_index(chains).tolist())
        fantasies.append(model.visible_probs(chains))
        visited.append(len(seen))
    return History(dreamer, {"n_updates": np.arange(n_updates + 1), "fantasies": np.stack(fantasies),
                             "visited": np.asarray(visited)}, final={"model": model, "chains": chains})
