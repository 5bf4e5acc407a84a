"""Read a wide XLSX of 20,000 rating sheets (7 columns each, written by openpyxl).

Ours: ``fidelity.ratings.readers.xlsx.read_xlsx``, which streams the worksheet XML through the
standard library's expat parser (bounded, dimension ignored, DTDs refused). Baseline: what the
reader did before, openpyxl's read-only mode (``load_workbook(read_only=True,
data_only=True)`` then ``iter_rows(values_only=True)``), on the same bytes. Both are timed from
the bytes in memory to the rows; the best of a few runs is reported.
"""

from __future__ import annotations

import io
from typing import Any

from benchmarks._timing import best_time

N_SHEETS = 20_000


def _workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("ratings")
    sheet.append(["assessment", "rater", "site", "a1", "a2", "a3", "b1"])
    for k in range(N_SHEETS):
        sheet.append([f"A{k}", "r", f"site-{k % 40}", k % 5, 1, 0, 3])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _openpyxl_rows(data: bytes) -> int:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    n = sum(1 for _ in book["ratings"].iter_rows(values_only=True))
    book.close()
    return n


def main() -> dict[str, Any]:
    from fidelity.ratings.readers.xlsx import read_xlsx

    data = _workbook()
    assert read_xlsx("b.xlsx", data).n == N_SHEETS
    assert _openpyxl_rows(data) == N_SHEETS + 1
    ours = best_time(lambda: read_xlsx("b.xlsx", data), budget=3.0, repeats=3)
    base = best_time(lambda: _openpyxl_rows(data), budget=3.0, repeats=3)
    print(f"{N_SHEETS:,} sheets, {len(data) / 1e6:.1f} MB")
    print(f"  fidelity read_xlsx (expat stream):   {ours * 1000:8.1f} ms")
    print(f"  openpyxl read-only iter_rows (base): {base * 1000:8.1f} ms")
    print(f"  ratio: {base / ours:.2f}x")
    return {"sheets": N_SHEETS, "ours_s": ours, "openpyxl_s": base, "speedup": base / ours}


if __name__ == "__main__":
    main()
