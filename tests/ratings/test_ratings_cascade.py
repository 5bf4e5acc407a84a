"""One mistake, one problem: each single mistake in an otherwise valid batch produces exactly
one problem for its root cause, and no follow-on problem (an item column misspelt is not also
a missing column, a sheet pinned to another version is not also judged against this one, a
bad site is not also a disagreement about the site)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fidelity.instrument import Instrument
from fidelity.ratings import validate

HEADER = "instrument,assessment,rater,site,informant,a1,a2,a3,b1,b2"
ROWS = [
    f"hand@1.0.0,{a},{r},north,supervisor,{v},2,1,3,NA"
    for a in ("A", "B")
    for r, v in (("r1", 4), ("r2", 5))
]


def _csv(edit: Callable[[list[str]], list[str]]) -> str:
    return "\n".join(edit([HEADER, *ROWS])) + "\n"


def _sheets() -> list[dict[str, Any]]:
    return [
        {
            "instrument": "hand@1.0.0",
            "assessment": a,
            "rater": r,
            "site": "north",
            "informant": "supervisor",
            "ratings": {"a1": v, "a2": 2, "a3": 1, "b1": 3, "b2": "NA"},
        }
        for a in ("A", "B")
        for r, v in (("r1", 4), ("r2", 5))
    ]


def _json(edit: Callable[[list[dict[str, Any]]], None]) -> list[dict[str, Any]]:
    sheets = copy.deepcopy(_sheets())
    edit(sheets)
    return sheets


def _row(k: int, old: str, new: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        lines[k] = lines[k].replace(old, new, 1)
        return lines

    return edit


def _set(k: int, **fields: Any) -> Callable[[list[dict[str, Any]]], None]:
    def edit(sheets: list[dict[str, Any]]) -> None:
        for key, value in fields.items():
            if key in sheets[k]["ratings"] or key.startswith("r:"):
                sheets[k]["ratings"][key.removeprefix("r:")] = value
            else:
                sheets[k][key] = value

    return edit


def _rename_key(old: str, new: str) -> Callable[[list[dict[str, Any]]], None]:
    def edit(sheets: list[dict[str, Any]]) -> None:
        for s in sheets:
            s["ratings"][new] = s["ratings"].pop(old)

    return edit


def _drop(k: int, key: str) -> Callable[[list[dict[str, Any]]], None]:
    def edit(sheets: list[dict[str, Any]]) -> None:
        del sheets[k][key]

    return edit


def _dup(sheets: list[dict[str, Any]]) -> None:
    sheets[1]["rater"] = "r1"


def _consensus_twice(sheets: list[dict[str, Any]]) -> None:
    for k in (0, 1):
        sheets[k].update(rater="consensus", consensus=True)


def _mixed(lines: list[str]) -> list[str]:
    return [*lines[:3], *(ln.replace("hand@1.0.0", "hand@2.0.0") for ln in lines[3:])]


def _mixed_columns(lines: list[str]) -> list[str]:
    """Rows 4-5 on another version that has an item c1 this one lacks."""
    out = [lines[0] + ",c1", *(ln + "," for ln in lines[1:3])]
    return [*out, *(ln.replace("hand@1.0.0", "hand@2.0.0") + ",2" for ln in lines[3:])]


CSV_MISTAKES: dict[str, tuple[Callable[[list[str]], list[str]], list[str]]] = {
    "wrong informant": (_row(1, "supervisor", "nurse"), ["FR205"]),
    "item column misspelt": (_row(0, "a1", "A 1"), ["FR104"]),
    "item column with another number": (_row(0, "a2", "a7"), ["FR104"]),
    "field column misspelt": (_row(0, "site", "Site"), ["FR020"]),
    "wrong version on one row": (_row(2, "hand@1.0.0", "hand@2.0.0"), ["FR204"]),
    "wrong version on half the file": (_mixed, ["FR204", "FR204"]),
    "other version's columns": (_mixed_columns, ["FR204", "FR204"]),
    "assessment missing": (_row(1, ",A,", ",,"), ["FR201"]),
    "other instrument": (_row(1, "hand@1.0.0", "other@1.0.0"), ["FR204"]),
    "duplicate sheet": (_row(2, ",r2,", ",r1,"), ["FR301"]),
    "value off the scale": (_row(1, ",4,", ",7,"), ["FR101"]),
    "not a value": (_row(1, ",4,", ",four,"), ["FR102"]),
    "NA where not allowed": (_row(1, ",4,", ",NA,"), ["FR103"]),
    "rater missing": (_row(1, ",r1,", ",,"), ["FR201"]),
    "rater with a space": (_row(1, ",r1,", ",r1 ,"), ["FR206"]),
    "site with a space": (_row(1, ",north,", ",north ,"), ["FR206"]),
    "rater spelled two ways": (_row(3, ",r1,", ",R1,"), ["FR305"]),
    "site spelled two ways": (_row(2, ",north,", ",North,"), ["FR305"]),
    "site differs": (_row(2, ",north,", ",south,"), ["FR303"]),
    "row with an extra cell": (_row(4, ",NA", ",NA,x"), ["FR023"]),
    "extra column": (lambda ls: [ls[0] + ",notes", *(ln + ",x" for ln in ls[1:])], ["FR207"]),
}

JSON_MISTAKES: dict[str, tuple[Callable[[list[dict[str, Any]]], None], list[str]]] = {
    "wrong informant": (_set(0, informant="nurse"), ["FR205"]),
    "item key misspelt on every sheet": (_rename_key("a1", "a 1"), ["FR104"] * 4),
    "item not asked of the informant": (
        _set(0, informant="peer-worker"),
        ["FR106", "FR303"],  # the b2 answer and the informant the other rater names
    ),
    "wrong version": (_set(0, instrument="hand@2.0.0", **{"r:x9": 1}), ["FR204"]),
    "duplicate sheet": (_dup, ["FR301"]),
    "value of the wrong type": (_set(0, a1="4"), ["FR102"]),
    "assessment missing": (_drop(0, "assessment"), ["FR201"]),
    "field misspelt": (_set(0, Rater="r9"), ["FR203"]),
    "extra field on every sheet": (
        lambda ss: [s.update(notes="x") for s in ss] and None,
        ["FR207"],
    ),
    "date not a date": (_set(0, date="2024-02-30"), ["FR202"]),
    "ratings not an object": (_set(0, ratings=[4, 2, 1]), ["FR202"]),
    "comment not text": (_set(0, comments={"a1": 3}), ["FR109"]),
    "second consensus sheet": (_consensus_twice, ["FR302"]),
}


def test_the_batch_without_mistakes_is_valid(hand: Instrument, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(_csv(lambda ls: ls))
    assert validate(hand, path) == []
    assert validate(hand, _sheets()) == []


@pytest.mark.parametrize("mistake", list(CSV_MISTAKES))
def test_one_csv_mistake_is_one_problem(hand: Instrument, tmp_path: Path, mistake: str) -> None:
    edit, expected = CSV_MISTAKES[mistake]
    path = tmp_path / "s.csv"
    path.write_text(_csv(edit))
    problems = validate(hand, path)
    assert [p.code for p in problems] == expected, [str(p) for p in problems]


@pytest.mark.parametrize("mistake", list(JSON_MISTAKES))
def test_one_json_mistake_is_one_problem(hand: Instrument, mistake: str) -> None:
    edit, expected = JSON_MISTAKES[mistake]
    problems = validate(hand, _json(edit))
    assert [p.code for p in problems] == expected, [str(p) for p in problems]
