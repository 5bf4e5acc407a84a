"""Chance-corrected agreement for nominal and ordinal ratings, in Gwet's framework.

Every coefficient here has the form ``(pa - pe) / (1 - pe)``: observed agreement ``pa``
corrected by chance agreement ``pe``, both under a q × q agreement-weight matrix ``w``
(identity for nominal data). One engine serves them all, following Gwet (2014), *Handbook
of Inter-Rater Reliability*, 4th ed., ch. 2-5, and Gwet (2008),
doi:10.1348/000711006X126600:

* ratings are tallied into a subjects × categories count matrix ``r_ik`` over the *full*
  category set (``categories``: an instrument knows its scale; default: the observed
  values, sorted). A rating that is not one of the categories is an error, and so are more
  than :data:`~fidelity.stats._tally.MAX_CATEGORIES` (1,000) categories: such data are
  measurements, not categories, and the q × q weight table would grow without bound.
  Linear and quadratic weights and ``within`` use the positions in the order given; an order
  that is not increasing gives a ``UserWarning``. Infinite ratings are refused.
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

Confidence intervals (``ci_method``, every coefficient here): ``value ± c · se``, upper limit
truncated at 1, where the quantile ``c`` is

* ``"t"`` (default): Student t with ``n - 1`` degrees of freedom, ``t_{n-1, (1+confidence)/2}``
  (``n`` = subjects with at least one rating), the convention of Gwet (2014) and irrCAC;
* ``"normal"``: the standard normal quantile ``z_{(1+confidence)/2}``, the convention of SAS
  PROC FREQ (AGREE) and Stata ``kap``; with it, Cohen's kappa reproduces PROC FREQ's simple
  and weighted kappa intervals (SAS/STAT User's Guide, The FREQ Procedure, "Agreement Study").

The two differ by the factor ``t / z`` on the half-width (1.04 at n = 30, 1.004 at n = 300).
``Estimate.ci_method`` records which was used, with its degrees of freedom.

Weights: ``"linear"`` ``w_kl = 1 - |k - l| / (q - 1)`` and ``"quadratic"``
``w_kl = 1 - ((k - l) / (q - 1))^2`` are defined on the *positions* k, l of the categories
in the ordered category set (Cicchetti & Allison 1971; Fleiss & Cohen 1973,
doi:10.1177/001316447303300309), so they equal Gwet's value-based weights when the
category values are equally spaced; pass a custom matrix for unequally spaced scales.
A custom matrix must be q × q, symmetric, with values in [0, 1] and ones on the diagonal.

Results: ``ci_method`` and ``se_method`` name the interval and the variance used;
``se_reason`` and ``ci_reason`` say why a defined coefficient has none (a single subject).
Every coefficient's ``details`` holds ``weights`` (the weights' name: identity, linear,
quadratic, custom or "within k"), ``weight_matrix`` (q × q, as nested lists), ``categories``
(the category set, in order), ``n_pairable`` (subjects rated by two or more raters), ``pa``
(observed agreement) and ``pe`` (chance agreement); the last three are absent when the
coefficient is undefined before they are computed.

Every option is keyword-only:
``(x, *, weights=None, categories=None, confidence=0.95, ci_method="t")``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from fidelity.stats._tally import (
    WEIGHT_NAMES,
    CategoriesArg,
    IntArray,
    Tally,
    WeightsArg,
    tally,
    weight_matrix,
    within_weights,
)
from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, check_confidence, undefined

if TYPE_CHECKING:
    from fidelity.stats.estimate import Ratings

__all__ = [
    "CI_METHODS",
    "CiMethod",
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "fleiss_kappa",
    "gwet_ac",
    "percent_agreement",
]

Coefficient = Literal["cohen", "conger", "fleiss", "bp", "gwet", "pa"]
#: The quantile of the large-sample interval: Student t with n - 1 df, or standard normal.
CiMethod = Literal["t", "normal"]
CI_METHODS: tuple[str, ...] = ("t", "normal")

_PE_ONE = 1.0 - 1e-12

_METHODS: dict[Coefficient, str] = {
    "cohen": "Cohen's kappa",
    "conger": "Conger's kappa",
    "fleiss": "Fleiss' kappa",
    "bp": "Brennan-Prediger coefficient",
    "gwet": "Gwet's AC1",
    "pa": "percent agreement",
}

_SE_FCE = "Fleiss, Cohen & Everitt (1969) large-sample variance"
_SE_GWET = "Gwet (2014) linearisation variance, conditional on the raters"
_NO_SE = "one subject: no standard error"

# --------------------------------------------------------------------------- engine


def _method_name(coef: Coefficient, wname: str, within: int) -> str:
    if coef == "pa":
        if within:
            return f"percent agreement (within {within})"
        return "percent agreement" + ("" if wname == "identity" else f" ({wname} weights)")
    if coef == "gwet":
        return "Gwet's AC1" if wname == "identity" else f"Gwet's AC2 ({wname} weights)"
    base = _METHODS[coef]
    return base if wname == "identity" else f"{base} ({wname} weights)"


@dataclass(frozen=True)
class _Setup:
    """The tallied ratings, the weight matrix and what every result reports."""

    data: Tally
    w: FloatArray
    method: str
    info: dict[str, Any]


def _setup(
    x: Any, coef: Coefficient, weights: WeightsArg, categories: CategoriesArg, within: int
) -> _Setup:
    """Check the arguments, tally the ratings and build the weight matrix."""
    if isinstance(weights, str) and weights not in WEIGHT_NAMES:
        weight_matrix(weights, 2)  # raises with the list of names
    mat = as_matrix(x)
    if coef == "cohen":
        ncols = mat.shape[1]
        if ncols > 2:
            raise ValueError(
                f"Cohen's kappa is for two raters, got {ncols}; "
                "use conger_kappa, fleiss_kappa or gwet_ac for more"
            )
    data = tally(mat, categories)
    q = data.categories.size
    _check_order(data.categories, weights, within)
    if coef == "pa" and within > 0:
        w, wname = within_weights(within, q), f"within {within}"
    else:
        w, wname = weight_matrix(weights, q)
    info: dict[str, Any] = {
        "weights": wname,
        "weight_matrix": w.tolist(),
        "categories": [float(c) for c in data.categories],
    }
    return _Setup(data, w, _method_name(coef, wname, within), info)


def _check_order(cats: FloatArray, weights: WeightsArg, within: int) -> None:
    """Linear and quadratic weights and ``within`` use the positions of the categories in the
    order given; when that is not increasing numeric order, say so with a ``UserWarning``
    (a deliberate order is allowed; a custom matrix states its own order and is not checked)."""
    positional = within > 0 or (isinstance(weights, str) and weights in ("linear", "quadratic"))
    if positional and np.any(np.diff(cats) <= 0):
        shown = ", ".join(f"{c:g}" for c in cats[:12]) + (", ..." if cats.size > 12 else "")
        kind = f"{weights!s} weights" if within == 0 else f"agreement within {within}"
        warnings.warn(
            f"categories [{shown}] are not in increasing order; {kind} use the positions in "
            "the order given, not the numeric order. Sort them if that is not intended",
            UserWarning,
            stacklevel=5,
        )


def _undefined_reason(coef: Coefficient, n: int, r: int, n2: int | None, q: int) -> str | None:
    """Why the coefficient cannot be computed from the tally, if it cannot."""
    if n == 0:
        return "no ratings"
    if r < 2:
        return "only one rater has ratings; agreement needs two"
    if n2 is None:
        return None
    if n2 == 0:
        return "no subject is rated by two or more raters"
    if coef != "pa" and q < 2:
        return (
            "a single category: chance agreement is 1, so the coefficient is undefined; "
            "pass the scale's full category set as `categories`"
        )
    return None


def _chance(
    coef: Coefficient, s: _Setup, share: FloatArray, pi: FloatArray
) -> tuple[float, FloatArray | None]:
    """Chance agreement and its per-subject linearised contribution (None: constant)."""
    w, q = s.w, s.data.categories.size
    if coef == "pa":
        return 0.0, None
    if coef == "bp":
        return float(w.sum()) / q**2, None
    if coef == "gwet":
        scale = float(w.sum()) / (q * (q - 1))
        return scale * float(np.sum(pi * (1.0 - pi))), scale * (share @ (1.0 - pi))
    if coef == "fleiss":
        return float(pi @ w @ pi), share @ ((w + w.T) @ pi / 2.0)
    return _conger_chance(s.data.codes, s.data.rater_counts, w)  # conger, cohen


def _agreement(
    x: Any,
    coef: Coefficient,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    within: int = 0,
    ci_method: CiMethod = "t",
) -> Estimate:
    confidence = check_confidence(confidence)
    if ci_method not in CI_METHODS:
        raise ValueError(f"unknown ci_method {ci_method!r}; use 't' or 'normal'")
    s = _setup(x, coef, weights, categories, within)
    n, r = s.data.codes.shape
    q = s.data.categories.size
    reason = _undefined_reason(coef, n, r, None, q)
    if reason:
        return undefined(s.method, reason, n, r, **s.info)
    counts = s.data.counts
    ri = counts @ np.ones(q)  # ratings per subject (a matmul beats a short-axis sum)
    multi = ri >= 2
    n2 = int(multi.sum())
    s.info["n_pairable"] = n2
    reason = _undefined_reason(coef, n, r, n2, q)
    if reason:
        return undefined(s.method, reason, n, r, **s.info)

    # observed agreement, per subject (0 for subjects with fewer than two ratings)
    weighted = counts @ s.w.T
    den = np.where(multi, ri * (ri - 1.0), 1.0)
    pa_i = np.where(multi, (np.einsum("ik,ik->i", counts, weighted) - ri) / den, 0.0)
    pa = float(pa_i.sum()) / n2
    s.info["pa"] = pa

    share = counts / ri[:, None]  # r_ik / r_i
    pe, pe_i = _chance(coef, s, share, share.mean(axis=0))
    s.info["pe"] = pe
    if pe >= _PE_ONE:
        why = "chance agreement is 1 (every rating falls in one category), "
        return undefined(s.method, why + "so the coefficient is undefined", n, r, **s.info)
    value = (pa - pe) / (1.0 - pe)
    if coef == "cohen" and n2 == n:
        var, se_method = _fce_variance(s.data.codes, s.w, value, pe), _SE_FCE
    else:
        var, se_method = _gwet_variance(value, pa_i, multi, pe, pe_i, n, n2), _SE_GWET
    return _result(s, value, var, se_method, n, r, confidence, ci_method)


def _result(
    s: _Setup, value: float, var: float, se_method: str, n: int, r: int, confidence: float,
    ci_method: CiMethod,
) -> Estimate:  # fmt: skip
    """The Estimate with its standard error and large-sample interval (none for one subject)."""
    if n < 2 or not math.isfinite(var):
        return Estimate(
            value=float(value), method=s.method, n_subjects=n, n_raters=r, details=s.info,
            se_reason=_NO_SE, ci_reason=_NO_SE + ", so no interval",
        )  # fmt: skip
    se = math.sqrt(max(var, 0.0))
    if ci_method == "normal":
        quantile = float(special.ndtri((1.0 + confidence) / 2.0))
        described = "standard normal quantile; upper limit truncated at 1"
    else:
        quantile = float(stats.t.ppf((1.0 + confidence) / 2.0, n - 1))
        described = f"Student t, {n - 1} df; upper limit truncated at 1"
    half = quantile * se
    return Estimate(
        value=float(value), method=s.method, n_subjects=n, n_raters=r,
        ci=(value - half, min(1.0, value + half)), se=se, confidence=confidence, details=s.info,
        se_method=se_method, ci_method=described,
    )  # fmt: skip


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
    x: Ratings,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "t",
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
    n / (n - 1) on the variance); ``se_method`` says which. CI: ``value ± c · se``, upper
    limit truncated at 1, with ``c`` from ``ci_method``: ``"t"`` (default; Student t, n - 1
    df, as irrCAC) or ``"normal"`` (standard normal, as SAS PROC FREQ and Stata ``kap``).

    Args:
        x: subjects × 2 raters array (NaN = missing) or a long table (subject, rater, rating).
        weights: None (nominal), ``"linear"``, ``"quadratic"`` or a symmetric q × q matrix.
        categories: the full ordered category set of the scale (default: observed values).
        confidence: confidence level of ``ci``.
        ci_method: ``"t"`` (default) or ``"normal"``: the quantile of the interval.

    Returns:
        An ``Estimate``; ``value`` is NaN with a ``reason`` when kappa is undefined.
        ``details``: ``weights``, ``weight_matrix``, ``categories``, ``n_pairable``, ``pa`` and
        ``pe`` (described in :mod:`fidelity.stats.agreement`).

    Raises:
        ValueError: more than two raters, ratings outside ``categories``, bad weights.
        TypeError: an option passed by position (every option is keyword-only).
    """
    return _agreement(
        x, "cohen", weights=weights, categories=categories, confidence=confidence,
        ci_method=ci_method,
    )  # fmt: skip


