"""Inter-rater reliability on subjects × raters data (public facade over :mod:`fidelity.stats`).

Every function takes ``x``: a 2-D array-like with one row per subject (unit, target) and one
column per rater (coder, judge), ``NaN`` for a missing rating, or a long ``pandas.DataFrame``
with columns ``subject``, ``rater``, ``rating`` (a repeated (subject, rater) pair is an error,
never averaged). Every coefficient returns an :class:`~fidelity.stats.estimate.Estimate`; when
the coefficient is undefined for the data its ``value`` is ``nan`` and ``reason`` says why.
Programming errors (wrong shape, unknown form or level) raise :class:`ValueError`.

* :func:`icc`, :func:`icc_table` -- the six intraclass correlations of Shrout & Fleiss (1979),
  doi:10.1037/0033-2909.86.2.420, labelled also with the names of McGraw & Wong (1996),
  doi:10.1037/1082-989X.1.1.30.
* :func:`icc_reml`, :func:`icc_reml_table` -- the two-way forms ICC(A,1), ICC(C,1), ICC(A,k),
  ICC(C,k) on incomplete, unbalanced data, from REML variance components that agree with R
  ``lme4::lmer``; :func:`variance_components` -- those components (subject, rater, error).
* :func:`g_study`, :func:`d_study`, :func:`raters_needed` -- generalizability theory for the
  subjects × raters design: components with intervals, and the relative (Eρ²) and absolute
  (Φ) coefficients of a mean over any number of raters.
* :func:`krippendorff_alpha` -- Krippendorff's alpha for nominal, ordinal, interval and ratio
  data, computed from closed forms without a values × values coincidence matrix.
* :func:`bootstrap` -- a seeded, vectorised subject-level bootstrap for any coefficient.
* the kappa / AC agreement family: :func:`cohen_kappa`, :func:`fleiss_kappa`,
  :func:`conger_kappa`, :func:`brennan_prediger`, :func:`gwet_ac`, :func:`percent_agreement`,
  all ``(x, *, weights=None, categories=None, confidence=0.95, ci_method="t")`` with
  keyword-only options; ``ci_method="normal"`` gives the normal-quantile intervals of SAS PROC
  FREQ and Stata instead of Student t (irrCAC);
* :func:`cronbach_alpha`, also in :mod:`fidelity.psychometrics`.
"""

from fidelity.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    percent_agreement,
)
from fidelity.stats.bootstrap import bootstrap
from fidelity.stats.consistency import cronbach_alpha
from fidelity.stats.dstudy import DStudyRow, GStudy, d_study, g_study, raters_needed
from fidelity.stats.estimate import Estimate
from fidelity.stats.icc import ICC_FORMS, icc, icc_table
from fidelity.stats.icc_reml import icc_reml, icc_reml_table
from fidelity.stats.krippendorff import krippendorff_alpha
from fidelity.stats.variance import VarianceComponents, variance_components

__all__ = [
    "ICC_FORMS",
    "DStudyRow",
    "Estimate",
    "GStudy",
    "VarianceComponents",
    "bootstrap",
    "brennan_prediger",
    "cohen_kappa",
    "conger_kappa",
    "cronbach_alpha",
    "d_study",
    "fleiss_kappa",
    "g_study",
    "gwet_ac",
    "icc",
    "icc_reml",
    "icc_reml_table",
    "icc_table",
    "krippendorff_alpha",
    "percent_agreement",
    "raters_needed",
    "variance_components",
]
