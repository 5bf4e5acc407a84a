"""Rating-sheet commands: ``validate``, ``score``, ``template`` and ``schema``.

A thin shell over :mod:`fidelity.ratings` and :mod:`fidelity.scoring`: read, check, report
problems one per line (exit 1) or write outputs atomically. Heavy imports stay inside the
command functions so that ``fidelity --help`` stays fast.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fidelity.cli import (
    EXIT_INVALID,
    EXIT_USAGE,
    app,
    console,
    fail,
    load_or_fail,
    print_json,
    write_outputs,
)

if TYPE_CHECKING:
    from fidelity.instrument import Instrument
    from fidelity.ratings import Problem, SheetBatch
    from fidelity.scoring import ScoreResult

LARGE_INPUT_BYTES = 5 * 1024 * 1024
"""Inputs larger than this (in total) get a progress bar."""
COMPACT_JSON_ABOVE = 10_000
"""``scores.json`` is indented up to this many sheets and compact above."""
SITES_SHOWN = 60
"""The summary table lists this many sites, then says how many more there are."""
WARNINGS_SHOWN = 10
"""``score`` lists this many warnings, then says how many more there are."""


class OutFormat(enum.StrEnum):
    """Output formats of ``fidelity score``."""

    csv = "csv"
    json = "json"


class TemplateFormat(enum.StrEnum):
    """Formats of ``fidelity template``."""

    csv = "csv"
    xlsx = "xlsx"


_Files = Annotated[
    list[Path],
    typer.Argument(
        help="Rating-sheet files (.csv wide or long, .json, .jsonl, .xlsx).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
_InstrumentOpt = Annotated[
    str | None,
    typer.Option(
        "--instrument",
        "-i",
        metavar="SPEC",
        help="Instrument ID, ID@VERSION or YAML path; default: the one the sheets name.",
    ),
]
_Strict = Annotated[
    bool, typer.Option("--strict", help="Treat warnings (unanswered required items) as errors.")
]


def _write_lines(lines: list[str]) -> None:
    """One problem per line, unwrapped, on stdout."""
    out = sys.stdout
    for line in lines:
        out.write(line.replace("\n", " ") + "\n")
    out.flush()


def _resolve_instrument(batch: SheetBatch, spec: str | None) -> Instrument:
    """The instrument to check against: ``--instrument`` or the one the sheets name."""
    if spec is not None:
        return load_or_fail(spec)
    named = batch.instruments()
    if len(named) == 1:
        return load_or_fail(named[0])
    if len(named) > 1:
        fail(
            f"error: the sheets name {len(named)} instruments ({', '.join(named[:5])}); "
            "check them separately or pass --instrument"
        )
    if batch.problems:
        _write_lines([str(p) for p in batch.problems])
        fail(
            f"{len(batch.problems)} problem(s) reading the input; no instrument could be determined"
        )
    fail("error: the sheets do not name their instrument; pass --instrument ID@VERSION", EXIT_USAGE)


def _summary_line(problems: list[Problem], n_sheets: int, n_files: int, spec: str) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    return (
        f"{n_sheets} sheet(s) in {n_files} file(s) checked against {spec}: "
        f"{errors} error(s), {warnings} warning(s)"
    )


@app.command("validate")
def validate_cmd(
    files: _Files,
    instrument: _InstrumentOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
    strict: _Strict = False,
) -> None:
    """Check rating sheets against their instrument; list every problem, one per line.

    Exit 0 when the sheets are valid (warnings are listed but allowed unless --strict),
    1 when there are errors, 2 on a usage error.
    """
    from fidelity.ratings import read_sheets, validate

    batch = read_sheets(files)
    inst = _resolve_instrument(batch, instrument)
    problems = validate(inst, batch)
    failing = [p for p in problems if p.severity == "error" or strict]
    if as_json:
        print_json(
            {
                "instrument": inst.spec,
                "content_hash": inst.content_hash,
                "files": [str(f) for f in files],
                "n_sheets": len(batch),
                "valid": not failing,
                "errors": sum(1 for p in problems if p.severity == "error"),
                "warnings": sum(1 for p in problems if p.severity == "warning"),
                "problems": [p.to_dict() for p in problems],
            }
        )
    else:
        _write_lines([str(p) for p in problems])
        typer.echo(
            _summary_line(problems, len(batch), len(files), inst.spec)
            + ("" if failing else " - valid"),
            err=True,
        )
    if failing:
        raise typer.Exit(EXIT_INVALID)


@app.command("score")
def score_cmd(
    files: _Files,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output directory.", file_okay=False)
    ] = Path("."),
    fmt: Annotated[
        list[OutFormat] | None,
        typer.Option(
            "--format", "-f", help="Output format; repeat for both (default: csv and json)."
        ),
    ] = None,
    instrument: _InstrumentOpt = None,
    strict: _Strict = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
) -> None:
    """Validate, then score rating sheets and write per-sheet, per-assessment and per-site
    scores.

    Invalid input is refused (exit 1) and nothing is written. Outputs (in --out): scores.csv,
    scores-by-assessment.csv, scores-by-site.csv (spread), site-scores.csv (one fidelity
    score per site) and provenance.json for csv; scores.json
    (everything, with provenance) for json. Each file is written atomically.
    """
    formats = set(fmt or [OutFormat.csv, OutFormat.json])
    total = sum(f.stat().st_size for f in files)
    with _Progress(enabled=total >= LARGE_INPUT_BYTES, steps=len(files) + 3) as progress:
        from fidelity.ratings import SheetBatch, read_sheets
        from fidelity.scoring import score

        batch = SheetBatch()
        for f in files:
            progress.step(f"reading {f.name}")
            batch = batch + read_sheets(f)
        progress.step("validating")
        inst = _resolve_instrument(batch, instrument)
        from fidelity.ratings import validate

        problems = validate(inst, batch)
        failing = [p for p in problems if p.severity == "error" or strict]
        if failing:
            progress.stop()
            _write_lines([str(p) for p in failing])
            fail(
                _summary_line(problems, len(batch), len(files), inst.spec)
                + "; nothing was scored or written"
            )
        progress.step("scoring")
        result = score(inst, batch)
        progress.step("writing")
        outputs = _render_outputs(result, formats)
        write_outputs({out / name: data for name, data in outputs.items()})
    warnings = [p for p in problems if p.severity == "warning"]
    if warnings:
        _write_lines([str(p) for p in warnings[:WARNINGS_SHOWN]])
        if len(warnings) > WARNINGS_SHOWN:
            typer.echo(
                f"... and {len(warnings) - WARNINGS_SHOWN} more warning(s); "
                "`fidelity validate` lists them all",
                err=True,
            )
    if not quiet:
        _print_site_table(result)
    typer.echo(
        f"scored {len(result)} sheet(s) on {inst.spec}; wrote "
        f"{', '.join(str(out / n) for n in outputs)}",
        err=True,
    )


def _render_outputs(result: ScoreResult, formats: set[OutFormat]) -> dict[str, str]:
    """Every output file's text, built in memory before anything is written."""
    outputs: dict[str, str] = {}
    if OutFormat.csv in formats:
        outputs["scores.csv"] = result.to_pandas().to_csv(index=False, lineterminator="\n")
        outputs["scores-by-assessment.csv"] = result.by_assessment().to_csv(
            index=False, lineterminator="\n"
        )
        outputs["scores-by-site.csv"] = result.by_site().to_csv(index=False, lineterminator="\n")
        outputs["site-scores.csv"] = result.site_scores().to_csv(index=False, lineterminator="\n")
        outputs["provenance.json"] = json.dumps(result.provenance, indent=2) + "\n"
    if OutFormat.json in formats:
        # indented for people when small; compact (and several times faster) when large
        indent = 2 if len(result) <= COMPACT_JSON_ABOVE else None
        outputs["scores.json"] = result.to_json(indent=indent) + "\n"
    return outputs