def fleiss_kappa(
    x: Ratings,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "t",
) -> Estimate:
    """Fleiss' kappa for any number of raters (Fleiss 1971, doi:10.1037/h0031619).

    ``pe = sum_kl w_kl pi_k pi_l`` from the pooled classification probabilities
    ``pi_k = mean_i r_ik / r_i``. With complete data this is Fleiss' (1971) kappa; with
    missing ratings and weights it is Gwet's (2014, ch. 5) generalisation. Standard error:
    Gwet's linearisation variance conditional on the raters (not Fleiss, Nee & Landis'
    1979 variance under the null hypothesis). CI: ``ci_method="t"`` (default; n - 1 df) or
    ``"normal"``, upper limit at most 1. Options as in :func:`cohen_kappa`, keyword-only.

    ``details``: ``weights``, ``weight_matrix``, ``categories``, ``n_pairable``, ``pa`` and
    ``pe`` (described in :mod:`fidelity.stats.agreement`).
    """
    return _agreement(
        x, "fleiss", weights=weights, categories=categories, confidence=confidence,
        ci_method=ci_method,
    )  # fmt: skip


def conger_kappa(
    x: Ratings,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "t",
) -> Estimate:
    """Conger's kappa for any number of raters (Conger 1980, doi:10.1037/0033-2909.88.2.322).

    Chance agreement averages the Cohen-type pairwise chance agreements of all rater pairs,
    from rater-specific marginals: ``pe = sum_kl w_kl (pbar_k pbar_l - s2_kl / r)``.
    Missing ratings and the standard error follow Gwet (2014, ch. 5): linearisation variance
    conditional on the raters; CI: ``ci_method="t"`` (default; n - 1 df) or ``"normal"``,
    upper limit at most 1. Options as in :func:`cohen_kappa`, keyword-only.

    ``details``: ``weights``, ``weight_matrix``, ``categories``, ``n_pairable``, ``pa`` and
    ``pe`` (described in :mod:`fidelity.stats.agreement`).
    """
    return _agreement(
        x, "conger", weights=weights, categories=categories, confidence=confidence,
        ci_method=ci_method,
    )  # fmt: skip


