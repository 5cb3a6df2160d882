"""Explorer of Chapter 6: dream, unlearn, and watch the spurious minima go."""

from __future__ import annotations

import numpy as np

from .. import hopfield as hp
from ..models import HopfieldNetwork
from ..plotting import new_figure
from .base import Explorer

__all__ = ["UnlearningExplorer", "benchmark_cases"]


class UnlearningExplorer(Explorer):
    r"""Unlearn dreams in an overloaded Hopfield network, one click at a time.

    Left: energies of the fixed points that ``n_starts`` random starts fall
    into, split into stored patterns (or their mirror images) and spurious
    states, in units of the stored patterns' mean energy (so a stored pattern
    sits near -1). Right: exact retrieval from noisy cues against the number of
    dreams taken so far. The landscape (random starts and cues) is recomputed
    once per weight state, after each click.

    Parameters
    ----------
    n_units, n_patterns : int
        Network size and number of stored random patterns.
    epsilon : float
        Initial unlearning rate of each dream (a slider, 0.01 to 0.1).
    rng : int
        Seed for patterns, dreams and probes.
    n_starts : int
        Random starts used to map the minima.
    flip_fraction : float
        Fraction of bits flipped in each retrieval cue.
    """

    def __init__(self, n_units: int = 100, n_patterns: int = 20, epsilon: float = 0.05,
                 rng: int = 0, n_starts: int = 100, flip_fraction: float = 0.1):
        import ipywidgets as widgets

        self.patterns = hp.random_patterns(n_patterns, n_units, rng)
        self.n_starts = int(n_starts)
        self.n_flips = int(round(flip_fraction * n_units))
        self._seed = int(rng)
        self.bins = np.linspace(-1.25, -0.75, 21)

        fig = new_figure(7.2, 3.0)
        self.ax_h, self.ax_r = fig.subplots(1, 2, width_ratios=[1.3, 1])
        zeros = np.zeros(len(self.bins) - 1)
        # Stacked histogram as two filled step patches: all minima (blue) behind stored (orange).
        self.hist_all = self.ax_h.stairs(zeros, self.bins, fill=True, color="#4c72b0",
                                         label="spurious")
        self.hist_stored = self.ax_h.stairs(zeros, self.bins, fill=True, color="#dd8452",
                                            label="stored pattern (or mirror)")
        self.ax_h.set_xlim(self.bins[0], self.bins[-1])
        self.ax_h.set_ylim(0, 0.6 * self.n_starts)
        self.ax_h.set_xlabel("energy of the fixed point reached\n(1 unit = stored patterns' mean |E|)")
        self.ax_h.set_ylabel(f"random starts (of {self.n_starts})")
        self.ax_h.legend(loc="upper left", frameon=False, fontsize=8)
        (self.curve,) = self.ax_r.plot([], [], "o-", color="#55a868", ms=3)
        self.ax_r.set_ylim(-0.03, 1.03)
        self.ax_r.set_xlim(-10, 600)
        self.ax_r.set_xlabel("dreams unlearned")
        self.ax_r.set_ylabel("exact retrieval, 10 % noise")
        self.ax_r.grid(alpha=0.3)

        self.eps_slider = widgets.FloatLogSlider(value=epsilon, base=10, min=-2, max=-1, step=0.1,
                                                 description="epsilon", readout_format=".3f")
        self.buttons = {}
        for n, label in [(1, "dream"), (10, "dream ×10"), (0, "reset")]:
            button = widgets.Button(description=label)
            button.on_click(lambda _b, n=n: self.step(n))
            self.buttons[label] = button
        self.status = widgets.HTML()
        self._reset_state()
        self.dynamic = [self.hist_all, self.hist_stored, self.curve]
        super().__init__(fig, [self.eps_slider])
        self.widget.children = (widgets.HBox([self.eps_slider, *self.buttons.values()]),
                                self.status, self.image)

    def _on_change(self, _change) -> None:  # the slider only sets the rate of the next dreams
        pass

    # --- static website: the dream counter becomes a slider over checkpoints --------
    static_note = ("each picture starts from the freshly stored network and dreams in clicks "
                   "of 'dream ×10' at one unlearning rate")
    static_checkpoints = tuple(range(0, 201, 20))

    def static_controls(self):
        from .static import StaticControl

        eps = float(self.eps_slider.value)
        rates = sorted({0.01, eps, 0.1})
        start = min(range(len(self.static_checkpoints)),
                    key=lambda i: abs(self.static_checkpoints[i] - self.n_dreams))
        return [StaticControl("epsilon", rates, [f"{v:.3f}" for v in rates], "choice",
                              rates.index(eps)),
                StaticControl("dreams", list(self.static_checkpoints), kind="slider", index=start)]

    def static_show(self, **values) -> None:
        eps, n = values["epsilon"], int(values["dreams"])
        prev = self._static_prev
        if prev is None or prev[0] != eps or prev[1] > n:
            self.step(0)
        self.eps_slider.value = eps
        while self.n_dreams < n:
            self.step(10)
        if prev is not None and prev == (eps, n):
            self.update()
        self._static_prev = (eps, n)

    def static_spec(self) -> dict:
        import copy

        self._static_saved = copy.deepcopy(
            (self.net, self.rng, self.n_dreams, self.history, self.energies, self.stored,
             self.ax_r.get_xlim()))
        self._static_eps = self.eps_slider.value
        self._static_prev = None
        return super().static_spec()

    def static_restore(self) -> None:
        (self.net, self.rng, self.n_dreams, self.history, self.energies, self.stored,
         xlim) = self._static_saved
        if tuple(xlim) != tuple(self.ax_r.get_xlim()):
            self.ax_r.set_xlim(*xlim)
            self._background = None
        self.eps_slider.value = self._static_eps
        self.update()

    def _reset_state(self) -> None:
        self.net = HopfieldNetwork.hebbian(self.patterns)
        self.rng = np.random.default_rng(self._seed + 1)
        self.n_dreams = 0
        self.history = []
        self._measure()

    def _measure(self) -> None:
        """Map the minima and measure retrieval for the current weights (once per state)."""
        rng = np.random.default_rng(self._seed + 2)  # the same probes for every state
        starts = hp.random_patterns(self.n_starts, self.net.n_units, rng)
        minima = hp.relax(self.net, starts, rng)
        index, _ = hp.match_patterns(minima, self.patterns)
        scale = np.abs(np.mean(self.net.energy(self.patterns)))
        scale = scale if scale > 0 else 1.0
        self.energies = self.net.energy(minima) / scale
        self.stored = index >= 0
        retrieval = hp.retrieval_rate(self.net, self.patterns, rng, self.n_flips, 2)
        self.history.append((self.n_dreams, retrieval))

    def step(self, n_dreams: int) -> None:
        """Dream ``n_dreams`` times (0 resets the network) and redraw."""
        if n_dreams == 0:
            self._reset_state()
        else:
            hp.dream_and_unlearn(self.net, self.rng, self.eps_slider.value, n_dreams)
            self.n_dreams += n_dreams
            self._measure()
        self.update()

    def _draw(self, **_values) -> str:
        e = np.clip(self.energies, self.bins[0], self.bins[-1] - 1e-9)
        h_stored, _ = np.histogram(e[self.stored], self.bins)
        h_spur, _ = np.histogram(e[~self.stored], self.bins)
        self.hist_all.set_data(values=h_stored + h_spur)
        self.hist_stored.set_data(values=h_stored)
        x, y = np.array(self.history).T
        self.curve.set_data(x, y)
        if x.max() > self.ax_r.get_xlim()[1]:  # grow the axis: one full redraw
            self.ax_r.set_xlim(-10, 2 * self.ax_r.get_xlim()[1])
            self._background = None
        n_stored = int(self.stored.sum())
        # Status as HTML beside the figure: text is slow to rasterize on every click.
        self.status.value = (f"<b>{self.n_dreams} dreams</b>: {n_stored} of {self.n_starts} "
                             f"random starts end in a stored pattern; exact retrieval {y[-1]:.2f}")
        return (f"Left: stacked histogram of the energies of the fixed points reached from "
                f"{self.n_starts} random starts after {self.n_dreams} dreams; {n_stored} end in a "
                f"stored pattern or its mirror (orange), {self.n_starts - n_stored} in spurious "
                f"states (blue). Right: exact retrieval from noisy cues against the number of "
                f"dreams, now {y[-1]:.2f}.")


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: 20 clicks of each dream button."""
    cases = []
    for n in (1, 10):
        explorer = UnlearningExplorer()
        cases.append((f"hopfield.dream_x{n}", lambda _i, e=explorer, n=n: e.step(n), range(20)))
    return cases
