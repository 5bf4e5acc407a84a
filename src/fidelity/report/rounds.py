"""Audit rounds: scores per site and round, and the change between consecutive rounds,
judged against the measurement error of the ratings.

Fidelity is reviewed in rounds (``baseline``, ``6m``, ``12m``, ...), named by each sheet's
``round`` field. Conventions:

* **Order of the rounds.** Given explicitly (``rounds=("baseline", "6m")``, the CLI's
  ``--rounds``), or else by each round's earliest sheet date. Every round in the sheets must
  be placed: an unknown label, or an undated round without an explicit order, is refused with
  :class:`RoundsError`.
* **Scores per site and round** are :meth:`~fidelity.scoring.ScoreResult.site_scores` of the
  sheets of that round (an assessment id in two rounds is two assessments).
* **Measurement error** per score (each domain, then overall) from the double-rated
  interviews: the standard error of measurement ``SEM = SD * sqrt(1 - ICC)``, where SD is the
  standard deviation of the per-assessment scores and ICC the inter-rater ICC of the
  reliability report (Weir 2005, doi:10.1519/15184.1; de Vet et al. 2006,
  doi:10.1016/j.jclinepi.2005.10.015). The smallest detectable change of one rated interview
  is ``SDC = z * sqrt(2) * SEM`` (z = 1.96 at 95 %).
* **Change of a site** between consecutive rounds in which it has a score: ``after -
  before``. A site's domain score is the mean of the ``n`` assessments that have it, so its
  rating error is ``SEM / sqrt(n)`` and the change's is ``se = SEM * sqrt(1/n_before +
  1/n_after)``. When the instrument's overall score is the mean of the domain scores, the
  site's overall is a mean of domain means, some resting on fewer interviews than others
  (items not asked of an informant), so its ``se`` combines the domains':
  ``sqrt(sum_d SEM_d² (1/n_d,before + 1/n_d,after)) / D`` over the ``D`` domains the site
  has in both rounds, taking the rating errors of different domains as independent (a
  rater's overall leniency would correlate them and make this too small). The change is
  *beyond measurement error* when ``|change| > z * se``. This is rating error
  only: it says whether the raters could have produced the change by disagreeing, not whether
  the service changed for good.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from fidelity.errors import FidelityError

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.report.model import ReliabilityReport
    from fidelity.scoring import ScoreResult

__all__ = [
    "BEYOND",
    "WITHIN",
    "RoundsError",
    "latest_round",
    "measurement_error",
    "round_changes",
    "round_order",
    "site_errors",
    "site_round_scores",
]

BEYOND = "beyond measurement error"
WITHIN = "within measurement error"


class RoundsError(FidelityError, ValueError):
    """The audit rounds cannot be ordered: a label outside ``--rounds``, or an undated
    round without an explicit order."""


def round_order(result: ScoreResult, rounds: Sequence[str] | None = None) -> tuple[str, ...]:
    """The rounds of ``result`` in order: ``rounds`` as given (each label once; every round of
    the sheets must be in it), else by each round's earliest sheet date. ``()`` when no sheet
    names a round."""
    if result.round is None:
        return tuple(str(r) for r in rounds) if rounds is not None else ()
    present = _present(result.round)
    if rounds is not None:
        given = [str(r) for r in rounds]
        twice = sorted({r for r in given if given.count(r) > 1})
        if twice:
            raise RoundsError(f"--rounds names {', '.join(twice)} more than once")
        unknown = [r for r in present if r not in given]
        if unknown:
            raise RoundsError(
                f"sheets name round(s) {', '.join(map(repr, unknown))} that --rounds "
                f"({', '.join(given)}) does not list"
            )
        return tuple(given)
    first: dict[str, str] = {}
    undated: set[str] = set(present)
    for r, d in zip(_labels(result.round), result.date.tolist(), strict=True):
        if r is None or not isinstance(d, str):
            continue
        undated.discard(r)
        first[r] = min(first.get(r, d), d)
    if undated:
        raise RoundsError(
            f"round(s) {', '.join(map(repr, sorted(undated)))} have no dated sheet: give the "
            "order of the rounds (--rounds baseline,6m,12m)"
        )
    return tuple(sorted(present, key=lambda r: (first[r], r)))


def _labels(rounds: Any) -> list[Any]:
    return list(rounds.tolist()) if rounds is not None else []


def _present(rounds: Any) -> list[str]:
    seen: dict[str, None] = {}
    for r in rounds.tolist():
        if r is not None:
            seen.setdefault(r, None)
    return list(seen)


def _subset(result: ScoreResult, mask: Any) -> ScoreResult:
    """The result restricted to the sheets where ``mask`` is true."""
    n = len(result)
    changes: dict[str, Any] = {"_cache": {}}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
            changes[f.name] = value[mask]
    return dataclasses.replace(result, **changes)


def latest_round(
    result: ScoreResult, rounds: Sequence[str] | None = None
) -> tuple[str | None, ScoreResult]:
    """The last round of :func:`round_order` that has sheets, and ``result`` restricted to
    that round's sheets: what a site's current score is. ``(None, result)`` when no sheet
    names a round."""
    if result.round is None:
        return None, result
    labels = np.asarray(_labels(result.round), dtype=object)
    present = [r for r in round_order(result, rounds) if (labels == r).any()]
    if not present:
        return None, result
    return present[-1], _subset(result, labels == present[-1])


def _counts(result: ScoreResult) -> pd.DataFrame:
    """Per site (index): ``n_<score>``, how many of its assessments have each score."""
    targets = [*result.domain_ids, "overall"]
    per = result.by_assessment()
    counts = per[targets].notna().groupby(per["site"].fillna("(no site)")).sum()
    counts.columns = [f"n_{t}" for t in targets]
    return counts


def site_errors(
    result: ScoreResult, error: pd.DataFrame, *, confidence: float | None = None
) -> pd.DataFrame:
    """Per site (rows, as in :meth:`~fidelity.scoring.ScoreResult.site_scores`) and score
    (columns: each domain, then overall): the half-width ``z * se`` of the interval of the
    site's score from rating error alone, ``se = SEM / sqrt(n)`` over the site's assessments
    that have the score; for an overall that is the mean of the domains, the domains' errors
    combined as for a change (module docstring). Empty where the SEM is unknown."""
    import pandas as pd

    level = confidence if confidence is not None else error.attrs.get("confidence", 0.95)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    sem = dict(zip(error["score"], error["sem"].astype(float), strict=True))
    scores = result.site_scores().merge(_counts(result), left_on="site", right_index=True)
    domains = [t for t in sem if t != "overall"]
    pooled = error.attrs.get("overall") == "mean_of_domains" and bool(domains)
    rows = {}
    for row in scores.to_dict("records"):
        out = {}
        for t in sem:
            if t == "overall" and pooled:
                se = _pooled_se(row, row, domains, sem) / math.sqrt(2)
            else:
                n = _n(row, t)
                se = sem[t] / math.sqrt(n) if n > 0 and not _isnan(row[t]) else math.nan
            out[t] = z * se
        rows[str(row["site"])] = out
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(sem))


def site_round_scores(result: ScoreResult, rounds: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per site and round (rounds in :func:`round_order`): ``site``, ``round``,
    ``n_assessments``, one column per domain, ``overall`` and ``band``, as
    :meth:`~fidelity.scoring.ScoreResult.site_scores` computes them from that round's
    sheets, then ``n_<score>`` for each domain and overall: how many of the site's
    assessments have that score. Sheets without a round are left out when other sheets name
    one."""
    import pandas as pd

    order = round_order(result, rounds)
    labels = np.asarray(_labels(result.round), dtype=object)
    frames = []
    targets = [*result.domain_ids, "overall"]
    for r in order:
        mask = labels == r
        if not mask.any():
            continue
        part = _subset(result, mask)
        table = part.site_scores().drop(columns=["informants"])
        table.insert(1, "round", r)
        frames.append(table.merge(_counts(part), left_on="site", right_index=True, how="left"))
    names = ["site", "round", "n_assessments", *result.domain_ids, "overall", "band"]
    names += [f"n_{t}" for t in targets]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=names)
    out = out[names]
    rank = {r: k for k, r in enumerate(order)}
    out = out.sort_values(
        ["site", "round"], key=lambda s: s.map(rank) if s.name == "round" else s, kind="stable"
    )
    out = out.reset_index(drop=True)
    out.attrs["provenance"] = {**result.provenance, "rounds": list(order)}
    return out


