"""Explorers on the static website: pictures precomputed over a grid of controls.

The website has no Python kernel, so an explorer cannot recompute there. What
it can do is show what the live explorer *would* draw: when a notebook is
executed by ``make execute`` (``tools/execute_notebooks.py`` sets
``DREAMBOOK_STATIC_EXPLORERS=1``), each explorer's display also stores, in the
output's metadata, its picture and alt text at every point of a grid of its
control values, drawn by the explorer's own ``update``. A myst-nb mime renderer
(:class:`MystNbPlugin`) renders that as native HTML controls (range inputs and
radio groups with the same labels) and an ``<img>``; the site's own script
``dreambook-explorer.js`` swaps the picture and its alt text as a control moves.

Pictures are stored as lossless WebP (identical pixels to the live PNG, about a
third of its size). Output metadata is not compared by nbval, so the stored
pictures never make a notebook's comparison depend on last-bit arithmetic; the
text outputs are unchanged.

The grid comes from the explorer's controls (:meth:`Explorer.static_controls`):
every option of a choice control, and an evenly thinned set of a slider's
values (always including its ends and its current value), so that the grid has
at most ``Explorer.static_max_states`` points. Explorers driven by buttons
(step counters) override it with a slider over stored checkpoints.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import os
from dataclasses import dataclass, field

import numpy as np

__all__ = ["StaticControl", "controls_from_widgets", "build_static", "render_static_html",
           "decode_image", "METADATA_KEY", "ENV_FLAG", "MystNbPlugin"]

#: Output-metadata key under which an explorer's precomputed states are stored.
METADATA_KEY = "dreambook/static-explorer"
#: Environment variable that turns the precomputation on (set by ``make execute``).
ENV_FLAG = "DREAMBOOK_STATIC_EXPLORERS"


@dataclass
class StaticControl:
    """One control of the static explorer.

    Parameters
    ----------
    label : str
        The live control's description (the keyword ``update`` receives).
    values : list
        The values the website offers, in order.
    labels : list of str
        How each value is shown (the live control's readout).
    kind : {"slider", "choice"}
        A range input (ordered values) or a radio group.
    index : int
        Which value is selected when the page loads.
    """

    label: str
    values: list
    labels: list = field(default_factory=list)
    kind: str = "slider"
    index: int = 0

    def __post_init__(self):
        if not self.values:
            raise ValueError(f"control {self.label!r}: values must not be empty")
        if not self.labels:
            self.labels = [str(v) for v in self.values]
        if len(self.labels) != len(self.values):
            raise ValueError(f"control {self.label!r}: labels and values differ in length")
        if self.kind not in ("slider", "choice"):
            raise ValueError(f"kind must be 'slider' or 'choice', got {self.kind!r}")
        self.index = int(min(max(self.index, 0), len(self.values) - 1))


def _thin(n: int, keep: int, current: int) -> list[int]:
    """At most ``keep`` (>= 2) indices of range(n), evenly spread, with both ends and ``current``."""
    if n <= keep:
        return list(range(n))
    picked = set(np.round(np.linspace(0, n - 1, keep - 1 if current not in (0, n - 1) else keep))
                 .astype(int).tolist())
    picked.add(int(current))
    return sorted(picked)


def _format(control, value) -> str:
    fmt = getattr(control, "readout_format", None)
    try:
        return format(value, fmt) if fmt else str(value)
    except (TypeError, ValueError):
        return str(value)


def controls_from_widgets(controls, max_states: int) -> list[StaticControl]:
    """The static grid of a list of ipywidgets controls (see the module docstring)."""
    import ipywidgets as widgets

    raw = []  # (control, values, labels, kind, current index)
    for c in controls:
        if isinstance(c, widgets.widget_selection._Selection):
            values = list(c._options_values)
            labels = [str(label) for label in c._options_labels]
            kind = "slider" if isinstance(c, widgets.SelectionSlider) else "choice"
            current = values.index(c.value) if c.value in values else 0
        elif isinstance(c, widgets.FloatLogSlider):
            exps = np.arange(c.min, c.max + c.step / 2, c.step)
            values = [float(c.base ** e) for e in exps]
            labels, kind = None, "slider"
            current = int(np.argmin(np.abs(np.log(values) - np.log(c.value))))
            values[current] = float(c.value)
        elif isinstance(c, (widgets.FloatSlider, widgets.IntSlider)):
            values = np.arange(c.min, c.max + c.step / 2, c.step)
            if isinstance(c, widgets.IntSlider):
                values = [int(v) for v in values]
            else:
                values = [float(round(v, 12)) for v in values]
            labels, kind = None, "slider"
            current = int(np.argmin(np.abs(np.asarray(values, dtype=float) - c.value)))
            values[current] = c.value
        elif isinstance(c, (widgets.Checkbox, widgets.ToggleButton)):
            values, labels, kind, current = [False, True], ["off", "on"], "choice", int(bool(c.value))
        else:
            raise TypeError(f"no static grid for a {type(c).__name__} control ({c.description!r}); "
                            "override Explorer.static_controls")
        raw.append([c, values, labels, kind, current])
    fixed = int(np.prod([len(r[1]) for r in raw if r[3] == "choice"] or [1]))
    sliders = [r for r in raw if r[3] == "slider"]
    if sliders:
        keep = max(2, int(np.floor((max_states / fixed) ** (1 / len(sliders)) + 1e-9)))
        for r in sliders:
            idx = _thin(len(r[1]), keep, r[4])
            r[4] = idx.index(r[4])
            r[1] = [r[1][i] for i in idx]
            if r[2] is not None:
                r[2] = [r[2][i] for i in idx]
    out = []
    for c, values, labels, kind, current in raw:
        labels = labels or [_format(c, v) for v in values]
        out.append(StaticControl(c.description, values, labels, kind, current))
    return out


def _webp(png: bytes) -> bytes:
    """Lossless WebP with exactly the pixels of ``png``."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    buf = io.BytesIO()
    image.save(buf, format="WEBP", lossless=True, method=2, exact=True)
    return buf.getvalue()


def decode_image(data: bytes) -> np.ndarray:
    """Pixels (RGBA uint8 array) of a PNG or WebP image, for comparisons."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def build_static(explorer) -> dict:
    """Draw ``explorer`` at every point of its static grid; return the JSON-able spec.

    The explorer is brought back to its current state afterwards
    (:meth:`Explorer.static_restore`).
    """
    controls = explorer.static_controls()
    n_states = int(np.prod([len(c.values) for c in controls]))
    if n_states > explorer.static_max_states:
        raise ValueError(f"{type(explorer).__name__}: {n_states} static states exceed "
                         f"static_max_states={explorer.static_max_states}")
    images, index_of, states = [], {}, []
    try:
        for combo in itertools.product(*[range(len(c.values)) for c in controls]):
            values = {c.label: c.values[i] for c, i in zip(controls, combo)}
            explorer.static_show(**values)
            data = _webp(explorer.png)
            key = hashlib.sha256(data).hexdigest()
            if key not in index_of:
                index_of[key] = len(images)
                images.append(base64.b64encode(data).decode("ascii"))
            states.append([index_of[key], explorer.alt])
    finally:
        explorer.static_restore()
    return {
        "version": 1,
        "controls": [{"label": c.label, "labels": list(c.labels), "kind": c.kind, "index": c.index}
                     for c in controls],
        "mime": "image/webp",
        "images": images,
        "states": states,
        "note": explorer.static_note,
    }


def _state_index(spec: dict, combo) -> int:
    k = 0
    for control, i in zip(spec["controls"], combo):
        k = k * len(control["labels"]) + i
    return k


def render_static_html(spec: dict) -> str:
    """The website's HTML for a stored spec: native controls, the picture, the data, a note."""
    uid = "dbx-" + hashlib.sha256(json.dumps(spec["states"]).encode()).hexdigest()[:10]
    start = [c["index"] for c in spec["controls"]]
    img, alt = spec["states"][_state_index(spec, start)]
    parts = [f'<div class="dbx-explorer" id="{uid}">', '<div class="dbx-controls">']
    for k, c in enumerate(spec["controls"]):
        cid = f"{uid}-c{k}"
        label = html.escape(c["label"])
        if c["kind"] == "slider":
            n = len(c["labels"])
            current = html.escape(c["labels"][c["index"]])
            parts.append(
                f'<div class="dbx-control dbx-slider"><label for="{cid}">{label}</label>'
                f'<input type="range" id="{cid}" data-dbx-control="{k}" min="0" max="{n - 1}" '
                f'step="1" value="{c["index"]}" aria-valuetext="{label} = {current}">'
                f'<output for="{cid}" aria-hidden="true">{current}</output></div>')
        else:
            parts.append(f'<fieldset class="dbx-control dbx-choice"><legend>{label}</legend>')
            for j, option in enumerate(c["labels"]):
                checked = " checked" if j == c["index"] else ""
                parts.append(
                    f'<label><input type="radio" name="{cid}" data-dbx-control="{k}" '
                    f'value="{j}"{checked}> {html.escape(option)}</label>')
            parts.append("</fieldset>")
    parts.append("</div>")
    parts.append(f'<img class="dbx-picture" src="data:{spec["mime"]};base64,{spec["images"][img]}" '
                 f'alt="{html.escape(alt, quote=True)}">')
    note = spec.get("note") or ""
    parts.append(
        '<p class="dbx-note">On this website the explorer shows pictures its own code drew '
        "ahead of time for the control values offered here"
        + (f"; {html.escape(note)}" if note else "")
        + ". To recompute at any value, download this notebook (download button at the top of "
        "the page) and run it with <code>make lab</code>.</p>")
    data = json.dumps({"controls": spec["controls"], "mime": spec["mime"],
                       "images": spec["images"], "states": spec["states"]},
                      separators=(",", ":"))
    data = data.replace("</", "<\\/")
    parts.append(f'<script type="application/json" class="dbx-data">{data}</script>')
    parts.append("</div>")
    return "\n".join(parts)


def enabled() -> bool:
    """Whether displays should precompute their static states (``make execute``)."""
    return os.environ.get(ENV_FLAG, "") == "1"


class MystNbPlugin:
    """myst-nb mime renderer: an explorer's widget view becomes the static explorer on HTML pages.

    Registered as the ``myst_nb.mime_renderers`` entry point ``dreambook``. Other
    builders (LaTeX) fall through to the explorer's ``image/png`` picture.
    """

    mime_priority_overrides = ()

    @staticmethod
    def handle_mime(renderer, data, inline):
        from docutils import nodes

        spec = (data.output_metadata or {}).get(METADATA_KEY)
        if not spec or data.mime_type != "application/vnd.jupyter.widget-view+json":
            return None
        return [nodes.raw("", render_static_html(spec), format="html")]
