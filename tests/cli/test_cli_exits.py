"""The one exit-code table: every row, through a command and through ``main``; and the shape of
the command package (sub-apps added top-down, lazy imports)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import fidelity
import fidelity.errors
from fidelity._util.atomic import OutputError
from fidelity.cli import _exits, app
from fidelity.cli._exits import EXIT_TABLE, FidelityGroup, exit_for, rule_for
from fidelity.errors import (
    CatalogError,
    FidelityError,
    InstrumentError,
    LockError,
    MigrationRefused,
    SheetsInvalidError,
)

runner = CliRunner()
TESTS = Path(__file__).parents[1]
HAND = TESTS / "data" / "instruments" / "hand.yaml"


def _raising(exc: BaseException) -> typer.Typer:
    """An app built like ``fidelity``'s whose one command raises ``exc``."""
    test_app = typer.Typer(cls=FidelityGroup, rich_markup_mode=None)

    @test_app.callback()
    def _root() -> None:
        """Test app."""

    @test_app.command("boom")
    def _boom() -> None:
        raise exc

    return test_app


def _sheets_invalid(tmp_path: Path) -> SheetsInvalidError:
    bad = tmp_path / "bad.csv"
    head = "instrument,assessment,rater,site,informant,date,consensus,a1,a2,a3,b1,b2"
    bad.write_text(f"{head}\nhand@1.0.0,A,r,,,,,6,1,1,1,\n")
    problems = fidelity.validate(fidelity.load_instrument(HAND), fidelity.read_sheets(bad))
    return SheetsInvalidError(problems)


def _instrument_error(tmp_path: Path) -> InstrumentError:
    bad = tmp_path / "bad.yaml"
    bad.write_text(HAND.read_text().replace("scale: three\n", "scale: nine\n"))
    with pytest.raises(InstrumentError) as info:
        fidelity.load_instrument(bad)
    return info.value


# (exception factory, exit code, text on stdout, text on stderr)
ROWS: dict[str, tuple[Callable[[Path], BaseException], int, str, str]] = {
    "output": (
        lambda p: OutputError(p / "x.csv", OSError(28, "No space left on device")),
        2,
        "",
        "x.csv: No space left on device; nothing was written",
    ),
    "sheets": (_sheets_invalid, 1, "FR101", "1 error(s) in the rating sheets; nothing was written"),
    "migration": (lambda p: MigrationRefused(["no mapping for a1"]), 1, "", "refused: no mapping"),
    "lock": (lambda p: LockError(["x.yaml: a released version never changes"]), 1, "never", ""),
    "instrument": (_instrument_error, 1, "", "FI102"),
    "catalog": (lambda p: CatalogError("no instrument 'nope'"), 1, "", "error: no instrument"),
    "interrupt": (lambda p: KeyboardInterrupt(), 130, "", "interrupted"),
    "internal": (lambda p: RuntimeError("boom"), 3, "", "internal error: RuntimeError: boom"),
}


@pytest.mark.parametrize("row", ROWS)
def test_each_row_through_a_command(
    row: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIDELITY_DEBUG", raising=False)
    make, code, out, err = ROWS[row]
    result = runner.invoke(_raising(make(tmp_path)), ["boom"])
    assert result.exit_code == code, result.output
    assert out in result.stdout and err in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("row", ROWS)
def test_each_row_through_main(
    row: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fidelity import cli

    monkeypatch.delenv("FIDELITY_DEBUG", raising=False)
    make, code, out, err = ROWS[row]
    exc = make(tmp_path)

    def broken() -> None:
        raise exc

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == code
    captured = capsys.readouterr()
    assert out in captured.out and err in captured.err


def _panic(message: str) -> BaseException:
    """What PyO3 raises for a Rust panic: a ``BaseException`` named like this one."""
    kind = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})
    return kind(message)


