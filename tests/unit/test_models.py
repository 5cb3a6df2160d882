"""Energies, conditionals and sign conventions of the models in dreambook.models.

Brute-force references are written out here with explicit loops, independently
of the vectorised code under test.
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dreambook.models import RBM, BoltzmannMachine, FullyVisibleBM, block_mask


def states(n):
    return [np.array(s, dtype=float) for s in itertools.product([0, 1], repeat=n)]


def loop_energy(W, b, x):
    """E(x) = -sum_{i<j} W_ij x_i x_j - sum_i b_i x_i, written as loops."""
    n = len(b)
    e = -sum(b[i] * x[i] for i in range(n))
    for i in range(n):
        for j in range(i + 1, n):
            e -= W[i, j] * x[i] * x[j]
    return e


def loop_rbm_energy(W, b, c, v, h):
    """E(v, h) = -sum_ij v_i W_ij h_j - sum_i b_i v_i - sum_j c_j h_j."""
    e = -sum(b[i] * v[i] for i in range(len(b))) - sum(c[j] * h[j] for j in range(len(c)))
    for i in range(len(b)):
        for j in range(len(c)):
            e -= v[i] * W[i, j] * h[j]
    return e


temperatures = st.floats(min_value=0.2, max_value=5.0)
seeds = st.integers(min_value=0, max_value=2**31 - 1)


# ---------------------------------------------------------------------------
# FullyVisibleBM / BoltzmannMachine
# ---------------------------------------------------------------------------
def test_fvbm_energy_matches_pairwise_sum():
    m = FullyVisibleBM.random(5, rng=1)
    X = np.array(states(5))
    expected = np.array([loop_energy(m.W, m.b, x) for x in X])
    np.testing.assert_allclose(m.energy(X), expected, rtol=1e-13, atol=1e-13)
    assert isinstance(m.energy(X[3]), float)
    assert m.energy(X).shape == (32,)


def test_unnormalized_log_prob_is_minus_energy_over_T():
    m = FullyVisibleBM.random(4, rng=2, T=2.5)
    X = np.array(states(4))
    np.testing.assert_allclose(m.unnormalized_log_prob(X), -m.energy(X) / 2.5)
    np.testing.assert_allclose(m.unnormalized_log_prob(X, T=0.5), -m.energy(X) / 0.5)
    assert m.T == 2.5  # the keyword does not change the model


def test_lower_energy_means_higher_probability():
    m = FullyVisibleBM.random(4, rng=3)
    X = np.array(states(4))
    e = m.energy(X)
    logp = m.unnormalized_log_prob(X)
    lo, hi = np.argmin(e), np.argmax(e)
    assert logp[lo] > logp[hi]
    # the ordering by probability is exactly the reverse ordering by energy
    assert np.all(np.argsort(-logp, kind="stable") == np.argsort(e, kind="stable"))


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=st.integers(2, 6), T=temperatures)
def test_local_field_is_energy_gap_and_gives_gibbs_conditional(seed, n, T):
    rng = np.random.default_rng(seed)
    m = FullyVisibleBM.random(n, rng=rng, T=T)
    x = rng.integers(0, 2, size=n).astype(float)
    u = m.local_field(x)
    for i in range(n):
        x0, x1 = x.copy(), x.copy()
        x0[i], x1[i] = 0.0, 1.0
        assert u[i] == pytest.approx(m.energy(x0) - m.energy(x1), abs=1e-12)
        # p(x_i = 1 | rest) as a ratio of joint probabilities
        p1, p0 = np.exp(-m.energy(x1) / T), np.exp(-m.energy(x0) / T)
        assert p1 / (p0 + p1) == pytest.approx(1 / (1 + np.exp(-u[i] / T)), rel=1e-10)


def test_sufficient_statistics_inner_product_gives_minus_energy():
    m = FullyVisibleBM.random(5, rng=4)
    for x in states(5):
        s = m.sufficient_statistics(x)
        pairs = sum(m.W[i, j] * s["W"][i, j] for i in range(5) for j in range(i + 1, 5))
        assert pairs + m.b @ s["b"] == pytest.approx(-m.energy(x), abs=1e-12)
        assert np.all(np.diag(s["W"]) == 0)
        np.testing.assert_array_equal(s["W"], s["W"].T)


def test_sufficient_statistics_are_means_over_a_batch():
    m = FullyVisibleBM.zeros(3)
    X = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 0]], dtype=float)
    s = m.sufficient_statistics(X)
    assert s["W"][0, 1] == pytest.approx(2 / 4)
    assert s["W"][1, 2] == pytest.approx(1 / 4)
    np.testing.assert_allclose(s["b"], [3 / 4, 2 / 4, 2 / 4])


def test_params_are_the_live_arrays_and_copy_is_independent():
    m = FullyVisibleBM.random(3, rng=5)
    m.params["b"][0] = 7.0
    assert m.b[0] == 7.0
    c = m.copy()
    c.W[0, 1] = c.W[1, 0] = 99.0
    assert m.W[0, 1] != 99.0
    assert c.T == m.T


def test_constructor_copies_its_inputs():
    W = np.zeros((2, 2))
    b = np.zeros(2)
    m = FullyVisibleBM(W, b)
    b[0] = 5.0
    assert m.b[0] == 0.0


def test_temperature_attribute_is_validated_on_assignment():
    m = FullyVisibleBM.zeros(2)
    m.T = 3
    assert m.T == 3.0 and isinstance(m.T, float)
    with pytest.raises(ValueError, match="T must be"):
        m.T = 0.0


def test_temperature_scaling_equals_scaling_the_parameters():
    """exp(-E/T) with parameters theta equals exp(-E) with parameters theta/T."""
    m = FullyVisibleBM.random(4, rng=6, T=3.0)
    scaled = FullyVisibleBM(m.W / 3.0, m.b / 3.0, T=1.0)
    X = np.array(states(4))
    np.testing.assert_allclose(m.unnormalized_log_prob(X), scaled.unnormalized_log_prob(X))


def test_random_model_is_symmetric_with_zero_diagonal():
    m = FullyVisibleBM.random(6, rng=7, scale=0.5)
    np.testing.assert_array_equal(m.W, m.W.T)
    assert np.all(np.diag(m.W) == 0)
    assert FullyVisibleBM.random(6, rng=7, scale=0.5).W[0, 1] == m.W[0, 1]  # seeded


def test_block_mask_for_the_424_encoder():
    mask = block_mask([4, 4, 2], [(0, 0), (1, 1), (0, 2), (1, 2)])
    assert mask.shape == (10, 10)
    assert not mask[:4, 4:8].any() and not mask[4:8, :4].any()  # no V1-V2
    assert mask[:4, 8:].all() and mask[4:8, 8:].all()  # V1-H and V2-H
    assert not mask[8, 9]  # no H-H
    assert not np.diag(mask).any()
    np.testing.assert_array_equal(mask, mask.T)


def test_boltzmann_machine_respects_mask():
    mask = block_mask([4, 4, 2], [(0, 0), (1, 1), (0, 2), (1, 2)])
    bm = BoltzmannMachine.random(8, 2, rng=8, mask=mask)
    assert np.all(bm.W[~mask] == 0)
    assert np.all(bm.W[mask] != 0)
    assert (bm.n_visible, bm.n_hidden, bm.n_units) == (8, 2, 10)
    s = bm.sufficient_statistics(np.ones(10))
    assert np.all(s["W"][~mask] == 0) and np.all(s["W"][mask] == 1)
    W = bm.W.copy()
    W[0, 4] = W[4, 0] = 1.0
    with pytest.raises(ValueError, match="W must be zero where mask is False"):
        BoltzmannMachine(W, bm.b, 8, mask=mask)


def test_boltzmann_machine_energy_is_joint_pairwise_energy():
    bm = BoltzmannMachine.random(3, 2, rng=9, T=0.7)
    for x in states(5):
        assert bm.energy(x) == pytest.approx(loop_energy(bm.W, bm.b, x), abs=1e-12)
        assert bm.unnormalized_log_prob(x) == pytest.approx(-bm.energy(x) / 0.7)
    c = bm.copy()
    assert c.n_visible == 3 and np.array_equal(c.mask, bm.mask)


# ---------------------------------------------------------------------------
# RBM
# ---------------------------------------------------------------------------
def test_rbm_energy_matches_loops():
    rbm = RBM(*[np.random.default_rng(10).normal(size=s) for s in [(3, 2), 3, 2]])
    for v in states(3):
        for h in states(2):
            assert rbm.energy(v, h) == pytest.approx(loop_rbm_energy(rbm.W, rbm.b, rbm.c, v, h))
    V = np.array(states(3))
    H = np.ones((8, 2))
    assert rbm.energy(V, H).shape == (8,)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, nv=st.integers(1, 5), nh=st.integers(1, 4), T=temperatures)
def test_free_energy_identity(seed, nv, nh, T):
    """exp(-F(v)/T) = sum_h exp(-E(v, h)/T)."""
    rng = np.random.default_rng(seed)
    rbm = RBM(rng.normal(size=(nv, nh)) * 2, rng.normal(size=nv), rng.normal(size=nh), T=T)
    for v in states(nv):
        total = sum(np.exp(-rbm.energy(v, h) / T) for h in states(nh))
        assert np.exp(-rbm.free_energy(v) / T) == pytest.approx(total, rel=1e-10)
        assert rbm.unnormalized_log_prob(v) == pytest.approx(np.log(total), rel=1e-10, abs=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, nv=st.integers(1, 4), nh=st.integers(1, 4), T=temperatures)
def test_rbm_conditionals_match_ratio_of_joint_probabilities(seed, nv, nh, T):
    rng = np.random.default_rng(seed)
    rbm = RBM(rng.normal(size=(nv, nh)) * 2, rng.normal(size=nv), rng.normal(size=nh), T=T)
    v = rng.integers(0, 2, nv).astype(float)
    h = rng.integers(0, 2, nh).astype(float)
    ph = rbm.hidden_probs(v)
    for j in range(nh):
        h0, h1 = h.copy(), h.copy()
        h0[j], h1[j] = 0, 1
        w0, w1 = np.exp(-rbm.energy(v, h0) / T), np.exp(-rbm.energy(v, h1) / T)
        assert ph[j] == pytest.approx(w1 / (w0 + w1), rel=1e-10)
    pv = rbm.visible_probs(h)
    for i in range(nv):
        v0, v1 = v.copy(), v.copy()
        v0[i], v1[i] = 0, 1
        w0, w1 = np.exp(-rbm.energy(v0, h) / T), np.exp(-rbm.energy(v1, h) / T)
        assert pv[i] == pytest.approx(w1 / (w0 + w1), rel=1e-10)


def test_rbm_temperature_keyword_overrides():
    rbm = RBM.random(3, 2, rng=11, scale=1.0)
    v = np.array([1.0, 0.0, 1.0])
    pre = v @ rbm.W + rbm.c
    np.testing.assert_allclose(rbm.hidden_probs(v, T=2.0), 1 / (1 + np.exp(-pre / 2.0)))
    np.testing.assert_allclose(rbm.hidden_probs(v), 1 / (1 + np.exp(-pre)))


def test_rbm_samples_have_the_right_means():
    rbm = RBM(np.array([[2.0, -1.0], [0.5, 0.0]]), np.array([0.3, -0.2]), np.array([-0.5, 1.0]))
    V = np.tile([1.0, 0.0], (20000, 1))
    H = rbm.sample_hidden(V, rng=12)
    assert set(np.unique(H)) <= {0.0, 1.0} and H.dtype == np.float64
    p = rbm.hidden_probs(V[0])
    se = np.sqrt(p * (1 - p) / len(V))
    assert np.all(np.abs(H.mean(axis=0) - p) < 4 * se)
    Vs = rbm.sample_visible(np.ones((20000, 2)), rng=13)
    q = rbm.visible_probs(np.ones(2))
    assert np.all(np.abs(Vs.mean(axis=0) - q) < 4 * np.sqrt(q * (1 - q) / 20000))


def test_rbm_sampling_is_reproducible_from_a_seed():
    rbm = RBM.random(5, 4, rng=0, scale=1.0)
    v = np.ones((3, 5))
    np.testing.assert_array_equal(rbm.sample_hidden(v, rng=42), rbm.sample_hidden(v, rng=42))


def test_rbm_random_and_copy():
    rbm = RBM.random(6, 4, rng=14)
    assert rbm.W.shape == (6, 4) and np.all(rbm.b == 0) and np.all(rbm.c == 0)
    assert 0.005 < rbm.W.std() < 0.02  # scale=0.01
    assert (rbm.n_visible, rbm.n_hidden) == (6, 4)
    assert set(rbm.params) == {"W", "b", "c"}
    c = rbm.copy()
    c.W[0, 0] = 5.0
    assert rbm.W[0, 0] != 5.0


def test_rbm_sufficient_statistics_inner_product_gives_minus_energy():
    rbm = RBM.random(3, 2, rng=15, scale=1.0)
    rbm.b[:] = [0.1, -0.2, 0.3]
    rbm.c[:] = [0.5, -1.0]
    v, h = np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0])
    s = rbm.sufficient_statistics(v, h)
    total = np.sum(rbm.W * s["W"]) + rbm.b @ s["b"] + rbm.c @ s["c"]
    assert total == pytest.approx(-rbm.energy(v, h))


def test_huge_weights_give_finite_results_without_warnings():
    rng = np.random.default_rng(16)
    W = rng.choice([-1e3, 1e3], size=(6, 5))
    rbm = RBM(W, rng.normal(size=6) * 1e3, rng.normal(size=5) * 1e3)
    upper = np.triu(rng.choice([-1e3, 1e3], size=(6, 6)), 1)
    m = FullyVisibleBM(upper + upper.T, rng.normal(size=6) * 1e3, T=0.01)
    V = np.array(states(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in (
            rbm.free_energy(V),
            rbm.unnormalized_log_prob(V, T=1e-3),
            rbm.hidden_probs(V),
            rbm.visible_probs(np.ones((2, 5))),
            m.energy(V),
            m.unnormalized_log_prob(V),
        ):
            assert np.all(np.isfinite(values))
    # same numbers as numpy's own stable softplus, np.logaddexp(0, a)
    pre = V @ rbm.W + rbm.c
    np.testing.assert_allclose(
        rbm.free_energy(V), -V @ rbm.b - np.logaddexp(0, pre).sum(1), rtol=1e-13
    )
