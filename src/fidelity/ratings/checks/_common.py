"""What the checks share: the state of checking one segment, the order problems are reported
in, and column helpers (factorizing a column, blank cells, a cell's own row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.compiled import CompiledInstrument
from fidelity.ratings.problems import Problem, ProblemBlock, ProblemList, jsonable
from fidelity.ratings.segment import Segment
from fidelity.ratings.sheet import ABSENT

__all__ = [
    "TABLE",
    "Factorized",
    "Found",
    "Order",
    "SegmentCheck",
    "cell_pos",
    "cell_value",
    "codes_of",
    "factorize",
    "factorize_any",
    "factorize_cells",
    "field_codes",
    "is_blank",
    "order_problems",
]

Found = list[tuple[int, int, Problem]]
"""Problems with their sort key: (sheet number in the batch, order within the sheet)."""

Factorized = dict[int, tuple[NDArray[Any], tuple[NDArray[np.intp], list[Any]]]]
""":func:`factorize` results kept for later checks, by ``id`` of the column (which is kept
with them, so that a reused id is never mistaken for the same column)."""


class Order(IntEnum):
    """Where a problem sorts among the problems of its sheet: these sheet-level problems
    first, in this order, then the problems of the sheet's items by item position (0, 1, …).
    Problems with a whole input (its reading, its header) sort before its first sheet."""

    PIN = -12
    IDENTITY = -11
    FIELD = -10
    INFORMANT = -9
    EXTRA_FIELD = -8
    UNKNOWN_ITEM = -7
    COMMENT = -6
    DUPLICATE = -5
    NEAR_DUPLICATE = -4
    CONSENSUS = -3
    DISAGREES = -2
    INPUT = -1


TABLE = -1
"""The local sheet number of a problem with a whole input (a header column, a table)."""


@dataclass
class SegmentCheck:
    """The state of checking one segment: the compiled instrument, where the segment starts
    in the batch, the problems found so far, and the arrays being filled for scoring."""

    c: CompiledInstrument
    seg: Segment
    offset: int
    found: Found
    values: NDArray[np.float64]
    state: NDArray[np.int8]
    meta: dict[str, NDArray[Any]] = field(default_factory=dict)
    """The checked sheet fields, one array each (``None`` where empty or invalid)."""
    pins: NDArray[Any] | None = None
    """The ``instrument`` each sheet names (``None`` where empty)."""
    foreign: NDArray[np.bool_] | None = None
    """Sheets pinned to another instrument or version: reported once (FR204), their ratings
    and informant are not judged against this version (that would only repeat the cause)."""
    inf_index: NDArray[np.intp] | None = None
    """The row of :attr:`CompiledInstrument.asked` for each sheet's informant."""

    misspelt: NDArray[np.bool_] | None = None
    """Sheets x items: the item is given under a misspelt id (reported once, FR104), so its
    cell is not also reported as missing (FR105, FR107)."""
    keep: frozenset[str] = frozenset()
    """The declared metadata columns (see :mod:`fidelity.ratings.checks.extras`)."""
    kept: dict[str, NDArray[Any]] = field(default_factory=dict)
    """The declared metadata columns found in this input, one value per sheet."""
    undeclared: dict[str, int] = field(default_factory=dict)
    """Extra columns or fields neither declared nor like an item: name → cells filled."""
    blocks: list[tuple[int, int, ProblemBlock]] = field(default_factory=list)
    """The problem blocks found: ``(offset, len(found) when added, block)``."""
    factorized: Factorized = field(default_factory=dict)
    """Columns of :attr:`meta` already factorized, for the relation checks to reuse."""

    def add(self, i: int, order: int, problem: Problem) -> None:
        """Report ``problem`` about local sheet ``i`` (:data:`TABLE`: the whole input)."""
        self.found.append((self.offset + i, order, problem))

    def add_block(self, block: ProblemBlock) -> None:
        """Report a block of problems; problem ``k`` sorts as if added now with the item
        index ``block.cols[k]`` as its order (see :func:`order_problems`)."""
        self.blocks.append((self.offset, len(self.found), block))


