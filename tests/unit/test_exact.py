"""Exact enumeration in dreambook.exact, checked against brute force and finite differences."""

import itertools
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

import dreambook.exact as exact
from dreambook.exact import (
    all_states,
    data_statistics,
    entropy,
    kl_divergence,
    log_likelihood,
    log_likelihood_gradient,
    log_partition,
    log_prob,
    marginals,
    model_statistics,
    probabilities,
)
from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM, block_mask

seeds = st.integers(min_value=0, max_value=2**31 - 1)
temperatures = st.floats(min_value=0.2, max_value=5.0)


def product_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def brute_rbm_joint_log_weights(rbm):
    """-E(v, h)/T for every (v, h), shape (2**nv, 2**nh), by explicit double enumeration."""
    V, H = product_states(rbm.n_visible), product_states(rbm.n_hidden)
    return np.array([[-rbm.energy(v, h) / rbm.T for h in H] for v in V])


def random_rbm(rng, nv, nh, scale=1.0, T=1.0):
    return RBM(rng.normal(size=(nv, nh)) * scale, rng.normal(size=nv), rng.normal(size=nh), T=T)


def encoder_bm(rng, T=1.0):
    mask = block_mask([2, 2, 2], [(0, 0), (1, 1), (0, 2), (1, 2)])
    return BoltzmannMachine.random(4, 2, rng=rng, mask=mask, T=T)


# ---------------------------------------------------------------------------
# all_states and limits
# ---------------------------------------------------------------------------
def test_all_states_order_and_shape():
    X = all_states(4)
    assert X.shape == (16, 4) and X.dtype == np.float64
    np.testing.assert_array_equal(X, product_states(4))  # first unit most significant
    for k in range(16):
        assert all(X[k, i] == (k >> (4 - 1 - i)) & 1 for i in range(4))
    assert all_states(0).shape == (1, 0)


def test_all_states_limit_can_be_raised():
    with pytest.raises(ValueError, match="max_units"):
        all_states(25)
    assert all_states(3, max_units=3).shape == (8, 3)
    with pytest.raises(ValueError, match="max_units"):
        all_states(4, max_units=3)


def test_enumeration_limits_are_enforced_and_adjustable():
    with pytest.raises(ValueError, match="too large to enumerate.*max_units=20"):
        log_partition(FullyVisibleBM.zeros(21))
    with pytest.raises(ValueError, match="max_units=4"):
        probabilities(FullyVisibleBM.zeros(5), max_units=4)
    assert log_partition(FullyVisibleBM.zeros(5), max_units=5) == pytest.approx(5 * np.log(2))
    with pytest.raises(ValueError, match="smaller RBM layer.*max_units=24"):
        log_partition(RBM.zeros(30, 25))
    with pytest.raises(ValueError, match="visible layer"):
        probabilities(RBM.zeros(21, 2))


