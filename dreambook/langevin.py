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

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ._validation import (
    Settings,
    as_generator,
    check_choice,
    check_finite_array,
    check_positive_float,
    check_positive_int,
    check_settings,
)
from .training import History

__all__ = ["IsotropicGaussianMixture", "RBFEnergy", "langevin", "EnergyTraining", "train_energy",
           "langevin_snapshots", "ring_cells", "cell_masses", "cell_shares", "total_variation",
           "ChainStudy", "chain_study", "sampling_floor"]


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


@dataclass(frozen=True)
class EnergyTraining(Settings):
    r"""How :func:`train_energy` makes each update: the negative phase and the step size.

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    method : {"short-run", "persistent", "exact"}, default "short-run"
        The negative phase: ``n_chains`` Langevin chains of ``n_steps`` started from
        uniform noise at every update (``"short-run"``), the same chains continued
        across updates (``"persistent"``), or the exact model mean by quadrature.
    lr : float, default 0.5
        Learning rate of the descent on :math:`-\log p`.
    n_chains : int, default 200
    n_steps : int, default 20
        Langevin steps per update (:func:`langevin`).
    step : float, default 0.1
        Langevin step size :math:`\epsilon`.

    Examples
    --------
    >>> EnergyTraining(method="persistent", n_steps=5)
    EnergyTraining(method='persistent', lr=0.5, n_chains=200, n_steps=5, step=0.1)
    """

    method: str = "short-run"
    lr: float = 0.5
    n_chains: int = 200
    n_steps: int = 20
    step: float = 0.1

    def __post_init__(self):
        self._set("method", check_choice(self.method, "method", ("exact", "short-run", "persistent")))
        self._set("lr", check_positive_float(self.lr, "lr"))
        self._set("n_chains", check_positive_int(self.n_chains, "n_chains"))
        self._set("n_steps", check_positive_int(self.n_steps, "n_steps"))
        self._set("step", check_positive_float(self.step, "step"))


def train_energy(model: RBFEnergy, data, *, rng, n_updates: int = 300, settings: EnergyTraining = EnergyTraining(),
                 test=None, record_every: int = 50) -> History:
    r"""Fit ``model.theta`` in place by gradient descent on :math:`-\log p`, full batch.

    Each of the ``n_updates`` updates is
    :math:`\theta \leftarrow \theta - \eta(\langle\phi\rangle_{\rm data} - \langle\phi\rangle_{\rm model})`,
    the model mean from the negative phase ``settings.method`` (see :class:`EnergyTraining`).

    Returns a :class:`~dreambook.training.History` with method ``settings.method``,
    columns ``n_updates`` (every ``record_every`` updates and the last),
    ``train_log_likelihood`` and ``test_log_likelihood`` (exact, by
    quadrature, nats per point; NaN without ``test``) and the final field
    ``chains``, the negative chains after the last update, shape (n_chains, 2)
    (None for ``"exact"``).
    """
    if not isinstance(model, RBFEnergy):
        raise TypeError(f"model must be an RBFEnergy, got {type(model).__name__}")
    data = check_finite_array(data, "data", shape=(None, 2))
    settings = check_settings(settings, EnergyTraining)
    method, lr, n_chains, n_steps, step = (settings.method, settings.lr, settings.n_chains, settings.n_steps,
                                           settings.step)
    rng = as_generator(rng)
    n_updates = check_positive_int(n_updates, "n_updates")
    record_every = check_positive_int(record_every, "record_every")
    L = model.half_side
    positive = model.features(data).mean(axis=0)
    chains = rng.uniform(-L, L, size=(n_chains, 2))
    history = History(method, {"n_updates": [], "train_log_likelihood": [], "test_log_likelihood": []})
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
            history.append(n_updates=t, train_log_likelihood=float(-model.energy(data).mean() - log_z),
                           test_log_likelihood=np.nan if test is None else float(-model.energy(test).mean() - log_z))
    return history.with_final(chains=None if method == "exact" else chains.copy())


# --- Where the chains are after K steps -------------------------------------------------------
def langevin_snapshots(model: RBFEnergy, x0, n_steps, step: float, rng) -> np.ndarray:
    r"""Positions of the chains after each of the step counts ``n_steps`` (increasing, 0 allowed).

    One run of :func:`langevin`, recorded along the way: snapshot *k* equals
    ``langevin(model, x0, n_steps[k], step, rng)`` with a fresh generator of the same
    seed (0 steps: ``x0`` itself). Returns shape (len(n_steps), m, 2).
    """
    X = check_finite_array(x0, "x0", shape=(None, 2)).copy()
    counts = np.asarray(n_steps)
    if counts.ndim != 1 or counts.size == 0 or not np.issubdtype(counts.dtype, np.integer) \
            or np.any(counts < 0) or np.any(np.diff(counts) <= 0):
        raise ValueError(f"n_steps must be a non-empty increasing sequence of integers >= 0, got {n_steps!r}")
    rng = as_generator(rng)
    out, done = [], 0
    for K in counts.tolist():
        if K > done:
            X = langevin(model, X, K - done, step, rng)
            done = K
        out.append(X.copy())
    return np.stack(out)


