"""The encoder problem and the 1985 learning procedure in dreambook.encoder.

Exact quantities are checked against brute force and finite differences; the
fast population kernel against the readable functions; sampled statistics
against exact ones with tolerances several standard errors wide (fixed seeds,
so every check is deterministic).
"""

import itertools

import numpy as np
import pytest

from dreambook import diagnostics, encoder as enc
from dreambook import exact
from dreambook.models import BoltzmannMachine, FullyVisibleBM
from dreambook.training import History

PATTERNS = enc.encoder_patterns(4)
P_NOISY = enc.noisy_distribution(PATTERNS)
P_CLEAN = enc.clean_distribution(PATTERNS)


def random_encoder(seed=0, scale=1.0, T=1.0, v=4, h=2):
    return enc.encoder_machine(v, h, rng=seed, scale=scale, T=T)


def hand_made_solution(A=6.0, B=6.0):
    """A 4-2-4 network built to be solved: codes 00, 01, 10, 11 for inputs 1-4."""
    model = enc.encoder_machine()
    codes = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    W, b = model.W, model.b
    for group in (0, 4):
        for k in range(4):
            for j in range(2):
                W[group + k, 8 + j] = W[8 + j, group + k] = A * (2 * codes[k, j] - 1)
            b[group + k] = -A * (codes[k].sum() - 0.5)
            for m in range(4):
                if m != k:
                    W[group + k, group + m] = -B
    return model


# ---------------------------------------------------------------------------
# The task
# ---------------------------------------------------------------------------
def test_patterns_and_mask():
    assert PATTERNS.shape == (4, 8)
    assert np.array_equal(PATTERNS[:, :4], PATTERNS[:, 4:])
    assert np.array_equal(PATTERNS.sum(axis=1), np.full(4, 2.0))
    mask = enc.encoder_mask(4, 2)
    v1, v2, h = range(0, 4), range(4, 8), range(8, 10)
    assert not mask[np.ix_(v1, v2)].any() and not mask[np.ix_(h, h)].any()
    assert mask[np.ix_(v1, h)].all() and mask[np.ix_(v2, h)].all()
    assert mask[0, 1] and mask[5, 7] and not mask[3, 3]
    assert int(mask.sum()) // 2 == 28
    assert int(enc.encoder_mask(8, 3).sum()) // 2 == 28 + 28 + 24 + 24


def test_encoder_machine_respects_mask():
    zero = enc.encoder_machine()
    assert not zero.W.any() and not zero.b.any()
    model = random_encoder(scale=0.5)
    assert np.all(model.W[~model.mask] == 0)
    assert np.count_nonzero(model.W) == 56
    assert np.array_equal(random_encoder(seed=3).W, random_encoder(seed=3).W)


def test_noisy_clamp_flip_rates():
    x = np.tile(PATTERNS, (5000, 1))
    y = enc.noisy_clamp(x, rng=0, p_flip_on=0.15, p_flip_off=0.05)
    on, off = x == 1, x == 0
    # 40000 on bits and 120000 off bits: standard errors 0.0018 and 0.0006
    assert abs(np.mean(y[on] == 0) - 0.15) < 0.008
    assert abs(np.mean(y[off] == 1) - 0.05) < 0.003
    assert np.array_equal(enc.noisy_clamp(x, rng=0, p_flip_on=0.0, p_flip_off=0.0), x)
    assert np.array_equal(x, np.tile(PATTERNS, (5000, 1)))  # input untouched


def test_noisy_distribution_brute_force_and_samples():
    assert np.isclose(P_NOISY.sum(), 1.0)
    states = exact.all_states(8)
    brute = np.zeros(256)
    for s, state in enumerate(states):
        for pattern in PATTERNS:
            flips_on = np.sum((pattern == 1) & (state == 0))
            keeps_on = np.sum((pattern == 1) & (state == 1))
            flips_off = np.sum((pattern == 0) & (state == 1))
            keeps_off = np.sum((pattern == 0) & (state == 0))
            brute[s] += 0.15**flips_on * 0.85**keeps_on * 0.05**flips_off * 0.95**keeps_off / 4
    assert np.allclose(P_NOISY, brute, rtol=1e-12, atol=0)
    samples = enc.noisy_clamp(np.tile(PATTERNS, (5000, 1)), rng=1)
    from dreambook.diagnostics import chi_square_test

    assert chi_square_test(samples, P_NOISY)[1] > 1e-3
    # zero noise gives back the clean distribution
    assert np.allclose(enc.noisy_distribution(PATTERNS, 0.0, 0.0), P_CLEAN)
    assert np.isclose(P_CLEAN.sum(), 1.0) and np.count_nonzero(P_CLEAN) == 4


