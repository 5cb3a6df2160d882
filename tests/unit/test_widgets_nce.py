"""The chapter-9 explorer draws the NCE errors it is given."""

import numpy as np
import pytest

from dreambook.widgets.nce import NoiseRatioExplorer, benchmark_cases

pytest.importorskip("ipywidgets")

NUS = [0.5, 2, 8, 32]


@pytest.fixture(scope="module")
def explorer():
    ml = np.array([1.0, 2.0, 3.0])
    nce = {"a": np.outer([4, 2, 1.5, 1.1], ml), "b": np.outer([8, 4, 2, 1], ml)}
    return NoiseRatioExplorer(NUS, nce, ml)


def test_explorer_draws_the_chosen_errors(explorer):
    explorer.update(noise="b", nu=8)
    np.testing.assert_allclose(explorer.dots.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(explorer.dots.get_ydata(), [2, 4, 6])
    np.testing.assert_allclose(explorer.curve.get_ydata(), [8, 4, 2, 1])
    assert explorer.mark.get_ydata()[0] == pytest.approx(2.0)
    assert 'alt="' in explorer.image.value and "nu = 8" in explorer.image.value


def test_explorer_rejects_a_wrong_shape():
    with pytest.raises(ValueError):
        NoiseRatioExplorer(NUS, {"a": np.ones((3, 3))}, np.ones(3))


def test_benchmark_cases_cover_the_slider():
    (name, update, values), = benchmark_cases()
    assert name == "nce.nu" and len(values) == 9
    update(values[3])
