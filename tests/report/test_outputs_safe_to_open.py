"""Outputs are safe to open: no CSV cell a spreadsheet would evaluate as a formula (OWASP
CSV injection), no user string taken as Markdown or HTML markup in a report."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity._util.text import md_text, safe_cell
from fidelity.cli import app

runner = CliRunner()
AUDIT = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
SITE = "=1+2<img src=x>|`y`"
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+A1", "'+A1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("\r=x", "'\r=x"),
        ("-1.5", "-1.5"),  # a number stays a number
        ("+3", "+3"),
        ("1e-3", "1e-3"),
        ("north", "north"),
        ("", ""),
    ],
)
def test_a_formula_like_cell_is_neutralised(raw: str, shown: str) -> None:
    assert safe_cell(raw) == shown
    assert safe_cell(3.5) == 3.5


def test_markdown_text_is_never_markup() -> None:
    assert md_text("a|b `c` <b>d</b>\nnext") == "a&#124;b &#96;c&#96; &lt;b&gt;d&lt;/b&gt; next"


def _hostile(tmp_path: Path) -> Path:
    text = AUDIT.read_text().replace("site-01", SITE).replace("rater-2,", "@SUM(1),")
    path = tmp_path / "audit.csv"
    path.write_text(text)
    return path


def _formula_cells(folder: Path) -> list[tuple[str, str]]:
    bad = []
    for file in sorted(folder.rglob("*.csv")):
        for row in csv.reader(io.StringIO(file.read_text())):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.fullmatch(cell):
                    bad.append((file.name, cell))
    return bad


def test_no_csv_output_holds_a_formula(tmp_path: Path) -> None:
    sheets, out = _hostile(tmp_path), tmp_path / "out"
    for args in (
        ["score", str(sheets), "-o", str(out / "score")],
        ["reliability", str(sheets), "-o", str(out / "rel")],
        ["raters", str(sheets), "-o", str(out / "raters")],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    assert list(out.rglob("*.csv")), "no CSV was written"
    assert _formula_cells(out) == []
    scores = (out / "score" / "scores.csv").read_text()
    assert "'" + SITE.split("|")[0] in scores  # kept, with the apostrophe OWASP recommends


def test_markdown_reports_escape_user_strings(tmp_path: Path) -> None:
    sheets, out = _hostile(tmp_path), tmp_path / "out"
    result = runner.invoke(app, ["report", str(sheets), "-o", str(out), "--format", "md"])
    assert result.exit_code == 0, result.output
    text = (out / "report.md").read_text()
    assert "<img" not in text and "`y`" not in text
    assert md_text(SITE) in text
    header = next(line for line in text.splitlines() if line.startswith("| site |"))
    row = next(line for line in text.splitlines() if md_text(SITE) in line)
    assert row.count("|") == header.count("|")


def test_template_workbook_cells_are_text_not_formulas() -> None:
    from openpyxl import load_workbook

    from fidelity.instrument import instrument_from_yaml
    from fidelity.ratings.templates import template_xlsx

    hand = Path(__file__).parents[1] / "data" / "instruments" / "hand.yaml"
    text = hand.read_text().replace("text: Item a1, counted twice.", "text: '=1+1'")
    text = text.replace("title: ", "title: '@SUM(1) ' #", 1)
    inst = instrument_from_yaml(text)
    book = load_workbook(io.BytesIO(template_xlsx(inst)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == []
    assert any(c.value == "=1+1" for c in cells)
