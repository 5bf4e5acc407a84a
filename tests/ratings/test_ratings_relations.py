"""Relation checks between sheets: duplicates, several consensus sheets, disagreeing sites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fidelity.instrument import Instrument
from fidelity.ratings import (
    Problem,
    read_sheets,
    validate,
)

Codes = Callable[[list[Problem]], list[str]]
GoodSheet = Callable[..., dict[str, Any]]
Write = Callable[[str, str], Path]


def test_relations_between_sheets(hand: Instrument, codes: Codes, good_sheet: GoodSheet) -> None:
    sheets = [
        good_sheet(rater="r1"),
        good_sheet(rater="r1"),  # duplicate
        good_sheet(rater="c1", consensus=True),
        good_sheet(rater="c2", consensus=True),  # second consensus
        good_sheet(rater="r3", site="south"),  # other site
    ]
    problems = validate(hand, sheets)
    assert codes(problems) == ["FR301", "FR302", "FR303"]
    assert "already appears at <sheets> [0]" in problems[0].message
    assert problems[2].message.startswith("sheets of assessment A1 disagree on site: south here")


def test_relations_are_checked_across_inputs(hand: Instrument, header: str, write: Write) -> None:
    row = "hand@1.0.0,A,r,{site},{informant},,,1,1,1,1,\n"
    one = write("one.csv", header + "\n" + row.format(site="", informant="supervisor"))
    two = write(
        "two.csv",
        header
        + "\n"
        + row.format(site="", informant="supervisor")
        + row.format(site="", informant="peer-worker").replace(",A,r,", ",A,r2,"),
    )
    problems = validate(hand, read_sheets([one, two]))
    got = [(p.code, p.sheet.file, p.sheet.row) for p in problems if p.sheet]
    assert got == [("FR301", str(two), 2), ("FR303", str(two), 3)]
    assert f"already appears at {one} row 2" in problems[0].message
    assert "disagree on informant: peer-worker here, supervisor on its first sheet" in (
        problems[1].message
    )
