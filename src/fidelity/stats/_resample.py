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
    """Statistic on x[index[b]] for each row b of ``index`` (B, m)."""
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


def _jackknife(fn: BatchFn, batched: bool, x: FloatArray) -> FloatArray:
    """Leave-one-subject-out values, the index arrays built in memory-bounded chunks."""
    n = x.shape[0]
    base = np.arange(n - 1)[None, :]
    step = _chunk((n - 1) * x.shape[1]) if batched else 64
    parts = []
    for i in range(0, n, step):
        left_out = np.arange(i, min(i + step, n))[:, None]
        parts.append(evaluate(fn, batched, x, base + (base >= left_out)))
    return np.concatenate(parts)


def _bca_probs(
    fn: BatchFn, batched: bool, mat: FloatArray, good: FloatArray, point: float,
    probs: FloatArray, details: dict[str, Any],
) -> FloatArray:  # fmt: skip
    """BCa-adjusted quantile levels (Efron 1987), with bias z0 and the jackknife acceleration
    recorded in ``details``; the percentile levels when the adjustment is not finite."""
    prop = (np.sum(good < point) + 0.5 * np.sum(good == point)) / good.size
    z0 = float(special.ndtri(prop))
    jack = _jackknife(fn, batched, mat)
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
        return undefined(label, "the statistic is undefined on (almost) every resample", n, k,
                         **details)  # fmt: skip
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
