"""Inter-rater reliability on subjects × raters data.

Every function takes ``x``: a 2-D array-like with one row per subject (unit, target) and one
column per rater (coder, judge), ``NaN`` for a missing rating, or a long ``pandas.DataFrame``
with columns ``subject``, ``rater``, ``rating`` (see :func:`fidelity.stats.estimate.as_matrix`;
a repeated (subject, rater) pair is an error, never averaged). Every coefficient returns an
:class:`~fidelity.stats.estimate.Estimate`; when the coefficient is undefined for the data its
``value`` is ``nan`` and ``reason`` says why. Programming errors (wrong shape, unknown form or
level) raise :class:`ValueError`.

Contents
--------
* :func:`icc`, :func:`icc_table` -- the six intraclass correlations of Shrout & Fleiss (1979),
  doi:10.1037/0033-2909.86.2.420, labelled also with the names of McGraw & Wong (1996),
  doi:10.1037/1082-989X.1.1.30.
* :func:`krippendorff_alpha` -- Krippendorff's alpha for nominal, ordinal, interval and ratio
  data, computed from closed forms without a values × values coincidence matrix.
* :func:`bootstrap` -- a seeded, vectorised subject-level bootstrap for any coefficient.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, undefined

if TYPE_CHECKING:
    import pandas as pd

    Ratings = npt.ArrayLike | pd.DataFrame
else:
    Ratings = Any

__all__ = ["ICC_FORMS", "bootstrap", "icc", "icc_table", "krippendorff_alpha"]

# --------------------------------------------------------------------------------------------
# Intraclass correlation
# --------------------------------------------------------------------------------------------

#: The six forms, in Shrout & Fleiss order: (Shrout–Fleiss name, McGraw–Wong name, description).
ICC_FORMS: tuple[tuple[str, str, str], ...] = (
    ("ICC(1,1)", "ICC(1)", "one-way random effects, absolute agreement, single rater"),
    ("ICC(2,1)", "ICC(A,1)", "two-way random effects, absolute agreement, single rater"),
    ("ICC(3,1)", "ICC(C,1)", "two-way mixed effects, consistency, single rater"),
    ("ICC(1,k)", "ICC(k)", "one-way random effects, absolute agreement, mean of k raters"),
    ("ICC(2,k)", "ICC(A,k)", "two-way random effects, absolute agreement, mean of k raters"),
    ("ICC(3,k)", "ICC(C,k)", "two-way mixed effects, consistency, mean of k raters"),
)

_SF_NAMES = tuple(f[0] for f in ICC_FORMS)


def _form_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for sf, mw, _ in ICC_FORMS:
        model, unit = sf[4], sf[6]
        for name in (sf, mw, f"ICC{model}" + ("" if unit == "1" else "K")):
            aliases[name.upper().replace(" ", "")] = sf
    return aliases


_ALIASES = _form_aliases()


def _resolve_form(form: str) -> str:
    key = str(form).upper().replace(" ", "")
    if key not in _ALIASES:
        raise ValueError(
            f"unknown ICC form {form!r}; use one of {', '.join(_SF_NAMES)} "
            "or the McGraw & Wong names ICC(1), ICC(k), ICC(A,1), ICC(C,1), ICC(A,k), ICC(C,k)"
        )
    return _ALIASES[key]


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return c


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


def _icc_arrays(
    x: FloatArray, forms: tuple[str, ...], confidence: float | None
) -> dict[str, dict[str, FloatArray]]:
    """Values (and, with ``confidence``, F tests and CIs) of ICC forms, batched over x[..., n, k].

    Two-way forms need complete data (the caller checks); one-way forms accept NaN.
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
            novar = a["sst"] <= a["big_n"] * (64.0 * np.finfo(float).eps * a["scale"]) ** 2
            tot = a["sst"] / (a["big_n"] - 1.0)
            msb, msw, k0 = _clean(a["msb"], tot), _clean(a["msw"], tot), a["k0"]
            f1 = msb / msw
            for form in one_forms:
                single = form[6] == "1"
                den = msb + (k0 - 1.0) * msw if single else msb
                degenerate = ~novar & (den <= 1e-10 * (msb + msw))
                val = np.where(novar | degenerate, np.nan, (msb - msw) / den)
                res = {"value": val, "k": k0, "msb": msb, "msw": msw, "novar": novar,
                       "degenerate": degenerate}  # fmt: skip
                if q is not None:
                    fl = f1 / special.fdtri(a["df_b"], a["df_w"], q)
                    fu = f1 * special.fdtri(a["df_w"], a["df_b"], q)
                    if single:
                        lo, hi = (fl - 1.0) / (fl + k0 - 1.0), (fu - 1.0) / (fu + k0 - 1.0)
                    else:
                        lo, hi = 1.0 - 1.0 / fl, 1.0 - 1.0 / fu
                    lo = np.where(np.isinf(fl), 1.0, lo)
                    hi = np.where(np.isinf(fu), 1.0, hi)
                    res.update(
                        F=f1, df1=a["df_b"], df2=a["df_w"],
                        p=special.fdtrc(a["df_b"], a["df_w"], f1), lo=lo, hi=hi,
                    )  # fmt: skip
                out[form] = res
        if two_forms and two is not None:
            b = two
            big_n = float(n * k)
            scale = np.abs(x).max(axis=(-2, -1))
            novar = b["sst"] <= big_n * (64.0 * np.finfo(float).eps * scale) ** 2
            tot = b["sst"] / (big_n - 1.0)
            msr, msc, mse = _clean(b["msr"], tot), _clean(b["msc"], tot), _clean(b["mse"], tot)
            df1, df2 = float(n - 1), float((n - 1) * (k - 1))
            f3 = msr / mse
            size = msr + msc + mse
            den2 = msr + (k - 1) * mse + k * (msc - mse) / n
            icc2 = np.where(novar | (den2 <= 1e-10 * size), np.nan, (msr - mse) / den2)
            for form in two_forms:
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
                        fl = f3 / special.fdtri(df1, df2, q)
                        fu = f3 * special.fdtri(df2, df1, q)
                        if single:
                            lo, hi = (fl - 1.0) / (fl + k - 1.0), (fu - 1.0) / (fu + k - 1.0)
                        else:
                            lo, hi = 1.0 - 1.0 / fl, 1.0 - 1.0 / fu
                        lo = np.where(np.isinf(fl), 1.0, lo)
                        hi = np.where(np.isinf(fu), 1.0, hi)
                    else:
                        # McGraw & Wong (1996), Table 7 (case 2A): Satterthwaite df v.
                        aa = k * icc2 / (n * (1.0 - icc2))
                        bb = 1.0 + k * icc2 * (n - 1) / (n * (1.0 - icc2))
                        v = (aa * msc + bb * mse) ** 2 / (
                            (aa * msc) ** 2 / (k - 1) + (bb * mse) ** 2 / df2
                        )
                        fs = special.fdtri(df1, v, q)
                        ft = special.fdtri(v, df1, q)
                        den = k * msc + (k * n - k - n) * mse
                        lo1 = n * (msr - fs * mse) / (fs * den + n * msr)
                        hi1 = n * (ft * msr - mse) / (den + n * ft * msr)
                        perfect = icc2 >= 1.0
                        lo1 = np.where(perfect, 1.0, lo1)
                        hi1 = np.where(perfect, 1.0, hi1)
                        if single:
                            lo, hi = lo1, hi1
                        else:  # equivalent to McGraw & Wong's ICC(A,k) bounds; a single-
                            # rater bound at or below -1/(k-1) maps to -inf (unbounded below)
                            lo = np.where(
                                1.0 + (k - 1) * lo1 > 0, k * lo1 / (1.0 + (k - 1) * lo1), -np.inf
                            )
                            hi = np.where(
                                1.0 + (k - 1) * hi1 > 0, k * hi1 / (1.0 + (k - 1) * hi1), -np.inf
                            )
                            lo = np.where(np.isnan(lo1) | np.isnan(hi1), np.nan, lo)
                            hi = np.where(np.isnan(lo1) | np.isnan(hi1), np.nan, hi)
                    res.update(F=f3, df1=np.full_like(f3, df1), df2=np.full_like(f3, df2),
                               p=p, lo=lo, hi=hi)  # fmt: skip
                out[form] = res
    return out


