"""Chapter 3, "Boltzmann machines (1985)": the 4-2-4 encoder results the chapter reports.

Ackley, Hinton & Sejnowski (1985) report that in 250 runs of the 4-2-4 encoder
their procedure always found a global minimum (median 110 learning cycles,
longest 1810). The chapter's claims, with the settings of
book/03-boltzmann-machines.ipynb:

* the paper's sampled procedure discovers a solution within 2000 cycles in at
  least 95 % of seeds 0-49 (the notebook runs only seeds 0-9, for 600 cycles);
* judged at the final weights, exact statistics of the noisy-clamping
  distribution with the best of 5 restarts chosen by training log-likelihood
  solve at least 95 % of 50 seeds;
* the plain exact gradient (clean data, the same starts) solves at most 30 %;
* stuck and solved networks separate cleanly by training log-likelihood,
  which is why the selection works;
* the sampled procedure loses solutions it found (G rises, weights grow).

Success is always judged exactly (dreambook.encoder.evaluate).
"""

import numpy as np
import pytest

from dreambook import diagnostics, encoder as enc

REQUIRED_RATE = 0.95  # the paper: 250 of 250; we require at least 95 % of 50 seeds
PLAIN_CEILING = 0.30
N_SEEDS = 50
BY_110 = 15  # seeds discovered by cycle 110 (the paper's median), the book's measurement

PATTERNS = enc.encoder_patterns(4)
P_NOISY = enc.noisy_distribution(PATTERNS, 0.15, 0.05)
P_CLEAN = enc.clean_distribution(PATTERNS)


@pytest.fixture(scope="module")
def restarts():
    starts = [(seed, r) for seed in range(N_SEEDS) for r in range(5)]
    return enc.train_exact_population(starts, P_NOISY, n_updates=1500, settings=enc.ExactRule(lr=1.0))


@pytest.mark.slow
def test_paper_procedure_discovers_a_solution_in_at_least_95_percent_of_50_seeds():
    first = []
    for seed in range(N_SEEDS):
        history = enc.train_paper(enc.encoder_machine(), n_updates=2000, rng=seed, record_every=10,
                                  stop_when_solved=True)
        first.append(history.first_solved)
    found = [f for f in first if f is not None]
    rate = diagnostics.success_rate(len(found), N_SEEDS)
    assert rate.rate >= REQUIRED_RATE, f"paper's procedure discovered a solution in {rate}"
    # The paper's longest run took 1810 cycles; its median was 110. Ours is
    # slower (a stricter test than "four different codes") but of the same order.
    assert np.median(found) < 500
    # The numbers the chapter states (its population discussion and summary),
    # the book's own measurement on seeds 0-49:
    assert len(found) == 48
    assert [seed for seed, f in enumerate(first) if f is None] == [21, 22]
    assert np.median(found) == 215
    assert (round(100 * rate.low), round(100 * rate.high)) == (87, 99)
    # By the paper's median (110 cycles) only a minority has been discovered:
    # the paper's speed is not reproduced (sign test against a median of 110).
    from scipy.stats import binomtest

    by_110 = sum(f <= 110 for f in found)
    assert by_110 == BY_110
    assert binomtest(by_110, N_SEEDS, 0.5).pvalue == pytest.approx(0.0066, abs=5e-5)
    # 48 of 50 against the paper's 250 of 250: Fisher's exact test tells them apart
    from scipy.stats import fisher_exact

    assert fisher_exact([[len(found), N_SEEDS - len(found)], [250, 0]]).pvalue == pytest.approx(0.0273, abs=5e-5)


def test_exact_noisy_clamping_best_of_5_restarts_solves_at_least_95_percent(restarts):
    chosen = enc.best_of_restarts(restarts, 5)
    rate = diagnostics.success_rate(restarts.solved[chosen])
    assert rate.rate >= REQUIRED_RATE, f"best of 5 restarts: {rate}"
    single = diagnostics.success_rate(restarts.solved[::5])
    assert single.rate < REQUIRED_RATE  # one restart alone is not enough: the restarts matter


def test_training_likelihood_separates_solved_from_stuck(restarts):
    ll = restarts.log_likelihood
    assert restarts.solved.any() and (~restarts.solved).any()
    assert ll[~restarts.solved].max() < ll[restarts.solved].min()


