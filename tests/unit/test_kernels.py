"""Each fast kernel in ``dreambook._kernels`` tied to its readable twin (same random stream)."""

import numpy as np
import pytest

from dreambook import wake_sleep as ws
from dreambook.estimate import ais_log_partition, ais_log_weights, linear_betas
from dreambook.models import RBM, HelmholtzMachine
from dreambook.sampling import block_gibbs, sample_chains


@pytest.mark.parametrize("T", [1.0, 1.7])
def test_ais_kernel_matches_the_readable_ais(T):
    rbm = RBM.random(7, 4, rng=3, scale=1.0, T=T)
    b_A = np.random.default_rng(4).normal(size=7)
    betas = np.concatenate([linear_betas(30)[:20], np.linspace(0.7, 1.0, 12)])
    fast = ais_log_partition(rbm, 50, betas, rng=11, base_visible_bias=b_A)
    log_w, v = ais_log_weights(rbm, 50, betas, rng=11, base_visible_bias=b_A)
    np.testing.assert_allclose(fast.log_weights, log_w, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(fast.samples, v)
    assert np.ptp(log_w) > 0.1  # the weights really vary: the comparison is not between constants


def test_gibbs_kernel_matches_block_gibbs():
    rbm = RBM.random(6, 5, rng=0, scale=1.0, T=1.3)
    v0 = (np.random.default_rng(1).random((40, 6)) < 0.5).astype(float)
    for n_sweeps in (1, 4):
        fast = sample_chains(rbm, v0, n_sweeps, rng=9)
        readable, _ = block_gibbs(rbm, v0, n_sweeps, rng=9)
        np.testing.assert_array_equal(fast, readable)
        assert not np.array_equal(fast, v0)


class _ReplayedUniforms(np.random.Generator):
    """A Generator whose ``random`` hands out given uniforms, in order (to replay a stream)."""

    def __init__(self, uniforms):
        super().__init__(np.random.PCG64(0))
        self._queue = list(uniforms)

    def random(self, size=None, dtype=np.float64, out=None):
        u = self._queue.pop(0)
        assert u.shape == tuple(np.atleast_1d(size)), (u.shape, size)
        return u


def test_wake_sleep_train_is_wake_step_then_sleep_step():
    """``wake_sleep.train`` (its vectorised ``_run``) = ``wake_step`` then ``sleep_step`` per update.

    ``_run`` draws logistic noise z and switches a unit on when its logit a > z; the readable
    steps draw uniforms u and switch it on when u < sigmoid(a). With u = sigmoid(z) the two
    rules agree, so replaying ``_run``'s stream through the readable steps must give the
    same machine.
    """
    sizes, B, N, seed = (2, 3, 5), 4, 30, 21
    start = HelmholtzMachine.random(sizes, rng=0, scale=0.5)
    def sample_data(n, rng):
        return (rng.random((n, sizes[-1])) < 0.3).astype(float)

    fast = ws.train(start, n_updates=N, rng=seed, settings=ws.Schedule(batch_size=B, lr_start=0.5, lr_end=0.1),
                    sample_data=sample_data, record_every=N).model

    rng = np.random.default_rng(seed)  # the stream _run consumes (one chunk, one machine)
    data = np.asarray(sample_data(N * B, rng), dtype=float).reshape(N, B, sizes[-1])
    noise_q = [rng.logistic(size=(N, 1, B, s))[:, 0] for s in sizes[:-1]]
    noise_p = [rng.logistic(size=(N, 1, B, s))[:, 0] for s in sizes]
    lrs = ws.lr_schedule(N, 0.5, 0.1)
    sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    readable = start.copy()
    for i in range(N):
        wake = _ReplayedUniforms([sigmoid(noise_q[l][i]) for l in range(len(sizes) - 2, -1, -1)])
        ws.wake_step(readable, data[i], lrs[i], wake)
        sleep = _ReplayedUniforms([sigmoid(noise_p[l][i]) for l in range(len(sizes))])
        ws.sleep_step(readable, B, lrs[i], sleep)
    for key in ("generative_weights", "generative_biases", "recognition_weights", "recognition_biases"):
        for a, b in zip(getattr(fast, key), getattr(readable, key)):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert not np.allclose(fast.generative_weights[0], start.generative_weights[0])


@pytest.mark.parametrize("scan", ["sequential", "random", "probes"])
def test_lockstep_boltzmann_sweeps_match_gibbs_chain(scan):
    from dreambook._kernels.boltzmann import population_sweeps
    from dreambook.models import FullyVisibleBM
    from dreambook.sampling import _sweep_order, gibbs_chain

    models = [FullyVisibleBM.random(6, rng=k, scale=1.5, T=1.0) for k in range(3)]
    clamp = np.array([True, False, False, True, False, False])
    units = np.flatnonzero(~clamp)
    x0 = (np.random.default_rng(7).random((5, 6)) < 0.5).astype(float)
    n_sweeps, T = 6, 1.4
    rngs = [np.random.default_rng(100 + k) for k in range(3)]
    orders = np.empty((n_sweeps, 3, units.size), dtype=np.intp)
    uniforms = np.empty((n_sweeps, 3, 5, units.size))
    for m, rng in enumerate(rngs):  # the sampler's order of draws: per sweep, the order, then the uniforms
        for s in range(n_sweeps):
            orders[s, m] = _sweep_order(units, scan, rng)
            uniforms[s, m] = rng.random((5, units.size))
    x = np.repeat(x0[None], 3, axis=0)
    trace = np.empty((n_sweeps, 3, 5, 6))
    population_sweeps(np.stack([m.W for m in models]), np.stack([m.b for m in models]), x,
                      [T] * n_sweeps, orders, uniforms, trace)
    for m, model in enumerate(models):
        readable = gibbs_chain(model, x0, n_sweeps, rng=100 + m, T=T, scan=scan, clamp=clamp)
        np.testing.assert_array_equal(trace[:, m], readable)
    assert np.all(trace[:, :, :, clamp] == x0[None, None][..., clamp])  # clamped units never move
    assert len({trace[:, m].tobytes() for m in range(3)}) == 3  # the machines really differ
