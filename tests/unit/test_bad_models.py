"""Bad models are refused, not sampled: parameters edited after construction, bad flags, bad seeds.

Every model checks its parameters *as they are when used* (``check_parameters``),
so an in-place edit to NaN, an asymmetric W or a self-connection raises a clear
error in every sampler, enumerator and learning rule instead of producing
plausible 0/1 "samples".
"""

import tracemalloc

import numpy as np
import pytest

from dreambook import encoder as enc, states, training
from dreambook import exact, ground_state, hopfield, learning, nce, phases, sampling, score_matching, wake_sleep
from dreambook._validation import check_binary, check_finite_array
from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM, HelmholtzMachine, HopfieldNetwork


def _nan(model, key="W"):
    getattr(model, key)[0, 1] = np.nan
    return model


def _fv_nan():
    return _nan(FullyVisibleBM.random(4, rng=0))


def _fv_asym():
    m = FullyVisibleBM.random(4, rng=0)
    m.W[0, 1] += 1.0
    return m


def _fv_diag():
    m = FullyVisibleBM.random(4, rng=0)
    m.W[2, 2] = 0.5
    return m


def _rbm_nan():
    return _nan(RBM.random(4, 3, rng=0, scale=1.0))


def _bm_outside_mask():
    mask = np.ones((4, 4), bool)
    mask[0, 3] = mask[3, 0] = False
    np.fill_diagonal(mask, False)
    m = BoltzmannMachine.random(3, 1, rng=0, mask=mask)
    m.W[0, 3] = m.W[3, 0] = 1.0
    return m


X4 = np.zeros((3, 4))

