"""read_sheets with format='redcap' and format='fhir': REDCap exports and FHIR responses in the
library, with the same sheets, problems and messages as the CLI's ``--from``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app
from fidelity.errors import InteropError
from fidelity.interop import fhir, redcap
from fidelity.ratings import read_sheets

DATA = Path(__file__).parents[1] / "data"
MINI = DATA / "lint" / "minimal.yaml"
REDCAP = DATA / "redcap"
"""REDCap exports written to REDCap's documented format (see tests/data/redcap/README.md)."""
EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def mini() -> fidelity.Instrument:
    return fidelity.load_instrument(MINI)


def _cli(*args: object) -> tuple[int, list[str]]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output.splitlines()


def test_a_redcap_export_reads_as_the_interop_reader_reads_it(mini: fidelity.Instrument) -> None:
    path = REDCAP / "longitudinal.csv"
    batch = read_sheets(path, format="redcap", instrument=mini)
    same = redcap.read_redcap(path, instrument=mini)
    assert list(batch.records()) == list(same.records())
    assert [str(p) for p in batch.problems] == [str(p) for p in same.problems]
    assert {p.code for p in batch.problems} == {"FR702"}
    scores = fidelity.score(mini, batch).to_pandas()
    assert len(scores) == len(batch) == 4
    assert set(scores["round"]) == {"baseline_arm_1", "month_6_arm_1"}


def test_the_library_and_the_cli_name_the_same_problems(mini: fidelity.Instrument) -> None:
    path = REDCAP / "longitudinal.csv"
    problems = fidelity.validate(mini, read_sheets(path, format="redcap", instrument=mini))
    code, lines = _cli("validate", "--each", "--from", "redcap", path, "-i", MINI)
    assert code == 0
    assert [str(p) for p in problems] == lines[: len(problems)]
    assert any("FR702" in line and "record 103" in line for line in lines)


def test_include_incomplete_and_the_dictionary(mini: fidelity.Instrument) -> None:
    path = REDCAP / "longitudinal.csv"
    dictionary = REDCAP / "mini-dictionary.csv"
    batch = read_sheets(
        path, format="redcap", instrument=mini, dictionary=dictionary, include_incomplete=True
    )
    assert len(batch) == 6 and batch.problems == []


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("labels.csv", {}),
        ("longitudinal.csv", {"dictionary": REDCAP / "edited-dictionary.csv"}),
    ],
    ids=["label-export", "edited-dictionary"],
)
def test_an_export_that_cannot_be_mapped_raises_what_the_cli_prints(
    mini: fidelity.Instrument, name: str, options: dict[str, Path]
) -> None:
    with pytest.raises(InteropError) as err:
        read_sheets(REDCAP / name, format="redcap", instrument=mini, **options)
    flags = [a for k, v in options.items() for a in (f"--{k}", v)]
    code, lines = _cli("validate", "--from", "redcap", REDCAP / name, "-i", MINI, *flags)
    assert code == 1
    assert err.value.reasons and all(
        any(reason in line for line in lines) for reason in err.value.reasons
    )


def test_fhir_responses_read_back_as_the_sheets_that_were_written(tmp_path: Path) -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    original = read_sheets(EXAMPLE)
    path = tmp_path / "responses.ndjson"
    path.write_text(fhir.responses_ndjson(fhir.responses(inst, original)), encoding="utf-8")
    batch = read_sheets(path, format="fhir")
    assert list(batch.records()) == list(fhir.read_fhir(path).records())
    before = fidelity.score(inst, original).to_pandas()["overall"]
    after = fidelity.score(inst, batch).to_pandas()["overall"]
    assert after.fillna(-1).tolist() == before.fillna(-1).tolist()
    other = tmp_path / "patient.json"
    other.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": {}}]}))
    with pytest.raises(InteropError, match="entry 0 is None, not a QuestionnaireResponse"):
        read_sheets(other, format="fhir")


def test_redcap_options_go_with_format_redcap_only(mini: fidelity.Instrument) -> None:
    with pytest.raises(ValueError, match="go with format='redcap'"):
        read_sheets(EXAMPLE, include_incomplete=True)
    with pytest.raises(ValueError, match="go with format='redcap'"):
        read_sheets(EXAMPLE, format="fhir", instrument=mini)
    with pytest.raises(ValueError, match="unknown sheet format 'odm'"):
        read_sheets(EXAMPLE, format="odm")  # type: ignore[arg-type]


def test_an_unreadable_export_is_a_problem_not_an_exception(
    mini: fidelity.Instrument, tmp_path: Path
) -> None:
    batch = read_sheets(tmp_path / "missing.csv", format="redcap", instrument=mini)
    assert [p.code for p in batch.problems] == ["FR001"]
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    assert [p.code for p in read_sheets(broken, format="fhir").problems] == ["FR010"]


def test_an_export_read_as_fidelitys_own_file_says_how_to_read_it(tmp_path: Path) -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    export = tmp_path / "export.csv"
    export.write_text(redcap.records_csv(inst, redcap.sheets_to_records(inst, EXAMPLE)))
    (p,) = read_sheets(export).problems
    assert p.code == "FR020" and p.message.endswith(
        "this is a REDCap export: read it with --from redcap (format='redcap')"
    )
    responses = fhir.responses(inst, EXAMPLE)
    bundle, ndjson = tmp_path / "bundle.json", tmp_path / "responses.ndjson"
    bundle.write_text(json.dumps(fhir.responses_bundle(responses)), encoding="utf-8")
    ndjson.write_text(fhir.responses_ndjson(responses), encoding="utf-8")
    for path in (bundle, ndjson):
        (p,) = read_sheets(path).problems
        assert p.code == "FR011" and p.message.endswith(
            "not FHIR resources: read FHIR QuestionnaireResponses with --from fhir (format='fhir')"
        )
    code, lines = _cli("validate", bundle)
    assert code == 1 and any("--from fhir" in line for line in lines)


def test_a_problem_in_an_export_names_the_row_the_record_and_the_variable(
    mini: fidelity.Instrument, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    before = "A7--2,mini@1.0.0,,,east,peer_worker,2024-03-01,,4"
    path.write_text((REDCAP / "dde.csv").read_text().replace(before, before[:-1] + "7"))
    (p,) = fidelity.validate(mini, read_sheets(path, format="redcap", instrument=mini))
    assert str(p).startswith(f"{path} row 4, record A7--2 (assessment A7, rater 2): FR101")
    assert p.path == "t_open" and p.item == "t-open"
    assert p.to_dict()["sheet"]["record"] == "A7--2"
    code, lines = _cli("validate", "--from", "redcap", path, "-i", MINI)
    assert code == 1 and lines[0] == str(p)
    scores = fidelity.score(mini, read_sheets(REDCAP / "dde.csv", format="redcap", instrument=mini))
    assert scores.to_pandas()["source"].tolist()[0].endswith("row 2, record A7")