def brennan_prediger(
    x: Ratings,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "t",
) -> Estimate:
    """Brennan & Prediger's (1981, doi:10.1177/001316448104100307) coefficient.

    Uniform chance agreement over the q categories of the scale: ``pe = sum_kl w_kl / q^2``
    (so it depends on the full category set). Standard error: Gwet (2014) linearisation
    variance; CI: ``ci_method="t"`` (default; n - 1 df) or ``"normal"``, upper limit at most
    1. Options as in :func:`cohen_kappa`, keyword-only.

    ``details``: ``weights``, ``weight_matrix``, ``categories``, ``n_pairable``, ``pa`` and
    ``pe`` (described in :mod:`fidelity.stats.agreement`).
    """
    return _agreement(
        x, "bp", weights=weights, categories=categories, confidence=confidence,
        ci_method=ci_method,
    )  # fmt: skip


def gwet_ac(
    x: Ratings,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "t",
) -> Estimate:
    """Gwet's AC1 (unweighted) or AC2 (weighted) agreement coefficient.

    Gwet (2008, doi:10.1348/000711006X126600; 2014, ch. 4-5):
    ``pe = T_w / (q (q - 1)) sum_k pi_k (1 - pi_k)`` with ``T_w = sum_kl w_kl`` and pooled
    ``pi_k = mean_i r_ik / r_i`` over every subject with a rating. Standard error: Gwet's
    linearisation variance conditional on the raters; CI: ``ci_method="t"`` (default; n - 1
    df) or ``"normal"``, upper limit at most 1. Options as in :func:`cohen_kappa`,
    keyword-only.

    ``details``: ``weights``, ``weight_matrix``, ``categories``, ``n_pairable``, ``pa`` and
    ``pe`` (described in :mod:`fidelity.stats.agreement`).
    """
    return _agreement(
        x, "gwet", weights=weights, categories=categories, confidence=confidence,
        ci_method=ci_method,
    )  # fmt: skip


