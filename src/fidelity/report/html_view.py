"""The reliability report as a bounded HTML fragment for notebooks: the heading, then each
table with at most :data:`MAX_ROWS` rows (the full tables are ``report.tables()``). Every
text is escaped."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from fidelity.report.terminal import TITLES

if TYPE_CHECKING:
    from fidelity.report.model import ReliabilityReport
    from fidelity.report.tables import TextTable

__all__ = ["MAX_ROWS", "report_html"]

MAX_ROWS = 20
_LEFT = ' style="text-align:left"'


def _table(table: TextTable) -> str:
    head = "".join(f"<th{_LEFT}>{html.escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td{_LEFT}>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in table.rows[:MAX_ROWS]
    )
    more = len(table.rows) - MAX_ROWS
    note = (
        f"<p>… {more} more rows: <code>report.tables()[{table.key!r}]</code></p>"
        if more > 0
        else ""
    )
    return (
        f"<table><caption{_LEFT}><b>{html.escape(TITLES[table.key])}</b></caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"
    )


def report_html(report: ReliabilityReport) -> str:
    """Heading, design and the four tables (each cut to :data:`MAX_ROWS` rows)."""
    p, d = report.provenance, report.design
    heading = (
        f"<p><b>Reliability report</b> {html.escape(str(p.get('instrument')))}: "
        f"{html.escape(str(p.get('n_sheets')))} sheets, "
        f"{html.escape(str(p.get('n_assessments')))} assessments, "
        f"{d.n_double_rated} double-rated</p>"
        f"<p>Design: {html.escape(d.kind)} — {html.escape(d.reason)}</p>"
    )
    tables = "".join(_table(t) for t in report.table_rows())
    return f'<div class="fidelity-report">{heading}{tables}</div>'
