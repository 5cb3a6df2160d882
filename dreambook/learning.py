r"""Learning rules: exact maximum likelihood, CD-k, PCD, FPCD (one gradient estimate each).

Every gradient here is an **ascent direction** for the mean log-likelihood
:math:`\frac1m\sum_k \log p(v^{(k)})` of a model :math:`p(x) \propto \exp(-E(x)/T)`,
returned as a dictionary keyed like ``model.params``. For an RBM with
:math:`E(v,h) = -v^\top W h - b^\top v - c^\top h`,

.. math::

    \frac{\partial}{\partial W}\,\frac1m\sum_k \log p(v^{(k)})
    = \frac1T\Big(\underbrace{\langle v h^\top\rangle_{\rm data}}_{\text{positive phase}}
    - \underbrace{\langle v h^\top\rangle_{\rm model}}_{\text{negative phase}}\Big),

i.e. *positive phase minus negative phase*, divided by the temperature; in
the positive phase the hidden units are driven by data
(:math:`h \sim p(h \mid v^{(k)})`), in the negative phase :math:`(v, h)` come
from the model. The estimators differ only in the negative phase:

* :func:`exact_gradient` -- enumerates the model (small models only);
* :func:`cd_gradient` -- CD-k (Hinton 2002): *k* steps of block Gibbs sampling
  started at the data;
* :func:`pcd_gradient` -- PCD (Tieleman 2008): persistent chains that are
  never restarted;
* :func:`fpcd_gradient` -- FPCD (Tieleman & Hinton 2009): persistent chains
  run on the regular parameters plus quickly decaying *fast* parameters.

:func:`expected_cd_gradient` computes the *expected* CD-k update exactly,
from the chain distributions of :mod:`dreambook.markov`. The loops that
apply these estimates update after update (with the practical guide's
momentum, weight decay and visible-bias initialisation,
:func:`init_visible_bias`) are in :mod:`dreambook.training`; its fast kernels
reproduce the readable estimators here on the same random stream (a test
checks this).

References
----------
G. E. Hinton (2002), Training products of experts by minimizing contrastive
divergence, *Neural Computation* 14, 1771-1800.
T. Tieleman (2008), Training restricted Boltzmann machines using
approximations to the likelihood gradient, *ICML*.
T. Tieleman & G. E. Hinton (2009), Using fast weights to improve persistent
contrastive divergence, *ICML*.
G. E. Hinton (2010), A practical guide to training restricted Boltzmann
machines, UTML TR 2010-003.
"""

from __future__ import annotations

import numpy as np

from . import exact
from ._validation import (
    as_generator,
    check_binary,
    check_choice,
    check_finite_array,
    check_int,
    check_real,
    check_model,
    check_positive_float,
    check_positive_int,
)
from .markov import MICROSCOPE_MAX_UNITS, cd_chain_distributions
from .models import RBM
from .states import all_states

__all__ = [
    "exact_gradient",
    "cd_gradient",
    "pcd_gradient",
    "fpcd_gradient",
    "expected_cd_gradient",
    "init_visible_bias",
    "check_statistics",
    "weighted_statistics",
    "positive_minus_negative",
    "stationary_point",
]

STATISTICS = ("hidden_probs", "sampled", "mean_field")


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def _check_rbm(rbm, name: str = "rbm") -> RBM:
    return check_model(rbm, RBM, name)


def _check_chains(chains, n_hidden: int) -> np.ndarray:
    return check_binary(chains, "chains", n_units=n_hidden, allow_1d=False)


def check_statistics(statistics, method: str) -> str:
    """``statistics`` validated for ``method`` (one of ``STATISTICS``; ``"mean_field"`` only for CD)."""
    statistics = check_choice(statistics, "statistics", STATISTICS)
    if statistics == "mean_field" and method != "cd":
        raise ValueError(
            "statistics='mean_field' (probabilities for the last visible update) is defined "
            f"only for method='cd', got method={method!r}; persistent chains must stay binary"
        )
    return statistics


