"""REDCap: an instrument's data dictionary and instrument ZIP, sheets as raw records, and raw
exports (CSV or flat JSON) read back as sheets."""

from fidelity.instrument.redcap import MAX_NAME, comment_var, item_var
from fidelity.interop.redcap.dictionary import (
    HEADERS,
    MISSING_CODES_SETTING,
    NA_CODE,
    FieldMap,
    dictionary_csv,
    dictionary_rows,
    field_map,
    instrument_zip,
    map_from_dictionary,
    parse_dictionary,
)
from fidelity.interop.redcap.read import read_redcap
from fidelity.interop.redcap.records import (
    record_columns,
    records_csv,
    records_json,
    sheets_to_records,
)

__all__ = [
    "HEADERS",
    "MAX_NAME",
    "MISSING_CODES_SETTING",
    "NA_CODE",
    "FieldMap",
    "comment_var",
    "dictionary_csv",
    "dictionary_rows",
    "field_map",
    "instrument_zip",
    "item_var",
    "map_from_dictionary",
    "parse_dictionary",
    "read_redcap",
    "record_columns",
    "records_csv",
    "records_json",
    "sheets_to_records",
]
