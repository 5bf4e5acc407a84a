"""The compiled instrument (built once per content hash) and the generated per-version JSON
Schema, which agrees with validate on single sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import fidelity
from fidelity._util.resources import load_schema
from fidelity._util.schema import validator_for
from fidelity.instrument import Instrument
from fidelity.ratings import (
    compile_instrument,
    sheet_schema,
    validate,
)

DATA = Path(__file__).parents[1] / "data"

VALUES = st.one_of(
    st.none(),
    st.integers(-1, 6),
    st.sampled_from(["NA", "3", "", "x"]),
    st.booleans(),
    st.just(ABSENT_KEY := "<absent>"),
)


def test_compiled_instrument_is_built_once_per_content_hash(hand: Instrument) -> None:
    again = fidelity.load_instrument(DATA / "instruments" / "hand.yaml")
    first = compile_instrument(hand)
    assert compile_instrument(again) is first
    assert first.validator is first.validator
    assert first.allowed_words[2] == "one of 0, 1, 2 or NA"


def test_strict_schema_shape(hand: Instrument) -> None:
    schema = sheet_schema(hand)
    items = schema["properties"]["ratings"]["properties"]
    assert items["a1"]["enum"] == [1, 2, 3, 4, 5, None]
    assert items["a3"]["enum"] == [0, 1, 2, "NA", None]
    assert items["a1"]["title"] == "Item a1, counted twice."
    assert schema["properties"]["instrument"] == {"const": "hand@1.0.0"}
    assert schema["x-content-hash"] == hand.content_hash


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries({k: VALUES for k in ("a1", "a2", "a3", "b1", "b2")}),
    st.sampled_from(["peer-worker", "supervisor", None]),
)
def test_the_schema_and_validate_agree_on_single_sheets(
    hand: Instrument, ratings: dict[str, Any], informant: str | None
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
    schema_ok = compile_instrument(hand).validator.is_valid(s)
    assert schema_ok == validate(hand, [s]).ok


def test_simulated_enrich_sheets_satisfy_the_strict_schema() -> None:
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_audit(inst, n_sites=3, seed=5)
    validator = compile_instrument(inst).validator
    assert all(validator.is_valid(s) for s in sim.sheets)
    envelope = validator_for(load_schema("rating-sheet"))
    assert all(envelope.is_valid(s) for s in sim.sheets)
