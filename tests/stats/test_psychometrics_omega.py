"""McDonald's omega, polychoric correlations and ordinal alpha against R: psych 2.2.9 with its
defaults, the same estimators solved tightly in R, and lavaan's one-factor CFA
(tests/data/omega_polychoric, made by make_reference.R there; versions in reference.csv)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fidelity import psychometrics as psy
from fidelity.stats import omega as omega_impl

DATA = Path(__file__).parents[1] / "data" / "omega_polychoric"
REFERENCE = pd.read_csv(DATA / "reference.csv", comment="#")
SETS = sorted(p.stem for p in DATA.glob("*.csv") if p.stem != "reference")
_FAILED = REFERENCE[REFERENCE.statistic == "psych_polychoric_failed"].set_index("dataset").value
PSYCH_SETS = [s for s in SETS if _FAILED[s] == 0]


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


def _ref(name: str, statistic: str) -> pd.DataFrame:
    return REFERENCE[(REFERENCE.dataset == name) & (REFERENCE.statistic == statistic)]


def _scalar(name: str, statistic: str) -> float:
    return float(_ref(name, statistic).value.iloc[0])


def _vector(name: str, statistic: str) -> np.ndarray:
    return _ref(name, statistic).sort_values("i").value.to_numpy(float)


def _matrix(name: str, statistic: str) -> np.ndarray:
    rows = _ref(name, statistic)
    out = np.full((int(rows.i.max()), int(rows.j.max())), np.nan)
    out[rows.i.astype(int) - 1, rows.j.astype(int) - 1] = rows.value.to_numpy(float)
    return out


def test_reference_covers_every_data_set() -> None:
    assert set(REFERENCE.dataset) == set(SETS) and len(SETS) == 5
    assert set(PSYCH_SETS) == set(SETS) - {"skewed5_n60"}


# --------------------------------------------------------------------------- omega


@pytest.mark.parametrize("name", SETS)
def test_minres_omega_matches_psych_and_the_exact_minimum(name: str) -> None:
    est = psy.omega_total(_load(name), n_resamples=0)
    assert est.value == pytest.approx(_scalar(name, "psych_omega_tot_minres"), abs=1e-6)
    assert est.value == pytest.approx(_scalar(name, "tight_omega_tot_minres"), abs=1e-9)
    lam = np.array(est.details["loadings"])
    assert lam == pytest.approx(_vector(name, "psych_loading_minres"), abs=1e-5)
    assert lam == pytest.approx(_vector(name, "tight_loading_minres"), abs=1e-7)


@pytest.mark.parametrize("name", SETS)
def test_ml_omega_matches_psych_and_lavaan(name: str) -> None:
    est = psy.omega_total(_load(name), estimator="ml", n_resamples=0)
    assert est.value == pytest.approx(_scalar(name, "psych_omega_tot_ml"), abs=1e-6)
    lam = np.array(est.details["loadings"])
    assert lam == pytest.approx(_vector(name, "psych_loading_ml"), abs=1e-5)
    assert lam == pytest.approx(_vector(name, "lavaan_loading_ml"), abs=1e-5)
    model = est.details["omega_model"]
    assert model == pytest.approx(_scalar(name, "lavaan_omega_model_ml"), abs=1e-6)


def test_omega_bootstrap_interval_is_seeded_and_brackets_the_value() -> None:
    x = _load("likert4_n80")
    a = psy.omega_total(x, n_resamples=200, seed=3)
    b = psy.omega_total(x, n_resamples=200, seed=3)
    assert a.ci == b.ci and a.se == b.se
    assert a.ci is not None and a.ci[0] < a.value < a.ci[1]
    assert "percentile bootstrap" in (a.ci_method or "") and "200 resamples" in (a.ci_method or "")
    assert a.details["bootstrap"]["seed"] == 3
    none = psy.omega_total(x, n_resamples=0)
    assert none.ci is None and "n_resamples=0" in (none.ci_reason or "")
    for est in (a, none, psy.ordinal_alpha(x), psy.omega_total(x.iloc[:, :2])):
        json.dumps(est.to_dict(), allow_nan=False)  # details are JSON-ready


def _with_correlation(r: np.ndarray, n: int = 400, seed: int = 1) -> np.ndarray:
    """Data whose sample correlation matrix is exactly ``r``."""
    z = np.random.default_rng(seed).normal(size=(n, r.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    return np.asarray(z @ np.linalg.cholesky(r).T)


def test_heywood_case_is_undefined_and_names_the_item() -> None:
    r = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.4], [0.8, 0.4, 1.0]])  # lambda_1^2 = 1.6
    for estimator in ("minres", "ml"):
        est = psy.omega_total(_with_correlation(r), estimator=estimator, n_resamples=0)  # type: ignore[arg-type]
        assert not est.defined
        assert "Heywood" in (est.reason or "") and "item1" in (est.reason or "")


def test_exactly_identified_three_items() -> None:
    r = np.array([[1.0, 0.42, 0.35], [0.42, 1.0, 0.30], [0.35, 0.30, 1.0]])
    est = psy.omega_total(_with_correlation(r), n_resamples=0)
    lam = np.sqrt([0.42 * 0.35 / 0.30, 0.42 * 0.30 / 0.35, 0.35 * 0.30 / 0.42])
    assert est.details["loadings"] == pytest.approx(lam, abs=1e-9)
    assert est.value == pytest.approx(1 - (3 - (lam**2).sum()) / r.sum(), abs=1e-12)


def test_non_convergence_is_undefined_with_the_optimiser_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = omega_impl.optimize.leastsq

    def stalled(*args: object, **kwargs: object) -> object:
        kwargs["maxfev"] = 2
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(omega_impl.optimize, "leastsq", stalled)
    est = psy.omega_total(_load("likert6_n300"), n_resamples=0)
    assert not est.defined and "did not converge" in (est.reason or "")


def test_negative_loading_item_is_reversed_as_psych_does() -> None:
    x = _load("likert6_n300").to_numpy(float)
    flipped = x.copy()
    flipped[:, 2] = 6 - flipped[:, 2]
    a = psy.omega_total(x, n_resamples=0)
    b = psy.omega_total(flipped, n_resamples=0)
    assert b.value == pytest.approx(a.value, abs=1e-10)
    assert b.details["reversed_items"] == ["item3"]


# --------------------------------------------------------------------------- polychoric


@pytest.mark.parametrize("name", PSYCH_SETS)
def test_polychoric_matches_psych(name: str) -> None:
    pc = psy.polychoric(_load(name))
    assert pc.rho == pytest.approx(_matrix(name, "psych_polychoric_rho"), abs=1e-4)
    tau = np.array(pc.thresholds)
    want = _matrix(name, "psych_polychoric_tau")
    assert np.array_equal(np.isinf(tau), np.isinf(want))
    finite = np.isfinite(want)
    assert tau[finite] == pytest.approx(want[finite], abs=1e-12)
    alpha = psy.ordinal_alpha(_load(name))
    assert alpha.value == pytest.approx(_scalar(name, "psych_ordinal_alpha"), abs=1e-4)


@pytest.mark.parametrize("name", SETS)
def test_polychoric_matches_the_tight_likelihood_maximum(name: str) -> None:
    """psych's own likelihood maximised in R to 1e-12 (global thresholds for every set)."""
    pc = psy.polychoric(_load(name))
    assert pc.rho == pytest.approx(_matrix(name, "tight_polychoric_rho"), abs=1e-6)
    tau = np.array(pc.thresholds)
    want = _matrix(name, "tight_polychoric_tau")
    finite = np.isfinite(want)
    assert np.array_equal(np.isinf(tau), np.isinf(want))
    assert tau[finite] == pytest.approx(want[finite], abs=1e-12)
    alpha = psy.ordinal_alpha(_load(name)).value
    assert alpha == pytest.approx(_scalar(name, "tight_ordinal_alpha"), abs=1e-7)


