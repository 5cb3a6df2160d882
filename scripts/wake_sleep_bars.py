"""Wake-sleep on the bars problem of Hinton, Dayan, Frey & Neal (1995): the full run.

    python scripts/wake_sleep_bars.py            # writes scripts/wake_sleep_bars.json

For each seed, a population of Helmholtz machines (1-8-16) is trained by
wake-sleep with a learning rate decaying from 2 to 0.05 and visible biases
started at -3; the restart with the lowest *sampled wake-phase free energy* on
fresh training images is kept. The exact KL(data || model) in bits, computed by
enumerating the 2**9 hidden states, is recorded for every restart but never
used to choose. For comparison, the first seed is also run with a constant
learning rate of 0.2. Chapter 7 (book/07-wake-sleep.ipynb) plots the stored result;
tests/results/test_07_wake_sleep.py re-runs :func:`run` for one seed.

Every number is deterministic given the seed (one BLAS thread); nothing here
is timed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from dreambook import wake_sleep as ws
from dreambook.data import helmholtz_bars_distribution

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import notebook_env  # noqa: E402  (the thread pin and the configuration record)

SETTINGS = dict(sizes=(1, 8, 16), n_models=16, n_updates=50_000, batch_size=20, lr_start=2.0,
                lr_end=0.05, visible_bias=-3.0, init_scale=0.1, n_select=10_000,
                record_every=1000)
SEEDS = (0, 1, 2, 3, 4)
#: Decimals kept in the stored curves (the chosen machine's numbers are kept exactly).
CURVE_DECIMALS = 6
#: The comparison the chapter quotes: the same run with a constant learning rate.
CONSTANT_LR = dict(lr_start=0.2, lr_end=0.2)
OUTPUT = Path(__file__).with_suffix(".json")
PARAMETERS = ("generative_weights", "generative_biases", "recognition_weights",
              "recognition_biases")


def run(seed: int, **overrides) -> dict:
    """Train one population (``SETTINGS``, changed by ``overrides``); return a JSON-ready dict.

    Keys: ``seed``, ``steps``, ``kl_model`` and ``recognition_kl`` (bits, one
    list per evaluation step, one value per restart, rounded to ``CURVE_DECIMALS``),
    ``free_energy`` (sampled,
    bits, per restart), ``best`` (the restart chosen by free energy),
    ``chosen_kl`` and ``chosen_recognition_kl`` (its final exact values, bits)
    and ``model`` (its parameters, see :func:`from_json`).
    """
    settings = {**SETTINGS, **overrides}
    schedule = ws.Schedule(**{key: settings.pop(key) for key in ("batch_size", "lr_start", "lr_end")})
    states, probs = helmholtz_bars_distribution()
    result = ws.train_population(settings.pop("sizes"), rng=seed, settings=schedule, states=states, probs=probs,
                                 **settings)
    best = result.best
    return {
        "seed": seed,
        "steps": result.n_updates.tolist(),
        "kl_model": np.round(result.kl_model, CURVE_DECIMALS).tolist(),
        "recognition_kl": np.round(result.recognition_kl, CURVE_DECIMALS).tolist(),
        "free_energy": result.free_energy.tolist(),
        "best": best,
        "chosen_kl": float(result.kl_model[-1, best]),
        "chosen_recognition_kl": float(result.recognition_kl[-1, best]),
        "model": to_json(result.model),
    }


def to_json(model) -> dict:
    """A HelmholtzMachine's parameters as nested lists (exact float repr)."""
    return {key: [a.tolist() for a in getattr(model, key)] for key in PARAMETERS}


def from_json(params: dict):
    """The HelmholtzMachine stored by :func:`to_json`."""
    from dreambook.models import HelmholtzMachine

    return HelmholtzMachine(*[params[key] for key in PARAMETERS])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    runs = []
    with threadpool_limits(limits=notebook_env.blas_threads()):
        for seed in args.seeds:
            r = run(seed)
            runs.append(r)
            print(f"seed {seed}: chosen restart {r['best']}, KL {r['chosen_kl']:.4f} bits "
                  f"(restarts: min {min(r['kl_model'][-1]):.4f}, "
                  f"median {np.median(r['kl_model'][-1]):.4f})")
        constant = run(SEEDS[0], **CONSTANT_LR)
    chosen = [r["chosen_kl"] for r in runs]
    print(f"median of chosen KL over {len(runs)} seeds: {np.median(chosen):.4f} bits")
    print(f"constant learning rate 0.2, seed {SEEDS[0]}: chosen KL {constant['chosen_kl']:.4f}, "
          f"median restart {np.median(constant['kl_model'][-1]):.4f} bits")
    settings = {k: list(v) if isinstance(v, tuple) else v for k, v in SETTINGS.items()}
    with open(args.output, "w") as fh:
        json.dump({"settings": settings, "runs": runs, "constant_lr": constant,
                   "configuration": json.loads(notebook_env.provenance())}, fh,
                  separators=(",", ":"))
        fh.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
