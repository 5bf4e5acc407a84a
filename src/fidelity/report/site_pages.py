"""Per-site feedback: one page per site that a service can be handed (HTML, and Markdown
beside it). Each page shows the site's domain profile against the other sites and the band
cut-offs, its strongest and weakest domains and items, its change since the previous round,
and for its weakest items the anchor of the next level up: what better practice looks like,
in the instrument's own words.

Item means are on the score scale (reverse-scored items turned round), over the site's
sheets (every rater's, consensus sheets included). With audit rounds, the profile, domains and
items are those of the latest round. Each page opens with the instrument's own caveats
(status, whether it is validated) and ends with where its numbers come from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from fidelity._util.text import md_text
from fidelity.report.charts import Chart, site_profile
from fidelity.report.html_report import _CSS, _figure, _table
from fidelity.report.rounds import measurement_error, round_changes, site_round_scores
from fidelity.report.sections import current_scores, instrument_caveats
from fidelity.report.tables import fmt_num

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
    from fidelity.ratings.checks import CheckedSheets
    from fidelity.report.model import ReliabilityReport
    from fidelity.scoring import ScoreResult

__all__ = ["N_ITEMS", "SitePage", "site_pages"]

N_ITEMS = 3
"""How many strongest and weakest items a page names."""


@dataclass(frozen=True)
class SitePage:
    """One site's feedback page: file stem, HTML, Markdown and its chart."""

    stem: str
    html: str
    markdown: str
    chart: Chart


def _stem(site: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", site).strip("-.") or "site"
    stem, k = base, 2
    while stem.lower() in taken:
        stem, k = f"{base}-{k}", k + 1
    taken.add(stem.lower())
    return stem


def _item_means(
    inst: Instrument, checked: CheckedSheets, label: str | None
) -> dict[str, dict[str, float]]:
    """Per site, per item: the mean item score over the site's sheets of round ``label``
    (all sheets when ``None``), NaN when unanswered."""
    keep = np.array([label is None or r == label for r in checked.round.tolist()], dtype=bool)
    values = np.array(checked.values, dtype=float)[keep]
    lo = np.array([inst.scale_of(it).min for it in inst.items], dtype=float)
    hi = np.array([inst.scale_of(it).max for it in inst.items], dtype=float)
    rev = np.array([it.reverse for it in inst.items])
    scored = np.where(rev[None, :], lo + hi - values, values)
    sites = np.array([str(s) if s is not None else "(no site)" for s in checked.site[keep]])
    out: dict[str, dict[str, float]] = {}
    for site in np.unique(sites).tolist():
        block = scored[sites == site]
        answered = (~np.isnan(block)).sum(axis=0)
        totals = np.nansum(block, axis=0)
        means = np.where(answered > 0, totals / np.maximum(answered, 1), np.nan)
        out[site] = {it.id: float(m) for it, m in zip(inst.items, means, strict=True)}
    return out


def _next_anchor(inst: Instrument, item_id: str, mean: float) -> str:
    """The anchor of the level just above ``mean`` on the score scale."""
    item = next(it for it in inst.items if it.id == item_id)
    levels = sorted(item.anchors)
    lo, hi = min(levels), max(levels)
    raw = lo + hi - mean if item.reverse else mean
    if item.reverse:
        better = [v for v in levels if v < raw - 1e-9]
        return item.anchors[max(better)] if better else ""
    better = [v for v in levels if v > raw + 1e-9]
    return item.anchors[min(better)] if better else ""


def _facts(
    inst: Instrument, site: str, scores: Any, means: dict[str, float]
) -> dict[str, list[list[str]]]:
    row = scores[scores["site"] == site].iloc[0]
    doms = sorted(
        ((d, float(row[d])) for d in scores.columns if d in {x.id for x in inst.domains}),
        key=lambda p: (math.isnan(p[1]), -p[1]),
    )
    doms = [d for d in doms if not math.isnan(d[1])]
    text = {it.id: it.text for it in inst.items}
    items = sorted(((i, m) for i, m in means.items() if not math.isnan(m)), key=lambda p: -p[1])
    weakest = items[::-1][:N_ITEMS]
    return {
        "strongest domains": [[d, fmt_num(v)] for d, v in doms[:2]],
        "weakest domains": [[d, fmt_num(v)] for d, v in doms[::-1][:2]],
        "strongest items": [[i, text[i], fmt_num(m)] for i, m in items[:N_ITEMS]],
        "weakest items": [
            [i, text[i], fmt_num(m), _next_anchor(inst, i, m) or "(top level)"] for i, m in weakest
        ],
    }


_HEADERS = {
    "strongest domains": ["domain", "score"],
    "weakest domains": ["domain", "score"],
    "strongest items": ["item", "text", "mean"],
    "weakest items": ["item", "text", "mean", "what the next level up looks like"],
}


def _changes(result: ScoreResult, report: ReliabilityReport | None, rounds: Any) -> Any:
    if result.round is None or report is None:
        return None
    per = site_round_scores(result, rounds)
    return round_changes(per, measurement_error(result, report))


def _page(
    site: str, chart: Chart, facts: dict[str, list[list[str]]], changes: Any, notes: _Notes
) -> str:
    caveats = "".join(f"<p>{escape(c)}</p>" for c in notes.caveats)
    body = f'<div class="caveat" role="note">{caveats}</div>'
    body += f'<p class="note">{escape(notes.which)}</p>' + _figure(chart)
    for key, rows in facts.items():
        body += f"<h2>{escape(key.capitalize())}</h2>" + _table(_HEADERS[key], rows)
    if changes is not None:
        mine = changes[changes["site"] == site].groupby("score").tail(1)
        rows = [
            [str(r["score"]), f"{r['from']} → {r['to']}", fmt_num(r["change"]), r["verdict"]]
            for _, r in mine.iterrows()
        ]
        body += "<h2>Change since the previous round</h2>"
        body += _table(["score", "rounds", "change", "verdict"], rows)
    body += f'<p class="prov">{escape(notes.source)}</p>'
    title = f"Fidelity feedback: {site}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}</body></html>\n"
    )


