"""Chapter 1, "Waking and dreaming in one equation": every number the chapter reports.

Set-up as in book/01-waking-and-dreaming.ipynb: a ten-unit teacher (N(0, 1)
weights and biases, seed 1) and 500 exact samples from it.
"""

import numpy as np
import pytest

from dreambook import exact, phases
from dreambook.models import FullyVisibleBM

GAP_LIMIT = 0.1  # nats per example: "accurate" means an end-of-night gap below this


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(1)
    teacher = FullyVisibleBM.random(10, rng=rng, scale=1.0)
    data = exact.sample(teacher, 500, rng)
    ml = FullyVisibleBM.zeros(10)
    phases.fit_maximum_likelihood(ml, data)
    return teacher, data, ml, exact.log_likelihood(ml, data), exact.data_statistics(ml, data)


def first_order_guess(setup, lr, B):
    _, _, ml, _, s_bar = setup
    guess = ml.copy()
    for name, value in guess.params.items():
        value -= lr * (B + 1) / 2 * s_bar[name]
    return guess


def end_of_night_gap(setup, lr, B):
    """(gap, attracting) as in the chapter."""
    _, data, _, ll_ml, _ = setup
    model = first_order_guess(setup, lr, B)
    orbit = phases.periodic_orbit(model, data, lr, B, max_iter=20)
    if orbit.converged and orbit.spectral_radius < 1:
        return ll_ml - exact.log_likelihood(model, data), True
    ends = phases.alternate_phases(first_order_guess(setup, lr, B), data, lr, B, 200)
    return ll_ml - ends[-20:].mean(), False


def crossing(setup, lr):
    """Interpolated day length where the end-of-night gap reaches GAP_LIMIT (None if B = 1 fails)."""
    gap = lambda B: end_of_night_gap(setup, lr, B)[0]  # noqa: E731
    if gap(1) >= GAP_LIMIT:
        return None
    B = max(1, int(0.29 / lr) - 1)
    while B > 1 and gap(B) >= GAP_LIMIT:
        B -= 1
    while gap(B + 1) < GAP_LIMIT:
        B += 1
    return B + (GAP_LIMIT - gap(B)) / (gap(B + 1) - gap(B))


def sCs(setup):
    _, _, ml, _, s_bar = setup
    push = -FullyVisibleBM(s_bar["W"], s_bar["b"]).energy(exact.all_states(10))
    p = exact.probabilities(ml)
    return p @ push**2 - (p @ push) ** 2


# ---------------------------------------------------------------------------
# The equation (Goodfellow et al. 2016, eqs. 18.4 and 18.13)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("T", [1.0, 2.0])
def test_gradient_of_log_z_is_the_model_expectation(setup, T):
    """Finite differences of log Z equal E_p[-grad E]/T to 1e-8 on 1024 states (Goodfellow et al., eq. 18.13)."""
    model = setup[0].copy()
    model.T = T
    expectation = exact.model_statistics(model)
    h, worst = 1.1e-4, 0.0
    for i in range(10):
        for j in range(i + 1, 10):
            up, down = model.copy(), model.copy()
            up.W[i, j] += h
            up.W[j, i] += h
            down.W[i, j] -= h
            down.W[j, i] -= h
            fd = (exact.log_partition(up) - exact.log_partition(down)) / (2 * h)
            worst = max(worst, abs(fd - expectation["W"][i, j] / T))
        up, down = model.copy(), model.copy()
        up.b[i] += h
        down.b[i] -= h
        fd = (exact.log_partition(up) - exact.log_partition(down)) / (2 * h)
        worst = max(worst, abs(fd - expectation["b"][i] / T))
    assert worst < 1e-8


def test_moments_match_at_the_maximum(setup):
    """At the ML fit, data and model pairwise moments agree to 1e-6 (the moment-matching condition)."""
    _, data, ml, ll_ml, s_bar = setup
    model_stats = exact.model_statistics(ml)
    assert np.max(np.abs(s_bar["W"] - model_stats["W"])) < 1e-6
    assert np.max(np.abs(s_bar["b"] - model_stats["b"])) < 1e-6
    # The fit beats the teacher on its own sample, and the uniform model by far.
    assert ll_ml > exact.log_likelihood(setup[0], data) > -10 * np.log(2)


# ---------------------------------------------------------------------------
# One phase at a time
# ---------------------------------------------------------------------------
def run_alone(setup, kind, steps=400, lr=0.1):
    _, data, ml, _, _ = setup
    model = ml.copy()
    record = []
    for step in range(steps + 1):
        if step in (0, 320, steps):
            p = exact.probabilities(model)
            record.append((exact.log_likelihood(model, data), exact.log_partition(model), p[-1], p[0]))
        if kind == "wake":
            phases.positive_step(model, data, lr)
        else:
            phases.negative_step(model, lr)
    return np.array(record), model


