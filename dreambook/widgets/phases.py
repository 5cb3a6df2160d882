"""Explorer of Chapter 1: wake steps, dream steps, or both."""

from __future__ import annotations

import numpy as np

from .. import exact
from ..plotting import new_figure, state_labels
from .base import Explorer

__all__ = ["PhasesExplorer", "benchmark_cases"]


class PhasesExplorer(Explorer):
    r"""Take wake, dream or combined steps on a small model and watch what each does.

    Top panel: the energy :math:`E(x)` of every state, observed states in
    orange. Bottom panel: the model's exact probability of each state beside
    the data frequencies. A wake step lowers the energy of the observed states,
    a dream step raises the energy of what the model finds probable, and a
    combined step is one step of exact gradient ascent on the log-likelihood.

    Parameters
    ----------
    model : FullyVisibleBM
        Copied; the explorer trains its own copy.
    data : array_like of shape (n_samples, n_units)
    lr : float
        Initial learning rate (a slider).
    """

    def __init__(self, model, data, lr: float = 0.2):
        import ipywidgets as widgets

        from .. import phases

        self._phases = phases
        self.initial = model.copy()
        self.model = model.copy()
        self.data = np.asarray(data, dtype=float)
        n = model.n_units
        self.states = exact.all_states(n)
        index = self.states.astype(int) @ (1 << np.arange(n - 1, -1, -1))
        data_index = self.data.astype(int) @ (1 << np.arange(n - 1, -1, -1))
        self.data_freq = np.bincount(data_index, minlength=len(index)) / len(self.data)
        observed = self.data_freq > 0
        self.n_steps = {"wake": 0, "dream": 0, "both": 0}

        fig = new_figure(7.0, 4.6)
        self.ax_e, self.ax_p = fig.subplots(2, 1, sharex=True)
        positions = np.arange(len(self.states))
        colors = np.where(observed, "#dd8452", "#4c72b0")
        self.energy_bars = self.ax_e.bar(positions, np.zeros(len(positions)), color=colors)
        self.ax_e.axhline(0, color="black", lw=0.8)
        self.ax_e.set_ylabel("energy E(x)")
        self.ax_e.set_ylim(-12, 6)
        self.prob_bars = self.ax_p.bar(positions - 0.2, np.zeros(len(positions)), 0.4,
                                       color="#4c72b0", label="model p(x)")
        self.ax_p.bar(positions + 0.2, self.data_freq, 0.4, color="#dd8452", label="data")
        self.ax_p.set_ylim(0, 1)
        self.ax_p.set_ylabel("probability")
        self.ax_p.legend(loc="upper right", frameon=False, fontsize=9)
        self.ax_p.set_xticks(positions, state_labels(n), rotation=90, fontsize=8)
        self.ax_p.set_xlabel("state x (orange: observed in the data)")
        self.title = self.ax_e.set_title("", fontsize=10)

        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-2, max=0, step=0.1,
                                                description="lr", readout_format=".2f")
        self.buttons = {}
        for kind, label in [("wake", "wake step"), ("dream", "dream step"),
                            ("both", "both (gradient)"), ("reset", "reset")]:
            button = widgets.Button(description=label)
            button.on_click(lambda _b, kind=kind: self.step(kind))
            self.buttons[kind] = button
        self._last = "start"
        self.dynamic = [*self.energy_bars, *self.prob_bars, self.title]
        super().__init__(fig, [self.lr_slider])
        self.widget.children = (widgets.HBox([self.lr_slider, *self.buttons.values()]),
                                self.image)

    def _on_change(self, _change) -> None:  # the slider only sets the step size
        pass

    def step(self, kind: str) -> None:
        """Apply one ``"wake"``, ``"dream"`` or ``"both"`` step (or ``"reset"``) and redraw."""
        lr = self.lr_slider.value
        if kind == "wake":
            self._phases.wake_step(self.model, self.data, lr)
        elif kind == "dream":
            self._phases.dream_step(self.model, lr)
        elif kind == "both":
            self._phases.both_step(self.model, self.data, lr)
        elif kind == "reset":
            self.model = self.initial.copy()
            self.n_steps = dict.fromkeys(self.n_steps, 0)
        else:
            raise ValueError(f"kind must be 'wake', 'dream', 'both' or 'reset', got {kind!r}")
        if kind != "reset":
            self.n_steps[kind] += 1
        self._last = kind
        self.update()

    def _draw(self, **_values) -> str:
        energies = self.model.energy(self.states)
        probs = exact.probabilities(self.model)
        ll = exact.log_likelihood(self.model, self.data)
        for bar, e in zip(self.energy_bars, energies):
            bar.set_height(float(np.clip(e, -12, 6)))
        for bar, p in zip(self.prob_bars, probs):
            bar.set_height(p)
        counts = ", ".join(f"{k} {v}" for k, v in self.n_steps.items())
        self.title.set_text(f"steps taken: {counts}   |   log-likelihood {ll:.3f} nats/example")
        p_observed = float(probs[self.data_freq > 0].sum())
        return (
            f"Two bar charts over all {len(probs)} states after {counts} steps "
            f"(last: {self._last}). The model gives the observed states total probability "
            f"{p_observed:.2f}; mean log-likelihood {ll:.3f} nats per example."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: 30 clicks of each button."""
    from ..models import FullyVisibleBM

    data = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])
    cases = []
    for kind in ("wake", "dream", "both"):
        explorer = PhasesExplorer(FullyVisibleBM.zeros(4), data, lr=0.3)
        cases.append((f"phases.{kind}_step", lambda _i, e=explorer, k=kind: e.step(k), range(30)))
    return cases
