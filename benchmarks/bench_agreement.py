"""Gwet's AC1 and Fleiss' kappa on 10,000 subjects × 4 raters (categories 1-5, random).

Peers, timed in the same run on the same data: irrCAC (``irrCAC.raw.CAC``: AC1 and Fleiss'
kappa with Gwet's standard errors) and statsmodels (``fleiss_kappa``; no AC1, no standard
error). Every implementation starts from the raw subjects × raters ratings, so statsmodels
is timed with the ``aggregate_raters`` step it needs; its ``fleiss_kappa`` on an already
aggregated count table is reported as well, for reference.

Times are the best of several repeats (``time.perf_counter``); ratio = peer time / our
time (above 1: we are faster).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._timing import best_time

N_SUBJECTS, N_RATERS, N_CATEGORIES, SEED = 10_000, 4, 5, 20_240


def main() -> dict[str, Any]:
    import pandas as pd

    from fidelity.stats.agreement import fleiss_kappa, gwet_ac

    rng = np.random.default_rng(SEED)
    x = rng.integers(1, N_CATEGORIES + 1, size=(N_SUBJECTS, N_RATERS)).astype(np.float64)
    frame = pd.DataFrame(x)

    rows: list[dict[str, Any]] = []

    def record(coef: str, impl: str, fn: Callable[[], Any], value: float, se: float | None) -> None:
        rows.append(
            {
                "coefficient": coef,
                "implementation": impl,
                "seconds": best_time(fn),
                "value": value,
                "se": se,
            }
        )

    ours_ac1 = gwet_ac(x)
    record("Gwet AC1", "fidelity", lambda: gwet_ac(x), ours_ac1.value, ours_ac1.se)
    ours_fk = fleiss_kappa(x)
    record("Fleiss kappa", "fidelity", lambda: fleiss_kappa(x), ours_fk.value, ours_fk.se)

    peers: dict[str, str] = {}
    try:
        from irrCAC.raw import CAC

        def irr(method: str) -> dict[str, Any]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est: dict[str, Any] = getattr(CAC(frame, digits=12), method)()["est"]
            return est

        ref = irr("gwet")
        record("Gwet AC1", "irrCAC", lambda: irr("gwet"), ref["coefficient_value"], ref["se"])
        ref = irr("fleiss")
        record("Fleiss kappa", "irrCAC", lambda: irr("fleiss"), ref["coefficient_value"], ref["se"])
    except ImportError as exc:  # pragma: no cover - peers are dev dependencies
        peers["irrCAC"] = f"not installed: {exc}"
    try:
        from statsmodels.stats.inter_rater import aggregate_raters
        from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

        ints = x.astype(int)
        table, _ = aggregate_raters(ints)
        value = float(sm_fleiss(table))
        record(
            "Fleiss kappa",
            "statsmodels (aggregate_raters + fleiss_kappa)",
            lambda: sm_fleiss(aggregate_raters(ints)[0]),
            value,
            None,
        )
        record(
            "Fleiss kappa",
            "statsmodels fleiss_kappa on counts (reference only)",
            lambda: sm_fleiss(table),
            value,
            None,
        )
    except ImportError as exc:  # pragma: no cover
        peers["statsmodels"] = f"not installed: {exc}"

    ours = {r["coefficient"]: r["seconds"] for r in rows if r["implementation"] == "fidelity"}
    for r in rows:
        r["ratio_vs_fidelity"] = r["seconds"] / ours[r["coefficient"]]

    print(
        f"Agreement on {N_SUBJECTS:,} subjects × {N_RATERS} raters, categories 1-{N_CATEGORIES} "
        f"(seed {SEED}); ratio = peer time / fidelity time"
    )
    header = (
        f"{'coefficient':<13} {'implementation':<52} {'ms':>9} {'ratio':>8} {'value':>10} {'se':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        se = "-" if r["se"] is None else f"{r['se']:.6f}"
        print(
            f"{r['coefficient']:<13} {r['implementation']:<52} {r['seconds'] * 1e3:>9.2f} "
            f"{r['ratio_vs_fidelity']:>7.1f}x {r['value']:>10.6f} {se:>9}"
        )
    for name, why in peers.items():
        print(f"{name}: {why}")

    like_for_like = [
        r
        for r in rows
        if r["implementation"] != "fidelity" and "reference only" not in r["implementation"]
    ]
    slowest_ratio = min((r["ratio_vs_fidelity"] for r in like_for_like), default=float("nan"))
    print(f"smallest like-for-like ratio: {slowest_ratio:.1f}x (target: >= 1)")
    return {
        "shape": [N_SUBJECTS, N_RATERS],
        "categories": N_CATEGORIES,
        "seed": SEED,
        "rows": rows,
        "min_ratio_like_for_like": slowest_ratio,
        "missing_peers": peers,
    }


if __name__ == "__main__":
    main()