def test_plain_exact_gradient_mostly_fails():
    plain = enc.train_exact_population([(seed, 0) for seed in range(N_SEEDS)], P_CLEAN, n_updates=1500,
                                       settings=enc.ExactRule(lr=1.0))
    rate = diagnostics.success_rate(plain.solved)
    assert rate.rate <= PLAIN_CEILING, f"plain exact gradient: {rate}"
    # the failures are code collisions, not near misses
    for model, solved in zip(plain.models, plain.solved):
        if not solved:
            assert enc.evaluate(model).n_distinct_codes < 4


def test_exact_sign_steps_mostly_fail():
    sign = enc.train_exact_population([(seed, 0) for seed in range(N_SEEDS)], P_NOISY, n_updates=1500,
                                      settings=enc.ExactRule(update="sign", lr=0.2))
    assert diagnostics.success_rate(sign.solved).rate <= PLAIN_CEILING


@pytest.mark.slow
def test_sampled_procedure_finds_then_loses_solutions():
    """The notebook's sample: seeds 0-9, 600 cycles."""
    runs = [enc.train_paper(enc.encoder_machine(), n_updates=600, rng=seed, record_every=10) for seed in range(10)]
    ever = np.array([h.ever_solved for h in runs])
    assert ever.sum() >= 7
    # after their discovery, solved networks are unsolved again at a good fraction of checks
    later = [ok for h in runs if h.ever_solved for ok in h.solved[h.n_updates.index(h.first_solved):]]
    assert later.count(False) >= 0.1 * len(later)
    G = np.median([h.G for h in runs], axis=0)
    weights = np.median([h.max_abs_weight for h in runs], axis=0)
    steps = runs[0].n_updates
    assert G[-1] > G[steps.index(100)]  # G rises after the first hundred cycles
    assert weights[-1] > 2 * weights[steps.index(100)]


@pytest.mark.slow
def test_ablation_noisy_clamping_is_what_finds_solutions():
    """The chapter's ablation (seeds 0-19, up to 2000 cycles, stop when solved).

    Stated in the verdict section and the ablation exercise's solution: the full
    procedure discovers a solution in 20 of 20 (median cycle 380), without
    annealing 20 of 20 (median 225), without noisy clamping only 5 of 20
    (median 70 among those that succeed).
    """
    variants = {
        "paper": (enc.PAPER, 20, 380),
        "no annealing": (enc.PAPER.replace(schedule=(1.0,) * 10), 20, 225),
        "no noisy clamping": (enc.PAPER.replace(p_flip_on=0.0, p_flip_off=0.0), 5, 70),
    }
    for name, (procedure, n_found, median_cycle) in variants.items():
        first = [
            enc.train_paper(enc.encoder_machine(), n_updates=2000, rng=seed, procedure=procedure,
                            stop_when_solved=True).first_solved
            for seed in range(20)
        ]
        found = [f for f in first if f is not None]
        assert len(found) == n_found, name
        assert np.median(found) == median_cycle, name


def test_without_noisy_clamping_the_weights_grow_faster():
    """The solution of ch3-ex-ablate: on seeds 1-4, the median largest weight after 200
    cycles is 13.4 without noisy clamping against 8.6 with it (about ten seconds)."""
    largest = {}
    for name, procedure in [("no noise", enc.PAPER.replace(p_flip_on=0.0, p_flip_off=0.0)),
                            ("paper", enc.PAPER)]:
        largest[name] = np.median([
            enc.train_paper(enc.encoder_machine(), n_updates=200, rng=seed, procedure=procedure,
                            record_every=200, track_G=False).max_abs_weight[-1]
            for seed in range(1, 5)
        ])
    assert f"{largest['no noise']:.1f} {largest['paper']:.1f}" == "13.4 8.6"


@pytest.mark.slow
def test_paper_time_unit_random_probes_is_no_faster():
    # The paper's unit of time: n probes of units drawn with replacement (scan="probes").
    # Discovery rate and speed on seeds 0-49 in that unit, against the sweeps above.
    from scipy.stats import binomtest

    procedure = enc.PAPER.replace(scan="probes")
    first = [enc.train_paper(enc.encoder_machine(), n_updates=2000, rng=seed, procedure=procedure,
                             record_every=10, stop_when_solved=True).first_solved
             for seed in range(N_SEEDS)]
    found = [f for f in first if f is not None]
    assert len(found) == 49
    assert [seed for seed, f in enumerate(first) if f is None] == [31]
    assert np.median(found) == 250
    by_110 = sum(f <= 110 for f in found)
    assert by_110 == 8
    assert binomtest(by_110, N_SEEDS, 0.5).pvalue < 1e-5


