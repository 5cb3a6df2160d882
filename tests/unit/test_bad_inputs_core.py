"""Bad inputs to models, exact and sampling raise a clear error naming the argument."""

import numpy as np
import pytest

from dreambook import diagnostics, exact, sampling, states
from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM

FV = FullyVisibleBM.random(4, rng=0)
BM = BoltzmannMachine.random(3, 2, rng=0)
R = RBM.random(4, 3, rng=0)
SYM = np.array([[0.0, 1.0], [1.0, 0.0]])
GOOD_X = np.zeros((2, 4))
P4 = np.full(4, 0.25)

CASES = [
    # --- models: parameters ---
    ("W not square", lambda: FullyVisibleBM(np.zeros((2, 3)), np.zeros(2)), ValueError, r"W must be a non-empty square"),
    ("W not symmetric", lambda: FullyVisibleBM([[0.0, 1.0], [2.0, 0.0]], np.zeros(2)), ValueError, r"W must be symmetric"),
    ("W nonzero diagonal", lambda: FullyVisibleBM([[1.0, 1.0], [1.0, 0.0]], np.zeros(2)), ValueError, r"W must have a zero diagonal"),
    ("W with NaN", lambda: FullyVisibleBM([[0.0, np.nan], [np.nan, 0.0]], np.zeros(2)), ValueError, r"W must contain only finite"),
    ("W of strings", lambda: FullyVisibleBM([["a", "b"], ["b", "a"]], np.zeros(2)), TypeError, r"W must be a numeric array"),
    ("W of objects", lambda: FullyVisibleBM(np.array([[0, None], [None, 0]]), np.zeros(2)), TypeError, r"W must be a numeric array"),
    ("W 1-d", lambda: FullyVisibleBM(np.zeros(4), np.zeros(2)), ValueError, r"W must be a 2-d array"),
    ("b wrong length", lambda: FullyVisibleBM(SYM, np.zeros(3)), ValueError, r"b must have shape \(2,\)"),
    ("T zero", lambda: FullyVisibleBM(SYM, np.zeros(2), T=0.0), ValueError, r"T must be a finite number > 0"),
    ("T negative", lambda: RBM(np.zeros((2, 2)), np.zeros(2), np.zeros(2), T=-1.0), ValueError, r"T must be a finite number > 0"),
    ("T infinite", lambda: FullyVisibleBM(SYM, np.zeros(2), T=np.inf), ValueError, r"T must be a finite number > 0"),
    ("T string", lambda: FullyVisibleBM(SYM, np.zeros(2), T="hot"), TypeError, r"T must be a real number"),
    ("T keyword zero", lambda: FV.unnormalized_log_prob(GOOD_X, T=0), ValueError, r"T must be"),
    ("RBM c wrong length", lambda: RBM(np.zeros((2, 3)), np.zeros(2), np.zeros(2)), ValueError, r"c must have shape \(3,\)"),
    ("RBM b wrong length", lambda: RBM(np.zeros((2, 3)), np.zeros(3), np.zeros(3)), ValueError, r"b must have shape \(2,\)"),
    ("RBM W empty", lambda: RBM(np.zeros((2, 0)), np.zeros(2), np.zeros(0)), ValueError, r"W must have shape \(n_visible, n_hidden\)"),
    ("mask not symmetric", lambda: BoltzmannMachine(np.zeros((3, 3)), np.zeros(3), 2, mask=np.triu(np.ones((3, 3), bool), 1)), ValueError, r"mask must be symmetric"),
    ("mask wrong shape", lambda: BoltzmannMachine(np.zeros((3, 3)), np.zeros(3), 2, mask=np.ones((2, 2), bool)), ValueError, r"mask must have shape \(3, 3\)"),
    ("mask of floats", lambda: BoltzmannMachine(np.zeros((3, 3)), np.zeros(3), 2, mask=np.full((3, 3), 0.5)), ValueError, r"mask must be boolean"),
    ("W outside mask", lambda: BoltzmannMachine(SYM, np.zeros(2), 1, mask=np.zeros((2, 2), bool)), ValueError, r"W must be zero where mask is False"),
    ("n_visible too big", lambda: BoltzmannMachine(SYM, np.zeros(2), 3), ValueError, r"n_visible must be at most"),
    ("n_visible zero", lambda: BoltzmannMachine(SYM, np.zeros(2), 0), ValueError, r"n_visible must be an integer >= 1"),
    ("n_visible float", lambda: BoltzmannMachine(SYM, np.zeros(2), 1.0), TypeError, r"n_visible must be an integer"),
    ("random n_hidden zero", lambda: RBM.random(3, 0, rng=0), ValueError, r"n_hidden must be an integer >= 1"),
    ("random rng None", lambda: FullyVisibleBM.random(3, rng=None), TypeError, r"rng must be a numpy.random.Generator"),
    ("random negative scale", lambda: RBM.random(3, 2, rng=0, scale=-0.1), ValueError, r"scale must be a finite number > 0"),
    ("random n_units zero", lambda: FullyVisibleBM.zeros(0), ValueError, r"n_units must be an integer >= 1"),
    # --- models: states ---
    ("energy wrong width", lambda: FV.energy(np.zeros((2, 5))), ValueError, r"x must have shape \(4,\) or \(n_samples, 4\)"),
    ("energy 3-d", lambda: FV.energy(np.zeros((2, 2, 4))), ValueError, r"x must have shape"),
    ("energy NaN", lambda: FV.energy([0, np.nan, 1, 0]), ValueError, r"x must contain only finite"),
    ("energy strings", lambda: FV.local_field(["0", "1", "0", "1"]), TypeError, r"x must be a numeric array"),
    ("RBM v/h batch mismatch", lambda: R.energy(np.zeros((2, 4)), np.zeros((3, 3))), ValueError, r"v and h must hold the same number"),
    ("RBM h wrong width", lambda: R.visible_probs(np.zeros((2, 4))), ValueError, r"h must have shape \(3,\)"),
    ("RBM v NaN", lambda: R.hidden_probs([np.nan, 0, 0, 0]), ValueError, r"v must contain only finite"),
    ("RBM sample rng None", lambda: R.sample_hidden(GOOD_X, rng=None), TypeError, r"rng must be"),
    # --- exact ---
    ("all_states negative", lambda: exact.all_states(-1), ValueError, r"n must be an integer >= 0"),
    ("all_states too many", lambda: exact.all_states(30), ValueError, r"max_units=24"),
    ("log Z too large", lambda: exact.log_partition(FullyVisibleBM.zeros(21)), ValueError, r"too large to enumerate.*max_units"),
    ("RBM log Z too large", lambda: exact.log_partition(RBM.zeros(25, 25)), ValueError, r"smaller RBM layer has 25 units.*max_units"),
    ("max_units zero", lambda: exact.log_partition(FV, max_units=0), ValueError, r"max_units must be an integer >= 1"),
    ("not a model", lambda: exact.log_partition("model"), TypeError, r"model must be a FullyVisibleBM, BoltzmannMachine or RBM"),
    ("log_prob non-binary", lambda: exact.log_prob(FV, [0, 0.5, 1, 0]), ValueError, r"x must be binary"),
    ("log_likelihood NaN data", lambda: exact.log_likelihood(R, [[0, np.nan, 1, 0]]), ValueError, r"data must be binary"),
    ("data empty", lambda: exact.data_statistics(FV, np.zeros((0, 4))), ValueError, r"data must contain at least one sample"),
    ("data wrong width", lambda: exact.log_likelihood_gradient(R, np.zeros((3, 5))), ValueError, r"data must have 4 columns"),
    ("BM data full width", lambda: exact.data_statistics(BM, np.zeros((3, 5))), ValueError, r"data must have 3 columns"),
    ("data strings", lambda: exact.log_likelihood(FV, [["0", "1", "0", "1"]]), TypeError, r"data must be a numeric array"),
    ("kl shapes differ", lambda: exact.kl_divergence(P4, [0.5, 0.5]), ValueError, r"p and q must have the same shape"),
    ("kl negative q", lambda: exact.kl_divergence(P4, [1.5, -0.5, 0, 0]), ValueError, r"q must be non-negative"),
    ("kl p not normalized", lambda: exact.kl_divergence([0.5, 0.6], [0.5, 0.5]), ValueError, r"p must sum to 1"),
    ("kl base one", lambda: exact.kl_divergence(P4, P4, base=1), ValueError, r"base must be a finite number > 0 and != 1"),
    ("entropy NaN", lambda: exact.entropy([np.nan, 1.0]), ValueError, r"p must contain only finite"),
    # --- sampling ---
    ("scan name", lambda: sampling.gibbs_sweep(FV, GOOD_X, rng=0, scan="diagonal"), ValueError, r"scan must be 'sequential', 'random' or 'probes'"),
    ("gibbs rng None", lambda: sampling.gibbs_sweep(FV, GOOD_X, rng=None), TypeError, r"rng must be a numpy.random.Generator"),
    ("gibbs rng float", lambda: sampling.gibbs_sweep(FV, GOOD_X, rng=1.5), TypeError, r"rng must be"),
    ("gibbs on RBM", lambda: sampling.gibbs_sweep(R, GOOD_X, rng=0), TypeError, r"model must be a FullyVisibleBM or BoltzmannMachine.*block_gibbs"),
    ("gibbs non-binary x", lambda: sampling.gibbs_sweep(FV, np.full((2, 4), 0.5), rng=0), ValueError, r"x must be binary"),
    ("gibbs T negative", lambda: sampling.gibbs_sweep(FV, GOOD_X, rng=0, T=-2.0), ValueError, r"T must be"),
    ("clamp wrong shape", lambda: sampling.gibbs_sweep(FV, GOOD_X, rng=0, clamp=np.ones(3, bool)), ValueError, r"clamp must be a boolean array of shape \(4,\)"),
    ("clamp not boolean", lambda: sampling.gibbs_sweep(FV, GOOD_X, rng=0, clamp=np.ones(4)), TypeError, r"clamp must be a boolean array"),
    ("n_sweeps zero", lambda: sampling.gibbs_chain(FV, GOOD_X, 0, rng=0), ValueError, r"n_sweeps must be an integer >= 1"),
    ("x0 3-d", lambda: sampling.gibbs_chain(FV, np.zeros((1, 2, 4)), 1, rng=0), ValueError, r"x0 must be a 2-d array"),
    ("x0 empty", lambda: sampling.gibbs_chain(FV, np.zeros((0, 4)), 1, rng=0), ValueError, r"x0 must contain at least one sample"),
    ("block_gibbs n_sweeps zero", lambda: sampling.block_gibbs(R, GOOD_X, 0, rng=0), ValueError, r"n_sweeps must be an integer >= 1"),
    ("block_gibbs n_sweeps float", lambda: sampling.block_gibbs(R, GOOD_X, 1.5, rng=0), TypeError, r"n_sweeps must be an integer"),
    ("block_gibbs T zero", lambda: sampling.block_gibbs(R, GOOD_X, 1, rng=0, T=0.0), ValueError, r"T must be"),
    ("block_gibbs hidden", lambda: sampling.block_gibbs(R, GOOD_X, 1, rng=0, hidden="both"), ValueError, r"hidden must be 'probs' or 'samples'"),
    ("block_gibbs on FVBM", lambda: sampling.block_gibbs(FV, GOOD_X, 1, rng=0), TypeError, r"rbm must be an RBM"),
    ("block_gibbs v width", lambda: sampling.block_gibbs(R, np.zeros((2, 3)), 1, rng=0), ValueError, r"v must have 4 columns"),
    ("metropolis n_steps", lambda: sampling.metropolis_chain(FV, GOOD_X, -3, rng=0), ValueError, r"n_steps must be an integer >= 1"),
    ("metropolis x0 values", lambda: sampling.metropolis_chain(R, np.full((2, 4), 2.0), 1, rng=0), ValueError, r"x0 must be binary"),
    ("metropolis not a model", lambda: sampling.metropolis_chain(object(), GOOD_X, 1, rng=0), TypeError, r"model must provide unnormalized_log_prob"),
    ("schedule T_end zero", lambda: sampling.linear_schedule(1.0, 0.0, 5), ValueError, r"T_end must be a finite number > 0"),
    ("schedule n zero", lambda: sampling.geometric_schedule(1.0, 0.1, 0), ValueError, r"n must be an integer >= 1"),
    ("schedule negative", lambda: sampling.simulated_annealing(FV, GOOD_X, [1.0, -1.0], rng=0), ValueError, r"schedule must contain only temperatures > 0"),
    ("schedule empty", lambda: sampling.simulated_annealing(FV, GOOD_X, [], rng=0), ValueError, r"schedule must contain at least one"),
    ("sweeps_per_T zero", lambda: sampling.simulated_annealing(FV, GOOD_X, [1.0], rng=0, sweeps_per_T=0), ValueError, r"sweeps_per_T must be an integer >= 1"),
    ("chi2 probs length", lambda: diagnostics.chi_square_test(GOOD_X, P4), ValueError, r"probs must have shape \(16,\)"),
    ("chi2 probs sum", lambda: diagnostics.chi_square_test(GOOD_X, np.full(16, 0.1)), ValueError, r"probs must be a probability vector"),
    ("chi2 samples 1-d", lambda: diagnostics.chi_square_test([0, 1, 1, 0], np.full(16, 1 / 16)), ValueError, r"samples must be a 2-d array"),
    ("autocorr 3-d", lambda: diagnostics.autocorrelation_time(np.zeros((3, 3, 3))), ValueError, r"series must have shape"),
    ("autocorr NaN", lambda: diagnostics.autocorrelation_time([1.0, np.nan, 2.0]), ValueError, r"series must contain only finite"),
    ("autocorr too short", lambda: diagnostics.autocorrelation_time([1.0]), ValueError, r"series must have at least 2 steps"),
    ("state_index non-binary", lambda: states.state_index([[0, 3]]), ValueError, r"x must be binary"),
    ("empirical too many units", lambda: states.empirical_distribution(np.zeros((2, 30))), ValueError, r"samples have 30 units.*max_units"),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_there_are_many_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 25


# ---------------------------------------------------------------------------
# Range checks that go through _validation.check_real / check_int
# ---------------------------------------------------------------------------
def _range_cases():
    from dreambook import hopfield, stdp
    from dreambook.forward_forward import SGD, FFNetwork, train_ff
    from dreambook.models import HopfieldNetwork

    net = HopfieldNetwork.hebbian(hopfield.random_patterns(2, 8, rng=0))
    patterns = hopfield.random_patterns(2, 8, rng=0)
    ff = FFNetwork.random([4, 3], rng=0, n_classes=2)
    images, labels = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    return [
        (lambda: hopfield.retrieval_rate(net, patterns, 0, n_flips=1, min_overlap=-1.0), ValueError,
         r"min_overlap must be a finite number in \(-1, 1\], got -1.0"),
        (lambda: hopfield.retrieval_rate(net, patterns, 0, n_flips=1, min_overlap=True), TypeError,
         "min_overlap must be a real number"),
        (lambda: train_ff(ff, images, labels, rng=0, settings=SGD(epochs=1, batch_size=2, momentum=1.0)), ValueError,
         r"momentum must be a finite number in \[0, 1\), got 1.0"),
        (lambda: stdp.reverse_spike_times([1.0], [2.0], duration=np.nan), ValueError,
         "duration must be a finite number"),
        (lambda: stdp.stdp_window([1.0], a_plus=-0.1), ValueError, "a_plus must be a finite number >= 0, got -0.1"),
    ]


@pytest.mark.parametrize("case", range(5))
def test_range_checks_name_the_argument(case):
    call, error, message = _range_cases()[case]
    with pytest.raises(error, match=message):
        call()
