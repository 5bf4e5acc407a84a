"""The fast path of XLSX reading (python-calamine behind a C-speed check) gives exactly the
exact reader's segment, and declines whatever it cannot promise: every workbook here is read
both ways (the autouse fixture of ``conftest.py`` does the same for every workbook any rating
test reads)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_support import edit_part

from fidelity.ratings.readers import xlsx
from fidelity.ratings.readers._xlsx_fast import at_most, read_fast
from fidelity.ratings.readers._xlsx_parts import open_workbook

HEADER = ["assessment", "rater", "site", "a1", "a2", "a3", "b1"]
SHEET = "xl/worksheets/sheet1.xml"


def _book(rows: list[list[Any]], formats: dict[int, str] | None = None) -> bytes:
    """A workbook written by openpyxl: ``HEADER`` then ``rows``; ``formats`` gives a column's
    number format."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "ratings"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
        for col, fmt in (formats or {}).items():
            sheet.cell(row=sheet.max_row, column=col + 1).number_format = fmt
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _fast(data: bytes) -> bool:
    """Whether the fast path reads the workbook (rather than declining)."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    book = open_workbook(zf)
    return read_fast(book, book.sheets[0], data) is not None


@pytest.fixture
def agree(key_of: Callable[[Any], Any]) -> Callable[[bytes], Any]:
    """Read a workbook both ways, assert equal segments, return the fast path's."""

    def agree(data: bytes) -> Any:
        fast = xlsx._read("b.xlsx", data, fast=True)
        assert key_of(fast) == key_of(xlsx._read("b.xlsx", data, fast=False))
        return fast

    return agree


ROWS = [
    ["A1", "r", "north", 4, 1, 0, 3],
    ["A2", "r", "south", 2.5, None, "NA", True],
    [None, None, None, None, None, None, None],
    ["A3", "r2", "north", "4", "  x  ", "a & b < c", False],
]


def test_a_plain_workbook_is_read_on_the_fast_path_as_the_exact_reader_reads_it(
    agree: Callable[[bytes], Any],
) -> None:
    data = _book(ROWS)
    assert _fast(data)
    seg = agree(data)
    assert seg.positions.tolist() == [2, 3, 5]
    assert [type(v) for v in seg.ratings["a1"]] == [int, float, str]


def test_dates_read_as_iso_text_on_the_fast_path(agree: Callable[[bytes], Any]) -> None:
    rows = [[f"A{k}", "r", "n", 1, 2, 3, dt.date(2024, 5, k + 1)] for k in range(3)]
    data = _book(rows, {6: "yyyy-mm-dd"})
    assert _fast(data)
    assert agree(data).ratings["b1"].tolist() == ["2024-05-01", "2024-05-02", "2024-05-03"]


@pytest.mark.parametrize(
    "change",
    [
        lambda x: x.replace("<v>4</v>", "<f>2+2</f><v>4</v>", 1),  # a formula
        lambda x: x.replace("<v>4</v>", "<v>4.0</v>", 1),  # integral text with a point
        lambda x: x.replace("<v>4</v>", "<v>4E0</v>", 1),  # an exponent
        lambda x: x.replace("<t>north</t>", "<t>no_x000D_rth</t>", 1),  # an escape
        lambda x: x.replace(
            "</sheetData>",
            '</sheetData><mergeCells count="1"><mergeCell ref="C2:C3"/></mergeCells>',
        ),
        lambda x: x.replace('<c r="D2"', '<c r="D9"', 1),  # an address outside its row
        lambda x: x.replace('<c r="G5"', '<c r="XFD5"', 1),  # a cell far to the right
        lambda x: x.replace('<row r="5"', '<row r="1"', 1),  # rows out of order
        lambda x: "<!DOCTYPE x>" + x,  # a DTD
        lambda x: x.replace("<t>north</t>", "<r><t>no</t></r>", 1),  # rich inline text
        lambda x: x.replace("&amp;", "&#38;", 1),  # a character reference
        lambda x: x.replace('<row r="2"', '<row r="2" ht="15" ht="16"', 1),  # a repeated attribute
        lambda x: x.replace('<row r="2"', '<row r="2" x14ac:dyDescent="0.25"', 1),  # unbound
        lambda x: x.replace("<t>north</t>", "<t>no\ufffeth</t>", 1),  # a noncharacter
        lambda x: x.replace("<t>north</t>", "<t>no\rth</t>", 1),  # a carriage return
        lambda x: x.replace('<dimension ref="A1:G5"', '<dimension ref="A1:XFD1048576"', 1),
        lambda x: x.replace('<row r="5"><c r="A5"', '<row r="005"><c r="A005"', 1),  # zeros
    ],
    ids=[
        "formula",
        "4.0",
        "exponent",
        "escape",
        "merged",
        "address",
        "far",
        "order",
        "dtd",
        "rich",
        "charref",
        "repeated",
        "unbound",
        "fffe",
        "cr",
        "dimension",
        "zeros",
    ],
)
def test_what_the_fast_path_cannot_promise_goes_to_the_exact_reader(
    change: Callable[[str], str], agree: Callable[[bytes], Any]
) -> None:
    data = edit_part(_book(ROWS), SHEET, change)
    assert not _fast(data)
    agree(data)


