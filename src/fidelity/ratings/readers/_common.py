"""What the readers share: reading a file's bytes within the size limit, decoding UTF-8,
checking a table's header, and turning the columns of a wide table into a segment."""

from __future__ import annotations

import datetime as _dt
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import plain_list, short
from fidelity.instrument.redcap import field_var
from fidelity.ratings.problems import Problem, SheetRef, make_problem
from fidelity.ratings.segment import Segment, empty_segment, file_problem
from fidelity.ratings.sheet import ABSENT, COMMENT_SUFFIX, FIELDS, Mode

__all__ = [
    "FHIR_HINT",
    "LONG_COLUMNS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ITEM_IDS",
    "REDCAP_HINT",
    "columns_from_rows",
    "decode",
    "duplicate_columns",
    "header_problem",
    "is_long",
    "json_cells",
    "read_input",
    "spreadsheet_value",
    "strip_bom",
    "too_many_items",
    "wide_segment",
]

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest input file read (512 MiB, several million sheets in wide CSV)."""

MAX_COLUMNS = 5_000
"""Most columns a table's header may have (room for 2,000 items with a comment column each);
a wider header is refused (FR005) before its cells are read."""

MAX_ITEM_IDS = 2_000
"""Most distinct item ids one input may name (instruments have tens of items, a few hundred at
most); an input naming more is refused (FR005): the sheets are held as one column per item id,
so this bounds memory by the number of sheets."""

LONG_COLUMNS = ("item", "value")
"""A table with both columns is in the long layout (one rating per row)."""

_BOM = b"\xef\xbb\xbf"


def read_input(path: Path) -> bytes | Segment:
    """The bytes of ``path``, or a segment holding why they cannot be read (a directory, a
    file over :data:`MAX_FILE_BYTES`, an operating-system error, an empty file)."""
    name = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            return file_problem(name, "FR001", reason="it is a directory")
        if size > MAX_FILE_BYTES:
            return file_problem(name, "FR005", size=size, limit=MAX_FILE_BYTES)
        data = path.read_bytes()
    except OSError as exc:
        return file_problem(name, "FR001", reason=exc.strerror or exc)
    if not data or data.isspace():  # no stripped copy of a large file
        return file_problem(name, "FR002", "file is empty: it holds no rating sheets")
    return data


def strip_bom(data: bytes) -> bytes:
    """``data`` without a UTF-8 byte order mark."""
    return data[3:] if data.startswith(_BOM) else data


def decode(name: str, data: bytes) -> str | Segment:
    """The text of a UTF-8 file, or a segment saying where it is binary or not UTF-8."""
    data = strip_bom(data)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return file_problem(
            name,
            "FR004",
            f"not a text file (binary data, a NUL byte on line "
            f"{line}); rating sheets are UTF-8 CSV, JSON or JSON Lines, or XLSX",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return file_problem(
            name,
            "FR004",
            f"not UTF-8 text: undecodable byte on line {line}; save the file as UTF-8",
        )


REDCAP_HINT = "this is a REDCap export: read it with --from redcap (format='redcap')"
"""What a problem adds when a file read as fidelity's own is a REDCap export."""
FHIR_HINT = "read FHIR QuestionnaireResponses with --from fhir (format='fhir')"
"""What a problem adds when a JSON file read as sheets holds FHIR resources."""


def header_problem(header: Sequence[str], ref: SheetRef) -> Problem | None:
    """FR005 when a table's header has more than :data:`MAX_COLUMNS` columns, FR020 when it
    lacks the ``assessment`` or ``rater`` column."""
    if len(header) > MAX_COLUMNS:
        return make_problem(
            "FR005",
            message=f"the header has {len(header):,} columns; at most {MAX_COLUMNS:,} are "
            "read (one per sheet field, item and item comment)",
            sheet=ref,
        )
    missing = [c for c in ("assessment", "rater") if c not in header]
    if not missing:
        return None
    shown = ", ".join(short(repr(h), 30) for h in header[:6])
    more = f" and {len(header) - 6} more" if len(header) > 6 else ""
    redcap = any(field_var(f) in header for f in ("assessment", "rater"))
    return make_problem(
        "FR020",
        message=f"wrong header: no {plain_list(missing, 'or')} column; a rating "
        f"sheet table needs the columns assessment and rater, then one column per "
        f"item id (wide) or item and value columns (long); found {shown}{more}"
        + (f"; {REDCAP_HINT}" if redcap else ""),
        sheet=ref,
    )


def duplicate_columns(header: Sequence[str], ref: SheetRef) -> Problem | None:
    """FR021 when a column name appears more than once."""
    dup = sorted(h for h, n in Counter(header).items() if n > 1)
    if not dup:
        return None
    return make_problem("FR021", fields={"columns": ", ".join(map(repr, dup))}, sheet=ref)


def too_many_items(name: str | None, n: int) -> Segment | None:
    """A segment holding FR005 when an input names more than :data:`MAX_ITEM_IDS` distinct
    item ids, else ``None``."""
    if n <= MAX_ITEM_IDS:
        return None
    return empty_segment(
        name,
        make_problem(
            "FR005",
            message=f"the sheets name {n:,} distinct item ids; at most {MAX_ITEM_IDS:,} are "
            "read (an instrument has tens of items)",
            sheet=SheetRef(name),
        ),
    )


def is_long(header: Sequence[str]) -> bool:
    """Whether a table is in the long layout (it has ``item`` and ``value`` columns)."""
    return all(c in header for c in LONG_COLUMNS)


def columns_from_rows(rows: Sequence[Sequence[Any]], width: int) -> list[NDArray[Any]]:
    """The columns of a table given as rows of ``width`` cells, as object arrays."""
    columns = []
    for k in range(width):
        col = np.empty(len(rows), dtype=object)
        col[:] = [r[k] for r in rows]
        columns.append(col)
    return columns


def wide_segment(
    name: str | None,
    header: Sequence[str],
    columns: list[NDArray[Any]],
    positions: NDArray[np.int64],
    mode: Mode,
    locator: Literal["row", "index"],
) -> Segment:
    """A wide table (one row per sheet) as a segment: sheet fields, item columns and
    ``<item>:comment`` columns told apart by name."""
    seg = Segment(name, mode, locator, positions, {}, {}, {}, True)
    for h, col in zip(header, columns, strict=True):
        if h in FIELDS:
            seg.fields[h] = col
        elif h == "migrations":
            seg.fields[h] = json_cells(col)
        elif h.endswith(COMMENT_SUFFIX):
            seg.comments[h[: -len(COMMENT_SUFFIX)]] = col
        else:
            seg.ratings[h] = col
    return seg


def json_cells(col: NDArray[Any]) -> NDArray[Any]:
    """A table's ``migrations`` column (the provenance ``fidelity migrate`` writes as JSON
    text): each cell parsed, empty cells absent, a cell that is not JSON kept as it is (and
    reported by the field checks)."""
    out = np.empty(len(col), dtype=object)
    for i, v in enumerate(np.asarray(col, dtype=object).tolist()):
        if v is None or v == "" or (isinstance(v, float) and v != v):
            out[i] = ABSENT
            continue
        try:
            out[i] = json.loads(v) if isinstance(v, str) else v
        except (ValueError, RecursionError):
            out[i] = v
    return out


def spreadsheet_value(v: Any) -> Any:
    """A spreadsheet cell as validation sees it: a date as ``2024-05-02`` (with a time of
    day, ISO ``2024-05-03T14:30:00``), anything else as it is."""
    if isinstance(v, _dt.datetime):
        return v.date().isoformat() if v.time() == _dt.time() else v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return v
