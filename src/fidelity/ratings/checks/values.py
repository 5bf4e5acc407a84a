"""Value checks: every rating and comment against its item (``FR1xx``).

A rating is a level value of the item's scale, ``NA`` where the item allows it, or empty;
nothing is coerced. Distinct raw values of a column are judged once (:func:`verdict`) and
spread to the cells with an index array, so valid data costs no per-cell Python work. Then:
items the sheet's informant is not asked must stay empty, and required items without an
answer are warnings. Each check is one step of :func:`fidelity.ratings.checks.check_sheets`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import plain_list, short
from fidelity.codes import rule
from fidelity.ratings.checks._common import (
    TABLE,
    Order,
    SegmentCheck,
    cell_pos,
    cell_value,
    factorize_cells,
    is_blank,
)
from fidelity.ratings.checks.extras import kept_column
from fidelity.ratings.compiled import CompiledInstrument
from fidelity.ratings.problems import ProblemBlock, SheetRef, json_kind, jsonable, make_problem
from fidelity.ratings.sheet import (
    ABSENT,
    ANSWERED,
    COMMENT_SUFFIX,
    INT_RE,
    INVALID,
    MAX_DIGITS,
    MISSING,
    NA,
    NOT_ASKED,
    Mode,
)
from fidelity.ratings.similar import field_like, resembles

__all__ = [
    "check_asked",
    "check_comments",
    "check_missing_columns",
    "check_ratings",
    "check_unanswered",
    "verdict",
]

_FLOAT_RE = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")

Verdict = tuple[float, int] | tuple[str, str]
"""``(value, state)`` for an acceptable raw value, or ``(code, reason)`` for a bad one."""


def check_ratings(ctx: SegmentCheck) -> None:
    """Every rating column: an item of the instrument (FR104), and every cell a value the
    item accepts (FR101, FR102, FR103). Fills the values and states of known items."""
    for col_name, raw in ctx.seg.ratings.items():
        j = ctx.c.index.get(col_name)
        if j is None:
            _unknown_item(ctx, col_name, raw)
        else:
            _classify(ctx, j, raw)
    if ctx.foreign is not None and ctx.foreign.any():
        ctx.state[ctx.foreign] = INVALID  # not judged here: FR204 names the version
        ctx.values[ctx.foreign] = np.nan


def _own(ctx: SegmentCheck) -> NDArray[np.bool_]:
    """The sheets judged against this version: those not pinned to another one."""
    if ctx.foreign is None:
        return np.ones(ctx.seg.n, dtype=bool)
    return ~ctx.foreign


def _stands_in(ctx: SegmentCheck, j: int, raw: NDArray[Any]) -> None:
    """Note that the sheets rating ``raw`` (a misspelt id of item ``j``) gave item ``j``."""
    if ctx.misspelt is None:
        ctx.misspelt = np.zeros(ctx.state.shape, dtype=bool)
    given = np.asarray(raw != ABSENT, dtype=bool) & _own(ctx)
    ctx.misspelt[:, j] |= True if ctx.seg.tabular else given


def _used_by_own(ctx: SegmentCheck, raw: NDArray[Any]) -> bool:
    """Whether a table column for an unknown item or comment matters here: always when no
    sheet is pinned to another version, else only when a sheet on this version fills it (a
    column of another version's items is that version's, and FR204 says so)."""
    if ctx.foreign is None or not ctx.foreign.any():
        return True
    own = _own(ctx)
    return any(not is_blank(v) for v in raw[own].tolist())


def _unknown_item(ctx: SegmentCheck, name: str, raw: NDArray[Any]) -> None:
    """FR104: once for a table's column, else for every sheet that rates the item."""
    c, seg = ctx.c, ctx.seg
    absent = [k for k in c.item_ids if k not in seg.ratings]  # what a misspelling stands for
    hint = resembles(name, absent) or resembles(name, c.item_ids)
    msg = f"unknown item {name!r}: not an item of {c.spec}" + (
        f" (did you mean {hint!r}?)" if hint else ""
    )
    if seg.tabular:
        if not _used_by_own(ctx, raw) or kept_column(ctx, name, raw):
            return
        like = field_like(name) if hint is None else None
        if like is not None:
            ctx.add(
                TABLE,
                Order.INPUT,
                make_problem(
                    "FR020",
                    message=f"wrong header: column {name!r} is not a sheet field "
                    f"(did you mean {like!r}?)",
                    sheet=seg.header_ref(),
                    path=name,
                ),
            )
            return
        if hint is not None:
            _stands_in(ctx, c.index[hint], raw)
        ctx.add(
            TABLE,
            Order.INPUT,
            make_problem(
                "FR104",
                message=f"wrong header: {msg}",
                sheet=seg.header_ref(),
                path=name,
                item=name,
            ),
        )
        return
    if hint is not None:
        _stands_in(ctx, c.index[hint], raw)
    for i in np.flatnonzero((raw != ABSENT) & _own(ctx)).tolist():  # the sheets that rate it
        v = raw[i]
        ctx.add(
            i,
            Order.UNKNOWN_ITEM,
            make_problem(
                "FR104",
                message=msg,
                sheet=seg.ref(i, cell_pos(seg, name, i)),
                path=seg.path(i, "ratings", name),
                item=name,
                value=jsonable(v),
            ),
        )


