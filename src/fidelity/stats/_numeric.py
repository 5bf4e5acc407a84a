"""Floating-point hygiene shared by every statistic: one refusal of infinite values, one rule
for "no variance", and an exact rescaling that keeps sums of squares in range.

* :func:`~fidelity.stats.estimate.check_finite` (called by every reader of ratings) refuses
  ``±inf`` with one message naming the first cell (``NaN`` is missing, never an error).
* :func:`negligible` decides zero variance *relative to the data's magnitude*: a sum of
  squared deviations over ``count`` values is rounding noise when its root mean square is at
  most :data:`RELATIVE_TOLERANCE` (64 units in the last place, about 1.4e-14) times the largest
  absolute value the deviations were computed from. Numbers stored with 16 significant digits
  cannot carry a spread smaller than that, so a coefficient whose denominator is such a
  spread is undefined rather than a quotient of rounding errors.
* :func:`cancelled` is the same rule for a variance obtained by summing covariances: noise
  when it is at most that share of the sum of the absolute terms.
* :func:`normalize` maps data to ``(x / 2**e1 - centre) / 2**e2``: the power-of-two scalings
  are exact, and afterwards the values and their squares are of order one whatever the input
  scale (1e-300 or 1e300), so location- and scale-invariant coefficients are invariant in
  floating point too. It returns the magnitude of the *original* values in the new units,
  which is what :func:`negligible` compares with.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from fidelity.stats.estimate import FloatArray

__all__ = [
    "RELATIVE_TOLERANCE",
    "Normalized",
    "cancelled",
    "negligible",
    "normalize",
    "power_of_two_scale",
]

#: Spread below this share of the data's magnitude is treated as rounding noise.
RELATIVE_TOLERANCE = 64.0 * float(np.finfo(np.float64).eps)


def negligible(sum_of_squares: Any, count: Any, magnitude: Any) -> Any:
    """True where ``sum_of_squares`` (of deviations over ``count`` values) is rounding noise
    for numbers of size ``magnitude``: ``sqrt(ss / count) <= RELATIVE_TOLERANCE * magnitude``.

    Works elementwise on arrays; never overflows (nothing is squared).
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        rms = np.sqrt(np.maximum(np.asarray(sum_of_squares, dtype=np.float64), 0.0) / count)
        out = ~(rms > RELATIVE_TOLERANCE * np.asarray(magnitude, dtype=np.float64))
    return bool(out) if np.ndim(out) == 0 else out


def cancelled(total: float, terms: FloatArray) -> bool:
    """True when ``total == terms.sum()`` has cancelled to rounding noise: ``|total|`` is at
    most :data:`RELATIVE_TOLERANCE` times the sum of the terms' absolute values.

    The same tolerance as :func:`negligible`, for a variance obtained by summing covariances
    (the variance of a total score from an item covariance matrix), whose rounding error is
    relative to the size of the terms rather than to the values' magnitude.
    """
    size = float(np.abs(terms).sum())
    return not math.isfinite(total) or abs(total) <= RELATIVE_TOLERANCE * size


def power_of_two_scale(magnitude: float) -> float:
    """The power of two nearest above ``magnitude`` (1.0 for zero or NaN)."""
    if not math.isfinite(magnitude) or magnitude <= 0.0:
        return 1.0
    return math.ldexp(1.0, math.frexp(magnitude)[1])


class Normalized(NamedTuple):
    """Data rescaled by :func:`normalize`: ``x == z * unit + offset`` up to rounding."""

    z: FloatArray
    #: the largest absolute original value, in units of ``z`` (for :func:`negligible`)
    magnitude: float
    #: one unit of ``z`` in the original units (a power of two)
    unit: float


def normalize(x: FloatArray, *, centre: bool = True) -> Normalized:
    """``x`` rescaled exactly by powers of two (and, with ``centre``, centred on the mean of
    its non-missing values), with the largest absolute original value in the new units.

    Affine-invariant coefficients computed on ``z`` equal those of ``x``; scale-invariant
    ones (``centre=False``) too. ``NaN`` stays ``NaN``.
    """
    present = x[~np.isnan(x)]
    if present.size == 0:
        return Normalized(x, 0.0, 1.0)
    s1 = power_of_two_scale(float(np.abs(present).max()))
    z = x / s1
    top = float(np.abs(present).max()) / s1
    if not centre:
        return Normalized(z, top, s1)
    z = z - float(np.mean(present / s1))
    s2 = power_of_two_scale(float(np.nanmax(np.abs(z))))
    return Normalized(z / s2, top / s2, s1 * s2)
