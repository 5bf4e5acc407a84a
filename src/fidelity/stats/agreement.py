"""Chance-corrected agreement for nominal and ordinal ratings, in Gwet's framework.

Every coefficient here has the form ``(pa - pe) / (1 - pe)``: observed agreement ``pa``
corrected by chance agreement ``pe``, both under a q × q agreement-weight matrix ``w``
(identity for nominal data). One engine serves them all, following Gwet (2014), *Handbook
of Inter-Rater Reliability*, 4th ed., ch. 2-5, and Gwet (2008),
doi:10.1348/000711006X126600:

* ratings are tallied into a subjects × categories count matrix ``r_ik`` over the *full*
  category set (``categories``: an instrument knows its scale; default: the observed
  values, sorted). A rating that is not one of the categories is an error.
* observed agreement: ``pa_i = sum_k r_ik (r*_ik - 1) / (r_i (r_i - 1))`` with
  ``r*_ik = sum_l w_kl r_il``, averaged over the ``n2`` subjects rated by two or more raters
  (the share of agreeing rater pairs, with partial credit under weights).
* chance agreement uses every subject with at least one rating (``n`` subjects):

  - Fleiss (1971, doi:10.1037/h0031619): ``pe = sum_kl w_kl pi_k pi_l`` with
    ``pi_k = mean_i r_ik / r_i`` (pooled classification probabilities);
  - Conger (1980, doi:10.1037/0033-2909.88.2.322) and Cohen (1960,
    doi:10.1177/001316446002000104; weighted: 1968, doi:10.1037/h0026256): rater-specific
    marginals ``p_gk`` (share of rater g's ratings in category k), ``pe = sum_kl w_kl
    (pbar_k pbar_l - s2_kl / r)`` where ``s2_kl`` is the covariance of ``p_gk, p_gl`` over
    raters; for two raters this is Cohen's ``sum_kl w_kl p_1k p_2l``;
  - Brennan & Prediger (1981, doi:10.1177/001316448104100307): ``pe = sum_kl w_kl / q^2``;
  - Gwet's AC1/AC2: ``pe = T_w / (q (q - 1)) sum_k pi_k (1 - pi_k)``, ``T_w = sum_kl w_kl``.

Standard errors are Gwet's linearisation variances, conditional on the raters
(``var = sum_i (kappa*_i - kappa)^2 / (n (n - 1))``, no finite-population correction), as
in Gwet (2014) and his irrCAC software. Cohen's kappa with every subject rated by both
raters uses the Fleiss, Cohen & Everitt (1969, doi:10.1037/h0028106) large-sample
variance instead.

Confidence intervals: ``value ± t_{n-1, (1+confidence)/2} · se`` (Student t with
``n - 1`` degrees of freedom, ``n`` = subjects with at least one rating) with the upper
limit truncated at 1, the convention of Gwet (2014) and irrCAC.

Weights: ``"linear"`` ``w_kl = 1 - |k - l| / (q - 1)`` and ``"quadratic"``
``w_kl = 1 - ((k - l) / (q - 1))^2`` are defined on the *positions* k, l of the categories
in the ordered category set (Cicchetti & Allison 1971; Fleiss & Cohen 1973,
doi:10.1177/001316447303300309), so they equal Gwet's value-based weights when the
category values are equally spaced; pass a custom matrix for unequally spaced scales.
A custom matrix must be q × q, symmetric, with values in [0, 1] and ones on the diagonal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, undefined

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "percent_agreement",
]

IntArray = npt.NDArray[np.intp]
WeightsArg = str | npt.ArrayLike | None
Coefficient = Literal["cohen", "conger", "fleiss", "bp", "gwet", "pa"]

_WEIGHT_NAMES = ("identity", "linear", "quadratic")
_PE_ONE = 1.0 - 1e-12


# --------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class _Data:
    """Ratings coded as category positions; subjects and raters without ratings removed."""

    codes: IntArray  # n × r, -1 where missing
    counts: FloatArray  # n × q, r_ik
    rater_counts: FloatArray  # r × q, ratings of rater g in category k
    categories: FloatArray  # q
    n_raters: int


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")


_LUT_SPAN = 1 << 16  # integer scales spanning fewer values are coded by table lookup


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
    categories: Sequence[float] | npt.ArrayLike | None,
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
        return found
    cats = np.asarray(categories, dtype=np.float64).ravel()
    if cats.size == 0:
        raise ValueError("categories must not be empty")
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


def _prepare(x: Any, categories: Sequence[float] | npt.ArrayLike | None) -> _Data:
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
    return _Data(
        codes=codes,
        counts=by_subject[:, 1:].astype(np.float64),
        rater_counts=by_rater[:, 1:].astype(np.float64),
        categories=cats,
        n_raters=codes.shape[1],
    )


def _weight_matrix(weights: WeightsArg, q: int) -> tuple[FloatArray, str]:
    """The q × q agreement-weight matrix and its name."""
    if weights is None or isinstance(weights, str):
        name = "identity" if weights is None else weights
        if name not in _WEIGHT_NAMES:
            raise ValueError(
                f"unknown weights {weights!r}; use None, one of {list(_WEIGHT_NAMES)}, "
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


def _within_weights(within: int, q: int) -> FloatArray:
    pos = np.arange(q)
    return (np.abs(pos[:, None] - pos[None, :]) <= within).astype(np.float64)


# --------------------------------------------------------------------------- engine


_METHODS: dict[Coefficient, str] = {
    "cohen": "Cohen's kappa",
    "conger": "Conger's kappa",
    "fleiss": "Fleiss' kappa",
    "bp": "Brennan-Prediger coefficient",
    "gwet": "Gwet's AC1",
    "pa": "percent agreement",
}


def _method_name(coef: Coefficient, wname: str, within: int) -> str:
    if coef == "pa":
        if within:
            return f"percent agreement (within {within})"
        return "percent agreement" + ("" if wname == "identity" else f" ({wname} weights)")
    if coef == "gwet":
        return "Gwet's AC1" if wname == "identity" else f"Gwet's AC2 ({wname} weights)"
    base = _METHODS[coef]
    return base if wname == "identity" else f"{base} ({wname} weights)"


def _agreement(
    x: Any,
    coef: Coefficient,
    *,
    weights: WeightsArg = None,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
    within: int = 0,
) -> Estimate:
    _check_confidence(confidence)
    if isinstance(weights, str) and weights not in _WEIGHT_NAMES:
        _weight_matrix(weights, 2)  # raises with the list of names
    mat = as_matrix(x)
    if coef == "cohen":
        ncols = mat.shape[1]
        if ncols > 2:
            raise ValueError(
                f"Cohen's kappa is for two raters, got {ncols}; "
                "use conger_kappa, fleiss_kappa or gwet_ac for more"
            )
    data = _prepare(mat, categories)
    q = data.categories.size
    if coef == "pa" and within > 0:
        w, wname = _within_weights(within, q), f"within {within}"
    else:
        w, wname = _weight_matrix(weights, q)
    method = _method_name(coef, wname, within)
    n, r = data.codes.shape
    info: dict[str, Any] = {
        "weights": wname,
        "weight_matrix": w.tolist(),
        "categories": [float(c) for c in data.categories],
    }

    if n == 0:
        return undefined(method, "no ratings", 0, 0, **info)
    if r < 2:
        return undefined(method, "only one rater has ratings; agreement needs two", n, r, **info)
    counts = data.counts
    ri = counts @ np.ones(q)  # ratings per subject (a matmul beats a short-axis sum)
    multi = ri >= 2
    n2 = int(multi.sum())
    info["n_pairable"] = n2
    if n2 == 0:
        return undefined(method, "no subject is rated by two or more raters", n, r, **info)
    if coef != "pa" and q < 2:
        return undefined(
            method,
            "a single category: chance agreement is 1, so the coefficient is undefined; "
            "pass the scale's full category set as `categories`",
            n,
            r,
            **info,
        )

    # observed agreement, per subject (0 for subjects with fewer than two ratings)
    weighted = counts @ w.T
    den = np.where(multi, ri * (ri - 1.0), 1.0)
    pa_i = np.where(multi, (np.einsum("ik,ik->i", counts, weighted) - ri) / den, 0.0)
    pa = float(pa_i.sum()) / n2
    info["pa"] = pa

    # chance agreement and its per-subject linearised contribution
    share = counts / ri[:, None]  # r_ik / r_i
    pi = share.mean(axis=0)
    pe_i: FloatArray | None
    if coef == "pa":
        pe, pe_i = 0.0, None
    elif coef == "bp":
        pe, pe_i = float(w.sum()) / q**2, None
    elif coef == "gwet":
        scale = float(w.sum()) / (q * (q - 1))
        pe = scale * float(np.sum(pi * (1.0 - pi)))
        pe_i = scale * (share @ (1.0 - pi))
    elif coef == "fleiss":
        pe = float(pi @ w @ pi)
        pe_i = share @ ((w + w.T) @ pi / 2.0)
    else:  # conger, cohen
        pe, pe_i = _conger_chance(data.codes, data.rater_counts, w)
    info["pe"] = pe
    if pe >= _PE_ONE:
        return undefined(
            method,
            "chance agreement is 1 (every rating falls in one category), "
            "so the coefficient is undefined",
            n,
            r,
            **info,
        )
    value = (pa - pe) / (1.0 - pe)

    if coef == "cohen" and n2 == n:
        var = _fce_variance(data.codes, w, value, pe)
        info["se_method"] = "Fleiss, Cohen & Everitt (1969) large-sample variance"
    else:
        var = _gwet_variance(value, pa_i, multi, pe, pe_i, n, n2)
        info["se_method"] = "Gwet (2014) linearisation variance, conditional on the raters"

    se: float | None
    ci: tuple[float, float] | None
    if n < 2 or not math.isfinite(var):
        se, ci = None, None
        info["se_reason"] = "one subject: no standard error"
    else:
        se = math.sqrt(max(var, 0.0))
        half = float(stats.t.ppf((1.0 + confidence) / 2.0, n - 1)) * se
        ci = (value - half, min(1.0, value + half))
        info["ci_method"] = f"Student t, {n - 1} df; upper limit truncated at 1"
    return Estimate(
        value=float(value),
        method=method,
        n_subjects=n,
        n_raters=r,
        ci=ci,
        se=se,
        confidence=confidence if ci is not None else None,
        details=info,
    )


def _conger_chance(
    codes: IntArray, rater_counts: FloatArray, w: FloatArray
) -> tuple[float, FloatArray]:
    """Conger's chance agreement from rater-specific marginals, and its linearisation.

    Gwet (2014, ch. 5): ``pe_i = sum_g lambda_ig / (r (r - 1))`` with
    ``lambda_ig = (n / n_g) sum_k [sum_l w_kl (d_igl - (e_ig - n_g / n) p_gl)] (r pbar_k - p_gk)``,
    evaluated here through ``M = B W`` with ``B_gk = r pbar_k - p_gk`` (no loop over
    subjects or categories).
    """
    n, r = codes.shape
    rated = codes >= 0
    n_g = rater_counts.sum(axis=1)  # subjects rated by each rater
    p = rater_counts / n_g[:, None]  # p_gk
    pbar = p.mean(axis=0)
    s2 = (p.T @ p - r * np.outer(pbar, pbar)) / (r - 1)
    pe = float(np.sum(w * (np.outer(pbar, pbar) - s2 / r)))

    b = r * pbar[None, :] - p  # r × q
    m = b @ w  # M_gl = sum_k B_gk w_kl
    c = np.einsum("gk,kl,gl->g", b, w, p)  # sum_k B_gk (W p_g)_k
    safe = np.where(rated, codes, 0)
    hit = np.where(rated, m[np.arange(r)[None, :], safe], 0.0)
    eps = rated.astype(np.float64)
    lam = (n / n_g)[None, :] * (hit - (eps - n_g[None, :] / n) * c[None, :])
    return pe, lam.sum(axis=1) / (r * (r - 1))


def _gwet_variance(
    value: float,
    pa_i: FloatArray,
    multi: npt.NDArray[np.bool_],
    pe: float,
    pe_i: FloatArray | None,
    n: int,
    n2: int,
) -> float:
    """Gwet's (2008, 2014) linearisation variance, conditional on the raters."""
    if n < 2:
        return math.nan
    k_i = (n / n2) * (pa_i - pe * multi) / (1.0 - pe)
    if pe_i is not None:
        k_i = k_i - 2.0 * (1.0 - value) * (pe_i - pe) / (1.0 - pe)
    return float(np.sum((k_i - value) ** 2) / (n * (n - 1)))


