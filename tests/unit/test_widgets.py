"""Explorers and figure helpers: they render, carry alt text, and leave no global state."""

import subprocess
import sys

import numpy as np
import pytest

from dreambook import exact
from dreambook.models import FullyVisibleBM
from dreambook.plotting import figure_to_html, new_figure, png_to_html, state_labels
from dreambook.widgets import PhasesExplorer, TemperatureExplorer, time_callback


def test_importing_dreambook_has_no_side_effects():
    code = (
        "import sys, dreambook, dreambook.exact, dreambook.sampling, dreambook.widgets, "
        "dreambook.plotting; "
        "print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_figure_html_has_alt_text_and_inline_png():
    fig = new_figure(2, 2)
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    html = figure_to_html(fig, 'A falling line "quoted"')
    assert html.startswith('<img src="data:image/png;base64,')
    assert 'alt="A falling line &quot;quoted&quot;"' in html


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_png_to_html_refuses_missing_alt(alt):
    with pytest.raises(ValueError, match="alt"):
        png_to_html(b"\x89PNG", alt)


def test_state_labels_match_enumeration_order():
    labels = state_labels(3)
    states = exact.all_states(3)
    assert [("".join(str(int(v)) for v in row)) for row in states] == labels


def test_temperature_explorer_shows_the_exact_distribution():
    model = FullyVisibleBM.random(3, rng=0)
    explorer = TemperatureExplorer(model, T=2.0)
    tempered = model.copy()
    tempered.T = 2.0
    heights = np.array([bar.get_height() for bar in explorer.bars])
    np.testing.assert_allclose(heights, exact.probabilities(tempered))
    before = explorer.image.value
    explorer.controls[0].value = 0.5  # moving the slider recomputes
    assert explorer.image.value != before
    assert "temperature 0.50" in explorer.image.value
    assert model.T == 1.0  # the explorer never changes the caller's model


def test_phases_explorer_steps_match_the_package():
    from dreambook import phases

    data = np.array([[1, 1, 0], [0, 1, 1]])
    explorer = PhasesExplorer(FullyVisibleBM.zeros(3), data, lr=0.5)
    reference = FullyVisibleBM.zeros(3)
    for kind, step in [("wake", lambda m: phases.positive_step(m, data, 0.5)),
                       ("dream", lambda m: phases.negative_step(m, 0.5)),
                       ("both", lambda m: phases.both_step(m, data, 0.5))]:
        explorer.step(kind)
        step(reference)
    np.testing.assert_allclose(explorer.model.W, reference.W)
    assert explorer.n_steps == {"wake": 1, "dream": 1, "both": 1}
    explorer.step("reset")
    np.testing.assert_array_equal(explorer.model.W, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="kind"):
        explorer.step("nap")


def test_time_callback_reports_every_call():
    calls = []
    stats = time_callback(calls.append, [1, 2, 3], repeat=2)
    assert calls == [1, 2, 3, 1, 2, 3]
    assert stats["n_calls"] == 6 and 0 <= stats["median_ms"] <= stats["p95_ms"]
    with pytest.raises(ValueError, match="repeat"):
        time_callback(calls.append, [1], repeat=0)
