"""Unit tests of dreambook.nce, dreambook.score_matching, dreambook.forward_forward, dreambook.langevin."""

import numpy as np
import pytest

from dreambook import exact
from dreambook.forward_forward import (MLP, SGD, FFNetwork, embed_label, train_backprop, train_ff, wrong_labels)
from dreambook.langevin import EnergyTraining, IsotropicGaussianMixture, RBFEnergy, langevin, train_energy
from dreambook.models import FullyVisibleBM
from dreambook.nce import (NOISE_KINDS, BernoulliNoise, fit_ml, fit_nce, make_noise, model_to_params,
                           nce_objective, noise_ratio_study, pair_features, params_to_model,
                           squared_parameter_error)
from dreambook.score_matching import (corrupt, fit_denoising_score, fit_ratio_matching,
                                      gaussian_score_matching_objective, ml_gaussian, ratio_matching_objective,
                                      score_matching_gaussian)
from dreambook.score_matching import _rm_value_and_grad


# --- NCE ---------------------------------------------------------------------------------------
def test_features_give_minus_the_energy():
    model = FullyVisibleBM.random(6, rng=0)
    X = exact.all_states(6)
    np.testing.assert_allclose(pair_features(X) @ model_to_params(model), -model.energy(X), atol=1e-12)
    back = params_to_model(model_to_params(model), 6)
    np.testing.assert_array_equal(back.W, model.W)
    assert np.array_equal(back.W, back.W.T) and np.all(np.diag(back.W) == 0)


def test_nce_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = (rng.random((30, 4)) < 0.5).astype(float)
    Y = (rng.random((90, 4)) < 0.3).astype(float)
    noise = BernoulliNoise(np.full(4, 0.3))
    args = (pair_features(X), pair_features(Y), noise.log_prob(X), noise.log_prob(Y))
    v = rng.normal(size=11)
    _, g = nce_objective(v, *args)
    for k in range(11):
        e = np.zeros(11)
        e[k] = 1e-6
        fd = (nce_objective(v + e, *args)[0] - nce_objective(v - e, *args)[0]) / 2e-6
        assert fd == pytest.approx(g[k], abs=1e-7)


def test_counts_give_the_same_objective_as_repeated_rows():
    rng = np.random.default_rng(1)
    X = (rng.random((50, 3)) < 0.5).astype(float)
    Y = (rng.random((100, 3)) < 0.5).astype(float)
    noise = BernoulliNoise.uniform(3)
    v = rng.normal(size=7)
    full = nce_objective(v, pair_features(X), pair_features(Y), noise.log_prob(X), noise.log_prob(Y))
    Xu, cx = np.unique(X, axis=0, return_counts=True)
    Yu, cy = np.unique(Y, axis=0, return_counts=True)
    comp = nce_objective(v, pair_features(Xu), pair_features(Yu), noise.log_prob(Xu), noise.log_prob(Yu),
                         cx.astype(float), cy.astype(float))
    assert comp[0] == pytest.approx(full[0], rel=1e-12)
    np.testing.assert_allclose(comp[1], full[1], rtol=1e-10, atol=1e-12)


def test_nce_self_normalises_and_ml_zeroes_the_exact_gradient():
    true = FullyVisibleBM.random(5, rng=3, scale=0.5)
    data = exact.sample(true, 3000, rng=4)
    fit = fit_nce(data, BernoulliNoise.from_data(data), nu=20, rng=5)
    assert abs(fit.log_z_estimate - exact.log_partition(fit.model)) < 0.03
    ml = fit_ml(data)
    grad = exact.log_likelihood_gradient(ml, data)
    assert max(np.max(np.abs(grad["W"])), np.max(np.abs(grad["b"]))) < 1e-6


def test_nce_bad_inputs():
    data = np.array([[0, 1, 1], [1, 0, 0]])
    noise = BernoulliNoise.uniform(3)
    with pytest.raises(TypeError, match="rng"):
        fit_nce(data, noise, 1.0, rng=None)
    with pytest.raises(ValueError, match="nu"):
        fit_nce(data, noise, -1.0, rng=0)
    with pytest.raises(ValueError, match="noise must be over"):
        fit_nce(data, BernoulliNoise.uniform(4), 1.0, rng=0)
    with pytest.raises(TypeError, match="noise"):
        fit_nce(data, "uniform", 1.0, rng=0)
    with pytest.raises(ValueError, match="binary"):
        fit_nce([[0.5, 1, 1]], noise, 1.0, rng=0)
    with pytest.raises(ValueError, match="q must be"):
        BernoulliNoise([0.0, 0.5])
    with pytest.raises(TypeError, match="rng"):
        noise.sample(3, rng=None)


