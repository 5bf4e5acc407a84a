"""Instrument commands: ``instruments``, ``show`` and ``lint``.

A thin shell over :mod:`fidelity.instrument` and :mod:`fidelity.lint`. Heavy imports stay
inside the command functions so that ``fidelity --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fidelity.cli._common import console, load_or_fail, print_json, text, write_lines
from fidelity.cli._exits import EXIT_INVALID

if TYPE_CHECKING:
    from fidelity.instrument.catalog import CatalogEntry

app = typer.Typer()


def _entry_row(entry: CatalogEntry) -> dict[str, Any]:
    """One row of ``fidelity instruments``: an invalid file is listed with its first problem."""
    from fidelity.instrument import InstrumentError

    content_hash: str | None = None
    problem: str | None = None
    try:
        inst = entry.load()
    except InstrumentError as exc:
        status, title, problem = "invalid", "", str(exc.problems[0])
    else:
        status, title, content_hash = inst.status, inst.title, inst.content_hash
    return {
        "id": entry.id,
        "version": entry.version,
        "status": status,
        "title": title,
        "source": entry.source,
        "path": str(entry.path),
        "content_hash": content_hash,
        "problem": problem,
    }


@app.command("instruments")
def instruments_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the instruments this installation can load."""
    from rich.table import Table

    from fidelity.instrument.catalog import catalog_problems, list_instruments

    rows = [_entry_row(entry) for entry in list_instruments()]
    for problem in catalog_problems():  # what was skipped; the listing still succeeds
        typer.echo(f"warning: {problem}", err=True)
    if as_json:
        print_json(rows)
        return
    table = Table(title="Instruments", title_justify="left")
    for col in ("id", "version", "status", "title", "source"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(
            *(
                text(v)
                for v in (
                    row["id"],
                    row["version"],
                    row["status"],
                    row["title"] or row["problem"],
                    row["source"],
                )
            )
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
    """Check instrument files against the schema and every model rule; exit 1 on any error
    (warnings, such as REDCap names that had to be shortened, are listed but allowed)."""
    from fidelity.lint import check_instrument_file

    problems = [p for f in files for p in check_instrument_file(f)]
    n_warnings = sum(1 for p in problems if p.severity == "warning")
    if as_json:
        print_json([{**p.to_dict(), "severity": p.severity} for p in problems])
    else:
        for p in problems:
            write_lines([str(p)])  # one problem per line, never wrapped
        summary = f"{len(files)} file(s) checked, {len(problems)} problem(s)"
        if n_warnings:
            summary += f" ({n_warnings} warning(s))"
        console(stderr=True).print(summary, markup=False)
    if len(problems) > n_warnings:
        raise typer.Exit(EXIT_INVALID)
