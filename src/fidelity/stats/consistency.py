"""Internal consistency, item–total statistics and item spread.

``items`` is a subjects × items array-like (``NaN`` = missing) or a wide ``pandas.DataFrame``
whose columns are items (column names are used as item names).

* :func:`cronbach_alpha` -- Cronbach's alpha (Cronbach 1951, doi:10.1007/BF02310555) with the
  Feldt CI (Feldt 1965, doi:10.1007/BF02289703; Feldt, Woodruff & Salih 1987,
  doi:10.1177/014662168701100107), standardized alpha, alpha if item deleted and corrected
  item–total correlations.
* :func:`item_total_statistics` -- the per-item part of the above as a table.
* :func:`item_spread` -- share of answers at every level of the full scale, floor and ceiling
  shares, unused levels, and flags against commonly used criteria.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from fidelity.stats._numeric import cancelled, negligible, normalize
from fidelity.stats.estimate import (
    Estimate,
    FloatArray,
    check_confidence,
    check_finite,
    undefined,
)

if TYPE_CHECKING:
    import pandas as pd

    Items = npt.ArrayLike | pd.DataFrame
else:
    Items = Any

__all__ = [
    "FLOOR_CEILING_THRESHOLD",
    "MIN_ITEM_TOTAL_R",
    "ItemSpread",
    "cronbach_alpha",
    "item_spread",
    "item_total_statistics",
]

#: Floor/ceiling effect when more than 15% of answers are at the lowest/highest level
#: (Terwee et al. 2007, doi:10.1016/j.jclinepi.2006.03.012; stated there for total scores and
#: commonly applied to items).
FLOOR_CEILING_THRESHOLD = 0.15
#: Corrected item–total correlation below 0.30 flags an item that does not fit its scale
#: (Nunnally & Bernstein 1994, *Psychometric Theory*, 3rd ed., McGraw-Hill, ISBN 0070478493).
MIN_ITEM_TOTAL_R = 0.30

Missing = Literal["listwise", "pairwise"]


def _items_matrix(items: Items) -> tuple[FloatArray, list[str]]:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None  # type: ignore[assignment]
    if pd is not None and isinstance(items, pd.DataFrame):
        names = [str(c) for c in items.columns]
        arr = np.asarray(items.to_numpy(dtype=float), dtype=np.float64)
    else:
        arr = np.asarray(items, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError(f"items must be a 2-D subjects × items array, got shape {arr.shape}")
        names = [f"item{j + 1}" for j in range(arr.shape[1])]
    return check_finite(arr, "items"), names


def _covariance(x: FloatArray, missing: str) -> tuple[FloatArray, FloatArray, int]:
    """Covariance matrix, matrix of pair counts, and number of rows dropped (listwise)."""
    if missing == "listwise":
        keep = ~np.isnan(x).any(axis=1)
        xc = x[keep]
        n = xc.shape[0]
        counts = np.full((x.shape[1], x.shape[1]), float(n))
        if n < 2:
            return np.full(counts.shape, np.nan), counts, int((~keep).sum())
        return np.atleast_2d(np.cov(xc, rowvar=False, ddof=1)), counts, int((~keep).sum())
    mask = (~np.isnan(x)).astype(np.float64)
    n_col = mask.sum(axis=0)
    center = np.where(mask > 0, x, 0.0).sum(axis=0) / np.maximum(n_col, 1.0)
    z = np.where(mask > 0, x - center, 0.0)
    counts = mask.T @ mask
    prod = z.T @ z
    sums = z.T @ mask  # sums[i, j] = Σ x_i over rows where j is present (and i)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (prod - sums * sums.T / counts) / (counts - 1.0)
    cov = np.where(counts >= 2, cov, np.nan)
    return cov, counts, 0


def _alpha_from_cov(cov: FloatArray) -> float:
    k = cov.shape[0]
    total = float(cov.sum())
    # a pairwise covariance matrix need not be positive semi-definite: total <= 0 is possible
    if k < 2 or total <= 0.0 or cancelled(total, cov):
        return math.nan
    return k / (k - 1.0) * (1.0 - float(np.trace(cov)) / total)


def _item_stats(cov: FloatArray) -> tuple[list[float], list[float]]:
    k = cov.shape[0]
    if_deleted: list[float] = []
    item_total: list[float] = []
    for j in range(k):
        rest = [i for i in range(k) if i != j]
        sub = cov[np.ix_(rest, rest)]
        if_deleted.append(_alpha_from_cov(sub) if k > 2 else math.nan)
        var_rest = float(sub.sum())
        num = float(cov[j, rest].sum())
        flat = not (cov[j, j] > 0.0 and var_rest > 0.0) or cancelled(var_rest, sub)
        item_total.append(math.nan if flat else num / math.sqrt(cov[j, j] * var_rest))
    return if_deleted, item_total


_FELDT = "Feldt (1965); Feldt, Woodruff & Salih (1987): F(n-1, (n-1)(k-1))"
_NO_SE = "no standard error is reported for alpha; the Feldt interval does not need one"


def _standardized_alpha(
    cov: FloatArray, magnitude: float, n: int, details: dict[str, Any]
) -> tuple[float, FloatArray]:
    """Standardized alpha from the mean inter-item correlation, and the item variances (in
    the rescaled units of ``cov``); why it is undefined goes to
    ``details["standardized_alpha_reason"]``."""
    k = cov.shape[0]
    var = np.diag(cov)
    if np.any(negligible(var * max(n - 1, 1), n, magnitude)):
        details["standardized_alpha_reason"] = "an item has zero variance"
        return math.nan, var
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    rbar = float((corr.sum() - np.trace(corr)) / (k * (k - 1)))
    if 1.0 + (k - 1) * rbar <= 1e-12:
        details["standardized_alpha_reason"] = (
            "the mean inter-item correlation is -1/(k-1), so the standardized total has no variance"
        )
        return math.nan, var
    return k * rbar / (1.0 + (k - 1) * rbar), var


def _feldt_interval(alpha: float, n_used: int, k: int, conf: float) -> tuple[float, float]:
    """Feldt's F-based interval: (1 - alpha) / (1 - alpha_pop) ~ F(n-1, (n-1)(k-1))."""
    df1 = n_used - 1.0
    df2 = df1 * (k - 1.0)
    tail = (1.0 - conf) / 2.0
    lo = 1.0 - (1.0 - alpha) * float(special.fdtri(df1, df2, 1.0 - tail))
    hi = 1.0 - (1.0 - alpha) * float(special.fdtri(df1, df2, tail))
    return lo, hi


