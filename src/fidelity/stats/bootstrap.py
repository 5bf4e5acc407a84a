"""A seeded, vectorised subject-level bootstrap for any coefficient (Efron & Tibshirani 1993,
*An Introduction to the Bootstrap*, doi:10.1007/978-1-4899-4541-9; BCa: Efron 1987,
doi:10.1080/01621459.1987.10478410)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

import numpy as np

from fidelity.stats._numeric import normalize
from fidelity.stats._resample import BatchFn, resample
from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, check_confidence
from fidelity.stats.icc import icc, icc_arrays, icc_jackknife, resolve_form
from fidelity.stats.krippendorff import alpha_statistic, check_level, krippendorff_alpha

if TYPE_CHECKING:
    from fidelity.stats.estimate import Ratings

__all__ = ["Statistic", "bootstrap"]

Statistic: TypeAlias = Callable[[FloatArray], "float | Estimate | FloatArray"]


def _krippendorff_level(key: str) -> str:
    return check_level(key.split(":", 1)[1].strip().lower() if ":" in key else "nominal")


@dataclass(frozen=True)
class _IccStatistic:
    """One ICC form over a (B, n, k) batch; two-way forms are NaN on incomplete resamples.
    ``magnitude``: the data's size in the batch's units (see :func:`icc_arrays`). Its
    ``jackknife`` gives the leave-one-out values in O(n) for complete data (BCa)."""

    form: str
    magnitude: float | None

    def __call__(self, xb: FloatArray) -> FloatArray:
        form, magnitude = self.form, self.magnitude
        if form[4] != "1" and np.isnan(xb).any():
            complete = ~np.isnan(xb).any(axis=(-2, -1))
            out = np.full(xb.shape[0], np.nan)
            if complete.any():
                out[complete] = icc_arrays(xb[complete], (form,), None, magnitude)[form]["value"]
            return out
        values = icc_arrays(xb, (form,), None, magnitude)[form]["value"]
        return np.asarray(values, dtype=np.float64)

    def jackknife(self, x: FloatArray) -> FloatArray | None:
        return icc_jackknife(x, self.form, self.magnitude)


def _resolve_statistic(
    statistic: str | Statistic, vectorized: bool, magnitude: float | None
) -> tuple[BatchFn, bool, str]:
    """Return (function, batched?, name). Batched functions map (B, n, k) to (B,)."""
    if isinstance(statistic, str):
        key = statistic.strip()
        if key.lower().startswith("krippendorff"):
            lvl = _krippendorff_level(key)
            fn, batched = alpha_statistic(lvl, magnitude if lvl == "interval" else None)
            return fn, batched, f"Krippendorff's alpha ({lvl})"
        form = resolve_form(key)
        return _IccStatistic(form, magnitude), True, form

    call = statistic
    name = getattr(call, "__name__", "statistic")

    def as_float(m: FloatArray) -> FloatArray:
        r = call(m)
        return np.asarray(r.value if isinstance(r, Estimate) else r, dtype=np.float64)

    return as_float, vectorized, name


def _affine_invariant(statistic: str | Statistic) -> bool:
    """Named statistics unchanged by y = a x + b (a > 0): every ICC and interval alpha."""
    if not isinstance(statistic, str):
        return False
    key = statistic.strip().lower()
    return not key.startswith("krippendorff") or _krippendorff_level(key) == "interval"


def _undefined_reason(statistic: str | Statistic, mat: FloatArray) -> str:
    """The reason an Estimate-returning statistic gives for being undefined on ``mat``."""
    try:
        if isinstance(statistic, str):
            if statistic.strip().lower().startswith("krippendorff"):
                lvl = statistic.split(":", 1)[1].strip() if ":" in statistic else "nominal"
                return str(krippendorff_alpha(mat, lvl).reason)  # type: ignore[arg-type]
            return str(icc(mat, statistic).reason)
        result = statistic(mat)
    except Exception as exc:  # pragma: no cover - only used to word a message
        return f"{type(exc).__name__}: {exc}"
    if isinstance(result, Estimate) and result.reason:
        return result.reason
    return "it returned NaN"


def bootstrap(
    x: Ratings,
    statistic: str | Statistic,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
    method: Literal["percentile", "bca"] = "percentile",
    vectorized: bool = False,
) -> Estimate:
    """Subject-level (row) bootstrap CI and SE for any coefficient.

    Each resample draws the n subjects (rows of ``x``, with all their ratings) with
    replacement, so the dependence between a subject's ratings is kept; raters are fixed.

    ``statistic`` is either

    * a name with a vectorised implementation: any ICC form accepted by
      :func:`~fidelity.stats.icc.icc` (all resamples computed at once as a (B, n, k) batch, in
      memory-bounded chunks), or ``"krippendorff:<level>"`` (batched for ``interval``; looped
      for the other levels);
    * a callable ``f(matrix) -> float | Estimate`` called once per resample, or, with
      ``vectorized=True``, ``f(batch) -> array`` taking a (B, n, k) array and returning B values.

    ``method="percentile"`` (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*,
    doi:10.1007/978-1-4899-4541-9) or ``"bca"``, bias-corrected and accelerated with the
    acceleration from the subject-level jackknife (Efron 1987,
    doi:10.1080/01621459.1987.10478410). Resamples on which the statistic is undefined are
    left out and counted. ``value`` is the statistic on the full data, ``se`` the standard
    deviation of the bootstrap distribution (``se_method``); ``ci_method`` names the interval.
    Random numbers come from ``numpy.random.default_rng(seed)``; the same seed gives the same
    result.

    The BCa jackknife: for a named ICC form on complete data, closed-form leave-one-out values
    in O(n) (:func:`~fidelity.stats.icc.icc_jackknife`); otherwise delete-one up to 1,000
    subjects and, above that, a grouped jackknife over 1,000 interleaved groups of subjects,
    so its cost is bounded by 1,000 evaluations of the statistic.

    Named statistics are computed on the data rescaled exactly by powers of two and centred
    (they are invariant to it), so any scale works; a callable gets the data as given.
    Infinite values are refused (:class:`ValueError`). Fewer than two defined resamples give
    an undefined result whose ``reason`` says how many there were.

    ``details`` keys: ``method``, ``n_resamples``, ``n_undefined`` (resamples left out),
    ``resampling``, ``seed`` (when an integer) and ``bias`` (mean of the resamples minus the
    value); BCa adds ``z0``, ``acceleration`` and ``jackknife`` (which one was used), and
    ``note`` when the jackknife or the adjustment fell back.
    """
    if method not in ("percentile", "bca"):
        raise ValueError(f"unknown bootstrap method {method!r}; use 'percentile' or 'bca'")
    conf = check_confidence(confidence)
    b_total = int(n_resamples)
    if b_total < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    mat = as_matrix(x)
    data, magnitude = mat, None
    if _affine_invariant(statistic):  # rescaled exactly: in range at any scale
        data, magnitude, _ = normalize(mat)
    fn, batched, name = _resolve_statistic(statistic, vectorized, magnitude)
    return resample(
        data, fn, batched, name, n_resamples=b_total, confidence=conf, seed=seed, method=method,
        why=lambda: _undefined_reason(statistic, mat),
    )  # fmt: skip
