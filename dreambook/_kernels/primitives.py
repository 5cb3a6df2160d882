r"""Arithmetic shared by the kernels: uniforms into preallocated arrays, in-place sigmoid and
Bernoulli draws, the augmented parameter matrix (see the package docstring)."""

from __future__ import annotations

import numpy as np

__all__ = ["UniformSource", "sigmoid_", "bernoulli_", "augment", "split"]

_FLOAT32_ONE_BITS = np.uint32(0x3F800000)  # the IEEE-754 bits of 1.0f


class UniformSource:
    """Uniform numbers on [0, 1) written into preallocated arrays.

    float64 uses ``Generator.random(out=...)``. float32 takes 23 random
    mantissa bits from each half of a 64-bit word of the generator's bit
    stream: with the exponent of 1.0 the bits read as a float in [1, 2), and
    subtracting 1 is exact. The stream is the generator's own, so seeding is
    unchanged.
    """

    def __init__(self, rng: np.random.Generator, dtype):
        self.rng = rng
        self.dtype = np.dtype(dtype)
        self._bits = rng.bit_generator

    def fill(self, out: np.ndarray) -> None:
        """Overwrite the C-contiguous array ``out`` with uniforms on [0, 1)."""
        if self.dtype == np.float64:
            self.rng.random(out=out)
            return
        n = out.size
        words = self._bits.random_raw((n + 1) // 2).view(np.uint32)[:n]
        np.right_shift(words, 9, out=words)  # keep 23 random bits as the mantissa
        np.bitwise_or(words, _FLOAT32_ONE_BITS, out=words)  # exponent of 1.0: a float in [1, 2)
        np.subtract(words.view(np.float32).reshape(out.shape), 1.0, out=out)


def sigmoid_(a: np.ndarray) -> np.ndarray:
    r"""In place: :math:`a \leftarrow \sigma(a) = 1/(1 + e^{-a})`.

    For :math:`a < -709` (float64) ``exp`` overflows to ``inf`` and the result
    is exactly 0, as it should be; callers silence the overflow flag.
    """
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, 1.0, out=a)
    np.reciprocal(a, out=a)
    return a


def bernoulli_(a: np.ndarray, u: np.ndarray, out: np.ndarray) -> np.ndarray:
    r"""Write a sample of Bernoulli(:math:`\sigma(a)`) into ``out``; overwrites ``a``.

    Uses :math:`u < \sigma(a) \iff u\,(1 + e^{-a}) < 1` for the uniforms ``u``.
    """
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.add(a, 1.0, out=a)
    np.multiply(a, u, out=a)
    np.less(a, 1.0, out=out)
    return out


def augment(W, b, c, T: float, dtype) -> np.ndarray:
    r"""The augmented natural-parameter matrix :math:`P = [[W, b], [c^\top, 0]]/T`."""
    nv, nh = W.shape
    P = np.zeros((nv + 1, nh + 1), dtype=dtype)
    P[:nv, :nh] = W / T
    P[:nv, nh] = b / T
    P[nv, :nh] = c / T
    return P


def split(P: np.ndarray, T: float):
    """Inverse of :func:`augment`: float64 copies of ``(W, b, c)``."""
    nv, nh = P.shape[0] - 1, P.shape[1] - 1
    P = P.astype(np.float64) * T
    return P[:nv, :nh].copy(), P[:nv, nh].copy(), P[nv, :nh].copy()
