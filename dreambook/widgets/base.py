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

import base64
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
        "On the static website this explorer answers its controls with pictures its own code "
        "drew ahead of time (make execute); with a running kernel it recomputes at any value."
    )

    # --- The static website (dreambook.widgets.static) --------------------------------
    #: Most grid points the website stores for this explorer (pictures and alt texts).
    static_max_states: int = 64
    #: Most bytes (base64) its pictures may add to a page; a default grid is thinned to fit.
    static_max_bytes: int = 700_000
    #: Said on the page where the grid is a choice (e.g. which checkpoints are offered).
    static_note: str = ""

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
        self.png, self.alt = self._render(), alt  # the last picture (static site, PDF)
        self.image.value = png_to_html(self.png, alt)

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

    def static_controls(self) -> list:
        """The controls the static website offers: a list of ``static.StaticControl``.

        Default: one per live control, over its own values (thinned so the grid has at
        most ``static_max_states`` points). Explorers driven by buttons override this.
        """
        from .static import controls_from_widgets

        return controls_from_widgets(self.controls, self.static_max_states)

    def static_show(self, **values) -> None:
        """Bring the explorer to the state the website labels ``values`` and draw it.

        Default: move the live controls there, exactly as a reader would (each
        control's observer redraws), then redraw once with all values set.
        """
        moved = False
        for control in self.controls:
            if control.description in values and control.value != values[control.description]:
                control.value = values[control.description]  # its observer redraws
                moved = True
        if not moved or getattr(self, "png", None) is None:
            self.update(**self.values())

    def static_restore(self) -> None:
        """Return to the state the explorer was in before the static grid was drawn."""
        start = getattr(self, "_static_start", None)
        if start is not None:
            for control in self.controls:
                control.value = start[control.description]
        self.update(**self.values())

    def static_spec(self) -> dict:
        """Pictures and alt texts over the static grid (see :mod:`dreambook.widgets.static`)."""
        from .static import build_static

        self._static_start = self.values()
        spec = build_static(self)
        default_grid = type(self).static_controls is Explorer.static_controls
        for _ in range(3):
            size = sum(len(image) for image in spec["images"])
            if size <= self.static_max_bytes or not default_grid:
                break
            # Thin the sliders in proportion to the overshoot and draw again.
            self.static_max_states = max(2, int(len(spec["states"]) * 0.9 * self.static_max_bytes / size))
            spec = build_static(self)
        size = sum(len(image) for image in spec["images"])
        if size > self.static_max_bytes:
            raise ValueError(f"{type(self).__name__}: its static pictures take {size} bytes, more than "
                             f"static_max_bytes={self.static_max_bytes}; offer fewer states")
        return spec

    def _repr_mimebundle_(self, **kwargs):
        from .static import METADATA_KEY, enabled

        metadata = {METADATA_KEY: self.static_spec()} if enabled() else {}
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"{type(self).__name__}({self.values()})"
        # The current picture, for front ends without widgets and for the PDF.
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return (bundle, metadata) if metadata else bundle


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
