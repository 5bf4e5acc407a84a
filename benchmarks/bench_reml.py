"""The REML two-way ICC on incomplete data, against a statsmodels MixedLM baseline, and on
complete data against pingouin.

Cases (seeded data: subject sd 1, rater sd 0.6, error sd 0.8; 10 raters):

1. target: ``variance_components`` and ``icc_reml_table(n_boot=0)`` on 1,000 subjects × 10
   raters with 30% of the cells missing at random must take under 1 s;
2. incomplete data at 100, 1,000 and 10,000 subjects: ours vs ``statsmodels`` ``MixedLM``
   fitted by REML with crossed variance components (one group holding every rating,
   ``vc_formula`` for subject and rater), the faithful general-purpose baseline. It forms
   dense per-group design matrices, so it is run only where it finishes in reasonable time
   (larger sizes are reported as skipped); the largest absolute difference of the variance
   components is shown beside the times;
3. complete data at the same sizes: ``icc_reml_table`` (which is the closed-form ANOVA there)
   vs ``pingouin.intraclass_corr`` (given its long table, built outside the timing);
4. the parametric-bootstrap interval (1,000 refits) on 200 × 10, 30% missing.

Times are the best of several repeats (``time.perf_counter``); ratio = peer time / our time.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._timing import best_time
from fidelity import reliability as rel

SEED = 12_021
K = 10
SIZES = (100, 1_000, 10_000)
STATSMODELS_MAX_N = 1_000


def _data(n: int, missing: float, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 3 + rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.6, (1, K)) + rng.normal(0, 0.8, (n, K))
    if missing:
        x[rng.random((n, K)) < missing] = np.nan
    return x


def _long(x: np.ndarray) -> pd.DataFrame:
    i, j = np.nonzero(~np.isnan(x))
    return pd.DataFrame({"subject": i, "rater": j, "rating": x[i, j], "g": 0})


def _statsmodels(long: pd.DataFrame) -> tuple[float, float, float]:
    import statsmodels.formula.api as smf

    model = smf.mixedlm(
        "rating ~ 1", long, groups="g", re_formula="0",
        vc_formula={"subject": "0 + C(subject)", "rater": "0 + C(rater)"},
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True)
    vc = dict(zip(model.exog_vc.names, fit.vcomp, strict=True))
    return float(vc["subject"]), float(vc["rater"]), float(fit.scale)


def _incomplete(rows: list[dict[str, Any]]) -> None:
    print(f"{'n':>7} {'ours (s)':>10} {'statsmodels (s)':>16} {'ratio':>8} {'max |dvc|':>10}")
    for n in SIZES:
        x = _data(n, 0.3)
        ours = best_time(lambda x=x: rel.icc_reml_table(x, n_boot=0), budget=2.0)
        vc = rel.variance_components(x)
        row: dict[str, Any] = {"n": n, "ours_s": ours}
        if n <= STATSMODELS_MAX_N:
            long = _long(x)
            start = time.perf_counter()
            sm = _statsmodels(long)
            row["statsmodels_s"] = time.perf_counter() - start
            row["ratio"] = row["statsmodels_s"] / ours
            ours_vc = (vc.subject, vc.rater, vc.error)
            row["max_abs_diff"] = max(abs(a - b) for a, b in zip(ours_vc, sm, strict=True))
            print(f"{n:>7} {ours:>10.4f} {row['statsmodels_s']:>16.3f} {row['ratio']:>8.1f} "
                  f"{row['max_abs_diff']:>10.1e}")  # fmt: skip
        else:
            row["statsmodels_s"] = None
            print(f"{n:>7} {ours:>10.4f} {'skipped':>16}")
        rows.append(row)


def _complete(rows: list[dict[str, Any]]) -> None:
    import pingouin as pg

    print(f"{'n':>7} {'ours (s)':>10} {'pingouin (s)':>13} {'ratio':>8}")
    for n in SIZES:
        x = _data(n, 0.0)
        long = _long(x)
        ours = best_time(lambda x=x: rel.icc_reml_table(x, n_boot=0))
        peer = best_time(lambda long=long: pg.intraclass_corr(
            long, targets="subject", raters="rater", ratings="rating"))  # fmt: skip
        rows.append({"n": n, "ours_s": ours, "pingouin_s": peer, "ratio": peer / ours})
        print(f"{n:>7} {ours:>10.4f} {peer:>13.4f} {peer / ours:>8.1f}")


def main() -> dict[str, Any]:
    x = _data(1_000, 0.3)
    target = best_time(lambda: rel.icc_reml_table(x, n_boot=0), budget=2.0)
    vc_time = best_time(lambda: rel.variance_components(x), budget=2.0)
    print(f"1,000 x 10, 30% missing: icc_reml_table {target:.4f} s, variance_components "
          f"{vc_time:.4f} s (target < 1 s): {'ok' if target < 1.0 else 'SLOW'}")  # fmt: skip
    incomplete: list[dict[str, Any]] = []
    _incomplete(incomplete)
    complete: list[dict[str, Any]] = []
    _complete(complete)
    xb = _data(200, 0.3)
    start = time.perf_counter()
    rel.icc_reml_table(xb, n_boot=1000, seed=1)
    boot = time.perf_counter() - start
    print(f"parametric bootstrap, 1,000 refits, 200 x 10, 30% missing: {boot:.2f} s")
    return {"target_1000x10_s": target, "variance_components_1000x10_s": vc_time,
            "incomplete": incomplete, "complete": complete, "bootstrap_200x10_s": boot}  # fmt: skip
