"""Running the checks: :func:`validate` and :func:`check_sheets` take a batch through the
steps of every input (:data:`SEGMENT_STEPS`), then the relations between its sheets, and
collect the problems in the order of the inputs, the sheets and the items."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity.instrument import Instrument
from fidelity.instrument.catalog import as_instrument
from fidelity.ratings.batch import SheetBatch, as_batch
from fidelity.ratings.checks._common import (
    TABLE,
    Factorized,
    Found,
    Order,
    SegmentCheck,
    order_problems,
)
from fidelity.ratings.checks.extras import check_extra_fields, check_undeclared, declared
from fidelity.ratings.checks.fields import (
    check_consensus,
    check_date,
    check_identity,
    check_informant,
    check_migrations,
    check_pin,
    check_pin_field,
    check_site,
)
from fidelity.ratings.checks.ids import check_id_form
from fidelity.ratings.checks.relations import check_relations
from fidelity.ratings.checks.values import (
    check_asked,
    check_comments,
    check_missing_columns,
    check_ratings,
    check_unanswered,
)
from fidelity.ratings.compiled import CompiledInstrument, compile_instrument
from fidelity.ratings.problems import Problem, ProblemBlock, ProblemList, SheetRef, make_problem
from fidelity.ratings.segment import Segment
from fidelity.ratings.sheet import MISSING

__all__ = ["SEGMENT_STEPS", "CheckedSheets", "check_sheets", "validate"]

_META = ("assessment", "rater", "site", "informant", "date", "round", "source")
"""The checked per-sheet columns besides ``consensus``."""


@dataclass
class CheckedSheets:
    """The outcome of checking a batch against one instrument: problems and the arrays that
    scoring uses (sheets x items ``values`` and answer ``state``, and the checked fields)."""

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
    round: NDArray[Any]
    """The audit round of each sheet (``None`` when empty)."""
    metadata: dict[str, NDArray[Any]] = field(default_factory=dict)
    """The declared metadata columns (``keep``) that the sheets have, one value per sheet
    (``None`` where a sheet has none), in order of first appearance."""


SEGMENT_STEPS: tuple[Callable[[SegmentCheck], None], ...] = (
    check_identity,
    check_site,
    check_id_form,
    check_pin_field,
    check_date,
    check_consensus,
    check_informant,
    check_pin,
    check_extra_fields,
    check_migrations,
    check_ratings,
    check_missing_columns,
    check_comments,
    check_asked,
    check_unanswered,
    check_undeclared,
)
"""The checks of one input, in order (later steps use what earlier ones filled in: the
informant of each sheet, the state of each cell)."""


def validate(
    inst: Instrument | str, sheets: Any, *, keep: Iterable[str] | str | None = None
) -> ProblemList:
    """Check rating sheets against ``inst`` and return every problem found.

    ``inst`` is an :class:`~fidelity.instrument.Instrument` or a spec that
    :func:`~fidelity.catalog.load_instrument` loads (``"enrich-peer-support@1.1.0"``).
    ``sheets`` is anything :func:`~fidelity.ratings.batch.as_batch` accepts. The result is a
    list (empty when all is well) of :class:`~fidelity.ratings.problems.Problem`, ordered by
    input, sheet and item; ``.errors``/``.warnings`` split it and ``.ok`` says whether the
    sheets can be scored. Checks: reading problems; fields (assessment and rater present,
    types, date format, consensus flag, known informant, instrument pin); every rating against
    its item (on the scale, right type, NA only where allowed, asked of this informant);
    unknown items; required items without an answer (warnings); duplicate (assessment, round,
    rater) sheets; more than one consensus sheet for an assessment; sheets of one assessment naming
    different sites or informants.

    ``keep`` declares metadata columns (``["notes", "arm"]`` or ``"notes,arm"``) that are
    carried to the outputs; other extra columns are named in one warning, and one that looks
    like a mistyped item or field is an error (:mod:`fidelity.ratings.checks.extras`).
    """
    return check_sheets(inst, sheets, keep=keep).problems


def check_sheets(
    inst: Instrument | str, sheets: Any, *, keep: Iterable[str] | str | None = None
) -> CheckedSheets:
    """Validate and keep the arrays for scoring (cached on the batch per instrument and
    ``keep``)."""
    inst = as_instrument(inst)
    compiled = compile_instrument(inst)
    batch = as_batch(sheets)
    kept = declared(keep)
    key = inst.content_hash + ("|" + ",".join(sorted(kept)) if kept else "")
    cached = batch._checked.get(key)
    if cached is not None:
        return cached
    found: Found = []
    blocks: list[tuple[int, int, ProblemBlock]] = []
    parts = []
    offset = 0
    factorized: Factorized = {}
    for seg in batch.segments:
        found.extend((offset + TABLE, Order.INPUT, p) for p in seg.problems)
        parts.append(_check_segment(compiled, seg, offset, found, blocks, kept, factorized))
        offset += seg.n
    metadata = _metadata([p[2].pop("kept") for p in parts], [s.n for s in batch.segments])
    values_, state, meta = _assemble(parts, len(compiled.item_ids))
    check_relations(batch, meta, found, factorized)
    problems = order_problems(found, blocks)
    if offset == 0 and not problems:
        problems.extend(_no_sheets(batch))
    checked = CheckedSheets(
        problems,
        values_,
        state,
        meta["assessment"],
        meta["rater"],
        meta["site"],
        meta["informant"],
        meta["date"],
        meta["consensus"].astype(bool),
        meta["source"],
        meta["round"],
        metadata,
    )
    batch._checked[key] = checked
    return checked


def _metadata(parts: list[Any], sizes: list[int]) -> dict[str, NDArray[Any]]:
    """The kept columns of every input, one after the other (``None`` for an input without
    one)."""
    names = list(dict.fromkeys(k for part in parts for k in part))
    out: dict[str, NDArray[Any]] = {}
    for name in names:
        cols = []
        for part, n in zip(parts, sizes, strict=True):
            col = part.get(name)
            if col is None:
                col = np.empty(n, dtype=object)
                col[:] = None
            cols.append(col)
        out[name] = np.concatenate(cols) if cols else np.zeros(0, dtype=object)
    return out


_Part = tuple[NDArray[np.float64], NDArray[np.int8], dict[str, NDArray[Any]]]


def _check_segment(
    c: CompiledInstrument,
    seg: Segment,
    offset: int,
    found: Found,
    blocks: list[tuple[int, int, ProblemBlock]],
    keep: frozenset[str] = frozenset(),
    factorized: Factorized | None = None,
) -> _Part:
    """Run :data:`SEGMENT_STEPS` on one input; its values, states and checked fields (and,
    under ``kept``, its declared metadata columns)."""
    m = len(c.item_ids)
    ctx = SegmentCheck(
        c,
        seg,
        offset,
        found,
        # item-major: each item's column is filled in one contiguous stretch
        values=np.full((seg.n, m), np.nan, order="F"),
        state=np.full((seg.n, m), MISSING, dtype=np.int8, order="F"),
        blocks=blocks,
        keep=keep,
        factorized={} if factorized is None else factorized,
    )
    for step in SEGMENT_STEPS:
        step(ctx)
    ctx.meta["source"] = _where_column(seg)
    return ctx.values, ctx.state, {**ctx.meta, "kept": ctx.kept}  # type: ignore[dict-item]


def _assemble(
    parts: list[_Part], m: int
) -> tuple[NDArray[np.float64], NDArray[np.int8], dict[str, NDArray[Any]]]:
    """The arrays of all inputs, one after the other."""
    n = sum(p[0].shape[0] for p in parts)
    if not parts:
        meta = {k: np.zeros(0, dtype=object) for k in _META}
        meta["consensus"] = np.zeros(0, dtype=bool)
        return np.zeros((0, m)), np.zeros((0, m), dtype=np.int8), meta
    if len(parts) == 1:  # one input: its arrays as they are, not a copy
        return parts[0][0], parts[0][1], parts[0][2]
    values_ = np.concatenate([p[0] for p in parts]) if n else np.zeros((0, m))
    state = np.concatenate([p[1] for p in parts]) if n else np.zeros((0, m), np.int8)
    meta = {k: np.concatenate([p[2][k] for p in parts]) for k in parts[0][2]}
    return values_, state, meta


def _no_sheets(batch: SheetBatch) -> list[Problem]:
    """FR002 when nothing went wrong yet there is no sheet at all: once per file with a
    header but no rows, or once for an empty input."""
    sources = [seg.source for seg in batch.segments if seg.source]
    if not sources:
        return [make_problem("FR002", message="no rating sheets were given")]
    return [
        make_problem(
            "FR002",
            message="the file holds a header but no rating sheets",
            sheet=SheetRef(source, row=1),
        )
        for source in sources
    ]


def _where_column(seg: Segment) -> NDArray[Any]:
    """``SheetRef.where()`` of every sheet of a segment, built without a SheetRef each."""
    base = seg.source or "<sheets>"
    pos = seg.positions.tolist()
    out = np.empty(len(pos), dtype=object)
    if seg.locator == "row" and seg.records is not None:
        recs = seg.records
        out[:] = [f"{base} row {p}, record {r}" for p, r in zip(pos, recs, strict=True)]
    elif seg.locator == "row":
        out[:] = [f"{base} row {p}" for p in pos]
    elif seg.locator == "line":
        out[:] = [f"{base} line {p}" for p in pos]
    elif seg.locator == "index":
        out[:] = [f"{base} [{p}]" for p in pos]
    else:
        out[:] = base
    return out
