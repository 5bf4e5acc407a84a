"""CSV sheets: the wide layout (one row per sheet, one column per item) or, told apart by the
header, the long layout (one rating per row; see :mod:`fidelity.ratings.readers.long`).

Every cell is kept as text. A well-formed file takes the fast path: the record structure is
checked with array operations on the raw bytes and Arrow's CSV reader reads every cell as text.
Anything irregular (a row with too many or too few fields, odd quoting) takes the exact path
through the ``csv`` module, which reports every bad row and reads the others.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.problems import Problem, SheetRef, make_problem
from fidelity.ratings.readers._common import (
    columns_from_rows,
    decode,
    duplicate_columns,
    header_problem,
    is_long,
    strip_bom,
    wide_segment,
)
from fidelity.ratings.readers.long import long_segment
from fidelity.ratings.segment import Segment, empty_segment, file_problem
from fidelity.ratings.sheet import FIELDS

__all__ = ["read_csv"]

_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13

_Table = tuple[list[NDArray[Any]], NDArray[np.int64]]
"""The columns of the data rows, and the spreadsheet row number of each."""

_Codes = dict[str, tuple[NDArray[Any], NDArray[np.int32], list[Any]]]
"""Sheet fields read with their codes (see :attr:`Segment.codes`)."""


def read_csv(name: str, raw: bytes) -> Segment:
    """The sheets of a CSV file, wide or long. An ASCII file is not decoded as a whole (it
    is UTF-8 as it is) unless the exact path reads it."""
    data = strip_bom(raw)
    text: str | None = None
    if not data.isascii() or b"\x00" in data:
        decoded = decode(name, raw)
        if isinstance(decoded, Segment):
            return decoded
        text = decoded
    if b"\r" in data and b"\n" not in data:  # old Mac OS line endings: CR alone
        text = _text(text, data).replace("\r", "\n")
        data = text.encode("utf-8")
    text, data = _as_commas(text, data)
    stray = _stray_quote_row(data)
    if stray == 1:
        return file_problem(name, "FR024", f"malformed CSV in the header: {_STRAY}")
    header = _header(name, data if text is None else text)
    if isinstance(header, Segment):
        return header
    known: _Codes = {}
    columns, rows, problems = csv_table(name, text, header, data, stray, known)
    columns, rows = _without_blank_rows(columns, rows)
    if is_long(header):
        seg = long_segment(name, header, columns, rows, "text")
    else:
        seg = wide_segment(name, header, columns, rows, "text", "row")
        seg.codes = {k: v for k, v in known.items() if seg.fields.get(k) is v[0]}
    seg.problems[:0] = problems
    return seg


def _text(text: str | None, data: bytes) -> str:
    """The text of the file: ``text`` when it was decoded already."""
    return data.decode("utf-8") if text is None else text


def _as_commas(text: str | None, data: bytes) -> tuple[str | None, bytes]:
    """A file separated by semicolons or tabs (as spreadsheets save CSV where the comma is
    the decimal mark), rewritten with commas: a header without a comma but with ``;`` or a
    tab decides. One record stays one record, so row numbers are kept. A file the ``csv``
    module cannot read strictly with that separator is left as it is (and reported)."""
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8")
    if "," in first or not (";" in first or "\t" in first):
        return text, data
    sep = ";" if first.count(";") >= first.count("\t") else "\t"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    try:
        rows = csv.reader(io.StringIO(_text(text, data), newline=""), delimiter=sep, strict=True)
        writer.writerows(rows)
    except csv.Error:
        return text, data
    rewritten = out.getvalue()
    return rewritten, rewritten.encode("utf-8")


def _without_blank_rows(
    columns: list[NDArray[Any]], rows: NDArray[np.int64]
) -> tuple[list[NDArray[Any]], NDArray[np.int64]]:
    """The table without rows whose every cell is empty (a row of only separators is a blank
    row, as in a spreadsheet)."""
    if not columns or rows.size == 0:
        return columns, rows
    blank = np.ones(rows.size, dtype=bool)
    for col in columns:
        blank &= np.asarray(col == "", dtype=bool)
    if not blank.any():
        return columns, rows
    keep = ~blank
    return [c[keep] for c in columns], rows[keep]


def _lines(text: str | bytes) -> Iterator[str]:
    """The lines of ``text`` (or of UTF-8 bytes) as ``io.StringIO(text)`` gives them (split
    after each ``\\n``), one at a time: reading the header does not copy the whole file."""
    start = 0
    nl = "\n" if isinstance(text, str) else b"\n"
    while start < len(text):
        end = text.find(nl, start)  # type: ignore[arg-type]
        line = text[start:] if end < 0 else text[start : end + 1]
        yield line if isinstance(line, str) else line.decode("utf-8")
        if end < 0:
            return
        start = end + 1


def _header(name: str, text: str | bytes) -> list[str] | Segment:
    """The column names, or a segment holding what is wrong with them."""
    try:
        header = next(csv.reader(_lines(text), strict=True))
    except csv.Error as exc:
        return file_problem(name, "FR024", f"malformed CSV in the header: {exc}")
    except StopIteration:
        return file_problem(name, "FR002", "file is empty: it holds no rating sheets")
    ref = SheetRef(name, row=1)
    problem = header_problem(header, ref) or duplicate_columns(header, ref)
    if problem is not None:
        return empty_segment(name, problem)
    unnamed = [k + 1 for k, h in enumerate(header) if not h.strip()]
    if unnamed:
        return empty_segment(
            name,
            make_problem(
                "FR020",
                message=f"wrong header: column(s) {', '.join(map(str, unnamed))} have no name",
                sheet=ref,
            ),
        )
    return header


def csv_table(
    name: str,
    text: str | None,
    header: list[str],
    raw: bytes | None = None,
    stray: int | None = None,
    known: _Codes | None = None,
) -> tuple[list[NDArray[Any]], NDArray[np.int64], list[Problem]]:
    """Parse the data rows: ``(columns, row numbers, problems)``, by the fast path when the
    file is regular and by the exact path otherwise. ``stray`` is the row of the first quote
    that neither opens nor closes a quoted field (see :func:`_stray_quote_row`): the rows
    before it are read, it is reported (FR024) and the rest is not read. ``text`` may be
    ``None`` when ``raw`` is given (decoded only for the exact path). The fast path puts
    the codes of the sheet fields into ``known``."""
    if raw is None:
        if text is None:
            raise TypeError("csv_table needs the text or the bytes of the file")
        data = text.encode("utf-8")
    else:
        data = raw
    if stray is None:
        stray = _stray_quote_row(data)
    fast = None if stray is not None else _csv_fast(data, header, known)
    if fast is not None:
        return fast[0], fast[1], []
    columns, rows, problems = _csv_slow(name, _text(text, data), header)
    if stray is None:
        return columns, rows, problems
    keep = rows < stray
    problems = [p for p in problems if p.sheet is None or (p.sheet.row or 0) < stray]
    if not any(p.code == "FR024" for p in problems):
        problems.append(
            make_problem(
                "FR024",
                message=f"malformed CSV: {_STRAY}; the rest of the file was not read",
                sheet=SheetRef(name, row=stray),
            )
        )
    return [c[keep] for c in columns], rows[keep], problems


_STRAY = (
    "a quote inside a field that does not start with one, or text after a closing quote; "
    'quote the whole field and double the quotes inside it ("ab""c")'
)


def _csv_fast(raw: bytes, header: list[str], known: _Codes | None = None) -> _Table | None:
    """The table read by Arrow's CSV reader, or ``None`` when the file is not regular enough
    to be sure the parser reads it as the exact path would (a quote that neither opens nor
    closes a field, a CR that does not end a line, a record of another width)."""
    if b'"' not in raw:
        plain = _plain_rows(raw, len(header))
        if plain is None:
            return None
        columns = _parse_cells(raw, header, plain.size, known)
        if columns is not None:
            return columns, plain
        # a blank line inside (or a record of another width): the general check decides
    b = np.frombuffer(raw, dtype=np.uint8)
    newline = b == _LF
    comma = b == _COMMA
    quote = b == _QUOTE
    cr = b == _CR
    if quote.any():
        if np.count_nonzero(quote) % 2:  # a quoted field still open at the end of the file
            return None
        inside = (np.cumsum(quote, dtype=np.uint8) & 1).astype(bool)
        newline &= ~inside
        comma &= ~inside
        cr &= ~inside
    lone_cr = np.flatnonzero(cr)
    if lone_cr.size and np.any(b[np.minimum(lone_cr + 1, b.size - 1)] != _LF):
        return None
    rows = _data_rows(b, newline, comma, len(header))
    if rows is None:
        return None
    columns = _parse_cells(raw, header, rows.size, known)
    return None if columns is None else (columns, rows)


def _plain_rows(raw: bytes, width: int) -> NDArray[np.int64] | None:
    """The row numbers of the data records of a file without quotes, supposing it has no
    blank line but at its end, found by counting line breaks (no array the size of the
    file); ``None`` when it cannot be read by the fast path (a CR that does not end a line,
    a header of another width). The reader checks the rest: it refuses a record of another
    width, and reads fewer records than numbered here when a blank line is inside."""
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    end = raw.find(b"\n")
    if raw[: len(raw) if end < 0 else end].count(b",") + 1 != width:
        return None
    stop = len(raw)
    while stop and raw[stop - 1] in b"\r\n":
        stop -= 1
    records = raw.count(b"\n", 0, stop) + 1 if stop else 0
    return np.arange(2, records + 1, dtype=np.int64)


def _stray_quote_row(raw: bytes) -> int | None:
    """The record number (the header is 1) of the first quote that neither opens a field
    (after a comma, a line break or a closing quote: ``""`` is an escaped quote) nor closes
    one (before a comma, a line break or an opening quote), or ``None``. ``ab"c`` and
    ``"ab"c`` have one; the ``csv`` module would read the first leniently."""
    if b'"' not in raw:
        return None
    b = np.frombuffer(raw, dtype=np.uint8)
    q = np.flatnonzero(b == _QUOTE)
    if not q.size:
        return None
    opening, closing = q[0::2], q[1::2]
    before = b[np.maximum(opening - 1, 0)]
    after = b[np.minimum(closing + 1, b.size - 1)]
    sep = (_COMMA, _LF, _CR, _QUOTE)
    bad_open = (opening != 0) & ~np.isin(before, sep)
    bad_close = (closing != b.size - 1) & ~np.isin(after, sep)
    bad = np.concatenate((opening[bad_open], closing[bad_close]))
    if not bad.size:
        return None
    pos = int(bad.min())
    inside = (np.cumsum(b[:pos] == _QUOTE) & 1).astype(bool)
    return int(np.count_nonzero((b[:pos] == _LF) & ~inside)) + 1


def _data_rows(
    b: NDArray[np.uint8], newline: NDArray[np.bool_], comma: NDArray[np.bool_], width: int
) -> NDArray[np.int64] | None:
    """The row numbers of the non-blank data records, or ``None`` when a record (the header
    included) does not have ``width`` fields."""
    nl = np.flatnonzero(newline)
    ends = nl if (b.size and b[-1] == _LF) else np.append(nl, b.size)
    starts = np.concatenate(([0], nl + 1))[: ends.size]
    cpos = np.flatnonzero(comma)
    fields = np.searchsorted(cpos, ends) - np.searchsorted(cpos, starts) + 1
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (b[np.minimum(starts, max(b.size - 1, 0))] == _CR))
    if fields[0] != width:  # the header itself spans lines: let the exact path decide
        return None
    if np.any((fields[1:] != width) & ~blank[1:]):
        return None
    return (np.flatnonzero(~blank[1:]) + 2).astype(np.int64)


def _parse_cells(
    raw: bytes, header: list[str], n_rows: int, known: _Codes | None = None
) -> list[Any] | None:
    """Every column read by Arrow's CSV reader as a dictionary of its text cells: one string
    per distinct value instead of one per cell, and the codes are what validation would
    compute anyway. Rating columns become categoricals (categories sorted, as pandas infers
    them); sheet fields are plain object arrays."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            pa.py_buffer(raw),
            read_options=pacsv.ReadOptions(block_size=_BLOCK),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, text),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):  # any parser complaint: the exact path reports it
        return None
    if table.num_rows != n_rows or table.column_names != header:
        return None
    table = table.unify_dictionaries()
    columns: list[Any] = []
    for k, name in enumerate(header):
        col, codes, values = _dictionary_column(table.column(k), n_rows, name in FIELDS)
        columns.append(col)
        if known is not None and codes is not None:
            known[name] = (col, codes, values)
    del table
    pa.default_memory_pool().release_unused()  # the parsed blocks are no longer needed
    return columns


