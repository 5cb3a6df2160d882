r"""Forward-Forward learning (Hinton 2022), supervised, with a backprop baseline.

Each layer *l* of a ReLU network sees its input normalised to unit length,
:math:`\hat x = x / \lVert x\rVert`, computes :math:`h = \max(0, \hat x W_l + b_l)`, and
has a **goodness** :math:`g(h) = \sum_k h_k^2` (the sum of its squared
activities). It learns on its own, without any derivative passed between
layers, to classify positive from negative inputs by the logistic

.. math::

    P(\text{positive} \mid x) = \sigma\big(g(h) - \theta\big),

i.e. it minimises :math:`\operatorname{softplus}(\theta - g)` on positive data and
:math:`\operatorname{softplus}(g - \theta)` on negative data. This is the logistic
regression of noise-contrastive estimation (:mod:`dreambook.nce`) with the
goodness in place of the model's log-odds :math:`G`.

In the supervised version the label is part of the input: a positive input
is an image with its correct label (one-hot, appended to the pixels,
:func:`embed_label`), a negative input the same image with a wrong label drawn
at random. A test image is classified by trying every label and choosing the
one with the largest goodness summed over the layers (:meth:`FFNetwork.predict`).

:func:`train_ff` takes SGD steps with momentum on minibatches. Its
``block_length`` *B* separates the two kinds of update in time: *B* updates
on positive data only ("day"), then *B* on negative data only ("night"), and
so on; ``block_length=0`` updates on both in every step.
:func:`train_backprop` trains the same architecture (pixels only, a softmax
output layer) by backpropagation, the baseline.

Reference
---------
G. E. Hinton (2022), The forward-forward algorithm: some preliminary
investigations, arXiv:2212.13345.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax

from ._validation import (
    Settings,
    as_generator,
    check_finite_array,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_real,
    check_settings,
)
from .training import History

__all__ = ["embed_label", "wrong_labels", "FFNetwork", "SGD", "train_ff", "MLP", "train_backprop",
           "check_labels", "load_digits_labelled"]

_EPS = 1e-8


def check_labels(y, n_samples: int, n_classes: int, name: str = "y") -> np.ndarray:
    """Integer class labels in 0..n_classes-1, one per sample."""
    arr = np.asarray(y)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be an array of integer labels, got dtype {arr.dtype}")
    if arr.shape != (n_samples,):
        raise ValueError(f"{name} must have shape ({n_samples},), one label per sample, got {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(f"{name} must hold labels in 0..{n_classes - 1}")
    return arr.astype(np.int64)


def embed_label(X, y, n_classes: int = 10, scale: float = 1.0) -> np.ndarray:
    r"""Append a one-hot label (times ``scale``) to each image: :math:`[x,\ \text{scale}\cdot e_y]`.

    >>> embed_label(np.zeros((1, 2)), np.array([1]), n_classes=3)
    array([[0., 0., 0., 1., 0.]])
    """
    X = check_finite_array(X, "X", ndim=2)
    n_classes = check_positive_int(n_classes, "n_classes")
    y = check_labels(y, X.shape[0], n_classes)
    scale = check_positive_float(scale, "scale")
    onehot = np.zeros((X.shape[0], n_classes))
    onehot[np.arange(X.shape[0]), y] = scale
    return np.hstack([X, onehot])


def wrong_labels(y, n_classes: int, rng) -> np.ndarray:
    """A label different from each ``y[k]``, uniformly among the other ``n_classes - 1``."""
    n_classes = check_positive_int(n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError("n_classes must be at least 2 to draw a wrong label")
    y = check_labels(y, np.asarray(y).shape[0], n_classes)
    rng = as_generator(rng)
    return (y + rng.integers(1, n_classes, size=y.shape)) % n_classes


def _normalise(X):
    return X / (np.linalg.norm(X, axis=1, keepdims=True) + _EPS)


@dataclass
class FFNetwork:
    r"""A stack of ReLU layers trained layer by layer by Forward-Forward.

    Attributes
    ----------
    weights : list of ndarray
        ``weights[l]`` has shape (n_in, n_out) of layer *l*.
    biases : list of ndarray
    threshold : float
        :math:`\theta` in :math:`\sigma(g - \theta)`.
    n_classes : int
        Number of labels appended to the input.
    label_scale : float
        Value of the "on" label unit (:func:`embed_label`).
    """

    weights: list
    biases: list
    threshold: float = 1.0
    n_classes: int = 10
    label_scale: float = 1.0

    @classmethod
    def random(cls, sizes, rng, threshold: float = 1.0, n_classes: int = 10,
               label_scale: float = 1.0) -> "FFNetwork":
        r"""Layers of the given sizes (input first), :math:`W \sim N(0, 1/n_{\rm in})`, zero biases.

        The input size includes the appended label units.
        """
        sizes = [check_positive_int(s, "sizes") for s in sizes]
        if len(sizes) < 2:
            raise ValueError("sizes must list the input size and at least one layer size")
        rng = as_generator(rng)
        weights = [rng.normal(0.0, 1.0 / np.sqrt(a), size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        return cls(weights, [np.zeros(b) for b in sizes[1:]], check_positive_float(threshold, "threshold"),
                   check_positive_int(n_classes, "n_classes"), check_positive_float(label_scale, "label_scale"))

    def layer_inputs_and_activities(self, X):
        """Normalised input and activity of every layer, as two lists."""
        inputs, acts = [], []
        h = X
        for W, b in zip(self.weights, self.biases):
            x = _normalise(h)
            h = np.maximum(x @ W + b, 0.0)
            inputs.append(x)
            acts.append(h)
        return inputs, acts

    def goodness(self, X) -> np.ndarray:
        r"""Goodness :math:`g_l = \sum_k h_k^2` of every layer, shape (n_samples, n_layers)."""
        X = check_finite_array(X, "X", shape=(None, self.weights[0].shape[0]))
        _, acts = self.layer_inputs_and_activities(X)
        return np.stack([np.sum(h**2, axis=1) for h in acts], axis=1)

    def label_goodness(self, images) -> np.ndarray:
        """Goodness summed over layers for every candidate label, shape (n_samples, n_classes)."""
        images = check_finite_array(images, "images", ndim=2)
        n = images.shape[0]
        return np.stack([self.goodness(self.embed(images, np.full(n, c))).sum(axis=1)
                         for c in range(self.n_classes)], axis=1)

    def embed(self, images, y) -> np.ndarray:
        """The network's input for these images and labels (:func:`embed_label`)."""
        return embed_label(images, y, self.n_classes, self.label_scale)

    def predict(self, images) -> np.ndarray:
        """The label with the largest summed goodness, for each image."""
        return np.argmax(self.label_goodness(images), axis=1)

    def error_rate(self, images, y) -> float:
        """Fraction of images whose predicted label is wrong."""
        images = check_finite_array(images, "images", ndim=2)
        y = check_labels(y, images.shape[0], self.n_classes)
        return float(np.mean(self.predict(images) != y))

    def local_gradients(self, X, positive: bool):
        r"""Gradients of each layer's own loss, :math:`\operatorname{softplus}(\pm(\theta - g))`.

        With :math:`\delta = \partial L/\partial g`, which is :math:`-\sigma(\theta - g)` for
        positive and :math:`\sigma(g - \theta)` for negative data,
        :math:`\partial L/\partial W = \hat x^\top\big(2\delta h\big)/m`
        (the ReLU's derivative is in :math:`h > 0`). Nothing flows between layers.
        Returns a list of ``(dW, db)``, one per layer, averaged over the rows of X.
        """
        inputs, acts = self.layer_inputs_and_activities(X)
        grads = []
        for x, h in zip(inputs, acts):
            g = np.sum(h**2, axis=1)
            delta = -expit(self.threshold - g) if positive else expit(g - self.threshold)
            d_pre = (2.0 * delta[:, None]) * h
            grads.append((x.T @ d_pre / x.shape[0], d_pre.mean(axis=0)))
        return grads


