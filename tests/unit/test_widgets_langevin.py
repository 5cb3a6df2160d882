"""The chapter-9 Langevin explorer draws the chains and distances it is given."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from dreambook import langevin  # noqa: E402
from dreambook.widgets.langevin import LangevinExplorer, benchmark_cases  # noqa: E402

STEPS = [0, 3, 10]


@pytest.fixture(scope="module")
def studies():
    ring = langevin.IsotropicGaussianMixture.ring(8, radius=2.0, s=0.25)
    out = {}
    for name, scale in [("exact", 1.0), ("short-run", -1.0)]:
        model = langevin.RBFEnergy.on_grid(4, half_side=3.0, n_grid=24)
        model.theta = scale * np.linspace(-1, 1, model.theta.size)
        out[name] = {"noise": langevin.chain_study(model, ring, np.random.default_rng(0).uniform(-3, 3, (50, 2)),
                                                   STEPS, 0.1, rng=1),
                     "persistent chains": langevin.chain_study(model, ring, ring.sample(50, rng=2), STEPS, 0.1,
                                                               rng=3)}
    return ring, out


@pytest.fixture(scope="module")
def explorer(studies):
    ring, s = studies
    return LangevinExplorer(s, ring.means, 3.0, trained_steps=3, floor=0.1)


def test_explorer_draws_the_chosen_chains_and_curves(explorer, studies):
    _, s = studies
    explorer.update(energy="short-run", start="persistent chains", K=10)
    study = s["short-run"]["persistent chains"]
    np.testing.assert_array_equal(explorer.dots.get_offsets(), study.snapshots[2])
    np.testing.assert_allclose(explorer.to_ring.get_ydata(), study.tv_data)
    np.testing.assert_allclose(explorer.to_model.get_ydata(), study.tv_model)
    np.testing.assert_allclose(explorer.mark.get_xdata(), [2, 2])
    np.testing.assert_allclose(explorer.mark.get_ydata(), [study.tv_data[2], study.tv_model[2]])
    assert explorer.shading["short-run"].get_visible() and not explorer.shading["exact"].get_visible()
    assert "K = 10 steps from the persistent chains" in explorer.alt
    assert f"{study.tv_data[2]:.2f}" in explorer.alt and 'alt="' in explorer.image.value


def test_first_state_is_the_training_length(explorer, studies):
    ring, s = studies
    fresh = LangevinExplorer(s, ring.means, 3.0, trained_steps=3, floor=0.1, energy="short-run")
    assert fresh.values() == {"energy": "short-run", "start": "noise", "K": 3}
    assert "K = 3 steps from uniform noise" in fresh.alt


def test_same_state_same_picture(explorer):
    explorer.update(energy="exact", start="noise", K=3)
    first = explorer.png
    explorer.update(energy="short-run", start="noise", K=0)
    explorer.update(energy="exact", start="noise", K=3)
    assert explorer.png == first


def test_controls_drive_the_picture(explorer):
    explorer.energy.value, explorer.start.value, explorer.K.value = "exact", "noise", 0
    before = explorer.png
    explorer.K.value = 10  # what a reader's slider does
    assert explorer.png != before and "K = 10" in explorer.alt
    assert [c.description for c in explorer.controls] == ["energy", "start", "K"]
    assert explorer.energy.options[0][0] == "trained with exact negatives"


def test_explorer_rejects_bad_studies(studies):
    ring, s = studies
    with pytest.raises(ValueError, match="trained_steps"):
        LangevinExplorer(s, ring.means, 3.0, trained_steps=20, floor=0.1)
    with pytest.raises(ValueError, match="starts"):
        LangevinExplorer({"a": s["exact"], "b": {"noise": s["exact"]["noise"]}}, ring.means, 3.0, 3, 0.1)
    with pytest.raises(TypeError, match="ChainStudy"):
        LangevinExplorer({"a": {"noise": np.zeros(3)}}, ring.means, 3.0, 3, 0.1)
    with pytest.raises(ValueError, match="energy must be one of"):
        LangevinExplorer(s, ring.means, 3.0, 3, 0.1, energy="long-run")
    with pytest.raises(ValueError, match="K must be one of"):
        LangevinExplorer(s, ring.means, 3.0, 3, 0.1, K=4)
    with pytest.raises(ValueError, match="studies must map"):
        LangevinExplorer({}, ring.means, 3.0, 3, 0.1)
    short = langevin.chain_study(langevin.RBFEnergy.on_grid(4, 3.0, n_grid=24), ring, np.zeros((50, 2)),
                                 [0, 3], 0.1, rng=0)
    with pytest.raises(ValueError, match="step counts"):
        LangevinExplorer({"a": {"noise": s["exact"]["noise"], "persistent chains": short}},
                         ring.means, 3.0, 3, 0.1)


def test_benchmark_cases_cover_the_slider():
    (name, update, values), (name2, update2, values2) = benchmark_cases()
    assert name == "langevin.K" and values[0] == 0 and 20 in values
    update(values[-1])
    assert name2 == "langevin.energy" and set(values2) == {"exact", "short-run"}
    update2(values2[0])
