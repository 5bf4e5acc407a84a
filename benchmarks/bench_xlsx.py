"""Read an XLSX of 10,000 ENRICH rating sheets (35 columns, written by pandas through
openpyxl), from the bytes in memory to the segment.

* **new**: ``fidelity.ratings.readers.xlsx.read_xlsx``: python-calamine behind a C-speed check
  of the worksheet (the fast path; asserted taken here);
* **exact**: the same reader with the fast path off: the worksheet XML streamed through expat
  (the fallback, and the reader before the fast path);
* **issue-time**: openpyxl's read-only mode, as the library read XLSX when issue 14 was filed
  (a copy kept in ``benchmarks/_xlsx_openpyxl.py``);
* **calamine bare**: ``CalamineWorkbook.from_filelike(...).get_sheet_by_name(...).to_python()``
  alone: the cells as Python values, without checks, columns or segment (a floor).

Each is timed as the best of a few runs, wall clock and process CPU time of that run; the
load average is printed alongside (the machine is shared).
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from typing import Any

N_WIDE = 10_000


def _wide_workbook() -> bytes:
    """``N_WIDE`` simulated ENRICH sheets written by pandas (through openpyxl)."""
    import fidelity
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument("enrich-peer-support@1.1.0")
    frame = simulate_audit(inst, n_sites=N_WIDE // 4, consensus=0.0, seed=1).to_pandas()
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, sheet_name="ratings")
    return buf.getvalue()


def _calamine(data: bytes) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(book.get_sheet_by_name("ratings").to_python(skip_empty_area=False))


def _best(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``runs`` calls."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def main() -> dict[str, Any]:
    import zipfile

    from benchmarks._xlsx_openpyxl import read_xlsx_openpyxl
    from fidelity.ratings.readers import xlsx
    from fidelity.ratings.readers._xlsx_fast import read_fast
    from fidelity.ratings.readers._xlsx_parts import open_workbook

    data = _wide_workbook()
    book = open_workbook(zipfile.ZipFile(io.BytesIO(data)))
    assert read_fast(book, book.sheets[0], data) is not None, "the fast path declined"
    new, exact = xlsx.read_xlsx("w.xlsx", data), xlsx._read("w.xlsx", data, fast=False)
    assert new.n == exact.n == read_xlsx_openpyxl("w.xlsx", data).n == N_WIDE
    assert new.positions.tolist() == exact.positions.tolist()
    assert all(new.ratings[k].tolist() == exact.ratings[k].tolist() for k in exact.ratings)
    assert _calamine(data) == N_WIDE + 1
    runs = {
        "new": (lambda: xlsx.read_xlsx("w.xlsx", data), 5),
        "exact": (lambda: xlsx._read("w.xlsx", data, fast=False), 3),
        "issue-time": (lambda: read_xlsx_openpyxl("w.xlsx", data), 2),
        "calamine bare": (lambda: _calamine(data), 5),
    }
    load = os.getloadavg()
    times = {name: _best(fn, n) for name, (fn, n) in runs.items()}
    load_after = os.getloadavg()
    new_wall, new_cpu = times["new"]
    print(
        f"{N_WIDE:,} ENRICH sheets (35 columns), {len(data) / 1e6:.1f} MB; load average "
        f"{load[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(f"  {'reader':<16}{'wall ms':>9}{'CPU ms':>9}{'new faster (wall/CPU)':>24}")
    for name, (wall, cpu) in times.items():
        ratio = f"{wall / new_wall:.2f}x / {cpu / new_cpu:.2f}x"
        print(f"  {name:<16}{wall * 1000:9.1f}{cpu * 1000:9.1f}{ratio:>24}")
    return {
        "sheets": N_WIDE,
        "load_average": [load[0], load_after[0]],
        **{f"{k.replace(' ', '_').replace('-', '_')}_s": v for k, v in times.items()},
        "speedup_vs_issue_time": times["issue-time"][0] / new_wall,
        "speedup_vs_exact": times["exact"][0] / new_wall,
        "speedup_vs_issue_time_cpu": times["issue-time"][1] / new_cpu,
        "speedup_vs_exact_cpu": times["exact"][1] / new_cpu,
        "calamine_bare_over_new": new_wall / times["calamine bare"][0],
    }


if __name__ == "__main__":
    main()