# ---------------------------------------------------------------------------
# log Z, probabilities, log p
# ---------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=st.integers(1, 7), T=temperatures)
def test_fvbm_probabilities_are_the_normalized_boltzmann_weights(seed, n, T):
    m = FullyVisibleBM.random(n, rng=seed, T=T)
    X = product_states(n)
    weights = np.exp(-np.array([m.energy(x) for x in X]) / T)  # p ∝ exp(-E/T)
    p = probabilities(m)
    np.testing.assert_allclose(p, weights / weights.sum(), rtol=1e-10)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert log_partition(m) == pytest.approx(np.log(weights.sum()), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(log_prob(m, X), np.log(p), rtol=1e-10, atol=1e-12)


def test_temperature_flattens_and_sharpens_the_distribution():
    base = FullyVisibleBM.random(4, rng=1)
    p1 = probabilities(base)
    hot, cold = base.copy(), base.copy()
    hot.T, cold.T = 4.0, 0.25
    # p_T ∝ p_1 ** (1/T)
    for model, T in ((hot, 4.0), (cold, 0.25)):
        q = p1 ** (1 / T)
        np.testing.assert_allclose(probabilities(model), q / q.sum(), rtol=1e-10)
    assert entropy(probabilities(hot)) > entropy(p1) > entropy(probabilities(cold))


@settings(max_examples=30, deadline=None)
@given(seed=seeds, nv=st.integers(1, 6), nh=st.integers(1, 6), T=temperatures)
def test_rbm_log_partition_fast_path_equals_brute_force(seed, nv, nh, T):
    rbm = random_rbm(np.random.default_rng(seed), nv, nh, scale=2.0, T=T)
    brute = logsumexp(brute_rbm_joint_log_weights(rbm))
    assert abs(log_partition(rbm) - brute) <= 1e-12 * max(1.0, abs(brute))


@pytest.mark.parametrize("shape", [(7, 5), (4, 6), (3, 3)])
def test_rbm_log_partition_with_many_small_chunks(monkeypatch, shape):
    """Force the high/low split to produce many chunks (the large-model code path)."""
    rbm = random_rbm(np.random.default_rng(2), *shape, scale=1.5, T=0.8)
    brute = logsumexp(brute_rbm_joint_log_weights(rbm))
    monkeypatch.setattr(exact, "_CHUNK_ELEMENTS", 8)
    assert abs(log_partition(rbm) - brute) <= 1e-12 * abs(brute)
    stats = model_statistics(rbm)
    monkeypatch.undo()
    for key, value in model_statistics(rbm).items():
        np.testing.assert_allclose(stats[key], value, rtol=1e-11, atol=1e-14)


def test_rbm_enumerating_either_layer_gives_the_same_log_z():
    """At a size beyond brute force (2**28 joint states), sum over v or over h."""
    rbm = random_rbm(np.random.default_rng(3), 14, 14, scale=0.3)

    def log_z_by_enumerating(layer):
        layer_sum = exact._RBMLayerSum(rbm, layer)
        return logsumexp(
            [
                logsumexp(layer_sum.lin_low + lin_high + layer_sum.sum_softplus(z_high))
                for _, z_high, lin_high in layer_sum.chunks()
            ]
        )

    by_hidden, by_visible = log_z_by_enumerating("hidden"), log_z_by_enumerating("visible")
    assert by_hidden == pytest.approx(by_visible, rel=1e-12)
    assert log_partition(rbm) == pytest.approx(by_hidden, rel=1e-13)


@pytest.mark.parametrize("T", [1.0, 1e-3])
def test_rbm_with_weights_of_1e3_is_finite_exact_and_silent(T):
    rng = np.random.default_rng(4)
    W = rng.choice([-1e3, 1e3], size=(5, 4))
    rbm = RBM(W, rng.normal(size=5) * 1e3, rng.normal(size=4) * 1e3, T=T)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_z = log_partition(rbm)
        p = probabilities(rbm)
        stats = model_statistics(rbm)
        lp = log_prob(rbm, product_states(5))
    brute = logsumexp(brute_rbm_joint_log_weights(rbm))
    assert np.isfinite(log_z) and abs(log_z - brute) <= 1e-12 * abs(brute)
    assert p.sum() == pytest.approx(1.0) and np.all(np.isfinite(lp[p > 0]))
    assert all(np.all(np.isfinite(v)) for v in stats.values())


def test_pairwise_model_with_weights_of_1e3_is_finite_and_silent():
    rng = np.random.default_rng(5)
    upper = np.triu(rng.choice([-1e3, 1e3], size=(6, 6)), 1)
    m = FullyVisibleBM(upper + upper.T, rng.normal(size=6) * 1e3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_z = log_partition(m)
        stats = model_statistics(m)
        grad = log_likelihood_gradient(m, product_states(6)[:5])
    ground = min(m.energy(x) for x in product_states(6))
    assert np.isfinite(log_z) and log_z == pytest.approx(-ground)  # Z is dominated by one state
    assert all(np.all(np.isfinite(v)) for d in (stats, grad) for v in d.values())


def test_rbm_log_partition_memory_stays_bounded():
    rbm = RBM.random(64, 16, rng=6, scale=0.5)
    tracemalloc.start()
    try:
        log_partition(rbm)
        model_statistics(rbm)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


@settings(max_examples=30, deadline=None)
@given(seed=seeds, nv=st.integers(1, 5), nh=st.integers(1, 5), T=temperatures)
def test_rbm_probabilities_marginals_and_statistics_match_brute_force(seed, nv, nh, T):
    rbm = random_rbm(np.random.default_rng(seed), nv, nh, T=T)
    logw = brute_rbm_joint_log_weights(rbm)
    joint = np.exp(logw - logsumexp(logw))  # p(v, h)
    V, H = product_states(nv), product_states(nh)
    np.testing.assert_allclose(probabilities(rbm), joint.sum(axis=1), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(log_prob(rbm, V), np.log(joint.sum(axis=1)), rtol=1e-10, atol=1e-12)
    stats = model_statistics(rbm)
    np.testing.assert_allclose(stats["W"], V.T @ joint @ H, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(stats["b"], joint.sum(1) @ V, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(stats["c"], joint.sum(0) @ H, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(marginals(rbm), np.concatenate([stats["b"], stats["c"]]))


def test_boltzmann_machine_visible_marginal_and_joint():
    bm = encoder_bm(8, T=0.9)
    X = product_states(6)
    w = np.exp(-np.array([bm.energy(x) for x in X]) / bm.T)
    joint = w / w.sum()
    np.testing.assert_allclose(probabilities(bm, joint=True), joint, rtol=1e-10)
    marg = joint.reshape(16, 4).sum(axis=1)  # visible units are the high bits
    np.testing.assert_allclose(probabilities(bm), marg, rtol=1e-10)
    np.testing.assert_allclose(log_prob(bm, product_states(4)), np.log(marg), rtol=1e-10)
    assert isinstance(log_prob(bm, [1, 0, 1, 1]), float)
    np.testing.assert_allclose(marginals(bm), joint @ X, rtol=1e-10)


def test_rbm_joint_probabilities_match_brute_force():
    rbm = random_rbm(np.random.default_rng(30), 3, 2, T=1.2)
    logw = brute_rbm_joint_log_weights(rbm)
    np.testing.assert_allclose(
        probabilities(rbm, joint=True), np.exp(logw - logsumexp(logw)).ravel(), rtol=1e-12
    )
    with pytest.raises(ValueError, match="both layers"):
        probabilities(RBM.zeros(15, 6), joint=True)


def test_boltzmann_machine_without_hidden_units_is_a_fully_visible_bm():
    fv = FullyVisibleBM.random(4, rng=31)
    bm = BoltzmannMachine(fv.W, fv.b, n_visible=4)
    assert bm.n_hidden == 0
    data = np.array([[1, 0, 1, 1], [0, 1, 1, 0]], dtype=float)
    np.testing.assert_allclose(log_prob(bm, data), log_prob(fv, data), rtol=1e-12)
    for key in ("W", "b"):
        np.testing.assert_allclose(data_statistics(bm, data)[key], data_statistics(fv, data)[key])
        np.testing.assert_allclose(
            log_likelihood_gradient(bm, data)[key], log_likelihood_gradient(fv, data)[key]
        )


def test_boltzmann_machine_clamped_statistics_use_the_exact_posterior():
    bm = encoder_bm(9)
    data = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]], dtype=float)
    H = product_states(2)
    W_sum, b_sum = np.zeros((6, 6)), np.zeros(6)
    for v in data:
        joint_states = np.array([np.concatenate([v, h]) for h in H])
        w = np.exp(-np.array([bm.energy(x) for x in joint_states]))
        q = w / w.sum()  # p(h | v)
        W_sum += sum(qk * np.outer(x, x) for qk, x in zip(q, joint_states))
        b_sum += q @ joint_states
    expected_W = W_sum / 3 * bm.mask  # zero diagonal and unconnected pairs
    stats = data_statistics(bm, data)
    np.testing.assert_allclose(stats["W"], expected_W, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(stats["b"], b_sum / 3, rtol=1e-12)


def test_rbm_data_statistics_are_v_times_hidden_probabilities():
    rbm = RBM.random(4, 3, rng=10, scale=1.0)
    data = np.array([[1, 0, 1, 1], [0, 0, 1, 0]], dtype=float)
    P = 1 / (1 + np.exp(-(data @ rbm.W + rbm.c)))
    stats = data_statistics(rbm, data)
    np.testing.assert_allclose(stats["W"], data.T @ P / 2)
    np.testing.assert_allclose(stats["c"], P.mean(0))
    np.testing.assert_allclose(stats["b"], data.mean(0))


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------
def perturbations(model):
    """(key, index tuple, description) of every free parameter; symmetric pairs count once."""
    for key, value in model.params.items():
        if key == "W" and isinstance(model, (FullyVisibleBM, BoltzmannMachine)):
            allowed = getattr(model, "mask", np.ones_like(value, dtype=bool))
            for i, j in zip(*np.triu_indices(value.shape[0], k=1)):
                if allowed[i, j]:
                    yield key, (i, j)
        else:
            for idx in np.ndindex(value.shape):
                yield key, idx


def shifted(model, key, idx, h):
    m = model.copy()
    m.params[key][idx] += h
    if key == "W" and isinstance(m, (FullyVisibleBM, BoltzmannMachine)):
        m.params[key][idx[::-1]] += h  # W_ij and W_ji are one parameter
    return m


@pytest.mark.parametrize(
    "make_model, n_visible",
    [
        (lambda: FullyVisibleBM.random(4, rng=11, T=0.7), 4),
        (lambda: encoder_bm(12, T=1.3), 4),
        (lambda: BoltzmannMachine.random(3, 2, rng=13, scale=0.8), 3),
        (lambda: random_rbm(np.random.default_rng(14), 3, 2, T=0.8), 3),
        (lambda: random_rbm(np.random.default_rng(15), 2, 4), 2),
    ],
    ids=["fvbm", "bm-encoder-mask", "bm-full", "rbm", "rbm-wide"],
)
def test_log_likelihood_gradient_matches_central_finite_differences(make_model, n_visible):
    model = make_model()
    data = np.random.default_rng(16).integers(0, 2, size=(7, n_visible)).astype(float)
    grad = log_likelihood_gradient(model, data)
    assert set(grad) == set(model.params)
    h = 1e-5
    checked = 0
    for key, idx in perturbations(model):
        up = log_likelihood(shifted(model, key, idx, h), data)
        down = log_likelihood(shifted(model, key, idx, -h), data)
        fd = (up - down) / (2 * h)
        assert grad[key][idx] == pytest.approx(fd, abs=1e-7), (key, idx)
        checked += 1
    assert checked > 5
    if isinstance(model, (FullyVisibleBM, BoltzmannMachine)):
        np.testing.assert_array_equal(grad["W"], grad["W"].T)
        assert np.all(np.diag(grad["W"]) == 0)
        if isinstance(model, BoltzmannMachine):
            assert np.all(grad["W"][~model.mask] == 0)


@pytest.mark.parametrize(
    "model",
    [
        FullyVisibleBM.random(4, rng=17, T=1.7),
        encoder_bm(18, T=0.6),
        random_rbm(np.random.default_rng(19), 3, 3, T=1.4),
    ],
    ids=["fvbm", "bm", "rbm"],
)
def test_gradient_of_log_partition_is_the_model_expectation(model):
    """d log Z / d theta = E_p[d(-E)/d theta] / T."""
    stats = model_statistics(model)
    h = 1e-5
    for key, idx in perturbations(model):
        up = log_partition(shifted(model, key, idx, h))
        down = log_partition(shifted(model, key, idx, -h))
        fd = (up - down) / (2 * h)
        assert stats[key][idx] / model.T == pytest.approx(fd, abs=1e-7), (key, idx)


def test_maximum_likelihood_fit_matches_data_and_model_moments():
    """At the ML fit of a fully visible BM, E_data[stats] = E_model[stats] (moment matching)."""
    rng = np.random.default_rng(20)
    n = 5
    # full support (every state once) + random extra rows, so the ML fit exists
    data = np.vstack([product_states(n), rng.integers(0, 2, size=(40, n))]).astype(float)
    model = FullyVisibleBM.zeros(n)
    iu = np.triu_indices(n, k=1)
    X = product_states(n)
    features = np.hstack([X[:, iu[0]] * X[:, iu[1]], X])  # phi(x): pairs i<j, then units

    def flat(d):
        return np.concatenate([d["W"][iu], d["b"]])

    for _ in range(50):  # Newton's method on the concave log-likelihood
        g = flat(log_likelihood_gradient(model, data))
        p = probabilities(model)
        centred = features - p @ features
        hessian = -(centred.T * p) @ centred / model.T**2
        step = np.linalg.solve(hessian, -g)
        W = model.W.copy()
        W[iu] += step[: len(iu[0])]
        W.T[iu] = W[iu]
        model = FullyVisibleBM(W, model.b + step[len(iu[0]) :])
        if np.max(np.abs(g)) < 1e-12:
            break
    pos, neg = data_statistics(model, data), model_statistics(model)
    for key in ("W", "b"):
        np.testing.assert_allclose(pos[key], neg[key], atol=1e-6)
    # and the fit is a maximum: any small perturbation lowers the likelihood
    best = log_likelihood(model, data)
    for key, idx in list(perturbations(model))[:6]:
        assert log_likelihood(shifted(model, key, idx, 1e-3), data) < best


def test_gradient_ascent_increases_the_log_likelihood():
    rbm = RBM.random(4, 3, rng=21, scale=0.1)
    data = np.array([[1, 1, 0, 0], [0, 0, 1, 1]] * 3, dtype=float)
    before = log_likelihood(rbm, data)
    for _ in range(200):
        for key, g in log_likelihood_gradient(rbm, data).items():
            rbm.params[key] += 0.5 * g
    assert log_likelihood(rbm, data) > before + 1.0


# ---------------------------------------------------------------------------
# KL divergence and entropy
# ---------------------------------------------------------------------------
def test_kl_divergence_values_and_zeros():
    p = np.array([0.5, 0.5, 0.0])
    q = np.array([0.25, 0.25, 0.5])
    assert kl_divergence(p, q) == pytest.approx(np.log(2))
    assert kl_divergence(p, q, base=2) == pytest.approx(1.0)
    assert kl_divergence(p, p) == 0.0
    assert kl_divergence(q, p) == np.inf  # q puts mass where p has none
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl_divergence(q, p)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, k=st.integers(2, 20))
def test_kl_divergence_is_non_negative_and_zero_only_at_equality(seed, k):
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
    assert kl_divergence(p, q) >= 0
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-15)
    assert kl_divergence(p, q) == pytest.approx(np.sum(p * np.log(p / q)), rel=1e-10)


def test_entropy_in_bits():
    assert entropy([0.25] * 4, base=2) == pytest.approx(2.0)
    assert entropy([1.0, 0.0]) == 0.0
