"""An instrument as a FHIR R4 ``Questionnaire``.

Structure (FHIR R4, Questionnaire resource, https://hl7.org/fhir/R4/questionnaire.html; the
``ordinalValue`` extension, http://hl7.org/fhir/R4/extension-ordinalvalue.html):

* ``url`` the canonical URL (``<base>/Questionnaire/<id>``), ``version`` the instrument
  version, ``identifier`` and ``meta.tag`` the content hash, ``status`` ``active`` for a
  released version and ``draft`` otherwise;
* a group ``sheet`` with one item per sheet field (``sheet.assessment``, ``sheet.rater``,
  ``sheet.informant`` as a choice of the instrument's informants, ...);
* one group per domain (``domain.<id>``) holding one ``choice`` item per fidelity item with
  ``linkId`` = the item id, an ``answerOption`` per level (``valueCoding`` code = the level
  value, display = the level label, ``ordinalValue`` = the level value) plus ``NA`` where the
  item allows it, and a ``text`` item ``<id>.comment`` for the rater's comment;
* ``enableWhen`` on ``sheet.informant`` (``enableBehavior`` any) for an item not asked of every
  informant.

Item ids are slugs, which hold no ``.``, so the ``sheet.`` and ``domain.`` link ids never meet
an item id.
"""

from __future__ import annotations

from typing import Any

from fidelity.instrument import Instrument, Item

__all__ = [
    "DEFAULT_BASE",
    "HASH_SYSTEM",
    "ORDINAL_VALUE",
    "SHEET_FIELDS",
    "canonical_url",
    "questionnaire",
]

DEFAULT_BASE = "https://fidelity.invalid/fhir"
"""The canonical base used unless another is given (``.invalid`` never resolves: pass your
organisation's base with ``base=``)."""

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
HASH_SYSTEM = "urn:fidelity:content-hash"
SHEET_FIELDS = {
    "instrument": "string",
    "assessment": "string",
    "rater": "string",
    "site": "string",
    "informant": "choice",
    "date": "date",
    "consensus": "boolean",
}
"""Each sheet field and its Questionnaire item type."""


def canonical_url(inst: Instrument, base: str = DEFAULT_BASE) -> str:
    """The Questionnaire's canonical URL."""
    return f"{base.rstrip('/')}/Questionnaire/{inst.id}"


def scale_system(inst: Instrument, scale_id: str, base: str = DEFAULT_BASE) -> str:
    """The code system of a scale's levels."""
    return f"{canonical_url(inst, base)}/scale/{scale_id}"


def informant_system(inst: Instrument, base: str = DEFAULT_BASE) -> str:
    """The code system of the instrument's informants."""
    return f"{canonical_url(inst, base)}/informant"


def questionnaire(inst: Instrument, *, base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The R4 Questionnaire of ``inst`` as a JSON-ready dictionary."""
    url = canonical_url(inst, base)
    groups: list[dict[str, Any]] = [_sheet_group(inst, base)]
    for dom in inst.domains:
        items: list[dict[str, Any]] = []
        for it in inst.items_in(dom.id):
            items.extend(_item(inst, it, base))
        groups.append(
            {"linkId": f"domain.{dom.id}", "text": dom.name, "type": "group", "item": items}
        )
    return {
        "resourceType": "Questionnaire",
        "id": f"{inst.id}-{inst.version.replace('.', '-')}"[:64],
        "meta": {"tag": [{"system": HASH_SYSTEM, "code": inst.content_hash}]},
        "url": url,
        "identifier": [{"system": HASH_SYSTEM, "value": inst.content_hash}],
        "version": inst.version,
        "name": "".join(part.capitalize() for part in inst.id.split("-"))[:255],
        "title": inst.title,
        "status": "active" if inst.status == "released" else "draft",
        "description": inst.description,
        "item": groups,
    }


def _sheet_group(inst: Instrument, base: str) -> dict[str, Any]:
    system = informant_system(inst, base)
    items = []
    for f, ftype in SHEET_FIELDS.items():
        entry: dict[str, Any] = {"linkId": f"sheet.{f}", "text": f, "type": ftype}
        if f in ("assessment", "rater"):
            entry["required"] = True
        if f == "informant":
            entry["answerOption"] = [
                {"valueCoding": {"system": system, "code": i.id, "display": i.name}}
                for i in inst.informants
            ]
        items.append(entry)
    return {"linkId": "sheet", "text": "Rating sheet", "type": "group", "item": items}


def _item(inst: Instrument, it: Item, base: str) -> list[dict[str, Any]]:
    scale = inst.scale_of(it)
    system = scale_system(inst, scale.id, base)
    options: list[dict[str, Any]] = [
        {
            "valueCoding": {"system": system, "code": str(lv.value), "display": lv.label},
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": lv.value}],
        }
        for lv in scale.levels
    ]
    if it.allow_na:
        options.append(
            {"valueCoding": {"system": system, "code": "NA", "display": "Not applicable"}}
        )
    question: dict[str, Any] = {
        "linkId": it.id,
        "text": it.text,
        "type": "choice",
        "required": it.required,
        "answerOption": options,
    }
    comment: dict[str, Any] = {"linkId": f"{it.id}.comment", "text": "Comment", "type": "text"}
    if set(it.informants) != {i.id for i in inst.informants}:
        when = [
            {
                "question": "sheet.informant",
                "operator": "=",
                "answerCoding": {"system": informant_system(inst, base), "code": i},
            }
            for i in it.informants
        ]
        for entry in (question, comment):
            entry["enableWhen"] = when
            entry["enableBehavior"] = "any"
    return [question, comment]
