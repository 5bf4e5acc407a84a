"""JSON and JSON Lines sheets, and sheets given as Python objects (dicts, :class:`RatingSheet`).

A JSON file holds one sheet (an object) or a list of sheets; a JSON Lines file holds one sheet
per line, and a malformed line is reported while the other lines are still read. Values keep
their JSON types: ``3`` is a level, ``"3"`` is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from fidelity._util.text import short
from fidelity.ratings.problems import Problem, SheetRef, json_kind, jsonable, make_problem
from fidelity.ratings.readers._common import FHIR_HINT, decode, too_many_items
from fidelity.ratings.segment import Segment, file_problem
from fidelity.ratings.sheet import ABSENT, FIELDS, RECORD_KEYS, Mode, RatingSheet

__all__ = ["fhir_resources", "read_json", "read_jsonl", "records_segment"]

_Unparsed = object()

_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')
"""A JSON string (skipped) or one of the non-standard number literals Python's ``json``
accepts; a literal outside a string is what :func:`_loads` refuses."""


class _Refused(ValueError):
    """JSON that Python's ``json`` reads but a strict reader refuses."""


def _no_constant(literal: str) -> Any:
    raise _Refused(literal)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(
                f"duplicate key {short(repr(key), 60)} in an object; each key may appear once"
            )
        seen.add(key)
    return dict(pairs)


def _where(text: str, pos: int, line_numbers: bool) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line} column {col}" if line_numbers else f"column {col}"


def _loads(text: str, *, line_numbers: bool) -> tuple[Any, str | None]:
    """``(data, None)``, or ``(_Unparsed, why)`` for text that is not strict JSON (with the
    line of the error when ``line_numbers``: a JSON Lines record is one line). Strict: the
    literals ``NaN``, ``Infinity`` and ``-Infinity`` and a key given twice in one object are
    refused, although Python's ``json`` accepts them (RFC 8259, sections 4 and 6)."""
    try:
        return (
            json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates),
            None,
        )
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}" if line_numbers else f"column {exc.colno}"
        return _Unparsed, f"malformed JSON at {at}: {exc.msg}"
    except RecursionError:
        return _Unparsed, "malformed JSON: nested too deeply"
    except _Refused as exc:
        if str(exc).startswith("duplicate key"):
            return _Unparsed, f"malformed JSON: {exc}"
        found = next(m for m in _CONSTANT.finditer(text) if m[1])
        return _Unparsed, (
            f"malformed JSON at {_where(text, found.start(1), line_numbers)}: {found[1]} is "
            "not a JSON number (JSON has no NaN or Infinity); leave the field out or use null"
        )
    except ValueError as exc:  # a number with more digits than Python converts
        return _Unparsed, f"malformed JSON: {short(str(exc), 100)}"


def read_json(name: str, raw: bytes) -> Segment:
    """The sheets of a JSON file: one object, or a list of objects."""
    text = decode(name, raw)
    if isinstance(text, Segment):
        return text
    data, error = _loads(text, line_numbers=True)
    if error is not None:
        return file_problem(name, "FR010", error)
    if fhir_resources([data] if isinstance(data, dict) else data):
        return file_problem(name, "FR011", kind=f"FHIR resources: {FHIR_HINT}")
    if isinstance(data, dict):
        return records_segment(name, [data], "single", [0])
    if isinstance(data, list):
        if not data:
            return file_problem(name, "FR002", "the JSON list is empty: it holds no sheets")
        return records_segment(name, data, "index", list(range(len(data))))
    return file_problem(name, "FR011", kind=json_kind(data))


def fhir_resources(data: Any) -> bool:
    """Whether ``data`` (a list of parsed JSON values) are FHIR resources: every one an
    object with a ``resourceType``, which no rating sheet has."""
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(d, dict) and "resourceType" in d for d in data)
    )


def read_jsonl(name: str, raw: bytes) -> Segment:
    """The sheets of a JSON Lines file, one per non-blank line."""
    text = decode(name, raw)
    if isinstance(text, Segment):
        return text
    records: list[Any] = []
    lines: list[int] = []
    problems: list[Problem] = []
    # Records end at a line feed only: U+2028, U+2029 and U+0085 may stand in a JSON string,
    # and a CR before the LF is whitespace to the JSON parser.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        data, error = _loads(line, line_numbers=False)
        if error is not None:
            problems.append(make_problem("FR010", message=error, sheet=SheetRef(name, line=lineno)))
            continue
        records.append(data)
        lines.append(lineno)
    if fhir_resources(records):
        return file_problem(name, "FR011", kind=f"FHIR resources: {FHIR_HINT}")
    seg = records_segment(name, records, "line", lines)
    seg.problems[:0] = problems
    return seg


