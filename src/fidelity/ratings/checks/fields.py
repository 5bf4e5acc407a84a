"""Field checks: the fields of each sheet besides its ratings (``FR2xx``).

``assessment`` and ``rater`` are present and text; ``site``, ``round`` and ``informant`` are
text or empty; ``date`` is a calendar date ``YYYY-MM-DD``; ``consensus`` is true or false; the
informant is one of the instrument's; the ``instrument`` pin names the version checked
against; a JSON sheet has no other fields. Each check is one step of
:func:`fidelity.ratings.checks.check_sheets` and fills the checked field arrays.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import plain_list
from fidelity.ratings.checks._common import (
    Order,
    SegmentCheck,
    codes_of,
    factorize_cells,
    field_codes,
    is_blank,
)
from fidelity.ratings.problems import json_kind, jsonable, make_problem
from fidelity.ratings.segment import Segment
from fidelity.ratings.sheet import ABSENT, DATE_RE

__all__ = [
    "check_consensus",
    "check_date",
    "check_identity",
    "check_informant",
    "check_migrations",
    "check_pin",
    "check_pin_field",
    "check_site",
    "places",
]


def check_identity(ctx: SegmentCheck) -> None:
    """``assessment`` and ``rater``: present (FR201) and text (FR202)."""
    for f in ("assessment", "rater"):
        ctx.meta[f] = _required_text(ctx, f)


def check_site(ctx: SegmentCheck) -> None:
    """``site`` and ``round``: text or empty (FR202)."""
    ctx.meta["site"] = _optional_text(ctx, "site")
    ctx.meta["round"] = _optional_text(ctx, "round")


def check_pin_field(ctx: SegmentCheck) -> None:
    """``instrument``: text or empty (FR202); :func:`check_pin` compares it to the version.
    Marks the sheets pinned to anything else as foreign (:attr:`SegmentCheck.foreign`)."""
    ctx.pins = _optional_text(ctx, "instrument")
    pins: NDArray[Any] = ctx.pins
    named = np.not_equal(pins, np.array(None, dtype=object))
    ctx.foreign = np.asarray(named & np.not_equal(pins, ctx.c.spec), dtype=np.bool_)


def check_date(ctx: SegmentCheck) -> None:
    """``date``: a calendar date written ``YYYY-MM-DD``, or empty (FR202)."""
    seg = ctx.seg
    col = seg.fields.get("date")
    out = np.empty(seg.n, dtype=object)
    out[:] = None
    ctx.meta["date"] = out
    if col is None:
        return
    codes, uniques = field_codes(seg, "date") or factorize_cells(seg, col)
    dates = np.empty(len(uniques), dtype=object)  # each distinct value once: the date or None
    dates[:] = None
    bad = []
    for u, v in enumerate(uniques):
        if is_blank(v) and not (seg.mode == "json" and v == ""):
            continue
        if _is_date(v):
            dates[u] = v
        else:
            bad.append(u)
    if len(uniques):
        ctx.meta["date"] = dates[codes]
    for u in bad:
        v = uniques[u]
        rows = np.flatnonzero(codes == u)
        message = f"date {v!r} is not a calendar date written YYYY-MM-DD"
        _bad_field(ctx, rows, "date", v, message, "a date such as 2024-03-31, or empty")


def _own(ctx: SegmentCheck, rows: NDArray[np.intp]) -> NDArray[np.intp]:
    """The sheets of ``rows`` not pinned to another version (whose fields are judged by their
    own version)."""
    return rows if ctx.foreign is None else rows[~ctx.foreign[rows]]


def _bad_field(
    ctx: SegmentCheck, rows: NDArray[np.intp], field: str, v: Any, message: str, allowed: str
) -> None:
    """FR202 on every sheet in ``rows``, whose ``field`` holds the unacceptable value ``v``."""
    seg = ctx.seg
    for i in rows.tolist():
        problem = make_problem(
            "FR202",
            message=message,
            sheet=seg.ref(i),
            path=seg.path(i, field),
            value=jsonable(v),
            allowed=allowed,
        )
        ctx.add(i, Order.FIELD, problem)


def _is_date(v: Any) -> bool:
    if not isinstance(v, str) or DATE_RE.match(v) is None:
        return False
    try:
        _dt.date.fromisoformat(v)
    except ValueError:
        return False
    return True


def check_consensus(ctx: SegmentCheck) -> None:
    """``consensus``: true or false (in CSV, in any case), or empty for false (FR202)."""
    seg = ctx.seg
    col = seg.fields.get("consensus")
    out = np.zeros(seg.n, dtype=bool)
    ctx.meta["consensus"] = out
    if col is None:
        return
    codes, uniques = field_codes(seg, "consensus") or factorize_cells(seg, col)
    for u, v in enumerate(uniques):
        rows = np.flatnonzero(codes == u)
        if isinstance(v, bool):
            out[rows] = v
            continue
        if is_blank(v) and not (seg.mode == "json" and v == ""):
            continue
        if seg.mode != "json" and isinstance(v, str) and v.lower() in ("true", "false"):
            out[rows] = v.lower() == "true"  # true or false in any case
            continue
        message = f"consensus must be true or false, not {v!r}"
        _bad_field(ctx, rows, "consensus", v, message, "true, false or empty (false)")


def check_informant(ctx: SegmentCheck) -> None:
    """``informant``: text or empty (FR202) and one of the instrument's informants (FR205).
    Sets the row of the ``asked`` table for each sheet (the last row for none or unknown)."""
    c, seg = ctx.c, ctx.seg
    informant = _optional_text(ctx, "informant")
    inf_index = np.full(seg.n, len(c.informant_ids), dtype=np.intp)
    codes, uniques = codes_of(ctx, informant)
    known = {k: j for j, k in enumerate(c.informant_ids)}
    names = plain_list(list(c.informant_ids))
    for u, val in enumerate(uniques):
        if val is None:
            continue
        rows = np.flatnonzero(codes == u)
        j = known.get(val)
        if j is not None:
            inf_index[rows] = j
            continue
        for i in _own(ctx, rows).tolist():
            ctx.add(
                i,
                Order.INFORMANT,
                make_problem(
                    "FR205",
                    fields={"value": val, "spec": c.spec, "known": names},
                    sheet=seg.ref(i),
                    path=seg.path(i, "informant"),
                    value=val,
                    allowed=f"one of {names} or empty",
                ),
            )
    ctx.meta["informant"] = informant
    named = np.asarray(np.not_equal(informant, np.array(None, dtype=object)), dtype=np.bool_)
    ctx.meta["bad_informant"] = named & (inf_index == len(c.informant_ids))
    ctx.inf_index = inf_index


def check_pin(ctx: SegmentCheck) -> None:
    """``instrument``: the version being checked against, or empty (FR204). When the sheets
    of one input name several versions of the instrument, each message also says which rows
    are on which version."""
    c, seg = ctx.c, ctx.seg
    assert ctx.pins is not None
    codes, uniques = codes_of(ctx, ctx.pins)
    versions = _versions_here(ctx, codes, uniques)
    for u, v in enumerate(uniques):
        if v is None or v == c.spec:
            continue
        inst_id, _, version = str(v).partition("@")
        if inst_id == c.inst.id and not version:
            msg = f"the sheet names instrument {v!r} without a version; pin it as {c.spec!r}"
        elif inst_id == c.inst.id:
            msg = f"the sheet is pinned to {v}, but is being checked against {c.spec}" + versions
        else:
            msg = f"the sheet is for instrument {v!r}, not {c.spec}"
        for i in np.flatnonzero(codes == u).tolist():
            ctx.add(
                i,
                Order.PIN,
                make_problem(
                    "FR204",
                    message=msg,
                    sheet=seg.ref(i),
                    path=seg.path(i, "instrument"),
                    value=v,
                    allowed=f"{c.spec} or empty",
                ),
            )


def _versions_here(ctx: SegmentCheck, codes: NDArray[np.intp], uniques: list[Any]) -> str:
    """``; the sheets of this file are on 2 versions: …`` when the sheets of one input name
    more than one version of the instrument (else empty): each version with its rows."""
    c, seg = ctx.c, ctx.seg
    mine = [
        (u, v)
        for u, v in enumerate(uniques)
        if isinstance(v, str) and v.partition("@")[0] == c.inst.id and v.partition("@")[2]
    ]
    if len(mine) < 2:
        return ""
    parts = [f"{v} on {places(seg, np.flatnonzero(codes == u))}" for u, v in mine]
    return (
        f"; the sheets of this input are on {len(mine)} versions: {', '.join(parts)}; check "
        f"one version at a time, or move them to one with fidelity migrate --to {c.spec}"
    )


_PLACES_SHOWN = 8
"""How many runs of rows :func:`places` names before ``and N more``."""


def places(seg: Segment, rows: NDArray[np.intp]) -> str:
    """Where the local sheets ``rows`` of ``seg`` are, compactly: ``rows 2–4, 9``,
    ``lines 1–3``, ``sheets [0], [2]``."""
    pos = sorted(int(seg.positions[i]) for i in rows.tolist())
    runs: list[tuple[int, int]] = []
    for p in pos:
        if runs and p == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], p)
        else:
            runs.append((p, p))
    if seg.locator == "index":
        shown = [f"[{a}]" if a == b else f"[{a}]–[{b}]" for a, b in runs]
        unit = "sheet" if len(pos) == 1 else "sheets"
    else:
        shown = [str(a) if a == b else f"{a}–{b}" for a, b in runs]
        unit = {"row": "row", "line": "line"}.get(seg.locator, "sheet") + (
            "" if len(pos) == 1 else "s"
        )
    more = f" and {len(runs) - _PLACES_SHOWN} more" if len(runs) > _PLACES_SHOWN else ""
    return f"{unit} {', '.join(shown[:_PLACES_SHOWN])}{more}"


_SPEC = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*@\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?")
"""An instrument ``id@version`` as a ``migrations`` step names it."""


def check_migrations(ctx: SegmentCheck) -> None:
    """``migrations`` (the provenance ``fidelity migrate`` writes): a non-empty list of
    steps, each an object naming the version it came ``from`` and went ``to`` (FR202)."""
    seg = ctx.seg
    col = seg.fields.get("migrations")
    if col is None:
        return
    for i, steps in enumerate(col.tolist()):
        if steps is ABSENT or steps is None:
            continue
        bad = _bad_migrations(steps)
        if bad is None:
            continue
        where, why = bad
        problem = make_problem(
            "FR202",
            message=f"migrations {why}",
            sheet=seg.ref(i),
            path=seg.path(i, "migrations") + where,
            value=jsonable(steps),
            allowed="the list of steps fidelity migrate writes, each with 'from' and 'to'",
        )
        ctx.add(i, Order.FIELD, problem)


def _bad_migrations(steps: Any) -> tuple[str, str] | None:
    """``(path suffix, what is wrong)`` with a ``migrations`` value, or ``None``."""
    if not isinstance(steps, list):
        return "", f"must be a list of migration steps, not {json_kind(steps)}"
    if not steps:
        return "", "is an empty list; leave the field out when the sheet was not migrated"
    for k, step in enumerate(steps):
        if not isinstance(step, dict):
            return f"[{k}]", f"step {k} must be an object, not {json_kind(step)}"
        for key in ("from", "to"):
            v = step.get(key)
            if not (isinstance(v, str) and _SPEC.fullmatch(v)):
                what = "is missing" if key not in step else f"is {jsonable(v)!r}"
                return f"[{k}].{key}", f"step {k}: {key!r} {what}; it must be an id@version"
    return None


def _required_text(ctx: SegmentCheck, f: str) -> NDArray[Any]:
    """A field every sheet must have as non-empty text (FR201 when missing, FR202 when not
    text); ``None`` where it is bad. Spreadsheets may store a numeric id as a number."""
    seg = ctx.seg
    col = seg.fields.get(f)
    out = np.empty(seg.n, dtype=object)
    if col is None:
        out[:] = None
        if seg.mode != "text" and not seg.tabular:
            for i in range(seg.n):
                ctx.add(
                    i,
                    Order.IDENTITY,
                    make_problem(
                        "FR201",
                        message=f"the sheet has no {f!r}",
                        sheet=seg.ref(i),
                        path=seg.path(i, f),
                    ),
                )
        return out
    out[:] = col
    blank = _empty_as_none(ctx, f, out) if seg.mode == "text" else None
    for i, kind in _bad_text(seg.mode, col, out, blank):
        raw = col[i]
        ctx.add(
            i,
            Order.IDENTITY,
            make_problem(
                "FR201" if kind == "empty" else "FR202",
                message=f"the sheet has no {f}"
                if kind == "empty"
                else f"{f} must be text, not {kind}",
                sheet=seg.ref(i),
                path=seg.path(i, f),
                value=None if raw is ABSENT else jsonable(raw),
                allowed="non-empty text",
            ),
        )
    return out


def _bad_text(
    mode: str, col: NDArray[Any], out: NDArray[Any], blank: NDArray[np.bool_] | None = None
) -> list[tuple[int, str]]:
    """The cells of ``col`` that are not non-empty text, with what they are instead
    (``empty`` or a JSON kind); sets them to ``None`` in ``out``, and numeric spreadsheet
    cells to their text. ``blank``: the empty text cells, already ``None`` in ``out``."""
    if mode == "text":
        if blank is None:
            blank = np.asarray(col == "", dtype=np.bool_)
            out[blank] = None
        return [(i, "empty") for i in np.flatnonzero(blank).tolist()]
    bad: list[tuple[int, str]] = []
    for i, v in enumerate(col.tolist()):
        if isinstance(v, str) and v != "":
            continue
        if mode == "cell" and isinstance(v, int) and not isinstance(v, bool):
            out[i] = str(v)  # spreadsheets store numeric ids as numbers
            continue
        bad.append((i, "empty" if is_blank(v) else json_kind(v)))
        out[i] = None
    return bad


def _empty_as_none(ctx: SegmentCheck, f: str, out: NDArray[Any]) -> NDArray[np.bool_] | None:
    """For a text field the reader numbered: set its empty cells to ``None`` in ``out`` (a
    copy of the field), keep the codes of ``out`` for the later checks (:func:`codes_of`)
    and return where the empty cells are; ``None`` (and nothing done) for another field."""
    known = field_codes(ctx.seg, f)
    if known is None:
        return None
    codes, uniques = known
    blank = np.zeros(codes.size, dtype=np.bool_)
    if "" in uniques:
        empty = uniques.index("")
        blank = codes == empty
        out[blank] = None
        uniques = [None if k == empty else v for k, v in enumerate(uniques)]
    ctx.factorized[id(out)] = (out, (codes, uniques))
    return blank


def _optional_text(ctx: SegmentCheck, f: str) -> NDArray[Any]:
    """A field that is text or empty (FR202 otherwise); ``None`` where empty or bad. In JSON,
    empty text is reported: leave the field out or use null."""
    seg = ctx.seg
    col = seg.fields.get(f)
    out = np.empty(seg.n, dtype=object)
    if col is None:
        out[:] = None
        return out
    if seg.mode == "text":
        out[:] = col
        if _empty_as_none(ctx, f, out) is None:
            out[col == ""] = None
        return out
    for i, v in enumerate(col.tolist()):
        if isinstance(v, str) and v != "":
            out[i] = v
            continue
        if seg.mode == "cell" and isinstance(v, int) and not isinstance(v, bool):
            out[i] = str(v)  # a numeric id, as for assessment and rater
            continue
        out[i] = None
        if is_blank(v) and not (seg.mode == "json" and v == ""):
            continue
        ctx.add(
            i,
            Order.FIELD,
            make_problem(
                "FR202",
                message=f"{f} must be text or empty, not {json_kind(v)}"
                if v != ""
                else f"{f} is empty text; leave it out or use null",
                sheet=seg.ref(i),
                path=seg.path(i, f),
                value=jsonable(v),
                allowed="text or empty",
            ),
        )
    return out
