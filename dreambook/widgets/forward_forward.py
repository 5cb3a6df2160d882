"""Explorer of Chapter 9: Forward-Forward test error against the day/night block length."""

from __future__ import annotations

import numpy as np

from .._validation import check_finite_array
from ..plotting import new_figure
from .base import Explorer

__all__ = ["BlockLengthExplorer", "benchmark_cases"]


def _condition_label(lr, momentum) -> str:
    return f"lr {lr:g}, momentum {momentum:g}"


def _block_label(B) -> str:
    return "0 (together)" if B == 0 else str(int(B))


class BlockLengthExplorer(Explorer):
    r"""Stored Forward-Forward runs: test error against the block length *B*, per optimiser setting.

    Nothing is trained here: the runs come from ``scripts/ch09_forward_forward.py``
    (:func:`dreambook.forward_forward.train_ff` with ``block_length=B``: *B* updates on
    positive inputs only, then *B* on negative inputs only; *B* = 0 puts both in every
    update), and the controls only choose which of them to show. Left: the median
    test error over seeds against *B*, one curve per (learning rate, momentum)
    setting, with every seed of the chosen setting as dots and the chosen *B* ringed.
    Right: at the chosen *B*, every seed's test error for each setting, with the
    chance level of the ten classes.

    Parameters
    ----------
    block_lengths : array_like of int, shape (n_B,)
        The block lengths run, increasing; 0 means positive and negative together.
    conditions : array_like, shape (n_conditions, 2)
        The (learning rate, momentum) of each setting.
    test_error : array_like, shape (n_conditions, n_B, n_seeds)
        Test error rates (fractions in [0, 1]) of the stored runs.
    n_classes : int, default 10
        For the chance level, ``1 - 1/n_classes``.
    condition, B : optional
        The state shown first (default: the first setting and ``block_lengths[0]``).
    """

    static_max_states = 64

    def __init__(self, block_lengths, conditions, test_error, n_classes: int = 10, condition=None, B=None):
        import ipywidgets as widgets

        blocks = np.asarray(block_lengths)
        if blocks.ndim != 1 or blocks.size == 0 or not np.all(blocks == np.round(blocks)) or np.any(blocks < 0) \
                or np.any(np.diff(blocks) <= 0):
            raise ValueError("block_lengths must be a non-empty increasing vector of integers >= 0")
        self.blocks = [int(b) for b in blocks]
        cond = check_finite_array(conditions, "conditions", ndim=2)
        if cond.shape[1] != 2:
            raise ValueError(f"conditions must have shape (n_conditions, 2), got {cond.shape}")
        self.conditions = [(float(lr), float(m)) for lr, m in cond]
        err = check_finite_array(test_error, "test_error", ndim=3)
        if err.shape[:2] != (len(self.conditions), len(self.blocks)):
            raise ValueError(f"test_error must have shape ({len(self.conditions)}, {len(self.blocks)}, n_seeds), "
                             f"got {err.shape}")
        if np.any(err < 0) or np.any(err > 1):
            raise ValueError("test_error must hold error rates between 0 and 1")
        if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
        self.error = 100 * err  # percent
        self.median = np.median(self.error, axis=2)
        self.chance = 100 * (1 - 1 / n_classes)
        self.n_seeds = err.shape[2]
        condition = 0 if condition is None else condition
        B = self.blocks[0] if B is None else B
        if condition not in range(len(self.conditions)):
            raise ValueError(f"condition must be an index below {len(self.conditions)}, got {condition!r}")
        if B not in self.blocks:
            raise ValueError(f"B must be one of {self.blocks}, got {B!r}")
        self.colors = ["#4c72b0", "#dd8452", "#55a868", "#8172b3", "#c44e52"][: len(self.conditions)]
        if len(self.colors) < len(self.conditions):
            raise ValueError("at most 5 conditions can be shown")

        fig = new_figure(6.6, 2.9)  # small enough for chapter 9's 1.5 MB of stored states
        self.ax_b, self.ax_s = fig.subplots(1, 2, width_ratios=[1.5, 1])
        x = np.arange(len(self.blocks))
        for c, (lr, m) in enumerate(self.conditions):
            self.ax_b.plot(x, self.median[c], "o-", ms=4, color=self.colors[c], label=_condition_label(lr, m))
        for ax in (self.ax_b, self.ax_s):
            ax.axhline(self.chance, color="gray", ls=":", lw=1)
            ax.set_ylim(0, 100)
        self.ax_b.text(x[0], self.chance + 1.5, f"chance ({n_classes} classes)", fontsize=7, color="gray")
        self.ax_b.set_xticks(x, [str(b) for b in self.blocks], fontsize=8)
        self.ax_b.set_xlabel("block length B (0: positive and negative together)")
        self.ax_b.set_ylabel("test error (%)")
        self.ax_b.legend(frameon=False, fontsize=7.5, loc="center left")
        self.seed_dots = self.ax_b.scatter(np.zeros(self.n_seeds), self.error[0, 0], s=14, color="black",
                                           zorder=3)
        (self.mark,) = self.ax_b.plot([0], [self.median[0, 0]], "o", ms=12, mfc="none", mec="black", mew=1.5)

        xs = np.arange(len(self.conditions))
        jitter = np.linspace(-0.12, 0.12, self.n_seeds) if self.n_seeds > 1 else np.zeros(1)
        self._strip_x = (xs[:, None] + jitter[None, :]).ravel()
        self.strip = self.ax_s.scatter(self._strip_x, self.error[:, 0, :].ravel(), s=16,
                                       color=np.repeat(self.colors, self.n_seeds), zorder=3)
        (self.strip_median,) = self.ax_s.plot(xs, self.median[:, 0], "_", ms=22, mew=2, color="black")
        self.ax_s.set_xticks(xs, [f"lr {lr:g}\nmom. {m:g}" for lr, m in self.conditions], fontsize=7.5)
        self.ax_s.set_xlim(-0.5, len(self.conditions) - 0.5)
        self.ax_s.set_ylabel("test error (%), each seed")
        # Which B is shown, inside the axes (short: glyphs are most of a redraw's cost).
        self.title = self.ax_s.text(0.5, 0.6, " ", transform=self.ax_s.transAxes, ha="center", va="center",
                                    fontsize=9)

        self.condition = widgets.Dropdown(
            options=[(_condition_label(lr, m), c) for c, (lr, m) in enumerate(self.conditions)],
            value=condition, description="setting")
        self.B = widgets.SelectionSlider(options=[(_block_label(b), b) for b in self.blocks], value=B,
                                         description="B")
        self.dynamic = [self.seed_dots, self.mark, self.strip, self.strip_median, self.title]
        super().__init__(fig, [self.condition, self.B])

    def _draw(self, setting=None, B=None, **_values) -> str:
        c = 0 if setting is None else int(setting)
        k = self.blocks.index(self.blocks[0] if B is None else int(B))
        seeds = self.error[c, k]
        self.seed_dots.set_offsets(np.column_stack([np.full(self.n_seeds, k), seeds]))
        self.mark.set_data([k], [self.median[c, k]])
        self.mark.set_markeredgecolor(self.colors[c])
        self.strip.set_offsets(np.column_stack([self._strip_x, self.error[:, k, :].ravel()]))
        self.strip_median.set_ydata(self.median[:, k])
        self.title.set_text(f"B = {_block_label(self.blocks[k])}")
        lr, m = self.conditions[c]
        at_B = "; ".join(f"{_condition_label(*cond)}: {self.median[j, k]:.1f} %"
                         for j, cond in enumerate(self.conditions))
        return (f"Left: median test error of Forward-Forward over {self.n_seeds} seeds against the block "
                f"length B, one curve per learning-rate and momentum setting, with the seeds of "
                f"{_condition_label(lr, m)} at B = {self.blocks[k]} as dots: "
                + ", ".join(f"{e:.1f} %" for e in seeds)
                + f" (median {self.median[c, k]:.1f} %). Right: every seed's test error at "
                f"B = {self.blocks[k]} for each setting, medians {at_B}; chance is {self.chance:.0f} %.")


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: the B slider and the setting, synthetic runs."""
    rng = np.random.default_rng(0)
    blocks = [0, 1, 2, 4, 8, 16, 64]
    conditions = [(0.1, 0.9), (0.01, 0.99), (0.01, 0.9)]
    fail_at = np.array([2, 8, 16])[:, None, None]
    err = np.where(np.array(blocks)[None, :, None] >= fail_at, 0.889, 0.05 + 0.02 * rng.random((3, 7, 3)))
    explorer = BlockLengthExplorer(blocks, conditions, err)
    return [("ff.B", lambda B, e=explorer: e.update(setting=1, B=B), blocks * 2),
            ("ff.setting", lambda c, e=explorer: e.update(setting=c, B=8), [0, 1, 2] * 4)]
