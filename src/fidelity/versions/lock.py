"""The lock file of released versions: ``<dir>/released.lock``, one content hash per released
``id@version``, so that a released version can never change unnoticed."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fidelity._util.atomic import atomic_write
from fidelity.codes import rule
from fidelity.errors import LockError, YamlError
from fidelity.instrument import Instrument, InstrumentError, InstrumentProblem, read_instrument_file
from fidelity.instrument._yaml import read_yaml_text
from fidelity.instrument.lockfile import LOCK_NAME, read_lock
from fidelity.versions.semver import parse_version

__all__ = [
    "LOCK_NAME",
    "LockReport",
    "format_lock",
    "line_finder",
    "lock_path_for",
    "read_lock",
    "update_lock",
]

_HEADER = (
    "# Content hashes (sha256 of the canonical JSON form) of released instrument versions.",
    "# A released version never changes: `fidelity lint` and the test suite compare every",
    "# file against this list. Add a line when you release a version (`fidelity lock DIR`);",
    "# never edit an existing one.",
)

LineFinder = Callable[[tuple[Any, ...]], int | None]


def _spec_order(spec: str) -> tuple[str, tuple[int, int, int]]:
    inst_id, version = spec.split("@")
    return inst_id, parse_version(version)


def format_lock(entries: Mapping[str, str]) -> str:
    """The text of a lock file for ``id@version`` → sha256 hex, sorted by id then version."""
    lines = [*_HEADER]
    lines += [f"{spec} sha256:{entries[spec]}" for spec in sorted(entries, key=_spec_order)]
    return "\n".join(lines) + "\n"


def lock_path_for(file: str | os.PathLike[str]) -> Path:
    """Where the lock for an instrument file lives: ``<root>/released.lock`` for a file at
    ``<root>/<id>/<version>.yaml``."""
    return Path(file).resolve().parent.parent / LOCK_NAME


def line_finder(path: Path) -> LineFinder:
    """The line of a key path (``("version",)``) in an instrument file, for problems that
    point into it; a finder that knows no line when the file cannot be read again."""
    try:
        return read_yaml_text(path.read_bytes(), source=str(path)).line_of
    except (OSError, YamlError):  # pragma: no cover - the file was just read successfully

        def nowhere(_: tuple[Any, ...]) -> int | None:
            return None

        return nowhere


@dataclass(frozen=True)
class LockReport:
    """What :func:`update_lock` found."""

    path: Path
    locked: tuple[str, ...]
    added: tuple[str, ...]


def _released_files(root: Path) -> list[Path]:
    """``<root>/<id>/<version>.yaml`` files (other YAML files are not versions)."""
    out = []
    for file in sorted(root.glob("*/*.yaml")):
        try:
            parse_version(file.stem)
        except ValueError:
            continue
        out.append(file)
    return out


def _changed(file: Path, inst: Instrument, lock: Path, known: str) -> tuple[InstrumentProblem, str]:
    """The FI201 problem of a released file that no longer matches its lock entry, and the
    line ``fidelity lock`` prints for it."""
    r = rule("FI201")
    message = r.message(
        detail=f"{inst.spec} hashes to {inst.content_hash} but {lock} records {known}: "
        "a released version never changes"
    )
    problem = InstrumentProblem(
        code=r.code,
        message=message,
        file=str(file),
        line=line_finder(file)(("version",)),
        path="version",
        ref=inst.spec,
    )
    return problem, f"{file}: {message}"


def update_lock(directory: str | os.PathLike[str], *, write: bool = True) -> LockReport:
    """Add every released ``<dir>/<id>/<version>.yaml`` missing from ``<dir>/released.lock``.

    Existing entries are never changed; a released file whose hash differs from its entry
    (or that does not load) raises :class:`LockError` listing every such problem. Draft
    versions are not locked."""
    root = Path(directory)
    lock = root / LOCK_NAME
    entries = {k: v[0] for k, v in read_lock(lock).items()} if lock.is_file() else {}
    problems: list[InstrumentProblem] = []
    lines: list[str] = []
    added: list[str] = []
    for file in _released_files(root):
        try:
            inst = read_instrument_file(file)
        except InstrumentError as exc:
            problems.extend(exc.problems)
            lines.extend(str(p) for p in exc.problems)
            continue
        if inst.status != "released":
            continue
        known = entries.get(inst.spec)
        if known is None:
            entries[inst.spec] = inst.content_hash
            added.append(inst.spec)
        elif known != inst.content_hash:
            problem, line = _changed(file, inst, lock, known)
            problems.append(problem)
            lines.append(line)
    if problems:
        raise LockError(problems, message="\n".join(lines))
    if added and write:
        atomic_write(lock, format_lock(entries))
    return LockReport(lock, tuple(sorted(entries)), tuple(added))
