"""Text helpers shared by messages everywhere, and the two rules that keep user strings inert
in outputs: :func:`safe_cell` for CSV cells (no formula a spreadsheet would evaluate) and
:func:`md_text` for Markdown (no markup)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

from fidelity._util.jsontext import float_texts

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMULA_START", "csv_text", "md_text", "plain_list", "safe_cell", "short"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
(OWASP, "CSV Injection")."""

_QUOTED = (",", '"', "\n", "\r")
"""Characters that make the CSV writer quote a cell (delimiter, quote character, line ends)."""
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


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index, ``\\n`` line ends), every text cell and column name
    through :func:`safe_cell`.

    The text is what ``frame.to_csv(index=False, lineterminator="\\n")`` writes, byte for
    byte, built column by column: each column is turned into the cells pandas would hand to
    the standard library's CSV writer (floats as numpy prints them, missing values empty), and
    the rows go through that same writer in one call. Frames with other column types
    (categorical, dates, extension types, a column index that is not flat) take pandas' own
    path."""
    import csv
    import io

    columns = _csv_columns(frame)
    if columns is None:
        out = frame.rename(columns=lambda c: safe_cell(c) if isinstance(c, str) else c)
        text_cols = [c for c in out.columns if out[c].dtype == object]
        if text_cols:
            out = out.copy()
            for col in text_cols:
                out[col] = out[col].map(safe_cell)
        result: str = out.to_csv(index=False, lineterminator="\n")
        return result
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(c) if isinstance(c, str) else c for c in frame.columns])
    if len(frame) and len(columns) > 1 and all(map(_plain, columns)):
        # no cell the writer would quote: the rows are the cells joined by commas
        last = len(columns) - 1
        seps = [repeat(","), repeat("\n")]
        pieces = [p for k, col in enumerate(columns) for p in (col, seps[k == last])]
        buf.write("".join(chain.from_iterable(zip(*pieces, strict=False))))  # repeat() is endless
    elif len(frame):
        writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def _plain(cells: list[Any]) -> bool:
    """Whether every cell is text that the CSV writer writes as it is (no delimiter, quote or
    line break to quote). Made text here when not (numbers, booleans): ``str`` is what the
    writer would write for them."""
    if cells and not isinstance(cells[0], str):
        cells[:] = map(str, cells)
    try:
        joined = "\x00".join(cells)
    except TypeError:  # numbers among text: written with str(), as the writer does
        cells[:] = map(str, cells)
        joined = "\x00".join(cells)
    return not any(c in joined for c in _QUOTED)


def _csv_columns(frame: pd.DataFrame) -> list[list[Any]] | None:
    """The cells of every column as pandas gives them to the CSV writer, or None when a column
    (or the column index) is of a kind only pandas' own path handles."""
    import numpy as np
    import pandas as pd

    if frame.columns.nlevels != 1 or len(frame.columns) == 0:
        return None
    columns: list[list[Any]] = []
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        if column.dtype == object:
            text = _text_cells(column)
            if text is not None:
                columns.append(text)
                continue
            column = column.map(safe_cell)  # pandas infers the type of what it maps
        if not isinstance(column.dtype, np.dtype):
            return None
        values = column.to_numpy(copy=False)
        kind = values.dtype.kind
        if kind == "f" and values.dtype == np.float64:
            columns.append(float_texts(values, "", numpy_style=True))
        elif kind == "f":
            cells = values.astype(str)
            cells[np.isnan(values)] = ""
            columns.append(cells.tolist())
        elif kind in "iub":
            columns.append(values.tolist())
        elif kind == "O":
            cells = np.array(values, dtype=object)
            cells[pd.isna(values)] = ""
            columns.append(cells.tolist())
        else:
            return None
    return columns


def md_text(v: Any) -> str:
    """A user string for Markdown (a table cell or running text): on one line, HTML-escaped,
    with ``|`` and backticks as character references, so it is never markup."""
    text = html.escape(" ".join(str(v).split()), quote=False)
    return text.replace("|", "&#124;").replace("`", "&#96;")


def _text_cells(column: pd.Series[Any]) -> list[Any] | None:
    """The CSV cells of an object column that starts with text (``column.map(safe_cell)``
    keeps such a column as objects), or None for one that does not. A column of text only is
    checked for formula-like cells in one pass: joined by newlines, a cell that starts with a
    formula character follows a newline."""
    import numpy as np
    import pandas as pd

    if not len(column) or not isinstance(column.iloc[0], str):
        return None
    values = column.tolist()
    try:
        joined = "\n".join(values)
    except TypeError:  # missing values among the text
        cells = np.array(list(map(safe_cell, values)), dtype=object)
        cells[pd.isna(cells)] = ""
        out: list[Any] = cells.tolist()
        return out
    formula = joined.startswith(FORMULA_START) or any("\n" + c in joined for c in FORMULA_START)
    return list(map(safe_cell, values)) if formula else values