_BLOCK = 1 << 22
"""Bytes of CSV each Arrow block parses (4 MiB)."""


def _dictionary_column(
    col: Any, n_rows: int, plain: bool
) -> tuple[Any, NDArray[np.int32] | None, list[Any]]:
    """One dictionary-encoded Arrow column (chunks sharing one dictionary) as an object
    array (``plain``, with its codes and distinct values) or a pandas categorical whose
    categories are sorted."""
    import pandas as pd

    values = (
        col.chunk(0).dictionary.to_numpy(zero_copy_only=False)
        if col.num_chunks
        else np.empty(0, dtype=object)
    )
    codes = np.empty(n_rows, dtype=np.int32)
    at = 0
    for chunk in col.chunks:
        part = chunk.indices.to_numpy(zero_copy_only=False)
        codes[at : at + part.size] = part
        at += part.size
    if plain:
        return values[codes], codes, values.tolist()
    order = np.argsort(values, kind="stable")
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    categorical = pd.Categorical.from_codes(
        rank[codes], categories=pd.Index(values[order], dtype=object), validate=False
    )
    return categorical, None, []


def _csv_slow(
    name: str, text: str, header: list[str]
) -> tuple[list[NDArray[Any]], NDArray[np.int64], list[Problem]]:
    """The exact path: every record through the ``csv`` module; rows with the wrong number
    of fields are reported (FR023) and skipped, malformed quoting stops the reading (FR024)."""
    problems: list[Problem] = []
    width = len(header)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text)))  # any field the file can hold, as pandas
    try:
        good, rows = _exact_records(name, text, width, problems)
    finally:
        csv.field_size_limit(limit)
    return columns_from_rows(good, width), np.asarray(rows, dtype=np.int64), problems


def _exact_records(
    name: str, text: str, width: int, problems: list[Problem]
) -> tuple[list[list[str]], list[int]]:
    """The records of the right width and their row numbers; FR023 and FR024 into
    ``problems``."""
    good: list[list[str]] = []
    rows: list[int] = []
    reader = csv.reader(io.StringIO(text), strict=True)
    rownum = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                make_problem(
                    "FR024",
                    message=f"malformed CSV: {exc}; the rest of the file was not read",
                    sheet=SheetRef(name, row=rownum + 1),
                )
            )
            break
        rownum += 1
        if rownum == 1 or not record:
            continue
        if len(record) != width:
            problems.append(
                make_problem(
                    "FR023",
                    message=f"row has {len(record)} field(s) but the header has {width}; "
                    "check for unquoted commas or a missing cell",
                    sheet=SheetRef(name, row=rownum),
                )
            )
            continue
        good.append(record)
        rows.append(rownum)
    return good, rows
