"""Round trips are exact: sheets → REDCap raw records (CSV and flat JSON) → sheets, and
sheets → FHIR QuestionnaireResponses (Bundle and NDJSON) → sheets give the same sheets and
the same scores, over random instruments and random valid sheets."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from interop_support import instruments, same_scores, sheets

import fidelity
from fidelity.instrument import Instrument
from fidelity.interop import fhir, redcap

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _write(name: str, text: str) -> Path:
    path = Path(tempfile.mkdtemp()) / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def _case(data: st.DataObject) -> tuple[Instrument, list[dict[str, Any]]]:
    inst = data.draw(instruments())
    return inst, data.draw(sheets(inst))


@FAST
@given(st.data(), st.booleans())
def test_redcap_records_read_back_exactly(data: st.DataObject, as_json: bool) -> None:
    inst, original = _case(data)
    assert not [p for p in fidelity.validate(inst, original) if p.severity == "error"]
    records = redcap.sheets_to_records(inst, original)
    text = redcap.records_json(records) if as_json else redcap.records_csv(inst, records)
    back = redcap.read_redcap(
        _write("export.json" if as_json else "export.csv", text), instrument=inst
    )
    assert back.problems == []
    assert list(back.records()) == original
    assert same_scores(inst, original, back)


@FAST
@given(st.data(), st.booleans())
def test_fhir_responses_read_back_exactly(data: st.DataObject, ndjson: bool) -> None:
    inst, original = _case(data)
    found = fhir.responses(inst, original)
    text = fhir.responses_ndjson(found) if ndjson else json.dumps(fhir.responses_bundle(found))
    back = fhir.read_fhir(_write("responses.ndjson" if ndjson else "bundle.json", text))
    assert back.problems == []
    assert list(back.records()) == original
    assert same_scores(inst, original, back)


@FAST
@given(instruments())
def test_the_dictionary_maps_back_to_the_instrument(inst: Instrument) -> None:
    rows = redcap.parse_dictionary(redcap.dictionary_csv(inst))
    assert redcap.map_from_dictionary(rows, inst) == redcap.field_map(inst)