# ---------------------------------------------------------------------------
# Exact statistics and the theorem
# ---------------------------------------------------------------------------
def test_clamped_statistics_is_weighted_data_statistics():
    model = random_encoder(seed=1, scale=0.8)
    stats = enc.clamped_statistics(model, P_NOISY)
    states = exact.all_states(8)
    expected_W, expected_b = np.zeros((10, 10)), np.zeros(10)
    for p, v in zip(P_NOISY, states):
        s = exact.data_statistics(model, v[None, :])
        expected_W += p * s["W"]
        expected_b += p * s["b"]
    assert np.allclose(stats["W"], expected_W, atol=1e-12)
    assert np.allclose(stats["b"], expected_b, atol=1e-12)
    uniform = enc.clamped_statistics(model, P_CLEAN)
    reference = exact.data_statistics(model, PATTERNS)
    assert np.allclose(uniform["W"], reference["W"]) and np.allclose(uniform["b"], reference["b"])


@pytest.mark.parametrize("T", [1.0, 0.7])
def test_phase_difference_is_minus_gradient_of_G(T):
    """The theorem of the chapter: dG/dw_ij = -(p+_ij - p-_ij)/T, checked by central differences."""
    model = random_encoder(seed=2, scale=0.7, T=T)
    grad = enc.exact_phase_difference(model, P_NOISY)
    eps = 1e-5
    for i, j in [(0, 1), (0, 8), (5, 9), (4, 6)]:
        plus, minus = model.copy(), model.copy()
        for m, sign in ((plus, 1), (minus, -1)):
            m.W[i, j] += sign * eps
            m.W[j, i] += sign * eps
        numeric = (enc.divergence(plus, P_NOISY) - enc.divergence(minus, P_NOISY)) / (2 * eps)
        assert np.isclose(-numeric, grad["W"][i, j], atol=1e-7)
    for i in [0, 7, 9]:
        plus, minus = model.copy(), model.copy()
        plus.b[i] += eps
        minus.b[i] -= eps
        numeric = (enc.divergence(plus, P_NOISY) - enc.divergence(minus, P_NOISY)) / (2 * eps)
        assert np.isclose(-numeric, grad["b"][i], atol=1e-7)
    assert np.all(grad["W"][~model.mask] == 0)
    assert np.allclose(grad["W"], grad["W"].T)


def test_phase_difference_matches_log_likelihood_gradient_on_clean_data():
    model = random_encoder(seed=4, scale=0.6, T=1.3)
    g = enc.exact_phase_difference(model, P_CLEAN)
    ref = exact.log_likelihood_gradient(model, PATTERNS)
    assert np.allclose(g["W"], ref["W"]) and np.allclose(g["b"], ref["b"])


def test_divergence_is_entropy_minus_log_likelihood():
    model = random_encoder(seed=5, scale=0.5)
    p_visible = exact.probabilities(model)
    ll = float(np.sum(P_NOISY * np.log(p_visible)))
    assert np.isclose(enc.divergence(model, P_NOISY), -exact.entropy(P_NOISY) - ll)
    assert enc.divergence(model, P_NOISY) > 0


# ---------------------------------------------------------------------------
# The success test
# ---------------------------------------------------------------------------
def test_evaluate_hand_made_solution():
    report = enc.evaluate(hand_made_solution(), P_NOISY)
    assert report.solved
    assert report.n_distinct_codes == 4 and report.distinct_clamped_codes
    assert np.array_equal(report.codes, [0, 1, 2, 3])
    assert np.array_equal(report.clamped_codes, [0, 1, 2, 3])
    assert np.array_equal(report.outputs, [0, 1, 2, 3])
    assert np.all(report.p_correct > 0.5)
    assert np.all((report.hidden_on >= 0) & (report.hidden_on <= 1))
    # input 4 has code 11: both hidden units almost surely on
    assert np.all(report.hidden_on[3] > 0.9) and np.all(report.hidden_on[0] < 0.1)
    assert report.G > 0


