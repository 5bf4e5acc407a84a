"""The ``fidelity`` command: a thin shell over the library.

Exit codes: 0 success, 1 the input data is invalid (problems listed one per line),
2 usage error. Output files are written atomically.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from fidelity.instrument import Instrument

from fidelity._util.atomic import atomic_write as atomic_write

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

app = typer.Typer(
    name="fidelity",
    help="Fidelity index assessment: instruments, validation, scoring and reliability.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def console(stderr: bool = False) -> Console:
    """A rich console (imported lazily to keep ``fidelity --help`` fast)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` to stderr and exit with ``code``."""
    typer.echo(message, err=True)  # plain text: problem lines must not be wrapped
    raise typer.Exit(code)


def write_outputs(files: Mapping[Path, str | bytes]) -> None:
    """Write every output file or none of them; a failure leaves the previous outputs untouched
    and exits 2 with the reason."""
    from fidelity._util.atomic import OutputError, write_all

    try:
        write_all(files)
    except OutputError as exc:
        fail(f"error: cannot write {exc.path}: {exc.reason}; nothing was written", EXIT_USAGE)


def load_or_fail(spec: str) -> Instrument:
    """Load an instrument, turning catalog and file problems into exit code 1."""
    from fidelity.instrument import InstrumentError
    from fidelity.instrument.catalog import CatalogError, load_instrument

    try:
        return load_instrument(spec)
    except CatalogError as exc:
        fail(f"error: {exc}")
    except InstrumentError as exc:
        fail("\n".join(str(p) for p in exc.problems))


def print_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _version(value: bool) -> None:
    if value:
        from fidelity import __version__

        typer.echo(f"fidelity {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Fidelity index assessment: instruments, validation, scoring and reliability."""


@app.command("instruments")
def instruments_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the instruments this installation can load."""
    from rich.table import Table

    from fidelity.instrument import InstrumentError
    from fidelity.instrument.catalog import CatalogError, list_instruments

    try:
        entries = list_instruments()
    except CatalogError as exc:
        fail(f"error: {exc}")
    rows = []
    for entry in entries:
        try:
            inst = entry.load()
            rows.append(
                {
                    "id": entry.id,
                    "version": entry.version,
                    "status": inst.status,
                    "title": inst.title,
                    "source": entry.source,
                    "path": str(entry.path),
                    "content_hash": inst.content_hash,
                    "problem": None,
                }
            )
        except InstrumentError as exc:
            rows.append(
                {
                    "id": entry.id,
                    "version": entry.version,
                    "status": "invalid",
                    "title": "",
                    "source": entry.source,
                    "path": str(entry.path),
                    "content_hash": None,
                    "problem": str(exc.problems[0]),
                }
            )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Instruments", title_justify="left")
    for col in ("id", "version", "status", "title", "source"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"], row["version"], row["status"], row["title"] or row["problem"], row["source"]
        )
    console().print(table)


@app.command("show")
def show_cmd(
    spec: Annotated[str, typer.Argument(help="ID, ID@VERSION or a path to an instrument file.")],
    brief: Annotated[bool, typer.Option("--brief", help="Items without anchors.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the instrument as JSON.")] = False,
) -> None:
    """Show an instrument: principles, then domains with their items and anchors."""
    inst = load_or_fail(spec)
    if as_json:
        print_json(inst.model_dump(mode="json"))
        return
    from fidelity.report.instrument_view import render_instrument

    render_instrument(inst, console(), brief=brief)


@app.command("lint")
def lint_cmd(
    files: Annotated[list[Path], typer.Argument(help="Instrument YAML files to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
) -> None:
    """Check instrument files against the schema and every model rule; exit 1 on any problem."""
    from fidelity.instrument import check_instrument_file

    problems = [p for f in files for p in check_instrument_file(f)]
    if as_json:
        print_json([p.to_dict() for p in problems])
    else:
        for p in problems:
            typer.echo(str(p))  # one problem per line, never wrapped
        summary = f"{len(files)} file(s) checked, {len(problems)} problem(s)"
        console(stderr=True).print(summary, markup=False)
    if problems:
        raise typer.Exit(EXIT_INVALID)


def _register_extensions() -> None:
    """Import the command modules, which add their commands to ``app``."""
    import fidelity.cli.ratings
    import fidelity.cli.reliability
    import fidelity.cli.versions  # noqa: F401


def main() -> None:
    """Console-script entry point."""
    _register_extensions()
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:  # a bug must still not leave the user with a bare traceback
        if os.environ.get("FIDELITY_DEBUG"):
            raise
        sys.stderr.write(
            f"fidelity: internal error: {type(exc).__name__}: {exc}\n"
            "Set FIDELITY_DEBUG=1 to see the traceback, and please report it.\n"
        )
        raise SystemExit(3) from None
