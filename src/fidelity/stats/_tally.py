"""Ratings tallied for the agreement family: the category set, ratings coded as category
positions, subjects × categories and raters × categories counts, and agreement weights.

A rating that is not one of the categories is an error; weights are checked (q × q,
symmetric, in [0, 1], ones on the diagonal). See :mod:`fidelity.stats.agreement`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from fidelity.stats.estimate import FloatArray, as_matrix

IntArray: TypeAlias = npt.NDArray[np.intp]
#: ``None`` (nominal), ``"linear"``, ``"quadratic"`` or a q × q matrix.
WeightsArg: TypeAlias = str | npt.ArrayLike | None
#: The full ordered category set of a scale.
CategoriesArg: TypeAlias = Sequence[float] | npt.ArrayLike | None

WEIGHT_NAMES = ("identity", "linear", "quadratic")


@dataclass(frozen=True)
class Tally:
    """Ratings coded as category positions; subjects and raters without ratings removed."""

    codes: IntArray  # n × r, -1 where missing
    counts: FloatArray  # n × q, r_ik
    rater_counts: FloatArray  # r × q, ratings of rater g in category k
    categories: FloatArray  # q
    n_raters: int


_LUT_SPAN = 1 << 16  # integer scales spanning fewer values are coded by table lookup

#: Most categories a coefficient of the kappa family accepts. Rating scales in use have at
#: most about a hundred points (a 0-100 scale has 101); far more distinct values are
#: measurements, for which agreement by exact equality means little, and the q × q weight
#: table (q² entries, reported in ``details``) would grow without bound (20,000 values:
#: 3.2 GB). Continuous ratings belong to ``icc`` or ``krippendorff_alpha(level="interval")``.
MAX_CATEGORIES = 1000


def _check_category_count(q: int, observed: bool) -> None:
    if q <= MAX_CATEGORIES:
        return
    source = "the ratings hold" if observed else "`categories` has"
    raise ValueError(
        f"{source} {q} distinct values, more than the {MAX_CATEGORIES} a categorical "
        "coefficient accepts: these look like continuous measurements, not categories of a "
        "rating scale (and the categories × categories weight table would need "
        f"{q * q * 8 / 2**20:,.0f} MiB); use icc(...) or "
        "krippendorff_alpha(..., level='interval') for continuous ratings"
    )


def _integer_span(values: FloatArray) -> tuple[float, int] | None:
    """(minimum, span) when ``values`` are whole numbers over a short range, else None."""
    if values.size == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo >= _LUT_SPAN:
        return None
    if not np.array_equal(values, np.floor(values)):
        return None
    return lo, int(hi - lo)


def _category_set(
    x: FloatArray,
    present: npt.NDArray[np.bool_],
    categories: CategoriesArg,
) -> FloatArray:
    if categories is None:
        observed = x[present]
        if np.isinf(observed).any():
            raise ValueError("ratings must be finite numbers or NaN (missing); found inf")
        span = _integer_span(observed)
        if span is not None:
            lo, _ = span
            used = np.flatnonzero(np.bincount((observed - lo).astype(np.intp)))
            found: FloatArray = used.astype(np.float64) + lo
        else:
            found = np.unique(observed).astype(np.float64)
        _check_category_count(found.size, observed=True)
        return found
    cats = np.asarray(categories, dtype=np.float64).ravel()
    if cats.size == 0:
        raise ValueError("categories must not be empty")
    _check_category_count(cats.size, observed=False)
    if not np.all(np.isfinite(cats)):
        raise ValueError(f"categories must be finite numbers, got {cats.tolist()}")
    if np.unique(cats).size != cats.size:
        raise ValueError(f"categories must not repeat a value, got {cats.tolist()}")
    return cats


def _code(x: FloatArray, present: npt.NDArray[np.bool_], cats: FloatArray) -> IntArray:
    """Position of each rating in ``cats`` (-1 for missing); unknown values are an error."""
    codes: IntArray
    span = _integer_span(cats)
    if span is not None:
        lo, width = span
        lut = np.full(width + 1, -1, dtype=np.intp)
        lut[(cats - lo).astype(np.intp)] = np.arange(cats.size)
        with np.errstate(invalid="ignore"):
            shifted = x - lo
            inside = (shifted >= 0) & (shifted <= width)  # False for NaN
        idx = np.where(inside, shifted, 0.0).astype(np.intp)
        codes = np.where(inside & (idx == shifted), lut[idx], -1)
        bad = present & (codes < 0)
    else:
        codes = np.full(x.shape, -1, dtype=np.intp)
        if cats.size:
            order = np.argsort(cats, kind="stable")
            ordered = cats[order]
            pos = np.minimum(np.searchsorted(ordered, x[present]), ordered.size - 1)
            found = np.where(ordered[pos] == x[present], order[pos], -1)
            codes[present] = found
        bad = present & (codes < 0)
    if bad.any():
        wrong = np.unique(x[bad])
        shown = ", ".join(_fmt(v) for v in wrong[:5]) + (", ..." if wrong.size > 5 else "")
        allowed = ", ".join(_fmt(v) for v in cats)
        raise ValueError(
            f"rating value(s) {shown} not among the categories [{allowed}]; "
            "pass the scale's full category set as `categories`"
        )
    return codes


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def tally(x: Any, categories: CategoriesArg) -> Tally:
    """Code and count the ratings of ``x`` over ``categories`` (default: observed values)."""
    mat = as_matrix(x)
    present = ~np.isnan(mat)
    cats = _category_set(mat, present, categories)
    codes = _code(mat, present, cats)
    n, r = codes.shape
    q = cats.size
    # tallies by subject and by rater; column 0 collects missing cells (code -1)
    shifted = codes + 1
    by_subject = np.bincount(
        (np.arange(n, dtype=np.intp)[:, None] * (q + 1) + shifted).ravel(), minlength=n * (q + 1)
    ).reshape(n, q + 1)
    by_rater = np.bincount(
        (np.arange(r, dtype=np.intp)[None, :] * (q + 1) + shifted).ravel(), minlength=r * (q + 1)
    ).reshape(r, q + 1)
    keep_rows, keep_cols = by_subject[:, 0] < r, by_rater[:, 0] < n
    if not keep_rows.all():
        codes, by_subject = codes[keep_rows], by_subject[keep_rows]
    if not keep_cols.all():
        codes, by_rater = codes[:, keep_cols], by_rater[keep_cols]
    return Tally(
        codes=codes,
        counts=by_subject[:, 1:].astype(np.float64),
        rater_counts=by_rater[:, 1:].astype(np.float64),
        categories=cats,
        n_raters=codes.shape[1],
    )


def weight_matrix(weights: WeightsArg, q: int) -> tuple[FloatArray, str]:
    """The q × q agreement-weight matrix and its name."""
    if weights is None or isinstance(weights, str):
        name = "identity" if weights is None else weights
        if name not in WEIGHT_NAMES:
            raise ValueError(
                f"unknown weights {weights!r}; use None, one of {list(WEIGHT_NAMES)}, "
                "or a q × q matrix"
            )
        if name == "identity" or q < 2:
            return np.eye(q, dtype=np.float64), name
        pos = np.arange(q, dtype=np.float64)
        dist = np.abs(pos[:, None] - pos[None, :]) / (q - 1)
        w = 1.0 - dist if name == "linear" else 1.0 - dist**2
        return w, name
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (q, q):
        raise ValueError(
            f"weights matrix has shape {w.shape}, expected ({q}, {q}) for the {q} categories"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w > 1):
        raise ValueError("weights matrix values must lie in [0, 1]")
    if not np.allclose(np.diag(w), 1.0):
        raise ValueError("weights matrix must have ones on the diagonal (full agreement)")
    if not np.allclose(w, w.T):
        raise ValueError("weights matrix must be symmetric")
    return w, "custom"


def within_weights(within: int, q: int) -> FloatArray:
    """Weights crediting two ratings as agreeing when their positions differ by <= ``within``."""
    pos = np.arange(q)
    return (np.abs(pos[:, None] - pos[None, :]) <= within).astype(np.float64)
