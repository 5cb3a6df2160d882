"""Unit tests: ground_state, irl, inverse_opt, eqprop, predictive_coding (chapter 10's modules)."""

import numpy as np
import pytest

from dreambook import eqprop, exact, ground_state, inverse_opt, irl
from dreambook import predictive_coding as pc
from dreambook.models import BoltzmannMachine, FullyVisibleBM, RBM


# -- ground_state -----------------------------------------------------------------
def test_ground_states_and_tie():
    m = FullyVisibleBM([[0.0, -2.0], [-2.0, 0.0]], [1.0, 1.0])
    np.testing.assert_array_equal(ground_state.ground_states(m), [[0, 1], [1, 0]])
    s = ground_state.ground_state_statistics(m)
    np.testing.assert_allclose(s["b"], [0.5, 0.5])
    assert s["W"][0, 1] == 0.0


def test_tempered_statistics_approach_ground_state_and_leave_model_alone():
    m = FullyVisibleBM.random(5, rng=0, scale=2.0)
    T_before = m.T
    cold = ground_state.tempered_statistics(m, 0.02)
    gs = ground_state.ground_state_statistics(m)
    _, gap = ground_state.energy_levels(m)
    assert m.T == T_before
    assert max(np.abs(cold[k] - gs[k]).max() for k in gs) <= 2 * 31 * np.exp(-gap / 0.02) + 1e-15


def test_zero_temperature_gradient_with_hidden_units_is_limit_of_exact_gradient():
    bm = BoltzmannMachine.random(3, 2, rng=1, scale=1.5)
    data = exact.sample(bm, 10, rng=2)
    g0 = ground_state.zero_temperature_gradient(bm, data)
    m = bm.copy()
    m.T = 1e-4   # this model has a hidden completion within ~0.005 of another: go cold
    g = exact.log_likelihood_gradient(m, data)
    assert max(np.abs(1e-4 * g[k] - g0[k]).max() for k in g) < 1e-8


def test_ground_state_bad_inputs():
    with pytest.raises(TypeError, match="model must be"):
        ground_state.ground_states(RBM.zeros(2, 2))
    with pytest.raises(ValueError, match="T must be"):
        ground_state.tempered_statistics(FullyVisibleBM.zeros(2), 0.0)
    with pytest.raises(ValueError, match="data must"):
        ground_state.zero_temperature_gradient(FullyVisibleBM.zeros(2), [[0.5, 1.0]])


# -- irl ----------------------------------------------------------------------------
@pytest.fixture
def tiny():
    return irl.make_terrain_world([[0, 1, 0], [2, 0, 1]], (0, 0), (1, 2), horizon=4)


def test_irl_recursion_matches_enumeration_at_any_temperature(tiny):
    from scipy.special import logsumexp

    P = irl.all_paths(tiny)
    F = irl.path_features(tiny, P)
    theta = np.array([0.3, -1.2])
    for T in (0.3, 1.0, 2.5):
        assert irl.log_partition(tiny, theta, T) == pytest.approx(logsumexp(F @ theta / T), rel=1e-12)
    D = irl.visitation(tiny, theta, 1.0)
    np.testing.assert_allclose(D.reshape(D.shape[0], -1).sum(axis=1), 1.0, rtol=1e-12)


def test_best_path_is_the_argmax_and_the_cold_limit(tiny):
    P = irl.all_paths(tiny)
    theta = np.array([0.3, -1.2])
    F = irl.path_features(tiny, P)
    best = irl.path_features(tiny, irl.best_path(tiny, theta))[0]
    assert best @ theta == pytest.approx(np.max(F @ theta))
    np.testing.assert_allclose(irl.expected_features(tiny, theta, 0.01), best, atol=1e-6)


def test_sample_paths_are_valid_and_match_expectation(tiny):
    theta = np.array([0.3, -1.2])
    S = irl.sample_paths(tiny, theta, 4000, rng=0)
    irl.path_features(tiny, S)   # validates every path
    np.testing.assert_allclose(irl.path_features(tiny, S).mean(axis=0),
                               irl.expected_features(tiny, theta), atol=0.05)
    np.testing.assert_array_equal(S, irl.sample_paths(tiny, theta, 4000, rng=0))


