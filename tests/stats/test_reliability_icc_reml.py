"""REML variance components and the two-way ICC on incomplete data: R lme4 / psych oracle
values (tests/data/reml_icc, made by make_reference.R there), reduction to the ANOVA
estimates on complete data, undefined cases and invariance laws."""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelity import reliability as rel
from fidelity.stats.variance import design_matrix, fit_crossed

DATA = Path(__file__).parents[1] / "data" / "reml_icc"
REFERENCE = pd.read_csv(DATA / "reference.csv", comment="#")
DATASETS = list(REFERENCE["dataset"])
TWO_WAY = ["ICC(2,1)", "ICC(3,1)", "ICC(2,k)", "ICC(3,k)"]
PSYCH = ["psych_ICC2", "psych_ICC3", "psych_ICC2k", "psych_ICC3k"]


def load(name: str) -> np.ndarray:
    return pd.read_csv(DATA / f"{name}.csv").to_numpy(dtype=float)


def ref(name: str) -> pd.Series:
    return REFERENCE.set_index("dataset").loc[name]


# --- agreement with R ------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_variance_components_match_lme4(name: str) -> None:
    r = ref(name)
    vc = rel.variance_components(load(name))
    assert vc.subject == pytest.approx(r["var_subject"], abs=1e-6)
    assert vc.rater == pytest.approx(r["var_rater"], abs=1e-6)
    assert vc.error == pytest.approx(r["var_error"], abs=1e-6)
    assert vc.mean == pytest.approx(r["mean"], abs=1e-6)
    assert vc.converged


@pytest.mark.parametrize("name", DATASETS)
def test_reml_criterion_matches_lme4(name: str) -> None:
    # the optimiser itself, also on complete data where the closed form is otherwise used
    vc = fit_crossed(design_matrix(load(name)), closed_form=False)
    assert vc.method == "REML"
    assert vc.reml_criterion == pytest.approx(ref(name)["reml_criterion"], abs=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_icc_matches_psych_lmer(name: str) -> None:
    # psych::ICC(lmer = TRUE) runs lmer with its default tolerances (about 1e-5 on these)
    r = ref(name)
    for est, col in zip(rel.icc_reml_table(load(name), n_boot=0), PSYCH, strict=True):
        assert est.value == pytest.approx(r[col], abs=2e-5), (est.details["form"], col)


def test_icc_from_lme4_components_to_1e6() -> None:
    # the ICC formulas on the tight lme4 components (psych's own ICC carries lmer's tolerance)
    for name in DATASETS:
        r = ref(name)
        x = design_matrix(load(name))
        k = x.shape[1]
        vs, vr, ve = r["var_subject"], r["var_rater"], r["var_error"]
        expected = [vs / (vs + vr + ve), vs / (vs + ve), vs / (vs + (vr + ve) / k),
                    vs / (vs + ve / k)]  # fmt: skip
        got = [e.value for e in rel.icc_reml_table(x, n_boot=0)]
        assert got == pytest.approx(expected, abs=1e-6), name


# --- reduction to ANOVA on complete data -----------------------------------------------------


def test_complete_data_is_exactly_the_anova_icc() -> None:
    x = load("sf_complete")
    for form in TWO_WAY:
        a, b = rel.icc(x, form), rel.icc_reml(x, form)
        assert b.value == a.value and b.ci == a.ci and b.ci_method == a.ci_method
        assert b.details["MSR"] == a.details["MSR"]
        assert b.details["estimator"].startswith("ANOVA")
    assert rel.icc_reml(x, "ICC(A,1)").details["var_subject"] == pytest.approx(2.5555556)


@pytest.mark.parametrize("seed", range(8))
def test_reml_optimiser_reaches_the_anova_estimates(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(3, 60)), int(rng.integers(2, 8))
    x = rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.8, (1, k)) + rng.normal(0, 0.7, (n, k))
    closed = fit_crossed(x)
    if closed.method != "REML":  # non-negative ANOVA components
        opt = fit_crossed(x, closed_form=False)
        assert opt.subject == pytest.approx(closed.subject, abs=1e-7)
        assert opt.rater == pytest.approx(closed.rater, abs=1e-7)
        assert opt.error == pytest.approx(closed.error, abs=1e-7)


def test_complete_data_with_negative_anova_component_uses_reml() -> None:
    # raters agree in mean to within noise: the ANOVA rater component is negative, REML's is 0
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (40, 1)) + rng.normal(0, 1, (40, 3))
    x -= x.mean(axis=0) - x.mean()
    vc = rel.variance_components(x)
    assert vc.method == "REML" and vc.rater == 0.0
    est = rel.icc_reml(x, "ICC(A,1)", n_boot=0)
    assert est.value == pytest.approx(vc.subject / vc.total)


# --- intervals ------------------------------------------------------------------------------


