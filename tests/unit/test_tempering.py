"""Parallel tempering: every replica samples its own temperature's exact distribution."""

import numpy as np
import pytest

from dreambook import diagnostics, exact, models, sampling
from dreambook.models import FullyVisibleBM
from dreambook.tempering import geometric_ladder, parallel_tempering, swap_probability


def _biased_ferromagnet():
    strong = models.two_mode_ferromagnet(8, 1.25)
    return FullyVisibleBM(strong.W, strong.b + 0.1)


def test_every_replica_passes_chi_square_against_its_own_temperature():
    model = FullyVisibleBM.random(5, rng=0, scale=1.0)
    ladder = geometric_ladder(1.0, 3.0, 4)
    start = np.random.default_rng(1).integers(0, 2, size=(4000, 5)).astype(float)
    result = parallel_tempering(model, start, ladder, 20, rng=2)
    for r, T in enumerate(ladder):
        hot = model.copy()
        hot.T = T
        assert diagnostics.chi_square_test(result.states[r], exact.probabilities(hot))[1] > 0.01, T
    assert np.all((result.acceptance > 0) & (result.acceptance <= 1))


def test_tempering_fixes_the_mode_weights_that_annealing_gets_wrong():
    model = _biased_ferromagnet()
    probs = exact.probabilities(model)
    start = np.zeros((2000, 8))
    result = parallel_tempering(model, start, geometric_ladder(1.0, 4.0, 8), 60, rng=3)
    cold = result.states[0]
    assert diagnostics.chi_square_test(cold, probs)[1] > 0.01
    upper = exact.all_states(8).sum(axis=1) > 4
    assert np.mean(cold.sum(axis=1) > 4) == pytest.approx(probs[upper].sum(), abs=0.03)
    # plain Gibbs from the same start, same number of sweeps at T = 1, fails
    plain = sampling.gibbs_chain(model, start, 60, rng=3, record=False)
    assert diagnostics.chi_square_test(plain, probs)[1] < 1e-6


def test_swap_probability_is_the_metropolis_ratio_of_the_joint():
    # p_r(x_r) p_s(x_s) before and after the exchange, by brute force
    e1, e2, T1, T2 = 0.7, -0.4, 1.0, 2.5
    before = np.exp(-e1 / T1 - e2 / T2)
    after = np.exp(-e2 / T1 - e1 / T2)
    assert float(swap_probability(e1, e2, T1, T2)) == pytest.approx(min(1.0, after / before), rel=1e-12)


@pytest.mark.parametrize("bad", [[1.0], [2.0, 1.0], [1.0, 1.0], [0.0, 1.0]])
def test_bad_temperature_ladders_are_refused(bad):
    model = FullyVisibleBM.random(3, rng=0)
    with pytest.raises(ValueError, match="temperatures|T"):
        parallel_tempering(model, np.zeros((2, 3)), bad, 1, rng=0)


def test_bad_start_and_ladder_arguments_are_refused():
    model = FullyVisibleBM.random(3, rng=0)
    with pytest.raises(ValueError, match="x0"):
        parallel_tempering(model, np.zeros(3), [1.0, 2.0], 1, rng=0)
    with pytest.raises(ValueError, match="T_max"):
        geometric_ladder(2.0, 1.0, 3)
    with pytest.raises(ValueError, match="n_replicas"):
        geometric_ladder(1.0, 2.0, 1)
