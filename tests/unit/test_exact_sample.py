"""dreambook.exact.sample: independent exact samples, checked against the exact distribution."""

import numpy as np
import pytest

from dreambook import exact
from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM
from dreambook.diagnostics import chi_square_test
from dreambook.states import empirical_distribution


@pytest.mark.parametrize("model", [
    FullyVisibleBM.random(4, rng=0, scale=1.0),
    FullyVisibleBM.random(3, rng=1, scale=2.0, T=0.6),
    BoltzmannMachine.random(3, 2, rng=2),
    RBM.random(3, 2, rng=3, scale=1.0),
], ids=["fvbm", "fvbm-cold", "bm-marginal", "rbm-marginal"])
def test_samples_follow_the_exact_visible_distribution(model):
    samples = exact.sample(model, 20000, rng=5)
    n_visible = model.n_visible if hasattr(model, "n_visible") else model.n_units
    assert samples.shape == (20000, n_visible) and samples.dtype == np.float64
    assert set(np.unique(samples)) <= {0.0, 1.0}
    probs = exact.probabilities(model)
    _, p_value = chi_square_test(samples, probs)
    assert p_value > 1e-3
    assert np.max(np.abs(empirical_distribution(samples) - probs)) < 0.02


def test_sampling_is_reproducible_and_continues_a_generator():
    model = FullyVisibleBM.random(3, rng=0)
    np.testing.assert_array_equal(exact.sample(model, 50, rng=7), exact.sample(model, 50, rng=7))
    rng = np.random.default_rng(7)
    first, second = exact.sample(model, 50, rng), exact.sample(model, 50, rng)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.vstack([first, second]), exact.sample(model, 100, rng=7))


def test_states_of_probability_zero_are_never_drawn():
    # An enormous bias makes every state with unit 1 off have probability 0 in float64.
    model = FullyVisibleBM(np.zeros((2, 2)), [800.0, 0.0])
    samples = exact.sample(model, 1000, rng=1)
    assert np.all(samples[:, 0] == 1)


def test_zero_samples_and_bad_arguments():
    model = FullyVisibleBM.zeros(3)
    assert exact.sample(model, 0, rng=0).shape == (0, 3)
    with pytest.raises(ValueError, match="n_samples"):
        exact.sample(model, -1, rng=0)
    with pytest.raises(TypeError, match="n_samples"):
        exact.sample(model, 2.5, rng=0)
    with pytest.raises(TypeError, match="rng"):
        exact.sample(model, 5, rng=None)
    with pytest.raises(TypeError, match="model"):
        exact.sample("not a model", 5, rng=0)
    with pytest.raises(ValueError, match="max_units"):
        exact.sample(FullyVisibleBM.zeros(6), 5, rng=0, max_units=4)
