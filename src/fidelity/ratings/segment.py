"""A segment: the sheets of one input (a file or one in-memory object), column by column.

Every reader produces one :class:`Segment`; a :class:`~fidelity.ratings.batch.SheetBatch` is
a list of them. Cells are kept as read (text for CSV, typed cells for XLSX and DataFrames,
JSON values), so that validation can report exactly what was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.problems import Problem, SheetRef, make_problem
from fidelity.ratings.sheet import ABSENT, Mode

__all__ = ["Locator", "Segment", "empty_segment", "file_problem", "ident"]

Locator = Literal["row", "line", "index", "single"]
"""How a sheet's position is counted: spreadsheet row, JSON Lines line, list index, or the
one sheet of a JSON object file."""

_PLAIN_KEY = re.compile(r"^[a-z_]+$")


@dataclass
class Segment:
    """The sheets of one input (a file or one in-memory object), column by column."""

    source: str | None
    mode: Mode
    locator: Locator
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
    unread: list[int] = field(default_factory=list)
    """Sheets whose ``ratings`` could not be read (not an object, FR202): their items are not
    reported again as unanswered."""
    others: dict[str, NDArray[Any]] = field(default_factory=dict)
    """Fields of JSON sheets that are not part of a rating sheet (``notes``, ``arm``), and
    extra columns of a long table (per sheet, from its first row), ``ABSENT`` where a sheet
    lacks one: carried to the outputs when declared (``keep``), named in a warning otherwise.
    A wide table's extra columns are among :attr:`ratings` until the instrument tells them
    apart from items."""
    varies: dict[str, list[tuple[int, Problem]]] = field(default_factory=dict)
    """Long table: for an extra column, every row whose value differs from its sheet's first
    row, as (local sheet, FR304); reported only when the column is declared, since a kept
    column carries one value per sheet."""
    columns: dict[str, str] = field(default_factory=dict)
    """The column of the source that holds a field, rating or comment, where it is not named
    after it (a REDCap variable): ``"ratings.t-open"`` → ``"t_open"``."""
    records: list[str] | None = None
    """The record id of each sheet, when the source has its own (a REDCap export)."""
    codes: dict[str, tuple[NDArray[Any], NDArray[np.int32], list[Any]]] = field(
        default_factory=dict
    )
    """Text fields whose distinct values the reader numbered already: name → (the column,
    the code of each cell, the distinct values). Valid while the field is that very array."""

    @property
    def n(self) -> int:
        """The number of sheets."""
        return int(self.positions.shape[0])

    def ref(self, i: int, pos: int | None = None) -> SheetRef:
        """The :class:`SheetRef` of local sheet ``i`` (optionally at another row)."""
        p = int(self.positions[i]) if pos is None else pos
        a = ident(self.fields.get("assessment"), i)
        r = ident(self.fields.get("rater"), i)
        loc = self.locator
        if loc == "row":
            rec = self.records[i] if self.records is not None else None
            return SheetRef(self.source, p, None, None, a, r, rec)
        if loc == "line":
            return SheetRef(self.source, None, p, None, a, r)
        if loc == "index":
            return SheetRef(self.source, None, None, p, a, r)
        return SheetRef(self.source, None, None, None, a, r)

    def refs(self, rows: NDArray[np.intp]) -> list[SheetRef]:
        """:meth:`ref` of each local sheet in ``rows``, built together."""
        a, r = self.fields.get("assessment"), self.fields.get("rater")
        plain = all(c is None or (type(c) is np.ndarray and c.dtype == object) for c in (a, r))
        if self.locator != "row" or not plain:
            return [self.ref(i) for i in rows.tolist()]
        pos = self.positions[rows].tolist()
        recs = self.records
        rec = [None] * len(pos) if recs is None else [recs[i] for i in rows.tolist()]
        src, who = self.source, zip(_idents(a, rows), _idents(r, rows), rec, strict=True)
        return [
            SheetRef(src, p, None, None, x, y, z) for p, (x, y, z) in zip(pos, who, strict=True)
        ]

    def take(self, rows: NDArray[np.intp]) -> Segment:
        """The sheets ``rows`` of this input as a segment of their own (same source, layout
        and positions; reading problems stay with the whole input)."""
        idx = np.asarray(rows, dtype=np.intp)
        where = {int(i): k for k, i in enumerate(idx.tolist())}
        cells = self.cell_positions
        return Segment(
            self.source,
            self.mode,
            self.locator,
            self.positions[idx],
            {k: v[idx] for k, v in self.fields.items()},
            {k: v[idx] for k, v in self.ratings.items()},
            {k: v[idx] for k, v in self.comments.items()},
            self.tabular,
            None if cells is None else {k: v[idx] for k, v in cells.items()},
            [(where[i], key) for i, key in self.extra if i in where],
            unread=[where[i] for i in self.unread if i in where],
            others={k: v[idx] for k, v in self.others.items()},
            varies={k: [(where[i], p) for i, p in v if i in where] for k, v in self.varies.items()},
            columns=dict(self.columns),
            records=None if self.records is None else [self.records[i] for i in idx.tolist()],
        )

    def header_ref(self) -> SheetRef:
        """Where a problem with the header (or a whole table) is: row 1 of a file."""
        return SheetRef(self.source, row=1) if self.locator == "row" else SheetRef(self.source)

    def path(self, i: int, *parts: str) -> str:
        """JSON path (records) or column name (tabular) of a value in local sheet ``i``."""
        if self.tabular or self.locator == "row":
            return self.columns.get(".".join(parts), parts[-1])
        base = f"$[{int(self.positions[i])}]" if self.locator == "index" else "$"
        out = base
        for k, part in enumerate(parts):
            out += f".{part}" if k == 0 and _PLAIN_KEY.match(part) else f"['{part}']"
        return out


def ident(col: NDArray[Any] | None, i: int) -> str | None:
    """The assessment or rater of sheet ``i`` as text, for a :class:`SheetRef`."""
    return None if col is None else _ident(col[i])


def _idents(col: NDArray[Any] | None, rows: NDArray[np.intp]) -> list[str | None]:
    """:func:`ident` of each sheet in ``rows`` (``col`` an object array or ``None``)."""
    if col is None:
        return [None] * rows.size
    return [(v or None) if type(v) is str else _ident(v) for v in col[rows].tolist()]


def _ident(v: Any) -> str | None:
    if type(v) is str:
        return v or None
    if v is None or v is ABSENT or (isinstance(v, float) and v != v):
        return None
    return repr(v)


def empty_segment(source: str | None, problem: Problem | None = None) -> Segment:
    """A segment without sheets, holding the problem that stopped the reading."""
    return Segment(
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


def file_problem(path: str, code: str, message: str | None = None, **fields: object) -> Segment:
    """An empty segment for a file that cannot be read, with the problem that says why (the
    message given, or the code's template filled with ``fields``)."""
    return empty_segment(
        path,
        make_problem(code, message=message, fields=fields or None, sheet=SheetRef(path)),
    )
