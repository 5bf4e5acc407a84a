"""G-study and D-study of a fidelity audit's **site score**: sites, informants, interviews,
raters and rounds.

The design, as audits run: each site is visited in one or more rounds; in each round several
interviews are held with each type of informant (interviews are nested in site × informant ×
round); each interview is rated by one rater, some by two or more (raters are crossed with
interviews only where an interview was rated more than once, and are shared between sites).
One rating ``y`` of interview ``i`` of informant type ``f`` at site ``s`` in round ``o`` by
rater ``r`` is modelled as

    y = mu + s + f + sf + o + so + i:sfo + r + residual,

every term random, by REML (:func:`fidelity.stats.mixed.fit_components`, agreeing with
``lme4::lmer(y ~ 1 + (1|site) + (1|informant) + (1|site:informant) + (1|round) +
(1|site:round) + (1|interview) + (1|rater))``). Terms the data cannot identify are left out
of the fit and named (:func:`fidelity.stats.gtheory.identify`): one informant type, one round,
one rater, no interview rated twice (interview variance and rating error are then one).

The **site score** is the mean over the instrument's informant types (``n'_f``, all of them)
of the mean over ``n'_i`` interviews per informant, each the mean of ``n'_r`` raters. By
Brennan's rules (2001, ch. 4; :mod:`fidelity.stats.gtheory`):

* informant types are a **fixed** facet by default (every site score averages the same
  types, as the instrument prescribes), so site × informant variance is universe-score
  variance, ``σ²(s) + σ²(sf) / n'_f``; ``informant="random"`` treats the types as sampled;
* a site score is a score **in one round**: rounds are fixed with ``n'_o = 1``, so site ×
  round variance is part of the universe score and the round main effect is neither signal
  nor noise;
* raters are **nested in interviews** in the D-study (each interview rated by ``n'_r`` raters
  drawn afresh), so rater variance joins the rating error: ``σ²(r) + σ²(res)`` over
  ``n'_f n'_i n'_r``; interview variance is divided by ``n'_f n'_i``. Sites do not share the
  raters' errors, so ``Eρ² = Φ`` in this nested design (Brennan 2001, sec. 4.3); with random
  informant types ``Φ`` also counts ``σ²(f) / n'_f``.

A coefficient that needs a component the data cannot identify is ``NaN`` with the reason.
Standard errors of the components are asymptotic (observed REML information); coefficients
are point estimates.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from fidelity.stats.gtheory import coefficients, identify, role
from fidelity.stats.mixed import MixedFit, Term, fit_components, term_codes

__all__ = [
    "COMPONENTS",
    "Component",
    "SiteDRow",
    "SiteGStudy",
    "given_components",
    "interviews_needed",
    "site_d_study",
    "site_g_study",
]

#: The terms of the audit design and the facets each involves, simplest first.
COMPONENTS: dict[str, frozenset[str]] = {
    "site": frozenset("s"),
    "informant": frozenset("f"),
    "site:informant": frozenset("sf"),
    "round": frozenset("o"),
    "site:round": frozenset("so"),
    "interview": frozenset("sfoi"),
    "rater": frozenset("r"),
    "residual": frozenset("sfoir"),
}
_COLUMNS = ("score", "site", "informant", "interview", "rater")
_METHOD = (
    "REML variance components (sites, informant types, interviews nested in site x "
    "informant x round, raters, rounds; all random); asymptotic standard errors from the "
    "observed REML information; site score over every informant type (fixed), one round"
)


@dataclass(frozen=True)
class Component:
    """One variance component: its value and asymptotic standard error, or ``NaN`` and why."""

    name: str
    variance: float
    se: float
    n_levels: int
    reason: str | None = None


@dataclass(frozen=True)
class SiteDRow:
    """``Eρ²`` and ``Φ`` of a site score over ``n_interviews`` interviews per informant type
    and ``n_raters`` raters per interview (``NaN`` with ``reason`` when not identified).

    When the data cannot tell two components apart (one interview per site and informant
    type: interview and site × informant variance) and they enter the D-study differently,
    the coefficients are ``NaN`` and ``e_rho2_bounds``/``phi_bounds`` give the range they lie
    in, from the two extreme splits of the pooled variance."""

    n_interviews: int
    n_raters: int
    e_rho2: float
    phi: float
    reason: str | None = None
    e_rho2_bounds: tuple[float, float] | None = None
    phi_bounds: tuple[float, float] | None = None


@dataclass(frozen=True)
class SiteGStudy:
    """The G-study of an audit's site score (module docstring).

    Attributes:
        components: one per term of :data:`COMPONENTS`, in that order.
        n_sites, n_informants, n_rounds, n_interviews, n_raters, n_ratings: the design.
        interviews_per_informant: harmonic mean of interviews per site × informant × round.
        raters_per_interview: mean ratings per interview.
        informant: ``"fixed"`` or ``"random"`` (how informant types enter the D-study).
        e_rho2, phi: the coefficients of a site score with the audit's own numbers of
            interviews (``interviews_per_informant``) and one rater per interview.
        phi_bounds: the range of ``phi`` when it is ``NaN`` because two components cannot be
            told apart (:class:`SiteDRow`), else ``None``.
        reason: why the coefficients are undefined, else ``None``.
        merged: each unidentified term, with the term holding its variance (or ``None``).
        converged: whether the REML fit converged.
        method: how it was computed, stated.
    """

    components: tuple[Component, ...]
    n_sites: int
    n_informants: int
    n_rounds: int
    n_interviews: int
    n_raters: int
    n_ratings: int
    interviews_per_informant: float
    raters_per_interview: float
    informant: Literal["fixed", "random"]
    e_rho2: float
    phi: float
    reason: str | None
    merged: dict[str, str | None]
    converged: bool
    phi_bounds: tuple[float, float] | None = None
    method: str = _METHOD

    def variances(self) -> dict[str, float]:
        """``{term: variance}`` (NaN for unidentified terms)."""
        return {c.name: c.variance for c in self.components}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as ``None``)."""

        def num(v: float) -> float | None:
            return None if math.isnan(v) else v

        return {
            "components": [
                {"name": c.name, "variance": num(c.variance), "se": num(c.se),
                 "n_levels": c.n_levels, "reason": c.reason}
                for c in self.components
            ],
            "n_sites": self.n_sites, "n_informants": self.n_informants,
            "n_rounds": self.n_rounds, "n_interviews": self.n_interviews,
            "n_raters": self.n_raters, "n_ratings": self.n_ratings,
            "interviews_per_informant": num(self.interviews_per_informant),
            "raters_per_interview": num(self.raters_per_interview),
            "informant": self.informant, "e_rho2": num(self.e_rho2), "phi": num(self.phi),
            "phi_bounds": None if self.phi_bounds is None else list(self.phi_bounds),
            "reason": self.reason, "converged": self.converged, "method": self.method,
        }  # fmt: skip


