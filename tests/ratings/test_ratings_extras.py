"""Extra columns: declared metadata is carried to the per-sheet outputs, other extra columns
are named in one warning (FR207), and a column that looks like a mistyped item or field is an
error that names what it resembles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from fidelity.errors import SheetsInvalidError
from fidelity.instrument import Instrument
from fidelity.ratings import validate
from fidelity.ratings.similar import resembles
from fidelity.scoring import score

Write = Callable[[str, str], Path]
GoodSheet = Callable[..., dict[str, Any]]

ROWS = [
    ["hand@1.0.0", "A", "r1", "north", "supervisor", "4", "1", "0", "3", "NA", "first visit", "x"],
    ["hand@1.0.0", "B", "r1", "north", "supervisor", "3", "2", "1", "2", "NA", "", "y"],
]
COLUMNS = [
    "instrument",
    "assessment",
    "rater",
    "site",
    "informant",
    "a1",
    "a2",
    "a3",
    "b1",
    "b2",
    "notes",
    "arm",
]


def _csv(write: Write) -> Path:
    return write("s.csv", "\n".join(",".join(r) for r in [COLUMNS, *ROWS]) + "\n")


def _xlsx(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "ratings"
    sheet.append(COLUMNS)
    for row in ROWS:
        sheet.append([int(v) if v.isdigit() else (v or None) for v in row])
    path = tmp_path / "s.xlsx"
    book.save(path)
    return path


def _json(good_sheet: GoodSheet) -> list[dict[str, Any]]:
    return [
        good_sheet(assessment="A", notes="first visit", arm="x"),
        good_sheet(assessment="B", arm="y"),
    ]


def _frame() -> pd.DataFrame:
    return pd.DataFrame([[v or None for v in r] for r in ROWS], columns=COLUMNS)


@pytest.fixture(params=["csv", "xlsx", "json", "dataframe"])
def sheets(
    request: pytest.FixtureRequest, write: Write, tmp_path: Path, good_sheet: GoodSheet
) -> Any:
    return {
        "csv": lambda: _csv(write),
        "xlsx": lambda: _xlsx(tmp_path),
        "json": lambda: _json(good_sheet),
        "dataframe": _frame,
    }[request.param]()


def test_declared_columns_are_carried_to_the_scores(hand: Instrument, sheets: Any) -> None:
    assert validate(hand, sheets, keep=["notes", "arm"]) == []
    table = score(hand, sheets, keep="notes,arm").to_pandas()
    assert table["notes"].tolist() == ["first visit", None]
    assert table["arm"].tolist() == ["x", "y"]
    assert list(table.columns).index("arm") < list(table.columns).index("alpha")


def test_undeclared_columns_are_one_warning(hand: Instrument, sheets: Any) -> None:
    problems = validate(hand, sheets)
    assert [(p.code, p.severity) for p in problems] == [("FR207", "warning")]
    assert "'notes' and 'arm'" in problems[0].message
    assert "--keep-columns notes,arm" in problems[0].message
    assert "notes" not in score(hand, sheets).to_pandas()
    (only_arm,) = validate(hand, sheets, keep="notes")
    assert only_arm.code == "FR207" and "'arm' is neither" in only_arm.message


@pytest.mark.parametrize(
    ("column", "hint"),
    [("A1", "a1"), ("a 2", "a2"), ("a4", "a1"), ("b_1", "b1"), ("bb2", "b2")],
)
def test_a_column_like_an_item_is_an_error_naming_it(
    hand: Instrument, write: Write, column: str, hint: str
) -> None:
    header = ",".join([*COLUMNS[:10], column])
    path = write("s.csv", f"{header}\n" + ",".join([*ROWS[0][:10], "2"]) + "\n")
    (p,) = validate(hand, path, keep="notes")
    assert p.code == "FR104" and p.severity == "error"
    assert f"did you mean {hint!r}" in p.message


def test_a_column_like_a_field_is_an_error(hand: Instrument, write: Write) -> None:
    header = ",".join([*COLUMNS[:10], "Date"])
    (p,) = validate(hand, write("s.csv", f"{header}\n" + ",".join([*ROWS[0][:10], "x"]) + "\n"))
    assert p.code == "FR020" and "did you mean 'date'" in p.message


def test_a_json_field_like_a_field_is_an_error_per_sheet(
    hand: Instrument, good_sheet: GoodSheet
) -> None:
    problems = validate(hand, [good_sheet(assessment=a, Rater="x") for a in "AB"])
    assert [p.code for p in problems] == ["FR203", "FR203"]
    assert "did you mean 'rater'" in problems[0].message


def test_long_layout_keeps_declared_columns_per_sheet(hand: Instrument, write: Write) -> None:
    rows = ["assessment,rater,informant,item,value,interviewer"]
    rows += [
        f"A,r1,supervisor,{i},{v},kim"
        for i, v in zip(["a1", "a2", "a3", "b1"], "4103", strict=True)
    ]
    path = write("long.csv", "\n".join(rows) + "\n")
    assert [p.code for p in validate(hand, path)] == ["FR207"]
    assert score(hand, path, keep="interviewer").to_pandas()["interviewer"].tolist() == ["kim"]
    bad = write("bad.csv", "\n".join(rows).replace("interviewer", "Item") + "\n")
    assert "did you mean 'item'" in validate(hand, bad)[0].message


def _long(write: Write, interviewers: list[str], name: str = "long.csv") -> Path:
    """One sheet (A by r1) in the long layout, one rating a row, with an interviewer cell
    per row."""
    rows = ["assessment,rater,informant,item,value,interviewer"]
    rows += [
        f"A,r1,supervisor,{i},{v},{who}"
        for i, v, who in zip(["a1", "a2", "a3", "b1"], "4103", interviewers, strict=True)
    ]
    return write(name, "\n".join(rows) + "\n")


def test_a_kept_column_that_differs_between_the_rows_of_a_sheet_is_an_error(
    hand: Instrument, write: Write
) -> None:
    path = _long(write, ["kim", "kim", "lee", "sam"])
    problems = validate(hand, path, keep="interviewer")
    assert [(p.code, p.severity, p.sheet.row) for p in problems] == [
        ("FR304", "error", 4),
        ("FR304", "error", 5),
    ]
    assert problems[0].sheet.assessment == "A" and problems[0].sheet.rater == "r1"
    assert problems[0].path == "interviewer" and problems[0].value == "lee"
    assert "disagree on interviewer: 'lee' here but 'kim' on row 2" in problems[0].message
    assert "'sam' here but 'kim'" in problems[1].message
    with pytest.raises(SheetsInvalidError):
        score(hand, path, keep="interviewer")
    # not declared: left out of every output, so its values may differ (one FR207)
    assert [p.code for p in validate(hand, path)] == ["FR207"]


def test_a_kept_column_written_once_per_sheet_is_its_value(hand: Instrument, write: Write) -> None:
    """Blank cells of a kept column do not disagree: the sheet's value is its first one."""
    path = _long(write, ["", "kim", "", "kim"])
    assert validate(hand, path, keep="interviewer") == []
    assert score(hand, path, keep="interviewer").to_pandas()["interviewer"].tolist() == ["kim"]


