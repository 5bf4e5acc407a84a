"""The audit reliability report: design detection, hand-checked agreement, recovery of the
simulated reliability, and the ``fidelity reliability`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import fidelity
from fidelity.cli import _register_extensions, app
from fidelity.ratings import SheetsInvalidError, compile_instrument
from fidelity.reliability import icc
from fidelity.report import reliability_report
from fidelity.simulate import SimulatedAudit, simulate_audit

MINIMAL = Path(__file__).parents[1] / "data" / "lint" / "minimal.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"


@pytest.fixture(scope="module")
def mini() -> fidelity.Instrument:
    return fidelity.load_instrument(MINIMAL)


def _sheet(a: str, r: str, ratings: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"instrument": "mini@1.0.0", "assessment": a, "rater": r, "ratings": ratings, **kw}


def test_crossed_design_uses_two_way_icc_on_the_same_matrix(mini: fidelity.Instrument) -> None:
    rng = np.random.default_rng(1)
    sheets, matrix = [], []
    for k in range(12):
        row = []
        for r in ("ann", "bob"):
            vals = {i: int(rng.integers(1, 5)) for i in ("t-open", "c-goals", "c-pace")}
            sheets.append(_sheet(f"a{k}", r, vals))
            row.append(vals["t-open"])
        matrix.append(row)
    sheets.append(_sheet("single", "ann", {"t-open": 3, "c-goals": 2, "c-pace": 2}))
    report = reliability_report(mini, sheets, n_bootstrap=0)
    assert report.design["kind"] == "crossed"
    assert report.design["icc_form"] == "ICC(2,1)"
    assert report.design["raters"] == ["ann", "bob"]
    assert report.design["n_double_rated"] == 12
    row = next(s for s in report.scores if s["target"] == "trusting")
    expected = icc(np.array(matrix, dtype=float), form="ICC(2,1)")
    assert row["icc"]["value"] == pytest.approx(expected.value, abs=1e-12)
    assert row["icc"]["ci"] == pytest.approx(list(expected.ci), abs=1e-12)


def test_nested_design_and_hand_checked_item_agreement(mini: fidelity.Instrument) -> None:
    sheets = [
        _sheet("a1", "ann", {"t-open": 1, "c-goals": 2, "c-pace": "NA"}),
        _sheet("a1", "bob", {"t-open": 1, "c-goals": 3, "c-pace": 4}),
        _sheet("a2", "cat", {"t-open": 4, "c-goals": 2, "c-pace": 2}),
        _sheet("a2", "dan", {"t-open": 2, "c-goals": 2, "c-pace": 2}),
        _sheet("a3", "ann", {"t-open": 3, "c-goals": 4, "c-pace": 1}),
        _sheet("a3", "cat", {"t-open": 3, "c-goals": 4, "c-pace": 1}),
        _sheet("a3", "consensus", {"t-open": 3, "c-goals": 4, "c-pace": 1}, consensus=True),
    ]
    report = reliability_report(mini, sheets, n_bootstrap=0)
    assert report.design["kind"] == "nested" and report.design["icc_form"] == "ICC(1,1)"
    items = {row["item"]: row for row in report.items}
    # t-open pairs: (1,1) (4,2) (3,3): 2 of 3 exact, 2 of 3 within one level
    assert items["t-open"]["exact"]["value"] == pytest.approx(2 / 3)
    assert items["t-open"]["within_one"]["value"] == pytest.approx(2 / 3)
    # c-goals pairs: (2,3) (2,2) (4,4): 2 of 3 exact, all within one
    assert items["c-goals"]["exact"]["value"] == pytest.approx(2 / 3)
    assert items["c-goals"]["within_one"]["value"] == pytest.approx(1.0)
    # c-pace: NA against 4 is an NA disagreement and leaves two pairable assessments
    assert items["c-pace"]["na_disagreements"] == 1
    assert items["c-pace"]["n_pairable"] == 2
    # consistency and spread use one sheet per assessment (consensus for a3)
    assert all(row["alpha"]["n_subjects"] == 3 for row in report.consistency)
    spread = {row["item"]: row for row in report.spread}
    assert spread["t-open"]["shares"] == {
        "1": pytest.approx(1 / 3),
        "2": 0.0,
        "3": pytest.approx(1 / 3),
        "4": pytest.approx(1 / 3),
    }
    assert spread["t-open"]["unused_levels"] == [2]
    assert "unused_levels" in spread["t-open"]["flags"]


def test_invalid_sheets_are_refused(mini: fidelity.Instrument) -> None:
    with pytest.raises(SheetsInvalidError, match="FR"):
        reliability_report(mini, [_sheet("a1", "ann", {"t-open": 7})])


def test_undefined_coefficients_say_why(mini: fidelity.Instrument) -> None:
    sheets = [_sheet("a1", "ann", {"t-open": 2, "c-goals": 2, "c-pace": 2})]
    report = reliability_report(mini, sheets, n_bootstrap=0)
    assert report.design["n_double_rated"] == 0
    for row in report.scores:
        assert row["icc"]["value"] is None and row["icc"]["reason"]
    json.loads(report.to_json())


def _true_score_icc(sim: SimulatedAudit, replicates: int = 400, seed: int = 7) -> dict[str, float]:
    """Population single-rater reliability of each domain score (and the overall score) under
    the simulator's own generating model, by Monte Carlo over replicate raters."""
    inst = sim.instrument
    c = compile_instrument(inst)
    rng = np.random.default_rng(seed)
    mu = sim.true_item  # assessments × items, on the score scale
    n_a = mu.shape[0]
    first_sheet = np.searchsorted(sim.sheet_assessment, np.arange(n_a))
    asked_by = {
        i.id: np.array([i.id in it.informants for it in inst.items]) for i in inst.informants
    }
    asked = np.stack([asked_by[i] for i in sim.assessment_informant])
    excluded = ~asked | sim.na[first_sheet]
    rater_sd = sim.params["rater_sd"]
    scores = np.empty((replicates, n_a, len(c.domain_ids) + 1))
    from fidelity.scoring import score_values

    for r in range(replicates):
        level = np.clip(np.round(mu + rng.normal(0, rater_sd, size=mu.shape)), c.lo, c.hi)
        recorded = np.where(c.reverse[None, :], c.hi + c.lo - level, level)
        domains, overall = score_values(c, np.where(excluded, np.nan, recorded))
        scores[r, :, :-1] = domains
        scores[r, :, -1] = overall
    out = {}
    for k, name in enumerate([*c.domain_ids, "overall"]):
        s = scores[:, :, k]
        keep = ~np.isnan(s).any(axis=0)
        s = s[:, keep]
        within = float(np.mean(np.var(s, axis=0, ddof=1)))
        between = float(np.var(s.mean(axis=0), ddof=1)) - within / replicates
        out[name] = between / (between + within)
    return out


