"""Rating-sheet commands: ``validate``, ``score``, ``template`` and ``schema``.

A thin shell over :mod:`fidelity.ratings` and :mod:`fidelity.scoring`: read, check, report
problems one per line (exit 1) or write outputs atomically. Heavy imports stay inside the
command functions so that ``fidelity --help`` stays fast.
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fidelity._util.atomic import atomic_write
from fidelity.cli._common import LARGE_INPUT_BYTES as LARGE_INPUT_BYTES
from fidelity.cli._common import (
    OUTPUT_MANIFEST,
    Files,
    InstrumentOpt,
    Progress,
    SheetInput,
    Strict,
    console,
    fail,
    input_progress,
    load_or_fail,
    print_json,
    read_batch,
    reads_sheets,
    resolve_instrument,
    summary_line,
    text,
    write_lines,
    write_outputs,
)
from fidelity.cli._exits import EXIT_INVALID, EXIT_USAGE, echo_err

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from fidelity._util.atomic import Content, Data
    from fidelity.ratings import Problem, ProblemList
    from fidelity.ratings.checks.run import CheckedSheets
    from fidelity.scoring import ScoreResult

app = typer.Typer()

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
    parquet = "parquet"


PROBLEM_SUFFIXES = (".csv", ".xlsx", ".parquet")
"""The formats of ``validate --problems``, by the file's suffix."""


class TemplateFormat(enum.StrEnum):
    """Formats of ``fidelity template``."""

    csv = "csv"
    xlsx = "xlsx"


# ---------------------------------------------------------------------------------------------
# validate


@app.command("validate")
@reads_sheets()
def validate_cmd(
    files: Files,
    sheets_from: SheetInput,
    instrument: InstrumentOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print problems as JSON.")] = False,
    strict: Strict = False,
    problems_file: Annotated[
        Path | None,
        typer.Option(
            "--problems",
            help="Also write every problem as a row (file, row, assessment, rater, item, value, "
            "allowed, code, severity, message) to this .csv, .xlsx or .parquet file (Parquet "
            "with the provenance and the inputs' SHA-256 in its metadata).",
            dir_okay=False,
        ),
    ] = None,
    each: Annotated[
        bool, typer.Option("--each", help="One line per problem, repeated ones not grouped.")
    ] = False,
) -> None:
    """Check rating sheets against their instrument and list the problems.

    A problem repeated on several sheets of a file (the same code, item and message) is one
    line with the number of sheets and their rows (--each lists every one). Exit 0 when the
    sheets are valid (warnings are listed but allowed unless --strict), 1 when there are
    errors, 2 on a usage error.
    """
    from fidelity.ratings import check_sheets, validate
    from fidelity.ratings.problem_report import grouped_lines

    if problems_file is not None and problems_file.suffix.lower() not in PROBLEM_SUFFIXES:
        echo_err(f"--problems: {problems_file} must end in .csv, .xlsx or .parquet")
        raise typer.Exit(EXIT_USAGE)

    batch = read_batch(
        files,
        Progress(enabled=False, steps=0),
        sheets_from,
        instrument=instrument,
    )
    inst = resolve_instrument(batch, instrument)
    kept = sheets_from.kept
    problems = validate(inst, batch, keep=kept)
    failing = not problems.ok or (strict and len(problems) > 0)
    n_errors = len(problems.errors)
    if problems_file is not None:
        provenance = {
            "instrument": inst.spec,
            "content_hash": inst.content_hash,
            "n_sheets": len(batch),
        }
        checked = check_sheets(inst, batch, keep=kept)
        _write_problems(problems_file, problems, provenance, files, checked)
    if as_json:
        print_json(
            {
                "instrument": inst.spec,
                "content_hash": inst.content_hash,
                "files": [str(f) for f in files],
                "n_sheets": len(batch),
                "valid": not failing,
                "errors": n_errors,
                "warnings": len(problems) - n_errors,
                "problems": [p.to_dict() for p in problems],
            }
        )
    else:
        write_lines(map(str, problems) if each else grouped_lines(problems))
        n_warnings = len(problems) - n_errors
        counted = (
            f"; {n_warnings} warning(s) counted as errors (--strict)"
            if strict and n_warnings
            else ""
        )
        echo_err(
            summary_line(problems, len(batch), len(files), inst.spec)
            + counted
            + ("" if failing else " - valid")
        )
    if failing:
        raise typer.Exit(EXIT_INVALID)


