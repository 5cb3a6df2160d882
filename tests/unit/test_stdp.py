"""Unit tests for dreambook.stdp: time reversal of a plasticity rule reverses the sign of the update."""

import numpy as np
import pytest

from dreambook import stdp


def bumps(n, centre_pre=0.4, centre_post=0.5, width=0.05):
    t = np.linspace(0.0, 1.0, n + 1)
    pre = np.exp(-(t - centre_pre) ** 2 / (2 * width**2))
    post = np.exp(-(t - centre_post) ** 2 / (2 * width**2))
    return pre, post, t[1] - t[0]


def test_forward_difference_is_the_formula():
    pre = np.array([1.0, 2.0, 0.5])
    post = np.array([0.0, 1.0, 4.0])
    expected = 1.0 * (1.0 - 0.0) + 2.0 * (4.0 - 1.0)
    assert stdp.derivative_rule_update(pre, post, dt=0.1, eta=2.0)[0, 0] == pytest.approx(2.0 * expected)


def test_causal_order_potentiates_and_reverse_depresses():
    pre, post, dt = bumps(200)
    forward = stdp.derivative_rule_update(pre, post, dt)[0, 0]
    backward = stdp.derivative_rule_update(*stdp.reverse(pre, post), dt)[0, 0]
    assert forward > 0 > backward


def test_central_scheme_is_exactly_odd_under_reversal():
    rng = np.random.default_rng(0)
    pre, post = rng.random((50, 3)), rng.random((50, 2))
    f = stdp.derivative_rule_update(pre, post, 0.01, scheme="central")
    r = stdp.derivative_rule_update(*stdp.reverse(pre, post), 0.01, scheme="central")
    assert f.shape == (3, 2)
    assert np.allclose(f + r, 0.0, atol=1e-12)


def test_forward_scheme_reversal_error_is_first_order_in_dt():
    errors = []
    for n in (100, 200, 400):
        pre, post, dt = bumps(n)
        f = stdp.derivative_rule_update(pre, post, dt)[0, 0]
        r = stdp.derivative_rule_update(*stdp.reverse(pre, post), dt)[0, 0]
        errors.append(abs(f + r))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 1.9) & (ratios < 2.1))  # halving dt halves the error


def test_odd_stdp_window_reverses_exactly_and_asymmetric_one_does_not():
    pre_t = np.array([0.0, 13.0, 40.0])
    post_t = np.array([5.0, 22.0, 41.0])
    rev = stdp.reverse_spike_times(pre_t, post_t, duration=50.0)
    odd = dict(a_plus=1.0, a_minus=1.0, tau_plus=20.0, tau_minus=20.0)
    assert stdp.pair_stdp_update(pre_t, post_t, **odd) == pytest.approx(-stdp.pair_stdp_update(*rev, **odd), abs=1e-12)
    lopsided = dict(a_plus=1.0, a_minus=0.5, tau_plus=17.0, tau_minus=34.0)
    total = stdp.pair_stdp_update(pre_t, post_t, **lopsided) + stdp.pair_stdp_update(*rev, **lopsided)
    lags = post_t[None, :] - pre_t[:, None]
    even = stdp.stdp_window(lags, **lopsided) + stdp.stdp_window(-lags, **lopsided)
    assert total == pytest.approx(even.sum(), rel=1e-12)
    assert abs(total) > 0.01


def test_derivative_window_matches_derivative_rule_on_spikes():
    # pre: spikes as unit impulses (area 1); post: sum of Gaussian bumps on a fine grid
    dt, width = 0.01, 5.0
    t = np.arange(0.0, 100.0 + dt / 2, dt)
    pre_t, post_t = np.array([30.0, 60.0]), np.array([36.0, 52.0])
    pre = np.zeros_like(t)
    pre[np.rint(pre_t / dt).astype(int)] = 1.0 / dt
    post = sum(np.exp(-(t - tj) ** 2 / (2 * width**2)) for tj in post_t)
    rule = stdp.derivative_rule_update(pre, post, dt, scheme="central")[0, 0]
    window = stdp.derivative_window(post_t[None, :] - pre_t[:, None], width=width).sum()
    assert rule == pytest.approx(window, rel=1e-3)


def test_window_shape():
    assert stdp.stdp_window(0.0) == 0.0
    assert stdp.stdp_window(10.0) > 0 > stdp.stdp_window(-10.0)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: stdp.derivative_rule_update(np.ones(3), np.ones(4), 1.0), ValueError, "same number of steps"),
    (lambda: stdp.derivative_rule_update(np.ones(3), np.ones(3), 0.0), ValueError, "dt"),
    (lambda: stdp.derivative_rule_update(np.ones(3), np.ones(3), 1.0, scheme="back"), ValueError, "scheme"),
    (lambda: stdp.derivative_rule_update(np.ones(1), np.ones(1), 1.0), ValueError, "n_steps"),
    (lambda: stdp.derivative_rule_update(np.array([1.0, np.nan]), np.ones(2), 1.0), ValueError, "finite"),
    (lambda: stdp.stdp_window([1.0], a_plus=-1.0), ValueError, "a_plus"),
    (lambda: stdp.stdp_window([1.0], tau_plus=0.0), ValueError, "tau_plus"),
    (lambda: stdp.pair_stdp_update([[0.0]], [1.0]), ValueError, "pre_times"),
    (lambda: stdp.reverse_spike_times([0.0], [1.0], duration=None), TypeError, "duration"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