REFUSED = [
    # NaN weights: formerly all-zero or 0/1 "samples"
    ("exact.sample NaN", lambda: exact.sample(_fv_nan(), 5, rng=0), r"W must contain only finite"),
    ("exact.sample RBM NaN", lambda: exact.sample(_rbm_nan(), 5, rng=0), r"W must contain only finite"),
    ("gibbs_sweep NaN", lambda: sampling.gibbs_sweep(_fv_nan(), X4, rng=0), r"W must contain only finite"),
    ("gibbs_chain NaN", lambda: sampling.gibbs_chain(_fv_nan(), X4, 3, rng=0), r"W must contain only finite"),
    ("metropolis NaN", lambda: sampling.metropolis_chain(_fv_nan(), X4, 3, rng=0), r"W must contain only finite"),
    ("metropolis RBM NaN", lambda: sampling.metropolis_chain(_rbm_nan(), X4, 3, rng=0), r"W must contain only finite"),
    ("block_gibbs NaN", lambda: sampling.block_gibbs(_rbm_nan(), X4, 1, rng=0), r"W must contain only finite"),
    ("sample_chains NaN", lambda: sampling.sample_chains(_rbm_nan(), X4, 2, rng=0), r"W must contain only finite"),
    ("RBM bias NaN", lambda: exact.log_partition(_nan_bias(RBM.random(4, 3, rng=0))), r"c must contain only finite"),
    ("annealing NaN", lambda: sampling.simulated_annealing(_fv_nan(), X4, [2.0, 1.0], rng=0), r"W must contain only finite"),
    ("cd_gradient NaN", lambda: learning.cd_gradient(_rbm_nan(), X4, k=1, rng=0), r"W must contain only finite"),
    ("train_rbm NaN", lambda: training.train_rbm(_rbm_nan(), X4, settings=training.TrainingSettings(method="cd", epochs=1), rng=0), r"W must contain only finite"),
    ("energy NaN", lambda: _fv_nan().energy(X4), r"W must contain only finite"),
    ("free energy NaN", lambda: _rbm_nan().free_energy(X4), r"W must contain only finite"),
    # asymmetric W and self-connections
    ("gibbs asymmetric", lambda: sampling.gibbs_sweep(_fv_asym(), X4, rng=0), r"W must be symmetric"),
    ("log Z asymmetric", lambda: exact.log_partition(_fv_asym()), r"W must be symmetric"),
    ("probabilities asymmetric", lambda: exact.probabilities(_fv_asym()), r"W must be symmetric"),
    ("train_bm asymmetric", lambda: training.train_bm(_fv_asym(), X4, n_updates=1), r"W must be symmetric"),
    ("wake_step asymmetric", lambda: phases.positive_step(_fv_asym(), X4, 0.1), r"W must be symmetric"),
    ("local field diagonal", lambda: _fv_diag().local_field(X4), r"W must have a zero diagonal"),
    ("gibbs diagonal", lambda: sampling.gibbs_chain(_fv_diag(), X4, 2, rng=0), r"W must have a zero diagonal"),
    ("BM outside mask", lambda: exact.log_partition(_bm_outside_mask()), r"W must be zero where mask is False"),
    ("parameter replaced by wrong shape", lambda: exact.log_partition(_reshaped_rbm()), r"W must have shape \(4, 3\)"),
    ("parameter replaced by a list", lambda: exact.log_partition(_listed_fv()), r"W must be a float64 numpy array"),
    ("hopfield asymmetric", lambda: hopfield.relax(_hop_asym(), np.ones(4), rng=0), r"W must be symmetric"),
    ("encoder asymmetric", lambda: enc.evaluate(_encoder_asym()), r"W must be symmetric"),
    # formerly a number: ratio matching 0.803 for an asymmetric W, NaN for NaN weights; NCE read the upper triangle
    ("ratio matching asymmetric", lambda: score_matching.ratio_matching_objective(_fv_asym(), X4), r"W must be symmetric"),
    ("ratio matching NaN", lambda: score_matching.ratio_matching_objective(_fv_nan(), X4), r"W must contain only finite"),
    ("NCE parameters asymmetric", lambda: nce.model_to_params(_fv_asym()), r"W must be symmetric"),
    ("ground states asymmetric", lambda: ground_state.ground_states(_fv_asym()), r"W must be symmetric"),
    ("helmholtz NaN dream", lambda: _helmholtz_nan().dream(3, rng=0), r"generative_weights\[0\] must contain only finite"),
    ("wake_sleep NaN", lambda: wake_sleep.sleep_step(_helmholtz_nan(), 3, 0.1, rng=0), r"must contain only finite"),
    # complex data: formerly the imaginary part was dropped
    ("complex data", lambda: exact.log_likelihood(FullyVisibleBM.zeros(2), np.array([[1 + 0j, 0]])), r"data must be real-valued"),
    ("complex states", lambda: sampling.gibbs_sweep(FullyVisibleBM.zeros(2), np.array([1 + 1j, 0]), rng=0), r"x must be real-valued"),
    ("complex array", lambda: check_finite_array(np.array([1 + 2j]), "a"), r"a must be real-valued"),
    # flags that are not booleans: "no" is truthy
    ("joint='no'", lambda: exact.probabilities(BoltzmannMachine.zeros(2, 1), joint="no"), r"joint must be True or False"),
    ("record='yes'", lambda: sampling.gibbs_chain(FullyVisibleBM.zeros(2), np.zeros(2), 2, rng=0, record="yes"), r"record must be True or False"),
    ("metropolis record=1", lambda: sampling.metropolis_chain(FullyVisibleBM.zeros(2), np.zeros(2), 2, rng=0, record=1), r"record must be True or False"),
    ("counts='no'", lambda: states.empirical_distribution(np.zeros((2, 2)), counts="no"), r"counts must be True or False"),
    ("return_energies", lambda: sampling.simulated_annealing(FullyVisibleBM.zeros(2), np.zeros(2), [1.0], rng=0, return_energies="y"), r"return_energies must be True or False"),
    ("return_flips", lambda: hopfield.relax(HopfieldNetwork.hebbian([[1, -1, 1]]), [1, 1, 1], rng=0, return_flips="no"), r"return_flips must be True or False"),
    ("shuffle", lambda: training.train_rbm(RBM.zeros(4, 2), X4, settings=training.TrainingSettings(epochs=1, shuffle="no"), rng=0), r"shuffle must be True or False"),
    ("keep_weights", lambda: enc.train_exact(enc.encoder_machine(2, 1), enc.clean_distribution(enc.encoder_patterns(2)), n_updates=1, keep_weights="no"), r"keep_weights must be True or False"),
    # open intervals are honoured: a bar probability of 1 has an infinite logit
    ("clean_bars_machine p_bar=1", lambda: wake_sleep.clean_bars_machine(p_bar=1.0), r"p_bar must be a finite number in \(0, 1\)"),
    ("clean_bars_machine p_vertical=0", lambda: wake_sleep.clean_bars_machine(p_vertical=0.0), r"p_vertical must be a finite number in \(0, 1\)"),
    # reproducibility: a seed of None draws fresh entropy
    ("seeds=[None]", lambda: enc.train_exact_population([None], enc.noisy_distribution(enc.encoder_patterns()), n_updates=1), r"seeds\[0\] must be a non-negative integer"),
    ("seeds=[-1]", lambda: enc.train_exact_population([-1], enc.noisy_distribution(enc.encoder_patterns()), n_updates=1), r"seeds\[0\] must be a non-negative integer"),
    ("seeds=[(0, None)]", lambda: enc.train_exact_population([(0, None)], enc.noisy_distribution(enc.encoder_patterns()), n_updates=1), r"seeds\[0\] must be a non-negative integer"),
]


def _nan_bias(rbm):
    rbm.c[0] = np.nan
    return rbm


def _reshaped_rbm():
    rbm = RBM.random(4, 3, rng=0)
    rbm.W = np.zeros((3, 3))
    return rbm


def _listed_fv():
    m = FullyVisibleBM.zeros(3)
    m.W = [[0.0, 0.0, 0.0]] * 3
    return m


