"""Reading REDCap's raw record export (CSV, or flat JSON) as rating sheets.

What a real export holds (REDCap API documentation, *Export Records*; REDCap's *Data Exports*
page): the record id first, under the project's own name; in a longitudinal project
``redcap_event_name``; for repeating instruments ``redcap_repeat_instrument`` and
``redcap_repeat_instance``; with data access groups ``redcap_data_access_group``; each form's
status in ``<form>_complete`` (0 Incomplete, 1 Unverified, 2 Complete); every value a string,
``""`` meaning no value; a missing-data code (``NA``) where one was chosen. Double Data Entry
keeps each rater's copy as record ``X--1`` and ``X--2`` and the merged record as ``X``.

Rules, in order: rows whose fidelity fields are all empty belong to other forms or events and
are skipped; a form that is not Complete is left out with warning FR702 unless
``include_incomplete``; an empty ``fi_site`` takes the data access group; in a longitudinal
project the event (``redcap_event_name``, e.g. ``baseline_arm_1``) is the audit round; under
Double Data Entry an empty ``fi_assessment`` is ``X``, an empty ``fi_rater`` the entry number,
and the merged record is the consensus sheet (rater ``consensus`` unless ``fi_rater`` is
given). A label export, an export without the instrument's variables, or a dictionary that does
not fit the instrument is refused with :class:`~fidelity.errors.InteropError`, naming the
file, row, record and variable: nothing is read through a wrong mapping.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any

from fidelity.errors import InteropError
from fidelity.instrument import Instrument
from fidelity.instrument.catalog import load_instrument
from fidelity.instrument.redcap import NA_CODE, NAME_RE, FieldMap, field_map
from fidelity.ratings.problems import SheetRef, make_problem
from fidelity.ratings.readers._common import decode, read_input
from fidelity.ratings.readers.json import records_segment
from fidelity.ratings.readers.redcap_dictionary import map_from_dictionary, parse_dictionary
from fidelity.ratings.segment import Segment, file_problem

__all__ = ["read_redcap"]

_DDE = re.compile(r"^(.+)--([12])$")
_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete", "": "no status"}
_LABEL_VALUES = {"Incomplete", "Unverified", "Complete", "Checked", "Unchecked", "Yes", "No"}
HOW_TO_EXPORT_RAW = (
    "export raw data: in REDCap choose Data Exports → 'CSV / Microsoft Excel (raw data)' "
    "(or the API with rawOrLabel=raw, rawOrLabelHeaders=raw, type=flat)"
)


def read_redcap(
    name: str,
    raw: bytes,
    *,
    instrument: Instrument | str | None = None,
    dictionary: str | os.PathLike[str] | None = None,
    include_incomplete: bool = False,
) -> Segment:
    """The sheets of a REDCap raw export (``.csv``, or ``.json`` of ``type=flat``) named
    ``name`` and holding ``raw``.

    The instrument is ``instrument`` or the one the export's ``fi_instrument`` column names;
    variables map to items through ``dictionary`` (the project's data dictionary, checked
    against the instrument) or the instrument's own dictionary. A file that cannot be read
    (FR004, FR010, ...) gives a segment holding the problem, as every reader does; an export
    that cannot be mapped (a label export, missing variables, malformed rows, an edited
    dictionary) raises :class:`~fidelity.errors.InteropError`.
    """
    text = decode(name, raw)
    if isinstance(text, Segment):
        return text
    table = _table(name, text, Path(name).suffix.lower())
    if isinstance(table, Segment):
        return table
    header, rows, positions = table
    inst = _instrument(name, instrument, rows)
    if dictionary is not None:
        dname = str(dictionary)
        dtext = _dictionary_text(dictionary)
        fm = map_from_dictionary(parse_dictionary(dtext, dname), inst, dname)
    else:
        fm = field_map(inst)
    _check_columns(name, fm, header, rows)
    return _segment(name, fm, header, rows, positions, include_incomplete)


def _dictionary_text(path: str | os.PathLike[str]) -> str:
    """The text of a data dictionary file; :class:`InteropError` when it cannot be read."""
    raw = read_input(Path(path))
    text = decode(str(path), raw) if isinstance(raw, bytes) else raw
    if isinstance(text, Segment):
        raise InteropError([str(p) for p in text.problems])
    return text.lstrip("\ufeff")


def _table(
    name: str, text: str, suffix: str
) -> tuple[list[str], list[dict[str, str]], list[int]] | Segment:
    """Header, rows (column → text) and the row number of each (CSV: the spreadsheet row;
    JSON: the list index)."""
    if suffix == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            return file_problem(name, "FR010", f"malformed JSON: {exc}")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise _refuse(name, "a REDCap flat JSON export is a list of objects (type=flat)")
        if not data:
            return file_problem(name, "FR002", "the export holds no records")
        bad = [
            f"[{i}].{k}" for i, r in enumerate(data) for k, v in r.items() if not isinstance(v, str)
        ]
        if bad:
            raise _refuse(name, f"REDCap exports every value as a string; not at {bad[0]}")
        return list(data[0]), data, list(range(len(data)))
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise _refuse(name, f"malformed CSV: {exc}") from None
    if not lines or not lines[0]:
        return file_problem(name, "FR002", "the export is empty")
    header = [h.strip() for h in lines[0]]
    rows, positions = [], []
    for k, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise _refuse(name, f"row {k} has {len(cells)} fields, the header {len(header)}")
        rows.append(dict(zip(header, cells, strict=True)))
        positions.append(k)
    return header, rows, positions


def _refuse(name: str, why: str) -> InteropError:
    return InteropError([f"{name}: {why}"])


def _instrument(
    name: str, given: Instrument | str | None, rows: list[dict[str, str]]
) -> Instrument:
    if isinstance(given, Instrument):
        return given
    if given is not None:
        return load_instrument(given)
    named = sorted({r.get("fi_instrument", "") for r in rows} - {""})
    if len(named) == 1:
        return load_instrument(named[0])
    why = "names several instruments" if named else "does not name its instrument (fi_instrument)"
    raise _refuse(name, f"the export {why}: pass the instrument (--instrument)")


def _check_columns(name: str, fm: FieldMap, header: list[str], rows: list[dict[str, str]]) -> None:
    """Refuse a label export, and an export without a variable of the instrument."""
    labels = [h for h in header if not NAME_RE.fullmatch(h)]
    if labels:
        raise _refuse(name, f"column {labels[0]!r} is a label, not a variable: {HOW_TO_EXPORT_RAW}")
    status_vars = [v for v in (fm.complete_var, fm.fields.get("consensus", "")) if v in header]
    for r in rows:
        for var in [*status_vars, *fm.items.values()]:
            value = r.get(var, "")
            if value in _LABEL_VALUES or (var in fm.items.values() and " " in value):
                raise _refuse(
                    name,
                    f"row {rows.index(r) + 2}, record {r[header[0]]}: {var} is {value!r}, "
                    f"a label: {HOW_TO_EXPORT_RAW}",
                )
    missing = [
        f"{var} ({what})"
        for what, var in [
            *(("item " + k, v) for k, v in fm.items.items()),
            *(("sheet field " + k, v) for k, v in fm.fields.items()),
        ]
        if var not in header
    ]
    if missing:
        raise _refuse(
            name,
            f"the export has no column for {', '.join(missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            + f" of {fm.spec}: export every field of form {fm.form}",
        )


def _segment(
    name: str,
    fm: FieldMap,
    header: list[str],
    rows: list[dict[str, str]],
    positions: list[int],
    include_incomplete: bool,
) -> Segment:
    rid = header[0]
    ours = [*fm.fields.values(), *fm.items.values(), *fm.comments.values()]
    dde = any(_DDE.match(r[rid]) for r in rows)
    records: list[dict[str, Any]] = []
    kept: list[int] = []
    ids: list[str] = []
    problems = []
    for row, pos in zip(rows, positions, strict=True):
        if not any(row.get(v, "") for v in ours):
            continue  # another form's or event's row
        status = row.get(fm.complete_var, "2" if fm.complete_var not in header else "")
        if status != "2" and not include_incomplete:
            where = _where(row, rid, pos)
            problems.append(
                make_problem(
                    "FR702",
                    fields={"where": where, "status": _STATUS.get(status, repr(status))},
                    sheet=SheetRef(name, row=pos) if isinstance(pos, int) else SheetRef(name),
                    path=fm.complete_var,
                    value=status,
                )
            )
            continue
        records.append(_record(fm, row, rid, dde))
        kept.append(pos)
        ids.append(row[rid])
    seg = records_segment(name, records, "index", kept)
    seg.locator = "row"
    seg.problems[:0] = problems
    seg.records = ids
    seg.columns = {
        **fm.fields,
        **{f"ratings.{i}": v for i, v in fm.items.items()},
        **{f"comments.{i}": v for i, v in fm.comments.items()},
    }
    return seg


def _where(row: dict[str, str], rid: str, pos: int) -> str:
    event = row.get("redcap_event_name", "")
    return f"record {row[rid]}" + (f", event {event}" if event else "")


def _record(fm: FieldMap, row: dict[str, str], rid: str, dde: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {}
    for f, var in fm.fields.items():
        value = row.get(var, "")
        if value == "":
            continue
        if f == "consensus":
            rec[f] = {"1": True, "0": False}.get(value, value)
        elif f == "informant":
            rec[f] = fm.informants.get(value, value)
        else:
            rec[f] = value
    if "site" not in rec and row.get("redcap_data_access_group"):
        rec["site"] = row["redcap_data_access_group"]
    if row.get("redcap_event_name"):
        rec["round"] = row["redcap_event_name"]
    if dde:
        m = _DDE.match(row[rid])
        rec.setdefault("assessment", m.group(1) if m else row[rid])
        if m:
            rec.setdefault("rater", m.group(2))
        else:
            rec.setdefault("rater", "consensus")
            rec.setdefault("consensus", True)
    ratings: dict[str, Any] = {}
    for item_id, var in fm.items.items():
        value = row.get(var, "")
        if value != "":
            ratings[item_id] = _rating(value, fm.choices[item_id])
    rec["ratings"] = ratings
    comments = {i: row[v] for i, v in fm.comments.items() if row.get(v, "")}
    if comments:
        rec["comments"] = comments
    return rec


def _rating(value: str, choices: dict[str, int]) -> Any:
    """A raw code as its level value; ``NA`` as ``"NA"``; digits outside the choices as a
    number (validation names the allowed levels); anything else as it was."""
    if value in choices:
        return choices[value]
    if value == NA_CODE:
        return NA_CODE
    if re.fullmatch(r"-?[0-9]{1,18}", value):
        return int(value)
    return value
