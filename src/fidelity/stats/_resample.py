"""The subject-level bootstrap engine: resample rows, evaluate a statistic in memory-bounded
batches, and turn the bootstrap distribution into a percentile or BCa interval.

The public entry point, which also names the statistics it knows, is
:func:`fidelity.stats.bootstrap.bootstrap`; :func:`~fidelity.stats.krippendorff.krippendorff_alpha`
calls the engine directly for its ``bootstrap=B`` option.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from fidelity.stats.estimate import Estimate, FloatArray, undefined

#: A statistic over x[..., n, k]: batched ones map (B, n, k) to (B,), others (n, k) to a scalar.
BatchFn = Callable[[FloatArray], FloatArray]

SE_METHOD = "standard deviation of the bootstrap distribution"
_CI_METHODS = {
    "percentile": "subject-level percentile bootstrap (Efron & Tibshirani 1993)",
    "bca": "subject-level BCa bootstrap, jackknife acceleration (Efron 1987)",
}


def _chunk(n_elements_per_item: int) -> int:
    return max(1, (2**21) // max(1, n_elements_per_item))


def evaluate(fn: BatchFn, batched: bool, x: FloatArray, index: npt.NDArray[np.intp]) -> FloatArray:
    """Statistic on x[index[b]] for each row b of ``index`` (B, m).

    A statistic with an ``on_index(x, index)`` method evaluates the resamples itself from
    the indices (e.g. from bootstrap counts as weights, without gathering each resample).
    """
    on_index = getattr(fn, "on_index", None)
    if on_index is not None:
        return np.asarray(on_index(x, index), dtype=np.float64).reshape(-1)
    b_total = index.shape[0]
    out = np.empty(b_total, dtype=np.float64)
    if batched:
        step = _chunk(index.shape[1] * x.shape[1])
        for i in range(0, b_total, step):
            out[i : i + step] = np.asarray(fn(x[index[i : i + step]]), dtype=np.float64).reshape(-1)
    else:
        for i in range(b_total):
            out[i] = float(np.asarray(fn(x[index[i]])).reshape(-1)[0])
    return out


#: Bootstrap values within this relative distance of the estimate count as ties in BCa's z0.
TIE_TOLERANCE = 1e-10

#: Above this many subjects the BCa acceleration comes from a grouped (delete-a-group)
#: jackknife with this many interleaved groups, so its cost is bounded by this many
#: evaluations of the statistic instead of growing as n evaluations of size n (O(n²)).
JACKKNIFE_MAX_GROUPS = 1000


def _jackknife(fn: BatchFn, batched: bool, x: FloatArray) -> tuple[FloatArray, str]:
    """Leave-one-subject-out values, or for more than :data:`JACKKNIFE_MAX_GROUPS` subjects
    leave-one-group-out values over interleaved groups (subject i in group i mod G); the
    index arrays are built in memory-bounded chunks. Returns the values and a description.

    The acceleration ``sum d**3 / (6 (sum d**2)**1.5)`` is a ratio of the third to the 1.5th
    power of the second cumulant of the empirical influence values; both cumulants add over
    independent subjects, so group sums of influence estimate them too (Efron & Tibshirani
    1993, section 11.5, on the grouped jackknife).
    """
    n = x.shape[0]
    groups = min(n, JACKKNIFE_MAX_GROUPS)
    members = np.arange(n)
    step = _chunk((n - 1) * x.shape[1]) if batched else 64
    parts = []
    # groups below n % G hold one subject more: each run of equal-sized groups is one batch
    for lo, hi in ((0, n % groups), (n % groups, groups)):
        for g0 in range(lo, hi, step):
            left_out = np.arange(g0, min(g0 + step, hi))[:, None]
            keep = members[None, :] % groups != left_out
            index = np.nonzero(keep)[1].reshape(left_out.shape[0], -1)
            parts.append(evaluate(fn, batched, x, index))
    sizes = f"{n // groups}" if n % groups == 0 else f"{n // groups}-{n // groups + 1}"
    what = (
        f"delete-one ({n} subjects)"
        if groups == n
        else f"grouped: {groups} interleaved groups of {sizes} subjects"
    )
    return np.concatenate(parts), what


def _bca_probs(
    fn: BatchFn, batched: bool, mat: FloatArray, good: FloatArray, point: float,
    probs: FloatArray, details: dict[str, Any],
) -> FloatArray:  # fmt: skip
    """BCa-adjusted quantile levels (Efron 1987), with bias z0 and the jackknife acceleration
    recorded in ``details``; the percentile levels when the adjustment is not finite."""
    # resamples equal to the estimate up to rounding are ties (a resample that permutes the
    # subjects reproduces it, but not bit for bit): otherwise z0 would depend on rounding
    tie = np.abs(good - point) <= TIE_TOLERANCE * max(1.0, abs(point))
    prop = (np.sum((good < point) & ~tie) + 0.5 * np.sum(tie)) / good.size
    z0 = float(special.ndtri(prop))
    closed = getattr(fn, "jackknife", None)  # a statistic may know its O(n) jackknife
    exact = closed(mat) if closed is not None else None
    if exact is not None:
        jack, details["jackknife"] = exact, f"delete-one ({mat.shape[0]} subjects, closed form)"
    else:
        jack, details["jackknife"] = _jackknife(fn, batched, mat)
    jack = jack[np.isfinite(jack)]
    if jack.size < 2:
        accel = 0.0
        details["note"] = "jackknife undefined on (almost) every subset; acceleration set to 0"
    else:
        d = jack.mean() - jack
        denom = 6.0 * float((d**2).sum()) ** 1.5
        accel = float((d**3).sum()) / denom if denom > 0 else 0.0
    zq = special.ndtri(probs)
    adj = special.ndtr(z0 + (z0 + zq) / (1.0 - accel * (z0 + zq)))
    details.update(z0=z0, acceleration=accel)
    if not np.all(np.isfinite(adj)):
        details["note"] = "BCa adjustment not finite; percentile interval used"
        return probs
    return np.asarray(adj, dtype=np.float64)


def resample(
    mat: FloatArray,
    fn: BatchFn,
    batched: bool,
    name: str,
    *,
    n_resamples: int,
    confidence: float,
    seed: int | np.random.Generator | None,
    method: str,
    why: Callable[[], str],
) -> Estimate:
    """Bootstrap ``fn`` over the rows of ``mat``; ``why()`` words why it is undefined on the
    full data (called only then)."""
    n, k = mat.shape
    label = f"{name}; subject-level bootstrap ({method})"
    if n < 2:
        return undefined(label, f"{n} subject(s): a bootstrap needs at least two", n, k)
    if k < 1:
        return undefined(label, "no rater columns: there is nothing to resample", n, k)
    point = evaluate(fn, batched, mat, np.arange(n)[None, :])[0]
    if not math.isfinite(point):
        return undefined(label, f"the statistic is undefined on the full data: {why()}", n, k)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(n_resamples, n))
    thetas = evaluate(fn, batched, mat, index)
    finite = np.isfinite(thetas)
    good = thetas[finite]
    details: dict[str, Any] = {
        "method": method, "n_resamples": n_resamples, "n_undefined": int((~finite).sum()),
        "resampling": "subjects (rows) with replacement", "seed": seed
        if isinstance(seed, int) else None,
    }  # fmt: skip
    if good.size < 2:
        few = (
            f"only {good.size} of {n_resamples} resamples gave a defined value; an interval "
            "and a standard error need at least two"
        )
        return undefined(label, few, n, k, **details)
    tail = (1.0 - confidence) / 2.0
    probs = np.array([tail, 1.0 - tail])
    if method == "bca":
        probs = _bca_probs(fn, batched, mat, good, point, probs, details)
    lo, hi = np.quantile(good, probs)
    details["bias"] = float(good.mean() - point)
    return Estimate(
        value=float(point), method=label, n_subjects=n, n_raters=k,
        ci=(float(lo), float(hi)), se=float(good.std(ddof=1)), confidence=confidence,
        details=details, ci_method=f"{_CI_METHODS[method]}, {n_resamples} resamples",
        se_method=SE_METHOD,
    )  # fmt: skip


def with_bootstrap(
    value: float, bs: Estimate, method: str, details: dict[str, Any], *, n_subjects: int,
    n_raters: int | None, confidence: float, **extra: Any,
) -> Estimate:  # fmt: skip
    """The point estimate ``value`` carrying the interval and SE of the bootstrap ``bs``, or
    the reason it has none; ``details`` gains the bootstrap's own details."""
    details["bootstrap"] = dict(bs.details)
    failed = None if bs.ci is not None else f"no bootstrap interval: {bs.reason}"
    return Estimate(
        value=value, method=method, n_subjects=n_subjects, n_raters=n_raters, ci=bs.ci,
        se=bs.se, confidence=confidence if bs.ci is not None else None, details=details,
        ci_method=bs.ci_method, se_method=bs.se_method, ci_reason=failed,
        se_reason=None if bs.se is not None else failed, **extra,
    )  # fmt: skip
