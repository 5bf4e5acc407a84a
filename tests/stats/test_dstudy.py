"""The G-study's bootstrap refits done in batches: the replicates and intervals are those of
the one-refit-at-a-time parametric bootstrap of :mod:`fidelity.stats.variance` (same seed,
same simulated data sets) up to the optimiser's tolerance (L-BFGS-B stops at a projected
gradient of 1e-7, so about 1e-6 relative)."""

from __future__ import annotations

import numpy as np
import pytest

from fidelity.stats import dstudy
from fidelity.stats._numeric import normalize
from fidelity.stats.variance import CrossedDesign, design_matrix, fit_crossed, parametric_bootstrap


def _ratings(n: int, k: int, missing: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.5, (1, k)) + rng.normal(0, 0.8, (n, k))
    x[rng.random((n, k)) < missing] = np.nan
    x[np.isnan(x).all(axis=1), 0] = 0.5
    return 3.0 * x + 40.0


@pytest.mark.parametrize(("n", "k", "missing"), [(30, 4, 0.25), (20, 5, 0.0)])
def test_g_study_replicates_equal_the_one_at_a_time_bootstrap(
    n: int, k: int, missing: float
) -> None:
    x = _ratings(n, k, missing, seed=n * k)
    g = dstudy.g_study(x, n_boot=80, seed=11)
    z, _, unit = normalize(design_matrix(x))
    design = CrossedDesign(z)
    one, failed = parametric_bootstrap(fit_crossed(z, design=design), design, 80, 11)
    assert failed == 0
    assert g.replicates is not None
    one = one * unit * unit
    scale = np.abs(one).max(axis=0)
    assert np.abs(g.replicates - one).max(axis=0) / scale == pytest.approx(0.0, abs=5e-6)
    for j, name in enumerate(("subject", "rater", "error")):
        assert g.ci is not None
        lo, hi = np.quantile(one[:, j], [0.025, 0.975])
        assert g.ci[name] == pytest.approx((lo, hi), rel=1e-5, abs=1e-6 * scale[j])
    rows = dstudy.d_study(g, [1, 3])
    assert all(r.phi_ci is not None and r.phi_ci[0] <= r.phi <= r.phi_ci[1] for r in rows)
