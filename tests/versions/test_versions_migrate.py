"""Migration of rating sheets between versions, and the provenance it records."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from versions_support import (
    _bundled,
    _inst,
    _minimal,
    _next,
    _pool,
    _same,
    _scores,
    _sheet,
    instruments,
)

import fidelity
from fidelity.versions import MigrationRefused, diff, migrate, plan_migration


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments(), st.integers(0, 10_000))
def test_migrate_then_score_equals_scoring_directly_for_identity_maps(
    data: dict[str, Any], seed: int
) -> None:
    old = _inst(data)
    new_data = _next(data, "1.0.1")
    new_data["items"][0]["guidance"] = "Clearer guidance."
    new_data["changes"]["item_map"] = {it["id"]: it["id"] for it in data["items"]}
    new = _inst(new_data)
    assert diff(old, new, loader=None).severity == "none"
    sheets = _pool(old, seed, n_random=60)
    migrated = migrate(sheets, old, new, loader=None)
    for before, after in zip(sheets, migrated, strict=True):
        assert after["instrument"] == new.spec
        assert {k: v for k, v in after["ratings"].items()} == {
            k: v for k, v in before["ratings"].items()
        }
        assert after["migrations"][-1]["from"] == old.spec
    a, b = _scores(old, sheets), _scores(new, migrated)
    cols = [*(dm.id for dm in old.domains), "overall", "band", "n_answered", "n_na"]
    for col in cols:
        assert all(_same(x, y) for x, y in zip(a[col], b[col], strict=True)), col
    assert b["migrated_from"].tolist() == [old.spec] * len(sheets)


def test_migrating_100_to_110_keeps_scores_and_records_provenance() -> None:
    old, new = _bundled("1.0.0"), _bundled("1.1.0")
    rng = np.random.default_rng(7)
    sheets = []
    for k in range(40):
        ratings: dict[str, Any] = {}
        for it in old.items:
            r = rng.random()
            ratings[it.id] = (
                None if r < 0.1 else "NA" if (r < 0.2 and it.allow_na) else int(rng.integers(1, 5))
            )
        sheets.append(
            {"instrument": old.spec, "assessment": f"a{k}", "rater": "r", "ratings": ratings}
        )
    migrated = migrate(sheets, old, new)
    for before, after in zip(sheets, migrated, strict=True):
        assert (
            after["ratings"]["con-identity-communities"] == before["ratings"]["con-own-communities"]
        )
        assert "con-own-communities" not in after["ratings"]
        for added in ("rel-dependable", "exp-wellbeing-in-role", "ctl-accessible-support"):
            assert after["ratings"][added] is None
        (step,) = after["migrations"]
        assert step["from"] == old.spec and step["to"] == new.spec
        assert step["from_hash"] == old.content_hash and step["to_hash"] == new.content_hash
        assert step["added_missing"] == [
            "rel-dependable",
            "exp-wellbeing-in-role",
            "ctl-accessible-support",
        ]
    a, b = _scores(old, sheets), _scores(new, migrated)
    for col in [*(d.id for d in old.domains), "overall", "band"]:
        assert all(_same(x, y) for x, y in zip(a[col], b[col], strict=True)), col
    warnings = fidelity.validate(new, migrated).warnings
    assert {w.item for w in warnings} >= {"rel-dependable"}


def test_migration_drops_unmapped_items_and_never_invents() -> None:
    old, new = _bundled("1.1.0"), _bundled("1.0.0")
    migrated = migrate([_sheet(old, 4)], old, new)[0]
    step = migrated["migrations"][0]
    assert set(step["dropped"]) == {
        "rel-dependable",
        "exp-wellbeing-in-role",
        "ctl-accessible-support",
    }
    assert step["dropped"]["rel-dependable"] == 4
    assert set(migrated["ratings"]) == {it.id for it in new.items}
    assert migrated["ratings"]["con-own-communities"] == 4


def test_migration_refusals_say_why() -> None:
    v100 = _bundled("1.0.0")
    with pytest.raises(MigrationRefused, match="already on"):
        plan_migration(v100, v100)
    data = _minimal()
    with pytest.raises(MigrationRefused, match="different instruments"):
        plan_migration(v100, _inst(data))
    unlinked = copy.deepcopy(data)
    unlinked["version"] = "2.0.0"
    with pytest.raises(MigrationRefused, match="no chain of changes.previous"):
        plan_migration(_inst(data), _inst(unlinked), loader=None)
    flipped = _next(data, "2.0.0")
    flipped["items"][0]["reverse"] = True
    with pytest.raises(MigrationRefused, match="reverse scoring flipped"):
        plan_migration(_inst(data), _inst(flipped), loader=None)
    no_na = _next(data, "2.0.0")
    no_na["items"][2]["allow_na"] = False
    sheet = {
        "instrument": "mini@1.0.0",
        "assessment": "a",
        "rater": "r",
        "ratings": {"t-open": 2, "c-goals": 3, "c-pace": "NA"},
    }
    with pytest.raises(MigrationRefused, match="c-pace is NA, which c-pace in mini@2.0.0"):
        migrate([sheet], _inst(data), _inst(no_na), loader=None)
    bad = dict(sheet, ratings={"t-open": 9})
    with pytest.raises(MigrationRefused, match="FR101"):
        migrate([bad], _inst(data), _inst(no_na), loader=None)
