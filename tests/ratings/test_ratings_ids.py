"""Ids that only look different: surrounding spaces, invisible characters, case and Unicode
form. Such ids would silently split one rater, site or assessment in two."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fidelity.instrument import Instrument
from fidelity.ratings import Problem, read_sheets, validate

Codes = Callable[[list[Problem]], list[str]]
GoodSheet = Callable[..., dict[str, Any]]
Write = Callable[[str, str], Path]


@pytest.mark.parametrize("field", ["assessment", "rater", "site"])
@pytest.mark.parametrize(
    "bad",
    ["ben ", " ben", "be\u200bn", "ben\u00a0", "be\tn", "ben\x07", "\ufeffben", "be\u2028n"],
)
def test_ids_with_spaces_or_invisible_characters_are_refused(
    hand: Instrument, good_sheet: GoodSheet, field: str, bad: str
) -> None:
    problems = validate(hand, [good_sheet(**{field: bad})])
    assert [p.code for p in problems] == ["FR206"]
    assert problems[0].path.endswith(field)
    assert problems[0].value == bad
    assert repr(bad) in problems[0].message


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("rater", "Ben", "ben"),
        ("site", "North", "north"),
        ("assessment", "A1", "a1"),
        ("rater", "Zoë", "Zoe\u0308"),  # composed and decomposed e with diaeresis
        ("site", "ＮＯＲＴＨ", "north"),  # full-width letters
    ],
)
def test_near_duplicate_ids_are_refused_naming_both_spellings(
    hand: Instrument, good_sheet: GoodSheet, field: str, first: str, second: str
) -> None:
    other = "r2" if field != "rater" else "r1"
    sheets = [
        good_sheet(**{field: first, **({"rater": "r1"} if field != "rater" else {})}),
        good_sheet(**{field: second, **({"rater": other} if field != "rater" else {})}),
    ]
    if field == "assessment":  # both sheets need their own rater to be a pair
        sheets[1]["rater"] = "r2"
    problems = validate(hand, sheets)  # no FR303 as well: one mistake, one problem
    assert [p.code for p in problems] == ["FR305"]
    p = problems[0]
    assert repr(first) in p.message and repr(second) in p.message
    assert "<sheets> [0]" in p.message  # where the first spelling is
    assert p.sheet is not None and p.sheet.index == 1
    assert p.path.endswith(field) and p.value == second


def test_near_duplicates_are_found_across_files_with_their_rows(
    hand: Instrument, header: str, write: Write
) -> None:
    row = "hand@1.0.0,A{n},{rater},north,supervisor,,,1,1,1,1,\n"
    one = write(
        "one.csv", header + "\n" + row.format(n=1, rater="Ben") + row.format(n=2, rater="x")
    )
    two = write("two.csv", header + "\n" + row.format(n=3, rater="BEN"))
    problems = validate(hand, read_sheets([one, two]))
    assert [(p.code, p.sheet.file, p.sheet.row) for p in problems if p.sheet] == [
        ("FR305", str(two), 2)
    ]
    assert f"'BEN' here and 'Ben' at {one} row 2" in problems[0].message


def test_one_spelling_reported_once_per_sheet(hand: Instrument, good_sheet: GoodSheet) -> None:
    sheets = [good_sheet(assessment=f"A{k}", rater="Ben") for k in range(3)]
    sheets += [good_sheet(assessment=f"A{k}", rater="ben") for k in range(3)]
    problems = validate(hand, sheets)
    assert [p.code for p in problems] == ["FR305"] * 3
    assert [p.sheet.index for p in problems if p.sheet] == [3, 4, 5]


def test_same_spelling_everywhere_is_fine(hand: Instrument, good_sheet: GoodSheet) -> None:
    sheets = [good_sheet(rater="Ben"), good_sheet(rater="Ann"), good_sheet(rater="Zoë")]
    assert validate(hand, sheets) == []
