"""The fast path of XLSX reading: the cells read by python-calamine (a Rust reader), taken
only when a check at C speed shows that they are exactly what the exact reader
(:mod:`fidelity.ratings.readers._xlsx_parts`, expat) would read; otherwise ``None`` and the
caller reads the worksheet with the exact reader.

The worksheet part is inflated once within the exact reader's size bounds, and its
``<sheetData>`` must match, as a whole, one compiled regular expression that admits only what
both readers read alike:

* each ``<row>`` has its number (``r``), the numbers increase, and each ``<c>`` names its
  address in that row (calamine places a cell by its address, the exact reader by its row);
  columns up to ``OZ`` (416) only;
* a cell is an inline string (plain text: no rich text, no ``_xHHHH_`` escape, which calamine
  decodes, no carriage return, which XML normalises), a shared string whose index exists, a
  boolean ``0``/``1``, an empty cell, or a number whose text tells an integer (up to 15
  digits) from a fraction (a nonzero fractional digit, 15 digits at most; calamine reads both
  as a float), in a cell format whose number format both readers agree on: one of a list of
  plain number formats, or, for a whole-day serial after 1 March 1900, one of a list of date
  formats;
* no formula, no merged cell, no DTD, no cell or row outside ``<sheetData>`` (the rest of the
  part is parsed by expat), UTF-8 only; shared strings plain or rich text without phonetic
  runs; a workbook on the 1904 date system is read by the exact reader;
* calamine holds a sheet as a dense grid, so the rows times the columns used (and the declared
  dimension) must stay within a bound of the cells the part holds.

From calamine's grid the columns are built directly (numbers back to ``int`` where the text
was an integer, dates as ISO text), with the exact reader's rules for empty rows and for
values beyond the named columns.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

import numpy as np
from numpy.typing import NDArray
from python_calamine import CalamineError, CalamineWorkbook

from fidelity._util.panics import is_rust_panic
from fidelity.ratings.readers._common import spreadsheet_value
from fidelity.ratings.readers._xlsx_parts import (
    Sheet,
    Workbook,
    XlsxRefused,
    check_size,
    inflate,
)

__all__ = ["Grid", "at_most", "read_fast"]

_BUILTIN_IDS = frozenset({*range(0, 5), *range(9, 18), 22, *range(37, 41), 48, 49})
"""Built-in number format ids whose codes are classified below (ids from 164 are custom)."""
_NUMBER_CODES = frozenset(
    {
        "General",
        "0",
        "0.00",
        "#,##0",
        "#,##0.00",
        "0%",
        "0.00%",
        "0.00E+00",
        "# ?/?",
        "# ??/??",
        "#,##0_);(#,##0)",
        "#,##0_);[Red](#,##0)",
        "#,##0.00_);(#,##0.00)",
        "#,##0.00_);[Red](#,##0.00)",
        "##0.0E+0",
        "@",
        "0.000",
        "#,##0.0",
    }
)
"""Number formats both readers show as numbers."""
_DATE_CODES = frozenset(
    {
        "mm-dd-yy",
        "d-mmm-yy",
        "d-mmm",
        "mmm-yy",
        "m/d/yy h:mm",
        "yyyy-mm-dd",
        "yyyy-mm-dd h:mm:ss",
        "dd/mm/yyyy",
        "d/m/yyyy",
        "m/d/yyyy",
        "dd.mm.yyyy",
    }
)
"""Number formats both readers show as dates."""
_SPARE_CELLS = 1_000_000
"""Grid cells allowed beyond one per four bytes of ``<sheetData>`` (calamine's grid is dense;
a cell takes 11 bytes at least, and the exact reader holds about as much per byte)."""

_CHAR = rb"[^<>&\r_\x00-\x08\x0b\x0c\x0e-\x1f]*+"
_TEXT = _CHAR + rb"(?:(?:&(?:amp|lt|gt|quot|apos);|_(?!x))" + _CHAR + rb")*+"
_T = rb"<t(?: xml:space=\"preserve\")?>" + _TEXT + rb"</t>"
_NUMBER = rb"-?(?:\d{1,15}|(?=[\d.]{3,16}</v>)\d+\.\d*[1-9]\d*)"
_DAY = rb"(?:6[1-9]|[7-9]\d|[1-9]\d{2,5})"
_ROW_NUMBER = re.compile(rb'<row r="(\d{1,7})"')
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"'](?!utf-8[\"'])", re.IGNORECASE)
_WIDER = (
    (26, re.compile(rb'<c r="[A-Z]{2}')),
    (52, re.compile(rb'<c r="[B-Z][A-Z]')),
    (104, re.compile(rb'<c r="[D-Z][A-Z]')),
    (208, re.compile(rb'<c r="[H-Z][A-Z]')),
)
_ROW_ATTRS = (
    b"spans",
    b"s",
    b"customFormat",
    b"ht",
    b"hidden",
    b"customHeight",
    b"outlineLevel",
    b"collapsed",
    b"thickTop",
    b"thickBot",
    b"ph",
    b"x14ac:dyDescent",
)
"""The attributes a row may have after ``r``, in the schema's order (each at most once: a
repeated attribute is an XML error); ``x14ac:dyDescent`` only where its prefix is declared."""
_OUTSIDE = frozenset({"sheetData", "row", "c", "v", "f", "is", "mergeCell"})
_SST = re.compile(
    rb"<sst\b[^>]*>(?:<si>(?:"
    + _T
    + rb"|<t ?/>|(?:<r>(?:<rPr>(?:<[A-Za-z]+(?: [A-Za-z]+=\"[^\"<]*\")*"
    rb" ?/>)*</rPr>)?" + _T + rb"</r>)+)</si>|<si ?/>)*+</sst>"
)


class _Decline(Exception):
    """The fast path cannot promise the exact reader's result."""


