"""Find and load instruments: bundled ones, extra directories, and installed plugins.

Every source uses the same layout, ``<dir>/<id>/<version>.yaml``. Sources, in order:

1. the instruments bundled with the library;
2. directories listed in the environment variable ``FIDELITY_INSTRUMENT_PATH``
   (separated by ``os.pathsep``, like ``PATH``);
3. installed packages exposing an entry point in the group ``fidelity.instruments`` whose
   object is a directory (``pathlib.Path`` or ``importlib.resources`` traversable) or a
   callable returning one.

The same ``id@version`` found twice with different content is an error, never a silent choice.
A released version is held to its directory's ``released.lock`` each time it is loaded
(:mod:`fidelity.instrument.lockfile`).

The catalog is the one place that knows where instruments are, so it is also the resolver of
``extends``: it passes :func:`load_instrument` to the loader (:mod:`fidelity.instrument.load`)
as ``resolve_base``. :func:`instrument_from_yaml` and :func:`read_instrument_file` are the
loader with this resolver, so a derived document loads wherever its base is in the catalog.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from fidelity._util.resources import bundled_instruments_dir
from fidelity.errors import CatalogError, InstrumentError
from fidelity.instrument.extends import BaseResolver
from fidelity.instrument.load import parse_instrument, read_instrument
from fidelity.instrument.lockfile import check_release, forget_lock_warnings
from fidelity.instrument.model import SEMVER_PATTERN, Instrument
from fidelity.instrument.problems import instrument_problem

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "CatalogEntry",
    "CatalogError",
    "CatalogProblem",
    "as_instrument",
    "catalog_problems",
    "forget_lock_warnings",
    "instrument_from_yaml",
    "list_instruments",
    "load_instrument",
    "parse_spec",
    "read_instrument_file",
]

ENV_VAR = "FIDELITY_INSTRUMENT_PATH"
ENTRY_POINT_GROUP = "fidelity.instruments"

_SLUG = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_SPEC_RE = re.compile(rf"(?P<id>{_SLUG})(?:@(?P<version>{SEMVER_PATTERN[1:-1]}))?")
"""Matched with ``fullmatch``: ``$`` would let a trailing newline through."""
_VERSION_RE = re.compile(SEMVER_PATTERN)


@dataclass(frozen=True)
class CatalogEntry:
    """One instrument version the catalog can load."""

    id: str
    version: str
    path: Path
    source: str
    """``bundled``, ``path:<dir>`` or ``plugin:<distribution>``."""

    @property
    def spec(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    def load(self) -> Instrument:
        """Load and validate this entry's file."""
        return _load_file(self.path, self.id, self.version)


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``id`` or ``id@version``; refuse anything else with a clear message."""
    match = _SPEC_RE.fullmatch(spec)
    if match is None:
        raise CatalogError(
            f"{spec!r} is not an instrument spec: use an id (lowercase letters, digits and "
            "single hyphens, e.g. 'enrich-peer-support'), optionally with '@MAJOR.MINOR.PATCH', "
            "or the path of an existing .yaml file"
        )
    return match["id"], match["version"]


def _semver_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@dataclass(frozen=True)
class CatalogProblem:
    """Something in the catalogue's sources that was skipped: a directory that cannot be
    read, a dangling symbolic link, a FIFO or other non-regular file, a plugin that failed
    to load. The rest of the catalogue is still listed and loaded."""

    path: str
    """The file or directory, or the plugin's entry point (``name = value``)."""
    source: str
    """``bundled``, ``path:<dir>`` or ``plugin:<distribution>``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path} ({self.source}): {self.message}"


_Found = CatalogEntry | CatalogProblem


def _skipped(path: Path | str, source: str, exc: OSError | str) -> CatalogProblem:
    why = exc if isinstance(exc, str) else (exc.strerror or str(exc))
    return CatalogProblem(str(path), source, f"skipped: {why}")


def _regular(path: Path, source: str) -> CatalogProblem | None:
    """``None`` for a regular file (after symbolic links), else why it is skipped: only
    regular files are opened, so a FIFO cannot block the listing."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return _skipped(path, source, "a symbolic link to a file that does not exist")
    except OSError as exc:
        return _skipped(path, source, exc)
    return None if stat.S_ISREG(mode) else _skipped(path, source, "not a regular file")


