"""The parts of an XLSX package, read with bounded streaming.

Why not openpyxl: its read-only mode trusts the sheet's ``<dimension>`` element (an understated
one drops rows without a word; one claiming ``A1:XFD1048576`` pads every row to 16,384 cells and
runs for ever), inflates parts without a size bound (a small zip bomb ends in ``MemoryError``)
and fails on a DTD with an error that is not about the file. Here each XML part is streamed
through the standard library's expat parser in 64 KiB chunks:

* the rows are the ``<row>`` elements the file holds, whatever the dimension declares; a cell
  far to the right costs one dictionary entry, never a padded row;
* a part whose uncompressed size is over :data:`MAX_PART_BYTES` is refused before it is
  inflated (and the bytes actually inflated are counted too, should the size be forged);
* a document type declaration (the door to entity expansion, "billion laughs", and external
  entities) is refused as soon as the parser meets it; no spreadsheet program writes one.

Cell values follow openpyxl's reading (``data_only``): numbers as ``int`` or ``float``, date
formats as :class:`~datetime.datetime`, shared and inline strings, booleans, error values as
their text (``#DIV/0!``), a formula as its cached value. openpyxl is still used for the number
formats that mean a date and for Excel's date arithmetic.

This is the exact reader: every worksheet the fast path
(:mod:`fidelity.ratings.readers._xlsx_fast`, python-calamine) cannot promise to read alike is
read here, and the package parts (relationships, sheets, shared strings, styles) are always
read here. Measured in ``benchmarks/bench_xlsx.py`` against the fast path, openpyxl's
read-only reader and calamine alone.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

__all__ = [
    "MAX_PART_BYTES",
    "Sheet",
    "Workbook",
    "XlsxRefused",
    "check_size",
    "inflate",
    "open_workbook",
    "read_sheet",
]

MAX_PART_BYTES = 1024 * 1024 * 1024
"""The largest uncompressed XML part read (a worksheet of a million filled cells is ~40 MB)."""
MAX_RATIO = 100
"""The largest compression ratio of a part over :data:`RATIO_FROM` bytes: worksheets compress
5 to 20 times, a zip bomb a thousand times and more."""
RATIO_FROM = 16 * 1024 * 1024
CHUNK = 64 * 1024
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)$")


class XlsxRefused(Exception):
    """The workbook is refused (a DTD, a part too large, a missing part): the message says
    why, for the FR030 problem."""


@dataclass
class Sheet:
    """A worksheet listed by the workbook."""

    name: str
    state: str
    part: str


@dataclass
class Workbook:
    """What reading a worksheet needs from the rest of the package."""

    zf: zipfile.ZipFile
    sheets: list[Sheet]
    strings: list[str] = field(default_factory=list)
    date_styles: frozenset[int] = frozenset()
    epoch_1904: bool = False
    formats: list[tuple[int, str]] = field(default_factory=list)
    """Per cell format (``cellXfs`` index): its number format id and format code."""
    redefined: frozenset[int] = frozenset()
    """Built-in number format ids the workbook redefines with a code of its own."""
    parts: dict[str, str] = field(default_factory=dict)
    """The part read for the workbook, its shared strings and its styles (by their kind:
    ``officeDocument``, ``sharedStrings``, ``styles``)."""


@dataclass
class Cell:
    """The cell being read."""

    col: int = 0
    ref: str = ""
    kind: str = "n"
    style: int = 0
    value: list[str] = field(default_factory=list)
    formula: list[str] | None = None
    has_value: bool = False


_LOCAL: dict[str, str] = {}
"""Qualified element name (``namespace|local``) -> local name, filled as names are met."""


def _local(name: str) -> str:
    local = _LOCAL.get(name)
    if local is None:
        local = _LOCAL.setdefault(name, name.rpartition("|")[2]) if len(_LOCAL) < 4096 else None
    return local if local is not None else name.rpartition("|")[2]


def _refuse_dtd(part: str) -> Callable[..., None]:
    def refuse(*_: object) -> None:
        raise XlsxRefused(f"{part} declares a DTD (document type); refused for safety")

    return refuse


def _stream(
    zf: zipfile.ZipFile,
    part: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None] | None = None,
    *,
    qualified: bool = False,
) -> None:
    """Feed ``part`` through expat in chunks, calling ``start``/``end`` with local names (with
    ``namespace|local`` names when ``qualified``: the caller maps them, one call less per
    element)."""
    try:
        info = zf.getinfo(part)
    except KeyError:
        raise XlsxRefused(f"the part {part} is missing") from None
    check_size(part, info.file_size, info.compress_size)
    parser = expat.ParserCreate(namespace_separator="|")
    parser.StartDoctypeDeclHandler = _refuse_dtd(part)
    parser.EntityDeclHandler = _refuse_dtd(part)
    if qualified:
        parser.StartElementHandler = start
        parser.EndElementHandler = end
    else:
        parser.StartElementHandler = lambda name, attrs: start(_local(name), attrs)
        parser.EndElementHandler = lambda name: end(_local(name))
    if text is not None:
        parser.CharacterDataHandler = text
    parser.buffer_text = True
    inflated = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                inflated += len(chunk)
                check_size(part, inflated, info.compress_size, inflated=True)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise XlsxRefused(f"{part} is not well-formed XML ({exc})") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise XlsxRefused(f"{part} cannot be inflated ({exc})") from None


def check_size(part: str, size: int, compressed: int, *, inflated: bool = False) -> None:
    """Refuse a part larger than :data:`MAX_PART_BYTES` uncompressed, or one over
    :data:`RATIO_FROM` bytes compressed more than :data:`MAX_RATIO` times."""
    what = "inflated to" if inflated else "declared as"
    if size > MAX_PART_BYTES:
        raise XlsxRefused(
            f"{part} {what} {size:,} bytes uncompressed, over the limit of "
            f"{MAX_PART_BYTES:,} (a zip bomb, or a sheet far larger than rating sheets are)"
        )
    if size > RATIO_FROM and size > MAX_RATIO * max(compressed, 1):
        raise XlsxRefused(
            f"{part} {what} {size:,} bytes uncompressed from {compressed:,}: compressed "
            f"{size // max(compressed, 1):,} times, over the {MAX_RATIO} of real worksheets "
            "(a zip bomb)"
        )


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, target part) of ``part``."""
    folder, base = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            kind = attrs.get("Type", "").rpartition("/")[2]
            found[attrs.get("Id", "")] = (kind, posixpath.normpath(path))

    _stream(zf, rels_part, start, lambda name: None)
    return found


