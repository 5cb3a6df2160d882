"""Explorer of Chapter 10: cool the MaxEnt IRL path distribution from T = 2 down to T = 0."""

from __future__ import annotations

import numpy as np

from .. import irl
from ..plotting import new_figure
from .base import Explorer

__all__ = ["PathTemperatureExplorer", "benchmark_cases"]


class PathTemperatureExplorer(Explorer):
    r"""Expected visits per cell under :math:`P_T(\zeta) \propto e^{\theta^\top f(\zeta)/T}` on a gridworld.

    Left: the terrain, with a disc in each cell whose area is the expected
    number of visits :math:`\sum_t D_t(s)`, computed
    exactly by :func:`dreambook.irl.visitation` at the slider's temperature;
    at :math:`T = 0` the single best path (:func:`dreambook.irl.best_path`).
    Right: the dreamt features :math:`\mathbb{E}_{P_T}[f]` as bars, beside the
    best path's features (outlined), which they approach as :math:`T \to 0`.

    Parameters
    ----------
    world : dreambook.irl.GridWorld
    theta : array_like, shape (K,)
        Reward weights.
    T : float
        Initial temperature (0 means the best path).
    feature_names : list of str, optional
    """

    def __init__(self, world, theta, T=1.0, feature_names=None):
        import ipywidgets as widgets

        self.world = world
        self.theta = np.asarray(theta, float)
        names = feature_names or [f"feature {k + 1}" for k in range(world.n_features)]
        self.best = irl.best_path(world, self.theta)
        self.best_f = irl.path_features(world, self.best)[0]
        rows, cols = world.shape

        fig = new_figure(7.4, 3.3)
        self.ax_g, self.ax_f = fig.subplots(1, 2, width_ratios=[1.3, 1])
        # Static background: the terrain map. Dynamic: one disc per cell whose
        # area is the expected number of visits (only these discs and the bars
        # are redrawn when the slider moves).
        terrain = np.argmax(np.concatenate([np.zeros((rows, cols, 1)), world.features],
                                           axis=2), axis=2)
        palette = np.array([[0.82, 0.82, 0.82], [0.70, 0.87, 0.62], [0.55, 0.72, 0.93],
                            [0.95, 0.85, 0.55]])
        self.ax_g.imshow(palette[terrain % len(palette)], origin="upper")
        for k, name in enumerate(["road"] + list(names)):
            self.ax_g.scatter([], [], marker="s", s=40, color=palette[k % len(palette)],
                              label=name)
        rr, cc = np.mgrid[0:rows, 0:cols]
        self._disc_scale = 260.0
        self.discs = self.ax_g.scatter(cc.ravel(), rr.ravel(), s=np.zeros(rows * cols),
                                       color="#6a1b9a", alpha=0.75, linewidths=0)
        for cell, label in [(world.start, "S"), (world.goal, "G")]:
            self.ax_g.text(cell[1] - 0.42, cell[0] - 0.2, label, fontsize=9, weight="bold")
        self.ax_g.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3,
                         frameon=False, fontsize=8)
        self.ax_g.set_xticks([])
        self.ax_g.set_yticks([])
        self.ax_g.set_title("where the dreamt paths go (disc area = expected visits)",
                            fontsize=9)

        pos = np.arange(world.n_features)
        self.bars = self.ax_f.bar(pos, np.zeros(world.n_features), width=0.55,
                                  color="#4c72b0", label="expected, E_T[f]")
        self.ax_f.plot(pos, self.best_f, "_", color="black", ms=34, mew=2.5,
                       label="best path (T = 0)")
        self.ax_f.set_xticks(pos, names)
        self.ax_f.set_ylim(-0.2, 1.25 * max(1.0, float(np.max(irl.expected_features(
            world, self.theta, 3.0))), float(self.best_f.max())))
        self.ax_f.set_ylabel("cells of each terrain on the path")
        self.ax_f.legend(frameon=False, fontsize=8, loc="upper right", markerscale=0.4)

        self.T = widgets.FloatSlider(value=T, min=0.0, max=2.0, step=0.05, description="T",
                                     readout_format=".2f")
        self.dynamic = [self.discs, *self.bars]
        super().__init__(fig, [self.T])

    def dream_statistics(self, T):
        """(expected visits per cell, expected features) at temperature ``T`` (T = 0: best path)."""
        if T <= 0:
            visits = np.zeros(self.world.shape)
            for r, c in self.best[1:]:
                visits[r, c] += 1.0
            return visits, self.best_f
        D = irl.visitation(self.world, self.theta, T)
        return D[1:].sum(axis=0), irl.features_from_visitation(self.world, D)

    def _draw(self, T=1.0, **_values) -> str:
        visits, f = self.dream_statistics(T)
        self.discs.set_sizes(self._disc_scale * visits.ravel())
        for bar, v in zip(self.bars, f):
            bar.set_height(v)
        where = "the single best path" if T <= 0 else f"the path distribution at T = {T:.2f}"
        return (f"Left: expected visits per grid cell under {where}, from start S to goal G. "
                f"Right: expected terrain counts along the path, "
                f"{', '.join(f'{v:.2f}' for v in f)}, against the best path's "
                f"{', '.join(f'{v:.0f}' for v in self.best_f)}.")


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: the temperature slider over its range."""
    from ..irl import make_terrain_world

    world = make_terrain_world(CHAPTER_TERRAIN, (0, 0), (4, 5), horizon=12)
    explorer = PathTemperatureExplorer(world, CHAPTER_THETA, T=1.0, feature_names=["grass", "water"])
    values = np.round(np.arange(0.0, 2.0001, 0.05), 2)
    return [("zero_temperature.T", lambda T, e=explorer: e.update(T=float(T)), values)]


#: The chapter's gridworld: 0 road, 1 grass, 2 water (rows top to bottom).
CHAPTER_TERRAIN = np.array([
    [0, 1, 1, 1, 1, 1],
    [0, 1, 2, 2, 1, 1],
    [0, 1, 2, 2, 1, 0],
    [0, 0, 0, 1, 1, 0],
    [1, 1, 0, 0, 0, 0],
])
#: Reward weights of the chapter's demonstrator: grass costs 0.5 per cell, water 2.
CHAPTER_THETA = np.array([-0.5, -2.0])