def measurement_error(
    result: ScoreResult, report: ReliabilityReport, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Per score (each domain, then overall): ``icc`` (the report's inter-rater ICC), its
    ``n`` double-rated assessments, ``sd`` of the per-assessment scores, ``sem`` =
    ``sd * sqrt(1 - icc)`` and ``sdc`` = ``z * sqrt(2) * sem``, the smallest change in one
    rated interview beyond measurement error (Weir 2005, doi:10.1519/15184.1). ``sem`` and
    ``sdc`` are empty where the ICC is undefined; a negative ICC counts as 0."""
    import pandas as pd

    per = result.by_assessment()
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    rows = []
    for row in report.scores:
        icc = row.icc.value
        values = per[row.target].to_numpy(dtype=float) if row.target in per else np.zeros(0)
        values = values[~np.isnan(values)]
        sd = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
        sem = sd * math.sqrt(1 - min(max(icc, 0.0), 1.0)) if not math.isnan(icc) else math.nan
        rows.append(
            {
                "score": row.target,
                "icc": icc,
                "n": row.icc.n_subjects,
                "sd": sd,
                "sem": sem,
                "sdc": z * math.sqrt(2) * sem,
            }
        )
    out = pd.DataFrame(rows, columns=["score", "icc", "n", "sd", "sem", "sdc"])
    out.attrs["confidence"] = confidence
    out.attrs["overall"] = result.provenance.get("overall_rule")
    return out


def round_changes(
    scores: pd.DataFrame, error: pd.DataFrame, *, confidence: float | None = None
) -> pd.DataFrame:
    """The change of every site and score between consecutive rounds in which the site has
    that score (``scores`` from :func:`site_round_scores`, ``error`` from
    :func:`measurement_error`): ``site``, ``score``, ``from``, ``to``, ``before``,
    ``after``, ``change``, ``se`` (``sem * sqrt(1/n_before + 1/n_after)``, with ``n`` the
    site's assessments that have the score; pooled over the domains for an overall that is
    their mean: see the module docstring), ``threshold`` =
    ``z * se`` and ``verdict`` (:data:`BEYOND` when ``|change| > threshold``, :data:`WITHIN`
    otherwise, ``"measurement error unknown"`` without a SEM)."""
    import pandas as pd

    level = confidence if confidence is not None else error.attrs.get("confidence", 0.95)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    sem = dict(zip(error["score"], error["sem"].astype(float), strict=True))
    domains = [t for t in sem if t != "overall"]
    pooled = error.attrs.get("overall") == "mean_of_domains" and bool(domains)
    rows: list[dict[str, Any]] = []
    for site, group in scores.groupby("site", sort=True):
        for target in sem:
            kept = [dict(r) for r in group[group[target].notna()].to_dict("records")]
            for a, b in itertools.pairwise(kept):
                if target == "overall" and pooled:
                    se = _pooled_se(a, b, domains, sem)
                else:
                    se = sem[target] * math.sqrt(1 / _n(a, target) + 1 / _n(b, target))
                rows.append(_change(site, target, a, b, se, z))
    names = ["site", "score", "from", "to", "before", "after", "change", "se", "threshold"]
    out = pd.DataFrame(rows, columns=[*names, "verdict"])
    out.attrs["confidence"] = level
    return out


def _n(row: dict[Any, Any], target: str) -> int:
    """How many of the site's assessments have ``target`` (all of them, in a table without
    the per-score counts)."""
    n = row.get(f"n_{target}")
    return int(n) if n is not None and not _isnan(n) and n > 0 else int(row["n_assessments"])


def _isnan(value: Any) -> bool:
    """Whether a table cell is a missing number."""
    return isinstance(value, float) and math.isnan(value)


def _pooled_se(
    a: dict[Any, Any], b: dict[Any, Any], domains: list[str], sem: dict[str, float]
) -> float:
    """The rating error of a change in a mean of the site's domain scores: each domain's
    ``SEM² (1/n₁ + 1/n₂)`` over the domains the site has in both rounds, divided by the
    number of domains squared (rating errors of different domains taken as independent)."""
    both = [d for d in domains if not (_isnan(float(a[d])) or _isnan(float(b[d])))]
    if not both:
        return math.nan
    total = sum(sem[d] ** 2 * (1 / _n(a, d) + 1 / _n(b, d)) for d in both)
    return math.sqrt(total) / len(both)


def _change(
    site: Any, target: str, a: dict[Any, Any], b: dict[Any, Any], se: float, z: float
) -> dict[str, Any]:
    before, after = float(a[target]), float(b[target])
    change = round(after - before, 10)
    threshold = z * se
    if math.isnan(threshold):
        verdict = "measurement error unknown"
    else:
        verdict = BEYOND if abs(change) > threshold else WITHIN
    return {
        "site": site,
        "score": target,
        "from": a["round"],
        "to": b["round"],
        "before": before,
        "after": after,
        "change": change,
        "se": se,
        "threshold": threshold,
        "verdict": verdict,
    }
