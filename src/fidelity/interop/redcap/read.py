"""Reading REDCap raw exports as sheets: :func:`read_redcap`, the same as
:func:`fidelity.ratings.read_sheets` with ``format="redcap"`` (the reader itself is
:mod:`fidelity.ratings.readers.redcap`, where every behaviour is described)."""

from __future__ import annotations

import os

from fidelity.instrument import Instrument
from fidelity.ratings import SheetBatch, read_sheets

__all__ = ["read_redcap"]


def read_redcap(
    path: str | os.PathLike[str],
    *,
    instrument: Instrument | str | None = None,
    dictionary: str | os.PathLike[str] | None = None,
    include_incomplete: bool = False,
) -> SheetBatch:
    """The sheets of a REDCap raw export (``.csv``, or ``.json`` of ``type=flat``):
    ``read_sheets(path, format="redcap", ...)``. Variables map to items through
    ``dictionary`` (checked against the instrument) or the instrument's own dictionary; an
    export that cannot be mapped raises :class:`~fidelity.errors.InteropError`."""
    return read_sheets(
        path,
        format="redcap",
        instrument=instrument,
        dictionary=dictionary,
        include_incomplete=include_incomplete,
    )
