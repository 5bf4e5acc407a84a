"""Planning: the closed forms against Monte Carlo simulation of the models they assume and
against the exact distribution; the audit simulation reproducible and consistent with them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

import fidelity
from fidelity import planning as pl
from fidelity.cli import app
from fidelity.reliability import icc

INST = fidelity.load_instrument("enrich-peer-support@1.1.0")


def _one_way(rng: np.random.Generator, n: int, k: int, rho: float) -> np.ndarray:
    """n subjects x k raters from the one-way random model with ICC rho."""
    return rng.normal(0, math.sqrt(rho), (n, 1)) + rng.normal(0, math.sqrt(1 - rho), (n, k))


def _widths(n: int, k: int, rho: float, reps: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(reps):
        e = icc(_one_way(rng, n, k, rho), form="ICC(1,1)")
        out.append(e.ci[1] - e.ci[0])
    return np.asarray(out)


def test_bonett_formula_values() -> None:
    """Eq. (6) of Bonett (2002) by hand: rho .7, k 2, w .2 (with the 5 rho correction) and
    rho .6, k 3, w .3."""
    z = stats.norm.ppf(0.975)
    by_hand = 8 * z**2 * 0.3**2 * 1.7**2 / (2 * 0.2**2) + 1 + 5 * 0.7
    assert pl.icc_n_precision(0.7, 2, 0.2) == math.ceil(by_hand) == 105
    by_hand = 8 * z**2 * 0.4**2 * 2.2**2 / (6 * 0.3**2) + 1
    assert pl.icc_n_precision(0.6, 3, 0.3) == math.ceil(by_hand)


@pytest.mark.parametrize(("rho", "k", "w"), [(0.7, 2, 0.2), (0.8, 2, 0.3), (0.6, 3, 0.3)])
def test_bonett_n_gives_the_width_on_average(rho: float, k: int, w: float) -> None:
    """Monte Carlo (400 one-way data sets): the mean width of the exact F interval at
    Bonett's n is the target width within 6%."""
    n = pl.icc_n_precision(rho, k, w)
    assert np.mean(_widths(n, k, rho, 400, 7)) == pytest.approx(w, rel=0.06)


@pytest.mark.parametrize(("rho", "k", "w"), [(0.7, 2, 0.2), (0.8, 2, 0.3), (0.6, 3, 0.3)])
def test_zou_n_gives_the_width_with_the_assurance(rho: float, k: int, w: float) -> None:
    n = pl.icc_n_assurance(rho, k, w, assurance=0.8)
    exact = pl.icc_width_probability(n, rho, k, w)
    mc = np.mean(_widths(n, k, rho, 400, 11) <= w)
    assert exact == pytest.approx(mc, abs=0.06)  # the exact check against simulation
    assert 0.74 <= exact <= 0.9  # Zou's closed form reaches about the assurance asked for
    assert pl.icc_width_probability(n, rho, k, w) > pl.icc_width_probability(
        pl.icc_n_precision(rho, k, w), rho, k, w
    )


@pytest.mark.parametrize(("rho0", "rho1", "k"), [(0.6, 0.8, 2), (0.4, 0.7, 2), (0.5, 0.8, 3)])
def test_walter_n_has_the_power(rho0: float, rho1: float, k: int) -> None:
    """The F test of rho0 at Walter's n rejects with probability about 0.8 when rho is rho1
    (exact power from the F distribution, and 2000 simulated data sets)."""
    n = pl.icc_n_test(rho0, rho1, k)
    d1, d2 = n - 1, n * (k - 1)
    t0, t1 = rho0 / (1 - rho0), rho1 / (1 - rho1)
    crit = stats.f.ppf(0.95, d1, d2)
    exact = stats.f.sf(crit * (1 + k * t0) / (1 + k * t1), d1, d2)
    rng = np.random.default_rng(5)
    x = rng.normal(0, math.sqrt(rho1), (2000, n, 1)) + rng.normal(
        0, math.sqrt(1 - rho1), (2000, n, k)
    )
    msb = k * x.mean(axis=2).var(axis=1, ddof=1)
    msw = ((x - x.mean(axis=2, keepdims=True)) ** 2).sum(axis=(1, 2)) / d2
    mc = np.mean(msb / msw > crit * (1 + k * t0))
    assert exact == pytest.approx(0.8, abs=0.03)
    assert mc == pytest.approx(exact, abs=0.03)


