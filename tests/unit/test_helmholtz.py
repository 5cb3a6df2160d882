"""The Helmholtz machine and wake-sleep: exact helpers against loops, phases against gradients.

Brute-force references below are written with explicit loops over units and
hidden states, independently of the vectorised code under test.
"""

import itertools

import numpy as np
import pytest

from dreambook import wake_sleep as ws
from dreambook.data import helmholtz_bars, helmholtz_bars_distribution
from dreambook.models import HelmholtzMachine


def bern(x, p):
    return p if x == 1 else 1.0 - p


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def loop_joint(hm, layers):
    """p(h, v) for one configuration, as a product of per-unit Bernoulli factors."""
    prob = 1.0
    for j, x in enumerate(layers[0]):
        prob *= bern(x, sig(hm.generative_biases[0][j]))
    for l in range(1, len(layers)):
        G, b = hm.generative_weights[l - 1], hm.generative_biases[l]
        for k, x in enumerate(layers[l]):
            a = b[k] + sum(layers[l - 1][j] * G[j, k] for j in range(len(layers[l - 1])))
            prob *= bern(x, sig(a))
    return prob


def loop_recognition(hm, layers):
    prob = 1.0
    for l in range(len(layers) - 1):
        R, c = hm.recognition_weights[l], hm.recognition_biases[l]
        for j, x in enumerate(layers[l]):
            a = c[j] + sum(layers[l + 1][k] * R[k, j] for k in range(len(layers[l + 1])))
            prob *= bern(x, sig(a))
    return prob


def configs(sizes):
    """Every configuration of the given layers, as lists of 1-d arrays (top first)."""
    for bits in itertools.product([0.0, 1.0], repeat=sum(sizes)):
        out, start = [], 0
        for s in sizes:
            out.append(np.array(bits[start:start + s]))
            start += s
        yield out


@pytest.fixture
def small():
    return HelmholtzMachine.random((1, 2, 3), rng=3, scale=1.5, visible_bias=-0.5)


def test_log_joint_and_log_recognition_match_loops(small):
    for layers in itertools.islice(configs(small.sizes), 0, None, 5):
        got = small.log_joint([x[None, :] for x in layers])[0]
        assert np.isclose(got, np.log(loop_joint(small, layers)), rtol=1e-12)
        got = small.log_recognition([x[None, :] for x in layers])[0]
        assert np.isclose(got, np.log(loop_recognition(small, layers)), rtol=1e-12)


def test_marginal_posterior_and_q_by_enumeration(small):
    V = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    p_v = np.exp(small.log_marginal(V))
    assert np.isclose(p_v.sum(), 1.0, rtol=1e-12)  # a directed net needs no partition function
    hidden = np.concatenate(small.hidden_states(), axis=1)
    assert hidden.shape == (8, 3)
    post = small.posterior(V)
    q = small.recognition_distribution(V)
    for i, v in enumerate(V):
        joint = [loop_joint(small, [h[:1], h[1:], v]) for h in hidden]
        assert np.isclose(p_v[i], sum(joint), rtol=1e-12)
        np.testing.assert_allclose(post[i], np.array(joint) / sum(joint), rtol=1e-10)
        np.testing.assert_allclose(q[i], [loop_recognition(small, [h[:1], h[1:], v])
                                          for h in hidden], rtol=1e-10)


def test_free_energy_is_neg_log_marginal_plus_recognition_kl(small):
    V = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    terms = small.free_energy_terms(V)
    post = small.posterior(V)
    q = small.recognition_distribution(V)
    kl = (q * np.log(q / post)).sum(axis=1)
    np.testing.assert_allclose(terms["recognition_kl"], kl, rtol=1e-9)
    np.testing.assert_allclose(terms["free_energy"], terms["neg_log_marginal"] + kl, rtol=1e-12)
    assert np.all(kl > 0)


def test_recognition_can_be_exact_with_one_hidden_unit():
    # With one hidden unit, logit p(h=1|v) is linear in v, so q can equal the posterior.
    rng = np.random.default_rng(1)
    G, b0, b1 = rng.normal(size=(1, 4)), rng.normal(size=1), rng.normal(size=4)
    softplus = lambda a: np.logaddexp(0, a)  # noqa: E731
    R = G.T.copy()
    c = b0 - (softplus(G[0] + b1) - softplus(b1)).sum()
    hm = HelmholtzMachine([G], [b0, b1], [R], [c])
    V = np.array(list(itertools.product([0.0, 1.0], repeat=4)))
    np.testing.assert_allclose(hm.free_energy_terms(V)["recognition_kl"], 0.0, atol=1e-12)


