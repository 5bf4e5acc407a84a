"""Exchange formats: REDCap data dictionaries, instrument ZIPs and raw exports; FHIR R4
Questionnaires and QuestionnaireResponses. Each writer has a reader that gives back exactly
the sheets that were written (see ``docs/interop.md``)."""

from fidelity.interop import fhir, redcap
from fidelity.interop._common import InteropError
from fidelity.interop.fhir import questionnaire, read_fhir, responses
from fidelity.interop.redcap import dictionary_csv, instrument_zip, read_redcap, sheets_to_records

__all__ = [
    "InteropError",
    "dictionary_csv",
    "fhir",
    "instrument_zip",
    "questionnaire",
    "read_fhir",
    "read_redcap",
    "redcap",
    "responses",
    "sheets_to_records",
]
