"""Chance-corrected agreement: published values, independent implementations, laws.

Published values come from the original papers and from Gwet's own software output
(irrCAC R package README and vignettes by K. L. Gwet, which reproduce the examples of
Gwet 2014, Handbook of Inter-Rater Reliability, 4th ed.). Cross-checks run against
irrCAC (Python port) and statsmodels on hypothesis-generated data, including missing
ratings.
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fidelity.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac,
    percent_agreement,
)
from fidelity.stats.estimate import Estimate

DATA = Path(__file__).parents[1] / "data"

MULTI = [fleiss_kappa, conger_kappa, brennan_prediger, gwet_ac, percent_agreement]
CHANCE = [fleiss_kappa, conger_kappa, brennan_prediger, gwet_ac]


def _csv(name: str) -> np.ndarray:
    return pd.read_csv(DATA / name, comment="#").to_numpy(dtype=float)


def _from_counts(counts: np.ndarray) -> np.ndarray:
    """Subjects × categories counts (complete, equal raters per subject) to raw ratings 1..q."""
    q = counts.shape[1]
    return np.array([np.repeat(np.arange(1, q + 1), row.astype(int)) for row in counts], float)


def _from_table(table: np.ndarray) -> np.ndarray:
    """A two-rater contingency table to subjects × 2 raw ratings 1..q."""
    rows = [
        [i + 1, j + 1]
        for i in range(table.shape[0])
        for j in range(table.shape[1])
        for _ in range(int(table[i, j]))
    ]
    return np.array(rows, float)


def _call(f: Any, x: Any, weights: Any = None, **kw: Any) -> Estimate:
    return f(x, weights=weights, **kw)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- published


def test_fleiss_1971_table1() -> None:
    """Fleiss (1971, doi:10.1037/h0031619): P-bar = .556, P-bar_e = .220, kappa = .430."""
    x = _from_counts(_csv("fleiss1971_diagnoses.csv"))
    assert x.shape == (30, 6)
    est = fleiss_kappa(x)
    assert est.value == pytest.approx(0.430, abs=5e-4)
    assert est.details["pa"] == pytest.approx(0.556, abs=5e-4)
    assert est.details["pe"] == pytest.approx(0.220, abs=5e-4)
    assert (est.n_subjects, est.n_raters) == (30, 6)


# Gwet (2014) / irrCAC README and "weighting" vignette: distrib.6raters = Fleiss rows 1-15.
DIST6 = [
    # (function, weights, value, se)
    (gwet_ac, None, 0.4448007, 0.08418757),
    (fleiss_kappa, None, 0.4139265, 0.08119291),
    (brennan_prediger, None, 0.4388889, 0.08312142),
    (gwet_ac, "quadratic", 0.4837438, 0.1058227),
    (fleiss_kappa, "quadratic", 0.2511909, 0.1457381),
    (brennan_prediger, "quadratic", 0.4177778, 0.1067493),
]


@pytest.mark.parametrize(("f", "weights", "value", "se"), DIST6)
def test_gwet_distrib_6raters(f: Any, weights: Any, value: float, se: float) -> None:
    x = _from_counts(_csv("fleiss1971_diagnoses.csv")[:15])
    est = _call(f, x, weights)
    assert est.value == pytest.approx(value, abs=1e-7)
    assert est.se == pytest.approx(se, abs=1e-7)


# Gwet (2014) / irrCAC README (unweighted) and "weighting" vignette (quadratic):
# cac.raw4raters, 12 units × 4 raters with missing ratings. Values printed to 5 decimals.
RAW4 = [
    # (function, weights, value, se, pe)
    (percent_agreement, None, 0.8181818, 0.12561, 0.0),
    (gwet_ac, None, 0.77544, 0.14295, 0.1903212),
    (fleiss_kappa, None, 0.76117, 0.15302, 0.2387153),
    (conger_kappa, None, 0.76282, 0.14917, 0.2334252),
    (brennan_prediger, None, 0.77273, 0.14472, 0.2),
    (percent_agreement, "quadratic", 0.9753788, 0.09062, 0.0),
    (gwet_ac, "quadratic", 0.914, 0.10396, 0.7137044),
    (fleiss_kappa, "quadratic", 0.86494, 0.14603, 0.8177083),
    (conger_kappa, "quadratic", 0.85771, 0.14367, 0.8269638),
    (brennan_prediger, "quadratic", 0.90152, 0.11089, 0.75),
]


@pytest.mark.parametrize(("f", "weights", "value", "se", "pe"), RAW4)
def test_gwet_raw4raters(f: Any, weights: Any, value: float, se: float, pe: float) -> None:
    x = _csv("gwet2014_raw4raters.csv")
    est = _call(f, x, weights)
    assert est.value == pytest.approx(value, abs=5e-6)
    assert est.se == pytest.approx(se, abs=5e-6)
    assert est.details["pe"] == pytest.approx(pe, abs=5e-7)
    assert est.n_subjects == 12 and est.n_raters == 4
    assert est.ci is not None and est.ci[1] == 1.0  # irrCAC: upper limit truncated at 1


def test_gwet_raw4raters_ci_matches_published() -> None:
    """AC1 CI (0.461, 1): t with n - 1 = 11 df, upper limit truncated at 1."""
    est = gwet_ac(_csv("gwet2014_raw4raters.csv"))
    assert est.ci is not None
    assert est.ci[0] == pytest.approx(0.461, abs=5e-4)
    assert est.ci == pytest.approx((0.4608133481, 1.0), abs=1e-9)


# Gwet (2014) / irrCAC README and vignette: cont3x3abstractors (100 subjects, 2 raters).
# Gwet's contingency-table variances divide by n^2 where the raw-data variance divides by
# n (n - 1), so the published table SEs equal ours times sqrt((n - 1) / n); for Cohen's
# kappa both are the Fleiss-Cohen-Everitt variance.
TABLE = [
    # (function, weights, value, published se, se is FCE)
    (cohen_kappa, None, 0.7964094, 0.05891072, True),
    (gwet_ac, None, 0.8493305, 0.04321747, False),
    (brennan_prediger, None, 0.835, 0.04693346, False),
    (percent_agreement, None, 0.89, 0.03128898, False),
    (cohen_kappa, "quadratic", 0.8921569, 0.03535151, True),
    (gwet_ac, "quadratic", 0.9402369, 0.01792019, False),
    (brennan_prediger, "quadratic", 0.9175, 0.02346673, False),
    (percent_agreement, "quadratic", 0.9725, 0.007822244, False),
]


@pytest.mark.parametrize(("f", "weights", "value", "se", "fce"), TABLE)
def test_gwet_cont3x3abstractors(f: Any, weights: Any, value: float, se: float, fce: bool) -> None:
    x = _from_table(_csv("gwet2014_cont3x3abstractors.csv"))
    n = x.shape[0]
    est = _call(f, x, weights)
    assert est.value == pytest.approx(value, abs=5e-8)
    assert est.se is not None
    ours = est.se if fce else est.se * math.sqrt((n - 1) / n)
    assert ours == pytest.approx(se, abs=5e-9)


def test_cohen_kappa_cont3x3_ci() -> None:
    """irrCAC README: Cohen's kappa 0.7964 with CI (0.68, 0.913), t with 99 df."""
    est = cohen_kappa(_from_table(_csv("gwet2014_cont3x3abstractors.csv")))
    assert est.ci is not None
    assert est.ci[0] == pytest.approx(0.68, abs=5e-3)
    assert est.ci[1] == pytest.approx(0.913, abs=5e-4)
    assert "Fleiss, Cohen & Everitt" in est.se_method


