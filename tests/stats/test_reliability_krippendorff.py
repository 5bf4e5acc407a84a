"""Krippendorff's alpha: published values, the krippendorff package, and properties."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fidelity import reliability as rel
from fidelity.stats import krippendorff as kripp_impl

DATA = Path(__file__).parents[1] / "data"
LEVELS = ["nominal", "ordinal", "interval", "ratio"]
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", https://repository.upenn.edu/asc_papers/43
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def canonical() -> np.ndarray:
    df = pd.read_csv(DATA / "krippendorff_reliability_data.csv", comment="#")
    return df[["A", "B", "C", "D"]].to_numpy(dtype=float)


def package_alpha(x: np.ndarray, level: str) -> float:
    kr = pytest.importorskip("krippendorff")
    return float(kr.alpha(reliability_data=x.T, level_of_measurement=level))


def brute_force_alpha(x: np.ndarray, level: str) -> float:
    """Alpha from Krippendorff's (2011) definition by explicit pairs (a slow oracle)."""

    def delta2(c: float, k: float, ranks: dict[float, float]) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return 0.0 if c + k == 0 else ((c - k) / (c + k)) ** 2
        return (ranks[c] - ranks[k]) ** 2

    units = [row[~np.isnan(row)] for row in x]
    units = [u for u in units if u.size >= 2]
    values = np.concatenate(units)
    distinct, counts = np.unique(values, return_counts=True)
    ranks = dict(zip(distinct, np.cumsum(counts) - counts / 2, strict=True))
    n = values.size
    d_o = sum(
        delta2(u[i], u[j], ranks) / (u.size - 1)
        for u in units for i in range(u.size) for j in range(u.size) if i != j
    ) / n  # fmt: skip
    d_e = sum(
        nc * nk * delta2(c, k, ranks)
        for c, nc in zip(distinct, counts, strict=True)
        for k, nk in zip(distinct, counts, strict=True)
    ) / (n * (n - 1))  # fmt: skip
    return 1 - d_o / d_e


@pytest.mark.parametrize("level", LEVELS)
def test_canonical_example_published_values(level: str) -> None:
    x = canonical()
    est = rel.krippendorff_alpha(x, level)
    assert est.value == pytest.approx(PUBLISHED[level], abs=0.0005)
    assert est.value == pytest.approx(package_alpha(x, level), rel=1e-12)
    assert est.value == pytest.approx(brute_force_alpha(x, level), rel=1e-12)
    assert est.n_subjects == 11  # unit 12 has a single value: not pairable
    assert est.details["n_units_unpairable"] == 1
    assert est.details["n_pairable_values"] == 40


# --- cross-checks on generated discrete data ---------------------------------------------------

discrete = st.integers(3, 15).flatmap(
    lambda n: st.integers(2, 5).flatmap(
        lambda k: arrays(
            np.float64, (n, k), elements=st.one_of(st.integers(1, 5).map(float), st.just(np.nan))
        )
    )
)


@settings(max_examples=80, deadline=None)
@given(discrete, st.sampled_from(LEVELS))
def test_against_krippendorff_package(x: np.ndarray, level: str) -> None:
    est = rel.krippendorff_alpha(x, level)
    if math.isnan(est.value):
        assert est.reason
        return
    assert est.value == pytest.approx(package_alpha(x, level), rel=1e-9, abs=1e-9)
    assert est.value == pytest.approx(brute_force_alpha(x, level), rel=1e-9, abs=1e-9)
    assert est.value <= 1.0 + 1e-12


@settings(max_examples=60, deadline=None)
@given(discrete, st.sampled_from(LEVELS), st.data())
def test_permutation_invariance_and_bounds(x: np.ndarray, level: str, data: st.DataObject) -> None:
    base = rel.krippendorff_alpha(x, level).value
    assume(not math.isnan(base))
    rows = np.array(data.draw(st.permutations(range(x.shape[0]))))
    cols = np.array(data.draw(st.permutations(range(x.shape[1]))))
    assert rel.krippendorff_alpha(x[rows][:, cols], level).value == pytest.approx(base, abs=1e-12)
    assert base <= 1.0 + 1e-12
    if level == "interval":
        assert rel.krippendorff_alpha(2.5 * x - 7, level).value == pytest.approx(base, abs=1e-9)
    if level in ("ordinal", "nominal"):  # any strictly increasing recoding
        assert rel.krippendorff_alpha(np.exp(x), level).value == pytest.approx(base, abs=1e-12)
    if level == "ratio":
        assert rel.krippendorff_alpha(3.0 * x, level).value == pytest.approx(base, abs=1e-9)


