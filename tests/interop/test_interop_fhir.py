"""FHIR R4: the Questionnaire of an instrument and the QuestionnaireResponses of sheets.

Every resource is validated with ``fhir.resources`` (its R4B models, which share R4's
Questionnaire and QuestionnaireResponse) when that library is installed; the structural
checks below (unique link ids, resolvable enableWhen, answers among the options, no empty
response items: invariants que-2 and qrs-1 of the R4 specification, which the library's
models do not enforce) always run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from interop_support import instruments, mini, sheets

import fidelity
from fidelity.instrument import Instrument
from fidelity.interop import InteropError, fhir
from fidelity.interop.fhir.questionnaire import HASH_SYSTEM, ORDINAL_VALUE


def _walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for it in items:
        out.append(it)
        out.extend(_walk(it.get("item", [])))
    return out


def test_the_questionnaire_of_the_bundled_instrument() -> None:
    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    q = fhir.questionnaire(inst, base="https://example.org/fhir")
    assert q["resourceType"] == "Questionnaire"
    assert q["url"] == "https://example.org/fhir/Questionnaire/enrich-peer-support"
    assert q["version"] == "1.1.0" and q["status"] == "active"
    assert q["identifier"] == [{"system": HASH_SYSTEM, "value": inst.content_hash}]
    groups = q["item"]
    assert [g["linkId"] for g in groups] == ["sheet", *(f"domain.{d.id}" for d in inst.domains)]
    questions = [i for g in groups[1:] for i in g["item"] if i["type"] == "choice"]
    assert [i["linkId"] for i in questions] == [it.id for it in inst.items]
    level = inst.scale_of(inst.items[0]).levels[0]
    first = questions[0]["answerOption"][0]
    assert first["extension"] == [{"url": ORDINAL_VALUE, "valueDecimal": level.value}]
    assert first["valueCoding"]["code"] == str(level.value)
    assert first["valueCoding"]["display"] == level.label


@settings(max_examples=30, deadline=None)
@given(instruments())
def test_questionnaire_invariants(inst: Instrument) -> None:
    q = fhir.questionnaire(inst)
    every = _walk(q["item"])
    links = [i["linkId"] for i in every]
    assert len(links) == len(set(links))  # que-2
    informant = next(i for i in every if i["linkId"] == "sheet.informant")
    codes = {o["valueCoding"]["code"] for o in informant["answerOption"]}
    for it in inst.items:
        entry = next(i for i in every if i["linkId"] == it.id)
        when = entry.get("enableWhen", [])
        if set(it.informants) == {i.id for i in inst.informants}:
            assert when == []
        else:
            assert {w["answerCoding"]["code"] for w in when} == set(it.informants) <= codes
            assert entry["enableBehavior"] == "any"
        options = [o["valueCoding"]["code"] for o in entry["answerOption"]]
        assert options == [str(v) for v in inst.scale_of(it).values] + (
            ["NA"] if it.allow_na else []
        )


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_response_invariants(data: st.DataObject) -> None:
    inst = data.draw(instruments())
    q = fhir.questionnaire(inst)
    options = {
        i["linkId"]: {o["valueCoding"]["code"] for o in i.get("answerOption", [])}
        for i in _walk(q["item"])
    }
    for r in fhir.responses(inst, data.draw(sheets(inst))):
        assert r["questionnaire"] == f"{q['url']}|{q['version']}"
        for entry in _walk(r.get("item", [])):
            assert entry["linkId"] in options
            assert entry.get("answer") or entry.get("item")  # qrs-1
            for answer in entry.get("answer", []):
                coding = answer.get("valueCoding")
                if coding and options[entry["linkId"]]:
                    assert coding["code"] in options[entry["linkId"]]


def test_sheets_that_cannot_be_written_are_named() -> None:
    bad = {"assessment": "a", "rater": "r", "ratings": {"t-open": 9, "nope": 1}}
    with pytest.raises(InteropError) as err:
        fhir.responses(mini(), [bad])
    assert err.value.reasons == [
        "sheet 1 (a/r): item 'nope' is not in mini@1.0.0",
        "sheet 1 (a/r): item t-open: 9 is not a level or NA",
    ]


def test_reading_refuses_other_resources(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(fhir.responses_bundle([{"resourceType": "Patient"}])))
    with pytest.raises(InteropError, match="entry 0 is Patient, not a QuestionnaireResponse"):
        fhir.read_fhir(path)


def test_reading_reports_a_malformed_ndjson_line(tmp_path: Path) -> None:
    path = tmp_path / "responses.ndjson"
    path.write_text('{"resourceType": "QuestionnaireResponse", "status": "completed"}\n{oops\n')
    (problem,) = fhir.read_fhir(path).problems
    assert problem.code == "FR010" and "line 2" in problem.message


# ---------------------------------------------------------------------------------------------
# Validation with a FHIR model library


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_resources_validate_with_fhir_resources(data: st.DataObject) -> None:
    pytest.importorskip("fhir.resources")
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    inst = data.draw(instruments())
    Questionnaire.model_validate(fhir.questionnaire(inst))
    found = fhir.responses(inst, data.draw(sheets(inst)))
    for r in found:
        QuestionnaireResponse.model_validate(r)
    Bundle.model_validate(fhir.responses_bundle(found))


@pytest.mark.parametrize("char", ["\x0c", "\x0b", "\u2028", "\x85"])
def test_a_comment_a_fhir_string_cannot_hold_is_refused_by_name(char: str) -> None:
    inst = mini()
    item = inst.items[0].id
    sheet = {"assessment": "a", "rater": "r", "ratings": {}, "comments": {item: f"x{char}y"}}
    with pytest.raises(InteropError, match=rf"comment on item {item} holds U\+{ord(char):04X}"):
        fhir.responses(inst, [sheet])


def test_fhir_resources_refuses_what_is_not_fhir() -> None:
    pytest.importorskip("fhir.resources")
    from fhir.resources.R4B.questionnaire import Questionnaire

    q = fhir.questionnaire(mini())
    q["item"][1]["item"][0]["answerOption"][0]["valueCoding"] = "3"
    with pytest.raises(ValueError):
        Questionnaire.model_validate(q)
