"""Peer oracle: fit_like_sklearn reproduces scikit-learn's BernoulliRBM.fit bit for bit."""

import numpy as np
import pytest

from dreambook import exact
from dreambook.data import bars_and_stripes, load_digits_binary
from dreambook.training import TrainingSettings, fit_like_sklearn, train_rbm
from dreambook.models import RBM

BernoulliRBM = pytest.importorskip("sklearn.neural_network").BernoulliRBM


@pytest.fixture(scope="module")
def digits():
    train, test = load_digits_binary()
    return np.vstack([train, test])


@pytest.mark.parametrize(
    "n_samples, n_components, learning_rate, batch_size, n_iter, seed",
    [
        (1500, 16, 0.1, 10, 3, 0),
        (1500, 16, 0.1, 100, 5, 1),
        (1797, 12, 0.05, 10, 2, 2),  # 1797 = 179 * 10 + 7: the last minibatch has 7 rows
        (1000, 8, 0.3, 7, 2, 3),  # 1000 = 142 * 7 + 6
        (300, 20, 0.1, 300, 4, 4),  # one minibatch of everything
    ],
)
def test_parameters_equal_sklearn_exactly(digits, n_samples, n_components, learning_rate, batch_size, n_iter, seed):
    X = digits[:n_samples]
    model = BernoulliRBM(n_components=n_components, learning_rate=learning_rate, batch_size=batch_size,
                         n_iter=n_iter, random_state=seed).fit(X)
    rbm, h_samples = fit_like_sklearn(X, n_components=n_components, learning_rate=learning_rate,
                                      batch_size=batch_size, n_iter=n_iter, random_state=seed)
    assert np.array_equal(rbm.W, model.components_.T)
    assert np.array_equal(rbm.b, model.intercept_visible_)
    assert np.array_equal(rbm.c, model.intercept_hidden_)
    assert np.array_equal(h_samples, model.h_samples_)


def test_random_state_instance_and_conventions():
    X = bars_and_stripes(3)
    model = BernoulliRBM(n_components=5, batch_size=4, n_iter=3, random_state=np.random.RandomState(7)).fit(X)
    rbm, _ = fit_like_sklearn(X, n_components=5, batch_size=4, n_iter=3, random_state=np.random.RandomState(7))
    assert np.array_equal(rbm.W, model.components_.T)
    # sklearn's hidden probabilities are our hidden_probs, and its free energy is ours (T = 1)
    np.testing.assert_allclose(rbm.hidden_probs(X), model.transform(X), rtol=0, atol=1e-15)
    np.testing.assert_allclose(rbm.free_energy(X), model._free_energy(X), rtol=0, atol=1e-12)


def test_zero_iterations_gives_the_initial_weights():
    X = bars_and_stripes(3)
    rbm, h_samples = fit_like_sklearn(X, n_components=4, n_iter=0, random_state=0)
    expected = np.random.RandomState(0).normal(0, 0.01, (4, 9)).T
    assert np.array_equal(rbm.W, expected)
    assert np.all(rbm.b == 0) and np.all(rbm.c == 0) and np.all(h_samples == 0)


def test_train_rbm_pcd_matches_sklearn_in_distribution(digits):
    """Our PCD (own random stream) and sklearn's reach the same exact test log-likelihood on average."""
    train, test = digits[:1500], digits[1500:]
    ours, theirs = [], []
    for seed in range(3):
        rbm = RBM.random(64, 16, rng=seed, scale=0.01)
        train_rbm(rbm, train, settings=TrainingSettings(method="pcd", lr=0.1, epochs=5, batch_size=100, shuffle=False, record_exact=False), rng=seed)
        ours.append(exact.log_likelihood(rbm, test))
        sk, _ = fit_like_sklearn(train, n_components=16, learning_rate=0.1, batch_size=100, n_iter=5,
                                 random_state=seed)
        theirs.append(exact.log_likelihood(sk, test))
    assert abs(np.mean(ours) - np.mean(theirs)) < 0.3
