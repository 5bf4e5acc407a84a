"""Laws of the workflow functions, checked with hypothesis: sample sizes move the right way
with every argument; a consensus sheet holds exactly the agreed answers and leaves exactly the
open items empty."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import fidelity
from fidelity import planning as pl
from fidelity.consensus import prepare_consensus

INST = fidelity.load_instrument("enrich-peer-support@1.1.0")
ITEMS = [it.id for it in INST.items]

rhos = st.floats(0.05, 0.95)
widths = st.floats(0.05, 0.6)
ks = st.integers(2, 6)


@given(rhos, ks, widths, widths)
def test_a_narrower_interval_needs_more_subjects(rho: float, k: int, w1: float, w2: float) -> None:
    lo, hi = sorted((w1, w2))
    assert pl.icc_n_precision(rho, k, lo) >= pl.icc_n_precision(rho, k, hi)
    assert pl.icc_n_assurance(rho, k, lo) >= pl.icc_n_assurance(rho, k, hi)


@given(rhos, ks, widths, st.floats(0.5, 0.99), st.floats(0.5, 0.99))
def test_more_assurance_needs_more_subjects(
    rho: float, k: int, w: float, a1: float, a2: float
) -> None:
    lo, hi = sorted((a1, a2))
    assert pl.icc_n_assurance(rho, k, w, assurance=lo) <= pl.icc_n_assurance(
        rho, k, w, assurance=hi
    )


@given(st.floats(0.05, 0.6), st.floats(0.01, 0.3), st.floats(0.01, 0.3), ks)
def test_a_larger_difference_needs_fewer_subjects(
    rho0: float, d1: float, d2: float, k: int
) -> None:
    small, large = sorted((d1, d2))
    assert pl.icc_n_test(rho0, rho0 + small, k) >= pl.icc_n_test(rho0, rho0 + large, k)


@given(st.floats(0.05, 0.9), st.floats(0.05, 0.95), widths)
def test_kappa_width_is_reached(kappa: float, p: float, w: float) -> None:
    """At the planned n the Wald interval is at most w wide, and one subject fewer is not."""
    from scipy import stats

    z = stats.norm.ppf(0.975)
    n = pl.kappa_n_precision(kappa, p, w)
    assert 2 * z * np.sqrt(pl.kappa_variance(kappa, p, n)) <= w + 1e-12
    if n > 1:
        assert 2 * z * np.sqrt(pl.kappa_variance(kappa, p, n - 1)) > w - 1e-12


answers = st.sampled_from([1, 2, 3, 4, None])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(answers, answers), min_size=len(ITEMS), max_size=len(ITEMS)))
def test_the_consensus_sheet_holds_exactly_the_agreed_answers(
    pairs: list[tuple[int | None, int | None]],
) -> None:
    a = {i: x for i, (x, _) in zip(ITEMS, pairs, strict=True)}
    b = {i: y for i, (_, y) in zip(ITEMS, pairs, strict=True)}
    sheets = [
        {"instrument": INST.spec, "assessment": "x", "rater": "r1", "ratings": a},
        {"instrument": INST.spec, "assessment": "x", "rater": "r2", "ratings": b},
    ]
    prep = prepare_consensus(INST, sheets)
    (sheet,) = prep.sheets
    open_items = set(prep.open_items["x"])
    assert open_items == {i for i in ITEMS if a[i] != b[i]}
    for i in ITEMS:
        assert sheet["ratings"][i] == (None if i in open_items else a[i])
    levels = prep.discrepancies[prep.discrepancies["kind"] == "levels"]
    assert list(levels["difference"]) == sorted(levels["difference"], reverse=True)
    assert len(prep.discrepancies) == len(open_items)
