"""Change detectors for items: added, removed, and changed between versions (one function per
kind of change), their weights and their order. See :mod:`fidelity.versions.detectors` for what
the classes of change mean."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from fidelity.instrument import Item
from fidelity.versions.changes import Change
from fidelity.versions.detectors import Found, Versions
from fidelity.versions.semver import Severity

__all__ = [
    "ITEM_DETECTORS",
    "item_order",
    "item_weights",
    "items_added",
    "items_changed",
    "items_removed",
]

# ---------------------------------------------------------------------------------------------
# Items added and removed


def items_removed(v: Versions) -> Found:
    """``item-removed``: an item of the old version with no counterpart."""
    declared = v.new.changes.item_map if v.new.changes is not None else {}
    for oid, nid in v.item_map.items():
        if nid is not None:
            continue
        why = (
            "mapped to null in changes.item_map"
            if oid in declared and declared[oid] is None
            else "no mapping"
        )
        yield Change(
            "item-removed",
            f"item:{oid}",
            "breaking",
            f"item {oid} removed ({why}): sheets that rated it lose that rating",
            domains=(v.old_items[oid].domain,),
        )


def items_added(v: Versions) -> Found:
    """``item-added``: missing on existing sheets, which score the same (a new domain, if
    any, is reported and classified on its own)."""
    for nid, n in v.new_items.items():
        if nid in v.targets:
            continue
        msg = (
            f"item {nid} added to domain {n.domain}: missing on existing sheets, whose "
            "scores stay the same"
        )
        if n.required:
            msg += " (validation warns that it is unanswered)"
        yield Change("item-added", f"item:{nid}", "additive", msg, domains=(n.domain,))


# ---------------------------------------------------------------------------------------------
# Items in both versions

ItemDetector = Callable[[Item, Item, Versions], Iterable[Change]]


def _item_change(
    o: Item, n: Item, kind: str, severity: Severity, message: str, old: Any = None, new: Any = None
) -> Change:
    """A change of the item pair (``o`` in the old version, ``n`` in the new one)."""
    domains = tuple(sorted({o.domain, n.domain}))
    return Change(kind, f"item:{n.id}", severity, message, domains=domains, old=old, new=new)


def item_renamed(o: Item, n: Item, v: Versions) -> Found:
    """``item-renamed``: sheets migrate through ``item_map``."""
    if o.id != n.id:
        yield _item_change(
            o,
            n,
            "item-renamed",
            "additive",
            f"item {o.id} renamed to {n.id} (sheets migrate through item_map)",
            old=o.id,
            new=n.id,
        )


def item_moved(o: Item, n: Item, v: Versions) -> Found:
    """``item-moved``: to another domain."""
    if o.domain != n.domain:
        yield _item_change(
            o,
            n,
            "item-moved",
            "breaking",
            f"item {n.id} moved from domain {o.domain} to {n.domain}",
            old=o.domain,
            new=n.domain,
        )


def item_scale(o: Item, n: Item, v: Versions) -> Found:
    """``item-rescaled`` (other level values) or ``item-scale-renamed`` (same levels)."""
    a, b = v.old_scales.get(o.scale), v.new_scales.get(n.scale)
    if o.scale == n.scale or a is None or b is None:
        return
    if a.values != b.values:
        yield _item_change(
            o,
            n,
            "item-rescaled",
            "breaking",
            f"item {n.id} re-scaled: {o.scale} {list(a.values)} → {n.scale} {list(b.values)}",
            old=o.scale,
            new=n.scale,
        )
    else:
        yield _item_change(
            o,
            n,
            "item-scale-renamed",
            "none",
            f"item {n.id}: scale {o.scale} → {n.scale} with the same levels",
            old=o.scale,
            new=n.scale,
        )


def item_reverse(o: Item, n: Item, v: Versions) -> Found:
    """``item-reverse``: the same level now scores the other way round."""
    if o.reverse != n.reverse:
        yield _item_change(
            o,
            n,
            "item-reverse",
            "breaking",
            f"item {n.id}: reverse scoring {'on' if n.reverse else 'off'}",
            old=o.reverse,
            new=n.reverse,
        )


def item_na(o: Item, n: Item, v: Versions) -> Found:
    """``item-na``: NA allowed (additive) or no longer allowed (breaking)."""
    if o.allow_na == n.allow_na:
        return
    if n.allow_na:
        yield _item_change(
            o, n, "item-na", "additive", f"item {n.id}: NA now allowed", old=False, new=True
        )
    else:
        yield _item_change(
            o,
            n,
            "item-na",
            "breaking",
            f"item {n.id}: NA no longer allowed (sheets rating it NA become invalid)",
            old=True,
            new=False,
        )


def item_required(o: Item, n: Item, v: Versions) -> Found:
    """``item-required``: either way only changes a validation warning."""
    if o.required == n.required:
        return
    if n.required:
        message = (
            f"item {n.id}: now required (where it is missing, validation now "
            "warns; scores are unchanged)"
        )
    else:
        message = f"item {n.id}: no longer required"
    yield _item_change(o, n, "item-required", "additive", message, old=o.required, new=n.required)


def item_informants(o: Item, n: Item, v: Versions) -> Found:
    """``item-informants``: an informant taken away (breaking) or added (additive);
    ``item-informants-order``: the same informants in another order."""
    lost = [i for i in o.informants if i not in n.informants]
    gained = [i for i in n.informants if i not in o.informants]
    before, after = list(o.informants), list(n.informants)
    if lost:
        yield _item_change(
            o,
            n,
            "item-informants",
            "breaking",
            f"item {n.id}: informant(s) {', '.join(lost)} no longer accepted "
            "(their sheets become invalid)",
            old=before,
            new=after,
        )
    elif gained:
        yield _item_change(
            o,
            n,
            "item-informants",
            "additive",
            f"item {n.id}: informant(s) {', '.join(gained)} now accepted",
            old=before,
            new=after,
        )
    elif o.informants != n.informants:
        yield _item_change(
            o, n, "item-informants-order", "none", f"item {n.id}: informants reordered"
        )


def _reworded(attr: str, label: str) -> ItemDetector:
    """``item-<attr>``: wording only."""

    def detect(o: Item, n: Item, v: Versions) -> Found:
        if getattr(o, attr) != getattr(n, attr):
            yield _item_change(o, n, f"item-{attr}", "none", f"item {n.id}: {label} reworded")

    detect.__name__ = f"item_{attr}"
    detect.__doc__ = f"``item-{attr}``: {label} reworded."
    return detect


def item_anchors(o: Item, n: Item, v: Versions) -> Found:
    """``item-anchors``: anchors reworded, naming the levels."""
    if o.anchors == n.anchors:
        return
    keys = set(o.anchors) | set(n.anchors)
    levels = sorted(k for k in keys if o.anchors.get(k) != n.anchors.get(k))
    yield _item_change(
        o,
        n,
        "item-anchors",
        "none",
        f"item {n.id}: anchors reworded at level(s) {', '.join(map(str, levels))}",
    )


ITEM_DETECTORS: tuple[ItemDetector, ...] = (
    item_renamed,
    item_moved,
    item_scale,
    item_reverse,
    item_na,
    item_required,
    item_informants,
    _reworded("text", "text"),
    _reworded("guidance", "guidance"),
    item_anchors,
    _reworded("principles", "principle tags"),
)
"""Run on every pair of mapped items, in this order."""


def items_changed(v: Versions) -> Found:
    """The :data:`ITEM_DETECTORS` on every pair of mapped items."""
    for o, n in v.pairs:
        for detect in ITEM_DETECTORS:
            yield from detect(o, n, v)


def _proportional(group: list[tuple[Item, Item]]) -> bool:
    """Whether every weight of ``group`` changed by the same factor."""
    ratios = [n.weight / o.weight for o, n in group]
    return all(math.isclose(r, ratios[0], rel_tol=1e-12) for r in ratios)


def item_weights(v: Versions) -> Found:
    """``item-reweighted``: breaking only when the ratio of weights among items averaged
    together changes (within a domain, and across all items when the overall score is a mean
    of items); scaling every weight of a group by the same factor changes nothing."""
    changed = [(o, n) for o, n in v.pairs if o.weight != n.weight and o.domain == n.domain]
    if not changed:
        return
    stays = [(o, n) for o, n in v.pairs if o.domain == n.domain]
    overall_items = (
        v.old.scoring.overall == "mean_of_items" and v.new.scoring.overall == "mean_of_items"
    )
    for o, n in changed:
        group = [(a, b) for a, b in stays if b.domain == n.domain]
        relative = not _proportional(group) or (overall_items and not _proportional(stays))
        if relative:
            severity: Severity = "breaking"
            effect = " (changes its weight relative to the items it is averaged with)"
        else:
            severity = "none"
            effect = ", in proportion with every item it is averaged with (no effect on scores)"
        yield Change(
            "item-reweighted",
            f"item:{n.id}",
            severity,
            f"item {n.id}: weight {o.weight:g} → {n.weight:g}{effect}",
            domains=(n.domain,),
            old=o.weight,
            new=n.weight,
        )


def item_order(v: Versions) -> Found:
    """``item-order``: the mapped items in another order."""
    old_order = [v.item_map[it.id] for it in v.old.items if v.item_map.get(it.id) is not None]
    new_order = [it.id for it in v.new.items if it.id in v.targets]
    if old_order != new_order:
        yield Change("item-order", "instrument", "none", "items reordered")
