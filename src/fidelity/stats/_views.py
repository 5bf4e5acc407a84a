"""Short text, HTML and rich views of an :class:`~fidelity.stats.estimate.Estimate`.

One list of (label, text) rows feeds all three, so a notebook, a terminal and ``repr`` say the
same thing. Every view is bounded: long texts are shortened and ``details`` shows at most a
dozen scalar entries (the full record is ``Estimate.to_dict()``).
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

    from fidelity.stats.estimate import Estimate

_MAX_TEXT = 160
_MAX_DETAILS = 12


def shorten(text: str, limit: int = _MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(v: float | None) -> str:
    """A number with four significant digits (``nan``, ``inf`` as such)."""
    if v is None:
        return "—"
    return f"{v:.4g}"


def _counts(e: Estimate) -> str:
    parts = [f"{e.n_subjects} subjects"]
    if e.n_raters is not None:
        parts.append(f"{e.n_raters} raters")
    if e.n_items is not None:
        parts.append(f"{e.n_items} items")
    return ", ".join(parts)


def _interval(e: Estimate) -> str | None:
    if e.ci is None:
        return None
    level = f"{e.confidence * 100:g}% CI " if e.confidence is not None else "CI "
    return f"{level}[{number(e.ci[0])}, {number(e.ci[1])}]"


def estimate_repr(e: Estimate) -> str:
    """One line: method, value (or why it is undefined), interval, SE and counts."""
    head = f"{shorten(e.method, 120)} = {number(e.value)}"
    if e.reason:
        head += f": {shorten(e.reason, 120)}"
    parts = [head]
    interval = _interval(e)
    if interval:
        parts.append(interval)
    if e.se is not None:
        parts.append(f"se {number(e.se)}")
    return f"Estimate({', '.join(parts)}; {_counts(e)})"


def _detail_text(value: Any) -> str | None:
    """A scalar detail as text; lists and mappings are summarised, not printed."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number(value)
    if isinstance(value, str):
        return shorten(value, 80)
    if isinstance(value, list | tuple):
        return f"[{len(value)} values]"
    if isinstance(value, dict):
        return f"{{{len(value)} entries}}"
    return None


def summary_rows(e: Estimate) -> list[tuple[str, str]]:
    """(label, text) rows describing ``e``, shared by the HTML and rich views."""
    rows = [("value", "undefined" if math.isnan(e.value) else number(e.value))]
    if e.reason:
        rows.append(("reason", shorten(e.reason, 400)))
    interval = _interval(e)
    if interval:
        rows.append(("interval", interval + (f" ({shorten(e.ci_method)})" if e.ci_method else "")))
    elif e.ci_reason:
        rows.append(("interval", "none: " + shorten(e.ci_reason)))
    if e.se is not None:
        rows.append(("SE", number(e.se) + (f" ({shorten(e.se_method)})" if e.se_method else "")))
    elif e.se_reason:
        rows.append(("SE", "none: " + shorten(e.se_reason)))
    rows.append(("n", _counts(e)))
    shown = [(k, t) for k, v in e.details.items() if (t := _detail_text(v)) is not None]
    if shown:
        text = "; ".join(f"{k} {t}" for k, t in shown[:_MAX_DETAILS])
        more = len(shown) - _MAX_DETAILS
        rows.append(("details", text + (f"; … {more} more" if more > 0 else "")))
    return rows


def estimate_html(e: Estimate) -> str:
    """A two-column HTML table with the method as caption; every text is escaped."""
    cell = 'style="text-align:left; vertical-align:top"'
    body = "".join(
        f"<tr><th {cell}>{html.escape(label)}</th><td {cell}>{html.escape(text)}</td></tr>"
        for label, text in summary_rows(e)
    )
    return (
        '<table class="fidelity-estimate">'
        f'<caption style="text-align:left"><b>{html.escape(shorten(e.method))}</b></caption>'
        f"<tbody>{body}</tbody></table>"
    )


def estimate_rich(e: Estimate) -> Table:
    """The same rows as a rich table (plain text cells: no markup is interpreted)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(shorten(e.method)), title_justify="left", show_header=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for label, text in summary_rows(e):
        table.add_row(Text(label), Text(text))
    return table
