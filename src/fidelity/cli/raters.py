"""The ``raters`` command: rater calibration against gold-standard or consensus ratings, with
certification and drift (see :mod:`fidelity.raters`)."""

from __future__ import annotations

import enum
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
    plain,
    print_json,
    read_batch,
    reads_sheets,
    resolve_instrument,
    write_lines,
    write_outputs,
)

if TYPE_CHECKING:
    from fidelity._util.atomic import Data

app = typer.Typer()


class PeriodOpt(enum.StrEnum):
    """Periods of the drift table."""

    month = "month"
    quarter = "quarter"


@app.command("raters")
@reads_sheets()
def raters_cmd(
    files: Files,
    sheets_from: SheetInput,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            exists=True,
            dir_okay=False,
            help="Gold-standard sheets of the training vignettes (default: the consensus "
            "sheets in FILES are the reference).",
        ),
    ] = None,
    instrument: InstrumentOpt = None,
    min_ac2: Annotated[float, typer.Option(help="Certification: lowest AC2.")] = 0.80,
    max_bias: Annotated[
        float, typer.Option(help="Certification: |bias| must be below this (levels).")
    ] = 0.25,
    min_sheets: Annotated[int, typer.Option(min=1, help="Certification: fewest sheets.")] = 5,
    period: Annotated[
        PeriodOpt | None, typer.Option(help="Drift per rater by month or quarter of the date.")
    ] = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
    ] = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", file_okay=False, help="Also write raters.md and raters*.csv here."
        ),
    ] = None,
) -> None:
    """Rater calibration: each rater's exact and within-one agreement, weighted kappa and AC2
    with the reference, and bias (mean signed difference) overall and per domain, with a
    pass / not yet verdict under the certification rule; with --period, drift over time.

    Invalid sheets are refused (exit 1, problems listed one per line).
    """
    from fidelity.raters import CertificationRule, calibrate
    from fidelity.ratings import read_sheets

    rule = CertificationRule(min_ac2=min_ac2, max_abs_bias=max_bias, min_sheets=min_sheets)
    with input_progress(files, steps=len(files) + 1) as progress:
        batch = read_batch(
            files,
            progress,
            sheets_from,
            instrument=instrument,
        )
        inst = resolve_instrument(batch, instrument)
        progress.step("comparing with the reference")
        cal = calibrate(
            inst,
            batch,
            read_sheets(gold) if gold is not None else None,
            rule=rule,
            confidence=confidence,
            period=period.value if period is not None else None,
        )
    note_undeclared(inst, batch, sheets_from)
    if out is not None:
        from fidelity._util.csvtext import csv_output

        tables = {"raters.csv": cal.raters, "raters-domains.csv": cal.domains}
        if period is not None:
            tables["raters-drift.csv"] = cal.drift
        outputs: dict[Path, Data] = {out / n: csv_output(t) for n, t in tables.items()}
        outputs[out / "raters.md"] = cal.to_markdown()
        write_outputs(outputs)
    if as_json:
        print_json(cal.to_dict())
        return
    console().print(plain(str(cal)), markup=False)  # rater ids as typed
    lines = ["", f"Certification rule: {rule.describe()}"]
    lines += [f"  {r.rater}: {r.status} ({r.reason})" for r in cal.raters.itertuples(index=False)]
    if period is not None:
        flagged = cal.drift[cal.drift["flagged"]]
        lines += ["", f"Drift by {period.value}: {len(flagged)} flagged rater-period(s)"]
        lines += [f"  {r.rater} {r.period}: {r.reason}" for r in flagged.itertuples(index=False)]
    write_lines(lines)