def test_parametric_bootstrap_interval_is_seeded_and_stated() -> None:
    x = load("synth40x5_missing30")
    a = rel.icc_reml(x, "ICC(A,1)", n_boot=200, seed=7)
    b = rel.icc_reml(x, "ICC(A,1)", n_boot=200, seed=7)
    assert a.ci == b.ci and a.ci is not None
    assert a.ci[0] < a.value < a.ci[1]
    assert a.confidence == 0.95
    assert "parametric bootstrap" in (a.ci_method or "") and "seed 7" in (a.ci_method or "")
    assert a.details["n_boot"] == 200 and a.details["n_boot_failed"] == 0
    wide = rel.icc_reml(x, "ICC(A,1)", n_boot=200, seed=7, confidence=0.99)
    assert wide.ci is not None and wide.ci[0] <= a.ci[0] and wide.ci[1] >= a.ci[1]
    none = rel.icc_reml(x, "ICC(A,1)", n_boot=0)
    assert none.ci is None and none.ci_reason is not None


# --- undefined and refused input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "words"),
    [
        (np.array([[1.0, 2.0, 3.0]]), "two subjects"),
        (np.array([[1.0], [2.0], [4.0]]), "two raters"),
        (np.full((4, 3), 2.0), "no variance"),
        (np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, np.nan]]), "degree of freedom"),
        (np.full((3, 3), np.nan), "no ratings"),
        (np.empty((0, 0)), "no ratings"),
    ],
)
def test_undefined_with_reason_and_no_warning(x: np.ndarray, words: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = rel.icc_reml(x, "ICC(A,1)", n_boot=10)
    assert math.isnan(est.value) and words in (est.reason or "")


def test_refusals() -> None:
    x = load("sf_missing2")
    with pytest.raises(ValueError, match="one-way"):
        rel.icc_reml(x, "ICC(1,1)")
    with pytest.raises(ValueError, match="n_boot"):
        rel.icc_reml(x, n_boot=-1)
    with pytest.raises(ValueError, match="infinite|finite"):
        rel.icc_reml(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="degree of freedom"):
        rel.variance_components(np.array([[1.0, np.nan], [np.nan, 2.0]]))


def test_two_way_icc_points_to_reml_for_incomplete_data() -> None:
    est = rel.icc(load("sf_missing2"), "ICC(2,1)")
    assert math.isnan(est.value) and "icc_reml" in (est.reason or "")


def test_long_table_and_empty_rows_and_columns() -> None:
    x = load("synth40x5_missing30")
    padded = np.full((x.shape[0] + 1, x.shape[1] + 1), np.nan)
    padded[:-1, :-1] = x
    i, j = np.nonzero(~np.isnan(x))
    long = pd.DataFrame({"subject": i, "rater": j, "rating": x[i, j]})
    base = rel.icc_reml(x, n_boot=0).value
    assert rel.icc_reml(padded, n_boot=0).value == base
    assert rel.icc_reml(long, n_boot=0).value == pytest.approx(base, abs=1e-12)


# --- laws -----------------------------------------------------------------------------------


@st.composite
def incomplete(draw: st.DrawFn) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, k = draw(st.integers(4, 30)), draw(st.integers(2, 6))
    x = rng.normal(0, 1, (n, 1)) + rng.normal(0, 0.5, (1, k)) + rng.normal(0, 0.8, (n, k))
    x[rng.random((n, k)) < draw(st.floats(0.0, 0.4))] = np.nan
    x = x[~np.isnan(x).all(axis=1)]
    x = x[:, ~np.isnan(x).all(axis=0)]
    return np.round(x, 2)


LAWS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LAWS
@given(incomplete(), st.randoms(use_true_random=False))
def test_invariant_to_permuting_subjects_and_raters(x: np.ndarray, rnd: object) -> None:
    rng = np.random.default_rng(abs(hash(rnd)) % 2**32)
    y = x[rng.permutation(x.shape[0])][:, rng.permutation(x.shape[1])]
    for a, b in zip(rel.icc_reml_table(x, n_boot=0), rel.icc_reml_table(y, n_boot=0),
                    strict=True):  # fmt: skip
        assert math.isnan(a.value) == math.isnan(b.value)
        if a.defined:
            assert b.value == pytest.approx(a.value, abs=1e-6)


@LAWS
@given(incomplete(), st.floats(-1e3, 1e3), st.sampled_from([-3.0, 0.01, 2.5, 1e6]))
def test_invariant_to_affine_transforms_and_bounded(x: np.ndarray, shift: float, scale: float
                                                    ) -> None:  # fmt: skip
    for a, b in zip(rel.icc_reml_table(x, n_boot=0),
                    rel.icc_reml_table(scale * x + shift, n_boot=0), strict=True):  # fmt: skip
        assert math.isnan(a.value) == math.isnan(b.value)
        if a.defined:
            assert 0.0 <= a.value <= 1.0
            assert b.value == pytest.approx(a.value, abs=1e-6)


def test_values_near_1e12() -> None:
    x = load("synth40x5_missing30")
    a = rel.icc_reml(x, n_boot=0).value
    assert rel.icc_reml(x + 1e12, n_boot=0).value == pytest.approx(a, abs=1e-3)
    assert rel.icc_reml(x * 1e12, n_boot=0).value == pytest.approx(a, abs=1e-6)


# --- G-study and D-study --------------------------------------------------------------------


def test_g_study_components_are_lme4s_in_original_units() -> None:
    for name in ("sf_missing2", "synth80x8_pairs"):
        r = ref(name)
        g = rel.g_study(load(name) * 4.0 + 100.0, n_boot=0)
        assert g.components.subject == pytest.approx(16 * r["var_subject"], abs=1e-5)
        assert g.components.rater == pytest.approx(16 * r["var_rater"], abs=1e-5)
        assert g.components.error == pytest.approx(16 * r["var_error"], abs=1e-5)
        assert g.components.mean == pytest.approx(4 * r["mean"] + 100, abs=1e-5)
        assert g.ci is None and g.ci_method is None


def test_reml_criterion_in_details_is_lme4s() -> None:
    x = load("synth40x5_missing30")
    est = rel.icc_reml(x, n_boot=0)
    assert est.details["reml_criterion"] == pytest.approx(
        ref("synth40x5_missing30")["reml_criterion"], abs=1e-6
    )


def test_d_study_at_the_design_size_is_the_k_rater_icc() -> None:
    x = load("synth40x5_missing30")
    g = rel.g_study(x, n_boot=100, seed=3)
    k = g.components.n_raters
    row = rel.d_study(g, [k])[0]
    table = {e.details["form"]: e.value for e in rel.icc_reml_table(x, n_boot=0)}
    assert row.phi == pytest.approx(table["ICC(2,k)"], abs=1e-12)
    assert row.e_rho2 == pytest.approx(table["ICC(3,k)"], abs=1e-12)
    one = rel.d_study(g, [1])[0]
    assert one.phi == pytest.approx(table["ICC(2,1)"], abs=1e-12)
    assert row.phi_ci is not None and row.phi_ci[0] < row.phi < row.phi_ci[1]
    assert g.ci is not None and g.ci["subject"][0] < g.components.subject < g.ci["subject"][1]


def test_d_study_is_monotone_and_relative_exceeds_absolute() -> None:
    g = rel.g_study(load("synth80x8_pairs"), n_boot=0)
    rows = rel.d_study(g, range(1, 13))
    assert all(a.phi < b.phi and a.e_rho2 < b.e_rho2 for a, b in itertools.pairwise(rows))
    assert all(r.phi <= r.e_rho2 for r in rows)


def test_complete_data_e_rho2_is_cronbach_alpha_over_raters() -> None:
    x = load("sf_complete")
    g = rel.g_study(x, n_boot=0)
    row = rel.d_study(g, [4])[0]
    assert row.e_rho2 == pytest.approx(rel.cronbach_alpha(x).value, abs=1e-12)


def test_raters_needed() -> None:
    g = rel.g_study(load("synth80x8_pairs"), n_boot=0)
    for kind, attr in (("phi", "phi"), ("e_rho2", "e_rho2")):
        n = rel.raters_needed(g, 0.9, kind=kind)
        assert n is not None
        assert getattr(rel.d_study(g, [n])[0], attr) >= 0.9
        if n > 1:
            assert getattr(rel.d_study(g, [n - 1])[0], attr) < 0.9
    with pytest.raises(ValueError, match="kind"):
        rel.raters_needed(g, 0.9, kind="omega")
    with pytest.raises(ValueError, match="between 0 and 1"):
        rel.raters_needed(g, 1.0)
    with pytest.raises(ValueError, match="positive integers"):
        rel.d_study(g, [0])
    none = rel.g_study(load("synth25x6_integer"), n_boot=0)
    assert rel.raters_needed(none, 0.8) is None


@pytest.mark.parametrize(
    ("x", "a1", "c1"),
    [
        (np.array([[1.0, 1.0], [2.0, 2.0], [3.0, np.nan]]), 1.0, 1.0),
        (np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), 1.0, 1.0),
        (np.array([[1.0, 2.0], [1.0, 2.0], [1.0, np.nan]]), 0.0, math.nan),
        (np.array([[1.0, 3.0], [2.0, 4.0], [5.0, np.nan]]), None, 1.0),
    ],
)
def test_exact_additive_fit_has_no_residual_variance(x: np.ndarray, a1: float | None,
                                                     c1: float) -> None:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a, c = rel.icc_reml_table(x, n_boot=50)[:2]
    if a1 is not None:
        assert a.value == a1
    assert a.details["var_error"] == 0.0 or a.details["estimator"].startswith("ANOVA")
    if math.isnan(c1):
        assert math.isnan(c.value) and "0/0" in (c.reason or "")
    else:
        assert c.value == c1
        assert c.ci is None and "exactly" in (c.ci_reason or "")
