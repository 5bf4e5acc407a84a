"""The ``reliability`` and ``report`` commands: the audit reliability report from rating
sheets, as tables and JSON, or as a Markdown audit report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fidelity._cli_ratings import _Files, _InstrumentOpt
from fidelity.cli import EXIT_INVALID, app, atomic_write, console, fail, print_json

DEFAULT_BOOTSTRAP = 1000
DEFAULT_SEED = 20240601

_Bootstrap = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        min=0,
        help="Bootstrap resamples for the intervals of interval alpha on scores (0: none).",
    ),
]
_Seed = Annotated[int, typer.Option(help="Seed of the bootstrap.")]
_Confidence = Annotated[
    float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
]


@app.command("reliability")
def reliability_cmd(
    files: _Files,
    instrument: _InstrumentOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Also write reliability.json and one CSV per table here.",
        ),
    ] = None,
    n_bootstrap: _Bootstrap = DEFAULT_BOOTSTRAP,
    seed: _Seed = DEFAULT_SEED,
    confidence: _Confidence = 0.95,
) -> None:
    """Inter-rater reliability (double-rated assessments), internal consistency and item
    spread of an audit, with the criteria behind every flag.

    Invalid sheets are refused (exit 1, problems listed one per line) and nothing is written.
    """
    from fidelity._cli_ratings import _resolve_instrument, _write_lines
    from fidelity.ratings import SheetsInvalidError, read_sheets
    from fidelity.report import reliability_report

    batch = read_sheets(files)
    inst = _resolve_instrument(batch, instrument)
    try:
        report = reliability_report(
            inst, batch, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed
        )
    except SheetsInvalidError as exc:
        _write_lines([str(p) for p in exc.problems if p.severity == "error"])
        fail(
            f"{len(exc.problems.errors)} error(s) in the rating sheets; no report was made",
            EXIT_INVALID,
        )
    if out is not None:
        outputs = {"reliability.json": report.to_json() + "\n"}
        for name, table in report.tables().items():
            outputs[f"reliability-{name.replace('_', '-')}.csv"] = table.to_csv(
                index=False, lineterminator="\n"
            )
        for name, data in outputs.items():
            atomic_write(out / name, data)
    if as_json:
        print_json(report.to_dict())
    else:
        report.render(console())
        typer.echo("Flags:", err=True)
        for key, text in report.criteria.items():
            typer.echo(f"  {key}: {text}", err=True)
    if out is not None:
        typer.echo(f"wrote {out / 'reliability.json'} and tables in {out}", err=True)


@app.command("report")
def report_cmd(
    files: _Files,
    instrument: _InstrumentOpt = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", file_okay=False, help="Directory for report.md."),
    ] = Path("."),
    n_bootstrap: _Bootstrap = DEFAULT_BOOTSTRAP,
    seed: _Seed = DEFAULT_SEED,
    confidence: _Confidence = 0.95,
) -> None:
    """Write a Markdown audit report: fidelity per site, then inter-rater reliability,
    internal consistency and item spread, with the criteria behind every flag.

    Invalid sheets are refused (exit 1, problems listed one per line) and nothing is written.
    """
    from fidelity._cli_ratings import _resolve_instrument, _write_lines
    from fidelity.ratings import SheetsInvalidError, read_sheets
    from fidelity.report import audit_report_markdown, reliability_report
    from fidelity.scoring import score

    batch = read_sheets(files)
    inst = _resolve_instrument(batch, instrument)
    try:
        result = score(inst, batch)
        report = reliability_report(
            inst, batch, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed
        )
    except SheetsInvalidError as exc:
        _write_lines([str(p) for p in exc.problems if p.severity == "error"])
        fail(
            f"{len(exc.problems.errors)} error(s) in the rating sheets; no report was written",
            EXIT_INVALID,
        )
    target = out / "report.md"
    atomic_write(target, audit_report_markdown(inst, result, report))
    typer.echo(f"wrote {target}", err=True)
