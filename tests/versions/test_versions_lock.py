"""The lock file of released versions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from versions_support import BUNDLED, MINIMAL

import fidelity
from fidelity.codes import rule
from fidelity.errors import ProblemLike
from fidelity.instrument import InstrumentProblem, read_instrument_file
from fidelity.versions import LOCK_NAME, LockError, format_lock, read_lock, update_lock
from fidelity.versions.lock import lock_path_for


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


def _locked_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    folder.mkdir()
    path = folder / "1.0.0.yaml"
    shutil.copy(MINIMAL, path)
    update_lock(tmp_path)
    return path


def test_a_changed_released_file_is_an_fi201_problem_value(tmp_path: Path) -> None:
    path = _locked_copy(tmp_path)
    before = read_instrument_file(path)
    path.write_text(path.read_text().replace("The person set the pace.", "Pace."))
    after = read_instrument_file(path)
    with pytest.raises(LockError) as info:
        update_lock(tmp_path)
    (problem,) = info.value.problems
    assert isinstance(problem, ProblemLike) and isinstance(problem, InstrumentProblem)
    assert problem.code == "FI201" and problem.severity == rule("FI201").severity
    assert problem.file == str(path) and problem.line == 4 and problem.ref == "mini@1.0.0"
    lock = tmp_path / "released.lock"
    expected = (
        f"mini@1.0.0 hashes to {after.content_hash} but {lock} records "
        f"{before.content_hash}: a released version never changes"
    )
    assert problem.message == expected
    # what `fidelity lock` prints: the file, then the message, as before problems had codes
    assert str(info.value) == f"{path}: {expected}"
    assert problem.to_dict()["code"] == "FI201"


def test_a_file_that_does_not_load_keeps_its_own_problems(tmp_path: Path) -> None:
    _locked_copy(tmp_path)
    broken = tmp_path / "other" / "1.0.0.yaml"
    broken.parent.mkdir()
    broken.write_text("id: other\nversion: 1.0.0\ntitle: T\n")
    with pytest.raises(LockError) as info:
        update_lock(tmp_path, write=False)
    problems = info.value.problems
    assert problems and {p.code for p in problems} == {"FI001"}
    assert all(isinstance(p, ProblemLike) for p in problems)
    assert str(info.value).splitlines() == [str(p) for p in problems]


def test_update_lock_adds_only_released_versions(tmp_path: Path) -> None:
    path = _locked_copy(tmp_path)
    draft = path.parent / "1.1.0.yaml"
    draft.write_text(path.read_text().replace("version: 1.0.0", "version: 1.1.0\nstatus: draft"))
    report = update_lock(tmp_path)
    assert report.locked == ("mini@1.0.0",) and report.added == ()
    assert lock_path_for(path) == (tmp_path / LOCK_NAME).resolve()