def _binary_pairs(rng: np.random.Generator, n: int, kappa: float, p: float) -> np.ndarray:
    """Two raters, two categories, common-correlation model (Bloch & Kraemer 1989)."""
    q = 1 - p
    probs = [p * p + kappa * p * q, p * q * (1 - kappa), p * q * (1 - kappa), q * q + kappa * p * q]
    cells = rng.choice(4, size=n, p=probs)
    return np.column_stack([cells < 2, cells % 2 == 0]).astype(float)


def _intraclass_kappa(x: np.ndarray) -> float:
    p = x.mean()
    agree = np.mean(x[:, 0] == x[:, 1])
    pe = p**2 + (1 - p) ** 2
    return float((agree - pe) / (1 - pe))


def test_kappa_n_test_reproduces_the_irr_package() -> None:
    """R irr's ``N.cohen.kappa(0.5, 0.5, 0.7, 0.85)`` (Cantor 1996's method, an independent
    implementation with the Fleiss-Cohen-Everitt variance) documents 96 subjects for testing
    kappa 0.85 against 0.7 with both raters at 50% positive, one-sided alpha 0.05, power 0.8;
    at equal marginals that variance is Bloch & Kraemer's."""
    assert pl.kappa_n_test(0.85, 0.7, 0.5) == 96
    assert pl.kappa_variance(0.7, 0.5) == pytest.approx(0.51)


def test_kappa_variance_matches_simulation() -> None:
    rng = np.random.default_rng(9)
    for kappa, p, n in [(0.6, 0.3, 200), (0.4, 0.5, 150), (0.8, 0.2, 300)]:
        est = [_intraclass_kappa(_binary_pairs(rng, n, kappa, p)) for _ in range(3000)]
        assert np.std(est) == pytest.approx(math.sqrt(pl.kappa_variance(kappa, p, n)), rel=0.06)


def test_kappa_n_test_has_the_power() -> None:
    rng = np.random.default_rng(4)
    k0, k1, p = 0.4, 0.6, 0.3
    n = pl.kappa_n_test(k0, k1, p)
    crit = k0 + stats.norm.ppf(0.95) * math.sqrt(pl.kappa_variance(k0, p, n))
    power = np.mean([_intraclass_kappa(_binary_pairs(rng, n, k1, p)) > crit for _ in range(3000)])
    assert power == pytest.approx(0.8, abs=0.04)
    width = (
        2
        * stats.norm.ppf(0.975)
        * math.sqrt(pl.kappa_variance(0.6, 0.3, pl.kappa_n_precision(0.6, 0.3, 0.3)))
    )
    assert width <= 0.3


@pytest.mark.parametrize(("k0", "k1", "p"), [(0.4, 0.6, 0.3), (0.6, 0.8, 0.5)])
def test_kappa_n_gof_has_the_power(k0: float, k1: float, p: float) -> None:
    """Donner & Eliasziw's goodness-of-fit test at their n, 4000 simulated studies: the
    chi-square statistic of the three outcome counts against the cell probabilities under
    kappa0 (prevalence estimated, one degree of freedom) rejects in 80% to 90% (measured:
    0.80 at (0.4, 0.6, 0.3) and 0.86 at (0.6, 0.8, 0.5): the approximation errs on the safe
    side)."""
    n = pl.kappa_n_gof(k0, k1, p)
    rng = np.random.default_rng(12)
    counts = np.zeros((4000, 3))
    for r in range(4000):
        x = _binary_pairs(rng, n, k1, p)
        counts[r] = np.bincount(x.sum(axis=1).astype(int), minlength=3)
    p_hat = (counts[:, 1] + 2 * counts[:, 2]) / (2 * n)
    pq = p_hat * (1 - p_hat)
    expected = n * np.column_stack(
        [(1 - p_hat) ** 2 + k0 * pq, 2 * (1 - k0) * pq, p_hat**2 + k0 * pq]
    )
    chi = ((counts - expected) ** 2 / expected).sum(axis=1)
    power = np.mean(chi > stats.chi2.ppf(0.95, 1))
    assert 0.77 <= power <= 0.9