def _scalar(a: FloatArray | float) -> float:
    return float(np.asarray(a).reshape(-1)[0]) if np.ndim(a) else float(a)


def _ci(r: dict[str, float], det: dict[str, Any]) -> tuple[float, float] | None:
    if math.isnan(r["lo"]) or math.isnan(r["hi"]):
        det["ci_reason"] = (
            "the confidence interval is not defined for these data (degenerate F or "
            "Satterthwaite degrees of freedom, e.g. no variance between subjects)"
        )
        return None
    return (r["lo"], r["hi"])


def _nan_reason(r: dict[str, float]) -> str:
    if r.get("novar"):
        return "no variance: all ratings are identical"
    return (
        "the ANOVA estimate of the ICC's denominator variance is not positive (no variance "
        "between subjects beyond what rater and error variance explain), so the ICC is "
        "undefined for these data"
    )


def _icc_estimate(
    method: str, r: dict[str, float], det: dict[str, Any], n: int, k: int, confidence: float
) -> Estimate:
    """One ICC form's Estimate from its computed quantities (NaN value: undefined, with why)."""
    if math.isnan(r["value"]):
        return undefined(method, _nan_reason(r), n, k, **det)
    ci = _ci(r, det)
    return Estimate(
        value=r["value"], method=method, n_subjects=n, n_raters=k, ci=ci,
        confidence=confidence if ci is not None else None, details=det,
    )  # fmt: skip


