"""Versions of an instrument: structural diff, compatibility classes, semver discipline, locks.

Every change between two versions is classified by what it does to rating sheets that already
exist under the older version:

``none``
    Wording only: text, guidance, anchors, labels, descriptions, citations, principle tags.
    Every existing sheet is valid under the new version and scores exactly the same.
``additive``
    Something new that leaves every existing sheet's scores unchanged once the sheet is
    migrated (re-pinned, renamed keys): an item added to an existing domain, an item renamed
    through ``changes.item_map``, a relaxed or merely advisory rule (``allow_na`` switched on,
    an informant added to an item, ``required`` switched either way).
``breaking``
    Some existing sheet would score differently, or would no longer validate: an item
    removed (with or without a mapping to ``null``), moved to another domain, re-scaled,
    reverse flag flipped, re-weighted relative to the other items it is averaged with; a
    domain added or removed; ``min_answered``, the overall rule or ``max_missing_domains``
    changed; band bounds or ids changed; ``allow_na`` switched off; an informant taken away
    from an item or from the instrument.

Why an added item is additive. Scoring (``fidelity.scoring``) leaves a missing answer out of
the domain's weighted mean and does not count it towards ``min_answered``, which is a count
of answered items. A sheet made under the older version lacks the new item, so for it the
item is missing: its domain keeps the same answered items, the same weighted mean and the
same count against the same ``min_answered``, hence the same domain, overall score and band.
This holds only while ``min_answered`` stays as it was (changing it is classified on its own,
as breaking) and the item lands in a domain that already existed (a new domain is missing for
old sheets, which counts against ``max_missing_domains``). ``required`` does not enter
scoring: an unanswered required item is a validation *warning*, so a new required item is
still additive, and migrated sheets carry a warning that it was not answered.

The semver rule follows: a breaking change needs a new major version, an additive one a new
minor version, wording a new patch version (for ``0.x`` versions, whose major is 0, a breaking
change needs a new minor version). :func:`release_problems` is what ``fidelity lint`` runs
for this; released files are also checked against the lock file ``released.lock`` kept at
the root of an instrument directory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from fidelity._util.text import short as _short
from fidelity._util.time import utc_timestamp
from fidelity.errors import LockError, MigrationRefused
from fidelity.instrument import Instrument, InstrumentProblem

__all__ = [
    "LOCK_NAME",
    "Change",
    "Diff",
    "DomainComparability",
    "MappingProblem",
    "Severity",
    "bump_between",
    "diff",
    "item_mapping",
    "read_lock",
    "release_problems",
    "required_bump",
]

Severity = Literal["none", "additive", "breaking"]
Bump = Literal["major", "minor", "patch", "none"]

_RANK: dict[str, int] = {"none": 0, "additive": 1, "breaking": 2}
_BUMP_RANK: dict[str, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}

LOCK_NAME = "released.lock"
"""File name of the lock at the root of an instrument directory (next to the ``<id>/``
folders)."""


# ---------------------------------------------------------------------------------------------
# Results


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
    """Every change from ``old`` to ``new``, classified; see the module docstring."""

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
            if _RANK[change.severity] > _RANK[worst]:
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


# ---------------------------------------------------------------------------------------------
# Semver


def _parse_version(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch


def bump_between(old: str, new: str) -> Bump | None:
    """Which part of the version went up from ``old`` to ``new`` (``none`` if equal, ``None``
    if ``new`` is lower)."""
    a, b = _parse_version(old), _parse_version(new)
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
        return "minor" if _parse_version(old_version)[0] == 0 else "major"
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


# ---------------------------------------------------------------------------------------------
# Item mapping

Loader = Callable[[str], Instrument]


def _default_loader(spec: str) -> Instrument:
    from fidelity.instrument.catalog import load_instrument

    return load_instrument(spec)


def _chain(old: Instrument, new: Instrument, loader: Loader | None) -> list[Instrument] | None:
    """Versions from ``new`` back to ``old`` following ``changes.previous`` (new first)."""
    chain = [new]
    current = new
    for _ in range(64):
        if current.version == old.version:
            return chain
        prev = current.changes.previous if current.changes is not None else None
        if prev is None:
            return None
        if prev == old.version:
            chain.append(old)
            return chain
        if loader is None or _parse_version(prev) < _parse_version(old.version):
            return None
        try:
            current = loader(f"{new.id}@{prev}")
        except Exception:  # a broken link only means we fall back to matching by id
            return None
        chain.append(current)
    return None


def _step_map(prev: Instrument, cur: Instrument) -> dict[str, str | None]:
    """Map every item of ``prev`` to ``cur`` through ``cur.changes.item_map``; unlisted items
    keep their id when it still exists."""
    declared = dict(cur.changes.item_map) if cur.changes is not None else {}
    now = {it.id for it in cur.items}
    out: dict[str, str | None] = {}
    for it in prev.items:
        if it.id in declared:
            target = declared[it.id]
            out[it.id] = target if target in now else None
        else:
            out[it.id] = it.id if it.id in now else None
    return out


def item_mapping(
    old: Instrument, new: Instrument, *, loader: Loader | None = _default_loader
) -> tuple[dict[str, str | None], str]:
    """Map each item of ``old`` to its counterpart in ``new``, and say where the map came from.

    Within one instrument id, the ``changes.item_map`` declarations are followed along the
    ``changes.previous`` chain (composed across several versions, inverted when ``new`` is
    the older one). Otherwise, and for items no declaration mentions, an item keeps its id.
    """
    if old.id == new.id and old.version != new.version:
        forward = _parse_version(new.version) > _parse_version(old.version)
        lo, hi = (old, new) if forward else (new, old)
        chain = _chain(lo, hi, loader)
        if chain is not None:
            # chain: hi, ..., lo. Compose maps lo -> ... -> hi.
            composed: dict[str, str | None] = {it.id: it.id for it in lo.items}
            for prev, cur in zip(reversed(chain[1:]), reversed(chain[:-1]), strict=True):
                step = _step_map(prev, cur)
                composed = {
                    k: (step.get(v) if v is not None else None) for k, v in composed.items()
                }
            via = " → ".join(i.version for i in reversed(chain))
            if forward:
                return composed, f"changes.item_map along {via}"
            inverse: dict[str, str | None] = {it.id: None for it in hi.items}
            for k, v in composed.items():
                if v is not None:
                    inverse[v] = k
            return inverse, f"changes.item_map along {via}, inverted"
    ids = {it.id for it in new.items}
    return {it.id: (it.id if it.id in ids else None) for it in old.items}, "item ids"


def _mapping_conflicts(old: Instrument, new: Instrument) -> list[MappingProblem]:
    """Conflicts between ``new``'s declared map and the items of ``old`` (direct step only)."""
    if new.changes is None or new.changes.previous != old.version:
        return []
    declared = new.changes.item_map
    old_ids = {it.id for it in old.items}
    out: list[MappingProblem] = []
    for key in declared:
        if key not in old_ids:
            out.append(
                MappingProblem(
                    key,
                    f"item_map names {key!r}, which is not an item of {old.spec}",
                )
            )
    new_ids = {it.id for it in new.items}
    for key, target in declared.items():
        if target is None or target == key:
            continue
        if target in old_ids and target not in declared and target in new_ids:
            out.append(
                MappingProblem(
                    key,
                    f"item_map maps {key!r} to {target!r}, but {old.spec} also has an item "
                    f"{target!r} that keeps its id; map {target!r} too (to null or elsewhere)",
                )
            )
    return out


