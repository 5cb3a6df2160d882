"""Chapter 5: PCD, pseudo-likelihood and AIS on the binarised digits.

Tieleman (2008) found that PCD beats CD-1 and CD-10 in exact test
log-likelihood on MNIST; the chapter's smaller setting (RBM 64-12 on the 8x8
digits, lr 0.05, minibatches of 20, 100 epochs) does not reproduce that
ranking, and says so. The numbers asserted here are the book's own
measurement, exact test log-likelihood in nats per image:

* the medians over five seeds the chapter prints from ``book/data/ch05_digits.npz``
  (CD-1 -19.05, CD-10 -18.95, PCD -19.54, ...), re-run by the slow test;
* independent-pixel baseline -25.21;
* AIS estimate of log Z within 0.1 nats of the exact value.

The slow test re-runs ``scripts/ch05_digits.py`` (five seeds of every
variant, about half a minute of CPU on two processes). Its training runs
depend on the last bits of the arithmetic: under another BLAS kernel or SIMD
level a sampled unit flips and a run parts from the stored one. So the re-run
is compared with the file on what the chapter claims, the medians over seeds
and the ranking, within tolerances measured across numeric configurations
(:data:`MEDIAN_TOLERANCE`); only under the very configuration the file records
is it compared entry by entry.
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
from dreambook.training import TrainingSettings, train_rbm
from dreambook.models import RBM

ROOT = Path(__file__).resolve().parents[2]
#: How far a re-run's median over the 5 seeds may lie from the stored one, in nats per image.
#: Measured with the script under the default configuration (OpenBLAS SkylakeX core, numpy AVX-512
#: dispatch), a portable one (OpenBLAS Prescott core, numpy SIMD dispatch off) and two BLAS threads:
#: the medians moved by at most 1e-5 (CD-1, PCD, FPCD, PCD decaying), 5e-4 (CD-1 guide), 0.050
#: (CD-10) and 0.315 (PCD guide, whose seeds spread over 3.7 nats). Tolerances: about twice the
#: movement for CD-10 and PCD guide; 0.02 for the others, two units of the second decimal the chapter
#: prints medians with (their measured movement is far smaller).
MEDIAN_TOLERANCE = {"cd1": 0.02, "cd10": 0.1, "pcd": 0.02, "fpcd": 0.02, "pcd_decaying_lr": 0.02,
                    "cd1_guide": 0.02, "pcd_guide": 0.6}
#: Live CD-1 seed 0 against the stored seed 0: moved by 1.2e-5 nats across the configurations.
SEED0_TOLERANCE = 1e-4


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
    train_rbm(rbm, train, settings=TrainingSettings(method="cd", k=1, lr=0.05, epochs=100, batch_size=20, record_exact=False), rng=0)
    return rbm


def test_independent_pixel_baseline(digits):
    train, test = digits
    p = np.clip(train.mean(axis=0), 1e-3, 1 - 1e-3)
    baseline = np.mean(test @ np.log(p) + (1 - test) @ np.log1p(-p))
    assert baseline == pytest.approx(-25.21, abs=0.01)


@pytest.fixture(scope="module")
def stored():
    return dict(np.load(ROOT / "book" / "data" / "ch05_digits.npz"))


def test_cd1_seed0_retrained_equals_the_stored_run(digits, cd1_model, stored):
    _, test = digits
    assert exact.log_likelihood(cd1_model, test) == pytest.approx(stored["cd1_test"][0], abs=SEED0_TOLERANCE)


def test_stored_seed0_models_are_the_runs_the_file_reports(digits, stored):
    """The chapter's tables use the stored models: their exact test LL is the stored seed-0 number."""
    _, test = digits
    for key in ("cd1", "cd10", "pcd", "fpcd"):
        rbm = RBM(stored[f"{key}_W"], stored[f"{key}_b"], stored[f"{key}_c"])
        assert exact.log_likelihood(rbm, test) == pytest.approx(stored[f"{key}_test"][0], abs=1e-9), key
        assert stored[f"{key}_curve"][-1] == pytest.approx(stored[f"{key}_test"][0], abs=1e-9), key
    assert stored["pcd_chains"].shape == (20, 12)


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
def test_full_reproduction_agrees_with_the_committed_file_on_what_the_chapter_claims(stored):
    import notebook_env

    script = _script()
    result = script.compute(processes=2)
    assert sorted(stored) == sorted(result)
    medians = {key: np.median(result[f"{key}_test"]) for key in MEDIAN_TOLERANCE}
    for key, tolerance in MEDIAN_TOLERANCE.items():
        assert medians[key] == pytest.approx(np.median(stored[f"{key}_test"]), abs=tolerance), key
    assert float(result["independent_test"]) == pytest.approx(-25.21, abs=0.01)
    # the ranking the chapter reports: PCD at this constant rate is worse than CD by more than 0.3 nats,
    # the guide's variant hurts PCD by more than a nat and changes CD-1 little, every RBM beats independence
    assert medians["pcd"] < min(medians["cd1"], medians["cd10"]) - 0.3
    assert medians["pcd_guide"] < medians["pcd"] - 1.0
    assert abs(medians["cd1_guide"] - medians["cd1"]) < 0.2
    assert min(medians.values()) > float(result["independent_test"]) + 3.0
    # PCD at this constant learning rate is the noisiest of the three; a decaying rate steadies it
    spread = {key: np.ptp(result[f"{key}_test"]) for key in ("cd1", "cd10", "pcd", "pcd_decaying_lr")}
    assert spread["pcd"] > max(spread["cd1"], spread["cd10"], spread["pcd_decaying_lr"])
    assert spread["pcd_decaying_lr"] < 0.5 * spread["pcd"]
    # under the configuration that wrote the file, the re-run is the file, entry by entry
    if notebook_env.same_configuration(str(stored["configuration"])):
        for key in stored:
            if key != "configuration":
                np.testing.assert_allclose(result[key], stored[key], rtol=1e-7, atol=1e-10, err_msg=key)


