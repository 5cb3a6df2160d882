"""State handling and the temperature rule shared by the model classes (private)."""

from __future__ import annotations

import numpy as np

from .._validation import check_finite_array, check_temperature

__all__ = ["as_states", "scalar_or_vector", "TemperatureMixin"]


def as_states(x, n_units: int, name: str):
    """Return ``(x2d, was_1d)``: ``x`` as a float64 array of shape (m, n_units).

    States are binary in the book, but every energy here is a polynomial in
    the states, so any finite real values are accepted (useful for mean-field
    approximations). Shape, dtype and finiteness are checked.
    """
    arr = check_finite_array(x, name)
    if arr.ndim == 1:
        was_1d = True
        arr = arr[None, :]
    elif arr.ndim == 2:
        was_1d = False
    else:
        raise ValueError(
            f"{name} must have shape ({n_units},) or (n_samples, {n_units}), got {arr.shape}"
        )
    if arr.shape[1] != n_units:
        raise ValueError(
            f"{name} must have shape ({n_units},) or (n_samples, {n_units}), got {arr.shape}"
        )
    return arr, was_1d


def scalar_or_vector(values: np.ndarray, was_1d: bool):
    """Return a Python float for a single 1-d input, the (m,) array otherwise."""
    return float(values[0]) if was_1d else values


class TemperatureMixin:
    r"""The temperature :math:`T > 0` of a Boltzmann distribution :math:`p \propto \exp(-E/T)`.

    One home for the rule every model shares: ``T`` is validated when set, and
    a ``T=None`` keyword in a method means "the model's own temperature".
    """

    @property
    def T(self) -> float:
        r"""Temperature :math:`T > 0`; :math:`p(x) \propto \exp(-E(x)/T)`."""
        return self._T

    @T.setter
    def T(self, value):
        self._T = check_temperature(value, "T")

    def _resolve_T(self, T) -> float:
        return self._T if T is None else check_temperature(T, "T")
