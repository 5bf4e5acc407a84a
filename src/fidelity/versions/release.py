"""The version rules ``fidelity lint`` adds for a valid instrument file, one function per rule:

FI201 a released version whose content hash differs from the lock file;
FI202 ``changes.previous`` that cannot be found or is not lower;
FI203 ``changes.item_map`` names an item the previous version does not have, or maps an item
onto an id another item still holds;
FI204 the version bump is smaller than the changes since the previous version require.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path

from fidelity.codes import rule
from fidelity.errors import CatalogError
from fidelity.instrument import Instrument, InstrumentError, InstrumentProblem, read_instrument_file
from fidelity.instrument.catalog import list_instruments
from fidelity.versions.changes import Diff
from fidelity.versions.diff import diff
from fidelity.versions.lock import LineFinder, line_finder, lock_path_for, read_lock
from fidelity.versions.semver import bump_ok, parse_version

__all__ = ["RELEASE_RULES", "Release", "previous_version", "release_problems"]

_LISTED = 8  # changes named in an FI204 message


def _siblings(file: Path) -> dict[str, Path]:
    """Other version files in the same directory as ``file``, by version."""
    out: dict[str, Path] = {}
    for candidate in file.parent.glob("*.yaml"):
        if candidate.resolve() == file.resolve():
            continue
        try:
            parse_version(candidate.stem)
        except ValueError:
            continue
        out[candidate.stem] = candidate
    return out


_Versions = dict[str, Callable[[], Instrument]]


def _candidates(inst: Instrument, file: str | os.PathLike[str] | None) -> _Versions:
    """Loaders of the other versions of ``inst``: from the catalog, then (winning) the
    files next to ``file``."""
    found: _Versions = {}
    try:
        for entry in list_instruments():
            if entry.id == inst.id:
                found[entry.version] = entry.load
    except CatalogError:
        pass
    if file is not None:
        for version, path in _siblings(Path(file)).items():
            found[version] = partial(read_instrument_file, path)
    found.pop(inst.version, None)
    return found


def _chosen(inst: Instrument, candidates: _Versions) -> tuple[str | None, str | None]:
    """The version to compare with (``changes.previous``, else the highest lower one), or
    why the declared one will not do."""
    wanted = inst.changes.previous if inst.changes is not None else None
    if wanted is None:
        lower = [v for v in candidates if parse_version(v) < parse_version(inst.version)]
        return (max(lower, key=parse_version) if lower else None), None
    if parse_version(wanted) >= parse_version(inst.version):
        return None, (
            f"changes.previous is {wanted}, which is not lower than this version {inst.version}"
        )
    if wanted not in candidates:
        have = ", ".join(sorted(candidates, key=parse_version)) or "none"
        return None, (
            f"changes.previous names {inst.id}@{wanted}, which cannot be found next to this "
            f"file or in the catalog (versions found: {have})"
        )
    return wanted, None


def previous_version(
    inst: Instrument, file: str | os.PathLike[str] | None = None
) -> tuple[Instrument | None, str | None]:
    """The version ``inst`` should be compared with, and a problem message if it cannot be
    found. Looks next to ``file`` first, then in the catalog. Uses ``changes.previous`` when
    it is given, else the highest lower version."""
    candidates = _candidates(inst, file)
    chosen, why = _chosen(inst, candidates)
    if chosen is None:
        return None, why
    try:
        return candidates[chosen](), None
    except (InstrumentError, CatalogError, LookupError, OSError) as exc:
        return None, f"previous version {inst.id}@{chosen} does not load: {exc}"


@dataclass
class Release:
    """One valid instrument file under the version rules; what the rules share is found once."""

    inst: Instrument
    path: Path

    @cached_property
    def line_of(self) -> LineFinder:
        """The line of a key path in the file."""
        return line_finder(self.path)

    @cached_property
    def previous(self) -> tuple[Instrument | None, str | None]:
        """:func:`previous_version` of the file."""
        return previous_version(self.inst, self.path)

    @cached_property
    def diff(self) -> Diff | None:
        """The changes since the previous version (``None`` when there is none)."""
        prev = self.previous[0]
        return diff(prev, self.inst) if prev is not None else None

    def problem(self, code: str, message: str, key: tuple[str, ...], ref: str) -> InstrumentProblem:
        """A problem of rule ``code`` at the value under ``key``."""
        return InstrumentProblem(
            code=rule(code).code,
            message=message,
            file=str(self.path),
            line=self.line_of(key),
            path=".".join(key),
            ref=ref,
        )


def locked_hash(r: Release) -> list[InstrumentProblem]:
    """FI201: a released version changed since it was locked (or the lock is unreadable)."""
    lock = lock_path_for(r.path)
    if r.inst.status != "released" or not lock.is_file():
        return []
    try:
        entries = read_lock(lock)
    except ValueError as exc:
        return [InstrumentProblem(code=rule("FI201").code, message=str(exc), file=str(lock))]
    locked = entries.get(r.inst.spec)
    if locked is None or locked[0] == r.inst.content_hash:
        return []
    message = rule("FI201").message(
        detail=f"{r.inst.spec} is released and locked with content hash {locked[0][:12]}… "
        f"({lock}:{locked[1]}), but this file hashes to {r.inst.content_hash[:12]}…: a "
        "released version never changes; put the change in a new version"
    )
    return [r.problem("FI201", message, ("version",), r.inst.spec)]


def previous_found(r: Release) -> list[InstrumentProblem]:
    """FI202: ``changes.previous`` names no lower version that can be found."""
    why = r.previous[1]
    if why is None:
        return []
    message = rule("FI202").message(detail=why)
    return [r.problem("FI202", message, ("changes", "previous"), r.inst.spec)]


def item_map_fits(r: Release) -> list[InstrumentProblem]:
    """FI203: ``changes.item_map`` conflicts with the previous version's items."""
    if r.diff is None:
        return []
    return [
        r.problem(
            "FI203",
            rule("FI203").message(detail=mp.message),
            ("changes", "item_map", mp.old_item),
            mp.old_item,
        )
        for mp in r.diff.mapping_problems
    ]


def bump_big_enough(r: Release) -> list[InstrumentProblem]:
    """FI204: the version bump is smaller than the changes require."""
    d = r.diff
    if d is None:
        return []
    actual = d.actual_bump  # previous_version() only returns lower versions
    needed = d.required_bump
    if bump_ok(actual, needed):
        return []
    reasons = d.requiring(d.severity)
    listed = "; ".join(c.message for c in reasons[:_LISTED])
    more = f"; and {len(reasons) - _LISTED} more" if len(reasons) > _LISTED else ""
    message = rule("FI204").message(
        old=d.old.version,
        new=r.inst.version,
        actual=actual,
        since=d.old.spec,
        severity=d.severity,
        needed=needed,
        changes=listed + more,
    )
    return [r.problem("FI204", message, ("version",), r.inst.spec)]


RELEASE_RULES: tuple[Callable[[Release], list[InstrumentProblem]], ...] = (
    locked_hash,
    previous_found,
    item_map_fits,
    bump_big_enough,
)
"""The version rules, in the order their problems are reported."""


def release_problems(inst: Instrument, file: str | os.PathLike[str]) -> list[InstrumentProblem]:
    """The version rules ``fidelity lint`` adds for a valid instrument file (FI201-FI204, see
    the module docstring)."""
    r = Release(inst, Path(file))
    return [problem for check in RELEASE_RULES for problem in check(r)]
