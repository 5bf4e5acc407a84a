"""Scoring partitions: per-sheet scores are a function of one sheet and the instrument, so the
Dask recipe of the pipeline guide (shuffle by site, score each partition) gives the scores of
the whole table at once; per-assessment and site scores too, since a site's sheets stay in one
partition. Runs on a local, in-process Dask cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import fidelity
from fidelity.columnar import arrow_schema
from fidelity.simulate import simulate_audit

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

INST = fidelity.load_instrument("enrich-peer-support@1.1.0")
DOMAINS = [d.id for d in INST.domains]
KEY = ["assessment", "rater"]


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as c:
        yield c


@pytest.fixture(scope="module")
def audit_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit") / "audit.csv"
    return simulate_audit(INST, n_sites=30, seed=11).write_csv(path)


def _sheets(path: Path) -> dd.DataFrame:
    return dd.read_csv(path, dtype=str, keep_default_na=False, blocksize=5_000)


def _arrow(table: str, per: fidelity.ScoreResult | None) -> pd.DataFrame:
    """The partition's ``table`` in its schema (its empty table for an empty partition)."""
    meta = arrow_schema(table, DOMAINS).empty_table().to_pandas()
    if per is None:
        return meta
    frame: pd.DataFrame = per.to_arrow(table).to_pandas()
    return frame


def _score(table: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def run(part: pd.DataFrame) -> pd.DataFrame:
        return _arrow(table, fidelity.score(INST, part) if len(part) else None)

    return run


def _ordered(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    out = frame.drop(columns=[c for c in ("source",) if c in frame])
    return out.sort_values(key).reset_index(drop=True)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("scores", KEY),
        ("scores_by_assessment", ["assessment"]),
        ("site_scores", ["site"]),
    ],
)
def test_partitions_by_site_give_the_whole_tables_scores(
    client: object, audit_csv: Path, table: str, key: list[str]
) -> None:
    by_site = _sheets(audit_csv).shuffle(on="site")
    assert by_site.npartitions > 1
    meta = _arrow(table, None)
    parts = by_site.map_partitions(_score(table), meta=meta).compute()
    whole = pd.read_csv(audit_csv, dtype=str, keep_default_na=False)
    expected = fidelity.score(INST, whole).to_arrow(table).to_pandas()
    pd.testing.assert_frame_equal(_ordered(parts, key), _ordered(expected, key))


def test_validation_by_partition_finds_every_problem(client: object, audit_csv: Path) -> None:
    whole = pd.read_csv(audit_csv, dtype=str, keep_default_na=False)
    bad = whole.copy()
    bad.loc[3, "rel-shared-experience"] = "7"
    bad = pd.concat([bad, bad.iloc[[10]]], ignore_index=True)  # a duplicate sheet
    meta = arrow_schema("problems").empty_table().to_pandas()

    def check(part: pd.DataFrame) -> pd.DataFrame:
        if not len(part):
            return meta
        found: pd.DataFrame = fidelity.validate(INST, part).to_arrow().to_pandas()
        return found

    sheets = dd.from_pandas(bad, npartitions=4).shuffle(on="site")
    problems = sheets.map_partitions(check, meta=meta).compute()
    expected = fidelity.validate(INST, bad).to_pandas()
    cols = ["assessment", "rater", "item", "code", "severity", "value"]
    assert {"FR101", "FR301"} <= set(problems["code"])
    assert _ordered(problems[cols], cols).equals(_ordered(expected[cols].astype(object), cols))


def test_unshuffled_blocks_split_assessments_and_miss_duplicates(audit_csv: Path) -> None:
    """Why the recipe shuffles: blocks of rows cut assessments apart, so a duplicate sheet in
    another block is not found by checking the blocks one by one."""
    whole = pd.read_csv(audit_csv, dtype=str, keep_default_na=False)
    twice = pd.concat([whole, whole.iloc[[0]]], ignore_index=True)
    halves = [twice.iloc[: len(whole) // 2], twice.iloc[len(whole) // 2 :]]
    assert "FR301" in {p.code for p in fidelity.validate(INST, twice)}
    assert "FR301" not in {p.code for h in halves for p in fidelity.validate(INST, h)}
