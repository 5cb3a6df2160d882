"""Annealed importance sampling in dreambook.estimate, checked against exact log Z."""

import numpy as np
import pytest

from dreambook import exact
from dreambook.data import load_digits_binary
from dreambook.estimate import AISResult, ais_log_partition, estimated_log_likelihood, linear_betas
from dreambook.learning import init_visible_bias
from dreambook.training import TrainingSettings, train_rbm
from dreambook.models import RBM


@pytest.fixture(scope="module")
def digits_rbm():
    """A 64-12 RBM trained for a few epochs of CD-1 on the binarised digits, with its exact log Z."""
    train, test = load_digits_binary()
    rbm = RBM.random(64, 12, rng=0, scale=0.01)
    rbm.b[:] = init_visible_bias(train)
    train_rbm(rbm, train, settings=TrainingSettings(method="cd", lr=0.1, epochs=5, record_exact=False), rng=0)
    return rbm, train, test, exact.log_partition(rbm)


@pytest.fixture(scope="module")
def small_rbm():
    rng = np.random.default_rng(1)
    rbm = RBM(rng.normal(0, 1.0, (10, 5)), rng.normal(0, 1, 10), rng.normal(0, 1, 5))
    return rbm, exact.log_partition(rbm)


def test_ais_is_within_a_tenth_of_a_nat_on_trained_digits_rbm(digits_rbm):
    rbm, train, _, log_z = digits_rbm
    result = ais_log_partition(rbm, n_chains=100, betas=linear_betas(1000), rng=0, data=train)
    assert isinstance(result, AISResult)
    assert abs(result.log_z - log_z) < 0.1
    assert 0 < result.log_z_std < 0.1
    assert 50 < result.ess <= 100
    assert result.samples.shape == (100, 64)
    lower, upper = result.log_z_interval()
    assert lower < result.log_z < upper
    assert "log_z=" in repr(result)


def test_ais_log_estimate_is_low_in_expectation(digits_rbm, small_rbm):
    """E[Z-hat] = Z exactly, so by Jensen E[log Z-hat] <= log Z."""
    # digits: the mean over seeds does not exceed the exact value by more than noise
    rbm, train, _, log_z = digits_rbm
    errors = [ais_log_partition(rbm, 100, linear_betas(300), rng=seed, data=train).log_z - log_z
              for seed in range(5)]
    assert np.mean(errors) <= 0.03
    # a deliberately poor schedule (one chain, 5 temperatures) makes the bias plain
    rbm, log_z = small_rbm
    errors = np.array([ais_log_partition(rbm, 1, linear_betas(5), rng=seed).log_z - log_z
                       for seed in range(400)])
    se = errors.std() / np.sqrt(errors.size)
    assert errors.mean() < -5 * se  # log Z is under-estimated (about -0.7 nats here) ...
    ratios = np.exp(errors)
    assert abs(ratios.mean() - 1) < 4 * ratios.std() / np.sqrt(ratios.size)  # ... while Z is not


def test_reported_standard_error_matches_spread_over_seeds(small_rbm):
    rbm, log_z = small_rbm
    results = [ais_log_partition(rbm, 20, linear_betas(20), rng=seed) for seed in range(100)]
    spread = np.std([r.log_z for r in results])
    reported = np.median([r.log_z_std for r in results])
    assert spread / 3 < reported < 3 * spread
    assert abs(np.mean([r.log_z for r in results]) - log_z) < 3 * spread / np.sqrt(100) + 0.01


def test_ais_with_uniform_base_and_with_temperature(small_rbm):
    rbm, _ = small_rbm
    hot = RBM(rbm.W, rbm.b, rbm.c, T=2.0)
    result = ais_log_partition(hot, 200, linear_betas(200), rng=3)
    assert result.log_z == pytest.approx(exact.log_partition(hot), abs=0.03)
    base = np.random.default_rng(0).normal(0, 1, 10)
    result = ais_log_partition(rbm, 200, linear_betas(200), rng=3, base_visible_bias=base)
    assert result.log_z_base == pytest.approx(5 * np.log(2) + np.sum(np.logaddexp(0, base)))
    assert result.log_z == pytest.approx(exact.log_partition(rbm), abs=0.05)


def test_ais_is_exact_when_the_target_is_the_base_model():
    rbm = RBM(np.zeros((4, 3)), [0.3, -1.0, 2.0, 0.0], [0.0, 0.0, 0.0])
    result = ais_log_partition(rbm, 5, [0.0, 0.5, 1.0], rng=0, base_visible_bias=rbm.b)
    assert result.log_z == pytest.approx(exact.log_partition(rbm), abs=1e-12)
    np.testing.assert_allclose(result.log_weights, 0.0, atol=1e-12)
    assert result.ess == pytest.approx(5.0)


def test_ais_is_reproducible(small_rbm):
    rbm, _ = small_rbm
    a = ais_log_partition(rbm, 10, linear_betas(30), rng=9)
    b = ais_log_partition(rbm, 10, linear_betas(30), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a.log_weights, b.log_weights)


def test_estimated_log_likelihood(digits_rbm):
    rbm, _, test, log_z = digits_rbm
    assert estimated_log_likelihood(rbm, test, log_z) == pytest.approx(exact.log_likelihood(rbm, test))
    result = ais_log_partition(rbm, 50, linear_betas(300), rng=1, data=test)
    assert estimated_log_likelihood(rbm, test, result) == pytest.approx(exact.log_likelihood(rbm, test), abs=0.1)


def test_linear_betas():
    betas = linear_betas(11)
    assert betas[0] == 0.0 and betas[-1] == 1.0 and betas.size == 11
    np.testing.assert_allclose(np.diff(betas), 0.1)
