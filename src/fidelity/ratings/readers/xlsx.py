"""XLSX workbooks: the worksheet named ``ratings`` (or the first), wide or long layout, as
``fidelity template`` writes them. Cells keep their types: a level may be a number or text."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np

from fidelity._util.text import short
from fidelity.ratings.problems import Problem, SheetRef, make_problem
from fidelity.ratings.readers._common import (
    columns_from_rows,
    duplicate_columns,
    header_problem,
    is_long,
    spreadsheet_value,
    wide_segment,
)
from fidelity.ratings.readers.long import long_segment
from fidelity.ratings.segment import Segment, empty_segment, file_problem

__all__ = ["read_xlsx"]


def read_xlsx(name: str, data: bytes) -> Segment:
    """The sheets of an XLSX workbook."""
    try:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not XLSX
        return file_problem(name, "FR025", error=f"{type(exc).__name__}: {short(str(exc), 120)}")
    try:
        sheet = book["ratings"] if "ratings" in book.sheetnames else book.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = _header(name, next(rows_iter, None))
        if isinstance(header, Segment):
            return header
        good, rows, problems = _rows(name, rows_iter, len(header))
    finally:
        book.close()
    columns = columns_from_rows(good, len(header))
    positions = np.asarray(rows, dtype=np.int64)
    if is_long(header):
        seg = long_segment(name, header, columns, positions, "cell", "row")
    else:
        seg = wide_segment(name, header, columns, positions, "cell", "row")
    seg.problems[:0] = problems
    return seg


def _header(name: str, cells: tuple[Any, ...] | None) -> list[str] | Segment:
    """The column names of row 1 (trailing empty cells dropped), or a segment holding what
    is wrong with them."""
    if cells is None:
        return file_problem(name, "FR002", "the worksheet is empty: it holds no sheets")
    header = list(cells)
    while header and header[-1] in (None, ""):
        header.pop()
    ref = SheetRef(name, row=1)
    bad = [k + 1 for k, h in enumerate(header) if not isinstance(h, str) or not h.strip()]
    if bad:
        return empty_segment(
            name,
            make_problem(
                "FR020",
                message=f"wrong header: column(s) {', '.join(map(str, bad[:10]))} of row 1 "
                "are not column names",
                sheet=ref,
            ),
        )
    names = [str(h) for h in header]
    problem = header_problem(names, ref) or duplicate_columns(names, ref)
    if problem is not None:
        return empty_segment(name, problem)
    return names


def _rows(
    name: str, rows_iter: Iterator[tuple[Any, ...]], width: int
) -> tuple[list[tuple[Any, ...]], list[int], list[Problem]]:
    """The non-empty data rows cut to ``width`` cells, their row numbers, and FR023 for rows
    with values beyond the named columns."""
    good: list[tuple[Any, ...]] = []
    rows: list[int] = []
    problems: list[Problem] = []
    for rownum, cells in enumerate(rows_iter, start=2):
        values = [spreadsheet_value(v) for v in cells]
        if all(v is None or v == "" for v in values):
            continue
        if any(v not in (None, "") for v in values[width:]):
            problems.append(
                make_problem(
                    "FR023",
                    message=f"row has values beyond the {width} named columns",
                    sheet=SheetRef(name, row=rownum),
                )
            )
            continue
        good.append(tuple((values + [None] * width)[:width]))
        rows.append(rownum)
    return good, rows, problems
