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


def test_every_noise_has_its_curve_and_the_mark_follows_the_choice(explorer):
    assert list(explorer.curves) == ["a", "b"]
    np.testing.assert_allclose(explorer.curves["a"].get_ydata(), [4, 2, 1.5, 1.1])
    explorer.update(noise="a", nu=32)
    assert explorer.mark.get_ydata()[0] == pytest.approx(1.1)
    assert explorer.curve is explorer.curves["a"]
    assert "'b' 1.00" in explorer.alt  # the other noise at the same nu, in the alt text


def test_explorer_rejects_a_wrong_shape_or_noise():
    with pytest.raises(ValueError):
        NoiseRatioExplorer(NUS, {"a": np.ones((3, 3))}, np.ones(3))
    with pytest.raises(ValueError, match="noise must be one of"):
        NoiseRatioExplorer(NUS, {"a": np.ones((4, 3))}, np.ones(3), noise="c")


def test_benchmark_cases_cover_the_slider_and_the_noise():
    (name, update, values), (name2, update2, values2) = benchmark_cases()
    assert name == "nce.nu" and len(values) == 9
    assert name2 == "nce.noise" and set(values2) == {"uniform", "data marginals"}
    update(values[3])
    update2(values2[1])
