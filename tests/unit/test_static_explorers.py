"""The static website's explorers show what the live explorer draws.

For every explorer class ``dreambook.widgets`` exports (one instance of each,
built as its module's ``benchmark_cases()`` builds it), its static grid is drawn
(on a reduced grid, to keep the test short) and a sample of states is compared
pixel for pixel with the picture the live explorer draws when a reader moves its
controls (or clicks its buttons) to that state. Explorers whose state cannot be
gridded by their controls alone (step counters: a slider over checkpoints
instead) must say so on the page (``static_note``), and the executed notebooks
must carry that note.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib
import inspect
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

import dreambook.widgets as widgets_pkg  # noqa: E402
from dreambook.widgets import EXPLORER_MODULES  # noqa: E402
from dreambook.widgets.base import Explorer  # noqa: E402
from dreambook.widgets.static import (METADATA_KEY, StaticControl, build_static,  # noqa: E402
                                      controls_from_widgets, decode_image, render_static_html)

from _explorer_moves import LIVE, live_default  # noqa: E402  (what a reader does to reach a state)


#: Every explorer class the package exports (the base class itself excluded).
EXPLORER_CLASSES = sorted(name for name in widgets_pkg.__all__
                          if inspect.isclass(getattr(widgets_pkg, name))
                          and issubclass(getattr(widgets_pkg, name), Explorer)
                          and getattr(widgets_pkg, name) is not Explorer)


@functools.lru_cache(maxsize=None)
def _built(module: str) -> tuple:
    """The explorers a module's benchmark_cases() builds (found in the callbacks), built once."""
    found = []
    for _name, update, _values in importlib.import_module(f"dreambook.widgets.{module}").benchmark_cases():
        cells = [c.cell_contents for c in (update.__closure__ or ())]
        for obj in cells + list(update.__defaults__ or ()):
            if isinstance(obj, Explorer) and all(obj is not f for f in found):
                found.append(obj)
    return tuple(found)


def _explorers(module: str) -> list:
    """The first explorer a module's benchmark_cases() builds."""
    return list(_built(module)[:1])


def _explorer_of_class(name: str):
    """One explorer of class ``name``, as its module's benchmark_cases() builds it."""
    module = getattr(widgets_pkg, name).__module__.rsplit(".", 1)[-1]
    assert module in EXPLORER_MODULES, f"{name} lives in {module}, which EXPLORER_MODULES leaves out"
    for explorer in _built(module):
        if type(explorer).__name__ == name:
            return explorer
    raise AssertionError(f"dreambook.widgets.{module}.benchmark_cases() builds no {name}")




def test_every_exported_explorer_is_covered():
    """The list below is the package's, not a copy: a new explorer class is tested automatically."""
    assert len(EXPLORER_CLASSES) >= 14, EXPLORER_CLASSES
    for name in ("CDExplorer", "EncoderExplorer", "UnlearningExplorer", "TemperatureExplorer",
                 "AISExplorer", "DreamGalleryExplorer", "PhasesExplorer", "SamplingExplorer",
                 "ReplayExplorer", "WakeSleepExplorer", "PathTemperatureExplorer",
                 "NoiseRatioExplorer", "LangevinExplorer", "BlockLengthExplorer"):
        assert name in EXPLORER_CLASSES
    # Every explorer module's explorers are exported (so none escapes the test below).
    for module in EXPLORER_MODULES:
        mod = importlib.import_module(f"dreambook.widgets.{module}")
        for attr, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, Explorer) and obj is not Explorer \
                    and obj.__module__ == mod.__name__:
                assert attr in EXPLORER_CLASSES, f"{mod.__name__}.{attr} is not exported"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPLORER_CLASSES)
def test_static_pictures_are_the_live_pictures(name):
    for explorer in [_explorer_of_class(name)]:
        assert type(explorer).__name__ == name
        before = decode_image(explorer.png)
        if name in LIVE:  # checkpoints: keep the grid short
            explorer.static_checkpoints = explorer.static_checkpoints[:3]
        else:  # a small grid: every choice, few values of each slider
            explorer.static_max_states = 6
            choices = [len(c.values) for c in explorer.static_controls() if c.kind == "choice"]
            explorer.static_max_states = max(6, 2 * int(np.prod(choices or [1])))
        grid = explorer.static_controls()
        spec = explorer.static_spec()
        # Drawing the grid leaves the explorer where it was.
        assert np.array_equal(decode_image(explorer.png), before), f"{name}: not restored"
        assert len(spec["states"]) == int(np.prod([len(c.values) for c in grid]))
        combos = list(itertools.product(*[range(len(c.values)) for c in grid]))
        rng = np.random.default_rng(0)
        sample = {0, len(combos) - 1, *rng.choice(len(combos), size=min(3, len(combos)), replace=False)}
        live = LIVE.get(name, live_default)
        for k in sorted(sample):
            values = {c.label: c.values[i] for c, i in zip(grid, combos[k])}
            image, alt = spec["states"][k]
            stored = decode_image(base64.b64decode(spec["images"][image]))
            drawn = decode_image(live(explorer, values))
            assert stored.shape == drawn.shape
            assert np.array_equal(stored, drawn), f"{name} at {values}: picture differs"
            assert alt == explorer.alt, f"{name} at {values}: alt text differs"


#: Explorers the website cannot grid by their live controls' own values (step counters,
#: driven by buttons): they offer a slider over stored checkpoints instead.
CHECKPOINT_CLASSES = [name for name in EXPLORER_CLASSES
                      if getattr(widgets_pkg, name).static_controls is not Explorer.static_controls]


def test_checkpoint_explorers_are_the_button_driven_ones():
    assert CHECKPOINT_CLASSES == ["PhasesExplorer", "UnlearningExplorer"]


@pytest.mark.parametrize("name", CHECKPOINT_CLASSES)
def test_explorers_not_gridded_by_their_controls_say_so(name):
    """A checkpoint grid (not the live controls' own values) is explained on the page."""
    cls = getattr(widgets_pkg, name)
    assert cls.static_note, f"{name} offers checkpoints on the website but no static_note says so"
    spec = {"controls": [{"label": "x", "labels": ["0"], "kind": "slider", "index": 0}],
            "mime": "image/webp", "images": ["AAAA"], "states": [[0, "a"]], "note": cls.static_note}
    assert html.escape(cls.static_note) in render_static_html(spec)
    # The executed chapters carry the note in every stored explorer of this class.
    stored = 0
    for path in sorted((Path(__file__).resolve().parents[2] / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                spec = output.get("metadata", {}).get(METADATA_KEY)
                text = "".join(output.get("data", {}).get("text/plain", ""))
                if spec is not None and text.startswith(f"{name}("):
                    stored += 1
                    assert spec["note"] == cls.static_note, f"{path.name}: {name} stored without its note"
    assert stored, f"no executed chapter stores a static {name}"


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
    # The page opens on the stored start (state 2, picture AAAA): picture BBBB is only in the data.
    markup, data_part = page.split('class="dbx-data">')
    assert "BBBB" not in markup and "BBBB" in data_part
    # T index 1, kind index 0 -> state 2 ("b0"), picture 0
    assert 'alt="b0"' in page and 'src="data:image/webp;base64,AAAA"' in page
    assert "a note" in page
    data = data_part.split("</script>")[0]
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
