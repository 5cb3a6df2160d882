"""The chapter-9 block-length explorer draws the stored Forward-Forward runs it is given."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from dreambook.widgets.forward_forward import BlockLengthExplorer, benchmark_cases  # noqa: E402

BLOCKS = [0, 1, 4]
CONDITIONS = [(0.1, 0.9), (0.01, 0.99)]
# (condition, B, seed): the first setting collapses from B = 4, the second never
ERRORS = np.array([[[0.05, 0.07], [0.06, 0.04], [0.9, 0.88]],
                   [[0.10, 0.12], [0.11, 0.13], [0.09, 0.11]]])


@pytest.fixture(scope="module")
def explorer():
    return BlockLengthExplorer(BLOCKS, CONDITIONS, ERRORS)


def test_explorer_draws_the_chosen_runs(explorer):
    explorer.update(setting=0, B=4)
    np.testing.assert_allclose(explorer.seed_dots.get_offsets(), [[2, 90], [2, 88]])
    np.testing.assert_allclose(explorer.mark.get_ydata(), [89])
    np.testing.assert_allclose(explorer.strip_median.get_ydata(), [89, 10])
    np.testing.assert_allclose(np.sort(explorer.strip.get_offsets()[:, 1]), [9, 11, 88, 90])
    assert "B = 4" in explorer.alt and "median 89.0 %" in explorer.alt and "chance is 90 %" in explorer.alt
    explorer.update(setting=1, B=0)
    np.testing.assert_allclose(explorer.seed_dots.get_offsets(), [[0, 10], [0, 12]])
    assert 'alt="' in explorer.image.value


def test_controls_offer_every_setting_and_block_length(explorer):
    assert [v for _, v in explorer.condition.options] == [0, 1]
    assert [v for _, v in explorer.B.options] == BLOCKS
    assert explorer.B.options[0][0] == "0 (together)"


@pytest.mark.parametrize("kwargs, match", [
    ({"block_lengths": [0, 4, 1]}, "increasing"),
    ({"conditions": [[0.1, 0.9, 1.0], [0.01, 0.99, 1.0]]}, "shape"),
    ({"test_error": ERRORS[:, :2]}, "shape"),
    ({"test_error": ERRORS * 100}, "between 0 and 1"),
    ({"B": 2}, "B must be one of"),
    ({"condition": 5}, "condition must be"),
])
def test_bad_input_is_refused(kwargs, match):
    args = {"block_lengths": BLOCKS, "conditions": CONDITIONS, "test_error": ERRORS, **kwargs}
    with pytest.raises(ValueError, match=match):
        BlockLengthExplorer(**args)


def test_the_stored_runs_can_be_shown():
    stored = np.load(Path(__file__).resolve().parents[2] / "book" / "data" / "ch09_forward_forward.npz")
    e = BlockLengthExplorer(stored["block_lengths"], stored["conditions"], stored["block_test_error"])
    e.update(setting=2, B=8)
    assert e.mark.get_ydata()[0] == pytest.approx(100 * np.median(stored["block_test_error"][2, 4]))


def test_benchmark_cases_cover_both_controls():
    (name, update, values), (name2, update2, values2) = benchmark_cases()
    assert name == "ff.B" and set(values) == {0, 1, 2, 4, 8, 16, 64}
    assert name2 == "ff.setting" and set(values2) == {0, 1, 2}
    update(values[3])
    update2(values2[2])
