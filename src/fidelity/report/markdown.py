"""The Markdown audit report: provenance, fidelity per site, and the reliability,
consistency and spread tables with the criteria behind every flag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fidelity._util.text import md_text
from fidelity.report.gstudy import g_study_lines
from fidelity.report.tables import fmt_num
from fidelity.report.terminal import G_STUDY_TITLE

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
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
    ]


def _sites(inst: Instrument, result: Any) -> list[str]:
    """Fidelity per site: the site scores table and how many sites fall in each band."""
    lines = [
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


def audit_report_markdown(inst: Instrument, result: Any, report: ReliabilityReport) -> str:
    """A self-contained Markdown audit report: provenance, fidelity per site, and the
    reliability, consistency and spread tables with the criteria behind every flag.

    ``result`` is the :class:`~fidelity.scoring.ScoreResult` of the same sheets that
    ``report`` was made from."""
    lines = [*_heading(inst, result, report), *_sites(inst, result), *_reliability(report)]
    lines += ["## Criteria behind the flags", ""]
    lines += [f"- **{k}**: {v}" for k, v in report.criteria.items()]
    lines.append("")
    return "\n".join(lines)
