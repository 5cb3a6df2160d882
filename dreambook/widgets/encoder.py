"""Explorer of Chapter 3: step through the training of a 4-2-4 encoder."""

from __future__ import annotations

import numpy as np

from ..plotting import new_figure
from .base import Explorer

__all__ = ["EncoderExplorer", "benchmark_cases", "CODE_COLORS"]

#: One colour per input pattern, shared with the chapter's static figures.
CODE_COLORS = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]


class EncoderExplorer(Explorer):
    r"""A training-step slider over the recorded snapshots of an encoder network.

    Left: the unit square of hidden codes. Each input pattern *k* is a point at
    :math:`\big(P(h_1 = 1 \mid V_1 = e_k),\, P(h_2 = 1 \mid V_1 = e_k)\big)`,
    computed exactly; the faint lines are the whole journey, the bold tails the
    last ``tail`` recorded steps. Right: the weights at that step, one row and
    column per unit (V1, V2, H), biases on the diagonal, red positive and blue
    negative. Everything is precomputed; moving the slider only redraws.

    Parameters
    ----------
    history : dreambook.training.History
        Recorded with ``keep_weights=True`` from a network with two hidden units.
    tail : int, default 15
        Number of recorded steps drawn as a bold tail behind each point.
    step : int, optional
        Initial slider position (an index into the history); default the last.
    label : str, default "cycle"
        What one step of the history is called.
    """

    def __init__(self, history, tail: int = 15, step: int | None = None, label: str = "cycle"):
        import ipywidgets as widgets

        self.steps = np.asarray(history.n_updates)
        self.codes = np.asarray(history.hidden_on)  # (n_records, v, h)
        if self.codes.ndim != 3 or self.codes.shape[2] != 2:
            raise ValueError("history must record networks with exactly two hidden units")
        if "weights" not in history.columns:
            raise ValueError("history must be recorded with keep_weights=True")
        self.solved = np.asarray(history.solved)
        self.G = np.asarray(history.G)
        self.label = label
        self.tail = int(tail)
        n = history.weights[0].shape[0]
        self.matrices = np.array([W + np.diag(b) for W, b in zip(history.weights, history.biases)])
        v = self.codes.shape[1]
        limit = float(np.max(np.abs(self.matrices))) or 1.0

        fig = new_figure(6.6, 3.1)
        self.ax_codes, self.ax_w = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.05]})
        ax = self.ax_codes
        for k in range(v):
            ax.plot(self.codes[:, k, 0], self.codes[:, k, 1], color=CODE_COLORS[k], lw=0.6, alpha=0.25)
        for corner in [(0, 0), (0, 1), (1, 0), (1, 1)]:
            ax.text(corner[0], corner[1], f"{corner[0]}{corner[1]}", ha="center", va="center",
                    fontsize=8, color="0.5", bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"})
        ax.set_xlim(-0.08, 1.08)
        ax.set_ylim(-0.08, 1.08)
        ax.set_aspect("equal")
        ax.set_xlabel("P(h1 = 1 | input)")
        ax.set_ylabel("P(h2 = 1 | input)")
        self.tails = [ax.plot([], [], color=CODE_COLORS[k], lw=2.0)[0] for k in range(v)]
        self.points = [ax.plot([], [], "o", color=CODE_COLORS[k], ms=9, mec="black",
                               label=f"input {k + 1}")[0] for k in range(v)]
        ax.legend(loc="center", fontsize=7, frameon=False, ncol=2, handletextpad=0.2)
        self.title = ax.set_title("", fontsize=9)

        self.weight_image = self.ax_w.imshow(self.matrices[-1], cmap="RdBu_r", vmin=-limit, vmax=limit,
                                             interpolation="nearest")
        h = n - 2 * v
        centres = [(v - 1) / 2, v + (v - 1) / 2, 2 * v + (h - 1) / 2]
        self.ax_w.set_xticks(centres, ["V1", "V2", "H"], fontsize=8)
        self.ax_w.set_yticks(centres, ["V1", "V2", "H"], fontsize=8)
        for edge in (v - 0.5, 2 * v - 0.5):
            self.ax_w.axhline(edge, color="0.3", lw=0.6)
            self.ax_w.axvline(edge, color="0.3", lw=0.6)
        fig.colorbar(self.weight_image, ax=self.ax_w, shrink=0.8, label="weight (bias on diagonal)")
        self.ax_w.set_title("weights at this step", fontsize=9)

        last = len(self.steps) - 1
        slider = widgets.IntSlider(value=last if step is None else int(step), min=0, max=last, step=1,
                                   description="snapshot", continuous_update=True)
        self.dynamic = [*self.tails, *self.points, self.title, self.weight_image]
        super().__init__(fig, [slider])

    def _draw(self, snapshot: int) -> str:
        i = int(np.clip(snapshot, 0, len(self.steps) - 1))
        start = max(0, i - self.tail)
        for k, (tail, point) in enumerate(zip(self.tails, self.points)):
            tail.set_data(self.codes[start : i + 1, k, 0], self.codes[start : i + 1, k, 1])
            point.set_data([self.codes[i, k, 0]], [self.codes[i, k, 1]])
        verdict = "solved" if self.solved[i] else "not solved"
        self.title.set_text(f"{self.label} {self.steps[i]}: {verdict}, G = {self.G[i]:.3f} nats")
        self.weight_image.set_data(self.matrices[i])
        corners = ", ".join(
            f"input {k + 1} at ({self.codes[i, k, 0]:.2f}, {self.codes[i, k, 1]:.2f})"
            for k in range(self.codes.shape[1])
        )
        return (
            f"Left: the hidden codes of the four inputs on the unit square at {self.label} "
            f"{self.steps[i]} ({corners}); the network is {verdict}. Right: the weight matrix "
            f"at that {self.label}, largest magnitude {np.max(np.abs(self.matrices[i])):.1f}."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py, built as the chapter builds it."""
    from ..encoder import encoder_machine, train_paper

    history = train_paper(encoder_machine(), n_updates=120, rng=19, record_every=1, keep_weights=True)
    explorer = EncoderExplorer(history)
    values = range(0, len(history.n_updates), 2)
    return [("encoder.snapshot", lambda i: explorer.update(snapshot=int(i)), values)]
