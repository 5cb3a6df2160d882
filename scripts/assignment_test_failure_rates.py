"""How often the statistical tests of the assignments fail a *correct* submission.

A test is statistical when it compares a sampled or trained result with a
reference within a tolerance, so that a correct submission whose random numbers
differ from the solution's can fail. Three assignments have such tests:
``gibbs-sampler``, ``pcd-and-ais`` and ``cd-bars-and-stripes``. (The others
compare exact values, or values fixed exactly by the random draws the question
prescribes.) A submission that follows each question's recipe (the given seeds,
the prescribed calls) reproduces the solution's numbers and passes; this script
simulates correct submissions that draw their randomness *differently* (another
seed, another correct order of draws) and counts, per submission, how often
*any* test loses points.

Fast models (the default), exact in distribution, with the thresholds of the
masters' tests (``MODEL_CHECKS``, which CI checks against the masters' source):

* ``gibbs-sampler``: every sampled array of the notebook and of its hidden tests
  (questions 2, 3 and 5) is drawn again with ``dreambook.sampling.gibbs_sweep``
  (the solution's sweep); chains are independent rows, so many submissions'
  chains are swept side by side in one array.
* ``pcd-and-ais``: ``is_estimate(rbm, M, rng)`` is the mean of ``M`` draws from
  the ``2**n`` values ``2**n p*(v)``, each with probability ``2**-n``; the
  4000 one-sample estimates of question 2 and the 3000 four-sample estimates
  of its hidden test are drawn so.
* ``cd-bars-and-stripes``: the CD-1 training of question 2 and every averaged
  CD-k gradient of questions 3 and 4 (the student's and question 4's test's own)
  draw from independent generators seeded by the trial. The average of 400
  estimates ``cd_gradient(rbm, X, k, rng)`` is computed as one ``cd_gradient``
  on ``X`` repeated 400 times (the chains of different rows are independent,
  so both have the same distribution).

``--notebook N`` also runs N trials of the masters themselves (gibbs-sampler,
pcd-and-ais; slow): the master's code cells run with the solution, except that
the student function that takes ``rng`` (``my_gibbs_sweep``; ``is_estimate``)
is, in trial *t*, fed a generator derived from the one it is given and from
*t*; every cell that depends on it is re-run and every test that reads a re-run
name is called as the grader calls it (earlier questions' references included).

Run ``python scripts/assignment_test_failure_rates.py`` (``--quick`` for a
short run, ``--jobs 2`` to use two processes). Each line gives failures /
trials and the 95 % Wilson interval (with no failure, the rule-of-three bound
3 / n).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import inspect
import io
import json
import math
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------------------
# Reading a master
# ---------------------------------------------------------------------------
def read_master(name: str) -> tuple[list[str], dict[str, str]]:
    """The master's code cells outside tests (in order) and its test sources by test name."""
    nb = json.loads((ROOT / "assignments" / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    code, tests, in_tests = [], {}, False
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "raw":
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(source.strip()[:13], in_tests)
            continue
        if cell["cell_type"] != "code":
            continue
        if in_tests:
            test_name = re.search(r"^def (test_\w+)\(", source, re.M).group(1)
            tests[test_name] = source
        else:
            code.append(source)
    return code, tests


def test_function(source: str):
    """The test function defined by a test cell's source."""
    ns: dict = {}
    exec(compile(source, "<test>", "exec"), ns)
    (name,) = [key for key in ns if key.startswith("test_")]
    return ns[name]


def _assigned_names(source: str) -> set[str]:
    """Names a cell binds at the top level (not those local to its functions)."""
    names = set()
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            names.add(stmt.name)
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    return names


def _mentions(source: str, names: set[str]) -> bool:
    """Whether a cell reads any of ``names`` (as a variable, not as a keyword or attribute)."""
    return any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names
               for node in ast.walk(ast.parse(source)))


# ---------------------------------------------------------------------------
# Running a master with student functions that draw differently
# ---------------------------------------------------------------------------
def derived_rng(rng, trial: int) -> np.random.Generator:
    """A generator determined by ``rng`` and ``trial``: how trial ``trial``'s submission draws."""
    if isinstance(rng, np.random.Generator):
        return np.random.default_rng([trial, int(rng.integers(2**62))])
    return np.random.default_rng([trial, int(rng)])


def draws_differently(func, trial: int):
    """``func`` (which takes ``rng``) as a correct submission that uses its generator otherwise.

    The first time the variant is given a generator it derives its own stream from it (and
    from ``trial``) and keeps drawing from that stream whenever it is given the same generator
    again, so consecutive calls stay independent, as the solution's are.
    """
    signature = inspect.signature(func)
    streams: dict = {}

    @functools.wraps(func)
    def variant(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        rng = bound.arguments["rng"]
        if isinstance(rng, np.random.Generator):
            if id(rng) not in streams:
                streams[id(rng)] = (rng, derived_rng(rng, trial))  # keeps rng alive: ids stay unique
            bound.arguments["rng"] = streams[id(rng)][1]
        else:
            bound.arguments["rng"] = derived_rng(rng, trial)
        return func(*bound.args, **bound.kwargs)

    return variant


class Namespace(dict):
    """A notebook's globals in which the named functions, once defined, draw differently."""

    def __init__(self, *args, wrap=(), trial=None):
        super().__init__(*args)
        self.wrap, self.trial = set(wrap), trial

    def __setitem__(self, key, value):
        if key in self.wrap and self.trial is not None and callable(value):
            value = draws_differently(value, self.trial)
        super().__setitem__(key, value)


class Reference:
    """``reference.use(name=function)`` as the grader gives it: earlier answers replaced for a block."""

    def __init__(self, ns: dict):
        self.ns = ns

    @contextlib.contextmanager
    def _use(self, substitutes):
        saved = {key: self.ns[key] for key in substitutes}
        dict.update(self.ns, substitutes)
        try:
            yield
        finally:
            dict.update(self.ns, saved)

    def use(self, **substitutes):
        outer = self

        class Block:  # re-enterable, like the grader's
            def __enter__(self):
                self._cm = outer._use(substitutes)
                return self._cm.__enter__()

            def __exit__(self, *exc):
                return self._cm.__exit__(*exc)

        return Block()


def call_test(func, ns: dict) -> bool:
    """Run one test with the notebook's variables; True if it passes."""
    kwargs = {}
    for parameter in inspect.signature(func).parameters:
        kwargs[parameter] = Reference(ns) if parameter == "reference" else ns[parameter]
    try:
        func(**kwargs)
    except AssertionError:
        return False
    return True


class NotebookModel:
    """One assignment's master, run once; then re-run in part for each trial."""

    def __init__(self, name: str, wrap: tuple[str, ...]):
        self.name, self.wrap = name, wrap
        self.cells, sources = read_master(name)
        self.tests = {key: test_function(src) for key, src in sources.items()}
        self.base = Namespace()
        with contextlib.redirect_stdout(io.StringIO()):
            for src in self.cells:
                exec(compile(src, name, "exec"), self.base)
        # cells that must run again: those that use a wrapped name or a name they define
        changed, self.rerun = set(wrap), []
        for src in self.cells:
            if _mentions(src, changed):
                self.rerun.append(src)
                changed |= _assigned_names(src)
        self.changed = changed
        self.affected = [key for key, func in self.tests.items()
                         if set(inspect.signature(func).parameters) & changed]
        self.baseline = {key: call_test(func, self.base) for key, func in self.tests.items()}

    def trial(self, t: int) -> dict[str, bool]:
        ns = Namespace(self.base, wrap=self.wrap, trial=t)
        with contextlib.redirect_stdout(io.StringIO()):
            for src in self.rerun:
                exec(compile(src, self.name, "exec"), ns)
        return {key: call_test(self.tests[key], ns) for key in self.affected}


# ---------------------------------------------------------------------------
# cd-bars-and-stripes: a fast model with the master's thresholds
# ---------------------------------------------------------------------------
# What each fast model checks, as it is written in the master's test (checked by
# tests/assignments/test_statistical_failure_rates.py, so a changed tolerance is noticed).
MODEL_CHECKS = {
    "cd-bars-and-stripes": {
        "test_q2_hidden_results": ["ll_cd[-1] > -4.5"],
        "test_q3_hidden_long_chains_are_unbiased": ["mean_cd_gradient(rbm, d, 30, 400,", "> 0.97"],
        "test_q4_longer_chains_help": ["cos_by_k[30] > cos_by_k[1]"],
        "test_q4_values": ["cos_by_k[30] > 0.85", "cos_by_k[30] > cos_by_k[1] + 0.15",
                                  "for _ in range(400)", "- cos_by_k[30]) < "],
    },
    "gibbs-sampler": {
        "test_q2_hidden_chi_square": ["size=(3000, 4)", "range(30)", "p_value > 1e-4"],
        "test_q3_samples": ["atol=0.05"],
        "test_q3_hidden_samples_follow_model": ["chi_square_test(samples, exact.probabilities(model))[1] > 1e-4"],
        "test_q4_hidden_uniform": ["p_value_uniform < 1e-6"],
        "test_q5_burn_in": ["p_values[1] < 1e-6", "p_values[300] > 1e-4"],
    },
    "pcd-and-ais": {
        "test_q2_unbiased": ["< 4 * se"],
        "test_q2_hidden_unbiased_other_model": ["is_estimate(m, 4, rng) for _ in range(3000)", "< 4.5 * se"],
        "test_q3_hidden_signs": ["abs(ratio_of_mean - 1) < abs(mean_log_error)",
                                 "abs(mean_log_error - exact_gap) < 0.1"],
    },
}


def cd_q4_tolerance() -> float:
    """The tolerance of question 4's public value test, read from the master."""
    source = read_master("cd-bars-and-stripes")[1]["test_q4_values"]
    return float(re.search(r"- cos_by_k\[30\]\) < ([0-9.]+)", source).group(1))


def _cosine(g1: dict, g2: dict) -> float:
    a = np.concatenate([np.ravel(g1[key]) for key in ("W", "b", "c")])
    b = np.concatenate([np.ravel(g2[key]) for key in ("W", "b", "c")])
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def cd_values(t: int) -> tuple[float, ...]:
    """Trial ``t``'s numbers: (cos_by_k[1], cos_by_k[30], the test's CD-30 cosine, q3's cosine, ll_cd[-1])."""
    from dreambook import exact
    from dreambook.data import bars_and_stripes
    from dreambook.learning import cd_gradient, exact_gradient
    from dreambook.models import RBM

    X = bars_and_stripes(3)
    streams = np.random.default_rng([t, 2026]).spawn(5)
    rbm = RBM.random(9, 6, rng=0, scale=0.1)  # question 2: 1000 epochs of CD-1, lr 0.5
    for _ in range(1000):
        grad = cd_gradient(rbm, X, k=1, rng=streams[0])
        for key in ("W", "b", "c"):
            rbm.params[key] += 0.5 * grad[key]
    g_exact = exact_gradient(rbm, X)
    cos = {k: _cosine(cd_gradient(rbm, np.tile(X, (400, 1)), k=k, rng=streams[i]), g_exact)
           for i, k in ((1, 1), (2, 30))}
    test_cos30 = _cosine(cd_gradient(rbm, np.tile(X, (400, 1)), k=30, rng=streams[3]), g_exact)
    small = RBM.random(4, 3, rng=131, scale=1.0)  # question 3's hidden test
    d = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 1, 1]], dtype=float)
    q3 = _cosine(cd_gradient(small, np.tile(d, (400, 1)), k=30, rng=streams[4]), exact_gradient(small, d))
    return cos[1], cos[30], test_cos30, q3, float(exact.log_likelihood(rbm, X))


