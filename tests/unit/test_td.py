"""Unit tests for dreambook.td: TD(0) replay on a linear track and the order of dream updates."""

import numpy as np
import pytest

from dreambook import td
from dreambook.models import RBM, FullyVisibleBM


@pytest.fixture
def track():
    return td.linear_track(10)


def test_linear_track_conventions(track):
    trajectory, rewards = track
    assert np.array_equal(trajectory, np.arange(10))
    assert rewards[-1] == 1.0 and np.all(rewards[:-1] == 0)
    V0 = td.initial_values(trajectory, rewards)
    assert V0[-1] == 1.0 and np.all(V0[:-1] == 0)


def test_true_values_closed_form(track):
    V = td.true_values(*track, gamma=0.9)
    assert np.allclose(V, 0.9 ** (9 - np.arange(10)), rtol=1e-14, atol=0)


def test_td0_update_formula():
    V = np.array([0.2, 0.5, 1.0])
    delta = td.td0_update(V, 0, 1, [0.1, 0.0, 1.0], alpha=0.5, gamma=0.9)
    assert delta == pytest.approx(0.1 + 0.9 * 0.5 - 0.2)
    assert V[0] == pytest.approx(0.2 + 0.5 * delta)
    assert V[1] == 0.5 and V[2] == 1.0


def test_one_reverse_sweep_is_exact(track):
    V0 = td.initial_values(*track)
    V = td.replay(V0, *track, alpha=1.0, gamma=0.9, direction="reverse")
    assert np.allclose(V, td.true_values(*track, gamma=0.9), rtol=1e-14, atol=0)
    assert np.array_equal(V, td.replay(V0, *track, 1.0, 0.9, "backward"))
    assert np.all(V0[:-1] == 0)  # input not modified


@pytest.mark.parametrize("k", range(0, 12))
def test_forward_sweeps_propagate_one_state_each(track, k):
    V = td.replay(td.initial_values(*track), *track, 1.0, 0.9, "forward", n_sweeps=k)
    j = 9 - np.arange(10)  # distance to the goal
    expected = np.where(j <= k, 0.9 ** j, 0.0)
    assert np.allclose(V, expected, rtol=1e-14, atol=0)
    assert td.states_reached(V, track[0]) == min(k, 9)


def test_states_reached_with_alpha_below_one(track):
    V0 = td.initial_values(*track)
    for k in range(1, 10):
        V = td.replay(V0, *track, 0.3, 0.9, "forward", n_sweeps=k)
        assert td.states_reached(V, track[0]) == k
    assert td.states_reached(td.replay(V0, *track, 0.3, 0.9, "reverse"), track[0]) == 9


def test_sweeps_to_converge(track):
    assert td.sweeps_to_converge(*track, 1.0, 0.9, "reverse") == 1
    assert td.sweeps_to_converge(*track, 1.0, 0.9, "forward") == 9
    assert td.sweeps_to_converge(*td.linear_track(6), 1.0, 0.8, "forward") == 5
    with pytest.raises(RuntimeError, match="max_sweeps"):
        td.sweeps_to_converge(*track, 0.1, 0.9, "forward", max_sweeps=3)


def test_record_shape_and_rows(track):
    V0 = td.initial_values(*track)
    hist = td.replay(V0, *track, 1.0, 0.9, "forward", n_sweeps=3, record=True)
    assert hist.shape == (3 * 9 + 1, 10)
    assert np.array_equal(hist[0], V0)
    assert np.array_equal(hist[-1], td.replay(V0, *track, 1.0, 0.9, "forward", n_sweeps=3))


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(direction="sideways"), ValueError, "direction"),
    (dict(alpha=0.0), ValueError, "alpha"),
    (dict(alpha=1.5), ValueError, "alpha"),
    (dict(gamma=1.2), ValueError, "gamma"),
    (dict(gamma="0.9"), TypeError, "gamma"),
    (dict(n_sweeps=-1), ValueError, "n_sweeps"),
    (dict(n_sweeps=1.5), TypeError, "n_sweeps"),
])
def test_replay_bad_arguments(track, kwargs, exc, match):
    args = dict(alpha=1.0, gamma=0.9, direction="forward", n_sweeps=1)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        td.replay(td.initial_values(*track), *track, **args)


def test_bad_track_inputs(track):
    trajectory, rewards = track
    with pytest.raises(ValueError, match="n_states"):
        td.linear_track(1)
    with pytest.raises(ValueError, match="V"):
        td.replay(np.zeros(3), trajectory, rewards)
    with pytest.raises(ValueError, match="trajectory"):
        td.replay(np.zeros(10), [0, 10], rewards)
    with pytest.raises(TypeError, match="trajectory"):
        td.replay(np.zeros(10), [0.0, 1.0], rewards)
    with pytest.raises(ValueError, match="rewards"):
        td.replay(np.zeros(10), trajectory, [0.0] * 9 + [np.nan])
    with pytest.raises(ValueError, match="once"):
        td.true_values([0, 1, 0], rewards, 0.9)
    with pytest.raises(TypeError, match="V"):
        td.td0_update([0.0, 1.0], 0, 1, [0.0, 1.0], 1.0, 0.9)


