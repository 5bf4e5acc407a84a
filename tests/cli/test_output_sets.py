"""A run's outputs are one set: staged together, published under the directory's lock with a
manifest written last, rolled back on any failure, completed after a kill, never mixed with
another run's files, and no temporary file outlives the next run."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fidelity._util import atomic
from fidelity._util.atomic import (
    JOURNAL,
    OutputError,
    OutputSetError,
    directory_lock,
    read_output_set,
    recover,
    write_all,
)
from fidelity.cli import app

SRC = Path(atomic.__file__).parents[2]
EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
NAMES = ("a.csv", "b.csv", "c.json")
MANIFEST = "set.json"


def _set(directory: Path, tag: str, size: int = 100) -> dict[Path, str]:
    return {directory / n: f"{tag} {n}\n" + "x" * size + "\n" for n in NAMES}


def _tags(directory: Path) -> set[str]:
    return {(directory / n).read_text().split()[0] for n in NAMES}


def _hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_a_set_is_published_with_its_manifest(tmp_path: Path) -> None:
    write_all(_set(tmp_path, "one"), manifest=MANIFEST)
    found = read_output_set(tmp_path, MANIFEST)
    assert sorted(found) == sorted(NAMES)
    doc = json.loads((tmp_path / MANIFEST).read_text())
    assert doc["format"] == "fidelity-output-set/1" and len(doc["run"]) == 32
    assert _hidden(tmp_path) == []
    (tmp_path / "b.csv").write_text("edited\n")
    with pytest.raises(OutputSetError, match="SHA-256"):
        read_output_set(tmp_path, MANIFEST)


# -- injected failures at every step ----------------------------------------------------------

STEPS = ("_stage", "_keep", "_write_journal", "_sync_dir")


class Faults:
    """Counts the calls of every step of a write and fails the ``fail_at``-th one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int, error: BaseException):
        self.calls: list[str] = []
        self.fail_at = fail_at
        self.error = error
        for name in STEPS:
            monkeypatch.setattr(atomic, name, self._wrap(name, getattr(atomic, name)))
        monkeypatch.setattr(atomic.os, "replace", self._wrap("replace", os.replace))

    def _wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if len(self.calls) - 1 == self.fail_at:
                raise self.error
            return fn(*args, **kwargs)

        return step


def _count_steps(tmp_path: Path) -> list[str]:
    directory = tmp_path / "count"
    write_all(_set(directory, "old"), manifest=MANIFEST)
    with pytest.MonkeyPatch.context() as mp:
        faults = Faults(mp, fail_at=-1, error=OSError())
        write_all(_set(directory, "new"), manifest=MANIFEST)
    return faults.calls


@pytest.mark.parametrize(
    "error",
    [
        OSError(28, "No space left on device"),  # a full disk at any step
        OSError(13, "Permission denied"),  # a directory made read-only meanwhile
        KeyboardInterrupt(),
    ],
)
def test_a_failure_at_any_step_leaves_the_previous_set(
    tmp_path: Path, error: BaseException
) -> None:
    steps = _count_steps(tmp_path)
    # every kind of step is exercised, from staging to the renames of the publication
    assert set(steps) == {*STEPS, "replace"} and len(steps) >= 12
    # the last step syncs the directory after the publication: the new set stands by then
    published = len(steps) - 1 - steps[::-1].index("_sync_dir")
    for k in range(len(steps)):
        directory = tmp_path / f"run{k}"
        write_all(_set(directory, "old"), manifest=MANIFEST)
        with pytest.MonkeyPatch.context() as mp:
            Faults(mp, fail_at=k, error=error)
            if k < published or isinstance(error, KeyboardInterrupt):
                with pytest.raises(OSError if isinstance(error, OSError) else type(error)):
                    write_all(_set(directory, "new"), manifest=MANIFEST)
            else:  # tidying after the publication fails: the new set stands, no error
                write_all(_set(directory, "new"), manifest=MANIFEST)
        expected = "old" if k < published else "new"
        assert _tags(directory) == {expected}, (k, steps[k])
        assert sorted(read_output_set(directory, MANIFEST)) == sorted(NAMES), (k, steps[k])
        write_all(_set(directory, "again"), manifest=MANIFEST)  # lock released, journal gone
        assert _tags(directory) == {"again"} and _hidden(directory) == [], (k, steps[k])


