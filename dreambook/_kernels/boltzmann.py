r"""Lockstep single-site Gibbs sweeps of many Boltzmann machines; readable twin
:func:`dreambook.sampling.gibbs_chain` (tied by ``tests/unit/test_kernels.py`` and, through
:func:`dreambook.encoder.train_paper_population`, by ``tests/unit/test_encoder.py``)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["population_sweeps"]


def population_sweeps(W, b, x, temperatures, orders, uniforms, trace=None) -> None:
    r"""Gibbs sweeps of *N* machines side by side, with random numbers drawn beforehand.

    Sweep *s* visits, in machine *m*, the units ``orders[s, m]`` in turn and sets

    .. math::

        x_{i} \leftarrow \big[\,U < \sigma(u_i / T_s)\big], \qquad
        u_i = \sum_j x_j W_{ji} + b_i,

    in every chain, with the uniforms ``uniforms[s, m, :, k]`` for the *k*-th
    visit: the arithmetic of :func:`dreambook.sampling.gibbs_sweep`, one numpy
    call per visit for all machines instead of one per machine. A machine's
    chains see the same random numbers as the readable sampler when its orders
    and uniforms are drawn from its own generator in the sampler's order (per
    sweep: the order, then the uniforms).

    Parameters
    ----------
    W : ndarray, shape (N, n, n)
        Symmetric weights with zero diagonals, one matrix per machine.
    b : ndarray, shape (N, n)
    x : ndarray, shape (N, C, n), float 0/1
        States of *C* chains per machine; updated in place.
    temperatures : sequence of float, length S
        The temperature of each sweep.
    orders : ndarray of int, shape (S, N, F)
        Units visited by each sweep of each machine (F visits per sweep).
    uniforms : ndarray, shape (S, N, C, F)
    trace : ndarray, shape (S, N, C, n), optional
        Filled with the states after each sweep.
    """
    rows = np.arange(W.shape[0])
    for s, T in enumerate(temperatures):
        order = orders[s]
        columns = W[rows[:, None], :, order]  # (N, F, n): the weights into each visited unit
        bias = b[rows[:, None], order]  # (N, F)
        for k in range(order.shape[1]):
            u = np.matmul(x, columns[:, k, :, None])[..., 0] + bias[:, k, None]  # (N, C) local fields
            x[rows, :, order[:, k]] = uniforms[s, :, :, k] < expit(u / T)
        if trace is not None:
            trace[s] = x