# ---------------------------------------------------------------------------------------------
# Diff


def diff(old: Instrument, new: Instrument, *, loader: Loader | None = _default_loader) -> Diff:
    """Every structural change from ``old`` to ``new``, each classified by its effect on the
    scores of rating sheets that exist under ``old``."""
    mapping, source = item_mapping(old, new, loader=loader)
    changes: list[Change] = []
    add = changes.append

    # -- instrument metadata ----------------------------------------------------------------
    if old.id != new.id:
        add(
            Change(
                "instrument-id",
                "instrument",
                "none",
                f"id {old.id} → {new.id}",
                old=old.id,
                new=new.id,
            )
        )
    for attr in ("title", "description", "license", "status"):
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            add(
                Change(
                    f"instrument-{attr}",
                    "instrument",
                    "none",
                    f"{attr} changed",
                    old=a if attr in ("license", "status") else _short(str(a)),
                    new=b if attr in ("license", "status") else _short(str(b)),
                )
            )
    if old.citations != new.citations:
        add(Change("citations", "instrument", "none", "citations changed"))
    if old.extends != new.extends:
        add(
            Change(
                "extends",
                "instrument",
                "none",
                f"base instrument {old.extends or 'none'} → {new.extends or 'none'} "
                "(its effects are listed as the changes below)",
                old=old.extends,
                new=new.extends,
            )
        )
    if old.principles != new.principles:
        add(
            Change(
                "principles",
                "instrument",
                "none",
                "principles (names, descriptions or set) changed",
            )
        )
    old_inf = {i.id: i for i in old.informants}
    new_inf = {i.id: i for i in new.informants}
    for iid in new_inf.keys() - old_inf.keys():
        add(Change("informant-added", f"informant:{iid}", "none", f"informant {iid} added"))
    for iid in old_inf.keys() - new_inf.keys():
        add(
            Change(
                "informant-removed",
                f"informant:{iid}",
                "breaking",
                f"informant {iid} removed: sheets that name this informant no longer validate",
            )
        )
    for iid in old_inf.keys() & new_inf.keys():
        if old_inf[iid] != new_inf[iid]:
            add(
                Change(
                    "informant-wording",
                    f"informant:{iid}",
                    "none",
                    f"informant {iid}: name or description reworded",
                )
            )

    # -- scales -------------------------------------------------------------------------------
    old_scales = {s.id: s for s in old.scales}
    new_scales = {s.id: s for s in new.scales}
    used_new = {it.scale for it in new.items}
    for sid in old_scales.keys() & new_scales.keys():
        a, b = old_scales[sid], new_scales[sid]
        if a.values != b.values:
            affected = tuple(sorted({it.domain for it in new.items if it.scale == sid}))
            users = [it.id for it in new.items if it.scale == sid]
            add(
                Change(
                    "scale-levels",
                    f"scale:{sid}",
                    "breaking" if users else "none",
                    f"scale {sid}: level values {list(a.values)} → {list(b.values)}"
                    + (f" (used by {len(users)} item(s))" if users else " (not used)"),
                    domains=affected,
                    old=list(a.values),
                    new=list(b.values),
                )
            )
        elif a != b:
            add(
                Change(
                    "scale-wording",
                    f"scale:{sid}",
                    "none",
                    f"scale {sid}: labels, anchors or codes reworded",
                )
            )
        a_codes = {c.code for c in a.codes}
        b_codes = {c.code for c in b.codes}
        if a_codes != b_codes:
            add(
                Change(
                    "scale-codes",
                    f"scale:{sid}",
                    "none",
                    f"scale {sid}: codes {sorted(a_codes)} → {sorted(b_codes)} "
                    "(items' allow_na changes are listed separately)",
                )
            )
    for sid in new_scales.keys() - old_scales.keys():
        add(Change("scale-added", f"scale:{sid}", "none", f"scale {sid} added"))
    for sid in old_scales.keys() - new_scales.keys():
        add(
            Change(
                "scale-removed",
                f"scale:{sid}",
                "none",
                f"scale {sid} removed" + (" (still named by items)" if sid in used_new else ""),
            )
        )

    # -- domains ------------------------------------------------------------------------------
    old_dom = {d.id: d for d in old.domains}
    new_dom = {d.id: d for d in new.domains}
    for did in new_dom.keys() - old_dom.keys():
        add(
            Change(
                "domain-added",
                f"domain:{did}",
                "breaking",
                f"domain {did} added: it is missing for every existing sheet, which counts "
                "against max_missing_domains and changes how the overall score is formed",
                domains=(did,),
            )
        )
    for did in old_dom.keys() - new_dom.keys():
        add(
            Change(
                "domain-removed",
                f"domain:{did}",
                "breaking",
                f"domain {did} removed",
                domains=(did,),
            )
        )
    for did in old_dom.keys() & new_dom.keys():
        a, b = old_dom[did], new_dom[did]
        if a.min_answered != b.min_answered:
            add(
                Change(
                    "domain-min-answered",
                    f"domain:{did}",
                    "breaking",
                    f"domain {did}: min_answered {a.min_answered} → {b.min_answered}",
                    domains=(did,),
                    old=a.min_answered,
                    new=b.min_answered,
                )
            )
        if (a.name, a.description, a.principles) != (b.name, b.description, b.principles):
            add(
                Change(
                    "domain-wording",
                    f"domain:{did}",
                    "none",
                    f"domain {did}: name, description or principles changed",
                    domains=(did,),
                )
            )
    if [d.id for d in old.domains if d.id in new_dom] != [
        d.id for d in new.domains if d.id in old_dom
    ]:
        add(Change("domain-order", "instrument", "none", "domains reordered"))

    # -- items --------------------------------------------------------------------------------
    old_items = {it.id: it for it in old.items}
    new_items = {it.id: it for it in new.items}
    targets = {v for v in mapping.values() if v is not None}
    pairs: list[tuple[Any, Any]] = []
    for oid, nid in mapping.items():
        o = old_items[oid]
        if nid is None:
            declared = (
                new.changes is not None
                and oid in new.changes.item_map
                and new.changes.item_map[oid] is None
            )
            why = "mapped to null in changes.item_map" if declared else "no mapping"
            add(
                Change(
                    "item-removed",
                    f"item:{oid}",
                    "breaking",
                    f"item {oid} removed ({why}): sheets that rated it lose that rating",
                    domains=(o.domain,),
                )
            )
            continue
        pairs.append((o, new_items[nid]))
    for nid, n in new_items.items():
        if nid in targets:
            continue
        sev: Severity = "additive"  # a new domain, if any, is reported (and classed) itself
        msg = (
            f"item {nid} added to domain {n.domain}: missing on existing sheets, whose "
            "scores stay the same"
        )
        if n.required:
            msg += " (validation warns that it is unanswered)"
        add(Change("item-added", f"item:{nid}", sev, msg, domains=(n.domain,)))

    for o, n in pairs:
        tgt = f"item:{n.id}"
        doms = tuple(sorted({o.domain, n.domain}))

        def item_change(
            kind: str,
            sev: Severity,
            msg: str,
            old: Any = None,
            new: Any = None,
            target: str = tgt,
            domains: tuple[str, ...] = doms,
        ) -> None:
            add(Change(kind, target, sev, msg, domains=domains, old=old, new=new))

        if o.id != n.id:
            item_change(
                "item-renamed",
                "additive",
                f"item {o.id} renamed to {n.id} (sheets migrate through item_map)",
                old=o.id,
                new=n.id,
            )
        if o.domain != n.domain:
            item_change(
                "item-moved",
                "breaking",
                f"item {n.id} moved from domain {o.domain} to {n.domain}",
                old=o.domain,
                new=n.domain,
            )
        os_, ns_ = old_scales.get(o.scale), new_scales.get(n.scale)
        if o.scale != n.scale and os_ is not None and ns_ is not None:
            if os_.values != ns_.values:
                item_change(
                    "item-rescaled",
                    "breaking",
                    f"item {n.id} re-scaled: {o.scale} {list(os_.values)} → "
                    f"{n.scale} {list(ns_.values)}",
                    old=o.scale,
                    new=n.scale,
                )
            else:
                item_change(
                    "item-scale-renamed",
                    "none",
                    f"item {n.id}: scale {o.scale} → {n.scale} with the same levels",
                    old=o.scale,
                    new=n.scale,
                )
        if o.reverse != n.reverse:
            item_change(
                "item-reverse",
                "breaking",
                f"item {n.id}: reverse scoring {'on' if n.reverse else 'off'}",
                old=o.reverse,
                new=n.reverse,
            )
        if o.allow_na != n.allow_na:
            if n.allow_na:
                item_change(
                    "item-na", "additive", f"item {n.id}: NA now allowed", old=False, new=True
                )
            else:
                item_change(
                    "item-na",
                    "breaking",
                    f"item {n.id}: NA no longer allowed (sheets rating it NA become invalid)",
                    old=True,
                    new=False,
                )
        if o.required != n.required:
            if n.required:
                item_change(
                    "item-required",
                    "additive",
                    f"item {n.id}: now required (where it is missing, validation now "
                    "warns; scores are unchanged)",
                    old=False,
                    new=True,
                )
            else:
                item_change(
                    "item-required",
                    "additive",
                    f"item {n.id}: no longer required",
                    old=True,
                    new=False,
                )
        lost = [i for i in o.informants if i not in n.informants]
        gained = [i for i in n.informants if i not in o.informants]
        if lost:
            item_change(
                "item-informants",
                "breaking",
                f"item {n.id}: informant(s) {', '.join(lost)} no longer accepted "
                "(their sheets become invalid)",
                old=list(o.informants),
                new=list(n.informants),
            )
        elif gained:
            item_change(
                "item-informants",
                "additive",
                f"item {n.id}: informant(s) {', '.join(gained)} now accepted",
                old=list(o.informants),
                new=list(n.informants),
            )
        elif o.informants != n.informants:
            item_change("item-informants-order", "none", f"item {n.id}: informants reordered")
        for attr, label in (
            ("text", "text"),
            ("guidance", "guidance"),
            ("anchors", "anchors"),
            ("principles", "principle tags"),
        ):
            if getattr(o, attr) != getattr(n, attr):
                changed = ""
                if attr == "anchors":
                    levels = sorted(
                        k
                        for k in set(o.anchors) | set(n.anchors)
                        if o.anchors.get(k) != n.anchors.get(k)
                    )
                    changed = f" at level(s) {', '.join(map(str, levels))}"
                item_change(f"item-{attr}", "none", f"item {n.id}: {label} reworded{changed}")

    # -- weights: only relative weights within an averaging group matter -----------------------
    changes.extend(_weight_changes(old, new, pairs))

    # -- item order ---------------------------------------------------------------------------
    old_order = [mapping[it.id] for it in old.items if mapping.get(it.id) is not None]
    new_order = [it.id for it in new.items if it.id in targets]
    if old_order != new_order:
        add(Change("item-order", "instrument", "none", "items reordered"))

    # -- scoring ------------------------------------------------------------------------------
    so, sn = old.scoring, new.scoring
    if so.overall != sn.overall:
        neutral = _overall_rules_agree(old) and _overall_rules_agree(new)
        add(
            Change(
                "scoring-overall",
                "scoring",
                "none" if neutral else "breaking",
                f"overall rule {so.overall} → {sn.overall}"
                + (" (the two rules give the same score for every sheet here)" if neutral else ""),
                old=so.overall,
                new=sn.overall,
            )
        )
    if so.max_missing_domains != sn.max_missing_domains:
        add(
            Change(
                "scoring-max-missing-domains",
                "scoring",
                "breaking",
                f"max_missing_domains {so.max_missing_domains} → {sn.max_missing_domains}",
                old=so.max_missing_domains,
                new=sn.max_missing_domains,
            )
        )
    if so.rationale != sn.rationale:
        add(Change("scoring-wording", "scoring", "none", "scoring rationale reworded"))
    ob = sorted(so.bands, key=lambda b: b.lower)
    nb = sorted(sn.bands, key=lambda b: b.lower)
    if [(b.lower, b.upper) for b in ob] != [(b.lower, b.upper) for b in nb]:
        add(
            Change(
                "band-bounds",
                "band:*",
                "breaking",
                "band bounds " + _bands_text(ob) + " → " + _bands_text(nb),
                old=[[b.lower, b.upper] for b in ob],
                new=[[b.lower, b.upper] for b in nb],
            )
        )
    elif [b.id for b in ob] != [b.id for b in nb]:
        add(
            Change(
                "band-ids",
                "band:*",
                "breaking",
                "band ids "
                + ", ".join(b.id for b in ob)
                + " → "
                + ", ".join(b.id for b in nb)
                + " (score outputs report band ids)",
                old=[b.id for b in ob],
                new=[b.id for b in nb],
            )
        )
    for a, b in zip(ob, nb, strict=False):
        if a.id == b.id and (a.label, a.rationale) != (b.label, b.rationale):
            add(
                Change(
                    "band-wording",
                    f"band:{b.id}",
                    "none",
                    f"band {b.id}: label or rationale reworded",
                )
            )

    return Diff(
        old=old,
        new=new,
        item_map=mapping,
        mapping_source=source,
        changes=tuple(changes),
        mapping_problems=tuple(_mapping_conflicts(old, new)),
        domains=_comparability(old, new, changes),
    )


