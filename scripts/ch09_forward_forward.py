"""Chapter 9: Forward-Forward against backprop on the 8x8 digits, and the sleep-block experiment.

    python scripts/ch09_forward_forward.py          # writes book/data/ch09_forward_forward.npz

Configuration (recorded in the output file as well):

* data: scikit-learn's 8x8 digits, grey levels / 16, split 1500 / 297 with
  ``numpy.random.default_rng(0)`` (``dreambook.forward_forward.load_digits_labelled``);
* FF: 74 inputs (64 pixels + one-hot label), two ReLU layers of 200 units, goodness
  = sum of squares, threshold 10, label value 1, SGD lr 0.1, momentum 0.9,
  minibatches of 100, 60 epochs, weights N(0, 1/n_in), seeds 0..4
  (network seed s, training seed 100 + s);
* backprop: 64-200-200-10 ReLU network with softmax, same optimiser settings
  (lr 0.05), same epochs, minibatches and seeds;
* sleep blocks: FF as above with B positive-only updates then B negative-only
  updates (B = 0: both in every update), for B in BLOCKS, for the
  (lr, momentum) pairs in CONDITIONS, seeds 0..2.

About three minutes of one CPU core.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from dreambook.forward_forward import MLP, SGD, FFNetwork, load_digits_labelled, train_backprop, train_ff

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import notebook_env  # noqa: E402  (the thread pin and the configuration record)

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_FILE = ROOT / "book" / "data" / "ch09_forward_forward.npz"

HIDDEN = 200
THRESHOLD = 10.0
EPOCHS = 60
BATCH = 100
FF_LR, BP_LR, MOMENTUM = 0.1, 0.05, 0.9
SEEDS = [0, 1, 2, 3, 4]
BLOCKS = [0, 1, 2, 4, 8, 16, 64]
CONDITIONS = [(0.1, 0.9), (0.01, 0.99), (0.01, 0.9)]
BLOCK_SEEDS = [0, 1, 2]


def ff_run(seed: int, lr=FF_LR, momentum=MOMENTUM, block_length=0, epochs=EPOCHS):
    """Test error of one FF run (and the trained network)."""
    (Xtr, ytr), (Xte, yte) = load_digits_labelled()
    net = FFNetwork.random([64 + 10, HIDDEN, HIDDEN], rng=seed, threshold=THRESHOLD)
    train_ff(net, Xtr, ytr, rng=100 + seed, settings=SGD(epochs=epochs, batch_size=BATCH, lr=lr, momentum=momentum),
             block_length=block_length)
    return net.error_rate(Xte, yte), net


def bp_run(seed: int, epochs=EPOCHS):
    """Test error of one backprop run (and the trained network)."""
    (Xtr, ytr), (Xte, yte) = load_digits_labelled()
    net = MLP.random([64, HIDDEN, HIDDEN, 10], rng=seed)
    train_backprop(net, Xtr, ytr, rng=100 + seed,
                   settings=SGD(epochs=epochs, batch_size=BATCH, lr=BP_LR, momentum=MOMENTUM))
    return net.error_rate(Xte, yte), net


def compute() -> dict:
    with threadpool_limits(limits=notebook_env.blas_threads()):
        ff = np.array([ff_run(s)[0] for s in SEEDS])
        bp = np.array([bp_run(s)[0] for s in SEEDS])
        blocks = np.array([[[ff_run(s, lr, m, B)[0] for s in BLOCK_SEEDS] for B in BLOCKS]
                           for lr, m in CONDITIONS])
    return {
        "ff_test_error": ff, "bp_test_error": bp, "seeds": np.array(SEEDS),
        "block_lengths": np.array(BLOCKS), "conditions": np.array(CONDITIONS), "block_seeds": np.array(BLOCK_SEEDS),
        "block_test_error": blocks,  # (condition, B, seed)
        "config": np.array([HIDDEN, THRESHOLD, EPOCHS, BATCH, FF_LR, BP_LR, MOMENTUM]),
    }


if __name__ == "__main__":
    result = compute()
    result["configuration"] = np.array(notebook_env.provenance())  # which numerics wrote the file
    OUTPUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(OUTPUT_FILE, **result)
    print("FF", result["ff_test_error"], "BP", result["bp_test_error"])
    print(np.median(result["block_test_error"], axis=2))
