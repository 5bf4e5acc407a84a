"""The long layout: one rating per row (``assessment``, ``rater``, sheet fields, ``item``,
``value`` and optionally ``comment``), grouped into sheets keyed by (assessment, rater).

Used by the CSV and XLSX readers and for DataFrames. Each item's cell keeps its own row, so
a problem with a rating points to the row that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import plain_list
from fidelity.ratings.problems import Problem, SheetRef, jsonable, make_problem
from fidelity.ratings.readers._common import json_cells, too_many_items
from fidelity.ratings.segment import Segment
from fidelity.ratings.sheet import ABSENT, FIELDS, Mode
from fidelity.ratings.similar import field_like

__all__ = ["long_segment"]

_ALLOWED = frozenset((*FIELDS, "item", "value", "comment", "migrations"))


@dataclass
class _Rows:
    """The long rows that name a sheet and an item, grouped into sheets."""

    name: str | None
    locator: Literal["row", "index"]
    keep: NDArray[np.intp]
    """Indexes of the rows kept (those with an assessment, a rater and an item)."""
    assessment: NDArray[Any]
    rater: NDArray[Any]
    positions: NDArray[np.int64]
    """Row number (or index) of each kept row."""
    sheet_of: NDArray[np.intp]
    """The sheet of each kept row, numbered in order of first appearance."""
    first: NDArray[np.int64]
    """The first kept row of each sheet."""

    @property
    def n_sheets(self) -> int:
        return int(self.first.size)

    @property
    def sheet_positions(self) -> NDArray[np.int64]:
        """Row number (or index) of each sheet's first row."""
        if not self.n_sheets:
            return np.zeros(0, dtype=np.int64)
        return self.positions[self.first].astype(np.int64)

    def ref(self, k: int) -> SheetRef:
        """Where kept row ``k`` is, with its sheet's assessment and rater."""
        return _long_ref(
            self.name, self.locator, int(self.positions[k]), self.assessment[k], self.rater[k]
        )


def long_segment(
    name: str | None,
    header: Sequence[str],
    columns: list[NDArray[Any]],
    positions: NDArray[np.int64],
    mode: Mode,
    locator: Literal["row", "index"] | None = None,
) -> Segment:
    """Group long rows (one rating per row) into sheets keyed by (assessment, rater)."""
    loc = locator or ("row" if mode == "text" else "index")
    cols = dict(zip(header, columns, strict=True))
    problems = _unknown_columns(name, header, loc)
    extra = [h for h in header if h not in _ALLOWED and _mistyped(h) is None]
    rows, items = _group(name, cols, positions, loc, problems)
    refused = too_many_items(name, len(set(items.tolist())))
    if refused is not None:
        return refused
    seg = Segment(
        name,
        mode,
        loc,
        rows.sheet_positions,
        {},
        {},
        {},
        False,
        cell_positions={},
        problems=problems,
    )
    _sheet_fields(seg, cols, rows)
    _cells(seg, cols, rows, items)
    if "migrations" in cols and rows.n_sheets:  # the provenance, from each sheet's first row
        seg.fields["migrations"] = json_cells(cols["migrations"][rows.keep][rows.first])
    for h in extra:
        _extra_column(seg, rows, h, cols[h][rows.keep])
    return seg


def _extra_column(seg: Segment, rows: _Rows, column: str, src: NDArray[Any]) -> None:
    """An extra column per sheet: the value of the sheet's first row that has one (a value
    written once per sheet serves), and, for a kept column, the rows with another value."""
    norm = np.array([_key_text(v) for v in src], dtype=object)
    given = np.flatnonzero(norm != "")
    first = rows.first.copy()
    first[rows.sheet_of[given[::-1]]] = given[::-1]  # the first row with a value wins
    out = np.empty(rows.n_sheets, dtype=object)
    out[:] = src[first] if rows.n_sheets else []
    seg.others[column] = out
    varies = _disagreements(seg, rows, column, src, out, first, skip_blank=True)
    if varies:
        seg.varies[column] = varies


def _mistyped(column: str) -> str | None:
    """The column of a long table that ``column`` looks like a mistyping of, or ``None``."""
    return field_like(column, ("item", "value", "comment"))


def _unknown_columns(
    name: str | None, header: Sequence[str], loc: Literal["row", "index"]
) -> list[Problem]:
    """FR020 for columns that look like a mistyped sheet field or ``item``, ``value``,
    ``comment``; other extra columns are metadata (kept when declared, else one warning)."""
    unknown = [h for h in header if h not in _ALLOWED and _mistyped(h) is not None]
    if not unknown:
        return []
    hints = ", ".join(f"{h!r} (did you mean {_mistyped(h)!r}?)" for h in unknown)
    return [
        make_problem(
            "FR020",
            message=f"wrong header for a long table: unknown column(s) "
            f"{hints}; allowed: {', '.join(sorted(_ALLOWED))}",
            sheet=SheetRef(name, row=1 if loc == "row" else None),
        )
    ]