def test_dreams_and_recognition_sample_the_right_distributions(small):
    n = 40_000
    dream = small.dream(n, rng=0)
    codes = dream[-1] @ np.array([4, 2, 1])
    freq = np.bincount(codes.astype(int), minlength=8) / n
    V = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    np.testing.assert_allclose(freq, np.exp(small.log_marginal(V)), atol=0.01)
    v = np.array([[1.0, 0.0, 1.0]])
    layers = small.recognize(np.repeat(v, n, axis=0), rng=1)
    codes = np.concatenate(layers[:-1], axis=1) @ np.array([4, 2, 1])
    freq = np.bincount(codes.astype(int), minlength=8) / n
    np.testing.assert_allclose(freq, small.recognition_distribution(v)[0], atol=0.01)


def _numeric_grad(f, arrays, eps=1e-6):
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            up = f()
            a[idx] = old - eps
            down = f()
            a[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def test_wake_step_is_the_gradient_of_log_joint_for_the_sampled_causes(small):
    v = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    trained = small.copy()
    layers = ws.wake_step(trained, v, lr=0.1, rng=5)
    again = small.recognize(v, rng=5)  # the same random numbers give the same causes
    for a, b in zip(layers, again):
        np.testing.assert_array_equal(a, b)
    params = small.generative_weights + small.generative_biases
    grads = _numeric_grad(lambda: small.log_joint(layers).mean(), params)
    after = trained.generative_weights + trained.generative_biases
    for before, new, g in zip(params, after, grads):
        np.testing.assert_allclose(new - before, 0.1 * g, atol=1e-8)
    for r0, r1 in zip(small.recognition_weights, trained.recognition_weights):
        np.testing.assert_array_equal(r0, r1)  # the wake phase leaves recognition alone


def test_sleep_step_is_the_gradient_of_log_q_for_the_dream(small):
    trained = small.copy()
    dream = ws.sleep_step(trained, 7, lr=0.2, rng=2)
    params = small.recognition_weights + small.recognition_biases
    grads = _numeric_grad(lambda: small.log_recognition(dream).mean(), params)
    after = trained.recognition_weights + trained.recognition_biases
    for before, new, g in zip(params, after, grads):
        np.testing.assert_allclose(new - before, 0.2 * g, atol=1e-8)
    for g0, g1 in zip(small.generative_weights, trained.generative_weights):
        np.testing.assert_array_equal(g0, g1)  # the sleep phase leaves generation alone


def test_expected_wake_update_is_minus_the_free_energy_gradient(small):
    # The theorem of Chapter 7: E_q[grad log p(h, v)] = -grad_generative F(v).
    v = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    hidden = small.hidden_states()
    params = small.generative_weights + small.generative_biases
    expected = [np.zeros_like(p) for p in params]
    for i in range(len(v)):
        q = small.recognition_distribution(v[i])[0]
        for k in range(len(q)):
            layers = [hidden[0][k:k + 1], hidden[1][k:k + 1], v[i:i + 1]]
            g = _numeric_grad(lambda: small.log_joint(layers)[0], params)
            for e, gk in zip(expected, g):
                e += q[k] * gk / len(v)
    dF = _numeric_grad(lambda: small.free_energy_terms(v)["free_energy"].mean(), params)
    update = ws.expected_wake_update(small, v)
    got = update["generative_weights"] + update["generative_biases"]
    for e, d, u in zip(expected, dF, got):
        np.testing.assert_allclose(e, -d, atol=1e-6)
        np.testing.assert_allclose(u, -d, atol=1e-6)


def test_kl_and_decomposition_on_the_bars():
    states, probs = helmholtz_bars_distribution()
    entropy = -(probs * np.log2(probs)).sum()
    assert np.isclose(ws.kl_bits(HelmholtzMachine.zeros((1, 8, 16)), states, probs),
                      16 - entropy)
    hm = HelmholtzMachine.random((1, 8, 16), rng=0, visible_bias=-3.0)
    d = ws.decomposition(hm, states, probs)
    assert np.isclose(d["kl_model"], ws.kl_bits(hm, states, probs))
    assert np.isclose(d["excess_free_energy"], d["kl_model"] + d["recognition_kl"])
    assert d["recognition_kl"] >= 0 and np.isclose(d["data_entropy"], entropy)


def test_clean_solution_is_nearly_perfect():
    states, probs = helmholtz_bars_distribution()
    d = ws.decomposition(ws.clean_bars_machine(), states, probs)
    assert d["kl_model"] < 0.002 and d["recognition_kl"] < 0.005


def test_sampled_free_energy_estimates_the_exact_mean():
    states, probs = helmholtz_bars_distribution()
    hm = ws.train(HelmholtzMachine.random((1, 8, 16), 0, visible_bias=-3.0), n_updates=300, rng=0).model
    images = helmholtz_bars(8_000, rng=4)
    exact = hm.free_energy_terms(images)["free_energy"].mean() / np.log(2)
    assert abs(ws.sampled_free_energy(hm, images, rng=5) - exact) < 0.05


def test_training_is_deterministic_and_selection_uses_free_energy():
    states, probs = helmholtz_bars_distribution()
    a = ws.train_population((1, 8, 16), n_models=3, n_updates=200, rng=7, record_every=100, n_select=500,
                            states=states, probs=probs)
    b = ws.train_population((1, 8, 16), n_models=3, n_updates=200, rng=7, record_every=100, n_select=500,
                            states=states, probs=probs)
    np.testing.assert_array_equal(a.kl_model, b.kl_model)
    assert a.best == int(np.argmin(a.free_energy))
    assert a.kl_model.shape == (3, 3) and list(a.n_updates) == [0, 100, 200]
    assert len(a.snapshots) == 3 and a.snapshots[-1] is not a.model
    one = ws.train(HelmholtzMachine.random((1, 8, 16), 0), n_updates=50, rng=1, record_every=25)
    assert list(one.n_updates) == [0, 25, 50] and np.all(np.isnan(one.kl_model))
    assert one.method == "wake-sleep" and one.final == ("model",)


def test_lr_schedule():
    lrs = ws.lr_schedule(5, 2.0, 0.05)
    assert lrs[0] == 2.0 and np.isclose(lrs[-1], 0.05) and np.all(np.diff(lrs) < 0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: HelmholtzMachine.zeros((3,)), ValueError, "sizes"),
    (lambda: HelmholtzMachine.zeros((1, 0)), ValueError, "sizes"),
    (lambda: HelmholtzMachine([np.zeros((1, 2))], [np.zeros(1)], [np.zeros((2, 1))],
                              [np.zeros(1)]), ValueError, "generative_biases"),
    (lambda: HelmholtzMachine([np.zeros((1, 2))], [np.zeros(1), np.zeros(3)],
                              [np.zeros((2, 1))], [np.zeros(1)]), ValueError, "generative_biases"),
    (lambda: HelmholtzMachine.zeros((1, 2)).dream(0, 0), ValueError, "n_samples"),
    (lambda: HelmholtzMachine.zeros((1, 2)).dream(2, None), TypeError, "rng"),
    (lambda: HelmholtzMachine.zeros((1, 2)).log_marginal([[0.0, 1.0, 1.0]]), ValueError, "v"),
    (lambda: HelmholtzMachine.zeros((20, 2)).log_marginal([[0.0, 1.0]]), ValueError,
     "max_hidden"),
    (lambda: ws.wake_step("model", [[0, 1]], 0.1, 0), TypeError, "model"),
    (lambda: ws.wake_step(HelmholtzMachine.zeros((1, 2)), [[0, 2]], 0.1, 0), ValueError, "v"),
    (lambda: ws.wake_step(HelmholtzMachine.zeros((1, 2)), [[0, 1]], -1.0, 0), ValueError, "lr"),
    (lambda: ws.sleep_step(HelmholtzMachine.zeros((1, 2)), 0, 0.1, 0), ValueError, "n_dreams"),
    (lambda: ws.kl_bits(HelmholtzMachine.zeros((1, 2)), [[0, 1]], [0.5]), ValueError, "probs"),
    (lambda: ws.train(HelmholtzMachine.zeros((1, 2)), n_updates=10, rng=0, sample_data=3), TypeError,
     "sample_data"),
    (lambda: ws.train(HelmholtzMachine.zeros((1, 2)), 10, 0), TypeError, "positional"),
    (lambda: ws.train(HelmholtzMachine.zeros((1, 2)), n_updates=10), TypeError, "rng"),
    (lambda: ws.train_population((1, 2), n_models=0, n_updates=10, rng=0), ValueError, "n_models"),
    (lambda: ws.train(HelmholtzMachine.zeros((1, 2)), n_updates=10, rng=0, settings={"lr_start": 1.0}),
     TypeError, "settings must be a dreambook.wake_sleep.Schedule"),
    (lambda: ws.Schedule(lr_end=0.0), ValueError, "lr_end must be a finite number > 0"),
    (lambda: ws.Schedule(batch_size=0), ValueError, "batch_size"),
    (lambda: ws.clean_bars_machine(strength=0.0), ValueError, "strength"),
])
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_explorer_moves_through_snapshots():
    from dreambook.plotting import montage
    from dreambook.widgets.wake_sleep import WakeSleepExplorer

    assert np.isnan(montage(np.ones((3, 4)), 2, side=2)).sum() == 25 - 3 * 4
    states, probs = helmholtz_bars_distribution()
    hm = HelmholtzMachine.random((1, 8, 16), 0, visible_bias=-3.0)
    run = ws.train(hm, n_updates=400, rng=0, record_every=200)
    explorer = WakeSleepExplorer(run.snapshots, run.n_updates, states, probs,
                                 helmholtz_bars(6, 1))
    assert "step 400" in explorer.image.value
    explorer.controls[0].value = 0
    assert "step 0" in explorer.image.value and 'alt="' in explorer.image.value
