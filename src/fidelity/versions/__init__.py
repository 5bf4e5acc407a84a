"""Versions of an instrument: semver rules, item mappings, diff, the release lock, migration
and scaffolds.

Every change between two versions is classified by what it does to rating sheets that exist
under the older version (``none``, ``additive``, ``breaking``; see
:mod:`fidelity.versions.detectors`), and the semver rule follows from the class
(:mod:`fidelity.versions.semver`). :func:`release_problems` is what ``fidelity lint`` runs for
this; released files are also checked against the lock file ``released.lock`` kept at the root
of an instrument directory (:mod:`fidelity.versions.lock`).
"""

from fidelity.errors import LockError, MigrationRefused
from fidelity.versions.changes import Change, Diff, DomainComparability, MappingProblem
from fidelity.versions.diff import comparability_between, diff
from fidelity.versions.lock import LOCK_NAME, LockReport, format_lock, read_lock, update_lock
from fidelity.versions.mapping import item_mapping
from fidelity.versions.migrate import (
    MigrationResult,
    migrate,
    migrate_files,
    migrate_records,
    plan_migration,
)
from fidelity.versions.release import release_problems
from fidelity.versions.scaffold import scaffold
from fidelity.versions.semver import Severity, bump_between, bump_ok, required_bump

__all__ = [
    "LOCK_NAME",
    "Change",
    "Diff",
    "DomainComparability",
    "LockError",
    "LockReport",
    "MappingProblem",
    "MigrationRefused",
    "MigrationResult",
    "Severity",
    "bump_between",
    "bump_ok",
    "comparability_between",
    "diff",
    "format_lock",
    "item_mapping",
    "migrate",
    "migrate_files",
    "migrate_records",
    "plan_migration",
    "read_lock",
    "release_problems",
    "required_bump",
    "scaffold",
    "update_lock",
]
