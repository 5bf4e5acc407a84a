"""Diff: classification of every change, checked against rescoring, and hand-made cases."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from versions_support import (
    KINDS,
    MINIMAL,
    _bundled,
    _inst,
    _mutate,
    _next,
    _pool,
    _score_changes,
    instruments,
)

from fidelity.versions import MigrationRefused, diff, plan_migration

# ---------------------------------------------------------------------------------------------
# Property tests


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments())
def test_diff_of_an_instrument_with_itself_is_empty(data: dict[str, Any]) -> None:
    inst = _inst(data)
    d = diff(inst, inst, loader=None)
    assert d.empty and d.changes == ()
    assert d.severity == "none" and d.required_bump == "none"
    assert all(c.status == "identical" for c in d.domains)
    assert d.item_map == {it.id: it.id for it in inst.items}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments(), st.sampled_from(KINDS), st.integers(0, 10_000))
def test_classification_agrees_with_rescoring(data: dict[str, Any], kind: str, seed: int) -> None:
    rnd = random.Random(seed)
    mutated = _mutate(data, kind, rnd)
    if mutated is None:
        return
    old, new = _inst(data), _inst(mutated)
    d = diff(old, new, loader=None)
    assert not d.empty, kind
    changed = _score_changes(old, new, _pool(old, seed))
    if d.severity in ("none", "additive"):
        assert changed == [], (kind, [c.message for c in d.changes], changed[:5])
    else:
        assert changed, (kind, [c.message for c in d.breaking])


# ---------------------------------------------------------------------------------------------
# Hand-made cases


def test_bundled_110_is_an_additive_minor_release_of_100() -> None:
    d = diff(_bundled("1.0.0"), _bundled("1.1.0"))
    assert d.severity == "additive" and d.required_bump == "minor" and d.actual_bump == "minor"
    kinds = {(c.kind, c.target) for c in d.changes}
    assert ("item-renamed", "item:con-identity-communities") in kinds
    for new_item in ("rel-dependable", "exp-wellbeing-in-role", "ctl-accessible-support"):
        assert ("item-added", f"item:{new_item}") in kinds
    assert {c.kind for c in d.changes if c.severity == "none"} == {"item-anchors", "item-guidance"}
    status = {c.domain: c.status for c in d.domains}
    assert status["reciprocity"] == "identical" and status["choice-and-control"] == "extended"
    assert d.overall_comparable
    data = d.to_dict()
    assert data["bump_ok"] is True and data["item_map"]["con-own-communities"] == (
        "con-identity-communities"
    )


def test_diff_backwards_inverts_the_mapping_and_is_breaking() -> None:
    d = diff(_bundled("1.1.0"), _bundled("1.0.0"))
    assert d.severity == "breaking"
    assert d.item_map["con-identity-communities"] == "con-own-communities"
    assert d.item_map["rel-dependable"] is None
    assert d.mapping_source.endswith("inverted")


def test_weight_changes_in_proportion_are_not_breaking() -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    new = _next(data)
    for it in new["items"]:
        if it["domain"] == "choosing":
            it["weight"] = 2.0
    d = diff(_inst(data), _inst(new), loader=None)
    assert {c.severity for c in d.changes if c.kind == "item-reweighted"} == {"none"}
    new["items"][1]["weight"] = 3.0
    d = diff(_inst(data), _inst(new), loader=None)
    assert d.severity == "breaking"


def test_rescaled_items_are_breaking_and_refused_by_migration() -> None:
    data = yaml.safe_load(MINIMAL.read_text())
    new = _next(data, "2.0.0")
    for level in new["scales"][0]["levels"]:
        level["value"] -= 1
    for it in new["items"]:
        it["anchors"] = {str(int(k) - 1): v for k, v in it["anchors"].items()}
    for band in new["scoring"]["bands"]:
        band["lower"] -= 1
        band["upper"] -= 1
    old_i, new_i = _inst(data), _inst(new)
    d = diff(old_i, new_i, loader=None)
    assert [c.kind for c in d.breaking] == ["scale-levels", "band-bounds"]
    with pytest.raises(MigrationRefused, match="item_map maps ids, not values"):
        plan_migration(old_i, new_i, loader=None)
