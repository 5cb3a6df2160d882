"""Explorer of Chapter 7: a Helmholtz machine's dreams and recognition during wake-sleep."""

from __future__ import annotations

import numpy as np

from ..plotting import montage
from .base import Explorer

__all__ = ["WakeSleepExplorer", "benchmark_cases"]


class WakeSleepExplorer(Explorer):
    r"""Slide through training snapshots of a Helmholtz machine.

    Four panels, all precomputed per snapshot: 16 dreams of the generative net
    (fixed random numbers, so changes come from the weights); the generative
    weights from each middle unit to the 4x4 image (what each cause "draws");
    the recognition net's :math:`q(\text{middle unit on} \mid v)` for six example
    images; and the exact KL curves with the current snapshot marked.

    Parameters
    ----------
    snapshots : sequence of HelmholtzMachine
        Machines of sizes ``(n_top, n_mid, 16)`` at increasing training steps.
    steps : sequence of int
        The training step of each snapshot.
    states, probs : array_like
        The data distribution (for the exact KL readout).
    examples : array_like, shape (6, 16)
        Images whose recognition is shown.
    seed : int, default 0
        Seed of the dreams' random numbers.
    """

    def __init__(self, snapshots, steps, states, probs, examples, seed: int = 0):
        import ipywidgets as widgets

        from .. import wake_sleep as ws
        from .._special import sigmoid
        from ..plotting import new_figure

        if len(snapshots) != len(steps) or len(snapshots) == 0:
            raise ValueError("snapshots and steps must be non-empty and of equal length")
        self.steps = np.asarray(steps, dtype=int)
        examples = np.asarray(examples, dtype=float)
        n_dreams = 16
        sizes = snapshots[0].sizes
        self.dreams, self.fields, self.recognition, self.kl, self.rec = [], [], [], [], []
        self.n_strong = []
        for hm in snapshots:
            # the same seed for every snapshot: the dreams change only as the model does
            self.dreams.append(montage(hm.dream(n_dreams, rng=seed)[-1], 4))
            self.fields.append(montage(hm.generative_weights[-1], sizes[-2]))
            self.n_strong.append(int(np.sum(hm.generative_weights[-1].max(axis=1) > 2.0)))
            q = sigmoid(hm.recognition_logits(len(sizes) - 2, examples))
            self.recognition.append(q)
            d = ws.decomposition(hm, states, probs)
            self.kl.append(d["kl_model"])
            self.rec.append(d["recognition_kl"])

        n_mid = sizes[-2]
        fig = new_figure(8.6, 4.0, dpi=72)
        grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.45], height_ratios=[1.15, 1.0])
        ax_d = fig.add_subplot(grid[0, 0])
        ax_k = fig.add_subplot(grid[1, 0])
        ax_r = fig.add_subplot(grid[:, 1])
        gray = _cmap("gray_r")
        self.im_d = ax_d.imshow(self.dreams[0], cmap=gray, vmin=-0.15, vmax=1,
                                interpolation="nearest")
        ax_d.set_title("16 dreams (generated images)", fontsize=10)
        ax_d.set_axis_off()
        # Right panel: one column per middle unit. Top: the pixels it draws
        # (generative weights); below, for each example image (left), the
        # recognition probability q(unit on | image).
        limit = max(1.0, float(np.nanmax(np.abs(self.fields[-1]))))
        self.im_f = ax_r.imshow(self.fields[0], cmap=_cmap("RdBu_r"), vmin=-limit, vmax=limit,
                                interpolation="nearest",
                                extent=[-0.4, n_mid - 0.6, -0.85, -1.85])
        ax_r.imshow(montage(examples, 1), cmap=gray, vmin=-0.15, vmax=1, interpolation="nearest",
                    extent=[-1.4, -0.6, len(examples) - 0.6, -0.4])
        self.im_r = ax_r.imshow(self.recognition[0], cmap="viridis", vmin=0, vmax=1,
                                interpolation="nearest",
                                extent=[-0.5, n_mid - 0.5, len(examples) - 0.5, -0.5])
        ax_r.set_xlim(-1.5, n_mid - 0.5)
        ax_r.set_ylim(len(examples) - 0.5, -1.95)
        ax_r.set_xticks(range(n_mid), [str(j) for j in range(n_mid)], fontsize=9)
        ax_r.set_yticks([])
        ax_r.set_xlabel("middle unit", fontsize=9)
        for side in ("top", "right", "left"):
            ax_r.spines[side].set_visible(False)
        ax_r.set_title("top: what each middle unit draws (red on, blue off)\n"
                       "rows: recognition q(unit on | image), dark 0 to yellow 1", fontsize=9)
        ax_k.plot(self.steps, self.kl, color="#4c72b0", lw=1.5, label="KL(data ‖ model)")
        ax_k.plot(self.steps, self.rec, color="#dd8452", lw=1.5,
                  label="E KL(q ‖ posterior)")
        ax_k.set_yscale("log")
        ax_k.set_xlabel("wake-sleep step (thousands)", fontsize=9)
        ax_k.xaxis.set_major_locator(_ticker().MaxNLocator(5, integer=True))
        ax_k.xaxis.set_major_formatter(_ticker().FuncFormatter(lambda x, _: f"{x / 1000:g}"))
        ax_k.set_ylabel("bits", fontsize=9)
        ax_k.tick_params(labelsize=8)
        ax_k.legend(frameon=False, fontsize=8, loc="upper right")
        (self.marker,) = ax_k.plot([self.steps[0]], [self.kl[0]], "o", color="black", ms=6)
        self.slider = widgets.IntSlider(value=len(snapshots) - 1, min=0,
                                        max=len(snapshots) - 1, description="snapshot")
        # The KL readout is a text widget beside the slider: no glyphs to render per update.
        self.readout = widgets.HTML()
        self.dynamic = [self.im_d, self.im_f, self.im_r, self.marker]
        super().__init__(fig, [self.slider])
        self.widget.children = (widgets.HBox([self.slider, self.readout]), self.image)

    def _draw(self, snapshot: int = 0, **_values) -> str:
        k = int(snapshot)
        self.im_d.set_data(self.dreams[k])
        self.im_f.set_data(self.fields[k])
        self.im_r.set_data(self.recognition[k])
        self.marker.set_data([self.steps[k]], [self.kl[k]])
        self.readout.value = (f"&nbsp; step {self.steps[k]}: KL(data ‖ model) "
                              f"<b>{self.kl[k]:.3f}</b> bits, recognition error "
                              f"{self.rec[k]:.3f} bits")
        n_strong = self.n_strong[k]
        return (f"Wake-sleep snapshot at step {self.steps[k]}: a grid of 16 dreamed 4x4 images; "
                f"the generative weights of each middle unit to the pixels ({n_strong} of them "
                f"switch some pixel on strongly); the recognition probabilities of each middle "
                f"unit for six training images; and the exact KL curve with this snapshot "
                f"marked at {self.kl[k]:.3f} bits (recognition error {self.rec[k]:.3f} bits).")


def _ticker():
    import matplotlib.ticker

    return matplotlib.ticker


def _cmap(name):
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad="white")


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: every snapshot of a short run."""
    from .. import wake_sleep as ws
    from ..data import helmholtz_bars, helmholtz_bars_distribution
    from ..models import HelmholtzMachine

    states, probs = helmholtz_bars_distribution()
    rng = np.random.default_rng(0)
    model = HelmholtzMachine.random((1, 8, 16), rng, visible_bias=-3.0)
    snapshots, steps = [model], [0]
    for k in range(1, 11):
        model = ws.train(model, n_updates=200, rng=rng).model
        snapshots.append(model)
        steps.append(200 * k)
    explorer = WakeSleepExplorer(snapshots, steps, states, probs, helmholtz_bars(6, 1))
    return [("wake_sleep.snapshot", lambda k: explorer.update(snapshot=k), range(len(steps)))]
