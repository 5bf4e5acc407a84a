"""The results of comparing two versions: each :class:`Change`, the per-domain
:class:`DomainComparability`, item-map :class:`MappingProblem` s, and the :class:`Diff` that
holds them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from fidelity.instrument import Instrument
from fidelity.versions.semver import (
    SEVERITY_RANK,
    Bump,
    Severity,
    bump_between,
    bump_ok,
    required_bump,
)

__all__ = ["Change", "Diff", "DomainComparability", "MappingProblem"]


@dataclass(frozen=True)
class Change:
    """One difference between two versions, with its effect on existing rating sheets."""

    kind: str
    """Stable kind, e.g. ``item-added``, ``item-reweighted``, ``band-bounds``."""
    target: str
    """What changed, as ``item:<id>``, ``domain:<id>``, ``scale:<id>``, ``band:<id>``,
    ``scoring`` or ``instrument``."""
    severity: Severity
    message: str
    domains: tuple[str, ...] = ()
    """Domains whose scores the change can touch (for comparability)."""
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "kind": self.kind,
            "target": self.target,
            "severity": self.severity,
            "message": self.message,
            "domains": list(self.domains),
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class DomainComparability:
    """Whether scores of one domain can be compared across two versions.

    ``status`` is ``identical`` (nothing that affects the domain's scores changed),
    ``extended`` (items were added: sheets from the older version score the same under the
    newer one, but newer sheets may include items the older version did not have) or
    ``not-comparable`` (a breaking change touches the domain, or it exists in one version
    only).
    """

    domain: str
    status: Literal["identical", "extended", "not-comparable"]
    reasons: tuple[str, ...] = ()

    @property
    def comparable(self) -> bool:
        """True for ``identical`` and ``extended``."""
        return self.status != "not-comparable"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "domain": self.domain,
            "status": self.status,
            "comparable": self.comparable,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class MappingProblem:
    """A conflict in how item ids map from one version to the next."""

    old_item: str
    message: str


@dataclass(frozen=True)
class Diff:
    """Every change from ``old`` to ``new``, classified (see :mod:`fidelity.versions.detectors`)."""

    old: Instrument
    new: Instrument
    item_map: dict[str, str | None]
    """Each item of ``old`` mapped to its counterpart in ``new`` (``None``: no counterpart)."""
    mapping_source: str
    changes: tuple[Change, ...]
    mapping_problems: tuple[MappingProblem, ...] = ()
    domains: tuple[DomainComparability, ...] = field(default=())

    @property
    def severity(self) -> Severity:
        """The strongest class among the changes (``none`` when there are none)."""
        worst: Severity = "none"
        for change in self.changes:
            if SEVERITY_RANK[change.severity] > SEVERITY_RANK[worst]:
                worst = change.severity
        return worst

    @property
    def empty(self) -> bool:
        """True when the two versions have the same content."""
        return not self.changes

    @property
    def required_bump(self) -> Bump:
        """The smallest version bump these changes need (``none`` when there are none)."""
        if not self.changes:
            return "none"
        return required_bump(self.severity, self.old.version)

    @property
    def actual_bump(self) -> Bump | None:
        """The bump from the old version to the new one (``None`` when the new one is older)."""
        return bump_between(self.old.version, self.new.version)

    def requiring(self, severity: Severity) -> list[Change]:
        """Changes of exactly ``severity``."""
        return [c for c in self.changes if c.severity == severity]

    def comparability(self) -> dict[str, DomainComparability]:
        """Per-domain comparability keyed by domain id."""
        return {d.domain: d for d in self.domains}

    @property
    def overall_comparable(self) -> bool:
        """Whether overall scores (and bands) can be compared across the two versions."""
        if any(c.target in ("scoring",) or c.target.startswith("band:") for c in self.breaking):
            return False
        return all(d.comparable for d in self.domains)

    @property
    def breaking(self) -> list[Change]:
        """The breaking changes."""
        return self.requiring("breaking")

    def comparability_summary(self) -> dict[str, Any]:
        """Per-domain status and overall comparability, as score provenance reports them for
        sheets migrated from ``old`` to ``new``."""
        return {
            "domains": {c.domain: c.status for c in self.domains},
            "overall": "comparable" if self.overall_comparable else "not-comparable",
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (what ``fidelity diff --json`` prints)."""
        return {
            "old": {"spec": self.old.spec, "content_hash": self.old.content_hash},
            "new": {"spec": self.new.spec, "content_hash": self.new.content_hash},
            "severity": self.severity,
            "required_bump": self.required_bump,
            "actual_bump": self.actual_bump,
            "bump_ok": bump_ok(self.actual_bump, self.required_bump),
            "mapping_source": self.mapping_source,
            "item_map": self.item_map,
            "mapping_problems": [
                {"old_item": m.old_item, "message": m.message} for m in self.mapping_problems
            ],
            "changes": [c.to_dict() for c in self.changes],
            "comparability": {
                "overall": self.overall_comparable,
                "domains": [d.to_dict() for d in self.domains],
            },
        }