def test_noises_by_name_and_their_probabilities():
    data = np.array([[0, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 1]])
    assert NOISE_KINDS == ("data marginals", "uniform")
    np.testing.assert_allclose(make_noise("data marginals", data).q, [0.25, 0.99, 0.5])
    p = make_noise("uniform", data).probabilities()
    np.testing.assert_allclose(p, np.full(8, 1 / 8))
    q = BernoulliNoise([0.2, 0.7]).probabilities()  # states 00, 01, 10, 11 (exact.all_states order)
    np.testing.assert_allclose(q, [0.8 * 0.3, 0.8 * 0.7, 0.2 * 0.3, 0.2 * 0.7])
    with pytest.raises(ValueError, match="kind must be one of"):
        make_noise("gaussian", data)


def test_noise_ratio_study_is_the_fits_it_summarises():
    true = FullyVisibleBM.random(4, rng=1, scale=0.5)
    datasets = [exact.sample(true, 300, rng=s) for s in (2, 3)]
    study = noise_ratio_study(true, datasets, [1, 4], "uniform", seeds=[10, 11])
    assert study.parameter_error.shape == study.log_z_error.shape == (2, 2) and study.nus == (1.0, 4.0)
    fit = fit_nce(datasets[1], BernoulliNoise.uniform(4), 4, rng=11)
    assert study.parameter_error[1, 1] == squared_parameter_error(fit.model, true)
    assert squared_parameter_error(fit.model, true) == np.sum((model_to_params(fit.model) - model_to_params(true)) ** 2)
    assert study.log_z_error[1, 1] == abs(fit.log_z_estimate - exact.log_partition(fit.model))
    with pytest.raises(ValueError, match="one seed per data set"):
        noise_ratio_study(true, datasets, [1], "uniform", seeds=[1])
    with pytest.raises(ValueError, match="noise must be one of"):
        noise_ratio_study(true, datasets, [1], "flat", seeds=[1, 2])
    with pytest.raises(ValueError, match="4 columns"):
        noise_ratio_study(true, [np.ones((3, 5))], [1], "uniform", seeds=[1])
    with pytest.raises(ValueError, match="must match"):
        squared_parameter_error(fit.model, FullyVisibleBM.random(3, rng=0))


