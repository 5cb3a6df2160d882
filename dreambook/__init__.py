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

Layers, with dependencies pointing one way::

    models -> exact -> sampling -> learning -> estimate
"""

__version__ = "0.1.0"
