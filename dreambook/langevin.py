r"""Langevin dreams: a 2-D energy model, short-run Langevin negatives, exact quadrature.

The model is an energy linear in fixed Gaussian bumps ("radial basis functions")
on a square :math:`[-L, L]^2`,

.. math::

    E_\theta(x) = \theta^\top\phi(x), \qquad
    \phi_k(x) = \exp\!\big(-\lVert x - c_k\rVert^2 / (2 w^2)\big),
    \qquad p_\theta(x) = e^{-E_\theta(x)}/Z(\theta),

restricted to the square. In two dimensions :math:`Z` is an integral that a grid
computes to high accuracy (midpoint rule, :meth:`RBFEnergy.log_partition`), so the
likelihood of the learnt model is known exactly, whatever produced its negatives.
The maximum-likelihood gradient (a descent direction for :math:`-\log p`) is

.. math::

    \nabla_\theta\big(-\tfrac1m\textstyle\sum_k\log p_\theta(x_k)\big)
    = \langle\phi\rangle_{\rm data} - \langle\phi\rangle_{p_\theta},

positive phase minus negative phase. :func:`train_energy` takes the negative phase
either exactly (quadrature) or from **short-run Langevin** chains
(Nijkamp et al. 2019; Du & Mordatch 2019): *K* steps of

.. math::

    x \leftarrow x - \tfrac{\varepsilon^2}{2}\nabla_x E_\theta(x) + \varepsilon\,\xi,
    \qquad \xi \sim N(0, I),

started afresh from uniform noise on the square at every update, or from the
previous update's chains (persistent).

:class:`IsotropicGaussianMixture` provides data with a known density and score.

References
----------
E. Nijkamp, M. Hill, S.-C. Zhu & Y. N. Wu (2019), Learning non-convergent
non-persistent short-run MCMC toward energy-based model, *NeurIPS* 32, 5232-5242.
Y. Du & I. Mordatch (2019), Implicit generation and modeling with energy based
models, *NeurIPS* 32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from ._validation import as_generator, check_finite_array, check_positive_float, check_positive_int

__all__ = ["IsotropicGaussianMixture", "RBFEnergy", "langevin", "train_energy", "TrainingHistory"]


class IsotropicGaussianMixture:
    r"""Mixture :math:`p(x) = \sum_k \pi_k N(x; \mu_k, s^2 I)` in *d* dimensions.

    Parameters
    ----------
    means : array_like, shape (K, d)
    s : float
        Common standard deviation, > 0.
    weights : array_like, shape (K,), optional
        Mixing proportions (normalised here); equal by default.

    Examples
    --------
    >>> ring = IsotropicGaussianMixture.ring(8, radius=2.0, s=0.25)
    >>> ring.sample(5, rng=0).shape
    (5, 2)
    """

    def __init__(self, means, s, weights=None):
        self.means = check_finite_array(means, "means", ndim=2).copy()
        self.s = check_positive_float(s, "s")
        K = self.means.shape[0]
        if weights is None:
            weights = np.full(K, 1.0 / K)
        w = check_finite_array(weights, "weights", shape=(K,))
        if np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        self.weights = w / w.sum()

    @classmethod
    def ring(cls, n_modes: int, radius: float, s: float) -> "IsotropicGaussianMixture":
        """``n_modes`` equal components evenly spaced on a circle of ``radius``."""
        n = check_positive_int(n_modes, "n_modes")
        radius = check_positive_float(radius, "radius")
        angles = 2 * np.pi * np.arange(n) / n
        return cls(radius * np.column_stack([np.cos(angles), np.sin(angles)]), s)

    def convolved(self, sigma) -> "IsotropicGaussianMixture":
        r"""The density of :math:`x + \sigma\varepsilon`: the same mixture with :math:`s^2 + \sigma^2`."""
        sigma = check_positive_float(sigma, "sigma")
        return IsotropicGaussianMixture(self.means, float(np.hypot(self.s, sigma)), self.weights)

    def _component_log_terms(self, X):
        X = check_finite_array(X, "X", shape=(None, self.means.shape[1]))
        d = self.means.shape[1]
        sq = np.sum((X[:, None, :] - self.means[None]) ** 2, axis=2)
        return X, np.log(self.weights) - sq / (2 * self.s**2) - 0.5 * d * np.log(2 * np.pi * self.s**2)

    def log_prob(self, X) -> np.ndarray:
        """Exact log-density of each row."""
        _, terms = self._component_log_terms(X)
        return logsumexp(terms, axis=1)

    def score(self, X) -> np.ndarray:
        r"""Exact score :math:`\nabla_x\log p(x) = \sum_k r_k(x)(\mu_k - x)/s^2`, with responsibilities r."""
        X, terms = self._component_log_terms(X)
        r = np.exp(terms - logsumexp(terms, axis=1, keepdims=True))
        return (r @ self.means - X) / self.s**2

    def sample(self, n_samples: int, rng) -> np.ndarray:
        """``n_samples`` independent draws, shape (n_samples, d)."""
        n = check_positive_int(n_samples, "n_samples")
        rng = as_generator(rng)
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        return self.means[k] + self.s * rng.standard_normal((n, self.means.shape[1]))


@dataclass
class RBFEnergy:
    r"""Energy :math:`E_\theta(x) = \theta^\top\phi(x)` with Gaussian bumps on a square grid.

    Attributes
    ----------
    centres : ndarray, shape (K, 2)
    width : float
        :math:`w`, the bumps' standard deviation.
    half_side : float
        *L*: the model lives on :math:`[-L, L]^2`.
    theta : ndarray, shape (K,)
    n_grid : int
        Points per side of the quadrature grid.
    """

    centres: np.ndarray
    width: float
    half_side: float
    theta: np.ndarray
    n_grid: int = 120

    @classmethod
    def on_grid(cls, n_per_side: int, half_side: float, width=None, n_grid: int = 120) -> "RBFEnergy":
        """``n_per_side`` squared bumps evenly spaced on the square, width = spacing by default, θ = 0."""
        n = check_positive_int(n_per_side, "n_per_side")
        L = check_positive_float(half_side, "half_side")
        ticks = np.linspace(-L, L, n)
        centres = np.array([(a, b) for a in ticks for b in ticks])
        w = (2 * L / max(n - 1, 1)) if width is None else check_positive_float(width, "width")
        return cls(centres, w, L, np.zeros(n * n), check_positive_int(n_grid, "n_grid"))

    def features(self, X) -> np.ndarray:
        r""":math:`\phi(x)`, shape (m, K)."""
        X = check_finite_array(X, "X", shape=(None, 2))
        sq = np.sum((X[:, None, :] - self.centres[None]) ** 2, axis=2)
        return np.exp(-sq / (2 * self.width**2))

    def energy(self, X) -> np.ndarray:
        return self.features(X) @ self.theta

    def grad_energy(self, X) -> np.ndarray:
        r""":math:`\nabla_x E = \sum_k \theta_k\phi_k(x)(c_k - x)/w^2`, shape (m, 2)."""
        phi = self.features(X) * self.theta
        return (phi @ self.centres - phi.sum(axis=1, keepdims=True) * X) / self.width**2

    def grid(self):
        """Midpoints of the quadrature grid, shape (n_grid², 2), and the cell area."""
        h = 2 * self.half_side / self.n_grid
        ticks = -self.half_side + h * (np.arange(self.n_grid) + 0.5)
        gx, gy = np.meshgrid(ticks, ticks, indexing="xy")
        return np.column_stack([gx.ravel(), gy.ravel()]), h * h

    def _grid_features(self):
        # phi on the quadrature grid depends only on the fixed centres: computed once
        key = (self.n_grid, self.width, self.half_side, self.centres.tobytes())
        if getattr(self, "_cache_key", None) != key:
            pts, area = self.grid()
            self._cache = (self.features(pts), area)
            self._cache_key = key
        return self._cache

    def log_partition(self) -> float:
        r""":math:`\log Z = \log\int_{[-L,L]^2} e^{-E(x)}dx` by the midpoint rule on the grid."""
        phi, area = self._grid_features()
        return float(logsumexp(-phi @ self.theta) + np.log(area))

    def log_prob(self, X) -> np.ndarray:
        """Log-density on the square (quadrature normaliser); points outside it are refused."""
        X = check_finite_array(X, "X", shape=(None, 2))
        if np.any(np.abs(X) > self.half_side):
            raise ValueError(f"X must lie in the model's square [-{self.half_side}, {self.half_side}]^2")
        return -self.energy(X) - self.log_partition()

    def model_feature_mean(self) -> np.ndarray:
        r"""Exact :math:`\langle\phi\rangle_{p_\theta}` by quadrature (the exact negative phase)."""
        phi, _ = self._grid_features()
        a = -phi @ self.theta
        p = np.exp(a - logsumexp(a))
        return p @ phi


def langevin(model: RBFEnergy, x0, n_steps: int, step: float, rng) -> np.ndarray:
    r"""Unadjusted Langevin: *K* steps of :math:`x \leftarrow x - \tfrac{\varepsilon^2}{2}\nabla E + \varepsilon\xi`.

    Chains are reflected back into the square at its walls.
    """
    X = check_finite_array(x0, "x0", shape=(None, 2)).copy()
    n_steps = check_positive_int(n_steps, "n_steps")
    step = check_positive_float(step, "step")
    rng = as_generator(rng)
    L = model.half_side
    for _ in range(n_steps):
        X += -0.5 * step**2 * model.grad_energy(X) + step * rng.standard_normal(X.shape)
        X = np.where(X > L, 2 * L - X, X)
        X = np.where(X < -L, -2 * L - X, X)
        X = np.clip(X, -L, L)
    return X


@dataclass
class TrainingHistory:
    """Exact (quadrature) mean log-likelihood of the training and test data after each recorded update."""

    updates: list = field(default_factory=list)
    train_log_likelihood: list = field(default_factory=list)
    test_log_likelihood: list = field(default_factory=list)


def train_energy(model: RBFEnergy, data, rng, method: str = "short-run", n_updates: int = 300, lr: float = 0.5,
                 n_chains: int = 200, n_steps: int = 20, step: float = 0.1, test=None,
                 record_every: int = 50) -> TrainingHistory:
    r"""Fit ``model.theta`` in place by gradient descent on :math:`-\log p`, full batch.

    ``method`` chooses the negative phase: ``"exact"`` (quadrature), ``"short-run"``
    (``n_chains`` Langevin chains of ``n_steps`` from uniform noise at every update)
    or ``"persistent"`` (the same chains continued across updates).
    """
    if not isinstance(model, RBFEnergy):
        raise TypeError(f"model must be an RBFEnergy, got {type(model).__name__}")
    data = check_finite_array(data, "data", shape=(None, 2))
    if method not in ("exact", "short-run", "persistent"):
        raise ValueError(f"method must be 'exact', 'short-run' or 'persistent', got {method!r}")
    rng = as_generator(rng)
    n_updates = check_positive_int(n_updates, "n_updates")
    lr = check_positive_float(lr, "lr")
    n_chains = check_positive_int(n_chains, "n_chains")
    n_steps = check_positive_int(n_steps, "n_steps")
    step = check_positive_float(step, "step")
    record_every = check_positive_int(record_every, "record_every")
    L = model.half_side
    positive = model.features(data).mean(axis=0)
    chains = rng.uniform(-L, L, size=(n_chains, 2))
    history = TrainingHistory()
    for t in range(1, n_updates + 1):
        if method == "exact":
            negative = model.model_feature_mean()
        else:
            if method == "short-run":
                chains = rng.uniform(-L, L, size=(n_chains, 2))
            chains = langevin(model, chains, n_steps, step, rng)
            negative = model.features(chains).mean(axis=0)
        # descent on -log p: d/dtheta [ <E>_data + log Z ] = <phi>_data - <phi>_model
        model.theta -= lr * (positive - negative)
        if t % record_every == 0 or t == n_updates:
            log_z = model.log_partition()
            history.updates.append(t)
            history.train_log_likelihood.append(float(-model.energy(data).mean() - log_z))
            if test is not None:
                history.test_log_likelihood.append(float(-model.energy(test).mean() - log_z))
    return history