def _overall_rules_agree(inst: Instrument) -> bool:
    """Whether ``mean_of_domains`` and ``mean_of_items`` give the same overall score for every
    sheet on this structure (so switching between them changes nothing).

    With one domain the two agree when the domain can only be missing with no item answered
    (``min_answered`` 1) or a missing domain makes the overall score missing anyway
    (``max_missing_domains`` 0). With several domains they agree only when every domain is
    scored only when complete (``min_answered`` = its number of items), all domains carry the
    same total weight (so the item mean is the mean of domain means), and a missing domain
    leaves no answered item behind for the item mean (``max_missing_domains`` 0, or
    single-item domains).
    """
    m = inst.scoring.max_missing_domains
    if len(inst.domains) == 1:
        return m == 0 or inst.domains[0].min_answered == 1
    totals = []
    for dom in inst.domains:
        members = inst.items_in(dom.id)
        if dom.min_answered != len(members):
            return False
        if m != 0 and len(members) != 1:
            return False
        totals.append(sum(it.weight for it in members))
    return all(math.isclose(t, totals[0], rel_tol=1e-12) for t in totals)


def _bands_text(bands: Iterable[Any]) -> str:
    return " ".join(f"{b.id}[{b.lower:g},{b.upper:g})" for b in bands)


def _weight_changes(old: Instrument, new: Instrument, pairs: list[tuple[Any, Any]]) -> list[Change]:
    """Re-weighting matters only when the ratio of weights among items averaged together
    changes: within a domain, and across all items when the overall score is a mean of
    items. Scaling every weight in a group by the same factor changes nothing."""
    out: list[Change] = []
    changed = [(o, n) for o, n in pairs if o.weight != n.weight and o.domain == n.domain]
    if not changed:
        return out

    def proportional(group: list[tuple[Any, Any]]) -> bool:
        ratios = [n.weight / o.weight for o, n in group]
        return all(math.isclose(r, ratios[0], rel_tol=1e-12) for r in ratios)

    stays = [(o, n) for o, n in pairs if o.domain == n.domain]
    overall_items = (
        old.scoring.overall == "mean_of_items" and new.scoring.overall == "mean_of_items"
    )
    for o, n in changed:
        group = [(a, b) for a, b in stays if b.domain == n.domain]
        relative = not proportional(group)
        if overall_items and not proportional(stays):
            relative = True
        if relative:
            out.append(
                Change(
                    "item-reweighted",
                    f"item:{n.id}",
                    "breaking",
                    f"item {n.id}: weight {o.weight:g} → {n.weight:g} (changes its weight relative "
                    "to the items it is averaged with)",
                    domains=(n.domain,),
                    old=o.weight,
                    new=n.weight,
                )
            )
        else:
            out.append(
                Change(
                    "item-reweighted",
                    f"item:{n.id}",
                    "none",
                    f"item {n.id}: weight {o.weight:g} → {n.weight:g}, in proportion with every "
                    "item it is averaged with (no effect on scores)",
                    domains=(n.domain,),
                    old=o.weight,
                    new=n.weight,
                )
            )
    return out


