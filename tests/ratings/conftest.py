"""Fixtures of the rating-sheet tests: the small hand-worked instrument, its sheet files, a
valid JSON sheet to vary, and a writer for input files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fidelity
from fidelity.instrument import Instrument
from fidelity.ratings import Problem

DATA = Path(__file__).parents[1] / "data"

HEADER = "instrument,assessment,rater,site,informant,date,consensus,a1,a2,a3,b1,b2"
"""The wide CSV header of the hand instrument."""


@pytest.fixture(scope="session")
def hand() -> Instrument:
    """``tests/data/instruments/hand.yaml``: items a1-a3 (domain alpha) and b1-b2 (beta)."""
    return fidelity.load_instrument(DATA / "instruments" / "hand.yaml")


@pytest.fixture(scope="session")
def sheets_dir() -> Path:
    """``tests/data/sheets``: the same two sheets in every layout."""
    return DATA / "sheets"


@pytest.fixture(scope="session")
def header() -> str:
    """The wide CSV header of the hand instrument."""
    return HEADER


@pytest.fixture(scope="session")
def codes() -> Callable[[list[Problem]], list[str]]:
    """The codes of a list of problems, in order."""

    def codes(problems: list[Problem]) -> list[str]:
        return [p.code for p in problems]

    return codes


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a UTF-8 text file under ``tmp_path`` and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def good_sheet() -> Callable[..., dict[str, Any]]:
    """A valid JSON sheet on hand@1.0.0, with the given fields replaced."""

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

    return good_sheet