def is_blank(v: Any) -> bool:
    """Whether a cell is empty: absent, ``None``, empty text or NaN."""
    return v is None or v is ABSENT or v == "" or (isinstance(v, float) and v != v)


def factorize(col: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    """Codes and uniques of an object column whose values are str or None (a categorical
    column from the CSV reader keeps its own codes)."""
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


def codes_of(ctx: SegmentCheck, col: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    """:func:`factorize` of a checked column, computed once and kept in
    :attr:`SegmentCheck.factorized` for the later checks."""
    known = ctx.factorized.get(id(col))
    if known is not None and known[0] is col:
        return known[1]
    found = factorize(col)
    ctx.factorized[id(col)] = (col, found)
    return found


def field_codes(seg: Segment, name: str) -> tuple[NDArray[np.intp], list[Any]] | None:
    """The codes and distinct values of the sheet field ``name`` as the reader numbered
    them (see :attr:`Segment.codes`), or ``None``."""
    known = seg.codes.get(name)
    if known is None or seg.fields.get(name) is not known[0]:
        return None
    return known[1].astype(np.intp), known[2]


def factorize_any(col: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
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


def factorize_cells(seg: Segment, col: NDArray[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    """Codes and uniques of a column as its segment's mode needs: text cells by value, typed
    cells keeping types apart."""
    return factorize(col) if seg.mode == "text" else factorize_any(col)


def cell_pos(seg: Segment, item_id: str, i: int) -> int | None:
    """The row of sheet ``i``'s cell for ``item_id`` when it has its own (long layout)."""
    if seg.cell_positions is not None and item_id in seg.cell_positions:
        return int(seg.cell_positions[item_id][i])
    return None


def cell_value(seg: Segment, item_id: str, i: int) -> Any:
    """Sheet ``i``'s cell for ``item_id`` as a problem keeps it."""
    col = seg.ratings.get(item_id)
    return None if col is None or col[i] is ABSENT else jsonable(col[i])


def order_problems(found: Found, blocks: list[tuple[int, int, ProblemBlock]]) -> ProblemList:
    """The problems in order: by sheet, then :class:`Order` (or item index), then the order
    they were found in; block problems stay in their blocks (see :class:`ProblemList`)."""
    if not blocks:
        found.sort(key=lambda f: (f[0], f[1]))
        return ProblemList(p for _, _, p in found)
    n_found = len(found)
    sizes = [len(b) for _, _, b in blocks]
    sheet = np.concatenate(
        [np.fromiter((f[0] for f in found), np.int64, n_found)]
        + [b.rows.astype(np.int64) + off for off, _, b in blocks]
    )
    order = np.concatenate(
        [np.fromiter((f[1] for f in found), np.int64, n_found)]
        + [b.cols.astype(np.int64) for _, _, b in blocks]
    )
    # A block sorts between the problems found before it and those found after it.
    seq = np.concatenate(
        [np.arange(n_found, dtype=np.int64) * 2]
        + [
            np.full(size, 2 * at - 1, dtype=np.int64)
            for (_, at, _), size in zip(blocks, sizes, strict=True)
        ]
    )
    within = np.concatenate([np.zeros(n_found, np.int64)] + [np.arange(s) for s in sizes])
    src = np.concatenate(
        [np.full(n_found, -1, np.int32)]
        + [np.full(size, b, np.int32) for b, size in enumerate(sizes)]
    )
    perm = np.lexsort((within, seq, order, sheet))
    pos = np.concatenate([np.arange(n_found, dtype=np.int64)] + [np.arange(s) for s in sizes])
    return ProblemList._of(
        [p for _, _, p in found], [b for _, _, b in blocks], src[perm], pos[perm]
    )