def _comparability(
    old: Instrument, new: Instrument, changes: list[Change]
) -> tuple[DomainComparability, ...]:
    old_ids = [d.id for d in old.domains]
    new_ids = [d.id for d in new.domains]
    out: list[DomainComparability] = []
    for did in new_ids + [d for d in old_ids if d not in new_ids]:
        if did not in old_ids or did not in new_ids:
            where = "new" if did not in old_ids else "old"
            out.append(
                DomainComparability(did, "not-comparable", (f"exists in the {where} version only",))
            )
            continue
        touching = [c for c in changes if did in c.domains]
        breaking = tuple(c.message for c in touching if c.severity == "breaking")
        if breaking:
            out.append(DomainComparability(did, "not-comparable", breaking))
            continue
        added = tuple(
            f"adds item {c.target.removeprefix('item:')}"
            for c in touching
            if c.kind == "item-added" and c.severity == "additive"
        )
        if added:
            out.append(DomainComparability(did, "extended", added))
        else:
            out.append(DomainComparability(did, "identical"))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Lock file of released versions


def read_lock(path: str | os.PathLike[str]) -> dict[str, tuple[str, int]]:
    """Read a lock file: ``id@version`` → (sha256 hex, line).

    Format: one ``id@version sha256:<hex>`` per line; ``#`` starts a comment."""
    out: dict[str, tuple[str, int]] = {}
    text = Path(path).read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].startswith("sha256:"):
            raise ValueError(f"{path}:{number}: expected 'id@version sha256:<hex>', got {raw!r}")
        out[parts[0]] = (parts[1].removeprefix("sha256:"), number)
    return out


def format_lock(entries: Mapping[str, str]) -> str:
    """The text of a lock file for ``id@version`` → sha256 hex, sorted by id then version."""

    def key(spec: str) -> tuple[str, tuple[int, int, int]]:
        inst_id, version = spec.split("@")
        return inst_id, _parse_version(version)

    lines = [
        "# Content hashes (sha256 of the canonical JSON form) of released instrument versions.",
        "# A released version never changes: `fidelity lint` and the test suite compare every",
        "# file against this list. Add a line when you release a version (`fidelity lock DIR`);",
        "# never edit an existing one.",
    ]
    lines += [f"{spec} sha256:{entries[spec]}" for spec in sorted(entries, key=key)]
    return "\n".join(lines) + "\n"


def lock_path_for(file: str | os.PathLike[str]) -> Path:
    """Where the lock for an instrument file lives: ``<root>/released.lock`` for a file at
    ``<root>/<id>/<version>.yaml``."""
    return Path(file).resolve().parent.parent / LOCK_NAME


# ---------------------------------------------------------------------------------------------
# Lint: semver discipline and released-file protection


def _siblings(file: Path, inst: Instrument) -> dict[str, Path]:
    """Other version files of the same instrument in the same directory."""
    out: dict[str, Path] = {}
    for candidate in file.parent.glob("*.yaml"):
        stem = candidate.stem
        if candidate.resolve() == file.resolve():
            continue
        try:
            _parse_version(stem)
        except ValueError:
            continue
        out[stem] = candidate
    return out


