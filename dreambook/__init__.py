"""dreambook: exact, tested energy-based models for *Dreaming and Sampling*.

Conventions used everywhere in the package
-------------------------------------------
* ``energy(x)`` is the energy :math:`E(x)`; low energy means probable.
* ``unnormalized_log_prob(x)`` is :math:`-E(x)/T`.
* The Boltzmann distribution is :math:`p(x) = \\exp(-E(x)/T) / Z`.
* Binary units take values in {0, 1} (Hopfield networks use {-1, +1}).
* Every function that draws random numbers takes ``rng``: a
  :class:`numpy.random.Generator` or an integer seed. Nothing touches global
  random state, and importing the package has no side effects.

Layers, with every import pointing down this picture (``tests/unit/test_layers.py``
asserts it from the real import graph)::

    _validation   _special   _kernels/          private: one check, one formula, one fast path each
         \\            |          /
    states  data  plotting                       enumeration order, data sets, figure helpers
         \\
       models                                    energies and conditionals (no training state)
         |
       exact                                     enumeration: log Z, p, statistics, gradients
         |
      sampling                                   Gibbs, Metropolis, annealing (all take rng)
       /    \\
   markov  diagnostics  tempering                exact transition matrices | chi^2, autocorrelation | replica exchange
       \\    /
      learning                                   gradient estimates: exact, CD-k, PCD, FPCD
         |
      training                                   the loops, and History: the one record type of every train_* loop
         |
      estimate                                   AIS and the log-likelihood it estimates
         |
    phases  encoder  hopfield  wake_sleep  td    the model families of the chapters:
    stdp  nce  score_matching  langevin          Part III (plasticity, replay) and Part IV
    forward_forward  ground_state  irl           (negatives without dreams, zero temperature)
    inverse_opt  eqprop  predictive_coding
         |
      sklearn                                    a scikit-learn estimator over the core
         |
      widgets                                    explorers: they draw, the package computes
"""

__version__ = "0.1.0"
