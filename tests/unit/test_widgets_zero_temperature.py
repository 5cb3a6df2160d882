"""The chapter-10 explorer draws what dreambook.irl computes."""

import numpy as np
import pytest

from dreambook import irl
from dreambook.widgets.zero_temperature import (CHAPTER_TERRAIN, CHAPTER_THETA,
                                                PathTemperatureExplorer, benchmark_cases)

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def explorer():
    world = irl.make_terrain_world(CHAPTER_TERRAIN, (0, 0), (4, 5), horizon=12)
    return PathTemperatureExplorer(world, CHAPTER_THETA, T=1.0, feature_names=["grass", "water"])


def test_explorer_shows_exact_visits(explorer):
    explorer.update(T=0.7)
    D = irl.visitation(explorer.world, CHAPTER_THETA, 0.7)
    np.testing.assert_allclose(explorer.discs.get_sizes(), explorer._disc_scale * D[1:].sum(axis=0).ravel())
    heights = [b.get_height() for b in explorer.bars]
    np.testing.assert_allclose(heights, irl.expected_features(explorer.world, CHAPTER_THETA, 0.7))
    assert 'alt="' in explorer.image.value and "T = 0.70" in explorer.image.value


def test_explorer_at_zero_temperature_shows_the_best_path(explorer):
    explorer.update(T=0.0)
    visits = explorer.discs.get_sizes() / explorer._disc_scale
    assert visits.sum() == pytest.approx(explorer.world.horizon)
    assert "single best path" in explorer.image.value


def test_benchmark_cases_cover_the_slider():
    (name, update, values), = benchmark_cases()
    assert name == "zero_temperature.T" and values[0] == 0.0 and values[-1] == 2.0
    update(0.35)