def test_wake_only_collapses_onto_all_on_at_the_predicted_rates(setup):
    record, model = run_alone(setup, "wake")
    s_bar = setup[4]
    total = s_bar["W"].sum() / 2 + s_bar["b"].sum()
    norm2 = (s_bar["W"] ** 2).sum() / 2 + (s_bar["b"] ** 2).sum()
    assert total == pytest.approx(16.376) and norm2 == pytest.approx(8.409, abs=1e-3)
    assert record[1, 2] > 0.98 and record[2, 2] > 0.998          # p(all on)
    log_z_slope = (record[2, 1] - record[1, 1]) / 80
    ll_slope = (record[2, 0] - record[1, 0]) / 80
    assert log_z_slope == pytest.approx(0.1 * total, rel=2e-3)     # exercise ch1-ex-wake-z
    assert ll_slope == pytest.approx(0.1 * (norm2 - total), rel=2e-3)
    # The measured values the solution of ch1-ex-wake-z quotes, as it prints them.
    assert f"{record[1, 1]:.1f} {record[2, 1]:.1f}" == "520.7 651.7"       # log Z, steps 320 and 400
    assert f"{record[1, 0]:.1f} {record[2, 0]:.1f}" == "-246.6 -310.4"     # log-likelihood
    assert f"{log_z_slope:.3f} {ll_slope:.3f}" == "1.637 -0.797"          # per step
    assert np.max(np.abs(model.W)) > 10 * np.max(np.abs(setup[2].W))  # grows without bound


def test_dream_only_unlearns_towards_all_off(setup):
    record, model = run_alone(setup, "dream")
    assert record[0, 3] < 1e-3 < record[1, 3] < record[2, 3] and record[2, 3] > 0.7  # p(all off)
    assert record[2, 1] < 0.5                                     # log Z -> 0
    assert record[2, 0] < setup[3] - 15                           # the fit is gone
    assert np.all(exact.marginals(model) < 0.1)


# ---------------------------------------------------------------------------
# How long can you stay awake?
# ---------------------------------------------------------------------------
def test_newton_rhythm_is_where_long_simulation_settles(setup):
    _, data, _, ll_ml, _ = setup
    simulated = ll_ml - phases.alternate_phases(FullyVisibleBM.zeros(10), data, 0.2, 4, 5000)
    gap, attracting = end_of_night_gap(setup, 0.2, 4)
    assert attracting
    assert simulated[-1] == pytest.approx(gap, abs=2e-4)
    assert simulated[99] - gap > 0.05  # 100 days are far from enough


def test_cycle_averaged_parameters_are_much_closer_than_the_end_of_night(setup):
    """The chapter's 'what the map does and does not say': lr 0.2, B 4, gap 0.70 vs 0.054."""
    _, data, _, ll_ml, _ = setup
    lr, B = 0.2, 4
    model = first_order_guess(setup, lr, B)
    phases.periodic_orbit(model, data, lr, B, max_iter=20)
    end_of_night = ll_ml - exact.log_likelihood(model, data)
    average = phases.cycle_average(model, data, lr, B)
    assert end_of_night == pytest.approx(0.70, abs=0.005)
    assert ll_ml - exact.log_likelihood(average, data) == pytest.approx(0.054, abs=0.0005)


def test_first_order_theory_for_short_days(setup):
    q = sCs(setup)
    assert q == pytest.approx(9.3137, abs=1e-4)
    for lr, B in [(0.0125, 1), (0.0125, 2), (0.025, 1), (0.05, 1)]:
        c = lr * (B + 1) / 2
        assert end_of_night_gap(setup, lr, B)[0] == pytest.approx(q * c**2 / 2, rel=0.05)


def test_stay_awake_boundary_depends_on_lr_times_b_plus_one_not_lr_times_b(setup):
    """The finding: where the gap reaches 0.1 nats, lr (B + 1) is nearly constant
    (close to the first-order 0.293) while lr B halves between lr = 0.0125 and 0.14."""
    boundary = {lr: crossing(setup, lr) for lr in (0.0125, 0.05, 0.1, 0.14)}
    first_order = np.sqrt(8 * GAP_LIMIT / sCs(setup))
    lr_b = {lr: lr * B for lr, B in boundary.items()}
    lr_b1 = {lr: lr * (B + 1) for lr, B in boundary.items()}
    for value in lr_b1.values():
        assert value == pytest.approx(first_order, rel=0.1)
    assert max(lr_b1.values()) / min(lr_b1.values()) < 1.1
    assert lr_b[0.0125] / lr_b[0.14] > 1.8
    assert end_of_night_gap(setup, 0.16, 1)[0] > GAP_LIMIT      # no day is short enough


