"""Reading ``released.lock`` and holding each released version to it when it is loaded.

The lock of an instrument directory (``<dir>/released.lock``, next to the ``<id>/`` folders)
records the content hash of every released ``id@version``. :func:`check_release` is called by
the catalogue each time it loads a released version, from the bundled instruments, a
directory on ``FIDELITY_INSTRUMENT_PATH`` or a plugin alike: a file whose hash differs from its
entry is refused (``FI201``), so an edited release can never be scored under its old
``id@version``; a directory without a lock, or a release its lock does not list yet, is named
once per process with an :class:`~fidelity.errors.UnlockedReleaseWarning`. Writing the lock
(``fidelity lock``) lives in :mod:`fidelity.versions.lock`.
"""

from __future__ import annotations

import os
import warnings
from functools import lru_cache
from pathlib import Path

from fidelity.errors import InstrumentError, UnlockedReleaseWarning
from fidelity.instrument.model import Instrument
from fidelity.instrument.problems import instrument_problem

__all__ = ["LOCK_NAME", "check_release", "forget_lock_warnings", "parse_lock", "read_lock"]

LOCK_NAME = "released.lock"
"""File name of the lock at the root of an instrument directory (next to the ``<id>/``
folders)."""

_WARNED: set[str] = set()
"""Directories (and ``id@version`` specs) already warned about in this process."""


def parse_lock(text: str, source: str) -> dict[str, tuple[str, int]]:
    """The entries of a lock file's text: ``id@version`` → (sha256 hex, line).

    Format: one ``id@version sha256:<hex>`` per line; ``#`` starts a comment. A line in any
    other form raises :class:`ValueError` naming ``source`` and the line."""
    out: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].startswith("sha256:"):
            raise ValueError(f"{source}:{number}: expected 'id@version sha256:<hex>', got {raw!r}")
        out[parts[0]] = (parts[1].removeprefix("sha256:"), number)
    return out


def read_lock(path: str | os.PathLike[str]) -> dict[str, tuple[str, int]]:
    """Read a lock file: ``id@version`` → (sha256 hex, line); see :func:`parse_lock`."""
    return parse_lock(Path(path).read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=64)
def _cached_lock(path: Path, _mtime_ns: int) -> dict[str, tuple[str, int]]:
    return read_lock(path)


def _warn_once(key: str, message: str) -> None:
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(message, UnlockedReleaseWarning, stacklevel=4)


def forget_lock_warnings() -> None:
    """Warn again about directories already warned about (for tests and long sessions)."""
    _WARNED.clear()


def check_release(path: Path, inst: Instrument) -> None:
    """Hold the released ``inst``, loaded from ``<dir>/<id>/<version>.yaml``, to
    ``<dir>/released.lock``: :class:`InstrumentError` (``FI201``) when the hash differs or
    the lock cannot be read, one warning when there is no lock or no entry. Drafts pass."""
    if inst.status != "released":
        return
    root = path.parent.parent
    lock = root / LOCK_NAME
    try:
        entries = _cached_lock(lock, lock.stat().st_mtime_ns)
    except FileNotFoundError:
        _warn_once(
            str(root),
            f"{root} has no {LOCK_NAME}, so its released versions ({inst.spec} and others) "
            f"could change unnoticed; run `fidelity lock {root}` to record them",
        )
        return
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        detail = f"the lock of {inst.spec} cannot be read: {exc}"
        raise InstrumentError([instrument_problem("FI201", file=str(lock), detail=detail)]) from exc
    known = entries.get(inst.spec)
    if known is None:
        _warn_once(
            f"{root}|{inst.spec}",
            f"{inst.spec} is not in {lock}, so it could change unnoticed; run "
            f"`fidelity lock {root}` to record it",
        )
        return
    if known[0] != inst.content_hash:
        detail = (
            f"{inst.spec} hashes to {inst.content_hash} but {lock} (line {known[1]}) records "
            f"{known[0]}: the released file was edited after its release. A released version "
            "never changes: undo the edit, or put the change in a new version (a new file "
            f"{inst.id}/<next version>.yaml, then `fidelity lock {root}`)"
        )
        problem = instrument_problem(
            "FI201", file=str(path), path="version", ref=inst.spec, detail=detail
        )
        raise InstrumentError([problem])
