"""Learning rules in dreambook.learning, checked against exact gradients and distributions.

Every stochastic check runs at a fixed seed; thresholds sit far from both the
typical value and the value a broken estimator would give.
"""

import numpy as np
import pytest

from dreambook import exact
from dreambook.data import bars_and_stripes, load_digits_binary
from dreambook.training import GradientAscent, History, TrainingSettings, momentum_schedule, train_bm, train_rbm
from dreambook.learning import cd_gradient, exact_gradient, fpcd_gradient, init_visible_bias, pcd_gradient
from dreambook.sampling import sample_chains
from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM, block_mask
from dreambook.diagnostics import chi_square_test


def _flat(grad):
    return np.concatenate([np.ravel(grad[key]) for key in ("W", "b", "c")])


@pytest.fixture(scope="module")
def digits():
    return load_digits_binary()


# ---------------------------------------------------------------------------
# The fast training kernel reproduces the readable estimators
# ---------------------------------------------------------------------------
def _readable_training(data, method, k, statistics, lr, batch_size, momentum, weight_decay, seed,
                       fast_lr=None, T=1.0):
    """The update rule of train_rbm written with the readable gradient functions."""
    rbm = RBM.random(data.shape[1], 8, rng=123, scale=0.1, T=T)
    rng = np.random.default_rng(seed)
    chains = np.zeros((batch_size, 8))
    fast = {key: np.zeros_like(value) for key, value in rbm.params.items()}
    delta = {key: np.zeros_like(value) for key, value in rbm.params.items()}
    for first in range(0, len(data), batch_size):
        X = data[first : first + batch_size]
        if method == "cd":
            grad = cd_gradient(rbm, X, k, rng, statistics=statistics)
        elif method == "pcd":
            grad, chains = pcd_gradient(rbm, X, chains, k, rng, statistics=statistics)
        else:
            grad, chains = fpcd_gradient(rbm, X, chains, fast, k, rng, statistics=statistics)
        for key, value in rbm.params.items():
            step = grad[key] - (weight_decay * value if key == "W" else 0.0)
            delta[key] = momentum * delta[key] + lr * step
            value += delta[key]
        if method == "fpcd":
            for key in fast:
                fast[key] = 0.95 * fast[key] + (fast_lr or lr) * grad[key]
    return rbm


@pytest.mark.parametrize(
    "method, k, statistics, lr, batch_size, momentum, weight_decay, fast_lr, T",
    [
        ("pcd", 1, "hidden_probs", 0.1, 10, 0.0, 0.0, None, 1.0),
        ("pcd", 3, "sampled", 0.1, 10, 0.5, 1e-3, None, 1.0),
        ("cd", 1, "hidden_probs", 0.1, 10, 0.0, 0.0, None, 1.0),
        ("cd", 2, "sampled", 0.05, 7, 0.9, 0.0, None, 1.0),  # 95 = 13 * 7 + 4: a short last batch
        ("cd", 3, "mean_field", 0.1, 10, 0.0, 1e-2, None, 1.0),
        ("fpcd", 1, "hidden_probs", 0.1, 10, 0.0, 0.0, None, 1.0),
        ("fpcd", 2, "sampled", 0.1, 10, 0.5, 0.0, 0.05, 1.0),
        ("pcd", 1, "hidden_probs", 0.1, 10, 0.0, 0.0, None, 2.0),
        ("cd", 1, "hidden_probs", 0.1, 10, 0.0, 0.0, None, 0.5),
        ("fpcd", 2, "hidden_probs", 0.1, 10, 0.9, 1e-2, 0.2, 2.0),
    ],
)
def test_fast_training_matches_readable_estimators(digits, method, k, statistics, lr, batch_size, momentum,
                                                   weight_decay, fast_lr, T):
    data = digits[0][:95]
    seed = 7
    expected = _readable_training(data, method, k, statistics, lr, batch_size, momentum, weight_decay, seed,
                                  fast_lr, T)
    rbm = RBM.random(64, 8, rng=123, scale=0.1, T=T)
    train_rbm(rbm, data, settings=TrainingSettings(method=method, k=k, lr=lr, epochs=1, batch_size=batch_size, momentum=momentum, weight_decay=weight_decay, shuffle=False, record_exact=False, statistics=statistics, fast_lr=fast_lr), rng=seed)
    for key in ("W", "b", "c"):
        np.testing.assert_allclose(rbm.params[key], expected.params[key], rtol=0, atol=1e-12)