def test_evaluate_rejects_shared_codes_and_the_zero_network():
    model = hand_made_solution()
    # give input 2 the same hidden weights as input 1: two inputs now share code 00
    for group in (0, 4):
        model.W[group + 1, 8:] = model.W[8:, group + 1] = model.W[group, 8:]
        model.b[group + 1] = model.b[group]
    report = enc.evaluate(model)
    assert not report.solved and report.n_distinct_codes < 4
    zero = enc.evaluate(enc.encoder_machine())
    assert not zero.solved and zero.G is None
    assert np.allclose(zero.hidden_on, 0.5)


def test_evaluate_agrees_with_the_full_joint_distribution():
    """clamp_input conditions exactly: compare with the joint over all 2**10 states."""
    for seed in range(3):
        model = random_encoder(seed=seed, scale=2.0)
        grid = exact.probabilities(model, joint=True).reshape(16, 16, 4)
        one_hot = [8, 4, 2, 1]
        cond = grid[one_hot] / grid[one_hot].sum(axis=(1, 2), keepdims=True)
        report = enc.evaluate(model, P_NOISY)
        assert np.allclose(report.hidden_on, cond.sum(axis=1) @ exact.all_states(2))
        assert np.array_equal(report.codes, np.argmax(cond.sum(axis=1), axis=1))
        assert np.allclose(report.p_correct, cond.sum(axis=2)[np.arange(4), one_hot])
        assert np.array_equal(report.clamped_codes, np.argmax(grid[one_hot, one_hot], axis=1))
        assert report.G == pytest.approx(exact.kl_divergence(P_NOISY, grid.reshape(256, 4).sum(axis=1)))


def test_evaluate_8_3_8():
    report = enc.evaluate(enc.encoder_machine(8, 3))
    assert report.hidden_on.shape == (8, 3) and not report.solved


# ---------------------------------------------------------------------------
# Sampled statistics converge to the exact ones
# ---------------------------------------------------------------------------
def test_sampled_free_statistics_match_exact():
    model = random_encoder(seed=6, scale=0.6)
    procedure = enc.PAPER.replace(n_stat_sweeps=20)
    stats = enc.sampled_free_statistics(model, 2000, rng=0, procedure=procedure)
    ref = exact.model_statistics(model)
    # 40000 correlated samples per entry: errors of order 0.005
    assert np.max(np.abs(stats["W"] - ref["W"])) < 0.02
    assert np.max(np.abs(stats["b"] - ref["b"])) < 0.02


def test_sampled_clamped_statistics_match_exact():
    model = random_encoder(seed=7, scale=0.6)
    procedure = enc.PAPER.replace(n_repeats=500, n_stat_sweeps=20)
    stats = enc.sampled_clamped_statistics(model, PATTERNS, rng=0, procedure=procedure)
    ref = enc.clamped_statistics(model, P_NOISY)
    assert np.max(np.abs(stats["W"] - ref["W"])) < 0.02
    assert np.max(np.abs(stats["b"] - ref["b"])) < 0.02
    clean = enc.PAPER.replace(n_repeats=500, n_stat_sweeps=20, p_flip_on=0.0, p_flip_off=0.0)
    stats = enc.sampled_clamped_statistics(model, PATTERNS, rng=1, procedure=clean)
    ref = exact.data_statistics(model, PATTERNS)
    assert np.max(np.abs(stats["W"] - ref["W"])) < 0.02
    assert np.allclose(stats["b"][:8], 0.25)  # the clamped units are exactly the patterns


def test_sign_step_and_learning_cycle():
    model = enc.encoder_machine()
    pos = {"W": np.full((10, 10), 0.5) * model.mask, "b": np.zeros(10)}
    neg = {"W": np.zeros((10, 10)), "b": np.full(10, 0.1)}
    enc.sign_step(model, pos, neg, 0.2)
    assert np.array_equal(model.W, 0.2 * model.mask)
    assert np.allclose(model.b, -0.2)
    a, b = enc.encoder_machine(), enc.encoder_machine()
    enc.learning_cycle(a, PATTERNS, rng=5)
    enc.learning_cycle(b, PATTERNS, rng=5)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
    assert set(np.unique(a.W)) <= {-0.2, 0.0, 0.2}
    assert np.all(a.W[~a.mask] == 0)


