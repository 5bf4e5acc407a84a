"""JSON text of a document holding large tables, built column by column.

``json.dumps`` over a list of row dicts spends most of its time building the dicts and
walking them value by value. :func:`json_document` writes the same text, byte for byte,
without either: each column is encoded once (``float.__repr__``, ``int.__repr__`` and the
standard library's own string escaper, mapped over the whole column), and every row is one
``%`` formatting of a template that holds the keys, separators and indentation. A table
holding anything but text, numbers, booleans and missing values (a date, a list, a numpy
scalar in a text column) is left to ``json.dumps``, so the text is always what it writes.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Mapping
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["exponent_form", "float_texts", "json_document", "records"]

_CHUNK = 8192
"""Rows joined into one string at a time (bounds the list of pieces in memory)."""

_escape: Callable[[str], str] = json.encoder.encode_basestring


class _Unsupported(Exception):
    """A value the column-wise encoder leaves to ``json.dumps``."""


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: numpy scalars as Python values, NaN and None as ``None``.
    Built column by column (``tolist`` converts in C), then zipped into rows."""
    names = [str(c) for c in frame.columns]
    columns = []
    for name in frame.columns:
        col = frame[name]
        values = col.tolist()
        if col.dtype.kind in "fO":
            values = [None if isinstance(v, float) and v != v else v for v in values]
        columns.append(values)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def json_document(
    head: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], indent: int | None = 2
) -> str:
    """``json.dumps({**head, **{k: records(t) for k, t in tables.items()}}, indent=indent,
    ensure_ascii=False, allow_nan=False)``, the same text, with the tables encoded column by
    column (see the module docstring)."""
    encoded = {key: _table(frame, indent, 1) for key, frame in tables.items()}
    if any(text is None for text in encoded.values()):
        doc = {**head, **{k: records(t) for k, t in tables.items()}}
        return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)
    marks = {key: f"\x00table-{secrets.token_hex(16)}" for key in tables}
    text = json.dumps({**head, **marks}, indent=indent, ensure_ascii=False, allow_nan=False)
    parts = []
    for key, mark in marks.items():  # the head is small: cut it, then join once
        before, found, text = text.partition(json.dumps(mark))
        if not found:  # pragma: no cover - the mark is a random 128-bit token
            raise AssertionError(f"the place of table {key!r} was lost")
        parts += [before, str(encoded[key])]
    return "".join([*parts, text])


def _table(frame: pd.DataFrame, indent: int | None, level: int) -> str | None:
    """The rows of ``frame`` as a JSON list of objects, nested ``level`` deep; None when a
    value is not one the column-wise encoder handles."""
    names = [str(c) for c in frame.columns]
    if not names or len(set(names)) != len(names):
        return None
    try:
        cells = [_column(frame.iloc[:, k]) for k in range(len(names))]
    except _Unsupported:
        return None
    if not len(frame):
        return "[]"
    keys = [_escape(n) + ": " for n in names]
    if indent is None:
        first, sep, last, between, close = "{", ", ", "}", ", ", "]"
    else:
        inner = "\n" + " " * (indent * (level + 2))
        outer = "\n" + " " * (indent * (level + 1))
        first, sep, last = "{" + inner, "," + inner, outer + "}"
        between, close = "," + outer, "\n" + " " * (indent * level) + "]"
    # every row is first key0 v0 sep key1 v1 ... last, rows joined by between
    fixed = [first + keys[0], *(sep + k for k in keys[1:])]
    end = last + between
    parts = ["[" if indent is None else "[" + outer]
    for start in range(0, len(frame), _CHUNK):
        chunk = [c[start : start + _CHUNK] for c in cells]
        pieces: list[Any] = []
        for text, column in zip(fixed, chunk, strict=True):
            pieces += [repeat(text), column]
        parts.append("".join(chain.from_iterable(zip(*pieces, repeat(end)))))
    parts[-1] = parts[-1][: -len(between)]
    return "".join([*parts, close])


def exponent_form(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Where Python (and numpy) write a float64 in exponent form (``1e-05``, ``1e+16``) and
    orjson does not: nonzero magnitudes below 1e-4 or from 1e15 on; NaN never."""
    import numpy as np

    size = np.abs(values)
    found: NDArray[np.bool_] = ~((size >= 1e-4) & (size < 1e15)) & (values != 0) & ~np.isnan(values)
    return found


def float_texts(array: NDArray[Any], na: str) -> list[str]:
    """The shortest text that reads back as each float64, as Python's ``repr`` writes it,
    ``na`` for NaN. orjson writes the ordinary magnitudes, where the two agree; ``repr``
    writes those below 1e-4 or from 1e15 on, which Python writes in exponent form
    (``1e-05``) and orjson does not."""
    import numpy as np
    import orjson

    values = np.ascontiguousarray(array, dtype=np.float64)
    texts = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")
    if not len(values):
        return []
    odd = np.flatnonzero(exponent_form(values))
    for k, text in zip(odd.tolist(), map(repr, values[odd].tolist()), strict=True):
        texts[k] = text
    if na != "null":
        for k in np.flatnonzero(np.isnan(values)).tolist():
            texts[k] = na
    return texts


def _column(col: pd.Series[Any]) -> list[str]:
    """Every value of ``col`` as JSON text, as ``json.dumps`` writes it after
    :func:`records`."""
    import numpy as np

    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else ""
    if kind == "f":
        array = col.to_numpy()
        if np.isinf(array).any():
            raise _Unsupported  # json.dumps refuses them (allow_nan=False)
        if array.dtype == np.float64:
            return float_texts(array, "null")
        return ["null" if v != v else float.__repr__(v) for v in col.tolist()]
    values = col.tolist()
    if kind in ("i", "u"):
        return list(map(int.__repr__, values))
    if kind == "b":
        return ["true" if v else "false" for v in values]
    if kind == "O":
        try:
            return list(map(_escape, values))
        except TypeError:
            return list(map(_scalar, values))
    raise _Unsupported


def _scalar(v: Any) -> str:
    """One value of a text column as JSON text."""
    t = type(v)
    if t is str:
        return _escape(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return int.__repr__(v)
    if t is float and not math.isinf(v):
        return "null" if v != v else float.__repr__(v)
    raise _Unsupported