@pytest.mark.parametrize(
    "call",
    [
        lambda: pl.icc_n_precision(1.0, 2, 0.2),
        lambda: pl.icc_n_precision(0.5, 1, 0.2),
        lambda: pl.icc_n_precision(0.5, 2, 0),
        lambda: pl.icc_n_test(0.5, 0.5, 2),
        lambda: pl.kappa_n_precision(0.5, 0, 0.2),
        lambda: pl.icc_n_assurance(0.5, 2, 0.2, assurance=0.3),
    ],
)
def test_bad_arguments(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call()


def test_simulated_plan_is_reproducible_and_process_independent() -> None:
    a = pl.simulate_plan(INST, [12], [0.5], n_reps=6, seed=3)
    b = pl.simulate_plan(INST, [12], [0.5], n_reps=6, seed=3, processes=2)
    assert a.equals(b)
    c = pl.simulate_plan(INST, [12], [0.5], n_reps=6, seed=4)
    assert not a.equals(c)


def test_simulated_plan_agrees_with_bonett() -> None:
    """Where both apply (a domain score's ICC from two raters per interview), the simulated
    mean width is the width Bonett's formula gives for the simulated n and ICC, within 20%."""
    t = pl.simulate_plan(INST, [36], [0.5], n_reps=60, seed=1)
    row = t[t["score"] == "trusting-relationships"].iloc[0]
    n, rho = row["n_pairs"], row["icc"]
    z = stats.norm.ppf(0.975)
    bonett_w = math.sqrt(8 * z**2 * (1 - rho) ** 2 * (1 + rho) ** 2 / (2 * (n - 1 - 5 * rho)))
    assert 2 * row["half_width"] == pytest.approx(bonett_w, rel=0.2)
    assert 0 <= row["p_target"] <= 1 and row["half_width_80"] >= row["half_width"] * 0.9
    lines = pl.plan_summary(t)
    assert lines[0].startswith("36 sites, 1/2 double-rated (~54 interviews, ~")


def test_cli_plan() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["plan", "--rho", "0.7", "--width", "0.2", "--rho0", "0.5"])
    assert result.exit_code == 0, result.output
    assert "105 subjects for that expected width (Bonett 2002)" in result.output
    result = runner.invoke(
        app,
        [
            "plan",
            "-i",
            "enrich-peer-support@1.1.0",
            "--sites",
            "12",
            "--double",
            "0.5",
            "--reps",
            "4",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"bonett_2002_n"' in result.output and '"half_width"' in result.output
    bad = runner.invoke(app, ["plan", "--rho", "1.5"])
    assert bad.exit_code == 2 and "the expected ICC must be in [0, 1)" in bad.output
    result = runner.invoke(app, ["plan", "--kappa", "0.7", "--kappa0", "0.85"])
    assert result.exit_code == 0
    assert "96 subjects to tell kappa 0.7 from 0.85" in result.output
    assert (
        "item_reliability"
        in runner.invoke(
            app,
            [
                "plan",
                "-i",
                "enrich-peer-support@1.1.0",
                "--sites",
                "12",
                "--double",
                "0.5",
                "--reps",
                "2",
                "--json",
            ],
        ).output
    )
