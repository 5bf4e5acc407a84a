"""Read, validate and score 100,000 synthetic ENRICH rating sheets from one wide CSV.

Ours: ``fidelity.read_sheets`` (pandas' C parser, every cell kept as text) →
``fidelity.validate`` (compiled per-instrument lookup tables, one column at a time) →
``fidelity.score`` (sheets × items numpy arrays). Timed as one run from the file on disk to
the per-sheet result; the best of three runs is reported, with its phases.

Baseline, on the same file: what one would write first. ``csv.DictReader`` turns each row into
a sheet dict (``"3"`` → 3, ``"NA"`` kept, empty left out), every sheet is validated with
``jsonschema`` against the same strict per-version schema (``Draft202012Validator``, compiled
once, all errors collected with ``iter_errors``), then scored by plain Python loops. The
baseline runs on the first 10,000 sheets and its time is multiplied by 10 (it is linear in
the number of sheets); the report says so. Its scores are checked against ours on that subset.

Peak memory of our run: ``tracemalloc`` peak in a separate, untimed run (Python allocations,
including numpy and pandas buffers), and the process's peak RSS from ``resource``.
"""

from __future__ import annotations

import csv
import math
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

N_SHEETS = 100_000
BASELINE_SHEETS = 10_000
SEED = 20_240_601
INSTRUMENT = "enrich-peer-support@1.1.0"


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best = math.inf
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _baseline(inst: Any, path: Path, limit: int) -> tuple[list[float], int]:
    """Per-sheet jsonschema validation then per-sheet Python scoring; returns overall scores
    and the number of schema errors."""
    from fidelity.ratings import compile_instrument

    validator = compile_instrument(inst).validator  # compiled once, as a careful user would
    fields = ("instrument", "assessment", "rater", "site", "informant", "date")
    items = [(it, inst.scale_of(it)) for it in inst.items]
    domains = [(d, [(it, sc) for it, sc in items if it.domain == d.id]) for d in inst.domains]
    overall_scores: list[float] = []
    n_errors = 0
    with path.open(newline="", encoding="utf-8") as fh:
        for k, row in enumerate(csv.DictReader(fh)):
            if k >= limit:
                break
            sheet: dict[str, Any] = {f: row[f] for f in fields if row[f]}
            sheet["consensus"] = row["consensus"] == "true"
            ratings: dict[str, Any] = {}
            for it, _sc in items:
                cell = row[it.id]
                if cell == "NA":
                    ratings[it.id] = "NA"
                elif cell:
                    ratings[it.id] = int(cell)
            sheet["ratings"] = ratings
            n_errors += sum(1 for _ in validator.iter_errors(sheet))
            scores = []
            for dom, members in domains:
                num = den = 0.0
                count = 0
                for it, sc in members:
                    v = ratings.get(it.id)
                    if isinstance(v, int):
                        num += it.weight * (sc.max + sc.min - v if it.reverse else v)
                        den += it.weight
                        count += 1
                scores.append(num / den if count >= dom.min_answered else math.nan)
            missing = sum(math.isnan(s) for s in scores)
            if missing > inst.scoring.max_missing_domains:
                overall_scores.append(math.nan)
            else:
                present = [s for s in scores if not math.isnan(s)]
                overall_scores.append(round(sum(present) / len(present), 10))
    return overall_scores, n_errors


def main() -> dict[str, Any]:
    import fidelity
    from fidelity.ratings import read_sheets, validate
    from fidelity.scoring import score
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument(INSTRUMENT)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheets.csv"
        # 25,000 sites x 3 informants = 75,000 interviews, a third double-rated: 100,000 sheets
        sim = simulate_audit(
            inst, n_sites=N_SHEETS // 4, double_rated=1 / 3, consensus=0.0, seed=SEED
        )
        assert len(sim) == N_SHEETS
        sim.write_csv(path)
        size_mb = path.stat().st_size / 1e6

        def ours() -> Any:
            batch = read_sheets(path)
            problems = validate(inst, batch)
            return problems, score(inst, batch)

        def phases() -> tuple[list[float], Any, Any]:
            t0 = time.perf_counter()
            batch = read_sheets(path)
            t1 = time.perf_counter()
            problems = validate(inst, batch)
            t2 = time.perf_counter()
            result = score(inst, batch)  # reuses the checked arrays of validate
            t3 = time.perf_counter()
            return [t1 - t0, t2 - t1, t3 - t2, t3 - t0], problems, result

        ours()  # warm imports and the compiled-instrument cache
        runs = [phases() for _ in range(3)]
        (t_read, t_validate, t_score, t_ours), problems, result = min(runs, key=lambda r: r[0][3])

        tracemalloc.start()
        ours()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024

        t_base, (base_overall, base_errors) = _best(
            lambda: _baseline(inst, path, BASELINE_SHEETS), repeats=1
        )
        t_base_full = t_base * N_SHEETS / BASELINE_SHEETS
        same = np.array_equal(
            np.array(base_overall), result.overall[:BASELINE_SHEETS], equal_nan=True
        )

    figures = {
        "n_sheets": N_SHEETS,
        "csv_mb": round(size_mb, 1),
        "instrument": INSTRUMENT,
        "ours_seconds": round(t_ours, 3),
        "ours_read_seconds": round(t_read, 3),
        "ours_validate_seconds": round(t_validate, 3),
        "ours_score_seconds": round(t_score, 3),
        "ours_problems": len(problems),
        "ours_errors": len(problems.errors),
        "ours_tracemalloc_peak_mb": round(peak / 1e6, 1),
        "process_peak_rss_mb": round(rss_mb, 1),
        "baseline_sheets_timed": BASELINE_SHEETS,
        "baseline_seconds_measured": round(t_base, 3),
        "baseline_seconds_extrapolated": round(t_base_full, 2),
        "baseline_schema_errors": base_errors,
        "ratio": round(t_base_full / t_ours, 1),
        "same_scores_on_baseline_subset": bool(same),
        "target_met": bool(t_ours < 2.0 and t_base_full / t_ours >= 20),
    }
    print(f"{N_SHEETS:,} ENRICH sheets, wide CSV {size_mb:.1f} MB ({INSTRUMENT})")
    print(f"{'step':<44}{'seconds':>10}")
    print(f"{'ours: read (pandas C parser, text cells)':<44}{t_read:>10.3f}")
    print(f"{'ours: validate (compiled column checks)':<44}{t_validate:>10.3f}")
    print(f"{'ours: score (numpy, sheets x items)':<44}{t_score:>10.3f}")
    print(f"{'ours: read + validate + score':<44}{t_ours:>10.3f}")
    print(f"{'baseline: 10,000 sheets, measured':<44}{t_base:>10.3f}")
    print(f"{'baseline: 100,000 sheets, extrapolated x10':<44}{t_base_full:>10.2f}")
    print(
        f"ratio (baseline / ours): {t_base_full / t_ours:.1f}x; "
        f"same overall scores on the subset: {same}"
    )
    print(
        f"problems found: {len(problems)} ({len(problems.errors)} errors; the rest are FR105 "
        f"warnings for the simulated missing cells)"
    )
    print(f"peak memory: tracemalloc {peak / 1e6:.0f} MB; process peak RSS {rss_mb:.0f} MB")
    return figures


if __name__ == "__main__":
    main()
