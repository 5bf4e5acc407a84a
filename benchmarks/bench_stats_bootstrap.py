"""The two slow bootstraps of the audit report: omega's subject-level bootstrap and the REML
ICC's parametric bootstrap, in CPU time (``time.process_time``; the machine is shared).

1. omega (one-factor minres, pairwise correlations) with 1,000 resamples on the five
   domains of a simulated 5,000-site audit (15,000 assessments; the matrices the report
   builds, collected from ``reliability_report``): the resamples evaluated from bootstrap
   counts (weighted moments, batched Newton refits), and, on the first domain, the plain
   evaluation it replaces (each resample gathered, its correlations computed, one
   ``leastsq`` fit each) with the largest difference of the bootstrap values;
2. ``icc_reml_table`` with 1,000 parametric-bootstrap refits at 10 × 4 (one missing cell),
   100 × 5 and 1,000 × 10 (30% missing): the batched refits against the one-at-a-time
   L-BFGS-B refits (``variance.parametric_bootstrap``, 200 refits at 1,000 × 10, scaled).

Before (main at e881cfe, same machine, loaded): omega with its bootstrap on the five domains
12.0 s CPU (about 2.4 s each); ``fidelity report`` on the audit 18.8 s; the REML bootstrap
3.4 ms per refit at 10 × 4, 2.9 ms at 100 × 5, 5.7 ms at 1,000 × 10.

The default ``icc_reml(x)`` call (ICC(A,1), point estimate and 1,000 refits), CPU seconds,
with the refits summing per subject (main at 73aa64b) and with the sums grouped by the
subjects' number of ratings (each criterion evaluation O(k**3) per data set instead of
O(n k**2)); same machine, loaded:

10 × 4: 0.08 → 0.09 s; 100 × 5: 0.18 → 0.11 s; 1,000 × 10: 1.52 → 0.53 s.

The bootstrap components of the two (seed 0, 1,000 refits) differ by at most 8e-7 of the
largest replicate (rater variance at 1,000 × 10; 1e-7 subject, 2e-8 error), the Newton
refits' stopping tolerance.
"""

from __future__ import annotations

import math
import time
from typing import Any
from unittest import mock

import numpy as np

from benchmarks.bench_cli import INSTRUMENT

N_SITES = 5_000
SEED = 20240601
B = 1_000


def _domains() -> list[np.ndarray]:
    import fidelity
    from fidelity.report import build
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument(INSTRUMENT)
    audit = simulate_audit(inst, n_sites=N_SITES)
    seen: list[np.ndarray] = []
    real = build.omega_total

    def record(x: Any, **kw: Any) -> Any:
        seen.append(np.array(x, dtype=float))
        return real(x, **{**kw, "n_resamples": 0})

    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(build, "omega_total", record):
        path = Path(tmp) / "audit.csv"
        audit.write_csv(path)
        build.reliability_report(inst, path, n_bootstrap=0)
    return seen


def _plain_omega_bootstrap(x: np.ndarray) -> np.ndarray:
    """The per-resample evaluation the counts replace: gather, correlate, fit with leastsq."""
    from fidelity.stats import omega as om
    from fidelity.stats._numeric import normalize

    z = normalize(x)[0]
    r = om.correlation_matrix(z)[0]
    lam = om.fit_one_factor(r)[0]
    index = np.random.default_rng(SEED).integers(0, z.shape[0], size=(B, z.shape[0]))
    out = np.full(B, math.nan)
    for lo in range(0, B, 25):
        rb = om.correlation_matrix(z[index[lo : lo + 25]])[0]
        for b, rr in enumerate(rb, start=lo):
            fit, why, _ = om.fit_one_factor(rr, start=lam)
            out[b] = math.nan if why else om._omega_from(rr, fit)[0]
    return out


