"""Performance benchmarks of dreambook, measured against scikit-learn in the same run.

Run from the repository root::

    python -m benchmarks                 # full run (about a minute)
    python -m benchmarks --quick         # smoke run of the harness (seconds; timings not meaningful)
    python -m benchmarks --json out.json # also write a flat JSON object name -> value

BLAS is pinned to one thread (threadpoolctl) so that the ratios compare
algorithms, not core counts. Each timing is repeated ``--reps`` times (at
least 5 in a full run), ours and the reference interleaved, and the median
is used. Ratios are ours / reference for times (lower is better) and
ours / reference for rates (higher is better), as labelled.

Workload (the book's running example): binarised digits (1500 x 64), 16
hidden units, learning rate 0.1, 20 epochs, PCD-1. scikit-learn's
``BernoulliRBM`` does not shuffle, so the matched comparison uses
``shuffle=False``; the default ``shuffle=True`` is reported for information.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import tracemalloc

import numpy as np

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

from dreambook import exact
from dreambook.data import load_digits_binary
from dreambook.estimate import ais_log_partition, linear_betas
from dreambook.sampling import sample_chains
from dreambook.training import TrainingSettings, train_rbm
from dreambook.models import RBM

try:
    from sklearn.neural_network import BernoulliRBM
except ImportError:  # pragma: no cover
    BernoulliRBM = None


def _median(values):
    return float(statistics.median(values))


def _timed(f):
    start = time.perf_counter()
    out = f()
    return time.perf_counter() - start, out


def _sklearn_rbm(model) -> RBM:
    return RBM(model.components_.T, model.intercept_visible_, model.intercept_hidden_)


# ---------------------------------------------------------------------------
# Individual benchmarks; each returns a flat dict name -> value
# ---------------------------------------------------------------------------
def bench_pcd(train, test, batch_size, epochs, reps, n_hidden=16, lr=0.1):
    """PCD-1 training time per epoch and final exact test log-likelihood, ours vs scikit-learn."""
    ours, ours_shuffled, theirs = [], [], []
    ll_ours, ll_ours_shuffled, ll_theirs = [], [], []
    for rep in range(reps):
        seed = rep

        def fit_ours(shuffle):
            rbm = RBM.random(train.shape[1], n_hidden, rng=seed, scale=0.01)
            train_rbm(rbm, train, settings=TrainingSettings(method="pcd", k=1, lr=lr, epochs=epochs, batch_size=batch_size, shuffle=shuffle, record_exact=False), rng=seed)
            return rbm

        t, rbm = _timed(lambda: fit_ours(False))
        ours.append(t / epochs)
        ll_ours.append(exact.log_likelihood(rbm, test))
        if BernoulliRBM is not None:
            t, model = _timed(lambda: BernoulliRBM(n_components=n_hidden, learning_rate=lr, batch_size=batch_size,
                                                   n_iter=epochs, random_state=seed).fit(train))
            theirs.append(t / epochs)
            ll_theirs.append(exact.log_likelihood(_sklearn_rbm(model), test))
        t, rbm = _timed(lambda: fit_ours(True))
        ours_shuffled.append(t / epochs)
        ll_ours_shuffled.append(exact.log_likelihood(rbm, test))
    key = f"pcd_b{batch_size}"
    out = {
        f"{key}_ours_ms_per_epoch": 1e3 * _median(ours),
        f"{key}_ours_shuffled_ms_per_epoch": 1e3 * _median(ours_shuffled),
        f"{key}_test_ll_ours_median": _median(ll_ours),
        f"{key}_test_ll_ours_sd": float(np.std(ll_ours)),
        f"{key}_test_ll_ours_shuffled_median": _median(ll_ours_shuffled),
    }
    if theirs:
        out.update({
            f"{key}_sklearn_ms_per_epoch": 1e3 * _median(theirs),
            f"{key}_time_ratio": _median(ours) / _median(theirs),
            f"{key}_shuffled_time_ratio": _median(ours_shuffled) / _median(theirs),
            f"{key}_test_ll_sklearn_median": _median(ll_theirs),
            f"{key}_test_ll_sklearn_sd": float(np.std(ll_theirs)),
        })
    return out


def bench_gibbs(train, n_chains, n_sweeps, reps, n_hidden=16):
    """Block Gibbs sweeps per second on n_chains chains: ours (float64, float32) vs BernoulliRBM.gibbs."""
    rbm = RBM.random(train.shape[1], n_hidden, rng=0, scale=0.5)
    rbm.c[:] = -1.0
    rows = np.random.default_rng(0).integers(0, train.shape[0], n_chains)
    v0 = train[rows]
    f64, f32, theirs = [], [], []
    model = None
    if BernoulliRBM is not None:
        model = BernoulliRBM(n_components=n_hidden, random_state=0)
        model.components_ = rbm.W.T.copy(order="F")
        model.intercept_visible_ = rbm.b.copy()
        model.intercept_hidden_ = rbm.c.copy()
        model.random_state_ = np.random.RandomState(0)
    for rep in range(reps):
        t, _ = _timed(lambda: sample_chains(rbm, v0, n_sweeps, rng=rep))
        f64.append(n_sweeps / t)
        t, _ = _timed(lambda: sample_chains(rbm, v0, n_sweeps, rng=rep, dtype=np.float32))
        f32.append(n_sweeps / t)
        if model is not None:
            def run_sklearn():
                v = v0
                for _ in range(n_sweeps):
                    v = model.gibbs(v)
                return v

            t, _ = _timed(run_sklearn)
            theirs.append(n_sweeps / t)
    out = {"gibbs_f64_sweeps_per_s": _median(f64), "gibbs_f32_sweeps_per_s": _median(f32)}
    if theirs:
        out.update({
            "gibbs_sklearn_sweeps_per_s": _median(theirs),
            "gibbs_f64_speedup": _median(f64) / _median(theirs),
            "gibbs_f32_speedup": _median(f32) / _median(theirs),
        })
    return out


def bench_cd_large(n_visible, n_hidden, batch_size, n_steps, reps):
    """Throughput of a CD-1 step relative to a plain single-thread matrix product of the same size.

    A CD-1 step does the work of five (batch x n_visible x n_hidden) products:
    p(h|data), p(v|h), p(h|v) and the two halves of the gradient. The
    reference is ``(batch x n_visible) @ (n_visible x n_hidden)`` in float64.
    """
    rng = np.random.default_rng(0)
    data = (rng.random((batch_size * n_steps, n_visible)) < 0.2).astype(np.float64)
    flops_per_product = 2.0 * batch_size * n_visible * n_hidden
    A = rng.random((batch_size, n_visible))
    B = rng.normal(size=(n_visible, n_hidden))
    C = np.empty((batch_size, n_hidden))
    step_rates, matmul_rates = [], []
    for rep in range(reps):
        rbm = RBM.random(n_visible, n_hidden, rng=rep, scale=0.01)
        t, _ = _timed(lambda: train_rbm(rbm, data, settings=TrainingSettings(method="cd", k=1, lr=0.01, epochs=1, batch_size=batch_size, shuffle=False, record_exact=False), rng=rep))
        step_rates.append(5 * flops_per_product * n_steps / t)

        def products():
            for _ in range(5 * n_steps):
                np.matmul(A, B, out=C)

        t, _ = _timed(products)
        matmul_rates.append(5 * flops_per_product * n_steps / t)
    return {
        "cd_large_gflops": _median(step_rates) / 1e9,
        "matmul_gflops": _median(matmul_rates) / 1e9,
        "cd_large_matmul_efficiency": _median(step_rates) / _median(matmul_rates),
    }


def bench_exact(n_visible, hidden_sizes, measure_memory=True):
    """Time (and peak traced memory) of the exact log partition function."""
    out = {}
    peak = 0.0
    for nh in hidden_sizes:
        rng = np.random.default_rng(nh)
        rbm = RBM(rng.normal(0, 0.1, (n_visible, nh)), rng.normal(0, 1, n_visible), rng.normal(-1, 0.5, nh))
        times = [_timed(lambda: exact.log_partition(rbm))[0]]
        while sum(times) < 1.0 and len(times) < 5:  # repeat the fast cases; report the median
            times.append(_timed(lambda: exact.log_partition(rbm))[0])
        out[f"exact_logz_{nh}h_seconds"] = _median(times)
        if measure_memory:
            tracemalloc.start()
            exact.log_partition(rbm)
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
    if measure_memory:
        out["exact_logz_peak_mib"] = peak
    return out


def bench_ais(train, test, n_chains, n_betas, reps, epochs, n_hidden=16):
    """AIS time and error against the exact log Z, on a PCD-trained digits RBM."""
    rbm = RBM.random(train.shape[1], n_hidden, rng=0, scale=0.01)
    train_rbm(rbm, train, settings=TrainingSettings(method="pcd", lr=0.1, epochs=epochs, batch_size=10, record_exact=False), rng=0)
    log_z = exact.log_partition(rbm)
    times, errors = [], []
    for rep in range(reps):
        t, result = _timed(lambda: ais_log_partition(rbm, n_chains, linear_betas(n_betas), rng=rep, data=train))
        times.append(t)
        errors.append(result.log_z - log_z)
    return {
        "ais_seconds": _median(times),
        "ais_abs_error_median": _median([abs(e) for e in errors]),
        "ais_abs_error_max": max(abs(e) for e in errors),
        "ais_mean_error": float(np.mean(errors)),
    }


# ---------------------------------------------------------------------------
# Targets and the report
# ---------------------------------------------------------------------------
TARGETS = [
    # (label, key, comparison, target)
    ("PCD-1 epoch time / sklearn, batch 10", "pcd_b10_time_ratio", "<=", 0.55),
    ("PCD-1 epoch time / sklearn, batch 100", "pcd_b100_time_ratio", "<=", 0.50),
    ("PCD-1 test LL - sklearn (median), batch 10", "pcd_b10_test_ll_difference", ">=", 0.0),
    ("PCD-1 test LL - sklearn (median), batch 100", "pcd_b100_test_ll_difference", ">=", 0.0),
    ("Gibbs sweeps/s vs sklearn, float64", "gibbs_f64_speedup", ">=", 1.5),
    ("Gibbs sweeps/s vs sklearn, float32", "gibbs_f32_speedup", ">=", 3.0),
    ("CD-1 784x500 b100 / matmul throughput", "cd_large_matmul_efficiency", ">=", 0.60),
    ("exact log Z, 64x20 (s)", "exact_logz_20h_seconds", "<=", 0.5),
    ("exact log Z, 64x24 (s)", "exact_logz_24h_seconds", "<=", 10.0),
    ("exact log Z peak traced memory (MiB)", "exact_logz_peak_mib", "<=", 64.0),
    ("AIS 100 chains x 1000 betas (s)", "ais_seconds", "<=", 0.3),
    ("AIS |log Z error| (max over reps, nats)", "ais_abs_error_max", "<=", 0.05),
]


def _passes(value, comparison, target) -> bool:
    if value is None or not math.isfinite(value):
        return False
    return bool(value <= target) if comparison == "<=" else bool(value >= target)


def report(results: dict, quick: bool, file=sys.stdout) -> dict:
    """Print the table of targets; return ``{"pass_<key>": bool}``."""
    verdicts = {}
    width = max(len(label) for label, *_ in TARGETS)
    print(f"\n{'target':<{width}}  {'measured':>10}  {'goal':>9}  verdict", file=file)
    print("-" * (width + 33), file=file)
    for label, key, comparison, target in TARGETS:
        value = results.get(key)
        if value is None:
            print(f"{label:<{width}}  {'n/a':>10}  {comparison}{target:>7}  SKIP", file=file)
            continue
        ok = _passes(value, comparison, target)
        verdicts[f"pass_{key}"] = ok
        verdict = "PASS" if ok else "FAIL"
        if quick:
            verdict += " (quick run: sizes reduced, not meaningful)"
        print(f"{label:<{width}}  {value:>10.4g}  {comparison}{target:>7}  {verdict}", file=file)
    return verdicts


def run(quick: bool = False, reps: int | None = None, log=print) -> dict:
    """Run every benchmark; return the flat results dict."""
    reps = reps or (2 if quick else 5)
    train, test = load_digits_binary()
    results = {"quick": quick, "reps": reps}
    if quick:
        train = train[:300]
    epochs = 2 if quick else 20

    log(f"PCD-1 on digits ({train.shape[0]} x 64, 16 hidden), {epochs} epochs, batch 10 and 100 ...")
    for batch_size in (10, 100):
        results.update(bench_pcd(train, test, batch_size, epochs, reps))
        key = f"pcd_b{batch_size}"
        if f"{key}_test_ll_sklearn_median" in results:
            results[f"{key}_test_ll_difference"] = (
                results[f"{key}_test_ll_ours_median"] - results[f"{key}_test_ll_sklearn_median"]
            )

    log("block Gibbs with 1000 chains ...")
    results.update(bench_gibbs(train, n_chains=100 if quick else 1000, n_sweeps=5 if quick else 100, reps=reps))

    log("CD-1 step, 784 x 500, batch 100 ...")
    if quick:
        results.update(bench_cd_large(64, 32, 20, 3, reps))
    else:
        results.update(bench_cd_large(784, 500, 100, 30, reps))

    log("exact log Z ...")
    if quick:
        exact_results = bench_exact(64, (10, 12))
        results["exact_logz_20h_seconds"] = exact_results["exact_logz_10h_seconds"]
        results["exact_logz_24h_seconds"] = exact_results["exact_logz_12h_seconds"]
        results["exact_logz_peak_mib"] = exact_results["exact_logz_peak_mib"]
    else:
        results.update(bench_exact(64, (20, 24)))

    log("AIS ...")
    results.update(bench_ais(train, test, n_chains=20 if quick else 100, n_betas=50 if quick else 1000,
                             reps=reps, epochs=epochs))
    return results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, not the speed")
    parser.add_argument("--reps", type=int, default=None, help="repetitions per timing (default 5, quick 2)")
    parser.add_argument("--json", metavar="FILE", default=None, help="write a flat JSON object name -> value")
    args = parser.parse_args(argv)
    if args.reps is not None and args.reps < 1:
        parser.error("--reps must be >= 1")
    if not args.quick and args.reps is not None and args.reps < 5:
        print("note: fewer than 5 repetitions; medians are noisy", file=sys.stderr)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    if threadpool_limits is not None:
        with threadpool_limits(limits=1):
            results = run(args.quick, args.reps, log)
        results["blas_threads"] = 1
    else:  # pragma: no cover
        log("warning: threadpoolctl is not installed; BLAS threads are not pinned")
        results = run(args.quick, args.reps, log)
        results["blas_threads"] = -1
    if BernoulliRBM is None:
        log("warning: scikit-learn is not installed; comparisons are skipped")

    print("\nmeasurements", file=sys.stdout)
    for key, value in results.items():
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        print(f"  {key:<40} {shown}")
    results.update(report(results, args.quick))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
    return results


if __name__ == "__main__":
    main()
