"""Chapter 5 precomputation: RBMs with 12 hidden units on the binarised digits, five seeds each.

    python scripts/ch05_digits.py        # about a minute of CPU on 2 processes

Writes ``book/data/ch05_digits.npz``, committed: for every training variant
below and seeds 0-4, the exact test and training log-likelihood (nats per
image) after 100 epochs, and for seed 0 the exact test log-likelihood after
every epoch. The setting, as stated in the chapter: 1500 training and 297
test images (``dreambook.data.load_digits_binary``), RBM 64-12 with
W ~ N(0, 0.01^2) and zero biases, learning rate 0.05, minibatches of 20,
100 epochs, plain SGD; PCD and FPCD keep 20 persistent chains.

The chapter trains seed 0 live beside this file and computes its tables from the
stored seed-0 models; the test ``tests/results/test_05_persistent_dreams.py``
re-runs the script. Its trajectories depend on the last bits of the arithmetic
(a sampled unit flips, and the runs part): on another BLAS core or SIMD level
the re-run agrees on what the chapter claims (medians over the seeds), within the
tolerances the test states, not bit for bit.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from dreambook import exact
from dreambook.data import load_digits_binary
from dreambook.learning import init_visible_bias
from dreambook.training import TrainingSettings, train_rbm
from dreambook.models import RBM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebook_env  # noqa: E402  (the thread pin and the configuration record)

OUTPUT_FILE = ROOT / "book" / "data" / "ch05_digits.npz"

N_HIDDEN = 12
LR = 0.05
BATCH_SIZE = 20
EPOCHS = 100
SEEDS = (0, 1, 2, 3, 4)

#: name -> options. "decay" lowers the learning rate linearly to 0 over training
#: (one train_rbm call per epoch, the persistent chains carried over);
#: "guide" applies Hinton's (2010) recipe: visible biases log(p/(1-p)),
#: momentum 0.5 then 0.9, weight decay 1e-4, and a smaller learning rate.
VARIANTS = {
    "CD-1": dict(method="cd", k=1),
    "CD-10": dict(method="cd", k=10),
    "PCD": dict(method="pcd", k=1),
    "FPCD": dict(method="fpcd", k=1),
    "PCD, decaying lr": dict(method="pcd", k=1, decay=True),
    "CD-1, guide": dict(method="cd", k=1, guide=True, lr=0.01),
    "PCD, guide": dict(method="pcd", k=1, guide=True, lr=0.005),
}
#: Variants whose seed-0 run records the test log-likelihood every epoch.
CURVES = ("CD-1", "CD-10", "PCD", "FPCD")


def key(name: str) -> str:
    """File-safe key of a variant name: 'PCD, decaying lr' -> 'pcd_decaying_lr'."""
    return name.lower().replace(",", "").replace("-", "").replace(" ", "_")


def train(name: str, seed: int, record: bool = False):
    """Train one variant from one seed; return (rbm, per-epoch test log-likelihoods or None, chains)."""
    options = dict(VARIANTS[name])
    method, k = options.pop("method"), options.pop("k")
    lr = options.pop("lr", LR)
    decay, guide = options.pop("decay", False), options.pop("guide", False)
    train_x, test_x = load_digits_binary()
    rbm = RBM.random(64, N_HIDDEN, rng=seed, scale=0.01)
    extra = {}
    if guide:
        rbm.b[:] = init_visible_bias(train_x)
        extra = dict(momentum="hinton", weight_decay=1e-4)
    with threadpool_limits(limits=notebook_env.blas_threads()):
        if not decay:
            history = train_rbm(rbm, train_x, settings=TrainingSettings(method=method, k=k, lr=lr, epochs=EPOCHS, batch_size=BATCH_SIZE, record_exact=record, **extra), rng=seed, test_data=test_x if record else None)
            curve = np.asarray(history.test_log_likelihood) if record else None
            return rbm, curve, history.chains
        rng = np.random.default_rng(seed)
        chains = None
        for epoch in range(EPOCHS):
            history = train_rbm(rbm, train_x, settings=TrainingSettings(method=method, k=k, lr=lr * (1 - epoch / EPOCHS), epochs=1, batch_size=BATCH_SIZE, record_exact=False, **extra), rng=rng, chains=chains)
            chains = history.chains
        return rbm, None, chains


def _job(job):
    name, seed = job
    record = seed == 0 and name in CURVES
    rbm, curve, chains = train(name, seed, record=record)
    train_x, test_x = load_digits_binary()
    with threadpool_limits(limits=notebook_env.blas_threads()):
        ll = exact.log_likelihood(rbm, test_x), exact.log_likelihood(rbm, train_x)
    return (*ll, curve, (rbm.W, rbm.b, rbm.c, chains) if record else None)


def compute(seeds=SEEDS, processes=2) -> dict:
    """Every variant and seed: ``{key}_test``, ``{key}_train`` (n_seeds,); for seed 0 of the
    ``CURVES`` variants ``{key}_curve`` (EPOCHS + 1,), ``{key}_W``, ``{key}_b``, ``{key}_c``, and
    ``pcd_chains``; ``configuration`` (JSON text, see ``tools/notebook_env.py``)."""
    jobs = [(name, seed) for name in VARIANTS for seed in seeds]
    if processes <= 1:
        results = [_job(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=processes) as pool:
            results = list(pool.map(_job, jobs))
    out = {"seeds": np.asarray(seeds)}
    for i, name in enumerate(VARIANTS):
        block = results[i * len(seeds):(i + 1) * len(seeds)]
        out[f"{key(name)}_test"] = np.array([r[0] for r in block])
        out[f"{key(name)}_train"] = np.array([r[1] for r in block])
        if name in CURVES and 0 in seeds:
            curve, (W, b, c, chains) = block[list(seeds).index(0)][2:]
            out[f"{key(name)}_curve"] = curve
            out[f"{key(name)}_W"], out[f"{key(name)}_b"], out[f"{key(name)}_c"] = W, b, c
            if name == "PCD":
                out["pcd_chains"] = chains
    train_x, test_x = load_digits_binary()
    p = np.clip(train_x.mean(axis=0), 1e-3, 1 - 1e-3)  # independent pixels, fitted to the training set
    out["independent_test"] = np.array(float(np.mean(test_x @ np.log(p) + (1 - test_x) @ np.log1p(-p))))
    out["configuration"] = np.array(notebook_env.provenance())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    result = compute(processes=args.processes)
    OUTPUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUTPUT_FILE, **result)
    print(f"wrote {OUTPUT_FILE.relative_to(ROOT)}")
    for name in VARIANTS:
        values = result[f"{key(name)}_test"]
        print(f"  {name:22s} median test LL {np.median(values):8.3f}   seeds {np.round(values, 3)}")
    print(f"  {'independent pixels':22s} {float(result['independent_test']):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
