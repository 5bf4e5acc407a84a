"""Subject-level bootstrap: reproducibility, batched = looped, BCa, undefined cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from fidelity import reliability as rel
from fidelity.stats.estimate import Estimate


def sample(n: int = 120, k: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.7, (n, k)) + np.arange(k) * 0.2


def test_seeded_and_reproducible() -> None:
    x = sample()
    a = rel.bootstrap(x, "ICC(2,1)", n_resamples=400, seed=42)
    b = rel.bootstrap(x, "ICC(2,1)", n_resamples=400, seed=42)
    c = rel.bootstrap(x, "ICC(2,1)", n_resamples=400, seed=43)
    assert a.ci == b.ci and a.se == b.se
    assert a.ci != c.ci
    assert a.value == pytest.approx(rel.icc(x, "ICC(2,1)").value)
    assert a.details["n_resamples"] == 400 and a.details["n_undefined"] == 0


@pytest.mark.parametrize("form", ["ICC(1,1)", "ICC(2,1)", "ICC(3,k)", "ICC(A,k)"])
def test_batched_equals_looped(form: str) -> None:
    x = sample(60, 3)
    batched = rel.bootstrap(x, form, n_resamples=200, seed=7)
    looped = rel.bootstrap(x, lambda m: rel.icc(m, form), n_resamples=200, seed=7)
    assert batched.ci == pytest.approx(looped.ci, rel=1e-10)
    assert batched.se == pytest.approx(looped.se, rel=1e-10)


def test_interval_alpha_batched_equals_looped() -> None:
    x = sample(50, 3)
    x[3, 1] = np.nan
    x[10, 0] = np.nan
    a = rel.bootstrap(x, "krippendorff:interval", n_resamples=200, seed=3)
    b = rel.bootstrap(x, lambda m: rel.krippendorff_alpha(m, "interval"), n_resamples=200, seed=3)
    assert a.ci == pytest.approx(b.ci, rel=1e-10)


def test_user_vectorized_statistic() -> None:
    x = sample(40, 2)

    def mean_diff(batch: np.ndarray) -> np.ndarray:
        return (batch[..., 0] - batch[..., 1]).mean(axis=-1)

    vec = rel.bootstrap(x, mean_diff, n_resamples=300, seed=1, vectorized=True)
    loop = rel.bootstrap(x, lambda m: float((m[:, 0] - m[:, 1]).mean()), n_resamples=300, seed=1)
    assert vec.ci == pytest.approx(loop.ci)
    # the percentile SE of a mean is close to the analytic one
    d = x[:, 0] - x[:, 1]
    assert vec.se == pytest.approx(d.std(ddof=1) / math.sqrt(d.size), rel=0.15)


def test_bca_for_a_mean_is_close_to_percentile() -> None:
    x = sample(200, 2)
    stat = "krippendorff:interval"
    p = rel.bootstrap(x, stat, n_resamples=1000, seed=5)
    b = rel.bootstrap(x, stat, n_resamples=1000, seed=5, method="bca")
    assert b.ci is not None and p.ci is not None
    assert b.ci[0] < b.value < b.ci[1]
    assert "acceleration" in b.details and "z0" in b.details
    assert abs(b.ci[0] - p.ci[0]) < 0.05 and abs(b.ci[1] - p.ci[1]) < 0.05


def test_bca_jackknife_vectorised_matches_loop() -> None:
    x = sample(40, 2)
    a = rel.bootstrap(x, "ICC(3,1)", n_resamples=300, seed=2, method="bca")
    b = rel.bootstrap(x, lambda m: rel.icc(m, "ICC(3,1)"), n_resamples=300, seed=2, method="bca")
    assert a.details["acceleration"] == pytest.approx(b.details["acceleration"], rel=1e-9)
    assert a.ci == pytest.approx(b.ci, rel=1e-10)


def test_bootstrap_ci_agrees_with_analytic_ci_for_large_n() -> None:
    x = sample(500, 2, seed=9)
    boot = rel.bootstrap(x, "ICC(2,1)", n_resamples=1000, seed=0)
    analytic = rel.icc(x, "ICC(2,1)")
    assert boot.ci is not None and analytic.ci is not None
    assert boot.ci == pytest.approx(analytic.ci, abs=0.03)


def test_undefined_and_errors() -> None:
    const = np.ones((10, 2))
    est = rel.bootstrap(const, "ICC(2,1)", n_resamples=50, seed=0)
    assert math.isnan(est.value) and est.reason
    est = rel.bootstrap(np.ones((1, 2)), "ICC(2,1)", n_resamples=50, seed=0)
    assert math.isnan(est.value) and est.reason
    incomplete = sample(20, 2)
    incomplete[0, 0] = np.nan
    est = rel.bootstrap(incomplete, "ICC(2,1)", n_resamples=20)
    assert math.isnan(est.value) and "1 of 20 subjects" in (est.reason or "")
    assert rel.bootstrap(incomplete, "ICC(1,1)", n_resamples=20, seed=1).defined
    with pytest.raises(ValueError, match="method"):
        rel.bootstrap(sample(), "ICC(2,1)", method="student")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_resamples"):
        rel.bootstrap(sample(), "ICC(2,1)", n_resamples=0)
    with pytest.raises(ValueError, match="unknown ICC form"):
        rel.bootstrap(sample(), "ICC(9,9)")


def test_estimate_statistic_and_undefined_resamples_are_counted() -> None:
    # With 3 subjects some resamples repeat one subject three times: MSB = 0, so ICC(1,k)
    # is undefined on them.
    x = np.array([[1.0, 1.2], [2.0, 2.1], [3.0, 2.7]])
    est = rel.bootstrap(x, lambda m: rel.icc(m, "ICC(1,k)"), n_resamples=200, seed=0)
    assert isinstance(est, Estimate)
    assert est.details["n_undefined"] > 0
    assert est.ci is not None


def test_bca_without_a_usable_jackknife_warns_not_and_says_so() -> None:
    # Two subjects: every leave-one-out sample has one subject, where ICC(1,1) is undefined,
    # so the jackknife gives no acceleration. BCa then uses a = 0 (bias correction only,
    # Efron 1987) and must say so rather than emit numpy's "Mean of empty slice".
    x = np.array([[3.0, 3.0, 1.0], [1.0, 3.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = rel.bootstrap(x, "ICC(1,1)", n_resamples=50, seed=1, method="bca")
    assert est.details["acceleration"] == 0.0
    assert "jackknife" in est.details["note"]