def _group(
    name: str | None,
    cols: dict[str, NDArray[Any]],
    positions: NDArray[np.int64],
    loc: Literal["row", "index"],
    problems: list[Problem],
) -> tuple[_Rows, NDArray[Any]]:
    """Group the rows into sheets (one per assessment, round and rater); FR201 for rows
    without an assessment, rater or item.
    Returns the grouping and the item id of each kept row."""
    import pandas as pd

    key_a = np.array([_key_text(v) for v in cols["assessment"]], dtype=object)
    key_r = np.array([_key_text(v) for v in cols["rater"]], dtype=object)
    item_col = np.array([_key_text(v) for v in cols["item"]], dtype=object)
    keyless = (key_a == "") | (key_r == "") | (item_col == "")
    named = (("assessment", key_a), ("rater", key_r), ("item", item_col))
    for i in np.flatnonzero(keyless):
        what = [w for w, c in named if c[i] == ""]
        problems.append(
            make_problem(
                "FR201",
                message=f"long-table row without {plain_list(what, 'and')}",
                sheet=_long_ref(name, loc, int(positions[i])),
                path=what[0],
            )
        )
    ok = np.flatnonzero(~keyless)
    sheet_of = np.zeros(0, dtype=np.intp)
    if ok.size:  # pandas cannot factorize an empty MultiIndex
        # one sheet per (assessment, round, rater): a round makes a different assessment
        rounds = cols.get("round")
        key_k = np.array(
            [_key_text(v) for v in rounds] if rounds is not None else [""] * key_a.size,
            dtype=object,
        )
        frame = pd.DataFrame({"a": key_a[ok], "k": key_k[ok], "r": key_r[ok]})
        sheet_of = np.asarray(pd.factorize(pd.MultiIndex.from_frame(frame))[0], dtype=np.intp)
    n_sheets = int(sheet_of.max()) + 1 if ok.size else 0
    first = np.full(n_sheets, -1, dtype=np.int64)
    order = np.arange(ok.size)[::-1]  # the first row of each sheet wins
    first[sheet_of[order]] = order
    rows = _Rows(name, loc, ok, key_a[ok], key_r[ok], positions[ok], sheet_of, first)
    return rows, item_col[ok]


def _sheet_fields(seg: Segment, cols: dict[str, NDArray[Any]], rows: _Rows) -> None:
    """Each sheet's fields from its first row; FR304 where a later row disagrees."""
    n_sheets = rows.n_sheets
    for f in FIELDS:
        if f not in cols:
            continue
        src = cols[f][rows.keep]
        out = np.empty(n_sheets, dtype=object)
        out[:] = src[rows.first] if n_sheets else []
        seg.fields[f] = out
        if f not in ("assessment", "rater"):
            found = _disagreements(seg, rows, f, src, out, rows.first)
            seg.problems.extend(p for _, p in found)


def _disagreements(
    seg: Segment,
    rows: _Rows,
    column: str,
    src: NDArray[Any],
    taken: NDArray[Any],
    first: NDArray[np.int64],
    *,
    skip_blank: bool = False,
) -> list[tuple[int, Problem]]:
    """FR304 for every row whose ``column`` differs from the value ``taken`` for its sheet,
    from row ``first`` of the sheet (blank cells too, unless ``skip_blank``), with the sheet
    it belongs to."""
    if not rows.n_sheets:
        return []
    norm = np.array([_key_text(v) for v in src], dtype=object)
    differs = norm != norm[first[rows.sheet_of]]
    if skip_blank:
        differs &= norm != ""
    found = []
    for k in np.flatnonzero(differs).tolist():
        s = int(rows.sheet_of[k])
        at = int(rows.positions[first[s]])
        fields = {"field": column, "value": src[k], "first": taken[s], "row": at}
        problem = make_problem(
            "FR304", fields=fields, sheet=rows.ref(k), path=column, value=jsonable(src[k])
        )
        found.append((s, problem))
    return found


def _cells(seg: Segment, cols: dict[str, NDArray[Any]], rows: _Rows, items: NDArray[Any]) -> None:
    """One rating column (and comment column) per item, with the row of each cell; FR108 for
    an item given twice for one sheet (the first row counts)."""
    import pandas as pd

    values = cols["value"][rows.keep]
    comments = cols["comment"][rows.keep] if "comment" in cols else None
    dup = pd.DataFrame({"s": rows.sheet_of, "i": items}).duplicated(keep="first").to_numpy()
    for k in np.flatnonzero(dup):
        seg.problems.append(
            make_problem(
                "FR108",
                fields={"item": items[k]},
                sheet=rows.ref(int(k)),
                path=str(items[k]),
                item=str(items[k]),
                value=jsonable(values[k]),
            )
        )
    keep = np.flatnonzero(~dup)
    n_sheets = rows.n_sheets
    assert seg.cell_positions is not None
    # The kept rows grouped by item (in order of first appearance), one pass for all items.
    codes, uniques = pd.factorize(items[keep])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    for u, item in enumerate(uniques.tolist()):
        sel = keep[order[bounds[u] : bounds[u + 1]]]
        at = rows.sheet_of[sel]
        seg.ratings[item] = _scatter(n_sheets, at, values[sel])
        cell_pos = np.array(seg.positions, dtype=np.int64)
        cell_pos[at] = rows.positions[sel]
        seg.cell_positions[item] = cell_pos
        if comments is not None:
            seg.comments[item] = _scatter(n_sheets, at, comments[sel])


def _scatter(n: int, at: NDArray[np.intp], values: NDArray[Any]) -> NDArray[Any]:
    """A column of ``n`` cells, ``ABSENT`` except ``values`` at ``at``."""
    col = np.empty(n, dtype=object)
    col[:] = ABSENT
    col[at] = values
    return col


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
