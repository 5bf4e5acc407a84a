"""Names that look like a mistyping of a known id: an item id, a sheet field.

Used to tell an extra column someone means to keep (``notes``) from a mistyped item or field
(``A1``, ``q13``, ``Rater``), which must never be left out without a word.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from fidelity.ratings.sheet import FIELDS

__all__ = ["field_like", "resembles"]

_SEPARATORS = re.compile(r"[\s_\-.]+")
_DIGITS = re.compile(r"[0-9]+")
_CUTOFF = 0.75
"""The ``difflib`` ratio from which two spellings are close."""


def _squash(name: str) -> str:
    return _SEPARATORS.sub("", name.casefold())


def _shape(name: str) -> str:
    return _DIGITS.sub("#", _squash(name))


def resembles(name: str, ids: Sequence[str]) -> str | None:
    """The id of ``ids`` that ``name`` looks like a mistyping of, or ``None``: equal but for
    case and separators (spaces, ``-``, ``_``, ``.``), a close spelling (``difflib`` ratio
    0.75 or more), or the same shape with other digits (``q13`` among ``q1`` … ``q12``; then
    the closest such id)."""
    squashed = _squash(name)
    for known in ids:
        if _squash(known) == squashed:
            return known
    close = difflib.get_close_matches(name, list(ids), n=1, cutoff=_CUTOFF)
    if close:
        return close[0]
    if not _DIGITS.search(name):
        return None
    shape = _shape(name)
    alike = [known for known in ids if _shape(known) == shape]
    if not alike:
        return None
    return max(alike, key=lambda k: difflib.SequenceMatcher(None, name, k).ratio())


def field_like(
    name: str, also: Sequence[str] = ("ratings", "comments", "migrations")
) -> str | None:
    """The sheet field (or one of ``also``) that ``name`` looks like, or ``None``."""
    return resembles(name, [*FIELDS, *also])