def records_segment(
    name: str | None,
    records: Sequence[Any],
    locator: Literal["line", "index", "single"],
    positions: Sequence[int],
    mode: Mode = "json",
) -> Segment:
    """Column-orient a list of JSON-like sheet objects (dicts or :class:`RatingSheet`)."""
    keep, kept_pos, problems = _objects(name, records, locator, positions)
    seg = Segment(
        name,
        mode,
        locator,
        np.asarray(kept_pos, dtype=np.int64),
        {},
        {},
        {},
        False,
        problems=problems,
    )
    _field_columns(seg, keep)
    ratings: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for i, rec in enumerate(keep):  # one sheet at a time: its problems stay together
        ratings.append(_nested(seg, i, rec, "ratings"))
        comments.append(_nested(seg, i, rec, "comments"))
    refused = too_many_items(name, len({k for d in (*ratings, *comments) for k in d}))
    if refused is not None:
        return refused
    seg.extra.extend(
        (i, str(key)) for i, rec in enumerate(keep) for key in rec if key not in RECORD_KEYS
    )
    _key_columns(seg.ratings, ratings, len(keep))
    _key_columns(seg.comments, comments, len(keep))
    return seg


def _objects(
    name: str | None,
    records: Sequence[Any],
    locator: Literal["line", "index", "single"],
    positions: Sequence[int],
) -> tuple[list[dict[str, Any]], list[int], list[Problem]]:
    """The sheet objects (a :class:`RatingSheet` as its record) with their positions, and
    FR012 for every element that is not an object."""
    problems: list[Problem] = []
    keep: list[dict[str, Any]] = []
    kept_pos: list[int] = []
    for rec, pos in zip(records, positions, strict=True):
        if isinstance(rec, RatingSheet):
            rec = rec.model_dump(mode="json", exclude_none=True)
        if not isinstance(rec, dict):
            ref = (
                SheetRef(name, line=pos)
                if locator == "line"
                else SheetRef(name, index=pos)
                if locator == "index"
                else SheetRef(name)
            )
            problems.append(make_problem("FR012", fields={"kind": json_kind(rec)}, sheet=ref))
            continue
        keep.append(rec)
        kept_pos.append(pos)
    return keep, kept_pos, problems


def _field_columns(seg: Segment, keep: list[dict[str, Any]]) -> None:
    """One column per sheet field (``ABSENT`` where a sheet lacks the key); ``migrations``
    only when some sheet has that provenance."""
    n = len(keep)
    names = [*FIELDS, *(["migrations"] if any("migrations" in r for r in keep) else [])]
    for f in names:
        col = np.empty(n, dtype=object)
        col[:] = [r.get(f, ABSENT) for r in keep]
        seg.fields[f] = col


_NESTED_SHAPE = {
    "ratings": "an object mapping item ids to values",
    "comments": "an object mapping item ids to text",
}


def _nested(seg: Segment, i: int, rec: dict[str, Any], key: str) -> dict[str, Any]:
    """The ``ratings`` or ``comments`` object of sheet ``i``; FR202 (and no entries) when it
    is not an object."""
    value = rec.get(key, {})
    if isinstance(value, dict):
        return value
    seg.problems.append(
        make_problem(
            "FR202",
            message=f"'{key}' must be {_NESTED_SHAPE[key]}, not {json_kind(value)}",
            sheet=seg.ref(i),
            path=seg.path(i, key),
            value=jsonable(value),
        )
    )
    return {}


def _key_columns(target: dict[str, Any], dicts: list[dict[str, Any]], n: int) -> None:
    """One column per key that any of ``dicts`` has, ``ABSENT`` where a dict lacks it."""
    keys: dict[str, None] = {}
    for d in dicts:
        keys.update(dict.fromkeys(d))
    for k in keys:
        col = np.empty(n, dtype=object)
        col[:] = [d.get(k, ABSENT) for d in dicts]
        target[str(k)] = col
