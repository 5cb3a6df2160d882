"""Explorer of Chapter 8: a replay event played forward or backward, and what TD(0) learns from it."""

from __future__ import annotations

import numpy as np

from .. import td
from ..plotting import new_figure
from .base import Explorer

__all__ = ["ReplayExplorer", "replay_raster", "benchmark_cases"]


def replay_raster(n_cells: int, direction: str, spikes_per_cell: int = 3, slot_ms: float = 8.0):
    r"""Spike times of an idealized, time-compressed replay event (a schematic, not data).

    Place cell :math:`i` (its field at track position :math:`i`) fires
    ``spikes_per_cell`` spikes, evenly spaced, in time slot :math:`i` for a
    forward event and in slot :math:`n-1-i` for a reverse one; each slot lasts
    ``slot_ms`` milliseconds. Deterministic.

    Returns
    -------
    times_ms, cells : ndarray of shape (n_cells * spikes_per_cell,)

    Examples
    --------
    >>> t, c = replay_raster(3, "reverse", spikes_per_cell=1, slot_ms=10.0)
    >>> t, c
    (array([25., 15.,  5.]), array([0, 1, 2]))
    """
    if isinstance(n_cells, bool) or not isinstance(n_cells, (int, np.integer)) or n_cells < 1:
        raise ValueError(f"n_cells must be an integer >= 1, got {n_cells!r}")
    if isinstance(spikes_per_cell, bool) or not isinstance(spikes_per_cell, (int, np.integer)) \
            or spikes_per_cell < 1:
        raise ValueError(f"spikes_per_cell must be an integer >= 1, got {spikes_per_cell!r}")
    if not np.isfinite(slot_ms) or slot_ms <= 0:
        raise ValueError(f"slot_ms must be a finite number > 0, got {slot_ms!r}")
    direction = td._check_direction(direction)
    cells = np.repeat(np.arange(n_cells), spikes_per_cell)
    slot = cells if direction == "forward" else n_cells - 1 - cells
    offsets = (np.arange(spikes_per_cell) + 0.5) / spikes_per_cell
    times = (slot + np.tile(offsets, n_cells)) * slot_ms
    return times, cells


