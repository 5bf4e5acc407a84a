"""Sheet batches: rating sheets from one or more inputs, held column by column, and the two
ways to get one (:func:`read_sheets` for files, :func:`as_batch` for anything accepted).

A batch holds the raw cell values plus where each sheet came from (file and row, line or list
index), so that a hundred thousand sheets are checked and scored with array operations rather
than one Python object per sheet.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fidelity.ratings.readers._common import read_input
from fidelity.ratings.readers.csv import read_csv
from fidelity.ratings.readers.dataframe import dataframe_segment
from fidelity.ratings.readers.fhir import read_fhir
from fidelity.ratings.readers.json import read_json, read_jsonl, records_segment
from fidelity.ratings.readers.redcap import read_redcap
from fidelity.ratings.readers.xlsx import read_xlsx
from fidelity.ratings.segment import Segment, file_problem
from fidelity.ratings.sheet import ABSENT, INT_RE, MAX_DIGITS, Mode, RatingSheet

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
    from fidelity.ratings.checks.run import CheckedSheets
    from fidelity.ratings.problems import Problem

__all__ = ["SheetBatch", "SheetFormat", "as_batch", "read_sheets"]

_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
"""The format of each file extension."""

_READERS: dict[str, Callable[[str, bytes], Segment]] = {
    "json": read_json,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "xlsx": read_xlsx,
    "fhir": read_fhir,
}
"""The reader of each format: file name and bytes in, one segment out. (``redcap`` takes the
options of :func:`read_sheets` as well.)"""

SheetFormat = Literal["json", "jsonl", "csv", "xlsx", "redcap", "fhir"]
"""The formats :func:`read_sheets` reads: fidelity's own, a REDCap raw export (CSV or flat
JSON), FHIR QuestionnaireResponses (a Bundle or NDJSON)."""


class SheetBatch:
    """Rating sheets from one or more inputs, held column by column.

    Create with :func:`read_sheets` (files), or let :func:`~fidelity.ratings.checks.validate`
    and :func:`fidelity.score` convert dicts, lists, :class:`RatingSheet` objects and
    DataFrames. ``problems`` holds what went wrong while reading (unreadable files, malformed
    JSON, CSV rows with the wrong number of fields); ``validate`` reports them together with
    the problems it finds.
    """

    def __init__(self, segments: Iterable[Segment] = ()) -> None:
        self._segments: list[Segment] = list(segments)
        self._checked: dict[str, CheckedSheets] = {}

    @property
    def segments(self) -> tuple[Segment, ...]:
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
    """A rating cell as a record holds it: CSV text digits as a number, empty as ``None``."""
    if mode == "text":
        if v == "":
            return None
        return int(v) if INT_RE.fullmatch(v) and len(v) <= MAX_DIGITS else v
    return v


def read_sheets(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Any,
    *,
    format: SheetFormat | None = None,
    instrument: Instrument | str | None = None,
    dictionary: str | os.PathLike[str] | None = None,
    include_incomplete: bool = False,
) -> SheetBatch:
    """Read rating sheets from files, by extension unless ``format`` is given, or from a
    data frame (pandas, Polars, pyarrow: see :func:`as_batch`).

    ``.json`` (one sheet or a list), ``.jsonl``/``.ndjson`` (one sheet per line), ``.csv``
    (wide or long, told apart by the header: a long file has ``item`` and ``value``
    columns) and ``.xlsx`` (wide). Formats of other systems are read only when named:
    ``format="redcap"``, a REDCap raw record export (CSV or flat JSON; see
    :mod:`~fidelity.ratings.readers.redcap`), and ``format="fhir"``, a Bundle or NDJSON of
    FHIR QuestionnaireResponses. For ``redcap``, ``instrument`` (default: the one the export
    names) and ``dictionary`` (the project's data dictionary, default: the instrument's own)
    give the mapping of variables to items, and ``include_incomplete`` also reads forms not
    marked Complete (otherwise each is a warning, FR702, and left out).

    Never raises for a bad file: the problem (with file and row or line) is kept in the
    batch's ``problems`` and reported by :func:`~fidelity.ratings.checks.validate`. A REDCap
    or FHIR file that cannot be mapped to sheets (a label export, an edited dictionary,
    another resource type) raises :class:`~fidelity.errors.InteropError`, naming the file,
    record, row and variable; an unknown ``format``, or REDCap options with another format,
    is a ``ValueError``.
    """
    if format is not None and format not in _READERS and format != "redcap":
        known = ", ".join(repr(k) for k in [*_READERS, "redcap"])
        raise ValueError(f"unknown sheet format {format!r}; use one of {known} or None")
    if format != "redcap" and (
        instrument is not None or dictionary is not None or include_incomplete
    ):
        raise ValueError("instrument, dictionary and include_incomplete go with format='redcap'")
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    frame = _frame_segment(sources)
    if frame is not None:
        if format is not None:
            raise ValueError(f"format={format!r} names a file format; a data frame has none")
        return SheetBatch([frame])
    if format == "redcap":
        redcap = partial(
            read_redcap,
            instrument=instrument,
            dictionary=dictionary,
            include_incomplete=include_incomplete,
        )
        return SheetBatch(_read_file(Path(s), redcap) for s in sources)
    return SheetBatch(_read_file(Path(s), _reader(Path(s), format)) for s in sources)


def _reader(path: Path, fmt: str | None) -> Callable[[str, bytes], Segment] | None:
    """The reader of ``fmt``, or of the file's extension (``None`` when it has none)."""
    kind = fmt or _FORMATS.get(path.suffix.lower())
    return _READERS[kind] if kind is not None else None