def test_train_paper_records_and_stops():
    history = enc.train_paper(enc.encoder_machine(), n_updates=30, rng=0, record_every=10, keep_weights=True)
    assert history.n_updates == [0, 10, 20, 30] and history.method == "paper"
    assert len(history.weights) == len(history.biases) == len(history.G) == 4
    assert history.G[0] == pytest.approx(enc.divergence(enc.encoder_machine(), P_NOISY))
    assert len(history.hidden_on) == 4 and history.hidden_on[0].shape == (4, 2)
    assert len(history.distinct) == 4
    untracked = enc.train_paper(enc.encoder_machine(), n_updates=10, rng=0, record_every=10, track_G=False)
    assert np.all(np.isnan(untracked.G)) and untracked.solved == [False, False]
    assert "weights" not in untracked.columns and not untracked.ever_solved and untracked.first_solved is None
    solved = enc.train_paper(hand_made_solution(), n_updates=50, rng=0, stop_when_solved=True)
    assert solved.n_updates == [0] and solved.first_solved == 0 and solved.ever_solved


@pytest.mark.parametrize("procedure", [enc.PAPER, enc.PAPER.replace(scan="probes", n_repeats=1)])
def test_train_paper_population_is_train_paper_for_each_network(procedure):
    seeds = [0, 3, 8]
    readable = [enc.train_paper(enc.encoder_machine(), n_updates=25, rng=s, procedure=procedure,
                                record_every=10, keep_weights=True) for s in seeds]
    models = [enc.encoder_machine() for _ in seeds]
    fast = enc.train_paper_population(models, n_updates=25, rngs=seeds, procedure=procedure,
                                      record_every=10, keep_weights=True)
    for r, f, model in zip(readable, fast, models):
        assert f.n_updates == r.n_updates == [0, 10, 20, 25]
        assert f.solved == r.solved and f.distinct == r.distinct and f.G == r.G
        for a, b in zip(f.weights + f.biases, r.weights + r.biases):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(model.W, r.weights[-1])  # trained in place
    assert len({f.G[-1] for f in fast}) == 3  # three different runs


def test_train_paper_population_stops_each_network_on_its_own():
    rngs = [np.random.default_rng(0), np.random.default_rng(1)]
    solved, fresh = hand_made_solution(), enc.encoder_machine()
    runs = enc.train_paper_population([solved, fresh], n_updates=20, rngs=rngs, record_every=10,
                                      stop_when_solved=True)
    assert runs[0].n_updates == [0] and runs[0].first_solved == 0
    alone = enc.train_paper(enc.encoder_machine(), n_updates=20, rng=1, record_every=10, stop_when_solved=True)
    assert runs[1].n_updates == alone.n_updates and runs[1].G == alone.G
    assert rngs[0].random() == np.random.default_rng(0).random()  # the stopped network drew nothing


# ---------------------------------------------------------------------------
# Exact training and the population kernel
# ---------------------------------------------------------------------------
def test_population_kernel_matches_readable_functions():
    model = random_encoder(seed=8, scale=0.9, T=0.8)
    kernel = enc._Population(model, P_NOISY)
    assert kernel.factorized  # no hidden-hidden weights: the hidden units are summed out in closed form
    theta = kernel.to_theta(model)
    states = exact.all_states(10)
    assert np.allclose(kernel._logits(theta[None])[0].T.ravel(), model.unnormalized_log_prob(states))
    assert np.allclose(kernel.joint(theta[None])[0], exact.probabilities(model, joint=True))
    grad = enc.exact_phase_difference(model, P_NOISY)
    fast = kernel.phase_difference(theta[None])[0]
    k = len(kernel.pairs)
    assert np.allclose(fast[:k], grad["W"][kernel.pairs[:, 0], kernel.pairs[:, 1]], atol=1e-13)
    assert np.allclose(fast[k:], grad["b"], atol=1e-13)
    back = kernel.to_model(theta)
    assert np.array_equal(back.W, model.W) and np.array_equal(back.b, model.b)


