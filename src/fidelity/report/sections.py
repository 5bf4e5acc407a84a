"""What the audit report says, apart from how it is drawn: the current round and the tables
of the rounds, the instrument's caveats, and the provenance line of every section. The HTML
and Markdown views both render these, so the two say the same thing.

Conventions:

* **Current scores.** With audit rounds, the site scores (summary, site scores, per-site
  pages) are those of the latest round (:func:`~fidelity.report.rounds.latest_round`); the
  earlier rounds are in the rounds section. Reliability pools every round's double-rated
  interviews: the raters and the instrument are the same, and more pairs give a narrower
  interval.
* **Caveats** come from the instrument itself: its status, and every sentence of its
  description that speaks of validation (the bundled ENRICH index says it has not been
  validated). An instrument that says nothing about validation gets a caveat saying so.
* **Provenance.** Each section ends with one line naming the sheets (files, count, round), the
  statistic and its convention, and the instrument ``id@version``, content hash and library
  version, so every number in it can be traced.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fidelity.report.rounds import (
    BEYOND,
    latest_round,
    measurement_error,
    round_changes,
    round_order,
    site_round_scores,
)
from fidelity.report.tables import fmt_num

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.instrument import Instrument
    from fidelity.report.model import ReliabilityReport
    from fidelity.scoring import ScoreResult

__all__ = [
    "CHANGE_HEADER",
    "MIN_DOUBLE_RATED",
    "ROUNDS_METHOD",
    "WIDE_INTERVAL",
    "RoundTables",
    "change_rows",
    "current_scores",
    "instrument_caveats",
    "provenance",
    "quality_tables",
    "round_tables",
    "summary_lines",
]


@dataclass(frozen=True)
class RoundTables:
    """The rounds of an audit: their order, scores per site and round
    (:func:`~fidelity.report.rounds.site_round_scores`), the measurement error and the
    changes between consecutive rounds."""

    order: tuple[str, ...]
    scores: pd.DataFrame
    error: pd.DataFrame
    changes: pd.DataFrame

    def series(self) -> dict[str, list[float]]:
        """Per site, its overall score in each round (NaN where it has none)."""
        out = {}
        for site, group in self.scores.groupby("site", sort=True):
            values = dict(zip(group["round"], group["overall"].astype(float), strict=True))
            out[str(site)] = [values.get(r, float("nan")) for r in self.order]
        return out

    def changed_sites(self) -> list[str]:
        """The sites whose overall score changed beyond measurement error between some two
        consecutive rounds."""
        c = self.changes
        return sorted(
            {str(s) for s in c[(c["score"] == "overall") & (c["verdict"] == BEYOND)]["site"]}
        )

    def overall_by_round(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows of a site × round table of overall scores (``—`` where a site has
        none)."""
        rows = [[site, *map(fmt_num, values)] for site, values in self.series().items()]
        return ["site", *self.order], rows


ROUNDS_METHOD = (
    "Measurement error from the double-rated interviews: SEM = SD × √(1 − ICC), "
    "SDC = 1.96 × √2 × SEM for one interview (Weir 2005, doi:10.1519/15184.1). A site's "
    "change is beyond measurement error when it exceeds 1.96 × its standard error, "
    "SEM × √(1/n₁ + 1/n₂) with n the site's interviews that have the score (for the overall, "
    "the domains' errors combined)."
)
"""How the rounds section judges a change, in words."""

CHANGE_HEADER = ["site", "score", "rounds", "change", "threshold", "verdict"]


def change_rows(tables: RoundTables) -> list[list[str]]:
    """The change table's rows as text: site, score, rounds, change, threshold, verdict."""
    return [
        [str(r["site"]), str(r["score"]), f"{r['from']} → {r['to']}", fmt_num(r["change"]),
         fmt_num(r["threshold"]), str(r["verdict"])]
        for _, r in tables.changes.iterrows()
    ]  # fmt: skip


def round_tables(
    result: ScoreResult, report: ReliabilityReport, rounds: Any = None
) -> RoundTables | None:
    """The :class:`RoundTables` of ``result``, or ``None`` when no sheet names a round."""
    if result.round is None:
        return None
    scores = site_round_scores(result, rounds)
    error = measurement_error(result, report, confidence=report.provenance["confidence"])
    return RoundTables(round_order(result, rounds), scores, error, round_changes(scores, error))