def cd_checks(values, tolerance: float | None = None) -> dict[str, bool]:
    """The master's checks applied to one trial's numbers (``tolerance``: question 4's, default the master's)."""
    tolerance = cd_q4_tolerance() if tolerance is None else tolerance
    cos1, cos30, test_cos30, q3, ll = values
    return {
        "test_q2_hidden_results": bool(ll > -4.5),
        "test_q3_hidden_long_chains_are_unbiased": bool(q3 > 0.97),
        "test_q4_longer_chains_help": bool(cos30 > cos1),
        "test_q4_values": bool(cos30 > 0.85 and cos30 > cos1 + 0.15
                                      and abs(test_cos30 - cos30) < tolerance),
    }


def cd_breakdown(values) -> str:
    """How many trials fail each of question 4's statistical checks (one trial can fail several)."""
    values = np.asarray(values)
    cos1, cos30, test_cos30 = values[:, 0], values[:, 1], values[:, 2]
    tolerance = cd_q4_tolerance()
    return (f"cos_by_k[30] <= 0.85: {int(np.sum(cos30 <= 0.85))}; "
            f"cos_by_k[30] <= cos_by_k[1] + 0.15: {int(np.sum(cos30 <= cos1 + 0.15))}; "
            f"|test's estimate - cos_by_k[30]| >= {tolerance:g}: {int(np.sum(np.abs(test_cos30 - cos30) >= tolerance))}")