def open_workbook(zf: zipfile.ZipFile) -> Workbook:
    """The worksheets of the package (in the workbook's order), shared strings and styles."""
    main = next((t for k, t in _rels(zf, "").values() if k == "officeDocument"), None)
    if main is None:
        raise XlsxRefused("the package names no workbook part")
    rels = _rels(zf, main)
    book = Workbook(zf, [], parts={"officeDocument": main})

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "sheet":
            kind, target = rels.get(attrs.get(f"{_REL}|id", ""), ("", ""))
            if kind == "worksheet":
                book.sheets.append(
                    Sheet(attrs.get("name", ""), attrs.get("state", "visible"), target)
                )
        elif name == "workbookPr":
            book.epoch_1904 = attrs.get("date1904", "0") in ("1", "true")

    _stream(zf, main, start, lambda name: None)
    for kind, target in rels.values():
        if kind == "sharedStrings":
            book.strings = _shared_strings(zf, target)
            book.parts[kind] = target
        elif kind == "styles":
            book.formats, book.redefined = _formats(zf, target)
            book.parts[kind] = target
    book.date_styles = _date_styles(book.formats)
    return book


def _shared_strings(zf: zipfile.ZipFile, part: str) -> list[str]:
    strings: list[str] = []
    buf: list[str] = []
    state = {"t": False, "skip": 0}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "si":
            buf.clear()
        elif name == "t":
            state["t"] = True
        elif name in ("rPh", "phoneticPr"):
            state["skip"] += 1

    def end(name: str) -> None:
        if name == "si":
            strings.append("".join(buf))
        elif name == "t":
            state["t"] = False
        elif name in ("rPh", "phoneticPr"):
            state["skip"] -= 1

    def text(data: str) -> None:
        if state["t"] and not state["skip"]:
            buf.append(data)

    _stream(zf, part, start, end, text)
    return strings


