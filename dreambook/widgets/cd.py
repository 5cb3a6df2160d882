"""Explorer of Chapter 4: CD-k against the exact gradient, as k and the learning rate vary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting import new_figure
from .base import Explorer

__all__ = ["CDExplorer", "GRID_FILE", "load_grid", "benchmark_cases"]

#: The curves precomputed by ``scripts/ch04_cd_microscope.py`` (seed 0).
GRID_FILE = Path(__file__).resolve().parent / "data" / "ch04_cd_grid.npz"

#: Best possible total log-likelihood of the 14 bars-and-stripes images: -14 ln 14.
BEST_TOTAL = -14 * np.log(14)
N_IMAGES = 14


def load_grid(path=None) -> dict:
    """The explorer's precomputed curves as a dict of arrays (see ``scripts/ch04_cd_microscope.py``).

    Keys: ``updates`` (n_records,), ``lrs`` (n_lr,), ``ks`` (n_k,), and
    ``log_likelihood``, ``cosine``, ``cosine_sampled`` of shape
    (n_lr, n_k + 1, n_records); index 0 on the second axis is the exact
    gradient, then CD-k for each k. Log-likelihoods are means in nats per image.
    """
    path = GRID_FILE if path is None else Path(path)
    with np.load(path) as f:
        return {key: f[key] for key in f.files}


class CDExplorer(Explorer):
    r"""Training curves of CD-k beside the exact gradient on 3x3 bars-and-stripes.

    An RBM with 9 visible and 9 hidden units is trained on the 14 images with
    full-batch updates for 30 000 steps, either by exact gradient ascent or by
    CD-k. Left: the exact total log-likelihood (nats, over the 14 images)
    along training, with the best possible value :math:`-14\ln 14`. Right:
    the cosine between the *expected* CD-k update
    (:func:`dreambook.learning.expected_cd_gradient`) and the exact gradient
    at the current model, and, as dots, the cosine of one sampled CD-k
    estimate (missing where the estimate was exactly zero: no chain left its
    data vector).

    Training 30 000 steps takes seconds, so the curves are precomputed for a
    grid of k and learning rates (``scripts/ch04_cd_microscope.py``); the
    controls choose among them.

    Parameters
    ----------
    grid : dict, optional
        As returned by :func:`load_grid` (the default).
    k : int
        Initial number of Gibbs steps (one of ``grid["ks"]``).
    lr : float
        Initial learning rate (one of ``grid["lrs"]``).
    """

    def __init__(self, grid=None, k: int = 1, lr: float = 0.1):
        import ipywidgets as widgets

        self.grid = load_grid() if grid is None else grid
        self.updates = np.asarray(self.grid["updates"])
        self.lrs = [float(x) for x in self.grid["lrs"]]
        self.ks = [int(x) for x in self.grid["ks"]]
        total = N_IMAGES * np.asarray(self.grid["log_likelihood"])
        self.total = total
        self.cosine = np.asarray(self.grid["cosine"])
        self.cosine_sampled = np.asarray(self.grid["cosine_sampled"])

        fig = new_figure(8.6, 3.3)
        self.ax_ll, self.ax_cos = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        x = self.updates / 1000
        self.ax_ll.axhline(BEST_TOTAL, color="gray", lw=1, ls="--")
        self.ax_ll.text(x[-1], BEST_TOTAL - 0.6, "best possible, −14 ln 14", ha="right",
                        va="top", fontsize=8, color="gray")
        (self.exact_line,) = self.ax_ll.plot(x, np.full_like(x, np.nan), color="black", lw=1.6,
                                             label="exact gradient")
        (self.cd_line,) = self.ax_ll.plot(x, np.full_like(x, np.nan), color="#c44e52", lw=1.6,
                                          label="CD-k (k and lr below)")
        self.ax_ll.set_xlim(0, x[-1])
        self.ax_ll.set_ylim(-70, -34)
        self.ax_ll.set_xlabel("parameter updates (thousands)")
        self.ax_ll.set_ylabel("exact log-likelihood (nats, 14 images)")
        self.ax_ll.legend(loc="lower right", frameon=False, fontsize=9)

        self.ax_cos.axhline(0, color="gray", lw=0.8)
        (self.sampled_dots,) = self.ax_cos.plot(x, np.full_like(x, np.nan), ".", ms=3,
                                                color="#dd8452", alpha=0.7, label="one sampled estimate")
        (self.cos_line,) = self.ax_cos.plot(x, np.full_like(x, np.nan), color="#c44e52", lw=1.6,
                                            label="expected CD-k update")
        self.ax_cos.set_xlim(0, x[-1])
        self.ax_cos.set_ylim(-1.05, 1.05)
        self.ax_cos.set_xlabel("parameter updates (thousands)")
        self.ax_cos.set_ylabel("cosine with the exact gradient")
        self.ax_cos.legend(loc="lower left", frameon=False, fontsize=8)
        self.title = fig.suptitle("", fontsize=10)
        self.dynamic = [self.exact_line, self.cd_line, self.sampled_dots, self.cos_line, self.title]

        k_control = widgets.SelectionSlider(options=self.ks, value=int(k), description="k")
        lr_control = widgets.SelectionSlider(options=self.lrs, value=float(lr), description="lr")
        super().__init__(fig, [k_control, lr_control])

    def curves(self, k: int, lr: float) -> dict:
        """The stored curves for one setting: total log-likelihoods (nats) and cosines."""
        i = self.lrs.index(float(lr))
        j = 1 + self.ks.index(int(k))
        return {
            "exact": self.total[i, 0],
            "cd": self.total[i, j],
            "cosine": self.cosine[i, j],
            "cosine_sampled": self.cosine_sampled[i, j],
        }

    def _draw(self, k: int, lr: float) -> str:
        c = self.curves(k, lr)
        self.exact_line.set_ydata(c["exact"])
        self.cd_line.set_ydata(c["cd"])
        self.cos_line.set_ydata(c["cosine"])
        self.sampled_dots.set_ydata(c["cosine_sampled"])
        peak = int(np.argmax(c["cd"]))
        final, best, exact_final = c["cd"][-1], c["cd"][peak], c["exact"][-1]
        self.title.set_text(
            f"CD-{k}, lr {lr:g}: final {final:.1f} nats (peak {best:.1f} at {self.updates[peak]:,} "
            f"updates); exact gradient {exact_final:.1f}"
        )
        late = c["cosine"][len(c["cosine"]) // 2:]
        return (
            f"Two panels for CD-{k} at learning rate {lr:g}, 30,000 full-batch updates on 3x3 "
            f"bars-and-stripes. Left: exact total log-likelihood; CD-{k} peaks at {best:.1f} nats "
            f"after {self.updates[peak]:,} updates and ends at {final:.1f}, while the exact gradient "
            f"ends at {exact_final:.1f} (best possible {BEST_TOTAL:.2f}). Right: the cosine between "
            f"the expected CD-{k} update and the true gradient starts at 1 and averages "
            f"{np.mean(late):.2f} over the second half of training."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py, built as book/04-contrastive-divergence builds it."""
    explorer = CDExplorer(k=1, lr=0.1)
    settings = [(k, lr) for k in explorer.ks for lr in explorer.lrs]
    return [("cd.k_and_lr", lambda s: explorer.update(k=s[0], lr=s[1]), settings)]
