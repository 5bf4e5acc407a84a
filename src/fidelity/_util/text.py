"""Text helpers shared by messages everywhere, and the two rules that keep user strings inert
in outputs: :func:`safe_cell` for CSV cells (no formula a spreadsheet would evaluate; whole
tables are written by :func:`fidelity._util.csvtext.csv_text`) and :func:`md_text` for
Markdown (no markup)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["FORMULA_START", "md_text", "plain_list", "safe_cell", "short"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
(OWASP, "CSV Injection")."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def plain_list(words: Sequence[str], last: str = "or") -> str:
    """``a, b or c``: a list in plain words, joined by ``last`` before the final word."""
    if not words:
        return "nothing"
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_cell(v: Any) -> Any:
    """A CSV cell a spreadsheet will not evaluate: text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading apostrophe, as OWASP recommends
    (``=1+1`` → ``'=1+1``); a plain number (``-1.5``) and anything not text are kept."""
    if isinstance(v, str) and v.startswith(FORMULA_START) and not _NUMBER.fullmatch(v):
        return "'" + v
    return v


def md_text(v: Any) -> str:
    """A user string for Markdown (a table cell or running text): on one line, HTML-escaped,
    with ``|`` and backticks as character references, so it is never markup."""
    text = html.escape(" ".join(str(v).split()), quote=False)
    return text.replace("|", "&#124;").replace("`", "&#96;")
