"""Validation as a whole: every problem collected, in input, sheet and item order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fidelity.instrument import Instrument
from fidelity.ratings import (
    Problem,
    validate,
)

Codes = Callable[[list[Problem]], list[str]]
Write = Callable[[str, str], Path]


def test_no_sheets_at_all(hand: Instrument, codes: Codes) -> None:
    assert codes(validate(hand, [])) == ["FR002"]


def test_all_problems_are_collected_in_order(hand: Instrument, header: str, write: Write) -> None:
    rows = "\n".join(f"hand@1.0.0,A{k},r,,supervisor,,,9,x,NA,1,7" for k in range(50))
    problems = validate(hand, write("s.csv", f"{header}\n{rows}\n"))
    assert len(problems) == 150 and problems.errors == problems
    assert [p.sheet.row for p in problems if p.sheet][:6] == [2, 2, 2, 3, 3, 3]
    assert [p.item for p in problems][:3] == ["a1", "a2", "b2"]