def _print_site_table(result: ScoreResult) -> None:
    """Per site: number of assessments, mean of each domain and of the overall score."""
    import math

    from rich.table import Table

    sites = result.site_scores()
    cols = [*result.domain_ids, "overall"]
    codes = [f"D{k + 1}" for k in range(len(result.domain_ids))]
    legend = "; ".join(f"{c} {d}" for c, d in zip(codes, result.domain_ids, strict=True))
    table = Table(
        title=f"Fidelity per site, {result.instrument}",
        caption="n = interviews (assessments) combined: each domain is the mean of the "
        "site's interview scores, overall follows the instrument's rule on those domains; "
        f"site-scores.csv has them all, scores-by-site.csv their spread. {legend}",
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("site", no_wrap=True)
    table.add_column("n", justify="right")
    for code in codes:
        table.add_column(code, justify="right")
    table.add_column("overall", justify="right")
    table.add_column("band", no_wrap=True)

    def fmt(x: float) -> str:
        return "-" if math.isnan(x) else f"{x:.2f}"

    for _, row in sites.head(SITES_SHOWN).iterrows():
        table.add_row(
            str(row["site"]),
            str(int(row["n_assessments"])),
            *(fmt(float(row[c])) for c in cols),
            row["band"] or "-",
        )
    if len(sites) > SITES_SHOWN:
        table.add_row(f"... {len(sites) - SITES_SHOWN} more", "", *([""] * len(cols)), "")
    if len(sites):
        means = sites[cols].astype(float).mean()
        table.add_section()
        table.add_row(
            f"mean of {len(sites)} sites",
            str(int(sites["n_assessments"].sum())),
            *(fmt(float(means[c])) for c in cols),
            "",
        )
    console().print(table)


class _Progress:
    """A rich progress bar on stderr for large inputs; a no-op otherwise."""

    def __init__(self, *, enabled: bool, steps: int) -> None:
        self.enabled = enabled
        self.steps = steps
        self._progress: Any = None
        self._task: Any = None
        self._started = False

    def __enter__(self) -> _Progress:
        if self.enabled and console(stderr=True).is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=self.steps)
        return self

    def step(self, description: str) -> None:
        if self._progress is not None:
            if self._started:
                self._progress.advance(self._task)
            self._started = True
            self._progress.update(self._task, description=description)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.steps)
        self.stop()


