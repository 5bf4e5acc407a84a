"""Rating sheets: the model, readers for every supported layout, and validation.

A *rating sheet* is one rater's ratings of one assessment on one pinned instrument version.
Sheets arrive as JSON (one object or a list), JSON Lines, CSV (wide: one row per sheet and one
column per item; long: one row per rating), XLSX (the wide layout of ``fidelity template``) or
a pandas DataFrame. Every reader produces a :class:`SheetBatch`, a column-oriented table of the
raw cell values plus where each sheet came from (file and row, line or list index), so that a
hundred thousand sheets are checked and scored with array operations rather than one Python
object per sheet.

Rating values are checked exactly, never coerced:

* a rating is a level value of the item's scale, the code ``NA`` (not applicable, only on items
  that allow it, spelled exactly ``NA``) or empty (missing);
* in CSV every cell is text, so the cell ``3`` is the level 3, but ``3.0``, `` 3`` or ``three``
  are problems; XLSX cells and DataFrame cells may be whole numbers or such text;
* JSON is typed: ``3`` is a level, while ``"3"``, ``3.0``, ``3.5`` and ``true`` are problems.

:func:`validate` returns every problem found (not just the first), each with a stable code
(``FR0xx`` reading a file, ``FR1xx`` item values, ``FR2xx`` sheet fields, ``FR3xx`` relations
between sheets; see ``docs/reference/problem-codes.md``), the sheet it is about, the JSON path
or column, the item's id and text, the bad value and the allowed values in plain words.
Missing answers to required items are *warnings*: they are reported, but the sheet can still be
scored (the scoring rules decide whether a domain has enough answers). Everything else is an
*error* and stops scoring.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from fidelity._util.text import plain_list as _plain_list
from fidelity._util.text import short as _short
from fidelity.errors import SheetsInvalidError
from fidelity.instrument.model import Instrument, Item

if TYPE_CHECKING:
    import pandas as pd
    from jsonschema import Draft202012Validator

__all__ = [
    "FIELDS",
    "MAX_FILE_BYTES",
    "CompiledInstrument",
    "Problem",
    "ProblemList",
    "RatingSheet",
    "SheetBatch",
    "SheetRef",
    "SheetsInvalidError",
    "check_sheets",
    "compile_instrument",
    "read_sheets",
    "sheet_schema",
    "validate",
]

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest input file read (512 MiB, several million sheets in wide CSV)."""

FIELDS = ("instrument", "assessment", "rater", "site", "informant", "date", "consensus")
"""Sheet fields besides ``ratings`` and ``comments``, in the column order of templates."""

COMMENT_SUFFIX = ":comment"
"""A wide CSV/XLSX column ``<item-id>:comment`` holds the rater's comment on that item."""

_LONG_COLUMNS = ("item", "value")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INT_RE = re.compile(r"^-?[0-9]+$")
_MAX_DIGITS = 20
"""Digit strings longer than this are far off every scale; they are reported without being
converted (Python refuses to convert more than 4300 digits to an int)."""
_FLOAT_RE = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")

# Cell states in the sheets x items state matrix.
ANSWERED = 0
NA = 1
MISSING = 2
NOT_ASKED = 3
INVALID = 4

Severity = Literal["error", "warning"]
Mode = Literal["text", "cell", "json"]


class _Absent:
    """A key not present in a JSON sheet (distinct from an explicit ``null``)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()


# ---------------------------------------------------------------------------------------------
# Problems


class SheetRef(NamedTuple):
    """Where a sheet came from: file and row (CSV/XLSX), line (JSON Lines) or list index, and
    the sheet's assessment and rater when known. Rows count records as a spreadsheet shows them
    (the header is row 1); indexes count from 0. (A named tuple: cheap to create by the
    hundred thousand when every cell of a large file has a problem.)"""

    file: str | None = None
    row: int | None = None
    line: int | None = None
    index: int | None = None  # type: ignore[assignment]  # shadows tuple.index on purpose
    assessment: str | None = None
    rater: str | None = None

    def where(self) -> str:
        """The location without the sheet's identity: ``audit.csv row 5``."""
        base = self.file or "<sheets>"
        if self.row is not None:
            return f"{base} row {self.row}"
        if self.line is not None:
            return f"{base} line {self.line}"
        if self.index is not None:
            return f"{base} [{self.index}]"
        return base

    def __str__(self) -> str:
        who = []
        if self.assessment:
            who.append(f"assessment {self.assessment}")
        if self.rater:
            who.append(f"rater {self.rater}")
        return self.where() + (f" ({', '.join(who)})" if who else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "file": self.file,
            "row": self.row,
            "line": self.line,
            "index": self.index,
            "assessment": self.assessment,
            "rater": self.rater,
        }


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the rating sheets.

    ``code`` is stable and documented; ``sheet`` says where (``None`` for a problem with a
    whole file); ``path`` is the JSON path (``$[3].ratings['item-id']``) or the CSV/XLSX
    column; ``item`` and ``item_label`` are the item's id and text; ``value`` is the offending
    value as read; ``allowed`` says in plain words what would be accepted.
    """

    code: str
    message: str
    sheet: SheetRef | None = None
    path: str = ""
    item: str | None = None
    item_label: str | None = None
    value: Any = None
    allowed: str | None = None
    severity: Severity = "error"

    @property
    def where(self) -> str:
        """The sheet's place (file and row or line, assessment and rater), or ``<sheets>``."""
        return str(self.sheet) if self.sheet is not None else "<sheets>"

    def __str__(self) -> str:
        where = self.where
        tag = "warning " if self.severity == "warning" else ""
        at = f" [{self.path}]" if self.path else ""
        return f"{where}: {tag}{self.code} {self.message}{at}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the value is kept as read when it is JSON data)."""
        value = self.value
        plain = isinstance(value, str | int | float | bool | type(None))
        if not plain or (isinstance(value, float) and not np.isfinite(value)):
            value = repr(value)
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "sheet": self.sheet.to_dict() if self.sheet is not None else None,
            "path": self.path,
            "item": self.item,
            "item_label": self.item_label,
            "value": value,
            "allowed": self.allowed,
        }