@dataclass
class Grid:
    """The worksheet as calamine reads it: every row from row 1, every column from A."""

    rows: list[list[Any]]

    def header(self) -> tuple[Any, ...]:
        """The cells of row 1 (empty cells as ``None``, integers as ``int``)."""
        return tuple(_number(v) for v in self.rows[0]) if self.rows else ()

    def table(self, width: int) -> tuple[list[NDArray[Any]], list[int], list[int]] | None:
        """The columns of the data rows with a value within ``width`` columns, their row
        numbers, and the numbers of the rows with values beyond; ``None`` if a cell holds a
        type the exact reader never gives."""
        n = len(self.rows)
        cells = list(zip(*self.rows, strict=True))
        arrays, filled = [], []
        for col in cells:
            arr = np.empty(n, dtype=object)
            arr[:] = col
            arrays.append(arr)
            filled.append(arr != "")
        used = np.logical_or.reduce(filled[:width]) if width else np.zeros(n, dtype=bool)
        beyond = np.logical_or.reduce(filled[width:]) if len(filled) > width else np.zeros(n, bool)
        used[:1] = beyond[:1] = False
        good = used & ~beyond
        columns = []
        for k in range(width):
            kinds = set(map(type, cells[k]))
            if not kinds <= _KINDS:
                return None
            arr, hit = arrays[k][good], filled[k][good]
            arr[~hit] = None
            if kinds & _CONVERT:
                arr[:] = [_plain(v) for v in arr.tolist()]
            columns.append(arr)
        rows = (np.flatnonzero(good) + 1).tolist()
        return columns, rows, (np.flatnonzero(beyond) + 1).tolist()


_KINDS = frozenset({str, float, int, bool, _dt.date, _dt.datetime})
"""The types calamine gives for the cells the fast path admits."""
_CONVERT = frozenset({float, _dt.date, _dt.datetime})


def _number(v: Any) -> Any:
    """A calamine value as the exact reader gives it: ``""`` as ``None``, a whole float as
    ``int`` (the fast path admits a whole number only from integer text)."""
    if type(v) is float:
        return int(v) if v.is_integer() else v
    return None if v == "" and isinstance(v, str) else v


def _plain(v: Any) -> Any:
    """A data cell as validation sees it: :func:`_number`, and a date as ISO text."""
    return spreadsheet_value(_number(v))