def test_float32_kernel_trains_like_float64(digits):
    train, test = digits
    lls = {}
    for dtype in (np.float64, np.float32):
        rbm = RBM.random(64, 8, rng=0, scale=0.01)
        train_rbm(rbm, train[:500], settings=TrainingSettings(method="pcd", lr=0.05, epochs=3, record_exact=False, dtype=dtype), rng=0)
        assert rbm.W.dtype == np.float64 and np.all(np.isfinite(rbm.W))
        lls[dtype] = exact.log_likelihood(rbm, test)
    assert abs(lls[np.float64] - lls[np.float32]) < 1.5


# ---------------------------------------------------------------------------
# Estimators against the exact gradient
# ---------------------------------------------------------------------------
def test_cd_k_approaches_the_exact_gradient_as_k_grows():
    """CD-1 is biased on a slowly mixing RBM; by k = 20 the bias is below the Monte Carlo noise."""
    rng = np.random.default_rng(0)
    rbm = RBM(rng.normal(0, 2.0, (6, 3)), rng.normal(0, 1, 6), rng.normal(0, 1, 3))
    data = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0]], float)
    target = _flat(exact_gradient(rbm, data))
    many = np.repeat(data, 4000, axis=0)  # the estimate averaged over 4000 chains per data vector
    errors = {k: np.linalg.norm(_flat(cd_gradient(rbm, many, k, rng=k)) - target) for k in (1, 3, 20)}
    assert errors[1] > 0.3  # CD-1's bias (noise level is about 0.01)
    assert errors[1] > 2 * errors[3] > 2 * errors[20]
    assert errors[20] < 0.05


def test_exact_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    rbm = RBM(rng.normal(0, 0.5, (4, 3)), rng.normal(0, 0.5, 4), rng.normal(0, 0.5, 3), T=1.5)
    data = (rng.random((6, 4)) < 0.5).astype(float)
    grad = exact_gradient(rbm, data)
    eps = 1e-6
    for key in ("W", "b", "c"):
        index = (1, 2) if key == "W" else (1,)
        plus, minus = rbm.copy(), rbm.copy()
        plus.params[key][index] += eps
        minus.params[key][index] -= eps
        numeric = (exact.log_likelihood(plus, data) - exact.log_likelihood(minus, data)) / (2 * eps)
        assert numeric == pytest.approx(grad[key][index], abs=1e-7)


def test_cd_gradient_is_positive_minus_negative_phase():
    """Data all-on, model all-off: every component of the ascent direction is positive."""
    rbm = RBM(np.zeros((3, 2)), [-30.0] * 3, [0.0, 0.0])
    grad = cd_gradient(rbm, np.ones((5, 3)), k=1, rng=0)
    assert np.all(grad["b"] > 0.99) and np.all(grad["W"] > 0.49)


def test_pcd_with_tiny_learning_rate_tracks_the_model_distribution():
    """With lr -> 0 the model stands still and the persistent chains sample it."""
    rng = np.random.default_rng(3)
    rbm = RBM(rng.normal(0, 1.0, (5, 3)), rng.normal(0, 1, 5), rng.normal(0, 1, 3))
    before = rbm.copy()
    data = (rng.random((20, 5)) < 0.5).astype(float)
    history = train_rbm(rbm, data, settings=TrainingSettings(method="pcd", lr=1e-9, epochs=40, batch_size=20, n_chains=4000, record_exact=False), rng=4)
    assert np.max(np.abs(rbm.W - before.W)) < 1e-6
    fantasies = rbm.sample_visible(history.chains, rng=5)
    statistic, p_value = chi_square_test(fantasies, exact.probabilities(rbm))
    assert p_value > 1e-3
    # and the PCD estimate is then the exact gradient up to Monte Carlo noise
    grad, _ = pcd_gradient(rbm, data, history.chains, 1, rng=6)
    exact_grad = exact_gradient(rbm, data)
    assert np.linalg.norm(_flat(grad) - _flat(exact_grad)) < 0.1 * np.linalg.norm(_flat(exact_grad)) + 0.05


