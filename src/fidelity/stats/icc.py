"""Intraclass correlation: the six forms of Shrout & Fleiss (1979), doi:10.1037/0033-2909.86.2.420,
labelled also with the names of McGraw & Wong (1996), doi:10.1037/1082-989X.1.1.30.

Values come from closed-form ANOVA mean squares, batched over leading axes so that
:mod:`fidelity.stats.bootstrap` computes every resample at once.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from fidelity.stats._numeric import negligible, normalize
from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, check_confidence, undefined

if TYPE_CHECKING:
    from fidelity.stats.estimate import Ratings

__all__ = ["ICC_FORMS", "icc", "icc_jackknife", "icc_table"]

#: The six forms, in Shrout & Fleiss order: (Shrout–Fleiss name, McGraw–Wong name, description).
ICC_FORMS: tuple[tuple[str, str, str], ...] = (
    ("ICC(1,1)", "ICC(1)", "one-way random effects, absolute agreement, single rater"),
    ("ICC(2,1)", "ICC(A,1)", "two-way random effects, absolute agreement, single rater"),
    ("ICC(3,1)", "ICC(C,1)", "two-way mixed effects, consistency, single rater"),
    ("ICC(1,k)", "ICC(k)", "one-way random effects, absolute agreement, mean of k raters"),
    ("ICC(2,k)", "ICC(A,k)", "two-way random effects, absolute agreement, mean of k raters"),
    ("ICC(3,k)", "ICC(C,k)", "two-way mixed effects, consistency, mean of k raters"),
)

SF_NAMES = tuple(f[0] for f in ICC_FORMS)
_MW = {sf: (mw, desc) for sf, mw, desc in ICC_FORMS}

_CI_ONE_WAY = (
    "F-based (Shrout & Fleiss 1979; McGraw & Wong 1996, case 1), "
    "k replaced by n0 for unbalanced data (Donner & Wells 1986)"
)
_CI_CONSISTENCY = "F-based (Shrout & Fleiss 1979; McGraw & Wong 1996, case 3)"
_CI_AGREEMENT = (
    "McGraw & Wong (1996) Table 7, case 2A: Satterthwaite approximation "
    "(as in pingouin and R psych::ICC)"
)
_CI_AGREEMENT_K = (
    "McGraw & Wong (1996) Table 7, case 2A ICC(A,k) bounds: the Spearman-Brown step-up "
    "k b / (1 + (k - 1) b) of the Satterthwaite ICC(A,1) bounds b (as in pingouin and R psych::ICC)"
)
_NO_SE = "no analytic standard error for the ICC; use bootstrap() for one"


def _form_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for sf, mw, _ in ICC_FORMS:
        model, unit = sf[4], sf[6]
        for name in (sf, mw, f"ICC{model}" + ("" if unit == "1" else "K")):
            aliases[name.upper().replace(" ", "")] = sf
    return aliases


_ALIASES = _form_aliases()


def resolve_form(form: str) -> str:
    """The Shrout & Fleiss name of any accepted ICC form name, else :class:`ValueError`."""
    key = str(form).upper().replace(" ", "")
    if key not in _ALIASES:
        raise ValueError(
            f"unknown ICC form {form!r}; use one of {', '.join(SF_NAMES)} "
            "or the McGraw & Wong names ICC(1), ICC(k), ICC(A,1), ICC(C,1), ICC(A,k), ICC(C,k)"
        )
    return _ALIASES[key]


# --------------------------------------------------------------------------- ANOVA


def _one_way(x: FloatArray) -> dict[str, FloatArray]:
    """Unbalanced one-way ANOVA per leading index of ``x`` (..., subjects, raters), NaN = missing.

    Subjects may have any number of ratings; subjects with none contribute nothing. Returns
    MSB, MSW, their degrees of freedom and the n0 coefficient ("k0") of the unbalanced design
    (Searle 1971, *Linear Models*, Wiley; Donner 1986, International Statistical Review 54:67-82).
    """
    mask = ~np.isnan(x)
    ki = mask.sum(axis=-1).astype(np.float64)
    big_n = ki.sum(axis=-1)
    n_sub = (ki > 0).sum(axis=-1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        xz = np.where(mask, x, 0.0)
        gm = xz.sum(axis=(-2, -1)) / big_n
        xc = np.where(mask, x - gm[..., None, None], 0.0)
        rowsum = xc.sum(axis=-1)
        rowmean = np.where(ki > 0, rowsum / np.where(ki > 0, ki, 1.0), 0.0)
        gmc = rowsum.sum(axis=-1) / big_n
        ssb = (ki * (rowmean - gmc[..., None]) ** 2).sum(axis=-1)
        ssw = (np.where(mask, xc - rowmean[..., None], 0.0) ** 2).sum(axis=(-2, -1))
        sst = (np.where(mask, xc - gmc[..., None, None], 0.0) ** 2).sum(axis=(-2, -1))
        df_b = n_sub - 1.0
        df_w = big_n - n_sub
        msb = ssb / df_b
        msw = ssw / df_w
        k0 = (big_n - (ki**2).sum(axis=-1) / big_n) / df_b
        scale = np.abs(xz).max(axis=(-2, -1))
    return {
        "msb": msb, "msw": msw, "df_b": df_b, "df_w": df_w, "k0": k0, "sst": sst,
        "big_n": big_n, "scale": scale,
    }  # fmt: skip


def _two_way(x: FloatArray) -> dict[str, FloatArray]:
    """Two-way ANOVA without replication per leading index of complete ``x`` (..., n, k)."""
    n, k = x.shape[-2], x.shape[-1]
    gm = x.mean(axis=(-2, -1), keepdims=True)
    xc = x - gm
    # row sums by matrix-vector product: much faster than a reduction over a short last axis
    rowsum = (xc @ np.ones(k))[..., None]
    gmc = rowsum.sum(axis=-2, keepdims=True) / (n * k)
    rm = rowsum / k - gmc
    cm = xc.mean(axis=-2, keepdims=True) - gmc
    ssr = k * (rm * rm).sum(axis=(-2, -1))
    ssc = n * (cm * cm).sum(axis=(-2, -1))
    resid = xc - rm
    resid -= cm + gmc
    sse = np.einsum("...ij,...ij->...", resid, resid)
    with np.errstate(invalid="ignore", divide="ignore"):
        msr = ssr / (n - 1)
        msc = ssc / (k - 1)
        mse = sse / ((n - 1) * (k - 1))
    return {"msr": msr, "msc": msc, "mse": mse, "sst": ssr + ssc + sse, "ssc": ssc, "sse": sse}


def _one_way_from_two_way(b: dict[str, FloatArray], x: FloatArray) -> dict[str, FloatArray]:
    """Balanced one-way ANOVA from the two-way one on complete data (SSW = SSC + SSE)."""
    n, k = x.shape[-2], x.shape[-1]
    ones = np.ones_like(b["msr"])
    with np.errstate(invalid="ignore", divide="ignore"):
        msw = (b["ssc"] + b["sse"]) / (n * (k - 1))
    return {
        "msb": b["msr"], "msw": msw, "df_b": ones * (n - 1), "df_w": ones * (n * (k - 1)),
        "k0": ones * k, "sst": b["sst"], "big_n": ones * (n * k),
        "scale": np.abs(x).max(axis=(-2, -1)),
    }  # fmt: skip


def _clean(ms: FloatArray, total: FloatArray) -> FloatArray:
    """Set mean squares that are rounding noise relative to the total variation to zero."""
    return np.where(ms <= 1e-12 * total, 0.0, ms)


# --------------------------------------------------------------------------- forms and intervals


def _f_interval(
    f: FloatArray, df1: Any, df2: Any, q: float, k: Any, single: bool
) -> tuple[FloatArray, FloatArray]:
    """F-based bounds (Shrout & Fleiss 1979; McGraw & Wong 1996, cases 1 and 3)."""
    fl = f / special.fdtri(df1, df2, q)
    fu = f * special.fdtri(df2, df1, q)
    if single:
        lo, hi = (fl - 1.0) / (fl + k - 1.0), (fu - 1.0) / (fu + k - 1.0)
    else:
        lo, hi = 1.0 - 1.0 / fl, 1.0 - 1.0 / fu
    return np.where(np.isinf(fl), 1.0, lo), np.where(np.isinf(fu), 1.0, hi)


def _one_way_forms(
    a: dict[str, FloatArray], forms: list[str], q: float | None
) -> dict[str, dict[str, FloatArray]]:
    """ICC(1,1) and ICC(1,k) from the (possibly unbalanced) one-way ANOVA ``a``."""
    out: dict[str, dict[str, FloatArray]] = {}
    novar = negligible(a["sst"], a["big_n"], a["scale"])
    tot = a["sst"] / (a["big_n"] - 1.0)
    msb, msw, k0 = _clean(a["msb"], tot), _clean(a["msw"], tot), a["k0"]
    f1 = msb / msw
    for form in forms:
        single = form[6] == "1"
        den = msb + (k0 - 1.0) * msw if single else msb
        degenerate = ~novar & (den <= 1e-10 * (msb + msw))
        val = np.where(novar | degenerate, np.nan, (msb - msw) / den)
        res = {"value": val, "k": k0, "msb": msb, "msw": msw, "novar": novar,
               "degenerate": degenerate}  # fmt: skip
        if q is not None:
            lo, hi = _f_interval(f1, a["df_b"], a["df_w"], q, k0, single)
            res.update(
                F=f1, df1=a["df_b"], df2=a["df_w"],
                p=special.fdtrc(a["df_b"], a["df_w"], f1), lo=lo, hi=hi,
            )  # fmt: skip
        out[form] = res
    return out


def _agreement_interval(
    m: dict[str, Any], icc2: FloatArray, q: float, single: bool
) -> tuple[FloatArray, FloatArray]:
    """McGraw & Wong (1996), Table 7 (case 2A): Satterthwaite df v; the ICC(A,k) bounds are the
    Spearman-Brown step-up of the ICC(A,1) bounds."""
    n, k, df1, df2 = m["n"], m["k"], m["df1"], m["df2"]
    msr, msc, mse = m["msr"], m["msc"], m["mse"]
    aa = k * icc2 / (n * (1.0 - icc2))
    bb = 1.0 + k * icc2 * (n - 1) / (n * (1.0 - icc2))
    v = (aa * msc + bb * mse) ** 2 / ((aa * msc) ** 2 / (k - 1) + (bb * mse) ** 2 / df2)
    fs = special.fdtri(df1, v, q)
    ft = special.fdtri(v, df1, q)
    den = k * msc + (k * n - k - n) * mse
    lo1 = n * (msr - fs * mse) / (fs * den + n * msr)
    hi1 = n * (ft * msr - mse) / (den + n * ft * msr)
    perfect = icc2 >= 1.0
    lo1 = np.where(perfect, 1.0, lo1)
    hi1 = np.where(perfect, 1.0, hi1)
    if single:
        return lo1, hi1
    # a single-rater bound at or below -1/(k-1) maps to -inf (unbounded below)
    lo = np.where(1.0 + (k - 1) * lo1 > 0, k * lo1 / (1.0 + (k - 1) * lo1), -np.inf)
    hi = np.where(1.0 + (k - 1) * hi1 > 0, k * hi1 / (1.0 + (k - 1) * hi1), -np.inf)
    lo = np.where(np.isnan(lo1) | np.isnan(hi1), np.nan, lo)
    hi = np.where(np.isnan(lo1) | np.isnan(hi1), np.nan, hi)
    return lo, hi


def _two_way_forms(
    b: dict[str, FloatArray], x: FloatArray, forms: list[str], q: float | None,
    magnitude: float | None,
) -> dict[str, dict[str, FloatArray]]:  # fmt: skip
    """ICC(2,·) and ICC(3,·) from the two-way ANOVA ``b`` of complete ``x``."""
    out: dict[str, dict[str, FloatArray]] = {}
    n, k = x.shape[-2], x.shape[-1]
    big_n = float(n * k)
    scale = np.abs(x).max(axis=(-2, -1)) if magnitude is None else magnitude
    novar = negligible(b["sst"], big_n, scale)
    tot = b["sst"] / (big_n - 1.0)
    msr, msc, mse = _clean(b["msr"], tot), _clean(b["msc"], tot), _clean(b["mse"], tot)
    df1, df2 = float(n - 1), float((n - 1) * (k - 1))
    f3 = msr / mse
    size = msr + msc + mse
    den2 = msr + (k - 1) * mse + k * (msc - mse) / n
    icc2 = np.where(novar | (den2 <= 1e-10 * size), np.nan, (msr - mse) / den2)
    means = {"n": n, "k": k, "df1": df1, "df2": df2, "msr": msr, "msc": msc, "mse": mse}
    for form in forms:
        single = form[6] == "1"
        if form[4] == "2":
            den = den2 if single else msr + (msc - mse) / n
        else:
            den = msr + (k - 1) * mse if single else msr
        degenerate = ~novar & (den <= 1e-10 * size)
        val = np.where(novar | degenerate, np.nan, (msr - mse) / den)
        res = {"value": val, "k": np.full_like(val, float(k)), "msr": msr, "msc": msc,
               "mse": mse, "novar": novar, "degenerate": degenerate}  # fmt: skip
        if q is not None:
            p = special.fdtrc(df1, df2, f3)
            if form[4] == "3":
                lo, hi = _f_interval(f3, df1, df2, q, k, single)
            else:
                lo, hi = _agreement_interval(means, icc2, q, single)
            res.update(F=f3, df1=np.full_like(f3, df1), df2=np.full_like(f3, df2),
                       p=p, lo=lo, hi=hi)  # fmt: skip
        out[form] = res
    return out


def icc_arrays(
    x: FloatArray, forms: tuple[str, ...], confidence: float | None,
    magnitude: float | None = None,
) -> dict[str, dict[str, FloatArray]]:  # fmt: skip
    """Values (and, with ``confidence``, F tests and CIs) of ICC forms, batched over x[..., n, k].

    Two-way forms need complete data (the caller checks); one-way forms accept NaN. Zero
    variance is judged against ``magnitude`` (default: the largest absolute value of each
    x[b]); pass the one from :func:`~fidelity.stats._numeric.normalize` for rescaled data.
    """
    out: dict[str, dict[str, FloatArray]] = {}
    n, k = x.shape[-2], x.shape[-1]
    one_forms = [f for f in forms if f[4] == "1"]
    two_forms = [f for f in forms if f[4] != "1"]
    q = None if confidence is None else 1.0 - (1.0 - confidence) / 2.0
    complete = not np.isnan(x).any()
    two = _two_way(x) if two_forms or (complete and n > 1 and k > 1) else None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if one_forms:
            a = _one_way(x) if two is None else _one_way_from_two_way(two, x)
            if magnitude is not None:
                a["scale"] = np.full_like(a["msb"], magnitude)
            out.update(_one_way_forms(a, one_forms, q))
        if two_forms and two is not None:
            out.update(_two_way_forms(two, x, two_forms, q, magnitude))
    return out


def icc_jackknife(x: FloatArray, form: str, magnitude: float | None) -> FloatArray | None:
    """Leave-one-subject-out values of ``form`` on complete ``x`` (n, k) in O(n k) time.

    The two-way ANOVA is downdated one row at a time instead of recomputed: with row means
    r_i, column means c_j, grand mean g and residuals e_ij = x_ij - r_i - c_j + g, deleting
    subject i gives SSE_(i) = SSE - n/(n-1) Σ_j e_ij², SSR_(i) = k (Σ_l d_l² - n/(n-1) d_i²)
    with d = r - g, and SSC_(i) from the column means without row i (an n × k array, the size
    of the data). The forms then follow as for the full data. ``None`` (use the general
    jackknife) with missing values or fewer than three subjects.
    """
    n, k = x.shape
    if n < 3 or k < 2 or np.isnan(x).any():
        return None
    g = x.mean()
    r, c = x.mean(axis=1), x.mean(axis=0)
    e = x - r[:, None] - c[None, :] + g
    m = n - 1.0
    d = r - g
    ssr = np.maximum(k * ((d * d).sum() - d * d * n / m), 0.0)
    col = (c[None, :] * n - x) / m  # column means without row i
    dev = col - col.mean(axis=1, keepdims=True)
    ssc = m * (dev * dev).sum(axis=1)
    sse = np.maximum(float((e * e).sum()) - n / m * (e * e).sum(axis=1), 0.0)
    b = {"msr": ssr / (m - 1.0), "msc": ssc / (k - 1.0), "mse": sse / ((m - 1.0) * (k - 1.0)),
         "sst": ssr + ssc + sse, "ssc": ssc, "sse": sse}  # fmt: skip
    shape = np.broadcast_to(np.float64(0.0), (n - 1, k))  # only the design's size is read
    size = float(np.abs(x).max()) if magnitude is None else magnitude
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if form[4] == "1":
            a = _one_way_from_two_way(b, shape)
            a["scale"] = np.full_like(ssr, size)
            values = _one_way_forms(a, [form], None)[form]["value"]
        else:
            values = _two_way_forms(b, shape, [form], None, size)[form]["value"]
    return np.asarray(values, dtype=np.float64)


# --------------------------------------------------------------------------- estimates


def _scalar(a: FloatArray | float) -> float:
    return float(np.asarray(a).reshape(-1)[0]) if np.ndim(a) else float(a)


_NO_CI = (
    "the confidence interval is not defined for these data (degenerate F or "
    "Satterthwaite degrees of freedom, e.g. no variance between subjects)"
)


def _nan_reason(r: dict[str, float]) -> str:
    if r.get("novar"):
        return "no variance: all ratings are identical"
    return (
        "the ANOVA estimate of the ICC's denominator variance is not positive (no variance "
        "between subjects beyond what rater and error variance explain), so the ICC is "
        "undefined for these data"
    )


def _label(form: str) -> str:
    return f"{form} [McGraw & Wong {_MW[form][0]}]: {_MW[form][1]}"


def _icc_estimate(
    form: str, r: dict[str, float], det: dict[str, Any], n: int, k: int, confidence: float,
    ci_method: str,
) -> Estimate:  # fmt: skip
    """One ICC form's Estimate from its computed quantities (NaN value: undefined, with why)."""
    method = _label(form)
    if math.isnan(r["value"]):
        return undefined(method, _nan_reason(r), n, k, **det)
    if math.isnan(r["lo"]) or math.isnan(r["hi"]):
        ci, ci_reason = None, _NO_CI
    else:
        ci, ci_reason = (r["lo"], r["hi"]), None
    return Estimate(
        value=r["value"], method=method, n_subjects=n, n_raters=k, ci=ci,
        confidence=confidence if ci is not None else None, details=det,
        ci_method=ci_method, ci_reason=ci_reason, se_reason=_NO_SE,
    )  # fmt: skip