def ring_cells(X, n_sectors: int = 8, radii=(1.5, 2.5)) -> np.ndarray:
    r"""Index of the polar cell of each point: ``n_sectors`` angular sectors centred on the
    angles :math:`2\pi k/n` (a ring's modes) times the radial bands cut at ``radii``.

    Cell ``sector * (len(radii) + 1) + band``; band 0 is inside ``radii[0]``.
    """
    X = check_finite_array(X, "X", shape=(None, 2))
    n = check_positive_int(n_sectors, "n_sectors")
    radii = check_finite_array(radii, "radii", ndim=1)
    if radii.size == 0 or np.any(radii <= 0) or np.any(np.diff(radii) <= 0):
        raise ValueError(f"radii must be positive and increasing, got {radii.tolist()}")
    width = 2 * np.pi / n
    angle = np.mod(np.arctan2(X[:, 1], X[:, 0]) + width / 2, 2 * np.pi)
    sector = np.minimum((angle // width).astype(int), n - 1)
    return sector * (radii.size + 1) + np.searchsorted(radii, np.hypot(X[:, 0], X[:, 1]), side="right")


def cell_masses(model: RBFEnergy, log_density=None, n_sectors: int = 8, radii=(1.5, 2.5)) -> np.ndarray:
    r"""Exact probability of each :func:`ring_cells` cell under :math:`p \propto e^{\ell(x)}` on the square.

    :math:`\ell` is ``log_density`` (a function of points, e.g. a mixture's ``log_prob``),
    by default the model's own :math:`-E_\theta`; the integral is the midpoint rule on the
    model's quadrature grid.
    """
    pts, _ = model.grid()
    logp = -model.energy(pts) if log_density is None else np.asarray(log_density(pts), float)
    w = np.exp(logp - logsumexp(logp))
    return np.bincount(ring_cells(pts, n_sectors, radii), weights=w, minlength=n_sectors * (len(radii) + 1))


def cell_shares(X, n_sectors: int = 8, radii=(1.5, 2.5)) -> np.ndarray:
    """Fraction of the points ``X`` in each :func:`ring_cells` cell."""
    cells = ring_cells(X, n_sectors, radii)
    return np.bincount(cells, minlength=n_sectors * (len(radii) + 1)) / cells.size


def total_variation(p, q) -> float:
    r"""Total-variation distance :math:`\tfrac12\sum_c |p_c - q_c|` between two distributions over cells."""
    p = check_finite_array(p, "p", ndim=1)
    q = check_finite_array(q, "q", shape=p.shape)
    return float(0.5 * np.abs(p - q).sum())


@dataclass
class ChainStudy:
    """Chains of one energy from one start, recorded after each step count (:func:`chain_study`)."""

    n_steps: list
    snapshots: np.ndarray  # (len(n_steps), m, 2)
    tv_data: np.ndarray  # total variation to the data's cell masses, per step count
    tv_model: np.ndarray  # total variation to the model's own exact cell masses
    density: np.ndarray  # the model's exact density on its quadrature grid, (n_grid, n_grid), rows = y
    mode_mass: np.ndarray  # the model's exact mass in each sector's ring band, (n_sectors,)


def chain_study(model: RBFEnergy, data: IsotropicGaussianMixture, x0, n_steps, step: float, rng,
                n_sectors: int = 8, radii=(1.5, 2.5)) -> ChainStudy:
    r"""Run Langevin chains of ``model`` from ``x0`` and measure them after each step count.

    At each *K* in ``n_steps`` the chains' shares of the :func:`ring_cells` cells are
    compared (:func:`total_variation`) with the exact cell masses of the data density
    ``data`` and of the model's own density :math:`e^{-E_\theta}/Z`. A chain that has
    mixed is close to the second; a good sampler of the data is close to the first.
    """
    if not isinstance(model, RBFEnergy):
        raise TypeError(f"model must be an RBFEnergy, got {type(model).__name__}")
    if not isinstance(data, IsotropicGaussianMixture):
        raise TypeError(f"data must be an IsotropicGaussianMixture, got {type(data).__name__}")
    snaps = langevin_snapshots(model, x0, n_steps, step, rng)
    q_data = cell_masses(model, data.log_prob, n_sectors, radii)
    q_model = cell_masses(model, None, n_sectors, radii)
    shares = [cell_shares(X, n_sectors, radii) for X in snaps]
    pts, _ = model.grid()
    density = np.exp(model.log_prob(pts)).reshape(model.n_grid, model.n_grid)
    band = 1 if len(radii) >= 2 else 0
    return ChainStudy([int(k) for k in n_steps], snaps,
                      np.array([total_variation(s, q_data) for s in shares]),
                      np.array([total_variation(s, q_model) for s in shares]),
                      density, q_model.reshape(n_sectors, -1)[:, band].copy())


def sampling_floor(model: RBFEnergy, data: IsotropicGaussianMixture, n_points: int, n_repeats: int, rng,
                   n_sectors: int = 8, radii=(1.5, 2.5)) -> float:
    """Median total variation between ``n_points`` exact draws of ``data`` and its exact cell masses.

    The distance a perfect sampler with that many chains would still show.
    """
    n_points = check_positive_int(n_points, "n_points")
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    rng = as_generator(rng)
    q = cell_masses(model, data.log_prob, n_sectors, radii)
    return float(np.median([total_variation(cell_shares(data.sample(n_points, rng), n_sectors, radii), q)
                            for _ in range(n_repeats)]))
