"""dreambook.phases: each phase, their alternation, its periodic orbit, the ML fit; and the explorer."""

import itertools

import numpy as np
import pytest

from dreambook import exact, phases
from dreambook.models import RBM, FullyVisibleBM

# 200 exact samples in which all 16 states occur, so the maximum-likelihood fit is finite.
DATA4 = exact.sample(FullyVisibleBM.random(4, rng=11, scale=0.7), 200, rng=12)


def brute_statistics(n):
    """s(x) for every state, in parameter-vector order, by explicit loops."""
    rows = []
    for x in itertools.product([0.0, 1.0], repeat=n):
        pairs = [x[i] * x[j] for i in range(n) for j in range(i + 1, n)]
        rows.append(pairs + list(x))
    return np.array(rows)


def as_vector(model):
    iu = np.triu_indices(model.n_units, k=1)
    return np.hstack([model.W[iu], model.b])


def ml_fit(data, T=1.0):
    model = FullyVisibleBM.zeros(np.shape(data)[1], T=T)
    phases.fit_maximum_likelihood(model, data)
    return model


# ---------------------------------------------------------------------------
# Single steps
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("T", [1.0, 0.7])
def test_wake_step_adds_data_statistics_and_lowers_every_energy(T):
    model = FullyVisibleBM.random(4, rng=3, T=T)
    states = exact.all_states(4)
    before = model.energy(states)
    expected = {k: v + 0.3 / T * exact.data_statistics(model, DATA4)[k] for k, v in model.params.items()}
    phases.positive_step(model, DATA4, 0.3)
    for k in expected:
        np.testing.assert_allclose(model.params[k], expected[k], atol=1e-14)
    change = model.energy(states) - before
    assert change[0] == 0 and np.all(change[1:] < 0)  # every state with a unit on goes down
    assert np.argmin(change) == len(states) - 1        # the all-on state most of all


def test_dream_step_raises_every_energy_but_all_off():
    model = FullyVisibleBM.random(4, rng=4, T=1.3)
    states = exact.all_states(4)
    before = model.energy(states)
    stats = exact.model_statistics(model)
    phases.negative_step(model, 0.25)
    after = model.energy(states)
    assert after[0] == before[0] == 0
    assert np.all(after[1:] > before[1:])
    np.testing.assert_allclose(model.b, FullyVisibleBM.random(4, rng=4).b - 0.25 / 1.3 * stats["b"])


def test_both_step_is_wake_plus_dream_at_the_same_point():
    model = FullyVisibleBM.random(4, rng=5)
    wake, dream, both = model.copy(), model.copy(), model.copy()
    phases.positive_step(wake, DATA4, 0.2)
    phases.negative_step(dream, 0.2)
    phases.both_step(both, DATA4, 0.2)
    for k in model.params:
        np.testing.assert_allclose(both.params[k], wake.params[k] + dream.params[k] - model.params[k],
                                   atol=1e-14)


def test_ml_fit_is_a_fixed_point_of_both_but_not_of_either_phase():
    ml = ml_fit(DATA4)
    for step, moves in [(lambda m: phases.both_step(m, DATA4, 0.5), False),
                        (lambda m: phases.positive_step(m, DATA4, 0.5), True),
                        (lambda m: phases.negative_step(m, 0.5), True)]:
        model = ml.copy()
        step(model)
        assert (np.max(np.abs(as_vector(model) - as_vector(ml))) > 1e-2) == moves


# ---------------------------------------------------------------------------
# Alternation and its periodic orbit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("lr, block, T", [(0.3, 1, 1.0), (0.1, 3, 1.0), (0.4, 2, 0.8)])
def test_alternate_phases_equals_explicit_steps(lr, block, T):
    start = FullyVisibleBM.random(4, rng=6, T=T)
    fast, slow = start.copy(), start.copy()
    ends = phases.alternate_phases(fast, DATA4, lr, block, n_cycles=5)
    reference = []
    for _ in range(5):
        for _ in range(block):
            phases.positive_step(slow, DATA4, lr)
        for _ in range(block):
            phases.negative_step(slow, lr)
        reference.append(exact.log_likelihood(slow, DATA4))
    np.testing.assert_allclose(fast.W, slow.W, atol=1e-12)
    np.testing.assert_allclose(fast.b, slow.b, atol=1e-12)
    np.testing.assert_allclose(ends, reference, atol=1e-12)
    np.testing.assert_array_equal(fast.W, fast.W.T)


def test_alternate_phases_reports_minus_inf_after_overflow():
    model = FullyVisibleBM.zeros(3)
    with np.errstate(all="ignore"):
        ends = phases.alternate_phases(model, DATA4[:, :3], 1e308, 2, n_cycles=3)
    assert np.all(ends == -np.inf)


