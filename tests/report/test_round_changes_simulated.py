"""The report's verdicts on change between audit rounds, checked against a known true change:
a Monte Carlo over a fixed set of seeds of :func:`fidelity.simulate.simulate_rounds`.

The planned rate of a verdict is what the report's own threshold implies. A change is called
beyond measurement error when ``|change| > z * se`` (``threshold = z * se``), so with a true
change ``d`` and an observed change ~ Normal(d, se), the rate is
``Φ((d - z se) / se) + Φ((-d - z se) / se)``: the power implied by the smallest detectable
change for a changed site, and the nominal 5 % for an unchanged one. Averaged over the sites
and seeds (each seed with its own estimated SEM), it is compared with the observed rate.

Tolerance: three Monte Carlo standard errors, ``3 * sqrt(p (1 - p) / n)``, plus a slack for
what the normal model leaves out: 0.06 on sensitivity (rounding to levels shrinks a true
change of 0.3 by about 5 %, and the SEM is estimated from a few dozen double-rated
interviews) and 0.04 on the false-positive rate (a double-rated interview's score is the mean
of two ratings, so the report's ``se`` is conservative and the rate falls below 5 %: about
2.5 % here).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

import fidelity
from fidelity.report import measurement_error, reliability_report, round_changes, site_round_scores
from fidelity.report.rounds import BEYOND
from fidelity.scoring import score
from fidelity.simulate import simulate_rounds

SEEDS = range(2000, 2020)
DELTA = 0.3
DOMAIN = "choice-and-control"
ALL_DOMAINS = {f"site-{k:02d}": DELTA * (1 if k % 2 else -1) for k in range(1, 9)}
ONE_DOMAIN = {f"site-{k:02d}": {DOMAIN: 2 * DELTA} for k in range(9, 13)}
Z = NormalDist().inv_cdf(0.975)


def _planned(d: float, threshold: float) -> float:
    se = threshold / Z
    return NormalDist().cdf((d - threshold) / se) + NormalDist().cdf((-d - threshold) / se)


def _rates() -> dict[str, tuple[float, float, int]]:
    """Per group: (observed rate of 'beyond', planned rate, trials)."""
    inst = fidelity.load_instrument("enrich-peer-support")
    tally: dict[str, list[float]] = {k: [0, 0.0, 0] for k in ("sens", "fpr", "dom", "dom0")}
    for seed in SEEDS:
        sim = simulate_rounds(
            inst, change={**ALL_DOMAINS, **ONE_DOMAIN}, seed=seed, n_sites=24,
            double_rated=0.5, consensus=0.0, site_mean=2.5, site_sd=0.3,
        )  # fmt: skip
        frame = sim.to_pandas()
        result = score(inst, frame)
        error = measurement_error(result, reliability_report(inst, frame, n_bootstrap=0))
        changes = round_changes(site_round_scores(result), error)
        for _, row in changes.iterrows():
            site, target = row["site"], row["score"]
            if target == "overall" and site not in ONE_DOMAIN:
                key = "sens" if site in ALL_DOMAINS else "fpr"
                d = abs(ALL_DOMAINS.get(site, 0.0))
            elif target == DOMAIN and site not in ALL_DOMAINS:
                key = "dom" if site in ONE_DOMAIN else "dom0"
                d = 2 * DELTA if site in ONE_DOMAIN else 0.0
            else:
                continue
            t = tally[key]
            t[0] += row["verdict"] == BEYOND
            t[1] += _planned(d, row["threshold"])
            t[2] += 1
    return {k: (o / n, p / n, int(n)) for k, (o, p, n) in tally.items()}


@pytest.fixture(scope="module")
def rates() -> dict[str, tuple[float, float, int]]:
    return _rates()


def _tolerance(p: float, n: int, slack: float) -> float:
    return 3 * math.sqrt(p * (1 - p) / n) + slack


@pytest.mark.parametrize("group", ["sens", "dom"])
def test_known_changes_are_found_at_the_rate_the_sdc_implies(
    rates: dict[str, tuple[float, float, int]], group: str
) -> None:
    observed, planned, n = rates[group]
    assert n >= 80
    assert 0.5 < planned < 1
    assert abs(observed - planned) <= _tolerance(planned, n, 0.06), (observed, planned)


@pytest.mark.parametrize("group", ["fpr", "dom0"])
def test_unchanged_sites_are_called_changed_at_about_the_nominal_rate(
    rates: dict[str, tuple[float, float, int]], group: str
) -> None:
    observed, planned, n = rates[group]
    assert planned == pytest.approx(0.05)
    assert abs(observed - planned) <= _tolerance(planned, n, 0.04), (observed, planned)


def test_the_simulated_change_is_where_it_was_asked_for() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_rounds(inst, change={**ALL_DOMAINS, **ONE_DOMAIN}, seed=1, n_sites=24)
    assert sim.true_change is not None
    moved = {sim.sites[s] for s in np.flatnonzero(np.abs(sim.true_change[1]).sum(axis=1))}
    assert moved == set(ALL_DOMAINS) | set(ONE_DOMAIN)
    k = [d.id for d in inst.domains].index(DOMAIN)
    assert sim.true_change[1, 8, k] == 2 * DELTA
    assert np.count_nonzero(sim.true_change[1, 8]) == 1
    assert not sim.true_change[0].any()