# --- score and ratio matching ---------------------------------------------------------------------
def test_score_matching_gaussian_is_ml_and_minimises_the_objective():
    X = np.random.default_rng(0).normal(size=(300, 3)) @ np.array([[1, 0.4, 0], [0, 1, 0.2], [0, 0, 0.6]])
    mu, M = score_matching_gaussian(X)
    mu_ml, M_ml = ml_gaussian(X)
    np.testing.assert_allclose(M, M_ml, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(mu, mu_ml)
    J = gaussian_score_matching_objective(X, mu, M)
    rng = np.random.default_rng(1)
    for _ in range(5):
        E = rng.normal(scale=0.01, size=(3, 3))
        assert gaussian_score_matching_objective(X, mu, M + E + E.T) > J


def test_ratio_matching_gradient_and_fit():
    rng = np.random.default_rng(2)
    X = (rng.random((40, 4)) < 0.4).astype(float)
    v = rng.normal(size=10)
    J, g = _rm_value_and_grad(v, X, 4)
    assert J == pytest.approx(ratio_matching_objective(params_to_model(v, 4), X), rel=1e-12)
    for k in range(10):
        e = np.zeros(10)
        e[k] = 1e-6
        fd = (_rm_value_and_grad(v + e, X, 4)[0] - _rm_value_and_grad(v - e, X, 4)[0]) / 2e-6
        assert fd == pytest.approx(g[k], abs=1e-7)
    true = FullyVisibleBM.random(5, rng=6, scale=0.5)
    data = exact.sample(true, 5000, rng=7)
    rm = fit_ratio_matching(data)
    kl = exact.kl_divergence(exact.probabilities(true), exact.probabilities(rm))
    assert kl < 0.01


def test_ratio_matching_ratio_is_the_probability_ratio():
    model = FullyVisibleBM.random(4, rng=8)
    x = np.array([[1.0, 0.0, 1.0, 1.0]])
    flipped = x.copy()
    flipped[0, 2] = 0.0
    s = (2 * x - 1) * model.local_field(x)
    assert s[0, 2] == pytest.approx(model.energy(flipped)[0] - model.energy(x)[0], abs=1e-12)


def test_denoising_score_recovers_the_noisy_score():
    ring = IsotropicGaussianMixture.ring(4, 1.5, 0.3)
    X = ring.sample(20000, rng=0)
    sigma = 0.3
    Xn = corrupt(X, sigma, rng=1)
    basis = RBFEnergy.on_grid(9, 3.0)
    A = fit_denoising_score(basis.features, X, Xn, sigma, ridge=1e-6)
    probe = ring.convolved(sigma).sample(2000, rng=2)
    truth = ring.convolved(sigma).score(probe)
    err = np.linalg.norm(basis.features(probe) @ A - truth) / np.linalg.norm(truth)
    assert err < 0.2


def test_score_matching_bad_inputs():
    with pytest.raises(ValueError, match="at least 2 rows"):
        score_matching_gaussian(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="finite"):
        ml_gaussian([[np.nan, 1.0], [0.0, 1.0]])
    with pytest.raises(TypeError, match="rng"):
        corrupt(np.zeros((2, 2)), 0.1, rng=None)
    with pytest.raises(ValueError, match="sigma"):
        corrupt(np.zeros((2, 2)), 0.0, rng=0)
    with pytest.raises(ValueError, match="binary"):
        fit_ratio_matching([[0.2, 1.0]])
    with pytest.raises(TypeError, match="features"):
        fit_denoising_score("rbf", np.zeros((2, 2)), np.zeros((2, 2)), 0.1)


# --- Forward-Forward --------------------------------------------------------------------------------
def test_wrong_labels_are_wrong_and_uniform():
    y = np.zeros(9000, dtype=int)
    w = wrong_labels(y, 10, rng=0)
    assert np.all(w != 0)
    counts = np.bincount(w, minlength=10)[1:]
    assert counts.min() > 850 and counts.max() < 1150


def test_ff_local_gradient_matches_finite_differences():
    net = FFNetwork.random([5, 4, 3], rng=0, threshold=0.5, n_classes=2)
    X = np.random.default_rng(1).random((6, 5))

    def loss(positive):
        g = net.goodness(X)
        z = (net.threshold - g) if positive else (g - net.threshold)
        return np.mean(np.logaddexp(0, z), axis=0)  # one loss per layer

    for positive in (True, False):
        grads = net.local_gradients(X, positive)
        for layer in range(2):
            W = net.weights[layer]
            for (i, j) in [(0, 0), (2, 1), (3, 2)]:
                W[i, j] += 1e-6
                up = loss(positive)[layer]
                W[i, j] -= 2e-6
                down = loss(positive)[layer]
                W[i, j] += 1e-6
                assert (up - down) / 2e-6 == pytest.approx(grads[layer][0][i, j], abs=1e-6)


def test_backprop_gradient_matches_finite_differences():
    net = MLP.random([4, 5, 3], rng=0)
    X = np.random.default_rng(2).random((7, 4))
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    from scipy.special import log_softmax

    def loss():
        return -np.mean(log_softmax(net._forward(X)[1], axis=1)[np.arange(7), y])

    grads = net.gradients(X, y)
    for layer in range(2):
        W = net.weights[layer]
        W[1, 2] += 1e-6
        up = loss()
        W[1, 2] -= 2e-6
        down = loss()
        W[1, 2] += 1e-6
        assert (up - down) / 2e-6 == pytest.approx(grads[layer][0][1, 2], abs=1e-7)


def test_block_schedule_balances_the_phases():
    calls = []
    net = FFNetwork.random([4, 3], rng=0, n_classes=2)
    original = net.local_gradients

    def spy(X, positive):
        calls.append(positive)
        return original(X, positive)

    net.local_gradients = spy
    images = np.random.default_rng(0).random((40, 2))
    y = np.arange(40) % 2
    history = train_ff(net, images, y, rng=0, settings=SGD(epochs=1, batch_size=5), block_length=2)
    assert history.epochs == [1] and np.isnan(history.test_error[0]) and history.method == "forward-forward"
    # 8 minibatches: runs of 2 positive updates alternate with runs of 2 negative ones
    assert calls[:4] == [True, True, False, False]
    runs = [len(r) for r in "".join("p" if c else "n" for c in calls).replace("pn", "p n").replace("np", "n p").split()]
    assert all(r == 2 for r in runs[:-1])
    assert abs(calls.count(True) - calls.count(False)) <= 2


def test_ff_bad_inputs():
    net = FFNetwork.random([66, 8], rng=0, n_classes=2)
    images = np.zeros((4, 64))
    with pytest.raises(TypeError, match="rng"):
        train_ff(net, images, np.zeros(4, dtype=int), rng=None)
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.0)
    with pytest.raises(TypeError, match="settings must be a dreambook.forward_forward.SGD"):
        train_ff(net, images, np.zeros(4, dtype=int), rng=0, settings={"momentum": 0.5})
    with pytest.raises(ValueError, match="labels in 0..1"):
        train_ff(net, images, np.full(4, 5), rng=0)
    with pytest.raises(ValueError, match="columns"):
        train_ff(net, np.zeros((4, 10)), np.zeros(4, dtype=int), rng=0)
    with pytest.raises(TypeError, match="integer labels"):
        embed_label(images, np.zeros(4), n_classes=2)
    with pytest.raises(TypeError, match="rng"):
        train_backprop(MLP.random([64, 2], rng=0), images, np.zeros(4, dtype=int), rng=None)


