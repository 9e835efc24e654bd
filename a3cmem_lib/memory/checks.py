"""Argument checks shared by the replay buffers: each raises a clear error naming the argument
and the allowed range, so nothing is silently clipped or stored half-way."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

_INF_BITS = int(np.array(np.inf).view(np.uint64))
"""The bits of float64 +inf as an unsigned integer (0x7FF0000000000000)."""


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer ``>= 1``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return int(value)


def check_unit_interval(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a real number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1], got {type(value).__name__}")
    if not 0.0 <= float(value) <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite real number ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number > 0, got {type(value).__name__}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite real number > 0, got {value}")
    return float(value)


def check_priorities(name: str, priorities: Any, count: int) -> np.ndarray:
    """Return ``priorities`` as a float64 array of shape (count,), all finite and ``>= 0``."""
    array = np.asarray(priorities)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False).reshape(-1) if array.ndim <= 1 else array
    if array.shape != (count,):
        raise ValueError(f"{name} must have shape ({count},), got {np.shape(priorities)}")
    # One reduction decides the common case: read as unsigned integers, the bits of every
    # finite float >= +0.0 lie below those of +inf, and NaN, -inf, negative numbers (and
    # -0.0, allowed) lie above. Two float reductions then decide (NaN fails ">= 0").
    if (
        count
        and array.view(np.uint64).max() >= _INF_BITS
        and not (array.min() >= 0 and array.max() < np.inf)
    ):
        if not np.all(np.isfinite(array)):
            bad = array[~np.isfinite(array)]
            raise ValueError(f"{name} must be finite (no NaN or inf), got {bad}")
        raise ValueError(f"{name} must be >= 0, got {array[array < 0]}")
    return array


def check_priority(name: str, value: Any) -> float:
    """Return one priority as a float if it is a finite real number ``>= 0``.

    A fast path for the one priority a ``push`` takes (a Python or numpy number); anything
    else, an array of shape (1,) included, goes through :func:`check_priorities`.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if 0.0 <= value < math.inf:  # also rejects NaN
            return float(value)
    return float(check_priorities(name, value, 1)[0])


def check_indices(name: str, indices: Any, size: int) -> np.ndarray:
    """Return ``indices`` as an int64 array of shape (n,), each in [0, size)."""
    array = np.asarray(indices)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    array = array.astype(np.int64, copy=False)
    # One reduction: read as unsigned, a negative index is larger than any size.
    if array.size and array.view(np.uint64).max() >= size:
        bad = array[(array < 0) | (array >= size)]
        raise ValueError(f"{name} must be in [0, {size}) (the stored items), got {bad}")
    return array