def test_irl_bad_inputs(tiny):
    with pytest.raises(TypeError, match="rng"):
        irl.sample_paths(tiny, [0.0, 0.0], 3, rng=None)
    with pytest.raises(ValueError, match="theta must have shape"):
        irl.log_partition(tiny, [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="T must be"):
        irl.log_partition(tiny, [0.0, 0.0], T=-1.0)
    with pytest.raises(ValueError, match="horizon must be at least"):
        irl.make_terrain_world([[0, 1], [0, 1]], (0, 0), (1, 1), horizon=1)
    with pytest.raises(ValueError, match="start must be"):
        irl.make_terrain_world([[0, 1], [0, 1]], (5, 0), (1, 1), horizon=3)
    bad = np.array([[0, 0], [0, 2], [1, 2], [1, 2], [1, 2]])   # jumps two cells
    with pytest.raises(ValueError, match="at most one cell"):
        irl.path_features(tiny, bad)
    with pytest.raises(ValueError, match="begin at world.start"):
        irl.path_features(tiny, np.array([[0, 1], [0, 2], [1, 2], [1, 2], [1, 2]]))
    with pytest.raises(ValueError, match="terrain must"):
        irl.make_terrain_world([[0, -1]], (0, 0), (0, 1), horizon=1)


# -- inverse_opt ---------------------------------------------------------------------
def test_optimal_trajectory_solves_the_first_order_condition():
    task = inverse_opt.ReachingTask([0.0, 0.0], [1.0, -0.5], 6, velocity=[0.1, 0.2])
    w = np.array([0.2, 0.5, 0.3])
    x = inverse_opt.optimal_trajectory(task, w)
    c0 = w @ inverse_opt.features(task, x)
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = x.copy()
        y[1:] += 1e-3 * rng.standard_normal(y[1:].shape)
        assert w @ inverse_opt.features(task, y) > c0


def test_contrastive_gradient_matches_finite_differences_and_loss_is_zero_at_truth():
    tasks = inverse_opt.reaching_tasks([[0, 0], [1, 0]], [[1, 1], [-1, 0.5]], 8)
    w_true = np.array([0.3, 0.4, 0.3])
    obs = [inverse_opt.optimal_trajectory(t, w_true) for t in tasks]
    assert abs(inverse_opt.contrastive_loss(tasks, obs, w_true)) < 1e-14
    w = np.array([0.5, 0.2, 0.3])
    g = inverse_opt.contrastive_gradient(tasks, obs, w)
    h = 1e-6
    fd = [(inverse_opt.contrastive_loss(tasks, obs, w + h * e)
           - inverse_opt.contrastive_loss(tasks, obs, w - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-10)


def test_expected_features_match_gaussian_samples():
    task = inverse_opt.ReachingTask([0.0, 0.0], [1.0, 0.0], 5)
    w, T = np.array([0.3, 0.4, 0.3]), 0.01
    terms = task.terms()
    A = sum(wk * M.T @ M for wk, (M, _) in zip(w, terms))
    z = inverse_opt.optimal_trajectory(task, w)[1:]
    rng = np.random.default_rng(0)
    cov = T / 2 * np.linalg.inv(A)
    samples = np.stack([rng.multivariate_normal(z[:, c], cov, 20000) for c in range(2)], axis=-1)
    f = np.array([[np.sum((M @ s - d) ** 2) for M, d in terms] for s in samples])
    np.testing.assert_allclose(f.mean(axis=0), inverse_opt.expected_features(task, w, T), rtol=0.03)


def test_project_to_simplex():
    p = inverse_opt.project_to_simplex([2.0, -1.0, 0.5])
    assert p.sum() == pytest.approx(1.0) and np.all(p >= 0)
    np.testing.assert_allclose(p, [1.0, 0.0, 0.0])


def test_inverse_opt_bad_inputs():
    task = inverse_opt.ReachingTask([0.0, 0.0], [1.0, 0.0], 3)
    with pytest.raises(ValueError, match="non-negative"):
        inverse_opt.optimal_trajectory(task, [-0.1, 0.5, 0.6])
    with pytest.raises(ValueError, match="singular"):
        inverse_opt.optimal_trajectory(task, [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="start must have shape"):
        inverse_opt.ReachingTask([0.0], [1.0, 0.0], 3)
    with pytest.raises(ValueError, match="begin at task.start"):
        inverse_opt.features(task, np.ones((4, 2)))
    with pytest.raises(TypeError, match="rng"):
        inverse_opt.noisy_observations([task], [0.3, 0.3, 0.4], 0.1, rng=None)
    with pytest.raises(ValueError, match="same length"):
        inverse_opt.contrastive_gradient([task], [], [0.3, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got 0.0"):
        inverse_opt.fit([task], [np.zeros((4, 2))], 3, lr=0.0)


# -- eqprop ---------------------------------------------------------------------------
def test_true_gradient_matches_finite_differences():
    net = eqprop.Network.random(2, 3, 2, rng=4, scale=1.0)
    x, y = np.array([0.7, -0.2]), np.array([0.1, 0.5])
    g = eqprop.flatten(eqprop.true_gradient(net, x, y))
    fd = []
    for key in ("W1", "W2", "b1", "b2"):
        a = getattr(net, key)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + 1e-6
            lp = eqprop.loss(net, x, y)
            a[idx] = old - 1e-6
            lm = eqprop.loss(net, x, y)
            a[idx] = old
            fd.append((lp - lm) / 2e-6)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_settle_reaches_a_minimum_and_clamps():
    net = eqprop.Network.random(2, 3, 2, rng=4, scale=1.0)
    x, y = np.array([0.7, -0.2]), np.array([0.1, 0.5])
    h, o = eqprop.settle(net, x, y, clamp_output=True)
    np.testing.assert_array_equal(o, y)
    h0, o0 = eqprop.settle(net, x)
    assert eqprop.energy(net, x, h0, o0) <= eqprop.energy(net, x, h, o)   # CHL's objective >= 0


def test_eqprop_bad_inputs():
    net = eqprop.Network.random(2, 3, 2, rng=0)
    with pytest.raises(ValueError, match="x must have shape"):
        eqprop.settle(net, np.zeros(3))
    with pytest.raises(ValueError, match="y .* is required"):
        eqprop.settle(net, np.zeros(2), beta=0.1)
    with pytest.raises(ValueError, match="beta must be"):
        eqprop.eqprop_gradient(net, np.zeros(2), np.zeros(2), beta=0.0)
    with pytest.raises(ValueError, match="W2 must have shape"):
        eqprop.Network(np.zeros((3, 2)), np.zeros((2, 4)), np.zeros(3), np.zeros(2))
    with pytest.raises(TypeError, match="rng"):
        eqprop.Network.random(2, 3, 2, rng=None)
    with pytest.raises(RuntimeError, match="did not converge"):
        eqprop.settle(net, np.ones(2), max_iter=1, tol=1e-300)


def test_settle_from_a_given_state_and_the_contrastive_function():
    net = eqprop.Network.random(2, 3, 2, rng=4, scale=1.0)
    x, y = np.array([0.7, -0.2]), np.array([0.1, 0.5])
    h0, o0 = eqprop.settle(net, x)
    hc, oc = eqprop.settle(net, x, y, clamp_output=True)
    h1, o1 = eqprop.settle(net, x, init=(hc, oc))      # the same single minimum from elsewhere
    np.testing.assert_allclose(np.r_[h1, o1], np.r_[h0, o0], atol=1e-10)
    hci, oci = eqprop.settle(net, x, y, clamp_output=True, init=(h0, o0))   # clamping overrides init's o
    np.testing.assert_array_equal(oci, y)
    np.testing.assert_allclose(hci, hc, atol=1e-10)
    c = eqprop.contrastive_function(net, x, y)
    assert c == pytest.approx(eqprop.energy(net, x, hc, oc) - eqprop.energy(net, x, h0, o0), abs=1e-14)
    assert c > 0
    assert eqprop.contrastive_function(net, x, o0) == pytest.approx(0.0, abs=1e-12)   # target = prediction


def test_train_applies_the_rule_and_records_the_phases():
    net = eqprop.Network.random(2, 3, 1, rng=2, scale=1.0)
    X, Y = np.array([[1.0, -1.0], [0.5, 0.5]]), np.array([[0.4], [-0.3]])
    before = eqprop.flatten(net.params)
    hist = eqprop.train(net, X, Y, n_updates=1, settings=eqprop.Rule("chl", lr=0.3))
    trained = hist.net
    np.testing.assert_array_equal(eqprop.flatten(net.params), before)          # input untouched
    chl = np.mean([eqprop.flatten(eqprop.chl_direction(net, x, y)) for x, y in zip(X, Y)], axis=0)
    np.testing.assert_allclose(eqprop.flatten(trained.params), before - 0.3 * chl, atol=1e-13)
    assert hist.loss.shape == (1,) and hist.contrast.shape == (1, 2) and hist.output.shape == (1, 2, 1)
    assert hist.method == "chl" and list(hist.n_updates) == [0]
    assert hist.loss[0] == pytest.approx(np.mean([eqprop.loss(net, x, y) for x, y in zip(X, Y)]))
    assert hist.contrast[0, 1] == pytest.approx(eqprop.contrastive_function(net, X[1], Y[1]))
    grad = np.mean([eqprop.flatten(eqprop.true_gradient(net, x, y)) for x, y in zip(X, Y)], axis=0)
    assert hist.cosine[0] == pytest.approx(chl @ grad / np.linalg.norm(chl) / np.linalg.norm(grad),
                                              abs=1e-12)
    g_hist = eqprop.train(net, X, Y, n_updates=40, settings=eqprop.Rule("gradient", lr=0.5))
    g_trained = g_hist.net
    assert np.all(np.diff(g_hist.loss) < 0)                                     # descent on J
    np.testing.assert_allclose(g_hist.cosine, 1.0, atol=1e-12)
    e_trained = eqprop.train(net, X, Y, n_updates=40, settings=eqprop.Rule("eqprop", lr=0.5, beta=0.01)).net
    np.testing.assert_allclose(eqprop.flatten(e_trained.params), eqprop.flatten(g_trained.params),
                               atol=1e-4)


def test_train_and_settle_bad_inputs():
    net = eqprop.Network.random(2, 3, 1, rng=2)
    X, Y = np.zeros((2, 2)), np.zeros((2, 1))
    with pytest.raises(ValueError, match="rule must be one of"):
        eqprop.train(net, X, Y, n_updates=1, settings=eqprop.Rule("backprop", lr=0.1))
    with pytest.raises(ValueError, match="Y must have shape"):
        eqprop.train(net, X, np.zeros((3, 1)), n_updates=1, settings=eqprop.Rule("chl", lr=0.1))
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        eqprop.train(net, X, Y, n_updates=1, settings=eqprop.Rule("chl", lr=0.0))
    with pytest.raises(ValueError, match="n_updates"):
        eqprop.train(net, X, Y, n_updates=0, settings=eqprop.Rule("chl", lr=0.1))
    with pytest.raises(TypeError, match="settings must be a dreambook.eqprop.Rule"):
        eqprop.train(net, X, Y, n_updates=1, settings="chl")
    with pytest.raises(ValueError, match=r"init\[1\] \(o\) must have shape"):
        eqprop.settle(net, np.zeros(2), init=(np.zeros(3), np.zeros(2)))


# -- predictive coding ---------------------------------------------------------------------
def test_relaxed_state_is_stationary_and_update_is_local():
    net = pc.PCNetwork.random([2, 3, 2], rng=1)
    x, y = np.array([0.3, -0.6]), np.array([0.5, 0.1])
    xs = pc.relax(net, x, y, gamma=0.5)
    h = 1e-6
    for i in range(3):   # dF/dx_1 = 0 at the relaxed state
        e = np.zeros(3)
        e[i] = h
        up = pc.energy(net, [xs[0], xs[1] + e, xs[2]], 0.5)
        dn = pc.energy(net, [xs[0], xs[1] - e, xs[2]], 0.5)
        assert abs(up - dn) / (2 * h) < 1e-8


def test_backprop_gradient_matches_finite_differences():
    """The reference of the predictive-coding comparison is the true -dC/dW, C = |y - y_hat|^2 / 2."""
    net = pc.PCNetwork.random([3, 4, 2, 2], rng=3, scale=1.5)
    x, y = np.array([0.4, -0.7, 1.1]), np.array([0.5, -0.2])

    def cost():
        return 0.5 * float(np.sum((y - pc.feedforward(net, x)[-1]) ** 2))

    grads, h = pc.backprop_gradient(net, x, y), 1e-6
    for W, g in zip(net.W, grads):
        fd = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            W[idx] += h
            up = cost()
            W[idx] -= 2 * h
            dn = cost()
            W[idx] += h
            fd[idx] = -(up - dn) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_predictive_coding_bad_inputs():
    net = pc.PCNetwork.random([2, 3, 2], rng=1)
    with pytest.raises(ValueError, match="gamma must be"):
        pc.relax(net, np.zeros(2), np.zeros(2), gamma=0.0)
    with pytest.raises(ValueError, match="y must have shape"):
        pc.relax(net, np.zeros(2), np.zeros(3), gamma=1.0)
    with pytest.raises(ValueError, match="columns"):
        pc.PCNetwork([np.zeros((3, 2)), np.zeros((2, 4))], [np.zeros(3), np.zeros(2)])
    with pytest.raises(TypeError, match="rng"):
        pc.PCNetwork.random([2, 3], rng=None)
    with pytest.raises(RuntimeError, match="did not converge"):
        pc.relax(net, np.ones(2), np.array([3.0, -3.0]), gamma=1.0, max_iter=2)