# --- Langevin ---------------------------------------------------------------------------------------
def test_mixture_score_is_the_gradient_of_its_log_density():
    mix = IsotropicGaussianMixture.ring(3, 1.0, 0.4)
    X = np.array([[0.3, -0.2], [1.0, 1.0]])
    e = 1e-6
    for k in range(2):
        d = np.zeros(2)
        d[k] = e
        fd = (mix.log_prob(X + d) - mix.log_prob(X - d)) / (2 * e)
        np.testing.assert_allclose(mix.score(X)[:, k], fd, atol=1e-6)


def test_rbf_energy_gradient_quadrature_and_exact_training():
    model = RBFEnergy.on_grid(4, 2.0, n_grid=80)
    model.theta = np.random.default_rng(0).normal(size=16)
    X = np.array([[0.1, 0.2], [-1.0, 0.5]])
    for k in range(2):
        d = np.zeros(2)
        d[k] = 1e-6
        fd = (model.energy(X + d) - model.energy(X - d)) / 2e-6
        np.testing.assert_allclose(model.grad_energy(X)[:, k], fd, atol=1e-6)
    # zero energy: Z is the area of the square
    flat = RBFEnergy.on_grid(4, 2.0)
    assert flat.log_partition() == pytest.approx(np.log(16.0), abs=1e-12)
    data = IsotropicGaussianMixture.ring(4, 1.0, 0.3).sample(300, rng=1)
    data = np.clip(data, -1.99, 1.99)
    fit = RBFEnergy.on_grid(4, 2.0, n_grid=60)
    hist = train_energy(fit, data, rng=0, n_updates=60, settings=EnergyTraining(method="exact", lr=1.0),
                        record_every=20)
    assert hist.train_log_likelihood[-1] > hist.train_log_likelihood[0] > np.log(1 / 16.0)
    assert hist.n_updates == [20, 40, 60] and np.all(np.isnan(hist.test_log_likelihood))


def test_langevin_samples_a_gaussian_well():
    # E = theta * phi with one wide bump approximates a quadratic bowl; check chains stay in the square
    model = RBFEnergy.on_grid(3, 2.0)
    x = langevin(model, np.zeros((500, 2)), n_steps=50, step=0.1, rng=0)
    assert np.all(np.abs(x) <= 2.0)
    # flat energy: Langevin is reflected Brownian motion; variance grows like K * step**2
    assert np.var(x[:, 0]) == pytest.approx(50 * 0.01, rel=0.2)


def test_langevin_bad_inputs():
    model = RBFEnergy.on_grid(3, 2.0)
    with pytest.raises(TypeError, match="rng"):
        langevin(model, np.zeros((2, 2)), 5, 0.1, rng=None)
    with pytest.raises(ValueError, match="method"):
        EnergyTraining(method="long-run")
    with pytest.raises(TypeError, match="settings must be a dreambook.langevin.EnergyTraining"):
        train_energy(model, np.zeros((3, 2)), rng=0, settings="exact")
    with pytest.raises(ValueError, match="must lie in"):
        model.log_prob([[3.0, 0.0]])
    with pytest.raises(TypeError, match="rng"):
        IsotropicGaussianMixture.ring(2, 1.0, 0.1).sample(3, rng=None)


