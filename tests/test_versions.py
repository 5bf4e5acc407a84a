"""Versions: diff classification, semver lint, lock file, mapping rules, migration, extends.

The property tests check the classification against the scoring engine itself: a change
classified ``none`` or ``additive`` never changes the scores of a sheet made under the older
version (once migrated), and a ``breaking`` one changes the scores, or the validity, of some
sheet.
"""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fidelity
from fidelity.instrument import Instrument, read_instrument_file
from fidelity.lint import check_instrument_file
from fidelity.ratings import check_sheets
from fidelity.versions import (
    MigrationRefused,
    bump_between,
    diff,
    format_lock,
    item_mapping,
    migrate,
    migrate_records,
    plan_migration,
    read_lock,
    required_bump,
)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "instruments"
DATA = Path(__file__).parent / "data" / "versions"


# ---------------------------------------------------------------------------------------------
# Random small instruments and sheets


@st.composite
def instruments(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid instrument (as data) with varied scoring features."""
    n_levels = draw(st.integers(2, 5))
    values = list(range(1, n_levels + 1))
    n_domains = draw(st.integers(1, 3))
    domains, items = [], []
    for d in range(n_domains):
        n_items = draw(st.integers(1, 4))
        domains.append(
            {
                "id": f"d{d}",
                "name": f"Domain {d}",
                "principles": ["p"],
                "min_answered": draw(st.integers(1, n_items)),
            }
        )
        for i in range(n_items):
            items.append(
                {
                    "id": f"d{d}-i{i}",
                    "domain": f"d{d}",
                    "text": f"Item {d}.{i}",
                    "informants": draw(
                        st.sampled_from([["peer"], ["sup"], ["peer", "sup"], ["peer", "sup"]])
                    ),
                    "scale": "s",
                    "anchors": {str(v): f"anchor {v}" for v in values},
                    "reverse": draw(st.booleans()),
                    "weight": draw(st.sampled_from([1.0, 1.0, 2.0, 0.5])),
                    "allow_na": draw(st.booleans()),
                    "required": draw(st.booleans()),
                }
            )
    lo, hi = float(values[0]), float(values[-1])
    mid = (lo + hi) / 2
    bands = [
        {"id": "low", "label": "Low", "lower": lo, "upper": mid},
        {"id": "high", "label": "High", "lower": mid, "upper": hi},
    ]
    return {
        "id": "prop",
        "version": "1.0.0",
        "title": "Property instrument",
        "description": "Generated.",
        "informants": [{"id": "peer", "name": "Peer"}, {"id": "sup", "name": "Supervisor"}],
        "principles": [{"id": "p", "name": "P", "description": "A principle."}],
        "scales": [
            {
                "id": "s",
                "name": "Scale",
                "levels": [{"value": v, "label": f"L{v}", "anchor": f"a{v}"} for v in values],
                "codes": [{"code": "NA", "label": "Not applicable"}],
            }
        ],
        "domains": domains,
        "items": items,
        "scoring": {
            "overall": draw(st.sampled_from(["mean_of_domains", "mean_of_items"])),
            "max_missing_domains": draw(st.integers(0, max(0, n_domains - 1))),
            "bands": bands,
        },
    }


def _inst(data: dict[str, Any]) -> Instrument:
    return Instrument.model_validate(data)


def _next(data: dict[str, Any], version: str = "1.1.0") -> dict[str, Any]:
    new = copy.deepcopy(data)
    new["version"] = version
    new["changes"] = {"previous": data["version"], "item_map": {}}
    return new


def _pool(inst: Instrument, seed: int, n_random: int = 160) -> list[dict[str, Any]]:
    """Sheets valid under ``inst``: structured ones that expose each kind of change, plus
    seeded random ones with NA and missing cells."""
    rng = random.Random(seed)
    scale = inst.scales[0]
    lo, hi = scale.min, scale.max
    items = list(inst.items)
    sheets: list[dict[str, Any]] = []

    def add(ratings: dict[str, Any], informant: str | None = None) -> None:
        sheet: dict[str, Any] = {
            "instrument": inst.spec,
            "assessment": f"a{len(sheets)}",
            "rater": "r",
            "ratings": {},
        }
        if informant is not None:
            sheet["informant"] = informant
        for it in items:
            v = ratings.get(it.id)
            if informant is not None and informant not in it.informants:
                continue
            if v == "NA" and not it.allow_na:
                v = lo
            sheet["ratings"][it.id] = v
        sheets.append(sheet)

    def best(it: Any) -> int:
        return lo if it.reverse else hi

    def worst(it: Any) -> int:
        return hi if it.reverse else lo

    add({it.id: best(it) for it in items})
    add({it.id: worst(it) for it in items})
    for v in scale.values:
        add({it.id: v for it in items})
    for it in items:
        for v in scale.values:
            add({o.id: (v if o.id == it.id else worst(o)) for o in items})
            add({o.id: (v if o.id == it.id else best(o)) for o in items})
        add({o.id: ("NA" if o.id == it.id else best(o)) for o in items})
        add({o.id: (None if o.id == it.id else best(o)) for o in items})
    for dom in inst.domains:
        members = inst.items_in(dom.id)
        for k in range(len(members) + 1):
            keep = {m.id for m in members[:k]}
            add({o.id: (best(o) if (o.domain != dom.id or o.id in keep) else None) for o in items})
    domain_ids = [dom.id for dom in inst.domains]
    for mask in range(1, 2 ** len(domain_ids)):
        gone = {d for k, d in enumerate(domain_ids) if mask >> k & 1}
        add({o.id: (None if o.domain in gone else best(o)) for o in items})
    for informant in ("peer", "sup"):
        add({it.id: best(it) for it in items}, informant)
        add({it.id: rng.choice(scale.values) for it in items}, informant)
    for _ in range(n_random):
        choice: dict[str, Any] = {}
        for it in items:
            r = rng.random()
            choice[it.id] = None if r < 0.15 else "NA" if r < 0.25 else rng.choice(scale.values)
        add(choice, rng.choice([None, None, "peer", "sup"]))
    return sheets


def _scores(inst: Instrument, sheets: list[dict[str, Any]]) -> Any:
    return fidelity.score(inst, sheets).to_pandas()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return bool(a == b)


def _score_changes(old: Instrument, new: Instrument, sheets: list[dict[str, Any]]) -> list[str]:
    """Why (if at all) the sheets, made under ``old``, fare differently under ``new``: the
    migration is refused, a migrated sheet is invalid, or some score differs."""
    try:
        step = plan_migration(old, new, loader=None)
    except MigrationRefused as exc:
        return [f"refused: {r}" for r in exc.reasons]
    migrated, problems = migrate_records(sheets, step, at="t")
    if problems:
        return problems
    checked = check_sheets(new, migrated)
    if not checked.problems.ok:
        return [str(p) for p in checked.problems.errors]
    a, b = _scores(old, sheets), _scores(new, migrated)
    out = []
    shared = [d.id for d in old.domains if d.id in {x.id for x in new.domains}]
    if len(shared) != len(old.domains) or len(new.domains) != len(old.domains):
        out.append("domains differ")
    for col in [*shared, "overall", "band"]:
        for i, (x, y) in enumerate(zip(a[col].tolist(), b[col].tolist(), strict=True)):
            if not _same(x, y):
                out.append(f"sheet {i} {col}: {x} -> {y}")
    return out


# ---------------------------------------------------------------------------------------------
# Mutations: one change each


def _mutate(data: dict[str, Any], kind: str, rnd: random.Random) -> dict[str, Any] | None:
    """``data``'s next version with one change of ``kind`` (None when it does not apply)."""
    new = _next(data)
    items = new["items"]
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        by_domain.setdefault(it["domain"], []).append(it)
    doms = {d["id"]: d for d in new["domains"]}
    it = rnd.choice(items)
    multi = [d for d, members in by_domain.items() if len(members) >= 2]
    if kind == "wording":
        it["text"] += " (clarified)"
        it["anchors"]["1"] = "a clearer anchor"
        new["domains"][0]["name"] = "Renamed domain"
        new["title"] = "New title"
    elif kind == "add-item":
        d = rnd.choice(new["domains"])
        template = copy.deepcopy(by_domain[d["id"]][0])
        template.update(id="added-item", text="A new item", required=rnd.random() < 0.5)
        items.append(template)
    elif kind == "rename":
        old_id = it["id"]
        it["id"] = "renamed-item"
        new["changes"]["item_map"] = {old_id: "renamed-item"}
    elif kind in ("remove", "remove-mapped"):
        if not multi:
            return None
        d = rnd.choice(multi)
        victim = rnd.choice(by_domain[d])
        items.remove(victim)
        doms[d]["min_answered"] = min(doms[d]["min_answered"], len(by_domain[d]) - 1)
        if (
            doms[d]["min_answered"]
            != next(x for x in data["domains"] if x["id"] == d)["min_answered"]
        ):
            return None
        if kind == "remove-mapped":
            new["changes"]["item_map"] = {victim["id"]: None}
    elif kind == "move":
        if not multi or len(new["domains"]) < 2:
            return None
        d = rnd.choice(multi)
        mover = rnd.choice(by_domain[d])
        if doms[d]["min_answered"] > len(by_domain[d]) - 1:
            return None
        mover["domain"] = rnd.choice([x for x in doms if x != d])
    elif kind == "reverse":
        it["reverse"] = not it["reverse"]
    elif kind == "reweight":
        it["weight"] = it["weight"] * 3
    elif kind == "min-answered":
        d = rnd.choice(new["domains"])
        n = len(by_domain[d["id"]])
        options = [k for k in range(1, n + 1) if k != d["min_answered"]]
        if not options:
            return None
        d["min_answered"] = rnd.choice(options)
    elif kind == "overall":
        s = new["scoring"]
        s["overall"] = "mean_of_items" if s["overall"] == "mean_of_domains" else "mean_of_domains"
    elif kind == "max-missing":
        n = len(new["domains"])
        options = [k for k in range(0, n) if k != new["scoring"]["max_missing_domains"]]
        if not options:
            return None
        new["scoring"]["max_missing_domains"] = rnd.choice(options)
    elif kind == "band-ids":
        new["scoring"]["bands"][1]["id"] = "top"
    elif kind == "na-off":
        allowing = [x for x in items if x["allow_na"]]
        if not allowing:
            return None
        rnd.choice(allowing)["allow_na"] = False
    elif kind == "na-on":
        closed = [x for x in items if not x["allow_na"]]
        if not closed:
            return None
        rnd.choice(closed)["allow_na"] = True
    elif kind == "informant-off":
        both = [x for x in items if len(x["informants"]) == 2]
        if not both:
            return None
        rnd.choice(both)["informants"] = [rnd.choice(["peer", "sup"])]
    elif kind == "informant-on":
        one = [x for x in items if len(x["informants"]) == 1]
        if not one:
            return None
        rnd.choice(one)["informants"] = ["peer", "sup"]
    elif kind == "required":
        it["required"] = not it["required"]
    elif kind == "add-domain":
        new["domains"].append({"id": "extra", "name": "Extra", "principles": ["p"]})
        extra = copy.deepcopy(items[0])
        extra.update(id="extra-item", domain="extra")
        items.append(extra)
    else:  # pragma: no cover
        raise AssertionError(kind)
    return new


KINDS = [
    "wording",
    "add-item",
    "rename",
    "remove",
    "remove-mapped",
    "move",
    "reverse",
    "reweight",
    "min-answered",
    "overall",
    "max-missing",
    "band-ids",
    "na-off",
    "na-on",
    "informant-off",
    "informant-on",
    "required",
    "add-domain",
]


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


# ---------------------------------------------------------------------------------------------
# Hand-made cases


def _bundled(version: str) -> Instrument:
    return fidelity.load_instrument(f"enrich-peer-support@{version}")


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
    data = yaml.safe_load((Path(__file__).parent / "data" / "lint" / "minimal.yaml").read_text())
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
    data = yaml.safe_load((Path(__file__).parent / "data" / "lint" / "minimal.yaml").read_text())
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


def test_semver_helpers() -> None:
    assert bump_between("1.0.0", "1.0.1") == "patch"
    assert bump_between("1.0.9", "1.1.0") == "minor"
    assert bump_between("1.9.9", "2.0.0") == "major"
    assert bump_between("1.0.0", "1.0.0") == "none"
    assert bump_between("1.1.0", "1.0.9") is None
    assert required_bump("breaking", "1.2.3") == "major"
    assert required_bump("breaking", "0.2.3") == "minor"
    assert required_bump("additive", "1.2.3") == "minor"
    assert required_bump("none", "1.2.3") == "patch"


def test_item_mapping_composes_along_a_chain(tmp_path: Path) -> None:
    data = yaml.safe_load((Path(__file__).parent / "data" / "lint" / "minimal.yaml").read_text())
    v2 = _next(data, "1.1.0")
    v2["items"][1]["id"] = "c-aims"
    v2["changes"]["item_map"] = {"c-goals": "c-aims"}
    v3 = _next(v2, "1.2.0")
    v3["items"][1]["id"] = "c-purpose"
    v3["changes"]["item_map"] = {"c-aims": "c-purpose"}
    versions = {d["version"]: _inst(d) for d in (data, v2, v3)}
    mapping, source = item_mapping(
        versions["1.0.0"], versions["1.2.0"], loader=lambda s: versions[s.split("@")[1]]
    )
    assert mapping["c-goals"] == "c-purpose" and mapping["t-open"] == "t-open"
    assert "1.0.0 → 1.1.0 → 1.2.0" in source


# ---------------------------------------------------------------------------------------------
# Lint: semver discipline, mapping rules, lock


def _write_versions(tmp_path: Path, *docs: dict[str, Any]) -> list[Path]:
    folder = tmp_path / "instruments" / docs[0]["id"]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for doc in docs:
        path = folder / f"{doc['version']}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        out.append(path)
    return out


def _minimal() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "data" / "lint" / "minimal.yaml").read_text())


