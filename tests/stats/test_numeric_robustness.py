"""Numerical robustness of the statistics: rounding noise, extreme scales, infinite values,
degenerate bootstraps and memory guards. Exact rational arithmetic is the oracle where a
floating-point reference would itself be inaccurate."""

from __future__ import annotations

import math
import tracemalloc
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fidelity import psychometrics as psy
from fidelity import reliability as rel
from fidelity.stats import _numeric
from fidelity.stats import krippendorff as kripp_impl

# --------------------------------------------------------------------------- exact oracle


def _ratio_alpha_exact(rows: list[list[float | None]], level: str = "ratio") -> Fraction:
    """Ratio (or interval) Krippendorff's alpha by the coincidence-matrix definition, in exact
    fractions of the floating-point inputs."""
    units = [[Fraction(v) for v in row if v is not None] for row in rows]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)

    def d2(c: Fraction, k: Fraction) -> Fraction:
        if level == "interval":
            return (c - k) ** 2
        return Fraction(0) if c + k == 0 else ((c - k) / (c + k)) ** 2

    observed = sum(
        (
            d2(u[i], u[j]) / (len(u) - 1)
            for u in units
            for i in range(len(u))
            for j in range(len(u))
        ),
        Fraction(0),
    )
    expected = sum((d2(c, k) for c in values for k in values), Fraction(0))
    return 1 - (n - 1) * observed / expected


RATIO_CASES = [
    [[5.0000001, 5.0000002], [5.0000004, 5.0000003], [5.0, 5.0000006]],
    [[1000.001, 1000.004, 999.998], [1000.0, 999.995, None], [1000.01, 1000.009, 1000.002]],
    [[1e6 + 0.5, 1e6 + 0.25], [1e6 + 1.0, 1e6 + 0.75], [1e6, 1e6 + 0.5]],
    [[0.0, 1.0, 2.0], [3.0, 3.5, None], [10.0, 12.0, 11.0]],
]


@pytest.mark.parametrize("rows", RATIO_CASES)
def test_ratio_alpha_matches_exact_fractions(rows: list[list[float | None]]) -> None:
    x = np.array([[math.nan if v is None else v for v in row] for row in rows])
    exact = float(_ratio_alpha_exact(rows))
    got = rel.krippendorff_alpha(x, "ratio").value
    assert got == pytest.approx(exact, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(2, 6), st.integers(2, 3)), elements=st.integers(0, 6)),
    st.sampled_from([1.0, 5.0, 1000.0, 1e6, 1e9]),
    st.sampled_from([1e-7, 1e-4, 0.01, 1.0]),
    st.sampled_from(["ratio", "interval"]),
)
def test_continuous_alpha_matches_exact_fractions_law(
    codes: np.ndarray, offset: float, step: float, level: str
) -> None:
    """Values far from zero relative to their spread: alpha agrees with exact arithmetic on
    the very same floating-point inputs."""
    x = offset + codes * step
    rows: list[list[float | None]] = [[float(v) for v in r] for r in x]
    values = x.ravel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = rel.krippendorff_alpha(x, level).value  # type: ignore[arg-type]
    spread = float(((values - values.mean()) ** 2).sum())
    if _numeric.negligible(spread, values.size, float(np.abs(values).max())):
        assert math.isnan(got)  # a spread below the rounding of the inputs: undefined
        return
    exact = float(_ratio_alpha_exact(rows, level))
    assert got == pytest.approx(exact, rel=1e-8, abs=1e-10)


def test_ratio_alpha_issue_example_is_exact() -> None:
    x = [[5.0000001, 5.0000002], [5.0000004, 5.0000003], [5.0, 5.0000006]]
    assert rel.krippendorff_alpha(x, "ratio").value == pytest.approx(-0.35714285714, rel=1e-8)


