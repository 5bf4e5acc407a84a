"""Short views of a :class:`~fidelity.scoring.ScoreResult` for a terminal and a notebook:
a few summary lines and the first rows, never the whole table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from fidelity.scoring import ScoreResult

_HTML_ROWS = 10


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _result_summary(r: ScoreResult) -> list[tuple[str, str]]:
    """(label, text) lines shared by the repr and the HTML view; cost O(sheets), no pandas."""
    n_assess = len({str(a) for a in r.assessment.tolist()})
    n_sites = len({str(s) for s in r.site.tolist() if s is not None and s == s})
    scored = r.overall[np.isfinite(r.overall)]
    if scored.size:
        lo, hi = float(scored.min()), float(scored.max())
        overall = f"{scored.size} scored, mean {float(scored.mean()):.2f}, range {lo:.2f}–{hi:.2f}"
    else:
        overall = "none scored"
    counts: dict[str, int] = {}
    for b in r.band.tolist():
        key = "no band" if b is None else str(b)
        counts[key] = counts.get(key, 0) + 1
    return [
        ("sheets", f"{len(r)} sheets, {n_assess} assessments, {n_sites} sites"),
        ("domains", _shorten(", ".join(r.domain_ids)) + f" ({len(r.domain_ids)})"),
        ("overall", overall),
        ("bands", _shorten(", ".join(f"{k} {v}" for k, v in counts.items())) or "—"),
        ("warnings", str(len(r.problems))),
    ]


def result_repr(r: ScoreResult) -> str:
    lines = ";\n  ".join(f"{label}: {text}" for label, text in _result_summary(r))
    return f"ScoreResult({_shorten(r.instrument, 80)};\n  {lines})"


def result_html(r: ScoreResult) -> str:
    import html

    left = ' style="text-align:left"'
    summary = "".join(
        f"<tr><th{left}>{html.escape(k)}</th><td{left}>{html.escape(v)}</td></tr>"
        for k, v in _result_summary(r)
    )
    cols = ["assessment", "rater", "site", *r.domain_ids, "overall", "band"]
    head = "".join(f"<th{left}>{html.escape(c)}</th>" for c in cols)
    body = ""
    for i in range(min(len(r), _HTML_ROWS)):
        nums = [*r.domains[i].tolist(), float(r.overall[i])]
        cells = [str(r.assessment[i]), str(r.rater[i]), str(r.site[i] or "")]
        cells += ["—" if v != v else f"{v:.2f}" for v in nums] + [str(r.band[i] or "—")]
        body += "<tr>" + "".join(f"<td{left}>{html.escape(c)}</td>" for c in cells) + "</tr>"
    more = len(r) - _HTML_ROWS
    note = f"<p>… {more} more sheets: <code>result.to_pandas()</code></p>" if more > 0 else ""
    return (
        f'<div class="fidelity-scores"><table><caption{left}><b>Scores</b> '
        f"{html.escape(r.instrument)}</caption><tbody>{summary}</tbody></table>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</div>"
    )