def read_fast(book: Workbook, sheet: Sheet, data: bytes) -> Grid | None:
    """The worksheet read by calamine, or ``None`` when only the exact reader can say what
    it holds."""
    try:
        return _read(book, sheet, data)
    except (_Decline, XlsxRefused, CalamineError, zipfile.BadZipFile, OSError, ValueError):
        return None
    except BaseException as exc:  # a panic in the Rust reader is not an Exception
        if is_rust_panic(exc):  # the exact reader says what the workbook holds
            return None
        raise


def _read(book: Workbook, sheet: Sheet, data: bytes) -> Grid:
    if book.epoch_1904 or sum(s.name == sheet.name for s in book.sheets) != 1:
        raise _Decline
    # calamine finds these parts by their usual names, the exact reader by the relationships
    styles_part = "xl/styles.xml" if "xl/styles.xml" in book.zf.namelist() else None
    if book.parts.get("officeDocument") != "xl/workbook.xml" or (
        book.parts.get("styles") != styles_part
    ):
        raise _Decline
    for info in book.zf.infolist():
        check_size(info.filename, info.file_size, info.compress_size)
    xml = inflate(book.zf, sheet.part)
    start = xml.find(b"<sheetData")
    close = xml.rfind(b"</sheetData>")
    end = close + len(b"</sheetData>") if close >= 0 else xml.find(b">", start) + 1
    if start < 0 or end <= start or xml.startswith(b"\xef\xbb\xbf"):
        raise _Decline
    _check_frame(xml[:start], xml[end:])
    _check_utf8(xml)
    styles = (*_styles(book), b'xmlns:x14ac="' in xml[:start])
    if _pattern(*styles, 0).fullmatch(xml, start, end) is None:
        # shared strings (written by spreadsheet programs) are checked only when used
        strings = _check_strings(book)
        if not strings or _pattern(*styles, strings).fullmatch(xml, start, end) is None:
            raise _Decline
    _check_grid(xml, start, end)
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = workbook.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
    if not any(v != "" for row in rows for v in row):
        raise _Decline
    return Grid(rows)


def _check_utf8(xml: bytes) -> None:
    """UTF-8 without the two noncharacters XML forbids (U+FFFE, U+FFFF)."""
    if not xml.isascii():
        xml.decode("utf-8")
        if b"\xef\xbf\xbe" in xml or b"\xef\xbf\xbf" in xml:
            raise _Decline


def _check_frame(head: bytes, tail: bytes) -> None:
    """The worksheet part around ``<sheetData>``: well-formed, no DTD, no merged cell, no
    cell or row outside it, UTF-8."""
    if _ENCODING.search(head):
        raise _Decline
    parser = expat.ParserCreate(namespace_separator="|")

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition("|")[2] in _OUTSIDE:
            raise _Decline

    def refuse(*_: object) -> None:
        raise _Decline

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(head + tail, True)
    except expat.ExpatError:
        raise _Decline from None


def _check_strings(book: Workbook) -> int:
    """The number of shared strings, when calamine reads them as the exact reader does."""
    if book.parts.get("sharedStrings") != "xl/sharedStrings.xml":
        return 0
    xml = inflate(book.zf, "xl/sharedStrings.xml")
    start = xml.find(b"<sst")
    if start < 0 or _ENCODING.search(xml, 0, start) or b"<!" in xml:
        raise _Decline
    _check_utf8(xml)
    if _SST.fullmatch(xml, start, len(xml.rstrip())) is None:
        raise _Decline
    return len(book.strings)


def _styles(book: Workbook) -> tuple[tuple[int, ...], tuple[int, ...], bool]:
    """The cell formats a number may have (as a number, as a date), and whether a number may
    have none."""
    numbers, dates = [], []
    for k, (fmt, code) in enumerate(book.formats):
        if fmt in book.redefined or (fmt < 164 and fmt not in _BUILTIN_IDS):
            continue
        if code in _NUMBER_CODES:
            numbers.append(k)
        elif code in _DATE_CODES:
            dates.append(k)
    return tuple(numbers), tuple(dates), not book.formats or 0 in numbers


