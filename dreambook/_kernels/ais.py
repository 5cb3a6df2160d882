r"""Fast AIS for an RBM: the log importance weights of :math:`M` annealing runs.

Readable twin: :func:`dreambook.estimate.ais_log_weights` (the same random stream and the same
arithmetic up to rounding; tied by ``tests/unit/test_kernels.py``). The tricks are those of the
package docstring: the biases ride in augmented matrices, Bernoulli draws skip the sigmoid, and
every array is preallocated (``out=``).
"""

from __future__ import annotations

import numpy as np

from .primitives import bernoulli_

__all__ = ["ais_log_weights_fast"]


def _softplus(z, out, scratch):
    r"""``out`` <- :math:`\operatorname{softplus}(z) = \max(z, 0) + \log(1 + e^{-|z|})` (stable, no overflow)."""
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    np.maximum(z, 0.0, out=scratch)
    np.add(out, scratch, out=out)
    return out


def ais_log_weights_fast(W, b, c, b_A, betas, n_chains: int, rng):
    r"""``(log_w, v)``: log AIS weights and final visible states of ``n_chains`` runs.

    ``W, b, c`` are natural parameters (divided by *T*), ``b_A`` the base model's visible
    biases, ``betas`` a validated schedule from 0 to 1, ``rng`` a Generator. See
    :mod:`dreambook.estimate` for the method.
    """
    nv, nh = W.shape
    # Augmented matrices (see dreambook._kernels): a bias is a weight from an always-on unit.
    #   [v, 1] @ P_up   = [vW + c,  (b - b_A)·v]      (hidden input, linear term)
    #   [h, 1] @ P_down = hW^T + (b - b_A)            (visible input, before annealing)
    P_up = np.zeros((nv + 1, nh + 1))
    P_up[:nv, :nh], P_up[nv, :nh], P_up[:nv, nh] = W, c, b - b_A
    P_down = np.empty((nh + 1, nv))
    P_down[:nh], P_down[nh] = W.T, b - b_A

    V = np.ones((n_chains, nv + 1))
    H = np.ones((n_chains, nh + 1))
    v, h = V[:, :nv], H[:, :nh]
    up = np.empty((n_chains, nh + 1))
    x, linear = up[:, :nh], up[:, nh]  # vW + c and (b - b_A)·v
    beta_x = np.empty((2, n_chains, nh))  # beta_k x and beta_{k-1} x
    softplus_beta_x = np.empty_like(beta_x)
    scratch = np.empty_like(beta_x)
    sums = np.empty((2, n_chains))
    ones_h = np.ones(nh)
    p_h = np.empty((n_chains, nh))
    a_v = np.empty((n_chains, nv))
    u_h = np.empty((n_chains, nh))
    u_v = np.empty((n_chains, nv))
    pair = np.empty((2, 1, 1))
    log_w = np.zeros(n_chains)

    # v_1 ~ p_A: independent pixels with P(v_i = 1) = sigma(b_A,i)
    a_v[...] = b_A
    rng.random(out=u_v)
    with np.errstate(over="ignore", invalid="ignore"):
        bernoulli_(a_v, u_v, out=v)
        K = betas.size - 1
        for k in range(1, K + 1):
            beta, beta_prev = betas[k], betas[k - 1]
            np.matmul(V, P_up, out=up)
            # log w += log p*_k(v) - log p*_{k-1}(v)
            #        = (beta_k - beta_{k-1}) (b - b_A)·v + sum_j [softplus(beta_k x_j) - softplus(beta_{k-1} x_j)]
            pair[0], pair[1] = beta, beta_prev
            np.multiply(pair, x, out=beta_x)
            _softplus(beta_x, out=softplus_beta_x, scratch=scratch)
            np.matmul(softplus_beta_x, ones_h, out=sums)  # sum over hidden units j
            log_w += sums[0]
            log_w -= sums[1]
            log_w += (beta - beta_prev) * linear
            if k == K:
                break
            # one block Gibbs sweep at beta_k: h ~ sigma(beta_k x) = exp(beta_k x - softplus(beta_k x)) ...
            np.subtract(beta_x[0], softplus_beta_x[0], out=p_h)
            np.exp(p_h, out=p_h)
            rng.random(out=u_h)
            np.less(u_h, p_h, out=h)
            # ... then v ~ sigma((1 - beta_k) b_A + beta_k (h W^T + b)) = sigma(beta_k (h W^T + b - b_A) + b_A)
            np.matmul(H, P_down, out=a_v)
            np.multiply(a_v, beta, out=a_v)
            np.add(a_v, b_A, out=a_v)
            rng.random(out=u_v)
            bernoulli_(a_v, u_v, out=v)

    return log_w, v