def current_scores(result: ScoreResult, rounds: Any = None) -> tuple[str | None, ScoreResult]:
    """The round the site scores are reported for (``None`` without rounds) and the result
    restricted to it."""
    return latest_round(result, rounds)


WIDE_INTERVAL = 0.5
"""An interval wider than this is too wide to support a conclusion about the coefficient."""

MIN_DOUBLE_RATED = 30
"""Fewer double-rated interviews than this are too few to call the scores reliable, whatever
the interval says (Koo & Li 2016, doi:10.1016/j.jcm.2016.02.012: at least 30 heterogeneous
samples for a reliability study)."""


def summary_lines(
    inst: Instrument, now: tuple[str | None, ScoreResult], report: ReliabilityReport
) -> list[str]:
    """The plain-language summary: sites, interviews and raters; how the sites fall into the
    bands; whether the overall score's reliability supports the scores (not below
    :data:`MIN_DOUBLE_RATED` interviews, nor with an interval wider than
    :data:`WIDE_INTERVAL`, nor a lower bound under 0.5)."""
    label, result = now
    sites = result.site_scores()
    counts = Counter(str(b) for b in sites["band"] if b is not None)
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    raters = {str(r) for r, c in zip(result.rater, result.consensus, strict=True) if not c}
    icc = next(r for r in report.scores if r.target == "overall").icc
    ci = icc.ci
    if (icc.n_subjects or 0) < MIN_DOUBLE_RATED:
        verdict = f"too few double-rated interviews to tell (fewer than {MIN_DOUBLE_RATED})"
    elif ci is None or ci[1] - ci[0] > WIDE_INTERVAL or math.isnan(icc.value):
        verdict = "too few double-rated interviews, or too much disagreement, to tell"
    else:
        verdict = "reliable enough to trust the scores" if ci[0] >= 0.5 else "doubtful"
    total = report.provenance["n_assessments"]
    n_now = len(result.by_assessment()) if label else total
    where = (
        f" in round {label}, the latest ({total} interviews in all rounds, which the rounds "
        "section shows)"
        if label
        else ""
    )
    shown = fmt_num(icc.value) + (f" [{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else "")
    return [
        f"{len(sites)} sites, {n_now} interviews (assessments), {len(raters)} raters{where}.",
        "Bands: "
        + "; ".join(f"{b.label}: {counts.get(b.id, 0)} site(s)" for b in bands)
        + f"; without a band: {len(sites) - sum(counts.values())}.",
        f"Reliability of the overall score: {report.design.icc_form} = {shown} from "
        f"{icc.n_subjects} double-rated interviews: {verdict}.",
    ]


def quality_tables(
    inst: Instrument, result: ScoreResult, report: ReliabilityReport
) -> list[tuple[str, list[str], list[list[str]]]]:
    """The data-quality tables as (caption, header, rows): warnings by code and item, NA and
    missing answers per informant (share of all item cells), and the items with NA answers
    or warnings (NA share from one sheet per assessment)."""
    problems = list(result.problems)
    by_code = Counter((str(p.code), str(getattr(p, "item", None) or "—")) for p in problems)
    out = [
        (
            f"{len(result)} rating sheets read; {len(problems)} warnings, by code and item:",
            ["code", "item", "warnings"],
            [[c, i, str(n)] for (c, i), n in sorted(by_code.items())],
        )
    ]
    frame = result.to_pandas()
    totals = frame.groupby(frame["informant"].fillna("(none)"))[["n_na", "n_missing"]].agg(
        ["sum", "size"]
    )
    m = max(len(inst.items), 1)
    rows = []
    for inf, r in totals.iterrows():
        cells = int(r[("n_na", "size")]) * m
        rows.append(
            [str(inf), str(int(r[("n_na", "size")])), f"{100 * r[('n_na', 'sum')] / cells:.1f}%",
             f"{100 * r[('n_missing', 'sum')] / cells:.1f}%"]
        )  # fmt: skip
    out.append(
        (
            "NA and missing answers per informant, as a share of all item cells:",
            ["informant", "sheets", "NA", "missing"],
            rows,
        )
    )
    warned = Counter(str(getattr(p, "item", None)) for p in problems)
    items = [
        [s.item, f"{100 * s.n_na / max(s.n_na + s.n_answered, 1):.1f}%", str(warned[s.item])]
        for s in report.spread
        if s.n_na or warned[s.item]
    ]
    out.append(("Items with NA answers or warnings:", ["item", "NA", "warnings"], items))
    return [(c if rows else c.rstrip(":") + ": none.", h, rows) for c, h, rows in out]


_VALIDATION = re.compile(r"\b(un)?validated\b|\bvalidation\b|\bvalidity\b", re.IGNORECASE)


def instrument_caveats(inst: Instrument) -> list[str]:
    """The instrument's own caveats: its status, the sentences of its description that say
    whether it was validated ("validated", "unvalidated", "validation", "validity"; or a note
    that it states none), and what its bands are."""
    out = [f"Instrument status: {inst.status}."]
    if inst.status == "draft":
        out.append("This instrument version is a draft: its scores are provisional.")
    sentences = re.split(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", " ".join(inst.description.split()))
    said = [s for s in sentences if _VALIDATION.search(s)]
    out += said or [
        "The instrument does not state that it has been validated: read its scores and bands "
        "as descriptive, not as validated measures."
    ]
    out.append(
        "The band cut-offs are the instrument's own; unless its citations report a "
        "validation, treat them as descriptive, not as validated thresholds."
    )
    return out


def _files(result: ScoreResult) -> str:
    names = dict.fromkeys(
        re.sub(r"\s+(row\s+\d+|\[\d+\]).*$", "", str(s)) for s in result.source.tolist()
    )
    shown = list(names)[:3]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(shown) + more


def provenance(
    inst: Instrument,
    result: ScoreResult,
    report: ReliabilityReport,
    current: tuple[str | None, ScoreResult],
) -> dict[str, str]:
    """One provenance line per report section (keyed by the section anchor of
    :data:`~fidelity.report.html_report.SECTIONS`)."""
    p, d = report.provenance, report.design
    label, now = current
    ident = (
        f"Instrument {inst.spec}, content hash {inst.content_hash[:12]}…, fidelity "
        f"{p['fidelity_version']}."
    )
    sheets = f"{len(result)} sheets from {_files(result)}"
    scope = f"the {len(now)} sheets of round {label} (the latest)" if label else f"all {sheets}"
    rule = inst.scoring.overall.replace("_", " ")
    conf = f"{100 * p['confidence']:g}%"
    return {
        "summary": f"Sources: site scores and bands from {scope}; raters counted on the "
        f"non-consensus sheets; reliability as in the reliability section. {ident}",
        "data-quality": f"Sources: {sheets}; warnings are the validation problems of those "
        "sheets by code; NA and missing shares are NA (missing) item cells over sheets × "
        f"items, per informant. {ident}",
        "sites": f"Sources: {scope}. A site's domain score is the mean of its assessments' "
        "scores (the consensus sheet, else the mean of the raters' sheets); the overall "
        f"applies the instrument's rule ({rule}) to them; bands are the instrument's. {ident}",
        "rounds": f"Sources: {sheets}, each round scored from its own sheets; SEM = SD × "
        f"√(1 − ICC) with the {d.icc_form} of the double-rated interviews of all rounds "
        f"(Weir 2005, doi:10.1519/15184.1); verdicts at {conf}. {ident}",
        "reliability": f"Sources: the {d.n_double_rated} double-rated assessments of the "
        f"{sheets} (non-consensus sheets only, all rounds); {d.icc_form} ({d.kind} design); "
        f"{conf} intervals; AC2 with quadratic weights; Krippendorff's alpha bootstrap "
        f"{p['n_bootstrap']} resamples, seed {p['seed']}. {ident}",
        "consistency": f"Sources: {d.consistency_sheets}, "
        f"{p['n_assessments']} assessments; Cronbach's alpha with pairwise deletion (Feldt "
        "interval), McDonald's omega total from a one-factor minres model, ordinal alpha from "
        "polychoric correlations; reverse-scored items turned round; spread is the share of "
        "answers at each level. "
        f"{ident}",
        "instrument": f"Scored at {result.provenance['scored_at']}, report generated at "
        f"{p['generated_at']}. {ident}",
    }