def test_a_failed_rename_exits_2_and_keeps_the_previous_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["score", str(EXAMPLE), "-o", str(out), "-q"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "site-scores.csv").unlink()
    (out / "site-scores.csv").mkdir()  # a rename onto a directory fails
    result = runner.invoke(app, ["score", str(EXAMPLE), "-o", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.stderr and "site-scores.csv" in result.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == {n: b for n, b in before.items() if n != "site-scores.csv"}
    assert _hidden(out) == []


def test_stale_temporary_files_are_removed_and_others_kept(tmp_path: Path) -> None:
    stale = [".a.csv.fidelity-0123456789abcdef.tmp", ".b.csv.fidelity-fedcba9876543210.old"]
    legacy = ".a.csv.k3j_x9a2.tmp"  # from the earlier mkstemp naming
    kept = [".notes.tmp", ".other.csv.k3j_x9a2.tmp", ".a.csv.fidelity-short.tmp"]
    for name in [*stale, legacy, *kept]:
        (tmp_path / name).write_text("x" * 1000)
    write_all(_set(tmp_path, "one"), manifest=MANIFEST)
    assert _hidden(tmp_path) == sorted(kept)


def test_a_journal_left_by_a_killed_run_is_completed(tmp_path: Path) -> None:
    write_all(_set(tmp_path, "old"), manifest=MANIFEST)
    staged = {p: atomic._stage(p, d) for p, d in _set(tmp_path, "new").items()}
    entries = [{"target": p.name, "staged": s.name, "backup": None} for p, s in staged.items()]
    first = next(iter(staged))
    os.replace(staged[first], first)  # killed after the first rename
    (tmp_path / MANIFEST).unlink()
    (tmp_path / JOURNAL).write_text(json.dumps({"state": "publish", "entries": entries}))
    with pytest.raises(OutputSetError, match="missing"):
        read_output_set(tmp_path, MANIFEST)
    with directory_lock(tmp_path):
        assert recover(tmp_path) == "completed"
    assert _tags(tmp_path) == {"new"} and _hidden(tmp_path) == []


def test_a_run_killed_while_rolling_back_is_rolled_back(tmp_path: Path) -> None:
    write_all(_set(tmp_path, "old"), manifest=MANIFEST)
    entries = []
    for path, data in _set(tmp_path, "new").items():
        backup = atomic._keep(path)
        assert backup is not None
        os.replace(atomic._stage(path, data), path)  # published, then the rollback began
        entries.append({"target": path.name, "staged": "gone", "backup": backup.name})
    (tmp_path / JOURNAL).write_text(json.dumps({"state": "rollback", "entries": entries}))
    with directory_lock(tmp_path):
        assert recover(tmp_path) == "rolled back"
    assert _tags(tmp_path) == {"old"} and _hidden(tmp_path) == []
    assert sorted(read_output_set(tmp_path, MANIFEST)) == sorted(NAMES)


def test_text_without_a_utf8_form_is_an_output_error_and_nothing_is_published(
    tmp_path: Path,
) -> None:
    write_all(_set(tmp_path, "old"), manifest=MANIFEST)
    files = _set(tmp_path, "new")
    files[tmp_path / "b.csv"] = "site \udfff\n"
    with pytest.raises(OutputError, match=r"'\\udfff' at offset 5"):
        write_all(files, manifest=MANIFEST)
    assert _tags(tmp_path) == {"old"} and _hidden(tmp_path) == []


def test_callable_contents_are_made_and_staged_in_order(tmp_path: Path) -> None:
    staged: list[str] = []
    real_stage = atomic._stage

    def stage(path: Path, data: Any) -> Path:
        staged.append(path.name)
        return real_stage(path, data)

    def content(name: str, data: str | bytes | memoryview) -> Callable[[], Any]:
        def give() -> Any:
            staged.append(f"asked {name}")
            return data

        return give

    raw = b"a,b\n1,2\n"
    files = {
        tmp_path / "a.csv": content("a.csv", memoryview(bytearray(raw))),
        tmp_path / "b.csv": "plain text\n",
        tmp_path / "c.json": content("c.json", "{}\n"),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(atomic, "_stage", stage)
        write_all(files, manifest=MANIFEST)
    # contents are made in order, each file staged (on a worker) after its content is made
    assert [e for e in staged if e.startswith("asked")] == ["asked a.csv", "asked c.json"]
    written = [e for e in staged if not e.startswith("asked")]
    assert written == ["a.csv", "b.csv", "c.json", MANIFEST, JOURNAL]
    assert staged.index("asked a.csv") < staged.index("a.csv")
    assert staged.index("asked c.json") < staged.index("c.json")
    found = read_output_set(tmp_path, MANIFEST)  # sizes and SHA-256s checked
    assert found == {"a.csv": raw, "b.csv": b"plain text\n", "c.json": b"{}\n"}


def test_a_memoryview_of_wider_items_is_written_as_its_bytes(tmp_path: Path) -> None:
    import array

    numbers = array.array("i", [1, 2, 3])
    write_all({tmp_path / "a.bin": memoryview(numbers)}, manifest=MANIFEST)
    doc = json.loads((tmp_path / MANIFEST).read_text())
    assert doc["files"][0]["bytes"] == numbers.itemsize * 3
    assert (tmp_path / "a.bin").read_bytes() == numbers.tobytes()


def test_a_content_callable_that_fails_leaves_the_previous_set(tmp_path: Path) -> None:
    write_all(_set(tmp_path, "old"), manifest=MANIFEST)

    def broken() -> str:
        raise ValueError("the table could not be encoded")

    files: dict[Path, Any] = dict(_set(tmp_path, "new"))
    files[tmp_path / "c.json"] = broken  # the last file: the first two are staged by then
    with pytest.raises(ValueError, match="could not be encoded"):
        write_all(files, manifest=MANIFEST)
    assert _tags(tmp_path) == {"old"} and _hidden(tmp_path) == []
    assert sorted(read_output_set(tmp_path, MANIFEST)) == sorted(NAMES)


def test_an_unreadable_journal_is_a_clear_output_error(tmp_path: Path) -> None:
    (tmp_path / JOURNAL).write_text("{not json")
    with pytest.raises(OutputError, match="journal"):
        write_all(_set(tmp_path, "one"))


def test_a_held_lock_times_out_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "LOCK_TIMEOUT", 0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        with pytest.raises(OutputError, match="another run"):
            write_all(_set(tmp_path, "one"))
    finally:
        holder.kill()
        holder.wait()
    write_all(_set(tmp_path, "one"))  # a killed holder's lock is gone with it


_HOLD = """
import sys, time
from pathlib import Path
from fidelity._util.atomic import directory_lock
with directory_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""

# -- processes: SIGKILL at random moments, 20 concurrent writers ------------------------------

_WRITER = """
import os, sys, time
from pathlib import Path
from fidelity._util import atomic
from fidelity._util.atomic import write_all
directory, tag, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
if sys.argv[4:] == ["slow"]:  # widen the publication so that kills land in it too
    replace = os.replace
    def slow(*args, **kwargs):
        time.sleep(0.02)
        replace(*args, **kwargs)
    atomic.os.replace = slow
names = ("a.csv", "b.csv", "c.json")
print("ready", flush=True)
for k in range(rounds):
    write_all({directory / n: f"{tag}-{k} {n}\\n" + "x" * 200_000 + "\\n" for n in names},
              manifest="set.json")
"""


def _writer(directory: Path, tag: str, rounds: int, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(directory), tag, str(rounds), *extra],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.PIPE,
    )


def _consistent_or_publishing(directory: Path) -> str:
    """What a reader finds: a whole set (its tag), or no whole set while a run publishes."""
    try:
        found = read_output_set(directory, MANIFEST)
    except OutputSetError:
        return "publishing"
    (tag,) = {data.split()[0].decode() for data in found.values()}
    return tag


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sigkill_at_random_moments_never_leaves_a_mixed_set(tmp_path: Path) -> None:
    rng = random.Random(20_241_202)
    write_all(_set(tmp_path, "start"), manifest=MANIFEST)
    seen: list[str] = []
    leftovers: list[int] = []
    for k in range(16):  # a bounded loop of kills, each at a random moment of a write
        proc = _writer(tmp_path, "w", 10_000, *(["slow"] if k % 2 else []))
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.append(_consistent_or_publishing(tmp_path))
        if seen[-1] == "publishing":  # killed while publishing: its journal says so
            assert (tmp_path / JOURNAL).exists()
        leftovers.append(len(_hidden(tmp_path)))
        with directory_lock(tmp_path):
            recover(tmp_path)
        assert len({d.split()[0] for d in read_output_set(tmp_path, MANIFEST).values()}) == 1
        assert _tags(tmp_path) == {read_output_set(tmp_path, MANIFEST)["a.csv"].split()[0].decode()}
        assert _hidden(tmp_path) == []
    # the kills left temporary files behind, and some landed in the publication itself
    assert sum(leftovers) > 0 and "publishing" in seen, (seen, leftovers)


def _concurrently(directory: Path, n: int) -> Iterator[str]:
    procs = [_writer(directory, f"w{k}", rounds=2) for k in range(n)]
    while any(p.poll() is None for p in procs):
        yield _consistent_or_publishing(directory)
        time.sleep(0.01)
    assert [p.wait() for p in procs] == [0] * n


def test_twenty_concurrent_writers_never_mix_their_files(tmp_path: Path) -> None:
    write_all(_set(tmp_path, "start"), manifest=MANIFEST)
    seen = list(_concurrently(tmp_path, 20))
    assert seen
    final = _tags(tmp_path)
    assert len(final) == 1 and final.pop().endswith("-1")  # some writer's last round
    read_output_set(tmp_path, MANIFEST)
    assert _hidden(tmp_path) == [] and not (tmp_path / JOURNAL).exists()


def _score(out: Path) -> Any:
    return CliRunner().invoke(app, ["score", str(EXAMPLE), "-o", str(out), "-q"])


def test_out_onto_a_symlink_to_a_directory_writes_the_set_there(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    assert _score(real).exit_code == 0
    link.symlink_to(real, target_is_directory=True)
    result = _score(link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and sorted(read_output_set(real, "fidelity-outputs.json"))
    assert _hidden(real) == []


@pytest.mark.parametrize("kind", ["file", "symlink to a file", "dangling symlink"])
def test_out_onto_a_file_or_a_bad_symlink_is_refused_and_left_alone(
    tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "target.txt"
    target.write_text("keep me\n")
    out = tmp_path / "out"
    if kind == "file":
        out = target
    elif kind == "symlink to a file":
        out.symlink_to(target)
    else:
        out.symlink_to(tmp_path / "nowhere")
    result = _score(out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {"target.txt", *(["out"] if kind != "file" else [])}
    )


def test_out_into_a_read_only_directory_keeps_the_previous_set(tmp_path: Path) -> None:
    """A directory without write permission; root ignores permissions, so as root the output
    set is on a tmpfs remounted read-only instead (skipped where mounting is not permitted)."""
    if os.name == "posix" and os.geteuid() == 0:
        with _mounted(tmp_path / "disk") as disk:
            out = disk / "out"
            assert _score(out).exit_code == 0
            _remount(disk, "ro")
            try:
                _refused_and_intact(out, "Read-only file system")
            finally:
                _remount(disk, "rw")
        return
    out = tmp_path / "out"
    assert _score(out).exit_code == 0
    out.chmod(0o555)
    try:
        _refused_and_intact(out, "Permission denied")
    finally:
        out.chmod(0o755)


def _refused_and_intact(out: Path, reason: str) -> None:
    """``-o out`` exits 2 naming ``reason``, writes nothing and leaves the set as it was."""
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = _score(out)
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.stderr and reason in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(read_output_set(out, "fidelity-outputs.json")) == sorted(
        n for n in before if n != "fidelity-outputs.json"
    )


def _remount(mount: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(mount)], check=True)


# -- a real full disk: a tmpfs of 2 MiB ----------------------------------------------------------


@contextlib.contextmanager
def _mounted(mount: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted at ``mount`` (skipped where mounting is not permitted)."""
    mount.mkdir()
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on a POSIX system")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted for the test (skipped where mounting is not permitted)."""
    with _mounted(tmp_path / "disk") as disk:
        yield disk


def _fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` until about ``leave`` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with (disk / "filler").open("wb") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * max(free - leave, 0))


def test_a_full_disk_keeps_the_previous_set_and_exits_non_zero(small_disk: Path) -> None:
    out = small_disk / "out"
    first = _score(out)
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _fill(small_disk, leave=8 * 1024)  # room for a file or two of the set, not for all of it
    result = _score(out)
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.stderr and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no partial file
    assert sorted(read_output_set(out, "fidelity-outputs.json")) == sorted(
        n for n in before if n != "fidelity-outputs.json"
    )
    (small_disk / "filler").unlink()
    assert _score(out).exit_code == 0  # and the next run with room publishes its set


def test_a_single_output_file_on_a_full_disk_leaves_the_old_file(small_disk: Path) -> None:
    target = small_disk / "template.xlsx"
    assert (
        CliRunner()
        .invoke(app, ["template", "enrich-peer-support", "-f", "xlsx", "-o", str(target)])
        .exit_code
        == 0
    )
    before = target.read_bytes()
    _fill(small_disk, leave=1024)
    result = CliRunner().invoke(
        app, ["template", "enrich-peer-support", "-f", "xlsx", "-o", str(target)]
    )
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "template.xlsx"]


@pytest.mark.slow
def test_twenty_concurrent_score_runs_into_one_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fidelity", "score", str(EXAMPLE), "-o", str(out), "-q"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(20)
    ]
    errors = [p.communicate(timeout=600)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 20, errors
    found = read_output_set(out, "fidelity-outputs.json")  # one whole set, checksums match
    assert {"scores.csv", "site-scores.csv", "provenance.json"} <= set(found)
    assert _hidden(out) == [] and not (out / JOURNAL).exists()
