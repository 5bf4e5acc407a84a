"""Migration of rating sheets between versions, and the provenance it records."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
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
from fidelity.versions import MigrationRefused, diff, migrate, migrate_records, plan_migration


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


# ---------------------------------------------------------------------------------------------
# Comparability recorded by the migration, read by scoring

V100, V110 = "enrich-peer-support@1.0.0", "enrich-peer-support@1.1.0"


def test_each_migrated_sheet_records_comparability_with_its_first_version() -> None:
    old, new = _bundled("1.0.0"), _bundled("1.1.0")
    (sheet,) = migrate([_sheet(old, 3)], old, new)
    (entry,) = sheet["migrations"]
    assert entry["comparability"] == {"origin": V100, **diff(old, new).comparability_summary()}
    assert entry["comparability"]["domains"]["reciprocity"] == "identical"
    assert entry["comparability"]["overall"] == "comparable"
    assert list(entry)[-3:] == ["comparability", "by", "at"]


def test_score_provenance_reads_the_recorded_comparability_without_versions(
    tmp_path: Path,
) -> None:
    old, new = _bundled("1.0.0"), _bundled("1.1.0")
    path = tmp_path / "migrated.json"
    sheets = [_sheet(old, 2), _sheet(old, 4, assessment="a2")]
    path.write_text(json.dumps(migrate(sheets, old, new)))
    script = (
        "import json, sys, fidelity\n"
        f"r = fidelity.score(fidelity.load_instrument({V110!r}), {str(path)!r})\n"
        "r.to_dict(); r.to_dict()\n"
        "assert 'fidelity.versions' not in sys.modules, 'scoring imported versions'\n"
        "print(json.dumps(r.provenance['comparability']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {V100: diff(old, new).comparability_summary()}


def test_provenance_says_when_a_migration_recorded_no_comparability() -> None:
    old, new = _bundled("1.0.0"), _bundled("1.1.0")
    (sheet,) = migrate([_sheet(old, 3)], old, new)
    del sheet["migrations"][0]["comparability"]
    provenance = fidelity.score(new, [sheet]).provenance
    assert provenance["migrated_from"] == [V100]
    (error,) = provenance["comparability"][V100].values()
    assert f"recorded no comparability with {V110}" in error
    assert f"fidelity diff {V100} {V110}" in error


def test_a_second_migration_compares_with_the_version_first_rated_on() -> None:
    v1 = _minimal()
    v2 = _next(v1, "1.1.0")
    v2["items"][1]["id"] = "c-aims"
    v2["changes"]["item_map"] = {"c-goals": "c-aims"}
    v3 = _next(v2, "2.0.0")
    v3["domains"][1]["min_answered"] = 1
    versions = {d["version"]: _inst(d) for d in (v1, v2, v3)}

    def loader(spec: str) -> Any:
        return versions[spec.split("@")[1]]

    first = migrate([_sheet(versions["1.0.0"], 2)], versions["1.0.0"], versions["1.1.0"])
    (sheet,) = migrate(first, versions["1.1.0"], versions["2.0.0"], loader=loader)
    one, two = sheet["migrations"]
    assert one["comparability"]["origin"] == two["comparability"]["origin"] == "mini@1.0.0"
    direct = diff(versions["1.0.0"], versions["2.0.0"], loader=loader)
    assert two["comparability"] == {"origin": "mini@1.0.0", **direct.comparability_summary()}
    assert two["comparability"]["domains"]["choosing"] == "not-comparable"
    provenance = fidelity.score(versions["2.0.0"], [sheet]).provenance
    assert provenance["comparability"]["mini@1.0.0"] == direct.comparability_summary()


def test_an_origin_that_cannot_be_loaded_is_recorded_as_such() -> None:
    v1 = _minimal()
    v2 = _next(v1, "1.0.1")
    old, new = _inst(v1), _inst(v2)
    sheet = _sheet(old, 2, migrations=[{"from": "ghost@0.1.0", "to": old.spec}])
    step = plan_migration(old, new, loader=None)
    (migrated,), problems = migrate_records([sheet], step, at="t", loader=None)
    assert problems == []
    assert migrated["migrations"][-1]["comparability"] == {
        "origin": "ghost@0.1.0",
        "error": "cannot load ghost@0.1.0: no loader to find it with",
    }


def test_migrate_files_takes_sheets_read_from_a_redcap_export(tmp_path: Path) -> None:
    from fidelity.interop import redcap
    from fidelity.versions import migrate_files

    old = fidelity.load_instrument("enrich-peer-support@1.1.0")
    new = fidelity.load_instrument("enrich-peer-support@1.0.0")
    example = Path(__file__).parents[2] / "examples" / "enrich-audit.csv"
    export = tmp_path / "export.csv"
    records = redcap.sheets_to_records(old, example)
    records[0][redcap.field_map(old).complete_var] = "1"  # Unverified: a warning, left out
    export.write_text(redcap.records_csv(old, records), encoding="utf-8")
    sheets = fidelity.read_sheets(export, format="redcap")
    assert [p.code for p in sheets.problems] == ["FR702"]
    result = migrate_files([export], new, sheets=sheets)
    (output,) = result.outputs
    assert output.name == "export.json" and output.n_sheets == len(sheets) == 107
    migrated = json.loads(output.text)
    assert {s["instrument"] for s in migrated} == {new.spec}
