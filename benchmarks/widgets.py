"""How fast every explorer answers: its update callback over its control's range.

    python -m benchmarks.widgets [--json FILE]

Each explorer the book displays is built exactly as its chapter builds it and
its ``update`` callback is timed at every value of its control's range (BLAS
pinned to one thread). Target: median <= 50 ms and p95 <= 150 ms per callback.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from threadpoolctl import threadpool_limits

from dreambook.models import FullyVisibleBM
from dreambook.widgets import TemperatureExplorer, time_callback

MEDIAN_TARGET_MS = 50.0
P95_TARGET_MS = 150.0


def notation_temperature():
    """book/notation.ipynb: the temperature dial on the three-unit model."""
    W = np.array([[0.0, 2.0, -1.0], [2.0, 0.0, -0.5], [-1.0, -0.5, 0.0]])
    b = np.array([-0.5, -0.5, 0.3])
    explorer = TemperatureExplorer(FullyVisibleBM(W, b), T_min=0.1, T_max=5.0, T=0.5)
    slider = explorer.controls[0]
    values = np.arange(slider.min, slider.max + 1e-9, slider.step)
    return lambda T: explorer.update(T=float(T)), values


EXPLORERS = {
    "notation.temperature": notation_temperature,
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write name -> value as flat JSON")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    results = {}
    failed = False
    print(f"{'explorer':32s} {'calls':>6s} {'median ms':>10s} {'p95 ms':>8s}  verdict")
    with threadpool_limits(limits=1):
        for name, build in EXPLORERS.items():
            update, values = build()
            stats = time_callback(update, values, repeat=args.repeat)
            ok = stats["median_ms"] <= MEDIAN_TARGET_MS and stats["p95_ms"] <= P95_TARGET_MS
            failed |= not ok
            print(f"{name:32s} {stats['n_calls']:6d} {stats['median_ms']:10.1f} "
                  f"{stats['p95_ms']:8.1f}  {'PASS' if ok else 'FAIL'}")
            results[f"widget.{name}.median_ms"] = stats["median_ms"]
            results[f"widget.{name}.p95_ms"] = stats["p95_ms"]
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
