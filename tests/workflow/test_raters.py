"""Rater calibration: bias recovered within its interval at the nominal rate, agreement on one
level reported as undefined, certification, drift, and the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import fidelity
from fidelity.cli import app
from fidelity.raters import CalibrationError, CertificationRule, bias_interval, calibrate

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "enrich-audit.csv"
INST = fidelity.load_instrument("enrich-peer-support@1.1.0")
ITEMS = [it.id for it in INST.items]


def _vignettes(
    rng: np.random.Generator, n: int, biases: dict[str, float], dates: list[str] | None = None
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Gold sheets on levels 2-3 and rater sheets gold + e, e in {-1, 0, 1} with mean bias
    (so no level leaves the 1-4 scale and the expected difference is exactly the bias)."""
    gold, rated = [], []
    for v in range(n):
        g = rng.integers(2, 4, size=len(ITEMS))
        gold.append(
            {
                "assessment": f"v{v}",
                "rater": "expert",
                "ratings": dict(zip(ITEMS, map(int, g), strict=True)),
            }
        )
        for r, b in biases.items():
            p_up, p_down = 0.2 + max(b, 0), 0.2 + max(-b, 0)
            e = rng.choice([-1, 0, 1], p=[p_down, 1 - p_up - p_down, p_up], size=len(ITEMS))
            sheet: dict[str, object] = {
                "assessment": f"v{v}",
                "rater": r,
                "ratings": dict(zip(ITEMS, map(int, g + e), strict=True)),
            }
            if dates:
                sheet["date"] = dates[v]
            rated.append(sheet)
    return rated, gold


def test_bias_is_recovered_within_its_interval_at_the_nominal_rate() -> None:
    """Monte Carlo over a fixed set of 150 seeds: the 95% interval of each rater's bias covers
    the true bias in 95% of runs (binomial 99% band 0.905-0.99 for 300 intervals)."""
    truth = {"lenient": 0.2, "severe": -0.15}
    covered = []
    for seed in range(150):
        rated, gold = _vignettes(np.random.default_rng(seed), 8, truth)
        cal = calibrate(INST, rated, gold)
        for r in cal.raters.itertuples():
            covered.append(r.bias_low <= truth[r.rater] <= r.bias_high)
    rate = float(np.mean(covered))
    assert 0.905 <= rate <= 0.99, rate


def test_bias_interval_matches_a_cluster_robust_regression() -> None:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(3)
    sheet = np.repeat(np.arange(7), rng.integers(3, 9, size=7))
    diff = rng.normal(0.3, 1, size=sheet.size) + rng.normal(0, 0.5, size=7)[sheet]
    fit = sm.OLS(diff, np.ones((diff.size, 1))).fit(
        cov_type="cluster", cov_kwds={"groups": sheet}, use_t=True
    )
    mean, lo, hi = bias_interval(diff, sheet)
    assert mean == pytest.approx(fit.params[0])
    assert (lo, hi) == pytest.approx(tuple(fit.conf_int()[0]), rel=1e-9)


def test_agreement_on_one_level_is_undefined_not_perfect() -> None:
    gold = [
        {"assessment": f"v{v}", "rater": "expert", "ratings": dict.fromkeys(ITEMS, 3)}
        for v in range(6)
    ]
    rated = [{**g, "rater": "flat"} for g in gold]
    cal = calibrate(INST, rated, gold)
    row = cal.raters.iloc[0]
    assert row["status"] == "undefined"
    assert "level 3" in row["reason"]
    assert np.isnan(row["ac2"]) and np.isnan(row["kappa"])
    assert "| flat | 6 | 1.00 | 1.00 | — | — [—, —] |" in cal.to_markdown()
    assert row["exact"] == 1.0


def test_certification_rule() -> None:
    rated, gold = _vignettes(np.random.default_rng(1), 12, {"good": 0.0, "lenient": 0.5})
    cal = calibrate(INST, rated, gold)
    status = dict(zip(cal.raters["rater"], cal.raters["status"], strict=True))
    assert status == {"good": "pass", "lenient": "not yet"}
    assert "|bias|" in cal.raters.set_index("rater").loc["lenient", "reason"]
    strict = calibrate(INST, rated, gold, rule=CertificationRule(min_sheets=20))
    assert set(strict.raters["status"]) == {"not yet"}
    assert set(cal.domains["domain"]) == {d.id for d in INST.domains}
    d = cal.domains[cal.domains["rater"] == "lenient"]
    assert (d["bias"] > 0.25).all()


def test_drift_is_flagged_in_the_period_a_rater_slips() -> None:
    rng = np.random.default_rng(5)
    dates = ["2024-01-15"] * 6 + ["2024-05-15"] * 6
    early, gold_a = _vignettes(rng, 6, {"r": 0.0}, dates[:6])
    late, gold_b = _vignettes(rng, 6, {"r": 0.5}, dates[6:])
    for s in gold_b:
        s["assessment"] = f"late-{s['assessment']}"
    for s in late:
        s["assessment"] = f"late-{s['assessment']}"
    cal = calibrate(INST, early + late, gold_a + gold_b, period="quarter")
    flags = dict(zip(cal.drift["period"], cal.drift["flagged"], strict=True))
    assert flags == {"2024-Q1": False, "2024-Q2": True}


def test_drift_by_audit_round() -> None:
    rounds = {
        f"site-{k:02d}-{i}": ("round 1" if k <= 12 else "round 2")
        for k in range(1, 25)
        for i in ("peer-worker", "supervisor", "person-supported")
    }
    cal = calibrate(INST, EXAMPLE, period=rounds)
    assert set(cal.drift["period"]) <= {"round 1", "round 2"}
    for r in cal.drift.itertuples():
        assert r.n_sheets >= 1
    total = cal.drift.groupby("rater")["n_pairs"].sum()
    assert total.to_dict() == cal.raters.set_index("rater")["n_pairs"].to_dict()


def test_consensus_sheets_are_the_default_reference() -> None:
    cal = calibrate(INST, EXAMPLE)
    assert cal.reference == "consensus"
    assert len(cal.raters) == 8 and (cal.raters["n_sheets"] >= 1).all()
    assert cal.to_dict()["rule"]["min_ac2"] == 0.8


def test_unusable_references_are_explained() -> None:
    rated, gold = _vignettes(np.random.default_rng(2), 3, {"r": 0.0})
    with pytest.raises(CalibrationError, match="reference sheets"):
        calibrate(INST, rated, [*gold, {**gold[0], "rater": "expert-2"}])
    with pytest.raises(CalibrationError, match="no rater sheet"):
        calibrate(INST, rated)


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["raters", str(EXAMPLE), "--period", "quarter", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "Certification rule: AC2 >= 0.8" in result.output
    assert "Drift by quarter" in result.output
    assert (tmp_path / "raters-drift.csv").is_file()
    md = (tmp_path / "raters.md").read_text()
    assert md.startswith("# Rater calibration (enrich-peer-support@1.1.0)")
    assert "| rater-1 | 3 |" in md and "## Drift" in md
    result = runner.invoke(app, ["raters", str(EXAMPLE), "--json"])
    assert result.exit_code == 0 and '"reference": "consensus"' in result.output
    gold = tmp_path / "gold.csv"
    gold.write_text(EXAMPLE.read_text())
    result = runner.invoke(app, ["raters", str(EXAMPLE), "--gold", str(gold)])
    assert result.exit_code == 1
    assert "reference sheets" in result.output