def cd_trial(t: int) -> dict:
    """One correct cd-bars-and-stripes submission whose random numbers are trial ``t``'s."""
    values = cd_values(t)
    return {**cd_checks(values), "_values": values}


# ---------------------------------------------------------------------------
# gibbs-sampler and pcd-and-ais: fast models, many submissions at once
# ---------------------------------------------------------------------------
def gibbs_trials(start: int, count: int) -> list[dict]:
    """``count`` gibbs-sampler submissions at once: their chains side by side in one array.

    Chains are independent rows, so submission j's chains are rows j*m ... (j+1)*m - 1 of
    one batch swept with ``dreambook.sampling.gibbs_sweep`` (the solution's sweep: units
    0..n-1 in turn). The thresholds are those of the master's tests.
    """
    from dreambook import exact
    from dreambook.diagnostics import chi_square_test
    from dreambook.models import FullyVisibleBM
    from dreambook.sampling import gibbs_sweep

    rng = np.random.default_rng([start, count, 7])

    def run(model, x, sweeps):
        for _ in range(sweeps):
            x = gibbs_sweep(model, x, rng)
        return x.reshape(count, -1, x.shape[1])

    W = np.array([[0, 2.5, -2, 1.5], [2.5, 0, 1., -2.5], [-2, 1., 0, 2.], [1.5, -2.5, 2., 0]])
    m2 = FullyVisibleBM(W, np.array([-1.5, 0.5, -0.5, 1.0]), T=1.5)
    start2 = np.random.default_rng(12345).integers(0, 2, size=(3000, 4)).astype(float)  # the test's starts
    q2 = run(m2, np.tile(start2, (count, 1)), 30)
    model = FullyVisibleBM.random(5, rng=3, scale=1.0)
    q3 = run(model, np.zeros((3000 * count, 5)), 20)
    n = 6
    bimodal = FullyVisibleBM(1.5 * (np.ones((n, n)) - np.eye(n)), -3.75 * np.ones(n))
    q5_1 = run(bimodal, np.zeros((2000 * count, n)), 1)
    q5_300 = run(bimodal, np.zeros((2000 * count, n)), 300)
    p2, p3, p5 = exact.probabilities(m2), exact.probabilities(model), exact.probabilities(bimodal)
    marginals = exact.marginals(model)
    out = []
    for j in range(count):
        out.append({
            "test_q2_hidden_chi_square": bool(chi_square_test(q2[j], p2)[1] > 1e-4),
            "test_q3_samples": bool(np.allclose(q3[j].mean(axis=0), marginals, atol=0.05)),
            "test_q3_hidden_samples_follow_model": bool(chi_square_test(q3[j], p3)[1] > 1e-4),
            "test_q4_hidden_uniform": bool(chi_square_test(q3[j], np.full(32, 1 / 32))[1] < 1e-6),
            "test_q5_burn_in": bool(chi_square_test(q5_1[j], p5)[1] < 1e-6
                                           and chi_square_test(q5_300[j], p5)[1] > 1e-4),
        })
    return out


