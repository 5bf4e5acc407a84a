"""The rating-sheet model: the fields of a sheet, the states of an answer, and
:class:`RatingSheet`, the strict model of one sheet.

A *rating sheet* is one rater's ratings of one assessment on one pinned instrument version.
Readers do not build one :class:`RatingSheet` per sheet (see :mod:`fidelity.ratings.batch`);
the model is for building sheets in Python and documents the envelope of
``schemas/rating-sheet.schema.json``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

__all__ = [
    "ABSENT",
    "ANSWERED",
    "COMMENT_SUFFIX",
    "DATE_RE",
    "FIELDS",
    "INT_RE",
    "INVALID",
    "MAX_DIGITS",
    "MISSING",
    "NA",
    "NOT_ASKED",
    "RECORD_KEYS",
    "Mode",
    "RatingSheet",
]

FIELDS = (
    "instrument",
    "assessment",
    "rater",
    "site",
    "informant",
    "date",
    "round",
    "consensus",
)
"""Sheet fields besides ``ratings`` and ``comments``, in the column order of templates.

``round`` labels the audit round (``baseline``, ``6m``, ...): sheets of one assessment id in
different rounds are different assessments."""

COMMENT_SUFFIX = ":comment"
"""A wide CSV/XLSX column ``<item-id>:comment`` holds the rater's comment on that item."""

RECORD_KEYS = frozenset((*FIELDS, "ratings", "comments", "migrations"))
"""Every key a JSON sheet may have."""

DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
"""The form of a sheet's ``date``: ``YYYY-MM-DD`` (the calendar is checked separately)."""

INT_RE = re.compile(r"^-?[0-9]+$")
"""The text of a whole number."""

MAX_DIGITS = 20
"""Digit strings longer than this are far off every scale; they are reported without being
converted (Python refuses to convert more than 4300 digits to an int)."""

# Cell states in the sheets x items state matrix.
ANSWERED = 0
"""A level value was given."""
NA = 1
"""``NA`` (not applicable) was given on an item that allows it."""
MISSING = 2
"""No answer."""
NOT_ASKED = 3
"""No answer, and the item is not asked of the sheet's informant."""
INVALID = 4
"""The cell holds something that is not an answer (reported as a problem)."""

Mode = Literal["text", "cell", "json"]
"""How cells were read: all text (CSV), typed spreadsheet cells (XLSX, DataFrame) or JSON."""


class _Absent:
    """A key not present in a JSON sheet (distinct from an explicit ``null``)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<absent>"


ABSENT = _Absent()
"""The one marker of a key that a JSON sheet does not have."""


_NonEmpty = Annotated[str, StringConstraints(strict=True, min_length=1)]
_Date = Annotated[str, StringConstraints(strict=True, pattern=DATE_RE.pattern)]


class RatingSheet(BaseModel):
    """One rater's ratings of one assessment, as a strict model (the envelope of
    ``schemas/rating-sheet.schema.json``).

    Useful for building sheets in Python; readers do not create one object per sheet (see
    :class:`~fidelity.ratings.batch.SheetBatch`). ``ratings`` maps item ids to a level value,
    ``"NA"`` or ``None`` (missing). Whether the ids and values fit an instrument is checked by
    :func:`~fidelity.ratings.checks.validate`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: _NonEmpty | None = None
    assessment: _NonEmpty
    rater: _NonEmpty
    site: _NonEmpty | None = None
    informant: _NonEmpty | None = None
    date: _Date | None = None
    round: _NonEmpty | None = None
    """The audit round (``baseline``, ``6m``, ...); empty when the audit has one round."""
    consensus: StrictBool = False
    ratings: dict[str, StrictInt | Literal["NA"] | None] = Field(default_factory=dict)
    comments: dict[str, Annotated[str, StringConstraints(strict=True)]] = Field(
        default_factory=dict
    )
    migrations: list[dict[str, Any]] | None = None
    """Provenance written by ``fidelity migrate``: one record per migration step."""

    def to_record(self) -> dict[str, Any]:
        """The sheet as a plain JSON-ready dictionary (unset optional fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)
