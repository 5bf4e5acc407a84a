"""The problem codes that no other test triggers, each triggered through the public API, so that
every code in the registry is seen raised by some test (see ``test_docs.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fidelity
from fidelity.instrument import instrument_from_yaml

MINIMAL = Path(__file__).parent.parent / "data" / "lint" / "minimal.yaml"
SHEET_HEADER = "instrument,assessment,rater"


@pytest.fixture(scope="module")
def mini() -> fidelity.Instrument:
    return fidelity.load_instrument(MINIMAL)


def _codes(problems: object) -> set[str]:
    return {p.code for p in problems}  # type: ignore[attr-defined]


def test_fi010_an_infinite_weight_breaks_the_model() -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "    scale: four\n", "    scale: four\n    weight: .inf\n", 1
    )
    with pytest.raises(fidelity.InstrumentError) as caught:
        instrument_from_yaml(text, source="weight.yaml")
    assert "FI010" in _codes(caught.value.problems)


def test_fr001_a_directory_cannot_be_read(mini: fidelity.Instrument, tmp_path: Path) -> None:
    folder = tmp_path / "sheets.csv"
    folder.mkdir()
    assert _codes(fidelity.validate(mini, folder)) == {"FR001"}


def test_fr005_a_file_over_the_size_limit_is_not_read(
    mini: fidelity.Instrument, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # sparse: takes no disk space
        fh.truncate(512 * 1024 * 1024 + 1)
    assert _codes(fidelity.validate(mini, big)) == {"FR005"}


def test_fr107_a_table_without_a_column_for_a_required_item(
    mini: fidelity.Instrument, tmp_path: Path
) -> None:
    table = tmp_path / "sheets.csv"
    table.write_text(
        f"{SHEET_HEADER},t-open,c-goals\n{mini.spec},a1,r1,3,3\n", encoding="utf-8"
    )  # no column for c-pace
    problems = [p for p in fidelity.validate(mini, table) if p.code == "FR107"]
    assert [p.item for p in problems] == ["c-pace"]


def test_fr109_a_comment_on_an_unknown_item_or_not_text(
    mini: fidelity.Instrument, tmp_path: Path
) -> None:
    sheet = {
        "instrument": mini.spec,
        "assessment": "a1",
        "rater": "r1",
        "ratings": {"t-open": 3},
        "comments": {"no-such-item": "seen twice", "t-open": 5},
    }
    path = tmp_path / "sheet.json"
    path.write_text(json.dumps(sheet), encoding="utf-8")
    problems = [p for p in fidelity.validate(mini, path) if p.code == "FR109"]
    assert len(problems) == 2
