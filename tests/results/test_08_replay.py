"""Chapter 8 (book/08-replay.ipynb): the reproduced numbers.

Closed forms: on a 10-state linear track with tabular TD(0), alpha = 1,
gamma = 0.9 and the reward at the goal, one reverse replay sweep gives
V(s0) = gamma**9 = 0.3874, while forward replay needs 9 sweeps; TD(lambda = 1)
gives V = V* in one forward sweep; prioritized sweeping updates in reverse order.
Time reversal: under the derivative rule dw ~ pre * d(post)/dt, a sequence
replayed backwards gives -dw exactly (centred differences) and -dw + O(dt) with
a causal difference; for pair STDP only the odd part of the window reverses.
Conventions: dreambook.td (reward r(goal) = 1 observed on arrival; a sweep
updates the 9 transitions s_t -> s_{t+1} once each).
"""

import numpy as np
import pytest

from dreambook import sampling, td
from dreambook.models import RBM, FullyVisibleBM

GAMMA9 = 0.3874  # the closed form gamma^9, 4 significant digits


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
    dreams, _ = sampling.block_gibbs(rbm, np.zeros((64, 6)), n_sweeps=50, rng=1)
    perm = np.random.default_rng(2).permutation(64)
    a = td.batch_dream_update(rbm, dreams, 0.05)
    b = td.batch_dream_update(rbm, dreams[perm], 0.05)
    assert max(np.abs(a.params[k] - b.params[k]).max() for k in a.params) < 1e-12


def test_sequential_order_effect_is_second_order():
    rbm = RBM.random(6, 4, rng=0, scale=1.0)
    dreams, _ = sampling.block_gibbs(rbm, np.zeros((16, 6)), n_sweeps=50, rng=1)
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


def test_td_lambda_one_forward_sweep_reaches_true_values(track):
    V0 = td.initial_values(*track)
    V = td.td_lambda_replay(V0, *track, alpha=1.0, gamma=0.9, lam=1.0)
    assert np.allclose(V, td.true_values(*track, gamma=0.9), rtol=1e-12, atol=0)
    assert V[0] == pytest.approx(GAMMA9, abs=5e-5)
    V_half = td.td_lambda_replay(V0, *track, alpha=1.0, gamma=0.9, lam=0.5)
    assert f"{V_half[0]:.4f}" == "0.0015"  # printed by the chapter
    V_09 = td.td_lambda_replay(V0, *track, alpha=1.0, gamma=0.9, lam=0.9)
    assert f"{V_09[0]:.4f}" == "0.1668"


def test_prioritized_sweeping_comes_out_in_reverse(track):
    V, order = td.prioritized_sweeping(*track, alpha=1.0, gamma=0.9)
    assert order.tolist() == [8, 7, 6, 5, 4, 3, 2, 1, 0]
    assert np.allclose(V, td.true_values(*track, gamma=0.9), rtol=1e-12, atol=0)


def _place_fields(n_steps):
    t = np.linspace(0.0, 1.0, n_steps + 1)
    pre = np.exp(-(t - 0.4) ** 2 / (2 * 0.05**2))
    post = np.exp(-(t - 0.5) ** 2 / (2 * 0.05**2))
    return pre, post, t[1] - t[0]


def test_reverse_replay_gives_the_negative_update_to_first_order():
    """The chapter's two place cells: forward run potentiates, reverse replay depresses;
    the mismatch is O(dt) (halving dt halves it; sum/dt settles near 6.52)."""
    from dreambook import stdp

    sums = []
    for n in (100, 200, 400, 800):
        pre, post, dt = _place_fields(n)
        f = stdp.derivative_rule_update(pre, post, dt)[0, 0]
        r = stdp.derivative_rule_update(*stdp.reverse(pre, post), dt)[0, 0]
        assert f > 0 > r
        sums.append((f + r, dt))
    ratios = [a[0] / b[0] for a, b in zip(sums[:-1], sums[1:])]
    assert all(1.9 < q < 2.1 for q in ratios)
    assert f"{sums[-1][0] / sums[-1][1]:.2f}" == "6.52"
    assert f"{f:+.4f}" == "+0.6561" and f"{r:+.4f}" == "-0.6479"
    c_f = stdp.derivative_rule_update(pre, post, dt, scheme="central")[0, 0]
    c_r = stdp.derivative_rule_update(*stdp.reverse(pre, post), dt, scheme="central")[0, 0]
    assert abs(c_f + c_r) < 1e-12


def test_only_the_odd_part_of_an_stdp_window_reverses():
    from dreambook import stdp

    rev = stdp.reverse_spike_times([0.0], [10.0], 10.0)
    assert stdp.pair_stdp_update([0.0], [10.0]) + stdp.pair_stdp_update(*rev) == 0.0
    lopsided = dict(a_minus=0.5, tau_minus=40.0)
    total = stdp.pair_stdp_update([0.0], [10.0], **lopsided) + stdp.pair_stdp_update(*rev, **lopsided)
    assert total == pytest.approx(np.exp(-0.5) - 0.5 * np.exp(-0.25), rel=1e-12)
    assert f"{total:+.4f}" == "+0.2171"


def test_reversible_sampler_dreams_time_symmetric_steps():
    from dreambook import exact, markov

    bm = FullyVisibleBM.random(5, rng=0)
    pi = exact.probabilities(bm)
    for P, symmetric in [(markov.metropolis_transition_matrix(bm), True),
                         (markov.gibbs_transition_matrix(bm), False)]:
        pairs = pi[:, None] * P
        tv = 0.5 * np.abs(pairs - pairs.T).sum()
        assert (tv < 1e-12) == symmetric
    assert f"{tv:.2f}" == "0.24"
