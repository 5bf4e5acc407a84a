"""Readers: every layout (JSON, JSON Lines, wide and long CSV, XLSX, DataFrames) reads to the
same sheets, keeps where each sheet came from, and reports unreadable input with its place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from fidelity.instrument import Instrument
from fidelity.ratings import (
    Problem,
    SheetRef,
    read_sheets,
    validate,
)
from fidelity.scoring import score

Codes = Callable[[list[Problem]], list[str]]
Write = Callable[[str, str], Path]


def test_every_layout_reads_to_the_same_scores(
    hand: Instrument, sheets_dir: Path, tmp_path: Path
) -> None:
    files = sorted(sheets_dir.glob("two-sheets.*"))
    assert {f.suffix for f in files} == {".csv", ".json", ".jsonl"}
    files.append(sheets_dir / "two-sheets-long.csv")
    xlsx = tmp_path / "two-sheets.xlsx"
    frame = pd.read_csv(sheets_dir / "two-sheets.csv", dtype=str, keep_default_na=False)
    with pd.ExcelWriter(xlsx) as writer:  # numbers as numbers, like a spreadsheet user types them
        typed = frame.copy()
        for col in ("a1", "a2", "a3", "b1", "b2"):
            typed[col] = [int(v) if v.isdigit() else (v or None) for v in frame[col]]
        typed.to_excel(writer, sheet_name="ratings", index=False)
    files.append(xlsx)
    results = []
    for f in files:
        problems = validate(hand, f)
        assert problems.ok, (f, problems)
        results.append(score(hand, f).to_pandas())
    frame_input = frame.copy()
    results.append(score(hand, frame_input).to_pandas())
    cols = [
        "assessment",
        "rater",
        "site",
        "informant",
        "alpha",
        "beta",
        "overall",
        "band",
        "n_answered",
        "n_na",
        "n_missing",
    ]
    first = results[0][cols]
    for other in results[1:]:
        pd.testing.assert_frame_equal(other[cols], first, check_dtype=False)
    assert first["overall"].tolist() == [2.875, 2.5]


def test_read_sheets_reports_where_each_sheet_came_from(sheets_dir: Path) -> None:
    batch = read_sheets([sheets_dir / "two-sheets.csv", sheets_dir / "two-sheets.jsonl"])
    assert len(batch) == 4
    assert batch.instruments() == ["hand@1.0.0"]
    records = list(batch.records())
    assert records[0]["ratings"] == {"a1": 4, "a2": 1, "a3": 0, "b1": 3, "b2": None}
    assert records[3]["ratings"]["b2"] == "NA"


def test_csv_rows_with_the_wrong_number_of_fields_and_blank_lines(
    hand: Instrument, header: str, write: Write
) -> None:
    text = (
        f"{header}\n"
        'hand@1.0.0,A,r,"North, East",supervisor,,,1,1,1,1,\n'
        "\n"
        "hand@1.0.0,B,r,,supervisor,,,1,1,1,1,,surplus\n"
        "hand@1.0.0,C,r,,supervisor,,,1,1\n"
        "hand@1.0.0,D,r,,supervisor,,,9,1,1,1,\n"
    )
    path = write("s.csv", text)
    problems = validate(hand, path)
    assert [(p.code, p.sheet.row if p.sheet else None) for p in problems] == [
        ("FR023", 4),
        ("FR023", 5),
        ("FR101", 6),
    ]
    assert "row has 13 field(s) but the header has 12" in problems[0].message
    batch = read_sheets(path)
    assert next(batch.records())["site"] == "North, East"


def test_quoted_newlines_keep_row_numbers_as_records(
    hand: Instrument, header: str, write: Write
) -> None:
    text = (
        f"{header}\n"
        'hand@1.0.0,A,r,"two\nlines",supervisor,,,1,1,1,1,\n'
        "hand@1.0.0,B,r,,supervisor,,,1,1,9,1,\n"
    )
    problems = validate(hand, write("s.csv", text))  # a site may not hold a line break
    assert [(p.code, p.sheet.row if p.sheet else None) for p in problems] == [
        ("FR206", 2),
        ("FR101", 3),
    ]


def test_long_csv(hand: Instrument, write: Write) -> None:
    text = (
        "assessment,rater,informant,item,value\n"
        "A,r,supervisor,a1,4\nA,r,supervisor,a2,1\nA,r,supervisor,a3,0\nA,r,supervisor,b1,3\n"
        "B,r,peer-worker,a1,2\nB,r,peer-worker,a2,x\nB,r,peer-worker,a1,3\n"
        "B,r,supervisor,b1,3\nB,r,peer-worker,zz,1\n"
    )
    problems = validate(hand, write("long.csv", text))
    got = [(p.code, p.sheet.row if p.sheet else None, p.item) for p in problems]
    assert ("FR102", 7, "a2") in got  # the cell's own row
    assert ("FR108", 8, "a1") in got
    assert ("FR304", 9, None) in got
    assert ("FR104", 10, "zz") in got


def test_unreadable_inputs(hand: Instrument, write: Write, tmp_path: Path) -> None:
    cases = {
        "empty.csv": ("", "FR002", "file is empty"),
        "blank.json": ("  \n", "FR002", "file is empty"),
        "bad.json": ('[{"assessment": "A",}]', "FR010", "malformed JSON at line 1 column 21"),
        "scalar.json": ("42", "FR011", "not a number"),
        "items.json": ('[1, {"assessment": "A", "rater": "r"}]', "FR012", "not a number"),
        "bad.jsonl": ('{"assessment": "A", "rater": "r"}\n{oops\n', "FR010", "column 2"),
        "header.csv": ("name,score\nx,1\n", "FR020", "no assessment or rater column"),
        "dups.csv": ("assessment,rater,a1,a1\nA,r,1,1\n", "FR021", "'a1'"),
        "quote.csv": ('assessment,rater,a1\nA,r,"1\n', "FR024", "malformed CSV"),
        "notes.txt": ("hello", "FR003", "unsupported file type '.txt'"),
    }
    for name, (text, code, fragment) in cases.items():
        problems = validate(hand, write(name, text))
        assert problems and problems[0].code == code and fragment in problems[0].message, (
            name,
            problems,
        )
    binary = tmp_path / "garbage.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    (p,) = validate(hand, binary)
    assert p.code == "FR004" and "not a text file" in p.message
    latin = tmp_path / "latin.csv"
    latin.write_bytes("assessment,rater,site\nA,r,Malm\xf6\n".encode("latin-1"))
    (p,) = validate(hand, latin)
    assert p.code == "FR004" and "line 2" in p.message
    xlsx = tmp_path / "fake.xlsx"
    xlsx.write_text("not a workbook")
    (p,) = validate(hand, xlsx)
    assert p.code == "FR025"


def test_spreadsheet_dates_read_the_same_from_xlsx_and_from_a_dataframe(
    hand: Instrument, tmp_path: Path
) -> None:
    # a date typed into a spreadsheet is a date cell; pandas.read_excel makes it a Timestamp
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["assessment", "rater", "date", "a1", "a2", "a3", "b1"])
    book.active.append(["A", "r", dt.date(2024, 5, 2), 4, 1, 0, 3])
    book.active.append(["B", "r", dt.datetime(2024, 5, 3, 14, 30), 4, 1, 0, 3])
    path = tmp_path / "dates.xlsx"
    book.save(path)
    from_file = validate(hand, path)
    from_frame = validate(hand, pd.read_excel(path))
    assert [(p.code, p.value) for p in from_file] == [("FR202", "2024-05-03T14:30:00")]
    assert [(p.code, p.value) for p in from_frame] == [(p.code, p.value) for p in from_file]
    assert score(hand, pd.read_excel(path).iloc[:1]).date.tolist() == ["2024-05-02"]


@pytest.mark.parametrize("cell", ['""3', '"3"3', '"" 3'])
def test_text_after_a_closing_quote_is_malformed_csv(
    hand: Instrument, header: str, codes: Codes, write: Write, cell: str
) -> None:
    # '""3' is not the cell 3: the exact csv reader calls it malformed, and so must the
    # fast path that reads well-formed files
    path = write("s.csv", f"{header}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
    problems = validate(hand, path)
    assert codes(problems) == ["FR024"], problems
    assert problems[0].sheet == SheetRef(str(path), row=2)


def test_duplicate_columns_in_xlsx_and_dataframes(hand: Instrument, tmp_path: Path) -> None:
    # as in CSV: a column named twice is refused, not silently read from one of its copies
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["assessment", "rater", "a1", "a2", "a3", "b1", "a1"])
    book.active.append(["A", "r", 4, 1, 0, 3, 1])
    path = tmp_path / "dups.xlsx"
    book.save(path)
    (p,) = validate(hand, path)
    assert p.code == "FR021" and "'a1'" in p.message and p.sheet == SheetRef(str(path), row=1)
    frame = pd.DataFrame(
        [["A", "r", 4, 1, 0, 3, 1]], columns=["assessment", "rater", "a1", "a2", "a3", "b1", "a1"]
    )
    (p,) = validate(hand, frame)
    assert p.code == "FR021" and "'a1'" in p.message


def test_dataframe_with_nullable_dtypes_reads_pd_na_as_empty(hand: Instrument) -> None:
    # convert_dtypes() and nullable columns mark gaps with pd.NA, not NaN or None
    frame = pd.DataFrame(
        {
            "assessment": ["A", "B"],
            "rater": ["r", "r"],
            "site": ["north", None],
            "a1": [4, None],
            "a2": [1, 1],
            "a3": [0, 1],
            "b1": [1, 1],
        }
    ).convert_dtypes()
    assert frame["a1"].dtype == "Int64" and frame["site"].dtype == "string"
    problems = validate(hand, frame)
    assert [(p.code, p.item) for p in problems] == [("FR105", "a1")]
    long = pd.DataFrame(
        {"assessment": ["A", "A"], "rater": ["r", "r"], "item": ["a1", "a2"], "value": [4, None]}
    ).convert_dtypes()
    assert {(p.code, p.item) for p in validate(hand, long)} == {
        ("FR105", "a2"),
        ("FR105", "a3"),
        ("FR105", "b1"),
    }


def test_long_xlsx_reports_spreadsheet_rows(hand: Instrument, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["assessment", "rater", "item", "value"])
    for item, value in (("a1", 4), ("a2", 1), ("a3", "NA"), ("b1", 7)):
        sheet.append(["A", "r", item, value])
    path = tmp_path / "long.xlsx"
    book.save(path)
    (p,) = validate(hand, path)
    assert p.code == "FR101" and p.sheet == SheetRef(str(path), row=5, assessment="A", rater="r")


def test_a_long_table_without_a_keyed_row_is_reported_not_raised(
    hand: Instrument, codes: Codes, write: Write
) -> None:
    # every row lacks its assessment: no sheet at all, and pandas cannot group zero rows
    problems = validate(hand, write("long.csv", "assessment,rater,item,value\n,r,a1,1\n"))
    assert codes(problems) == ["FR201"] and problems[0].path == "assessment"


def test_an_unknown_format_is_refused_not_read_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "sheets.xls"
    path.write_text("assessment,rater\na,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown sheet format 'xls'; use one of 'json'"):
        read_sheets(path, format="xls")  # type: ignore[arg-type]
