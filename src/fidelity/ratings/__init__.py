"""Rating sheets: the sheet model, readers for every format, validation and problems.

A *rating sheet* is one rater's ratings of one assessment on one pinned instrument version.
Sheets arrive as JSON (one object or a list), JSON Lines, CSV (wide: one row per sheet and one
column per item; long: one row per rating), XLSX (the wide layout of ``fidelity template``) or
a pandas DataFrame. Every reader produces a :class:`SheetBatch`, a column-oriented table of the
raw cell values plus where each sheet came from (file and row, line or list index), so that a
hundred thousand sheets are checked and scored with array operations rather than one Python
object per sheet.

Rating values are checked exactly, never coerced:

* a rating is a level value of the item's scale, the code ``NA`` (not applicable, only on items
  that allow it, spelled exactly ``NA``) or empty (missing);
* in CSV every cell is text, so the cell ``3`` is the level 3, but ``3.0``, `` 3`` or ``three``
  are problems; XLSX cells and DataFrame cells may be whole numbers or such text;
* JSON is typed: ``3`` is a level, while ``"3"``, ``3.0``, ``3.5`` and ``true`` are problems.

:func:`validate` returns every problem found (not just the first), each with a stable code
(``FR0xx`` reading a file, ``FR1xx`` item values, ``FR2xx`` sheet fields, ``FR3xx`` relations
between sheets; see ``docs/reference/problem-codes.md``), the sheet it is about, the JSON path
or column, the item's id and text, the bad value and the allowed values in plain words.
Missing answers to required items are *warnings*: they are reported, but the sheet can still be
scored (the scoring rules decide whether a domain has enough answers). Everything else is an
*error* and stops scoring.

The modules: :mod:`~fidelity.ratings.problems` (problems and their builder),
:mod:`~fidelity.ratings.sheet` (the sheet model), :mod:`~fidelity.ratings.compiled` (the
compiled instrument and the per-version JSON Schema), :mod:`~fidelity.ratings.batch` (batches
and reading), :mod:`~fidelity.ratings.readers` (one module per format) and
:mod:`~fidelity.ratings.checks` (field, value and relation checks).
"""

from fidelity.errors import SheetsInvalidError
from fidelity.ratings.batch import SheetBatch, as_batch, read_sheets
from fidelity.ratings.checks.run import check_sheets, validate
from fidelity.ratings.compiled import (
    CompiledInstrument,
    compile_instrument,
    describe_item,
    sheet_schema,
)
from fidelity.ratings.problems import Problem, ProblemList, SheetRef
from fidelity.ratings.readers._common import MAX_FILE_BYTES
from fidelity.ratings.sheet import (
    ANSWERED,
    COMMENT_SUFFIX,
    FIELDS,
    INVALID,
    MISSING,
    NA,
    NOT_ASKED,
    RatingSheet,
)

__all__ = [
    "ANSWERED",
    "COMMENT_SUFFIX",
    "FIELDS",
    "INVALID",
    "MAX_FILE_BYTES",
    "MISSING",
    "NA",
    "NOT_ASKED",
    "CompiledInstrument",
    "Problem",
    "ProblemList",
    "RatingSheet",
    "SheetBatch",
    "SheetRef",
    "SheetsInvalidError",
    "as_batch",
    "check_sheets",
    "compile_instrument",
    "describe_item",
    "read_sheets",
    "sheet_schema",
    "validate",
]