class ReplayExplorer(Explorer):
    r"""Replay a run along a linear track forward or backward and watch TD(0) values grow.

    Top panel: an idealized place-cell raster of one replay event (cell
    :math:`i` has its place field at state :math:`i`), spikes coloured by the
    value :math:`V(s_i)` the cell's state holds after the chosen number of
    sweeps. Bottom panel: the value table after that many replay sweeps,
    beside the true values :math:`\gamma^{\,n-1-i}\,r` (outlined).

    Parameters
    ----------
    n_states : int
        Number of states on the track (the goal is the last).
    gamma : float in [0, 1]
        Discount factor.
    alpha : float in (0, 1]
        TD learning rate.
    max_sweeps : int
        Range of the sweep slider.
    direction : {"forward", "reverse"}
        Initial direction.
    sweeps : int
        Initial number of sweeps.
    """

    def __init__(self, n_states: int = 10, gamma: float = 0.9, alpha: float = 1.0,
                 max_sweeps: int = 12, direction: str = "reverse", sweeps: int = 1):
        import ipywidgets as widgets
        from matplotlib import colormaps

        self.trajectory, self.rewards = td.linear_track(n_states)
        self.gamma, self.alpha = gamma, alpha
        self.n = n_states
        V0 = td.initial_values(self.trajectory, self.rewards)
        target = td.true_values(self.trajectory, self.rewards, gamma)
        # Everything the controls can ask for, computed once.
        self.tables = {}
        self.rasters = {}
        for d in ("forward", "reverse"):
            history = td.replay(V0, self.trajectory, self.rewards, alpha, gamma, d,
                                n_sweeps=max_sweeps, record=True)
            self.tables[d] = history[:: n_states - 1]  # row k: after k sweeps
            times, cells = replay_raster(n_states, d)
            self.rasters[d] = (np.column_stack([times, cells]), cells)
        self.cmap = colormaps["viridis"]

        fig = new_figure(6.2, 4.3)
        self.ax_r, self.ax_v = fig.subplots(2, 1, height_ratios=[1.1, 1])
        offsets, cells = self.rasters[direction]
        self.spikes = self.ax_r.scatter(offsets[:, 0], offsets[:, 1], marker="|", s=140,
                                        linewidths=2.2, c=np.zeros(len(cells)), cmap=self.cmap,
                                        vmin=0.0, vmax=1.0)
        self.ax_r.set_xlim(0, 8.0 * n_states)
        self.ax_r.set_ylim(-0.7, n_states - 0.3)
        self.ax_r.set_yticks(np.arange(n_states), [f"s{i}" for i in range(n_states)], fontsize=8)
        self.ax_r.set_xlabel("time within the replay event (ms, schematic)")
        self.ax_r.set_ylabel("place cell (field at)")
        colorbar = fig.colorbar(self.spikes, ax=self.ax_r, pad=0.01, fraction=0.04)
        colorbar.set_label("V(s)", fontsize=9)
        # A static title: redrawing changing text costs more than the rest of an
        # update, and the controls already show the direction and sweep count.
        self.ax_r.set_title("one replay event; spike colour = value of the cell's state",
                            fontsize=10)

        positions = np.arange(n_states)
        self.ax_v.bar(positions, target, width=0.8, fill=False, edgecolor="#555555",
                      linestyle="--", label=r"true value $\gamma^{9-i}$" if n_states == 10
                      else "true value")
        self.bars = self.ax_v.bar(positions, np.zeros(n_states), width=0.6, color="#4c72b0",
                                  label="learned V(s)")
        self.ax_v.set_xticks(positions, [f"s{i}" for i in range(n_states)])
        self.ax_v.set_ylim(0, 1.08)
        self.ax_v.set_xlabel("state along the track (goal at the right)")
        self.ax_v.set_ylabel("value V(s)")
        self.ax_v.legend(loc="upper left", frameon=False, fontsize=9)

        self.direction = widgets.ToggleButtons(options=["forward", "reverse"], value=direction,
                                               description="direction")
        self.sweeps = widgets.IntSlider(value=sweeps, min=0, max=max_sweeps, step=1,
                                        description="sweeps")
        self.dynamic = [self.spikes, *self.bars]
        super().__init__(fig, [self.direction, self.sweeps])

    def _draw(self, direction="reverse", sweeps=1, **_values) -> str:
        V = self.tables[direction][sweeps]
        offsets, cells = self.rasters[direction]
        self.spikes.set_offsets(offsets)
        self.spikes.set_array(V[cells])
        for bar, v in zip(self.bars, V):
            bar.set_height(v)
        reached = td.states_reached(V, self.trajectory)
        first = "s0" if direction == "forward" else f"s{self.n - 1}"
        return (
            f"Top: schematic raster of a {direction} replay event in which place cell {first} "
            f"fires first. Bottom: TD(0) values after {sweeps} {direction} sweeps "
            f"(alpha {self.alpha:g}, gamma {self.gamma:g}); the reward has reached {reached} of "
            f"{self.n - 1} states before the goal and V(s0) = {V[0]:.4f}."
        )


def benchmark_cases():
    """(name, update, values) for benchmarks/widgets.py: the sweep slider in each direction, and the toggle."""
    explorer = ReplayExplorer()
    cases = []
    for d in ("forward", "reverse"):
        cases.append((f"replay.sweeps_{d}",
                      lambda k, e=explorer, d=d: e.update(direction=d, sweeps=k), range(13)))
    cases.append(("replay.direction",
                  lambda i, e=explorer: e.update(direction=("forward", "reverse")[i % 2], sweeps=3),
                  range(20)))
    return cases
