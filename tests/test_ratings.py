"""Rating sheets: readers for every layout, exact value checks, every problem code, the
generated per-version JSON Schema and the compiled-instrument cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fidelity
from fidelity._util.resources import load_schema
from fidelity._util.schema import validator_for
from fidelity.ratings import (
    Problem,
    RatingSheet,
    SheetRef,
    compile_instrument,
    read_sheets,
    sheet_schema,
    validate,
)
from fidelity.scoring import score

DATA = Path(__file__).parent / "data"
HAND = fidelity.load_instrument(DATA / "instruments" / "hand.yaml")
SHEETS = DATA / "sheets"
HEADER = "instrument,assessment,rater,site,informant,date,consensus,a1,a2,a3,b1,b2"


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def good_sheet(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "instrument": "hand@1.0.0",
        "assessment": "A1",
        "rater": "r1",
        "site": "north",
        "informant": "supervisor",
        "date": "2024-05-01",
        "ratings": {"a1": 4, "a2": 1, "a3": 0, "b1": 3, "b2": "NA"},
    }
    base.update(over)
    return base


# ---------------------------------------------------------------------------------------------
# Readers: the same two sheets in every layout give the same scores


def test_every_layout_reads_to_the_same_scores(tmp_path: Path) -> None:
    files = sorted(SHEETS.glob("two-sheets.*"))
    assert {f.suffix for f in files} == {".csv", ".json", ".jsonl"}
    files.append(SHEETS / "two-sheets-long.csv")
    xlsx = tmp_path / "two-sheets.xlsx"
    frame = pd.read_csv(SHEETS / "two-sheets.csv", dtype=str, keep_default_na=False)
    with pd.ExcelWriter(xlsx) as writer:  # numbers as numbers, like a spreadsheet user types them
        typed = frame.copy()
        for col in ("a1", "a2", "a3", "b1", "b2"):
            typed[col] = [int(v) if v.isdigit() else (v or None) for v in frame[col]]
        typed.to_excel(writer, sheet_name="ratings", index=False)
    files.append(xlsx)
    results = []
    for f in files:
        problems = validate(HAND, f)
        assert problems.ok, (f, problems)
        results.append(score(HAND, f).to_pandas())
    frame_input = frame.copy()
    results.append(score(HAND, frame_input).to_pandas())
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


def test_read_sheets_reports_where_each_sheet_came_from() -> None:
    batch = read_sheets([SHEETS / "two-sheets.csv", SHEETS / "two-sheets.jsonl"])
    assert len(batch) == 4
    assert batch.instruments() == ["hand@1.0.0"]
    records = list(batch.records())
    assert records[0]["ratings"] == {"a1": 4, "a2": 1, "a3": 0, "b1": 3, "b2": None}
    assert records[3]["ratings"]["b2"] == "NA"


def test_records_round_trip_through_the_model() -> None:
    s = RatingSheet.model_validate(good_sheet(comments={"a1": "clear example"}))
    assert validate(HAND, s).ok
    envelope = validator_for(load_schema("rating-sheet"))
    assert list(envelope.iter_errors(s.to_record())) == []
    with pytest.raises(ValueError):
        RatingSheet.model_validate(good_sheet(ratings={"a1": "3"}))
    with pytest.raises(ValueError):
        RatingSheet.model_validate(good_sheet(ratings={"a1": True}))


# ---------------------------------------------------------------------------------------------
# Values: never coerced


@pytest.mark.parametrize(
    ("cell", "code", "fragment"),
    [
        ("3.0", "FR102", "written without a decimal point"),
        (" 3", "FR102", "spaces around it"),
        ("three", "FR102", "is not a level value"),
        ("na", "FR103", ""),  # a3 allows NA, but only spelled NA: see the next case
        ("6", "FR101", "not on the item's scale"),
        ("0", "FR101", "not on the item's scale"),
    ],
)
def test_csv_cells_are_checked_exactly(tmp_path: Path, cell: str, code: str, fragment: str) -> None:
    if cell == "na":
        path = write(tmp_path, "s.csv", f"{HEADER}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
        (p,) = validate(HAND, path)
        assert p.code == "FR102" and "write not applicable as NA exactly" in p.message
        return
    path = write(tmp_path, "s.csv", f"{HEADER}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
    (p,) = validate(HAND, path)
    assert p.code == code and fragment in p.message
    assert p.item == "a1" and p.item_label == "Item a1, counted twice."
    assert p.value == cell and p.allowed == "one of 1, 2, 3, 4 or 5"
    assert p.sheet == SheetRef(str(path), row=2, assessment="A", rater="r")
    assert p.path == "a1"
    assert str(p).startswith(f"{path} row 2 (assessment A, rater r): {code} item a1")


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [('"3\n"', "has spaces around it"), ("03", "write 3")],
)
def test_csv_level_text_is_taken_only_as_written(tmp_path: Path, cell: str, fragment: str) -> None:
    # a quoted cell with a line break after the digit, or digits with a leading zero, are not
    # the text of a level: they are reported, not read as the level
    path = write(tmp_path, "s.csv", f"{HEADER}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
    (p,) = validate(HAND, path)
    assert p.code == "FR102" and fragment in p.message, p.message
    assert p.item == "a1" and p.sheet == SheetRef(str(path), row=2, assessment="A", rater="r")


def test_numbers_with_thousands_of_digits_are_reported_not_raised(tmp_path: Path) -> None:
    # Python refuses to convert more than 4300 digits to an int (ValueError)
    digits = "9" * 5000
    csv_path = write(tmp_path, "s.csv", f"{HEADER}\nhand@1.0.0,A,r,,supervisor,,,{digits},1,1,1,\n")
    (p,) = validate(HAND, csv_path)
    assert p.code == "FR101" and p.item == "a1" and len(str(p)) < 500
    json_text = write(
        tmp_path, "t.json", f'{{"assessment": "A", "rater": "r", "ratings": {{"a1": "{digits}"}}}}'
    )
    assert "FR102" in codes(validate(HAND, json_text))
    number = f'{{"assessment": "A", "rater": "r", "ratings": {{"a1": {digits}}}}}'
    (p,) = validate(HAND, write(tmp_path, "n.json", number))
    assert p.code == "FR010" and p.sheet == SheetRef(str(tmp_path / "n.json"))
    lines = write(tmp_path, "n.jsonl", number + "\n" + json.dumps(good_sheet()) + "\n")
    (p,) = validate(HAND, lines)
    assert p.code == "FR010" and p.sheet is not None and p.sheet.line == 1


@pytest.mark.parametrize(
    ("value", "code", "fragment"),
    [
        ("3", "FR102", "write the number 3 without quotes"),
        (3.0, "FR102", "levels are whole numbers; write 3"),
        (3.5, "FR102", "3.5 is not a level value"),
        (True, "FR102", "true is not a level value"),
        ([3], "FR102", "a list is not a level value"),
        (7, "FR101", "7 is not on the item's scale"),
        ("", "FR102", "use null for a missing answer"),
    ],
)
def test_json_values_are_typed(value: Any, code: str, fragment: str) -> None:
    problems = validate(HAND, [good_sheet(ratings={"a1": value, "a2": 1, "b1": 1})])
    (p,) = problems.errors
    assert p.code == code and fragment in p.message, p.message
    assert p.path == "$[0].ratings['a1']"
    assert p.sheet is not None and p.sheet.index == 0
    json.dumps(p.to_dict())


def test_na_only_where_allowed_and_missing_required_warns() -> None:
    problems = validate(HAND, [good_sheet(ratings={"a1": "NA", "a3": "NA", "b2": "NA"})])
    assert codes(problems) == ["FR103", "FR105", "FR105"]
    na, *warnings = problems
    assert na.item == "a1" and "NA (not applicable) is not allowed" in na.message
    assert [w.item for w in warnings] == ["a2", "b1"]
    assert all(w.severity == "warning" for w in warnings) and not problems.ok
    assert problems.errors == [na] and problems.warnings == warnings


def test_items_not_asked_of_the_informant_must_stay_empty() -> None:
    problems = validate(HAND, [good_sheet(informant="peer-worker")])
    (p,) = problems
    assert p.code == "FR106" and p.item == "b2" and "only of supervisor" in p.message
    assert (
        validate(
            HAND,
            [good_sheet(informant="peer-worker", ratings={"a1": 1, "a2": 1, "a3": 1, "b1": 1})],
        )
        == []
    )


def test_sheet_fields() -> None:
    bad = [
        {"rater": "r", "ratings": {}},  # no assessment
        good_sheet(assessment=17, rater="r2"),  # wrong type
        good_sheet(rater="r3", date="2024-02-30"),
        good_sheet(rater="r4", consensus="yes"),
        good_sheet(rater="r5", informant="nurse"),
        good_sheet(rater="r6", colour="blue"),
        good_sheet(rater="r7", instrument="hand@2.0.0"),
        good_sheet(rater="r8", instrument="other@1.0.0"),
        good_sheet(rater="r9", instrument="hand"),
        good_sheet(rater="r10", ratings=[1, 2]),
    ]
    found = validate(HAND, bad)
    by_rater = {p.sheet.rater if p.sheet else None: p for p in found if p.code != "FR105"}
    assert by_rater[None].code == "FR201" if None in by_rater else True
    pairs = sorted({(p.code, p.path) for p in found.errors})
    assert ("FR201", "$[0].assessment") in pairs
    assert ("FR202", "$[1].assessment") in pairs
    assert ("FR202", "$[2].date") in pairs
    assert ("FR202", "$[3].consensus") in pairs
    assert ("FR205", "$[4].informant") in pairs
    assert ("FR203", "$[5].colour") in pairs
    assert ("FR204", "$[6].instrument") in pairs and ("FR204", "$[7].instrument") in pairs
    assert ("FR204", "$[8].instrument") in pairs and ("FR202", "$[9].ratings") in pairs
    messages = " | ".join(p.message for p in found)
    assert "pinned to hand@2.0.0, but is being checked against hand@1.0.0" in messages
    assert "without a version; pin it as 'hand@1.0.0'" in messages
    assert "unknown informant 'nurse'; hand@1.0.0 knows peer-worker or supervisor" in messages


def test_unknown_items_in_json_and_in_a_csv_header(tmp_path: Path) -> None:
    (p,) = validate(HAND, [good_sheet(ratings={"a1": 1, "a2": 1, "a3": 1, "b1": 1, "a1x": 2})])
    assert p.code == "FR104" and "did you mean 'a1'" in p.message and p.value == 2
    path = write(
        tmp_path,
        "s.csv",
        f"{HEADER},extra\nhand@1.0.0,A,r,,,,,1,1,1,1,,x\nhand@1.0.0,B,r,,,,,1,1,1,1,,y\n",
    )
    problems = validate(HAND, path)
    assert codes(problems) == ["FR104"]  # once, for the header
    assert problems[0].sheet == SheetRef(str(path), row=1)


def test_relations_between_sheets() -> None:
    sheets = [
        good_sheet(rater="r1"),
        good_sheet(rater="r1"),  # duplicate
        good_sheet(rater="c1", consensus=True),
        good_sheet(rater="c2", consensus=True),  # second consensus
        good_sheet(rater="r3", site="south"),  # other site
    ]
    problems = validate(HAND, sheets)
    assert codes(problems) == ["FR301", "FR302", "FR303"]
    assert "already appears at <sheets> [0]" in problems[0].message
    assert problems[2].message.startswith("sheets of assessment A1 disagree on site: south here")


def test_csv_rows_with_the_wrong_number_of_fields_and_blank_lines(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        'hand@1.0.0,A,r,"North, East",supervisor,,,1,1,1,1,\n'
        "\n"
        "hand@1.0.0,B,r,,supervisor,,,1,1,1,1,,surplus\n"
        "hand@1.0.0,C,r,,supervisor,,,1,1\n"
        "hand@1.0.0,D,r,,supervisor,,,9,1,1,1,\n"
    )
    path = write(tmp_path, "s.csv", text)
    problems = validate(HAND, path)
    assert [(p.code, p.sheet.row if p.sheet else None) for p in problems] == [
        ("FR023", 4),
        ("FR023", 5),
        ("FR101", 6),
    ]
    assert "row has 13 field(s) but the header has 12" in problems[0].message
    batch = read_sheets(path)
    assert next(batch.records())["site"] == "North, East"


def test_quoted_newlines_keep_row_numbers_as_records(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        'hand@1.0.0,A,r,"two\nlines",supervisor,,,1,1,1,1,\n'
        "hand@1.0.0,B,r,,supervisor,,,1,1,9,1,\n"
    )
    (p,) = validate(HAND, write(tmp_path, "s.csv", text))
    assert p.code == "FR101" and p.sheet is not None and p.sheet.row == 3


def test_long_csv(tmp_path: Path) -> None:
    text = (
        "assessment,rater,informant,item,value\n"
        "A,r,supervisor,a1,4\nA,r,supervisor,a2,1\nA,r,supervisor,a3,0\nA,r,supervisor,b1,3\n"
        "B,r,peer-worker,a1,2\nB,r,peer-worker,a2,x\nB,r,peer-worker,a1,3\n"
        "B,r,supervisor,b1,3\nB,r,peer-worker,zz,1\n"
    )
    problems = validate(HAND, write(tmp_path, "long.csv", text))
    got = [(p.code, p.sheet.row if p.sheet else None, p.item) for p in problems]
    assert ("FR102", 7, "a2") in got  # the cell's own row
    assert ("FR108", 8, "a1") in got
    assert ("FR304", 9, None) in got
    assert ("FR104", 10, "zz") in got


def test_unreadable_inputs(tmp_path: Path) -> None:
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
        problems = validate(HAND, write(tmp_path, name, text))
        assert problems and problems[0].code == code and fragment in problems[0].message, (
            name,
            problems,
        )
    binary = tmp_path / "garbage.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    (p,) = validate(HAND, binary)
    assert p.code == "FR004" and "not a text file" in p.message
    latin = tmp_path / "latin.csv"
    latin.write_bytes("assessment,rater,site\nA,r,Malm\xf6\n".encode("latin-1"))
    (p,) = validate(HAND, latin)
    assert p.code == "FR004" and "line 2" in p.message
    xlsx = tmp_path / "fake.xlsx"
    xlsx.write_text("not a workbook")
    (p,) = validate(HAND, xlsx)
    assert p.code == "FR025"


def test_csv_consensus_is_true_or_false_in_any_case(tmp_path: Path) -> None:
    # docs: a consensus cell in CSV is true or false in any case, or empty
    rows = "".join(
        f"hand@1.0.0,A,r{k},,supervisor,,{flag},1,1,1,1,\n"
        for k, flag in enumerate(["tRUE", "fAlSe", "False", ""])
    )
    path = write(tmp_path, "s.csv", f"{HEADER}\n{rows}hand@1.0.0,B,r,,supervisor,,yes,1,1,1,1,\n")
    problems = validate(HAND, path)
    assert [(p.code, p.value) for p in problems] == [("FR202", "yes")]
    ok = write(tmp_path, "ok.csv", f"{HEADER}\n{rows}")
    assert score(HAND, ok).consensus.tolist() == [True, False, False, False]


def test_spreadsheet_dates_read_the_same_from_xlsx_and_from_a_dataframe(tmp_path: Path) -> None:
    # a date typed into a spreadsheet is a date cell; pandas.read_excel makes it a Timestamp
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["assessment", "rater", "date", "a1", "a2", "a3", "b1"])
    book.active.append(["A", "r", dt.date(2024, 5, 2), 4, 1, 0, 3])
    book.active.append(["B", "r", dt.datetime(2024, 5, 3, 14, 30), 4, 1, 0, 3])
    path = tmp_path / "dates.xlsx"
    book.save(path)
    from_file = validate(HAND, path)
    from_frame = validate(HAND, pd.read_excel(path))
    assert [(p.code, p.value) for p in from_file] == [("FR202", "2024-05-03T14:30:00")]
    assert [(p.code, p.value) for p in from_frame] == [(p.code, p.value) for p in from_file]
    assert score(HAND, pd.read_excel(path).iloc[:1]).date.tolist() == ["2024-05-02"]


@pytest.mark.parametrize("cell", ['""3', '"3"3', '"" 3'])
def test_text_after_a_closing_quote_is_malformed_csv(tmp_path: Path, cell: str) -> None:
    # '""3' is not the cell 3: the exact csv reader calls it malformed, and so must the
    # fast path that reads well-formed files
    path = write(tmp_path, "s.csv", f"{HEADER}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
    problems = validate(HAND, path)
    assert codes(problems) == ["FR024"], problems
    assert problems[0].sheet == SheetRef(str(path), row=2)


def test_duplicate_columns_in_xlsx_and_dataframes(tmp_path: Path) -> None:
    # as in CSV: a column named twice is refused, not silently read from one of its copies
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["assessment", "rater", "a1", "a2", "a3", "b1", "a1"])
    book.active.append(["A", "r", 4, 1, 0, 3, 1])
    path = tmp_path / "dups.xlsx"
    book.save(path)
    (p,) = validate(HAND, path)
    assert p.code == "FR021" and "'a1'" in p.message and p.sheet == SheetRef(str(path), row=1)
    frame = pd.DataFrame(
        [["A", "r", 4, 1, 0, 3, 1]], columns=["assessment", "rater", "a1", "a2", "a3", "b1", "a1"]
    )
    (p,) = validate(HAND, frame)
    assert p.code == "FR021" and "'a1'" in p.message


def test_no_sheets_at_all() -> None:
    assert codes(validate(HAND, [])) == ["FR002"]


def test_all_problems_are_collected_in_order(tmp_path: Path) -> None:
    rows = "\n".join(f"hand@1.0.0,A{k},r,,supervisor,,,9,x,NA,1,7" for k in range(50))
    problems = validate(HAND, write(tmp_path, "s.csv", f"{HEADER}\n{rows}\n"))
    assert len(problems) == 150 and problems.errors == problems
    assert [p.sheet.row for p in problems if p.sheet][:6] == [2, 2, 2, 3, 3, 3]
    assert [p.item for p in problems][:3] == ["a1", "a2", "b2"]


def test_dataframe_cells_may_be_numbers_or_text() -> None:
    # a2 is a float column because of the gap: whole numbers there are levels, NaN is empty
    frame = pd.DataFrame(
        {
            "assessment": ["A", "B", "C"],
            "rater": ["r", "r", "r"],
            "a1": [4, "4", 4.5],
            "a2": [1, np.nan, 1],
            "a3": ["NA", None, 0],
            "b1": [1, 1, 1],
        }
    )
    problems = validate(HAND, frame)
    assert [(p.code, p.sheet.index if p.sheet else None) for p in problems.errors] == [("FR102", 2)]


def test_dataframe_with_nullable_dtypes_reads_pd_na_as_empty() -> None:
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
    problems = validate(HAND, frame)
    assert [(p.code, p.item) for p in problems] == [("FR105", "a1")]
    long = pd.DataFrame(
        {"assessment": ["A", "A"], "rater": ["r", "r"], "item": ["a1", "a2"], "value": [4, None]}
    ).convert_dtypes()
    assert {(p.code, p.item) for p in validate(HAND, long)} == {
        ("FR105", "a2"),
        ("FR105", "a3"),
        ("FR105", "b1"),
    }


# ---------------------------------------------------------------------------------------------
# The compiled instrument and the generated JSON Schema


def test_compiled_instrument_is_built_once_per_content_hash() -> None:
    again = fidelity.load_instrument(DATA / "instruments" / "hand.yaml")
    first = compile_instrument(HAND)
    assert compile_instrument(again) is first
    assert first.validator is first.validator
    assert first.allowed_words[2] == "one of 0, 1, 2 or NA"


def test_strict_schema_shape() -> None:
    schema = sheet_schema(HAND)
    items = schema["properties"]["ratings"]["properties"]
    assert items["a1"]["enum"] == [1, 2, 3, 4, 5, None]
    assert items["a3"]["enum"] == [0, 1, 2, "NA", None]
    assert items["a1"]["title"] == "Item a1, counted twice."
    assert schema["properties"]["instrument"] == {"const": "hand@1.0.0"}
    assert schema["x-content-hash"] == HAND.content_hash


VALUES = st.one_of(
    st.none(),
    st.integers(-1, 6),
    st.sampled_from(["NA", "3", "", "x"]),
    st.booleans(),
    st.just(ABSENT_KEY := "<absent>"),
)


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries({k: VALUES for k in ("a1", "a2", "a3", "b1", "b2")}),
    st.sampled_from(["peer-worker", "supervisor", None]),
)
def test_the_schema_and_validate_agree_on_single_sheets(
    ratings: dict[str, Any], informant: str | None
) -> None:
    """A sheet the strict schema accepts has no errors from validate, and vice versa (floats are
    left out: the schema, following JSON Schema, takes 3.0 for 3; validate does not)."""
    ratings = {k: v for k, v in ratings.items() if v != ABSENT_KEY}
    s: dict[str, Any] = {
        "instrument": "hand@1.0.0",
        "assessment": "A",
        "rater": "r",
        "ratings": ratings,
    }
    if informant:
        s["informant"] = informant
    schema_ok = compile_instrument(HAND).validator.is_valid(s)
    assert schema_ok == validate(HAND, [s]).ok


def test_simulated_enrich_sheets_satisfy_the_strict_schema() -> None:
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_audit(inst, n_sites=3, seed=5)
    validator = compile_instrument(inst).validator
    assert all(validator.is_valid(s) for s in sim.sheets)
    envelope = validator_for(load_schema("rating-sheet"))
    assert all(envelope.is_valid(s) for s in sim.sheets)


def test_long_xlsx_reports_spreadsheet_rows(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["assessment", "rater", "item", "value"])
    for item, value in (("a1", 4), ("a2", 1), ("a3", "NA"), ("b1", 7)):
        sheet.append(["A", "r", item, value])
    path = tmp_path / "long.xlsx"
    book.save(path)
    (p,) = validate(HAND, path)
    assert p.code == "FR101" and p.sheet == SheetRef(str(path), row=5, assessment="A", rater="r")