def _one_way_reason(k: int, n_sub: int, n_obs: int) -> str | None:
    if k < 2:
        return f"{k} rater column(s) with ratings: an ICC needs two ratings of some subject"
    if n_sub < 2:
        return f"{n_sub} subject(s) with ratings: an ICC needs at least two subjects"
    if n_obs - n_sub == 0:
        return "no subject has two or more ratings, so within-subject variance is unknown"
    return None


def _one_way_estimates(
    x: FloatArray, forms: list[str], confidence: float, shared: dict[str, Any] | None,
    incomplete: int, magnitude: float, unit: float,
) -> dict[str, Estimate]:  # fmt: skip
    """One-way forms: unbalanced ANOVA, valid with varying raters and counts per subject."""
    n_all, k = x.shape
    per_subject = (~np.isnan(x)).sum(axis=1)
    n_sub = int((per_subject > 0).sum())
    n_obs = int(per_subject.sum())
    reason = _one_way_reason(k, n_sub, n_obs)
    arr = shared or (None if reason else icc_arrays(x, tuple(forms), confidence, magnitude))
    results: dict[str, Estimate] = {}
    for form in forms:
        if arr is None:
            results[form] = undefined(_label(form), reason or "", n_sub, k, form=form)
            continue
        r = {key: _scalar(v) for key, v in arr[form].items()}
        det: dict[str, Any] = {
            "form": form, "mcgraw_wong": _MW[form][0], "model": _MW[form][1],
            "F": r["F"], "df1": r["df1"], "df2": r["df2"], "p": r["p"],
            "MSB": r["msb"] * unit * unit, "MSW": r["msw"] * unit * unit, "k": r["k"],
            "n_ratings": n_obs, "n_subjects_without_ratings": n_all - n_sub,
            "n_incomplete_subjects": incomplete,
            "design": "balanced" if incomplete == 0 else
            "unbalanced one-way (unequal ratings per subject; k is the n0 coefficient)",
        }  # fmt: skip
        results[form] = _icc_estimate(form, r, det, n_sub, k, confidence, _CI_ONE_WAY)
    return results