def test_fpcd_chains_run_on_regular_plus_fast_parameters():
    rbm = RBM.zeros(3, 2)
    fast = {"W": np.zeros((3, 2)), "b": np.full(3, 40.0), "c": np.zeros(2)}  # fast biases force v = 1
    grad, _ = fpcd_gradient(rbm, np.zeros((4, 3)), np.zeros((50, 2)), fast, k=1, rng=0)
    np.testing.assert_allclose(grad["b"], -1.0)  # data off, chains all on


# ---------------------------------------------------------------------------
# Training loops
# ---------------------------------------------------------------------------
def test_exact_gradient_training_increases_log_likelihood_monotonically():
    data = bars_and_stripes(3)
    rbm = RBM.random(9, 9, rng=0, scale=1.0)
    history = train_rbm(rbm, data, settings=TrainingSettings(method="exact", lr=0.5, epochs=100), rng=0)
    ll = np.array(history.train_log_likelihood)
    assert np.all(np.diff(ll) > 0)
    assert ll[-1] > ll[0] + 5.0  # from about -13.0 to -5.3 nats (the optimum is log(1/14) = -2.64)


def test_train_bm_fully_visible_and_with_hidden_units():
    data = bars_and_stripes(2)  # 6 images of 4 pixels
    fvbm = FullyVisibleBM.zeros(4)
    history = train_bm(fvbm, data, n_updates=40, settings=GradientAscent(lr=0.5))
    assert np.all(np.diff(history.train_log_likelihood) > 0)
    np.testing.assert_allclose(fvbm.W, fvbm.W.T)
    mask = block_mask([4, 2], [(0, 1)])  # an RBM-shaped Boltzmann machine
    bm = BoltzmannMachine.random(4, 2, rng=0, scale=0.1, mask=mask)
    history = train_bm(bm, data, n_updates=40, settings=GradientAscent(lr=0.2, momentum=0.5))
    assert history.n_updates == list(range(41))
    assert history.train_log_likelihood[-1] > history.train_log_likelihood[0]
    assert np.all(bm.W[~bm.mask] == 0)


@pytest.mark.parametrize("method", ["cd", "pcd", "fpcd"])
def test_stochastic_methods_learn_bars_and_stripes(method):
    data = bars_and_stripes(3)
    rbm = RBM.random(9, 8, rng=1, scale=0.5)
    rbm.b[:] = init_visible_bias(data)
    history = train_rbm(rbm, data, settings=TrainingSettings(method=method, k=1, lr=0.1, epochs=200, batch_size=7, momentum=0.5), rng=1)
    # from -6.5 nats to about -5.0 (uniform: -6.24; optimum: -2.64)
    assert history.train_log_likelihood[-1] > history.train_log_likelihood[0] + 0.8


def test_history_records_every_epoch(digits):
    train, test = digits
    rbm = RBM.random(64, 6, rng=0, scale=0.01)
    seen = []
    history = train_rbm(rbm, train[:200], settings=TrainingSettings(method="cd", epochs=3, record_cosine=True), rng=0, test_data=test[:50], callback=lambda epoch, model, h: seen.append(epoch))
    assert isinstance(history, History) and history.step == "epochs"
    assert history.epochs == [0, 1, 2, 3] and seen == [1, 2, 3]
    for series in (history.train_log_likelihood, history.test_log_likelihood, history.gradient_cosine):
        assert len(series) == 4 and np.all(np.isfinite(series))
    assert np.all(np.abs(history.gradient_cosine) <= 1.0)
    assert history.gradient_cosine[-1] > 0.5  # CD-1 points roughly uphill
    assert np.all(np.diff(history.seconds) >= 0)
    assert history.train_log_likelihood[-1] == pytest.approx(exact.log_likelihood(rbm, train[:200]))
    assert history.chains is None
    assert "cd" in repr(history)


