"""The CLI shows the warning about a directory without a lock as one plain line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity.cli import app
from fidelity.instrument import catalog

MINIMAL = Path(__file__).parent.parent / "data" / "lint" / "minimal.yaml"
runner = CliRunner()


def test_an_unlocked_directory_is_named_once_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog.forget_lock_warnings()
    root = tmp_path / "inst"
    (root / "mini").mkdir(parents=True)
    (root / "mini" / "1.0.0.yaml").write_text(MINIMAL.read_text())
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    result = runner.invoke(app, ["show", "mini"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "released.lock" in line]
    assert lines == [lines[0]] and lines[0].startswith(f"warning: {root} has no released.lock")
    assert "UnlockedReleaseWarning" not in result.stderr


def test_an_edited_release_stops_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "inst"
    (root / "mini").mkdir(parents=True)
    file = root / "mini" / "1.0.0.yaml"
    file.write_text(MINIMAL.read_text())
    assert runner.invoke(app, ["lock", str(root)]).exit_code == 0
    file.write_text(file.read_text().replace("Minimal instrument", "Edited"))
    monkeypatch.setenv(catalog.ENV_VAR, str(root))
    result = runner.invoke(app, ["show", "mini@1.0.0"])
    assert result.exit_code != 0
    assert "FI201" in result.output and "new version" in result.output
    assert "Traceback" not in result.output
