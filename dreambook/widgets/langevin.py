"""Explorer of Chapter 9: where Langevin chains of a learnt energy are after K steps."""

from __future__ import annotations

import numpy as np

from ..langevin import ChainStudy
from ..plotting import new_figure
from .base import Explorer

__all__ = ["LangevinExplorer", "benchmark_cases"]

_START_LABELS = {"noise": "uniform noise", "persistent chains": "the persistent chains"}


class LangevinExplorer(Explorer):
    r"""Langevin chains of three learnt energies after *K* steps, against the exact density and the ring.

    The chains and their distances are computed once, outside the explorer
    (:func:`dreambook.langevin.chain_study`); the controls choose the energy (which
    negative phase trained it), where the chains start, and the number of steps *K*,
    and the callback only moves the drawn points. Left: the chains after *K* steps,
    over the energy's exact density :math:`e^{-E_\theta}/Z` (shaded, the same levels
    for every energy) and the eight centres of the true ring (crosses). Right: the
    total-variation distance, over polar cells around the ring's modes, of the
    chains from the true ring and from the energy's own density, against *K*, with
    the *K* the short-run negatives used in training and the distance that as many
    exact samples of the ring still show.

    Parameters
    ----------
    studies : dict
        Energy name -> {start name -> :class:`dreambook.langevin.ChainStudy`}; every
        study has the same step counts and the same number of chains.
    ring_means : array_like, shape (n_modes, 2)
        Centres of the true ring.
    half_side : float
        The square :math:`[-L, L]^2` the energies live on.
    trained_steps : int
        The *K* of the short-run negatives in training (one of the step counts).
    floor : float
        :func:`dreambook.langevin.sampling_floor` for the same number of chains.
    energy, start, K : optional
        The state shown first (default: the first energy and start, and ``trained_steps``).
    """

    static_max_bytes = 850_000  # with the other two explorers, chapter 9 stays under 1.5 MB of states

    def __init__(self, studies, ring_means, half_side, trained_steps, floor, energy=None, start=None, K=None):
        import ipywidgets as widgets

        if not studies or not all(isinstance(v, dict) and v for v in studies.values()):
            raise ValueError("studies must map each energy name to a non-empty dict of start name -> ChainStudy")
        self.studies = {e: dict(v) for e, v in studies.items()}
        first = next(iter(next(iter(self.studies.values())).values()))
        starts = list(next(iter(self.studies.values())))
        for e_name, by_start in self.studies.items():
            if list(by_start) != starts:
                raise ValueError(f"studies[{e_name!r}] must have the starts {starts}, got {list(by_start)}")
            for s_name, study in by_start.items():
                if not isinstance(study, ChainStudy):
                    raise TypeError(f"studies[{e_name!r}][{s_name!r}] must be a ChainStudy, "
                                    f"got {type(study).__name__}")
                if study.n_steps != first.n_steps or study.snapshots.shape != first.snapshots.shape:
                    raise ValueError(f"studies[{e_name!r}][{s_name!r}] must have the step counts "
                                     f"{first.n_steps} and {first.snapshots.shape[1]} chains")
        self.steps = list(first.n_steps)
        if trained_steps not in self.steps:
            raise ValueError(f"trained_steps must be one of the step counts {self.steps}, got {trained_steps!r}")
        self.trained_steps = int(trained_steps)
        self.floor = float(floor)
        self.means = np.asarray(ring_means, float)
        L = float(half_side)
        self.n_chains = first.snapshots.shape[1]

        fig = new_figure(6.8, 3.0)  # chapter 9 stores 54 of these pictures
        self.ax_c, self.ax_d = fig.subplots(1, 2, width_ratios=[1, 1.25])
        top = max(float(s.density.max()) for v in self.studies.values() for s in v.values())
        levels = top * np.array([0.02, 0.1, 0.25, 0.5, 0.75, 1.0001])
        g = first.density.shape[0]
        ticks = -L + (2 * L / g) * (np.arange(g) + 0.5)
        self.shading = {}
        for e_name, by_start in self.studies.items():
            cs = self.ax_c.contourf(ticks, ticks, next(iter(by_start.values())).density, levels=levels,
                                    cmap="Blues", vmin=-0.25 * top, vmax=top)
            cs.set_visible(False)
            self.shading[e_name] = cs
        (self.crosses,) = self.ax_c.plot(self.means[:, 0], self.means[:, 1], "+", color="black", ms=9,
                                         mew=1.5, label="true ring's centres")
        self.dots = self.ax_c.scatter(first.snapshots[0, :, 0], first.snapshots[0, :, 1], s=5,
                                      color="#c44e52", linewidths=0, label="chains")
        self.ax_c.set_xlim(-L, L)
        self.ax_c.set_ylim(-L, L)
        self.ax_c.set_aspect("equal")
        self.ax_c.set_xticks([])
        self.ax_c.set_yticks([])
        self.ax_c.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, frameon=False,
                         fontsize=8, markerscale=2)
        # Which state is drawn, inside the axes (the layout, fixed at the first draw, never moves).
        self.title = self.ax_c.text(0.02, 0.98, " ", transform=self.ax_c.transAxes, va="top", ha="left",
                                    fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})

        x = np.arange(len(self.steps))
        self.ax_d.axhline(self.floor, color="gray", ls="--", lw=1,
                          label=f"{self.n_chains} exact samples of the ring")
        self.ax_d.axvline(self.steps.index(self.trained_steps), color="gray", ls=":", lw=1.2,
                          label=f"short-run training used K = {self.trained_steps}")
        (self.to_ring,) = self.ax_d.plot(x, first.tv_data, "o-", color="#4c72b0", ms=4,
                                         label="chains vs the true ring")
        (self.to_model,) = self.ax_d.plot(x, first.tv_model, "s-", color="#dd8452", ms=4,
                                          label="chains vs the energy's own density")
        (self.mark,) = self.ax_d.plot([0, 0], [first.tv_data[0], first.tv_model[0]], "o", ms=10,
                                      mfc="none", mec="black", mew=1.5)
        self.ax_d.set_xticks(x, [str(k) for k in self.steps], fontsize=8)
        self.ax_d.set_xlabel("Langevin steps K")
        self.ax_d.set_ylabel("distance (total variation)")
        high = max(float(max(s.tv_data.max(), s.tv_model.max())) for v in self.studies.values()
                   for s in v.values())
        self.ax_d.set_ylim(0, 1.35 * high)
        self.ax_d.legend(frameon=False, fontsize=7.5, loc="upper right")

        names = list(self.studies)
        energy = names[0] if energy is None else energy
        start = starts[0] if start is None else start
        K = self.trained_steps if K is None else K
        for value, name, allowed in [(energy, "energy", names), (start, "start", starts), (K, "K", self.steps)]:
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        self.energy = widgets.Dropdown(options=[(f"trained with {e} negatives", e) for e in names],
                                       value=energy, description="energy")
        self.start = widgets.Dropdown(options=[(_START_LABELS.get(s, s), s) for s in starts],
                                      value=start, description="start")
        self.K = widgets.SelectionSlider(options=self.steps, value=K, description="K")
        self.dynamic = [*self.shading.values(), self.crosses, self.dots, self.to_ring, self.to_model, self.mark, self.title]
        super().__init__(fig, [self.energy, self.start, self.K])

    @staticmethod
    def _title(energy, start, K) -> str:
        return f"{energy} negatives\nK = {K} steps from {_START_LABELS.get(start, start)}"

    def _draw(self, energy=None, start=None, K=None, **_values) -> str:
        energy = next(iter(self.studies)) if energy is None else energy
        by_start = self.studies[energy]
        start = next(iter(by_start)) if start is None else start
        study = by_start[start]
        k = self.steps.index(self.steps[0] if K is None else int(K))
        for name, cs in self.shading.items():
            cs.set_visible(name == energy)
        self.dots.set_offsets(study.snapshots[k])
        self.to_ring.set_ydata(study.tv_data)
        self.to_model.set_ydata(study.tv_model)
        self.mark.set_data([k, k], [study.tv_data[k], study.tv_model[k]])
        where = _START_LABELS.get(start, start)
        self.title.set_text(self._title(energy, start, self.steps[k]))
        best = int(np.argmin(study.tv_data))
        return (f"Left: {self.n_chains} Langevin chains of the energy trained with {energy} negatives, "
                f"after K = {self.steps[k]} steps from {where}, drawn over the energy's exact density "
                f"(shaded) and the true ring's eight centres (crosses); the exact density puts between "
                f"{100 * study.mode_mass.min():.0f} and {100 * study.mode_mass.max():.0f} percent of its "
                f"mass near single centres. Right: distance of the chains from the true ring, "
                f"{study.tv_data[k]:.2f}, and from the energy's own density, {study.tv_model[k]:.2f}, "
                f"against K; closest to the ring at K = {self.steps[best]} ({study.tv_data[best]:.2f}); "
                f"{self.n_chains} exact samples of the ring sit at {self.floor:.2f}.")


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: the K slider and the energy, synthetic energies."""
    from .. import langevin

    ring = langevin.IsotropicGaussianMixture.ring(8, radius=2.0, s=0.25)
    data = ring.sample(300, rng=0)
    steps = [0, 1, 2, 5, 10, 20, 40]
    studies = {}
    for method, theta_scale in [("exact", 1.0), ("short-run", 0.5)]:
        model = langevin.RBFEnergy.on_grid(10, half_side=3.0, n_grid=60)
        langevin.train_energy(model, data, rng=1, n_updates=5,
                              settings=langevin.EnergyTraining(method="exact", lr=0.5 * theta_scale))
        starts = {"noise": np.random.default_rng(2).uniform(-3, 3, (200, 2)),
                  "persistent chains": ring.sample(200, rng=3)}
        studies[method] = {name: langevin.chain_study(model, ring, x0, steps, 0.1, rng=4)
                           for name, x0 in starts.items()}
    explorer = LangevinExplorer(studies, ring.means, 3.0, trained_steps=20, floor=0.09)
    return [("langevin.K", lambda K, e=explorer: e.update(energy="short-run", start="noise", K=K), steps),
            ("langevin.energy", lambda name, e=explorer: e.update(energy=name, start="noise", K=20),
             ["exact", "short-run"] * 4)]
