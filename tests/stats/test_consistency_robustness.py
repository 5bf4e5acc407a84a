"""Robustness of omega, ordinal alpha and every ``ci_method`` path of the agreement family:
degenerate shapes, missing and constant data, infinite cells, values near 1e12 and a
100,000 × 10 table give a value or ``nan`` with a reason, and never print a warning; laws
(invariance to permuting subjects and items, to monotone relabelling, bounds) by hypothesis."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fidelity import psychometrics as psy
from fidelity import reliability as rel
from fidelity.stats.estimate import Estimate

BASE = np.array(
    [[1, 2, 2, 1], [2, 2, 3, 3], [3, 4, 3, 4], [4, 4, 5, 4], [2, 3, 2, 2], [5, 4, 4, 5],
     [3, 3, 4, 3], [1, 1, 2, 2], [4, 5, 5, 4], [2, 1, 1, 2]], dtype=float,
)  # fmt: skip

CONSISTENCY: dict[str, Callable[[Any], Estimate]] = {
    "omega_minres": lambda x: psy.omega_total(x, n_resamples=5),
    "omega_ml": lambda x: psy.omega_total(x, estimator="ml", n_resamples=5),
    "omega_listwise": lambda x: psy.omega_total(x, missing="listwise", n_resamples=5),
    "ordinal_alpha": lambda x: psy.ordinal_alpha(x),
    "ordinal_alpha_boot": lambda x: psy.ordinal_alpha(x, n_resamples=3),
}
AGREEMENT: dict[str, Callable[..., Estimate]] = {
    f.__name__: f
    for f in (rel.cohen_kappa, rel.fleiss_kappa, rel.conger_kappa, rel.brennan_prediger,
              rel.gwet_ac, rel.percent_agreement)
}  # fmt: skip


def _quiet(fn: Callable[[], Estimate]) -> Estimate:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return fn()


def _value_or_reason(est: Estimate) -> None:
    assert isinstance(est, Estimate)
    if math.isnan(est.value):
        assert est.reason, est
        assert est.ci is None
    else:
        assert est.reason is None


def _missing_column(x: np.ndarray) -> np.ndarray:
    y = x.copy()
    y[:, 1] = np.nan
    return y


def _constant_column(x: np.ndarray) -> np.ndarray:
    y = x.copy()
    y[:, 2] = 3.0
    return y


def _holes(x: np.ndarray) -> np.ndarray:
    y = x.copy()
    y[[0, 3, 5], [1, 2, 0]] = np.nan
    return y


CASES: dict[str, Callable[[], np.ndarray]] = {
    "empty": lambda: np.zeros((0, 0)),
    "no_subjects": lambda: np.zeros((0, 4)),
    "no_items": lambda: np.zeros((5, 0)),
    "one_subject": lambda: BASE[:1],
    "two_subjects": lambda: BASE[:2],
    "one_column": lambda: BASE[:, :1],
    "two_columns": lambda: BASE[:, :2],
    "all_missing_column": lambda: _missing_column(BASE),
    "all_missing": lambda: np.full((6, 4), np.nan),
    "constant_column": lambda: _constant_column(BASE),
    "constant": lambda: np.full((6, 4), 2.0),
    "nan_cells": lambda: _holes(BASE),
    "near_1e12": lambda: BASE + 1e12,
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(CONSISTENCY))
def test_consistency_gives_a_value_or_a_reason(name: str, case: str) -> None:
    _value_or_reason(_quiet(lambda: CONSISTENCY[name](CASES[case]())))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("method", ["t", "normal"])
@pytest.mark.parametrize("name", sorted(AGREEMENT))
def test_agreement_gives_a_value_or_a_reason(name: str, method: str, case: str) -> None:
    x = CASES[case]()
    if name == "cohen_kappa":
        x = x[:, :2]
    _value_or_reason(_quiet(lambda: AGREEMENT[name](x, ci_method=method)))


@pytest.mark.parametrize("name", sorted(CONSISTENCY))
def test_expected_reasons(name: str) -> None:
    fn = CONSISTENCY[name]
    assert "item2" in (fn(_missing_column(BASE)).reason or "")
    assert "item3" in (fn(_constant_column(BASE)).reason or "")
    assert not fn(BASE[:, :1]).defined
    assert fn(BASE + 1e12).value == pytest.approx(fn(BASE).value, abs=1e-9)


def test_omega_needs_three_items_and_ordinal_alpha_two() -> None:
    assert "three items" in (psy.omega_total(BASE[:, :2]).reason or "")
    assert psy.ordinal_alpha(BASE[:, :2]).defined


@pytest.mark.parametrize("name", sorted(CONSISTENCY) + sorted(AGREEMENT))
def test_infinite_cells_are_refused_with_the_shared_message(name: str) -> None:
    x = BASE.copy()
    x[1, 1] = math.inf
    fn = CONSISTENCY.get(name) or (lambda m: AGREEMENT[name](m, ci_method="normal"))
    with pytest.raises(ValueError, match=r"must be finite numbers or NaN \(missing\)"):
        fn(x[:, :2] if name == "cohen_kappa" else x)


def test_many_categories_are_undefined_for_ordinal_alpha() -> None:
    x = np.arange(60, dtype=float).reshape(15, 4)
    est = psy.ordinal_alpha(x)
    assert not est.defined and "at most 10 categories" in (est.reason or "")


def test_one_hundred_thousand_by_ten() -> None:
    rng = np.random.default_rng(12)
    latent = rng.normal(size=(100_000, 1)) + rng.normal(size=(100_000, 10))
    x = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5]).astype(float) + 1.0
    x[rng.random(x.shape) < 0.05] = np.nan
    results = [
        _quiet(lambda: psy.omega_total(x, n_resamples=4)),
        _quiet(lambda: psy.ordinal_alpha(x)),
        _quiet(lambda: rel.fleiss_kappa(x, ci_method="normal")),
        _quiet(lambda: rel.gwet_ac(x, weights="quadratic", ci_method="normal")),
        _quiet(lambda: rel.cohen_kappa(x[:, :2], ci_method="normal")),
    ]
    for est in results:
        assert est.defined, est.reason
        assert est.ci is None or est.ci[0] <= est.value <= est.ci[1]
    assert 0.8 < results[0].value < 0.95 and 0.8 < results[1].value < 0.95


# --------------------------------------------------------------------------- laws

likert = arrays(
    np.float64, st.tuples(st.integers(6, 25), st.integers(3, 5)),
    elements=st.integers(1, 4).map(float),
)  # fmt: skip


def _law_values(x: np.ndarray) -> tuple[float, float, float]:
    return (
        psy.omega_total(x, n_resamples=0).value,
        psy.omega_total(x, estimator="ml", n_resamples=0).value,
        psy.ordinal_alpha(x).value,
    )


def _same(a: tuple[float, ...], b: tuple[float, ...], tol: float) -> None:
    for u, v in zip(a, b, strict=True):
        if math.isnan(u):
            assert math.isnan(v)
        else:
            # relative too: near-singular correlations give alphas far below -1, equal only
            # to rounding relative to their size
            assert v == pytest.approx(u, rel=tol, abs=tol)


@settings(max_examples=25, deadline=None)
@given(likert, st.randoms(use_true_random=False))
def test_permuting_subjects_and_items_changes_nothing_law(x: np.ndarray, rnd: Any) -> None:
    rows = list(range(x.shape[0]))
    cols = list(range(x.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = _law_values(x)
        after = _law_values(x[np.ix_(rows, cols)])
    _same(before, after, 1e-6)


@settings(max_examples=25, deadline=None)
@given(likert, st.lists(st.floats(0.1, 100.0), min_size=5, max_size=5),
       st.floats(-1e6, 1e6))  # fmt: skip
def test_omega_is_invariant_to_positive_affine_maps_of_each_item_law(
    x: np.ndarray, scales: list[float], shift: float
) -> None:
    y = x * np.array(scales[: x.shape[1]]) + shift
    a = psy.omega_total(x, n_resamples=0).value
    b = psy.omega_total(y, n_resamples=0).value
    _same((a,), (b,), 1e-6)


@settings(max_examples=25, deadline=None)
@given(likert)
def test_ordinal_alpha_depends_only_on_the_order_of_categories_law(x: np.ndarray) -> None:
    relabelled = np.choose((x - 1).astype(int), [-3.0, 0.5, 10.0, 1e3])
    _same((psy.ordinal_alpha(x).value,), (psy.ordinal_alpha(relabelled).value,), 1e-9)


@settings(max_examples=25, deadline=None)
@given(likert)
def test_bounds_law(x: np.ndarray) -> None:
    omega, omega_ml, ordinal = _law_values(x)
    for v in (omega, omega_ml, ordinal):
        assert math.isnan(v) or v <= 1.0 + 1e-12
    est = psy.omega_total(x, n_resamples=0)
    if est.defined:
        assert all(u >= 0.005 - 1e-12 for u in est.details["uniquenesses"])
        assert 0.0 <= est.details["omega_model"] <= 1.0


OLDER: dict[str, Callable[[Any], Estimate | list[Estimate]]] = {
    "icc_table": rel.icc_table,
    "cronbach_alpha": rel.cronbach_alpha,
    "kripp_nominal": lambda x: rel.krippendorff_alpha(x, "nominal"),
    "kripp_ordinal": lambda x: rel.krippendorff_alpha(x, "ordinal"),
    "kripp_interval": lambda x: rel.krippendorff_alpha(x, "interval"),
    "kripp_ratio": lambda x: rel.krippendorff_alpha(x, "ratio"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(OLDER))
def test_older_coefficients_give_a_value_or_a_reason(name: str, case: str) -> None:
    """The battery above, run over the coefficients that existed before (the older tests
    cover empty shapes, infinite cells and extreme scales, not every case here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            out = OLDER[name](CASES[case]())
    for est in out if isinstance(out, list) else [out]:
        _value_or_reason(est)


@settings(max_examples=30, deadline=None)
@given(likert, st.randoms(use_true_random=False))
def test_older_gaps_permutation_and_relabelling_law(x: np.ndarray, rnd: Any) -> None:
    """Laws the older tests did not state: Cronbach's alpha unchanged by permuting subjects
    and items, nominal Krippendorff's alpha by relabelling the categories, and the normal
    interval of the agreement family by permuting subjects."""
    rows, cols = list(range(x.shape[0])), list(range(x.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    y = x[np.ix_(rows, cols)]
    _same((rel.cronbach_alpha(x).value,), (rel.cronbach_alpha(y).value,), 1e-9)
    labels = np.array([-5.0, 40.0, 3.5, 0.0])  # a nominal relabelling, order not kept
    relabelled = labels[(x - 1).astype(int)]
    a = rel.krippendorff_alpha(x, "nominal").value
    b = rel.krippendorff_alpha(relabelled, "nominal").value
    _same((a,), (b,), 1e-12)
    k1 = rel.fleiss_kappa(x, categories=[1, 2, 3, 4], ci_method="normal")
    k2 = rel.fleiss_kappa(x[rows], categories=[1, 2, 3, 4], ci_method="normal")
    _same((k1.value,), (k2.value,), 1e-12)
    if k1.ci is not None and k2.ci is not None:
        assert k2.ci == pytest.approx(k1.ci, abs=1e-12)