def test_a_panic_in_calamine_goes_to_the_exact_reader(
    monkeypatch: pytest.MonkeyPatch, agree: Callable[[bytes], Any]
) -> None:
    from fidelity.ratings.readers import _xlsx_fast

    panic = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

    def panics(*args: Any) -> Any:
        raise panic("index out of bounds")

    data = _book(ROWS)
    assert _fast(data)
    monkeypatch.setattr(_xlsx_fast.CalamineWorkbook, "from_filelike", panics)
    assert not _fast(data)
    agree(data)
    other = type("Stop", (BaseException,), {})
    monkeypatch.setattr(_xlsx_fast.CalamineWorkbook, "from_filelike", lambda *a: _raise(other()))
    with pytest.raises(other):
        _fast(data)


def _raise(exc: BaseException) -> Any:
    raise exc


def test_rows_as_spreadsheet_programs_write_them_are_read_on_the_fast_path(
    agree: Callable[[bytes], Any],
) -> None:
    def excel(xml: str) -> str:
        xml = xml.replace(
            "<worksheet ",
            '<worksheet xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" ',
        )
        return re.sub(r'<row r="(\d+)">', r'<row r="\1" spans="1:7" x14ac:dyDescent="0.25">', xml)

    data = edit_part(_book(ROWS), SHEET, excel)
    assert b"x14ac:dyDescent" in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    assert _fast(data)
    agree(data)


def test_a_table_that_starts_below_or_right_of_a1_reads_alike(
    agree: Callable[[bytes], Any],
) -> None:
    from openpyxl import Workbook

    for top, left in [(3, 1), (1, 2), (4, 3)]:
        book = Workbook()
        sheet = book.active
        for i, row in enumerate([HEADER, *ROWS]):
            for j, value in enumerate(row):
                sheet.cell(row=top + i, column=left + j, value=value)
        buf = io.BytesIO()
        book.save(buf)
        assert _fast(buf.getvalue())
        agree(buf.getvalue())


def test_the_first_dates_after_the_1900_leap_day_read_alike(
    agree: Callable[[bytes], Any],
) -> None:
    days = [dt.date(1900, 3, 1), dt.date(1900, 3, 2), dt.date(2738, 12, 31)]
    data = _book([[f"A{k}", "r", "n", 1, 2, 3, d] for k, d in enumerate(days)])
    assert _fast(data)
    assert agree(data).ratings["b1"].tolist() == [d.isoformat() for d in days]
    early = _book([["A1", "r", "n", 1, 2, 3, dt.date(1900, 2, 27)]])  # serial 58
    assert not _fast(early)
    agree(early)


def test_empty_cells_with_any_format_are_read_on_the_fast_path(
    agree: Callable[[bytes], Any],
) -> None:
    # a template's columns formatted ahead of entry: empty cells in a date format
    data = edit_part(
        _book([["A1", "r", "n", 1, 2, 3, dt.date(2024, 5, 2)]]),
        SHEET,
        lambda x: x.replace(
            "</row></sheetData>",
            '</row><row r="3"><c r="G3" s="1"/></row>'
            '<row r="4"><c r="G4" s="1"></c></row></sheetData>',
        ),
    )
    assert _fast(data)
    assert agree(data).positions.tolist() == [2]


