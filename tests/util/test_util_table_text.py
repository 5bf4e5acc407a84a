"""The column-wise CSV and JSON encoders write exactly what pandas' ``to_csv`` and the standard
library's ``json.dumps`` write: both reference paths are kept here and compared on generated
tables (text with quotes, commas, line breaks, formula-like cells and control characters;
missing values of every kind; floats of every magnitude; integers and booleans)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelity._util.csvtext import csv_output, csv_text
from fidelity._util.jsontext import float_texts, json_document, records
from fidelity._util.text import safe_cell

TEXT = st.one_of(
    st.sampled_from(
        ["", "x", "=1+1", "-1.5", "+3", "@A", 'q"q', "a,b", "l\nm", "\r", "a\rb", "%s", "é", "\x00"]
    ),
    st.text(max_size=6),
)
FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e-4, 9.99e-5, 1e15, 1e16, 1 / 3, 2.8266666667, math.nan]),
)
OBJECT = st.one_of(TEXT, st.none(), st.just(math.nan), st.integers(-5, 5), st.booleans(), FLOAT)


def reference_csv(frame: pd.DataFrame) -> str:
    """What the CSV writer did before it was column-wise: pandas' ``to_csv``."""
    out = frame.rename(columns=lambda c: safe_cell(c) if isinstance(c, str) else c)
    for col in [c for c in out.columns if out[c].dtype == object]:
        out[col] = out[col].map(safe_cell)
    text: str = out.to_csv(index=False, lineterminator="\n")
    return text


@st.composite
def frames(draw: st.DrawFn, objects: st.SearchStrategy[Any] = OBJECT) -> pd.DataFrame:
    n = draw(st.integers(0, 5))
    data: dict[str, pd.Series[Any]] = {}
    for k in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "object", "float", "int", "bool"]))
        name = draw(st.sampled_from(["c", "=c", 'k"', "%d", "é"])) + str(k)
        if kind == "text":
            values: list[Any] = draw(st.lists(TEXT, min_size=n, max_size=n))
            data[name] = pd.Series(values, dtype=object)
        elif kind == "object":
            data[name] = pd.Series(draw(st.lists(objects, min_size=n, max_size=n)), dtype=object)
        elif kind == "float":
            data[name] = pd.Series(draw(st.lists(FLOAT, min_size=n, max_size=n)), dtype=float)
        elif kind == "int":
            ints = draw(st.lists(st.integers(-(2**40), 2**40), min_size=n, max_size=n))
            data[name] = pd.Series(ints, dtype="int64")
        else:
            data[name] = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return pd.DataFrame(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_csv_text_is_what_pandas_writes(frame: pd.DataFrame) -> None:
    assert csv_text(frame) == reference_csv(frame)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(frames(st.one_of(OBJECT, st.sampled_from([pd.NA, np.str_("=s"), "\ud800", b"b"]))))
def test_csv_output_is_the_text_as_utf8_or_the_text_that_has_none(frame: pd.DataFrame) -> None:
    text = reference_csv(frame)
    try:
        expected: str | bytes = text.encode("utf-8")
    except UnicodeEncodeError:  # left for the writer to refuse, naming the file
        expected = text
    assert csv_output(frame) == expected


def test_csv_text_of_many_rows_neutralises_and_quotes_only_where_needed() -> None:
    n = 5_000
    frame = pd.DataFrame(
        {
            "id": [f"s{k}" if k % 997 else "=cmd|x" for k in range(n)],
            "note": ["a, b" if k % 3 == 0 else 'say "hi"' if k % 3 == 1 else "" for k in range(n)],
            "x": np.where(np.arange(n) % 5 == 0, np.nan, np.arange(n) / 7),
            "tiny": np.arange(n) * 1e-7,
            "n": np.arange(n),
            "ok": np.arange(n) % 2 == 0,
        }
    )
    assert csv_text(frame) == reference_csv(frame)
    assert "'=cmd|x" in csv_text(frame)


def test_csv_text_keeps_formula_cells_inert_and_quotes_what_needs_quoting() -> None:
    frame = pd.DataFrame({"site": ["=1+2", "a,b", None], "n": [1, 2, 3], "x": [0.5, np.nan, 2]})
    assert csv_text(frame) == 'site,n,x\n\'=1+2,1,0.5\n"a,b",2,\n,3,2.0\n'
    assert csv_text(frame) == reference_csv(frame)


def test_integers_of_every_width_and_sign_are_written_as_str_writes_them() -> None:
    frame = pd.DataFrame(
        {
            "i64": np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max]),
            "u64": np.array([0, 1, 2**63, np.iinfo(np.uint64).max], dtype=np.uint64),
            "i8": np.array([-128, 0, 5, 127], dtype=np.int8),
        }
    )
    assert csv_text(frame) == reference_csv(frame)
    assert csv_text(frame).splitlines()[4] == "9223372036854775807,18446744073709551615,127"


