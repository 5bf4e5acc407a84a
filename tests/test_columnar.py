"""Columnar tables: every table the library returns follows its documented schema as Arrow,
pandas and Polars, and Parquet files give back the same table and the same provenance."""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fidelity
from fidelity.columnar import (
    PROVENANCE_KEY,
    SCORE_TABLES,
    TABLE_KEY,
    TABLES,
    arrow_schema,
    input_digests,
    parquet_bytes,
    read_parquet,
    schema_markdown,
    to_arrow,
    to_polars,
    with_provenance,
    write_parquet,
)
from fidelity.ratings import validate
from fidelity.report import measurement_error, round_changes, site_round_scores
from fidelity.scoring import ScoreResult
from fidelity.simulate import simulate_audit

ARROW_TYPES = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64()}
ARROW_TYPES["bool"] = pa.bool_()
HAND = Path(__file__).parent / "data" / "instruments" / "hand.yaml"


@pytest.fixture(scope="module")
def inst() -> fidelity.Instrument:
    return fidelity.load_instrument("enrich-peer-support@1.1.0")


@pytest.fixture(scope="module")
def rounds(inst: fidelity.Instrument) -> list[dict[str, Any]]:
    """Two audit rounds of eight sites, six months apart."""
    first = simulate_audit(inst, n_sites=8, seed=1).sheets
    second = simulate_audit(inst, n_sites=8, seed=2, start_date="2024-09-01").sheets
    return [{**s, "round": "baseline"} for s in first] + [{**s, "round": "6m"} for s in second]


@pytest.fixture(scope="module")
def result(inst: fidelity.Instrument, rounds: list[dict[str, Any]]) -> ScoreResult:
    return fidelity.score(inst, rounds)


@pytest.fixture(scope="module")
def frames(
    inst: fidelity.Instrument, rounds: list[dict[str, Any]], result: ScoreResult
) -> dict[str, pd.DataFrame]:
    """Every table the library returns, by its schema name."""
    report = fidelity.reliability_report(inst, rounds, n_bootstrap=0)
    per_round = site_round_scores(result)
    error = measurement_error(result, report)
    bad = pd.DataFrame({"assessment": ["A", "A"], "rater": ["r", "r"], "a1": [9, 3.5]})
    return {
        "scores": result.to_pandas(),
        "scores_by_assessment": result.by_assessment(),
        "scores_by_site": result.by_site(),
        "site_scores": result.site_scores(),
        "site_round_scores": per_round,
        "round_changes": round_changes(per_round, error),
        "measurement_error": error,
        **{f"reliability_{k}": v for k, v in report.tables().items()},
        "problems": validate(fidelity.load_instrument(HAND), bad).to_pandas(),
    }


def test_every_schema_has_a_table_and_every_table_rows(frames: dict[str, pd.DataFrame]) -> None:
    assert set(frames) == set(TABLES)
    assert all(len(f) > 0 for f in frames.values())


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_has_its_documented_columns_and_types(
    frames: dict[str, pd.DataFrame], inst: fidelity.Instrument, name: str
) -> None:
    frame = frames[name]
    table = to_arrow(frame, name)
    spec = TABLES[name]
    repeated = _repeated(name, inst)
    assert table.schema.names == spec.names(repeated)
    assert set(map(str, frame.columns)) <= set(spec.names(repeated))
    declared = {n: c.dtype for c in spec.columns for n in spec.names(repeated) if _of(c, n)}
    assert {f.name: f.type for f in table.schema} == {
        n: ARROW_TYPES[d] for n, d in declared.items()
    }
    assert table.schema.metadata[TABLE_KEY.encode()] == name.encode()
    assert table.equals(pa.Table.from_pylist(table.to_pylist(), schema=table.schema))


def _repeated(name: str, inst: fidelity.Instrument) -> list[str]:
    if name == "reliability_spread":
        return ["1", "2", "3", "4"]
    has_domains = any(c.name == "<domain>" for c in TABLES[name].columns)
    return [d.id for d in inst.domains] if has_domains else []