# ----------------------------------------------------------------------------- peers

irrcac_raw = pytest.importorskip("irrCAC.raw")
sm_ir = pytest.importorskip("statsmodels.stats.inter_rater")


@st.composite
def ratings(draw: Any, min_raters: int = 2, max_raters: int = 5, missing: bool = True) -> Any:
    """Subjects × raters ratings 1..q; with ``missing``, a share of cells is NaN (whole
    subjects may be unrated), but every rater keeps at least one rating."""
    q = draw(st.integers(2, 5))
    n = draw(st.integers(3, 25))
    r = draw(st.integers(min_raters, max_raters))
    x = draw(arrays(np.float64, (n, r), elements=st.integers(1, q).map(float)))
    if missing:
        share = draw(st.sampled_from([0.0, 0.15, 0.3, 0.45]))
        u = draw(arrays(np.float64, (n, r), elements=st.floats(0, 1, exclude_max=True)))
        y = np.where(u < share, np.nan, x)
        empty = np.isnan(y).all(axis=0)
        y[0, empty] = x[0, empty]
        x = y
    return x, list(map(float, range(1, q + 1)))


def _irrcac(x: np.ndarray, cats: list[float], weights: str, method: str) -> dict[str, Any]:
    frame = pd.DataFrame(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = getattr(irrcac_raw.CAC(frame, weights=weights, categories=cats, digits=14), method)()
    return res["est"]  # type: ignore[no-any-return]


PEER = [
    ("gwet", gwet_ac),
    ("fleiss", fleiss_kappa),
    ("conger", conger_kappa),
    ("bp", brennan_prediger),
]


@pytest.mark.parametrize(("method", "f"), PEER)
@pytest.mark.parametrize("weights", ["identity", "linear", "quadratic"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=ratings())
def test_matches_irrcac(method: str, f: Any, weights: str, data: Any) -> None:
    x, cats = data
    assume(((~np.isnan(x)).sum(axis=1) >= 2).any())  # some subject has two ratings
    est = _call(f, x, None if weights == "identity" else weights, categories=cats)
    assume(est.defined and est.se is not None and est.se > 1e-9)
    event("with missing ratings" if np.isnan(x).any() else "complete")
    ref = _irrcac(x, cats, weights, method)
    assert est.value == pytest.approx(ref["coefficient_value"], abs=1e-10)
    assert est.se == pytest.approx(ref["se"], abs=1e-10)
    assert est.details["pa"] == pytest.approx(ref["pa"], abs=1e-10)
    assert est.details["pe"] == pytest.approx(ref["pe"], abs=1e-10)
    assert est.ci == pytest.approx(ref["confidence_interval"], abs=1e-10)


def _table(x: np.ndarray, q: int) -> np.ndarray:
    t = np.zeros((q, q))
    np.add.at(t, (x[:, 0].astype(int) - 1, x[:, 1].astype(int) - 1), 1)
    return t


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@settings(max_examples=60, deadline=None)
@given(data=ratings(min_raters=2, max_raters=2, missing=False))
def test_cohen_matches_statsmodels(weights: Any, data: Any) -> None:
    x, cats = data
    q = len(cats)
    est = cohen_kappa(x, weights=weights, categories=cats)
    assume(est.defined)
    wt = {None: None, "linear": "linear", "quadratic": "quadratic"}[weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm_ir.cohens_kappa(_table(x, q), wt=wt)
    assert est.value == pytest.approx(ref.kappa, abs=1e-10)
    # compare variances: where the variance is exactly zero, rounding leaves statsmodels
    # with up to +-3e-13 (its SE is then ~5e-7 or NaN); elsewhere its sums of weighted cell
    # products lose up to ~1e-12 relative (0.0937499999998453 for an exact 0.09375)
    assert est.se is not None
    assert est.se**2 == pytest.approx(ref.var_kappa, rel=1e-10, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(data=ratings(missing=False))
def test_fleiss_matches_statsmodels(data: Any) -> None:
    x, cats = data
    est = fleiss_kappa(x, categories=cats)
    assume(est.defined)
    counts, _ = sm_ir.aggregate_raters(x.astype(int), n_cat=len(cats) + 1)
    assert est.value == pytest.approx(sm_ir.fleiss_kappa(counts[:, 1:]), abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(data=ratings(min_raters=2, max_raters=2))
def test_cohen_with_missing_is_conger_for_two_raters(data: Any) -> None:
    x, cats = data
    a, b = cohen_kappa(x, categories=cats), conger_kappa(x, categories=cats)
    assume(a.defined)
    assert a.value == pytest.approx(b.value, abs=1e-12)
    rated = ~np.isnan(x).all(axis=1)  # subjects nobody rated do not count at all
    if rated.sum() < 2:
        assert a.se is None and b.se is None
    elif np.isnan(x[rated]).any():
        assert a.se == pytest.approx(b.se, abs=1e-12)
    else:
        # Gwet's linearisation variance divides by n (n - 1), FCE by n^2
        n = int(rated.sum())
        assert a.se is not None and b.se is not None
        assert b.se * math.sqrt((n - 1) / n) == pytest.approx(a.se, abs=1e-12)


# ----------------------------------------------------------------------------- laws


@pytest.mark.parametrize("f", MULTI)
@settings(max_examples=30, deadline=None)
@given(data=ratings(), seed=st.integers(0, 2**32 - 1))
def test_permuting_raters_and_subjects_changes_nothing(f: Any, data: Any, seed: int) -> None:
    x, cats = data
    rng = np.random.default_rng(seed)
    y = x[rng.permutation(x.shape[0])][:, rng.permutation(x.shape[1])]
    a, b = f(x, categories=cats), f(y, categories=cats)
    assert a.defined == b.defined
    if a.defined:
        assert a.value == pytest.approx(b.value, abs=1e-12)
        assert (a.se is None) == (b.se is None)
        if a.se is not None:
            assert a.se == pytest.approx(b.se, abs=1e-12)


@pytest.mark.parametrize("f", [*CHANCE, cohen_kappa])
@settings(max_examples=30, deadline=None)
@given(data=ratings())
def test_identity_weights_equal_unweighted(f: Any, data: Any) -> None:
    x, cats = data
    if f is cohen_kappa:
        x = x[:, :2]
    a = _call(f, x, None, categories=cats)
    b = _call(f, x, np.eye(len(cats)), categories=cats)
    assert a.defined == b.defined
    if a.defined:
        assert a.value == pytest.approx(b.value, abs=1e-14)
        assert a.se == pytest.approx(b.se, abs=1e-14)


@pytest.mark.parametrize("f", [*MULTI, cohen_kappa])
@settings(max_examples=30, deadline=None)
@given(data=ratings(), seed=st.integers(0, 2**32 - 1))
def test_relabelling_nominal_categories_changes_nothing(f: Any, data: Any, seed: int) -> None:
    x, cats = data
    if f is cohen_kappa:
        x = x[:, :2]
    labels = np.random.default_rng(seed).permutation(len(cats)) * 10.0 + 7.0
    mapping = dict(zip(cats, labels, strict=True))
    y = np.vectorize(lambda v: mapping.get(v, np.nan))(x)
    a = f(x, categories=cats)
    b = f(y, categories=[mapping[c] for c in cats])
    assert a.defined == b.defined
    if a.defined:
        assert a.value == pytest.approx(b.value, abs=1e-12)
        assert a.se == pytest.approx(b.se, abs=1e-12)


@pytest.mark.parametrize("f", [*MULTI, cohen_kappa])
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
@settings(max_examples=30, deadline=None)
@given(data=ratings())
def test_bounds(f: Any, weights: Any, data: Any) -> None:
    x, cats = data
    if f is cohen_kappa:
        x = x[:, :2]
    est = _call(f, x, weights, categories=cats)
    if est.defined:
        assert est.value <= 1.0 + 1e-12
        if f is percent_agreement:
            assert est.value >= 0.0
        if est.ci is not None:
            assert est.ci[0] <= est.value <= est.ci[1] <= 1.0
    else:
        assert est.reason


@pytest.mark.parametrize("f", [*MULTI, cohen_kappa])
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_perfect_agreement_gives_one(f: Any, weights: Any) -> None:
    col = np.array([1, 2, 3, 4, 1, 2, 3, 4, 4, 2], float)
    x = np.column_stack([col] * (2 if f is cohen_kappa else 4))
    if f is not cohen_kappa:
        x[0, 1] = np.nan  # missing ratings do not spoil perfect agreement
    est = _call(f, x, weights, categories=[1, 2, 3, 4])
    assert est.value == pytest.approx(1.0, abs=1e-12)
    assert est.se == pytest.approx(0.0, abs=1e-12)
    assert est.ci == pytest.approx((1.0, 1.0), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(data=ratings())
def test_percent_agreement_monotone_in_within(data: Any) -> None:
    x, cats = data
    values = [percent_agreement(x, within=k, categories=cats).value for k in range(len(cats))]
    assume(not math.isnan(values[0]))
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
    assert values[-1] == pytest.approx(1.0)


def test_percent_agreement_within_one_by_hand() -> None:
    x = np.array([[1, 2], [1, 3], [4, 4], [2, 1]], float)
    assert percent_agreement(x).value == pytest.approx(0.25)
    assert percent_agreement(x, within=1).value == pytest.approx(0.75)
    assert percent_agreement(x, within=1).method == "percent agreement (within 1)"


def test_long_table_equals_wide() -> None:
    x = _csv("gwet2014_raw4raters.csv")
    long = pd.DataFrame(
        [
            {"subject": i, "rater": f"r{j}", "rating": x[i, j]}
            for i in range(x.shape[0])
            for j in range(x.shape[1])
            if not np.isnan(x[i, j])
        ]
    )
    for f in MULTI:
        a, b = f(x), f(long)
        assert a.value == pytest.approx(b.value, abs=1e-14)
        assert a.se == pytest.approx(b.se, abs=1e-14)


# ----------------------------------------------------------------------------- full scale


def test_unobserved_categories_count() -> None:
    """The scale's full category set changes BP and weighted kappa, as it should."""
    x = np.array([[2, 2], [2, 3], [3, 3], [3, 2], [2, 2]], float)
    observed = brennan_prediger(x)
    full = brennan_prediger(x, categories=[1, 2, 3, 4])
    assert observed.details["pe"] == pytest.approx(0.5)
    assert full.details["pe"] == pytest.approx(0.25)
    assert full.details["categories"] == [1.0, 2.0, 3.0, 4.0]
    lin_obs = gwet_ac(x, weights="linear")
    lin_full = gwet_ac(x, weights="linear", categories=[1, 2, 3, 4])
    assert lin_obs.value != pytest.approx(lin_full.value)
    assert lin_full.details["weight_matrix"][1][2] == pytest.approx(2 / 3)
    # Cohen's linearly weighted kappa only rescales disagreement here: unchanged
    assert cohen_kappa(x, weights="linear").value == pytest.approx(
        cohen_kappa(x, weights="linear", categories=[1, 2, 3, 4]).value
    )


def test_custom_weights_matrix() -> None:
    x = _csv("gwet2014_raw4raters.csv")
    q = np.arange(5.0)
    w = 1 - ((q[:, None] - q[None, :]) / 4) ** 2
    a, b = gwet_ac(x, weights=w), gwet_ac(x, weights="quadratic")
    assert a.value == pytest.approx(b.value, abs=1e-14)
    assert a.details["weights"] == "custom"


# ----------------------------------------------------------------------------- undefined


@pytest.mark.parametrize("f", [*MULTI, cohen_kappa])
def test_one_rater_is_undefined(f: Any) -> None:
    est = f(np.array([[1.0], [2.0], [1.0]]))
    assert math.isnan(est.value) and "one rater" in (est.reason or "")


@pytest.mark.parametrize("f", [*MULTI, cohen_kappa])
def test_no_pairable_subject_is_undefined(f: Any) -> None:
    x = np.array([[1, np.nan], [np.nan, 2], [np.nan, 1]], float)
    est = f(x)
    assert math.isnan(est.value) and "two or more raters" in (est.reason or "")


@pytest.mark.parametrize("f", [*MULTI, cohen_kappa])
def test_no_ratings_is_undefined(f: Any) -> None:
    est = f(np.full((3, 2), np.nan))
    assert math.isnan(est.value) and est.reason == "no ratings"


@pytest.mark.parametrize("f", [*CHANCE, cohen_kappa])
def test_single_category_is_undefined(f: Any) -> None:
    est = f(np.ones((5, 2)))
    assert math.isnan(est.value) and "single category" in (est.reason or "")
    assert not math.isnan(percent_agreement(np.ones((5, 2))).value)


@pytest.mark.parametrize("f", [fleiss_kappa, conger_kappa, cohen_kappa])
def test_all_ratings_in_one_of_several_categories(f: Any) -> None:
    """Kappa-type chance agreement is 1: undefined, not a silent 0 or 1."""
    est = f(np.ones((5, 2)), categories=[1, 2, 3])
    assert math.isnan(est.value) and "chance agreement is 1" in (est.reason or "")
    # AC1 and BP are defined there (pe < 1) and report perfect agreement
    assert gwet_ac(np.ones((5, 2)), categories=[1, 2, 3]).value == pytest.approx(1.0)
    assert brennan_prediger(np.ones((5, 2)), categories=[1, 2, 3]).value == pytest.approx(1.0)


def test_one_subject_has_value_but_no_se() -> None:
    est = gwet_ac(np.array([[1.0, 1.0, 2.0]]), categories=[1, 2])
    assert est.defined and est.se is None and est.ci is None
    assert est.se_reason


def test_to_dict_is_json_ready() -> None:
    import json

    est = gwet_ac(_csv("gwet2014_raw4raters.csv"), weights="quadratic")
    json.dumps(est.to_dict(), allow_nan=False)
    json.dumps(fleiss_kappa(np.ones((3, 2))).to_dict(), allow_nan=False)


ALL = [cohen_kappa, *MULTI]


@pytest.mark.parametrize("f", ALL)
def test_options_are_keyword_only(f: Any) -> None:
    x = np.array([[1, 2], [2, 2], [1, 1]], float)
    with pytest.raises(TypeError, match="positional"):
        f(x, "quadratic")
    with pytest.raises(TypeError, match="positional"):
        f(x, None, [1, 2])
    est = f(x, weights="quadratic", categories=[1, 2], confidence=0.9)
    assert est.confidence == 0.9 or est.ci is None


def test_within_is_keyword_only() -> None:
    with pytest.raises(TypeError, match="positional"):
        percent_agreement(np.array([[1, 2], [2, 2]], float), 1)  # type: ignore[misc]


# ----------------------------------------------------------------------------- errors


def test_rating_outside_categories_names_value_and_allowed() -> None:
    with pytest.raises(ValueError, match=r"7.*\[1, 2, 3, 4\]"):
        gwet_ac(np.array([[1, 7], [2, 2]], float), categories=[1, 2, 3, 4])


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ("cubic", "unknown weights"),
        (np.eye(3), "shape"),
        (np.full((4, 4), 0.5), "diagonal"),
        (np.triu(np.ones((4, 4))), "symmetric"),
        (2 * np.eye(4), r"\[0, 1\]"),
    ],
)
def test_bad_weights_raise(weights: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        gwet_ac(np.array([[1, 2], [3, 4]], float), weights=weights, categories=[1, 2, 3, 4])


def test_unknown_weights_name_raises_even_when_undefined() -> None:
    with pytest.raises(ValueError, match="unknown weights"):
        gwet_ac(np.array([[1.0], [2.0]]), weights="cubic")


def test_cohen_needs_two_raters() -> None:
    with pytest.raises(ValueError, match="two raters"):
        cohen_kappa(np.ones((4, 3)))


@pytest.mark.parametrize("confidence", [0.0, 1.0, 95])
def test_bad_confidence_raises(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        fleiss_kappa(np.array([[1, 2], [2, 2]], float), confidence=confidence)


@pytest.mark.parametrize("within", [-1, 1.5, True])
def test_bad_within_raises(within: Any) -> None:
    with pytest.raises(ValueError, match="within"):
        percent_agreement(np.array([[1, 2], [2, 2]], float), within=within)


def test_duplicate_categories_raise() -> None:
    with pytest.raises(ValueError, match="repeat"):
        gwet_ac(np.array([[1, 2], [2, 2]], float), categories=[1, 2, 2])


def test_confidence_level_widens_interval() -> None:
    x = _csv("gwet2014_raw4raters.csv")
    narrow, wide = fleiss_kappa(x, confidence=0.8), fleiss_kappa(x, confidence=0.99)
    assert narrow.ci is not None and wide.ci is not None
    assert wide.ci[0] < narrow.ci[0]
    assert wide.confidence == 0.99


def test_perfect_agreement_with_single_ratings_has_gwet_se() -> None:
    """Gwet's variance treats the share of pairable subjects as random (as irrCAC does)."""
    x = np.array([[1, 1], [2, 2], [3, 3], [1, np.nan], [2, 2]], float)
    est = cohen_kappa(x)
    assert est.value == pytest.approx(1.0)
    assert est.se is not None and est.se > 0
    assert "Gwet" in est.se_method


def test_non_integer_and_widely_spaced_categories() -> None:
    """Category values need not be small integers (both coding paths agree)."""
    x = _csv("gwet2014_raw4raters.csv")
    base = conger_kappa(x, weights="quadratic", categories=[1, 2, 3, 4, 5])
    for values in ([0.5, 1.5, 2.25, 3.0, 10.0], [0, 10, 10**6, 10**7, 10**8]):
        mapping = dict(zip([1.0, 2.0, 3.0, 4.0, 5.0], map(float, values), strict=True))
        y = np.vectorize(lambda v, m=mapping: m.get(v, np.nan))(x)
        est = conger_kappa(y, weights="quadratic", categories=values)
        assert est.value == pytest.approx(base.value, abs=1e-14)
        assert est.se == pytest.approx(base.se, abs=1e-14)
        assert conger_kappa(y, weights="quadratic").value == pytest.approx(base.value, abs=1e-14)


def test_categories_keep_the_given_order() -> None:
    """The scale's order, as given, defines the positions used by ordinal weights."""
    x = np.array([[1, 2], [2, 3], [3, 3], [1, 1], [2, 1]], float)
    forward = cohen_kappa(x, weights="linear", categories=[1, 2, 3])
    reordered = cohen_kappa(x, weights="linear", categories=[3, 1, 2])
    assert forward.value != pytest.approx(reordered.value)
    assert reordered.details["categories"] == [3.0, 1.0, 2.0]


def test_non_finite_rating_raises() -> None:
    with pytest.raises(ValueError, match="inf"):
        fleiss_kappa(np.array([[1, np.inf], [2, 2]], float))
    with pytest.raises(ValueError, match="inf"):
        fleiss_kappa(np.array([[1, np.inf], [2, 2]], float), categories=[1, 2])