def _icc_estimates(x: FloatArray, forms: tuple[str, ...], confidence: float) -> list[Estimate]:
    n_all, k = x.shape
    mw = {sf: (m, d) for sf, m, d in ICC_FORMS}
    rated = ~np.isnan(x)
    incomplete = int((~rated.all(axis=1)).sum())
    one = [f for f in forms if f[4] == "1"]
    two = [f for f in forms if f[4] != "1"]
    results: dict[str, Estimate] = {}
    # complete data with >= 2 subjects and raters: every form is computable, in one pass
    shared = _icc_arrays(x, forms, confidence) if incomplete == 0 and k >= 2 and n_all >= 2 \
        else None  # fmt: skip

    def label(form: str) -> str:
        return f"{form} [McGraw & Wong {mw[form][0]}]: {mw[form][1]}"

    # --- one-way forms: unbalanced ANOVA, valid with varying raters and counts per subject
    if one:
        per_subject = rated.sum(axis=1)
        n_sub = int((per_subject > 0).sum())
        n_obs = int(per_subject.sum())
        reason = None
        if k < 2:
            reason = "only one rater column: an ICC needs at least two ratings of some subject"
        elif n_sub < 2:
            reason = f"{n_sub} subject(s) with ratings: an ICC needs at least two subjects"
        elif n_obs - n_sub == 0:
            reason = "no subject has two or more ratings, so within-subject variance is unknown"
        arr = shared or (None if reason else _icc_arrays(x, tuple(one), confidence))
        for form in one:
            if arr is None:
                results[form] = undefined(label(form), reason or "", n_sub, k, form=form)
                continue
            r = {key: _scalar(v) for key, v in arr[form].items()}
            det: dict[str, Any] = {
                "form": form, "mcgraw_wong": mw[form][0], "model": mw[form][1],
                "F": r["F"], "df1": r["df1"], "df2": r["df2"], "p": r["p"],
                "MSB": r["msb"], "MSW": r["msw"], "k": r["k"],
                "n_ratings": n_obs, "n_subjects_without_ratings": n_all - n_sub,
                "n_incomplete_subjects": incomplete,
                "design": "balanced" if incomplete == 0 else
                "unbalanced one-way (unequal ratings per subject; k is the n0 coefficient)",
                "ci_method": "F-based (Shrout & Fleiss 1979; McGraw & Wong 1996, case 1), "
                "k replaced by n0 for unbalanced data (Donner & Wells 1986)",
            }  # fmt: skip
            results[form] = _icc_estimate(label(form), r, det, n_sub, k, confidence)

    # --- two-way forms: complete subjects × raters data only
    if two:
        reason = None
        if incomplete:
            reason = (
                f"{incomplete} of {n_all} subjects do not have a rating from every one of the "
                f"{k} raters; the two-way forms need complete data. Use form='ICC(1,1)' or "
                "'ICC(1,k)' (one-way model, valid for unequal numbers of ratings and for raters "
                "that differ between subjects, e.g. double-rating by varying pairs), or drop "
                "the incomplete subjects explicitly, e.g. x[~np.isnan(x).any(axis=1)]"
            )
        elif k < 2:
            reason = "only one rater column: an ICC needs at least two raters"
        elif n_all < 2:
            reason = f"{n_all} subject(s): an ICC needs at least two subjects"
        arr = shared or (None if reason else _icc_arrays(x, tuple(two), confidence))
        for form in two:
            if arr is None:
                results[form] = undefined(
                    label(form), reason or "", n_all, k, form=form,
                    n_incomplete_subjects=incomplete,
                )  # fmt: skip
                continue
            r = {key: _scalar(v) for key, v in arr[form].items()}
            ci_method = (
                "F-based (Shrout & Fleiss 1979; McGraw & Wong 1996, case 3)"
                if form[4] == "3"
                else "McGraw & Wong (1996) Table 7, case 2A: Satterthwaite approximation; "
                "the ICC(A,k) bounds equal the Spearman-Brown step-up of the ICC(A,1) bounds "
                "(as in pingouin and R psych::ICC)"
            )
            det = {
                "form": form, "mcgraw_wong": mw[form][0], "model": mw[form][1],
                "F": r["F"], "df1": r["df1"], "df2": r["df2"], "p": r["p"],
                "MSR": r["msr"], "MSC": r["msc"], "MSE": r["mse"], "k": k,
                "ci_method": ci_method,
            }  # fmt: skip
            results[form] = _icc_estimate(label(form), r, det, n_all, k, confidence)
    return [results[f] for f in forms]


