"""pandas DataFrames in the wide or the long layout, read as an XLSX worksheet would be."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from fidelity.ratings.problems import SheetRef
from fidelity.ratings.readers._common import (
    duplicate_columns,
    header_problem,
    is_long,
    spreadsheet_value,
    wide_segment,
)
from fidelity.ratings.readers.long import long_segment
from fidelity.ratings.segment import Segment, empty_segment

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["dataframe_segment"]


def dataframe_segment(frame: pd.DataFrame, name: str | None = None) -> Segment:
    """The sheets of a DataFrame, one per row (wide) or grouped from rows (long)."""
    header = [str(c) for c in frame.columns]
    ref = SheetRef(name)
    problem = header_problem(header, ref) or duplicate_columns(header, ref)
    if problem is not None:
        return empty_segment(name, problem)
    columns = [_frame_column(frame.iloc[:, k]) for k in range(frame.shape[1])]
    positions = np.arange(len(frame), dtype=np.int64)
    if is_long(header):
        return long_segment(name, header, columns, positions, "cell")
    return wide_segment(name, header, columns, positions, "cell", "index")


def _frame_column(col: pd.Series[Any]) -> NDArray[Any]:
    """A DataFrame column as Python objects. pandas stores an integer column with gaps as
    floats, so in a float column whole numbers become ints and NaN becomes empty; any other
    float stays a float and is reported. pandas' missing markers (NaN, ``pd.NA`` of the
    nullable dtypes that ``convert_dtypes`` gives, ``NaT``) are empty in every column, and
    dates and times are text as in an XLSX file (``2024-05-02``; with a time of day, ISO)."""
    import pandas as pd

    out: NDArray[Any] = col.to_numpy(dtype=object)
    if col.dtype.kind == "f":
        raw = col.to_numpy(dtype=float)
        whole = np.isfinite(raw) & (raw == np.round(raw))
        out[whole] = [int(v) for v in raw[whole]]
    missing = np.asarray(pd.isna(col), dtype=bool)
    out[missing] = None
    # dates as the XLSX reader reads them (pandas.read_excel gives Timestamps)
    if col.dtype.kind == "M" or (
        col.dtype.kind == "O"
        and pd.api.types.infer_dtype(col, skipna=True) in ("date", "datetime", "mixed")
    ):
        for i in np.flatnonzero(~missing).tolist():
            if isinstance(out[i], _dt.date):
                out[i] = spreadsheet_value(out[i])
    return out