class ProblemList(list[Problem]):
    """The problems :func:`validate` found: a plain list with ``errors``/``warnings`` views.

    ``ok`` is true when there is no error (warnings, such as unanswered required items, do not
    stop scoring)."""

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop scoring."""
        return [p for p in self if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that are reported but do not stop scoring."""
        return [p for p in self if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return all(p.severity != "error" for p in self)


# ---------------------------------------------------------------------------------------------
# The sheet model

_NonEmpty = Annotated[str, StringConstraints(strict=True, min_length=1)]
_Date = Annotated[str, StringConstraints(strict=True, pattern=_DATE_RE.pattern)]


class RatingSheet(BaseModel):
    """One rater's ratings of one assessment, as a strict model (the envelope of
    ``schemas/rating-sheet.schema.json``).

    Useful for building sheets in Python; readers do not create one object per sheet (see
    :class:`SheetBatch`). ``ratings`` maps item ids to a level value, ``"NA"`` or ``None``
    (missing). Whether the ids and values fit an instrument is checked by :func:`validate`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: _NonEmpty | None = None
    assessment: _NonEmpty
    rater: _NonEmpty
    site: _NonEmpty | None = None
    informant: _NonEmpty | None = None
    date: _Date | None = None
    consensus: StrictBool = False
    ratings: dict[str, StrictInt | Literal["NA"] | None] = Field(default_factory=dict)
    comments: dict[str, Annotated[str, StringConstraints(strict=True)]] = Field(
        default_factory=dict
    )
    migrations: list[dict[str, Any]] | None = None
    """Provenance written by ``fidelity migrate``: one record per migration step."""

    def to_record(self) -> dict[str, Any]:
        """The sheet as a plain JSON-ready dictionary (unset optional fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


# ---------------------------------------------------------------------------------------------
# The compiled instrument


@dataclass(frozen=True, eq=False)
class CompiledInstrument:
    """Everything validation and scoring need from one instrument version, as arrays.

    Built once per content hash by :func:`compile_instrument` and reused: item order, the
    allowed values of each item, reverse/weight/required/NA flags, which informants are asked
    each item, domain membership and the bands. The strict JSON Schema validator is compiled
    on first use and kept here as well.
    """

    inst: Instrument
    item_ids: tuple[str, ...]
    index: Mapping[str, int]
    labels: tuple[str, ...]
    short_labels: tuple[str, ...]
    levels: tuple[frozenset[int], ...]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    allow_na: NDArray[np.bool_]
    required: NDArray[np.bool_]
    reverse: NDArray[np.bool_]
    weight: NDArray[np.float64]
    domain_ids: tuple[str, ...]
    domain_items: tuple[NDArray[np.intp], ...]
    min_answered: NDArray[np.int64]
    informant_ids: tuple[str, ...]
    asked: NDArray[np.bool_]
    """(informants + 1) x items: row k says which items informant k is asked; the last row
    (informant not given or unknown) asks every item."""
    allowed_words: tuple[str, ...]
    band_lower: NDArray[np.float64]
    band_upper: NDArray[np.float64]
    band_ids: tuple[str, ...]
    _validator: list[Draft202012Validator] = field(default_factory=list)

    @property
    def spec(self) -> str:
        """``id@version`` of the instrument."""
        return self.inst.spec

    @property
    def validator(self) -> Draft202012Validator:
        """The compiled strict JSON Schema validator of this version (built once)."""
        if not self._validator:
            from jsonschema import Draft202012Validator

            schema = sheet_schema(self.inst)
            Draft202012Validator.check_schema(schema)
            self._validator.append(Draft202012Validator(schema))
        return self._validator[0]

    def text_values(self, j: int) -> dict[str, tuple[float, int]]:
        """Accepted text spellings of item ``j``: level digits and ``NA`` if allowed."""
        out = {str(v): (float(v), ANSWERED) for v in self.levels[j]}
        if self.allow_na[j]:
            out["NA"] = (np.nan, NA)
        return out


_COMPILED: dict[str, CompiledInstrument] = {}


def compile_instrument(inst: Instrument) -> CompiledInstrument:
    """The :class:`CompiledInstrument` of ``inst``, built on first use and cached by content
    hash (two loads of the same file share one)."""
    key = inst.content_hash
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _compile(inst)
        _COMPILED[key] = compiled
    return compiled


def _compile(inst: Instrument) -> CompiledInstrument:
    items = inst.items
    scales = [inst.scale_of(it) for it in items]
    informant_ids = tuple(i.id for i in inst.informants)
    asked = np.ones((len(informant_ids) + 1, len(items)), dtype=bool)
    for k, inf in enumerate(informant_ids):
        asked[k] = [inf in it.informants for it in items]
    allow_na = np.array([it.allow_na for it in items], dtype=bool)
    words = []
    for it, sc in zip(items, scales, strict=True):
        vals = [str(v) for v in sc.values] + (["NA"] if it.allow_na else [])
        words.append(f"one of {_plain_list(vals)}")
    bands = sorted(inst.scoring.bands, key=lambda b: b.lower)
    index = {it.id: j for j, it in enumerate(items)}
    return CompiledInstrument(
        inst=inst,
        item_ids=tuple(index),
        index=index,
        labels=tuple(it.text for it in items),
        short_labels=tuple(_short(it.text) for it in items),
        levels=tuple(frozenset(sc.values) for sc in scales),
        lo=np.array([sc.min for sc in scales], dtype=float),
        hi=np.array([sc.max for sc in scales], dtype=float),
        allow_na=allow_na,
        required=np.array([it.required for it in items], dtype=bool),
        reverse=np.array([it.reverse for it in items], dtype=bool),
        weight=np.array([it.weight for it in items], dtype=float),
        domain_ids=tuple(d.id for d in inst.domains),
        domain_items=tuple(
            np.array([index[it.id] for it in inst.items_in(d.id)], dtype=np.intp)
            for d in inst.domains
        ),
        min_answered=np.array([d.min_answered for d in inst.domains], dtype=np.int64),
        informant_ids=informant_ids,
        asked=asked,
        allowed_words=tuple(words),
        band_lower=np.array([b.lower for b in bands], dtype=float),
        band_upper=np.array([b.upper for b in bands], dtype=float),
        band_ids=tuple(b.id for b in bands),
    )


def sheet_schema(inst: Instrument) -> dict[str, Any]:
    """The strict JSON Schema (2020-12) of one sheet on ``inst``.

    Item properties enumerate exactly the allowed values (level values, ``"NA"`` where the
    item allows it, ``null`` for missing); unknown items and fields are refused; the informant
    must be one of the instrument's, and an informant may rate only the items asked of them.
    JSON Schema compares numbers by value, so it accepts ``3.0`` for ``3``; :func:`validate`
    is stricter and refuses ``3.0``. Cross-sheet rules (duplicates, consensus) and missing
    required items are checked by :func:`validate` only.
    """
    item_props: dict[str, Any] = {}
    for it in inst.items:
        scale = inst.scale_of(it)
        allowed: list[Any] = list(scale.values)
        if it.allow_na:
            allowed.append("NA")
        allowed.append(None)
        anchors = "; ".join(f"{v} = {_short(a, 200)}" for v, a in sorted(it.anchors.items()))
        item_props[it.id] = {
            "title": it.text.strip(),
            "description": f"Domain {it.domain}. Asked of: {', '.join(it.informants)}. "
            f"Levels: {anchors}"
            + ("; NA = not applicable" if it.allow_na else "")
            + (" (reverse-scored)" if it.reverse else ""),
            "enum": allowed,
        }
    informants = [i.id for i in inst.informants]
    conditions = []
    for inf in informants:
        not_asked = [it.id for it in inst.items if inf not in it.informants]
        if not_asked:
            conditions.append(
                {
                    "if": {"required": ["informant"], "properties": {"informant": {"const": inf}}},
                    "then": {
                        "properties": {
                            "ratings": {"properties": {i: {"type": "null"} for i in not_asked}}
                        }
                    },
                }
            )
    text = {"type": "string", "minLength": 1}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://fidelity.readthedocs.io/schemas/sheets/{inst.id}/{inst.version}"
        ".schema.json",
        "title": f"Rating sheet for {inst.title} ({inst.spec})",
        "description": "One rater's ratings of one assessment, generated from the instrument "
        f"{inst.spec} (content sha256 {inst.content_hash}). Values: a level value, 'NA' "
        "where allowed, or null for missing.",
        "x-instrument": inst.spec,
        "x-content-hash": inst.content_hash,
        "type": "object",
        "additionalProperties": False,
        "required": ["assessment", "rater", "ratings"],
        "properties": {
            "instrument": {"const": inst.spec},
            "assessment": text,
            "rater": text,
            "site": {"type": ["string", "null"], "minLength": 1},
            "informant": {"enum": [*informants, None]},
            "date": {"type": ["string", "null"], "pattern": _DATE_RE.pattern},
            "consensus": {"type": "boolean"},
            "ratings": {
                "type": "object",
                "additionalProperties": False,
                "properties": item_props,
            },
            "comments": {
                "type": "object",
                "propertyNames": {"enum": [it.id for it in inst.items]},
                "additionalProperties": {"type": "string"},
            },
            "migrations": {
                "description": "Provenance written by `fidelity migrate`.",
                "type": "array",
                "items": {"type": "object"},
            },
        },
    }
    if conditions:
        schema["allOf"] = conditions
    return schema


# ---------------------------------------------------------------------------------------------
# Sheet batches


@dataclass
class _Segment:
    """The sheets of one input (a file or one in-memory object), column by column."""

    source: str | None
    mode: Mode
    locator: Literal["row", "line", "index", "single"]
    positions: NDArray[np.int64]
    fields: dict[str, NDArray[Any]]
    ratings: dict[str, NDArray[Any]]
    comments: dict[str, NDArray[Any]]
    tabular: bool
    """Columns come from a header (CSV/XLSX/DataFrame wide): unknown columns are reported once."""
    cell_positions: dict[str, NDArray[np.int64]] | None = None
    """Long CSV: the row of each item's cell, so problems point to the exact row."""
    extra: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.positions.shape[0])

    def ref(self, i: int, pos: int | None = None) -> SheetRef:
        """The :class:`SheetRef` of local sheet ``i`` (optionally at another row)."""
        p = int(self.positions[i]) if pos is None else pos
        a = _ident(self.fields.get("assessment"), i)
        r = _ident(self.fields.get("rater"), i)
        loc = self.locator
        if loc == "row":
            return SheetRef(self.source, p, None, None, a, r)
        if loc == "line":
            return SheetRef(self.source, None, p, None, a, r)
        if loc == "index":
            return SheetRef(self.source, None, None, p, a, r)
        return SheetRef(self.source, None, None, None, a, r)

    def path(self, i: int, *parts: str) -> str:
        """JSON path (records) or column name (tabular) of a value in local sheet ``i``."""
        if self.tabular or self.locator == "row":
            return parts[-1]
        base = f"$[{int(self.positions[i])}]" if self.locator == "index" else "$"
        out = base
        for k, part in enumerate(parts):
            out += f".{part}" if k == 0 and re.match(r"^[a-z_]+$", part) else f"['{part}']"
        return out


def _ident(col: NDArray[Any] | None, i: int) -> str | None:
    if col is None:
        return None
    v = col[i]
    if type(v) is str:
        return v or None
    if v is None or v is ABSENT or (isinstance(v, float) and v != v):
        return None
    return repr(v)


