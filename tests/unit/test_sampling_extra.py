"""The exact-microscope additions to dreambook.sampling (Chapter 2).

two_mode_ferromagnet, gibbs_transition_matrix, metropolis_transition_matrix and
exact_autocorrelation_time are checked against their formulas, against each
other, and against the samplers they describe (chi-square tests at fixed seeds).
"""

import numpy as np
import pytest

from dreambook.exact import all_states, probabilities
from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM
from dreambook.diagnostics import autocorrelation_time, chi_square_test, exact_autocorrelation_time
from dreambook.sampling import gibbs_chain, gibbs_sweep, metropolis_chain
from dreambook.markov import gibbs_transition_matrix, metropolis_transition_matrix
from dreambook.models import two_mode_ferromagnet

ACCEPT = 1e-3


def random_fvbm(n=4, seed=1, T=0.8):
    return FullyVisibleBM.random(n, rng=seed, scale=1.0, T=T)


def reversibility_gap(P, pi):
    flow = pi[:, None] * P  # flow[s, s2] = pi(s) P(s -> s2)
    return float(np.max(np.abs(flow - flow.T)))


# ---------------------------------------------------------------------------
# two_mode_ferromagnet
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n, J", [(2, 0.5), (5, 1.0), (8, 1.25)])
def test_ferromagnet_energy_depends_only_on_the_number_of_units_on(n, J):
    model = two_mode_ferromagnet(n, J)
    states = all_states(n)
    k = states.sum(axis=1)
    np.testing.assert_allclose(model.energy(states), J * k * (n - k) / 2, atol=1e-12)


def test_ferromagnet_is_symmetric_under_complement_and_only_J_over_T_matters():
    p = probabilities(two_mode_ferromagnet(6, 1.0, T=1.0))
    np.testing.assert_allclose(p, p[::-1], atol=1e-15)  # index 63 - s is the complement of s
    np.testing.assert_allclose(probabilities(two_mode_ferromagnet(6, 2.0, T=2.0)), p, atol=1e-15)
    assert np.argmax(p) in (0, 63)


def test_ferromagnet_rejects_bad_inputs():
    with pytest.raises(ValueError, match="n_units"):
        two_mode_ferromagnet(1, 1.0)
    with pytest.raises(ValueError, match="coupling"):
        two_mode_ferromagnet(4, -1.0)
    with pytest.raises(ValueError, match="coupling"):
        two_mode_ferromagnet(4, np.nan)
    with pytest.raises(TypeError, match="coupling"):
        two_mode_ferromagnet(4, "strong")
    with pytest.raises(ValueError, match="T"):
        two_mode_ferromagnet(4, 1.0, T=0.0)


# ---------------------------------------------------------------------------
# gibbs_transition_matrix
# ---------------------------------------------------------------------------
def test_single_site_kernels_satisfy_detailed_balance_and_compose_into_the_sweep():
    model = random_fvbm()
    pi = probabilities(model)
    kernels = [gibbs_transition_matrix(model, site=i) for i in range(4)]
    for K in kernels:
        assert np.all(K >= 0)
        np.testing.assert_allclose(K.sum(axis=1), 1.0, atol=1e-12)
        assert reversibility_gap(K, pi) < 1e-14
        # K only moves between states that differ in at most one unit
        assert np.count_nonzero(K, axis=1).max() <= 2
    P = gibbs_transition_matrix(model)
    np.testing.assert_allclose(P, kernels[0] @ kernels[1] @ kernels[2] @ kernels[3], atol=1e-14)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-14)
    # The sweep leaves p invariant but, composed of reversible steps, is not itself reversible.
    assert reversibility_gap(P, pi) > 1e-3


def test_gibbs_transition_matrix_describes_gibbs_sweep():
    model = random_fvbm()
    P = gibbs_transition_matrix(model)
    states = all_states(4)
    for start in (0, 6, 13):
        x0 = np.repeat(states[start][None, :], 4000, axis=0)
        x1 = gibbs_sweep(model, x0, rng=start)
        assert chi_square_test(x1, P[start])[1] > ACCEPT


def test_gibbs_transition_matrix_temperature_override_and_hidden_units():
    model = random_fvbm(T=1.0)
    hot = model.copy()
    hot.T = 2.0
    np.testing.assert_allclose(gibbs_transition_matrix(model, T=2.0), gibbs_transition_matrix(hot))
    bm = BoltzmannMachine.random(2, 2, rng=3)
    P = gibbs_transition_matrix(bm)
    pi = probabilities(bm, joint=True)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-14)