def _formats(zf: zipfile.ZipFile, part: str) -> tuple[list[tuple[int, str]], frozenset[int]]:
    """The number format (id, code) of each cell format (``cellXfs``), and the built-in ids
    the workbook redefines."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    formats: dict[int, str] = dict(BUILTIN_FORMATS)
    redefined: set[int] = set()
    xfs: list[int] = []
    inside = [False]

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "numFmt":
            fmt = int(attrs.get("numFmtId", "0"))
            formats[fmt] = attrs.get("formatCode", "")
            if fmt in BUILTIN_FORMATS:
                redefined.add(fmt)
        elif name == "cellXfs":
            inside[0] = True
        elif name == "xf" and inside[0]:
            xfs.append(int(attrs.get("numFmtId", "0")))

    def end(name: str) -> None:
        if name == "cellXfs":
            inside[0] = False

    _stream(zf, part, start, end)
    return [(fmt, formats.get(fmt, "")) for fmt in xfs], frozenset(redefined)


def _date_styles(formats: list[tuple[int, str]]) -> frozenset[int]:
    """The indices of the cell formats whose number format shows a date."""
    from openpyxl.styles.numbers import is_date_format

    return frozenset(k for k, (_, code) in enumerate(formats) if is_date_format(code))


def inflate(zf: zipfile.ZipFile, part: str) -> bytes:
    """The bytes of ``part``, refused (:class:`XlsxRefused`) over the size bounds."""
    try:
        info = zf.getinfo(part)
    except KeyError:
        raise XlsxRefused(f"the part {part} is missing") from None
    check_size(part, info.file_size, info.compress_size)
    try:  # zipfile inflates no more than the declared size, then checks the CRC
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise XlsxRefused(f"{part} cannot be inflated ({exc})") from None


def column_name(col: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA``."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def _column(ref: str, previous: int) -> int:
    if not ref:
        return previous + 1
    match = _CELL_REF.match(ref)
    if match is None:
        raise XlsxRefused(f"the cell reference {ref!r} is not a cell address")
    col = 0
    for letter in match.group(1):
        col = col * 26 + ord(letter) - 64
    if col > 16384:
        raise XlsxRefused(f"the cell reference {ref!r} is beyond column XFD")
    return col - 1


@dataclass
class SheetData:
    """What a worksheet holds: rows of (row number, column -> value), merged ranges, and the
    formula cells that have no cached value (address, formula, row)."""

    rows: list[tuple[int, dict[int, Any]]] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    uncached: list[tuple[str, str, int]] = field(default_factory=list)


def read_sheet(book: Workbook, sheet: Sheet) -> SheetData:
    """Every row the worksheet's XML holds, whatever its dimension declares."""
    reader = _SheetReader(book)
    _stream(book.zf, sheet.part, reader.start, reader.end, reader.text, qualified=True)
    return reader.data


class _SheetReader:
    """Expat callbacks that build :class:`SheetData`."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.data = SheetData()
        self.row = 0
        self.cells: dict[int, Any] = {}
        self.cell = Cell()
        self.capture: list[str] | None = None
        self.skip = 0

    def start(self, qname: str, attrs: dict[str, str]) -> None:
        name = _LOCAL.get(qname) or _local(qname)
        if name == "c":
            col = _column(attrs.get("r", ""), self.cell.col if self.cells else -1)
            ref = attrs.get("r") or f"{column_name(col)}{self.row}"
            self.cell = Cell(col, ref, attrs.get("t", "n"), int(attrs.get("s", "0") or 0))
        elif name == "v":
            self.cell.has_value = True
            self.capture = self.cell.value
        elif name == "t" and not self.skip:
            self.capture = self.cell.value
        elif name == "f":
            self.cell.formula = []
            self.capture = self.cell.formula
        elif name == "rPh":
            self.skip += 1
        elif name == "row":
            self.row = int(attrs["r"]) if attrs.get("r") else self.row + 1
            self.cells = {}
        elif name == "mergeCell":
            self.data.merged.append(attrs.get("ref", ""))

    def end(self, qname: str) -> None:
        name = _LOCAL.get(qname) or _local(qname)
        if name == "c":
            self._finish_cell()
        elif name in ("v", "t", "f"):
            self.capture = None
        elif name == "rPh":
            self.skip -= 1
        elif name == "row" and self.cells:
            self.data.rows.append((self.row, self.cells))

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.capture.append(data)

    def _finish_cell(self) -> None:
        cell = self.cell
        cached = cell.has_value and (cell.kind == "str" or any(cell.value))
        if cell.formula is not None and not cached and cell.kind != "inlineStr":
            self.data.uncached.append((cell.ref, "".join(cell.formula), self.row))
            self.cells[cell.col] = None
            return
        value = _value(self.book, cell)
        if value is not None:
            self.cells[cell.col] = value


def _value(book: Workbook, cell: Cell) -> Any:
    text = "".join(cell.value)
    if cell.kind == "inlineStr":
        return text
    if not cell.has_value or (not text and cell.kind != "str"):
        return None
    if cell.kind == "s":
        try:
            return book.strings[int(text)]
        except (ValueError, IndexError):
            raise XlsxRefused(
                f"cell {cell.ref} names a shared string that does not exist"
            ) from None
    if cell.kind in ("str", "e"):
        return text
    if cell.kind == "b":
        return text.strip() in ("1", "true")
    if cell.kind == "d":
        from openpyxl.utils.datetime import from_ISO8601

        return from_ISO8601(text)
    try:
        number: float = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise XlsxRefused(f"cell {cell.ref} holds {text[:40]!r}, which is not a number") from None
    if cell.style in book.date_styles:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        try:
            return from_excel(
                number, CALENDAR_MAC_1904 if book.epoch_1904 else CALENDAR_WINDOWS_1900
            )
        except (OverflowError, ValueError):
            return number  # no date (before year 1 or after 9999): the number as it is
    return number
