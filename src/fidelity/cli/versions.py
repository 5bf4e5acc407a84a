"""Version commands: ``diff``, ``migrate``, ``new`` and ``lock``.

A thin shell over :mod:`fidelity.versions`. Heavy imports stay inside the command functions so
that ``fidelity --help`` stays fast. Exit codes as everywhere: 0 success, 1 invalid input (or
a refused migration, an unlocked or changed released file), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fidelity.cli._common import (
    Progress,
    SheetInput,
    SheetSource,
    console,
    fail,
    load_or_fail,
    print_json,
    read_batch,
    reads_sheets,
    write_outputs,
)
from fidelity.cli._exits import EXIT_INVALID, EXIT_USAGE, echo_err

if TYPE_CHECKING:
    from rich.console import Console

    from fidelity.ratings import SheetBatch
    from fidelity.versions import Diff

app = typer.Typer()

_SEVERITY_STYLE = {"breaking": "bold red", "additive": "yellow", "none": "green"}


# ---------------------------------------------------------------------------------------------
# diff


@app.command("diff")
def diff_cmd(
    old: Annotated[str, typer.Argument(help="Older version: ID@VERSION or a YAML path.")],
    new: Annotated[str, typer.Argument(help="Newer version: ID@VERSION or a YAML path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
    show_none: Annotated[
        bool,
        typer.Option("--wording/--no-wording", help="List wording-only changes (class none) too."),
    ] = True,
) -> None:
    """Compare two versions of an instrument: every change, classified by its effect on the
    scores of existing rating sheets (none, additive, breaking)."""
    from fidelity.versions import diff

    a, b = load_or_fail(old), load_or_fail(new)
    d = diff(a, b)
    if as_json:
        print_json(d.to_dict())
        return
    render_diff(d, show_none=show_none)


def render_diff(d: Diff, *, show_none: bool = True) -> None:
    """The terminal view of a diff."""
    from rich.markup import escape

    from fidelity.versions import bump_ok

    out = console()
    style = _SEVERITY_STYLE[d.severity]
    out.print(f"[bold]{d.old.spec}[/bold] → [bold]{d.new.spec}[/bold]")
    if d.empty:
        out.print("[green]no changes[/green]: the two versions have the same content")
        return
    actual = d.actual_bump
    ok = bump_ok(actual, d.required_bump)
    verdict = "[green]ok[/green]" if ok else "[bold red]too small[/bold red]"
    out.print(
        f"classification: [{style}]{d.severity}[/{style}]   "
        f"needs a {d.required_bump} bump, got {actual or 'a lower version'}: {verdict}"
    )
    out.print(f"item mapping: {escape(d.mapping_source)}", style="dim")
    for mp in d.mapping_problems:
        out.print(f"[red]mapping problem[/red] {escape(mp.message)}")
    _print_changes(out, d, show_none=show_none)
    _print_comparability(out, d)


def _print_changes(out: Console, d: Diff, *, show_none: bool) -> None:
    """The changes, breaking first; wording-only ones only counted unless ``show_none``."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Changes", title_justify="left", show_lines=False, expand=False)
    table.add_column("effect", no_wrap=True)
    table.add_column("kind", no_wrap=True, style="dim")
    table.add_column("change", overflow="fold")
    order = {"breaking": 0, "additive": 1, "none": 2}
    shown = 0
    for c in sorted(d.changes, key=lambda c: order[c.severity]):
        if c.severity == "none" and not show_none:
            continue
        s = _SEVERITY_STYLE[c.severity]
        table.add_row(f"[{s}]{c.severity}[/{s}]", c.kind, escape(c.message))
        shown += 1
    if shown:
        out.print(table)
    hidden = len(d.changes) - shown
    if hidden:
        out.print(f"({hidden} wording-only change(s) not shown)", style="dim")


def _print_comparability(out: Console, d: Diff) -> None:
    """Per domain and overall: can scores on the two versions be compared?"""
    from rich.markup import escape
    from rich.table import Table

    comp = Table(title="Comparability of scores", title_justify="left")
    comp.add_column("domain", no_wrap=True)
    comp.add_column("scores", no_wrap=True)
    comp.add_column("why", overflow="fold")
    cstyle = {"identical": "green", "extended": "yellow", "not-comparable": "bold red"}
    for dc in d.domains:
        s = cstyle[dc.status]
        comp.add_row(dc.domain, f"[{s}]{dc.status}[/{s}]", escape("; ".join(dc.reasons)))
    comp.add_row(
        "overall",
        "[green]comparable[/green]" if d.overall_comparable else "[bold red]not-comparable[/]",
        "",
    )
    out.print(comp)


# ---------------------------------------------------------------------------------------------
# migrate