def _terms(t: Mapping[str, NDArray[Any]]) -> list[Term]:
    s, f, o = t["site"], t["informant"], t["round"]
    sf = [f"{a}\x00{b}" for a, b in zip(s, f, strict=True)]
    so = [f"{a}\x00{b}" for a, b in zip(s, o, strict=True)]
    iv = [f"{a}\x00{b}\x00{c}" for a, b, c in zip(sf, o, t["interview"], strict=True)]
    return [
        term_codes("site", s), term_codes("informant", f), term_codes("site:informant", sf),
        term_codes("round", o), term_codes("site:round", so), term_codes("interview", iv),
        term_codes("rater", t["rater"]),
    ]  # fmt: skip


def _table(data: Any) -> dict[str, NDArray[Any]]:
    import pandas as pd

    frame = pd.DataFrame(data)
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the G-study table needs the columns {', '.join(_COLUMNS)} (and optionally "
            f"round); missing: {', '.join(missing)}"
        )
    score = pd.to_numeric(frame["score"], errors="raise").to_numpy(dtype=np.float64)
    if np.isinf(score).any():
        raise ValueError("score holds an infinite value")
    keep = ~np.isnan(score)
    out = {"score": score[keep]}
    for col in (*_COLUMNS[1:], "round"):
        raw = frame[col] if col in frame.columns else pd.Series([None] * len(frame))
        out[col] = np.asarray(["" if v is None or v != v else str(v) for v in raw], dtype=object)[
            keep
        ]
    return out


