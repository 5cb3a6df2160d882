r"""The Helmholtz machine: a layered sigmoid belief net with a recognition net.

Layers are numbered from the top, :math:`s^{(0)}` (the deepest causes) down to
:math:`s^{(L-1)} = v` (the visible units). The **generative** network draws a
"dream" top-down,

.. math::

    p(s^{(0)}_j = 1) = \sigma(b^{(0)}_j), \qquad
    p(s^{(l+1)}_k = 1 \mid s^{(l)}) = \sigma\big(b^{(l+1)}_k + (s^{(l)} G^{(l)})_k\big),

so the joint probability of every layer is a product of Bernoulli factors,
:math:`\log p(h, v) = \sum_l \sum_k \log \operatorname{Bern}(s^{(l)}_k;\, \cdot)`.
The **recognition** network runs the other way, bottom-up,

.. math::

    q(s^{(l)}_j = 1 \mid s^{(l+1)}) = \sigma\big(c^{(l)}_j + (s^{(l+1)} R^{(l)})_j\big),

and proposes causes :math:`h = (s^{(0)}, \dots, s^{(L-2)})` for an image
:math:`v`. Both are directed nets, so unlike a Boltzmann machine there is no
partition function: :math:`\log p(h, v)` is a sum of exact local terms. The
marginal :math:`p(v) = \sum_h p(h, v)` and the posterior :math:`p(h \mid v)`
are not; for small nets they are computed here by enumerating all
:math:`2^{n_h}` hidden configurations.

There is no temperature (the distributions are not Boltzmann distributions);
"energy" and "free energy" below are in nats, with
:math:`E(h, v) = -\log p(h, v)`.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator, check_finite_array, check_parameter, check_positive_int
from .._special import logsumexp, sigmoid, softplus
from ..states import all_states

__all__ = ["HelmholtzMachine"]

#: Largest number of hidden units the exact helpers enumerate by default.
MAX_HIDDEN = 16


def _log_bernoulli(x, logits):
    """Sum over the last axis of log Bern(x; sigma(logits)) = x a - softplus(a)."""
    return (x * logits - softplus(logits)).sum(axis=-1)


class HelmholtzMachine:
    r"""A Helmholtz machine with binary stochastic layers.

    Parameters
    ----------
    generative_weights : sequence of array_like
        ``G[l]`` of shape ``(sizes[l], sizes[l+1])``: top-down weights from
        layer ``l`` to the layer below it.
    generative_biases : sequence of array_like
        ``b[l]`` of shape ``(sizes[l],)``, one per layer, top layer first (the
        top layer's biases are its prior logits; the last are the visible biases).
    recognition_weights : sequence of array_like
        ``R[l]`` of shape ``(sizes[l+1], sizes[l])``: bottom-up weights from
        layer ``l+1`` to layer ``l``.
    recognition_biases : sequence of array_like
        ``c[l]`` of shape ``(sizes[l],)`` for each hidden layer ``l`` (all but
        the visible layer).

    Attributes
    ----------
    sizes : tuple of int
        Units per layer, top first; ``sizes[-1]`` is the number of visible units.

    Examples
    --------
    A 1-2 net whose top unit switches both visible units on:

    >>> hm = HelmholtzMachine.zeros((1, 2))
    >>> hm.generative_weights[0][:] = 10.0
    >>> hm.generative_biases[1][:] = -5.0
    >>> hm.visible_probs([[0.0], [1.0]])     # p(v = 1 | top unit)
    array([[0.00669285, 0.00669285],
           [0.99330715, 0.99330715]])
    >>> np.round(np.exp(hm.log_marginal([[1.0, 1.0]])), 4)   # 0.5 * 0.9933**2 + 0.5 * 0.0067**2
    array([0.4934])
    """

    def __init__(self, generative_weights, generative_biases, recognition_weights,
                 recognition_biases):
        gw = [check_finite_array(w, f"generative_weights[{i}]", ndim=2)
              for i, w in enumerate(generative_weights)]
        if len(gw) == 0:
            raise ValueError("generative_weights must hold at least one weight matrix")
        sizes = [gw[0].shape[0]] + [w.shape[1] for w in gw]
        for i, w in enumerate(gw):
            if w.shape[0] != sizes[i] or 0 in w.shape:
                raise ValueError(
                    f"generative_weights[{i}] must have shape (sizes[{i}], sizes[{i + 1}]) "
                    f"with both >= 1, got {w.shape}"
                )
        L = len(sizes)
        if len(generative_biases) != L:
            raise ValueError(f"generative_biases must hold {L} vectors (one per layer), "
                             f"got {len(generative_biases)}")
        if len(recognition_weights) != L - 1 or len(recognition_biases) != L - 1:
            raise ValueError(f"recognition_weights and recognition_biases must hold {L - 1} "
                             "arrays each (one per hidden layer)")
        self.sizes = tuple(int(s) for s in sizes)
        self.generative_weights = [np.array(w, dtype=np.float64) for w in gw]
        self.generative_biases = [
            np.array(check_finite_array(b, f"generative_biases[{i}]", shape=(sizes[i],)))
            for i, b in enumerate(generative_biases)
        ]
        self.recognition_weights = [
            np.array(check_finite_array(r, f"recognition_weights[{i}]",
                                        shape=(sizes[i + 1], sizes[i])))
            for i, r in enumerate(recognition_weights)
        ]
        self.recognition_biases = [
            np.array(check_finite_array(c, f"recognition_biases[{i}]", shape=(sizes[i],)))
            for i, c in enumerate(recognition_biases)
        ]

    # -- construction -------------------------------------------------------
    @classmethod
    def zeros(cls, sizes) -> "HelmholtzMachine":
        """A machine with every weight and bias zero; ``sizes`` lists units per layer, top first."""
        sizes = cls._check_sizes(sizes)
        return cls(
            [np.zeros((a, b)) for a, b in zip(sizes[:-1], sizes[1:])],
            [np.zeros(s) for s in sizes],
            [np.zeros((b, a)) for a, b in zip(sizes[:-1], sizes[1:])],
            [np.zeros(s) for s in sizes[:-1]],
        )

    @classmethod
    def random(cls, sizes, rng, scale: float = 0.1, visible_bias: float = 0.0):
        """Weights drawn from N(0, scale**2), biases zero except the visible ones.

        Parameters
        ----------
        sizes : sequence of int
            Units per layer, top first.
        rng : numpy.random.Generator or int
        scale : float, default 0.1
            Standard deviation of the initial weights.
        visible_bias : float, default 0.0
            Initial generative bias of every visible unit (a negative value
            starts the dreams sparse, like the data).
        """
        sizes = cls._check_sizes(sizes)
        rng = as_generator(rng)
        scale = float(check_finite_array(scale, "scale", ndim=0))
        visible_bias = float(check_finite_array(visible_bias, "visible_bias", ndim=0))
        hm = cls.zeros(sizes)
        for w in hm.generative_weights + hm.recognition_weights:
            w[:] = scale * rng.standard_normal(w.shape)
        hm.generative_biases[-1][:] = visible_bias
        return hm

    @staticmethod
    def _check_sizes(sizes):
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least two layers (hidden, visible), got {sizes}")
        return tuple(check_positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes))

    def copy(self) -> "HelmholtzMachine":
        """An independent copy."""
        return HelmholtzMachine(self.generative_weights, self.generative_biases,
                                self.recognition_weights, self.recognition_biases)

    def __repr__(self) -> str:
        return f"HelmholtzMachine(sizes={self.sizes})"

    @property
    def n_visible(self) -> int:
        """Number of visible units (the last layer)."""
        return self.sizes[-1]

    @property
    def n_hidden(self) -> int:
        """Total number of hidden units (every layer but the last)."""
        return int(sum(self.sizes[:-1]))

    # -- checks ---------------------------------------------------------------
    def check_parameters(self) -> None:
        """Check every weight and bias as it is now: float64, the right shape, finite.

        The samplers and the learning rules call this before using the
        machine, so a parameter edited in place to NaN is refused, not dreamed.
        """
        sizes, L = self.sizes, len(self.sizes)
        for name, arrays, shapes in [
            ("generative_weights", self.generative_weights,
             [(sizes[i], sizes[i + 1]) for i in range(L - 1)]),
            ("generative_biases", self.generative_biases, [(s,) for s in sizes]),
            ("recognition_weights", self.recognition_weights,
             [(sizes[i + 1], sizes[i]) for i in range(L - 1)]),
            ("recognition_biases", self.recognition_biases, [(s,) for s in sizes[:-1]]),
        ]:
            if len(arrays) != len(shapes):
                raise ValueError(f"model parameter {name} must hold {len(shapes)} arrays, "
                                 f"got {len(arrays)}")
            for i, (a, shape) in enumerate(zip(arrays, shapes)):
                check_parameter(a, f"{name}[{i}]", shape)

    def _visible(self, v, name="v"):
        arr = check_finite_array(v, name)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.n_visible:
            raise ValueError(f"{name} must have shape ({self.n_visible},) or "
                             f"(n_samples, {self.n_visible}), got {np.shape(v)}")
        return arr

    def _layers(self, layers, name="layers"):
        if len(layers) != len(self.sizes):
            raise ValueError(f"{name} must hold {len(self.sizes)} arrays (one per layer, top "
                             f"first), got {len(layers)}")
        out = []
        for i, (s, n) in enumerate(zip(layers, self.sizes)):
            arr = check_finite_array(s, f"{name}[{i}]")
            if arr.ndim == 1:
                arr = arr[None, :]
            if arr.ndim != 2 or arr.shape[1] != n:
                raise ValueError(f"{name}[{i}] must have {n} columns, got shape {np.shape(s)}")
            out.append(arr)
        return out

    # -- the generative net (top-down) ----------------------------------------
    def generative_logits(self, layer: int, above=None) -> np.ndarray:
        """Logits of ``p(s^(layer) = 1 | s^(layer-1))``; ``above`` is ignored for the top layer."""
        self.check_parameters()
        if layer == 0:
            return self.generative_biases[0][None, :]
        return above @ self.generative_weights[layer - 1] + self.generative_biases[layer]

    def visible_probs(self, above) -> np.ndarray:
        """``p(v_k = 1 | s^(L-2))`` for each row of the layer above the visible one."""
        above = check_finite_array(above, "above", shape=(None, self.sizes[-2]))
        return sigmoid(self.generative_logits(len(self.sizes) - 1, above))

    def dream(self, n_samples: int, rng) -> list:
        """Run the generative net top-down ``n_samples`` times: a "dream" of every layer.

        Returns
        -------
        list of ndarray
            One (n_samples, sizes[l]) array of 0s and 1s per layer, top first;
            the last is the dreamed image.
        """
        n_samples = check_positive_int(n_samples, "n_samples")
        rng = as_generator(rng)
        self.check_parameters()
        top = sigmoid(self.generative_biases[0])
        layers = [(rng.random((n_samples, self.sizes[0])) < top).astype(np.float64)]
        for layer in range(1, len(self.sizes)):
            p = sigmoid(self.generative_logits(layer, layers[-1]))
            layers.append((rng.random(p.shape) < p).astype(np.float64))
        return layers

    def log_joint(self, layers) -> np.ndarray:
        r""":math:`\log p(h, v)` under the generative net, one value per row (nats)."""
        layers = self._layers(layers)
        total = _log_bernoulli(layers[0], self.generative_biases[0][None, :])
        for layer in range(1, len(self.sizes)):
            total = total + _log_bernoulli(layers[layer],
                                           self.generative_logits(layer, layers[layer - 1]))
        return total

    # -- the recognition net (bottom-up) --------------------------------------
    def recognition_logits(self, layer: int, below) -> np.ndarray:
        """Logits of ``q(s^(layer) = 1 | s^(layer+1))`` for a hidden layer."""
        self.check_parameters()
        return below @ self.recognition_weights[layer] + self.recognition_biases[layer]

    def recognize(self, v, rng) -> list:
        """Run the recognition net bottom-up: sample causes for each image in ``v``.

        Returns
        -------
        list of ndarray
            One array per layer, top first; the last is ``v`` itself.
        """
        rng = as_generator(rng)
        layers = [self._visible(v)]
        for layer in range(len(self.sizes) - 2, -1, -1):
            p = sigmoid(self.recognition_logits(layer, layers[0]))
            layers.insert(0, (rng.random(p.shape) < p).astype(np.float64))
        return layers

    def log_recognition(self, layers) -> np.ndarray:
        r""":math:`\log q(h \mid v)` under the recognition net, one value per row (nats)."""
        layers = self._layers(layers)
        total = 0.0
        for layer in range(len(self.sizes) - 1):
            total = total + _log_bernoulli(layers[layer],
                                           self.recognition_logits(layer, layers[layer + 1]))
        return total

    # -- exact helpers by enumeration (small nets) ----------------------------
    def hidden_states(self, max_hidden: int = MAX_HIDDEN) -> list:
        """All :math:`2^{n_h}` hidden configurations, as one array per hidden layer.

        Row ``k`` of the concatenated layers is the binary code of ``k``, the
        first unit of the top layer being the most significant bit.
        """
        max_hidden = check_positive_int(max_hidden, "max_hidden")
        if self.n_hidden > max_hidden:
            raise ValueError(f"the machine has {self.n_hidden} hidden units; enumerating "
                             f"2**{self.n_hidden} states exceeds max_hidden={max_hidden}")
        H = all_states(self.n_hidden)
        return np.split(H, np.cumsum(self.sizes[:-2]), axis=1)

    def _joint_and_recognition(self, v, max_hidden):
        """(log p(h, v), log q(h | v)) for every image (rows) and hidden state (columns)."""
        V = self._visible(v)
        hidden = self.hidden_states(max_hidden)
        # Generative log-probability of the hidden layers: the same for every image.
        log_prior = _log_bernoulli(hidden[0], self.generative_biases[0][None, :])
        for layer in range(1, len(hidden)):
            log_prior = log_prior + _log_bernoulli(
                hidden[layer], self.generative_logits(layer, hidden[layer - 1]))
        vis_logits = self.generative_logits(len(self.sizes) - 1, hidden[-1])  # (H, n_v)
        log_lik = V @ vis_logits.T - softplus(vis_logits).sum(axis=1)[None, :]
        log_joint = log_prior[None, :] + log_lik
        # Recognition: the layer above the visible one depends on v; the rest do not.
        rec_logits = V @ self.recognition_weights[-1] + self.recognition_biases[-1]  # (N, n)
        log_q = hidden[-1] @ rec_logits.T - softplus(rec_logits).sum(axis=1)[None, :]
        log_q = log_q.T
        upper = 0.0
        for layer in range(len(hidden) - 1):
            upper = upper + _log_bernoulli(hidden[layer],
                                           self.recognition_logits(layer, hidden[layer + 1]))
        return log_joint, log_q + upper

    def log_marginal(self, v, max_hidden: int = MAX_HIDDEN) -> np.ndarray:
        r"""Exact :math:`\log p(v) = \log \sum_h p(h, v)` in nats, by enumeration."""
        log_joint, _ = self._joint_and_recognition(v, max_hidden)
        return logsumexp(log_joint, axis=1)

    def posterior(self, v, max_hidden: int = MAX_HIDDEN) -> np.ndarray:
        r"""Exact posterior :math:`p(h \mid v)`: shape (n_images, 2**n_hidden), rows sum to 1."""
        log_joint, _ = self._joint_and_recognition(v, max_hidden)
        return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))

    def recognition_distribution(self, v, max_hidden: int = MAX_HIDDEN) -> np.ndarray:
        r""":math:`q(h \mid v)` over all hidden states: shape (n_images, 2**n_hidden)."""
        _, log_q = self._joint_and_recognition(v, max_hidden)
        return np.exp(log_q)

    def free_energy_terms(self, v, max_hidden: int = MAX_HIDDEN) -> dict:
        r"""Exact per-image terms of the free-energy decomposition, in nats.

        For each image :math:`v`,

        .. math::

            F(v) = \mathbb{E}_{q(h|v)}\big[\log q(h \mid v) - \log p(h, v)\big]
                 = -\log p(v) + \mathrm{KL}\big(q(h \mid v)\,\|\,p(h \mid v)\big),

        so :math:`F(v) \ge -\log p(v)`, with equality exactly when the
        recognition net returns the true posterior.

        Returns
        -------
        dict of ndarray, each of shape (n_images,)
            ``"free_energy"`` :math:`F(v)`, ``"neg_log_marginal"``
            :math:`-\log p(v)` and ``"recognition_kl"``
            :math:`\mathrm{KL}(q \| p(h|v))`.
        """
        log_joint, log_q = self._joint_and_recognition(v, max_hidden)
        log_pv = logsumexp(log_joint, axis=1)
        q = np.exp(log_q)
        # 0 * log 0 = 0: where q underflows to zero the term vanishes.
        free = np.where(q > 0, q * (log_q - log_joint), 0.0).sum(axis=1)
        return {
            "free_energy": free,
            "neg_log_marginal": -log_pv,
            "recognition_kl": np.maximum(free + log_pv, 0.0),
        }