def _fast_omega_bootstrap(x: np.ndarray) -> np.ndarray:
    from fidelity.stats import omega as om
    from fidelity.stats._numeric import normalize

    z = normalize(x)[0]
    r = om.correlation_matrix(z)[0]
    fn = om._OmegaStatistic("minres", "pairwise", om.fit_one_factor(r)[0])
    index = np.random.default_rng(SEED).integers(0, z.shape[0], size=(B, z.shape[0]))
    return fn.on_index(z, index)


def _omega(figures: dict[str, Any]) -> None:
    from fidelity.stats.omega import omega_total

    domains = _domains()
    omega_total(domains[0][:200], n_resamples=10)  # imports and first-call costs
    start = time.process_time()
    for x in domains:
        omega_total(x, n_resamples=B, seed=SEED)
    figures["omega_five_domains_cpu_s"] = time.process_time() - start
    start = time.process_time()
    fast = _fast_omega_bootstrap(domains[0])
    figures["omega_resamples_counts_cpu_s"] = time.process_time() - start
    start = time.process_time()
    plain = _plain_omega_bootstrap(domains[0])
    figures["omega_resamples_plain_cpu_s"] = time.process_time() - start
    figures["omega_max_abs_diff"] = float(np.nanmax(np.abs(fast - plain)))
    print(f"omega + {B} resamples, five domains of {N_SITES:,} sites "
          f"({', '.join(str(x.shape) for x in domains)}): "
          f"{figures['omega_five_domains_cpu_s']:.2f} s CPU")  # fmt: skip
    print(f"first domain, the resamples alone: counts {figures['omega_resamples_counts_cpu_s']:.2f}"
          f" s, plain {figures['omega_resamples_plain_cpu_s']:.2f} s CPU; max |difference| "
          f"{figures['omega_max_abs_diff']:.1e}")  # fmt: skip


def _reml_data(n: int, k: int, missing: float) -> np.ndarray:
    rng = np.random.default_rng(12_021)
    x = 3 + rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.6, (1, k)) + rng.normal(0, 0.8, (n, k))
    if missing:
        x[rng.random((n, k)) < missing] = np.nan
    else:
        x[2, 1] = np.nan
    return x


def _reml(figures: dict[str, Any]) -> None:
    from fidelity.reliability import icc_reml, icc_reml_table
    from fidelity.stats._numeric import normalize
    from fidelity.stats.variance import CrossedDesign, fit_crossed, parametric_bootstrap

    icc_reml_table(_reml_data(10, 4, 0.0), n_boot=5)  # imports and first-call costs
    rows = []
    print(f"{'size':>9} {'icc_reml s':>10} {'table s':>8} {'ms/refit':>9} {'one-at-a-time':>14} "
          f"{'ratio':>6}")  # fmt: skip
    for n, k, missing in ((10, 4, 0.0), (100, 5, 0.3), (1_000, 10, 0.3)):
        x = _reml_data(n, k, missing)
        start = time.process_time()
        icc_reml_table(x, n_boot=B, seed=1)
        table = time.process_time() - start
        start = time.process_time()
        icc_reml(x)  # the default call: ICC(A,1) with 1,000 refits
        default = time.process_time() - start
        z = normalize(x)[0]
        design = CrossedDesign(z)
        vc = fit_crossed(z, design=design)
        plain_b = 200 if n >= 1_000 else B
        start = time.process_time()
        parametric_bootstrap(vc, design, plain_b, 1)
        before = (time.process_time() - start) / plain_b
        per = table / B
        rows.append({"n": n, "k": k, "icc_reml_cpu_s": default, "table_cpu_s": table,
                     "ms_per_refit": 1e3 * per,
                     "before_ms_per_refit": 1e3 * before, "ratio": before / per})  # fmt: skip
        print(f"{n:>5}x{k:<3} {default:>10.3f} {table:>8.2f} {1e3 * per:>9.3f} "
              f"{1e3 * before:>14.3f} {before / per:>6.1f}")  # fmt: skip
    figures["reml"] = rows


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    _omega(figures)
    _reml(figures)
    return figures


if __name__ == "__main__":
    main()