def test_gibbs_transition_matrix_rejects_bad_inputs():
    model = random_fvbm()
    with pytest.raises(TypeError, match="model"):
        gibbs_transition_matrix(RBM.random(3, 2, rng=0))
    with pytest.raises(ValueError, match="site"):
        gibbs_transition_matrix(model, site=4)
    with pytest.raises(TypeError, match="site"):
        gibbs_transition_matrix(model, site=1.0)
    with pytest.raises(ValueError, match="max_units"):
        gibbs_transition_matrix(model, max_units=3)
    with pytest.raises(ValueError, match="T"):
        gibbs_transition_matrix(model, T=-1.0)


# ---------------------------------------------------------------------------
# metropolis_transition_matrix
# ---------------------------------------------------------------------------
def test_metropolis_matrix_is_reversible_and_stationary():
    model = random_fvbm()
    pi = probabilities(model)
    P = metropolis_transition_matrix(model)
    assert np.all(P >= -1e-15)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert reversibility_gap(P, pi) < 1e-14
    np.testing.assert_allclose(pi @ P, pi, atol=1e-14)


def test_metropolis_matrix_for_an_rbm_targets_the_visible_marginal():
    rng = np.random.default_rng(2)
    rbm = RBM(rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=2))
    pi = probabilities(rbm)
    P = metropolis_transition_matrix(rbm)
    assert P.shape == (8, 8)
    assert reversibility_gap(P, pi) < 1e-14


def test_metropolis_matrix_describes_metropolis_chain():
    model = random_fvbm()
    P = metropolis_transition_matrix(model)
    start = all_states(4)[9]
    x1 = metropolis_chain(model, np.repeat(start[None, :], 4000, axis=0), 1, rng=5, record=False)
    assert chi_square_test(x1, P[9])[1] > ACCEPT


# ---------------------------------------------------------------------------
# exact_autocorrelation_time
# ---------------------------------------------------------------------------
def test_exact_tau_of_independent_draws_is_one():
    pi = np.array([0.2, 0.3, 0.5])
    P = np.tile(pi, (3, 1))
    assert exact_autocorrelation_time(P, pi, [1.0, -2.0, 0.5]) == pytest.approx(1.0, abs=1e-12)


def test_exact_tau_matches_the_sum_of_autocorrelations():
    model = two_mode_ferromagnet(5, 0.6)
    pi = probabilities(model)
    P = gibbs_transition_matrix(model)
    f = all_states(5).sum(axis=1)
    fbar = f - pi @ f
    var = pi @ fbar**2
    rho_sum, v = 0.0, fbar.copy()
    for _ in range(2000):
        v = P @ v
        rho_sum += pi @ (fbar * v) / var
    assert exact_autocorrelation_time(P, pi, f) == pytest.approx(1 + 2 * rho_sum, rel=1e-9)


def test_exact_tau_agrees_with_the_sampled_estimate():
    model = two_mode_ferromagnet(6, 1.0)
    pi = probabilities(model)
    P = gibbs_transition_matrix(model)
    exact_tau = exact_autocorrelation_time(P, pi, all_states(6).mean(axis=1))
    trace = gibbs_chain(model, np.zeros((32, 6)), 3000, rng=4)
    estimate = autocorrelation_time(trace[300:].mean(axis=-1))
    assert exact_tau > 5
    assert estimate == pytest.approx(exact_tau, rel=0.15)


def test_strong_coupling_mixes_slowly():
    f = all_states(8).mean(axis=1)
    taus = []
    for J in (0.25, 1.25):
        model = two_mode_ferromagnet(8, J)
        P = gibbs_transition_matrix(model)
        taus.append(exact_autocorrelation_time(P, probabilities(model), f))
    assert taus[1] > 100 * taus[0]


def test_exact_tau_of_a_constant_is_infinite():
    P = np.array([[0.9, 0.1], [0.1, 0.9]])
    assert exact_autocorrelation_time(P, [0.5, 0.5], [2.0, 2.0]) == float("inf")


def test_exact_tau_rejects_bad_inputs():
    P = np.array([[0.9, 0.1], [0.1, 0.9]])
    with pytest.raises(ValueError, match="stationary"):
        exact_autocorrelation_time(P, [0.3, 0.7], [0.0, 1.0])
    with pytest.raises(ValueError, match="stochastic"):
        exact_autocorrelation_time([[0.9, 0.2], [0.1, 0.9]], [0.5, 0.5], [0.0, 1.0])
    with pytest.raises(ValueError, match="square"):
        exact_autocorrelation_time(np.ones((2, 3)) / 3, [0.5, 0.5], [0.0, 1.0])
    with pytest.raises(ValueError, match="f"):
        exact_autocorrelation_time(P, [0.5, 0.5], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="probs"):
        exact_autocorrelation_time(P, [0.6, 0.6], [0.0, 1.0])
    with pytest.raises(ValueError, match="ergodic"):
        exact_autocorrelation_time(np.eye(2), [0.5, 0.5], [0.0, 1.0])