def _classify(ctx: SegmentCheck, j: int, raw: NDArray[Any]) -> None:
    """Fill column ``j`` of the values and states from raw cells; report bad ones.

    Distinct raw values are classified once (a column holds a handful), then spread to the
    cells with an index array: no per-cell Python work for valid data."""
    c, seg = ctx.c, ctx.seg
    codes, uniques = factorize_cells(seg, raw)
    k = len(uniques)
    u_val = np.full(k + 1, np.nan)
    u_state = np.full(k + 1, MISSING, dtype=np.int8)
    bad: dict[int, tuple[str, str]] = {}
    for u, v in enumerate(uniques):
        judged = verdict(c, j, v, seg.mode)
        if isinstance(judged[0], str):
            bad[u] = judged
            u_state[u] = INVALID
        else:
            u_val[u], u_state[u] = judged
    ctx.values[:, j] = u_val[codes]
    ctx.state[:, j] = u_state[codes]
    if not bad:
        return
    item_id, label = c.item_ids[j], c.labels[j]
    for i in np.flatnonzero(np.isin(codes, list(bad)) & _own(ctx)).tolist():
        u = int(codes[i])
        code, reason = bad[u]
        ctx.add(
            i,
            j,
            make_problem(
                code,
                fields={
                    "item": item_id,
                    "label": short(label),
                    "reason": reason,
                    "allowed": c.allowed_words[j],
                },
                sheet=seg.ref(i, cell_pos(seg, item_id, i)),
                path=seg.path(i, "ratings", item_id),
                item=item_id,
                item_label=label,
                value=jsonable(uniques[u]),
                allowed=c.allowed_words[j],
            ),
        )


def verdict(c: CompiledInstrument, j: int, v: Any, mode: Mode) -> Verdict:
    """``(value, state)`` for an acceptable raw value of item ``j``, or ``(code, reason)``
    for a bad one."""
    if v is None or v is ABSENT:
        return (np.nan, MISSING)
    if isinstance(v, str):
        return _verdict_text(c, j, v, mode)
    if isinstance(v, bool | np.bool_):
        return ("FR102", f"{str(bool(v)).lower()} is not a level value")
    if isinstance(v, int | np.integer):
        level = int(v)
        if level in c.levels[j]:
            return (float(level), ANSWERED)
        shown = str(level) if abs(level) < 10**MAX_DIGITS else "a number of over 20 digits"
        return ("FR101", f"{shown} is not on the item's scale")
    if isinstance(v, float | np.floating):
        return _verdict_float(float(v), mode)
    return ("FR102", f"{json_kind(v)} is not a level value")