def test_a_date_format_outside_the_agreed_list_goes_to_the_exact_reader(
    agree: Callable[[bytes], Any],
) -> None:
    # "[h]:mm:ss" is a duration to calamine and a date to the exact reader
    data = _book([["A1", "r", "n", 1, 2, 3, 45414]], {6: "[h]:mm:ss"})
    assert not _fast(data)
    agree(data)


def test_shared_strings_are_read_on_the_fast_path_unless_they_hold_phonetic_runs(
    agree: Callable[[bytes], Any],
) -> None:
    strings = ["assessment", "rater", "north", "A1", "r"]

    def share(xml: str) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(2) not in strings:
                return match.group(0)
            return f'<c r="{match.group(1)}" t="s"><v>{strings.index(match.group(2))}</v></c>'

        return re.sub(r'<c r="(\w+)" t="inlineStr"><is><t>([^<]*)</t></is></c>', one, xml)

    def book(sst: str) -> bytes:
        data = edit_part(_book([["A1", "r", "north", 4, 1, 0, 3]]), SHEET, share)
        src = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                body = src.read(info)
                if info.filename == "xl/_rels/workbook.xml.rels":
                    body = body.replace(
                        b"</Relationships>",
                        b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://'
                        b"schemas.openxmlformats.org/officeDocument/2006/relationships/"
                        b'sharedStrings"/></Relationships>',
                    )
                dst.writestr(info.filename, body)
            dst.writestr("xl/sharedStrings.xml", sst)
        return out.getvalue()

    head = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    plain = "".join(f"<si><t>{s}</t></si>" for s in strings[:2])
    rich = '<si><r><rPr><b/><sz val="11"/></rPr><t>no</t></r><r><t>rth</t></r></si>'
    tail = '<si><t>A1</t></si><si><t xml:space="preserve"> r </t></si></sst>'
    data = book(head + plain + rich + tail)
    assert _fast(data)
    seg = agree(data)
    assert seg.fields["site"].tolist() == ["north"] and seg.fields["rater"].tolist() == [" r "]
    phonetic = rich.replace("</si>", "<rPh sb='0' eb='1'><t>N</t></rPh></si>")
    data = book(head + plain + phonetic + tail)
    assert not _fast(data)
    agree(data)
    short = book(head + plain + rich + "</sst>")  # indices 3 and 4 do not exist
    assert not _fast(short)
    assert xlsx.read_xlsx("b.xlsx", short).problems[0].code == "FR030"


@given(st.integers(0, 10**7))
def test_at_most_matches_exactly_the_integers_up_to_top(top: int) -> None:
    pattern = re.compile(at_most(top))
    probes = {0, 1, 9, 10, top, top + 1, top - 1, top // 2, top * 10, 10 ** len(str(top))}
    for n in probes - {-1}:
        assert (pattern.fullmatch(str(n)) is not None) == (n <= top), (top, n)
    assert pattern.fullmatch("0" + str(top)) is None


_TEXTS = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=8,
) | st.sampled_from(["4", "4.0", "-0", "1e3", " 2 ", "NA", "true", "", "_x000D_", "a\r\nb"])
_ORDINARY = st.one_of(
    st.none(),
    st.integers(-5, 10),
    st.sampled_from([0.5, 2.25, -1.5, 3.75, "NA", "", "4", " x ", "a&b<c>", "é"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
    st.booleans(),
)
_CELLS = st.one_of(
    _ORDINARY,
    st.none(),
    st.integers(-(10**16), 10**16),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.5, 2.25, 3.0, -1.5, 0.1]),
    st.booleans(),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 2), dt.datetime(2100, 1, 1)),
    _TEXTS,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_CELLS, min_size=0, max_size=9), max_size=8)
    | st.lists(st.lists(_ORDINARY, min_size=7, max_size=8), max_size=8),
    st.sampled_from([None, "yyyy-mm-dd", "0.00", "d/m/yyyy", "[h]:mm:ss", "@"]),
)
def test_the_fast_path_and_the_exact_reader_agree_on_any_written_workbook(
    key_of: Callable[[Any], Any], rows: list[list[Any]], fmt: str | None
) -> None:
    from openpyxl.utils.exceptions import IllegalCharacterError

    try:
        data = _book(rows, {k: fmt for k in range(9)} if fmt else None)
    except IllegalCharacterError:
        return
    fast = xlsx._read("b.xlsx", data, fast=True)
    assert key_of(fast) == key_of(xlsx._read("b.xlsx", data, fast=False))