def _harmonic(counts: NDArray[np.float64]) -> float:
    counts = counts[counts > 0]
    return float(counts.size / (1.0 / counts).sum()) if counts.size else math.nan


def site_g_study(
    data: Any, *, informant: Literal["fixed", "random"] = "fixed", se: bool = True
) -> SiteGStudy:
    """G-study of the site score from a long table of ratings: columns ``score``, ``site``,
    ``informant``, ``interview`` (the assessment id), ``rater`` and optionally ``round``, one
    row per rating (rows with a missing score are left out). See the module docstring for the
    model and the conventions; :func:`site_d_study` projects other designs.
    """
    if informant not in ("fixed", "random"):
        raise ValueError(f"informant must be 'fixed' or 'random', got {informant!r}")
    t = _table(data)
    terms = _terms(t)
    design = _design(terms, int(t["score"].size))
    ident = identify(terms)
    fit, reason = _fit(t["score"], ident.kept, design, se)
    comps = _components(terms, ident.merged, fit, reason)
    merged = {k: v[0] for k, v in ident.merged.items()}
    g = SiteGStudy(
        components=comps, informant=informant, e_rho2=math.nan, phi=math.nan, reason=reason,
        merged=merged, converged=bool(fit and fit.converged), **design,
    )  # fmt: skip
    if reason is not None:
        return g
    row = _row(g, design["interviews_per_informant"], 1)
    return dataclasses.replace(
        g, e_rho2=row.e_rho2, phi=row.phi, reason=row.reason, phi_bounds=row.phi_bounds
    )


def _design(terms: Sequence[Term], n: int) -> dict[str, Any]:
    """The counts of :class:`SiteGStudy`: levels, ratings, interviews per informant type
    (harmonic mean over site × informant × round cells) and ratings per interview."""
    by = {term.name: term for term in terms}
    per_interview = np.bincount(by["interview"].codes) if n else np.zeros(0)
    # the site x informant x round cell of every interview (interviews are nested in cells)
    cells = by["site:informant"].codes * max(by["site:round"].n_levels, 1)
    cells = cells + by["site:round"].codes
    first = np.unique(by["interview"].codes, return_index=True)[1] if n else np.zeros(0, int)
    per_cell = np.unique(cells[first], return_counts=True)[1] if n else np.zeros(0)
    return {
        "n_sites": by["site"].n_levels, "n_informants": by["informant"].n_levels,
        "n_rounds": by["round"].n_levels, "n_interviews": by["interview"].n_levels,
        "n_raters": by["rater"].n_levels, "n_ratings": n,
        "interviews_per_informant": _harmonic(per_cell.astype(np.float64)),
        "raters_per_interview": float(per_interview.mean()) if n else math.nan,
    }  # fmt: skip


def _fit(
    y: NDArray[np.float64], kept: Sequence[Term], design: Mapping[str, Any], se: bool
) -> tuple[MixedFit | None, str | None]:
    if design["n_sites"] < 2:
        return None, f"{design['n_sites']} site(s) with ratings: a G-study needs at least two"
    if not kept or y.size < 3:
        return None, "too few ratings to estimate the variance components"
    if float(np.ptp(y)) == 0.0:
        return None, "no variance: all scores are identical"
    fit = fit_components(y, kept, se=se)
    if not math.isfinite(fit.reml_criterion):
        return fit, "the ratings fit the design exactly (no residual variance)"
    return fit, None


