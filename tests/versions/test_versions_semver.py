"""Semver helpers: the bump between two versions and the bump a class of change needs."""

from __future__ import annotations

from fidelity.versions import bump_between, required_bump


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
