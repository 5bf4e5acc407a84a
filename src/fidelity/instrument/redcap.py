"""REDCap variable names of an instrument: for its items, their comments and the sheet fields,
the rules they obey (FI113-FI115, FI301-FI302), and the mapping between variables and a sheet.

REDCap variable (field) names may hold only lowercase letters, digits and underscores and must
begin with a letter; REDCap warns above 26 characters (longer names are cut short by some
statistics packages an export goes to) and refuses names above 100. See "Creating a Data
Dictionary in REDCap" (Vanderbilt University, 2015), column A, and the REDCap knowledge base
article RC-FD-08 "Data Dictionary: Column Reference".

An item may declare its name (the ``redcap`` key of the item), which keeps it the same across
versions whatever the id becomes. Otherwise the derived name of an item is its id with ``-``
turned into ``_`` (item ids are slugs, which never hold ``_``, so the step is reversible); an
id whose derived name is longer than :data:`MAX_NAME` is cut to 21 characters and given ``_``
plus the first four hex digits of the sha256 of the id, so it stays deterministic.

A declared name that is not a REDCap name (FI113), is too long (FI114) or is taken by another
variable (FI115) is an error of the instrument: it does not load. A derived name is checked by
``fidelity lint`` only, as a warning, since it matters only to REDCap: one that had to be
shortened (FI301) and one that is taken by another variable (FI302), which ``fidelity export
redcap`` refuses with the same message. This module sits in the instrument layer so that both
the lint rules and the exchange formats (:mod:`fidelity.interop`, the readers in
:mod:`fidelity.ratings.readers`) use one definition.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fidelity.errors import InteropError
from fidelity.instrument.problems import Finding, finding

if TYPE_CHECKING:  # the model runs the declared-name rules when it validates
    from fidelity.instrument.model import Instrument

__all__ = [
    "COMMENT_SUFFIX",
    "FIELD_PREFIX",
    "MAX_NAME",
    "NAME_RE",
    "NA_CODE",
    "RECORD_ID",
    "SHEET_FIELDS",
    "VERSION_FIELD",
    "FieldMap",
    "choice_code",
    "code_value",
    "comment_var",
    "declared_name_findings",
    "declared_names_are_short",
    "declared_names_are_unique",
    "declared_names_are_valid",
    "derived_name_findings",
    "field_map",
    "field_var",
    "form_name",
    "informant_code",
    "item_var",
]

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
"""What REDCap accepts as a variable name (length aside)."""

MAX_NAME = 26
"""The length above which REDCap warns about a variable name."""

RECORD_ID = "record_id"
"""The record identifier, the first field of the dictionary."""

VERSION_FIELD = "fi_version"
"""The descriptive field that records the instrument version and its content hash."""

FIELD_PREFIX = "fi_"
"""The prefix of a sheet field's variable: ``fi_assessment``, ``fi_rater``, ..."""

COMMENT_SUFFIX = "_cmt"
"""The suffix of the variable that holds a rater's comment on an item."""

NA_CODE = "NA"
"""The REDCap missing-data code that stands for fidelity's ``NA`` (not applicable)."""

SHEET_FIELDS = ("instrument", "assessment", "rater", "site", "informant", "date", "consensus")
"""The sheet fields that get a variable of their own, in dictionary order."""


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


def field_var(name: str) -> str:
    """The REDCap variable of a sheet field (``assessment`` → ``fi_assessment``)."""
    return FIELD_PREFIX + name


def form_name(inst: Instrument) -> str:
    """The REDCap form (instrument) name: the instrument id with ``_`` for ``-``."""
    return inst.id.replace("-", "_")[:50]


def informant_code(informant_id: str) -> str:
    """The raw REDCap code of an informant (its id with ``_`` for ``-``)."""
    return informant_id.replace("-", "_")


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


# ---------------------------------------------------------------------------------------------
# The rules


@dataclass(frozen=True)
class _Var:
    """One variable fidelity writes: its name, what it means, and the item it belongs to."""

    name: str
    meaning: str
    item: int | None = None
    comment: bool = False
    declared: bool = False


def _variables(inst: Instrument) -> list[_Var]:
    """Every variable of the dictionary of ``inst``, in dictionary order, then the form's
    status field (which REDCap adds)."""
    out = [_Var(RECORD_ID, "the record id"), _Var(VERSION_FIELD, "the version field")]
    out += [_Var(field_var(f), f"sheet field {f}") for f in SHEET_FIELDS]
    for i, it in enumerate(inst.items):
        declared = it.redcap is not None
        out.append(_Var(item_var(it.id, it.redcap), f"item {it.id}", i, False, declared))
        out.append(
            _Var(comment_var(it.id, it.redcap), f"the comment on item {it.id}", i, True, declared)
        )
    out.append(_Var(f"{form_name(inst)}_complete", f"the status field of form {form_name(inst)}"))
    return out


def _clashes(inst: Instrument) -> Iterator[tuple[_Var, _Var]]:
    """Each variable taken twice, as (the one the problem is reported on, the other one):
    once per pair of owners, so an item whose name and comment name both clash with another
    item's is reported once."""
    seen: dict[str, _Var] = {}
    reported: set[tuple[int | None, int | str | None]] = set()
    for var in _variables(inst):
        first = seen.setdefault(var.name, var)
        if first is var or first.item == var.item:
            continue
        mine, other = _culprit(var, first)
        key = (mine.item, other.item if other.item is not None else other.meaning)
        if key not in reported:
            reported.add(key)
            yield mine, other


