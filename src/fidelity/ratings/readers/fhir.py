"""Reading FHIR R4 ``QuestionnaireResponse`` resources as rating sheets: a ``Bundle`` (JSON),
one resource, or NDJSON (one resource a line, the FHIR Bulk Data format).

Each response is one sheet: the answers to the items of group ``sheet`` (``sheet.assessment``,
``sheet.rater``, ...) are its fields, the answer to an item whose ``linkId`` is an item id its
rating (the ``valueCoding`` code: the level value, or ``NA``), the answer to ``<id>.comment``
its comment. :func:`fidelity.interop.fhir.responses` writes exactly this. Source:
https://hl7.org/fhir/R4/questionnaireresponse.html.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fidelity.errors import InteropError
from fidelity.ratings.readers._common import decode
from fidelity.ratings.readers.json import records_segment
from fidelity.ratings.segment import Segment, file_problem

__all__ = ["read_fhir", "response_record"]


def read_fhir(name: str, raw: bytes) -> Segment:
    """The sheets of a Bundle (JSON) or NDJSON file of QuestionnaireResponses named ``name``
    and holding ``raw``. File problems are kept in the segment (FR010 malformed JSON, ...); a
    resource that is not a QuestionnaireResponse raises :class:`~fidelity.errors.InteropError`."""
    text = decode(name, raw)
    if isinstance(text, Segment):
        return text
    found = _resources(name, text)
    if isinstance(found, Segment):
        return found
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
    return records_segment(name, records, locator, positions)


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
