"""How fast every explorer answers: its update callback over its control's range.

    python -m benchmarks.widgets [--json FILE]

Every module listed in ``dreambook.widgets.EXPLORER_MODULES`` provides
``benchmark_cases()``: explorers built as their chapter builds them, with the
callback and the control values to sweep. Each callback is timed at every value
(BLAS pinned to one thread). Target: median <= 50 ms and p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import importlib
import json

from threadpoolctl import threadpool_limits

from dreambook.widgets import EXPLORER_MODULES, time_callback

MEDIAN_TARGET_MS = 50.0
P95_TARGET_MS = 150.0


def run(repeat: int = 3) -> dict:
    """Time every explorer; print a table; return name -> value."""
    results = {}
    print(f"{'explorer callback':32s} {'calls':>6s} {'median ms':>10s} {'p95 ms':>8s}  verdict")
    with threadpool_limits(limits=1):
        for module in EXPLORER_MODULES:
            cases = importlib.import_module(f"dreambook.widgets.{module}").benchmark_cases()
            for name, update, values in cases:
                stats = time_callback(update, list(values), repeat=repeat)
                ok = stats["median_ms"] <= MEDIAN_TARGET_MS and stats["p95_ms"] <= P95_TARGET_MS
                print(f"{name:32s} {stats['n_calls']:6d} {stats['median_ms']:10.1f} "
                      f"{stats['p95_ms']:8.1f}  {'PASS' if ok else 'FAIL'}")
                results[f"widget.{name}.median_ms"] = stats["median_ms"]
                results[f"widget.{name}.p95_ms"] = stats["p95_ms"]
                results[f"widget.{name}.pass"] = float(ok)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write name -> value as flat JSON")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    results = run(args.repeat)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0 if all(v == 1.0 for k, v in results.items() if k.endswith(".pass")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
