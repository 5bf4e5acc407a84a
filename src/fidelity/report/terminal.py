"""The reliability report in a terminal: a two-line heading and the four tables, as rich
renderables (printed by ``fidelity reliability`` and by ``rich.print(report)``).

The tables read at any width, 80 columns included, and when redirected to a file (rich then
lays out for 80 columns): no cell wraps or is cut. Ids are printed in full; an estimate's
value and its interval stand in two columns (``0.87`` and ``[0.73, 1.00]``); and when the columns
of a table do not fit the width, the table is split into column groups printed one under the
other, each starting with the id column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fidelity.report.gstudy import g_study_lines

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

    from fidelity.report.model import ReliabilityReport
    from fidelity.report.tables import TextTable

__all__ = ["G_STUDY_TITLE", "TITLES", "columns", "render", "renderables"]

TITLES = {
    "scores": "Scores: inter-rater reliability",
    "items": "Items: agreement on double-rated assessments",
    "consistency": "Domains: internal consistency",
    "spread": "Items: spread over the scale",
}

G_STUDY_TITLE = "Site score: G-study and D-study (overall score)"

_ESTIMATE = re.compile(r"^(\S+) \[(\S+), (\S+)\]$")
"""A text cell holding a value and its interval, as :func:`~fidelity.report.tables.fmt_est`
writes it."""


@dataclass(frozen=True)
class Column:
    """One terminal column: header, cells and alignment."""

    header: str
    cells: list[str]
    justify: str = "left"


def columns(table: TextTable, level: str = "95%") -> list[list[Column]]:
    """The columns of ``table`` for a terminal, in units that stay side by side: every column
    whose cells hold intervals becomes the value and a ``<level> CI`` column of ``[low, high]``;
    number columns are right-aligned."""
    out: list[list[Column]] = []
    for k, header in enumerate(table.header):
        cells = [row[k] for row in table.rows]
        split = [_ESTIMATE.match(c) for c in cells]
        if any(split):
            values = [m.group(1) if m else c for m, c in zip(split, cells, strict=True)]
            intervals = [f"[{m.group(2)}, {m.group(3)}]" if m else "" for m in split]
            out.append([Column(header, values, "right"), Column(f"{level} CI", intervals)])
        else:
            numeric = k > 0 and all(_is_number(c) for c in cells)
            out.append([Column(header, cells, "right" if numeric else "left")])
    return out


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell in ("—", "")
    return True


def _table(cols: list[Column], n_rows: int) -> Table:
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    t = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    for col in cols:
        t.add_column(
            col.header,
            justify=col.justify,  # type: ignore[arg-type]
            no_wrap=True,
            min_width=max(cell_len(x) for x in [col.header, *col.cells]),
        )
    for r in range(n_rows):
        t.add_row(*(c.cells[r] for c in cols), end_section=False)
    return t


def _groups(
    console: Console, title: str, units: list[list[Column]], n_rows: int
) -> list[RenderableType]:
    """The title and the columns as one table when it fits the console's width, else as
    column groups, each under its own title line, repeating the id column (the first) and
    holding as many units as fit."""
    from rich.measure import Measurement
    from rich.text import Text

    width = console.options.max_width
    unbounded = console.options.update(width=10**6)

    def fits(group: list[Column]) -> bool:
        table = _table(group, n_rows)
        return Measurement.get(console, unbounded, table).maximum <= width

    ids = units[0]
    groups: list[list[Column]] = []
    current = list(ids)
    for unit in units[1:]:
        if len(current) > len(ids) and not fits([*current, *unit]):
            groups.append(current)
            current = list(ids)
        current.extend(unit)
    groups.append(current)
    out: list[RenderableType] = []
    for k, group in enumerate(groups, start=1):
        part = f" ({k} of {len(groups)})" if len(groups) > 1 else ""
        out += [Text(f"\n{title}{part}", style="bold"), _table(group, n_rows)]
    return out


def renderables(report: ReliabilityReport, console: Console) -> list[RenderableType]:
    """The heading lines and one rich table per report table (or per column group of a
    table too wide for the console), in order."""
    from rich.markup import escape
    from rich.text import Text

    p, d = report.provenance, report.design
    level = f"{round(float(p.get('confidence', 0.95)) * 100):g}%"
    out: list[RenderableType] = [
        console.render_str(
            f"[bold]Reliability report[/bold] {escape(str(p['instrument']))}: "
            f"{p['n_sheets']} sheets, {p['n_assessments']} assessments, "
            f"{d.n_double_rated} double-rated"
        ),
        console.render_str(f"Design: {d.kind} — {d.reason}", markup=False),
    ]
    for table in report.table_rows():
        out.extend(_groups(console, TITLES[table.key], columns(table, level), len(table.rows)))
    if report.g_study is not None:
        out.append(Text(f"\n{G_STUDY_TITLE}", style="bold"))
        out.extend(Text(line) for line in g_study_lines(report.g_study))
    return out


def render(report: ReliabilityReport, console: Console) -> None:
    """Print the report's heading and tables on ``console``."""
    for item in renderables(report, console):
        console.print(item)