def test_ratio_alpha_large_offset_is_defined() -> None:
    base = np.array([[1.0, 2.0], [4.0, 3.0], [0.0, 6.0]])
    x = 1e9 + base * 1e-4
    rows: list[list[float | None]] = [[float(v) for v in r] for r in x]
    est = rel.krippendorff_alpha(x, "ratio")
    assert est.defined, est.reason
    assert est.value == pytest.approx(float(_ratio_alpha_exact(rows)), rel=1e-7)


def test_ratio_alpha_many_distinct_values_does_not_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    x = 1000.0 + rng.normal(0.0, 0.01, size=(300, 3))
    exact = rel.krippendorff_alpha(x, "ratio").value
    monkeypatch.setattr(kripp_impl, "_EXACT_RATIO_MAX_DISTINCT", 16)
    approx = rel.krippendorff_alpha(x, "ratio").value
    assert approx == pytest.approx(exact, rel=1e-10)


# --------------------------------------------------------------------------- rounding noise

ROUNDING_NOISE = [[0.1, 0.2, 0.7], [0.2, 0.7, 0.1], [0.7, 0.1, 0.2]]


def test_alpha_undefined_when_total_variance_is_rounding_noise() -> None:
    est = rel.cronbach_alpha(ROUNDING_NOISE)
    assert not est.defined
    assert est.ci is None
    assert "total score" in (est.reason or "")


def test_icc_on_rounding_noise_data_agrees_with_alpha() -> None:
    assert not rel.icc(ROUNDING_NOISE, "ICC(3,k)").defined


def test_zero_variance_helper_is_relative_to_the_data_scale() -> None:
    for magnitude in (1e-140, 1e-50, 1.0, 1e50, 1e140):
        assert _numeric.negligible(0.0, 3, magnitude)
        noise = (1e-16 * magnitude) ** 2 * 3  # spread of one unit in the last place
        assert _numeric.negligible(noise, 3, magnitude)
        real = (1e-9 * magnitude) ** 2 * 3
        assert not _numeric.negligible(real, 3, magnitude)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _numeric.negligible(np.array([0.0, 1.0]), 3, 1e300).tolist() == [True, True]


# --------------------------------------------------------------------------- bootstrap

SMALL = np.array([[1, 2, 3], [2, 2, 4], [3, 5, 5], [4, 4, 6], [5, 7, 6.0]])


@pytest.mark.parametrize("b", [1, 2])
def test_bootstrap_with_too_few_usable_resamples_is_undefined(b: int) -> None:
    x = np.array([[1.0, 2.0], [1.0, 2.0], [5.0, 1.0]])
    est = rel.bootstrap(x, "ICC(2,1)", n_resamples=b, seed=1)
    if b == 1:
        assert not est.defined and "resample" in (est.reason or "")
        assert est.details["method"] == "percentile"


def test_krippendorff_bootstrap_of_one_resample_has_no_interval() -> None:
    est = rel.krippendorff_alpha(SMALL, "interval", bootstrap=1, seed=0)
    assert est.defined and est.ci is None and est.ci_reason


@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0), (3, 1)])
def test_empty_shapes_are_undefined_with_a_count(shape: tuple[int, int]) -> None:
    x = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [
            rel.icc(x),
            *rel.icc_table(x),
            rel.krippendorff_alpha(x, "interval"),
            rel.cronbach_alpha(x),
            rel.bootstrap(x, "ICC(3,1)", n_resamples=3, method="bca"),
            rel.fleiss_kappa(x),
        ]
    for est in results:
        assert not est.defined and est.reason
        assert "only one" not in est.reason or shape[1] == 1


def test_bootstrap_without_rater_columns_is_undefined() -> None:
    est = rel.bootstrap(np.zeros((3, 0)), "ICC(2,1)")
    assert not est.defined
    assert "rater" in (est.reason or "")


