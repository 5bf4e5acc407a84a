"""``fidelity plan`` with a D-study of the site score: from an audit's sheets or from given
variance components (fidelity.planning.site_d_study_table)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity import planning as pl
from fidelity.cli import app

EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
runner = CliRunner()


def test_table_from_given_components_follows_the_closed_form() -> None:
    v = {"site": 0.08, "site:informant": 0.03, "interview": 0.1, "rater": 0.01, "residual": 0.05}
    g = pl.given_components(v, 3)
    t = pl.site_d_study_table(g, [1, 3], [1, 2])
    assert list(t.columns) == list(pl.D_STUDY_COLUMNS)
    for row in t.itertuples():
        tau = v["site"] + v["site:informant"] / 3
        err = v["interview"] / (3 * row.n_interviews)
        err += (v["rater"] + v["residual"]) / (3 * row.n_interviews * row.n_raters)
        assert row.phi == pytest.approx(tau / (tau + err))
    n = pl.interviews_needed(g, 0.9)
    assert n is not None
    assert pl.site_d_study_table(g, [n])["phi"].iloc[0] >= 0.9


def test_given_components_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown variance component"):
        pl.given_components({"site": 1.0, "interview": 1.0, "residual": 1.0, "sight": 1.0}, 3)
    with pytest.raises(ValueError, match="need residual"):
        pl.given_components({"site": 1.0, "interview": 1.0}, 3)
    with pytest.raises(ValueError, match="non-negative"):
        pl.given_components({"site": -1.0, "interview": 1.0, "residual": 1.0}, 3)


def test_cli_plan_from_components() -> None:
    result = runner.invoke(
        app,
        ["plan", "--components", "site=0.08,interview=0.1,residual=0.05",
         "--informant-types", "3", "--interviews", "1", "--interviews", "3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 interview(s) per informant type, 1 rater(s) each: Φ = 0.83" in result.output
    assert "Φ 0.8 with 1 rater(s) per interview: 3 interview(s) per informant type" in (
        result.output
    )


def test_cli_plan_from_an_audit_as_json() -> None:
    result = runner.invoke(app, ["plan", "--audit", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)["d_study"]
    assert d["g_study"]["n_sites"] == 24
    first = d["table"][0]
    assert first["phi"] is None or math.isnan(first["phi"])
    assert 0 < first["phi_low"] <= first["phi_high"] < 1
    assert d["interviews_needed"]["1"] == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--components", "site=0.1,interview=0.1,residual=0.1"], "needs --informant-types"),
        (["--components", "site=x", "--informant-types", "2"], "is not TERM=VARIANCE"),
        (["--components", "site=1", "--informant-types", "2"], "need interview, residual"),
        (["--components", "site=1", "--audit", str(EXAMPLE)], "alternatives"),
    ],
)
def test_cli_plan_d_study_usage_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["plan", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_plan_refuses_invalid_audit_sheets(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("rel-shared-experience")] = "9"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([text[0], ",".join(row), *text[2:]]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", "--audit", str(bad)])
    assert result.exit_code == 1
    assert "rel-shared-experience" in result.output
