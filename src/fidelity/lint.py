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
from fidelity.instrument.catalog import load_instrument
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
    is taken by another variable (``fidelity export redcap`` refuses the latter). In a derived
    instrument (``extends``) only what its own items add is reported, at their place in its
    file: the base's warnings are the base's."""
    found = list(derived_name_findings(inst))
    if not found:
        return []
    inherited: set[str] = set()
    if inst.extends is not None:
        base = load_instrument(inst.extends)
        inherited = {it.id for it in base.items}
        known = {(f.code, f.ref, f.message) for f in derived_name_findings(base)}
        found = [f for f in found if (f.code, f.ref, f.message) not in known]
    own = [it.id for it in inst.items if it.id not in inherited]
    line_of = line_finder(Path(path))
    out = []
    for f in found:
        at = f.at
        if at[:1] == ("items",) and f.ref in own:
            at = ("items", own.index(f.ref), *at[2:])
        out.append(InstrumentProblem(f.code, f.message, str(path), line_of(at), dotted(at), f.ref))
    return out


def iter_problems(paths: Iterable[str | Path]) -> Iterator[InstrumentProblem]:
    """Problems across several files, file by file."""
    for path in paths:
        yield from check_instrument_file(path)
