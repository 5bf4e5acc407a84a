"""The ``reliability`` and ``report`` commands: the audit reliability report from rating
sheets, as tables and JSON, or as a Markdown audit report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from fidelity.cli._common import (
    DictionaryOpt,
    Files,
    FromOpt,
    IncompleteOpt,
    InstrumentOpt,
    SheetSource,
    console,
    input_progress,
    print_json,
    read_batch,
    resolve_instrument,
    write_outputs,
)

if TYPE_CHECKING:
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


class _Reading(NamedTuple):
    """How to read the sheets: ``--from``, ``--dictionary``, ``--include-incomplete``."""

    source: SheetSource
    dictionary: Path | None
    include_incomplete: bool


@app.command("reliability")
def reliability_cmd(
    files: Files,
    instrument: InstrumentOpt = None,
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
    source: FromOpt = SheetSource.file,
    dictionary: DictionaryOpt = None,
    include_incomplete: IncompleteOpt = False,
) -> None:
    """Inter-rater reliability (double-rated assessments), internal consistency and item
    spread of an audit, with the criteria behind every flag.

    Invalid sheets are refused (exit 1, problems listed one per line) and nothing is written.
    """
    reading = _Reading(source, dictionary, include_incomplete)
    _inst, _result, report = _analyse(
        files, instrument, confidence, n_bootstrap, seed, with_scores=False, reading=reading
    )
    if out is not None:
        from fidelity._util.text import csv_text

        outputs = {"reliability.json": report.to_json() + "\n"}
        for name, table in report.tables().items():
            outputs[f"reliability-{name.replace('_', '-')}.csv"] = csv_text(table)
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


class ReportFormat(StrEnum):
    """What ``fidelity report`` writes."""

    html = "html"
    md = "md"


@app.command("report")
def report_cmd(
    files: Files,
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
    source: FromOpt = SheetSource.file,
    dictionary: DictionaryOpt = None,
    include_incomplete: IncompleteOpt = False,
) -> None:
    """Write the audit report: a self-contained HTML page (the default) with a summary, data
    quality, site scores, rounds, reliability, consistency and provenance, and charts; or
    Markdown (``--format md``).

    Invalid sheets are refused (exit 1, problems listed one per line) and nothing is written.
    """
    from fidelity.report import audit_report_markdown
    from fidelity.report.html_report import audit_report_html
    from fidelity.report.rounds import round_order

    reading = _Reading(source, dictionary, include_incomplete)
    inst, result, report = _analyse(
        files, instrument, confidence, n_bootstrap, seed, reading=reading
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
        outputs.update(_site_outputs(inst, result, report, files, reading, order, out))
    write_outputs(outputs)
    typer.echo(
        f"wrote {target}" + (f" and site pages in {out / 'sites'}" if per_site else ""), err=True
    )


def _site_outputs(
    inst: Instrument,
    result: ScoreResult,
    report: ReliabilityReport,
    files: list[Path],
    reading: _Reading,
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
            reading.source,
            instrument=inst.spec,
            dictionary=reading.dictionary,
            include_incomplete=reading.include_incomplete,
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
    reading: _Reading | None = None,
) -> tuple[Instrument, ScoreResult | None, ReliabilityReport]:
    """Read, validate, (score) and analyse the sheets, with a progress bar on large inputs.

    Invalid sheets raise :class:`~fidelity.errors.SheetsInvalidError`: the exit-code table
    lists every error, exits 1 and nothing is written.
    """
    from fidelity.report import reliability_report
    from fidelity.scoring import score

    with input_progress(files, steps=len(files) + 1 + int(with_scores)) as progress:
        how = reading or _Reading(SheetSource.file, None, False)
        batch = read_batch(
            files,
            progress,
            how.source,
            instrument=instrument,
            dictionary=how.dictionary,
            include_incomplete=how.include_incomplete,
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
    return inst, result, report
