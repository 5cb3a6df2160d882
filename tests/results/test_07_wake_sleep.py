"""Chapter 7: wake-sleep on the bars problem (Hinton, Dayan, Frey & Neal 1995).

The paper reports about 0.10 bits of KL(data || model). The book's own
procedure (decaying learning rate, restarts chosen by wake-phase free energy,
never by the exact KL) does not reach that figure; these tests require each
chosen machine to be within 0.35 bits (the stored five seeds score 0.21-0.33
bits), and the hand-built clean solution to score about 0.001 bits. One seed of the full run is re-run here
(about 20 s of one core); the stored five-seed result is checked as well.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dreambook import wake_sleep as ws
from dreambook.data import helmholtz_bars_distribution

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "wake_sleep_bars.py"
BOUND_BITS = 0.35


def load_script():
    spec = importlib.util.spec_from_file_location("wake_sleep_bars", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def distribution():
    return helmholtz_bars_distribution()


def test_bars_distribution_entropy(distribution):
    states, probs = distribution
    assert len(states) == 30
    assert np.isclose(-(probs * np.log2(probs)).sum(), 3.428, atol=5e-4)


def test_clean_solution_scores_about_a_thousandth_of_a_bit(distribution):
    d = ws.decomposition(ws.clean_bars_machine(), *distribution)
    assert d["kl_model"] == pytest.approx(0.001, abs=5e-4)
    assert d["recognition_kl"] < 0.01


@pytest.mark.slow
def test_full_run_one_seed_is_within_the_bound():
    script = load_script()
    with threadpool_limits(limits=1):
        result = script.run(seed=0)
    assert result["best"] == int(np.argmin(result["free_energy"]))  # chosen by free energy
    assert result["chosen_kl"] <= BOUND_BITS
    assert result["chosen_recognition_kl"] < result["chosen_kl"]  # model error dominates
    # The paper's 0.10 bits is not claimed: nothing here asserts it.


def test_stored_full_run_is_within_the_bound(distribution):
    script = load_script()
    stored = json.loads(script.OUTPUT.read_text())
    runs = stored["runs"]
    assert [r["seed"] for r in runs] == list(script.SEEDS)
    chosen = np.array([r["chosen_kl"] for r in runs])
    assert np.all(chosen <= BOUND_BITS)
    for r in runs:
        assert r["best"] == int(np.argmin(r["free_energy"]))
        machine = script.from_json(r["model"])  # the stored machine reproduces its KL
        assert ws.kl_bits(machine, *distribution) == pytest.approx(r["chosen_kl"], rel=1e-9)


def test_stored_run_numbers_quoted_in_the_prose():
    """Chapter 7 quotes the chosen machines' range and median at two decimals."""
    full = json.loads((ROOT / "scripts" / "wake_sleep_bars.json").read_text())
    chosen = np.array([r["chosen_kl"] for r in full["runs"]])
    assert (f"{chosen.min():.2f}", f"{chosen.max():.2f}", f"{np.median(chosen):.2f}") == ("0.21", "0.33", "0.29")
    assert chosen.min() > 0.10  # no chosen machine reaches the paper's figure
