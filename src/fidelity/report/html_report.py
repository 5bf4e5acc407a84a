"""The audit report as one self-contained HTML page for a steering committee: CSS and charts
inline (PNG data URIs), nothing loaded from the network, a print stylesheet for "print to
PDF", and every user-supplied text escaped.

Sections: summary, data quality, site scores, rounds (when sheets name audit rounds),
reliability, consistency and spread, instrument and provenance.
"""

from __future__ import annotations

import base64
import math
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from fidelity.report.charts import (
    Chart,
    bland_altman,
    domain_dots,
    forest,
    site_dots,
    spread_heatmap,
    trajectories,
)
from fidelity.report.gstudy import g_study_lines
from fidelity.report.rounds import measurement_error, site_errors
from fidelity.report.sections import (
    CHANGE_HEADER,
    ROUNDS_METHOD,
    WIDE_INTERVAL,
    RoundTables,
    change_rows,
    current_scores,
    instrument_caveats,
    provenance,
    quality_tables,
    round_tables,
    summary_lines,
)
from fidelity.report.tables import fmt_num
from fidelity.report.terminal import G_STUDY_TITLE, TITLES

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
    from fidelity.report.model import ReliabilityReport
    from fidelity.scoring import ScoreResult

__all__ = ["SECTIONS", "WIDE_INTERVAL", "audit_report_html", "report_charts", "site_charts"]

