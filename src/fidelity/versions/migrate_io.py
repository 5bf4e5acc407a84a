"""Migrated sheets written in the format they were read from: JSON and JSON Lines as records,
CSV and XLSX as a table in the input's order (wide, one row per sheet; a long CSV stays long,
one row per rating).

A table holds the migration's provenance in a ``migrations`` column: on each migrated row (in
the long layout, on every row of a migrated sheet) the list of steps as compact JSON text, the
same list a JSON sheet holds in its ``migrations`` field, so that reading the table back (and
migrating it again) keeps the whole history. Sheets that were already on the target version
pass through with their cells unchanged and an empty ``migrations`` cell (or the history they
already had). Cells are safe to open: a CSV text cell that a spreadsheet would evaluate gets a
leading apostrophe (:func:`fidelity._util.csvtext.csv_text`); an XLSX text cell is stored as
text, never as a formula.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fidelity._util.csvtext import csv_text
from fidelity.instrument import Instrument
from fidelity.ratings import COMMENT_SUFFIX, FIELDS
from fidelity.ratings.sheet import RECORD_KEYS

__all__ = ["TABLE_SUFFIXES", "migrated_output", "table_rows"]

TABLE_SUFFIXES = (".csv", ".xlsx")
"""Inputs written back as a wide table of their own format."""

_JSONL = (".jsonl", ".ndjson")


def migrated_output(
    path: Path,
    single: bool,
    records: list[dict[str, Any]],
    target: Instrument,
    *,
    long: bool = False,
) -> tuple[str, str | bytes]:
    """The output file name for the input ``path`` and its content, in the input's format:
    JSON Lines for JSON Lines, a JSON object for a single-sheet object, a JSON list for other
    JSON, a CSV in the input's layout (``long``: one row per rating) and a wide XLSX workbook
    for XLSX."""
    suffix = path.suffix.lower()
    if suffix in _JSONL:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        return path.stem + ".jsonl", text
    if suffix == ".csv" and long:
        return path.stem + ".csv", _long_csv(records, target)
    if suffix == ".csv":
        return path.stem + ".csv", _csv(records, target)
    if suffix == ".xlsx":
        return path.stem + ".xlsx", _xlsx(records, target)
    if single and len(records) == 1:
        return path.stem + ".json", json.dumps(records[0], indent=2, ensure_ascii=False) + "\n"
    return path.stem + ".json", json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def table_rows(
    records: list[dict[str, Any]], target: Instrument, keep: tuple[str, ...] = ()
) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of the wide table of ``records``: the sheet fields some record
    has, every item of ``target``, a comment column for each item with a comment, the kept
    metadata columns ``keep`` (top-level keys of the records), then ``migrations`` (when a
    record has provenance). Cells keep their types (levels as ints, ``NA``, ``None`` for
    empty); ``migrations`` is JSON text."""
    fields = [f for f in FIELDS if f in ("assessment", "rater") or any(f in r for r in records)]
    items = [it.id for it in target.items]
    commented = [i for i in items if any(i in r.get("comments", {}) for r in records)]
    history = any(r.get("migrations") for r in records)
    header = [
        *fields,
        *items,
        *(i + COMMENT_SUFFIX for i in commented),
        *keep,
        *(["migrations"] if history else []),
    ]
    rows: list[list[Any]] = []
    for r in records:
        ratings, comments = r.get("ratings", {}), r.get("comments", {})
        row = [r.get(f) for f in fields]
        row += [ratings.get(i) for i in items]
        row += [comments.get(i) for i in commented]
        row += [r.get(k) for k in keep]
        if history:
            steps = r.get("migrations")
            row.append(json.dumps(steps, ensure_ascii=False) if steps else None)
        rows.append(row)
    return header, rows


def _csv(records: list[dict[str, Any]], target: Instrument) -> str:
    """The records as a wide CSV, every cell text and formula-safe."""
    import pandas as pd

    header, rows = table_rows(records, target, _kept(records))
    frame = pd.DataFrame([[_text(v) for v in row] for row in rows], columns=header, dtype=object)
    return csv_text(frame)


def _long_csv(records: list[dict[str, Any]], target: Instrument) -> str:
    """The records in the long layout: one row per rating (items in the target's order),
    the sheet fields, kept columns and ``migrations`` repeated on each row of a sheet."""
    import pandas as pd

    header, rows = table_rows(records, target, _kept(records))
    items = {it.id for it in target.items}
    fields = [h for h in header if h not in items and not h.endswith(COMMENT_SUFFIX)]
    has_comments = any(r.get("comments") for r in records)
    out: list[list[str]] = []
    for r, row in zip(records, rows, strict=True):
        cells = dict(zip(header, row, strict=True))
        for item in (it.id for it in target.items):
            if item not in r.get("ratings", {}):
                continue
            line = [_text(cells[f]) for f in fields if f != "migrations"]
            line += [item, _text(r["ratings"][item])]
            if has_comments:
                line.append(_text(r.get("comments", {}).get(item)))
            if "migrations" in fields:
                line.append(_text(cells["migrations"]))
            out.append(line)
    frame = pd.DataFrame(out, columns=_long_header(fields, has_comments), dtype=object)
    return csv_text(frame)


def _long_header(fields: list[str], comments: bool) -> list[str]:
    """The columns of the long layout: sheet fields and kept columns, ``item``, ``value``,
    ``comment`` (when any), ``migrations`` (when any)."""
    plain = [f for f in fields if f != "migrations"]
    tail = ["migrations"] if "migrations" in fields else []
    return [*plain, "item", "value", *(["comment"] if comments else []), *tail]


def _text(v: Any) -> str:
    """A cell as CSV text: empty for none, ``true``/``false`` for a flag."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _xlsx(records: list[dict[str, Any]], target: Instrument) -> bytes:
    """The records as a workbook with one worksheet ``ratings`` (bold header, frozen), levels
    as numbers and every text cell stored as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = table_rows(records, target, _kept(records))
    book = Workbook()
    sheet = book.active
    sheet.title = "ratings"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _kept(records: list[dict[str, Any]]) -> tuple[str, ...]:
    """The metadata columns the records carry (keys beyond a rating sheet's), in order of
    first appearance."""
    seen: dict[str, None] = {}
    for r in records:
        seen.update(dict.fromkeys(k for k in r if k not in RECORD_KEYS))
    return tuple(seen)