def test_history_without_recording_and_early_stop():
    data = bars_and_stripes(3)
    rbm = RBM.random(9, 4, rng=0)
    history = train_rbm(rbm, data, settings=TrainingSettings(method="pcd", epochs=10, batch_size=5, record_exact=False), rng=0, callback=lambda epoch, model, h: epoch == 2)
    assert history.epochs == [0, 1, 2]
    assert np.all(np.isnan(history.train_log_likelihood))
    assert history.chains.shape == (5, 4)


def test_pcd_training_can_continue_from_its_chains():
    data = bars_and_stripes(3)
    a, b = RBM.random(9, 4, rng=0), RBM.random(9, 4, rng=0)
    rng = np.random.default_rng(5)
    history = train_rbm(a, data, settings=TrainingSettings(method="pcd", epochs=3, batch_size=7, record_exact=False), rng=rng)
    train_rbm(a, data, settings=TrainingSettings(method="pcd", epochs=2, batch_size=7, record_exact=False), rng=rng, chains=history.chains)
    train_rbm(b, data, settings=TrainingSettings(method="pcd", epochs=5, batch_size=7, record_exact=False), rng=5)
    np.testing.assert_allclose(a.W, b.W, rtol=0, atol=1e-12)


def test_training_is_reproducible_and_rng_stream_continues():
    data = bars_and_stripes(3)
    a, b = RBM.random(9, 4, rng=0), RBM.random(9, 4, rng=0)
    train_rbm(a, data, settings=TrainingSettings(method="pcd", epochs=5, batch_size=4, record_exact=False), rng=11)
    train_rbm(b, data, settings=TrainingSettings(method="pcd", epochs=5, batch_size=4, record_exact=False), rng=np.random.default_rng(11))
    np.testing.assert_array_equal(a.W, b.W)
    c = RBM.random(9, 4, rng=0)
    train_rbm(c, data, settings=TrainingSettings(method="pcd", epochs=5, batch_size=4, record_exact=False), rng=12)
    assert not np.array_equal(a.W, c.W)


def test_weight_decay_shrinks_weights():
    data = bars_and_stripes(3)
    norms = []
    for decay in (0.0, 0.1):
        rbm = RBM.random(9, 6, rng=0, scale=0.1)
        train_rbm(rbm, data, settings=TrainingSettings(method="cd", epochs=30, batch_size=7, weight_decay=decay, record_exact=False), rng=0)
        norms.append(np.linalg.norm(rbm.W))
    assert norms[1] < 0.8 * norms[0]


def test_training_that_diverges_raises():
    rbm = RBM.random(9, 4, rng=0)
    with pytest.raises(FloatingPointError, match="lr"):
        train_rbm(rbm, bars_and_stripes(3), settings=TrainingSettings(method="cd", lr=1e308, epochs=50, batch_size=14, record_exact=False, momentum=0.9), rng=0)


# ---------------------------------------------------------------------------
# Practical-guide helpers and fast sampling
# ---------------------------------------------------------------------------
def test_init_visible_bias_gives_the_base_rate_model():
    data = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 0], [0, 1, 0]], float)
    b = init_visible_bias(data, eps=0.01)
    model = RBM(np.zeros((3, 2)), b, np.zeros(2))
    np.testing.assert_allclose(exact.marginals(model)[:3], [0.75, 0.5, 0.01])


def test_momentum_schedule_and_callable_momentum():
    schedule = momentum_schedule(0.5, 0.9, switch_epoch=2)
    assert [schedule(e) for e in range(4)] == [0.5, 0.5, 0.9, 0.9]
    data = bars_and_stripes(3)
    a, b = RBM.random(9, 4, rng=0), RBM.random(9, 4, rng=0)
    train_rbm(a, data, settings=TrainingSettings(epochs=8, batch_size=7, momentum="hinton", record_exact=False), rng=0)
    train_rbm(b, data, settings=TrainingSettings(epochs=8, batch_size=7, momentum=momentum_schedule(), record_exact=False), rng=0)
    np.testing.assert_array_equal(a.W, b.W)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sample_chains_samples_the_model(dtype):
    rng = np.random.default_rng(2)
    rbm = RBM(rng.normal(0, 1.0, (5, 3)), rng.normal(0, 1, 5), rng.normal(0, 1, 3), T=1.3)
    samples = sample_chains(rbm, np.zeros((5000, 5)), 30, rng=8, dtype=dtype)
    assert samples.dtype == np.float64 and set(np.unique(samples)) <= {0.0, 1.0}
    statistic, p_value = chi_square_test(samples, exact.probabilities(rbm))
    assert p_value > 1e-3
    wrong = RBM(rbm.W, rbm.b + 0.5, rbm.c, T=rbm.T)
    assert chi_square_test(samples, exact.probabilities(wrong))[1] < 1e-6  # the check has power