def _fce_variance(codes: IntArray, w: FloatArray, kappa: float, pe: float) -> float:
    """Fleiss, Cohen & Everitt (1969) large-sample variance of (weighted) Cohen's kappa.

    ``var = [sum_kl p_kl (w_kl - (wbar_k. + wbar_.l)(1 - kappa))^2
    - (kappa - pe (1 - kappa))^2] / (n (1 - pe)^2)``, written as the population variance of
    the per-subject term ``u_i = w_{a_i b_i} - (1 - kappa)(wbar_{a_i .} + wbar_{. b_i})``
    (whose mean is ``kappa - pe (1 - kappa)``) divided by ``n (1 - pe)^2``.
    """
    n = codes.shape[0]
    if n < 2:
        return math.nan
    a, b = codes[:, 0], codes[:, 1]
    q = w.shape[0]
    p_row = np.bincount(a, minlength=q) / n
    p_col = np.bincount(b, minlength=q) / n
    wbar_row = w @ p_col  # wbar_k. = sum_l w_kl p_.l
    wbar_col = p_row @ w  # wbar_.l = sum_k w_kl p_k.
    u = w[a, b] - (1.0 - kappa) * (wbar_row[a] + wbar_col[b])
    return float(np.mean((u - u.mean()) ** 2) / (n * (1.0 - pe) ** 2))


