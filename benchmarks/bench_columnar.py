"""Parquet against CSV for the score tables of 100,000 synthetic ENRICH rating sheets.

What ``fidelity score -f csv`` and ``-f parquet`` write: the per-sheet, per-assessment,
per-site-and-score and per-site tables. CSV: the library's pandas tables through
``fidelity._util.csvtext.csv_text`` (every text cell made safe to open in a spreadsheet), as
``fidelity score`` writes them. Parquet: the same pandas tables through
``fidelity.columnar.to_arrow`` (typed, nulls for missing scores, provenance in the metadata)
and ``fidelity.columnar.parquet_bytes`` (zstd). The pandas tables are built once, untimed
(``build_s`` says how long that takes); each format is timed from them to the bytes written to
disk atomically (``fidelity._util.atomic.atomic_write``), best of three runs; sizes are the
files' bytes.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

N_SHEETS = 100_000
SEED = 20_240_601
INSTRUMENT = "enrich-peer-support@1.1.0"
RUNS = 3


def _best(fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(RUNS):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> dict[str, Any]:
    import fidelity
    from fidelity._util.atomic import atomic_write
    from fidelity._util.csvtext import csv_text
    from fidelity.columnar import SCORE_TABLES, parquet_bytes, to_arrow
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument(INSTRUMENT)
    sim = simulate_audit(inst, n_sites=N_SHEETS // 4, double_rated=1 / 3, consensus=0.0, seed=SEED)
    assert len(sim) == N_SHEETS
    result = fidelity.score(inst, sim.sheets)
    views = dict(
        zip(
            SCORE_TABLES,
            (result.to_pandas, result.by_assessment, result.by_site, result.site_scores),
            strict=True,
        )
    )
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in SCORE_TABLES:
            stem = name.replace("_", "-")
            t_build, frame = _best(views[name])

            def write_csv(frame: Any = frame, stem: str = stem) -> int:
                data = csv_text(frame).encode("utf-8")
                atomic_write(out / f"{stem}.csv", data)
                return len(data)

            def write_parquet(frame: Any = frame, name: str = name, stem: str = stem) -> int:
                data = parquet_bytes(to_arrow(frame, name, result.provenance))
                atomic_write(out / f"{stem}.parquet", data)
                return len(data)

            t_csv, n_csv = _best(write_csv)
            t_pq, n_pq = _best(write_parquet)
            rows.append(
                {
                    "table": name,
                    "rows": len(frame),
                    "build_s": round(t_build, 4),
                    "csv_s": round(t_csv, 4),
                    "parquet_s": round(t_pq, 4),
                    "csv_bytes": n_csv,
                    "parquet_bytes": n_pq,
                    "size_ratio": round(n_pq / n_csv, 3),
                    "time_ratio": round(t_pq / t_csv, 3),
                }
            )
    _print(rows)
    total = {k: sum(r[k] for r in rows) for k in ("csv_s", "parquet_s", "csv_bytes")}
    total["parquet_bytes"] = sum(r["parquet_bytes"] for r in rows)
    return {"n_sheets": N_SHEETS, "tables": rows, "total": total}


def _print(rows: list[dict[str, Any]]) -> None:
    head = f"{'table':<22}{'rows':>8}{'build s':>9}{'CSV s':>8}{'Parquet s':>11}"
    head += f"{'CSV MB':>9}{'Parquet MB':>12}"
    print(f"{N_SHEETS:,} sheets, {INSTRUMENT}: score tables written as CSV and as Parquet")
    print(head + f"{'size':>7}{'time':>7}")
    for r in rows:
        print(
            f"{r['table']:<22}{r['rows']:>8}{r['build_s']:>9.3f}{r['csv_s']:>8.3f}"
            f"{r['parquet_s']:>11.3f}"
            f"{r['csv_bytes'] / 1e6:>9.2f}{r['parquet_bytes'] / 1e6:>12.2f}"
            f"{r['size_ratio']:>7.2f}{r['time_ratio']:>7.2f}"
        )
    print("build: the pandas table, once; size, time: Parquet / CSV from that table to disk")


if __name__ == "__main__":
    main()
