"""The ``export`` commands and ``--from redcap|fhir`` on the commands that read sheets: the
example audit goes out and comes back with the same scores; bad input exits 1 naming the
record and variable, and nothing is written."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from interop_support import MINI, REDCAP
from typer.testing import CliRunner

from fidelity.cli import app

runner = CliRunner()
ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "enrich-audit.csv"


def invoke(*args: str) -> Any:
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


def _scores(path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    for r in rows:
        r.pop("source")
    return rows


def test_export_redcap_writes_the_dictionary_and_the_zip(tmp_path: Path) -> None:
    result = invoke("export", "redcap", "enrich-peer-support@1.1.0", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    dictionary = tmp_path / "enrich-peer-support-1.1.0-dictionary.csv"
    archive = tmp_path / "enrich-peer-support-1.1.0-instrument.zip"
    assert dictionary.read_text().startswith("Variable / Field Name,Form Name,")
    assert zipfile.ZipFile(archive).namelist() == ["instrument.csv", "OriginID.txt"]
    assert "Missing Data Codes: NA, Not applicable" in result.output


def test_export_fhir_writes_a_questionnaire() -> None:
    result = invoke("export", "fhir", "enrich-peer-support@1.0.0", "--base", "https://x.org/fhir")
    assert result.exit_code == 0
    q = json.loads(result.stdout)
    assert q["url"] == "https://x.org/fhir/Questionnaire/enrich-peer-support"
    assert q["version"] == "1.0.0"


@pytest.mark.parametrize(
    ("export", "source", "name"),
    [
        (["redcap-records"], "redcap", "records.csv"),
        (["redcap-records", "--json"], "redcap", "records.json"),
        (["fhir-responses"], "fhir", "bundle.json"),
        (["fhir-responses", "--ndjson"], "fhir", "responses.ndjson"),
    ],
)
def test_the_example_audit_round_trips_with_the_same_scores(
    tmp_path: Path, export: list[str], source: str, name: str
) -> None:
    target = tmp_path / name
    assert invoke("export", *export, EXAMPLE, "-o", target).exit_code == 0
    assert invoke("score", "--from", source, target, "-o", tmp_path / "a", "-q").exit_code == 0
    assert invoke("score", EXAMPLE, "-o", tmp_path / "b", "-q").exit_code == 0
    assert _scores(tmp_path / "a" / "scores.csv") == _scores(tmp_path / "b" / "scores.csv")
    assert invoke("validate", "--from", source, target).exit_code == 0
    assert invoke("report", "--from", source, target, "-o", tmp_path / "r").exit_code == 0
    assert (tmp_path / "r" / "report.html").is_file()


def test_reliability_reads_redcap(tmp_path: Path) -> None:
    target = tmp_path / "records.csv"
    invoke("export", "redcap-records", EXAMPLE, "-o", target)
    result = invoke("reliability", "--from", "redcap", target, "--json", "--bootstrap", "0")
    assert result.exit_code == 0
    assert json.loads(result.stdout)


def test_incomplete_forms_are_named_and_left_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["score", "--from", "redcap", REDCAP / "longitudinal.csv", "-i", MINI, "-o", out]
    result = invoke(*args)
    assert result.exit_code == 0
    assert "record 103, event baseline_arm_1: the form is not Complete (Incomplete)" in (
        result.output
    )
    assert len(_scores(out / "scores.csv")) == 4
    result = invoke(*args, "--include-incomplete")
    assert len(_scores(out / "scores.csv")) == 6


def test_a_label_export_exits_1(tmp_path: Path) -> None:
    result = invoke("validate", "--from", "redcap", REDCAP / "labels.csv", "-i", MINI)
    assert result.exit_code == 1
    assert "labels.csv: column 'Record ID' is a label, not a variable" in result.output
    assert "raw data" in result.output


def test_an_edited_dictionary_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "score", "--from", "redcap", REDCAP / "longitudinal.csv", "-i", MINI,
        "--dictionary", REDCAP / "edited-dictionary.csv", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "edited-dictionary.csv row 11: variable t_open (item t-open)" in result.output
    assert "no variable for item c-pace" in result.output
    assert not out.exists()


def test_a_bad_value_names_the_row_and_item(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    before = "A7--2,mini@1.0.0,,,east,peer_worker,2024-03-01,,4"
    path.write_text((REDCAP / "dde.csv").read_text().replace(before, before[:-1] + "7"))
    out = tmp_path / "out"
    result = invoke("score", "--from", "redcap", path, "-i", MINI, "-o", out)
    assert result.exit_code == 1
    assert "export.csv row 4, record A7--2 (assessment A7, rater 2): FR101 item t-open" in (
        result.output
    )
    assert result.output.splitlines()[0].endswith("[t_open]")  # the variable
    assert not out.exists()


def test_exporting_invalid_sheets_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"instrument": "mini@1.0.0", "assessment": "a", "rater": "r",
                               "ratings": {"t-open": 9}}))  # fmt: skip
    target = tmp_path / "out.json"
    result = invoke("export", "fhir-responses", bad, "-i", MINI, "-o", target)
    assert result.exit_code == 1
    assert "FR101" in result.output and "nothing was exported" in result.output
    assert not target.exists()


def test_redcap_options_without_from_redcap_are_a_usage_error() -> None:
    result = invoke("validate", EXAMPLE, "--include-incomplete")
    assert result.exit_code == 2
    assert "go with --from redcap" in result.output


def test_export_is_listed_with_its_commands() -> None:
    result = invoke("export", "--help")
    assert result.exit_code == 0
    for name in ("redcap", "fhir", "fhir-responses", "redcap-records"):
        assert name in result.output


def test_consensus_and_raters_read_redcap(tmp_path: Path) -> None:
    target = tmp_path / "records.csv"
    invoke("export", "redcap-records", EXAMPLE, "-o", target)
    direct = invoke("raters", EXAMPLE, "--json")
    via = invoke("raters", "--from", "redcap", target, "--json")
    assert via.exit_code == direct.exit_code == 0
    assert json.loads(via.stdout) == json.loads(direct.stdout)
    result = invoke("consensus", "--from", "redcap", target, "-o", tmp_path / "meet")
    assert result.exit_code == 0, result.output


def test_a_redcap_export_converts_to_fhir_responses(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    invoke("export", "redcap-records", EXAMPLE, "-o", records)
    bundle = tmp_path / "bundle.json"
    result = invoke("export", "fhir-responses", "--from", "redcap", records, "-o", bundle)
    assert result.exit_code == 0, result.output
    assert invoke("score", "--from", "fhir", bundle, "-o", tmp_path / "a", "-q").exit_code == 0
    assert invoke("score", EXAMPLE, "-o", tmp_path / "b", "-q").exit_code == 0
    assert _scores(tmp_path / "a" / "scores.csv") == _scores(tmp_path / "b" / "scores.csv")


@pytest.mark.parametrize("command", ["validate", "score", "reliability", "report", "raters"])
def test_an_unknown_input_format_is_a_usage_error(command: str) -> None:
    result = invoke(command, "--from", "odm", EXAMPLE)
    assert result.exit_code == 2
    assert "'odm' is not an input format; use one of file, redcap, fhir" in result.output