@app.command("template")
def template_cmd(
    spec: Annotated[str, typer.Argument(help="ID, ID@VERSION or a path to an instrument file.")],
    fmt: Annotated[TemplateFormat, typer.Option("--format", "-f", help="csv or xlsx.")] = (
        TemplateFormat.csv
    ),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output file (csv default: stdout; xlsx default: <id>-<version>-template.xlsx).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write an empty data-entry sheet for an instrument (wide layout: one row per sheet).

    The XLSX has drop-down lists limited to each item's allowed values, the item text and
    anchors as header comments, and an 'anchors' sheet with every item's anchors.
    """
    inst = load_or_fail(spec)
    if fmt is TemplateFormat.csv:
        text = template_csv(inst)
        if out is None:
            sys.stdout.write(text)
        else:
            write_outputs({out: text})
            typer.echo(f"wrote {out}", err=True)
        return
    target = out or Path(f"{inst.id}-{inst.version}-template.xlsx")
    write_outputs({target: template_xlsx(inst)})
    typer.echo(f"wrote {target}", err=True)


def template_columns(inst: Instrument) -> list[str]:
    """Header of the wide layout: sheet fields, then one column per item id."""
    from fidelity.ratings import FIELDS

    return [*FIELDS, *(it.id for it in inst.items)]


def template_csv(inst: Instrument) -> str:
    """The CSV template: the header row only."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(template_columns(inst))
    return buf.getvalue()


TEMPLATE_ROWS = 2000
"""Rows of the XLSX template that carry drop-down validation."""


def template_xlsx(inst: Instrument) -> bytes:
    """The XLSX template as bytes (see :func:`template_cmd`)."""
    import io

    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "ratings"
    columns = template_columns(inst)
    sheet.append(columns)
    sheet.freeze_panes = "D2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    last = TEMPLATE_ROWS + 1

    def restrict(col: int, values: list[str], title: str, prompt: str) -> None:
        letter = get_column_letter(col)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorTitle="Not allowed",
            error=f"Choose one of {', '.join(values)}",
            promptTitle=title[:32],
            prompt=prompt[:255],
        )
        dv.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(dv)

    for k in range(1, len(columns) + 1):
        cell = sheet.cell(row=1, column=k)
        cell.font = bold
        sheet.column_dimensions[get_column_letter(k)].width = 14 if k <= 7 else 11
        cell.alignment = Alignment(text_rotation=0 if k <= 7 else 60)
    restrict(1, [inst.spec], "instrument", f"Leave as {inst.spec}")
    restrict(5, [i.id for i in inst.informants], "informant", "Who was interviewed")
    restrict(7, ["true", "false"], "consensus", "true for an agreed consensus rating")
    for k, item in enumerate(inst.items, start=len(columns) - len(inst.items) + 1):
        scale = inst.scale_of(item)
        values = [str(v) for v in scale.values] + (["NA"] if item.allow_na else [])
        anchors = "\n".join(f"{v}: {a.strip()}" for v, a in sorted(item.anchors.items()))
        note = (
            f"{item.text.strip()}\n\nAsked of: {', '.join(item.informants)}"
            + ("\nReverse-scored." if item.reverse else "")
            + ("\nNA allowed." if item.allow_na else "")
            + f"\n\n{anchors}"
        )
        cell = sheet.cell(row=1, column=k)
        cell.comment = Comment(note[:30000], inst.spec, width=480, height=360)
        cell.fill = fill
        restrict(k, values, item.id, f"{' '.join(item.text.split())[:200]} ({'/'.join(values)})")

    guide = book.create_sheet("anchors")
    levels = sorted({v for it in inst.items for v in inst.scale_of(it).values})
    guide.append(
        [
            "item",
            "domain",
            "text",
            "informants",
            "reverse",
            "NA allowed",
            *(f"level {v}" for v in levels),
            "guidance",
        ]
    )
    for c in guide[1]:
        c.font = bold
    for item in inst.items:
        guide.append(
            [
                item.id,
                item.domain,
                " ".join(item.text.split()),
                ", ".join(item.informants),
                "yes" if item.reverse else "",
                "yes" if item.allow_na else "",
                *(" ".join(item.anchors.get(v, "").split()) for v in levels),
                " ".join(item.guidance.split()),
            ]
        )
    for k, width in enumerate([28, 24, 60, 24, 8, 10, *([50] * len(levels)), 60], start=1):
        guide.column_dimensions[get_column_letter(k)].width = width
    about = book.create_sheet("about")
    for row in (
        ["instrument", inst.spec],
        ["title", inst.title],
        ["content sha256", inst.content_hash],
        [
            "how to fill in",
            "One row per rating sheet (one rater, one assessment). Leave "
            "items not asked of the informant empty; use NA only where the drop-down offers "
            "it. Check with: fidelity validate <file>.xlsx",
        ],
    ):
        about.append(row)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@app.command("schema")
def schema_cmd(
    spec: Annotated[str, typer.Argument(help="ID, ID@VERSION or a path to an instrument file.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file.", dir_okay=False)
    ] = None,
) -> None:
    """Print the strict JSON Schema of one rating sheet on an instrument version."""
    from fidelity.ratings import sheet_schema

    inst = load_or_fail(spec)
    schema = sheet_schema(inst)
    if out is None:
        print_json(schema)
    else:
        write_outputs({out: json.dumps(schema, indent=2, ensure_ascii=False) + "\n"})
        typer.echo(f"wrote {out}", err=True)