class SheetBatch:
    """Rating sheets from one or more inputs, held column by column.

    Create with :func:`read_sheets` (files), or let :func:`validate` and
    :func:`fidelity.score` convert dicts, lists, :class:`RatingSheet` objects and DataFrames.
    ``problems`` holds what went wrong while reading (unreadable files, malformed JSON, CSV
    rows with the wrong number of fields); :func:`validate` reports them together with the
    problems it finds.
    """

    def __init__(self, segments: Iterable[_Segment] = ()) -> None:
        self._segments: list[_Segment] = list(segments)
        self._checked: dict[str, _Checked] = {}

    @property
    def segments(self) -> tuple[_Segment, ...]:
        """The inputs, in order."""
        return tuple(self._segments)

    @property
    def problems(self) -> list[Problem]:
        """Problems found while reading."""
        return [p for s in self._segments for p in s.problems]

    def __len__(self) -> int:
        return sum(s.n for s in self._segments)

    def __add__(self, other: SheetBatch) -> SheetBatch:
        return SheetBatch([*self._segments, *other._segments])

    def instruments(self) -> list[str]:
        """The distinct ``instrument`` values the sheets name, in order of first appearance."""
        seen: dict[str, None] = {}
        for seg in self._segments:
            col = seg.fields.get("instrument")
            if col is None:
                continue
            for v in dict.fromkeys(col.tolist()):
                if isinstance(v, str) and v:
                    seen.setdefault(v)
        return list(seen)

    def records(self) -> Iterator[dict[str, Any]]:
        """Each sheet as a dictionary (fields as read; ratings without absent keys)."""
        for seg in self._segments:
            for i in range(seg.n):
                rec: dict[str, Any] = {}
                for name, col in seg.fields.items():
                    v = col[i]
                    if v is not ABSENT and v != "":
                        rec[name] = v
                rec["ratings"] = {
                    k: _record_value(c[i], seg.mode)
                    for k, c in seg.ratings.items()
                    if c[i] is not ABSENT
                }
                comments = {
                    k: c[i] for k, c in seg.comments.items() if c[i] not in (ABSENT, None, "")
                }
                if comments:
                    rec["comments"] = comments
                yield rec


def _record_value(v: Any, mode: Mode) -> Any:
    if mode == "text":
        if v == "":
            return None
        return int(v) if _INT_RE.fullmatch(v) and len(v) <= _MAX_DIGITS else v
    return v


# ---------------------------------------------------------------------------------------------
# Readers


def read_sheets(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: Literal["json", "jsonl", "csv", "xlsx"] | None = None,
) -> SheetBatch:
    """Read rating sheets from files, by extension unless ``format`` is given.

    ``.json`` (one sheet or a list), ``.jsonl``/``.ndjson`` (one sheet per line), ``.csv``
    (wide or long, told apart by the header: a long file has ``item`` and ``value``
    columns) and ``.xlsx`` (wide). Never raises for a bad file: the problem (with file and
    row or line) is kept in the batch's ``problems`` and reported by :func:`validate`.
    """
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    return SheetBatch(_read_file(Path(s), format) for s in sources)


def _empty_segment(source: str | None, problem: Problem | None = None) -> _Segment:
    return _Segment(
        source,
        "text",
        "row",
        np.zeros(0, dtype=np.int64),
        {},
        {},
        {},
        True,
        problems=[problem] if problem else [],
    )


def _file_problem(path: str, code: str, message: str) -> _Segment:
    return _empty_segment(path, Problem(code, message, SheetRef(path)))


_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}


def _read_file(path: Path, fmt: str | None) -> _Segment:
    name = str(path)
    kind = fmt or _FORMATS.get(path.suffix.lower())
    if kind is None:
        return _file_problem(
            name,
            "FR003",
            f"unsupported file type {path.suffix or '(none)'!r}: use .csv, .json, .jsonl or .xlsx",
        )
    try:
        size = path.stat().st_size
        if path.is_dir():
            return _file_problem(name, "FR001", "cannot read file: it is a directory")
        if size > MAX_FILE_BYTES:
            return _file_problem(
                name,
                "FR005",
                f"file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})",
            )
        data = path.read_bytes()
    except OSError as exc:
        return _file_problem(name, "FR001", f"cannot read file: {exc.strerror or exc}")
    if not data.strip():
        return _file_problem(name, "FR002", "file is empty: it holds no rating sheets")
    if kind == "xlsx":
        return _read_xlsx(name, data)
    text = _decode(name, data)
    if isinstance(text, _Segment):
        return text
    if kind == "json":
        return _read_json(name, text)
    if kind == "jsonl":
        return _read_jsonl(name, text)
    return _read_csv(name, text, data[3:] if data.startswith(b"\xef\xbb\xbf") else data)


def _decode(name: str, data: bytes) -> str | _Segment:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return _file_problem(
            name,
            "FR004",
            f"not a text file (binary data, a NUL byte on line "
            f"{line}); rating sheets are UTF-8 CSV, JSON or JSON Lines, or XLSX",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return _file_problem(
            name,
            "FR004",
            f"not UTF-8 text: undecodable byte on line {line}; save the file as UTF-8",
        )


# -- JSON ---------------------------------------------------------------------------------------

_RECORD_KEYS = frozenset((*FIELDS, "ratings", "comments", "migrations"))


def _read_json(name: str, text: str) -> _Segment:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _file_problem(
            name, "FR010", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        )
    except RecursionError:
        return _file_problem(name, "FR010", "malformed JSON: nested too deeply")
    except ValueError as exc:  # a number with more digits than Python converts
        return _file_problem(name, "FR010", f"malformed JSON: {_short(str(exc), 100)}")
    if isinstance(data, dict):
        return _records_segment(name, [data], "single", [0])
    if isinstance(data, list):
        if not data:
            return _file_problem(name, "FR002", "the JSON list is empty: it holds no sheets")
        return _records_segment(name, data, "index", list(range(len(data))))
    return _file_problem(
        name,
        "FR011",
        f"a JSON rating-sheet file holds one sheet (an object) "
        f"or a list of sheets, not {_json_kind(data)}",
    )


def _read_jsonl(name: str, text: str) -> _Segment:
    records: list[Any] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
            lines.append(lineno)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(
                    "FR010",
                    f"malformed JSON at column {exc.colno}: {exc.msg}",
                    SheetRef(name, line=lineno),
                )
            )
        except RecursionError:
            problems.append(
                Problem("FR010", "malformed JSON: nested too deeply", SheetRef(name, line=lineno))
            )
        except ValueError as exc:  # a number with more digits than Python converts
            problems.append(
                Problem(
                    "FR010",
                    f"malformed JSON: {_short(str(exc), 100)}",
                    SheetRef(name, line=lineno),
                )
            )
    seg = _records_segment(name, records, "line", lines)
    seg.problems[:0] = problems
    return seg


def _json_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list"
    return "an object" if isinstance(v, dict) else type(v).__name__


