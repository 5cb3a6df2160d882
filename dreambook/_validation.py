"""Input checks shared by every layer.

Each check raises ``ValueError`` or ``TypeError`` with one sentence that names
the argument and says what was expected. Nothing here returns NaN silently.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

__all__ = [
    "as_generator",
    "check_real",
    "check_int",
    "check_choice",
    "check_probability_vector",
    "check_temperature",
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_float",
    "check_binary",
    "check_finite_array",
    "check_bool",
    "check_seed",
    "check_parameter",
    "check_symmetric",
    "check_model",
    "check_float_dtype",
    "Settings",
    "check_settings",
]


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from ``rng``.

    ``rng`` may be a Generator (returned as is, so its stream continues) or a
    non-negative integer seed. ``None`` is refused: randomness is explicit.

    >>> as_generator(0).random() == as_generator(0).random()
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"{name} must be a numpy.random.Generator or an integer seed, got bool")
    if isinstance(rng, numbers.Integral):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    if rng is None:
        raise TypeError(
            f"{name} must be a numpy.random.Generator or an integer seed; "
            "None is not accepted because randomness must be explicit"
        )
    raise TypeError(
        f"{name} must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}"
    )


def _interval(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def check_real(value, name: str, low=None, high=None, low_open: bool = False,
               high_open: bool = False) -> float:
    """Return ``value`` as a finite float in the given interval; the one "real number in range" check.

    ``low``/``high`` bound the interval (``None``: unbounded), closed unless
    ``low_open``/``high_open``. Booleans and non-numbers raise ``TypeError``;
    NaN, infinities and values outside the interval raise ``ValueError``.

    >>> check_real(0.5, "momentum", 0, 1, high_open=True)
    0.5
    >>> check_real(1.0, "momentum", 0, 1, high_open=True)
    Traceback (most recent call last):
    ...
    ValueError: momentum must be a finite number in [0, 1), got 1.0
    """
    where = _interval(low, high, low_open, high_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{where}, got {type(value).__name__}")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad = bad or value < low or (low_open and value == low)
    if high is not None:
        bad = bad or value > high or (high_open and value == high)
    if bad:
        raise ValueError(f"{name} must be a finite number{where}, got {value}")
    return value


def check_int(value, name: str, low=None, high=None) -> int:
    """Return ``value`` as an int in ``[low, high]`` (``None``: unbounded); booleans are refused.

    >>> check_int(3, "k", low=1)
    3
    """
    where = _interval(low, high, False, False)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{where}, got {type(value).__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{where}, got {value}")
    return int(value)


def check_positive_float(value, name: str) -> float:
    """Return ``value`` as a float, requiring it to be finite and > 0."""
    return check_real(value, name, low=0, low_open=True)


def check_temperature(T, name: str = "T") -> float:
    """Return the temperature as a float; it must be finite and > 0."""
    return check_real(T, name, low=0, low_open=True)


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, requiring an integer >= 1."""
    return check_int(value, name, low=1)


def check_nonnegative_int(value, name: str) -> int:
    """Return ``value`` as an int, requiring an integer >= 0."""
    return check_int(value, name, low=0)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of the strings ``choices``.

    >>> check_choice("cd", "method", ("cd", "pcd"))
    'cd'
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(map(repr, choices))}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_probability_vector(p, name: str, size: int | None = None, atol: float = 1e-8) -> np.ndarray:
    """Return ``p`` as a 1-d float64 probability vector: finite, non-negative, summing to 1.

    ``size`` (optional) is the required length, e.g. ``2**n`` for a
    distribution over the states of *n* units.

    >>> check_probability_vector([0.25, 0.75], "p")
    array([0.25, 0.75])
    """
    p = check_finite_array(p, name, ndim=1)
    if p.size == 0:
        raise ValueError(f"{name} must be a non-empty probability vector")
    if size is not None and p.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {p.shape}")
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative (a probability vector)")
    if not np.isclose(p.sum(), 1.0, rtol=0, atol=atol):
        raise ValueError(f"{name} must sum to 1, got sum {p.sum()!r}")
    return p


