r"""A scikit-learn estimator over the book's RBM: ``fit`` / ``transform`` / ``score_samples``.

:class:`RBMEstimator` follows scikit-learn's conventions *at its boundary*
(``random_state`` may be ``None`` or a ``RandomState``; any real-valued input
is accepted and binarized at ``threshold``; fitted attributes end in ``_``)
and passes scikit-learn's own ``parametrize_with_checks`` suite in the unit
tests. Inside, everything is the strict core: :func:`dreambook.training.train_rbm`
trains, :meth:`dreambook.models.RBM.hidden_probs` transforms, and

.. math::

    \text{score\_samples}(v) = \log p(v) = -F(v)/T - \log Z,

with :math:`\log Z` computed **exactly** by :func:`dreambook.exact.log_partition`
when the smaller layer has at most ``max_exact_units`` units, and estimated by
annealed importance sampling (:func:`dreambook.estimate.ais_log_partition`)
otherwise. :math:`\log Z` is computed once, at ``fit``, so ``score_samples``
is deterministic. Unlike ``BernoulliRBM.score_samples`` (a stochastic
pseudo-likelihood), this is the log-likelihood itself.

Examples
--------
>>> import numpy as np
>>> from dreambook.data import bars_and_stripes
>>> X = bars_and_stripes(3)
>>> est = RBMEstimator(n_components=4, epochs=5, random_state=0).fit(X)
>>> est.transform(X).shape, est.log_partition_method_
((14, 4), 'exact')
>>> bool(np.all(est.score_samples(X) < 0))
True
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import exact
from .estimate import ais_log_partition
from .models import RBM
from .training import METHODS, TrainingSettings, train_rbm

__all__ = ["RBMEstimator"]


class RBMEstimator(TransformerMixin, BaseEstimator):
    r"""Restricted Boltzmann machine with binary units, trained by CD-k, PCD or FPCD.

    Parameters
    ----------
    n_components : int, default 16
        Number of hidden units.
    method : {"cd", "pcd", "fpcd", "exact"}, default "pcd"
        Gradient estimator (see :mod:`dreambook.learning`).
    k : int, default 1
        Gibbs steps per update of the negative phase.
    learning_rate : float, default 0.1
    epochs : int, default 10
        Passes over the training data (minibatch epochs).
    batch_size : int, default 10
    threshold : float, default 0.5
        Inputs are binarized as ``X > threshold`` (the core refuses non-binary data).
    max_exact_units : int, default 20
        Compute :math:`\log Z` exactly when the smaller layer has at most this
        many units, else by AIS.
    ais_chains, ais_betas : int, default 100 and 1000
        AIS settings, used only when :math:`\log Z` is not enumerable.
    random_state : int, RandomState instance or None, default None
        Seeds the initial weights, the minibatch order and the sampler.

    Attributes
    ----------
    rbm_ : dreambook.models.RBM
        The trained model.
    components_ : ndarray of shape (n_components, n_features)
        Weights, as in scikit-learn's ``BernoulliRBM`` (``rbm_.W.T``).
    intercept_visible_, intercept_hidden_ : ndarray
        Visible and hidden biases.
    log_partition_ : float
        :math:`\log Z` of the trained model.
    log_partition_method_ : {"exact", "ais"}
    history_ : dreambook.training.History
    n_features_in_ : int
    """

    def __init__(self, n_components=16, method="pcd", k=1, learning_rate=0.1, epochs=10,
                 batch_size=10, threshold=0.5, max_exact_units=20, ais_chains=100, ais_betas=1000,
                 random_state=None):
        self.n_components = n_components
        self.method = method
        self.k = k
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.threshold = threshold
        self.max_exact_units = max_exact_units
        self.ais_chains = ais_chains
        self.ais_betas = ais_betas
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    # -- the boundary: scikit-learn's conventions in, the strict core's out ---------------
    def _binarize(self, X, reset: bool) -> np.ndarray:
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        return (X > self.threshold).astype(np.float64)

    def _check_params(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        for name in ("n_components", "k", "epochs", "batch_size", "max_exact_units", "ais_chains", "ais_betas"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.ais_betas < 2:
            raise ValueError(f"ais_betas must be at least 2, got {self.ais_betas}")

    def fit(self, X, y=None):
        """Train on the rows of ``X`` (binarized at ``threshold``); ``y`` is ignored."""
        self._check_params()
        V = self._binarize(X, reset=True)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        rng = np.random.default_rng(seed)
        rbm = RBM.random(V.shape[1], self.n_components, rng=rng, scale=0.01)
        self.history_ = train_rbm(rbm, V, settings=TrainingSettings(method=self.method, k=self.k, lr=float(self.learning_rate), epochs=self.epochs, batch_size=min(self.batch_size, V.shape[0]), record_exact=False), rng=rng)
        self.rbm_ = rbm
        if min(rbm.n_visible, rbm.n_hidden) <= self.max_exact_units:
            self.log_partition_ = exact.log_partition(rbm, max_units=self.max_exact_units)
            self.log_partition_method_ = "exact"
        else:
            betas = np.linspace(0.0, 1.0, self.ais_betas)
            ais = ais_log_partition(rbm, n_chains=self.ais_chains, betas=betas, rng=rng, data=V)
            self.log_partition_ = float(ais.log_z)
            self.log_partition_method_ = "ais"
        self.components_ = rbm.W.T.copy()
        self.intercept_visible_ = rbm.b.copy()
        self.intercept_hidden_ = rbm.c.copy()
        return self

    def transform(self, X):
        r"""Hidden probabilities :math:`p(h_j = 1 \mid v) = \sigma(c_j + (vW)_j)`, shape (n_samples, n_components)."""
        check_is_fitted(self)
        return self.rbm_.hidden_probs(self._binarize(X, reset=False))

    def score_samples(self, X):
        r""":math:`\log p(v)` of each row in nats: exact, or with an AIS estimate of :math:`\log Z`."""
        check_is_fitted(self)
        V = self._binarize(X, reset=False)
        return self.rbm_.unnormalized_log_prob(V) - self.log_partition_

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X`` (nats per example)."""
        return float(np.mean(self.score_samples(X)))