def _line(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_lint_fails_when_the_bump_is_too_small_and_names_the_changes(tmp_path: Path) -> None:
    old = _minimal()
    new = _next(old, "1.0.1")
    new["items"][1]["reverse"] = True
    _, path = _write_versions(tmp_path, old, new)
    problems = check_instrument_file(path)
    assert [p.code for p in problems] == ["FI204"]
    p = problems[0]
    assert p.line == _line(path, "version: 1.0.1")
    assert "patch bump" in p.message and "need a major bump" in p.message
    assert "item c-goals: reverse scoring on" in p.message
    assert str(p).startswith(f"{path}:{p.line}: FI204 ")


def test_lint_accepts_a_big_enough_bump(tmp_path: Path) -> None:
    old = _minimal()
    new = _next(old, "2.0.0")
    new["items"][1]["reverse"] = True
    _, path = _write_versions(tmp_path, old, new)
    assert check_instrument_file(path) == []
    minor = _next(old, "1.1.0")
    minor["items"].append({**copy.deepcopy(old["items"][1]), "id": "c-new"})
    _, path = _write_versions(tmp_path / "b", old, minor)
    assert check_instrument_file(path) == []


def test_lint_additive_change_needs_a_minor_bump(tmp_path: Path) -> None:
    old = _minimal()
    new = _next(old, "1.0.1")
    new["items"].append({**copy.deepcopy(old["items"][1]), "id": "c-new"})
    _, path = _write_versions(tmp_path, old, new)
    (p,) = check_instrument_file(path)
    assert p.code == "FI204" and "need a minor bump" in p.message and "c-new" in p.message


def test_lint_refuses_a_version_that_is_not_higher(tmp_path: Path) -> None:
    old = _minimal()
    old["version"] = "1.2.0"
    new = _next(old, "1.1.0")
    new["changes"] = {"previous": "1.0.0"}
    _, path = _write_versions(tmp_path, old, new)
    assert [p.code for p in check_instrument_file(path)] == ["FI202"]


@pytest.mark.parametrize(
    ("item_map", "code", "fragment", "needle"),
    [
        ({"t-open": "c-goals", "c-goals": "t-open"}, "FI110", "cycle", "t-open: c-goals"),
        ({"gone": "c-goals"}, "FI203", "not an item of mini@1.0.0", "gone: c-goals"),
        ({"t-open": "nowhere"}, "FI110", "not an item of this version", "t-open: nowhere"),
        ({"t-open": "c-goals"}, "FI203", "keeps its id", "t-open: c-goals"),
    ],
    ids=["cycle", "unknown-source", "missing-target", "implicit-duplicate"],
)
def test_bad_mappings_are_refused_with_file_and_line(
    tmp_path: Path, item_map: dict[str, str], code: str, fragment: str, needle: str
) -> None:
    old = _minimal()
    new = _next(old, "2.0.0")
    new["changes"]["item_map"] = item_map
    _, path = _write_versions(tmp_path, old, new)
    problems = [p for p in check_instrument_file(path) if p.code == code]
    assert problems, check_instrument_file(path)
    assert fragment in problems[0].message
    assert problems[0].line == _line(path, needle)


def test_duplicate_targets_are_refused_with_file_and_line(tmp_path: Path) -> None:
    old = _minimal()
    new = _next(old, "2.0.0")
    new["items"].append({**copy.deepcopy(old["items"][1]), "id": "c-both"})
    new["changes"]["item_map"] = {"c-goals": "c-both", "c-pace": "c-both"}
    _, path = _write_versions(tmp_path, old, new)
    (p,) = [p for p in check_instrument_file(path) if p.code == "FI110"]
    assert "maps both 'c-goals' and 'c-pace' to 'c-both'" in p.message
    assert p.line == _line(path, "c-pace: c-both")


def test_released_files_are_locked_and_match() -> None:
    lock = read_lock(BUNDLED / "released.lock")
    released = []
    for entry in fidelity.list_instruments():
        if entry.source != "bundled":
            continue
        inst = entry.load()
        if inst.status == "released":
            released.append(inst.spec)
            assert inst.spec in lock, f"{inst.spec} is released but not in released.lock"
            assert lock[inst.spec][0] == inst.content_hash, (
                f"{inst.spec} changed after release: {entry.path}"
            )
    assert {"enrich-peer-support@1.0.0", "enrich-peer-support@1.1.0"} <= set(released)


def test_lint_refuses_a_changed_released_file(tmp_path: Path) -> None:
    src = BUNDLED / "enrich-peer-support" / "1.0.0.yaml"
    folder = tmp_path / "enrich-peer-support"
    folder.mkdir()
    edited = folder / "1.0.0.yaml"
    edited.write_text(src.read_text().replace("First release.", "First release, edited."))
    original = read_instrument_file(src)
    (tmp_path / "released.lock").write_text(format_lock({original.spec: original.content_hash}))
    problems = check_instrument_file(edited)
    assert [p.code for p in problems] == ["FI201"]
    assert "never changes" in problems[0].message
    assert problems[0].line == 3


def test_lock_format_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "released.lock"
    path.write_text(
        format_lock({"b@1.0.0": "ab" * 32, "a@1.10.0": "cd" * 32, "a@1.2.0": "ef" * 32})
    )
    entries = read_lock(path)
    assert list(entries) == ["a@1.2.0", "a@1.10.0", "b@1.0.0"]
    path.write_text("a@1.0.0 nohash\n")
    with pytest.raises(ValueError, match=":1: expected"):
        read_lock(path)


# ---------------------------------------------------------------------------------------------
# Migration


def _sheet(inst: Instrument, value: Any = 3, **extra: Any) -> dict[str, Any]:
    ratings = {it.id: value if (value != "NA" or it.allow_na) else 2 for it in inst.items}
    return {"instrument": inst.spec, "assessment": "a1", "rater": "r1", "ratings": ratings, **extra}


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
# Extends


EXAMPLES = ROOT / "examples" / "extending" / "instruments"


def test_derived_instrument_resolves_on_top_of_its_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIDELITY_INSTRUMENT_PATH", str(EXAMPLES))
    inst = fidelity.load_instrument("riverside-peer-support")
    base = _bundled("1.1.0")
    assert inst.extends == "enrich-peer-support@1.1.0"
    assert inst.id == "riverside-peer-support" and inst.version != base.version
    base_ids = [it.id for it in base.items]
    assert [it.id for it in inst.items][: len(base_ids)] == base_ids
    local = [it for it in inst.items if it.id not in base_ids]
    assert local and all(it.id.startswith("rs-") for it in local)
    assert inst.domains[: len(base.domains)] == base.domains
    assert inst.scoring == base.scoring
    # the derived hash covers the resolved content and the base spec
    assert inst.content_hash != base.content_hash
    again = fidelity.instrument.instrument_from_yaml(inst.to_yaml())
    assert again == inst and again.content_hash == inst.content_hash
    for entry in fidelity.list_instruments():
        if entry.id == "riverside-peer-support":
            assert check_instrument_file(entry.path) == [], entry.path


def test_derived_instrument_cannot_redefine_inherited_ids(tmp_path: Path) -> None:
    path = tmp_path / "local" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(
        "id: local\nversion: 1.0.0\ntitle: Local\ndescription: A variant.\n"
        "extends: enrich-peer-support@1.1.0\n"
        "items:\n"
        "  - id: rel-dependable\n    domain: reciprocity\n    text: Changed.\n"
        "    informants: [peer-worker]\n    scale: fidelity-4\n"
        "    anchors: {'1': a, '2': b, '3': c, '4': d}\n"
    )
    (p,) = check_instrument_file(path)
    assert p.code == "FI112" and p.line == 7 and "cannot be changed" in p.message


def test_extends_cycles_and_unknown_bases_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "instruments"
    for name, base in (("aaa", "bbb@1.0.0"), ("bbb", "aaa@1.0.0")):
        (root / name).mkdir(parents=True)
        (root / name / "1.0.0.yaml").write_text(
            f"id: {name}\nversion: 1.0.0\ntitle: T\ndescription: D.\nextends: {base}\n"
        )
    monkeypatch.setenv("FIDELITY_INSTRUMENT_PATH", str(root))
    problems = check_instrument_file(root / "aaa" / "1.0.0.yaml")
    assert problems[0].code == "FI112" and problems[0].line == 5
    assert "cycle" in str(problems[0])
    (root / "aaa" / "1.0.0.yaml").write_text(
        "id: aaa\nversion: 1.0.0\ntitle: T\ndescription: D.\nextends: nothing@1.0.0\n"
    )
    (p,) = check_instrument_file(root / "aaa" / "1.0.0.yaml")
    assert p.code == "FI112" and "cannot load base instrument nothing@1.0.0" in p.message
