"""Chapter 6 (book/06-unlearning.ipynb): the reproduced numbers.

Targets (the chapter's issue, from a prototype; N = 200, median of 5 seeds,
tolerance 0.07):

* fraction of Hebbian patterns exactly stable (zero diagonal) at
  alpha = 0.10 / 0.12 / 0.14 / 0.16 / 0.20: 0.95 / 0.79 / 0.46 / 0.31 / 0.12;
* at alpha = 0.2, epsilon = 0.01, retrieval from 10 %-noise cues about 0.28
  before dreaming and >= 0.90 after 500 dreams; over-unlearning later.

The chapter documents two disagreements, marked here as strict xfails so they
are reported and flip to failures if they ever start to pass: the targets at
alpha = 0.14 and 0.16 lie about 0.1 below the large-sample means, and the two
retrieval numbers hold for a tolerant criterion (final overlap >= 0.9), not for
exact retrieval (which cannot exceed the ~0.14 stable fraction).
Protocol: patterns = hp.random_patterns(P, 200, rng=seed) for seed 0..4; dreams
with rng 200 + seed; cues (5 per pattern) with rng 100 + seed.
"""

import numpy as np
import pytest

from dreambook import hopfield as hp
from dreambook.models import HopfieldNetwork

N = 200
TOL = 0.07
STABLE_TARGET = {0.10: 0.95, 0.12: 0.79, 0.14: 0.46, 0.16: 0.31, 0.20: 0.12}
DISAGREES = pytest.mark.xfail(strict=True, reason="documented in the chapter: target below "
                              "the large-sample mean of a careful implementation")
ALPHAS = [0.10, 0.12, pytest.param(0.14, marks=DISAGREES), pytest.param(0.16, marks=DISAGREES), 0.20]


def median_of_five(alpha):
    P = round(alpha * N)
    fractions = []
    for seed in range(5):
        xi = hp.random_patterns(P, N, rng=seed)
        fractions.append(hp.stable_fraction(HopfieldNetwork.hebbian(xi), xi))
    return float(np.median(fractions))


@pytest.mark.parametrize("alpha", ALPHAS)
def test_stable_fraction_median_of_five_seeds(alpha):
    assert abs(median_of_five(alpha) - STABLE_TARGET[alpha]) <= TOL


@pytest.mark.parametrize("alpha", ALPHAS)
def test_stable_fraction_large_sample_mean(alpha):
    P = round(alpha * N)
    mean = hp.hebbian_stable_fractions(P, N, 2000, rng=1000 + P).mean()
    assert abs(mean - STABLE_TARGET[alpha]) <= TOL


def test_diagonal_and_ties_explain_part_of_the_spread():
    """Keeping W_ii raises stability a lot; counting ties unstable lowers it a little."""
    zero = hp.hebbian_stable_fractions(40, N, 500, rng=7).mean()
    ties = hp.hebbian_stable_fractions(40, N, 500, rng=7, ties_stable=False).mean()
    diag = hp.hebbian_stable_fractions(40, N, 500, rng=7, zero_diagonal=False).mean()
    assert 0 < zero - ties < 0.05
    assert diag > zero + 0.3


@pytest.fixture(scope="module")
def unlearning_runs():
    """Retrieval (exact, overlap >= 0.9) at 0, 500 and 1000 dreams for seeds 0..4."""
    out = {}
    for seed in range(5):
        xi = hp.random_patterns(40, N, rng=seed)
        net = HopfieldNetwork.hebbian(xi)
        rng = np.random.default_rng(200 + seed)
        done = 0
        for c in (0, 500, 1000):
            if c > done:
                hp.dream(net, rng, 0.01, c - done)
            done = c
            out[seed, c] = (hp.retrieval_rate(net, xi, 100 + seed, 20, 5),
                            hp.retrieval_rate(net, xi, 100 + seed, 20, 5, min_overlap=0.9),
                            hp.stable_fraction(net, xi))
    return out


def _median(runs, dreams, k):
    return float(np.median([runs[s, dreams][k] for s in range(5)]))


def test_exact_retrieval_bounded_by_stability(unlearning_runs):
    for key, (exact_rate, _, stable) in unlearning_runs.items():
        assert exact_rate <= stable + 1e-12, key


def test_tolerant_retrieval_before_dreaming_is_about_028(unlearning_runs):
    assert abs(_median(unlearning_runs, 0, 1) - 0.28) <= TOL


def test_tolerant_retrieval_after_500_dreams_is_at_least_090(unlearning_runs):
    assert _median(unlearning_runs, 500, 1) >= 0.90


@pytest.mark.xfail(strict=True, reason="documented: exact retrieval cannot exceed the stable "
                   "fraction (~0.14), so 0.28 is not exact retrieval")
def test_exact_retrieval_before_dreaming_is_about_028(unlearning_runs):
    assert abs(_median(unlearning_runs, 0, 0) - 0.28) <= TOL


@pytest.mark.xfail(strict=True, reason="documented: exact retrieval reaches 0.90 between 500 and "
                   "1000 dreams (median 0.805 at 500)")
def test_exact_retrieval_after_500_dreams_is_at_least_090(unlearning_runs):
    assert _median(unlearning_runs, 500, 0) >= 0.90


def test_exact_retrieval_rises_to_at_least_090_by_1000_dreams(unlearning_runs):
    assert _median(unlearning_runs, 0, 0) < 0.2
    assert _median(unlearning_runs, 1000, 0) >= 0.90


def test_over_unlearning_collapses_retrieval():
    """Seed 0 as in the chapter: perfect retrieval at 4000 dreams, none by 5500."""
    xi = hp.random_patterns(40, N, rng=0)
    net = HopfieldNetwork.hebbian(xi)
    rng = np.random.default_rng(200)
    hp.dream(net, rng, 0.01, 4000)
    assert hp.retrieval_rate(net, xi, 7, 20, 2) >= 0.9
    hp.dream(net, rng, 0.01, 1500)
    assert hp.retrieval_rate(net, xi, 7, 20, 2) <= 0.1