def _of(column: Any, name: str) -> bool:
    return column.name == name or (
        column.repeated and name.startswith(column.prefix) and name not in _fixed(column)
    )


def _fixed(column: Any) -> set[str]:
    return {c.name for s in TABLES.values() for c in s.columns if not c.repeated}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_arrow_holds_the_same_values_as_pandas_with_nulls_for_missing(
    frames: dict[str, pd.DataFrame], name: str
) -> None:
    frame = frames[name]
    table = to_arrow(frame, name)
    back = table.to_pandas()
    for col in frame.columns:
        want = [None if _missing(v) else v for v in frame[col].tolist()]
        got = [None if _missing(v) else v for v in back[col].tolist()]
        if table.schema.field(col).type == pa.string():
            assert got == [None if v is None else str(v) for v in want], col
        else:
            assert got == want, col


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def test_missing_scores_are_nulls_not_nan(frames: dict[str, pd.DataFrame]) -> None:
    table = to_arrow(frames["scores"], "scores")
    overall = table.column("overall")
    assert overall.null_count == int(frames["scores"]["overall"].isna().sum()) > 0
    assert not pa.compute.any(pa.compute.is_nan(overall.drop_null())).as_py()


def test_the_schema_is_the_same_whatever_the_sheets_hold(inst: fidelity.Instrument) -> None:
    plain = fidelity.score(inst, simulate_audit(inst, n_sites=3, seed=5).sheets)
    assert plain.round is None and plain.migrated_from is None
    table = plain.to_arrow()
    assert table.schema.equals(arrow_schema("scores", plain.domain_ids), check_metadata=False)
    assert table.column("round").null_count == table.num_rows
    assert plain.to_arrow().schema.names == plain.to_polars().columns


def test_result_tables_by_name(result: ScoreResult) -> None:
    for name in SCORE_TABLES:
        table = result.to_arrow(name)
        prov = read_provenance(table)
        assert prov == {**result.provenance}
        assert result.to_polars(name).shape == (table.num_rows, table.num_columns)
    with pytest.raises(ValueError, match="unknown table 'sheets'; use one of scores, "):
        result.to_arrow("sheets")


def read_provenance(table: pa.Table) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads(table.schema.metadata[PROVENANCE_KEY.encode()])
    return loaded


def test_report_and_problem_tables(inst: fidelity.Instrument, rounds: list[Any]) -> None:
    report = fidelity.reliability_report(inst, rounds[:60], n_bootstrap=0)
    for name in report.tables():
        table = report.to_arrow(name)
        assert read_provenance(table) == report.provenance
        assert report.to_pandas(name).attrs["provenance"] == report.provenance
        assert report.to_polars(name).columns == table.schema.names
    with pytest.raises(ValueError, match="unknown table 'nope'; use one of scores, items"):
        report.to_pandas("nope")
    problems = fidelity.validate(inst, rounds[:60])
    assert problems.to_arrow({"instrument": inst.spec}).num_rows == len(problems)
    assert read_provenance(problems.to_arrow({"x": 1})) == {"x": 1}
    assert problems.to_polars()["code"].to_list() == [p.code for p in problems]


def test_parquet_gives_back_the_same_table_and_provenance(
    tmp_path: Path, result: ScoreResult
) -> None:
    table = with_provenance(result.to_arrow(), inputs=[{"path": "a.csv", "sha256": "00"}])
    target = tmp_path / "scores.parquet"
    write_parquet(table, target)
    back = read_parquet(target)
    assert back.table.equals(table)
    assert back.table.schema.equals(table.schema, check_metadata=True)
    assert back.name == "scores"
    assert back.provenance == {**result.provenance, "inputs": [{"path": "a.csv", "sha256": "00"}]}
    assert pq.read_metadata(target).metadata[PROVENANCE_KEY.encode()]


