"""Chapter 4 precomputation: CD-k against the exact gradient on 3x3 bars-and-stripes.

    python scripts/ch04_cd_microscope.py                # everything (about 3 minutes on 2 cores)
    python scripts/ch04_cd_microscope.py --only reproduction
    python scripts/ch04_cd_microscope.py --only grid

Writes two small files that are committed:

* ``book/data/ch04_reproduction.npz`` -- the full reproduction: an RBM with 9
  visible and 9 hidden units on the 14 bars-and-stripes images, full batch,
  learning rate 0.1, W ~ N(0, 0.01^2), zero biases, 30 000 updates, seeds 0-4,
  trained with the exact gradient, CD-10 and CD-1; the exact log-likelihood
  and the cosine of CD-k with the exact gradient every 100 updates.
* ``dreambook/widgets/data/ch04_cd_grid.npz`` -- the curves behind the
  chapter's explorer: seed 0, k in {1, 3, 10} and the exact gradient, five
  learning rates, every 300 updates.

Everything is computed by ``dreambook.training.train_small_rbm``; the chapter
and ``tests/results/test_04_contrastive_divergence.py`` import this file.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from dreambook.data import bars_and_stripes
from dreambook.training import FullBatch, train_small_rbm
from dreambook.models import RBM

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import notebook_env  # noqa: E402  (the thread pin and the configuration record)

ROOT = Path(__file__).resolve().parents[1]
REPRODUCTION_FILE = ROOT / "book" / "data" / "ch04_reproduction.npz"
GRID_FILE = ROOT / "dreambook" / "widgets" / "data" / "ch04_cd_grid.npz"

#: The setting of the reproduction, as stated in the chapter.
N_HIDDEN = 9
LR = 0.1
N_UPDATES = 30_000
INIT_SCALE = 0.01
SEEDS = (0, 1, 2, 3, 4)
RECORD_EVERY = 100
#: (method, k) pairs of the reproduction; "exact" records the cosine of CD-1.
RUNS = (("exact", 1), ("cd", 10), ("cd", 1))

#: The explorer's grid.
GRID_LRS = (0.02, 0.05, 0.1, 0.2, 0.5)
GRID_KS = (1, 3, 10)
GRID_RECORD_EVERY = 300

FIELDS = ("log_likelihood", "cosine", "cosine_sampled", "relative_bias", "weight_norm")


def run(method: str, k: int, lr: float, seed: int, n_updates: int = N_UPDATES,
        record_every: int = RECORD_EVERY):
    """Train one RBM from seed ``seed``; return its History."""
    data = bars_and_stripes(3)
    rbm = RBM.random(9, N_HIDDEN, rng=seed, scale=INIT_SCALE)
    with threadpool_limits(limits=notebook_env.blas_threads()):
        return train_small_rbm(rbm, data, n_updates=n_updates, rng=seed,
                               settings=FullBatch(method=method, k=k, lr=lr), record_every=record_every)


def _run_job(job):
    return run(*job)


def _map(jobs, processes: int):
    if processes <= 1:
        return [_run_job(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return list(pool.map(_run_job, jobs))


def reproduction(seeds=SEEDS, n_updates=N_UPDATES, record_every=RECORD_EVERY, processes=2) -> dict:
    """The full reproduction as arrays ``{name}_{field}`` of shape (n_seeds, n_records).

    Names are ``exact``, ``cd10`` and ``cd1``; log-likelihoods are means in
    nats per image (multiply by 14 for the total).
    """
    jobs = [(method, k, LR, seed, n_updates, record_every) for method, k in RUNS for seed in seeds]
    histories = _map(jobs, processes)
    out = {"updates": histories[0].n_updates, "seeds": np.asarray(seeds)}
    for i, (method, k) in enumerate(RUNS):
        name = "exact" if method == "exact" else f"cd{k}"
        block = histories[i * len(seeds):(i + 1) * len(seeds)]
        for field in FIELDS:
            out[f"{name}_{field}"] = np.stack([getattr(h, field) for h in block])
    return out


def grid(lrs=GRID_LRS, ks=GRID_KS, n_updates=N_UPDATES, record_every=GRID_RECORD_EVERY,
         processes=2, seed=0) -> dict:
    """Curves for the explorer: arrays of shape (len(lrs), len(ks) + 1, n_records).

    Index 0 along the second axis is the exact gradient, then CD-k for each
    k in ``ks``. For the exact runs the recorded cosine is that of CD-1.
    """
    methods = [("exact", 1)] + [("cd", k) for k in ks]
    jobs = [(method, k, lr, seed, n_updates, record_every) for lr in lrs for method, k in methods]
    histories = _map(jobs, processes)
    out = {"updates": histories[0].n_updates, "lrs": np.asarray(lrs, dtype=float),
           "ks": np.asarray(ks), "seed": np.asarray(seed)}
    for field in ("log_likelihood", "cosine", "cosine_sampled"):
        values = np.array([getattr(h, field) for h in histories])
        out[field] = values.reshape(len(lrs), len(methods), -1)
    return out


def summary(result: dict) -> dict:
    """Median over seeds of the numbers the chapter reports (total nats over the 14 images)."""
    total = {name: 14 * result[f"{name}_log_likelihood"] for name in ("exact", "cd10", "cd1")}
    peak_cd1 = total["cd1"].max(axis=1)
    return {
        "exact_final": float(np.median(total["exact"][:, -1])),
        "cd10_final": float(np.median(total["cd10"][:, -1])),
        "cd1_peak": float(np.median(peak_cd1)),
        "cd1_final": float(np.median(total["cd1"][:, -1])),
        "cd1_drop": float(np.median(peak_cd1 - total["cd1"][:, -1])),
        "cd1_min_drop": float(np.min(peak_cd1 - total["cd1"][:, -1])),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("reproduction", "grid"))
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)
    if args.only in (None, "reproduction"):
        result = reproduction(processes=args.processes)
        result["configuration"] = np.array(notebook_env.provenance())  # which numerics wrote the file
        REPRODUCTION_FILE.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(REPRODUCTION_FILE, **result)
        print(f"wrote {REPRODUCTION_FILE.relative_to(ROOT)}")
        for key, value in summary(result).items():
            print(f"  {key:14s} {value:8.2f}")
    if args.only in (None, "grid"):
        result = grid(processes=args.processes)
        result["configuration"] = np.array(notebook_env.provenance())
        GRID_FILE.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(GRID_FILE, **result)
        print(f"wrote {GRID_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