# --------------------------------------------------------------------------- public API


def cohen_kappa(
    x: npt.ArrayLike | pd.DataFrame,
    weights: WeightsArg = None,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Cohen's kappa for two raters, unweighted or weighted.

    Cohen (1960, doi:10.1177/001316446002000104); weighted kappa: Cohen (1968,
    doi:10.1037/h0026256). ``pe = sum_kl w_kl p_1k p_2l`` from each rater's own marginal
    distribution over the full ``categories``. With missing ratings (Gwet 2014, ch. 2),
    ``pa`` uses the subjects rated by both raters and each rater's marginals use every
    subject that rater rated; this is Conger's kappa for two raters.

    Standard error: Fleiss, Cohen & Everitt (1969, doi:10.1037/h0028106) large-sample
    (non-null) variance when both raters rated every subject; with missing ratings, Gwet's
    (2014) linearisation variance (on complete data the two differ only by the factor
    n / (n - 1) on the variance). CI: Student t with n - 1 df, upper limit truncated at 1.

    Args:
        x: subjects × 2 raters array (NaN = missing) or a long table (subject, rater, rating).
        weights: None (nominal), ``"linear"``, ``"quadratic"`` or a symmetric q × q matrix.
        categories: the full ordered category set of the scale (default: observed values).
        confidence: confidence level of ``ci``.

    Returns:
        An ``Estimate``; ``value`` is NaN with a ``reason`` when kappa is undefined.

    Raises:
        ValueError: more than two raters, ratings outside ``categories``, bad weights.
    """
    return _agreement(x, "cohen", weights=weights, categories=categories, confidence=confidence)


def fleiss_kappa(
    x: npt.ArrayLike | pd.DataFrame,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
    *,
    weights: WeightsArg = None,
) -> Estimate:
    """Fleiss' kappa for any number of raters (Fleiss 1971, doi:10.1037/h0031619).

    ``pe = sum_kl w_kl pi_k pi_l`` from the pooled classification probabilities
    ``pi_k = mean_i r_ik / r_i``. With complete data this is Fleiss' (1971) kappa; with
    missing ratings and weights it is Gwet's (2014, ch. 5) generalisation. Standard error:
    Gwet's linearisation variance conditional on the raters (not Fleiss, Nee & Landis'
    1979 variance under the null hypothesis). CI: t with n - 1 df, upper limit at most 1.
    """
    return _agreement(x, "fleiss", weights=weights, categories=categories, confidence=confidence)


def conger_kappa(
    x: npt.ArrayLike | pd.DataFrame,
    weights: WeightsArg = None,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Conger's kappa for any number of raters (Conger 1980, doi:10.1037/0033-2909.88.2.322).

    Chance agreement averages the Cohen-type pairwise chance agreements of all rater pairs,
    from rater-specific marginals: ``pe = sum_kl w_kl (pbar_k pbar_l - s2_kl / r)``.
    Missing ratings and the standard error follow Gwet (2014, ch. 5): linearisation variance
    conditional on the raters; CI: t with n - 1 df, upper limit at most 1.
    """
    return _agreement(x, "conger", weights=weights, categories=categories, confidence=confidence)


