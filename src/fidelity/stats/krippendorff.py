"""Krippendorff's alpha for nominal, ordinal, interval and ratio data, with missing values,
computed from closed forms without a values × values coincidence matrix (Krippendorff 2011,
"Computing Krippendorff's Alpha-Reliability", https://repository.upenn.edu/asc_papers/43;
Hayes & Krippendorff 2007, doi:10.1080/19312450709336664)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from fidelity.stats._numeric import negligible, normalize
from fidelity.stats._resample import resample, with_bootstrap
from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, check_confidence, undefined

if TYPE_CHECKING:
    from fidelity.stats.estimate import Ratings

__all__ = ["Level", "krippendorff_alpha"]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS = ("nominal", "ordinal", "interval", "ratio")
_EXACT_RATIO_MAX_DISTINCT = 2048


def _interval_disagreements(
    vals: FloatArray, unit: npt.NDArray[np.intp], m: FloatArray
) -> tuple[float, float]:
    """Sum over units of within-unit squared differences / (m_u - 1), and total pair sum.

    Σ_u Σ_{i≠j} (v_i - v_j)² / (m_u - 1) = Σ_u 2 m_u SS_u / (m_u - 1), and the expected-pair sum
    Σ_c Σ_k n_c n_k (c - k)² = 2 n SS_total, with SS the sums of squared deviations.
    """
    c = vals - vals.mean()
    means = np.bincount(unit, weights=c, minlength=m.size) / m
    dev = c - means[unit]
    ss_u = np.bincount(unit, weights=dev * dev, minlength=m.size)
    observed = float((2.0 * m * ss_u / (m - 1.0)).sum())
    expected = 2.0 * vals.size * float((c * c).sum())
    return observed, expected


def _midranks(vals: FloatArray) -> FloatArray:
    """Position of each value on the ordinal metric: Σ_{g<c} n_g + n_c / 2 (Krippendorff 2011)."""
    _, inverse, counts = np.unique(vals, return_inverse=True, return_counts=True)
    cum = np.cumsum(counts, dtype=np.float64) - counts / 2.0
    return np.asarray(cum[inverse], dtype=np.float64)


def _ratio_pair_sum(values: FloatArray, counts: FloatArray) -> float:
    """P = Σ_c Σ_k n_c n_k ((c - k)/(c + k))² over distinct positive values c, k.

    Computed without cancellation (the expansion 1 - 4ck/(c + k)² loses every digit when the
    values are close relative to their size). Exact pairwise sums (chunked O(V²)) for up to a
    few thousand distinct values. Otherwise from (c - k)²/(c + k)² = (c - k)² ∫₀^∞ t
    e^{-(c+k)t} dt, so with weights w_c(t) = n_c e^{-ct}, W = Σ w_c and their weighted mean
    m(t): P = ∫₀^∞ 2 t W(t) Σ_c w_c(t) (c - m(t))² dt, a weighted variance that is summed in
    two passes over centred values and never cancels. After t = e^s the integrand is smooth
    and decays doubly-exponentially for large s and exponentially for small s, so the
    trapezoid rule with step 0.1 is accurate to rounding. Cost O(V × 400), memory O(chunk).
    """
    # the metric is scale free: divide by a power of two (exact) near the geometric mean
    v = values / math.ldexp(1.0, round(float(np.mean(np.log2(values)))))
    w = counts
    if v.size <= _EXACT_RATIO_MAX_DISTINCT:
        total = 0.0
        step = max(1, 2**22 // v.size)
        for i in range(0, v.size, step):
            a = v[i : i + step, None]
            d = (a - v[None, :]) / (a + v[None, :])
            total += float((w[i : i + step, None] * w[None, :] * d * d).sum())
        return total
    h = 0.1
    lo = float(v.min())
    s = np.arange(-math.log(v.max()) - 25.0, -math.log(lo) + math.log(60.0) + h, h)
    t = np.exp(s)
    ref = float(np.median(v))
    a_all = v - ref  # centred: differences of close values stay exact
    step = max(1, 2**20 // t.size)

    def weights(i: int) -> FloatArray:
        # n_c e^{-(c - min) t}: the common factor e^{-min t} is restored below
        return np.asarray(w[i : i + step, None] * np.exp(-np.outer(v[i : i + step] - lo, t)))

    big_w = np.zeros_like(t)
    first = np.zeros_like(t)
    for i in range(0, v.size, step):
        wt = weights(i)
        big_w += wt.sum(axis=0)
        first += a_all[i : i + step] @ wt
    mean = first / big_w
    spread = np.zeros_like(t)
    for i in range(0, v.size, step):
        dev = a_all[i : i + step, None] - mean[None, :]
        spread += (weights(i) * dev * dev).sum(axis=0)
    decay = np.exp(-2.0 * lo * t)
    return float(h * np.sum(2.0 * t * t * decay * big_w * spread))


def _ratio_disagreements(xp: FloatArray, m: FloatArray, vals: FloatArray) -> tuple[float, float]:
    k = xp.shape[1]
    observed = 0.0
    for i in range(k):
        for j in range(i + 1, k):
            a, b = xp[:, i], xp[:, j]
            both = ~(np.isnan(a) | np.isnan(b))
            a, b, mm = a[both], b[both], m[both]
            s = a + b
            with np.errstate(invalid="ignore", divide="ignore"):
                d = np.where(s > 0, ((a - b) / np.where(s > 0, s, 1.0)) ** 2, 0.0)
            observed += float((2.0 * d / (mm - 1.0)).sum())
    distinct, counts = np.unique(vals, return_counts=True)
    cnt = counts.astype(np.float64)
    zero = distinct == 0.0
    n_zero = float(cnt[zero].sum())
    pos_v, pos_c = distinct[~zero], cnt[~zero]
    n_pos = float(pos_c.sum())
    expected = 2.0 * n_zero * n_pos
    if pos_v.size:
        expected += _ratio_pair_sum(pos_v, pos_c)
    return observed, expected


def _nominal_disagreements(
    vals: FloatArray, unit: npt.NDArray[np.intp], m: FloatArray
) -> tuple[float, float]:
    _, code, n_c = np.unique(vals, return_inverse=True, return_counts=True)
    n_v = n_c.size
    key = unit.astype(np.int64) * n_v + code.astype(np.int64)
    ukey, n_uc = np.unique(key, return_counts=True)
    u_of = ukey // n_v
    nuc = n_uc.astype(np.float64)
    o_cc = float((nuc * (nuc - 1.0) / (m[u_of] - 1.0)).sum())
    n = float(vals.size)
    observed = n - o_cc
    expected = n * n - float((n_c.astype(np.float64) ** 2).sum())
    return observed, expected


def _unit_counts(m_all: npt.NDArray[np.intp], level: str) -> dict[str, Any]:
    pair = m_all >= 2
    return {
        "level": level,
        "n_units": int(m_all.size),
        "n_units_pairable": int(pair.sum()),
        "n_units_unpairable": int((~pair & (m_all > 0)).sum()),
        "n_units_empty": int((m_all == 0).sum()),
    }


def _disagreements(
    level: str, xp: FloatArray, vals: FloatArray, unit: npt.NDArray[np.intp], m: FloatArray
) -> tuple[float, float]:
    if level == "nominal":
        return _nominal_disagreements(vals, unit, m)
    if level == "ordinal":
        return _interval_disagreements(_midranks(vals), unit, m)
    if level == "interval":
        return _interval_disagreements(vals, unit, m)
    return _ratio_disagreements(xp, m, vals)


def alpha_point(x: FloatArray, level: str) -> tuple[float, str | None, dict[str, Any]]:
    """(alpha, reason it is undefined or None, details) of units × raters ``x``."""
    k = x.shape[1]
    mask = ~np.isnan(x)
    m_all = mask.sum(axis=1)
    pair = m_all >= 2
    details = _unit_counts(m_all, level)
    if k < 2:
        why = f"{k} rater column(s): alpha needs at least two values per unit"
        return math.nan, why, details
    if not pair.any():
        return math.nan, "no unit has two or more values, so there are no pairable values", details
    xp = x[pair]
    m = m_all[pair].astype(np.float64)
    vals = xp[mask[pair]]
    unit = np.repeat(np.arange(xp.shape[0]), m_all[pair])
    n = float(vals.size)
    details["n_pairable_values"] = int(n)
    if level == "ratio" and np.any(vals < 0):
        raise ValueError("the ratio level needs non-negative values; use level='interval'")
    if level in ("interval", "ratio"):  # exact power-of-two rescaling keeps sums in range
        xp, magnitude, unit_size = normalize(xp, centre=level == "interval")
        vals = xp[mask[pair]]
        flat = negligible(float(((vals - vals.mean()) ** 2).sum()), n, magnitude)
    else:
        unit_size, flat = 1.0, bool(np.all(vals == vals[0]))
    obs, exp = _disagreements(level, xp, vals, unit, m)
    square = unit_size * unit_size if level == "interval" else 1.0  # metric δ² in data units
    details["observed_disagreement"] = obs / n * square
    details["expected_disagreement"] = exp / (n * (n - 1.0)) * square
    if flat or not exp > 0.0:
        return (
            math.nan,
            "all pairable values are identical (a single category / no variation beyond "
            "rounding of the data): expected disagreement is zero, so alpha is undefined",
            details,
        )
    return 1.0 - (n - 1.0) * obs / exp, None, details


def check_level(level: str) -> str:
    """``level`` if it is one of :data:`LEVELS`, else :class:`ValueError`."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    return level