def _check_options(missing: str, confidence: float) -> float:
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"unknown missing-data rule {missing!r}; use 'listwise' or 'pairwise'")
    return check_confidence(confidence)


def cronbach_alpha(
    items: Items,
    *,
    missing: Missing = "listwise",
    confidence: float = 0.95,
    min_item_total: float = MIN_ITEM_TOTAL_R,
) -> Estimate:
    """Cronbach's alpha of a subjects × items table, with Feldt CI and item statistics.

    ``alpha = k/(k-1) * (1 - Σ var(item) / var(total))`` computed from the item covariance
    matrix C as ``k/(k-1) * (1 - trace(C) / sum(C))`` (Cronbach 1951, doi:10.1007/BF02310555).
    ``n_items`` is the number of items k; ``n_raters`` is None.

    Missing data, stated explicitly:

    * ``missing="listwise"`` (default): subjects with any missing item are dropped, and their
      number is reported in ``details["n_dropped"]``; ``n_subjects`` is the number used;
    * ``missing="pairwise"``: each covariance uses the subjects who answered both items (the
      covariance matrix may then not be positive semi-definite); the CI uses the smallest
      pairwise count as n (conservative), reported in ``details["n_for_ci"]``; when alpha
      exceeds 1 (possible only then) there is no CI and ``ci_reason`` says why.

    CI: Feldt (1965, doi:10.1007/BF02289703; Feldt, Woodruff & Salih 1987,
    doi:10.1177/014662168701100107): ``(1 - alpha) / (1 - alpha_pop)`` ~ F(n-1, (n-1)(k-1)), so
    the bounds are ``1 - (1 - alpha) * F_{1-γ/2}`` and ``1 - (1 - alpha) * F_{γ/2}``. No
    standard error (``se_reason`` says so).

    ``details`` keys: ``missing``, ``items`` (names), ``n_dropped``, ``n_for_ci``; once alpha
    is defined also ``standardized_alpha`` (from the mean inter-item correlation r̄,
    ``k r̄ / (1 + (k-1) r̄)``; ``standardized_alpha_reason`` when it is undefined),
    ``item_variance``, ``alpha_if_item_deleted`` and ``corrected_item_total_r`` (each item
    against the sum of the other items, computed from C), ``min_item_total`` and
    ``low_item_total``: the items whose corrected item–total r is below ``min_item_total``
    (default 0.30, Nunnally & Bernstein 1994).

    Undefined (``nan`` with ``reason``): fewer than two items, an item without any answer
    (named; alpha belongs to a fixed set of items, so it is not dropped silently), fewer than
    two usable subjects, or no variance in the total score beyond rounding: the total
    variance, a sum of covariances, is zero when it is within 64 units in the last place of
    the sum of the covariances' absolute values (:func:`fidelity.stats._numeric.cancelled`).
    The covariances come from the data rescaled exactly by powers of two and centred, so
    alpha, standardized alpha and the item–total correlations are the same at any scale
    (``item_variance`` is reported in the data's units). Infinite values are refused
    (:class:`ValueError`).
    """
    conf = _check_options(missing, confidence)
    raw, names = _items_matrix(items)
    n_all, k = raw.shape
    method = f"Cronbach's alpha ({missing} deletion)"
    if k < 2:
        return undefined(method, f"{k} item(s): alpha needs at least two items", n_all, None,
                         n_items=k)  # fmt: skip
    x, magnitude, unit = normalize(raw)  # exact rescaling: alpha is invariant, sums in range
    cov, counts, dropped = _covariance(x, missing)
    n_used = int(counts.min()) if missing == "pairwise" else int(counts[0, 0])
    n_subjects = n_all - dropped if missing == "listwise" else int((~np.isnan(x)).any(1).sum())
    details: dict[str, Any] = {"missing": missing, "items": names, "n_dropped": dropped,
                               "n_for_ci": n_used}  # fmt: skip
    empty = [nm for nm, col in zip(names, np.isnan(x).all(axis=0), strict=True) if col]
    if empty and n_all:
        why = (
            f"item(s) {', '.join(empty)} have no answers; alpha is a property of a fixed set "
            "of items, so remove the item(s) explicitly if they are not part of the scale"
        )
        return undefined(method, why, n_subjects, None, n_items=k, **details)
    if n_used < 2 or not np.all(np.isfinite(cov)):
        why = f"fewer than two subjects with usable answers ({missing} deletion)"
        return undefined(method, why, n_subjects, None, n_items=k, **details)
    alpha = _alpha_from_cov(cov)
    if math.isnan(alpha):
        why = "no variance in the total score"
        return undefined(method, why, n_subjects, None, n_items=k, **details)
    std_alpha, var = _standardized_alpha(cov, magnitude, n_used, details)
    if_deleted, item_total = _item_stats(cov)
    details.update(
        standardized_alpha=std_alpha,
        item_variance=[float(v) * unit * unit for v in var],
        alpha_if_item_deleted=if_deleted,
        corrected_item_total_r=item_total,
        min_item_total=min_item_total,
        low_item_total=[nm for nm, r in zip(names, item_total, strict=True) if r < min_item_total],
    )
    ci: tuple[float, float] | None = _feldt_interval(alpha, n_used, k, conf)
    ci_reason = None
    if alpha > 1.0:
        ci = None
        ci_reason = (
            "alpha exceeds 1 because the pairwise covariance matrix is not positive "
            "semi-definite; the Feldt interval is not defined"
        )
    return Estimate(
        value=alpha, method=method, n_subjects=n_subjects, n_raters=None, ci=ci,
        confidence=conf if ci is not None else None, details=details, n_items=k,
        ci_method=_FELDT if ci is not None else None, ci_reason=ci_reason, se_reason=_NO_SE,
    )  # fmt: skip


