"""Energy-based models over binary units: plain parameter arrays, no training state.

Every model defines ``energy`` (E; low energy = probable) and
``unnormalized_log_prob`` (:math:`-E/T`, or :math:`-F/T` for the RBM's visible
marginal), and holds a temperature ``T`` with :math:`p \\propto \\exp(-E/T)`.
"""

from .boltzmann import BoltzmannMachine, FullyVisibleBM, block_mask, two_mode_ferromagnet
from .helmholtz import HelmholtzMachine
from .hopfield import HopfieldNetwork
from .rbm import RBM

__all__ = [
    "FullyVisibleBM",
    "BoltzmannMachine",
    "RBM",
    "block_mask",
    "two_mode_ferromagnet",
    "HelmholtzMachine",
    "HopfieldNetwork",
]