def _components(
    terms: Sequence[Term], merged: Mapping[str, tuple[str | None, str]], fit: MixedFit | None,
    reason: str | None,
) -> tuple[Component, ...]:  # fmt: skip
    levels = {t.name: t.n_levels for t in terms}
    out = []
    for name in COMPONENTS:
        if fit is None:
            out.append(Component(name, math.nan, math.nan, levels.get(name, 0), reason))
        elif name in merged:
            out.append(Component(name, math.nan, math.nan, levels[name], merged[name][1]))
        elif name == "residual":
            out.append(Component(name, fit.error, fit.se_error, fit.n))
        else:
            k = fit.names.index(name)
            out.append(Component(name, fit.variances[k], fit.se[k], levels[name]))
    return tuple(out)


def _facets(informant: str) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """D-study facets (raters nested in interviews: rater joins the residual) and the fixed
    facets."""
    facets = {**COMPONENTS, "rater": COMPONENTS["residual"]}
    return facets, frozenset("o" if informant == "random" else "fo")


def _row(g: SiteGStudy, n_i: float, n_r: int) -> SiteDRow:
    sizes = {"f": float(g.n_informants), "i": float(n_i), "r": float(n_r), "o": 1.0}
    facets, fixed = _facets(g.informant)
    values = g.variances()
    reasons = {c.name: c.reason for c in g.components}
    # an unidentified term's variance is held by its partner: the sum is right when both
    # enter the D-study alike; otherwise the split is unknown, and the coefficients lie
    # between those of the two extreme splits (all in one term or all in the other)
    split: list[tuple[str, str]] = []
    for name, partner in g.merged.items():
        mine = role(facets[name], "s", sizes, fixed)
        values[name] = 0.0
        if partner is None and mine[0] != "none":
            why = f"{reasons[name]}: its variance is needed for this site score"
            return SiteDRow(round(n_i), n_r, math.nan, math.nan, why)
        if partner is not None and role(facets[partner], "s", sizes, fixed) != mine:
            split.append((name, partner))
    if not split:
        c = coefficients(values, facets, measurement="s", sizes=sizes, fixed=fixed)
        return SiteDRow(round(n_i), n_r, c.e_rho2, c.phi)
    found = []
    for choice in itertools.product((False, True), repeat=len(split)):
        v = dict(values)
        for (name, partner), move in zip(split, choice, strict=True):
            if move:
                v[name], v[partner] = v[partner], 0.0
        c = coefficients(v, facets, measurement="s", sizes=sizes, fixed=fixed)
        found.append((c.e_rho2, c.phi))
    arr = np.asarray(found)
    why = "; ".join(f"{reasons[name]}, and they enter this D-study differently"
                    for name, _ in split)  # fmt: skip
    return SiteDRow(
        round(n_i),
        n_r,
        math.nan,
        math.nan,
        why,
        (float(np.nanmin(arr[:, 0])), float(np.nanmax(arr[:, 0]))),
        (float(np.nanmin(arr[:, 1])), float(np.nanmax(arr[:, 1]))),
    )


def site_d_study(
    g: SiteGStudy, interviews: Sequence[int], raters: Sequence[int] = (1,)
) -> list[SiteDRow]:
    """``Eρ²`` and ``Φ`` of a site score for every number of interviews per informant type
    and of raters per interview (module docstring for the conventions)."""
    for v, what in ((interviews, "interviews"), (raters, "raters")):
        if not v or any(int(k) != k or k < 1 for k in v):
            raise ValueError(f"numbers of {what} must be positive integers, got {list(v)!r}")
    if any(c.name not in g.merged and math.isnan(c.variance) for c in g.components):
        return [SiteDRow(int(i), int(r), math.nan, math.nan, g.reason)
                for r in raters for i in interviews]  # fmt: skip
    return [_row(g, int(i), int(r)) for r in raters for i in interviews]


