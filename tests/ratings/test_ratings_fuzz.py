"""Fuzzing every reader: random bytes and random structured sheets, per format. Each input
yields a list of problems (never an uncaught exception, never a hang: every example has a
deadline), and reading the same input twice gives the same problems."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelity.instrument import Instrument, read_instrument_file
from fidelity.ratings import ProblemList, read_sheets, validate
from fidelity.ratings.templates import template_xlsx

HAND = read_instrument_file(Path(__file__).parents[1] / "data" / "instruments" / "hand.yaml")
HEADER = [
    *("instrument", "assessment", "rater", "site", "informant", "date", "consensus"),
    *("a1", "a2", "a3", "b1", "b2"),
]
FUZZ = settings(
    max_examples=60,
    deadline=3000,  # a hang fails the example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
CELL = st.one_of(
    TEXT,
    st.sampled_from(["", "NA", "1", "4", "9", "3.0", "=1+1", "true", "\ufeff", '"', "\r\n"]),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXT, kids, max_size=4),
    max_leaves=20,
)


def _check(inst: Instrument, path: Path) -> None:
    first = validate(inst, read_sheets(path))
    assert isinstance(first, ProblemList)
    again = validate(inst, read_sheets(path))
    assert [str(p) for p in first] == [str(p) for p in again]


def _write(tmp_path: Path, suffix: str, data: bytes) -> Path:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    return path


@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".json", ".jsonl", ".xlsx"]))
@FUZZ
def test_random_bytes_yield_problems(tmp_path_factory, data: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    _check(HAND, _write(tmp_path_factory.mktemp("b"), suffix, data))


@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=14), max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    header=st.booleans(),
)
@FUZZ
def test_random_csv_tables_yield_problems(tmp_path_factory, rows, sep, header) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    if header:
        writer.writerow(HEADER)
    writer.writerows(rows)
    _check(HAND, _write(tmp_path_factory.mktemp("c"), ".csv", buf.getvalue().encode()))


@given(doc=JSON, lines=st.lists(JSON, max_size=5))
@FUZZ
def test_random_json_documents_yield_problems(tmp_path_factory, doc, lines) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("j")
    _check(HAND, _write(folder, ".json", json.dumps(doc).encode()))
    text = "\n".join(json.dumps(v) for v in lines)
    _check(HAND, _write(folder, ".jsonl", text.encode()))


_BOOK = template_xlsx(HAND)


@given(flips=st.lists(st.tuples(st.integers(0, len(_BOOK) - 1), st.integers(0, 255)), max_size=6))
@FUZZ
def test_corrupted_workbooks_yield_problems(tmp_path_factory, flips) -> None:  # type: ignore[no-untyped-def]
    data = bytearray(_BOOK)
    for at, byte in flips:
        data[at] = byte
    _check(HAND, _write(tmp_path_factory.mktemp("x"), ".xlsx", bytes(data)))


def test_the_same_input_gives_byte_identical_outputs_apart_from_time_stamps(
    tmp_path: Path,
) -> None:
    import re

    from typer.testing import CliRunner

    from fidelity.cli import app

    example = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
    stamp = re.compile(
        rb"\"(scored_at|generated_at|written|run|sha256)\": \"[^\"]*\""
    )  # time, or from it
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        for args in (["score"], ["reliability", "--seed", "1"], ["raters"]):
            result = CliRunner().invoke(app, [*args, str(example), "-o", str(out / args[0])])
            assert result.exit_code == 0, result.output
        runs.append(
            {
                str(p.relative_to(out)): stamp.sub(rb'"\1": ""', p.read_bytes())
                for p in sorted(out.rglob("*"))
                if p.is_file()
            }
        )
    assert runs[0] == runs[1]
    assert len(runs[0]) >= 10
