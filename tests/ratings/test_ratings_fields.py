"""Field checks: assessment, rater, site, informant, date, consensus, the instrument pin and
unknown fields of a JSON sheet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fidelity.instrument import Instrument
from fidelity.ratings import (
    validate,
)
from fidelity.scoring import score

Write = Callable[[str, str], Path]
GoodSheet = Callable[..., dict[str, Any]]


def test_sheet_fields(hand: Instrument, good_sheet: GoodSheet) -> None:
    bad = [
        {"rater": "r", "ratings": {}},  # no assessment
        good_sheet(assessment=17, rater="r2"),  # wrong type
        good_sheet(rater="r3", date="2024-02-30"),
        good_sheet(rater="r4", consensus="yes"),
        good_sheet(rater="r5", informant="nurse"),
        good_sheet(rater="r6", Site="north"),
        good_sheet(rater="r7", instrument="hand@2.0.0"),
        good_sheet(rater="r8", instrument="other@1.0.0"),
        good_sheet(rater="r9", instrument="hand"),
        good_sheet(rater="r10", ratings=[1, 2]),
    ]
    found = validate(hand, bad)
    by_rater = {p.sheet.rater if p.sheet else None: p for p in found if p.code != "FR105"}
    assert by_rater[None].code == "FR201" if None in by_rater else True
    pairs = sorted({(p.code, p.path) for p in found.errors})
    assert ("FR201", "$[0].assessment") in pairs
    assert ("FR202", "$[1].assessment") in pairs
    assert ("FR202", "$[2].date") in pairs
    assert ("FR202", "$[3].consensus") in pairs
    assert ("FR205", "$[4].informant") in pairs
    assert ("FR203", "$[5]['Site']") in pairs  # like the field site
    assert ("FR204", "$[6].instrument") in pairs and ("FR204", "$[7].instrument") in pairs
    assert ("FR204", "$[8].instrument") in pairs and ("FR202", "$[9].ratings") in pairs
    messages = " | ".join(p.message for p in found)
    assert "pinned to hand@2.0.0, but is being checked against hand@1.0.0" in messages
    assert "without a version; pin it as 'hand@1.0.0'" in messages
    assert "unknown informant 'nurse'; hand@1.0.0 knows peer-worker or supervisor" in messages


def test_csv_consensus_is_true_or_false_in_any_case(
    hand: Instrument, header: str, write: Write
) -> None:
    # docs: a consensus cell in CSV is true or false in any case, or empty
    rows = "".join(
        f"hand@1.0.0,A,r{k},,supervisor,,{flag},1,1,1,1,\n"
        for k, flag in enumerate(["tRUE", "fAlSe", "False", ""])
    )
    path = write("s.csv", f"{header}\n{rows}hand@1.0.0,B,r,,supervisor,,yes,1,1,1,1,\n")
    problems = validate(hand, path)
    assert [(p.code, p.value) for p in problems] == [("FR202", "yes")]
    ok = write("ok.csv", f"{header}\n{rows}")
    assert score(hand, ok).consensus.tolist() == [True, False, False, False]
