"""The XLSX reader as it was when issue 14 was filed (openpyxl's read-only mode), kept here
only as the benchmark's baseline: the rows of the ``ratings`` worksheet (or the first) through
``iter_rows(values_only=True)``, then the same header checks, row cuts and segment building as
the library. It trusts the declared ``<dimension>`` and has none of the current reader's
checks; it is not used by the library."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np

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


def read_xlsx_openpyxl(name: str, data: bytes) -> Segment:
    """The sheets of an XLSX workbook, read by openpyxl's read-only mode."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book["ratings"] if "ratings" in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = _header(name, next(rows, None))
        if isinstance(header, Segment):
            return header
        good, numbers, problems = _body(name, rows, len(header))
    finally:
        book.close()
    columns = columns_from_rows(good, len(header))
    where = np.asarray(numbers, dtype=np.int64)
    build = long_segment if is_long(header) else wide_segment
    seg = build(name, header, columns, where, "cell", "row")
    seg.problems[:0] = problems
    return seg


def _header(name: str, cells: tuple[Any, ...] | None) -> list[str] | Segment:
    if cells is None:
        return file_problem(name, "FR002", "the worksheet is empty: it holds no sheets")
    names = list(cells)
    while names and names[-1] in (None, ""):
        names.pop()
    ref = SheetRef(name, row=1)
    if any(not isinstance(h, str) or not h.strip() for h in names):
        return empty_segment(name, make_problem("FR020", message="wrong header", sheet=ref))
    header = [str(h) for h in names]
    problem = header_problem(header, ref) or duplicate_columns(header, ref)
    return header if problem is None else empty_segment(name, problem)


def _body(
    name: str, rows: Iterator[tuple[Any, ...]], width: int
) -> tuple[list[tuple[Any, ...]], list[int], list[Problem]]:
    good: list[tuple[Any, ...]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    for number, cells in enumerate(rows, start=2):
        values = [spreadsheet_value(v) for v in cells]
        if all(v is None or v == "" for v in values):
            continue
        if any(v not in (None, "") for v in values[width:]):
            problems.append(
                make_problem(
                    "FR023",
                    message="values beyond the named columns",
                    sheet=SheetRef(name, row=number),
                )
            )
            continue
        good.append(tuple((values + [None] * width)[:width]))
        numbers.append(number)
    return good, numbers, problems
