"""All-or-nothing output writing: a reader sees the old file or the whole new one, and a set of
outputs is moved into place only when every one of them has been written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["OutputError", "atomic_write", "write_all"]


class OutputError(OSError):
    """An output file could not be written; nothing of the set was written."""

    def __init__(self, path: Path, exc: OSError) -> None:
        super().__init__(exc.errno, f"cannot write {path}: {exc.strerror or exc}")
        self.path = path
        self.reason = exc.strerror or str(exc)


def _stage(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path`` (synced, with the permissions a plain
    ``open()`` would give) and return it; nothing is left behind on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    os.replace(_stage(path, data), path)


def write_all(files: Mapping[Path, str | bytes]) -> None:
    """Write every file or none of them.

    All files are staged beside their targets first; only when every one is written are they
    moved into place, so a failure (a full disk, a directory that cannot be created) leaves the
    previous files untouched and raises :class:`OutputError` naming the file.
    """
    staged: list[tuple[Path, Path]] = []
    for path, data in files.items():
        try:
            staged.append((_stage(path, data), path))
        except OSError as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise OutputError(path, exc) from exc
    for tmp, path in staged:
        os.replace(tmp, path)