def _hop_asym():
    net = HopfieldNetwork.hebbian([[1, -1, 1, -1]])
    net.W[0, 1] = 5.0
    return net


def _encoder_asym():
    m = enc.encoder_machine(2, 1, rng=0, scale=0.5)
    m.W[0, 1] += 0.25
    return m


def _helmholtz_nan():
    hm = HelmholtzMachine.random((2, 3), rng=0)
    hm.generative_weights[0][0, 0] = np.nan
    return hm


@pytest.mark.parametrize("label, call, message", REFUSED, ids=[c[0] for c in REFUSED])
def test_bad_model_or_flag_is_refused(label, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_good_models_still_pass_their_checks():
    for model in (FullyVisibleBM.random(4, rng=0), RBM.random(4, 3, rng=0), BoltzmannMachine.random(3, 2, rng=0),
                  HopfieldNetwork.hebbian([[1, -1, 1]]), HelmholtzMachine.random((2, 3), rng=0)):
        model.check_parameters()


def test_sign_step_keeps_W_symmetric_for_asymmetric_statistics():
    model = enc.encoder_machine(2, 1)
    n = model.n_units
    positive = {"W": np.zeros((n, n)), "b": np.zeros(n)}
    negative = {"W": np.zeros((n, n)), "b": np.zeros(n)}
    positive["W"][0, 1] = 1e-17  # statistics off by a rounding error in one triangle only
    enc.sign_step(model, positive, negative, 0.2)
    np.testing.assert_array_equal(model.W, model.W.T)
    assert model.W[0, 1] == model.W[1, 0] == 0.2
    model.check_parameters()


def test_sign_step_refuses_statistics_of_the_wrong_shape():
    model = enc.encoder_machine(2, 1)
    n = model.n_units
    with pytest.raises(ValueError, match=r"positive\['W'\] must have shape"):
        enc.sign_step(model, {"W": np.zeros((2, 2)), "b": np.zeros(n)},
                      {"W": np.zeros((n, n)), "b": np.zeros(n)}, 0.2)


def test_huge_finite_weights_stay_finite():
    m = FullyVisibleBM([[0.0, 1e308], [1e308, 0.0]], [0.0, 0.0])
    assert m.W[0, 1] == 1e308 and np.all(np.isfinite(m.W))
    m = FullyVisibleBM([[0.0, -1.5e308], [-1.5e308, 0.0]], [0.0, 0.0])
    assert m.W[1, 0] == -1.5e308


def test_check_binary_accepts_real_but_not_complex():
    np.testing.assert_array_equal(check_binary(np.array([1, 0]), "x"), [[1.0, 0.0]])
    with pytest.raises(TypeError, match="x must be real-valued"):
        check_binary(np.array([1, 0], dtype=complex), "x")


def test_all_states_peak_memory_is_the_result_plus_one_column():
    n = 16
    result_bytes = 2**n * n * 8
    tracemalloc.start()
    try:
        X = exact.all_states(n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the result, plus two int64 columns (indices and scratch): 1.125x the result for n = 16
    assert peak <= result_bytes + 2 * 2**n * 8 + 65536, (peak, result_bytes)
    # and the same numbers as before: row k is the binary code of k
    np.testing.assert_array_equal(X[5], np.r_[np.zeros(13), [1.0, 0.0, 1.0]])
    assert X.shape == (2**n, n) and X.dtype == np.float64


@pytest.mark.parametrize("scale, seed", [(1.0, 0), (300.0, 3)])
def test_encoder_clamped_statistics_survive_underflowing_data_vectors(scale, seed):
    # At weight scale 300 some data vectors have p(v) < 1e-308: dividing the
    # joint by p(v) dropped them (an error of 0.5 in a statistic); in logs they count.
    model = enc.encoder_machine(2, 1, rng=seed, scale=scale)
    data = enc.encoder_patterns(2)
    p = enc.clean_distribution(data)
    if scale > 1:
        assert np.min(exact.probabilities(model)[p > 0]) == 0.0  # the case that used to fail
    got = enc.clamped_statistics(model, p)
    want = exact.data_statistics(model, data)
    for key in ("W", "b"):
        np.testing.assert_allclose(got[key], want[key], atol=1e-12)
    g = enc.exact_phase_difference(model, p)
    g_ref = exact.log_likelihood_gradient(model, data)
    for key in ("W", "b"):
        np.testing.assert_allclose(g[key], g_ref[key], atol=1e-12)


def test_log_probabilities_is_the_log_of_probabilities():
    for model in (FullyVisibleBM.random(4, rng=1), BoltzmannMachine.random(3, 2, rng=1), RBM.random(3, 2, rng=1)):
        for joint in (False, True):
            np.testing.assert_allclose(np.exp(exact.log_probabilities(model, joint=joint)),
                                       exact.probabilities(model, joint=joint), rtol=1e-12, atol=1e-15)
