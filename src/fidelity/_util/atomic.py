"""Outputs written as one set: a reader finds the previous set or the new one, never a mix.

A single file is replaced atomically (:func:`atomic_write`: staged beside its target, synced,
renamed over it). A *set* of files cannot be renamed into a directory in one step, so
:func:`write_all` publishes it as a small transaction, per output directory:

1. **Lock.** The directory is locked (an advisory ``flock`` on the directory itself; on Windows
   a lock file, ``.fidelity.lock``);
   a concurrent run into the same directory waits for it (up to :data:`LOCK_TIMEOUT` seconds),
   so runs are serialised and never interleave.
2. **Recover and clean.** A journal left by a run that was killed while publishing is rolled
   forward (or back, if that run was rolling back), then every temporary file an earlier
   killed run left behind (``.NAME.fidelity-HEX.tmp``/``.old``) is removed: with the lock held,
   none can belong to a live run.
3. **Stage.** Every file is written to a temporary file beside its target and synced; the
   previous version of each target is kept as a hard link (or a copy), to roll back to.
4. **Commit.** The journal (``.fidelity-journal.json``, naming every staged file) is written
   atomically: from now on the new set is what the directory will hold, even after a kill.
5. **Publish.** The previous manifest is removed, every staged file is renamed over its
   target, and the new manifest, naming each file of the set with its size and SHA-256, is
   written last; the journal and the kept versions are removed.

A failure or Ctrl-C up to step 4 leaves the previous set untouched; one during step 5 puts
the previous set back (from the kept versions) before :class:`OutputError` is raised; a
SIGKILL during step 5 is completed by the next run into the directory (step 2). A reader
therefore knows it holds one whole set when the manifest is present and every file's SHA-256
matches it (:func:`read_output_set`); while a run is publishing the manifest is absent.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "JOURNAL",
    "LOCK",
    "LOCK_TIMEOUT",
    "Content",
    "Data",
    "OutputError",
    "OutputSetError",
    "atomic_write",
    "directory_lock",
    "read_output_set",
    "recover",
    "write_all",
]

LOCK = ".fidelity.lock"
"""The lock file of an output directory where a directory cannot be locked itself (Windows;
kept: removing a lock file races with its users). On POSIX systems the directory is locked."""
JOURNAL = ".fidelity-journal.json"
"""The journal of a set being published; present only while a run publishes or after a kill."""
MANIFEST_FORMAT = "fidelity-output-set/1"
LOCK_TIMEOUT = 300.0
"""How long a run waits for another run writing into the same directory, in seconds."""
Data = str | bytes | memoryview
"""A file's content: text (written as UTF-8) or its bytes (a view of a buffer, too)."""
Content = Data | Callable[[], Data]
"""A file's content, or a callable giving it when the file is staged: the content of later
files can still be in the making while earlier ones are written."""
_TEMP = re.compile(r"^\..+\.fidelity-[0-9a-f]{16}\.(tmp|old)$")
_LEGACY_TEMP = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")


class OutputError(OSError):
    """An output file could not be written; the previous outputs are left as they were."""

    def __init__(self, path: Path, exc: OSError) -> None:
        super().__init__(exc.errno, f"cannot write {path}: {exc.strerror or exc}")
        self.path = path
        self.reason = exc.strerror or str(exc)


class OutputSetError(ValueError):
    """A directory does not hold one whole output set (see :func:`read_output_set`)."""


def _temp(path: Path, kind: str = "tmp") -> Path:
    return path.with_name(f".{path.name}.fidelity-{secrets.token_hex(8)}.{kind}")


