"""Parquet outputs of ``score``, ``reliability`` and ``validate``: typed tables whose metadata
holds the provenance and the inputs' SHA-256, written as part of the run's output set."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import fidelity
from fidelity._util.atomic import read_output_set
from fidelity.cli import app
from fidelity.cli._common import OUTPUT_MANIFEST
from fidelity.columnar import read_parquet

runner = CliRunner()
EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
HAND = Path(__file__).parents[1] / "data" / "instruments" / "hand.yaml"
INPUT = {
    "path": str(EXAMPLE),
    "bytes": EXAMPLE.stat().st_size,
    "sha256": hashlib.sha256(EXAMPLE.read_bytes()).hexdigest(),
}


def test_score_writes_the_four_tables_as_parquet_with_provenance(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = runner.invoke(app, ["score", str(EXAMPLE), "-o", str(out), "-f", "parquet", "-q"])
    assert run.exit_code == 0, run.output
    written = read_output_set(out, OUTPUT_MANIFEST)
    names = ["scores", "scores-by-assessment", "scores-by-site", "site-scores"]
    assert sorted(written) == sorted(f"{n}.parquet" for n in names)
    result = fidelity.score("enrich-peer-support@1.1.0", EXAMPLE)
    for name in names:
        back = read_parquet(out / f"{name}.parquet")
        assert back.name == name.replace("-", "_")
        assert back.provenance["instrument"] == "enrich-peer-support@1.1.0"
        assert back.provenance["content_hash"] == result.content_hash
        assert back.provenance["fidelity_version"] == fidelity.__version__
        assert back.provenance["scored_at"]
        assert back.provenance["inputs"] == [INPUT]
        expected = result.to_arrow(back.name)
        assert back.table.equals(expected), name


def test_score_parquet_next_to_csv_holds_the_same_scores(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["score", str(EXAMPLE), "-o", str(out), "-f", "parquet", "-f", "csv", "-q"]
    assert runner.invoke(app, args).exit_code == 0
    csv = pd.read_csv(out / "site-scores.csv")
    parquet = read_parquet(out / "site-scores.parquet").table.to_pandas()
    assert list(csv.columns) == list(parquet.columns)
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)


def test_reliability_writes_its_tables_as_parquet(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    args = ["reliability", str(EXAMPLE), "-o", str(out), "-f", "parquet", "--bootstrap", "0"]
    run = runner.invoke(app, args)
    assert run.exit_code == 0, run.output
    written = sorted(read_output_set(out, OUTPUT_MANIFEST))
    tables = ["consistency", "item-total", "items", "scores", "spread"]
    assert written == sorted(["reliability.json", *(f"reliability-{t}.parquet" for t in tables)])
    report = fidelity.reliability_report("enrich-peer-support@1.1.0", EXAMPLE, n_bootstrap=0)
    back = read_parquet(out / "reliability-items.parquet")
    assert back.name == "reliability_items"
    assert back.provenance["inputs"] == [INPUT]
    assert back.provenance["n_bootstrap"] == 0 and back.provenance["generated_at"]
    assert back.table.equals(report.to_arrow("items"))


def test_reliability_format_needs_an_output_directory() -> None:
    run = runner.invoke(app, ["reliability", str(EXAMPLE), "-f", "parquet"])
    assert run.exit_code == 2
    assert "give --out DIR too" in run.stderr


def test_validate_writes_the_problems_as_parquet(tmp_path: Path) -> None:
    sheets = tmp_path / "s.csv"
    sheets.write_text(
        "instrument,assessment,rater,informant,a1,a2,a3,b1\n"
        "hand@1.0.0,A,r,supervisor,9,1,0,1\n"
        "hand@1.0.0,B,r,supervisor,1,,0,1\n"
    )
    target = tmp_path / "problems.parquet"
    run = runner.invoke(app, ["validate", "-i", str(HAND), str(sheets), "--problems", str(target)])
    assert run.exit_code == 1
    back = read_parquet(target)
    assert back.name == "problems"
    assert back.table.column("code").to_pylist() == ["FR101", "FR105"]
    assert back.table.column("row").to_pylist() == [2, 3]
    prov = back.provenance
    assert prov["instrument"] == "hand@1.0.0" and prov["n_sheets"] == 2
    assert prov["inputs"][0]["sha256"] == hashlib.sha256(sheets.read_bytes()).hexdigest()
    assert prov["validated_at"] and prov["fidelity_version"] == fidelity.__version__
    csv = tmp_path / "problems.csv"
    runner.invoke(app, ["validate", "-i", str(HAND), str(sheets), "--problems", str(csv)])
    from_csv = pd.read_csv(io.StringIO(csv.read_text()), dtype=str, keep_default_na=False)
    assert list(from_csv.columns) == back.table.schema.names


@pytest.mark.parametrize("suffix", [".json", ".pq"])
def test_validate_names_the_problem_file_formats(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"problems{suffix}"
    run = runner.invoke(app, ["validate", str(EXAMPLE), "--problems", str(target)])
    assert run.exit_code == 2
    assert "must end in .csv, .xlsx or .parquet" in run.stderr
