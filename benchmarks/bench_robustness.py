"""Bounded time and memory where the input is large: the BCa bootstrap's jackknife, and the
kappa family handed continuous data.

* BCa bootstrap of ICC(2,1), 50 resamples, on n subjects × 10 raters. The acceleration needs a
  jackknife. For a named ICC on complete data it is computed in closed form, O(n)
  ("closed"). A statistic without one gets the general jackknife: delete-one costs n
  evaluations of size n - 1 (O(n²)), so above ``JACKKNIFE_MAX_GROUPS`` subjects a grouped
  jackknife with that many interleaved groups is used instead ("grouped", O(n)). The
  "delete-one" rows lift that bound: what every statistic cost before; they are timed only up
  to 5,000 subjects (they grow as n²).
* ``fleiss_kappa`` on continuous data (n × 10 normal values): refused before any
  categories × categories table is built; peak memory from ``tracemalloc``.

Times are single runs (``time.perf_counter``), seconds.
"""

from __future__ import annotations

import contextlib
import time
import tracemalloc
from typing import Any

import numpy as np

SEED = 16
RATERS = 10
RESAMPLES = 50


def _data(n: int) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    return rng.normal(size=(n, 1)) + 0.5 * rng.normal(size=(n, RATERS))


def _bca_seconds(n: int, jackknife: str) -> tuple[float, float, str]:
    """One BCa run; ``jackknife``: "closed" (the named ICC statistic), "grouped" (the same
    statistic as a plain callable: general jackknife, bounded) or "delete-one" (the general
    jackknife with the group bound lifted: the cost before the bound)."""
    from fidelity.reliability import bootstrap
    from fidelity.stats import _resample
    from fidelity.stats import bootstrap as boot_impl

    statistic: Any = "ICC(2,1)"
    if jackknife != "closed":
        statistic = boot_impl._resolve_statistic("ICC(2,1)", False, None)[0].__call__
    saved = _resample.JACKKNIFE_MAX_GROUPS
    if jackknife == "delete-one":
        _resample.JACKKNIFE_MAX_GROUPS = n
    try:
        x = _data(n)
        start = time.perf_counter()
        est = bootstrap(x, statistic, n_resamples=RESAMPLES, seed=1, method="bca", vectorized=True)
        seconds = time.perf_counter() - start
    finally:
        _resample.JACKKNIFE_MAX_GROUPS = saved
    return seconds, float(est.details["acceleration"]), str(est.details["jackknife"])


def _kappa_refusal(n: int) -> tuple[float, float]:
    from fidelity.reliability import fleiss_kappa

    x = _data(n)
    tracemalloc.start()
    start = time.perf_counter()
    with contextlib.suppress(ValueError):
        fleiss_kappa(x)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20


def main() -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    print(f"BCa bootstrap of ICC(2,1), {RESAMPLES} resamples, n × {RATERS}")
    print(f"{'n':>8} {'jackknife':<44} {'seconds':>8} {'acceleration':>13}")
    for n, jackknife in [
        (2_000, "delete-one"),
        (5_000, "delete-one"),
        (5_000, "grouped"),
        (20_000, "grouped"),
        (2_000, "closed"),
        (5_000, "closed"),
        (20_000, "closed"),
        (100_000, "closed"),
    ]:
        seconds, accel, how = _bca_seconds(n, jackknife)
        rows.append({"n": n, "jackknife": how, "seconds": seconds, "acceleration": accel})
        print(f"{n:>8} {how:<44} {seconds:>8.2f} {accel:>13.5f}")
    refusals = []
    print(f"\nfleiss_kappa on continuous n × {RATERS} data (refused)")
    for n in (20_000, 100_000):
        seconds, peak = _kappa_refusal(n)
        refusals.append({"n": n, "seconds": seconds, "peak_MiB": peak})
        print(f"{n:>8} {seconds:>8.3f} s  peak {peak:>7.1f} MiB")
    return {"bca": rows, "kappa_refusal": refusals}
