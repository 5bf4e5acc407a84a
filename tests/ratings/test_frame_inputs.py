"""Sheets from any data frame: pandas, Polars and pyarrow tables get exactly the checks and
messages of the DataFrame reader, and every entry point takes an instrument spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import fidelity
from fidelity.catalog import as_instrument
from fidelity.instrument import Instrument
from fidelity.ratings import as_batch, check_sheets, read_sheets, validate
from fidelity.report import reliability_report
from fidelity.scoring import score

HAND = Path(__file__).parents[1] / "data" / "instruments" / "hand.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"


def _bad_frame() -> pd.DataFrame:
    """Typed columns (as Polars and Arrow need them) holding one of each kind of mistake."""
    return pd.DataFrame(
        {
            "assessment": ["A", "B", "C", "C", "D", None],
            "rater": ["r1", "r1", "r1", "r1", "r2", "r3"],
            "site": ["north", "north", "south", "south", None, "east"],
            "informant": ["supervisor", "peer-worker", "nobody", "nobody", "supervisor", None],
            "date": ["2024-05-02", "2024-13-01", None, "2024-05-03", "02/05/2024", None],
            "a1": [1.0, 3.5, np.nan, 9.0, 2.0, 1.0],  # a float that is no level, a gap
            "a2": ["2", "three", "NA", None, " 3", "2"],  # text: a word, NA not allowed
            "a3": [0, 1, 2, 5, 1, 0],  # off the 0-2 scale
            "b1": [True, False, True, True, False, True],  # true/false is no level
            "zz": ["1", None, None, None, None, None],  # no such item
        }
    )


def _problems(frame: Any) -> list[dict[str, Any]]:
    return [p.to_dict() for p in validate(HAND_INST, frame)]


HAND_INST: Instrument = as_instrument(HAND)


def test_the_bad_frame_has_problems_of_many_kinds() -> None:
    codes = {p["code"] for p in _problems(_bad_frame())}
    assert len(codes) >= 6, codes


def test_the_same_bad_frame_gives_the_same_problems_in_pandas_polars_and_arrow() -> None:
    frame = _bad_frame()
    expected = _problems(frame)
    assert _problems(pl.from_pandas(frame)) == expected
    assert _problems(pa.Table.from_pandas(frame, preserve_index=False)) == expected


def test_a_polars_frame_with_nulls_in_an_integer_column_reads_as_pandas_does() -> None:
    good = {
        "assessment": ["A", "B"],
        "rater": ["r", "r"],
        "informant": ["supervisor", "supervisor"],
        "a1": [1, None],
        "a2": [2, 3],
        "a3": [0, None],
        "b1": [4, 5],
        "b2": [None, 1],
    }
    native = pl.DataFrame(good)
    assert native.schema["a1"] == pl.Int64
    by_pandas = score(HAND_INST, pd.DataFrame(good)).to_arrow()
    assert score(HAND_INST, native).to_arrow().equals(by_pandas)
    assert score(HAND_INST, pa.table(good)).to_arrow().equals(by_pandas)


def test_dates_from_each_library_read_as_iso_text() -> None:
    import datetime as dt

    base = {"assessment": ["A"], "rater": ["r"], "informant": ["supervisor"], "a1": [1]}
    base |= {"a2": [1], "a3": [1], "b1": [1]}
    day = dt.date(2024, 5, 2)
    frames = [
        pd.DataFrame({**base, "date": [pd.Timestamp(day)]}),
        pl.DataFrame({**base, "date": [day]}),
        pa.table({**base, "date": pa.array([day], pa.date32())}),
    ]
    for frame in frames:
        assert list(score(HAND_INST, frame).date) == ["2024-05-02"]


def test_read_sheets_and_as_batch_take_frames() -> None:
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    for native in (frame, pl.from_pandas(frame), pa.Table.from_pandas(frame)):
        assert len(read_sheets(native)) == len(frame)
        assert len(as_batch(native)) == len(frame)


def test_a_file_format_for_a_frame_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="format='csv' names a file format; a data frame has"):
        read_sheets(pl.from_pandas(_bad_frame()), format="csv")


def test_a_lazy_frame_is_refused_with_what_to_do() -> None:
    lazy = pl.from_pandas(_bad_frame()).lazy()
    with pytest.raises(TypeError, match=r"lazy frame \(polars\.LazyFrame\).*collect"):
        validate(HAND_INST, lazy)


@pytest.mark.parametrize(
    ("given", "name"), [(3.5, "float"), (pd.Series([1]), "pandas.Series"), (b"x", "bytes")]
)
def test_anything_else_is_a_type_error_naming_it(given: Any, name: str) -> None:
    with pytest.raises(TypeError, match=rf"pyarrow Table\) or a SheetBatch, not {name}$"):
        validate(HAND_INST, given)


def test_every_entry_point_takes_an_instrument_spec() -> None:
    spec = "enrich-peer-support@1.1.0"
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    inst = fidelity.load_instrument(spec)
    assert (
        fidelity.score(spec, frame)
        .to_arrow()
        .drop(["source"])
        .equals(fidelity.score(inst, frame).to_arrow().drop(["source"]))
    )
    assert fidelity.validate(spec, frame) == fidelity.validate(inst, frame)
    assert check_sheets(spec, frame).values.shape == (len(frame), len(inst.items))
    report = reliability_report(spec, frame, n_bootstrap=0)
    assert report.provenance["instrument"] == spec
    sheet = {"assessment": "A", "rater": "r", "ratings": {"a1": 1, "a2": 2, "a3": 0, "b1": 3}}
    assert fidelity.score(str(HAND), sheet).instrument == "hand@1.0.0"


@pytest.mark.parametrize("entry", [validate, score, check_sheets, reliability_report])
def test_an_instrument_of_the_wrong_type_is_a_type_error(entry: Any) -> None:
    with pytest.raises(TypeError, match=r"an Instrument or an instrument spec.*not int$"):
        entry(3, _bad_frame())
