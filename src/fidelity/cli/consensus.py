"""The ``consensus`` command: discrepancy lists and pre-filled consensus sheets for every
double-rated assessment that has no consensus sheet yet (see :mod:`fidelity.consensus`)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from fidelity.cli._common import (
    Files,
    InstrumentOpt,
    SheetInput,
    input_progress,
    read_batch,
    reads_sheets,
    resolve_instrument,
    write_outputs,
)
from fidelity.cli._exits import echo_err

app = typer.Typer()


class SheetFormat(enum.StrEnum):
    """Formats of the pre-filled consensus sheets."""

    csv = "csv"
    xlsx = "xlsx"
    json = "json"


_BY_SUFFIX = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".jsonl": "json", ".ndjson": "json"}


@app.command("consensus")
@reads_sheets()
def consensus_cmd(
    files: Files,
    sheets_from: SheetInput,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", file_okay=False, help="Directory for the meeting files."),
    ],
    instrument: InstrumentOpt = None,
    fmt: Annotated[
        SheetFormat | None,
        typer.Option(
            "--format", "-f", help="Format of the consensus sheets (default: that of the input)."
        ),
    ] = None,
) -> None:
    """Prepare consensus meetings: for every assessment rated by two or more raters that has
    no consensus sheet yet, write the discrepancies (discrepancies.csv, .xlsx and .md,
    largest disagreements first) and consensus sheets pre-filled with what the raters agree on
    (consensus-sheets.csv, .xlsx or .json; open items empty and marked). Sheets of several
    audit rounds are prepared round by round, each consensus sheet with its round.

    Invalid sheets are refused (exit 1, problems listed one per line) and nothing is written.
    """
    from fidelity.consensus import prepare_consensus

    with input_progress(files, steps=len(files) + 1) as progress:
        batch = read_batch(
            files,
            progress,
            sheets_from,
            instrument=instrument,
        )
        inst = resolve_instrument(batch, instrument)
        progress.step("comparing raters")
        prep = prepare_consensus(inst, batch, keep=sheets_from.kept)
    kind = fmt.value if fmt is not None else _BY_SUFFIX.get(files[0].suffix.lower(), "csv")
    sheets: str | bytes = (
        prep.sheets_xlsx()
        if kind == "xlsx"
        else prep.sheets_json()
        if kind == "json"
        else prep.sheets_csv()
    )
    outputs: dict[Path, str | bytes] = {
        out / "discrepancies.csv": prep.discrepancies_csv(),
        out / "discrepancies.xlsx": prep.discrepancies_xlsx(),
        out / "discrepancies.md": prep.discrepancies_markdown(),
    }
    if prep.sheets:
        outputs[out / f"consensus-sheets.{kind}"] = sheets
    write_outputs(outputs)
    n_open = len(prep.discrepancies)
    echo_err(
        f"{len(prep.sheets)} assessment(s) waiting for consensus, {n_open} open item(s); "
        f"{len(prep.complete)} already have a consensus sheet"
    )
    echo_err(f"wrote {len(outputs)} file(s) in {out}")  # the path as typed
