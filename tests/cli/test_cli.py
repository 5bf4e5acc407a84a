"""The instrument commands: instruments, show, lint; exit codes and machine-readable output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from fidelity.cli import app

runner = CliRunner()
TESTS = Path(__file__).parents[1]
MINIMAL = TESTS / "data" / "lint" / "minimal.yaml"


def test_instruments_table_and_json() -> None:
    result = runner.invoke(app, ["instruments"])
    assert result.exit_code == 0
    assert "enrich-peer-support" in result.stdout and "bundled" in result.stdout
    rows = json.loads(runner.invoke(app, ["instruments", "--json"]).stdout)
    row = next(r for r in rows if r["id"] == "enrich-peer-support" and r["version"] == "1.0.0")
    assert len(row["content_hash"]) == 64 and row["status"] == "released"


def test_show_lists_principles_domains_items_and_anchors() -> None:
    result = runner.invoke(app, ["show", "enrich-peer-support@1.0.0"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    out = result.stdout
    assert "Principles" in out and "cross-cutting" in out
    assert "rel-shared-experience" in out and "Guidance:" in out and "Fully evident" in out
    brief = runner.invoke(app, ["show", "enrich-peer-support", "--brief"], env={"COLUMNS": "200"})
    assert "Guidance:" not in brief.stdout and "rel-shared-experience" in brief.stdout


def test_show_json_and_path() -> None:
    result = runner.invoke(app, ["show", str(MINIMAL), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == "mini"


def test_show_unknown_instrument_exits_1_with_a_message() -> None:
    result = runner.invoke(app, ["show", "no-such-instrument"])
    assert result.exit_code == 1
    assert "no instrument 'no-such-instrument'" in result.stderr


def test_show_refuses_a_traversal_spec() -> None:
    result = runner.invoke(app, ["show", "../../etc/passwd"])
    assert result.exit_code == 1
    assert "is not an instrument spec" in result.stderr


def test_lint_clean_file_exits_0() -> None:
    result = runner.invoke(app, ["lint", str(MINIMAL)])
    assert result.exit_code == 0
    assert "0 problem(s)" in result.stderr


def test_lint_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = MINIMAL.read_text().replace("scale: four\n", "scale: five\n", 1)
    bad.write_text(text.replace("min_answered: 2", "min_answered: 9"))
    result = runner.invoke(app, ["lint", str(bad), str(MINIMAL)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 2
    assert all(ln.startswith(f"{bad}:") for ln in lines)
    assert any("FI102" in ln and "unknown scale 'five'" in ln for ln in lines)
    assert any("FI107" in ln and "min_answered is 9" in ln for ln in lines)
    data = json.loads(runner.invoke(app, ["lint", str(bad), "--json"]).stdout)
    assert {d["code"] for d in data} == {"FI102", "FI107"}
    assert all(isinstance(d["line"], int) for d in data)


def test_lint_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "FI000 cannot read file" in result.stdout


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["show"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


@pytest.mark.parametrize("args", [["--help"], ["lint", "--help"]])
def test_console_script_runs(args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "fidelity", *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout


def test_atomic_write_replaces_whole_files_with_umask_permissions(tmp_path: Path) -> None:
    import os

    from fidelity.cli import atomic_write

    target = tmp_path / "sub" / "out.csv"
    atomic_write(target, "a,b\n")
    atomic_write(target, "c,d\n")
    assert target.read_text() == "c,d\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]


def test_version_option() -> None:
    import fidelity

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"fidelity {fidelity.__version__}"


def test_a_bug_is_reported_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fidelity import cli

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.delenv("FIDELITY_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err
    monkeypatch.setenv("FIDELITY_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main()


def test_the_last_collection_is_skipped_once_however_often_main_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import atexit
    import gc

    from fidelity import cli

    registered: list[Any] = []
    monkeypatch.setattr(atexit, "register", registered.append)

    def unregister(handler: Any) -> None:
        registered[:] = [g for g in registered if g is not handler]

    monkeypatch.setattr(atexit, "unregister", unregister)
    monkeypatch.setattr(cli, "app", lambda: None)
    cli.main()
    cli.main()
    assert registered == [cli._skip_last_collection]
    try:
        cli._skip_last_collection()
        assert gc.get_freeze_count() > 0  # out of the collector's reach
    finally:
        gc.unfreeze()


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from fidelity import cli

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "app", interrupted)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 130


def test_outputs_are_written_all_or_none(tmp_path: Path) -> None:
    from fidelity.cli import write_outputs

    good = tmp_path / "out"
    write_outputs({good / "a.csv": "old a\n", good / "b.csv": "old b\n"})
    blocker = tmp_path / "afile"
    blocker.write_text("not a directory\n")
    with pytest.raises(typer.Exit) as info:
        write_outputs({good / "a.csv": "new a\n", blocker / "sub" / "b.csv": "new b\n"})
    assert info.value.exit_code == 2
    assert (good / "a.csv").read_text() == "old a\n"
    assert sorted(p.name for p in good.iterdir()) == ["a.csv", "b.csv"]


def test_unwritable_output_directory_is_a_clear_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x\n")
    example = str(TESTS.parent / "examples" / "enrich-audit.csv")
    result = runner.invoke(app, ["score", example, "-o", str(blocker / "sub"), "-q"])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "nothing was written" in result.stderr
