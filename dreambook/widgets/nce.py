"""Explorer of Chapter 9: the NCE estimator's error against the noise ratio, beside ML."""

from __future__ import annotations

import numpy as np

from ..plotting import new_figure
from .base import Explorer

__all__ = ["NoiseRatioExplorer", "benchmark_cases"]


class NoiseRatioExplorer(Explorer):
    r"""Per-seed NCE errors at one noise ratio :math:`\nu`, beside exact maximum likelihood.

    The fits are computed once, outside the explorer (:func:`dreambook.nce.noise_ratio_study`,
    :func:`dreambook.nce.fit_ml`); the controls choose the noise distribution and
    :math:`\nu`, and the callback only moves the drawn points, so it answers at once.
    Left: squared parameter error of NCE (one dot per data set, in the chosen noise's
    colour) against that of ML at the same data set, with the diagonal where the two
    are equal. Right: the median ratio of NCE to ML error against :math:`\nu`, one
    curve per noise distribution (so the noises can be compared at a glance), with the
    chosen noise and :math:`\nu` marked.

    Parameters
    ----------
    nus : sequence of float
        The noise ratios fitted.
    nce_errors : dict
        Noise name -> array (len(nus), n_seeds) of NCE squared parameter errors.
    ml_errors : array_like, shape (n_seeds,)
        ML squared parameter errors on the same data sets.
    noise : str, optional
        The noise shown first (default: the first key of ``nce_errors``).
    """

    #: Colours of the noise distributions, in the order given.
    colors = ("#4c72b0", "#dd8452", "#55a868", "#8172b3")

    def __init__(self, nus, nce_errors, ml_errors, noise=None):
        import ipywidgets as widgets

        self.nus = [float(v) for v in nus]
        self.nce = {k: np.asarray(v, float) for k, v in nce_errors.items()}
        self.ml = np.asarray(ml_errors, float)
        if not self.nce or len(self.nce) > len(self.colors):
            raise ValueError(f"nce_errors must name between 1 and {len(self.colors)} noise distributions")
        for name, arr in self.nce.items():
            if arr.shape != (len(self.nus), self.ml.size):
                raise ValueError(f"nce_errors[{name!r}] must have shape {(len(self.nus), self.ml.size)}")
        names = list(self.nce)
        noise = names[0] if noise is None else noise
        if noise not in names:
            raise ValueError(f"noise must be one of {names}, got {noise!r}")
        self.color = dict(zip(names, self.colors))
        self.ratio = {k: np.median(v, axis=1) / np.median(self.ml) for k, v in self.nce.items()}

        fig = new_figure(7.0, 3.0)
        self.ax_s, self.ax_r = fig.subplots(1, 2)
        top = 1.1 * max(float(max(v.max() for v in self.nce.values())), float(self.ml.max()))
        self.ax_s.plot([0, top], [0, top], "--", color="gray", lw=1, label="NCE = ML")
        self.ax_s.set_xlim(0, top)
        self.ax_s.set_ylim(0, top)
        self.ax_s.set_xlabel("ML squared parameter error")
        self.ax_s.set_ylabel("NCE squared parameter error")
        (self.dots,) = self.ax_s.plot(self.ml, self.ml, "o", color=self.color[noise], ms=5, label="one data set")
        self.ax_s.legend(frameon=False, fontsize=8, loc="lower right")
        self.ax_r.axhline(1.0, color="gray", ls="--", lw=1)
        self.ax_r.set_xscale("log", base=2)
        self.ax_r.set_xlim(min(self.nus) / 1.5, max(self.nus) * 1.5)
        self.ax_r.set_ylim(0, 1.1 * max(float(max(v.max() for v in self.ratio.values())), 1.2))
        self.ax_r.set_xlabel(r"noise ratio $\nu$ (noise samples per data point)")
        self.ax_r.set_ylabel("median error, NCE / ML")
        self.curves = {name: self.ax_r.plot(self.nus, self.ratio[name], "o-", ms=4, color=self.color[name],
                                            label=f"{name} noise")[0] for name in names}
        self.ax_r.legend(frameon=False, fontsize=8, loc="upper right")
        (self.mark,) = self.ax_r.plot([self.nus[0]], [1.0], "o", ms=11, mfc="none", mec="#c44e52", mew=2)

        self.noise = widgets.Dropdown(options=names, value=noise, description="noise")
        self.nu = widgets.SelectionSlider(options=self.nus, value=self.nus[0], description="nu")
        self.dynamic = [self.dots, self.mark]
        super().__init__(fig, [self.noise, self.nu])

    @property
    def curve(self):
        """The ratio curve of the noise shown."""
        return self.curves[self.shown]

    def _draw(self, noise=None, nu=None, **_values) -> str:
        noise = next(iter(self.nce)) if noise is None else noise
        k = self.nus.index(float(self.nus[0] if nu is None else nu))
        err = self.nce[noise][k]
        self.shown = noise
        self.dots.set_data(self.ml, err)
        self.dots.set_color(self.color[noise])
        self.mark.set_data([self.nus[k]], [self.ratio[noise][k]])
        others = "; ".join(f"'{name}' {self.ratio[name][k]:.2f}" for name in self.nce if name != noise)
        return (f"Left: NCE against ML squared parameter error for {err.size} data sets, noise "
                f"'{noise}', nu = {self.nus[k]:g}; {int(np.sum(err > self.ml))} of them lie above the "
                f"diagonal. Right: median ratio of NCE to ML error against nu for each noise; "
                f"{self.ratio[noise][k]:.2f} for '{noise}' at the chosen nu"
                + (f" (other noise: {others})" if others else "")
                + f", {self.ratio[noise][-1]:.2f} for '{noise}' at the largest nu.")


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: the nu slider, synthetic stored errors."""
    rng = np.random.default_rng(0)
    nus = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
    ml = rng.uniform(0.5, 1.5, 10)
    nce = {name: ml * (1 + s / np.array(nus)[:, None]) for name, s in [("uniform", 8.0), ("data marginals", 2.0)]}
    explorer = NoiseRatioExplorer(nus, nce, ml)
    return [("nce.nu", lambda nu, e=explorer: e.update(noise="uniform", nu=nu), nus),
            ("nce.noise", lambda name, e=explorer: e.update(noise=name, nu=2), ["uniform", "data marginals"] * 5)]
