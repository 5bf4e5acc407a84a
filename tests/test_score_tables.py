"""The per-assessment and per-site tables, built from one grouping of the sheets, against a
plain one-group-at-a-time reference kept here, on simulated audits with consensus sheets,
sheets without a site and sheets with and without an audit round; and the CSV files written
from them are what pandas' ``to_csv`` writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fidelity
from fidelity._util.csvtext import csv_output
from fidelity._util.text import safe_cell
from fidelity.scoring import ScoreResult, score
from fidelity.simulate import simulate_audit

ENRICH = fidelity.load_instrument("enrich-peer-support@1.1.0")
EXAMPLE = Path(__file__).parents[1] / "examples" / "enrich-audit.csv"


def _audit(seed: int) -> ScoreResult:
    frame = simulate_audit(ENRICH, n_sites=12, consensus=0.5, seed=seed).to_pandas()
    rng = np.random.default_rng(seed)
    blank = rng.choice(frame["assessment"].unique(), size=4, replace=False)
    frame.loc[frame["assessment"].isin(blank), "site"] = ""
    frame["round"] = rng.choice(["baseline", "6m", ""], size=len(frame))
    return score(ENRICH, frame)


def _present(v: Any) -> bool:
    return v is not None and v == v


def _reference_assessments(r: ScoreResult) -> list[dict[str, Any]]:
    cols = [*r.domain_ids, "overall"]
    scores = np.column_stack([r.domains, r.overall])
    groups: dict[tuple[Any, Any], list[int]] = {}
    for k, key in enumerate(
        zip(
            r.assessment.tolist(),
            (r.round if r.round is not None else [None] * len(r)).tolist(),
            strict=True,
        )
    ):
        groups.setdefault(key, []).append(k)
    rows = []
    for (assessment, round_), members in groups.items():
        consensus = [k for k in members if r.consensus[k]]
        raters = len(members) - len(consensus)
        if consensus:
            values, basis = scores[consensus[0]], "consensus"
        else:
            values = np.nanmean(scores[members], axis=0) if len(members) else scores[0]
            basis = "single rating" if raters <= 1 else f"mean of {raters} raters"
        sites = [r.site[k] for k in members if _present(r.site[k])]
        informants = [r.informant[k] for k in members if _present(r.informant[k])]
        rows.append(
            {
                "assessment": assessment,
                "round": round_,
                "site": sites[0] if sites else None,
                "informant": informants[0] if informants else None,
                "basis": basis,
                "n_sheets": len(members),
                **dict(zip(cols, values.tolist(), strict=True)),
            }
        )
    return rows


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tables_are_the_reference_tables(seed: int) -> None:
    r = _audit(seed)
    cols = [*r.domain_ids, "overall"]
    per = r.by_assessment()
    expected = _reference_assessments(r)
    keys = ["assessment", "round", "site", "informant", "basis", "n_sheets"]
    got = per[keys].astype(object).where(per[keys].notna(), None).to_dict("records")
    assert got == [{k: e[k] for k in keys} for e in expected]
    want = np.array([[e[c] for c in cols] for e in expected], dtype=float)
    np.testing.assert_allclose(per[cols].to_numpy(dtype=float), want, rtol=0, atol=1e-9)
    sites = sorted({e["site"] or "(no site)" for e in expected})
    spread = r.by_site()
    assert spread[["site", "score"]].values.tolist() == [[s, c] for s in sites for c in cols]
    table = r.site_scores()
    assert table["site"].tolist() == sites
    for s in sites:
        mine = [e for e in expected if (e["site"] or "(no site)") == s]
        row = table.set_index("site").loc[s]
        assert row["n_assessments"] == len(mine)
        named = sorted({str(e["informant"]) for e in mine if e["informant"] is not None})
        assert row["informants"] == ", ".join(named)
        for c in cols:
            values = np.array([e[c] for e in mine], dtype=float)
            found = spread[(spread["site"] == s) & (spread["score"] == c)].iloc[0]
            assert found["n"] == np.isfinite(values).sum()
            if found["n"]:
                assert found["mean"] == pytest.approx(np.nanmean(values), abs=1e-9)
                assert found["max"] == pytest.approx(np.nanmax(values), abs=1e-9)


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for col in [c for c in out.columns if out[c].dtype == object]:
        out[col] = out[col].map(safe_cell)
    return str(out.to_csv(index=False, lineterminator="\n")).encode("utf-8")


@pytest.mark.parametrize("source", ["example", "simulated"])
def test_score_csv_files_are_what_pandas_writes(source: str) -> None:
    r = score(ENRICH, EXAMPLE) if source == "example" else _audit(4)
    for frame in (r.to_pandas(), r.by_assessment(), r.by_site(), r.site_scores()):
        assert csv_output(frame) == _pandas_csv(frame)