def test_bca_jackknife_is_bounded_for_many_subjects() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 3)) + rng.normal(size=(3000, 1))
    evaluated: list[int] = []

    def mean_icc(b: np.ndarray) -> np.ndarray:
        evaluated.append(b.shape[0])
        return np.asarray(b.mean(axis=(-2, -1)))

    est = rel.bootstrap(x, mean_icc, n_resamples=20, seed=1, method="bca", vectorized=True)
    assert est.defined
    assert est.details["jackknife"].startswith("grouped")
    # point (1) + resamples (20) + jackknife: bounded by the number of groups, not by n
    assert sum(evaluated) - 21 <= 1000
    named = rel.bootstrap(x, "ICC(3,1)", n_resamples=20, seed=1, method="bca")
    assert named.defined and "closed form" in named.details["jackknife"]
    incomplete = x.copy()
    incomplete[0, 0] = np.nan
    one_way = rel.bootstrap(incomplete, "ICC(1,1)", n_resamples=20, seed=1, method="bca")
    assert one_way.details["jackknife"].startswith("grouped: 1000 interleaved groups of 3 ")


@pytest.mark.parametrize("form", [f[0] for f in rel.ICC_FORMS])
@pytest.mark.parametrize("scale", [1e-200, 1.0, 1e200])
def test_closed_form_icc_jackknife_equals_deleting_each_subject(form: str, scale: float) -> None:
    from fidelity.stats._numeric import normalize
    from fidelity.stats.icc import icc_jackknife

    rng = np.random.default_rng(7)
    x = (rng.normal(size=(30, 4)) + rng.normal(size=(30, 1)) + np.arange(4)) * scale
    z, magnitude, _ = normalize(x)
    fast = icc_jackknife(z, form, magnitude)
    slow = [rel.icc(np.delete(x, i, axis=0), form).value for i in range(30)]
    assert fast is not None
    assert fast == pytest.approx(slow, rel=1e-9)


def test_bca_acceleration_unchanged_by_the_closed_form_jackknife() -> None:
    from fidelity.stats import bootstrap as boot_impl

    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3)) + rng.normal(size=(40, 1))
    fast = rel.bootstrap(x, "ICC(2,k)", n_resamples=100, seed=4, method="bca")
    statistic, _batched, _ = boot_impl._resolve_statistic("ICC(2,k)", False, None)
    slow = rel.bootstrap(x, statistic.__call__, n_resamples=100, seed=4, method="bca",
                         vectorized=True)  # fmt: skip
    assert fast.details["acceleration"] == pytest.approx(slow.details["acceleration"], rel=1e-9)
    assert fast.ci == pytest.approx(slow.ci, rel=1e-9)


def test_bca_small_data_unchanged_delete_one_jackknife() -> None:
    est = rel.bootstrap(SMALL, "ICC(3,1)", n_resamples=200, seed=3, method="bca")
    assert est.details["jackknife"] == "delete-one (5 subjects, closed form)"
    own = rel.bootstrap(SMALL, lambda m: rel.icc(m).value, n_resamples=50, seed=3, method="bca")
    assert own.details["jackknife"] == "delete-one (5 subjects)"


# --------------------------------------------------------------------------- infinite values


def _with_inf(sign: float = 1.0) -> np.ndarray:
    x = SMALL.copy()
    x[1, 2] = sign * math.inf
    return x


INF_CALLS = {
    "icc": lambda x: rel.icc(x),
    "icc_table": lambda x: rel.icc_table(x),
    "alpha": lambda x: rel.cronbach_alpha(x),
    "item_total": lambda x: psy.item_total_statistics(x),
    "kripp_nominal": lambda x: rel.krippendorff_alpha(x, "nominal"),
    "kripp_ordinal": lambda x: rel.krippendorff_alpha(x, "ordinal"),
    "kripp_interval": lambda x: rel.krippendorff_alpha(x, "interval"),
    "kripp_ratio": lambda x: rel.krippendorff_alpha(x, "ratio"),
    "bootstrap": lambda x: rel.bootstrap(x, "ICC(1,1)", n_resamples=5),
    "fleiss": lambda x: rel.fleiss_kappa(x),
}


