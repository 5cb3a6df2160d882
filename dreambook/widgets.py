"""Explorers: small ipywidgets apps the chapters display.

Each explorer keeps its figure and controls, recomputes in ``update`` (the
callback the controls call), and shows the figure as an ``HTML`` widget holding
an inline PNG with alt text. Because the picture lives in the widget's state,
the static website shows the last picture even without a running kernel.

ipywidgets and matplotlib are imported only when an explorer is built, so
importing :mod:`dreambook` stays free of side effects.

Explorers keep their work in ``update`` small; :func:`time_callback` measures it
and ``benchmarks/widgets.py`` reports the figures for every explorer.
"""

from __future__ import annotations

import time

import numpy as np

from . import exact
from ._validation import check_positive_int
from .plotting import figure_to_html, new_figure, state_labels

__all__ = ["Explorer", "TemperatureExplorer", "time_callback"]


class Explorer:
    """Base class: a figure, some controls and an ``update`` callback.

    Subclasses build ``self.controls`` (a list of ipywidgets) and implement
    ``_draw(**values)`` returning the alt text of the redrawn figure.
    """

    kernel_note = (
        "On the static website this explorer shows its last stored picture; "
        "moving the controls recomputes only with a running kernel "
        "(use the launch buttons at the top of the page)."
    )

    def __init__(self, fig, controls):
        import ipywidgets as widgets

        self.fig = fig
        self.controls = list(controls)
        self.image = widgets.HTML()
        for control in self.controls:
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(self.controls), self.image])
        self.update(**self.values())

    def values(self) -> dict:
        """Current value of every control, keyed by the control's ``description``."""
        return {c.description: c.value for c in self.controls}

    def _on_change(self, _change) -> None:
        self.update(**self.values())

    def update(self, **values) -> None:
        """Recompute, redraw and publish the figure for these control values."""
        alt = self._draw(**values)
        self.image.value = figure_to_html(self.fig, alt)

    def _draw(self, **values) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}({self.values()})"
        return bundle


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
        self.states = exact.all_states(model.n_units)
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


def time_callback(update, values, repeat: int = 3) -> dict:
    """Time ``update(value)`` for each value, ``repeat`` times; return ms statistics.

    Returns a dict with the ``median_ms`` and ``p95_ms`` over all calls and
    ``n_calls``. Used by the widget benchmark; never by a timed test.
    """
    repeat = check_positive_int(repeat, "repeat")
    times = []
    for _ in range(repeat):
        for value in values:
            start = time.perf_counter()
            update(value)
            times.append(1e3 * (time.perf_counter() - start))
    times = np.asarray(times)
    return {
        "median_ms": float(np.median(times)),
        "p95_ms": float(np.percentile(times, 95)),
        "n_calls": int(times.size),
    }
