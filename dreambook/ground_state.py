r"""Boltzmann learning at zero temperature: the negative phase becomes the ground state.

For a pairwise model :math:`p_T(x) \propto \exp(-E(x)/T)` the gradient of the
mean log-likelihood is *(data statistics - model statistics) / T*
(:func:`dreambook.exact.log_likelihood_gradient`). Multiply by :math:`T` and let
:math:`T \to 0`: the model's distribution piles up on its minimum-energy states
:math:`G = \arg\min_x E(x)`, each with probability :math:`1/|G|`, so

.. math::

    \lim_{T\to 0} T\,\nabla_\theta \ell
    = \langle s(x) \rangle_{\rm data} - \frac{1}{|G|}\sum_{x^\ast\in G} s(x^\ast),

where :math:`s` are the sufficient statistics (:math:`x_i x_j`, :math:`x_i`).
The dream has become the model's single best guess (a tie is split evenly).
The error at small :math:`T` is exponentially small: every non-ground state
carries weight at most :math:`e^{-\Delta/T}/|G|` relative to a ground state,
with :math:`\Delta` the gap between the lowest and the next energy level.

Everything here enumerates all :math:`2^n` states, like :mod:`dreambook.exact`.
"""

from __future__ import annotations

import numpy as np

from . import exact
from ._validation import check_binary, check_model
from .models import BoltzmannMachine, FullyVisibleBM

__all__ = ["energy_levels", "ground_states", "ground_state_statistics", "tempered_statistics",
           "zero_temperature_gradient"]


def _check_pairwise(model):
    check_model(model, (FullyVisibleBM, BoltzmannMachine))


def _tie_tolerance(energies) -> float:
    return 1e-9 * max(1.0, float(np.max(np.abs(energies))))


def energy_levels(model, max_units=None):
    r"""Return the lowest energy :math:`E_0` and the gap :math:`\Delta = E_1 - E_0` to the next level.

    Energies within a relative ``1e-9`` of each other count as one level (a
    tie). ``Delta`` is ``inf`` if every state has the same energy.

    >>> m = FullyVisibleBM([[0.0, 1.0], [1.0, 0.0]], [0.0, 0.0])
    >>> energy_levels(m)        # E(11) = -1, every other state 0
    (-1.0, 1.0)
    """
    _check_pairwise(model)
    X = exact.all_states(model.n_units, max_units=exact.MAX_UNITS if max_units is None else max_units)
    e = model.energy(X)
    e0 = float(e.min())
    above = e[e > e0 + _tie_tolerance(e)]
    return e0, (float(above.min() - e0) if above.size else float("inf"))


def ground_states(model, max_units=None) -> np.ndarray:
    r"""All minimum-energy states :math:`\arg\min_x E(x)` (joint states, visible units first).

    Returns an array of shape ``(|G|, n_units)`` in :func:`dreambook.exact.all_states`
    order; ties within a relative ``1e-9`` are all returned.

    >>> m = FullyVisibleBM([[0.0, -2.0], [-2.0, 0.0]], [1.0, 1.0])
    >>> ground_states(m)        # one unit on, not both: a tie
    array([[0., 1.],
           [1., 0.]])
    """
    _check_pairwise(model)
    X = exact.all_states(model.n_units, max_units=exact.MAX_UNITS if max_units is None else max_units)
    e = model.energy(X)
    return X[e <= e.min() + _tie_tolerance(e)]


def ground_state_statistics(model, max_units=None) -> dict:
    r"""Zero-temperature negative phase: the statistics averaged over the ground states.

    :math:`\frac{1}{|G|}\sum_{x^\ast \in G} s(x^\ast)`, keyed like ``model.params``
    (``"W"``: co-activations with a zero diagonal, ``"b"``: activations). This
    is :math:`\lim_{T\to0}` of :func:`dreambook.exact.model_statistics`.
    """
    return model.sufficient_statistics(ground_states(model, max_units=max_units))


def tempered_statistics(model, T, max_units=None) -> dict:
    r"""Exact negative phase :math:`\mathbb{E}_{p_T}[s(x)]` of the model run at temperature ``T``.

    The model itself is not changed (a copy is taken at temperature ``T``).
    """
    _check_pairwise(model)
    m = model.copy()
    m.T = T
    return exact.model_statistics(m, max_units=max_units)


def zero_temperature_gradient(model, data, max_units=None) -> dict:
    r"""The :math:`T \to 0` learning rule: data statistics minus ground-state statistics.

    .. math::

        g = \langle s(x)\rangle_{\rm data} - \frac{1}{|G|}\sum_{x^\ast\in G} s(x^\ast)
          = \lim_{T \to 0} T\, \nabla_\theta \ell_T,

    keyed like ``model.params`` (ascent direction). For a fully visible
    machine this is the perceptron-like rule "make the data's energy lower, the
    model's best guess's energy higher". For a machine with hidden units the
    positive phase is also taken at zero temperature: each data vector's
    hidden units are set to their lowest-energy completion (ties averaged).

    Parameters
    ----------
    model : FullyVisibleBM or BoltzmannMachine
    data : array_like of 0/1, shape (m, n_visible)
    """
    _check_pairwise(model)
    negative = ground_state_statistics(model, max_units=max_units)
    if isinstance(model, BoltzmannMachine):
        V = check_binary(data, "data", n_units=model.n_visible)
        H = exact.all_states(model.n_hidden, max_units=exact.MAX_UNITS if max_units is None
                             else max_units)
        stats = {"W": np.zeros_like(model.W), "b": np.zeros(model.n_units)}
        for v in V:
            X = np.hstack([np.repeat(v[None, :], len(H), axis=0), H])
            e = model.energy(X)
            best = X[e <= e.min() + _tie_tolerance(e)]
            s = model.sufficient_statistics(best)
            stats["W"] += s["W"] / len(V)
            stats["b"] += s["b"] / len(V)
        positive = stats
    else:
        positive = exact.data_statistics(model, data)
    return {key: positive[key] - negative[key] for key in model.params}
