"""G-study and D-study of an audit's site score (fidelity.stats.site_gstudy): coefficients by
Brennan's rules, designs the data cannot identify, and the D-study's laws."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fidelity.stats.site_gstudy import (
    SiteGStudy,
    interviews_needed,
    site_d_study,
    site_g_study,
)

DATA = Path(__file__).parents[1] / "data" / "gstudy"


def audit(name: str = "audit_two_rounds") -> pd.DataFrame:
    d = pd.read_csv(DATA / f"{name}.csv", dtype=str)
    return d.assign(score=d["score"].astype(float))


@pytest.fixture(scope="module")
def g() -> SiteGStudy:
    return site_g_study(audit())


def test_site_score_coefficients_follow_brennan(g: SiteGStudy) -> None:
    v = g.variances()
    nf, ni, nr = g.n_informants, 3, 2
    tau = v["site"] + v["site:round"] + v["site:informant"] / nf
    err = v["interview"] / (nf * ni) + (v["rater"] + v["residual"]) / (nf * ni * nr)
    (row,) = site_d_study(g, [ni], [nr])
    assert row.phi == pytest.approx(tau / (tau + err))
    assert row.e_rho2 == pytest.approx(row.phi)  # raters nested in interviews: delta = Delta
    random = site_g_study(audit(), informant="random", se=False)
    (r2,) = site_d_study(random, [ni], [nr])
    v = random.variances()
    tau_r = v["site"] + v["site:round"]
    rel = err + v["site:informant"] / nf
    assert r2.e_rho2 == pytest.approx(tau_r / (tau_r + rel))
    assert r2.phi == pytest.approx(tau_r / (tau_r + rel + v["informant"] / nf))


def test_design_is_described(g: SiteGStudy) -> None:
    assert (g.n_sites, g.n_informants, g.n_rounds) == (20, 3, 2)
    assert g.n_ratings == len(audit())
    assert 1.0 < g.raters_per_interview < 2.0
    assert g.merged == {}
    assert g.reason is None
    assert all(c.se > 0 for c in g.components if c.variance > 0)
    (row,) = site_d_study(g, [1], [1])
    assert 0.0 < row.phi < g.phi < 1.0
    assert g.to_dict()["components"][0]["name"] == "site"


def test_d_study_rises_with_interviews_and_raters(g: SiteGStudy) -> None:
    rows = site_d_study(g, [1, 2, 3, 6, 12], [1, 2])
    one = [r.phi for r in rows if r.n_raters == 1]
    two = [r.phi for r in rows if r.n_raters == 2]
    assert one == sorted(one) and two == sorted(two)
    assert all(b > a for a, b in zip(one, two, strict=True))


def test_interviews_needed_is_the_smallest_number_reaching_the_target(g: SiteGStudy) -> None:
    n = interviews_needed(g, 0.9)
    assert n is not None
    assert site_d_study(g, [n], [1])[0].phi >= 0.9
    assert n > 1
    assert site_d_study(g, [n - 1], [1])[0].phi < 0.9
    assert interviews_needed(g, 0.999999, most=50) is None


def test_no_interview_rated_twice_projects_one_rater_only() -> None:
    d = audit("audit_one_round")
    single = d.drop_duplicates("interview")
    g = site_g_study(single, se=False)
    assert g.merged["interview"] == "residual"
    (interview,) = (c for c in g.components if c.name == "interview")
    assert math.isnan(interview.variance)
    assert "one rating per level" in str(interview.reason)
    one, two = site_d_study(g, [3], [1, 2])
    assert 0.0 < one.phi < 1.0 and one.reason is None
    assert math.isnan(two.phi) and "enter this D-study differently" in str(two.reason)


def test_one_rater_leaves_the_site_score_undefined() -> None:
    d = audit("audit_one_round").drop_duplicates("interview").assign(rater="R1")
    g = site_g_study(d, se=False)
    assert math.isnan(g.phi)
    assert "rater: only one level" in str(g.reason)


def test_one_site_is_undefined_with_a_reason() -> None:
    d = audit("audit_one_round")
    g = site_g_study(d[d["site"] == "S01"])
    assert math.isnan(g.phi) and "at least two" in str(g.reason)
    assert all(math.isnan(r.phi) for r in site_d_study(g, [1, 2]))


def test_constant_scores_are_undefined() -> None:
    g = site_g_study(audit("audit_one_round").assign(score=2.0))
    assert math.isnan(g.phi) and "identical" in str(g.reason)


def test_one_informant_type_needs_no_informant_variance() -> None:
    d = audit("audit_one_round")
    g = site_g_study(d[d["informant"] == "staff"], se=False)
    assert g.merged["informant"] is None
    assert g.merged["site:informant"] == "site"
    assert g.reason is None and 0.0 < g.phi < 1.0


@pytest.mark.parametrize("scale, shift", [(10.0, -3.0), (1e-4, 7.0)])
def test_coefficients_are_invariant_to_the_score_unit(scale: float, shift: float) -> None:
    d = audit("audit_one_round")
    a = site_g_study(d, se=False)
    b = site_g_study(d.assign(score=d["score"] * scale + shift), se=False)
    assert b.phi == pytest.approx(a.phi, abs=1e-6)
    assert b.variances()["site"] == pytest.approx(a.variances()["site"] * scale**2, rel=1e-5)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="missing: rater"):
        site_g_study(audit().drop(columns="rater"))
    with pytest.raises(ValueError, match="informant must be"):
        site_g_study(audit(), informant="other")  # type: ignore[arg-type]
    g = site_g_study(audit("audit_one_round"), se=False)
    with pytest.raises(ValueError, match="positive integers"):
        site_d_study(g, [0])
    with pytest.raises(ValueError, match="strictly between"):
        interviews_needed(g, 1.0)
    frame = audit("audit_one_round")
    assert np.isfinite(site_g_study(frame.assign(score=frame["score"].where(
        frame.index % 7 != 0)), se=False).phi)  # fmt: skip


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_components_do_not_depend_on_row_order_or_labels(seed: int) -> None:
    d = audit("audit_one_round")
    base = site_g_study(d, se=False).variances()
    rng = np.random.default_rng(seed)
    shuffled = d.iloc[rng.permutation(len(d))].reset_index(drop=True)
    relabel = {s: f"x{k}" for k, s in enumerate(rng.permutation(d["site"].unique()))}
    shuffled["site"] = shuffled["site"].map(relabel)
    shuffled["rater"] = shuffled["rater"].str.upper()
    got = site_g_study(shuffled, se=False).variances()
    for name, value in base.items():
        if math.isnan(value):
            assert math.isnan(got[name])
        else:
            assert got[name] == pytest.approx(value, abs=1e-6), name