def interval_alpha_batched(xb: FloatArray, magnitude: float | None = None) -> FloatArray:
    """Interval alpha for each x[b] of a (B, units, raters) array, NaN = missing; zero
    variance is judged against ``magnitude`` (default: each x[b]'s largest centred value)."""
    mask = ~np.isnan(xb)
    m = mask.sum(axis=-1).astype(np.float64)
    pair = m >= 2
    use = mask & pair[..., None]
    center = np.nanmean(xb)
    z = np.where(use, xb - center, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = z.sum(axis=-1)
        mu = np.where(pair, s / np.where(pair, m, 1.0), 0.0)
        ss_u = (np.where(use, z - mu[..., None], 0.0) ** 2).sum(axis=-1)
        within = np.where(pair, m * ss_u / np.where(pair, m - 1.0, 1.0), 0.0).sum(axis=-1)
        n = np.where(pair, m, 0.0).sum(axis=-1)
        tot_s = s.sum(axis=-1)
        ss_tot = (z * z).sum(axis=(-2, -1)) - tot_s**2 / n
        alpha = 1.0 - (n - 1.0) / n * within / ss_tot
        scale = np.abs(z).max(axis=(-2, -1)) if magnitude is None else magnitude
        bad = (n < 2) | negligible(ss_tot, np.maximum(n, 1.0), scale)
    return np.asarray(np.where(bad, np.nan, alpha), dtype=np.float64)


def alpha_statistic(
    level: str, magnitude: float | None = None
) -> tuple[Callable[[FloatArray], FloatArray], bool]:
    """Alpha at ``level`` as a bootstrap statistic: (function, takes a (B, n, k) batch?);
    ``magnitude`` as in :func:`interval_alpha_batched`."""
    if level == "interval":
        return functools.partial(interval_alpha_batched, magnitude=magnitude), True

    def alpha_one(m: FloatArray) -> FloatArray:
        return np.asarray(alpha_point(m, level)[0], dtype=np.float64)

    return alpha_one, False


_NO_BOOTSTRAP = "no interval or standard error without a bootstrap: pass bootstrap=B"


def krippendorff_alpha(
    x: Ratings,
    level: Level = "nominal",
    *,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | np.random.Generator | None = None,
) -> Estimate:
    """Krippendorff's alpha for any number of raters, with missing values.

    ``x`` is units × raters (note: the ``krippendorff`` package takes raters × units).
    ``alpha = 1 - D_o / D_e`` with ``D_o = (1/n) Σ_ck o_ck δ²_ck`` and
    ``D_e = 1/(n(n-1)) Σ_ck n_c n_k δ²_ck`` over pairable values (units with at least two
    values; units with fewer are not pairable and are counted in ``details``), where each
    unit's pairs are weighted 1/(m_u - 1) (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability", https://repository.upenn.edu/asc_papers/43; Hayes & Krippendorff 2007,
    doi:10.1080/19312450709336664). Levels and metrics δ²:

    * ``nominal``: δ = 0 if c = k else 1 (exact equality of the float values);
    * ``ordinal``: δ = Σ_{g=c..k} n_g - (n_c + n_k)/2, which equals the difference of the
      values' mid-ranks among all pairable values, so ordinal alpha is interval alpha on
      mid-ranks;
    * ``interval``: δ = c - k;
    * ``ratio``: δ = (c - k)/(c + k) (values must be non-negative; δ(0, 0) = 0).

    No values × values matrix is ever built, so continuous data with many distinct values are
    fine: interval and ordinal use within-unit and overall sums of squares (O(N log N));
    nominal counts coincidences by sorting; ratio sums pairs within units (O(raters² × units))
    and the expected disagreement exactly for up to 2,048 distinct values, else through an
    integral representation (a weighted variance, which does not cancel) evaluated by a
    trapezoid rule accurate to rounding.

    ``bootstrap=B > 0`` adds a percentile CI and SE from B resamples of *units* (subjects) with
    replacement, via :func:`~fidelity.stats.bootstrap.bootstrap`. This is a subject-level
    bootstrap, not Krippendorff's own algorithm (which resamples pairs of values); ``seed``
    makes it reproducible. Without it (or when it fails) ``ci_reason`` and ``se_reason`` say
    why there is no interval.

    ``n_subjects`` counts the pairable units. ``details`` keys: ``level``; ``n_units``,
    ``n_units_pairable``, ``n_units_unpairable`` (one value), ``n_units_empty``;
    ``n_pairable_values``, ``observed_disagreement`` (D_o) and ``expected_disagreement`` (D_e)
    once there are pairable values; with a bootstrap, ``bootstrap`` holds the bootstrap's own
    details (see :func:`~fidelity.stats.bootstrap.bootstrap`).

    Interval alpha is computed on the values rescaled exactly by powers of two and centred,
    ratio alpha on values rescaled by a power of two (each level is invariant to that), so
    values of any magnitude, or far from zero relative to their spread, give the same alpha;
    ratio alpha sums ((c - k)/(c + k))² directly, never as 1 - 4ck/(c + k)², which cancels.
    Infinite values are refused (:class:`ValueError`).

    Undefined (``nan`` with ``reason``): fewer than two raters, no unit with two values, or no
    variation among the pairable values (a single category; for interval and ratio data, a
    spread within rounding of the values' magnitude, as decided by
    :func:`fidelity.stats._numeric.negligible`).
    """
    lvl = check_level(level)
    conf = check_confidence(confidence)
    mat = as_matrix(x)
    value, reason, details = alpha_point(mat, lvl)
    method = f"Krippendorff's alpha ({lvl})"
    n_units = int(details["n_units_pairable"])
    k = int(mat.shape[1])
    if reason is not None:
        return undefined(method, reason, n_units, k, **details)
    if not bootstrap:
        return Estimate(
            value=value, method=method, n_subjects=n_units, n_raters=k, details=details,
            ci_reason=_NO_BOOTSTRAP, se_reason=_NO_BOOTSTRAP,
        )  # fmt: skip
    boot_x, magnitude = mat, None
    if lvl == "interval":  # rescaled exactly, as for the point estimate
        boot_x, magnitude, _ = normalize(mat)
    fn, batched = alpha_statistic(lvl, magnitude)
    bs = resample(
        boot_x, fn, batched, method, n_resamples=int(bootstrap), confidence=conf, seed=seed,
        method="percentile", why=lambda: reason or "",
    )  # fmt: skip
    return with_bootstrap(value, bs, method, details, n_subjects=n_units, n_raters=k,
                          confidence=conf)  # fmt: skip
