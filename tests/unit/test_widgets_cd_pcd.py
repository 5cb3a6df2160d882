"""The explorers of Chapters 4 and 5 and the science they show (dreambook.widgets.cd, dreambook.widgets.pcd; estimate.ais_path_rbm, training.persistent_dreams)."""

import numpy as np
import pytest

from dreambook import exact
from dreambook.models import RBM
from dreambook._special import softplus
from dreambook.widgets.cd import BEST_TOTAL, CDExplorer, load_grid
from dreambook.estimate import ais_path_rbm
from dreambook.training import DREAMERS, persistent_dreams
from dreambook.widgets.pcd import AISExplorer, DreamGalleryExplorer


def test_grid_file_has_the_documented_layout():
    grid = load_grid()
    n_lr, n_k, n = len(grid["lrs"]), len(grid["ks"]), len(grid["updates"])
    for key in ("log_likelihood", "cosine", "cosine_sampled"):
        assert grid[key].shape == (n_lr, n_k + 1, n)
    assert grid["updates"][0] == 0 and grid["updates"][-1] == 30_000
    # every run starts from the same near-uniform model: 9 ln 2 nats per image
    np.testing.assert_allclose(grid["log_likelihood"][:, :, 0], -9 * np.log(2), atol=0.01)
    assert np.all(14 * grid["log_likelihood"] <= BEST_TOTAL + 1e-9)


def test_cd_explorer_shows_the_chosen_curves():
    explorer = CDExplorer(k=1, lr=0.1)
    curves = explorer.curves(1, 0.1)
    np.testing.assert_array_equal(explorer.cd_line.get_ydata(), curves["cd"])
    before = explorer.image.value
    explorer.controls[0].value = 10
    assert explorer.image.value != before
    assert "CD-10 at learning rate 0.1" in explorer.image.value
    np.testing.assert_array_equal(explorer.cd_line.get_ydata(), explorer.curves(10, 0.1)["cd"])


def test_ais_path_rbm_is_the_annealing_distribution():
    rbm = RBM.random(5, 3, rng=0, scale=1.0, T=1.5)
    b_A = np.array([0.3, -0.2, 0.0, 1.0, -1.0])
    V = exact.all_states(5)
    W, b, c = rbm.W / rbm.T, rbm.b / rbm.T, rbm.c / rbm.T
    for beta in (0.0, 0.37, 1.0):
        expected = (1 - beta) * V @ b_A + beta * V @ b + softplus(beta * (V @ W + c)).sum(axis=1)
        np.testing.assert_allclose(ais_path_rbm(rbm, beta, b_A).unnormalized_log_prob(V), expected, atol=1e-12)
    with pytest.raises(ValueError, match="beta"):
        ais_path_rbm(rbm, 1.5, b_A)
    with pytest.raises(ValueError, match="base_visible_bias"):
        ais_path_rbm(rbm, 0.5, b_A[:3])


def test_persistent_dreams_leave_the_model_alone_and_count_states():
    rbm = RBM.random(6, 3, rng=0, scale=1.0)
    W = rbm.W.copy()
    data = np.eye(6)
    for dreamer in DREAMERS:
        out = persistent_dreams(rbm, data, np.zeros((4, 3)), dreamer, n_updates=20, batch_size=2, rng=0)
        assert out.fantasies.shape == (21, 4, 6) and out.method == dreamer and list(out.n_updates) == list(range(21))
        assert np.all(np.diff(out.visited) >= 0) and out.visited[-1] <= 8
        assert out.chains.shape == (4, 3) and (dreamer != "no learning" or np.array_equal(out.model.W, W))
    np.testing.assert_array_equal(rbm.W, W)
    with pytest.raises(ValueError, match="dreamer"):
        persistent_dreams(rbm, data, np.zeros((4, 3)), "sleepwalk", rng=0)


def test_frozen_dreamer_samples_the_model():
    """With no learning the particles are block Gibbs chains of a fixed model: their
    fantasies average to the model's visible marginals."""
    rbm = RBM.random(4, 2, rng=1, scale=1.0)
    out = persistent_dreams(rbm, np.eye(4), np.zeros((400, 2)), "no learning", n_updates=60, batch_size=2, rng=0)
    mean = out.fantasies[10:].mean(axis=(0, 1))
    np.testing.assert_allclose(mean, exact.marginals(rbm)[:4], atol=0.03)


def test_gallery_and_ais_explorers_render():
    rbm = RBM.random(64, 4, rng=0, scale=0.5)
    data = (np.random.default_rng(0).random((50, 64)) < 0.3).astype(float)
    dreams = {name: persistent_dreams(rbm, data, np.zeros((6, 4)), name, n_updates=10, rng=0) for name in DREAMERS}
    gallery = DreamGalleryExplorer(dreams, update=10, dreamer="PCD")
    before = gallery.image.value
    gallery.controls[1].value = "no learning"
    assert gallery.image.value != before and "no learning" in gallery.image.value
    ais = AISExplorer(rbm, data, n_chains=20, steps=(5, 20), betas=[0.5, 1.0], beta=1.0, n_steps=20)
    assert "20 annealing steps" in ais.image.value or "of 20 annealing steps" in ais.image.value
    ais.controls[0].value = 0.5
    assert "inverse temperature 0.50" in ais.image.value


def test_persistent_dreams_refuses_implicit_randomness_and_bad_data():
    rbm = RBM.random(4, 3, rng=0, scale=1.0)
    data = np.eye(4)
    with pytest.raises(TypeError, match="rng"):
        persistent_dreams(rbm, data, np.zeros((4, 3)), "PCD", n_updates=2, batch_size=2)
    with pytest.raises(ValueError, match="data"):
        persistent_dreams(rbm, data * 0.5, np.zeros((4, 3)), "PCD", n_updates=2, batch_size=2, rng=0)
    with pytest.raises(ValueError, match="chains"):
        persistent_dreams(rbm, data, np.zeros((4, 2)), "PCD", n_updates=2, batch_size=2, rng=0)