def test_a_schedule_of_learning_rates_is_one_cycle_at_each_rate():
    schedule = 0.3 / np.sqrt(np.arange(1, 6))
    scheduled, stepwise = FullyVisibleBM.random(4, rng=6), FullyVisibleBM.random(4, rng=6)
    ends = phases.alternate_phases(scheduled, DATA4, schedule, 3, n_cycles=5)
    reference = [phases.alternate_phases(stepwise, DATA4, rate, 3, n_cycles=1)[0] for rate in schedule]
    np.testing.assert_allclose(ends, reference, atol=1e-12)
    np.testing.assert_allclose(as_vector(scheduled), as_vector(stepwise), atol=1e-12)


@pytest.mark.parametrize("lr, match", [([0.1, 0.2], "shape"), ([0.1, 0.0, 0.1], "positive"),
                                       ([0.1, np.nan, 0.1], "finite")])
def test_a_schedule_must_give_one_positive_rate_per_cycle(lr, match):
    for call in (lambda: phases.alternate_phases(FullyVisibleBM.zeros(4), DATA4, lr, 1, 3),
                 lambda: phases.alternate_sampled_phases(FullyVisibleBM.zeros(4), DATA4, lr, 1, 3, 5, rng=0)):
        with pytest.raises(ValueError, match=match):
            call()


def test_sampled_dream_step_is_unbiased():
    """With identical examples the wake step is exact, so one cycle with B = 1 is one noisy
    dream step from a known point: its mean over many runs is the exact cycle (z < 5)."""
    data = np.tile([[1.0, 0.0, 1.0, 1.0]], (3, 1))
    start = FullyVisibleBM.random(4, rng=7, scale=0.5)
    target = start.copy()
    phases.alternate_phases(target, data, 0.3, 1, 1)
    rng = np.random.default_rng(8)
    ends = []
    for _ in range(3000):
        model = start.copy()
        phases.alternate_sampled_phases(model, data, 0.3, 1, 1, n_samples=3, rng=rng)
        ends.append(as_vector(model))
    ends = np.array(ends)
    z = (ends.mean(axis=0) - as_vector(target)) / (ends.std(axis=0, ddof=1) / np.sqrt(len(ends)))
    assert np.all(np.abs(z) < 5)
    assert np.all(ends.std(axis=0) > 0)  # and it is noisy


def test_a_small_sampled_cycle_is_the_exact_cycle_on_average():
    """Both phases sampled, B = 2: the dream steps start from noisy points, which biases the
    mean only at order lr**3 (1e-9 here), far below the standard error (z < 5)."""
    start = FullyVisibleBM.random(4, rng=9, scale=0.5)
    target = start.copy()
    phases.alternate_phases(target, DATA4, 1e-3, 2, 1)
    rng = np.random.default_rng(10)
    ends = []
    for _ in range(3000):
        model = start.copy()
        phases.alternate_sampled_phases(model, DATA4, 1e-3, 2, 1, n_samples=2, rng=rng)
        ends.append(as_vector(model))
    ends = np.array(ends)
    z = (ends.mean(axis=0) - as_vector(target)) / (ends.std(axis=0, ddof=1) / np.sqrt(len(ends)))
    assert np.all(np.abs(z) < 5)


def test_sampled_phases_approach_the_exact_cycles_and_are_reproducible():
    exact_ends = phases.alternate_phases(FullyVisibleBM.zeros(4), DATA4, 0.1, 2, 30)
    many = phases.alternate_sampled_phases(FullyVisibleBM.zeros(4), DATA4, 0.1, 2, 30, 20000, rng=3)
    np.testing.assert_allclose(many, exact_ends, atol=2e-3)
    few_a = phases.alternate_sampled_phases(FullyVisibleBM.zeros(4), DATA4, 0.1, 2, 30, 5, rng=3)
    few_b = phases.alternate_sampled_phases(FullyVisibleBM.zeros(4), DATA4, 0.1, 2, 30, 5,
                                            rng=np.random.default_rng(3))
    np.testing.assert_array_equal(few_a, few_b)
    assert np.max(np.abs(few_a - exact_ends)) > 1e-2


def test_sampled_phases_validate_their_arguments():
    model = FullyVisibleBM.zeros(4)
    with pytest.raises(TypeError, match="None"):
        phases.alternate_sampled_phases(model, DATA4, 0.1, 1, 1, 5, rng=None)
    with pytest.raises(ValueError, match="n_samples"):
        phases.alternate_sampled_phases(model, DATA4, 0.1, 1, 1, 0, rng=0)
    with pytest.raises(ValueError, match="block"):
        phases.alternate_sampled_phases(model, DATA4, 0.1, 0, 1, 5, rng=0)
    with pytest.raises(ValueError, match="columns"):
        phases.alternate_sampled_phases(FullyVisibleBM.zeros(3), DATA4, 0.1, 1, 1, 5, rng=0)
    with np.errstate(all="ignore"):
        ends = phases.alternate_sampled_phases(FullyVisibleBM.zeros(3), DATA4[:, :3], 1e308, 2, 3, 5, rng=0)
    assert np.all(ends == -np.inf)