@dataclass(frozen=True)
class _Notes:
    """What every page of one audit says: the instrument's caveats, which round the scores
    are of, and where the numbers come from."""

    caveats: list[str]
    which: str
    source: str

    @classmethod
    def of(cls, inst: Instrument, label: str | None, n_sheets: int) -> _Notes:
        which = f"Scores of round {label}, the latest." if label else "Scores of all sheets."
        source = (
            f"Sources: {n_sheets} sheets{f' of round {label}' if label else ''}; domain and "
            "overall scores as in the audit report, item means over the site's sheets on the "
            f"score scale; anchors from the instrument. Instrument {inst.spec}, content hash "
            f"{inst.content_hash[:12]}…."
        )
        return cls(instrument_caveats(inst), which, source)


def _markdown(site: str, chart_file: str, facts: dict[str, list[list[str]]], notes: _Notes) -> str:
    lines = [f"# Fidelity feedback: {md_text(site)}", ""]
    lines += [*(f"> {md_text(c)}\n>" for c in notes.caveats), "", md_text(notes.which), ""]
    lines += [f"![{md_text(site)}: domain profile]({chart_file})", ""]
    for key, rows in facts.items():
        lines += [f"## {key.capitalize()}", "", "| " + " | ".join(_HEADERS[key]) + " |"]
        lines.append("|" + "---|" * len(_HEADERS[key]))
        lines += ["| " + " | ".join(md_text(c) for c in r) + " |" for r in rows]
        lines.append("")
    return "\n".join([*lines, f"*{md_text(notes.source)}*", ""])


def site_pages(
    inst: Instrument,
    result: ScoreResult,
    checked: CheckedSheets,
    report: ReliabilityReport | None = None,
    *,
    rounds: Any = None,
) -> list[SitePage]:
    """One :class:`SitePage` per site of ``result`` (sheets checked as ``checked``); with
    ``report`` and audit rounds, the change since the previous round."""
    label, now = current_scores(result, rounds)
    scores = now.site_scores()
    means = _item_means(inst, checked, label)
    notes = _Notes.of(inst, label, len(now))
    changes = _changes(result, report, rounds)
    domain_ids = list(result.domain_ids)
    cutoffs = [(b.label, float(b.lower)) for b in sorted(inst.scoring.bands, key=lambda b: b.lower)]
    taken: set[str] = set()
    pages = []
    for _, row in scores.iterrows():
        site = str(row["site"])
        others = scores[scores["site"] != site]
        chart = site_profile(
            site,
            domain_ids,
            [float(row[d]) for d in domain_ids],
            [float(others[d].median()) if len(others) else math.nan for d in domain_ids],
            cutoffs[1:],
        )
        facts = _facts(inst, site, scores, means.get(site, {}))
        stem = _stem(site, taken)
        chart.svg  # noqa: B018 drawn now, so that the page does not keep its figure
        pages.append(
            SitePage(
                stem,
                _page(site, chart, facts, changes, notes),
                _markdown(site, f"{stem}.svg", facts, notes),
                chart,
            )
        )
    return pages
