"""Sheets as REDCap records: the flat *raw* layout of REDCap's data export and data import
(one row per record, one column per variable, every value a string, ``""`` for no value,
radio fields as their raw codes, yes/no as ``1``/``0``, the form status in
``<form>_complete``: 0 Incomplete, 1 Unverified, 2 Complete).

Source: the REDCap API documentation, *Export Records* and *Import Records*
(``format=csv|json``, ``type=flat``, ``rawOrLabel=raw``), as shipped with every REDCap server.
Writing sheets this way lets a team load existing ratings into a project (*Data Import Tool*),
and is the exact inverse of :func:`fidelity.interop.redcap.read.read_redcap`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fidelity.instrument import Instrument
from fidelity.instrument.redcap import NA_CODE, FieldMap, choice_code, field_map
from fidelity.interop._common import InteropError, consensus_flag
from fidelity.ratings import as_batch

__all__ = ["record_columns", "records_csv", "records_json", "sheets_to_records"]


def record_columns(fm: FieldMap) -> list[str]:
    """The columns of a raw export, in REDCap's order (the dictionary's field order, the form
    status last)."""
    cols = [fm.record_id, *fm.fields.values()]
    for item_id, var in fm.items.items():
        cols.append(var)
        if item_id in fm.comments:
            cols.append(fm.comments[item_id])
    return [*cols, fm.complete_var]


def sheets_to_records(inst: Instrument, sheets: Any) -> list[dict[str, str]]:
    """The sheets (anything :func:`fidelity.score` takes) as raw REDCap records, numbered
    ``1``, ``2``, ... and marked Complete. :class:`InteropError` names every value that has no
    REDCap form (an unknown item or informant, a value that is not a level)."""
    fm = field_map(inst)
    codes = {v: k for k, v in fm.informants.items()}
    out: list[dict[str, str]] = []
    reasons: list[str] = []
    for n, rec in enumerate(as_batch(sheets).records(), start=1):
        where = f"sheet {n} ({rec.get('assessment', '?')}/{rec.get('rater', '?')})"
        row = dict.fromkeys(record_columns(fm), "")
        row[fm.record_id] = str(n)
        row[fm.complete_var] = "2"
        for f, var in fm.fields.items():
            if f in rec:
                row[var] = _field_text(f, rec[f], codes, where, reasons)
        for item_id, value in rec.get("ratings", {}).items():
            if item_id not in fm.items:
                reasons.append(f"{where}: item {item_id!r} is not in {inst.spec}")
                continue
            row[fm.items[item_id]] = _rating_text(
                value, fm.choices[item_id], where, item_id, reasons
            )
        for item_id, text in rec.get("comments", {}).items():
            if item_id not in fm.comments or not isinstance(text, str):
                reasons.append(f"{where}: comment on {item_id!r} cannot be written")
                continue
            row[fm.comments[item_id]] = text
        out.append(row)
    if reasons:
        raise InteropError(reasons)
    return out


def _field_text(f: str, value: Any, codes: dict[str, str], where: str, reasons: list[str]) -> str:
    if f == "consensus":
        flag = consensus_flag(value)
        if flag is not None:
            return "1" if flag else "0"
    elif f == "informant":
        if value in codes:
            return codes[value]
    elif isinstance(value, str):
        return value
    reasons.append(f"{where}: {f} {value!r} has no REDCap value")
    return ""


def _rating_text(
    value: Any, choices: dict[str, int], where: str, item_id: str, reasons: list[str]
) -> str:
    if value is None:
        return ""
    if value == NA_CODE:
        return NA_CODE
    if isinstance(value, int) and not isinstance(value, bool) and value in choices.values():
        return choice_code(value)
    reasons.append(f"{where}: item {item_id}: {value!r} is not a level ({', '.join(choices)})")
    return ""


def records_csv(inst: Instrument, records: list[dict[str, str]]) -> str:
    """Raw records as REDCap's CSV export writes them (header of variable names)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=record_columns(field_map(inst)), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def records_json(records: list[dict[str, str]]) -> str:
    """Raw records as REDCap's flat JSON export writes them (a list of objects of strings)."""
    return json.dumps(records, ensure_ascii=False, indent=1)
