"""Explorer of Chapter 1: wake steps, dream steps, or both."""

from __future__ import annotations

import numpy as np

from .. import exact
from .._validation import check_binary
from ..plotting import new_figure, state_labels
from .base import Explorer
from ..states import all_states, empirical_distribution

__all__ = ["PhasesExplorer", "benchmark_cases"]

#: The explorer's data in Chapter 1: units 1-2 like to be on together, and so do units 3-4.
CHAPTER_DATA = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])

_E_LIMITS = (-6.0, 3.0)
_TERM_LIMITS = (-10.0, 10.0)


def _bar_vertices(centers, width, heights) -> np.ndarray:
    """Corners of bars from 0 to ``heights``, shape (n_bars, 4, 2), for a PolyCollection."""
    left, right = centers - width / 2, centers + width / 2
    zero = np.zeros_like(heights)
    return np.stack([np.column_stack(pair) for pair in
                     [(left, zero), (left, heights), (right, heights), (right, zero)]], axis=1)


class _Bars:
    """A bar chart drawn as one PolyCollection: one artist to redraw instead of one per bar."""

    def __init__(self, ax, centers, width, colors):
        from matplotlib.collections import PolyCollection

        self.centers, self.width = np.asarray(centers, dtype=float), width
        self.heights = np.zeros(len(self.centers))
        self.artist = PolyCollection(_bar_vertices(self.centers, width, self.heights),
                                     facecolors=colors, edgecolors="none")
        ax.add_collection(self.artist)

    def set_heights(self, heights) -> None:
        self.heights = np.asarray(heights, dtype=float)
        self.artist.set_verts(_bar_vertices(self.centers, self.width, self.heights))


