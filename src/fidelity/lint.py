"""Whole-file checks of instrument files: reading, schema, model and cross-reference rules,
then the release rules of :mod:`fidelity.versions` (locked hash, semver bump, item mappings).

This module sits above both the instrument layer and the versions layer, which is why these
checks live here and not with the model: the model never depends on versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from fidelity.errors import InstrumentError
from fidelity.instrument import InstrumentProblem, read_instrument_file
from fidelity.versions import release_problems

__all__ = ["check_instrument_file", "iter_problems"]


def check_instrument_file(path: str | Path) -> list[InstrumentProblem]:
    """Every problem in one instrument file (empty when it is valid): reading, schema,
    model and cross-reference rules, each with file and line; then the version rules of
    :func:`fidelity.versions.release_problems` (locked hash, semver bump, item mappings)."""
    try:
        inst = read_instrument_file(path)
    except InstrumentError as exc:
        return list(exc.problems)
    return release_problems(inst, path)


def iter_problems(paths: Iterable[str | Path]) -> Iterator[InstrumentProblem]:
    """Problems across several files, file by file."""
    for path in paths:
        yield from check_instrument_file(path)
