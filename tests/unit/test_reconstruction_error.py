"""Exact one-step reconstruction error against sampling and a closed form."""

import numpy as np
import pytest


def test_expected_reconstruction_error_matches_monte_carlo_and_zero_weight_formula():
    from dreambook.markov import expected_reconstruction_error
    from dreambook.models import RBM
    from dreambook.sampling import block_gibbs

    rbm = RBM.random(4, 3, rng=5, scale=1.5)
    data = np.array([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 1]], dtype=float)
    exact_error = expected_reconstruction_error(rbm, data)
    repeated = np.repeat(data, 20000, axis=0)
    v1, _ = block_gibbs(rbm, repeated, 1, rng=0)
    sampled = np.mean(np.sum((repeated - v1) ** 2, axis=1))
    assert abs(sampled - exact_error) < 0.02
    # W = 0: unit i is reconstructed on with probability sigmoid(b_i), whatever the data
    b = np.array([0.5, -1.0, 2.0, 0.0])
    free = RBM(np.zeros((4, 3)), b, np.zeros(3))
    on = 1 / (1 + np.exp(-b))
    expected = np.mean(np.sum(data * (1 - on) + (1 - data) * on, axis=1))
    assert expected_reconstruction_error(free, data) == pytest.approx(expected, abs=1e-12)