class PhasesExplorer(Explorer):
    r"""Take wake, dream or combined steps on a small model and watch what each does.

    Top left: the energy :math:`E(x)` of every state, observed states in
    orange. Bottom left: the model's exact probability of each state beside
    the data frequencies. Right: the mean log-likelihood split into its two
    terms,

    .. math::

        \frac1m\sum_k \log p(x^{(k)}) = \underbrace{-\langle E\rangle_{\text{data}}/T}_{\text{wake raises it}}
        \;\underbrace{-\;\log Z}_{\text{dream raises it}} .

    A wake step lowers the energy of the observed states (the first term
    grows, but so does :math:`Z`); a dream step raises the energy of what the
    model finds probable (:math:`Z` shrinks, but the observed states lose
    too); a combined step is one step of exact gradient ascent on the
    log-likelihood. Energies and terms beyond the axes are drawn at the edge;
    the numbers printed are exact.

    Parameters
    ----------
    model : FullyVisibleBM
        Copied; the explorer trains its own copy. At most 6 units (64 bars).
    data : array_like of shape (n_samples, n_units)
    lr : float
        Initial learning rate (a slider).
    steps_per_click : int
        Initial number of steps each button press takes (a slider, 1-20).
    """

    def __init__(self, model, data, lr: float = 0.2, steps_per_click: int = 1):
        import ipywidgets as widgets

        from .. import phases

        self._phases = phases
        if model.n_units > 6:
            raise ValueError(f"model must have at most 6 units for the explorer, got {model.n_units}")
        self.initial = model.copy()
        self.model = model.copy()
        self.data = check_binary(data, "data", model.n_units)
        n = model.n_units
        self.states = all_states(n)
        self.data_freq = empirical_distribution(self.data)
        self.observed = self.data_freq > 0
        self.n_steps = {"wake": 0, "dream": 0, "both": 0}

        fig = new_figure(7.6, 4.8)
        grid = fig.add_gridspec(2, 2, width_ratios=[3.0, 1.2])
        self.ax_e = fig.add_subplot(grid[0, 0])
        self.ax_p = fig.add_subplot(grid[1, 0], sharex=self.ax_e)
        self.ax_t = fig.add_subplot(grid[:, 1])
        positions = np.arange(len(self.states))
        colors = np.where(self.observed, "#dd8452", "#4c72b0")
        self.energy_bars = _Bars(self.ax_e, positions, 0.8, colors)
        self.ax_e.axhline(0, color="black", lw=0.8)
        self.ax_e.set_ylabel("energy E(x)")
        self.ax_e.set_xlim(-0.6, len(positions) - 0.4)
        self.ax_e.set_ylim(*_E_LIMITS)
        self.ax_e.tick_params(labelbottom=False)
        self.prob_bars = _Bars(self.ax_p, positions - 0.2, 0.4, "#4c72b0")
        self.ax_p.bar(positions + 0.2, self.data_freq, 0.4, color="#dd8452", label="data")
        self.ax_p.set_ylim(0, 1)
        self.ax_p.set_ylabel("probability")
        from matplotlib.patches import Patch

        self.ax_p.legend(handles=[Patch(color="#4c72b0", label="model p(x)"),
                                  Patch(color="#dd8452", label="data")],
                         loc="upper left", frameon=False, fontsize=9)
        self.ax_p.set_xticks(positions, state_labels(n), rotation=90, fontsize=8)
        self.ax_p.set_xlabel("state x (orange: observed in the data)")

        labels = [r"$-\langle E\rangle/T$", r"$-\log Z$", r"$\langle\log p\rangle$"]
        self.term_bars = _Bars(self.ax_t, [0, 1, 2], 0.8, ["#dd8452", "#4c72b0", "#55a868"])
        self.ax_t.axhline(0, color="black", lw=0.8)
        self.ax_t.set_xlim(-0.6, 2.6)
        self.ax_t.set_ylim(*_TERM_LIMITS)
        self.ax_t.set_xticks([0, 1, 2], labels, fontsize=9)
        self.ax_t.set_xlabel("data term + partition term\n= mean log-likelihood", fontsize=9)
        self.ax_t.set_ylabel("nats per example")
        self.term_texts = [self.ax_t.text(k, 0, "", ha="center", fontsize=8) for k in range(3)]
        self.title = self.ax_e.set_title("", fontsize=10)

        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-2, max=0, step=0.1,
                                                description="lr", readout_format=".2f")
        self.steps_slider = widgets.IntSlider(value=steps_per_click, min=1, max=20,
                                              description="steps/click")
        self.buttons = {}
        for kind, label in [("wake", "wake step"), ("dream", "dream step"),
                            ("both", "both (gradient)"), ("reset", "reset")]:
            button = widgets.Button(description=label)
            button.on_click(lambda _b, kind=kind: self.step(kind))
            self.buttons[kind] = button
        self._last = "start"
        self.dynamic = [self.energy_bars.artist, self.prob_bars.artist, self.term_bars.artist,
                        *self.term_texts, self.title]
        super().__init__(fig, [self.lr_slider, self.steps_slider])
        self.widget.children = (
            widgets.HBox([self.lr_slider, self.steps_slider]),
            widgets.HBox(list(self.buttons.values())),
            self.image,
        )

    def _on_change(self, _change) -> None:  # the sliders only set the next steps
        pass

    # --- static website: the step counter becomes a slider over checkpoints ---------
    static_note = ("each picture starts from the untrained model and takes the number of steps "
                   "shown, all of one kind, at one learning rate")
    static_checkpoints = (0, 1, 3, 10, 30)

    def static_controls(self):
        from .static import StaticControl

        lr = float(self.lr_slider.value)
        lrs = sorted({0.05, lr, 0.5})
        return [StaticControl("step", ["wake", "dream", "both"],
                              ["wake step", "dream step", "both (gradient)"], "choice", 2),
                StaticControl("lr", lrs, [f"{v:.2f}" for v in lrs], "choice", lrs.index(lr)),
                StaticControl("steps taken", list(self.static_checkpoints), kind="slider")]

    def static_show(self, **values) -> None:
        kind, lr, n = values["step"], values["lr"], int(values["steps taken"])
        prev = self._static_prev
        if prev is not None and prev[:2] == (kind, lr) and prev[2] <= n:
            extra = n - prev[2]  # carry on from the previous checkpoint
        else:
            self.step("reset")
            extra = n
        self.lr_slider.value = lr
        if extra:
            self.step(kind, extra)
        self._static_prev = (kind, lr, n)

    def static_spec(self) -> dict:
        self._static_saved = (self.model.copy(), dict(self.n_steps), self._last,
                              self.lr_slider.value)
        self._static_prev = None
        return super().static_spec()

    def static_restore(self) -> None:
        self.model, self.n_steps, self._last, lr = self._static_saved
        self.lr_slider.value = lr
        self.update()

    def step(self, kind: str, n: int | None = None) -> None:
        """Apply ``n`` (default: the slider's steps/click) ``"wake"``, ``"dream"`` or ``"both"`` steps, or ``"reset"``; redraw."""
        if kind not in ("wake", "dream", "both", "reset"):
            raise ValueError(f"kind must be 'wake', 'dream', 'both' or 'reset', got {kind!r}")
        lr = self.lr_slider.value
        n = self.steps_slider.value if n is None else int(n)
        if kind == "reset":
            self.model = self.initial.copy()
            self.n_steps = dict.fromkeys(self.n_steps, 0)
        else:
            for _ in range(n):
                if kind == "wake":
                    self._phases.positive_step(self.model, self.data, lr)
                elif kind == "dream":
                    self._phases.negative_step(self.model, lr)
                else:
                    self._phases.both_step(self.model, self.data, lr)
            self.n_steps[kind] += n
        self._last = kind
        self.update()

    def terms(self) -> tuple[float, float, float]:
        r"""The current :math:`(-\langle E\rangle_{\text{data}}/T,\ -\log Z,\ \text{log-likelihood})`."""
        data_term = float(-np.mean(self.model.energy(self.data)) / self.model.T)
        log_z = exact.log_partition(self.model)
        return data_term, -log_z, data_term - log_z

    def _draw(self, **_values) -> str:
        energies = self.model.energy(self.states)
        probs = exact.probabilities(self.model)
        data_term, minus_log_z, ll = self.terms()
        self.energy_bars.set_heights(np.clip(energies, *_E_LIMITS))
        self.prob_bars.set_heights(probs)
        terms = np.array([data_term, minus_log_z, ll])
        shown = np.clip(terms, *_TERM_LIMITS)
        self.term_bars.set_heights(shown)
        for text, value, height in zip(self.term_texts, terms, shown):
            text.set_text(f"{value:.2f}")
            text.set_y(height + (0.4 if height >= 0 else -1.4))
        counts = ", ".join(f"{k} {v}" for k, v in self.n_steps.items())
        self.title.set_text(f"steps taken: {counts}   (last: {self._last})")
        p_observed = float(probs[self.observed].sum())
        lowest = state_labels(self.model.n_units)[int(np.argmin(energies))]
        return (
            f"Energy and probability of all {len(probs)} states after {counts} steps "
            f"(last: {self._last}). Lowest-energy state {lowest}; the observed states hold "
            f"probability {p_observed:.2f} in total. Log-likelihood {ll:.3f} nats per example "
            f"= {data_term:.3f} (minus the mean data energy) {minus_log_z:+.3f} (minus log Z)."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: 30 clicks of each button, as in Chapter 1."""
    from ..models import FullyVisibleBM

    cases = []
    for kind, step in (("wake", "positive_step"), ("dream", "negative_step"), ("both", "both_step")):
        explorer = PhasesExplorer(FullyVisibleBM.zeros(4), CHAPTER_DATA, lr=0.2)
        cases.append((f"phases.{step}", lambda _i, e=explorer, k=kind: e.step(k), range(30)))
    explorer = PhasesExplorer(FullyVisibleBM.zeros(4), CHAPTER_DATA, lr=0.2, steps_per_click=20)
    cases.append(("phases.both_x20", lambda _i, e=explorer: e.step("both"), range(30)))
    return cases
