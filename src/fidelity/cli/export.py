"""The ``export`` group: an instrument for REDCap (data dictionary and instrument ZIP) or as a
FHIR Questionnaire, and sheets as REDCap records or FHIR QuestionnaireResponses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fidelity.cli._common import (
    Files,
    InstrumentOpt,
    Progress,
    SheetInput,
    fail,
    load_or_fail,
    read_batch,
    reads_sheets,
    resolve_instrument,
    write_lines,
    write_outputs,
)
from fidelity.cli._exits import echo_err

if TYPE_CHECKING:
    from fidelity.instrument import Instrument

app = typer.Typer(
    name="export",
    help="Export an instrument or sheets to REDCap or FHIR.",
    no_args_is_help=True,
)

_Spec = Annotated[
    str, typer.Argument(metavar="ID[@VERSION]", help="Instrument ID, ID@VERSION or YAML path.")
]
_Base = Annotated[
    str,
    typer.Option("--base", help="Canonical base URL of the Questionnaire (your organisation's)."),
]
_DEFAULT_BASE = "https://fidelity.invalid/fhir"


def _stem(spec: str) -> str:
    return spec.replace("@", "-")


@app.command("redcap")
def redcap_cmd(
    spec: _Spec,
    out: Annotated[
        Path, typer.Option("--out", "-o", file_okay=False, help="Output directory.")
    ] = Path("."),
) -> None:
    """Write the REDCap data dictionary (ID-VERSION-dictionary.csv) and instrument ZIP
    (ID-VERSION-instrument.zip) of an instrument."""
    from fidelity.interop.redcap import MISSING_CODES_SETTING, dictionary_csv, instrument_zip

    inst = load_or_fail(spec)
    stem = _stem(inst.spec)
    dictionary, archive = out / f"{stem}-dictionary.csv", out / f"{stem}-instrument.zip"
    write_outputs({dictionary: dictionary_csv(inst), archive: instrument_zip(inst)})
    typer.echo(f"wrote {dictionary}")
    typer.echo(f"wrote {archive}")
    typer.echo(
        "In REDCap, add this line under Project Setup → Additional customizations → "
        f"Missing Data Codes: {MISSING_CODES_SETTING}"
    )


@app.command("fhir")
def fhir_cmd(
    spec: _Spec,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, help="Output file (default: stdout)."),
    ] = None,
    base: _Base = _DEFAULT_BASE,
) -> None:
    """Write the FHIR R4 Questionnaire of an instrument (JSON)."""
    from fidelity.interop.fhir import questionnaire

    text = (
        json.dumps(questionnaire(load_or_fail(spec), base=base), indent=2, ensure_ascii=False)
        + "\n"
    )
    _emit(text, out)


def _sheets(
    files: list[Path], instrument: str | None, how: SheetInput
) -> tuple[Instrument, list[dict[str, Any]]]:
    """The sheets of ``files`` as records, and their instrument; errors end the run (exit 1).
    Extra columns (declared or not; the undeclared named in one FR207 warning) have no place
    in REDCap or FHIR and are left out."""
    from fidelity.ratings import validate

    batch = read_batch(files, Progress(enabled=False, steps=0), how, instrument=instrument)
    inst = resolve_instrument(batch, instrument)
    problems = validate(inst, batch, keep=how.kept)
    if errors := [p for p in problems if p.severity == "error"]:
        write_lines([str(p) for p in errors])
        fail(f"{len(errors)} error(s) in the sheets; nothing was exported")
    for p in problems:
        if p.code == "FR207":
            echo_err(str(p))
    items = {it.id for it in inst.items}
    records = []
    for rec in batch.records():
        for part in ("ratings", "comments"):
            if part in rec:
                rec[part] = {k: v for k, v in rec[part].items() if k in items}
        records.append(rec)
    return inst, records


@app.command("fhir-responses")
@reads_sheets()
def fhir_responses_cmd(
    files: Files,
    sheets_from: SheetInput,
    instrument: InstrumentOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, help="Output file (default: stdout)."),
    ] = None,
    ndjson: Annotated[
        bool, typer.Option("--ndjson", help="NDJSON, one resource a line, instead of a Bundle.")
    ] = False,
    base: _Base = _DEFAULT_BASE,
) -> None:
    """Write one FHIR QuestionnaireResponse per (valid) sheet, as a Bundle or NDJSON."""
    from fidelity.interop.fhir import responses, responses_bundle, responses_ndjson

    inst, batch = _sheets(files, instrument, sheets_from)
    found = responses(inst, batch, base=base)
    text = (
        responses_ndjson(found)
        if ndjson
        else json.dumps(responses_bundle(found), indent=2, ensure_ascii=False) + "\n"
    )
    _emit(text, out)


@app.command("redcap-records")
@reads_sheets()
def redcap_records_cmd(
    files: Files,
    sheets_from: SheetInput,
    instrument: InstrumentOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", dir_okay=False, help="Output file (default: stdout)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Flat JSON instead of CSV.")] = False,
) -> None:
    """Write (valid) sheets as REDCap raw records, ready for REDCap's Data Import Tool."""
    from fidelity.interop.redcap import records_csv, records_json, sheets_to_records

    inst, batch = _sheets(files, instrument, sheets_from)
    records = sheets_to_records(inst, batch)
    _emit(records_json(records) + "\n" if as_json else records_csv(inst, records), out)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_outputs({out: text})
        typer.echo(f"wrote {out}", err=True)