def _verdict_text(c: CompiledInstrument, j: int, v: str, mode: Mode) -> Verdict:
    """A text value: empty, ``NA``, or (not in JSON) the digits of a level."""
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
        if INT_RE.fullmatch(v) and len(v) <= MAX_DIGITS:
            return (
                "FR102",
                f'the text "{v}" is not a level value; write the number {int(v)} without quotes',
            )
        return ("FR102", f"{short(repr(v), 40)} is not a level value")
    if INT_RE.fullmatch(v):
        return _verdict_digits(c, j, v)
    if v.strip() != v:
        return ("FR102", f"{v!r} has spaces around it")
    if v.upper() in ("NA", "N/A", "N.A."):
        return ("FR102", f"{v!r} is not a code: write not applicable as NA exactly")
    if _FLOAT_RE.match(v):
        return (
            "FR102",
            f"{v} is not a level value (levels are whole numbers, written without a decimal point)",
        )
    return ("FR102", f"{short(repr(v), 40)} is not a level value")


def _verdict_digits(c: CompiledInstrument, j: int, v: str) -> Verdict:
    """The text of a whole number in a CSV or spreadsheet cell: a level as written."""
    if len(v) > MAX_DIGITS:
        return ("FR101", f"{short(v, 24)} is not on the item's scale")
    level = int(v)
    if level not in c.levels[j]:
        return ("FR101", f"{v} is not on the item's scale")
    if str(level) != v:  # a leading zero: not the text of a level
        return ("FR102", f"{v!r} is not how a level is written; write {level}")
    return (float(level), ANSWERED)


def _verdict_float(v: float, mode: Mode) -> Verdict:
    """A float is never a level (levels are whole numbers); NaN is an empty DataFrame cell."""
    if v != v and mode == "cell":
        return (np.nan, MISSING)  # pandas' marker for an empty cell
    shown = repr(v) if v == v else "NaN"
    if v == v and v.is_integer():
        return (
            "FR102",
            f"{shown} is not a level value (levels are whole numbers; write {int(v)})",
        )
    return ("FR102", f"{shown} is not a level value")


def check_missing_columns(ctx: SegmentCheck) -> None:
    """FR107: a table (with sheets) has no column for a required item; reported once."""
    c, seg = ctx.c, ctx.seg
    if not (seg.tabular and _own(ctx).any()):
        return
    for j in np.flatnonzero(c.required).tolist():
        item_id = c.item_ids[j]
        if item_id in seg.ratings or (ctx.misspelt is not None and ctx.misspelt[:, j].any()):
            continue  # FR104 named the misspelt column
        ctx.add(
            TABLE,
            j,
            make_problem(
                "FR107",
                fields={"item": item_id, "label": c.short_labels[j]},
                sheet=seg.header_ref(),
                path=item_id,
                item=item_id,
                item_label=c.labels[j],
                allowed=c.allowed_words[j],
            ),
        )


def check_comments(ctx: SegmentCheck) -> None:
    """FR109: comments are text, on items of the instrument (a table's comment column for
    an unknown item is reported once)."""
    seg = ctx.seg
    for key, raw in seg.comments.items():
        if key in ctx.c.index:
            _comment_cells(ctx, key, raw, known=True)
        elif seg.tabular and not _used_by_own(ctx, raw):
            continue
        elif seg.tabular:
            ctx.add(
                TABLE,
                Order.INPUT,
                make_problem(
                    "FR109",
                    message=f"wrong header: comment column for unknown item {key!r}",
                    sheet=seg.header_ref(),
                    path=key + COMMENT_SUFFIX,
                    item=key,
                ),
            )
        else:
            _comment_cells(ctx, key, raw, known=False)


def _comment_cells(ctx: SegmentCheck, key: str, raw: NDArray[Any], *, known: bool) -> None:
    seg = ctx.seg
    own = _own(ctx)
    for i, v in enumerate(raw.tolist()):
        if is_blank(v) or (known and isinstance(v, str)) or not own[i]:
            continue
        message = (
            f"comment on {key} must be text, not {json_kind(v)}"
            if known
            else f"comment on unknown item {key!r}"
        )
        ctx.add(
            i,
            Order.COMMENT,
            make_problem(
                "FR109",
                message=message,
                sheet=seg.ref(i),
                path=seg.path(i, "comments", key),
                item=key,
                value=jsonable(v),
            ),
        )