def test_population_kernel_with_hidden_hidden_connections():
    """The kernel is general: a fully connected machine (hidden-hidden weights too)."""
    model = BoltzmannMachine.random(4, 3, rng=3, scale=1.0, T=1.2)
    p_data = np.random.default_rng(0).dirichlet(np.ones(16))
    kernel = enc._Population(model, p_data)
    assert not kernel.factorized
    theta = kernel.to_theta(model)
    assert np.allclose(kernel._logits(theta[None])[0].T.ravel(),
                       model.unnormalized_log_prob(exact.all_states(7)))
    grad = enc.exact_phase_difference(model, p_data)
    fast = kernel.phase_difference(theta[None])[0]
    k = len(kernel.pairs)
    assert np.allclose(fast[:k], grad["W"][kernel.pairs[:, 0], kernel.pairs[:, 1]], atol=1e-13)
    assert np.allclose(fast[k:], grad["b"], atol=1e-13)


@pytest.mark.parametrize("update", ["gradient", "sign"])
def test_population_training_equals_train_exact(update):
    result = enc.train_exact_population([11, 12], P_NOISY, n_updates=40,
                                        settings=enc.ExactRule(update=update, lr=0.5), scale=0.1)
    for seed, trained in zip([11, 12], result.models):
        model = enc.encoder_machine(rng=np.random.default_rng(seed), scale=0.1)
        enc.train_exact(model, P_NOISY, n_updates=40, settings=enc.ExactRule(update=update, lr=0.5),
                        record_every=40)
        assert np.allclose(trained.W, model.W, atol=1e-10)
        assert np.allclose(trained.b, model.b, atol=1e-10)
    ll = [float(np.sum(P_NOISY * np.log(exact.probabilities(m)))) for m in result.models]
    assert np.allclose(result.log_likelihood, ll)
    assert np.allclose(result.G, [enc.divergence(m, P_NOISY) for m in result.models])


def test_population_kernel_survives_huge_weights():
    # clean data and sign steps drive the weights to hundreds; nothing may become NaN
    result = enc.train_exact_population([0], P_CLEAN, n_updates=100,
                                        settings=enc.ExactRule(update="sign", lr=5.0))
    assert np.all(np.isfinite(result.models[0].W))


def test_train_exact_decreases_G():
    model = random_encoder(seed=9, scale=0.01)
    history = enc.train_exact(model, P_NOISY, n_updates=60, settings=enc.ExactRule(lr=1.0), record_every=20)
    assert history.n_updates == [0, 20, 40, 60] and history.method == "exact gradient"
    assert np.all(np.diff(history.G) < 0)


def test_best_of_restarts_uses_log_likelihood_only():
    ll = np.array([-3.0, -1.0, -2.0, -5.0, -4.0, -6.0])
    solved = np.array([True, False, True, True, False, False])
    result = History("exact gradient", {"n_updates": [0]},
                     final={"models": [None] * 6, "log_likelihood": ll, "solved": solved, "G": -ll})
    assert np.array_equal(enc.best_of_restarts(result, 3), [1, 4])
    with pytest.raises(ValueError, match="multiple of n_restarts"):
        enc.best_of_restarts(result, 4)