def icc(
    x: Ratings,
    form: str = "ICC(2,1)",
    confidence: float = 0.95,
) -> Estimate:
    """Intraclass correlation coefficient, one of the six Shrout & Fleiss (1979) forms.

    Forms (Shrout & Fleiss name = McGraw & Wong name):

    * ``ICC(1,1)`` = ``ICC(1)``: one-way random effects (each subject may be rated by different
      raters), absolute agreement, single rating;
    * ``ICC(2,1)`` = ``ICC(A,1)``: two-way random effects, absolute agreement, single rating;
    * ``ICC(3,1)`` = ``ICC(C,1)``: two-way mixed effects, consistency, single rating;
    * ``ICC(1,k)``, ``ICC(2,k)`` = ``ICC(A,k)``, ``ICC(3,k)`` = ``ICC(C,k)``: the same for the
      mean of the k ratings.

    Either naming is accepted (also ``ICC1``, ``ICC2k``, ...). Values come from closed-form
    ANOVA mean squares. ``details`` holds the F statistic, its degrees of freedom ``df1`` and
    ``df2``, the p value of the test of ICC = 0, and the mean squares.

    Confidence intervals, at any ``confidence`` level: F-based for ICC(1,·) and ICC(3,·)
    (Shrout & Fleiss 1979, doi:10.1037/0033-2909.86.2.420; McGraw & Wong 1996,
    doi:10.1037/1082-989X.1.1.30). For ICC(2,1)/ICC(A,1) the Satterthwaite approximation of
    McGraw & Wong (1996, Table 7, case 2A); for ICC(2,k)/ICC(A,k) their case-2A ICC(A,k)
    bounds, which are algebraically the Spearman–Brown step-up of the ICC(A,1) bounds -- the
    same convention as ``pingouin.intraclass_corr`` and R ``psych::ICC``.

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
      what to do.

    No standard error is reported (``se`` is None); use :func:`bootstrap` for one.
    """
    sf = _resolve_form(form)
    conf = _check_confidence(confidence)
    return _icc_estimates(as_matrix(x), (sf,), conf)[0]


