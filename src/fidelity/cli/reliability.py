"""The ``reliability`` and ``report`` commands: the audit reliability report from rating
sheets, as tables and JSON, or as a Markdown audit report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fidelity.cli._common import (
    Files,
    InstrumentOpt,
    SheetInput,
    console,
    input_progress,
    note_undeclared,
    print_json,
    read_batch,
    reads_sheets,
    resolve_instrument,
    write_outputs,
)
from fidelity.cli._exits import EXIT_USAGE, echo_err

if TYPE_CHECKING:
    from fidelity._util.atomic import Data
    from fidelity.instrument import Instrument
    from fidelity.report import ReliabilityReport
    from fidelity.scoring import ScoreResult

app = typer.Typer()

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


class TableFormat(StrEnum):
    """Formats of the tables ``fidelity reliability --out`` writes."""

    csv = "csv"
    parquet = "parquet"


@app.command("reliability")
@reads_sheets()
def reliability_cmd(
    files: Files,
    sheets_from: SheetInput,
    instrument: InstrumentOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Also write reliability.json and one file per table here.",
        ),
    ] = None,
    fmt: Annotated[
        list[TableFormat] | None,
        typer.Option(
            "--format",
            "-f",
            help="Format of the tables in --out: csv or parquet (typed, with the provenance "
            "and the inputs' SHA-256 in each file's metadata); repeat for both (default: csv).",
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
    if fmt and out is None:
        echo_err("--format names the format of the tables in --out; give --out DIR too")
        raise typer.Exit(EXIT_USAGE)
    _inst, _result, report = _analyse(
        files, instrument, confidence, n_bootstrap, seed, with_scores=False, reading=sheets_from
    )
    if out is not None:
        outputs = _table_outputs(report, set(fmt or [TableFormat.csv]), files)
        write_outputs({out / name: data for name, data in outputs.items()}, manifest=True)
    if as_json:
        print_json(report.to_dict())
    else:
        console().print(report)
        typer.echo("Flags:", err=True)
        width = max(console(stderr=True).width, 40)
        for key, text in report.criteria.items():
            typer.echo(_legend_line(key, text, width), err=True)
    if out is not None:
        typer.echo(f"wrote {out / 'reliability.json'} and tables in {out}", err=True)


def _legend_line(key: str, text: str, width: int) -> str:
    """One flag of the legend wrapped to ``width`` columns, continuation lines indented; no
    word (a DOI, a citation) is broken."""
    import textwrap

    return textwrap.fill(
        f"{key}: {text}",
        width=width,
        initial_indent="  ",
        subsequent_indent="      ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _table_outputs(
    report: ReliabilityReport, formats: set[TableFormat], files: list[Path]
) -> dict[str, Data]:
    """reliability.json and every table of the report in each of ``formats``."""
    from fidelity._util.csvtext import csv_output
    from fidelity.columnar import input_digests, parquet_bytes, to_arrow, with_provenance

    outputs: dict[str, Data] = {"reliability.json": report.to_json() + "\n"}
    inputs = input_digests(files) if TableFormat.parquet in formats else []
    for name, table in report.tables().items():
        stem = f"reliability-{name.replace('_', '-')}"
        if TableFormat.csv in formats:
            outputs[f"{stem}.csv"] = csv_output(table)
        if TableFormat.parquet in formats:
            typed = to_arrow(table, f"reliability_{name}", report.provenance)
            arrow = with_provenance(typed, inputs=inputs)
            outputs[f"{stem}.parquet"] = parquet_bytes(arrow)
    return outputs


class ReportFormat(StrEnum):
    """What ``fidelity report`` writes."""

    html = "html"
    md = "md"


@app.command("report")
@reads_sheets()
def report_cmd(
    files: Files,
    sheets_from: SheetInput,
    instrument: InstrumentOpt = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", file_okay=False, help="Directory for report.html (or report.md)."
        ),
    ] = Path("."),
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", help="html: one self-contained page; md: Markdown."),
    ] = ReportFormat.html,
    rounds: Annotated[
        str | None,
        typer.Option(
            "--rounds",
            help="Order of the audit rounds, comma-separated (default: by the rounds' dates).",
        ),
    ] = None,
    per_site: Annotated[
        bool,
        typer.Option(
            "--per-site", help="Also write one feedback page per site in DIR/sites (HTML, MD)."
        ),
    ] = False,
    n_bootstrap: _Bootstrap = DEFAULT_BOOTSTRAP,
    seed: _Seed = DEFAULT_SEED,
    confidence: _Confidence = 0.95,
) -> None:
    """Write the audit report: a self-contained HTML page (the default) with a summary, data
    quality, site scores, rounds, reliability, consistency and provenance, and charts; or
    Markdown (``--format md``).

    Invalid sheets are refused (exit 1, problems listed one per line) and nothing is written.
    """
    from fidelity.report import audit_report_markdown
    from fidelity.report.html_report import audit_report_html
    from fidelity.report.rounds import round_order

    inst, result, report = _analyse(
        files, instrument, confidence, n_bootstrap, seed, reading=sheets_from
    )
    assert result is not None
    order = [r.strip() for r in rounds.split(",") if r.strip()] if rounds is not None else None
    round_order(result, order)  # refuse unknown or unordered rounds before writing
    outputs: dict[Path, str | bytes] = {}
    if fmt is ReportFormat.md:
        from fidelity.report.html_report import report_charts

        target = out / "report.md"
        charts = report_charts(inst, result, report, rounds=order)
        outputs[target] = audit_report_markdown(inst, result, report, rounds=order, charts=charts)
        outputs.update({out / f"{c.name}.svg": c.svg for c in charts.values()})
    else:
        target = out / "report.html"
        outputs[target] = audit_report_html(inst, result, report, rounds=order)
    if per_site:
        outputs.update(_site_outputs(inst, result, report, files, sheets_from, order, out))
    write_outputs(outputs)
    typer.echo(
        f"wrote {target}" + (f" and site pages in {out / 'sites'}" if per_site else ""), err=True
    )


def _site_outputs(
    inst: Instrument,
    result: ScoreResult,
    report: ReliabilityReport,
    files: list[Path],
    reading: SheetInput,
    order: list[str] | None,
    out: Path,
) -> dict[Path, str | bytes]:
    """The per-site feedback pages: HTML, Markdown and the chart (SVG) of every site."""
    from fidelity.ratings import check_sheets
    from fidelity.report.site_pages import site_pages

    with input_progress(files, steps=len(files)) as progress:
        batch = read_batch(
            files,
            progress,
            reading,
            instrument=inst.spec,
        )
    checked = check_sheets(inst, batch)
    outputs: dict[Path, str | bytes] = {}
    for page in site_pages(inst, result, checked, report, rounds=order):
        outputs[out / "sites" / f"{page.stem}.html"] = page.html
        outputs[out / "sites" / f"{page.stem}.md"] = page.markdown
        outputs[out / "sites" / f"{page.stem}.svg"] = page.chart.svg
    return outputs


def _analyse(
    files: list[Path],
    instrument: str | None,
    confidence: float,
    n_bootstrap: int,
    seed: int,
    *,
    with_scores: bool = True,
    reading: SheetInput | None = None,
) -> tuple[Instrument, ScoreResult | None, ReliabilityReport]:
    """Read, validate, (score) and analyse the sheets, with a progress bar on large inputs.

    Invalid sheets raise :class:`~fidelity.errors.SheetsInvalidError`: the exit-code table
    lists every error, exits 1 and nothing is written.
    """
    from fidelity.report import reliability_report
    from fidelity.scoring import score

    with input_progress(files, steps=len(files) + 1 + int(with_scores)) as progress:
        batch = read_batch(
            files,
            progress,
            reading,
            instrument=instrument,
        )
        inst = resolve_instrument(batch, instrument)
        result = None
        if with_scores:
            progress.step("scoring")
            result = score(inst, batch)
        progress.step("reliability")
        report = reliability_report(
            inst, batch, confidence=confidence, n_bootstrap=n_bootstrap, seed=seed
        )
    note_undeclared(inst, batch, reading or SheetInput())
    return inst, result, report
