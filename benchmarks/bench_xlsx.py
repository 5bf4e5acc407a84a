"""Read a wide XLSX of 20,000 rating sheets (7 columns each, written by openpyxl).

Ours: ``fidelity.ratings.readers.xlsx.read_xlsx``, which streams the worksheet XML through the
standard library's expat parser (bounded, dimension ignored, DTDs refused). Baseline: what the
reader did before, openpyxl's read-only mode (``load_workbook(read_only=True,
data_only=True)`` then ``iter_rows(values_only=True)``), on the same bytes. Both are timed from
the bytes in memory to the rows; the best of a few runs is reported.

For reference, python-calamine (a Rust reader; not a dependency, measured only when it is
installed): ``CalamineWorkbook.from_filelike(...).get_sheet_by_name(...).to_python()``, the
cells as Python values without any of the checks above (sizes, DTDs, hidden sheets, merged
cells, formulas without a cached value) and with every number as a float; and the same at
``N_WIDE`` sheets of a real instrument's width (35 columns), where the gap is widest.
"""

from __future__ import annotations

import io
from typing import Any

from benchmarks._timing import best_time

N_SHEETS = 20_000
N_WIDE = 10_000


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


def _calamine_rows(data: bytes) -> int | None:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(book.get_sheet_by_name("ratings").to_python(skip_empty_area=False))


def _wide_workbook() -> bytes:
    """``N_WIDE`` simulated ENRICH sheets written by pandas (through openpyxl)."""
    import fidelity
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    frame = simulate_audit(inst, n_sites=N_WIDE // 4, consensus=0.0, seed=1).to_pandas()
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, sheet_name="ratings")
    return buf.getvalue()


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
    out: dict[str, Any] = {
        "sheets": N_SHEETS, "ours_s": ours, "openpyxl_s": base, "speedup": base / ours
    }  # fmt: skip
    if _calamine_rows(data) is None:
        print("  python-calamine: not installed")
        return out
    cal = best_time(lambda: _calamine_rows(data), budget=3.0, repeats=3)
    wide = _wide_workbook()
    assert read_xlsx("w.xlsx", wide).n == N_WIDE
    ours_wide = best_time(lambda: read_xlsx("w.xlsx", wide), budget=3.0, repeats=2)
    cal_wide = best_time(lambda: _calamine_rows(wide), budget=3.0, repeats=2)
    print(f"  python-calamine to_python (no checks): {cal * 1000:6.1f} ms")
    print(f"{N_WIDE:,} ENRICH sheets (35 columns), {len(wide) / 1e6:.1f} MB")
    print(f"  fidelity read_xlsx (expat stream):     {ours_wide * 1000:6.1f} ms")
    print(f"  python-calamine to_python (no checks): {cal_wide * 1000:6.1f} ms")
    print(f"  ratio: {ours_wide / cal_wide:.2f}x")
    out.update(calamine_s=cal, wide_sheets=N_WIDE, ours_wide_s=ours_wide, calamine_wide_s=cal_wide)
    return out


if __name__ == "__main__":
    main()
