"""Declared CI conventions of the agreement family: Student t (default, as irrCAC) or the
normal quantile (SAS PROC FREQ, Stata), recorded in ``Estimate.ci_method``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from fidelity import reliability as rel
from fidelity.stats.estimate import Estimate

# SAS/STAT User's Guide, The FREQ Procedure, Getting Started, "Agreement Study" (data set
# SkinCondition, two dermatologists, categories terrible, poor, marginal, clear; rows
# dermatologist 1, columns dermatologist 2):
# https://support.sas.com/documentation/cdl/en/statug/63033/HTML/default/statug_freq_sect004.htm
SKIN = np.array([[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]])
# PROC FREQ's printed "Kappa Statistics" table (AGREE option, 95% confidence limits):
# statistic: (value, ASE, lower, upper); weighted kappa uses Cicchetti-Allison (linear) weights
SAS_KAPPA = {
    None: (0.3449, 0.0724, 0.2030, 0.4868),
    "linear": (0.5082, 0.0655, 0.3798, 0.6366),
}


def _skin() -> np.ndarray:
    return np.array([[i, j] for i in range(4) for j in range(4) for _ in range(SKIN[i, j])], float)


@pytest.mark.parametrize("weights", [None, "linear"])
def test_sas_proc_freq_skin_condition_kappa_interval(weights: str | None) -> None:
    est = rel.cohen_kappa(_skin(), weights=weights, ci_method="normal")  # type: ignore[arg-type]
    value, ase, lo, hi = SAS_KAPPA[weights]
    assert est.value == pytest.approx(value, abs=5e-5)
    assert est.se == pytest.approx(ase, abs=5e-5)
    assert est.ci == pytest.approx((lo, hi), abs=5e-5)
    assert est.ci_method == "standard normal quantile; upper limit truncated at 1"
    t_default = rel.cohen_kappa(_skin(), weights=weights)
    assert t_default.ci_method == "Student t, 87 df; upper limit truncated at 1"
    assert t_default.ci is not None and t_default.ci[0] < lo  # t is wider


FAMILY: list[Callable[..., Estimate]] = [
    rel.cohen_kappa,
    rel.fleiss_kappa,
    rel.conger_kappa,
    rel.brennan_prediger,
    rel.gwet_ac,
    rel.percent_agreement,
]


@pytest.mark.parametrize("fn", FAMILY, ids=lambda f: f.__name__)
def test_every_agreement_coefficient_declares_its_quantile(fn: Callable[..., Estimate]) -> None:
    x = np.array([[1, 1], [2, 2], [3, 2], [1, 1], [2, 3], [3, 3], [1, 2], [2, 2.0]])
    t_est = fn(x)
    z_est = fn(x, ci_method="normal")
    assert t_est.value == z_est.value and t_est.se == z_est.se
    assert t_est.ci_method is not None and t_est.ci_method.startswith("Student t, 7 df")
    assert z_est.ci_method is not None and z_est.ci_method.startswith("standard normal")
    assert t_est.ci is not None and z_est.ci is not None and t_est.se is not None
    ratio = stats.t.ppf(0.975, 7) / stats.norm.ppf(0.975)
    assert t_est.value - t_est.ci[0] == pytest.approx(ratio * (z_est.value - z_est.ci[0]))
    with pytest.raises(ValueError, match="ci_method"):
        fn(x, ci_method="wald")


@pytest.mark.parametrize("fn", FAMILY, ids=lambda f: f.__name__)
def test_one_subject_has_no_interval_under_either_convention(fn: Callable[..., Estimate]) -> None:
    for method in ("t", "normal"):
        est = fn(np.array([[1.0, 2.0]]), categories=[1, 2], ci_method=method)
        assert est.ci is None and est.ci_reason


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(2, 30), st.just(3)), elements=st.integers(0, 3)))
def test_normal_interval_is_nested_in_the_t_interval_law(codes: np.ndarray[Any, Any]) -> None:
    x = codes.astype(float)
    for fn in (rel.fleiss_kappa, rel.gwet_ac, rel.brennan_prediger):
        t_est = fn(x, categories=[0, 1, 2, 3])
        z_est = fn(x, categories=[0, 1, 2, 3], ci_method="normal")
        if t_est.ci is None or z_est.ci is None:
            assert math.isnan(t_est.value) or x.shape[0] < 2 or t_est.se is None
            continue
        assert t_est.ci[0] <= z_est.ci[0] + 1e-12
        assert z_est.ci[1] <= t_est.ci[1] + 1e-12
        assert z_est.ci[1] <= 1.0


def test_each_icc_form_names_its_interval_formula() -> None:
    x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                  [6, 2, 4, 7.0]])  # fmt: skip
    by_form = {e.details["form"]: e for e in rel.icc_table(x)}
    for form in ("ICC(1,1)", "ICC(1,k)"):
        assert "case 1" in (by_form[form].ci_method or "")
    for form in ("ICC(3,1)", "ICC(3,k)"):
        assert "case 3" in (by_form[form].ci_method or "")
    single, mean = by_form["ICC(2,1)"], by_form["ICC(2,k)"]
    assert "Satterthwaite" in (single.ci_method or "")
    assert "step-up" not in (single.ci_method or "")
    assert "Spearman-Brown step-up" in (mean.ci_method or "")
    k = 4
    assert single.ci is not None and mean.ci is not None
    stepped = [k * b / (1 + (k - 1) * b) for b in single.ci]
    assert mean.ci == pytest.approx(stepped, rel=1e-12)
