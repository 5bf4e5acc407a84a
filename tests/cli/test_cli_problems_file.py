"""`fidelity validate` for a data manager: a problems file to send back, repeated problems
grouped on the terminal, and what --strict counted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity.cli import app

runner = CliRunner()
TESTS = Path(__file__).parents[1]
HAND = TESTS / "data" / "instruments" / "hand.yaml"
HEADER = "instrument,assessment,rater,site,informant,date,consensus,a1,a2,a3,b1,b2"
COLUMNS = ["file", "row", "assessment", "rater", "item", "value", "allowed", "code", "severity"]


def _sheets(tmp_path: Path) -> Path:
    rows = [HEADER]
    for k in range(6):  # a3 empty on six sheets: FR105 six times for one item
        rows.append(f"hand@1.0.0,A{k},r,north,supervisor,,,1,1,,1,1")
    rows.append("hand@1.0.0,B,r,north,supervisor,,,9,1,1,1,1")  # one error
    path = tmp_path / "s.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_repeated_problems_are_one_line_with_count_and_rows(tmp_path: Path) -> None:
    path = _sheets(tmp_path)
    result = runner.invoke(app, ["validate", "-i", str(HAND), str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    fr105 = [line for line in lines if "FR105" in line]
    assert len(fr105) == 1
    assert "6 sheets: rows 2, 3, 4, 5, 6, 7" in fr105[0]
    assert next(line for line in lines if "FR101" in line).startswith(f"{path} row 8")
    assert "1 error(s), 6 warning(s)" in result.stderr


def test_each_lists_every_problem(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "-i", str(HAND), str(_sheets(tmp_path)), "--each"])
    assert sum("FR105" in line for line in result.stdout.splitlines()) == 6


def test_strict_says_warnings_counted_as_errors(tmp_path: Path) -> None:
    rows = _sheets(tmp_path).read_text().splitlines()[:-1]
    path = tmp_path / "w.csv"
    path.write_text("\n".join(rows) + "\n")
    assert runner.invoke(app, ["validate", "-i", str(HAND), str(path)]).exit_code == 0
    result = runner.invoke(app, ["validate", "-i", str(HAND), str(path), "--strict"])
    assert result.exit_code == 1
    assert "6 warning(s) counted as errors (--strict)" in result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_problems_file_has_one_row_per_problem(tmp_path: Path, suffix: str) -> None:
    path = _sheets(tmp_path)
    target = tmp_path / f"problems{suffix}"
    result = runner.invoke(app, ["validate", "-i", str(HAND), str(path), "--problems", str(target)])
    assert result.exit_code == 1, result.output
    if suffix == ".csv":
        table = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(target).active
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
        table = [["" if v is None else str(v) for v in row] for row in sheet.values]
    assert table[0][: len(COLUMNS)] == COLUMNS and table[0][-1] == "message"
    body = table[1:]
    assert len(body) == 7
    error = next(r for r in body if r[7] == "FR101")
    assert error[:8] == [str(path), "8", "B", "r", "a1", "9", error[6], "FR101"]
    assert error[6].startswith("one of ")  # what is allowed
    assert [r[7] for r in body].count("FR105") == 6


def test_problems_file_with_an_unknown_suffix_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "validate",
            "-i",
            str(HAND),
            str(_sheets(tmp_path)),
            "--problems",
            str(tmp_path / "p.txt"),
        ],
    )
    assert result.exit_code == 2
    assert ".csv, .xlsx or .parquet" in result.output
