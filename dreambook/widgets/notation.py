"""Explorer of the notation page: the temperature dial."""

from __future__ import annotations

import numpy as np

from .. import exact
from ..plotting import new_figure, state_labels
from .base import Explorer
from ..states import all_states

__all__ = ["TemperatureExplorer", "benchmark_cases"]


class TemperatureExplorer(Explorer):
    """Exact Boltzmann distribution of a small model as the temperature varies.

    Shows :math:`p_T(x) = \\exp(-E(x)/T) / Z(T)` over every state, with the
    energies, so the reader sees low-energy states gain probability as
    :math:`T \\to 0` and the distribution flatten as :math:`T \\to \\infty`.

    Parameters
    ----------
    model : FullyVisibleBM
        A model small enough to enumerate.
    T_min, T_max : float
        Range of the temperature slider.
    """

    def __init__(self, model, T_min: float = 0.1, T_max: float = 5.0, T: float = 1.0):
        import ipywidgets as widgets

        self.model = model
        self.states = all_states(model.n_units)
        self.energies = model.energy(self.states)
        fig = new_figure(6.5, 3.0)
        self.ax = fig.add_subplot(1, 1, 1)
        positions = np.arange(len(self.states))
        self.bars = self.ax.bar(positions, np.zeros(len(self.states)), color="#4c72b0")
        self.ax.set_xticks(positions, state_labels(model.n_units), rotation=90, fontsize=9)
        self.ax.set_xlabel("state x (unit 1 is the left bit)")
        self.ax.set_ylabel("exact probability p(x)")
        self.ax.set_ylim(0, 1)
        self.title = self.ax.set_title("")
        self.dynamic = [*self.bars, self.title]
        slider = widgets.FloatSlider(
            value=T, min=T_min, max=T_max, step=0.05, description="T",
            continuous_update=True, readout_format=".2f",
        )
        super().__init__(fig, [slider])

    def _draw(self, T: float) -> str:
        tempered = self.model.copy()
        tempered.T = T
        probs = exact.probabilities(tempered)
        for bar, p in zip(self.bars, probs):
            bar.set_height(p)
        top = int(np.argmax(probs))
        label = state_labels(self.model.n_units)[top]
        self.title.set_text(f"T = {T:.2f}: most probable state {label}, p = {probs[top]:.3f}")
        return (
            f"Bar chart of the exact probability of each of the {len(probs)} states at "
            f"temperature {T:.2f}; the most probable state is {label} with probability "
            f"{probs[top]:.3f}."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py, built as book/notation.ipynb builds it."""
    from ..models import FullyVisibleBM

    W = np.array([[0.0, 2.0, -1.0], [2.0, 0.0, -0.5], [-1.0, -0.5, 0.0]])
    b = np.array([-0.5, -0.5, 0.3])
    explorer = TemperatureExplorer(FullyVisibleBM(W, b), T_min=0.1, T_max=5.0, T=0.5)
    slider = explorer.controls[0]
    values = np.arange(slider.min, slider.max + 1e-9, slider.step)
    return [("notation.temperature", lambda T: explorer.update(T=float(T)), values)]
