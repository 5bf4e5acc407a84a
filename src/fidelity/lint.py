"""Whole-file checks of instrument files: reading, schema, model and cross-reference rules,
then the release rules of :mod:`fidelity.versions` (locked hash, semver bump, item mappings)
and the warnings about derived REDCap names (FI301, FI302: they matter only to REDCap, so an
instrument that has them still loads).

This module sits above both the instrument layer and the versions layer, which is why these
checks live here and not with the model: the model never depends on versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from fidelity.errors import InstrumentError
from fidelity.instrument import Instrument, InstrumentProblem, read_instrument_file
from fidelity.instrument.problems import dotted
from fidelity.instrument.redcap import derived_name_findings
from fidelity.versions import release_problems
from fidelity.versions.lock import line_finder

__all__ = ["check_instrument_file", "iter_problems", "redcap_name_warnings"]


def check_instrument_file(path: str | Path) -> list[InstrumentProblem]:
    """Every problem in one instrument file (empty when it is valid): reading, schema,
    model and cross-reference rules, each with file and line; then the version rules of
    :func:`fidelity.versions.release_problems` (locked hash, semver bump, item mappings) and
    the warnings about derived REDCap names (``severity == "warning"``)."""
    try:
        inst = read_instrument_file(path)
    except InstrumentError as exc:
        return list(exc.problems)
    return [*release_problems(inst, path), *redcap_name_warnings(inst, path)]


def redcap_name_warnings(inst: Instrument, path: str | Path) -> list[InstrumentProblem]:
    """FI301 and FI302: items whose REDCap name, derived from the id, had to be shortened or
    is taken by another variable (``fidelity export redcap`` refuses the latter)."""
    found = list(derived_name_findings(inst))
    if not found:
        return []
    line_of = line_finder(Path(path))
    return [
        InstrumentProblem(f.code, f.message, str(path), line_of(f.at), dotted(f.at), f.ref)
        for f in found
    ]


def iter_problems(paths: Iterable[str | Path]) -> Iterator[InstrumentProblem]:
    """Problems across several files, file by file."""
    for path in paths:
        yield from check_instrument_file(path)