def _records_segment(
    name: str | None,
    records: Sequence[Any],
    locator: Literal["line", "index", "single"],
    positions: Sequence[int],
    mode: Mode = "json",
) -> _Segment:
    """Column-orient a list of JSON-like sheet objects (dicts or :class:`RatingSheet`)."""
    problems: list[Problem] = []
    keep: list[dict[str, Any]] = []
    kept_pos: list[int] = []
    probe = _Segment(name, mode, locator, np.zeros(0, dtype=np.int64), {}, {}, {}, False)
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
            problems.append(
                Problem(
                    "FR012", f"a rating sheet must be a JSON object, not {_json_kind(rec)}", ref
                )
            )
            continue
        keep.append(rec)
        kept_pos.append(pos)
    seg = _Segment(
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
    n = len(keep)
    for f in FIELDS:
        col = np.empty(n, dtype=object)
        col[:] = [r.get(f, ABSENT) for r in keep]
        seg.fields[f] = col
    if any("migrations" in r for r in keep):  # provenance written by `fidelity migrate`
        col = np.empty(n, dtype=object)
        col[:] = [r.get("migrations", ABSENT) for r in keep]
        seg.fields["migrations"] = col
    ratings: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    for i, rec in enumerate(keep):
        for key in rec:
            if key not in _RECORD_KEYS:
                seg.extra.append((i, str(key)))
        r = rec.get("ratings", {})
        if not isinstance(r, dict):
            seg.problems.append(
                Problem(
                    "FR202",
                    f"'ratings' must be an object mapping item ids to values, not {_json_kind(r)}",
                    seg.ref(i),
                    seg.path(i, "ratings"),
                    value=_jsonable(r),
                )
            )
            r = {}
        c = rec.get("comments", {})
        if not isinstance(c, dict):
            seg.problems.append(
                Problem(
                    "FR202",
                    f"'comments' must be an object mapping item ids to text, not {_json_kind(c)}",
                    seg.ref(i),
                    seg.path(i, "comments"),
                    value=_jsonable(c),
                )
            )
            c = {}
        ratings.append(r)
        comments.append(c)
    for target, dicts in ((seg.ratings, ratings), (seg.comments, comments)):
        keys: dict[str, None] = {}
        for d in dicts:
            keys.update(dict.fromkeys(d))
        for k in keys:
            col = np.empty(n, dtype=object)
            col[:] = [d.get(k, ABSENT) for d in dicts]
            target[str(k)] = col
    del probe
    return seg


def _jsonable(v: Any) -> Any:
    if isinstance(v, str | int | float | bool | type(None)):
        return v
    text = json.dumps(v, default=repr)
    return text if len(text) <= 80 else text[:79] + "…"


# -- CSV ----------------------------------------------------------------------------------------


def _header_problem(name: str, header: Sequence[str]) -> Problem | None:
    missing = [c for c in ("assessment", "rater") if c not in header]
    if not missing:
        return None
    shown = ", ".join(_short(repr(h), 30) for h in header[:6])
    more = f" and {len(header) - 6} more" if len(header) > 6 else ""
    return Problem(
        "FR020",
        f"wrong header: no {_plain_list(missing, 'or')} column; a rating "
        f"sheet table needs the columns assessment and rater, then one column per "
        f"item id (wide) or item and value columns (long); found {shown}{more}",
        SheetRef(name, row=1),
        value=None,
    )


def _duplicate_columns(header: Sequence[str], ref: SheetRef) -> Problem | None:
    dup = sorted({h for h in header if header.count(h) > 1})
    if not dup:
        return None
    return Problem(
        "FR021",
        f"wrong header: column(s) {', '.join(map(repr, dup))} appear more than once",
        ref,
    )


def _read_csv(name: str, text: str, raw: bytes | None = None) -> _Segment:
    try:
        header_reader = csv.reader(io.StringIO(text), strict=True)
        header = next(header_reader)
    except csv.Error as exc:
        return _file_problem(name, "FR024", f"malformed CSV in the header: {exc}")
    except StopIteration:
        return _file_problem(name, "FR002", "file is empty: it holds no rating sheets")
    problem = _header_problem(name, header)
    if problem is not None:
        return _empty_segment(name, problem)
    problem = _duplicate_columns(header, SheetRef(name, row=1))
    if problem is not None:
        return _empty_segment(name, problem)
    empty = [k + 1 for k, h in enumerate(header) if not h.strip()]
    if empty:
        return _empty_segment(
            name,
            Problem(
                "FR020",
                f"wrong header: column(s) {', '.join(map(str, empty))} have no name",
                SheetRef(name, row=1),
            ),
        )
    columns, rows, problems = _csv_table(name, text, header, raw)
    long = all(c in header for c in _LONG_COLUMNS)
    if long:
        seg = _long_segment(name, header, columns, rows, "text")
    else:
        seg = _wide_segment(name, header, columns, rows, "text", "row")
    seg.problems[:0] = problems
    return seg


def _csv_table(
    name: str, text: str, header: list[str], raw: bytes | None = None
) -> tuple[list[NDArray[Any]], NDArray[np.int64], list[Problem]]:
    """Parse the data rows: ``(columns, row numbers, problems)``.

    The fast path checks the record structure with array operations on the raw bytes and
    lets pandas' C parser read every cell as text; anything irregular (a row with too many or
    too few fields, odd quoting) goes to the exact, slower path through the ``csv`` module,
    which reports every bad row."""
    fast = _csv_fast(text.encode("utf-8") if raw is None else raw, header)
    if fast is not None:
        return fast[0], fast[1], []
    return _csv_slow(name, text, header)


def _csv_fast(raw: bytes, header: list[str]) -> tuple[list[NDArray[Any]], NDArray[np.int64]] | None:
    import pandas as pd

    b = np.frombuffer(raw, dtype=np.uint8)
    quote = b == 34
    newline = b == 10
    comma = b == 44
    if quote.any():
        inside = (np.cumsum(quote, dtype=np.uint8) & 1).astype(bool)
        newline &= ~inside
        comma &= ~inside
        # A quote opens a field (after a comma, a line break or a closing quote: "" is an
        # escaped quote) and closes it (before a comma, a line break or an opening quote).
        # Anything else, such as '""3' or 'a"b', is left to the exact path, which reports it.
        q = np.flatnonzero(quote)
        opening, closing = q[0::2], q[1::2]
        before = b[np.maximum(opening - 1, 0)]
        after = b[np.minimum(closing + 1, b.size - 1)]
        if not (
            np.all((opening == 0) | (before == 44) | (before == 10) | (before == 34))
            and np.all(
                (closing == b.size - 1)
                | (after == 44)
                | (after == 10)
                | (after == 13)
                | (after == 34)
            )
        ):
            return None
    nl = np.flatnonzero(newline)
    ends = nl if (b.size and b[-1] == 10) else np.append(nl, b.size)
    starts = np.concatenate(([0], nl + 1))[: ends.size]
    cpos = np.flatnonzero(comma)
    fields = np.searchsorted(cpos, ends) - np.searchsorted(cpos, starts) + 1
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (b[np.minimum(starts, max(b.size - 1, 0))] == 13))
    if fields[0] != len(header):  # the header itself spans lines: let the exact path decide
        return None
    data_fields = fields[1:]
    data_blank = blank[1:]
    if np.any((data_fields != len(header)) & ~data_blank):
        return None
    rows = (np.flatnonzero(~data_blank) + 2).astype(np.int64)
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            encoding="utf-8",
            dtype="category",
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            header=0,
            engine="c",
        )
    except Exception:  # any parser complaint: the exact path reports it properly
        return None
    if len(frame) != rows.size or frame.shape[1] != len(header):
        return None
    # Every column is read as a categorical of its text cells: one string per distinct value
    # instead of one per cell, and the codes are what validation would compute anyway.
    # Sheet fields are turned back into plain arrays; rating columns stay categorical.
    columns: list[Any] = []
    for k, name in enumerate(header):
        col = frame.iloc[:, k].array
        columns.append(np.asarray(col, dtype=object) if name in FIELDS else col)
    return columns, rows


def _csv_slow(
    name: str, text: str, header: list[str]
) -> tuple[list[NDArray[Any]], NDArray[np.int64], list[Problem]]:
    problems: list[Problem] = []
    good: list[list[str]] = []
    rows: list[int] = []
    reader = csv.reader(io.StringIO(text), strict=True)
    width = len(header)
    rownum = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(
                Problem(
                    "FR024",
                    f"malformed CSV: {exc}; the rest of the file was not read",
                    SheetRef(name, row=rownum + 1),
                )
            )
            break
        rownum += 1
        if rownum == 1 or not record:
            continue
        if len(record) != width:
            problems.append(
                Problem(
                    "FR023",
                    f"row has {len(record)} field(s) but the header has {width}; check for "
                    "unquoted commas or a missing cell",
                    SheetRef(name, row=rownum),
                )
            )
            continue
        good.append(record)
        rows.append(rownum)
    columns = []
    for k in range(width):
        col = np.empty(len(good), dtype=object)
        col[:] = [r[k] for r in good]
        columns.append(col)
    return columns, np.asarray(rows, dtype=np.int64), problems


def _wide_segment(
    name: str | None,
    header: Sequence[str],
    columns: list[NDArray[Any]],
    positions: NDArray[np.int64],
    mode: Mode,
    locator: Literal["row", "index"],
) -> _Segment:
    seg = _Segment(name, mode, locator, positions, {}, {}, {}, True)
    for h, col in zip(header, columns, strict=True):
        if h in FIELDS:
            seg.fields[h] = col
        elif h.endswith(COMMENT_SUFFIX):
            seg.comments[h[: -len(COMMENT_SUFFIX)]] = col
        else:
            seg.ratings[h] = col
    return seg