SECTIONS = (
    ("summary", "Summary"),
    ("data-quality", "Data quality"),
    ("sites", "Site scores"),
    ("rounds", "Rounds"),
    ("reliability", "Reliability"),
    ("consistency", "Consistency and spread"),
    ("instrument", "Instrument and provenance"),
)
"""The sections of the report, as (anchor, heading)."""


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.7rem}h2{border-bottom:2px solid #0072B2;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}td:first-child{white-space:nowrap}
.warn{background:#fff4e0;border-left:4px solid #E69F00;padding:.5rem .8rem}
.note{color:#444;font-size:.92rem}
.caveat{background:#eef5fb;border-left:4px solid #0072B2;padding:.5rem .8rem}
.prov{color:#555;font-size:.8rem;border-top:1px dotted #bbb;padding-top:.3rem}
figure{margin:1rem 0}figure img{max-width:100%}
figcaption{font-size:.85rem;color:#444}code{font-size:.9em}
@media print{body{max-width:none;margin:0}h2{break-after:avoid}
figure,table{break-inside:avoid}a{color:inherit;text-decoration:none}nav{display:none}}
"""


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(c)}</td>' if k in numeric else f"<td>{escape(c)}</td>"
            for k, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.alt)}" '
        f'data-chart="{escape(chart.name)}"><figcaption>{escape(chart.alt)}</figcaption>'
        "</figure>"
    )


def _section(anchor: str, body: str, source: str = "") -> str:
    title = dict(SECTIONS)[anchor]
    line = f'<p class="prov">{escape(source)}</p>' if source else ""
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}{line}</section>'


def _est(v: float, ci: tuple[float, float] | None) -> str:
    if math.isnan(v):
        return "—"
    return fmt_num(v) + (f" [{fmt_num(ci[0])}, {fmt_num(ci[1])}]" if ci else "")


def _wide(ci: tuple[float, float] | None) -> bool:
    return ci is None or ci[1] - ci[0] > WIDE_INTERVAL


def _summary(
    inst: Instrument, now: tuple[str | None, ScoreResult], report: ReliabilityReport
) -> str:
    return "".join(f"<p>{escape(x)}</p>" for x in summary_lines(inst, now, report))


_COUNTS = {"warnings", "sheets", "NA", "missing"}


def _quality(inst: Instrument, result: ScoreResult, report: ReliabilityReport) -> str:
    out = ""
    for caption, header, rows in quality_tables(inst, result, report):
        out += f"<p>{escape(caption)}</p>"
        if rows:
            numeric = {k for k, h in enumerate(header) if h in _COUNTS}
            out += _table(header, rows, numeric)
    return out


def _cutoffs(inst: Instrument) -> list[tuple[str, float]]:
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    return [(b.label, float(b.lower)) for b in bands[1:]]


def _scale(result: ScoreResult) -> tuple[float, float]:
    c = result._compiled
    return float(np.min(c.lo)), float(np.max(c.hi))


def site_charts(
    inst: Instrument, result: ScoreResult, now: ScoreResult, report: ReliabilityReport
) -> tuple[Chart, Chart]:
    """The site-scores chart (overall) and the domain panels of the sites of ``now`` (the
    current round), with intervals of rating error from the SEM of all of ``result``."""
    sites = now.site_scores()
    names = [str(s) for s in sites["site"]]
    error = measurement_error(result, report, confidence=report.provenance["confidence"])
    half = site_errors(now, error).reindex(names)
    overall = [float(v) for v in sites["overall"]]
    domains = {
        d: ([float(v) for v in sites[d]], [float(v) for v in half[d]]) for d in now.domain_ids
    }
    scale = _scale(result)
    return (
        site_dots(names, overall, _cutoffs(inst), scale, [float(v) for v in half["overall"]]),
        domain_dots(names, overall, domains, _cutoffs(inst), scale),
    )


def _sites(
    inst: Instrument,
    now: tuple[str | None, ScoreResult],
    full: ScoreResult,
    report: ReliabilityReport,
) -> str:
    label, result = now
    sites = result.site_scores()
    charts = site_charts(inst, full, result, report)
    header = ["site", "n", *result.domain_ids, "overall", "band"]
    rows = [
        [str(r["site"]), str(int(r["n_assessments"])),
         *[fmt_num(float(r[c])) for c in result.domain_ids],
         fmt_num(float(r["overall"])), str(r["band"] or "—")]
        for _, r in sites.iterrows()
    ]  # fmt: skip
    numeric = set(range(1, len(header) - 1))
    which = (
        f'<p class="note">Scores of round {escape(label)}, the latest; earlier rounds are in '
        "the rounds section.</p>"
        if label
        else ""
    )
    return which + _figure(charts[0]) + _figure(charts[1]) + _table(header, rows, numeric)


def _rounds(inst: Instrument, tables: RoundTables | None) -> str:
    if tables is None:
        return '<p class="note">The sheets name no audit round.</p>'
    chart = trajectories(
        list(tables.order), tables.series(), _cutoffs(inst), tables.changed_sites()
    )
    err_rows = [
        [str(r["score"]), fmt_num(r["icc"]), str(r["n"]), fmt_num(r["sd"]), fmt_num(r["sem"]),
         fmt_num(r["sdc"])]
        for _, r in tables.error.iterrows()
    ]  # fmt: skip
    head, by_round = tables.overall_by_round()
    return (
        _figure(chart)
        + "<h3>Overall score per site and round</h3>"
        + _table(head, by_round, set(range(1, len(head))))
        + f"<p>{escape(ROUNDS_METHOD)}</p>"
        + _table(["score", "ICC", "n", "SD", "SEM", "SDC"], err_rows, {1, 2, 3, 4, 5})
        + "<h3>Change between consecutive rounds, per site and score</h3>"
        + _table(CHANGE_HEADER, change_rows(tables), {3, 4})
    )


def _pairs(result: ScoreResult) -> tuple[list[float], list[float]]:
    """The overall scores of the first two raters (in rater order) of every double-rated
    assessment."""
    frame = result.to_pandas()
    frame = frame[~frame["consensus"]].sort_values("rater", kind="stable")
    keys = ["assessment", "round"] if "round" in frame else ["assessment"]
    first, second = [], []
    for _, group in frame.groupby(keys, sort=False, dropna=False):
        if len(group) >= 2:
            first.append(float(group["overall"].iloc[0]))
            second.append(float(group["overall"].iloc[1]))
    return first, second


_EXPLAIN = (
    "Which ICC: {why} The ICC of a single rater is reported because each interview's score "
    "comes from one rater.",
    "Why some scores rest on fewer interviews: a domain or overall score exists only where "
    "enough of its items were answered, and items not asked of an informant are left out, so "
    "the overall ICC uses only the double-rated interviews with an overall score from both "
    "raters.",
    "When Krippendorff's alpha and AC2 disagree: alpha compares disagreement with the spread "
    "of the answers; when most answers sit on one or two levels (high prevalence, restricted "
    "range) alpha falls even though raters mostly agree, while AC2 does not (Gwet 2008, "
    "doi:10.1348/000711006X126600). Read a low alpha with a high AC2 as a narrow spread, not "
    "as disagreement.",
)


def _reliability(inst: Instrument, result: ScoreResult, report: ReliabilityReport) -> str:
    rows = report.scores
    chart = forest(
        [r.target for r in rows],
        [(r.icc.value, *(r.icc.ci or (math.nan, math.nan))) for r in rows],
    )
    first, second = _pairs(result)
    warnings = [
        f"{r.target}: {report.design.icc_form} {_est(r.icc.value, r.icc.ci)} from "
        f"{r.icc.n_subjects} interviews: the interval is too wide to support a conclusion."
        for r in rows
        if _wide(r.icc.ci) and not math.isnan(r.icc.value)
    ]
    text = {it.id: it.text for it in inst.items}
    items = [
        [r.item, text.get(r.item, ""), str(r.n_pairable), fmt_num(r.exact.value),
         _est(r.ac2.value, r.ac2.ci), fmt_num(r.alpha_ordinal.value), ", ".join(r.flags)]
        for r in report.items
    ]  # fmt: skip
    body = _figure(chart) + _figure(bland_altman(first, second))
    body += "".join(f'<p class="warn">{escape(w)}</p>' for w in warnings)
    body += "".join(
        f'<p class="note">{escape(x.format(why=report.design.reason + "."))}</p>' for x in _EXPLAIN
    )
    header = ["item", "text", "n", "exact", "AC2 [CI]", "ordinal alpha", "flags"]
    if report.g_study is not None:
        body += f"<h3>{escape(G_STUDY_TITLE)}</h3>" + "".join(
            f'<p class="note">{escape(line)}</p>' for line in g_study_lines(report.g_study)
        )
    return body + f"<h3>{escape(TITLES['items'])}</h3>" + _table(header, items, {2, 3, 5})


def spread_chart(inst: Instrument, report: ReliabilityReport) -> Chart:
    """The item × level heatmap of the spread table."""
    levels = sorted({v for it in inst.items for v in inst.scale_of(it).values})
    shares = [{int(k): float(v) for k, v in r.shares.items()} for r in report.spread]
    return spread_heatmap([r.item for r in report.spread], levels, shares)


def _consistency(inst: Instrument, report: ReliabilityReport) -> str:
    tables = {t.key: t for t in report.table_rows(reasons=True)}
    out = _figure(spread_chart(inst, report))
    for key in ("consistency", "spread"):
        t = tables[key]
        out += f"<h3>{escape(TITLES[key])}</h3>" + _table(t.header, t.rows)
    return out


def _instrument(inst: Instrument, result: ScoreResult, report: ReliabilityReport) -> str:
    p = report.provenance
    facts = [
        ["instrument", f"{inst.spec} — {inst.title}"],
        ["status", inst.status],
        ["content hash (sha256)", inst.content_hash],
        ["fidelity version", str(p["fidelity_version"])],
        ["scored at", str(result.provenance["scored_at"])],
        ["report generated at", str(p["generated_at"])],
        ["confidence level", str(p["confidence"])],
        ["bootstrap", f"{p['n_bootstrap']} resamples, seed {p['seed']}"],
    ]
    caveats = [inst.description, *instrument_caveats(inst)]
    criteria = "".join(
        f"<li><b>{escape(k)}</b>: {escape(v)}</li>" for k, v in report.criteria.items()
    )
    return (
        _table(["", ""], facts)
        + "".join(f'<p class="note">{escape(c)}</p>' for c in caveats)
        + f"<h3>Criteria behind the flags</h3><ul>{criteria}</ul>"
        + '<p class="note">Every number comes from the sheets read, with the instrument '
        "version and hash above; scores follow the instrument's scoring rules.</p>"
    )


def audit_report_html(
    inst: Instrument,
    result: ScoreResult,
    report: ReliabilityReport,
    *,
    rounds: Any = None,
) -> str:
    """The audit report as one self-contained HTML document.

    ``result`` and ``report`` come from the same sheets (:func:`~fidelity.scoring.score`,
    :func:`~fidelity.report.reliability_report`); ``rounds`` orders the audit rounds (see
    :func:`~fidelity.report.rounds.round_order`)."""
    now = current_scores(result, rounds)
    bodies = {
        "summary": _summary(inst, now, report),
        "data-quality": _quality(inst, result, report),
        "sites": _sites(inst, now, result, report),
        "rounds": _rounds(inst, round_tables(result, report, rounds)),
        "reliability": _reliability(inst, result, report),
        "consistency": _consistency(inst, report),
        "instrument": _instrument(inst, result, report),
    }
    sources = provenance(inst, result, report, now)
    caveat = "".join(f"<p>{escape(c)}</p>" for c in instrument_caveats(inst))
    nav = " · ".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in SECTIONS)
    title = f"Fidelity audit report: {inst.title}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="note">{escape(inst.spec)}</p><nav>{nav}</nav>'
        f'<div class="caveat" role="note" id="caveats">{caveat}</div>'
        + "".join(_section(a, bodies[a], sources[a]) for a, _ in SECTIONS)
        + "</body></html>\n"
    )


def report_charts(
    inst: Instrument, result: ScoreResult, report: ReliabilityReport, *, rounds: Any = None
) -> dict[str, Chart]:
    """The report's charts by section anchor (site scores of the current round, trajectories
    when there are rounds, ICC forest and Bland–Altman, item spread), for a Markdown
    report's SVG files."""
    _label, now = current_scores(result, rounds)
    dots, panels = site_charts(inst, result, now, report)
    rows = report.scores
    icc = forest(
        [r.target for r in rows],
        [(r.icc.value, *(r.icc.ci or (math.nan, math.nan))) for r in rows],
    )
    out = {"sites": dots, "site-domains": panels, "reliability": icc}
    out["bland-altman"] = bland_altman(*_pairs(result))
    tables = round_tables(result, report, rounds)
    if tables is not None:
        out["rounds"] = trajectories(
            list(tables.order), tables.series(), _cutoffs(inst), tables.changed_sites()
        )
    out["consistency"] = spread_chart(inst, report)
    return out
