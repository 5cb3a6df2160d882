r"""Explorers of Chapter 5: persistent dreams night after night, and weighing them with AIS.

Two explorers and the helpers that precompute what they show:

* :class:`DreamGalleryExplorer` -- persistent fantasy particles followed
  update by update, for a frozen model, PCD and fast-weights PCD, from
  :func:`dreambook.training.persistent_dreams`.
* :class:`AISExplorer` -- the importance weights of annealed importance
  sampling at a point :math:`\beta` of the annealing path, and their
  effective sample size, from :func:`dreambook.estimate.ais_path_rbm`.

The explorers only draw: the runs they show come from the package.
"""

from __future__ import annotations

import numpy as np

from pathlib import Path

from .. import exact
from ..estimate import ais_log_partition, ais_path_rbm, linear_betas
from ..learning import init_visible_bias
from ..models import RBM
from ..plotting import montage, new_figure
from ..training import DREAMERS
from .base import Explorer

__all__ = ["AISExplorer", "DreamGalleryExplorer", "benchmark_cases"]


# ---------------------------------------------------------------------------
# The gallery of fantasy particles
# ---------------------------------------------------------------------------
class DreamGalleryExplorer(Explorer):
    r"""Fantasy particles followed update by update: a frozen dreamer, PCD, and PCD with fast weights.

    Top: each persistent chain's fantasy :math:`p(v \mid h)` (8x8 digits,
    white = on) after the chosen number of updates. Bottom: how much of the
    model's dream world the particles have explored, the number of distinct
    hidden states they have visited so far, for each dreamer, with the
    chosen update marked.

    Parameters
    ----------
    dreams : dict
        ``{dreamer: dreambook.training.persistent_dreams(...)}`` for the dreamers in
        :data:`DREAMERS`, all started from the same model and chains.
    update : int
        Initial position of the slider.
    dreamer : str
        Initial dreamer.
    """

    def __init__(self, dreams, update: int = 150, dreamer: str = "PCD"):
        import matplotlib
        import ipywidgets as widgets

        self.dreams = {name: dreams[name] for name in DREAMERS}
        first = self.dreams[DREAMERS[0]].fantasies
        n_updates = first.shape[0] - 1
        self.side = int(round(np.sqrt(first.shape[2])))
        self.n_cols = -(-first.shape[1] // 2)  # two rows of particles

        fig = new_figure(8.0, 4.4)
        grid = fig.add_gridspec(2, 1, height_ratios=[1.35, 1])
        self.ax_img = fig.add_subplot(grid[0])
        self.ax_seen = fig.add_subplot(grid[1])
        cmap = matplotlib.colormaps["gray"].with_extremes(bad="#d8d8d8")  # the gaps between particles
        self.image_artist = self.ax_img.imshow(montage(first[0], self.n_cols, self.side), cmap=cmap,
                                               vmin=0, vmax=1, interpolation="nearest")
        self.ax_img.set_axis_off()
        steps = np.arange(n_updates + 1)
        colors = {"no learning": "#8c8c8c", "PCD": "#4c72b0", "fast weights": "#dd8452"}
        labels = {"no learning": "no learning (frozen model)", "PCD": "PCD",
                  "fast weights": "PCD with fast weights"}
        for name in DREAMERS:
            self.ax_seen.plot(steps, self.dreams[name].visited, color=colors[name], lw=1.5, label=labels[name])
        self.marker = self.ax_seen.axvline(0, color="black", lw=1)
        self.ax_seen.set_xlim(0, n_updates)
        self.ax_seen.set_ylim(0, 1.08 * max(d.visited[-1] for d in self.dreams.values()))
        self.ax_seen.set_xlabel("parameter updates (one Gibbs step of every particle each)")
        self.ax_seen.set_ylabel("distinct hidden\nstates visited")
        self.ax_seen.legend(loc="upper left", frameon=False, fontsize=9)
        self.title = self.ax_img.set_title("", fontsize=10)
        self.dynamic = [self.image_artist, self.marker, self.title]

        slider = widgets.IntSlider(value=update, min=0, max=n_updates, step=1, description="update")
        toggle = widgets.ToggleButtons(options=list(DREAMERS), value=dreamer, description="dreamer")
        super().__init__(fig, [slider, toggle])

    def _draw(self, update: int, dreamer: str) -> str:
        run = self.dreams[dreamer]
        fantasies = run.fantasies[update]
        self.image_artist.set_data(montage(fantasies, self.n_cols, self.side))
        self.marker.set_xdata([update, update])
        visited = int(run.visited[update])
        self.title.set_text(f"{dreamer}: the {fantasies.shape[0]} fantasy particles after {update} updates "
                            f"({visited} distinct hidden states visited)")
        others = ", ".join(f"{name} {int(self.dreams[name].visited[update])}" for name in DREAMERS
                           if name != dreamer)
        return (
            f"A gallery of {fantasies.shape[0]} 8 by 8 fantasy particles, shown as pixel-probability images, "
            f"after {update} updates with the dreamer '{dreamer}', and below it a line chart of the number "
            f"of distinct hidden states the particles have visited, one line per dreamer. At this point "
            f"'{dreamer}' has visited {visited} states; the others: {others}."
        )


# ---------------------------------------------------------------------------
# AIS weights along the annealing path
# ---------------------------------------------------------------------------
class AISExplorer(Explorer):
    r"""Importance weights of AIS stopped at inverse temperature :math:`\beta`.

    AIS anneals from a base model (:math:`\beta = 0`, independent pixels) to
    the RBM (:math:`\beta = 1`) in ``n_steps`` equal steps. Stopped at
    :math:`\beta`, it has estimated :math:`Z_\beta / Z_A` of the intermediate
    distribution (:func:`dreambook.estimate.ais_path_rbm`), whose exact value we know. For each
    :math:`\beta` on a grid and each number of steps, the runs are done once in
    ``__init__`` (an independent AIS run to the intermediate RBM with
    :math:`\mathrm{round}(\beta K)` steps).

    Left: histogram of :math:`\log w - \log(Z_\beta/Z_A)`, the log of each
    chain's weight relative to its expectation (the weights average to 1
    exactly in expectation). Right: the effective sample size
    :math:`(\sum w)^2 / \sum w^2` along the path for each number of steps.

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1
        Training data, for the base model's visible biases.
    n_chains : int
    steps : sequence of int
        Numbers of annealing steps K offered by the toggle.
    betas : array_like
        Grid of the slider, in (0, 1].
    seed : int
    """

    def __init__(self, rbm, data, n_chains: int = 100, steps=(10, 100, 1000), betas=None,
                 seed: int = 0, beta: float = 1.0, n_steps: int = 100):
        import ipywidgets as widgets

        self.betas = np.round(np.linspace(0.1, 1.0, 10) if betas is None else np.asarray(betas, float), 4)
        self.steps = [int(s) for s in steps]
        self.n_chains = n_chains
        b_A = init_visible_bias(data)
        rng = np.random.default_rng(seed)
        self.log_rel = {}  # (K, beta) -> log w - log(Z_beta / Z_A)
        self.ess = {K: np.zeros(len(self.betas)) for K in self.steps}
        self.error = {K: np.zeros(len(self.betas)) for K in self.steps}
        for i, beta in enumerate(self.betas):
            path = ais_path_rbm(rbm, beta, b_A)
            log_z = exact.log_partition(path)
            for K in self.steps:
                n = max(1, int(round(beta * K)))
                result = ais_log_partition(path, n_chains=n_chains, betas=linear_betas(n + 1), rng=rng,
                                           base_visible_bias=b_A)
                self.log_rel[K, float(beta)] = result.log_weights + result.log_z_base - log_z
                self.ess[K][i] = result.ess
                self.error[K][i] = result.log_z - log_z

        fig = new_figure(8.6, 3.3)
        self.ax_h, self.ax_e = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        self.edges = np.linspace(-6.0, 3.0, 46)
        centers = 0.5 * (self.edges[1:] + self.edges[:-1])
        self.bars = self.ax_h.bar(centers, np.zeros(len(centers)), width=np.diff(self.edges), color="#4c72b0",
                                  edgecolor="white", linewidth=0.3)
        self.ax_h.axvline(0, color="black", lw=1, ls="--")
        self.ax_h.set_xlim(self.edges[0], self.edges[-1])
        self.ax_h.set_ylim(0, 1.0)
        self.ax_h.set_xlabel("log w − log(Z_β / Z_A)   (0: the weight's expectation)")
        self.ax_h.set_ylabel("fraction of chains")
        colors = ["#c44e52", "#55a868", "#4c72b0", "#8172b2"]
        for j, K in enumerate(self.steps):
            self.ax_e.plot(self.betas, self.ess[K], "o-", ms=3, color=colors[j % len(colors)], label=f"K = {K}")
        (self.point,) = self.ax_e.plot([np.nan], [np.nan], "o", ms=10, mfc="none", mec="black", mew=1.5)
        self.ax_e.set_xlim(0, 1.02)
        self.ax_e.set_ylim(0, n_chains * 1.05)
        self.ax_e.set_xlabel("inverse temperature β along the path")
        self.ax_e.set_ylabel(f"effective sample size (of {n_chains})")
        self.ax_e.legend(loc="lower left", frameon=False, fontsize=9)
        self.title = fig.suptitle("", fontsize=10)
        self.dynamic = [*self.bars, self.point, self.title]

        beta_slider = widgets.SelectionSlider(options=[float(b) for b in self.betas],
                                              value=float(self.betas[np.argmin(np.abs(self.betas - beta))]),
                                              description="β")
        steps_toggle = widgets.ToggleButtons(options=self.steps, value=int(n_steps), description="K")
        super().__init__(fig, [beta_slider, steps_toggle])

    def _draw(self, **values) -> str:
        beta, K = float(values["β"]), int(values["K"])
        i = int(np.argmin(np.abs(self.betas - beta)))
        rel = self.log_rel[K, float(self.betas[i])]
        counts, _ = np.histogram(np.clip(rel, self.edges[0], self.edges[-1] - 1e-9), bins=self.edges)
        for bar, count in zip(self.bars, counts / rel.size):
            bar.set_height(count)
        ess, error = self.ess[K][i], self.error[K][i]
        self.point.set_data([self.betas[i]], [ess])
        n = max(1, int(round(beta * K)))
        self.title.set_text(f"β = {beta:.2f} after {n} of K = {K} steps: ESS {ess:.1f} of {self.n_chains}; "
                            f"log Ẑ_β − log Z_β = {error:+.3f}")
        return (
            f"Left: histogram of the log importance weights of {self.n_chains} AIS chains stopped at "
            f"inverse temperature {beta:.2f} after {n} of {K} annealing steps, relative to their "
            f"expectation; they spread from {rel.min():.2f} to {rel.max():.2f}. Right: effective sample "
            f"size along the annealing path for each number of steps, with the current point circled: "
            f"{ess:.1f} of {self.n_chains}. The estimate of log Z at this point is off by {error:+.3f} nats."
        )


#: The chapter's stored seed-0 models and chains (written by scripts/ch05_digits.py).
DATA_FILE = Path(__file__).resolve().parents[2] / "book" / "data" / "ch05_digits.npz"


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py, built as book/05-persistent-dreams builds them.

    Reads the chapter's stored seed-0 PCD model and chains from :data:`DATA_FILE`
    (in a repository checkout), as the chapter does.
    """
    from ..data import load_digits_binary
    from ..training import persistent_dreams

    train, _ = load_digits_binary()
    stored = np.load(DATA_FILE)
    rbm = RBM(stored["pcd_W"], stored["pcd_b"], stored["pcd_c"])
    dreams = {name: persistent_dreams(rbm, train, stored["pcd_chains"], name, n_updates=150, rng=1)
              for name in DREAMERS}
    gallery = DreamGalleryExplorer(dreams)
    ais = AISExplorer(rbm, train)
    gallery_values = [(u, name) for name in DREAMERS for u in range(0, 151, 5)]
    ais_values = [(float(b), K) for K in ais.steps for b in ais.betas]
    return [
        ("pcd.gallery", lambda v: gallery.update(update=v[0], dreamer=v[1]), gallery_values),
        ("pcd.ais_weights", lambda v: ais.update(**{"β": v[0], "K": v[1]}), ais_values),
    ]