def test_a_panic_in_a_compiled_extension_is_an_internal_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fidelity import cli

    monkeypatch.delenv("FIDELITY_DEBUG", raising=False)
    result = runner.invoke(_raising(_panic("index out of bounds")), ["boom"])
    assert result.exit_code == _exits.EXIT_INTERNAL
    assert "internal error: PanicException: index out of bounds" in result.stderr
    assert "Traceback" not in result.stderr

    def broken() -> None:
        raise _panic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == _exits.EXIT_INTERNAL
    assert "internal error: PanicException" in capsys.readouterr().err

    other = type("Stop", (BaseException,), {})  # any other BaseException passes through
    monkeypatch.setattr(cli, "app", lambda: _raise(other()))
    with pytest.raises(other):
        cli.main()


def _raise(exc: BaseException) -> None:
    raise exc


def test_usage_errors_exit_2_with_the_usage_line() -> None:
    result = runner.invoke(app, ["validate", "--no-such-option", str(HAND)])
    assert result.exit_code == 2
    assert "Usage:" in result.stderr and "No such option" in result.stderr
    assert rule_for(typer.BadParameter("x")).code == 2
    assert exit_for(typer.BadParameter("bad value")).exit_code == 2


def test_debug_shows_the_traceback_of_internal_errors_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIDELITY_DEBUG", "1")
    result = runner.invoke(_raising(RuntimeError("boom")), ["boom"])
    assert isinstance(result.exception, RuntimeError)
    refused = runner.invoke(_raising(MigrationRefused(["why"])), ["boom"])
    assert refused.exit_code == 1 and "refused: why" in refused.stderr


def test_explicit_exits_pass_through() -> None:
    assert runner.invoke(_raising(typer.Exit(4)), ["boom"]).exit_code == 4


def test_every_fidelity_error_is_invalid_input() -> None:
    classes = [
        obj
        for obj in vars(fidelity.errors).values()
        if isinstance(obj, type) and issubclass(obj, FidelityError)
    ]
    assert len(classes) >= 7
    for cls in classes:
        assert next(r for r in EXIT_TABLE if issubclass(cls, r.kind)).code == 1, cls
    assert EXIT_TABLE[-1].kind is Exception and EXIT_TABLE[-1].code == _exits.EXIT_INTERNAL
    # specific rows come before the general ones they refine
    for k, rule in enumerate(EXIT_TABLE):
        assert not any(issubclass(rule.kind, earlier.kind) for earlier in EXIT_TABLE[:k])


# -- the package: sub-apps added top-down -----------------------------------------------------

COMMANDS = [
    "instruments",
    "show",
    "lint",
    "validate",
    "score",
    "template",
    "schema",
    "reliability",
    "report",
    "consensus",
    "raters",
    "plan",
    "diff",
    "migrate",
    "new",
    "lock",
    "export",
]


def test_every_command_is_top_level_in_a_fixed_order() -> None:
    help_text = runner.invoke(app, ["--help"]).stdout
    lines = help_text.split("Commands:")[1].splitlines()
    assert [line.split()[0] for line in lines if line.strip()] == COMMANDS


def test_each_command_group_has_its_own_app() -> None:
    from fidelity.cli import instruments, ratings, reliability, versions

    names = {
        module.__name__.rsplit(".", 1)[1]: [c.name for c in module.app.registered_commands]
        for module in (instruments, ratings, reliability, versions)
    }
    assert names == {
        "instruments": ["instruments", "show", "lint"],
        "ratings": ["validate", "score", "template", "schema"],
        "reliability": ["reliability", "report"],
        "versions": ["diff", "migrate", "new", "lock"],
    }


def test_register_extensions_is_a_harmless_no_op() -> None:
    from fidelity.cli import _register_extensions

    before = len(app.registered_groups)
    _register_extensions()
    assert len(app.registered_groups) == before
    assert runner.invoke(app, ["lint", "--help"]).exit_code == 0


def test_importing_the_cli_imports_no_library_code() -> None:
    code = "import sys, fidelity.cli; print('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    library = {m for m in loaded if m.startswith("fidelity") and not m.startswith("fidelity.cli")}
    assert library <= {
        "fidelity",
        "fidelity.errors",
        "fidelity._util",
        "fidelity._util.atomic",
        "fidelity._util.panics",
        "fidelity._util.version",
    }
    assert not loaded & {"pandas", "numpy", "rich.console", "openpyxl", "pydantic", "yaml"}
