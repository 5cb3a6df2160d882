"""Explorer of Chapter 2: a short Gibbs run beside the exact distribution."""

from __future__ import annotations

import numpy as np

from .. import exact
from .. import sampling as _sampling
from ..diagnostics import chi_square_test, exact_autocorrelation_time
from ..markov import gibbs_transition_matrix
from ..models import two_mode_ferromagnet
from ..plotting import new_figure
from .base import Explorer
from ..states import all_states

__all__ = ["SamplingExplorer", "benchmark_cases"]

#: Above this many sweeps the exact autocorrelation time is shown as a bound.
_TAU_DISPLAY_LIMIT = 1e6


class SamplingExplorer(Explorer):
    r"""Short Gibbs runs on the two-mode ferromagnet, as coupling and temperature vary.

    The model is :func:`dreambook.models.two_mode_ferromagnet`: every pair
    of units coupled by :math:`J`, with the two modes all-off and all-on
    equally probable. Many chains start all-off and run a few sequential
    Gibbs sweeps at temperature :math:`T`.

    Left panel: the exact probability of having *k* units on, beside the
    fraction of chains with *k* units on after the run. Right panel: *k*
    along the run for a few of the chains. The title gives the exact
    integrated autocorrelation time of the fraction of units on
    (:func:`dreambook.diagnostics.exact_autocorrelation_time`) and the
    :math:`\chi^2` p-value of the final states against the exact distribution.

    The random numbers are the same for every setting (a fixed seed), so
    what changes between two pictures is the model, not the luck.

    Parameters
    ----------
    n_units : int
        Units of the ferromagnet (the exact distribution has 2**n_units states).
    coupling, T : float
        Initial slider values.
    n_chains : int
        Parallel chains (the histogram's sample size).
    n_sweeps : int
        Length of each run.
    n_traces : int
        Chains drawn in the right panel.
    seed : int
    """

    def __init__(self, n_units: int = 8, coupling: float = 1.25, T: float = 1.0,
                 n_chains: int = 1280, n_sweeps: int = 25, n_traces: int = 5, seed: int = 0):
        import ipywidgets as widgets

        self.n = n_units
        self.n_chains, self.n_sweeps, self.seed = n_chains, n_sweeps, seed
        self.n_traces = n_traces
        self.states = all_states(n_units)
        self.k_of_state = self.states.sum(axis=1).astype(int)
        self.fraction_on = self.states.mean(axis=1)
        self.x0 = np.zeros((n_chains, n_units))
        levels = np.arange(n_units + 1)

        fig = new_figure(8.0, 3.2)
        self.ax_p, self.ax_t = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        width = 0.4
        self.exact_bars = self.ax_p.bar(levels - width / 2, np.zeros(len(levels)), width,
                                        color="#4c72b0", label="exact p(k)")
        self.sample_bars = self.ax_p.bar(levels + width / 2, np.zeros(len(levels)), width,
                                         color="#dd8452",
                                         label=f"{n_chains} chains after {n_sweeps} sweeps")
        self.ax_p.set_xticks(levels)
        self.ax_p.set_xlabel("k = number of units on")
        self.ax_p.set_ylabel("probability")
        self.ax_p.set_ylim(0, 1)
        self.ax_p.legend(loc="upper center", frameon=False, fontsize=9)
        sweeps = np.arange(n_sweeps + 1)
        colors = ["#55a868", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c"]
        self.traces = [
            self.ax_t.plot(sweeps, np.zeros(len(sweeps)), lw=1.4, color=colors[j % len(colors)],
                           drawstyle="steps-post")[0]
            for j in range(n_traces)
        ]
        self.ax_t.axhline(n_units / 2, color="gray", lw=0.8, ls="--")
        self.ax_t.set_xlim(0, n_sweeps)
        self.ax_t.set_ylim(-0.3, n_units + 0.3)
        self.ax_t.set_xlabel("sweep")
        self.ax_t.set_ylabel("k = units on")
        self.ax_t.set_title(f"{n_traces} of the chains, all started all-off", fontsize=10)
        self.title = fig.suptitle("", fontsize=10)
        self.dynamic = [*self.exact_bars, *self.sample_bars, *self.traces, self.title]

        J_slider = widgets.FloatSlider(value=coupling, min=0.0, max=2.0, step=0.05,
                                       description="J", readout_format=".2f")
        T_slider = widgets.FloatSlider(value=T, min=0.5, max=4.0, step=0.05,
                                       description="T", readout_format=".2f")
        super().__init__(fig, [J_slider, T_slider])

    def run(self, J: float, T: float) -> dict:
        """Exact quantities and one short Gibbs run for coupling ``J`` and temperature ``T``."""
        model = two_mode_ferromagnet(self.n, J, T=T)
        probs = exact.probabilities(model)
        trace = _sampling.gibbs_chain(model, self.x0, self.n_sweeps, rng=self.seed)
        final = trace[-1]
        tau = exact_autocorrelation_time(
            gibbs_transition_matrix(model), probs, self.fraction_on)
        k_runs = np.concatenate([np.zeros((1, self.n_traces)),
                                 trace[:, : self.n_traces].sum(axis=-1)])
        k_final = final.sum(axis=1).astype(int)
        return {
            "exact_k": np.bincount(self.k_of_state, weights=probs, minlength=self.n + 1),
            "sampled_k": np.bincount(k_final, minlength=self.n + 1) / self.n_chains,
            "p_value": chi_square_test(final, probs)[1],
            "tau": tau,
            "k_runs": k_runs,
            "upper": float(np.mean(k_final > self.n / 2)),
            "exact_upper": float(probs[self.k_of_state > self.n / 2].sum()),
        }

    def _draw(self, J: float, T: float) -> str:
        r = self.run(J, T)
        for bar, p in zip(self.exact_bars, r["exact_k"]):
            bar.set_height(p)
        for bar, p in zip(self.sample_bars, r["sampled_k"]):
            bar.set_height(p)
        for line, k in zip(self.traces, r["k_runs"].T):
            line.set_ydata(k)
        tau = r["tau"]
        tau_text = (f"> {_TAU_DISPLAY_LIMIT:.0e}".replace("e+0", "e") if tau > _TAU_DISPLAY_LIMIT
                    else f"{tau:.1f}")
        verdict = "matches" if r["p_value"] > 0.01 else "does not match"
        # short on purpose: every glyph of a redrawn title costs time
        self.title.set_text(
            f"J/T = {J / T:.2f}:  exact τ = {tau_text} sweeps,  χ² p = {r['p_value']:.3f}")
        return (
            f"Left: bar chart of the exact probability of k units on (k = 0 to {self.n}) beside "
            f"the fraction of {self.n_chains} Gibbs chains with k units on after "
            f"{self.n_sweeps} sweeps from all-off, at coupling {J:.2f} and temperature {T:.2f}. "
            f"The chains put {r['upper']:.0%} of their mass in the upper half where the exact "
            f"distribution puts {r['exact_upper']:.0%}; the sample {verdict} the exact "
            f"distribution (chi-square p = {r['p_value']:.3f}). Right: the number of units on "
            f"along {self.n_traces} of the runs. Exact autocorrelation time {tau_text} sweeps."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py, built as Chapter 2 builds it."""
    explorer = SamplingExplorer(n_units=8, coupling=1.25, T=1.0)
    J_slider, T_slider = explorer.controls
    J_values = np.arange(J_slider.min, J_slider.max + 1e-9, J_slider.step)
    T_values = np.arange(T_slider.min, T_slider.max + 1e-9, 2 * T_slider.step)
    return [
        ("sampling.coupling", lambda J: explorer.update(J=float(J), T=1.0), J_values),
        ("sampling.temperature", lambda T: explorer.update(J=1.25, T=float(T)), T_values),
    ]
