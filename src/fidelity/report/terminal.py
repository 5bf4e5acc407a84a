"""The reliability report in a terminal: a two-line heading and the four tables, as rich
renderables (printed by ``fidelity reliability`` and by ``rich.print(report)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from fidelity.report.model import ReliabilityReport

__all__ = ["TITLES", "render", "renderables"]

TITLES = {
    "scores": "Scores: inter-rater reliability",
    "items": "Items: agreement on double-rated assessments",
    "consistency": "Domains: internal consistency",
    "spread": "Items: spread over the scale",
}


def renderables(report: ReliabilityReport, console: Console) -> list[RenderableType]:
    """The heading lines and one rich table per report table, in order."""
    from rich.markup import escape
    from rich.table import Table

    p, d = report.provenance, report.design
    out: list[RenderableType] = [
        console.render_str(
            f"[bold]Reliability report[/bold] {escape(str(p['instrument']))}: "
            f"{p['n_sheets']} sheets, {p['n_assessments']} assessments, "
            f"{d.n_double_rated} double-rated"
        ),
        console.render_str(f"Design: {d.kind} — {d.reason}", markup=False),
    ]
    for table in report.table_rows():
        t = Table(title=TITLES[table.key], title_justify="left")
        for col in table.header:
            t.add_column(col)
        for row in table.rows:
            t.add_row(*row)
        out.append(t)
    return out


def render(report: ReliabilityReport, console: Console) -> None:
    """Print the report's heading and tables on ``console``."""
    for item in renderables(report, console):
        console.print(item)