def icc_table(x: Ratings, confidence: float = 0.95) -> list[Estimate]:
    """All six ICC forms (see :func:`icc` for conventions), in Shrout & Fleiss order.

    Returns a list of six :class:`Estimate` objects, ``ICC(1,1)``, ``ICC(2,1)``,
    ``ICC(3,1)``, ``ICC(1,k)``, ``ICC(2,k)``, ``ICC(3,k)``; the form is in
    ``est.details["form"]`` and the McGraw & Wong name in ``est.details["mcgraw_wong"]``. For a
    table, ``pandas.DataFrame([e.to_dict() for e in icc_table(x)])``. The mean squares are
    computed once for all six forms.
    """
    conf = _check_confidence(confidence)
    return _icc_estimates(as_matrix(x), _SF_NAMES, conf)


# --------------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------------

Level = Literal["nominal", "ordinal", "interval", "ratio"]
_LEVELS = ("nominal", "ordinal", "interval", "ratio")
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


def _ratio_kernel_sum(values: FloatArray, counts: FloatArray) -> float:
    """K = Σ_c Σ_k n_c n_k c k / (c + k)² over distinct positive values c, k.

    Exact (chunked O(V²)) for up to a few thousand distinct values. Otherwise from
    1/(c+k)² = ∫₀^∞ t e^{-(c+k)t} dt, so K = ∫₀^∞ t g(t)² dt with g(t) = Σ_c n_c c e^{-ct}:
    after t = e^s the integrand is smooth and decays doubly-exponentially for large s and
    exponentially for small s, so the trapezoid rule with step 0.1 is accurate to rounding
    (relative error far below 1e-12). Cost O(V × 400), memory O(chunk).
    """
    v = values / np.exp(np.mean(np.log(values)))  # the metric is scale free
    w = counts
    if v.size <= _EXACT_RATIO_MAX_DISTINCT:
        total = 0.0
        step = max(1, 2**22 // v.size)
        for i in range(0, v.size, step):
            a = v[i : i + step, None]
            kern = a * v[None, :] / (a + v[None, :]) ** 2
            total += float((w[i : i + step, None] * w[None, :] * kern).sum())
        return total
    h = 0.1
    s = np.arange(-math.log(v.max()) - 25.0, -math.log(v.min()) + math.log(60.0) + h, h)
    t = np.exp(s)
    g = np.zeros_like(t)
    step = max(1, 2**20 // t.size)
    for i in range(0, v.size, step):
        vi = v[i : i + step]
        g += (w[i : i + step] * vi) @ np.exp(-np.outer(vi, t))
    return float(h * np.sum(t * t * g * g))


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
        expected += n_pos**2 - 4.0 * _ratio_kernel_sum(pos_v, pos_c)
    return observed, max(expected, 0.0)


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


def _alpha_point(x: FloatArray, level: str) -> tuple[float, str | None, dict[str, Any]]:
    n_units, k = x.shape
    mask = ~np.isnan(x)
    m_all = mask.sum(axis=1)
    pair = m_all >= 2
    details: dict[str, Any] = {
        "level": level,
        "n_units": int(n_units),
        "n_units_pairable": int(pair.sum()),
        "n_units_unpairable": int((~pair & (m_all > 0)).sum()),
        "n_units_empty": int((m_all == 0).sum()),
    }
    if k < 2:
        return math.nan, "only one rater column: alpha needs at least two values per unit", details
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
    if level == "nominal":
        obs, exp = _nominal_disagreements(vals, unit, m)
    elif level == "ordinal":
        obs, exp = _interval_disagreements(_midranks(vals), unit, m)
    elif level == "interval":
        obs, exp = _interval_disagreements(vals, unit, m)
    else:
        obs, exp = _ratio_disagreements(xp, m, vals)
    details["observed_disagreement"] = obs / n
    details["expected_disagreement"] = exp / (n * (n - 1.0))
    if bool(np.all(vals == vals[0])) or not exp > 0.0:
        return (
            math.nan,
            "all pairable values are identical (a single category / no variation): "
            "expected disagreement is zero, so alpha is undefined",
            details,
        )
    return 1.0 - (n - 1.0) * obs / exp, None, details


def _check_level(level: str) -> str:
    if level not in _LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(_LEVELS)}")
    return level


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
    integral representation evaluated by a trapezoid rule accurate to rounding.

    ``bootstrap=B > 0`` adds a percentile CI and SE from B resamples of *units* (subjects) with
    replacement, via :func:`bootstrap`. This is a subject-level bootstrap, not Krippendorff's
    own algorithm (which resamples pairs of values); ``seed`` makes it reproducible.

    Undefined (``nan`` with ``reason``): fewer than two raters, no unit with two values, or no
    variation among the pairable values (a single category).
    """
    lvl = _check_level(level)
    conf = _check_confidence(confidence)
    mat = as_matrix(x)
    value, reason, details = _alpha_point(mat, lvl)
    method = f"Krippendorff's alpha ({lvl})"
    n_units = int(details["n_units_pairable"])
    k = int(mat.shape[1])
    if reason is not None:
        return undefined(method, reason, n_units, k, **details)
    if bootstrap:
        bs = _bootstrap_impl(
            mat, f"krippendorff:{lvl}", n_resamples=int(bootstrap), confidence=conf,
            seed=seed, method="percentile", vectorized=False,
        )  # fmt: skip
        details["bootstrap"] = dict(bs.details)
        if bs.ci is None:
            details["ci_reason"] = f"no bootstrap interval: {bs.reason}"
        return Estimate(
            value=value, method=method, n_subjects=n_units, n_raters=k, ci=bs.ci, se=bs.se,
            confidence=conf if bs.ci is not None else None, details=details,
        )  # fmt: skip
    return Estimate(value=value, method=method, n_subjects=n_units, n_raters=k, details=details)


def _interval_alpha_batched(xb: FloatArray) -> FloatArray:
    """Interval alpha for each x[b] of a (B, units, raters) array, NaN = missing."""
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
        scale = np.abs(z).max(axis=(-2, -1))
        bad = (n < 2) | (ss_tot <= n * (64.0 * np.finfo(float).eps * scale) ** 2)
    return np.asarray(np.where(bad, np.nan, alpha), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------

Statistic = Callable[[FloatArray], "float | Estimate | FloatArray"]


def _resolve_statistic(
    statistic: str | Statistic, vectorized: bool
) -> tuple[Callable[[FloatArray], FloatArray], bool, str]:
    """Return (function, batched?, name). Batched functions map (B, n, k) to (B,)."""
    if isinstance(statistic, str):
        key = statistic.strip()
        if key.lower().startswith("krippendorff"):
            lvl = _check_level(key.split(":", 1)[1].strip().lower() if ":" in key else "nominal")
            name = f"Krippendorff's alpha ({lvl})"
            if lvl == "interval":
                return _interval_alpha_batched, True, name

            def alpha_one(m: FloatArray) -> FloatArray:
                return np.asarray(_alpha_point(m, lvl)[0], dtype=np.float64)

            return alpha_one, False, name
        form = _resolve_form(key)

        def icc_batched(xb: FloatArray) -> FloatArray:
            if form[4] != "1" and np.isnan(xb).any():
                complete = ~np.isnan(xb).any(axis=(-2, -1))
                out = np.full(xb.shape[0], np.nan)
                if complete.any():
                    out[complete] = _icc_arrays(xb[complete], (form,), None)[form]["value"]
                return out
            return np.asarray(_icc_arrays(xb, (form,), None)[form]["value"], dtype=np.float64)

        return icc_batched, True, form

    fn = statistic
    name = getattr(fn, "__name__", "statistic")

    def as_float(m: FloatArray) -> FloatArray:
        r = fn(m)
        return np.asarray(r.value if isinstance(r, Estimate) else r, dtype=np.float64)

    return as_float, vectorized, name


def _chunk(n_elements_per_item: int) -> int:
    return max(1, (2**21) // max(1, n_elements_per_item))


def _evaluate(
    fn: Callable[[FloatArray], FloatArray], batched: bool, x: FloatArray,
    index: npt.NDArray[np.intp],
) -> FloatArray:  # fmt: skip
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


def _jackknife(fn: Callable[[FloatArray], FloatArray], batched: bool, x: FloatArray) -> FloatArray:
    """Leave-one-subject-out values, the index arrays built in memory-bounded chunks."""
    n = x.shape[0]
    base = np.arange(n - 1)[None, :]
    step = _chunk((n - 1) * x.shape[1]) if batched else 64
    parts = []
    for i in range(0, n, step):
        left_out = np.arange(i, min(i + step, n))[:, None]
        parts.append(_evaluate(fn, batched, x, base + (base >= left_out)))
    return np.concatenate(parts)


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

    * a name with a vectorised implementation: any ICC form accepted by :func:`icc` (all
      resamples computed at once as a (B, n, k) batch, in memory-bounded chunks), or
      ``"krippendorff:<level>"`` (batched for ``interval``; looped for the other levels);
    * a callable ``f(matrix) -> float | Estimate`` called once per resample, or, with
      ``vectorized=True``, ``f(batch) -> array`` taking a (B, n, k) array and returning B values.

    ``method="percentile"`` (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*,
    doi:10.1007/978-1-4899-4541-9) or ``"bca"``, bias-corrected and accelerated with the
    acceleration from the subject-level jackknife (Efron 1987,
    doi:10.1080/01621459.1987.10478410). Resamples on which the statistic is undefined are
    left out and counted in ``details["n_undefined"]``. ``value`` is the statistic on the full
    data, ``se`` the standard deviation of the bootstrap distribution. Random numbers come from
    ``numpy.random.default_rng(seed)``; the same seed gives the same result.
    """
    if method not in ("percentile", "bca"):
        raise ValueError(f"unknown bootstrap method {method!r}; use 'percentile' or 'bca'")
    conf = _check_confidence(confidence)
    b_total = int(n_resamples)
    if b_total < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    mat = as_matrix(x)
    return _bootstrap_impl(
        mat, statistic, n_resamples=b_total, confidence=conf, seed=seed, method=method,
        vectorized=vectorized,
    )  # fmt: skip


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


def _bootstrap_impl(
    mat: FloatArray,
    statistic: str | Statistic,
    *,
    n_resamples: int,
    confidence: float,
    seed: int | np.random.Generator | None,
    method: str,
    vectorized: bool,
) -> Estimate:
    fn, batched, name = _resolve_statistic(statistic, vectorized)
    n, k = mat.shape
    label = f"{name}; subject-level bootstrap ({method})"
    if n < 2:
        return undefined(label, f"{n} subject(s): a bootstrap needs at least two", n, k)
    point = _evaluate(fn, batched, mat, np.arange(n)[None, :])[0]
    if not math.isfinite(point):
        why = _undefined_reason(statistic, mat)
        return undefined(label, f"the statistic is undefined on the full data: {why}", n, k)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(n_resamples, n))
    thetas = _evaluate(fn, batched, mat, index)
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
            adj = probs
            details["note"] = "BCa adjustment not finite; percentile interval used"
        probs = adj
    lo, hi = np.quantile(good, probs)
    details["bias"] = float(good.mean() - point)
    return Estimate(
        value=float(point), method=label, n_subjects=n, n_raters=k,
        ci=(float(lo), float(hi)), se=float(good.std(ddof=1)), confidence=confidence,
        details=details,
    )  # fmt: skip