def test_the_bytes_are_a_view_of_one_buffer_holding_the_header_and_every_row() -> None:
    frame = pd.DataFrame({"site": ["s1", "=s2"], "x": [1.5, np.nan], "n": [1, 2]})
    data = csv_output(frame)
    assert isinstance(data, memoryview) and data.format == "B" and data.nbytes == len(data)
    assert bytes(data) == reference_csv(frame).encode("utf-8") == b"site,x,n\ns1,1.5,1\n'=s2,,2\n"


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"d": pd.to_datetime(["2024-01-02", None])}),
        pd.DataFrame({"c": pd.Categorical(["=a", "b"])}),
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}),
        pd.DataFrame({"s": ["x"]}),
        pd.DataFrame({"s": [""]}),
        pd.DataFrame({"f": np.array([1.5, np.nan], dtype=np.float32)}),
        pd.DataFrame(),
    ],
)
def test_csv_text_of_other_column_types_is_pandas_own(frame: pd.DataFrame) -> None:
    assert csv_text(frame) == reference_csv(frame)


def reference_json(head: dict[str, Any], tables: dict[str, pd.DataFrame], indent: Any) -> str:
    doc = {**head, **{k: records(t) for k, t in tables.items()}}
    return json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)


def _outcome(fn: Any, *args: Any) -> str:
    try:
        text: str = fn(*args)
    except (TypeError, ValueError) as exc:  # json.dumps refuses a value: so must the fast path
        return type(exc).__name__
    return text


ODD = st.one_of(
    OBJECT,
    st.sampled_from([math.inf, pd.NA, np.int64(5), np.float64(2.5), [1, "a"], {"k": None}]),
    st.just("\ud800"),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(["sheets", "a%s", "sites"]), frames(ODD), max_size=3),
    st.sampled_from([None, 0, 2, 4]),
    st.sampled_from(["text", "\x00table-", 1.5, [1, {"b": None}]]),
)
def test_json_document_is_what_json_dumps_writes(
    tables: dict[str, pd.DataFrame], indent: int | None, value: Any
) -> None:
    head = {"provenance": {"x": value}, "domains": [], "empty": {}}
    assert _outcome(json_document, head, tables, indent) == _outcome(
        reference_json, head, tables, indent
    )


def test_json_document_spans_chunks_of_rows() -> None:
    n = 20_000  # more than one chunk of rows
    frame = pd.DataFrame({"a": [f"s{k}" for k in range(n)], "x": np.arange(n) / 7})
    frame.loc[5, "x"] = np.nan
    for indent in (None, 2):
        text = json_document({"p": 1}, {"rows": frame}, indent=indent)
        assert text == reference_json({"p": 1}, {"rows": frame}, indent)
        assert json.loads(text)["rows"][5] == {"a": "s5", "x": None}


@settings(max_examples=200)
@given(st.lists(FLOAT, max_size=20))
def test_float_texts_are_python_texts(values: list[float]) -> None:
    array = np.array(values, dtype=np.float64)
    assert float_texts(array, "null") == ["null" if v != v else repr(v) for v in values]
    assert float_texts(array, "") == ["" if v != v else repr(v) for v in values]