def _write_problems(
    target: Path,
    problems: ProblemList,
    provenance: dict[str, object],
    files: list[Path],
    checked: CheckedSheets | None = None,
) -> None:
    """The problems as a table for whoever fixes the sheets: CSV (cells that a spreadsheet
    would evaluate are neutralised), XLSX (every text cell stored as text) or Parquet (typed,
    with ``provenance`` and the inputs in its metadata); CSV and XLSX with the sheets'
    declared metadata columns when ``checked`` has them."""
    from fidelity._util.csvtext import csv_output
    from fidelity.ratings.problem_report import problem_table

    suffix = target.suffix.lower()
    if suffix == ".parquet":
        data: Data = _parquet(problems.to_arrow(_stamped(provenance, "validated_at")), files)
    elif suffix == ".csv":
        data = csv_output(problem_table(problems, checked))
    else:
        data = _xlsx_table(problem_table(problems, checked))
    try:
        atomic_write(target, data)
    except OSError as exc:
        echo_err(f"cannot write {target}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from exc


def _xlsx_table(table: pd.DataFrame) -> bytes:
    """A one-sheet workbook of ``table``: a bold header, text cells stored as text."""
    import io

    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "problems"
    sheet.append(list(table.columns))
    for c in sheet[1]:
        c.font = Font(bold=True)
    for row in table.astype(object).itertuples(index=False):
        sheet.append([None if v is None or v is pd.NA or v != v else v for v in row])
        for c in sheet[sheet.max_row]:
            if isinstance(c.value, str):
                c.data_type = "s"
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# score


@app.command("score")
@reads_sheets()
def score_cmd(
    files: Files,
    sheets_from: SheetInput,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output directory.", file_okay=False)
    ] = Path("."),
    fmt: Annotated[
        list[OutFormat] | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format: csv (the four tables and provenance.json), json (scores.json: "
            "everything in one document) or parquet (typed tables with their provenance); "
            "repeat for several (default: csv).",
        ),
    ] = None,
    instrument: InstrumentOpt = None,
    strict: Strict = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
) -> None:
    """Validate, then score rating sheets and write per-sheet, per-assessment and per-site
    scores.

    Invalid input is refused (exit 1) and nothing is written. Outputs (in --out): scores.csv,
    scores-by-assessment.csv, scores-by-site.csv (spread), site-scores.csv (one fidelity
    score per site) and provenance.json for csv (the default); scores.json (everything, with
    provenance, in one document) for json; the four tables as .parquet for parquet;
    fidelity-outputs.json, written last, names every file of the set with its SHA-256. The
    set is published all or nothing, one run at a time.
    """
    from fidelity.ratings import validate
    from fidelity.scoring import score

    formats = set(fmt or [OutFormat.csv])
    kept = sheets_from.kept
    with input_progress(files, steps=len(files) + 3) as progress:
        batch = read_batch(
            files,
            progress,
            sheets_from,
            instrument=instrument,
        )
        progress.step("validating")
        inst = resolve_instrument(batch, instrument)
        problems = validate(inst, batch, keep=kept)
        if failing := (problems if strict else problems.errors):
            progress.stop()
            write_lines(map(str, failing))
            fail(
                summary_line(problems, len(batch), len(files), inst.spec)
                + "; nothing was scored or written"
            )
        progress.step("scoring")
        try:
            result = score(inst, batch, keep=kept)
        except ValueError as exc:  # a kept column named like a score column
            progress.stop()
            fail(f"error: --keep-columns: {exc}", EXIT_USAGE)
        progress.step("writing")
        outputs = _render_outputs(result, formats)
        if OutFormat.parquet in formats:
            outputs.update(_parquet_scores(result, files))
        write_outputs({out / name: data for name, data in outputs.items()}, manifest=True)
    _print_warnings(problems.warnings)  # a view: the aggregated ones are not built
    if not quiet:
        _print_site_table(result)
    echo_err(
        f"scored {len(result)} sheet(s) on {inst.spec}; wrote "
        f"{', '.join(str(out / n) for n in [*outputs, OUTPUT_MANIFEST])}"
    )


def _print_warnings(warnings: Sequence[Problem]) -> None:
    """The first :data:`WARNINGS_SHOWN` warnings, then how many more there are."""
    if not warnings:
        return
    write_lines([str(p) for p in warnings[:WARNINGS_SHOWN]])
    if len(warnings) > WARNINGS_SHOWN:
        echo_err(
            f"... and {len(warnings) - WARNINGS_SHOWN} more warning(s); "
            "`fidelity validate` lists them all"
        )


