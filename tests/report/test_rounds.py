"""Audit rounds: the ``round`` sheet field in every format, scores per site and round, and the
change between rounds judged against the measurement error (SEM, SDC)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

import fidelity
from fidelity.ratings import RatingSheet, read_sheets, validate
from fidelity.report import (
    RoundsError,
    measurement_error,
    reliability_report,
    round_changes,
    round_order,
    site_round_scores,
)
from fidelity.report.rounds import BEYOND, WITHIN
from fidelity.scoring import score
from fidelity.simulate import simulate_audit

DATA = Path(__file__).parents[1] / "data"
HAND = DATA / "instruments" / "hand.yaml"
ROUND_HEAD = "instrument,assessment,rater,site,informant,date,round,consensus,a1,a2,a3,b1,b2"


@pytest.fixture(scope="module")
def hand() -> fidelity.Instrument:
    return fidelity.load_instrument(HAND)


def _csv(tmp_path: Path, *rows: str) -> Path:
    p = tmp_path / "r.csv"
    p.write_text(ROUND_HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


# The field in every format


def test_one_id_in_two_rounds_is_two_assessments_not_a_duplicate(
    tmp_path: Path, hand: fidelity.Instrument
) -> None:
    path = _csv(
        tmp_path,
        "hand@1.0.0,A,r,north,supervisor,2024-01-01,baseline,false,4,1,0,3,NA",
        "hand@1.0.0,A,r,north,supervisor,2024-07-01,6m,false,5,2,0,4,NA",
    )
    assert validate(hand, read_sheets(path)) == []
    per = score(hand, read_sheets(path)).by_assessment()
    assert list(per["assessment"]) == ["A", "A"] and list(per["round"]) == ["baseline", "6m"]
    assert list(per["basis"]) == ["single rating", "single rating"]


def test_a_duplicate_within_a_round_names_the_round(
    tmp_path: Path, hand: fidelity.Instrument
) -> None:
    path = _csv(
        tmp_path,
        "hand@1.0.0,A,r,north,supervisor,,6m,false,4,1,0,3,NA",
        "hand@1.0.0,A,r,north,supervisor,,6m,false,5,2,0,4,NA",
        "hand@1.0.0,A,s,south,supervisor,,baseline,false,5,2,0,4,NA",
    )
    problems = validate(hand, read_sheets(path))
    assert [p.code for p in problems] == ["FR301"]
    assert "assessment A (round 6m) rated by r" in str(problems[0])


def test_sites_are_compared_within_a_round(tmp_path: Path, hand: fidelity.Instrument) -> None:
    path = _csv(
        tmp_path,
        "hand@1.0.0,A,r,north,supervisor,,baseline,false,4,1,0,3,NA",
        "hand@1.0.0,A,s,north,supervisor,,baseline,false,4,1,0,3,NA",
        "hand@1.0.0,A,s,moved,supervisor,,6m,false,4,1,0,3,NA",
    )
    assert validate(hand, read_sheets(path)) == []


def test_round_must_be_text_in_json(tmp_path: Path, hand: fidelity.Instrument) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"assessment": "A", "rater": "r", "round": 6, "ratings": {}}))
    problems = validate(hand, read_sheets(p))
    assert any(x.code == "FR202" and x.path == "$.round" for x in problems)


def _rounds_read(batch: object, hand: fidelity.Instrument) -> list[object]:
    result = score(hand, batch)
    assert result.round is not None
    return list(result.round)


def test_round_is_read_from_json_long_xlsx_dataframe_and_the_model(
    tmp_path: Path, hand: fidelity.Instrument
) -> None:
    rec = {"assessment": "A", "rater": "r", "round": "6m", "ratings": {"a1": 4, "a2": 1}}
    js = tmp_path / "s.json"
    js.write_text(json.dumps([rec, {**rec, "round": "baseline"}]))
    assert _rounds_read(read_sheets(js), hand) == ["6m", "baseline"]
    long = tmp_path / "s-long.csv"
    long.write_text(
        "assessment,rater,round,item,value\nA,r,6m,a1,4\nA,r,6m,a2,1\n"
        "A,r,baseline,a1,3\nA,r,baseline,a2,1\n"
    )
    batch = read_sheets(long)
    assert not validate(hand, batch).errors and _rounds_read(batch, hand) == ["6m", "baseline"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "ratings"
    sheet.append(["assessment", "rater", "round", "a1", "a2", "a3", "b1", "b2"])
    sheet.append(["A", "r", "12m", 4, 1, 0, 3, None])
    xlsx = tmp_path / "s.xlsx"
    book.save(xlsx)
    assert _rounds_read(read_sheets(xlsx), hand) == ["12m"]
    frame = pd.DataFrame(
        {"assessment": ["A"], "rater": ["r"], "round": ["6m"]}
        | {i: [v] for i, v in zip(["a1", "a2", "a3", "b1", "b2"], [4, 1, 0, 3, None], strict=True)}
    )
    assert _rounds_read(frame, hand) == ["6m"]
    assert RatingSheet(assessment="A", rater="r", round="6m").to_record()["round"] == "6m"
    assert "round" in fidelity.ratings.sheet_schema(hand)["properties"]


# Order, scores per round and change


def _two_rounds(changed: dict[str, int], seed: int = 5) -> pd.DataFrame:
    """A simulated baseline, and a 6-month round 180 days later with the same ratings except
    that every item at the sites in ``changed`` moves by that many levels (clipped)."""
    inst = fidelity.load_instrument("enrich-peer-support")
    base = simulate_audit(inst, n_sites=12, seed=seed, double_rated=0.5).to_pandas()
    base.insert(6, "round", "baseline")
    later = base.copy()
    later["round"] = "6m"
    later["date"] = [
        (dt.date.fromisoformat(d) + dt.timedelta(days=180)).isoformat() for d in base["date"]
    ]
    for it in inst.items:
        scale = inst.scale_of(it)
        col = later[it.id]
        numeric = pd.to_numeric(col.where(col != "NA"), errors="coerce")
        step = later["site"].map(changed).fillna(0).astype(int) * (-1 if it.reverse else 1)
        moved = (numeric + step).clip(scale.min, scale.max)
        later[it.id] = col.where(numeric.isna(), moved.astype("Int64").astype(str))
    return pd.concat([base, later], ignore_index=True)


def test_rounds_are_ordered_by_date_or_as_given() -> None:
    frame = _two_rounds({})
    inst = fidelity.load_instrument("enrich-peer-support")
    result = score(inst, frame)
    assert round_order(result) == ("baseline", "6m")
    assert round_order(result, ["6m", "baseline", "12m"]) == ("6m", "baseline", "12m")
    with pytest.raises(RoundsError, match="'6m'.*does not list"):
        round_order(result, ["baseline"])
    undated = frame.assign(date="")
    with pytest.raises(RoundsError, match="no dated sheet.*--rounds"):
        round_order(score(inst, undated))


def test_known_changes_are_beyond_measurement_error_and_no_change_is_within() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    frame = _two_rounds({"site-01": 1, "site-04": -1})
    result = score(inst, frame)
    report = reliability_report(inst, frame, n_bootstrap=0)
    per = site_round_scores(result)
    assert len(per) == 24 and list(per["round"][:2]) == ["baseline", "6m"]
    error = measurement_error(result, report)
    overall = error.set_index("score").loc["overall"]
    assert overall["sem"] == pytest.approx(overall["sd"] * math.sqrt(1 - overall["icc"]))
    assert overall["sdc"] == pytest.approx(1.959964 * math.sqrt(2) * overall["sem"], rel=1e-6)
    changes = round_changes(per, error)
    moved = changes[changes["score"] == "overall"].set_index("site")
    beyond = set(moved.index[moved["verdict"] == BEYOND])
    assert beyond == {"site-01", "site-04"}
    assert (moved.drop(index=["site-01", "site-04"])["verdict"] == WITHIN).all()
    assert moved.loc["site-01", "change"] > 0 > moved.loc["site-04", "change"]
    site = per[per["site"] == "site-01"]
    sem = error.set_index("score")["sem"]
    domains = [d.id for d in inst.domains]
    for d in domains:  # a domain: its SEM over the site's assessments that have it
        n = site[f"n_{d}"].to_numpy()
        row = changes[(changes["site"] == "site-01") & (changes["score"] == d)].iloc[0]
        assert row["se"] == pytest.approx(sem[d] * math.sqrt(1 / n[0] + 1 / n[1]))
    # the overall is a mean of domain means: their rating errors combined
    pooled = sum(sem[d] ** 2 * (1 / site[f"n_{d}"].iloc[0] + 1 / site[f"n_{d}"].iloc[1])
                 for d in domains)  # fmt: skip
    assert moved.loc["site-01", "se"] == pytest.approx(math.sqrt(pooled) / len(domains))


def test_a_site_missing_from_a_round_has_no_change_there() -> None:
    inst = fidelity.load_instrument("enrich-peer-support")
    frame = _two_rounds({})
    frame = frame[~((frame["site"] == "site-02") & (frame["round"] == "6m"))]
    result = score(inst, frame)
    per = site_round_scores(result)
    error = measurement_error(result, reliability_report(inst, frame, n_bootstrap=0))
    changes = round_changes(per, error)
    assert "site-02" not in set(changes["site"])
    assert np.allclose(changes["change"], 0)