def _long_segment(
    name: str | None,
    header: Sequence[str],
    columns: list[NDArray[Any]],
    positions: NDArray[np.int64],
    mode: Mode,
    locator: Literal["row", "index"] | None = None,
) -> _Segment:
    """Group long rows (one rating per row) into sheets keyed by (assessment, rater)."""
    import pandas as pd

    loc = locator or ("row" if mode == "text" else "index")

    cols = dict(zip(header, columns, strict=True))
    problems: list[Problem] = []
    allowed = {*FIELDS, "item", "value", "comment"}
    unknown = [h for h in header if h not in allowed]
    if unknown:
        problems.append(
            Problem(
                "FR020",
                f"wrong header for a long table: unknown column(s) "
                f"{', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}",
                SheetRef(name, row=1 if loc == "row" else None),
            )
        )
    key_a = np.array([_key_text(v) for v in cols["assessment"]], dtype=object)
    key_r = np.array([_key_text(v) for v in cols["rater"]], dtype=object)
    item_col = np.array([_key_text(v) for v in cols["item"]], dtype=object)
    keyless = (key_a == "") | (key_r == "") | (item_col == "")
    for i in np.flatnonzero(keyless):
        what = [
            w
            for w, c in (("assessment", key_a), ("rater", key_r), ("item", item_col))
            if c[i] == ""
        ]
        problems.append(
            Problem(
                "FR201",
                f"long-table row without {_plain_list(what, 'and')}",
                _long_ref(name, loc, int(positions[i])),
                what[0],
            )
        )
    ok = np.flatnonzero(~keyless)
    frame = pd.DataFrame({"a": key_a[ok], "r": key_r[ok]})
    sheet_of, _uniq = pd.factorize(pd.MultiIndex.from_frame(frame))
    n_sheets = int(sheet_of.max()) + 1 if ok.size else 0
    first = np.full(n_sheets, -1, dtype=np.int64)
    # first row of each sheet, in order of first appearance
    order = np.arange(ok.size)[::-1]
    first[sheet_of[order]] = order
    sheet_pos = positions[ok][first] if n_sheets else np.zeros(0, dtype=np.int64)
    seg = _Segment(
        name,
        mode,
        loc,
        sheet_pos.astype(np.int64),
        {},
        {},
        {},
        False,
        cell_positions={},
        problems=problems,
    )
    for f in FIELDS:
        if f not in cols:
            continue
        src = cols[f][ok]
        out = np.empty(n_sheets, dtype=object)
        out[:] = src[first] if n_sheets else []
        seg.fields[f] = out
        if f in ("assessment", "rater"):
            continue
        # every row of a sheet must repeat the same sheet fields
        norm = np.array([_key_text(v) for v in src], dtype=object)
        differs = (
            np.flatnonzero(norm != norm[first[sheet_of]])
            if n_sheets
            else np.zeros(0, dtype=np.intp)
        )
        for k in differs.tolist():
            s = int(sheet_of[k])
            problems.append(
                Problem(
                    "FR304",
                    f"rows of one sheet disagree on {f}: {src[k]!r} here but "
                    f"{out[s]!r} on row {int(sheet_pos[s])}",
                    _long_ref(name, loc, int(positions[ok][k]), key_a[ok][k], key_r[ok][k]),
                    f,
                    value=_jsonable(src[k]),
                )
            )
    items = item_col[ok]
    values = cols["value"][ok]
    comments = cols["comment"][ok] if "comment" in cols else None
    pos_ok = positions[ok]
    dup = pd.DataFrame({"s": sheet_of, "i": items}).duplicated(keep="first").to_numpy()
    for k in np.flatnonzero(dup):
        problems.append(
            Problem(
                "FR108",
                f"item {items[k]} is given more than once for this sheet; only the first "
                "row counts",
                _long_ref(name, loc, int(pos_ok[k]), key_a[ok][k], key_r[ok][k]),
                str(items[k]),
                item=str(items[k]),
                value=_jsonable(values[k]),
            )
        )
    keep = np.flatnonzero(~dup)
    assert seg.cell_positions is not None
    for item in dict.fromkeys(items[keep].tolist()):
        sel = keep[items[keep] == item]
        col = np.empty(n_sheets, dtype=object)
        col[:] = ABSENT
        col[sheet_of[sel]] = values[sel]
        seg.ratings[item] = col
        cp = np.array(sheet_pos, dtype=np.int64)
        cp[sheet_of[sel]] = pos_ok[sel]
        seg.cell_positions[item] = cp
        if comments is not None:
            com = np.empty(n_sheets, dtype=object)
            com[:] = ABSENT
            com[sheet_of[sel]] = comments[sel]
            seg.comments[item] = com
    return seg


def _key_text(v: Any) -> str:
    if v is None or v is ABSENT or (isinstance(v, float) and v != v):
        return ""
    return v if isinstance(v, str) else str(v)


def _long_ref(
    name: str | None,
    locator: Literal["row", "index"],
    pos: int,
    a: str | None = None,
    r: str | None = None,
) -> SheetRef:
    if locator == "row":
        return SheetRef(name, pos, None, None, a or None, r or None)
    return SheetRef(name, None, None, pos, a or None, r or None)


# -- XLSX and DataFrames ------------------------------------------------------------------------


def _read_xlsx(name: str, data: bytes) -> _Segment:
    try:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not XLSX
        return _file_problem(
            name,
            "FR025",
            f"cannot read as an XLSX workbook ({type(exc).__name__}: {_short(str(exc), 120)})",
        )
    try:
        sheet = book["ratings"] if "ratings" in book.sheetnames else book.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header_cells = next(rows_iter, None)
        if header_cells is None:
            return _file_problem(name, "FR002", "the worksheet is empty: it holds no sheets")
        header = list(header_cells)
        while header and header[-1] in (None, ""):
            header.pop()
        bad = [k + 1 for k, h in enumerate(header) if not isinstance(h, str) or not h.strip()]
        if bad:
            return _empty_segment(
                name,
                Problem(
                    "FR020",
                    f"wrong header: column(s) {', '.join(map(str, bad[:10]))} of row 1 "
                    "are not column names",
                    SheetRef(name, row=1),
                ),
            )
        names = [str(h) for h in header]
        problem = _header_problem(name, names) or _duplicate_columns(names, SheetRef(name, row=1))
        if problem is not None:
            return _empty_segment(name, problem)
        width = len(names)
        good: list[tuple[Any, ...]] = []
        rows: list[int] = []
        problems: list[Problem] = []
        for rownum, cells in enumerate(rows_iter, start=2):
            values = [_xlsx_value(v) for v in cells]
            if all(v is None or v == "" for v in values):
                continue
            if any(v not in (None, "") for v in values[width:]):
                problems.append(
                    Problem(
                        "FR023",
                        f"row has values beyond the {width} named columns",
                        SheetRef(name, row=rownum),
                    )
                )
                continue
            values = (values + [None] * width)[:width]
            good.append(tuple(values))
            rows.append(rownum)
    finally:
        book.close()
    columns = []
    for k in range(width):
        col = np.empty(len(good), dtype=object)
        col[:] = [r[k] for r in good]
        columns.append(col)
    positions = np.asarray(rows, dtype=np.int64)
    if all(c in names for c in _LONG_COLUMNS):
        seg = _long_segment(name, names, columns, positions, "cell", "row")
    else:
        seg = _wide_segment(name, names, columns, positions, "cell", "row")
    seg.problems[:0] = problems
    return seg


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, _dt.datetime):
        return v.date().isoformat() if v.time() == _dt.time() else v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v


def _dataframe_segment(frame: pd.DataFrame, name: str | None = None) -> _Segment:
    header = [str(c) for c in frame.columns]
    problem = _header_problem(name or "<DataFrame>", header)
    if problem is not None:
        return _empty_segment(name, Problem(problem.code, problem.message, SheetRef(name)))
    problem = _duplicate_columns(header, SheetRef(name))
    if problem is not None:
        return _empty_segment(name, problem)
    columns = [_frame_column(frame.iloc[:, k]) for k in range(frame.shape[1])]
    positions = np.arange(len(frame), dtype=np.int64)
    if all(c in header for c in _LONG_COLUMNS):
        return _long_segment(name, header, columns, positions, "cell")
    return _wide_segment(name, header, columns, positions, "cell", "index")


def _frame_column(col: pd.Series[Any]) -> NDArray[Any]:
    """A DataFrame column as Python objects. pandas stores an integer column with gaps as
    floats, so in a float column whole numbers become ints and NaN becomes empty; any other
    float stays a float and is reported. pandas' missing markers (NaN, ``pd.NA`` of the
    nullable dtypes that ``convert_dtypes`` gives, ``NaT``) are empty in every column, and
    dates and times are text as in an XLSX file (``2024-05-02``; with a time of day, ISO)."""
    import pandas as pd

    out: NDArray[Any] = col.to_numpy(dtype=object)
    if col.dtype.kind == "f":
        raw = col.to_numpy(dtype=float)
        whole = np.isfinite(raw) & (raw == np.round(raw))
        out[whole] = [int(v) for v in raw[whole]]
    missing = np.asarray(pd.isna(col), dtype=bool)
    out[missing] = None
    # dates as the XLSX reader reads them (pandas.read_excel gives Timestamps)
    if col.dtype.kind == "M" or (
        col.dtype.kind == "O"
        and pd.api.types.infer_dtype(col, skipna=True) in ("date", "datetime", "mixed")
    ):
        for i in np.flatnonzero(~missing).tolist():
            if isinstance(out[i], _dt.date):
                out[i] = _xlsx_value(out[i])
    return out


def as_batch(sheets: Any) -> SheetBatch:
    """Turn any accepted input into a :class:`SheetBatch`.

    Accepted: a :class:`SheetBatch`; a path (``str`` or ``os.PathLike``) or a list of paths;
    one sheet (``dict`` or :class:`RatingSheet`) or a list of them; a pandas DataFrame (wide
    or long layout).
    """
    if isinstance(sheets, SheetBatch):
        return sheets
    if isinstance(sheets, str | os.PathLike):
        return read_sheets(sheets)
    if isinstance(sheets, dict | RatingSheet):
        return SheetBatch([_records_segment(None, [sheets], "single", [0])])
    if isinstance(sheets, list | tuple):
        if sheets and all(isinstance(s, str | os.PathLike) for s in sheets):
            return read_sheets(sheets)
        return SheetBatch([_records_segment(None, list(sheets), "index", list(range(len(sheets))))])
    import pandas as pd

    if isinstance(sheets, pd.DataFrame):
        return SheetBatch([_dataframe_segment(sheets)])
    raise TypeError(
        "rating sheets must be a path, a list of paths, a dict or RatingSheet, a list of them, "
        f"a pandas DataFrame or a SheetBatch, not {type(sheets).__name__}"
    )