def _max_diff(a, b):
    return max(np.abs(a.params[k] - b.params[k]).max() for k in a.params)


def test_batch_dream_update_is_permutation_invariant():
    rng = np.random.default_rng(0)
    model = RBM.random(5, 3, rng=1, scale=1.0)
    x = (rng.random((12, 5)) < 0.5).astype(float)
    a = td.batch_dream_update(model, x, 0.1)
    b = td.batch_dream_update(model, x[rng.permutation(12)], 0.1)
    assert _max_diff(a, b) < 1e-12
    assert _max_diff(a, model) > 0.01  # it did move


def test_sequential_order_is_second_order_for_rbm():
    rng = np.random.default_rng(0)
    model = RBM.random(5, 3, rng=1, scale=1.0)
    x = (rng.random((8, 5)) < 0.5).astype(float)
    diffs = []
    for lr in (0.04, 0.02, 0.01):
        fwd = td.sequential_dream_updates(model, x, lr)
        rev = td.sequential_dream_updates(model, x, lr, order=np.arange(8)[::-1])
        diffs.append(_max_diff(fwd, rev))
    ratios = np.array(diffs[:-1]) / np.array(diffs[1:])
    assert np.all(diffs) and np.all((ratios > 3.5) & (ratios < 4.5))


def test_sequential_dream_updates_commute_for_fully_visible():
    rng = np.random.default_rng(0)
    model = FullyVisibleBM.random(5, rng=1)
    x = (rng.random((8, 5)) < 0.5).astype(float)
    fwd = td.sequential_dream_updates(model, x, 0.3)
    rev = td.sequential_dream_updates(model, x, 0.3, order=np.arange(8)[::-1])
    assert _max_diff(fwd, rev) < 1e-12
    assert _max_diff(fwd, td.batch_dream_update(model, x, 0.3)) < 1e-12


def test_dream_update_bad_inputs():
    model = FullyVisibleBM.zeros(3)
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="lr"):
        td.sequential_dream_updates(model, x, -0.1)
    with pytest.raises(ValueError, match="permutation"):
        td.sequential_dream_updates(model, x, 0.1, order=[0, 0])
    with pytest.raises(TypeError, match="order"):
        td.sequential_dream_updates(model, x, 0.1, order=[0.0, 1.0])
    with pytest.raises(ValueError, match="samples"):
        td.batch_dream_update(model, np.ones(3), 0.1)


def test_replay_explorer_and_raster():
    from dreambook.widgets.replay import ReplayExplorer, replay_raster

    t, c = replay_raster(10, "forward")
    assert np.all(np.diff(t[np.argsort(c, kind="stable")]) > 0)  # cell order = time order
    t, c = replay_raster(10, "reverse")
    assert t[c == 9].max() < t[c == 0].min()
    with pytest.raises(ValueError, match="direction"):
        replay_raster(10, "up")
    e = ReplayExplorer()
    e.update(direction="forward", sweeps=4)
    assert "reached 4 of 9" in e.image.value
    e.update(direction="reverse", sweeps=1)
    assert "V(s0) = 0.3874" in e.image.value


# --------------------------------------------------------------------------- TD(lambda), prioritized sweeping

def test_td_lambda_one_forward_sweep_is_exact(track):
    V0 = td.initial_values(*track)
    V = td.td_lambda_replay(V0, *track, alpha=1.0, gamma=0.9, lam=1.0)
    assert np.allclose(V, td.true_values(*track, gamma=0.9), rtol=1e-14, atol=0)
    assert np.all(V0[:-1] == 0)  # input not modified


@pytest.mark.parametrize("lam", [0.0, 0.3, 0.9])
def test_td_lambda_closed_form(track, lam):
    V = td.td_lambda_replay(td.initial_values(*track), *track, alpha=0.5, gamma=0.9, lam=lam)
    t = np.arange(9)
    assert np.allclose(V[:9], 0.5 * 0.9 * (0.9 * lam) ** (8 - t), rtol=1e-12, atol=0)


def test_td_lambda_zero_is_forward_td0(track):
    V0 = td.initial_values(*track)
    for k in (1, 3):
        a = td.td_lambda_replay(V0, *track, 0.7, 0.9, lam=0.0, n_sweeps=k)
        b = td.replay(V0, *track, 0.7, 0.9, "forward", n_sweeps=k)
        assert np.allclose(a, b, rtol=1e-14, atol=0)


def test_prioritized_sweeping_replays_in_reverse(track):
    V, order = td.prioritized_sweeping(*track, alpha=1.0, gamma=0.9)
    assert np.array_equal(order, np.arange(9)[::-1])
    assert np.allclose(V, td.true_values(*track, gamma=0.9), rtol=1e-14, atol=0)


def test_prioritized_sweeping_bad_inputs(track):
    with pytest.raises(ValueError, match="at most once"):
        td.prioritized_sweeping(np.array([0, 1, 0, 2]), np.array([0.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="lam"):
        td.td_lambda_replay(td.initial_values(*track), *track, lam=1.5)
