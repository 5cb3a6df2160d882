"""Chapter 8 (book/08-replay.ipynb): the reproduced numbers.

Target (chapter's issue, closed form): on a 10-state linear track with tabular
TD(0), alpha = 1, gamma = 0.9 and the reward at the goal, one reverse replay
sweep gives V(s0) = gamma**9 = 0.3874, while forward replay needs 9 sweeps.
Conventions: dreambook.td (reward r(goal) = 1 observed on arrival; a sweep
updates the 9 transitions s_t -> s_{t+1} once each).
"""

import numpy as np
import pytest

from dreambook import sampling, td
from dreambook.models import RBM, FullyVisibleBM

GAMMA9 = 0.3874  # target, 4 significant digits


@pytest.fixture
def track():
    return td.linear_track(10, reward=1.0)


def test_one_reverse_sweep_gives_gamma_to_the_ninth(track):
    V = td.replay(td.initial_values(*track), *track, alpha=1.0, gamma=0.9, direction="reverse")
    assert V[0] == pytest.approx(GAMMA9, abs=5e-5)
    assert V[0] == pytest.approx(0.9 ** 9, rel=1e-12)


def test_forward_replay_needs_nine_sweeps(track):
    assert td.sweeps_to_converge(*track, alpha=1.0, gamma=0.9, direction="forward") == 9
    assert td.sweeps_to_converge(*track, alpha=1.0, gamma=0.9, direction="reverse") == 1
    V0 = td.initial_values(*track)
    V8 = td.replay(V0, *track, 1.0, 0.9, "forward", n_sweeps=8)
    V9 = td.replay(V0, *track, 1.0, 0.9, "forward", n_sweeps=9)
    assert V8[0] == 0.0
    assert V9[0] == pytest.approx(GAMMA9, abs=5e-5)


def test_batch_negative_phase_ignores_sample_order():
    """The chapter's dreams: 64 chains of an RBM; the batch update is a sum."""
    rbm = RBM.random(6, 4, rng=0, scale=1.0)
    dreams, _ = sampling.block_gibbs(rbm, np.zeros((64, 6)), k=50, rng=1)
    perm = np.random.default_rng(2).permutation(64)
    a = td.batch_dream_update(rbm, dreams, 0.05)
    b = td.batch_dream_update(rbm, dreams[perm], 0.05)
    assert max(np.abs(a.params[k] - b.params[k]).max() for k in a.params) < 1e-12


def test_sequential_order_effect_is_second_order():
    rbm = RBM.random(6, 4, rng=0, scale=1.0)
    dreams, _ = sampling.block_gibbs(rbm, np.zeros((16, 6)), k=50, rng=1)
    diffs = []
    for lr in (0.02, 0.01, 0.005, 0.0025):
        fwd = td.sequential_dream_updates(rbm, dreams, lr)
        rev = td.sequential_dream_updates(rbm, dreams, lr, order=np.arange(16)[::-1])
        diffs.append(max(np.abs(fwd.params[k] - rev.params[k]).max() for k in fwd.params))
    ratios = np.array(diffs[:-1]) / np.array(diffs[1:])
    assert np.all((ratios > 3.5) & (ratios < 4.5))  # halving lr quarters the effect
    fv = FullyVisibleBM.random(6, rng=0)
    fwd = td.sequential_dream_updates(fv, dreams, 0.04)
    rev = td.sequential_dream_updates(fv, dreams, 0.04, order=np.arange(16)[::-1])
    assert max(np.abs(fwd.params[k] - rev.params[k]).max() for k in fwd.params) < 1e-12
