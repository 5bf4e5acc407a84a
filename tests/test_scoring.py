"""Scoring: hand-worked cases for every rule, laws checked with hypothesis, and equality with a
straightforward one-sheet-at-a-time reference implementation kept here."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fidelity
from fidelity.instrument import Instrument
from fidelity.ratings import SheetsInvalidError
from fidelity.scoring import DECIMALS, assign_bands, score, score_values

DATA = Path(__file__).parent / "data" / "instruments"
HAND = fidelity.load_instrument(DATA / "hand.yaml")
ITEMS_MEAN = fidelity.load_instrument(DATA / "items-mean.yaml")
THIRDS = fidelity.load_instrument(DATA / "thirds.yaml")


def sheet(
    assessment: str, rater: str = "r1", informant: str = "peer-worker", **ratings: Any
) -> dict[str, Any]:
    return {"assessment": assessment, "rater": rater, "informant": informant, "ratings": ratings}


def row(inst: Instrument, s: dict[str, Any]) -> dict[str, Any]:
    frame = score(inst, [s]).to_pandas()
    return frame.iloc[0].to_dict()


# ---------------------------------------------------------------------------------------------
# The reference implementation: one sheet at a time, plain Python.


def reference(inst: Instrument, s: dict[str, Any]) -> tuple[list[float], float, str | None]:
    """Domain scores, overall and band of one sheet, written as directly as the rules read."""
    ratings = s.get("ratings", {})
    domains: list[float] = []
    all_num = 0.0
    all_den = 0.0
    for dom in inst.domains:
        num = 0.0
        den = 0.0
        count = 0
        for item in inst.items_in(dom.id):
            v = ratings.get(item.id)
            if not isinstance(v, int) or isinstance(v, bool):
                continue  # NA, missing or not asked
            scale = inst.scale_of(item)
            item_score = scale.max + scale.min - v if item.reverse else v
            num += item.weight * item_score
            den += item.weight
            count += 1
        domains.append(num / den if count >= dom.min_answered else math.nan)
        all_num += num
        all_den += den
    missing = sum(math.isnan(d) for d in domains)
    if missing > inst.scoring.max_missing_domains:
        overall = math.nan
    elif inst.scoring.overall == "mean_of_items":
        overall = all_num / all_den if all_den > 0 else math.nan
    else:
        present = [d for d in domains if not math.isnan(d)]
        total = 0.0
        for d in present:
            total += d
        overall = total / len(present) if present else math.nan
    domains = [float(np.round(d, DECIMALS)) for d in domains]
    overall = float(np.round(overall, DECIMALS))
    band = inst.band_for(overall)
    return domains, overall, band.id if band else None


# ---------------------------------------------------------------------------------------------
# Hand-worked cases (hand.yaml: alpha = a1 weight 2, a2, a3 reverse on 0-2; beta = b1, b2)


def test_weights_and_reverse_scoring_on_a_scale_from_zero() -> None:
    # a3 = 0 on the 0-2 scale reverses to 2 + 0 - 0 = 2
    # alpha = (2*4 + 1*1 + 1*2) / (2 + 1 + 1) = 11/4 = 2.75; beta = 3; overall = 2.875
    r = row(HAND, sheet("s1", a1=4, a2=1, a3=0, b1=3))
    assert r["alpha"] == 2.75 and r["beta"] == 3.0
    assert r["overall"] == 2.875 and r["band"] == "mid"
    assert (r["n_answered"], r["n_na"], r["n_missing"], r["n_not_asked"]) == (4, 0, 0, 1)


def test_reverse_midpoint_and_top() -> None:
    assert row(HAND, sheet("s", a1=1, a2=1, a3=1, b1=1))["alpha"] == 1.0  # 1 reverses to 1
    # a3 = 2 reverses to 0: (2*1 + 1 + 0) / 4 = 0.75
    assert row(HAND, sheet("s", a1=1, a2=1, a3=2, b1=1))["alpha"] == 0.75


def test_na_is_left_out_of_the_mean_and_counted() -> None:
    # a3 NA: alpha = (2*3 + 2) / 3 = 8/3
    r = row(HAND, sheet("s", a1=3, a2=2, a3="NA", b1=4))
    assert r["alpha"] == pytest.approx(8 / 3, abs=1e-10)
    assert r["n_na"] == 1 and r["n_answered"] == 3


def test_missing_below_min_answered_makes_the_domain_and_overall_missing() -> None:
    # alpha needs 2 answers: a1 only (a2 missing, a3 NA) -> alpha missing -> overall missing
    r = row(HAND, sheet("s", a1=5, a3="NA", b1=2))
    assert math.isnan(r["alpha"]) and r["beta"] == 2.0
    assert math.isnan(r["overall"]) and r["band"] is None
    assert (r["n_answered"], r["n_na"], r["n_missing"], r["n_not_asked"]) == (2, 1, 1, 1)


def test_missing_at_min_answered_still_scores() -> None:
    # exactly 2 answered in alpha (a2 missing): (2*2 + 1*(2-1)) / 3 = 5/3
    r = row(HAND, sheet("s", a1=2, a3=1, b1=2))
    assert r["alpha"] == pytest.approx(5 / 3, abs=1e-10)
    assert r["overall"] == pytest.approx((5 / 3 + 2) / 2, abs=1e-10)


def test_informant_only_items_count_for_that_informant() -> None:
    # b2 is asked of supervisors only: beta = (2 + 5) / 2 for a supervisor
    r = row(HAND, sheet("s", informant="supervisor", a1=3, a2=3, a3=1, b1=2, b2=5))
    assert r["beta"] == 3.5 and r["n_not_asked"] == 0


@pytest.mark.parametrize(
    ("ratings", "overall", "band"),
    [
        ({"a1": 2, "a2": 2, "a3": "NA", "b1": 3}, 2.5, "mid"),  # exactly on the low/mid cut
        ({"a1": 4, "a2": 4, "a3": "NA", "b1": 4}, 4.0, "high"),  # exactly on mid/high
        ({"a1": 5, "a2": 5, "a3": "NA", "b1": 5}, 5.0, "high"),  # the top, included
        ({"a1": 1, "a2": 1, "a3": 2, "b1": 1}, 0.875, "low"),
    ],
)
def test_band_edges(ratings: dict[str, Any], overall: float, band: str) -> None:
    r = row(HAND, sheet("s", **ratings))
    assert r["overall"] == overall and r["band"] == band


def test_band_assignment_matches_band_for_at_and_around_every_cut() -> None:
    xs = np.array([0.49, 0.5, 1.0, 2.4999999, 2.5, 3.99, 4.0, 4.999, 5.0, 5.0001, math.nan])
    got = list(assign_bands(HAND, xs))
    want = [(HAND.band_for(x).id if HAND.band_for(x) else None) for x in xs]
    assert (
        got == want == [None, "low", "low", "low", "mid", "mid", "high", "high", "high", None, None]
    )


def test_a_cut_off_score_is_not_pushed_below_the_cut_by_rounding() -> None:
    # domain means 8/3, 2 and 4/3: exactly 2 overall, but in floating point
    # (8/3 + 2 + 4/3) / 3 is 1.9999999999999998
    naive = (8 / 3 + 6 / 3 + 4 / 3) / 3
    assert naive < 2
    s = sheet("s", informant="rater", i11=2, i12=2, i13=4, i21=3, i22=1, i23=2, i31=1, i32=2, i33=1)
    r = row(THIRDS, s)
    assert r["overall"] == 2.0 and r["band"] == "mid"


def test_mean_of_items_with_one_missing_domain_allowed() -> None:
    # x1 = 1, x2 = 3 (weight 3), y1 = 4 reversed to 1, y2 and z1 missing (d3 missing: allowed)
    # overall = (1 + 9 + 1) / (1 + 3 + 1) = 2.2; d1 = 10/4; d2 = 1
    r = row(ITEMS_MEAN, sheet("s", x1=1, x2=3, y1=4))
    assert r["d1"] == 2.5 and r["d2"] == 1.0 and math.isnan(r["d3"])
    assert r["overall"] == pytest.approx(2.2, abs=1e-12) and r["band"] == "mid"
    # two missing domains is one too many
    r = row(ITEMS_MEAN, sheet("s", x1=1))
    assert math.isnan(r["overall"]) and r["band"] is None


def test_invalid_sheets_are_refused_with_every_problem() -> None:
    with pytest.raises(SheetsInvalidError) as info:
        score(HAND, [sheet("s", a1=9, a2="x", b1=1)])
    codes = sorted(p.code for p in info.value.problems.errors)
    assert codes == ["FR101", "FR102"]
    assert "nothing was scored" in str(info.value)


# ---------------------------------------------------------------------------------------------
# Per assessment and per site, provenance, JSON


def audit() -> list[dict[str, Any]]:
    return [
        {**sheet("A", "r1", a1=4, a2=4, a3=0, b1=4), "site": "north"},  # alpha 3.5, beta 4
        {**sheet("A", "r2", a1=2, a2=2, a3=2, b1=2), "site": "north"},  # alpha 1.5, beta 2
        {**sheet("B", "r1", a1=3, a2=3, a3=1, b1=3), "site": "north"},  # alpha 2, beta 3
        {**sheet("B", "r2", a1=5, a2=5, a3=0, b1=5), "site": "north"},
        {**sheet("B", "cons", a1=4, a2=4, a3=1, b1=4), "site": "north", "consensus": True},
        {**sheet("C", "r1", a1=1, a2=1, a3=2, b1=1), "site": "south"},
    ]


def test_by_assessment_uses_consensus_else_mean_of_raters() -> None:
    per = score(HAND, audit()).by_assessment().set_index("assessment")
    assert per.loc["A", "basis"] == "mean of 2 raters" and per.loc["A", "n_sheets"] == 2
    # r1: alpha (8+4+2)/4 = 3.5, overall 3.75; r2: alpha (4+2+0)/4 = 1.5, overall 1.75
    assert per.loc["A", "alpha"] == 2.5 and per.loc["A", "overall"] == 2.75
    assert per.loc["A", "band"] == "mid"
    assert per.loc["B", "basis"] == "consensus" and per.loc["B", "n_sheets"] == 3
    # consensus: alpha (8 + 4 + 1) / 4 = 3.25, beta 4, overall 3.625
    assert per.loc["B", "alpha"] == 3.25 and per.loc["B", "overall"] == 3.625
    assert per.loc["C", "basis"] == "single rating"


def test_an_assessment_without_a_round_among_rounds_keeps_its_basis() -> None:
    sheets = [{**s, "round": "6m"} for s in audit()[:2]] + audit()[2:]  # B and C name none
    result = score(HAND, sheets)
    per = result.by_assessment()
    assert per["round"].isna().tolist() == [False, True, True]
    assert per["basis"].tolist() == ["mean of 2 raters", "consensus", "single rating"]
    assert per["n_sheets"].tolist() == [2, 3, 1]
    assert per["overall"].tolist() == [2.75, 3.625, result.overall[-1]]


def test_site_informants_are_sorted_and_missing_ones_left_out() -> None:
    sheets = [
        {**sheet("A", informant="supervisor", a1=1, b1=1), "site": "s"},
        {**sheet("B", informant="peer-worker", a1=1, b1=1), "site": "s"},
        {**sheet("C", informant="peer-worker", a1=1, b1=1), "site": "t"},
        {**sheet("D", informant="supervisor", a1=1, b1=1), "site": "t"},
        {**sheet("E", a1=1, b1=1), "site": "u"},
    ]
    del sheets[4]["informant"]
    sites = score(HAND, sheets).site_scores()
    assert sites["informants"].tolist() == ["peer-worker, supervisor"] * 2 + [""]
    assert sites["n_assessments"].tolist() == [2, 2, 1]


def test_by_site_summarises_per_assessment_scores() -> None:
    result = score(HAND, audit())
    site = result.by_site().set_index(["site", "score"])
    north = site.loc[("north", "overall")]
    assert north["n"] == 2
    assert north["mean"] == pytest.approx((2.75 + 3.625) / 2)
    assert north["sd"] == pytest.approx(np.std([2.75, 3.625], ddof=1))
    assert (north["min"], north["max"]) == (2.75, 3.625)
    south = site.loc[("south", "alpha")]
    assert south["n"] == 1 and math.isnan(south["sd"])


def test_provenance_and_json() -> None:
    result = score(HAND, audit())
    prov = result.provenance
    assert prov["instrument"] == "hand@1.0.0" and prov["content_hash"] == HAND.content_hash
    assert prov["fidelity_version"] == fidelity.__version__
    assert prov["scored_at"].endswith("Z") and "T" in prov["scored_at"]
    frame = result.to_pandas()
    assert frame.attrs["provenance"] == prov
    assert list(frame.columns[:6]) == [
        "assessment",
        "rater",
        "site",
        "informant",
        "date",
        "consensus",
    ]
    assert {"alpha", "beta", "overall", "band", "n_answered", "n_na", "n_missing"} <= set(
        frame.columns
    )
    data = json.loads(result.to_json())
    assert data["provenance"] == prov
    assert len(data["sheets"]) == 6 and len(data["assessments"]) == 3
    assert data["sheets"][0]["alpha"] == 3.5
    missing = json.loads(score(HAND, [sheet("s", a1=1, b1=1)]).to_json())
    assert missing["sheets"][0]["alpha"] is None and missing["sheets"][0]["band"] is None


def test_empty_result_tables() -> None:
    result = score(HAND, [sheet("s", a1=1, a2=1, b1=1)])
    assert len(result) == 1
    assert len(result.by_site()) == 3  # alpha, beta, overall for "(no site)"
    assert result.by_site()["site"].unique().tolist() == ["(no site)"]


# ---------------------------------------------------------------------------------------------
# Laws


LEVELS = st.one_of(st.none(), st.integers(1, 5))
A3 = st.one_of(st.none(), st.just("NA"), st.integers(0, 2))
B2 = st.one_of(st.none(), st.just("NA"), st.integers(1, 5))


@st.composite
def hand_sheets(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> list[dict[str, Any]]:
    n = draw(st.integers(min_size, max_size))
    out = []
    for k in range(n):
        informant = draw(st.sampled_from(["peer-worker", "supervisor"]))
        ratings = {"a1": draw(LEVELS), "a2": draw(LEVELS), "a3": draw(A3), "b1": draw(LEVELS)}
        if informant == "supervisor":
            ratings["b2"] = draw(B2)
        out.append(
            {"assessment": f"a{k}", "rater": "r", "informant": informant, "ratings": ratings}
        )
    return out


def frame_of(inst: Instrument, sheets: list[dict[str, Any]]) -> np.ndarray:
    frame = score(inst, sheets).to_pandas()
    return frame[[d.id for d in inst.domains] + ["overall"]].to_numpy(dtype=float)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(hand_sheets())
def test_vectorised_batch_equals_the_reference(sheets: list[dict[str, Any]]) -> None:
    result = score(HAND, sheets)
    for k, s in enumerate(sheets):
        domains, overall, band = reference(HAND, s)
        got = [*result.domains[k].tolist(), float(result.overall[k])]
        assert np.array_equal(np.array(got), np.array([*domains, overall]), equal_nan=True)
        assert result.band[k] == band


@FAST
@given(hand_sheets())
def test_scores_stay_inside_the_scale_range(sheets: list[dict[str, Any]]) -> None:
    values = frame_of(HAND, sheets)
    lo, hi = HAND.score_range()
    dom = values[:, :2]
    assert np.all(np.isnan(dom) | ((dom >= 0) & (dom <= 5)))
    overall = values[:, 2]
    assert np.all(np.isnan(overall) | ((overall >= lo) & (overall <= hi)))


@FAST
@given(hand_sheets(min_size=2), st.randoms(use_true_random=False))
def test_permuting_sheets_permutes_rows(sheets: list[dict[str, Any]], rnd: Any) -> None:
    order = list(range(len(sheets)))
    rnd.shuffle(order)
    before = frame_of(HAND, sheets)
    after = frame_of(HAND, [sheets[k] for k in order])
    assert np.array_equal(after, before[order], equal_nan=True)


@FAST
@given(hand_sheets(max_size=6), st.data())
def test_a_sheets_score_does_not_depend_on_the_batch(
    sheets: list[dict[str, Any]], data: st.DataObject
) -> None:
    batch = frame_of(HAND, sheets)
    k = data.draw(st.integers(0, len(sheets) - 1))
    alone = frame_of(HAND, [sheets[k]])
    assert np.array_equal(alone[0], batch[k], equal_nan=True)


@FAST
@given(hand_sheets(max_size=1), st.sampled_from(["a1", "a2", "b1"]))
def test_raising_a_non_reversed_item_never_lowers_its_domain(
    sheets: list[dict[str, Any]], item: str
) -> None:
    s = sheets[0]
    v = s["ratings"][item]
    if v is None or v == 5:
        return
    raised = {**s, "ratings": {**s["ratings"], item: v + 1}}
    d = 0 if item.startswith("a") else 1
    before = frame_of(HAND, [s])[0, d]
    after = frame_of(HAND, [raised])[0, d]
    assert (math.isnan(before) and math.isnan(after)) or after >= before


def test_raising_a_reversed_item_never_raises_its_domain() -> None:
    base = sheet("s", a1=3, a2=3, b1=3)
    scores = [
        row(HAND, {**base, "ratings": {**base["ratings"], "a3": v}})["alpha"] for v in (0, 1, 2)
    ]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_reference_equality_on_simulated_enrich_audits(seed: int) -> None:
    from fidelity.simulate import simulate_audit

    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_audit(inst, n_sites=4, seed=seed, p_missing=0.1)
    result = score(inst, sim.sheets)
    for k, s in enumerate(sim.sheets):
        domains, overall, band = reference(inst, s)
        got = np.array([*result.domains[k].tolist(), result.overall[k]])
        assert np.array_equal(got, np.array([*domains, overall]), equal_nan=True)
        assert result.band[k] == band


def test_score_values_on_a_raw_matrix() -> None:
    values = np.array([[4, 1, 0, 3, np.nan], [np.nan, np.nan, np.nan, np.nan, np.nan]])
    domains, overall = score_values(HAND, values)
    assert domains[0].tolist() == [2.75, 3.0] and overall[0] == 2.875
    assert np.isnan(domains[1]).all() and np.isnan(overall[1])


def test_score_values_scores_each_sheet_alone_across_blocks_and_layouts() -> None:
    # sheets are scored a block at a time; a sheet's scores never depend on the others
    rng = np.random.default_rng(20_240_601)
    values = rng.integers(0, 5, size=(70_001, 5)).astype(float)  # more than two blocks
    values[rng.random(values.shape) < 0.3] = np.nan
    domains, overall = score_values(HAND, values)
    f_domains, f_overall = score_values(HAND, np.asfortranarray(values))
    assert np.array_equal(domains, f_domains, equal_nan=True)
    assert np.array_equal(overall, f_overall, equal_nan=True)
    for k in rng.choice(values.shape[0], 200, replace=False).tolist():
        one_domains, one_overall = score_values(HAND, values[k : k + 1])
        assert np.array_equal(one_domains[0], domains[k], equal_nan=True)
        assert np.array_equal(one_overall, overall[k : k + 1], equal_nan=True)


def test_site_scores_combine_interviews_that_cannot_score_every_domain_alone() -> None:
    inst = fidelity.load_instrument(Path(__file__).parent / "data" / "lint" / "minimal.yaml")

    def sheet(a: str, inf: str, ratings: dict[str, int], site: str = "s1") -> dict[str, object]:
        return {
            "instrument": "mini@1.0.0",
            "assessment": a,
            "rater": "r1",
            "site": site,
            "informant": inf,
            "ratings": ratings,
        }

    result = fidelity.score(
        inst,
        [
            sheet("pw", "peer-worker", {"t-open": 4, "c-goals": 2}),  # choosing: 1 of 2 needed
            sheet("sv", "supervisor", {"c-goals": 3, "c-pace": 1}),  # trusting: not asked
            sheet("pw2", "peer-worker", {"t-open": 1, "c-goals": 1}, site="s2"),
        ],
    )
    per_sheet = result.to_pandas()
    assert per_sheet["overall"].isna().all()
    sites = result.site_scores().set_index("site")
    assert sites.loc["s1", "trusting"] == 4.0
    assert sites.loc["s1", "choosing"] == 2.0
    assert sites.loc["s1", "overall"] == 3.0
    assert sites.loc["s1", "band"] == "high"
    assert sites.loc["s1", "n_assessments"] == 2
    assert sites.loc["s1", "informants"] == "peer-worker, supervisor"
    # one interview cannot score 'choosing', so site s2 has no overall score
    assert math.isnan(sites.loc["s2", "overall"]) and sites.loc["s2", "band"] is None
    assert "site_scores" in json.loads(result.to_json())