def check_asked(ctx: SegmentCheck) -> None:
    """FR106: an item not asked of the sheet's informant stays empty (an answer there is
    invalid); an empty one is *not asked* rather than missing."""
    c, seg, state = ctx.c, ctx.seg, ctx.state
    assert ctx.inf_index is not None
    informant = ctx.meta["informant"]
    asked = np.take(np.ascontiguousarray(c.asked.T), ctx.inf_index, axis=1).T  # item-major
    wrong = ((state == ANSWERED) | (state == NA)) & ~asked
    for i, j in zip(*np.nonzero(wrong), strict=True):
        ii, jj = int(i), int(j)
        item_id = c.item_ids[jj]
        ctx.add(
            ii,
            jj,
            make_problem(
                "FR106",
                fields={
                    "item": item_id,
                    "label": c.short_labels[jj],
                    "informant": informant[ii],
                    "askees": plain_list(list(c.inst.items[jj].informants)),
                },
                sheet=seg.ref(ii, cell_pos(seg, item_id, ii)),
                path=seg.path(ii, "ratings", item_id),
                item=item_id,
                item_label=c.labels[jj],
                value=cell_value(seg, item_id, ii),
                allowed="empty",
            ),
        )
    np.copyto(state, INVALID, where=wrong)
    np.copyto(ctx.values, np.nan, where=wrong)
    np.copyto(state, NOT_ASKED, where=(state == MISSING) & ~asked)


def check_unanswered(ctx: SegmentCheck) -> None:
    """FR105 (a warning): a required item asked of the informant has no answer. A table
    without the item's column was reported once (FR107) instead."""
    c, seg = ctx.c, ctx.seg
    unanswered = (ctx.state == MISSING) & c.required[None, :]
    if ctx.misspelt is not None:
        unanswered &= ~ctx.misspelt  # given under a misspelt id: FR104 says so
    if seg.unread:
        unanswered[seg.unread, :] = False  # ratings that are not an object: FR202 says so
    if seg.tabular:
        unanswered[:, [j for j, k in enumerate(c.item_ids) if k not in seg.ratings]] = False
    rows, cols = np.nonzero(unanswered)
    if not rows.size:
        return
    template = rule("FR105")
    messages = [template.message(item=k, label=c.short_labels[j]) for j, k in enumerate(c.item_ids)]
    flat_paths = seg.tabular or seg.locator == "row"
    last: list[Any] = [-1, None]  # the cells of one sheet come together: its reference
    # the column: the item id, or the variable of another system's export
    columns = {k: seg.columns.get(f"ratings.{k}", k) for k in c.item_ids}

    def where(i: int, item_id: str) -> tuple[SheetRef, str]:
        if seg.cell_positions is not None:
            sheet = seg.ref(i, cell_pos(seg, item_id, i))
        elif last[0] == i:  # the cells of one sheet share its reference
            sheet = last[1]
        else:
            sheet = seg.ref(i)
            last[:] = i, sheet
        if flat_paths:
            return sheet, columns[item_id]
        return sheet, seg.path(i, "ratings", item_id)

    def places(rows: list[int], cols: list[int]) -> list[tuple[SheetRef, str]]:
        """``where`` of many cells: the reference of each sheet built once, together."""
        idx = np.asarray(rows, dtype=np.intp)
        new = np.ones(idx.size, dtype=bool)
        new[1:] = idx[1:] != idx[:-1]
        sheets = seg.refs(idx[new])
        paths = [columns[c.item_ids[j]] for j in cols]
        return [(sheets[k], p) for k, p in zip((np.cumsum(new) - 1).tolist(), paths, strict=True)]

    ctx.add_block(
        ProblemBlock(
            "FR105",
            template.severity,
            rows.astype(np.intp),
            cols.astype(np.intp),
            c.item_ids,
            messages,
            c.labels,
            c.allowed_words,
            where,
            places if seg.cell_positions is None and flat_paths else None,
        )
    )
