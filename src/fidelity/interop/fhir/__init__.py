"""FHIR R4: an instrument as a ``Questionnaire``, sheets as ``QuestionnaireResponse``
resources (a Bundle or NDJSON) and back."""

from fidelity.interop.fhir.questionnaire import DEFAULT_BASE, canonical_url, questionnaire
from fidelity.interop.fhir.response import (
    read_fhir,
    response_record,
    responses,
    responses_bundle,
    responses_ndjson,
)

__all__ = [
    "DEFAULT_BASE",
    "canonical_url",
    "questionnaire",
    "read_fhir",
    "response_record",
    "responses",
    "responses_bundle",
    "responses_ndjson",
]
