"""--keep-columns on the commands that read sheets: declared columns reach every per-sheet
output, undeclared ones are one warning, a sheet field cannot be declared."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app

runner = CliRunner()
V100, V110 = "enrich-peer-support@1.0.0", "enrich-peer-support@1.1.0"


def _audit(path: Path, spec: str = V100) -> Path:
    ids = [it.id for it in fidelity.load_instrument(spec).items]
    lines = ["instrument,assessment,rater,site," + ",".join(ids) + ",notes,arm"]
    for k, note in enumerate(["first visit", "=HYPERLINK(x)", ""]):
        lines.append(f"{spec},a{k},r1,s1," + ",".join("3" for _ in ids) + f",{note},arm-{k % 2}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_score_carries_declared_columns_to_csv_and_json(tmp_path: Path) -> None:
    src = _audit(tmp_path / "audit.csv")
    out = tmp_path / "out"
    formats = ["--format", "csv", "--format", "json"]
    result = runner.invoke(
        app, ["score", str(src), "-o", str(out), "-q", "--keep-columns", "notes,arm", *formats]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out / "scores.csv")
    assert [r["notes"] for r in rows] == ["first visit", "'=HYPERLINK(x)", ""]  # safe to open
    assert [r["arm"] for r in rows] == ["arm-0", "arm-1", "arm-0"]
    sheets = json.loads((out / "scores.json").read_text())["sheets"]
    assert [s["notes"] for s in sheets] == ["first visit", "=HYPERLINK(x)", None]


def test_undeclared_columns_are_one_warning_and_valid(tmp_path: Path) -> None:
    src = _audit(tmp_path / "audit.csv")
    result = runner.invoke(app, ["validate", str(src)])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert "FR207" in line and "'notes' and 'arm'" in line
    strict = runner.invoke(app, ["validate", str(src), "--strict"])
    assert strict.exit_code == 1
    kept = runner.invoke(app, ["validate", str(src), "--keep-columns", "notes,arm"])
    assert kept.exit_code == 0 and kept.stdout == ""


def test_a_sheet_field_is_not_a_metadata_column(tmp_path: Path) -> None:
    src = _audit(tmp_path / "audit.csv")
    result = runner.invoke(app, ["validate", str(src), "--keep-columns", "notes,site"])
    assert result.exit_code == 2 and "site is a sheet field" in result.stderr


def test_migrate_carries_declared_columns_in_csv_and_xlsx(tmp_path: Path) -> None:
    src = _audit(tmp_path / "audit.csv")
    out = tmp_path / "o"
    result = runner.invoke(
        app, ["migrate", str(src), "--to", V110, "-o", str(out), "--keep-columns", "notes,arm"]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out / "audit.csv")
    assert [r["arm"] for r in rows] == ["arm-0", "arm-1", "arm-0"]
    assert rows[1]["notes"] == "'=HYPERLINK(x)"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "ratings"
    with src.open(newline="") as fh:
        for k, row in enumerate(csv.reader(fh)):
            sheet.append(row)
            for cell in sheet[k + 1]:
                cell.data_type = "s"
    book.save(tmp_path / "book.xlsx")
    result = runner.invoke(
        app,
        [
            "migrate",
            str(tmp_path / "book.xlsx"),
            "--to",
            V110,
            "-o",
            str(out),
            "--keep-columns",
            "notes,arm",
        ],
    )
    assert result.exit_code == 0, result.output
    ws = load_workbook(out / "book.xlsx")["ratings"]
    header = [c.value for c in ws[1]]
    assert ws.cell(3, header.index("notes") + 1).value == "=HYPERLINK(x)"
    assert ws.cell(3, header.index("notes") + 1).data_type == "s"


def test_the_problem_report_names_the_declared_columns(tmp_path: Path) -> None:
    src = _audit(tmp_path / "audit.csv")
    src.write_text(src.read_text().replace(",3,=HYPERLINK(x)", ",9,=HYPERLINK(x)"))
    report = tmp_path / "problems.csv"
    result = runner.invoke(
        app, ["validate", str(src), "--problems", str(report), "--keep-columns", "arm,notes"]
    )
    assert result.exit_code == 1
    (row,) = _rows(report)
    assert (row["code"], row["row"], row["arm"], row["notes"]) == (
        "FR101",
        "3",
        "arm-1",
        "'=HYPERLINK(x)",
    )
    assert list(row)[:4] == ["file", "row", "assessment", "rater"]
    assert set(list(row)[4:6]) == {"arm", "notes"}


def test_a_kept_column_named_like_a_score_is_a_usage_error(tmp_path: Path) -> None:
    src = _audit(tmp_path / "audit.csv")
    src.write_text(src.read_text().replace(",notes,", ",band,", 1))
    result = runner.invoke(
        app, ["score", str(src), "-o", str(tmp_path / "o"), "--keep-columns", "band"]
    )
    assert result.exit_code == 2 and "band would overwrite" in result.stderr
    assert not (tmp_path / "o").exists()


def _double_rated(path: Path) -> Path:
    """Four interviews at two sites, each rated by r1 and r2 and agreed in a consensus sheet,
    with the extra columns notes and arm."""
    ids = [it.id for it in fidelity.load_instrument(V100).items]
    lines = ["instrument,assessment,rater,site,date,consensus," + ",".join(ids) + ",notes,arm"]
    for a in range(4):
        for r, shift, agreed in (("r1", 0, ""), ("r2", 1, ""), ("c", 0, "true")):
            levels = ",".join(str(1 + (i + a + shift * (i % 3 == 0)) % 4) for i in range(len(ids)))
            lines.append(f"{V100},a{a},{r},s{a % 2},2024-0{a + 1}-01,{agreed},{levels},n{a},x")
    path.write_text("\n".join(lines) + "\n")
    return path


_NOT_PER_SHEET = [
    ["reliability"],
    ["report", "-o", "{out}", "--bootstrap", "20"],
    ["raters"],
    ["export", "fhir-responses"],
    ["export", "redcap-records"],
    ["plan", "--audit"],
]


@pytest.mark.parametrize("command", _NOT_PER_SHEET, ids=lambda c: " ".join(c[:2]))
def test_every_command_reading_sheets_accepts_keep_columns(
    tmp_path: Path, command: list[str]
) -> None:
    """Commands without per-sheet outputs accept the declared columns and ignore them; the
    undeclared ones are named in the one FR207 warning, on stderr, and the run succeeds."""
    src = str(_double_rated(tmp_path / "audit.csv"))
    args = [a.replace("{out}", str(tmp_path / "out")) for a in command]
    args = [*args, src] if args[0] != "report" else [args[0], src, *args[1:]]
    plain = runner.invoke(app, args)
    assert plain.exit_code == 0, plain.output
    warnings = [line for line in plain.stderr.splitlines() if "FR207" in line]
    assert len(warnings) == 1 and "'notes' and 'arm'" in warnings[0]
    assert "notes" not in plain.stdout
    kept = runner.invoke(app, [*args, "--keep-columns", "notes,arm"])
    assert kept.exit_code == 0, kept.output
    assert "FR207" not in kept.stderr and kept.stdout == plain.stdout
    refused = runner.invoke(app, [*args, "--keep-columns", "rater"])
    assert refused.exit_code == 2 and "rater is a sheet field" in refused.stderr