# ---------------------------------------------------------------------------
# Gradient estimators (readable reference versions)
# ---------------------------------------------------------------------------
def _sample(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Binary sample with P(x = 1) = p, elementwise (float64 0/1), as ``RBM.sample_hidden``."""
    return (rng.random(p.shape) < p).astype(np.float64)


def _phase_difference(rbm: RBM, v_pos, h_pos, v_neg, h_neg) -> dict:
    """(positive statistics - negative statistics) / T, keyed like ``rbm.params``."""
    positive = rbm.sufficient_statistics(v_pos, h_pos)
    negative = rbm.sufficient_statistics(v_neg, h_neg)
    return {key: (positive[key] - negative[key]) / rbm.T for key in rbm.params}


def exact_gradient(model, data, max_units=None) -> dict:
    r"""Exact gradient of the mean log-likelihood (ascent direction), keyed like ``model.params``.

    A thin wrapper of :func:`dreambook.exact.log_likelihood_gradient`:
    ``(data_statistics - model_statistics) / T``, with the negative phase
    computed by enumeration. Works for :class:`~dreambook.models.RBM`,
    :class:`~dreambook.models.FullyVisibleBM` and
    :class:`~dreambook.models.BoltzmannMachine`.

    Examples
    --------
    >>> rbm = RBM.zeros(3, 2)
    >>> g = exact_gradient(rbm, [[1, 1, 1]])
    >>> g["b"]          # data always on, model at 1/2: push the visible biases up
    array([0.5, 0.5, 0.5])
    """
    return exact.log_likelihood_gradient(model, data, max_units=max_units)


def cd_gradient(rbm, v, k, rng, *, statistics="hidden_probs") -> dict:
    r"""Contrastive divergence CD-k estimate of the log-likelihood gradient (Hinton 2002).

    Starting from the data :math:`v^{(0)} = v`, run *k* steps of block Gibbs
    sampling :math:`h^{(t)} \sim p(h \mid v^{(t)})`,
    :math:`v^{(t+1)} \sim p(v \mid h^{(t)})` and replace the model expectation
    by the statistics of :math:`v^{(k)}`:

    .. math::

        \Delta W \propto \frac1T\Big(\langle v^{(0)} h^{(0)\top}\rangle
        - \langle v^{(k)} h^{(k)\top}\rangle\Big).

    As :math:`k \to \infty` the estimate becomes unbiased.

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (m, n_visible)
        A minibatch of data.
    k : int
        Number of Gibbs steps, >= 1.
    rng : numpy.random.Generator or int
        Source of randomness (required).
    statistics : {"hidden_probs", "sampled", "mean_field"}
        Which numbers enter the statistics (Hinton 2010, sec. 3):

        * ``"hidden_probs"`` (default): hidden *probabilities*
          :math:`p(h_j = 1 \mid v)` in both phases, binary visible states;
          this is the Rao-Blackwellised, lower-variance form of the same
          estimator.
        * ``"sampled"``: binary samples everywhere; :math:`h^{(0)}` is the
          sample that starts the chain.
        * ``"mean_field"``: in addition, the last visible update uses the
          probabilities :math:`p(v_i = 1 \mid h^{(k-1)})` instead of a sample
          (the practical guide's recipe; slightly biased, less noisy).

    Returns
    -------
    dict
        ``{"W": (n_visible, n_hidden), "b": (n_visible,), "c": (n_hidden,)}``,
        positive minus negative phase, divided by ``rbm.T``.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0, scale=0.1)
    >>> g = cd_gradient(rbm, [[1, 0, 1, 0], [0, 1, 0, 1]], k=1, rng=0)
    >>> sorted(g), g["W"].shape
    (['W', 'b', 'c'], (4, 3))
    """
    _check_rbm(rbm)
    v = check_binary(v, "v", n_units=rbm.n_visible)
    k = check_positive_int(k, "k")
    rng = as_generator(rng)
    statistics = check_statistics(statistics, "cd")

    p_h0 = rbm.hidden_probs(v)  # positive phase: hidden units driven by data
    h0 = _sample(p_h0, rng)
    # the chain starts at the data's hidden sample; the last hidden state is drawn only if used
    v_k, p_hk, h = _negative_phase(rbm, h0, k, rng, sample_last_hidden=statistics == "sampled",
                                   mean_field_last=statistics == "mean_field")
    if statistics == "sampled":
        return _phase_difference(rbm, v, h0, v_k, h)
    return _phase_difference(rbm, v, p_h0, v_k, p_hk)


def _negative_phase(chain_rbm: RBM, h, k: int, rng, *, sample_last_hidden=True, mean_field_last=False):
    r"""Advance hidden-state chains k block Gibbs steps, h -> v -> h; return (v_k, p(h | v_k), last h).

    Each step draws :math:`v \sim p(v \mid h)` (the mean field :math:`p(v \mid h)` itself at
    the last step if ``mean_field_last``), then :math:`h \sim p(h \mid v)`; the last hidden
    draw is skipped unless ``sample_last_hidden`` (CD with probabilities needs none; the
    persistent chains keep it), so the random stream is the kernels' own.
    """
    for step in range(k):
        last = step == k - 1
        p_v = chain_rbm.visible_probs(h)
        v_k = p_v if (last and mean_field_last) else _sample(p_v, rng)
        p_hk = chain_rbm.hidden_probs(v_k)
        if not last or sample_last_hidden:
            h = _sample(p_hk, rng)
    return v_k, p_hk, h


def pcd_gradient(rbm, v, chains, k, rng, *, statistics="hidden_probs"):
    r"""Persistent contrastive divergence estimate (Tieleman 2008); returns ``(grad, new_chains)``.

    The negative phase comes from persistent Markov chains ("fantasy
    particles") that continue from where the previous update left them,
    instead of restarting at the data. Because the parameters change slowly,
    the chains stay close to the model distribution and the estimate
    approaches the true gradient for small learning rates.

    The chains are stored as **hidden** states, as in scikit-learn: each of
    the *k* steps draws :math:`v \sim p(v \mid h)`, then
    :math:`h \sim p(h \mid v)`; the negative statistics use the last
    :math:`v` and :math:`p(h \mid v)`. (A visible fantasy is one half-step
    away: ``rbm.sample_visible(chains, rng)``.)

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (m, n_visible)
        A minibatch of data.
    chains : array_like of 0/1, shape (n_chains, n_hidden)
        Hidden states of the persistent chains (e.g. zeros to start).
    k : int
        Gibbs steps per update.
    rng : numpy.random.Generator or int
    statistics : {"hidden_probs", "sampled"}
        As in :func:`cd_gradient` (``"mean_field"`` would feed real-valued
        states back into the chains and is refused).

    Returns
    -------
    grad : dict
        Positive minus negative phase, divided by ``rbm.T``.
    new_chains : ndarray, shape (n_chains, n_hidden)
        Pass these to the next call.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0)
    >>> chains = np.zeros((5, 3))
    >>> g, chains = pcd_gradient(rbm, [[1, 0, 1, 0]], chains, k=1, rng=0)
    >>> chains.shape
    (5, 3)
    """
    _check_rbm(rbm)
    v = check_binary(v, "v", n_units=rbm.n_visible)
    chains = _check_chains(chains, rbm.n_hidden)
    k = check_positive_int(k, "k")
    rng = as_generator(rng)
    statistics = check_statistics(statistics, "pcd")
    return _persistent_gradient(rbm, rbm, v, chains, k, rng, statistics)


def _persistent_gradient(rbm, chain_rbm, v, chains, k, rng, statistics):
    v_neg, p_h_neg, new_chains = _negative_phase(chain_rbm, chains, k, rng)
    p_h_pos = rbm.hidden_probs(v)
    if statistics == "sampled":
        h_pos = _sample(p_h_pos, rng)
        return _phase_difference(rbm, v, h_pos, v_neg, new_chains), new_chains
    return _phase_difference(rbm, v, p_h_pos, v_neg, p_h_neg), new_chains


def fpcd_gradient(rbm, v, chains, fast, k, rng, *, statistics="hidden_probs"):
    r"""Fast-weights PCD estimate (Tieleman & Hinton 2009); returns ``(grad, new_chains)``.

    The persistent chains run on the parameters :math:`\theta + \theta_{\rm fast}`,
    the positive phase uses the regular :math:`\theta`. After each update the
    caller moves the fast parameters by

    .. math::

        \theta_{\rm fast} \leftarrow 0.95\,\theta_{\rm fast} + \eta_{\rm fast}\,\hat g,

    so they quickly raise the energy of wherever the chains are, pushing the
    chains on (better mixing), and decay away. :func:`train_rbm` with
    ``method="fpcd"`` does this bookkeeping.

    Parameters
    ----------
    rbm : RBM
    v : array_like of 0/1, shape (m, n_visible)
    chains : array_like of 0/1, shape (n_chains, n_hidden)
        Hidden states of the persistent chains.
    fast : dict
        Fast parameters ``{"W", "b", "c"}`` with the shapes of ``rbm.params``.
    k, rng, statistics
        As in :func:`pcd_gradient`.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0)
    >>> fast = {key: np.zeros_like(value) for key, value in rbm.params.items()}
    >>> g, chains = fpcd_gradient(rbm, [[1, 0, 1, 0]], np.zeros((2, 3)), fast, k=1, rng=0)
    >>> g["c"].shape
    (3,)
    """
    _check_rbm(rbm)
    v = check_binary(v, "v", n_units=rbm.n_visible)
    chains = _check_chains(chains, rbm.n_hidden)
    if not isinstance(fast, dict) or set(fast) != {"W", "b", "c"}:
        raise TypeError("fast must be a dict with keys 'W', 'b', 'c' like rbm.params")
    fast_arrays = {
        key: check_finite_array(fast[key], f"fast[{key!r}]", shape=rbm.params[key].shape)
        for key in ("W", "b", "c")
    }
    k = check_positive_int(k, "k")
    rng = as_generator(rng)
    statistics = check_statistics(statistics, "fpcd")
    chain_rbm = RBM(rbm.W + fast_arrays["W"], rbm.b + fast_arrays["b"], rbm.c + fast_arrays["c"], T=rbm.T)
    return _persistent_gradient(rbm, chain_rbm, v, chains, k, rng, statistics)


# ---------------------------------------------------------------------------
# Practical-guide helpers
# ---------------------------------------------------------------------------
def init_visible_bias(data, eps=0.01) -> np.ndarray:
    r"""Visible biases :math:`b_i = \log\big(p_i / (1 - p_i)\big)` from the data (Hinton 2010, sec. 8).

    :math:`p_i` is the fraction of training vectors in which unit *i* is on,
    clipped to :math:`[\epsilon, 1 - \epsilon]` so that units that are always
    off (or on) get a large finite bias. With :math:`W = 0` this makes the
    model's visible marginals equal the data's: the "base-rate" model.

    Parameters
    ----------
    data : array_like of 0/1, shape (m, n_visible)
    eps : float, default 0.01
        Clipping level, in (0, 0.5).

    Examples
    --------
    >>> init_visible_bias([[1, 0], [1, 0], [1, 1], [0, 0]])   # p = 3/4, 1/4
    array([ 1.09861229, -1.09861229])
    """
    data = check_binary(data, "data", allow_1d=False)
    eps = check_real(eps, "eps", 0, 0.5, low_open=True, high_open=True)
    p = np.clip(data.mean(axis=0), eps, 1.0 - eps)
    return np.log(p) - np.log1p(-p)


# ---------------------------------------------------------------------------
# The expected CD-k gradient, exactly (small RBMs only)
# ---------------------------------------------------------------------------
def weighted_statistics(rbm: RBM, V: np.ndarray, weights: np.ndarray) -> dict:
    r""":math:`\sum_v w(v)\,[v\,p(h \mid v)^\top,\ v,\ p(h \mid v)]` for visible states ``V``."""
    P_h = rbm.hidden_probs(V)
    weighted = V * weights[:, None]
    return {"W": weighted.T @ P_h, "b": weights @ V, "c": weights @ P_h}


def positive_minus_negative(rbm: RBM, data: np.ndarray, negative: dict) -> dict:
    r"""The gradient :math:`(\langle s\rangle_{\rm data} - \langle s\rangle_{\rm neg})/T`, hidden units as :math:`p(h \mid v)`.

    ``negative`` holds the negative statistics ``{"W", "b", "c"}`` (e.g. from
    :func:`weighted_statistics`).
    """
    positive = rbm.sufficient_statistics(data, rbm.hidden_probs(data))
    return {key: (positive[key] - negative[key]) / rbm.T for key in rbm.params}


def expected_cd_gradient(rbm, data, k=1, max_units=MICROSCOPE_MAX_UNITS) -> dict:
    r"""The exact expectation of the CD-k estimate :func:`cd_gradient`, over all of its sampling.

    With :math:`p_k` the distribution of the chain's visible state after *k*
    block Gibbs steps from the data (:func:`cd_chain_distributions`),

    .. math::

        \mathbb{E}[\widehat{\Delta W}] = \frac1T\Big(\big\langle v\,p(h \mid v)^\top\big\rangle_{p_0}
        - \big\langle v\,p(h \mid v)^\top\big\rangle_{p_k}\Big),

    and likewise for the biases. This is the expectation of ``cd_gradient``
    with ``statistics="hidden_probs"`` and with ``statistics="sampled"``
    (sampling the hidden units does not change the mean). The exact gradient
    is the same expression with :math:`p_k` replaced by the model's
    :math:`p_\infty`, so the difference is the **bias** of CD-k, free of any
    sampling noise. Only for small RBMs (both layers are enumerated).

    Parameters
    ----------
    rbm : RBM
    data : array_like of 0/1, shape (m, n_visible)
    k : int, default 1
        Number of Gibbs steps, >= 1.
    max_units : int, default 12

    Returns
    -------
    dict
        Keyed like ``rbm.params``.

    Examples
    --------
    >>> rbm = RBM.random(4, 3, rng=0, scale=0.5)
    >>> data = [[1, 0, 1, 0], [0, 1, 0, 1]]
    >>> far = expected_cd_gradient(rbm, data, k=500)        # a long chain forgets the data
    >>> bool(np.allclose(far["W"], exact_gradient(rbm, data)["W"]))
    True
    """
    _check_rbm(rbm)
    data = check_binary(data, "data", n_units=rbm.n_visible, allow_1d=False)
    k = check_positive_int(k, "k")
    p_k = cd_chain_distributions(rbm, data, k, max_units)[-1]
    negative = weighted_statistics(rbm, all_states(rbm.n_visible), p_k)
    return positive_minus_negative(rbm, data, negative)




# ---------------------------------------------------------------------------
# Stationary points of the exact and the expected CD-k updates
# ---------------------------------------------------------------------------
def _flat_params(rbm: RBM) -> np.ndarray:
    return np.concatenate([rbm.W.ravel(), rbm.b, rbm.c])


def _rbm_from_flat(template: RBM, theta: np.ndarray) -> RBM:
    nv, nh = template.W.shape
    W = theta[: nv * nh].reshape(nv, nh)
    return RBM(W, theta[nv * nh : nv * nh + nv], theta[nv * nh + nv :], T=template.T)


def stationary_point(rbm, data, k=None, tol=1e-10, n_updates=2000, lr=0.5, weight_decay=0.0,
                     max_units=MICROSCOPE_MAX_UNITS):
    r"""A zero of the exact gradient (``k=None``) or of the expected CD-k update, found from ``rbm``.

    With ``weight_decay`` :math:`\lambda > 0` the field is
    :math:`F(\theta) - \lambda\theta` (the objective, for the exact gradient,
    :math:`\ell(\theta) - \tfrac{\lambda}{2}\lVert\theta\rVert^2`, which has a
    finite maximum whatever the data).

    The field :math:`F(\theta)` is :func:`exact_gradient` (maximum likelihood)
    or :func:`expected_cd_gradient` with ``k`` steps (CD-k's own fixed point,
    where :math:`\mathbb{E}[\Delta\theta] = 0`). The search first takes
    ``n_updates`` steps :math:`\theta \leftarrow \theta + \text{lr}\,F(\theta)`,
    the learning rule itself; for the exact gradient it then climbs the exact
    log-likelihood with L-BFGS (so that it ends at a maximum, not a saddle);
    finally it solves :math:`F(\theta) = 0` by Powell's hybrid method
    (``scipy.optimize.root``, ``method="hybr"``). A finite maximum-likelihood
    solution needs data with full support (every visible vector with positive
    empirical probability); without it the likelihood keeps rising as the
    weights grow. The point returned is stationary; it is not checked to be
    a maximum (inspect the Hessian for that), and where the maximum is not
    isolated it is one point of a flat set.

    Parameters
    ----------
    rbm : RBM
        Starting point (not modified).
    data : array_like of 0/1, shape (m, n_visible)
        Rows are examples; repeated rows weight an example.
    k : int or None, default None
        ``None`` for the exact gradient, else the number of CD steps (>= 1).
    tol : float, default 1e-10
        Required Euclidean norm of :math:`F` at the returned point.
    n_updates : int, default 2000
    lr : float, default 0.5
    weight_decay : float, default 0.0
        L2 penalty :math:`\lambda \ge 0` on every parameter.
    max_units : int, default 12

    Returns
    -------
    (RBM, float)
        The stationary RBM and the norm of :math:`F` there (``< tol``).
    """
    from scipy.optimize import minimize, root

    template = _check_rbm(rbm).copy()
    data = check_binary(data, "data", n_units=template.n_visible, allow_1d=False)
    if k is not None:
        k = check_positive_int(k, "k")
    tol = check_positive_float(tol, "tol")
    n_updates = check_int(n_updates, "n_updates", low=0)
    lr = check_positive_float(lr, "lr")
    weight_decay = check_real(weight_decay, "weight_decay", 0, None)

    def field(theta):
        model = _rbm_from_flat(template, theta)
        g = (exact_gradient(model, data, max_units=max_units) if k is None
             else expected_cd_gradient(model, data, k, max_units=max_units))
        return np.concatenate([g["W"].ravel(), g["b"], g["c"]]) - weight_decay * theta

    theta = _flat_params(template)
    for _ in range(n_updates):
        theta = theta + lr * field(theta)
    if k is None:
        # climb the likelihood itself, so that the search ends at a maximum, not a saddle
        def loss(t):
            model = _rbm_from_flat(template, t)
            penalty = 0.5 * weight_decay * float(t @ t)
            return penalty - exact.log_likelihood(model, data, max_units=max_units), -field(t)

        theta = minimize(loss, theta, jac=True, method="L-BFGS-B",
                         options={"gtol": tol / 10, "ftol": 0.0, "maxiter": 20000}).x
    solution = root(field, theta, method="hybr", options={"xtol": 1e-14})
    theta = solution.x
    norm = float(np.linalg.norm(field(theta)))
    if not np.isfinite(norm) or norm >= tol:
        raise RuntimeError(
            f"stationary_point: no zero found to tol={tol} (norm {norm:.3g} after the search); "
            "the data may lack full support, or n_updates may be too small"
        )
    return _rbm_from_flat(template, theta), norm