def _stage(path: Path, data: Data) -> Path:
    """Write ``data`` to a new temporary file beside ``path`` (synced, with the permissions a
    plain ``open()`` would give) and return it; nothing is left behind on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _temp(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _sync_dir(directory: Path) -> None:
    """Make renames in ``directory`` durable (where the platform allows it)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: Data) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = _stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- the directory lock -----------------------------------------------------------------------


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def directory_lock(directory: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold ``directory``'s lock, waiting up to ``timeout`` seconds (:data:`LOCK_TIMEOUT`) for
    another run to release it; the lock is released when the process ends, however it ends."""
    directory.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":  # the directory itself is locked: no lock file is left behind
        path = directory
        fd = os.open(directory, os.O_RDONLY)
    else:  # pragma: no cover - Windows locks a byte of a lock file
        path = directory / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + (LOCK_TIMEOUT if timeout is None else timeout)
        delay = 0.005
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                reason = "another run is writing to this directory (its lock is held)"
                raise OutputError(path, OSError(errno.EWOULDBLOCK, reason))
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# -- the transaction of one directory ---------------------------------------------------------


@dataclass
class _Entry:
    """One file of a set: its target, the staged new version and the kept old one."""

    target: Path
    staged: Path
    backup: Path | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "target": self.target.name,
            "staged": self.staged.name,
            "backup": self.backup.name if self.backup else None,
        }

    @classmethod
    def from_json(cls, directory: Path, data: dict[str, Any]) -> _Entry:
        backup = directory / data["backup"] if data.get("backup") else None
        return cls(directory / data["target"], directory / data["staged"], backup)


def _keep(target: Path) -> Path | None:
    """A second name (or a copy) of ``target``'s current version, to roll back to."""
    if not target.exists():
        return None
    backup = _temp(target, "old")
    try:
        os.link(target, backup)
    except OSError:  # no hard links on this file system
        shutil.copy2(target, backup)
    return backup


def _sha256(raw: bytes | memoryview) -> str:
    return hashlib.sha256(raw).hexdigest()


def _manifest(run: str, listed: list[tuple[str, int, str]]) -> bytes:
    """The manifest of one directory's set: each file's name, size and SHA-256."""
    files = [{"name": name, "bytes": size, "sha256": digest} for name, size, digest in listed]
    when = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    doc = {"format": MANIFEST_FORMAT, "run": run, "written": when, "files": files}
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


class _Publication:
    """The files of one directory, staged, committed by the journal and published."""

    def __init__(self, directory: Path, files: Mapping[Path, Content], manifest: str | None):
        self.directory = directory
        self.files = files
        self.manifest = directory / manifest if manifest else None
        self.entries: list[_Entry] = []

    def stage(self, run: str) -> None:
        """Step 3: every file (the manifest last) staged, every previous version kept. Each
        file is written, synced and hashed on a worker thread while the calling thread makes
        the next file's content (a callable content is called there, in order): writing and
        hashing run outside Python's lock, so they overlap with it where a core is free."""
        listed: list[tuple[str, int, Future[str]]] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fidelity-stage") as stager:
            for target, content in self.files.items():
                if any(job.done() and job.exception() for _, _, job in listed):
                    break  # a file could not be staged: the others need not be made
                raw = _encode(target, content() if callable(content) else content)
                listed.append((target.name, len(raw), stager.submit(self._staged, target, raw)))
        digests = [(name, size, job.result()) for name, size, job in listed]  # the first error
        if self.manifest is not None:
            self._stage_one(self.manifest, _manifest(run, digests))

    def _staged(self, target: Path, raw: bytes | memoryview) -> str:
        """Stage one file; its SHA-256 when the set has a manifest."""
        self._stage_one(target, raw)
        return _sha256(raw) if self.manifest is not None else ""

    def _stage_one(self, target: Path, raw: bytes | memoryview) -> None:
        try:
            self.entries.append(_Entry(target, _stage(target, raw)))
            self.entries[-1].backup = _keep(target)
        except OSError as exc:
            raise OutputError(target, exc) from exc

    def commit(self, run: str) -> None:
        """Step 4: the journal, written atomically and synced, is the point of no return."""
        doc = {"run": run, "state": "publish", "entries": [e.to_json() for e in self.entries]}
        _write_journal(self.directory, doc)

    def publish(self) -> None:
        """Step 5: the old manifest out, the files in, the new manifest last."""
        if self.manifest is not None:
            self.manifest.unlink(missing_ok=True)
        for entry in self.entries:
            try:
                os.replace(entry.staged, entry.target)
            except OSError as exc:
                raise OutputError(entry.target, exc) from exc
        try:
            _sync_dir(self.directory)
        except OSError as exc:
            raise OutputError(self.directory, exc) from exc

    def discard(self) -> None:
        """Undo steps 3-4 before anything was published: remove what was staged."""
        for entry in self.entries:
            entry.staged.unlink(missing_ok=True)
            if entry.backup is not None:
                entry.backup.unlink(missing_ok=True)
        (self.directory / JOURNAL).unlink(missing_ok=True)

    def roll_back(self, run: str) -> None:
        """Undo a failed step 5: the journal says so first, then the old versions return."""
        doc = {"run": run, "state": "rollback", "entries": [e.to_json() for e in self.entries]}
        _write_journal(self.directory, doc)
        _undo(self.directory, self.entries)


def _write_journal(directory: Path, doc: dict[str, Any]) -> None:
    atomic_write(directory / JOURNAL, json.dumps(doc, indent=1) + "\n")
    _sync_dir(directory)


def _undo(directory: Path, entries: list[_Entry]) -> None:
    """Put back every previous version, remove the files that had none, then forget the run."""
    for entry in entries:
        if entry.backup is not None:
            if entry.backup.exists():
                os.replace(entry.backup, entry.target)
        else:
            entry.target.unlink(missing_ok=True)
        entry.staged.unlink(missing_ok=True)
    _sync_dir(directory)
    (directory / JOURNAL).unlink(missing_ok=True)


def _complete(directory: Path, entries: list[_Entry]) -> None:
    """Rename every staged file still waiting (the manifest last), then forget the run."""
    for entry in entries:
        if entry.staged.exists():
            os.replace(entry.staged, entry.target)
    for entry in entries:
        if entry.backup is not None:
            entry.backup.unlink(missing_ok=True)
    _sync_dir(directory)
    (directory / JOURNAL).unlink(missing_ok=True)


def recover(directory: Path) -> str | None:
    """Finish what a killed run left in ``directory`` (call with its lock held): roll its
    journal forward (or back, if it was rolling back), then remove stale temporary files.
    Returns what was done to the journal (``"completed"``, ``"rolled back"``) or None."""
    done = None
    journal = directory / JOURNAL
    if journal.exists():
        try:
            doc = json.loads(journal.read_text(encoding="utf-8"))
            entries = [_Entry.from_json(directory, e) for e in doc["entries"]]
        except (ValueError, KeyError, TypeError) as exc:
            reason = f"unreadable journal of an interrupted run ({exc}); remove it by hand"
            raise OutputError(journal, OSError(errno.EINVAL, reason)) from None
        if doc.get("state") == "rollback":
            _undo(directory, entries)
            done = "rolled back"
        else:
            _complete(directory, entries)
            done = "completed"
    for path in directory.iterdir():
        if _TEMP.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
    return done


def _remove_legacy_temps(directory: Path, names: set[str]) -> None:
    """Temporary files of earlier versions of this module, for the files being written."""
    for path in directory.iterdir():
        match = _LEGACY_TEMP.match(path.name)
        if match and match.group("name") in names and path.is_file():
            path.unlink(missing_ok=True)


def write_all(files: Mapping[Path, Content], manifest: str | None = None) -> None:
    """Write every file or none of them, as one set per directory (see the module docstring).

    ``files``: each path's content, or a callable giving it (:data:`Content`), called in
    order when that file is staged. ``manifest``: the name of the manifest file written last
    in each directory of the set (none when None). A failure (a full disk, a directory that
    cannot be created, a rename refused, text with no UTF-8 form, an error raised by a
    content callable) or Ctrl-C leaves the previous files as they were and raises
    :class:`OutputError` naming the file (Ctrl-C, and a callable's own error, are raised
    again as they came).
    """
    groups: dict[Path, dict[Path, Content]] = {}
    for path, content in files.items():
        groups.setdefault(path.parent, {})[path] = content
    current = Path(".")
    try:
        with contextlib.ExitStack() as locks:
            for directory in sorted(groups):  # one order for every run: no deadlock
                current = directory
                locks.enter_context(directory_lock(directory))
                recover(directory)
                _remove_legacy_temps(directory, {p.name for p in groups[directory]})
            _transaction([_Publication(d, groups[d], manifest) for d in sorted(groups)])
    except OutputError:
        raise
    except OSError as exc:
        where = Path(exc.filename) if isinstance(exc.filename, str) else current
        raise OutputError(where, exc) from exc


def _encode(path: Path, data: Data) -> bytes | memoryview:
    """UTF-8 bytes of ``data``; text that has no UTF-8 form (a lone surrogate such as
    ``\\udfff``) is an :class:`OutputError` before that file is written (and the set is
    not published), never a crash."""
    if isinstance(data, memoryview):
        return data.cast("B")  # its length in bytes, whatever its item format
    if isinstance(data, bytes):
        return data
    try:
        return data.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = data[exc.start]
        reason = f"the text holds {bad!r} at offset {exc.start}, which has no UTF-8 form"
        raise OutputError(path, OSError(errno.EILSEQ, reason)) from None


def _transaction(publications: list[_Publication]) -> None:
    """Steps 3-5 for every directory; everything undone on any failure or interrupt."""
    run = uuid.uuid4().hex
    committed: list[_Publication] = []
    try:
        for pub in publications:
            pub.stage(run)
        for pub in publications:
            pub.commit(run)
            committed.append(pub)
        for pub in publications:
            pub.publish()
    except BaseException:
        for pub in publications:
            with contextlib.suppress(OSError):
                if pub in committed:
                    pub.roll_back(run)
                else:
                    pub.discard()
        raise
    for pub in publications:  # published: what is left to tidy, the next run tidies
        with contextlib.suppress(OSError):
            _complete(pub.directory, pub.entries)


def read_output_set(directory: Path, manifest: str) -> dict[str, bytes]:
    """The files of the set in ``directory`` (name -> content), each checked against the
    manifest's size and SHA-256 as it is read, so the contents returned are one whole set even
    while another run publishes. Raises :class:`OutputSetError` otherwise: a run is publishing
    (try again), was killed while publishing (the next run into the directory completes it),
    or a file was changed since."""
    path = directory / manifest
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise OutputSetError(f"{path} is missing: no complete output set") from None
    except ValueError as exc:
        raise OutputSetError(f"{path} is not a manifest ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        raise OutputSetError(f"{path} is not a {MANIFEST_FORMAT} manifest")
    found: dict[str, bytes] = {}
    for item in doc["files"]:
        target = directory / item["name"]
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise OutputSetError(f"{target} is named by {path} but missing") from None
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise OutputSetError(f"{target} is not the file {path} names (SHA-256 differs)")
        found[item["name"]] = data
    return found
