"""Validation of rating sheets against an instrument version: :func:`validate` returns every
problem found, :func:`check_sheets` also keeps the arrays that scoring uses.

Each input of a batch is checked by a sequence of named steps (:data:`SEGMENT_STEPS`): the
sheet fields (:mod:`~fidelity.ratings.checks.fields`), then every rating and comment against
its item (:mod:`~fidelity.ratings.checks.values`); the relations between sheets are checked
across all inputs at the end (:mod:`~fidelity.ratings.checks.relations`). Problems are
reported in the order of the inputs, the sheets and the items.
"""

from fidelity.ratings.checks.run import SEGMENT_STEPS, CheckedSheets, check_sheets, validate

__all__ = ["SEGMENT_STEPS", "CheckedSheets", "check_sheets", "validate"]
