"""The sheet model: RatingSheet is strict and round-trips through the envelope schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fidelity._util.resources import load_schema
from fidelity._util.schema import validator_for
from fidelity.instrument import Instrument
from fidelity.ratings import (
    RatingSheet,
    validate,
)

GoodSheet = Callable[..., dict[str, Any]]


def test_records_round_trip_through_the_model(hand: Instrument, good_sheet: GoodSheet) -> None:
    s = RatingSheet.model_validate(good_sheet(comments={"a1": "clear example"}))
    assert validate(hand, s).ok
    envelope = validator_for(load_schema("rating-sheet"))
    assert list(envelope.iter_errors(s.to_record())) == []
    with pytest.raises(ValueError):
        RatingSheet.model_validate(good_sheet(ratings={"a1": "3"}))
    with pytest.raises(ValueError):
        RatingSheet.model_validate(good_sheet(ratings={"a1": True}))
