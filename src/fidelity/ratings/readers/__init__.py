"""Readers, one module per format: each turns one input into a
:class:`~fidelity.ratings.segment.Segment` and never raises for a bad input (what is wrong is
kept in the segment's ``problems``; a REDCap or FHIR file that cannot be mapped to sheets
raises :class:`~fidelity.errors.InteropError`). :func:`fidelity.ratings.batch.read_sheets`
picks the reader by file extension, or by the format it is given."""

from fidelity.ratings.readers._common import MAX_FILE_BYTES
from fidelity.ratings.readers.csv import read_csv
from fidelity.ratings.readers.dataframe import dataframe_segment
from fidelity.ratings.readers.fhir import read_fhir, response_record
from fidelity.ratings.readers.json import read_json, read_jsonl, records_segment
from fidelity.ratings.readers.long import long_segment
from fidelity.ratings.readers.redcap import read_redcap
from fidelity.ratings.readers.xlsx import read_xlsx

__all__ = [
    "MAX_FILE_BYTES",
    "dataframe_segment",
    "long_segment",
    "read_csv",
    "read_fhir",
    "read_json",
    "read_jsonl",
    "read_redcap",
    "read_xlsx",
    "records_segment",
    "response_record",
]
