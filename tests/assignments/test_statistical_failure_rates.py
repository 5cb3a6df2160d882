"""How often the statistical tests of the assignments fail a correct submission.

The instructor guide states, per submission, the probability that a correct
notebook whose random numbers differ from the solution's loses points; the
numbers come from ``scripts/assignment_test_failure_rates.py``. These tests keep
that script honest: its fast models must check what the masters' tests check
(so a changed tolerance in a master is noticed), and the worst of the
statistical tests is measured again here on a few simulated submissions.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import assignment_test_failure_rates as rates  # noqa: E402

# The worst statistical test (cd-bars-and-stripes, question 4's value test), as measured by
# ``python scripts/assignment_test_failure_rates.py cd-bars-and-stripes -n 1200 --jobs 2``:
# 6 of 1200 correct submissions lost points (0.5 %; 95 % Wilson interval 0.23-1.1 %).
MEASURED_FAILURES, MEASURED_TRIALS = 6, 1200
CI_TRIALS, CI_MAX_FAILURES = 40, 4


def binomial_tail(n: int, p: float, k: int) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return 1.0 - sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k))


@pytest.mark.parametrize("name", sorted(rates.MODEL_CHECKS))
def test_fast_models_check_what_the_masters_test(name):
    """Every comparison a fast model makes is written, as it stands, in the master's test."""
    sources = rates.read_master(name)[1]
    for test, fragments in rates.MODEL_CHECKS[name].items():
        for fragment in fragments:
            assert fragment in sources[test], f"{name} {test}: the model assumes {fragment!r}"


def test_bound_is_safe_for_a_correct_test():
    """With the measured rate's upper 95 % Wilson bound, CI fails a correct test very rarely.

    p = 0.0109 (the upper end of 6/1200's interval): P(X >= 5) for X ~ Binomial(40, p) is 7e-5;
    at the point estimate p = 0.005 it is 2e-6.
    """
    upper = rates.wilson(MEASURED_FAILURES, MEASURED_TRIALS)[1]
    assert binomial_tail(CI_TRIALS, upper, CI_MAX_FAILURES + 1) < 1e-4


def test_worst_statistical_test_rarely_fails_a_correct_submission():
    """cd-bars-and-stripes: simulated correct submissions that draw their random numbers differently.

    See the module's constants for the measured rate. If the per-submission failure probability
    is p, the chance that more than CI_MAX_FAILURES of CI_TRIALS simulated submissions fail is
    the binomial tail P(X >= CI_MAX_FAILURES + 1); ``test_bound_is_safe_for_a_correct_test``
    checks that it is below 1e-3 even at the upper end of the measured rate's 95 % interval.
    The trials use fixed seeds, so the outcome is reproducible. The same trials with question 4's
    tolerance cut to an eighth (0.01, below the 0.014 standard deviation of the difference it
    bounds) must fail more often than the bound allows: the test has power against a tolerance
    tightened too far.
    """
    values = [rates.cd_values(10_000 + t) for t in range(CI_TRIALS)]
    lost = sum(not all(rates.cd_checks(v).values()) for v in values)
    assert lost <= CI_MAX_FAILURES, f"{lost} of {CI_TRIALS} correct submissions lost points"
    tight = rates.cd_q4_tolerance() / 8
    lost_tight = sum(not all(rates.cd_checks(v, tight).values()) for v in values)
    assert lost_tight > CI_MAX_FAILURES, f"tolerance {tight}: only {lost_tight} failures"