def _read_file(path: Path, reader: Callable[[str, bytes], Segment] | None) -> Segment:
    """One file through ``reader``."""
    name = str(path)
    if reader is None:
        return file_problem(name, "FR003", suffix=path.suffix or "(none)")
    data = read_input(path)
    if isinstance(data, Segment):
        return data
    return reader(name, data)


def as_batch(sheets: Any) -> SheetBatch:
    """Turn any accepted input into a :class:`SheetBatch`.

    Accepted: a :class:`SheetBatch`; a path (``str`` or ``os.PathLike``) or a list of paths;
    one sheet (``dict`` or :class:`RatingSheet`) or a list of them; a data frame in the wide
    or long layout: pandas, Polars, a pyarrow Table, or any other eager frame that narwhals
    knows. A frame that is not pandas is converted to pandas first, so every library's frame
    gets exactly the checks and messages of the DataFrame reader.
    """
    if isinstance(sheets, SheetBatch):
        return sheets
    if isinstance(sheets, str | os.PathLike):
        return read_sheets(sheets)
    if isinstance(sheets, dict | RatingSheet):
        return SheetBatch([records_segment(None, [sheets], "single", [0])])
    if isinstance(sheets, list | tuple):
        if sheets and all(isinstance(s, str | os.PathLike) for s in sheets):
            return read_sheets(sheets)
        return SheetBatch([records_segment(None, list(sheets), "index", list(range(len(sheets))))])
    frame = _frame_segment(sheets)
    if frame is not None:
        return SheetBatch([frame])
    raise TypeError(
        "rating sheets must be a path, a list of paths, a dict or RatingSheet, a list of them, "
        "a data frame (pandas, Polars, pyarrow Table) or a SheetBatch, not "
        f"{_type_name(sheets)}"
    )


def _type_name(obj: Any) -> str:
    kind = type(obj)
    module = kind.__module__.split(".")[0]
    return kind.__name__ if module == "builtins" else f"{module}.{kind.__name__}"


def _frame_segment(sheets: Any) -> Segment | None:
    """The sheets of a data frame, or ``None`` when ``sheets`` is no frame. pandas is read as
    it is; any other eager frame goes through narwhals to pandas. A lazy frame (Polars
    ``LazyFrame``, DuckDB relation) is a ``TypeError``: collect it first."""
    import pandas as pd

    if isinstance(sheets, pd.DataFrame):
        return dataframe_segment(sheets)
    if isinstance(sheets, str | bytes | os.PathLike | dict | list | tuple | RatingSheet):
        return None
    import narwhals as nw

    frame = nw.from_native(sheets, pass_through=True)
    if isinstance(frame, nw.LazyFrame):
        raise TypeError(
            f"rating sheets given as a lazy frame ({_type_name(sheets)}): collect it into a "
            "data frame first (for Polars, frame.collect())"
        )
    if isinstance(frame, nw.DataFrame):
        return dataframe_segment(frame.to_pandas())
    return None