def _value(row: SiteDRow, kind: str, lower: bool) -> float:
    """The coefficient ``kind`` of ``row``, or with ``lower`` its lower bound when only bounds
    are known."""
    v = float(getattr(row, kind))
    bounds = getattr(row, f"{kind}_bounds")
    return bounds[0] if lower and math.isnan(v) and bounds is not None else v


def interviews_needed(
    g: SiteGStudy, target: float, *, raters: int = 1, kind: Literal["phi", "e_rho2"] = "phi",
    most: int = 1000, lower: bool = False,
) -> int | None:  # fmt: skip
    """The smallest number of interviews per informant type whose site score reaches
    ``target`` (``Φ`` or ``Eρ²``) with ``raters`` raters per interview; ``None`` when no
    number up to ``most`` does (or the coefficient is undefined). With ``lower``, where the
    coefficient is known only within bounds (:class:`SiteDRow`), its lower bound is used:
    the number then suffices whatever the split of the pooled variance."""
    if not 0.0 < target < 1.0:
        raise ValueError(f"target must lie strictly between 0 and 1, got {target!r}")
    if kind not in ("phi", "e_rho2"):
        raise ValueError(f"kind must be 'phi' or 'e_rho2', got {kind!r}")
    lo, hi = 1, int(most)
    if not _value(site_d_study(g, [hi], [raters])[0], kind, lower) >= target:
        return None
    while lo < hi:  # the coefficients rise with the number of interviews
        mid = (lo + hi) // 2
        if _value(site_d_study(g, [mid], [raters])[0], kind, lower) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def given_components(
    variances: Mapping[str, float], n_informants: int, *,
    informant: Literal["fixed", "random"] = "fixed",
) -> SiteGStudy:  # fmt: skip
    """A :class:`SiteGStudy` from variance components known from elsewhere (an earlier audit,
    a published G-study), for :func:`site_d_study` and :func:`interviews_needed`.

    ``variances`` maps terms of :data:`COMPONENTS` to variances; ``site``, ``interview`` and
    ``residual`` are required, the others default to 0. ``n_informants`` is the number of
    informant types every site score averages.
    """
    unknown = sorted(set(variances) - set(COMPONENTS))
    if unknown:
        raise ValueError(
            f"unknown variance component(s) {', '.join(unknown)}; the terms are "
            + ", ".join(COMPONENTS)
        )
    missing = [k for k in ("site", "interview", "residual") if k not in variances]
    if missing:
        raise ValueError(f"the variance components need {', '.join(missing)}")
    bad = {k: v for k, v in variances.items() if not (math.isfinite(v) and v >= 0.0)}
    if bad:
        raise ValueError(f"variances must be finite and non-negative: {bad}")
    if int(n_informants) != n_informants or n_informants < 1:
        raise ValueError(f"n_informants must be a positive integer, got {n_informants!r}")
    if informant not in ("fixed", "random"):
        raise ValueError(f"informant must be 'fixed' or 'random', got {informant!r}")
    comps = tuple(
        Component(name, float(variances.get(name, 0.0)), math.nan, 0) for name in COMPONENTS
    )
    g = SiteGStudy(
        components=comps, n_sites=0, n_informants=int(n_informants), n_rounds=1,
        n_interviews=0, n_raters=0, n_ratings=0, interviews_per_informant=1.0,
        raters_per_interview=1.0, informant=informant, e_rho2=math.nan, phi=math.nan,
        reason=None, merged={}, converged=True, method="variance components as given",
    )  # fmt: skip
    row = _row(g, 1, 1)
    return dataclasses.replace(g, e_rho2=row.e_rho2, phi=row.phi)