def test_periodic_orbit_with_one_step_a_day_is_known_in_closed_form():
    ml = ml_fit(DATA4)
    model = FullyVisibleBM.zeros(4)
    result = phases.periodic_orbit(model, DATA4, 0.1, 1)
    s_bar = exact.data_statistics(ml, DATA4)
    assert result.converged and result.residual < 1e-10
    np.testing.assert_allclose(model.b, ml.b - 0.1 * s_bar["b"], atol=1e-9)
    np.testing.assert_allclose(model.W, ml.W - 0.1 * s_bar["W"], atol=1e-9)
    # With B = 1 the cycle Jacobian at the orbit is I - lr C(theta_ML): its spectral radius is known.
    eig = np.linalg.eigvalsh(phases.statistics_covariance(ml))
    assert result.spectral_radius == pytest.approx(np.max(np.abs(1 - 0.1 * eig)), rel=1e-8)


@pytest.mark.parametrize("lr, block", [(0.1, 4), (0.3, 2), (0.05, 9)])
def test_periodic_orbit_is_a_fixed_point_of_a_cycle_and_the_limit_of_simulation(lr, block):
    model = FullyVisibleBM.zeros(4)
    result = phases.periodic_orbit(model, DATA4, lr, block)
    assert result.converged and result.spectral_radius < 1
    once = model.copy()
    phases.alternate_phases(once, DATA4, lr, block, n_cycles=1)
    np.testing.assert_allclose(as_vector(once), as_vector(model), atol=1e-9)
    simulated = FullyVisibleBM.zeros(4)
    ends = phases.alternate_phases(simulated, DATA4, lr, block, n_cycles=4000)
    assert ends[-1] == pytest.approx(exact.log_likelihood(model, DATA4), abs=1e-6)


def test_periodic_orbit_detects_a_repelling_rhythm():
    ml = ml_fit(DATA4)
    largest = np.linalg.eigvalsh(phases.statistics_covariance(ml))[-1]
    lr = 2.5 / largest  # beyond 2 / lambda_max: one step overshoots
    start = ml.copy()  # near the orbit ML - lr s_bar, not on it
    s_bar = exact.data_statistics(ml, DATA4)
    start.b -= lr * s_bar["b"] + 0.05
    start.W -= 0.9 * lr * s_bar["W"]
    result = phases.periodic_orbit(start, DATA4, lr, 1)
    assert result.converged and result.spectral_radius > 1
    np.testing.assert_allclose(start.b, ml.b - lr * s_bar["b"], atol=1e-8)
    # Simulation started on the repelling orbit leaves it.
    ends = phases.alternate_phases(start, DATA4, lr, 1, n_cycles=300)
    assert np.ptp(ends[-20:]) > 1e-3


def test_periodic_orbit_reports_failure_without_raising():
    result = phases.periodic_orbit(FullyVisibleBM.zeros(4), DATA4, 0.1, 3, max_iter=1, tol=1e-300)
    assert not result.converged and result.n_iter <= 1 and np.isfinite(result.residual)


# ---------------------------------------------------------------------------
# Maximum likelihood and the covariance of the statistics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("T", [1.0, 2.0])
def test_fit_maximum_likelihood_matches_moments(T):
    data = exact.sample(FullyVisibleBM.random(5, rng=8, scale=0.5), 300, rng=9)
    model = FullyVisibleBM.zeros(5, T=T)
    mismatch = phases.fit_maximum_likelihood(model, data)
    assert mismatch < 1e-10
    for k in ("W", "b"):
        np.testing.assert_allclose(exact.model_statistics(model)[k],
                                   exact.data_statistics(model, data)[k], atol=1e-10)


def test_fit_maximum_likelihood_refuses_infinite_optimum():
    with pytest.raises(ValueError, match="extreme"):
        phases.fit_maximum_likelihood(FullyVisibleBM.zeros(3), [[1, 0, 0], [0, 1, 0], [1, 1, 0]])


