"""dreambook.sklearn.RBMEstimator passes scikit-learn's own estimator checks, and its score is a log-likelihood."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from dreambook import exact
from dreambook.data import bars_and_stripes
from dreambook.sklearn import RBMEstimator


@parametrize_with_checks([RBMEstimator(n_components=3, epochs=2, random_state=0),
                          RBMEstimator(n_components=3, epochs=2, method="cd", max_exact_units=1,
                                       ais_chains=20, ais_betas=50, random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_score_samples_is_the_exact_log_likelihood():
    X = bars_and_stripes(3)
    est = RBMEstimator(n_components=4, epochs=20, random_state=1).fit(X)
    assert est.log_partition_method_ == "exact"
    np.testing.assert_allclose(est.score_samples(X), exact.log_prob(est.rbm_, X), rtol=0, atol=1e-10)
    assert est.score(X) == pytest.approx(exact.log_likelihood(est.rbm_, X), abs=1e-10)
    # probabilities of all 2**9 visible states sum to one
    assert np.exp(est.score_samples(exact.all_states(9))).sum() == pytest.approx(1.0, abs=1e-9)


def test_ais_score_is_close_to_the_exact_one():
    X = bars_and_stripes(3)
    exact_est = RBMEstimator(n_components=4, epochs=20, random_state=1).fit(X)
    ais_est = RBMEstimator(n_components=4, epochs=20, random_state=1, max_exact_units=2,
                           ais_chains=200, ais_betas=2000).fit(X)
    assert ais_est.log_partition_method_ == "ais"
    np.testing.assert_array_equal(ais_est.components_, exact_est.components_)  # same training
    assert ais_est.log_partition_ == pytest.approx(exact_est.log_partition_, abs=0.05)


def test_boundary_binarizes_and_core_stays_strict():
    X = bars_and_stripes(3)
    est = RBMEstimator(n_components=2, epochs=1, random_state=0).fit(0.9 * X + 0.05)  # 0.05 / 0.95 -> 0 / 1
    np.testing.assert_array_equal(est.transform(X), est.rbm_.hidden_probs(X))
    with pytest.raises(ValueError, match="method must be one of"):
        RBMEstimator(method="nope").fit(X)