@functools.lru_cache(maxsize=64)
def _pattern(
    numbers: tuple[int, ...], dates: tuple[int, ...], plain: bool, x14ac: bool, strings: int
) -> re.Pattern[bytes]:
    """The ``<sheetData>`` element the fast path reads (see the module docstring)."""

    def styles(ks: tuple[int, ...]) -> bytes:
        return rb' s="(?:' + b"|".join(b"%d" % k for k in ks) + rb')"' if ks else rb"(?!)"

    any_style = rb'(?: s="\d{1,5}")?'
    if numbers:
        number_style = b"(?:" + styles(numbers) + (b")?" if plain else b")")
    else:
        number_style = b"" if plain else rb"(?!)"
    shared = at_most(strings - 1).encode() if strings else rb"(?!)"
    cell = (
        rb'<c r="(?:[A-Z]|[A-O][A-Z])\1"(?:'
        + any_style
        + rb' t="inlineStr"(?:><is>(?:'
        + _T
        + rb"|<t ?/>)</is></c>| ?/>|></c>)"
        + rb"|(?:"
        + number_style
        + rb')(?: t="n")?(?:><v>'
        + _NUMBER
        + rb"</v></c>| ?/>|></c>)"
        + rb"|"
        + any_style
        + rb' t="s"(?:><v>(?:'
        + shared
        + rb")</v></c>| ?/>|></c>)"
        + rb"|"
        + any_style
        + rb' t="b"(?:><v>[01]</v></c>| ?/>|></c>)'
        + rb"|"
        + styles(dates)
        + rb'(?: t="n")?><v>'
        + _DAY
        + rb"</v></c>"
        + rb"|"
        + any_style
        + rb'(?: t="n")?(?: ?/>|></c>)'
        + rb")"
    )
    attrs = b"".join(rb"(?: %s=\"[^\"<>&]*\")?" % a for a in _ROW_ATTRS[: None if x14ac else -1])
    row = rb'<row r="([1-9]\d{0,6})"' + attrs + rb" ?(?:/>|>(?:" + cell + rb")*+</row>)"
    return re.compile(rb"<sheetData ?/>|<sheetData>(?:" + row + rb")*+</sheetData>")


def _check_grid(xml: bytes, start: int, end: int) -> None:
    """Rows in increasing order, and calamine's dense grid within the bound."""
    numbers = np.fromiter(map(int, _ROW_NUMBER.findall(xml, start, end)), dtype=np.int64)
    if (np.diff(numbers) <= 0).any():
        raise _Decline
    limit = (end - start) // 4 + _SPARE_CELLS
    height = int(numbers[-1]) if numbers.size else 0
    dimension = _DIMENSION.search(xml, 0, start)
    if dimension is not None:
        first, last = dimension.group(1, 2), dimension.group(3, 4)
        if last[0] is not None:
            cols = _column(last[0]) - _column(first[0]) + 1
            rows = int(last[1]) - int(first[1]) + 1
            if cols * rows > limit:
                raise _Decline
    width = 416
    for bound, wider in _WIDER:
        if height * width <= limit:
            return
        if wider.search(xml, start, end) is None:
            width = bound
            break
    if height * width > limit:
        raise _Decline


def _column(letters: bytes) -> int:
    col = 0
    for c in letters:
        col = col * 26 + c - 64
    return col


def at_most(top: int) -> str:
    """A regular expression matching the decimal integers from 0 to ``top`` (no leading
    zeros), and nothing else."""
    digits = str(top)
    k = len(digits)
    alts = [digits]
    if k == 1:
        alts.append(f"[0-{digits}]")
    else:
        alts.append("0|[1-9]" + (rf"\d{{0,{k - 2}}}" if k > 2 else ""))
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            rest = rf"\d{{{k - i - 1}}}" if k - i - 1 else ""
            alts.append(f"{digits[:i]}[{low}-{int(d) - 1}]{rest}")
    return "|".join(alts)
