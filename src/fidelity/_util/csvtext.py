"""CSV text of a table, every text cell safe to open in a spreadsheet, built column by column.

:func:`csv_text` writes what ``frame.to_csv(index=False, lineterminator="\\n")`` writes after
every text cell and column name went through :func:`~fidelity._util.text.safe_cell`, byte for
byte. pandas hands every cell, one row at a time, to the standard library's CSV writer; here
each column is turned into its cells once (floats as numpy prints them, integers and booleans
as ``str`` writes them, missing values empty), as an Arrow string array, and Arrow's compute
kernels do the rest in C++: the few cells that look like a formula are found (and neutralised
in Python), the cells the CSV writer would quote are quoted as it quotes them (the characters
that make it quote are asked of the writer itself, since they differ between Python
versions), and the header line and the rows are joined into one buffer, which the output
file is written from without a copy. Frames with other column types
(categorical, dates, extension types, a column index that is not flat) take pandas' own path,
as do tables whose text has no UTF-8 form.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from fidelity._util.jsontext import exponent_form
from fidelity._util.text import FORMULA_START, safe_cell

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    from numpy.typing import NDArray

__all__ = ["csv_output", "csv_text"]


def _quoting_characters() -> str:
    """The characters that make the standard library's CSV writer (``\\n`` line ends) quote a
    cell, asked of the writer itself."""
    found = []
    for c in ',"\n\r':
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([f"a{c}b", "x"])
        if buf.getvalue().startswith('"'):
            found.append(c)
    return "".join(found)


_QUOTING = _quoting_characters()
_QUOTING_PATTERN = "[" + "".join(f"\\x{ord(c):02x}" for c in _QUOTING) + "]"
_QUOTING_BYTES = [c.encode() for c in _QUOTING]
_FORMULA_BYTES = bytes(ord(c) for c in FORMULA_START)
"""The first bytes of a formula-like cell (each a whole character in UTF-8)."""


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index, ``\\n`` line ends), every text cell and column name
    through :func:`~fidelity._util.text.safe_cell` (see the module docstring)."""
    data = csv_output(frame)
    return data if isinstance(data, str) else str(data, "utf-8")


def csv_output(frame: pd.DataFrame) -> str | bytes | memoryview:
    """:func:`csv_text` as the UTF-8 bytes an output file holds, built without the text in
    between (a view of the buffer Arrow joined the rows into: no copy); the text itself when
    it has no UTF-8 form (a lone surrogate), for the writer to refuse with the file's
    name."""
    import pyarrow as pa

    try:
        data = _arrow_csv(frame)
        if data is not None:
            return data
    except UnicodeEncodeError:
        pass
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - pandas' path handles it
        pass
    return _pandas_csv(frame)


def _header(frame: pd.DataFrame) -> str:
    """The header line as the CSV writer writes it."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(c) if isinstance(c, str) else c for c in frame.columns])
    return buf.getvalue()


def _pandas_csv(frame: pd.DataFrame) -> str:
    """pandas' own ``to_csv``, every text cell and column name through ``safe_cell``."""
    out = frame.rename(columns=lambda c: safe_cell(c) if isinstance(c, str) else c)
    text_cols = [c for c in out.columns if out[c].dtype == object]
    if text_cols:
        out = out.copy()
        for col in text_cols:
            out[col] = out[col].map(safe_cell)
    result: str = out.to_csv(index=False, lineterminator="\n")
    return result


def _arrow_csv(frame: pd.DataFrame) -> bytes | memoryview | None:
    """The header line and every row of ``frame`` as CSV, joined into one UTF-8 buffer by
    Arrow; None when a column (or the column index) is of a kind only pandas' own path
    handles."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if frame.columns.nlevels != 1 or frame.shape[1] == 0:
        return None
    columns = []
    for k in range(frame.shape[1]):
        cells = _column_cells(frame.iloc[:, k])
        if cells is None:
            return None
        columns.append(cells)
    header = _header(frame)
    if not len(frame):
        return header.encode("utf-8")
    if len(columns) == 1:  # the writer quotes a row that is one empty cell
        columns[0] = pc.if_else(pc.equal(columns[0], ""), '""', columns[0])
    ends = pa.scalar("\n", pa.large_string())  # the last cell of a row ends the line
    columns[-1] = pc.binary_join_element_wise(columns[-1], pa.scalar("", pa.large_string()), ends)
    first = pa.array([header + columns[0][0].as_py()], pa.large_string())
    columns[0] = pa.concat_arrays([first, columns[0].slice(1)])  # the header line leads
    rows = pc.binary_join_element_wise(*columns, pa.scalar(",", pa.large_string()))
    return memoryview(_span(rows)[1]).cast("B")


def _column_cells(column: pd.Series[Any]) -> pa.Array | None:
    """The CSV cells of one column as Arrow text, each as the writer writes it (quoted when
    needed), or None for a column type only pandas' own path handles."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(column.dtype, np.dtype):
        return None
    values = column.to_numpy(copy=False)
    kind = values.dtype.kind
    if kind == "f" and values.dtype == np.float64:
        return _float_cells(values)
    if kind == "f":
        strings = values.astype(str)
        strings[np.isnan(values)] = ""
        return pa.array(strings.tolist(), pa.large_string())
    if kind in "iu":
        return _integer_cells(values)
    if kind == "b":
        return pc.if_else(pa.array(values), "True", "False").cast(pa.large_string())
    if kind != "O":
        return None
    cells = _text_cells(values)
    if cells is None:  # pandas infers the type of what it maps: numbers are written as such
        mapped = column.map(safe_cell)
        if mapped.dtype != object:
            return _column_cells(mapped)
        missing = mapped.isna().tolist()
        texts = ["" if gone else str(v) for v, gone in zip(mapped.tolist(), missing, strict=True)]
        cells = pa.array(texts, pa.large_string())
    return _quoted(cells)


