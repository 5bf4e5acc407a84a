"""The REDCap data dictionary of an instrument and its instrument ZIP. (The variable names
and the variable ↔ sheet mapping are in :mod:`fidelity.instrument.redcap`; reading a
dictionary back is :mod:`fidelity.ratings.readers.redcap_dictionary`, re-exported here.)

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
import zipfile

from fidelity.instrument import Instrument, Item
from fidelity.instrument.redcap import (
    NA_CODE,
    RECORD_ID,
    SHEET_FIELDS,
    VERSION_FIELD,
    FieldMap,
    choice_code,
    field_map,
    informant_code,
)
from fidelity.ratings.readers.redcap_dictionary import (
    HEADERS,
    map_from_dictionary,
    parse_dictionary,
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

MISSING_CODES_SETTING = "NA, Not applicable"
"""The line to add under *Additional customizations → Missing Data Codes*."""

_LABELS = {
    "instrument": "Instrument version (filled in; do not change)",
    "assessment": "Assessment ID",
    "rater": "Rater ID",
    "site": "Site",
    "informant": "Informant interviewed",
    "date": "Date of the assessment",
    "consensus": "Consensus sheet (agreed by the raters)?",
}


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
            VERSION_FIELD,
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
    for f in SHEET_FIELDS:
        cols: dict[str, str] = {"annotation": f"@FIDELITY-FIELD={f}"}
        ftype = "text"
        if f == "instrument":
            cols["annotation"] += f" @DEFAULT='{inst.spec}' @READONLY"
        elif f in ("assessment", "rater"):
            cols["required"] = "y"
        elif f == "informant":
            ftype = "radio"
            cols["choices"] = " | ".join(
                f"{informant_code(i.id)}, {_clean(i.name)}" for i in inst.informants
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
            [f"[{var}] = ''", *(f"[{var}] = '{informant_code(i)}'" for i in it.informants)]
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
