"""The lock file of released versions."""

from __future__ import annotations

from pathlib import Path

import pytest
from versions_support import BUNDLED

import fidelity
from fidelity.versions import format_lock, read_lock


def test_released_files_are_locked_and_match() -> None:
    lock = read_lock(BUNDLED / "released.lock")
    released = []
    for entry in fidelity.list_instruments():
        if entry.source != "bundled":
            continue
        inst = entry.load()
        if inst.status == "released":
            released.append(inst.spec)
            assert inst.spec in lock, f"{inst.spec} is released but not in released.lock"
            assert lock[inst.spec][0] == inst.content_hash, (
                f"{inst.spec} changed after release: {entry.path}"
            )
    assert {"enrich-peer-support@1.0.0", "enrich-peer-support@1.1.0"} <= set(released)


def test_lock_format_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "released.lock"
    path.write_text(
        format_lock({"b@1.0.0": "ab" * 32, "a@1.10.0": "cd" * 32, "a@1.2.0": "ef" * 32})
    )
    entries = read_lock(path)
    assert list(entries) == ["a@1.2.0", "a@1.10.0", "b@1.0.0"]
    path.write_text("a@1.0.0 nohash\n")
    with pytest.raises(ValueError, match=":1: expected"):
        read_lock(path)
