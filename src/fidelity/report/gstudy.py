"""The G-study of an audit's site score: its table from the rating sheets, and its lines in the
reports (:func:`fidelity.report.build.audit_g_study` runs it on sheets).

Each non-consensus sheet with an overall (or domain) score is one rating: of its assessment
(the interview, one per assessment id and round), by its rater, at its site, of its informant
type, in its round. Consensus sheets are left out (they are not independent ratings). The
model, the conventions (informant types fixed, one round, raters nested in interviews in the
D-study) and the REML fit are those of :mod:`fidelity.stats.site_gstudy`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings import compile_instrument
from fidelity.scoring import score_values
from fidelity.stats.site_gstudy import SiteGStudy, site_d_study

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
    from fidelity.ratings.checks.run import CheckedSheets

__all__ = ["D_STUDY_INTERVIEWS", "g_study_lines", "site_table"]

D_STUDY_INTERVIEWS = (1, 2, 3, 4, 6, 8)
"""Interviews per informant type shown in the reports' D-study line."""


def site_table(
    inst: Instrument, checked: CheckedSheets, interview: NDArray[Any], score: str = "overall"
) -> dict[str, NDArray[Any]]:
    """The long table :func:`~fidelity.stats.site_gstudy.site_g_study` reads: one row per
    non-consensus sheet, its ``score``, site, informant, ``interview`` (one key per assessment
    and round), rater and round.

    ``score`` is a domain id or ``overall``. A site's overall score is built from its
    interviews' domain scores (:meth:`fidelity.scoring.ScoreResult.site_scores`), and an
    informant's interview often scores only some domains, so for ``overall`` (with the
    ``mean_of_domains`` rule) each sheet contributes the mean of the domain scores it has;
    the differences this makes between informant types are informant effects."""
    c = compile_instrument(inst)
    domains, overall = score_values(c, checked.values)
    if score == "overall" and inst.scoring.overall == "mean_of_domains":
        have = ~np.isnan(domains)
        total = np.where(have, domains, 0.0).sum(axis=1)
        count = have.sum(axis=1)
        values = np.divide(total, count, out=np.full(count.size, np.nan), where=count > 0)
    elif score == "overall":
        values = overall
    elif score in c.domain_ids:
        values = domains[:, c.domain_ids.index(score)]
    else:
        raise ValueError(f"score must be overall or a domain of {inst.spec}: "
                         + ", ".join(c.domain_ids))  # fmt: skip
    keep = ~checked.consensus
    return {
        "score": np.asarray(values, dtype=np.float64)[keep],
        "site": checked.site[keep],
        "informant": checked.informant[keep],
        "interview": interview[keep],
        "rater": checked.rater[keep],
        "round": checked.round[keep],
    }


def _num(v: float, digits: int = 2) -> str:
    return "—" if math.isnan(v) else f"{v:.{digits}f}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _phi(phi: float, bounds: tuple[float, float] | None) -> str:
    if bounds is not None and math.isnan(phi):
        return f"{_num(bounds[0])}–{_num(bounds[1])}"
    return _num(phi)


def g_study_lines(g: SiteGStudy) -> list[str]:
    """Plain-text lines summarising ``g``: the design, Φ of the audit's own site score, the
    D-study over :data:`D_STUDY_INTERVIEWS` with one rater, and each variance component with
    its standard error (or why it is missing)."""
    lines = [
        f"{_n(g.n_sites, 'site')}, {_n(g.n_informants, 'informant type')}, "
        f"{_n(g.n_rounds, 'round')}, {_n(g.n_interviews, 'interview')} "
        f"({_num(g.interviews_per_informant, 1)} per informant type per site and round), "
        f"{_n(g.n_raters, 'rater')}, {_num(g.raters_per_interview)} ratings per interview"
    ]
    if math.isnan(g.phi) and g.phi_bounds is None:
        lines.append(f"Site-score reliability undefined: {g.reason}")
    else:
        lines.append(
            "Site score with the audit's interviews and one rater each: "
            f"Φ = {_phi(g.phi, g.phi_bounds)}"
        )
        if g.reason is not None:
            lines.append(f"  (a range: {g.reason})")
        rows = site_d_study(g, D_STUDY_INTERVIEWS, [1])
        lines.append(
            "D-study, one rater per interview, Φ by interviews per informant type: "
            + "; ".join(f"{r.n_interviews}: {_phi(r.phi, r.phi_bounds)}" for r in rows)
        )
    for comp in g.components:
        if comp.reason is None:
            lines.append(f"  {comp.name}: variance {comp.variance:.4g} (SE {_num(comp.se, 3)})")
        elif not (g.reason is not None and comp.reason == g.reason):
            lines.append(f"  {comp.name}: not estimated ({comp.reason})")
    return lines