@dataclass(frozen=True)
class SGD(Settings):
    r"""Minibatch stochastic gradient descent with momentum, as :func:`train_ff` and :func:`train_backprop` run it.

    Every minibatch gradient :math:`g` moves the velocity and the parameters,

    .. math::

        v \leftarrow \mu v - \eta\, g, \qquad \theta \leftarrow \theta + v .

    Frozen and validated on construction (a bad value raises an error naming the field).

    Attributes
    ----------
    epochs : int, default 60
        Passes over the training set, each in a fresh random order.
    batch_size : int, default 100
        Examples per minibatch (the last one of an epoch may be smaller).
    lr : float, default 0.1
        Learning rate :math:`\eta > 0`.
    momentum : float, default 0.9
        :math:`\mu \in [0, 1)`.

    Examples
    --------
    >>> SGD(lr=0.03).replace(epochs=5)
    SGD(epochs=5, batch_size=100, lr=0.03, momentum=0.9)
    >>> SGD(momentum=1.0)
    Traceback (most recent call last):
    ...
    ValueError: momentum must be a finite number in [0, 1), got 1.0
    """

    epochs: int = 60
    batch_size: int = 100
    lr: float = 0.1
    momentum: float = 0.9

    def __post_init__(self):
        self._set("epochs", check_positive_int(self.epochs, "epochs"))
        self._set("batch_size", check_positive_int(self.batch_size, "batch_size"))
        self._set("lr", check_positive_float(self.lr, "lr"))
        self._set("momentum", check_real(self.momentum, "momentum", 0, 1, high_open=True))