def _two_way_reason(n_all: int, k: int, incomplete: int) -> str | None:
    if incomplete:
        return (
            f"{incomplete} of {n_all} subjects do not have a rating from every one of the "
            f"{k} raters; the two-way forms need complete data. Use form='ICC(1,1)' or "
            "'ICC(1,k)' (one-way model, valid for unequal numbers of ratings and for raters "
            "that differ between subjects, e.g. double-rating by varying pairs), or "
            "icc_reml(x, form) (two-way model fitted by REML to every available rating), "
            "or drop the incomplete subjects explicitly, e.g. x[~np.isnan(x).any(axis=1)]"
        )
    if k < 2:
        return f"{k} rater column(s) with ratings: an ICC needs at least two raters"
    if n_all < 2:
        return f"{n_all} subject(s): an ICC needs at least two subjects"
    return None


def _two_way_estimates(
    x: FloatArray, forms: list[str], confidence: float, shared: dict[str, Any] | None,
    incomplete: int, magnitude: float, unit: float,
) -> dict[str, Estimate]:  # fmt: skip
    """Two-way forms: complete subjects × raters data only."""
    n_all, k = x.shape
    reason = _two_way_reason(n_all, k, incomplete)
    arr = shared or (None if reason else icc_arrays(x, tuple(forms), confidence, magnitude))
    results: dict[str, Estimate] = {}
    for form in forms:
        if arr is None:
            results[form] = undefined(
                _label(form), reason or "", n_all, k, form=form, n_incomplete_subjects=incomplete
            )
            continue
        r = {key: _scalar(v) for key, v in arr[form].items()}
        det = {
            "form": form, "mcgraw_wong": _MW[form][0], "model": _MW[form][1],
            "F": r["F"], "df1": r["df1"], "df2": r["df2"], "p": r["p"],
            "MSR": r["msr"] * unit * unit, "MSC": r["msc"] * unit * unit,
            "MSE": r["mse"] * unit * unit, "k": k,
        }  # fmt: skip
        agreement = _CI_AGREEMENT if form[6] == "1" else _CI_AGREEMENT_K
        ci_method = _CI_CONSISTENCY if form[4] == "3" else agreement
        results[form] = _icc_estimate(form, r, det, n_all, k, confidence, ci_method)
    return results


