"""Instruments as data: the immutable model, its rules, bounded YAML reading, ``extends``,
loading, and the catalog that finds instruments by id.

Modules, bottom up: :mod:`~fidelity.instrument.problems` (problem values built from the
registry of codes), :mod:`~fidelity.instrument.rules` (one function per cross-reference
rule), :mod:`~fidelity.instrument.model` (the pydantic models), ``_yaml`` (bounded safe
YAML), :mod:`~fidelity.instrument.extends` (merging a derived file onto its base, with an
injected resolver), :mod:`~fidelity.instrument.load` (the loading pipeline) and
:mod:`~fidelity.instrument.catalog` (where instruments are; the resolver of ``extends``).
Whole-file checks that include the release rules are in :mod:`fidelity.lint`.
"""

from fidelity.errors import InstrumentError
from fidelity.instrument.catalog import instrument_from_yaml, read_instrument_file
from fidelity.instrument.model import (
    EXTENDS_PATTERN,
    SEMVER_PATTERN,
    SLUG_PATTERN,
    Band,
    Citation,
    Code,
    Domain,
    Informant,
    Instrument,
    Item,
    Level,
    Principle,
    Scale,
    Scoring,
)
from fidelity.instrument.problems import InstrumentProblem

__all__ = [
    "EXTENDS_PATTERN",
    "SEMVER_PATTERN",
    "SLUG_PATTERN",
    "Band",
    "Citation",
    "Code",
    "Domain",
    "Informant",
    "Instrument",
    "InstrumentError",
    "InstrumentProblem",
    "Item",
    "Level",
    "Principle",
    "Scale",
    "Scoring",
    "instrument_from_yaml",
    "read_instrument_file",
]