def test_ordinal_alpha_bootstrap_is_opt_in() -> None:
    x = _load("likert4_n80")
    plain = psy.ordinal_alpha(x)
    assert plain.ci is None and "n_resamples" in (plain.ci_reason or "")
    boot = psy.ordinal_alpha(x, n_resamples=20, seed=1)
    assert boot.ci is not None and boot.value == plain.value
    assert boot.ci[0] <= boot.ci[1]


def test_non_positive_definite_matrix_is_smoothed_as_psych() -> None:
    r = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    from fidelity.stats.polychoric import _smooth

    smooth, changed = _smooth(r)
    assert changed and np.linalg.eigvalsh(smooth).min() > 0
    assert np.diag(smooth) == pytest.approx(1.0)
    same, unchanged = _smooth(np.eye(3))
    assert not unchanged and np.array_equal(same, np.eye(3))


def test_declared_categories_keep_unused_levels_in_the_thresholds() -> None:
    x = _load("likert4_n80")
    pc = psy.polychoric(x, categories=[0, 1, 2, 3, 4, 5])
    assert pc.categories == (0, 1, 2, 3, 4, 5)
    assert all(len(t) == 5 and t[0] == -math.inf for t in pc.thresholds)
    assert pc.rho == pytest.approx(psy.polychoric(x).rho, abs=1e-12)
    with pytest.raises(ValueError, match="not among the categories"):
        psy.polychoric(x, categories=[1, 2, 3])
