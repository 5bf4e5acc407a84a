"""The site-score G-study in the reliability report (fidelity.report.gstudy, build): from the
sheets, in the JSON, terminal, Markdown and HTML views."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import fidelity
from fidelity.ratings import SheetsInvalidError
from fidelity.report import audit_report_markdown, reliability_report
from fidelity.report.build import audit_g_study
from fidelity.report.gstudy import g_study_lines
from fidelity.report.html_report import audit_report_html
from fidelity.report.terminal import G_STUDY_TITLE

EXAMPLE = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"


@pytest.fixture(scope="module")
def inst() -> fidelity.Instrument:
    return fidelity.load_instrument("enrich-peer-support@1.1.0")


def paired_sites() -> pd.DataFrame:
    """The example audit with sites merged in pairs: two interviews per informant type."""
    d = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    number = d["site"].str.removeprefix("site-").astype(int)
    return d.assign(site=[f"pair-{(k + 1) // 2:02d}" for k in number])


def test_one_interview_per_informant_gives_a_range(inst: fidelity.Instrument) -> None:
    g = audit_g_study(inst, EXAMPLE)
    assert (g.n_sites, g.n_informants, g.interviews_per_informant) == (24, 3, 1.0)
    assert g.merged["interview"] == "site:informant"
    assert math.isnan(g.phi) and g.phi_bounds is not None
    lo, hi = g.phi_bounds
    assert 0.0 < lo <= hi < 1.0
    assert "cannot be told apart" in str(g.reason)


def test_two_interviews_per_informant_identify_the_site_score(inst: fidelity.Instrument) -> None:
    g = audit_g_study(inst, paired_sites())
    assert g.n_sites == 12 and g.interviews_per_informant == 2.0
    assert "interview" not in g.merged
    assert 0.0 < g.phi < 1.0 and g.phi_bounds is None
    domain = audit_g_study(inst, paired_sites(), score="trusting-relationships")
    assert domain.n_ratings == g.n_ratings
    assert domain.phi != g.phi


def test_the_report_carries_the_g_study(inst: fidelity.Instrument) -> None:
    sheets = paired_sites()
    report = reliability_report(inst, sheets, n_bootstrap=0)
    assert report.g_study is not None
    data = report.to_dict()["g_study"]
    assert data["phi"] == pytest.approx(report.g_study.phi)
    assert [c["name"] for c in data["components"]][:3] == ["site", "informant", "site:informant"]
    lines = g_study_lines(report.g_study)
    assert lines[1].startswith("Site score with the audit's interviews")
    assert "D-study" in lines[2]
    result = fidelity.score(inst, sheets)
    assert G_STUDY_TITLE in audit_report_markdown(inst, result, report)
    assert G_STUDY_TITLE in audit_report_html(inst, result, report)
    assert reliability_report(inst, sheets, n_bootstrap=0, g_study=False).g_study is None


def test_bad_requests_are_refused(inst: fidelity.Instrument) -> None:
    with pytest.raises(ValueError, match="score must be overall or a domain"):
        audit_g_study(inst, EXAMPLE, score="nope")
    bad = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    bad.loc[0, "rel-shared-experience"] = "9"
    with pytest.raises(SheetsInvalidError):
        audit_g_study(inst, bad)
