"""Empty data-entry templates for an instrument, in the wide layout (one row per rating sheet).

:func:`template_csv` is the header row; :func:`template_xlsx` is a workbook that guides the
person entering ratings: drop-down lists limited to each item's allowed values, the item text
and anchors as header comments, an ``anchors`` sheet with every item's anchors and an
``about`` sheet. Both read back with :func:`fidelity.ratings.read_sheets`.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from fidelity.ratings.sheet import FIELDS

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from fidelity.instrument import Instrument, Item

__all__ = ["TEMPLATE_ROWS", "template_columns", "template_csv", "template_xlsx"]

TEMPLATE_ROWS = 2000
"""Rows of the XLSX template that carry drop-down validation."""

_FIELD_WIDTH, _ITEM_WIDTH = 14, 11
_HEADER_FILL = "DDEBF7"
_HOW_TO = (
    "One row per rating sheet (one rater, one assessment). Leave "
    "items not asked of the informant empty; use NA only where the drop-down offers "
    "it. Check with: fidelity validate <file>.xlsx"
)


def template_columns(inst: Instrument) -> list[str]:
    """Header of the wide layout: the sheet fields, then one column per item id."""
    return [*FIELDS, *(it.id for it in inst.items)]


def template_csv(inst: Instrument) -> str:
    """The CSV template: the header row only."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(template_columns(inst))
    return buf.getvalue()


def template_xlsx(inst: Instrument) -> bytes:
    """The XLSX template as bytes: a ``ratings`` sheet to fill in (header comments and
    drop-downs on the first :data:`TEMPLATE_ROWS` rows), ``anchors`` and ``about``."""
    from openpyxl import Workbook

    book = Workbook()
    _ratings_sheet(book.active, inst)
    _anchors_sheet(book, inst)
    _about_sheet(book, inst)
    _as_text(book)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _as_text(book: Workbook) -> None:
    """Store every text cell as text: openpyxl would store an instrument text starting with
    ``=`` as a formula, which a spreadsheet evaluates when the file is opened."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type == "f":
                    cell.data_type = "s"


def _restrict(sheet: Worksheet, col: int, values: list[str], title: str, prompt: str) -> None:
    """Limit column ``col`` (below the header) to ``values`` with a drop-down list."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(col)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorTitle="Not allowed",
        error=f"Choose one of {', '.join(values)}",
        promptTitle=title[:32],
        prompt=prompt[:255],
    )
    dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(dv)


def _item_note(item: Item) -> str:
    """The header comment of an item's column: its text, informants, flags and anchors."""
    anchors = "\n".join(f"{v}: {a.strip()}" for v, a in sorted(item.anchors.items()))
    return (
        f"{item.text.strip()}\n\nAsked of: {', '.join(item.informants)}"
        + ("\nReverse-scored." if item.reverse else "")
        + ("\nNA allowed." if item.allow_na else "")
        + f"\n\n{anchors}"
    )


def _ratings_sheet(sheet: Worksheet, inst: Instrument) -> None:
    """The sheet to fill in: bold header, rotated item ids, comments and drop-downs."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.title = "ratings"
    columns = template_columns(inst)
    sheet.append(columns)
    sheet.freeze_panes = "D2"
    n_fields = len(columns) - len(inst.items)
    for k in range(1, len(columns) + 1):
        cell = sheet.cell(row=1, column=k)
        cell.font = Font(bold=True)
        is_field = k <= n_fields
        sheet.column_dimensions[get_column_letter(k)].width = (
            _FIELD_WIDTH if is_field else _ITEM_WIDTH
        )
        cell.alignment = Alignment(text_rotation=0 if is_field else 60)
    col = {f: FIELDS.index(f) + 1 for f in FIELDS}
    _restrict(sheet, col["instrument"], [inst.spec], "instrument", f"Leave as {inst.spec}")
    informants = [i.id for i in inst.informants]
    _restrict(sheet, col["informant"], informants, "informant", "Who was interviewed")
    consensus_note = "true for an agreed consensus rating"
    _restrict(sheet, col["consensus"], ["true", "false"], "consensus", consensus_note)
    fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for k, item in enumerate(inst.items, start=n_fields + 1):
        values = [str(v) for v in inst.scale_of(item).values] + (["NA"] if item.allow_na else [])
        cell = sheet.cell(row=1, column=k)
        cell.comment = Comment(_item_note(item)[:30000], inst.spec, width=480, height=360)
        cell.fill = fill
        prompt = f"{' '.join(item.text.split())[:200]} ({'/'.join(values)})"
        _restrict(sheet, k, values, item.id, prompt)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _anchors_sheet(book: Workbook, inst: Instrument) -> None:
    """One row per item: domain, text, informants, flags, the anchor of every level, guidance."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    guide = book.create_sheet("anchors")
    levels = sorted({v for it in inst.items for v in inst.scale_of(it).values})
    head = ["item", "domain", "text", "informants", "reverse", "NA allowed"]
    guide.append([*head, *(f"level {v}" for v in levels), "guidance"])
    for c in guide[1]:
        c.font = Font(bold=True)
    for item in inst.items:
        guide.append(
            [
                item.id,
                item.domain,
                _flat(item.text),
                ", ".join(item.informants),
                "yes" if item.reverse else "",
                "yes" if item.allow_na else "",
                *(_flat(item.anchors.get(v, "")) for v in levels),
                _flat(item.guidance),
            ]
        )
    for k, width in enumerate([28, 24, 60, 24, 8, 10, *([50] * len(levels)), 60], start=1):
        guide.column_dimensions[get_column_letter(k)].width = width


def _about_sheet(book: Workbook, inst: Instrument) -> None:
    """Which instrument version the template is for, and how to fill it in."""
    about = book.create_sheet("about")
    for row in (
        ["instrument", inst.spec],
        ["title", inst.title],
        ["content sha256", inst.content_hash],
        ["how to fill in", _HOW_TO],
    ):
        about.append(row)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