def previous_version(
    inst: Instrument, file: str | os.PathLike[str] | None = None
) -> tuple[Instrument | None, str | None]:
    """The version ``inst`` should be compared with, and a problem message if it cannot be
    found. Looks next to ``file`` first, then in the catalog. Uses ``changes.previous`` when
    it is given, else the highest lower version."""
    from fidelity.instrument import InstrumentError, read_instrument_file
    from fidelity.instrument.catalog import CatalogError, list_instruments

    candidates: dict[str, Callable[[], Instrument]] = {}
    try:
        for entry in list_instruments():
            if entry.id == inst.id:
                candidates[entry.version] = entry.load
    except CatalogError:
        pass
    if file is not None:
        for version, path in _siblings(Path(file), inst).items():
            candidates[version] = partial(read_instrument_file, path)
    candidates.pop(inst.version, None)
    wanted = inst.changes.previous if inst.changes is not None else None
    if wanted is not None:
        if _parse_version(wanted) >= _parse_version(inst.version):
            return None, (
                f"changes.previous is {wanted}, which is not lower than this version {inst.version}"
            )
        if wanted not in candidates:
            have = ", ".join(sorted(candidates, key=_parse_version)) or "none"
            return None, (
                f"changes.previous names {inst.id}@{wanted}, which cannot be found next to this "
                f"file or in the catalog (versions found: {have})"
            )
        chosen = wanted
    else:
        lower = [v for v in candidates if _parse_version(v) < _parse_version(inst.version)]
        if not lower:
            return None, None
        chosen = max(lower, key=_parse_version)
    try:
        return candidates[chosen](), None
    except (InstrumentError, CatalogError) as exc:
        return None, f"previous version {inst.id}@{chosen} does not load: {exc}"
    except (LookupError, OSError) as exc:
        return None, f"previous version {inst.id}@{chosen} does not load: {exc}"


