"""XLSX workbooks are read exactly as a person sees them: every row (whatever the declared
dimension says), the visible worksheet, merged cells and formulas without a cached value
reported by their address, and hostile files (DTDs, zip bombs, a dimension claiming the whole
grid) refused quickly with a clear problem instead of an internal error."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlsx_support import edit_part

from fidelity.instrument import Instrument
from fidelity.ratings import SheetRef, read_sheets, validate

HEADER = ["assessment", "rater", "site", "a1", "a2", "a3", "b1"]
SHEET = "xl/worksheets/sheet1.xml"


def _rows(n: int) -> list[list[object]]:
    return [[f"A{k}", "r", "north", 4, 1, 0, 3] for k in range(n)]


def _book(rows: list[list[object]], *, hidden_first: bool = False) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if hidden_first:
        sheet.title = "old"
        sheet.append(HEADER)
        sheet.append(["OLD", "r", "south", 0, 0, 0, 0])
        sheet.sheet_state = "hidden"
        sheet = book.create_sheet("entry")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _dimension(ref: str | None) -> Callable[[str], str]:
    def change(xml: str) -> str:
        new = "" if ref is None else f'<dimension ref="{ref}"/>'
        return re.sub(r"<dimension [^>]*/>", new, xml)

    return change


@pytest.fixture
def save(tmp_path: Path) -> Callable[[bytes], Path]:
    def save(data: bytes) -> Path:
        path = tmp_path / "sheets.xlsx"
        path.write_bytes(data)
        return path

    return save


@pytest.mark.parametrize("ref", ["A1:G3", "A1:G500", "A1", None], ids=str)
def test_every_row_is_read_whatever_the_declared_dimension(
    hand: Instrument, save: Callable[[bytes], Path], ref: str | None
) -> None:
    # a dimension understating the sheet (some writers produce it) must not drop rows
    data = edit_part(_book(_rows(108)), SHEET, _dimension(ref))
    path = save(data)
    batch = read_sheets(path)
    assert len(batch) == 108 and not batch.problems
    assert not validate(hand, path).errors


def test_a_dimension_claiming_the_whole_grid_costs_nothing(
    hand: Instrument, save: Callable[[bytes], Path]
) -> None:
    # read through the declared grid, 2,000 rows cost 33 million cells
    path = save(edit_part(_book(_rows(2000)), SHEET, _dimension("A1:XFD1048576")))
    start = time.perf_counter()
    batch = read_sheets(path)
    assert time.perf_counter() - start < 5
    assert len(batch) == 2000 and not batch.problems


def test_a_cell_far_to_the_right_is_reported_without_padding_the_grid(
    save: Callable[[bytes], Path],
) -> None:
    data = edit_part(
        _book(_rows(2)),
        SHEET,
        lambda xml: xml.replace(
            "</row></sheetData>",
            '<c r="XFD3" t="inlineStr"><is><t>stray</t></is></c></row></sheetData>',
        ),
    )
    batch = read_sheets(save(data))
    assert [(p.code, p.sheet.row if p.sheet else None) for p in batch.problems] == [("FR023", 3)]
    assert len(batch) == 1


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "forged"])
def test_a_zip_bomb_is_refused_with_a_problem(
    save: Callable[[bytes], Path], monkeypatch: pytest.MonkeyPatch, declared: bool
) -> None:
    # the bound lowered to 4 MiB to keep the test fast: a 44 MB sheet part of ~50 KB is
    # refused by its declared size, or (size forged) once 4 MiB have been inflated
    from fidelity.ratings.readers import _xlsx_parts

    monkeypatch.setattr(_xlsx_parts, "MAX_PART_BYTES", 4 * 1024 * 1024)
    row = "<row>" + '<c r="A2"/>' * 1000 + "</row>"
    head = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    data = edit_part(
        _book([]), SHEET, lambda xml: head + "<sheetData>" + row * 4000 + "</sheetData></worksheet>"
    )
    if not declared:  # the local header and central directory claim 100 bytes
        size = len(zipfile.ZipFile(io.BytesIO(data)).read(SHEET)).to_bytes(4, "little")
        data = data.replace(size, (100).to_bytes(4, "little"))
    path = save(data)
    assert path.stat().st_size < 1_000_000
    (p,) = read_sheets(path).problems
    assert p.code == "FR030" and SHEET in p.message
    assert ("declared as" in p.message) if declared else ("inflated" in p.message)


def test_a_zip_bomb_is_refused_by_its_compression_ratio(save: Callable[[bytes], Path]) -> None:
    # 22 MB of empty cells squeezed into ~20 KB: no worksheet compresses a thousand times
    row = "<row>" + '<c r="A2"/>' * 1000 + "</row>"
    head = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    data = edit_part(
        _book([]), SHEET, lambda xml: head + "<sheetData>" + row * 2000 + "</sheetData></worksheet>"
    )
    start = time.perf_counter()
    (p,) = read_sheets(save(data)).problems
    assert time.perf_counter() - start < 1
    assert p.code == "FR030" and "times" in p.message and SHEET in p.message


def test_a_dtd_is_refused_not_an_internal_error(save: Callable[[bytes], Path]) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    data = edit_part(
        _book(_rows(1)), SHEET, lambda xml: laughs + re.sub(r"<\?xml[^>]*\?>", "", xml)
    )
    (p,) = read_sheets(save(data)).problems
    assert p.code == "FR030" and "DTD" in p.message and SHEET in p.message


def test_a_dtd_in_the_workbook_part_is_refused(save: Callable[[bytes], Path]) -> None:
    data = edit_part(
        _book(_rows(1)),
        "xl/workbook.xml",
        lambda xml: "<!DOCTYPE x>" + re.sub(r"<\?xml[^>]*\?>", "", xml),
    )
    (p,) = read_sheets(save(data)).problems
    assert p.code == "FR030" and "DTD" in p.message


def test_merged_site_cells_are_reported_by_their_range(
    hand: Instrument, save: Callable[[bytes], Path]
) -> None:
    # a site typed once across four rows: only the first row holds it, so it is refused
    data = edit_part(
        _book(_rows(4)),
        SHEET,
        lambda xml: xml.replace(
            "</sheetData>",
            '</sheetData><mergeCells count="1"><mergeCell ref="C2:C5"/></mergeCells>',
        ),
    )
    path = save(data)
    problems = [p for p in read_sheets(path).problems if p.code == "FR031"]
    assert len(problems) == 1
    assert "C2:C5" in problems[0].message and problems[0].sheet == SheetRef(str(path), row=2)
    assert not validate(hand, path).ok


def test_the_visible_worksheet_is_read_not_a_hidden_first_one(
    hand: Instrument, save: Callable[[bytes], Path]
) -> None:
    batch = read_sheets(save(_book(_rows(2), hidden_first=True)))
    assert [r["assessment"] for r in batch.records()] == ["A0", "A1"]


def test_a_hidden_ratings_worksheet_is_refused(save: Callable[[bytes], Path]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "notes"
    ratings = book.create_sheet("ratings")
    ratings.append(HEADER)
    ratings.sheet_state = "hidden"
    buf = io.BytesIO()
    book.save(buf)
    (p,) = read_sheets(save(buf.getvalue())).problems
    assert p.code == "FR033" and "'ratings'" in p.message


def test_a_workbook_without_a_visible_worksheet_is_refused(save: Callable[[bytes], Path]) -> None:
    data = edit_part(
        _book(_rows(1)),
        "xl/workbook.xml",
        lambda xml: xml.replace('state="visible" r:id', 'state="hidden" r:id'),
    )
    (p,) = read_sheets(save(data)).problems
    assert p.code == "FR033"


def test_a_formula_without_a_cached_value_is_reported_by_its_address(
    hand: Instrument, save: Callable[[bytes], Path]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["A", "r", "north", "=2+2", 1, 0, 3])  # saved without a cached value
    buf = io.BytesIO()
    book.save(buf)
    path = save(buf.getvalue())
    problems = read_sheets(path).problems
    assert [(p.code, p.sheet) for p in problems] == [("FR032", SheetRef(str(path), row=2))]
    assert "D2" in problems[0].message and "2+2" in problems[0].message


def test_a_formula_with_a_cached_value_reads_as_that_value(
    hand: Instrument, save: Callable[[bytes], Path]
) -> None:
    data = edit_part(
        _book(_rows(1)),
        SHEET,
        lambda xml: re.sub(
            r'<c r="D2"([^>]*)><v>4</v></c>', r'<c r="D2"\1><f>2+2</f><v>4</v></c>', xml
        ),
    )
    path = save(data)
    assert "<f>2+2</f>" in zipfile.ZipFile(path).read(SHEET).decode()
    (record,) = read_sheets(path).records()
    assert record["ratings"]["a1"] == 4 and validate(hand, path).ok


def test_cell_types_read_like_openpyxl(save: Callable[[bytes], Path]) -> None:
    import datetime as dt

    row = ["A", "r", "north", 4, 1.5, True, dt.datetime(2024, 5, 3, 14, 30)]
    (record,) = read_sheets(save(_book([row]))).records()
    assert record["ratings"] == {"a1": 4, "a2": 1.5, "a3": True, "b1": "2024-05-03T14:30:00"}


def _shared_strings(data: bytes) -> bytes:
    """The workbook with its text cells moved to a shared-strings part, as Excel writes them
    (the site ``north`` as rich text runs with a phonetic reading that is not part of it)."""
    sheet = zipfile.ZipFile(io.BytesIO(data)).read(SHEET).decode()
    strings: list[str] = []

    def share(match: re.Match[str]) -> str:
        strings.append(match.group(2))
        return f'<c r="{match.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(r'<c r="(\w+)" t="inlineStr"><is><t>([^<]*)</t></is></c>', share, sheet)
    items = "".join(
        "<si><r><t>no</t></r><r><t>rth</t></r><rPh sb='0' eb='1'><t>N</t></rPh></si>"
        if s == "north"
        else f"<si><t>{s}</t></si>"
        for s in strings
    )
    sst = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + items + "</sst>"
    )
    rel = (
        '<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.openxmlformats'
        '.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    data = edit_part(data, SHEET, lambda xml: sheet)
    data = edit_part(
        data, "xl/_rels/workbook.xml.rels", lambda xml: xml.replace("</Relationships>", rel)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
            dst.writestr(info.filename, zipfile.ZipFile(io.BytesIO(data)).read(info))
        dst.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def test_shared_strings_read_like_inline_ones(save: Callable[[bytes], Path]) -> None:
    inline = _book(_rows(3))
    shared = _shared_strings(inline)
    assert b't="s"' in zipfile.ZipFile(io.BytesIO(shared)).read(SHEET)
    expected = list(read_sheets(save(inline)).records())
    assert list(read_sheets(save(shared)).records()) == expected
    assert expected[0]["site"] == "north"


def test_a_shared_string_that_does_not_exist_is_refused(save: Callable[[bytes], Path]) -> None:
    shared = edit_part(
        _shared_strings(_book(_rows(1))), SHEET, lambda x: x.replace("<v>0</v>", "<v>99</v>")
    )
    (p,) = read_sheets(save(shared)).problems
    assert p.code == "FR030" and "shared string" in p.message


def test_dates_in_a_1904_workbook_read_as_the_same_dates(save: Callable[[bytes], Path]) -> None:
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.append([*HEADER[:3], "date", *HEADER[3:]])
    book.active.append(["A", "r", "north", dt.date(2024, 5, 2), 4, 1, 0, 3])
    buf = io.BytesIO()
    book.save(buf)
    assert b"date1904" in zipfile.ZipFile(buf).read("xl/workbook.xml")
    (record,) = read_sheets(save(buf.getvalue())).records()
    assert record["date"] == "2024-05-02"


@given(
    n=st.integers(min_value=1, max_value=40),
    ref=st.one_of(
        st.none(),
        st.from_regex(r"[A-Z]{1,3}[1-9][0-9]{0,6}(:[A-Z]{1,3}[1-9][0-9]{0,6})?", fullmatch=True),
    ),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_declared_dimension_never_changes_what_is_read(n: int, ref: str | None) -> None:
    data = edit_part(_BOOKS.setdefault(n, _book(_rows(n))), SHEET, _dimension(ref))
    from fidelity.ratings.readers.xlsx import read_xlsx

    segment = read_xlsx("s.xlsx", data)
    assert segment.n == n and not segment.problems


_BOOKS: dict[int, bytes] = {}
