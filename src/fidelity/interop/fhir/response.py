"""Rating sheets as FHIR R4 ``QuestionnaireResponse`` resources, both ways.

One response per sheet (``status`` completed, ``questionnaire`` = ``url|version``); the sheet
fields answer the items of group ``sheet``, each rating answers its item with the level's
``valueCoding`` (code = the level value, or ``NA``), a comment answers ``<id>.comment``. An
unanswered item is left out (FHIR forbids an item with neither answer nor sub-items). Sheets
go out as a ``Bundle`` (type collection) or as NDJSON, one resource per line (FHIR Bulk Data
format), and come back from either. Source: https://hl7.org/fhir/R4/questionnaireresponse.html.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
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
from fidelity.ratings import SheetBatch, as_batch
from fidelity.ratings.readers._common import decode, read_input
from fidelity.ratings.readers.json import records_segment
from fidelity.ratings.segment import Segment, file_problem

__all__ = ["read_fhir", "responses", "responses_bundle", "responses_ndjson"]


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


# ---------------------------------------------------------------------------------------------
# Reading


def read_fhir(path: str | Path) -> SheetBatch:
    """The sheets of a Bundle (JSON) or NDJSON file of QuestionnaireResponses. File problems
    are kept in the batch (FR010 malformed JSON, ...); a resource that is not a
    QuestionnaireResponse raises :class:`~fidelity.interop.InteropError`."""
    name = str(path)
    raw = read_input(Path(path))
    if isinstance(raw, Segment):
        return SheetBatch([raw])
    text = decode(name, raw)
    if isinstance(text, Segment):
        return SheetBatch([text])
    found = _resources(name, text)
    if isinstance(found, Segment):
        return SheetBatch([found])
    resources, positions, locator = found
    bad = [
        (p, r)
        for r, p in zip(resources, positions, strict=True)
        if not isinstance(r, dict) or r.get("resourceType") != "QuestionnaireResponse"
    ]
    if bad:
        p, r = bad[0]
        kind = r.get("resourceType") if isinstance(r, dict) else type(r).__name__
        at = f"line {p}" if locator == "line" else f"entry {p}"
        raise _refuse(name, f"{at} is {kind}, not a QuestionnaireResponse")
    records = [response_record(r) for r in resources]
    return SheetBatch([records_segment(name, records, locator, positions)])


def _refuse(name: str, why: str) -> InteropError:
    return InteropError([f"{name}: {why}"])


def _resources(name: str, text: str) -> tuple[list[Any], list[int], Any] | Segment:
    """The resources of a Bundle, one resource, or NDJSON (one resource a line; lines are
    split at ``\n`` only, since JSON text may hold other line separators)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError):
        data = None
    if isinstance(data, dict):
        if data.get("resourceType") != "Bundle":
            return [data], [0], "single"
        entries = data.get("entry", [])
        if not isinstance(entries, list):
            raise _refuse(name, "Bundle.entry is not a list")
        res = [e.get("resource") if isinstance(e, dict) else e for e in entries]
        return res, list(range(len(res))), "index"
    out, lines = [], []
    for k, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                return file_problem(name, "FR010", f"malformed JSON at line {k}: {exc}")
            lines.append(k)
    if not out:
        return file_problem(name, "FR002", "the file holds no resources")
    return out, lines, "line"


def response_record(resource: dict[str, Any]) -> dict[str, Any]:
    """One QuestionnaireResponse as a sheet record."""
    rec: dict[str, Any] = {}
    ratings: dict[str, Any] = {}
    comments: dict[str, Any] = {}
    for link, answer in _answers(resource.get("item", [])):
        if link.startswith("sheet."):
            rec[link[6:]] = _value(answer, coded=False)
        elif link.endswith(".comment"):
            comments[link[: -len(".comment")]] = _value(answer, coded=False)
        else:
            ratings[link] = _value(answer, coded=True)
    rec["ratings"] = ratings
    if comments:
        rec["comments"] = comments
    return rec


def _answers(items: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for entry in items if isinstance(items, list) else []:
        if not isinstance(entry, dict):
            continue
        answers = entry.get("answer")
        if isinstance(answers, list) and answers:
            out.append((str(entry.get("linkId", "")), answers[0]))
        out.extend(_answers(entry.get("item")))
    return out


def _value(answer: Any, *, coded: bool) -> Any:
    if not isinstance(answer, dict):
        return answer
    for key, value in answer.items():
        if key == "valueCoding" and isinstance(value, dict):
            code = value.get("code")
            if coded and isinstance(code, str) and re.fullmatch(r"-?[0-9]{1,18}", code):
                return int(code)
            return code
        if key.startswith("value"):
            return value
    return None
