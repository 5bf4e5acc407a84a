"""fidelity.instrument.redcap: REDCap variable names, the rules on declared names (FI113-FI115,
errors at load) and the lint warnings on derived ones (FI301-FI302), which agree with what
``fidelity export redcap`` refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app
from fidelity.errors import InteropError
from fidelity.instrument import Instrument
from fidelity.instrument.redcap import (
    MAX_NAME,
    NAME_RE,
    comment_var,
    declared_name_findings,
    derived_name_findings,
    field_map,
    item_var,
)
from fidelity.lint import check_instrument_file

MINI = Path(__file__).parents[1] / "data" / "lint" / "minimal.yaml"
ITEM_LINE = "    informants: [supervisor]\n"
"""The informants line of item c-pace, the third item of the minimal instrument."""


def _file(tmp_path: Path, old: str, new: str) -> Path:
    text = MINI.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "mini.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _declared(tmp_path: Path, name: str) -> Path:
    return _file(tmp_path, ITEM_LINE, f"{ITEM_LINE}    redcap: '{name}'\n")


@pytest.mark.parametrize("name", ["Q1", "1q", "q-1", "q 1", "_q"])
def test_fi113_a_declared_name_that_is_not_a_redcap_name(tmp_path: Path, name: str) -> None:
    (p,) = check_instrument_file(_declared(tmp_path, name))
    assert (p.code, p.severity, p.path, p.ref) == ("FI113", "error", "items[2].redcap", "c-pace")
    assert p.message == (
        f"item c-pace: {name!r} is not a REDCap name: use lowercase letters, digits and "
        "underscores, starting with a letter"
    )
    assert p.line == 64  # the line of the redcap key


def test_fi114_a_declared_name_longer_than_26_characters(tmp_path: Path) -> None:
    name = "c_pace_" + "x" * 20
    (p,) = check_instrument_file(_declared(tmp_path, name))
    assert (p.code, p.path) == ("FI114", "items[2].redcap")
    assert (
        p.message
        == f"item c-pace: REDCap name {name!r} has 27 characters; a REDCap name has at most 26"
    )
    assert check_instrument_file(_declared(tmp_path, name[:MAX_NAME])) == []


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("c_goals", "REDCap name 'c_goals' is also the variable of item c-goals"),
        (
            "t_open_cmt",
            "REDCap name 't_open_cmt' is also the variable of the comment on item t-open",
        ),
        ("fi_rater", "REDCap name 'fi_rater' is also the variable of sheet field rater"),
        ("record_id", "REDCap name 'record_id' is also the variable of the record id"),
        ("mini_complete", "REDCap name 'mini_complete' is also the variable of the status field"),
        ("t", "the REDCap name of its comment 't_cmt' is also the variable of item t-cmt"),
    ],
)
def test_fi115_a_declared_name_taken_by_another_variable(
    tmp_path: Path, name: str, other: str
) -> None:
    path = _declared(tmp_path, name)
    if name == "t":  # another item named t-cmt, whose derived name is the comment's
        text = path.read_text(encoding="utf-8").replace("- id: t-open", "- id: t-cmt", 1)
        path.write_text(text, encoding="utf-8")
    problems = check_instrument_file(path)
    assert [(p.code, p.ref, p.path) for p in problems] == [("FI115", "c-pace", "items[2].redcap")]
    assert problems[0].message.startswith(f"item c-pace: {other}")
    assert problems[0].message.endswith("; declare another name")
    with pytest.raises(fidelity.errors.InstrumentError):  # an error: the file does not load
        fidelity.load_instrument(path)


def test_two_declared_names_that_clash_are_reported_once(tmp_path: Path) -> None:
    path = _declared(tmp_path, "same")
    text = path.read_text(encoding="utf-8").replace(
        "    informants: [peer-worker]\n", "    informants: [peer-worker]\n    redcap: same\n", 1
    )
    path.write_text(text, encoding="utf-8")
    problems = check_instrument_file(path)
    assert [(p.code, p.ref) for p in problems] == [("FI115", "c-pace")]
    assert "is also the variable of item t-open" in problems[0].message


def test_a_valid_declared_name_is_kept_across_versions() -> None:
    data = fidelity.load_instrument(MINI).model_dump(mode="json")
    data["items"][0]["redcap"] = "q1_open"
    inst = Instrument.model_validate(data)
    assert declared_name_findings(inst) == []
    fm = field_map(inst)
    assert fm.items["t-open"] == "q1_open" and fm.comments["t-open"] == "q1_open_cmt"


def test_fi301_a_derived_name_that_had_to_be_shortened_is_a_lint_warning(
    tmp_path: Path,
) -> None:
    long_id = "c-pace-set-by-the-person-receiving-support"
    path = _file(tmp_path, "- id: c-pace", f"- id: {long_id}")
    (p,) = check_instrument_file(path)
    short = item_var(long_id)
    assert (p.code, p.severity, p.path, p.ref) == ("FI301", "warning", "items[2].id", long_id)
    assert p.message == (
        f"item {long_id}: the REDCap name derived from its id would have {len(long_id)} "
        f"characters and is shortened to {short!r}; declare a readable one with the redcap key"
    )
    assert len(short) <= MAX_NAME and NAME_RE.fullmatch(short)
    inst = fidelity.load_instrument(path)  # a warning: the instrument loads and exports
    assert field_map(inst).items[long_id] == short
    result = CliRunner().invoke(app, ["lint", str(path)])
    assert result.exit_code == 0, result.output
    assert "FI301" in result.stdout and "1 problem(s) (1 warning(s))" in result.stderr


def test_a_declared_name_silences_fi301(tmp_path: Path) -> None:
    long_id = "c-pace-set-by-the-person-receiving-support"
    path = _file(tmp_path, "- id: c-pace", f"- id: {long_id}")
    text = path.read_text(encoding="utf-8").replace(ITEM_LINE, f"{ITEM_LINE}    redcap: c_pace\n")
    path.write_text(text, encoding="utf-8")
    assert check_instrument_file(path) == []


@pytest.mark.parametrize(
    ("item_id", "other"),
    [
        (
            "fi-rater",
            "REDCap name 'fi_rater', derived from its id, is also the variable of sheet field "
            "rater",
        ),
        (
            "t-open-cmt",
            "REDCap name 't_open_cmt', derived from its id, is also the variable of the "
            "comment on item t-open",
        ),
    ],
)
def test_fi302_a_derived_name_taken_is_a_lint_warning_and_refused_at_export(
    tmp_path: Path, item_id: str, other: str
) -> None:
    path = _file(tmp_path, "- id: c-pace", f"- id: {item_id}")
    (p,) = check_instrument_file(path)
    assert (p.code, p.severity, p.ref) == ("FI302", "warning", item_id)
    assert p.message.startswith(f"item {item_id}: {other}")
    inst = fidelity.load_instrument(path)
    with pytest.raises(InteropError) as err:  # export refuses, with the lint code and message
        field_map(inst)
    assert err.value.reasons == [f"{inst.spec}: FI302 {p.message}"]
    result = CliRunner().invoke(app, ["export", "redcap", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"FI302 {p.message}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_derived_names_of_the_bundled_instrument() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    found = list(derived_name_findings(inst))
    assert {f.code for f in found} == {"FI301"}  # long ids, shortened; none taken twice
    assert all(len(it.id) > MAX_NAME for it in inst.items if any(f.ref == it.id for f in found))
    assert all(len(comment_var(it.id)) <= MAX_NAME for it in inst.items)


def test_a_derived_instrument_is_warned_only_about_its_own_items(tmp_path: Path) -> None:
    source = Path(__file__).parents[2] / "examples" / "extending" / "instruments"
    text = (source / "riverside-peer-support" / "1.0.0.yaml").read_text(encoding="utf-8")
    long_id = "rs-shared-meals-and-other-ordinary-activities"
    path = tmp_path / "riverside-peer-support" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(text.replace("- id: rs-shared-meals", f"- id: {long_id}"), encoding="utf-8")
    (p,) = check_instrument_file(path)  # not the base's six long ids: those are the base's
    assert (p.code, p.ref, p.path) == ("FI301", long_id, "items[1].id")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert p.line is not None and long_id in lines[p.line - 1]