@app.command("migrate")
@reads_sheets(hint="; the version the sheets were rated on is given with --from-version ID@VERSION")
def migrate_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Rating-sheet files (.json, .jsonl, .csv, .xlsx; with --from, REDCap exports "
            "or FHIR responses).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    sheets_from: SheetInput,
    to: Annotated[
        str, typer.Option("--to", metavar="ID@VERSION", help="Version to migrate the sheets to.")
    ],
    from_version: Annotated[
        str | None,
        typer.Option(
            "--from-version",
            metavar="ID@VERSION",
            help="Version the sheets were rated on; default: the version each sheet names.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Directory for the migrated files."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Rewrite rating sheets for another version of their instrument, using the declared item
    mappings. Items with no counterpart become missing (never invented); each migrated sheet
    records where it came from. Refuses, writing nothing, when the mapping cannot support the
    migration. Sheets already on the target version pass through unchanged. Output: one file
    per input, named after it, in the input's format (JSON, JSON Lines, CSV or XLSX; a table
    keeps the provenance in a migrations column)."""
    from fidelity.versions import migrate_files

    target = load_or_fail(to)
    pinned_source = load_or_fail(from_version) if from_version is not None else None
    out = out_dir if out_dir is not None else Path(".")
    if out.exists() and not out.is_dir():
        fail(f"error: output path {out} is not a directory", EXIT_USAGE)
    result = migrate_files(
        files,
        target,
        source=pinned_source,
        keep=sheets_from.kept,
        sheets=_read_other(files, sheets_from, from_version),
    )
    written = []
    for output in result.outputs:
        path = out / output.name
        for other in files:
            if other.resolve() == path.resolve():
                fail(
                    f"error: {path} would overwrite an input file; choose another -o directory",
                    EXIT_USAGE,
                )
        written.append((path, output.text))
    write_outputs(dict(written))
    if as_json:
        print_json(result.report([str(p) for p, _ in written]))
        return
    for step in result.steps:
        typer.echo(step.describe())
    for path, _ in written:
        typer.echo(f"wrote {path}")
    n = sum(o.n_sheets for o in result.outputs)
    kept = sum(o.n_unchanged for o in result.outputs)
    typer.echo(
        f"{n} sheet(s) migrated to {target.spec}" + (f", {kept} already on it" if kept else "")
    )


def _read_other(files: list[Path], how: SheetInput, pinned: str | None) -> SheetBatch | None:
    """The sheets of REDCap exports or FHIR responses (``--from``), read for
    :func:`~fidelity.versions.migrate_files` (which reads fidelity's own files itself); the
    reading warnings (forms not marked Complete) on standard error."""
    if how.source is SheetSource.file and not (how.dictionary or how.include_incomplete):
        return None
    batch = read_batch(files, Progress(enabled=False, steps=0), how, instrument=pinned)
    for problem in batch.problems:
        if problem.severity == "warning":
            echo_err(f"warning: {problem}")
    return batch


# ---------------------------------------------------------------------------------------------
# new


@app.command("new")
def new_cmd(
    inst_id: Annotated[
        str, typer.Argument(metavar="ID", help="Id of the new instrument (a slug).")
    ],
    directory: Annotated[
        Path,
        typer.Option("--dir", help="Instrument directory; the file goes to DIR/ID/VERSION.yaml."),
    ] = Path("instruments"),
    version: Annotated[str, typer.Option("--version", help="First version.")] = "0.1.0",
    extends: Annotated[
        str | None,
        typer.Option("--extends", metavar="ID@VERSION", help="Derive from a base instrument."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a new instrument file, with comments that explain every field, that passes
    ``fidelity lint`` as it is."""
    import re

    from fidelity.instrument import SEMVER_PATTERN, SLUG_PATTERN
    from fidelity.versions import scaffold

    if not re.match(SLUG_PATTERN, inst_id) or len(inst_id) > 64:
        fail(
            f"error: {inst_id!r} is not an instrument id: use lowercase letters, digits and "
            "single hyphens, starting with a letter (e.g. 'my-peer-index')",
            EXIT_USAGE,
        )
    if not re.match(SEMVER_PATTERN, version):
        fail(f"error: {version!r} is not a version: use MAJOR.MINOR.PATCH", EXIT_USAGE)
    base = None
    if extends is not None:
        if "@" not in extends:
            fail(
                f"error: --extends needs a pinned version, e.g. {extends}@1.0.0 "
                "(a derived instrument never follows a newer base silently)",
                EXIT_USAGE,
            )
        base = load_or_fail(extends)
    path = directory / inst_id / f"{version}.yaml"
    if path.exists() and not force:
        fail(f"error: {path} already exists (use --force to overwrite)", EXIT_INVALID)
    write_outputs({path: scaffold(inst_id, version, base=base)})
    typer.echo(f"wrote {path}")
    typer.echo(f"next: edit it, then run `fidelity lint {path}` and `fidelity show {path}`")


# ---------------------------------------------------------------------------------------------
# lock


@app.command("lock")
def lock_cmd(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Instrument directory holding ID/VERSION.yaml files.", exists=True, file_okay=False
        ),
    ],
    check: Annotated[
        bool, typer.Option("--check", help="Only check: exit 1 if anything is unlocked.")
    ] = False,
) -> None:
    """Record the content hash of every released version in DIR/released.lock. Existing
    entries are never changed: a released file whose hash differs is reported (exit 1)."""
    from fidelity.versions import update_lock

    report = update_lock(directory, write=not check)
    for spec in report.added:
        typer.echo(f"{'unlocked' if check else 'locked'} {spec}")
    if check and report.added:
        raise typer.Exit(EXIT_INVALID)
    typer.echo(
        f"{len(report.locked)} released version(s) in {report.path}"
        + ("" if check else f", {len(report.added)} added")
    )