def pcd_trials(start: int, count: int) -> list[dict]:
    """``count`` pcd-and-ais submissions at once.

    ``is_estimate(rbm, M, rng)`` averages ``2**n p*(v)`` over ``M`` uniform visible states,
    so it is the mean of ``M`` draws from the ``2**n`` values ``w = 2**n p*(v)``, each
    with probability ``2**-n``: that is what is drawn here, with the master's thresholds.
    """
    from dreambook import exact
    from dreambook.models import RBM

    rng = np.random.default_rng([start, count, 11])
    rbm = RBM.random(6, 3, rng=5, scale=1.0)
    log_z = exact.log_partition(rbm)
    w = 2.0 ** 6 * np.exp(rbm.unnormalized_log_prob(exact.all_states(6)))
    exact_gap = float(np.mean(np.log(w)) - log_z)  # E[log Z-hat] - log Z for M = 1
    m = RBM.random(5, 3, rng=81, scale=1.0, T=0.7)
    w2 = 2.0 ** 5 * np.exp(m.unnormalized_log_prob(exact.all_states(5)))
    se2 = w2.std() / np.sqrt(4 * 3000)
    z2 = np.exp(exact.log_partition(m))
    out = []
    for _ in range(count):
        z_hats = w[rng.integers(0, 64, size=4000)]
        se = z_hats.std() / np.sqrt(4000)
        z = w2[rng.integers(0, 32, size=(3000, 4))].mean(axis=1)
        ratio_of_mean = z_hats.mean() / np.exp(log_z)
        mean_log_error = np.mean(np.log(z_hats)) - log_z
        out.append({
            "test_q2_unbiased": bool(abs(z_hats.mean() - np.exp(log_z)) < 4 * se),
            "test_q2_hidden_unbiased_other_model": bool(abs(z.mean() - z2) < 4.5 * se2),
            "test_q3_hidden_signs": bool(exact_gap < 0 and mean_log_error < 0
                                         and abs(ratio_of_mean - 1) < abs(mean_log_error)
                                         and abs(mean_log_error - exact_gap) < 0.1),
        })
    return out