def test_reported_icc_recovers_the_simulated_reliability() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    sim = simulate_audit(inst, n_sites=60, double_rated=0.5, seed=11, p_missing=0.0)
    truth = _true_score_icc(sim)
    report = reliability_report(inst, sim.sheets, n_bootstrap=0)
    assert report.design["kind"] == "nested"
    for row in report.scores:
        est = row["icc"]
        low, high = est["ci"]
        assert low <= truth[row["target"]] <= high, (row["target"], truth[row["target"]], est)


def test_cli_reliability_tables_json_and_outputs(tmp_path: Path) -> None:
    _register_extensions()
    runner = CliRunner()
    result = runner.invoke(
        app, ["reliability", str(EXAMPLE), "--bootstrap", "50"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Scores: inter-rater reliability" in result.stdout
    assert "ICC(1,1)" in result.stdout
    result = runner.invoke(
        app,
        ["reliability", str(EXAMPLE), "--json", "--bootstrap", "50", "-o", str(tmp_path / "out")],
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["design"]["n_double_rated"] > 0
    assert data["provenance"]["instrument"].startswith("enrich-peer-support@")
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "reliability.json" in written and "reliability-items.csv" in written


def test_cli_reliability_refuses_invalid_input_and_writes_nothing(tmp_path: Path) -> None:
    _register_extensions()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([_sheet("a1", "ann", {"t-open": 9, "c-goals": 1, "c-pace": 1})]))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["reliability", str(bad), "-i", str(MINIMAL), "-o", str(out)])
    assert result.exit_code == 1
    assert "t-open" in result.stdout
    assert not out.exists()


def test_cli_report_writes_a_markdown_audit_report(tmp_path: Path) -> None:
    _register_extensions()
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLE), "-o", str(tmp_path), "--bootstrap", "20", "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report.md").read_text()
    for heading in (
        "## Fidelity per site",
        "## Inter-rater reliability of scores",
        "## Agreement on items",
        "## Internal consistency",
        "## Item spread",
        "## Criteria behind the flags",
    ):
        assert heading in text
    assert "| site-24 | 3 |" in text
    assert "content hash `" in text and "Koo & Li 2016" in text
    for chart in ("site-scores", "reliability-forest", "bland-altman"):  # SVG files beside it
        assert f"]({chart}.svg)" in text
        assert (tmp_path / f"{chart}.svg").read_text().lstrip().startswith("<?xml")


def test_cli_report_refuses_invalid_input(tmp_path: Path) -> None:
    _register_extensions()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([_sheet("a1", "ann", {"t-open": 0, "c-goals": 1, "c-pace": 1})]))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(bad), "-i", str(MINIMAL), "-o", str(out)])
    assert result.exit_code == 1
    assert not out.exists()


def test_cli_reliability_reads_several_files_with_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fidelity.cli import ratings as _cli_ratings

    _register_extensions()
    monkeypatch.setattr(_cli_ratings, "LARGE_INPUT_BYTES", 0)
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("".join(lines[:half]))
    second.write_text(lines[0] + "".join(lines[half:]))
    together = CliRunner().invoke(app, ["reliability", str(EXAMPLE), "--json", "--bootstrap", "0"])
    split = CliRunner().invoke(
        app, ["reliability", str(first), str(second), "--json", "--bootstrap", "0"]
    )
    assert split.exit_code == 0, split.output
    a, b = json.loads(together.stdout), json.loads(split.stdout)
    assert a["scores"] == b["scores"] and a["items"] == b["items"]