def percent_agreement(
    x: Ratings,
    *,
    weights: WeightsArg = None,
    categories: CategoriesArg = None,
    confidence: float = 0.95,
    within: int = 0,
    ci_method: CiMethod = "t",
) -> Estimate:
    """Share of agreeing rater pairs, exact (``within=0``) or within ``within`` levels.

    Two ratings agree within k levels when their positions in the ordered category set
    differ by at most k. For each subject rated by two or more raters, the share of its
    rater pairs that agree; averaged over those subjects (Gwet 2014, ch. 2). No chance
    correction. ``weights`` (with ``within=0``) gives Gwet's weighted percent agreement,
    partial credit ``w_kl`` for a pair rated k and l. Standard error: Gwet's
    linearisation variance; CI: ``ci_method="t"`` (default; n - 1 df) or ``"normal"``, upper
    limit at most 1. Options as in :func:`cohen_kappa`, keyword-only, plus ``within``.

    ``details``: ``weights``, ``weight_matrix``, ``categories``, ``n_pairable``, ``pa`` and
    ``pe`` (described in :mod:`fidelity.stats.agreement`); ``pe`` is 0.
    """
    if isinstance(within, bool) or not isinstance(within, int | np.integer) or within < 0:
        raise ValueError(f"within must be a non-negative whole number of levels, got {within!r}")
    if within and weights is not None:
        raise ValueError("give either `within` or `weights`, not both")
    return _agreement(
        x, "pa", weights=weights, categories=categories, confidence=confidence,
        within=int(within), ci_method=ci_method,
    )  # fmt: skip
