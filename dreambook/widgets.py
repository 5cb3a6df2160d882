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
from .plotting import canvas_to_png, new_figure, png_to_html, state_labels

__all__ = ["Explorer", "TemperatureExplorer", "time_callback"]


class Explorer:
    """Base class: a figure, some controls and an ``update`` callback.

    Subclasses build ``self.controls`` (a list of ipywidgets) and implement
    ``_draw(**values)`` returning the alt text of the redrawn figure. Artists
    listed in ``self.dynamic`` (set before calling ``__init__``) are the only
    ones that change: everything else is drawn once and kept as a background,
    so an update redraws just those artists (blitting).
    """

    dynamic: list = []

    kernel_note = (
        "On the static website this explorer shows its last stored picture; "
        "moving the controls recomputes only with a running kernel "
        "(use the launch buttons at the top of the page)."
    )

    def __init__(self, fig, controls):
        import ipywidgets as widgets

        self.fig = fig
        self._background = None
        self.controls = list(controls)
        self.image = widgets.HTML()
        for control in self.controls:
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(self.controls), self.image])
        self.update(**self.values())
        # The first draw fixed the layout; keep it, so redraws skip the layout pass.
        self.fig.set_layout_engine("none")

    def values(self) -> dict:
        """Current value of every control, keyed by the control's ``description``."""
        return {c.description: c.value for c in self.controls}

    def _on_change(self, _change) -> None:
        self.update(**self.values())

    def update(self, **values) -> None:
        """Recompute, redraw and publish the figure for these control values."""
        alt = self._draw(**values)
        self.image.value = png_to_html(self._render(), alt)

    def _render(self) -> bytes:
        canvas = self.fig.canvas
        if not self.dynamic:
            canvas.draw()
        elif self._background is None:
            for artist in self.dynamic:
                artist.set_animated(True)
            canvas.draw()  # everything but the dynamic artists
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        return canvas_to_png(canvas)

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

        from . import phases

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