def test_a_parquet_file_fidelity_did_not_write_reads_with_no_name(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": [1]}), tmp_path / "other.parquet")
    back = read_parquet(tmp_path / "other.parquet")
    assert (back.name, back.provenance, back.table.num_rows) == (None, {}, 1)


def test_writing_replaces_the_file_whole(tmp_path: Path, result: ScoreResult) -> None:
    target = tmp_path / "scores.parquet"
    target.write_bytes(b"old")
    with pytest.raises(AttributeError):
        write_parquet("not a table", target)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    write_parquet(result.to_arrow(), target)
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]
    assert read_parquet(target).table.num_rows == len(result)


def test_input_digests(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"x" * 3_000_000)
    (found,) = input_digests([path])
    assert found == {
        "path": str(path),
        "bytes": 3_000_000,
        "sha256": hashlib.sha256(b"x" * 3_000_000).hexdigest(),
    }


def test_without_polars_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, result: ScoreResult
) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match=r"needs Polars.*pip install 'fidelity\[polars\]'"):
        result.to_polars()
    assert result.to_arrow().num_rows == len(result)


def test_an_unknown_table_or_column_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown table 'nope'; the tables are scores, "):
        to_arrow(pd.DataFrame(), "nope")
    with pytest.raises(ValueError, match="table 'problems' has no column 'extra'"):
        to_arrow(pd.DataFrame({"code": ["FR101"], "extra": [1]}), "problems")


def test_the_docs_table_lists_every_column() -> None:
    for name, spec in TABLES.items():
        text = schema_markdown(name)
        assert text.startswith(f"`{name}`: one row per {spec.row}.")
        assert [line.split("`")[1] for line in text.splitlines()[4:]] == [
            c.name for c in spec.columns
        ]


def test_an_empty_schema_is_a_dask_meta(result: ScoreResult) -> None:
    meta = arrow_schema("scores", result.domain_ids).empty_table().to_pandas()
    assert list(meta.columns) == result.to_arrow().schema.names
    assert meta["overall"].dtype == np.float64 and meta["n_na"].dtype == np.int64


_scores = st.one_of(st.none(), st.floats(0, 5), st.just(math.nan), st.integers(0, 5))


@given(
    st.lists(
        st.tuples(st.text(max_size=8) | st.none(), _scores, st.integers(0, 10**6)),
        max_size=30,
    )
)
def test_parquet_round_trip_keeps_every_value(rows: list[tuple[Any, Any, int]]) -> None:
    frame = pd.DataFrame(
        {
            "site": [r[0] for r in rows],
            "n_assessments": [r[2] for r in rows],
            "informants": ["a, b"] * len(rows),
            "d1": pd.Series([r[1] for r in rows], dtype=object),
            "overall": [float("nan")] * len(rows),
            "band": [None] * len(rows),
        }
    )
    table = to_arrow(frame, "site_scores", {"n": len(rows)})
    back = pq.read_table(pa.BufferReader(parquet_bytes(table)))
    assert back.equals(table)
    assert back.column("d1").to_pylist() == [
        None if r[1] is None or r[1] != r[1] else float(r[1]) for r in rows
    ]
    assert to_polars(back).height == len(rows)


def test_text_columns_holding_other_values_keep_them_as_text() -> None:
    frame = pd.DataFrame(
        {
            "code": pd.Series(["FR101", 7, None, pd.NA, "<NA>", float("nan")], dtype=object),
            "row": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        }
    )
    table = to_arrow(frame, "problems")
    assert table.column("code").to_pylist() == ["FR101", "7", None, None, "<NA>", None]
    assert table.column("row").to_pylist() == [1, None, 3, 4, 5, 6]
    assert table.column("message").null_count == 6


def test_the_command_line_and_the_library_load_no_columnar_library_until_asked() -> None:
    """``fidelity --help`` stays fast: pyarrow, Polars, narwhals and Dask are imported when a
    table is converted or a frame is read, never when fidelity is."""
    import subprocess

    script = (
        "import sys\n"
        "import fidelity.cli, fidelity.columnar, fidelity.scoring, fidelity.report.build\n"
        "heavy = {'pyarrow', 'polars', 'narwhals', 'dask', 'pandas'} & set(sys.modules)\n"
        "assert not heavy, sorted(heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