def check_finite_array(a, name: str, shape=None, ndim=None) -> np.ndarray:
    """Return ``a`` as a float64 array, checking numeric dtype, shape and finiteness.

    ``shape`` is a tuple whose entries are ints or ``None`` (any length).
    """
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(arr.shape, shape)
        ):
            want = tuple("any" if s is None else s for s in shape)
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def check_binary(x, name: str, n_units: int | None = None, allow_1d: bool = True) -> np.ndarray:
    """Return binary data as a 2-d float64 array of shape (n_samples, n_units).

    Values must be exactly 0 or 1. A 1-d input is treated as one sample when
    ``allow_1d`` is true. Empty data (zero samples) is refused.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array of 0s and 1s, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued 0s and 1s, got dtype {arr.dtype}")
    if arr.ndim == 1 and allow_1d:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (n_samples, n_units), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one sample, got shape {arr.shape}")
    if n_units is not None and arr.shape[1] != n_units:
        raise ValueError(f"{name} must have {n_units} columns (one per unit), got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must be binary: every value 0 or 1 (NaN is not allowed)")
    return arr


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a bool; only ``True``/``False`` (or numpy bools) are accepted.

    A string such as ``"no"`` is truthy in Python, so it is refused rather
    than silently read as ``True``.

    >>> check_bool(False, "joint")
    False
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(seed, name: str = "seed"):
    """Return a reproducible seed: a non-negative int or a non-empty sequence of them.

    ``None`` (fresh operating-system entropy) is refused, because a result
    seeded with it cannot be reproduced.

    >>> check_seed((3, 1))
    (3, 1)
    """
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {seed}")
        return int(seed)
    if isinstance(seed, (tuple, list, np.ndarray)) and len(seed) > 0:
        return tuple(check_seed(s, name) for s in np.asarray(seed, dtype=object).ravel())
    raise TypeError(
        f"{name} must be a non-negative integer or a sequence of them (None is not reproducible), "
        f"got {seed!r}"
    )


def check_parameter(a, name: str, shape: tuple) -> np.ndarray:
    """Check a model's parameter array as it is now: float64, this exact ``shape``, finite.

    Used when a model is *used*, not only when it is built, so that a
    parameter edited in place (``model.W[0, 1] = np.nan``) is refused rather
    than sampled. Returns the array itself (no copy).
    """
    if not isinstance(a, np.ndarray) or a.dtype != np.float64:
        raise TypeError(
            f"model parameter {name} must be a float64 numpy array, got "
            f"{type(a).__name__}{'' if not isinstance(a, np.ndarray) else ' of dtype ' + str(a.dtype)}"
        )
    if a.shape != tuple(shape):
        raise ValueError(f"model parameter {name} must have shape {tuple(shape)}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"model parameter {name} must contain only finite values (no NaN or inf)")
    return a


def check_symmetric(W: np.ndarray, name: str = "W") -> None:
    """Require a square matrix symmetric (to rounding) with an exactly zero diagonal."""
    asym = np.abs(W - W.T)
    tol = 1e-12 * max(1.0, float(np.max(np.abs(W), initial=0.0)))
    if asym.size and np.max(asym) > tol:
        i, j = np.unravel_index(np.argmax(asym), W.shape)
        raise ValueError(
            f"{name} must be symmetric (W[i, j] == W[j, i]); "
            f"W[{i}, {j}] = {W[i, j]} but W[{j}, {i}] = {W[j, i]}"
        )
    diag = np.abs(np.diag(W))
    if diag.size and np.max(diag) > 0:
        i = int(np.argmax(diag))
        raise ValueError(
            f"{name} must have a zero diagonal (no self-connections); W[{i}, {i}] = {W[i, i]}"
        )


def check_model(model, kinds, name: str = "model", func: str | None = None, hint: str = ""):
    """Return ``model`` after checking its type and its parameters *as they are now*.

    ``kinds`` is a class or a tuple of classes. The model's own
    ``check_parameters()`` then verifies shapes, finiteness, symmetry and so
    on, so that a model edited after construction is refused, not sampled.
    """
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(model, kinds):
        names = [k.__name__ for k in kinds]
        wanted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        article = "an" if wanted.startswith("RBM") else "a"
        where = f" for {func}" if func else ""
        raise TypeError(f"{name} must be {article} {wanted}{where}, got {type(model).__name__}{hint}")
    model.check_parameters()
    return model


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a numpy dtype, requiring float64 or float32 (the fast kernels' two modes)."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{name} must be float64 or float32, got {dtype!r}") from err
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"{name} must be float64 or float32, got {dt}")
    return dt


class Settings:
    """Base of the frozen settings dataclasses of the training loops (e.g. ``forward_forward.SGD``).

    A subclass is a ``@dataclass(frozen=True)`` whose ``__post_init__`` validates each field
    and stores the checked value with :meth:`_set`.
    """

    def replace(self, **changes):
        """A copy with some settings changed (validated again), e.g. ``settings.replace(lr=0.03)``."""
        return dataclasses.replace(self, **changes)

    def _set(self, name: str, value) -> None:
        object.__setattr__(self, name, value)


def check_settings(settings, cls, name: str = "settings"):
    """Return ``settings`` if it is an instance of the settings class ``cls``.

    >>> from dreambook.forward_forward import SGD
    >>> check_settings({"lr": 0.1}, SGD)
    Traceback (most recent call last):
    ...
    TypeError: settings must be a dreambook.forward_forward.SGD, got dict
    """
    if not isinstance(settings, cls):
        raise TypeError(f"{name} must be a {cls.__module__}.{cls.__qualname__}, got {type(settings).__name__}")
    return settings
