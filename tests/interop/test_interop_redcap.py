"""REDCap: the data dictionary and instrument ZIP fidelity writes, and reading real-shaped raw
exports (tests/data/redcap, see its README for where each behaviour is documented)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from interop_support import MINI, REDCAP, instruments, mini

import fidelity
from fidelity.instrument import Instrument
from fidelity.instrument.redcap import NAME_RE, choice_code, code_value
from fidelity.interop import InteropError, redcap

HEADER_TEXT = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation"
)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_dictionary_has_redcaps_18_columns_in_order() -> None:
    text = redcap.dictionary_csv(mini())
    assert text.split("\r\n", 1)[0] == HEADER_TEXT
    assert all(len(r) == 18 for r in _rows(text))


def test_the_dictionary_of_the_bundled_instrument() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    rows = redcap.dictionary_rows(inst)
    names = [r["Variable / Field Name"] for r in rows]
    assert names[0] == "record_id"
    assert len(names) == len(set(names))
    assert all(NAME_RE.fullmatch(n) and len(n) <= redcap.MAX_NAME for n in names)
    items = [r for r in rows if "@FIDELITY-ITEM=" in r["Field Annotation"]]
    assert [r["Field Annotation"].split()[0].split("=")[1] for r in items] == [
        it.id for it in inst.items
    ]
    assert all(r["Field Type"] == "radio" for r in items)
    sections = [r["Section Header"] for r in rows if r["Section Header"]]
    assert sections == [d.name for d in inst.domains]
    version = rows[1]["Field Annotation"]
    assert f"@FIDELITY-INSTRUMENT={inst.spec}" in version
    assert f"@FIDELITY-HASH={inst.content_hash}" in version
    fields = [r for r in rows if "@FIDELITY-FIELD=" in r["Field Annotation"]]
    assert [r["Variable / Field Name"] for r in fields] == [
        "fi_instrument",
        "fi_assessment",
        "fi_rater",
        "fi_site",
        "fi_informant",
        "fi_date",
        "fi_consensus",
    ]


def test_items_show_only_for_the_informants_they_are_asked_of() -> None:
    rows = {r["Variable / Field Name"]: r for r in redcap.dictionary_rows(mini())}
    logic = "Branching Logic (Show field only if...)"
    assert rows["t_open"][logic] == "[fi_informant] = '' or [fi_informant] = 'peer_worker'"
    assert rows["c_pace"][logic] == "[fi_informant] = '' or [fi_informant] = 'supervisor'"
    assert rows["c_goals"][logic] == ""  # asked of everyone
    # NA is a project missing-data code: refused on items that do not allow it
    assert "@NOMISSING" in rows["t_open"]["Field Annotation"]
    assert "@NOMISSING" not in rows["c_pace"]["Field Annotation"]
    assert rows["c_goals"]["Choices, Calculations, OR Slider Labels"].startswith(
        "1, 1 Not evident: never | 2, 2 Limited: rarely"
    )


def test_the_committed_dictionary_fixture_is_what_export_writes() -> None:
    assert (REDCAP / "mini-dictionary.csv").read_text(encoding="utf-8") == (
        redcap.dictionary_csv(mini()).replace("\r\n", "\n")
    ) or (REDCAP / "mini-dictionary.csv").read_bytes() == redcap.dictionary_csv(mini()).encode()


def test_the_instrument_zip() -> None:
    data = redcap.instrument_zip(mini())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["OriginID.txt", "instrument.csv"]
        rows = _rows(zf.read("instrument.csv").decode())
    assert rows[0] == next(csv.reader([HEADER_TEXT]))
    assert rows[1][0] == "fi_version"  # the project keeps its own record id
    assert redcap.instrument_zip(mini()) == data  # byte for byte the same every time


@settings(max_examples=40, deadline=None)
@given(instruments())
def test_derived_names_are_valid_stable_and_unique(inst: Instrument) -> None:
    fm = redcap.field_map(inst)
    names = [*fm.items.values(), *fm.comments.values(), *fm.fields.values()]
    assert len(names) == len(set(names))
    assert all(NAME_RE.fullmatch(n) and len(n) <= redcap.MAX_NAME for n in names)
    assert redcap.field_map(inst) == fm
    for item_id, var in fm.items.items():
        if len(item_id) <= redcap.MAX_NAME:
            assert var.replace("_", "-") == item_id  # the documented reversible form


def test_choice_codes_are_reversible() -> None:
    for v in (-3, -1, 0, 1, 42):
        assert code_value(choice_code(v)) == v
    assert code_value("x") is None


def test_colliding_names_are_refused() -> None:
    data = mini().model_dump(mode="json")
    data["items"][0]["id"] = "fi-rater"
    inst = Instrument.model_validate(data)
    with pytest.raises(InteropError, match="FI302 item fi-rater: REDCap name 'fi_rater'"):
        redcap.field_map(inst)


# ---------------------------------------------------------------------------------------------
# Reading exports


def test_a_longitudinal_export_with_dags_repeats_and_incomplete_forms() -> None:
    batch = redcap.read_redcap(REDCAP / "longitudinal.csv", instrument=mini())
    records = list(batch.records())
    assert [(r["assessment"], r["rater"]) for r in records] == [
        ("svc-101", "rater-a"),
        ("svc-101-m6", "rater-a"),
        ("svc-102", "rater-b"),
        ("svc-102", "rater-c"),
    ]
    assert records[0]["site"] == "north"  # the data access group, no site field given
    assert records[2]["site"] == "South clinic"  # the site field wins
    assert records[0]["comments"] == {"t-open": 'Talked openly, "mostly".'}
    assert records[1]["ratings"] == {"c-goals": 4, "c-pace": "NA"}
    assert records[0]["informant"] == "peer-worker"
    assert records[0]["consensus"] is False
    left_out = [p for p in batch.problems if p.code == "FR702"]
    assert [str(p.message) for p in left_out] == [
        "record 103, event baseline_arm_1: the form is not Complete (Incomplete); left out "
        "(pass --include-incomplete to score it)",
        "record 104, event baseline_arm_1: the form is not Complete (Unverified); left out "
        "(pass --include-incomplete to score it)",
    ]
    assert left_out[0].sheet is not None and left_out[0].sheet.row == 7
    assert fidelity.validate(mini(), batch).errors == []


def test_include_incomplete_reads_every_form() -> None:
    batch = redcap.read_redcap(
        REDCAP / "longitudinal.csv", instrument=mini(), include_incomplete=True
    )
    assert len(batch) == 6
    assert batch.problems == []


def test_double_data_entry_records() -> None:
    records = list(redcap.read_redcap(REDCAP / "dde.csv", instrument=mini()).records())
    assert [(r["assessment"], r["rater"], r.get("consensus")) for r in records] == [
        ("A7", "consensus", True),
        ("A7", "1", None),
        ("A7", "2", None),
    ]
    assert fidelity.validate(mini(), records).errors == []


def test_the_flat_json_export() -> None:
    batch = redcap.read_redcap(REDCAP / "flat.json", instrument=MINI)
    assert [r["ratings"] for r in batch.records()] == [
        {"c-goals": 4, "c-pace": "NA"},
        {"c-goals": 3, "c-pace": 2},
    ]


@pytest.mark.parametrize("name", ["labels.csv", "labels-raw-headers.csv"])
def test_a_label_export_is_refused_with_how_to_export_raw(name: str) -> None:
    with pytest.raises(InteropError) as err:
        redcap.read_redcap(REDCAP / name, instrument=mini())
    (reason,) = err.value.reasons
    assert reason.startswith(f"{REDCAP / name}: ")
    assert "a label" in reason and "raw data" in reason and "rawOrLabel=raw" in reason


def test_an_edited_dictionary_names_every_mismatch() -> None:
    with pytest.raises(InteropError) as err:
        redcap.read_redcap(
            REDCAP / "longitudinal.csv",
            instrument=mini(),
            dictionary=REDCAP / "edited-dictionary.csv",
        )
    reasons = err.value.reasons
    assert any("t_open (item t-open) has the choices 0, 1, 2, 3" in r for r in reasons)
    assert any("no variable for item c-goals" in r for r in reasons)
    assert any("no variable for item c-pace" in r for r in reasons)


def test_the_projects_own_dictionary_maps_the_export() -> None:
    batch = redcap.read_redcap(
        REDCAP / "longitudinal.csv", instrument=mini(), dictionary=REDCAP / "mini-dictionary.csv"
    )
    assert len(batch) == 4


def test_an_export_without_the_instruments_variables() -> None:
    with pytest.raises(InteropError, match="has no column for rel_shared_experience"):
        redcap.read_redcap(REDCAP / "dde.csv", instrument="enrich-peer-support@1.1.0")


def test_a_value_outside_the_choices_is_reported_by_validation(tmp_path: Path) -> None:
    before = "A7--2,mini@1.0.0,,,east,peer_worker,2024-03-01,,4"
    text = (REDCAP / "dde.csv").read_text().replace(before, before[:-1] + "7")
    path = tmp_path / "export.csv"
    path.write_text(text)
    problems = fidelity.validate(mini(), redcap.read_redcap(path, instrument=mini()))
    (error,) = problems.errors
    assert error.item == "t-open" and error.sheet is not None and error.sheet.row == 4


def _with_names(**names: str) -> Instrument:
    data = mini().model_dump(mode="json")
    for item in data["items"]:
        if item["id"] in names:
            item["redcap"] = names[item["id"]]
    return Instrument.model_validate(data)


def test_an_item_may_declare_its_redcap_name() -> None:
    inst = _with_names(**{"t-open": "q1_open"})
    fm = redcap.field_map(inst)
    assert fm.items["t-open"] == "q1_open" and fm.comments["t-open"] == "q1_open_cmt"
    # a later version renames the item but keeps the variable: old exports still read
    data = inst.model_dump(mode="json")
    data["items"][0]["id"] = "t-talk-openly"
    assert redcap.field_map(Instrument.model_validate(data)).items["t-talk-openly"] == "q1_open"


def test_declared_names_that_collide_do_not_load() -> None:
    with pytest.raises(ValueError, match="'c_goals' is also the variable of item c-goals"):
        _with_names(**{"c-pace": "c_goals"})


@pytest.mark.parametrize(("name", "code"), [("Q1", "FI113"), ("q-1", "FI113"), ("a" * 27, "FI114")])
def test_an_invalid_declared_name_is_a_lint_error(tmp_path: Path, name: str, code: str) -> None:
    text = MINI.read_text().replace(
        "    informants: [supervisor]\n", f"    informants: [supervisor]\n    redcap: '{name}'\n"
    )
    path = tmp_path / "mini.yaml"
    path.write_text(text)
    with pytest.raises(fidelity.errors.InstrumentError) as err:
        fidelity.load_instrument(path)
    assert [p.code for p in err.value.problems] == [code]


def test_events_of_a_longitudinal_export_are_audit_rounds() -> None:
    batch = redcap.read_redcap(REDCAP / "longitudinal.csv", instrument=mini())
    rounds = {r["assessment"]: r.get("round") for r in batch.records()}
    assert rounds["svc-101"] == "baseline_arm_1" and rounds["svc-101-m6"] == "month_6_arm_1"
