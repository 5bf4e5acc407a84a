"""Cronbach's alpha, item–total statistics and item spread."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from fidelity import psychometrics as psy
from fidelity import reliability as rel


def scale_data(n: int = 150, k: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    return np.clip(np.round(3 + latent + rng.normal(0, 0.9, (n, k))), 1, 5)


def test_reexported_from_reliability() -> None:
    assert rel.cronbach_alpha is psy.cronbach_alpha


def test_against_pingouin_complete_data() -> None:
    pg = pytest.importorskip("pingouin")
    x = scale_data()
    est = psy.cronbach_alpha(x)
    ref, ci = pg.cronbach_alpha(pd.DataFrame(x), ci=0.95)
    assert est.value == pytest.approx(ref, rel=1e-12)
    assert est.ci == pytest.approx(tuple(ci), abs=0.0006)  # pingouin rounds to 3 decimals


def test_feldt_ci_formula_any_level() -> None:
    x = scale_data(80, 4)
    n, k = x.shape
    for conf in (0.9, 0.99):
        est = psy.cronbach_alpha(x, confidence=conf)
        g = 1 - conf
        lo = 1 - (1 - est.value) * stats.f.ppf(1 - g / 2, n - 1, (n - 1) * (k - 1))
        hi = 1 - (1 - est.value) * stats.f.ppf(g / 2, n - 1, (n - 1) * (k - 1))
        assert est.ci == pytest.approx((lo, hi))


def test_definition_and_item_statistics() -> None:
    x = scale_data(100, 4, seed=3)
    k = x.shape[1]
    total = x.sum(axis=1)
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total.var(ddof=1))
    est = psy.cronbach_alpha(x)
    assert est.value == pytest.approx(alpha)
    d = est.details
    for j in range(k):
        rest = np.delete(x, j, axis=1)
        assert d["alpha_if_item_deleted"][j] == pytest.approx(psy.cronbach_alpha(rest).value)
        r = np.corrcoef(x[:, j], rest.sum(axis=1))[0, 1]
        assert d["corrected_item_total_r"][j] == pytest.approx(r)
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    assert d["standardized_alpha"] == pytest.approx(psy.cronbach_alpha(z).value)


def test_missing_listwise_and_pairwise() -> None:
    pg = pytest.importorskip("pingouin")
    x = scale_data(120, 5, seed=4)
    rng = np.random.default_rng(1)
    x[rng.random(x.shape) < 0.05] = np.nan
    complete = x[~np.isnan(x).any(axis=1)]
    lw = psy.cronbach_alpha(x, missing="listwise")
    assert lw.value == pytest.approx(psy.cronbach_alpha(complete).value)
    assert lw.n_subjects == complete.shape[0]
    assert lw.details["n_dropped"] == x.shape[0] - complete.shape[0]
    pw = psy.cronbach_alpha(x, missing="pairwise")
    ref, _ = pg.cronbach_alpha(pd.DataFrame(x), nan_policy="pairwise")
    assert pw.value == pytest.approx(ref, rel=1e-10)
    ref_lw, _ = pg.cronbach_alpha(pd.DataFrame(x), nan_policy="listwise")
    assert lw.value == pytest.approx(ref_lw, rel=1e-10)
    # pairwise CI uses the smallest pairwise n
    counts = (~np.isnan(x)).astype(float)
    assert pw.details["n_for_ci"] == int((counts.T @ counts).min())
    # without missing values both rules agree
    y = scale_data(50, 3)
    assert psy.cronbach_alpha(y, missing="pairwise").value == pytest.approx(
        psy.cronbach_alpha(y).value
    )


def test_dataframe_names_and_item_table() -> None:
    x = pd.DataFrame(scale_data(60, 3), columns=["a", "b", "c"])
    x["noise"] = np.random.default_rng(0).integers(1, 6, 60).astype(float)
    est = psy.cronbach_alpha(x)
    assert est.details["items"] == ["a", "b", "c", "noise"]
    assert "noise" in est.details["low_item_total"]
    table = psy.item_total_statistics(x)
    assert list(table["item"]) == ["a", "b", "c", "noise"]
    assert bool(table.set_index("item").loc["noise", "low_item_total"])
    assert table["corrected_item_total_r"].tolist() == pytest.approx(
        est.details["corrected_item_total_r"]
    )


def test_undefined_and_errors() -> None:
    assert math.isnan(psy.cronbach_alpha(np.ones((10, 1))).value)
    est = psy.cronbach_alpha(np.ones((10, 3)))
    assert math.isnan(est.value) and "no variance" in (est.reason or "")
    est = psy.cronbach_alpha(np.array([[1.0, 2.0], [np.nan, 1.0]]))
    assert math.isnan(est.value) and est.reason
    with pytest.raises(ValueError, match="missing"):
        psy.cronbach_alpha(scale_data(), missing="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2-D"):
        psy.cronbach_alpha(np.arange(5.0))


items_strategy = st.integers(4, 30).flatmap(
    lambda n: st.integers(2, 6).flatmap(
        lambda k: arrays(np.float64, (n, k), elements=st.integers(1, 5).map(float))
    )
)


@settings(max_examples=60, deadline=None)
@given(items_strategy)
def test_against_pingouin_generated(x: np.ndarray) -> None:
    pg = pytest.importorskip("pingouin")
    assume(x.sum(axis=1).var() > 0)
    est = psy.cronbach_alpha(x)
    ref, ci = pg.cronbach_alpha(pd.DataFrame(x))
    assert est.value == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert est.value <= 1.0 + 1e-12
    assert est.ci == pytest.approx(tuple(ci), abs=0.0006)


# --- item spread ---------------------------------------------------------------------------------


def test_item_spread_full_scale_and_flags() -> None:
    x = pd.DataFrame(
        {
            "floor": [1, 1, 1, 2, 3, 4, 5, 1, 2, 3],  # 40% at the lowest level
            "even": [1, 2, 3, 4, 5, 1, 2, 3, 4, 5],  # 20% at each level
            "narrow": [3, 3, 3, 3, np.nan, 3, 3, 3, 3, 3],
            "odd": [1, 2, 3, 4, 5, 6, 2, 3, 4, 2],  # 6 is not on the 1-5 scale
        }
    )
    out = {s.item: s for s in psy.item_spread(x, levels=[1, 2, 3, 4, 5])}
    f = out["floor"]
    assert f.shares == {1.0: 0.4, 2.0: 0.2, 3.0: 0.2, 4.0: 0.1, 5.0: 0.1}
    assert f.floor_share == 0.4 and any("floor effect" in fl for fl in f.flags)
    assert not any("ceiling" in fl for fl in f.flags)
    e = out["even"]
    assert e.floor_share == 0.2 and e.ceiling_share == 0.2
    assert any("floor" in fl for fl in e.flags) and any("ceiling" in fl for fl in e.flags)
    n = out["narrow"]
    assert n.n_missing == 1 and n.n_answered == 9
    assert n.unused_levels == (1.0, 2.0, 4.0, 5.0)
    assert any("only one level" in fl for fl in n.flags)
    assert any("unused levels: 1, 2, 4, 5" in fl for fl in n.flags)
    o = out["odd"]
    assert o.n_out_of_scale == 1 and any("outside the scale" in fl for fl in o.flags)
    assert sum(o.shares.values()) == pytest.approx(1.0)
    assert f.to_dict()["shares"]["1"] == 0.4


def test_item_spread_threshold_is_strict() -> None:
    x = np.array([[1.0]] * 3 + [[2.0]] * 17)  # exactly 15% at the floor: not flagged
    (s,) = psy.item_spread(x, levels=[1, 2, 3])
    assert s.floor_share == pytest.approx(0.15)
    assert not any("floor" in fl for fl in s.flags)
    (s,) = psy.item_spread(x, levels=[1, 2, 3], threshold=0.10)
    assert any("floor" in fl for fl in s.flags)


def test_item_spread_errors() -> None:
    with pytest.raises(ValueError, match="increasing"):
        psy.item_spread(np.ones((3, 1)), levels=[3, 2, 1])
    with pytest.raises(ValueError, match="two levels"):
        psy.item_spread(np.ones((3, 1)), levels=[1])


def test_standardized_alpha_undefined_when_items_perfectly_opposed() -> None:
    # Two items with correlation -1 (always so for two subjects, half the time): the
    # standardized total k r̄ / (1 + (k-1) r̄) divides by zero. R psych::alpha's
    # (1 - k / sum(R)) * k / (k - 1) has sum(R) = 0 there, so standardized alpha is undefined.
    # Raw alpha by hand: item variances 1 and 0.25, total variance 0.25,
    # alpha = 2 * (1 - 1.25 / 0.25) = -8 (pingouin.cronbach_alpha gives -8.0 too).
    x = np.array([[3.0, 1.0], [1.0, 2.0], [2.0, 1.5]])
    est = psy.cronbach_alpha(x)
    assert est.value == pytest.approx(-8.0)
    assert math.isnan(est.details["standardized_alpha"])
    assert est.details["standardized_alpha_reason"]


def test_pairwise_alpha_above_one_has_no_inverted_feldt_interval() -> None:
    # Pairwise covariances need not form a positive semi-definite matrix, so alpha can exceed
    # 1. By hand: var(item1) = 1/3 (3, 2, 2), var(item2) = 1/2 (3, 2), cov = 1/2 on the two
    # complete rows: alpha = 2 * (1 - (5/6) / (11/6)) = 12/11 (pingouin.cronbach_alpha with
    # nan_policy="pairwise" gives 1.0909 too). Feldt's bounds 1 - (1 - alpha) F then come out
    # reversed (about 59.9 and 1.0001), which is no interval at all.
    x = np.array([[3.0, 3.0], [2.0, 2.0], [np.nan, np.nan], [2.0, np.nan]])
    est = psy.cronbach_alpha(x, missing="pairwise")
    assert est.value == pytest.approx(12 / 11)
    assert est.ci is None and est.confidence is None
    assert "positive semi-definite" in est.ci_reason