def _sgd_momentum(params, grads, velocity, lr, momentum):
    for p, g, v in zip(params, grads, velocity):
        v *= momentum
        v -= lr * g
        p += v


def train_ff(net: FFNetwork, images, y, *, rng, settings: SGD = SGD(), block_length: int = 0,
             test=None) -> History:
    r"""Train ``net`` in place by supervised Forward-Forward, SGD with momentum.

    Each minibatch gives positive inputs (images with their labels) and negative
    inputs (the same images with :func:`wrong_labels`, drawn afresh). With
    ``block_length = 0`` every update uses the sum of both local gradients. With
    ``block_length = B >= 1`` the updates alternate in blocks: *B* updates from
    positive inputs only, then *B* from negative inputs only (each minibatch is
    used twice, once in each phase's sequence), so both phases get
    ``epochs * n_batches`` updates.

    Parameters
    ----------
    net : FFNetwork
    images : array_like, shape (m, n_pixels)
    y : array of int, shape (m,)
    rng : numpy.random.Generator or int
        Minibatch order and wrong labels (required).
    settings : SGD, default ``SGD()``
        Epochs, minibatch size, learning rate and momentum.
    block_length : int, default 0
        *B*; 0 means positive and negative in the same update.
    test : tuple (images, y), optional
        If given, the test error is recorded after every epoch.

    Returns
    -------
    History
        Method ``"forward-forward"``; columns ``epochs`` (1, ..., ``epochs``)
        and ``test_error``, the error rate on ``test`` after each epoch (NaN
        without ``test``).
    """
    if not isinstance(net, FFNetwork):
        raise TypeError(f"net must be an FFNetwork, got {type(net).__name__}")
    images = check_finite_array(images, "images", ndim=2)
    if images.shape[1] + net.n_classes != net.weights[0].shape[0]:
        raise ValueError(f"images must have {net.weights[0].shape[0] - net.n_classes} columns to fit the "
                         f"network's input with {net.n_classes} label units, got {images.shape[1]}")
    y = check_labels(y, images.shape[0], net.n_classes)
    rng = as_generator(rng)
    settings = check_settings(settings, SGD)
    epochs, batch_size, lr, momentum = settings.epochs, settings.batch_size, settings.lr, settings.momentum
    block_length = check_nonnegative_int(block_length, "block_length")
    params = [p for pair in zip(net.weights, net.biases) for p in pair]
    velocity = [np.zeros_like(p) for p in params]
    m = images.shape[0]
    history = History("forward-forward", {"epochs": [], "test_error": []}, step="epochs")
    queue = {True: [], False: []}  # minibatches waiting for their phase
    phase, left = True, block_length
    for epoch in range(1, epochs + 1):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            idx = order[start:start + batch_size]
            pos = net.embed(images[idx], y[idx])
            neg = net.embed(images[idx], wrong_labels(y[idx], net.n_classes, rng))
            if block_length == 0:
                gp, gn = net.local_gradients(pos, True), net.local_gradients(neg, False)
                grads = [a + b for lp, ln in zip(gp, gn) for a, b in zip(lp, ln)]
                _sgd_momentum(params, grads, velocity, lr, momentum)
                continue
            queue[True].append(pos)
            queue[False].append(neg)
            while queue[phase]:
                batch = queue[phase].pop(0)
                grads = [g for pair in net.local_gradients(batch, phase) for g in pair]
                _sgd_momentum(params, grads, velocity, lr, momentum)
                left -= 1
                if left == 0:
                    phase, left = not phase, block_length
        history.append(epochs=epoch, test_error=np.nan if test is None else net.error_rate(*test))
    return history


