"""Figure helpers shared by the chapters.

Nothing here changes matplotlib's global state: figures are built with
:class:`matplotlib.figure.Figure` and the Agg canvas directly, never through
``pyplot``, and matplotlib is imported only when a function is called.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np

__all__ = [
    "new_figure", "figure_to_png", "canvas_to_png", "figure_to_html", "png_to_html", "state_labels", "montage",
]


def new_figure(width: float = 6.0, height: float = 3.0, dpi: int = 80):
    """Return a matplotlib ``Figure`` with an Agg canvas, outside pyplot.

    Such a figure is never shown twice by the notebook's inline backend and
    can be redrawn quickly by an explorer.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig) -> bytes:
    """Render ``fig`` to PNG bytes: one Agg draw, fast PNG compression.

    Deterministic (no timestamp or software metadata), so identical figures give
    identical bytes.
    """
    fig.canvas.draw()
    return canvas_to_png(fig.canvas)


def canvas_to_png(canvas) -> bytes:
    """Encode what an Agg canvas currently holds as PNG bytes (no redraw)."""
    from PIL import Image

    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buf = io.BytesIO()
    image.save(buf, format="png", compress_level=1)
    return buf.getvalue()


def figure_to_html(fig, alt: str) -> str:
    """Return an ``<img>`` tag holding ``fig`` as an inline PNG with alt text.

    The image travels inside the page (a ``data:`` URI), so a widget's stored
    state shows the picture on the static website with no request anywhere.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        What the figure shows, for readers who cannot see it. Must not be empty.
    """
    return png_to_html(figure_to_png(fig), alt)


def png_to_html(png: bytes, alt: str) -> str:
    """Return an ``<img>`` tag holding PNG bytes as a ``data:`` URI, with alt text."""
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a non-empty description of the figure")
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
        'style="max-width:100%;height:auto"/>'
    )


def state_labels(n_units: int) -> list[str]:
    """Labels ``'000'``, ``'001'``, ... for the states in enumeration order.

    The first unit is the most significant bit, matching
    :func:`dreambook.states.all_states`.

    >>> state_labels(2)
    ['00', '01', '10', '11']
    """
    return [format(k, f"0{n_units}b") for k in range(2**n_units)]


def montage(images, n_cols: int, side: int = 4) -> np.ndarray:
    """Tile flat ``side*side`` images into one array, NaN gaps one pixel wide between them.

    Image *k* goes to row ``k // n_cols``, column ``k % n_cols``; the gaps (and
    the cells past the last image) are NaN, drawn in a colormap's "bad" colour.

    >>> montage(np.ones((3, 4)), n_cols=2, side=2).shape
    (5, 5)
    """
    images = np.asarray(images, dtype=float).reshape(-1, side, side)
    n_rows = -(-len(images) // n_cols)
    out = np.full((n_rows * (side + 1) - 1, n_cols * (side + 1) - 1), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, n_cols)
        out[r * (side + 1): r * (side + 1) + side, c * (side + 1): c * (side + 1) + side] = image
    return out
