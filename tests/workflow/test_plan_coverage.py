"""The planning simulation's claims against the simulator's true reliability.

``fidelity plan -i`` claims, for a stated rater noise, the expected half-width of each score's
ICC interval and the probability that it is at most a target. The true ICC(1,1) of every
ENRICH score under the simulator was estimated once from very large audits
(``tests/data/plan/true_icc.py``, numbers in ``true_icc.json``). Here, with fixed seeds:

* where the one-way model holds (one double-rated interview per site), the reported F
  intervals cover the true ICC at the nominal 95% (measured 0.932 to 0.960 over the six
  scores, 400 audits each);
* where several interviews of one site are double-rated (all three informants of 12 sites),
  interviews of a site share the site's true level, the one-way model's independence fails
  and the intervals cover less (measured 0.897 to 0.978, mean 0.926): the half-widths the
  plan reports are those the analysis will report, but their coverage is then below nominal;
* the "probability <= target" column matches the frequency in fresh audits within Monte
  Carlo error, and where the closed form applies (independent interviews, two raters) the
  simulated half-width and probability match the exact F distribution at the true ICC.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fidelity
from fidelity import planning as pl
from fidelity.ratings.compiled import compile_instrument
from fidelity.scoring import score_values
from fidelity.simulate import simulate_audit
from fidelity.stats.icc import icc

TRUTH_FILE = Path(__file__).parents[1] / "data" / "plan" / "true_icc.json"
TRUTH = json.loads(TRUTH_FILE.read_text(encoding="utf-8"))
INST = fidelity.load_instrument(TRUTH["instrument"])
SCORES = [*compile_instrument(INST).domain_ids, "overall"]


def _truth(rater_sd: float, informants: list[str] | None) -> dict[str, float]:
    for s in TRUTH["settings"]:
        if s["rater_sd"] == rater_sd and s["informants"] == informants:
            return {k: v["icc"] for k, v in s["icc"].items()}
    raise KeyError((rater_sd, informants))


def _coverage(reps: pd.DataFrame, truth: dict[str, float]) -> dict[str, float]:
    out = {}
    for score, g in reps.groupby("score", sort=False):
        ok = g.dropna(subset=["lower"])
        assert len(ok) == len(g)  # every interval defined
        t = truth[str(score)]
        out[str(score)] = float(((ok["lower"] <= t) & (t <= ok["upper"])).mean())
    return out


def test_true_icc_file_is_current() -> None:
    """A smaller fresh estimate (2 audits of 3000 sites) agrees with the committed numbers
    within 0.02, and the file covers every score."""
    truth = _truth(0.5, None)
    assert set(truth) == set(SCORES)
    c = compile_instrument(INST)
    est = []
    for seed in (1, 2):
        sim = simulate_audit(INST, 3000, double_rated=1.0, consensus=0, seed=seed)
        domains, overall = score_values(c, sim.values)
        pairs = np.column_stack([domains, overall]).reshape(-1, 2, len(SCORES))
        est.append([icc(pairs[:, :, j], form="ICC(1,1)").value for j in range(len(SCORES))])
    for name, value in zip(SCORES, np.mean(est, axis=0), strict=True):
        assert value == pytest.approx(truth[name], abs=0.02), name


def test_intervals_cover_the_true_icc_when_interviews_are_independent() -> None:
    """One informant per site, 36 sites all double-rated, 400 audits: each score's coverage
    is 0.95 within 3.2 Monte Carlo standard errors (0.035), their mean within 0.015."""
    reps = pl.plan_replicates(INST, 36, 1.0, n_reps=400, seed=3, informants=["peer-worker"])
    cov = _coverage(reps, _truth(0.5, ["peer-worker"]))
    assert set(cov) == set(SCORES)
    for score, c in cov.items():
        assert c == pytest.approx(0.95, abs=0.035), score
    assert np.mean(list(cov.values())) == pytest.approx(0.95, abs=0.015)


def test_intervals_cover_less_when_interviews_of_a_site_are_double_rated_together() -> None:
    """All three informants of 12 sites double-rated (rater noise 1.0, true ICC about 0.61):
    the domains asked of every informant, whose 36 interviews come three to a site, are
    covered about 90% of the time, not 95%."""
    reps = pl.plan_replicates(INST, 12, 1.0, n_reps=400, seed=4, rater_sd=1.0)
    cov = _coverage(reps, _truth(1.0, None))
    for score in ("trusting-relationships", "choice-and-control"):
        assert 0.85 <= cov[score] <= 0.925, (score, cov[score])
    assert 0.9 <= np.mean(list(cov.values())) <= 0.94


def test_probability_below_target_matches_fresh_audits() -> None:
    """``p_target`` from 200 audits against the share of 400 other audits (another seed)
    whose half-width is at most the target: within three standard errors of the
    difference. The table summarises exactly the replicates plan_replicates returns."""
    target = 0.15
    table = pl.simulate_plan(INST, [24], [1 / 3], target=target, n_reps=200, seed=5)
    fresh = pl.plan_replicates(INST, 24, 1 / 3, n_reps=400, seed=6)
    for score, g in fresh.groupby("score", sort=False):
        p = float(table.loc[table["score"] == score, "p_target"].iloc[0])
        empirical = float(((g["upper"] - g["lower"]) / 2 <= target).mean())
        se = math.sqrt(max(p * (1 - p), 0.05) * (1 / 200 + 1 / 400))
        assert empirical == pytest.approx(p, abs=3 * se), score
    same = pl.plan_replicates(INST, 24, 1 / 3, n_reps=200, seed=5)
    half = ((same["upper"] - same["lower"]) / 2).groupby(same["score"], sort=False).mean()
    assert np.allclose(half.to_numpy(), table["half_width"].to_numpy())


def test_simulation_agrees_with_the_exact_closed_form() -> None:
    """Independent interviews, two raters, 36 pairs: the simulated mean half-width is half
    the exact expected width at the true ICC within 2%, and ``p_target`` is the exact
    probability within 0.07 (300 audits, three standard errors 0.085)."""
    truth = _truth(0.5, ["peer-worker"])
    table = pl.simulate_plan(
        INST, [36], [1.0], target=0.1, n_reps=300, seed=7, informants=["peer-worker"]
    )
    for row in table.itertuples(index=False):
        rho = truth[str(row.score)]
        assert row.n_pairs == 36
        assert float(row.half_width) == pytest.approx(
            pl.icc_expected_width(36, rho, 2) / 2, rel=0.02
        )
        assert float(row.p_target) == pytest.approx(
            pl.icc_width_probability(36, rho, 2, 0.2), abs=0.07
        )


def test_plan_replicates_refuses_no_replicates() -> None:
    with pytest.raises(ValueError, match="n_reps must be at least 1"):
        pl.plan_replicates(INST, 12, 0.5, n_reps=0)
