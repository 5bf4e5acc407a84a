"""Intraclass correlations: published values, cross-checks against pingouin, and properties."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from fidelity import reliability as rel

DATA = Path(__file__).parents[1] / "data"
FORMS = ["ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"]
PG_NAMES = {"ICC(1,1)": "ICC(1,1)", "ICC(2,1)": "ICC(A,1)", "ICC(3,1)": "ICC(C,1)",
            "ICC(1,k)": "ICC(1,k)", "ICC(2,k)": "ICC(A,k)", "ICC(3,k)": "ICC(C,k)"}  # fmt: skip


def shrout_fleiss() -> np.ndarray:
    df = pd.read_csv(DATA / "shrout_fleiss_1979.csv", comment="#")
    return df[["judge1", "judge2", "judge3", "judge4"]].to_numpy(dtype=float)


def pingouin_table(x: np.ndarray) -> pd.DataFrame:
    pg = pytest.importorskip("pingouin")
    n, k = x.shape
    long = pd.DataFrame(
        {"s": np.repeat(np.arange(n), k), "r": np.tile(np.arange(k), n), "y": x.reshape(-1)}
    )
    return pg.intraclass_corr(long, targets="s", raters="r", ratings="y").set_index("Type")


# --- published values ------------------------------------------------------------------------

# Shrout & Fleiss (1979), doi:10.1037/0033-2909.86.2.420, Table 4 (two decimals).
PUBLISHED = {"ICC(1,1)": 0.17, "ICC(2,1)": 0.29, "ICC(3,1)": 0.71,
             "ICC(1,k)": 0.44, "ICC(2,k)": 0.62, "ICC(3,k)": 0.91}  # fmt: skip


@pytest.mark.parametrize("form", FORMS)
def test_shrout_fleiss_published_values(form: str) -> None:
    est = rel.icc(shrout_fleiss(), form=form)
    assert est.value == pytest.approx(PUBLISHED[form], abs=0.005)
    assert est.n_subjects == 6 and est.n_raters == 4
    assert est.ci is not None and est.ci[0] < est.value < est.ci[1]


def test_shrout_fleiss_exact_anova() -> None:
    # Mean squares of Shrout & Fleiss Table 3: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02.
    d = rel.icc(shrout_fleiss(), "ICC(2,1)").details
    assert d["MSR"] == pytest.approx(11.2417, abs=1e-4)
    assert d["MSC"] == pytest.approx(32.4861, abs=1e-4)
    assert d["MSE"] == pytest.approx(1.0194, abs=1e-4)
    assert rel.icc(shrout_fleiss(), "ICC(1,1)").details["MSW"] == pytest.approx(6.2639, abs=1e-4)


def test_shrout_fleiss_against_pingouin_including_ci() -> None:
    x = shrout_fleiss()
    ref = pingouin_table(x)
    for est in rel.icc_table(x):
        row = ref.loc[PG_NAMES[est.details["form"]]]
        assert est.value == pytest.approx(row["ICC"], rel=1e-12)
        assert est.details["F"] == pytest.approx(row["F"], rel=1e-12)
        assert est.details["df1"] == row["df1"] and est.details["df2"] == row["df2"]
        assert est.details["p"] == pytest.approx(row["pval"], rel=1e-9)
        assert est.ci == pytest.approx(tuple(row["CI95"]), abs=0.006)  # pingouin rounds CIs


def test_both_names_and_aliases() -> None:
    x = shrout_fleiss()
    pairs = [("ICC(2,1)", "ICC(A,1)"), ("ICC(3,1)", "ICC(C,1)"), ("ICC(2,k)", "ICC(A,k)"),
             ("ICC(3,k)", "ICC(C,k)"), ("ICC(1,1)", "ICC(1)"), ("ICC(1,k)", "ICC(k)"),
             ("ICC(2,1)", "icc2"), ("ICC(3,k)", "ICC3k"), ("ICC(2,1)", "ICC(2, 1)")]  # fmt: skip
    for a, b in pairs:
        ea, eb = rel.icc(x, a), rel.icc(x, b)
        assert ea.value == eb.value and ea.ci == eb.ci
    est = rel.icc(x, "ICC(A,k)")
    assert est.details["form"] == "ICC(2,k)" and est.details["mcgraw_wong"] == "ICC(A,k)"
    assert "ICC(2,k)" in est.method and "ICC(A,k)" in est.method


def test_table_has_six_forms_in_order() -> None:
    table = rel.icc_table(shrout_fleiss())
    assert [e.details["form"] for e in table] == FORMS
    assert [e.details["mcgraw_wong"] for e in table] == [
        "ICC(1)", "ICC(A,1)", "ICC(C,1)", "ICC(k)", "ICC(A,k)", "ICC(C,k)",
    ]  # fmt: skip
    for e in table:
        assert e.to_dict()["value"] == e.value


# --- confidence intervals ---------------------------------------------------------------------


def test_ci_any_level_matches_f_formulas() -> None:
    x = shrout_fleiss()
    n, k = x.shape
    for conf in (0.8, 0.9, 0.99):
        est = rel.icc(x, "ICC(3,1)", confidence=conf)
        f3 = est.details["F"]
        df1, df2 = n - 1, (n - 1) * (k - 1)
        fl = f3 / stats.f.ppf(1 - (1 - conf) / 2, df1, df2)
        fu = f3 * stats.f.ppf(1 - (1 - conf) / 2, df2, df1)
        assert est.ci == pytest.approx(((fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1)))
        assert est.confidence == conf
    widths = [np.diff(rel.icc(x, f, confidence=c).ci)[0] for f in FORMS for c in (0.9, 0.99)]
    assert all(w90 < w99 for w90, w99 in zip(widths[::2], widths[1::2], strict=True))


def test_icc_ak_ci_is_spearman_brown_of_icc_a1_ci() -> None:
    x = shrout_fleiss()
    k = x.shape[1]
    lo1, hi1 = rel.icc(x, "ICC(2,1)").ci  # type: ignore[misc]
    lok, hik = rel.icc(x, "ICC(2,k)").ci  # type: ignore[misc]
    assert lok == pytest.approx(k * lo1 / (1 + (k - 1) * lo1))
    assert hik == pytest.approx(k * hi1 / (1 + (k - 1) * hi1))


# --- missing data -----------------------------------------------------------------------------


def test_two_way_refuses_incomplete_subjects_with_advice() -> None:
    x = shrout_fleiss()
    x[0, 1] = np.nan
    x[3, 2] = np.nan
    for form in ("ICC(2,1)", "ICC(3,1)", "ICC(2,k)", "ICC(3,k)"):
        est = rel.icc(x, form)
        assert math.isnan(est.value)
        assert est.reason is not None
        assert "2 of 6 subjects" in est.reason and "ICC(1,1)" in est.reason
        assert est.details["n_incomplete_subjects"] == 2


def _oneway_reference(x: np.ndarray) -> tuple[float, float, float]:
    """Unbalanced one-way ANOVA by explicit loops (Searle 1971): ICC(1), ICC(1,k), n0."""
    groups = [row[~np.isnan(row)] for row in x if (~np.isnan(row)).any()]
    n = len(groups)
    big_n = sum(len(g) for g in groups)
    gm = sum(g.sum() for g in groups) / big_n
    ssb = sum(len(g) * (g.mean() - gm) ** 2 for g in groups)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in groups)
    msb, msw = ssb / (n - 1), ssw / (big_n - n)
    n0 = (big_n - sum(len(g) ** 2 for g in groups) / big_n) / (n - 1)
    return (msb - msw) / (msb + (n0 - 1) * msw), (msb - msw) / msb, n0


def test_one_way_unbalanced_varying_pairs() -> None:
    rng = np.random.default_rng(7)
    n, k = 200, 8
    truth = rng.normal(0, 1, n)
    x = np.full((n, k), np.nan)
    for i in range(n):  # each subject rated by 2 or 3 of 8 raters, varying sets
        raters = rng.choice(k, size=rng.integers(2, 4), replace=False)
        x[i, raters] = truth[i] + rng.normal(0, 0.5, raters.size)
    x[5] = np.nan  # a subject with no rating at all
    x[6, :] = np.nan
    x[6, 0] = 1.0  # a subject with one rating
    icc1, icc1k, n0 = _oneway_reference(x)
    e1, ek = rel.icc(x, "ICC(1,1)"), rel.icc(x, "ICC(1,k)")
    assert e1.value == pytest.approx(icc1, rel=1e-12)
    assert ek.value == pytest.approx(icc1k, rel=1e-12)
    assert e1.details["k"] == pytest.approx(n0)
    assert e1.details["n_subjects_without_ratings"] == 1
    assert e1.n_subjects == n - 1
    assert e1.ci is not None and e1.ci[0] < 0.8 < e1.ci[1]  # true ICC = 1 / 1.25


def test_one_way_balanced_equals_unbalanced_path_and_statsmodels() -> None:
    sm = pytest.importorskip("statsmodels.formula.api")
    from statsmodels.stats.anova import anova_lm

    rng = np.random.default_rng(3)
    x = rng.normal(size=(15, 3)) + rng.normal(size=(15, 1))
    x[[1, 4, 9], [0, 2, 1]] = np.nan
    long = pd.DataFrame({"s": np.repeat(np.arange(15), 3), "y": x.reshape(-1)}).dropna()
    table = anova_lm(sm.ols("y ~ C(s)", data=long).fit())
    msb, msw = table["mean_sq"].iloc[0], table["mean_sq"].iloc[1]
    d = rel.icc(x, "ICC(1,1)").details
    assert d["MSB"] == pytest.approx(msb) and d["MSW"] == pytest.approx(msw)
    assert d["df1"] == table["df"].iloc[0] and d["df2"] == table["df"].iloc[1]


def test_long_table_input_and_duplicates() -> None:
    x = shrout_fleiss()
    long = pd.DataFrame(
        [{"subject": f"s{i}", "rater": f"r{j}", "rating": x[i, j]}
         for i in range(6) for j in range(4)]
    )  # fmt: skip
    assert rel.icc(long, "ICC(2,1)").value == pytest.approx(rel.icc(x, "ICC(2,1)").value)
    dup = pd.concat([long, long.iloc[[0]]])
    with pytest.raises(ValueError, match="repeat"):
        rel.icc(dup)


# --- undefined cases and errors --------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_undefined_cases_return_nan_with_reason(form: str) -> None:
    cases = {
        "constant": np.full((5, 3), 2.5),
        "one rater": np.arange(5.0).reshape(5, 1),
        "one subject": np.array([[1.0, 2.0, 3.0]]),
        "empty": np.full((4, 3), np.nan),
    }
    for name, x in cases.items():
        est = rel.icc(x, form)
        assert math.isnan(est.value), name
        assert est.reason, name
        assert not est.defined


def test_no_subject_with_two_ratings() -> None:
    x = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, np.nan]])
    est = rel.icc(x, "ICC(1,1)")
    assert math.isnan(est.value) and "two or more ratings" in (est.reason or "")


def test_programming_errors_raise() -> None:
    with pytest.raises(ValueError, match="unknown ICC form"):
        rel.icc(shrout_fleiss(), "ICC(4,1)")
    with pytest.raises(ValueError, match="2-D"):
        rel.icc(np.arange(5.0))
    with pytest.raises(ValueError, match="confidence"):
        rel.icc(shrout_fleiss(), confidence=1.5)


def test_perfect_agreement_gives_one() -> None:
    x = np.repeat(np.array([[1.0], [3.0], [2.0], [5.0]]), 3, axis=1)
    for est in rel.icc_table(x):
        assert est.value == pytest.approx(1.0)
        assert est.ci == pytest.approx((1.0, 1.0))
        assert est.details["p"] == 0.0


def test_rater_shift_only_hurts_absolute_agreement() -> None:
    x = np.repeat(np.array([[1.0], [3.0], [2.0], [5.0]]), 3, axis=1) + np.array([0.0, 1.0, 2.0])
    assert rel.icc(x, "ICC(3,1)").value == pytest.approx(1.0)
    assert rel.icc(x, "ICC(2,1)").value < 1.0
    assert rel.icc(x, "ICC(2,1)").ci is not None


# --- cross-check against pingouin and properties on generated data ----------------------------

matrices = st.integers(3, 12).flatmap(
    lambda n: st.integers(2, 5).flatmap(
        lambda k: arrays(np.float64, (n, k), elements=st.integers(-20, 20).map(float))
    )
)


def _varied(x: np.ndarray) -> bool:
    resid = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()
    return bool(np.ptp(x) > 0 and np.abs(resid).max() > 1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices)
def test_against_pingouin(x: np.ndarray) -> None:
    assume(_varied(x))
    ref = pingouin_table(x)
    for est in rel.icc_table(x):
        row = ref.loc[PG_NAMES[est.details["form"]]]
        if math.isnan(est.value):  # pingouin returns the formula's overflow (e.g. -1e16)
            assert est.reason and "not positive" in est.reason
            continue
        assert est.value == pytest.approx(row["ICC"], rel=1e-9, abs=1e-9)
        assert est.details["F"] == pytest.approx(row["F"], rel=1e-9, abs=1e-9)
        assert est.details["p"] == pytest.approx(row["pval"], rel=1e-7, abs=1e-12)
        if est.ci is None:  # degenerate df: pingouin returns NaN bounds
            assert np.isnan(row["CI95"]).any()
        elif np.all(np.isfinite(est.ci)):
            assert est.ci == pytest.approx(tuple(row["CI95"]), abs=0.0051)


@settings(max_examples=60, deadline=None)
@given(matrices, st.floats(-1e3, 1e3), st.data())
def test_invariances(x: np.ndarray, c: float, data: st.DataObject) -> None:
    assume(_varied(x))
    base = rel.icc_table(x)
    n, k = x.shape
    shifts = np.array(data.draw(st.lists(st.integers(-10, 10), min_size=k, max_size=k)), float)
    row_perm = np.array(data.draw(st.permutations(range(n))))
    col_perm = np.array(data.draw(st.permutations(range(k))))
    shifted = rel.icc_table(x + c)
    scaled = rel.icc_table(3.5 * x)
    permuted = rel.icc_table(x[row_perm][:, col_perm])
    for b, s, sc, p in zip(base, shifted, scaled, permuted, strict=True):
        if math.isnan(b.value):
            assert b.reason and math.isnan(sc.value) and math.isnan(p.value)
            continue
        assert s.value == pytest.approx(b.value, rel=1e-7, abs=1e-7)
        assert sc.value == pytest.approx(b.value, rel=1e-9, abs=1e-9)
        assert p.value == pytest.approx(b.value, rel=1e-9, abs=1e-9)
        assert b.value <= 1.0 + 1e-12
        if b.ci is None:
            assert b.ci_reason is not None
        elif b.details["F"] > 1:  # the usual regime; degenerate data may fall outside
            assert b.ci[0] <= b.value + 1e-9 and b.value <= b.ci[1] + 1e-9
    rater_shifted = rel.icc_table(x + shifts)
    for form in (2, 5):  # ICC(3,1), ICC(3,k): consistency ignores per-rater shifts
        if not math.isnan(base[form].value):
            assert rater_shifted[form].value == pytest.approx(base[form].value, rel=1e-7, abs=1e-7)
    # single-rater ICCs of one-way form are bounded below by -1/(k-1)
    assert base[0].value >= -1.0 / (k - 1) - 1e-12


def test_no_interval_means_no_stated_confidence() -> None:
    # Both subjects rated (1, 2): MSR = MSE = 0, MSC = 1, so by hand ICC(2,1) =
    # (0 - 0) / (0 + 0 + 2 * (1 - 0) / 2) = 0, while the Satterthwaite interval is undefined.
    est = rel.icc(np.array([[1.0, 2.0], [1.0, 2.0]]), "ICC(2,1)", confidence=0.9)
    assert est.value == pytest.approx(0.0)
    assert est.ci is None and est.confidence is None
    assert est.ci_reason