def _children(root: Path, source: str) -> list[Path] | CatalogProblem:
    """The entries of a directory, sorted, or why it cannot be listed."""
    try:
        return sorted(root.iterdir())
    except OSError as exc:
        return _skipped(root, source, exc)


def _scan(root: Path, source: str) -> Iterator[_Found]:
    """The entries under ``root`` (``<id>/<version>.yaml``), and a problem for each part
    that is skipped. A root that does not exist is skipped silently, like a ``PATH`` entry,
    unless it is a dangling symbolic link."""
    if not root.is_dir():
        if root.is_symlink() or root.exists():
            yield _skipped(root, source, "not a directory (or a dangling symbolic link)")
        return
    listed = _children(root, source)
    if isinstance(listed, CatalogProblem):
        yield listed
        return
    for inst_dir in listed:
        if _SPEC_RE.fullmatch(inst_dir.name) is None or "@" in inst_dir.name:
            continue
        if not inst_dir.is_dir():
            continue
        files = _children(inst_dir, source)
        if isinstance(files, CatalogProblem):
            yield files
            continue
        for file in files:
            if file.suffix != ".yaml" or not _VERSION_RE.fullmatch(file.stem):
                continue
            yield _regular(file, source) or CatalogEntry(inst_dir.name, file.stem, file, source)


_BROKEN_PLUGIN = (Exception, SystemExit, KeyboardInterrupt)
"""What a plugin's entry point may raise and still be skipped: a plugin must not end the
command (``SystemExit``) or pass for a Ctrl-C (``KeyboardInterrupt``)."""


def _plugin_roots() -> Iterator[tuple[Path, str] | CatalogProblem]:
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.value
        try:
            obj: Any = ep.load()
            if callable(obj) and not isinstance(obj, Path):
                obj = obj()
            if obj is None or (
                not isinstance(obj, str | os.PathLike) and not hasattr(obj, "iterdir")
            ):
                raise TypeError(f"it gave {type(obj).__name__}, not a directory")
            root = Path(str(obj))
        except _BROKEN_PLUGIN as exc:  # a broken plugin must not hide the other instruments
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            yield CatalogProblem(
                f"{ep.name} = {ep.value}",
                f"plugin:{dist}",
                f"instrument plugin {ep.name!r} ({dist}) failed to load; skipped: {why}",
            )
            continue
        yield root, f"plugin:{dist}"


def _roots() -> Iterator[tuple[Path, str] | CatalogProblem]:
    yield bundled_instruments_dir(), "bundled"
    for part in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if part.strip():
            yield Path(part).expanduser(), f"path:{part}"
    yield from _plugin_roots()


def _found() -> Iterator[_Found]:
    for root in _roots():
        if isinstance(root, CatalogProblem):
            yield root
        else:
            yield from _scan(*root)


def _entries() -> list[CatalogEntry]:
    return [f for f in _found() if isinstance(f, CatalogEntry)]


def catalog_problems() -> list[CatalogProblem]:
    """What the catalogue skipped while looking for instruments (unreadable directories,
    dangling symbolic links, files that are not regular files, plugins that failed to load),
    in the order of the sources. :func:`list_instruments` lists everything else."""
    return [f for f in _found() if isinstance(f, CatalogProblem)]


def list_instruments() -> list[CatalogEntry]:
    """Every instrument version available, sorted by id then version."""
    return sorted(_entries(), key=lambda e: (e.id, _semver_key(e.version), e.source))


