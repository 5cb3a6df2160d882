r"""Fast kernels (private): one file per kernel, each tied to its readable twin by a test.

The readable versions of everything here live in :mod:`dreambook.learning`
(``cd_gradient``, ``pcd_gradient``) and use the model's own methods. This
module does the same arithmetic with three standard tricks, so that a
minibatch of 10 costs a few dozen microseconds instead of a hundred:

1. **A bias is a weight from a unit that is always on.** The parameters sit
   in one augmented matrix

   .. math::

       P = \begin{pmatrix} W & b \\ c^\top & 0 \end{pmatrix}
       \in \mathbb{R}^{(n_v + 1)\times(n_h + 1)},

   and every state carries an extra unit fixed at 1, so that
   :math:`[v, 1]\,P_{:, :n_h} = vW + c` and
   :math:`[h, 1]\,P_{:n_v, :}^\top = hW^\top + b`. With the positive rows
   scaled by :math:`+\eta/B` and the negative rows by :math:`-\eta/C`, a
   single product :math:`G = [v, 1]^\top [h, s]` of the stacked phases holds
   the whole update: :math:`G_{:n_v,:n_h} = \Delta W`,
   :math:`G_{:n_v, n_h} = \Delta b`, :math:`G_{n_v, :n_h} = \Delta c` (and 0).
2. **Sampling without the sigmoid.** For a uniform :math:`u \in [0, 1)`,
   :math:`u < \sigma(a) = 1/(1 + e^{-a})` exactly when
   :math:`u\,(1 + e^{-a}) < 1`, which replaces a division by a multiplication.
3. **No allocation in the loop.** Every array is preallocated and every numpy
   call writes with ``out=``; the float32 option uses numpy's SIMD ``exp``
   and draws 32-bit uniforms from half as many 64-bit random words.

The parameters are stored divided by the temperature (natural parameters
:math:`\theta/T`), so the conditionals are plain sigmoids.

The files:

* :mod:`.primitives` -- the arithmetic above, shared by the kernels;
* :mod:`.gibbs` -- block Gibbs chains (twin: :func:`dreambook.sampling.block_gibbs`);
* :mod:`.boltzmann` -- single-site Gibbs sweeps of many Boltzmann machines in lockstep
  (twin: :func:`dreambook.sampling.gibbs_chain`; used by :func:`dreambook.encoder.train_paper_population`);
* :mod:`.training` -- minibatch CD/PCD/FPCD updates (twins: :mod:`dreambook.learning`);
* :mod:`.ais` -- AIS log-weights (twin: :func:`dreambook.estimate.ais_log_weights`).
"""

from .ais import ais_log_weights_fast
from .gibbs import RBMGibbsKernel
from .primitives import UniformSource, augment, bernoulli_, sigmoid_, split
from .training import RBMTrainingKernel

__all__ = ["UniformSource", "sigmoid_", "bernoulli_", "augment", "split", "RBMGibbsKernel", "RBMTrainingKernel",
           "ais_log_weights_fast"]
