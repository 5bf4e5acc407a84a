"""G-study and D-study for the crossed subjects × raters (p × r) design, incomplete data allowed.

Generalizability theory (Cronbach, Gleser, Nanda & Rajaratnam 1972, *The Dependability of
Behavioral Measurements*, Wiley; Brennan 2001, *Generalizability Theory*, Springer,
doi:10.1007/978-1-4757-3456-0): the G-study estimates the variance components of the design
-- here subject (``p``), rater (``r``) and the residual ``pr,e`` -- and the D-study projects
the reliability of a score that averages ``n'`` raters:

* relative (generalizability) coefficient ``Eρ²(n') = σ²p / (σ²p + σ²pr,e / n')``, for
  ranking subjects;
* absolute (dependability) coefficient ``Φ(n') = σ²p / (σ²p + (σ²r + σ²pr,e) / n')``, for
  comparing a subject's score with a fixed cut-off (Brennan 2001, ch. 4).

At ``n'`` = the number of raters in the data, ``Eρ²`` and ``Φ`` are ICC(C,k) and ICC(A,k) of
:func:`fidelity.stats.icc_reml.icc_reml`. Components are REML estimates
(:mod:`fidelity.stats.variance`); intervals are parametric-bootstrap percentiles, the
refits done in batches (:mod:`fidelity.stats._reml_boot`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fidelity.stats._numeric import normalize
from fidelity.stats._reml_boot import parametric_bootstrap_batched
from fidelity.stats.estimate import FloatArray, as_matrix, check_confidence
from fidelity.stats.variance import (
    CrossedDesign,
    VarianceComponents,
    design_matrix,
    fit_crossed,
    rescaled,
)

__all__ = ["DStudyRow", "GStudy", "d_study", "g_study", "raters_needed"]

_KINDS = ("phi", "e_rho2")


@dataclass(frozen=True)
class GStudy:
    """Variance components of the p × r design with parametric-bootstrap intervals.

    Attributes:
        components: the REML fit, in the units of the ratings.
        ci: percentile intervals of ``subject``, ``rater`` and ``error`` at ``confidence``
            (``None`` with ``n_boot=0``).
        confidence, n_boot, seed: how the intervals were made.
        ci_method: the interval method, stated.
        replicates: the bootstrap components (``n_boot`` × 3, NaN rows for failed refits),
            used by :func:`d_study` for its intervals.
    """

    components: VarianceComponents
    ci: dict[str, tuple[float, float]] | None
    confidence: float
    n_boot: int
    seed: int
    ci_method: str | None
    replicates: FloatArray | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class DStudyRow:
    """Projected coefficients for scores averaging ``n_raters`` raters."""

    n_raters: int
    e_rho2: float
    phi: float
    e_rho2_ci: tuple[float, float] | None
    phi_ci: tuple[float, float] | None


def g_study(x: Any, *, confidence: float = 0.95, n_boot: int = 1000, seed: int = 0) -> GStudy:
    """G-study of a subjects × raters matrix (``NaN`` = missing) or long table.

    REML variance components (equal to lme4's; ANOVA on complete data when non-negative)
    with parametric-bootstrap percentile intervals: ``n_boot`` data sets simulated from the fit
    with the observed missing-data pattern, refitted by REML, seeded by ``seed``.
    Raises :class:`ValueError` when the design cannot be fitted (see
    :func:`fidelity.stats.variance.variance_components`).
    """
    conf = check_confidence(confidence)
    if int(n_boot) != n_boot or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    x = design_matrix(as_matrix(x))
    z, _, unit = normalize(x)
    design = CrossedDesign(z)
    vc = fit_crossed(z, design=design)
    scaled = rescaled(vc, x, z, unit)
    if not n_boot:
        return GStudy(scaled, None, conf, 0, int(seed), None)
    reps, _ = parametric_bootstrap_batched(vc, design, int(n_boot), int(seed))
    reps = reps * unit * unit
    alpha = (1.0 - conf) / 2.0
    ci = {
        name: _interval(reps[:, j], alpha) for j, name in enumerate(("subject", "rater", "error"))
    }
    method = (
        f"parametric bootstrap, percentile interval: {int(n_boot)} data sets simulated from "
        f"the fitted model on the observed missing-data pattern and refitted by REML "
        f"(seed {int(seed)})"
    )
    return GStudy(scaled, ci, conf, int(n_boot), int(seed), method, reps)


def _interval(values: FloatArray, alpha: float) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size < 2:
        return (math.nan, math.nan)
    lo, hi = np.quantile(v, [alpha, 1.0 - alpha])
    return (float(lo), float(hi))


def _coefficients(vs: Any, vr: Any, ve: Any, n: float) -> tuple[Any, Any]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return vs / (vs + ve / n), vs / (vs + (vr + ve) / n)


def d_study(g: GStudy, n_raters: Sequence[int]) -> list[DStudyRow]:
    """``Eρ²`` and ``Φ`` for scores averaging each number of raters in ``n_raters``, with
    intervals from the G-study's bootstrap replicates (``None`` without them)."""
    c = g.components
    rows = []
    alpha = (1.0 - g.confidence) / 2.0
    for n in n_raters:
        if int(n) != n or n < 1:
            raise ValueError(f"numbers of raters must be positive integers, got {n!r}")
        e, p = _coefficients(c.subject, c.rater, c.error, float(n))
        e_ci = p_ci = None
        if g.replicates is not None:
            b = g.replicates
            re, rp = _coefficients(b[:, 0], b[:, 1], b[:, 2], float(n))
            e_ci, p_ci = _interval(re, alpha), _interval(rp, alpha)
        rows.append(DStudyRow(int(n), float(e), float(p), e_ci, p_ci))
    return rows


def raters_needed(g: GStudy, target: float, *, kind: str = "phi") -> int | None:
    """The smallest number of raters whose mean score reaches ``target`` for ``kind``
    (``"phi"``: Φ, absolute; ``"e_rho2"``: Eρ², relative), from the point estimates;
    ``None`` when no number does (no subject variance)."""
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must lie strictly between 0 and 1, got {target!r}")
    c = g.components
    if not c.subject > 0:
        return None
    noise = c.error + (c.rater if kind == "phi" else 0.0)
    need = target * noise / (c.subject * (1.0 - target))
    return max(1, math.ceil(need - 1e-12))