def _icc_estimates(x: FloatArray, forms: tuple[str, ...], confidence: float) -> list[Estimate]:
    n_all, k_all = x.shape
    # a rater column without any rating is not part of the design: drop it, and say so
    rated = ~np.isnan(x).all(axis=0) if n_all else np.ones(k_all, dtype=bool)
    z, magnitude, unit = normalize(x[:, rated])  # exact rescaling: every ICC is invariant
    k = z.shape[1]
    incomplete = int((~(~np.isnan(z)).all(axis=1)).sum())
    one = [f for f in forms if f[4] == "1"]
    two = [f for f in forms if f[4] != "1"]
    # complete data with >= 2 subjects and raters: every form is computable, in one pass
    shared = icc_arrays(z, forms, confidence, magnitude) \
        if incomplete == 0 and k >= 2 and n_all >= 2 else None  # fmt: skip
    results: dict[str, Estimate] = {}
    if one:
        results.update(_one_way_estimates(z, one, confidence, shared, incomplete, magnitude, unit))
    if two:
        results.update(_two_way_estimates(z, two, confidence, shared, incomplete, magnitude, unit))
    out = [results[f] for f in forms]
    if k < k_all:
        out = [_with_detail(e, n_raters_without_ratings=k_all - k) for e in out]
    return out


