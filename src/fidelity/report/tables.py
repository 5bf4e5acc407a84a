"""The reliability report's four tables as text cells (shared by the terminal and Markdown
views), as flat pandas tables, and its one-paragraph summary."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from fidelity.report.model import ReliabilityReport
    from fidelity.stats.estimate import Estimate

__all__ = ["TextTable", "fmt_est", "fmt_num", "frames", "summary", "text_tables"]


@dataclass(frozen=True)
class TextTable:
    """One table as text: its key (scores, items, consistency, spread), header and rows."""

    key: str
    header: list[str]
    rows: list[list[str]]


def fmt_num(v: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals; a dash for a missing or undefined one."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.{digits}f}"


def fmt_est(e: Estimate, *, reasons: bool = False) -> str:
    """Value and interval, e.g. ``0.76 [0.53, 0.89]``; a dash (and why) when undefined."""
    if math.isnan(e.value):
        return f"— ({e.reason})" if reasons and e.reason else "—"
    ci = e.ci
    return fmt_num(e.value) + (f" [{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else "")


def _scores_table(
    report: ReliabilityReport, code: Callable[[str], str], reasons: bool
) -> TextTable:
    header = ["score", "n", report.design.icc_form, "interval alpha", "flags"]
    rows = [
        [
            code(r.target),
            str(r.icc.n_subjects),
            fmt_est(r.icc, reasons=reasons),
            fmt_est(r.alpha_interval, reasons=reasons),
            ", ".join(r.flags),
        ]
        for r in report.scores
    ]
    return TextTable("scores", header, rows)


def _items_table(report: ReliabilityReport, code: Callable[[str], str], reasons: bool) -> TextTable:
    header = ["item", "n", "exact", "±1", "AC2 (quadratic)", "ordinal alpha", "NA≠", "flags"]
    rows = [
        [
            code(r.item),
            str(r.n_pairable),
            fmt_num(r.exact.value),
            fmt_num(r.within_one.value),
            fmt_est(r.ac2, reasons=reasons),
            fmt_num(r.alpha_ordinal.value),
            str(r.na_disagreements),
            ", ".join(r.flags),
        ]
        for r in report.items
    ]
    return TextTable("items", header, rows)


def _consistency_table(
    report: ReliabilityReport, code: Callable[[str], str], reasons: bool
) -> TextTable:
    header = [
        "domain",
        "n",
        "Cronbach's alpha",
        "standardized",
        "omega (total)",
        "ordinal alpha (polychoric)",
        "items with r(item, rest) < 0.30",
        "flags",
    ]
    rows = [
        [
            code(r.domain),
            str(r.alpha.n_subjects),
            fmt_est(r.alpha, reasons=reasons),
            fmt_num(r.standardized_alpha),
            fmt_est(r.omega, reasons=reasons),
            fmt_est(r.ordinal_alpha, reasons=reasons),
            ", ".join(
                f"{code(it.item)} ({fmt_num(it.r_item_total)})"
                for it in r.items
                if it.low_item_total
            )
            or "—",
            ", ".join(r.flags),
        ]
        for r in report.consistency
    ]
    return TextTable("consistency", header, rows)


def _spread_table(report: ReliabilityReport, code: Callable[[str], str]) -> TextTable:
    levels = sorted({k for row in report.spread for k in row.shares}, key=float)
    rows = [
        [
            code(r.item),
            str(r.n_answered),
            *[fmt_num(r.shares.get(lv)) for lv in levels],
            str(r.n_na),
            ", ".join(r.flags),
        ]
        for r in report.spread
    ]
    return TextTable("spread", ["item", "n", *levels, "NA", "flags"], rows)


def text_tables(
    report: ReliabilityReport, code: Callable[[str], str] = str, *, reasons: bool = False
) -> list[TextTable]:
    """Scores, item agreement, internal consistency and item spread as text cells; ``code``
    marks up ids, ``reasons`` adds why an undefined value is undefined."""
    return [
        _scores_table(report, code, reasons),
        _items_table(report, code, reasons),
        _consistency_table(report, code, reasons),
        _spread_table(report, code),
    ]


def _flat(rows: Sequence[dict[str, Any]], drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """JSON rows as flat records: an estimate becomes value, _low and _high columns, a list
    one ``;``-joined cell, a mapping one column per key."""
    import pandas as pd

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


def frames(report: ReliabilityReport) -> dict[str, pd.DataFrame]:
    """Flat tables: ``scores``, ``items``, ``consistency``, ``item_total`` and ``spread``."""
    import pandas as pd

    consistency = [r.to_dict() for r in report.consistency]
    item_total = [{"domain": c["domain"], **it} for c in consistency for it in c["items"]]
    return {
        "scores": _flat([r.to_dict() for r in report.scores]),
        "items": _flat([r.to_dict() for r in report.items]),
        "consistency": _flat(consistency, drop=("items",)),
        "item_total": pd.DataFrame(item_total),
        "spread": _flat([r.to_dict() for r in report.spread]),
    }


def _flagged(rows: Sequence[Any]) -> int:
    return sum(1 for r in rows if r.flags)


def summary(report: ReliabilityReport) -> str:
    """A few lines: what was analysed, the design, and how many rows of each table are
    flagged."""
    p, d = report.provenance, report.design
    return (
        f"ReliabilityReport({p.get('instrument')}: {p.get('n_sheets')} sheets, "
        f"{p.get('n_assessments')} assessments, {d.n_double_rated} double-rated; "
        f"{d.kind} design, {d.icc_form};\n"
        f"  flagged: {_flagged(report.scores)} of {len(report.scores)} scores, "
        f"{_flagged(report.items)} of {len(report.items)} items (agreement), "
        f"{_flagged(report.consistency)} of {len(report.consistency)} domains (consistency), "
        f"{_flagged(report.spread)} of {len(report.spread)} items (spread))"
    )
