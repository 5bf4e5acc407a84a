"""Ids that only look alike (``FR206``, ``FR305``).

An id is compared character by character: ``Ben``, ``ben`` and ``ben `` would be three
raters, and the design of a reliability analysis, the rows of a site table or the number of
double-rated assessments would change without a word. So the ``assessment``, ``rater`` and
``site`` of every sheet are held to two rules:

* an id has no space around it and no control, format (zero-width, byte-order mark,
  direction mark) or separator character other than the plain space inside it (``FR206``);
* two spellings of one id that differ only in case, character width or Unicode form
  (``Zoë`` composed or decomposed) are refused across all inputs of a batch (``FR305``),
  naming both spellings and where each is; every sheet that uses a later spelling is
  reported.

Informants and item ids are not held to the second rule: they must match the instrument's
own ids exactly and are reported as unknown (``FR205``, ``FR104``) otherwise.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.checks._common import Found, Order, SegmentCheck, codes_of, factorize
from fidelity.ratings.problems import SheetRef, make_problem

__all__ = ["ID_FIELDS", "check_id_form", "check_near_duplicates", "id_flaw", "id_key"]

ID_FIELDS = ("assessment", "rater", "site")
"""The sheet fields that identify something and are held to the rules above."""

_INVISIBLE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
"""Unicode categories never allowed in an id: control, format (zero-width), surrogate,
private-use and unassigned characters, line and paragraph separators."""


def id_flaw(v: str) -> str | None:
    """What is wrong with the id ``v`` (spaces around it, an invisible character), or
    ``None``."""
    if v != v.strip():
        return "has spaces around it"
    if v.isprintable():  # no character of a C or Z category other than the plain space
        return None
    for ch in v:
        if ch == " ":
            continue
        cat = unicodedata.category(ch)
        if cat in _INVISIBLE or cat == "Zs":
            name = unicodedata.name(ch, "a control character" if cat == "Cc" else "unnamed")
            return f"holds the invisible or control character U+{ord(ch):04X} ({name})"
    return None


def id_key(v: str) -> str:
    """The form under which two spellings of an id are the same id: Unicode compatibility
    normalisation (NFKC) and case folding (for ASCII text both are lower-casing)."""
    if v.isascii():
        return v.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", v).casefold())


def _all_plain(ids: list[str]) -> bool:
    """Whether no id in ``ids`` has a flaw (:func:`id_flaw`), checked on all of them at once:
    every character printable (the only printable space is the plain one), and no plain
    space next to a line break once they are joined by line breaks, nor at either end."""
    if not "".join(ids).isprintable():
        return False
    joined = "\n".join(ids)
    ends = joined.startswith(" ") or joined.endswith(" ")
    return not (ends or " \n" in joined or "\n " in joined)


def _keys(ids: list[str]) -> list[str]:
    """:func:`id_key` of every id; for ASCII ids without line breaks, one lower-casing of them
    all joined."""
    joined = "\n".join(ids)
    if ids and joined.isascii() and joined.count("\n") == len(ids) - 1:
        return joined.lower().split("\n")
    return [id_key(v) for v in ids]


def check_id_form(ctx: SegmentCheck) -> None:
    """FR206 for an id with spaces around it or an invisible character; the id is then left
    out (``None``) so that no relation check counts it."""
    seg = ctx.seg
    ctx.meta["bad_site"] = np.zeros(seg.n, dtype=bool)
    for f in ID_FIELDS:
        col = ctx.meta[f]
        codes, uniques = codes_of(ctx, col)
        if _all_plain([v for v in uniques if isinstance(v, str)]):
            continue
        ctx.factorized.pop(id(col))  # flawed ids are set to None below: the codes change
        for u, v in enumerate(uniques):
            if not isinstance(v, str):
                continue
            why = id_flaw(v)
            if why is None:
                continue
            rows = np.flatnonzero(codes == u)
            col[rows] = None
            if f == "site":
                ctx.meta["bad_site"][rows] = True  # reported here, not as a disagreement
            for i in rows.tolist():
                problem = make_problem(
                    "FR206",
                    fields={"field": f, "value": v, "why": why},
                    sheet=seg.ref(i),
                    path=seg.path(i, f),
                    value=v,
                    allowed="text without spaces around it or invisible characters",
                )
                ctx.add(i, Order.IDENTITY, problem)


def check_near_duplicates(
    meta: dict[str, NDArray[Any]],
    refs: Callable[[int], SheetRef],
    found: Found,
    coded: Callable[[str], tuple[NDArray[np.intp], list[Any]]] | None = None,
) -> None:
    """FR305 on every sheet whose id is a later spelling of an id seen before (same
    :func:`id_key`, other characters), across all inputs. ``coded`` gives the codes of a
    field when they were computed already (:func:`factorize` by default)."""
    for f in ID_FIELDS:
        codes, uniques = factorize(meta[f]) if coded is None else coded(f)
        if not uniques:
            continue
        keys = _keys([v for v in uniques if isinstance(v, str)])
        if len(set(keys)) == len(keys):  # no two spellings of one id: nothing to report
            continue
        first_row = _first_rows(codes, len(uniques))
        by_key: dict[str, int] = {}
        later: dict[int, int] = {}  # unique -> unique of the first spelling
        for u in np.argsort(first_row, kind="stable").tolist():
            v = uniques[u]
            if not isinstance(v, str):
                continue
            first = by_key.setdefault(id_key(v), u)
            if first != u:
                later[u] = first
        for u, first in later.items():
            where = refs(int(first_row[first])).where()
            for i in np.flatnonzero(codes == u).tolist():
                problem = make_problem(
                    "FR305",
                    fields={"field": f, "value": uniques[u], "first": uniques[first]}
                    | {"where": where},
                    sheet=refs(i),
                    path=f,
                    value=uniques[u],
                )
                found.append((i, Order.NEAR_DUPLICATE, problem))


def _first_rows(codes: NDArray[np.intp], n: int) -> NDArray[np.intp]:
    """The first position of each code ``0..n-1`` (``len(codes)`` for none)."""
    first = np.full(n + 1, len(codes), dtype=np.intp)
    np.minimum.at(first, codes, np.arange(len(codes), dtype=np.intp))
    return first[:n]