def item_total_statistics(
    items: Items, *, missing: Missing = "listwise", min_item_total: float = MIN_ITEM_TOTAL_R
) -> pd.DataFrame:
    """Per item: variance, corrected item–total r, alpha if item deleted, and a low-r flag.

    Same conventions as :func:`cronbach_alpha` (whose ``details`` hold the same numbers).
    """
    import pandas as pd

    est = cronbach_alpha(items, missing=missing, min_item_total=min_item_total)
    names = _items_matrix(items)[1]
    d = est.details
    k = len(names)
    nan = [math.nan] * k
    r = list(d.get("corrected_item_total_r", nan))
    return pd.DataFrame(
        {
            "item": names,
            "variance": d.get("item_variance", nan),
            "corrected_item_total_r": r,
            "alpha_if_item_deleted": d.get("alpha_if_item_deleted", nan),
            "low_item_total": [bool(v < min_item_total) for v in r],
        }
    )


@dataclass(frozen=True)
class ItemSpread:
    """Distribution of one item's answers over the full scale.

    ``shares`` maps every level of the scale (in scale order) to the share of answered
    (non-missing) ratings at that level, so unused levels appear with share 0.
    """

    item: str
    n_answered: int
    n_missing: int
    shares: dict[float, float]
    floor_share: float
    ceiling_share: float
    unused_levels: tuple[float, ...]
    n_out_of_scale: int
    flags: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (level keys as strings)."""
        out = asdict(self)
        out["shares"] = {_fmt(k): v for k, v in self.shares.items()}
        out["unused_levels"] = list(self.unused_levels)
        out["flags"] = list(self.flags)
        return out


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def item_spread(
    items: Items,
    levels: Sequence[float],
    *,
    threshold: float = FLOOR_CEILING_THRESHOLD,
) -> list[ItemSpread]:
    """Spread of each item's answers over the *full* scale ``levels`` (lowest to highest).

    Passing the scale's levels (rather than inferring them from the data) makes unused levels
    visible. For each item: the share of answered ratings at each level; the floor and ceiling
    shares (at the lowest / highest level); unused levels; answers that are not a level of the
    scale (counted, and excluded from shares). Missing (``NaN``) answers are excluded from the
    shares and counted in ``n_missing``.

    Flags, against commonly used criteria:

    * floor / ceiling effect when more than ``threshold`` (default 15%) of answers sit at the
      lowest / highest level (Terwee et al. 2007, doi:10.1016/j.jclinepi.2006.03.012; stated
      there for total scores, commonly applied to items);
    * unused levels of the scale;
    * only one level used (no spread: the item cannot discriminate);
    * answers outside the scale; no answers at all.

    Corrected item–total correlations are in :func:`cronbach_alpha` / :func:`item_total_statistics`.
    """
    lv = check_finite(np.asarray(levels, dtype=np.float64).reshape(-1), "levels")
    if lv.size < 2:
        raise ValueError("a scale needs at least two levels")
    if np.any(np.diff(lv) <= 0):
        raise ValueError("levels must be given in increasing order without repeats")
    x, names = _items_matrix(items)
    return [_item_spread(name, x[:, j], lv, threshold) for j, name in enumerate(names)]


def _spread_flags(
    shares: FloatArray, counts: FloatArray, unused: tuple[float, ...], n_valid: int,
    threshold: float,
) -> list[str]:  # fmt: skip
    """Floor, ceiling, unused-level and single-level flags of one item."""
    if n_valid == 0:
        return ["no answers on the scale"]
    flags: list[str] = []
    if shares[0] > threshold:
        flags.append(
            f"floor effect: {shares[0]:.0%} at the lowest level "
            f"(> {threshold:.0%}; Terwee et al. 2007)"
        )
    if shares[-1] > threshold:
        flags.append(
            f"ceiling effect: {shares[-1]:.0%} at the highest level "
            f"(> {threshold:.0%}; Terwee et al. 2007)"
        )
    if unused:
        flags.append("unused levels: " + ", ".join(_fmt(v) for v in unused))
    if int((counts > 0).sum()) == 1:
        flags.append("only one level used: the item does not discriminate")
    return flags


def _item_spread(name: str, col: FloatArray, lv: FloatArray, threshold: float) -> ItemSpread:
    answered = col[~np.isnan(col)]
    in_scale = np.isin(answered, lv)
    n_out = int((~in_scale).sum())
    valid = answered[in_scale]
    n_valid = valid.size
    counts = np.array([(valid == v).sum() for v in lv], dtype=np.float64)
    shares = counts / n_valid if n_valid else np.full(lv.size, math.nan)
    unused = tuple(float(v) for v, c in zip(lv, counts, strict=True) if c == 0)
    flags = _spread_flags(shares, counts, unused, n_valid, threshold)
    if n_out:
        flags.append(f"{n_out} answer(s) outside the scale")
    return ItemSpread(
        item=name,
        n_answered=int(answered.size),
        n_missing=int(col.size - answered.size),
        shares={float(v): float(s) for v, s in zip(lv, shares, strict=True)},
        floor_share=float(shares[0]),
        ceiling_share=float(shares[-1]),
        unused_levels=unused,
        n_out_of_scale=n_out,
        flags=tuple(flags),
    )
