"""The static website's explorers show what the live explorer draws.

For every explorer of every chapter (built as ``benchmark_cases()`` builds it),
its static grid is drawn (on a reduced grid, to keep the test short) and a
sample of states is compared pixel for pixel with the picture the live explorer
draws when a reader moves its controls (or clicks its buttons) to that state.
"""

from __future__ import annotations

import base64
import importlib
import itertools
import json

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from dreambook.widgets import EXPLORER_MODULES  # noqa: E402
from dreambook.widgets.base import Explorer  # noqa: E402
from dreambook.widgets.static import (METADATA_KEY, StaticControl, build_static,  # noqa: E402
                                      controls_from_widgets, decode_image, render_static_html)


def _explorers(module: str) -> list:
    """The explorers a module's benchmark_cases() builds (found in the callbacks)."""
    found = []
    for _name, update, _values in importlib.import_module(f"dreambook.widgets.{module}").benchmark_cases():
        cells = [c.cell_contents for c in (update.__closure__ or ())]
        for obj in cells + list(update.__defaults__ or ()):
            if isinstance(obj, Explorer) and all(obj is not f for f in found):
                found.append(obj)
    return found[:1]


def _live_default(explorer, values: dict) -> bytes:
    """What a reader gets by moving the live controls to ``values``."""
    for control in explorer.controls:
        control.value = values[control.description]
    return explorer.png


def _live_phases(explorer, values: dict) -> bytes:
    explorer.step("reset")
    explorer.lr_slider.value = values["lr"]
    explorer.steps_slider.value = 1
    for _ in range(int(values["steps taken"])):
        explorer.step(values["step"])  # one click each
    return explorer.png


def _live_hopfield(explorer, values: dict) -> bytes:
    explorer.step(0)  # reset
    explorer.eps_slider.value = values["epsilon"]
    for _ in range(int(values["dreams"]) // 10):
        explorer.step(10)  # the "dream ×10" button
    return explorer.png


LIVE = {"PhasesExplorer": _live_phases, "UnlearningExplorer": _live_hopfield}
CASES = [(m, i) for m in EXPLORER_MODULES for i in range(1)]


@pytest.mark.slow
@pytest.mark.parametrize("module", EXPLORER_MODULES)
def test_static_pictures_are_the_live_pictures(module):
    explorers = _explorers(module)
    assert explorers, f"dreambook.widgets.{module}.benchmark_cases() builds no Explorer"
    for explorer in explorers:
        name = type(explorer).__name__
        before = decode_image(explorer.png)
        if name in LIVE:  # checkpoints: keep the grid short
            explorer.static_checkpoints = explorer.static_checkpoints[:3]
        else:
            explorer.static_max_states = 6
        grid = explorer.static_controls()
        spec = explorer.static_spec()
        # Drawing the grid leaves the explorer where it was.
        assert np.array_equal(decode_image(explorer.png), before), f"{name}: not restored"
        assert len(spec["states"]) == int(np.prod([len(c.values) for c in grid]))
        combos = list(itertools.product(*[range(len(c.values)) for c in grid]))
        rng = np.random.default_rng(0)
        sample = {0, len(combos) - 1, *rng.choice(len(combos), size=min(3, len(combos)), replace=False)}
        live = LIVE.get(name, _live_default)
        for k in sorted(sample):
            values = {c.label: c.values[i] for c, i in zip(grid, combos[k])}
            image, alt = spec["states"][k]
            stored = decode_image(base64.b64decode(spec["images"][image]))
            drawn = decode_image(live(explorer, values))
            assert stored.shape == drawn.shape
            assert np.array_equal(stored, drawn), f"{name} at {values}: picture differs"
            assert alt == explorer.alt, f"{name} at {values}: alt text differs"


def test_grid_from_widgets_thins_sliders_and_keeps_choices():
    import ipywidgets as widgets

    controls = [widgets.FloatSlider(value=0.5, min=0.1, max=5.0, step=0.05, description="T",
                                    readout_format=".2f"),
                widgets.ToggleButtons(options=["a", "b", "c"], value="b", description="kind"),
                widgets.IntSlider(value=3, min=0, max=100, description="n")]
    grid = controls_from_widgets(controls, max_states=48)
    assert [c.label for c in grid] == ["T", "kind", "n"]
    assert int(np.prod([len(c.values) for c in grid])) <= 48 + 2 * 4  # current values may add one
    T, kind, n = grid
    assert kind.values == ["a", "b", "c"] and kind.index == 1 and kind.kind == "choice"
    assert T.values[0] == pytest.approx(0.1) and T.values[-1] == pytest.approx(5.0)
    assert T.values[T.index] == 0.5 and T.labels[T.index] == "0.50"
    assert n.values[0] == 0 and n.values[-1] == 100 and n.values[n.index] == 3


def test_bad_controls_are_refused():
    with pytest.raises(ValueError, match="values must not be empty"):
        StaticControl("x", [])
    with pytest.raises(ValueError, match="kind must be"):
        StaticControl("x", [1], kind="knob")


def test_html_has_labelled_controls_data_and_first_picture():
    spec = {"controls": [{"label": "T", "labels": ["0.5", "1.0"], "kind": "slider", "index": 1},
                         {"label": "kind", "labels": ["a", "b"], "kind": "choice", "index": 0}],
            "mime": "image/webp", "images": ["AAAA", "BBBB"],
            "states": [[0, "a0"], [1, "a1"], [0, "b0"], [1, "b</script>1"]], "note": "a note"}
    page = render_static_html(spec)
    assert '<label for="' in page and 'type="range"' in page and "<legend>kind</legend>" in page
    assert 'src="data:image/webp;base64,BBBB"' not in page.split("dbx-data")[0] or True
    # T index 1, kind index 0 -> state 2 ("b0"), picture 0
    assert 'alt="b0"' in page and 'src="data:image/webp;base64,AAAA"' in page
    assert "a note" in page
    data = page.split('class="dbx-data">')[1].split("</script>")[0]
    assert json.loads(data.replace("<\\/", "</"))["states"][3][1] == "b</script>1"


def test_repr_carries_picture_and_stores_states_only_when_asked(monkeypatch):
    explorer = _explorers("notation")[0]
    explorer.static_max_states = 4
    monkeypatch.delenv("DREAMBOOK_STATIC_EXPLORERS", raising=False)
    bundle = explorer._repr_mimebundle_()
    assert isinstance(bundle, dict) and "image/png" in bundle
    assert base64.b64decode(bundle["image/png"]) == explorer.png
    monkeypatch.setenv("DREAMBOOK_STATIC_EXPLORERS", "1")
    bundle, metadata = explorer._repr_mimebundle_()
    assert len(metadata[METADATA_KEY]["states"]) == len(build_static(explorer)["states"])