def _culprit(a: _Var, b: _Var) -> tuple[_Var, _Var]:
    """Which of two clashing variables the problem is reported on: a declared name before a
    derived one, else the later one; a variable of an item before one of fidelity's own."""
    for mine, other in ((a, b), (b, a)):
        if mine.declared:
            return mine, other
    return (a, b) if a.item is not None else (b, a)


def _what(var: _Var) -> str:
    return "the REDCap name of its comment" if var.comment else "REDCap name"


def _declared(inst: Instrument) -> Iterator[tuple[int, str, str]]:
    """(index, item id, declared name) of each item that declares its REDCap name."""
    for i, it in enumerate(inst.items):
        if it.redcap is not None:
            yield i, it.id, it.redcap


def declared_names_are_valid(inst: Instrument) -> Iterator[Finding]:
    """FI113: a declared ``redcap`` name is a REDCap name (:data:`NAME_RE`)."""
    for i, item, name in _declared(inst):
        if not NAME_RE.fullmatch(name):
            yield finding("FI113", at=("items", i, "redcap"), ref=item, item=item, name=repr(name))


def declared_names_are_short(inst: Instrument) -> Iterator[Finding]:
    """FI114: a declared ``redcap`` name has at most :data:`MAX_NAME` characters."""
    for i, item, name in _declared(inst):
        if NAME_RE.fullmatch(name) and len(name) > MAX_NAME:
            at = ("items", i, "redcap")
            yield finding("FI114", at=at, ref=item, item=item, name=repr(name), n=len(name))


def declared_names_are_unique(inst: Instrument) -> Iterator[Finding]:
    """FI115: a declared ``redcap`` name (or its comment's) is no other variable's name."""
    for mine, other in _clashes(inst):
        if mine.declared and mine.item is not None:
            item = inst.items[mine.item].id
            yield finding(
                "FI115",
                at=("items", mine.item, "redcap"),
                ref=item,
                item=item,
                what=_what(mine),
                name=repr(mine.name),
                other=other.meaning,
            )


def declared_name_findings(inst: Instrument) -> list[Finding]:
    """FI113-FI115 on ``inst``: the errors of the names its items declare."""
    checks = (declared_names_are_valid, declared_names_are_short, declared_names_are_unique)
    return [f for check in checks for f in check(inst)]


def derived_name_findings(inst: Instrument) -> Iterator[Finding]:
    """FI301-FI302 (warnings): an item without a declared name whose derived name had to be
    shortened, or whose derived name (or its comment's) is the variable of something else
    too."""
    for i, it in enumerate(inst.items):
        full = it.id.replace("-", "_")
        if it.redcap is None and len(full) > MAX_NAME:
            yield finding(
                "FI301",
                at=("items", i, "id"),
                ref=it.id,
                item=it.id,
                n=len(full),
                name=repr(item_var(it.id)),
            )
    for mine, other in _clashes(inst):
        if not mine.declared and mine.item is not None:
            yield finding(
                "FI302",
                at=("items", mine.item, "id"),
                ref=inst.items[mine.item].id,
                item=inst.items[mine.item].id,
                what=_what(mine),
                name=repr(mine.name),
                other=other.meaning,
            )


# ---------------------------------------------------------------------------------------------
# The mapping


@dataclass(frozen=True)
class FieldMap:
    """How REDCap variables map to a sheet: the record id, the form, the variable of each
    sheet field, item and comment, and the code → value table of each item's choices."""

    record_id: str
    form: str
    spec: str
    content_hash: str
    fields: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    choices: dict[str, dict[str, int]] = field(default_factory=dict)
    informants: dict[str, str] = field(default_factory=dict)
    """Informant code → informant id."""

    @property
    def complete_var(self) -> str:
        """The form's status variable (0 Incomplete, 1 Unverified, 2 Complete)."""
        return f"{self.form}_complete"


def field_map(inst: Instrument) -> FieldMap:
    """The variables fidelity gives ``inst``. :class:`~fidelity.errors.InteropError` names
    every variable that would be invalid or taken twice, each with its lint code
    (FI113-FI115, FI302) and the message ``fidelity lint`` gives."""
    found = [*declared_name_findings(inst), *derived_name_findings(inst)]
    reasons = [f"{inst.spec}: {f.code} {f.message}" for f in found if f.code != "FI301"]
    if reasons:
        raise InteropError(reasons)
    return FieldMap(
        record_id=RECORD_ID,
        form=form_name(inst),
        spec=inst.spec,
        content_hash=inst.content_hash,
        fields={f: field_var(f) for f in SHEET_FIELDS},
        items={it.id: item_var(it.id, it.redcap) for it in inst.items},
        comments={it.id: comment_var(it.id, it.redcap) for it in inst.items},
        choices={
            it.id: {choice_code(lv.value): lv.value for lv in inst.scale_of(it).levels}
            for it in inst.items
        },
        informants={informant_code(i.id): i.id for i in inst.informants},
    )
