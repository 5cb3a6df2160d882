"""The exact microscope for small RBMs in dreambook.learning (Chapters 4 and 5).

block_gibbs_matrices, cd_chain_distributions, expected_cd_gradient,
train_small_rbm and pseudo_log_likelihood, checked against dreambook.exact,
against Monte Carlo averages of the sampled estimators, and against
scikit-learn. Stochastic checks run at fixed seeds with wide margins.
"""

import numpy as np
import pytest

from dreambook import exact
from dreambook.data import bars_and_stripes
from dreambook.training import FullBatch, History, TrainingSettings, train_rbm, train_small_rbm
from dreambook.markov import block_gibbs_matrices, cd_chain_distributions
from dreambook.learning import cd_gradient, expected_cd_gradient
from dreambook.diagnostics import pseudo_log_likelihood
from dreambook.models import RBM
from dreambook.sampling import block_gibbs


def _flat(grad):
    return np.concatenate([np.ravel(grad[key]) for key in ("W", "b", "c")])


@pytest.fixture
def small():
    return RBM.random(4, 3, rng=3, scale=1.5, T=1.3)


DATA4 = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0]], dtype=float)


# ---------------------------------------------------------------------------
# block_gibbs_matrices
# ---------------------------------------------------------------------------
def test_matrices_are_the_products_of_the_conditionals(small):
    Q, R = block_gibbs_matrices(small)
    V, H = exact.all_states(4), exact.all_states(3)
    assert Q.shape == (16, 8) and R.shape == (8, 16)
    np.testing.assert_allclose(Q.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(R.sum(axis=1), 1.0, atol=1e-12)
    ph, pv = small.hidden_probs(V), small.visible_probs(H)
    brute_Q = np.prod(np.where(H[None, :, :] == 1, ph[:, None, :], 1 - ph[:, None, :]), axis=2)
    brute_R = np.prod(np.where(V[None, :, :] == 1, pv[:, None, :], 1 - pv[:, None, :]), axis=2)
    np.testing.assert_allclose(Q, brute_Q, rtol=1e-12)
    np.testing.assert_allclose(R, brute_R, rtol=1e-12)


@pytest.mark.parametrize("scale", [0.1, 3.0, 300.0])
def test_model_marginal_is_stationary_even_with_huge_weights(scale):
    rbm = RBM.random(5, 4, rng=0, scale=scale)
    Q, R = block_gibbs_matrices(rbm)
    assert np.all(np.isfinite(Q)) and np.all(np.isfinite(R))
    p = exact.probabilities(rbm)
    np.testing.assert_allclose(p @ Q @ R, p, atol=1e-10)


def test_matrices_refuse_large_models_and_non_rbms():
    with pytest.raises(ValueError, match="max_units"):
        block_gibbs_matrices(RBM.zeros(13, 2))
    with pytest.raises(ValueError, match="max_units"):
        block_gibbs_matrices(RBM.zeros(4, 5), max_units=4)
    with pytest.raises(TypeError, match="rbm"):
        block_gibbs_matrices("not a model")


# ---------------------------------------------------------------------------
# cd_chain_distributions and expected_cd_gradient
# ---------------------------------------------------------------------------
def test_chain_distributions_start_at_the_data_and_forget_it(small):
    p = cd_chain_distributions(small, DATA4, k=300)
    assert p.shape == (301, 16)
    expected0 = np.zeros(16)
    expected0[[0b1010, 0b0101, 0b1100]] = 1 / 3
    np.testing.assert_array_equal(p[0], expected0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p[-1], exact.probabilities(small), atol=1e-9)
    assert cd_chain_distributions(small, DATA4, k=0).shape == (1, 16)


def test_chain_distribution_matches_sampled_chains(small):
    """p_2 is the distribution of v after two block Gibbs steps from the data."""
    from dreambook.states import state_index

    p2 = cd_chain_distributions(small, DATA4, k=2)[-1]
    starts = np.repeat(DATA4, 4000, axis=0)
    v, _ = block_gibbs(small, starts, 2, rng=0)
    freq = np.bincount(state_index(v), minlength=16) / len(v)
    assert np.abs(freq - p2).max() < 0.015


@pytest.mark.parametrize("statistics", ["hidden_probs", "sampled"])
def test_expected_cd_gradient_is_the_mean_of_cd_gradient(small, statistics):
    k = 2
    expected = _flat(expected_cd_gradient(small, DATA4, k=k))
    rng = np.random.default_rng(7)
    n = 6000
    mean = sum(_flat(cd_gradient(small, DATA4, k, rng, statistics=statistics)) for _ in range(n)) / n
    # Monte Carlo standard error is about 0.3 / sqrt(6000) < 0.005 per entry
    assert np.abs(mean - expected).max() < 0.03


def test_expected_cd_tends_to_the_exact_gradient(small):
    exact_grad = _flat(exact.log_likelihood_gradient(small, DATA4))
    errors = [np.linalg.norm(_flat(expected_cd_gradient(small, DATA4, k=k)) - exact_grad) for k in (1, 3, 10, 400)]
    assert errors[-1] < 1e-8
    assert errors[0] > errors[1] > errors[2]


def test_expected_cd_bad_inputs(small):
    with pytest.raises(ValueError, match="k"):
        expected_cd_gradient(small, DATA4, k=0)
    with pytest.raises(ValueError, match="data"):
        expected_cd_gradient(small, [[0, 1]], k=1)
    with pytest.raises(ValueError, match="k"):
        cd_chain_distributions(small, DATA4, k=-1)


# ---------------------------------------------------------------------------
# train_small_rbm
# ---------------------------------------------------------------------------
def test_exact_and_expected_updates_are_plain_gradient_steps(small):
    for method, grad_fn in [("exact", lambda r: exact.log_likelihood_gradient(r, DATA4)),
                            ("expected_cd", lambda r: expected_cd_gradient(r, DATA4, k=2))]:
        rbm = small.copy()
        grad = grad_fn(rbm)
        history = train_small_rbm(rbm, DATA4, n_updates=1, rng=0,
                                  settings=FullBatch(method=method, k=2, lr=0.3, weight_decay=0.1),
                                  record_every=1)
        np.testing.assert_allclose(rbm.W, small.W + 0.3 * (grad["W"] - 0.1 * small.W), atol=1e-12)
        np.testing.assert_allclose(rbm.b, small.b + 0.3 * grad["b"], atol=1e-12)
        np.testing.assert_allclose(rbm.c, small.c + 0.3 * grad["c"], atol=1e-12)
        assert history.n_updates.tolist() == [0, 1]


def test_cd_method_reproduces_train_rbm_exactly():
    data = bars_and_stripes(3)
    a, b = RBM.random(9, 5, rng=1), RBM.random(9, 5, rng=1)
    train_small_rbm(a, data, n_updates=50, rng=11, settings=FullBatch(method="cd", k=3, lr=0.1),
                    record_every=10)
    train_rbm(b, data, settings=TrainingSettings(method="cd", k=3, lr=0.1, epochs=50, batch_size=14, shuffle=False, record_exact=False), rng=11)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_array_equal(a.c, b.c)


def test_recorded_diagnostics_are_exact():
    data = bars_and_stripes(3)
    rbm = RBM.random(9, 6, rng=2, scale=0.5)
    history = train_small_rbm(rbm, data, n_updates=40, rng=0, settings=FullBatch(method="exact", k=1, lr=0.1),
                              record_every=20)
    assert isinstance(history, History)
    assert history.n_updates.tolist() == [0, 20, 40] and (history.k, history.lr) == (1, 0.1)
    assert history.log_likelihood[-1] == pytest.approx(exact.log_likelihood(rbm, data), abs=1e-12)
    g = _flat(exact.log_likelihood_gradient(rbm, data))
    e = _flat(expected_cd_gradient(rbm, data, k=1))
    assert history.cosine[-1] == pytest.approx(g @ e / np.linalg.norm(g) / np.linalg.norm(e), abs=1e-12)
    assert history.relative_bias[-1] == pytest.approx(np.linalg.norm(e - g) / np.linalg.norm(g), abs=1e-12)
    assert history.weight_norm[-1] == pytest.approx(np.linalg.norm(rbm.W))
    assert np.all(np.abs(history.cosine_sampled) <= 1.0)
    assert "exact" in repr(history)


def test_train_small_rbm_bad_inputs():
    data = bars_and_stripes(3)
    rbm = RBM.zeros(9, 3)
    with pytest.raises(ValueError, match="method"):
        train_small_rbm(rbm, data, rng=0, settings=FullBatch(method="pcd"))
    with pytest.raises(ValueError, match="record_every"):
        train_small_rbm(rbm, data, record_every=0, rng=0)
    with pytest.raises(ValueError, match="max_units"):
        train_small_rbm(RBM.zeros(16, 3), np.zeros((2, 16)), rng=0)
    with pytest.raises(ValueError, match="weight_decay"):
        train_small_rbm(rbm, data, rng=0, settings=FullBatch(weight_decay=-1.0))


# ---------------------------------------------------------------------------
# pseudo_log_likelihood
# ---------------------------------------------------------------------------
def test_pseudo_likelihood_is_the_sum_of_exact_conditionals(small):
    V = exact.all_states(4)
    log_p = exact.log_prob(small, V)
    index = np.arange(16)
    brute = np.zeros(16)
    for i in range(4):
        flipped = index ^ (1 << (3 - i))
        brute += log_p - np.logaddexp(log_p, log_p[flipped])
    np.testing.assert_allclose(pseudo_log_likelihood(small, V), brute, atol=1e-12)
    # and it is not the log-likelihood
    assert np.abs(pseudo_log_likelihood(small, V) - log_p).max() > 0.1


def test_sklearn_score_samples_estimates_the_pseudo_likelihood():
    from sklearn.neural_network import BernoulliRBM

    rbm = RBM.random(6, 4, rng=0, scale=1.0)
    rbm.b[:] = [0.5, -0.5, 1.0, 0.0, -1.0, 0.3]
    sk = BernoulliRBM(n_components=4, random_state=0)
    sk.components_, sk.intercept_visible_, sk.intercept_hidden_ = rbm.W.T.copy(), rbm.b.copy(), rbm.c.copy()
    x = np.array([[1, 0, 1, 1, 0, 0]], dtype=float)
    scores = sk.score_samples(np.repeat(x, 20000, axis=0))
    assert scores.mean() == pytest.approx(pseudo_log_likelihood(rbm, x)[0], abs=0.05)


def test_stationary_point_finds_zeros_of_both_fields_and_refuses_data_without_full_support():
    import numpy as np
    import pytest

    from dreambook.learning import exact_gradient, expected_cd_gradient, stationary_point
    from dreambook.models import RBM
    from dreambook.states import all_states

    def norm(g):
        return np.linalg.norm(np.concatenate([np.ravel(g[key]) for key in ("W", "b", "c")]))

    data = np.vstack([all_states(3), [[1, 1, 0]] * 3, [[0, 0, 1]] * 2])   # full support
    start = RBM.random(3, 2, rng=1, scale=0.1)
    mle, g_norm = stationary_point(start, data, n_updates=200)
    assert g_norm < 1e-10 and norm(exact_gradient(mle, data)) < 1e-10
    assert start.W[0, 0] != mle.W[0, 0]                       # the start is not modified
    cd1, e_norm = stationary_point(mle, data, k=1, n_updates=200)
    assert norm(expected_cd_gradient(cd1, data, 1)) < 1e-10
    with pytest.raises(RuntimeError, match="no zero found"):
        stationary_point(start, data, tol=1e-300, n_updates=0)
    with pytest.raises(ValueError, match="k"):
        stationary_point(start, data, k=0)
    # with an L2 penalty the zero is of F(theta) - lambda * theta
    lam = 0.05
    decayed, _ = stationary_point(start, data, weight_decay=lam, n_updates=200)
    theta = np.concatenate([decayed.W.ravel(), decayed.b, decayed.c])
    g = exact_gradient(decayed, data)
    assert np.linalg.norm(np.concatenate([g["W"].ravel(), g["b"], g["c"]]) - lam * theta) < 1e-10
    with pytest.raises(ValueError, match="weight_decay"):
        stationary_point(start, data, weight_decay=-1.0)
