"""Chapter 5: PCD, pseudo-likelihood and AIS on the binarised digits.

Tieleman (2008) found that PCD beats CD-1 and CD-10 in exact test
log-likelihood on MNIST; the chapter's smaller setting (RBM 64-12 on the 8x8
digits, lr 0.05, minibatches of 20, 100 epochs) does not reproduce that
ranking, and says so. The numbers asserted here are the book's own
measurement, exact test log-likelihood in nats per image, within tolerance
bands:

* CD-1 -18.86, CD-10 -18.91, PCD -19.29 (band centres; each +- 0.3)
* independent-pixel baseline -25.21
* AIS estimate of log Z within 0.1 nats of the exact value

The slow test re-runs ``scripts/ch05_digits.py`` (five seeds of every
variant, about half a minute of CPU on two processes) and checks that its
result equals the committed file the chapter reads.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp

from dreambook import exact
from dreambook.data import load_digits_binary
from dreambook.estimate import ais_log_partition, linear_betas
from dreambook.diagnostics import pseudo_log_likelihood
from dreambook.training import train_rbm
from dreambook.models import RBM

ROOT = Path(__file__).resolve().parents[2]
#: Centres of the +- 0.3-nat tolerance bands around the book's measurement (medians of 5 seeds).
BAND_CENTRES = {"cd1": -18.86, "cd10": -18.91, "pcd": -19.29}


def _script():
    """The committed script, imported by name so that its worker processes can find it."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    return importlib.import_module("ch05_digits")


@pytest.fixture(scope="module")
def digits():
    return load_digits_binary()


@pytest.fixture(scope="module")
def cd1_model(digits):
    train, _ = digits
    rbm = RBM.random(64, 12, rng=0, scale=0.01)
    train_rbm(rbm, train, method="cd", k=1, lr=0.05, epochs=100, batch_size=20, rng=0, record_exact=False)
    return rbm


def test_independent_pixel_baseline(digits):
    train, test = digits
    p = np.clip(train.mean(axis=0), 1e-3, 1 - 1e-3)
    baseline = np.mean(test @ np.log(p) + (1 - test) @ np.log1p(-p))
    assert baseline == pytest.approx(-25.21, abs=0.01)


def test_cd1_seed0_is_within_its_band(digits, cd1_model):
    _, test = digits
    assert exact.log_likelihood(cd1_model, test) == pytest.approx(BAND_CENTRES["cd1"], abs=0.3)


def test_ais_log_partition_within_a_tenth_of_a_nat(digits, cd1_model):
    train, _ = digits
    result = ais_log_partition(cd1_model, n_chains=100, betas=linear_betas(1000), rng=0, data=train)
    assert abs(result.log_z - exact.log_partition(cd1_model)) < 0.1


def test_ais_single_chains_are_a_lower_bound_whose_gap_falls_with_k(digits, cd1_model):
    """Neal (2001): E[w] = Z / Z_A, so E[log w] + log Z_A <= log Z; the gap shrinks with more steps."""
    train, _ = digits
    log_z = exact.log_partition(cd1_model)
    gaps = []
    for K in (10, 100):
        run = ais_log_partition(cd1_model, n_chains=2000, betas=linear_betas(K + 1), rng=K, data=train)
        log_w = run.log_weights + run.log_z_base - log_z
        gaps.append(-log_w.mean())
        # the estimator itself (log of the mean weight) is much closer than a single chain
        assert abs(logsumexp(log_w) - np.log(log_w.size)) < 0.5 * gaps[-1] + 0.05
    assert gaps[0] > 0.3 and 0 < gaps[1] < 0.5 * gaps[0]


def test_pseudo_likelihood_is_not_the_likelihood(digits, cd1_model):
    _, test = digits
    ll = exact.log_likelihood(cd1_model, test)
    pl = pseudo_log_likelihood(cd1_model, test).mean()
    assert pl - ll > 2.0
    # and scikit-learn's score_samples is a noisy one-pixel version of it
    from sklearn.neural_network import BernoulliRBM

    sk = BernoulliRBM(n_components=12, random_state=0)
    sk.components_, sk.intercept_visible_, sk.intercept_hidden_ = (
        cd1_model.W.T.copy(), cd1_model.b.copy(), cd1_model.c.copy())
    assert abs(sk.score_samples(test).mean() - ll) > 2.0


@pytest.mark.slow
def test_full_reproduction_is_within_its_bands_and_equals_the_committed_file():
    script = _script()
    result = script.compute(processes=2)
    for key, centre in BAND_CENTRES.items():
        assert np.median(result[f"{key}_test"]) == pytest.approx(centre, abs=0.3), key
    assert float(result["independent_test"]) == pytest.approx(-25.21, abs=0.01)
    # PCD at this constant learning rate is the noisiest of the three; a decaying rate steadies it
    spread = {key: np.ptp(result[f"{key}_test"]) for key in ("cd1", "cd10", "pcd", "pcd_decaying_lr")}
    assert spread["pcd"] > max(spread["cd1"], spread["cd10"], spread["pcd_decaying_lr"])
    stored = np.load(script.OUTPUT_FILE)
    assert sorted(stored.files) == sorted(result)
    for key in stored.files:
        if key == "configuration":  # which BLAS core, SIMD and threads wrote the file (JSON text)
            continue
        np.testing.assert_allclose(result[key], stored[key], rtol=1e-7, atol=1e-10, err_msg=key)