def test_a_sheet_field_cannot_be_declared_metadata(hand: Instrument, good_sheet: GoodSheet) -> None:
    with pytest.raises(ValueError, match="sheet field"):
        validate(hand, [good_sheet()], keep="site")


def test_resembles() -> None:
    ids = ["q1", "q2", "q12", "choice-voice"]
    assert resembles("Q 1", ids) == "q1"
    assert resembles("q13", ids) == "q1"  # the closest spelling
    assert resembles("q7", ids) == "q1"  # an item id's shape with other digits
    assert resembles("choice_voice", ids) == "choice-voice"
    assert resembles("notes", ids) is None and resembles("wave", ids) is None


def test_declared_columns_reach_consensus_sheets(hand: Instrument, good_sheet: GoodSheet) -> None:
    from fidelity.consensus import prepare_consensus

    sheets = [
        good_sheet(rater="r1", interviewer="kim", wave="1"),
        good_sheet(rater="r2", interviewer="lee", wave="1", ratings={"a1": 2, "a2": 1}),
    ]
    prep = prepare_consensus(hand, sheets, keep="interviewer,wave")
    (sheet,) = prep.sheets
    assert (sheet["wave"], sheet["interviewer"]) == ("1", "kim | lee")
    header = prep.sheets_csv().splitlines()[0].split(",")
    assert header.index("interviewer") > header.index("b2")
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(prep.sheets_xlsx()))["ratings"]
    cells = {c.value: ws.cell(2, c.column).value for c in ws[1]}
    assert cells["wave"] == "1"  # text stays text
    assert cells["interviewer"] == "kim | lee"


_CELL = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELL, min_size=1, max_size=6))
def test_declared_csv_cells_reach_the_scores_exactly_as_written(
    hand: Instrument, tmp_path_factory: pytest.TempPathFactory, notes: list[str]
) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["assessment", "rater", "informant", "a1", "a2", "a3", "b1", "notes"])
    for k, note in enumerate(notes):
        writer.writerow([f"A{k}", "r1", "supervisor", 4, 2, 1, 3, note])
    path = tmp_path_factory.mktemp("notes") / "s.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    assert [p.code for p in validate(hand, path, keep="notes").errors] == []
    table = score(hand, path, keep="notes").to_pandas()
    assert table["notes"].tolist() == [n or None for n in notes]


def test_a_kept_column_never_overwrites_a_score(hand: Instrument, good_sheet: GoodSheet) -> None:
    with pytest.raises(ValueError, match="overwrite a column of the scores"):
        score(hand, [good_sheet(overall="high")], keep="overall")


def test_declared_columns_follow_the_arrow_scores_as_text(hand: Instrument, sheets: Any) -> None:
    table = score(hand, sheets, keep="notes,arm").to_arrow()
    assert table.column_names[-2:] == ["notes", "arm"] or table.column_names[-2:] == [
        "arm",
        "notes",
    ]
    assert table.column("notes").to_pylist() == ["first visit", None]
    assert str(table.schema.field("arm").type) == "string"
    by_assessment = score(hand, sheets, keep="notes").to_arrow("scores_by_assessment")
    assert "notes" not in by_assessment.column_names
