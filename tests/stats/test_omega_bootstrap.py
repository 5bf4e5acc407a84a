"""The omega bootstrap from bootstrap counts (weighted moments, batched Newton minres fits)
gives the values of the direct computation on the gathered resamples.

The correlation matrices agree to rounding. The fits agree to the stopping error of MINPACK's
``leastsq`` (``ftol`` is a relative reduction of the sum of squares, so it stops where the
gradient is ~1e-9, which moves omega by up to ~2e-9 on 25 subjects and ~1e-12 on
15,000); Newton's method stops at a gradient of ~1e-16, the exact minimum to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from fidelity.stats import omega as omega_impl


def _items(n: int, k: int, missing: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1)) * rng.uniform(0.4, 0.8, k) + rng.normal(size=(n, k)) * 0.7
    x = np.round(2.0 * x) + 3.0
    x[rng.random((n, k)) < missing] = np.nan
    return x


def _direct(fn: omega_impl._OmegaStatistic, x: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The statistic evaluated the plain way: each resample gathered, one fit per resample."""
    out = np.full(index.shape[0], np.nan)
    for b, rows in enumerate(index):
        r = omega_impl.correlation_matrix(x[rows], fn.missing)[0]
        if not np.isnan(r).any():
            lam, why, _ = omega_impl.fit_one_factor(r, fn.estimator, start=fn.start)
            out[b] = np.nan if why else omega_impl._omega_from(r, lam)[0]
    return out


@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
@pytest.mark.parametrize(("n", "k", "holes"), [(60, 5, 0.15), (25, 4, 0.3), (400, 7, 0.05)])
def test_on_index_equals_the_gathered_resamples(missing: str, n: int, k: int, holes: float) -> None:
    x = _items(n, k, holes, seed=n + k)
    r = omega_impl.correlation_matrix(x, missing)[0]
    lam = omega_impl.fit_one_factor(r)[0]
    fn = omega_impl._OmegaStatistic("minres", missing, lam)
    index = np.random.default_rng(7).integers(0, n, size=(200, n))
    fast, slow = fn.on_index(x, index), _direct(fn, x, index)
    assert np.array_equal(np.isnan(fast), np.isnan(slow))
    assert np.nanmax(np.abs(fast - slow)) < 1e-8
    assert np.isfinite(fast).sum() > 20


def test_newton_fits_are_at_the_exact_minimum() -> None:
    x = _items(60, 5, 0.15, seed=65)
    r = omega_impl.correlation_matrix(x)[0]
    lam = omega_impl.fit_one_factor(r)[0]
    index = np.random.default_rng(7).integers(0, 60, size=(50, 60))
    rb = omega_impl.correlation_matrix(x[index])[0]
    got, ok = omega_impl._minres_newton(rb, lam)
    assert ok.all()
    resid = got[:, :, None] * got[:, None, :] - rb
    resid[:, np.arange(5), np.arange(5)] = 0.0
    assert np.abs(np.einsum("bij,bj->bi", resid, got)).max() < 1e-13


def test_weighted_correlations_equal_the_pairwise_ones_with_a_flat_resample() -> None:
    x = _items(12, 4, 0.2, seed=3)
    x[:6, 2] = 4.0  # item 3 constant on the first six subjects
    m = (~np.isnan(x)).astype(float)
    z = np.where(m > 0, x, 0.0)
    feats = omega_impl._pair_features(z, m)
    index = np.vstack([np.repeat(np.arange(6), 2), np.arange(12)])  # first: item 3 flat
    w = np.array([np.bincount(row, minlength=12) for row in index], dtype=float)
    got = omega_impl._weighted_correlations(z, feats, w)
    want = omega_impl.correlation_matrix(x[index], "pairwise")[0]
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[0, 2, 0])
    assert np.nanmax(np.abs(got - want)) < 1e-12


def test_resamples_near_a_heywood_case_are_refitted_the_plain_way() -> None:
    rng = np.random.default_rng(11)
    f = rng.normal(size=(40, 1))
    x = np.hstack([f + 0.05 * rng.normal(size=(40, 1)), f + rng.normal(size=(40, 3))])
    r = omega_impl.correlation_matrix(x)[0]
    fn = omega_impl._OmegaStatistic("minres", "pairwise", omega_impl._smc_start(r))
    index = rng.integers(0, 40, size=(60, 40))
    fast, slow = fn.on_index(x, index), _direct(fn, x, index)
    assert np.array_equal(np.isnan(fast), np.isnan(slow))
    assert np.nanmax(np.abs(fast - slow), initial=0.0) < 1e-8


def test_many_items_fall_back_to_the_gathered_resamples(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _items(80, 5, 0.1, seed=4)
    r = omega_impl.correlation_matrix(x)[0]
    fn = omega_impl._OmegaStatistic("minres", "pairwise", omega_impl.fit_one_factor(r)[0])
    index = np.random.default_rng(1).integers(0, 80, size=(30, 80))
    counts = fn.on_index(x, index)
    monkeypatch.setattr(omega_impl, "_FEATURES_MAX", 10)
    gathered = fn.on_index(x, index)
    assert np.array_equal(np.isnan(counts), np.isnan(gathered))
    assert np.nanmax(np.abs(counts - gathered)) < 1e-12