@pytest.mark.parametrize("name", sorted(INF_CALLS))
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_infinite_values_are_refused_with_one_message(name: str, sign: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"must be finite numbers or NaN \(missing\)") as err:
            INF_CALLS[name](_with_inf(sign))
    assert "row 2, column 3" in str(err.value)


# --------------------------------------------------------------------------- extreme scales

BASE = np.array([[1, 2, 3], [2, 2, 4], [3, 5, 5], [4, 4, 6.0]])


def _invariant_values(x: np.ndarray) -> list[float]:
    a = rel.cronbach_alpha(x)
    vals = [a.value, a.details["standardized_alpha"], *a.details["corrected_item_total_r"]]
    vals += list(a.details["alpha_if_item_deleted"])
    vals += [e.value for e in rel.icc_table(x)]
    vals += [rel.krippendorff_alpha(x, "interval").value]
    return vals


@pytest.mark.parametrize("scale", [1e-300, 1e-100, 1e-81, 1e-20, 1e20, 1e77, 1e100, 1e155, 1e300])
def test_scale_invariant_statistics_at_extreme_scales(scale: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _invariant_values(BASE * scale)
    assert got == pytest.approx(_invariant_values(BASE), rel=1e-9)
    ratio = rel.krippendorff_alpha(BASE * scale, "ratio").value
    assert ratio == pytest.approx(rel.krippendorff_alpha(BASE, "ratio").value, rel=1e-9)


small_ints = arrays(
    np.float64,
    st.tuples(st.integers(3, 12), st.integers(2, 5)),
    elements=st.integers(0, 9).map(float),
)
scales = st.integers(-100, 100).map(lambda e: 10.0**e)
offsets = st.integers(-(10**6), 10**6)


@settings(max_examples=60, deadline=None)
@given(small_ints, scales, offsets)
def test_affine_invariance_law(x: np.ndarray, a: float, m: int) -> None:
    """alpha, every ICC and interval Krippendorff are unchanged by y = a x + a m (a > 0) over
    1e-100 ... 1e100, and print no warnings."""
    y = a * x + a * m
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = _law_values(x)
        after = _law_values(y)
    for b, c in zip(before, after, strict=True):
        if math.isnan(b):
            assert math.isnan(c)
        else:
            assert c == pytest.approx(b, rel=1e-6, abs=1e-6)


def _law_values(x: np.ndarray) -> list[float]:
    vals = [rel.cronbach_alpha(x).value, rel.krippendorff_alpha(x, "interval").value]
    return vals + [e.value for e in rel.icc_table(x)]


@settings(max_examples=40, deadline=None)
@given(small_ints, scales)
def test_ratio_alpha_scale_invariance_law(x: np.ndarray, a: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = rel.krippendorff_alpha(x + 1.0, "ratio").value
        c = rel.krippendorff_alpha((x + 1.0) * a, "ratio").value
    if math.isnan(b):
        assert math.isnan(c)
    else:
        assert c == pytest.approx(b, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- memory guard


def test_kappa_refuses_continuous_data_before_allocating() -> None:
    x = np.random.default_rng(1).normal(size=(20_000, 3))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="distinct"):
            rel.fleiss_kappa(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20


def test_kappa_refuses_too_many_declared_categories() -> None:
    with pytest.raises(ValueError, match="categories"):
        rel.cohen_kappa([[1, 2], [2, 1]], categories=np.arange(5000))


def test_kappa_accepts_a_hundred_point_scale() -> None:
    x = np.array([[0, 1], [50, 52], [100, 99], [30, 30]])
    est = rel.cohen_kappa(x, categories=np.arange(101), weights="quadratic")
    assert est.defined


# --------------------------------------------------------------------------- smaller points


def test_all_missing_rater_column_is_dropped_from_the_icc() -> None:
    x = np.column_stack([BASE, np.full(4, np.nan)])
    got = rel.icc(x, "ICC(2,1)")
    want = rel.icc(BASE, "ICC(2,1)")
    assert got.value == pytest.approx(want.value)
    assert got.n_raters == 3
    assert got.details["n_raters_without_ratings"] == 1


def test_all_missing_item_is_named_by_alpha() -> None:
    x = np.column_stack([BASE, np.full(4, np.nan)])
    est = rel.cronbach_alpha(x)
    assert not est.defined
    assert "item4" in (est.reason or "") and "no answers" in (est.reason or "")


@pytest.mark.parametrize(
    "call",
    [
        lambda x: rel.cohen_kappa(x, categories=[3, 1, 2], weights="linear"),
        lambda x: rel.fleiss_kappa(x, categories=[3, 1, 2], weights="quadratic"),
        lambda x: rel.percent_agreement(x, categories=[3, 1, 2], within=1),
    ],
)
def test_unsorted_categories_with_positional_weights_warn(call: object) -> None:
    with pytest.warns(UserWarning, match=r"\[3, 1, 2\] are not in increasing order"):
        call([[1, 2], [2, 3], [3, 3]])  # type: ignore[operator]


def test_unsorted_categories_are_silent_for_nominal_kappa() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = rel.cohen_kappa([[1, 2], [2, 3], [3, 3]], categories=[3, 1, 2])
        b = rel.cohen_kappa([[1, 2], [2, 3], [3, 3]], categories=[1, 2, 3])
        rel.cohen_kappa([[1, 2], [2, 3], [3, 3]], categories=[1, 2, 3], weights="linear")
    assert a.value == pytest.approx(b.value)


def test_pairwise_alpha_with_negative_total_variance_is_undefined() -> None:
    """A pairwise covariance matrix need not be positive semi-definite."""
    x = np.array([[2.0, np.nan], [2.0, 2.0], [4.0, 1.0]])
    est = rel.cronbach_alpha(x, missing="pairwise")
    assert not est.defined and est.reason == "no variance in the total score"
    rows = np.array([[2.0, np.nan, 1.0], [2.0, 2.0, np.nan], [4.0, 1.0, 3.0], [1.0, 3.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        psy.item_total_statistics(rows, missing="pairwise")


def test_bca_bootstrap_memory_is_bounded() -> None:
    x = np.random.default_rng(3).normal(size=(20_000, 10))
    tracemalloc.start()
    try:
        est = rel.bootstrap(x, "ICC(2,1)", n_resamples=20, seed=1, method="bca")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "closed form" in est.details["jackknife"]
    assert peak < 96 * 2**20


@pytest.mark.parametrize("statistic", ["ICC(2,1)", "ICC(1,k)", "krippendorff:interval"])
@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_bootstrap_intervals_are_scale_and_location_invariant(statistic: str, method: str) -> None:
    """Resamples that reproduce the estimate up to rounding are ties for BCa's z0, so the
    interval does not depend on the rounding of a particular scale."""
    x = np.array([[1, 2, 3], [2, 2, 4], [3, 5, 5], [4, 4, 6.0], [2, 3, 3]])
    want = rel.bootstrap(x, statistic, n_resamples=200, seed=1, method=method)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for scale in (1e-300, 1e300):
            got = rel.bootstrap(x * scale + 7 * scale, statistic, n_resamples=200, seed=1,
                                method=method)  # type: ignore[arg-type]  # fmt: skip
            assert got.ci == pytest.approx(want.ci, rel=1e-9)
            assert got.se == pytest.approx(want.se, rel=1e-9)


def test_item_spread_refuses_infinite_answers_and_levels() -> None:
    with pytest.raises(ValueError, match=r"items must be finite .* row 2, column 3"):
        psy.item_spread(_with_inf(), [1, 2, 3, 4, 5, 6, 7])
    with pytest.raises(ValueError, match=r"levels must be finite .* -inf at position 1"):
        psy.item_spread(SMALL, [-math.inf, 1, 2])