def test_progress_bar_is_optional(capsys):
    rbm = RBM.random(9, 4, rng=0)
    train_rbm(rbm, bars_and_stripes(3), settings=TrainingSettings(epochs=2, batch_size=7, record_exact=False), rng=0, progress=True)
    train_rbm(rbm, bars_and_stripes(3), settings=TrainingSettings(epochs=2, batch_size=7, record_exact=False), rng=0)
    assert capsys.readouterr().out == ""  # tqdm, if installed, writes to stderr only


def test_momentum_switching_on_uses_the_previous_step(digits):
    """With momentum 0 in epoch 1 and 0.9 in epoch 2, the first momentum step reuses epoch 1's last step."""
    data = digits[0][:40]
    rbm = RBM.random(64, 8, rng=123, scale=0.1)
    train_rbm(rbm, data, settings=TrainingSettings(method="pcd", lr=0.1, epochs=2, batch_size=10, shuffle=False, record_exact=False, momentum=momentum_schedule(0.0, 0.9, switch_epoch=1)), rng=3)
    expected = RBM.random(64, 8, rng=123, scale=0.1)
    rng, chains = np.random.default_rng(3), np.zeros((10, 8))
    delta = {key: np.zeros_like(value) for key, value in expected.params.items()}
    for momentum in (0.0, 0.9):
        for first in range(0, 40, 10):
            grad, chains = pcd_gradient(expected, data[first : first + 10], chains, 1, rng)
            for key, value in expected.params.items():
                delta[key] = momentum * delta[key] + 0.1 * grad[key]
                value += delta[key]
    np.testing.assert_allclose(rbm.W, expected.W, rtol=0, atol=1e-12)


def test_history_is_one_read_only_record_with_checked_columns():
    import pickle

    h = History("pcd", {"epochs": [0, 1], "train_log_likelihood": [-3.0, -2.5]}, step="epochs",
                final={"chains": np.zeros((2, 3))})
    assert h.columns == ("epochs", "train_log_likelihood") and h.final == ("chains",) and len(h) == 2
    assert repr(h) == ("History('pcd', 2 records at epochs 0..1; columns train_log_likelihood (last -2.5); "
                       "final chains)")
    with pytest.raises(AttributeError, match="read-only"):
        h.chains = None
    with pytest.raises(AttributeError, match="has no 'test_log_likelihood'; columns: epochs, train_log_likelihood"):
        h.test_log_likelihood
    with pytest.raises(ValueError, match="exactly the columns"):
        h.append(epochs=2)
    copy = pickle.loads(pickle.dumps(h))
    assert copy.train_log_likelihood == [-3.0, -2.5] and copy.chains.shape == (2, 3)
    assert h.with_final(chains=None).chains is None and h.chains is not None
    for columns, step, final, match in [
        ({"epochs": [0]}, "n_updates", None, "must include the step column 'n_updates'"),
        ({"n_updates": [0, 1], "x": [1.0]}, "n_updates", None, "one entry per recorded step"),
        ({"n_updates": [0], "append": [1]}, "n_updates", None, "'append' cannot be the name"),
        ({"n_updates": [0]}, "n_updates", {"n_updates": 3}, "both a column and a final field"),
        ({"n_updates": [0]}, "sweeps", None, "step must be one of"),
    ]:
        with pytest.raises(ValueError, match=match):
            History("exact", columns, step=step, final=final)