def test_perfect_agreement_gives_one() -> None:
    x = np.repeat(np.array([[1.0], [2.0], [5.0], [3.0]]), 3, axis=1)
    x[0, 2] = np.nan
    for level in LEVELS:
        assert rel.krippendorff_alpha(x, level).value == pytest.approx(1.0)


# --- continuous data ----------------------------------------------------------------------------


def test_continuous_small_against_package_and_oracle() -> None:
    rng = np.random.default_rng(11)
    truth = rng.normal(3, 1, 40)
    x = truth[:, None] + rng.normal(0, 0.5, (40, 3))
    x[rng.random(x.shape) < 0.15] = np.nan
    x = np.abs(x)
    for level in LEVELS:
        est = rel.krippendorff_alpha(x, level).value
        assert est == pytest.approx(brute_force_alpha(x, level), rel=1e-10)
        assert est == pytest.approx(package_alpha(x, level), rel=1e-9)


def test_ratio_quadrature_matches_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    x = rng.lognormal(0, 1.5, (600, 3))  # values spread over several orders of magnitude
    x[0, 0] = 0.0
    x[3, 1] = np.nan
    exact = rel.krippendorff_alpha(x, "ratio").value
    monkeypatch.setattr(kripp_impl, "_EXACT_RATIO_MAX_DISTINCT", 0)
    quad = rel.krippendorff_alpha(x, "ratio").value
    assert quad == pytest.approx(exact, rel=1e-12, abs=1e-12)


def test_large_continuous_runs() -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(1, 5, 10_000)
    x = truth[:, None] + rng.normal(0, 0.4, (10_000, 4))
    x[rng.random(x.shape) < 0.1] = np.nan
    x = np.clip(x, 0.0, None)
    for level in LEVELS:
        est = rel.krippendorff_alpha(x, level)
        assert est.defined
        if level != "nominal":  # nominal: almost no two values are equal, so alpha ≈ 0
            assert 0.5 < est.value < 1.0
        assert est.details["n_pairable_values"] > 30_000


# --- undefined cases, errors, bootstrap ----------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_undefined_cases(level: str) -> None:
    cases = {
        "single category": np.full((6, 3), 2.0),
        "one rater": np.arange(6.0).reshape(6, 1),
        "no pairable unit": np.array([[1.0, np.nan], [np.nan, 2.0]]),
        "all missing": np.full((3, 3), np.nan),
    }
    for name, x in cases.items():
        est = rel.krippendorff_alpha(x, level)
        assert math.isnan(est.value), name
        assert est.reason, name


def test_errors() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        rel.krippendorff_alpha(canonical(), "circular")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative"):
        rel.krippendorff_alpha(canonical() - 3, "ratio")
    with pytest.raises(ValueError, match="2-D"):
        rel.krippendorff_alpha(np.arange(4.0))


def test_long_table_input() -> None:
    x = canonical()
    long = pd.DataFrame(
        [{"subject": i, "rater": j, "rating": x[i, j]}
         for i in range(x.shape[0]) for j in range(x.shape[1]) if not np.isnan(x[i, j])]
    )  # fmt: skip
    assert rel.krippendorff_alpha(long, "interval").value == pytest.approx(PUBLISHED["interval"],
                                                                           abs=5e-4)  # fmt: skip


def test_bootstrap_ci_reproducible() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(80, 1)) + rng.normal(0, 0.6, (80, 3))
    for level in ("interval", "ordinal"):
        a = rel.krippendorff_alpha(x, level, bootstrap=300, seed=9)
        b = rel.krippendorff_alpha(x, level, bootstrap=300, seed=9)
        assert a.ci == b.ci and a.se == b.se
        assert a.ci is not None and a.ci[0] < a.value < a.ci[1]
        assert a.details["bootstrap"]["n_resamples"] == 300


def test_batched_interval_alpha_matches_scalar() -> None:
    rng = np.random.default_rng(4)
    xb = rng.normal(size=(5, 30, 4))
    xb[rng.random(xb.shape) < 0.2] = np.nan
    batched = kripp_impl.interval_alpha_batched(xb)
    for b in range(5):
        assert batched[b] == pytest.approx(rel.krippendorff_alpha(xb[b], "interval").value)


def test_bootstrap_that_cannot_run_says_why() -> None:
    # One unit (1, 2): alpha = 1 - (n - 1) D_o / D_e with D_o = D_e gives 0 (the krippendorff
    # package gives 0.0 too), but a unit bootstrap needs at least two units: no interval, no
    # stated confidence, and the bootstrap's reason in the details.
    est = rel.krippendorff_alpha(np.array([[1.0, 2.0]]), "interval", bootstrap=50, seed=1)
    assert est.value == pytest.approx(0.0)
    assert est.ci is None and est.se is None and est.confidence is None
    assert "at least two" in est.ci_reason