def _text_cells(values: NDArray[Any]) -> pa.Array | None:
    """The cells of an object column of text and missing values (``None``, NaN; written
    empty), the formula-like cells neutralised; None for a column holding anything else."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:  # the type Arrow infers: text (and missing values) only, or all missing
        found = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers among the text
        return None
    if pa.types.is_null(found.type):
        return pa.array([""] * len(values), pa.large_string())
    if not (pa.types.is_string(found.type) or pa.types.is_large_string(found.type)):
        return None  # bytes, numbers, dates: written as pandas writes them
    found = found.cast(pa.large_string())
    if isinstance(found, pa.ChunkedArray):  # text beyond 2 GiB comes in chunks
        found = found.combine_chunks()
    cells = pc.fill_null(found, "")
    starts, _, data = _layout(cells)
    formula = np.zeros(len(cells), dtype=bool)
    if len(data):  # a cell's first byte is a formula character (none is part of a longer one)
        first = data[np.minimum(starts[:-1], len(data) - 1)]
        starting = np.zeros(256, dtype=bool)  # by first byte: a table, not a search
        starting[np.frombuffer(_FORMULA_BYTES, dtype=np.uint8)] = True
        formula = (starts[1:] > starts[:-1]) & starting[first]
    if formula.any():  # rare: safe_cell decides (a number such as -1.5 is kept)
        at = np.flatnonzero(formula)
        fixed = [safe_cell(v) for v in cells.take(pa.array(at)).to_pylist()]
        cells = pc.replace_with_mask(cells, pa.array(formula), pa.array(fixed, pa.large_string()))
    return cells


def _span(cells: pa.Array) -> tuple[NDArray[np.int64], pa.Buffer | bytes]:
    """The offsets of every cell of a ``large_string`` array (one more than cells, the first
    cell at 0) and the part of its data buffer they point into (no copy)."""
    import numpy as np

    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int64)
    offsets = offsets[cells.offset : cells.offset + len(cells) + 1]
    buffer = cells.buffers()[2]
    if buffer is None:
        return offsets - offsets[0], b""
    return offsets - offsets[0], buffer[int(offsets[0]) : int(offsets[-1])]


def _layout(cells: pa.Array) -> tuple[NDArray[np.int64], bytes, NDArray[np.uint8]]:
    """:func:`_span` with the cells' bytes copied, as bytes and as a numpy view."""
    import numpy as np

    offsets, span = _span(cells)
    raw = span if isinstance(span, bytes) else span.to_pybytes()
    return offsets, raw, np.frombuffer(raw, dtype=np.uint8)


def _float_cells(values: NDArray[np.float64]) -> pa.Array:
    """The CSV cells of float64 values: the shortest text that reads back as each value, as
    numpy prints it (``astype(str)``: Python's ``repr``), empty for NaN. orjson
    writes the whole column in one call; the cells are its text without the commas, their
    offsets where the commas were."""
    import numpy as np
    import orjson
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(values)
    if not n:
        return pa.array([], pa.large_string())
    values = np.ascontiguousarray(values)
    raw = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)
    text = np.frombuffer(raw, dtype=np.uint8)[1:-1]  # ASCII: no comma inside a number
    is_comma = text == ord(",")
    commas = np.flatnonzero(is_comma)
    offsets = np.empty(n + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:-1] = commas - np.arange(n - 1)
    offsets[-1] = len(text) - (n - 1)
    data = text[~is_comma]
    cells = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    missing = np.isnan(values)
    odd = exponent_form(values)
    if odd.any():  # written in exponent form by numpy, not by orjson
        texts = values[odd].astype(str).tolist()
        cells = pc.replace_with_mask(cells, pa.array(odd), pa.array(texts, pa.large_string()))
    if missing.any():
        cells = pc.if_else(pa.array(missing), pa.scalar("", pa.large_string()), cells)
    return cells


def _integer_cells(values: NDArray[np.integer[Any]]) -> pa.Array:
    """The CSV cells of integers, as ``str`` writes them. Arrow casts to ``string`` several
    times faster than to ``large_string`` directly, so the cells take that way."""
    import pyarrow as pa

    return pa.array(values).cast(pa.string()).cast(pa.large_string())


def _quoted(cells: pa.Array) -> pa.Array:
    """``cells`` with every cell the CSV writer would quote quoted as it quotes them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _, raw, _ = _layout(cells)
    if not any(c in raw for c in _QUOTING_BYTES):
        return cells
    needs = pc.match_substring_regex(cells, _QUOTING_PATTERN)
    mark = pa.scalar('"', pa.large_string())
    doubled = pc.replace_substring(cells, '"', '""')
    wrapped = pc.binary_join_element_wise(mark, doubled, mark, pa.scalar("", pa.large_string()))
    return pc.if_else(needs, wrapped, cells)
