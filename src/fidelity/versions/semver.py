"""Semver discipline: the bump each class of change needs, and the bump two versions show.

A breaking change needs a new major version, an additive one a new minor version, wording a new
patch version; while the major version is 0 (initial development, semver §4) a breaking change
needs only a new minor version.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "SEVERITY_RANK",
    "Bump",
    "Severity",
    "bump_between",
    "bump_ok",
    "parse_version",
    "required_bump",
]

Severity = Literal["none", "additive", "breaking"]
"""What a change does to rating sheets that exist under the older version (see
:mod:`fidelity.versions.detectors`)."""

Bump = Literal["major", "minor", "patch", "none"]
"""Which part of ``MAJOR.MINOR.PATCH`` goes up."""

SEVERITY_RANK: dict[str, int] = {"none": 0, "additive": 1, "breaking": 2}
"""Severities from the weakest to the strongest."""

_BUMP_RANK: dict[str, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}


def parse_version(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` as ``(1, 2, 3)``, so that versions compare as numbers; ``ValueError`` when
    ``version`` is not three whole numbers separated by dots."""
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def bump_between(old: str, new: str) -> Bump | None:
    """Which part of the version went up from ``old`` to ``new`` (``none`` if equal, ``None``
    if ``new`` is lower)."""
    a, b = parse_version(old), parse_version(new)
    if b < a:
        return None
    if b == a:
        return "none"
    if b[0] > a[0]:
        return "major"
    if b[1] > a[1]:
        return "minor"
    return "patch"


def required_bump(severity: Severity, old_version: str) -> Bump:
    """The bump a change of ``severity`` needs after ``old_version``.

    breaking → major, additive → minor, none (wording) → patch. While the major version is 0
    (initial development, semver §4) a breaking change needs only a minor bump.
    """
    if severity == "breaking":
        return "minor" if parse_version(old_version)[0] == 0 else "major"
    if severity == "additive":
        return "minor"
    return "patch"


def bump_ok(actual: Bump | None, required: Bump) -> bool:
    """Whether an ``actual`` bump satisfies a ``required`` one."""
    if actual is None:
        return False
    if required == "none":
        return True
    return _BUMP_RANK[actual] >= _BUMP_RANK[required]
