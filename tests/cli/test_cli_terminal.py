"""User strings (ids, sites, values, problem lines) reach the terminal as plain text: rich
markup is not interpreted, control characters, bidirectional overrides and lone surrogates are
shown escaped, never obeyed and never an encoding crash."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity.cli import app
from fidelity.cli._exits import plain

runner = CliRunner()
TESTS = Path(__file__).parents[1]
HAND = TESTS / "data" / "instruments" / "hand.yaml"
TWO = TESTS / "data" / "sheets" / "two-sheets.json"


def _sheets(tmp_path: Path, **changes: object) -> Path:
    sheets = json.loads(TWO.read_text())
    sheets[0].update(changes)
    path = tmp_path / "sheets.json"
    path.write_text(json.dumps(sheets))
    return path


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[/]", "[/]"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("a\rb", "a\\x0db"),
        ("evil\u202etxt", "evil\\u202etxt"),
        ("\udfff", "\\udfff"),
        ("\x85", "\\x85"),
        ("tab\tand é ü 日本", "tab\tand é ü 日本"),
    ],
)
def test_plain_escapes_what_a_terminal_would_obey(raw: str, shown: str) -> None:
    assert plain(raw) == shown


def test_a_site_named_like_markup_is_shown_as_typed(tmp_path: Path) -> None:
    # "[/]" used to be read as a closing rich tag: exit 3 after the outputs were written
    path = _sheets(tmp_path, site="[/]")
    result = runner.invoke(
        app, ["score", "-i", str(HAND), str(path), "-o", str(tmp_path / "out")], color=False
    )
    assert result.exit_code == 0, result.output
    assert "[/]" in result.stdout


def test_escape_sequences_in_ids_never_reach_the_terminal(tmp_path: Path) -> None:
    path = _sheets(tmp_path, site="\x1b[2Jwiped", assessment="A\x1b]0;title\x07")
    path.write_text(path.read_text().replace('"a1": 4', '"a1": 9', 1))
    result = runner.invoke(app, ["validate", "-i", str(HAND), str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "A\\x1b]0;title\\x07" in result.stdout
    sheets, out = str(_sheets(tmp_path, site="\x1b[2Jwiped")), str(tmp_path / "out")
    score = runner.invoke(app, ["score", "-i", str(HAND), sheets, "-o", out])
    assert score.exit_code == 1 and "\x1b" not in score.output  # FR206: no id holds one
    assert "\\x1b[2Jwiped" in score.stdout


def test_a_lone_surrogate_in_a_problem_line_is_printed_escaped(tmp_path: Path) -> None:
    # a real process: its stdout encodes strictly, as a terminal's does
    path = _sheets(tmp_path)
    text = path.read_text().replace('"A1"', '"\\udfff\\u202e"', 1).replace('"a1": 4', '"a1": 9')
    text = text.replace('"north"', '"\\udfff"', 1)
    path.write_text(text)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "fidelity", "validate", "-i", str(HAND), str(path)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    out = done.stdout.decode("utf-8") + done.stderr.decode("utf-8")
    assert done.returncode == 1, out
    assert "internal error" not in out
    assert "(assessment \\udfff\\u202e, rater r1): FR101" in out


def test_a_lone_surrogate_in_a_valid_sheet_is_no_internal_error_when_scoring(
    tmp_path: Path,
) -> None:
    # the outputs have no UTF-8 form for it: a clear "cannot write", nothing written
    path = _sheets(tmp_path)
    path.write_text(path.read_text().replace('"north"', '"\\udfff"', 1))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "fidelity", "score", "-i", str(HAND), str(path), "-o", str(out)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120,
    )
    err = done.stderr.decode("utf-8")
    assert done.returncode in (1, 2), err
    assert "internal error" not in err and "\\udfff" in err + done.stdout.decode("utf-8")
    assert not out.exists() or not any(out.iterdir())


def test_the_progress_bar_shows_file_names_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from fidelity.cli import _common

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(_common, "console", lambda stderr=False: terminal)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # as rich is told a terminal is there
    with _common.Progress(enabled=True, steps=2) as progress:
        progress.step("reading [/]\x1b[2J.csv")
        progress._progress.refresh()  # draw it now, not on the next tick
        progress.step("scoring")
    assert "\x1b[2J" not in screen.getvalue() and "[/]\\x1b[2J.csv" in screen.getvalue()


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({}, False),
        ({"TTY_COMPATIBLE": "1"}, True),
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": ""}, False),
        ({"TTY_COMPATIBLE": "0"}, False),
    ],
)
def test_no_console_is_made_for_a_progress_bar_rich_would_not_show(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], shown: bool
) -> None:
    from rich.console import Console

    from fidelity.cli import _common

    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    made: list[bool] = []

    def console(stderr: bool = False) -> Console:
        made.append(stderr)
        return Console(file=io.StringIO(), stderr=stderr)

    monkeypatch.setattr(_common, "console", console)
    with _common.Progress(enabled=True, steps=1) as progress:  # stderr is not a TTY here
        assert (progress._progress is not None) == shown
    assert made == ([True] if shown else [])  # rich decides only where it may say yes


def test_rater_ids_in_the_calibration_are_shown_escaped(tmp_path: Path) -> None:
    example = TESTS.parent / "examples" / "enrich-audit.csv"
    sheets = tmp_path / "audit.csv"
    sheets.write_text(example.read_text().replace("rater-1", "rater-\x1b[2J1"))
    result = runner.invoke(app, ["raters", str(sheets)])
    assert result.exit_code == 1, result.output  # refused (FR206), the id shown escaped
    assert "\x1b" not in result.output and "rater-\\x1b[2J1" in result.output
