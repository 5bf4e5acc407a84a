"""``diff``: every structural change between two versions, found by running a table of change
detectors (:data:`DETECTORS`, one small function per kind of change, see
:mod:`fidelity.versions.detectors`) and assembled with the per-domain comparability."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import fidelity.versions.detectors as d
import fidelity.versions.item_detectors as items
from fidelity.instrument import Instrument
from fidelity.instrument.catalog import load_instrument
from fidelity.versions.changes import Change, Diff, DomainComparability
from fidelity.versions.mapping import Loader, item_mapping, mapping_conflicts

__all__ = ["DETECTORS", "KINDS", "Detector", "comparability_between", "diff"]


@dataclass(frozen=True)
class Detector:
    """One row of the table: the kinds of change it reports, and the function finding them."""

    kinds: tuple[str, ...]
    find: Callable[[d.Versions], Iterable[Change]]


DETECTORS: tuple[Detector, ...] = (
    Detector(("instrument-id",), d.instrument_id),
    Detector(
        (
            "instrument-title",
            "instrument-description",
            "instrument-license",
            "instrument-status",
        ),
        d.instrument_metadata,
    ),
    Detector(("citations",), d.citations),
    Detector(("extends",), d.extends),
    Detector(("principles",), d.principles),
    Detector(("informant-added",), d.informants_added),
    Detector(("informant-removed",), d.informants_removed),
    Detector(("informant-wording",), d.informants_reworded),
    Detector(("scale-levels", "scale-wording", "scale-codes"), d.scales_changed),
    Detector(("scale-added",), d.scales_added),
    Detector(("scale-removed",), d.scales_removed),
    Detector(("domain-added",), d.domains_added),
    Detector(("domain-removed",), d.domains_removed),
    Detector(("domain-min-answered", "domain-wording"), d.domains_changed),
    Detector(("domain-order",), d.domain_order),
    Detector(("item-removed",), items.items_removed),
    Detector(("item-added",), items.items_added),
    Detector(
        (
            "item-renamed",
            "item-moved",
            "item-rescaled",
            "item-scale-renamed",
            "item-reverse",
            "item-na",
            "item-required",
            "item-informants",
            "item-informants-order",
            "item-text",
            "item-guidance",
            "item-anchors",
            "item-principles",
        ),
        items.items_changed,
    ),
    Detector(("item-reweighted",), items.item_weights),
    Detector(("item-order",), items.item_order),
    Detector(("scoring-overall",), d.scoring_overall),
    Detector(("scoring-max-missing-domains",), d.scoring_max_missing),
    Detector(("scoring-wording",), d.scoring_wording),
    Detector(("band-bounds",), d.band_bounds),
    Detector(("band-ids",), d.band_ids),
    Detector(("band-wording",), d.band_wording),
)
"""The change detectors, in the order ``diff`` runs them (the order of :attr:`Diff.changes`)."""

KINDS: tuple[str, ...] = tuple(kind for row in DETECTORS for kind in row.kinds)
"""Every kind of :class:`Change` ``diff`` reports."""


def diff(old: Instrument, new: Instrument, *, loader: Loader | None = load_instrument) -> Diff:
    """Every structural change from ``old`` to ``new``, each classified by its effect on the
    scores of rating sheets that exist under ``old`` (see :mod:`fidelity.versions.detectors`).

    ``loader`` loads the versions between the two when ``changes.previous`` links them
    through others (``None``: only a direct link counts)."""
    mapping, source = item_mapping(old, new, loader=loader)
    versions = d.Versions.of(old, new, mapping)
    changes = tuple(change for row in DETECTORS for change in row.find(versions))
    return Diff(
        old=old,
        new=new,
        item_map=mapping,
        mapping_source=source,
        changes=changes,
        mapping_problems=tuple(mapping_conflicts(old, new)),
        domains=domain_comparability(old, new, changes),
    )


def _domain_status(did: str, changes: Iterable[Change]) -> DomainComparability:
    """Comparability of a domain both versions have, from the changes that touch it."""
    touching = [c for c in changes if did in c.domains]
    breaking = tuple(c.message for c in touching if c.severity == "breaking")
    if breaking:
        return DomainComparability(did, "not-comparable", breaking)
    added = tuple(
        f"adds item {c.target.removeprefix('item:')}"
        for c in touching
        if c.kind == "item-added" and c.severity == "additive"
    )
    if added:
        return DomainComparability(did, "extended", added)
    return DomainComparability(did, "identical")


def domain_comparability(
    old: Instrument, new: Instrument, changes: Iterable[Change]
) -> tuple[DomainComparability, ...]:
    """Per domain (those of ``new``, then those only ``old`` has): whether its scores can be
    compared across the two versions, and why not."""
    changes = tuple(changes)
    old_ids = [dom.id for dom in old.domains]
    new_ids = [dom.id for dom in new.domains]
    out: list[DomainComparability] = []
    for did in new_ids + [x for x in old_ids if x not in new_ids]:
        if did not in old_ids or did not in new_ids:
            where = "new" if did not in old_ids else "old"
            reason = f"exists in the {where} version only"
            out.append(DomainComparability(did, "not-comparable", (reason,)))
        else:
            out.append(_domain_status(did, changes))
    return tuple(out)


def comparability_between(origin: str, target: Instrument) -> dict[str, Any]:
    """Per-domain comparability (``identical``, ``extended``, ``not-comparable``) of scores on
    the version ``origin`` (an ``id@version``) with scores on ``target``, plus ``overall``;
    what score provenance reports for migrated sheets (``fidelity migrate`` records it in
    each sheet). ``{"error": ...}`` when ``origin`` cannot be loaded."""
    try:
        old = load_instrument(origin)
    except Exception as exc:  # provenance must not fail because an old version is gone
        return {"error": f"cannot load {origin}: {exc}"}
    return diff(old, target).comparability_summary()