def brennan_prediger(
    x: npt.ArrayLike | pd.DataFrame,
    weights: WeightsArg = None,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Brennan & Prediger's (1981, doi:10.1177/001316448104100307) coefficient.

    Uniform chance agreement over the q categories of the scale: ``pe = sum_kl w_kl / q^2``
    (so it depends on the full category set). Standard error: Gwet (2014) linearisation
    variance; CI: t with n - 1 df, upper limit at most 1.
    """
    return _agreement(x, "bp", weights=weights, categories=categories, confidence=confidence)


def gwet_ac(
    x: npt.ArrayLike | pd.DataFrame,
    weights: WeightsArg = None,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Gwet's AC1 (unweighted) or AC2 (weighted) agreement coefficient.

    Gwet (2008, doi:10.1348/000711006X126600; 2014, ch. 4-5):
    ``pe = T_w / (q (q - 1)) sum_k pi_k (1 - pi_k)`` with ``T_w = sum_kl w_kl`` and pooled
    ``pi_k = mean_i r_ik / r_i`` over every subject with a rating. Standard error: Gwet's
    linearisation variance conditional on the raters; CI: t with n - 1 df, upper limit at
    most 1.
    """
    return _agreement(x, "gwet", weights=weights, categories=categories, confidence=confidence)


def percent_agreement(
    x: npt.ArrayLike | pd.DataFrame,
    within: int = 0,
    categories: Sequence[float] | npt.ArrayLike | None = None,
    confidence: float = 0.95,
    *,
    weights: WeightsArg = None,
) -> Estimate:
    """Share of agreeing rater pairs, exact (``within=0``) or within ``within`` levels.

    Two ratings agree within k levels when their positions in the ordered category set
    differ by at most k. For each subject rated by two or more raters, the share of its
    rater pairs that agree; averaged over those subjects (Gwet 2014, ch. 2). No chance
    correction. ``weights`` (with ``within=0``) gives Gwet's weighted percent agreement,
    partial credit ``w_kl`` for a pair rated k and l. Standard error: Gwet's
    linearisation variance; CI: t with n - 1 df, upper limit at most 1.
    """
    if isinstance(within, bool) or not isinstance(within, int | np.integer) or within < 0:
        raise ValueError(f"within must be a non-negative whole number of levels, got {within!r}")
    if within and weights is not None:
        raise ValueError("give either `within` or `weights`, not both")
    return _agreement(
        x, "pa", weights=weights, categories=categories, confidence=confidence, within=int(within)
    )
