"""CSV as spreadsheets write it: semicolon and tab separators, rows of only separators, and
numeric ids read the same way in every id column."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from fidelity.instrument import Instrument
from fidelity.ratings import read_sheets, validate

Write = Callable[[str, str], Path]
HEADER = "instrument,assessment,rater,site,informant,date,consensus,a1,a2,a3,b1,b2"
ROW = "hand@1.0.0,A,r,north,supervisor,,,1,1,1,1,1"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(
    hand: Instrument, write: Write, sep: str
) -> None:
    rows = [HEADER, ROW, ROW.replace(",A,", ",B,"), ROW.replace(",A,", ',"C;x",')]
    text = "\r\n".join(r.replace(",", sep) for r in rows)
    path = write("s.csv", text + "\r\n")
    problems = validate(hand, path)
    assert [p.code for p in problems if p.severity == "error"] == []
    assert [r["assessment"] for r in read_sheets(path).records()] == ["A", "B", "C;x"]


def test_a_bad_row_in_a_semicolon_file_names_its_row(hand: Instrument, write: Write) -> None:
    rows = [HEADER, ROW, ROW.replace(",A,", ",B,").replace(",1,1,1,1,1", ",9,1,1,1,1")]
    path = write("s.csv", "\n".join(r.replace(",", ";") for r in rows) + "\n")
    problems = validate(hand, path)
    assert [(p.code, p.sheet.row if p.sheet else None) for p in problems] == [("FR101", 3)]


def test_rows_of_only_separators_are_blank_rows(hand: Instrument, write: Write) -> None:
    blank = "," * HEADER.count(",")
    text = "\n".join([HEADER, ROW, blank, "", blank, ROW.replace(",A,", ",B,")]) + "\n"
    path = write("s.csv", text)
    assert validate(hand, path) == []
    assert [r["assessment"] for r in read_sheets(path).records()] == ["A", "B"]


def test_numeric_ids_in_a_spreadsheet_are_text_in_every_id_column(
    hand: Instrument, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["hand@1.0.0", 7, 1, 101, "supervisor", None, None, 1, 1, 1, 1, 1])
    path = tmp_path / "s.xlsx"
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(buf.getvalue())
    assert validate(hand, path) == []