@pytest.mark.parametrize("T", [1.0, 1.7])
def test_statistics_covariance_matches_brute_force_and_the_hessian(T):
    model = FullyVisibleBM.random(4, rng=10, T=T)
    S = brute_statistics(4)
    p = exact.probabilities(model)
    mean = p @ S
    brute = (S - mean).T @ ((S - mean) * p[:, None])
    C = phases.statistics_covariance(model)
    np.testing.assert_allclose(C, brute, atol=1e-13)
    assert np.all(np.linalg.eigvalsh(C) > 0)
    # Hessian of the mean log-likelihood = -C / T^2 (finite differences of the exact gradient).
    h, iu = 1e-5, np.triu_indices(4, k=1)

    def grad_at(theta):
        m = model.copy()
        W = np.zeros((4, 4))
        W[iu] = theta[:6]
        m.W[...] = W + W.T
        m.b[...] = theta[6:]
        g = exact.log_likelihood_gradient(m, DATA4)
        return np.hstack([g["W"][iu], g["b"]])

    theta = as_vector(model)
    hessian = np.array([(grad_at(theta + h * e) - grad_at(theta - h * e)) / (2 * h)
                        for e in np.eye(len(theta))])
    np.testing.assert_allclose(hessian, -C / T**2, atol=1e-8)


# ---------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda m: phases.positive_step(m, DATA4, 0.1),
    lambda m: phases.negative_step(m, 0.1),
    lambda m: phases.both_step(m, DATA4, 0.1),
    lambda m: phases.alternate_phases(m, DATA4, 0.1, 1, 1),
    lambda m: phases.alternate_sampled_phases(m, DATA4, 0.1, 1, 1, 5, rng=0),
    lambda m: phases.periodic_orbit(m, DATA4, 0.1, 1),
    lambda m: phases.fit_maximum_likelihood(m, DATA4),
    lambda m: phases.statistics_covariance(m),
])
def test_refuses_models_other_than_fully_visible(call):
    with pytest.raises(TypeError, match="FullyVisibleBM"):
        call(RBM.zeros(4, 2))


@pytest.mark.parametrize("kwargs, error, word", [
    ({"lr": 0.0}, ValueError, "lr"), ({"lr": -1.0}, ValueError, "lr"), ({"lr": "a"}, TypeError, "lr"),
    ({"block": 0}, ValueError, "block"), ({"block": 1.5}, TypeError, "block"),
])
def test_alternation_validates_its_arguments(kwargs, error, word):
    args = {"lr": 0.1, "block": 2}
    args.update(kwargs)
    for func in (phases.alternate_phases, phases.periodic_orbit):
        extra = (3,) if func is phases.alternate_phases else ()
        with pytest.raises(error, match=word):
            func(FullyVisibleBM.zeros(4), DATA4, args["lr"], args["block"], *extra)


def test_data_must_match_the_model_and_be_binary():
    with pytest.raises(ValueError, match="columns"):
        phases.positive_step(FullyVisibleBM.zeros(3), DATA4, 0.1)
    with pytest.raises(ValueError, match="binary"):
        phases.periodic_orbit(FullyVisibleBM.zeros(4), DATA4 * 2, 0.1, 1)
    with pytest.raises(ValueError, match="n_cycles"):
        phases.alternate_phases(FullyVisibleBM.zeros(4), DATA4, 0.1, 1, 0)


def test_parameter_vector_routines_refuse_large_models():
    with pytest.raises(ValueError, match="MAX_UNITS"):
        phases.statistics_covariance(FullyVisibleBM.zeros(phases.MAX_UNITS + 1))


# ---------------------------------------------------------------------------
# The explorer of Chapter 1
# ---------------------------------------------------------------------------
def test_phases_explorer_shows_the_two_terms_of_the_log_likelihood():
    from dreambook.widgets import PhasesExplorer
    from dreambook.widgets.phases import CHAPTER_DATA, benchmark_cases

    explorer = PhasesExplorer(FullyVisibleBM.zeros(4), CHAPTER_DATA, lr=0.2, steps_per_click=3)
    explorer.step("both")
    assert explorer.n_steps == {"wake": 0, "dream": 0, "both": 3}
    data_term, minus_log_z, ll = explorer.terms()
    assert ll == pytest.approx(exact.log_likelihood(explorer.model, CHAPTER_DATA), abs=1e-12)
    assert ll == pytest.approx(data_term + minus_log_z)
    np.testing.assert_allclose(explorer.term_bars.heights, [data_term, minus_log_z, ll])
    np.testing.assert_allclose(explorer.prob_bars.heights, exact.probabilities(explorer.model))
    assert f"{ll:.3f} nats" in explorer.image.value
    before = explorer.terms()
    explorer.step("wake", n=2)  # waking raises the data term and lowers -log Z
    after = explorer.terms()
    assert after[0] > before[0] and after[1] < before[1]
    explorer.step("dream", n=1)
    assert explorer.n_steps == {"wake": 2, "dream": 1, "both": 3}
    explorer.step("reset")
    assert explorer.terms()[2] == pytest.approx(-4 * np.log(2))
    with pytest.raises(ValueError, match="at most 6"):
        PhasesExplorer(FullyVisibleBM.zeros(7), np.zeros((2, 7)))
    cases = benchmark_cases()
    assert [name for name, _, _ in cases] == ["phases.positive_step", "phases.negative_step",
                                              "phases.both_step", "phases.both_x20"]