def as_instrument(inst: Instrument | str | os.PathLike[str]) -> Instrument:
    """``inst`` itself when it is an :class:`Instrument`; a spec (``id``, ``id@version`` or a
    path to a YAML file) loaded with :func:`load_instrument`. Anything else is a
    ``TypeError`` naming what was given and what is accepted."""
    if isinstance(inst, Instrument):
        return inst
    if isinstance(inst, str | os.PathLike):
        return load_instrument(inst)
    raise TypeError(
        "instrument must be an Instrument or an instrument spec: 'id', 'id@version' or the "
        f"path of an instrument file (as load_instrument takes), not {type(inst).__name__}"
    )


def load_instrument(spec: str | os.PathLike[str]) -> Instrument:
    """Load an instrument by ``id`` (newest released version), ``id@version``, or file path.

    Raises :class:`CatalogError` for an unknown or malformed spec and
    :class:`~fidelity.instrument.InstrumentError` (with file and line) for an invalid file.
    """
    if isinstance(spec, os.PathLike) or str(spec).endswith((".yaml", ".yml")):
        path = Path(spec)
        if not path.is_file():
            raise CatalogError(f"instrument file not found: {path}")
        return read_instrument_file(path)
    if not isinstance(spec, str):
        raise TypeError(f"instrument spec must be a string or a path, not {type(spec).__name__}")
    inst_id, version = parse_spec(spec)
    candidates = [e for e in _entries() if e.id == inst_id]
    if not candidates:
        known = sorted({e.id for e in _entries()})
        raise CatalogError(
            f"no instrument {inst_id!r}; available: {', '.join(known) or 'none'} "
            f"(add directories with {ENV_VAR})"
        )
    if version is None:
        released = []
        for entry in candidates:
            inst = entry.load()
            if inst.status == "released":
                released.append(entry)
        pool = released or candidates
        version = max((e.version for e in pool), key=_semver_key)
    matches = [e for e in candidates if e.version == version]
    if not matches:
        have = ", ".join(sorted({e.version for e in candidates}, key=_semver_key))
        raise CatalogError(f"no version {version} of {inst_id!r}; available versions: {have}")
    loaded = [(e, e.load()) for e in matches]
    first_entry, first = loaded[0]
    for entry, other in loaded[1:]:
        if other.content_hash != first.content_hash:
            raise CatalogError(
                f"{inst_id}@{version} is defined twice with different content: "
                f"{first_entry.path} ({first_entry.source}) and {entry.path} ({entry.source})"
            )
    return first


def _load_file(path: Path, inst_id: str, version: str) -> Instrument:
    try:
        inst = _cached_load(path, path.stat().st_mtime_ns)
    except OSError as exc:  # gone or unreadable since it was listed
        detail = f"cannot read file: {exc.strerror or exc}"
        raise InstrumentError([instrument_problem("FI000", file=str(path), detail=detail)]) from exc
    if inst.id != inst_id or inst.version != version:
        problem = instrument_problem(
            "FI111",
            file=str(path),
            line=1,
            ref=inst.id,
            declared=inst.spec,
            placed=f"{inst_id}@{version}",
            id=inst.id,
            version=inst.version,
        )
        raise InstrumentError([problem])
    check_release(path, inst)
    return inst


@lru_cache(maxsize=256)
def _cached_load(path: Path, _mtime_ns: int) -> Instrument:
    return read_instrument(path, resolve_base=load_instrument)


# -- the loader with the catalog as the resolver of ``extends`` --------------------------------


def instrument_from_yaml(
    text: str | bytes, *, source: str = "<string>", resolve_base: BaseResolver | None = None
) -> Instrument:
    """Parse and validate an instrument document; raise :class:`InstrumentError` listing every
    problem with its line. A base named by ``extends`` is found in the catalog unless
    ``resolve_base`` is given."""
    return parse_instrument(text, source=source, resolve_base=resolve_base or load_instrument)


def read_instrument_file(
    path: str | Path, *, resolve_base: BaseResolver | None = None
) -> Instrument:
    """Load one instrument file; raise :class:`InstrumentError` naming the file and line. A
    base named by ``extends`` is found in the catalog unless ``resolve_base`` is given."""
    return read_instrument(path, resolve_base=resolve_base or load_instrument)
