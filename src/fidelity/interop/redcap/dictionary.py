"""The REDCap data dictionary of an instrument, and the mapping between its variables and a
sheet's fields and items.

A REDCap data dictionary is a CSV file with 18 columns in a fixed order (REDCap refuses an
upload whose header differs); one row per field, in form order. Choices are written
``code, label | code, label``; branching logic uses ``[variable] = 'code'``. Sources:
"Creating a Data Dictionary in REDCap" (Vanderbilt University, 2015) and the REDCap knowledge
base article RC-FD-08 "Data Dictionary: Column Reference & Advanced Techniques"; missing-data
codes are set per project under *Project Setup → Additional customizations → Missing Data
Codes*, one ``code, label`` per line.

What fidelity writes, per instrument:

* ``record_id`` (the record identifier: REDCap wants it first);
* ``fi_version``, a descriptive field whose annotation records ``@FIDELITY-INSTRUMENT=id@version``
  and ``@FIDELITY-HASH=<content hash>``;
* one field per sheet field (``fi_instrument``, ``fi_assessment``, ``fi_rater``, ``fi_site``,
  ``fi_informant``, ``fi_date``, ``fi_consensus``), annotated ``@FIDELITY-FIELD=<field>``;
* per domain a section header, and per item a ``radio`` field (codes are the level values,
  labels the item's anchors) annotated ``@FIDELITY-ITEM=<item id>`` plus a ``notes`` field for
  the rater's comment (``@FIDELITY-COMMENT=<item id>``). An item not asked of every informant
  is shown only when ``fi_informant`` is empty or names one it is asked of; an item that does
  not allow ``NA`` carries ``@NOMISSING`` so that the missing-data code cannot be chosen.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from fidelity.instrument import Instrument, Item
from fidelity.interop._common import InteropError
from fidelity.interop.redcap.names import (
    RECORD_ID,
    choice_code,
    comment_var,
    field_var,
    form_name,
    item_var,
    name_problems,
)

__all__ = [
    "HEADERS",
    "MISSING_CODES_SETTING",
    "NA_CODE",
    "FieldMap",
    "dictionary_csv",
    "dictionary_rows",
    "field_map",
    "instrument_zip",
    "map_from_dictionary",
    "parse_dictionary",
]

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

NA_CODE = "NA"
"""The REDCap missing-data code that stands for fidelity's ``NA`` (not applicable)."""

MISSING_CODES_SETTING = "NA, Not applicable"
"""The line to add under *Additional customizations → Missing Data Codes*."""

_SHEET_FIELDS = ("instrument", "assessment", "rater", "site", "informant", "date", "consensus")
_LABELS = {
    "instrument": "Instrument version (filled in; do not change)",
    "assessment": "Assessment ID",
    "rater": "Rater ID",
    "site": "Site",
    "informant": "Informant interviewed",
    "date": "Date of the assessment",
    "consensus": "Consensus sheet (agreed by the raters)?",
}
_ANNOTATION = re.compile(r"@FIDELITY-(ITEM|COMMENT|FIELD|INSTRUMENT|HASH)=(\S+)")


@dataclass(frozen=True)
class FieldMap:
    """How REDCap variables map to a sheet: the record id, the form, the variable of each
    sheet field, item and comment, and the code → value table of each item's choices."""

    record_id: str
    form: str
    spec: str
    content_hash: str
    fields: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, int]] = field(default_factory=dict)
    informants: dict[str, str] = field(default_factory=dict)
    """Informant code → informant id."""

    @property
    def complete_var(self) -> str:
        """The form's status variable (0 Incomplete, 1 Unverified, 2 Complete)."""
        return f"{self.form}_complete"


def field_map(inst: Instrument) -> FieldMap:
    """The variables fidelity gives ``inst``; :class:`InteropError` names every variable that
    would be invalid, too long or taken twice."""
    fm = FieldMap(
        record_id=RECORD_ID,
        form=form_name(inst),
        spec=inst.spec,
        content_hash=inst.content_hash,
        fields={f: field_var(f) for f in _SHEET_FIELDS},
        items={it.id: item_var(it.id, it.redcap) for it in inst.items},
        comments={it.id: comment_var(it.id, it.redcap) for it in inst.items},
        choices={
            it.id: {choice_code(lv.value): lv.value for lv in inst.scale_of(it).levels}
            for it in inst.items
        },
        informants={_informant_code(i.id): i.id for i in inst.informants},
    )
    names = {"the record id": RECORD_ID, "the version field": "fi_version"}
    names.update({f"sheet field {f}": v for f, v in fm.fields.items()})
    names.update({f"item {i}": v for i, v in fm.items.items()})
    names.update({f"the comment on item {i}": v for i, v in fm.comments.items()})
    reasons = name_problems(names)
    taken = {v: k for k, v in names.items()}
    if fm.complete_var in taken:  # REDCap names the status field; only a clash matters
        reasons.append(
            f"{taken[fm.complete_var]}: variable {fm.complete_var!r} is the status "
            f"field of form {fm.form}"
        )
    if reasons:
        raise InteropError([f"{inst.spec}: {r}" for r in reasons])
    return fm