@pytest.mark.slow
def test_sampling_noise_beats_exact_sign_steps_from_the_same_starts():
    # Like with like: the exact variants' starting networks (seeds (s, 0), scale 0.01),
    # seeds 0-19, 600 updates each, judged at the final weights (final vs final) and at
    # every 10th update (ever vs ever): exact sign steps 5/20 and 5/20, sampled 14/20 and 17/20.
    n = 20
    exact_sign = enc.train_exact_population([(s, 0) for s in range(n)], P_NOISY, n_updates=600,
                                            settings=enc.ExactRule(update="sign", lr=0.2))
    final, ever, sign_final, sign_ever = [], [], [], []
    for seed in range(n):
        net = enc.encoder_machine(rng=np.random.default_rng((seed, 0)), scale=0.01)
        history = enc.train_paper(net, n_updates=600, rng=seed, record_every=10)
        final.append(bool(history.solved[-1]))
        ever.append(history.ever_solved)
        net = enc.encoder_machine(rng=np.random.default_rng((seed, 0)), scale=0.01)
        history = enc.train_exact(net, P_NOISY, n_updates=600, settings=enc.ExactRule(update="sign", lr=0.2),
                                  record_every=10)
        sign_final.append(bool(history.solved[-1]))
        sign_ever.append(history.ever_solved)
    assert int(exact_sign.solved.sum()) == 5
    assert sign_final == list(exact_sign.solved)  # the readable loop and the fast kernel agree
    assert sum(sign_ever) == 5  # exact sign steps never lose a solution they found
    assert sum(final) == 14
    assert sum(ever) == 17


def test_sign_rule_bias_on_a_rare_co_occurrence():
    # The numbers of the solution of exercise ch3-ex-sign-bias. Exact binomial sums
    # (8 clamped and 80 free samples), so each probability is asserted to the three
    # decimals the solution prints, and the balancing free-phase probability q
    # (a root of a smooth function of q) to the two significant digits it prints.
    from scipy.optimize import brentq
    from scipy.stats import binom

    clamped, free = np.arange(9), np.arange(81)
    diff = clamped[:, None] / 8 - free[None, :] / 80

    def sign_probabilities(p, q):
        P = binom.pmf(clamped, 8, p)[:, None] * binom.pmf(free, 80, q)[None, :]
        return P[diff > 0].sum(), P[diff == 0].sum(), P[diff < 0].sum()

    up, zero, down = sign_probabilities(0.02, 0.02)
    assert (up, zero, down) == pytest.approx((0.149, 0.169, 0.682), abs=5e-4)
    assert down > 4 * up  # "more than four times as often as up"

    q = brentq(lambda q: sign_probabilities(0.02, q)[0] - sign_probabilities(0.02, q)[2], 1e-4, 0.02)
    assert q == pytest.approx(0.0024, abs=5e-5)
    assert 0.02 / q == pytest.approx(8, abs=0.5)  # "about eight times less"


@pytest.mark.slow
def test_838_encoder_is_not_reproduced():
    """The solution of exercise ch3-ex-838 (seeds 0-19, 4000 cycles, checks every 50).

    The paper found all eight codes in 16 of 20 runs; with the book's code 5 of 20
    networks are solved at some check, 8 of 20 have eight different clamped codes at
    some check, none is solved at cycle 4000, and the final networks use 3 to 7 codes.
    About ten seconds per run.
    """
    procedure = enc.PAPER.replace(p_flip_off=0.02)
    ever, distinct, final_solved, codes = [], [], [], []
    for seed in range(20):
        model = enc.encoder_machine(8, 3)
        history = enc.train_paper(model, n_updates=4000, rng=seed, procedure=procedure,
                                  record_every=50, track_G=False)
        ever.append(history.ever_solved)
        distinct.append(history.first_distinct is not None)
        result = enc.evaluate(model)
        final_solved.append(bool(result.solved))
        codes.append(result.n_distinct_codes)
    assert sum(ever) == 5
    assert sum(distinct) == 8
    assert not any(final_solved)
    assert (min(codes), max(codes)) == (3, 7)
