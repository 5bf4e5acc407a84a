"""The batched parametric bootstrap of the crossed REML model against the one-refit-at-a-time
bootstrap of :mod:`fidelity.stats.variance` (same seed, same simulated data sets).

The refits there stop where L-BFGS-B's projected gradient falls below 1e-7; the batched
Newton refits stop closer to the optimum, so the components agree to about 1e-6 relative
(the L-BFGS-B tolerance), not to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from fidelity.stats import _reml_boot
from fidelity.stats._numeric import normalize
from fidelity.stats.variance import CrossedDesign, fit_crossed, parametric_bootstrap


def _ratings(n: int, k: int, missing: float, rater_sd: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 1)) + rng.normal(0, rater_sd, (1, k)) + rng.normal(0, 0.8, (n, k))
    x[rng.random((n, k)) < missing] = np.nan
    x[np.isnan(x).all(axis=1), 0] = 0.5
    return x


@pytest.mark.parametrize(
    ("n", "k", "missing", "rater_sd"),
    [(10, 4, 0.05, 0.6), (60, 5, 0.3, 0.6), (200, 8, 0.3, 0.3), (30, 3, 0.2, 0.0)],
)
def test_batched_refits_agree_with_the_single_refits(
    n: int, k: int, missing: float, rater_sd: float
) -> None:
    z = normalize(_ratings(n, k, missing, rater_sd, seed=n * k))[0]
    design = CrossedDesign(z)
    vc = fit_crossed(z, design=design, closed_form=False)
    one, failed_one = parametric_bootstrap(vc, design, 60, 5)
    many, failed_many = _reml_boot.parametric_bootstrap_batched(vc, design, 60, 5)
    assert failed_one == failed_many == 0
    scale = np.abs(one).max(axis=0)
    assert np.abs(many - one).max(axis=0) / scale == pytest.approx(0.0, abs=5e-6)
    # the boundary (a zero rater variance) is reached the same way
    assert np.array_equal(one[:, 1] <= 1e-9 * scale[1], many[:, 1] <= 1e-9 * scale[1])


def test_spd_inverse_and_cholesky_flag_the_indefinite() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(5, 4, 4))
    s = a @ np.swapaxes(a, 1, 2) + 0.1 * np.eye(4)
    s[3] = -np.eye(4)
    chol, bad = _reml_boot._cholesky(s)
    assert bad.tolist() == [False, False, False, True, False]
    inv = _reml_boot._spd_inverse(chol)
    good = ~bad
    assert np.allclose(inv[good] @ s[good], np.eye(4), atol=1e-10)


def test_refits_the_batch_leaves_unsettled_are_done_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    z = normalize(_ratings(40, 4, 0.2, 0.6, seed=9))[0]
    design = CrossedDesign(z)
    vc = fit_crossed(z, design=design, closed_form=False)
    monkeypatch.setattr(_reml_boot, "_ITERATIONS", 0)  # no Newton step: every refit falls back
    many, failed = _reml_boot.parametric_bootstrap_batched(vc, design, 20, 3)
    one, _ = parametric_bootstrap(vc, design, 20, 3)
    assert failed == 0
    np.testing.assert_allclose(many, one, rtol=1e-12)


@pytest.mark.parametrize(("n", "k", "missing"), [(12, 3, 0.2), (50, 6, 0.4), (30, 5, 0.0)])
def test_grouped_batch_criterion_equals_the_single_data_set_criterion(
    n: int, k: int, missing: float
) -> None:
    """The batch sums over subjects grouped by their number of ratings; the criterion, the
    mean, the residual variance and the gradient are those of ``CrossedDesign`` summing over
    every subject, to rounding."""
    z = normalize(_ratings(n, k, missing, 0.5, seed=n + k))[0]
    design = CrossedDesign(z)
    rng = np.random.default_rng(n)
    y = rng.normal(size=(4, n, k)) + rng.normal(size=(4, n, 1))
    batch = _reml_boot._Batch(design, y)
    theta = np.array([[0.7, 0.4], [1.3, 0.0], [0.05, 2.0], [3.0, 0.9]])
    crit, mean, ve, grad = batch.evaluate(theta, np.arange(4))
    for b in range(4):
        sums = design.sums(np.where(design.mask, y[b], np.nan))
        c1, m1, v1, g1 = design._evaluate(theta[b], sums, gradient=True)
        assert crit[b] == pytest.approx(c1, rel=1e-12)
        assert mean[b] == pytest.approx(m1, rel=1e-9, abs=1e-12)
        assert ve[b] == pytest.approx(v1, rel=1e-10)
        np.testing.assert_allclose(grad[b], g1, rtol=1e-8, atol=1e-9 * n * k)
