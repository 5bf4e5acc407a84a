"""The rating-sheet commands: validate, score, template, schema. Bad input of every kind gives
a clear message and exit code 1, never a traceback, and writes nothing."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity.cli import _common as _cli_common
from fidelity.cli import app

runner = CliRunner()
TESTS = Path(__file__).parents[1]
ROOT = TESTS.parent
EXAMPLE = ROOT / "examples" / "enrich-audit.csv"
HAND = TESTS / "data" / "instruments" / "hand.yaml"
TWO = TESTS / "data" / "sheets" / "two-sheets.csv"
HEADER = "instrument,assessment,rater,site,informant,date,consensus,a1,a2,a3,b1,b2"
TEMPLATE = "instrument,assessment,rater,site,informant,date,round,consensus,a1,a2,a3,b1,b2"
FILLED = ["hand@1.0.0", "A", "r", "north", "supervisor", "2024-05-01", "", "false", 4, 1, 0, 3]
"""A filled template row up to item b1."""


def invoke(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


# ---------------------------------------------------------------------------------------------
# validate


def test_validate_the_example_audit() -> None:
    result = invoke("validate", str(EXAMPLE))
    assert result.exit_code == 0
    assert "108 sheet(s) in 1 file(s) checked against enrich-peer-support@1.1.0" in result.stderr
    assert "0 error(s)" in result.stderr and "valid" in result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(" warning FR105 " in line for line in lines)


def test_validate_json_output() -> None:
    result = invoke("validate", str(EXAMPLE), "--json")
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["n_sheets"] == 108 and data["errors"] == 0
    assert data["instrument"] == "enrich-peer-support@1.1.0"
    problem = data["problems"][0]
    assert problem["code"] == "FR105" and problem["severity"] == "warning"
    assert problem["sheet"]["file"] == str(EXAMPLE) and problem["sheet"]["row"] >= 2
    assert problem["item_label"] and problem["allowed"].startswith("one of 1, 2, 3")


def test_strict_turns_warnings_into_failure() -> None:
    assert invoke("validate", str(EXAMPLE), "--strict").exit_code == 1


def test_validate_lists_every_problem_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        f"{HEADER}\nhand@1.0.0,A,r,,supervisor,,,9,x,1,1,\nhand@1.0.0,A,r,,supervisor,,,1,1,1,1,\n"
    )
    result = invoke("validate", str(path), "--instrument", str(HAND))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path} row 2 (assessment A, rater r): FR101 item a1")
    assert "allowed: one of 1, 2, 3, 4 or 5" in lines[0]
    assert "FR102" in lines[1] and "FR301" in lines[2]
    assert "3 error(s)" in result.stderr


def test_instrument_taken_from_the_sheets() -> None:
    result = invoke("validate", str(TWO))
    assert result.exit_code == 1  # hand@1.0.0 is not in the catalog
    assert "no instrument 'hand'" in result.stderr
    assert invoke("validate", str(TWO), "-i", str(HAND)).exit_code == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    unpinned = tmp_path / "s.csv"
    unpinned.write_text("assessment,rater,a1\nA,r,1\n")
    result = invoke("validate", str(unpinned))
    assert result.exit_code == 2 and "pass --instrument" in result.stderr
    assert invoke("validate", str(tmp_path / "nope.csv")).exit_code == 2
    assert invoke("score").exit_code == 2


# ---------------------------------------------------------------------------------------------
# Bad input: message, exit 1, nothing written


def bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    d = tmp_path / "in"
    d.mkdir()
    (d / "malformed.json").write_text('[{"assessment": "A", "rater": "r", "ratings": {]')
    (d / "header.csv").write_text("id,who,score\n1,x,3\n")
    (d / "types.json").write_text(
        json.dumps(
            [
                {
                    "instrument": "hand@1.0.0",
                    "assessment": "A",
                    "rater": "r",
                    "consensus": "yes",
                    "ratings": {"a1": "3", "a2": 2.0, "a3": True, "b1": 1},
                }
            ]
        )
    )
    (d / "range.csv").write_text(f"{HEADER}\nhand@1.0.0,A,r,,,,,6,1,3,1,\n")
    (d / "empty.csv").write_text("")
    rng = random.Random(7)
    (d / "garbage.csv").write_bytes(rng.randbytes(10 * 1024 * 1024))
    printable = "".join(rng.choice('abc,{}[]"x y\n:0123') for _ in range(200_000))
    (d / "garbage.json").write_text(printable * 53)  # about 10 MB of text
    hand = ["--instrument", str(HAND)]
    return {
        "malformed JSON": (
            [str(d / "malformed.json"), *hand],
            "FR010 malformed JSON at line 1 column",
        ),
        "wrong CSV header": (
            [str(d / "header.csv"), *hand],
            "FR020 wrong header: no assessment or rater column",
        ),
        "wrong types": (
            [str(d / "types.json"), *hand],
            'FR102 item a1 ("Item a1, counted twice."): the text "3" is not a '
            "level value; write the number 3 without quotes",
        ),
        "out of range": (
            [str(d / "range.csv"), *hand],
            'FR101 item a1 ("Item a1, counted twice."): 6 is not on the item\'s '
            "scale; allowed: one of 1, 2, 3, 4 or 5",
        ),
        "unknown instrument": (
            [str(TWO), "--instrument", "no-such-index"],
            "no instrument 'no-such-index'",
        ),
        "empty file": ([str(d / "empty.csv"), *hand], "FR002 file is empty"),
        "binary garbage": ([str(d / "garbage.csv"), *hand], "FR004 not a text file"),
        "text garbage": ([str(d / "garbage.json"), *hand], "FR010 malformed JSON"),
    }


@pytest.mark.parametrize("command", ["validate", "score"])
def test_bad_input_exits_1_with_a_message_and_writes_nothing(tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    for name, (args, message) in bad_inputs(tmp_path).items():
        extra = ["-o", str(out)] if command == "score" else []
        result = invoke(command, *args, *extra)
        assert result.exit_code == 1, (name, result.output)
        assert message in result.output, (name, result.output[:2000])
        assert len(result.output) < 20_000, name  # a clear message, not the file echoed back
        assert not out.exists(), name


def test_garbage_through_the_real_entry_point(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(random.Random(3).randbytes(10 * 1024 * 1024))
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from fidelity.cli import main; main()",
            "score",
            str(path),
            "-i",
            str(HAND),
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "FR004 not a text file" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------------
# score


CSV_OUTPUTS = [
    "fidelity-outputs.json",
    "provenance.json",
    "scores-by-assessment.csv",
    "scores-by-site.csv",
    "scores.csv",
    "site-scores.csv",
]
"""What ``fidelity score`` writes by default, sorted by name."""


def test_score_writes_the_tables_and_provenance_by_default(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("score", str(EXAMPLE), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == CSV_OUTPUTS
    assert "Fidelity per site" in result.stdout


def test_score_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("score", str(EXAMPLE), "-o", str(out), "-f", "csv", "-f", "json")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "fidelity-outputs.json",
        "provenance.json",
        "scores-by-assessment.csv",
        "scores-by-site.csv",
        "scores.csv",
        "scores.json",
        "site-scores.csv",
    ]
    assert "Fidelity per site" in result.stdout and "site-24" in result.stdout
    assert "mean of 24 sites" in result.stdout
    sites = (out / "site-scores.csv").read_text().splitlines()
    assert len(sites) == 25 and sites[0].startswith("site,n_assessments,informants,")
    data = json.loads((out / "scores.json").read_text())
    assert data["provenance"]["instrument"] == "enrich-peer-support@1.1.0"
    assert len(data["sheets"]) == 108 and len(data["assessments"]) == 72
    assert (out / "scores.csv").read_text().count("\n") == 109
    from fidelity._util.atomic import read_output_set

    assert sorted(read_output_set(out, "fidelity-outputs.json")) == names[1:]
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["content_hash"] == data["provenance"]["content_hash"]


def test_score_one_format_and_no_clobbering(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        invoke(
            "score", str(TWO), "-i", str(HAND), "-o", str(out), "--format", "csv", "-q"
        ).exit_code
        == 0
    )
    assert not (out / "scores.json").exists()
    before = (out / "scores.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nhand@1.0.0,A,r,,,,,6,1,1,1,\n")
    assert invoke("score", str(bad), "-i", str(HAND), "-o", str(out)).exit_code == 1
    assert (out / "scores.csv").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == CSV_OUTPUTS


def test_score_with_a_progress_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_cli_common, "LARGE_INPUT_BYTES", 0)
    result = invoke(
        "score", str(TWO), str(TWO.with_suffix(".json")), "-i", str(HAND), "-o", str(tmp_path), "-q"
    )
    # the same two sheets twice are duplicates: refused
    assert result.exit_code == 1 and "FR301" in result.stdout
    result = invoke("score", str(TWO), "-i", str(HAND), "-o", str(tmp_path), "-q")
    assert result.exit_code == 0 and (tmp_path / "scores.csv").exists()


# ---------------------------------------------------------------------------------------------
# template and schema


def test_csv_template_is_the_wide_header() -> None:
    result = invoke("template", str(HAND), "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == TEMPLATE + "\n"


def test_xlsx_template_has_drop_downs_comments_and_anchors(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "t.xlsx"
    assert invoke("template", str(HAND), "--format", "xlsx", "-o", str(target)).exit_code == 0
    book = load_workbook(target)
    sheet = book["ratings"]
    header = [c.value for c in sheet[1]]
    assert ",".join(header) == TEMPLATE
    formulas = {
        str(dv.sqref).split(":")[0].rstrip("0123456789"): dv.formula1
        for dv in sheet.data_validations.dataValidation
    }
    assert formulas["I"] == '"1,2,3,4,5"'  # a1
    assert formulas["K"] == '"0,1,2,NA"'  # a3: its own scale, NA allowed
    assert formulas["E"] == '"peer-worker,supervisor"'
    assert "Item a3, reverse-scored." in sheet["K1"].comment.text
    assert "0: none" in sheet["K1"].comment.text
    anchors = book["anchors"]
    assert [c.value for c in anchors[1]][:6] == [
        "item",
        "domain",
        "text",
        "informants",
        "reverse",
        "NA allowed",
    ]
    assert anchors.max_row == 6
    # fill one row as a user would, then validate it
    sheet.append([*FILLED, "NA"])
    book.save(target)
    result = invoke("validate", str(target), "-i", str(HAND))
    assert result.exit_code == 0, result.output


def test_xlsx_template_for_the_bundled_index(tmp_path: Path) -> None:
    target = tmp_path / "enrich.xlsx"
    result = invoke("template", "enrich-peer-support", "-f", "xlsx", "-o", str(target))
    assert result.exit_code == 0 and target.stat().st_size > 5000


def test_schema_prints_the_strict_schema(tmp_path: Path) -> None:
    result = invoke("schema", "enrich-peer-support@1.0.0")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["instrument"]["const"] == "enrich-peer-support@1.0.0"
    items = schema["properties"]["ratings"]["properties"]
    assert items["rel-shared-experience"]["enum"] == [1, 2, 3, 4, None]
    assert invoke("schema", "no-such-index").exit_code == 1
    target = tmp_path / "s.json"
    assert invoke("schema", str(HAND), "-o", str(target)).exit_code == 0
    assert json.loads(target.read_text())["x-instrument"] == "hand@1.0.0"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_template_is_named_when_validated(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"blank.{fmt}"
    made = invoke("template", "enrich-peer-support", "--format", fmt, "-o", str(path))
    assert made.exit_code == 0
    result = invoke("validate", str(path), "-i", "enrich-peer-support")
    assert result.exit_code == 1
    assert f"{path} row 1: FR002 the file holds a header but no rating sheets" in result.stdout