# ---------------------------------------------------------------------------------------------
# Validation


@dataclass
class _Checked:
    """The outcome of checking a batch against one instrument: problems and the arrays that
    scoring uses."""

    problems: ProblemList
    values: NDArray[np.float64]
    state: NDArray[np.int8]
    assessment: NDArray[Any]
    rater: NDArray[Any]
    site: NDArray[Any]
    informant: NDArray[Any]
    date: NDArray[Any]
    consensus: NDArray[np.bool_]
    source: NDArray[Any]


def validate(inst: Instrument, sheets: Any) -> ProblemList:
    """Check rating sheets against ``inst`` and return every problem found.

    ``sheets`` is anything :func:`as_batch` accepts. The result is a list (empty when all is
    well) of :class:`Problem`, ordered by input, sheet and item; ``.errors``/``.warnings``
    split it and ``.ok`` says whether the sheets can be scored. Checks: reading problems;
    fields (assessment and rater present, types, date format, consensus flag, known
    informant, instrument pin); every rating against its item (on the scale, right type, NA
    only where allowed, asked of this informant); unknown items; required items without an
    answer (warnings); duplicate (assessment, rater) sheets; more than one consensus sheet
    for an assessment; sheets of one assessment naming different sites or informants.
    """
    return check_sheets(inst, sheets).problems


def check_sheets(inst: Instrument, sheets: Any) -> _Checked:
    """Validate and keep the arrays for scoring (cached on the batch per instrument)."""
    compiled = compile_instrument(inst)
    batch = as_batch(sheets)
    cached = batch._checked.get(inst.content_hash)
    if cached is not None:
        return cached
    found: list[tuple[int, int, Problem]] = []
    parts = []
    offset = 0
    for seg in batch.segments:
        for p in seg.problems:
            found.append((offset - 1, -1, p))
        parts.append(_check_segment(compiled, seg, offset, found))
        offset += seg.n
    m = len(compiled.item_ids)
    if parts:
        values = np.concatenate([p[0] for p in parts]) if offset else np.zeros((0, m))
        state = np.concatenate([p[1] for p in parts]) if offset else np.zeros((0, m), np.int8)
        meta = {k: np.concatenate([p[2][k] for p in parts]) for k in parts[0][2]}
    else:
        values = np.zeros((0, m))
        state = np.zeros((0, m), dtype=np.int8)
        meta = {
            k: np.zeros(0, dtype=object)
            for k in ("assessment", "rater", "site", "informant", "date", "source")
        }
        meta["consensus"] = np.zeros(0, dtype=bool)
    _check_relations(batch, meta, found)
    found.sort(key=itemgetter(0, 1))
    problems = ProblemList(p for _, _, p in found)
    if offset == 0 and not problems:
        sources = [seg.source for seg in batch.segments if seg.source]
        if sources:
            for source in sources:
                problems.append(
                    Problem(
                        "FR002",
                        "the file holds a header but no rating sheets",
                        SheetRef(source, row=1),
                    )
                )
        else:
            problems.append(Problem("FR002", "no rating sheets were given"))
    checked = _Checked(
        problems,
        values,
        state,
        meta["assessment"],
        meta["rater"],
        meta["site"],
        meta["informant"],
        meta["date"],
        meta["consensus"].astype(bool),
        meta["source"],
    )
    batch._checked[inst.content_hash] = checked
    return checked


def _check_segment(
    c: CompiledInstrument, seg: _Segment, offset: int, found: list[tuple[int, int, Problem]]
) -> tuple[NDArray[np.float64], NDArray[np.int8], dict[str, NDArray[Any]]]:
    n = seg.n
    m = len(c.item_ids)
    values = np.full((n, m), np.nan)
    state = np.full((n, m), MISSING, dtype=np.int8)

    def add(i: int, order: int, problem: Problem) -> None:
        found.append((offset + i, order, problem))

    # -- sheet fields
    meta: dict[str, NDArray[Any]] = {}
    for f in ("assessment", "rater"):
        meta[f] = _required_text(seg, f, add)
    for f in ("site", "instrument"):
        meta[f] = _optional_text(seg, f, add)
    meta["date"] = _date_field(seg, add)
    meta["consensus"] = _bool_field(seg, add)
    informant = _optional_text(seg, "informant", add)
    inf_index = np.full(n, len(c.informant_ids), dtype=np.intp)
    codes, uniques = _factorize(informant)
    known = {k: j for j, k in enumerate(c.informant_ids)}
    for u, val in enumerate(uniques):
        if val is None:
            continue
        j = known.get(val)
        rows = np.flatnonzero(codes == u)
        if j is None:
            for i in rows:
                add(
                    int(i),
                    -8,
                    Problem(
                        "FR205",
                        f"unknown informant {val!r}; {c.spec} knows "
                        f"{_plain_list(list(c.informant_ids))}",
                        seg.ref(int(i)),
                        seg.path(int(i), "informant"),
                        value=val,
                        allowed=f"one of {_plain_list(list(c.informant_ids))} or empty",
                    ),
                )
        else:
            inf_index[rows] = j
    meta["informant"] = informant
    _pin_check(c, seg, meta.pop("instrument"), add)
    for i, key in seg.extra:
        add(
            i,
            -7,
            Problem(
                "FR203",
                f"unknown field {key!r} in a rating sheet; allowed: "
                f"{', '.join((*FIELDS, 'ratings', 'comments'))}",
                seg.ref(i),
                seg.path(i, key),
                value=None,
            ),
        )

    # -- ratings
    for col_name, raw in seg.ratings.items():
        j = c.index.get(col_name)
        if j is None:
            _unknown_item(c, seg, col_name, raw, add)
            continue
        _classify(c, seg, j, raw, values, state, add)
    if seg.tabular and n:
        for j in np.flatnonzero(c.required):
            item_id = c.item_ids[j]
            if item_id not in seg.ratings:
                found.append(
                    (
                        offset - 1,
                        int(j),
                        Problem(
                            "FR107",
                            f"wrong header: no column for the required item {item_id} "
                            f'("{c.short_labels[j]}")',
                            SheetRef(seg.source, row=1)
                            if seg.locator == "row"
                            else SheetRef(seg.source),
                            item_id,
                            item_id,
                            c.labels[j],
                            allowed=c.allowed_words[j],
                        ),
                    )
                )
    for key, raw in seg.comments.items():
        _check_comments(c, seg, key, raw, add)

    asked = c.asked[inf_index]
    given = (state == ANSWERED) | (state == NA)
    wrong_informant = given & ~asked
    for i, j in zip(*np.nonzero(wrong_informant), strict=True):
        ii, jj = int(i), int(j)
        inf = informant[ii]
        askees = c.inst.items[jj].informants
        add(
            ii,
            jj,
            Problem(
                "FR106",
                f'item {c.item_ids[jj]} ("{c.short_labels[jj]}") is not asked of the '
                f"informant {inf}, only of {_plain_list(list(askees))}; leave it empty",
                seg.ref(ii, _cell_pos(seg, c.item_ids[jj], ii)),
                seg.path(ii, "ratings", c.item_ids[jj]),
                c.item_ids[jj],
                c.labels[jj],
                _cell_value(seg, c.item_ids[jj], ii),
                "empty",
            ),
        )
    state[wrong_informant] = INVALID
    values[wrong_informant] = np.nan
    state[(state == MISSING) & ~asked] = NOT_ASKED
    unanswered = (state == MISSING) & c.required[None, :]
    if seg.tabular:  # a column absent from the header is reported once (FR107)
        unanswered[:, [j for j, k in enumerate(c.item_ids) if k not in seg.ratings]] = False
    rows_u, cols_u = np.nonzero(unanswered)
    messages = [
        f'required item {k} ("{c.short_labels[j]}") has no answer; it is left out '
        "of the domain score"
        for j, k in enumerate(c.item_ids)
    ]
    # one SheetRef per sheet (a sheet often misses several items); paths precomputed
    refs: dict[int, SheetRef] = {}
    by_cell = seg.cell_positions is not None
    flat_paths = seg.tabular or seg.locator == "row"
    item_ids, labels, allowed = c.item_ids, c.labels, c.allowed_words
    for ii, jj in zip(rows_u.tolist(), cols_u.tolist(), strict=True):
        item_id = item_ids[jj]
        if by_cell:
            ref = seg.ref(ii, _cell_pos(seg, item_id, ii))
        else:
            ref = refs.get(ii) or refs.setdefault(ii, seg.ref(ii))
        path = item_id if flat_paths else seg.path(ii, "ratings", item_id)
        found.append(
            (
                offset + ii,
                jj,
                Problem(
                    "FR105",
                    messages[jj],
                    ref,
                    path,
                    item_id,
                    labels[jj],
                    None,
                    allowed[jj],
                    "warning",
                ),
            )
        )

    meta["source"] = _where_column(seg)
    return values, state, meta


