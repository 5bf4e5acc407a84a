"""REDCap variable names for an instrument's items and sheet fields.

REDCap variable (field) names may hold only lowercase letters, digits and underscores and must
begin with a letter; REDCap warns above 26 characters (longer names are cut short by some
statistics packages an export goes to) and refuses names above 100. See "Creating a Data
Dictionary in REDCap" (Vanderbilt University, 2015), column A, and the REDCap knowledge base
article RC-FD-08 "Data Dictionary: Column Reference".

An item may declare its name (the ``redcap`` key of the item), which keeps it the same across
versions whatever the id becomes. Otherwise the derived name of an item is its id with ``-``
turned into ``_`` (item ids are slugs, which never hold ``_``, so the step is reversible); an
id whose derived name is longer than :data:`MAX_NAME` is cut to 21 characters and given ``_``
plus the first four hex digits of the sha256 of the id, so it stays deterministic and, in
practice, unique. The dictionary also carries each field's meaning in its annotation
(``@FIDELITY-ITEM=<item id>``), so reading never depends on reversing a name.
"""

from __future__ import annotations

import hashlib
import re

from fidelity.instrument import Instrument

__all__ = [
    "COMMENT_SUFFIX",
    "FIELD_PREFIX",
    "MAX_NAME",
    "NAME_RE",
    "RECORD_ID",
    "choice_code",
    "code_value",
    "comment_var",
    "field_var",
    "form_name",
    "item_var",
    "name_problems",
]

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
"""What REDCap accepts as a variable name (length aside)."""

MAX_NAME = 26
"""The length above which REDCap warns about a variable name."""

RECORD_ID = "record_id"
"""The record identifier, the first field of the dictionary."""

FIELD_PREFIX = "fi_"
"""The prefix of a sheet field's variable: ``fi_assessment``, ``fi_rater``, ..."""

COMMENT_SUFFIX = "_cmt"
"""The suffix of the variable that holds a rater's comment on an item."""


def item_var(item_id: str, declared: str | None = None) -> str:
    """The REDCap variable of item ``item_id``: the name the item declares (its ``redcap``
    key), or the one derived from the id."""
    if declared is not None:
        return declared
    name = item_id.replace("-", "_")
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(item_id.encode("utf-8")).hexdigest()[:4]
    return f"{name[:21].rstrip('_')}_{digest}"


def comment_var(item_id: str, declared: str | None = None) -> str:
    """The REDCap variable of the comment on item ``item_id`` (a notes field)."""
    base = item_var(item_id, declared)
    keep = MAX_NAME - len(COMMENT_SUFFIX)
    if len(base) > keep:
        digest = hashlib.sha256(("comment:" + item_id).encode("utf-8")).hexdigest()[:4]
        base = f"{base[: keep - 5].rstrip('_')}_{digest}"
    return base + COMMENT_SUFFIX


def field_var(field: str) -> str:
    """The REDCap variable of a sheet field (``assessment`` → ``fi_assessment``)."""
    return FIELD_PREFIX + field


def form_name(inst: Instrument) -> str:
    """The REDCap form (instrument) name: the instrument id with ``_`` for ``-``."""
    return inst.id.replace("-", "_")[:50]


def choice_code(value: int) -> str:
    """The raw REDCap code of a level value: its digits, ``m`` for a minus sign (REDCap
    codes are letters, digits and underscores)."""
    return str(value) if value >= 0 else f"m{-value}"


def code_value(code: str) -> int | None:
    """The level value of a raw code written by :func:`choice_code`, or ``None``."""
    if re.fullmatch(r"[0-9]{1,18}", code):
        return int(code)
    if re.fullmatch(r"m[0-9]{1,18}", code):
        return -int(code[1:])
    return None


def name_problems(names: dict[str, str]) -> list[str]:
    """Reasons a set of variables is not valid in REDCap: each value of ``names`` (meaning →
    variable) must match :data:`NAME_RE`, be at most :data:`MAX_NAME` characters and be
    unique."""
    reasons: list[str] = []
    seen: dict[str, str] = {}
    for meaning, var in names.items():
        if not NAME_RE.fullmatch(var):
            reasons.append(
                f"{meaning}: variable {var!r} is not a REDCap name "
                "(lowercase letters, digits and underscores, starting with a letter)"
            )
        elif len(var) > MAX_NAME:
            reasons.append(f"{meaning}: variable {var!r} is longer than {MAX_NAME} characters")
        if var in seen:
            reasons.append(f"{meaning}: variable {var!r} is also the variable of {seen[var]}")
        seen.setdefault(var, meaning)
    return reasons