def gibbs_margins() -> str:
    """What gibbs-sampler's thresholds allow for chains that have mixed."""
    from scipy.stats import norm

    from dreambook import exact
    from dreambook.models import FullyVisibleBM

    p = exact.marginals(FullyVisibleBM.random(5, rng=3, scale=1.0))
    sd = np.sqrt(p * (1 - p) / 3000)
    marginal = float(np.sum(2 * norm.sf(0.05 / sd)))
    return (f"three chi-square tests at p > 1e-4 (q2, q3, q5 after 300 sweeps): 3e-4 if mixed; "
            f"q3's marginals within 0.05 = {(0.05 / sd).min():.1f} sd or more: {marginal:.1g}")


def pcd_margins() -> str:
    """The tolerances of pcd-and-ais's hidden tests in standard deviations of what they bound."""
    from scipy.stats import norm

    from dreambook import exact
    from dreambook.models import RBM

    rbm = RBM.random(6, 3, rng=5, scale=1.0)
    log_w = 6 * np.log(2.0) + rbm.unnormalized_log_prob(exact.all_states(6))
    w = np.exp(log_w)
    # question 3: mean(log z_hats) - log Z against the exact gap, with 4000 one-sample estimates
    sd_log = log_w.std() / np.sqrt(4000)
    # question 3: |ratio_of_mean - 1| < |mean_log_error|; the ratio's sd with 4000 samples
    sd_ratio = w.std() / w.mean() / np.sqrt(4000)
    gap = abs(np.mean(log_w) - exact.log_partition(rbm))
    parts = [f"q3 gap: sd {sd_log:.4f}, tolerance 0.1 = {0.1 / sd_log:.1f} sd "
             f"(two-sided tail {2 * norm.sf(0.1 / sd_log):.1g})",
             f"q3 |ratio - 1| < |gap| ({gap:.3f}): ratio sd {sd_ratio:.4f}, {gap / sd_ratio:.1f} sd "
             f"(tail {2 * norm.sf(gap / sd_ratio):.1g})",
             f"q2 hidden: 4.5 sd (tail {2 * norm.sf(4.5):.1g})"]
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------
def wilson(failures: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95 % Wilson score interval of a binomial proportion."""
    p = failures / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def describe(failures: int, n: int) -> str:
    if failures == 0:
        return f"0 of {n} (below {300 / n:.2g} %, rule of three)"
    lo, hi = wilson(failures, n)
    return f"{failures} of {n} ({100 * failures / n:.2g} %, 95 % Wilson interval {100 * lo:.2g}-{100 * hi:.2g} %)"


_MODELS: dict = {}


def _notebook_trial(args):
    name, t = args
    if name not in _MODELS:
        _MODELS[name] = NotebookModel(name, NOTEBOOK_ASSIGNMENTS[name])
    return _MODELS[name].trial(t)


def _gibbs_chunk(start):
    return gibbs_trials(start, GIBBS_CHUNK)


def _pcd_chunk(start):
    return pcd_trials(start, PCD_CHUNK)


NOTEBOOK_ASSIGNMENTS = {"gibbs-sampler": ("my_gibbs_sweep",), "pcd-and-ais": ("is_estimate",)}
GIBBS_CHUNK, PCD_CHUNK = 25, 1000
DEFAULT_TRIALS = {"gibbs-sampler": 1000, "pcd-and-ais": 20000, "cd-bars-and-stripes": 1500}
QUICK_TRIALS = {"gibbs-sampler": 50, "pcd-and-ais": 2000, "cd-bars-and-stripes": 40}


def _map(func, args, jobs):
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            return list(pool.map(func, args))
    return [func(a) for a in args]


def run(name: str, n: int, jobs: int = 1) -> list[dict]:
    """``n`` simulated correct submissions of ``name`` (rounded up to whole chunks)."""
    if name == "cd-bars-and-stripes":
        return _map(cd_trial, range(n), jobs)
    chunk, func = {"gibbs-sampler": (GIBBS_CHUNK, _gibbs_chunk), "pcd-and-ais": (PCD_CHUNK, _pcd_chunk)}[name]
    starts = range(0, chunk * math.ceil(n / chunk), chunk)
    return [r for part in _map(func, starts, jobs) for r in part]


def run_notebook(name: str, n: int, jobs: int = 1) -> tuple[list[dict], dict]:
    """``n`` trials of the master itself (slow), and the solution's own test results."""
    baseline = NotebookModel(name, NOTEBOOK_ASSIGNMENTS[name]).baseline
    return _map(_notebook_trial, [(name, t) for t in range(n)], jobs), baseline


def report(name: str, results: list[dict], baseline: dict | None = None) -> dict:
    n = len(results)
    tests = [key for key in results[0] if not key.startswith("_")]
    if baseline is not None:
        print(f"  the solution itself (the given seeds) passes {sum(baseline.values())} of {len(baseline)} tests")
    counts = {}
    for key in tests:
        counts[key] = sum(not r[key] for r in results)
        print(f"  {key}: fails {describe(counts[key], n)}")
    lost = sum(not all(r[key] for key in tests) for r in results)
    print(f"  per submission (any test fails): {describe(lost, n)}")
    return {"trials": n, "failures": lost, "by_test": counts}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(DEFAULT_TRIALS))
    parser.add_argument("--quick", action="store_true", help="a short run (a few minutes at most)")
    parser.add_argument("-n", type=int, help=f"trials per assignment (default {DEFAULT_TRIALS})")
    parser.add_argument("--notebook", type=int, default=0, metavar="N",
                        help="also run N trials of the masters themselves (gibbs-sampler, pcd-and-ais)")
    parser.add_argument("--jobs", type=int, default=1, help="processes")
    parser.add_argument("--save", type=Path, help="write cd-bars-and-stripes's per-trial values here (JSON)")
    args = parser.parse_args(argv)
    for name in args.names:
        n = args.n or (QUICK_TRIALS if args.quick else DEFAULT_TRIALS)[name]
        results = run(name, n, args.jobs)
        print(f"{name}: {len(results)} correct submissions that draw differently (model)")
        report(name, results)
        if name == "cd-bars-and-stripes":
            values = np.array([r["_values"] for r in results])
            if args.save:
                args.save.write_text(json.dumps({"columns": ["cos1", "cos30", "test_cos30", "q3_cos", "ll_cd"],
                                                 "values": values.tolist()}))
            diff = values[:, 2] - values[:, 1]
            print(f"  cos_by_k[1] mean {values[:, 0].mean():.3f} sd {values[:, 0].std():.3f}; "
                  f"cos_by_k[30] mean {values[:, 1].mean():.3f} sd {values[:, 1].std():.3f} "
                  f"(min {values[:, 1].min():.3f}); q3 cosine min {values[:, 3].min():.4f}")
            print(f"  q4: test's CD-30 cosine minus the student's: sd {diff.std():.4f}, "
                  f"max |difference| {np.abs(diff).max():.4f}")
            print("  q4 values, by check: " + cd_breakdown(values))
        if name == "pcd-and-ais":
            print("  in standard deviations (normal approximation): " + pcd_margins())
        if name == "gibbs-sampler":
            print("  from the thresholds: " + gibbs_margins())
        if args.notebook and name in NOTEBOOK_ASSIGNMENTS:
            print(f"{name}: {args.notebook} trials of the master's own code and tests")
            results, baseline = run_notebook(name, args.notebook, args.jobs)
            report(name, results, baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