def _where_column(seg: _Segment) -> NDArray[Any]:
    """``SheetRef.where()`` of every sheet of a segment, built without a SheetRef each."""
    base = seg.source or "<sheets>"
    pos = seg.positions.tolist()
    out = np.empty(len(pos), dtype=object)
    if seg.locator == "row":
        out[:] = [f"{base} row {p}" for p in pos]
    elif seg.locator == "line":
        out[:] = [f"{base} line {p}" for p in pos]
    elif seg.locator == "index":
        out[:] = [f"{base} [{p}]" for p in pos]
    else:
        out[:] = base
    return out


def _factorize(col: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    """Codes and uniques of an object column whose values are str or None."""
    import pandas as pd

    if isinstance(col, pd.Categorical):
        cat_codes = np.asarray(col.codes, dtype=np.intp)
        cats = list(col.categories)
        if (cat_codes < 0).any():
            cat_codes = np.where(cat_codes < 0, len(cats), cat_codes)
            cats.append(None)
        return cat_codes, cats
    if col.size == 0:
        return np.zeros(0, dtype=np.intp), []
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    out = list(uniques)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(out), codes)
        out.append(None)
    return codes, out


_Add = Any  # callable(local index, order, Problem)


def _field_col(seg: _Segment, f: str) -> NDArray[Any] | None:
    return seg.fields.get(f)


def _is_blank(v: Any) -> bool:
    return v is None or v is ABSENT or v == "" or (isinstance(v, float) and v != v)


def _required_text(seg: _Segment, f: str, add: _Add) -> NDArray[Any]:
    col = _field_col(seg, f)
    n = seg.n
    out = np.empty(n, dtype=object)
    if col is None:
        out[:] = None
        if seg.mode != "text" and not seg.tabular:
            for i in range(n):
                add(i, -10, Problem("FR201", f"the sheet has no {f!r}", seg.ref(i), seg.path(i, f)))
        return out
    if seg.mode == "text":
        blank = col == ""
        out[:] = col
        out[blank] = None
        bad_rows = np.flatnonzero(blank)
        kinds = ["empty"] * bad_rows.size
    else:
        out[:] = col
        bad: list[int] = []
        kinds = []
        for i, v in enumerate(col.tolist()):
            if isinstance(v, str) and v != "":
                continue
            if seg.mode == "cell" and isinstance(v, int) and not isinstance(v, bool):
                out[i] = str(v)  # spreadsheets store numeric ids as numbers
                continue
            bad.append(i)
            kinds.append("empty" if _is_blank(v) else _json_kind(v))
            out[i] = None
        bad_rows = np.asarray(bad, dtype=np.intp)
    for i, kind in zip(bad_rows.tolist(), kinds, strict=True):
        raw = col[i]
        msg = f"the sheet has no {f}" if kind == "empty" else f"{f} must be text, not {kind}"
        add(
            i,
            -10,
            Problem(
                "FR201" if kind == "empty" else "FR202",
                msg,
                seg.ref(i),
                seg.path(i, f),
                value=None if raw is ABSENT else _jsonable(raw),
                allowed="non-empty text",
            ),
        )
    return out


def _optional_text(seg: _Segment, f: str, add: _Add) -> NDArray[Any]:
    col = _field_col(seg, f)
    n = seg.n
    out = np.empty(n, dtype=object)
    if col is None:
        out[:] = None
        return out
    if seg.mode == "text":
        out[:] = col
        out[col == ""] = None
        return out
    for i, v in enumerate(col.tolist()):
        if isinstance(v, str) and v != "":
            out[i] = v
        elif _is_blank(v) and not (seg.mode == "json" and v == ""):
            out[i] = None
        else:
            out[i] = None
            add(
                i,
                -9,
                Problem(
                    "FR202",
                    f"{f} must be text or empty, not {_json_kind(v)}"
                    if v != ""
                    else f"{f} is empty text; leave it out or use null",
                    seg.ref(i),
                    seg.path(i, f),
                    value=_jsonable(v),
                    allowed="text or empty",
                ),
            )
    return out


def _date_field(seg: _Segment, add: _Add) -> NDArray[Any]:
    col = _field_col(seg, "date")
    out = np.empty(seg.n, dtype=object)
    out[:] = None
    if col is None:
        return out
    codes, uniques = _factorize(col) if seg.mode == "text" else _factorize_any(col)
    for u, v in enumerate(uniques):
        if _is_blank(v) and not (seg.mode == "json" and v == ""):
            continue
        ok = isinstance(v, str) and _DATE_RE.match(v) is not None
        if ok:
            try:
                _dt.date.fromisoformat(v)
            except ValueError:
                ok = False
        rows = np.flatnonzero(codes == u)
        if ok:
            out[rows] = v
            continue
        for i in rows.tolist():
            add(
                i,
                -9,
                Problem(
                    "FR202",
                    f"date {v!r} is not a calendar date written YYYY-MM-DD",
                    seg.ref(i),
                    seg.path(i, "date"),
                    value=_jsonable(v),
                    allowed="a date such as 2024-03-31, or empty",
                ),
            )
    return out


def _bool_field(seg: _Segment, add: _Add) -> NDArray[Any]:
    col = _field_col(seg, "consensus")
    out = np.zeros(seg.n, dtype=bool)
    if col is None:
        return out
    codes, uniques = _factorize(col) if seg.mode == "text" else _factorize_any(col)
    for u, v in enumerate(uniques):
        rows = np.flatnonzero(codes == u)
        if isinstance(v, bool):
            out[rows] = v
            continue
        if _is_blank(v) and not (seg.mode == "json" and v == ""):
            continue
        if seg.mode != "json" and isinstance(v, str) and v.lower() in ("true", "false"):
            out[rows] = v.lower() == "true"  # true or false in any case
            continue
        for i in rows.tolist():
            add(
                i,
                -9,
                Problem(
                    "FR202",
                    f"consensus must be true or false, not {v!r}",
                    seg.ref(i),
                    seg.path(i, "consensus"),
                    value=_jsonable(v),
                    allowed="true, false or empty (false)",
                ),
            )
    return out


