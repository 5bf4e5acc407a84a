"""Two-way intraclass correlations on incomplete, unbalanced data from REML variance components.

The crossed random-effects model of :mod:`fidelity.stats.variance` gives the subject,
rater and error variances ``vs``, ``vr``, ``ve`` for any pattern of missing ratings; the
McGraw & Wong (1996, doi:10.1037/1082-989X.1.1.30) forms follow as

* ``ICC(A,1)`` = ICC(2,1) = vs / (vs + vr + ve), ``ICC(A,k)`` = vs / (vs + (vr + ve) / k);
* ``ICC(C,1)`` = ICC(3,1) = vs / (vs + ve),      ``ICC(C,k)`` = vs / (vs + ve / k),

with ``k`` the number of raters in the design: the convention of R ``psych::ICC`` with
``lmer = TRUE`` (Revelle, *psych*), which plugs ``lme4`` variance components into the
Shrout & Fleiss (1979, doi:10.1037/0033-2909.86.2.420) formulas.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from fidelity.stats._numeric import negligible, normalize
from fidelity.stats._reml_boot import parametric_bootstrap_batched
from fidelity.stats.estimate import Estimate, FloatArray, as_matrix, check_confidence, undefined
from fidelity.stats.icc import ICC_FORMS, icc, resolve_form
from fidelity.stats.variance import (
    CrossedDesign,
    VarianceComponents,
    additive_residual_ss,
    design_reason,
    fit_crossed,
    rescaled,
)

if TYPE_CHECKING:
    from fidelity.stats.estimate import Ratings

__all__ = ["TWO_WAY_FORMS", "icc_from_components", "icc_reml", "icc_reml_table"]

#: The two-way forms, in Shrout & Fleiss order.
TWO_WAY_FORMS = ("ICC(2,1)", "ICC(3,1)", "ICC(2,k)", "ICC(3,k)")
_MW = {sf: (mw, desc) for sf, mw, desc in ICC_FORMS}
#: share of the fitted variance below which the error variance may be an artefact of an exact fit
_SUSPECT = 1e-6
_EXACT_UNDEFINED = (
    "no variance between subjects and no residual variance (the ratings are rater offsets "
    "only), so this ICC is 0/0"
)
_EXACT_NO_CI = (
    "the ratings fit the additive subject + rater model exactly (no residual variance), so "
    "there is no sampling model to simulate an interval from"
)
_NO_SE = "no analytic standard error for the REML ICC; the interval is a parametric bootstrap"


def icc_from_components(form: str, vs: Any, vr: Any, ve: Any, k: float) -> Any:
    """ICC ``form`` (a Shrout & Fleiss two-way name) from variance components (arrays allowed)."""
    err = ve + vr if form[4] == "2" else ve
    if form[6] == "k":
        err = err / k
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.float64(vs) / (vs + err)


def _ci_method(n_boot: int, seed: int) -> str:
    return (
        f"parametric bootstrap, percentile interval: {n_boot} data sets simulated from the "
        f"fitted model on the observed missing-data pattern and refitted by REML (seed {seed})"
    )


def _label(form: str) -> str:
    return f"{form} [McGraw & Wong {_MW[form][0]}]: {_MW[form][1]} (REML variance components)"


def _details(form: str, vc: VarianceComponents, incomplete: int) -> dict[str, Any]:
    """``details`` of one form; ``vc`` in the units of the ratings."""
    return {
        "form": form, "mcgraw_wong": _MW[form][0], "model": _MW[form][1],
        "estimator": vc.method, "var_subject": vc.subject, "var_rater": vc.rater,
        "var_error": vc.error, "k": vc.n_raters, "n_ratings": vc.n_ratings,
        "n_incomplete_subjects": incomplete, "reml_criterion": vc.reml_criterion,
        "converged": vc.converged,
    }  # fmt: skip


def _complete_anova(
    x: FloatArray, forms: tuple[str, ...], confidence: float, vc: VarianceComponents
) -> list[Estimate]:
    """Complete data, non-negative ANOVA components: exactly :func:`icc` (ANOVA values and
    analytic intervals), with the variance components added to ``details``."""
    out = []
    for form in forms:
        est = icc(x, form, confidence=confidence)
        out.append(dataclasses.replace(est, details={**est.details, **_details(form, vc, 0)}))
    return out


def _estimates(
    x: FloatArray, forms: tuple[str, ...], confidence: float, n_boot: int, seed: int
) -> list[Estimate]:
    x = x[:, ~np.isnan(x).all(axis=0)] if x.size else x
    x = x[~np.isnan(x).all(axis=1)] if x.size else x
    n, k = x.shape if x.size else (0, 0)
    incomplete = int((np.isnan(x).any(axis=1)).sum()) if x.size else 0
    reason = design_reason(x) if x.size else "no ratings"
    if reason is None:
        z, magnitude, unit = normalize(x)
        present = z[~np.isnan(z)]
        if negligible(float(((present - present.mean()) ** 2).sum()), present.size, magnitude):
            reason = "no variance: all ratings are identical"
    if reason is not None:
        return [undefined(_label(f), reason, n, k, form=f) for f in forms]
    design = CrossedDesign(z)
    # ratings that fit subject + rater effects exactly: no residual variance, and REML
    # has no optimum; the subject and rater components are then those of the limit
    vc = fit_crossed(z, design=design)
    # (checked only when the fitted error variance is already tiny: the solve costs more than
    # the fit on large data)
    suspect = vc.error <= _SUSPECT * (vc.subject + vc.rater + vc.error)
    exact = suspect and bool(negligible(additive_residual_ss(z), design.big_n, magnitude))
    if exact:
        vc = dataclasses.replace(vc, error=0.0, method="REML (limit: no residual variance)")
    orig = rescaled(vc, x, z, unit)
    if vc.method.startswith("ANOVA"):
        return _complete_anova(x, forms, confidence, orig)
    run = n_boot and not exact
    boot, failed = parametric_bootstrap_batched(vc, design, n_boot, seed) if run else (None, 0)
    alpha = (1.0 - confidence) / 2.0
    out = []
    for form in forms:
        value = float(icc_from_components(form, vc.subject, vc.rater, vc.error, k))
        det = {**_details(form, orig, incomplete), "n_boot": n_boot, "seed": seed,
               "n_boot_failed": failed}  # fmt: skip
        if math.isnan(value):
            out.append(undefined(_label(form), _EXACT_UNDEFINED, n, k, **det))
            continue
        ci: tuple[float, float] | None = None
        ci_reason: str | None = _EXACT_NO_CI if exact else "n_boot=0: no interval requested"
        if boot is not None:
            reps = icc_from_components(form, boot[:, 0], boot[:, 1], boot[:, 2], k)
            reps = reps[np.isfinite(reps)]
            if reps.size >= 2:
                lo, hi = np.quantile(reps, [alpha, 1.0 - alpha])
                ci, ci_reason = (float(lo), float(hi)), None
            else:
                ci_reason = "fewer than two bootstrap refits converged"
        out.append(Estimate(
            value=value, method=_label(form), n_subjects=n, n_raters=k, ci=ci,
            confidence=confidence if ci else None, details=det,
            ci_method=_ci_method(n_boot, seed) if ci else None, ci_reason=ci_reason,
            se_reason=_NO_SE,
        ))  # fmt: skip
    return out


def _check(n_boot: int, seed: int) -> None:
    if int(n_boot) != n_boot or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if int(seed) != seed:
        raise ValueError(f"seed must be an integer, got {seed!r}")


def icc_reml(
    x: Ratings, form: str = "ICC(A,1)", *, confidence: float = 0.95, n_boot: int = 1000,
    seed: int = 0,
) -> Estimate:  # fmt: skip
    """A two-way ICC -- ``ICC(A,1)``, ``ICC(C,1)``, ``ICC(A,k)`` or ``ICC(C,k)`` (also the
    Shrout & Fleiss names ICC(2,1), ICC(3,1), ICC(2,k), ICC(3,k)) -- on incomplete data.

    The subject, rater and error variances of the crossed two-way random-effects model are
    estimated by REML (:func:`fidelity.stats.variance.variance_components`) from every
    available rating; no subject is dropped. The values agree with R
    ``psych::ICC(x, lmer = TRUE)``, i.e. with ``lme4::lmer`` variance components plugged into
    the ICC formulas (module docstring); ``k`` is the number of raters in the design.

    On **complete** data whose ANOVA variance components are non-negative, the REML
    estimates equal the ANOVA ones, and the result is exactly :func:`fidelity.stats.icc.icc`
    (same value, same analytic interval: F-based for ICC(C,·), McGraw & Wong's
    Satterthwaite interval for ICC(A,1) and its Spearman–Brown step-up for ICC(A,k)).

    Otherwise the **interval** is a parametric bootstrap (percentile): ``n_boot`` data sets
    simulated from the fitted model with the observed missing-data pattern, each refitted by
    REML, seeded by ``seed`` (reproducible). ``n_boot=0`` skips it. The interval reflects
    the model's normality assumptions; ``ci_method`` states it.

    ``details``: ``form``, ``mcgraw_wong``, ``model``, ``estimator``, ``var_subject``,
    ``var_rater``, ``var_error`` (original units), ``k``, ``n_ratings``,
    ``n_incomplete_subjects``, ``reml_criterion`` (``-2`` restricted log-likelihood as in
    lme4), ``converged``; with the bootstrap also ``n_boot``, ``seed``, ``n_boot_failed``.
    Rows and columns without ratings are dropped. Undefined (``nan`` with a reason) for fewer
    than two subjects or raters, no error degree of freedom, or constant ratings.
    """
    sf = resolve_form(form)
    if sf not in TWO_WAY_FORMS:
        raise ValueError(
            f"icc_reml computes the two-way forms {', '.join(TWO_WAY_FORMS)}; the one-way "
            f"form {sf} handles incomplete data in icc()"
        )
    _check(n_boot, seed)
    return _estimates(as_matrix(x), (sf,), check_confidence(confidence), int(n_boot), int(seed))[0]


def icc_reml_table(
    x: Ratings, *, confidence: float = 0.95, n_boot: int = 1000, seed: int = 0
) -> list[Estimate]:
    """The four two-way forms ICC(A,1), ICC(C,1), ICC(A,k), ICC(C,k) (Shrout & Fleiss order
    ICC(2,1), ICC(3,1), ICC(2,k), ICC(3,k)) from one REML fit and one bootstrap; see
    :func:`icc_reml`."""
    _check(n_boot, seed)
    conf = check_confidence(confidence)
    return _estimates(as_matrix(x), TWO_WAY_FORMS, conf, int(n_boot), int(seed))