@dataclass
class MLP:
    r"""ReLU network with a softmax output, trained by backpropagation (the baseline).

    Hidden layers compute :math:`h = \max(0, xW + b)` (no normalisation); the output layer
    gives :math:`\log p(y \mid x) = \operatorname{log\_softmax}(hW + b)_y`.
    """

    weights: list
    biases: list

    @classmethod
    def random(cls, sizes, rng) -> "MLP":
        r"""Layers of the given sizes (input first, classes last), :math:`W \sim N(0, 2/n_{\rm in})`."""
        sizes = [check_positive_int(s, "sizes") for s in sizes]
        if len(sizes) < 2:
            raise ValueError("sizes must list the input size and at least the output size")
        rng = as_generator(rng)
        weights = [rng.normal(0.0, np.sqrt(2.0 / a), size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        return cls(weights, [np.zeros(b) for b in sizes[1:]])

    def _forward(self, X):
        acts = [X]
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            acts.append(np.maximum(acts[-1] @ W + b, 0.0))
        return acts, acts[-1] @ self.weights[-1] + self.biases[-1]

    def predict(self, X) -> np.ndarray:
        X = check_finite_array(X, "X", shape=(None, self.weights[0].shape[0]))
        return np.argmax(self._forward(X)[1], axis=1)

    def error_rate(self, X, y) -> float:
        X = check_finite_array(X, "X", ndim=2)
        y = check_labels(y, X.shape[0], self.weights[-1].shape[1])
        return float(np.mean(self.predict(X) != y))

    def gradients(self, X, y):
        """Backpropagated gradients of the mean cross-entropy, as a list of ``(dW, db)``."""
        acts, logits = self._forward(X)
        d = np.exp(log_softmax(logits, axis=1))
        d[np.arange(len(y)), y] -= 1.0
        d /= len(y)
        grads = []
        for layer in range(len(self.weights) - 1, -1, -1):
            grads.append((acts[layer].T @ d, d.sum(axis=0)))
            if layer:
                d = (d @ self.weights[layer].T) * (acts[layer] > 0)
        return grads[::-1]


def train_backprop(net: MLP, images, y, *, rng, settings: SGD = SGD(), test=None) -> History:
    """Train ``net`` in place by minibatch SGD with momentum (``settings``, an :class:`SGD`) on the cross-entropy.

    Returns a :class:`~dreambook.training.History` as :func:`train_ff` does, method ``"backprop"``.
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an MLP, got {type(net).__name__}")
    images = check_finite_array(images, "images", shape=(None, net.weights[0].shape[0]))
    y = check_labels(y, images.shape[0], net.weights[-1].shape[1])
    rng = as_generator(rng)
    settings = check_settings(settings, SGD)
    epochs, batch_size, lr, momentum = settings.epochs, settings.batch_size, settings.lr, settings.momentum
    params = [p for pair in zip(net.weights, net.biases) for p in pair]
    velocity = [np.zeros_like(p) for p in params]
    history = History("backprop", {"epochs": [], "test_error": []}, step="epochs")
    for epoch in range(1, epochs + 1):
        order = rng.permutation(images.shape[0])
        for start in range(0, images.shape[0], batch_size):
            idx = order[start:start + batch_size]
            grads = [g for pair in net.gradients(images[idx], y[idx]) for g in pair]
            _sgd_momentum(params, grads, velocity, lr, momentum)
        history.append(epochs=epoch, test_error=np.nan if test is None else net.error_rate(*test))
    return history


def load_digits_labelled(n_train: int = 1500, seed: int = 0):
    """scikit-learn's 8x8 digits with labels, grey levels scaled to [0, 1], fixed split.

    The permutation is that of :func:`dreambook.data.load_digits_binary` with the same
    ``seed`` and ``n_train``, so the two share their train/test split.

    Returns
    -------
    (train_images, train_labels), (test_images, test_labels)
    """
    n_train = check_positive_int(n_train, "n_train")
    seed = check_nonnegative_int(seed, "seed")
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("load_digits_labelled needs scikit-learn") from err
    digits = load_digits()
    if n_train >= digits.data.shape[0]:
        raise ValueError(f"n_train must be below {digits.data.shape[0]} so that the test set is not empty")
    order = np.random.default_rng(seed).permutation(digits.data.shape[0])
    X, y = digits.data[order] / 16.0, digits.target[order].astype(np.int64)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])