def _factorize_any(col: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    """Factorize keeping values of different types apart (``1``, ``1.0`` and ``True`` differ)."""
    lookup: dict[tuple[type, Any], int] = {}
    uniques: list[Any] = []
    codes = np.empty(col.size, dtype=np.intp)
    for i, v in enumerate(col.tolist()):
        try:
            key = (type(v), v)
            k = lookup.get(key)
        except TypeError:  # unhashable (a list or an object in JSON)
            key, k = None, None
        if k is None:
            k = len(uniques)
            uniques.append(v)
            if key is not None:
                lookup[key] = k
        codes[i] = k
    return codes, uniques


def _pin_check(c: CompiledInstrument, seg: _Segment, pins: NDArray[Any], add: _Add) -> None:
    codes, uniques = _factorize(pins)
    for u, v in enumerate(uniques):
        if v is None or v == c.spec:
            continue
        inst_id, _, version = str(v).partition("@")
        if inst_id == c.inst.id and not version:
            msg = f"the sheet names instrument {v!r} without a version; pin it as {c.spec!r}"
        elif inst_id == c.inst.id:
            msg = f"the sheet is pinned to {v}, but is being checked against {c.spec}"
        else:
            msg = f"the sheet is for instrument {v!r}, not {c.spec}"
        for i in np.flatnonzero(codes == u).tolist():
            add(
                i,
                -11,
                Problem(
                    "FR204",
                    msg,
                    seg.ref(i),
                    seg.path(i, "instrument"),
                    value=v,
                    allowed=f"{c.spec} or empty",
                ),
            )


def _unknown_item(
    c: CompiledInstrument, seg: _Segment, name: str, raw: NDArray[Any], add: _Add
) -> None:
    hint = _nearest(name, c.item_ids)
    msg = f"unknown item {name!r}: not an item of {c.spec}" + (
        f" (did you mean {hint!r}?)" if hint else ""
    )
    if seg.tabular:
        ref = SheetRef(seg.source, row=1) if seg.locator == "row" else SheetRef(seg.source)
        add(-1, -1, Problem("FR104", f"wrong header: {msg}", ref, name, name))
        return
    for i in range(seg.n):
        v = raw[i]
        if v is ABSENT:
            continue
        add(
            i,
            -6,
            Problem(
                "FR104",
                msg,
                seg.ref(i, _cell_pos(seg, name, i)),
                seg.path(i, "ratings", name),
                name,
                value=_jsonable(v),
            ),
        )


def _nearest(name: str, options: Sequence[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
    return close[0] if close else None


def _cell_pos(seg: _Segment, item_id: str, i: int) -> int | None:
    if seg.cell_positions is not None and item_id in seg.cell_positions:
        return int(seg.cell_positions[item_id][i])
    return None


def _cell_value(seg: _Segment, item_id: str, i: int) -> Any:
    col = seg.ratings.get(item_id)
    return None if col is None or col[i] is ABSENT else _jsonable(col[i])


def _classify(
    c: CompiledInstrument,
    seg: _Segment,
    j: int,
    raw: NDArray[Any],
    values: NDArray[np.float64],
    state: NDArray[np.int8],
    add: _Add,
) -> None:
    """Fill column ``j`` of ``values``/``state`` from raw cells; report bad ones.

    Distinct raw values are classified once (a column holds a handful), then spread to the
    cells with an index array: no per-cell Python work for valid data."""
    if seg.mode == "text":
        codes, uniques = _factorize(raw)
    else:
        codes, uniques = _factorize_any(raw)
    k = len(uniques)
    u_val = np.full(k + 1, np.nan)
    u_state = np.full(k + 1, MISSING, dtype=np.int8)
    bad: dict[int, tuple[str, str]] = {}
    for u, v in enumerate(uniques):
        verdict = _verdict(c, j, v, seg.mode)
        if isinstance(verdict, tuple) and isinstance(verdict[0], str):
            bad[u] = verdict
            u_state[u] = INVALID
        else:
            u_val[u], u_state[u] = verdict
    values[:, j] = u_val[codes]
    state[:, j] = u_state[codes]
    if not bad:
        return
    item_id = c.item_ids[j]
    label = c.labels[j]
    rows = np.flatnonzero(np.isin(codes, list(bad)))
    for i in rows.tolist():
        u = int(codes[i])
        code, reason = bad[u]
        v = uniques[u]
        add(
            i,
            j,
            Problem(
                code,
                f'item {item_id} ("{_short(label)}"): {reason}; allowed: '
                f"{c.allowed_words[j]} (or empty)",
                seg.ref(i, _cell_pos(seg, item_id, i)),
                seg.path(i, "ratings", item_id),
                item_id,
                label,
                _jsonable(v),
                c.allowed_words[j],
            ),
        )


def _verdict(c: CompiledInstrument, j: int, v: Any, mode: Mode) -> Any:
    """``(value, state)`` for an acceptable raw value, or ``(code, reason)`` for a bad one."""
    if v is None or v is ABSENT:
        return (np.nan, MISSING)
    if isinstance(v, str):
        if v == "":
            return (
                (np.nan, MISSING)
                if mode != "json"
                else ("FR102", 'empty text "" is not a value; use null for a missing answer')
            )
        if v == "NA":
            if c.allow_na[j]:
                return (np.nan, NA)
            return ("FR103", "NA (not applicable) is not allowed on this item")
        if mode == "json":
            if _INT_RE.fullmatch(v) and len(v) <= _MAX_DIGITS:
                return (
                    "FR102",
                    f'the text "{v}" is not a level value; write the number '
                    f"{int(v)} without quotes",
                )
            return ("FR102", f"{_short(repr(v), 40)} is not a level value")
        if _INT_RE.fullmatch(v):
            if len(v) > _MAX_DIGITS:
                return ("FR101", f"{_short(v, 24)} is not on the item's scale")
            level = int(v)
            if level not in c.levels[j]:
                return ("FR101", f"{v} is not on the item's scale")
            if str(level) != v:  # a leading zero: not the text of a level
                return ("FR102", f"{v!r} is not how a level is written; write {level}")
            return (float(level), ANSWERED)
        if v.strip() != v:
            return ("FR102", f"{v!r} has spaces around it")
        if v.upper() in ("NA", "N/A", "N.A."):
            return ("FR102", f"{v!r} is not a code: write not applicable as NA exactly")
        if _FLOAT_RE.match(v):
            return (
                "FR102",
                f"{v} is not a level value (levels are whole numbers, written "
                "without a decimal point)",
            )
        return ("FR102", f"{_short(repr(v), 40)} is not a level value")
    if isinstance(v, bool | np.bool_):
        return ("FR102", f"{str(bool(v)).lower()} is not a level value")
    if isinstance(v, int | np.integer):
        level = int(v)
        if level in c.levels[j]:
            return (float(level), ANSWERED)
        shown = str(level) if abs(level) < 10**_MAX_DIGITS else "a number of over 20 digits"
        return ("FR101", f"{shown} is not on the item's scale")
    if isinstance(v, float | np.floating):
        if v != v and mode == "cell":
            return (np.nan, MISSING)  # pandas' marker for an empty cell
        shown = repr(float(v)) if v == v else "NaN"
        if v == v and float(v).is_integer():
            return (
                "FR102",
                f"{shown} is not a level value (levels are whole numbers; write {int(v)})",
            )
        return ("FR102", f"{shown} is not a level value")
    return ("FR102", f"{_json_kind(v)} is not a level value")


def _check_comments(
    c: CompiledInstrument, seg: _Segment, key: str, raw: NDArray[Any], add: _Add
) -> None:
    known = key in c.index
    if seg.tabular and not known:
        ref = SheetRef(seg.source, row=1) if seg.locator == "row" else SheetRef(seg.source)
        add(
            -1,
            -1,
            Problem(
                "FR109",
                f"wrong header: comment column for unknown item {key!r}",
                ref,
                key + COMMENT_SUFFIX,
                key,
            ),
        )
        return
    for i, v in enumerate(raw.tolist()):
        if _is_blank(v):
            continue
        if not known:
            add(
                i,
                -5,
                Problem(
                    "FR109",
                    f"comment on unknown item {key!r}",
                    seg.ref(i),
                    seg.path(i, "comments", key),
                    key,
                    value=_jsonable(v),
                ),
            )
        elif not isinstance(v, str):
            add(
                i,
                -5,
                Problem(
                    "FR109",
                    f"comment on {key} must be text, not {_json_kind(v)}",
                    seg.ref(i),
                    seg.path(i, "comments", key),
                    key,
                    value=_jsonable(v),
                ),
            )


def _check_relations(
    batch: SheetBatch, meta: dict[str, NDArray[Any]], found: list[tuple[int, int, Problem]]
) -> None:
    """Duplicate sheets, several consensus sheets, and assessments that disagree on site or
    informant (across all inputs)."""
    import pandas as pd

    n = meta["assessment"].size
    if n == 0:
        return
    refs = _global_refs(batch)
    frame = pd.DataFrame({"a": meta["assessment"], "r": meta["rater"]})
    keyed = frame["a"].notna().to_numpy() & frame["r"].notna().to_numpy()
    dup = frame.duplicated(keep="first").to_numpy() & keyed
    if dup.any():
        first = frame[keyed].drop_duplicates(keep="first")
        first_pos = {
            (a, r): int(i) for i, a, r in zip(first.index, first["a"], first["r"], strict=True)
        }
        for i in np.flatnonzero(dup).tolist():
            a, r = meta["assessment"][i], meta["rater"][i]
            at = first_pos[(a, r)]
            found.append(
                (
                    i,
                    -4,
                    Problem(
                        "FR301",
                        f"duplicate sheet: assessment {a} rated by {r} already appears at "
                        f"{refs(at).where()}",
                        refs(i),
                        "",
                        value=None,
                    ),
                )
            )
    cons = meta["consensus"].astype(bool) & keyed
    if cons.any():
        ca = pd.Series(meta["assessment"][cons])
        extra = ca.duplicated(keep="first").to_numpy()
        idx = np.flatnonzero(cons)
        for k in np.flatnonzero(extra).tolist():
            i = int(idx[k])
            found.append(
                (
                    i,
                    -3,
                    Problem(
                        "FR302",
                        f"assessment {meta['assessment'][i]} has more than one consensus sheet",
                        refs(i),
                        "consensus",
                        value=True,
                    ),
                )
            )
    for f in ("site", "informant"):
        col = pd.Series(meta[f]).fillna("")
        a = pd.Series(meta["assessment"])
        groups = pd.DataFrame({"a": a, "v": col})[keyed]
        counts = groups.groupby("a", sort=False)["v"].nunique()
        split = counts[counts > 1].index
        if len(split) == 0:
            continue
        firsts = groups.drop_duplicates("a").set_index("a")["v"]
        rows = groups.index[
            groups["a"].isin(split).to_numpy()
            & (groups["v"].to_numpy() != firsts.reindex(groups["a"]).to_numpy())
        ]
        for i in rows.tolist():
            found.append(
                (
                    int(i),
                    -2,
                    Problem(
                        "FR303",
                        f"sheets of assessment {meta['assessment'][i]} disagree on {f}: "
                        f"{meta[f][i] or '(empty)'!s} here, "
                        f"{firsts[meta['assessment'][i]] or '(empty)'} on its first sheet",
                        refs(int(i)),
                        f,
                        value=meta[f][i],
                    ),
                )
            )


def _global_refs(batch: SheetBatch) -> Any:
    starts = []
    offset = 0
    for seg in batch.segments:
        starts.append(offset)
        offset += seg.n
    segs = batch.segments

    def ref(i: int) -> SheetRef:
        k = int(np.searchsorted(starts, i, side="right")) - 1
        return segs[k].ref(i - starts[k])

    return ref


def describe_item(item: Item) -> str:
    """``id ("text…")`` for messages."""
    return f'{item.id} ("{_short(item.text)}")'
