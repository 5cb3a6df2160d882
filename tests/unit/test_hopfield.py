"""Hopfield networks: energy, mapping to {0,1}, dynamics, unlearning, bad inputs."""

import numpy as np
import pytest

from dreambook import exact
from dreambook import hopfield as hp
from dreambook.models import HopfieldNetwork


@pytest.fixture
def net():
    return HopfieldNetwork.hebbian(hp.random_patterns(3, 30, rng=0))


def test_hebbian_weights_are_symmetric_zero_diagonal_and_scaled():
    xi = hp.random_patterns(4, 10, rng=1)
    W = HopfieldNetwork.hebbian(xi).W
    expected = xi.T @ xi / 10
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(W, expected)
    assert np.array_equal(W, W.T)


def test_energy_matches_pair_sum(net):
    s = hp.random_patterns(5, 30, rng=2)
    iu = np.triu_indices(30, 1)
    pair = -np.array([np.sum(net.W[iu] * np.outer(x, x)[iu]) for x in s])
    np.testing.assert_allclose(net.energy(s), pair)
    assert isinstance(net.energy(s[0]), float)


def test_flip_changes_energy_by_twice_aligned_field(net):
    s = hp.random_patterns(1, 30, rng=3)[0]
    a = net.aligned_field(s)
    for i in range(30):
        t = s.copy()
        t[i] = -t[i]
        assert net.energy(t) - net.energy(s) == pytest.approx(2 * a[i])


def test_to_boltzmann_is_same_energy_up_to_constant():
    small = HopfieldNetwork.hebbian(hp.random_patterns(2, 5, rng=4))
    x = exact.all_states(5)
    gap = small.to_boltzmann(T=1.0).energy(x) - small.energy(2 * x - 1)
    np.testing.assert_allclose(gap, 0.5 * small.W.sum(), atol=1e-12)


def test_relax_reaches_fixed_points_and_never_raises_energy(net):
    starts = hp.random_patterns(50, 30, rng=5)
    ends, flips = hp.relax(net, starts, rng=6, return_flips=True)
    assert np.all(net.is_fixed_point(ends))
    assert np.all(net.energy(ends) <= net.energy(starts) + 1e-12)
    assert np.all((flips > 0) == np.any(ends != starts, axis=1))


def test_relax_is_reproducible_and_keeps_shape(net):
    start = hp.random_patterns(1, 30, rng=7)[0]
    a = hp.relax(net, start, rng=8)
    b = hp.relax(net, start, rng=8)
    assert a.shape == (30,) and np.array_equal(a, b)


def test_single_and_batched_relaxation_agree_on_fixed_points(net):
    starts = hp.random_patterns(20, 30, rng=9)
    ends = np.array([hp._relax_one(net.W, s, np.random.default_rng(0), net.tie_tolerance(), 1500)
                     for s in starts])
    assert np.all(net.is_fixed_point(ends))


def test_ties_keep_their_value():
    # Unit 2 has zero field in this state: a fixed point, and relax must not move it.
    W = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    net = HopfieldNetwork(W)
    s = np.array([1.0, 1.0, -1.0])
    assert net.is_fixed_point(s)
    assert np.array_equal(hp.relax(net, s, rng=0), s)


def test_corrupt_flips_exactly_n_bits():
    xi = hp.random_patterns(10, 50, rng=10)
    cues = hp.corrupt(xi, 7, rng=11)
    assert np.all((cues != xi).sum(axis=1) == 7)
    assert np.array_equal(hp.corrupt(xi, 0, rng=0), xi)


def test_few_patterns_are_stable_and_retrieved():
    xi = hp.random_patterns(3, 100, rng=12)
    net = HopfieldNetwork.hebbian(xi)
    assert hp.stable_fraction(net, xi) == 1.0
    assert hp.retrieval_rate(net, xi, rng=13, n_flips=10, cues_per_pattern=5) == 1.0


def test_exact_retrieval_never_exceeds_stable_fraction():
    xi = hp.random_patterns(40, 200, rng=14)
    net = HopfieldNetwork.hebbian(xi)
    assert hp.retrieval_rate(net, xi, 15, 20, 3) <= hp.stable_fraction(net, xi)
    assert hp.retrieval_rate(net, xi, 15, 20, 3, min_overlap=0.9) >= hp.retrieval_rate(net, xi, 15, 20, 3)


