"""Building the audit reliability report from rating sheets: the rating design, then one
builder per table (scores, items, internal consistency, spread).

Conventions (each stated in the report itself):

* **Double-rated assessments** are those with two or more non-consensus sheets. Consensus
  sheets are never used for inter-rater reliability.
* **Rating design.** When every double-rated assessment was rated by the same set of raters,
  raters are a crossed factor and scores use ICC(2,1) — McGraw & Wong's ICC(A,1), two-way
  random effects, absolute agreement, single rater — because a single rater's score is what
  the other interviews report (Shrout & Fleiss 1979, doi:10.1037/0033-2909.86.2.420;
  McGraw & Wong 1996, doi:10.1037/1082-989X.1.1.30). When the pairs vary between assessments
  (the usual double-rating by whichever researchers are free), raters are nested in
  assessments and scores use the one-way ICC(1,1), valid for unequal numbers of ratings
  (Donner 1986, doi:10.2307/1403126). In the crossed design an assessment whose score is
  missing for some rater is left out of that ICC and counted in ``n_incomplete``.
* **Items** are ordinal: exact and within-one-level agreement, Gwet's AC2 with quadratic
  weights over the item's full scale (Gwet 2008, doi:10.1348/000711006X126600), and
  Krippendorff's ordinal alpha (Krippendorff 2011). NA and missing answers are left out of
  these; a pair where one rater answered NA and the other gave a level is counted as an NA
  disagreement.
* **Internal consistency** uses one sheet per assessment (the consensus sheet when there is
  one, otherwise the first rater's sheet in rater order) with reverse-scored items turned
  round, and pairwise deletion because NA items are excluded by design: Cronbach's alpha
  (Feldt CI), McDonald's omega total from a one-factor minres model as ``psych::omega``
  (percentile bootstrap CI with the report's resamples and seed; ``nan`` with the reason for a
  Heywood case or a fit that does not converge) and ordinal alpha from polychoric correlations
  as ``psych::polychoric`` (no CI).
* **Flags** apply commonly used criteria, listed in :data:`~fidelity.report.model.CRITERIA`
  with their sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from fidelity._util.time import utc_timestamp
from fidelity._util.version import __version__
from fidelity.instrument import Instrument
from fidelity.instrument.catalog import as_instrument
from fidelity.ratings import (
    ANSWERED,
    NA,
    CompiledInstrument,
    SheetsInvalidError,
    as_batch,
    check_sheets,
    compile_instrument,
)
from fidelity.report.model import (
    AC2_SUBSTANTIAL,
    CRONBACH_ACCEPTABLE,
    FLOOR_CEILING,
    ICC_GOOD,
    ITEM_TOTAL_LOW,
    KRIPPENDORFF_TENTATIVE,
    ConsistencyRow,
    Design,
    ItemRow,
    ItemTotal,
    ReliabilityReport,
    ScoreRow,
    SpreadRow,
    below,
)
from fidelity.scoring import score_values
from fidelity.stats.agreement import gwet_ac, percent_agreement
from fidelity.stats.consistency import cronbach_alpha, item_spread
from fidelity.stats.estimate import Estimate
from fidelity.stats.icc import icc
from fidelity.stats.krippendorff import krippendorff_alpha
from fidelity.stats.omega import omega_total
from fidelity.stats.polychoric import ordinal_alpha

__all__ = ["assessment_keys", "reliability_report"]

_ONE_SHEET = "one per assessment: the consensus sheet, else the first rater's"


def assessment_keys(assessment: NDArray[Any], rounds: NDArray[Any]) -> NDArray[Any]:
    """One text per assessment: its id, with its audit round when it has one (the sheets of
    one id in different rounds are different assessments)."""
    out = np.empty(assessment.size, dtype=object)
    out[:] = [
        a if r is None else f"{a}\x00{r}"
        for a, r in zip(assessment.tolist(), rounds.tolist(), strict=True)
    ]
    return out


@dataclass(frozen=True)
class _Audit:
    """The checked sheets and the options every table builder needs."""

    inst: Instrument
    c: CompiledInstrument
    values: NDArray[np.float64]
    state: NDArray[np.int8]
    idx: NDArray[np.intp]
    """Double-rated assessments × rater slots: sheet indices, -1 where there is none."""
    one: NDArray[np.intp]
    """One sheet per assessment, for internal consistency and spread."""
    design: Design
    confidence: float
    n_bootstrap: int
    seed: int


# --------------------------------------------------------------------------- design


def _select_one_per_assessment(
    assessment: NDArray[Any], rater: NDArray[Any], consensus: NDArray[np.bool_]
) -> NDArray[np.intp]:
    """Index of one sheet per assessment: the consensus sheet, else the first rater's."""
    order = np.lexsort((rater.astype(str), ~consensus, assessment.astype(str)))
    keys = assessment.astype(str)[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return np.asarray(order[first], dtype=np.intp)


def _pair_index(
    assessment: NDArray[Any], rater: NDArray[Any], consensus: NDArray[np.bool_]
) -> tuple[NDArray[np.intp], list[str], Literal["crossed", "nested"], list[str]]:
    """Double-rated assessments × rater slots of sheet indices (-1 = none), the assessment
    ids, the design kind and the rater columns (rater ids when crossed)."""
    rows: dict[str, list[tuple[str, int]]] = {}
    for s in np.flatnonzero(~consensus):
        rows.setdefault(str(assessment[s]), []).append((str(rater[s]), int(s)))
    double = {a: sorted(v) for a, v in rows.items() if len(v) >= 2}
    ids = sorted(double)
    rater_sets = {tuple(r for r, _ in v) for v in double.values()}
    kind: Literal["crossed", "nested"]
    if len(rater_sets) == 1:
        cols = list(next(iter(rater_sets)))
        kind = "crossed"
    else:
        cols = [f"rating {i + 1}" for i in range(max((len(v) for v in double.values()), default=2))]
        kind = "nested"
    idx = np.full((len(ids), len(cols)), -1, dtype=np.intp)
    for i, a in enumerate(ids):
        for k, (_r, s) in enumerate(double[a]):
            idx[i, k] = s
    return idx, ids, kind, cols


def _design(kind: Literal["crossed", "nested"], cols: list[str], n_double: int) -> Design:
    """The rating design, the ICC form it calls for, and why."""
    if kind == "crossed":
        form = "ICC(2,1)"
        reason = (
            f"the same raters ({', '.join(cols)}) rated every double-rated assessment, so "
            "raters are crossed with assessments: two-way random effects, absolute "
            "agreement, single rater (ICC(A,1))"
        )
    else:
        form = "ICC(1,1)"
        reason = (
            "different raters rated different assessments, so raters are nested in "
            "assessments: one-way random effects, single rater, unbalanced estimator"
        )
    return Design(
        kind=kind,
        raters=tuple(cols),
        icc_form=form,
        reason=reason,
        n_double_rated=n_double,
        consistency_sheets=_ONE_SHEET,
    )


def _gather(values: NDArray[np.float64], idx: NDArray[np.intp]) -> NDArray[np.float64]:
    out = values[np.where(idx >= 0, idx, 0)]
    out[idx < 0] = np.nan
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------- tables


def _score_row(a: _Audit, name: str, col: NDArray[np.float64]) -> ScoreRow:
    crossed = a.design.kind == "crossed"
    x = _gather(col, a.idx)
    incomplete = int(np.isnan(x).any(axis=1).sum()) if x.size else 0
    x_icc = x[~np.isnan(x).any(axis=1)] if crossed else x
    e_icc = icc(x_icc, form=a.design.icc_form, confidence=a.confidence)
    e_alpha = krippendorff_alpha(
        x, level="interval", bootstrap=a.n_bootstrap, confidence=a.confidence, seed=a.seed
    )
    flags = []
    if below(e_icc, ICC_GOOD):
        flags.append("icc")
    if below(e_alpha, KRIPPENDORFF_TENTATIVE):
        flags.append("krippendorff")
    return ScoreRow(
        target=name,
        icc=e_icc,
        n_incomplete=incomplete if crossed else 0,
        alpha_interval=e_alpha,
        flags=tuple(flags),
    )


def score_rows(
    a: _Audit, domains: NDArray[np.float64], overall: NDArray[np.float64]
) -> tuple[ScoreRow, ...]:
    """Scores table: ICC (form by design) and interval alpha of each domain and overall."""
    targets = [(d, domains[:, j]) for j, d in enumerate(a.c.domain_ids)] + [("overall", overall)]
    return tuple(_score_row(a, name, col) for name, col in targets)


def _item_row(a: _Audit, j: int) -> ItemRow:
    item = a.inst.items[j]
    cats = sorted(a.c.levels[j])
    x = _gather(a.values[:, j], a.idx)
    st = np.where(a.idx >= 0, a.state[np.where(a.idx >= 0, a.idx, 0), j], -1)
    has_na = (st == NA).any(axis=1)
    has_level = (st == ANSWERED).any(axis=1)
    conf = a.confidence
    exact = percent_agreement(x, within=0, categories=cats, confidence=conf)
    within = percent_agreement(x, within=1, categories=cats, confidence=conf)
    ac2 = gwet_ac(x, weights="quadratic", categories=cats, confidence=conf)
    alpha = krippendorff_alpha(x, level="ordinal")
    flags = []
    if below(ac2, AC2_SUBSTANTIAL):
        flags.append("ac2")
    if below(alpha, KRIPPENDORFF_TENTATIVE):
        flags.append("krippendorff")
    return ItemRow(
        item=item.id,
        domain=item.domain,
        n_pairable=int(((~np.isnan(x)).sum(axis=1) >= 2).sum()),
        exact=exact,
        within_one=within,
        ac2=ac2,
        alpha_ordinal=alpha,
        na_disagreements=int((has_na & has_level).sum()),
        flags=tuple(flags),
    )


def item_rows(a: _Audit) -> tuple[ItemRow, ...]:
    """Items table: agreement of every item over the double-rated assessments."""
    return tuple(_item_row(a, j) for j in range(len(a.inst.items)))


def _item_totals(e: Estimate, names: list[str]) -> tuple[ItemTotal, ...]:
    """Per item of a domain: corrected item–total r, alpha if deleted, and the low-r flag."""
    det = e.details
    r_it = list(det.get("corrected_item_total_r", [math.nan] * len(names)))
    if_deleted = list(det.get("alpha_if_item_deleted", [math.nan] * len(names)))
    out = []
    for k, name in enumerate(names):
        r = float(r_it[k]) if k < len(r_it) and r_it[k] is not None else math.nan
        deleted = if_deleted[k] if k < len(if_deleted) and if_deleted[k] is not None else math.nan
        low = not math.isnan(r) and r < ITEM_TOTAL_LOW
        out.append(ItemTotal(item=name, r_item_total=r, alpha_if_deleted=float(deleted),
                             low_item_total=low))  # fmt: skip
    return tuple(out)


def consistency_rows(a: _Audit) -> tuple[ConsistencyRow, ...]:
    """Consistency table: Cronbach's alpha, McDonald's omega (one-factor minres, percentile
    bootstrap with the report's resamples and seed) and ordinal alpha per domain (pairwise
    deletion), one sheet per assessment, reverse-scored items turned round."""
    c = a.c
    chosen = a.values[a.one]
    scored = np.where(c.reverse[None, :], (c.hi + c.lo)[None, :] - chosen, chosen)
    rows = []
    for d, members in zip(c.domain_ids, c.domain_items, strict=True):
        names = [c.item_ids[j] for j in members]
        e = cronbach_alpha(scored[:, members], missing="pairwise", confidence=a.confidence)
        omega = omega_total(scored[:, members], confidence=a.confidence,
                            n_resamples=a.n_bootstrap, seed=a.seed)  # fmt: skip
        ordinal = ordinal_alpha(scored[:, members])
        items = _item_totals(e, names)
        flags = ["cronbach"] if below(e, CRONBACH_ACCEPTABLE) else []
        if any(it.low_item_total for it in items):
            flags.append("item_total")
        rows.append(
            ConsistencyRow(
                domain=d,
                alpha=e,
                standardized_alpha=float(e.details.get("standardized_alpha", math.nan)),
                missing="pairwise",
                items=items,
                flags=tuple(flags),
                omega=omega,
                ordinal_alpha=ordinal,
            )
        )
    return tuple(rows)


def _spread_row(a: _Audit, j: int, low_items: set[str]) -> SpreadRow:
    item = a.inst.items[j]
    scale = a.inst.scale_of(item)
    (sp,) = item_spread(a.values[a.one][:, [j]], levels=list(scale.values))
    flags = []
    if sp.floor_share > FLOOR_CEILING or sp.ceiling_share > FLOOR_CEILING:
        flags.append("floor_ceiling")
    if sp.unused_levels:
        flags.append("unused_levels")
    if item.id in low_items:
        flags.append("item_total")
    return SpreadRow(
        item=item.id,
        domain=item.domain,
        n_answered=sp.n_answered,
        n_na=int((a.state[a.one, j] == NA).sum()),
        shares={str(int(k)): v for k, v in sp.shares.items()},
        floor=sp.floor_share,
        ceiling=sp.ceiling_share,
        unused_levels=tuple(int(v) for v in sp.unused_levels),
        flags=tuple(flags),
    )


def spread_rows(a: _Audit, consistency: tuple[ConsistencyRow, ...]) -> tuple[SpreadRow, ...]:
    """Spread table: each item over its full scale, one sheet per assessment; items with a
    low item–total r in ``consistency`` are flagged here too."""
    low = {it.item for row in consistency for it in row.items if it.low_item_total}
    return tuple(_spread_row(a, j, low) for j in range(len(a.inst.items)))


# --------------------------------------------------------------------------- the report


def reliability_report(
    inst: Instrument | str,
    sheets: Any,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    seed: int = 20240601,
) -> ReliabilityReport:
    """Inter-rater reliability, internal consistency and item spread of an audit.

    ``inst`` is an instrument or its spec (``"enrich-peer-support@1.1.0"``); ``sheets`` is
    anything :func:`fidelity.validate` accepts. Invalid sheets raise
    :class:`~fidelity.ratings.SheetsInvalidError` listing every problem. Bootstrap intervals
    (Krippendorff's alpha) resample assessments, ``n_bootstrap`` times, seeded by ``seed``.
    See the module docstring for every convention.
    """
    inst = as_instrument(inst)
    checked = check_sheets(inst, as_batch(sheets))
    if not checked.problems.ok:
        raise SheetsInvalidError(checked.problems)
    c = compile_instrument(inst)
    key = assessment_keys(checked.assessment, checked.round)
    idx, ids, kind, cols = _pair_index(key, checked.rater, checked.consensus)
    audit = _Audit(
        inst=inst, c=c, values=checked.values, state=checked.state, idx=idx,
        one=_select_one_per_assessment(key, checked.rater, checked.consensus),
        design=_design(kind, cols, len(ids)), confidence=confidence, n_bootstrap=n_bootstrap,
        seed=seed,
    )  # fmt: skip
    domains, overall = score_values(c, checked.values)
    consistency = consistency_rows(audit)
    provenance = {
        "instrument": inst.spec,
        "content_hash": inst.content_hash,
        "fidelity_version": __version__,
        "generated_at": utc_timestamp(),
        "n_sheets": int(checked.values.shape[0]),
        "n_assessments": len({str(a) for a in key}),
        "confidence": confidence,
        "n_bootstrap": n_bootstrap,
        "seed": seed,
    }
    return ReliabilityReport(
        provenance=provenance,
        design=audit.design,
        items=item_rows(audit),
        scores=score_rows(audit, domains, overall),
        consistency=consistency,
        spread=spread_rows(audit, consistency),
    )
