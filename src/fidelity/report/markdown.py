"""The Markdown audit report: the instrument's caveats, fidelity per site (of the latest
round), the rounds with their changes, and the reliability, consistency and spread tables
with the criteria behind every flag; each section ends with its provenance line, and its
charts are SVG files beside the report (see :mod:`~fidelity.report.sections`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fidelity._util.text import md_text
from fidelity.report.gstudy import g_study_lines
from fidelity.report.sections import (
    CHANGE_HEADER,
    ROUNDS_METHOD,
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
from fidelity.report.terminal import G_STUDY_TITLE

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
    from fidelity.report.charts import Chart
    from fidelity.report.model import ReliabilityReport

__all__ = ["audit_report_markdown"]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*out, ""]


def _heading(inst: Instrument, result: Any, report: ReliabilityReport) -> list[str]:
    p, d = report.provenance, report.design
    domains = {dom.id: dom.name for dom in inst.domains}
    return [
        f"# Fidelity audit report: {inst.title}",
        "",
        f"Instrument `{inst.spec}` (content hash `{inst.content_hash}`), scored with fidelity "
        f"{p['fidelity_version']} at {result.provenance['scored_at']}. "
        f"{p['n_sheets']} rating sheets, {p['n_assessments']} assessments, "
        f"{d.n_double_rated} double-rated.",
        "",
        "Domains: " + "; ".join(f"`{k}` {v}" for k, v in domains.items()) + ".",
        "",
        *(f"> {md_text(c)}" + "\n>" for c in instrument_caveats(inst)),
        "",
    ]


def _sites(inst: Instrument, now: tuple[str | None, Any]) -> list[str]:
    """Fidelity per site: the site scores table and how many sites fall in each band."""
    label, result = now
    which = f" Scores of round {md_text(label)}, the latest." if label else ""
    lines = [
        "## Fidelity per site",
        "",
        "Each domain is the mean of the site's interview scores; the overall score follows "
        f"the instrument's rule ({inst.scoring.overall.replace('_', ' ')}) on those domains."
        + which,
        "",
    ]
    sites = result.site_scores()
    header = ["site", "n", *[f"`{c}`" for c in result.domain_ids], "overall", "band"]
    rows = [
        [
            md_text(r["site"]),
            str(int(r["n_assessments"])),
            *[fmt_num(float(r[c])) for c in result.domain_ids],
            fmt_num(float(r["overall"])),
            md_text(r["band"] or "—"),
        ]
        for _, r in sites.iterrows()
    ]
    lines += _md_table(header, rows)
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    counts = sites["band"].value_counts()
    described = "; ".join(
        f"{b.label} [{b.lower:g}, {b.upper:g}{']' if k == len(bands) - 1 else ')'}: "
        f"{int(counts.get(b.id, 0))} site(s)"
        for k, b in enumerate(bands)
    )
    return [*lines, "Bands: " + described + ".", ""]


def _summary(inst: Instrument, now: Any, report: ReliabilityReport) -> list[str]:
    """The summary: one sentence each on sites, bands and reliability."""
    return ["## Summary", "", *(f"- {md_text(x)}" for x in summary_lines(inst, now, report)), ""]


def _quality(inst: Instrument, result: Any, report: ReliabilityReport) -> list[str]:
    """The data-quality tables, each under its caption."""
    lines = ["## Data quality", ""]
    for caption, header, rows in quality_tables(inst, result, report):
        lines += [md_text(caption), ""]
        if rows:
            lines += _md_table(header, [[md_text(c) for c in r] for r in rows])
    return lines


def _rounds(tables: RoundTables) -> list[str]:
    """The rounds: overall score per site and round, measurement error, changes."""
    head, by_round = tables.overall_by_round()
    lines = ["## Rounds", "", "Overall score per site and round.", ""]
    lines += _md_table(head, [[md_text(r[0]), *r[1:]] for r in by_round])
    error = [
        [f"`{r['score']}`", fmt_num(r["icc"]), str(r["n"]), fmt_num(r["sd"]),
         fmt_num(r["sem"]), fmt_num(r["sdc"])]
        for _, r in tables.error.iterrows()
    ]  # fmt: skip
    lines += [ROUNDS_METHOD, "", *_md_table(["score", "ICC", "n", "SD", "SEM", "SDC"], error)]
    changes = [[md_text(r[0]), f"`{r[1]}`", *r[2:]] for r in change_rows(tables)]
    lines += ["Change between consecutive rounds, per site and score.", ""]
    return lines + _md_table(CHANGE_HEADER, changes)


def _reliability(report: ReliabilityReport) -> list[str]:
    """The four report tables, each under its heading with the conventions it follows."""
    d = report.design
    tables = {t.key: t for t in report.table_rows(code=lambda text: f"`{text}`", reasons=True)}
    lines = [
        "## Inter-rater reliability of scores",
        "",
        f"Design: {d.kind}. {d.reason[0].upper()}{d.reason[1:]}.",
        "",
    ]
    lines += _md_table(tables["scores"].header, tables["scores"].rows)
    if report.g_study is not None:
        lines += [f"## {G_STUDY_TITLE}", ""]
        lines += [f"- {line.strip()}" for line in g_study_lines(report.g_study)] + [""]
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
        f"One sheet per assessment ({d.consistency_sheets}); reverse-scored items "
        "turned round; pairwise deletion. Omega (total) from a one-factor minres model "
        "(percentile bootstrap CI); ordinal alpha from polychoric correlations.",
        "",
    ]
    lines += _md_table(tables["consistency"].header, tables["consistency"].rows)
    lines += ["## Item spread", "", "Share of answers at each level of the scale.", ""]
    return lines + _md_table(tables["spread"].header, tables["spread"].rows)


def _image(charts: Mapping[str, Chart], key: str) -> list[str]:
    chart = charts.get(key)
    return [f"![{md_text(chart.alt)}]({chart.name}.svg)", ""] if chart is not None else []


def audit_report_markdown(
    inst: Instrument,
    result: Any,
    report: ReliabilityReport,
    *,
    rounds: Any = None,
    charts: Mapping[str, Chart] | None = None,
) -> str:
    """A self-contained Markdown audit report: the instrument's caveats, a summary, data
    quality, fidelity per site, the rounds (when sheets name them), and the reliability,
    consistency and spread tables with the criteria behind every flag, each section with its
    provenance line.

    ``result`` is the :class:`~fidelity.scoring.ScoreResult` of the same sheets that
    ``report`` was made from; ``rounds`` orders the audit rounds; ``charts`` (from
    :func:`~fidelity.report.html_report.report_charts`, keyed by section) are linked as
    ``<name>.svg`` files in their sections."""
    charts = charts or {}
    now = current_scores(result, rounds)
    sources = {k: [f"*{md_text(v)}*", ""] for k, v in provenance(inst, result, report, now).items()}
    lines = [*_heading(inst, result, report), *_summary(inst, now, report), *sources["summary"]]
    lines += [*_quality(inst, result, report), *sources["data-quality"], *_sites(inst, now)]
    lines += [*_image(charts, "sites"), *_image(charts, "site-domains"), *sources["sites"]]
    tables = round_tables(result, report, rounds)
    if tables is not None:
        lines += [*_rounds(tables), *_image(charts, "rounds"), *sources["rounds"]]
    rel = _reliability(report)
    cut = rel.index("## Internal consistency")
    lines += rel[:cut] + _image(charts, "reliability") + _image(charts, "bland-altman")
    lines += sources["reliability"] + rel[cut:] + _image(charts, "consistency")
    lines += sources["consistency"]
    lines += ["## Criteria behind the flags", ""]
    lines += [f"- **{k}**: {v}" for k, v in report.criteria.items()]
    lines += ["", *sources["instrument"]]
    return "\n".join(lines)
