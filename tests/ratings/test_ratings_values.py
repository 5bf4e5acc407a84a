"""Value checks: every rating against its item, never coerced; NA only where allowed; items not
asked of the informant stay empty; required items without an answer warn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fidelity.instrument import Instrument
from fidelity.ratings import (
    Problem,
    SheetRef,
    validate,
)

Codes = Callable[[list[Problem]], list[str]]
Write = Callable[[str, str], Path]
GoodSheet = Callable[..., dict[str, Any]]


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
def test_csv_cells_are_checked_exactly(
    hand: Instrument, header: str, write: Write, cell: str, code: str, fragment: str
) -> None:
    if cell == "na":
        path = write("s.csv", f"{header}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
        (p,) = validate(hand, path)
        assert p.code == "FR102" and "write not applicable as NA exactly" in p.message
        return
    path = write("s.csv", f"{header}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
    (p,) = validate(hand, path)
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
def test_csv_level_text_is_taken_only_as_written(
    hand: Instrument, header: str, write: Write, cell: str, fragment: str
) -> None:
    # a quoted cell with a line break after the digit, or digits with a leading zero, are not
    # the text of a level: they are reported, not read as the level
    path = write("s.csv", f"{header}\nhand@1.0.0,A,r,,supervisor,,,{cell},1,1,1,\n")
    (p,) = validate(hand, path)
    assert p.code == "FR102" and fragment in p.message, p.message
    assert p.item == "a1" and p.sheet == SheetRef(str(path), row=2, assessment="A", rater="r")


def test_numbers_with_thousands_of_digits_are_reported_not_raised(
    hand: Instrument, header: str, codes: Codes, write: Write, good_sheet: GoodSheet, tmp_path: Path
) -> None:
    # Python refuses to convert more than 4300 digits to an int (ValueError)
    digits = "9" * 5000
    csv_path = write("s.csv", f"{header}\nhand@1.0.0,A,r,,supervisor,,,{digits},1,1,1,\n")
    (p,) = validate(hand, csv_path)
    assert p.code == "FR101" and p.item == "a1" and len(str(p)) < 500
    json_text = write(
        "t.json", f'{{"assessment": "A", "rater": "r", "ratings": {{"a1": "{digits}"}}}}'
    )
    assert "FR102" in codes(validate(hand, json_text))
    number = f'{{"assessment": "A", "rater": "r", "ratings": {{"a1": {digits}}}}}'
    (p,) = validate(hand, write("n.json", number))
    assert p.code == "FR010" and p.sheet == SheetRef(str(tmp_path / "n.json"))
    lines = write("n.jsonl", number + "\n" + json.dumps(good_sheet()) + "\n")
    (p,) = validate(hand, lines)
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
def test_json_values_are_typed(
    hand: Instrument, write: Write, good_sheet: GoodSheet, value: Any, code: str, fragment: str
) -> None:
    problems = validate(hand, [good_sheet(ratings={"a1": value, "a2": 1, "b1": 1})])
    (p,) = problems.errors
    assert p.code == code and fragment in p.message, p.message
    assert p.path == "$[0].ratings['a1']"
    assert p.sheet is not None and p.sheet.index == 0
    json.dumps(p.to_dict())


def test_na_only_where_allowed_and_missing_required_warns(
    hand: Instrument, codes: Codes, good_sheet: GoodSheet
) -> None:
    problems = validate(hand, [good_sheet(ratings={"a1": "NA", "a3": "NA", "b2": "NA"})])
    assert codes(problems) == ["FR103", "FR105", "FR105"]
    na, *warnings = problems
    assert na.item == "a1" and "NA (not applicable) is not allowed" in na.message
    assert [w.item for w in warnings] == ["a2", "b1"]
    assert all(w.severity == "warning" for w in warnings) and not problems.ok
    assert problems.errors == [na] and problems.warnings == warnings


def test_items_not_asked_of_the_informant_must_stay_empty(
    hand: Instrument, good_sheet: GoodSheet
) -> None:
    problems = validate(hand, [good_sheet(informant="peer-worker")])
    (p,) = problems
    assert p.code == "FR106" and p.item == "b2" and "only of supervisor" in p.message
    assert (
        validate(
            hand,
            [good_sheet(informant="peer-worker", ratings={"a1": 1, "a2": 1, "a3": 1, "b1": 1})],
        )
        == []
    )


def test_unknown_items_in_json_and_in_a_csv_header(
    hand: Instrument, header: str, codes: Codes, write: Write, good_sheet: GoodSheet
) -> None:
    (p,) = validate(hand, [good_sheet(ratings={"a1": 1, "a2": 1, "a3": 1, "b1": 1, "a1x": 2})])
    assert p.code == "FR104" and "did you mean 'a1'" in p.message and p.value == 2
    path = write(
        "s.csv",
        f"{header},a9\nhand@1.0.0,A,r,,,,,1,1,1,1,,x\nhand@1.0.0,B,r,,,,,1,1,1,1,,y\n",
    )
    problems = validate(hand, path)
    assert codes(problems) == ["FR104"]  # once, for the header: a9 has an item's shape
    assert problems[0].sheet == SheetRef(str(path), row=1)
    extra = write("e.csv", path.read_text().replace(",a9\n", ",extra\n", 1))
    (p,) = validate(hand, extra)  # an extra column like no item: one warning, not an error
    assert (p.code, p.severity, p.sheet) == ("FR207", "warning", SheetRef(str(extra), row=1))


def test_dataframe_cells_may_be_numbers_or_text(hand: Instrument) -> None:
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
    problems = validate(hand, frame)
    assert [(p.code, p.sheet.index if p.sheet else None) for p in problems.errors] == [("FR102", 2)]
