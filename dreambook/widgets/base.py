"""The explorer base class and the callback timer.

Each explorer keeps its figure and controls, recomputes in ``update`` (the
callback the controls call), and shows the figure as an ``HTML`` widget holding
an inline PNG with alt text. Because the picture lives in the widget's state,
the static website shows the last picture even without a running kernel.

ipywidgets and matplotlib are imported only when an explorer is built, so
importing :mod:`dreambook` stays free of side effects.

Explorers keep their work in ``update`` small; :func:`time_callback` measures it
and ``benchmarks/widgets.py`` reports the figures for every explorer.
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import check_positive_int
from ..plotting import canvas_to_png, new_figure, png_to_html, state_labels

__all__ = ["Explorer", "time_callback"]


class Explorer:
    """Base class: a figure, some controls and an ``update`` callback.

    Subclasses build ``self.controls`` (a list of ipywidgets) and implement
    ``_draw(**values)`` returning the alt text of the redrawn figure. Artists
    listed in ``self.dynamic`` (set before calling ``__init__``) are the only
    ones that change: everything else is drawn once and kept as a background,
    so an update redraws just those artists (blitting).
    """

    dynamic: list = []

    kernel_note = (
        "On the static website this explorer shows its last stored picture; "
        "moving the controls recomputes only with a running kernel "
        "(use the launch buttons at the top of the page)."
    )

    def __init__(self, fig, controls):
        import ipywidgets as widgets

        self.fig = fig
        self._background = None
        self.controls = list(controls)
        self.image = widgets.HTML()
        for control in self.controls:
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(self.controls), self.image])
        self.update(**self.values())
        # The first draw fixed the layout; keep it, so redraws skip the layout pass.
        self.fig.set_layout_engine("none")

    def values(self) -> dict:
        """Current value of every control, keyed by the control's ``description``."""
        return {c.description: c.value for c in self.controls}

    def _on_change(self, _change) -> None:
        self.update(**self.values())

    def update(self, **values) -> None:
        """Recompute, redraw and publish the figure for these control values."""
        alt = self._draw(**values)
        self.image.value = png_to_html(self._render(), alt)

    def _render(self) -> bytes:
        canvas = self.fig.canvas
        if not self.dynamic:
            canvas.draw()
        elif self._background is None:
            for artist in self.dynamic:
                artist.set_animated(True)
            canvas.draw()  # everything but the dynamic artists
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        return canvas_to_png(canvas)

    def _draw(self, **values) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}({self.values()})"
        return bundle


def time_callback(update, values, repeat: int = 3) -> dict:
    """Time ``update(value)`` for each value, ``repeat`` times; return ms statistics.

    Returns a dict with the ``median_ms`` and ``p95_ms`` over all calls and
    ``n_calls``. Used by the widget benchmark; never by a timed test.
    """
    repeat = check_positive_int(repeat, "repeat")
    times = []
    for _ in range(repeat):
        for value in values:
            start = time.perf_counter()
            update(value)
            times.append(1e3 * (time.perf_counter() - start))
    times = np.asarray(times)
    return {
        "median_ms": float(np.median(times)),
        "p95_ms": float(np.percentile(times, 95)),
        "n_calls": int(times.size),
    }