def test_gap_map_long_days_collapse_short_days_do_not(setup):
    lrs = 0.0125 * 2.0 ** np.arange(8)
    blocks = 2 ** np.arange(7)
    gap, attracting = {}, {}
    for lr in lrs:
        for B in blocks:
            gap[lr, B], attracting[lr, B] = end_of_night_gap(setup, lr, int(B))
    # Every schedule with lr <= 0.8 settles on an attracting rhythm; at lr = 1.6 some do not.
    assert all(attracting[lr, B] for lr in lrs[:-1] for B in blocks)
    assert {B for B in blocks if not attracting[1.6, B]} == {1, 2, 32, 64}
    # At equal lr B, long days agree across small learning rates ...
    for x in (3.2, 6.4):
        values = [gap[lr, int(round(x / lr))] for lr in (0.05, 0.1, 0.2) if round(x / lr) <= 64]
        assert max(values) / min(values) < 1.1
    # ... short days do not (factor > 3 between lr = 0.0125 and 0.2 at lr B = 0.2) ...
    assert gap[0.2, 1] / gap[0.0125, 16] > 3
    # ... and large learning rates separate: lr = 0.8 lies far above lr = 0.05 at lr B = 0.8.
    assert gap[0.8, 1] / gap[0.05, 16] > 4
    # Accurate schedules (gap < 0.1) are exactly the cells with lr (B + 1) < 0.31 here.
    for (lr, B), value in gap.items():
        assert (value < GAP_LIMIT) == (lr * (B + 1) < 0.31)


def test_large_learning_rate_rhythm_is_repelling_and_alternates(setup):
    _, data, ml, ll_ml, _ = setup
    model = first_order_guess(setup, 1.6, 1)
    orbit = phases.periodic_orbit(model, data, 1.6, 1)
    largest = np.linalg.eigvalsh(phases.statistics_covariance(ml))[-1]
    assert 2 / largest == pytest.approx(1.271, abs=1e-3)
    assert orbit.converged and orbit.spectral_radius > 1
    ends = ll_ml - phases.alternate_phases(first_order_guess(setup, 1.6, 1), data, 1.6, 1, 400)
    last = ends[-20:]
    # A period-two rhythm: nights alternate between two gaps more than a nat apart.
    assert np.ptp(last[::2]) < 0.01 and np.ptp(last[1::2]) < 0.01
    assert abs(last[0] - last[1]) > 1.0


def test_decaying_steps_and_sampled_phases_from_the_rhythm(setup):
    """'What the map does and does not say': lr 0.2, B 4, from the rhythm; lr_t = 0.2/sqrt(t)
    on day t, and phases sampled from S = 10 examples or dreams per step (seeds as in the chapter)."""
    _, data, ml, ll_ml, _ = setup
    lr, B, days, S = 0.2, 4, 1000, 10
    decaying = lr / np.sqrt(np.arange(1, days + 1))
    rhythm = first_order_guess(setup, lr, B)
    phases.periodic_orbit(rhythm, data, lr, B)
    at = np.array([10, 100, 1000]) - 1

    exact_decay = ll_ml - phases.alternate_phases(rhythm.copy(), data, decaying, B, days)
    assert [f"{g:.3g}" for g in exact_decay[at]] == ["0.156", "0.0267", "0.0123"]  # as printed
    law = (decaying * (B + 1)) ** 2 * sCs(setup) / 8
    assert [f"{g:.3g}" for g in law[at]] == ["0.116", "0.0116", "0.00116"]
    # 1/t decays faster and leaves more behind after 1000 days (0.019 vs 0.012).
    one_over_t = ll_ml - phases.alternate_phases(rhythm.copy(), data, lr / np.arange(1, days + 1), B, days)
    assert f"{one_over_t[-1]:.2g}" == "0.019"
    # What remains after 1000 days lies along directions of small curvature (eigenvalues of C
    # below 0.03): more than nine tenths of the quadratic gap, while the rest is about the law.
    model = rhythm.copy()
    phases.alternate_phases(model, data, decaying, B, days)
    iu = np.triu_indices(10, k=1)
    delta = np.hstack([(model.W - ml.W)[iu], model.b - ml.b])
    eigenvalues, vectors = np.linalg.eigh(phases.statistics_covariance(ml))
    parts = eigenvalues * (vectors.T @ delta) ** 2 / 2
    slow = eigenvalues < 0.03
    assert parts[slow].sum() > 0.9 * exact_decay[-1]
    assert parts[~slow].sum() < 0.1 * exact_decay[-1]

    sampled_decay = ll_ml - phases.alternate_sampled_phases(rhythm.copy(), data, decaying, B, days,
                                                            n_samples=S, rng=1)
    assert [f"{g:.2g}" for g in sampled_decay[at]] == ["0.21", "0.039", "0.015"]
    constant = ll_ml - phases.alternate_sampled_phases(rhythm.copy(), data, lr, B, 300, n_samples=S, rng=2)
    assert f"{constant[100:].mean():.2f} {constant[100:].std():.2f}" == "0.75 0.14"
    # Not the luck of one seed: with other seeds the constant-step nights still end worse than
    # exact ones, and the decaying step still brings the sampled gap within 0.01 of the exact one.
    for seed in (3, 4):
        other = ll_ml - phases.alternate_sampled_phases(rhythm.copy(), data, lr, B, 300, n_samples=S, rng=seed)
        assert other[100:].mean() > 0.704 + 0.02
        other = ll_ml - phases.alternate_sampled_phases(rhythm.copy(), data, decaying, B, days,
                                                        n_samples=S, rng=seed)
        assert 0 < other[-1] - exact_decay[-1] < 0.01