def _with_detail(e: Estimate, **extra: Any) -> Estimate:
    return dataclasses.replace(e, details={**e.details, **extra})


def icc(x: Ratings, form: str = "ICC(2,1)", *, confidence: float = 0.95) -> Estimate:
    """Intraclass correlation coefficient, one of the six Shrout & Fleiss (1979) forms.

    Forms (Shrout & Fleiss name = McGraw & Wong name):

    * ``ICC(1,1)`` = ``ICC(1)``: one-way random effects (each subject may be rated by different
      raters), absolute agreement, single rating;
    * ``ICC(2,1)`` = ``ICC(A,1)``: two-way random effects, absolute agreement, single rating;
    * ``ICC(3,1)`` = ``ICC(C,1)``: two-way mixed effects, consistency, single rating;
    * ``ICC(1,k)``, ``ICC(2,k)`` = ``ICC(A,k)``, ``ICC(3,k)`` = ``ICC(C,k)``: the same for the
      mean of the k ratings.

    Either naming is accepted (also ``ICC1``, ``ICC2k``, ...). Values come from closed-form
    ANOVA mean squares.

    Confidence intervals, at any ``confidence`` level: F-based for ICC(1,·) and ICC(3,·)
    (Shrout & Fleiss 1979, doi:10.1037/0033-2909.86.2.420; McGraw & Wong 1996,
    doi:10.1037/1082-989X.1.1.30). For ICC(2,1)/ICC(A,1) the Satterthwaite approximation of
    McGraw & Wong (1996, Table 7, case 2A); for ICC(2,k)/ICC(A,k) their case-2A ICC(A,k)
    bounds, which are algebraically the Spearman–Brown step-up of the ICC(A,1) bounds -- the
    same convention as ``pingouin.intraclass_corr`` and R ``psych::ICC``. ``ci_method`` names
    the one used; ``ci_reason`` says why a defined ICC has no interval.

    Missing ratings are never dropped or averaged silently:

    * the one-way forms use the unbalanced one-way ANOVA estimator, valid when subjects have
      unequal numbers of ratings from raters that differ between subjects (e.g. double-rating
      by varying pairs): k is replaced by
      ``n0 = (N - sum(k_i**2) / N) / (n - 1)`` (Searle 1971, *Linear Models*, Wiley; Donner
      1986, International Statistical Review 54:67-82), and ``ICC(1,k)`` is the reliability of
      the mean of ``n0`` ratings. The CI is the balanced-design F interval with ``n0`` in place
      of k, which Donner & Wells (1986, Biometrics 42:401-412, PMID 3741978) found adequate at
      small to moderate ICC (it is approximate for very unequal group sizes). Subjects with no
      rating at all contribute nothing and are counted in ``details``;
    * the two-way forms need every subject rated by every rater; with incomplete subjects the
      result is undefined (``nan``) and ``reason`` says how many subjects are incomplete and
      what to do. :func:`fidelity.stats.icc_reml.icc_reml` gives the two-way forms on
      incomplete data from REML variance components (and equals this function on complete
      data with non-negative ANOVA components).

    A rater column without any rating is not part of the design: it is dropped, and
    ``details["n_raters_without_ratings"]`` counts it. The ANOVA runs on the data rescaled
    exactly by powers of two and centred (every form is invariant to that), so values of any
    magnitude give the same ICC; "no variance" means a spread within rounding of the data's
    magnitude (:func:`fidelity.stats._numeric.negligible`). Infinite values are refused
    (:class:`ValueError`).

    No standard error is reported (``se`` is None, ``se_reason`` says so); use
    :func:`~fidelity.stats.bootstrap.bootstrap` for one.

    ``details`` keys: ``form`` (Shrout & Fleiss name), ``mcgraw_wong`` (McGraw & Wong name),
    ``model`` (description), ``F``, ``df1``, ``df2`` and ``p`` (the F test of ICC = 0), ``k``
    (raters, or n0 for the one-way forms), and the mean squares: ``MSB``, ``MSW`` (one-way) or
    ``MSR``, ``MSC``, ``MSE`` (two-way). One-way forms add ``n_ratings``,
    ``n_subjects_without_ratings``, ``n_incomplete_subjects`` and ``design`` (balanced or
    unbalanced). An undefined ICC keeps ``form`` (and, two-way, ``n_incomplete_subjects``).
    """
    sf = resolve_form(form)
    conf = check_confidence(confidence)
    return _icc_estimates(as_matrix(x), (sf,), conf)[0]


def icc_table(x: Ratings, *, confidence: float = 0.95) -> list[Estimate]:
    """All six ICC forms (see :func:`icc` for conventions), in Shrout & Fleiss order.

    Returns a list of six :class:`Estimate` objects, ``ICC(1,1)``, ``ICC(2,1)``,
    ``ICC(3,1)``, ``ICC(1,k)``, ``ICC(2,k)``, ``ICC(3,k)``; the form is in
    ``est.details["form"]`` and the McGraw & Wong name in ``est.details["mcgraw_wong"]``. For a
    table, ``pandas.DataFrame([e.to_dict() for e in icc_table(x)])``. The mean squares are
    computed once for all six forms.
    """
    conf = check_confidence(confidence)
    return _icc_estimates(as_matrix(x), SF_NAMES, conf)
