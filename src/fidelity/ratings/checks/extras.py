"""Columns and fields beyond a rating sheet: metadata to keep, a mistyped item, or neither.

Sheets often carry columns of their own (``notes``, ``arm``, ``interviewer``, ``wave``). A
column (or a JSON sheet's field) that is neither a sheet field nor an item of the instrument
is:

* **kept** when it is declared (``keep=`` in the library, ``--keep-columns`` on the command
  line): carried unchanged to every per-sheet output, never checked;
* an **error** when it looks like a mistyped item or field, so that a rating is never left
  unscored without a word: the same id but for case, spaces, ``-``/``_``/``.``; a close
  spelling (``difflib`` ratio 0.75 or more); or an item id's shape with other digits
  (``q13`` where the items are ``q1`` … ``q12``). The message names the id it resembles
  (FR104 for an item column or key, FR020 for a table column like a sheet field, FR203 for a
  JSON field like one);
* otherwise left out, and all such columns of one input are named in **one** warning (FR207).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity._util.text import plain_list
from fidelity.codes import rule
from fidelity.ratings.checks._common import TABLE, Order, SegmentCheck, is_blank
from fidelity.ratings.problems import make_problem
from fidelity.ratings.sheet import ABSENT, FIELDS, RECORD_KEYS
from fidelity.ratings.similar import field_like, resembles

__all__ = [
    "check_extra_fields",
    "check_undeclared",
    "declared",
    "kept_column",
    "refuse_clash",
]


def kept_column(ctx: SegmentCheck, name: str, raw: NDArray[Any]) -> bool:
    """Keep ``raw`` as the metadata column ``name`` when it is declared; note it as
    undeclared when it resembles no item and no field. ``False`` when it must be reported
    as a mistyped item or field by the caller."""
    if name in ctx.keep:
        ctx.kept[name] = _plain(raw)
        return True
    if resembles(name, ctx.c.item_ids) is not None or field_like(name) is not None:
        return False
    ctx.undeclared.setdefault(name, int(sum(not is_blank(v) for v in raw.tolist())))
    return True


def _plain(raw: NDArray[Any]) -> NDArray[Any]:
    """A kept column as outputs show it: ``None`` where a sheet has no value."""
    out = np.empty(len(raw), dtype=object)
    out[:] = [None if v is ABSENT or is_blank(v) else v for v in np.asarray(raw).tolist()]
    return out


def check_extra_fields(ctx: SegmentCheck) -> None:
    """A JSON sheet's fields (or a long table's extra columns) beyond a rating sheet: kept
    when declared (FR304 where the rows of one long-layout sheet disagree on one); FR203
    (naming the field it resembles) where one looks like a mistyped field, once per sheet
    that has it; otherwise left for the one warning of :func:`check_undeclared`."""
    seg = ctx.seg
    allowed = ", ".join((*FIELDS, "ratings", "comments"))
    for name, raw in seg.others.items():
        if name in ctx.keep:
            ctx.kept[name] = _plain(raw)
            for i, problem in seg.varies.get(name, ()):  # a long table's rows disagree
                ctx.add(i, Order.EXTRA_FIELD, problem)
            continue
        hint = field_like(name)
        if hint is None:
            ctx.undeclared.setdefault(name, int(np.count_nonzero(raw != ABSENT)))
            continue
        for i in np.flatnonzero(raw != ABSENT).tolist():
            message = _fr203(name, allowed) + f" (did you mean {hint!r}?)"
            ctx.add(
                i,
                Order.EXTRA_FIELD,
                make_problem("FR203", message=message, sheet=seg.ref(i), path=seg.path(i, name)),
            )


def _fr203(name: str, allowed: str) -> str:
    """FR203's message for the field ``name``."""
    return rule("FR203").message(field=name, allowed=allowed)


def check_undeclared(ctx: SegmentCheck) -> None:
    """FR207 (a warning), once per input: the columns or fields that are neither sheet
    fields nor items nor declared, left out of every output."""
    if not ctx.undeclared:
        return
    seg = ctx.seg
    names = list(ctx.undeclared)
    what = "column" if seg.tabular or seg.cell_positions is not None else "field"
    quoted = plain_list([repr(n) for n in names], "and")
    message = (
        f"{what}{'s' if len(names) > 1 else ''} {quoted} "
        f"{'are' if len(names) > 1 else 'is'} neither sheet fields nor items of {ctx.c.spec}; "
        f"left out of the outputs (keep {'them' if len(names) > 1 else 'it'} with "
        f"--keep-columns {','.join(names)}, or keep= in Python)"
    )
    ctx.add(
        TABLE,
        Order.INPUT,
        make_problem("FR207", message=message, sheet=seg.header_ref(), path=names[0]),
    )


def declared(keep: Iterable[str] | str | None) -> frozenset[str]:
    """The declared metadata columns as a set (``"notes,arm"`` or an iterable of names);
    ``ValueError`` for a sheet field, which is never metadata."""
    if keep is None:
        return frozenset()
    names = [k.strip() for k in keep.split(",")] if isinstance(keep, str) else list(keep)
    names = [n for n in names if n]
    reserved = [n for n in names if n in RECORD_KEYS or n.endswith(":comment")]
    if reserved:
        raise ValueError(
            f"keep: {plain_list(reserved, 'and')} {'is a' if len(reserved) == 1 else 'are'} "
            "sheet field(s), not metadata columns"
        )
    return frozenset(names)


def refuse_clash(kept: Iterable[str], columns: Iterable[str]) -> None:
    """``ValueError`` when a declared metadata column is named like an output column."""
    clash = sorted(set(kept) & set(columns))
    if clash:
        raise ValueError(f"keep: {', '.join(clash)} would overwrite a column of the scores")
