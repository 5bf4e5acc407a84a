"""Rating sheets as FHIR R4 ``QuestionnaireResponse`` resources, both ways.

One response per sheet (``status`` completed, ``questionnaire`` = ``url|version``); the sheet
fields answer the items of group ``sheet``, each rating answers its item with the level's
``valueCoding`` (code = the level value, or ``NA``), a comment answers ``<id>.comment``. An
unanswered item is left out (FHIR forbids an item with neither answer nor sub-items). Sheets
go out as a ``Bundle`` (type collection) or as NDJSON, one resource per line (FHIR Bulk Data
format), and come back from either (:mod:`fidelity.ratings.readers.fhir`). Source: https://hl7.org/fhir/R4/questionnaireresponse.html.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fidelity.instrument import Instrument
from fidelity.interop._common import InteropError, consensus_flag
from fidelity.interop.fhir.questionnaire import (
    DEFAULT_BASE,
    SHEET_FIELDS,
    canonical_url,
    informant_system,
    scale_system,
)
from fidelity.ratings import SheetBatch, as_batch, read_sheets
from fidelity.ratings.readers.fhir import response_record

__all__ = ["read_fhir", "response_record", "responses", "responses_bundle", "responses_ndjson"]


def responses(inst: Instrument, sheets: Any, *, base: str = DEFAULT_BASE) -> list[dict[str, Any]]:
    """One QuestionnaireResponse per sheet (anything :func:`fidelity.score` takes).
    :class:`InteropError` names every value that has no FHIR form."""
    out: list[dict[str, Any]] = []
    reasons: list[str] = []
    items = {it.id: it for it in inst.items}
    for n, rec in enumerate(as_batch(sheets).records(), start=1):
        where = f"sheet {n} ({rec.get('assessment', '?')}/{rec.get('rater', '?')})"
        fields = [
            {"linkId": f"sheet.{f}", "answer": [_field_answer(inst, f, rec[f], base)]}
            for f in SHEET_FIELDS
            if f in rec
        ]
        groups: list[dict[str, Any]] = [{"linkId": "sheet", "item": fields}] if fields else []
        ratings, comments = rec.get("ratings", {}), rec.get("comments", {})
        unknown = [k for k in [*ratings, *comments] if k not in items]
        reasons.extend(f"{where}: item {k!r} is not in {inst.spec}" for k in unknown)
        for dom in inst.domains:
            answered = []
            for it in inst.items_in(dom.id):
                value = ratings.get(it.id)
                if value is not None:
                    code = _code(value, inst, it.id, where, reasons)
                    system = scale_system(inst, it.scale, base)
                    answer = {"valueCoding": {"system": system, "code": code}}
                    answered.append({"linkId": it.id, "answer": [answer]})
                if comments.get(it.id):
                    text = str(comments[it.id])
                    _check_string(text, f"{where}: comment on item {it.id}", reasons)
                    comment = {"valueString": text}
                    answered.append({"linkId": f"{it.id}.comment", "answer": [comment]})
            if answered:
                groups.append({"linkId": f"domain.{dom.id}", "item": answered})
        response: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": f"sheet-{n}",
            "questionnaire": f"{canonical_url(inst, base)}|{inst.version}",
            "status": "completed",
        }
        if groups:
            response["item"] = groups
        out.append(response)
    if reasons:
        raise InteropError(reasons)
    return out


_FHIR_WHITESPACE = frozenset(" \r\n\t")
"""The only whitespace a FHIR ``string`` may hold (its pattern is ``[ \\r\\n\\t\\S]+``)."""


def _check_string(text: str, what: str, reasons: list[str]) -> None:
    """Name a text that a FHIR ``string`` cannot hold (a form feed, a vertical tab, a Unicode
    line separator), instead of writing a resource that FHIR servers refuse."""
    bad = sorted({c for c in text if c.isspace() and c not in _FHIR_WHITESPACE})
    if bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad)
        reasons.append(f"{what} holds {shown}, which a FHIR string cannot hold; remove it")


def _field_answer(inst: Instrument, f: str, value: Any, base: str) -> dict[str, Any]:
    kind = SHEET_FIELDS[f]
    if kind == "boolean" and consensus_flag(value) is not None:
        return {"valueBoolean": consensus_flag(value)}
    if kind == "choice":
        return {"valueCoding": {"system": informant_system(inst, base), "code": str(value)}}
    if kind == "date":
        return {"valueDate": str(value)}
    return {"valueString": str(value)}


def _code(value: Any, inst: Instrument, item_id: str, where: str, reasons: list[str]) -> str:
    levels = inst.scale_of(item_id).values
    if value == "NA" or (
        isinstance(value, int) and not isinstance(value, bool) and value in levels
    ):
        return str(value)
    reasons.append(f"{where}: item {item_id}: {value!r} is not a level or NA")
    return ""


def responses_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A Bundle of type ``collection`` holding the resources."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def responses_ndjson(resources: list[dict[str, Any]]) -> str:
    """The resources as NDJSON, one compact resource per line."""
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in resources
    )


def read_fhir(path: str | os.PathLike[str]) -> SheetBatch:
    """The sheets of a Bundle (JSON) or NDJSON file of QuestionnaireResponses:
    ``read_sheets(path, format="fhir")``. A resource that is not a QuestionnaireResponse
    raises :class:`~fidelity.errors.InteropError`."""
    return read_sheets(path, format="fhir")
