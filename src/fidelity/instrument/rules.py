"""The cross-reference rules of an instrument: one function per FI rule, run from one table.

Each rule takes a validated :class:`~fidelity.instrument.model.Instrument` and yields
:class:`~fidelity.instrument.problems.Finding` values (the path in the document, a message
built from the rule's registered code, the offending id). :func:`cross_reference_findings`
runs :data:`RULES` in order. The rules about single domains and items (:data:`ENTRY_RULES`)
are reported entry by entry, so that all problems of one domain or item stand together, in
file order.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fidelity.instrument.problems import Finding, finding
from fidelity.instrument.redcap import (
    declared_names_are_short,
    declared_names_are_unique,
    declared_names_are_valid,
)

if TYPE_CHECKING:  # the model runs these rules when it validates, so it imports this module
    from fidelity.instrument.model import Band, Instrument, Item

__all__ = [
    "ENTRY_RULES",
    "RULES",
    "anchors_cover_scale",
    "bands_cover_score_range",
    "cross_reference_findings",
    "domains_can_be_scored",
    "ids_are_unique",
    "item_map_is_consistent",
    "na_needs_a_code",
    "principles_are_measured",
    "references_resolve",
    "scales_are_ordered",
]

Check = Callable[["Instrument"], Iterable[Finding]]

_ID_SECTIONS = ("citations", "informants", "principles", "scales", "domains", "items")


def ids_are_unique(inst: Instrument) -> Iterator[Finding]:
    """FI101: ids are unique within each kind (citations, ..., items, then bands)."""
    sections: list[tuple[tuple[str, ...], Sequence[Any]]] = [
        ((name,), getattr(inst, name)) for name in _ID_SECTIONS
    ]
    sections.append((("scoring", "bands"), inst.scoring.bands))
    for section, entries in sections:
        name = section[-1]
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries):
            key: str = entry.id
            if key in seen:
                yield finding(
                    "FI101",
                    at=(*section, i, "id"),
                    ref=key,
                    kind=name[:-1],
                    id=key,
                    section=name,
                    first=seen[key],
                )
            else:
                seen[key] = i


def scales_are_ordered(inst: Instrument) -> Iterator[Finding]:
    """FI106: level values strictly increase, and each non-score code is listed once."""
    for si, scale in enumerate(inst.scales):
        values = scale.values
        if any(b <= a for a, b in itertools.pairwise(values)):
            detail = f"scale {scale.id!r}: level values must strictly increase, got {list(values)}"
            yield finding("FI106", at=("scales", si, "levels"), ref=scale.id, detail=detail)
        for code, n in Counter(c.code for c in scale.codes).items():
            if n > 1:
                detail = f"scale {scale.id!r}: code {code!r} listed {n} times"
                yield finding("FI106", at=("scales", si, "codes"), ref=scale.id, detail=detail)


def references_resolve(inst: Instrument) -> Iterator[Finding]:
    """FI102: every principle, domain, informant and scale named by a domain or an item
    exists."""
    principles = [p.id for p in inst.principles]
    for di, dom in enumerate(inst.domains):
        for pi, pid in enumerate(dom.principles):
            if pid not in principles:
                at = ("domains", di, "principles", pi)
                yield _unknown(at, pid, f"domain {dom.id!r} measures", "principle", pid, principles)
    known = {
        "domain": [d.id for d in inst.domains],
        "informant": [i.id for i in inst.informants],
        "principle": principles,
        "scale": [s.id for s in inst.scales],
    }
    for ii, item in enumerate(inst.items):
        for sub, verb, kind, value in _item_references(item):
            if value not in known[kind]:
                what = f"item {item.id!r} {verb}"
                yield _unknown(("items", ii, *sub), item.id, what, kind, value, known[kind])


def _item_references(item: Item) -> Iterator[tuple[tuple[str | int, ...], str, str, str]]:
    """(path below the item, verb, kind, id) of every reference an item makes, in the order
    they are reported."""
    yield ("domain",), "belongs to", "domain", item.domain
    for n, inf in enumerate(item.informants):
        yield ("informants", n), "names", "informant", inf
    for n, pid in enumerate(item.principles):
        yield ("principles", n), "is tagged with", "principle", pid
    yield ("scale",), "uses", "scale", item.scale


def _unknown(
    at: tuple[str | int, ...], ref: str, what: str, kind: str, value: str, known: Iterable[str]
) -> Finding:
    names = ", ".join(dict.fromkeys(known))
    return finding("FI102", at=at, ref=ref, what=what, kind=kind, value=value, known=names)


def domains_can_be_scored(inst: Instrument) -> Iterator[Finding]:
    """FI107: every domain has items, and at least ``min_answered`` of them."""
    for di, dom in enumerate(inst.domains):
        n_items = sum(1 for it in inst.items if it.domain == dom.id)
        if n_items == 0:
            yield finding(
                "FI107", at=("domains", di), ref=dom.id, detail=f"domain {dom.id!r} has no items"
            )
        elif dom.min_answered > n_items:
            detail = (
                f"domain {dom.id!r}: min_answered is {dom.min_answered} but the domain has "
                f"only {n_items} item(s)"
            )
            yield finding("FI107", at=("domains", di, "min_answered"), ref=dom.id, detail=detail)


def anchors_cover_scale(inst: Instrument) -> Iterator[Finding]:
    """FI104: an item anchors every level of its scale, and no other level."""
    scales = {s.id: s for s in inst.scales}
    for ii, item in enumerate(inst.items):
        scale = scales.get(item.scale)
        if scale is None:  # FI102 reports the unknown scale
            continue
        missing = [v for v in scale.values if v not in item.anchors]
        extra = [k for k in item.anchors if k not in scale.values]
        parts = []
        if missing:
            parts.append(f"no anchor for level(s) {missing}")
        if extra:
            parts.append(f"anchor(s) for level(s) {extra} not on the scale")
        if parts:
            yield finding(
                "FI104",
                at=("items", ii, "anchors"),
                ref=item.id,
                item=item.id,
                detail=" and ".join(parts),
                scale=scale.id,
                levels=list(scale.values),
            )


def na_needs_a_code(inst: Instrument) -> Iterator[Finding]:
    """FI105: an item that allows NA is rated on a scale that defines the NA code."""
    scales = {s.id: s for s in inst.scales}
    for ii, item in enumerate(inst.items):
        scale = scales.get(item.scale)
        if scale is not None and item.allow_na and not scale.allows_code("NA"):
            at = ("items", ii, "allow_na")
            yield finding("FI105", at=at, ref=item.id, item=item.id, scale=scale.id)


def principles_are_measured(inst: Instrument) -> Iterator[Finding]:
    """FI109: a principle is measured by a domain; a cross-cutting one by a domain or a tag."""
    measured = {pid for d in inst.domains for pid in d.principles}
    tagged = {pid for it in inst.items for pid in it.principles}
    for pi, pr in enumerate(inst.principles):
        if pr.cross_cutting and pr.id not in tagged and pr.id not in measured:
            detail = f"cross-cutting principle {pr.id!r} is not tagged on any item"
        elif not pr.cross_cutting and pr.id not in measured:
            detail = f"principle {pr.id!r} is not measured by any domain"
        else:
            continue
        yield finding("FI109", at=("principles", pi), ref=pr.id, detail=detail)


# -- FI108: bands -------------------------------------------------------------------------------

_IndexedBand = tuple[int, "Band"]


def bands_cover_score_range(inst: Instrument) -> Iterator[Finding]:
    """FI108: the bands cover the range of possible overall scores exactly: no empty band,
    no gap, no overlap, nothing outside the range."""
    lo, hi = inst.score_range()
    if math.isnan(lo):
        return
    indexed = sorted(enumerate(inst.scoring.bands), key=lambda t: (t[1].lower, t[1].upper))
    yield from _empty_bands(indexed)
    yield from _lowest_band(indexed[0], lo)
    yield from _band_joins(indexed)
    yield from _highest_band(indexed[-1], hi)


def _band(at: tuple[str | int, ...], band: Band, detail: str) -> Finding:
    return finding("FI108", at=("scoring", "bands", *at), ref=band.id, detail=detail)


def _empty_bands(indexed: list[_IndexedBand]) -> Iterator[Finding]:
    for i, band in indexed:
        if band.upper <= band.lower:
            detail = f"band {band.id!r}: upper ({band.upper:g}) must exceed lower ({band.lower:g})"
            yield _band((i,), band, detail)


def _lowest_band(first: _IndexedBand, lo: float) -> Iterator[Finding]:
    i, band = first
    if band.lower > lo:
        yield _band(
            (i, "lower"),
            band,
            f"bands leave a gap: scores from {lo:g} up to {band.lower:g} fall in no band "
            f"(lowest band {band.id!r})",
        )
    elif band.lower < lo:
        yield _band(
            (i, "lower"),
            band,
            f"band {band.id!r} starts at {band.lower:g}, below the lowest possible score {lo:g}",
        )


def _band_joins(indexed: list[_IndexedBand]) -> Iterator[Finding]:
    for (_pi, prev), (ci, cur) in itertools.pairwise(indexed):
        if cur.lower > prev.upper:
            yield _band(
                (ci, "lower"),
                cur,
                f"bands leave a gap: scores from {prev.upper:g} up to {cur.lower:g} fall in no "
                f"band (between {prev.id!r} and {cur.id!r})",
            )
        elif cur.lower < prev.upper:
            yield _band(
                (ci, "lower"),
                cur,
                f"bands overlap: {cur.id!r} starts at {cur.lower:g} before {prev.id!r} ends "
                f"at {prev.upper:g}",
            )


def _highest_band(last: _IndexedBand, hi: float) -> Iterator[Finding]:
    i, band = last
    if band.upper < hi:
        yield _band(
            (i, "upper"),
            band,
            f"bands leave a gap: scores above {band.upper:g} up to the maximum {hi:g} fall in "
            f"no band (highest band {band.id!r})",
        )
    elif band.upper > hi:
        yield _band(
            (i, "upper"),
            band,
            f"band {band.id!r} ends at {band.upper:g}, above the highest possible score {hi:g}",
        )


# -- FI110: the item map ------------------------------------------------------------------------


def item_map_is_consistent(inst: Instrument) -> Iterator[Finding]:
    """FI110: ``changes.item_map`` maps onto items of this version, no two old items onto the
    same one, and its renames do not chase each other round in a cycle."""
    if inst.changes is None:
        return
    item_map = inst.changes.item_map
    item_ids = {it.id for it in inst.items}
    targets: dict[str, str] = {}
    for old, new in item_map.items():
        if new is None:
            continue
        at = ("changes", "item_map", old)
        if new not in item_ids:
            detail = f"item_map maps {old!r} to {new!r}, which is not an item of this version"
            yield finding("FI110", at=at, ref=old, detail=detail)
        if new in targets:
            detail = f"item_map maps both {targets[new]!r} and {old!r} to {new!r}"
            yield finding("FI110", at=at, ref=old, detail=detail)
        targets[new] = old
    yield from _item_map_cycles(item_map)


def _item_map_cycles(item_map: Mapping[str, str | None]) -> Iterator[Finding]:
    """Renames that chase each other round (``a: b, b: a``): ambiguous for migration."""
    reported: set[str] = set()
    for start in item_map:
        seen = [start]
        node = item_map.get(start)
        while node is not None and node in item_map and node not in seen:
            seen.append(node)
            node = item_map[node]
        if node == start and len(seen) > 1 and not reported.intersection(seen):
            reported.update(seen)
            loop = " → ".join([*seen, start])
            detail = (
                f"item_map renames items in a cycle ({loop}); rename through new ids "
                "instead, so that each old id maps to one id that no other old item had"
            )
            yield finding("FI110", at=("changes", "item_map", start), ref=start, detail=detail)


# -- the table ----------------------------------------------------------------------------------

RULES: tuple[tuple[str, Check], ...] = (
    ("FI101", ids_are_unique),
    ("FI106", scales_are_ordered),
    ("FI102", references_resolve),
    ("FI107", domains_can_be_scored),
    ("FI104", anchors_cover_scale),
    ("FI105", na_needs_a_code),
    ("FI109", principles_are_measured),
    ("FI108", bands_cover_score_range),
    ("FI110", item_map_is_consistent),
    ("FI113", declared_names_are_valid),
    ("FI114", declared_names_are_short),
    ("FI115", declared_names_are_unique),
)
"""Every cross-reference rule of the instrument model, in report order. (FI111, the file's
place in the catalog, is checked by the catalog; FI112, ``extends``, by the loader; the
warnings FI301-FI302 on derived REDCap names by :mod:`fidelity.lint`.)"""

ENTRY_RULES = frozenset({"FI102", "FI107", "FI104", "FI105"})
"""Rules about single domains and items; their findings are reported entry by entry."""


def cross_reference_findings(inst: Instrument) -> list[Finding]:
    """Every finding of :data:`RULES` on ``inst``; empty when the instrument is consistent."""
    out: list[Finding] = []
    entries: list[Finding] = []
    for code, check in RULES:
        if code in ENTRY_RULES:
            entries.extend(check(inst))
            continue
        out.extend(sorted(entries, key=_entry_order))  # stable: table order within an entry
        entries.clear()
        out.extend(check(inst))
    out.extend(sorted(entries, key=_entry_order))
    return out


def _entry_order(found: Finding) -> tuple[int, int]:
    """Domains before items, each in file order."""
    section, index = found.at[0], found.at[1]
    return (0 if section == "domains" else 1, index if isinstance(index, int) else 0)