def test_hebbian_stable_fractions_matches_per_network_count():
    fast = hp.hebbian_stable_fractions(28, 200, 3, rng=3)
    rng = np.random.default_rng(3)
    xi = np.where(rng.random((3, 28, 200)) < 0.5, -1.0, 1.0)
    slow = [hp.stable_fraction(HopfieldNetwork.hebbian(x), x) for x in xi]
    np.testing.assert_allclose(fast, slow)


def test_dream_unlearns_in_place_with_zero_diagonal():
    xi = hp.random_patterns(10, 40, rng=16)
    net = HopfieldNetwork.hebbian(xi)
    W0 = net.W.copy()
    dreams = hp.dream_and_unlearn(net, rng=17, epsilon=0.05, n_dreams=3)
    assert dreams.shape == (3, 40) and np.all(np.abs(dreams) == 1)
    expected = W0 - 0.05 / 40 * sum(np.outer(d, d) for d in dreams)
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(net.W, expected)
    assert np.array_equal(net.W, net.W.T)


def test_match_patterns_finds_mirrors_and_spurious():
    xi = np.array([[1, -1, 1, 1], [1, 1, -1, -1]])
    idx, sign = hp.match_patterns([[1, -1, 1, 1], [-1, -1, 1, 1], [1, 1, 1, 1]], xi)
    assert idx.tolist() == [0, 1, -1] and sign.tolist() == [1, -1, 0]


# -- bad inputs -------------------------------------------------------------
def test_bad_weights_raise():
    with pytest.raises(ValueError, match="symmetric"):
        HopfieldNetwork([[0, 1], [2, 0]])
    with pytest.raises(ValueError, match="zero diagonal"):
        HopfieldNetwork([[1, 0], [0, 0]])


def test_states_must_be_spins(net):
    with pytest.raises(ValueError, match=r"-1 and \+1"):
        net.energy(np.zeros(30))
    with pytest.raises(ValueError, match="shape"):
        net.energy(np.ones(29))
    with pytest.raises(ValueError, match="patterns"):
        HopfieldNetwork.hebbian([[0, 1, 1]])
    with pytest.raises(TypeError, match="numeric"):
        net.energy(["a"] * 30)


def test_bad_arguments_name_themselves(net):
    xi = hp.random_patterns(2, 30, rng=0)
    with pytest.raises(TypeError, match="net"):
        hp.relax(net.W, xi, rng=0)
    with pytest.raises(TypeError, match="rng"):
        hp.relax(net, xi, rng=None)
    with pytest.raises(ValueError, match="n_flips"):
        hp.corrupt(xi, 31, rng=0)
    with pytest.raises(ValueError, match="epsilon"):
        hp.dream_and_unlearn(net, rng=0, epsilon=-0.1)
    with pytest.raises(TypeError, match="n_dreams"):
        hp.dream_and_unlearn(net, rng=0, n_dreams=1.5)
    with pytest.raises(ValueError, match="min_overlap"):
        hp.retrieval_rate(net, xi, 0, 3, min_overlap=1.5)
    with pytest.raises(ValueError, match="n_patterns"):
        hp.random_patterns(0, 10, rng=0)
    with pytest.raises(ValueError, match="T"):
        net.to_boltzmann(T=0)


def test_max_flips_guard(net):
    start = -hp.random_patterns(1, 30, rng=0)[0]
    ends, flips = hp.relax(net, start, rng=1, return_flips=True)
    if flips > 1:
        with pytest.raises(RuntimeError, match="max_flips"):
            hp.relax(net, start, rng=1, max_flips=1)


def test_dream_explorer_steps_and_resets():
    pytest.importorskip("ipywidgets")
    from dreambook.widgets import UnlearningExplorer

    e = UnlearningExplorer(n_units=40, n_patterns=8, n_starts=20)
    e.step(10)
    assert e.n_dreams == 10 and len(e.history) == 2
    assert 'alt="' in e.image.value and "10 dreams" in e.image.value
    e.step(0)
    assert e.n_dreams == 0 and len(e.history) == 1