def _informant_code(informant_id: str) -> str:
    return informant_id.replace("-", "_")


def _clean(text: str) -> str:
    """One line of text that splits safely inside a choices cell."""
    return " ".join(text.replace("|", "/").split())


def _row(var: str, form: str, ftype: str, label: str, **cols: str) -> dict[str, str]:
    row = dict.fromkeys(HEADERS, "")
    row["Variable / Field Name"] = var
    row["Form Name"] = form
    row["Field Type"] = ftype
    row["Field Label"] = label
    for key, value in cols.items():
        row[_COLUMN[key]] = value
    return row


_COLUMN = {
    "section": "Section Header",
    "choices": "Choices, Calculations, OR Slider Labels",
    "note": "Field Note",
    "validation": "Text Validation Type OR Show Slider Number",
    "branching": "Branching Logic (Show field only if...)",
    "required": "Required Field?",
    "annotation": "Field Annotation",
}


def dictionary_rows(inst: Instrument, *, record_id: bool = True) -> list[dict[str, str]]:
    """The rows of the data dictionary of ``inst`` (column header → cell), in form order;
    without the record-id row when ``record_id`` is false (an instrument ZIP)."""
    fm = field_map(inst)
    form = fm.form
    rows: list[dict[str, str]] = []
    if record_id:
        rows.append(_row(RECORD_ID, form, "text", "Record ID"))
    rows.append(
        _row(
            "fi_version",
            form,
            "descriptive",
            f"{_clean(inst.title)} ({inst.spec})",
            annotation=f"@FIDELITY-INSTRUMENT={inst.spec} @FIDELITY-HASH={inst.content_hash}",
        )
    )
    rows.extend(_field_rows(inst, fm))
    for dom in inst.domains:
        for k, it in enumerate(inst.items_in(dom.id)):
            rows.extend(_item_rows(inst, fm, it, _clean(dom.name) if k == 0 else ""))
    return rows


def _field_rows(inst: Instrument, fm: FieldMap) -> list[dict[str, str]]:
    rows = []
    for f in _SHEET_FIELDS:
        cols: dict[str, str] = {"annotation": f"@FIDELITY-FIELD={f}"}
        ftype = "text"
        if f == "instrument":
            cols["annotation"] += f" @DEFAULT='{inst.spec}' @READONLY"
        elif f in ("assessment", "rater"):
            cols["required"] = "y"
        elif f == "informant":
            ftype = "radio"
            cols["choices"] = " | ".join(
                f"{_informant_code(i.id)}, {_clean(i.name)}" for i in inst.informants
            )
        elif f == "date":
            cols["validation"] = "date_ymd"
        elif f == "consensus":
            ftype = "yesno"
        rows.append(_row(fm.fields[f], fm.form, ftype, _LABELS[f], **cols))
    return rows


def _item_rows(inst: Instrument, fm: FieldMap, it: Item, section: str) -> list[dict[str, str]]:
    scale = inst.scale_of(it)
    choices = " | ".join(
        f"{choice_code(lv.value)}, {lv.value} {_clean(lv.label)}: "
        f"{_clean(it.anchors.get(lv.value, lv.anchor))}"
        for lv in scale.levels
    )
    branching = ""
    if set(it.informants) != {i.id for i in inst.informants}:
        var = fm.fields["informant"]
        branching = " or ".join(
            [f"[{var}] = ''", *(f"[{var}] = '{_informant_code(i)}'" for i in it.informants)]
        )
    tags = f"@FIDELITY-ITEM={it.id}" + ("" if it.allow_na else " @NOMISSING")
    item = _row(
        fm.items[it.id],
        fm.form,
        "radio",
        _clean(it.text),
        section=section,
        choices=choices,
        note=_clean(it.guidance)[:500],
        branching=branching,
        required="y" if it.required else "",
        annotation=tags,
    )
    comment = _row(
        fm.comments[it.id],
        fm.form,
        "notes",
        f"Comment on {it.id}",
        branching=branching,
        annotation=f"@FIDELITY-COMMENT={it.id}",
    )
    return [item, comment]


def _csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([r[h] for h in HEADERS] for r in rows)
    return buf.getvalue()


def dictionary_csv(inst: Instrument) -> str:
    """The data dictionary of ``inst`` as REDCap's upload CSV (header row included)."""
    return _csv(dictionary_rows(inst))


def instrument_zip(inst: Instrument) -> bytes:
    """The instrument as a REDCap instrument ZIP (``instrument.csv`` without the record id,
    and ``OriginID.txt``) for the Online Designer's *Upload instrument* route."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (
            ("instrument.csv", _csv(dictionary_rows(inst, record_id=False))),
            ("OriginID.txt", f"fidelity {inst.spec}"),
        ):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Reading a dictionary back (as downloaded from REDCap) and checking it against the instrument


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
        for kind, value in _ANNOTATION.findall(row.get("Field Annotation", "")):
            if kind in found:
                found[kind][value] = var
            else:
                meta[kind] = value
        for kind, value in _ANNOTATION.findall(row.get("Field Annotation", "")):
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
        r.get("Form Name", "") for r in rows if _ANNOTATION.search(r.get("Field Annotation", ""))
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
