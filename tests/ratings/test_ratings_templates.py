"""Data-entry templates as library code: the CSV header and the XLSX workbook with drop-downs,
header comments and anchors, read back by the library's own reader."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import fidelity
from fidelity.ratings import FIELDS, read_sheets, validate
from fidelity.ratings.templates import (
    TEMPLATE_ROWS,
    template_columns,
    template_csv,
    template_xlsx,
)

TESTS = Path(__file__).parents[1]
HAND = TESTS / "data" / "instruments" / "hand.yaml"
HEADER = "instrument,assessment,rater,site,informant,date,round,consensus,a1,a2,a3,b1,b2"
FILLED = ["hand@1.0.0", "A", "r", "north", "supervisor", "2024-05-01", "6m", "false", 4, 1, 0, 3]
"""A filled template row up to item b1."""


@pytest.fixture(scope="module")
def hand() -> fidelity.Instrument:
    return fidelity.load_instrument(HAND)


def test_columns_are_the_sheet_fields_then_the_items(hand: fidelity.Instrument) -> None:
    columns = template_columns(hand)
    assert columns[: len(FIELDS)] == list(FIELDS)
    assert columns[len(FIELDS) :] == [it.id for it in hand.items]


def test_csv_template_is_the_header_row_only(hand: fidelity.Instrument) -> None:
    assert template_csv(hand) == HEADER + "\n"


def test_xlsx_ratings_sheet_has_drop_downs_and_comments(hand: fidelity.Instrument) -> None:
    book = load_workbook(io.BytesIO(template_xlsx(hand)))
    assert book.sheetnames == ["ratings", "anchors", "about"]
    sheet = book["ratings"]
    assert ",".join(c.value for c in sheet[1]) == HEADER
    assert sheet.freeze_panes == "D2"
    assert all(c.font.b for c in sheet[1])
    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    last = TEMPLATE_ROWS + 1
    assert validations[f"A2:A{last}"].formula1 == '"hand@1.0.0"'
    assert validations[f"E2:E{last}"].formula1 == '"peer-worker,supervisor"'
    assert validations[f"H2:H{last}"].formula1 == '"true,false"'
    assert validations[f"I2:I{last}"].formula1 == '"1,2,3,4,5"'  # a1
    assert validations[f"K2:K{last}"].formula1 == '"0,1,2,NA"'  # a3: own scale, NA allowed
    assert validations[f"M2:M{last}"].formula1 == '"1,2,3,4,5,NA"'  # b2
    a3 = validations[f"K2:K{last}"]
    assert a3.promptTitle == "a3" and a3.prompt == "Item a3, reverse-scored. (0/1/2/NA)"
    assert a3.error == "Choose one of 0, 1, 2, NA" and a3.showErrorMessage
    note = sheet["K1"].comment.text
    assert note.startswith("Item a3, reverse-scored.\n\nAsked of: peer-worker, supervisor")
    assert "\nReverse-scored." in note and "\nNA allowed." in note
    assert note.endswith("0: none\n1: some\n2: much")
    assert sheet["A1"].comment is None and sheet["I1"].comment is not None
    assert sheet["J1"].alignment.text_rotation == 60 and sheet["G1"].alignment.text_rotation == 0


def test_xlsx_anchors_and_about_sheets(hand: fidelity.Instrument) -> None:
    book = load_workbook(io.BytesIO(template_xlsx(hand)))
    anchors = book["anchors"]
    head = [c.value for c in anchors[1]]
    assert head == [
        "item",
        "domain",
        "text",
        "informants",
        "reverse",
        "NA allowed",
        *(f"level {v}" for v in range(6)),
        "guidance",
    ]
    rows = {r[0]: r for r in anchors.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["a1", "a2", "a3", "b1", "b2"]
    a3 = dict(zip(head, rows["a3"], strict=True))
    assert a3["reverse"] == "yes" and a3["NA allowed"] == "yes"
    assert (a3["level 0"], a3["level 2"], a3["level 3"]) == ("none", "much", None)
    about = {r[0]: r[1] for r in book["about"].iter_rows(values_only=True)}
    assert about["instrument"] == "hand@1.0.0"
    assert about["content sha256"] == hand.content_hash


def test_templates_read_back_with_the_library(tmp_path: Path, hand: fidelity.Instrument) -> None:
    path = tmp_path / "filled.xlsx"
    book = load_workbook(io.BytesIO(template_xlsx(hand)))
    book["ratings"].append([*FILLED, "NA"])
    book.save(path)
    batch = read_sheets(path)
    assert len(batch) == 1 and not validate(hand, batch).errors
    blank = tmp_path / "blank.csv"
    blank.write_text(template_csv(hand))
    assert [p.code for p in validate(hand, read_sheets(blank))] == ["FR002"]


def test_templates_module_stays_out_of_the_cli() -> None:
    code = (
        "import sys, fidelity.ratings.templates; "
        "print(','.join(m for m in sys.modules if m.startswith(('typer', 'fidelity.cli'))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""
