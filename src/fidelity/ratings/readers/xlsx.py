"""XLSX workbooks: the worksheet named ``ratings`` (or the first visible one), wide or long
layout, as ``fidelity template`` writes them. Cells keep their types: a level may be a number
or text.

A workbook is read as a person sees it in a spreadsheet program, never guessed at silently
(the package is parsed by :mod:`fidelity.ratings.readers._xlsx_parts`, which says why not with
openpyxl):

* every row the worksheet holds is read, whatever its declared ``<dimension>`` says;
* the sheet read is ``ratings`` if there is one (refused, FR033, if it is hidden), otherwise
  the first *visible* worksheet: a hidden worksheet is never read in place of the visible one;
* merged cells are refused by their range (FR031): a merged cell holds its value only in its
  first cell, so the other rows of a merged site would read as empty;
* a formula cell is read as its cached value, as the program showed it; one without a cached
  value (written by a program that does not calculate) is refused by its address (FR032);
* a DTD, a part over the size bound (a zip bomb) or broken XML is refused (FR030).

Two readers, one result. The workbook's package (relationships, sheet list, shared strings,
styles) is always read by the exact reader. The chosen worksheet is then read on the fast
path (:mod:`fidelity.ratings.readers._xlsx_fast`: python-calamine, a Rust reader, three
times faster than expat and seven times faster than openpyxl at 10,000 sheets) when a check of
its bytes at C speed shows that calamine reads exactly what the exact reader would: the
plain worksheets that templates, pandas, openpyxl and spreadsheet programs write. Any other
worksheet (formulas, merged cells, a DTD, rich text in a cell, numbers written as ``4.0``,
unusual number formats, times of day, the 1904 date system, cells outside their row, a sparse
grid; the fast path's docstring lists the rules) is read by the exact reader
(:mod:`fidelity.ratings.readers._xlsx_parts`, expat), which applies every rule above. Both
give the same segment: values and their types, row numbers, problems with their codes and
texts.
"""

from __future__ import annotations

import io
import zipfile
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
from fidelity.ratings.readers._xlsx_fast import Grid, read_fast
from fidelity.ratings.readers._xlsx_parts import (
    Sheet,
    SheetData,
    Workbook,
    XlsxRefused,
    open_workbook,
    read_sheet,
)
from fidelity.ratings.readers.long import long_segment
from fidelity.ratings.segment import Segment, empty_segment, file_problem

__all__ = ["read_xlsx"]


def read_xlsx(name: str, data: bytes) -> Segment:
    """The sheets of an XLSX workbook."""
    return _read(name, data, fast=True)


def _read(name: str, data: bytes, *, fast: bool) -> Segment:
    """The sheets of an XLSX workbook, by the fast path where it applies (``fast``) or by the
    exact reader alone."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return file_problem(name, "FR025", error=f"{type(exc).__name__}: {short(str(exc), 120)}")
    with zf:
        try:
            book = open_workbook(zf)
            sheet = _choose(name, book)
            if isinstance(sheet, Segment):
                return sheet
            grid = read_fast(book, sheet, data) if fast else None
            if grid is not None:
                seg = _fast_segment(name, grid)
                if seg is not None:
                    return seg
            content = read_sheet(book, sheet)
        except XlsxRefused as exc:
            return file_problem(name, "FR030", reason=str(exc))
    return _segment(name, content)


def _choose(name: str, book: Workbook) -> Sheet | Segment:
    """The worksheet ``ratings``, or the first visible one; hidden ones are never read."""
    named = [s for s in book.sheets if s.name == "ratings"]
    if named and named[0].state != "visible":
        return file_problem(
            name, "FR033", reason=f"the worksheet 'ratings' is {named[0].state}; unhide it"
        )
    visible = named or [s for s in book.sheets if s.state == "visible"]
    if not visible:
        return file_problem(name, "FR033", reason="the workbook has no visible worksheet")
    return visible[0]


def _segment(name: str, content: SheetData) -> Segment:
    rows = content.rows
    first = dict(rows[0][1]) if rows and rows[0][0] == 1 else {}
    if not rows:
        return file_problem(name, "FR002", "the worksheet is empty: it holds no sheets")
    cells = [first.get(k) for k in range(max(first, default=-1) + 1)]
    header = _header(name, tuple(cells))
    if isinstance(header, Segment):
        return header
    body = rows[1:] if rows[0][0] == 1 else rows
    uncached = {row for _, _, row in content.uncached}
    good, positions, problems = _rows(name, body, len(header), uncached)
    columns = columns_from_rows(good, len(header))
    seg = _table(name, header, columns, positions)
    seg.problems[:0] = [*_merged(name, content.merged), *_formulas(name, content), *problems]
    return seg


def _fast_segment(name: str, grid: Grid) -> Segment | None:
    """The segment of a worksheet read on the fast path (``None``: a cell calamine read as
    the exact reader never does, read again by the exact reader)."""
    header = _header(name, grid.header())
    if isinstance(header, Segment):
        return header
    table = grid.table(len(header))
    if table is None:
        return None
    columns, positions, beyond = table
    seg = _table(name, header, columns, positions)
    seg.problems[:0] = [_beyond(name, len(header), row) for row in beyond]
    return seg


def _table(name: str, header: list[str], columns: list[Any], positions: list[int]) -> Segment:
    where = np.asarray(positions, dtype=np.int64)
    if is_long(header):
        return long_segment(name, header, columns, where, "cell", "row")
    return wide_segment(name, header, columns, where, "cell", "row")


def _beyond(name: str, width: int, row: int) -> Problem:
    """FR023 for a row with values beyond the ``width`` named columns."""
    return make_problem(
        "FR023",
        message=f"row has values beyond the {width} named columns",
        sheet=SheetRef(name, row=row),
    )


def _merged(name: str, ranges: list[str]) -> list[Problem]:
    problems = []
    for ref in ranges:
        first = ref.partition(":")[0]
        row = int("".join(c for c in first if c.isdigit()) or 0)
        problems.append(
            make_problem(
                "FR031",
                fields={"range": ref, "first": first},
                sheet=SheetRef(name, row=row or None),
            )
        )
    return problems


def _formulas(name: str, content: SheetData) -> list[Problem]:
    return [
        make_problem(
            "FR032",
            fields={"cell": ref, "formula": short(formula, 60)},
            sheet=SheetRef(name, row=row),
        )
        for ref, formula, row in content.uncached
    ]


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
    name: str, rows: list[tuple[int, dict[int, Any]]], width: int, skip: set[int]
) -> tuple[list[tuple[Any, ...]], list[int], list[Problem]]:
    """The non-empty data rows cut to ``width`` cells, their row numbers, and FR023 for rows
    with values beyond the named columns. Rows in ``skip`` (reported already) are left out."""
    good: list[tuple[Any, ...]] = []
    positions: list[int] = []
    problems: list[Problem] = []
    for rownum, cells in rows:
        values = {k: spreadsheet_value(v) for k, v in cells.items() if v not in (None, "")}
        if not values or rownum in skip:
            continue
        if any(k >= width for k in values):
            problems.append(_beyond(name, width, rownum))
            continue
        good.append(tuple(values.get(k) for k in range(width)))
        positions.append(rownum)
    return good, positions, problems