# ---------------------------------------------------------------------------
# Success rates
# ---------------------------------------------------------------------------
def test_success_rate_intervals():
    r = diagnostics.success_rate(48, 50)
    assert r.rate == 0.96
    # Wilson score interval, by its formula
    z = 1.959963984540054
    p, n = 0.96, 50
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert r.low == pytest.approx(centre - half) and r.high == pytest.approx(centre + half)
    cp = diagnostics.success_rate(0, 20, method="exact")
    assert cp.low == 0.0 and cp.high == pytest.approx(1 - 0.025 ** (1 / 20))
    assert diagnostics.success_rate(np.array([True, False, True])).successes == 2
    assert str(diagnostics.success_rate(3, 50)) == "3/50 = 6 % (95 % CI 2-16 %)"


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------
BAD = [
    (lambda: enc.Procedure(weight_step=0), ValueError, "weight_step must be a finite number > 0"),
    (lambda: enc.Procedure(p_flip_on=1.0), ValueError, r"p_flip_on must be a finite number in \[0, 1\)"),
    (lambda: enc.Procedure(p_flip_off="a"), TypeError, r"p_flip_off must be a real number in \[0, 1\)"),
    (lambda: enc.Procedure(schedule=()), ValueError, "schedule must be a non-empty"),
    (lambda: enc.Procedure(schedule=(1.0, -1.0)), ValueError, "schedule must be a non-empty sequence of temperatures > 0"),
    (lambda: enc.Procedure(scan="zigzag"), ValueError, "scan must be 'random', 'sequential' or 'probes'"),
    (lambda: enc.Procedure(n_repeats=0), ValueError, "n_repeats must be an integer >= 1"),
    (lambda: enc.encoder_patterns(0), ValueError, "v must be an integer >= 1"),
    (lambda: enc.encoder_machine(scale=-1.0), ValueError, "scale must be a finite number >= 0"),
    (lambda: enc.encoder_machine(scale=0.1), TypeError, "rng must be"),
    (lambda: enc.noisy_clamp([[0, 2]], rng=0), ValueError, "patterns must be binary"),
    (lambda: enc.noisy_clamp(PATTERNS, rng=None), TypeError, "rng must be"),
    (lambda: enc.noisy_distribution(PATTERNS, p_flip_on=-0.1), ValueError, r"p_flip_on must be a finite number in \[0, 1\)"),
    (lambda: enc.clamped_statistics(FullyVisibleBM.zeros(8), P_NOISY), TypeError, "model must be a BoltzmannMachine"),
    (lambda: enc.clamped_statistics(enc.encoder_machine(), np.ones(16) / 16), ValueError, r"p_data must have shape \(256,\)"),
    (lambda: enc.divergence(enc.encoder_machine(), np.ones(256)), ValueError, "p_data must sum to 1"),
    (lambda: enc.evaluate(BoltzmannMachine.zeros(3, 2)), ValueError, "model must be an encoder network"),
    (lambda: enc.evaluate(FullyVisibleBM.zeros(4)), TypeError, "model must be a BoltzmannMachine"),
    (lambda: enc.clamp_input(enc.encoder_machine(), 4), ValueError, r"k must be the index of a unit of V1, in 0..3"),
    (lambda: enc.sampled_free_statistics(enc.encoder_machine(), 0, rng=0), ValueError, "n_chains must be an integer >= 1"),
    (lambda: enc.learning_cycle(enc.encoder_machine(), PATTERNS, rng=0, procedure={}), TypeError, "procedure must be"),
    (lambda: enc.sign_step(enc.encoder_machine(), {}, {}, step=-1.0), ValueError, "step must be a finite number > 0"),
    (lambda: enc.train_paper(enc.encoder_machine(), n_updates=-1, rng=0), ValueError,
     "n_updates must be an integer >= 0"),
    (lambda: enc.train_paper(enc.encoder_machine(), n_updates=1, rng=0, record_every=0), ValueError,
     "record_every must be"),
    (lambda: enc.train_paper(enc.encoder_machine(), 1, rng=0), TypeError, "positional"),
    (lambda: enc.train_paper_population([], n_updates=1, rngs=[]), ValueError, "models must be a non-empty list"),
    (lambda: enc.train_paper_population([enc.encoder_machine(), enc.encoder_machine(3, 2)], n_updates=1, rngs=[0, 1]),
     ValueError, "models must all be encoders of one size"),
    (lambda: enc.train_paper_population([enc.encoder_machine()], n_updates=1, rngs=[0, 1]), ValueError,
     r"rngs must be a list with one generator or seed per network \(1\)"),
    (lambda: enc.train_paper_population([enc.encoder_machine()] * 2, n_updates=1, rngs=[0, 1]), ValueError,
     "models must be different networks"),
    (lambda: enc.train_paper_population([enc.encoder_machine(), enc.encoder_machine()], n_updates=1,
                                        rngs=[np.random.default_rng(0)] * 2), ValueError, "rngs must be different generators"),
    (lambda: enc.train_exact(enc.encoder_machine(), P_NOISY, settings=enc.ExactRule(update="adam")), ValueError, "update must be one of 'gradient', 'sign'"),
    (lambda: enc.train_exact_population([], P_NOISY), ValueError, "seeds must contain at least one seed"),
    (lambda: diagnostics.success_rate(5, 3), ValueError, "successes must be at most trials=3"),
    (lambda: diagnostics.success_rate([1, 0]), TypeError, "successes must be an int count"),
    (lambda: diagnostics.success_rate(1, 2, method="wald"), ValueError, "method must be 'wilson' or 'exact'"),
    (lambda: diagnostics.success_rate(1, 2, confidence=1.0), ValueError, r"confidence must be a finite number in \(0, 1\)"),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_inputs(call, error, message):
    with pytest.raises(error, match=message):
        call()