def _render_outputs(result: ScoreResult, formats: set[OutFormat]) -> dict[str, Content]:
    """Every output file's content: the CSV tables as callables that build and encode each
    when its turn to be written comes, so that each file is written while the next is made
    (see :func:`fidelity._util.atomic.write_all`)."""
    from fidelity._util.csvtext import csv_output

    outputs: dict[str, Content] = {}
    if OutFormat.csv in formats:
        # every text cell neutralised: no id opens as a formula in a spreadsheet
        outputs["scores.csv"] = lambda: csv_output(result.to_pandas())
        outputs["scores-by-assessment.csv"] = lambda: csv_output(result.by_assessment())
        outputs["scores-by-site.csv"] = lambda: csv_output(result.by_site())
        outputs["site-scores.csv"] = lambda: csv_output(result.site_scores())
        outputs["provenance.json"] = json.dumps(result.provenance, indent=2) + "\n"
    if OutFormat.json in formats:
        # indented for people when small; compact (and several times faster) when large
        indent = 2 if len(result) <= COMPACT_JSON_ABOVE else None
        outputs["scores.json"] = result.to_json(indent=indent) + "\n"
    return outputs


def _parquet_scores(result: ScoreResult, files: list[Path]) -> dict[str, bytes]:
    """The four score tables as Parquet files, each with the provenance and the inputs."""
    from fidelity.columnar import SCORE_TABLES

    return {
        f"{name.replace('_', '-')}.parquet": _parquet(result.to_arrow(name), files)
        for name in SCORE_TABLES
    }


def _parquet(table: pa.Table, files: list[Path]) -> bytes:
    """``table`` as Parquet bytes, the input files and their SHA-256 added to its provenance."""
    from fidelity.columnar import input_digests, parquet_bytes, with_provenance

    return parquet_bytes(with_provenance(table, inputs=input_digests(files)))


def _stamped(provenance: dict[str, object], key: str) -> dict[str, object]:
    """``provenance`` with the library version and the time now (under ``key``)."""
    from fidelity._util.time import utc_timestamp
    from fidelity._util.version import __version__

    return {**provenance, "fidelity_version": __version__, key: utc_timestamp()}


def _fmt(x: float) -> str:
    import math

    return "-" if math.isnan(x) else f"{x:.2f}"


def _print_site_table(result: ScoreResult) -> None:
    """Per site: number of assessments, mean of each domain and of the overall score."""
    from rich.table import Table

    sites = result.site_scores()
    cols = [*result.domain_ids, "overall"]
    codes = [f"D{k + 1}" for k in range(len(result.domain_ids))]
    legend = "; ".join(f"{c} {d}" for c, d in zip(codes, result.domain_ids, strict=True))
    table = Table(
        title=text(f"Fidelity per site, {result.instrument}"),
        caption=text(
            "n = interviews (assessments) combined: each domain is the mean of the "
            "site's interview scores, overall follows the instrument's rule on those domains; "
            f"site-scores.csv has them all, scores-by-site.csv their spread. {legend}"
        ),
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("site", no_wrap=True)
    table.add_column("n", justify="right")
    for code in codes:
        table.add_column(code, justify="right")
    table.add_column("overall", justify="right")
    table.add_column("band", no_wrap=True)
    for _, row in sites.head(SITES_SHOWN).iterrows():
        table.add_row(
            text(row["site"]),
            str(int(row["n_assessments"])),
            *(_fmt(float(row[c])) for c in cols),
            text(row["band"] or "-"),
        )
    if len(sites) > SITES_SHOWN:
        table.add_row(f"... {len(sites) - SITES_SHOWN} more", "", *([""] * len(cols)), "")
    if len(sites):
        means = sites[cols].astype(float).mean()
        table.add_section()
        table.add_row(
            f"mean of {len(sites)} sites",
            str(int(sites["n_assessments"].sum())),
            *(_fmt(float(means[c])) for c in cols),
            "",
        )
    console().print(table)


# ---------------------------------------------------------------------------------------------
# template and schema


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
    from fidelity.ratings.templates import template_csv, template_xlsx

    inst = load_or_fail(spec)
    if fmt is TemplateFormat.csv:
        text = template_csv(inst)
        if out is None:
            sys.stdout.write(text)
        else:
            write_outputs({out: text})
            echo_err(f"wrote {out}")
        return
    target = out or Path(f"{inst.id}-{inst.version}-template.xlsx")
    write_outputs({target: template_xlsx(inst)})
    echo_err(f"wrote {target}")


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
        echo_err(f"wrote {out}")