def release_problems(inst: Instrument, file: str | os.PathLike[str]) -> list[InstrumentProblem]:
    """The version rules ``fidelity lint`` adds for a valid instrument file.

    FI201 a released version whose content hash differs from the lock file;
    FI202 ``changes.previous`` that cannot be found or is not lower;
    FI203 ``changes.item_map`` names an item the previous version does not have, or maps an
    item onto an id another item still holds;
    FI204 the version bump is smaller than the changes since the previous version require.
    """
    from fidelity.errors import YamlError
    from fidelity.instrument._yaml import read_yaml_text

    path = Path(file)
    try:
        located = read_yaml_text(path.read_bytes(), source=str(path))
        line_of: Callable[[tuple[Any, ...]], int | None] = located.line_of
    except (OSError, YamlError):  # pragma: no cover - the file was just read successfully

        def line_of(_: tuple[Any, ...]) -> int | None:
            return None

    problems: list[InstrumentProblem] = []
    src = str(path)

    lock = lock_path_for(path)
    if inst.status == "released" and lock.is_file():
        try:
            entries = read_lock(lock)
        except ValueError as exc:
            problems.append(InstrumentProblem("FI201", str(exc), str(lock)))
            entries = {}
        locked = entries.get(inst.spec)
        if locked is not None and locked[0] != inst.content_hash:
            problems.append(
                InstrumentProblem(
                    "FI201",
                    f"{inst.spec} is released and locked with content hash {locked[0][:12]}… "
                    f"({lock}:{locked[1]}), but this file hashes to {inst.content_hash[:12]}…: a "
                    "released version never changes; put the change in a new version",
                    src,
                    line_of(("version",)),
                    "version",
                    inst.spec,
                )
            )

    prev, why = previous_version(inst, path)
    if why is not None:
        problems.append(
            InstrumentProblem(
                "FI202", why, src, line_of(("changes", "previous")), "changes.previous", inst.spec
            )
        )
    if prev is None:
        return problems

    d = diff(prev, inst)
    for mp in d.mapping_problems:
        problems.append(
            InstrumentProblem(
                "FI203",
                mp.message,
                src,
                line_of(("changes", "item_map", mp.old_item)),
                f"changes.item_map.{mp.old_item}",
                mp.old_item,
            )
        )
    actual = d.actual_bump  # previous_version() only returns lower versions
    needed = d.required_bump
    if not bump_ok(actual, needed):
        worst = d.severity
        reasons = d.requiring(worst)
        listed = "; ".join(c.message for c in reasons[:8])
        more = f"; and {len(reasons) - 8} more" if len(reasons) > 8 else ""
        problems.append(
            InstrumentProblem(
                "FI204",
                f"{prev.version} → {inst.version} is a {actual} bump, but the changes since "
                f"{prev.spec} are {worst} and need a {needed} bump: {listed}{more}",
                src,
                line_of(("version",)),
                "version",
                inst.spec,
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Migration of rating sheets


@dataclass(frozen=True)
class MigrationStep:
    """How sheets of ``old`` become sheets of ``new``."""

    old: Instrument
    new: Instrument
    item_map: dict[str, str | None]
    """Every item of ``old`` → its counterpart in ``new`` (``None``: no counterpart)."""
    mapping_source: str
    added: tuple[str, ...]
    """Items of ``new`` with no counterpart in ``old``: missing on migrated sheets."""

    @property
    def renamed(self) -> dict[str, str]:
        """Items whose id changed."""
        return {k: v for k, v in self.item_map.items() if v is not None and v != k}

    @property
    def dropped(self) -> tuple[str, ...]:
        """Items of ``old`` with no counterpart in ``new``."""
        return tuple(k for k, v in self.item_map.items() if v is None)

    def describe(self) -> str:
        """One line for the terminal."""
        parts = [f"{self.old.spec} → {self.new.spec} ({self.mapping_source})"]
        if self.renamed:
            parts.append("renamed " + ", ".join(f"{a}→{b}" for a, b in self.renamed.items()))
        if self.dropped:
            parts.append("dropped " + ", ".join(self.dropped))
        if self.added:
            parts.append("new (left missing) " + ", ".join(self.added))
        return "; ".join(parts)


def plan_migration(
    old: Instrument, new: Instrument, *, loader: Loader | None = _default_loader
) -> MigrationStep:
    """Check that sheets of ``old`` can be carried to ``new`` and say how; raise
    :class:`MigrationRefused` with every reason otherwise.

    Refused: different instruments; the same version; versions that no chain of
    ``changes.previous`` links (so no mapping was ever declared between them); a mapped item
    whose levels differ (item_map maps ids, not values) or whose reverse flag flipped (the
    same number would then mean the opposite).
    """
    reasons: list[str] = []
    if old.id != new.id:
        raise MigrationRefused(
            [
                f"{old.spec} and {new.spec} are different instruments; migration works between "
                "versions of one instrument"
            ]
        )
    if old.version == new.version:
        if old.content_hash != new.content_hash:
            raise MigrationRefused(
                [
                    f"two different files both claim to be {new.spec}; a released version never "
                    "changes"
                ]
            )
        raise MigrationRefused([f"the sheets are already on {new.spec}"])
    mapping, source = item_mapping(old, new, loader=loader)
    if source == "item ids":
        raise MigrationRefused(
            [
                f"no chain of changes.previous links {old.spec} and {new.spec}, so no item "
                "mapping was declared between them"
            ]
        )
    old_scales = {s.id: s for s in old.scales}
    new_scales = {s.id: s for s in new.scales}
    new_items = {it.id: it for it in new.items}
    for o in old.items:
        target = mapping.get(o.id)
        if target is None:
            continue
        n = new_items[target]
        if old_scales[o.scale].values != new_scales[n.scale].values:
            reasons.append(
                f"item {o.id} → {n.id}: levels {list(old_scales[o.scale].values)} → "
                f"{list(new_scales[n.scale].values)}; item_map maps ids, not values, so these "
                "ratings cannot be carried over"
            )
        if o.reverse != n.reverse:
            reasons.append(
                f"item {o.id} → {n.id}: reverse scoring flipped, so the same level would mean "
                "the opposite; these ratings cannot be carried over"
            )
    if reasons:
        raise MigrationRefused(reasons)
    targets = {v for v in mapping.values() if v is not None}
    added = tuple(it.id for it in new.items if it.id not in targets)
    return MigrationStep(old, new, mapping, source, added)


def migrate_records(
    records: list[dict[str, Any]],
    step: MigrationStep,
    *,
    at: str | None = None,
    where: list[str] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Migrate checked sheet records (plain dicts whose ratings are ints, ``"NA"`` or
    ``None``); return the migrated records and the reasons any of them cannot be migrated.

    A rating moves to the mapped item; an item with no counterpart is dropped and its value
    (and comment) kept in the provenance record; an item new in the target version is set to
    ``None`` (missing). NA on an item that no longer allows it, an informant the target
    version does not know, or a rating for an item no longer asked of the sheet's informant
    cannot be carried over without changing its meaning, and is refused.
    """
    from fidelity import __version__

    stamp = at if at is not None else utc_timestamp()
    new_items = {it.id: it for it in step.new.items}
    known_informants = {i.id for i in step.new.informants}
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    for k, rec in enumerate(records):
        label = where[k] if where is not None else f"sheet {k}"
        who = f"{label} (assessment {rec.get('assessment')}, rater {rec.get('rater')})"
        informant = rec.get("informant")
        if informant is not None and informant not in known_informants:
            problems.append(
                f"{who}: informant {informant!r} is not an informant of {step.new.spec}"
            )
        ratings: dict[str, Any] = {}
        dropped: dict[str, Any] = {}
        for old_id, value in rec.get("ratings", {}).items():
            target = step.item_map.get(old_id)
            if target is None:
                dropped[old_id] = value
                continue
            item = new_items[target]
            if value == "NA" and not item.allow_na:
                problems.append(
                    f"{who}: {old_id} is NA, which {target} in {step.new.spec} does not allow"
                )
            if value is not None and informant is not None and informant not in item.informants:
                problems.append(
                    f"{who}: {target} is not asked of informant {informant} in "
                    f"{step.new.spec}, but the sheet rates {old_id}"
                )
            ratings[target] = value
        for new_id in step.added:
            ratings[new_id] = None
        order = {it.id: i for i, it in enumerate(step.new.items)}
        migrated: dict[str, Any] = {
            key: rec[key] for key in rec if key not in ("ratings", "comments", "migrations")
        }
        migrated["instrument"] = step.new.spec
        migrated["ratings"] = dict(sorted(ratings.items(), key=lambda kv: order[kv[0]]))
        comments: dict[str, Any] = {}
        dropped_comments: dict[str, Any] = {}
        for old_id, text in rec.get("comments", {}).items():
            target = step.item_map.get(old_id)
            if target is None:
                dropped_comments[old_id] = text
            else:
                comments[target] = text
        if comments:
            migrated["comments"] = comments
        entry: dict[str, Any] = {
            "from": step.old.spec,
            "from_hash": step.old.content_hash,
            "to": step.new.spec,
            "to_hash": step.new.content_hash,
            "mapping": step.mapping_source,
            "renamed": {a: b for a, b in step.renamed.items() if a in rec.get("ratings", {})},
            "dropped": dropped,
            "added_missing": list(step.added),
            "by": f"fidelity {__version__}",
            "at": stamp,
        }
        if dropped_comments:
            entry["dropped_comments"] = dropped_comments
        previous = rec.get("migrations")
        history = list(previous) if isinstance(previous, list) else []
        migrated["migrations"] = [*history, entry]
        out.append(migrated)
    return out, problems


@dataclass(frozen=True)
class MigratedFile:
    """One output of :func:`migrate_files`."""

    source: str
    name: str
    text: str
    n_sheets: int


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate_files` produced (nothing is written yet)."""

    outputs: tuple[MigratedFile, ...]
    steps: tuple[MigrationStep, ...]

    def report(self, written: list[str]) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "steps": [
                {
                    "from": s.old.spec,
                    "to": s.new.spec,
                    "mapping": s.mapping_source,
                    "renamed": s.renamed,
                    "dropped": list(s.dropped),
                    "added_missing": list(s.added),
                }
                for s in self.steps
            ],
            "files": [
                {"input": o.source, "output": w, "sheets": o.n_sheets}
                for o, w in zip(self.outputs, written, strict=True)
            ],
        }


def _checked_records(inst: Instrument, batch: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The sheets of a one-input batch as normalised records, after validating them on
    ``inst`` (errors become refusal reasons)."""
    from fidelity.ratings import ANSWERED, NA, as_batch, check_sheets

    batch = as_batch(batch)
    checked = check_sheets(inst, batch)
    if not checked.problems.ok:
        return [], [str(p) for p in checked.problems.errors]
    raw = list(batch.records())
    ids = [it.id for it in inst.items]
    out: list[dict[str, Any]] = []
    for i, rec in enumerate(raw):
        sheet: dict[str, Any] = {
            "instrument": inst.spec,
            "assessment": checked.assessment[i],
            "rater": checked.rater[i],
        }
        for name in ("site", "informant", "date"):
            value = getattr(checked, name)[i]
            if value is not None:
                sheet[name] = value
        if bool(checked.consensus[i]):
            sheet["consensus"] = True
        ratings: dict[str, Any] = {}
        for j, item_id in enumerate(ids):
            state = checked.state[i, j]
            if state == ANSWERED:
                ratings[item_id] = int(checked.values[i, j])
            elif state == NA:
                ratings[item_id] = "NA"
            elif item_id in rec.get("ratings", {}):
                ratings[item_id] = None
        sheet["ratings"] = ratings
        if rec.get("comments"):
            sheet["comments"] = dict(rec["comments"])
        if isinstance(rec.get("migrations"), list):
            sheet["migrations"] = rec["migrations"]
        out.append(sheet)
    return out, []


def migrate_files(
    files: Iterable[str | os.PathLike[str]],
    target: Instrument,
    *,
    source: Instrument | None = None,
    loader: Loader | None = _default_loader,
) -> MigrationResult:
    """Read, check and migrate rating-sheet files to ``target``; raise
    :class:`MigrationRefused` (listing every reason) when anything cannot be migrated.

    Each input gives one output named after it: JSON for ``.json``, ``.csv`` and ``.xlsx``
    inputs (tables have no place for provenance), JSON Lines for ``.jsonl``. The source
    version is ``source`` or the version the sheets are pinned to. Migrated sheets are
    validated on ``target`` before anything is returned.
    """
    import json

    from fidelity.ratings import SheetBatch, read_sheets

    paths = [Path(f) for f in files]
    batch = read_sheets(paths)
    reasons = [str(p) for p in batch.problems]
    if reasons:
        raise MigrationRefused(reasons)
    steps: dict[str, MigrationStep] = {}
    outputs: list[MigratedFile] = []
    names: dict[str, str] = {}
    for path, seg in zip(paths, batch.segments, strict=True):
        one = SheetBatch([seg])
        pins = one.instruments()
        if source is not None:
            other = [p for p in pins if p != source.spec]
            if other:
                reasons.append(
                    f"{path}: sheets are pinned to {', '.join(other)}, not to --from {source.spec}"
                )
                continue
            old = source
        else:
            unpinned = [r for r in one.records() if not r.get("instrument")]
            if unpinned or len(pins) != 1:
                reasons.append(
                    f"{path}: "
                    + (
                        f"sheets name several versions ({', '.join(pins)}); migrate them apart"
                        if len(pins) > 1
                        else "some sheets name no instrument version; give it with --from"
                    )
                )
                continue
            try:
                old = (loader or _default_loader)(pins[0])
            except Exception as exc:
                reasons.append(f"{path}: cannot load {pins[0]}: {exc}")
                continue
        try:
            step = steps.get(old.spec) or plan_migration(old, target, loader=loader)
        except MigrationRefused as exc:
            reasons.extend(f"{path}: {r}" for r in exc.reasons)
            continue
        steps[old.spec] = step
        records, problems = _checked_records(old, one)
        if problems:
            reasons.extend(problems)
            continue
        where = [f"{path} sheet {k + 1}" for k in range(len(records))]
        migrated, problems = migrate_records(records, step, where=where)
        if problems:
            reasons.extend(problems)
            continue
        from fidelity.ratings import check_sheets

        after = check_sheets(target, migrated)
        if not after.problems.ok:
            reasons.extend(f"{path}: after migration: {p}" for p in after.problems.errors)
            continue
        jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
        name = path.stem + (".jsonl" if jsonl else ".json")
        if name in names:
            reasons.append(f"{path} and {names[name]} would both be written to {name}")
            continue
        names[name] = str(path)
        if jsonl:
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in migrated)
        elif seg.locator == "single" and len(migrated) == 1:
            text = json.dumps(migrated[0], indent=2, ensure_ascii=False) + "\n"
        else:
            text = json.dumps(migrated, indent=2, ensure_ascii=False) + "\n"
        outputs.append(MigratedFile(str(path), name, text, len(migrated)))
    if reasons:
        raise MigrationRefused(reasons)
    return MigrationResult(tuple(outputs), tuple(steps.values()))


def migrate(
    sheets: list[dict[str, Any]],
    old: Instrument,
    new: Instrument,
    *,
    loader: Loader | None = _default_loader,
) -> list[dict[str, Any]]:
    """Migrate in-memory sheets (dicts) from ``old`` to ``new``; raise
    :class:`MigrationRefused` when the sheets are invalid on ``old`` or cannot be carried
    over."""
    step = plan_migration(old, new, loader=loader)
    records, problems = _checked_records(old, sheets)
    if problems:
        raise MigrationRefused(problems)
    migrated, problems = migrate_records(records, step)
    if problems:
        raise MigrationRefused(problems)
    return migrated


# ---------------------------------------------------------------------------------------------
# Lock maintenance


@dataclass(frozen=True)
class LockReport:
    """What :func:`update_lock` found."""

    path: Path
    locked: tuple[str, ...]
    added: tuple[str, ...]


def update_lock(directory: str | os.PathLike[str], *, write: bool = True) -> LockReport:
    """Add every released ``<dir>/<id>/<version>.yaml`` missing from ``<dir>/released.lock``.

    Existing entries are never changed; a released file whose hash differs from its entry
    raises :class:`LockError`. Draft versions are not locked."""
    from fidelity.instrument import InstrumentError, read_instrument_file

    root = Path(directory)
    lock = root / LOCK_NAME
    entries = {k: v[0] for k, v in read_lock(lock).items()} if lock.is_file() else {}
    problems: list[str] = []
    added: list[str] = []
    for file in sorted(root.glob("*/*.yaml")):
        try:
            _parse_version(file.stem)
        except ValueError:
            continue
        try:
            inst = read_instrument_file(file)
        except InstrumentError as exc:
            problems.extend(str(p) for p in exc.problems)
            continue
        if inst.status != "released":
            continue
        known = entries.get(inst.spec)
        if known is None:
            entries[inst.spec] = inst.content_hash
            added.append(inst.spec)
        elif known != inst.content_hash:
            problems.append(
                f"{file}: {inst.spec} hashes to {inst.content_hash} but {lock} records {known}: "
                "a released version never changes"
            )
    if problems:
        raise LockError(problems)
    if added and write:
        from fidelity._util.atomic import atomic_write

        atomic_write(lock, format_lock(entries))
    return LockReport(lock, tuple(sorted(entries)), tuple(added))


# ---------------------------------------------------------------------------------------------
# Scaffolding: `fidelity new`

_SCHEMA_URL = "https://fidelity.readthedocs.io/schemas/instrument.schema.json"

_NEW_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# A new instrument written by `fidelity new`. It is valid as it stands: check it with
#   fidelity lint {path}
# and read it back with `fidelity show {path}`. Replace every placeholder text.
# The file lives at <dir>/<id>/<version>.yaml; add <dir> to FIDELITY_INSTRUMENT_PATH (or ship
# it in a plugin) so that `fidelity.load_instrument("{id}")` finds it.

# id: lowercase letters, digits and single hyphens; the same in every version.
id: {id}
# version: MAJOR.MINOR.PATCH. Once released a version never changes; after that, wording
# changes need a new patch version, additions a new minor version, and anything that changes
# an existing rating sheet's score a new major version (`fidelity lint` checks this).
version: {version}
# status: draft while you work on it; released when its content is frozen (then run
# `fidelity lock <dir>` to record its content hash).
status: draft
title: {title}
description: >-
  What the instrument measures, for whom, how it was written, and what it is not (for
  example, whether it has been validated).
# license: the licence of the instrument text (an SPDX identifier where one exists).
license: CC-BY-4.0
# citations: published sources the instrument draws on (id, text, optional doi and role).
citations:
  - id: example-source
    text: Author A (2024). The title of the source. Journal.
    role: What this source contributes (structure, principles, reference values).
# informants: the people whose interviews (or records) provide the evidence.
informants:
  - id: peer-worker
    name: Peer worker
    description: The person providing the support being assessed.
# principles: what the instrument encodes. Every principle is measured by a domain, or
# (cross_cutting: true) tagged on items across domains.
principles:
  - id: first-principle
    name: First principle
    description: What practice that keeps to this principle looks like.
# scales: ordered levels (value, label, generic anchor) and allowed codes; NA (not
# applicable) is left out of scoring by design and allowed only on items with allow_na.
scales:
  - id: four-level
    name: Four-level scale
    levels:
      - value: 1
        label: Not evident
        anchor: No evidence of the practice.
      - value: 2
        label: Limited
        anchor: The practice happens occasionally or partly.
      - value: 3
        label: Largely evident
        anchor: The practice is regular, with some gaps.
      - value: 4
        label: Fully evident
        anchor: The practice is consistent and deliberate.
    codes:
      - code: NA
        label: Not applicable
# domains: groups of items scored together. A domain score is the weighted mean of its
# answered items, or missing when fewer than min_answered items are answered.
domains:
  - id: first-domain
    name: First domain
    principles: [first-principle]
    min_answered: 1
# items: what raters judge. Each names its domain, informants and scale and gives an anchor
# for every level of that scale. Optional: principles (tags), guidance, reverse (score as
# max + min - value), weight (default 1), allow_na (default false), required (default true).
items:
  - id: first-item
    domain: first-domain
    text: What the rater judges, in one sentence.
    guidance: Where to find the evidence and how to weigh it.
    informants: [peer-worker]
    scale: four-level
    anchors:
      "1": What level 1 looks like for this item.
      "2": What level 2 looks like for this item.
      "3": What level 3 looks like for this item.
      "4": What level 4 looks like for this item.
  - id: second-item
    domain: first-domain
    text: What the rater judges, in one sentence.
    informants: [peer-worker]
    scale: four-level
    allow_na: true
    anchors:
      "1": What level 1 looks like for this item.
      "2": What level 2 looks like for this item.
      "3": What level 3 looks like for this item.
      "4": What level 4 looks like for this item.
# scoring: the overall score is the mean of domain scores (or mean_of_items), missing when
# more than max_missing_domains domains are missing. Bands are closed-open intervals
# [lower, upper) covering the score range (the top band includes its upper bound).
scoring:
  overall: mean_of_domains
  max_missing_domains: 0
  bands:
    - id: low
      label: Low
      lower: 1
      upper: 2.5
      rationale: Why this cut-point.
    - id: high
      label: High
      lower: 2.5
      upper: 4
      rationale: Why this cut-point.
# changes: from the second version on, what changed since `previous`, and item_map
# (old item id -> new id, or null when an item has no counterpart) for migrating sheets.
changes:
  summary: First version.
"""

_DERIVED_TEMPLATE = """\
# yaml-language-server: $schema={schema}
# A derived instrument written by `fidelity new --extends {base}`. It is valid as it stands:
#   fidelity lint {path}
#   fidelity show {path}
#
# How inheritance resolves: everything in {base} (citations, informants, principles,
# scales, domains, items) comes first, in its own order; the entries below are added after
# it. Ids are looked up in the combined lists, so a local item can sit in a base domain and
# use a base scale. An inherited entry cannot be changed here (repeating it unchanged is
# allowed); give a local variant its own id. license and scoring are inherited unless given.
# This instrument has its own id and its own version history; the base stays pinned at
# {base} until you change `extends` in a new version.

id: {id}
version: {version}
status: draft
title: {title}
description: >-
  What this local version adds to {base_title} and why.
extends: {base}
items:
  - id: {item_id}
    domain: {domain}
    text: What the rater judges, in one sentence.
    guidance: Where to find the evidence and how to weigh it.
    informants: [{informant}]
    scale: {scale}
    # Local items in an existing domain: required false keeps the base's min_answered rules
    # meaningful for sheets that leave it out.
    required: false
    anchors:
{anchors}
changes:
  summary: First version.
"""


def scaffold(inst_id: str, version: str, *, base: Instrument | None = None) -> str:
    """The text of a new, valid instrument file with explanatory comments (derived from
    ``base`` when given)."""
    title = inst_id.replace("-", " ").capitalize()
    path = f"<dir>/{inst_id}/{version}.yaml"
    if base is None:
        return _NEW_TEMPLATE.format(
            schema=_SCHEMA_URL, id=inst_id, version=version, title=title, path=path
        )
    domain = base.domains[0]
    first = base.items_in(domain.id)[0]
    scale = base.scale(first.scale)
    anchors = "\n".join(
        f'      "{lv.value}": What level {lv.value} ({lv.label}) looks like for this item.'
        for lv in scale.levels
    )
    return _DERIVED_TEMPLATE.format(
        schema=_SCHEMA_URL,
        id=inst_id,
        version=version,
        title=title,
        path=path,
        base=base.spec,
        base_title=base.title,
        item_id=f"{inst_id}-local-item"[:64].rstrip("-"),
        domain=domain.id,
        informant=first.informants[0],
        scale=scale.id,
        anchors=anchors,
    )


# ---------------------------------------------------------------------------------------------
# Comparability for score outputs


def comparability_between(origin: str, target: Instrument) -> dict[str, Any]:
    """Per-domain comparability (``identical``, ``extended``, ``not-comparable``) of scores on
    the version ``origin`` (an ``id@version``) with scores on ``target``, plus ``overall``;
    what score provenance reports for migrated sheets. ``{"error": ...}`` when ``origin``
    cannot be loaded."""
    try:
        old = _default_loader(origin)
    except Exception as exc:  # provenance must not fail because an old version is gone
        return {"error": f"cannot load {origin}: {exc}"}
    return _comparability_cached(old, target)


def _comparability_cached(old: Instrument, new: Instrument) -> dict[str, Any]:
    key = (old.content_hash, new.content_hash)
    found = _COMPARABILITY.get(key)
    if found is None:
        d = diff(old, new)
        found = {
            "domains": {c.domain: c.status for c in d.domains},
            "overall": "comparable" if d.overall_comparable else "not-comparable",
        }
        _COMPARABILITY[key] = found
    return dict(found)


_COMPARABILITY: dict[tuple[str, str], dict[str, Any]] = {}
