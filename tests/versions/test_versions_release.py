"""The version rules of lint: semver discipline (FI204), previous version (FI202), item-map
rules (FI203, FI110) and released files against the lock (FI201)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from versions_support import BUNDLED, _line, _minimal, _next, _write_versions

from fidelity.codes import rule
from fidelity.instrument import read_instrument_file
from fidelity.lint import check_instrument_file
from fidelity.versions import format_lock
from fidelity.versions.release import RELEASE_RULES


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


def test_lint_refuses_a_changed_released_file(tmp_path: Path) -> None:
    src = BUNDLED / "enrich-peer-support" / "1.0.0.yaml"
    folder = tmp_path / "enrich-peer-support"
    folder.mkdir()
    edited = folder / "1.0.0.yaml"
    edited.write_text(src.read_text().replace("First release.", "First release, edited."))
    original = read_instrument_file(src)
    (tmp_path / "released.lock").write_text(format_lock({original.spec: original.content_hash}))
    problems = [p for p in check_instrument_file(edited) if p.severity == "error"]
    assert [p.code for p in problems] == ["FI201"]  # besides warnings on REDCap names (FI301)
    assert "never changes" in problems[0].message
    assert problems[0].line == 3


def test_release_rules_run_in_code_order_and_build_from_the_registry() -> None:
    assert [r.__name__ for r in RELEASE_RULES] == [
        "locked_hash",
        "previous_found",
        "item_map_fits",
        "bump_big_enough",
    ]
    assert [(r.__doc__ or "")[:5] for r in RELEASE_RULES] == ["FI201", "FI202", "FI203", "FI204"]


def test_fi204_message_comes_from_the_registry_template(tmp_path: Path) -> None:
    old = _minimal()
    new = _next(old, "1.0.1")
    new["items"][1]["reverse"] = True
    new["items"][0]["text"] = "Reworded."
    _, path = _write_versions(tmp_path, old, new)
    (p,) = check_instrument_file(path)
    assert p.message == (
        "1.0.0 → 1.0.1 is a patch bump, but the changes since mini@1.0.0 are breaking and "
        "need a major bump: item c-goals: reverse scoring on"
    )
    assert "{" in rule("FI204").template and p.path == "version" and p.ref == "mini@1.0.1"