def _stored_model(stored, key):
    return RBM(stored[f"{key}_W"], stored[f"{key}_b"], stored[f"{key}_c"])


def test_one_step_ais_is_plain_importance_sampling_and_fails(digits, stored):
    """The numbers of the solution of exercise ch5-ex-one-step (seed-0 CD-1 model, rng=0).

    Each run replays a fixed random stream, so its estimate, error, reported
    standard error and effective sample size are asserted to the digits the
    solution prints (half a unit of the last one)."""
    train, _ = digits
    rbm = _stored_model(stored, "cd1")
    log_z = exact.log_partition(rbm)
    assert log_z == pytest.approx(60.821, abs=5e-4)

    def run(K, n_chains):
        return ais_log_partition(rbm, n_chains=n_chains, betas=linear_betas(K + 1), rng=0, data=train)

    one = run(1, 100)
    assert one.log_z == pytest.approx(59.965, abs=5e-4)
    assert log_z - one.log_z == pytest.approx(0.86, abs=5e-3)
    assert one.ess == pytest.approx(3.4, abs=0.05)
    assert one.log_z_std == pytest.approx(0.54, abs=5e-3)
    ten = run(10, 100)
    assert ten.log_z - log_z == pytest.approx(-0.15, abs=5e-3)
    assert ten.ess == pytest.approx(30.8, abs=0.05)
    many = run(1, 10_000)
    assert many.log_z - log_z == pytest.approx(-0.21, abs=5e-3)
    assert many.ess == pytest.approx(23.6, abs=0.05)
    # K = 1000 is the chapter's AIS table (1000 temperatures): error +0.04
    table = ais_log_partition(rbm, n_chains=100, betas=linear_betas(1000), rng=0, data=train)
    assert table.log_z - log_z == pytest.approx(0.04, abs=5e-3)


def test_stronger_fast_weights_move_the_particles_further(digits, stored):
    """The numbers of the solution of exercise ch5-ex-fast-lr: distinct hidden states
    visited in 150 updates by the seed-0 PCD model's particles (the gallery's start and
    random stream, rng=1). Counts from a replayed stream, asserted exactly."""
    from dreambook.training import persistent_dreams

    train, _ = digits
    rbm = _stored_model(stored, "pcd")

    def visited(dreamer, **kwargs):
        run = persistent_dreams(rbm, train, stored["pcd_chains"], dreamer, n_updates=150, rng=1, **kwargs)
        return int(run.visited[-1])

    assert visited("no learning") == 342
    assert visited("PCD") == 538
    assert [visited("fast weights", fast_lr=lr) for lr in (0.05, 0.2, 0.5)] == [542, 576, 646]
