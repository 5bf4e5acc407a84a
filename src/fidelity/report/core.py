"""The audit reliability report: inter-rater reliability, internal consistency and item spread
of an audit's rating sheets, as a trial's psychometric report needs them.

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
  round, and pairwise deletion because NA items are excluded by design.
* **Flags** apply commonly used criteria, listed in :data:`CRITERIA` with their sources.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity._util.time import utc_timestamp
from fidelity.stats.estimate import Estimate, json_ready as _json_ready

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from fidelity.instrument import Instrument

__all__ = ["CRITERIA", "ReliabilityReport", "audit_report_markdown", "reliability_report"]

ICC_GOOD = 0.75
KRIPPENDORFF_TENTATIVE = 0.667
AC2_SUBSTANTIAL = 0.6
CRONBACH_ACCEPTABLE = 0.7

CRITERIA: dict[str, str] = {
    "icc": f"ICC below {ICC_GOOD}: less than good reliability (Koo & Li 2016, "
    "doi:10.1016/j.jcm.2016.02.012: < .50 poor, .50–.75 moderate, .75–.90 good, > .90 excellent)",
    "krippendorff": f"Krippendorff's alpha below {KRIPPENDORFF_TENTATIVE}: below the level for "
    "tentative conclusions (Krippendorff 2004, Content Analysis, 2nd ed., §11.4; "
    ".800 for firm ones)",
    "ac2": f"AC2 below {AC2_SUBSTANTIAL}: below substantial agreement on the Landis & Koch "
    "benchmarks that Gwet (2014) applies to AC1/AC2 (Landis & Koch 1977, doi:10.2307/2529310)",
    "cronbach": f"Cronbach's alpha below {CRONBACH_ACCEPTABLE}: below the usual minimum for "
    "group comparisons (Nunnally & Bernstein 1994, Psychometric Theory, 3rd ed.)",
    "item_total": "corrected item–total correlation below 0.30 (Nunnally & Bernstein 1994)",
    "floor_ceiling": "more than 15% of answers at the lowest or highest level (Terwee et al. "
    "2007, doi:10.1016/j.jclinepi.2006.03.012)",
    "unused_levels": "levels of the scale that no rater used",
}


def _est(e: Estimate) -> dict[str, Any]:
    return {
        "value": None if math.isnan(e.value) else e.value,
        "ci": list(e.ci) if e.ci is not None else None,
        "n_subjects": e.n_subjects,
        "method": e.method,
        "reason": e.reason,
    }


def _below(e: Estimate, threshold: float) -> bool:
    return not math.isnan(e.value) and e.value < threshold


@dataclass(frozen=True)
class ReliabilityReport:
    """Reliability, consistency and spread of one audit; ``to_dict``/``to_json`` for machines,
    ``tables`` for pandas, ``render`` for a terminal."""

    provenance: dict[str, Any]
    design: dict[str, Any]
    items: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    consistency: list[dict[str, Any]]
    spread: list[dict[str, Any]]
    criteria: dict[str, str] = field(default_factory=lambda: dict(CRITERIA))

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (NaN as null)."""
        data = {
            "provenance": self.provenance,
            "design": self.design,
            "scores": self.scores,
            "items": self.items,
            "consistency": self.consistency,
            "spread": self.spread,
            "criteria": self.criteria,
        }
        result: dict[str, Any] = _json_ready(data)
        return result

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Flat tables: ``scores``, ``items``, ``consistency``, ``item_total`` and ``spread``."""
        import pandas as pd

        def flat(rows: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> pd.DataFrame:
            out = []
            for row in rows:
                rec: dict[str, Any] = {}
                for k, v in row.items():
                    if k in drop:
                        continue
                    if isinstance(v, dict) and "value" in v:
                        rec[k] = v["value"]
                        ci = v.get("ci")
                        rec[f"{k}_low"] = ci[0] if ci else None
                        rec[f"{k}_high"] = ci[1] if ci else None
                    elif isinstance(v, list | tuple):
                        rec[k] = "; ".join(map(str, v))
                    elif isinstance(v, dict):
                        rec.update({f"{k}_{kk}": vv for kk, vv in v.items()})
                    else:
                        rec[k] = v
                out.append(rec)
            return pd.DataFrame(out)

        item_total = [{"domain": c["domain"], **it} for c in self.consistency for it in c["items"]]
        return {
            "scores": flat(self.scores),
            "items": flat(self.items),
            "consistency": flat(self.consistency, drop=("items",)),
            "item_total": pd.DataFrame(item_total),
            "spread": flat(self.spread),
        }

    def table_rows(
        self, code: Callable[[str], str] = str, *, reasons: bool = False
    ) -> list[_Table]:
        """The report's four tables as plain text cells, shared by the terminal and Markdown
        views: scores, item agreement, internal consistency and item spread. ``code`` marks
        up ids (e.g. as Markdown code); ``reasons`` adds why an undefined value is undefined."""
        d = self.design

        def est(e: dict[str, Any]) -> str:
            return _fmt_est(e, reasons=reasons)

        levels = sorted({k for row in self.spread for k in row["shares"]}, key=float)
        return [
            _Table(
                "scores",
                ["score", "n", d["icc_form"], "interval alpha", "flags"],
                [
                    [
                        code(r["target"]),
                        str(r["icc"]["n_subjects"]),
                        est(r["icc"]),
                        est(r["alpha_interval"]),
                        ", ".join(r["flags"]),
                    ]
                    for r in self.scores
                ],
            ),
            _Table(
                "items",
                ["item", "n", "exact", "±1", "AC2 (quadratic)", "ordinal alpha", "NA≠", "flags"],
                [
                    [
                        code(r["item"]),
                        str(r["n_pairable"]),
                        _fmt_num(r["exact"]["value"]),
                        _fmt_num(r["within_one"]["value"]),
                        est(r["ac2"]),
                        _fmt_num(r["alpha_ordinal"]["value"]),
                        str(r["na_disagreements"]),
                        ", ".join(r["flags"]),
                    ]
                    for r in self.items
                ],
            ),
            _Table(
                "consistency",
                [
                    "domain",
                    "n",
                    "Cronbach's alpha",
                    "standardized",
                    "items with r(item, rest) < 0.30",
                    "flags",
                ],
                [
                    [
                        code(r["domain"]),
                        str(r["alpha"]["n_subjects"]),
                        est(r["alpha"]),
                        _fmt_num(r["standardized_alpha"]),
                        ", ".join(
                            f"{code(it['item'])} ({_fmt_num(it['r_item_total'])})"
                            for it in r["items"]
                            if it["low_item_total"]
                        )
                        or "—",
                        ", ".join(r["flags"]),
                    ]
                    for r in self.consistency
                ],
            ),
            _Table(
                "spread",
                ["item", "n", *levels, "NA", "flags"],
                [
                    [
                        code(r["item"]),
                        str(r["n_answered"]),
                        *[_fmt_num(r["shares"].get(lv)) for lv in levels],
                        str(r["n_na"]),
                        ", ".join(r["flags"]),
                    ]
                    for r in self.spread
                ],
            ),
        ]

    def render(self, console: Console) -> None:
        """Readable terminal tables."""
        from rich.table import Table

        p, d = self.provenance, self.design
        console.print(
            f"[bold]Reliability report[/bold] {p['instrument']}: {p['n_sheets']} sheets, "
            f"{p['n_assessments']} assessments, {d['n_double_rated']} double-rated"
        )
        console.print(f"Design: {d['kind']} — {d['reason']}", markup=False)
        for table in self.table_rows():
            t = Table(title=_TERMINAL_TITLES[table.key], title_justify="left")
            for col in table.header:
                t.add_column(col)
            for row in table.rows:
                t.add_row(*row)
            console.print(t)


_TERMINAL_TITLES = {
    "scores": "Scores: inter-rater reliability",
    "items": "Items: agreement on double-rated assessments",
    "consistency": "Domains: internal consistency",
    "spread": "Items: spread over the scale",
}


@dataclass(frozen=True)
class _Table:
    key: str
    header: list[str]
    rows: list[list[str]]


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
) -> tuple[NDArray[np.intp], list[str], str, list[str]]:
    """Double-rated assessments × rater slots of sheet indices (-1 = none), the assessment
    ids, the design kind and the rater columns (rater ids when crossed)."""
    rows: dict[str, list[tuple[str, int]]] = {}
    for s in np.flatnonzero(~consensus):
        rows.setdefault(str(assessment[s]), []).append((str(rater[s]), int(s)))
    double = {a: sorted(v) for a, v in rows.items() if len(v) >= 2}
    ids = sorted(double)
    rater_sets = {tuple(r for r, _ in v) for v in double.values()}
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


def _gather(values: NDArray[np.float64], idx: NDArray[np.intp]) -> NDArray[np.float64]:
    out = values[np.where(idx >= 0, idx, 0)]
    out[idx < 0] = np.nan
    return np.asarray(out, dtype=np.float64)


def reliability_report(
    inst: Instrument,
    sheets: Any,
    *,
    confidence: float = 0.95,
    n_bootstrap: int = 1000,
    seed: int = 20240601,
) -> ReliabilityReport:
    """Inter-rater reliability, internal consistency and item spread of an audit.

    ``sheets`` is anything :func:`fidelity.validate` accepts. Invalid sheets raise
    :class:`~fidelity.ratings.SheetsInvalidError` listing every problem. Bootstrap intervals
    (Krippendorff's alpha) resample assessments, ``n_bootstrap`` times, seeded by ``seed``.
    See the module docstring for every convention.
    """
    from fidelity import __version__
    from fidelity.ratings import (
        ANSWERED,
        NA,
        SheetsInvalidError,
        as_batch,
        check_sheets,
        compile_instrument,
    )
    from fidelity.scoring import score_values
    from fidelity.stats.agreement import gwet_ac, percent_agreement
    from fidelity.stats.consistency import cronbach_alpha, item_spread
    from fidelity.stats.icc import icc
    from fidelity.stats.krippendorff import krippendorff_alpha

    batch = as_batch(sheets)
    checked = check_sheets(inst, batch)
    if not checked.problems.ok:
        raise SheetsInvalidError(checked.problems)
    c = compile_instrument(inst)
    values = checked.values
    domains, overall = score_values(c, values)

    idx, ids, kind, cols = _pair_index(checked.assessment, checked.rater, checked.consensus)
    form = "ICC(2,1)" if kind == "crossed" else "ICC(1,1)"
    if kind == "crossed":
        reason = (
            f"the same raters ({', '.join(cols)}) rated every double-rated assessment, so "
            "raters are crossed with assessments: two-way random effects, absolute "
            "agreement, single rater (ICC(A,1))"
        )
    else:
        reason = (
            "different raters rated different assessments, so raters are nested in "
            "assessments: one-way random effects, single rater, unbalanced estimator"
        )
    n_assessments = len({str(a) for a in checked.assessment})

    # -- scores ---------------------------------------------------------------------------
    targets = [(d, domains[:, j]) for j, d in enumerate(c.domain_ids)] + [("overall", overall)]
    score_rows = []
    for name, col in targets:
        x = _gather(col, idx)
        incomplete = int(np.isnan(x).any(axis=1).sum()) if x.size else 0
        x_icc = x[~np.isnan(x).any(axis=1)] if kind == "crossed" else x
        e_icc = icc(x_icc, form=form, confidence=confidence)
        e_alpha = krippendorff_alpha(
            x, level="interval", bootstrap=n_bootstrap, confidence=confidence, seed=seed
        )
        flags = []
        if _below(e_icc, ICC_GOOD):
            flags.append("icc")
        if _below(e_alpha, KRIPPENDORFF_TENTATIVE):
            flags.append("krippendorff")
        score_rows.append(
            {
                "target": name,
                "icc": _est(e_icc),
                "n_incomplete": incomplete if kind == "crossed" else 0,
                "alpha_interval": _est(e_alpha),
                "flags": flags,
            }
        )

    # -- items: agreement -------------------------------------------------------------------
    state = checked.state
    item_rows = []
    for j, item in enumerate(inst.items):
        cats = sorted(c.levels[j])
        x = _gather(values[:, j], idx)
        st = np.where(idx >= 0, state[np.where(idx >= 0, idx, 0), j], -1)
        has_na = (st == NA).any(axis=1)
        has_level = (st == ANSWERED).any(axis=1)
        exact = percent_agreement(x, within=0, categories=cats, confidence=confidence)
        within = percent_agreement(x, within=1, categories=cats, confidence=confidence)
        ac2 = gwet_ac(x, weights="quadratic", categories=cats, confidence=confidence)
        alpha = krippendorff_alpha(x, level="ordinal")
        flags = []
        if _below(ac2, AC2_SUBSTANTIAL):
            flags.append("ac2")
        if _below(alpha, KRIPPENDORFF_TENTATIVE):
            flags.append("krippendorff")
        item_rows.append(
            {
                "item": item.id,
                "domain": item.domain,
                "n_pairable": int(((~np.isnan(x)).sum(axis=1) >= 2).sum()),
                "exact": _est(exact),
                "within_one": _est(within),
                "ac2": _est(ac2),
                "alpha_ordinal": _est(alpha),
                "na_disagreements": int((has_na & has_level).sum()),
                "flags": flags,
            }
        )

    # -- internal consistency and spread, one sheet per assessment ---------------------------
    one = _select_one_per_assessment(checked.assessment, checked.rater, checked.consensus)
    chosen = values[one]
    scored = np.where(c.reverse[None, :], (c.hi + c.lo)[None, :] - chosen, chosen)
    consistency_rows = []
    item_total_low: set[str] = set()
    for d, members in zip(c.domain_ids, c.domain_items, strict=True):
        block = scored[:, members]
        names = [c.item_ids[j] for j in members]
        e = cronbach_alpha(block, missing="pairwise", confidence=confidence)
        det = dict(e.details)
        r_it = list(det.get("corrected_item_total_r", [math.nan] * len(names)))
        if_deleted = list(det.get("alpha_if_item_deleted", [math.nan] * len(names)))
        items = []
        for k, name in enumerate(names):
            r = r_it[k] if k < len(r_it) else math.nan
            low = r is not None and not math.isnan(r) and r < 0.30
            if low:
                item_total_low.add(name)
            items.append(
                {
                    "item": name,
                    "r_item_total": None if r is None or math.isnan(r) else float(r),
                    "alpha_if_deleted": _none_nan(if_deleted[k] if k < len(if_deleted) else None),
                    "low_item_total": low,
                }
            )
        flags = ["cronbach"] if _below(e, CRONBACH_ACCEPTABLE) else []
        if any(it["low_item_total"] for it in items):
            flags.append("item_total")
        consistency_rows.append(
            {
                "domain": d,
                "alpha": _est(e),
                "standardized_alpha": _none_nan(det.get("standardized_alpha")),
                "missing": "pairwise",
                "items": items,
                "flags": flags,
            }
        )

    spread_rows = []
    for j, item in enumerate(inst.items):
        scale = inst.scale_of(item)
        (sp,) = item_spread(chosen[:, [j]], levels=list(scale.values))
        flags = []
        if sp.floor_share > 0.15 or sp.ceiling_share > 0.15:
            flags.append("floor_ceiling")
        if sp.unused_levels:
            flags.append("unused_levels")
        if item.id in item_total_low:
            flags.append("item_total")
        n_na = int((state[one, j] == NA).sum())
        spread_rows.append(
            {
                "item": item.id,
                "domain": item.domain,
                "n_answered": sp.n_answered,
                "n_na": n_na,
                "shares": {str(int(k)): v for k, v in sp.shares.items()},
                "floor": sp.floor_share,
                "ceiling": sp.ceiling_share,
                "unused_levels": [int(v) for v in sp.unused_levels],
                "flags": flags,
            }
        )

    provenance = {
        "instrument": inst.spec,
        "content_hash": inst.content_hash,
        "fidelity_version": __version__,
        "generated_at": utc_timestamp(),
        "n_sheets": int(values.shape[0]),
        "n_assessments": n_assessments,
        "confidence": confidence,
        "n_bootstrap": n_bootstrap,
        "seed": seed,
    }
    design = {
        "kind": kind,
        "raters": cols,
        "icc_form": form,
        "reason": reason,
        "n_double_rated": len(ids),
        "consistency_sheets": "one per assessment: the consensus sheet, else the first rater's",
    }
    return ReliabilityReport(
        provenance, design, item_rows, score_rows, consistency_rows, spread_rows
    )


def _none_nan(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _fmt_num(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}"


def _fmt_est(e: dict[str, Any], *, reasons: bool = False) -> str:
    if e["value"] is None:
        return f"— ({e['reason']})" if reasons and e.get("reason") else "—"
    ci = e.get("ci")
    return _fmt_num(e["value"]) + (f" [{_fmt_num(ci[0])}, {_fmt_num(ci[1])}]" if ci else "")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*out, ""]


def audit_report_markdown(inst: Instrument, result: Any, report: ReliabilityReport) -> str:
    """A self-contained Markdown audit report: provenance, fidelity per site, and the
    reliability, consistency and spread tables with the criteria behind every flag.

    ``result`` is the :class:`~fidelity.scoring.ScoreResult` of the same sheets that
    ``report`` was made from."""
    p, d = report.provenance, report.design
    domains = {dom.id: dom.name for dom in inst.domains}
    lines = [
        f"# Fidelity audit report: {inst.title}",
        "",
        f"Instrument `{inst.spec}` (content hash `{inst.content_hash}`), scored with fidelity "
        f"{p['fidelity_version']} at {result.provenance['scored_at']}. "
        f"{p['n_sheets']} rating sheets, {p['n_assessments']} assessments, "
        f"{d['n_double_rated']} double-rated.",
        "",
        "Domains: " + "; ".join(f"`{k}` {v}" for k, v in domains.items()) + ".",
        "",
        "## Fidelity per site",
        "",
        "Each domain is the mean of the site's interview scores; the overall score follows "
        f"the instrument's rule ({inst.scoring.overall.replace('_', ' ')}) on those domains.",
        "",
    ]
    sites = result.site_scores()
    header = ["site", "n", *[f"`{c}`" for c in result.domain_ids], "overall", "band"]
    rows = [
        [
            str(r["site"]),
            str(int(r["n_assessments"])),
            *[_fmt_num(float(r[c])) for c in result.domain_ids],
            _fmt_num(float(r["overall"])),
            str(r["band"] or "—"),
        ]
        for _, r in sites.iterrows()
    ]
    lines += _md_table(header, rows)
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    counts = sites["band"].value_counts()
    lines += [
        "Bands: "
        + "; ".join(
            f"{b.label} [{b.lower:g}, {b.upper:g}{']' if k == len(bands) - 1 else ')'}: "
            f"{int(counts.get(b.id, 0))} site(s)"
            for k, b in enumerate(bands)
        )
        + ".",
        "",
    ]

    lines += [
        "## Inter-rater reliability of scores",
        "",
        f"Design: {d['kind']}. {d['reason'][0].upper()}{d['reason'][1:]}.",
        "",
    ]
    tables = {t.key: t for t in report.table_rows(code=lambda text: f"`{text}`", reasons=True)}
    lines += _md_table(tables["scores"].header, tables["scores"].rows)
    lines += [
        "## Agreement on items",
        "",
        "Exact and within-one-level agreement, Gwet's AC2 with quadratic weights over the "
        "full scale, and Krippendorff's ordinal alpha, on the double-rated assessments. "
        "NA≠ counts pairs where one rater answered NA and the other a level.",
        "",
    ]
    lines += _md_table(tables["items"].header, tables["items"].rows)
    lines += [
        "## Internal consistency",
        "",
        f"One sheet per assessment ({d['consistency_sheets']}); reverse-scored items "
        "turned round; pairwise deletion.",
        "",
    ]
    lines += _md_table(tables["consistency"].header, tables["consistency"].rows)
    lines += ["## Item spread", "", "Share of answers at each level of the scale.", ""]
    lines += _md_table(tables["spread"].header, tables["spread"].rows)
    lines += ["## Criteria behind the flags", ""]
    lines += [f"- **{k}**: {v}" for k, v in report.criteria.items()]
    lines.append("")
    return "\n".join(lines)