# --- Langevin chains after K steps (the chapter's second explorer) -----------------------------
def test_snapshots_are_the_chains_run_for_each_step_count():
    from dreambook.langevin import langevin_snapshots

    model = RBFEnergy.on_grid(4, 3.0, n_grid=24)
    model.theta = np.linspace(-1, 1, 16)
    x0 = np.random.default_rng(0).uniform(-3, 3, (20, 2))
    snaps = langevin_snapshots(model, x0, [0, 2, 7], step=0.2, rng=5)
    assert snaps.shape == (3, 20, 2)
    np.testing.assert_array_equal(snaps[0], x0)
    for k, K in enumerate([2, 7]):
        np.testing.assert_array_equal(snaps[k + 1], langevin(model, x0, K, 0.2, rng=5))
    for bad in ([], [3, 2], [0, 0], [-1, 2], [0.5, 2]):
        with pytest.raises(ValueError, match="n_steps"):
            langevin_snapshots(model, x0, bad, step=0.2, rng=5)


def test_polar_cells_and_total_variation():
    from dreambook.langevin import cell_masses, cell_shares, ring_cells, total_variation

    # on the positive x axis: sector 0; bands cut at 1.5 and 2.5; (0, 2) is sector 2 of 8
    X = np.array([[1.0, 0.0], [2.0, 0.0], [2.9, 0.1], [0.0, 2.0], [-2.0, -0.01]])
    np.testing.assert_array_equal(ring_cells(X), [0, 1, 2, 7, 13])
    shares = cell_shares(X)
    assert shares.shape == (24,) and shares.sum() == pytest.approx(1.0)
    model = RBFEnergy.on_grid(4, 3.0, n_grid=60)
    q = cell_masses(model)  # theta = 0: uniform on the square
    assert q.sum() == pytest.approx(1.0)
    inner = q.reshape(8, 3)[:, 0].sum()
    assert inner == pytest.approx(np.pi * 1.5**2 / 36, abs=0.01)
    assert total_variation(q, q) == 0.0
    assert total_variation([1, 0], [0, 1]) == 1.0
    with pytest.raises(ValueError, match="q must"):
        total_variation([1, 0], [1, 0, 0])
    with pytest.raises(ValueError, match="radii"):
        ring_cells(X, radii=(2.5, 1.5))


def test_chain_study_measures_converging_chains():
    from dreambook.langevin import EnergyTraining, chain_study, sampling_floor, train_energy

    ring = IsotropicGaussianMixture.ring(8, radius=2.0, s=0.25)
    model = RBFEnergy.on_grid(8, half_side=3.0, n_grid=48)
    train_energy(model, ring.sample(500, rng=0), rng=1, n_updates=60, settings=EnergyTraining(method="exact"))
    x0 = np.random.default_rng(2).uniform(-3, 3, (300, 2))
    study = chain_study(model, ring, x0, [0, 300], step=0.1, rng=3)
    # from noise the chains approach the model's density, which is close to the ring
    assert study.tv_model[1] < study.tv_model[0] - 0.2
    assert study.tv_data[1] < study.tv_data[0] - 0.2
    assert study.density.shape == (48, 48)
    assert study.density.sum() * (6 / 48) ** 2 == pytest.approx(1.0)
    assert study.mode_mass.shape == (8,) and np.all(study.mode_mass > 0.05)
    floor = sampling_floor(model, ring, 300, 5, rng=4)
    assert 0 < floor < study.tv_data[0]
    with pytest.raises(TypeError, match="data must"):
        chain_study(model, ring.means, x0, [0, 1], 0.1, rng=0)
    with pytest.raises(TypeError, match="model must"):
        chain_study(ring, ring, x0, [0, 1], 0.1, rng=0)


def test_persistent_training_returns_its_chains():
    ring = IsotropicGaussianMixture.ring(8, radius=2.0, s=0.25)
    model = RBFEnergy.on_grid(4, 3.0, n_grid=24)
    h = train_energy(model, ring.sample(50, rng=0), rng=1, n_updates=3,
                     settings=EnergyTraining(method="persistent", n_chains=7, n_steps=2))
    assert h.chains.shape == (7, 2)
    assert train_energy(model, ring.sample(50, rng=0), rng=1, n_updates=2,
                        settings=EnergyTraining(method="exact")).chains is None


def test_backprop_history_records_the_test_error_after_each_epoch():
    rng = np.random.default_rng(0)
    images, y = rng.random((30, 4)), np.arange(30) % 2
    net = MLP.random([4, 5, 2], rng=0)
    history = train_backprop(net, images, y, rng=0, settings=SGD(epochs=3, batch_size=10), test=(images, y))
    assert history.method == "backprop" and history.epochs == [1, 2, 3]
    assert history.test_error[-1] == net.error_rate(images, y)
