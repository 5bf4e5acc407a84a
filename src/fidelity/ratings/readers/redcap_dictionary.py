"""Reading a REDCap data dictionary back, as downloaded from a project, and checking it
against the instrument: the mapping :func:`~fidelity.ratings.readers.redcap.read_redcap` reads
an export through.

A REDCap data dictionary is a CSV file with 18 columns in a fixed order (REDCap refuses an
upload whose header differs); one row per field, in form order. Choices are written
``code, label | code, label``. Sources: "Creating a Data Dictionary in REDCap" (Vanderbilt
University, 2015) and the REDCap knowledge base article RC-FD-08 "Data Dictionary: Column
Reference & Advanced Techniques". Each field fidelity writes carries its meaning in the Field
Annotation (``@FIDELITY-ITEM=<item id>``, ``@FIDELITY-FIELD=<field>``, ...), so a renamed
variable is still found, and named.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fidelity.errors import InteropError
from fidelity.instrument import Instrument
from fidelity.instrument.redcap import RECORD_ID, FieldMap, field_map

__all__ = ["ANNOTATION", "HEADERS", "map_from_dictionary", "parse_dictionary"]

HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
"""The 18 columns of a REDCap data dictionary, in REDCap's order and spelling."""

ANNOTATION = re.compile(r"@FIDELITY-(ITEM|COMMENT|FIELD|INSTRUMENT|HASH)=(\S+)")
"""The annotations fidelity writes, as (kind, value) pairs."""


def parse_dictionary(text: str, name: str = "<dictionary>") -> list[dict[str, str]]:
    """The rows of a REDCap data dictionary CSV; :class:`InteropError` when the header is not
    REDCap's."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header[: len(HEADERS)]) != HEADERS:
        got = ", ".join(header[:3]) if header else "nothing"
        raise InteropError(
            [f"{name} row 1: not a REDCap data dictionary (the header starts with {got})"]
        )
    return [dict(zip(HEADERS, r, strict=False)) for r in reader if any(c.strip() for c in r)]


def map_from_dictionary(
    rows: list[dict[str, str]], inst: Instrument, name: str = "<dictionary>"
) -> FieldMap:
    """The mapping a project's own dictionary gives, checked against ``inst``: every item
    and sheet field found by its annotation, with the instrument's choices. Every mismatch
    (a missing or renamed field, changed choices, another instrument version) is named in one
    :class:`InteropError`; nothing is read through a wrong mapping."""
    ours = field_map(inst)
    found: dict[str, dict[str, str]] = {"ITEM": {}, "COMMENT": {}, "FIELD": {}}
    meta: dict[str, str] = {}
    reasons: list[str] = []
    for k, row in enumerate(rows, start=2):
        var = row.get("Variable / Field Name", "").strip()
        for kind, value in ANNOTATION.findall(row.get("Field Annotation", "")):
            if kind in found:
                found[kind][value] = var
            else:
                meta[kind] = value
        for kind, value in ANNOTATION.findall(row.get("Field Annotation", "")):
            if kind == "ITEM" and value in ours.choices:
                reasons.extend(_choice_problems(name, k, var, value, row, ours))
    if meta.get("INSTRUMENT") != inst.spec:
        reasons.append(
            f"{name}: the dictionary is for {meta.get('INSTRUMENT', 'no fidelity instrument')}, "
            f"not {inst.spec}"
        )
    elif meta.get("HASH") != inst.content_hash:
        reasons.append(f"{name}: the dictionary records another content hash of {inst.spec}")
    for kind, wanted, label in (
        ("ITEM", ours.items, "item"),
        ("FIELD", ours.fields, "sheet field"),
    ):
        missing = [k for k in wanted if k not in found[kind]]
        reasons.extend(f"{name}: no variable for {label} {k}" for k in missing)
        extra = [k for k in found[kind] if k not in wanted]
        reasons.extend(
            f"{name}: variable {found[kind][k]} is {label} {k}, unknown to {inst.spec}"
            for k in extra
        )
    if reasons:
        raise InteropError(reasons)
    first = rows[0].get("Variable / Field Name", "").strip() if rows else RECORD_ID
    forms = {
        r.get("Form Name", "") for r in rows if ANNOTATION.search(r.get("Field Annotation", ""))
    }
    return FieldMap(
        record_id=first,
        form=next(iter(forms)) if len(forms) == 1 else ours.form,
        spec=inst.spec,
        content_hash=inst.content_hash,
        fields=found["FIELD"],
        items=found["ITEM"],
        comments={k: v for k, v in found["COMMENT"].items() if k in ours.items},
        choices=ours.choices,
        informants=ours.informants,
    )


def _choice_problems(
    name: str, row_no: int, var: str, item_id: str, row: dict[str, Any], ours: FieldMap
) -> list[str]:
    text = row.get("Choices, Calculations, OR Slider Labels", "")
    codes = [part.split(",", 1)[0].strip() for part in text.split("|") if part.strip()]
    want = list(ours.choices[item_id])
    if codes != want:
        return [
            f"{name} row {row_no}: variable {var} (item {item_id}) has the choices "
            f"{', '.join(codes) or 'none'}, the instrument's levels are {', '.join(want)}"
        ]
    return []
